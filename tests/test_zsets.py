"""The sorted set group against redis-server: replies (RESP2 and RESP3), error strings, option
conflicts, encodings, digests, metadata, and a random mix of operations."""

from __future__ import annotations

import time

import pytest
from aofhelp import aof_logged
from conftest import debug_servers, reply_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.zset import ZSet

ZSET_COMMANDS = (
    "zadd", "zincrby", "zrem", "zcard", "zcount", "zlexcount", "zscore", "zmscore", "zrank",
    "zrevrank", "zrange", "zrangestore", "zrevrange", "zrangebyscore", "zrevrangebyscore",
    "zrangebylex", "zrevrangebylex", "zremrangebyrank", "zremrangebyscore", "zremrangebylex",
    "zpopmin", "zpopmax", "bzpopmin", "bzpopmax", "zmpop", "bzmpop", "zrandmember", "zunion",
    "zinter", "zdiff", "zunionstore", "zinterstore", "zdiffstore", "zintercard", "zscan",
)


node, oracle = debug_servers()


def fill(both, key="z", pairs=(("1", "a"), ("2", "b"), ("3", "c"), ("4", "d"), ("5", "e"))):
    both("ZADD", key, *[x for pair in pairs for x in pair])


def same_state(both, *keys):
    """The keys' contents, types, encodings and the whole dataset digest agree."""
    for key in keys:
        both("TYPE", key)
        both("ZRANGE", key, "0", "-1", "WITHSCORES")
        both("OBJECT", "ENCODING", key)
        assert isinstance(both("DEBUG", "DIGEST-VALUE", key), list)
    assert len(both("DEBUG", "DIGEST")) == 40


def scan_pairs(client, key):
    """A whole ZSCAN iteration as {member: score text} (a hashtable's order is its own)."""
    out, cursor = {}, b"0"
    while True:
        cursor, items = reply_of(client, "ZSCAN", key, cursor)
        out.update(zip(items[::2], items[1::2]))
        if cursor == b"0":
            return out


# -- metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ZSET_COMMANDS)
def test_command_info_matches(both, name):
    both("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", ZSET_COMMANDS)
def test_command_docs_basics_match(both3, name):
    mine = reply_of(both3.r, "COMMAND", "DOCS", name)[name.encode()]
    theirs = reply_of(both3.o, "COMMAND", "DOCS", name)[name.encode()]
    for field in (b"summary", b"since", b"group", b"complexity"):
        assert mine[field] == theirs[field], field


