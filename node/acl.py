"""Users and their permissions, as Redis 7.0's ACL (src/acl.c): rules, checks, the ACL log.

A user has flags (on/off, nopass), SHA-256 password hashes and selectors: the root selector
the plain rules change, plus `(...)` selectors; a command runs when any selector allows the
command, its keys (read/write as the key specs flag them) and its channels. A selector's
commands are a set of `Command`s where Redis keeps a bitmap of command ids, so the rules
`ACL LIST` prints are derived from that set by Redis's own best-fit over the categories.

Unrestricted users (the default one: +@all ~* &*) never reach `check`: a client of a
restricted user takes the checks path, where `Client.execute` asks `Acl.refusal`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any, Iterable

from node.atomicfile import write_atomically
from node.errors import CommandError, as_text
from node.glob import glob_match
from node.table import CATEGORY_ORDER, COMMANDS, Command, all_commands

if TYPE_CHECKING:
    from node.client import Client
    from node.server import Server

# Check results, ordered as Redis's ACL_* (a larger one is the more relevant error).
OK, DENIED_CMD, DENIED_KEY, DENIED_AUTH, DENIED_CHANNEL = 0, 1, 2, 3, 4
READ, WRITE = 1, 2
_WRITE_KEY_FLAGS = ("insert", "delete", "update")
LOG_REASONS = {DENIED_CMD: b"command", DENIED_KEY: b"key", DENIED_CHANNEL: b"channel",
               DENIED_AUTH: b"auth"}
_LOG_GROUPING_MS = 60000

# Redis's ACLSetUserStringError texts, by the errno its ACLSetUser sets.
E_SYNTAX = "Syntax error"
E_UNKNOWN = "Unknown command or category name in ACL"
E_ALLKEYS = ("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and "
             "does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
E_ALLCHANNELS = ("Adding a pattern after the * pattern (or the 'allchannels' flag) is not "
                 "valid and does not have any effect. Try 'resetchannels' to start with an "
                 "empty list of channels")
E_NOPASS = "The password you are trying to remove from the user does not exist"
E_HASH = ("The password hash must be exactly 64 characters and contain only lowercase "
          "hexadecimal characters")
E_FIRSTARG = "Allowing first-arg of a subcommand is not supported"
E_DUPLICATE = "Duplicate user found. A user can only be defined once in config files"


class RuleError(Exception):
    """A rule ACLSetUser refuses; the message is Redis's reason."""


def hash_password(password: bytes) -> str:
    return hashlib.sha256(password).hexdigest()


def _valid_hash(text: bytes) -> bool:
    return len(text) == 64 and all(c in b"0123456789abcdef" for c in text)


def has_spaces(text: bytes) -> bool:
    """Redis's ACLStringHasSpaces: whitespace or NUL, refused in names and patterns."""
    return any(c in b" \t\n\v\f\r\x00" for c in text)


def _lookup(name: bytes) -> Command | None:
    # ACLLookupCommand: `cmd` or `container|sub`, case-insensitively.
    head, bar, sub = name.lower().partition(b"|")
    cmd = COMMANDS.get(head)
    if cmd is not None and bar:
        return cmd.subcommands.get(sub)
    return cmd


def _family(cmd: Command) -> list[Command]:
    # ACLChangeSelectorPerm: a container's permission is its subcommands' too.
    return [cmd, *cmd.subcommands.values()]


class Catalog:
    """The categories over the command table, built once the table is complete."""

    def __init__(self) -> None:
        self.commands = list(all_commands())
        self.members: dict[str, list[Command]] = {c: [] for c in CATEGORY_ORDER}
        for cmd in self.commands:
            for cat in cmd.acl_categories():
                self.members[cat].append(cmd)
        # What `+@cat` changes: every member, and every subcommand of a member container.
        self.reach: dict[str, set[Command]] = {
            cat: {c for m in cmds for c in _family(m)} for cat, cmds in self.members.items()}


_catalog: Catalog | None = None


