"""SORT and SORT_RO against redis-server 7.0: every option combination over lists, sets and
sorted sets, BY/GET patterns (strings, hash fields, `#`, `nosort`), LIMIT edge cases, STORE,
number parsing, errors, key extraction and a random mix."""

from __future__ import annotations

import itertools

import pytest
import redis
from conftest import debug_servers, reply_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


node, oracle = debug_servers()


NUMS = ["3", "1", "2", "10", "-5", "2.5", "1e2", "0x10", "1", "-0", "inf", " 7", "+4"]
WORDS = ["banana", "apple", "cherry", "apple", "Date", "", "\u00e9clair", "b\x00z", "b", "10"]
INTS = ["30", "-2", "7", "100000", "0", "12"]
ZNUMS = [("1", "5"), ("2", "3"), ("2", "8"), ("0.5", "13"), ("-1", "-4"), ("3", "21")]
ZWORDS = [("1", "pear"), ("1", "fig"), ("0", "kiwi"), ("5", "lime")]
WSET = [w for w in WORDS if "\x00" not in w]  # `b` and `b\0z` tie for strcoll: set order decides
SOURCES = {"nums": NUMS, "words": WORDS, "iset": INTS, "wset": WSET, "znums": ZNUMS,
           "zwords": ZWORDS}


def _elements() -> set[str]:
    out: set[str] = set()
    for values in SOURCES.values():
        out.update(v[1] if isinstance(v, tuple) else v for v in values)
    return out


@pytest.fixture
def dataset(r: redis.Redis, o: redis.Redis) -> None:
    elements = sorted(_elements())
    for c in (r, o):
        c.rpush("nums", *NUMS)
        c.rpush("words", *WORDS)
        c.sadd("iset", *INTS)
        c.sadd("wset", *WSET)
        c.zadd("znums", {m: float(s) for s, m in ZNUMS})
        c.zadd("zwords", {m: float(s) for s, m in ZWORDS})
        for i, e in enumerate(elements):
            # unique weights, so ALPHA BY never meets ties (which Redis orders unstably
            # under LIMIT)
            c.set(f"w_{e}", str((i * 37) % 101 - 50))
            c.hset(f"h_{e}", mapping={"f": f"v{(i * 59) % 101:03d}", "num": str(i % 7)})
        c.set("w_3", "not a number")  # only reachable through `nums`
        c.delete("w_10")
        c.rpush("w_10", "a list")      # a BY/GET key of the wrong type reads as missing


def compare(r: redis.Redis, o: redis.Redis, args: tuple, unordered: bool = False) -> None:
    mine, theirs = reply_of(r, *args), reply_of(o, *args)
    if unordered and isinstance(mine, list) and isinstance(theirs, list):
        assert sorted(mine, key=repr) == sorted(theirs, key=repr), args
    else:
        assert mine == theirs, f"{args!r}: slotkv={mine!r} redis={theirs!r}"
    if "STORE" in args[:-1]:
        dst = args[args.index("STORE") + 1]
        for cmd in (("TYPE", dst), ("LRANGE", dst, "0", "-1")):
            assert reply_of(r, *cmd) == reply_of(o, *cmd), (args, cmd)


BYS = [(), ("BY", "w_*"), ("BY", "h_*->f"), ("BY", "h_*->num"), ("BY", "nosort"),
       ("BY", "missing_*")]
ORDERS = [(), ("DESC",)]
LIMITS = [(), ("LIMIT", "0", "3"), ("LIMIT", "2", "2"), ("LIMIT", "-1", "2"),
          ("LIMIT", "1", "-1"), ("LIMIT", "100", "5"), ("LIMIT", "0", "0")]
