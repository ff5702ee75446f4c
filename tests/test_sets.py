"""The set group (SADD ... SSCAN) against redis-server 7.0: replies, error strings, encodings
(intset -> hashtable, and back only where Redis rebuilds a set), intset order, digests, RESP3
shapes and a random mix of operations."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import redis
from aofhelp import aof_logged
from conftest import debug_servers, reply_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SET_COMMANDS = ("sadd", "srem", "smembers", "sismember", "smismember", "scard", "spop",
                "srandmember", "smove", "sinter", "sintercard", "sunion", "sdiff", "sinterstore",
                "sunionstore", "sdiffstore", "sscan")


node, oracle = debug_servers()


@pytest.fixture
def small_intset(r: redis.Redis, o: redis.Redis) -> Iterator[None]:
    for c in (r, o):
        c.config_set("set-max-intset-entries", 4)
    yield
    for c in (r, o):
        c.config_set("set-max-intset-entries", 512)


def same_state(both: Any, *keys: str) -> None:
    """Both servers hold the same data, encoded the same way."""
    both("DEBUG", "DIGEST")
    for key in keys:
        both("OBJECT", "ENCODING", key)
        both("DEBUG", "DIGEST-VALUE", key)


def check(both: Any, *cmd: Any) -> Any:
    """A reply in Redis's order where that is defined (an intset), as a set otherwise."""
    mine, theirs = reply_of(both.r, *cmd), reply_of(both.o, *cmd)
    unordered(both.o, cmd, mine, theirs)
    return mine


def unordered(o: redis.Redis, cmd: tuple, mine: Any, theirs: Any) -> None:
    """Equal replies, or equal as sets where Redis's order is a hashtable's."""
    if mine != theirs and isinstance(mine, list) and isinstance(theirs, list):
        assert sorted(mine) == sorted(theirs), cmd
        if cmd[0] == "SMEMBERS":
            assert reply_of(o, "OBJECT", "ENCODING", cmd[1]) == b"hashtable", cmd
    else:
        assert mine == theirs, f"{cmd!r}: slotkv={mine!r} redis={theirs!r}"


# -- metadata ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SET_COMMANDS)
def test_command_info_matches(both, name):
    both("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", SET_COMMANDS)
def test_command_docs_basics_match(both3, name):
    mine = reply_of(both3.r, "COMMAND", "DOCS", name)[name.encode()]
    theirs = reply_of(both3.o, "COMMAND", "DOCS", name)[name.encode()]
    for field in (b"summary", b"since", b"group", b"complexity"):
        assert mine[field] == theirs[field], field


def test_getkeys(both):
    both("COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1")
    both("COMMAND", "GETKEYSANDFLAGS", "SINTERCARD", "3", "a", "b", "c")
    both("COMMAND", "GETKEYSANDFLAGS", "SMOVE", "a", "b", "m")
    both("COMMAND", "GETKEYSANDFLAGS", "SDIFFSTORE", "d", "a", "b")
    both("COMMAND", "GETKEYSANDFLAGS", "SINTERSTORE", "d", "a", "b")


# -- members -----------------------------------------------------------------------------------


def test_basics(both):
    both.run(
        ("SADD", "s", "3", "1", "2", "1"), ("SADD", "s", "2"), ("SMEMBERS", "s"), ("SCARD", "s"),
        ("SISMEMBER", "s", "1"), ("SISMEMBER", "s", "01"), ("SISMEMBER", "s", "x"),
        ("SISMEMBER", "missing", "1"), ("SMISMEMBER", "s", "1", "x", "3", "1"),
        ("SMISMEMBER", "missing", "a", "b"), ("SCARD", "missing"), ("SMEMBERS", "missing"),
        ("SREM", "s", "1", "x", "1"), ("SMEMBERS", "s"), ("SREM", "missing", "a"),
        ("SADD", "s", "-5", "100000", "-9223372036854775808", "9223372036854775807"),
        ("SMEMBERS", "s"), ("OBJECT", "ENCODING", "s"), ("TYPE", "s"),
    )
    both("SADD", "w", "b", "a", "", "c")
    check(both, "SMEMBERS", "w")
    both("SISMEMBER", "w", "")
    same_state(both, "s", "w")


