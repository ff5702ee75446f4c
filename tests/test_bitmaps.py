"""The bitmap group (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO) against
redis-server: replies, error strings, edge cases, metadata and a random mix of operations."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
import redis
from conftest import debug_servers, make_non_string, reply_of, start_redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.commands import bitmaps
from node.errors import WRONGTYPE, CommandError
from node.keyspace import TYPE_NAMES, Keyspace

node, oracle = debug_servers()  # DEBUG SET-ACTIVE-EXPIRE

BITMAP_COMMANDS = ("setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro")


# -- metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BITMAP_COMMANDS)
def test_command_info_matches(both, name):
    both("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", BITMAP_COMMANDS)
def test_command_docs_basics_match(both3, name):
    mine = reply_of(both3.r, "COMMAND", "DOCS", name)
    theirs = reply_of(both3.o, "COMMAND", "DOCS", name)
    mine_doc, their_doc = mine[name.encode()], theirs[name.encode()]
    for field in (b"summary", b"since", b"group", b"complexity"):
        assert mine_doc[field] == their_doc[field], field


def test_getkeys(both):
    both("COMMAND", "GETKEYS", "BITOP", "AND", "dest", "a", "b", "c")
    both("COMMAND", "GETKEYS", "BITFIELD", "k", "GET", "u8", "0")
    both("COMMAND", "GETKEYS", "SETBIT", "k", "7", "1")


# -- SETBIT / GETBIT -------------------------------------------------------------------------


def test_setbit_getbit_basics(both):
    both.run(
        ("SETBIT", "k", "7", "1"), ("GET", "k"), ("SETBIT", "k", "7", "1"),
        ("SETBIT", "k", "7", "0"), ("GET", "k"), ("SETBIT", "k", "100", "1"), ("GET", "k"),
        ("STRLEN", "k"), ("GETBIT", "k", "100"), ("GETBIT", "k", "99"),
        ("GETBIT", "k", "10000"), ("GETBIT", "missing", "0"), ("SETBIT", "k", "0", "0"),
        ("GET", "k"), ("SETBIT", "new", "0", "0"), ("EXISTS", "new"), ("GET", "new"),
        ("SET", "s", "foobar"), ("SETBIT", "s", "1", "0"), ("SETBIT", "s", "2", "1"),
        ("GET", "s"), ("GETBIT", "s", "1"), ("GETBIT", "s", "2"), ("SET", "i", "123"),
        ("GETBIT", "i", "2"), ("SETBIT", "i", "47", "1"), ("GET", "i"),
    )


def test_setbit_getbit_errors(both):
    both.run(
        ("SETBIT", "k", "0", "2"), ("SETBIT", "k", "0", "-1"), ("SETBIT", "k", "0", "x"),
        ("SETBIT", "k", "0", ""), ("SETBIT", "k", "-1", "1"), ("SETBIT", "k", "x", "1"),
        ("SETBIT", "k", "1.5", "1"), ("SETBIT", "k", "+1", "1"), ("SETBIT", "k", "01", "1"),
        ("SETBIT", "k", "4294967296", "1"), ("SETBIT", "k", "99999999999999999999", "1"),
        ("SETBIT", "k", "x", "2"), ("SETBIT", "k", "#1", "1"), ("GETBIT", "k", "#0"),
        ("GETBIT", "k", "-1"), ("GETBIT", "k", "4294967296"),
        ("GETBIT", "k", "x"), ("SETBIT", "k", "0"), ("GETBIT", "k"), ("GETBIT", "k", "0", "1"),
        ("EXISTS", "k"),
    )


def test_setbit_largest_offset(both):
    # The last bit below 512 MB is allowed; reading it from a short string costs nothing.
    both("GETBIT", "k", "4294967295")
    both("SET", "k", "x")
    both("GETBIT", "k", "4294967295")


def test_setbit_keeps_ttl(both, r, o):
    both("SET", "k", "a", "EX", "1000")
    both("SETBIT", "k", "3", "1")
    both("SETBIT", "k", "200", "1")
    both("SETBIT", "k", "200", "1")  # no change
    assert 990 <= r.ttl("k") <= 1000 and 990 <= o.ttl("k") <= 1000
    both("GET", "k")


def test_setbit_on_expired_key_starts_fresh(both, r, o):
    both("SET", "k", "\xff\xff", "PX", "1")
    time.sleep(0.02)
    both("SETBIT", "k", "0", "0")
    both("GET", "k")
    assert r.ttl("k") == o.ttl("k") == -1


def test_setbit_unchanged_bit_is_not_a_write(both, r, o):
    if isinstance(reply_of(r, "WATCH", "probe"), tuple):
        pytest.skip("the node has no WATCH yet")
    both("SET", "k", b"\x80")
    for client in (r, o):
        with client.pipeline(transaction=True) as pipe:
            pipe.watch("k")
            # Another connection: a SETBIT that changes nothing is no write in Redis, so the
            # WATCH survives; one that changes a bit is, and the transaction aborts.
            assert reply_of(client, "SETBIT", "k", "0", "1") == 1
            pipe.multi()
            pipe.get("k")
            assert pipe.execute() == [b"\x80"]
        with client.pipeline(transaction=True) as pipe:
            pipe.watch("k")
            assert reply_of(client, "SETBIT", "k", "1", "1") == 0
            pipe.multi()
            pipe.get("k")
            with pytest.raises(redis.WatchError):
                pipe.execute()


# -- BITCOUNT --------------------------------------------------------------------------------


def test_bitcount_whole_and_missing(both):
    both.run(
        ("BITCOUNT", "missing"), ("SET", "k", "foobar"), ("BITCOUNT", "k"),
        ("SET", "e", ""), ("BITCOUNT", "e"), ("BITCOUNT", "e", "0", "-1"),
        ("BITCOUNT", "e", "0", "-1", "BIT"),
    )


def test_bitcount_ranges(both):
    both("SET", "k", b"\xff\x0f\xaa\x01\x80\x7e\x00\xff\xc3")
    values = ("0", "1", "2", "7", "8", "9", "15", "40", "71", "72", "100", "-1", "-2", "-8",
              "-9", "-70", "-100", "-9223372036854775808", "9223372036854775807")
    for start in values:
        for end in values:
            both("BITCOUNT", "k", start, end)
            both("BITCOUNT", "k", start, end, "BIT")
    both("BITCOUNT", "k", "1", "3", "byte")
    both("BITCOUNT", "k", "1", "30", "bIt")


def test_bitcount_errors(both):
    both("SET", "k", "foobar")
    both.run(
        ("BITCOUNT", "k", "1"), ("BITCOUNT", "k", "a", "1"), ("BITCOUNT", "k", "1", "b"),
        ("BITCOUNT", "k", "0", "1", "bits"), ("BITCOUNT", "k", "0", "1", "BIT", "x"),
        ("BITCOUNT", "k", "0", "1", b"bit\x00"), ("BITCOUNT", "k", "0", "1", b"bit\x00zz"),
        # Redis 7.0 looks the key up before parsing the range: a missing key is 0 regardless.
        ("BITCOUNT", "missing", "1"), ("BITCOUNT", "missing", "a", "b", "c"),
        ("BITCOUNT", "k", "99999999999999999999", "1"), ("BITCOUNT",),
        # Two negative indexes with start > end answer 0 before the unit is read.
        ("BITCOUNT", "k", "-1", "-3", "X"), ("BITCOUNT", "k", "-3", "-1", "X"),
        ("BITCOUNT", "k", "1", "-3", "X"),
    )


def test_bitcount_large_string(both, r):
    both("SETBIT", "big", str(8 * 4 * 1024 * 1024 - 1), "1")
    both("SETRANGE", "big", "1000000", "\xff" * 1000)
    both("SETRANGE", "big", "3000000", "hello world")
    both("BITCOUNT", "big")
    both("BITCOUNT", "big", "1000", "-1000")
    both("BITCOUNT", "big", "8000003", "-3", "BIT")


# -- BITPOS ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    b"\x00\x00\x00", b"\xff\xff\xff", b"\x00\xf0\x00", b"\xff\x0f\xff", b"\x01",
    b"\xfe", b"\x00\x00\x01\x00\x80", b"\xff\xfe\xff\x7f\xff",
])
def test_bitpos_ranges(both, value):
    both("SET", "k", value)
    n = len(value)
    for bit in ("0", "1"):
        both("BITPOS", "k", bit)
        for start in range(-n - 2, n + 2):
            both("BITPOS", "k", bit, str(start))
            for end in range(-n - 2, n + 2):
                both("BITPOS", "k", bit, str(start), str(end))
                both("BITPOS", "k", bit, str(start), str(end), "BYTE")
        for start in range(-8 * n - 2, 8 * n + 2, 3):
            for end in range(-8 * n - 2, 8 * n + 2, 2):
                both("BITPOS", "k", bit, str(start), str(end), "BIT")


def test_bitpos_edge_cases(both):
    both.run(
        ("BITPOS", "missing", "0"), ("BITPOS", "missing", "1"), ("BITPOS", "missing", "0", "5"),
        ("BITPOS", "missing", "1", "x"), ("SET", "e", ""), ("BITPOS", "e", "0"),
        ("BITPOS", "e", "1"), ("BITPOS", "e", "0", "0"), ("BITPOS", "e", "0", "0", "-1", "BIT"),
        ("SET", "f", "\xff\xff"), ("BITPOS", "f", "0"), ("BITPOS", "f", "0", "1"),
        ("BITPOS", "f", "0", "0", "-1"), ("BITPOS", "f", "0", "5", "9", "BIT"),
        ("BITPOS", "f", "1", "5", "9", "BIT"), ("BITPOS", "f", "1", "-1", "-1", "bit"),
    )


def test_bitpos_errors(both):
    both("SET", "k", "\x00\xff")
    both.run(
        ("BITPOS", "k", "2"), ("BITPOS", "k", "-1"), ("BITPOS", "k", "x"), ("BITPOS", "k", ""),
        ("BITPOS", "k", "1", "x"), ("BITPOS", "k", "1", "0", "x"),
        ("BITPOS", "k", "1", "0", "1", "bits"), ("BITPOS", "k", "1", "0", "x", "bits"),
        ("BITPOS", "k", "1", "0", "x", "bit"), ("BITPOS", "k", "1", "0", "1", "bit", "x"),
        ("BITPOS", "k", "0", "0", "bit"), ("BITPOS", "k"), ("BITPOS", "missing", "5"),
    )


def test_bitpos_large_string(both, r):
    both("SETBIT", "big", str(8 * 4 * 1024 * 1024 - 3), "1")
    both("BITPOS", "big", "1")
    both("BITPOS", "big", "0")
    both("BITPOS", "big", "1", "-2")
    both("BITPOS", "big", "1", "100", "-1", "BIT")
    both("SET", "ones", "\xff" * 100000)
    both("BITPOS", "ones", "0")
    both("BITPOS", "ones", "0", "7", "-1", "BIT")


# -- BITOP -----------------------------------------------------------------------------------


def test_bitop_operations(both):
    both.run(
        ("SET", "a", b"\xff\x0f\xf0\xaa"), ("SET", "b", b"\x0f\xff"), ("SET", "c", b"\x01"),
        ("BITOP", "AND", "d", "a", "b"), ("GET", "d"), ("BITOP", "and", "d", "a", "b", "c"),
        ("GET", "d"), ("BITOP", "OR", "d", "a", "b", "c"), ("GET", "d"),
        ("BITOP", "XOR", "d", "a", "b", "c"), ("GET", "d"), ("BITOP", "xOr", "d", "a"),
        ("GET", "d"), ("BITOP", "NOT", "d", "a"), ("GET", "d"), ("BITOP", "NOT", "d", "b"),
        ("GET", "d"), ("BITOP", "AND", "d", "a", "missing"), ("GET", "d"),
        ("BITOP", "OR", "d", "missing", "b"), ("GET", "d"), ("BITOP", "AND", "a", "a", "b"),
        ("GET", "a"), ("BITOP", "XOR", "b", "b", "b"), ("GET", "b"),
    )


def test_bitop_empty_result_deletes_destination(both):
    both.run(
        ("SET", "d", "old"), ("BITOP", "AND", "d", "missing1", "missing2"), ("EXISTS", "d"),
        ("SET", "d", "old"), ("SET", "e", ""), ("BITOP", "OR", "d", "e", "missing"),
        ("EXISTS", "d"), ("SET", "d", "old"), ("BITOP", "NOT", "d", "missing"), ("EXISTS", "d"),
        ("BITOP", "NOT", "d", "e"), ("EXISTS", "d"),
    )


def test_bitop_destination_loses_ttl(both, r, o):
    both("SET", "d", "x", "EX", "100")
    both("SET", "a", "abc")
    both("BITOP", "NOT", "d", "a")
    assert r.ttl("d") == o.ttl("d") == -1
    both("GET", "d")


def test_bitop_errors(both):
    both("SET", "a", "x")
    both.run(
        ("BITOP", "NAND", "d", "a"), ("BITOP", "NOT", "d", "a", "a"), ("BITOP", "NOT", "d"),
        ("BITOP", "AND", "d"), ("BITOP", "", "d", "a"), ("BITOP", b"and\x00x", "d", "a"),
        ("BITOP", "andx", "d", "a"), ("BITOP", "NOTT", "d", "a", "b"), ("EXISTS", "d"),
    )


def test_bitop_large(both, r):
    size = 2 * 1024 * 1024
    both("SETRANGE", "a", str(size - 5), "hello")
    both("SETRANGE", "b", str(size // 2), "world" * 100)
    both("SETRANGE", "a", "12345", "\xff" * 300)
    for op in ("AND", "OR", "XOR"):
        both("BITOP", op, "d", "a", "b")
        both("BITCOUNT", "d")
        both("BITPOS", "d", "1")
    both("BITOP", "NOT", "d", "b")
    both("BITCOUNT", "d")


# -- BITFIELD --------------------------------------------------------------------------------


def test_bitfield_get_set_incrby(both):
    both.run(
        ("BITFIELD", "k", "SET", "i8", "0", "100", "GET", "i8", "0", "GET", "u4", "0"),
        ("BITFIELD", "k", "INCRBY", "i5", "100", "1", "GET", "u4", "0"), ("GET", "k"),
        ("BITFIELD", "k", "SET", "u8", "#1", "255", "GET", "u8", "#1", "GET", "i8", "8"),
        ("BITFIELD", "k", "SET", "i64", "3", "-9223372036854775808", "GET", "i64", "3"),
        ("BITFIELD", "k", "SET", "u63", "5", "9223372036854775807", "GET", "u63", "5"),
        ("BITFIELD", "k", "GET", "i64", "0", "GET", "u63", "1", "GET", "i1", "7"),
        ("GET", "k"), ("BITFIELD", "k"), ("BITFIELD", "missing"),
        ("BITFIELD", "missing", "GET", "u8", "0", "GET", "i64", "1000"), ("EXISTS", "missing"),
        ("BITFIELD", "k", "get", "u8", "#2", "set", "u3", "#7", "5", "incrby", "u3", "#7", "1"),
        ("GET", "k"), ("BITFIELD", "k", "GET", "u8", "4294967295"),
    )


def test_bitfield_overflow_modes(both):
    for kind, lo, hi in (("u8", "-300", "300"), ("i8", "-200", "200"), ("i64", "-9223372036854775808",
                         "9223372036854775807"), ("u63", "-9223372036854775808",
                         "9223372036854775807"), ("u1", "-3", "3"), ("i1", "-2", "2")):
        for mode in ("WRAP", "SAT", "FAIL"):
            both("DEL", "k")
            for arg in (hi, lo, "1", "-1", "0", "127", "128", "-128", "-129", "255", "256"):
                both("BITFIELD", "k", "OVERFLOW", mode, "SET", kind, "3", arg, "GET", kind, "3")
                both("BITFIELD", "k", "OVERFLOW", mode, "INCRBY", kind, "3", arg)
                both("BITFIELD", "k", "OVERFLOW", mode, "INCRBY", kind, "3", arg,
                     "INCRBY", kind, "3", arg)
            both("GET", "k")


def test_bitfield_overflow_switches_mid_call(both):
    both.run(
        ("BITFIELD", "k", "SET", "u8", "0", "250", "INCRBY", "u8", "0", "10", "OVERFLOW", "SAT",
         "INCRBY", "u8", "0", "300", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1",
         "OVERFLOW", "wrap", "INCRBY", "u8", "0", "1", "GET", "u8", "0"),
        ("GET", "k"),
        # A FAIL still creates the key and grows it to the highest written field.
        ("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "100", "300"), ("GET", "f"),
        ("BITFIELD", "f", "OVERFLOW", "FAIL", "SET", "u8", "500", "-1"), ("STRLEN", "f"),
    )


def test_bitfield_errors(both):
    both("SET", "k", "\x01\x02")
    both.run(
        ("BITFIELD", "k", "GET", "u64", "0"), ("BITFIELD", "k", "GET", "i65", "0"),
        ("BITFIELD", "k", "GET", "u0", "0"), ("BITFIELD", "k", "GET", "i0", "0"),
        ("BITFIELD", "k", "GET", "x8", "0"), ("BITFIELD", "k", "GET", "", "0"),
        ("BITFIELD", "k", "GET", "U8", "0"), ("BITFIELD", "k", "GET", "u08", "0"),
        ("BITFIELD", "k", "GET", "u-8", "0"), ("BITFIELD", "k", "GET", b"u8\x00junk", "1"),
        ("BITFIELD", "k", "GET", "u8", "-1"), ("BITFIELD", "k", "GET", "u8", "x"),
        ("BITFIELD", "k", "GET", "u8", "#"), ("BITFIELD", "k", "GET", "i8", "#0"),
        ("BITFIELD", "k", "GET", "u8", "#-1"),
        ("BITFIELD", "k", "GET", "u8", "##1"), ("BITFIELD", "k", "GET", "u8", "4294967296"),
        ("BITFIELD", "k", "GET", "u8", "#536870912"), ("BITFIELD", "k", "GET", "u8", "#536870911"),
        ("BITFIELD", "k", "GET", "i64", "#1152921504606846975"),
        ("BITFIELD", "k", "GET", "i64", "#1152921504606846976"),
        ("BITFIELD", "k", "GET", "u8", "#9223372036854775807"),
        ("BITFIELD", "k", "SET", "u8", "0", "x"), ("BITFIELD", "k", "SET", "u8", "0", "1.5"),
        ("BITFIELD", "k", "INCRBY", "u8", "0", "99999999999999999999"),
        ("BITFIELD", "k", "GET", "u8"), ("BITFIELD", "k", "SET", "u8", "0"),
        ("BITFIELD", "k", "INCRBY", "u8", "0"), ("BITFIELD", "k", "OVERFLOW"),
        ("BITFIELD", "k", "OVERFLOW", "FOO", "GET", "u8", "0"), ("BITFIELD", "k", "FOO"),
        ("BITFIELD", "k", "GET", "u8", "0", "SET"),
        # Everything is parsed before anything runs: a late error leaves the key untouched.
        ("BITFIELD", "k", "SET", "u8", "0", "255", "GET", "u99", "0"), ("GET", "k"),
        ("BITFIELD", "k", "SET", "u8", "0", "255", "OVERFLOW", "x"), ("GET", "k"),
        ("BITFIELD",),
    )


def test_bitfield_counts_only_what_changed(both, r, o):
    # A write is a change when it created or grew the string or moved its field; one that
    # stores the same value, or is refused by OVERFLOW FAIL, is not. Each change counts.
    both.same_changes(("BITFIELD", "k", "SET", "u8", "0", "1"),
                      ("BITFIELD", "k", "SET", "u8", "0", "1"),
                      ("BITFIELD", "k", "INCRBY", "u8", "0", "0"),
                      ("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"),
                      ("BITFIELD", "k", "SET", "u8", "0", "2", "SET", "u8", "8", "3",
                       "INCRBY", "u8", "0", "0"),
                      ("BITFIELD", "new", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "10"))
    both.run(("GET", "k"), ("GET", "new"), ("EXISTS", "new"))
    for client in (r, o):
        with client.pipeline(transaction=True) as pipe:
            pipe.watch("k")
            # Another connection's no-op write leaves the WATCH standing.
            assert reply_of(client, "BITFIELD", "k", "SET", "u8", "0", "2") == [2]
            pipe.multi()
            pipe.get("k")
            assert pipe.execute() == [b"\x02\x03"]


def test_bitfield_ro(both):
    both.run(
        ("SET", "k", "\x01\x02\x03"), ("BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i16", "#1"),
        ("BITFIELD_RO", "k"), ("BITFIELD_RO", "missing", "GET", "u8", "0"),
        ("BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", "0"),
        ("BITFIELD_RO", "k", "SET", "u8", "0", "1"), ("BITFIELD_RO", "k", "INCRBY", "u8", "0", "1"),
        ("BITFIELD_RO", "k", "GET", "u8", "0", "SET", "u8", "0", "x"),
        ("BITFIELD_RO", "k", "GET", "u64", "0"), ("GET", "k"), ("EXISTS", "missing"),
    )


def test_bitfield_keeps_ttl(both, r, o):
    both("SET", "k", "a", "EX", "1000")
    both("BITFIELD", "k", "SET", "u8", "100", "7")
    assert 990 <= r.ttl("k") <= 1000 and 990 <= o.ttl("k") <= 1000
    both("GET", "k")


# -- wrong types -----------------------------------------------------------------------------

WRONGTYPE_CALLS = (
    ("SETBIT", "w", "0", "1"), ("GETBIT", "w", "0"), ("BITCOUNT", "w"), ("BITCOUNT", "w", "0", "1"),
    ("BITPOS", "w", "1"), ("BITPOS", "w", "0", "0", "1", "BIT"), ("BITOP", "AND", "d", "a", "w"),
    ("BITOP", "NOT", "d", "w"), ("BITFIELD", "w", "GET", "u8", "0"),
    ("BITFIELD", "w", "SET", "u8", "0", "1"), ("BITFIELD", "w"), ("BITFIELD_RO", "w", "GET", "u8", "0"),
)


def test_wrongtype_differential(both, r, o):
    if not make_non_string(r, o):
        pytest.skip("the node implements no non-string type yet (see the in-process test)")
    both("SET", "a", "abc")
    for call in WRONGTYPE_CALLS:
        both(*call)
    both("BITOP", "AND", "w", "a")  # the destination is overwritten whatever its type
    both("GET", "w")


class _Other:
    """A stand-in for a non-string value, for testing WRONGTYPE without another data type."""


def test_wrongtype_in_process():
    TYPE_NAMES.setdefault(_Other, b"other")
    ks = Keyspace(1)
    db = ks.dbs[0]
    db.set(b"w", _Other())
    db.set(b"a", b"abc")
    ctx = SimpleNamespace(db=db, server=SimpleNamespace(config={"proto-max-bulk-len": 512 << 20}))
    handlers = {"SETBIT": bitmaps.setbit, "GETBIT": bitmaps.getbit, "BITCOUNT": bitmaps.bitcount,
                "BITPOS": bitmaps.bitpos, "BITOP": bitmaps.bitop, "BITFIELD": bitmaps.bitfield,
                "BITFIELD_RO": bitmaps.bitfield_ro}
    for call in WRONGTYPE_CALLS:
        argv = [x.encode() for x in call]
        with pytest.raises(CommandError) as info:
            handlers[call[0]](ctx, argv)
        assert info.value.message == WRONGTYPE, call
    assert isinstance(db.data[b"w"], _Other)
    assert bitmaps.bitop(ctx, [b"BITOP", b"OR", b"w", b"a"]) == 3
    assert db.data[b"w"] == b"abc"


# -- proto-max-bulk-len bounds the offsets ---------------------------------------------------


def test_offset_limit_follows_proto_max_bulk_len(start_node):
    node = start_node("--proto-max-bulk-len", "1mb")
    oracle = start_redis("--proto-max-bulk-len", "1mb")
    try:
        r, o = node.client(), oracle.client()
        limit = str(8 * 1024 * 1024)
        for call in (("SETBIT", "k", limit, "1"), ("SETBIT", "k", str(int(limit) - 1), "1"),
                     ("STRLEN", "k"), ("GETBIT", "k", limit), ("BITFIELD", "k", "GET", "u8", limit),
                     ("BITFIELD", "k", "SET", "u8", "#131072", "1"),
                     ("BITFIELD", "k", "SET", "u8", "#131071", "1"), ("STRLEN", "k"),
                     ("BITFIELD", "k", "SET", "i64", str(int(limit) - 1), "-1"), ("STRLEN", "k"),
                     ("BITCOUNT", "k")):
            assert reply_of(r, *call) == reply_of(o, *call), call
        r.close()
        o.close()
    finally:
        oracle.stop()


# -- a random mix of operations --------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "c"])
OFFSET = st.integers(min_value=0, max_value=90).map(str)
INDEX = st.integers(min_value=-14, max_value=14).map(str)
FIELD_TYPE = st.sampled_from(["u1", "u3", "u8", "u13", "u63", "i1", "i5", "i8", "i16", "i64"])
FIELD_OFFSET = st.one_of(OFFSET, st.integers(min_value=0, max_value=8).map(lambda n: f"#{n}"))
SMALL_INT = st.integers(min_value=-300, max_value=300).map(str)
FIELD_OP = st.one_of(
    st.tuples(st.just("GET"), FIELD_TYPE, FIELD_OFFSET),
    st.tuples(st.just("SET"), FIELD_TYPE, FIELD_OFFSET, SMALL_INT),
    st.tuples(st.just("INCRBY"), FIELD_TYPE, FIELD_OFFSET, SMALL_INT),
    st.tuples(st.just("OVERFLOW"), st.sampled_from(["WRAP", "SAT", "FAIL"])),
)


def _flatten_ops(ops: list[tuple]) -> tuple:
    return tuple(x for op in ops for x in op)


COMMANDS = st.one_of(
    st.tuples(st.just("SETBIT"), KEYS, OFFSET, st.sampled_from(["0", "1"])),
    st.tuples(st.just("GETBIT"), KEYS, OFFSET),
    st.tuples(st.just("BITCOUNT"), KEYS),
    st.tuples(st.just("BITCOUNT"), KEYS, INDEX, INDEX),
    st.tuples(st.just("BITCOUNT"), KEYS, INDEX, INDEX, st.sampled_from(["BIT", "BYTE"])),
    st.tuples(st.just("BITPOS"), KEYS, st.sampled_from(["0", "1"])),
    st.tuples(st.just("BITPOS"), KEYS, st.sampled_from(["0", "1"]), INDEX),
    st.tuples(st.just("BITPOS"), KEYS, st.sampled_from(["0", "1"]), INDEX, INDEX),
    st.tuples(st.just("BITPOS"), KEYS, st.sampled_from(["0", "1"]),
              st.integers(-100, 100).map(str), st.integers(-100, 100).map(str),
              st.sampled_from(["BIT", "BYTE"])),
    st.tuples(st.just("BITOP"), st.sampled_from(["AND", "OR", "XOR"]), KEYS,
              st.lists(KEYS, min_size=1, max_size=3)).map(
        lambda t: (t[0], t[1], t[2], *t[3])),
    st.tuples(st.just("BITOP"), st.just("NOT"), KEYS, KEYS),
    st.tuples(st.just("BITFIELD"), KEYS, st.lists(FIELD_OP, max_size=4)).map(
        lambda t: (t[0], t[1], *_flatten_ops(t[2]))),
    st.tuples(st.just("BITFIELD_RO"), KEYS, st.lists(
        st.tuples(st.just("GET"), FIELD_TYPE, FIELD_OFFSET), max_size=3)).map(
        lambda t: (t[0], t[1], *_flatten_ops(t[2]))),
    st.tuples(st.just("GETRANGE"), KEYS, INDEX, INDEX),
    st.tuples(st.just("SET"), KEYS, st.binary(max_size=6)),
    st.tuples(st.just("GET"), KEYS),
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(COMMANDS, min_size=1, max_size=25))
def test_random_operation_mix(both, commands):
    both.r.flushall()
    both.o.flushall()
    for cmd in commands:
        both(*cmd)
    for key in ("a", "b", "c"):
        both("GET", key)


@pytest.mark.parametrize("store", [
    ("BITOP", "OR", "d", "a", "b"),
    ("BITOP", "AND", "d", "a", "missing"),
    ("BITOP", "XOR", "d", "missing"),  # an empty result
    ("BITOP", "NOT", "d", "d"),  # the destination is the source
])
def test_bitop_into_a_key_past_its_deadline(both, store):
    """A destination past its TTL but still stored: a result replaces it after an `expired`,
    an empty one deletes it as a live key (`del`, a change), as bitopCommand's setKey and
    dbDelete."""
    both.store_past_deadline((("SET", "a", "ab"), ("SET", "b", "x"), ("SET", "d", "old")),
                             store)