GETS = [(), ("GET", "#"), ("GET", "w_*", "GET", "#"),
        ("GET", "h_*->f", "GET", "nosuch_*", "GET", "x", "GET", "h_*->")]


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_every_option_combination(r, o, dataset, source):
    for by, alpha, order, limit, get, store in itertools.product(
            BYS, [(), ("ALPHA",)], ORDERS, LIMITS, GETS, [(), ("STORE", "dst")]):
        ties = by == ("BY", "missing_*") or by == ("BY", "h_*->num")
        if alpha and ties and (limit or source in ("wset", "znums", "zwords")):
            continue  # equal ALPHA keys: Redis's order is its quicksort's or its dict's
        unordered = source == "wset" and by == ("BY", "nosort") and not store
        if unordered and limit:
            continue  # a hashtable's own order decides which members a LIMIT keeps
        args = ("SORT", source, *by, *alpha, *order, *limit, *get, *store)
        compare(r, o, args, unordered)
        if not store:
            compare(r, o, ("SORT_RO", *args[1:]), unordered)


def test_number_parsing(node, oracle):
    # Redis does not clear errno before its strtod, so an ERANGE left by one SORT can fail the
    # next on the same connection; a new connection (its accept ends in EAGAIN) clears it.
    values = ["1", " 1", "1 ", "\t2", "0x10", "0X1P3", "0x", "1e", "1e-310", "1e-300",
              "2.2250738585072014e-308", "2.225073858507201e-308", "4.9e-324", "0e-999",
              "1e308", "2e308", "inf", "-inf", "+Infinity", "nan", "-nan", "", "+5", ".5",
              "5.", "-.5e1", "1_0", "1\x00junk", "\x00", "12abc", "--1", "0x1.8p1", "0x.8"]
    for v in values:
        r, o = node.client(), oracle.client()
        for c in (r, o):
            c.delete("l")
            c.rpush("l", v, "3")
        compare(r, o, ("SORT", "l"))
        compare(r, o, ("SORT", "l", "DESC"))
        for c in (r, o):
            c.set("wv", v)
            c.delete("m")
            c.rpush("m", "v", "3")
        compare(r, o, ("SORT", "m", "BY", "w*"))
        r.close()
        o.close()


def test_ties_and_bytes(r, o):
    for c in (r, o):
        c.rpush("l", "b", "a", "c", "b", "a\x00z", "a\x00y", "A", "", "\xff", "\xc3\xa9")
        c.rpush("n", "2", "02", "2.0", "1", "b", "a")
        c.mset({"k_b": "1", "k_a": "1", "k_c": "0"})
        c.rpush("t", "1", "1.0", "01", "x")
        c.mset({"t_1": "5", "t_1.0": "5", "t_01": "5"})
    for args in (("SORT", "l", "ALPHA"), ("SORT", "l", "ALPHA", "DESC"),
                 ("SORT", "l", "ALPHA", "STORE", "d"), ("SORT", "l", "ALPHA", "DESC", "STORE", "d"),
                 ("SORT", "l", "BY", "k_*", "ALPHA"), ("SORT", "l", "BY", "k_*", "ALPHA", "DESC"),
                 ("SORT", "l", "BY", "k_*"), ("SORT", "l", "BY", "k_*", "DESC"),
                 ("SORT", "t", "BY", "t_*"), ("SORT", "t", "BY", "t_*", "DESC"),
                 ("SORT", "t", "BY", "t_*", "LIMIT", "1", "2"), ("SORT", "n", "BY", "nosort"),
                 ("SORT", "l", "BY", "k_*", "ALPHA", "STORE", "d"),
                 ("SORT", "l", "BY", "k_*", "ALPHA", "DESC", "STORE", "d")):
        compare(r, o, args)


