"""The list group: pushes, pops, ranges, moves and the blocking pops (Redis's t_list.c).

A list value is a `ListValue`, a `collections.deque`: O(1) pushes and pops at both ends, and
indexing that walks 64-element blocks from the nearer end, which is what LINDEX/LSET/LRANGE
need. Redis 7.0 always reports the `quicklist` encoding for lists.

The blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) try to serve like their
non-blocking forms and otherwise park the client with `node.blocking.block`, which re-runs
the same handler once one of the keys holds a list again.

Changes send Redis 7.0's keyspace events (node/notify.py) in its order: lpush/rpush, lpop/rpop
then `del` when a list empties, lset, linsert, lrem, ltrim, and for a move the destination's
push before the source's pop, as lmoveGenericCommand. A served wait sends the events of the
handler it re-runs, which are those of serveClientBlockedOnList.

DEBUG OBJECT's `serializedlength` and `ql_*` fields come from a model of the quicklist that
fills listpack nodes from the head as far as its `list-max-listpack-size` allows: exact for
lists built by RPUSH, close for other histories (Redis's node boundaries depend on them). A
list keeps that setting and `list-compress-depth` as they were when a command created it
(quicklistSetOptions); SORT STORE's has the defaults, and a loaded one (RDB file, DEBUG
RELOAD, RESTORE) those configured at load time.

An element of at least DEBUG QUICKLIST-PACKED-THRESHOLD bytes (1 GiB unless set) is a plain
node of its own, as in quicklist.c.

A list loaded from quicklist nodes keeps the payload's node layout, as Redis's
quicklistAppendListpack does, in `ListValue.nodes` ([entries, listpack size, plain] per node).
Pushes and pops at either end, LTRIM and LSET keep that layout up to date the way quicklist.c
changes its nodes; LINSERT and LREM, which split and merge nodes, drop it (the list is then
modelled from the head again).
"""

from __future__ import annotations

from collections import deque
from itertools import islice
from typing import Any

from node import digest, listpack
from node.blocking import block, parse_timeout
from node.commands.debug import OBJECT_EXTRAS, SERIALIZED_LENGTHS, rdb_len_size, rdb_string_size
from node.commands.keys import COPY_FUNCS, OBJECT_ENCODINGS
from node.errors import (
    INDEX_OUT_OF_RANGE, NO_SUCH_KEY, SYNTAX, WRONGTYPE, CommandError, wrong_arity,
)
from node.keyspace import TYPE_NAMES
from node.notify import GENERIC, LIST
from node.numbers import INT64_MIN, parse_int
from node.replies import NULL_ARRAY, OK
from node.table import KeySpec, command, numkeys_keys


class ListValue(deque):
    """A Redis list: a deque of bytes elements; `options`, when set, is the quicklist's
    (fill, compress depth) from its creation (see the module doc)."""

    __slots__ = ("options", "nodes")


_DEFAULT_OPTIONS = (-2, 0)


def list_options(fill: int, compress: int) -> tuple[int, int]:
    """The (fill, compress depth) quicklistSetOptions keeps: it clamps the fill to
    -5 ... 32767."""
    return min(max(fill, -5), 32767), compress


def new_list(ctx: Any, items: Any) -> ListValue:
    """A list a command creates, with the quicklist options configured now."""
    value = ListValue(items)
    config = ctx.server.config.values
    value.options = list_options(config["list-max-listpack-size"], config["list-compress-depth"])
    value.nodes = None  # set, so that the pushes' layout check finds the slot filled: faster
    return value


def loaded_list(items: list[bytes], options: tuple[int, int],
                counts: list[tuple[int, bool]] | None = None) -> ListValue:
    """A list read from an RDB file or a DUMP payload, under the `options` configured at load
    time; `counts`, (entries, plain) per quicklist node, is the layout it keeps (None for a
    list that was saved as plain elements, which loads by pushes)."""
    value = ListValue(items)
    value.options = options
    value.nodes = None
    if counts is not None:
        nodes = []
        it = iter(items)
        for count, plain in counts:
            size = len(next(it)) if plain else len(listpack.pack(islice(it, count)))
            nodes.append([count, size, plain])
        value.nodes = nodes
    return value


_packed_threshold = 1 << 30  # quicklist.c's packed_threshold


def set_packed_threshold(size: int) -> bool:
    """DEBUG QUICKLIST-PACKED-THRESHOLD, as quicklistisSetPackedThreshold: 0 restores 1 GiB;
    False (refused) past 4 GiB - 1 MiB."""
    global _packed_threshold
    if size > (1 << 32) - (1 << 20):
        return False
    _packed_threshold = size or 1 << 30
    return True


# -- a loaded list's node layout, kept as quicklist.c changes it --------------------------------


