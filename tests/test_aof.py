"""The append-only file as a user meets it: Redis 7.0's multi-part layout, BGREWRITEAOF,
automatic rewrites, turning the AOF on and off at runtime, INFO persistence, and AOF
directories moving between redis-server and slotkv in both directions."""

from __future__ import annotations

import os
import shutil
import threading
import time
from typing import Iterator

import pytest

from aofhelp import pipeline, single, snapshot, wait_rewrite_done, without_entries_read
from conftest import ServerProcess, start_redis, start_slotkv


def _dir(node: ServerProcess) -> str:
    return os.path.join(node.workdir, "appendonlydir")


def _manifest(node: ServerProcess) -> str:
    with open(os.path.join(_dir(node), "appendonly.aof.manifest")) as f:
        return f.read()


def raw(node: ServerProcess, *args: str) -> object:
    """One command's reply as the server sent it (no client library callbacks)."""
    return pipeline(node.port, [list(args)])[0]


def _wait(cond, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def aof_node(start_node) -> Iterator[ServerProcess]:
    yield start_node("--appendonly", "yes", "--aof-use-rdb-preamble", "no",
                     "--enable-debug-command", "yes")


def test_layout_on_first_start(aof_node: ServerProcess) -> None:
    assert _manifest(aof_node) == ("file appendonly.aof.1.base.aof seq 1 type b\n"
                                   "file appendonly.aof.1.incr.aof seq 1 type i\n")
    assert sorted(os.listdir(_dir(aof_node))) == [
        "appendonly.aof.1.base.aof", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]
    log = aof_node.log()
    assert "Creating AOF base file appendonly.aof.1.base.aof on server start" in log
    assert "Creating AOF incr file appendonly.aof.1.incr.aof on server start" in log
    r = aof_node.client()
    r.set("k", "v")
    with open(os.path.join(_dir(aof_node), "appendonly.aof.1.incr.aof"), "rb") as f:
        assert f.read() == (b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"
                            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")


def test_default_base_is_rdb(start_node) -> None:
    node = start_node("--appendonly", "yes", "--enable-debug-command", "yes")
    assert _manifest(node) == ("file appendonly.aof.1.base.rdb seq 1 type b\n"
                               "file appendonly.aof.1.incr.aof seq 1 type i\n")
    with open(os.path.join(_dir(node), "appendonly.aof.1.base.rdb"), "rb") as f:
        assert f.read(9) == b"REDIS0010"
    pipeline(node.port, WORKLOAD)
    r = node.client()
    r.execute_command("BGREWRITEAOF")
    wait_rewrite_done(r)
    assert "appendonly.aof.2.base.rdb seq 2 type b" in _manifest(node)
    conn = single(node)
    before = snapshot(conn)
    conn.execute_command("DEBUG", "LOADAOF")
    assert snapshot(conn) == before
    assert "Reading RDB base file on AOF loading..." in node.log()


def test_info_persistence_fields_match_redis(aof_node: ServerProcess) -> None:
    oracle = start_redis("--appendonly", "yes")
    try:
        raw_theirs = raw(oracle, "INFO", "persistence").decode()
        raw_mine = raw(aof_node, "INFO", "persistence").decode()
        pick = lambda raw: [l.split(":")[0] for l in raw.split("\r\n")  # noqa: E731
                            if l.startswith(("aof_", "module_fork"))]
        assert pick(raw_mine) == pick(raw_theirs)
        info = aof_node.client().info("persistence")
        assert info["aof_enabled"] == 1 and info["aof_last_write_status"] == "ok"
    finally:
        oracle.stop()


def test_bgrewriteaof_replaces_base_and_incr(aof_node: ServerProcess) -> None:
    r = aof_node.client()
    pipeline(aof_node.port, [["SET", f"k{i}", "x" * 10] for i in range(200)])
    r.incr("n")
    assert raw(aof_node, "BGREWRITEAOF") == b"Background append only file rewriting started"
    r.incr("n")  # lands in the new incr file
    wait_rewrite_done(r)
    assert _manifest(aof_node) == ("file appendonly.aof.2.base.aof seq 2 type b\n"
                                   "file appendonly.aof.2.incr.aof seq 2 type i\n")
    _wait(lambda: sorted(os.listdir(_dir(aof_node))) == [
        "appendonly.aof.2.base.aof", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"])
    info = r.info("persistence")
    assert info["aof_rewrites"] == 1 and info["aof_last_bgrewrite_status"] == "ok"
    assert info["aof_base_size"] > 0 and info["aof_current_size"] >= info["aof_base_size"]
    log = aof_node.log()
    for line in ("Creating AOF incr file appendonly.aof.2.incr.aof on background rewrite",
                 "Background append only file rewriting started by pid",
                 "Background AOF rewrite terminated with success",
                 "Removing the history file appendonly.aof.1.incr.aof in the background",
                 "Background AOF rewrite finished successfully"):
        assert line in log
    conn = single(aof_node)
    before = snapshot(conn)
    conn.execute_command("DEBUG", "LOADAOF")
    assert snapshot(conn) == before and r.get("n") == b"2"


def test_writes_during_a_rewrite_are_kept(start_node) -> None:
    # An RDB base written slowly (rdb-key-save-delay): the writer runs while the child does.
    node = start_node("--appendonly", "yes", "--enable-debug-command", "yes",
                      "--rdb-key-save-delay", "100")
    r = node.client()
    r.execute_command("DEBUG", "POPULATE", "5000", "big", "20")
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        w = node.client()
        i = 0
        while not stop.is_set() or i < 200:
            w.set(f"during:{i}", i)
            w.incr("during-count")
            written.append(i)
            i += 1
        w.close()

    t = threading.Thread(target=write)
    t.start()
    _wait(lambda: len(written) > 20)
    assert raw(node, "BGREWRITEAOF") == b"Background append only file rewriting started"
    at_start = len(written)
    _wait(lambda: len(written) > at_start + 50)  # writes while the child writes
    assert r.info("persistence")["aof_rewrite_in_progress"] == 1
    wait_rewrite_done(r)
    stop.set()
    t.join(30)
    r.config_set("rdb-key-save-delay", "0")
    assert raw(node, "BGREWRITEAOF") == b"Background append only file rewriting started"
    r.set("after-second", 1)
    wait_rewrite_done(r)
    digest = r.execute_command("DEBUG", "DIGEST")
    node.stop()
    again = start_slotkv("--appendonly", "yes", "--enable-debug-command", "yes",
                         workdir=node.workdir, port=node.port)
    try:
        a = again.client()
        assert a.execute_command("DEBUG", "DIGEST") == digest
        assert int(a.get("during-count")) == len(written)
        assert a.dbsize() == 5000 + len(written) + 2
    finally:
        again.stop()


def test_rewrite_requested_in_multi_is_scheduled(aof_node: ServerProcess) -> None:
    r = aof_node.client()
    replies = pipeline(aof_node.port, [["MULTI"], ["SET", "a", "1"], ["BGREWRITEAOF"], ["EXEC"]])
    assert replies[-1] == [b"OK", b"Background append only file rewriting scheduled"]
    _wait(lambda: r.info("persistence")["aof_rewrites"] == 1)
    wait_rewrite_done(r)
    assert r.info("persistence")["aof_rewrite_scheduled"] == 0


def test_second_rewrite_while_one_runs_is_refused(start_node) -> None:
    node = start_node("--appendonly", "yes", "--rdb-key-save-delay", "2000")
    pipeline(node.port, [["SET", f"k{i}", "v"] for i in range(100)])  # a rewrite of ~0.2 s
    assert raw(node, "BGREWRITEAOF") == b"Background append only file rewriting started"
    err = raw(node, "BGREWRITEAOF")
    assert "Background append only file rewriting already in progress" in str(err)
    wait_rewrite_done(node.client())


def test_automatic_rewrite_on_growth(start_node) -> None:
    node = start_node("--appendonly", "yes", "--auto-aof-rewrite-min-size", "100kb",
                      "--auto-aof-rewrite-percentage", "50", "--aof-use-rdb-preamble", "no")
    r = node.client()
    pipeline(node.port, [["SET", "k", "x" * 1000] for _ in range(200)])  # one key, 200 KB log
    _wait(lambda: r.info("persistence")["aof_rewrites"] >= 1)
    wait_rewrite_done(r)
    assert "Starting automatic rewriting of AOF on" in node.log()
    assert r.info("persistence")["aof_current_size"] < 100_000  # the log shrank to one SET


def test_appendonly_turned_on_and_off_at_runtime(start_node) -> None:
    node = start_node("--aof-use-rdb-preamble", "no")
    r = node.client()
    r.set("before", 1)
    assert not os.path.exists(_dir(node))
    assert r.config_set("appendonly", "yes")
    r.set("while", 1)  # logged to the temporary incr file during the first rewrite
    _wait(lambda: r.info("persistence")["aof_enabled"] == 1 and
          os.path.exists(os.path.join(_dir(node), "appendonly.aof.manifest")))
    wait_rewrite_done(r)
    r.set("after", 1)
    assert _manifest(node) == ("file appendonly.aof.1.base.aof seq 1 type b\n"
                               "file appendonly.aof.1.incr.aof seq 1 type i\n")
    assert "Successfully renamed the temporary AOF incr file temp-appendonly.aof.incr into " \
           "appendonly.aof.1.incr.aof" in node.log()
    assert r.config_set("appendonly", "no")
    assert r.info("persistence")["aof_enabled"] == 0
    r.set("off", 1)  # not logged
    assert r.config_set("appendfsync", "always") and r.config_get("appendfsync") == {
        "appendfsync": "always"}
    node.stop()
    again = start_slotkv("--appendonly", "yes", workdir=node.workdir, port=node.port)
    try:
        a = again.client()
        assert sorted(a.keys()) == [b"after", b"before", b"while"]
    finally:
        again.stop()


def test_timestamp_annotations(start_node) -> None:
    node = start_node("--appendonly", "yes", "--aof-timestamp-enabled", "yes")
    r = node.client()
    r.set("a", 1)
    incr = os.path.join(_dir(node), "appendonly.aof.1.incr.aof")
    assert open(incr, "rb").read().startswith(b"#TS:")
    node.stop()
    again = start_slotkv("--appendonly", "yes", workdir=node.workdir, port=node.port)
    try:
        assert again.client().get("a") == b"1"
    finally:
        again.stop()


def test_old_style_aof_is_migrated(tmp_path) -> None:
    (tmp_path / "appendonly.aof").write_bytes(
        b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$5\r\nstyle\r\n")
    node = start_slotkv("--appendonly", "yes", workdir=str(tmp_path))
    try:
        assert node.client().get("old") == b"style"
        assert "Successfully migrated an old-style AOF file (appendonly.aof) into the AOF " \
               "directory (appendonlydir)." in node.log()
        assert _manifest(node).startswith("file appendonly.aof seq 1 type b\n")
    finally:
        node.stop()


WORKLOAD = [
    ["SET", "s", "string"], ["SET", "e", "expiring", "EX", "5000"], ["INCRBYFLOAT", "f", "1.5"],
    ["RPUSH", "l", "a", "b", "c"], ["BLPOP", "l", "0.1"], ["HSET", "h", "f1", "v1", "f2", "v2"],
    ["HINCRBYFLOAT", "h", "n", "2.5"], ["SADD", "t", *map(str, range(20))], ["SPOP", "t", "3"],
    ["ZADD", "z", "1", "a", "2.5", "b", "-3", "c"], ["BZPOPMIN", "z", "0.1"],
    ["XADD", "x", "*", "f", "v"], ["XADD", "x", "*", "f", "w"], ["XADD", "x", "*", "g", "u"],
    ["XGROUP", "CREATE", "x", "grp", "0"], ["XREADGROUP", "GROUP", "grp", "c1", "COUNT", "2",
                                            "STREAMS", "x", ">"],
    ["XCLAIM", "x", "grp", "c2", "0", "0-1"], ["XGROUP", "CREATECONSUMER", "x", "grp", "c3"],
    ["XADD", "x", "MAXLEN", "~", "1", "*", "h", "i"], ["SETBIT", "bits", "7", "1"],
    ["GEOADD", "geo", "13.36", "38.11", "Palermo"], ["EXPIRE", "l", "9000"],
    ["SELECT", "3"], ["SET", "in-db-3", "x"], ["SELECT", "0"],
    ["MULTI"], ["INCR", "counter"], ["LPUSH", "l2", "x"], ["EXEC"],
]


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_redis_written_aof_loads_into_slotkv(tmp_path, preamble: str) -> None:
    """redis-server 7.0 writes an AOF directory (a rewritten base plus incr files): slotkv
    loads it to the same dataset as redis-server itself loads it to. (Not quite the dataset
    Redis had in memory: 7.0 does not log a consumer group's entries_read when XREADGROUP
    moves it, so its own reload shows it unknown; so does slotkv's, which logs the same.)"""
    oracle = start_redis("--appendonly", "yes", "--aof-use-rdb-preamble", preamble,
                         "--enable-debug-command", "yes", "--dir", str(tmp_path))
    try:
        pipeline(oracle.port, WORKLOAD[:12])
        o = oracle.client()
        o.execute_command("BGREWRITEAOF")
        wait_rewrite_done(o)
        pipeline(oracle.port, WORKLOAD[12:])
    finally:
        oracle.stop()
    reloaded = start_redis("--appendonly", "yes", "--enable-debug-command", "yes",
                           "--dir", str(tmp_path))
    try:
        theirs = snapshot(single(reloaded), skip_hll=True)
    finally:
        reloaded.stop()
    node = start_slotkv("--appendonly", "yes", "--enable-debug-command", "yes",
                        workdir=str(tmp_path))
    try:
        assert snapshot(single(node), skip_hll=True) == theirs
        base = "rdb" if preamble == "yes" else "aof"
        assert f"DB loaded from base file appendonly.aof.2.base.{base}" in node.log()
    finally:
        node.stop()


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_slotkv_written_aof_loads_into_redis(tmp_path, preamble: str) -> None:
    node = start_slotkv("--appendonly", "yes", "--aof-use-rdb-preamble", preamble,
                        "--enable-debug-command", "yes", workdir=str(tmp_path))
    try:
        pipeline(node.port, WORKLOAD[:12])
        r = node.client()
        r.execute_command("BGREWRITEAOF")
        wait_rewrite_done(r)
        pipeline(node.port, WORKLOAD[12:])
        mine = snapshot(single(node), skip_hll=True)
        digest = r.execute_command("DEBUG", "DIGEST")
    finally:
        node.stop()
    workdir = tmp_path / "redis"
    workdir.mkdir()
    shutil.copytree(tmp_path / "appendonlydir", workdir / "appendonlydir")
    oracle = start_redis("--appendonly", "yes", "--enable-debug-command", "yes",
                         "--dir", str(workdir))
    try:
        # (entries_read: Redis 7.0's XCLAIM form of an XREADGROUP does not carry it)
        assert without_entries_read(snapshot(single(oracle), skip_hll=True)) == \
            without_entries_read(mine)
        assert oracle.client().execute_command("DEBUG", "DIGEST") == digest  # no HLL here
        if preamble == "yes":
            assert "RDB is base AOF" in oracle.log()
    finally:
        oracle.stop()


def test_rewrite_waits_for_a_running_bgsave(aof_node: ServerProcess) -> None:
    r = aof_node.client()
    pipeline(aof_node.port, [["SET", f"k{i}", "v"] for i in range(200)])
    r.config_set("rdb-key-save-delay", "2000")  # 200 keys: a BGSAVE of ~0.4 s
    assert raw(aof_node, "BGSAVE") == b"Background saving started"
    assert raw(aof_node, "BGREWRITEAOF") == b"Background append only file rewriting scheduled"
    assert r.info("persistence")["aof_rewrite_scheduled"] == 1
    r.config_set("rdb-key-save-delay", "0")
    _wait(lambda: r.info("persistence")["aof_rewrites"] == 1)
    wait_rewrite_done(r)
    assert r.info("persistence")["aof_last_bgrewrite_status"] == "ok"


def test_write_error_refuses_writes(tmp_path) -> None:
    """A write to the AOF fails (here: the file size limit): under everysec, write commands
    get -MISCONF until the AOF can be written again; under always the node exits."""
    import resource
    import signal
    import subprocess
    import sys

    from conftest import ROOT, ServerProcess as _SP, free_port

    def limited() -> None:  # runs in the child before exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    for policy in ("everysec", "always"):
        workdir = tmp_path / policy
        workdir.mkdir()
        port = free_port()
        log = open(workdir / "slotkv.log", "wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", "node", "--appendonly", "yes", "--appendfsync",
             policy, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
            cwd=workdir, stdout=log, stderr=subprocess.STDOUT, preexec_fn=limited,
            env=dict(os.environ, PYTHONPATH=ROOT))
        try:
            _wait(lambda: _answers(port), 30)
            replies = pipeline(port, [["SET", f"k{i}", "x" * 1000] for i in range(300)],
                               partial=True)
            if policy == "always":
                _wait(lambda: proc.poll() is not None)
                assert proc.returncode == 1
                text = (workdir / "slotkv.log").read_text()
                assert "Can't recover from AOF write error when the AOF fsync policy is " \
                       "'always'. Exiting..." in text
                assert sum(1 for rep in replies if rep == b"OK") < 300
            else:
                # The failing write(2) may come up to 2 s after the SETs' replies: under
                # everysec it is postponed while a background fsync is still running.
                _wait(lambda: b"aof_last_write_status:err" in pipeline(
                    port, [["INFO", "persistence"]])[0])
                err = pipeline(port, [["SET", "more", "x"]])[0]
                assert "MISCONF Errors writing to the AOF file" in str(err)
                assert pipeline(port, [["GET", "k1"]])[0] == b"x" * 1000  # reads still work
                assert pipeline(port, [["INFO", "persistence"]])[0].count(
                    b"aof_last_write_status:err") == 1
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
            log.close()


def _answers(port: int) -> bool:
    try:
        return pipeline(port, [["PING"]], timeout=1)[0] == b"PONG"
    except OSError:
        return False


# -- the rewritten base, byte for byte --------------------------------------------------------

_SCORES = ("1", "1.5", "0.1", "-0", "inf", "-inf", "1e300", "3.0000000000000004", "2.5e-10",
           "5e-324", "1e17", "123456789012345678", "-7", "1e16")
_REWRITTEN = [
    ["ZADD", "z", *[x for i, score in enumerate(_SCORES) for x in (score, f"m{i}")]],
    ["ZADD", "zbig", *[x for i in range(150) for x in (str(i / 3), f"m{i}")], "-0", "zero"],
    ["RPUSH", "l", "a", "1", "-5", "123456789012345678901", *["x"] * 70],
    ["SADD", "si", "7", "1", "-3", "100000"], ["SADD", "sbig", *[f"s{i}" for i in range(70)]],
    ["HSET", "h", "f", "v", "n", "12", "e", ""],
    ["HSET", "hbig", *[x for i in range(200) for x in (f"f{i}", f"v{i}")]],
    ["SET", "str", "v"], ["PEXPIREAT", "str", "99999999999999"], ["SET", "n", "12"],
    ["XADD", "st", "1-1", "f", "v"], ["XADD", "st", "2-5", "a", "1", "b", "2"],
    ["XGROUP", "CREATE", "st", "g", "1-1"], ["XGROUP", "CREATECONSUMER", "st", "g", "c2"],
    ["XADD", "empty", "MAXLEN", "0", "5-1", "a", "b"],
]
# Hash-table encodings: Redis writes them in its dict's (randomly seeded) order.
_UNORDERED = {b"zbig", b"sbig", b"hbig"}


def _base_commands(node: ServerProcess) -> dict[bytes, list[list[bytes]]]:
    """The commands of `node`'s base AOF by key (SELECT under b""): each key's in their order,
    or, for _UNORDERED keys, their arguments after the key, sorted."""
    from node.aof_reader import CommandReader

    base = [f for f in os.listdir(_dir(node)) if f.endswith(".base.aof")]
    assert len(base) == 1, base
    out: dict[bytes, list] = {}
    with open(os.path.join(_dir(node), base[0]), "rb") as f:
        for argv in CommandReader(f, 0):
            key = b"" if argv[0] == b"SELECT" else argv[2] if argv[0] == b"XGROUP" else argv[1]
            out.setdefault(key, []).append(argv)
    for key in _UNORDERED:
        width = 1 if out[key][0][0] == b"SADD" else 2
        args = [a for argv in out[key] for a in argv[2:]]
        out[key] = sorted(zip(*[iter(args)] * width))
    return out


def test_rewritten_base_matches_redis(start_node, start_oracle) -> None:
    """BGREWRITEAOF with aof-use-rdb-preamble no writes what Redis 7.0 writes for every type:
    scores as %.17g (1, 0.10000000000000001, 1.0000000000000001e+300, -0), an intset's
    members in numeric order, batches of 64, PEXPIREAT, the stream commands."""
    args = ("--appendonly", "yes", "--aof-use-rdb-preamble", "no")
    bases = []
    for node in (start_node(*args), start_oracle(*args)):
        pipeline(node.port, _REWRITTEN)
        r = node.client()
        r.bgrewriteaof()
        _wait(lambda: r.info("persistence")["aof_rewrites"] == 1)
        wait_rewrite_done(r)
        bases.append(_base_commands(node))
    assert bases[0] == bases[1]