def test_patterns(r, o):
    for c in (r, o):
        c.rpush("l", "a", "b", "c")
        c.mset({"a": "3", "b": "1", "c": "2", "x_a_y": "9", "x_b_y": "8", "x_c_y": "7",
                "p*a": "1", "p*b": "3", "p*c": "2"})
        c.hset("a->", "f", "1")
        c.hset("ha", mapping={"f": "3", "f->g": "x", "*": "s"})
        c.hset("hb", mapping={"f": "1", "f->g": "y"})
        c.hset("hc", mapping={"f": "2"})
    for pattern in ("*", "x_*_y", "p*", "p**", "h*->f", "h*->f->g", "h*->*", "*->", "h*->",
                    "nosort", "#", "*\x00tail", "h*->f\x00", "x", ""):
        for extra in ((), ("ALPHA",), ("DESC",)):
            compare(r, o, ("SORT", "l", "BY", pattern, *extra))
            compare(r, o, ("SORT", "l", "BY", "nosort", "GET", pattern, *extra))
    compare(r, o, ("SORT", "l", "BY", "nosort", "BY", "x_*_y"))
    compare(r, o, ("SORT", "l", "BY", "x_*_y", "BY", "nosort"))
    compare(r, o, ("SORT", "l", "GET", "#", "GET", "#", "GET", "x_*_y"))
    compare(r, o, ("SORT", "l", "BY", "x_*_y", "GET", "h*->f", "GET", "#", "STORE", "d"))


def test_limits(r, o):
    for c in (r, o):
        c.rpush("l", *[str(i) for i in range(10)])
        c.zadd("z", {str(i): i for i in range(10)})
    values = ["0", "1", "5", "9", "10", "11", "-1", "-5", "9223372036854775807",
              "-9223372036854775808"]
    for start, count in itertools.product(values, values):
        for key in ("l", "z"):
            for extra in ((), ("DESC",), ("BY", "nosort"), ("BY", "nosort", "DESC")):
                compare(r, o, ("SORT", key, "LIMIT", start, count, *extra))


def test_store(r, o):
    for c in (r, o):
        c.rpush("l", "3", "1", "2")
        c.set("dst", "x", ex=100)
        c.sadd("s", "b", "c", "a")
    for args in (("SORT", "l", "STORE", "dst"), ("TTL", "dst"), ("SORT", "l", "STORE", "dst"),
                 ("SORT", "missing", "STORE", "dst"), ("EXISTS", "dst"),
                 ("SORT", "l", "LIMIT", "5", "5", "STORE", "dst"), ("EXISTS", "dst"),
                 ("SORT", "l", "GET", "nosuch_*", "STORE", "dst"), ("LRANGE", "dst", "0", "-1"),
                 ("SORT", "l", "STORE", "d1", "STORE", "d2"), ("EXISTS", "d1"),
                 ("SORT", "l", "STORE", "l"), ("LRANGE", "l", "0", "-1"),
                 ("SORT", "s", "BY", "nosort", "STORE", "dst"), ("LRANGE", "dst", "0", "-1"),
                 ("SORT", "s", "BY", "nosort", "DESC", "STORE", "dst"),
                 ("LRANGE", "dst", "0", "-1"), ("OBJECT", "ENCODING", "dst"),
                 ("SORT", "s", "BY", "nosort", "LIMIT", "1", "1", "STORE", "dst"),
                 ("LRANGE", "dst", "0", "-1")):
        compare(r, o, args)
    compare(r, o, ("DEBUG", "DIGEST"))


def test_events(both):
    """SORT ... STORE sends sortstore (after `new` for a new key), also into the sorted key,
    or `del` when an empty result deletes the destination (nothing without one); the sorted
    key and every BY and GET key read are read lookups (`keymiss` when missing)."""
    assert both.same_events(
        ("RPUSH", "l", "3", "1", "2"), ("SORT", "l"), ("SORT", "none"), ("SORT_RO", "none"),
        ("SORT", "l", "STORE", "d"), ("SORT", "l", "STORE", "d"), ("SORT", "none", "STORE", "d"),
        ("SORT", "none", "STORE", "d"), ("SORT", "l", "STORE", "l"), ("SORT", "l", "BY", "w_*"),
        ("SORT", "l", "GET", "g_*"), ("SORT", "l", "GET", "#", "GET", "h_*->f"),
        ("SET", "w_1", "5"), ("SORT", "l", "BY", "w_*", "GET", "g_*", "STORE", "d"),
        ("SORT", "l", "BY", "nosort"), ("SORT", "l", "LIMIT", "5", "5", "STORE", "d"),
        ("SADD", "s", "b", "a"), ("SORT", "s", "ALPHA", "STORE", "d"), ("ZADD", "z", "1", "a"),
        ("SORT", "z", "ALPHA", "STORE", "z"), ("SORT_RO", "l", "BY", "w_*", "GET", "g_*"),
        ("SET", "x", "v"), ("SORT", "x"), ("SORT", "x", "STORE", "d"),
        ("SORT", "l", "STORE", "x"),
        classes="KEAnm")



