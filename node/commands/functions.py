"""FCALL, FCALL_RO and FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS/HELP (Redis 7.0's
functions.c).

The registry and the loading of libraries are node/functions.py; running a function is the
EVAL engine's (node/scripting.py), which serves FUNCTION KILL and FUNCTION STATS while a
function runs past busy-reply-threshold (node/busy.py).
"""

from __future__ import annotations

from typing import Any

from node.commands.client import subcommand_syntax_error
from node.commands.command import help_reply
from node.commands.scripting import SCRIPT_CALL_FLAGS, script_key_specs, settle
from node.errors import CommandError
from node.glob import glob_match
from node.numbers import parse_int
from node.replies import OK, SetReply, Status
from node.scripting import SCRIPT_FLAGS
from node.table import command, numkeys_keys

HELP = [
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored "
    "using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a "
    "restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
    "abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
    "replace the old",
    "      libraries with the new libraries (notice that even on this option there is a "
    "chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
]

_TIPS = "request_policy:all_shards response_policy:all_succeeded"
_CALL_COMPLEXITY = "Depends on the function that is executed."


def _fcall(ctx: Any, argv: list[bytes], readonly: bool) -> Any:
    server = ctx.server
    if server.monitors:
        # Flagged skip_monitor, yet fed to monitors (before the commands it runs), as EVAL.
        server.feed_monitors(ctx, argv)
    function = server.functions.get(argv[1])
    if function is None:
        raise CommandError("ERR Function not found")
    try:
        numkeys = parse_int(argv[2])
    except CommandError:
        raise CommandError("ERR Bad number of keys provided") from None
    if numkeys > len(argv) - 3:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    if numkeys < 0:
        raise CommandError("ERR Number of keys can't be negative")
    reply = server.scripting.run(ctx, function.name, function, argv[3:3 + numkeys],
                                 argv[3 + numkeys:], readonly, fcall=argv)
    return settle(argv, reply)


@command("fcall", -3, SCRIPT_CALL_FLAGS, key_specs=script_key_specs(False, True),
         keys_fallback=numkeys_keys(2), group="scripting", since="7.0.0", complexity=_CALL_COMPLEXITY,
         summary="Invoke a function")
def fcall(ctx: Any, argv: list[bytes]) -> Any:
    return _fcall(ctx, argv, False)


@command("fcall_ro", -3, "readonly " + SCRIPT_CALL_FLAGS, key_specs=script_key_specs(True, True),
         keys_fallback=numkeys_keys(2), group="scripting", since="7.0.0",
         complexity=_CALL_COMPLEXITY, summary="Invoke a read-only function")
def fcall_ro(ctx: Any, argv: list[bytes]) -> Any:
    return _fcall(ctx, argv, True)


command("function", -2, "", group="scripting", since="7.0.0", complexity="Depends on subcommand.",
        summary="A container for function commands", categories="slow")(None)


def _changed(ctx: Any) -> None:
    # server.dirty++ in Redis: the command is propagated and counts for save points.
    ctx.server.keyspace.dirty += 1


@command("function|load", -3, "write denyoom noscript", group="scripting", since="7.0.0",
         complexity="O(1) (considering compilation time is redundant)", tips=_TIPS,
         summary="Create a function with the given arguments (name, code, description)")
def function_load(ctx: Any, argv: list[bytes]) -> Any:
    replace = False
    i = 2
    while i < len(argv) - 1:
        option = argv[i]
        i += 1
        if option.lower() != b"replace":
            raise CommandError("ERR Unknown option given: "
                               + option.split(b"\0", 1)[0].decode("utf-8", "surrogateescape"))
        replace = True
    name = ctx.server.functions.create(argv[i], replace, limited=not ctx.must_obey)
    _changed(ctx)
    return name


@command("function|delete", 3, "write noscript", group="scripting", since="7.0.0",
         tips=_TIPS, summary="Delete a function by name")
