"""The list group (LPUSH ... LMPOP) against redis-server: replies, error strings and their order,
edge cases, key deletion, TTLs, introspection (TYPE, OBJECT ENCODING, DEBUG OBJECT/DIGEST) and
a random mix of operations. The blocking commands are in test_blocking_lists.py."""

from __future__ import annotations

import os

import pytest
from aofhelp import aof_logged
from conftest import Differential, debug_servers, reply_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rdb_format import E, L, file_of, ziplist


LIST_COMMANDS = (
    "lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "llen", "lrange", "lindex", "lset",
    "linsert", "lrem", "ltrim", "lpos", "lmove", "rpoplpush", "lmpop", "blpop", "brpop",
    "blmove", "brpoplpush", "blmpop",
)


# DEBUG DIGEST / DEBUG OBJECT need the debug command on both sides.
node, oracle = debug_servers()
DEBUG = ("--enable-debug-command", "yes")


def _idle_free(reply: bytes) -> bytes:
    """DEBUG OBJECT without the fields that differ between any two processes."""
    return b" ".join(f for f in reply.split() if not f.startswith((b"at:", b"lru")))


def check_state(both, *keys: str) -> None:
    both("DEBUG", "DIGEST")
    for key in keys:
        both("TYPE", key)
        both("DEBUG", "DIGEST-VALUE", key)
        both("OBJECT", "ENCODING", key)
        both("LRANGE", key, "0", "-1")


# -- metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LIST_COMMANDS)
def test_command_info_matches(both, name):
    both("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", LIST_COMMANDS)
def test_command_docs_basics_match(both3, name):
    mine = reply_of(both3.r, "COMMAND", "DOCS", name)[name.encode()]
    theirs = reply_of(both3.o, "COMMAND", "DOCS", name)[name.encode()]
    for field in (b"summary", b"since", b"group", b"complexity"):
        assert mine[field] == theirs[field], field


@pytest.mark.parametrize("cmd", [
    ("LPUSH", "k", "a"), ("LMOVE", "a", "b", "LEFT", "RIGHT"), ("RPOPLPUSH", "a", "b"),
    ("BLPOP", "a", "b", "0"), ("BRPOP", "a", "0"), ("BLMOVE", "a", "b", "LEFT", "LEFT", "0"),
    ("BRPOPLPUSH", "a", "b", "0"), ("LMPOP", "2", "a", "b", "LEFT"),
    ("LMPOP", "1", "a", "RIGHT", "COUNT", "3"), ("LMPOP", "3", "a", "b", "LEFT"),
    ("LMPOP", "4", "a", "b", "LEFT"), ("LMPOP", "0", "a", "LEFT"), ("LMPOP", "x", "a", "LEFT"),
    ("LMPOP", "-1", "a", "LEFT"), ("LMPOP", "+1", "a", "LEFT"), ("LMPOP", " 1", "a", "LEFT"),
    ("LMPOP", "1x", "a", "LEFT"), ("BLMPOP", "0", "2", "a", "b", "LEFT"),
    ("BLMPOP", "0", "9", "a", "b", "LEFT"), ("BLMPOP", "0", "x", "a", "LEFT"),
], ids=lambda c: " ".join(c))
def test_getkeys(both, cmd):
    both("COMMAND", "GETKEYS", *cmd)
    if cmd[0].endswith("LMPOP") and cmd[1 if cmd[0] == "LMPOP" else 2][0] in "+ " or "1x" in cmd:
        return  # Redis's atoi fallback finds these keys but reports no flags for them
    mine = reply_of(both.r, "COMMAND", "GETKEYSANDFLAGS", *cmd)
    theirs = reply_of(both.o, "COMMAND", "GETKEYSANDFLAGS", *cmd)
    if isinstance(theirs, list):
        mine, theirs = ([(k, set(f)) for k, f in x] for x in (mine, theirs))
    assert mine == theirs


# -- pushes and pops -------------------------------------------------------------------------


def test_push_order_and_lengths(both):
    both.run(
        ("LPUSH", "k", "a"), ("LPUSH", "k", "b", "c", "d"), ("RPUSH", "k", "e", "f"),
        ("RPUSH", "k", "g"), ("LRANGE", "k", "0", "-1"), ("LLEN", "k"), ("LLEN", "missing"),
        ("RPUSH", "n", "1", "-2", "300", "70000", "", "x" * 100), ("LRANGE", "n", "0", "-1"),
        ("LPUSH", "k", "a", "a", "a"), ("LRANGE", "k", "0", "-1"),
    )


def test_pushx(both):
    both.run(
        ("LPUSHX", "k", "a"), ("RPUSHX", "k", "a", "b"), ("EXISTS", "k"),
        ("RPUSH", "k", "x"), ("LPUSHX", "k", "a", "b"), ("RPUSHX", "k", "c", "d"),
        ("LRANGE", "k", "0", "-1"), ("LPUSHX", "k"), ("RPUSHX", "k"),
    )


