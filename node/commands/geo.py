"""The geo group (Redis's geo.c): GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE,
GEORADIUS, GEORADIUSBYMEMBER and their _RO variants.

A geo index is an ordinary sorted set whose scores are 52-bit geohashes (node/geohash.py), so
GEOADD is ZADD with computed scores and every zset command works on it. The searches follow
georadiusGeneric step by step: the same argument parsing and error order, the same nine
geohash cells scanned in the same order (which decides what COUNT ANY returns and the order of
unsorted results), the same distance filter, and the same sorts: glibc's stable merge sort for
a full ASC/DESC sort and Redis's partial quicksort (pqsort) when COUNT keeps fewer results,
so ties between equal distances come out in Redis's order too. GEOADD's keyspace event is its
ZADD's (`zadd`); a stored search sends `geosearchstore` or `georadiusstore`, as geo.c.
"""

from __future__ import annotations

from typing import Any

from node import geohash
from node.commands.zsets import build_zset, get_zset, parse_score, store_zset, zadd
from node.cstring import option_word
from node.errors import SYNTAX, CommandError
from node.numbers import parse_int
from node.pqsort import pqsort
from node.replies import NULL_ARRAY, DoubleText
from node.table import KeySpec, command
from node.zset import ZSet

UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}
BAD_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI"
BAD_MEMBER = "ERR could not decode requested zset member"

_G = dict(group="geo")
_SEARCH_COMPLEXITY = (
    "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around "
    "the shape provided as the filter and M is the number of items inside the shape")
_RADIUS_COMPLEXITY = (
    "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area "
    "delimited by center and radius and M is the number of items inside the index.")


def human(value: float) -> bytes:
    """A coordinate as addReplyHumanLongDouble prints it: `%.17Lf` without trailing zeros."""
    text = (b"%.17f" % value).rstrip(b"0")
    if text.endswith(b"."):
        text = text[:-1]
    return b"0" if text == b"-0" else text


def _coords(lon: float, lat: float) -> list:
    return [DoubleText(human(lon)), DoubleText(human(lat))]


# -- argument parsing -------------------------------------------------------------------------


def _lonlat(argv: list[bytes], i: int) -> tuple[float, float]:
    """extractLongLatOrReply: longitude and latitude at argv[i], argv[i + 1]."""
    lon = parse_score(argv[i])
    lat = parse_score(argv[i + 1])
    if not (geohash.LONG_MIN <= lon <= geohash.LONG_MAX
            and geohash.LAT_MIN <= lat <= geohash.LAT_MAX):
        raise CommandError("ERR invalid longitude,latitude pair %f,%f" % (lon, lat))
    return lon, lat


def _unit(arg: bytes) -> float:
    """extractUnitOrReply: metres per unit."""
    factor = UNITS.get(option_word(arg))
    if factor is None:
        raise CommandError(BAD_UNIT)
    return factor


def _radius(argv: list[bytes], i: int) -> tuple[float, float]:
    """extractDistanceOrReply: (radius, metres per unit) from `radius unit` at argv[i]."""
    radius = parse_score(argv[i], "ERR need numeric radius")
    if radius < 0:
        raise CommandError("ERR radius cannot be negative")
    return radius, _unit(argv[i + 1])


def _box(argv: list[bytes], i: int) -> tuple[float, float, float]:
    """extractBoxOrReply: (width, height, metres per unit) from `width height unit`."""
    width = parse_score(argv[i], "ERR need numeric width")
    height = parse_score(argv[i + 1], "ERR need numeric height")
    if height < 0 or width < 0:
        raise CommandError("ERR height or width cannot be negative")
    return width, height, _unit(argv[i + 2])


def _member_position(zs: ZSet, member: bytes) -> tuple[float, float]:
    score = zs.score(member)
    if score is None:
        raise CommandError(BAD_MEMBER)
    return geohash.decode_score(score)


# -- GEOADD, GEOPOS, GEODIST, GEOHASH ------------------------------------------------------------


@command("geoadd", -5, "write denyoom", keys=(1, 1, 1), key_flags="RW update", since="3.2.0",
         complexity="O(log(N)) for each item added, where N is the number of elements in the "
         "sorted set.",
         summary="Add one or more geospatial items in the geospatial index represented using a "
         "sorted set",
         history=(("6.2.0", "Added the `CH`, `NX` and `XX` options."),), **_G)
