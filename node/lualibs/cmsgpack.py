"""lua-cmsgpack 0.4.0, the `cmsgpack` library Redis bundles (deps/lua/src/lua_cmsgpack.c):
Lua values to MessagePack (`pack`) and MessagePack streams back to Lua values (`unpack`,
`unpack_one`, `unpack_limit`), byte for byte and error for error as Redis 7.0 on x86-64.

What the C decides, kept here:
- Numbers: an integral value in [-2**63, 2**63) is an integer, in the narrowest of fixint,
  uint8..64 (non-negative) or int8..64; any other is a float32 when `(double)(float)n == n`
  (so infinities are float32), else a float64 (NaN, 2**63, 0.1).
- Strings: fixstr, str8, str16, str32 by length. Functions, userdata and threads are nil.
- Tables: an array when their keys are exactly 1..n (n = 0 included: `{}` is an empty
  array), else a map in the table's own `next` order. A table 16 levels deep
  (LUACMSGPACK_MAX_NESTING) is nil: cycles end there.
- Decoding knows no bin, ext or fixext (they are "Bad data format"); uint64 is read as a
  signed int64, every number as a double; array elements are set at 1..n, nils included (holes).
- The C keeps each decoded value on the Lua stack, which holds LUAI_MAXCSTACK (8000) slots:
  `Depth` counts them as the C pushes and pops, so the same inputs hit the same
  "stack overflow (...)" errors.
"""

from __future__ import annotations

import struct
from typing import Any

import lupa.lua51 as lua51

from node.lualibs import (
    MAX_C_STACK, LuaRaise, check_integer, check_string, opt_integer, table_pairs,
)

NESTING = 16  # LUACMSGPACK_MAX_NESTING

_INT64 = 1 << 63
_EXACT = 1 << 53  # integers past this are handed to Lua as the double they become

_EOF = b"Missing bytes in input."
_BADFMT = b"Bad data format in input."
_TOO_MANY = b"too many return values at once; use unpack_one or unpack_limit instead."

_FLOAT, _DOUBLE = struct.Struct(">f"), struct.Struct(">d")
_U8, _U16, _U32, _U64 = (struct.Struct(f) for f in (">B", ">H", ">I", ">Q"))
_I8, _I16, _I32, _I64 = (struct.Struct(f) for f in (">b", ">h", ">i", ">q"))

# The first bytes of fixed-size values: (reader, size).
_FIXED = {0xcc: (_U8, 2), 0xcd: (_U16, 3), 0xce: (_U32, 5), 0xcf: (_U64, 9),
          0xd0: (_I8, 2), 0xd1: (_I16, 3), 0xd2: (_I32, 5), 0xd3: (_I64, 9),
          0xca: (_FLOAT, 5), 0xcb: (_DOUBLE, 9)}
_LITERALS = {0xc0: None, 0xc2: False, 0xc3: True}
# str8/16/32, array16/32, map16/32: the size of their length field.
_SIZED = {0xd9: _U8, 0xda: _U16, 0xdb: _U32, 0xdc: _U16, 0xdd: _U32, 0xde: _U16, 0xdf: _U32}

class Depth:
    """The C function's Lua stack: how many slots are in use, and luaL_checkstack."""

    __slots__ = ("used",)

    def __init__(self, used: int) -> None:
        self.used = used

    def check(self, space: int, message: bytes) -> None:
        if self.used + space > MAX_C_STACK:
            raise LuaRaise(b"stack overflow (%b)" % message)


def library(lua: Any) -> dict[bytes, Any]:
    """The `cmsgpack` table, in the order luaopen_cmsgpack fills it (its `pairs` order)."""
    pairs = table_pairs(lua)
    new_table = lua.table

    def pack(*args: Any) -> bytes:
        nargs = len(args)
        if not nargs:
            raise LuaRaise(b"bad argument #0 to 'pack' (MessagePack pack needs input.)")
        if nargs + nargs > MAX_C_STACK:  # lua_checkstack(L, nargs)
            raise LuaRaise(b"bad argument #0 to 'pack' (Too many arguments for MessagePack "
                           b"pack.)")
        out = bytearray()
        for i, value in enumerate(args):
            # On the stack: the arguments, the strings packed so far, this argument's copy.
            encode(out, value, 0, Depth(nargs + i + 1))
        return bytes(out)

    def encode(out: bytearray, value: Any, level: int, depth: Depth) -> None:
        """mp_encode_lua_type of `value`, the top of the stack at `depth`."""
        cls = value.__class__
        if cls is bytes:
            encode_string(out, value)
        elif cls is bool:
            out.append(0xc3 if value else 0xc2)
        elif cls is int or cls is float:
            encode_number(out, value)
        elif level < NESTING and lua51.lua_type(value) == "table":
            encode_table(out, value, level, depth)
        else:
            out.append(0xc0)

    def encode_table(out: bytearray, table: Any, level: int, depth: Depth) -> None:
        depth.check(2, b"in function table_is_an_array")
        items = pairs(table)
        used = depth.used
        if is_array(items):
            depth.check(1, b"in function mp_encode_lua_table_as_array")
            encode_header(out, len(items), 0x90, 0xdc, 0xdd)
            values = dict(items)
            depth.used = used + 1  # t[j]
            for j in range(1, len(items) + 1):
                encode(out, values[j], level + 1, depth)
        else:
            depth.check(3, b"in function mp_encode_lua_table_as_map")
            encode_header(out, len(items), 0x80, 0xde, 0xdf)
            for key, value in items:
                depth.used = used + 3  # key, value, and the key's copy being encoded
                encode(out, key, level + 1, depth)
                depth.used = used + 2
                encode(out, value, level + 1, depth)
        depth.used = used

    return {b"pack": pack, b"unpack": lambda *args: unpack(new_table, args),
            b"unpack_one": lambda *args: unpack_one(new_table, args),
            b"unpack_limit": lambda *args: unpack_limit(new_table, args),
            b"_NAME": b"cmsgpack", b"_VERSION": b"lua-cmsgpack 0.4.0",
            b"_COPYRIGHT": b"Copyright (C) 2012, Salvatore Sanfilippo",
            b"_DESCRIPTION": b"MessagePack C implementation for Lua"}


