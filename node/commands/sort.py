"""SORT and SORT_RO: the elements of a list, set or sorted set, sorted or not, by themselves or
by other keys, with values fetched from other keys, returned or stored (Redis's sort.c).

A pattern names another key by replacing its first `*` with the element, optionally followed
by `->field` to read a hash field instead of a string; `#` is the element itself. A BY
pattern without `*` means "do not sort": lists and sorted sets keep their own order (ASC/DESC
and LIMIT applied to it), sets their iteration order (sorted alphabetically when STORE, or
a script as the caller, must make the result deterministic).

Orders follow Redis exactly: numbers compare as doubles with ties broken by the elements'
bytes, ALPHA compares bytes (strcoll under the C.UTF-8 locale redis-server runs with, which
stops at a NUL), and equal ALPHA BY keys keep the input order, as glibc's merge sort does,
or, when a LIMIT window leaves out some of them, the order Redis's partial quicksort (pqsort)
leaves them in.

STORE sends the keyspace event sortstore, or `del` when an empty result deletes the
destination (keys.store_result, as the other STORE commands: a destination past its deadline
is expired first when a result replaces it, deleted as a live key when none does), and counts
each element stored as a change (server.dirty); the sorted key and the BY/GET keys are read
lookups (keymiss), every BY key read even when a score turns out not to be a number, as in
sort.c.
"""

from __future__ import annotations

import re
import sys
from itertools import islice
from typing import Any

from node.commands.hashes import HashValue
from node.commands.keys import store_result
from node.commands.lists import ListValue
from node.commands.sets import SetValue, ordered
from node.errors import SYNTAX, WRONGTYPE, CommandError
from node.notify import LIST
from node.numbers import parse_int
from node.pqsort import pqsort
from node.table import KeySpec, command, lookup
from node.zset import ZSet

NOT_DOUBLE = "ERR One or more scores can't be converted into double"

# strtod's whole-string syntax (leading space allowed, nothing after the number).
_STRTOD = re.compile(
    rb"[ \t\n\v\f\r]*([-+]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][-+]?[0-9]+)?"
    rb"|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|inf(?:inity)?))\Z", re.IGNORECASE)
_NONZERO = re.compile(rb"[1-9a-fA-F]")
_DBL_MIN = sys.float_info.min


def _cstr(value: bytes) -> bytes:
    """`value` as C string functions see it: up to the first NUL."""
    nul = value.find(b"\0")
    return value if nul < 0 else value[:nul]


def _double(value: bytes) -> float | None:
    """strtod over the whole value, None where SORT refuses it (junk, NaN, ERANGE)."""
    text = _cstr(value)
    if not text:
        return 0.0  # strtod converts nothing and stops at the end: accepted as 0
    m = _STRTOD.match(text)
    if m is None:
        return None
    number = m.group(1)
    body = number.lstrip(b"+-").lower()
    if body.startswith(b"inf"):
        return float("-inf") if number[0] == 45 else float("inf")
    try:
        d = float.fromhex(number.decode()) if b"x" in body else float(number)
    except OverflowError:
        return None
    mantissa = body.split(b"p" if b"x" in body else b"e", 1)[0]
    if mantissa.startswith(b"0x"):
        mantissa = mantissa[2:]
    if d in (float("inf"), float("-inf")) or (
            abs(d) < _DBL_MIN and (d != 0 or _NONZERO.search(mantissa))):
        return None  # overflow, or an underflow to a subnormal or to zero
    return d


def lookup_by_pattern(db: Any, pattern: bytes, element: bytes) -> bytes | None:
    """lookupKeyByPattern: the string (or hash field) `pattern` names for `element`."""
    if pattern[:1] == b"#" and (len(pattern) == 1 or pattern[1] == 0):
        return element
    cpat = _cstr(pattern)
    star = cpat.find(b"*")
    if star < 0:
        return None
    arrow = cpat.find(b"->", star + 1)
    if arrow >= 0 and arrow + 2 < len(cpat):
        key = pattern[:star] + element + pattern[star + 1:arrow]
        field: bytes | None = pattern[arrow + 2:]
    else:
        key = pattern[:star] + element + pattern[star + 1:]
        field = None
    value = db.get(key)
    if value is None:
        return None
    if field is not None:
        return value.get(field) if value.__class__ is HashValue else None
    cls = value.__class__
    if cls is bytes:
        return value
    if cls is int:
        return b"%d" % value
    return bytes(value) if cls is bytearray else None