def geoadd(ctx: Any, argv: list[bytes]) -> Any:
    i, n = 2, len(argv)
    nx = xx = False
    while i < n:
        opt = option_word(argv[i])
        if opt == b"nx":
            nx = True
        elif opt == b"xx":
            xx = True
        elif opt != b"ch":
            break
        i += 1
    if (n - i) % 3 or (nx and xx):
        raise CommandError(SYNTAX)
    # As Redis does: turn the call into ZADD key [options] score member ... and run that;
    # that ZADD, options as given, is also what goes to the AOF and the replicas.
    zargv = [b"zadd", argv[1]] + [option_word(a) for a in argv[2:i]]
    scores = []
    for j in range(i, n, 3):
        lon, lat = _lonlat(argv, j)
        score = b"%d" % geohash.encode_score(lon, lat)
        scores.append(score)
        zargv.append(score)
        zargv.append(argv[j + 2])
    ks = ctx.db.keyspace
    dirty = ks.dirty
    reply = zadd(ctx, zargv)
    if ks.dirty != dirty:
        propagated = [b"zadd", *argv[1:i]]
        for score, j in zip(scores, range(i + 2, n, 3)):
            propagated.append(score)
            propagated.append(argv[j])
        ctx.propagate_as(propagated)
    return reply


@command("geopos", -2, "readonly", keys=(1, 1, 1), since="3.2.0",
         complexity="O(N) where N is the number of members requested.",
         summary="Returns longitude and latitude of members of a geospatial index", **_G)
def geopos(ctx: Any, argv: list[bytes]) -> list:
    zs = get_zset(ctx.db, argv[1])
    out: list = []
    for member in argv[2:]:
        score = None if zs is None else zs.score(member)
        out.append(NULL_ARRAY if score is None else _coords(*geohash.decode_score(score)))
    return out


@command("geodist", -4, "readonly", keys=(1, 1, 1), since="3.2.0", complexity="O(log(N))",
         summary="Returns the distance between two members of a geospatial index", **_G)
def geodist(ctx: Any, argv: list[bytes]) -> bytes | None:
    to_meters = 1.0
    if len(argv) == 5:
        to_meters = _unit(argv[4])
    elif len(argv) > 5:
        raise CommandError(SYNTAX)
    zs = get_zset(ctx.db, argv[1])
    if zs is None:
        return None
    s1, s2 = zs.score(argv[2]), zs.score(argv[3])
    if s1 is None or s2 is None:
        return None
    lon1, lat1 = geohash.decode_score(s1)
    lon2, lat2 = geohash.decode_score(s2)
    return b"%.4f" % (geohash.distance(lon1, lat1, lon2, lat2) / to_meters)


@command("geohash", -2, "readonly", keys=(1, 1, 1), since="3.2.0",
         complexity="O(log(N)) for each member requested, where N is the number of elements in "
         "the sorted set.",
         summary="Returns members of a geospatial index as standard geohash strings", **_G)
def geohash_(ctx: Any, argv: list[bytes]) -> list:
    zs = get_zset(ctx.db, argv[1])
    out: list = []
    for member in argv[2:]:
        score = None if zs is None else zs.score(member)
        out.append(None if score is None else geohash.geohash_string(score))
    return out


# -- searches -----------------------------------------------------------------------------------

COORDS, MEMBER, NOSTORE, SEARCH, SEARCHSTORE = 1, 2, 4, 8, 16
ASC, DESC = 1, 2

# A found point: (distance in metres, score, member, longitude, latitude).
Point = tuple


def _points(zs: ZSet, shape: geohash.Shape, limit: int) -> list[Point]:
    """membersOfAllNeighbors: the members inside `shape`, cell by cell; at most `limit` if
    it is not 0 (COUNT ANY)."""
    _, cells = geohash.search_areas(shape)
    inside = geohash.distance_in_shape
    decode = geohash.decode_score
    found: list[Point] = []
    last = 0
    for i, cell in enumerate(cells):
        if cell == (0, 0):
            continue
        # With a huge radius neighbouring cells can be the same cell; Redis skips a repeat of
        # the previous one (but compares nothing with the centre, cell 0).
        if last and cell == cells[last]:
            continue
        if found and limit and len(found) >= limit:
            break
        lo, hi = geohash.score_range(*cell)
        for score, member in zs.by_score(float(lo), float(hi), maxex=True):
            lon, lat = decode(score)
            dist = inside(shape, lon, lat)
            if dist is not None:
                found.append((dist, score, member, lon, lat))
                if limit and len(found) >= limit:
                    break
        last = i
    return found


def _cmp_asc(x: Point, y: Point) -> int:
    return 1 if x[0] > y[0] else (0 if x[0] == y[0] else -1)


