"""Reading RDB files and DUMP payloads into slotkv values (the loading half of node/rdb.py).

Everything Redis 7.0 loads is accepted: RDB versions 1 to 10; strings raw, integer-encoded or
LZF-compressed; lists as plain elements, ziplists, and quicklists of ziplists or listpacks
(packed and plain nodes); sets as elements or intsets; sorted sets with text or binary
scores, ziplists or listpacks; hashes as pairs, zipmaps, ziplists or listpacks; streams
(STREAM_LISTPACKS and _2) with their consumer groups, PELs and consumers; expiries in seconds
or milliseconds, LRU idle times, LFU counters, AUX fields, RESIZEDB. Module values and module
AUX data are refused with Redis's message (slotkv has no modules); function libraries
(FUNCTION2, and 7.0 release candidates' FUNCTION) go to the caller's `functions` callback, or
are skipped with a warning naming them when there is none (`slotkv check-aof`).

Encodings follow rdbLoadObject under the loading server's `*-max-*` settings (`Limits`): a
small hash saved as a hash table comes back listpack-encoded, a hash or zset listpack with too
many entries comes back as a hash table / skiplist, an intset over set-max-intset-entries as a
hash table, and so on, so OBJECT ENCODING after a load is what redis-server reports. A list
takes list-max-listpack-size and list-compress-depth from the loading server too, and a
quicklist keeps the nodes it was saved with (DEBUG OBJECT and DUMP show them), as Redis's
quicklistAppendListpack.

The file is parsed from memory (a file is mapped, not read into a copy) with one offset that
every read checks, so a truncated file is an `RdbError` at the offset where it ends, and a
malformed structure one at the offset of the value that holds it.
"""

from __future__ import annotations

import mmap
import os
import struct
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable

from node import rdb as R
from node.commands.hashes import HashValue
from node.commands.lists import ListValue, list_options, loaded_list
from node.commands.sets import SetValue
from node.crc64 import crc64
from node.keyspace import Database, Keyspace, lru_clock_at
from node.listpack import (
    EncodingError, as_bytes, int_entry, unpack, unpack_bytes, unpack_intset, unpack_ziplist,
    unpack_zipmap,
)
from node.lzf import LzfError, lzf_decompress
from node.numbers import is_int
from node.stream import NOT_READ, U64, Consumer, Group, Nack, Node, Stream
from node.zset import ZSet

from sortedcontainers import SortedList

_MODULE_CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@dataclass
class Limits:
    """The encoding thresholds that decide what a loaded value becomes (redis.conf names)."""

    hash_entries: int = 512  # hash-max-listpack-entries
    hash_value: int = 64  # hash-max-listpack-value
    set_intset_entries: int = 512  # set-max-intset-entries
    zset_entries: int = 128  # zset-max-listpack-entries
    zset_value: int = 64  # zset-max-listpack-value
    list_options: tuple[int, int] = (-2, 0)  # list-max-listpack-size, list-compress-depth

    @classmethod
    def from_config(cls, config: Any) -> "Limits":
        return cls(config["hash-max-listpack-entries"], config["hash-max-listpack-value"],
                   config["set-max-intset-entries"], config["zset-max-listpack-entries"],
                   config["zset-max-listpack-value"],
                   list_options(config["list-max-listpack-size"], config["list-compress-depth"]))


@dataclass
class LoadReport:
    """What a load did."""

    keys_loaded: int = 0
    keys_expired: int = 0  # skipped: already past their deadline (primary only)
    empty_keys_skipped: int = 0
    version: int = 0
    aux: dict[bytes, bytes] = field(default_factory=dict)
    functions_skipped: list[str] = field(default_factory=list)
    bytes: int = 0  # the size of what was given
    end: int = 0  # where the RDB data ended (after the checksum): an AOF tail may follow
    seconds: float = 0.0


class _Short(Exception):
    """A read past the end of the data."""


class _Corrupt(Exception):
    """A malformed structure (the message is Redis's where it has one)."""


class _Empty(Exception):
    """A value that decodes to an empty container (Redis skips such keys with a warning)."""


