"""The RDB format in-process: CRC-64, LZF, the listpack/intset/ziplist/zipmap codecs, snapshot
round trips, the older encodings Redis 7.0 still loads, and corrupt input (always an
RdbError/PayloadError with an offset, never another exception)."""

from __future__ import annotations

import os
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import node.commands  # noqa: F401  (registers the data types)
from node import digest, listpack, rdb, rdb_reader
from node.commands.hashes import HashValue
from node.commands.lists import ListValue
from node.commands.sets import SetValue
from node.crc64 import Crc64, crc64
from node.keyspace import Keyspace
from node.lzf import LzfError, lzf_compress, lzf_decompress
from node.stream import Stream
from node.zset import ZSet

E = rdb.encode_string
L = rdb.encode_len


def test_crc64_is_redis_jones() -> None:
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA  # crc64.c's test vector
    data = os.urandom(50_000)
    running = Crc64()
    for i in range(0, len(data), 7_001):
        running.update(data[i:i + 7_001])
    assert running.value == crc64(data)
    slow = 0
    for b in data[:9000]:  # the bit-by-bit definition, for the fast path's block size
        slow ^= b
        for _ in range(8):
            slow = (slow >> 1) ^ 0x95AC9329AC4BC9B5 if slow & 1 else slow >> 1
    assert crc64(data[:9000]) == slow


@given(st.binary(max_size=3000), st.integers(0, 2))
@settings(max_examples=200, deadline=None)
def test_lzf_round_trip(data: bytes, repeat: int) -> None:
    data = data * (repeat + 1)
    packed = lzf_compress(data, len(data) + 64)
    if packed is not None:
        assert lzf_decompress(packed, len(data)) == data


def test_lzf_rejects_bad_streams() -> None:
    packed = lzf_compress(b"abcabcabcabcabcabcabcabc", 40)
    assert packed is not None
    for bad, size in ((packed, 23), (packed, 25), (packed[:-1], 24), (b"\x20\x00", 3),
                      (b"\x05ab", 6), (b"\xe0", 10)):
        with pytest.raises(LzfError):
            lzf_decompress(bad, size)


# -- the small encodings -------------------------------------------------------------------------

ITEMS = st.one_of(st.binary(max_size=70), st.integers(-2**63, 2**63 - 1).map(lambda v: b"%d" % v),
                  st.sampled_from([b"0", b"-0", b"007", b"+1", b"127", b"128", b"4095", b"-4096",
                                   b"x" * 5000]))


@given(st.lists(ITEMS, max_size=40))
@settings(max_examples=200, deadline=None)
def test_listpack_round_trip(items: list[bytes]) -> None:
    assert listpack.unpack_bytes(listpack.pack(items)) == items


@given(st.binary(min_size=1, max_size=200))
@settings(max_examples=300, deadline=None)
def test_decoders_refuse_garbage_cleanly(blob: bytes) -> None:
    for decode in (listpack.unpack, listpack.unpack_intset, listpack.unpack_ziplist,
                   listpack.unpack_zipmap):
        try:
            decode(blob)
        except listpack.EncodingError:
            pass


def test_intset_round_trip() -> None:
    for values in ([1, 2, 3], [-40000, 5], [2**40, -1]):
        assert listpack.unpack_intset(listpack.intset(values)) == sorted(values)
    with pytest.raises(listpack.EncodingError):
        listpack.unpack_intset(struct.pack("<II2h", 2, 2, 5, 1))  # not ascending


def ziplist(items: list[bytes | int]) -> bytes:
    """A ziplist as Redis < 7 wrote it (an independent encoder for the reader's test)."""
    body = b""
    prev = start = 0
    for item in items:
        start = len(body)
        body += bytes((prev,)) if prev < 254 else b"\xfe" + prev.to_bytes(4, "little")
        if isinstance(item, int):
            if 0 <= item <= 12:
                body += bytes((0xF1 + item,))
            elif -128 <= item < 128:
                body += b"\xfe" + struct.pack("<b", item)
            elif -32768 <= item < 32768:
                body += b"\xc0" + struct.pack("<h", item)
            else:
                body += b"\xe0" + struct.pack("<q", item)
        elif len(item) < 64:
            body += bytes((len(item),)) + item
        else:
            body += bytes((0x40 | len(item) >> 8, len(item) & 0xFF)) + item
        prev = len(body) - start
    total = 11 + len(body)
    # zltail: the offset of the last entry (Redis's integrity check insists on it).
    return struct.pack("<IIH", total, 10 + start, len(items)) + body + b"\xff"


