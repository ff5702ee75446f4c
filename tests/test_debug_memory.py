"""DEBUG and MEMORY against redis-server 7.0.15: the dataset digest is Redis's own, bit for bit;
DEBUG OBJECT's fields, SLEEP's server-wide stall, and MEMORY's replies and shapes."""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Iterator

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from node import digest
from node.commands.debug import rdb_string_size
from node.lzf import lzf_compress
from conftest import Differential, ServerProcess, reply_of, start_redis, start_slotkv

DEBUG_REFUSED = (
    "DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can "
    "run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.")


@pytest.fixture(scope="module")
def dnode() -> Iterator[ServerProcess]:
    proc = start_slotkv("--enable-debug-command", "yes")
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def doracle() -> Iterator[ServerProcess]:
    proc = start_redis("--enable-debug-command", "yes")
    yield proc
    proc.stop()


@pytest.fixture
def clients(dnode: ServerProcess, doracle: ServerProcess) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    r, o = dnode.client(), doracle.client()
    r.flushall()
    o.flushall()
    yield r, o
    r.close()
    o.close()


@pytest.fixture
def dboth(clients: tuple[redis.Redis, redis.Redis]) -> Differential:
    return Differential(*clients)


def on_both(clients: tuple[redis.Redis, redis.Redis], *commands: tuple) -> None:
    for c in clients:
        for args in commands:
            c.execute_command(*args)


# -- the enable-debug-command gate ---------------------------------------------------------------


def test_debug_is_refused_by_default(r: redis.Redis, o: redis.Redis) -> None:
    for args in (("DEBUG", "DIGEST"), ("DEBUG", "HELP"), ("DEBUG", "nosuch", "x")):
        assert reply_of(r, *args) == reply_of(o, *args) == ("error", DEBUG_REFUSED)
    assert reply_of(r, "DEBUG") == reply_of(o, "DEBUG")  # arity is checked first
    r.execute_command("CONFIG", "RESETSTAT")
    reply_of(r, "DEBUG", "DIGEST")
    stats = r.info("commandstats")["cmdstat_debug"]
    assert stats["rejected_calls"] == 1 and stats["calls"] == 0


def test_debug_refusal_comes_before_authentication(start_node: Any) -> None:
    node = start_node("--requirepass", "pw")
    c = node.client()
    # Not NOAUTH: the protected-command check runs first, as in Redis.
    assert reply_of(c, "DEBUG", "DIGEST") == ("error", DEBUG_REFUSED)
    with pytest.raises(redis.AuthenticationError):
        c.get("x")
    c.close()


def test_debug_local_allows_loopback_clients(start_node: Any) -> None:
    node = start_node("--enable-debug-command", "local")
    c = node.client()
    assert reply_of(c, "DEBUG", "DIGEST") == b"0" * 40
    c.close()


# -- DIGEST ---------------------------------------------------------------------------------------


def test_digest_of_an_empty_dataset_is_zeros(dboth: Differential) -> None:
    assert dboth("DEBUG", "DIGEST") == b"0" * 40
    dboth("DEBUG", "DIGEST-VALUE")
    dboth("DEBUG", "DIGEST-VALUE", "missing", "also-missing")


def test_digest_matches_redis_on_string_datasets(clients: tuple[redis.Redis, redis.Redis],
                                                 dboth: Differential) -> None:
    on_both(
        clients,
        ("SET", "plain", "value"), ("SET", "int", "12345"), ("SET", "neg", "-7"),
        ("SET", "empty", ""), ("SET", b"bin\x00\xff", b"\x00\x01\xfe\xff"),
        ("SET", "long", "x" * 1000), ("APPEND", "appended", "abc"), ("APPEND", "appended", "def"),
        ("SETRANGE", "ranged", "5", "hi"), ("INCR", "counter"), ("INCRBYFLOAT", "f", "1.5"),
        ("SET", "ttl", "t", "EX", "1000"), ("SET", "pttl", "p", "PX", "5000000"),
        ("SELECT", "7"), ("SET", "plain", "value"), ("SET", "other", "db", "EX", "100"),
        ("SELECT", "0"),
    )
    first = dboth("DEBUG", "DIGEST")
    assert first != b"0" * 40
    dboth("DEBUG", "DIGEST-VALUE", "plain", "int", "neg", "empty", b"bin\x00\xff", "long",
          "appended", "ranged", "counter", "f", "ttl", "pttl", "nosuch")
    # A TTL changes a key's digest (its value does not); removing it changes it back.
    on_both(clients, ("PERSIST", "ttl"))
    dboth("DEBUG", "DIGEST-VALUE", "ttl")
    on_both(clients, ("EXPIRE", "ttl", "50"))
    assert dboth("DEBUG", "DIGEST") == first
    # The same data in another db is another dataset.
    on_both(clients, ("MOVE", "plain", "3"))
    assert dboth("DEBUG", "DIGEST") != first


