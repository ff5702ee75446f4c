"""The hash group (HSET ... HSCAN) against redis-server 7.0: replies, error strings, encodings
(listpack -> hashtable), digests, RESP3 shapes and a random mix of operations."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import redis
from conftest import debug_servers, reply_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HASH_COMMANDS = ("hset", "hsetnx", "hget", "hmget", "hmset", "hgetall", "hdel", "hexists",
                 "hlen", "hkeys", "hvals", "hincrby", "hincrbyfloat", "hstrlen", "hrandfield",
                 "hscan")
LONG = "x" * 65  # one byte past hash-max-listpack-value


node, oracle = debug_servers()


@pytest.fixture
def small_listpack(r: redis.Redis, o: redis.Redis) -> Iterator[None]:
    """Listpack limits of 4 entries and 8 bytes on both servers, restored afterwards."""
    for c in (r, o):
        c.config_set("hash-max-listpack-entries", 4)
        c.config_set("hash-max-listpack-value", 8)
    yield
    for c in (r, o):
        c.config_set("hash-max-listpack-entries", 512)
        c.config_set("hash-max-listpack-value", 64)


def same_state(both: Any, *keys: str) -> None:
    """Both servers hold the same data, encoded the same way."""
    both("DEBUG", "DIGEST")
    for key in keys:
        both("OBJECT", "ENCODING", key)
        both("DEBUG", "DIGEST-VALUE", key)


# -- metadata ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HASH_COMMANDS)
def test_command_info_matches(both, name):
    both("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", HASH_COMMANDS)
def test_command_docs_basics_match(both3, name):
    mine = reply_of(both3.r, "COMMAND", "DOCS", name)[name.encode()]
    theirs = reply_of(both3.o, "COMMAND", "DOCS", name)[name.encode()]
    for field in (b"summary", b"since", b"group", b"complexity"):
        assert mine[field] == theirs[field], field


# -- setting and getting -----------------------------------------------------------------------


def test_set_get_basics(both):
    both.run(
        ("HSET", "h", "a", "1", "b", "2", "c", "3"), ("HGETALL", "h"), ("HSET", "h", "a", "5"),
        ("HSET", "h", "d", "4", "d", "44"), ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"),
        ("HGET", "h", "a"), ("HGET", "h", "nope"), ("HGET", "missing", "a"),
        ("HMGET", "h", "a", "nope", "d", "a"), ("HMGET", "missing", "a", "b"),
        ("HLEN", "h"), ("HLEN", "missing"), ("HEXISTS", "h", "b"), ("HEXISTS", "h", "x"),
        ("HEXISTS", "missing", "x"), ("HSTRLEN", "h", "d"), ("HSTRLEN", "h", "x"),
        ("HSTRLEN", "missing", "x"), ("HMSET", "h", "e", "", "", "empty"), ("HGETALL", "h"),
        ("HGET", "h", ""), ("HSTRLEN", "h", "e"), ("HKEYS", "missing"), ("HVALS", "missing"),
        ("HGETALL", "missing"), ("TYPE", "h"),
    )
    same_state(both, "h")


def test_hsetnx(both):
    both.run(
        ("HSETNX", "h", "a", "1"), ("HSETNX", "h", "a", "2"), ("HGET", "h", "a"),
        ("HSETNX", "h", "b", "3"), ("HGETALL", "h"),
        # an existing field is left alone, and so is the encoding
        ("HSETNX", "h", "a", LONG), ("OBJECT", "ENCODING", "h"),
        ("HSETNX", "h", "c", LONG), ("OBJECT", "ENCODING", "h"),
    )


def test_hdel_and_emptied_hash(both):
    both.run(
        ("HDEL", "missing", "a"), ("HSET", "h", "a", "1", "b", "2", "c", "3"),
        ("HDEL", "h", "x"), ("HDEL", "h", "a", "a", "x"), ("HGETALL", "h"),
        ("HDEL", "h", "b", "c", "d"), ("EXISTS", "h"), ("TYPE", "h"),
        ("HSET", "h", "f", "v"), ("EXPIRE", "h", "100"), ("HDEL", "h", "f"), ("TTL", "h"),
    )


def test_change_counts(both):
    """rdb_changes_since_last_save (server.dirty) moves as in Redis: by the pairs HSET/HMSET
    were given (new or not) and by the fields HDEL removed."""
    both.same_changes(
        ("HSET", "h", "a", "1", "b", "2", "c", "3"), ("HSET", "h", "a", "1"),
        ("HSET", "h", "a", "2", "d", "4"), ("HMSET", "h", "a", "1", "e", "5"),
        ("HMSET", "n", "a", "1", "b", "2"), ("HSETNX", "h", "a", "1"),
        ("HSETNX", "h", "z", "1"), ("HDEL", "h", "a", "b", "nope"), ("HDEL", "h", "nope"),
        ("HINCRBY", "h", "i", "5"), ("HINCRBYFLOAT", "h", "i", "1.5"),
        ("HDEL", "h", "c", "d", "e", "i", "z", "x")
    )


def test_events(both):
    """hset (HSET, HMSET, HSETNX), hdel then `del` when the hash empties, hincrby and
    hincrbyfloat, as Redis; nothing for a no-op or an error (WRONGTYPE, a value that is no
    number, an overflow), `keymiss` for reads of a missing key."""
    assert both.same_events(
        ("HSET", "h", "a", "1"), ("HSET", "h", "a", "1"), ("HSET", "h", "b", "2", "c", "3"),
        ("HMSET", "h", "a", "9"), ("HMSET", "h2", "a", "9"), ("HSETNX", "h", "a", "2"),
        ("HSETNX", "h", "d", "4"), ("HSETNX", "h3", "a", "1"), ("HDEL", "none", "a"),
        ("HDEL", "h", "zz"), ("HDEL", "h", "a", "zz"), ("HINCRBY", "h", "i", "1"),
        ("HINCRBY", "h", "i", "2"), ("HINCRBY", "h4", "i", "2"), ("HINCRBY", "h", "i", "x"),
        ("HINCRBY", "h", "b", "1"), ("HSET", "h", "s", "str", "big", "9223372036854775807"),
        ("HINCRBY", "h", "s", "1"), ("HINCRBY", "h", "big", "1"),
        ("HINCRBYFLOAT", "h", "f", "1.5"), ("HINCRBYFLOAT", "h5", "f", "1"),
        ("HINCRBYFLOAT", "h", "f", "x"), ("HINCRBYFLOAT", "h", "s", "1"),
        ("HINCRBYFLOAT", "h", "f", "inf"), ("HSET", "h", "fb", "1e4932"),
        ("HINCRBYFLOAT", "h", "fb", "1e4932"), ("HDEL", "h", "b", "c", "d", "i", "s", "big"),
        ("HDEL", "h", "f", "fb", "zz"), ("EXISTS", "h"), ("HGET", "none", "a"),
        ("HMGET", "none", "a", "b"), ("HLEN", "none"), ("HEXISTS", "none", "a"),
        ("HSTRLEN", "none", "a"), ("HKEYS", "none"), ("HVALS", "none"), ("HGETALL", "none"),
        ("HRANDFIELD", "none"), ("HRANDFIELD", "none", "2"),
        ("HRANDFIELD", "none", "2", "WITHVALUES"), ("HSCAN", "none", "0"),
        ("HGET", "h2", "zz"), ("HMGET", "h2", "zz"), ("SET", "s", "v"), ("HSET", "s", "a", "1"),
        ("HSETNX", "s", "a", "1"), ("HDEL", "s", "a"), ("HINCRBY", "s", "a", "1"),
        ("HINCRBYFLOAT", "s", "a", "1"), ("HGET", "s", "a"),
        classes="KEAnm")


def test_writes_keep_ttl(both, r, o):
    both("HSET", "h", "a", "1")
    both("EXPIRE", "h", "1000")
    both.run(("HSET", "h", "b", "2"), ("HINCRBY", "h", "c", "1"),
             ("HINCRBYFLOAT", "h", "d", "1.5"), ("HSETNX", "h", "e", "1"), ("HDEL", "h", "a"))
    assert 990 <= r.ttl("h") <= 1000 and 990 <= o.ttl("h") <= 1000


def test_arity_errors(both):
    both.run(
        ("HSET", "h"), ("HSET", "h", "f"), ("HSET", "h", "f", "v", "g"), ("HMSET", "h", "f"),
        ("HMSET", "h", "f", "v", "g"), ("HSETNX", "h", "f"), ("HSETNX", "h", "f", "v", "x"),
        ("HGET", "h"), ("HGET", "h", "f", "g"), ("HMGET", "h"), ("HGETALL",),
        ("HGETALL", "h", "x"), ("HDEL", "h"), ("HEXISTS", "h"), ("HLEN",), ("HLEN", "h", "x"),
        ("HKEYS",), ("HVALS", "h", "x"), ("HINCRBY", "h", "f"), ("HINCRBY", "h", "f", "1", "2"),
        ("HINCRBYFLOAT", "h", "f"), ("HSTRLEN", "h"), ("HRANDFIELD",), ("HSCAN", "h"),
        ("EXISTS", "h"),
    )


def test_wrong_type(both):
    both("SET", "s", "x")
    both.run(
        ("HSET", "s", "f", "v"), ("HMSET", "s", "f", "v"), ("HSETNX", "s", "f", "v"),
        ("HGET", "s", "f"), ("HMGET", "s", "f"), ("HGETALL", "s"), ("HDEL", "s", "f"),
        ("HEXISTS", "s", "f"), ("HLEN", "s"), ("HKEYS", "s"), ("HVALS", "s"),
        ("HINCRBY", "s", "f", "1"), ("HINCRBYFLOAT", "s", "f", "1"), ("HSTRLEN", "s", "f"),
        ("HRANDFIELD", "s"), ("HRANDFIELD", "s", "0"), ("HRANDFIELD", "s", "2", "WITHVALUES"),
        ("HSCAN", "s", "0"), ("HSCAN", "s", "0", "COUNT", "0"),
        # argument errors come before the type check where Redis parses first
        ("HINCRBY", "s", "f", "x"), ("HINCRBYFLOAT", "s", "f", "x"),
        ("HINCRBYFLOAT", "s", "f", "inf"), ("HRANDFIELD", "s", "x"),
        ("HRANDFIELD", "s", "1", "foo"), ("HSCAN", "s", "x"), ("GET", "s"),
    )
    both("HSET", "h", "f", "v")
    both.run(("GET", "h"), ("INCR", "h"), ("SET", "h", "x"), ("HGET", "h", "f"))


# -- counters ----------------------------------------------------------------------------------


def test_hincrby(both):
    both.run(
        ("HINCRBY", "h", "n", "5"), ("HINCRBY", "h", "n", "-7"), ("HINCRBY", "h", "n", "0"),
        ("HGET", "h", "n"), ("HINCRBY", "h", "n", "x"), ("HINCRBY", "h", "n", "1.5"),
        ("HINCRBY", "h", "n", "+1"), ("HINCRBY", "h", "n", " 1"), ("HINCRBY", "h", "n", ""),
        ("HINCRBY", "h", "n", "99999999999999999999"),
        ("HSET", "h", "big", "9223372036854775806"), ("HINCRBY", "h", "big", "1"),
        ("HINCRBY", "h", "big", "1"), ("HGET", "h", "big"),
        ("HSET", "h", "small", "-9223372036854775807"), ("HINCRBY", "h", "small", "-1"),
        ("HINCRBY", "h", "small", "-1"), ("HINCRBY", "h", "small", "9223372036854775807"),
        ("HSET", "h", "f", "1.5"), ("HINCRBY", "h", "f", "1"), ("HSET", "h", "w", "abc"),
        ("HINCRBY", "h", "w", "1"), ("HSET", "h", "z", "007"), ("HINCRBY", "h", "z", "1"),
        ("HSET", "h", "e", ""), ("HINCRBY", "h", "e", "1"), ("HGETALL", "h"),
    )
    same_state(both, "h")


@pytest.mark.parametrize("incr", [
    "1", "0.1", "-0.1", "10.5", "1e3", "1E-3", "5.0e3", ".5", "+.5", "5.", "-0", "0x10",
    "0x1p3", "-0x.8", "1.23456789012345678901", "3.0e-4940", "1e4932", "-1e4932",
    "inf", "-inf", "+inf", "infinity", "nan", "NaN", "abc", "", " 1", "1 ", "1e", "0x", "1e-4960",
    "1e5000", "1e999999999", "--1", "1.2.3", "99999999999999999999999999999999",
])
def test_hincrbyfloat_increments(both, incr):
    both("HINCRBYFLOAT", "h", "f", incr)
    both("HINCRBYFLOAT", "h", "f", incr)
    both("HGETALL", "h")


@pytest.mark.parametrize("stored", [
    "10.5", "0x10", "1e2", "inf", "-inf", "nan", "abc", "", " 1", "1 ", "0", "-0", "5e-320",
    "1e4931", "18446744073709551616", "-1.5e-3", "1\x002", "\x00", "1\x00",
])
def test_hincrbyfloat_on_stored_values(both, stored):
    both("HSET", "h", "f", stored)
    both("HINCRBYFLOAT", "h", "f", "0.1")
    both("HINCRBYFLOAT", "h", "f", "1e4931")
    both("HGETALL", "h")


def test_hincrbyfloat_precision_and_limits(both):
    for _ in range(12):
        both("HINCRBYFLOAT", "h", "f", "0.1")
        both("HINCRBYFLOAT", "h", "g", "1e4931")
        both("HINCRBYFLOAT", "h", "s", "-3.3333333333333333333")
    both("HINCRBYFLOAT", "h", "big", "1e4500")
    both("HINCRBYFLOAT", "h", "big", "1e4500")
    both("HSTRLEN", "h", "big")
    both("HMGET", "h", "f", "g", "s", "big")
    same_state(both, "h")  # a hashtable now: values past 64 bytes


# -- encodings ---------------------------------------------------------------------------------


def test_encoding_by_entries(both, small_listpack):
    for i in range(6):
        both("HSET", "h", f"f{i}", str(i))
        both("OBJECT", "ENCODING", "h")
    for i in range(5):
        both("HDEL", "h", f"f{i}")
        both("OBJECT", "ENCODING", "h")  # never converts back
    both("HSET", "m", "a", "1", "b", "2", "c", "3", "d", "4")
    both("OBJECT", "ENCODING", "m")
    both("HMSET", "m", "a", "1", "e", "5")
    both("OBJECT", "ENCODING", "m")
    same_state(both, "h", "m")


@pytest.mark.parametrize("cmd", [
    ("HSET", "h", "long-field", "v"), ("HSET", "h", "f", "123456789"),
    ("HSET", "h", "f", "12345678"), ("HMSET", "h", "a", "1", "b", "long-value"),
    ("HSETNX", "h", "long-field", "v"), ("HSETNX", "h", "f", "long-value"),
    ("HINCRBY", "h", "long-field", "1"), ("HINCRBY", "h", "f", "123456789"),
    ("HINCRBYFLOAT", "h", "long-field", "1"), ("HINCRBYFLOAT", "h", "f", "0.123456789"),
])
def test_encoding_by_length(both, small_listpack, cmd):
    both("HSET", "h", "x", "1")
    both(*cmd)
    both("OBJECT", "ENCODING", "h")
    both("HSET", "h", "y", "1")
    both("OBJECT", "ENCODING", "h")
    same_state(both, "h")


def test_encoding_defaults(both):
    both("HSET", "h", "f", "x" * 64)
    both("OBJECT", "ENCODING", "h")
    both("HSET", "h", "g", "x" * 65)
    both("OBJECT", "ENCODING", "h")
    args = [a for i in range(512) for a in (f"f{i}", "v")]
    both("HSET", "big", *args)
    both("OBJECT", "ENCODING", "big")
    both("HSET", "big", "one-more", "v")
    both("OBJECT", "ENCODING", "big")
    both("HSET", "big2", *args, "one-more", "v")
    both("OBJECT", "ENCODING", "big2")
    same_state(both, "h", "big", "big2")


def test_copy_and_rename_keep_encoding(both, small_listpack):
    both("HSET", "lp", "a", "1")
    both("HSET", "ht", "a", "long-value")
    both("HDEL", "ht", "a")  # emptied: gone
    both("HSET", "ht", "a", "long-value", "b", "2")
    both("HDEL", "ht", "a")
    both.run(("COPY", "lp", "lp2"), ("COPY", "ht", "ht2"), ("RENAME", "ht", "ht3"),
             ("OBJECT", "ENCODING", "lp2"), ("OBJECT", "ENCODING", "ht2"),
             ("OBJECT", "ENCODING", "ht3"), ("HSET", "lp2", "b", "2"), ("HGETALL", "lp"),
             ("HGETALL", "lp2"))
    same_state(both, "lp", "lp2", "ht2", "ht3")


def test_debug_object_serializedlength(r, o):
    def serialized(client: redis.Redis, key: str) -> str:
        text = reply_of(client, "DEBUG", "OBJECT", key).decode()
        return [f for f in text.split() if f.startswith(("encoding", "serializedlength"))]

    for c in (r, o):
        c.hset("lp", mapping={"a": "1", "bb": "-7000", "c" * 40: "100000", "d": "1" * 20,
                              "e": "x" * 60, "f": "12345678901"})
        c.hset("ht", mapping={f"field{i}": f"value{i}" * 3 for i in range(600)})
        c.hset("lz", mapping={f"f{i}": "a" * 30 for i in range(20)})
    for key in ("lp", "ht", "lz"):
        assert serialized(r, key) == serialized(o, key), key


# -- HRANDFIELD --------------------------------------------------------------------------------


def test_hrandfield_deterministic_cases(both, both3):
    for b in (both, both3):
        b.run(
            ("HRANDFIELD", "missing"), ("HRANDFIELD", "missing", "3"),
            ("HRANDFIELD", "missing", "-3", "WITHVALUES"), ("HSET", "h", "a", "1", "b", "2", "c", "3"),
            ("HRANDFIELD", "h", "0"), ("HRANDFIELD", "h", "0", "WITHVALUES"),
            ("HRANDFIELD", "h", "3"), ("HRANDFIELD", "h", "100"),
            ("HRANDFIELD", "h", "3", "WITHVALUES"), ("HRANDFIELD", "h", "100", "withvalues"),
            ("HRANDFIELD", "h", "9223372036854775807"),
            ("HSET", "one", "f", "v"), ("HRANDFIELD", "one"), ("HRANDFIELD", "one", "1"),
            ("HRANDFIELD", "one", "-3"), ("HRANDFIELD", "one", "-2", "WITHVALUES"),
            ("HRANDFIELD", "one", "1", "WITHVALUES"),
        )


def test_hrandfield_errors(both):
    both("HSET", "h", "a", "1")
    both.run(
        ("HRANDFIELD", "h", "x"), ("HRANDFIELD", "h", "1.5"), ("HRANDFIELD", "h", "1", "foo"),
        ("HRANDFIELD", "h", "1", "WITHVALUES", "x"), ("HRANDFIELD", "h", "x", "foo"),
        ("HRANDFIELD", "h", "-9223372036854775808"),
        ("HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"),
        ("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "h", "4611686018427387903", "WITHVALUES"),
        ("HRANDFIELD", "h", "4611686018427387904", "foo"),
        ("HRANDFIELD", "missing", "-4611686018427387904", "WITHVALUES"),
    )


@pytest.mark.parametrize("size", [5, 200, 600])
def test_hrandfield_random_cases(r, o, size):
    fields = {f"f{i}": f"v{i}" for i in range(size)}
    for c in (r, o):
        c.hset("h", mapping=fields)
    for client in (r, o):
        for count in (1, 2, size // 3, size // 2, size - 1):
            got = reply_of(client, "HRANDFIELD", "h", str(count))
            assert len(got) == len(set(got)) == count
            assert {g.decode() for g in got} <= fields.keys()
            pairs = reply_of(client, "HRANDFIELD", "h", str(count), "WITHVALUES")
            assert len(pairs) == 2 * count
            assert all(fields[f.decode()] == v.decode() for f, v in zip(pairs[::2], pairs[1::2]))
        for count in (1, 3, size, 3 * size):
            got = reply_of(client, "HRANDFIELD", "h", str(-count))
            assert len(got) == count and {g.decode() for g in got} <= fields.keys()
        assert reply_of(client, "HRANDFIELD", "h").decode() in fields
    # every field turns up eventually
    seen = set()
    for _ in range(100):
        seen.update(reply_of(r, "HRANDFIELD", "h", "-100"))
    assert len(seen) == size if size <= 200 else len(seen) > size // 2


@pytest.mark.parametrize("withvalues", [(), ("WITHVALUES",)])
def test_hrandfield_small_sample_of_listpack_keeps_its_order(r, o, withvalues):
    """A positive count at most a third of a listpack hash is sampled by lpRandomPairsUnique,
    which walks the listpack once: the fields come in the hash's own order (a larger count
    goes through a temporary dict, and a hashtable hash is unordered anyway)."""
    for c in (r, o):
        c.hset("h", mapping={f"f{i}": f"v{i}" for i in range(12)})
        order = list(c.hkeys("h"))
        seen = set()
        for count in [1, 2, 3, 4] * 15:
            got = reply_of(c, "HRANDFIELD", "h", str(count), *withvalues)
            fields = got[::2] if withvalues else got
            assert len(set(fields)) == count
            assert fields == sorted(fields, key=order.index), (c, fields)
            seen.update(fields)
        assert len(seen) > 6  # still a random sample


def test_hrandfield_resp3_pairs(both3):
    both3("HSET", "h", "a", "1", "b", "2")
    mine = reply_of(both3.r, "HRANDFIELD", "h", "-5", "WITHVALUES")
    theirs = reply_of(both3.o, "HRANDFIELD", "h", "-5", "WITHVALUES")
    assert len(mine) == len(theirs) == 5
    assert all(p in ([b"a", b"1"], [b"b", b"2"]) for p in mine)
    both3("HGETALL", "h")
    both3("HGETALL", "missing")


# -- HSCAN -------------------------------------------------------------------------------------


def test_hscan_listpack_is_whole(both):
    both("HSET", "h", *[a for i in range(100) for a in (f"f{i}", str(i))])
    both.run(
        ("HSCAN", "h", "0"), ("HSCAN", "h", "0", "COUNT", "1"), ("HSCAN", "h", "12345"),
        ("HSCAN", "h", "0", "MATCH", "f1*"), ("HSCAN", "h", "0", "MATCH", "*", "COUNT", "5"),
        ("HSCAN", "h", "0", "match", "f?", "count", "1000"), ("HSCAN", "h", "-1"),
        ("HSCAN", "missing", "0"), ("HSCAN", "missing", "0", "COUNT", "0"),
        ("HSCAN", "missing", "x"),
    )


def test_hscan_errors(both):
    both("HSET", "h", "a", "1")
    both.run(
        ("HSCAN", "h", "x"), ("HSCAN", "h", " 1"), ("HSCAN", "h", "18446744073709551616"),
        ("HSCAN", "h", "0", "COUNT", "0"), ("HSCAN", "h", "0", "COUNT", "-1"),
        ("HSCAN", "h", "0", "COUNT", "x"), ("HSCAN", "h", "0", "COUNT"),
        ("HSCAN", "h", "0", "MATCH"), ("HSCAN", "h", "0", "TYPE", "string"),
        ("HSCAN", "h", "0", "NOVALUES"), ("HSCAN", "h", "0", "foo", "bar"),
    )


def _full_scan(client: redis.Redis, key: str, *opts: str) -> dict:
    found: dict = {}
    cursor = b"0"
    for _ in range(10000):
        cursor, items = reply_of(client, "HSCAN", key, cursor, *opts)
        for f, v in zip(items[::2], items[1::2]):
            found[f] = v
        if cursor == b"0":
            return found
    raise AssertionError("HSCAN did not finish")


def test_hscan_hashtable_iterates_everything(r, o):
    mapping = {f"field:{i}": str(i) for i in range(1000)}
    for c in (r, o):
        c.hset("h", mapping=mapping)
    assert reply_of(r, "OBJECT", "ENCODING", "h") == b"hashtable"
    for opts in ((), ("COUNT", "7"), ("COUNT", "500"), ("MATCH", "field:1*"),
                 ("MATCH", "field:?", "COUNT", "3")):
        assert _full_scan(r, "h", *opts) == _full_scan(o, "h", *opts), opts
    # the first call of a default-COUNT scan returns about COUNT fields and a cursor
    cursor, items = reply_of(r, "HSCAN", "h", "0")
    assert cursor != b"0" and 0 < len(items) // 2 <= 10


def test_hscan_survives_changes(r):
    r.hset("h", mapping={f"f{i}": "x" * 70 for i in range(300)})
    cursor, seen = b"0", set()
    cursor, items = reply_of(r, "HSCAN", "h", cursor, "COUNT", "50")
    seen.update(items[::2])
    r.hdel("h", *[f"f{i}" for i in range(250, 300)])
    r.hset("h", "new", "v")
    while cursor != b"0":
        cursor, items = reply_of(r, "HSCAN", "h", cursor, "COUNT", "50")
        seen.update(items[::2])
    assert {f"f{i}".encode() for i in range(250)} <= seen


# -- transactions, RESP3 -----------------------------------------------------------------------


def test_hgetall_in_multi_is_a_snapshot(both):
    for c in (both.r, both.o):
        with c.pipeline(transaction=True) as pipe:
            pipe.hset("h", "a", "1")
            pipe.hgetall("h")
            pipe.hset("h", "b", "2")
            pipe.hkeys("h")
            assert pipe.execute() == [1, {b"a": b"1"}, 1, [b"a", b"b"]]


def test_resp3_shapes(both3):
    both3.run(
        ("HSET", "h", "a", "1", "b", "2"), ("HGETALL", "h"), ("HGETALL", "missing"),
        ("HKEYS", "h"), ("HVALS", "h"), ("HMGET", "h", "a", "x"), ("HGET", "h", "x"),
        ("HSCAN", "h", "0"), ("HRANDFIELD", "h", "5", "WITHVALUES"), ("HRANDFIELD", "missing"),
        ("HINCRBYFLOAT", "h", "a", "0.5"),
    )


# -- a random mix of operations ----------------------------------------------------------------

KEYS = st.sampled_from(["h1", "h2", "s"])
FIELDS = st.sampled_from(["a", "b", "c", "d", "e", "10", ""])
VALUES = st.one_of(st.sampled_from(["0", "1", "-5", "2.5", "x", "", "9223372036854775807"]),
                   st.just("v" * 70), st.integers(-1000, 1000).map(str))
NUMBERS = st.one_of(st.integers(-10**6, 10**6).map(str), st.sampled_from(["x", "1.5", ""]))
FLOATS = st.one_of(st.sampled_from(["0.1", "-2.5", "1e3", "inf", "x"]),
                   st.floats(-1e6, 1e6, allow_nan=False).map(repr))
ORDERED = {"HGETALL", "HKEYS", "HVALS", "HRANDFIELD"}  # in the hash's own order

OPERATIONS = st.one_of(
    st.tuples(st.just("HSET"), KEYS, FIELDS, VALUES),
    st.tuples(st.just("HSET"), KEYS, FIELDS, VALUES, FIELDS, VALUES),
    st.tuples(st.just("HMSET"), KEYS, FIELDS, VALUES),
    st.tuples(st.just("HSETNX"), KEYS, FIELDS, VALUES),
    st.tuples(st.just("HGET"), KEYS, FIELDS),
    st.tuples(st.just("HMGET"), KEYS, FIELDS, FIELDS),
    st.tuples(st.just("HDEL"), KEYS, FIELDS),
    st.tuples(st.just("HDEL"), KEYS, FIELDS, FIELDS, FIELDS),
    st.tuples(st.just("HEXISTS"), KEYS, FIELDS),
    st.tuples(st.just("HSTRLEN"), KEYS, FIELDS),
    st.tuples(st.just("HLEN"), KEYS),
    st.tuples(st.sampled_from(["HGETALL", "HKEYS", "HVALS"]), KEYS),
    st.tuples(st.just("HINCRBY"), KEYS, FIELDS, NUMBERS),
    st.tuples(st.just("HINCRBYFLOAT"), KEYS, FIELDS, FLOATS),
    st.tuples(st.just("HRANDFIELD"), KEYS, st.sampled_from(["0", "100", "-0"])),
    st.tuples(st.just("SET"), st.just("s"), VALUES),
    st.tuples(st.just("DEL"), KEYS),
)


def _unordered(cmd: tuple, reply: Any) -> Any:
    if cmd[0] == "HGETALL" and isinstance(reply, list):
        return sorted(zip(reply[::2], reply[1::2]))
    return sorted(reply) if isinstance(reply, list) else reply


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(OPERATIONS, min_size=1, max_size=30))
def test_random_operation_mix(both, ops):
    both.r.flushall()
    both.o.flushall()
    for cmd in ops:
        mine, theirs = reply_of(both.r, *cmd), reply_of(both.o, *cmd)
        if mine != theirs and cmd[0] in ORDERED:
            # a hashtable's order is Redis's own; listpack order must match exactly
            assert reply_of(both.o, "OBJECT", "ENCODING", cmd[1]) == b"hashtable", cmd
            assert _unordered(cmd, mine) == _unordered(cmd, theirs), cmd
        else:
            assert mine == theirs, f"{cmd!r}: slotkv={mine!r} redis={theirs!r}"
    same_state(both, "h1", "h2")