def test_emptied_set_is_deleted(both):
    both.run(
        ("SADD", "s", "a", "b"), ("EXPIRE", "s", "100"), ("SREM", "s", "a", "b", "c"),
        ("EXISTS", "s"), ("TTL", "s"), ("SADD", "s", "x"), ("SPOP", "s"), ("EXISTS", "s"),
        ("SADD", "s", "1", "2"), ("SPOP", "s", "5"), ("EXISTS", "s"), ("SADD", "s", "m"),
        ("SMOVE", "s", "d", "m"), ("EXISTS", "s"), ("SMEMBERS", "d"),
    )


def test_change_counts(both):
    """rdb_changes_since_last_save (server.dirty) moves as in Redis: by the members SADD added,
    SREM removed and SPOP popped (whose random picks are compared by count only)."""
    both.same_changes(("SADD", "s", "1", "2", "3"), ("SADD", "s", "1", "2", "3"),
                      ("SADD", "s", "3", "4", "5", "x"), ("SREM", "s", "1", "2", "9"),
                      ("SREM", "s", "9"))
    both.same_changes(("SPOP", "s"), ("SPOP", "s", "2"), ("SPOP", "s", "0"),
                      compare_replies=False)
    both.same_changes(("DEL", "s"), ("SADD", "s", *map(str, range(20))))
    both.same_changes(("SPOP", "s", "17"), ("SPOP", "s", "10"), compare_replies=False)
    both.same_changes(("SADD", "t", "a", "b", "c"), ("SMOVE", "t", "u", "a"),
                      ("SMOVE", "t", "t", "b"), ("SREM", "t", "b", "c", "d"))


def test_events(both):
    """sadd, srem, smove (srem, then sadd on the destination), spop, then `del` when a set
    empties, as Redis; nothing for a no-op (an SMOVE within one set included) or a WRONGTYPE
    error, `keymiss` for reads of missing keys, the algebra's sources among them. (Whole
    sets popped are intsets, whose reply order is fixed.)"""
    assert both.same_events(
        ("SADD", "s", "a"), ("SADD", "s", "a"), ("SADD", "s", "b", "c", "d"),
        ("SREM", "none", "a"), ("SREM", "s", "zz"), ("SREM", "s", "a", "zz"),
        ("SMOVE", "none", "d", "a"), ("SMOVE", "s", "d", "zz"), ("SMOVE", "s", "d", "b"),
        ("SMOVE", "s", "s", "c"), ("SMOVE", "s", "s", "zz"), ("SADD", "d", "c"),
        ("SMOVE", "s", "d", "c"), ("SMOVE", "s", "d", "d"), ("EXISTS", "s"),
        ("SREM", "d", "b", "c", "d"), ("SADD", "t", "a"), ("SPOP", "t"), ("SPOP", "none"),
        ("SPOP", "none", "2"), ("SADD", "t", "1", "2"), ("SPOP", "t", "0"), ("SPOP", "t", "2"),
        ("SADD", "t", "1", "2"), ("SPOP", "t", "9"), ("SISMEMBER", "none", "a"),
        ("SMISMEMBER", "none", "a"), ("SCARD", "none"), ("SMEMBERS", "none"),
        ("SRANDMEMBER", "none"), ("SRANDMEMBER", "none", "2"), ("SSCAN", "none", "0"),
        ("SADD", "a", "1"), ("SINTER", "none", "a", "none2"), ("SUNION", "none", "a"),
        ("SDIFF", "a", "none", "none2"), ("SINTERCARD", "2", "a", "none"),
        ("SET", "w", "v"), ("SADD", "w", "a"), ("SREM", "w", "a"), ("SPOP", "w"),
        ("SMOVE", "w", "a", "1"), ("SMOVE", "a", "w", "1"), ("SMOVE", "none", "w", "1"),
        ("SINTER", "none", "w"), ("SINTER", "w", "none"), ("SUNION", "none", "w", "none2"),
        classes="KEAnm")


def test_events_of_spop_with_a_count(both):
    # (random picks: only the events are compared)
    assert both.same_events(("SADD", "s", "a", "b", "c", "d", "e"), ("SPOP", "s", "1"),
                            ("SPOP", "s", "2"), ("SPOP", "s", "2"), ("SPOP", "s", "1"),
                            classes="KEAnm", compare_replies=False)


