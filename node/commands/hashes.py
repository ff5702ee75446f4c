"""The hash group: field/value maps, their counters, random fields and HSCAN (Redis's t_hash.c).

A hash is a `HashValue`, a dict field -> value. Dicts keep insertion order and update values
in place, which is exactly the order of Redis's listpack encoding, so while a hash is
`listpack` encoded HGETALL, HKEYS, HSCAN and HRANDFIELD list its fields as Redis does.
`listpack` records the encoding Redis would report: true until a field or value longer than
`hash-max-listpack-value` arrives or the hash grows past `hash-max-listpack-entries`, then
false (`hashtable`) for good, since Redis never converts back.

Changes send Redis 7.0's keyspace events (node/notify.py): hset (HSET, HMSET, HSETNX),
hincrby, hincrbyfloat, hdel then `del` when the hash empties; a no-op sends nothing.
"""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import islice
from typing import Any

from node import digest, listpack
from node.commands.debug import SERIALIZED_LENGTHS, rdb_len_size, rdb_string_size
from node.commands.keys import COPY_FUNCS, OBJECT_ENCODINGS
from node.cursor import CURSORS, parse_cursor, scan_options
from node.errors import NOT_FLOAT, OVERFLOW, SYNTAX, WRONGTYPE, CommandError, wrong_arity
from node.keyspace import TYPE_NAMES
from node.notify import GENERIC, HASH
from node.numbers import (
    INT64_MAX, INT64_MIN, LD_OVERFLOW, LongDouble, is_int, parse_int, parse_long_double,
)
from node.replies import OK
from node.table import command

LONG_MAX = INT64_MAX


