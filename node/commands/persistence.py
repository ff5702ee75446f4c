"""Snapshot commands: SAVE, BGSAVE, LASTSAVE (Redis's rdb.c); the work is node/snapshot.py's."""

from __future__ import annotations

from typing import Any

from node import errors
from node.errors import CommandError
from node.replies import OK, Status
from node.table import command

IN_PROGRESS = "ERR Background save already in progress"


@command("save", 1, "admin noscript no_async_loading no_multi", group="server",
         complexity="O(N) where N is the total number of keys in all databases",
         summary="Synchronously save the dataset to disk")
def save(ctx: Any, argv: list[bytes]) -> Any:
    snapshots = ctx.server.rdb
    if snapshots.bgsave_in_progress:
        raise CommandError(IN_PROGRESS)
    snapshots.saves += 1
    if not snapshots.save():
        raise CommandError("ERR")  # shared.err: the reason is in the log
    return OK


@command("bgsave", -1, "admin noscript no_async_loading", group="server",
         summary="Asynchronously save the dataset to disk",
         history=(("3.2.2", "Added the `SCHEDULE` option."),))
def bgsave(ctx: Any, argv: list[bytes]) -> Any:
    schedule = False
    if len(argv) > 1:
        if len(argv) == 2 and argv[1].lower() == b"schedule":
            schedule = True
        else:
            raise CommandError(errors.SYNTAX)
    snapshots = ctx.server.rdb
    children = ctx.server.children
    if snapshots.bgsave_in_progress:
        raise CommandError(IN_PROGRESS)
    if children.busy or ctx.in_exec:
        # No fork inside a transaction (nor next to another child): later, from the cron.
        if schedule or ctx.in_exec:
            snapshots.bgsave_scheduled = True
            return Status(b"Background saving scheduled")
        raise CommandError(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
            "SCHEDULE in order to schedule a BGSAVE whenever possible.")
    if not snapshots.bgsave():
        raise CommandError("ERR")
    return Status(b"Background saving started")


@command("lastsave", 1, "loading stale fast", group="server", categories="admin dangerous",
         tips="nondeterministic_output",
         summary="Get the UNIX time stamp of the last successful save to disk")
def lastsave(ctx: Any, argv: list[bytes]) -> int:
    return ctx.server.rdb.last_save