def test_junk_score_reads_every_by_key_first(both):
    """A BY value that is not a number fails SORT only after every BY key was read: each
    missing one is a keymiss, as sort.c loads all scores before it reports the error."""
    assert both.same_events(
        ("RPUSH", "l", "3", "1", "2", "10"), ("SET", "w_1", "x"), ("SORT", "l", "BY", "w_*"),
        ("SORT", "l", "BY", "w_*", "STORE", "d"), ("EXISTS", "d"), ("SET", "w_3", "nan"),
        ("SORT", "l", "BY", "w_*", "DESC", "LIMIT", "0", "1"),
        classes="KEAnm")


def test_store_counts_every_element_as_a_change(both):
    """SORT ... STORE moves rdb_changes_since_last_save by the number of elements stored (one
    for a deleted destination, none when nothing was there), as sort.c's dirty += outputlen."""
    both.same_changes(
        ("RPUSH", "l", "3", "1", "2", "10"), ("SORT", "l", "STORE", "d"),
        ("SORT", "l", "LIMIT", "1", "2", "STORE", "d"),
        ("SORT", "l", "GET", "#", "GET", "x_*", "STORE", "d"),
        ("SADD", "s", "b", "a", "c"), ("SORT", "s", "BY", "nosort", "STORE", "d"),
        ("ZADD", "z", "1", "a", "2", "b"), ("SORT", "z", "ALPHA", "DESC", "STORE", "d"),
        ("SORT", "l", "LIMIT", "9", "1", "STORE", "d"),
        ("SORT", "l", "LIMIT", "9", "1", "STORE", "d"), ("SORT", "missing", "STORE", "d"),
    )


@pytest.mark.parametrize("store", [
    ("SORT", "l", "STORE", "d"), ("SORT", "l", "GET", "#", "GET", "w_*", "STORE", "d"),
    ("SORT", "l", "LIMIT", "5", "1", "STORE", "d"), ("SORT", "none", "STORE", "d"),
    ("SORT", "l", "STORE", "l"), ("SORT", "d", "STORE", "d"),
], ids=lambda c: " ".join(c))
def test_store_into_a_key_past_its_deadline(both, store):
    """A destination past its TTL but still stored (active expiry off): a result replaces it
    after an `expired` (setKey looks it up for writing), an empty result deletes it as a live
    key with `del` and a change (dbDelete does not look at the deadline); a sorted key that is
    also the destination expires when it is read, as sort.c."""
    both.store_past_deadline(
        (("RPUSH", "l", "3", "1", "2"), ("SET", "w_1", "x"), ("SET", "d", "old")),
        store, key=store[-1])


SCRIPT_SORTS = [
    ("BY", "nosort"), ("BY", "nosort", "DESC"), ("BY", "nosort", "LIMIT", "1", "2"),
    ("BY", "nosort", "ALPHA"), ("BY", "nosort", "GET", "#"),
    ("BY", "const", "DESC", "LIMIT", "0", "3"),
]


