"""The geo group (GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE, GEORADIUS,
GEORADIUSBYMEMBER and the _RO variants) against redis-server: scores, coordinates, distances,
search results and their order (ties included), stored results, error strings and metadata,
over real cities, edge positions (poles, antimeridian), odd scores and random point clouds."""

from __future__ import annotations

import itertools
import random

import pytest
from aofhelp import aof_logged
from conftest import debug_servers, reply_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node import geohash
from node.commands import geo
from node.pqsort import pqsort

GEO_COMMANDS = ("geoadd", "geopos", "geodist", "geohash", "geosearch", "geosearchstore",
                "georadius", "georadiusbymember", "georadius_ro", "georadiusbymember_ro")

CITIES = [
    ("Palermo", 13.361389, 38.115556), ("Catania", 15.087269, 37.502669),
    ("Rome", 12.496366, 41.902782), ("Paris", 2.352222, 48.856613),
    ("London", -0.127758, 51.507351), ("Greenwich", 0.0, 51.4779),
    ("NewYork", -74.005974, 40.712776), ("Tokyo", 139.691711, 35.689487),
    ("Sydney", 151.20929, -33.86882), ("Reykjavik", -21.942237, 64.146582),
    ("Longyearbyen", 15.635, 78.223), ("McMurdo", 166.666, -77.85),
    ("Suva", 178.441895, -18.1416), ("Apia", -171.751, -13.759),
    ("Quito", -78.467834, -0.180653), ("Nairobi", 36.821945, -1.292066),
    ("Anchorage", -149.900284, 61.218056), ("Ushuaia", -68.303, -54.801),
    ("Singapore", 103.819839, 1.352083), ("NullIsland", 0.0, 0.0),
    ("Naples", 14.268124, 40.851799), ("Messina", 15.554, 38.193),
    ("Agrigento", 13.5765, 37.3111), ("Syracuse", 15.2866, 37.0755),
]
UNITS = ("m", "km", "mi", "ft")


node, oracle = debug_servers()


def add_cities(both, key: str = "g") -> None:
    both("GEOADD", key, *[str(x) for name, lon, lat in CITIES for x in (lon, lat, name)])


def same_zset(both, key: str) -> None:
    both("ZRANGE", key, "0", "-1", "WITHSCORES")
    both("OBJECT", "ENCODING", key)
    both("DEBUG", "DIGEST-VALUE", key)


# -- metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GEO_COMMANDS)
def test_command_info_matches(both, name):
    both("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", GEO_COMMANDS)
def test_command_docs_basics_match(both3, name):
    mine = reply_of(both3.r, "COMMAND", "DOCS", name)[name.encode()]
    theirs = reply_of(both3.o, "COMMAND", "DOCS", name)[name.encode()]
    for field in (b"summary", b"since", b"group", b"complexity"):
        assert mine[field] == theirs[field], field


