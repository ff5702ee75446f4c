"""Loading a bench/ script as a module, so its tests can call its functions directly; and
checking that the servers a script started are gone."""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")


def load_bench_script(filename: str) -> ModuleType:
    """bench/`filename` imported as `bench_<name>`, with bench/ importable while it loads (the
    scripts import each other)."""
    path = os.path.join(BENCH, filename)
    spec = importlib.util.spec_from_file_location("bench_" + filename.removesuffix(".py"), path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    sys.path.insert(0, BENCH)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(BENCH)
    return module


def is_our_server(pid: int) -> bool:
    """Whether pid is still a server process (a reused PID would belong to another program)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read()
    except OSError:
        return False
    return b"redis-server" in cmd or b"ops.cli" in cmd