def test_events_of_stores(both):
    """sinterstore, sunionstore and sdiffstore (after `new` for a new key), also into one of
    the sources; an empty result deletes the destination with `del`, and sends nothing when
    there was none."""
    assert both.same_events(
        ("SADD", "a", "1", "2", "3"), ("SADD", "b", "2", "3", "4"),
        ("SINTERSTORE", "d", "a", "b"), ("SINTERSTORE", "d", "a", "b"),
        ("SUNIONSTORE", "d", "a", "b"), ("SDIFFSTORE", "d", "a", "b"),
        ("SINTERSTORE", "d", "a", "none"), ("SINTERSTORE", "d", "a", "none"),
        ("SUNIONSTORE", "d", "none", "none2"), ("SET", "d", "v"), ("SDIFFSTORE", "d", "a", "a"),
        ("SUNIONSTORE", "a", "a", "b"), ("SINTERSTORE", "a", "a", "b"),
        ("SDIFFSTORE", "b", "b", "a"), ("SDIFFSTORE", "e", "none", "a"),
        ("SUNIONSTORE", "e", "a"), ("SINTERSTORE", "e", "none", "a"), ("SET", "w", "v"),
        ("SINTERSTORE", "d", "none", "w"), ("SUNIONSTORE", "d", "a", "w"),
        ("SDIFFSTORE", "d", "w", "a"),
        classes="KEAnm")


@pytest.mark.parametrize("store", [
    ("SINTERSTORE", "d", "a", "b"), ("SUNIONSTORE", "d", "a", "b"), ("SDIFFSTORE", "d", "a", "b"),
    ("SINTERSTORE", "d", "a", "none"), ("SUNIONSTORE", "d", "none"),
    ("SDIFFSTORE", "d", "a", "a"), ("SINTERSTORE", "a", "a", "b"),
], ids=lambda c: " ".join(c))
def test_stores_into_a_key_past_its_deadline(both, store):
    """A destination past its TTL but still stored (active expiry off): a result replaces it
    after an `expired` (setKey looks it up), an empty result deletes it as a live key with
    `del` and a change (dbDelete does not look at the deadline), as Redis."""
    both.store_past_deadline(
        (("SADD", "a", "1", "2", "3"), ("SADD", "b", "2", "3", "4"), ("SADD", "d", "x")),
        store, key=store[1], classes="KEAnm")


def test_writes_keep_ttl(both, r, o):
    both("SADD", "s", "a", "b", "c", "d", "e", "f", "g")
    both("EXPIRE", "s", "1000")
    both.run(("SADD", "s", "h"), ("SREM", "s", "a"), ("SMOVE", "s", "t", "b"))
    for c in (r, o):
        c.spop("s")
        c.spop("s", 2)
    assert 990 <= r.ttl("s") <= 1000 and 990 <= o.ttl("s") <= 1000
    both("SCARD", "s")


def test_arity_errors(both):
    both.run(
        ("SADD", "s"), ("SREM", "s"), ("SMEMBERS",), ("SMEMBERS", "s", "t"), ("SISMEMBER", "s"),
        ("SISMEMBER", "s", "a", "b"), ("SMISMEMBER", "s"), ("SCARD",), ("SPOP",),
        ("SRANDMEMBER",), ("SMOVE", "a", "b"), ("SINTER",), ("SINTERCARD", "1"), ("SUNION",),
        ("SDIFF",), ("SINTERSTORE", "d"), ("SUNIONSTORE", "d"), ("SDIFFSTORE", "d"),
        ("SSCAN", "s"), ("SPOP", "s", "1", "2"), ("SRANDMEMBER", "s", "1", "2"),
    )


