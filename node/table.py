"""The command table: every command described once, as data, next to its handler.

A command module registers each handler with `@command(...)`, giving Redis's metadata: arity,
flags, key positions (first, last, step; or a function for commands whose keys move), ACL
categories beyond the ones the flags imply, and the docs fields. The dispatcher, `COMMAND ...`,
the router and the cluster checks all read this table; nothing else lists commands.

Conventions follow Redis 7 (`src/commands/*.json`): arity counts the command name and is
negative for "at least"; a container command (CONFIG, CLIENT, ...) has subcommands whose
names are `container|sub`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from node.numbers import atoi, is_int
from node.replies import SetReply, Status

Handler = Callable[[Any, list], Any]
FAST_MAX_ARGS = 256  # see Command.nargs
KeysFn = Callable[[list], list]

# Flag and category order as Redis prints them in COMMAND INFO.
FLAG_ORDER = (
    "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking",
    "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
    "no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys", "allow_busy",
)  # may_replicate is a real flag that Redis deliberately leaves out of COMMAND INFO
CATEGORY_ORDER = (
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
    "connection", "transaction", "scripting",
)
# The ACL category a command's group puts it in, as Redis's command JSON files do.
GROUP_CATEGORY = {
    "string": "string", "bitmap": "bitmap", "generic": "keyspace", "list": "list",
    "hash": "hash", "set": "set", "sorted-set": "sortedset", "stream": "stream",
    "hyperloglog": "hyperloglog", "geo": "geo", "pubsub": "pubsub", "connection": "connection",
    "transactions": "transaction", "scripting": "scripting",
}


@dataclass(slots=True)
class KeySpec:
    """One Redis 7 key specification: where a run of keys starts and how it continues."""

    flags: tuple[str, ...]
    begin_index: int = 1             # begin_search: index
    begin_keyword: bytes | None = None  # begin_search: keyword (then begin_index is startfrom)
    lastkey: int = 0                 # find_keys: range
    keystep: int = 1
    limit: int = 0
    keynum_index: int | None = None  # find_keys: keynum (e.g. EVAL numkeys)
    firstkey: int = 1
    notes: str | None = None
    # Keys no spec can locate (SORT's STORE): begin_search and find_keys are both `unknown`,
    # and the command's keys_fn finds them.
    unknown: bool = False

    def reply(self) -> dict:
        out: dict = {}
        if self.notes:
            out["notes"] = self.notes
        out["flags"] = SetReply(Status(f.encode()) for f in self.flags)
        if self.unknown:
            out["begin_search"] = {"type": "unknown", "spec": {}}
            out["find_keys"] = {"type": "unknown", "spec": {}}
            return out
        if self.begin_keyword is not None:
            out["begin_search"] = {
                "type": "keyword",
                "spec": {"keyword": self.begin_keyword, "startfrom": self.begin_index},
            }
        else:
            out["begin_search"] = {"type": "index", "spec": {"index": self.begin_index}}
        if self.keynum_index is not None:
            out["find_keys"] = {
                "type": "keynum",
                "spec": {"keynumidx": self.keynum_index, "firstkey": self.firstkey,
                         "keystep": self.keystep},
            }
        else:
            out["find_keys"] = {
                "type": "range",
                "spec": {"lastkey": self.lastkey, "keystep": self.keystep, "limit": self.limit},
            }
        return out


@dataclass(slots=True, eq=False)
class Command:
    name: str                       # lower case; `container|sub` for subcommands
    handler: Handler | None
    arity: int
    flags: frozenset[str]
    first_key: int = 0
    last_key: int = 0
    key_step: int = 0
    keys_fn: KeysFn | None = None   # for movablekeys commands: argv -> key indexes
    # Redis's getkeys_proc where the key specs come first: the key indexes of a call whose
    # arguments the specs cannot be walked over (a numkeys of "+1" read with atoi). Cluster
    # routing asks it before the specs (see cluster_key_indexes).
    keys_fallback: KeysFn | None = None
    # For key specs flagged `variable_flags`: argv -> the flags this call really has.
    key_flags_fn: Callable[[list], str] | None = None
    key_specs: tuple[KeySpec, ...] = ()
    # Which arguments are pub/sub channels, for the ACL's channel rules (Redis's
    # commands_with_channels): "publish" the first, "subscribe" all, "pattern" all as patterns.
    channels: str = ""
    categories: tuple[str, ...] = ()
    group: str = "generic"
    since: str = "1.0.0"
    summary: str = ""
    complexity: str = ""
    # COMMAND DOCS fields Redis shows only where a command has them: its doc flags
    # (`deprecated`, `syscmd`), the version that deprecated it and what replaces it, and its
    # history as (version, change) pairs.
    doc_flags: tuple[str, ...] = ()
    deprecated_since: str = ""
    replaced_by: str = ""
    history: tuple[tuple[str, str], ...] = ()
    tips: tuple[str, ...] = ()
    subcommands: dict[bytes, "Command"] = field(default_factory=dict)
    # Argument counts the fast path may run directly (set at registration); a set, not a
    # range, because a set lookup is three times cheaper. Longer calls of a variadic command
    # fall back to the checks path, which applies `arity` itself.
    nargs: frozenset[int] = frozenset()
    # A protected command (DEBUG, MODULE) runs only as this directive allows: yes, or local
    # for clients on a loopback address.
    protected: str = ""
    # Statistics for INFO commandstats and the slow log; reset by CONFIG RESETSTAT.
    calls: int = 0
    nsec: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0
    # Latency histogram: hist[ns.bit_length()] counts executions (see node/latency.py).
    hist: list[int] = field(default_factory=lambda: [0] * 64)

    @property
    def is_write(self) -> bool:
        return "write" in self.flags

    def key_indexes(self, argv: list) -> list[int]:
        """Positions of the keys in `argv`, as COMMAND GETKEYS sees them (the key specs first;
        cluster routing has cluster_key_indexes)."""
        if self.keys_fn is not None:
            return self.keys_fn(argv)
        found = self.keys_with_specs(argv)
        if found is None:
            return self.keys_fallback(argv) if self.keys_fallback is not None else []
        return [i for i, _ in found]

    def cluster_key_indexes(self, argv: list) -> list[int]:
        """Positions of the keys as cluster routing sees them (MOVED, CROSSSLOT, ASK).

        Redis's getNodeByQuery finds keys with getKeysFromCommand, which asks a command's
        getkeys_proc before its key specs, where COMMAND GETKEYS walks the specs first. The two
        differ for malformed or repeated arguments: XREAD with an odd count after STREAMS has
        no keys to route (the command then answers its own syntax error), and GEORADIUS ...
        STORE a STOREDIST b routes on the last destination only, the one it writes."""
        fn = self.keys_fn or self.keys_fallback
        if fn is not None:
            return fn(argv)
        found = self.keys_with_specs(argv)
        return [] if found is None else [i for i, _ in found]

    def keys_and_flags(self, argv: list) -> list[tuple[int, tuple[str, ...]]]:
        """(position, key spec flags) for each key, as Redis's getKeysFromCommandWithSpecs
        gives them to COMMAND GETKEYSANDFLAGS and the ACL key checks."""
        if self.keys_fn is not None:
            # A key a spec locates has that spec's flags; the others (SORT's STORE key) have
            # those of the last spec that cannot locate keys.
            located = dict(self.keys_with_specs(argv, partial=True) or ())
            fallback = next((s for s in reversed(self.key_specs) if s.unknown),
                            self.key_specs[0] if self.key_specs else None)
            found = [(i, located.get(i, fallback)) for i in self.keys_fn(argv)]
        else:
            specs = self.keys_with_specs(argv)
            # Where the specs cannot be walked, Redis's getkeys_proc answers, with no flags.
            found = [(i, None) for i in self.key_indexes(argv)] if specs is None else specs
        out = []
        for i, spec in found:
            flags = spec.flags if spec else ()
            # Where a spec varies or cannot find every key, Redis asks the command's own key
            # function, which gives each key its flags (MIGRATE ... KEYS).
            if ("variable_flags" in flags or "incomplete" in flags) and self.key_flags_fn:
                flags = tuple(self.key_flags_fn(argv).split())
            out.append((i, flags))
        return out

    def keys_with_specs(self, argv: list,
                        partial: bool = False) -> list[tuple[int, "KeySpec"]] | None:
        """(position, key spec) for each key, found by walking the key specs as Redis's
        getKeysUsingKeySpecs does.

        None when the arguments contradict a spec (a numkeys that is not a non-negative
        integer, a range past the last argument): Redis then asks the command's getkeys_proc
        (`keys_fallback`) or finds no keys. With `partial`, only that spec is skipped.
        """
        out: list[tuple[int, KeySpec]] = []
        argc = len(argv)
        for spec in self.key_specs:
            if spec.unknown:
                continue
            if spec.begin_keyword is not None:
                # As Redis searches: forward up to the last argument, or backward down to
                # the second, neither included (a keyword with no argument after it is none).
                search = (range(spec.begin_index, argc - 1) if spec.begin_index > 0
                          else range(argc + spec.begin_index, 1, -1))
                keyword = spec.begin_keyword.upper()
                for i in search:
                    if argv[i].upper() == keyword:
                        first = i + 1
                        break
                else:
                    continue
            else:
                first = spec.begin_index
            if spec.keynum_index is not None:
                at = first + spec.keynum_index
                numkeys = int(argv[at]) if at < argc and is_int(argv[at]) else -1
                if numkeys < 0:
                    if partial:
                        continue
                    return None
                first += spec.firstkey
                last = first + (numkeys - 1) * spec.keystep
            elif spec.lastkey >= 0:
                last = first + spec.lastkey
            elif not spec.limit:
                last = argc + spec.lastkey
            else:
                last = first + ((argc - first) // spec.limit + spec.lastkey)
            if last >= argc or last < first or first >= argc:
                if partial:
                    continue
                return None
            out.extend((i, spec) for i in range(first, last + 1, spec.keystep))
        return out

    def acl_categories(self) -> list[str]:
        cats = set(self.categories)
        f = self.flags
        if "write" in f:
            cats.add("write")
        if "readonly" in f and "scripting" not in cats:
            cats.add("read")
        if "admin" in f:
            cats.update(("admin", "dangerous"))
        if "pubsub" in f:
            cats.add("pubsub")
        if "fast" in f:
            cats.add("fast")
        if "blocking" in f:
            cats.add("blocking")
        if "fast" not in f:
            cats.add("slow")
        return [c for c in CATEGORY_ORDER if c in cats]

    def info_reply(self) -> list:
        """This command's entry in `COMMAND` / `COMMAND INFO`, in Redis 7's 10-field shape."""
        flags = [f for f in FLAG_ORDER if f in self.flags]
        return [
            self.name.encode(),
            self.arity,
            SetReply(Status(f.encode()) for f in flags),
            self.first_key,
            self.last_key,
            self.key_step,
            SetReply(Status(b"@" + c.encode()) for c in self.acl_categories()),
            SetReply(self.tips),
            SetReply(ks.reply() for ks in self.key_specs),
            # Redis 7.0 sends no subcommands as an empty set, some as an array.
            [sub.info_reply() for sub in self.subcommands.values()] or SetReply(),
        ]

    def docs_reply(self) -> dict:
        docs: dict = {
            "summary": self.summary,
            "since": self.since,
            "group": self.group,
        }
        if self.complexity:  # Redis leaves it out where it has none (MONITOR)
            docs["complexity"] = self.complexity
        # Redis's order (addReplyCommandDocs); the arguments would come after the history.
        if self.doc_flags:
            docs["doc_flags"] = SetReply(Status(f.encode()) for f in self.doc_flags)
        if self.deprecated_since:
            docs["deprecated_since"] = self.deprecated_since
        if self.replaced_by:
            docs["replaced_by"] = self.replaced_by
        if self.history:
            docs["history"] = SetReply([version, change] for version, change in self.history)
        if self.subcommands:
            docs["subcommands"] = {
                sub.name: sub.docs_reply() for sub in self.subcommands.values()
            }
        return docs


# name (lower-case bytes) -> Command. Filled at import time by the command modules.
COMMANDS: dict[bytes, Command] = {}


def numkeys_keys(count_at: int, store_at: int = 0) -> KeysFn:
    """Redis's genericGetKeys: the `numkeys` keys after position `count_at` (numkeys read with
    atoi), then the destination at `store_at` if there is one; none if numkeys is out of
    range."""
    def keys(argv: list) -> list[int]:
        first = count_at + 1
        num = atoi(argv[count_at]) if count_at < len(argv) else 0
        if num < 1 or num > len(argv) - first:
            return []
        return [*range(first, first + num), *((store_at,) if store_at else ())]
    return keys


def command(
    name: str,
    arity: int,
    flags: str = "",
    *,
    keys: tuple[int, int, int] = (0, 0, 0),
    keys_fn: KeysFn | None = None,
    keys_fallback: KeysFn | None = None,
    key_specs: tuple[KeySpec, ...] | None = None,
    key_flags: str | None = None,
    key_notes: str | None = None,
    key_flags_fn: Callable[[list], str] | None = None,
    channels: str = "",
    categories: str = "",
    group: str = "generic",
    since: str = "1.0.0",
    summary: str = "",
    complexity: str = "O(1)",
    doc_flags: str = "",
    deprecated_since: str = "",
    replaced_by: str = "",
    history: tuple[tuple[str, str], ...] = (),
    tips: str = "",
    protected: str = "",
) -> Callable[[Handler | None], Handler | None]:
    """Register a handler. `name` is `cmd` or `container|sub`.

    `keys` is (first, last, step) as in COMMAND INFO. Unless `key_specs` is given, one key spec
    is derived from it, flagged `key_flags` (default: `RO access` for read-only commands,
    `RW update` otherwise), with `key_notes` as its notes. A spec flagged `variable_flags`
    needs `key_flags_fn`, which gives the flags of one call (COMMAND GETKEYSANDFLAGS).
    `channels` says which arguments are pub/sub channels (see Command.channels).
    `doc_flags` (space-separated, like `flags`), `deprecated_since`, `replaced_by` and
    `history` ((version, change) pairs, oldest first) are Redis's docs fields, word for word.
    A container is registered with `command(name, arity)(None)`.
    """
    flag_set = frozenset(flags.split())
    if keys_fn is not None:
        flag_set |= {"movablekeys"}
    cats = tuple(categories.split())
    if not cats and group in GROUP_CATEGORY:
        cats = (GROUP_CATEGORY[group],)
    first, last, step = keys
    if key_specs is None:
        key_specs = ()
        if first > 0:
            kf = key_flags or ("RO access" if "readonly" in flag_set else "RW update")
            key_specs = (KeySpec(tuple(kf.split()), first, lastkey=_spec_last(first, last),
                                 keystep=step, notes=key_notes),)

    def register(handler: Handler | None) -> Handler | None:
        cmd = Command(
            name=name, handler=handler, arity=arity, flags=flag_set, first_key=first,
            last_key=last, key_step=step, keys_fn=keys_fn, keys_fallback=keys_fallback,
            key_flags_fn=key_flags_fn,
            key_specs=key_specs, channels=channels,
            categories=cats, group=group, since=since, summary=summary,
            complexity=complexity, tips=tuple(tips.split()),
            doc_flags=tuple(doc_flags.split()), deprecated_since=deprecated_since,
            replaced_by=replaced_by, history=history,
            nargs=frozenset((arity,) if arity > 0 else range(-arity, FAST_MAX_ARGS + 1)),
            protected=protected,
        )
        if "|" in name:
            container, sub = name.split("|", 1)
            COMMANDS[container.encode()].subcommands[sub.encode()] = cmd
        else:
            COMMANDS[name.encode()] = cmd
        return handler

    return register


def _spec_last(first: int, last: int) -> int:
    # COMMAND INFO's `last` is absolute (or negative from the end); a key spec's `lastkey`
    # is relative to the first key.
    return last if last < 0 else last - first


def all_commands() -> Iterator[Command]:
    """Every command and subcommand."""
    for cmd in COMMANDS.values():
        yield cmd
        yield from cmd.subcommands.values()


def lookup(argv: list[bytes]) -> Command | None:
    """The command (or subcommand) `argv` names, ignoring case; None if there is none (an
    unknown subcommand names none, as in Redis's lookupCommand)."""
    cmd = COMMANDS.get(argv[0].lower())
    if cmd is not None and cmd.subcommands and len(argv) > 1:
        return cmd.subcommands.get(argv[1].lower())
    return cmd
