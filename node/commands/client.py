"""CLIENT: the connection's own settings and the server's view of every connection
(Redis's networking.c `clientCommand`).

A connection describes itself with `ctx.describe()` (one CLIENT LIST line) and its type with
`ctx.client_type()`. KILL closes the target's connection; a client that kills itself gets
its reply first. PAUSE parks other clients' commands in `Client.execute` until
`Server.unpause` resumes them; REPLY's OFF and SKIP are honoured in `Client.call`.

Tracking (CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO) belongs with client-side caching;
it is not registered here. UNBLOCK ends a wait on keys (node/blocking.py), not a pause.
"""

from __future__ import annotations

import time
from typing import Any

from node.client import REPLY_OFF, REPLY_ON, REPLY_SKIP
from node.commands.connection import validate_client_name
from node.errors import SYNTAX, CommandError
from node.numbers import INT64_MAX, parse_int
from node.replies import NO_REPLY, OK, SetReply, Status, Verbatim
from node.table import command
from node.tracking import ClientTracking

HELP = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
]

# getClientTypeByName: the names TYPE accepts (`slave` is the old name of `replica`).
CLIENT_TYPES = {b"normal": "normal", b"slave": "replica", b"replica": "replica",
                b"pubsub": "pubsub", b"master": "master"}


def _client_type(arg: bytes) -> str:
    kind = CLIENT_TYPES.get(arg.lower())
    if kind is None:
        raise CommandError(f"ERR Unknown client type '{arg.decode('utf-8', 'replace')}'")
    return kind


def subcommand_syntax_error(argv: list[bytes]) -> CommandError:
    """addReplySubcommandSyntaxError: the subcommand as typed (a C string, at most 128
    bytes), and the command's HELP to try."""
    sub = argv[1].split(b"\0", 1)[0][:128].decode("utf-8", "surrogateescape")
    return CommandError(
        f"ERR unknown subcommand or wrong number of arguments for '{sub}'. "
        f"Try {argv[0].decode('utf-8', 'replace').upper()} HELP.")


command("client", -2, categories="slow", group="connection", since="2.4.0",
        complexity="Depends on subcommand.",
        summary="A container for client connection commands")(None)


# Registered in the order Redis 7.0.15 lists CLIENT's subcommands in COMMAND INFO.
@command("client|setname", 3, "noscript loading stale", group="connection", since="2.6.9",
         summary="Set the current connection name")
def client_setname(ctx: Any, argv: list[bytes]) -> Any:
    name = argv[2]
    if name:
        validate_client_name(name)
    ctx.name = name  # an empty name removes it
    return OK


@command("client|id", 2, "noscript loading stale", group="connection", since="5.0.0",
         summary="Returns the client ID for the current connection")
def client_id(ctx: Any, argv: list[bytes]) -> int:
    return ctx.id


@command("client|info", 2, "noscript loading stale", group="connection", since="6.2.0",
         tips="nondeterministic_output",
         summary="Returns information about the current client connection.")
def client_info(ctx: Any, argv: list[bytes]) -> Verbatim:
    return Verbatim((ctx.describe() + "\n").encode())


@command("client|no-evict", 3, "admin noscript loading stale", group="connection",
         since="7.0.0", summary="Set client eviction mode for the current connection")
def client_no_evict(ctx: Any, argv: list[bytes]) -> Any:
    mode = argv[2].lower()
    if mode == b"on":
        ctx.no_evict = True
    elif mode == b"off":
        ctx.no_evict = False
    else:
        raise CommandError(SYNTAX)
    return OK


@command("client|kill", -3, "admin noscript loading stale", group="connection",
         since="2.4.0", complexity="O(N) where N is the number of client connections",
         summary="Kill the connection of a client",
         history=(("2.8.12", "Added new filter format."),
                  ("2.8.12", "`ID` option."),
                  ("3.2.0", "Added `master` type in for `TYPE` option."),
                  ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported "
                            "for backward compatibility."),
                  ("6.2.0", "`LADDR` option.")))