class _Reader:
    __slots__ = ("buf", "pos", "end", "limits", "version")

    def __init__(self, buf: Any, limits: Limits, end: int | None = None) -> None:
        self.buf = buf
        self.pos = 0
        self.end = len(buf) if end is None else end
        self.limits = limits
        self.version = R.RDB_VERSION

    # -- primitives ---------------------------------------------------------------------------

    def take(self, n: int) -> bytes:
        pos = self.pos
        end = pos + n
        if end > self.end:
            self.pos = self.end
            raise _Short
        self.pos = end
        return self.buf[pos:end]

    def byte(self) -> int:
        pos = self.pos
        if pos >= self.end:
            raise _Short
        self.pos = pos + 1
        return self.buf[pos]

    def length(self) -> int:
        """rdbLoadLen for a plain length (an encoded-value marker here is corrupt)."""
        n, encoded = self.length_or_encoding()
        if encoded:
            raise _Corrupt(f"Unknown length encoding {n} in rdbLoadLen()")
        return n

    def length_or_encoding(self) -> tuple[int, bool]:
        b = self.byte()
        kind = b >> 6
        if kind == 0:
            return b, False
        if kind == 1:
            return (b & 0x3F) << 8 | self.byte(), False
        if kind == 3:
            return b & 0x3F, True
        if b == 0x80:
            return int.from_bytes(self.take(4), "big"), False
        if b == 0x81:
            return int.from_bytes(self.take(8), "big"), False
        raise _Corrupt(f"Unknown length encoding {kind} in rdbLoadLen()")

    def string(self) -> bytes:
        """rdbGenericLoadStringObject: raw, integer-encoded (as its decimal text) or LZF."""
        buf = self.buf
        pos = self.pos
        if pos < self.end:
            b = buf[pos]
            if b < 64:  # the common case, inlined: a short raw string
                end = pos + 1 + b
                if end <= self.end:
                    self.pos = end
                    return buf[pos + 1:end]
        n, encoded = self.length_or_encoding()
        if not encoded:
            return self.take(n)
        if n == 0:
            return b"%d" % struct.unpack("<b", self.take(1))[0]
        if n == 1:
            return b"%d" % struct.unpack("<h", self.take(2))[0]
        if n == 2:
            return b"%d" % struct.unpack("<i", self.take(4))[0]
        if n == 3:
            clen = self.length()
            size = self.length()
            data = self.take(clen)
            try:
                return lzf_decompress(data, size)
            except LzfError:
                raise _Corrupt("Invalid LZF compressed string") from None
        raise _Corrupt(f"Unknown RDB string encoding type {n}")

    def ms_time(self) -> int:
        return struct.unpack("<q", self.take(8))[0]

    def double_text(self) -> float:
        """rdbLoadDoubleValue: the old text form of a score."""
        n = self.byte()
        if n == 255:
            return float("-inf")
        if n == 254:
            return float("inf")
        if n == 253:
            return float("nan")
        text = self.take(n)
        try:
            return float(text)
        except ValueError:
            raise _Corrupt("Zset with an unreadable score detected") from None

    def binary_double(self) -> float:
        return struct.unpack("<d", self.take(8))[0]

    # -- values -------------------------------------------------------------------------------

    def value(self, kind: int) -> Any:
        fn = _LOADERS.get(kind)
        if fn is None:
            if kind in (R.TYPE_MODULE, R.TYPE_MODULE_2):
                mid = self.length()
                raise _Corrupt("The RDB file contains module data I can't load: no matching "
                               f"module type '{module_name(mid)}'")
            raise _Corrupt(f"Unknown RDB encoding type {kind}")
        return fn(self)


def module_name(module_id: int) -> str:
    """moduleTypeNameByID: the 9-character type name packed in a module type id."""
    mid = module_id >> 10
    chars = []
    for _ in range(9):
        chars.append(_MODULE_CHARSET[mid & 63])
        mid >>= 6
    return "".join(reversed(chars))


# -- per-type loaders ------------------------------------------------------------------------------


def _load_string(r: _Reader) -> bytes:
    return r.string()


def _load_list(r: _Reader) -> ListValue:
    n = r.length()
    if n == 0:
        raise _Empty
    string = r.string
    return loaded_list([string() for _ in range(n)], r.limits.list_options)


