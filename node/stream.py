"""The stream value (Redis's t_stream.c data structure): entries by ID, trimming, consumer
groups and their pending entries lists (PELs).

IDs. An ID `ms-seq` is the int `ms << 64 | seq`, so IDs compare, sort and step exactly as
Redis's 128-bit big-endian IDs do (`+ 1` carries a full sequence into the next millisecond).
`parse_id` reads client IDs with Redis's quirks (string2ull falls back to strtoull, so `01`,
`+1` and ` 1` are accepted); `format_id` writes them.

Entries. Order comes from a model of Redis's radix tree of listpack nodes: `nodes` lists the
`Node`s in ID order and `keys` their master IDs (the rax keys) for bisection; a node's `ids`
are its live entries in order and its `flats`, in step, their flat field/value tuples (tuples
of bytes, which the garbage collector soon stops tracking, so huge streams cost collections
nothing). An entry whose one field is its node's one master field, XADD's usual form, is held
as its value alone, the bytes object: a tuple would cost an allocation and 56 bytes more per
entry (`Node.entry` and `items` give the tuple). Only the last node is appended to: the others
hold tuples instead of lists, which the collector stops tracking as well, so its full
collections no longer walk every entry of a long stream. There is no dict by ID: Python
hashes the int `ms << 64 | seq` as 8 * ms + seq, so the IDs of a stream fed more than 8
entries a millisecond would share hashes in long probe chains, and its slots and resizes cost
more memory than the lists. A node also tracks what its listpack would hold: the master
fields, the number of deleted entries still inside it (tombstones), the last ID ever appended
and its exact size in bytes as listpack.c encodes it (counted when needed: see
`Stream.append_pair`). So XADD opens a new node exactly when
Redis does (`stream-node-max-bytes`, `stream-node-max-entries`, counting tombstones), `~`
trimming removes the same whole nodes, a node whose last live entry is XDEL'ed goes away while
one emptied by MINID trimming stays, and XINFO's `radix-tree-keys` / `radix-tree-nodes` are
Redis's.
An append costs two list appends and a bound on the new entry's bytes; lookups bisect the
node keys, then one node (at most stream-node-max-entries IDs).

Consumer groups (`groups`, created on first use) keep Redis's fields: last delivered ID, the
logical `entries_read` counter (-1 when unknown), a PEL (`SortedDict` ID -> `Nack`) and the
consumers, each with its own PEL sharing the group's `Nack` objects. Groups and consumers are
listed in name order (Redis keeps them in radix trees), PELs in ID order.

Known differences: none in replies or in the structure above. The entries a listpack keeps
flagged deleted are not kept here (only counted), so DEBUG OBJECT's serializedlength, exact
otherwise (node/commands/streams.py rebuilds the listpacks byte for byte), counts a node with
tombstones uncompressed; MEMORY USAGE measures this model, not Redis's allocations.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Iterator

from sortedcontainers import SortedDict

from node.errors import CommandError
from node.numbers import is_int
from node.replies import NULL_ARRAY

U64 = (1 << 64) - 1
MAX_ID = (1 << 128) - 1
INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
LISTPACK_MAX = 1 << 30  # STREAM_LISTPACK_MAX_SIZE
NOT_READ = -1  # SCG_INVALID_ENTRIES_READ: a group's entries_read is unknown


# -- IDs ---------------------------------------------------------------------------------------


def format_id(sid: int) -> bytes:
    return b"%d-%d" % (sid >> 64, sid & U64)


# XADD replies with the ID it picked, hundreds of times a millisecond under load: the `ms-`
# part is formatted once per millisecond and small sequence numbers come from a table, which
# halves the cost of formatting them. (One tuple, rebound whole: atomic for any thread.)
_SEQ_TEXT = tuple(b"%d" % seq for seq in range(1024))
_ms_text = (-1, b"")


def id_text(ms: int, seq: int) -> bytes:
    """`ms-seq`: format_id for an ID already split in its two parts."""
    global _ms_text
    cached = _ms_text
    if cached[0] != ms:
        cached = _ms_text = (ms, b"%d-" % ms)
    return cached[1] + (_SEQ_TEXT[seq] if seq < 1024 else b"%d" % seq)


_U64_TEXT = re.compile(rb"[ \t\n\v\f\r]*([+-]?)([0-9]+)\Z")
_LL_NEGATIVE = re.compile(rb"-[1-9][0-9]*\Z")


def _u64(text: bytes) -> int:
    """string2ull: string2ll (refusing negatives), else strtoull; -1 when neither reads it."""
    m = _U64_TEXT.match(text)
    if m is None:
        return -1
    value = int(m.group(2))
    if value > U64:
        return -1  # ERANGE
    if m.group(1) == b"-":
        if value <= 1 << 63 and _LL_NEGATIVE.match(text):
            return -1  # string2ll read a negative number
        return -value & U64  # strtoull negates modulo 2**64
    return value


def parse_id(arg: bytes, missing_seq: int = 0, strict: bool = False,
             seq_star: bool = False) -> tuple[int, bool]:
    """streamGenericParseIDOrReply: (ID, whether the sequence was given).

    `-` and `+` are the smallest and largest IDs unless `strict`; `ms` alone takes
    `missing_seq`; `ms-*` is accepted when `seq_star` (XADD), with the sequence left to pick.
    """
    if len(arg) > 127:
        raise CommandError(INVALID_ID)
    text = arg.split(b"\0", 1)[0] if b"\0" in arg else arg  # Redis parses a C string
    if text == b"-" or text == b"+":
        if strict:
            raise CommandError(INVALID_ID)
        return (0 if text == b"-" else MAX_ID), True
    ms_text, dash, seq_text = text.partition(b"-")
    ms = _u64(ms_text)
    if ms < 0:
        raise CommandError(INVALID_ID)
    if not dash:
        return ms << 64 | missing_seq, True
    if seq_star and seq_text == b"*":
        return ms << 64, False
    seq = _u64(seq_text)
    if seq < 0:
        raise CommandError(INVALID_ID)
    return ms << 64 | seq, True


def parse_interval(arg: bytes, missing_seq: int) -> tuple[int, bool]:
    """streamParseIntervalIDOrReply: (ID, exclusive) for a range bound, `(` meaning open."""
    if len(arg) > 1 and arg[0] == 40:  # "("
        return parse_id(arg[1:], missing_seq, strict=True)[0], True
    return parse_id(arg, missing_seq)[0], False


# -- listpack sizes (listpack.c), for node boundaries --------------------------------------------


def _int_size(v: int) -> int:
    """Bytes of an integer listpack element: encoding plus its one-byte backlen."""
    if 0 <= v <= 127:
        return 2
    if -4096 <= v <= 4095:
        return 3
    if -32768 <= v <= 32767:
        return 4
    if -8388608 <= v <= 8388607:
        return 5
    if -2147483648 <= v <= 2147483647:
        return 6
    return 10


def _elem_size(s: bytes) -> int:
    """Bytes of a string listpack element (stored as an integer when it reads as one)."""
    n = len(s)
    if n < 21 and n and (48 <= s[0] <= 57 or s[0] == 45) and is_int(s):
        return _int_size(int(s))
    if n < 64:
        return n + 2
    enc = n + (2 if n < 4096 else 5)
    if enc <= 127:
        return enc + 1
    if enc < 16383:
        return enc + 2
    if enc < 2097151:
        return enc + 3
    return enc + (4 if enc < 268435455 else 5)


def _delta_size(delta: int) -> int:
    # The ID deltas are stored as int64: a negative sequence delta wraps, as in C.
    delta &= U64
    return _int_size(delta - (1 << 64) if delta >= 1 << 63 else delta)


def _id_size(node: Node, ms: int, seq: int) -> int:
    """Bytes of an entry's flags and ID deltas from its node's master ID."""
    delta = ms - node.ms
    size = 4 if delta < 128 else 2 + _delta_size(delta)
    delta = seq - node.seq
    return size + (2 if 0 <= delta < 128 else _delta_size(delta))


# The most bytes an entry of one value under the master field takes beyond the value's
# length: flags and ms delta 12, seq delta 10, the value's header and backlen 10, lp-count 2.
_PAIR_OVERHEAD_MAX = 34


# -- the structure -------------------------------------------------------------------------------


class Node:
    """One listpack of Redis's radix tree: `key` is its master ID, `ids` its live entries."""

    __slots__ = ("key", "ms", "seq", "ids", "flats", "fields", "deleted", "last", "base",
                 "unsized", "upper")

    def __init__(self, key: int, fields: tuple) -> None:
        self.key = key
        self.ms = key >> 64
        self.seq = key & U64
        # Lists in the last node, tuples in the others (see `close`).
        self.ids: list[int] | tuple[int, ...] = []
        # ids[i]'s field/value tuple, or its value alone (see the module docstring).
        self.flats: list[tuple | bytes] | tuple[tuple | bytes, ...] = []
        self.fields = fields  # the master entry's field names
        self.deleted = 0  # entries flagged deleted, still inside the listpack
        self.last = key  # the last ID appended, deleted or not (MINID trimming reads it)
        # The listpack's bytes except the live/deleted counters, whose size varies:
        # header and end byte, master field count, fields and terminator.
        self.base = 9 + _int_size(len(fields)) + sum(map(_elem_size, fields))
        # The last `unsized` entries, each a value under the master field, are not counted in
        # `base` yet, only bounded: `upper` is at least their bytes (see Stream.append_pair).
        self.unsized = 0
        self.upper = 0

    def settle(self) -> None:
        """Count the unsized entries into `base`; done before anything reads it or removes
        an entry."""
        ids, flats = self.ids, self.flats
        size = 0
        for k in range(len(ids) - self.unsized, len(ids)):
            sid = ids[k]
            size += _id_size(self, sid >> 64, sid & U64) + _elem_size(flats[k]) + 2
        self.base += size
        self.unsized = self.upper = 0

    def entry(self, k: int) -> tuple:
        """The field/value tuple of the entry at position `k`."""
        flat = self.flats[k]
        return flat if flat.__class__ is tuple else (self.fields[0], flat)

    def nbytes(self) -> int:
        if self.unsized:
            self.settle()
        return self.base + _int_size(len(self.ids)) + _int_size(self.deleted)

    def close(self) -> None:
        """A node is no longer the last one: its entries become tuples (see the module
        docstring); deletions then rebuild them."""
        self.ids = tuple(self.ids)
        self.flats = tuple(self.flats)

    def reopen(self) -> None:
        """The node is the last one again (the one after it went away): appendable lists."""
        self.ids = list(self.ids)
        self.flats = list(self.flats)

    def copy(self) -> "Node":
        other = Node.__new__(Node)
        other.key, other.ms, other.seq = self.key, self.ms, self.seq
        other.ids, other.fields = self.ids[:], self.fields
        other.flats = self.flats[:]  # the tuples are immutable: shared
        other.deleted, other.last, other.base = self.deleted, self.last, self.base
        other.unsized, other.upper = self.unsized, self.upper
        return other