def zipmap(pairs: list[tuple[bytes, bytes]]) -> bytes:
    out = bytes((len(pairs),))
    for k, v in pairs:
        out += bytes((len(k),)) + k + bytes((len(v),)) + b"\x00" + v
    return out + b"\xff"


def test_ziplist_and_zipmap() -> None:
    items = [b"a", 5, 300, -7, 2**40, b"q" * 100, 12, 0]
    expected = [b"a", b"5", b"300", b"-7", b"%d" % 2**40, b"q" * 100, b"12", b"0"]
    assert listpack.unpack_ziplist(ziplist(items)) == expected
    assert listpack.unpack_zipmap(zipmap([(b"f", b"v"), (b"g", b"")])) == [b"f", b"v", b"g", b""]


# -- snapshots -----------------------------------------------------------------------------------


def sample_keyspace() -> Keyspace:
    ks = Keyspace()
    db = ks.dbs[0]
    db.data[b"str"] = b"hello"
    db.data[b"int"] = b"-12345"
    db.data[b"big"] = b"abc" * 1000
    db.data[b"mutable"] = bytearray(b"grown")
    db.data[b"counter"] = 2**40  # an INCR'ed string
    db.data[b"small-counter"] = -3
    db.data[b"list"] = ListValue([b"a", b"1", b"x" * 9000, b"-5"])
    db.data[b"intset"] = SetValue([b"1", b"2", b"-3"])
    strs = SetValue([b"a", b"b"])
    strs.intset = False
    db.data[b"set"] = strs
    h = HashValue({b"f": b"v", b"n": b"1"})
    db.data[b"hash"] = h
    big_h = HashValue({b"f%d" % i: b"v" * 100 for i in range(10)})
    big_h.listpack = False
    db.data[b"bighash"] = big_h
    z = ZSet()
    z.add(b"a", 1.5)
    z.add(b"b", float("-inf"))
    db.data[b"zset"] = z
    zs = ZSet()
    zs.listpack = False
    for i in range(200):
        zs.add(b"m%d" % i, i / 3)
    db.data[b"skiplist"] = zs
    s = Stream()
    for i in range(1, 120):
        s.append(i << 64 | 1, i, 1, (b"f", b"%d" % i), 4096, 100, 4)
    s.delete(5 << 64 | 1)
    s.max_deleted = 5 << 64 | 1
    db.data[b"stream"] = s
    db.expires[b"str"] = ks.now + 100_000
    ks.dbs[7].data[b"other"] = b"db7"
    return ks


def digests(ks: Keyspace) -> bytes:
    return digest.dataset_digest(ks.dbs)


@pytest.mark.parametrize("compression", [True, False])
def test_snapshot_round_trip(compression: bool) -> None:
    ks = sample_keyspace()
    blob = b"".join(rdb.chunks(ks, rdb.Options(compression=compression, chunk_size=1000)))
    assert blob.startswith(b"REDIS0010\xfa")
    back = Keyspace()
    report = rdb_reader.load(blob, back)
    assert report.keys_loaded == 15 and report.aux[b"redis-ver"] == b"7.0.15"
    assert digests(back) == digests(ks)
    assert back.dbs[0].expires == ks.dbs[0].expires
    assert back.dbs[0].data[b"hash"].listpack and not back.dbs[0].data[b"bighash"].listpack
    assert not back.dbs[0].data[b"set"].intset and back.dbs[0].data[b"intset"].intset
    for key, value in ks.dbs[0].data.items():
        assert digest.object_digest(rdb_reader.restore(rdb.dump(value), rdb_reader.Limits()),
                                    False) == digest.object_digest(value, False), key


def test_limits_decide_encodings_at_load() -> None:
    ks = sample_keyspace()
    blob = b"".join(rdb.chunks(ks))
    back = Keyspace()
    rdb_reader.load(blob, back, rdb_reader.Limits(hash_entries=1, set_intset_entries=2,
                                                  zset_entries=1000, zset_value=64))
    data = back.dbs[0].data
    assert not data[b"hash"].listpack  # 2 fields > 1
    assert not data[b"intset"].intset  # 3 members > 2
    assert data[b"skiplist"].listpack  # a ZSET_2 that fits becomes a listpack


