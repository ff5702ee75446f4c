"""The `struct` library Redis bundles (deps/lua/src/lua_struct.c: Roberto Ierusalimschy's
struct 0.2 with Redis's fixes): struct.pack, struct.unpack and struct.size, as redis-server
7.0.15 on x86-64 Linux answers them.

A format is a C string (it ends at its first NUL) of options: `<` and `>` set the byte order
(little-endian is native), `!n` the largest alignment (`!` alone is 8, a double's), `x` a zero
byte, `b B h H l L T` and `i I` with an optional size (1, 2, 8, 8, 4 and up to 32 bytes;
lower case signed), `f` and `d` floats, `cN` N bytes of a string (`c0`: all of it when packing,
as many as the value just unpacked when unpacking), `s` a zero-terminated string, and spaces.

The C's machine shows through, so it is imitated here: integers travel in a 64-bit unsigned
long, converted from the Lua double as gcc compiles the cast for x86-64 (fractions cut toward
zero; NaN and what lies below -2^63 give 2^63's bits, 2^64 and beyond give 0), so sizes past
8 bytes pack zeros beyond the low 8 and unpack only the low 8 with a sign mask whose shift
count wraps at 64; positions are size_t arithmetic; a result past Lua's C-stack limit is
"too many results".
"""

from __future__ import annotations

import math
import struct as _struct
from typing import Any

from node.lualibs import (
    MAX_C_STACK, LuaRaise, check_number, check_string, opt_integer, to_number,
)

_MASK = (1 << 64) - 1
_LONG_MIN = -(1 << 63)
_TWO63 = 2.0 ** 63
_INT_MAX = (1 << 31) - 1
_MAXINTSIZE = 32  # lua_struct.c's limit on `iN`
_MAXALIGN = 8  # what `!` alone sets: a double's alignment

# Sizes of the options whose size is fixed (char, short, long, size_t, float, double).
_SIZES = {ord("b"): 1, ord("B"): 1, ord("h"): 2, ord("H"): 2, ord("l"): 8, ord("L"): 8,
          ord("T"): 8, ord("f"): 4, ord("d"): 8, ord("x"): 1}
_INTEGERS = frozenset(b"bBhHlLTiI")
_SIGNED = frozenset(b"bhli")
_C, _S, _X, _F, _D = (ord(c) for c in "csxfd")


def library(lua: Any) -> dict[bytes, Any]:
    """The functions in luaL_register's order (pairs() walks them as Redis's table)."""
    return {b"pack": pack, b"unpack": unpack, b"size": size}


def pack(*args: Any) -> bytes:
    """struct.pack(fmt, ...): the values laid out as the format says."""
    fmt = _Format(check_string(args, 1, "pack"))
    # b_pack pushes a nil above its arguments: the first missing value is "got nil", and
    # the error stops it before any further one.
    values = args + (None,)
    arg = 2
    out = bytearray()
    while fmt.more():
        opt = fmt.next()
        size = fmt.optsize(opt)
        out += bytes(_toalign(len(out), fmt.align, opt, size))
        if opt in _INTEGERS:
            raw = _unsigned(check_number(values, arg, "pack")).to_bytes(8, "little")
            raw = raw[:size] + bytes(size - 8) if size > 8 else raw[:size]
            out += raw if fmt.little else raw[::-1]
            arg += 1
        elif opt == _X:
            out.append(0)
        elif opt == _F:
            out += _pack_float(check_number(values, arg, "pack"), fmt.little)
            arg += 1
        elif opt == _D:
            out += _struct.pack("<d" if fmt.little else ">d",
                                float(check_number(values, arg, "pack")))
            arg += 1
        elif opt in (_C, _S):
            s = check_string(values, arg, "pack")
            arg += 1
            if size == 0:
                size = len(s)
            if len(s) < size:
                # (the C checks after counting the argument: the message names the next one)
                raise _arg_error(arg, "pack", b"string too short")
            out += s[:size]
            if opt == _S:
                out.append(0)
        else:
            fmt.control(opt, "pack")
    return bytes(out)


