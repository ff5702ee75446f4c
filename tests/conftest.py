"""Fixtures: real slotkv nodes and a real redis-server (the oracle), on free loopback ports.

Every process a test starts is stopped by PID in teardown, even when the test fails.

- `node`      a slotkv node shared by a test module (flushed before each test via `r`)
- `oracle`    a redis-server shared by the whole session (flushed before each test via `o`)
- `r`, `o`    redis-py clients (bytes replies, RESP2) to the node and to the oracle
- `both`      a `Differential` that sends one command to both and asserts equal replies
- `both3`     the same over RESP3
- `start_node(*args)`  a factory for tests that need their own node with special settings
- `start_oracle(*args)`  the same for redis-servers
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Iterator

import pytest
import redis

from notifyhelp import EventLog

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _ephemeral_low() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


_EPHEMERAL_LOW = _ephemeral_low()
_handed_out: set[int] = set()


def free_port() -> int:
    """A port P free now whose P + 10000 (a node's replication listener and cluster bus by
    default) is free too, both below the kernel's ephemeral range.

    Below it, no outgoing connection can take either as its local port while a test stops a
    node and starts it again on the same port, nor before a new node binds them. (A port the
    kernel hands out for bind(0) is an ephemeral one: a client socket could get it, and a
    node's P + 10000 could land on another node's client port.)
    """
    return free_ports(1)


def free_ports(count: int) -> int:
    """The first of `count` consecutive ports that are each what `free_port` returns."""
    high = min(_EPHEMERAL_LOW, 65536) - 10000 - count
    for _ in range(1000):
        base = random.randrange(10000, high)
        ports = range(base, base + count)
        if _handed_out.isdisjoint(ports) and all(_free(p) and _free(p + 10000) for p in ports):
            _handed_out.update(ports)
            return base
    raise RuntimeError(f"no {count} free ports below the ephemeral range")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class ServerProcess:
    """A server process on 127.0.0.1:port, started from `argv`, stopped by its PID."""

    def __init__(self, argv: list[str], port: int, workdir: str, log_name: str) -> None:
        self.port = port
        self.workdir = workdir
        self.log_path = os.path.join(workdir, log_name)
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, PYTHONPATH=ROOT)
        self.proc = subprocess.Popen(argv, cwd=workdir, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=env)
        self.pid = self.proc.pid
        self._wait_ready()

    def _wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not come up on port {self.port}:\n{self.log()}")

    def log(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def client(self, **kwargs: Any) -> redis.Redis:
        """A redis-py client; RESP2 unless `protocol=3` is asked for (redis-py 8 defaults to 3)."""
        kwargs.setdefault("protocol", 2)
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


def start_slotkv(*args: str, workdir: str | None = None, port: int | None = None) -> ServerProcess:
    """A slotkv node; `args` as for `slotkv node` (an optional config file, then --flags).

    Like the oracle, it runs without save points (`--save ""` ahead of `args`, which may set
    their own) in a directory of its own."""
    port = port or free_port()
    workdir = workdir or tempfile.mkdtemp(prefix="slotkv-test-")
    conf, flags = (list(args[:1]), list(args[1:])) if args and not args[0].startswith("--") \
        else ([], list(args))
    argv = [sys.executable, "-m", "ops.cli", "node", *conf, "--save", "", *flags,
            "--port", str(port), "--bind", "127.0.0.1"]
    return ServerProcess(argv, port, workdir, "slotkv.log")


def start_redis(*args: str) -> ServerProcess:
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="redis-oracle-")
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    argv = [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", workdir, *args]
    return ServerProcess(argv, port, workdir, "redis.log")


@pytest.fixture(scope="module")
def node() -> Iterator[ServerProcess]:
    proc = start_slotkv()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def oracle() -> Iterator[ServerProcess]:
    proc = start_redis()
    yield proc
    proc.stop()


def debug_servers() -> tuple[Any, Any]:
    """`node` and `oracle` fixtures started with `--enable-debug-command yes`, module-scoped,
    for a module whose tests compare DEBUG DIGEST, DIGEST-VALUE, OBJECT...: the module takes
    them as its own with `node, oracle = debug_servers()` (the defaults keep DEBUG refused)."""

    @pytest.fixture(scope="module", name="node")
    def debug_node() -> Iterator[ServerProcess]:
        proc = start_slotkv("--enable-debug-command", "yes")
        yield proc
        proc.stop()

    @pytest.fixture(scope="module", name="oracle")
    def debug_oracle() -> Iterator[ServerProcess]:
        proc = start_redis("--enable-debug-command", "yes")
        yield proc
        proc.stop()

    return debug_node, debug_oracle


@pytest.fixture
def r(node: ServerProcess) -> Iterator[redis.Redis]:
    client = node.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def o(oracle: ServerProcess) -> Iterator[redis.Redis]:
    client = oracle.client()
    client.flushall()
    yield client
    client.close()


def server_pair(*args: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """A slotkv node and a redis-server started with the same directives, for a fixture to
    yield from; both are stopped afterwards, the first also when the second fails to start."""
    mine = start_slotkv(*args)
    try:
        theirs = start_redis(*args)
    except BaseException:
        mine.stop()
        raise
    try:
        yield mine, theirs
    finally:
        mine.stop()
        theirs.stop()


@pytest.fixture(scope="module")
def aof_pair() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """A slotkv node and a redis-server logging every write to their AOF at once (see
    aofhelp.aof_logged)."""
    yield from server_pair("--appendonly", "yes", "--appendfsync", "always")


def _factory(start: Callable[..., ServerProcess]) -> Iterator[Callable[..., ServerProcess]]:
    """`start`, remembering what it started so that teardown stops it by PID."""
    started: list[ServerProcess] = []

    def factory(*args: str, **kwargs: Any) -> ServerProcess:
        proc = start(*args, **kwargs)
        started.append(proc)
        return proc

    yield factory
    for proc in started:
        proc.stop()


@pytest.fixture
def start_node() -> Iterator[Callable[..., ServerProcess]]:
    yield from _factory(start_slotkv)


@pytest.fixture
def start_oracle() -> Iterator[Callable[..., ServerProcess]]:
    yield from _factory(start_redis)


def wait_until(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition",
               interval: float = 0.02) -> Any:
    """Poll `check` until it returns something true, and return that; an AssertionError
    naming `what` (and the last value or error) after `timeout` seconds. A redis-py
    connection or response error counts as not yet: servers come and go in these tests."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = check()
        except (redis.ConnectionError, redis.ResponseError) as e:
            last = e
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def reply_of(client: redis.Redis, *args: Any) -> Any:
    """A raw reply (no redis-py response callbacks), or ("error", message) for an error."""
    try:
        conn = client.connection_pool.get_connection()
        try:
            conn.send_command(*args)
            return conn.read_response()
        finally:
            client.connection_pool.release(conn)
    except redis.ResponseError as e:
        return ("error", str(e))