class Nack:
    """A pending entry: delivered to `consumer`, not acknowledged yet."""

    __slots__ = ("delivery_time", "delivery_count", "consumer")

    def __init__(self, delivery_time: int, delivery_count: int,
                 consumer: "Consumer | None") -> None:
        self.delivery_time = delivery_time
        self.delivery_count = delivery_count
        self.consumer = consumer


class Consumer:
    __slots__ = ("name", "seen_time", "pel")

    def __init__(self, name: bytes, seen_time: int) -> None:
        self.name = name
        self.seen_time = seen_time
        self.pel: SortedDict = SortedDict()  # ID -> Nack (shared with the group's PEL)


class Group:
    __slots__ = ("last_id", "entries_read", "pel", "consumers")

    def __init__(self, last_id: int, entries_read: int) -> None:
        self.last_id = last_id
        self.entries_read = entries_read
        self.pel: SortedDict = SortedDict()  # ID -> Nack
        self.consumers: dict[bytes, Consumer] = {}

    def consumer(self, name: bytes, now: int) -> Consumer:
        """The consumer `name`, created if missing; seen now (streamLookupConsumer)."""
        consumer = self.consumers.get(name)
        if consumer is None:
            consumer = self.consumers[name] = Consumer(name, now)
        else:
            consumer.seen_time = now
        return consumer

    def remove_nack(self, sid: int) -> None:
        nack = self.pel.pop(sid)
        if nack.consumer is not None:
            del nack.consumer.pel[sid]