def catalog() -> Catalog:
    global _catalog
    if _catalog is None or len(_catalog.commands) != sum(1 for _ in all_commands()):
        _catalog = Catalog()
    return _catalog


class Selector:
    """What a selector allows: commands (Redis's bitmap and first-args), keys, channels."""

    __slots__ = ("root", "allowed", "future", "allcommands", "firstargs", "allkeys",
                 "patterns", "allchannels", "channels")

    def __init__(self, root: bool = False, allchannels: bool = False) -> None:
        self.root = root
        self.allowed: set[Command] = set()
        self.future = False  # Redis's reserved bit: +@all, so commands added later too
        self.allcommands = False
        self.firstargs: dict[Command, list[bytes]] = {}
        self.allkeys = False
        self.patterns: list[list[Any]] = []  # [READ|WRITE flags, pattern]
        self.allchannels = allchannels
        self.channels: list[bytes] = []

    def copy(self) -> Selector:
        new = Selector(self.root, self.allchannels)
        new.allowed = set(self.allowed)
        new.future, new.allcommands, new.allkeys = self.future, self.allcommands, self.allkeys
        new.firstargs = {c: list(a) for c, a in self.firstargs.items()}
        new.patterns = [list(p) for p in self.patterns]
        new.channels = list(self.channels)
        return new

    @property
    def unrestricted(self) -> bool:
        return self.allcommands and self.allkeys and self.allchannels

    def _change(self, cmd: Command, allow: bool) -> None:
        if allow:
            self.allowed.update(_family(cmd))
        else:
            self.allowed.difference_update(_family(cmd))
            self.allcommands = False
        self.firstargs.pop(cmd, None)

    def _category(self, name: bytes, allow: bool) -> None:
        cat = name.decode("utf-8", "replace").lower()
        cats = catalog()
        if cat not in cats.members:
            raise RuleError(E_UNKNOWN)
        members = cats.members[cat]
        if allow:
            self.allowed |= cats.reach[cat]
        else:
            self.allowed -= cats.reach[cat]
            if members:
                self.allcommands = False
        for cmd in members:
            self.firstargs.pop(cmd, None)

    def _all(self, allow: bool) -> None:
        self.allowed = set(catalog().commands) if allow else set()
        self.future = self.allcommands = allow
        self.firstargs = {}

    def apply(self, op: bytes) -> None:
        """Redis's ACLSetSelector; RuleError with Redis's reason if `op` is refused."""
        low = op.lower()
        if low in (b"allkeys", b"~*"):
            self.allkeys = True
            self.patterns = []
        elif low == b"resetkeys":
            self.allkeys = False
            self.patterns = []
        elif low in (b"allchannels", b"&*"):
            self.allchannels = True
            self.channels = []
        elif low == b"resetchannels":
            self.allchannels = False
            self.channels = []
        elif low in (b"allcommands", b"+@all"):
            self._all(True)
        elif low in (b"nocommands", b"-@all"):
            self._all(False)
        elif op[:1] in (b"~", b"%"):
            self._key_pattern(op)
        elif op[:1] == b"&":
            if self.allchannels:
                raise RuleError(E_ALLCHANNELS)
            if has_spaces(op[1:]):
                raise RuleError(E_SYNTAX)
            if op[1:] not in self.channels:
                self.channels.append(op[1:])
        elif op[:1] == b"+" and op[1:2] != b"@":
            self._allow(op[1:])
        elif op[:1] == b"-" and op[1:2] != b"@":
            cmd = _lookup(op[1:])
            if cmd is None:
                raise RuleError(E_UNKNOWN)
            self._change(cmd, False)
        elif op[:1] in (b"+", b"-"):
            self._category(op[2:], op[:1] == b"+")
        else:
            raise RuleError(E_SYNTAX)

    def _key_pattern(self, op: bytes) -> None:
        if self.allkeys:
            raise RuleError(E_ALLKEYS)
        flags = 0
        offset = 1
        if op[:1] == b"%":
            while offset < len(op):
                c = op[offset:offset + 1].upper()
                if c == b"R" and not flags & READ:
                    flags |= READ
                elif c == b"W" and not flags & WRITE:
                    flags |= WRITE
                elif c == b"~":
                    offset += 1
                    break
                else:
                    raise RuleError(E_SYNTAX)
                offset += 1
        else:
            flags = READ | WRITE
        pattern = op[offset:]
        if has_spaces(pattern):
            raise RuleError(E_SYNTAX)
        for existing in self.patterns:
            if existing[1] == pattern:
                existing[0] |= flags
                break
        else:
            self.patterns.append([flags, pattern])

    def _allow(self, name: bytes) -> None:
        if b"|" not in name:
            cmd = _lookup(name)
            if cmd is None:
                raise RuleError(E_UNKNOWN)
            self._change(cmd, True)
            return
        head, _, sub = name.rpartition(b"|")
        cmd = _lookup(head)
        if cmd is None:
            raise RuleError(E_UNKNOWN)
        if "|" in cmd.name:
            raise RuleError(E_FIRSTARG)
        if not sub:
            raise RuleError(E_SYNTAX)
        if cmd.subcommands:
            subcmd = _lookup(name)
            if subcmd is None:
                raise RuleError(E_UNKNOWN)
            self._change(subcmd, True)
        else:
            # A first argument allowed for an otherwise blocked command (SELECT|0).
            allowed = self.firstargs.setdefault(cmd, [])
            if sub.lower() not in (a.lower() for a in allowed):
                allowed.append(sub)

    # -- checks ------------------------------------------------------------------------------

    def check(self, cmd: Command, argv: list[bytes], keys: list) -> tuple[int, int]:
        """Redis's ACLSelectorCheckCmd: (OK or a DENIED_*, the argument refused)."""
        if not self.allcommands and "no_auth" not in cmd.flags and cmd not in self.allowed:
            allowed = self.firstargs.get(cmd)
            if not allowed or len(argv) < 2:
                return DENIED_CMD, 0
            first = argv[2 if "|" in cmd.name else 1].lower()
            if not any(a.lower() == first for a in allowed):
                return DENIED_CMD, 0
        if not self.allkeys:
            if not keys:
                keys.append([(i, f) for i, f in cmd.keys_and_flags(argv)
                             if "not_key" not in f])
            for i, flags in keys[0]:
                if not self.key_allowed(argv[i], flags):
                    return DENIED_KEY, i
        if not self.allchannels and cmd.channels:
            last = 2 if cmd.channels == "publish" else len(argv)
            literal = cmd.channels == "pattern"
            for i in range(1, last):
                if not channel_allowed(self.channels, argv[i], literal):
                    return DENIED_CHANNEL, i
        return OK, 0

    def key_allowed(self, key: bytes, spec_flags: Iterable[str]) -> bool:
        if self.allkeys:
            return True
        need = 0
        for f in spec_flags:
            if f == "access":
                need |= READ
            elif f in _WRITE_KEY_FLAGS:
                need |= WRITE
        for flags, pattern in self.patterns:
            if flags & need == need and glob_match(pattern, key):
                return True
        return False

    # -- description (ACLDescribeSelector) ---------------------------------------------------

    def describe_commands(self) -> str:
        """The command rules that rebuild this selector's set, as Redis derives them: +@all
        or -@all, the categories that fit best, then single commands and first-args."""
        cats = catalog()
        additive = not self.future
        rules = ["-@all" if additive else "+@all"]
        fake = Selector()
        fake._all(not additive)
        temp = set(self.allowed)
        applied: set[str] = set()
        while True:
            best, mindiff, maxsame = None, 1 << 31, 0
            for cat in CATEGORY_ORDER:
                if cat in applied:
                    continue
                members = cats.members[cat]
                on = sum(1 for c in members if c in temp)
                off = len(members) - on
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (diff < mindiff or (diff == mindiff and same > maxsame)):
                    best, mindiff, maxsame = cat, diff, same
            if best is None:
                break
            fake._category(best.encode(), additive)
            if additive:
                temp -= cats.reach[best]
            else:
                temp |= cats.reach[best]
            rules.append(("+@" if additive else "-@") + best)
            applied.add(best)
        for cmd in COMMANDS.values():
            self._describe_one(cmd, fake, rules)
        return " ".join(rules)

    def _describe_one(self, cmd: Command, fake: Selector, rules: list[str]) -> None:
        mine = cmd in self.allowed
        if mine != (cmd in fake.allowed):
            rules.append(("+" if mine else "-") + cmd.name)
            fake._change(cmd, mine)
        for sub in cmd.subcommands.values():
            self._describe_one(sub, fake, rules)
        if not mine:
            for arg in self.firstargs.get(cmd, ()):
                rules.append(f"+{cmd.name}|{arg.decode('utf-8', 'surrogateescape')}")

    def keys_text(self) -> str:
        if self.allkeys:
            return "~*"
        return " ".join(_pattern_text(f, p) for f, p in self.patterns)

    def channels_text(self) -> str:
        if self.allchannels:
            return "&*"
        return " ".join("&" + as_text(c) for c in self.channels)

    def describe(self) -> str:
        parts = [self.keys_text()] if self.allkeys or self.patterns else []
        if self.allchannels:
            parts.append("&*")
        else:
            parts.append("resetchannels")
            parts.extend("&" + as_text(c) for c in self.channels)
        parts.append(self.describe_commands())
        return " ".join(parts)