def test_push_arity(both):
    both.run(("LPUSH", "k"), ("RPUSH", "k"), ("LPUSH",), ("LLEN",), ("LLEN", "a", "b"))


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_plain_and_count(both, cmd):
    both.run(
        (cmd, "missing"), (cmd, "missing", "0"), (cmd, "missing", "3"),
        ("RPUSH", "k", "a", "b", "c", "d", "e"), (cmd, "k"), (cmd, "k", "0"), (cmd, "k", "1"),
        (cmd, "k", "2"), ("LRANGE", "k", "0", "-1"), (cmd, "k", "10"), ("EXISTS", "k"),
        (cmd, "k"), ("RPUSH", "k", "a"), (cmd, "k", "1"), ("EXISTS", "k"),
    )


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_errors(both, cmd):
    both.run(
        (cmd, "k", "-1"), (cmd, "k", "x"), (cmd, "k", "1.5"), (cmd, "k", ""),
        (cmd, "k", "99999999999999999999"), (cmd, "k", "1", "2"), (cmd,),
        ("RPUSH", "k", "a"), (cmd, "k", "-1"), (cmd, "k", "1", "2"), (cmd, "missing", "x"),
    )


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_resp3_nulls(both3, cmd):
    both3.run(
        (cmd, "missing"), (cmd, "missing", "2"), (cmd, "missing", "0"),
        ("RPUSH", "k", "a", "b"), (cmd, "k", "0"), (cmd, "k", "5"), (cmd, "k", "1"),
    )


def test_emptied_lists_are_deleted(both):
    both.run(
        ("RPUSH", "a", "x"), ("LPOP", "a"), ("EXISTS", "a"), ("TYPE", "a"),
        ("RPUSH", "a", "x", "y"), ("RPOP", "a", "5"), ("EXISTS", "a"),
        ("RPUSH", "a", "x", "y", "x"), ("LREM", "a", "0", "x"), ("LREM", "a", "0", "y"),
        ("EXISTS", "a"), ("RPUSH", "a", "x", "y"), ("LTRIM", "a", "5", "10"), ("EXISTS", "a"),
        ("RPUSH", "a", "x"), ("LMOVE", "a", "b", "LEFT", "LEFT"), ("EXISTS", "a"),
        ("RPUSH", "a", "x"), ("LMPOP", "1", "a", "LEFT", "COUNT", "9"), ("EXISTS", "a"),
        ("RPUSH", "a", "x"), ("RPOPLPUSH", "a", "b"), ("EXISTS", "a"), ("LRANGE", "b", "0", "-1"),
        ("RPUSH", "a", "x"), ("BLPOP", "a", "0"), ("EXISTS", "a"), ("DBSIZE",),
    )


# -- reads -----------------------------------------------------------------------------------

INDEXES = ["0", "1", "2", "-1", "-2", "-3", "3", "4", "5", "-5", "-6", "-100", "100",
           "9223372036854775807", "-9223372036854775808"]


def test_lrange_matrix(both):
    both("RPUSH", "k", "a", "b", "c", "d", "e")
    for start in INDEXES:
        for end in INDEXES:
            both("LRANGE", "k", start, end)
    both("LRANGE", "missing", "0", "-1")


def test_lrange_long_list_both_ends(both):
    both("RPUSH", "k", *[str(i) for i in range(500)])
    for start, end in (("0", "99"), ("-100", "-1"), ("400", "450"), ("-1", "-1"), ("10", "-10"),
                       ("250", "260"), ("-260", "-250"), ("0", "-1"), ("499", "1000")):
        both("LRANGE", "k", start, end)


def test_lrange_errors(both):
    both.run(
        ("LRANGE", "k", "x", "1"), ("LRANGE", "k", "0", "x"), ("LRANGE", "k", "1.0", "2"),
        ("LRANGE", "k", "9223372036854775808", "0"), ("LRANGE", "k", "0"),
        ("SET", "s", "v"), ("LRANGE", "s", "0", "-1"), ("LRANGE", "s", "x", "-1"),
    )


def test_lindex(both):
    both("RPUSH", "k", "a", "b", "c")
    for index in INDEXES:
        both("LINDEX", "k", index)
    both.run(("LINDEX", "k", "x"), ("LINDEX", "missing", "x"), ("LINDEX", "missing", "0"),
             ("LINDEX", "k"), ("SET", "s", "v"), ("LINDEX", "s", "0"), ("LINDEX", "s", "x"))


def test_lpos_basics(both):
    both("RPUSH", "k", "a", "b", "c", "1", "2", "3", "c", "c", "a")
    for args in ((), ("RANK", "1"), ("RANK", "2"), ("RANK", "3"), ("RANK", "4"), ("RANK", "-1"),
                 ("RANK", "-2"), ("RANK", "-4"), ("COUNT", "0"), ("COUNT", "1"), ("COUNT", "2"),
                 ("COUNT", "5"), ("RANK", "2", "COUNT", "0"), ("RANK", "-1", "COUNT", "2"),
                 ("RANK", "-2", "COUNT", "0"), ("MAXLEN", "3"), ("MAXLEN", "7"),
                 ("MAXLEN", "8", "COUNT", "0"), ("RANK", "-1", "MAXLEN", "2"),
                 ("RANK", "-1", "MAXLEN", "3", "COUNT", "0"), ("RANK", "9", "COUNT", "0"),
                 ("rank", "1", "count", "1", "maxlen", "0"), ("COUNT", "1", "COUNT", "0"),
                 ("RANK", "9223372036854775807"), ("RANK", "-9223372036854775808")):
        for element in ("c", "a", "3", "zz"):
            both("LPOS", "k", element, *args)
    both.run(("LPOS", "missing", "a"), ("LPOS", "missing", "a", "COUNT", "0"),
             ("LPOS", "missing", "a", "RANK", "2"))