def test_wrong_type(both):
    both("SET", "str", "x")
    both("SADD", "s", "a")
    both.run(
        ("SADD", "str", "a"), ("SREM", "str", "a"), ("SMEMBERS", "str"),
        ("SISMEMBER", "str", "a"), ("SMISMEMBER", "str", "a"), ("SCARD", "str"),
        ("SPOP", "str"), ("SPOP", "str", "1"), ("SPOP", "str", "0"), ("SRANDMEMBER", "str"),
        ("SRANDMEMBER", "str", "2"), ("SRANDMEMBER", "str", "0"), ("SSCAN", "str", "0"),
        ("SINTER", "s", "str"), ("SINTER", "missing", "str"), ("SUNION", "s", "str"),
        ("SUNION", "missing", "str"), ("SDIFF", "s", "str"), ("SDIFF", "missing", "str"),
        ("SDIFF", "str", "s"), ("SINTERCARD", "2", "missing", "str"),
        ("SINTERSTORE", "d", "s", "str"), ("SUNIONSTORE", "d", "s", "str"),
        ("SDIFFSTORE", "d", "missing", "str"), ("SMOVE", "str", "s", "a"),
        ("SMOVE", "s", "str", "a"), ("SMOVE", "missing", "str", "a"), ("SMOVE", "s", "str", "x"),
        # arguments are checked before the type where Redis parses first
        ("SPOP", "str", "x"), ("SRANDMEMBER", "str", "x"), ("SSCAN", "str", "x"),
        ("SINTERCARD", "1", "str", "LIMIT", "-1"), ("EXISTS", "d"),
    )
    # a destination of another type is simply replaced
    both.run(("SUNIONSTORE", "str", "s"), ("TYPE", "str"), ("SET", "str", "x"),
             ("SINTERSTORE", "str", "missing"), ("EXISTS", "str"))


# -- encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("member", [
    "1", "-1", "0", "-0", "01", "+1", " 1", "1 ", "1.0", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "x", "",
])
def test_intset_membership_rules(both, member):
    both("SADD", "s", member)
    both("OBJECT", "ENCODING", "s")
    both("SADD", "t", "5", member)
    both("OBJECT", "ENCODING", "t")
    check(both, "SMEMBERS", "t")
    both("SISMEMBER", "t", member)
    same_state(both, "s", "t")


def test_intset_conversions(both, small_intset):
    for i in range(6):
        both("SADD", "s", str(10 - i))
        both("OBJECT", "ENCODING", "s")
    for i in range(5):
        both("SREM", "s", str(10 - i))
        both("OBJECT", "ENCODING", "s")  # never converts back
    both.run(("SADD", "many", "1", "2", "3", "4", "5"), ("OBJECT", "ENCODING", "many"),
             ("SADD", "four", "1", "2", "3", "4"), ("OBJECT", "ENCODING", "four"),
             ("SADD", "four", "4"), ("OBJECT", "ENCODING", "four"),
             ("SADD", "w", "a"), ("SREM", "w", "a"), ("SADD", "w", "1"),
             ("OBJECT", "ENCODING", "w"))
    same_state(both, "s", "many", "four", "w")


def test_default_intset_limit(both):
    both("SADD", "s", *[str(i) for i in range(512)])
    both("OBJECT", "ENCODING", "s")
    both("SMEMBERS", "s")
    both("SADD", "s", "512")
    both("OBJECT", "ENCODING", "s")
    same_state(both, "s")


def test_store_results_get_redis_encoding(both, small_intset):
    both.run(
        ("SADD", "ints", "1", "2", "3", "4", "5", "6"), ("SADD", "few", "1", "2", "9"),
        ("SADD", "mixed", "1", "2", "a"), ("SADD", "other", "7"),
        ("SINTERSTORE", "d1", "ints", "few"), ("SINTERSTORE", "d2", "ints", "mixed"),
        ("SUNIONSTORE", "d3", "few", "other"), ("SUNIONSTORE", "d4", "few", "ints"),
        ("SDIFFSTORE", "d5", "ints", "few"), ("SDIFFSTORE", "d6", "mixed", "few"),
        ("SDIFFSTORE", "d7", "ints", "mixed", "other"),
    )
    both.run(*[("OBJECT", "ENCODING", f"d{i}") for i in range(1, 8)])
    for i in range(1, 8):
        check(both, "SMEMBERS", f"d{i}")
    same_state(both, *[f"d{i}" for i in range(1, 8)])


