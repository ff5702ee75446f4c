"""Damaged AOFs: a torn tail is cut back and the node starts; damage in the middle stops it.

The loader runs in-process on many damaged copies of one AOF (cut at every kind of place in
its last command and inside a MULTI), and as a real node for what a user sees: the start-up
log and exit status. `slotkv check-aof` is checked against the same files, and its verdicts
against redis-check-aof's.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import sys
from typing import Iterator

import pytest

import node.commands  # noqa: F401  (the command table)
from aofhelp import check_aof
from conftest import ROOT, start_slotkv
from node.aof_reader import CommandReader
from node.config import load
from node.log import log
from node.server import Server

INCR = "appendonly.aof.1.incr.aof"
COMMANDS = [
    [b"SET", b"a", b"1"],
    [b"RPUSH", b"l", b"x", b"y"],
    [b"MULTI"], [b"SET", b"m1", b"1"], [b"SET", b"m2", b"2"], [b"EXEC"],
    [b"HSET", b"h", b"f", b"v"],
    [b"SET", b"last", b"the last command"],
]


def _resp(argv: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in argv)


@pytest.fixture
def aof_dir(tmp_path) -> Iterator[str]:
    """A working directory with a two-file AOF: an empty base and the incr of COMMANDS."""
    d = tmp_path / "appendonlydir"
    d.mkdir()
    (d / "appendonly.aof.1.base.aof").write_bytes(b"")
    (d / INCR).write_bytes(_resp([b"SELECT", b"0"]) + b"".join(map(_resp, COMMANDS)))
    (d / "appendonly.aof.manifest").write_text(
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
    yield str(tmp_path)


def _boundaries(path: str) -> list[int]:
    with open(path, "rb") as f:
        reader = CommandReader(f)
        ends = []
        for _ in reader:
            ends.append(reader.offset)
    return ends


def load_in_process(workdir: str, monkeypatch, *flags: str) -> tuple[Server | None, str, str]:
    """Load `workdir`'s AOF as a node would at start: (server or None, error, log text)."""
    monkeypatch.chdir(workdir)
    out = io.StringIO()
    monkeypatch.setattr(log, "stream", out)
    server = Server(load(None, ["--appendonly", "yes", *flags]))
    from node.aof import AofError

    try:
        server.load_data()
    except AofError as e:
        return None, str(e), out.getvalue()
    finally:
        if server.aof.fd != -1:
            os.close(server.aof.fd)
            server.aof.fd = -1
    return server, "", out.getvalue()


def keys(server: Server) -> set[bytes]:
    return set(server.keyspace.dbs[0].data)


def test_intact_aof_loads(aof_dir: str, monkeypatch) -> None:
    server, err, _ = load_in_process(aof_dir, monkeypatch)
    assert err == ""
    assert keys(server) == {b"a", b"l", b"m1", b"m2", b"h", b"last"}


def test_torn_last_command_is_cut_at_every_offset(aof_dir: str, monkeypatch) -> None:
    path = os.path.join(aof_dir, "appendonlydir", INCR)
    ends = _boundaries(path)
    size = os.path.getsize(path)
    pristine = open(path, "rb").read()
    for cut in range(ends[-2] + 1, size):  # every byte of the last command but the whole
        with open(path, "wb") as f:
            f.write(pristine[:cut])
        server, err, text = load_in_process(aof_dir, monkeypatch)
        assert err == "", (cut, err)
        assert keys(server) == {b"a", b"l", b"m1", b"m2", b"h"}, cut
        assert f"!!! Truncating the AOF {INCR} at offset {ends[-2]} !!!" in text
        assert f"({cut - ends[-2]} bytes of a torn tail removed" in text
        assert os.path.getsize(path) == ends[-2]


def test_unterminated_multi_is_reverted(aof_dir: str, monkeypatch) -> None:
    path = os.path.join(aof_dir, "appendonlydir", INCR)
    ends = _boundaries(path)
    pristine = open(path, "rb").read()
    multi_start = ends[2]  # after SELECT, SET a, RPUSH
    exec_end = ends[6]
    for cut in random.Random(4).sample(range(multi_start + 1, exec_end), 12) + [exec_end - 1]:
        with open(path, "wb") as f:
            f.write(pristine[:cut])
        server, err, text = load_in_process(aof_dir, monkeypatch)
        assert err == "", (cut, err)
        assert keys(server) == {b"a", b"l"}, cut  # nothing of the transaction
        assert f"at offset {multi_start} !!!" in text
        assert os.path.getsize(path) == multi_start
    # A whole MULTI ... SET with no EXEC at all (the file ends on a command boundary).
    with open(path, "wb") as f:
        f.write(pristine[:ends[4]])
    server, err, text = load_in_process(aof_dir, monkeypatch)
    assert "Revert incomplete MULTI/EXEC transaction in AOF file" in text
    assert keys(server) == {b"a", b"l"}


def test_zero_filled_tail_is_a_torn_tail(aof_dir: str, monkeypatch) -> None:
    path = os.path.join(aof_dir, "appendonlydir", INCR)
    size = os.path.getsize(path)
    with open(path, "ab") as f:
        f.write(bytes(4096))
    server, err, text = load_in_process(aof_dir, monkeypatch)
    assert err == "" and b"last" in keys(server)
    assert os.path.getsize(path) == size


def test_corrupt_middle_stops_the_load(aof_dir: str, monkeypatch) -> None:
    path = os.path.join(aof_dir, "appendonlydir", INCR)
    ends = _boundaries(path)
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[:ends[1]] + b"garbage!" + data[ends[1]:])
    server, err, _ = load_in_process(aof_dir, monkeypatch)
    assert server is None
    assert err.startswith(f"Bad file format reading the append only file {INCR}")
    assert f"at offset {ends[1]}" in err
    assert os.path.getsize(path) == len(data) + 8  # nothing was cut


