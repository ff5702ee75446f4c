"""The HyperLogLog group (PFADD, PFCOUNT, PFMERGE, PFDEBUG) against redis-server and on its own.

slotkv hashes elements with mmh3 where Redis uses MurmurHash64A, so the registers an element
sets differ and the two servers' HLL bytes differ after PFADD. Everything else is compared
with the oracle: an HLL built by redis-server and copied over (GET there, SET here) must give
the same counts, merges, encodings and PFDEBUG output byte for byte, since the layout, the
sparse algorithm and the estimator are Redis's. Accuracy is checked against the true count.
"""

from __future__ import annotations

import pytest
import redis
from conftest import debug_servers, reply_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.commands import hyperloglog as hll

HLL_COMMANDS = ("pfadd", "pfcount", "pfmerge", "pfdebug")


node, oracle = debug_servers()


def elements(start: int, stop: int, prefix: str = "e") -> list[str]:
    return [f"{prefix}{i}" for i in range(start, stop)]


def pfadd_many(client: redis.Redis, key: str, items: list[str], batch: int = 1000) -> None:
    for i in range(0, len(items), batch):
        client.pfadd(key, *items[i:i + batch])


def copy_from_oracle(r: redis.Redis, o: redis.Redis, *keys: str) -> None:
    """Put the oracle's HLL strings into the node as they are."""
    for key in keys:
        r.set(key, o.get(key))


# -- metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HLL_COMMANDS)
def test_command_info_matches(both, name):
    both("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", HLL_COMMANDS)
def test_command_docs_basics_match(both3, name):
    mine = reply_of(both3.r, "COMMAND", "DOCS", name)[name.encode()]
    theirs = reply_of(both3.o, "COMMAND", "DOCS", name)[name.encode()]
    for field in (b"summary", b"since", b"group", b"complexity"):
        assert mine[field] == theirs[field], field


def test_getkeys(both):
    both("COMMAND", "GETKEYS", "PFMERGE", "dest", "a", "b")
    both("COMMAND", "GETKEYSANDFLAGS", "PFMERGE", "dest", "a", "b")
    both("COMMAND", "GETKEYS", "PFCOUNT", "a", "b", "c")
    both("COMMAND", "GETKEYSANDFLAGS", "PFCOUNT", "a")
    both("COMMAND", "GETKEYS", "PFDEBUG", "GETREG", "k")


def test_arity_errors(both):
    both.run(("PFADD",), ("PFCOUNT",), ("PFMERGE",), ("PFDEBUG", "GETREG"),
             ("PFDEBUG", "GETREG", "k", "x"), ("PFDEBUG",))


# -- PFADD -------------------------------------------------------------------------------------


def test_pfadd_without_elements_creates_redis_bytes(both):
    both("PFADD", "k")
    both("GET", "k")        # the 18-byte empty sparse HLL with a stale cache
    both("PFADD", "k")      # exists, nothing added
    both("PFCOUNT", "k")
    both("GET", "k")        # the cache is now valid: 0
    both.run(("TYPE", "k"), ("STRLEN", "k"), ("OBJECT", "ENCODING", "k"),
             ("PFDEBUG", "ENCODING", "k"), ("PFDEBUG", "DECODE", "k"),
             ("DEBUG", "DIGEST-VALUE", "k"))


def test_pfadd_replies(both):
    # e0..e39 hit 40 different registers with either hash, so every reply is the same.
    both("PFADD", "k", "e1")
    both("PFADD", "k", "e1")
    both("PFADD", "k", "e2", "e3", "e1")
    both("PFADD", "k", "e3", "e2")
    both("PFCOUNT", "k")
    both("PFADD", "k", *elements(0, 40))
    both("PFCOUNT", "k")
    both("PFDEBUG", "ENCODING", "k")


def test_pfadd_and_pfcount_keep_ttl(both, r, o):
    both("PFADD", "k", "a", "b")
    both("EXPIRE", "k", "1000")
    both("PFADD", "k", "c")
    both("PFCOUNT", "k")
    both("PFADD", "k", *elements(0, 3000))  # turns dense
    assert 990 <= r.ttl("k") <= 1000 and 990 <= o.ttl("k") <= 1000


