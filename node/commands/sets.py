"""The set group: membership, random members, moves, algebra and SSCAN (Redis's t_set.c).

A set is a `SetValue`, a Python set of bytes members. `intset` records the encoding Redis 7.0
would report (it has no listpack sets): true while every member is a canonical 64-bit
integer and there are at most `set-max-intset-entries` of them, then false (`hashtable`) for
good. An intset is a sorted array in Redis, so its members come out in numeric order
(SMEMBERS, SSCAN, the algebra commands when their result is an intset); `ordered` gives that
order. A hashtable set's order is unspecified, in Redis as here.

The algebra commands build their result the way Redis does, adding to a new intset that
converts when it must, so a stored result (and a reply's order) has Redis's encoding.

Changes send Redis 7.0's keyspace events (node/notify.py): sadd, srem, spop (then `del` when
a set empties), SMOVE's srem on the source before sadd on the destination, and the *STORE
commands' own event, or `del` when an empty result deletes the destination.
"""

from __future__ import annotations

import random
from typing import Any, Iterable

from node import digest, listpack
from node.commands.debug import SERIALIZED_LENGTHS, rdb_len_size, rdb_string_size
from node.commands.hashes import parse_random_count, random_item
from node.commands.keys import COPY_FUNCS, OBJECT_ENCODINGS, store_result
from node.cursor import CURSORS, parse_cursor, scan_options
from node.errors import SYNTAX, WRONGTYPE, CommandError
from node.keyspace import TYPE_NAMES
from node.notify import GENERIC, SET
from node.numbers import is_int, parse_int
from node.replies import SetReply
from node.table import KeySpec, command, numkeys_keys

POSITIVE = "ERR value is out of range, must be positive"
# SPOP with a count: above this ratio of popped to remaining members, Redis rebuilds the set
# from the members that stay (SPOP_MOVE_STRATEGY_MUL), which can change its encoding.
_SPOP_MOVE_STRATEGY_MUL = 5


class SetValue(set):
    """A Redis set of bytes members; `intset` is Redis's encoding (see the module doc)."""

    __slots__ = ("intset",)

    def __init__(self, members: Iterable[bytes] = ()) -> None:
        super().__init__(members)
        self.intset = True


def ordered(s: SetValue) -> list[bytes]:
    """The members in Redis's iteration order: numeric for an intset."""
    return sorted(s, key=int) if s.intset else list(s)


def _max_intset(ctx: Any) -> int:
    return ctx.server.config.values["set-max-intset-entries"]  # canonical name: one lookup


def _fit(ctx: Any, s: SetValue, added: Iterable[bytes]) -> None:
    """setTypeAdd's conversion after adding `added` to an intset: any non-integer member, or
    one member too many, makes it a hashtable."""
    if s.intset and (len(s) > _max_intset(ctx) or not all(map(is_int, added))):
        s.intset = False


def _intset_can_hold(ctx: Any, members: set) -> bool:
    return len(members) <= _max_intset(ctx) and all(map(is_int, members))


def new_set(ctx: Any, members: Iterable[bytes]) -> SetValue:
    """A set built as Redis builds a result set: an intset that converts when it must."""
    s = SetValue(members)
    s.intset = _intset_can_hold(ctx, s)
    return s


def get_set(db: Any, key: bytes) -> SetValue | None:
    """The set at `key` for reading (lookupKeyRead), None if missing; WRONGTYPE otherwise."""
    value = db.get(key)
    if value is None or value.__class__ is SetValue:
        return value
    raise CommandError(WRONGTYPE)


def _set_for_write(db: Any, key: bytes) -> SetValue | None:
    """lookupKeyWrite: the set at `key` (access time refreshed), None if missing."""
    value = db.lookup_write(key)
    if value is None or value.__class__ is SetValue:
        return value
    raise CommandError(WRONGTYPE)


def _sets(db: Any, keys: list[bytes]) -> list[SetValue | None]:
    """Every key's set (None for a missing key), refusing any other type."""
    out = []
    for key in keys:
        value = db.get(key)
        if value is not None and value.__class__ is not SetValue:
            raise CommandError(WRONGTYPE)
        out.append(value)
    return out