def test_lpos_errors(both):
    both("RPUSH", "k", "a")
    for args in (("RANK", "0"), ("RANK", "x"), ("COUNT", "-1"), ("COUNT", "x"),
                 ("MAXLEN", "-1"), ("MAXLEN", "x"), ("RANK",), ("COUNT",), ("MAXLEN",),
                 ("FOO", "1"), ("RANK", "1", "COUNT"), ("COUNT", "1", "x"),
                 ("RANK", "0", "COUNT", "-1"), ("COUNT", "-1", "RANK", "0")):
        both("LPOS", "k", "a", *args)
        both("LPOS", "missing", "a", *args)
    both.run(("LPOS", "k"), ("SET", "s", "v"), ("LPOS", "s", "a"), ("LPOS", "s", "a", "RANK", "0"))


# -- in-place changes ------------------------------------------------------------------------


def test_lset(both):
    both.run(
        ("LSET", "missing", "0", "x"), ("LSET", "missing", "x", "x"),
        ("RPUSH", "k", "a", "b", "c"), ("LSET", "k", "0", "A"), ("LSET", "k", "-1", "C"),
        ("LSET", "k", "1", "B" * 100), ("LSET", "k", "3", "x"), ("LSET", "k", "-4", "x"),
        ("LSET", "k", "x", "y"), ("LRANGE", "k", "0", "-1"), ("LSET", "k", "0"),
        ("SET", "s", "v"), ("LSET", "s", "0", "x"), ("LSET", "s", "x", "x"),
    )


def test_linsert(both):
    both.run(
        ("LINSERT", "missing", "BEFORE", "a", "x"), ("LINSERT", "missing", "middle", "a", "x"),
        ("RPUSH", "k", "a", "b", "a"), ("LINSERT", "k", "BEFORE", "a", "x"),
        ("LINSERT", "k", "after", "a", "y"), ("LINSERT", "k", "After", "b", "z"),
        ("LINSERT", "k", "before", "nope", "q"), ("LINSERT", "k", "around", "a", "q"),
        ("LRANGE", "k", "0", "-1"), ("LINSERT", "k", "BEFORE", "a"),
        ("SET", "s", "v"), ("LINSERT", "s", "BEFORE", "a", "x"), ("LINSERT", "s", "x", "a", "x"),
    )


@pytest.mark.parametrize("count", ["0", "1", "2", "-1", "-2", "5", "-5"])
def test_lrem(both, count):
    both.run(
        ("RPUSH", "k", "a", "b", "a", "c", "a", "b", "a"), ("LREM", "k", count, "a"),
        ("LRANGE", "k", "0", "-1"), ("LREM", "k", count, "zz"), ("LREM", "k", count, "b"),
        ("LRANGE", "k", "0", "-1"), ("LREM", "missing", count, "a"),
    )


def test_lrem_errors(both):
    both.run(("LREM", "k", "x", "a"), ("LREM", "k", "1"), ("SET", "s", "v"),
             ("LREM", "s", "0", "a"), ("LREM", "s", "x", "a"))


def test_ltrim_matrix(both):
    for start in INDEXES[:12]:
        for end in INDEXES[:12]:
            both("DEL", "k")
            both("RPUSH", "k", "a", "b", "c", "d", "e")
            both("LTRIM", "k", start, end)
            both("LRANGE", "k", "0", "-1")
            both("EXISTS", "k")


def test_ltrim_long_and_errors(both):
    both("RPUSH", "k", *[str(i) for i in range(300)])
    both.run(("LTRIM", "k", "1", "-2"), ("LTRIM", "k", "100", "110"), ("LRANGE", "k", "0", "-1"),
             ("LTRIM", "k", "x", "1"), ("LTRIM", "k", "0", "x"), ("LTRIM", "missing", "0", "1"),
             ("LTRIM", "missing", "x", "1"), ("SET", "s", "v"), ("LTRIM", "s", "0", "1"),
             ("LTRIM", "k", "0"))


# -- moves -----------------------------------------------------------------------------------