def test_torn_file_that_is_not_the_last_is_fatal(aof_dir: str, monkeypatch) -> None:
    d = os.path.join(aof_dir, "appendonlydir")
    shutil.copy(os.path.join(d, INCR), os.path.join(d, "appendonly.aof.2.incr.aof"))
    with open(os.path.join(d, INCR), "r+b") as f:
        f.truncate(os.path.getsize(os.path.join(d, INCR)) - 3)
    with open(os.path.join(d, "appendonly.aof.manifest"), "a") as f:
        f.write("file appendonly.aof.2.incr.aof seq 2 type i\n")
    server, err, _ = load_in_process(aof_dir, monkeypatch)
    assert server is None and "the truncated file is not the last file" in err


def test_bad_manifest_and_missing_file(aof_dir: str, monkeypatch) -> None:
    m = os.path.join(aof_dir, "appendonlydir", "appendonly.aof.manifest")
    with open(m, "a") as f:
        f.write("file appendonly.aof.1.incr.aof seq 1 type i\n")
    server, err, _ = load_in_process(aof_dir, monkeypatch)
    assert server is None and "FATAL AOF MANIFEST FILE ERROR" in err
    assert "Found a non-monotonic sequence number" in err
    with open(m, "w") as f:
        f.write("file appendonly.aof.9.incr.aof seq 9 type i\n")
    server, err, _ = load_in_process(aof_dir, monkeypatch)
    assert server is None and "appendonly.aof.9.incr.aof" in err


def test_real_node_start_up(aof_dir: str) -> None:
    """What a user sees: a torn tail is logged and cut; a corrupt middle (or a torn tail with
    aof-load-truncated no) is a clear error and exit status 1, never a traceback."""
    path = os.path.join(aof_dir, "appendonlydir", INCR)
    data = open(path, "rb").read()
    ends = _boundaries(path)
    with open(path, "wb") as f:
        f.write(data[:-5])
    node = start_slotkv("--appendonly", "yes", workdir=aof_dir)
    try:
        r = node.client()
        assert sorted(r.keys()) == [b"a", b"h", b"l", b"m1", b"m2"]
        r.set("after", "1")
        r.close()
        assert f"!!! Truncating the AOF {INCR} at offset {ends[-2]} !!!" in node.log()
    finally:
        node.stop()
    # The repaired file plus what came after loads cleanly.
    node = start_slotkv("--appendonly", "yes", workdir=aof_dir)
    try:
        assert node.client().get("after") == b"1"
    finally:
        node.stop()
    for damage, flags, expect in [
        (lambda d: d[:ends[1]] + b"\x01\x02junk" + d[ends[1]:], [], "Bad file format"),
        (lambda d: d[:-4], ["--aof-load-truncated", "no"], "Unexpected end of file"),
    ]:
        with open(path, "wb") as f:
            f.write(damage(data))
        proc = subprocess.run(
            [sys.executable, "-m", "ops.cli", "node", "--appendonly", "yes", "--port", "0",
             "--bind", "127.0.0.1", *flags], cwd=aof_dir, env=dict(os.environ, PYTHONPATH=ROOT),
            capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1
        assert expect in proc.stdout + proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr


# -- slotkv check-aof -------------------------------------------------------------------------


def _redis_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["redis-check-aof", *args], capture_output=True, text=True,
                          timeout=60, input="y\n")


def _analyzed(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("AOF analyzed:")]


def test_check_aof_agrees_with_redis_check_aof(aof_dir: str) -> None:
    d = os.path.join(aof_dir, "appendonlydir")
    manifest = os.path.join(d, "appendonly.aof.manifest")
    path = os.path.join(d, INCR)
    data = open(path, "rb").read()
    ends = _boundaries(path)
    variants = {
        "intact": data,
        "torn": data[:-7],
        "in multi": data[:ends[4] + 3],
        "garbage": data[:ends[3]] + b"xx" + data[ends[3]:],
    }
    for name, content in variants.items():
        with open(path, "wb") as f:
            f.write(content)
        mine, theirs = check_aof(manifest), _redis_check(manifest)
        assert mine.returncode == theirs.returncode, (name, mine.stdout, theirs.stdout)
        assert mine.stdout.splitlines()[0] == theirs.stdout.splitlines()[0]
        assert mine.stdout.splitlines()[-1] == theirs.stdout.splitlines()[-1], name
        # The verdict on where the good part ends (redis counts lines past an open MULTI).
        strip = [a.split(", ok_up_to_line")[0] for a in _analyzed(mine.stdout)]
        assert strip == [a.split(", ok_up_to_line")[0] for a in _analyzed(theirs.stdout)], name
    # --fix repairs a torn last file, as redis-check-aof --fix does; then both call it valid.
    with open(path, "wb") as f:
        f.write(data[:-7])
    fixed = check_aof("--fix", manifest)
    assert fixed.returncode == 0, fixed.stdout
    assert "Successfully truncated AOF" in fixed.stdout
    assert os.path.getsize(path) == ends[-2]
    assert _redis_check(manifest).returncode == 0
    assert check_aof(manifest).returncode == 0
    # A single file is checked as an old-style AOF.
    single = check_aof(path)
    assert single.returncode == 0 and single.stdout.startswith("Start checking Old-Style AOF")
    assert check_aof("/nonexistent/file.aof").returncode == 1
    assert check_aof().returncode == 1 and "Usage:" in check_aof().stdout
