"""Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...) and how they are served.

A blocking handler first tries to serve; when there is nothing, it returns `block(...)`, which
parks the client on its keys: `blocked` is set, the command stays in `client.pending` and the
rest of the client's pipeline waits in its parser. Clients wait per (db, key) in arrival order.

Serving re-runs the parked command, as Redis 7.2 does (7.0 has one serving function per type;
re-running keeps each command's logic in one handler). A key change reaches us through the
keyspace's `on_modified` hook, registered only while someone is blocked, so blocking costs
nothing when unused. The changed key is only marked ready there; `serve_ready` runs after the
whole command (or the whole MULTI/EXEC) that changed it, and re-runs, in arrival order, the
command of every client waiting on that key for which `wake(value)` holds (`wake(None)` when
the key is gone, FLUSHDB included: true only for XREADGROUP, which Redis then fails). A re-run
that finds nothing calls `block` again, which leaves the client where it was. A served client's
reply is written at once and the rest of its pipeline runs on the next loop iteration.
Being the handler's own, a served command's keyspace events come after those of the write
that woke it, as in Redis.

While any client is blocked, `Client` sends every command through its full path, which calls
`serve_ready` after each one, so a pipelined `LPUSH k x` `LPOP k` serves the waiter first, as
in Redis.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from node.errors import CommandError
from node.numbers import LongDouble, parse_int, parse_long_double
from node.replies import NO_REPLY
from node.table import lookup

if TYPE_CHECKING:
    from node.client import Client
    from node.keyspace import Database
    from node.server import Server

Wake = Callable[[Any], bool]
LLONG_MAX = 2**63 - 1
NEGATIVE = "ERR timeout is negative"
# Past this a wait is forever in practice (Redis's deadline would overflow anyway); it also
# keeps the event loop's timer arithmetic in range.
TIMER_MAX_MS = 10 * 365 * 86400 * 1000
UNBLOCKED = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
# Served late, these go through Redis 7.0's serveClientBlockedOnList, which propagates the pop
# (or move) but never counts it in server.dirty (rdb_changes_since_last_save); BLMPOP, the
# sorted set and the stream forms are served by the code of their non-blocking forms, which
# counts.
_UNCOUNTED_WHEN_SERVED = frozenset(("blpop", "brpop", "blmove", "brpoplpush"))


def parse_timeout(arg: bytes) -> int:
    """A timeout in seconds (BLPOP, BZPOPMIN, ...) as milliseconds; 0 means forever.

    As Redis 7.0's getTimeoutFromObjectOrReply: strtold (hex and `inf` included), times 1000
    in long double arithmetic, rounded up (`0.0001` waits 1 ms, `-0.0001` is 0), cast to long
    long, which turns anything out of range (inf, 1e16 seconds) into LLONG_MIN, "negative".
    """
    seconds = parse_long_double(arg)
    if seconds is None:
        raise CommandError("ERR timeout is not a float or out of range")
    if seconds.__class__ is float:  # +-inf
        raise CommandError(NEGATIVE)
    # The product is rounded to a long double, as C computes it: 0.1 is a little over 1/10
    # there, and the exact product's ceiling would be 101 ms.
    ms = math.ceil(LongDouble.round(seconds * 1000))
    if ms < 0 or ms > LLONG_MAX:
        raise CommandError(NEGATIVE)
    return ms


def parse_timeout_ms(arg: bytes) -> int:
    """A timeout in milliseconds (XREAD BLOCK); 0 means forever."""
    ms = parse_int(arg, "ERR timeout is not an integer or out of range")
    if ms < 0:
        raise CommandError(NEGATIVE)
    return ms


class Wait:
    """Why and until when one client is blocked."""

    __slots__ = ("keys", "wake", "timeout_reply", "timer")

    def __init__(self, keys: list[tuple[int, bytes]], wake: Wake, timeout_reply: Any,
                 timer: asyncio.TimerHandle | None) -> None:
        self.keys = keys
        self.wake = wake
        self.timeout_reply = timeout_reply
        self.timer = timer


class Blocking:
    """Every client blocked on keys in one server, and the keys made ready for them."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.waiting: dict[tuple[int, bytes], deque[Client]] = {}
        self.ready: dict[tuple[int, bytes], None] = {}  # an ordered set
        self.clients: dict[Client, Wait] = {}
        self._hooked = False
        self._serving: tuple[Client, bytes] | None = None  # the re-run under way, and its key

    def __len__(self) -> int:
        return len(self.clients)

    def timed_count(self) -> int:
        """Blocked clients with a deadline (INFO's clients_in_timeout_table)."""
        return sum(1 for wait in self.clients.values() if wait.timer is not None)

    # -- parking and unparking ---------------------------------------------------------------

    def park(self, client: "Client", keys: list[bytes], timeout_ms: int, timeout_reply: Any,
             wake: Wake, argv: list[bytes] | None) -> None:
        index = client.db.index
        entries = list(dict.fromkeys((index, key) for key in keys))
        for entry in entries:
            queue = self.waiting.get(entry)
            if queue is None:
                queue = self.waiting[entry] = deque()
            queue.append(client)
        timer = None
        if 0 < timeout_ms < TIMER_MAX_MS:
            timer = asyncio.get_running_loop().call_later(
                timeout_ms / 1000.0, self._timed_out, client)
        self.clients[client] = Wait(entries, wake, timeout_reply, timer)
        if len(self.clients) == 1:
            self.server.checks_changed()
        client.blocked = True
        if argv is not None:
            client.pending = argv
        if not self._hooked:
            ks = self.server.keyspace
            ks.on_modified.append(self._modified)
            ks.on_swapped.append(self._swapped)
            ks.on_flushed.append(self._flushed)
            self._hooked = True

    def release(self, client: "Client") -> Wait | None:
        """Forget a blocked client (served, timed out, unblocked or gone)."""
        wait = self.clients.pop(client, None)
        if wait is None:
            return None
        if not self.clients:
            self.server.checks_changed()
        for entry in wait.keys:
            queue = self.waiting.get(entry)
            if queue is not None:
                try:
                    queue.remove(client)
                except ValueError:
                    pass
                if not queue:
                    del self.waiting[entry]
        if wait.timer is not None:
            wait.timer.cancel()
        if not self.clients and self._hooked:
            ks = self.server.keyspace
            ks.on_modified.remove(self._modified)
            ks.on_swapped.remove(self._swapped)
            ks.on_flushed.remove(self._flushed)
            self._hooked = False
            self.ready.clear()
        return wait

    def finish(self, client: "Client", reply: Any) -> None:
        """Unblock `client` with `reply` and let the rest of its pipeline run."""
        self.release(client)
        client.blocked = False
        client.pending = None
        client.write(reply)
        client.flush()
        if not client.closing:
            asyncio.get_running_loop().call_soon(client.process)

    def _timed_out(self, client: "Client") -> None:
        wait = self.clients.get(client)
        if wait is not None:
            wait.timer = None
            self.finish(client, _reply_now(wait.timeout_reply))

    def unblock(self, client: "Client", error: bool) -> bool:
        """CLIENT UNBLOCK: end the wait as a timeout would, or with an UNBLOCKED error."""
        wait = self.clients.get(client)
        if wait is None:
            return False
        self.finish(client, CommandError(UNBLOCKED) if error else _reply_now(wait.timeout_reply))
        return True

    # -- readiness ---------------------------------------------------------------------------

    def _modified(self, db: "Database", key: bytes) -> None:
        entry = (db.index, key)
        if entry in self.waiting:
            self.ready[entry] = None

    def key_ready(self, db: "Database", key: bytes) -> None:
        """signalKeyAsReady: re-run the waiters of `key` although its value did not change
        (XGROUP DESTROY: blocked XREADGROUPs answer NOGROUP)."""
        self._modified(db, key)

    def _flushed(self, db: "Database") -> None:
        # The keys are about to go: waiters that care (XREADGROUP) hear of it via wake(None).
        for entry in self.waiting:
            if entry[0] == db.index:
                self.ready[entry] = None

    def _swapped(self, a: "Database", b: "Database") -> None:
        # Clients stay on their db index, so what they wait for may now be there.
        for entry in self.waiting:
            if entry[0] in (a.index, b.index):
                self.ready[entry] = None

    def serve_ready(self) -> None:
        """Re-run the commands of clients waiting on keys that changed (see module doc)."""
        dbs = self.server.keyspace.dbs
        while self.ready:
            entry = next(iter(self.ready))
            del self.ready[entry]
            queue = self.waiting.get(entry)
            if not queue:
                continue
            db = dbs[entry[0]]
            for client in list(queue):
                wait = self.clients.get(client)
                if wait is None:
                    continue
                # None when the key is gone (emptied, deleted): only a waiter whose wake
                # accepts that (XREADGROUP, which then fails) is re-run; the rest keep waiting.
                if not wait.wake(db.peek(entry[1])):
                    continue
                self._serving = (client, entry[1])
                try:
                    self._rerun(client)
                finally:
                    self._serving = None

    def served_key(self, client: "Client") -> bytes | None:
        """The key whose readiness `client`'s command is being re-run for, None when it runs
        as sent. Redis 7.0 serves a list or sorted-set waiter from that key
        (serveClientsBlockedOnListKey, ...SortedSetKey), not from the first of its keys that
        holds one."""
        serving = self._serving
        return serving[1] if serving is not None and serving[0] is client else None

    def ready_first(self, client: "Client", keys: list[bytes]) -> list[bytes]:
        """The keys a blocking pop tries, in order: a served waiter's ready key first."""
        ready = self.served_key(client)
        return keys if ready is None else [ready, *keys]

    def _rerun(self, client: "Client") -> None:
        argv = client.pending
        cmd = lookup(argv) if argv is not None else None
        if cmd is None:  # cannot happen: the command passed its checks when it was parked
            self.finish(client, CommandError("ERR blocked command vanished"))
            return
        server = self.server
        ks = server.keyspace
        dirty = ks.dirty
        try:
            reply = cmd.handler(client, argv)  # type: ignore[misc]
        except CommandError as e:
            reply = e
        except Exception as e:
            reply = server.internal_error(cmd, e)
        # What the served command wrote leaves the node like any other write (its handler
        # gave the non-blocking form with propagate_as, which also marks a write that counted
        # no change, as a served XREADGROUP's).
        wrote = ks.dirty != dirty or client.rewrite is not None
        if wrote and cmd.name in _UNCOUNTED_WHEN_SERVED:
            ks.dirty = dirty
        if wrote and server.propagation.active:
            client._propagate(cmd, argv)
        elif client.rewrite is not None:
            client.rewrite = None
        if reply is NO_REPLY and client in self.clients:
            return  # nothing for it after all: still blocked, in place
        self.finish(client, reply)


def _reply_now(timeout_reply: Any) -> Any:
    # A reply that depends on when the wait ends (WAIT: the replicas acked by then) is given
    # as a function of nothing.
    return timeout_reply() if callable(timeout_reply) else timeout_reply


def block(ctx: "Client", keys: list[bytes], timeout_ms: int, timeout_reply: Any, wake: Wake,
          argv: list[bytes] | None = None) -> Any:
    """Park `ctx` on `keys` until one of them can serve it; see the module docstring.

    Returns NO_REPLY (the reply comes later), or `timeout_reply` at once where Redis does not
    block (inside MULTI/EXEC).
    """
    if ctx.in_exec or ctx.must_obey:
        # Inside EXEC, as Redis; and a replica applying its primary's stream never waits.
        return _reply_now(timeout_reply)
    blocking = ctx.server.blocking
    if ctx in blocking.clients:
        return NO_REPLY  # a re-run that found nothing: keep the place in every queue
    blocking.park(ctx, keys, timeout_ms, timeout_reply, wake, argv)
    return NO_REPLY
