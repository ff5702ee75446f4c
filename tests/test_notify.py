"""Keyspace notifications (notify-keyspace-events) against redis-server: same commands, same
events on `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`, in the same order.

The data type modules' events are tested with their commands (test_lists.py, ...); this module
covers the machinery (classes, K/E, databases), the string, bitmap and generic commands, and
expiry.
"""

from __future__ import annotations

import pytest

from conftest import Differential, debug_servers

node, oracle = debug_servers()  # DEBUG SET-ACTIVE-EXPIRE

RESTORE_PAYLOAD = b"\x00\x05hello\n\x00cr\xdfve4 \n"  # DUMP of the string "hello"

STRINGS = [
    ("SET", "a", "1"), ("SET", "a", "2", "EX", "100"), ("SET", "a", "3", "KEEPTTL"),
    ("SET", "a", "4", "NX"), ("SET", "b", "4", "GET"), ("SET", "c", "1", "EXAT", "1"),
    ("GET", "c"), ("SETNX", "a", "1"), ("SETNX", "d", "1"), ("SETEX", "e", "10", "v"),
    ("PSETEX", "f", "100", "v"), ("GETEX", "a", "EX", "10"), ("GETEX", "a", "PERSIST"),
    ("GETEX", "a", "PXAT", "1"), ("GETEX", "zz", "EX", "10"), ("GETDEL", "d"), ("GETDEL", "d"),
    ("GETSET", "b", "9"), ("GETSET", "g", "9"), ("MSET", "a", "1", "b", "2", "a", "3"),
    ("MSETNX", "x", "1", "y", "2"), ("MSETNX", "x", "1", "z", "2"), ("INCR", "n"),
    ("INCR", "n"), ("INCRBY", "n", "5"), ("DECR", "n"), ("DECRBY", "n", "2"),
    ("INCRBYFLOAT", "n", "1.5"), ("INCRBYFLOAT", "n2", "1.5"), ("APPEND", "n", "1"),
    ("APPEND", "ap", "x"), ("SETRANGE", "ap", "5", "y"), ("SETRANGE", "ap", "0", ""),
    ("SETRANGE", "nope", "0", ""), ("SETRANGE", "nope", "3", "z"), ("INCR", "ap"),
    ("GET", "missing"), ("MGET", "missing", "a"), ("STRLEN", "missing"),
    ("LCS", "a", "missing"), ("GETRANGE", "missing", "0", "1"),
]

BITMAPS = [
    ("SETBIT", "bt", "3", "1"), ("SETBIT", "bt", "3", "1"), ("SETBIT", "bt", "100", "0"),
    ("SETBIT", "b0", "0", "0"), ("BITOP", "AND", "dest", "bt", "none"),
    ("BITOP", "AND", "dest", "none", "none2"), ("BITFIELD", "bf", "SET", "u8", "0", "1"),
    ("BITFIELD", "bf", "GET", "u8", "0"),
    ("BITFIELD", "bf", "INCRBY", "u8", "0", "1", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"),
    ("GETBIT", "none", "1"), ("BITCOUNT", "none"), ("BITPOS", "none", "1"),
]

GENERIC = [
    ("SET", "a", "1"), ("SET", "b", "2"), ("DEL", "a", "b", "nope"), ("SET", "a", "1"),
    ("UNLINK", "a", "nope"), ("SET", "a", "1"), ("EXPIRE", "a", "100"),
    ("EXPIRE", "a", "100", "NX"), ("PEXPIRE", "a", "200000", "GT"), ("EXPIREAT", "a", "1"),
    ("SET", "a", "1"), ("PEXPIREAT", "a", "99999999999999"), ("PERSIST", "a"),
    ("PERSIST", "a"), ("EXPIRE", "nope", "10"), ("EXPIRE", "a", "-1"), ("SET", "a", "1"),
    ("SET", "b", "2"), ("RENAME", "a", "b"), ("RENAME", "b", "b"), ("RENAME", "nope", "x"),
    ("RENAMENX", "b", "c"), ("SET", "d", "1"), ("RENAMENX", "c", "d"), ("EXPIRE", "c", "100"),
    ("RENAME", "c", "e"), ("MOVE", "e", "1"), ("SET", "e", "2"), ("MOVE", "e", "1"),
    ("COPY", "d", "f"), ("COPY", "d", "f"), ("COPY", "d", "f", "REPLACE"),
    ("COPY", "d", "f", "DB", "2"), ("OBJECT", "ENCODING", "nope"), ("TTL", "nope"),
    ("PTTL", "nope"), ("EXPIRETIME", "nope"), ("TYPE", "nope"), ("EXISTS", "d", "nope", "nope"),
    ("TOUCH", "d", "nope"), ("DUMP", "nope"), ("RESTORE", "r", "0", RESTORE_PAYLOAD),
    ("RESTORE", "r", "0", RESTORE_PAYLOAD, "REPLACE"),
    ("RESTORE", "r", "1", RESTORE_PAYLOAD, "REPLACE", "ABSTTL"),
    ("SWAPDB", "0", "1"), ("SWAPDB", "0", "1"), ("FLUSHDB",),
]


@pytest.mark.parametrize("commands", [STRINGS, BITMAPS, GENERIC],
                         ids=["strings", "bitmaps", "generic"])
def test_events_match_redis(both: Differential, commands: list[tuple]) -> None:
    # Active expiry off: a key set already expired is then expired by the next command that
    # touches it, on both servers, not by either one's timer in whichever command's turn.
    for client in (both.r, both.o):
        assert client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"OK"
    try:
        assert both.same_events(*commands, classes="KEAnm")
    finally:
        for client in (both.r, both.o):
            client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@pytest.mark.parametrize("classes", ["", "K", "E", "g", "KA", "E$", "Kg$", "KEA", "Em", "Kn",
                                     "KEAn", "AKEmn"])
def test_classes_select_events(both: Differential, classes: str) -> None:
    events = both.same_events(("SET", "s", "1"), ("EXPIRE", "s", "100"), ("GET", "nope"),
                              ("DEL", "s"), ("SET", "c", "1", "PX", "20"),
                              ("BLPOP", "no-such-list", "0.3"),  # c expires meanwhile
                              classes=classes)
    both("CONFIG", "SET", "notify-keyspace-events", classes)
    both("CONFIG", "GET", "notify-keyspace-events")
    both("CONFIG", "SET", "notify-keyspace-events", "")
    if classes in ("", "K", "E", "g"):  # no class, or no channel kind: nothing is sent
        assert events == []


def test_events_name_their_database(both: Differential) -> None:
    events = both.same_events(("SELECT", "3"), ("SET", "k", "v"), ("SELECT", "0"),
                              ("SET", "k", "v"))
    assert events[0] == (b"__keyspace@3__:k", b"set")


def test_expired_keys_are_announced(both: Differential) -> None:
    events = both.same_events(("SET", "e1", "1", "PX", "10"), ("PSETEX", "e2", "10", "v"),
                              ("BLPOP", "no-such-list", "0.5"), classes="Ex", unordered=True)
    assert events == [(b"__keyevent@0__:expired", b"e1"),
                              (b"__keyevent@0__:expired", b"e2")]