@pytest.mark.parametrize("cmd", [
    ("GEORADIUS", "k", "0", "0", "1", "m", "STORE", "d"),
    ("GEORADIUS", "k", "0", "0", "1", "m", "STOREDIST", "d"),
    ("GEORADIUS", "k", "0", "0", "1", "m", "STORE", "d1", "STOREDIST", "d2"),
    ("GEORADIUS", "k", "0", "0", "1", "m", "WITHDIST"),
    ("GEORADIUS", "k", "0", "0", "1", "m", "STORE"),
    ("GEORADIUSBYMEMBER", "k", "x", "1", "m", "STORE", "d"),
    ("GEORADIUSBYMEMBER", "k", "x", "1", "STORE", "d"),
    ("GEORADIUS_RO", "k", "0", "0", "1", "m"),
    ("GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "x", "BYRADIUS", "1", "m"),
    ("GEOSEARCH", "s", "FROMMEMBER", "x", "BYRADIUS", "1", "m"),
    ("GEOADD", "k", "1", "2", "x"),
], ids=lambda c: " ".join(c))
def test_getkeys(both, cmd):
    both("COMMAND", "GETKEYS", *cmd)
    mine = reply_of(both.r, "COMMAND", "GETKEYSANDFLAGS", *cmd)
    theirs = reply_of(both.o, "COMMAND", "GETKEYSANDFLAGS", *cmd)
    assert [(k, set(f)) for k, f in mine] == [(k, set(f)) for k, f in theirs]


def test_arity_errors(both):
    both.run(("GEOADD", "k", "1", "2"), ("GEOPOS",), ("GEODIST", "k", "a"), ("GEOHASH",),
             ("GEOSEARCH", "k", "FROMMEMBER", "a", "BYRADIUS", "1"),
             ("GEOSEARCHSTORE", "d", "k", "FROMMEMBER", "a", "BYRADIUS", "1"),
             ("GEORADIUS", "k", "1", "2", "3"), ("GEORADIUSBYMEMBER", "k", "a", "1"),
             ("GEORADIUS_RO", "k", "1", "2", "3"), ("GEORADIUSBYMEMBER_RO", "k", "a", "1"))


# -- GEOADD and the stored scores -------------------------------------------------------------


def test_geoadd_scores_match(both):
    add_cities(both)
    same_zset(both, "g")
    for name, _, _ in CITIES:
        both("ZSCORE", "g", name)
    both("GEOADD", "g", "-180", "-85.05112878", "sw", "180", "85.05112878", "ne",
         "180", "0", "east", "-180", "0", "west")
    same_zset(both, "g")
    assert len(both("DEBUG", "DIGEST")) == 40


def test_geoadd_options(both):
    both.run(
        ("GEOADD", "g", "13.361389", "38.115556", "Palermo"),
        ("GEOADD", "g", "XX", "1", "2", "Palermo", "3", "4", "new"),
        ("GEOADD", "g", "XX", "CH", "1", "2", "Palermo", "3", "4", "new"),
        ("GEOADD", "g", "NX", "5", "6", "Palermo", "7", "8", "new"),
        ("GEOADD", "g", "NX", "CH", "5", "6", "Palermo", "7", "8", "new2"),
        ("GEOADD", "g", "CH", "1", "2", "Palermo", "1", "2", "same"),
        ("GEOADD", "g", "ch", "xx", "ch", "9", "9", "Palermo"),
        ("GEOADD", "g", "nx\0junk", "1", "1", "nul"),
        ("GEOADD", "missing", "XX", "1", "2", "a"), ("EXISTS", "missing"),
        ("GEOADD", "g", "NX", "XX", "1", "2", "a"), ("GEOADD", "g", "CH", "CH", "CH"),
        ("GEOADD", "g", "GT", "1", "2", "a"), ("GEOADD", "g", "CH", "1", "2"),
        ("GEOADD", "g", "1", "2", "a", "3"),
    )
    same_zset(both, "g")


def test_geoadd_errors(both):
    both.run(
        ("GEOADD", "g", "181", "0", "x"), ("GEOADD", "g", "-180.0001", "0", "x"),
        ("GEOADD", "g", "0", "85.06", "x"), ("GEOADD", "g", "0", "-85.0511288", "x"),
        ("GEOADD", "g", "abc", "0", "x"), ("GEOADD", "g", "0", "abc", "x"),
        ("GEOADD", "g", "1e400", "0", "x"), ("GEOADD", "g", "inf", "0", "x"),
        ("GEOADD", "g", "nan", "0", "x"), ("GEOADD", "g", " 1", "0", "x"),
        ("GEOADD", "g", "", "0", "x"), ("GEOADD", "g", "1", "2", "ok", "500", "0", "bad"),
        ("EXISTS", "g"), ("GEOADD", "g", "0x10", "1e1", "hexexp"), ("GEOPOS", "g", "hexexp"),
        ("SET", "s", "v"), ("GEOADD", "s", "1", "2", "x"), ("GEOADD", "s", "1", "200", "x"),
        ("GEOADD", "g", "1", "2", "x", "1", "2", "x"), ("ZCARD", "g"),
    )


def test_geoadd_encodings(both):
    add_cities(both, "small")
    same_zset(both, "small")
    both("GEOADD", "long", "1", "2", "m" * 65)
    same_zset(both, "long")
    points = [str(x) for i in range(130) for x in (i % 360 - 179.5, (i % 170) - 84.5, f"p{i}")]
    both("GEOADD", "many", *points)
    same_zset(both, "many")


# -- GEOPOS, GEOHASH, GEODIST -----------------------------------------------------------------


def test_geopos_geohash(both, both3):
    add_cities(both)
    add_cities(both3)
    names = [name for name, _, _ in CITIES] + ["nosuch"]
    both("GEOPOS", "g", *names)
    both3("GEOPOS", "g", *names)
    both("GEOHASH", "g", *names)
    both3("GEOHASH", "g", *names)
    both.run(("GEOPOS", "missing", "a", "b"), ("GEOHASH", "missing", "a"), ("GEOPOS", "g"),
             ("GEOHASH", "g"), ("SET", "s", "v"), ("GEOPOS", "s", "a"), ("GEOHASH", "s", "a"))
    both("GEOADD", "edge", "-180", "-85.05112878", "sw", "180", "85.05112878", "ne",
         "0", "0", "zero", "-0.0000001", "0.0000001", "tiny")
    both("GEOPOS", "edge", "sw", "ne", "zero", "tiny")
    both3("GEOADD", "edge", "-180", "-85.05112878", "sw", "0", "0", "zero")
    both3("GEOPOS", "edge", "sw", "zero", "nosuch")


def test_geodist(both, both3):
    add_cities(both)
    add_cities(both3)
    names = [name for name, _, _ in CITIES]
    for a, b in itertools.islice(itertools.combinations(names, 2), 0, None, 7):
        both("GEODIST", "g", a, b)
        both("GEODIST", "g", a, b, UNITS[len(a) % 4])
    both3("GEODIST", "g", "Palermo", "Catania", "km")
    both.run(("GEODIST", "g", "Palermo", "Palermo"), ("GEODIST", "g", "Palermo", "nosuch"),
             ("GEODIST", "g", "Palermo", "Catania", "KM"), ("GEODIST", "g", "Palermo", "Catania", "Mi"),
             ("GEODIST", "g", "Palermo", "Catania", "yd"), ("GEODIST", "g", "a", "b", "km", "x"),
             ("GEODIST", "missing", "a", "b"), ("GEODIST", "missing", "a", "b", "parsec"),
             ("GEODIST", "g", "London", "Greenwich", "m"), ("SET", "s", "v"),
             ("GEODIST", "s", "a", "b"), ("GEODIST", "s", "a", "b", "bad"))
    # Two points on one meridian take Redis's meridian-distance shortcut.
    both("GEOADD", "m", "10", "20", "a", "10", "-30", "b", "10", "85", "c")
    both("GEODIST", "m", "a", "b")
    both("GEODIST", "m", "b", "c", "ft")


def test_odd_scores(both):
    # Members a plain ZADD put there decode as Redis decodes them, however odd.
    both("ZADD", "z", "-5", "neg", "1.5", "frac", "1e20", "huge", "inf", "pinf", "-inf", "ninf",
         "9007199254740993", "big", "4503599627370496", "p52", "18446744073709551615", "u64",
         "9223372036854775808", "i63", "-1e300", "vneg", "0", "zero")
    names = ["neg", "frac", "huge", "pinf", "ninf", "big", "p52", "u64", "i63", "vneg", "zero"]
    both("GEOPOS", "z", *names)
    both("GEOHASH", "z", *names)
    both("GEODIST", "z", "neg", "huge")
    both("GEODIST", "z", "pinf", "ninf", "km")
    both("GEOSEARCH", "z", "FROMMEMBER", "frac", "BYRADIUS", "20000", "km", "WITHDIST",
         "WITHHASH", "WITHCOORD", "ASC")
    both("GEOSEARCH", "z", "FROMLONLAT", "0", "0", "BYBOX", "40000", "40000", "km", "WITHHASH")


# -- searches ---------------------------------------------------------------------------------

CENTRES = [("15", "37"), ("13.361389", "38.115556"), ("0", "0"), ("179.9", "-18"),
           ("-179.99", "10"), ("0", "85"), ("120", "-84.9"), ("-74", "40.7")]
RADII = [("0", "m"), ("1", "km"), ("100", "km"), ("200", "km"), ("650", "mi"),
         ("3000", "km"), ("9000", "km"), ("21000", "km"), ("66000000", "ft")]


@pytest.mark.parametrize("lon,lat", CENTRES)
def test_radius_searches(both, lon, lat):
    add_cities(both)
    for radius, unit in RADII:
        both("GEOSEARCH", "g", "FROMLONLAT", lon, lat, "BYRADIUS", radius, unit)
        both("GEOSEARCH", "g", "FROMLONLAT", lon, lat, "BYRADIUS", radius, unit,
             "WITHDIST", "WITHCOORD", "WITHHASH", "ASC")
        both("GEORADIUS", "g", lon, lat, radius, unit, "WITHDIST", "DESC")
        both("GEORADIUS_RO", "g", lon, lat, radius, unit, "COUNT", "3", "WITHCOORD")
        both("GEOSEARCH", "g", "FROMLONLAT", lon, lat, "BYRADIUS", radius, unit,
             "COUNT", "2", "ANY", "WITHDIST")


@pytest.mark.parametrize("lon,lat", CENTRES)
def test_box_searches(both, lon, lat):
    add_cities(both)
    for (w, unit), (h, _) in zip(RADII, RADII[3:] + RADII[:3]):
        both("GEOSEARCH", "g", "FROMLONLAT", lon, lat, "BYBOX", w, h, unit)
        both("GEOSEARCH", "g", "FROMLONLAT", lon, lat, "BYBOX", w, h, unit, "WITHDIST",
             "WITHCOORD", "WITHHASH", "DESC")
        both("GEOSEARCH", "g", "FROMLONLAT", lon, lat, "BYBOX", h, w, unit, "COUNT", "4")


def test_member_searches(both):
    add_cities(both)
    for name, _, _ in CITIES:
        both("GEOSEARCH", "g", "FROMMEMBER", name, "BYRADIUS", "2500", "km", "WITHDIST", "ASC")
        both("GEOSEARCH", "g", "FROMMEMBER", name, "BYBOX", "5000", "3000", "km", "ASC")
        both("GEORADIUSBYMEMBER", "g", name, "1000", "mi", "WITHDIST", "WITHCOORD", "COUNT", "5")
        both("GEORADIUSBYMEMBER_RO", "g", name, "800", "km", "DESC", "WITHHASH")


def test_resp3_search_replies(both3):
    add_cities(both3)
    both3("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "WITHDIST",
          "WITHCOORD", "WITHHASH", "ASC")
    both3("GEORADIUS", "g", "15", "37", "200", "km", "WITHCOORD")
    both3("GEOSEARCH", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m")
    both3("GEOSEARCH", "missing", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "m")


def test_ties_keep_redis_order(both):
    # Many members at one position (and a few at another): equal distances are ordered by
    # glibc's merge sort when everything is sorted, and by Redis's pqsort under COUNT.
    both("GEOADD", "t", *[x for i in range(60) for x in ("10", "20", f"same{i:02d}")])
    both("GEOADD", "t", *[x for i in range(9) for x in ("10.001", "20.001", f"near{i}")])
    for count in range(1, 70, 4):
        for order in ("ASC", "DESC"):
            both("GEOSEARCH", "t", "FROMLONLAT", "10", "20", "BYRADIUS", "10", "km",
                 "COUNT", str(count), order)
            both("GEORADIUS", "t", "10.0005", "20.0005", "10", "km", "COUNT", str(count), order)
    both("GEOSEARCH", "t", "FROMLONLAT", "10", "20", "BYRADIUS", "10", "km", "ASC")
    both("GEOSEARCH", "t", "FROMLONLAT", "10", "20", "BYRADIUS", "10", "km", "DESC")
    both("GEOSEARCH", "t", "FROMLONLAT", "10", "20", "BYRADIUS", "10", "km", "COUNT", "7",
         "ANY")


def test_store(both):
    add_cities(both)
    both("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km")
    same_zset(both, "d")
    both("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km",
         "STOREDIST", "DESC", "COUNT", "3")
    same_zset(both, "d")
    both("GEORADIUS", "g", "15", "37", "2000", "mi", "STORE", "d1")
    same_zset(both, "d1")
    both("GEORADIUS", "g", "15", "37", "2000", "mi", "STOREDIST", "d2", "ASC", "COUNT", "2")
    same_zset(both, "d2")
    both("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d3", "STOREDIST", "d4")
    both("EXISTS", "d3")
    same_zset(both, "d4")
    both("GEORADIUSBYMEMBER", "g", "Rome", "1500", "km", "STOREDIST", "d5", "COUNT", "4", "ANY")
    same_zset(both, "d5")
    both("SET", "str", "v")
    both("EXPIRE", "d5", "100")
    both("GEORADIUSBYMEMBER", "g", "Rome", "1500", "km", "STORE", "str")  # overwrites any type
    same_zset(both, "str")
    both("TTL", "d5")
    both("GEORADIUSBYMEMBER", "g", "Rome", "1500", "km", "STORE", "d5")
    both("TTL", "d5")
    # Nothing found, or no source: the destination is deleted.
    both("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "-40", "-40", "BYRADIUS", "1", "km")
    both("EXISTS", "d")
    both("GEORADIUS", "missing", "0", "0", "1", "km", "STORE", "d1")
    both("EXISTS", "d1")
    both("GEOSEARCHSTORE", "d2", "missing", "FROMMEMBER", "x", "BYRADIUS", "1", "km")
    both("EXISTS", "d2")
    # Big results are skiplists, long members too.
    both("GEOADD", "big", *[str(x) for i in range(200) for x in (i / 100, i / 200, f"p{i}")])
    both("GEOSEARCHSTORE", "bigd", "big", "FROMLONLAT", "1", "0.5", "BYRADIUS", "500", "km")
    same_zset(both, "bigd")
    both("GEOSEARCHSTORE", "bigd", "big", "FROMLONLAT", "1", "0.5", "BYRADIUS", "500", "km",
         "COUNT", "128")
    same_zset(both, "bigd")
    both("GEOADD", "g", "15", "37", "x" * 65)
    both("GEOSEARCHSTORE", "ld", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km")
    same_zset(both, "ld")
    assert len(both("DEBUG", "DIGEST")) == 40


def test_change_counts(both):
    """rdb_changes_since_last_save (server.dirty) moves as in Redis: by the members GEOADD set
    and a search stored, once for a stored result deleted."""
    both.same_changes(
        ("GEOADD", "g", "1", "2", "a", "3", "4", "b", "5", "6", "c"),
        ("GEOADD", "g", "1", "2", "a", "3", "5", "b"), ("GEOADD", "g", "CH", "1", "3", "a"),
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "2000", "km"),
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "1", "2", "BYRADIUS", "2000", "km",
         "COUNT", "2", "STOREDIST"),
        ("GEORADIUS", "g", "1", "2", "2000", "km", "STORE", "e"),
        ("GEORADIUSBYMEMBER", "g", "a", "2000", "km", "STOREDIST", "e"),
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "100", "2", "BYRADIUS", "1", "km"),
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "100", "2", "BYRADIUS", "1", "km"),
        ("GEORADIUS", "missing", "1", "2", "1", "km", "STORE", "e")
    )



