"""The one point every write leaves the node through; the AOF and replication hang off it.

As in Redis's `call()`, a command that moved the keyspace's change counter (`dirty`) is
propagated after it ran, in the form that replays identically: a handler whose own argv would
not (relative TTLs, random choices, blocking forms, float arithmetic) calls
`ctx.propagate_as(...)` with the concrete writes it made. Keys that expire are propagated as
`DEL`, so replicas and the AOF never expire anything on their own clock. A `SELECT` goes out
whenever the stream's database changes.

Atomic units: as Redis 7.0's propagatePendingCommands, what one top-level command wrote goes
out wrapped in `MULTI`/`EXEC` when it is more than one command (an `EXEC`'s queue, an `SPOP`
with a count rewritten as one `SREM` per member, an `XREADGROUP` as its `XCLAIM`s), so a
replica or an AOF load applies it all or nothing; a single write goes out bare, even from an
`EXEC`. The first write of a unit is therefore held back until a second one shows it needs the
wrapping, or the unit ends (`begin_exec`/`end_exec`). A unit opened inside another one (the
rewrite of a command an `EXEC` runs) joins it: Redis does not nest them. The `DEL` of a key
a command's lookup found past its deadline belongs to that command's unit too (`lazy_deletion`):
`SET k v` on such a key goes out as `MULTI`, `DEL k`, `SET k v`, `EXEC`, and a command that
then writes nothing (a `GET`, a `SET ... XX`) leaves the `DEL` alone. The command's caller
closes that unit (`end_command_unit`); the active expiry's and the evictions' deletions, made
outside any command, go out bare.

Propagated commands are RESP-encoded (`encode`) into one buffer per event-loop tick; at the end of the tick the buffer goes to every sink at once (the AOF writer,
the replication backlog), in one call each. `offset` counts every byte ever propagated: it is
the replication offset (`master_repl_offset`). With no sink attached nothing is encoded.

Verbatim batches: re-encoding every write costs a Python node about as much as a third of
executing it, so a client's pipelined batch of writes is passed on as the very bytes it sent
when that is exactly what encoding would give: the connection opens a batch when hiredis sat
at a request boundary (`Client.data_received`), the batch collects the client's propagated
argvs unencoded, and closes verbatim if every request of the chunk was propagated as it came
(no reads, failed or rewritten writes, SELECT/MULTI, nor anything else propagated in between)
and the chunk ended on a boundary. Otherwise, or as soon as anything else must enter the
stream, the collected argvs are encoded in order (`spill`). Clients send canonical RESP, so
the bytes are the same either way; a non-canonical but valid request replays the same.

On a replica the stream is its primary's, byte for byte (`feed`), so that its offsets are the
primary's and its own replicas can carry on from it after a failover (Redis's PSYNC2); its
own commands are then not propagated (`upstream`), as Redis does not pass a writable
replica's local writes on.
"""

from __future__ import annotations

import asyncio
from typing import Callable, Sequence

from hiredis import pack_command

from node.codec import BULK_HEADERS

Sink = Callable[[bytes], None]

_MULTI = pack_command((b"MULTI",))
_EXEC = pack_command((b"EXEC",))
_CRLF = b"\r\n"
_BH = BULK_HEADERS
_ARRAY_HEADERS = [b"*%d\r\n" % n for n in range(64)]


def encode(argv: Sequence[bytes]) -> bytes:
    """One command as RESP. Every write passes here: joining prebuilt headers costs about a
    third of what hiredis's pack_command does (it formats each length with sprintf)."""
    bh = BULK_HEADERS
    try:
        if len(argv) == 3:
            x, y, z = argv
            return b"".join((b"*3\r\n", bh[len(x)], x, _CRLF, bh[len(y)], y, _CRLF,
                             bh[len(z)], z, _CRLF))
        if len(argv) == 2:
            x, y = argv
            return b"".join((b"*2\r\n", bh[len(x)], x, _CRLF, bh[len(y)], y, _CRLF))
        parts = [_ARRAY_HEADERS[len(argv)]]
        for x in argv:
            parts += (bh[len(x)], x, _CRLF)
        return b"".join(parts)
    except (IndexError, TypeError):  # a long argument or list, an int or str argument
        return pack_command(tuple(bytes(a) if isinstance(a, (bytearray, memoryview)) else a
                                  for a in argv))