_KEYS = st.binary(min_size=0, max_size=8)
_VALUES = st.one_of(st.binary(max_size=60), st.integers(-10**12, 10**12).map(lambda i: str(i).encode()))


@settings(max_examples=20, deadline=None)
@given(entries=st.lists(st.tuples(st.integers(0, 3), _KEYS, _VALUES, st.booleans()), max_size=15))
def test_digest_matches_redis_on_random_datasets(dnode: ServerProcess, doracle: ServerProcess,
                                                 entries: list[tuple[int, bytes, bytes, bool]]) -> None:
    digests = []
    for proc in (dnode, doracle):
        c = proc.client()
        c.flushall()
        pipe = c.pipeline(transaction=False)
        for db, key, value, ttl in entries:
            pipe.execute_command("SELECT", db)
            pipe.execute_command("SET", key, value, *(("EX", 1000) if ttl else ()))
        pipe.execute()
        keys = [key for db, key, _, _ in entries if db == 0]
        digests.append((reply_of(c, "DEBUG", "DIGEST"),
                        reply_of(c, "DEBUG", "DIGEST-VALUE", *keys)))
        c.close()
    assert digests[0] == digests[1]


def test_value_digest_helpers_match_redis_for_every_type(doracle: ServerProcess) -> None:
    """The building blocks node/digest.py offers the other data types reproduce Redis's
    DIGEST-VALUE for lists, sets, hashes, sorted sets and streams."""
    o = doracle.client()
    o.flushall()
    o.rpush("l", "x", "y", "123", "x")
    o.sadd("s", "m1", "m2", "7")
    o.hset("h", mapping={"f1": "v1", "f2": "2"})
    o.zadd("z", {"a": 0.1, "b": 1, "c": -2.5, "d": 1e100})
    o.xadd("st", {"a": "1", "b": "2"}, id="1-1")
    o.xadd("st", {"c": "3"}, id="2-5")
    o.expire("s", 100)

    def expect(type_code: int, fold: Any, ttl: bool = False) -> str:
        d = fold(digest.mix(digest.ZERO, type_code.to_bytes(4, "big")))
        return (digest.xor(d, b"!!expire!!") if ttl else d).hex()

    def lst(d: bytes) -> bytes:
        for item in (b"x", b"y", b"123", b"x"):
            d = digest.mix(d, item)
        return d

    def sset(d: bytes) -> bytes:
        for m in (b"m1", b"m2", b"7"):
            d = digest.xor(d, m)
        return d

    def hsh(d: bytes) -> bytes:
        for f, v in ((b"f1", b"v1"), (b"f2", b"2")):
            d = digest.xor(d, digest.element(f, v))
        return d

    def zset(d: bytes) -> bytes:
        for m, score in ((b"a", 0.1), (b"b", 1.0), (b"c", -2.5), (b"d", 1e100)):
            d = digest.xor(d, digest.element(m, digest.score_text(score)))
        return d

    def stream(d: bytes) -> bytes:
        for entry_id, fields in ((b"1.1", (b"a", b"1", b"b", b"2")), (b"2.5", (b"c", b"3"))):
            d = digest.mix(d, entry_id)
            for part in fields:
                d = digest.mix(d, part)
        return d

    got = [x.decode() for x in o.execute_command("DEBUG", "DIGEST-VALUE", "l", "s", "h", "z", "st")]
    assert got == [expect(digest.OBJ_LIST, lst), expect(digest.OBJ_SET, sset, ttl=True),
                   expect(digest.OBJ_HASH, hsh), expect(digest.OBJ_ZSET, zset),
                   expect(digest.OBJ_STREAM, stream)]
    o.close()


# -- OBJECT ---------------------------------------------------------------------------------------


def _object_fields(line: bytes) -> dict[str, str]:
    fields = dict(kv.split(":", 1) for kv in line.decode().split(" ")[1:])
    # Where the value lives and its access clock differ between two processes.
    for name in ("at", "lru", "lru_seconds_idle"):
        fields.pop(name)
    return fields


