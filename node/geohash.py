"""Geohash math, bit for bit as Redis's geohash.c and geohash_helper.c.

A position is encoded as a 52-bit integer: longitude and latitude are each scaled to a 26-bit
cell number (latitude over Web Mercator's -85.05112878..85.05112878, not -90..90) and their
bits are interleaved, longitude in the odd positions. That integer, as a double, is the score
of a geo member in its sorted set; decoding gives the centre of the member's cell, which is
why GEOPOS does not return exactly what GEOADD stored.

A radius or box search (`search_areas`) picks a step (cell size) from the radius, takes the
cell holding the centre and its eight neighbours, drops the neighbours the search area cannot
reach, and the caller scans each remaining cell as a score range, filtering by distance. All
arithmetic is IEEE double and Python's `math` calls the same C library functions, so results
match Redis's digit for digit.
"""

from __future__ import annotations

import math
from typing import NamedTuple

STEP_MAX = 26  # GEO_STEP_MAX: 26 bits per coordinate, 52 in all
LAT_MIN, LAT_MAX = -85.05112878, 85.05112878
LONG_MIN, LONG_MAX = -180.0, 180.0
EARTH_RADIUS = 6372797.560856  # metres: the quadratic mean radius Redis uses
MERCATOR_MAX = 20037726.37
_D_R = math.pi / 180.0
_U64 = (1 << 64) - 1


class Area(NamedTuple):
    long_min: float
    long_max: float
    lat_min: float
    lat_max: float


class Shape(NamedTuple):
    """The search area: a circle (`height` is None) of radius `width`, or a `width` x `height`
    box, centred on (lon, lat); sizes in the unit `conversion` converts to metres."""

    lon: float
    lat: float
    width: float
    height: float | None
    conversion: float


# -- bit interleaving (geohash.c) ---------------------------------------------------------------

_SPREAD = ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F),
           (2, 0x3333333333333333), (1, 0x5555555555555555))
_SQUASH = ((0, 0x5555555555555555), (1, 0x3333333333333333), (2, 0x0F0F0F0F0F0F0F0F),
           (4, 0x00FF00FF00FF00FF), (8, 0x0000FFFF0000FFFF), (16, 0x00000000FFFFFFFF))


def interleave(lat_cell: int, long_cell: int) -> int:
    """interleave64: latitude bits in the even positions, longitude bits in the odd ones."""
    x, y = lat_cell, long_cell
    for shift, mask in _SPREAD:
        x = (x | (x << shift)) & mask
        y = (y | (y << shift)) & mask
    return x | (y << 1)


def deinterleave(bits: int) -> tuple[int, int]:
    """deinterleave64: (latitude cell, longitude cell) of 64 interleaved bits."""
    x, y = bits, bits >> 1
    for shift, mask in _SQUASH:
        x = (x | (x >> shift)) & mask
        y = (y | (y >> shift)) & mask
    return x, y


def encode(lon: float, lat: float, step: int, long_range: tuple[float, float] = (LONG_MIN, LONG_MAX),
           lat_range: tuple[float, float] = (LAT_MIN, LAT_MAX)) -> int | None:
    """geohashEncode: the `step`-bit cells of a position, interleaved; None out of range."""
    if step > 32 or step == 0:
        return None
    if lon > LONG_MAX or lon < LONG_MIN or lat > LAT_MAX or lat < LAT_MIN:
        return None
    if lat < lat_range[0] or lat > lat_range[1] or lon < long_range[0] or lon > long_range[1]:
        return None
    lat_offset = (lat - lat_range[0]) / (lat_range[1] - lat_range[0])
    long_offset = (lon - long_range[0]) / (long_range[1] - long_range[0])
    scale = float(1 << step)
    # C converts the scaled offsets to uint32_t: truncation.
    return interleave(int(lat_offset * scale), int(long_offset * scale))


def decode(bits: int, step: int) -> Area:
    """geohashDecode over the WGS84 ranges: the cell `bits` names at `step`."""
    ilat, ilong = deinterleave(bits)
    cells = float(1 << step)
    lat_scale = LAT_MAX - LAT_MIN
    long_scale = LONG_MAX - LONG_MIN
    # The +1 is uint32_t arithmetic in C, so it wraps (only for scores no GEOADD produced).
    return Area(
        LONG_MIN + (ilong * 1.0 / cells) * long_scale,
        LONG_MIN + (((ilong + 1) & 0xFFFFFFFF) * 1.0 / cells) * long_scale,
        LAT_MIN + (ilat * 1.0 / cells) * lat_scale,
        LAT_MIN + (((ilat + 1) & 0xFFFFFFFF) * 1.0 / cells) * lat_scale,
    )