def client_kill(ctx: Any, argv: list[bytes]) -> Any:
    addr = laddr = kind = user = None
    client_id = 0
    skipme = True
    if len(argv) == 3:
        # The old form, CLIENT KILL ip:port, which may kill the caller too.
        addr = argv[2].decode("utf-8", "replace")
        skipme = False
    else:
        i = 2
        while i < len(argv):
            opt = argv[i].lower()
            if i + 1 >= len(argv):
                raise CommandError(SYNTAX)
            value = argv[i + 1]
            if opt == b"id":
                client_id = parse_int(value, "ERR client-id should be greater than 0")
                if client_id < 1:
                    raise CommandError("ERR client-id should be greater than 0")
            elif opt == b"type":
                kind = _client_type(value)
            elif opt == b"addr":
                addr = value.decode("utf-8", "replace")
            elif opt == b"laddr":
                laddr = value.decode("utf-8", "replace")
            elif opt == b"user":
                user = ctx.server.acl.users.get(value)
                if user is None:
                    raise CommandError(
                        f"ERR No such user '{value.decode('utf-8', 'replace')}'")
            elif opt == b"skipme":
                flag = value.lower()
                if flag not in (b"yes", b"no"):
                    raise CommandError(SYNTAX)
                skipme = flag == b"yes"
            else:
                raise CommandError(SYNTAX)
            i += 2
    killed = 0
    close_self = False
    for client in list(ctx.server.clients.values()):
        if addr is not None and client.addr != addr:
            continue
        if laddr is not None and client.laddr != laddr:
            continue
        if kind is not None and client.client_type() != kind:
            continue
        if client_id and client.id != client_id:
            continue
        if user is not None and client.user is not user:
            continue
        if client is ctx and skipme:
            continue
        if client is ctx:
            close_self = True  # after the reply, as Redis's CLIENT_CLOSE_AFTER_REPLY
        else:
            client.close()
        killed += 1
    if close_self:
        ctx.closing = True
    if len(argv) == 3:
        if not killed:
            raise CommandError("ERR No such client")
        return OK
    return killed


@command("client|help", 2, "loading stale", group="connection", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def client_help(ctx: Any, argv: list[bytes]) -> list:
    return [Status(line.encode()) for line in HELP]


@command("client|list", -2, "admin noscript loading stale", group="connection",
         since="2.4.0", tips="nondeterministic_output",
         complexity="O(N) where N is the number of client connections",
         summary="Get the list of client connections",
         history=(("2.8.12", "Added unique client `id` field."),
                  ("5.0.0", "Added optional `TYPE` filter."),
                  ("6.0.0", "Added `user` field."),
                  ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the "
                            "optional `ID` filter."),
                  ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
                  ("7.0.3", "Added `ssub` field.")))
def client_list(ctx: Any, argv: list[bytes]) -> Verbatim:
    clients = ctx.server.clients
    if len(argv) == 4 and argv[2].lower() == b"type":
        kind = _client_type(argv[3])
        chosen = [c for c in clients.values() if c.client_type() == kind]
    elif len(argv) > 3 and argv[2].lower() == b"id":
        chosen = []
        for arg in argv[3:]:
            client = clients.get(parse_int(arg, "ERR Invalid client ID"))
            if client is not None:
                chosen.append(client)  # in the order asked, repeats included, as Redis
    elif len(argv) != 2:
        raise CommandError(SYNTAX)
    else:
        chosen = list(clients.values())
    return Verbatim("".join(c.describe() + "\n" for c in chosen).encode())


@command("client|getname", 2, "noscript loading stale", group="connection", since="2.6.9",
         summary="Get the current connection name")
def client_getname(ctx: Any, argv: list[bytes]) -> bytes | None:
    return ctx.name or None


@command("client|unblock", -3, "admin noscript loading stale", group="connection",
         since="5.0.0", complexity="O(log N) where N is the number of client connections",
         summary="Unblock a client blocked in a blocking command from a different connection")