def test_debug_object_matches_redis(clients: tuple[redis.Redis, redis.Redis]) -> None:
    values = [b"1", b"42", b"9999", b"10000", b"-1", b"007", b"12345678901", b"2147483648",
              b"x" * 44, b"x" * 45, b"hello world hello world hello world", b"ab" * 11,
              bytes(range(256)), b"abc" * 1000, b"0" * 21, b"q" * 20000]
    on_both(clients, *(("SET", f"k{i}", v) for i, v in enumerate(values)),
            ("APPEND", "raw", "12"), ("SETRANGE", "ranged", "0", "abc"))
    keys = [f"k{i}" for i in range(len(values))] + ["raw", "ranged"]
    r, o = clients
    for key in keys:
        mine, theirs = reply_of(r, "DEBUG", "OBJECT", key), reply_of(o, "DEBUG", "OBJECT", key)
        assert re.match(rb"^Value at:0x[0-9a-f]+ refcount:\d+ encoding:\w+ serializedlength:\d+ "
                        rb"lru:\d+ lru_seconds_idle:\d+$", mine), mine
        assert _object_fields(mine) == _object_fields(theirs), key
        if b"refcount:1 " in mine:
            assert int(mine.split(b"lru_seconds_idle:")[1]) <= 2
    assert reply_of(r, "DEBUG", "OBJECT", "nokey") == reply_of(o, "DEBUG", "OBJECT", "nokey")


@settings(max_examples=40, deadline=None)
@given(data=st.one_of(st.binary(min_size=21, max_size=400),
                      st.tuples(st.binary(min_size=1, max_size=12), st.integers(2, 60))
                      .map(lambda t: (t[0] * t[1])[:500])))
def test_rdb_string_size_matches_redis(doracle: ServerProcess, data: bytes) -> None:
    o = doracle.client()
    o.set("lzf", data)
    line = o.execute_command("DEBUG", "OBJECT", "lzf").decode()
    assert int(line.split("serializedlength:")[1].split()[0]) == rdb_string_size(data)
    o.close()


def test_lzf_output_fits_its_bound() -> None:
    assert lzf_compress(b"abcd" * 10, 36) is not None
    assert lzf_compress(bytes(range(40)), 36) is None  # incompressible
    packed = lzf_compress(b"a" * 100, 96)
    assert packed is not None and len(packed) < 10


# -- other subcommands ----------------------------------------------------------------------------


def test_debug_replies_and_errors_match_redis(dboth: Differential) -> None:
    dboth.run(
        ("DEBUG",), ("DEBUG", "HELP"), ("DEBUG", "help", "x"), ("DEBUG", "nosuch"),
        ("DEBUG", "DIGEST", "x"), ("DEBUG", "OBJECT"), ("DEBUG", "OBJECT", "a", "b"),
        ("DEBUG", "SLEEP"), ("DEBUG", "SLEEP", "abc"), ("DEBUG", "SLEEP", "0"),
        ("DEBUG", "SLEEP", "-1"), ("DEBUG", "SLEEP", "0.001xyz"), ("DEBUG", "SLEEP", "inf"),
        ("DEBUG", "ERROR", "FOO bar\nbaz"), ("DEBUG", "ERROR", "x"), ("DEBUG", "LOG", "hi"),
        ("DEBUG", "POPULATE", "-1"), ("DEBUG", "POPULATE", "x"), ("DEBUG", "POPULATE", "0"),
        ("DEBUG", "POPULATE", "3", "p", "10"), ("MGET", "p:0", "p:1", "p:2", "p:3"),
        ("DEBUG", "POPULATE", "2", "q", "3"), ("MGET", "q:0", "q:1"),
        ("DEBUG", "POPULATE", "4"), ("MGET", "key:0", "key:3"), ("DEBUG", "POPULATE", "2", "r", "-1"),
        ("DEBUG", "POPULATE", "1", "a", "b", "c"), ("DBSIZE",), ("DEBUG", "DIGEST"),
        ("COMMAND", "INFO", "debug"),
    )


def test_debug_error_is_not_counted_as_an_error(dnode: ServerProcess) -> None:
    c = dnode.client()
    c.execute_command("CONFIG", "RESETSTAT")
    assert reply_of(c, "DEBUG", "ERROR", "CUSTOM failure") == ("error", "CUSTOM failure")
    assert "errorstat_CUSTOM" not in c.info("errorstats")
    c.close()


