"""The sorted set group (Redis's t_zset.c): ZADD and friends, ranges by rank, score and lex,
pops (blocking too), set algebra and ZSCAN, on `node.zset.ZSet` values.

Redis details kept here:

- Scores are read as Redis reads them: `strtod` over the whole argument (hex floats, `inf`,
  denormals), refusing NaN, overflow and underflow to zero (`getDoubleFromObject`); range
  bounds use plain `strtod` (leading blanks allowed, overflow is infinity, `""` is 0).
- A listpack-encoded zset stores an integral score as an integer, so `-0` becomes `0` there
  (and in ZSCAN's listpack reply an integral score prints as an integer); a skiplist keeps
  `-0`. `ZSet.listpack` tracks the encoding Redis would report, converting once and for good.
- Lex ranges on a listpack are scans from the ends (as zzlFirstInLexRange), which matters only
  when members with different scores are not in member order; a skiplist is searched.
- Sets count as sorted sets of score 1 in ZUNION/ZINTER/ZDIFF; inputs are ordered by size
  (a stable sort, as glibc's qsort) before aggregating, so float sums round as in Redis.
- Keyspace events are t_zset.c's: one per command that changed the set, named after it
  (zadd or zincr, zrem, zremrangebyscore, zpopmin, zunionstore, ...), then `del` if the key
  emptied; a STORE form with an empty result sends only `del`, if it deleted something
  (keys.store_result: a destination past its deadline counts as something there, and is
  expired first, `expired`, when a result replaces it).
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
from math import inf, isnan
from typing import Any, Callable, Iterable, Iterator

from node import digest, listpack
from node.blocking import block, parse_timeout
from node.commands import debug, keys
from node.cstring import option_word
from node.cursor import CURSORS, parse_cursor
from node.errors import NOT_FLOAT, SYNTAX, WRONGTYPE, CommandError
from node.glob import glob_matcher
from node.keyspace import TYPE_NAMES, Database, type_name
from node.notify import GENERIC, ZSET
from node.numbers import INT64_MAX, parse_int
from node.replies import NULL_ARRAY, format_double
from node.sizes import SIZERS
from node.table import KeySpec, command, numkeys_keys
from node.zset import ZSet

TYPE_NAMES[ZSet] = b"zset"

NAN_SCORE = "ERR resulting score is not a number (NaN)"
NOT_FLOAT_RANGE = "ERR min or max is not a float"
NOT_LEX_RANGE = "ERR min or max not valid string range item"
LONG_MAX = INT64_MAX

_G = dict(group="sorted-set", categories="sortedset")


def _is_zset(value: Any) -> bool:
    return value.__class__ is ZSet


def get_zset(db: Any, key: bytes) -> ZSet | None:
    """The zset at `key` for reading (lookupKeyRead), None if missing; WRONGTYPE otherwise."""
    value = db.get(key)
    if value is None or value.__class__ is ZSet:
        return value
    raise CommandError(WRONGTYPE)


def _write_zset(db: Any, key: bytes) -> ZSet | None:
    """lookupKeyWrite: the zset at `key`, touched; None if missing; WRONGTYPE otherwise."""
    value = db.lookup_write(key)
    if value is None or value.__class__ is ZSet:
        return value
    raise CommandError(WRONGTYPE)


def _limits(ctx: Any) -> tuple[int, int]:
    config = ctx.server.config
    return config["zset-max-listpack-entries"], config["zset-max-listpack-value"]


# -- number parsing (strtod) --------------------------------------------------------------

_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_ZERO = re.compile(rb"[+-]?[0.]*(?:[eE][+-]?[0-9]+)?\Z")
# strtod's forms: blanks, a sign, then a hex float, a decimal, inf[inity] or nan[(chars)].
_STRTOD = re.compile(
    rb"[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)"
    rb"([pP][+-]?[0-9]+)?|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
    rb"|(inf(?:inity)?)|(nan(?:\([0-9A-Za-z_]*\))?))\Z", re.IGNORECASE)
_NONZERO = re.compile(rb"[1-9a-fA-F]")


def _strtod(arg: bytes) -> tuple[float, bool] | None:
    """strtod over the whole of `arg`: (value, ERANGE) or None if it is not a number."""
    m = _STRTOD.match(arg)
    if m is None:
        return None
    sign, hex_digits, hex_exp, digits, exp, infinity, nan = m.groups()
    if nan is not None:
        return float("nan"), False
    if infinity is not None:
        return (-inf if sign == b"-" else inf), False
    if digits is not None:
        value = float(digits + (exp or b""))
    else:
        digits = hex_digits
        try:
            value = float.fromhex("0x" + (hex_digits + (hex_exp or b"")).decode())
        except OverflowError:
            value = inf
    # ERANGE: an overflow to infinity, or an underflow to zero of a nonzero number.
    erange = value == inf or (value == 0 and _NONZERO.search(digits) is not None)
    return (-value if sign == b"-" else value), erange


def parse_score(arg: bytes, error: str = NOT_FLOAT) -> float:
    """getDoubleFromObject: a double over the whole argument, no blanks, NaN or ERANGE."""
    # Unsigned digits with at most one point, short enough that neither overflow nor
    # underflow can happen (the commonest scores): float() reads them as strtod does, and
    # two C calls cost a fifth of a regex match.
    if len(arg) < 300 and (arg.isdigit() or arg.replace(b".", b"", 1).isdigit()):
        return float(arg)
    if _DECIMAL.match(arg):  # the common case: a plain decimal, not huge
        value = float(arg)
        if value and value != inf and value != -inf:
            return value
        if not value and _ZERO.match(arg):  # a zero mantissa: a true zero, not an underflow
            return value
    elif arg[:1] in b" \t\n\v\f\r":  # includes the empty argument
        raise CommandError(error)
    parsed = _strtod(arg)
    if parsed is None or parsed[1] or isnan(parsed[0]):
        raise CommandError(error)
    return parsed[0]


def _range_bound(arg: bytes) -> tuple[float, bool]:
    """One end of a score range as zslParseRange reads it: (value, exclusive)."""
    arg = arg.split(b"\0", 1)[0]  # strtod stops at a NUL, and so does Redis's end check
    exclusive = arg[:1] == b"("
    if exclusive:
        arg = arg[1:]
    if not arg.strip(b" \t\n\v\f\r"):
        if arg:
            raise CommandError(NOT_FLOAT_RANGE)
        return 0.0, exclusive  # strtod of "" is 0 and consumes everything
    parsed = _strtod(arg)
    if parsed is None or isnan(parsed[0]):
        raise CommandError(NOT_FLOAT_RANGE)
    return parsed[0], exclusive


def _score_range(lo: bytes, hi: bytes) -> tuple[float, float, bool, bool]:
    """(min, max, min exclusive, max exclusive), the order `ZSet.score_bounds` takes."""
    (low, minex), (high, maxex) = _range_bound(lo), _range_bound(hi)
    return low, high, minex, maxex


# -- lex ranges ------------------------------------------------------------------------------

MINUS = object()  # "-": below every member
PLUS = object()   # "+": above every member


def _lex_item(arg: bytes) -> tuple[Any, bool]:
    first = arg[:1]
    if first == b"+" or first == b"-":
        if arg[1:2] not in (b"", b"\0"):
            raise CommandError(NOT_LEX_RANGE)
        return (PLUS if first == b"+" else MINUS), True
    if first == b"(":
        return arg[1:], True
    if first == b"[":
        return arg[1:], False
    raise CommandError(NOT_LEX_RANGE)


class LexRange:
    """A ZRANGEBYLEX range and the tests Redis makes with it (sdscmplex)."""

    __slots__ = ("min", "minex", "max", "maxex")

    def __init__(self, lo: bytes, hi: bytes) -> None:
        self.min, self.minex = _lex_item(lo)
        self.max, self.maxex = _lex_item(hi)

    def gte_min(self, member: bytes) -> bool:
        lo = self.min
        if lo is MINUS:
            return True
        if lo is PLUS:
            return False
        return member > lo if self.minex else member >= lo

    def lte_max(self, member: bytes) -> bool:
        hi = self.max
        if hi is PLUS:
            return True
        if hi is MINUS:
            return False
        return member < hi if self.maxex else member <= hi

    def empty(self) -> bool:
        a, b = self.min, self.max
        if a is b:
            cmp = 0
        elif a is MINUS or b is PLUS:
            cmp = -1
        elif a is PLUS or b is MINUS:
            cmp = 1
        else:
            cmp = (a > b) - (a < b)
        return cmp > 0 or (cmp == 0 and (self.minex or self.maxex))

    def _in_range(self, zs: ZSet) -> bool:
        ordered = zs.ordered
        return (bool(ordered) and not self.empty() and self.gte_min(ordered[-1][1])
                and self.lte_max(ordered[0][1]))

    def first(self, zs: ZSet) -> int | None:
        """The rank of the first member in range (zzl/zslFirstInLexRange), or None."""
        if not self._in_range(zs):
            return None
        ordered = zs.ordered
        if zs.listpack:
            rank = next(i for i, entry in enumerate(ordered) if self.gte_min(entry[1]))
        else:
            lo, hi = 0, len(ordered)
            while lo < hi:
                mid = (lo + hi) // 2
                if self.gte_min(ordered[mid][1]):
                    hi = mid
                else:
                    lo = mid + 1
            rank = lo
        return rank if self.lte_max(ordered[rank][1]) else None

    def last(self, zs: ZSet) -> int | None:
        """The rank of the last member in range (zzl/zslLastInLexRange), or None."""
        if not self._in_range(zs):
            return None
        ordered = zs.ordered
        n = len(ordered)
        if zs.listpack:
            rank = next(i for i in range(n - 1, -1, -1) if self.lte_max(ordered[i][1]))
        else:
            lo, hi = 0, n
            while lo < hi:
                mid = (lo + hi) // 2
                if self.lte_max(ordered[mid][1]):
                    lo = mid + 1
                else:
                    hi = mid
            rank = lo - 1
        return rank if self.gte_min(ordered[rank][1]) else None

    def run(self, zs: ZSet, rank: int, reverse: bool) -> Iterator[tuple]:
        """Entries from `rank` on (or down) while still in range, as Redis walks them."""
        test = self.gte_min if reverse else self.lte_max
        it = zs.ordered.islice(0, rank + 1, reverse=True) if reverse else \
            zs.ordered.islice(rank)
        for entry in it:
            if not test(entry[1]):
                return
            yield entry


# -- replies -------------------------------------------------------------------------------


def _with_scores(ctx: Any, entries: Iterable[tuple]) -> list:
    """(score, member) entries as Redis replies WITHSCORES: flat in RESP2, pairs in RESP3."""
    if ctx.protocol > 2:
        return [[m, s] for s, m in entries]
    out: list = []
    for s, m in entries:
        out.append(m)
        out.append(s)
    return out


def _reply(ctx: Any, entries: Iterable[tuple], withscores: bool) -> list:
    if withscores:
        return _with_scores(ctx, entries)
    return [m for _, m in entries]


# -- storing results ------------------------------------------------------------------------


def build_zset(ctx: Any, entries: Iterable[tuple], one_by_one: bool = False) -> ZSet:
    """A new zset of (score, member) entries, encoded as Redis encodes a computed result:
    converted to a listpack at the end if small enough (ZUNIONSTORE & co.), or filled one
    by one into a listpack that converts once too big (`one_by_one`, ZRANGESTORE)."""
    max_entries, max_value = _limits(ctx)
    zs = ZSet()
    add = zs.add
    if one_by_one:
        for score, member in entries:
            if zs.listpack:
                zs.fit(member, max_entries, max_value)
            add(member, score)
        return zs
    entries = list(entries)
    zs.listpack = len(entries) <= max_entries and all(
        len(member) <= max_value for _, member in entries)
    for score, member in entries:
        add(member, score)
    return zs


def store_zset(ctx: Any, dst: bytes, zs: ZSet, event: bytes) -> int:
    """Store a computed result at `dst` and announce `event`, or delete `dst` for an empty
    one, as Redis's STORE forms do (keys.store_result); the result's size."""
    keys.store_result(ctx.db, dst, zs, ZSET, event)
    return len(zs)


def _removed(db: Database, key: bytes, zs: ZSet, count: int, event: bytes) -> None:
    """`count` (> 0) members were taken out of the zset at `key`: record the change,
    deleting the key once empty, and announce `event` (then `del`), as Redis does."""
    if zs:
        db.modified(key)
    else:
        db.delete(key)
    db.keyspace.dirty += count - 1  # Redis counts every member removed as a change
    if db.keyspace.notify_flags:
        db.notify(ZSET, event, key)
        if not zs:
            db.notify(GENERIC, b"del", key)


# -- ZADD / ZINCRBY ------------------------------------------------------------------------

_ZADD_OPTS = {b"nx": 1, b"xx": 2, b"ch": 4, b"incr": 8, b"gt": 16, b"lt": 32}
NX, XX, CH, INCR, GT, LT = 1, 2, 4, 8, 16, 32


def _zadd(ctx: Any, argv: list[bytes], flags: int) -> Any:
    i, n = 2, len(argv)
    opts = _ZADD_OPTS
    while i < n:
        flag = opts.get(argv[i].lower())
        if flag is None and (b"\0" not in argv[i]
                             or (flag := opts.get(option_word(argv[i]))) is None):
            break
        flags |= flag
        i += 1
    pairs = n - i
    if pairs % 2 or not pairs:
        raise CommandError(SYNTAX)
    if flags & NX and flags & XX:
        raise CommandError("ERR XX and NX options at the same time are not compatible")
    if (flags & GT and flags & (NX | LT)) or (flags & LT and flags & NX):
        raise CommandError("ERR GT, LT, and/or NX options at the same time are not compatible")
    if flags & INCR and pairs > 2:
        raise CommandError("ERR INCR option supports a single increment-element pair")
    scores = [parse_score(argv[j]) for j in range(i, n, 2)] if pairs > 2 else \
        (parse_score(argv[i]),)

    db = ctx.db
    key = argv[1]
    zs = db.lookup_write(key)
    incr = flags & INCR
    created = zs is None
    if created:
        if flags & XX:
            return None if incr else 0
        zs = ZSet()
    elif zs.__class__ is not ZSet:
        raise CommandError(WRONGTYPE)
    table = zs.scores
    added = updated = processed = 0
    j = i + 1
    for score in scores:
        member = argv[j]
        j += 2
        current = table.get(member)
        if current is None:
            if flags & XX:
                continue
            if zs.listpack:
                zs.fit(member, *_limits(ctx))
            zs.add(member, score)
            added += 1
            processed += 1
            continue
        if flags:
            if flags & NX:
                continue
            if incr:
                score += current
                if score != score:
                    raise CommandError(NAN_SCORE)
            if (flags & LT and score >= current) or (flags & GT and score <= current):
                continue
        processed += 1
        if score != current:
            zs.add(member, score)
            updated += 1
    if added or updated:
        if created:
            db.set(key, zs)
        else:
            db.modified(key)
        db.keyspace.dirty += added + updated - 1  # Redis counts every member set as a change
        db.notify(ZSET, b"zincr" if incr else b"zadd", key)
    if incr:
        return score if processed else None
    return added + updated if flags & CH else added


@command("zadd", -4, "write denyoom fast", keys=(1, 1, 1), key_flags="RW update", since="1.2.0",
         complexity="O(log(N)) for each item added, where N is the number of elements in the "
         "sorted set.",
         summary="Add one or more members to a sorted set, or update its score if it already "
         "exists",
         history=(("2.4.0", "Accepts multiple elements."),
                  ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."),
                  ("6.2.0", "Added the `GT` and `LT` options.")), **_G)
def zadd(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) == 4 and argv[2][:1].isdigit():
        # One pair and no options (none starts with a digit), into an existing sorted set:
        # what _zadd does for that case, with its option handling left out.
        score = parse_score(argv[2])
        db = ctx.db
        key = argv[1]
        zs = db.lookup_write(key)
        if zs.__class__ is ZSet:
            member = argv[3]
            current = zs.scores.get(member)
            if current is None:
                if zs.listpack:
                    zs.fit(member, *_limits(ctx))
            elif score == current:
                return 0
            zs.add(member, score)
            db.modified(key)
            if db.keyspace.notify_flags:
                db.notify(ZSET, b"zadd", key)
            return 1 if current is None else 0
        if zs is not None:
            raise CommandError(WRONGTYPE)
    return _zadd(ctx, argv, 0)


@command("zincrby", 4, "write denyoom fast", keys=(1, 1, 1), key_flags="RW access update",
         since="1.2.0", complexity="O(log(N)) where N is the number of elements in the sorted "
         "set.", summary="Increment the score of a member in a sorted set", **_G)
def zincrby(ctx: Any, argv: list[bytes]) -> Any:
    return _zadd(ctx, argv, INCR)


# -- simple reads and removal ---------------------------------------------------------------


@command("zrem", -3, "write fast", keys=(1, 1, 1), key_flags="RW delete", since="1.2.0",
         complexity="O(M*log(N)) with N being the number of elements in the sorted set and M "
         "the number of elements to be removed.",
         summary="Remove one or more members from a sorted set",
         history=(("2.4.0", "Accepts multiple elements."),), **_G)
def zrem(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    key = argv[1]
    zs = _write_zset(db, key)
    if zs is None:
        return 0
    deleted = 0
    for member in argv[2:]:
        if zs.remove(member):
            deleted += 1
            if not zs:
                break
    if deleted:
        _removed(db, key, zs, deleted, b"zrem")
    return deleted


@command("zcard", 2, "readonly fast", keys=(1, 1, 1), key_flags="RO", since="1.2.0",
         summary="Get the number of members in a sorted set", **_G)
def zcard(ctx: Any, argv: list[bytes]) -> int:
    zs = get_zset(ctx.db, argv[1])
    return 0 if zs is None else len(zs)


@command("zscore", 3, "readonly fast", keys=(1, 1, 1), key_flags="RO access", since="1.2.0",
         summary="Get the score associated with the given member in a sorted set", **_G)
def zscore(ctx: Any, argv: list[bytes]) -> float | None:
    zs = get_zset(ctx.db, argv[1])
    return None if zs is None else zs.scores.get(argv[2])


@command("zmscore", -3, "readonly fast", keys=(1, 1, 1), key_flags="RO access", since="6.2.0",
         complexity="O(N) where N is the number of members being requested.",
         summary="Get the score associated with the given members in a sorted set", **_G)
def zmscore(ctx: Any, argv: list[bytes]) -> list:
    zs = get_zset(ctx.db, argv[1])
    if zs is None:
        return [None] * (len(argv) - 2)
    get = zs.scores.get
    return [get(member) for member in argv[2:]]


def _zrank(ctx: Any, argv: list[bytes], reverse: bool) -> int | None:
    zs = get_zset(ctx.db, argv[1])
    if zs is None:
        return None
    rank = zs.rank(argv[2])
    if rank is None or not reverse:
        return rank
    return len(zs) - 1 - rank


@command("zrank", 3, "readonly fast", keys=(1, 1, 1), key_flags="RO access", since="2.0.0",
         complexity="O(log(N))", summary="Determine the index of a member in a sorted set", **_G)
def zrank(ctx: Any, argv: list[bytes]) -> int | None:
    return _zrank(ctx, argv, False)


@command("zrevrank", 3, "readonly fast", keys=(1, 1, 1), key_flags="RO access", since="2.0.0",
         complexity="O(log(N))",
         summary="Determine the index of a member in a sorted set, with scores ordered from "
         "high to low", **_G)
def zrevrank(ctx: Any, argv: list[bytes]) -> int | None:
    return _zrank(ctx, argv, True)


@command("zcount", 4, "readonly fast", keys=(1, 1, 1), key_flags="RO access", since="2.0.0",
         complexity="O(log(N)) with N being the number of elements in the sorted set.",
         summary="Count the members in a sorted set with scores within the given values", **_G)
def zcount(ctx: Any, argv: list[bytes]) -> int:
    spec = _score_range(argv[2], argv[3])
    zs = get_zset(ctx.db, argv[1])
    if zs is None:
        return 0
    start, stop = zs.score_bounds(*spec)
    return stop - start


@command("zlexcount", 4, "readonly fast", keys=(1, 1, 1), key_flags="RO access",
         since="2.8.9", complexity="O(log(N)) with N being the number of elements in the sorted "
         "set.", summary="Count the number of members in a sorted set between a given "
         "lexicographical range", **_G)
def zlexcount(ctx: Any, argv: list[bytes]) -> int:
    spec = LexRange(argv[2], argv[3])
    zs = get_zset(ctx.db, argv[1])
    if zs is None:
        return 0
    first = spec.first(zs)
    if first is None:
        return 0
    if zs.listpack:
        return sum(1 for _ in spec.run(zs, first, False))
    last = spec.last(zs)
    return 0 if last is None else last - first + 1


# -- ranges ----------------------------------------------------------------------------------

RANK, SCORE, LEX = 1, 2, 3


def _rank_bounds(zs: ZSet, start: int, end: int) -> tuple[int, int] | None:
    """Sanitized inclusive rank bounds (Redis's negative-index rules), None if empty."""
    n = len(zs)
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if start > end or start >= n:
        return None
    return start, min(end, n - 1)


def _range_spec(kind: int, lo: bytes, hi: bytes) -> Any:
    """The parsed bounds of a range of `kind`, with that kind's error."""
    if kind == RANK:
        return parse_int(lo), parse_int(hi)
    if kind == SCORE:
        return _score_range(lo, hi)
    return LexRange(lo, hi)


def range_entries(zs: ZSet, kind: int, reverse: bool, spec: Any, offset: int,
                  limit: int) -> list[tuple]:
    """The (score, member) entries a ZRANGE of `kind` selects, in reply order."""
    ordered = zs.ordered
    n = len(ordered)
    if kind == RANK:
        bounds = _rank_bounds(zs, *spec)
        if bounds is None:
            return []
        start, end = bounds
        if reverse:
            return ordered[n - 1 - end:n - start][::-1]
        return ordered[start:end + 1]
    # Redis skips `offset` entries one by one (a negative one skips them all) and then takes
    # `limit` of them (a negative one: all) while they are in range.
    if offset < 0 or (kind == SCORE and offset >= n):
        return []
    if kind == SCORE:
        lo, hi = zs.score_bounds(*spec)
        if lo >= hi:
            return []
        if reverse:
            top = hi - offset
            bottom = lo if limit < 0 else max(lo, top - limit)
            return ordered[bottom:top][::-1] if top > bottom else []
        first = lo + offset
        stop = hi if limit < 0 else min(hi, first + limit)
        return ordered[first:stop] if stop > first else []
    rank = spec.last(zs) if reverse else spec.first(zs)
    if rank is None:
        return []
    rank = rank - offset if reverse else rank + offset
    if not 0 <= rank < n or limit == 0:
        return []
    out = []
    for entry in spec.run(zs, rank, reverse):
        out.append(entry)
        if len(out) == limit:
            break
    return out


def _zrange(ctx: Any, argv: list[bytes], at: int, store: bool, kind: int | None,
            reverse: bool | None) -> Any:
    """ZRANGE and its legacy forms; `at` is the source key's position, ZRANGESTORE stores."""
    withscores = False
    offset, limit = 0, -1
    i, n = at + 3, len(argv)
    while i < n:
        opt = option_word(argv[i])
        if not store and opt == b"withscores":
            withscores = True
        elif opt == b"limit" and n - i - 1 >= 2:
            offset, limit = parse_int(argv[i + 1]), parse_int(argv[i + 2])
            i += 2
        elif reverse is None and opt == b"rev":
            reverse = True
        elif kind is None and opt == b"bylex":
            kind = LEX
        elif kind is None and opt == b"byscore":
            kind = SCORE
        else:
            raise CommandError(SYNTAX)
        i += 1
    kind = kind or RANK
    reverse = bool(reverse)
    # As Redis: only a count other than -1 conflicts with a rank range (`LIMIT 5 -1` is
    # accepted; range_entries ignores the offset of a rank range).
    if kind == RANK and limit != -1:
        raise CommandError("ERR syntax error, LIMIT is only supported in combination with "
                           "either BYSCORE or BYLEX")
    if withscores and kind == LEX:
        raise CommandError("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    lo, hi = argv[at + 1], argv[at + 2]
    if reverse and kind != RANK:
        lo, hi = hi, lo
    spec = _range_spec(kind, lo, hi)
    zs = get_zset(ctx.db, argv[at])
    entries = [] if zs is None else range_entries(zs, kind, reverse, spec, offset, limit)
    if store:
        return store_zset(ctx, argv[1], build_zset(ctx, entries, one_by_one=True),
                          b"zrangestore")
    return _reply(ctx, entries, withscores)


@command("zrange", -4, "readonly", keys=(1, 1, 1), key_flags="RO access", since="1.2.0",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
         "the number of elements returned.",
         summary="Return a range of members in a sorted set",
         history=(("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options."),), **_G)
def zrange(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) == 4:  # ZRANGE key start stop: the common case, kept short
        start, end = parse_int(argv[2]), parse_int(argv[3])
        zs = get_zset(ctx.db, argv[1])
        if zs is None:
            return []
        bounds = _rank_bounds(zs, start, end)
        if bounds is None:
            return []
        return [m for _, m in zs.ordered[bounds[0]:bounds[1] + 1]]
    return _zrange(ctx, argv, 1, False, None, None)


@command("zrangestore", -5, "write denyoom", keys=(1, 2, 1), since="6.2.0",
         key_specs=(KeySpec(("OW", "update"), 1), KeySpec(("RO", "access"), 2)),
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
         "the number of elements stored into the destination key.",
         summary="Store a range of members from sorted set into another key", **_G)
def zrangestore(ctx: Any, argv: list[bytes]) -> int:
    return _zrange(ctx, argv, 2, True, None, None)


_LEGACY = dict(keys=(1, 1, 1), key_flags="RO access")
_BYSCORE_COMPLEXITY = (
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements being returned. If M is constant (e.g. always asking for the first 10 elements "
    "with LIMIT), you can consider it O(log(N)).")


@command("zrevrange", -4, "readonly", since="1.2.0",
         complexity="O(log(N)+M) with N being the number of elements in the sorted set and M "
         "the number of elements returned.",
         summary="Return a range of members in a sorted set, by index, with scores ordered "
         "from high to low", **_LEGACY,
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`ZRANGE` with the `REV` argument", **_G)
def zrevrange(ctx: Any, argv: list[bytes]) -> Any:
    return _zrange(ctx, argv, 1, False, RANK, True)


@command("zrangebyscore", -4, "readonly", since="1.0.5", complexity=_BYSCORE_COMPLEXITY,
         summary="Return a range of members in a sorted set, by score", **_LEGACY,
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`ZRANGE` with the `BYSCORE` argument",
         history=(("2.0.0", "Added the `WITHSCORES` modifier."),), **_G)
def zrangebyscore(ctx: Any, argv: list[bytes]) -> Any:
    return _zrange(ctx, argv, 1, False, SCORE, False)


@command("zrevrangebyscore", -4, "readonly", since="2.2.0", complexity=_BYSCORE_COMPLEXITY,
         summary="Return a range of members in a sorted set, by score, with scores ordered "
         "from high to low", **_LEGACY,
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`ZRANGE` with the `REV` and `BYSCORE` arguments",
         history=(("2.1.6", "`min` and `max` can be exclusive."),), **_G)
def zrevrangebyscore(ctx: Any, argv: list[bytes]) -> Any:
    return _zrange(ctx, argv, 1, False, SCORE, True)


@command("zrangebylex", -4, "readonly", since="2.8.9", complexity=_BYSCORE_COMPLEXITY,
         summary="Return a range of members in a sorted set, by lexicographical range",
         **_LEGACY,
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`ZRANGE` with the `BYLEX` argument", **_G)
def zrangebylex(ctx: Any, argv: list[bytes]) -> Any:
    return _zrange(ctx, argv, 1, False, LEX, False)


@command("zrevrangebylex", -4, "readonly", since="2.8.9", complexity=_BYSCORE_COMPLEXITY,
         summary="Return a range of members in a sorted set, by lexicographical range, "
         "ordered from higher to lower strings.", **_LEGACY,
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`ZRANGE` with the `REV` and `BYLEX` arguments", **_G)
def zrevrangebylex(ctx: Any, argv: list[bytes]) -> Any:
    return _zrange(ctx, argv, 1, False, LEX, True)


# -- range removal ---------------------------------------------------------------------------


_REMRANGE_EVENTS = {RANK: b"zremrangebyrank", SCORE: b"zremrangebyscore", LEX: b"zremrangebylex"}


def _zremrange(ctx: Any, argv: list[bytes], kind: int) -> int:
    spec = _range_spec(kind, argv[2], argv[3])
    db = ctx.db
    key = argv[1]
    zs = _write_zset(db, key)
    if zs is None:
        return 0
    victims = range_entries(zs, kind, False, spec, 0, -1)
    if not victims:
        return 0
    for _, member in victims:
        zs.remove(member)
    _removed(db, key, zs, len(victims), _REMRANGE_EVENTS[kind])
    return len(victims)


_REMRANGE = dict(keys=(1, 1, 1), key_flags="RW delete", **_G)
_REMRANGE_COMPLEXITY = ("O(log(N)+M) with N being the number of elements in the sorted set and "
                        "M the number of elements removed by the operation.")


@command("zremrangebyrank", 4, "write", since="2.0.0", complexity=_REMRANGE_COMPLEXITY,
         summary="Remove all members in a sorted set within the given indexes", **_REMRANGE)
def zremrangebyrank(ctx: Any, argv: list[bytes]) -> int:
    return _zremrange(ctx, argv, RANK)


@command("zremrangebyscore", 4, "write", since="1.2.0", complexity=_REMRANGE_COMPLEXITY,
         summary="Remove all members in a sorted set within the given scores", **_REMRANGE)
def zremrangebyscore(ctx: Any, argv: list[bytes]) -> int:
    return _zremrange(ctx, argv, SCORE)


@command("zremrangebylex", 4, "write", since="2.8.9", complexity=_REMRANGE_COMPLEXITY,
         summary="Remove all members in a sorted set between the given lexicographical range",
         **_REMRANGE)
def zremrangebylex(ctx: Any, argv: list[bytes]) -> int:
    return _zremrange(ctx, argv, LEX)


# -- pops ----------------------------------------------------------------------------------

MIN, MAX = 0, -1  # the end a pop takes from: an index into the ordered entries


def _pop_first(ctx: Any, keys: Iterable[bytes], where: int,
               count: int) -> tuple[bytes, list[tuple]] | None:
    """Pop up to `count` entries from the first of `keys` that exists (genericZpopCommand);
    WRONGTYPE if that key holds another type."""
    db = ctx.db
    for key in keys:
        zs = _write_zset(db, key)
        if zs is None:
            continue
        pop = zs.pop
        entries = [pop(where) for _ in range(min(count, len(zs)))]
        _removed(db, key, zs, len(entries), b"zpopmin" if where == MIN else b"zpopmax")
        return key, entries
    return None


def _zpop(ctx: Any, argv: list[bytes], where: int) -> list:
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    count = -1
    if len(argv) == 3:
        count = parse_int(argv[2], "ERR value is out of range, must be positive")
        if count < 0:
            raise CommandError("ERR value is out of range, must be positive")
    db = ctx.db
    if count == 0:
        _write_zset(db, argv[1])  # still a type check
        return []
    found = _pop_first(ctx, (argv[1],), where, 1 if count < 0 else count)
    if found is None:
        return []
    entries = found[1]
    if count < 0:  # a single pop is flat in both protocols
        score, member = entries[0]
        return [member, score]
    return _with_scores(ctx, entries)


_POP = dict(keys=(1, 1, 1), key_flags="RW access delete", since="5.0.0",
            complexity="O(log(N)*M) with N being the number of elements in the sorted set, and "
            "M being the number of elements popped.", **_G)


@command("zpopmin", -2, "write fast", summary="Remove and return members with the lowest "
         "scores in a sorted set", **_POP)
def zpopmin(ctx: Any, argv: list[bytes]) -> list:
    return _zpop(ctx, argv, MIN)


@command("zpopmax", -2, "write fast", summary="Remove and return members with the highest "
         "scores in a sorted set", **_POP)
def zpopmax(ctx: Any, argv: list[bytes]) -> list:
    return _zpop(ctx, argv, MAX)


def _bzpop(ctx: Any, argv: list[bytes], where: int) -> Any:
    timeout = parse_timeout(argv[-1])
    keys = argv[1:-1]
    found = _pop_first(ctx, ctx.server.blocking.ready_first(ctx, keys), where, 1)
    if found is None:
        return block(ctx, keys, timeout, NULL_ARRAY, _is_zset)
    ctx.propagate_as([b"ZPOPMIN" if where == MIN else b"ZPOPMAX", found[0]])
    score, member = found[1][0]
    return [found[0], member, score]


_BPOP = dict(keys=(1, -2, 1), key_flags="RW access delete", since="5.0.0",
             complexity="O(log(N)) with N being the number of elements in the sorted set.", **_G)


@command("bzpopmin", -3, "write noscript blocking fast",
         summary="Remove and return the member with the lowest score from one or more sorted "
         "sets, or block until one is available",
         history=(("6.0.0", "`timeout` is interpreted as a double instead of an integer."),),
         **_BPOP)
def bzpopmin(ctx: Any, argv: list[bytes]) -> Any:
    return _bzpop(ctx, argv, MIN)


@command("bzpopmax", -3, "write noscript blocking fast",
         summary="Remove and return the member with the highest score from one or more sorted "
         "sets, or block until one is available",
         history=(("6.0.0", "`timeout` is interpreted as a double instead of an integer."),),
         **_BPOP)
def bzpopmax(ctx: Any, argv: list[bytes]) -> Any:
    return _bzpop(ctx, argv, MAX)


def _zmpop_args(argv: list[bytes], at: int) -> tuple[list[bytes], int, int]:
    """ZMPOP's `numkeys key... MIN|MAX [COUNT count]` from position `at`."""
    numkeys = parse_int(argv[at], "ERR numkeys should be greater than 0")
    if numkeys < 1:
        raise CommandError("ERR numkeys should be greater than 0")
    where_at = at + numkeys + 1
    n = len(argv)
    if where_at >= n:
        raise CommandError(SYNTAX)
    side = option_word(argv[where_at])
    if side not in (b"min", b"max"):
        raise CommandError(SYNTAX)
    count = -1
    j = where_at + 1
    while j < n:
        if count == -1 and option_word(argv[j]) == b"count" and j + 1 < n:
            count = parse_int(argv[j + 1], "ERR count should be greater than 0")
            if count < 1:
                raise CommandError("ERR count should be greater than 0")
            j += 2
        else:
            raise CommandError(SYNTAX)
    return argv[at + 1:where_at], (MIN if side == b"min" else MAX), max(count, 1)


def _mpop_reply(found: tuple[bytes, list[tuple]] | None) -> Any:
    if found is None:
        return NULL_ARRAY
    return [found[0], [[m, s] for s, m in found[1]]]


_MPOP_COMPLEXITY = ("O(K) + O(M*log(N)) where K is the number of provided keys, N being the "
                    "number of elements in the sorted set, and M being the number of elements "
                    "popped.")


@command("zmpop", -4, "write movablekeys", since="7.0.0", complexity=_MPOP_COMPLEXITY,
         key_specs=(KeySpec(("RW", "access", "delete"), 1, keynum_index=0),),
         keys_fallback=numkeys_keys(1),
         summary="Remove and return members with scores in a sorted set", **_G)
def zmpop(ctx: Any, argv: list[bytes]) -> Any:
    keys_, where, count = _zmpop_args(argv, 1)
    found = _pop_first(ctx, keys_, where, count)
    if found is not None:
        _propagate_pop(ctx, where, found)
    return _mpop_reply(found)


def _propagate_pop(ctx: Any, where: int, found: tuple[bytes, list[tuple]]) -> None:
    # As Redis: a ZPOPMIN/ZPOPMAX of the key, with the count popped rather than asked for.
    ctx.propagate_as([b"ZPOPMIN" if where == MIN else b"ZPOPMAX", found[0],
                      b"%d" % len(found[1])])


@command("bzmpop", -5, "write blocking movablekeys", since="7.0.0", complexity=_MPOP_COMPLEXITY,
         key_specs=(KeySpec(("RW", "access", "delete"), 2, keynum_index=0),),
         keys_fallback=numkeys_keys(2),
         summary="Remove and return members with scores in a sorted set or block until one is "
         "available", **_G)
def bzmpop(ctx: Any, argv: list[bytes]) -> Any:
    keys_, where, count = _zmpop_args(argv, 2)
    timeout = parse_timeout(argv[1])
    found = _pop_first(ctx, ctx.server.blocking.ready_first(ctx, keys_), where, count)
    if found is None:
        return block(ctx, keys_, timeout, NULL_ARRAY, _is_zset)
    _propagate_pop(ctx, where, found)
    return _mpop_reply(found)


# -- ZRANDMEMBER -----------------------------------------------------------------------------


_SUB_STRATEGY_MUL = 3  # ZRANDMEMBER_SUB_STRATEGY_MUL: above a third, Redis samples via a dict


@command("zrandmember", -2, "readonly", keys=(1, 1, 1), key_flags="RO access", since="6.2.0",
         tips="nondeterministic_output",
         complexity="O(N) where N is the number of elements returned",
         summary="Get one or multiple random elements from a sorted set", **_G)
def zrandmember(ctx: Any, argv: list[bytes]) -> Any:
    n = len(argv)
    if n == 2:
        zs = get_zset(ctx.db, argv[1])
        return None if zs is None else zs.ordered[random.randrange(len(zs))][1]
    count = parse_int(argv[2])
    if count < -LONG_MAX:
        raise CommandError(f"ERR value is out of range, value must between {-LONG_MAX} and "
                           f"{LONG_MAX}")
    if n > 4 or (n == 4 and option_word(argv[3]) != b"withscores"):
        raise CommandError(SYNTAX)
    withscores = n == 4
    if withscores and not -(LONG_MAX // 2) <= count <= LONG_MAX // 2:
        raise CommandError("ERR value is out of range")
    zs = get_zset(ctx.db, argv[1])
    if zs is None or count == 0:
        return []
    ordered = zs.ordered
    size = len(ordered)
    randrange = random.randrange
    if count < 0 or count == 1:
        entries: Iterable[tuple] = [ordered[randrange(size)] for _ in range(abs(count))]
    elif count >= size:
        entries = ordered.islice(0, size, reverse=True)  # Redis walks the whole set from the top
    else:
        picks = random.sample(range(size), count)
        if zs.listpack and count * _SUB_STRATEGY_MUL <= size:
            picks.sort()  # lpRandomPairsUnique walks the listpack once: picks in its order
        entries = [ordered[i] for i in picks]
    return _reply(ctx, entries, withscores)


# -- ZUNION / ZINTER / ZDIFF ---------------------------------------------------------------

UNION, INTER, DIFF = 1, 2, 3


def _agg_sum(a: float, b: float) -> float:
    total = a + b
    return 0.0 if total != total else total  # inf + -inf is 0 by Redis's convention


_AGGREGATES: dict[bytes, Callable[[float, float], float]] = {
    b"sum": _agg_sum,
    b"min": lambda a, b: b if b < a else a,
    b"max": lambda a, b: b if b > a else a,
}


def _elements(value: Any) -> Iterable[tuple[bytes, float]]:
    """(member, score) of a zset, or of a set with every score 1."""
    if value is None:
        return ()
    if value.__class__ is ZSet:
        return value.scores.items()
    return ((member, 1.0) for member in value)


def _lookup_score(value: Any, member: bytes) -> float | None:
    if value.__class__ is ZSet:
        return value.scores.get(member)
    return 1.0 if member in value else None


def _setop(ctx: Any, argv: list[bytes], name: str, at: int, op: int, store: bool = False,
           card: bool = False) -> Any:
    """zunionInterDiffGenericCommand: `numkeys` is argv[at]; STORE forms write argv[1]."""
    numkeys = parse_int(argv[at])
    if numkeys < 1:
        raise CommandError(f"ERR at least 1 input key is needed for '{name}' command")
    n = len(argv)
    if numkeys > n - (at + 1):
        raise CommandError(SYNTAX)
    db = ctx.db
    sources: list = []
    for key in argv[at + 1:at + 1 + numkeys]:
        value = db.get(key)
        if value is not None and value.__class__ is not ZSet and type_name(value) != b"set":
            raise CommandError(WRONGTYPE)
        sources.append(value)
    weights = [1.0] * numkeys
    aggregate = _agg_sum
    withscores = False
    limit = 0
    j = at + 1 + numkeys
    while j < n:
        left = n - j
        opt = option_word(argv[j])
        if op != DIFF and not card and left >= numkeys + 1 and opt == b"weights":
            weights = [parse_score(w, "ERR weight value is not a float")
                       for w in argv[j + 1:j + 1 + numkeys]]
            j += numkeys + 1
        elif op != DIFF and not card and left >= 2 and opt == b"aggregate":
            aggregate = _AGGREGATES.get(option_word(argv[j + 1]))  # type: ignore[assignment]
            if aggregate is None:
                raise CommandError(SYNTAX)
            j += 2
        elif not store and not card and opt == b"withscores":
            withscores = True
            j += 1
        elif card and left >= 2 and opt == b"limit":
            limit = parse_int(argv[j + 1], "ERR LIMIT can't be negative")
            if limit < 0:
                raise CommandError("ERR LIMIT can't be negative")
            j += 2
        else:
            raise CommandError(SYNTAX)

    if op == DIFF:
        result = _diff(sources)
    else:
        # Smallest first (a stable sort, as glibc's qsort): the order scores aggregate in.
        inputs = sorted(zip(sources, weights), key=lambda sw: 0 if sw[0] is None else len(sw[0]))
        if op == UNION:
            result = _union(inputs, aggregate)
        else:
            result = _inter(inputs, aggregate, limit if card else -1)
    if card:
        return len(result)
    if store:
        return store_zset(ctx, argv[1], build_zset(ctx, ((s, m) for m, s in result.items())),
                          name.encode())
    return _reply(ctx, sorted((s, m) for m, s in result.items()), withscores)


def _union(inputs: list, aggregate: Callable[[float, float], float]) -> dict[bytes, float]:
    acc: dict[bytes, float] = {}
    for value, weight in inputs:
        for member, score in _elements(value):
            score *= weight
            if score != score:
                score = 0.0
            old = acc.get(member)
            acc[member] = score if old is None else aggregate(old, score)
    return acc


def _inter(inputs: list, aggregate: Callable[[float, float], float],
           limit: int) -> dict[bytes, float]:
    out: dict[bytes, float] = {}
    first, first_weight = inputs[0]
    if not first:
        return out
    rest = inputs[1:]
    for member, score0 in _elements(first):
        score = score0 * first_weight
        if score != score:
            score = 0.0
        for value, weight in rest:
            if value is first:
                other: float | None = score0
            else:
                other = None if value is None else _lookup_score(value, member)
                if other is None:
                    break
            score = aggregate(score, other * weight)
        else:
            out[member] = score
            if len(out) == limit:
                break
    return out


def _diff(sources: list) -> dict[bytes, float]:
    first = sources[0]
    if not first or any(value is first for value in sources[1:]):
        return {}
    others = [value for value in sources[1:] if value]
    return {member: score for member, score in _elements(first)
            if not any(_lookup_score(value, member) is not None for value in others)}


def _numkeys_specs(store: bool) -> tuple[KeySpec, ...]:
    source = KeySpec(("RO", "access"), 2 if store else 1, keynum_index=0)
    return (KeySpec(("OW", "update"), 1), source) if store else (source,)


_UNION_COMPLEXITY = ("O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted "
                     "sets, and M being the number of elements in the resulting sorted set.")
_INTER_COMPLEXITY = ("O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted "
                     "set, K being the number of input sorted sets and M being the number of "
                     "elements in the resulting sorted set.")
_DIFF_COMPLEXITY = ("O(L + (N-K)log(N)) worst case where L is the total number of elements in "
                    "all the sets, N is the size of the first set, and K is the size of the "
                    "result set.")


@command("zunion", -3, "readonly movablekeys", key_specs=_numkeys_specs(False),
         keys_fallback=numkeys_keys(1), since="6.2.0",
         complexity=_UNION_COMPLEXITY, summary="Add multiple sorted sets", **_G)
def zunion(ctx: Any, argv: list[bytes]) -> Any:
    return _setop(ctx, argv, "zunion", 1, UNION)


@command("zinter", -3, "readonly movablekeys", key_specs=_numkeys_specs(False),
         keys_fallback=numkeys_keys(1), since="6.2.0",
         complexity=_INTER_COMPLEXITY, summary="Intersect multiple sorted sets", **_G)
def zinter(ctx: Any, argv: list[bytes]) -> Any:
    return _setop(ctx, argv, "zinter", 1, INTER)


@command("zdiff", -3, "readonly movablekeys", key_specs=_numkeys_specs(False),
         keys_fallback=numkeys_keys(1), since="6.2.0",
         complexity=_DIFF_COMPLEXITY, summary="Subtract multiple sorted sets", **_G)
def zdiff(ctx: Any, argv: list[bytes]) -> Any:
    return _setop(ctx, argv, "zdiff", 1, DIFF)


@command("zintercard", -3, "readonly movablekeys", key_specs=_numkeys_specs(False),
         keys_fallback=numkeys_keys(1),
         since="7.0.0", complexity="O(N*K) worst case with N being the smallest input sorted "
         "set, K being the number of input sorted sets.",
         summary="Intersect multiple sorted sets and return the cardinality of the result", **_G)
def zintercard(ctx: Any, argv: list[bytes]) -> int:
    return _setop(ctx, argv, "zintercard", 1, INTER, card=True)


@command("zunionstore", -4, "write denyoom movablekeys", keys=(1, 1, 1),
         key_specs=_numkeys_specs(True), keys_fallback=numkeys_keys(2, store_at=1),
         since="2.0.0",
         complexity="O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted "
         "sets, and M being the number of elements in the resulting sorted set.",
         summary="Add multiple sorted sets and store the resulting sorted set in a new key", **_G)
def zunionstore(ctx: Any, argv: list[bytes]) -> int:
    return _setop(ctx, argv, "zunionstore", 2, UNION, store=True)


@command("zinterstore", -4, "write denyoom movablekeys", keys=(1, 1, 1),
         key_specs=_numkeys_specs(True), keys_fallback=numkeys_keys(2, store_at=1),
         since="2.0.0", complexity=_INTER_COMPLEXITY,
         summary="Intersect multiple sorted sets and store the resulting sorted set in a new "
         "key", **_G)
def zinterstore(ctx: Any, argv: list[bytes]) -> int:
    return _setop(ctx, argv, "zinterstore", 2, INTER, store=True)


@command("zdiffstore", -4, "write denyoom movablekeys", keys=(1, 1, 1),
         key_specs=_numkeys_specs(True), keys_fallback=numkeys_keys(2, store_at=1),
         since="6.2.0", complexity=_DIFF_COMPLEXITY,
         summary="Subtract multiple sorted sets and store the resulting sorted set in a new "
         "key", **_G)
def zdiffstore(ctx: Any, argv: list[bytes]) -> int:
    return _setop(ctx, argv, "zdiffstore", 2, DIFF, store=True)


# -- ZSCAN -----------------------------------------------------------------------------------

_LLONG_HALF = float(LONG_MAX // 2)


def listpack_score(score: float) -> bytes:
    """A score as a listpack holds it: an integer when double2ll allows, else `%.17g`."""
    if -_LLONG_HALF <= score <= _LLONG_HALF and score == int(score):
        return b"%d" % int(score)
    return format_double(score)


@command("zscan", -3, "readonly", keys=(1, 1, 1), key_flags="RO access", since="2.8.0",
         tips="nondeterministic_output",
         complexity="O(1) for every call. O(N) for a complete iteration, including enough "
         "command calls for the cursor to return back to 0. N is the number of elements inside "
         "the collection..",
         summary="Incrementally iterate sorted sets elements and associated scores", **_G)
def zscan(ctx: Any, argv: list[bytes]) -> list:
    cursor = parse_cursor(argv[2])
    zs = get_zset(ctx.db, argv[1])
    if zs is None:
        return [b"0", []]
    count, pattern = 10, None
    i, n = 3, len(argv)
    while i < n:
        opt = option_word(argv[i])
        if opt == b"count" and i + 1 < n:
            count = parse_int(argv[i + 1])
            if count < 1:
                raise CommandError(SYNTAX)
        elif opt == b"match" and i + 1 < n:
            pattern = None if argv[i + 1] == b"*" else argv[i + 1]
        else:
            raise CommandError(SYNTAX)
        i += 2
    scores = zs.scores
    if zs.listpack:  # a listpack is answered whole, in order, as Redis does
        cursor = 0
        found = [(m, listpack_score(s)) for s, m in zs.ordered]
    else:
        cursor, members = CURSORS.scan(zs, cursor, count, lambda: list(scores),
                                       scores.__contains__)
        found = [(m, format_double(scores[m])) for m in members]
    if pattern is not None:
        match = glob_matcher(pattern)
        found = [pair for pair in found if match(pair[0])]
    return [b"%d" % cursor, [part for pair in found for part in pair]]


# -- what the rest of the node needs to know about zsets ---------------------------------------


def _encoding(zs: ZSet) -> bytes:
    return b"listpack" if zs.listpack else b"skiplist"


def _digest(d: bytes, zs: ZSet) -> bytes:
    acc = int.from_bytes(d, "big")
    element, text = digest.element, digest.score_text
    for score, member in zs.ordered:
        acc ^= int.from_bytes(hashlib.sha1(element(member, text(score))).digest(), "big")
    return acc.to_bytes(20, "big")


def listpack_blob(zs: ZSet) -> bytes:
    """The listpack Redis would hold for `zs` (member, score, member, score, ...)."""
    entry = listpack.entry
    return listpack.build([entry(m) + entry(listpack_score(s)) for s, m in zs.ordered],
                          2 * len(zs))


def _rdb_size(zs: ZSet, compression: bool) -> int:
    if zs.listpack:
        return debug.rdb_string_size(listpack_blob(zs), compression)
    return debug.rdb_len_size(len(zs)) + sum(
        debug.rdb_string_size(m, compression) + 8 for m in zs.scores)


def _memory(zs: ZSet, samples: int) -> int:
    n = len(zs)
    size = sys.getsizeof(zs) + sys.getsizeof(zs.scores) + 8 * n  # the sorted list's slots
    seen = total = 0
    for member, score in zs.scores.items():
        if seen >= samples:
            break
        total += sys.getsizeof(member) + sys.getsizeof(score) + sys.getsizeof((score, member))
        seen += 1
    return size + (total * n // seen if seen else 0)


keys.COPY_FUNCS[ZSet] = ZSet.copy
keys.OBJECT_ENCODINGS[ZSet] = _encoding
digest.register(ZSet, digest.OBJ_ZSET, _digest)
SIZERS[ZSet] = _memory
debug.SERIALIZED_LENGTHS[ZSet] = _rdb_size
