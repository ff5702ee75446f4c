"""LOLWUT: the version banner, or the computer art of Redis 5 and 6 (lolwut5.c, lolwut6.c).

`LOLWUT [VERSION v] [args...]` picks the art by `v` as Redis does: it prints v as an unsigned
32-bit number, so 5 (or 2**32 + 5) is Georg Nees's Schotter on a braille-dot canvas and 6 the
city skyline in terminal grays; anything else, and no VERSION, is the plain banner. The art is
random (Redis uses rand()), but its geometry is Redis's to the pixel: the canvas sizes and
square corners follow C's float32 arithmetic and round(), so the deterministic parts (the first
two rows of squares, every line's width, the line count) match redis-server byte for byte.
"""

from __future__ import annotations

import math
import random
import struct
from typing import Any

from node.numbers import parse_int
from node.replies import Verbatim
from node.table import command

VERSION = "7.0.15"
RAND_MAX = 2**31 - 1  # glibc's
_F32 = struct.Struct("f")


def _f32(x: float) -> float:
    """`x` rounded to a C float. Rounding the double result of one +, -, *, / of two floats
    gives the float result exactly (a double has more than twice a float's precision)."""
    return _F32.unpack(_F32.pack(x))[0]


def _c_round(x: float) -> int:
    """C's round(): halves away from zero (Python's round() goes to even)."""
    if x < 0:
        return -_c_round(-x)
    r = math.floor(x)
    return r + 1 if x - r >= 0.5 else r


def _rand() -> int:
    return random.randint(0, RAND_MAX)


# -- LOLWUT 5: Schotter --------------------------------------------------------------------------