def is_array(items: list[tuple[Any, Any]]) -> bool:
    """table_is_an_array: every key a number that is an int (C's 32-bit int) above 0, as
    many as the largest."""
    top = 0
    for key, _ in items:
        cls = key.__class__
        if not (cls is int or cls is float) or not 0 < key <= 0x7fffffff or key != int(key):
            return False
        top = max(top, int(key))
    return top == len(items)


def encode_number(out: bytearray, n: float) -> None:
    """mp_encode_lua_number: integers as mp_encode_int, the rest as mp_encode_double."""
    if n == n and -_INT64 <= n < _INT64 and (n.__class__ is int or n.is_integer()):
        encode_int(out, int(n))
        return
    d = float(n)
    try:
        single = _FLOAT.pack(d)
    except OverflowError:  # beyond float's range: (float)d is an infinity d is not
        single = None
    if single is not None and _FLOAT.unpack(single)[0] == d:
        out += b"\xca" + single
    else:
        out += b"\xcb" + _DOUBLE.pack(d)


def encode_int(out: bytearray, n: int) -> None:
    if n >= 0:
        if n <= 0x7f:
            out.append(n)
        elif n <= 0xff:
            out += b"\xcc" + _U8.pack(n)
        elif n <= 0xffff:
            out += b"\xcd" + _U16.pack(n)
        elif n <= 0xffffffff:
            out += b"\xce" + _U32.pack(n)
        else:
            out += b"\xcf" + _U64.pack(n)
    elif n >= -32:
        out.append(n & 0xff)
    elif n >= -0x80:
        out += b"\xd0" + _I8.pack(n)
    elif n >= -0x8000:
        out += b"\xd1" + _I16.pack(n)
    elif n >= -0x80000000:
        out += b"\xd2" + _I32.pack(n)
    else:
        out += b"\xd3" + _I64.pack(n)


def encode_string(out: bytearray, s: bytes) -> None:
    n = len(s)
    if n < 32:
        out.append(0xa0 | n)
    elif n <= 0xff:
        out += b"\xd9" + _U8.pack(n)
    elif n <= 0xffff:
        out += b"\xda" + _U16.pack(n)
    else:
        out += b"\xdb" + _U32.pack(n & 0xffffffff)
    out += s


def encode_header(out: bytearray, n: int, fix: int, head16: int, head32: int) -> None:
    """An array's or a map's header: a fix form to 15 entries, then 16 or 32 bits."""
    if n <= 15:
        out.append(fix | n)
    elif n <= 0xffff:
        out.append(head16)
        out += _U16.pack(n)
    else:
        out.append(head32)
        out += _U32.pack(n & 0xffffffff)


# -- decoding ----------------------------------------------------------------------------------

def unpack(new_table: Any, args: tuple) -> tuple:
    """cmsgpack.unpack(s): every object of the stream. Its other arguments stay on the stack."""
    return unpack_full(new_table, check_string(args, 1, "unpack"), 0, 0, len(args))


def unpack_one(new_table: Any, args: tuple) -> tuple:
    """cmsgpack.unpack_one(s [, offset]): the next offset (-1 at the end), then one object."""
    offset = opt_integer(args, 2, "unpack_one", 0)
    return unpack_full(new_table, check_string(args, 1, "unpack_one"), 1, offset, 1)


def unpack_limit(new_table: Any, args: tuple) -> tuple:
    """cmsgpack.unpack_limit(s, limit [, offset]): the next offset (-1 at the end), then up
    to `limit` objects; a limit and an offset both 0 are unpack's (no offset returned)."""
    limit = check_integer(args, 2, "unpack_limit")
    offset = opt_integer(args, 3, "unpack_limit", 0)
    return unpack_full(new_table, check_string(args, 1, "unpack_limit"), limit, offset, 1)


def _c_int(n: int) -> int:
    """A lua_Integer cast to a C int (printed with %d)."""
    return (n + 0x80000000) % 0x100000000 - 0x80000000


