"""LCS against redis-server: the subsequence Redis picks, LEN, IDX ranges in Redis's order,
MINMATCHLEN / WITHMATCHLEN, RESP2 and RESP3 reply shapes, errors and limits."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
from conftest import make_non_string, reply_of, start_redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.commands import lcs as lcs_module
from node.errors import CommandError
from node.keyspace import TYPE_NAMES, Keyspace


def test_command_info_matches(both):
    both("COMMAND", "INFO", "lcs")
    both("COMMAND", "GETKEYS", "LCS", "a", "b", "IDX")


def test_command_docs_basics_match(both3):
    mine = reply_of(both3.r, "COMMAND", "DOCS", "lcs")[b"lcs"]
    theirs = reply_of(both3.o, "COMMAND", "DOCS", "lcs")[b"lcs"]
    for field in (b"summary", b"since", b"group", b"complexity"):
        assert mine[field] == theirs[field], field


def test_documented_example(both):
    both("MSET", "key1", "ohmytext", "key2", "mynewtext")
    both.run(
        ("LCS", "key1", "key2"), ("LCS", "key1", "key2", "LEN"), ("LCS", "key1", "key2", "IDX"),
        ("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"),
        ("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
        ("LCS", "key1", "key2", "IDX", "WITHMATCHLEN"), ("LCS", "key2", "key1", "IDX"),
        ("LCS", "key1", "key2", "idx", "minmatchlen", "2", "withmatchlen"),
        ("LCS", "key1", "key2", "WITHMATCHLEN"), ("LCS", "key1", "key2", "MINMATCHLEN", "3"),
        ("LCS", "key1", "key2", "LEN", "WITHMATCHLEN", "MINMATCHLEN", "1"),
        ("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-5"),
        ("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "1", "MINMATCHLEN", "3"),
        ("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "100"),
        ("LCS", "key1", "key1", "IDX", "WITHMATCHLEN"),
    )


def test_missing_and_empty(both):
    both("SET", "a", "hello")
    both("SET", "e", "")
    for k1, k2 in (("a", "missing"), ("missing", "a"), ("missing", "missing2"), ("e", "a"),
                   ("a", "e"), ("e", "e")):
        both("LCS", k1, k2)
        both("LCS", k1, k2, "LEN")
        both("LCS", k1, k2, "IDX", "WITHMATCHLEN")


def test_ties_and_ranges_follow_redis_walk(both):
    pairs = [("abcabc", "cbacba"), ("aaaa", "aa"), ("ab", "ba"), ("abcbdab", "bdcaba"),
             ("xyzxyzxyz", "zyxzyxzyx"), ("a1b2c3d4", "4d3c2b1a"), ("hello world", "world hello"),
             ("\x00\xff\x00", "\xff\x00\xff"), ("banana", "atana"), ("abab", "baba")]
    for left, right in pairs:
        both("MSET", "x", left, "y", right)
        both("LCS", "x", "y")
        both("LCS", "y", "x")
        both("LCS", "x", "y", "LEN")
        both("LCS", "x", "y", "IDX", "WITHMATCHLEN")
        both("LCS", "y", "x", "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN")


def test_errors(both):
    both("MSET", "a", "abc", "b", "bcd")
    both.run(
        ("LCS", "a", "b", "LEN", "IDX"), ("LCS", "a", "b", "IDX", "LEN", "WITHMATCHLEN"),
        ("LCS", "a", "b", "FOO"), ("LCS", "a", "b", "MINMATCHLEN"),
        ("LCS", "a", "b", "MINMATCHLEN", "x"), ("LCS", "a", "b", "MINMATCHLEN", "1.5"),
        ("LCS", "a", "b", "MINMATCHLEN", "99999999999999999999"),
        ("LCS", "a", "b", "IDX", "MINMATCHLEN", "x", "LEN"), ("LCS", "a", "b", "LEN", "IDX", "FOO"),
        ("LCS", "a", "b", "FOO", "LEN", "IDX"), ("LCS", "a", b"idx\x00junk"), ("LCS", "a"),
        ("LCS",),
    )


def test_wrong_type_differential(both, r, o):
    if not make_non_string(r, o):
        pytest.skip("the node implements no non-string type yet (see the in-process test)")
    both("SET", "a", "abc")
    both.run(("LCS", "a", "w"), ("LCS", "w", "a"), ("LCS", "w", "missing", "FOO"),
             ("LCS", "w", "a", "LEN", "IDX"))


class _Other:
    """A stand-in for a non-string value."""


def test_wrong_type_in_process():
    TYPE_NAMES.setdefault(_Other, b"other")
    db = Keyspace(1).dbs[0]
    db.set(b"w", _Other())
    db.set(b"a", b"abc")
    ctx = SimpleNamespace(db=db, server=SimpleNamespace(config={"proto-max-bulk-len": 512 << 20}))
    # The type check comes before the options are even looked at.
    for argv in ([b"LCS", b"a", b"w"], [b"LCS", b"w", b"a", b"FOO"], [b"LCS", b"w", b"x"]):
        with pytest.raises(CommandError) as info:
            lcs_module.lcs(ctx, argv)
        assert info.value.message == "ERR The specified keys must contain string values"


# redis-py 8 speaks RESP3 unless told otherwise, so each protocol gets its own clients here.


@pytest.mark.parametrize("protocol", [2, 3])
def test_idx_reply_in_both_protocols(oracle, node, protocol):
    mine = node.client(protocol=protocol)
    theirs = oracle.client(protocol=protocol)
    try:
        for client in (mine, theirs):
            client.mset({"k1": "ohmytext", "k2": "mynewtext", "k3": "abcabcab", "k4": "cabcbac"})
        for keys in (("k1", "k2"), ("k3", "k4"), ("k4", "k3"), ("k1", "missing")):
            for args in (("IDX",), ("IDX", "WITHMATCHLEN"), ("IDX", "MINMATCHLEN", "4"),
                         ("IDX", "MINMATCHLEN", "2", "WITHMATCHLEN"), ("LEN",), ()):
                got = reply_of(mine, "LCS", *keys, *args)
                want = reply_of(theirs, "LCS", *keys, *args)
                assert got == want, (keys, args)
        got = reply_of(mine, "LCS", "k1", "k2", "IDX")
        ranges = [[[4, 7], [5, 8]], [[2, 3], [0, 1]]]
        if protocol == 3:
            assert isinstance(got, dict) and list(got) == [b"matches", b"len"]
            assert got == {b"matches": ranges, b"len": 6}
        else:
            assert got == [b"matches", ranges, b"len", 6]
    finally:
        for client in (mine, theirs):
            client.delete("k1", "k2", "k3", "k4")
            client.close()


def test_large_strings(both, r):
    rng = random.Random(7)
    a = bytes(rng.choice(b"ACGT") for _ in range(3000))
    b = bytes(rng.choice(b"ACGT") for _ in range(2500))
    both("MSET", "a", a, "b", b)
    both("LCS", "a", "b")
    both("LCS", "a", "b", "LEN")
    both("LCS", "a", "b", "IDX", "MINMATCHLEN", "6", "WITHMATCHLEN")


def test_table_limit_follows_proto_max_bulk_len(start_node):
    node = start_node("--proto-max-bulk-len", "1mb")
    oracle = start_redis("--proto-max-bulk-len", "1mb")
    try:
        r, o = node.client(), oracle.client()
        # (511+1)*(511+1)*4 = 1 MiB exactly is allowed; one more byte is not.
        for size_a, size_b in ((511, 511), (512, 511), (2000, 0), (262142, 0), (262143, 0)):
            for client in (r, o):
                client.mset({"a": "x" * size_a, "b": "x" * size_b})
            for args in ((), ("LEN",), ("IDX", "MINMATCHLEN", "600")):
                assert reply_of(r, "LCS", "a", "b", *args) == reply_of(o, "LCS", "a", "b", *args)
        r.close()
        o.close()
    finally:
        oracle.stop()


def test_bit_parallel_table_matches_dynamic_programming():
    rng = random.Random(3)
    for _ in range(300):
        a = bytes(rng.choice(b"abc") for _ in range(rng.randint(0, 10)))
        b = bytes(rng.choice(b"abc") for _ in range(rng.randint(0, 10)))
        table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                table[i][j] = (table[i - 1][j - 1] + 1 if a[i - 1] == b[j - 1]
                               else max(table[i - 1][j], table[i][j - 1]))
        rows = lcs_module._rows(a, b)
        for i in range(len(a) + 1):
            for j in range(len(b) + 1):
                assert j - (rows[i] & ((1 << j) - 1)).bit_count() == table[i][j]
        assert lcs_module._length(a, b) == table[-1][-1]


TEXT = st.binary(max_size=14).map(lambda s: bytes(b"abc"[x % 3] for x in s))
OPTIONS = st.lists(st.sampled_from([("IDX",), ("LEN",), ("WITHMATCHLEN",), ("MINMATCHLEN", "0"),
                                    ("MINMATCHLEN", "2"), ("MINMATCHLEN", "3")]), max_size=3)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(TEXT, TEXT, OPTIONS)
def test_random_strings(both, left, right, options):
    both("MSET", "x", left, "y", right)
    both("LCS", "x", "y", *[part for opt in options for part in opt])
