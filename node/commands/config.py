"""CONFIG GET/SET/RESETSTAT/REWRITE/HELP: the directive table (node/config.py) over the wire.

CONFIG SET is atomic as in Redis 7.0: every name is checked (unknown, immutable, protected,
duplicate), then every value is parsed, and only then are they applied; a listener that
refuses its new value (e.g. `dir` that cannot be entered) rolls all of them back.
"""

from __future__ import annotations

import os
from typing import Any

from node.commands.command import help_reply
from node.config import DIRECTIVES, ConfigError, Directive
from node.errors import SYNTAX, CommandError
from node.glob import glob_match
from node.replies import OK
from node.table import command

HELP = [
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
]

# Values CONFIG SET hides from the slow log (Redis's SENSITIVE_CONFIG).
SENSITIVE = frozenset(("requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass"))
REDACTED = b"(redacted)"

_ADMIN = "admin noscript loading stale"

command("config", -2, "", group="server", since="2.0.0", complexity="Depends on subcommand.",
        summary="A container for server configuration commands")(None)


def _text(arg: bytes) -> str:
    return arg.decode("utf-8", "replace")


def value_of(ctx: Any, d: Directive) -> str:
    """A directive's value as CONFIG GET prints it."""
    if d.name == "dir":
        return os.getcwd()  # Redis answers with getcwd(), whatever `dir` was given as
    return d.format(ctx.server.config.values[d.name])


@command("config|get", -3, _ADMIN, group="server", since="2.0.0",
         complexity="O(N) when N is the number of configuration parameters provided",
         summary="Get the values of configuration parameters",
         history=(("7.0.0", "Added the ability to pass multiple pattern parameters in one call"),))
def config_get(ctx: Any, argv: list[bytes]) -> dict:
    # Names already answered, case-insensitively; a plain name keeps the caller's spelling,
    # a pattern's matches are named as the table names them (aliases included).
    out: dict[bytes, bytes] = {}
    seen: set[str] = set()
    for arg in argv[2:]:
        if not any(c in arg for c in b"[*?"):
            name = _text(arg).lower()
            d = DIRECTIVES.get(name)
            if d is not None and name not in seen:
                seen.add(name)
                out[arg] = value_of(ctx, d).encode()
            continue
        for name, d in DIRECTIVES.items():
            if d.hidden:  # shown only when named exactly
                continue
            if name not in seen and glob_match(arg, name.encode(), nocase=True):
                seen.add(name)
                out[name.encode()] = value_of(ctx, d).encode()
    return out


def _protected_allowed(ctx: Any) -> bool:
    mode = ctx.server.config["enable-protected-configs"]
    if mode == "yes":
        return True
    if mode == "local":
        host = ctx.addr.rsplit(":", 1)[0]
        return host in ("127.0.0.1", "::1")
    return False


@command("config|set", -4, _ADMIN, group="server", since="2.0.0",
         complexity="O(N) when N is the number of configuration parameters provided",
         tips="request_policy:all_nodes response_policy:all_succeeded",
         summary="Set configuration parameters to the given values",
         history=(("7.0.0", "Added the ability to set multiple parameters in one call."),))
def config_set(ctx: Any, argv: list[bytes]) -> Any:
    try:
        return _config_set(ctx, argv)
    finally:
        ctx.server.slowlog.trim()  # with the settings as the command leaves them, failed or not


def _config_set(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) % 2:
        raise CommandError(SYNTAX)
    config = ctx.server.config
    pairs: list[tuple[Directive, str, bytes]] = []  # directive, name as looked up, value
    unknown: bytes | None = None
    error: tuple[bytes, str] | None = None
    names: set[str] = set()
    for i in range(2, len(argv), 2):
        name = _text(argv[i]).lower()
        d = DIRECTIVES.get(name)
        if d is None:
            if unknown is None and error is None:
                unknown = argv[i]
            continue
        value = argv[i + 1]
        if d.name in SENSITIVE:
            argv[i + 1] = REDACTED  # every sensitive value is hidden, even when we fail
        if unknown is not None or error is not None:
            continue
        if d.immutable:
            error = (argv[i], "can't set immutable config")
        elif d.protected and not _protected_allowed(ctx):
            error = (argv[i], "can't set protected config")
        elif name in names:
            # Redis 7.0 compares config entries, and an alias is an entry of its own.
            error = (argv[i], "duplicate parameter")
        names.add(name)
        pairs.append((d, name, value))
    if unknown is not None:
        raise CommandError(
            f"ERR Unknown option or number of arguments for CONFIG SET - '{_text(unknown)}'")
    if error is not None:
        raise _set_failed(error[0], error[1])
    parsed = []
    for d, name, value in pairs:
        try:
            parsed.append((d, d.parse([_text(value)])))
        except ConfigError as e:
            raise _set_failed(name.encode(), str(e)) from None
    old = {d.name: config.values[d.name] for d, _ in parsed}
    done: list[Directive] = []
    for d, value in parsed:
        try:
            config.apply(d.name, value)
        except ConfigError as e:
            for undo in reversed(done + [d]):
                try:
                    config.apply(undo.name, old[undo.name])
                except ConfigError:
                    pass
            ctx.server.log("warning", "Failed applying new configuration. Possibly related to "
                           f"new {d.name} setting. Restoring previous settings.")
            raise _set_failed(d.name.encode(), str(e)) from None
        done.append(d)
    return OK


def _set_failed(name: bytes, reason: str) -> CommandError:
    return CommandError(
        f"ERR CONFIG SET failed (possibly related to argument '{_text(name)}') - {reason}")


@command("config|resetstat", 2, _ADMIN, group="server", since="2.0.0",
         summary="Reset the stats returned by INFO")
def config_resetstat(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.reset_stats()
    return OK


@command("config|rewrite", 2, _ADMIN, group="server", since="2.8.0",
         summary="Rewrite the configuration file with the in memory configuration")
def config_rewrite(ctx: Any, argv: list[bytes]) -> Any:
    config = ctx.server.config
    if not config.file:
        raise CommandError("ERR The server is running without a config file")
    try:
        config.rewrite()
    except OSError as e:
        ctx.server.log("warning", f"CONFIG REWRITE failed: {e.strerror}")
        raise CommandError(f"ERR Rewriting config file: {e.strerror}") from None
    ctx.server.log("notice", "CONFIG REWRITE executed with success.")
    return OK


@command("config|help", 2, "loading stale", group="server", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def config_help(ctx: Any, argv: list[bytes]) -> list:
    return help_reply(HELP)