def function_delete(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.functions.delete(argv[2])
    _changed(ctx)
    return OK


@command("function|flush", -2, "write noscript", group="scripting", since="7.0.0",
         complexity="O(N) where N is the number of functions deleted", tips=_TIPS,
         summary="Deleting all functions")
def function_flush(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    if len(argv) == 3 and argv[2].lower() not in (b"sync", b"async"):
        raise CommandError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    ctx.server.functions.flush()  # (ASYNC too: nothing to free in the background)
    _changed(ctx)
    return OK


@command("function|list", -2, "noscript", group="scripting", since="7.0.0",
         complexity="O(N) where N is the number of functions",
         tips="nondeterministic_output_order",
         summary="List information about all the functions")
def function_list(ctx: Any, argv: list[bytes]) -> Any:
    with_code = False
    pattern = None
    i = 2
    while i < len(argv):
        arg = argv[i]
        if not with_code and arg.lower() == b"withcode":
            with_code = True
        elif pattern is None and arg.lower() == b"libraryname":
            if i >= len(argv) - 1:
                raise CommandError("ERR library name argument was not given")
            i += 1
            pattern = argv[i]
        else:
            raise CommandError("ERR Unknown argument "
                               + arg.split(b"\0", 1)[0].decode("utf-8", "surrogateescape"))
        i += 1
    out = []
    for library in ctx.server.functions.libraries.values():
        if pattern is not None and not glob_match(pattern, library.name, nocase=True):
            continue
        entry: dict[bytes, Any] = {
            b"library_name": library.name, b"engine": b"LUA",
            b"functions": [{b"name": f.name, b"description": f.description,
                            b"flags": _flag_names(f.flags)}
                           for f in library.functions.values()]}
        if with_code:
            entry[b"library_code"] = library.code
        out.append(entry)
    return out


def _flag_names(flags: int) -> SetReply:
    return SetReply(Status(name) for name, flag in SCRIPT_FLAGS.items() if flags & flag)


@command("function|dump", 2, "noscript", group="scripting", since="7.0.0",
         complexity="O(N) where N is the number of functions",
         summary="Dump all functions into a serialized binary payload")
def function_dump(ctx: Any, argv: list[bytes]) -> Any:
    from node import rdb  # here: node.rdb imports the command modules (value types)

    server = ctx.server
    return rdb.dump_functions(server.functions.codes(), server.config["rdbcompression"])


@command("function|restore", -3, "write denyoom noscript", group="scripting", since="7.0.0",
         complexity="O(N) where N is the number of functions on the payload", tips=_TIPS,
         summary="Restore all the functions on the given payload")
def function_restore(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) > 4:
        raise subcommand_syntax_error(argv)
    policy = argv[3].lower() if len(argv) == 4 else b"append"
    if policy not in (b"flush", b"append", b"replace"):
        raise CommandError("ERR Wrong restore policy given, value should be either FLUSH, "
                           "APPEND or REPLACE.")
    from node import rdb, rdb_reader  # (see function_dump)

    try:
        codes = rdb_reader.function_codes(argv[2])
    except rdb.PayloadError as e:
        raise CommandError(f"ERR {e}") from None
    ctx.server.functions.restore(codes, policy)
    _changed(ctx)
    return OK


@command("function|stats", 2, "noscript allow_busy", group="scripting", since="7.0.0",
         tips="nondeterministic_output request_policy:all_shards response_policy:special",
         summary="Return information about the function currently running (name, "
                 "description, duration)")
def function_stats(ctx: Any, argv: list[bytes]) -> Any:
    functions = ctx.server.functions
    return {b"running_script": ctx.server.scripting.running(),
            b"engines": {b"LUA": {b"libraries_count": len(functions.libraries),
                                  b"functions_count": len(functions.functions)}}}


@command("function|kill", 2, "noscript allow_busy", group="scripting", since="7.0.0",
         complexity="O(1)", tips="request_policy:all_shards response_policy:one_succeeded",
         summary="Kill the function currently in execution.")
def function_kill(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.scripting.kill(function=True)
    return OK


@command("function|help", 2, "loading stale", group="scripting", since="7.0.0",
         summary="Show helpful text about the different subcommands")
def function_help(ctx: Any, argv: list[bytes]) -> Any:
    return help_reply(HELP)