@pytest.mark.parametrize("extra", SCRIPT_SORTS)
def test_unsorted_set_is_sorted_for_scripts(both, extra):
    """A set SORTed BY a constant from a script (EVAL or FCALL, SORT or SORT_RO) comes out
    sorted ALPHA, as when stored, so that it does not depend on the set's own order; lists
    and sorted sets keep theirs."""
    both("SADD", "is", "10", "9", "100", "-3", "7")
    both("RPUSH", "l", "10", "9", "100")
    both("ZADD", "z", "1", "x", "2", "b", "3", "a")
    both("FUNCTION", "LOAD", "REPLACE", "#!lua name=sortlib\n"
         "redis.register_function('sorter', function(keys, args) "
         "return redis.call('sort', keys[1], unpack(args)) end)")
    for key in ("is", "l", "z"):
        for name in ("sort", "sort_ro"):
            both("EVAL", f"return redis.call('{name}', KEYS[1], unpack(ARGV))", "1", key, *extra)
        both("FCALL", "sorter", "1", key, *extra)
    both("FUNCTION", "DELETE", "sortlib")


def test_sorted_set_becomes_skiplist(r, o):
    for c in (r, o):
        c.zadd("z", {"a": 1, "b": 2})
        c.zadd("z2", {"a": 1, "b": 2})
    for args in (("OBJECT", "ENCODING", "z"), ("SORT_RO", "z", "ALPHA"), ("OBJECT", "ENCODING", "z"),
                 ("SORT", "z2", "BY", "nosort", "LIMIT", "0", "1"), ("OBJECT", "ENCODING", "z2"),
                 ("SORT", "z2", "BY", "nosort", "DESC")):
        compare(r, o, args)


def test_errors(r, o):
    for c in (r, o):
        c.rpush("l", "1", "2")
        c.set("str", "x")
        c.hset("h", "f", "v")
    for args in (
        ("SORT",), ("SORT", "l", "foo"), ("SORT", "l", "LIMIT"), ("SORT", "l", "LIMIT", "0"),
        ("SORT", "l", "LIMIT", "x", "1"), ("SORT", "l", "LIMIT", "0", "1.5"),
        ("SORT", "l", "LIMIT", "0", "x", "foo"), ("SORT", "l", "BY"), ("SORT", "l", "GET"),
        ("SORT", "l", "STORE"), ("SORT_RO", "l", "STORE", "d"), ("SORT_RO", "l", "STORE"),
        ("SORT", "str"), ("SORT", "h"), ("SORT", "str", "foo"), ("SORT", "str", "LIMIT", "x", "1"),
        ("SORT", "l", "ALPHA", "foo"), ("SORT", "l", "asc", "desc", "ASC"),
        ("SORT", "l", "Alpha", "LiMiT", "0", "1", "By", "nosort", "gEt", "#"),
        ("SORT", "l", b"alpha\x00x"), ("SORT", "l", b"\x00"),
    ):
        compare(r, o, args)


@pytest.mark.parametrize("args", [
    ("SORT", "k"), ("SORT", "k", "STORE", "d"), ("SORT", "k", "STORE", "d", "STORE", "e"),
    ("SORT", "k", "GET", "store", "STORE", "d"), ("SORT", "k", "STORE", "GET", "d"),
    ("SORT", "k", "LIMIT", "0", "STORE", "d"), ("SORT", "k", "LIMIT", "store", "x", "STORE", "d"),
    ("SORT", "k", "BY", "STORE", "d"), ("SORT", "k", "store"), ("SORT", "k", "foo", "STORE", "d"),
    ("SORT", "k", "ALPHA", "DESC", "stORe", "d", "GET", "#"), ("SORT_RO", "k", "STORE", "d"),
    ("SORT_RO", "k"),
])
def test_getkeys(both, args):
    both("COMMAND", "GETKEYS", *args)
    mine = reply_of(both.r, "COMMAND", "GETKEYSANDFLAGS", *args)
    theirs = reply_of(both.o, "COMMAND", "GETKEYSANDFLAGS", *args)
    assert [(k, set(f)) for k, f in mine] == [(k, set(f)) for k, f in theirs]