def unpack(*args: Any) -> tuple:
    """struct.unpack(fmt, s [, init]): the values read from `s` from position `init`, then
    the position after them."""
    fmt = _Format(check_string(args, 1, "unpack"))
    data = check_string(args, 2, "unpack")
    ld = len(data)
    pos = opt_integer(args, 3, "unpack", 1) & _MASK  # (size_t: a negative init passes)
    if pos == 0:
        raise _arg_error(3, "unpack", b"offset must be 1 or greater")
    pos -= 1
    room = MAX_C_STACK - 2 - len(args)  # results that fit beside the arguments and one more
    out: list[Any] = []
    while fmt.more():
        opt = fmt.next()
        size = fmt.optsize(opt)
        pos = (pos + _toalign(pos, fmt.align, opt, size)) & _MASK
        if size > ld or pos > ld - size:
            raise _arg_error(2, "unpack", b"data string too short")
        if len(out) > room:
            raise LuaRaise(b"stack overflow (too many results)")
        if opt in _INTEGERS:
            out.append(_integer(data[pos:pos + size], fmt.little, opt in _SIGNED))
        elif opt == _F:
            out.append(_struct.unpack("<f" if fmt.little else ">f", data[pos:pos + 4])[0])
        elif opt == _D:
            out.append(_struct.unpack("<d" if fmt.little else ">d", data[pos:pos + 8])[0])
        elif opt == _C:
            if size == 0:
                # The length is the value just read (popped): a number, or a string that
                # reads as one.
                length = to_number(out[-1]) if out else None
                if length is None:
                    raise LuaRaise(b"format 'c0' needs a previous size")
                out.pop()
                size = _unsigned(length)
                if size > ld or pos > ld - size:
                    raise _arg_error(2, "unpack", b"data string too short")
            out.append(data[pos:pos + size])
        elif opt == _S:
            end = data.find(b"\0", pos)
            if end < 0:
                raise LuaRaise(b"unfinished string in data")
            out.append(data[pos:end])
            size = end - pos + 1
        elif opt != _X:
            fmt.control(opt, "unpack")
        pos = (pos + size) & _MASK
    out.append(float(_signed(pos + 1)))  # lua_pushinteger of a size_t
    return tuple(out)


def size(*args: Any) -> float:
    """struct.size(fmt): how many bytes struct.pack(fmt, ...) makes."""
    fmt = _Format(check_string(args, 1, "size"))
    pos = 0
    while fmt.more():
        opt = fmt.next()
        width = fmt.optsize(opt)
        pos += _toalign(pos, fmt.align, opt, width)
        if opt == _S:
            raise _arg_error(1, "size", b"option 's' has no fixed size")
        if opt == _C and width == 0:
            raise _arg_error(1, "size", b"option 'c0' has no fixed size")
        # Letters and digits that are no option count for nothing here (b_size only hands
        # the others to controloptions, which refuses what it does not know).
        if not bytes((opt,)).isalnum():
            fmt.control(opt, "size")
        pos += width
    return float(_signed(pos))