def _cmp_desc(x: Point, y: Point) -> int:
    return -_cmp_asc(x, y)


def _sort(points: list[Point], order: int, keep: int) -> None:
    if keep == len(points):
        # glibc's qsort is a merge sort, stable, as Python's sort (reverse=True keeps ties in
        # their order too, as a comparator negated is stable about them).
        points.sort(key=lambda p: p[0], reverse=order == DESC)
    else:
        pqsort(points, _cmp_asc if order == ASC else _cmp_desc, 0, keep - 1)


def _search(ctx: Any, argv: list[bytes], src: int, flags: int) -> Any:
    """georadiusGeneric."""
    db = ctx.db
    zs = get_zset(db, argv[src])
    store: bytes | None = None
    storedist = False
    lon = lat = width = conversion = 0.0
    height: float | None = None
    if flags & COORDS:
        base = 6
        lon, lat = _lonlat(argv, 2)
        width, conversion = _radius(argv, 4)
    elif flags & MEMBER:
        base = 5
        if zs is not None:  # with no key, only the options are still checked
            lon, lat = _member_position(zs, argv[2])
            width, conversion = _radius(argv, 3)
    else:
        base = 2
        if flags & SEARCHSTORE:
            base = 3
            store = argv[1]
    withdist = withhash = withcoord = anyone = False
    frommember = fromloc = byradius = bybox = False
    order = 0
    count = 0
    i, n = base, len(argv)
    can_store = not flags & (NOSTORE | SEARCH)
    search = flags & SEARCH
    while i < n:
        arg = option_word(argv[i])
        more = n - i - 1  # arguments after this one
        if arg == b"withdist":
            withdist = True
        elif arg == b"withhash":
            withhash = True
        elif arg == b"withcoord":
            withcoord = True
        elif arg == b"any":
            anyone = True
        elif arg == b"asc":
            order = ASC
        elif arg == b"desc":
            order = DESC
        elif arg == b"count" and more >= 1:
            count = parse_int(argv[i + 1])
            if count <= 0:
                raise CommandError("ERR COUNT must be > 0")
            i += 1
        elif arg in (b"store", b"storedist") and more >= 1 and can_store:
            store = argv[i + 1]
            storedist = arg == b"storedist"
            i += 1
        elif arg == b"storedist" and flags & SEARCHSTORE:
            storedist = True
        elif arg == b"frommember" and more >= 1 and search and not fromloc:
            if zs is not None:
                lon, lat = _member_position(zs, argv[i + 1])
            frommember = True
            i += 1
        elif arg == b"fromlonlat" and more >= 2 and search and not frommember:
            lon, lat = _lonlat(argv, i + 1)
            fromloc = True
            i += 2
        elif arg == b"byradius" and more >= 2 and search and not bybox:
            width, conversion = _radius(argv, i + 1)
            height = None
            byradius = True
            i += 2
        elif arg == b"bybox" and more >= 3 and search and not byradius:
            width, height, conversion = _box(argv, i + 1)
            bybox = True
            i += 3
        else:
            raise CommandError(SYNTAX)
        i += 1

    if store is not None and (withdist or withhash or withcoord):
        what = "GEOSEARCHSTORE" if flags & SEARCHSTORE else "STORE option in GEORADIUS"
        raise CommandError(f"ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD "
                           "options")
    if search and not (frommember or fromloc):
        raise CommandError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for "
                           + argv[0].decode("utf-8", "surrogateescape"))
    if search and not (byradius or bybox):
        raise CommandError("ERR exactly one of BYRADIUS and BYBOX can be specified for "
                           + argv[0].decode("utf-8", "surrogateescape"))
    if anyone and not count:
        raise CommandError("ERR the ANY argument requires COUNT argument")

    event = b"geosearchstore" if flags & SEARCHSTORE else b"georadiusstore"
    if zs is None:
        if store is not None:
            return store_zset(ctx, store, ZSet(), event)
        return []
    if count and not order and not anyone:
        order = ASC  # COUNT keeps the nearest
    shape = geohash.Shape(lon, lat, width, height, conversion)
    points = _points(zs, shape, count if anyone else 0)
    if not points and store is None:
        return []
    keep = len(points) if count == 0 or len(points) < count else count
    if order:
        _sort(points, order, keep)
    del points[keep:]

    if store is not None:
        entries = [(p[0] / conversion if storedist else p[1], p[2]) for p in points]
        if entries:
            db.keyspace.dirty += keep - 1  # Redis counts every member stored as a change
        return store_zset(ctx, store, build_zset(ctx, entries), event)
    if not (withdist or withhash or withcoord):
        return [p[2] for p in points]
    out = []
    for dist, score, member, plon, plat in points:
        item: list = [member]
        if withdist:
            item.append(b"%.4f" % (dist / conversion))
        if withhash:
            item.append(int(score))
        if withcoord:
            item.append(_coords(plon, plat))
        out.append(item)
    return out