def file_of(*records: bytes, version: int = 10, checksum: bool = True) -> bytes:
    body = b"REDIS%04d" % version + b"".join(records) + b"\xff"
    return body + (crc64(body) if checksum else 0).to_bytes(8, "little")


def load_one(*records: bytes, **kw: object) -> tuple[Keyspace, rdb_reader.LoadReport]:
    ks = Keyspace()
    report = rdb_reader.load(file_of(*records, **kw), ks)  # type: ignore[arg-type]
    return ks, report


def test_older_encodings_load() -> None:
    zl = ziplist([b"a", 1, b"b", 2])
    records = [
        b"\x01" + E(b"list") + L(2) + E(b"x") + E(b"7"),  # LIST
        b"\x03" + E(b"zset") + L(2) + E(b"a") + b"\x031.5" + E(b"b") + b"\xfe",  # text scores
        b"\x09" + E(b"zipmap") + E(zipmap([(b"f", b"v")])),
        b"\x0a" + E(b"ziplist") + E(ziplist([b"p", 3])),
        b"\x0c" + E(b"zzl") + E(zl),
        b"\x0d" + E(b"hzl") + E(zl),
        b"\x0e" + E(b"ql") + L(2) + E(ziplist([b"q1"])) + E(ziplist([b"q2", 9])),
        b"\x12" + E(b"ql2") + L(2) + L(1) + E(b"plain") + L(2) + E(listpack.pack([b"lp"])),
        b"\xfd" + struct.pack("<i", 2**31 - 1) + b"\x00" + E(b"secs") + E(b"v"),
    ]
    ks, report = load_one(*records, version=9)
    data = ks.dbs[0].data
    assert list(data[b"list"]) == [b"x", b"7"]
    assert list(data[b"zset"]) == [(1.5, b"a"), (float("inf"), b"b")]
    assert data[b"zipmap"] == {b"f": b"v"} and data[b"zipmap"].listpack
    assert list(data[b"ziplist"]) == [b"p", b"3"]
    assert list(data[b"zzl"]) == [(1.0, b"a"), (2.0, b"b")] and data[b"zzl"].listpack
    assert data[b"hzl"] == {b"a": b"1", b"b": b"2"}
    assert list(data[b"ql"]) == [b"q1", b"q2", b"9"]
    assert list(data[b"ql2"]) == [b"plain", b"lp"]
    assert ks.dbs[0].expires[b"secs"] == (2**31 - 1) * 1000
    assert report.keys_loaded == 9


def test_stream_v1_and_groups() -> None:
    s = Stream()
    for i in range(1, 4):
        s.append(i << 64, i, 0, (b"f", b"v"), 4096, 100, 2)
    body = rdb.encode_value(s)[1:]
    # STREAM_LISTPACKS (v1): no first id / max deleted / entries added, no entries_read
    nodes_and_len = body[:body.index(L(3) + L(3) + L(0) + L(1) + L(0))]
    v1 = nodes_and_len + L(3) + L(3) + L(0) + L(1) + E(b"g") + L(1) + L(0) + L(0) + L(0)
    ks, _ = load_one(b"\x0f" + E(b"s") + v1)
    loaded = ks.dbs[0].data[b"s"]
    assert loaded.entries_added == 3 and loaded.first_id == 1 << 64
    assert loaded.groups[b"g"].entries_read == 1  # estimated, as Redis does for v1 files