class HashValue(dict):
    """A Redis hash: field -> value, both bytes, in Redis's listpack order."""

    __slots__ = ("listpack",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.listpack = True


def get_hash(db: Any, key: bytes) -> HashValue | None:
    """The hash at `key` for reading (lookupKeyRead), None if missing; WRONGTYPE otherwise."""
    value = db.get(key)
    if value is None or value.__class__ is HashValue:
        return value
    raise CommandError(WRONGTYPE)


def _hash_for_write(db: Any, key: bytes) -> HashValue | None:
    """hashTypeLookupWriteOrCreate's lookup half: the hash at `key` (access time refreshed),
    None if missing; WRONGTYPE if the key holds another type."""
    value = db.lookup_write(key)
    if value is None or value.__class__ is HashValue:
        return value
    raise CommandError(WRONGTYPE)


# The listpack limits are read from the config's values by their canonical names: one dict
# lookup each, on the HSET path.
_MAX_ENTRIES = "hash-max-listpack-entries"
_MAX_VALUE = "hash-max-listpack-value"


def _fit_values(ctx: Any, h: HashValue, args: list[bytes], start: int) -> None:
    """hashTypeTryConversion: any argument too long for a listpack converts the hash."""
    limit = ctx.server.config.values[_MAX_VALUE]
    for i in range(start, len(args)):
        if len(args[i]) > limit:
            h.listpack = False
            return


def _fit_length(ctx: Any, h: HashValue) -> None:
    if len(h) > ctx.server.config.values[_MAX_ENTRIES]:
        h.listpack = False


def _fit_one(ctx: Any, h: HashValue, field: bytes, value: bytes) -> None:
    """hashTypeSet's conversion after setting one field of a listpack hash."""
    limits = ctx.server.config.values
    limit = limits[_MAX_VALUE]
    if len(field) > limit or len(value) > limit or len(h) > limits[_MAX_ENTRIES]:
        h.listpack = False


def _store_one(ctx: Any, key: bytes, h: HashValue | None, field: bytes, value: bytes,
               event: bytes) -> None:
    """hashTypeSet of one field into `h` (a new hash at `key` when None), with its checks;
    then the command's `event`."""
    new = h is None
    if new:
        h = HashValue()
    h[field] = value
    if h.listpack:
        _fit_one(ctx, h, field, value)
    if new:
        ctx.db.set(key, h)
    else:
        ctx.db.modified(key)
    ctx.db.notify(HASH, event, key)


# -- setting and getting ----------------------------------------------------------------------


def _hset(ctx: Any, argv: list[bytes], name: str) -> int:
    """HSET / HMSET: store every field/value pair; the number of new fields."""
    if len(argv) & 1:
        raise wrong_arity(name)
    db = ctx.db
    key = argv[1]
    h = _hash_for_write(db, key)
    new = h is None
    if new:
        h = HashValue()
    before = len(h)
    if h.listpack:
        _fit_values(ctx, h, argv, 2)
    h.update(zip(argv[2::2], argv[3::2]))
    if h.listpack:
        _fit_length(ctx, h)
    if new:
        db.set(key, h)
    else:
        db.modified(key)
    db.keyspace.dirty += (len(argv) - 2) // 2 - 1  # Redis counts every pair given as a change
    db.notify(HASH, b"hset", key)  # HMSET's too
    return len(h) - before


@command("hset", -4, "write denyoom fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         complexity="O(1) for each field/value pair added, so O(N) to add N field/value pairs "
         "when the command is called with multiple field/value pairs.",
         summary="Set the string value of a hash field",
         history=(("4.0.0", "Accepts multiple `field` and `value` arguments."),))
def hset(ctx: Any, argv: list[bytes]) -> int:
    if len(argv) == 4:  # one field into an existing hash: the hot path, kept lean
        db = ctx.db
        key = argv[1]
        h = db.lookup_write(key)
        if h.__class__ is HashValue:
            field, value = argv[2], argv[3]
            added = field not in h
            h[field] = value
            if h.listpack:
                _fit_one(ctx, h, field, value)
            db.modified(key)
            if db.keyspace.notify_flags:  # the call alone costs when notifications are off
                db.notify(HASH, b"hset", key)
            return 1 if added else 0
    return _hset(ctx, argv, "hset")


@command("hmset", -4, "write denyoom fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         complexity="O(N) where N is the number of fields being set.",
         summary="Set multiple hash fields to multiple values",
         doc_flags="deprecated", deprecated_since="4.0.0",
         replaced_by="`HSET` with multiple field-value pairs")
def hmset(ctx: Any, argv: list[bytes]) -> Any:
    _hset(ctx, argv, "hmset")
    return OK


@command("hsetnx", 4, "write denyoom fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         key_flags="RW insert",
         summary="Set the value of a hash field, only if the field does not exist")
def hsetnx(ctx: Any, argv: list[bytes]) -> int:
    h = _hash_for_write(ctx.db, argv[1])
    if h is not None and argv[2] in h:
        return 0
    _store_one(ctx, argv[1], h, argv[2], argv[3], b"hset")
    return 1


@command("hget", 3, "readonly fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         key_flags="RO access", summary="Get the value of a hash field")
def hget(ctx: Any, argv: list[bytes]) -> bytes | None:
    h = ctx.db.get(argv[1])
    if h is None:
        return None
    if h.__class__ is not HashValue:
        raise CommandError(WRONGTYPE)
    return h.get(argv[2])


@command("hmget", -3, "readonly fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         key_flags="RO access", complexity="O(N) where N is the number of fields being requested.",
         summary="Get the values of all the given hash fields")
def hmget(ctx: Any, argv: list[bytes]) -> list:
    h = get_hash(ctx.db, argv[1])
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(field) for field in argv[2:]]


@command("hdel", -3, "write fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         key_flags="RW delete", complexity="O(N) where N is the number of fields to be removed.",
         summary="Delete one or more hash fields",
         history=(("2.4.0", "Accepts multiple `field` arguments."),))
def hdel(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    key = argv[1]
    h = _hash_for_write(db, key)
    if h is None:
        return 0
    deleted = 0
    for field in argv[2:]:
        if h.pop(field, None) is not None:
            deleted += 1
            if not h:
                break
    if not deleted:
        return 0
    db.notify(HASH, b"hdel", key)
    if h:
        db.modified(key)
    else:
        db.delete(key)
        db.notify(GENERIC, b"del", key)
    db.keyspace.dirty += deleted - 1  # Redis counts every field removed as a change
    return deleted


@command("hlen", 2, "readonly fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         key_flags="RO", summary="Get the number of fields in a hash")
def hlen(ctx: Any, argv: list[bytes]) -> int:
    h = get_hash(ctx.db, argv[1])
    return 0 if h is None else len(h)


@command("hexists", 3, "readonly fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         key_flags="RO", summary="Determine if a hash field exists")
def hexists(ctx: Any, argv: list[bytes]) -> int:
    h = get_hash(ctx.db, argv[1])
    return 1 if h is not None and argv[2] in h else 0


@command("hstrlen", 3, "readonly fast", keys=(1, 1, 1), group="hash", since="3.2.0",
         key_flags="RO", summary="Get the length of the value of a hash field")
def hstrlen(ctx: Any, argv: list[bytes]) -> int:
    h = get_hash(ctx.db, argv[1])
    if h is None:
        return 0
    value = h.get(argv[2])
    return 0 if value is None else len(value)


_ALL_TIPS = "nondeterministic_output_order"


@command("hkeys", 2, "readonly", keys=(1, 1, 1), group="hash", since="2.0.0",
         key_flags="RO access", tips=_ALL_TIPS,
         complexity="O(N) where N is the size of the hash.",
         summary="Get all the fields in a hash")
def hkeys(ctx: Any, argv: list[bytes]) -> list:
    h = get_hash(ctx.db, argv[1])
    return [] if h is None else list(h)


@command("hvals", 2, "readonly", keys=(1, 1, 1), group="hash", since="2.0.0",
         key_flags="RO access", tips=_ALL_TIPS,
         complexity="O(N) where N is the size of the hash.",
         summary="Get all the values in a hash")
def hvals(ctx: Any, argv: list[bytes]) -> list:
    h = get_hash(ctx.db, argv[1])
    return [] if h is None else list(h.values())


@command("hgetall", 2, "readonly", keys=(1, 1, 1), group="hash", since="2.0.0",
         key_flags="RO access", tips=_ALL_TIPS,
         complexity="O(N) where N is the size of the hash.",
         summary="Get all the fields and values in a hash")
def hgetall(ctx: Any, argv: list[bytes]) -> dict:
    h = get_hash(ctx.db, argv[1])
    # A plain copy: a reply queued in MULTI must not see later changes to the hash.
    return {} if h is None else dict(h)


# -- counters ----------------------------------------------------------------------------------


@command("hincrby", 4, "write denyoom fast", keys=(1, 1, 1), group="hash", since="2.0.0",
         key_flags="RW access update",
         summary="Increment the integer value of a hash field by the given number")
def hincrby(ctx: Any, argv: list[bytes]) -> int:
    by = parse_int(argv[3])
    h = _hash_for_write(ctx.db, argv[1])
    old = h.get(argv[2]) if h is not None else None
    if old is None:
        value = by
    else:
        if not is_int(old):
            raise CommandError("ERR hash value is not an integer")
        value = int(old) + by
        if not INT64_MIN <= value <= INT64_MAX:
            raise CommandError(OVERFLOW)
    _store_one(ctx, argv[1], h, argv[2], b"%d" % value, b"hincrby")
    return value


@command("hincrbyfloat", 4, "write denyoom fast", keys=(1, 1, 1), group="hash", since="2.6.0",
         key_flags="RW access update",
         summary="Increment the float value of a hash field by the given amount")
def hincrbyfloat(ctx: Any, argv: list[bytes]) -> bytes:
    by = parse_long_double(argv[3])
    if by is None:
        raise CommandError(NOT_FLOAT)
    if by.__class__ is float:
        raise CommandError("ERR value is NaN or Infinity")
    h = _hash_for_write(ctx.db, argv[1])
    old = h.get(argv[2]) if h is not None else None
    if old is None:
        current: Fraction | float = Fraction(0)
    else:
        current = parse_long_double(old)
        if current is None:
            raise CommandError("ERR hash value is not a float")
    if current.__class__ is float:
        raise CommandError("ERR increment would produce NaN or Infinity")
    result = LongDouble.round(current + by)
    if abs(result) >= LD_OVERFLOW:
        raise CommandError("ERR increment would produce NaN or Infinity")
    text = LongDouble.format(result)
    _store_one(ctx, argv[1], h, argv[2], text, b"hincrbyfloat")
    ctx.propagate_as([b"HSET", argv[1], argv[2], text])  # the result, not the arithmetic
    return text


# -- random fields -----------------------------------------------------------------------------


def random_item(container: Any) -> Any:
    """A uniformly random member of a dict or set (skipping to a random offset runs in C)."""
    return next(islice(container, random.randrange(len(container)), None))


def parse_random_count(arg: bytes) -> int:
    """HRANDFIELD / SRANDMEMBER's count: getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)."""
    count = parse_int(arg)
    if count < -LONG_MAX:
        raise CommandError(
            f"ERR value is out of range, value must between {-LONG_MAX} and {LONG_MAX}")
    return count


_SUB_STRATEGY_MUL = 3  # HRANDFIELD_SUB_STRATEGY_MUL: above a third, Redis samples via a dict


@command("hrandfield", -2, "readonly", keys=(1, 1, 1), group="hash", since="6.2.0",
         key_flags="RO access", tips="nondeterministic_output",
         complexity="O(N) where N is the number of fields returned",
         summary="Get one or multiple random fields from a hash")
def hrandfield(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        h = get_hash(ctx.db, argv[1])
        return None if h is None else random_item(h)
    count = parse_random_count(argv[2])
    withvalues = False
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withvalues"):
        raise CommandError(SYNTAX)
    if len(argv) == 4:
        withvalues = True
        # The reply counts fields and values: twice the count must fit a C long.
        if not -(LONG_MAX // 2) <= count <= LONG_MAX // 2:
            raise CommandError("ERR value is out of range")
    h = get_hash(ctx.db, argv[1])
    if h is None or count == 0:
        return []
    if count < 0 or count == 1:
        fields = random.choices(list(h), k=-count if count < 0 else 1)
    elif count >= len(h):
        fields = list(h)  # the whole hash, in its own order
    elif h.listpack and count * _SUB_STRATEGY_MUL <= len(h):
        # lpRandomPairsUnique walks the listpack once: a uniform sample, in the hash's order.
        keys = list(h)
        fields = [keys[i] for i in sorted(random.sample(range(len(keys)), count))]
    else:
        fields = random.sample(list(h), count)
    if not withvalues:
        return fields
    if ctx.protocol == 3:
        return [[f, h[f]] for f in fields]
    out = []
    for f in fields:
        out.append(f)
        out.append(h[f])
    return out


# -- HSCAN -------------------------------------------------------------------------------------


@command("hscan", -3, "readonly", keys=(1, 1, 1), group="hash", since="2.8.0",
         key_flags="RO access", tips="nondeterministic_output",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough "
         "command calls for the cursor to return back to 0. N is the number of elements inside "
         "the collection..",
         summary="Incrementally iterate hash fields and associated values")
def hscan(ctx: Any, argv: list[bytes]) -> list:
    cursor = parse_cursor(argv[2])
    h = get_hash(ctx.db, argv[1])
    if h is None:
        return [b"0", []]
    count, match = scan_options(argv, 3)
    if h.listpack:
        # Redis returns a listpack hash whole, whatever the cursor.
        cursor, fields = 0, list(h)
    else:
        cursor, fields = CURSORS.scan(h, cursor, count, lambda: list(h), h.__contains__)
    if match is not None:
        fields = [f for f in fields if match(f)]
    out = []
    for f in fields:
        out.append(f)
        out.append(h[f])
    return [b"%d" % cursor, out]


# -- registries --------------------------------------------------------------------------------


def _copy(h: HashValue) -> HashValue:
    new = HashValue(h)
    new.listpack = h.listpack
    return new


def _digest(d: bytes, h: HashValue) -> bytes:
    xor, element = digest.xor, digest.element
    for field, value in h.items():
        d = xor(d, element(field, value))
    return d


def _rdb_size(h: HashValue, compression: bool) -> int:
    if h.listpack:
        # RDB_TYPE_HASH_LISTPACK: the listpack (field, value, field, value, ...) as one string.
        return rdb_string_size(listpack.pack(item for pair in h.items() for item in pair),
                               compression)
    return rdb_len_size(len(h)) + sum(
        rdb_string_size(f, compression) + rdb_string_size(v, compression) for f, v in h.items())


TYPE_NAMES[HashValue] = b"hash"
COPY_FUNCS[HashValue] = _copy
OBJECT_ENCODINGS[HashValue] = lambda h: b"listpack" if h.listpack else b"hashtable"
SERIALIZED_LENGTHS[HashValue] = _rdb_size
digest.register(HashValue, digest.OBJ_HASH, _digest)