def score_bits(score: float) -> int:
    """(uint64_t)score as x86-64 code computes it, including for scores no GEOADD produced:
    negative ones wrap, ones beyond the integer range give the "indefinite" value."""
    if score < 9223372036854775808.0:
        if score <= -9223372036854775809.0 or score != score:
            return 1 << 63
        return int(score) & _U64
    if score >= 18446744073709551616.0:  # inf too
        return 0
    return int(score)


_CELLS = float(1 << STEP_MAX)
_LAT_SCALE = LAT_MAX - LAT_MIN
_LONG_SCALE = LONG_MAX - LONG_MIN


def decode_score(score: float) -> tuple[float, float]:
    """decodeGeohash: the (longitude, latitude) of a member's score, the centre of its cell.

    `decode` at step 26 and the midpoint, inlined: searches call this for every candidate.
    """
    bits = int(score) if 0.0 <= score < 4503599627370496.0 else score_bits(score)
    ilat, ilong = deinterleave(bits)
    lon = ((LONG_MIN + (ilong / _CELLS) * _LONG_SCALE)
           + (LONG_MIN + (((ilong + 1) & 0xFFFFFFFF) / _CELLS) * _LONG_SCALE)) / 2
    lat = ((LAT_MIN + (ilat / _CELLS) * _LAT_SCALE)
           + (LAT_MIN + (((ilat + 1) & 0xFFFFFFFF) / _CELLS) * _LAT_SCALE)) / 2
    if lon > LONG_MAX:
        lon = LONG_MAX
    elif lon < LONG_MIN:
        lon = LONG_MIN
    if lat > LAT_MAX:
        lat = LAT_MAX
    elif lat < LAT_MIN:
        lat = LAT_MIN
    return lon, lat


def encode_score(lon: float, lat: float) -> int:
    """The 52-bit score GEOADD stores for a valid position."""
    bits = encode(lon, lat, STEP_MAX)
    assert bits is not None
    return bits


_ALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"


def geohash_string(score: float) -> bytes:
    """GEOHASH's 11 characters: the position re-encoded over the standard -90..90 latitude."""
    lon, lat = decode_score(score)
    bits = encode(lon, lat, STEP_MAX, (-180.0, 180.0), (-90.0, 90.0)) or 0
    # 52 bits make ten characters; the eleventh is always '0', as in Redis.
    return bytes(_ALPHABET[(bits >> (52 - (i + 1) * 5)) & 0x1F] for i in range(10)) + b"0"


# -- neighbours -------------------------------------------------------------------------------

_EVEN = 0x5555555555555555
_ODD = 0xAAAAAAAAAAAAAAAA


def _move_x(bits: int, step: int, d: int) -> int:
    x = bits & _ODD
    y = bits & _EVEN
    zz = _EVEN >> (64 - step * 2)
    if d > 0:
        x = x + (zz + 1)
    else:
        x = (x | zz) - (zz + 1)
    x &= _ODD >> (64 - step * 2)
    return (x | y) & _U64


def _move_y(bits: int, step: int, d: int) -> int:
    x = bits & _ODD
    y = bits & _EVEN
    zz = _ODD >> (64 - step * 2)
    if d > 0:
        y = y + (zz + 1)
    else:
        y = (y | zz) - (zz + 1)
    y &= _EVEN >> (64 - step * 2)
    return (x | y) & _U64


# The eight neighbours as (x move, y move), in the order Redis scans them after the centre:
# north, south, east, west, north east, north west, south east, south west.
_AROUND = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))


def neighbors(bits: int, step: int) -> list[int]:
    """geohashNeighbors, in `_AROUND` order."""
    out = []
    for dx, dy in _AROUND:
        b = _move_x(bits, step, dx) if dx else bits
        out.append(_move_y(b, step, dy) if dy else b)
    return out


# -- search areas (geohash_helper.c) ------------------------------------------------------------


def estimate_steps(range_meters: float, lat: float) -> int:
    """geohashEstimateStepsByRadius: the step whose cells are about the search size."""
    if range_meters == 0:
        return 26
    step = 1
    while range_meters < MERCATOR_MAX:
        range_meters *= 2
        step += 1
    step -= 2  # make sure the range is included in most of the base cases
    # Meridians converge towards the poles: use bigger cells there.
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    return min(max(step, 1), 26)


