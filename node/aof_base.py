"""An AOF base file made of commands: the dataset as the writes that rebuild it.

This is Redis's `rewriteAppendOnlyFileRio` (aof-use-rdb-preamble no): per database a
SELECT, then per key the commands that recreate its value — SET for strings (counters and
HyperLogLogs are strings), RPUSH / SADD / ZADD / HMSET in batches of 64 items (an intset's
members in numeric order, scores as `%.17g`, as Redis's rioWriteBulkDouble), and for
streams XADD per entry (or the `XADD MAXLEN 0` trick for an empty stream), XSETID with
ENTRIESADDED and MAXDELETEDID, XGROUP CREATE ... ENTRIESREAD per group, XCLAIM ... TIME
RETRYCOUNT JUSTID FORCE per pending entry and XGROUP CREATECONSUMER for consumers without
any — then PEXPIREAT for a key with a deadline. Keys whose deadline has already passed are
left out.

It runs in the forked rewrite child (and at start-up, to create the first base), writing to a
buffered file; with aof-rewrite-incremental-fsync the data is fsynced every 4 MiB, so the
final fsync does not have to push one huge burst to the disk.
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO, Iterator

from hiredis import pack_command

from node.digest import score_text
from node.keyspace import Keyspace
from node.stream import Stream, format_id

ITEMS_PER_CMD = 64  # AOF_REWRITE_ITEMS_PER_CMD
AUTOSYNC_BYTES = 4 << 20  # REDIS_AUTOSYNC_BYTES


def _batches(key: bytes, name: bytes, items: list, width: int) -> Iterator[list]:
    step = ITEMS_PER_CMD * width
    for i in range(0, len(items), step):
        yield [name, key, *items[i:i + step]]


def value_commands(key: bytes, value: Any) -> Iterator[list]:
    """The commands that recreate `value` at `key` (no expiry)."""
    kind = value.__class__.__name__
    if kind in ("bytes", "bytearray"):
        yield [b"SET", key, bytes(value)]
    elif kind == "int":  # a counter kept as Redis's int encoding
        yield [b"SET", key, b"%d" % value]
    elif kind == "ListValue":
        yield from _batches(key, b"RPUSH", list(value), 1)
    elif kind == "SetValue":
        from node.commands.sets import ordered  # here: the command modules import node.aof

        yield from _batches(key, b"SADD", ordered(value), 1)
    elif kind == "ZSet":
        flat: list = []
        for score, member in value.ordered:
            flat.append(score_text(score))
            flat.append(member)
        yield from _batches(key, b"ZADD", flat, 2)
    elif kind == "HashValue":
        flat = []
        for field, item in value.items():
            flat.append(field)
            flat.append(bytes(item))
        yield from _batches(key, b"HMSET", flat, 2)
    elif kind == "Stream":
        yield from stream_commands(key, value)
    else:
        raise TypeError(f"no AOF rewrite for values of type {kind}")


def stream_commands(key: bytes, s: Stream) -> Iterator[list]:
    """rewriteStreamObject."""
    if s.length:
        for sid, flat in s.items():
            yield [b"XADD", key, format_id(sid), *flat]
    else:
        yield [b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]
    yield [b"XSETID", key, format_id(s.last_id), b"ENTRIESADDED", b"%d" % s.entries_added,
           b"MAXDELETEDID", format_id(s.max_deleted)]
    for name in sorted(s.groups or ()):
        group = s.groups[name]  # type: ignore[index]
        yield [b"XGROUP", b"CREATE", key, name, format_id(group.last_id),
               b"ENTRIESREAD", b"%d" % group.entries_read]
        for cname in sorted(group.consumers):
            consumer = group.consumers[cname]
            if not consumer.pel:
                yield [b"XGROUP", b"CREATECONSUMER", key, name, cname]
                continue
            for sid, nack in consumer.pel.items():
                yield [b"XCLAIM", key, name, cname, b"0", format_id(sid),
                       b"TIME", b"%d" % nack.delivery_time,
                       b"RETRYCOUNT", b"%d" % nack.delivery_count, b"JUSTID", b"FORCE"]


def write_commands(keyspace: Keyspace, f: BinaryIO, incremental_fsync: bool = False,
                   functions: list[bytes] | None = None) -> int:
    """Write the whole dataset as commands to `f`, the function libraries' FUNCTION LOADs
    first (rewriteFunctions); returns the bytes written."""
    now = keyspace.now
    written = synced = 0
    out = [pack_command((b"FUNCTION", b"LOAD", code)) for code in functions or ()]
    size = 0
    for db in keyspace.dbs:
        if not db.data:
            continue
        out.append(pack_command((b"SELECT", b"%d" % db.index)))
        expires = db.expires
        for key, value in list(db.data.items()):
            when = expires.get(key) if expires else None
            if when is not None and when < now:
                continue
            for argv in value_commands(key, value):
                chunk = pack_command(tuple(argv))
                out.append(chunk)
                size += len(chunk)
            if when is not None:
                out.append(pack_command((b"PEXPIREAT", key, b"%d" % when)))
            if size >= 1 << 16:
                data = b"".join(out)
                f.write(data)
                written += len(data)
                out.clear()
                size = 0
                if incremental_fsync and written - synced >= AUTOSYNC_BYTES:
                    f.flush()
                    os.fdatasync(f.fileno())
                    synced = written
    data = b"".join(out)
    f.write(data)
    return written + len(data)
