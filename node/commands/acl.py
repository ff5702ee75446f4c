"""The ACL command: users, their rules, the ACL log and the aclfile (the model is node/acl.py)."""

from __future__ import annotations

import os
import time
from typing import Any

from node import acl, errors
from node.commands.client import subcommand_syntax_error
from node.commands.command import help_reply
from node.errors import CommandError, as_text
from node.numbers import parse_int
from node.replies import OK, SetReply
from node.table import CATEGORY_ORDER, command, lookup

_ADMIN = "admin noscript loading stale"
HELP = [
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
]
_NO_ACLFILE = ("ERR This Redis instance is not configured to use an ACL file. You may want to "
               "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE "
               "(assuming you have a Redis configuration file set) in order to store users in "
               "the Redis configuration.")

command("acl", -2, "", group="server", since="6.0.0", complexity="Depends on subcommand.",
        summary="A container for Access List Control commands ")(None)  # sic: Redis's space


@command("acl|setuser", -3, _ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of rules provided.",
         summary="Modify or create the rules for a specific ACL user",
         history=(("6.2.0", "Added Pub/Sub channel patterns."),
                  ("7.0.0", "Added selectors and key based permissions.")))
def acl_setuser(ctx: Any, argv: list[bytes]) -> Any:
    # The rules (passwords among them) stay out of the slow log and MONITOR.
    ops = argv[3:]
    name = argv[2]
    argv[2:] = [b"(redacted)"] * (len(argv) - 2)
    if acl.has_spaces(name):
        raise CommandError("ERR Usernames can't contain spaces or null characters")
    merged = acl.merge_selectors(ops)
    if isinstance(merged, int):
        raise CommandError("ERR Unmatched parenthesis in acl selector starting at "
                           f"'{as_text(ops[merged])}'.")
    registry = ctx.server.acl
    existing = registry.users.get(name)
    # Staged on a copy: one refused rule leaves the user as it was.
    staged = registry.new_user(name)
    if existing is not None:
        staged.copy_from(existing)
    try:
        registry.apply_rules(staged, merged)
    except acl.RuleError as e:
        raise CommandError(f"ERR {e}") from None
    if existing is None:
        registry.users[name] = staged
        return OK
    registry.kill_pubsub_clients(staged, existing)
    existing.copy_from(staged)
    registry.user_changed(existing)
    return OK


@command("acl|getuser", 3, _ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of password, command and pattern rules that "
                    "the user has.",
         summary="Get the rules for a specific ACL user",
         history=(("6.2.0", "Added Pub/Sub channel patterns."),
                  ("7.0.0", "Added selectors and changed the format of key and channel "
                            "patterns from a list to their rule representation.")))
def acl_getuser(ctx: Any, argv: list[bytes]) -> Any:
    user = ctx.server.acl.users.get(argv[2])
    if user is None:
        return None
    root = user.selectors[0]
    return {
        b"flags": SetReply(f.encode() for f in user.flags()),
        b"passwords": [p.encode() for p in user.passwords],
        **_selector_reply(root),
        b"selectors": [_selector_reply(s) for s in user.selectors[1:]],
    }


def _selector_reply(selector: acl.Selector) -> dict:
    return {
        b"commands": selector.describe_commands().encode("utf-8", "surrogateescape"),
        b"keys": selector.keys_text().encode("utf-8", "surrogateescape"),
        b"channels": selector.channels_text().encode("utf-8", "surrogateescape"),
    }


@command("acl|deluser", -3, _ADMIN, group="server", since="6.0.0",
         complexity="O(1) amortized time considering the typical user.",
         summary="Remove the specified ACL users and the associated rules")
def acl_deluser(ctx: Any, argv: list[bytes]) -> int:
    if b"default" in argv[2:]:
        raise CommandError("ERR The 'default' user cannot be removed")
    registry = ctx.server.acl
    deleted = 0
    for name in argv[2:]:
        user = registry.users.pop(name, None)
        if user is not None:
            registry.drop_clients(user, ctx)
            deleted += 1
    return deleted


@command("acl|users", 2, _ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of configured users.",
         summary="List the username of all the configured ACL rules")
def acl_users(ctx: Any, argv: list[bytes]) -> list:
    return sorted(ctx.server.acl.users)


@command("acl|list", 2, _ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of configured users.",
         summary="List the current ACL rules in ACL config file format")
