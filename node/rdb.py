"""Redis's RDB format (version 10, as Redis 7.0.15 writes it): snapshots and DUMP payloads.

A file is `REDIS0010`, AUX fields, then per non-empty database SELECTDB, RESIZEDB and its keys
(each an optional EXPIRETIME_MS / IDLE / FREQ opcode, a type byte, the key, the value), then
EOF and the CRC-64 of everything before it (node/crc64.py; 0 when `rdbchecksum no`). A DUMP
payload is one value (type byte and object) followed by the RDB version (2 bytes) and the
CRC-64 of both (8 bytes), little-endian.

What slotkv writes, per value (the encodings Redis saves for the same encodings, so Redis
loads a slotkv file into the same encodings it would have itself):

    string                       STRING: integer-encoded (8/16/32 bit), LZF, or raw
    list                         LIST_QUICKLIST_2: 8 KB listpack nodes
    set  intset | hashtable      SET_INTSET | SET
    zset listpack | skiplist     ZSET_LISTPACK | ZSET_2 (binary doubles, greatest first)
    hash listpack | hashtable    HASH_LISTPACK | HASH
    stream                       STREAM_LISTPACKS_2 with groups, PELs and consumers

Reading (node/rdb_reader.py) accepts every type and opcode Redis 7.0 loads, down to the
zipmaps and ziplists of old versions, and maps each to slotkv's values with the encoding
Redis would choose at load time under the same `*-max-*` settings.

Public API (for SAVE/BGSAVE, the AOF base file, replication's full sync and MIGRATE):

    write(keyspace, out, options) -> int
        The whole snapshot to `out`, a binary file object or a callable taking chunks; returns
        the bytes written. `Options` carries rdbcompression, rdbchecksum, the AUX fields
        (`aux_fields(...)`: redis-ver, redis-bits, ctime, used-mem, aof-base, repl-*), the
        per-key delay (rdb-key-save-delay), LRU/LFU saving and a progress callback.
    save(keyspace, path, options) -> int
        `write` to `temp-<pid>.rdb` beside `path`, fsync, rename over `path` (as rdbSave).
    chunks(keyspace, options) -> Iterator[bytes]
        The snapshot as ~64 KB chunks, for a caller that ships it somewhere else.
    dump(value) -> bytes
        A DUMP payload.
    node.rdb_reader.load(source, keyspace, limits, ...) -> LoadReport
        A file path, bytes or binary file object into the keyspace. Raises RdbError (a
        message and the file offset) for a corrupt or truncated file.
    node.rdb_reader.restore(payload, limits) -> value
        A RESTORE payload's value, or PayloadError("DUMP payload version or checksum are
        wrong") / PayloadError("Bad data format"), as Redis words them.
    `Limits.from_config(config)` gives the `*-max-*` thresholds loading decides encodings by.
"""

from __future__ import annotations

import os
import struct
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterator

from node.commands.hashes import HashValue
from node.commands.lists import ListValue, quicklist_nodes
from node.commands.sets import SetValue
from node.commands.streams import node_listpack
from node.commands.zsets import listpack_blob
from node.crc64 import crc64
from node.keyspace import Keyspace
from node.listpack import intset, pack
from node.lzf import lzf_compress
from node.numbers import is_int
from node.stream import U64, Stream
from node.zset import ZSet

RDB_VERSION = 10
REDIS_VERSION = "7.0.15"

# Value types (rdb.h).
TYPE_STRING = 0
TYPE_LIST = 1
TYPE_SET = 2
TYPE_ZSET = 3
TYPE_HASH = 4
TYPE_ZSET_2 = 5
TYPE_MODULE = 6
TYPE_MODULE_2 = 7
TYPE_HASH_ZIPMAP = 9
TYPE_LIST_ZIPLIST = 10
TYPE_SET_INTSET = 11
TYPE_ZSET_ZIPLIST = 12
TYPE_HASH_ZIPLIST = 13
TYPE_LIST_QUICKLIST = 14
TYPE_STREAM_LISTPACKS = 15
TYPE_HASH_LISTPACK = 16
TYPE_ZSET_LISTPACK = 17
TYPE_LIST_QUICKLIST_2 = 18
TYPE_STREAM_LISTPACKS_2 = 19

# Opcodes.
OP_FUNCTION2 = 245
OP_FUNCTION = 246
OP_MODULE_AUX = 247
OP_IDLE = 248
OP_FREQ = 249
OP_AUX = 250
OP_RESIZEDB = 251
OP_EXPIRETIME_MS = 252
OP_EXPIRETIME = 253
OP_SELECTDB = 254
OP_EOF = 255