def unpack_full(new_table: Any, data: bytes, limit: int, offset: int, nargs: int) -> tuple:
    """mp_unpack_full; `nargs` is how many arguments are on the stack."""
    size = len(data)
    if offset < 0 or limit < 0:  # (the C prints the input's length as the limit)
        raise LuaRaise(b"Invalid request to unpack with offset of %d and limit of %d."
                       % (_c_int(offset), _c_int(size)))
    if offset > size:
        raise LuaRaise(b"Start offset %d greater than input length %d."
                       % (_c_int(offset), _c_int(size)))
    decode_all = not limit and not offset
    decoder = Decoder(new_table, data, offset, Depth(nargs))
    values = []
    while decoder.pos < size and (decode_all or len(values) < limit):
        values.append(decoder.value())
    if decode_all:
        return tuple(values)
    decoder.depth.check(1, b"in function mp_unpack_full")
    return (-1 if decoder.pos == size else decoder.pos, *values)


class Decoder:
    """mp_decode_to_lua_type over a cursor, without recursion: nesting is bounded by the Lua
    stack (about 4000 levels), not by Python's."""

    __slots__ = ("new_table", "data", "pos", "depth")

    def __init__(self, new_table: Any, data: bytes, pos: int, depth: Depth) -> None:
        self.new_table = new_table
        self.data = data
        self.pos = pos
        self.depth = depth

    def need(self, n: int) -> None:
        if len(self.data) - self.pos < n:
            raise LuaRaise(_EOF)

    def value(self) -> Any:
        """The next object, as the Lua value the C leaves on the stack."""
        depth = self.depth
        filling: list[Filling] = []  # the tables being filled, innermost last
        while True:
            value, opened = self.item()
            if opened is not None and opened.left:
                if not opened.is_map:
                    depth.used += 1  # the first index
                filling.append(opened)
                continue
            while filling:  # set `value` into its table, closing the tables it completes
                into = filling[-1]
                if into.is_map and not into.has_key:
                    into.key, into.has_key = value, True
                    break
                key = into.key
                if into.is_map:
                    if key is None:
                        raise LuaRaise(b"table index is nil", positioned=False)
                    if key != key:
                        raise LuaRaise(b"table index is NaN", positioned=False)
                    into.has_key = False
                else:
                    into.key = key + 1
                into.table[key] = value  # (nil included: lua_settable makes the slot)
                depth.used -= 2
                into.left -= 1
                if into.left:
                    if not into.is_map:
                        depth.used += 1  # the next index
                    break
                filling.pop()
                value = into.table
            else:
                return value

    def item(self) -> tuple[Any, Filling | None]:
        """One value pushed: (a scalar, None), or (a new table, what fills it)."""
        self.need(1)
        depth, data, pos = self.depth, self.data, self.pos
        depth.check(1, _TOO_MANY)
        byte = data[pos]
        if byte < 0x80:  # positive fixint
            self.pos += 1
            depth.used += 1
            return byte, None
        if byte >= 0xe0:  # negative fixint
            self.pos += 1
            depth.used += 1
            return byte - 0x100, None
        if byte in _LITERALS:
            self.pos += 1
            depth.used += 1
            return _LITERALS[byte], None
        fixed = _FIXED.get(byte)
        if fixed is not None:
            reader, size = fixed
            self.need(size)
            n = reader.unpack_from(data, pos + 1)[0]
            if byte == 0xcf and n >= _INT64:  # lua_pushinteger of a uint64: signed
                n -= 1 << 64
            if n.__class__ is int and not -_EXACT <= n <= _EXACT:
                n = float(n)
            self.pos += size
            depth.used += 1
            return n, None
        if 0xa0 <= byte <= 0xbf:
            return self.string(1, byte & 0x1f), None
        if byte <= 0x9f:  # fixmap 0x80-0x8f, fixarray 0x90-0x9f
            self.pos += 1
            return self.open(byte < 0x90, byte & 0xf)
        reader = _SIZED.get(byte)
        if reader is None:
            raise LuaRaise(_BADFMT)
        head = 1 + reader.size
        self.need(head)
        n = reader.unpack_from(data, pos + 1)[0]
        if byte <= 0xdb:
            return self.string(head, n), None
        self.pos += head
        return self.open(byte >= 0xde, n)

    def string(self, head: int, n: int) -> bytes:
        self.need(head + n)
        start = self.pos + head
        self.pos = start + n
        self.depth.used += 1
        return self.data[start:start + n]

    def open(self, is_map: bool, n: int) -> tuple[Any, Filling]:
        table = self.new_table()
        self.depth.used += 1
        if not is_map:
            self.depth.check(1, b"in function mp_decode_to_lua_array")
        return table, Filling(table, is_map, n)


class Filling:
    """A decoded table still being filled: the entries left, and an array's next index or
    a map's key read before its value."""

    __slots__ = ("table", "is_map", "left", "key", "has_key")

    def __init__(self, table: Any, is_map: bool, left: int) -> None:
        self.table = table
        self.is_map = is_map
        self.left = left
        self.key: Any = None if is_map else 1
        self.has_key = False