def _layout(value: ListValue) -> list[list[int]] | None:
    return getattr(value, "nodes", None)


def _layout_push(value: ListValue, items: Any, left: bool) -> None:
    """quicklistPushHead/Tail of each of `items`: into the end node while
    _quicklistNodeAllowInsert lets it grow, else into a new node."""
    nodes = value.nodes
    fill = value.options[0]
    for item in items:
        if len(item) >= _packed_threshold:
            new = [1, len(item), True]  # a plain node of its own
        else:
            node = (nodes[0] if left else nodes[-1]) if nodes else None  # LMOVE k k empties k
            size = len(listpack.entry(item))
            if (node is not None and not node[2] and not _node_full(
                    fill, node[1] + len(item) + _SIZE_ESTIMATE_OVERHEAD, node[0])):
                node[0] += 1
                node[1] += size
                continue
            new = [1, 7 + size, False]  # 7: the listpack's header and end byte
        if left:
            nodes.insert(0, new)
        else:
            nodes.append(new)


def _layout_pop(value: ListValue, items: Any, left: bool) -> None:
    """quicklistDelIndex of each of `items` from one end: a node that empties goes, the others
    keep their boundaries."""
    nodes = value.nodes
    index = 0 if left else -1
    for item in items:
        node = nodes[index]
        node[0] -= 1
        node[1] -= len(listpack.entry(item))
        if not node[0]:
            del nodes[index]


def _layout_replace(value: ListValue, index: int, old: bytes, new: bytes) -> None:
    """quicklistReplaceEntry: lpReplace inside the entry's packed node, whatever its size
    becomes; a plain node or a large element changes nodes, and drops the layout."""
    if index < 0:
        index += len(value)
    for node in value.nodes:
        if index < node[0]:
            if node[2] or len(new) >= _packed_threshold:
                value.nodes = None
            else:
                node[1] += len(listpack.entry(new)) - len(listpack.entry(old))
            return
        index -= node[0]


def _drop_layout(value: ListValue) -> None:
    if _layout(value) is not None:
        value.nodes = None


def _options(value: ListValue) -> tuple[int, int]:
    return getattr(value, "options", _DEFAULT_OPTIONS)


POSITIVE = "ERR value is out of range, must be positive"
RANK_ZERO = ("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second "
             "... or use negative to start from the end of the list")
EMPTY = ()  # an empty array reply, shared

_POP_SPEC = KeySpec(("RW", "access", "delete"), 1)
_MOVE_SPECS = (_POP_SPEC, KeySpec(("RW", "insert"), 2))
_BLOCK_CATS = "list slow blocking"


def _is_list(value: Any) -> bool:
    return value.__class__ is ListValue


def get_list(db: Any, key: bytes, read: bool = True) -> ListValue | None:
    """The list at `key`, None if missing; WRONGTYPE if it holds another type."""
    value = db.get(key) if read else db.lookup_write(key)
    if value is None or value.__class__ is ListValue:
        return value
    raise CommandError(WRONGTYPE)


def _side(arg: bytes) -> bool:
    """LEFT or RIGHT (any case) as True for the head; a syntax error otherwise."""
    side = arg.upper()
    if side == b"LEFT":
        return True
    if side == b"RIGHT":
        return False
    raise CommandError(SYNTAX)


def _popped(db: Any, key: bytes, emptied: bool, left: bool) -> None:
    """After a pop from `key`: its event, then the key's deletion (and `del`) if it emptied,
    as Redis's listElementsRemoved."""
    db.notify(LIST, b"lpop" if left else b"rpop", key)
    if emptied:
        db.delete(key)
        db.notify(GENERIC, b"del", key)
    else:
        db.modified(key)


def _pop_many(db: Any, key: bytes, value: ListValue, count: int, left: bool) -> list:
    """Pop up to `count` elements from one end, deleting the key when it empties."""
    emptied = count >= len(value)
    if emptied:
        out = list(value)
        if not left:
            out.reverse()
    else:
        pop = value.popleft if left else value.pop
        out = [pop() for _ in range(count)]
        if _layout(value) is not None:
            _layout_pop(value, out, left)
    _popped(db, key, emptied, left)
    db.keyspace.dirty += len(out) - 1  # Redis counts every element popped as a change
    return out


# -- pushes -----------------------------------------------------------------------------------


def _push_new(ctx: Any, key: bytes, argv: list[bytes], left: bool) -> int:
    db = ctx.db
    value = new_list(ctx, argv[:1:-1] if left else argv[2:])
    db.set(key, value)
    db.keyspace.dirty += len(value) - 1  # Redis counts every element pushed as a change
    if db.keyspace.notify_flags:
        db.notify(LIST, b"lpush" if left else b"rpush", key)
    return len(value)


