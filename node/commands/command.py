"""COMMAND and its subcommands: the command table, read back to clients in Redis 7's shapes."""

from __future__ import annotations

from typing import Any

from node.errors import SYNTAX, CommandError
from node.glob import glob_match
from node.replies import SetReply, Status
from node.table import COMMANDS, Command, all_commands, command, lookup

HELP = [
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
]


def help_reply(lines: list[str]) -> list:
    """A HELP subcommand's reply: one status line per entry, as Redis sends them."""
    return [Status(line.encode()) for line in lines]


def find(name: bytes) -> Command | None:
    """A command by `name` or `container|sub`, case-insensitively."""
    head, bar, sub = name.lower().partition(b"|")
    cmd = COMMANDS.get(head)
    if cmd is not None and bar:
        return cmd.subcommands.get(sub)  # `config|` names no command, as in Redis
    return cmd


@command("command", -1, "loading stale", group="server", categories="connection",
         tips="nondeterministic_output_order",
         complexity="O(N) where N is the total number of Redis commands",
         since="2.8.13", summary="Get array of Redis command details")
def command_(ctx: Any, argv: list[bytes]) -> Any:
    return [cmd.info_reply() for cmd in COMMANDS.values()]


@command("command|count", 2, "loading stale", group="server", categories="connection", since="2.8.13",
         summary="Get total number of Redis commands")
def command_count(ctx: Any, argv: list[bytes]) -> int:
    return len(COMMANDS)


@command("command|info", -2, "loading stale", group="server", categories="connection", since="2.8.13",
         tips="nondeterministic_output_order",
         complexity="O(N) where N is the number of commands to look up",
         summary="Get array of specific Redis command details, or all when no argument is given.",
         history=(("7.0.0", "Allowed to be called with no argument to get info on all "
                            "commands."),))
def command_info(ctx: Any, argv: list[bytes]) -> list:
    if len(argv) == 2:
        return [cmd.info_reply() for cmd in COMMANDS.values()]
    out = []
    for name in argv[2:]:
        cmd = find(name)
        out.append(cmd.info_reply() if cmd is not None else None)
    return out


@command("command|docs", -2, "loading stale", group="server", categories="connection", since="7.0.0",
         tips="nondeterministic_output_order",
         complexity="O(N) where N is the number of commands to look up",
         summary="Get array of specific Redis command documentation")
def command_docs(ctx: Any, argv: list[bytes]) -> dict:
    if len(argv) == 2:
        return {cmd.name.encode(): cmd.docs_reply() for cmd in COMMANDS.values()}
    out = {}
    for name in argv[2:]:
        cmd = find(name)
        if cmd is not None:
            out[cmd.name.encode()] = cmd.docs_reply()
    return out


@command("command|list", -2, "loading stale", group="server", categories="connection", since="7.0.0",
         tips="nondeterministic_output_order",
         complexity="O(N) where N is the total number of Redis commands",
         summary="Get an array of Redis command names")
def command_list(ctx: Any, argv: list[bytes]) -> list:
    cmds = list(all_commands())
    if len(argv) == 2:
        return [c.name.encode() for c in cmds]
    if len(argv) != 5 or argv[2].upper() != b"FILTERBY":
        raise CommandError(SYNTAX)
    kind, arg = argv[3].upper(), argv[4]
    if kind == b"MODULE":
        return []  # slotkv has no modules
    if kind == b"ACLCAT":
        cat = arg.lower().decode("utf-8", "replace")
        return [c.name.encode() for c in cmds if cat in c.acl_categories()]
    if kind == b"PATTERN":
        return [c.name.encode() for c in cmds if glob_match(arg, c.name.encode(), nocase=True)]
    raise CommandError(SYNTAX)


def _keys_of(argv: list[bytes]) -> list[tuple[int, tuple[str, ...]]]:
    target = argv[2:]
    cmd = lookup(target)
    if cmd is None:
        raise CommandError("ERR Invalid command specified")
    # Redis's doesCommandHaveKeys, before the arity: a key function, or a spec of real keys
    # (shard channels are specs flagged not_key, for cluster routing only).
    if cmd.keys_fn is None and all("not_key" in spec.flags for spec in cmd.key_specs):
        raise CommandError("ERR The command has no key arguments")
    if (cmd.arity > 0 and len(target) != cmd.arity) or len(target) < -cmd.arity:
        raise CommandError("ERR Invalid number of arguments specified for command")
    found = cmd.keys_and_flags(target)
    if not found and "no_mandatory_keys" not in cmd.flags:  # (EVAL, FCALL: none is fine)
        raise CommandError("ERR Invalid arguments specified for command")
    return found


@command("command|getkeys", -4, "loading stale", group="server", categories="connection", since="2.8.13",
         complexity="O(N) where N is the number of arguments to the command",
         summary="Extract keys given a full Redis command")
def command_getkeys(ctx: Any, argv: list[bytes]) -> list:
    return [argv[2 + i] for i, _ in _keys_of(argv)]


@command("command|getkeysandflags", -4, "loading stale", group="server", categories="connection", since="7.0.0",
         complexity="O(N) where N is the number of arguments to the command",
         summary="Extract keys and access flags given a full Redis command")
def command_getkeysandflags(ctx: Any, argv: list[bytes]) -> list:
    return [[argv[2 + i], SetReply(Status(f.encode()) for f in flags)]
            for i, flags in _keys_of(argv)]


@command("command|help", 2, "loading stale", group="server", categories="connection", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def command_help(ctx: Any, argv: list[bytes]) -> list:
    return help_reply(HELP)