def client_unblock(ctx: Any, argv: list[bytes]) -> int:
    if len(argv) > 4:  # addReplySubcommandSyntaxError
        raise CommandError("ERR unknown subcommand or wrong number of arguments for 'unblock'. "
                           "Try CLIENT HELP.")
    error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason not in (b"timeout", b"error"):
            raise CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
        error = reason == b"error"
    target = ctx.server.clients.get(parse_int(argv[2]))
    return int(target is not None and ctx.server.blocking.unblock(target, error))


@command("client|unpause", 2, "admin noscript loading stale", group="connection",
         since="6.2.0", complexity="O(N) Where N is the number of paused clients",
         summary="Resume processing of clients that were paused")
def client_unpause(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.unpause()
    return OK


@command("client|pause", -3, "admin noscript loading stale", group="connection",
         since="2.9.50", summary="Stop processing commands from clients for some time",
         history=(("6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."),))
def client_pause(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) > 4:
        raise subcommand_syntax_error(argv)
    writes_only = False
    if len(argv) == 4:
        mode = argv[3].lower()
        if mode == b"write":
            writes_only = True
        elif mode != b"all":
            raise CommandError("ERR CLIENT PAUSE mode must be WRITE or ALL")
    # getTimeoutFromObjectOrReply, in milliseconds
    ms = parse_int(argv[2], "ERR timeout is not an integer or out of range")
    if ms < 0:
        raise CommandError("ERR timeout is negative")
    if ms > INT64_MAX - int(time.time() * 1000):
        # Redis 7.0 adds the clock without an overflow check: the deadline wraps into the
        # past, so such a pause only widens one already running (as a 0 ms pause does).
        ms = 0
    ctx.server.pause(ms / 1000, writes_only)
    return OK


@command("client|reply", 3, "noscript loading stale", group="connection", since="3.2.0",
         summary="Instruct the server whether to reply to commands")
def client_reply(ctx: Any, argv: list[bytes]) -> Any:
    mode = argv[2].lower()
    if mode == b"on":
        ctx.reply_mode = REPLY_ON
        return OK
    if mode == b"off":
        ctx.reply_mode = REPLY_OFF
    elif mode == b"skip":
        if ctx.in_exec:
            ctx.skip_after_exec = True  # the EXEC's replies stay whole (exec_ applies it)
        elif ctx.reply_mode != REPLY_OFF:
            ctx.reply_mode = REPLY_SKIP  # Client.call drops the next command's reply
    else:
        raise CommandError(SYNTAX)
    return NO_REPLY


# -- client-side caching (node/tracking.py) ---------------------------------------------------


@command("client|tracking", -3, "noscript loading stale", group="connection", since="6.0.0",
         complexity="O(1). Some options may introduce additional complexity.",
         summary="Enable or disable server assisted client side caching support")
def client_tracking(ctx: Any, argv: list[bytes]) -> Any:
    redirect = 0
    bcast = optin = optout = noloop = False
    prefixes: list[bytes] = []
    j, n = 3, len(argv)
    while j < n:
        opt = argv[j].lower()
        more = j + 1 < n
        if opt == b"redirect" and more:
            j += 1
            if redirect:
                raise CommandError("ERR A client can only redirect to a single other client")
            redirect = parse_int(argv[j])
            if redirect not in ctx.server.clients:
                raise CommandError("ERR The client ID you want redirect to does not exist")
        elif opt == b"bcast":
            bcast = True
        elif opt == b"optin":
            optin = True
        elif opt == b"optout":
            optout = True
        elif opt == b"noloop":
            noloop = True
        elif opt == b"prefix" and more:
            j += 1
            prefixes.append(argv[j])
        else:
            raise CommandError(SYNTAX)
        j += 1
    mode = argv[2].lower()
    if mode == b"off":
        ctx.server.tracking.disable(ctx)
        return OK
    if mode != b"on":
        raise CommandError(SYNTAX)
    current = ctx.tracking
    if not bcast and prefixes:
        raise CommandError("ERR PREFIX option requires BCAST mode to be enabled")
    if current is not None and current.bcast != bcast:
        raise CommandError("ERR You can't switch BCAST mode on/off before disabling tracking "
                           "for this client, and then re-enabling it with a different mode.")
    if bcast and (optin or optout):
        raise CommandError("ERR OPTIN and OPTOUT are not compatible with BCAST")
    if optin and optout:
        raise CommandError("ERR You can't specify both OPTIN mode and OPTOUT mode")
    if current is not None and (optin and current.optout or optout and current.optin):
        raise CommandError("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking "
                           "for this client, and then re-enabling it with a different mode.")
    if bcast:
        _check_prefixes(current.prefixes if current is not None else [], prefixes)
    ctx.server.tracking.enable(ctx, ClientTracking(bcast, optin, optout, noloop, redirect,
                                                   prefixes))
    return OK


def _check_prefixes(existing: list[bytes], given: list[bytes]) -> None:
    """checkPrefixCollisionsOrReply: no prefix of a client may be a prefix of another."""
    def overlap(a: bytes, b: bytes) -> bool:
        return a.startswith(b) or b.startswith(a)

    for i, prefix in enumerate(given):
        text = prefix.decode("utf-8", "replace")
        for other in existing:
            if overlap(prefix, other):
                raise CommandError(
                    f"ERR Prefix '{text}' overlaps with an existing prefix "
                    f"'{other.decode('utf-8', 'replace')}'. Prefixes for a single client must "
                    "not overlap.")
        for other in given[i + 1:]:
            if overlap(prefix, other):
                raise CommandError(
                    f"ERR Prefix '{text}' overlaps with another provided prefix "
                    f"'{other.decode('utf-8', 'replace')}'. Prefixes for a single client must "
                    "not overlap.")


@command("client|caching", 3, "noscript loading stale", group="connection", since="6.0.0",
         summary="Instruct the server about tracking or not keys in the next request")
def client_caching(ctx: Any, argv: list[bytes]) -> Any:
    settings = ctx.tracking
    if settings is None:
        raise CommandError("ERR CLIENT CACHING can be called only when the client is in "
                           "tracking mode with OPTIN or OPTOUT mode enabled")
    opt = argv[2].lower()
    if opt == b"yes":
        if not settings.optin:
            raise CommandError("ERR CLIENT CACHING YES is only valid when tracking is enabled "
                               "in OPTIN mode.")
    elif opt == b"no":
        if not settings.optout:
            raise CommandError("ERR CLIENT CACHING NO is only valid when tracking is enabled "
                               "in OPTOUT mode.")
    else:
        raise CommandError(SYNTAX)
    settings.caching = True
    return OK


@command("client|getredir", 2, "noscript loading stale", group="connection", since="6.0.0",
         summary="Get tracking notifications redirection client ID if any")
def client_getredir(ctx: Any, argv: list[bytes]) -> int:
    return ctx.tracking.redirect if ctx.tracking is not None else -1


@command("client|trackinginfo", 2, "noscript loading stale", group="connection",
         since="6.2.0",
         summary="Return information about server assisted client side caching for the "
         "current connection")
def client_trackinginfo(ctx: Any, argv: list[bytes]) -> dict:
    settings = ctx.tracking
    if settings is None:
        return {b"flags": SetReply([b"off"]), b"redirect": -1, b"prefixes": []}
    flags = [b"on"]
    if settings.bcast:
        flags.append(b"bcast")
    if settings.optin:
        flags += [b"optin", b"caching-yes"] if settings.caching else [b"optin"]
    if settings.optout:
        flags += [b"optout", b"caching-no"] if settings.caching else [b"optout"]
    if settings.noloop:
        flags.append(b"noloop")
    if settings.broken_redirect:
        flags.append(b"broken_redirect")
    return {b"flags": SetReply(flags), b"redirect": settings.redirect,
            b"prefixes": sorted(settings.prefixes) if settings.bcast else []}  # a rax's order
