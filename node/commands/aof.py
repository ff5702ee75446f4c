"""BGREWRITEAOF: rewrite the append-only file in the background (node/aof.py does the work)."""

from __future__ import annotations

from typing import Any

from node.aof import AofError
from node.errors import CommandError
from node.replies import Status
from node.table import command


@command("bgrewriteaof", 1, "admin noscript no_async_loading", group="server",
         complexity="O(1)", summary="Asynchronously rewrite the append-only file")
def bgrewriteaof(ctx: Any, argv: list[bytes]) -> Any:
    try:
        outcome = ctx.server.aof.request_rewrite(ctx.in_exec)
    except AofError as e:
        raise CommandError(f"ERR {e}") from None
    return Status(b"Background append only file rewriting " + outcome.encode())
