"""Libraries Redis bundles into its Lua, written in Python (bit, cjson, cmsgpack, struct),
and what their functions share: Lua's argument checks and conversions (lauxlib's
luaL_check*, lua_tonumber, lua_tolstring) and `LuaRaise`, the exception that reaches the
script as a Lua error.

A Python function stored in a Lua table is called by scripts as a C function is, with the
Lua values converted by lupa: strings as bytes, numbers as int when integral else float,
booleans, None for nil, and tables, functions and userdata as lupa objects.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

import lupa.lua51 as lua51

MAX_C_STACK = 8000  # Lua 5.1's LUAI_MAXCSTACK: the stack slots a C function may fill


class LuaRaise(Exception):
    """Raised by a Python function called from a script: a Lua error whose value is an error
    table (Redis's luaError after luaPushError), or a message that gets its caller's position
    in front (luaL_error: see `error_positions`), or, not `positioned`, one that does not (a
    runtime error raised inside a C function, as lua_settable's "table index is nil")."""

    def __init__(self, value: Any, positioned: bool = True) -> None:
        super().__init__()
        self.value = value
        self.positioned = positioned


def unwrap(error: Any) -> Any:
    """The Lua error value a Python exception stands for."""
    if isinstance(error, LuaRaise):
        return error.value
    return ("internal error: " + type(error).__name__).encode()


INTERNAL = "=[redis]"  # the chunk name of the sandbox's own Lua code, which positions skip

_WHERE = b"""
local getinfo, INTERNAL = debug.getinfo, ...
-- luaL_where(L, 1) for a Python function that is raising an error: the frame that called it
-- (level 3, past this function and lupa's C function that called Python), skipping the
-- sandbox's own Lua, which Redis does not have.
return function()
  local level = 3
  local i = getinfo(level, 'Sl')
  while i and i.source == INTERNAL do
    level = level + 1
    i = getinfo(level, 'Sl')
  end
  if i and i.what ~= 'C' and i.currentline > 0 then return i.short_src, i.currentline end
end
"""


def error_positions(lua: Any) -> Callable[[dict[bytes, Any]], dict[bytes, Any]]:
    """A function that wraps the Python functions among a table's fields so that the
    messages they raise get the position of the Lua code that called them, as luaL_error
    writes it. The position is read while that code's frame is still on the stack: once a
    pcall has caught the error, it is gone. Made before the sandbox closes (it reads
    `debug`)."""
    where = lua.execute(_WHERE, INTERNAL.encode())

    def wrap(function: Callable) -> Callable:
        def call(*args: Any) -> Any:
            try:
                return function(*args)
            except LuaRaise as error:
                if error.positioned and error.value.__class__ is bytes:
                    place = where()
                    if place:
                        error.value = b"%b:%d: %b" % (place[0], place[1], error.value)
                    error.positioned = False
                raise
        return call

    def positioned(fields: dict[bytes, Any]) -> dict[bytes, Any]:
        return {name: wrap(value) if is_python_function(value) else value
                for name, value in fields.items()}
    return positioned


def lua_string(value: Any) -> bytes:
    """lua_tolstring: numbers as Lua prints them (%.14g)."""
    if value.__class__ is bytes:
        return value
    if value.__class__ in (int, float):
        if value != value:  # printf writes a NaN's sign (0/0 is -nan on x86); Python does not
            return b"-nan" if math.copysign(1.0, value) < 0 else b"nan"
        return b"%.14g" % value
    return b""


# What strtod reads (Lua 5.1's luaO_str2d), with the spaces around it; a NUL ends the text.
_NUMBER = re.compile(
    rb"[ \t\n\v\f\r]*([-+]?(?:0x(?:[0-9a-f]+\.?[0-9a-f]*|\.[0-9a-f]+)(?:p[-+]?[0-9]+)?"
    rb"|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?|inf(?:inity)?|nan(?:\([0-9a-z_]*\))?))"
    rb"[ \t\n\v\f\r]*(?:\x00.*)?", re.I | re.S)


def to_number(value: Any) -> float | None:
    """lua_tonumber: numbers, and strings that read as one; None otherwise."""
    if value.__class__ in (int, float):
        return value
    if value.__class__ is bytes:
        match = _NUMBER.fullmatch(value)
        if match is None:
            return None
        text = match.group(1)
        if b"x" in text or b"X" in text:
            return float.fromhex(text.decode())
        return float(text.split(b"(")[0])
    return None


def check_number(args: tuple, n: int, fname: str) -> float:
    """luaL_checknumber of argument `n` (1-based), with its error."""
    value = to_number(args[n - 1]) if n <= len(args) else None
    if value is None:
        got = "no value" if n > len(args) else type_name(args[n - 1])
        raise LuaRaise(f"bad argument #{n} to '{fname}' (number expected, got {got})".encode())
    return value


def check_integer(args: tuple, n: int, fname: str) -> int:
    """luaL_checkinteger: the number cast to a 64-bit lua_Integer as x86-64 casts it,
    truncated toward zero, NaN and what is out of range becoming -2**63."""
    value = check_number(args, n, fname)
    if value != value or not -(1 << 63) <= value < 1 << 63:
        return -(1 << 63)
    return int(value)


def opt_integer(args: tuple, n: int, fname: str, default: int) -> int:
    """luaL_optinteger: `default` for an argument absent or nil."""
    return default if n > len(args) or args[n - 1] is None else check_integer(args, n, fname)


def check_string(args: tuple, n: int, fname: str) -> bytes:
    """luaL_checklstring: strings, and numbers as lua_tolstring writes them."""
    value = args[n - 1] if n <= len(args) else None
    if value.__class__ not in (bytes, int, float):
        got = "no value" if n > len(args) else type_name(value)
        raise LuaRaise(f"bad argument #{n} to '{fname}' (string expected, got {got})".encode())
    return lua_string(value)


def check_int(args: tuple, n: int, fname: str) -> int:
    """luaL_checkint: luaL_checkinteger stored in a C int."""
    return c_int(check_integer(args, n, fname))


def c_int(n: int) -> int:
    """An integer stored in a 32-bit C int: its low 32 bits, signed."""
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


def is_python_function(value: Any) -> bool:
    """Whether a value lupa hands over is a Python function scripts hold (as Lua userdata,
    where Redis's are C functions)."""
    return lua51.lua_type(value) is None and callable(value)


def type_name(value: Any) -> str:
    """lua_typename of a value as lupa hands it over."""
    if value is None:
        return "nil"
    if value.__class__ is bool:
        return "boolean"
    if value.__class__ is bytes:
        return "string"
    if value.__class__ is int or value.__class__ is float:
        return "number"
    if value.__class__.__name__ in _THREADS:
        return "thread"
    if is_python_function(value):
        return "function"
    return lua51.lua_type(value) or "userdata"


# lupa's classes for a Lua coroutine (one never resumed passes for a function).
_THREADS = ("_LuaThread", "_LuaCoroutineFunction")