def _reads_any_key(ctx: Any, argv: list[bytes]) -> bool:
    # BY and GET patterns name keys no key spec finds: only a user who may read every key
    # can use them.
    user = ctx.user
    return not user.restricted or user.reads_any_key(lookup(argv), argv)


def _sort(ctx: Any, argv: list[bytes], readonly: bool) -> Any:
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    sortby: bytes | None = None
    store: bytes | None = None
    gets: list[bytes] = []
    cluster = ctx.server.config["cluster-enabled"]
    i, n = 2, len(argv)
    while i < n:
        opt = _cstr(argv[i]).lower()
        left = n - i - 1
        if opt == b"asc":
            desc = False
        elif opt == b"desc":
            desc = True
        elif opt == b"alpha":
            alpha = True
        elif opt == b"limit" and left >= 2:
            limit_start, limit_count = parse_int(argv[i + 1]), parse_int(argv[i + 2])
            i += 2
        elif not readonly and opt == b"store" and left >= 1:
            store = argv[i + 1]
            i += 1
        elif opt == b"by" and left >= 1:
            sortby = argv[i + 1]
            if b"*" not in _cstr(sortby):
                dontsort = True  # and it stays so, whatever a later BY says
            elif cluster:
                raise CommandError("ERR BY option of SORT denied in Cluster mode.")
            elif not _reads_any_key(ctx, argv):
                raise CommandError("ERR BY option of SORT denied due to insufficient ACL "
                                   "permissions.")
            i += 1
        elif opt == b"get" and left >= 1:
            if cluster:
                raise CommandError("ERR GET option of SORT denied in Cluster mode.")
            if not _reads_any_key(ctx, argv):
                raise CommandError("ERR GET option of SORT denied due to insufficient ACL "
                                   "permissions.")
            gets.append(argv[i + 1])
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1

    db = ctx.db
    value = db.get(argv[1])
    cls = value.__class__
    if value is None:
        value, cls = ListValue(), ListValue
    elif cls is ZSet:
        value.listpack = False  # Redis converts a sorted set to a skiplist to sort it
    elif cls is not ListValue and cls is not SetValue:
        raise CommandError(WRONGTYPE)
    if dontsort and cls is SetValue and (store is not None
                                         or ctx is ctx.server.scripting.client):
        # A set's own order is arbitrary: what is stored, or what a script (EVAL, FCALL)
        # sees, must not depend on it (CLIENT_SCRIPT in sort.c).
        dontsort, alpha, sortby = False, True, None

    size = len(value)
    start = max(limit_start, 0)
    end = size - 1 if limit_count < 0 else start + limit_count - 1
    if start >= size:
        start, end = size - 1, size - 2
    if end >= size:
        end = size - 1

    if dontsort and cls is not SetValue:
        # Lists and sorted sets are already in order: read just the range, from either end.
        count = max(end - start + 1, 0)
        if not count:  # an empty source leaves start at -1
            elements = []
        elif cls is ListValue:
            elements = list(islice(reversed(value) if desc else iter(value), start, start + count))
        elif desc:
            elements = [m for _, m in value.ordered.islice(size - start - count, size - start,
                                                           reverse=True)]
        else:
            elements = [m for _, m in value.ordered.islice(start, start + count)]
        start, end = 0, count - 1
    else:
        if cls is ListValue:
            elements = list(value)
        elif cls is SetValue:
            elements = ordered(value)
        else:
            elements = [m for _, m in value]
        if not dontsort:
            # Redis sorts only the LIMIT window with its partial quicksort when sorting BY
            window = (start, end) if sortby is not None and (start, end) != (0, size - 1) \
                else None
            elements = _sorted(ctx, elements, sortby, alpha, desc, store is not None, window)

    chosen = elements[start:end + 1] if end >= start else []
    if gets:
        out = [lookup_by_pattern(db, pattern, e) for e in chosen for pattern in gets]
    else:
        out = chosen
    if store is None:
        return out
    store_result(db, store, ListValue(b"" if v is None else v for v in out), LIST, b"sortstore")
    if out:
        db.keyspace.dirty += len(out) - 1  # Redis counts every element stored as a change
    return len(out)


