"""The generic key group: existence, deletion, expiry, renaming, copying, iteration and
OBJECT introspection (Redis's db.c, expire.c and object.c).

Two registries here are extended by the data type modules:

- `COPY_FUNCS[value class]` returns an independent deep copy of a value for COPY. Immutable
  `bytes` is shared; anything without an entry falls back to `copy.deepcopy`.
- `OBJECT_ENCODINGS[value class]` names a value's Redis encoding for OBJECT ENCODING
  (`listpack`, `hashtable`, `quicklist`, ...) from the value alone; a type whose encoding
  depends on its history (Redis never converts back to listpack) records it in the value.
  A class without an entry reports `unknown`, as Redis's strEncoding does.

`store_result` is the shared ending of the data type modules' STORE commands (SINTERSTORE,
ZUNIONSTORE, SORT ... STORE, GEOSEARCHSTORE, ...): setKey for a result, dbDelete for none.

Lookups follow Redis's flags: TYPE, EXISTS, TTL and OBJECT read without touching the key's
access time but count keyspace hits and misses; writes (EXPIRE, PERSIST, RENAME, MOVE)
touch the key without counting; TOUCH and COPY's source are full reads.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from node.cursor import CURSORS, parse_cursor
from node.errors import DB_OUT_OF_RANGE, NO_SUCH_KEY, SYNTAX, CommandError
from node.glob import glob_matcher
from node.keyspace import Database, type_name
from node.notify import GENERIC, KEY_MISS
from node.numbers import INT64_MAX, INT64_MIN, INT_MAX, is_int, parse_int, parse_int32
from node.replies import OK, Status
from node.table import KeySpec, command

SAME_OBJECT = "ERR source and destination objects are the same"

# value class -> deep copy of a value (COPY). Data type modules add theirs.
COPY_FUNCS: dict[type, Callable[[Any], Any]] = {
    bytes: lambda v: v,
    bytearray: bytearray,
    int: lambda v: v,
}


def copy_value(value: Any) -> Any:
    fn = COPY_FUNCS.get(value.__class__)
    return fn(value) if fn is not None else copy.deepcopy(value)


def _string_encoding(value: Any) -> bytes:
    # tryObjectEncoding: a canonical 64-bit integer is `int`, a short string is `embstr`;
    # a string changed in place (APPEND, SETRANGE: a bytearray here) is always `raw`.
    if value.__class__ is bytearray:
        return b"raw"
    if len(value) <= 20 and is_int(value):
        return b"int"
    return b"embstr" if len(value) <= 44 else b"raw"


# value class -> OBJECT ENCODING name. Data type modules add theirs.
OBJECT_ENCODINGS: dict[type, Callable[[Any], bytes]] = {
    bytes: _string_encoding,
    bytearray: _string_encoding,
    int: lambda v: b"int",
}


def lookup_notouch(db: Database, key: bytes, notify: bool = True) -> Any:
    """lookupKeyRead with LOOKUP_NOTOUCH: expires lazily and counts a hit or miss, which
    is a keymiss event unless `notify` is off (OBJECT's LOOKUP_NONOTIFY)."""
    value = db.peek(key)
    ks = db.keyspace
    if value is None:
        ks.misses += 1
        if notify:
            db.notify(KEY_MISS, b"keymiss", key)
    else:
        ks.hits += 1
    return value


def store_result(db: Database, dst: bytes, value: Any, kind: int, event: bytes) -> None:
    """How the commands that store a computed result end (SINTERSTORE, ZUNIONSTORE,
    ZRANGESTORE, SORT ... STORE, GEOSEARCHSTORE, ...): a non-empty `value` replaces `dst`
    (any type, TTL cleared; one change) and sends `event` of class `kind`; an empty one
    deletes `dst`, sending `del` and counting a change only if there was one.

    A `dst` past its deadline but still stored: setKey looks it up for writing first, so it
    expires (`expired`, propagated as a DEL) before the result is added; dbDelete never
    looks at the deadline, so an empty result deletes it as a live key (`del`, a change)."""
    if value:
        db.lookup_write(dst)
        db.set(dst, value, looked_up=True)
        db.notify(kind, event, dst)
    elif db.delete_stored(dst):
        db.notify(GENERIC, b"del", dst)


def _target_db(ctx: Any, arg: bytes) -> Database:
    index = parse_int32(arg)
    dbs = ctx.server.keyspace.dbs
    if not 0 <= index < len(dbs):
        raise CommandError(DB_OUT_OF_RANGE)
    return dbs[index]


def _carry_over(src: Database, key: bytes, dst: Database, newkey: bytes) -> None:
    # RENAME/MOVE move the object itself, so its LRU/LFU state goes with it.
    access = src.access.get(key)
    if access is not None:
        dst.access[newkey] = access
    freq = src.freq.get(key)
    if freq is not None and dst.keyspace.lfu:
        dst.freq[newkey] = freq


# -- deletion and existence -------------------------------------------------------------------


@command("del", -2, "write", keys=(1, -1, 1), key_flags="RM delete",
         tips="request_policy:multi_shard response_policy:agg_sum",
         complexity="O(N) where N is the number of keys that will be removed. When a key to "
         "remove holds a value other than a string, the individual complexity for this key is "
         "O(M) where M is the number of elements in the list, set, sorted set or hash. "
         "Removing a single key that holds a string value is O(1).",
         summary="Delete a key")
def del_(ctx: Any, argv: list[bytes]) -> int:
    return _delete(ctx.db, argv[1:])


def _delete(db: Database, keys: list[bytes]) -> int:
    """DEL's and UNLINK's work: how many of `keys` existed; each announces a `del` event."""
    deleted = 0
    for key in keys:
        if db.delete(key):
            deleted += 1
            db.notify(GENERIC, b"del", key)
    return deleted


@command("unlink", -2, "write fast", keys=(1, -1, 1), key_flags="RM delete", since="4.0.0",
         tips="request_policy:multi_shard response_policy:agg_sum",
         complexity="O(1) for each key removed regardless of its size. Then the command does "
         "O(N) work in a different thread in order to reclaim memory, where N is the number of "
         "allocations the deleted objects where composed of.",
         summary="Delete a key asynchronously in another thread. Otherwise it is just as DEL, "
         "but non blocking.")
def unlink(ctx: Any, argv: list[bytes]) -> int:
    return _delete(ctx.db, argv[1:])


@command("exists", -2, "readonly fast", keys=(1, -1, 1), key_flags="RO",
         tips="request_policy:multi_shard response_policy:agg_sum",
         complexity="O(N) where N is the number of keys to check.",
         summary="Determine if a key exists",
         history=(("3.0.3", "Accepts multiple `key` arguments."),))
def exists(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    return sum(1 for key in argv[1:] if lookup_notouch(db, key) is not None)


@command("touch", -2, "readonly fast", keys=(1, -1, 1), key_flags="RO", since="3.2.1",
         tips="request_policy:multi_shard response_policy:agg_sum",
         complexity="O(N) where N is the number of keys that will be touched.",
         summary="Alters the last access time of a key(s). Returns the number of existing keys "
         "specified.")
def touch(ctx: Any, argv: list[bytes]) -> int:
    get = ctx.db.get
    return sum(1 for key in argv[1:] if get(key) is not None)


@command("type", 2, "readonly fast", keys=(1, 1, 1), key_flags="RO",
         summary="Determine the type stored at key")
def type_(ctx: Any, argv: list[bytes]) -> Status:
    value = lookup_notouch(ctx.db, argv[1])
    return Status(b"none" if value is None else type_name(value))


# -- expiry ----------------------------------------------------------------------------------

EXPIRE_NX, EXPIRE_XX, EXPIRE_GT, EXPIRE_LT = 1, 2, 4, 8
_EXPIRE_FLAGS = {b"nx": EXPIRE_NX, b"xx": EXPIRE_XX, b"gt": EXPIRE_GT, b"lt": EXPIRE_LT}


def _expire_flags(args: list[bytes]) -> int:
    """parseExtendedExpireArgumentsOrReply: NX | XX | GT | LT, checked for conflicts."""
    flags = 0
    for arg in args:
        opt = arg.split(b"\0", 1)[0]  # Redis compares (and echoes) C strings
        flag = _EXPIRE_FLAGS.get(opt.lower())
        if flag is None:
            raise CommandError(
                "ERR Unsupported option " + opt.decode("utf-8", "replace"))
        flags |= flag
    if flags & EXPIRE_NX and flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT):
        raise CommandError("ERR NX and XX, GT or LT options at the same time are not compatible")
    if flags & EXPIRE_GT and flags & EXPIRE_LT:
        raise CommandError("ERR GT and LT options at the same time are not compatible")
    return flags


def _expire(ctx: Any, argv: list[bytes], name: str, relative: bool, unit_ms: int) -> int:
    flags = _expire_flags(argv[3:])
    when = parse_int(argv[2])
    invalid = CommandError(f"ERR invalid expire time in '{name}' command")
    if unit_ms == 1000:
        # LLONG_MIN / 1000 truncates toward zero in C
        if when > INT64_MAX // 1000 or when < -(-INT64_MIN // 1000):
            raise invalid
        when *= 1000
    base = ctx.server.keyspace.now if relative else 0
    if when > INT64_MAX - base:
        raise invalid
    when += base

    db = ctx.db
    key = argv[1]
    if db.lookup_write(key) is None:
        return 0
    if flags:
        current = db.deadline(key)
        if flags & EXPIRE_NX and current is not None:
            return 0
        if flags & EXPIRE_XX and current is None:
            return 0
        # No TTL counts as an infinite one: GT never beats it, LT always does.
        if flags & EXPIRE_GT and (current is None or when <= current):
            return 0
        if flags & EXPIRE_LT and current is not None and when >= current:
            return 0
    db.set_deadline(key, when)  # a deadline already past deletes the key
    # Replayed as an absolute PEXPIREAT (or the DEL it amounted to), as Redis propagates it.
    if key in db.data:
        db.notify(GENERIC, b"expire", key)
        ctx.propagate_as([b"PEXPIREAT", key, b"%d" % when])
    else:
        db.notify(GENERIC, b"del", key)
        ctx.propagate_as([b"DEL", key])
    return 1


@command("expire", -3, "write fast", keys=(1, 1, 1), key_flags="RW update",
         summary="Set a key's time to live in seconds",
         history=(("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),))
def expire(ctx: Any, argv: list[bytes]) -> int:
    return _expire(ctx, argv, "expire", True, 1000)


@command("pexpire", -3, "write fast", keys=(1, 1, 1), key_flags="RW update", since="2.6.0",
         summary="Set a key's time to live in milliseconds",
         history=(("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),))
def pexpire(ctx: Any, argv: list[bytes]) -> int:
    return _expire(ctx, argv, "pexpire", True, 1)


@command("expireat", -3, "write fast", keys=(1, 1, 1), key_flags="RW update", since="1.2.0",
         summary="Set the expiration for a key as a UNIX timestamp",
         history=(("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),))
def expireat(ctx: Any, argv: list[bytes]) -> int:
    return _expire(ctx, argv, "expireat", False, 1000)


@command("pexpireat", -3, "write fast", keys=(1, 1, 1), key_flags="RW update", since="2.6.0",
         summary="Set the expiration for a key as a UNIX timestamp specified in milliseconds",
         history=(("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),))
def pexpireat(ctx: Any, argv: list[bytes]) -> int:
    return _expire(ctx, argv, "pexpireat", False, 1)


def _ttl(ctx: Any, key: bytes, absolute: bool, ms: bool) -> int:
    db = ctx.db
    if lookup_notouch(db, key) is None:
        return -2
    when = db.deadline(key)
    if when is None:
        return -1
    ttl = when if absolute else max(when - db.keyspace.now, 0)
    return ttl if ms else (ttl + 500) // 1000


@command("ttl", 2, "readonly fast", keys=(1, 1, 1), key_flags="RO access",
         tips="nondeterministic_output", summary="Get the time to live for a key in seconds",
         history=(("2.8.0", "Added the -2 reply."),))
def ttl(ctx: Any, argv: list[bytes]) -> int:
    return _ttl(ctx, argv[1], absolute=False, ms=False)


@command("pttl", 2, "readonly fast", keys=(1, 1, 1), key_flags="RO access", since="2.6.0",
         tips="nondeterministic_output",
         summary="Get the time to live for a key in milliseconds",
         history=(("2.8.0", "Added the -2 reply."),))
def pttl(ctx: Any, argv: list[bytes]) -> int:
    return _ttl(ctx, argv[1], absolute=False, ms=True)


@command("expiretime", 2, "readonly fast", keys=(1, 1, 1), key_flags="RO access",
         since="7.0.0", summary="Get the expiration Unix timestamp for a key")
def expiretime(ctx: Any, argv: list[bytes]) -> int:
    return _ttl(ctx, argv[1], absolute=True, ms=False)


@command("pexpiretime", 2, "readonly fast", keys=(1, 1, 1), key_flags="RO access",
         since="7.0.0", summary="Get the expiration Unix timestamp for a key in milliseconds")
def pexpiretime(ctx: Any, argv: list[bytes]) -> int:
    return _ttl(ctx, argv[1], absolute=True, ms=True)


@command("persist", 2, "write fast", keys=(1, 1, 1), key_flags="RW update", since="2.2.0",
         summary="Remove the expiration from a key")
def persist(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    if db.lookup_write(argv[1]) is None or not db.persist(argv[1]):
        return 0
    db.notify(GENERIC, b"persist", argv[1])
    return 1


# -- renaming, copying, moving ---------------------------------------------------------------


def _rename(ctx: Any, argv: list[bytes], nx: bool) -> Any:
    db = ctx.db
    src, dst = argv[1], argv[2]
    value = db.lookup_write(src)
    if value is None:
        raise CommandError(NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    deadline = db.deadline(src)
    dirty = db.keyspace.dirty
    if db.lookup_write(dst) is not None:
        if nx:
            return 0
        db.delete(dst)
    db.set(dst, value)
    _carry_over(db, src, db, dst)
    if deadline is not None:
        db.set_deadline(dst, deadline)
    db.delete(src)
    db.keyspace.dirty = dirty + 1  # (the steps above count apart: Redis counts one change)
    db.notify(GENERIC, b"rename_from", src)
    db.notify(GENERIC, b"rename_to", dst)
    return 1 if nx else OK


_RENAME_SPECS = (
    KeySpec(("RW", "access", "delete"), 1),
    KeySpec(("OW", "update"), 2),
)


@command("rename", 3, "write", keys=(1, 2, 1), key_specs=_RENAME_SPECS,
         summary="Rename a key")
def rename(ctx: Any, argv: list[bytes]) -> Any:
    return _rename(ctx, argv, nx=False)


@command("renamenx", 3, "write fast", keys=(1, 2, 1),
         key_specs=(KeySpec(("RW", "access", "delete"), 1), KeySpec(("OW", "insert"), 2)),
         summary="Rename a key, only if the new key does not exist",
         history=(("3.2.0", "The command no longer returns an error when source and "
                            "destination names are the same."),))
def renamenx(ctx: Any, argv: list[bytes]) -> int:
    return _rename(ctx, argv, nx=True)


@command("copy", -3, "write denyoom", keys=(1, 2, 1),
         key_specs=(KeySpec(("RO", "access"), 1), KeySpec(("OW", "update"), 2)), since="6.2.0",
         complexity="O(N) worst case for collections, where N is the number of nested items. "
         "O(1) for string values.",
         summary="Copy a key")
def copy_(ctx: Any, argv: list[bytes]) -> int:
    src = dst = ctx.db
    replace = False
    i, n = 3, len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"replace":
            replace = True
        elif opt == b"db" and i + 1 < n:
            dst = _target_db(ctx, argv[i + 1])
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1
    if ctx.server.cluster is not None and (src.index != 0 or dst.index != 0):
        raise CommandError("ERR Copying to another database is not allowed in cluster mode")
    key, newkey = argv[1], argv[2]
    if src is dst and key == newkey:
        raise CommandError(SAME_OBJECT)
    value = src.get(key)
    if value is None:
        return 0
    deadline = src.deadline(key)
    dirty = dst.keyspace.dirty
    if dst.lookup_write(newkey) is not None:
        if not replace:
            return 0
        dst.delete(newkey)
    dst.set(newkey, copy_value(value))
    if deadline is not None:
        dst.set_deadline(newkey, deadline)
    dst.keyspace.dirty = dirty + 1  # (one change, as in Redis, the deadline included)
    dst.notify(GENERIC, b"copy_to", newkey)
    return 1


@command("move", 3, "write fast", keys=(1, 1, 1), key_flags="RW access update",
         summary="Move a key to another database")
def move(ctx: Any, argv: list[bytes]) -> int:
    if ctx.server.cluster is not None:
        raise CommandError("ERR MOVE is not allowed in cluster mode")
    src = ctx.db
    dst = _target_db(ctx, argv[2])
    if dst is src:
        raise CommandError(SAME_OBJECT)
    key = argv[1]
    value = src.lookup_write(key)
    if value is None:
        return 0
    deadline = src.deadline(key)
    if dst.lookup_write(key) is not None:
        return 0
    dirty = src.keyspace.dirty
    dst.set(key, value)
    _carry_over(src, key, dst, key)
    if deadline is not None:
        dst.set_deadline(key, deadline)
    src.delete(key)
    src.keyspace.dirty = dirty + 1  # (one change, as in Redis)
    src.notify(GENERIC, b"move_from", key)
    dst.notify(GENERIC, b"move_to", key)
    return 1


# -- iteration -------------------------------------------------------------------------------


@command("keys", 2, "readonly", group="generic", categories="keyspace dangerous",
         tips="request_policy:all_shards nondeterministic_output_order",
         complexity="O(N) with N being the number of keys in the database, under the assumption "
         "that the key names in the database and the given pattern have limited length.",
         summary="Find all keys matching the given pattern")
def keys(ctx: Any, argv: list[bytes]) -> list:
    pattern = argv[1]
    if pattern == b"*":
        return list(ctx.db.keys())
    match = glob_matcher(pattern)
    return [key for key in ctx.db.keys() if match(key)]


@command("scan", -2, "readonly", since="2.8.0",
         tips="nondeterministic_output request_policy:special",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough "
         "command calls for the cursor to return back to 0. N is the number of elements inside "
         "the collection.",
         summary="Incrementally iterate the keys space",
         history=(("6.0.0", "Added the `TYPE` subcommand."),))
def scan(ctx: Any, argv: list[bytes]) -> list:
    cursor = parse_cursor(argv[1])
    count = 10
    pattern: bytes | None = None
    typename: bytes | None = None
    i, n = 2, len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"count" and i + 1 < n:
            count = parse_int(argv[i + 1])
            if count < 1:
                raise CommandError(SYNTAX)
        elif opt == b"match" and i + 1 < n:
            pattern = None if argv[i + 1] == b"*" else argv[i + 1]
        elif opt == b"type" and i + 1 < n:
            typename = argv[i + 1].split(b"\0", 1)[0].lower()
        else:
            raise CommandError(SYNTAX)
        i += 2

    db = ctx.db
    peek = db.peek
    cursor, found = CURSORS.scan(db, cursor, count, lambda: list(db.data),
                                 lambda key: peek(key) is not None)
    if pattern is not None:
        match = glob_matcher(pattern)
        found = [key for key in found if match(key)]
    if typename is not None:
        data = db.data
        found = [key for key in found
                 if key in data and type_name(data[key]).lower() == typename]
    return [b"%d" % cursor, found]


@command("randomkey", 1, "readonly", tips="request_policy:all_shards nondeterministic_output",
         summary="Return a random key from the keyspace")
def randomkey(ctx: Any, argv: list[bytes]) -> bytes | None:
    return ctx.db.random_key()


# -- OBJECT ----------------------------------------------------------------------------------

OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]
_POLICY_NOTE = ("Please note that when switching between policies at runtime LRU and LFU "
                "data will take some time to adjust.")

command("object", -2, categories="slow", since="2.2.3", complexity="Depends on subcommand.",
        summary="A container for object introspection commands")(None)


# Registered in the order Redis lists OBJECT's subcommands in COMMAND INFO.
@command("object|idletime", 3, "readonly", keys=(2, 2, 1), key_flags="RO", since="2.2.3",
         tips="nondeterministic_output",
         summary="Get the time since a Redis object was last accessed")
def object_idletime(ctx: Any, argv: list[bytes]) -> int | None:
    db = ctx.db
    if lookup_notouch(db, argv[2], notify=False) is None:
        return None
    ks = db.keyspace
    if ks.lfu:
        raise CommandError(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. " + _POLICY_NOTE)
    return max(ks.lru_clock - db.access.get(argv[2], ks.lru_clock), 0)


@command("object|help", 2, "loading stale", categories="keyspace", since="6.2.0",
         summary="Show helpful text about the different subcommands")
def object_help(ctx: Any, argv: list[bytes]) -> list:
    return [Status(line.encode()) for line in OBJECT_HELP]


@command("object|encoding", 3, "readonly", keys=(2, 2, 1), key_flags="RO", since="2.2.3",
         tips="nondeterministic_output",
         summary="Inspect the internal encoding of a Redis object")
def object_encoding(ctx: Any, argv: list[bytes]) -> bytes | None:
    value = lookup_notouch(ctx.db, argv[2], notify=False)
    if value is None:
        return None
    fn = OBJECT_ENCODINGS.get(value.__class__)
    return fn(value) if fn is not None else b"unknown"  # strEncoding's default


@command("object|freq", 3, "readonly", keys=(2, 2, 1), key_flags="RO", since="4.0.0",
         tips="nondeterministic_output",
         summary="Get the logarithmic access frequency counter of a Redis object")
def object_freq(ctx: Any, argv: list[bytes]) -> int | None:
    db = ctx.db
    if lookup_notouch(db, argv[2], notify=False) is None:
        return None
    ks = db.keyspace
    if not ks.lfu:
        raise CommandError(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
            + _POLICY_NOTE)
    return ks.lfu_counter(db.freq.get(argv[2]))


@command("object|refcount", 3, "readonly", keys=(2, 2, 1), key_flags="RO", since="2.2.3",
         tips="nondeterministic_output",
         summary="Get the number of references to the value of the key")
def object_refcount(ctx: Any, argv: list[bytes]) -> int | None:
    value = lookup_notouch(ctx.db, argv[2], notify=False)
    if value is None:
        return None
    # Integers 0..9999 are Redis's shared objects, whose refcount is pinned at INT_MAX.
    if value.__class__ is int and 0 <= value < 10000 or (
            value.__class__ is bytes and len(value) <= 4 and is_int(value) and 0 <= int(value) < 10000):
        return INT_MAX
    return 1