def acl_list(ctx: Any, argv: list[bytes]) -> list:
    return [line.encode("utf-8", "surrogateescape") for line in ctx.server.acl.config_lines()]


@command("acl|whoami", 2, "noscript loading stale", group="server", since="6.0.0",
         summary="Return the name of the user associated to the current connection")
def acl_whoami(ctx: Any, argv: list[bytes]) -> bytes:
    return ctx.user.name


@command("acl|cat", -2, "noscript loading stale", group="server", since="6.0.0",
         complexity="O(1) since the categories and commands are a fixed set.",
         summary="List the ACL categories or the commands inside a category")
def acl_cat(ctx: Any, argv: list[bytes]) -> list:
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    if len(argv) == 2:
        return [c.encode() for c in CATEGORY_ORDER]
    cat = as_text(argv[2]).lower()
    if cat not in CATEGORY_ORDER:
        raise CommandError(f"ERR Unknown category '{as_text(argv[2])[:128]}'")
    return [c.name.encode() for c in acl.catalog().members[cat]]


@command("acl|genpass", -2, "noscript loading stale", group="server", since="6.0.0",
         summary="Generate a pseudorandom secure password to use for ACL users")
def acl_genpass(ctx: Any, argv: list[bytes]) -> bytes:
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    bits = parse_int(argv[2]) if len(argv) == 3 else 256
    if not 0 < bits <= 4096:
        raise CommandError("ERR ACL GENPASS argument must be the number of bits for the output "
                           "password, a positive number up to 4096")
    chars = (bits + 3) // 4
    return os.urandom((chars + 1) // 2).hex()[:chars].encode()


@command("acl|log", -2, _ADMIN, group="server", since="6.0.0",
         complexity="O(N) with N being the number of entries shown.",
         summary="List latest events denied because of ACLs in place")
def acl_log(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    log = ctx.server.acl.log
    count = 10
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            log.clear()
            return OK
        count = max(parse_int(argv[2]), 0)
    now = int(time.time() * 1000)
    return [entry.reply(now) for entry in log[:count]]


@command("acl|dryrun", -4, _ADMIN, group="server", since="7.0.0", complexity="O(1).",
         summary="Returns whether the user can execute the given command without executing "
                 "the command.")
def acl_dryrun(ctx: Any, argv: list[bytes]) -> Any:
    user = ctx.server.acl.users.get(argv[2])
    if user is None:
        raise CommandError(f"ERR User '{as_text(argv[2])}' not found")
    target = argv[3:]
    cmd = lookup(target)
    if cmd is None:
        raise CommandError(f"ERR Command '{as_text(argv[3])}' not found")
    if (cmd.arity > 0 and len(target) != cmd.arity) or len(target) < -cmd.arity:
        raise errors.wrong_arity(cmd.name)
    result, pos = user.check(cmd, target)
    if result == acl.DENIED_CMD:
        return f"This user has no permissions to run the '{cmd.name}' command".encode()
    if result == acl.DENIED_KEY:
        return b"This user has no permissions to access the '%b' key" % target[pos]
    if result == acl.DENIED_CHANNEL:
        return b"This user has no permissions to access the '%b' channel" % target[pos]
    return OK


@command("acl|load", 2, _ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of configured users.",
         summary="Reload the ACLs from the configured ACL file")
def acl_load(ctx: Any, argv: list[bytes]) -> Any:
    registry = ctx.server.acl
    if not ctx.server.config["aclfile"]:
        raise CommandError(_NO_ACLFILE)
    errors = registry.load_file(ctx)
    if errors is not None:
        raise CommandError("ERR " + errors)
    return OK


@command("acl|save", 2, _ADMIN, group="server", since="6.0.0",
         complexity="O(N). Where N is the number of configured users.",
         summary="Save the current ACL rules in the configured ACL file")
def acl_save(ctx: Any, argv: list[bytes]) -> Any:
    if not ctx.server.config["aclfile"]:
        raise CommandError(_NO_ACLFILE)
    if not ctx.server.acl.save_file():
        raise CommandError("ERR There was an error trying to save the ACLs. Please check the "
                           "server logs for more information")
    return OK


@command("acl|help", 2, "loading stale", group="server", since="6.0.0",
         summary="Show helpful text about the different subcommands")
def acl_help(ctx: Any, argv: list[bytes]) -> list:
    return help_reply(HELP)
