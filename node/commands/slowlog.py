"""SLOWLOG GET/LEN/RESET/HELP: reading the slow log that the request path fills.

Entries are recorded by `Client._record_slow` into `server.slowlog` (node/server.py) for
commands slower than `slowlog-log-slower-than` microseconds, newest first, at most
`slowlog-max-len` of them, arguments trimmed as Redis trims them.
"""

from __future__ import annotations

from typing import Any

from node.commands.command import help_reply
from node.errors import CommandError
from node.numbers import parse_int
from node.replies import OK
from node.table import command

HELP = [
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
]

_ADMIN = "admin loading stale"

command("slowlog", -2, "", group="server", since="2.2.12", complexity="Depends on subcommand.",
        summary="A container for slow log commands")(None)


@command("slowlog|get", -2, _ADMIN, group="server", since="2.2.12",
         complexity="O(N) where N is the number of entries returned",
         tips="request_policy:all_nodes nondeterministic_output",
         summary="Get the slow log's entries",
         history=(("4.0.0", "Added client IP address, port and name to the reply."),))
def slowlog_get(ctx: Any, argv: list[bytes]) -> list:
    if len(argv) > 3:
        raise CommandError("ERR unknown subcommand or wrong number of arguments for "
                           f"'{argv[1].decode('utf-8', 'replace')}'. Try SLOWLOG HELP.")
    count = 10
    if len(argv) == 3:
        message = "ERR count should be greater than or equal to -1"
        count = parse_int(argv[2], message)
        if count < -1:
            raise CommandError(message)
    entries = ctx.server.slowlog.entries
    if count == -1 or count > len(entries):
        count = len(entries)
    out = []
    for i, e in enumerate(entries):
        if i >= count:
            break
        out.append([e.id, e.timestamp, e.usec, list(e.argv), e.addr.encode(), e.name])
    return out


@command("slowlog|len", 2, _ADMIN, group="server", since="2.2.12",
         tips="request_policy:all_nodes response_policy:agg_sum nondeterministic_output",
         summary="Get the slow log's length")
def slowlog_len(ctx: Any, argv: list[bytes]) -> int:
    return len(ctx.server.slowlog.entries)


@command("slowlog|reset", 2, _ADMIN, group="server", since="2.2.12",
         complexity="O(N) where N is the number of entries in the slowlog",
         tips="request_policy:all_nodes response_policy:all_succeeded",
         summary="Clear all entries from the slow log")
def slowlog_reset(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.slowlog.entries.clear()
    return OK


@command("slowlog|help", 2, "loading stale", group="server", since="6.2.0",
         summary="Show helpful text about the different subcommands")
def slowlog_help(ctx: Any, argv: list[bytes]) -> list:
    return help_reply(HELP)
