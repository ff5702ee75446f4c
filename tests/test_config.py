"""CONFIG GET/SET/RESETSTAT/REWRITE/HELP against redis-server 7.0.15.

Defaults are compared on a fresh node and a fresh redis-server started with nothing but a port
and an address; errors, pattern matching and rewritten files are compared command by command.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ServerProcess, free_port, reply_of

# Set by the test harness (or by the way a process is started), so they differ by design.
HARNESS = {"dir", "port", "bind", "pidfile", "logfile", "save", "daemonize", "appendonly"}


def as_map(reply: Any) -> dict:
    if isinstance(reply, dict):
        return reply
    assert isinstance(reply, list), reply
    return dict(zip(reply[::2], reply[1::2]))


def bare_redis() -> ServerProcess:
    """A redis-server with every default except its port and address."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="redis-defaults-")
    argv = [shutil.which("redis-server") or "redis-server", "--port", str(port),
            "--bind", "127.0.0.1"]
    return ServerProcess(argv, port, workdir, "redis.log")


@pytest.fixture
def fresh(start_node: Any) -> Any:
    """A fresh slotkv node and a fresh default redis-server: (node client, redis client)."""
    theirs = bare_redis()
    mine = start_node()
    yield mine.client(), theirs.client()
    theirs.stop()


def test_defaults_match_redis(fresh: Any) -> None:
    from node.config import DIRECTIVES

    mine, theirs = fresh
    a = as_map(reply_of(mine, "CONFIG", "GET", "*"))
    b = as_map(reply_of(theirs, "CONFIG", "GET", "*"))
    # slotkv's own directives, and defaults slotkv changes on purpose (node/config.py says why).
    own = {name.encode() for name, d in DIRECTIVES.items() if d.slotkv_only}
    assert own <= set(a)
    a = {k: v for k, v in a.items() if k not in own}
    for name, d in DIRECTIVES.items():
        if d.redis_default is not None and name.encode() in a:
            assert a[name.encode()] == d.format(d.default).encode()
            a[name.encode()] = d.format(d.redis_default).encode()
    assert set(a) == set(b)
    diffs = {k: (a[k], b[k]) for k in b if a[k] != b[k] and k.decode() not in HARNESS}
    assert diffs == {}