def _set_from(r: _Reader, members: list[bytes], dup_error: str) -> SetValue:
    s = SetValue(members)
    if len(s) != len(members):
        raise _Corrupt(dup_error)
    s.intset = len(s) <= r.limits.set_intset_entries and all(map(is_int, members))
    return s


def _load_set(r: _Reader) -> SetValue:
    n = r.length()
    if n == 0:
        raise _Empty
    string = r.string
    return _set_from(r, [string() for _ in range(n)], "Duplicate set members detected")


def _load_set_intset(r: _Reader) -> SetValue:
    blob = r.string()
    try:
        values = unpack_intset(blob)
    except EncodingError:
        raise _Corrupt("Intset integrity check failed.") from None
    if not values:
        raise _Corrupt("Intset integrity check failed.")
    s = SetValue(b"%d" % v for v in values)
    s.intset = len(values) <= r.limits.set_intset_entries
    return s


def _zset_from(r: _Reader, pairs: list[tuple[float, bytes]], listpack: bool) -> ZSet:
    zs = ZSet()
    zs.listpack = listpack
    if listpack:  # a listpack stores integral scores as integers: -0 becomes 0 (ZSet.add)
        pairs = [(s + 0.0 if s == 0 else s, m) for s, m in pairs]
    scores = dict(zip((m for _, m in pairs), (s for s, _ in pairs)))
    if len(scores) != len(pairs):
        raise _Corrupt("Duplicate zset fields detected")
    zs.scores = scores
    zs.ordered = SortedList(pairs)
    return zs


def _load_zset(r: _Reader, binary: bool) -> ZSet:
    n = r.length()
    if n == 0:
        raise _Empty
    read_score = r.binary_double if binary else r.double_text
    pairs = []
    maxlen = 0
    for _ in range(n):
        member = r.string()
        score = read_score()
        if score != score:
            raise _Corrupt("Zset with NAN score detected")
        if len(member) > maxlen:
            maxlen = len(member)
        pairs.append((score, member))
    lim = r.limits
    return _zset_from(r, pairs, n <= lim.zset_entries and maxlen <= lim.zset_value)


def _score(element: bytes | int) -> float:
    # zzlGetScore: an integer element, or the text strtod reads
    if element.__class__ is int:
        return float(element)
    try:
        return float(element)
    except ValueError:
        raise _Corrupt("Zset listpack integrity check failed.") from None


def _zset_pairs(r: _Reader, flat: list, error: str) -> ZSet:
    if len(flat) % 2:
        raise _Corrupt(error)
    if not flat:
        raise _Empty
    pairs = [(_score(flat[i + 1]), as_bytes(flat[i])) for i in range(0, len(flat), 2)]
    if any(s != s for s, _ in pairs):
        raise _Corrupt(error)
    try:
        return _zset_from(r, pairs, len(pairs) <= r.limits.zset_entries)
    except _Corrupt:
        raise _Corrupt(error) from None


def _load_zset_listpack(r: _Reader) -> ZSet:
    error = "Zset listpack integrity check failed."
    try:
        flat = unpack(r.string())
    except EncodingError:
        raise _Corrupt(error) from None
    return _zset_pairs(r, flat, error)


def _load_zset_ziplist(r: _Reader) -> ZSet:
    error = "Zset ziplist integrity check failed."
    try:
        flat = unpack_ziplist(r.string())
    except EncodingError:
        raise _Corrupt(error) from None
    return _zset_pairs(r, flat, error)


def _hash_from(flat: list[bytes], listpack: bool, error: str) -> HashValue:
    if len(flat) % 2:
        raise _Corrupt(error)
    if not flat:
        raise _Empty
    h = HashValue(zip(flat[0::2], flat[1::2]))
    if len(h) * 2 != len(flat):
        raise _Corrupt(error)
    h.listpack = listpack
    return h


def _load_hash(r: _Reader) -> HashValue:
    n = r.length()
    if n == 0:
        raise _Empty
    lim = r.limits
    listpack = n <= lim.hash_entries
    flat = []
    string = r.string
    for _ in range(2 * n):
        item = string()
        if listpack and len(item) > lim.hash_value:
            listpack = False
        flat.append(item)
    return _hash_from(flat, listpack, "Duplicate hash fields detected")


