"""Counters: a string that INCR made is kept as a number, and every command reads it as Redis.

slotkv stores the result of INCR/DECR/INCRBY/DECRBY as an int (Redis's int encoding) rather
than as digits; each test makes such a counter on both servers and then reads or changes it
with another command, comparing the replies with redis-server.
"""

from __future__ import annotations

import pytest

from conftest import Differential, debug_servers

# DEBUG DIGEST and DIGEST-VALUE are compared below (the shared pair refuses DEBUG, as Redis 7
# does by default).
node, oracle = debug_servers()


@pytest.fixture
def counter(both: Differential) -> Differential:
    for c in (both.r, both.o):  # raises if DEBUG is refused: the DEBUG rows would compare refusals
        c.execute_command("DEBUG", "DIGEST")
    both("SET", "c", "10")
    both("INCRBY", "c", "32")  # 42, an int-encoded counter from here on
    both("DECR", "neg")  # -1
    return both


READS = [
    ("GET", "c"), ("MGET", "c", "neg", "missing"), ("STRLEN", "c"), ("GETRANGE", "c", "0", "0"),
    ("SUBSTR", "c", "-1", "-1"), ("TYPE", "c"), ("OBJECT", "ENCODING", "c"),
    ("OBJECT", "REFCOUNT", "c"), ("OBJECT", "REFCOUNT", "neg"), ("DEBUG", "DIGEST-VALUE", "c", "neg"),
    ("GETBIT", "c", "3"), ("BITCOUNT", "c"), ("BITPOS", "c", "1"), ("BITFIELD_RO", "c", "GET", "u8", "0"),
    ("LCS", "c", "neg"), ("PFCOUNT", "c"), ("EXISTS", "c"), ("GETEX", "c"),
]


@pytest.mark.parametrize("cmd", READS, ids=lambda c: " ".join(c))
def test_reads(counter: Differential, cmd: tuple) -> None:
    counter(*cmd)
    counter("GET", "c")


WRITES = [
    ("APPEND", "c", "7"), ("SETRANGE", "c", "1", "x"), ("SETBIT", "c", "0", "1"),
    ("BITFIELD", "c", "INCRBY", "u8", "8", "1"), ("BITOP", "NOT", "dst", "c"),
    ("INCRBYFLOAT", "c", "0.5"), ("GETSET", "c", "x"), ("GETDEL", "c"), ("SET", "c", "y", "GET"),
    ("PFADD", "c", "a"), ("COPY", "c", "c2"), ("RENAME", "c", "c2"), ("INCR", "c"),
    ("DECRBY", "c", "100"), ("INCRBY", "c", "9223372036854775807"),
]


@pytest.mark.parametrize("cmd", WRITES, ids=lambda c: " ".join(c))
def test_writes(counter: Differential, cmd: tuple) -> None:
    counter(*cmd)
    for key in ("c", "c2", "dst"):
        counter("GET", key)
        counter("OBJECT", "ENCODING", key)
    counter("DEBUG", "DIGEST")


def test_sort_by_and_get_counters(counter: Differential) -> None:
    counter("RPUSH", "l", "a", "b")
    counter("INCRBY", "w_a", "5")
    counter("INCRBY", "w_b", "-5")
    counter("SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*")


def test_counter_round_trip_through_incr(counter: Differential) -> None:
    for _ in range(3):
        counter("INCR", "c")
    counter("INCRBY", "c", "-45")
    counter("OBJECT", "ENCODING", "c")
    counter("INCRBYFLOAT", "c", "1.5")
    counter("INCR", "c")  # not an integer any more
    counter("GET", "c")


@pytest.mark.parametrize("text", [
    "0x10", "0x1p3", "0X1.8P1", "-0x.8", "0x", "1e-5000", "0x1p-20000", "2e4932", "1.1e4932",
    "infinity", "-inf", "nan", " 1", "1 ", "1.5", ".5", "5.", "+.5e1", "", "1e",
])
def test_incrbyfloat_reads_numbers_as_strtold(both: Differential, text: str) -> None:
    """Both the stored value and the increment are read by string2ld (strtold: hex floats
    too; no spaces, NaN, overflow or underflow to zero), and the sum must stay finite."""
    both("SET", "f", text)
    both("INCRBYFLOAT", "f", "1")
    both("INCRBYFLOAT", "g", text)
    both("INCRBYFLOAT", "g", text)
    both.run(("GET", "f"), ("GET", "g"))