@pytest.mark.parametrize("src_side", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dst_side", ["LEFT", "RIGHT"])
def test_lmove_directions(both, src_side, dst_side):
    both.run(
        ("RPUSH", "a", "1", "2", "3"), ("RPUSH", "b", "x", "y"),
        ("LMOVE", "a", "b", src_side, dst_side), ("LMOVE", "a", "new", src_side, dst_side),
        ("LRANGE", "a", "0", "-1"), ("LRANGE", "b", "0", "-1"), ("LRANGE", "new", "0", "-1"),
        ("LMOVE", "a", "a", src_side, dst_side), ("LRANGE", "a", "0", "-1"),
        ("LMOVE", "a", "b", src_side.lower(), dst_side.lower()), ("EXISTS", "a"),
        ("LRANGE", "b", "0", "-1"),
    )


def test_lmove_same_key(both):
    both.run(
        ("RPUSH", "k", "only"), ("LMOVE", "k", "k", "LEFT", "RIGHT"), ("LRANGE", "k", "0", "-1"),
        ("RPOPLPUSH", "k", "k"), ("EXISTS", "k"), ("RPUSH", "k", "a", "b", "c"),
        ("LMOVE", "k", "k", "LEFT", "RIGHT"), ("LMOVE", "k", "k", "RIGHT", "LEFT"),
        ("LMOVE", "k", "k", "LEFT", "LEFT"), ("RPOPLPUSH", "k", "k"), ("LRANGE", "k", "0", "-1"),
    )


def test_lmove_errors(both):
    both.run(
        ("LMOVE", "missing", "b", "LEFT", "RIGHT"), ("EXISTS", "b"),
        ("LMOVE", "a", "b", "UP", "RIGHT"), ("LMOVE", "a", "b", "LEFT", "DOWN"),
        ("LMOVE", "a", "b", "LEFT"), ("SET", "s", "v"), ("LMOVE", "s", "b", "LEFT", "LEFT"),
        ("LMOVE", "missing", "s", "LEFT", "LEFT"), ("RPUSH", "a", "1"),
        ("LMOVE", "a", "s", "LEFT", "LEFT"), ("LRANGE", "a", "0", "-1"),
        ("RPOPLPUSH", "a", "s"), ("RPOPLPUSH", "s", "a"), ("RPOPLPUSH", "missing", "s"),
        ("LMOVE", "s", "b", "x", "LEFT"), ("RPOPLPUSH", "a"),
    )


def test_rpoplpush(both):
    both.run(
        ("RPUSH", "a", "1", "2", "3"), ("RPOPLPUSH", "a", "b"), ("RPOPLPUSH", "a", "b"),
        ("RPOPLPUSH", "a", "b"), ("RPOPLPUSH", "a", "b"), ("LRANGE", "b", "0", "-1"),
        ("EXISTS", "a"),
    )


# -- LMPOP -----------------------------------------------------------------------------------


def test_lmpop(both):
    both.run(
        ("LMPOP", "2", "a", "b", "LEFT"), ("RPUSH", "b", "1", "2", "3", "4"),
        ("LMPOP", "2", "a", "b", "LEFT"), ("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2"),
        ("RPUSH", "a", "x"), ("LMPOP", "2", "a", "b", "right", "count", "10"),
        ("LMPOP", "2", "a", "b", "LEFT", "COUNT", "10"), ("EXISTS", "a", "b"),
        ("LMPOP", "1", "b", "LEFT"), ("RPUSH", "c", "z"), ("LMPOP", "3", "c", "c", "c", "LEFT"),
    )


def test_lmpop_errors(both):
    for args in (("0", "a", "LEFT"), ("-1", "a", "LEFT"), ("x", "a", "LEFT"), ("2", "a", "LEFT"),
                 ("1", "a", "UP"), ("1", "a", "LEFT", "COUNT"), ("1", "a", "LEFT", "COUNT", "0"),
                 ("1", "a", "LEFT", "COUNT", "-1"), ("1", "a", "LEFT", "COUNT", "x"),
                 ("1", "a", "LEFT", "COUNT", "1", "COUNT", "1"), ("1", "a", "LEFT", "FOO"),
                 ("1", "a", "LEFT", "COUNT", "2", "x"), ("3", "a", "b", "LEFT"),
                 ("1", "a"), ("1",), ("9223372036854775807", "a", "LEFT")):
        both("LMPOP", *args)
    both.run(("SET", "s", "v"), ("LMPOP", "2", "s", "a", "LEFT"), ("RPUSH", "a", "1"),
             ("LMPOP", "2", "a", "s", "LEFT"), ("LMPOP", "2", "missing", "s", "LEFT"))


def test_lmpop_resp3(both3):
    both3.run(("LMPOP", "1", "a", "LEFT"), ("RPUSH", "a", "1", "2"),
              ("LMPOP", "1", "a", "LEFT", "COUNT", "5"), ("LPOS", "a", "x"))


# -- what goes to the AOF and replicas ---------------------------------------------------------


def test_propagated_forms(aof_pair):
    """[B]LMPOP go out as LPOP/RPOP of the count popped and BLMOVE as LMOVE with its own side
    arguments, as Redis 7.0 rewrites them."""
    setup = ("RPUSH", "l", "a", "b", "c", "d", "e")
    mine, theirs = aof_logged(aof_pair, [
        setup, ("LMPOP", "1", "l", "LEFT", "COUNT", "2"),
        ("LMPOP", "1", "l", "right", "COUNT", "9"),
        setup, ("LMPOP", "2", "missing", "l", "LEFT"), ("LMPOP", "1", "missing", "LEFT"),
        ("BLMPOP", "0", "1", "l", "RIGHT", "COUNT", "2"), ("BLMPOP", "0", "1", "l", "LEFT",
                                                          "COUNT", "9"),
        setup, ("BLMOVE", "l", "d", "left", "Right", "0"),
        ("BLPOP", "l", "0"), ("BRPOP", "missing", "l", "0"), ("RPOPLPUSH", "l", "d"),
        ("LMOVE", "l", "d", "right", "left"),
    ])
    assert mine == theirs


# -- keyspace events -------------------------------------------------------------------------


def test_events_of_pushes_pops_and_in_place_changes(both):
    """Each change sends Redis's event (lpush, rpop, lset, linsert, lrem, ltrim ...); one that
    empties the list sends `del` after it; no-ops, WRONGTYPE errors and write lookups of
    missing keys send nothing, read lookups of missing keys `keymiss`."""
    assert both.same_events(
        ("LPUSH", "l", "a", "b"), ("RPUSH", "l", "c", "d", "e"), ("LPUSHX", "l", "x"),
        ("RPUSHX", "l", "y"), ("LPUSHX", "none", "x"), ("RPUSHX", "none", "x"), ("LPOP", "l"),
        ("RPOP", "l"), ("LPOP", "l", "0"), ("LPOP", "l", "2"), ("RPOP", "l", "1"),
        ("LPOP", "none"), ("RPOP", "none", "2"), ("RPOP", "l", "9"), ("RPUSH", "l", "a"),
        ("LPOP", "l"), ("RPUSH", "l", "a", "b", "a", "c"), ("LSET", "l", "0", "x"),
        ("LSET", "l", "-1", "a"), ("LSET", "l", "9", "x"), ("LSET", "none", "0", "x"),
        ("LINSERT", "l", "BEFORE", "b", "i"), ("LINSERT", "l", "AFTER", "no", "i"),
        ("LINSERT", "none", "AFTER", "a", "i"), ("LREM", "l", "1", "no"),
        ("LREM", "l", "-1", "a"), ("LREM", "none", "0", "a"), ("LTRIM", "l", "0", "-1"),
        ("LTRIM", "l", "1", "2"), ("LTRIM", "none", "0", "1"), ("LREM", "l", "0", "b"),
        ("LREM", "l", "0", "a"), ("EXISTS", "l"), ("RPUSH", "l", "a"), ("LTRIM", "l", "5", "9"),
        ("LRANGE", "none", "0", "-1"), ("LLEN", "none"), ("LINDEX", "none", "0"),
        ("LPOS", "none", "a"), ("LPOS", "none", "a", "COUNT", "0"), ("SET", "s", "v"),
        ("LPUSH", "s", "x"), ("LPUSHX", "s", "x"), ("LPOP", "s"), ("LPOP", "s", "0"),
        ("LSET", "s", "0", "x"), ("LTRIM", "s", "0", "1"), ("LLEN", "s"),
        classes="KEAnm")


def test_events_of_moves_and_multi_pops(both):
    """A move sends the destination's push event (after `new`), then the source's pop event
    and its `del` if it emptied, as Redis's lmoveGenericCommand; the blocking forms served at
    once send the same events as their plain forms."""
    assert both.same_events(
        ("RPUSH", "l", "a", "b", "c", "d"), ("LMOVE", "l", "d", "LEFT", "RIGHT"),
        ("LMOVE", "l", "d", "RIGHT", "LEFT"), ("LMOVE", "d", "d", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "l", "e"), ("RPOPLPUSH", "l", "e"), ("RPOPLPUSH", "none", "e"),
        ("LMOVE", "none", "e", "LEFT", "LEFT"), ("RPUSH", "one", "x"),
        ("LMOVE", "one", "one", "LEFT", "LEFT"), ("RPOPLPUSH", "one", "one"),
        ("SET", "s", "v"), ("RPOPLPUSH", "d", "s"), ("RPOPLPUSH", "s", "d"),
        ("LMPOP", "2", "none", "other", "LEFT"), ("RPUSH", "m", "1", "2", "3"),
        ("LMPOP", "2", "none", "m", "LEFT"), ("LMPOP", "1", "m", "RIGHT", "COUNT", "5"),
        ("LMPOP", "2", "none", "s", "LEFT"),
        ("RPUSH", "b", "1", "2", "3", "4"), ("BLPOP", "none", "b", "0"), ("BRPOP", "b", "0"),
        ("BLMOVE", "b", "c", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "b", "c", "0"),
        ("RPUSH", "b", "1", "2"), ("BLMPOP", "0", "1", "b", "LEFT", "COUNT", "9"),
        ("BLPOP", "none", "0.01"), ("BLMOVE", "none", "c", "LEFT", "LEFT", "0.01"),
        ("BLMPOP", "0.01", "1", "none", "LEFT"), ("BLPOP", "s", "0"),
        classes="KEAnm")


# -- types, TTLs, copies, introspection ------------------------------------------------------


@pytest.mark.parametrize("cmd", [
    ("LPUSH", "s", "x"), ("RPUSH", "s", "x"), ("LPUSHX", "s", "x"), ("RPUSHX", "s", "x"),
    ("LPOP", "s"), ("RPOP", "s", "2"), ("LPOP", "s", "0"), ("LLEN", "s"), ("LRANGE", "s", "0", "1"),
    ("LINDEX", "s", "0"), ("LSET", "s", "0", "x"), ("LINSERT", "s", "BEFORE", "a", "b"),
    ("LREM", "s", "0", "x"), ("LTRIM", "s", "0", "1"), ("LPOS", "s", "x"),
    ("LMOVE", "s", "d", "LEFT", "LEFT"), ("RPOPLPUSH", "s", "d"), ("LMPOP", "1", "s", "LEFT"),
    ("BLPOP", "s", "0"), ("BRPOP", "s", "0"), ("BLMOVE", "s", "d", "LEFT", "LEFT", "0"),
    ("BRPOPLPUSH", "s", "d", "0"), ("BLMPOP", "0", "1", "s", "LEFT"),
], ids=lambda c: c[0])
def test_wrong_type(both, cmd):
    both("SET", "s", "v")
    both(*cmd)
    both("GET", "s")


def test_ttl_survives_in_place_changes(both):
    both.run(("RPUSH", "k", "a", "b", "c"), ("EXPIRE", "k", "1000"), ("LPUSH", "k", "x"),
             ("RPOP", "k"), ("LSET", "k", "0", "y"), ("LREM", "k", "1", "a"),
             ("LTRIM", "k", "0", "5"), ("LINSERT", "k", "BEFORE", "b", "z"),
             ("RPUSH", "d", "q"), ("EXPIRE", "d", "500"), ("LMOVE", "k", "d", "LEFT", "LEFT"))
    assert 0 < reply_of(both.r, "TTL", "k") <= 1000
    assert 0 < reply_of(both.r, "TTL", "d") <= 500
    both.run(("LPOP", "k", "10"), ("EXISTS", "k"), ("TTL", "k"), ("RPUSH", "k", "a"), ("TTL", "k"))


def test_change_counts(both):
    """rdb_changes_since_last_save (server.dirty) moves as in Redis: by the elements pushed,
    popped, removed or trimmed, by one for a move, and not at all for an LTRIM that keeps all."""
    both.same_changes(
        ("RPUSH", "k", "a", "b", "c"), ("LPUSH", "k", "x", "y"), ("RPUSHX", "k", "1", "2"),
        ("LPUSHX", "k", "3", "4"), ("LPUSHX", "missing", "1", "2"), ("RPOP", "k", "2"),
        ("LPOP", "k", "1"), ("LPOP", "k"), ("LPOP", "k", "0"), ("LSET", "k", "0", "q"),
        ("LINSERT", "k", "BEFORE", "q", "r"), ("LINSERT", "k", "BEFORE", "no", "r"),
        ("RPUSH", "k", "a", "b", "a", "a"), ("LREM", "k", "-2", "a"),
        ("LREM", "k", "0", "no"), ("LTRIM", "k", "0", "-1"), ("LTRIM", "k", "1", "-2"),
        ("RPUSH", "a", "1", "2", "3", "4"), ("LMOVE", "a", "b", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "a", "b"), ("LMOVE", "a", "a", "LEFT", "RIGHT"),
        ("LMOVE", "missing", "b", "LEFT", "RIGHT"), ("RPOPLPUSH", "a", "a"),
        ("LMPOP", "2", "missing", "b", "LEFT", "COUNT", "1"),
        ("LMPOP", "1", "a", "RIGHT", "COUNT", "9"), ("BLPOP", "b", "0"),
        ("RPUSH", "b", "x", "y", "z"), ("BLMPOP", "0", "1", "b", "LEFT", "COUNT", "2"),
        ("LTRIM", "k", "9", "1"),
        ("RPUSH", "k", "a", "b", "c"), ("RPOP", "k", "9")
    )


def test_type_encoding_copy_digest(both):
    both.run(("RPUSH", "k", "a", "1", "-7", "x" * 70), ("TYPE", "k"), ("OBJECT", "ENCODING", "k"),
             ("COPY", "k", "c"), ("RPUSH", "c", "more"), ("LRANGE", "k", "0", "-1"),
             ("LRANGE", "c", "0", "-1"), ("SET", "s", "v"))
    for client in (both.r, both.o):
        cursor, keys = reply_of(client, "SCAN", "0", "TYPE", "list")
        assert cursor == b"0" and sorted(keys) == [b"c", b"k"]
    check_state(both, "k", "c")


@pytest.mark.parametrize("items", [
    ["x"], ["a", "b", "1", "200", "-5000", "70000", "abcdefghijklmnopqrstuvwxyz" * 2],
    [str(i) for i in range(3000)], ["x" * 100] * 300, ["%030d" % i for i in range(1000)],
    ["y" * 20000, *[str(-i * 1000) for i in range(2000)]], [str(2**63 - i) for i in range(5)],
    [str(v) for v in (127, 128, -4096, -4097, 4095, 4096, 32767, 32768, -32769, 2**23, 2**31)],
])
def test_debug_object_of_pushed_lists(both, items):
    """serializedlength and the ql_* fields for lists built by RPUSH, which slotkv models."""
    both("RPUSH", "k", *items)
    mine = reply_of(both.r, "DEBUG", "OBJECT", "k")
    theirs = reply_of(both.o, "DEBUG", "OBJECT", "k")
    assert _idle_free(mine) == _idle_free(theirs)
    check_state(both, "k")


@pytest.mark.parametrize("fill", ["5", "1", "0", "128", "40000", "-1", "-3", "-5", "-6"])
def test_debug_object_under_other_fills(both, fill):
    """A list keeps the list-max-listpack-size and list-compress-depth it was created with
    (quicklistSetOptions): its node shapes (so serializedlength), ql_listpack_max and
    ql_compressed follow them, also after the settings change again."""
    items = [str(i) for i in range(300)] + ["x" * 100] * 200 + ["y" * 3000] * 6
    try:
        both.run(("CONFIG", "SET", "list-max-listpack-size", fill),
                 ("CONFIG", "SET", "list-compress-depth", "1"),
                 ("RPUSH", "k", *items), ("RPUSH", "small", "a", "b"),
                 ("LMOVE", "small", "moved", "LEFT", "LEFT"),
                 ("CONFIG", "SET", "list-max-listpack-size", "-2"),
                 ("CONFIG", "SET", "list-compress-depth", "0"), ("COPY", "k", "copy"),
                 ("RPUSH", "later", *items))
        for key in ("k", "small", "moved", "copy", "later"):
            mine = reply_of(both.r, "DEBUG", "OBJECT", key)
            theirs = reply_of(both.o, "DEBUG", "OBJECT", key)
            assert _idle_free(mine) == _idle_free(theirs), key
            both("DUMP", key)
    finally:
        for client in (both.r, both.o):
            client.config_set("list-max-listpack-size", -2)
            client.config_set("list-compress-depth", 0)



def _same_list_objects(both, *keys: str) -> None:
    for key in keys:
        mine = reply_of(both.r, "DEBUG", "OBJECT", key)
        theirs = reply_of(both.o, "DEBUG", "OBJECT", key)
        assert _idle_free(mine) == _idle_free(theirs), key
        both("DUMP", key)
        both("OBJECT", "ENCODING", key)


def _set_list_options(both, fill: str, depth: str) -> None:
    both.run(("CONFIG", "SET", "list-max-listpack-size", fill),
             ("CONFIG", "SET", "list-compress-depth", depth))


# The end operations that keep a loaded list's nodes: (command, expected same reply) in order.
_END_CHANGES = (("RPUSH", "k", *["t" * 40] * 30), ("LPUSH", "k", *["h" * 300] * 12),
                ("LPOP", "k", "5"), ("RPOP", "k"), ("LMOVE", "k", "k", "LEFT", "RIGHT"),
                ("LSET", "k", "7", "z" * 90), ("LTRIM", "k", "3", "-4"),
                ("RPUSHX", "k", "a", "b"), ("LPUSHX", "k", "c"))


@pytest.fixture
def default_list_options(both):
    yield
    for client in (both.r, both.o):
        client.config_set("list-max-listpack-size", -2)
        client.config_set("list-compress-depth", 0)


@pytest.mark.parametrize("saved, loaded", [(("5", "1"), ("-2", "0")), (("-1", "0"), ("3", "2")),
                                           (("128", "0"), ("-5", "1"))])
def test_debug_reload_keeps_the_saved_nodes(both, default_list_options, saved, loaded):
    """A list loaded by DEBUG RELOAD keeps the listpack nodes it was saved with
    (quicklistAppendListpack) and takes list-max-listpack-size and list-compress-depth from
    the configuration at load time; later pushes, pops, LSET and LTRIM change those nodes as
    Redis's do."""
    items = [str(i) for i in range(300)] + ["x" * 100] * 200 + ["y" * 3000] * 6
    _set_list_options(both, *saved)
    both.run(("RPUSH", "k", *items), ("RPUSH", "small", "a", "b", "c"),
             ("LPUSH", "heads", *items[:40]))
    _set_list_options(both, *loaded)
    both("DEBUG", "RELOAD")
    _same_list_objects(both, "k", "small", "heads")
    for change in _END_CHANGES:
        both(*change)
        _same_list_objects(both, "k")
    check_state(both, "k", "small", "heads")


def test_restore_keeps_the_payload_nodes(both, default_list_options):
    """RESTORE of a payload DUMPed under other list settings keeps its nodes, with the
    settings configured at RESTORE time (and a COPY of it keeps both)."""
    items = [str(i) for i in range(100)] + ["v" * 500] * 30
    _set_list_options(both, "4", "0")
    both("RPUSH", "src", *items)
    payload = both.o.dump("src")
    _set_list_options(both, "-2", "1")
    for client in (both.r, both.o):
        client.restore("k", 0, payload)
    both("COPY", "k", "copy")
    _same_list_objects(both, "k", "copy")
    for change in _END_CHANGES:
        both(*change)
        _same_list_objects(both, "k", "copy")



@pytest.mark.parametrize("fill, depth", [("3", "2"), ("-2", "0")])
def test_lists_loaded_at_start_keep_their_nodes(start_node, start_oracle, tmp_path, fill, depth):
    """Lists read from the RDB file at start: quicklists keep the listpack (or ziplist) nodes
    they were saved with, lists saved as plain elements or as one ziplist (older files) are
    pushed one by one; all under the list settings the loading server starts with."""
    saver = start_oracle(*DEBUG, "--list-max-listpack-size", "5", "--list-compress-depth", "1")
    c = saver.client()
    c.rpush("k", *range(300), *["x" * 100] * 50)
    c.lpush("heads", *range(40))
    assert c.save()
    with open(os.path.join(saver.workdir, "dump.rdb"), "rb") as f:
        saved = f.read()
    older = file_of(
        b"\x01" + E(b"plain") + L(7) + b"".join(E(b"%d" % i) for i in range(7)),
        b"\x0a" + E(b"ziplist") + E(ziplist([b"z%d" % i for i in range(9)])),
        b"\x0e" + E(b"ql1") + L(2) + E(ziplist([b"q", 1, 2])) + E(ziplist([b"r"] * 6)),
        version=9)
    settings_ = ("--list-max-listpack-size", fill, "--list-compress-depth", depth)
    for name, content, keys in (("saved", saved, ("k", "heads")),
                                ("older", older, ("plain", "ziplist", "ql1"))):
        dirs = []
        for side in ("slotkv", "redis"):
            dirs.append(tmp_path / name / side)
            dirs[-1].mkdir(parents=True)
            (dirs[-1] / "dump.rdb").write_bytes(content)
        mine = start_node(*DEBUG, *settings_, workdir=str(dirs[0]))
        theirs = start_oracle(*DEBUG, *settings_, "--dir", str(dirs[1]))
        both = Differential(mine.client(), theirs.client())
        _same_list_objects(both, *keys)
        both("RPUSH", keys[-1], *["t" * 30] * 20)
        _same_list_objects(both, keys[-1])


# -- a random mix, compared with redis-server ------------------------------------------------

KEYS = st.sampled_from(["a", "b", "s"])
ELEMENTS = st.sampled_from(["x", "y", "z", "1", "-2", "", "long" * 10])
INDEX = st.integers(-6, 6).map(str)
SIDE = st.sampled_from(["LEFT", "RIGHT"])
COUNT = st.integers(0, 4).map(str)

COMMANDS = st.one_of(
    st.tuples(st.sampled_from(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), KEYS,
              st.lists(ELEMENTS, min_size=1, max_size=4)).map(lambda t: (t[0], t[1], *t[2])),
    st.tuples(st.sampled_from(["LPOP", "RPOP", "LLEN"]), KEYS),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), KEYS, COUNT),
    st.tuples(st.sampled_from(["LRANGE", "LTRIM"]), KEYS, INDEX, INDEX),
    st.tuples(st.just("LINDEX"), KEYS, INDEX),
    st.tuples(st.just("LSET"), KEYS, INDEX, ELEMENTS),
    st.tuples(st.just("LINSERT"), KEYS, st.sampled_from(["BEFORE", "AFTER"]), ELEMENTS, ELEMENTS),
    st.tuples(st.just("LREM"), KEYS, INDEX, ELEMENTS),
    st.tuples(st.just("LPOS"), KEYS, ELEMENTS, st.sampled_from(["RANK", "COUNT", "MAXLEN"]),
              st.integers(-3, 3).map(str)),
    st.tuples(st.just("LMOVE"), KEYS, KEYS, SIDE, SIDE),
    st.tuples(st.just("RPOPLPUSH"), KEYS, KEYS),
    st.tuples(st.just("LMPOP"), st.just("2"), KEYS, KEYS, SIDE, st.just("COUNT"),
              st.integers(1, 3).map(str)),
    st.tuples(st.sampled_from(["BLPOP", "BRPOP"]), KEYS, KEYS, st.just("0")),
    st.tuples(st.just("SET"), st.just("s"), ELEMENTS),
    st.tuples(st.just("DEL"), KEYS),
)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(COMMANDS, min_size=1, max_size=30))
def test_random_operation_mix(both, commands):
    both.r.flushall()
    both.o.flushall()
    for cmd in commands:
        if cmd[0] in ("BLPOP", "BRPOP"):
            # Never blocks: the push leaves a list at the last key, or it holds a string,
            # which the pop reaches (WRONGTYPE) unless an earlier key serves it.
            both("RPUSH", cmd[2], "w")
        both(*cmd)
    check_state(both, "a", "b", "s")


