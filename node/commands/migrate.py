"""MIGRATE and RESTORE-ASKING (Redis's cluster.c): moving keys to another node, which is how a
slot's keys travel during resharding (GETKEYSINSLOT, then MIGRATE ... KEYS ...).

MIGRATE serializes each key as DUMP does (node/rdb.py), sends `RESTORE` (`RESTORE-ASKING` in
cluster mode, so an importing target accepts it) to the target over a cached connection, and
deletes the keys the target acknowledged unless COPY; what leaves is propagated as one `DEL`
of those keys, as Redis rewrites it.

As in Redis the exchange is synchronous: the node waits for the target (up to `timeout` ms)
before serving anyone else. That is what makes it safe: no write can touch a key between its
serialization and its deletion here. Connections are cached per host:port and closed after
10 s unused (Redis's MIGRATE_SOCKET_CACHE_TTL); a cached connection the target closed is
retried once.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import time
from typing import Any

import hiredis

from node import rdb
from node.commands.connection import redact
from node.commands.dump import RESTORE_COMPLEXITY, restore
from node.errors import SYNTAX, CommandError
from node.notify import GENERIC
from node.numbers import parse_int
from node.replies import OK, Status
from node.table import KeySpec, command

CACHE_TTL = 10.0
CACHE_ITEMS = 64
NOKEY = Status(b"NOKEY")


class _Cached:
    __slots__ = ("sock", "reader", "last_db", "last_use")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = hiredis.Reader()
        self.last_db = -1
        self.last_use = time.monotonic()


_SOCKETS: dict[tuple[str, int], _Cached] = {}
_sweep: asyncio.TimerHandle | None = None


def _close_idle() -> None:
    """Drop cached connections unused for CACHE_TTL seconds; look again while any is left."""
    global _sweep
    now = time.monotonic()
    for key, cached in list(_SOCKETS.items()):
        if now - cached.last_use > CACHE_TTL:
            _close(key)
    _sweep = asyncio.get_running_loop().call_later(1.0, _close_idle) if _SOCKETS else None


CONNECT_FAILED = "IOERR error or timeout connecting to the client"
# What a non-blocking connect reports only after it started (EINPROGRESS), as the socket's
# error: Redis sees these when it writes.
_LATE_CONNECT_ERRORS = frozenset((errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ECONNRESET,
                                  errno.ETIMEDOUT))


def _close(key: tuple[str, int]) -> None:
    cached = _SOCKETS.pop(key, None)
    if cached is not None:
        try:
            cached.sock.close()
        except OSError:
            pass


def _socket(host: str, port: int, timeout: float) -> _Cached:
    key = (host, port)
    cached = _SOCKETS.get(key)
    if cached is not None:
        cached.last_use = time.monotonic()
        return cached
    if len(_SOCKETS) >= CACHE_ITEMS:
        _close(next(iter(_SOCKETS)))
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except socket.timeout:
        raise CommandError(CONNECT_FAILED) from None
    except OSError as e:
        # Redis's connect does not wait for the handshake: a refused connection shows up as
        # the write that follows failing. A host that does not resolve, or a connect the
        # kernel refuses at once (an unreachable network), fails the connect itself.
        if isinstance(e, socket.gaierror) or e.errno not in _LATE_CONNECT_ERRORS:
            raise CommandError(CONNECT_FAILED) from None
        raise _SocketError(True, False) from None
    cached = _SOCKETS[key] = _Cached(sock)
    global _sweep
    if _sweep is None:
        _sweep = asyncio.get_running_loop().call_later(1.0, _close_idle)
    return cached


class _SocketError(Exception):
    def __init__(self, writing: bool, timed_out: bool) -> None:
        self.writing = writing
        self.timed_out = timed_out


def _read_reply(cached: _Cached, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        reply = cached.reader.gets()
        if reply is not False:
            return reply
        left = deadline - time.monotonic()
        if left <= 0:
            raise _SocketError(False, True)
        cached.sock.settimeout(left)
        try:
            data = cached.sock.recv(65536)
        except socket.timeout:
            raise _SocketError(False, True) from None
        except OSError:
            raise _SocketError(False, False) from None
        if not data:
            raise _SocketError(False, False)
        cached.reader.feed(data)


def _parse(argv: list[bytes]) -> tuple[list[bytes], bool, bool, list[bytes] | None]:
    """(keys, COPY, REPLACE, AUTH arguments); the credentials are then hidden from the slow log
    and MONITOR, as Redis's redactClientCommandArgument."""
    copy = replace = False
    auth: list[bytes] | None = None
    keys = [argv[3]]
    j = 6
    while j < len(argv):
        opt = argv[j].lower()
        more = len(argv) - 1 - j
        if opt == b"copy":
            copy = True
        elif opt == b"replace":
            replace = True
        elif opt == b"auth":
            if not more:
                raise CommandError(SYNTAX)
            j += 1
            auth = [argv[j]]
            redact(argv, (j,))
        elif opt == b"auth2":
            if more < 2:
                raise CommandError(SYNTAX)
            auth = [argv[j + 1], argv[j + 2]]
            redact(argv, (j + 1, j + 2))
            j += 2
        elif opt == b"keys":
            if argv[3]:
                raise CommandError("ERR When using MIGRATE KEYS option, the key argument must "
                                   "be set to the empty string")
            keys = argv[j + 1:]
            break
        else:
            raise CommandError(SYNTAX)
        j += 1
    return keys, copy, replace, auth


# Options that take arguments, which a key-finder must step over (a password may be "KEYS").
_SKIP = {b"copy": 0, b"replace": 0, b"auth": 1, b"auth2": 2}