class Stream:
    """A Redis stream; see the module docstring."""

    __slots__ = ("nodes", "keys", "length", "last_id", "first_id", "max_deleted",
                 "entries_added", "groups")

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.keys: list[int] = []  # nodes[i].key, for bisection
        self.length = 0
        self.last_id = 0
        self.first_id = 0  # recorded-first-entry-id
        self.max_deleted = 0  # max-deleted-entry-id
        self.entries_added = 0
        self.groups: dict[bytes, Group] | None = None

    def __len__(self) -> int:
        return self.length

    # -- appending ---------------------------------------------------------------------------

    def append(self, sid: int, ms: int, seq: int, flat: tuple, max_bytes: int,
               max_entries: int, elements_len: int) -> None:
        """streamAppendItem for an ID (`ms`-`seq`) already checked to be above `last_id`.

        `flat` is the field/value tuple; `elements_len` their total length (totelelen).
        This is XADD's hot path: the listpack size arithmetic is inlined for small values.
        """
        nodes = self.nodes
        node = nodes[-1] if nodes else None
        if node is not None:
            live = len(node.ids)
            deleted = node.deleted
            if max_entries and live + deleted >= max_entries:
                node = None  # full by entries: its size may stay unsettled until read
            else:
                if node.unsized:
                    node.settle()
                if not max_bytes or max_bytes > LISTPACK_MAX:
                    max_bytes = LISTPACK_MAX
                lp_bytes = (node.base + (2 if live < 128 else _int_size(live))
                            + (2 if deleted < 128 else _int_size(deleted)))
                if lp_bytes + elements_len >= max_bytes:
                    node = None
        fields = flat[0::2]
        if node is None:
            if nodes:
                nodes[-1].close()
            node = Node(sid, fields)
            nodes.append(node)
            self.keys.append(sid)
            same = True
        else:
            same = fields == node.fields
        # flags, ms delta, seq delta, [field count, fields,] values, lp-count
        size = _id_size(node, ms, seq)
        nfields = len(fields)
        for item in flat[1::2] if same else flat:
            n = len(item)
            # _elem_size's commonest case first (a short string that cannot be an integer:
            # one header byte and one backlen byte), saving a call per item.
            size += n + 2 if 0 < n < 64 and (item[0] > 57 or item[0] < 45) else _elem_size(item)
        if same:
            size += 2 if nfields < 125 else _int_size(nfields + 3)
        else:
            size += _int_size(nfields) + _int_size(2 * nfields + 4)
        node.base += size
        self._appended(node, sid, flat[1] if same and nfields == 1 else flat)

    def _appended(self, node: Node, sid: int, flat: tuple | bytes) -> None:
        """The entry `sid` went into `node` (last of `nodes`), its size counted already."""
        node.ids.append(sid)  # (the last node's are lists)
        node.flats.append(flat)
        node.last = sid
        self.length += 1
        self.entries_added += 1
        self.last_id = sid
        if self.length == 1:
            self.first_id = sid

    def append_pair(self, sid: int, ms: int, seq: int, field: bytes, value: bytes,
                    max_bytes: int, max_entries: int) -> None:
        """`append` of one field/value pair, XADD's usual form.

        An entry that joins the last node under its master field is counted only by a bound
        while the node is far enough from `max_bytes` that the exact count could not change
        Redis's choice to open a new node; `settle` counts it when needed. Most nodes fill by
        entries (stream-node-max-entries) long before that, and are counted only if a deletion
        or a reader of their size comes later. Any other case is left to `append`.
        """
        nodes = self.nodes
        if nodes:
            node = nodes[-1]
            count = len(node.ids) + node.deleted
            fields = node.fields
            # count < 128: both listpack counters take 2 bytes (the `+ 4`).
            if (count < 128 and len(fields) == 1 and fields[0] == field
                    and (not max_entries or count < max_entries)):
                if not max_bytes or max_bytes > LISTPACK_MAX:
                    max_bytes = LISTPACK_MAX
                n = len(value)
                upper = node.upper
                if node.base + upper + 4 + len(field) + n < max_bytes:
                    node.upper = upper + n + _PAIR_OVERHEAD_MAX
                    node.unsized += 1
                    self._appended(node, sid, value)
                    return
        self.append(sid, ms, seq, (field, value), max_bytes, max_entries, len(field) + len(value))

    # -- lookups -----------------------------------------------------------------------------

    def items(self, start: int = 0, end: int = MAX_ID,
              reverse: bool = False) -> Iterator[tuple[int, tuple]]:
        """(ID, field/value tuple) of the live entries in [start, end], in either order."""
        nodes = self.nodes
        if not reverse:
            i = max(bisect_right(self.keys, start) - 1, 0)
            j = bisect_left(nodes[i].ids, start) if nodes else 0
            for i in range(i, len(nodes)):
                node = nodes[i]
                ids, flats = node.ids, node.flats
                field = node.fields[0] if node.fields else None
                for k in range(j, len(ids)):
                    sid = ids[k]
                    if sid > end:
                        return
                    flat = flats[k]
                    yield sid, flat if flat.__class__ is tuple else (field, flat)
                j = 0
        else:
            i = bisect_right(self.keys, end) - 1
            while i >= 0:
                node = nodes[i]
                ids, flats = node.ids, node.flats
                field = node.fields[0] if node.fields else None
                for k in range(bisect_right(ids, end) - 1, -1, -1):
                    sid = ids[k]
                    if sid < start:
                        return
                    flat = flats[k]
                    yield sid, flat if flat.__class__ is tuple else (field, flat)
                i -= 1

    def range(self, start: int, end: int, count: int = 0, reverse: bool = False) -> list:
        """Entries in [start, end] as XRANGE replies them; `count` 0 means all."""
        out = []
        for sid, flat in self.items(start, end, reverse):
            out.append([format_id(sid), flat])
            if len(out) == count:
                break
        return out

    def _find(self, sid: int) -> tuple[int, int]:
        """Where the live entry `sid` is: (node index, position in the node), or (-1, -1)."""
        i = bisect_right(self.keys, sid) - 1
        if i >= 0:
            ids = self.nodes[i].ids
            k = bisect_left(ids, sid)
            if k < len(ids) and ids[k] == sid:
                return i, k
        return -1, -1

    def flat(self, sid: int) -> tuple | None:
        """The field/value tuple of the entry `sid`; None if there is none."""
        i, k = self._find(sid)
        return None if i < 0 else self.nodes[i].entry(k)

    def first_valid(self) -> int:
        for node in self.nodes:
            if node.ids:
                return node.ids[0]
        return 0

    def last_valid(self) -> int:
        """streamLastValidID: the newest live entry's ID (0 when empty)."""
        for node in reversed(self.nodes):
            if node.ids:
                return node.ids[-1]
        return 0

    # -- removing ----------------------------------------------------------------------------

    def delete(self, sid: int) -> bool:
        """streamDeleteItem: flag one entry deleted (dropping its node when it was the last
        live one); True if it existed."""
        i, k = self._find(sid)
        if i < 0:
            return False
        node = self.nodes[i]
        ids = node.ids
        if len(ids) == 1:
            del self.nodes[i]
            del self.keys[i]
            if i == len(self.nodes) and i:
                self.nodes[-1].reopen()
        else:
            if node.unsized:
                node.settle()
            # Slices, as a closed node's entries are tuples.
            node.ids = ids[:k] + ids[k + 1:]
            node.flats = node.flats[:k] + node.flats[k + 1:]
            node.deleted += 1
        self.length -= 1
        return True

    def trim(self, maxlen: int | None, minid: int, approx: bool, limit: int) -> int:
        """streamTrim by MAXLEN (`maxlen` not None) or MINID; returns entries removed.

        Whole nodes go first; unless `approx`, the entries still in excess in the next node are
        flagged deleted. `limit` (0: none) caps the entries removed, in whole nodes.
        """
        nodes = self.nodes
        deleted = 0
        gone = 0  # whole nodes removed from the head
        for node in nodes:
            if maxlen is not None and self.length <= maxlen:
                break
            live = len(node.ids)
            if limit and deleted + live > limit:
                break
            if (self.length - live >= maxlen) if maxlen is not None else node.last < minid:
                self.length -= live
                deleted += live
                gone += 1
                continue
            if approx:
                break
            if node.unsized:
                node.settle()
            ids = node.ids
            k = self.length - maxlen if maxlen is not None else bisect_left(ids, minid)
            node.ids = ids[k:]  # (slices, as a closed node's entries are tuples)
            node.flats = node.flats[k:]
            node.deleted += k
            self.length -= k
            deleted += k
            break
        if gone:
            del nodes[:gone]
            del self.keys[:gone]
        if self.length == 0:
            self.first_id = 0
        elif deleted:
            self.first_id = self.first_valid()
        return deleted

    # -- consumer group bookkeeping ----------------------------------------------------------

    def tombstone_after(self, start: int) -> bool:
        """streamRangeHasTombstones(start, +): may a deleted entry lie at or after `start`?"""
        md = self.max_deleted
        if not self.length or not md or self.first_id > md:
            return False
        return start <= md

    def estimate_read(self, sid: int) -> int:
        """streamEstimateDistanceFromFirstEverEntry: the entries_read counter of `sid`, or
        NOT_READ when it cannot be known."""
        if not self.entries_added:
            return 0
        if not self.length and sid <= self.last_id:
            return self.entries_added
        if sid == self.last_id:
            return self.entries_added
        if sid > self.last_id:
            return NOT_READ
        if not self.max_deleted or self.max_deleted < self.first_id:
            if sid < self.first_id:
                return self.entries_added - self.length
            if sid == self.first_id:
                return self.entries_added - self.length + 1
        return NOT_READ

    def lag(self, group: Group) -> int | None:
        """streamReplyWithCGLag: entries not yet delivered to `group`, None if unknown."""
        if not self.entries_added:
            return 0
        if group.entries_read != NOT_READ and not self.tombstone_after(group.last_id):
            return self.entries_added - group.entries_read
        read = self.estimate_read(group.last_id)
        return None if read == NOT_READ else self.entries_added - read

    def read_group(self, group: Group, consumer: Consumer, start: int, count: int,
                   noack: bool, now: int) -> list:
        """XREADGROUP `>`: entries from `start` on, advancing the group and, unless `noack`,
        adding them to the PELs (taking over any pending entry of another consumer)."""
        gpel, cpel = group.pel, consumer.pel
        out = []
        for sid, flat in self.items(start):
            if sid > group.last_id:
                if group.entries_read != NOT_READ and not self.tombstone_after(sid):
                    group.entries_read += 1
                elif self.entries_added:
                    group.entries_read = self.estimate_read(sid)
                group.last_id = sid
            out.append([format_id(sid), flat])
            if not noack:
                nack = gpel.get(sid)
                if nack is None:
                    nack = gpel[sid] = Nack(now, 1, consumer)
                else:
                    del nack.consumer.pel[sid]
                    nack.consumer = consumer
                    nack.delivery_time = now
                    nack.delivery_count = 1
                cpel[sid] = nack
            if len(out) == count:
                break
        return out

    def read_history(self, consumer: Consumer, start: int, count: int, now: int) -> list:
        """XREADGROUP with an ID: the consumer's pending entries from `start` on, counted as
        delivered again; an entry deleted since is `[id, nil]`."""
        pel = consumer.pel
        out: list = []
        for sid in pel.irange(minimum=start):
            if count and len(out) == count:
                break
            flat = self.flat(sid)
            if flat is None:
                out.append([format_id(sid), NULL_ARRAY])
                continue
            nack = pel[sid]
            nack.delivery_time = now
            nack.delivery_count += 1
            out.append([format_id(sid), flat])
        return out

    # -- copying -----------------------------------------------------------------------------

    def copy(self) -> "Stream":
        other = Stream()
        other.nodes = [node.copy() for node in self.nodes]
        other.keys = self.keys[:]
        other.length, other.last_id, other.first_id = self.length, self.last_id, self.first_id
        other.max_deleted, other.entries_added = self.max_deleted, self.entries_added
        if self.groups is not None:
            other.groups = {name: _copy_group(g) for name, g in self.groups.items()}
        return other