_END_COMMANDS = st.one_of(
    st.tuples(st.sampled_from(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), KEYS,
              st.lists(ELEMENTS, min_size=1, max_size=4)).map(lambda t: (t[0], t[1], *t[2])),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), KEYS),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), KEYS, COUNT),
    st.tuples(st.just("LTRIM"), KEYS, INDEX, INDEX),
    st.tuples(st.just("LSET"), KEYS, INDEX, ELEMENTS),
    st.tuples(st.just("LMOVE"), KEYS, KEYS, SIDE, SIDE),
    st.tuples(st.just("LMPOP"), st.just("2"), KEYS, KEYS, SIDE, st.just("COUNT"),
              st.integers(1, 3).map(str)),
    st.tuples(st.sampled_from(["BLPOP", "BRPOP"]), KEYS, st.just("0.01")),
)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_END_COMMANDS, min_size=1, max_size=25))
def test_random_end_changes_after_reload(both, default_list_options, commands):
    """The nodes of reloaded lists, followed through pushes, pops, moves, LSET and LTRIM."""
    both.r.flushall()
    both.o.flushall()
    _set_list_options(both, "3", "0")
    # (built by RPUSH: the nodes slotkv saves are then Redis's)
    both.run(("RPUSH", "a", *["x", "1", "long" * 10] * 7), ("RPUSH", "b", *["y", ""] * 5))
    _set_list_options(both, "4", "1")
    both("DEBUG", "RELOAD")
    # Only the lists that have lived since the reload: a list created since by LPUSH has nodes
    # slotkv models from the head, not as Redis fills them.
    loaded = ["a", "b"]
    for cmd in commands:
        both(*cmd)
        loaded = [key for key in loaded if both.o.exists(key)]
        _same_list_objects(both, *loaded)


