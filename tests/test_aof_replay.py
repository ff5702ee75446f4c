"""The AOF replays to the same dataset: propagation is deterministic for every write command.

Hypothesis generates sequences of operations over every data type — relative TTLs, random
pops, blocking commands, float increments, approximate stream trims, consumer groups with
XREADGROUP/XCLAIM/XAUTOCLAIM, transactions, several databases — and runs them against a node
with appendonly yes. The dataset (every key's type, absolute expiry, value digest, and the
whole stream state but what Redis 7.0's own log of consumer groups leaves out: a group's
entries_read, and the delivery counts a history read bumps, which XREADGROUP with an ID
therefore does not do here) must come back identical when the node reloads its AOF (DEBUG
LOADAOF), when it restarts from it, and when a real redis-server 7.0 loads the same AOF
directory.
Rewrites (BGREWRITEAOF, to RDB bases: the default aof-use-rdb-preamble) happen in the
middle of sequences while writes go on; tests/test_aof.py covers command bases.

HYPOTHESIS_EXAMPLES=<n> runs more examples (default 30).
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aofhelp import (
    pipeline, redis_on_aof, single, snapshot, wait_rewrite_done, without_entries_read,
)
from conftest import ServerProcess, start_slotkv

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "30"))

FUTURE = int(time.time() * 1000) + 3600_000  # deadlines the test never reaches
PAST = 1_000_000  # a deadline long gone

S, L, H, Z, SET, X, P, G = (["s0", "s1", "s2"], ["l0", "l1"], ["h0", "h1"], ["z0", "z1"],
                            ["t0", "t1"], ["x0", "x1"], ["p0", "p1"], ["g0"])
ANY = S + L + H + Z + SET + X + P + G

word = st.sampled_from(["a", "b", "c", "1", "2", "10", "-3", "3.5", "héllo", "x" * 70, ""])
small = st.integers(min_value=0, max_value=5)
ttl_s = st.integers(min_value=100, max_value=10_000)


def _k(keys: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(keys)


def _opt(*choices: list[str]) -> st.SearchStrategy[list[str]]:
    return st.sampled_from([[], *choices])


strings = st.one_of(
    st.builds(lambda k, v, e: ["SET", k, v, *e], _k(S), word, _opt(
        ["EX", "1000"], ["PX", "500000"], ["EXAT", str(FUTURE // 1000)], ["PXAT", str(FUTURE)],
        ["PXAT", str(PAST)], ["KEEPTTL"], ["NX"], ["XX", "GET"], ["GET"], ["EX", "50", "NX"])),
    st.builds(lambda k, t, v: ["SETEX", k, str(t), v], _k(S), ttl_s, word),
    st.builds(lambda k, t, v: ["PSETEX", k, str(t * 1000), v], _k(S), ttl_s, word),
    st.builds(lambda k, e: ["GETEX", k, *e], _k(S), _opt(
        ["EX", "900"], ["PX", "90000"], ["EXAT", str(FUTURE // 1000)], ["PXAT", str(PAST)],
        ["PERSIST"])),
    st.builds(lambda k: ["GETDEL", k], _k(S)),
    st.builds(lambda k, v: ["GETSET", k, v], _k(S), word),
    st.builds(lambda c, k: [c, k], st.sampled_from(["INCR", "DECR"]), _k(S)),
    st.builds(lambda k, n: ["INCRBY", k, str(n)], _k(S), st.integers(-100, 100)),
    st.builds(lambda k, f: ["INCRBYFLOAT", k, f], _k(S), st.sampled_from(
        ["0.1", "1.5", "-2.25", "3e2", "0.3333333333333333"])),
    st.builds(lambda k, v: ["APPEND", k, v], _k(S), word),
    st.builds(lambda k, o, v: ["SETRANGE", k, str(o), v], _k(S), small, word),
    st.builds(lambda a, b, v: ["MSET", a, v, b, v], _k(S), _k(S), word),
    st.builds(lambda k, o, b: ["SETBIT", k, str(o), str(b)], _k(S), st.integers(0, 40),
              st.integers(0, 1)),
    st.builds(lambda k, o, v: ["BITFIELD", k, "SET", "u8", f"#{o}", str(v), "INCRBY", "i5",
                               "3", "7"], _k(S), small, st.integers(0, 255)),
    st.builds(lambda op: ["BITOP", op, "s2", "s0", "s1"], st.sampled_from(["AND", "OR", "XOR"])),
)

generic = st.one_of(
    st.builds(lambda c, k: [c, k], st.sampled_from(["DEL", "UNLINK", "PERSIST"]), _k(ANY)),
    st.builds(lambda c, k, t, o: [c, k, str(t), *o],
              st.sampled_from(["EXPIRE", "PEXPIRE"]), _k(ANY), ttl_s,
              _opt(["NX"], ["XX"], ["GT"], ["LT"])),
    st.builds(lambda k, w: ["PEXPIREAT", k, str(w)], _k(ANY), st.sampled_from([PAST, FUTURE])),
    st.builds(lambda k, w: ["EXPIREAT", k, str(w // 1000)], _k(ANY),
              st.sampled_from([PAST, FUTURE])),
    st.builds(lambda c, a, b: [c, a, b], st.sampled_from(["RENAME", "RENAMENX"]), _k(ANY),
              _k(ANY)),
    st.builds(lambda a, b, o: ["COPY", a, b, *o], _k(ANY), _k(ANY),
              _opt(["REPLACE"], ["DB", "1"], ["DB", "2", "REPLACE"])),
    st.builds(lambda k, d: ["MOVE", k, str(d)], _k(ANY), st.sampled_from([1, 2])),
)

lists = st.one_of(
    st.builds(lambda c, k, vs: [c, k, *vs], st.sampled_from(["LPUSH", "RPUSH", "LPUSHX",
                                                             "RPUSHX"]), _k(L),
              st.lists(word, min_size=1, max_size=4)),
    st.builds(lambda c, k, n: [c, k, *n], st.sampled_from(["LPOP", "RPOP"]), _k(L),
              _opt(["2"], ["10"])),
    st.builds(lambda c, ks: [c, *ks, "0.01"], st.sampled_from(["BLPOP", "BRPOP"]),
              st.lists(_k(L), min_size=1, max_size=2)),
    st.builds(lambda a, b, f, t: ["BLMOVE", a, b, f, t, "0.01"], _k(L), _k(L),
              st.sampled_from(["LEFT", "RIGHT"]), st.sampled_from(["LEFT", "RIGHT"])),
    st.builds(lambda a, b: ["BRPOPLPUSH", a, b, "0.01"], _k(L), _k(L)),
    st.builds(lambda a, b, f, t: ["LMOVE", a, b, f, t], _k(L), _k(L),
              st.sampled_from(["LEFT", "RIGHT"]), st.sampled_from(["LEFT", "RIGHT"])),
    st.builds(lambda s, n: ["BLMPOP", "0.01", "2", "l0", "l1", s, "COUNT", str(n)],
              st.sampled_from(["LEFT", "RIGHT"]), st.integers(1, 3)),
    st.builds(lambda s: ["LMPOP", "2", "l1", "l0", s], st.sampled_from(["LEFT", "RIGHT"])),
    st.builds(lambda k, i, v: ["LSET", k, str(i), v], _k(L), st.integers(-2, 2), word),
    st.builds(lambda k, a, b: ["LTRIM", k, str(a), str(b)], _k(L), st.integers(-3, 3),
              st.integers(-3, 3)),
    st.builds(lambda k, v: ["LREM", k, "0", v], _k(L), word),
    st.builds(lambda k, p, v: ["LINSERT", k, p, "a", v], _k(L),
              st.sampled_from(["BEFORE", "AFTER"]), word),
)

hashes = st.one_of(
    st.builds(lambda k, f, v: ["HSET", k, f, v], _k(H), word, word),
    st.builds(lambda k, f, v: ["HSETNX", k, f, v], _k(H), word, word),
    st.builds(lambda k, f: ["HDEL", k, f], _k(H), word),
    st.builds(lambda k, f, n: ["HINCRBY", k, f, str(n)], _k(H), word, st.integers(-5, 5)),
    st.builds(lambda k, f, n: ["HINCRBYFLOAT", k, f, n], _k(H), word,
              st.sampled_from(["0.1", "2.5", "-1e3", "0.7"])),
)

sets = st.one_of(
    st.builds(lambda k, vs: ["SADD", k, *vs], _k(SET), st.lists(word, min_size=1, max_size=5)),
    st.builds(lambda k, vs: ["SADD", k, *vs], _k(SET),
              st.lists(st.integers(0, 50).map(str), min_size=1, max_size=8)),
    st.builds(lambda k, v: ["SREM", k, v], _k(SET), word),
    st.builds(lambda k, n: ["SPOP", k, *n], _k(SET), _opt(["1"], ["2"], ["5"], ["100"])),
    st.builds(lambda v: ["SMOVE", "t0", "t1", v], word),
    st.builds(lambda c: [c, "t1", "t0", "t1"], st.sampled_from(["SINTERSTORE", "SUNIONSTORE",
                                                                "SDIFFSTORE"])),
    st.builds(lambda k, n: ["SRANDMEMBER", k, n], _k(SET), st.sampled_from(["2", "-3"])),
)

zsets = st.one_of(
    st.builds(lambda k, o, s, m: ["ZADD", k, *o, s, m], _k(Z),
              _opt(["NX"], ["XX"], ["GT", "CH"], ["LT"], ["INCR"]),
              st.sampled_from(["1", "2.5", "-1", "0", "1e10", "inf"]), word),
    st.builds(lambda k, n, m: ["ZINCRBY", k, n, m], _k(Z), st.sampled_from(["1", "0.1", "-3"]),
              word),
    st.builds(lambda k, m: ["ZREM", k, m], _k(Z), word),
    st.builds(lambda c, k, n: [c, k, *n], st.sampled_from(["ZPOPMIN", "ZPOPMAX"]), _k(Z),
              _opt(["2"])),
    st.builds(lambda c, ks: [c, *ks, "0.01"], st.sampled_from(["BZPOPMIN", "BZPOPMAX"]),
              st.lists(_k(Z), min_size=1, max_size=2)),
    st.builds(lambda s, n: ["BZMPOP", "0.01", "2", "z0", "z1", s, "COUNT", str(n)],
              st.sampled_from(["MIN", "MAX"]), st.integers(1, 3)),
    st.builds(lambda s: ["ZMPOP", "1", "z1", s], st.sampled_from(["MIN", "MAX"])),
    st.builds(lambda k: ["ZREMRANGEBYSCORE", k, "0", "2"], _k(Z)),
    st.builds(lambda k: ["ZREMRANGEBYRANK", k, "0", "0"], _k(Z)),
    st.builds(lambda c: [c, "z1", "2", "z0", "z1"], st.sampled_from(["ZUNIONSTORE",
                                                                     "ZINTERSTORE"])),
    st.just(["ZRANGESTORE", "z1", "z0", "0", "-1"]),
)

streams = st.one_of(
    st.builds(lambda k, t, i, f, v: ["XADD", k, *t, i, f, v], _k(X), _opt(
        ["MAXLEN", "~", "3"], ["MAXLEN", "2"], ["MINID", "~", "0-1"], ["NOMKSTREAM"],
        ["MAXLEN", "~", "1", "LIMIT", "2"]),
        st.sampled_from(["*", "*", "*", f"{FUTURE}-*"]), word, word),
    st.builds(lambda k, t: ["XTRIM", k, *t], _k(X), st.sampled_from(
        [["MAXLEN", "~", "2"], ["MAXLEN", "1"], ["MINID", "~", f"{FUTURE}-0"]])),
    st.builds(lambda k: ["XDEL", k, "0-1"], _k(X)),
    st.builds(lambda k, g, i: ["XGROUP", "CREATE", k, g, i, "MKSTREAM"], _k(X),
              st.sampled_from(["g1", "g2"]), st.sampled_from(["$", "0"])),
    st.builds(lambda k, g: ["XGROUP", "SETID", k, g, "0"], _k(X), st.sampled_from(["g1", "g2"])),
    st.builds(lambda k, g, c: ["XGROUP", "CREATECONSUMER", k, g, c], _k(X),
              st.sampled_from(["g1", "g2"]), st.sampled_from(["c1", "c2", "c3"])),
    st.builds(lambda k, g, c: ["XGROUP", "DELCONSUMER", k, g, c], _k(X),
              st.sampled_from(["g1", "g2"]), st.sampled_from(["c1", "c2"])),
    st.builds(lambda k, g, c, o, i: ["XREADGROUP", "GROUP", g, c, *o, "STREAMS", k, i], _k(X),
              st.sampled_from(["g1", "g2"]), st.sampled_from(["c1", "c2", "c3"]),
              _opt(["COUNT", "1"], ["NOACK"], ["COUNT", "2", "NOACK"]),
              st.just(">")),
    st.builds(lambda k, g, c, o: ["XAUTOCLAIM", k, g, c, "0", "0", *o], _k(X),
              st.sampled_from(["g1", "g2"]), st.sampled_from(["c1", "c2"]),
              _opt(["COUNT", "1"], ["JUSTID"])),
    st.builds(lambda k, g: ["XGROUP", "DESTROY", k, g], _k(X), st.sampled_from(["g2"])),
)

other = st.one_of(
    st.builds(lambda k, vs: ["PFADD", k, *vs], _k(P), st.lists(word, min_size=1, max_size=4)),
    st.builds(lambda k: ["PFCOUNT", k], _k(P)),
    st.just(["PFMERGE", "p1", "p0"]),
    st.builds(lambda lon, m: ["GEOADD", "g0", str(lon), "45.5", m],
              st.integers(-179, 179), word),
    st.just(["GEOSEARCHSTORE", "z0", "g0", "FROMLONLAT", "0", "45", "BYRADIUS", "20000", "km"]),
    st.just(["SORT", "l0", "ALPHA", "STORE", "l1"]),
)

CATEGORIES = [strings, generic, lists, hashes, sets, zsets, streams, other]


def blocks_of(op: st.SearchStrategy) -> st.SearchStrategy:
    """One op, a transaction of a few, a switch to another database, or a rewrite."""
    return st.one_of(
        op, op, op, op, op, op,
        st.builds(lambda ops: ["MULTI", *ops, "EXEC"], st.lists(op, min_size=1, max_size=4)),
        st.builds(lambda d: [["SELECT", str(d)]], st.sampled_from([0, 0, 1, 2])),
        st.just([["BGREWRITEAOF"]]),
    )


@st.composite
def programs(draw: Any, min_size: int = 10, max_size: int = 50) -> list:
    """A sequence of blocks over a few categories of commands (so that the commands of one
    example meet the same keys often enough to matter)."""
    cats = draw(st.lists(st.sampled_from(range(len(CATEGORIES))), min_size=1, max_size=2,
                         unique=True))
    op = st.one_of(*(CATEGORIES[c] for c in cats))
    return draw(st.lists(blocks_of(op), min_size=min_size, max_size=max_size))


def _flatten(blocks: list) -> list[list[str]]:
    out: list[list[str]] = []
    for b in blocks:
        if b and b[0] == "MULTI":
            out.append(["MULTI"])
            out.extend(b[1:-1])
            out.append(["EXEC"])
        elif b and isinstance(b[0], list):
            out.extend(b)
        else:
            out.append(b)
    return out


def run(port: int, commands: list[list[str]]) -> None:
    """Send the commands as one pipeline (errors are part of the test: they replay too)."""
    pipeline(port, commands)


@pytest.fixture(scope="module")
def aof_node() -> Any:
    # The default aof-use-rdb-preamble (yes): rewrites make RDB bases, through every type.
    proc = start_slotkv("--appendonly", "yes", "--appendfsync", "everysec",
                        "--enable-debug-command", "yes")
    yield proc
    proc.stop()


def test_replay_is_identical(aof_node: ServerProcess) -> None:
    conn = single(aof_node)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(programs())
    def check(blocks: list) -> None:
        conn.execute_command("FLUSHALL")
        run(aof_node.port, _flatten(blocks))
        before = without_entries_read(snapshot(conn))
        digest = conn.execute_command("DEBUG", "DIGEST")
        conn.execute_command("DEBUG", "LOADAOF")
        assert without_entries_read(snapshot(conn)) == before
        assert conn.execute_command("DEBUG", "DIGEST") == digest

    check()
    conn.close()


@pytest.mark.parametrize("commands", [
    [["SET", "k", "a", "PXAT", "1000000"], ["SETBIT", "k", "0", "1"]],
    [["SET", "k", "a", "PXAT", "1000000"], ["DEL", "k"], ["SETBIT", "k", "0", "1"]],
    [["SET", "k", "a", "PXAT", "1000000"], ["GETDEL", "k"], ["APPEND", "k", "x"]],
])
def test_a_key_kept_past_its_deadline_replays(aof_node: ServerProcess,
                                              commands: list[list[str]]) -> None:
    """SET ... PXAT in the past keeps the key until something expires it; the log's DEL
    then removes it on replay too (nothing is seen as expired while loading), so a write
    after it starts from a fresh key, not from the old value and its deadline."""
    conn = single(aof_node)
    conn.execute_command("FLUSHALL")
    run(aof_node.port, commands)
    before = snapshot(conn)
    assert before  # the last write made a live key
    conn.execute_command("DEBUG", "LOADAOF")
    assert snapshot(conn) == before


def test_restart_and_redis_load_the_same_dataset(aof_node: ServerProcess) -> None:
    """After one more mixed run with a rewrite in the middle of it, a restarted node and a
    redis-server that loads the AOF directory hold the same dataset."""
    conn = single(aof_node)
    state: dict = {}

    @settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
    @given(programs(60, 60), programs(30, 30))
    def fill(first: list, second: list) -> None:
        conn.execute_command("FLUSHALL")
        run(aof_node.port, _flatten(first))
        run(aof_node.port, [["BGREWRITEAOF"]])  # (or already running: the reply does not matter)
        run(aof_node.port, _flatten(second))
        wait_rewrite_done(conn)
        state["before"] = without_entries_read(snapshot(conn))
        state["hll-free"] = without_entries_read(snapshot(conn, skip_hll=True))
        state["digest"] = conn.execute_command("DEBUG", "DIGEST")

    fill()
    conn.close()
    aof_node.stop()
    restarted = start_slotkv("--appendonly", "yes", "--enable-debug-command", "yes",
                             workdir=aof_node.workdir, port=aof_node.port)
    try:
        again = single(restarted)
        assert without_entries_read(snapshot(again)) == state["before"]
        assert again.execute_command("DEBUG", "DIGEST") == state["digest"]
        again.close()
    finally:
        restarted.stop()
    oracle = redis_on_aof(os.path.join(aof_node.workdir, "appendonlydir"))
    try:
        theirs = single(oracle)
        assert without_entries_read(snapshot(theirs, skip_hll=True)) == state["hll-free"]
        theirs.close()
    finally:
        oracle.stop()

