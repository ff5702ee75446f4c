"""The connection group: PING, ECHO, SELECT, HELLO, AUTH, QUIT, RESET.

AUTH and HELLO ... AUTH log in as an ACL user (node/acl.py); AUTH with only a password names
the `default` user, whose password `requirepass` sets (without one, AUTH <password> is an error
as in Redis).
"""

from __future__ import annotations

from typing import Any

from node import errors
from node.client import REPLY_ON
from node.errors import CommandError
from node.numbers import parse_int, parse_int32
from node.replies import NO_REPLY, OK, PONG, Status
from node.server import REDIS_VERSION
from node.table import command


@command("ping", -1, "fast", group="connection", tips="request_policy:all_shards response_policy:all_succeeded",
         summary="Ping the server")
def ping(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        raise errors.wrong_arity("ping")
    if ctx.pubsub_context:  # a RESP2 subscriber's PING answers in the shape of a message
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return PONG if len(argv) == 1 else argv[1]


@command("echo", 2, "loading stale fast", group="connection", summary="Echo the given string")
def echo(ctx: Any, argv: list[bytes]) -> bytes:
    return argv[1]


@command("select", 2, "loading stale fast", group="connection", since="1.0.0",
         summary="Change the selected database for the current connection")
def select(ctx: Any, argv: list[bytes]) -> Any:
    index = parse_int32(argv[1])
    if index != 0 and ctx.server.cluster is not None:
        raise CommandError("ERR SELECT is not allowed in cluster mode")
    if not 0 <= index < len(ctx.server.keyspace.dbs):
        raise CommandError(errors.DB_OUT_OF_RANGE)
    ctx.select(index)
    return OK


def redact(argv: list[bytes], positions: range | tuple[int, ...]) -> None:
    """Hide credentials from the slow log, as Redis does (the handler has read them)."""
    for i in positions:
        argv[i] = b"(redacted)"


@command("auth", -2, "noscript loading stale fast no_auth allow_busy", group="connection",
         complexity="O(N) where N is the number of passwords defined for the user",
         summary="Authenticate to the server",
         history=(("6.0.0", "Added ACL style (username and password)."),))
def auth(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        if ctx.server.acl.default.nopass:
            raise CommandError(
                "ERR AUTH <password> called without any password configured for the default "
                "user. Are you sure your configuration is correct?"
            )
        user, password = b"default", argv[1]
    else:
        user, password = argv[1], argv[2]
    redact(argv, range(1, len(argv)))
    if not ctx.server.acl.authenticate(ctx, user, password, argv[0]):
        # As Redis 6+: a failed AUTH leaves an authenticated connection authenticated.
        raise CommandError(errors.WRONGPASS)
    return OK


@command("hello", -1, "noscript loading stale fast no_auth allow_busy", group="connection",
         since="6.0.0", summary="Handshake with Redis",
         history=(("6.2.0", "`protover` made optional; when called without arguments the "
                            "command reports the current connection's context."),))
def hello(ctx: Any, argv: list[bytes]) -> Any:
    version = ctx.protocol
    i = 1
    if len(argv) > 1:
        try:
            version = parse_int(argv[1])
        except CommandError:
            raise CommandError("ERR Protocol version is not an integer or out of range") from None
        i = 2
        if version not in (2, 3):
            raise CommandError("NOPROTO unsupported protocol version")
    # Options take effect as they are read, as in Redis: a bad password stops at once, and a
    # name set before a later syntax error stays set.
    while i < len(argv):
        opt = argv[i].upper()
        more = len(argv) - i - 1
        if opt == b"AUTH" and more >= 2:
            user, password = argv[i + 1], argv[i + 2]
            redact(argv, (i + 1, i + 2))
            if not ctx.server.acl.authenticate(ctx, user, password, argv[0]):
                raise CommandError(errors.WRONGPASS)
            i += 3
        elif opt == b"SETNAME" and more >= 1:
            validate_client_name(argv[i + 1])
            ctx.name = argv[i + 1]
            i += 2
        else:
            raise CommandError(f"ERR Syntax error in HELLO option '{argv[i].decode('utf-8', 'replace')}'")
    if not ctx.authenticated:
        raise CommandError(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
            "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
            "select the RESP protocol version at the same time"
        )
    ctx.set_protocol(version)
    repl = ctx.server.replication
    return {
        "server": b"redis",
        "version": REDIS_VERSION.encode(),
        "proto": version,
        "id": ctx.id,
        "mode": b"cluster" if ctx.server.cluster is not None else b"standalone",
        "role": b"replica" if repl is not None and repl.is_replica else b"master",
        "modules": [],
    }


def validate_client_name(name: bytes) -> None:
    if any(b < 33 or b > 126 for b in name):
        raise CommandError("ERR Client names cannot contain spaces, newlines or special characters.")


@command("quit", -1, "noscript loading stale fast no_auth allow_busy", group="connection",
         summary="Close the connection")
def quit_(ctx: Any, argv: list[bytes]) -> Any:
    # The OK goes out with the rest of the batch's replies, then the connection closes.
    ctx.closing = True
    if ctx.reply_mode == REPLY_ON:
        ctx.write(OK)
    return NO_REPLY


@command("reset", 1, "noscript loading stale fast no_auth allow_busy", group="connection",
         since="6.2.0", summary="Reset the connection")
def reset(ctx: Any, argv: list[bytes]) -> Any:
    ctx.reset()
    return Status(b"RESET")