def make_non_string(r: redis.Redis, o: redis.Redis, key: str = "w") -> bool:
    """Create a non-string `key` on both servers with whichever type the node supports yet;
    False if it supports none (tests of WRONGTYPE paths then skip)."""
    for cmd in (("RPUSH", key, "x"), ("SADD", key, "x"), ("HSET", key, "f", "v"),
                ("ZADD", key, "1", "x")):
        if not isinstance(reply_of(r, *cmd), tuple):
            reply_of(o, *cmd)
            return True
    return False


class Differential:
    """Send the same command to slotkv and redis-server and compare the raw replies."""

    def __init__(self, r: redis.Redis, o: redis.Redis) -> None:
        self.r, self.o = r, o

    def __call__(self, *args: Any, unordered: bool = False) -> Any:
        mine, theirs = reply_of(self.r, *args), reply_of(self.o, *args)
        if unordered and isinstance(mine, list) and isinstance(theirs, list):
            assert sorted(map(repr, mine)) == sorted(map(repr, theirs)), args
        else:
            assert mine == theirs, f"{args!r}: slotkv={mine!r} redis={theirs!r}"
        return mine

    def run(self, *commands: tuple) -> None:
        for cmd in commands:
            self(*cmd)

    def same_changes(self, *commands: tuple, compare_replies: bool = True) -> None:
        """Run each command on both servers and check that it moved rdb_changes_since_last_save
        (Redis's server.dirty) by as much on each. Without `compare_replies`, only the replies'
        lengths are compared (random picks, such as SPOP's)."""
        def changes(client: redis.Redis) -> int:
            return client.info("persistence")["rdb_changes_since_last_save"]

        for cmd in commands:
            before = changes(self.r), changes(self.o)
            if compare_replies:
                self(*cmd)
            else:
                assert len(reply_of(self.r, *cmd) or "") == len(reply_of(self.o, *cmd) or ""), cmd
            mine, theirs = changes(self.r) - before[0], changes(self.o) - before[1]
            assert mine == theirs, f"{cmd}: slotkv {mine}, redis {theirs}"

    def same_events(self, *commands: tuple, classes: str = "KEA", compare_replies: bool = True,
                    unordered: bool = False) -> list[tuple[bytes, bytes]]:
        """Run each command on both servers with `notify-keyspace-events classes` and check
        that each published the same keyspace notifications, in the same order (any order
        with `unordered`: the active expiry cycle's); the events. Without `compare_replies`,
        replies are not compared (random picks)."""
        logs = []
        try:
            for client in (self.r, self.o):
                client.config_set("notify-keyspace-events", classes)
                logs.append(EventLog(client))
            events = []
            for cmd in commands:
                if compare_replies:
                    self(*cmd)
                else:
                    reply_of(self.r, *cmd)
                    reply_of(self.o, *cmd)
                mine, theirs = logs[0].drain(), logs[1].drain()
                if unordered:
                    mine, theirs = sorted(mine), sorted(theirs)
                assert mine == theirs, f"{cmd}: slotkv {mine}, redis {theirs}"
                events += mine
            return events
        finally:
            for log in logs:
                log.close()
            for client in (self.r, self.o):
                client.config_set("notify-keyspace-events", "")

    def same_effects(self, *commands: tuple, classes: str = "KEA") -> None:
        """Run each command once on both servers and check every effect of it at once: the
        reply and keyspace events (as `same_events`), and how far it moved expired_keys and
        rdb_changes_since_last_save (server.dirty, which decides what is propagated)."""
        def counters(client: redis.Redis) -> tuple[int, int]:
            return (client.info("stats")["expired_keys"],
                    client.info("persistence")["rdb_changes_since_last_save"])

        for cmd in commands:
            before = counters(self.r), counters(self.o)
            self.same_events(cmd, classes=classes)
            mine, theirs = ([a - b for a, b in zip(counters(c), was)]
                            for c, was in zip((self.r, self.o), before))
            assert mine == theirs, f"{cmd}: [expired, changes] slotkv {mine}, redis {theirs}"

    def store_past_deadline(self, setup: tuple[tuple, ...], store: tuple, key: str = "d",
                            classes: str = "KEA") -> None:
        """`store` (a STORE command) writes `key`, which `setup` created, once `key` is past its
        deadline but still stored: the same effects (`same_effects`) and the same dataset after.
        The active expiry is stopped meanwhile (DEBUG: `debug_servers`), so only the command's
        own lookups can expire `key`."""
        self.run(("DEBUG", "SET-ACTIVE-EXPIRE", "0"))
        try:
            # (20 ms, not 1: under load redis-server can be preempted for over 1 ms between its
            # two clock reads in PEXPIRE, and then deletes the key as already expired.)
            self.run(*setup)
            assert self("PEXPIRE", key, "20") == 1
            time.sleep(0.05)
            self.same_effects(store, classes=classes)
            self.run(("EXISTS", key), ("TYPE", key), ("PTTL", key), ("DBSIZE",),
                     ("DEBUG", "DIGEST"))
        finally:
            self.run(("DEBUG", "SET-ACTIVE-EXPIRE", "1"))


@pytest.fixture
def both(r: redis.Redis, o: redis.Redis) -> Differential:
    return Differential(r, o)


@pytest.fixture
def both3(node: ServerProcess, oracle: ServerProcess) -> Iterator[Differential]:
    """Like `both`, over RESP3 connections."""
    r3, o3 = node.client(protocol=3), oracle.client(protocol=3)
    r3.flushall()
    o3.flushall()
    yield Differential(r3, o3)
    r3.close()
    o3.close()