@pytest.mark.parametrize("size", ["100", "abc", "0", "5g", "1k", "-1", "4294967295", "4gb"])
def test_quicklist_packed_threshold_replies(both, size):
    try:
        both("DEBUG", "QUICKLIST-PACKED-THRESHOLD", size)
    finally:
        both("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0")


def test_plain_nodes_under_a_packed_threshold(both, default_list_options):
    """Elements of at least DEBUG QUICKLIST-PACKED-THRESHOLD bytes are plain nodes of their
    own: in DEBUG OBJECT, DUMP (container 1), after DEBUG RELOAD and RESTORE, and as the
    ends of a loaded list are pushed, popped and set."""
    big = "b" * 150
    try:
        both("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100")
        both.run(("RPUSH", "k", "a", "b", big, "c", big, big, "d"), ("LPUSH", "k", big, "e"),
                 ("RPUSH", "only", big))
        _same_list_objects(both, "k", "only")
        both("DEBUG", "RELOAD")
        _same_list_objects(both, "k", "only")
        for client in (both.r, both.o):
            client.restore("copy", 0, both.o.dump("k"))
        for change in (("RPUSH", "k", big, "f"), ("LPOP", "k", "3"), ("RPUSH", "k", "g"),
                       ("LSET", "k", "0", "h"), ("LSET", "k", "1", big), ("RPOP", "k", "2"),
                       ("LMOVE", "only", "copy", "LEFT", "LEFT")):
            both(*change)
            _same_list_objects(both, "k", "copy")
    finally:
        both("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0")