def _pattern_text(flags: int, pattern: bytes) -> str:
    prefix = {READ | WRITE: "~", READ: "%R~", WRITE: "%W~"}[flags]
    return prefix + as_text(pattern)


def channel_allowed(patterns: list[bytes], channel: bytes, literal: bool) -> bool:
    """ACLCheckChannelAgainstList: a PSUBSCRIBE pattern must equal an allowed pattern."""
    if literal:
        return channel in patterns
    return any(glob_match(p, channel) for p in patterns)


class User:
    __slots__ = ("name", "enabled", "nopass", "sanitize", "passwords", "selectors",
                 "restricted")

    def __init__(self, name: bytes, allchannels: bool = False) -> None:
        self.name = name
        self.enabled = False  # a new user is off (Redis's USER_FLAG_DISABLED)
        self.nopass = False
        self.sanitize: str | None = None  # "skip-sanitize-payload" | "sanitize-payload"
        self.passwords: list[str] = []
        self.selectors = [Selector(root=True, allchannels=allchannels)]
        self.restricted = True

    def copy_from(self, other: User) -> None:
        self.enabled, self.nopass, self.sanitize = other.enabled, other.nopass, other.sanitize
        self.passwords = list(other.passwords)
        self.selectors = [s.copy() for s in other.selectors]
        self.refresh()

    def refresh(self) -> None:
        # Whether its clients must take the checks path (Client.checks_changed reads it).
        self.restricted = not self.selectors[0].unrestricted

    @property
    def can_log_in_without_password(self) -> bool:
        return bool(self.enabled) and self.nopass

    def apply(self, op: bytes, allchannels_default: bool = False) -> None:
        """Redis's ACLSetUser for one rule (a `(...)` selector is one rule)."""
        low = op.lower()
        if not op:
            return
        if low == b"on":
            self.enabled = True
        elif low == b"off":
            self.enabled = False
        elif low == b"skip-sanitize-payload":
            self.sanitize = "skip-sanitize-payload"
        elif low == b"sanitize-payload":
            self.sanitize = "sanitize-payload"
        elif low == b"nopass":
            self.nopass = True
            self.passwords = []
        elif low == b"resetpass":
            self.nopass = False
            self.passwords = []
        elif op[:1] in (b">", b"#"):
            if op[:1] == b"#" and not _valid_hash(op[1:]):
                raise RuleError(E_HASH)
            hashed = hash_password(op[1:]) if op[:1] == b">" else op[1:].decode()
            if hashed not in self.passwords:
                self.passwords.append(hashed)
            self.nopass = False
        elif op[:1] in (b"<", b"!"):
            if op[:1] == b"!" and not _valid_hash(op[1:]):
                raise RuleError(E_HASH)
            hashed = hash_password(op[1:]) if op[:1] == b"<" else op[1:].decode()
            if hashed not in self.passwords:
                raise RuleError(E_NOPASS)
            self.passwords.remove(hashed)
        elif op[:1] == b"(" and op[-1:] == b")":
            selector = Selector(allchannels=allchannels_default)
            for part in op[1:-1].split():
                selector.apply(part)
            self.selectors.append(selector)
        elif low == b"clearselectors":
            del self.selectors[1:]
        elif low == b"reset":
            self.nopass = False
            self.passwords = []
            root = self.selectors[0]
            root.apply(b"resetkeys")
            root.apply(b"allchannels" if allchannels_default else b"resetchannels")
            self.enabled = False
            self.sanitize = "sanitize-payload"
            del self.selectors[1:]
            root.apply(b"-@all")
        else:
            self.selectors[0].apply(op)

    def check_password(self, password: bytes) -> bool:
        if not self.enabled:
            return False
        if self.nopass:
            return True
        hashed = hash_password(password)
        return any(hmac.compare_digest(hashed, p) for p in self.passwords)

    def flags(self) -> list[str]:
        out = ["on" if self.enabled else "off"]
        if self.nopass:
            out.append("nopass")
        if self.sanitize:
            out.append(self.sanitize)
        return out

    def describe(self) -> str:
        """ACLDescribeUser: the rules ACL LIST and ACL SAVE write after `user <name>`."""
        parts = self.flags() + ["#" + p for p in self.passwords]
        parts.append(self.selectors[0].describe())
        text = " ".join(parts)
        for s in self.selectors[1:]:
            text += f" ({s.describe()})"
        return text

    def check(self, cmd: Command, argv: list[bytes]) -> tuple[int, int]:
        """ACLCheckAllUserCommandPerm: OK, or the most relevant refusal over the selectors."""
        relevant, last = DENIED_CMD, 0
        keys: list = []  # the key positions, found once for every selector
        for s in self.selectors:
            result, idx = s.check(cmd, argv, keys)
            if result == OK:
                return OK, 0
            if result > relevant or (result == relevant and idx > last):
                relevant, last = result, idx
        return relevant, last

    def channel_allowed(self, channel: bytes, literal: bool) -> bool:
        return any(s.allchannels or channel_allowed(s.channels, channel, literal)
                   for s in self.selectors)

    def may_run(self, cmd: Command, argv: list[bytes]) -> bool:
        return not self.restricted or self.check(cmd, argv)[0] == OK

    def reads_any_key(self, cmd: Command, argv: list[bytes]) -> bool:
        """ACLUserCheckCmdWithUnrestrictedKeyAccess for reads: a selector that allows this
        call may read every key (SORT's BY and GET patterns need it)."""
        if not self.restricted:
            return True
        return any(s.check(cmd, argv, [])[0] == OK
                   and (s.allkeys or any(p == b"*" and f & READ for f, p in s.patterns))
                   for s in self.selectors)