class _Format:
    """A format being read (as a C string) and its Header: byte order and alignment."""

    __slots__ = ("fmt", "at", "little", "align")

    def __init__(self, fmt: bytes) -> None:
        end = fmt.find(b"\0")
        self.fmt = fmt if end < 0 else fmt[:end]
        self.at = 0
        self.little = True
        self.align = 1

    def more(self) -> bool:
        return self.at < len(self.fmt)

    def next(self) -> int:
        self.at += 1
        return self.fmt[self.at - 1]

    def number(self, default: int) -> int:
        """getnum: the digits that follow, if any, as a C int."""
        fmt, at = self.fmt, self.at
        if at >= len(fmt) or not 48 <= fmt[at] <= 57:
            return default
        a = 0
        while at < len(fmt) and 48 <= fmt[at] <= 57:
            digit = fmt[at] - 48
            if a > _INT_MAX // 10 or a * 10 > _INT_MAX - digit:
                raise LuaRaise(b"integral size overflow")
            a = a * 10 + digit
            at += 1
        self.at = at
        return a

    def optsize(self, opt: int) -> int:
        """The size of an option, reading its digits (0 for those that take no room)."""
        fixed = _SIZES.get(opt)
        if fixed is not None:
            return fixed
        if opt == _C:
            return self.number(1)
        if opt in (0x69, 0x49):  # i, I
            n = self.number(4)
            if n > _MAXINTSIZE:
                raise LuaRaise(b"integral size %d is larger than limit of %d" % (n, _MAXINTSIZE))
            return n
        return 0

    def control(self, opt: int, fname: str) -> None:
        """controloptions: spaces, byte order, alignment; anything else is refused."""
        if opt == 0x20:
            return
        if opt == 0x3E:  # >
            self.little = False
        elif opt == 0x3C:  # <
            self.little = True
        elif opt == 0x21:  # !
            a = self.number(_MAXALIGN)
            if a <= 0 or a & (a - 1):
                raise LuaRaise(b"alignment %d is not a power of 2" % a)
            self.align = a
        else:
            raise _arg_error(1, fname, b"invalid format option '%c'" % opt)


def _toalign(length: int, align: int, opt: int, size: int) -> int:
    """gettoalign: padding before an item of `size` bytes at `length`, its alignment capped
    by the format's (the C's arithmetic, also for sizes that are no power of 2)."""
    if size == 0 or opt == _C:
        return 0
    if size > align:
        size = align
    return (size - (length & (size - 1))) & (size - 1)


def _trunc(x: float) -> int:
    """(long)x on x86-64 (cvttsd2si): toward zero, and LONG_MIN for NaN or out of range."""
    if -_TWO63 <= x < _TWO63:
        return int(x)
    return _LONG_MIN


def _unsigned(x: float) -> int:
    """(unsigned long)x as gcc compiles it for x86-64: from 2^63 on, 2^63 is taken off before
    the signed conversion and put back after, so 2^64 and beyond (and +inf) give 0; below,
    the signed conversion, wrapped. This is also what (unsigned long)(long)x gives, which
    putinteger uses for negative numbers."""
    x = float(x)
    if x >= _TWO63:
        return (_trunc(x - _TWO63) ^ (1 << 63)) & _MASK
    return _trunc(x) & _MASK


def _signed(value: int) -> int:
    """A size_t's bits as a signed 64-bit integer."""
    value &= _MASK
    return value - (1 << 64) if value >> 63 else value


def _integer(raw: bytes, little: bool, signed: bool) -> float:
    """getinteger: the bytes read into a 64-bit accumulator, which keeps the low 8; a signed
    one then ORs in the sign mask ~0 << (size*8 - 1), the shift count wrapping at 64 as the
    x86-64 shift instruction does."""
    n = len(raw)
    value = int.from_bytes(raw[:8], "little") if little else int.from_bytes(raw[-8:], "big")
    if signed:
        mask = (_MASK << ((n * 8 - 1) & 63)) & _MASK
        if value & mask:
            value |= mask
        return float(_signed(value))
    return float(value)


def _pack_float(n: float, little: bool) -> bytes:
    """(float)n's bytes: rounded, and past float's range infinite (where Python refuses)."""
    fmt = "<f" if little else ">f"
    n = float(n)
    try:
        return _struct.pack(fmt, n)
    except OverflowError:
        return _struct.pack(fmt, math.copysign(math.inf, n))


def _arg_error(n: int, fname: str, message: bytes) -> LuaRaise:
    """luaL_argerror's error."""
    return LuaRaise(b"bad argument #%d to '%s' (%b)" % (n, fname.encode(), message))