class _DotCanvas:
    """A 1-bit canvas, sparse (a column of 200 squares at 1000 columns is 800M pixels, nearly
    all blank), rendered as braille characters of 2x4 dots."""

    # The braille bit of each dot of a 2x4 cell, by (x % 2, y % 4).
    BITS = {(0, 0): 0x01, (0, 1): 0x02, (0, 2): 0x04, (1, 0): 0x08,
            (1, 1): 0x10, (1, 2): 0x20, (0, 3): 0x40, (1, 3): 0x80}

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.cells: dict[int, dict[int, int]] = {}  # cell row -> cell column -> dot bits

    def draw_pixel(self, x: int, y: int) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            row = self.cells.setdefault(y >> 2, {})
            row[x >> 1] = row.get(x >> 1, 0) | self.BITS[x & 1, y & 3]

    def draw_line(self, x1: int, y1: int, x2: int, y2: int) -> None:
        # Bresenham, as lwDrawLine.
        dx, dy = abs(x2 - x1), abs(y2 - y1)
        sx = 1 if x1 < x2 else -1
        sy = 1 if y1 < y2 else -1
        err = dx - dy
        while True:
            self.draw_pixel(x1, y1)
            if x1 == x2 and y1 == y2:
                return
            e2 = err * 2
            if e2 > -dy:
                err -= dy
                x1 += sx
            if e2 < dx:
                err += dx
                y1 += sy

    def draw_square(self, x: int, y: int, size: float, angle: float) -> None:
        """The square of side `size` centred on x, y and turned by `angle`: its corners are
        points of the circumscribed circle, a quarter turn apart (lwDrawSquare)."""
        size = _f32(_c_round(_f32(size / 1.4142135623)))
        k = _f32(math.pi / 4 + angle)
        corners = []
        for _ in range(4):
            corners.append((_c_round(math.sin(k) * size + x), _c_round(math.cos(k) * size + y)))
            k = _f32(k + math.pi / 2)
        for j in range(4):
            self.draw_line(*corners[j], *corners[(j + 1) % 4])

    def render(self) -> str:
        blank = "\u2800" * ((self.width + 1) // 2)
        lines = []
        for cy, y in enumerate(range(0, self.height, 4)):
            row = self.cells.get(cy)
            if row is None:
                line = blank
            else:
                codes = [0x2800] * len(blank)
                for cx, bits in row.items():
                    codes[cx] |= bits
                line = "".join(map(chr, codes))
            # (Redis ends every line with a newline but one that starts on the last pixel row.)
            lines.append(line if y == self.height - 1 else line + "\n")
        return "".join(lines)


def schotter(cols: int, per_row: int, per_col: int) -> str:
    """Georg Nees's Schotter, `cols` characters wide: squares more and more displaced and
    turned from the third row down (lwDrawSchotter, in C float arithmetic)."""
    width = cols * 2
    padding = 2 if width > 4 else 0
    side = _f32((width - padding * 2) / per_row)
    canvas = _DotCanvas(width, int(_f32(_f32(side * per_col) + padding * 2)))
    half = _f32(side / 2)
    for y in range(per_col):
        for x in range(per_row):
            sx = int(_f32(_f32(_f32(x * side) + half) + padding))
            sy = int(_f32(_f32(_f32(y * side) + half) + padding))
            angle = 0.0
            if y > 1:
                r1, r2, r3 = (_f32(_f32(_f32(_f32(_rand()) / _f32(RAND_MAX)) / per_col) * y)
                              for _ in range(3))
                if _rand() % 2:
                    r1 = -r1
                if _rand() % 2:
                    r2 = -r2
                if _rand() % 2:
                    r3 = -r3
                angle = r1
                sx = int(_f32(sx + _f32(_f32(r2 * side) / 3)))
                sy = int(_f32(sy + _f32(_f32(r3 * side) / 3)))
            canvas.draw_square(sx, sy, side, angle)
    return canvas.render()


def _sizes(args: list[bytes], defaults: tuple[int, ...]) -> list[int]:
    """The optional size arguments, in order, each given or else its default (any past
    them are ignored, as Redis does)."""
    return [parse_int(a) for a in args[:len(defaults)]] + list(defaults[len(args):])


def lolwut5(args: list[bytes]) -> bytes:
    """LOLWUT VERSION 5 [columns [squares_per_row [squares_per_col]]]: 66 8 12 by default."""
    cols, per_row, per_col = _sizes(args, (66, 8, 12))
    # Redis's limits, which keep it cheap (mostly).
    cols = min(max(cols, 1), 1000)
    per_row = min(max(per_row, 1), 200)
    per_col = min(max(per_col, 1), 200)
    art = schotter(cols, per_row, per_col)
    return (f"{art}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. {VERSION}\n"
            .encode())


# -- LOLWUT 6: the skyline -----------------------------------------------------------------------

# The four grays of a color terminal, foreground and background, black to white.
_GRAYS = [b"\033[%s \033[0m" % c for c in (b"0;30;40m", b"0;90;100m", b"0;37;47m", b"0;97;107m")]


def _skyscraper(canvas: list[bytearray], xoff: int, width: int, height: int, color: int,
                windows: bool) -> None:
    """One building standing on the bottom row, its roof two pixels narrower on each side;
    windows, two pixels wide and one tall, lit in one of the two grays (generateSkyscraper)."""
    cols = len(canvas[0])
    start = len(canvas) - 1
    end = start - height + 1
    for y in range(start, max(end, 0) - 1, -1):  # bottom up, as Redis draws (and rands)
        left, right = xoff, xoff + width  # [left, right)
        if y == end:
            left, right = xoff + 2, xoff + width - 2
        lo, hi = max(left, 0), min(right, cols)
        if lo < hi:
            canvas[y][lo:hi] = bytes([color]) * (hi - lo)
        if not windows or not end + 1 < y < start - 1:
            continue
        rely = y - (end + 1)
        if not rely % 2:
            continue
        row = canvas[y]
        for x in range(xoff + 2, xoff + width - 2):
            relx = x - (xoff + 1)
            if not (relx // 2) % 2:
                continue
            lit = 1 + _rand() % 2
            while lit == color:
                lit = 1 + _rand() % 2
            if relx % 2:  # the window's second pixel: the same as its first
                lit = row[x - 1] if 0 <= x - 1 < cols else 0
            if 0 <= x < cols:
                row[x] = lit


def skyline(cols: int, rows: int) -> str:
    """The city of 8 bit games' parallax backgrounds: two layers of window-less buildings in
    the grays, the lighter behind, then black ones with windows (generateSkyline)."""
    canvas = [bytearray([3]) * cols for _ in range(rows)]
    for color in (2, 1):
        offset = -10
        while offset < cols:
            offset += _rand() % 8
            width = 10 + _rand() % 9
            if color == 2:
                height = rows // 2 + (_rand() % rows) // 2
            else:
                height = rows // 2 + (_rand() % rows) // 3
            _skyscraper(canvas, offset, width, height, color, False)
            offset += width // 2 if color == 2 else width + 1
    offset = -10
    while offset < cols:
        offset += _rand() % 8
        width = 5 + _rand() % 14
        if width % 4:
            width += width % 3
        height = rows // 3 + (_rand() % rows) // 2
        _skyscraper(canvas, offset, width, height, 0, True)
        offset += width + 5
    return b"\n".join(b"".join(map(_GRAYS.__getitem__, row)) for row in canvas).decode()


def lolwut6(args: list[bytes]) -> bytes:
    """LOLWUT VERSION 6 [columns [rows]]: 80 by 20 by default."""
    cols, rows = _sizes(args, (80, 20))
    cols = min(max(cols, 1), 1000)
    rows = min(max(rows, 1), 1000)
    return (f"{skyline(cols, rows)}\nDedicated to the 8 bit game developers of past and present.\n"
            f"Original 8 bit image from Plaguemon by hikikomori. Redis ver. {VERSION}\n").encode()


@command("lolwut", -1, "readonly fast", group="server", since="5.0.0", complexity="",
         summary="Display some computer art and the Redis version")
def lolwut(ctx: Any, argv: list[bytes]) -> Any:
    args = argv[1:]
    version = VERSION
    if len(argv) >= 3 and argv[1].lower() == b"version":
        # Redis prints the number with %u: only its low 32 bits choose.
        version = f"{parse_int(argv[2]) & 0xFFFFFFFF}.0.0"
        args = argv[3:]
    if version.startswith("5.") and version[2] != "9" or version.startswith("4.9"):
        return Verbatim(lolwut5(args))
    if version.startswith("6.") and version[2] != "9" or version.startswith("5.9"):
        return Verbatim(lolwut6(args))
    return Verbatim(f"Redis ver. {VERSION}\n".encode())