def merge_selectors(args: list[bytes]) -> list[bytes] | int:
    """ACLMergeSelectorArguments: `(...)` spread over several arguments joined into one; the
    index of an unclosed `(` if there is one."""
    out: list[bytes] = []
    current: bytes | None = None
    start = -1
    for i, op in enumerate(args):
        if current is None and op[:1] == b"(" and op[-1:] != b")":
            current, start = op, i
            continue
        if current is not None:
            current += b" " + op
            if op[-1:] == b")":
                out.append(current)
                current = None
            continue
        out.append(op)
    return start if current is not None else out


class LogEntry:
    __slots__ = ("count", "reason", "context", "object", "username", "ctime", "cinfo")

    def reply(self, now: int) -> dict:
        return {
            b"count": self.count, b"reason": LOG_REASONS[self.reason],
            b"context": self.context.encode(), b"object": self.object,
            b"username": self.username, b"age-seconds": (now - self.ctime) / 1000,
            b"client-info": self.cinfo.encode(),
        }


class AclError(Exception):
    """Users that cannot be loaded at start (the node exits, as redis-server does)."""


class Acl:
    """The users of one node, its ACL log, and the aclfile."""

    def __init__(self, server: Server) -> None:
        self.server = server
        config = server.config
        self.users: dict[bytes, User] = {}
        self.default = self._create_default()
        self.superuser = User(b"(superuser)")
        self.superuser.copy_from(self.default)
        self.users[b"default"] = self.default
        self.log: list[LogEntry] = []
        self.set_default_password(config["requirepass"])
        config.listen("requirepass", self.set_default_password)
        config.user_lines = lambda: [] if config["aclfile"] else self.config_lines()
        lines = config.users
        if config["aclfile"] and lines:
            raise AclError(
                "Configuring Redis with users defined in redis.conf and at the same setting an "
                "ACL file path is invalid. This setup is very likely to lead to configuration "
                "errors and security holes, please define either an ACL file or declare users "
                "directly in your redis.conf, but not both.")
        for words in lines:
            self._load_configured(words)
        if config["aclfile"]:
            errors = self.load_file()
            if errors:
                raise AclError(f"Aborting Redis startup because of ACL errors: {errors}")

    @property
    def pubsub_default(self) -> bool:
        return self.server.config["acl-pubsub-default"] == "allchannels"

    def _create_default(self) -> User:
        user = User(b"default", self.pubsub_default)
        for op in (b"+@all", b"~*", b"&*", b"on", b"nopass"):
            user.apply(op)
        user.refresh()
        return user

    def new_user(self, name: bytes) -> User:
        return User(name, self.pubsub_default)

    def set_default_password(self, password: str) -> None:
        """requirepass: the default user's one password, or nopass (ACLUpdateDefaultUserPassword)."""
        user = self.default
        user.apply(b"resetpass")
        user.apply(b">" + password.encode("utf-8", "surrogateescape") if password else b"nopass")

    def apply_rules(self, user: User, ops: list[bytes]) -> None:
        for op in ops:
            try:
                user.apply(op, self.pubsub_default)
            except RuleError as e:
                raise RuleError(f"Error in ACL SETUSER modifier '{as_text(op)}': {e}") from None
        user.refresh()

    def _load_configured(self, words: list[str]) -> None:
        name = words[0].encode("utf-8", "surrogateescape")
        if has_spaces(name):
            raise AclError("Spaces not allowed in ACL usernames")
        user = self.users.get(name)
        if user is None:
            user = self.users[name] = self.new_user(name)
        else:
            user.apply(b"reset", self.pubsub_default)
        merged = merge_selectors([w.encode("utf-8", "surrogateescape") for w in words[1:]])
        for op in merged if isinstance(merged, list) else ():
            try:
                user.apply(op, self.pubsub_default)
            except RuleError as e:
                raise AclError(f"Error loading ACL rule '{as_text(op)}' for the user named "
                               f"'{words[0]}': {e}\nCritical error while loading ACLs. "
                               "Exiting.") from None
        user.refresh()

    # -- checks ------------------------------------------------------------------------------

    def _denied(self, client: Client, cmd: Command, argv: list[bytes],
                context: str | None = None) -> int:
        # The check and, when it fails, its ACL LOG entry; the DENIED_* (or OK).
        result, pos = client.user.check(cmd, argv)
        if result != OK:
            self.add_log(client, result, pos, context=context, argv=argv, cmd=cmd)
        return result

    def refusal(self, client: Client, cmd: Command, argv: list[bytes]) -> CommandError | None:
        """processCommand's ACL check: the NOPERM error for a command the user may not run."""
        result = self._denied(client, cmd, argv)
        if result == OK:
            return None
        if result == DENIED_CMD:
            return CommandError(f"NOPERM this user has no permissions to run the '{cmd.name}' "
                                "command")
        what = "keys" if result == DENIED_KEY else "channels"
        return CommandError(f"NOPERM this user has no permissions to access one of the {what} "
                            "used as arguments")

    def exec_refusal(self, client: Client, cmd: Command, argv: list[bytes]) -> CommandError | None:
        """EXEC's check of each queued command, in case the rules changed since it was queued."""
        result = self._denied(client, cmd, argv, "multi")
        if result == OK:
            return None
        reason = {DENIED_CMD: "no permission to execute the command or subcommand",
                  DENIED_KEY: "no permission to touch the specified keys",
                  DENIED_CHANNEL: "no permission to access one of the channels used as "
                                  "arguments"}[result]
        return CommandError("NOPERM ACLs rules changed between the moment the transaction was "
                            "accumulated and the EXEC call. This command is no longer allowed "
                            f"for the following reason: {reason}")

    def script_refusal(self, caller: Client, cmd: Command, argv: list[bytes]) -> str | None:
        """scriptVerifyACL: why a script's redis.call may not run `argv` as its caller's user.
        The log entry shows the caller."""
        result = self._denied(caller, cmd, argv, "lua")
        if result == OK:
            return None
        return {DENIED_CMD: "The user executing the script can't run this command or "
                            "subcommand",
                DENIED_KEY: "The user executing the script can't access at least one of the "
                            "keys mentioned in the command arguments",
                DENIED_CHANNEL: "The user executing the script can't publish to the channel "
                                "mentioned in the command"}[result]

    # -- clients -----------------------------------------------------------------------------

    def authenticate(self, client: Client, name: bytes, password: bytes, argv0: bytes) -> bool:
        """ACLAuthenticateUser: log `client` in as `name`, or log the failure (its object is
        the command's name as sent, AUTH or HELLO)."""
        user = self.users.get(name)
        if user is not None and user.check_password(password):
            client.user = user
            client.authenticated = True
            client.checks_changed()
            return True
        self.add_log(client, DENIED_AUTH, 0, username=name, obj=argv0)
        return False

    def clients_of(self, user: User) -> list[Client]:
        return [c for c in self.server.clients.values() if c.user is user]

    def user_changed(self, user: User) -> None:
        for client in self.clients_of(user):
            client.checks_changed()

    def drop_clients(self, user: User, current: Client | None) -> None:
        """A user went away: its clients are logged out and disconnected."""
        for client in self.clients_of(user):
            client.user = self.default
            client.authenticated = False
            client.checks_changed()
            if client is current:
                client.closing = True  # after this command's reply
            else:
                client.close()

    def kill_pubsub_clients(self, new: User, old: User) -> None:
        """ACLKillPubsubClientsIfNeeded: subscribers whose channels the new rules revoke."""
        if any(s.allchannels for s in new.selectors):
            return
        upcoming = [c for s in new.selectors for c in s.channels]
        if all(c in upcoming for s in old.selectors for c in s.channels):
            return
        for client in self.clients_of(old):
            subs = client.subscriptions
            if subs is None:
                continue
            if (any(not channel_allowed(upcoming, p, True) for p in subs.patterns)
                    or any(not channel_allowed(upcoming, c, False)
                           for c in [*subs.channels, *subs.shard])):
                client.close()

    # -- the log -----------------------------------------------------------------------------

    def add_log(self, client: Client, reason: int, argpos: int, *, context: str | None = None,
                username: bytes | None = None, obj: bytes | None = None,
                argv: list[bytes] | None = None, cmd: Command | None = None) -> None:
        """addACLLogEntry; entries like a recent one (same reason, context, object and user,
        within a minute) count up instead of piling up."""
        entry = LogEntry()
        entry.count = 1
        entry.reason = reason
        entry.username = username if username is not None else client.user.name
        entry.ctime = int(time.time() * 1000)
        if obj is None:
            if reason == DENIED_CMD:
                obj = cmd.name.encode() if cmd is not None else b""
            else:
                obj = argv[argpos] if argv is not None else b""
        entry.object = obj
        entry.context = context or ("multi" if client.multi is not None else "toplevel")
        entry.cinfo = client.describe()
        log = self.log
        for i, current in enumerate(log[:10]):
            if (current.reason == reason and current.context == entry.context
                    and abs(current.ctime - entry.ctime) <= _LOG_GROUPING_MS
                    and current.object == entry.object and current.username == entry.username):
                del log[i]
                current.cinfo, current.ctime = entry.cinfo, entry.ctime
                current.count += 1
                log.insert(0, current)
                return
        log.insert(0, entry)
        del log[self.server.config["acllog-max-len"]:]

    # -- the aclfile -------------------------------------------------------------------------

    def load_file(self, current: Client | None = None) -> str | None:
        """ACLLoadFromFile: the users of the aclfile replace these; None, or the errors (then
        nothing changed). Clients of the users replaced are disconnected, as in Redis."""
        filename = self.server.config["aclfile"]
        try:
            with open(filename, "rb") as f:
                data = f.read()
        except OSError as e:
            return f"Error loading ACLs, opening file '{filename}': {e.strerror}"
        errors = ""
        users: dict[bytes, User] = {}
        for linenum, raw in enumerate(data.split(b"\n"), 1):
            line = raw.strip(b" \t\r\n")
            if not line:
                continue
            argv = line.split(b" ")
            if argv[0] != b"user" or len(argv) < 2:
                errors += (f"{filename}:{linenum} should start with user keyword followed by "
                           "the username. ")
                continue
            name = argv[1]
            if has_spaces(name):
                errors += (f"'{filename}:{linenum}: username '{as_text(name)}' contains invalid "
                           "characters. ")
                continue
            if name in users:
                errors += f"WARNING: Duplicate user '{as_text(name)}' found on line {linenum}. "
                continue
            user = users[name] = self.new_user(name)
            merged = merge_selectors(argv[2:])
            if isinstance(merged, int):
                errors += f"{filename}:{linenum}: Unmatched parenthesis in selector definition."
                continue
            for op in merged:
                try:
                    user.apply(op.strip(b"\t\r\n"), self.pubsub_default)
                except RuleError as e:
                    errors += f"{filename}:{linenum}: {e}. "
        if errors:
            return errors + ("WARNING: ACL errors detected, no change to the previously active "
                             "ACL rules was performed")
        new_default = users.pop(b"default", None) or self._create_default()
        for user in self.users.values():
            if user is not self.default:
                self.drop_clients(user, current)
        self.default.copy_from(new_default)
        self.user_changed(self.default)
        for user in users.values():
            user.refresh()
        self.users = {b"default": self.default, **users}
        return None

    def save_file(self) -> bool:
        """ACLSaveToFile: every user as a `user` line, the file replaced atomically."""
        try:
            write_atomically(self.server.config["aclfile"],
                             "".join(line + "\n" for line in self.config_lines())
                             .encode("utf-8", "surrogateescape"))
        except OSError as e:
            self.server.log("warning", f"Writing ACL file for ACL SAVE: {e.strerror}")
            return False
        return True

    def config_lines(self) -> list[str]:
        """`user <name> <rules>` for every user, by name (ACL LIST, ACL SAVE, CONFIG REWRITE)."""
        return [f"user {as_text(name)} {self.users[name].describe()}" for name in sorted(self.users)]


def validate_user_line(words: list[str]) -> str | None:
    """ACLAppendUserForLoading, for a `user` line of the config file: the reason it is
    refused, or None (an unknown command passes: Redis checks those when it loads users).

    As redis-server 7.0 does, the message quotes the line's word at the index of the refused
    rule among the rules (the user name for the first rule), and an unclosed `(` reports the
    errno an earlier lookup left, in practice ENOENT's text."""
    argv = ["user", *words]
    merged = merge_selectors([w.encode("utf-8", "surrogateescape") for w in words[1:]])
    if isinstance(merged, int):
        return f"Error in user declaration '{argv[merged]}': {E_UNKNOWN}"
    fake = User(b"__fakeuser__")
    for j, op in enumerate(merged):
        try:
            fake.apply(op)
        except RuleError as e:
            if str(e) != E_UNKNOWN:
                return f"Error in user declaration '{argv[j]}': {e}"
    return None
