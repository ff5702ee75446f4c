"""MONITOR: stream every command the server runs to a client, as Redis does.

A monitor gets one status line per executed command, from any client including itself:

    +1700000000.123456 [0 127.0.0.1:50000] "SET" "key" "value"

`Server.feed_monitors` formats and sends the lines, `Client.call` calls it after each command
(so SELECT shows its new db). Commands flagged `admin` or `skip_monitor` are not shown,
nor are commands refused before they ran (unknown, wrong arity, NOAUTH). Secrets are
printed as "(redacted)": the registry below says which arguments, per command, following
where Redis's handlers call `redactClientCommandArgument`.

A monitor stays one until RESET or disconnection; like a replica in Redis, it may still run
commands that do not touch the keyspace, and CLIENT PAUSE does not hold it. MONITOR queued
in a transaction fails when EXEC runs it.
"""

from __future__ import annotations

from typing import Any

from node.errors import CommandError
from node.numbers import parse_int
from node.replies import NO_REPLY, OK
from node.server import MONITOR_REDACT
from node.table import command


@command("monitor", 1, "admin noscript loading stale", group="server", complexity="",
         summary="Listen for all requests received by the server in real time")
def monitor(ctx: Any, argv: list[bytes]) -> Any:
    if ctx.in_exec:
        # Redis's CLIENT_DENY_BLOCKING: a client in EXEC expects one reply per command.
        raise CommandError("ERR MONITOR isn't allowed for DENY BLOCKING client")
    if ctx.monitor:
        return NO_REPLY  # already monitoring: Redis ignores the command, without a reply
    ctx.monitor = True
    ctx.server.monitors.append(ctx)
    ctx.server.checks_changed()
    return OK


def _auth_secrets(argv: list[bytes]) -> list[int]:
    # AUTH [user] password: both redacted, unless the syntax was wrong (more than 2 args).
    return list(range(1, len(argv))) if len(argv) <= 3 else []


def _hello_secrets(argv: list[bytes]) -> list[int]:
    # HELLO [protover [AUTH user pass] [SETNAME name]]: the AUTH pairs the parser reached
    # before any error. (Redis also stops at a failed AUTH; slotkv cannot see that from
    # here, so it may hide the arguments of a later AUTH option Redis would have shown.)
    if len(argv) < 2:
        return []
    try:
        version = parse_int(argv[1])
    except CommandError:
        return []
    if version not in (2, 3):
        return []
    hidden = []
    i = 2
    while i < len(argv):
        opt = argv[i].lower()
        more = len(argv) - 1 - i
        if opt == b"auth" and more >= 2:
            hidden += [i + 1, i + 2]
            i += 3
        elif opt == b"setname" and more >= 1:
            i += 2
        else:
            break
    return hidden


MONITOR_REDACT[b"auth"] = _auth_secrets
MONITOR_REDACT[b"hello"] = _hello_secrets
