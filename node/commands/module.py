"""MODULE LIST/LOAD/LOADEX/UNLOAD/HELP: a server that has no modules, as Redis without any.

slotkv cannot load Redis modules (they are C shared objects written against Redis's own
process). What a client sees is what a redis-server shows when it has none loaded and a load
fails: LIST is empty (clients and tools such as RedisInsight ask it to detect RedisJSON or
RediSearch), LOAD and LOADEX get Redis's load-failure error, with the reason in the log, and
UNLOAD finds no such module. LOAD, LOADEX and UNLOAD are protected by
`enable-module-command`, as in Redis 7.
"""

from __future__ import annotations

from typing import Any

from node.commands.command import help_reply
from node.errors import CommandError
from node.table import command

HELP = [
    "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and "
    "optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
    "HELP",
    "    Prints this help.",
]

_CHANGES = "admin noscript no_async_loading"
_LOAD_FAILED = "ERR Error loading the extension. Please check the server logs."

command("module", -2, "", group="server", since="4.0.0", complexity="Depends on subcommand.",
        summary="A container for module commands")(None)


@command("module|help", 2, "loading stale", group="server", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def module_help(ctx: Any, argv: list[bytes]) -> list:
    return help_reply(HELP)


@command("module|list", 2, "admin noscript", group="server", since="4.0.0",
         tips="nondeterministic_output_order",
         complexity="O(N) where N is the number of loaded modules.",
         summary="List all modules loaded by the server")
def module_list(ctx: Any, argv: list[bytes]) -> list:
    return []


def _refuse_load(ctx: Any, path: bytes) -> None:
    # Redis's moduleLoad logs why (dlopen's error) and replies only that it failed.
    ctx.server.log("warning", f"Module {path.decode(errors='replace')} failed to load: "
                   "slotkv does not load Redis modules")
    raise CommandError(_LOAD_FAILED)


@command("module|load", -3, _CHANGES, group="server", since="4.0.0",
         protected="enable-module-command", summary="Load a module")
def module_load(ctx: Any, argv: list[bytes]) -> Any:
    _refuse_load(ctx, argv[2])


@command("module|loadex", -3, _CHANGES, group="server", since="7.0.0",
         protected="enable-module-command", summary="Load a module with extended parameters")
def module_loadex(ctx: Any, argv: list[bytes]) -> Any:
    _refuse_load(ctx, argv[2])


@command("module|unload", 3, _CHANGES, group="server", since="4.0.0",
         protected="enable-module-command", summary="Unload a module")
def module_unload(ctx: Any, argv: list[bytes]) -> Any:
    raise CommandError("ERR Error unloading module: no such module with that name")