def test_benchmark_probes(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    # redis-benchmark reads these two at start and wants a [name, value] array.
    assert both("CONFIG", "GET", "save") == [b"save", b""]
    assert both("CONFIG", "GET", "appendonly") == [b"appendonly", b"no"]


@pytest.mark.parametrize("patterns", [
    ("maxclients",), ("MAXCLIENTS",), ("maxclients", "MAXCLIENTS"), ("MAXCLIENTS", "maxclients"),
    ("maxc*", "MAXCLIENTS"), ("MAXCLIENTS", "maxc*"), ("slave-read-only",), ("*slave*",),
    ("*max*entries*",), ("nosuch",), ("hash-max-*",), ("lua-time-limit",), ("*",),
    ("slave-read-onl?", "replica-read-only"), ("[lm]axmemory*",), ("*-*-*-*",), ("hz", "HZ"),
])
def test_get_patterns(r: redis.Redis, o: redis.Redis, patterns: tuple) -> None:
    from node.config import DIRECTIVES

    mine = as_map(reply_of(r, "CONFIG", "GET", *patterns))
    theirs = as_map(reply_of(o, "CONFIG", "GET", *patterns))
    for name, d in DIRECTIVES.items():  # slotkv's own, and defaults it changes on purpose
        if d.slotkv_only:
            mine.pop(name.encode(), None)
        elif d.redis_default is not None and name.encode() in mine:
            mine[name.encode()] = theirs.get(name.encode(), b"?")
    for k in list(theirs):
        if k.decode().lower() in HARNESS:
            mine.pop(k, None)
            theirs.pop(k)
    assert mine == theirs


def test_get_dir_is_cwd(r: redis.Redis, node: ServerProcess) -> None:
    value = as_map(reply_of(r, "CONFIG", "GET", "dir"))[b"dir"].decode()
    assert os.path.isabs(value)
    assert os.path.realpath(value) == os.path.realpath(node.workdir)


SET_CASES = [
    ("maxclients", "abc"), ("maxclients", "0"), ("nosuch", "1"), ("maxclients", "10", "nosuch", "1"),
    ("maxclients", "10", "maxclients", "20"), ("maxclients", "10", "MAXCLIENTS", "20"),
    ("maxclients", "10", "timeout"), ("loglevel", "foo"), ("protected-mode", "maybe"),
    ("save", "1"), ("save", "abc"), ("proto-max-bulk-len", "10"), ("slowlog-log-slower-than", "-5"),
    ("maxmemory", "1x"), ("maxmemory", "-1"), ("client-output-buffer-limit", "foo"),
    ("client-output-buffer-limit", "normal 1 2"), ("client-output-buffer-limit", "master 1 2 3"),
    ("client-output-buffer-limit", "normal 1 2 x"), ("client-output-buffer-limit", "normal 1x 2 3"),
    ("latency-tracking-info-percentiles", "200"), ("latency-tracking-info-percentiles", "abc"),
    ("latency-tracking-info-percentiles", " 50"), ("hz", "-1"), ("daemonize", "yes"),
    ("databases", "5"), ("timeout", "5", "databases", "5"),
    ("timeout", "6", "databases", "5", "nosuch", "4"), ("nosuch", "4", "databases", "5"),
    ("timeout", "7", "maxclients", "abc"), ("maxclients", "abc", "timeout", "7"),
    ("oom-score-adj-values", "1 2"), ("oom-score-adj-values", "a b c"),
    ("oom-score-adj-values", "3000 0 0"), ("maxmemory-policy", "foo"), ("appendfsync", "sometimes"),
    ("slave-read-only", "no", "slave-read-only", "yes"), ("timeout", "+5"), ("timeout", "007"),
    ("timeout", "-0"), ("timeout", "1.5"), ("timeout", "99999999999999999999"),
    ("proto-max-bulk-len", "-1"), ("proto-max-bulk-len", "1.5mb"), ("proto-max-bulk-len", "1 k"),
    ("maxmemory-clients", "101%"), ("maxmemory-clients", "%"), ("maxmemory-clients", "-1"),
    ("notify-keyspace-events", "bogus"), ("proc-title-template", "{nope}"),
    ("proc-title-template", "{title}"), ("cluster-announce-hostname", "a b"),
    ("oom-score-adj", "bogus"), ("tls-auth-clients", "bogus"), ("dir", "/tmp"),
    ("enable-debug-command", "yes"), ("socket-mark-id", "1"), ("activedefrag", "yes"),
    ("maxmemory-samples", "0"), ("repl-backlog-ttl", "-1"), ("list-max-listpack-size", "x"),
    ("hash-max-listpack-value", "1.5"), ("zset-max-ziplist-value", "-1"),
]


@pytest.mark.parametrize("args", SET_CASES)
def test_set_errors(r: redis.Redis, o: redis.Redis, both: Any, args: tuple) -> None:
    reply = both("CONFIG", "SET", *args)
    assert isinstance(reply, tuple) and reply[0] == "error", reply


def test_features_not_built_accept_only_their_default(r: redis.Redis) -> None:
    # A setting that would change replies slotkv cannot give is refused, not ignored.
    with pytest.raises(redis.ResponseError, match="cannot be changed"):
        r.config_set("tls-port", "6380")
    assert r.config_set("tls-port", "0") is True
    assert r.config_get("tls-port") == {"tls-port": "0"}


# (name, value) pairs both servers accept; each is restored after the test.
ACCEPTED = [
    ("timeout", "5"), ("hz", "1000"), ("hz", "0"), ("maxmemory-clients", "10%"),
    ("maxmemory-clients", "1kb"), ("notify-keyspace-events", "KEA"),
    ("notify-keyspace-events", "An"), ("notify-keyspace-events", "Ex$"),
    ("latency-tracking-info-percentiles", "99.99999 0.0001 50.5 0 100"),
    ("latency-tracking-info-percentiles", "1e2 1.5e1"), ("latency-tracking-info-percentiles", ""),
    ("oom-score-adj-values", " 1 2"), ("oom-score-adj-values", "+5 0 -7"),
    ("client-output-buffer-limit", "normal 1mb 2gb 3"), ("client-output-buffer-limit", ""),
    ("client-output-buffer-limit", "pubsub 1 2 3 slave 4 5 6"), ("proto-max-bulk-len", "1024kb"),
    ("proto-max-bulk-len", "007mb"), ("hash-max-listpack-value", "1kb"), ("loglevel", "VERBOSE"),
    ("protected-mode", "NO"), ("proc-title-template", "{{ {port} }}"),
    ("cluster-announce-hostname", "a-b.c"), ("list-max-listpack-size", "-2147483648"),
    ("maxmemory-samples", "100"), ("repl-backlog-ttl", "9223372036854775807"),
    ("slave-read-only", "yes", "replica-read-only", "yes"), ("lua-time-limit", "100"),
    ("hash-max-ziplist-entries", "7"), ("oom-score-adj", "relative"), ("tls-auth-clients", "optional"),
]


@pytest.mark.parametrize("args", ACCEPTED)
def test_set_then_get(r: redis.Redis, o: redis.Redis, both: Any, args: tuple) -> None:
    names = list(args[::2])
    before = as_map(reply_of(o, "CONFIG", "GET", *names))
    try:
        assert both("CONFIG", "SET", *args) == b"OK"
        assert as_map(reply_of(r, "CONFIG", "GET", *names)) == as_map(
            reply_of(o, "CONFIG", "GET", *names))
    finally:
        for k, v in before.items():
            both("CONFIG", "SET", k, v)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(
    st.sampled_from(["timeout", "hz", "tcp-keepalive", "maxmemory-policy", "lfu-log-factor",
                     "hash-max-listpack-entries", "zset-max-listpack-value", "slowlog-max-len",
                     "active-expire-effort", "lazyfree-lazy-expire", "maxmemory-clients",
                     "notify-keyspace-events", "list-max-listpack-size", "HZ"]),
    st.sampled_from(["0", "1", "-1", "10", "yes", "no", "1kb", "5%", "allkeys-lru", "KEA",
                     "+1", "", "99999999999999999999", "300", "-3", "gx"])), min_size=1, max_size=3))
