"""Server-wide keyspace commands: DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, TIME, SHUTDOWN."""

from __future__ import annotations

import time
from typing import Any

from node import errors
from node.errors import CommandError
from node.numbers import parse_int32
from node.replies import NO_REPLY, OK
from node.table import command


@command("dbsize", 1, "readonly fast", group="server", categories="keyspace",
         tips="request_policy:all_shards response_policy:agg_sum",
         summary="Return the number of keys in the selected database")
def dbsize(ctx: Any, argv: list[bytes]) -> int:
    # Keys past their deadline count until a lookup or the expiry cycle removes them, as in
    # Redis (dictSize): O(1).
    return len(ctx.db.data)


def _flush_mode(argv: list[bytes]) -> None:
    if len(argv) > 2 or (len(argv) == 2 and argv[1].upper() not in (b"ASYNC", b"SYNC")):
        raise CommandError(errors.SYNTAX)


@command("flushdb", -1, "write", group="server", categories="keyspace dangerous",
         complexity="O(N) where N is the number of keys in the selected database",
         tips="request_policy:all_shards response_policy:all_succeeded",
         summary="Remove all keys from the current database",
         history=(("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                  ("6.2.0", "Added the `SYNC` flushing mode modifier.")))
def flushdb(ctx: Any, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    # A change per key, as emptyData counts; an empty flush counts one (Redis counts none but
    # forces its propagation, and here what changes nothing is not propagated).
    ctx.server.keyspace.dirty += ctx.db.flush() or 1
    ctx.server.tracking.flushed()
    return OK


@command("flushall", -1, "write", group="server", categories="keyspace dangerous",
         complexity="O(N) where N is the total number of keys in all databases",
         tips="request_policy:all_shards response_policy:all_succeeded",
         summary="Remove all keys from all databases",
         history=(("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                  ("6.2.0", "Added the `SYNC` flushing mode modifier.")))
def flushall(ctx: Any, argv: list[bytes]) -> Any:
    _flush_mode(argv)
    ctx.server.keyspace.dirty += ctx.server.keyspace.flush_all() or 1  # (as FLUSHDB)
    ctx.server.tracking.flushed()
    ctx.server.rdb.flushed_all()  # with save points, the empty dataset is saved now
    return OK


@command("swapdb", 3, "write fast", group="server", categories="keyspace dangerous",
         since="4.0.0", complexity="O(N) where N is the count of clients watching or blocking on keys from both databases.",
         summary="Swaps two Redis databases")
def swapdb(ctx: Any, argv: list[bytes]) -> Any:
    if ctx.server.cluster is not None:
        raise CommandError("ERR SWAPDB is not allowed in cluster mode")
    dbs = ctx.server.keyspace.dbs
    a = parse_int32(argv[1], "ERR invalid first DB index")
    b = parse_int32(argv[2], "ERR invalid second DB index")
    if not (0 <= a < len(dbs) and 0 <= b < len(dbs)):
        raise CommandError(errors.DB_OUT_OF_RANGE)
    if a != b:
        dbs[a].swap_contents(dbs[b])
    ctx.server.keyspace.dirty += 1  # as Redis, even for a db with itself: counted, propagated
    return OK


@command("time", 1, "loading stale fast", group="server", since="2.6.0",
         tips="nondeterministic_output", summary="Return the current server time")
def time_(ctx: Any, argv: list[bytes]) -> list:
    now = time.time_ns() // 1000
    return [b"%d" % (now // 1_000_000), b"%d" % (now % 1_000_000)]


@command("shutdown", -1, "admin noscript loading stale no_multi allow_busy", group="server",
         complexity="O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
         summary="Synchronously save the dataset to disk and then shut down the server",
         history=(("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."),))
def shutdown(ctx: Any, argv: list[bytes]) -> Any:
    save: bool | None = None
    nosave = force = abort = False
    given = False
    for arg in argv[1:]:
        opt = arg.upper()
        if opt == b"NOSAVE":
            nosave = given = True
        elif opt == b"SAVE":
            save = given = True
        elif opt in (b"NOW", b"FORCE"):
            given = True
            force = force or opt == b"FORCE"
            # NOW: nothing to wait for until replicas exist (shutdown-timeout)
        elif opt == b"ABORT":
            abort = True
        else:
            raise CommandError(errors.SYNTAX)
    if (abort and given) or (nosave and save):
        raise CommandError(errors.SYNTAX)
    if abort:
        raise CommandError("ERR No shutdown in progress.")
    server = ctx.server
    if server.busy is not None and not nosave:
        raise server.busy  # a busy script stops for SHUTDOWN NOSAVE only (node/busy.py)
    if not server.finish_shutdown(False if nosave else save, force):
        raise CommandError("ERR Errors trying to SHUTDOWN. Check logs.")
    server.request_shutdown()
    ctx.closing = True
    return NO_REPLY