def _load_hash_blob(r: _Reader, decode: Callable[[bytes], list], error: str) -> HashValue:
    try:
        flat = decode(r.string())
    except EncodingError:
        raise _Corrupt(error) from None
    return _hash_from(flat, len(flat) // 2 <= r.limits.hash_entries, error)


def _load_hash_zipmap(r: _Reader) -> HashValue:
    try:
        flat = unpack_zipmap(r.string())
    except EncodingError:
        raise _Corrupt("Zipmap integrity check failed.") from None
    maxlen = max(map(len, flat), default=0)
    lim = r.limits
    return _hash_from(flat, len(flat) // 2 <= lim.hash_entries and maxlen <= lim.hash_value,
                      "Hash zipmap with dup elements, or big length (0)")


def _load_quicklist(r: _Reader, version: int) -> ListValue:
    n = r.length()
    if n == 0:
        raise _Empty
    items: list[bytes] = []
    counts: list[tuple[int, bool]] = []  # the nodes as saved: Redis keeps them (quicklistAppendListpack)
    for _ in range(n):
        container = R.QUICKLIST_PACKED
        if version == 2:
            container = r.length()
            if container not in (R.QUICKLIST_PACKED, R.QUICKLIST_PLAIN):
                raise _Corrupt("Quicklist integrity check failed.")
        data = r.string()
        if not data:
            raise _Corrupt("Quicklist integrity check failed.")
        if container == R.QUICKLIST_PLAIN:
            items.append(data)
            counts.append((1, True))
            continue
        try:
            node = unpack_bytes(data) if version == 2 else unpack_ziplist(data)
        except EncodingError:
            raise _Corrupt("Listpack integrity check failed." if version == 2
                           else "Ziplist integrity check failed.") from None
        if node:  # an empty node is skipped
            items += node
            counts.append((len(node), False))
    if not items:
        raise _Empty
    return loaded_list(items, r.limits.list_options, counts)


def _load_list_ziplist(r: _Reader) -> ListValue:
    try:
        items = unpack_ziplist(r.string())
    except EncodingError:
        raise _Corrupt("List ziplist integrity check failed.") from None
    if not items:
        raise _Empty
    return loaded_list(items, r.limits.list_options)  # pushed one by one (quicklistPushTail)


def _int64(v: int) -> int:
    v &= U64
    return v - (1 << 64) if v >= 1 << 63 else v


def _stream_node(s: Stream, key: int, lp: bytes) -> None:
    """One listpack of a stream's radix tree into the model (node/stream.py): the master
    entry's fields, the live entries, the tombstones counted, the last ID in it."""
    error = "Stream listpack integrity check failed."
    try:
        items = unpack(lp)
    except EncodingError:
        raise _Corrupt(error) from None
    if not items:
        raise _Corrupt("Empty listpack inside stream")
    try:
        live, deleted, nfields = items[0], items[1], items[2]
        if not (live.__class__ is deleted.__class__ is nfields.__class__ is int):
            raise _Corrupt(error)
        fields = tuple(as_bytes(f) for f in items[3:3 + nfields])
        if len(fields) != nfields or items[3 + nfields] != 0:
            raise _Corrupt(error)
        node = Node(key, fields)
        ms, seq = node.ms, node.seq
        ids, flats = node.ids, node.flats
        p = 4 + nfields
        n = len(items)
        seen = 0
        prev = -1
        while p < n:
            flags, dms, dseq = items[p], items[p + 1], items[p + 2]
            p += 3
            if flags & 2:  # STREAM_ITEM_FLAG_SAMEFIELDS
                values = items[p:p + nfields]
                p += nfields
                if len(values) != nfields:
                    raise _Corrupt(error)
                # One field, the master's: the value alone (node/stream.py's entry forms).
                flat = (as_bytes(values[0]) if nfields == 1 else
                        tuple(as_bytes(x) for pair in zip(fields, values) for x in pair))
            else:
                count = items[p]
                flat = tuple(as_bytes(x) for x in items[p + 1:p + 1 + 2 * count])
                p += 1 + 2 * count
                if len(flat) != 2 * count:
                    raise _Corrupt(error)
            p += 1  # the entry's element count (lp-count)
            sid = ((ms + dms) & U64) << 64 | (seq + dseq) & U64
            if sid <= prev or sid < key:
                raise _Corrupt(error)
            prev = sid
            seen += 1
            if flags & 1:  # STREAM_ITEM_FLAG_DELETED
                continue
            ids.append(sid)
            flats.append(flat)
        if p != n or seen != live + deleted or len(ids) != live:
            raise _Corrupt(error)
    except (IndexError, TypeError):
        raise _Corrupt(error) from None
    node.deleted = deleted
    node.last = prev if prev >= 0 else key
    node.base = len(lp) - len(int_entry(live)) - len(int_entry(deleted))
    s.nodes.append(node)
    s.keys.append(key)


def _load_stream(r: _Reader, version: int) -> Stream:
    s = Stream()
    count = r.length()
    for _ in range(count):
        key_raw = r.string()
        if len(key_raw) != 16:
            raise _Corrupt("Stream node key entry is not the size of a stream ID")
        key = int.from_bytes(key_raw, "big")
        if s.keys and key <= s.keys[-1]:
            raise _Corrupt("Listpack re-added with existing key")
        _stream_node(s, key, r.string())
    for node in s.nodes[:-1]:
        node.close()
    s.length = r.length()
    if s.length != sum(len(node.ids) for node in s.nodes):
        raise _Corrupt("Stream length differs from its entries")
    s.last_id = r.length() << 64 | r.length()
    if version == 2:
        s.first_id = r.length() << 64 | r.length()
        s.max_deleted = r.length() << 64 | r.length()
        s.entries_added = r.length()
    else:
        s.first_id = s.first_valid()
        s.entries_added = s.length
    ngroups = r.length()
    if ngroups:
        s.groups = {}
    for _ in range(ngroups):
        name = r.string()
        last_id = r.length() << 64 | r.length()
        entries_read = _int64(r.length()) if version == 2 else s.estimate_read(last_id)
        if name in s.groups:
            raise _Corrupt(f"Duplicated consumer group name {name.decode('utf-8', 'replace')}")
        group = s.groups[name] = Group(last_id, entries_read if entries_read >= 0 else NOT_READ)
        pel = group.pel
        for _ in range(r.length()):
            sid = int.from_bytes(r.take(16), "big")
            nack = Nack(r.ms_time(), r.length(), None)
            if sid in pel:
                raise _Corrupt("Duplicated global PEL entry loading stream consumer group")
            pel[sid] = nack
        for _ in range(r.length()):
            cname = r.string()
            if cname in group.consumers:
                raise _Corrupt("Duplicate stream consumer detected.")
            consumer = group.consumers[cname] = Consumer(cname, r.ms_time())
            for _ in range(r.length()):
                sid = int.from_bytes(r.take(16), "big")
                nack = pel.get(sid)
                if nack is None:
                    raise _Corrupt("Consumer entry not found in group global PEL")
                if sid in consumer.pel:
                    raise _Corrupt("Duplicated consumer PEL entry  loading a stream consumer "
                                   "group")
                nack.consumer = consumer
                consumer.pel[sid] = nack
    return s


_LOADERS: dict[int, Callable[[_Reader], Any]] = {
    R.TYPE_STRING: _load_string,
    R.TYPE_LIST: _load_list,
    R.TYPE_SET: _load_set,
    R.TYPE_ZSET: lambda r: _load_zset(r, False),
    R.TYPE_HASH: _load_hash,
    R.TYPE_ZSET_2: lambda r: _load_zset(r, True),
    R.TYPE_HASH_ZIPMAP: _load_hash_zipmap,
    R.TYPE_LIST_ZIPLIST: _load_list_ziplist,
    R.TYPE_SET_INTSET: _load_set_intset,
    R.TYPE_ZSET_ZIPLIST: _load_zset_ziplist,
    R.TYPE_HASH_ZIPLIST: lambda r: _load_hash_blob(r, unpack_ziplist,
                                                   "Hash ziplist integrity check failed."),
    R.TYPE_LIST_QUICKLIST: lambda r: _load_quicklist(r, 1),
    R.TYPE_STREAM_LISTPACKS: lambda r: _load_stream(r, 1),
    R.TYPE_HASH_LISTPACK: lambda r: _load_hash_blob(r, unpack_bytes,
                                                    "Hash listpack integrity check failed."),
    R.TYPE_ZSET_LISTPACK: _load_zset_listpack,
    R.TYPE_LIST_QUICKLIST_2: lambda r: _load_quicklist(r, 2),
    R.TYPE_STREAM_LISTPACKS_2: lambda r: _load_stream(r, 2),
}

# rdbIsObjectType: the type bytes a DUMP payload may start with.
_OBJECT_TYPES = frozenset(range(0, 8)) | frozenset(range(9, 20))


# -- DUMP payloads ---------------------------------------------------------------------------------


def _payload_reader(payload: bytes, limits: Limits, verify_checksum: bool) -> _Reader:
    """verifyDumpPayload: a reader over the body of a DUMP payload."""
    n = len(payload)
    if n < 10:
        raise R.PayloadError(R.BAD_PAYLOAD)
    version = int.from_bytes(payload[n - 10:n - 8], "little")
    if version > R.RDB_VERSION:
        raise R.PayloadError(R.BAD_PAYLOAD)
    if verify_checksum and crc64(memoryview(payload)[:n - 8]) != int.from_bytes(
            payload[n - 8:], "little"):
        raise R.PayloadError(R.BAD_PAYLOAD)
    r = _Reader(payload, limits, end=n - 10)
    r.version = version
    return r


def restore(payload: bytes, limits: Limits, verify_checksum: bool = True) -> Any:
    """The value a DUMP payload holds (RESTORE), or PayloadError with Redis's reply text."""
    r = _payload_reader(payload, limits, verify_checksum)
    try:
        kind = r.byte()
        if kind not in _OBJECT_TYPES:
            raise _Corrupt("not an object type")
        return r.value(kind)
    except (_Short, _Corrupt, _Empty):
        raise R.PayloadError(R.BAD_FORMAT) from None


def function_codes(payload: bytes) -> list[bytes]:
    """The libraries' code in a FUNCTION DUMP payload (FUNCTION RESTORE), or PayloadError
    with Redis's reply text."""
    r = _payload_reader(payload, Limits(), True)
    codes = []
    while r.pos < r.end:
        kind = r.byte()
        if kind == R.OP_FUNCTION:
            raise R.PayloadError("Pre-GA function format not supported")
        if kind != R.OP_FUNCTION2:
            raise R.PayloadError("given type is not a function")
        try:
            codes.append(bytes(r.string()))
        except (_Short, _Corrupt):
            raise R.PayloadError("Failed loading library payload") from None
    return codes


# -- whole files -----------------------------------------------------------------------------------

Log = Callable[[str, str], None]


def _no_log(level: str, message: str) -> None:
    pass


class _Batch:
    """Keys read for one database, added to it in bulk (Database.load_keys)."""

    __slots__ = ("db", "data", "expires", "access", "freq")

    def __init__(self, db: Database) -> None:
        self.db = db
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        self.access: dict[bytes, int] = {}
        self.freq: dict[bytes, int] = {}

    def flush(self) -> None:
        if self.data:
            self.db.load_keys(self.data, self.expires, self.access, self.freq)
            self.data, self.expires, self.access, self.freq = {}, {}, {}, {}


def load(source: str | bytes | BinaryIO, keyspace: Keyspace, limits: Limits | None = None, *,
         expire: bool = True, allow_dup: bool = False, checksum: bool = True,
         log: Log = _no_log, functions: Callable[[bytes], str | None] | None = None
         ) -> LoadReport:
    """Load an RDB file (a path, its bytes, or a binary file object) into `keyspace`.

    Keys past their deadline are skipped when `expire` (a primary loading a snapshot; not a
    replica, nor an AOF base). A key already in the keyspace is an error unless `allow_dup`
    (DEBUG RELOAD MERGE), which replaces it. `checksum` False skips the CRC check
    (rdbchecksum no). `functions` is given each function library's code and returns None, or
    why the library cannot be loaded (which fails the load). Raises RdbError for a file that
    cannot be loaded; keys read before the error stay loaded (the caller exits, as Redis
    does, or reports it).
    """
    t0 = time.monotonic()
    mapped = None
    if isinstance(source, (bytes, bytearray, memoryview)):
        buf: Any = source
    elif isinstance(source, str):
        with open(source, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size:
                mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                buf = mapped
            else:
                buf = b""
    else:
        buf = source.read()
    try:
        report = _load(buf, keyspace, limits or Limits(), expire, allow_dup, checksum, log,
                       functions)
    finally:
        if mapped is not None:
            mapped.close()
    report.seconds = time.monotonic() - t0
    return report


def _load(buf: Any, keyspace: Keyspace, limits: Limits, expire: bool, allow_dup: bool,
          checksum: bool, log: Log, functions: Callable[[bytes], str | None] | None
          ) -> LoadReport:
    report = LoadReport()
    report.bytes = len(buf)
    r = _Reader(buf, limits)
    key = b""
    key_start = 0
    try:
        magic = r.take(9)
    except _Short:
        raise R.RdbError("Unexpected EOF reading RDB file", 0) from None
    if magic[:5] != b"REDIS":
        raise R.RdbError("Wrong signature trying to load DB from file", 0)
    digits = bytes(magic[5:9])
    n = len(digits) - len(digits.lstrip(b"0123456789"))
    version = int(digits[:n]) if n else 0  # atoi
    if not 1 <= version <= R.RDB_VERSION:
        raise R.RdbError(f"Can't handle RDB format version {version}", 5)
    r.version = report.version = version
    dbs = keyspace.dbs
    batch = _Batch(dbs[0])
    now = keyspace.now = int(time.time() * 1000)
    lru_clock = lru_clock_at(now)
    lfu_minutes = (now // 60000) & 65535
    use_lfu = keyspace.lfu
    expire_at = -1
    lru_idle = -1
    lfu_freq = -1
    string = r.string
    value = r.value
    buf = r.buf
    end = r.end
    data = batch.data
    db_data = batch.db.data
    loaded = expired = 0
    try:
        while True:
            key_start = pos = r.pos
            # The most common record, parsed inline: a string value under a string key, both
            # raw and shorter than 64 bytes, with no opcode before it and not a duplicate.
            if pos + 3 <= end and buf[pos] == 0 and expire_at == lru_idle == lfu_freq == -1:
                klen = buf[pos + 1]
                vpos = pos + 2 + klen
                if klen < 64 and vpos < end:
                    vend = vpos + 1 + buf[vpos]
                    if buf[vpos] < 64 and vend <= end:
                        key = buf[pos + 2:vpos]
                        if key not in data and key not in db_data:
                            data[key] = buf[vpos + 1:vend]
                            loaded += 1
                            r.pos = vend
                            if len(data) >= 65536:
                                batch.flush()
                                data = batch.data
                            continue
            kind = r.byte()
            if kind < 245:
                key = string()
                try:
                    val = string() if kind == 0 else value(kind)
                except _Empty:
                    report.empty_keys_skipped += 1
                    if report.empty_keys_skipped <= 10:
                        log("warning", "rdbLoadObject skipping empty key: "
                            + key.decode("utf-8", "replace"))
                    expire_at = lru_idle = lfu_freq = -1
                    continue
                if expire and expire_at != -1 and expire_at < now:
                    expired += 1
                else:
                    if key in data or key in db_data:
                        if not allow_dup:
                            raise R.RdbError(f"RDB has duplicated key '{key.decode('utf-8', 'replace')}' "
                                             f"in DB {batch.db.index}", key_start)
                        batch.flush()
                        data = batch.data
                        batch.db.delete(key)
                    data[key] = val
                    if expire_at != -1:
                        batch.expires[key] = expire_at
                    if lfu_freq >= 0 and use_lfu:
                        batch.freq[key] = lfu_minutes << 8 | lfu_freq
                    elif lru_idle >= 0 and not use_lfu:
                        batch.access[key] = lru_clock - lru_idle
                    loaded += 1
                    if len(data) >= 65536:
                        batch.flush()
                        data = batch.data
                expire_at = lru_idle = lfu_freq = -1
                continue
            if kind == R.OP_EXPIRETIME_MS:
                expire_at = r.ms_time()
            elif kind == R.OP_EXPIRETIME:
                expire_at = struct.unpack("<i", r.take(4))[0] * 1000
            elif kind == R.OP_SELECTDB:
                index = r.length()
                if index >= len(dbs):
                    raise R.RdbError("FATAL: Data file was created with a Redis server "
                                     f"configured to handle more than {len(dbs)} databases.",
                                     key_start)
                batch.flush()
                batch = _Batch(dbs[index])
                data = batch.data
                db_data = batch.db.data
            elif kind == R.OP_RESIZEDB:
                r.length()
                r.length()
            elif kind == R.OP_IDLE:
                lru_idle = r.length()
            elif kind == R.OP_FREQ:
                lfu_freq = r.byte()
            elif kind == R.OP_AUX:
                _aux(string(), string(), report, log)
            elif kind == R.OP_EOF:
                break
            elif kind == R.OP_MODULE_AUX:
                mid = r.length()
                raise R.RdbError("The RDB file contains AUX module data I can't load: no "
                                 f"matching module '{module_name(mid)}'", key_start)
            elif kind in (R.OP_FUNCTION, R.OP_FUNCTION2):
                code = _function_code(r, kind)
                if functions is None:
                    _skip_function(code, report, log)
                else:
                    error = functions(code)
                    if error is not None:
                        log("warning", f"Failed loading library, {error}")
                        raise R.RdbError(f"Failed loading library, {error}", key_start)
            else:
                raise _Corrupt(f"Unknown RDB encoding type {kind}")
        batch.flush()
        eof = r.pos
        if version >= 5:
            stored = int.from_bytes(r.take(8), "little")
            if checksum:
                if stored == 0:
                    log("warning", "RDB file was saved with checksum disabled: no check "
                        "performed.")
                else:
                    expected = crc64(memoryview(buf)[:eof])
                    if expected != stored:
                        log("warning", f"Wrong RDB checksum expected: ({expected:x}) but got "
                            f"({stored:x}). Aborting now.")
                        raise R.RdbError("RDB CRC error", r.pos)
        report.end = r.pos
    except _Short:
        batch.flush()
        raise R.RdbError("Unexpected EOF reading RDB file", r.pos) from None
    except _Corrupt as e:
        batch.flush()
        raise R.RdbError(str(e), key_start) from None
    finally:
        report.keys_loaded = loaded
        report.keys_expired = expired
    if report.empty_keys_skipped:
        log("warning", f"Done loading RDB, keys loaded: {report.keys_loaded}, keys expired: "
            f"{report.keys_expired}, empty keys skipped: {report.empty_keys_skipped}.")
    else:
        log("notice", f"Done loading RDB, keys loaded: {report.keys_loaded}, keys expired: "
            f"{report.keys_expired}.")
    return report


def _aux(key: bytes, val: bytes, report: LoadReport, log: Log) -> None:
    report.aux[key] = val
    text = val.decode("utf-8", "replace")
    name = key.decode("utf-8", "replace")
    if name.startswith("%"):
        log("notice", f"RDB '{name}': {text}")
    elif name == "redis-ver":
        log("notice", f"Loading RDB produced by version {text}")
    elif name == "ctime":
        try:
            age = max(int(time.time()) - int(text), 0)
        except ValueError:
            age = 0
        log("notice", f"RDB age {age} seconds")
    elif name == "used-mem":
        try:
            log("notice", f"RDB memory usage when created {int(text) / (1024 * 1024):.2f} Mb")
        except ValueError:
            pass
    elif name == "aof-preamble" and text not in ("", "0"):
        log("notice", "RDB has an AOF tail")
    elif name == "aof-base" and text not in ("", "0"):
        log("notice", "RDB is base AOF")


def _function_code(r: _Reader, kind: int) -> bytes:
    """A library's code (FUNCTION LOAD's argument). Release candidates of 7.0 saved the name,
    engine and description apart; rdbFunctionLoad puts them back in a shebang line."""
    if kind == R.OP_FUNCTION:
        name = bytes(r.string())
        engine = bytes(r.string())
        if r.length():
            r.string()  # the description, which the shebang has no place for
        return b"#!%b name=%b\n%b" % (engine, name, bytes(r.string()))
    return bytes(r.string())


def _skip_function(code: bytes, report: LoadReport, log: Log) -> None:
    """A function library with nowhere to go (no FUNCTION engine given), skipped by name."""
    first = code.split(b"\n", 1)[0].decode("utf-8", "replace")
    name = next((w[5:] for w in first.split() if w.startswith("name=")), "?")
    report.functions_skipped.append(name)
    log("warning", f"Skipping function library '{name}' found in the RDB file")