@pytest.mark.parametrize("name", ["sort", "sort_ro"])
def test_command_metadata(both, both3, name):
    both("COMMAND", "INFO", name)
    mine = reply_of(both3.r, "COMMAND", "DOCS", name)[name.encode()]
    theirs = reply_of(both3.o, "COMMAND", "DOCS", name)[name.encode()]
    for field in (b"summary", b"since", b"group", b"complexity"):
        assert mine[field] == theirs[field], field


def test_resp3(both3):
    both3.run(("RPUSH", "l", "2", "1"), ("SORT", "l"), ("SORT", "missing"),
              ("SORT", "l", "GET", "nosuch_*"), ("SORT", "l", "STORE", "d"), ("SORT_RO", "l"))


# -- a random mix --------------------------------------------------------------------------------

ITEMS = st.one_of(st.integers(-50, 50).map(str), st.sampled_from(["a", "b", "1.5", "", "x y"]))
OPTIONS = st.lists(st.one_of(
    st.tuples(st.sampled_from(["ASC", "DESC", "ALPHA"])),
    st.tuples(st.just("LIMIT"), st.integers(-3, 8).map(str), st.integers(-3, 8).map(str)),
    st.tuples(st.just("BY"), st.sampled_from(["w_*", "nosort", "h_*->f"])),
    st.tuples(st.just("GET"), st.sampled_from(["#", "w_*", "h_*->f"])),
    st.tuples(st.just("STORE"), st.just("dst")),
), max_size=5)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ITEMS, min_size=0, max_size=12), st.lists(ITEMS, max_size=12), OPTIONS)
def test_random_lists(r, o, items, weights, options):
    for c in (r, o):
        c.flushall()
        if items:
            c.rpush("l", *items)
        for item, weight in zip(items, weights):
            c.set(f"w_{item}", weight)
            c.hset(f"h_{item}", "f", weight)
    args = ("SORT", "l", *[part for opt in options for part in opt])
    by = [opt[1] for opt in options if opt[0] == "BY"]
    mine, theirs = reply_of(r, *args), reply_of(o, *args)
    alpha_by = any(opt[0] == "ALPHA" for opt in options) and by and by[-1] != "nosort"
    limited = any(opt[0] == "LIMIT" for opt in options)
    if mine != theirs and alpha_by and limited:
        # equal ALPHA BY keys under LIMIT: Redis's partial quicksort is not stable
        assert type(mine) is type(theirs), args
        return
    assert mine == theirs, f"{args!r}: slotkv={mine!r} redis={theirs!r}"
    if "STORE" in args:
        stored = [reply_of(c, "LRANGE", "dst", "0", "-1") for c in (r, o)]
        if alpha_by and limited:  # the same unstable partial sort decides what is stored
            assert len(stored[0]) == len(stored[1]), args
        else:
            assert stored[0] == stored[1], args


@pytest.mark.parametrize("limit", [("1", "7"), ("0", "6"), ("2", "3"), ("0", "1")])
@pytest.mark.parametrize("weights", [
    ["a", "b", "c", "z", "d", "e", "e"],
    ["", "a", "B", "c", None, "b", "b"],
    ["b", "a", "b", "a", "c", "b", "a", "c", "b", "a"] * 5,  # over 40: pivots by med3
])
def test_alpha_by_ties_under_limit_follow_pqsort(both, weights, limit):
    # Equal ALPHA BY keys under a LIMIT window come out in the order Redis's pqsort leaves
    # them (partitions, no stable insertion pass); slotkv kept them in input order.
    elements = [f"e{i}" for i in range(len(weights))]
    both("RPUSH", "k", *elements)
    for element, weight in zip(elements, weights):
        if weight is not None:
            both("SET", f"w_{element}", weight)
    for extra in ((), ("DESC",), ("STORE", "dst")):
        both("SORT", "k", "BY", "w_*", "ALPHA", "LIMIT", *limit, *extra)
    both("LRANGE", "dst", "0", "-1")