def test_debug_sleep_stalls_the_whole_server(dnode: ServerProcess) -> None:
    sleeper, other = dnode.client(), dnode.client()
    other.ping()
    t = threading.Thread(target=sleeper.execute_command, args=("DEBUG", "SLEEP", "0.3"))
    t.start()
    time.sleep(0.05)
    start = time.monotonic()
    assert other.ping() is True
    waited = time.monotonic() - start
    t.join(5)
    assert waited >= 0.2
    sleeper.close()
    other.close()


# -- MEMORY ---------------------------------------------------------------------------------------


def test_memory_replies_and_errors_match_redis(dboth: Differential) -> None:
    dboth.run(
        ("MEMORY",), ("MEMORY", "foo"), ("MEMORY", "HELP"), ("MEMORY", "help", "x"),
        ("MEMORY", "USAGE"), ("MEMORY", "USAGE", "nokey"), ("MEMORY", "USAGE", "nokey", "SAMPLES"),
        ("MEMORY", "USAGE", "nokey", "SAMPLES", "x"), ("MEMORY", "USAGE", "nokey", "samples", "-1"),
        ("MEMORY", "USAGE", "nokey", "SAMPLES", "0"), ("MEMORY", "USAGE", "nokey", "foo", "1"),
        ("MEMORY", "STATS", "x"), ("MEMORY", "DOCTOR", "x"), ("MEMORY", "PURGE", "x"),
        ("MEMORY", "MALLOC-STATS", "x"), ("MEMORY", "PURGE"),
        ("COMMAND", "GETKEYS", "MEMORY", "USAGE", "k"),
    )
    # Redis lists subcommands in its hash table's order, which varies between processes.
    mine, theirs = (reply_of(c, "COMMAND", "INFO", "memory")[0] for c in (dboth.r, dboth.o))
    assert mine[:9] == theirs[:9]
    assert sorted(mine[9]) == sorted(theirs[9])


def test_memory_usage_is_an_honest_estimate(r: redis.Redis) -> None:
    r.set("small", "v")
    r.set("big", "x" * 10000)
    small = r.execute_command("MEMORY", "USAGE", "small")
    big = r.execute_command("MEMORY", "USAGE", "big")
    assert 8 < small < 300
    assert 10000 < big < 10400
    r.expire("big", 100)
    assert r.execute_command("MEMORY", "USAGE", "big", "SAMPLES", "0") > big  # the TTL costs
    assert r.execute_command("MEMORY", "USAGE", "missing") is None


def _flat_keys(reply: list) -> list[bytes]:
    return [k for k in reply[::2]]


def test_memory_stats_has_redis_fields_in_redis_order(clients: tuple[redis.Redis, redis.Redis]) -> None:
    on_both(clients, ("SET", "a", "1"), ("SET", "b", "2", "EX", "100"), ("SELECT", "4"),
            ("SET", "c", "3"), ("SELECT", "0"))
    r, o = clients
    mine, theirs = reply_of(r, "MEMORY", "STATS"), reply_of(o, "MEMORY", "STATS")
    assert _flat_keys(mine) == _flat_keys(theirs)
    stats = dict(zip(mine[::2], mine[1::2]))
    assert _flat_keys(stats[b"db.0"]) == _flat_keys(dict(zip(theirs[::2], theirs[1::2]))[b"db.0"])
    assert stats[b"keys.count"] == 3
    assert stats[b"total.allocated"] > 1024 * 1024 and stats[b"peak.allocated"] >= stats[b"total.allocated"]
    assert stats[b"allocator.allocated"] <= stats[b"allocator.active"]
    for name in (b"dataset.percentage", b"peak.percentage", b"fragmentation"):
        float(stats[name])


def test_memory_stats_doubles_in_resp3(dnode: ServerProcess) -> None:
    c = dnode.client(protocol=3)
    stats = c.execute_command("MEMORY", "STATS")
    assert isinstance(stats[b"peak.percentage"], float)
    assert isinstance(stats[b"db.0"] if b"db.0" in stats else {}, dict)
    c.close()


def test_memory_doctor_malloc_stats_purge(r: redis.Redis) -> None:
    report = r.execute_command("MEMORY", "DOCTOR")
    assert report.startswith(b"Hi Sam") or report.startswith(b"Sam, I detected")
    assert report.endswith(b"\n")
    assert r.execute_command("MEMORY", "MALLOC-STATS") == (
        b"Stats not supported for the current allocator")
    assert r.execute_command("MEMORY", "PURGE") == b"OK"