def _cos(x: float) -> float:
    # C's cos of an infinity is NaN (a search size of infinite metres), where Python raises.
    return math.cos(x) if math.isfinite(x) else math.nan


def bounding_box(shape: Shape) -> tuple[float, float, float, float]:
    """geohashBoundingBox: (min lon, min lat, max lon, max lat) around the search area."""
    lon, lat = shape.lon, shape.lat
    if shape.height is None:
        height = width = shape.conversion * shape.width
    else:
        height = shape.conversion * (shape.height / 2)
        width = shape.conversion * (shape.width / 2)
    lat_delta = (height / EARTH_RADIUS) / _D_R
    long_delta_top = (width / EARTH_RADIUS / _cos((lat + lat_delta) * _D_R)) / _D_R
    long_delta_bottom = (width / EARTH_RADIUS / _cos((lat - lat_delta) * _D_R)) / _D_R
    # The box is widest at the edge nearer the pole.
    delta = long_delta_bottom if lat < 0 else long_delta_top
    return lon - delta, lat - lat_delta, lon + delta, lat + lat_delta


def search_areas(shape: Shape) -> tuple[int, list[tuple[int, int]]]:
    """geohashCalculateAreasByShapeWGS84: the step and the nine (bits, step) cells to scan,
    the centre first; a cell the search cannot reach is (0, 0)."""
    min_lon, min_lat, max_lon, max_lat = bounding_box(shape)
    if shape.height is None:
        radius = shape.width
    else:
        radius = math.sqrt((shape.width / 2) * (shape.width / 2)
                           + (shape.height / 2) * (shape.height / 2))
    radius *= shape.conversion
    steps = estimate_steps(radius, shape.lat)
    bits = encode(shape.lon, shape.lat, steps)
    around = neighbors(bits, steps)
    # If the area pokes out of the 3x3 cells, use cells twice as big.
    north, south, east, west = (decode(b, steps) for b in around[:4])
    if steps > 1 and (north.lat_max < max_lat or south.lat_min > min_lat
                      or east.long_max < max_lon or west.long_min > min_lon):
        steps -= 1
        bits = encode(shape.lon, shape.lat, steps)
        around = neighbors(bits, steps)
    cells = [(bits, steps)] + [(b, steps) for b in around]
    if steps >= 2:
        area = decode(bits, steps)
        drop = set()
        # indexes into `cells`: 1 N, 2 S, 3 E, 4 W, 5 NE, 6 NW, 7 SE, 8 SW
        if area.lat_min < min_lat:
            drop.update((2, 8, 7))
        if area.lat_max > max_lat:
            drop.update((1, 5, 6))
        if area.long_min < min_lon:
            drop.update((4, 8, 6))
        if area.long_max > max_lon:
            drop.update((3, 7, 5))
        for i in drop:
            cells[i] = (0, 0)
    return steps, cells


def score_range(bits: int, step: int) -> tuple[int, int]:
    """scoresOfGeoHashBox: the scores [min, max) of the 52-bit cells inside a cell."""
    shift = 52 - step * 2
    return bits << shift, (bits + 1) << shift


# -- distances --------------------------------------------------------------------------------


def lat_distance(lat1: float, lat2: float) -> float:
    """geohashGetLatDistance: the distance along a meridian, in metres."""
    return EARTH_RADIUS * abs(lat2 * _D_R - lat1 * _D_R)


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """geohashGetDistance: haversine great-circle distance in metres (on one meridian, the
    simpler meridian distance, as Redis 7.0.15 computes it)."""
    lon1r = lon1 * _D_R
    lon2r = lon2 * _D_R
    v = math.sin((lon2r - lon1r) / 2)
    if v == 0.0:
        return lat_distance(lat1, lat2)
    lat1r = lat1 * _D_R
    lat2r = lat2 * _D_R
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    return 2.0 * EARTH_RADIUS * math.asin(math.sqrt(a))


def distance_in_shape(shape: Shape, lon: float, lat: float) -> float | None:
    """The distance in metres from the shape's centre to a point inside it, None outside
    (geoAppendIfWithinShape's test)."""
    conv = shape.conversion
    if shape.height is None:
        d = distance(shape.lon, shape.lat, lon, lat)
        return None if d > shape.width * conv else d
    if lat_distance(lat, shape.lat) > shape.height * conv / 2:
        return None
    if distance(lon, lat, shape.lon, lat) > shape.width * conv / 2:
        return None
    return distance(shape.lon, shape.lat, lon, lat)
