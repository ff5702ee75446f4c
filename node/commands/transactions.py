"""MULTI/EXEC/DISCARD/WATCH/UNWATCH (Redis's multi.c).

Queueing happens in `Client.execute`: between MULTI and EXEC every command that passes its
checks is queued and answered `+QUEUED`; one that fails them (unknown, wrong arity, not
allowed in a transaction) flags the transaction, and EXEC then refuses it with EXECABORT.
EXEC runs the queue through `Client.call`, each reply written as one element of EXEC's array.
Which keys are watched, and what dirties a transaction, is `node/watches.py`.
"""

from __future__ import annotations

from typing import Any

from node.client import REPLY_OFF, REPLY_SKIP
from node.errors import CommandError
from node.replies import NO_REPLY, NULL_ARRAY, OK
from node.table import command

EXECABORT = "EXECABORT Transaction discarded because of previous errors."


@command("multi", 1, "noscript loading stale fast allow_busy", group="transactions",
         since="1.2.0", summary="Mark the start of a transaction block")
def multi(ctx: Any, argv: list[bytes]) -> Any:
    if ctx.multi is not None:
        raise CommandError("ERR MULTI calls can not be nested")
    ctx.multi = []
    return OK


@command("exec", 1, "noscript loading stale skip_slowlog", group="transactions",
         since="1.2.0", complexity="Depends on commands in the transaction",
         summary="Execute all commands issued after MULTI")
def exec_(ctx: Any, argv: list[bytes]) -> Any:
    queued = ctx.multi
    if queued is None:
        raise CommandError("ERR EXEC without MULTI")
    if ctx.multi_error:
        ctx.discard_transaction()
        raise CommandError(EXECABORT)
    if ctx.dirty_cas or ctx.server.watches.expired_since_watch(ctx):
        ctx.discard_transaction()
        return NULL_ARRAY
    # Redis unwatches before running (the queue cannot dirty itself) but leaves MULTI only
    # after it: CLIENT INFO/LIST run in the queue show flags=x and multi=<queued>.
    ctx.server.watches.unwatch(ctx)
    ctx.dirty_cas = False
    if not ctx.reply_mode:
        ctx.out.append(b"*%d\r\n" % len(queued))
    ctx.in_exec = True
    propagation = ctx.server.propagation
    propagation.begin_exec()
    try:
        for cmd, args in queued:
            if ctx.user.restricted:
                refused = ctx.server.acl.exec_refusal(ctx, cmd, args)
                if refused is not None:
                    ctx.reply_error(refused, None)
                    continue
            ctx.call(cmd, args)
    finally:
        ctx.in_exec = False
        propagation.end_exec()
        ctx.discard_transaction()
        if ctx.skip_after_exec:
            ctx.skip_after_exec = False
            if ctx.reply_mode != REPLY_OFF:
                ctx.reply_mode = REPLY_SKIP
    return NO_REPLY


@command("discard", 1, "noscript loading stale fast allow_busy", group="transactions",
         since="2.0.0", complexity="O(N), when N is the number of queued commands",
         summary="Discard all commands issued after MULTI")
def discard(ctx: Any, argv: list[bytes]) -> Any:
    if ctx.multi is None:
        raise CommandError("ERR DISCARD without MULTI")
    ctx.discard_transaction()
    return OK


@command("watch", -2, "noscript loading stale fast allow_busy", keys=(1, -1, 1),
         key_flags="RO", group="transactions", since="2.2.0",
         complexity="O(1) for every key.",
         summary="Watch the given keys to determine execution of the MULTI/EXEC block")
def watch(ctx: Any, argv: list[bytes]) -> Any:
    if ctx.multi is not None:
        raise CommandError("ERR WATCH inside MULTI is not allowed")
    watches = ctx.server.watches
    for key in argv[1:]:
        watches.watch(ctx, ctx.db, key)
    return OK


@command("unwatch", 1, "noscript loading stale fast allow_busy", group="transactions",
         since="2.2.0", summary="Forget about all watched keys")
def unwatch(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.watches.unwatch(ctx)
    ctx.dirty_cas = False
    return OK