def test_sparse_turns_dense_past_the_limit(both, r, o):
    for c in (r, o):
        c.config_set("hll-sparse-max-bytes", 100)
    try:
        both("PFADD", "k", *elements(0, 10))
        both("PFDEBUG", "ENCODING", "k")
        both("PFADD", "k", *elements(10, 60))
        both("PFDEBUG", "ENCODING", "k")
        both("STRLEN", "k")
        both("PFADD", "k")
        both("PFADD", "z")
        both("PFDEBUG", "ENCODING", "z")
        for c in (r, o):
            c.config_set("hll-sparse-max-bytes", 0)
        both("PFADD", "zero")  # no element: stays sparse
        both("PFDEBUG", "ENCODING", "zero")
        both("PFADD", "zero", "x")
        both("PFDEBUG", "ENCODING", "zero")
        both("STRLEN", "zero")
    finally:
        for c in (r, o):
            c.config_set("hll-sparse-max-bytes", 3000)


_M = 0xC6A4A7935BD1E995
_MASK = (1 << 64) - 1


def murmur64a(data: bytes, seed: int = 0xADC83B19) -> int:
    """Redis's MurmurHash64A, to know which register Redis sets for an element."""
    n = len(data)
    h = (seed ^ (n * _M)) & _MASK
    end = n - (n & 7)
    for i in range(0, end, 8):
        k = (int.from_bytes(data[i:i + 8], "little") * _M) & _MASK
        k = ((k ^ (k >> 47)) * _M) & _MASK
        h = ((h ^ k) * _M) & _MASK
    if n & 7:
        h ^= int.from_bytes(data[end:], "little")
        h = (h * _M) & _MASK
    h = ((h ^ (h >> 47)) * _M) & _MASK
    return h ^ (h >> 47)


def redis_pattern(element: bytes) -> tuple[int, int]:
    h = murmur64a(element)
    run = (h >> 14) | (1 << 50)
    return h & 16383, (run & -run).bit_length()


@pytest.mark.parametrize("max_bytes", [3000, 200, 40])
def test_sparse_algorithm_matches_redis_byte_for_byte(o, max_bytes):
    """Given the registers Redis's hash picks, slotkv's sparse update produces Redis's bytes
    after every single PFADD, through the promotion to dense."""
    o.config_set("hll-sparse-max-bytes", max_bytes)
    try:
        o.pfadd("k")
        buf = bytearray(o.get("k"))
        for i in range(0, 700, 3):
            element = b"el%d" % (i * 7919 % 1000)
            o.pfadd("k", element)
            if buf[4] == hll.SPARSE:
                hll._sparse_add(buf, [redis_pattern(element)], max_bytes)
            else:
                hll._dense_update(buf, [redis_pattern(element)])
            theirs = o.get("k")
            assert buf[4] == theirs[4] and buf[hll.HDR:] == theirs[hll.HDR:], element
        assert buf[4] == hll.DENSE or max_bytes == 3000
        assert hll.count(hll.registers(buf)) == o.pfcount("k")
    finally:
        o.config_set("hll-sparse-max-bytes", 3000)


def test_bulk_pfadd_gives_the_canonical_sparse_code():
    patterns = [redis_pattern(b"el%d" % i) for i in range(100)]
    one_by_one = bytearray(hll.EMPTY_SPARSE)
    for pattern in sorted(patterns):  # in register order Redis's splits are canonical
        hll._sparse_add(one_by_one, [pattern], 3000)
    bulk = bytearray(hll.EMPTY_SPARSE)
    assert hll._sparse_add(bulk, patterns, 3000)  # more than _BULK: decode, set, encode
    assert bulk[hll.HDR:] == one_by_one[hll.HDR:]
    assert hll.decode_sparse(bulk) == hll.decode_sparse(one_by_one)