QUICKLIST_PLAIN = 1
QUICKLIST_PACKED = 2

BAD_PAYLOAD = "DUMP payload version or checksum are wrong"
BAD_FORMAT = "Bad data format"


class RdbError(Exception):
    """A corrupt, truncated or unloadable RDB file: what is wrong, and where."""

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return f"Internal error in RDB reading offset {self.offset} -> {self.message}"


class PayloadError(Exception):
    """A RESTORE payload refused, with Redis's reply text (without `ERR `)."""


# -- primitives -----------------------------------------------------------------------------------

_LEN6 = [bytes((n,)) for n in range(64)]


def encode_len(n: int) -> bytes:
    """rdbSaveLen: 6-bit, 14-bit, 32-bit or 64-bit length."""
    if n < 64:
        return _LEN6[n]
    if n < 16384:
        return bytes((0x40 | n >> 8, n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + n.to_bytes(4, "big")
    return b"\x81" + n.to_bytes(8, "big")


_INT8 = struct.Struct("<b")
_INT16 = struct.Struct("<h")
_INT32 = struct.Struct("<i")
_DOUBLE = struct.Struct("<d")
_MS = struct.Struct("<q")


def encode_string(s: bytes | bytearray, compression: bool = True) -> bytes:
    """rdbSaveRawString: an integer encoding when `s` is a short canonical integer that fits
    32 bits, else LZF when that saves at least 4 bytes (strings over 20 bytes), else raw."""
    n = len(s)
    if n <= 11 and n and s[0] <= 57 and is_int(s):
        v = int(s)
        if -128 <= v <= 127:
            return b"\xc0" + _INT8.pack(v)
        if -32768 <= v <= 32767:
            return b"\xc1" + _INT16.pack(v)
        if -2147483648 <= v <= 2147483647:
            return b"\xc2" + _INT32.pack(v)
    if compression and n > 20:
        packed = lzf_compress(bytes(s), n - 4)
        if packed is not None:
            return b"\xc3" + encode_len(len(packed)) + encode_len(n) + packed
    if n < 64:
        return _LEN6[n] + s
    return encode_len(n) + s


# -- values ---------------------------------------------------------------------------------------


def _string(value: bytes, c: bool) -> tuple[int, bytes]:
    return TYPE_STRING, encode_string(value, c)


def _counter(value: int, c: bool) -> tuple[int, bytes]:
    # An int-encoded string (a counter: node/keyspace.py), as rdbSaveLongLongAsStringObject.
    if -2147483648 <= value <= 2147483647:
        return TYPE_STRING, encode_string(b"%d" % value, False)
    text = b"%d" % value
    return TYPE_STRING, _LEN6[len(text)] + text


def _list(value: ListValue, c: bool) -> tuple[int, bytes]:
    nodes = quicklist_nodes(value)
    parts = [encode_len(len(nodes))]
    for _, blob, plain in nodes:
        parts.append(b"\x01" if plain else b"\x02")  # QUICKLIST_PLAIN/_PACKED, as rdbSaveLen
        parts.append(encode_string(blob, c))
    return TYPE_LIST_QUICKLIST_2, b"".join(parts)


def _set(value: SetValue, c: bool) -> tuple[int, bytes]:
    if value.intset:
        return TYPE_SET_INTSET, encode_string(intset(list(map(int, value))), c)
    parts = [encode_len(len(value))]
    parts += [encode_string(m, c) for m in value]
    return TYPE_SET, b"".join(parts)


def _zset(value: ZSet, c: bool) -> tuple[int, bytes]:
    if value.listpack:
        return TYPE_ZSET_LISTPACK, encode_string(listpack_blob(value), c)
    parts = [encode_len(len(value))]
    pack_double = _DOUBLE.pack
    # Greatest first, as rdb.c does: Redis then inserts each at the head of its skiplist.
    for score, member in reversed(value.ordered):
        parts.append(encode_string(member, c))
        parts.append(pack_double(score))
    return TYPE_ZSET_2, b"".join(parts)


def _hash(value: HashValue, c: bool) -> tuple[int, bytes]:
    if value.listpack:
        return TYPE_HASH_LISTPACK, encode_string(
            pack(item for pair in value.items() for item in pair), c)
    parts = [encode_len(len(value))]
    for f, v in value.items():
        parts.append(encode_string(f, c))
        parts.append(encode_string(v, c))
    return TYPE_HASH, b"".join(parts)


def _id_lens(sid: int) -> bytes:
    return encode_len(sid >> 64) + encode_len(sid & U64)


def _stream(s: Stream, c: bool) -> tuple[int, bytes]:
    parts = [encode_len(len(s.nodes))]
    for node in s.nodes:
        parts.append(encode_string(node.key.to_bytes(16, "big"), c))
        parts.append(encode_string(node_listpack(s, node), c))
    parts += [encode_len(s.length), _id_lens(s.last_id), _id_lens(s.first_id),
              _id_lens(s.max_deleted), encode_len(s.entries_added)]
    groups = s.groups or {}
    parts.append(encode_len(len(groups)))
    pack_ms = _MS.pack
    for name in sorted(groups):  # Redis keeps groups in a radix tree: name order
        group = groups[name]
        parts += [encode_string(name, c), _id_lens(group.last_id),
                  encode_len(group.entries_read & U64), encode_len(len(group.pel))]
        for sid, nack in group.pel.items():
            parts += [sid.to_bytes(16, "big"), pack_ms(nack.delivery_time),
                      encode_len(nack.delivery_count)]
        parts.append(encode_len(len(group.consumers)))
        for cname in sorted(group.consumers):
            consumer = group.consumers[cname]
            parts += [encode_string(cname, c), pack_ms(consumer.seen_time),
                      encode_len(len(consumer.pel))]
            parts += [sid.to_bytes(16, "big") for sid in consumer.pel]
    return TYPE_STREAM_LISTPACKS_2, b"".join(parts)


# value class -> function(value, rdbcompression) -> (RDB type, serialized object)
ENCODERS: dict[type, Callable[[Any, bool], tuple[int, bytes]]] = {
    bytes: _string, bytearray: _string, int: _counter, ListValue: _list, SetValue: _set, ZSet: _zset,
    HashValue: _hash, Stream: _stream,
}


def encode_value(value: Any, compression: bool = True) -> bytes:
    """rdbSaveObjectType + rdbSaveObject: the type byte and the serialized value."""
    kind, body = ENCODERS[value.__class__](value, compression)
    return bytes((kind,)) + body


def dump(value: Any, compression: bool = True) -> bytes:
    """A DUMP payload: the value, the RDB version and the CRC-64 of both."""
    return _sealed(encode_value(value, compression))


def _sealed(body: bytes) -> bytes:
    payload = body + RDB_VERSION.to_bytes(2, "little")
    return payload + crc64(payload).to_bytes(8, "little")


def functions_record(codes: list[bytes], compression: bool = True) -> bytes:
    """rdbSaveFunctions: each library as the FUNCTION2 opcode and its code."""
    opcode = bytes((OP_FUNCTION2,))
    return b"".join(opcode + encode_string(code, compression) for code in codes)


def dump_functions(codes: list[bytes], compression: bool = True) -> bytes:
    """A FUNCTION DUMP payload: the libraries, the RDB version and the CRC-64 of both."""
    return _sealed(functions_record(codes, compression))


# -- whole snapshots ------------------------------------------------------------------------------


def aux_fields(used_mem: int, aof_base: bool = False,
               repl: tuple[int, str, int] | None = None) -> list[tuple[bytes, bytes]]:
    """rdbSaveInfoAuxFields: the AUX fields of a snapshot taken now. `repl` is
    (repl-stream-db, repl-id, repl-offset) when the snapshot is for a replica."""
    fields = [(b"redis-ver", REDIS_VERSION.encode()), (b"redis-bits", b"64"),
              (b"ctime", b"%d" % int(time.time())), (b"used-mem", b"%d" % used_mem)]
    if repl is not None:
        db, replid, offset = repl
        fields += [(b"repl-stream-db", b"%d" % db), (b"repl-id", replid.encode()),
                   (b"repl-offset", b"%d" % offset)]
    fields.append((b"aof-base", b"1" if aof_base else b"0"))
    return fields


@dataclass
class Options:
    """How a snapshot is written (the rdb* directives and what the caller wants to know)."""

    compression: bool = True  # rdbcompression
    checksum: bool = True  # rdbchecksum
    aux: list[tuple[bytes, bytes]] = field(default_factory=lambda: aux_fields(0))
    key_delay_us: int = 0  # rdb-key-save-delay (a negative value: sleep 1us with p=1/-n)
    save_lru: bool = False  # an LRU maxmemory-policy: save each key's idle time
    save_lfu: bool = False  # an LFU policy: save each key's frequency counter
    # Called with the number of keys written so far: after the first key, then every 1024.
    progress: Callable[[int], None] | None = None
    chunk_size: int = 1 << 16
    # The function libraries' code (FUNCTION LOAD's argument), saved after the AUX fields.
    functions: list[bytes] = field(default_factory=list)


def chunks(keyspace: Keyspace, options: Options | None = None) -> Iterator[bytes]:
    """The snapshot of `keyspace` as chunks of about `options.chunk_size` bytes."""
    opt = options or Options()
    c = opt.compression
    crc = 0
    buf: list[bytes] = []
    size = 0
    limit = opt.chunk_size

    def cut() -> bytes:
        nonlocal crc, size
        chunk = b"".join(buf)
        buf.clear()
        size = 0
        if opt.checksum:
            crc = crc64(chunk, crc)
        return chunk

    head = [b"REDIS%04d" % RDB_VERSION]
    for k, v in opt.aux:
        head += [b"\xfa", encode_string(k, c), encode_string(v, c)]
    head.append(functions_record(opt.functions, c))
    buf.append(b"".join(head))
    done = 0
    delay = opt.key_delay_us
    progress = opt.progress
    enc = encode_string
    plain = not (opt.save_lru or opt.save_lfu)
    lru_clock = keyspace.lru_clock

    def record(db: Any, key: bytes, value: Any) -> bytes:
        """A key's opcodes (expiry, LRU idle time, LFU counter), type, key and value."""
        parts = []
        when = db.expires.get(key)
        if when is not None:
            parts.append(b"\xfc" + _MS.pack(when))
        if opt.save_lru:
            idle = max(lru_clock - db.access.get(key, lru_clock), 0)
            parts.append(b"\xf8" + encode_len(idle))
        if opt.save_lfu:
            parts.append(b"\xf9" + bytes((keyspace.lfu_counter(db.freq.get(key)),)))
        kind, body = ENCODERS[value.__class__](value, c)
        parts += (bytes((kind,)), enc(key, c), body)
        return b"".join(parts)

    for db in keyspace.dbs:
        data = db.data
        if not data:
            continue
        expires = db.expires
        buf.append(b"\xfe" + encode_len(db.index) + b"\xfb" + encode_len(len(data))
                   + encode_len(len(expires)))
        for key, value in data.items():
            if plain and value.__class__ is bytes and (not expires or key not in expires):
                item = b"\x00" + enc(key, c) + enc(value, c)  # the common record, inline
            else:
                item = record(db, key, value)
            buf.append(item)
            size += len(item)
            if size >= limit:
                yield cut()
            done += 1
            if delay:
                _debug_delay(delay)
            if progress is not None and done & 1023 == 1:  # the first key, then every 1024
                progress(done)
    buf.append(b"\xff")
    tail = cut()
    yield tail + (crc if opt.checksum else 0).to_bytes(8, "little")


def _debug_delay(usec: int) -> None:
    # debugDelay: a negative value sleeps 1us once in -usec calls on average.
    if usec < 0:
        usec = 1 if int.from_bytes(os.urandom(4), "little") % -usec == 0 else 0
    if usec:
        time.sleep(usec / 1e6)


def write(keyspace: Keyspace, out: BinaryIO | Callable[[bytes], Any],
          options: Options | None = None) -> int:
    """Write the snapshot to a binary file object or a chunk callable; the bytes written."""
    emit = out if callable(out) and not hasattr(out, "write") else out.write  # type: ignore[union-attr]
    total = 0
    for chunk in chunks(keyspace, options):
        emit(chunk)
        total += len(chunk)
    return total


def save(keyspace: Keyspace, path: str, options: Options | None = None) -> int:
    """rdbSave: write `temp-<pid>.rdb` in the directory of `path`, fsync it, rename it over
    `path`. Raises OSError (the temp file removed) when any step fails."""
    directory = os.path.dirname(path) or "."
    tmp = os.path.join(directory, f"temp-{os.getpid()}.rdb")
    return write_durably(path, tmp, lambda f: write(keyspace, f, options))


def write_durably(path: str, tmp: str, fill: Callable[[BinaryIO], int]) -> int:
    """Fill the file `tmp` (`fill(file)` returns the bytes written), fsync it and rename it
    over `path`, so `path` is either the old file or the whole new one. Raises OSError (the
    temp file removed) when any step fails. Also writes the AOF's base files."""
    try:
        with open(tmp, "wb", buffering=1 << 20) as f:
            total = fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return total


def temp_path(directory: str, pid: int) -> str:
    """The temp file a saving process `pid` writes (rdbRemoveTempFile removes it)."""
    return os.path.join(directory or ".", f"temp-{pid}.rdb")