def test_getkeys(both):
    both.run(
        ("COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"),
        ("COMMAND", "GETKEYS", "ZINTER", "3", "a", "b", "c"),
        ("COMMAND", "GETKEYS", "ZDIFF", "1", "a", "WITHSCORES"),
        ("COMMAND", "GETKEYS", "ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
        ("COMMAND", "GETKEYS", "ZMPOP", "2", "a", "b", "MIN"),
        ("COMMAND", "GETKEYS", "BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "3"),
        ("COMMAND", "GETKEYS", "BZPOPMIN", "a", "b", "c", "0"),
        ("COMMAND", "GETKEYS", "ZRANGESTORE", "d", "s", "0", "-1"),
        ("COMMAND", "GETKEYSANDFLAGS", "ZDIFFSTORE", "d", "2", "a", "b"),
        ("COMMAND", "GETKEYSANDFLAGS", "BZMPOP", "0", "1", "a", "MIN"),
    )


# -- ZADD / ZINCRBY --------------------------------------------------------------------------


def test_zadd_basics(both):
    both.run(
        ("ZADD", "z", "1", "a"), ("ZADD", "z", "2", "b", "3", "c"), ("ZADD", "z", "1", "a"),
        ("ZADD", "z", "5", "a"), ("ZADD", "z", "CH", "5", "a", "6", "b", "7", "new"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZCARD", "z"), ("ZADD", "z", "1", "x", "2", "x"),
        ("ZSCORE", "z", "x"), ("ZADD", "e", "0", ""), ("ZRANGE", "e", "0", "-1", "WITHSCORES"),
        ("TYPE", "z"),
    )


def test_zadd_options(both):
    fill(both)
    both.run(
        ("ZADD", "z", "NX", "10", "a", "10", "n1"), ("ZADD", "z", "XX", "10", "a", "10", "n2"),
        ("ZADD", "z", "XX", "CH", "11", "a", "10", "n2"), ("ZADD", "z", "GT", "1", "b", "9", "c"),
        ("ZADD", "z", "GT", "CH", "1", "b", "9", "c", "1", "n3"),
        ("ZADD", "z", "LT", "CH", "100", "d", "-1", "e"), ("ZADD", "z", "XX", "GT", "20", "e"),
        ("ZADD", "z", "xx", "lt", "ch", "-5", "e"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
        ("ZADD", "missing", "XX", "1", "a"), ("EXISTS", "missing"),
        ("ZADD", "missing", "XX", "INCR", "1", "a"), ("EXISTS", "missing"),
        ("ZADD", "z", "INCR", "2.5", "a"), ("ZADD", "z", "INCR", "NX", "1", "a"),
        ("ZADD", "z", "INCR", "XX", "1", "nope"), ("ZADD", "z", "INCR", "GT", "-1", "a"),
        ("ZADD", "z", "INCR", "LT", "-1", "a"), ("ZADD", "z", "INCR", "GT", "0", "a"),
        ("ZADD", "z", "INCR", "CH", "0", "a"), ("ZADD", "z", "INCR", "1", "brand-new"),
        ("ZADD", "z", "GT", "CH", "5", "a"), ("ZADD", "z", "GT", "7", "gtnew"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    )


def test_zadd_errors(both):
    fill(both)
    both.run(
        ("ZADD", "z", "NX", "XX", "1", "a"), ("ZADD", "z", "GT", "LT", "1", "a"),
        ("ZADD", "z", "NX", "GT", "1", "a"), ("ZADD", "z", "NX", "LT", "1", "a"),
        ("ZADD", "z", "XX", "NX", "GT", "1", "a"), ("ZADD", "z", "INCR", "1", "a", "2", "b"),
        ("ZADD", "z", "NX"), ("ZADD", "z", "NX", "1"), ("ZADD", "z", "1", "a", "2"),
        ("ZADD", "z", "x", "a"), ("ZADD", "z", "1", "a", "x", "b"), ("ZADD", "z", "nan", "a"),
        ("ZADD", "z", "", "a"), ("ZADD", "z", " 1", "a"), ("ZADD", "z", "1 ", "a"),
        ("ZADD", "z", "1e400", "a"), ("ZADD", "z", "-1e400", "a"), ("ZADD", "z", "1e-400", "a"),
        ("ZADD", "z", "1_0", "a"), ("ZADD", "z", "0x", "a"), ("ZADD", "z", "1e", "a"),
        ("ZADD", "z", b"1\x00", "a"), ("ZADD", "z", "CH", "CH"), ("ZADD", "z"),
        ("ZADD", "z", "1"), ("ZADD", "z", "NX", "XX", "1"), ("ZADD", "z", "GT", "LT", "x", "a"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    )


@pytest.mark.parametrize("score", [
    "0x10", "-0x1p3", "0X1P-2", "0x.8", "inf", "+inf", "-inf", "infinity", "-Infinity", "INF",
    "1.", ".5", "-.5", "+5", "1e5", "1E+5", "-0", "0e0", "4e-320", "1e308", "1.7976931348623157e308",
    "0.1", "3.14159265358979323846", "123456789012345678", "1e17", "-1e-5", "00012", "0.0e-999",
    "0x1p-1074", "0x1p-1075", "0x1p-1080", "0x0e0p-99999", "0x1p1024", "0x1.fffffffffffffp1023",
    "0e-400", "0.000e5", "-0.0e-500", "1e-320", "2.4703282292062328e-324", "nan(1)", "-nan",
    "Infinit", "+-1", "0x1.8p1", "0x", "0x1p", ".e1", "1.e1",
])
def test_score_parsing_and_formatting(both, both3, score):
    both("ZADD", "z", score, "m")
    both("ZSCORE", "z", "m")
    both("ZRANGE", "z", "0", "-1", "WITHSCORES")
    both("ZSCAN", "z", "0")
    both("DEBUG", "DIGEST-VALUE", "z")
    both("DEL", "z")
    both("ZINCRBY", "z", score, "m")
    both3("ZADD", "z3", score, "m")
    both3("ZSCORE", "z3", "m")
    both3("ZINCRBY", "z3", "1", "m")


def test_negative_zero_by_encoding(both, r, o):
    both.run(("ZADD", "lp", "-0", "a"), ("ZSCORE", "lp", "a"), ("ZINCRBY", "lp", "-0", "a"),
             ("ZADD", "lp", "INCR", "-0", "a"), ("ZRANGE", "lp", "0", "-1", "WITHSCORES"))
    for client in (r, o):
        client.config_set("zset-max-listpack-entries", "0")
    try:
        both.run(("ZADD", "sk", "-0", "a"), ("ZSCORE", "sk", "a"), ("OBJECT", "ENCODING", "sk"),
                 ("ZADD", "sk", "0", "b"), ("ZRANGE", "sk", "0", "-1", "WITHSCORES"),
                 ("DEBUG", "DIGEST-VALUE", "sk"),
                 ("ZUNIONSTORE", "u", "1", "sk", "WEIGHTS", "-1"),
                 ("ZRANGE", "u", "0", "-1", "WITHSCORES"))
        assert scan_pairs(r, "sk") == scan_pairs(o, "sk") == {b"a": b"-0", b"b": b"0"}
    finally:
        for client in (r, o):
            client.config_set("zset-max-listpack-entries", "128")
    both.run(("ZUNIONSTORE", "u2", "1", "sk"), ("OBJECT", "ENCODING", "u2"),
             ("ZRANGE", "u2", "0", "-1", "WITHSCORES"), ("ZUNION", "1", "sk", "WITHSCORES"),
             ("ZRANGESTORE", "u3", "sk", "0", "-1"), ("ZRANGE", "u3", "0", "-1", "WITHSCORES"))


def test_zincrby(both):
    both.run(
        ("ZINCRBY", "z", "1", "a"), ("ZINCRBY", "z", "2.5", "a"), ("ZINCRBY", "z", "-10", "b"),
        ("ZINCRBY", "z", "inf", "a"), ("ZINCRBY", "z", "-inf", "a"), ("ZSCORE", "z", "a"),
        ("ZADD", "z", "INCR", "-inf", "a"), ("ZINCRBY", "z", "x", "a"),
        ("ZINCRBY", "z", "NX", "a"), ("ZINCRBY", "z", "incr", "a"), ("ZINCRBY", "z", "1"),
        ("ZINCRBY", "z", "0.1", "c"), ("ZINCRBY", "z", "0.2", "c"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    )


def test_nan_result_leaves_the_set_alone(both):
    both.run(("ZADD", "z", "inf", "a", "1", "b"), ("ZINCRBY", "z", "-inf", "a"),
             ("ZADD", "z", "INCR", "-inf", "a"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"))


# -- simple reads, removal -------------------------------------------------------------------


def test_reads(both, both3):
    fill(both)
    fill(both3)
    for d in (both, both3):
        d.run(
            ("ZCARD", "z"), ("ZCARD", "missing"), ("ZSCORE", "z", "c"), ("ZSCORE", "z", "nope"),
            ("ZSCORE", "missing", "a"), ("ZMSCORE", "z", "a", "nope", "e"),
            ("ZMSCORE", "missing", "a", "b"), ("ZRANK", "z", "a"), ("ZRANK", "z", "e"),
            ("ZRANK", "z", "nope"), ("ZREVRANK", "z", "a"), ("ZREVRANK", "z", "e"),
            ("ZRANK", "missing", "a"), ("ZRANK", "z", "a", "WITHSCORE"), ("ZMSCORE", "z"),
            ("ZREVRANK", "missing", "a"),
        )


def test_zrem(both):
    fill(both)
    both.run(
        ("ZREM", "z", "a", "nope", "a"), ("ZREM", "missing", "a"), ("ZCARD", "z"),
        ("ZREM", "z", "b", "c", "d", "e", "x"), ("EXISTS", "z"), ("ZREM", "z"),
    )


def test_wrongtype(both):
    both("SET", "s", "x")
    both.run(
        ("ZADD", "s", "1", "a"), ("ZADD", "s", "x", "a"), ("ZINCRBY", "s", "1", "a"),
        ("ZREM", "s", "a"), ("ZCARD", "s"), ("ZSCORE", "s", "a"), ("ZMSCORE", "s", "a"),
        ("ZRANK", "s", "a"), ("ZREVRANK", "s", "a"), ("ZCOUNT", "s", "0", "1"),
        ("ZCOUNT", "s", "x", "1"), ("ZLEXCOUNT", "s", "-", "+"), ("ZRANGE", "s", "0", "1"),
        ("ZRANGE", "s", "a", "1"), ("ZRANGESTORE", "d", "s", "0", "1"),
        ("ZRANGEBYSCORE", "s", "0", "1"), ("ZRANGEBYLEX", "s", "-", "+"),
        ("ZREMRANGEBYRANK", "s", "0", "1"), ("ZREMRANGEBYSCORE", "s", "0", "1"),
        ("ZREMRANGEBYLEX", "s", "-", "+"), ("ZPOPMIN", "s"), ("ZPOPMAX", "s", "0"),
        ("BZPOPMIN", "s", "0"), ("ZMPOP", "1", "s", "MIN"), ("BZMPOP", "0", "1", "s", "MAX"),
        ("ZRANDMEMBER", "s"), ("ZRANDMEMBER", "s", "1"), ("ZUNION", "1", "s"),
        ("ZUNION", "1", "s", "FOO"), ("ZINTERSTORE", "d", "1", "s"), ("ZDIFF", "2", "m", "s"),
        ("ZINTERCARD", "1", "s"), ("ZSCAN", "s", "0"), ("ZSCAN", "s", "x"),
        ("ZMPOP", "2", "missing", "s", "MIN"), ("GET", "s"),
    )


# -- ranges ----------------------------------------------------------------------------------

INDEXES = ("0", "1", "2", "4", "5", "6", "-1", "-2", "-5", "-6", "-100", "100",
           "9223372036854775807", "-9223372036854775808")


def test_zrange_by_rank(both, both3):
    fill(both)
    fill(both3)
    for start in INDEXES:
        for stop in INDEXES:
            both("ZRANGE", "z", start, stop)
            both("ZRANGE", "z", start, stop, "REV", "WITHSCORES")
            both("ZREVRANGE", "z", start, stop)
            both3("ZRANGE", "z", start, stop, "WITHSCORES")
    both("ZRANGE", "missing", "0", "-1")
    both("ZREVRANGE", "z", "0", "-1", "WITHSCORES")
    both3("ZREVRANGE", "z", "0", "-1", "WITHSCORES")
    both3("ZRANGE", "z", "0", "-1")


SCORES = ("-inf", "+inf", "0", "1", "2.5", "3", "(1", "(3", "(5", "5", "(-inf", "(+inf", "(",
          "", " 2", "0x3", "1e400", "-1e400", "1e-400", "(2.0000000000000001", "-0", "(0")


def test_zrange_by_score(both, both3):
    fill(both, pairs=(("1", "a"), ("2", "b"), ("2", "bb"), ("3", "c"), ("5", "e"), ("5", "f")))
    fill(both3)
    for lo in SCORES:
        for hi in SCORES:
            both("ZRANGEBYSCORE", "z", lo, hi)
            both("ZREVRANGEBYSCORE", "z", hi, lo, "WITHSCORES")
            both("ZCOUNT", "z", lo, hi)
    both3("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES")
    both3("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "WITHSCORES")


LIMITS = (("0", "1"), ("1", "2"), ("2", "-1"), ("0", "0"), ("-1", "2"), ("5", "1"), ("6", "1"),
          ("100", "5"), ("1", "-5"), ("-5", "-1"), ("0", "100"))


def test_zrange_limits(both):
    fill(both, pairs=(("1", "a"), ("2", "b"), ("2", "bb"), ("3", "c"), ("5", "e"), ("5", "f")))
    both("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f")
    for offset, count in LIMITS:
        for args in (("(1", "5"), ("-inf", "+inf"), ("2", "2"), ("6", "7")):
            both("ZRANGEBYSCORE", "z", *args, "LIMIT", offset, count)
            both("ZRANGE", "z", *args, "BYSCORE", "LIMIT", offset, count, "WITHSCORES")
            both("ZREVRANGEBYSCORE", "z", args[1], args[0], "LIMIT", offset, count)
            both("ZRANGE", "z", args[1], args[0], "BYSCORE", "REV", "LIMIT", offset, count)
        for args in (("-", "+"), ("[b", "(e"), ("(a", "[a"), ("[c", "+")):
            both("ZRANGEBYLEX", "l", *args, "LIMIT", offset, count)
            both("ZREVRANGEBYLEX", "l", args[1], args[0], "LIMIT", offset, count)
            both("ZRANGE", "l", args[1], args[0], "BYLEX", "REV", "LIMIT", offset, count)

    # A rank range takes LIMIT only with a count of -1, and ignores its offset.
    for offset, count in (("1", "-1"), ("5", "-1"), ("-3", "-1"), ("0", "-5"), ("0", "2"),
                          ("x", "-1"), ("1", "-1.0")):
        both("ZRANGE", "z", "0", "-1", "LIMIT", offset, count)
        both("ZRANGE", "z", "0", "-1", "REV", "LIMIT", offset, count, "WITHSCORES")
        both("ZRANGESTORE", "d", "z", "1", "3", "LIMIT", offset, count)
        both("ZRANGE", "d", "0", "-1", "WITHSCORES")
    both("ZRANGE", "z", "1", "1.5", "LIMIT", "100", "-1")


LEX = ("-", "+", "[a", "(a", "[b", "(b", "[bb", "(c", "[d", "[e", "(z", "[", "(", "[\xff")


def test_zrange_by_lex(both, both3):
    both("ZADD", "l", "0", "", "0", "a", "0", "b", "0", "bb", "0", "c", "0", "d", "0", "e")
    for lo in LEX:
        for hi in LEX:
            both("ZRANGEBYLEX", "l", lo, hi)
            both("ZREVRANGEBYLEX", "l", hi, lo)
            both("ZLEXCOUNT", "l", lo, hi)
    both3("ZADD", "l3", "0", "a", "0", "b")
    both3("ZRANGE", "l3", "-", "+", "BYLEX")


def test_lex_on_mixed_scores_in_a_listpack(both):
    # Redis scans a listpack from its ends; with scores out of member order that is visible.
    both("ZADD", "m", "1", "d", "2", "a", "3", "c", "4", "b", "5", "e")
    for lo in LEX:
        for hi in LEX:
            both("ZRANGEBYLEX", "m", lo, hi)
            both("ZREVRANGEBYLEX", "m", hi, lo, "LIMIT", "1", "2")
            both("ZLEXCOUNT", "m", lo, hi)
    both("ZREMRANGEBYLEX", "m", "[b", "[d")
    both("ZRANGE", "m", "0", "-1")


def test_options_compare_up_to_a_nul(both):
    # Redis matches option names with strcasecmp, which stops at a NUL byte.
    both.run(
        ("ZADD", "z", "CH\0x", "1", "a"), ("ZADD", "z", "nx\0", "1", "b", "2", "c"),
        ("ZADD", "z", "INCR\0", "1", "a"), ("ZADD", "z", "1\0", "d"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES\0y"), ("ZRANGE", "z", "0", "-1", "REV\0"),
        ("ZRANGE", "z", "(1", "2", "BYSCORE\0", "LIMIT\0", "0", "1"),
        ("ZRANGE", "z", "-", "+", "bylex\0"), ("ZRANGESTORE", "d", "z", "0", "-1", "rev\0"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT\0", "0", "1", "withscores\0"),
        ("ZUNION", "1", "z", "WEIGHTS\0", "2", "WITHSCORES\0"),
        ("ZUNION", "1", "z", "AGGREGATE", "MIN\0"), ("ZINTERCARD", "1", "z", "LIMIT\0", "1"),
        ("ZADD", "one", "1", "m"), ("ZRANDMEMBER", "one", "1", "WITHSCORES\0"),
        ("ZSCAN", "z", "0", "COUNT\0", "1"),
        ("ZSCAN", "z", "0", "match\0", "*"), ("ZMPOP", "1", "z", "MIN\0", "count\0", "1"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    )


def test_range_errors(both):
    fill(both)
    both.run(
        ("ZRANGE", "z", "a", "1"), ("ZRANGE", "z", "0", "1.5"), ("ZRANGE", "z", "0", "1", "FOO"),
        ("ZRANGE", "z", "0", "1", "LIMIT", "0", "1"), ("ZRANGE", "z", "0", "1", "LIMIT", "0"),
        ("ZRANGE", "z", "0", "1", "LIMIT", "x", "1", "BYSCORE"),
        ("ZRANGE", "z", "0", "1", "BYSCORE", "LIMIT", "0", "x"),
        ("ZRANGE", "z", "a", "b", "BYLEX", "WITHSCORES"),
        ("ZRANGE", "z", "[a", "[b", "BYLEX", "WITHSCORES"),
        ("ZRANGE", "z", "0", "1", "REV", "REV"), ("ZRANGE", "z", "0", "1", "BYSCORE", "BYSCORE"),
        ("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"), ("ZRANGE", "z", "x", "1", "BYSCORE"),
        ("ZRANGE", "z", "0", "nan", "BYSCORE"), ("ZRANGE", "z", "a", "b", "BYLEX"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES", "WITHSCORES"),
        ("ZRANGE", "z", "0", "-1", "byscore", "LIMIT", "0", "1", "LIMIT", "1", "1"),
        ("ZRANGE", "z", "0", "1", "withscores", "LIMIT", "0", "1", "bylex"),
        ("ZRANGEBYSCORE", "z", "0", "1", "REV"), ("ZRANGEBYSCORE", "z", "0", "1", "BYSCORE"),
        ("ZRANGEBYSCORE", "z", "(", "((1"), ("ZRANGEBYSCORE", "z", "[1", "2"),
        ("ZRANGEBYSCORE", "z", "1 ", "2"), ("ZRANGEBYSCORE", "z", "-nan", "2"),
        ("ZRANGEBYSCORE", "z", b"1\x00x", "2"), ("ZRANGEBYSCORE", "z", "0", "1", "LIMIT"),
        ("ZRANGEBYLEX", "z", "a", "b"), ("ZRANGEBYLEX", "z", "[a", "+b"),
        ("ZRANGEBYLEX", "z", "-", "+x"), ("ZRANGEBYLEX", "z", "", "+"),
        ("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"), ("ZRANGEBYLEX", "z", b"+\x00", b"-"),
        ("ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1"), ("ZREVRANGE", "z", "0", "-1", "BYLEX"),
        ("ZRANGESTORE", "d", "z", "0", "1", "WITHSCORES"), ("ZCOUNT", "z", "a", "b"),
        ("ZLEXCOUNT", "z", "a", "b"), ("ZRANGE", "missing", "x", "1"),
        ("ZRANGE", "missing", "0", "1", "FOO"), ("ZRANGE", "z", "0"),
    )


def test_zrangestore(both):
    fill(both)
    both("ZADD", "l", "0", "a", "0", "b", "0", "c")
    both.run(
        ("ZRANGESTORE", "d", "z", "1", "3"), ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
        ("ZRANGESTORE", "d", "z", "(1", "4", "BYSCORE", "REV", "LIMIT", "1", "2"),
        ("ZRANGE", "d", "0", "-1", "WITHSCORES"), ("ZRANGESTORE", "d", "l", "[b", "+", "BYLEX"),
        ("ZRANGE", "d", "0", "-1", "WITHSCORES"), ("ZRANGESTORE", "d", "z", "10", "20"),
        ("EXISTS", "d"), ("SET", "d", "string"), ("ZRANGESTORE", "d", "missing", "0", "-1"),
        ("EXISTS", "d"), ("SET", "d", "string"), ("EXPIRE", "d", "100"),
        ("ZRANGESTORE", "d", "z", "0", "0"), ("TTL", "d"), ("TYPE", "d"),
        ("ZRANGESTORE", "z", "z", "0", "1"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    )


# -- range removal ---------------------------------------------------------------------------


@pytest.mark.parametrize("start,stop", [("0", "0"), ("1", "2"), ("-2", "-1"), ("3", "1"),
                                        ("-100", "100"), ("5", "10"), ("0", "-6")])
def test_zremrangebyrank(both, start, stop):
    fill(both)
    both("ZREMRANGEBYRANK", "z", start, stop)
    both("ZRANGE", "z", "0", "-1")
    both("EXISTS", "z")


@pytest.mark.parametrize("lo,hi", [("2", "4"), ("(2", "(4"), ("-inf", "+inf"), ("6", "1"),
                                   ("(1", "(1"), ("5", "5")])
def test_zremrangebyscore(both, lo, hi):
    fill(both)
    both("ZREMRANGEBYSCORE", "z", lo, hi)
    both("ZRANGE", "z", "0", "-1")
    both("EXISTS", "z")


@pytest.mark.parametrize("lo,hi", [("[b", "[d"), ("(b", "(d"), ("-", "+"), ("+", "-"),
                                   ("[c", "[c"), ("(c", "[c"), ("[x", "+")])
def test_zremrangebylex(both, lo, hi):
    both("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e")
    both("ZREMRANGEBYLEX", "l", lo, hi)
    both("ZRANGE", "l", "0", "-1")
    both("EXISTS", "l")


def test_remrange_errors(both):
    fill(both)
    both.run(
        ("ZREMRANGEBYRANK", "z", "a", "1"), ("ZREMRANGEBYRANK", "z", "0", "1.0"),
        ("ZREMRANGEBYSCORE", "z", "a", "1"), ("ZREMRANGEBYSCORE", "z", "1", "nan"),
        ("ZREMRANGEBYLEX", "z", "a", "b"), ("ZREMRANGEBYLEX", "z", "[a", "+x"),
        ("ZREMRANGEBYRANK", "missing", "0", "-1"), ("ZREMRANGEBYSCORE", "missing", "x", "1"),
        ("ZREMRANGEBYLEX", "missing", "-", "+"), ("ZREMRANGEBYRANK", "z", "0"),
    )


# -- pops ------------------------------------------------------------------------------------


def test_zpop(both, both3):
    for d in (both, both3):
        fill(d)
        d.run(
            ("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZPOPMIN", "z", "1"), ("ZPOPMAX", "z", "0"),
            ("ZPOPMIN", "missing"), ("ZPOPMIN", "missing", "3"), ("ZPOPMIN", "missing", "0"),
            ("ZPOPMAX", "z", "10"), ("EXISTS", "z"), ("ZPOPMIN", "z", "-1"),
            ("ZPOPMIN", "z", "x"), ("ZPOPMIN", "z", "1", "2"),
        )


def test_zmpop(both, both3):
    for d in (both, both3):
        fill(d)
        fill(d, "y", (("7", "q"), ("8", "r")))
        d.run(
            ("ZMPOP", "2", "missing", "z", "MIN"), ("ZMPOP", "1", "z", "MAX", "COUNT", "2"),
            ("ZMPOP", "3", "missing", "z", "y", "min", "count", "100"), ("EXISTS", "z"),
            ("ZMPOP", "1", "missing", "MIN"), ("ZMPOP", "0", "z", "MIN"), ("ZMPOP", "x", "z", "MIN"),
            ("ZMPOP", "-1", "z", "MIN"), ("ZMPOP", "1", "z"), ("ZMPOP", "1", "z", "FOO"),
            ("ZMPOP", "2", "z", "MIN"), ("ZMPOP", "1", "z", "MIN", "COUNT", "0"),
            ("ZMPOP", "1", "z", "MIN", "COUNT", "x"), ("ZMPOP", "1", "z", "MIN", "COUNT"),
            ("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"),
            ("ZMPOP", "1", "y", "MAX", "FOO"), ("ZMPOP", "1", "y", "MAX", "COUNT", "1"),
            ("BZMPOP", "0", "1", "y", "MIN"), ("BZMPOP", "x", "1", "y", "MIN"),
            ("BZMPOP", "x", "0", "y", "MIN"), ("BZMPOP", "-1", "1", "y", "MIN"),
            ("BZPOPMIN", "y", "x"), ("BZPOPMIN", "y", "-1"),
        )


def test_blocking_pops_serve_at_once(both, both3):
    for d in (both, both3):
        fill(d)
        d.run(
            ("BZPOPMIN", "missing", "z", "0"), ("BZPOPMAX", "z", "1"),
            ("BZMPOP", "0.5", "2", "missing", "z", "MAX", "COUNT", "2"),
        )


def test_blocking_pops_inside_multi(both, both3):
    for d in (both, both3):
        assert reply_of(d.r, "MULTI") == reply_of(d.o, "MULTI")
        for cmd in (("BZPOPMIN", "e", "0"), ("BZMPOP", "0", "1", "e", "MIN"),
                    ("BZPOPMAX", "e", "1")):
            reply_of(d.r, *cmd)
            reply_of(d.o, *cmd)
        d("EXEC")


# -- ZRANDMEMBER -----------------------------------------------------------------------------


def test_zrandmember(both, both3, r):
    fill(both)
    fill(both3)
    for d in (both, both3):
        d.run(
            ("ZRANDMEMBER", "missing"), ("ZRANDMEMBER", "missing", "5"),
            ("ZRANDMEMBER", "missing", "5", "WITHSCORES"), ("ZRANDMEMBER", "z", "0"),
            ("ZRANDMEMBER", "z", "5"), ("ZRANDMEMBER", "z", "6", "WITHSCORES"),
            ("ZRANDMEMBER", "z", "100", "withscores"), ("ZRANDMEMBER", "z", "x"),
            ("ZRANDMEMBER", "z", "1", "foo"), ("ZRANDMEMBER", "z", "1", "WITHSCORES", "x"),
            ("ZRANDMEMBER", "z", "-9223372036854775808"),
            ("ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"),
            ("ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES"),
            ("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"),
            ("ZRANDMEMBER", "missing", "1", "foo"), ("ZRANDMEMBER", "missing", "x"),
        )
    members = {b"a", b"b", b"c", b"d", b"e"}
    scores = {b"a": b"1", b"b": b"2", b"c": b"3", b"d": b"4", b"e": b"5"}
    assert reply_of(r, "ZRANDMEMBER", "z") in members
    picks = reply_of(r, "ZRANDMEMBER", "z", "-20", "WITHSCORES")
    assert len(picks) == 40
    for m, s in zip(picks[::2], picks[1::2]):
        assert scores[m] == s
    for count in ("1", "2", "3", "4"):
        got = reply_of(r, "ZRANDMEMBER", "z", count)
        assert len(got) == int(count) == len(set(got)) and set(got) <= members
    big = [x for i in range(300) for x in (str(i), f"m{i}")]
    r.execute_command("ZADD", "big", *big)
    assert r.object("encoding", "big") == b"skiplist"
    for count in ("10", "150", "299"):
        got = reply_of(r, "ZRANDMEMBER", "big", count, "WITHSCORES")
        assert len(got) == 2 * int(count) and len(set(got[::2])) == int(count)
        assert all(s == m[1:] for m, s in zip(got[::2], got[1::2]))
    assert len(reply_of(r, "ZRANDMEMBER", "big", "-1000")) == 1000


def test_zrandmember_from_a_listpack_keeps_its_order(r, o):
    # A listpack asked for a third of its members or fewer is sampled in one walk
    # (lpRandomPairsUnique): the picks come in the set's order; more are picked in a hash's.
    for client in (r, o):
        client.execute_command("ZADD", "z", *[x for i in range(12) for x in (str(i), f"m{i:02}")])
        for count in ("2", "3", "4"):
            for _ in range(30):
                got = reply_of(client, "ZRANDMEMBER", "z", count, "WITHSCORES")
                assert len(got) == 2 * int(count) and got[::2] == sorted(got[::2]), got
        client.execute_command("ZADD", "big", *[x for i in range(200) for x in (str(i), f"m{i:03}")])
        picks = [reply_of(client, "ZRANDMEMBER", "big", "3") for _ in range(50)]
        assert any(got != sorted(got) for got in picks)


# -- set algebra -----------------------------------------------------------------------------


def setup_algebra(both):
    both("ZADD", "a", "1", "x", "2", "y", "3", "z", "0.1", "w")
    both("ZADD", "b", "10", "y", "20", "z", "30", "v", "0.2", "w")
    both("ZADD", "c", "inf", "z", "-inf", "y", "0.3", "w")
    both("ZADD", "d", "-inf", "z", "5", "w")


def test_zunion_zinter_zdiff(both, both3):
    for d in (both, both3):
        setup_algebra(d)
        for op in ("ZUNION", "ZINTER"):
            d.run(
                (op, "2", "a", "b"), (op, "2", "a", "b", "WITHSCORES"),
                (op, "3", "a", "b", "c", "WITHSCORES"),
                (op, "4", "a", "b", "c", "d", "WITHSCORES"),
                (op, "4", "a", "b", "c", "d", "AGGREGATE", "MIN", "WITHSCORES"),
                (op, "4", "a", "b", "c", "d", "AGGREGATE", "max", "WITHSCORES"),
                (op, "2", "a", "b", "WEIGHTS", "2", "0.5", "WITHSCORES"),
                (op, "2", "a", "c", "WEIGHTS", "0", "1", "WITHSCORES"),
                (op, "2", "c", "d", "WEIGHTS", "-1", "1", "aggregate", "sum", "WITHSCORES"),
                (op, "2", "a", "a", "WITHSCORES"), (op, "2", "a", "missing", "WITHSCORES"),
                (op, "1", "missing"), (op, "3", "a", "b", "a", "WEIGHTS", "1", "2", "3",
                                        "AGGREGATE", "MIN", "AGGREGATE", "SUM", "WITHSCORES"),
                (op, "2", "a", "b", "WITHSCORES", "WITHSCORES", "WEIGHTS", "1", "1"),
            )
        d.run(
            ("ZDIFF", "2", "a", "b"), ("ZDIFF", "2", "a", "b", "WITHSCORES"),
            ("ZDIFF", "3", "a", "b", "c", "WITHSCORES"), ("ZDIFF", "2", "a", "a"),
            ("ZDIFF", "1", "a", "WITHSCORES"), ("ZDIFF", "2", "missing", "a"),
            ("ZDIFF", "2", "a", "missing", "WITHSCORES"),
        )


def test_float_sums_follow_redis_order(both):
    both("ZADD", "p", "0.1", "m")
    both("ZADD", "q", "0.2", "m", "1", "other")
    both("ZADD", "s", "0.3", "m", "1", "o1", "2", "o2")
    for keys in (("p", "q", "s"), ("s", "q", "p"), ("q", "s", "p")):
        both("ZUNION", "3", *keys, "WITHSCORES")
        both("ZINTER", "3", *keys, "WITHSCORES")
        both("ZUNION", "3", *keys, "WEIGHTS", "3", "7", "0.1", "WITHSCORES")


def test_algebra_stores(both):
    setup_algebra(both)
    for op in ("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"):
        both.run(
            (op, "dst", "2", "a", "b"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
            ("OBJECT", "ENCODING", "dst"), (op, "dst", "2", "missing", "a"), ("EXISTS", "dst"),
            ("SET", "dst", "x"), ("EXPIRE", "dst", "100"), (op, "dst", "2", "a", "c"),
            ("TTL", "dst"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
            (op, "a2", "1", "a"), (op, "a", "2", "a", "b"), ("ZRANGE", "a", "0", "-1", "WITHSCORES"),
        )
    both.run(
        ("ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2", "AGGREGATE", "MAX"),
        ("ZRANGE", "dst", "0", "-1", "WITHSCORES"), ("ZINTERSTORE", "dst", "2", "b", "c"),
        ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
    )


def test_algebra_with_plain_sets(both, both3):
    if isinstance(reply_of(both.r, "SADD", "probe", "x"), tuple):
        pytest.skip("the node has no sets yet")
    for d in (both, both3):
        setup_algebra(d)
        d("SADD", "s", "x", "y", "q", "1", "2")
        d("SADD", "n", "1", "2", "3")
        d.run(
            ("ZUNION", "2", "a", "s", "WITHSCORES"), ("ZINTER", "2", "s", "a", "WITHSCORES"),
            ("ZDIFF", "2", "s", "a", "WITHSCORES"), ("ZDIFF", "2", "a", "s", "WITHSCORES"),
            ("ZUNION", "3", "s", "n", "b", "WEIGHTS", "2", "3", "4", "WITHSCORES"),
            ("ZINTER", "2", "n", "s", "AGGREGATE", "MAX", "WITHSCORES"), ("ZINTERCARD", "2", "s", "n"),
            ("ZINTERSTORE", "out", "2", "n", "s"), ("ZRANGE", "out", "0", "-1", "WITHSCORES"),
            ("OBJECT", "ENCODING", "out"), ("ZUNION", "1", "n"),
        )


def test_zintercard(both):
    setup_algebra(both)
    both.run(
        ("ZINTERCARD", "2", "a", "b"), ("ZINTERCARD", "3", "a", "b", "c"),
        ("ZINTERCARD", "2", "a", "b", "LIMIT", "0"), ("ZINTERCARD", "2", "a", "b", "LIMIT", "1"),
        ("ZINTERCARD", "2", "a", "b", "LIMIT", "100"), ("ZINTERCARD", "2", "a", "missing"),
        ("ZINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "2"), ("ZINTERCARD", "0", "a"),
        ("ZINTERCARD", "x", "a"), ("ZINTERCARD", "2", "a"), ("ZINTERCARD", "1", "a", "LIMIT", "x"),
        ("ZINTERCARD", "1", "a", "LIMIT", "-1"), ("ZINTERCARD", "1", "a", "LIMIT"),
        ("ZINTERCARD", "1", "a", "WEIGHTS", "1"), ("ZINTERCARD", "1", "a", "WITHSCORES"),
        ("ZINTERCARD", "1", "a", "AGGREGATE", "SUM"),
    )


def test_algebra_errors(both):
    setup_algebra(both)
    both.run(
        ("ZUNION", "0", "a"), ("ZUNION", "-1", "a"), ("ZUNION", "x", "a"), ("ZUNION", "3", "a", "b"),
        ("ZUNIONSTORE", "d", "0", "a"), ("ZINTERSTORE", "d", "x", "a"), ("ZDIFFSTORE", "d", "0", "a"),
        ("ZUNION", "1", "a", "WEIGHTS", "x"), ("ZUNION", "1", "a", "WEIGHTS", "nan"),
        ("ZUNION", "2", "a", "b", "WEIGHTS", "1"), ("ZUNION", "1", "a", "WEIGHTS"),
        ("ZUNION", "1", "a", "AGGREGATE", "FOO"), ("ZUNION", "1", "a", "AGGREGATE"),
        ("ZUNION", "1", "a", "FOO"), ("ZUNIONSTORE", "d", "1", "a", "WITHSCORES"),
        ("ZDIFF", "1", "a", "WEIGHTS", "1"), ("ZDIFF", "1", "a", "AGGREGATE", "SUM"),
        ("ZDIFFSTORE", "d", "1", "a", "WITHSCORES"), ("ZINTER", "2", "a", "b", "WEIGHTS", "1"),
        ("ZINTER", "1", "a", "WEIGHTS", "1e400"), ("ZUNION", "1", "missing", "FOO"),
        ("EXISTS", "d"),
    )


# -- ZSCAN -----------------------------------------------------------------------------------


def test_zscan_listpack(both, both3):
    both("ZADD", "z", "1", "a", "2.5", "b", "-3", "c", "1e17", "big", "0.1", "f", "inf", "i")
    both3("ZADD", "z", "1", "a", "2.5", "b")
    both.run(
        ("ZSCAN", "z", "0"), ("ZSCAN", "z", "0", "COUNT", "1"), ("ZSCAN", "z", "123"),
        ("ZSCAN", "z", "0", "MATCH", "b*"), ("ZSCAN", "z", "0", "MATCH", "*", "COUNT", "100"),
        ("ZSCAN", "z", "0", "COUNT", "0"), ("ZSCAN", "z", "0", "COUNT", "x"),
        ("ZSCAN", "z", "x"), ("ZSCAN", "z", "0", "TYPE", "zset"), ("ZSCAN", "z", "0", "FOO"),
        ("ZSCAN", "z", "0", "MATCH"), ("ZSCAN", "missing", "0"), ("ZSCAN", "missing", "0", "FOO"),
        ("ZSCAN", "missing", "x"),
    )
    both3("ZSCAN", "z", "0")


def test_zscan_skiplist_covers_everything(r):
    members = {f"m{i}".encode(): str(i * 1.5).encode() for i in range(500)}
    r.execute_command("ZADD", "z", *[x for m, s in members.items() for x in (s, m)])
    seen = {}
    cursor = b"0"
    calls = 0
    while True:
        cursor, items = reply_of(r, "ZSCAN", "z", cursor, "COUNT", "37")
        calls += 1
        for m, s in zip(items[::2], items[1::2]):
            seen[m] = s
        if cursor == b"0":
            break
    assert calls > 5
    assert seen == {m: s.removesuffix(b".0") for m, s in members.items()}
    cursor, items = reply_of(r, "ZSCAN", "z", "0", "MATCH", "m1?", "COUNT", "1000")
    assert cursor == b"0" and sorted(items[::2]) == sorted(f"m{i}".encode() for i in range(10, 20))


# -- encodings, emptiness, digests --------------------------------------------------------------


def test_encoding_transitions(both, r, o):
    both("ZADD", "z", *[x for i in range(128) for x in (str(i), f"m{i}")])
    both("OBJECT", "ENCODING", "z")
    both("ZADD", "z", "1", "m0")
    both("OBJECT", "ENCODING", "z")
    both("ZADD", "z", "1", "overflow")
    both("OBJECT", "ENCODING", "z")
    both("ZREMRANGEBYRANK", "z", "0", "-3")
    both("OBJECT", "ENCODING", "z")  # never converted back
    both("ZADD", "long", "1", "x" * 64)
    both("OBJECT", "ENCODING", "long")
    both("ZADD", "long", "1", "x" * 65)
    both("OBJECT", "ENCODING", "long")
    both("ZADD", "long2", "1", "x" * 65)
    both("OBJECT", "ENCODING", "long2")
    both("ZADD", "xx", "XX", "1", "y" * 100)
    both("EXISTS", "xx")
    for client in (r, o):
        client.config_set("zset-max-listpack-entries", "3")
        client.config_set("zset-max-listpack-value", "5")
    try:
        both.run(
            ("ZADD", "s", "1", "a", "2", "b", "3", "c"), ("OBJECT", "ENCODING", "s"),
            ("ZADD", "s", "4", "d"), ("OBJECT", "ENCODING", "s"),
            ("ZADD", "t", "1", "abcdef"), ("OBJECT", "ENCODING", "t"),
            ("ZUNIONSTORE", "u", "1", "s"), ("OBJECT", "ENCODING", "u"),
            ("ZRANGESTORE", "v", "s", "0", "2"), ("OBJECT", "ENCODING", "v"),
            ("ZRANGESTORE", "v2", "s", "0", "3"), ("OBJECT", "ENCODING", "v2"),
            ("ZINTERSTORE", "w", "1", "t"), ("OBJECT", "ENCODING", "w"),
            ("ZADD", "g", "1", "a"), ("ZADD", "g", "XX", "1", "abcdefgh"),
            ("OBJECT", "ENCODING", "g"), ("ZADD", "g", "2", "abcdefgh"), ("OBJECT", "ENCODING", "g"),
            ("ZDIFFSTORE", "dd", "2", "s", "v"), ("OBJECT", "ENCODING", "dd"),
        )
        for client in (r, o):
            client.config_set("zset-max-listpack-entries", "0")
        both.run(("ZADD", "zero", "1", "a"), ("OBJECT", "ENCODING", "zero"),
                 ("ZRANGESTORE", "zero2", "s", "0", "0"), ("OBJECT", "ENCODING", "zero2"))
    finally:
        for client in (r, o):
            client.config_set("zset-max-listpack-entries", "128")
            client.config_set("zset-max-listpack-value", "64")


def test_one_pair_zadd(both):
    # ZADD's one-pair form has its own path (zsets.zadd): the same replies as the general one.
    both.run(("ZADD", "z", "1", "a"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "2", "a"),
             ("ZADD", "z", "2.5", "b"), ("ZADD", "z", "0", "c"), ("ZADD", "z", "00", "c"),
             ("ZADD", "z", "1e3", "d"), ("ZADD", "z", "1x", "d"), ("ZADD", "z", "nan", "d"),
             ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("SET", "s", "v"), ("ZADD", "s", "1", "a"),
             ("ZADD", "new", "3", "x"), ("ZCARD", "new"))


def test_copy_and_digest(both):
    both("ZADD", "z", "1", "a", "2.5", "b", "-inf", "c", "12345678901", "d", "1e100", "e")
    both("ZADD", "big", *[x for i in range(200) for x in (str(i / 7), f"member-{i}")])
    both.run(("COPY", "z", "z2"), ("COPY", "big", "big2"), ("ZADD", "z2", "9", "a"),
             ("ZSCORE", "z", "a"), ("OBJECT", "ENCODING", "big2"))
    same_state(both, "z", "z2", "big", "big2")


def test_debug_object_serializedlength(r, o):
    cases = [
        ("ZADD", "z", "1", "a", "2.5", "b", "-5000", "12", "123456789", "c", "1e100", "long" * 20),
        ("ZADD", "y", *[x for i in range(30) for x in (str(i), "same-member-prefix-%d" % i)]),
        ("ZADD", "w", *[x for i in range(300) for x in (str(i), f"m{i}")]),
    ]
    for cmd in cases:
        r.execute_command(*cmd)
        o.execute_command(*cmd)
    for key in ("z", "y", "w"):
        mine = reply_of(r, "DEBUG", "OBJECT", key).split()
        theirs = reply_of(o, "DEBUG", "OBJECT", key).split()
        field = [f for f in theirs if f.startswith(b"serializedlength")]
        assert [f for f in mine if f.startswith(b"serializedlength")] == field, key
    assert r.memory_usage("w") > r.memory_usage("z") > 0


def test_expired_zset_is_gone(both, r):
    fill(both)
    both("PEXPIRE", "z", "1")
    time.sleep(0.02)
    both.run(("ZCARD", "z"), ("ZADD", "z", "XX", "1", "a"), ("ZRANGE", "z", "0", "-1"),
             ("ZADD", "z", "1", "a"), ("TTL", "z"))


def test_change_counts(both):
    """rdb_changes_since_last_save (server.dirty) moves as in Redis: by the members ZADD added
    or updated, ZREM and ZREMRANGEBY* removed and the pops popped; once for a store."""
    both.same_changes(
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "1", "a", "2", "b"),
        ("ZADD", "z", "5", "a", "6", "b", "3", "c", "4", "d"),
        ("ZADD", "z", "CH", "7", "a", "8", "b", "9", "e"), ("ZADD", "z", "NX", "1", "a"),
        ("ZADD", "z", "INCR", "1", "a"), ("ZINCRBY", "z", "0", "a"), ("ZADD", "z", "1", "f"),
        ("ZREM", "z", "a", "b", "nosuch"), ("ZREM", "z", "nosuch"),
        ("ZREMRANGEBYRANK", "z", "0", "1"), ("ZADD", "z", "1", "a", "2", "b", "3", "g"),
        ("ZREMRANGEBYSCORE", "z", "1", "3"), ("ZREMRANGEBYLEX", "z", "-", "+"),
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
        ("ZPOPMIN", "z", "2"), ("ZPOPMAX", "z"), ("ZPOPMAX", "z", "0"),
        ("ZMPOP", "1", "z", "MIN", "COUNT", "5"), ("ZADD", "y", "1", "a", "2", "b"),
        ("ZADD", "x", "1", "b", "2", "c"), ("ZUNIONSTORE", "d", "2", "x", "y"),
        ("ZRANGESTORE", "d", "x", "0", "-1"), ("ZRANGESTORE", "d", "x", "5", "6"),
        ("ZREM", "y", "a", "b", "c"), ("BZPOPMIN", "x", "0"),
        ("BZMPOP", "0", "1", "x", "MAX", "COUNT", "3")
    )



ZSET_EVENTS = {
    "writes": [
        ("ZADD", "z", "1", "a", "2", "b"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "3", "a"),
        ("ZADD", "z", "XX", "1", "new"), ("ZADD", "none", "XX", "1", "a"),
        ("ZADD", "z", "NX", "5", "a"), ("ZADD", "z", "INCR", "1", "a"), ("ZINCRBY", "z", "1", "a"),
        ("ZINCRBY", "y", "1", "a"), ("ZADD", "z", "GT", "0", "a"), ("ZADD", "z", "CH", "9", "a"),
        ("ZADD", "z", "INCR", "inf", "a"), ("ZADD", "z", "INCR", "-inf", "a"),
        ("ZADD", "z", "NX", "INCR", "1", "a"), ("ZREM", "z", "nope"), ("ZREM", "z", "a"),
        ("ZREM", "none", "a"), ("ZREM", "z", "b", "a"),
    ],
    "removals": [
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
        ("ZREMRANGEBYSCORE", "z", "10", "20"), ("ZREMRANGEBYSCORE", "z", "1", "1"),
        ("ZREMRANGEBYRANK", "z", "0", "0"), ("ZREMRANGEBYLEX", "z", "[c", "[c"),
        ("ZREMRANGEBYLEX", "z", "-", "+"), ("ZREMRANGEBYRANK", "none", "0", "1"),
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZREMRANGEBYRANK", "z", "0", "-1"),
        ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZPOPMIN", "z"),
        ("ZPOPMAX", "z", "1"), ("ZPOPMIN", "z", "0"), ("ZPOPMIN", "none"),
        ("ZPOPMIN", "z", "5"), ("ZADD", "z", "1", "a", "2", "b", "3", "c"),
        ("ZMPOP", "2", "none", "z", "MIN"), ("ZMPOP", "1", "z", "MAX", "COUNT", "3"),
        ("ZMPOP", "1", "z", "MAX"), ("BZPOPMIN", "none", "z", "0.01"),
        ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("BZPOPMIN", "none", "z", "0.01"),
        ("BZPOPMAX", "z", "0.01"), ("BZMPOP", "0.01", "1", "z", "MIN", "COUNT", "2"),
        ("BZMPOP", "0.01", "1", "z", "MIN"),
    ],
    "stores": [
        ("ZADD", "a", "1", "x", "2", "y"), ("ZADD", "b", "3", "y", "4", "z"),
        ("SADD", "s", "x", "q"), ("ZUNIONSTORE", "d", "2", "a", "b"),
        ("ZINTERSTORE", "d", "2", "a", "b"), ("ZDIFFSTORE", "d", "1", "a"),
        ("ZRANGESTORE", "d", "a", "0", "-1"), ("ZUNIONSTORE", "d", "2", "a", "none"),
        ("ZUNIONSTORE", "d", "1", "none"), ("ZUNIONSTORE", "d", "1", "none"),
        ("ZDIFFSTORE", "d", "2", "a", "b"), ("ZDIFFSTORE", "d", "2", "a", "a"),
        ("ZINTERSTORE", "d", "2", "a", "s"), ("ZINTERSTORE", "d", "2", "a", "none"),
        ("ZRANGESTORE", "d", "a", "0", "0"), ("ZRANGESTORE", "d", "a", "5", "6"),
        ("ZRANGESTORE", "d", "none", "0", "1"), ("ZRANGESTORE", "d", "a", "0", "-1", "BYSCORE"),
        ("ZRANGESTORE", "d2", "a", "0", "-1"), ("SET", "str", "x"),
        ("ZUNIONSTORE", "str", "1", "a"), ("SET", "str", "x"),
        ("ZRANGESTORE", "str", "none", "0", "-1"),
        ("ZUNIONSTORE", "d", "2", "a", "a", "WEIGHTS", "1"),
    ],
    "reads and wrong types": [
        ("SET", "s", "x"), ("ZADD", "s", "1", "a"), ("ZINCRBY", "s", "1", "a"), ("ZREM", "s", "a"),
        ("ZPOPMIN", "s"), ("ZPOPMIN", "s", "0"), ("ZMPOP", "1", "s", "MIN"),
        ("ZREMRANGEBYRANK", "s", "0", "1"), ("ZUNIONSTORE", "d", "1", "s"), ("ZCARD", "s"),
        ("ZSCORE", "none", "a"), ("ZCARD", "none"), ("ZRANGE", "none", "0", "1"),
        ("ZRANGE", "none", "0", "1", "REV"), ("ZRANK", "none", "a"), ("ZREVRANK", "none", "a"),
        ("ZCOUNT", "none", "0", "1"), ("ZLEXCOUNT", "none", "-", "+"), ("ZMSCORE", "none", "a"),
        ("ZRANDMEMBER", "none"), ("ZRANDMEMBER", "none", "3"), ("ZSCAN", "none", "0"),
        ("ZRANGEBYSCORE", "none", "0", "1"), ("ZREVRANGEBYSCORE", "none", "1", "0"),
        ("ZREVRANGE", "none", "0", "1"), ("ZRANGEBYLEX", "none", "-", "+"),
        ("ZREVRANGEBYLEX", "none", "+", "-"), ("ZUNION", "2", "none", "none2"),
        ("ZINTER", "2", "none", "none2"), ("ZDIFF", "2", "none", "none2"),
        ("ZINTERCARD", "2", "none", "none2"),
    ],
}


@pytest.mark.parametrize("commands", ZSET_EVENTS.values(), ids=ZSET_EVENTS.keys())
def test_keyspace_events(both, commands):
    """zadd/zincr, zrem, zremrangeby*, zpopmin/zpopmax (then del when the key empties), the
    STORE forms' own events (del for an empty result), keymiss on read lookups, and nothing
    for a command that changes nothing or meets a wrong type, as Redis 7.0."""
    both.same_events(*commands, classes="KEAnm")


@pytest.mark.parametrize("store", [
    ("ZUNIONSTORE", "d", "2", "a", "s"), ("ZUNIONSTORE", "d", "1", "none"),
    ("ZINTERSTORE", "d", "2", "a", "s", "WEIGHTS", "2", "3"),
    ("ZINTERSTORE", "d", "2", "a", "none"),
    ("ZDIFFSTORE", "d", "2", "a", "s"), ("ZDIFFSTORE", "d", "2", "a", "a"),
    ("ZRANGESTORE", "d", "a", "0", "-1"), ("ZRANGESTORE", "d", "a", "(1", "+inf", "BYSCORE"),
    ("ZRANGESTORE", "d", "a", "5", "6"), ("ZRANGESTORE", "d", "none", "0", "-1"),
    ("ZUNIONSTORE", "a", "2", "a", "s"), ("ZINTERSTORE", "a", "2", "a", "s"),
    ("ZRANGESTORE", "a", "a", "0", "-1"),
], ids=lambda c: " ".join(c))
def test_stores_into_a_key_past_its_deadline(both, store):
    """A destination past its TTL but still stored (active expiry off): a result replaces it
    after an `expired` (setKey looks it up for writing), an empty result deletes it as a live
    key with `del` and a change (dbDelete does not look at the deadline); a destination that
    is also a source expires when it is read, as Redis 7.0."""
    both.store_past_deadline(
        (("ZADD", "a", "1", "x", "2", "y"), ("SADD", "s", "y", "z"), ("SET", "d", "old")),
        store, key=store[1])


def test_mpop_propagates_as_redis(aof_pair):
    # ZMPOP and BZMPOP go to the AOF and replicas as ZPOPMIN/ZPOPMAX of the count popped.
    setup = ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
    mine, theirs = aof_logged(aof_pair, [
        setup, ("ZMPOP", "1", "z", "MIN", "COUNT", "2"), ("ZMPOP", "1", "z", "MAX", "COUNT", "10"),
        setup, ("ZMPOP", "2", "missing", "z", "max"), ("ZMPOP", "1", "missing", "MIN"),
        ("BZMPOP", "0", "1", "z", "MIN", "COUNT", "2"), ("BZMPOP", "0", "1", "z", "MAX", "COUNT", "9"),
        setup, ("BZMPOP", "0", "2", "missing", "z", "MIN"), ("BZPOPMAX", "z", "0"),
    ])
    assert mine == theirs


def test_scan_type_and_type_name(both):
    fill(both)
    both("SET", "s", "x")
    both("SCAN", "0", "TYPE", "zset")
    both("TYPE", "z")


# -- in-process checks of the structure ------------------------------------------------------


def test_zset_structure():
    zs = ZSet()
    assert zs.add(b"b", 2.0) and zs.add(b"a", 2.0) and zs.add(b"c", 1.0)
    assert not zs.add(b"c", 3.0)
    assert list(zs) == [(2.0, b"a"), (2.0, b"b"), (3.0, b"c")]
    assert zs.rank(b"b") == 1 and zs.rank(b"x") is None and zs.score(b"c") == 3.0
    assert zs.score_bounds(2.0, 3.0, minex=True) == (2, 3)
    assert list(zs.by_score(-1e9, 2.0, reverse=True)) == [(2.0, b"b"), (2.0, b"a")]
    assert list(zs.by_score(3.0, float("inf"))) == [(3.0, b"c")]
    assert zs.pop(-1) == (3.0, b"c") and len(zs) == 2 and b"c" not in zs
    copy = zs.copy()
    copy.add(b"z", 0.0)
    assert len(zs) == 2 and len(copy) == 3
    assert zs.remove(b"a") and not zs.remove(b"a")
    zs.fit(b"new", 1, 64)
    assert not zs.listpack


# -- a random mix of operations against redis-server -----------------------------------------

KEYS = st.sampled_from(["k1", "k2", "k3"])
MEMBERS = st.sampled_from(["a", "b", "c", "d", "e", "f", "aa", "1", "2", "-3"])
SCORE_ARGS = st.sampled_from(["0", "1", "-1", "2.5", "inf", "-inf", "1e3", "0.1", "3", "-0"])
RANGE_ARGS = st.sampled_from(["-inf", "+inf", "0", "(1", "2.5", "(3", "1e3"])
LEX_ARGS = st.sampled_from(["-", "+", "[a", "(b", "[c", "(aa", "[1"])
INDEX_ARGS = st.sampled_from(["0", "1", "-1", "2", "-3", "10"])


def _cmd(name, *parts):
    return st.tuples(st.just(name), *parts)


OPERATIONS = st.one_of(
    _cmd("ZADD", KEYS, SCORE_ARGS, MEMBERS),
    _cmd("ZADD", KEYS, st.sampled_from(["NX", "XX", "GT", "LT", "CH", "XX GT"]).map(str),
         SCORE_ARGS, MEMBERS, SCORE_ARGS, MEMBERS),
    _cmd("ZINCRBY", KEYS, SCORE_ARGS, MEMBERS),
    _cmd("ZREM", KEYS, MEMBERS, MEMBERS),
    _cmd("ZRANGE", KEYS, INDEX_ARGS, INDEX_ARGS, st.just("WITHSCORES")),
    _cmd("ZRANGEBYSCORE", KEYS, RANGE_ARGS, RANGE_ARGS, st.just("WITHSCORES")),
    _cmd("ZREVRANGEBYSCORE", KEYS, RANGE_ARGS, RANGE_ARGS),
    _cmd("ZRANGEBYLEX", KEYS, LEX_ARGS, LEX_ARGS),
    _cmd("ZLEXCOUNT", KEYS, LEX_ARGS, LEX_ARGS),
    _cmd("ZCOUNT", KEYS, RANGE_ARGS, RANGE_ARGS),
    _cmd("ZRANK", KEYS, MEMBERS),
    _cmd("ZREVRANK", KEYS, MEMBERS),
    _cmd("ZSCORE", KEYS, MEMBERS),
    _cmd("ZPOPMIN", KEYS, INDEX_ARGS.filter(lambda x: not x.startswith("-"))),
    _cmd("ZPOPMAX", KEYS),
    _cmd("ZREMRANGEBYRANK", KEYS, INDEX_ARGS, INDEX_ARGS),
    _cmd("ZREMRANGEBYSCORE", KEYS, RANGE_ARGS, RANGE_ARGS),
    _cmd("ZREMRANGEBYLEX", KEYS, LEX_ARGS, LEX_ARGS),
    _cmd("ZUNIONSTORE", KEYS, st.just("2"), KEYS, KEYS),
    _cmd("ZINTERSTORE", KEYS, st.just("2"), KEYS, KEYS, st.just("AGGREGATE"),
         st.sampled_from(["SUM", "MIN", "MAX"])),
    _cmd("ZDIFFSTORE", KEYS, st.just("2"), KEYS, KEYS),
    _cmd("ZRANGESTORE", KEYS, KEYS, RANGE_ARGS, RANGE_ARGS, st.just("BYSCORE")),
    _cmd("ZUNION", st.just("3"), KEYS, KEYS, KEYS, st.just("WITHSCORES")),
    _cmd("ZMPOP", st.just("2"), KEYS, KEYS, st.sampled_from(["MIN", "MAX"]), st.just("COUNT"),
         st.sampled_from(["1", "2"])),
    _cmd("ZCARD", KEYS),
)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(OPERATIONS, min_size=1, max_size=30))
def test_random_operation_mix(both, operations):
    both.r.flushall()
    both.o.flushall()
    for op in operations:
        args = [part for item in op for part in str(item).split(" ")] if op[0] == "ZADD" else op
        both(*args)
    same_state(both, "k1", "k2", "k3")