@command("lpush", -3, "write denyoom fast", keys=(1, 1, 1), key_flags="RW insert", group="list",
         complexity="O(1) for each element added, so O(N) to add N elements when the command "
                    "is called with multiple arguments.",
         summary="Prepend one or multiple elements to a list",
         history=(("2.4.0", "Accepts multiple `element` arguments."),))
def lpush(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    key = argv[1]
    value = db.lookup_write(key)
    if value is None:
        return _push_new(ctx, key, argv, True)
    if value.__class__ is not ListValue:
        raise CommandError(WRONGTYPE)
    if len(argv) == 3:
        value.appendleft(argv[2])
    else:
        value.extendleft(islice(argv, 2, None))
        db.keyspace.dirty += len(argv) - 3  # one change per element, as Redis counts
    if _layout(value) is not None:
        _layout_push(value, islice(argv, 2, None), True)
    db.modified(key)
    if db.keyspace.notify_flags:  # a hot path: the call alone costs when notifications are off
        db.notify(LIST, b"lpush", key)
    return len(value)


@command("rpush", -3, "write denyoom fast", keys=(1, 1, 1), key_flags="RW insert", group="list",
         complexity="O(1) for each element added, so O(N) to add N elements when the command "
                    "is called with multiple arguments.",
         summary="Append one or multiple elements to a list",
         history=(("2.4.0", "Accepts multiple `element` arguments."),))
def rpush(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    key = argv[1]
    value = db.lookup_write(key)
    if value is None:
        return _push_new(ctx, key, argv, False)
    if value.__class__ is not ListValue:
        raise CommandError(WRONGTYPE)
    if len(argv) == 3:
        value.append(argv[2])
    else:
        value.extend(islice(argv, 2, None))
        db.keyspace.dirty += len(argv) - 3  # one change per element, as Redis counts
    if _layout(value) is not None:
        _layout_push(value, islice(argv, 2, None), False)
    db.modified(key)
    if db.keyspace.notify_flags:  # a hot path: the call alone costs when notifications are off
        db.notify(LIST, b"rpush", key)
    return len(value)


def _pushx(ctx: Any, argv: list[bytes], left: bool) -> int:
    db = ctx.db
    value = get_list(db, argv[1], read=False)
    if value is None:
        return 0
    if left:
        value.extendleft(islice(argv, 2, None))
    else:
        value.extend(islice(argv, 2, None))
    if _layout(value) is not None:
        _layout_push(value, islice(argv, 2, None), left)
    db.modified(argv[1])
    db.notify(LIST, b"lpush" if left else b"rpush", argv[1])
    db.keyspace.dirty += len(argv) - 3  # one change per element, as Redis counts
    return len(value)


@command("lpushx", -3, "write denyoom fast", keys=(1, 1, 1), key_flags="RW insert", group="list",
         since="2.2.0",
         complexity="O(1) for each element added, so O(N) to add N elements when the command "
                    "is called with multiple arguments.",
         summary="Prepend an element to a list, only if the list exists",
         history=(("4.0.0", "Accepts multiple `element` arguments."),))
def lpushx(ctx: Any, argv: list[bytes]) -> int:
    return _pushx(ctx, argv, True)


@command("rpushx", -3, "write denyoom fast", keys=(1, 1, 1), key_flags="RW insert", group="list",
         since="2.2.0",
         complexity="O(1) for each element added, so O(N) to add N elements when the command "
                    "is called with multiple arguments.",
         summary="Append an element to a list, only if the list exists",
         history=(("4.0.0", "Accepts multiple `element` arguments."),))
def rpushx(ctx: Any, argv: list[bytes]) -> int:
    return _pushx(ctx, argv, False)


# -- pops -------------------------------------------------------------------------------------


def _pop_count(ctx: Any, argv: list[bytes], left: bool) -> Any:
    """LPOP/RPOP with a count (or with too many arguments)."""
    if len(argv) > 3:
        raise wrong_arity("lpop" if left else "rpop")
    count = parse_int(argv[2], POSITIVE)
    if count < 0:
        raise CommandError(POSITIVE)
    db = ctx.db
    value = get_list(db, argv[1], read=False)
    if value is None:
        return NULL_ARRAY
    if not count:
        return EMPTY
    return _pop_many(db, argv[1], value, count, left)


@command("lpop", -2, "write fast", keys=(1, 1, 1), key_flags="RW access delete", group="list",
         complexity="O(N) where N is the number of elements returned",
         summary="Remove and get the first elements in a list",
         history=(("6.2.0", "Added the `count` argument."),))
def lpop(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) != 2:
        return _pop_count(ctx, argv, True)
    db = ctx.db
    key = argv[1]
    value = db.lookup_write(key)
    if value is None:
        return None
    if value.__class__ is not ListValue:
        raise CommandError(WRONGTYPE)
    item = value.popleft()
    if value:
        if _layout(value) is not None:
            _layout_pop(value, (item,), True)
        db.modified(key)
        if db.keyspace.notify_flags:  # a hot path, as in lpush
            db.notify(LIST, b"lpop", key)
    else:
        _popped(db, key, True, True)
    return item


@command("rpop", -2, "write fast", keys=(1, 1, 1), key_flags="RW access delete", group="list",
         complexity="O(N) where N is the number of elements returned",
         summary="Remove and get the last elements in a list",
         history=(("6.2.0", "Added the `count` argument."),))
def rpop(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) != 2:
        return _pop_count(ctx, argv, False)
    db = ctx.db
    key = argv[1]
    value = db.lookup_write(key)
    if value is None:
        return None
    if value.__class__ is not ListValue:
        raise CommandError(WRONGTYPE)
    item = value.pop()
    if value:
        if _layout(value) is not None:
            _layout_pop(value, (item,), False)
        db.modified(key)
        if db.keyspace.notify_flags:  # a hot path, as in lpush
            db.notify(LIST, b"rpop", key)
    else:
        _popped(db, key, True, False)
    return item


# -- reads ------------------------------------------------------------------------------------


@command("llen", 2, "readonly fast", keys=(1, 1, 1), key_flags="RO", group="list",
         summary="Get the length of a list")
def llen(ctx: Any, argv: list[bytes]) -> int:
    value = get_list(ctx.db, argv[1])
    return 0 if value is None else len(value)


@command("lrange", 4, "readonly", keys=(1, 1, 1), group="list",
         complexity="O(S+N) where S is the distance of start offset from HEAD for small lists, "
                    "from nearest end (HEAD or TAIL) for large lists; and N is the number of "
                    "elements in the specified range.",
         summary="Get a range of elements from a list")
def lrange(ctx: Any, argv: list[bytes]) -> Any:
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    value = ctx.db.get(argv[1])
    if value is None:
        return EMPTY
    if value.__class__ is not ListValue:
        raise CommandError(WRONGTYPE)
    n = len(value)
    if start < 0:
        start += n
        if start < 0:
            start = 0
    if end < 0:
        end += n
    if start > end or start >= n:
        return EMPTY
    if end >= n:
        end = n - 1
    if end < n - start:  # walk from the nearer end
        return list(islice(value, start, end + 1))
    out = list(islice(reversed(value), n - 1 - end, n - start))
    out.reverse()
    return out


@command("lindex", 3, "readonly", keys=(1, 1, 1), group="list",
         complexity="O(N) where N is the number of elements to traverse to get to the element "
                    "at index. This makes asking for the first or the last element of the list "
                    "O(1).",
         summary="Get an element from a list by its index")
def lindex(ctx: Any, argv: list[bytes]) -> Any:
    value = get_list(ctx.db, argv[1])
    if value is None:
        return None
    index = parse_int(argv[2])
    if -len(value) <= index < len(value):
        return value[index]
    return None


def _lpos_options(argv: list[bytes]) -> tuple[int, int, int]:
    """LPOS's RANK, COUNT (-1: not given) and MAXLEN, with Redis's errors and their order."""
    rank, count, maxlen = 1, -1, 0
    i, n = 3, len(argv)
    while i < n:
        opt = argv[i].upper()
        if i + 1 < n and opt == b"RANK":
            rank = parse_int(argv[i + 1])
            if rank == 0:
                raise CommandError(RANK_ZERO)
        elif i + 1 < n and opt == b"COUNT":
            count = parse_int(argv[i + 1], "ERR COUNT can't be negative")
            if count < 0:
                raise CommandError("ERR COUNT can't be negative")
        elif i + 1 < n and opt == b"MAXLEN":
            maxlen = parse_int(argv[i + 1], "ERR MAXLEN can't be negative")
            if maxlen < 0:
                raise CommandError("ERR MAXLEN can't be negative")
        else:
            raise CommandError(SYNTAX)
        i += 2
    return rank, count, maxlen


@command("lpos", -3, "readonly", keys=(1, 1, 1), group="list", since="6.0.6",
         complexity="O(N) where N is the number of elements in the list, for the average case. "
                    "When searching for elements near the head or the tail of the list, or when "
                    "the MAXLEN option is provided, the command may run in constant time.",
         summary="Return the index of matching elements on a list")
def lpos(ctx: Any, argv: list[bytes]) -> Any:
    rank, count, maxlen = _lpos_options(argv)
    value = get_list(ctx.db, argv[1])
    if value is None:
        return EMPTY if count != -1 else None
    element = argv[2]
    n = len(value)
    scan = n if maxlen == 0 or maxlen > n else maxlen
    forward = rank > 0
    if not forward:
        # -LONG_MIN stays LONG_MIN in C, where every match then satisfies `matches >= rank`.
        rank = -rank if rank != INT64_MIN else INT64_MIN
    found: list[int] = []
    matches = 0
    if forward:
        index = -1
        while True:
            try:
                index = value.index(element, index + 1, scan)
            except ValueError:
                break
            matches += 1
            if matches >= rank:
                found.append(index)
                if count != -1 and (count == 0 or len(found) < count):
                    continue
                break
    else:
        for offset, item in enumerate(islice(reversed(value), scan)):
            if item == element:
                matches += 1
                if matches >= rank:
                    found.append(n - 1 - offset)
                    if count != -1 and (count == 0 or len(found) < count):
                        continue
                    break
    if count != -1:
        return found
    return found[0] if found else None


# -- in-place changes -------------------------------------------------------------------------


@command("lset", 4, "write denyoom", keys=(1, 1, 1), group="list",
         complexity="O(N) where N is the length of the list. Setting either the first or the "
                    "last element of the list is O(1).",
         summary="Set the value of an element in a list by its index")
def lset(ctx: Any, argv: list[bytes]) -> Any:
    db = ctx.db
    value = get_list(db, argv[1], read=False)
    if value is None:
        raise CommandError(NO_SUCH_KEY)
    index = parse_int(argv[2])
    if not -len(value) <= index < len(value):
        raise CommandError(INDEX_OUT_OF_RANGE)
    if _layout(value) is not None:
        _layout_replace(value, index, value[index], argv[3])
    value[index] = argv[3]
    db.modified(argv[1])
    db.notify(LIST, b"lset", argv[1])
    return OK


@command("linsert", 5, "write denyoom", keys=(1, 1, 1), key_flags="RW insert", group="list",
         since="2.2.0",
         complexity="O(N) where N is the number of elements to traverse before seeing the value "
                    "pivot. This means that inserting somewhere on the left end on the list "
                    "(head) can be considered O(1) and inserting somewhere on the right end "
                    "(tail) is O(N).",
         summary="Insert an element before or after another element in a list")
def linsert(ctx: Any, argv: list[bytes]) -> int:
    where = argv[2].upper()
    if where != b"BEFORE" and where != b"AFTER":
        raise CommandError(SYNTAX)
    db = ctx.db
    value = get_list(db, argv[1], read=False)
    if value is None:
        return 0
    try:
        index = value.index(argv[3])
    except ValueError:
        return -1
    value.insert(index if where == b"BEFORE" else index + 1, argv[4])
    _drop_layout(value)
    db.modified(argv[1])
    db.notify(LIST, b"linsert", argv[1])
    return len(value)


@command("lrem", 4, "write", keys=(1, 1, 1), key_flags="RW delete", group="list",
         complexity="O(N+M) where N is the length of the list and M is the number of elements "
                    "removed.",
         summary="Remove elements from a list")
def lrem(ctx: Any, argv: list[bytes]) -> int:
    count = parse_int(argv[2])
    db = ctx.db
    key = argv[1]
    value = get_list(db, key, read=False)
    if value is None:
        return 0
    element = argv[3]
    _drop_layout(value)
    if count == 1:  # the common "remove this one element" case runs in C
        try:
            value.remove(element)
        except ValueError:
            return 0
        removed = 1
    else:
        limit = abs(count) if count else len(value)
        items = reversed(value) if count < 0 else value
        kept = []
        removed = 0
        for item in items:
            if removed < limit and item == element:
                removed += 1
            else:
                kept.append(item)
        if not removed:
            return 0
        if count < 0:
            kept.reverse()
        value.clear()
        value.extend(kept)
    db.notify(LIST, b"lrem", key)
    if value:
        db.modified(key)
    else:
        db.delete(key)
        db.notify(GENERIC, b"del", key)
    db.keyspace.dirty += removed - 1  # one change per element removed, as Redis counts
    return removed


@command("ltrim", 4, "write", keys=(1, 1, 1), key_flags="RW delete", group="list",
         complexity="O(N) where N is the number of elements to be removed by the operation.",
         summary="Trim a list to the specified range")
def ltrim(ctx: Any, argv: list[bytes]) -> Any:
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    db = ctx.db
    key = argv[1]
    value = get_list(db, key, read=False)
    if value is None:
        return OK
    n = len(value)
    if start < 0:
        start += n
        if start < 0:
            start = 0
    if end < 0:
        end += n
    if start > end or start >= n:
        db.notify(LIST, b"ltrim", key)
        db.delete(key)
        db.notify(GENERIC, b"del", key)
        db.keyspace.dirty += n - 1  # one change per element removed, as Redis counts
        return OK
    if end >= n:
        end = n - 1
    ltrim_, rtrim = start, n - 1 - end
    if _layout(value) is not None:  # quicklistDelRange keeps the remaining nodes' boundaries
        _layout_pop(value, islice(value, ltrim_), True)
        _layout_pop(value, islice(reversed(value), rtrim), False)
    if ltrim_ + rtrim <= end - start + 1:
        for _ in range(ltrim_):
            value.popleft()
        for _ in range(rtrim):
            value.pop()
    else:  # keep the smaller part: copy it rather than pop the rest one by one
        kept = list(islice(value, start, end + 1))
        value.clear()
        value.extend(kept)
    db.modified(key)  # Redis signals the key even when nothing was trimmed
    db.notify(LIST, b"ltrim", key)
    # ... but counts one change per element removed: none is no change to propagate.
    db.keyspace.dirty += ltrim_ + rtrim - 1
    return OK


# -- moves ------------------------------------------------------------------------------------


def _move(ctx: Any, src_key: bytes, dst_key: bytes, src_left: bool, dst_left: bool) -> Any:
    """LMOVE: pop from one end of `src_key`, push to one end of `dst_key` (may be the same)."""
    db = ctx.db
    src = get_list(db, src_key, read=False)
    if src is None:
        return None
    dst = get_list(db, dst_key, read=False)
    item = src.popleft() if src_left else src.pop()
    if src and _layout(src) is not None:
        _layout_pop(src, (item,), src_left)
    if dst is None:
        db.set(dst_key, new_list(ctx, (item,)))
    else:
        if dst_left:
            dst.appendleft(item)
        else:
            dst.append(item)
        if _layout(dst) is not None:
            _layout_push(dst, (item,), dst_left)
        db.modified(dst_key)
    # Redis's order: the push's event, then the pop's (and the source's deletion).
    db.notify(LIST, b"lpush" if dst_left else b"rpush", dst_key)
    if src:
        db.notify(LIST, b"lpop" if src_left else b"rpop", src_key)
        if src is not dst:
            db.modified(src_key)
    else:
        _popped(db, src_key, True, src_left)
    if src is not dst:
        db.keyspace.dirty -= 1  # both keys changed, but Redis counts the move once
    return item


@command("lmove", 5, "write denyoom", keys=(1, 2, 1), key_specs=_MOVE_SPECS, group="list",
         since="6.2.0",
         summary="Pop an element from a list, push it to another list and return it")
def lmove(ctx: Any, argv: list[bytes]) -> Any:
    src_left = _side(argv[3])
    dst_left = _side(argv[4])
    return _move(ctx, argv[1], argv[2], src_left, dst_left)


@command("rpoplpush", 3, "write denyoom", keys=(1, 2, 1), key_specs=_MOVE_SPECS, group="list",
         since="1.2.0",
         summary="Remove the last element in a list, prepend it to another list and return it",
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`LMOVE` with the `RIGHT` and `LEFT` arguments")
def rpoplpush(ctx: Any, argv: list[bytes]) -> Any:
    return _move(ctx, argv[1], argv[2], False, True)


# -- multi-key pops ---------------------------------------------------------------------------

def _mpop_args(argv: list[bytes], numkeys_index: int) -> tuple[list[bytes], bool, int]:
    """[B]LMPOP's keys, side and count, parsed in Redis's order with Redis's errors."""
    numkeys = parse_int(argv[numkeys_index], "ERR numkeys should be greater than 0")
    if numkeys < 1:
        raise CommandError("ERR numkeys should be greater than 0")
    where_index = numkeys_index + numkeys + 1
    if where_index >= len(argv):
        raise CommandError(SYNTAX)
    left = _side(argv[where_index])
    count = -1
    i, n = where_index + 1, len(argv)
    while i < n:
        if count == -1 and i + 1 < n and argv[i].upper() == b"COUNT":
            count = parse_int(argv[i + 1], "ERR count should be greater than 0")
            if count < 1:
                raise CommandError("ERR count should be greater than 0")
            i += 2
        else:
            raise CommandError(SYNTAX)
    return argv[numkeys_index + 1 : where_index], left, 1 if count == -1 else count


def _mpop(ctx: Any, keys: list[bytes], left: bool, count: int) -> Any:
    """Pop from the first non-empty list of `keys`: [key, elements], or None. It replays as
    LPOP/RPOP of the number popped, as Redis rewrites it."""
    db = ctx.db
    for key in keys:
        value = get_list(db, key, read=False)
        if value is not None:
            popped = _pop_many(db, key, value, count, left)
            ctx.propagate_as([b"LPOP" if left else b"RPOP", key, b"%d" % len(popped)])
            return [key, popped]
    return None


@command("lmpop", -4, "write movablekeys", keys_fallback=numkeys_keys(1),
         key_specs=(KeySpec(("RW", "access", "delete"), 1, keynum_index=0, firstkey=1),),
         group="list", since="7.0.0",
         complexity="O(N+M) where N is the number of provided keys and M is the number of "
                    "elements returned.",
         summary="Pop elements from a list")
def lmpop(ctx: Any, argv: list[bytes]) -> Any:
    keys, left, count = _mpop_args(argv, 1)
    reply = _mpop(ctx, keys, left, count)
    return NULL_ARRAY if reply is None else reply


# -- blocking ---------------------------------------------------------------------------------


def _blocking_pop(ctx: Any, argv: list[bytes], left: bool) -> Any:
    timeout = parse_timeout(argv[-1])
    db = ctx.db
    keys = argv[1:-1]
    for key in ctx.server.blocking.ready_first(ctx, keys):
        value = get_list(db, key, read=False)
        if value is not None:
            item = value.popleft() if left else value.pop()
            if value and _layout(value) is not None:
                _layout_pop(value, (item,), left)
            _popped(db, key, not value, left)
            ctx.propagate_as([b"LPOP" if left else b"RPOP", key])
            return [key, item]
    return block(ctx, keys, timeout, NULL_ARRAY, _is_list)


@command("blpop", -3, "write noscript blocking", keys=(1, -2, 1),
         key_flags="RW access delete", categories=_BLOCK_CATS, group="list", since="2.0.0",
         complexity="O(N) where N is the number of provided keys.",
         summary="Remove and get the first element in a list, or block until one is available",
         history=(("6.0.0", "`timeout` is interpreted as a double instead of an integer."),))
def blpop(ctx: Any, argv: list[bytes]) -> Any:
    return _blocking_pop(ctx, argv, True)


@command("brpop", -3, "write noscript blocking", keys=(1, -2, 1),
         key_flags="RW access delete", categories=_BLOCK_CATS, group="list", since="2.0.0",
         complexity="O(N) where N is the number of provided keys.",
         summary="Remove and get the last element in a list, or block until one is available",
         history=(("6.0.0", "`timeout` is interpreted as a double instead of an integer."),))
def brpop(ctx: Any, argv: list[bytes]) -> Any:
    return _blocking_pop(ctx, argv, False)


_SIDE_WORDS = {True: b"left", False: b"right"}


def _blocking_move(ctx: Any, argv: list[bytes], src_left: bool, dst_left: bool,
                   timeout: int) -> Any:
    db = ctx.db
    if get_list(db, argv[1], read=False) is None:
        if ctx.in_exec:
            return None  # Redis answers a null bulk here, but a null array on timeout
        return block(ctx, [argv[1]], timeout, NULL_ARRAY, _is_list)
    served_late = ctx in ctx.server.blocking.clients  # a re-run by node/blocking.py
    item = _move(ctx, argv[1], argv[2], src_left, dst_left)
    if len(argv) == 4:  # BRPOPLPUSH goes out as RPOPLPUSH, served at once or late
        ctx.propagate_as([b"RPOPLPUSH", argv[1], argv[2]])
    elif served_late:  # serveClientBlockedOnList writes the sides as its shared lower case
        ctx.propagate_as([b"LMOVE", argv[1], argv[2], _SIDE_WORDS[src_left],
                          _SIDE_WORDS[dst_left]])
    else:  # Redis's rewrite keeps the client's own side arguments
        ctx.propagate_as([b"LMOVE", *argv[1:5]])
    return item


@command("blmove", 6, "write denyoom noscript blocking", keys=(1, 2, 1), key_specs=_MOVE_SPECS,
         categories=_BLOCK_CATS, group="list", since="6.2.0",
         summary="Pop an element from a list, push it to another list and return it; or block "
                 "until one is available")
def blmove(ctx: Any, argv: list[bytes]) -> Any:
    src_left = _side(argv[3])
    dst_left = _side(argv[4])
    timeout = parse_timeout(argv[5])
    return _blocking_move(ctx, argv, src_left, dst_left, timeout)


@command("brpoplpush", 4, "write denyoom noscript blocking", keys=(1, 2, 1),
         key_specs=_MOVE_SPECS, categories=_BLOCK_CATS, group="list", since="2.2.0",
         summary="Pop an element from a list, push it to another list and return it; or block "
                 "until one is available",
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`BLMOVE` with the `RIGHT` and `LEFT` arguments",
         history=(("6.0.0", "`timeout` is interpreted as a double instead of an integer."),))
def brpoplpush(ctx: Any, argv: list[bytes]) -> Any:
    timeout = parse_timeout(argv[3])
    return _blocking_move(ctx, argv, False, True, timeout)


@command("blmpop", -5, "write blocking movablekeys", keys_fallback=numkeys_keys(2),
         key_specs=(KeySpec(("RW", "access", "delete"), 2, keynum_index=0, firstkey=1),),
         categories=_BLOCK_CATS, group="list", since="7.0.0",
         complexity="O(N+M) where N is the number of provided keys and M is the number of "
                    "elements returned.",
         summary="Pop elements from a list, or block until one is available")
def blmpop(ctx: Any, argv: list[bytes]) -> Any:
    keys, left, count = _mpop_args(argv, 2)
    timeout = parse_timeout(argv[1])
    reply = _mpop(ctx, ctx.server.blocking.ready_first(ctx, keys), left, count)
    if reply is not None:
        return reply
    return block(ctx, keys, timeout, NULL_ARRAY, _is_list)


# -- DEBUG OBJECT: a model of the quicklist's listpack nodes ----------------------------------

_SIZE_LEVELS = (4096, 8192, 16384, 32768, 65536)  # fill -1 ... -5: bytes per node
_SIZE_SAFETY_LIMIT = 8192  # what a node may hold under a count fill (or below -5)
_SIZE_ESTIMATE_OVERHEAD = 8


def _node_full(fill: int, new_size: int, count: int) -> bool:
    """Whether _quicklistNodeAllowInsert refuses one more entry to a node of `count` entries
    that it estimates would grow to `new_size` bytes."""
    if fill < 0 and -fill <= len(_SIZE_LEVELS) and new_size <= _SIZE_LEVELS[-fill - 1]:
        return False
    return new_size > _SIZE_SAFETY_LIMIT or count >= fill


def quicklist_nodes(value: ListValue) -> list[tuple[int, bytes, bool]]:
    """(count, listpack bytes, False) per quicklist node, or (1, the element, True) for a
    plain one, filled from the head (also the nodes the RDB writer saves, so Redis loads a
    list with this shape); a loaded list's own layout."""
    layout = _layout(value)
    # (a layout that lost count of the elements is no layout: never drop or invent elements)
    if layout is not None and sum(node[0] for node in layout) == len(value):
        items = iter(value)
        return [(1, next(items), True) if plain
                else (count, listpack.pack(islice(items, count)), False)
                for count, _, plain in layout]
    fill = _options(value)[0]
    threshold = _packed_threshold
    nodes: list[tuple[int, bytes, bool]] = []
    entries: list[bytes] = []
    size = 7  # header and end byte
    for item in value:
        if len(item) >= threshold:
            if entries:
                nodes.append((len(entries), listpack.build(entries), False))
                entries, size = [], 7
            nodes.append((1, item, True))
            continue
        if entries and _node_full(fill, size + len(item) + _SIZE_ESTIMATE_OVERHEAD,
                                  len(entries)):
            nodes.append((len(entries), listpack.build(entries), False))
            entries, size = [], 7
        entry = listpack.entry(item)
        entries.append(entry)
        size += len(entry)
    if entries:
        nodes.append((len(entries), listpack.build(entries), False))
    return nodes


def _rdb_size(value: ListValue, compression: bool) -> int:
    # RDB_TYPE_LIST_QUICKLIST_2: node count, then per node its container type and listpack
    # (or plain element).
    nodes = quicklist_nodes(value)
    return rdb_len_size(len(nodes)) + sum(
        1 + rdb_string_size(blob, compression) for _, blob, _ in nodes)


def _object_extras(value: ListValue) -> str:
    nodes = quicklist_nodes(value)
    fill, compress = _options(value)
    return (f" ql_nodes:{len(nodes)} ql_avg_node:{len(value) / len(nodes):.2f}"
            f" ql_listpack_max:{fill} ql_compressed:{1 if compress else 0}"
            f" ql_uncompressed_size:{sum(len(blob) for _, blob, _ in nodes)}")


def _copy(value: ListValue) -> ListValue:
    new = ListValue(value)
    options = getattr(value, "options", None)
    if options is not None:  # quicklistDup keeps the original's options and nodes
        new.options = options
    layout = _layout(value)
    new.nodes = None if layout is None else [node[:] for node in layout]
    return new


def _digest(d: bytes, value: ListValue) -> bytes:
    mix = digest.mix
    for item in value:
        d = mix(d, item)
    return d


TYPE_NAMES[ListValue] = b"list"
COPY_FUNCS[ListValue] = _copy
OBJECT_ENCODINGS[ListValue] = lambda value: b"quicklist"
SERIALIZED_LENGTHS[ListValue] = _rdb_size
OBJECT_EXTRAS[ListValue] = _object_extras
digest.register(ListValue, digest.OBJ_LIST, _digest)