def test_set_sequences(r: redis.Redis, o: redis.Redis, pairs: list) -> None:
    names = sorted({n.lower() for n, _ in pairs})
    before = as_map(reply_of(o, "CONFIG", "GET", *names))
    try:
        args = [x for pair in pairs for x in pair]
        assert reply_of(r, "CONFIG", "SET", *args) == reply_of(o, "CONFIG", "SET", *args)
        assert as_map(reply_of(r, "CONFIG", "GET", *names)) == as_map(
            reply_of(o, "CONFIG", "GET", *names))
    finally:
        for k, v in before.items():
            reply_of(r, "CONFIG", "SET", k, v)
            reply_of(o, "CONFIG", "SET", k, v)


def test_set_is_atomic(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    both("CONFIG", "SET", "timeout", "0")
    assert both("CONFIG", "SET", "timeout", "9", "maxclients", "abc")[0] == "error"
    assert both("CONFIG", "GET", "timeout") == [b"timeout", b"0"]


def test_failed_apply_rolls_back(start_node: Any) -> None:
    n = start_node("--enable-protected-configs", "yes")
    c = n.client()
    missing = os.path.join(n.workdir, "does-not-exist")
    reply = reply_of(c, "CONFIG", "SET", "timeout", "9", "dir", missing)
    assert reply == ("error", "CONFIG SET failed (possibly related to argument 'dir') - "
                     "No such file or directory")
    assert reply_of(c, "CONFIG", "GET", "timeout") == [b"timeout", b"0"]
    sub = os.path.join(n.workdir, "sub")
    os.mkdir(sub)
    assert reply_of(c, "CONFIG", "SET", "dir", sub) == b"OK"
    got = reply_of(c, "CONFIG", "GET", "dir")[1].decode()
    assert os.path.realpath(got) == os.path.realpath(sub)


def test_sensitive_values_are_redacted(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    try:
        both("CONFIG", "SET", "slowlog-log-slower-than", "0")
        both("SLOWLOG", "RESET")
        both("CONFIG", "SET", "requirepass", "", "timeout", "0")
        mine = reply_of(r, "SLOWLOG", "GET", "1")[0][3]
        theirs = reply_of(o, "SLOWLOG", "GET", "1")[0][3]
        assert mine == theirs == [b"CONFIG", b"SET", b"requirepass", b"(redacted)", b"timeout", b"0"]
    finally:
        both("CONFIG", "SET", "slowlog-log-slower-than", "10000")


def test_resetstat(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    for c in (r, o):
        c.set("k", "v")
        c.get("k")
        c.get("missing")
        reply_of(c, "NOSUCHCOMMAND")
    both("CONFIG", "RESETSTAT")
    for c in (r, o):
        info = c.info("everything")
        assert info["keyspace_hits"] == info["keyspace_misses"] == 0
        assert info["total_error_replies"] == 0
        stats = [k for k in info if k.startswith("cmdstat_")]
        assert stats == ["cmdstat_config|resetstat"], stats
        lat = [k for k in info if k.startswith("latency_percentiles_usec_")]
        assert lat == ["latency_percentiles_usec_config|resetstat"], lat


def test_help_and_arity(both: Any) -> None:
    both("CONFIG", "HELP")
    both("CONFIG")
    both("CONFIG", "GET")
    both("CONFIG", "SET", "timeout")
    both("CONFIG", "FOO")
    both("CONFIG", "RESETSTAT", "x")
    both("CONFIG", "REWRITE", "x")
    both("CONFIG", "HELP", "x")
    both("CONFIG", "REWRITE")  # neither runs from a config file


def test_command_info_matches(r: redis.Redis, o: redis.Redis) -> None:
    def norm(entry: list) -> list:
        entry = list(entry)
        entry[2] = sorted(entry[2])
        entry[6] = sorted(entry[6])
        entry[9] = sorted(norm(s) for s in entry[9])
        return entry

    for name in ("config", "info", "slowlog", "latency"):
        assert norm(reply_of(r, "COMMAND", "INFO", name)[0]) == norm(
            reply_of(o, "COMMAND", "INFO", name)[0])


# -- CONFIG REWRITE --------------------------------------------------------------------------

INITIAL = """# my config
maxclients 100
timeout 0

# comment
maxclients 200
hz 10
slave-read-only yes
"""
CHANGES = [("timeout", "5"), ("loglevel", "verbose"), ("latency-tracking-info-percentiles", "50 99.99"),
           ("client-output-buffer-limit", "normal 1mb 2mb 3"), ("client-output-buffer-limit", "pubsub 4 5 6"),
           ("notify-keyspace-events", "KEA"), ("maxmemory-clients", "5%"),
           ("requirepass", 'a b"c\\'), ("hash-max-listpack-value", "2kb"), ("hz", "20")]


def _rewritten(proc: ServerProcess, path: str) -> list[str]:
    c = proc.client()
    for name, value in CHANGES:
        assert reply_of(c, "CONFIG", "SET", name, value) == b"OK", name
    c = proc.client(password='a b"c\\')
    assert reply_of(c, "CONFIG", "REWRITE") == b"OK"
    with open(path) as f:
        return f.read().split("\n")


def test_rewrite_like_redis(start_node: Any, tmp_path: Any) -> None:
    mine_path, theirs_path = tmp_path / "slotkv.conf", tmp_path / "redis.conf"
    mine_path.write_text(INITIAL)
    theirs_path.write_text(INITIAL)
    port = free_port()
    theirs = ServerProcess([shutil.which("redis-server") or "redis-server", str(theirs_path),
                            "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
                           port, str(tmp_path),
                           "redis.log")
    try:
        b = _rewritten(theirs, str(theirs_path))
    finally:
        theirs.stop()
    a = _rewritten(start_node(str(mine_path)), str(mine_path))
    sig = "# Generated by CONFIG REWRITE"
    # The file's own lines are rewritten in place identically...
    assert a[:a.index(sig)] == b[:b.index(sig)]
    # ... and the appended settings are the same (in Redis's hash order there; ACL users and
    # the harness's port/bind/dir aside).
    skip = ("user ", "port ", "bind ", "dir ")
    tail_a = sorted(x for x in a[a.index(sig):] if not x.startswith(skip))
    tail_b = sorted(x for x in b[b.index(sig):] if not x.startswith(skip))
    assert tail_a == tail_b
    assert any(x.startswith("dir ") for x in a)


def test_rewrite_round_trip(start_node: Any, tmp_path: Any) -> None:
    path = tmp_path / "node.conf"
    path.write_text("# slotkv test\ntimeout 1\n")
    n = start_node(str(path))
    c = n.client()
    assert reply_of(c, "CONFIG", "SET", "timeout", "0", "maxclients", "321",
                    "notify-keyspace-events", "Ex", "latency-tracking-info-percentiles", "") == b"OK"
    assert reply_of(c, "CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 2mb 3") == b"OK"
    assert reply_of(c, "CONFIG", "REWRITE") == b"OK"
    text = path.read_text()
    assert text.startswith("# slotkv test\ntimeout 0\n"), text
    port = n.port
    n.stop()
    again = start_node(str(path), port=port)
    c = again.client()
    got = as_map(reply_of(c, "CONFIG", "GET", "timeout", "maxclients", "notify-keyspace-events",
                          "latency-tracking-info-percentiles", "client-output-buffer-limit"))
    assert got == {
        b"timeout": b"0", b"maxclients": b"321", b"notify-keyspace-events": b"xE",
        b"latency-tracking-info-percentiles": b"",
        b"client-output-buffer-limit": b"normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 2097152 3",
    }


def _under_open_files_limit(limit: int, argv: list[str], port: int, name: str) -> ServerProcess:
    # prlimit execs the server itself, so the PID stopped is the server's.
    return ServerProcess(["prlimit", f"--nofile={limit}:{limit}", "--", *argv], port,
                         tempfile.mkdtemp(prefix="nofile-"), name)


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs prlimit (util-linux)")
def test_maxclients_fits_the_open_files_limit() -> None:
    # maxclients needs that many descriptors and 32 more: at start a limit that cannot be
    # raised lowers it (to 512 - 32), and CONFIG SET refuses what does not fit, as Redis.
    servers = []
    try:
        for argv, name in (
            ([sys.executable, "-m", "ops.cli", "node", "--save", ""], "slotkv.log"),
            ([shutil.which("redis-server") or "redis-server", "--save", ""], "redis.log"),
        ):
            port = free_port()
            servers.append(_under_open_files_limit(
                512, [*argv, "--port", str(port), "--bind", "127.0.0.1",
                      "--maxclients", "1000"], port, name))
        replies = []
        for server in servers:
            c = server.client()
            replies.append((c.config_get("maxclients"),
                            reply_of(c, "CONFIG", "SET", "maxclients", "10000"),
                            c.config_get("maxclients"),
                            reply_of(c, "CONFIG", "SET", "maxclients", "100"),
                            c.config_get("maxclients")))
            c.close()
        assert replies[0] == replies[1]
        assert replies[0][0] == {"maxclients": "480"}
        assert "try with 480" in str(replies[0][1])
        assert "reduced to 480" in servers[0].log()
    finally:
        for server in servers:
            server.stop()