def test_sdiff_algorithm_choice_shows_in_encoding(both, small_intset):
    # Redis's second diff algorithm copies the whole first set before removing, so a
    # non-integer (or an oversized first set) makes the result a hashtable even when what is
    # left would fit an intset; the first algorithm builds only what is left.
    both.run(
        ("SADD", "first", "a", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
        ("SADD", "o1", "a"), ("SADD", "o2", "x"), ("SADD", "o3", "9", "8", "7", "6", "5", "4"),
        ("SDIFFSTORE", "algo2", "first", "o1", "o2"), ("OBJECT", "ENCODING", "algo2"),
        ("SDIFFSTORE", "algo1", "first", "o1", "o3"), ("OBJECT", "ENCODING", "algo1"),
        ("SADD", "big", *[str(i) for i in range(20)]), ("SADD", "o4", "1"),
        ("SDIFFSTORE", "small", "big", "o4", "o2", "missing"), ("OBJECT", "ENCODING", "small"),
        ("SADD", "o5", *[str(i) for i in range(2, 20)]),
        ("SDIFFSTORE", "tiny", "big", "o5"), ("OBJECT", "ENCODING", "tiny"),
        ("SMEMBERS", "tiny"),
    )
    for key in ("algo1", "algo2", "small"):
        check(both, "SMEMBERS", key)
    check(both, "SDIFF", "first", "o1", "o2")
    check(both, "SDIFF", "first", "o1", "o3")
    same_state(both, "algo1", "algo2", "small", "tiny")


def test_copy_keeps_encoding(both, small_intset):
    both.run(("SADD", "a", "1", "2"), ("SADD", "b", "1", "x"), ("SREM", "b", "x"),
             ("COPY", "a", "a2"), ("COPY", "b", "b2"), ("OBJECT", "ENCODING", "a2"),
             ("OBJECT", "ENCODING", "b2"), ("SADD", "a2", "3"), ("SMEMBERS", "a"),
             ("SMEMBERS", "a2"))
    same_state(both, "a", "a2", "b", "b2")


def test_debug_object_serializedlength(r, o):
    def fields(client: redis.Redis, key: str) -> list[str]:
        text = reply_of(client, "DEBUG", "OBJECT", key).decode()
        return [f for f in text.split() if f.startswith(("encoding", "serializedlength"))]

    for c in (r, o):
        c.sadd("i16", *range(-5, 30))
        c.sadd("i32", 1, 100000, -3)
        c.sadd("i64", 1, 2**40)
        c.sadd("lz", *range(0, 400, 1))
        c.sadd("ht", *[f"member:{i}" for i in range(100)])
    for key in ("i16", "i32", "i64", "lz", "ht"):
        assert fields(r, key) == fields(o, key), key


# -- SMOVE -------------------------------------------------------------------------------------


def test_smove(both):
    both.run(
        ("SMOVE", "missing", "d", "a"), ("SADD", "s", "1", "2", "a"), ("SMOVE", "s", "d", "x"),
        ("EXISTS", "d"), ("SMOVE", "s", "d", "1"), ("OBJECT", "ENCODING", "d"),
        ("SMOVE", "s", "d2", "a"), ("OBJECT", "ENCODING", "d2"), ("SMOVE", "s", "s", "2"),
        ("SMOVE", "s", "s", "x"), ("SADD", "d", "2"), ("SMOVE", "s", "d", "2"), ("EXISTS", "s"),
        ("SMEMBERS", "d"), ("SADD", "d2", "b"), ("SMOVE", "d2", "d", "b"),
        ("OBJECT", "ENCODING", "d"), ("SCARD", "d"),
    )
    check(both, "SMEMBERS", "d")
    same_state(both, "d", "d2")


# -- SPOP / SRANDMEMBER -------------------------------------------------------------------------


def test_spop_deterministic_cases(both, both3):
    for b in (both, both3):
        b.run(
            ("SPOP", "missing"), ("SPOP", "missing", "3"), ("SPOP", "missing", "0"),
            ("SADD", "s", "3", "1", "2"), ("SPOP", "s", "0"), ("SPOP", "s", "3"), ("EXISTS", "s"),
            ("SADD", "s", "30", "10", "-20"), ("SPOP", "s", "100"), ("SADD", "one", "x"),
            ("SPOP", "one"), ("EXISTS", "one"), ("SADD", "one", "y"), ("SPOP", "one", "1"),
        )
    both("SADD", "w", "b", "a", "c")
    check(both, "SPOP", "w", "10")


def test_spop_errors(both):
    both("SADD", "s", "a")
    both.run(("SPOP", "s", "-1"), ("SPOP", "s", "x"), ("SPOP", "s", "1.5"),
             ("SPOP", "missing", "x"), ("SPOP", "s", "1", "x"),
             ("SPOP", "s", "-9223372036854775808"), ("SPOP", "s", "99999999999999999999"),
             ("SMEMBERS", "s"))


@pytest.mark.parametrize("size,count", [(10, 1), (10, 3), (10, 8), (10, 9), (100, 90),
                                        (100, 10), (600, 590)])
def test_spop_random_cases(r, size, count):
    members = {str(i).encode() for i in range(size)}
    r.sadd("s", *members)
    popped = reply_of(r, "SPOP", "s", str(count))
    left = set(reply_of(r, "SMEMBERS", "s"))
    assert len(popped) == len(set(popped)) == count
    assert set(popped) | left == members and not set(popped) & left


def test_spop_rebuild_takes_members_encoding(both, r, o, small_intset):
    # Popping most of a set rebuilds it from what stays: a hashtable of integers comes back
    # as an intset, in Redis as here.
    for c in (r, o):
        c.sadd("s", *range(10))
        c.spop("s", 9)
    both("OBJECT", "ENCODING", "s")
    for c in (r, o):
        c.sadd("m", "a", *range(1, 10))
        c.spop("m", 9)
        left = c.smembers("m").pop()
        expected = b"hashtable" if left == b"a" else b"intset"
        assert reply_of(c, "OBJECT", "ENCODING", "m") == expected
        c.sadd("n", *range(10))
        c.spop("n", 3)  # few popped: the set stays as it is
        assert reply_of(c, "OBJECT", "ENCODING", "n") == b"hashtable"


def test_spop_propagates_as_redis(aof_pair):
    """SPOP with a count goes to the AOF and replicas as one SREM per member popped, wrapped in
    MULTI/EXEC when there are several (Redis 7.0), as DEL when it takes the whole set, and as
    a bare SREM when one member is popped; inside MULTI/EXEC the transaction wraps them once.
    Which members are popped is random, so they are compared by count only."""
    setup = ("SADD", "s", *"abcdefgh")
    logged = aof_logged(aof_pair, [
        setup, ("SPOP", "s", "3"), setup, ("SPOP", "s", "6"), ("SPOP", "s", "1"),
        ("SPOP", "s"), setup, ("SPOP", "s", "8"), setup, ("SPOP", "s", "20"),
        ("SADD", "i", *range(600)), ("SPOP", "i", "590"),  # both of Redis's strategies
        setup, ("MULTI",), ("SPOP", "s", "2"), ("SET", "k", "v"), ("EXEC",),
        ("MULTI",), ("SPOP", "s", "1"), ("EXEC",),
    ])
    mine, theirs = ([argv[:2] if argv[0] == b"SREM" else argv for argv in argvs]
                    for argvs in logged)
    assert mine == theirs


def test_srandmember_deterministic_cases(both, both3):
    for b in (both, both3):
        b.run(
            ("SRANDMEMBER", "missing"), ("SRANDMEMBER", "missing", "3"),
            ("SRANDMEMBER", "missing", "-3"), ("SRANDMEMBER", "missing", "0"),
            ("SADD", "s", "3", "1", "2"), ("SRANDMEMBER", "s", "0"), ("SRANDMEMBER", "s", "3"),
            ("SRANDMEMBER", "s", "100"), ("SRANDMEMBER", "s", "9223372036854775807"),
            ("SADD", "one", "x"), ("SRANDMEMBER", "one"), ("SRANDMEMBER", "one", "-3"),
            ("SRANDMEMBER", "one", "1"),
        )
    both("SADD", "w", "b", "a", "c")
    check(both, "SRANDMEMBER", "w", "10")


def test_srandmember_errors(both):
    both("SADD", "s", "a")
    both.run(("SRANDMEMBER", "s", "x"), ("SRANDMEMBER", "s", "1.5"),
             ("SRANDMEMBER", "s", "-9223372036854775808"), ("SRANDMEMBER", "missing", "x"),
             ("SRANDMEMBER", "missing", "-9223372036854775807"))


@pytest.mark.parametrize("size", [5, 100, 700])
def test_srandmember_random_cases(r, o, size):
    members = {f"m{i}".encode() for i in range(size)}
    for client in (r, o):
        client.sadd("s", *members)
        for count in (1, 2, size // 3, size // 2, size - 1):
            got = reply_of(client, "SRANDMEMBER", "s", str(count))
            assert len(got) == len(set(got)) == count and set(got) <= members
        for count in (1, 3, size, 3 * size):
            got = reply_of(client, "SRANDMEMBER", "s", str(-count))
            assert len(got) == count and set(got) <= members
        assert reply_of(client, "SRANDMEMBER", "s") in members
        assert client.scard("s") == size
    seen: set = set()
    for _ in range(100):
        seen.update(reply_of(r, "SRANDMEMBER", "s", "-100"))
    assert len(seen) == size if size <= 100 else len(seen) > size // 2


# -- algebra -----------------------------------------------------------------------------------


@pytest.mark.parametrize("cmd", ["SINTER", "SUNION", "SDIFF"])
def test_algebra(both, cmd):
    both.run(("SADD", "a", "1", "2", "3", "4"), ("SADD", "b", "3", "4", "5"),
             ("SADD", "c", "4", "x", "y"), ("SADD", "w", "x", "y", "z"))
    for keys in (("a",), ("a", "b"), ("b", "a"), ("a", "b", "c"), ("a", "missing"),
                 ("missing", "a"), ("a", "a"), ("w", "c"), ("c", "w", "a"), ("missing",),
                 ("w", "missing", "c")):
        check(both, cmd, *keys)
        store = cmd + "STORE"
        both(store, "dst", *keys)
        both("OBJECT", "ENCODING", "dst")
        check(both, "SMEMBERS", "dst")
        both(store, "a2", "a", *keys)  # the destination among the sources
        check(both, "SMEMBERS", "a2")
    same_state(both, "a", "b", "c", "w", "a2")


def test_store_replaces_and_clears_ttl(both, r, o):
    both.run(("SADD", "a", "1"), ("SET", "dst", "x", "EX", "100"),
             ("SUNIONSTORE", "dst", "a"), ("TTL", "dst"), ("TYPE", "dst"),
             ("EXPIRE", "dst", "100"), ("SINTERSTORE", "dst", "a", "missing"),
             ("EXISTS", "dst"), ("SDIFFSTORE", "dst", "a", "a"), ("EXISTS", "dst"))


def test_sintercard(both):
    both.run(("SADD", "a", "1", "2", "3", "4", "x"), ("SADD", "b", "2", "3", "4", "x", "y"),
             ("SADD", "c", "3", "4", "x"))
    for args in (("1", "a"), ("2", "a", "b"), ("3", "a", "b", "c"), ("2", "a", "missing"),
                 ("1", "missing"), ("2", "a", "a"), ("2", "a", "b", "LIMIT", "0"),
                 ("2", "a", "b", "LIMIT", "1"), ("2", "a", "b", "LIMIT", "3"),
                 ("2", "a", "b", "LIMIT", "100"), ("2", "a", "b", "limit", "2", "LIMIT", "1"),
                 ("3", "a", "b", "c", "LIMIT", "2")):
        both("SINTERCARD", *args)


def test_sintercard_errors(both):
    both("SADD", "a", "1")
    both.run(
        ("SINTERCARD", "0", "a"), ("SINTERCARD", "-1", "a"), ("SINTERCARD", "x", "a"),
        ("SINTERCARD", "2", "a"), ("SINTERCARD", "1", "a", "LIMIT"),
        ("SINTERCARD", "1", "a", "LIMIT", "-1"), ("SINTERCARD", "1", "a", "LIMIT", "x"),
        ("SINTERCARD", "1", "a", "foo"), ("SINTERCARD", "1", "a", "b"),
        ("SINTERCARD", "99999999999999999999", "a"),
    )


# -- SSCAN -------------------------------------------------------------------------------------


def test_sscan_intset_is_whole(both):
    both("SADD", "s", *[str(i) for i in range(300, 0, -3)])
    both.run(("SSCAN", "s", "0"), ("SSCAN", "s", "0", "COUNT", "1"), ("SSCAN", "s", "77"),
             ("SSCAN", "s", "0", "MATCH", "1*"), ("SSCAN", "s", "0", "MATCH", "*", "COUNT", "2"),
             ("SSCAN", "missing", "0"), ("SSCAN", "missing", "0", "COUNT", "0"))


def test_sscan_errors(both):
    both("SADD", "s", "a")
    both.run(("SSCAN", "s", "x"), ("SSCAN", "s", "0", "COUNT", "0"),
             ("SSCAN", "s", "0", "COUNT", "x"), ("SSCAN", "s", "0", "MATCH"),
             ("SSCAN", "s", "0", "TYPE", "set"), ("SSCAN", "s", "0", "bar", "1"))


def _full_scan(client: redis.Redis, key: str, *opts: str) -> set:
    found: set = set()
    cursor = b"0"
    for _ in range(10000):
        cursor, items = reply_of(client, "SSCAN", key, cursor, *opts)
        found.update(items)
        if cursor == b"0":
            return found
    raise AssertionError("SSCAN did not finish")


def test_sscan_hashtable_iterates_everything(r, o):
    members = [f"m:{i}" for i in range(1000)]
    for c in (r, o):
        c.sadd("s", *members)
    for opts in ((), ("COUNT", "7"), ("COUNT", "2000"), ("MATCH", "m:1*"),
                 ("MATCH", "m:?", "COUNT", "3")):
        assert _full_scan(r, "s", *opts) == _full_scan(o, "s", *opts), opts
    cursor, items = reply_of(r, "SSCAN", "s", "0")
    assert cursor != b"0" and 0 < len(items) <= 10


# -- transactions, RESP3 -----------------------------------------------------------------------


def test_smembers_in_multi_is_a_snapshot(r, o):
    for c in (r, o):
        with c.pipeline(transaction=True) as pipe:
            pipe.sadd("s", "1")
            pipe.smembers("s")
            pipe.sadd("s", "2")
            pipe.smembers("s")
            assert pipe.execute() == [1, {b"1"}, 1, {b"1", b"2"}]


def test_resp3_shapes(both3):
    both3.run(
        ("SADD", "s", "1", "2"), ("SMEMBERS", "s"), ("SMEMBERS", "missing"),
        ("SINTER", "s", "s"), ("SINTER", "s", "missing"), ("SUNION", "s"), ("SDIFF", "s"),
        ("SMISMEMBER", "s", "1", "3"), ("SPOP", "s", "0"), ("SRANDMEMBER", "s", "0"),
        ("SRANDMEMBER", "s", "5"), ("SSCAN", "s", "0"), ("SPOP", "missing", "1"),
        ("SPOP", "s", "10"),
    )


# -- a random mix of operations ----------------------------------------------------------------

KEYS = st.sampled_from(["s1", "s2", "s3", "str"])
MEMBERS = st.one_of(st.integers(-20, 20).map(str), st.sampled_from(["a", "b", "", "01", "x" * 30]))
ORDERED = {"SMEMBERS", "SINTER", "SUNION", "SDIFF", "SPOP", "SRANDMEMBER"}

OPERATIONS = st.one_of(
    st.tuples(st.just("SADD"), KEYS, MEMBERS),
    st.tuples(st.just("SADD"), KEYS, MEMBERS, MEMBERS, MEMBERS),
    st.tuples(st.just("SREM"), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.just("SISMEMBER"), KEYS, MEMBERS),
    st.tuples(st.just("SMISMEMBER"), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.just("SCARD"), KEYS),
    st.tuples(st.just("SMEMBERS"), KEYS),
    st.tuples(st.just("SMOVE"), KEYS, KEYS, MEMBERS),
    st.tuples(st.sampled_from(["SINTER", "SUNION", "SDIFF"]), KEYS, KEYS),
    st.tuples(st.sampled_from(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), KEYS, KEYS, KEYS),
    st.tuples(st.just("SINTERCARD"), st.just("2"), KEYS, KEYS, st.just("LIMIT"),
              st.sampled_from(["0", "1", "3"])),
    st.tuples(st.sampled_from(["SPOP", "SRANDMEMBER"]), KEYS, st.sampled_from(["0", "100"])),
    st.tuples(st.just("SET"), st.just("str"), MEMBERS),
    st.tuples(st.just("DEL"), KEYS),
)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(OPERATIONS, min_size=1, max_size=30))
def test_random_operation_mix(both, r, o, ops):
    r.flushall()
    o.flushall()
    r.config_set("set-max-intset-entries", 8)
    o.config_set("set-max-intset-entries", 8)
    try:
        for cmd in ops:
            mine, theirs = reply_of(r, *cmd), reply_of(o, *cmd)
            if cmd[0] in ORDERED:
                unordered(o, cmd, mine, theirs)
            else:
                assert mine == theirs, f"{cmd!r}: slotkv={mine!r} redis={theirs!r}"
        same_state(both, "s1", "s2", "s3")
    finally:
        r.config_set("set-max-intset-entries", 512)
        o.config_set("set-max-intset-entries", 512)