def _store(ctx: Any, dst: bytes, result: SetValue, event: bytes) -> int:
    """The *STORE commands' ending (keys.store_result): the result replaces `dst`, or an
    empty one deletes it."""
    store_result(ctx.db, dst, result, SET, event)
    return len(result)


def _removed(db: Any, key: bytes, s: SetValue, event: bytes) -> None:
    """After members left the set at `key`: `event`, then the key's deletion (and `del`) if
    it emptied."""
    db.notify(SET, event, key)
    if s:
        db.modified(key)
    else:
        db.delete(key)
        db.notify(GENERIC, b"del", key)


# -- members ---------------------------------------------------------------------------------


@command("sadd", -3, "write denyoom fast", keys=(1, 1, 1), group="set", key_flags="RW insert",
         complexity="O(1) for each element added, so O(N) to add N elements when the command is "
         "called with multiple arguments.",
         summary="Add one or more members to a set",
         history=(("2.4.0", "Accepts multiple `member` arguments."),))
def sadd(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    key = argv[1]
    s = db.lookup_write(key)
    if s is None:
        s = new_set(ctx, argv[2:])
        db.set(key, s)
        db.keyspace.dirty += len(s) - 1  # Redis counts every member added as a change
        if db.keyspace.notify_flags:  # the call alone costs when notifications are off
            db.notify(SET, b"sadd", key)
        return len(s)
    if s.__class__ is not SetValue:
        raise CommandError(WRONGTYPE)
    before = len(s)
    if len(argv) == 3:
        s.add(argv[2])
    else:
        s.update(argv[2:])
    added = len(s) - before
    if added:
        if s.intset:
            _fit(ctx, s, argv[2:])
        db.modified(key)
        if added > 1:
            db.keyspace.dirty += added - 1  # Redis counts every member added as a change
        if db.keyspace.notify_flags:
            db.notify(SET, b"sadd", key)
    return added


@command("srem", -3, "write fast", keys=(1, 1, 1), group="set", key_flags="RW delete",
         complexity="O(N) where N is the number of members to be removed.",
         summary="Remove one or more members from a set",
         history=(("2.4.0", "Accepts multiple `member` arguments."),))
def srem(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    key = argv[1]
    s = _set_for_write(db, key)
    if s is None:
        return 0
    before = len(s)
    s.difference_update(argv[2:])
    removed = before - len(s)
    if not removed:
        return 0
    _removed(db, key, s, b"srem")
    db.keyspace.dirty += removed - 1  # Redis counts every member removed as a change
    return removed


@command("sismember", 3, "readonly fast", keys=(1, 1, 1), group="set", key_flags="RO",
         summary="Determine if a given value is a member of a set")
def sismember(ctx: Any, argv: list[bytes]) -> int:
    s = ctx.db.get(argv[1])
    if s is None:
        return 0
    if s.__class__ is not SetValue:
        raise CommandError(WRONGTYPE)
    return 1 if argv[2] in s else 0


@command("smismember", -3, "readonly fast", keys=(1, 1, 1), group="set", key_flags="RO access",
         since="6.2.0",
         complexity="O(N) where N is the number of elements being checked for membership",
         summary="Returns the membership associated with the given elements for a set")
def smismember(ctx: Any, argv: list[bytes]) -> list:
    s = get_set(ctx.db, argv[1])
    if s is None:
        return [0] * (len(argv) - 2)
    return [1 if m in s else 0 for m in argv[2:]]


@command("scard", 2, "readonly fast", keys=(1, 1, 1), group="set", key_flags="RO",
         summary="Get the number of members in a set")
def scard(ctx: Any, argv: list[bytes]) -> int:
    s = get_set(ctx.db, argv[1])
    return 0 if s is None else len(s)


@command("smembers", 2, "readonly", keys=(1, 1, 1), group="set", key_flags="RO access",
         tips="nondeterministic_output_order",
         complexity="O(N) where N is the set cardinality.",
         summary="Get all the members in a set")
def smembers(ctx: Any, argv: list[bytes]) -> SetReply:
    s = get_set(ctx.db, argv[1])
    return SetReply() if s is None else SetReply(ordered(s))


@command("smove", 4, "write fast", keys=(1, 2, 1), group="set",
         key_specs=(KeySpec(("RW", "access", "delete"), 1), KeySpec(("RW", "insert"), 2)),
         summary="Move a member from one set to another")
def smove(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    src_key, dst_key, member = argv[1], argv[2], argv[3]
    src = db.lookup_write(src_key)
    dst = db.lookup_write(dst_key)
    if src is None:
        return 0
    if src.__class__ is not SetValue or (dst is not None and dst.__class__ is not SetValue):
        raise CommandError(WRONGTYPE)
    if src is dst:
        return 1 if member in src else 0
    if member not in src:
        return 0
    src.discard(member)
    _removed(db, src_key, src, b"srem")
    if dst is None:
        db.set(dst_key, new_set(ctx, (member,)))
    elif member not in dst:
        dst.add(member)
        _fit(ctx, dst, (member,))
        db.modified(dst_key)
    else:
        return 1
    db.notify(SET, b"sadd", dst_key)
    return 1


# -- random members --------------------------------------------------------------------------


@command("spop", -2, "write fast", keys=(1, 1, 1), group="set", key_flags="RW access delete",
         tips="nondeterministic_output",
         complexity="Without the count argument O(1), otherwise O(N) where N is the value of the "
         "passed count.",
         summary="Remove and return one or multiple random members from a set",
         history=(("3.2.0", "Added the `count` argument."),))
def spop(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    db = ctx.db
    key = argv[1]
    if len(argv) == 2:
        s = _set_for_write(db, key)
        if s is None:
            return None
        member = random_item(s)
        s.discard(member)
        _removed(db, key, s, b"spop")
        ctx.propagate_as([b"SREM", key, member])
        return member

    count = parse_int(argv[2], POSITIVE)
    if count < 0:
        raise CommandError(POSITIVE)
    s = _set_for_write(db, key)
    if s is None or count == 0:
        return SetReply()
    size = len(s)
    if count >= size:
        # The whole set, through a union of one set: in the order of that result's encoding.
        popped = sorted(s, key=int) if _intset_can_hold(ctx, s) else list(s)
        db.notify(SET, b"spop", key)
        db.delete(key)
        db.notify(GENERIC, b"del", key)
        db.keyspace.dirty += size - 1  # Redis counts every member popped as a change
        ctx.propagate_as([b"DEL", key])
        return SetReply(popped)
    remaining = size - count
    if remaining * _SPOP_MOVE_STRATEGY_MUL > count:
        popped = random.sample(list(s), count)
        s.difference_update(popped)
    else:
        # Redis keeps `remaining` random members in a new set and returns the rest in the old
        # set's order; the new set gets the encoding its members call for.
        keep = set(random.sample(list(s), remaining))
        popped = [m for m in ordered(s) if m not in keep]
        s.difference_update(popped)
        s.intset = _intset_can_hold(ctx, s)
    db.modified(key)
    db.notify(SET, b"spop", key)
    db.keyspace.dirty += count - 1  # Redis counts every member popped as a change
    # The random choice replays as the removal of exactly these members: one SREM each, as
    # Redis 7.0 (7.2 batches them), wrapped in MULTI/EXEC by node/propagate.py.
    ctx.propagate_as(*([b"SREM", key, member] for member in popped))
    return SetReply(popped)


@command("srandmember", -2, "readonly", keys=(1, 1, 1), group="set", key_flags="RO access",
         tips="nondeterministic_output",
         complexity="Without the count argument O(1), otherwise O(N) where N is the absolute "
         "value of the passed count.",
         summary="Get one or multiple random members from a set",
         history=(("2.6.0", "Added the optional `count` argument."),))
def srandmember(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    if len(argv) == 2:
        s = get_set(ctx.db, argv[1])
        return None if s is None else random_item(s)
    count = parse_random_count(argv[2])
    s = get_set(ctx.db, argv[1])
    if s is None or count == 0:
        return []
    if count < 0 or count == 1:
        return random.choices(list(s), k=-count if count < 0 else 1)
    if count >= len(s):
        return ordered(s)
    return random.sample(list(s), count)


# -- algebra ---------------------------------------------------------------------------------


def _inter(db: Any, keys: list[bytes]) -> tuple[list[SetValue], bool]:
    """The sets to intersect, smallest first, and whether the intersection is empty because
    a key is missing (still refusing a wrong type anywhere, as Redis checks every key)."""
    sets = _sets(db, keys)
    if any(s is None for s in sets):
        return [], True
    sets.sort(key=len)  # Redis iterates the smallest set and probes the others
    return sets, False  # type: ignore[return-value]


def _intersection(sets: list[SetValue]) -> list[bytes]:
    """The members in every set, in the smallest set's order."""
    first = sets[0]
    common = first.intersection(*sets[1:])
    return sorted(common, key=int) if first.intset else list(common)


@command("sinter", -2, "readonly", keys=(1, -1, 1), group="set", key_flags="RO access",
         tips="nondeterministic_output_order",
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is "
         "the number of sets.",
         summary="Intersect multiple sets")
def sinter(ctx: Any, argv: list[bytes]) -> SetReply:
    sets, empty = _inter(ctx.db, argv[1:])
    return SetReply() if empty else SetReply(_intersection(sets))


@command("sinterstore", -3, "write denyoom", keys=(1, -1, 1), group="set",
         key_specs=(KeySpec(("RW", "update"), 1), KeySpec(("RO", "access"), 2, lastkey=-1)),
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is "
         "the number of sets.",
         summary="Intersect multiple sets and store the resulting set in a key")
def sinterstore(ctx: Any, argv: list[bytes]) -> int:
    sets, empty = _inter(ctx.db, argv[2:])
    result = SetValue() if empty else new_set(ctx, _intersection(sets))
    return _store(ctx, argv[1], result, b"sinterstore")


@command("sintercard", -3, "readonly movablekeys", group="set", since="7.0.0",
         key_specs=(KeySpec(("RO", "access"), 1, keynum_index=0, firstkey=1, keystep=1),),
         keys_fallback=numkeys_keys(1),
         complexity="O(N*M) worst case where N is the cardinality of the smallest set and M is "
         "the number of sets.",
         summary="Intersect multiple sets and return the cardinality of the result")
def sintercard(ctx: Any, argv: list[bytes]) -> int:
    numkeys_error = "ERR numkeys should be greater than 0"
    numkeys = parse_int(argv[1], numkeys_error)
    if numkeys < 1:
        raise CommandError(numkeys_error)
    if numkeys > len(argv) - 2:
        raise CommandError("ERR Number of keys can't be greater than number of args")
    limit = 0
    i, n = 2 + numkeys, len(argv)
    while i < n:
        if argv[i].lower() == b"limit" and i + 1 < n:
            limit = parse_int(argv[i + 1], "ERR LIMIT can't be negative")
            if limit < 0:
                raise CommandError("ERR LIMIT can't be negative")
            i += 2
        else:
            raise CommandError(SYNTAX)
    sets, empty = _inter(ctx.db, argv[2:2 + numkeys])
    if empty:
        return 0
    first, rest = sets[0], sets[1:]
    if not limit:
        return len(first.intersection(*rest))
    found = 0
    for member in first:
        if all(member in s for s in rest):
            found += 1
            if found >= limit:
                break
    return found


def _union(ctx: Any, keys: list[bytes]) -> SetValue:
    return new_set(ctx, set().union(*[s for s in _sets(ctx.db, keys) if s is not None]))


def _diff(ctx: Any, keys: list[bytes]) -> SetValue:
    sets = _sets(ctx.db, keys)
    first = sets[0]
    if first is None:
        return SetValue()
    others = [s for s in sets[1:] if s is not None]
    result = SetValue(first.difference(*others))
    # Redis picks one of two algorithms by the work each would do. The second fills its result
    # with the whole first set before removing, so it gets the encoding the first set calls for.
    one = len(first) * (len(others) + 1) // 2
    two = len(first) + sum(len(s) for s in others)
    result.intset = _intset_can_hold(ctx, result if one <= two else first)
    return result


@command("sunion", -2, "readonly", keys=(1, -1, 1), group="set", key_flags="RO access",
         tips="nondeterministic_output_order",
         complexity="O(N) where N is the total number of elements in all given sets.",
         summary="Add multiple sets")
def sunion(ctx: Any, argv: list[bytes]) -> SetReply:
    return SetReply(ordered(_union(ctx, argv[1:])))


@command("sunionstore", -3, "write denyoom", keys=(1, -1, 1), group="set",
         key_specs=(KeySpec(("OW", "update"), 1), KeySpec(("RO", "access"), 2, lastkey=-1)),
         complexity="O(N) where N is the total number of elements in all given sets.",
         summary="Add multiple sets and store the resulting set in a key")
def sunionstore(ctx: Any, argv: list[bytes]) -> int:
    return _store(ctx, argv[1], _union(ctx, argv[2:]), b"sunionstore")


@command("sdiff", -2, "readonly", keys=(1, -1, 1), group="set", key_flags="RO access",
         tips="nondeterministic_output_order",
         complexity="O(N) where N is the total number of elements in all given sets.",
         summary="Subtract multiple sets")
def sdiff(ctx: Any, argv: list[bytes]) -> SetReply:
    return SetReply(ordered(_diff(ctx, argv[1:])))


@command("sdiffstore", -3, "write denyoom", keys=(1, -1, 1), group="set",
         key_specs=(KeySpec(("OW", "update"), 1), KeySpec(("RO", "access"), 2, lastkey=-1)),
         complexity="O(N) where N is the total number of elements in all given sets.",
         summary="Subtract multiple sets and store the resulting set in a key")
def sdiffstore(ctx: Any, argv: list[bytes]) -> int:
    return _store(ctx, argv[1], _diff(ctx, argv[2:]), b"sdiffstore")


# -- SSCAN -----------------------------------------------------------------------------------


@command("sscan", -3, "readonly", keys=(1, 1, 1), group="set", key_flags="RO access",
         since="2.8.0", tips="nondeterministic_output",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough "
         "command calls for the cursor to return back to 0. N is the number of elements inside "
         "the collection..",
         summary="Incrementally iterate Set elements")
def sscan(ctx: Any, argv: list[bytes]) -> list:
    cursor = parse_cursor(argv[2])
    s = get_set(ctx.db, argv[1])
    if s is None:
        return [b"0", []]
    count, match = scan_options(argv, 3)
    if s.intset:
        # Redis returns an intset whole, whatever the cursor.
        cursor, members = 0, ordered(s)
    else:
        cursor, members = CURSORS.scan(s, cursor, count, lambda: list(s), s.__contains__)
    if match is not None:
        members = [m for m in members if match(m)]
    return [b"%d" % cursor, members]


# -- registries ------------------------------------------------------------------------------


def _copy(s: SetValue) -> SetValue:
    new = SetValue(s)
    new.intset = s.intset
    return new


def _digest(d: bytes, s: SetValue) -> bytes:
    xor = digest.xor
    for member in s:
        d = xor(d, member)
    return d


def _rdb_size(s: SetValue, compression: bool) -> int:
    if s.intset:
        # RDB_TYPE_SET_INTSET: the intset blob as one string (header, then the sorted values
        # little-endian at the narrowest width that holds them all).
        return rdb_string_size(listpack.intset(list(map(int, s))), compression)
    return rdb_len_size(len(s)) + sum(rdb_string_size(m, compression) for m in s)


TYPE_NAMES[SetValue] = b"set"
COPY_FUNCS[SetValue] = _copy
OBJECT_ENCODINGS[SetValue] = lambda s: b"intset" if s.intset else b"hashtable"
SERIALIZED_LENGTHS[SetValue] = _rdb_size
digest.register(SetValue, digest.OBJ_SET, _digest)
