"""MIGRATE against redis-server's: slotkv migrating to a slotkv target and redis-server to a
redis-server target, the same commands, the same replies, the same data arriving; and across
(slotkv to redis-server and back), since the payloads are Redis's DUMP format."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import redis

from conftest import ServerProcess, reply_of, server_pair


@pytest.fixture(scope="module")
def targets() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    yield from server_pair("--requirepass", "sesame")


class Pair:
    """One command to slotkv (migrating to its slotkv target) and to redis-server (to its
    redis target), with `{port}` in the arguments standing for the right target port."""

    def __init__(self, r: redis.Redis, o: redis.Redis, targets: tuple[ServerProcess, ServerProcess]):
        self.sources = (r, o)
        self.ports = (targets[0].port, targets[1].port)
        self.dests = tuple(t.client(password="sesame") for t in targets)

    def __call__(self, *args: Any) -> Any:
        replies = []
        for source, port in zip(self.sources, self.ports):
            replies.append(reply_of(source, *(str(port) if a == "{port}" else a for a in args)))
        assert replies[0] == replies[1], f"{args}: slotkv={replies[0]!r} redis={replies[1]!r}"
        return replies[0]

    def dest(self, *args: Any) -> Any:
        replies = [reply_of(d, *args) for d in self.dests]
        assert replies[0] == replies[1], f"{args}: slotkv={replies[0]!r} redis={replies[1]!r}"
        return replies[0]

    def source(self, *args: Any) -> Any:
        replies = [reply_of(s, *args) for s in self.sources]
        assert replies[0] == replies[1], f"{args}: slotkv={replies[0]!r} redis={replies[1]!r}"
        return replies[0]


@pytest.fixture
def pair(r: redis.Redis, o: redis.Redis, targets: tuple[ServerProcess, ServerProcess]) -> Pair:
    p = Pair(r, o, targets)
    for d in p.dests:
        d.flushall()
    return p


AUTH = ("AUTH", "sesame")


def test_one_key_and_nokey(pair: Pair) -> None:
    pair.source("SET", "k", "v")
    pair.source("PEXPIRE", "k", "100000")
    assert pair("MIGRATE", "127.0.0.1", "{port}", "k", "0", "5000", *AUTH) == b"OK"
    assert pair.source("EXISTS", "k") == 0
    assert pair.dest("GET", "k") == b"v"
    assert 0 < reply_of(pair.dests[0], "PTTL", "k") <= 100000
    assert pair("MIGRATE", "127.0.0.1", "{port}", "k", "0", "5000", *AUTH) == b"NOKEY"


def test_many_keys_every_type_copy_replace_and_db(pair: Pair) -> None:
    pair.source("RPUSH", "l", "a", "b")
    pair.source("HSET", "h", "f", "v")
    pair.source("ZADD", "z", "1", "m")
    pair.source("SADD", "s", "x")
    pair.source("XADD", "x", "1-1", "f", "v")
    pair.source("SET", "n", "12")
    keys = ("l", "h", "z", "s", "x", "n", "missing")
    assert pair("MIGRATE", "127.0.0.1", "{port}", "", "3", "5000", "COPY", *AUTH,
                "KEYS", *keys) == b"OK"
    assert pair.source("EXISTS", *keys) == 6  # COPY leaves them
    pair.dest("SELECT", "3")
    for d in pair.dests:
        d.execute_command("SELECT", "3")
    # A second copy collides with what is there, unless REPLACE.
    assert pair("MIGRATE", "127.0.0.1", "{port}", "", "3", "5000", "COPY", *AUTH,
                "KEYS", "l") == ("error", "Target instance replied with error: BUSYKEY Target key name already exists.")
    assert pair("MIGRATE", "127.0.0.1", "{port}", "", "3", "5000", "REPLACE", *AUTH,
                "KEYS", *keys) == b"OK"
    assert pair.source("EXISTS", *keys) == 0
    dumps = [sorted(c.execute_command("KEYS", "*")) for c in (
        redis.Redis(port=pair.ports[0], password="sesame", db=3),
        redis.Redis(port=pair.ports[1], password="sesame", db=3))]
    assert dumps[0] == dumps[1] == sorted([b"l", b"h", b"z", b"s", b"x", b"n"])
    for port in pair.ports:
        c = redis.Redis(port=port, password="sesame", db=3)
        assert c.lrange("l", 0, -1) == [b"a", b"b"] and c.zscore("z", "m") == 1.0
        assert c.xlen("x") == 1 and c.get("n") == b"12"


@pytest.mark.parametrize("args", [
    ("MIGRATE", "127.0.0.1", "{port}", "k", "0", "5000", "KEYS", "a"),
    ("MIGRATE", "127.0.0.1", "{port}", "k", "x", "5000"),
    ("MIGRATE", "127.0.0.1", "{port}", "k", "0", "x"),
    ("MIGRATE", "127.0.0.1", "{port}", "k", "0", "5000", "NOSUCH"),
    ("MIGRATE", "127.0.0.1", "{port}", "k", "0", "5000", "AUTH"),
    ("MIGRATE", "127.0.0.1", "{port}", "k", "0", "5000", "AUTH2", "u"),
    ("MIGRATE", "127.0.0.1", "{port}", "k", "0", "5000", "AUTH", "wrong"),
    ("MIGRATE", "127.0.0.1", "{port}", "k", "0", "5000"),  # NOAUTH from the target
    ("MIGRATE", "127.0.0.1", "1", "k", "0", "500"),  # nothing listens there
    ("MIGRATE", "", "1", "k", "0", "500"),  # no such host: the connect itself fails
    ("MIGRATE", "224.0.0.1", "1", "k", "0", "500"),  # refused at once by the kernel
    ("MIGRATE", "127.0.0.1", "{port}", "k"),
])
def test_errors_match_redis(pair: Pair, args: tuple) -> None:
    pair.source("SET", "k", "v")
    pair(*args)


def test_payloads_cross_between_slotkv_and_redis(pair: Pair) -> None:
    r, o = pair.sources
    r.hset("from-slotkv", mapping={"a": "1"})
    o.zadd("from-redis", {"m": 2})
    assert r.execute_command("MIGRATE", "127.0.0.1", pair.ports[1], "from-slotkv", 0, 5000,
                             *AUTH) == b"OK"
    assert o.execute_command("MIGRATE", "127.0.0.1", pair.ports[0], "from-redis", 0, 5000,
                             *AUTH) == b"OK"
    assert pair.dests[1].hgetall("from-slotkv") == {b"a": b"1"}
    assert pair.dests[0].zscore("from-redis", "m") == 2.0


def test_migrate_propagates_as_del_and_hides_the_password(pair: Pair) -> None:
    r = pair.sources[0]
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.set("p", "1")
        assert r.execute_command("MIGRATE", "127.0.0.1", pair.ports[0], "p", 0, 5000,
                                 *AUTH) == b"OK"
        entry = next(e for e in r.slowlog_get(10) if e["command"].startswith(b"MIGRATE"))
        assert b"sesame" not in entry["command"]
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