def _sorted(ctx: Any, elements: list[bytes], sortby: bytes | None, alpha: bool, desc: bool,
            storing: bool, window: tuple[int, int] | None) -> list[bytes]:
    """The elements in SORT's order (sortCompare); a NOT_DOUBLE error if a score is junk.
    With a `window` (first and last index wanted), equal ALPHA BY keys come out in the order
    Redis's pqsort leaves them."""
    db = ctx.db
    if alpha:
        # strcoll (the C string) unless storing, which compares whole byte strings.
        text = (lambda v: v) if storing else _cstr
        if sortby is None:
            return sorted(elements, key=text, reverse=desc)
        keyed = []
        for e in elements:
            by = lookup_by_pattern(db, sortby, e)
            keyed.append(((0, b"") if by is None else (1, text(by)), e))  # missing sorts first
        if window is None:
            keyed.sort(key=lambda pair: pair[0], reverse=desc)
        else:
            sign = -1 if desc else 1
            pqsort(keyed, lambda x, y: sign * ((x[0] > y[0]) - (x[0] < y[0])), *window)
        return [e for _, e in keyed]
    scores = []
    junk = False
    for e in elements:
        if sortby is not None:
            by = lookup_by_pattern(db, sortby, e)
            if by is None:
                scores.append((0.0, e))  # a missing key scores 0, without error
                continue
        else:
            by = e
        d = _double(by)
        if d is None:
            # As sort.c, which reads every BY key (each missing one a keymiss event) before
            # it reports the error.
            junk = True
            d = 0.0
        scores.append((d, e))
    if junk:
        raise CommandError(NOT_DOUBLE)
    scores.sort(reverse=desc)  # equal scores compare the elements' bytes
    return [e for _, e in scores]




def sort_keys(argv: list[bytes]) -> list[int]:
    """sortGetKeys: the sorted key, and the last STORE's key, found the way Redis skims the
    options (LIMIT, GET and BY skip their arguments; anything else is looked at alone)."""
    keys = [1]
    store = None
    skip = {b"limit": 2, b"get": 1, b"by": 1}
    i, n = 2, len(argv)
    while i < n:
        opt = _cstr(argv[i]).lower()
        if opt in skip:
            i += skip[opt]
        elif opt == b"store" and i + 1 < n:
            store = i + 1
        i += 1
    if store is not None:
        keys.append(store)
    return keys


_SORT_SPECS = (
    KeySpec(("RO", "access"), 1),
    KeySpec(("RO", "access"), unknown=True,
            notes="For the optional BY/GET keyword. It is marked 'unknown' because the key "
            "names derive from the content of the key we sort"),
)
_COMPLEXITY = ("O(N+M*log(M)) where N is the number of elements in the list or set to sort, "
               "and M the number of returned elements. When the elements are not sorted, "
               "complexity is O(N).")


@command("sort", -2, "write denyoom", keys=(1, 1, 1), keys_fn=sort_keys,
         key_specs=_SORT_SPECS + (
             KeySpec(("OW", "update"), unknown=True,
                     notes="For the optional STORE keyword. It is marked 'unknown' because the "
                     "keyword can appear anywhere in the argument array"),),
         categories="set sortedset list dangerous", complexity=_COMPLEXITY,
         summary="Sort the elements in a list, set or sorted set")
def sort(ctx: Any, argv: list[bytes]) -> Any:
    return _sort(ctx, argv, readonly=False)


@command("sort_ro", -2, "readonly", keys=(1, 1, 1), keys_fn=lambda argv: [1],
         key_specs=_SORT_SPECS, categories="set sortedset list dangerous", since="7.0.0",
         complexity=_COMPLEXITY,
         summary="Sort the elements in a list, set or sorted set. Read-only variant of SORT.")
def sort_ro(ctx: Any, argv: list[bytes]) -> Any:
    return _sort(ctx, argv, readonly=True)
