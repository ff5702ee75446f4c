"""EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/HELP (Redis 7.0's eval.c).

The engine (Lua state, script cache, redis.call) is node/scripting.py; this module parses the
commands and hands over. SCRIPT KILL is served while a script runs past busy-reply-threshold
(node/busy.py). Not registered: SCRIPT DEBUG (no debugger). FUNCTION and FCALL are
node/commands/functions.py.
"""

from __future__ import annotations

from typing import Any

from node.commands.command import help_reply
from node.errors import CommandError
from node.numbers import parse_int
from node.replies import OK
from node.scripting import NOSCRIPT
from node.table import COMMANDS, KeySpec, command, numkeys_keys

HELP = [
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
]

SCRIPT_CALL_FLAGS = "noscript stale skip_monitor may_replicate no_mandatory_keys movablekeys"
_COMPLEXITY = "Depends on the script that is executed."


def script_key_specs(ro: bool, notes: bool) -> tuple[KeySpec, ...]:
    # Redis's key spec: numkeys at argv[2], the keys right after it (EVAL's and EVAL_RO's
    # carry a note, the EVALSHAs' none).
    flags, note = ((("RO", "access"), "RO and ACCESS") if ro
                   else (("RW", "access", "update"), "RW and UPDATE"))
    return (KeySpec(flags, 2, keynum_index=0, firstkey=1, keystep=1,
                    notes=f"We cannot tell how the keys will be used so we assume the worst, "
                          f"{note}" if notes else None),)


def _eval(ctx: Any, argv: list[bytes], by_sha: bool, readonly: bool) -> Any:
    server = ctx.server
    engine = server.scripting
    if by_sha and len(argv[1]) != 40:
        raise CommandError(NOSCRIPT)
    numkeys = parse_int(argv[2])
    if numkeys > len(argv) - 3:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    if numkeys < 0:
        raise CommandError("ERR Number of keys can't be negative")
    if by_sha:
        sha = argv[1].lower()
        script = engine.scripts.get(sha)
        if script is None:
            raise CommandError(NOSCRIPT)
    else:
        sha, script = engine.load(argv[1])
    if server.monitors:
        # EVAL is flagged skip_monitor, yet Redis shows it, before the commands it runs.
        server.feed_monitors(ctx, argv)
    reply = engine.run(ctx, sha, script, argv[3:3 + numkeys], argv[3 + numkeys:], readonly)
    return settle(argv, reply)


def settle(argv: list[bytes], reply: Any) -> Any:
    """The reply of a script's run (EVAL's or FCALL's), its error raised unless counted."""
    if isinstance(reply, CommandError):
        if not getattr(reply, "counted", False):
            raise reply  # counted in the error stats now
        # An error a command of the script replied, counted then: the EVAL failed all the
        # same (afterErrorReply with ERR_REPLY_FLAG_NO_STATS_UPDATE).
        COMMANDS[argv[0].lower()].failed_calls += 1
    return reply


@command("eval", -3, SCRIPT_CALL_FLAGS, key_specs=script_key_specs(False, True),
         keys_fallback=numkeys_keys(2), group="scripting", since="2.6.0", complexity=_COMPLEXITY,
         summary="Execute a Lua script server side")
def eval_(ctx: Any, argv: list[bytes]) -> Any:
    return _eval(ctx, argv, False, False)


@command("evalsha", -3, SCRIPT_CALL_FLAGS, key_specs=script_key_specs(False, False),
         keys_fallback=numkeys_keys(2), group="scripting", since="2.6.0", complexity=_COMPLEXITY,
         summary="Execute a Lua script server side")
def evalsha(ctx: Any, argv: list[bytes]) -> Any:
    return _eval(ctx, argv, True, False)


@command("eval_ro", -3, "readonly " + SCRIPT_CALL_FLAGS, key_specs=script_key_specs(True, True),
         keys_fallback=numkeys_keys(2), group="scripting", since="7.0.0",
         complexity=_COMPLEXITY, summary="Execute a read-only Lua script server side")
def eval_ro(ctx: Any, argv: list[bytes]) -> Any:
    return _eval(ctx, argv, False, True)


@command("evalsha_ro", -3, "readonly " + SCRIPT_CALL_FLAGS, key_specs=script_key_specs(True, False),
         keys_fallback=numkeys_keys(2), group="scripting", since="7.0.0",
         complexity=_COMPLEXITY, summary="Execute a read-only Lua script server side")
def evalsha_ro(ctx: Any, argv: list[bytes]) -> Any:
    return _eval(ctx, argv, True, True)


command("script", -2, "", group="scripting", since="2.6.0", complexity="Depends on subcommand.",
        summary="A container for Lua scripts management commands", categories="slow")(None)


@command("script|load", 3, "noscript stale", group="scripting", since="2.6.0",
         complexity="O(N) with N being the length in bytes of the script body.",
         tips="request_policy:all_nodes response_policy:all_succeeded",
         summary="Load the specified Lua script into the script cache.")
def script_load(ctx: Any, argv: list[bytes]) -> Any:
    sha, _ = ctx.server.scripting.load(argv[2])
    return sha


@command("script|exists", -3, "noscript", group="scripting", since="2.6.0",
         complexity="O(N) with N being the number of scripts to check (so checking a single "
         "script is an O(1) operation).",
         tips="request_policy:all_shards response_policy:agg_logical_and",
         summary="Check existence of scripts in the script cache.")
def script_exists(ctx: Any, argv: list[bytes]) -> Any:
    scripts = ctx.server.scripting.scripts
    return [1 if sha.lower() in scripts else 0 for sha in argv[2:]]


@command("script|flush", -2, "noscript", group="scripting", since="2.6.0",
         complexity="O(N) with N being the number of scripts in cache",
         tips="request_policy:all_nodes response_policy:all_succeeded",
         summary="Remove all the scripts from the script cache.",
         history=(("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers."),))
def script_flush(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3 or (len(argv) == 3 and argv[2].lower() not in (b"sync", b"async")):
        raise CommandError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    ctx.server.scripting.flush()  # (ASYNC too: the cache is freed at once either way)
    return OK


@command("script|kill", 2, "noscript allow_busy", group="scripting", since="2.6.0",
         complexity="O(1)", tips="request_policy:all_shards response_policy:one_succeeded",
         summary="Kill the script currently in execution.")
def script_kill(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.scripting.kill(function=False)
    return OK


@command("script|help", 2, "loading stale", group="scripting", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def script_help(ctx: Any, argv: list[bytes]) -> Any:
    return help_reply(HELP)