def test_unloadable_things_are_refused_or_skipped() -> None:
    logs: list[str] = []
    fn = b"#!lua name=mylib\nredis.register_function('f', function() return 1 end)"
    ks = Keyspace()
    report = rdb_reader.load(file_of(b"\xf5" + E(fn), b"\x00" + E(b"k") + E(b"v")), ks,
                             log=lambda level, msg: logs.append(msg))
    assert report.functions_skipped == ["mylib"] and ks.dbs[0].data == {b"k": b"v"}
    assert any("mylib" in line for line in logs)
    module_id = (int.from_bytes(b"\x00" * 8, "big") << 10) | 1
    with pytest.raises(rdb.RdbError, match="module data I can't load: no matching module type "
                                           "'AAAAAAAAA'"):
        load_one(b"\x07" + E(b"k") + L(module_id))
    with pytest.raises(rdb.RdbError, match="AUX module data"):
        load_one(b"\xf7" + L(module_id))
    with pytest.raises(rdb.RdbError, match="Unknown RDB encoding type 8"):
        load_one(b"\x08" + E(b"k"))
    with pytest.raises(rdb.RdbError, match="duplicated key 'k' in DB 0"):
        load_one(b"\x00" + E(b"k") + E(b"v"), b"\x00" + E(b"k") + E(b"w"))
    with pytest.raises(rdb.RdbError, match="more than 16 databases"):
        load_one(b"\xfe" + L(16))
    ks, report = load_one(b"\x02" + E(b"empty") + L(0), b"\x00" + E(b"k") + E(b"v"))
    assert report.empty_keys_skipped == 1 and list(ks.dbs[0].data) == [b"k"]
    # a zero checksum means "saved with rdbchecksum no": nothing to check
    ks, _ = load_one(b"\x00" + E(b"k") + E(b"v"), checksum=False)
    assert ks.dbs[0].data == {b"k": b"v"}


def test_every_truncation_is_an_rdb_error() -> None:
    blob = b"".join(rdb.chunks(sample_keyspace()))
    cuts = sorted(set(random.Random(1).sample(range(len(blob)), 400)) | set(range(0, 40)))
    for cut in cuts:
        with pytest.raises(rdb.RdbError) as err:
            rdb_reader.load(blob[:cut], Keyspace())
        assert 0 <= err.value.offset <= cut
        assert str(err.value).startswith(f"Internal error in RDB reading offset {err.value.offset}")


def test_flipped_bytes_are_rdb_errors_or_loads() -> None:
    blob = b"".join(rdb.chunks(sample_keyspace()))
    rnd = random.Random(2)
    for _ in range(300):
        bad = bytearray(blob)
        for _ in range(rnd.randrange(1, 4)):
            bad[rnd.randrange(9, len(bad) - 9)] = rnd.randrange(256)
        if bad == blob:
            continue
        with pytest.raises(rdb.RdbError):  # the checksum catches what parsing does not
            rdb_reader.load(bytes(bad), Keyspace())
        try:  # without it: a clean error, or a load
            rdb_reader.load(bytes(bad), Keyspace(), checksum=False)
        except rdb.RdbError:
            pass


def test_restore_payload_checks() -> None:
    lim = rdb_reader.Limits()
    good = rdb.dump(b"value")
    assert rdb_reader.restore(good, lim) == b"value"
    for bad in (good[:9], good[:-1] + b"\x00", b"\x00\x05value\x0b\x00" + bytes(8)):
        with pytest.raises(rdb.PayloadError, match="DUMP payload version or checksum"):
            rdb_reader.restore(bad, lim)
    body = b"\x08"  # not an object type
    payload = body + b"\x0a\x00"
    with pytest.raises(rdb.PayloadError, match="Bad data format"):
        rdb_reader.restore(payload + crc64(payload).to_bytes(8, "little"), lim)
    assert rdb_reader.restore(good[:-8] + bytes(8), lim, verify_checksum=False) == b"value"


def test_lru_and_lfu_opcodes() -> None:
    ks = Keyspace()
    db = ks.dbs[0]
    db.data[b"k"] = b"v"
    db.access[b"k"] = ks.lru_clock - 500
    blob = b"".join(rdb.chunks(ks, rdb.Options(save_lru=True)))
    assert b"\xf8" + rdb.encode_len(500) + b"\x00\x01k" in blob
    back = Keyspace()
    rdb_reader.load(blob, back)
    assert abs(back.dbs[0].access[b"k"] - (back.lru_clock - 500)) <= 1
    ks.set_lfu(True, 10, 1)
    db.freq[b"k"] = (ks.now // 60000 & 65535) << 8 | 42
    blob = b"".join(rdb.chunks(ks, rdb.Options(save_lfu=True)))
    assert b"\xf9\x2a\x00\x01k" in blob
    back = Keyspace()
    back.set_lfu(True, 10, 1)
    rdb_reader.load(blob, back)
    assert back.lfu_counter(back.dbs[0].freq[b"k"]) == 42