def _copy_group(group: Group) -> Group:
    other = Group(group.last_id, group.entries_read)
    consumers = {}
    for name, c in group.consumers.items():
        consumers[id(c)] = other.consumers[name] = Consumer(name, c.seen_time)
    for sid, nack in group.pel.items():
        owner = consumers.get(id(nack.consumer))
        copy = other.pel[sid] = Nack(nack.delivery_time, nack.delivery_count, owner)
        if owner is not None:
            owner.pel[sid] = copy
    return other


# -- the radix tree's node count (XINFO radix-tree-nodes) ----------------------------------------


def rax_nodes(keys: list[int]) -> int:
    """How many nodes Redis's rax holds for these 16-byte keys.

    rax keeps a canonical compressed trie for keys of equal length (insertion splits
    compressed nodes and deletion re-compresses chains): one node per branching position,
    one per compressed chain (a position whose parent branches but that does not branch
    itself), one per key (the empty node a key ends at) and the root.
    """
    if not keys:
        return 1
    return _subtree([k.to_bytes(16, "big") for k in keys], 0)


def _subtree(keys: list[bytes], depth: int) -> int:
    # Nodes of the subtree whose first node starts at `depth`; `keys` sorted, sharing
    # their first `depth` bytes.
    if len(keys) == 1:
        return 1 if depth == 16 else 2  # the key node, after a compressed chain if any
    first, last = keys[0], keys[-1]
    common = depth
    while first[common] == last[common]:
        common += 1
    nodes = 1 if common == depth else 2  # the branching node, after a chain if any
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i][common] != keys[start][common]:
            nodes += _subtree(keys[start:i], common + 1)
            start = i
    return nodes
