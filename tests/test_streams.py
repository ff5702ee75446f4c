"""The stream group (XADD, XRANGE, XREAD, XTRIM, consumer groups, XINFO, XSETID) against
redis-server: replies, error strings, the listpack node layout that `~` trimming and XINFO
expose, digests, RESP3 shapes, and random operation sequences.

Both servers run with DEBUG enabled (DEBUG DIGEST-VALUE is compared). Time-dependent fields
(idle times, delivery and seen times, `*` IDs) are masked or checked for shape only.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import redis
from aofhelp import aof_logged
from conftest import Differential, debug_servers, reply_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.commands.streams import node_listpack
from node.stream import MAX_ID, U64, Stream, format_id, id_text, parse_id, rax_nodes

STREAM_COMMANDS = ("xadd", "xlen", "xrange", "xrevrange", "xdel", "xtrim", "xread", "xreadgroup",
                   "xack", "xpending", "xclaim", "xautoclaim", "xsetid", "xgroup", "xinfo")


node, oracle = debug_servers()


def mask_times(args: tuple, reply: Any) -> Any:
    """The reply with its clock-dependent numbers zeroed, for the commands that have them."""
    name = str(args[0]).upper()
    sub = str(args[1]).upper() if len(args) > 1 else ""
    if name == "XPENDING" and len(args) > 3 and isinstance(reply, list):
        return [[e[0], e[1], 0, e[3]] for e in reply]
    if name == "XINFO" and sub == "CONSUMERS" and isinstance(reply, list):
        return [_set_field(e, b"idle", 0) for e in reply]
    if name == "XINFO" and sub == "STREAM" and len(args) > 3 and isinstance(reply, (list, dict)):
        groups = []
        for group in _field(reply, b"groups"):
            group = _set_field(group, b"pending",
                               [[e[0], e[1], 0, e[3]] for e in _field(group, b"pending")])
            consumers = []
            for consumer in _field(group, b"consumers"):
                consumer = _set_field(consumer, b"seen-time", 0)
                consumers.append(_set_field(consumer, b"pending", [
                    [e[0], 0, e[2]] for e in _field(consumer, b"pending")]))
            groups.append(_set_field(group, b"consumers", consumers))
        return _set_field(reply, b"groups", groups)
    return reply


def _field(reply: Any, name: bytes) -> Any:
    """A field of a map reply: a dict (RESP3) or a flat key/value list (RESP2)."""
    return reply[name] if isinstance(reply, dict) else reply[reply.index(name) + 1]


def _set_field(reply: Any, name: bytes, value: Any) -> Any:
    if isinstance(reply, dict):
        return {**reply, name: value}
    out = list(reply)
    out[out.index(name) + 1] = value
    return out


def masked(both: Differential, *args: Any) -> Any:
    """`both(*args)` for replies with clock-dependent fields."""
    mine = mask_times(args, reply_of(both.r, *args))
    theirs = mask_times(args, reply_of(both.o, *args))
    assert mine == theirs, f"{args!r}: slotkv={mine!r} redis={theirs!r}"
    return mine


def run(both: Differential, text: str) -> None:
    """One command per line (whitespace-separated words), each compared with time masking."""
    for line in text.strip().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            masked(both, *line.split())


# -- metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", STREAM_COMMANDS)
def test_command_info_matches(both, name):
    # Redis lists subcommands in its (randomly seeded) dict order: compare them sorted.
    mine, theirs = (reply_of(c, "COMMAND", "INFO", name)[0] for c in (both.r, both.o))
    assert mine[:9] == theirs[:9]
    assert sorted(mine[9]) == sorted(theirs[9])


@pytest.mark.parametrize("name", STREAM_COMMANDS)
def test_command_docs_basics_match(both3, name):
    mine = reply_of(both3.r, "COMMAND", "DOCS", name)[name.encode()]
    theirs = reply_of(both3.o, "COMMAND", "DOCS", name)[name.encode()]
    for field in (b"summary", b"since", b"group", b"complexity"):
        assert mine[field] == theirs[field], field
    for sub, doc in mine.get(b"subcommands", {}).items():
        for field in (b"summary", b"since", b"group", b"complexity"):
            assert doc[field] == theirs[b"subcommands"][sub][field], (sub, field)


def test_getkeys(both):
    both("COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0")
    both("COMMAND", "GETKEYS", "XREAD", "BLOCK", "0", "STREAMS", "streams", "0")
    both("COMMAND", "GETKEYSANDFLAGS", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "b",
         ">", ">")
    both("COMMAND", "GETKEYS", "XADD", "s", "*", "f", "v")
    both("COMMAND", "GETKEYS", "XGROUP", "CREATE", "s", "g", "$")
    both("COMMAND", "GETKEYS", "XINFO", "STREAM", "s")


# -- IDs (unit) ------------------------------------------------------------------------------


def test_parse_id_quirks():
    assert parse_id(b"5")[0] == 5 << 64
    assert parse_id(b"5", missing_seq=7)[0] == 5 << 64 | 7
    assert parse_id(b"-")[0] == 0 and parse_id(b"+")[0] == MAX_ID
    assert parse_id(b"01-+2")[0] == 1 << 64 | 2  # strtoull's leniency
    assert parse_id(b"1--01")[0] == 1 << 64 | (2**64 - 1)  # strtoull negates
    assert parse_id(b"7-*", seq_star=True) == (7 << 64, False)
    assert format_id(parse_id(b"18446744073709551615-18446744073709551615")[0]) == (
        b"18446744073709551615-18446744073709551615")


def test_rax_node_count_model():
    assert rax_nodes([]) == 1
    assert rax_nodes([5]) == 2
    # Keys differing in their last byte only: a chain, one branching node, two key nodes.
    assert rax_nodes([1, 2]) == 4
    assert rax_nodes([1, 2, 3]) == 5


# -- XADD ------------------------------------------------------------------------------------


def test_xadd_explicit_ids(both):
    run(both, """
        XADD s 1-1 a 1
        XADD s 1-1 a 1
        XADD s 1-0 a 1
        XADD s 1 a 1
        XADD s 1-2 a 1 b 2 c 3
        XADD s 2-* f v
        XADD s 2-* f v
        XADD s 1-* f v
        XADD s 3 f v
        XADD s 0-0 f v
        XADD t 0-* f v
        XADD u 0-0 f v
        EXISTS u
        XADD s 5-18446744073709551615 f v
        XADD s 5-* f v
        XADD s 18446744073709551615-* f v
        XADD s 18446744073709551615-* f v
        XADD s * f v
        XADD s 18446744073709551615-18446744073709551615 f v
        XADD s * f v
        XADD s 18446744073709551615-* f v
        XRANGE s - +
        XLEN s
        XADD e 1-1 "" ""
        XRANGE e - +
    """)


def test_xadd_automatic_ids_are_increasing(r):
    ids = [r.execute_command("XADD", "s", "*", "f", i) for i in range(50)]
    parsed = [tuple(map(int, i.split(b"-"))) for i in ids]
    assert all(re.fullmatch(rb"[0-9]+-[0-9]+", i) for i in ids)
    assert parsed == sorted(set(parsed))
    # From an explicit ID in the future, `*` continues its sequence.
    r.execute_command("XADD", "f", "99999999999999-5", "f", "v")
    assert r.execute_command("XADD", "f", "*", "f", "v") == b"99999999999999-6"
    ms = r.execute_command("XADD", "g", "7-*", "f", "v")
    assert ms == b"7-0"


def test_xadd_errors(both):
    run(both, """
        SET str x
        XADD str * f v
        XADD str 0-0 f v
        XADD s
        XADD s *
        XADD s * f
        XADD s * f v g
        XADD s f v
        XADD s foo * f v
        XADD s + f v
        XADD s - f v
        XADD s 1-x f v
        XADD s MAXLEN
        XADD s MAXLEN 1
        XADD s MAXLEN x * f v
        XADD s MAXLEN -1 * f v
        XADD s MAXLEN ~ -1 * f v
        XADD s MINID x * f v
        XADD s MINID + * f v
        XADD s MINID 5-* * f v
        XADD s MAXLEN 1 MINID 1 * f v
        XADD s LIMIT 10 * f v
        XADD s LIMIT 0 * f v
        XADD s MAXLEN 1 LIMIT 10 * f v
        XADD s MAXLEN = 1 LIMIT 10 * f v
        XADD s MAXLEN ~ 1 LIMIT -1 * f v
        XADD s MAXLEN ~ 1 LIMIT x * f v
        XADD s NOMKSTREAM
        XADD s NOMKSTREAM * f
        XADD missing NOMKSTREAM * f v
        XADD missing NOMKSTREAM MAXLEN 0 1-1 f v
        EXISTS missing s
    """)


def test_xadd_nomkstream_and_trimming(both):
    run(both, """
        XADD s 1-1 a 1
        XADD s NOMKSTREAM 2-1 b 2
        XADD s MAXLEN 2 3-1 c 3
        XADD s MAXLEN = 1 4-1 d 4
        XRANGE s - +
        XADD s MINID 4-1 5-1 e 5
        XADD s MINID = 6 6-1 f 6
        XRANGE s - +
        XADD s maxlen ~ 0 LIMIT 0 7-1 g 7
        XADD s MaxLen 0 8-1 h 8
        XLEN s
        XINFO STREAM s
        EXISTS s
    """)


# -- XLEN, XRANGE, XREVRANGE, XDEL -----------------------------------------------------------


def test_ranges(both):
    run(both, """
        XRANGE s - +
        XREVRANGE s + -
        XADD s 1-1 a 1
        XADD s 2-1 b 2
        XADD s 3-0 c 3
        XRANGE s - +
        XRANGE s 2 2
        XRANGE s 2 +
        XRANGE s - 2
        XRANGE s (1 +
        XRANGE s (1-1 (3
        XRANGE s (0-0 +
        XRANGE s + -
        XRANGE s - + COUNT 0
        XRANGE s - + COUNT -5
        XRANGE s - + COUNT 1 COUNT 2
        XRANGE s - + count 9223372036854775807
        XRANGE missing - + COUNT 0
        XREVRANGE s + -
        XREVRANGE s + - COUNT 1
        XREVRANGE s (3 -
        XREVRANGE s (3-0 (1-1
        XREVRANGE s - +
        XRANGE s (1-18446744073709551615 +
        XRANGE s - (1-0
        XRANGE s 01 +
        XRANGE s 1-01 +
        XRANGE s +1 +
        XRANGE s 1--01 +
        XRANGE s 1--1 +
        XRANGE s 1--0 +
        XRANGE s 1--9223372036854775808 +
        XRANGE s 1--9223372036854775809 +
        XRANGE s 0x10 +
    """)


def test_range_errors(both):
    run(both, """
        SET str x
        XADD s 1-1 a 1
        XRANGE s ( +
        XRANGE s (- +
        XRANGE s - (+
        XRANGE s ((1 +
        XRANGE s - (0-0
        XRANGE s (18446744073709551615-18446744073709551615 +
        XREVRANGE s (0 (18446744073709551615-18446744073709551615
        XRANGE s 1-1-1 +
        XRANGE s -1 +
        XRANGE s 18446744073709551616 +
        XRANGE s x +
        XRANGE s - x
        XREVRANGE s x y
        XRANGE s - + COUNT
        XRANGE s - + COUNT x
        XRANGE s - + COUNT 9223372036854775808
        XRANGE s - + foo
        XRANGE s -
        XRANGE str - +
        XRANGE str x +
        XRANGE missing x +
        XLEN str
        XLEN s
        XLEN missing
        XLEN
    """)
    both("XRANGE", "s", "\t1", "+")
    both("XRANGE", "s", "", "+")
    both("XRANGE", "s", "1" * 130, "+")


def test_xdel(both):
    run(both, """
        SET str x
        XDEL missing x
        XDEL str x
        XDEL s
        XADD s 1-1 a 1
        XADD s 2-1 b 2
        XADD s 3-1 c 3
        XDEL s x
        XDEL s 1-1 x
        XDEL s 9
        XDEL s 2 2-1 2-1
        XINFO STREAM s
        XDEL s 1-1
        XINFO STREAM s
        XDEL s 3-1
        XINFO STREAM s
        XLEN s
        EXISTS s
        XRANGE s - +
        XADD s 2-5 d 4
        XADD s 4-1 d 4
        XINFO STREAM s
    """)


def test_xtrim(both):
    run(both, """
        SET str x
        XTRIM missing MAXLEN 1
        XTRIM str MAXLEN 1
        XTRIM s
        XTRIM s MAXLEN
        XTRIM s foo
        XTRIM s foo bar
        XTRIM s LIMIT 5
        XTRIM s MAXLEN 1 LIMIT 5
        XTRIM s MAXLEN = 1 LIMIT 5
        XTRIM s LIMIT 0 MAXLEN 1
        XTRIM s MAXLEN ~ 1 NOMKSTREAM
        XTRIM s MINID ~ +
        XTRIM s MINID -
        XTRIM s MAXLEN 1 MINID 1
        XADD s 1-1 a 1
        XADD s 2-1 b 2
        XADD s 3-1 c 3
        XADD s 4-1 d 4
        XTRIM s MAXLEN ~ 1
        XTRIM s MAXLEN ~ 1 LIMIT 0
        XTRIM s MAXLEN 3
        XTRIM s MINID 3
        XINFO STREAM s
        XTRIM s MAXLEN = 0
        XINFO STREAM s
        EXISTS s
    """)


# -- the node layout: `~` trimming and XINFO's radix tree fields ------------------------------


@pytest.mark.parametrize("entries,max_bytes", [(100, 4096), (3, 4096), (0, 200), (5, 0)])
def test_node_layout_matches(both, entries, max_bytes):
    both("CONFIG", "SET", "stream-node-max-entries", str(entries))
    both("CONFIG", "SET", "stream-node-max-bytes", str(max_bytes))
    try:
        values = ["1", "x" * 70, "-4095", "9223372036854775807", "y" * 300, ""]
        for i in range(1, 60):
            fields = ["f", values[i % len(values)]] if i % 3 else ["g", str(i), "h", "-1"]
            both("XADD", "s", f"{i * 1000 + i % 7}-{i % 5}", *fields)
            if i % 9 == 0:
                both("XDEL", "s", f"{(i - 4) * 1000 + (i - 4) % 7}-{(i - 4) % 5}")
        both("XINFO", "STREAM", "s")
        both("XTRIM", "s", "MAXLEN", "~", "40")
        both("XINFO", "STREAM", "s")
        both("XTRIM", "s", "MINID", "~", "30000")
        both("XTRIM", "s", "MINID", "=", "35000-9")
        both("XINFO", "STREAM", "s")
        both("XTRIM", "s", "MAXLEN", "~", "1", "LIMIT", "3")
        both("XRANGE", "s", "-", "+")
        both("XINFO", "STREAM", "s")
        both("DEBUG", "DIGEST-VALUE", "s")
    finally:
        both("CONFIG", "SET", "stream-node-max-entries", "100")
        both("CONFIG", "SET", "stream-node-max-bytes", "4096")


def serialized_length(client: redis.Redis, key: str) -> bytes:
    return reply_of(client, "DEBUG", "OBJECT", key).split()[4]


def test_debug_object_serialized_length(both, r, o):
    # Exact while the listpacks hold no tombstones (then they are rebuilt byte for byte, and
    # LZF-compressed as rdb.c does); approximate after XDEL.
    for i in range(1, 120):
        extra = ["n", str(-i)] if i % 5 else []
        both("XADD", "s", f"{i}-{i % 3}", "f", "y" * (i * 7 % 300), *extra)
    both("XADD", "g", "1-1", "a", "1")
    both("XGROUP", "CREATE", "g", "grp", "0")
    both("XREADGROUP", "GROUP", "grp", "c", "STREAMS", "g", ">")
    both("XGROUP", "CREATE", "g", "other", "$", "ENTRIESREAD", "1")
    both("XGROUP", "CREATE", "e", "grp", "$", "MKSTREAM")
    both("CONFIG", "SET", "rdbcompression", "no")
    try:
        for key in ("s", "g", "e"):
            assert serialized_length(r, key) == serialized_length(o, key), key
    finally:
        both("CONFIG", "SET", "rdbcompression", "yes")
    for key in ("s", "g", "e"):
        assert serialized_length(r, key) == serialized_length(o, key), key


def test_minid_trim_can_leave_an_empty_node(both):
    both("CONFIG", "SET", "stream-node-max-entries", "3")
    try:
        run(both, """
            XADD s 1-1 a 1
            XADD s 2-1 a 1
            XADD s 3-1 a 1
            XADD s 4-1 a 1
            XDEL s 3-1
            XTRIM s MINID 3
            XINFO STREAM s
            XADD s 5-1 a 1
            XINFO STREAM s
            XTRIM s MAXLEN 1
            XINFO STREAM s
        """)
    finally:
        both("CONFIG", "SET", "stream-node-max-entries", "100")


# -- XREAD (not blocking) --------------------------------------------------------------------


def test_xread(both):
    run(both, """
        XREAD STREAMS s 0
        XREAD STREAMS s $
        XADD s 1-1 a 1
        XADD s 2-1 b 2
        XADD t 1-5 c 3
        XREAD STREAMS s 0
        XREAD COUNT 1 STREAMS s t 0 0
        XREAD COUNT 1 STREAMS s s 0 1-1
        XREAD COUNT -1 STREAMS s 1
        XREAD STREAMS s t missing 1-1 0 0
        XREAD STREAMS s $
        XREAD STREAMS s 2-1
        XREAD STREAMS s 18446744073709551615-18446744073709551615
        XREAD count 0 streams s 0
        XDEL s 2-1
        XREAD STREAMS s 1-1
    """)


def test_xread_errors(both):
    run(both, """
        SET str x
        XADD s 1-1 a 1
        XREAD STREAMS s +
        XREAD STREAMS s >
        XREAD STREAMS s -1
        XREAD STREAMS s 1-
        XREAD STREAMS s 0 1
        XREAD STREAMS s t 0
        XREAD COUNT x STREAMS s 0
        XREAD BLOCK -1 STREAMS s 0
        XREAD BLOCK x STREAMS s 0
        XREAD BLOCK 1.5 STREAMS s 0
        XREAD NOACK STREAMS s 0
        XREAD GROUP g c STREAMS s 0
        XREAD FOO STREAMS s 0
        XREAD COUNT 1 s 0
        XREAD COUNT 1 STREAMS
        XREAD STREAMS str 0
        XREAD STREAMS s str 0 0
        XREAD STREAMS missing str 0 x
    """)


# -- consumer groups ---------------------------------------------------------------------------


def test_xgroup(both):
    run(both, """
        SET str x
        XGROUP
        XGROUP foo
        XGROUP CREATE
        XGROUP CREATE s g
        XGROUP CREATE missing g 0
        XGROUP CREATE missing g x
        XGROUP CREATE missing g x MKSTREAM
        XGROUP CREATE missing g 7-1 MKSTREAM
        XGROUP CREATE missing g 7-1 MKSTREAM
        XGROUP CREATE missing2 g 0 ENTRIESREAD x
        XGROUP CREATE str g 0
        XGROUP CREATE str g 0 MKSTREAM
        XADD s 1-1 a 1
        XADD s 2-1 b 2
        XGROUP CREATE s g $
        XGROUP CREATE s g2 0 MKSTREAM
        XGROUP CREATE s g3 $ foo
        XGROUP CREATE s g3 $ ENTRIESREAD
        XGROUP CREATE s g3 $ ENTRIESREAD -2
        XGROUP CREATE s g3 $ ENTRIESREAD 1
        XGROUP CREATE s g4 $ ENTRIESREAD -1 MKSTREAM
        XGROUP CREATE s g5 + 
        XGROUP CREATE s g5 (1
        XGROUP CREATE s g5 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM
        XINFO GROUPS s
        XINFO GROUPS missing
        XGROUP SETID s g 1
        XGROUP SETID s g +
        XGROUP SETID s g -
        XGROUP SETID s nog 2
        XGROUP SETID s g x
        XGROUP SETID s g $ ENTRIESREAD 2
        XGROUP SETID s g $ ENTRIESREAD
        XGROUP SETID s g $ MKSTREAM
        XGROUP SETID s g $ ENTRIESREAD 2 x
        XGROUP SETID str g $
        XGROUP SETID nokey g $
        XINFO GROUPS s
        XGROUP CREATECONSUMER s g c
        XGROUP CREATECONSUMER s g c
        XGROUP CREATECONSUMER s nog c
        XGROUP CREATECONSUMER nokey g c
        XGROUP CREATECONSUMER s g
        XINFO CONSUMERS s g
        XGROUP DELCONSUMER s g c
        XGROUP DELCONSUMER s g c
        XGROUP DELCONSUMER s nog c
        XGROUP DESTROY s g
        XGROUP DESTROY s g
        XGROUP DESTROY nokey g
        XGROUP DESTROY str g
        XGROUP DESTROY s g2 x
        XGROUP HELP
        XGROUP help x
        XINFO GROUPS s
    """)


def test_xreadgroup_and_pel(both):
    run(both, """
        XADD s 1-1 a 1
        XADD s 2-1 b 2
        XADD s 3-0 c 3
        XGROUP CREATE s g 0
        XREADGROUP GROUP g c STREAMS s 0
        XREADGROUP GROUP g c COUNT 2 STREAMS s >
        XREADGROUP GROUP g c2 STREAMS s >
        XREADGROUP GROUP g c3 STREAMS s >
        XINFO CONSUMERS s g
        XREADGROUP GROUP g c STREAMS s 0
        XREADGROUP GROUP g c COUNT 1 STREAMS s 1-1
        XPENDING s g
        XPENDING s g - + 10
        XPENDING s g - + 10 c
        XPENDING s g IDLE 0 - + 10 c2
        XACK s g 1-1 9-9
        XDEL s 2-1
        XREADGROUP GROUP g c STREAMS s 0
        XPENDING s g
        XGROUP SETID s g 0
        XREADGROUP GROUP g c3 NOACK STREAMS s >
        XPENDING s g
        XINFO GROUPS s
        XREADGROUP GROUP g c4 NOACK STREAMS s 0
        XINFO CONSUMERS s g
        XGROUP DELCONSUMER s g c3
        XPENDING s g
        XINFO STREAM s FULL
        XINFO STREAM s FULL COUNT 1
    """)


def test_xreadgroup_errors(both):
    run(both, """
        SET str x
        XADD s 1-1 a 1
        XGROUP CREATE s g 0
        XREADGROUP STREAMS s 0
        XREADGROUP GROUP g c STREAMS s
        XREADGROUP GROUP g c STREAMS s 0 1
        XREADGROUP GROUP g STREAMS s 0
        XREADGROUP COUNT 1 NOACK STREAMS s 0
        XREADGROUP GROUP g c STREAMS missing 0
        XREADGROUP GROUP nog c STREAMS s 0
        XREADGROUP GROUP g c STREAMS str 0
        XREADGROUP GROUP g c STREAMS s $
        XREADGROUP GROUP g c STREAMS s +
        XREADGROUP GROUP g c STREAMS s x
        XREADGROUP GROUP g c BLOCK x STREAMS s >
        XREADGROUP GROUP g c FOO STREAMS s >
        XINFO CONSUMERS s g
    """)


def test_lag_and_entries_read(both):
    run(both, """
        XADD s 1-1 a 1
        XGROUP CREATE s g 0
        XINFO GROUPS s
        XADD s 2-1 a 1
        XADD s 3-1 a 1
        XREADGROUP GROUP g c COUNT 1 STREAMS s >
        XINFO GROUPS s
        XDEL s 3-1
        XINFO GROUPS s
        XREADGROUP GROUP g c STREAMS s >
        XINFO GROUPS s
        XADD s 4-1 a 1
        XGROUP CREATE s g2 2-1
        XGROUP CREATE s g3 0 ENTRIESREAD 3
        XINFO GROUPS s
        XDEL s 1-1 2-1 4-1
        XINFO GROUPS s
        XINFO STREAM s
        XSETID s 9-9 ENTRIESADDED 10 MAXDELETEDID 5-5
        XINFO GROUPS s
        XGROUP SETID s g 9-9 ENTRIESREAD 10
        XINFO GROUPS s
    """)


def test_xack_and_xpending_errors(both):
    run(both, """
        SET str x
        XACK s g 1
        XACK str g x
        XADD s 1-1 a 1
        XACK s nog x
        XGROUP CREATE s g 0
        XACK s g x
        XACK s g 1-1 x
        XACK s g
        XPENDING s g
        XPENDING s g - +
        XPENDING s g - + x
        XPENDING s g x + 10
        XPENDING s g - + -1
        XPENDING s nog
        XPENDING missing g
        XPENDING str g
        XPENDING str g x + 1
        XPENDING s g IDLE x - + 10
        XPENDING s g IDLE 0 - +
        XPENDING s g IDLE 0 - + 10 c extra
        XPENDING s g foo 0 - + 10
        XPENDING s g - + 10 c ignored
        XPENDING s g (18446744073709551615-18446744073709551615 + 10
        XPENDING s g - (0-0 10
        XPENDING s g - + 10 nobody
    """)


def test_xclaim(both):
    run(both, """
        SET str x
        XADD s 1-1 a 1
        XADD s 2-1 b 2
        XADD s 3-0 c 3
        XGROUP CREATE s g 0
        XCLAIM s g c1 0 1-1
        XINFO CONSUMERS s g
        XREADGROUP GROUP g c STREAMS s >
        XCLAIM s g c2 0
        XCLAIM missing g c2 0 1-1
        XCLAIM s nog c2 0 1-1
        XCLAIM str g c2 0 1-1
        XCLAIM s g c2 x 1-1
        XCLAIM s g c2 0 x
        XCLAIM s g c2 0 1-1 x
        XCLAIM s g c2 0 1-1 IDLE
        XCLAIM s g c2 0 1-1 IDLE x
        XCLAIM s g c2 0 1-1 TIME x
        XCLAIM s g c2 0 1-1 RETRYCOUNT x
        XCLAIM s g c2 0 1-1 LASTID x
        XCLAIM s g c2 0 1-1 FORCE 2-1
        XCLAIM s g c2 100000 1-1
        XINFO CONSUMERS s g
        XCLAIM s g c2 0 1-1
        XCLAIM s g c2 -5 1-1 JUSTID
        XCLAIM s g c3 0 2-1 JUSTID RETRYCOUNT 7
        XPENDING s g - + 10
        XCLAIM s g c3 0 9-9 FORCE JUSTID
        XCLAIM s g c3 0 1-1 FORCE JUSTID
        XACK s g 1-1
        XCLAIM s g c3 0 1-1 FORCE
        XPENDING s g - + 10
        XCLAIM s g c3 0 1-1 2-1 3-0 JUSTID LASTID 5-0 IDLE 1000
        XINFO GROUPS s
        XCLAIM s g c3 100000000 1-1 2-1 3-0 JUSTID
        XDEL s 2-1
        XCLAIM s g c4 0 2-1 3-0 RETRYCOUNT 5 TIME 1
        XPENDING s g
        XPENDING s g - + 10
        XINFO CONSUMERS s g
    """)


def test_xautoclaim(both):
    run(both, """
        SET str x
        XADD s 1-1 a 1
        XGROUP CREATE s g 0
        XAUTOCLAIM s g c 0 0
        XINFO CONSUMERS s g
        XADD s 2-1 b 2
        XADD s 3-0 c 3
        XADD s 4-0 d 4
        XREADGROUP GROUP g c STREAMS s >
        XAUTOCLAIM s g c5 0
        XAUTOCLAIM s g c5 x 0
        XAUTOCLAIM s g c5 0 x
        XAUTOCLAIM s g c5 0 0 COUNT 0
        XAUTOCLAIM s g c5 0 0 COUNT x
        XAUTOCLAIM s g c5 0 0 COUNT -1
        XAUTOCLAIM s g c5 0 0 COUNT 576460752303423488
        XAUTOCLAIM s g c5 0 0 COUNT
        XAUTOCLAIM s g c5 0 0 foo
        XAUTOCLAIM missing g c5 0 0
        XAUTOCLAIM s nog c5 0 0
        XAUTOCLAIM str g c5 0 0
        XAUTOCLAIM str g c5 0 x
        XAUTOCLAIM s g c5 0 (18446744073709551615-18446744073709551615
        XAUTOCLAIM s g c5 100000 0
        XINFO CONSUMERS s g
        XAUTOCLAIM s g c5 0 0 COUNT 1
        XAUTOCLAIM s g c5 0 (1-1 COUNT 2 JUSTID
        XAUTOCLAIM s g c6 0 0 JUSTID
        XDEL s 2-1 3-0
        XAUTOCLAIM s g c7 0 0 COUNT 2
        XAUTOCLAIM s g c7 0 0
        XPENDING s g - + 10
        XINFO CONSUMERS s g
    """)


def test_group_writes_propagate_as_redis(aof_pair):
    """What XREADGROUP, XCLAIM and XAUTOCLAIM write to the AOF (and replicas) is Redis 7.0's:
    a `>` read as one XCLAIM per delivered entry, each with the group's last ID as of that
    entry (no CREATECONSUMER, no SETID: the XCLAIMs do both); with NOACK, CREATECONSUMER for
    a new consumer and SETID; nothing for a history read; an XCLAIM of an entry deleted from
    the stream names its old owner; several writes are wrapped in MULTI/EXEC. (The delivery
    times in XCLAIM's TIME are the servers' clocks: masked.)"""
    setup = [("XADD", "x", "1-0", "f", "v"), ("XADD", "x", "2-0", "f", "v"),
             ("XADD", "x", "3-0", "f", "v"), ("XGROUP", "CREATE", "x", "g", "0")]
    mine, theirs = aof_logged(aof_pair, [
        *setup, ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", "0"),
        ("XREADGROUP", "GROUP", "g", "new", "STREAMS", "x", "0"),
        ("XDEL", "x", "1-0"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", "0"),
        ("XCLAIM", "x", "g", "d", "0", "1-0", "2-0", "LASTID", "5-0"),
        ("XAUTOCLAIM", "x", "g", "e", "0", "0"),
        ("XCLAIM", "x", "g", "d", "100000", "3-0"),
        ("DEL", "x"), *setup, ("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "x", ">"),
        ("XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "x", ">"),
        ("XADD", "x", "4-0", "f", "v"), ("XADD", "y", "1-0", "f", "v"),
        ("XGROUP", "CREATE", "y", "g", "0"),
        ("XREADGROUP", "GROUP", "g", "n", "NOACK", "STREAMS", "x", "y", ">", ">"),
        ("XADD", "x", "5-0", "f", "v"), ("XADD", "y", "2-0", "f", "v"),
        ("XREADGROUP", "GROUP", "g", "m", "STREAMS", "x", "y", ">", ">"),
    ])
    mine, theirs = ([[b"*" if argv[0] == b"XCLAIM" and i == 7 else a for i, a in enumerate(argv)]
                     for argv in argvs] for argvs in (mine, theirs))
    assert mine == theirs


def test_trims_propagate_as_redis(aof_pair):
    """XADD and XTRIM go out as sent but for their rewritten arguments, in place (Redis's
    rewriteClientCommandArgument): the ID XADD picked, and a `~` trim's `~` and threshold,
    made `=` and where it stopped (for MINID, the first listpack's first ID, deleted entries
    included); the option order and case, NOMKSTREAM and LIMIT stay as they came."""
    def node_entries(n: int) -> list[tuple]:
        return [("XADD", "x", f"{i}-0", "f", "v") for i in range(1, n + 1)]

    mine, theirs = aof_logged(aof_pair, [
        ("CONFIG", "SET", "stream-node-max-entries", "3"), *node_entries(19),
        ("XDEL", "x", "1-0"), ("XADD", "x", "MINID", "~", "2", "20-0", "f", "v"),
        ("XADD", "x", "MINID", "~", "5", "21-0", "f", "v"),
        ("XDEL", "x", "7-0", "8-0", "9-0"), ("XADD", "x", "MINID", "~", "11", "22-0", "f", "v"),
        ("XADD", "x", "MINID", "=", "11", "23-0", "f", "v"),
        ("XADD", "x", "minid", "~", "12", "NOMKSTREAM", "24-0", "f", "v"),
        ("XADD", "x", "NOMKSTREAM", "maxlen", "~", "5", "LIMIT", "1", "25-0", "f", "v"),
        ("XADD", "x", "LIMIT", "2", "MAXLEN", "~", "2", "99-*", "f", "v"),
        ("XADD", "x", "MAXLEN", "3", "99-*", "f", "v"),
        ("XTRIM", "x", "MAXLEN", "~", "2", "LIMIT", "3"),
        ("XTRIM", "x", "minid", "~", "99", "limit", "0"),
        ("XTRIM", "x", "MAXLEN", "=", "0"), ("XADD", "x", "MINID", "~", "0", "100-0", "f", "v"),
        ("XDEL", "x", "100-0"), ("XADD", "y", "MINID", "~", "5", "1-0", "f", "v"),
        ("XTRIM", "y", "MAXLEN", "0"), ("XADD", "y", "MINID", "~", "5", "2-0", "f", "v"),
        ("CONFIG", "SET", "stream-node-max-entries", "100"),
    ])
    assert mine == theirs


def test_replayed_trims_ignore_limit(start_node, start_oracle):
    # LIMIT stays in a `~` trim that went out as an exact one: replaying it must not fail.
    args = ("--appendonly", "yes", "--enable-debug-command", "yes")
    commands = [*[("XADD", "x", f"{i}-0", "f", "v") for i in range(1, 300)],
                ("XADD", "x", "MAXLEN", "~", "5", "LIMIT", "100", "300-0", "f", "v"),
                ("XTRIM", "x", "MAXLEN", "~", "5", "LIMIT", "100"),
                ("XTRIM", "x", "MINID", "~", "280", "LIMIT", "100")]
    states = []
    for proc in (start_node(*args), start_oracle(*args)):
        with proc.client() as client:
            for cmd in commands:
                reply_of(client, *cmd)
            before = reply_of(client, "XINFO", "STREAM", "x")
            assert reply_of(client, "DEBUG", "LOADAOF") == b"OK"
            assert reply_of(client, "XINFO", "STREAM", "x") == before
            # Only replayed commands may carry LIMIT without `~`.
            assert reply_of(client, "XTRIM", "x", "MAXLEN", "=", "1", "LIMIT", "1") == (
                "error", "syntax error, LIMIT cannot be used without the special ~ option")
        states.append(before)
    assert states[0] == states[1]


def test_xsetid(both):
    run(both, """
        SET str x
        XSETID missing 4
        XSETID str 4
        XSETID missing x
        XADD s 1-1 a 1
        XADD s 2-1 b 2
        XADD s 3-0 c 3
        XSETID s
        XSETID s x
        XSETID s +
        XSETID s -
        XSETID s 1-0
        XSETID s 3-0
        XSETID s 4-0
        XSETID s 5 ENTRIESADDED
        XSETID s 5 ENTRIESADDED x
        XSETID s 5 ENTRIESADDED -1
        XSETID s 5 ENTRIESADDED 1
        XSETID s 5 ENTRIESADDED 3
        XSETID s 5 MAXDELETEDID x
        XSETID s 5 MAXDELETEDID 6
        XSETID s 5 MAXDELETEDID 4
        XSETID s 3-5
        XSETID s 4 foo
        XSETID s 4 foo bar
        XINFO STREAM s
        XADD s 3-6 d 4
        XSETID s 18446744073709551615-18446744073709551615
        XADD s * f v
        XDEL s 1-1 2-1 3-0
        XSETID s 0-1
        XINFO STREAM s
    """)


def test_xinfo(both):
    run(both, """
        SET str x
        XINFO
        XINFO foo
        XINFO HELP
        XINFO help x
        XINFO STREAM
        XINFO STREAM missing
        XINFO STREAM str
        XINFO STREAM missing foo
        XINFO GROUPS missing
        XINFO GROUPS s x
        XINFO CONSUMERS missing g
        XINFO CONSUMERS str g
        XADD s 1-1 a 1
        XINFO CONSUMERS s g
        XINFO STREAM s
        XINFO STREAM s FULL
        XINFO STREAM s FULL COUNT
        XINFO STREAM s FULL COUNT x
        XINFO STREAM s FULL COUNT -5
        XINFO STREAM s FULL COUNT 0
        XINFO STREAM s foo
        XINFO STREAM s FULL foo 1
        XINFO STREAM s FULL COUNT 1 x
        XGROUP CREATE s g 0
        XGROUP CREATE s a $
        XREADGROUP GROUP g c STREAMS s >
        XGROUP CREATECONSUMER s g b
        XINFO STREAM s
        XINFO STREAM s FULL
        XINFO GROUPS s
        XINFO CONSUMERS s g
        XDEL s 1-1
        XINFO STREAM s
        XINFO STREAM s FULL
    """)


# -- RESP3 ---------------------------------------------------------------------------------------


def test_resp3_shapes(both3):
    run(both3, """
        XREAD STREAMS s 0
        XADD s 1-1 a 1
        XADD t 1-1 b 2
        XREAD STREAMS s t 0 0
        XREAD COUNT 1 STREAMS s s 0 0
        XRANGE s - + COUNT 0
        XINFO STREAM s
        XGROUP CREATE s g 0
        XPENDING s g
        XREADGROUP GROUP g c STREAMS s >
        XDEL s 1-1
        XREADGROUP GROUP g c STREAMS s 0
        XINFO GROUPS s
        XINFO CONSUMERS s g
        XINFO STREAM s FULL
        XAUTOCLAIM s g c 0 0
    """)


def test_resp3_wire_bytes(node, oracle):
    # redis-py folds RESP3 maps into dicts; the bytes show the repeated key and the nulls.
    commands = [("HELLO", "3"), ("XADD", "s", "1-1", "a", "1"), ("XGROUP", "CREATE", "s", "g", "0"),
                ("XREAD", "STREAMS", "s", "s", "0", "0"), ("XPENDING", "s", "g"),
                ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"), ("XDEL", "s", "1-1"),
                ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"), ("XINFO", "GROUPS", "s"),
                ("XINFO", "STREAM", "s"), ("XREAD", "STREAMS", "s", "$"), ("PING",)]
    outputs = []
    for server in (node, oracle):
        with server.client() as c:
            c.flushall()
            conn = c.connection_pool.get_connection()
            sock = conn._sock
            payload = b"".join(
                b"*%d\r\n" % len(cmd) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a.encode())
                                                  for a in cmd) for cmd in commands)
            sock.sendall(payload)
            data = b""
            while not data.endswith(b"+PONG\r\n"):
                data += sock.recv(65536)
            conn.disconnect()
        outputs.append(data[data.index(b"$3\r\n1-1"):])
    assert outputs[0] == outputs[1]


# -- the stream as a key -----------------------------------------------------------------------


def test_stream_as_a_key(both, r):
    run(both, """
        XADD s 1-1 a 1
        XGROUP CREATE s g 0
        XREADGROUP GROUP g c STREAMS s >
        TYPE s
        OBJECT ENCODING s
        SCAN 0 TYPE stream
        COPY s s2
        XADD s2 2-1 b 2
        XACK s2 g 1-1
        XLEN s
        XPENDING s g
        XPENDING s2 g
        XINFO STREAM s2 FULL
        RENAME s2 s3
        XLEN s3
        DEBUG DIGEST-VALUE s s3
        DEBUG DIGEST
        XDEL s 1-1
        EXISTS s
        DEBUG DIGEST-VALUE s
        DEBUG DIGEST
        SET s x
        XLEN s
    """)
    assert reply_of(r, "DEBUG", "OBJECT", "s3").startswith(b"Value at:")
    assert reply_of(r, "MEMORY", "USAGE", "s3") > 0


def test_watch_is_touched_like_redis(both, r, o):
    both("XADD", "s", "1-1", "a", "1")
    both("XGROUP", "CREATE", "s", "g", "0")
    both("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    # XADD/XDEL/XTRIM signal the key; the consumer group commands do not, as in Redis.
    commands = [("XACK", "s", "g", "1-1"), ("XGROUP", "SETID", "s", "g", "0"),
                ("XSETID", "s", "5-5"), ("XGROUP", "CREATECONSUMER", "s", "g", "c2"),
                ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"), ("XDEL", "s", "9-9"),
                ("XTRIM", "s", "MAXLEN", "5"), ("XADD", "s", "*", "f", "v"),
                ("XDEL", "s", "1-1")]
    for cmd in commands:
        outcomes = []
        for client, server_r in ((r, r), (o, o)):
            other = redis.Redis(connection_pool=server_r.connection_pool)
            with client.pipeline(transaction=True) as pipe:
                pipe.watch("s")
                reply_of(other, *cmd)
                pipe.multi()
                pipe.ping()
                try:
                    pipe.execute()
                    outcomes.append("kept")
                except redis.WatchError:
                    outcomes.append("aborted")
        assert outcomes[0] == outcomes[1], cmd



STREAM_EVENTS = {
    "entries": [
        ("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "2-1", "f", "v"),
        ("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "0-0", "f", "v"),
        ("XADD", "s", "MAXLEN", "2", "3-1", "f", "v"),
        ("XADD", "s", "MAXLEN", "5", "4-1", "f", "v"),
        ("XADD", "s", "MAXLEN", "0", "5-1", "f", "v"),
        ("XADD", "s", "MINID", "7", "6-1", "f", "v"),
        ("XADD", "s", "MAXLEN", "~", "1", "7-1", "f", "v"),
        ("XADD", "s", "MAXLEN", "~", "1", "LIMIT", "1", "8-1", "f", "v"),
        ("XADD", "none", "NOMKSTREAM", "1-1", "f", "v"),
        ("XADD", "none", "NOMKSTREAM", "MAXLEN", "1", "1-1", "f", "v"),
        ("XADD", "e", "MAXLEN", "0", "1-1", "f", "v"), ("XADD", "s", "9-1", "f", "v"),
        ("XADD", "s", "10-1", "f", "v"), ("XTRIM", "s", "MAXLEN", "10"),
        ("XTRIM", "s", "MAXLEN", "1"), ("XTRIM", "s", "MINID", "0"),
        ("XTRIM", "s", "MINID", "~", "99"), ("XTRIM", "s", "MAXLEN", "0"),
        ("XTRIM", "s", "MAXLEN", "0"), ("XTRIM", "none", "MAXLEN", "0"),
        ("XADD", "s", "11-1", "f", "v"), ("XADD", "s", "12-1", "f", "v"), ("XDEL", "s", "1-1"),
        ("XDEL", "s", "11-1", "99-1"), ("XDEL", "none", "1-1"), ("XDEL", "s", "12-1"),
        ("XSETID", "s", "20-1"), ("XSETID", "s", "20-1"), ("XSETID", "s", "1-1"),
        ("XSETID", "none", "1-1"),
        ("XSETID", "s", "30-1", "ENTRIESADDED", "5", "MAXDELETEDID", "25-0"),
    ],
    "groups": [
        ("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "2-1", "f", "v"),
        ("XADD", "s", "3-1", "f", "v"), ("XADD", "t", "1-1", "f", "v"),
        ("XGROUP", "CREATE", "s", "g", "$"), ("XGROUP", "CREATE", "s", "g", "$"),
        ("XGROUP", "CREATE", "none", "g", "$"), ("XGROUP", "CREATE", "n", "g", "$", "MKSTREAM"),
        ("XGROUP", "CREATE", "n", "g2", "0", "MKSTREAM", "ENTRIESREAD", "0"),
        ("XGROUP", "CREATE", "t", "g", "0"), ("XGROUP", "SETID", "s", "g", "0"),
        ("XGROUP", "SETID", "s", "nog", "0"), ("XGROUP", "SETID", "none", "g", "0"),
        ("XGROUP", "CREATECONSUMER", "s", "g", "c1"), ("XGROUP", "CREATECONSUMER", "s", "g", "c1"),
        ("XGROUP", "CREATECONSUMER", "s", "nog", "c1"),
        ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "c3", "STREAMS", "s", "0"),
        ("XREADGROUP", "GROUP", "g", "c4", "STREAMS", "s", "t", ">", ">"),
        ("XREADGROUP", "GROUP", "g", "c5", "NOACK", "STREAMS", "s", ">"),
        ("XADD", "s", "4-1", "f", "v"),
        ("XREADGROUP", "GROUP", "g", "c5", "NOACK", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"), ("XACK", "s", "g", "1-1"),
        ("XACK", "s", "g", "1-1"), ("XACK", "s", "g", "2-1", "3-1"), ("XPENDING", "s", "g"),
        ("XCLAIM", "s", "g", "c6", "0", "3-1"), ("XCLAIM", "s", "g", "c7", "0", "99-1"),
        ("XCLAIM", "s", "g", "c7", "0", "3-1", "JUSTID", "LASTID", "9-9"),
        ("XCLAIM", "s", "g", "c8", "0", "3-1", "FORCE"),
        ("XCLAIM", "s", "g", "c8", "999999999", "3-1"),
        ("XAUTOCLAIM", "s", "g", "c9", "0", "0"), ("XAUTOCLAIM", "s", "g", "c9", "0", "0"),
        ("XAUTOCLAIM", "s", "g", "c10", "999999999", "0"), ("XDEL", "s", "3-1"),
        ("XAUTOCLAIM", "s", "g", "c11", "0", "0"), ("XCLAIM", "s", "g", "c12", "0", "3-1"),
        ("XINFO", "GROUPS", "s"), ("XGROUP", "DELCONSUMER", "s", "g", "c1"),
        ("XGROUP", "DELCONSUMER", "s", "g", "zz"), ("XGROUP", "DELCONSUMER", "s", "nog", "zz"),
        ("XGROUP", "DESTROY", "s", "g"), ("XGROUP", "DESTROY", "s", "g"),
        ("XGROUP", "DESTROY", "none", "g"),
    ],
    "reads and wrong types": [
        ("XLEN", "none"), ("XRANGE", "none", "-", "+"), ("XREVRANGE", "none", "+", "-"),
        ("XINFO", "STREAM", "none"), ("XINFO", "GROUPS", "none"),
        ("XINFO", "CONSUMERS", "none", "g"), ("XPENDING", "none", "g"),
        ("XACK", "none", "g", "1-1"), ("XREAD", "STREAMS", "none", "0"),
        ("XREAD", "STREAMS", "none", "none2", "0", "$"),
        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "none", ">"),
        ("XCLAIM", "none", "g", "c", "0", "1-1"), ("XAUTOCLAIM", "none", "g", "c", "0", "0"),
        ("SET", "str", "x"), ("XADD", "str", "1-1", "f", "v"), ("XTRIM", "str", "MAXLEN", "0"),
        ("XDEL", "str", "1-1"), ("XLEN", "str"), ("XSETID", "str", "1-1"),
        ("XGROUP", "CREATE", "str", "g", "$", "MKSTREAM"), ("XREAD", "STREAMS", "str", "0"),
    ],
}


@pytest.mark.parametrize("commands", STREAM_EVENTS.values(), ids=STREAM_EVENTS.keys())
def test_keyspace_events(both, commands):
    """xadd (then xtrim when its trim removed entries), xtrim, xdel, xsetid and the xgroup-*
    events, xgroup-createconsumer wherever a consumer is made (XREADGROUP, XCLAIM and
    XAUTOCLAIM when they deliver or claim), keymiss on read lookups (XREAD looks twice), and
    nothing else, as Redis 7.0."""
    both.same_events(*commands, classes="KEAnm")


STREAM_CHANGES = {
    **STREAM_EVENTS,
    "consumers made": [
        ("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "2-1", "f", "v"),
        ("XGROUP", "CREATE", "s", "g", "0"),
        ("XGROUP", "CREATE", "m", "g", "$", "MKSTREAM"),  # one change, the key and the group
        ("XGROUP", "CREATE", "m", "g", "$", "MKSTREAM"),
        ("XGROUP", "CREATECONSUMER", "s", "g", "c0"),
        ("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", "0"),
        ("XREADGROUP", "GROUP", "g", "c3", "STREAMS", "s", "m", "0", "0"),
        ("XREADGROUP", "GROUP", "g", "c4", "NOACK", "STREAMS", "s", ">"),
        ("XREADGROUP", "GROUP", "g", "c5", "STREAMS", "s", ">"),
        ("XGROUP", "SETID", "s", "g", "0"),
        ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"),
        ("XCLAIM", "s", "g", "c6", "0", "1-1", "FORCE"),
        ("XCLAIM", "s", "g", "c7", "0", "1-1", "JUSTID"),
        ("XCLAIM", "s", "g", "c8", "999999999", "1-1"),
        ("XAUTOCLAIM", "s", "g", "c9", "0", "0", "COUNT", "1"),
        ("XAUTOCLAIM", "s", "g", "c10", "999999999", "0"),
    ],
    "xclaim lastid": [
        ("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "2-1", "f", "v"),
        ("XGROUP", "CREATE", "s", "g", "0"),
        ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"),
        # A moved last ID is a change of its own only when no entry is claimed or dropped.
        ("XCLAIM", "s", "g", "c1", "0", "1-1", "LASTID", "5-0"),
        ("XCLAIM", "s", "g", "c1", "999999999", "1-1", "LASTID", "6-0"),
        ("XCLAIM", "s", "g", "c1", "0", "1-1", "LASTID", "6-0"),
        ("XCLAIM", "s", "g", "c1", "0", "1-1", "2-1", "LASTID", "7-0"),
        ("XDEL", "s", "2-1"),
        ("XCLAIM", "s", "g", "c1", "999999999", "2-1", "LASTID", "8-0"),
        ("XCLAIM", "s", "g", "c2", "0", "9-9", "LASTID", "9-0"),
        ("XCLAIM", "s", "g", "c2", "0", "9-9", "FORCE", "LASTID", "10-0"),
    ],
}


@pytest.mark.parametrize("commands", STREAM_CHANGES.values(), ids=STREAM_CHANGES.keys())
def test_dirty_counts_as_redis(both, commands):
    """rdb_changes_since_last_save moves as Redis 7.0's server.dirty: a new consumer counts one
    (streamCreateConsumer), XGROUP CREATE MKSTREAM one in all, and XCLAIM's LASTID one only
    when no entry was claimed or dropped."""
    both.same_changes(*commands)


def test_automatic_ids_send_the_same_events(both):
    # The replies differ (the IDs are clock readings); the events do not.
    both.same_events(("XADD", "s", "*", "f", "v"), ("XADD", "s", "*", "f", "v"),
                     ("XADD", "s", "MAXLEN", "1", "*", "f", "v"), classes="KEAnm",
                     compare_replies=False)

def test_copy_is_independent():
    s = Stream()
    s.append(1 << 64, 1, 0, (b"f", b"v"), 4096, 100, 2)
    c = s.copy()
    c.append(2 << 64, 2, 0, (b"f", b"v"), 4096, 100, 2)
    c.delete(1 << 64)
    assert len(s) == 1 and len(c) == 1 and [sid for sid, _ in s.items()] == [1 << 64]


def test_id_text_is_format_id():
    # Its cache of the `ms-` part must follow the millisecond, back and forth, and its table
    # end where it ends.
    for ms, seq in [(5, 0), (5, 1), (5, 1023), (5, 1024), (6, 7), (5, 7), (0, 0),
                    (U64, U64), (U64, 3), (1 << 40, 99999)]:
        assert id_text(ms, seq) == format_id(ms << 64 | seq)


def test_entries_of_the_master_field_are_held_as_values():
    # XADD's usual form keeps the value alone (no tuple per entry); every reader still sees
    # the field/value tuples, in both orders, after a deletion and in a copy.
    s = Stream()
    flats = [(b"f", b"1"), (b"f", b"2", b"g", b"3"), (b"g", b"4"), (b"f", b"5")]
    for i, flat in enumerate(flats, 1):
        s.append(i << 64, i, 0, flat, 4096, 100, sum(map(len, flat)))
    s.append_pair(5 << 64, 5, 0, b"f", b"6", 4096, 100)
    expected = [*flats, (b"f", b"6")]
    assert s.nodes[0].flats == [b"1", flats[1], flats[2], b"5", b"6"]
    assert [flat for _, flat in s.items()] == expected
    assert [flat for _, flat in s.items(reverse=True)] == expected[::-1]
    assert s.flat(4 << 64) == (b"f", b"5") and s.flat(3 << 64) == (b"g", b"4")
    s.delete(2 << 64)
    assert [flat for _, flat in s.copy().items()] == [expected[0], *expected[2:]]


@pytest.mark.parametrize("max_bytes,max_entries,deferred",
                         [(4096, 100, True), (300, 100, True), (180, 0, False), (0, 7, True)])
def test_deferred_byte_counts_split_nodes_as_exact_ones(max_bytes, max_entries, deferred):
    # append_pair counts an entry's bytes only when a node nears max_bytes, or when read. The
    # nodes must split where `append`, which counts every entry at once, splits them, and
    # each node's count must be its listpack's length: the settled ones, the closed ones
    # never settled, and after deletions and trims in the middle of unsettled entries.
    values = [b"v", b"x" * 70, b"-4095", b"9223372036854775807", b"", b"y" * 300, b"12"]
    lazy, exact = Stream(), Stream()
    ms = seq = 0
    for i in range(400):
        ms += (0, 1, 200, 5000, 1 << 40)[i % 5 if i % 11 else 4]
        seq = seq + 1 if i % 5 == 0 else (0, 4000, 70000)[i % 3]
        value = values[i * 7 % len(values)]
        sid = ms << 64 | seq
        lazy.append_pair(sid, ms, seq, b"f", value, max_bytes, max_entries)
        exact.append(sid, ms, seq, (b"f", value), max_bytes, max_entries, 1 + len(value))
        if i % 97 == 96:
            victim = lazy.nodes[-1].ids[len(lazy.nodes[-1].ids) // 2]
            assert lazy.delete(victim) and exact.delete(victim)
    # (180 bytes hold one entry of the bound: each append settles the node.)
    assert any(node.unsized for node in lazy.nodes) == deferred
    minid = lazy.nodes[-1].ids[len(lazy.nodes[-1].ids) // 2]  # amid the unsettled ones
    assert lazy.trim(None, minid, False, 0) == exact.trim(None, minid, False, 0)
    assert lazy.keys == exact.keys
    assert [node.nbytes() for node in lazy.nodes] == [node.nbytes() for node in exact.nodes]
    for node in lazy.nodes:
        if not node.deleted:
            assert node.nbytes() == len(node_listpack(lazy, node))


# -- random operation sequences ------------------------------------------------------------------

_ID = st.builds(lambda ms, seq: f"{ms}-{seq}", st.integers(0, 12), st.integers(0, 3))
_NAME = st.sampled_from(["c1", "c2", "c3"])
_GROUP = st.sampled_from(["g", "g", "h"])
_VALUE = st.sampled_from(["v", "1", "-7", "", "x" * 80, "12345678901234567890"])

_OPS = st.one_of(
    st.tuples(st.just("XADD"), st.just("s"), st.sampled_from(["id", "ms-*", "=", "~"]),
              st.integers(0, 12), _ID, _VALUE),
    st.tuples(st.just("XDEL"), st.just("s"), _ID),
    st.tuples(st.just("XTRIM"), st.just("s"), st.sampled_from(["MAXLEN", "MINID"]),
              st.sampled_from(["=", "~"]), st.integers(0, 8)),
    st.tuples(st.just("XREADGROUP"), _GROUP, _NAME, st.integers(0, 3),
              st.sampled_from([">", ">", "0", "NOACK"])),
    st.tuples(st.just("XACK"), st.just("s"), _GROUP, _ID),
    st.tuples(st.just("XCLAIM"), st.just("s"), _GROUP, _NAME, st.just("0"), _ID,
              st.sampled_from(["", "FORCE", "JUSTID", "LASTID"])),
    st.tuples(st.just("XAUTOCLAIM"), st.just("s"), _GROUP, _NAME, st.just("0"), _ID,
              st.integers(1, 4)),
    st.tuples(st.just("XGROUP"), st.sampled_from(["SETID", "CREATE", "DELCONSUMER", "DESTROY"]),
              _GROUP, _ID, _NAME),
    st.tuples(st.just("XSETID"), st.just("s"), _ID),
    st.tuples(st.just("XPENDING"), st.just("s"), _GROUP),
    st.tuples(st.just("XINFO"), st.sampled_from(["GROUPS", "STREAM"])),
)


def _command(op: tuple) -> tuple:
    kind = op[0]
    if kind == "XADD":
        # Explicit IDs only (`ms-*` included): `*` would take each server's own clock.
        _, key, mode, n, sid, value = op
        if mode == "ms-*":
            return ("XADD", key, sid.split("-")[0] + "-*", "f", value)
        trim = () if mode == "id" else ("MAXLEN", mode, str(n))
        return ("XADD", key, *trim, sid, "f", value)
    if kind == "XTRIM":
        _, key, how, mode, n = op
        return ("XTRIM", key, how, mode, str(n) if how == "MAXLEN" else f"{n}-0")
    if kind == "XREADGROUP":
        _, group, name, count, start = op
        noack = ("NOACK",) if start == "NOACK" else ()
        return ("XREADGROUP", "GROUP", group, name, "COUNT", str(count), *noack, "STREAMS", "s",
                ">" if noack else start)
    if kind == "XCLAIM":
        *head, option = op
        extra = {"": (), "LASTID": ("LASTID", "9-0")}.get(option, (option,))
        return (*head, *extra)
    if kind == "XAUTOCLAIM":
        *head, count = op
        return (*head, "COUNT", str(count))
    if kind == "XGROUP":
        _, sub, group, sid, name = op
        if sub in ("SETID", "CREATE"):
            return ("XGROUP", sub, "s", group, sid)
        if sub == "DESTROY":
            return ("XGROUP", sub, "s", group)
        return ("XGROUP", sub, "s", group, name)
    if kind == "XINFO":
        return ("XINFO", op[1], "s")
    return op


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(_OPS, max_size=40), node_entries=st.sampled_from(["2", "100"]))
def test_random_operations_match_redis(both, ops, node_entries):
    both("FLUSHALL")
    both("CONFIG", "SET", "stream-node-max-entries", node_entries)
    try:
        both("XADD", "s", "1-0", "f", "v")
        both("XGROUP", "CREATE", "s", "g", "0")
        for op in ops:
            masked(both, *_command(op))
        for cmd in (("XINFO", "STREAM", "s", "FULL", "COUNT", "0"), ("XINFO", "GROUPS", "s"),
                    ("XPENDING", "s", "g", "-", "+", "100"), ("DEBUG", "DIGEST-VALUE", "s"),
                    ("OBJECT", "ENCODING", "s")):
            masked(both, *cmd)
    finally:
        both("CONFIG", "SET", "stream-node-max-entries", "100")