def test_keyspace_events(both):
    """GEOADD announces zadd (when it changes something), GEOSEARCHSTORE geosearchstore,
    GEORADIUS[BYMEMBER] STORE georadiusstore, an empty result del (a missing source too),
    and reads of a missing key keymiss, as Redis 7.0."""
    both.same_events(
        ("GEOADD", "g", "13.361389", "38.115556", "Palermo"),
        ("GEOADD", "g", "13.361389", "38.115556", "Palermo"),
        ("GEOADD", "g", "15.087269", "37.502669", "Catania", "12", "41", "Rome"),
        ("GEOADD", "g", "XX", "15", "37", "Nope"), ("GEOADD", "g", "CH", "15", "37", "Rome"),
        ("GEOADD", "g", "NX", "15", "37", "Catania"), ("GEOADD", "g", "200", "37", "bad"),
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
         "STOREDIST"),
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
        ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
        ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d"),
        ("GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "d"),
        ("GEORADIUSBYMEMBER", "g", "Palermo", "200", "km", "STORE", "e"),
        ("GEORADIUS", "g", "0", "0", "1", "km", "STORE", "d"),
        ("GEOSEARCHSTORE", "e", "none", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
        ("GEORADIUS", "none", "0", "0", "1", "km", "STORE", "e"),
        ("SET", "s", "x"), ("GEORADIUSBYMEMBER", "none", "x", "1", "km", "STORE", "s"),
        ("GEORADIUS", "none", "0", "0", "1", "km"), ("GEORADIUS_RO", "none", "0", "0", "1", "km"),
        ("GEORADIUSBYMEMBER", "none", "x", "1", "km"),
        ("GEORADIUSBYMEMBER_RO", "none", "x", "1", "km"),
        ("GEOSEARCH", "none", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
        ("GEOPOS", "none", "a"), ("GEODIST", "none", "a", "b"), ("GEOHASH", "none", "a"),
        ("GEORADIUSBYMEMBER", "g", "Nope", "200", "km", "STORE", "d"),
        ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Nope", "BYRADIUS", "200", "km"),
        ("SET", "s", "x"), ("GEOADD", "s", "1", "1", "a"), ("GEOPOS", "s", "a"),
        ("GEOSEARCHSTORE", "s", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
        ("GEOADD", "g2", "1", "1", "a", "2", "2", "b"), ("ZREM", "g2", "a", "b"),
        classes="KEAnm")

@pytest.mark.parametrize("store", [
    ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
    ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km",
     "COUNT", "1", "STOREDIST"),
    ("GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
    ("GEOSEARCHSTORE", "d", "none", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"),
    ("GEOSEARCHSTORE", "g", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
    ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d"),
    ("GEORADIUS", "g", "15", "37", "200", "km", "ASC", "COUNT", "1", "STOREDIST", "d"),
    ("GEORADIUS", "g", "0", "0", "1", "km", "STORE", "d"),
    ("GEORADIUS", "none", "0", "0", "1", "km", "STOREDIST", "d"),
    ("GEORADIUSBYMEMBER", "g", "Palermo", "200", "km", "STORE", "d"),
    ("GEORADIUSBYMEMBER", "none", "x", "1", "km", "STOREDIST", "d"),
    ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "g"),
], ids=lambda c: " ".join(c))
def test_store_into_a_key_past_its_deadline(both, store):
    """A destination past its TTL but still stored (active expiry off): a result replaces it
    after an `expired` (setKey looks it up for writing), an empty result deletes it as a live
    key with `del` and a change (dbDelete does not look at the deadline); a source that is
    also the destination expires when it is read, as geo.c."""
    both.store_past_deadline(
        (("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
          "Catania"), ("SET", "d", "old")),
        store, key=store[1] if store[0] == "GEOSEARCHSTORE" else store[-1])


@pytest.mark.parametrize("size", ["inf", "1e308"])
def test_infinite_search_sizes(both, size):
    # A size of infinite metres makes the bounding box NaN (C's cos(inf)), so one search of
    # the biggest cells.
    add_cities(both)
    for lon, lat in (("0", "0"), ("180", "85.05112878"), ("-180", "-85.05112878"), ("15", "37")):
        both("GEOSEARCH", "g", "FROMLONLAT", lon, lat, "BYRADIUS", size, "km", "ASC")
        both("GEOSEARCH", "g", "FROMLONLAT", lon, lat, "BYBOX", size, size, "mi", "DESC",
             "WITHDIST")
        both("GEOSEARCH", "g", "FROMLONLAT", lon, lat, "BYBOX", "1", size, "km", "ASC")
        both("GEORADIUS", "g", lon, lat, size, "ft", "WITHDIST", "COUNT", "5")
    both("GEORADIUSBYMEMBER", "g", "Rome", size, "km", "ASC")


def test_geoadd_propagates_as_zadd(aof_pair):
    # As Redis: GEOADD goes to the AOF and replicas as the ZADD it amounts to ("zadd", its
    # options as given, computed scores), and not at all when it changed nothing.
    mine, theirs = aof_logged(aof_pair, [
        ("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
        ("GEOADD", "g", "13.361389", "38.115556", "Palermo"),
        ("geoadd", "g", "Ch", "nx", "13.361389", "38.115556", "Palermo", "15", "37", "X"),
        ("GEOADD", "g", "XX", "CH", "1", "2", "Palermo", "3", "4", "nosuch"),
        ("GEOADD", "g", "200", "2", "bad"),
    ])
    assert mine == theirs


def test_search_errors(both):
    add_cities(both)
    both("SET", "s", "v")
    both.run(
        ("GEOSEARCH", "g", "FROMMEMBER", "nosuch", "BYRADIUS", "500", "km"),
        ("GEOSEARCH", "missing", "FROMMEMBER", "nosuch", "BYRADIUS", "500", "km"),
        ("GEOSEARCH", "missing", "FROMMEMBER", "nosuch", "BYRADIUS", "-1", "km"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "-1", "km"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "x", "km"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "parsec"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYBOX", "x", "y", "km"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYBOX", "1", "y", "km"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "km"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYBOX", "1", "-1", "km"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "yd"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYBOX", "1", "1"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "g", "BYRADIUS", "1", "km", "ASC"),
        ("geosearch", "g", "BYRADIUS", "1", "km", "ASC", "DESC"),
        ("GeoSearch", "g", "FROMMEMBER", "Palermo", "WITHDIST", "ASC"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "ANY"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "COUNT", "0"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "COUNT", "-3"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "COUNT", "x"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "COUNT"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "STORE", "x"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "STOREDIST"),
        ("GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "bogus"),
        ("GEOSEARCH", "g", "FROMLONLAT", "200", "37", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "FROMLONLAT", "0", "90"),
        ("GEOSEARCH", "s", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"),
        ("GEOSEARCH", "g", "FROMLONLAT\0x", "0", "0", "BYRADIUS", "1", "km\0x"),
        ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "WITHDIST"),
        ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "STORE", "x"),
        ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km", "WITHHASH",
         "STOREDIST"),
        ("GEOSEARCHSTORE", "d", "g", "BYRADIUS", "500", "km"),
        ("geosearchstore", "d", "g", "FROMMEMBER", "Palermo", "COUNT", "1"),
        ("GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "Palermo", "BYRADIUS", "500", "km"),
        ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d1", "WITHDIST"),
        ("GEORADIUS", "g", "15", "37", "200", "km", "FROMMEMBER", "x"),
        ("GEORADIUS", "g", "15", "37", "200", "km", "BYRADIUS", "1", "km"),
        ("GEORADIUS", "g", "15", "37", "200", "km", "STORE"),
        ("GEORADIUS", "g", "15", "37", "200", "km", "ANY"),
        ("GEORADIUS", "g", "15", "95", "200", "km"), ("GEORADIUS", "g", "x", "37", "200", "km"),
        ("GEORADIUS", "missing", "15", "37", "-200", "km"), ("GEORADIUS", "missing", "195", "37", "200", "km"),
        ("GEORADIUS", "missing", "15", "37", "200", "km", "WITHDIST"),
        ("GEORADIUS", "s", "15", "37", "200", "km"),
        ("GEORADIUSBYMEMBER", "missing", "x", "abc", "parsec"),
        ("GEORADIUSBYMEMBER", "missing", "x", "abc", "parsec", "STORE"),
        ("GEORADIUSBYMEMBER", "missing", "x", "abc", "parsec", "bogus"),
        ("GEORADIUSBYMEMBER", "missing", "x", "abc", "parsec", "STORE", "dd"),
        ("GEORADIUSBYMEMBER", "g", "x", "abc", "parsec"),
        ("GEORADIUSBYMEMBER", "g", "Palermo", "abc", "parsec"),
        ("GEORADIUSBYMEMBER", "g", "Palermo", "200", "parsec"),
        ("GEORADIUSBYMEMBER", "s", "Palermo", "200", "km"),
        ("GEORADIUS_RO", "g", "15", "37", "200", "km", "STORE", "d1"),
        ("GEORADIUS_RO", "g", "15", "37", "200", "km", "STOREDIST", "d1"),
        ("GEORADIUSBYMEMBER_RO", "g", "Palermo", "200", "km", "STOREDIST", "d1"),
        ("GEORADIUSBYMEMBER_RO", "g", "Palermo", "200", "km", "STORE", "d1", "WITHDIST"),
    )
    both("EXISTS", "d", "d1", "dd", "x")


def test_inside_multi(both):
    both("MULTI")
    both("GEOADD", "g", "1", "2", "a", "1.001", "2", "b")
    both("GEOSEARCH", "g", "FROMMEMBER", "a", "BYRADIUS", "1", "km", "WITHDIST")
    both("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "a", "BYRADIUS", "1", "km")
    both("EXEC")


# -- pieces -----------------------------------------------------------------------------------


def test_human_doubles():
    assert geo.human(13.361389338970184) == b"13.36138933897018433"
    assert geo.human(180.0) == b"180"
    assert geo.human(-0.0) == b"0"
    assert geo.human(2.682209014892578e-06) == b"0.00000268220901489"
    assert geo.human(-1e-30) == b"0"


def test_score_bits_follow_x86_conversions():
    assert geohash.score_bits(3.0) == 3
    assert geohash.score_bits(-1.0) == 2**64 - 1
    assert geohash.score_bits(float("inf")) == 0
    assert geohash.score_bits(float("-inf")) == 2**63
    assert geohash.score_bits(2.0**63) == 2**63
    assert geohash.score_bits(2.0**64) == 0


def test_partial_sort_sorts_the_kept_range():
    rnd = random.Random(7)
    for _ in range(200):
        values = [(float(rnd.randint(0, 9)), i) for i in range(rnd.randint(1, 90))]
        keep = rnd.randint(1, len(values))
        a = list(values)
        pqsort(a, geo._cmp_asc, 0, keep - 1)
        assert sorted(a) == sorted(values)
        assert [v for v, _ in a[:keep]] == sorted(v for v, _ in values)[:keep]


# -- random point clouds ----------------------------------------------------------------------


@st.composite
def clouds(draw):
    lon = draw(st.floats(-180, 180))
    lat = draw(st.floats(-85, 85))
    spread = draw(st.sampled_from([0.0001, 0.01, 0.5, 5.0, 60.0, 180.0]))
    n = draw(st.integers(1, 40))
    points = []
    for i in range(n):
        if points and draw(st.integers(0, 9)) == 0:  # a repeated position: ties
            plon, plat = points[-1][:2]
        else:
            plon = min(180.0, max(-180.0, lon + draw(st.floats(-spread, spread))))
            plat = min(85.05112878, max(-85.05112878, lat + draw(st.floats(-spread, spread))))
        points.append((plon, plat, f"m{i}"))
    return lon, lat, spread, points


SEARCH_OPTIONS = st.lists(st.sampled_from(["WITHDIST", "WITHCOORD", "WITHHASH", "ASC", "DESC",
                                           "COUNT 1", "COUNT 3", "COUNT 10 ANY", "COUNT 2 ANY"]),
                          max_size=3)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(clouds(), st.lists(st.tuples(st.sampled_from(UNITS),
                                    st.floats(0, 1), st.floats(0.2, 2), st.booleans(),
                                    st.booleans(), SEARCH_OPTIONS, st.integers(0, 39)),
                          min_size=1, max_size=6))
def test_random_point_clouds(both, cloud, searches):
    both.r.flushall()
    both.o.flushall()
    lon, lat, spread, points = cloud
    both("GEOADD", "g", *[x for p in points for x in (repr(p[0]), repr(p[1]), p[2])])
    both("ZRANGE", "g", "0", "-1", "WITHSCORES")
    metres = spread * 111000 * 2
    for unit, scale, aspect, by_member, by_box, options, member in searches:
        size = metres * scale / {"m": 1, "km": 1000, "mi": 1609.34, "ft": 0.3048}[unit]
        source = (["FROMMEMBER", points[member % len(points)][2]] if by_member
                  else ["FROMLONLAT", repr(lon), repr(lat)])
        shape = (["BYBOX", repr(size), repr(size * aspect), unit] if by_box
                 else ["BYRADIUS", repr(size), unit])
        opts = [w for o in options for w in o.split()]
        both("GEOSEARCH", "g", *source, *shape, *opts)
        store_opts = [w for w in opts if not w.startswith("WITH")]
        both("GEOSEARCHSTORE", "d", "g", *source, *shape, *store_opts, "STOREDIST")
        both("ZRANGE", "d", "0", "-1", "WITHSCORES")
        if not by_box:
            center = ([points[member % len(points)][2]] if by_member else [repr(lon), repr(lat)])
            command = "GEORADIUSBYMEMBER" if by_member else "GEORADIUS"
            both(command, "g", *center, repr(size), unit, *opts)