def migrate_keys(argv: list[bytes]) -> list[int]:
    """The key positions of a MIGRATE call (Redis's migrateGetKeys): argv[3], or what follows
    KEYS (nothing if argv[3] is not empty then)."""
    j = 6
    while j < len(argv):
        word = argv[j].lower()
        if word == b"keys":
            return list(range(j + 1, len(argv))) if not argv[3] else []
        j += 1 + _SKIP.get(word, 0)
    return [3]


@command("migrate", -6, "write", keys=(3, 3, 1), keys_fn=migrate_keys,
         key_flags_fn=lambda argv: "RW access delete",
         key_specs=(KeySpec(("RW", "access", "delete"), 3),
                    KeySpec(("RW", "access", "delete", "incomplete"), -2, b"KEYS", lastkey=-1)),
         categories="keyspace dangerous", since="2.6.0",
         tips="nondeterministic_output",
         complexity="This command actually executes a DUMP+DEL in the source instance, and a "
         "RESTORE in the target instance. See the pages of these commands for time "
         "complexity. Also an O(N) data transfer between the two instances is performed.",
         summary="Atomically transfer a key from a Redis instance to another one.",
         history=(("3.0.0", "Added the `COPY` and `REPLACE` options."),
                  ("3.0.6", "Added the `KEYS` option."),
                  ("4.0.7", "Added the `AUTH` option."),
                  ("6.0.0", "Added the `AUTH2` option.")))
def migrate(ctx: Any, argv: list[bytes]) -> Any:
    keys, copy, replace, auth = _parse(argv)
    timeout_ms = parse_int(argv[5])
    db_index = parse_int(argv[4])
    if timeout_ms <= 0:
        timeout_ms = 1000
    timeout = timeout_ms / 1000.0
    db = ctx.db
    present = [k for k in keys if db.get(k) is not None]
    if not present:
        return NOKEY
    host = argv[1].decode("utf-8", "replace")
    try:
        port = int(argv[2])
    except ValueError:
        port = 0
    restore_cmd = b"RESTORE-ASKING" if ctx.server.cluster is not None else b"RESTORE"
    compression = ctx.server.config["rdbcompression"]
    may_retry = True
    while True:
        try:
            cached = _socket(host, port, timeout)
        except _SocketError as e:
            if may_retry:
                may_retry = False
                continue
            raise CommandError("IOERR error or timeout writing to target instance") from None
        out = []
        if auth is not None:
            out.append(hiredis.pack_command((b"AUTH", *auth)))
        select = cached.last_db != db_index
        if select:
            out.append(hiredis.pack_command((b"SELECT", b"%d" % db_index)))
        sent: list[bytes] = []
        now = db.keyspace.now
        for key in present:
            value = db.lookup_write(key)
            if value is None:
                continue  # expired since the first look
            ttl = 0
            when = db.deadline(key)
            if when is not None:
                ttl = max(when - now, 1)
            args = [restore_cmd, key, b"%d" % ttl, rdb.dump(value, compression)]
            if replace:
                args.append(b"REPLACE")
            out.append(hiredis.pack_command(tuple(args)))
            sent.append(key)
        try:
            try:
                cached.sock.settimeout(timeout)
                cached.sock.sendall(b"".join(out))
            except socket.timeout:
                raise _SocketError(True, True) from None
            except OSError:
                raise _SocketError(True, False) from None
            first_error: str | None = None
            if auth is not None:
                reply = _read_reply(cached, timeout)
                if isinstance(reply, hiredis.ReplyError):
                    first_error = str(reply)
            if select:
                reply = _read_reply(cached, timeout)
                if isinstance(reply, hiredis.ReplyError) and first_error is None:
                    first_error = str(reply)
            moved: list[bytes] = []
            for i, key in enumerate(sent):
                try:
                    reply = _read_reply(cached, timeout)
                except _SocketError as e:
                    if i == 0 and first_error is None and not e.timed_out and may_retry:
                        raise  # nothing was processed: reconnect and try once more
                    _close((host, port))
                    if moved:
                        ctx.propagate_as([b"DEL", *moved])
                    if first_error is not None:
                        raise CommandError(f"ERR Target instance replied with error: {first_error}") from None
                    raise CommandError("IOERR error or timeout reading to target instance") from None
                if isinstance(reply, hiredis.ReplyError) or first_error is not None:
                    if first_error is None:
                        first_error = str(reply)
                    cached.last_db = -1
                elif not copy:
                    db.delete(key)
                    db.notify(GENERIC, b"del", key)
                    moved.append(key)
            if moved:
                ctx.propagate_as([b"DEL", *moved])
            if first_error is not None:
                raise CommandError(f"ERR Target instance replied with error: {first_error}")
            cached.last_db = db_index
            return OK
        except _SocketError as e:
            _close((host, port))
            if not e.timed_out and may_retry:
                may_retry = False
                continue
            raise CommandError("IOERR error or timeout "
                               f"{'writing' if e.writing else 'reading'} to target instance") from None


@command("restore-asking", -4, "write denyoom asking", keys=(1, 1, 1), key_flags="OW update",
         group="server", categories="keyspace dangerous", since="3.0.0",
         complexity=RESTORE_COMPLEXITY,
         summary="An internal command for migrating keys in a cluster",
         doc_flags="syscmd",
         history=(("3.0.0", "Added the `REPLACE` modifier."),
                  ("5.0.0", "Added the `ABSTTL` modifier."),
                  ("5.0.0", "Added the `IDLETIME` and `FREQ` options.")))
def restore_asking(ctx: Any, argv: list[bytes]) -> Any:
    return restore(ctx, argv)
