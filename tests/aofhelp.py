"""Helpers shared by the AOF tests: dataset snapshots to compare, hard kills, AOF directories."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from typing import Any

import redis

from conftest import ServerProcess, reply_of, start_redis, wait_until
from node.aof_reader import CommandReader

DBS = 3  # the databases the tests write to


def _pairs(flat: Any) -> dict:
    return flat if isinstance(flat, dict) else dict(zip(flat[::2], flat[1::2]))


def _stream_state(conn: redis.Redis, key: bytes) -> Any:
    """XINFO STREAM FULL, without what legitimately differs after a reload: the radix tree's
    shape and consumers' seen/active times."""
    info = _pairs(conn.execute_command("XINFO", "STREAM", key, "FULL", "COUNT", "0"))
    for field in (b"radix-tree-keys", b"radix-tree-nodes"):
        info.pop(field, None)
    groups = []
    for g in info.pop(b"groups", []) or []:
        g = _pairs(g)
        consumers = []
        for c in g.pop(b"consumers", []) or []:
            c = _pairs(c)
            for field in (b"seen-time", b"active-time"):
                c.pop(field, None)
            consumers.append(sorted(c.items()))
        g[b"consumers"] = consumers
        groups.append(sorted(g.items()))
    info[b"groups"] = groups
    return sorted(info.items())


def snapshot(conn: redis.Redis, skip_hll: bool = False) -> dict:
    """Every key of the first DBS databases: type, absolute expiry, value digest (and the
    full stream state, which Redis's digest leaves out). `conn` must be single-connection.

    `skip_hll` leaves HyperLogLogs out: slotkv hashes elements with mmh3, so an HLL built by
    replaying PFADDs has other registers than the same HLL built by redis-server."""
    out: dict = {}
    try:
        for db in range(DBS):
            conn.execute_command("SELECT", db)
            for key in sorted(conn.execute_command("KEYS", "*")):
                kind = conn.execute_command("TYPE", key)
                if (skip_hll and kind == b"string"
                        and conn.execute_command("GETRANGE", key, 0, 3) == b"HYLL"):
                    continue
                entry: list = [kind, conn.execute_command("PEXPIRETIME", key),
                               conn.execute_command("DEBUG", "DIGEST-VALUE", key)]
                if kind == b"stream":
                    entry.append(_stream_state(conn, key))
                out[(db, key)] = entry
    finally:
        conn.execute_command("SELECT", 0)
    return out


def without_entries_read(snap: dict) -> dict:
    """`snapshot` without what Redis 7.0's own propagation of consumer groups does not carry:
    a group's entries-read (and the lag that follows from it), which the XCLAIM ... LASTID an
    XREADGROUP is logged as leaves unknown after a reload or on a replica, in Redis as here.
    (Nor is a history read's new delivery count logged: test_streams compares that.)"""
    out = {}
    for key, entry in snap.items():
        if entry[0] == b"stream":
            info = [(field, [[(f, v) for f, v in group if f not in (b"entries-read", b"lag")]
                             for group in value]) if field == b"groups" else (field, value)
                    for field, value in entry[3]]
            entry = [*entry[:3], info]
        out[key] = entry
    return out


def pipeline(port: int, commands: list[list[Any]], timeout: float = 30.0,
             partial: bool = False) -> list[Any]:
    """Send `commands` on a fresh connection as one pipeline; their raw replies (errors as
    hiredis.ReplyError values), with no client library interpreting anything. With `partial`,
    a connection the server drops ends the list early instead of raising."""
    import socket

    import hiredis

    reader = hiredis.Reader()
    replies: list[Any] = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"".join(hiredis.pack_command(tuple(c)) for c in commands))
            while len(replies) < len(commands):
                data = sock.recv(1 << 16)
                if not data:
                    raise ConnectionError("server closed the connection")
                reader.feed(data)
                while (reply := reader.gets()) is not False:
                    replies.append(reply)
    except OSError:
        if not partial:
            raise
    return replies


def single(proc: ServerProcess) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=proc.port, protocol=2, single_connection_client=True,
                       socket_timeout=30)


def kill9(proc: ServerProcess) -> None:
    """A crash: SIGKILL, no chance to flush anything."""
    if proc.proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.proc.wait(timeout=10)
    proc._log.close()


def wait_rewrite_done(conn: redis.Redis, timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = conn.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            return
        time.sleep(0.02)
    raise AssertionError("AOF rewrite did not finish")


def redis_on_aof(aof_dir: str, *args: str) -> ServerProcess:
    """A redis-server that loads a copy of `aof_dir` (an AOF directory) at start."""
    import tempfile

    workdir = tempfile.mkdtemp(prefix="redis-aof-")
    shutil.copytree(aof_dir, os.path.join(workdir, "appendonlydir"))
    return start_redis("--dir", workdir, "--appendonly", "yes", "--enable-debug-command", "yes",
                       *args)


def check_aof(*args: str) -> subprocess.CompletedProcess:
    """`slotkv check-aof ...`, as a user runs it."""
    import sys

    from conftest import ROOT

    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "ops.cli", "check-aof", *args], env=env,
                          capture_output=True, text=True, timeout=60, input="y\n")


def incr_aof(proc: ServerProcess) -> str:
    """The path of the newest incremental AOF file of `proc` (the one appended to now)."""
    d = os.path.join(proc.workdir, "appendonlydir")
    incrs = [f for f in os.listdir(d) if f.endswith(".incr.aof")]
    return os.path.join(d, max(incrs, key=lambda f: int(f.split(".")[-3])))


def aof_logged(pair: tuple[ServerProcess, ServerProcess],
               commands: list[tuple | float]) -> list[list[list[bytes]]]:
    """What running `commands` appends to each server's AOF (SELECT left out), for the
    `aof_pair` fixture's slotkv node and redis-server. A number among `commands` is a pause,
    in seconds (for a TTL to pass)."""
    import time

    out = []
    for proc in pair:
        path = incr_aof(proc)
        start = os.path.getsize(path)
        client = proc.client()
        client.flushall()
        for cmd in commands:
            if isinstance(cmd, (int, float)):
                time.sleep(cmd)
            else:
                reply_of(client, *cmd)
        client.set("aof-marker", "1")  # the last write: all before it is in the file too
        client.close()

        def read() -> Any:  # (FLUSHALL first: never empty once the marker is there)
            with open(path, "rb") as f:
                f.seek(start)
                argvs = [a for a in CommandReader(f, start) if a[0].upper() != b"SELECT"]
            return argvs[:-1] if argvs and argvs[-1][1:2] == [b"aof-marker"] else None

        out.append(wait_until(read, what="the AOF"))
    return out