def _radius_specs(start: int) -> tuple[KeySpec, ...]:
    # The destination is wherever a STORE or STOREDIST keyword is (movablekeys, found through
    # these key specs as Redis 7 finds it).
    return (KeySpec(("RO", "access"), 1),
            KeySpec(("OW", "update"), start, begin_keyword=b"STORE"),
            KeySpec(("OW", "update"), start, begin_keyword=b"STOREDIST"))


def radius_keys(argv: list[bytes]) -> list[int]:
    """Redis's georadiusGetKeys, which cluster routing uses: the source, and the argument
    after the last STORE or STOREDIST from position 5 on (the destination GEORADIUS writes
    when both are given), each keyword skipping its argument."""
    stored = 0
    i = 5
    while i < len(argv):
        if argv[i].lower() in (b"store", b"storedist") and i + 1 < len(argv):
            stored = i + 1
            i += 1
        i += 1
    return [1, stored] if stored else [1]


@command("geosearch", -7, "readonly", keys=(1, 1, 1), since="6.2.0",
         complexity=_SEARCH_COMPLEXITY,
         summary="Query a sorted set representing a geospatial index to fetch members inside an "
         "area of a box or a circle.",
         history=(("7.0.0", "Added support for uppercase unit names."),), **_G)
def geosearch(ctx: Any, argv: list[bytes]) -> Any:
    return _search(ctx, argv, 1, SEARCH)


@command("geosearchstore", -8, "write denyoom", keys=(1, 2, 1), since="6.2.0",
         key_specs=(KeySpec(("OW", "update"), 1), KeySpec(("RO", "access"), 2)),
         complexity=_SEARCH_COMPLEXITY,
         summary="Query a sorted set representing a geospatial index to fetch members inside an "
         "area of a box or a circle, and store the result in another key.",
         history=(("7.0.0", "Added support for uppercase unit names."),), **_G)
def geosearchstore(ctx: Any, argv: list[bytes]) -> Any:
    return _search(ctx, argv, 2, SEARCH | SEARCHSTORE)


@command("georadius", -6, "write denyoom movablekeys", keys=(1, 1, 1),
         key_specs=_radius_specs(6), keys_fallback=radius_keys, since="3.2.0",
         complexity=_RADIUS_COMPLEXITY,
         summary="Query a sorted set representing a geospatial index to fetch members matching a "
         "given maximum distance from a point",
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument",
         history=(("6.2.0", "Added the `ANY` option for `COUNT`."),
                  ("7.0.0", "Added support for uppercase unit names.")), **_G)
def georadius(ctx: Any, argv: list[bytes]) -> Any:
    return _search(ctx, argv, 1, COORDS)


@command("georadiusbymember", -5, "write denyoom movablekeys", keys=(1, 1, 1),
         key_specs=_radius_specs(5), keys_fallback=radius_keys, since="3.2.0",
         complexity=_RADIUS_COMPLEXITY,
         summary="Query a sorted set representing a geospatial index to fetch members matching a "
         "given maximum distance from a member",
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` "
                     "arguments",
         history=(("7.0.0", "Added support for uppercase unit names."),), **_G)
def georadiusbymember(ctx: Any, argv: list[bytes]) -> Any:
    return _search(ctx, argv, 1, MEMBER)


@command("georadius_ro", -6, "readonly", keys=(1, 1, 1), since="3.2.10",
         complexity=_RADIUS_COMPLEXITY, summary="A read-only variant for GEORADIUS",
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`GEOSEARCH` with the `BYRADIUS` argument",
         history=(("6.2.0", "Added the `ANY` option for `COUNT`."),), **_G)
def georadius_ro(ctx: Any, argv: list[bytes]) -> Any:
    return _search(ctx, argv, 1, COORDS | NOSTORE)


@command("georadiusbymember_ro", -5, "readonly", keys=(1, 1, 1), since="3.2.10",
         complexity=_RADIUS_COMPLEXITY, summary="A read-only variant for GEORADIUSBYMEMBER",
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments", **_G)
def georadiusbymember_ro(ctx: Any, argv: list[bytes]) -> Any:
    return _search(ctx, argv, 1, MEMBER | NOSTORE)
