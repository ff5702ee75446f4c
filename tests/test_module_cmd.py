"""MODULE against redis-server: a server with no modules, whose loads fail as Redis's do.

With the default `enable-module-command no`, LOAD/LOADEX/UNLOAD are refused as protected
commands; with `yes`, they get Redis's load/unload failures. LIST and HELP answer either way.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import Differential, ServerProcess, server_pair

CALLS = [
    ("MODULE", "LIST"),
    ("MODULE", "HELP"),
    ("MODULE", "LOAD", "/nonexistent/module.so"),
    ("MODULE", "LOAD", "/nonexistent/module.so", "arg1", "arg2"),
    ("MODULE", "LOADEX", "/nonexistent/module.so", "CONFIG", "a", "b", "ARGS", "x"),
    ("MODULE", "UNLOAD", "nosuchmodule"),
    ("MODULE", "LIST", "extra"),
    ("MODULE", "LOAD"),
    ("MODULE", "UNLOAD"),
    ("MODULE", "NOSUCH"),
    ("MODULE",),
]


@pytest.fixture(scope="module", params=["no", "yes"])
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    yield from server_pair("--enable-module-command", request.param)


def test_module_replies_match_redis(pair: tuple[ServerProcess, ServerProcess]) -> None:
    mine, theirs = pair
    both = Differential(mine.client(), theirs.client())
    for call in CALLS:
        both(*call)


@pytest.mark.parametrize("pair", ["yes"], indirect=True)
def test_a_failed_load_is_logged(pair: tuple[ServerProcess, ServerProcess]) -> None:
    mine, theirs = pair
    Differential(mine.client(), theirs.client())("MODULE", "LOAD", "/tmp/no-module-here.so")
    assert "Module /tmp/no-module-here.so failed to load" in mine.log()
