"""The one point every write leaves the node through; the AOF and replication hang off it.

As in Redis's `call()`, a command that moved the keyspace's change counter (`dirty`) is
propagated after it ran, in the form that replays identically: a handler whose own argv would
not (relative TTLs, random choices, blocking forms, float arithmetic) calls
`ctx.propagate_as(...)` with the concrete writes it made. Keys that expire are propagated as
`DEL`, so replicas and the AOF never expire anything on their own clock. The commands of one
`EXEC` are wrapped in `MULTI`/`EXEC` so they are applied all or nothing, and a `SELECT` goes
out whenever the stream's database changes.

Propagated commands are RESP-encoded (hiredis's `pack_command`, in C) into one buffer per
event-loop tick; at the end of the tick the buffer goes to every sink at once (the AOF writer,
the replication backlog), in one call each. `offset` counts every byte ever propagated: it is
the replication offset (`master_repl_offset`). With no sink attached nothing is encoded.

On a replica the stream is its primary's, byte for byte (`feed`), so that its offsets are the
primary's and its own replicas can carry on from it after a failover (Redis's PSYNC2); its
own commands are then not propagated (`upstream`), as Redis does not pass a writable
replica's local writes on.
"""

from __future__ import annotations

import asyncio
from typing import Callable, Iterable, Sequence

from hiredis import pack_command

Sink = Callable[[bytes], None]

_MULTI = pack_command((b"MULTI",))
_EXEC = pack_command((b"EXEC",))


def _pack(argv: Sequence[bytes]) -> bytes:
    # hiredis packs tuples of bytes/str/numbers only: dispatcher argvs are lists, and values
    # a handler passes to propagate_as may be bytearrays.
    try:
        return pack_command(argv if argv.__class__ is tuple else tuple(argv))
    except TypeError:
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
        self._multi_pending = False  # inside EXEC, before its first write
        self._in_multi = False  # inside EXEC, MULTI already emitted
        self._scheduled = False
        # Called right after a tick's bytes reached the sinks (group commit writes replies).
        self.after_flush: list[Callable[[], None]] = []

    # -- sinks -------------------------------------------------------------------------------

    def attach(self, sink: Sink) -> None:
        self.sinks.append(sink)
        self.active = True

    def detach(self, sink: Sink) -> None:
        if sink in self.sinks:
            self.sinks.remove(sink)
        self.active = bool(self.sinks)

    def reselect(self) -> None:
        """Make the next write start with a SELECT (a new sink, or a new AOF file, begins)."""
        self._db = -1

    # -- the stream --------------------------------------------------------------------------

    def command(self, db: int, argv: Sequence[bytes]) -> None:
        """Append one command that ran against database `db`."""
        if self.upstream:
            return
        buf = self._buf
        if db != self._db:
            select = pack_command((b"SELECT", b"%d" % db))
            buf.append(select)
            self.queued += len(select)
            self._db = db
        if self._multi_pending:
            buf.append(_MULTI)
            self.queued += len(_MULTI)
            self._multi_pending = False
            self._in_multi = True
        data = _pack(argv)
        buf.append(data)
        self.queued += len(data)
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def commands(self, db: int, argvs: Iterable[Sequence[bytes]]) -> None:
        for argv in argvs:
            self.command(db, argv)

    def begin_exec(self) -> None:
        """EXEC starts: its writes, if any, are wrapped in MULTI ... EXEC."""
        self._multi_pending = True

    def end_exec(self) -> None:
        if self._in_multi:
            self._buf.append(_EXEC)
            self.queued += len(_EXEC)
        self._multi_pending = self._in_multi = False

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
        self._buf.clear()
        self.queued = 0
        self.offset = offset
        self._db = -1

    def flush(self) -> None:
        """Hand this tick's propagated bytes to every sink (runs once per tick, at its end)."""
        self._scheduled = False  # (EXEC runs within one callback: never split here)
        buf = self._buf
        if buf:
            data = b"".join(buf) if len(buf) > 1 else buf[0]
            buf.clear()
            self.queued = 0
            self.offset += len(data)
            for sink in self.sinks:
                sink(data)
        for callback in self.after_flush:
            callback()

    def pending(self) -> bool:
        """Bytes are waiting for the end of the tick."""
        return bool(self._buf)