def test_register_packing_round_trips():
    regs = bytes((i * 7 + i // 3) % 64 for i in range(hll.REGISTERS))
    dense = b"HYLL\0" + bytes(11) + hll.pack_dense(regs)
    assert len(dense) == hll.DENSE_SIZE
    assert hll.unpack_dense(dense) == regs
    small = bytes(min(r, 32) if i % 5 == 0 else 0 for i, r in enumerate(regs))
    sparse = b"HYLL\1" + bytes(11) + hll.encode_sparse(small)
    assert hll.decode_sparse(sparse) == small


@pytest.mark.parametrize("n", [1000, 10000, 100000])
def test_accuracy(r, n):
    pfadd_many(r, "k", elements(0, n))
    estimate = r.pfcount("k")
    assert abs(estimate - n) / n < 0.025, estimate
    # Re-adding the same elements changes nothing.
    assert r.pfadd("k", *elements(0, 100)) == 0
    assert r.pfcount("k") == estimate


# -- PFCOUNT / PFMERGE ---------------------------------------------------------------------------


def test_union_and_merge(r):
    pfadd_many(r, "a", elements(0, 6000))
    pfadd_many(r, "b", elements(3000, 9000))
    r.pfadd("c", *elements(0, 50))
    union = r.pfcount("a", "b")
    assert abs(union - 9000) / 9000 < 0.025
    assert r.pfcount("a", "b", "missing") == union
    assert r.pfcount("missing", "other") == 0
    assert r.pfmerge("dest", "a", "b")
    assert r.pfcount("dest") == union
    assert r.pfcount("a", "b", "c") == union  # c is a subset of a
    assert r.pfmerge("small", "c")
    assert reply_of(r, "PFDEBUG", "ENCODING", "small") == b"sparse"
    assert r.pfcount("small") == r.pfcount("c")
    assert r.pfmerge("c", "a")  # a dense source makes the destination dense
    assert reply_of(r, "PFDEBUG", "ENCODING", "c") == b"dense"
    assert r.pfcount("c") == r.pfcount("a")


def test_redis_made_hlls_count_and_merge_the_same(both, r, o):
    pfadd_many(o, "dense1", elements(0, 20000))
    pfadd_many(o, "dense2", elements(10000, 40000))
    pfadd_many(o, "sparse1", elements(0, 300, "s"))
    pfadd_many(o, "sparse2", elements(200, 600, "s"))
    keys = ("dense1", "dense2", "sparse1", "sparse2")
    copy_from_oracle(r, o, *keys)
    for key in keys:
        both("PFDEBUG", "ENCODING", key)
        both("PFCOUNT", key)
        both("GET", key)  # the cached count written the same way
    both("PFCOUNT", "dense1", "dense2", "sparse1")
    both("PFCOUNT", "sparse1", "sparse2")
    for dest, sources in (("m1", ("dense1", "dense2")), ("m2", ("sparse1", "sparse2")),
                          ("sparse1", ("sparse2",)), ("m3", ("sparse2", "dense1"))):
        both("PFMERGE", dest, *sources)
        both("GET", dest)
        both("PFCOUNT", dest)
        both("PFDEBUG", "ENCODING", dest)
        both("DEBUG", "DIGEST-VALUE", dest)


def test_pfmerge_keeps_the_destinations_sparse_layout(both, r, o):
    # PFMERGE sets the merged registers into an existing sparse destination one by one
    # (hllSparseSet), so its code keeps the grouping of VALs it had; slotkv wrote a fresh
    # encoding of the same registers, which groups some runs of equal VALs differently.
    both("CONFIG", "SET", "hll-sparse-max-bytes", "12000")
    try:
        pfadd_many(o, "a", elements(0, 8000, "a"))
        pfadd_many(o, "b", elements(0, 100, "b"))
        copy_from_oracle(r, o, "a", "b")
        both("PFMERGE", "a", "b")
        both("GET", "a")
        both("PFMERGE", "b", "a")  # a new code built from b's
        both("GET", "b")
    finally:
        both("CONFIG", "SET", "hll-sparse-max-bytes", "3000")


def test_pfdebug(both, r, o):
    pfadd_many(o, "sp", elements(0, 200))
    pfadd_many(o, "dn", elements(0, 5000))
    copy_from_oracle(r, o, "sp", "dn")
    both("PFDEBUG", "DECODE", "sp")
    both("PFDEBUG", "decode", "dn")
    both("PFDEBUG", "ENCODING", "sp")
    both("PFDEBUG", "GETREG", "dn")
    both("PFDEBUG", "GETREG", "sp")  # converts to dense
    both("PFDEBUG", "ENCODING", "sp")
    both("GET", "sp")
    both("PFDEBUG", "TODENSE", "sp")
    both("SET", "sp2", o.get("sp"))
    both("PFDEBUG", "TODENSE", "sp2")
    both.run(("PFDEBUG", "NOSUCH", "sp"), ("PFDEBUG", "GETREG", "missing"),
             ("PFDEBUG", "NOSUCH", "missing"), ("SET", "s", "abc"), ("PFDEBUG", "ENCODING", "s"),
             ("RPUSH", "l", "x"), ("PFDEBUG", "ENCODING", "l"))


# -- types, validation and corruption ------------------------------------------------------------


def test_wrong_types_and_invalid_strings(both):
    both.run(("RPUSH", "list", "a"), ("SET", "str", "hello world, not an hll"),
             ("SET", "int", "12345"), ("SET", "empty", ""),
             ("SET", "badmagic", "HYLX" + "\0" * 14),
             ("SET", "badenc", "HYLL\x02" + "\0" * 13),
             ("SET", "shortdense", "HYLL\x00" + "\0" * 20))
    for key in ("list", "str", "int", "empty", "badmagic", "badenc", "shortdense"):
        both("PFADD", key, "x")
        both("PFCOUNT", key)
        both("PFCOUNT", "missing", key)
        both("PFMERGE", "dest", key)
        both("PFMERGE", key, "missing")
        both("PFDEBUG", "ENCODING", key)
    both("EXISTS", "dest")
    both("PFADD", "ok", "a")
    both("PFCOUNT", "ok", "list")
    both("PFMERGE", "ok", "str")


@pytest.mark.parametrize("stale", [False, True])
def test_corrupt_sparse_hlls(both, stale):
    # A valid cached count is returned without looking at the registers, as in Redis.
    # (Bytes, not str: redis-py would send "\x80" as two UTF-8 bytes.)
    header = b"HYLL\x01" + b"\0" * 10 + (b"\x80" if stale else b"\0")
    for value in (header + b"\x7f\xfe",           # covers 16383 registers
                  header + b"\x7f\xff\x00",       # covers 16385
                  header + b"\x7f",               # truncated XZERO (Redis reads the NUL)
                  header,                         # no opcodes at all
                  header + b"\x7f\xfb\x83\x80",   # 16384 and a VAL beyond: refused too
                  header + b"\x7f\xfb\x83\x00",   # 16384 and a ZERO beyond
                  header + b"\x7f\xfb\x80\x83"):  # 16381 and a VAL running past the end
        both("SET", "bad", value)
        both("PFCOUNT", "bad")
        both("PFCOUNT", "bad", "missing")
        both("PFMERGE", "dest", "bad")
        both("PFDEBUG", "GETREG", "bad")
        both("PFDEBUG", "DECODE", "bad")
    both("EXISTS", "dest")


def test_estimates_beyond_int64_are_llroundl_overflow(both):
    # Crafted dense registers above Q (50) make the estimator divide by zero, and 50 gives
    # more than 2**63: llroundl answers INT64_MIN, which Redis replies and caches (as an
    # unsigned value, so the cache reads as stale again). slotkv failed with an internal error.
    for reg in (63, 51, 50, 49):
        both("SET", "k", b"HYLL" + b"\0" * 11 + b"\x80" + hll.pack_dense(bytes([reg]) * 16384))
        both("PFCOUNT", "k", "missing")
        both("PFCOUNT", "k")
        both("GET", "k")
        both("PFCOUNT", "k")


def test_appending_breaks_an_hll(both):
    both("PFADD", "k")
    both("APPEND", "k", "junk")
    both("PFCOUNT", "k")  # a sparse HLL does not cover 16384 registers any more
    both("SET", "d", "HYLL" + "\0" * 12 + "\0" * 12288)  # a valid empty dense HLL
    both("PFCOUNT", "d")
    both("APPEND", "d", "x")
    both("PFCOUNT", "d")


# -- caching and transactions ------------------------------------------------------------------


def test_cached_count_is_a_write(both, r, o):
    # PFCOUNT stores the count in the string, which counts as a change for WATCH.
    for client in (r, o):
        client.pfadd("k", "a", "b", "c")
        with client.pipeline(transaction=True) as pipe:
            pipe.watch("k")
            assert reply_of(client, "PFCOUNT", "k") == 3
            pipe.multi()
            pipe.get("k")
            with pytest.raises(redis.WatchError):
                pipe.execute()
        with client.pipeline(transaction=True) as pipe:  # cached now: no change
            pipe.watch("k")
            assert reply_of(client, "PFCOUNT", "k") == 3
            pipe.multi()
            pipe.pfcount("k")
            assert pipe.execute() == [3]
    both("GETRANGE", "k", "8", "15")


def test_small_hll_strings_become_raw(both, r, o):
    # An HLL string short enough to be embstr becomes raw once an HLL command touches it,
    # silently: a cached PFCOUNT is still no change for WATCH.
    empty = "HYLL\x01" + "\0" * 11 + "\x7f\xff"
    for cmd in (("PFCOUNT", "k"), ("PFADD", "k"), ("PFDEBUG", "ENCODING", "k")):
        both("SET", "k", empty)
        both("OBJECT", "ENCODING", "k")
        for client in (r, o):
            with client.pipeline(transaction=True) as pipe:
                pipe.watch("k")
                reply_of(client, *cmd)
                pipe.multi()
                pipe.get("k")
                assert pipe.execute() == [empty.encode()]
        both("OBJECT", "ENCODING", "k")
    both("PFDEBUG", "encoding\0junk", "k")


def test_inside_multi(both):
    both("MULTI")
    both("PFADD", "k", "a")
    both("PFCOUNT", "k")
    both("PFMERGE", "d", "k")
    both("EXEC")
    both("PFCOUNT", "d")


def test_keyspace_events(both):
    # PFADD and PFMERGE announce "pfadd" when they write (a new key: "new" first); PFCOUNT
    # caching its count, PFDEBUG and adds that change no register announce nothing.
    events = both.same_events(
        ("PFADD", "h", "e1", "e2"), ("PFADD", "h", "e1"), ("PFADD", "h"), ("PFADD", "e"),
        ("PFADD", "e"), ("PFCOUNT", "h"), ("PFCOUNT", "h"), ("PFADD", "h", "e3"),
        ("PFCOUNT", "h", "e"), ("PFCOUNT", "none"), ("PFCOUNT", "none", "h"),
        ("PFMERGE", "d", "h", "e"), ("PFMERGE", "d", "h"), ("PFMERGE", "d2"),
        ("PFMERGE", "d3", "none"), ("PFMERGE", "h", "none"), ("PFDEBUG", "TODENSE", "h"),
        ("PFDEBUG", "ENCODING", "none"), ("PFADD", "h", *elements(0, 40)), ("SET", "s", "x"),
        ("PFADD", "s", "a"), ("PFCOUNT", "s"), ("PFMERGE", "s", "h"), ("PFMERGE", "d", "s"),
        classes="KEAnm")
    assert (b"__keyevent@0__:pfadd", b"d3") in events


# -- a random mix --------------------------------------------------------------------------------

KEYS = st.sampled_from(["a", "b", "c"])
# Elements that fall into distinct registers under both hashes, so replies agree exactly.
ELEMENT = st.sampled_from(elements(0, 40))
COMMANDS = st.one_of(
    st.tuples(st.just("PFADD"), KEYS, st.lists(ELEMENT, max_size=6)).map(
        lambda t: (t[0], t[1], *t[2])),
    st.tuples(st.just("PFCOUNT"), st.lists(KEYS, min_size=1, max_size=3)).map(
        lambda t: (t[0], *t[1])),
    st.tuples(st.just("PFMERGE"), KEYS, st.lists(KEYS, max_size=3)).map(
        lambda t: (t[0], t[1], *t[2])),
    st.tuples(st.just("PFDEBUG"), st.sampled_from(["ENCODING", "TODENSE"]), KEYS),
    st.tuples(st.just("SET"), KEYS, st.sampled_from(["x", "HYLL"])),
    st.tuples(st.just("DEL"), KEYS),
    st.tuples(st.just("TYPE"), KEYS),
)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(COMMANDS, min_size=1, max_size=20))
def test_random_operation_mix(both, commands):
    both.r.flushall()
    both.o.flushall()
    for cmd in commands:
        both(*cmd)
    for key in ("a", "b", "c"):  # not the bytes or their length: the registers differ
        both("EXISTS", key)
        both("OBJECT", "ENCODING", key)
        both("PFDEBUG", "ENCODING", key)
        both("PFCOUNT", key)