class Propagation:
    """The stream of propagated writes and the sinks that consume it once per tick."""

    def __init__(self) -> None:
        self.sinks: list[Sink] = []
        self.active = False  # a sink is attached: only then is anything encoded
        self.offset = 0  # bytes propagated since the node started (or since set_offset)
        self.queued = 0  # bytes waiting in this tick's buffer: offset + queued is the tail
        self.upstream = False  # a replica: the stream comes from `feed`, commands are local
        self._buf: list[bytes] = []
        self._db = -1  # the database the stream is on; -1 forces a SELECT before the next write
        self._multi_pending = False  # inside a unit, before its second write
        self._held: bytes | None = None  # a unit's first write, until it is known to be alone
        self._in_multi = False  # inside a unit, MULTI already emitted
        self.command_unit = False  # a unit a lazy deletion opened, until its command ends
        self._scheduled = False
        self.batch_owner: object | None = None  # the client whose verbatim batch is open
        self.batch: list[Sequence[bytes]] = []
        self.batch_db = -1
        # Called right after a tick's bytes reached the sinks (group commit writes replies).
        self.after_flush: list[Callable[[], None]] = []
        # Sinks that keep the dataset (the AOF), and the byte ranges of this tick's buffer
        # they skip: commands for the replicas alone (`replicate_only`).
        self._durable: list[Sink] = []
        self._repl_only: list[tuple[int, int]] = []

    # -- sinks -------------------------------------------------------------------------------

    def attach(self, sink: Sink, durable: bool = False) -> None:
        """Feed `sink` each tick's bytes; a `durable` one (the AOF) without the commands meant
        for the replicas alone."""
        self.sinks.append(sink)
        if durable:
            self._durable.append(sink)
        self.active = True

    def detach(self, sink: Sink) -> None:
        if sink in self.sinks:
            self.sinks.remove(sink)
        if sink in self._durable:
            self._durable.remove(sink)
        self.active = bool(self.sinks)

    @property
    def replicating(self) -> bool:
        """A sink other than the AOF is attached (the replication backlog)."""
        return len(self.sinks) > len(self._durable)

    @property
    def stream_db(self) -> int:
        """The database the stream is on (-1: the next write starts with a SELECT)."""
        return self._db

    def reselect(self) -> None:
        """Make the next write start with a SELECT (a new sink, or a new AOF file, begins)."""
        if self.batch_owner is not None:
            self.spill()
        self._db = -1

    # -- the stream --------------------------------------------------------------------------

    def command(self, db: int, argv: Sequence[bytes]) -> None:
        """Append one command that ran against database `db` (every write's path: lean)."""
        if db != self._db or self._multi_pending or self.upstream or self.batch_owner is not None:
            if not self._prefix(db):
                return
            if self._multi_pending:  # a unit's first write (its SELECT, if any, goes before)
                self._held = encode(argv)
                return
        if len(argv) == 3:  # encode(), inlined for the commonest shape (SET k v, HSET, ...)
            x, y, z = argv
            try:
                data = b"".join((b"*3\r\n", _BH[len(x)], x, _CRLF, _BH[len(y)], y, _CRLF,
                                 _BH[len(z)], z, _CRLF))
            except (IndexError, TypeError):
                data = encode(argv)
        else:
            data = encode(argv)
        self._buf.append(data)
        self.queued += len(data)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def _prefix(self, db: int) -> bool:
        """What goes before a command: a SELECT, a MULTI; False if nothing may go out."""
        if self.upstream:
            return False
        if self.batch_owner is not None:
            self.spill()
        buf = self._buf
        held = self._held
        if held is not None:  # a unit's second write: it needs the wrapping after all
            buf += (_MULTI, held)
            self.queued += len(_MULTI) + len(held)
            self._held = None
            self._multi_pending = False
            self._in_multi = True
        if db != self._db:
            select = pack_command((b"SELECT", b"%d" % db))
            buf.append(select)
            self.queued += len(select)
            self._db = db
        return True

    def replicate_only(self, db: int, argv: Sequence[bytes]) -> None:
        """A command for the replicas alone, as Redis's PROPAGATE_REPL (a PUBLISH, so that
        the replicas' subscribers hear it): it takes its place and its bytes in the stream
        and its offsets, and the AOF skips it."""
        if not self.replicating or not self._prefix(db):
            return
        data = encode(argv)
        start = self.queued
        self._buf.append(data)
        self.queued += len(data)
        self._repl_only.append((start, self.queued))
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def commands(self, db: int, argvs: Sequence[Sequence[bytes]]) -> None:
        """The writes one command made (its rewrite): one unit (see the module docstring)."""
        if len(argvs) > 1 and not self.in_exec:
            self.begin_exec()
            for argv in argvs:
                self.command(db, argv)
            self.end_exec()
            return
        for argv in argvs:
            self.command(db, argv)

    def lazy_deletion(self, db: int, argv: Sequence[bytes]) -> None:
        """A deletion the running command's lookup made (an expired key's DEL): the first
        write of the command's unit, unless a unit (EXEC, a script) is open already."""
        if not self.in_exec:
            self.begin_exec()
            self.command_unit = True
        self.command(db, argv)

    def end_command_unit(self) -> None:
        """The command that made a lazy deletion is done (see `lazy_deletion`)."""
        self.command_unit = False
        self.end_exec()

    def begin_exec(self) -> None:
        """A unit starts (EXEC, or a command rewritten as several writes): its writes go out
        wrapped in MULTI ... EXEC if there are more than one."""
        if self.batch_owner is not None:
            self.spill()
        self._multi_pending = True

    def end_exec(self) -> None:
        held = self._held
        if self._in_multi:
            self._buf.append(_EXEC)
            self.queued += len(_EXEC)
        elif held is not None:  # the unit's only write: it goes out alone
            self._buf.append(held)
            self.queued += len(held)
            self._held = None
            if not self._scheduled:
                self._scheduled = True
                asyncio.get_running_loop().call_soon(self.flush)
        self._multi_pending = self._in_multi = False

    # -- verbatim batches (see the module docstring) -----------------------------------------

    def open_batch(self, owner: object, db: int) -> bool:
        """A client's chunk of requests starts at a boundary: collect its writes unencoded."""
        if (self.upstream or db != self._db or self._multi_pending or self._in_multi
                or self.batch_owner is not None):
            return False
        self.batch_owner = owner
        self.batch_db = db
        return True

    def close_batch(self, raw: bytes, requests: int, whole: bool) -> None:
        """The chunk `raw`, `requests` requests long, is done (`whole`: it ended on a request
        boundary). It goes into the stream as it is if every one of its requests was
        propagated unchanged; otherwise its collected writes are encoded."""
        owner = self.batch_owner
        if owner is None:
            return  # spilled already
        batch = self.batch
        if not batch:
            self.batch_owner = None
            return
        if not whole or requests != len(batch) or self._db != self.batch_db:
            self.spill()
            return
        self.batch_owner = None
        self.batch = []
        self._buf.append(raw)
        self.queued += len(raw)
        owner.woff = self.offset + self.queued  # type: ignore[attr-defined]
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def spill(self) -> None:
        """End the open batch: its writes go into the stream encoded, in order."""
        owner = self.batch_owner
        if owner is None:
            return
        batch = self.batch
        self.batch_owner = None
        self.batch = []
        buf = self._buf
        if batch and self._db != self.batch_db:
            select = encode((b"SELECT", b"%d" % self.batch_db))
            buf.append(select)
            self.queued += len(select)
            self._db = self.batch_db
        for argv in batch:
            data = encode(argv)
            buf.append(data)
            self.queued += len(data)
        if batch:
            owner.woff = self.offset + self.queued  # type: ignore[attr-defined]
            if not self._scheduled:
                self._scheduled = True
                asyncio.get_running_loop().call_soon(self.flush)

    def feed(self, data: bytes) -> None:
        """Append bytes of the primary's stream as they came (a replica's stream is its
        primary's, so that offsets agree)."""
        self._buf.append(data)
        self.queued += len(data)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def set_offset(self, offset: int) -> None:
        """The history continues from `offset` (a replica adopting its primary's after a
        full sync); what was buffered belongs to the history being left."""
        self.batch_owner = None
        self.batch = []
        self._buf.clear()
        self._repl_only.clear()
        self.queued = 0
        self.offset = offset
        self._db = -1

    def flush(self) -> None:
        """Hand this tick's propagated bytes to every sink (runs once per tick, at its end)."""
        if self.command_unit:  # a lookup outside any command opened it (a waiter's key
            self.end_command_unit()  # checked before the re-run): it must not span ticks
        if self.batch_owner is not None:
            self.spill()
        self._scheduled = False  # (EXEC runs within one callback: never split here)
        buf = self._buf
        if buf:
            data = b"".join(buf) if len(buf) > 1 else buf[0]
            buf.clear()
            self.queued = 0
            self.offset += len(data)
            if self._repl_only:
                durable = _without(data, self._repl_only)
                self._repl_only.clear()
                for sink in self.sinks:
                    sink(durable if sink in self._durable else data)
            else:
                for sink in self.sinks:
                    sink(data)
        for callback in self.after_flush:
            callback()

    @property
    def in_exec(self) -> bool:
        """An EXEC is running: flushing now would split its MULTI ... EXEC."""
        return self._multi_pending or self._in_multi

    def pending(self) -> bool:
        """Bytes are waiting for the end of the tick."""
        return bool(self._buf) or bool(self.batch)


def _without(data: bytes, ranges: list[tuple[int, int]]) -> bytes:
    """`data` with the (start, end) byte ranges, in order, cut out."""
    parts = []
    at = 0
    for start, end in ranges:
        parts.append(data[at:start])
        at = end
    parts.append(data[at:])
    return b"".join(parts)
