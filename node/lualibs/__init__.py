"""Libraries Redis bundles into its Lua, written in Python (bit, cjson, cmsgpack, struct),
and what their functions share: Lua's argument checks and conversions (lauxlib's
luaL_check*, lua_tonumber, lua_tolstring) and `LuaRaise`, the exception that reaches the
script as a Lua error.

A Python function scripts call is a C function to Lua (`script_functions`), with the Lua
values converted by lupa: strings as bytes, numbers as int when integral else float,
booleans, None for nil, and tables, functions and userdata as lupa objects; but one of those C
functions comes back to Python as the Python function itself, and lupa's own iteration of a
table holding one goes wrong, so tables are read with `table_pairs`.
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
    in front (luaL_error: see `script_functions`), or, not `positioned`, one that does not (a
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


# Makes the fields named in a table C functions (what lupa's python.as_function returns: a C
# closure calling the Python function). Done in Lua: such a closure reaching Python is
# unwrapped back to the Python function, which would reach Lua again as userdata.
_AS_FUNCTIONS = b"""
local as_function = python.as_function
return function(t, names)
  for i = 1, #names do
    local name = names[i]
    t[name] = as_function(t[name])
  end
  return t
end
"""


def script_functions(lua: Any) -> Callable[..., Any]:
    """A function that makes a Lua table of fields whose Python functions are the functions
    scripts call: C functions to Lua, as Redis's are, so that `type`, `tostring`, argument
    errors and `string.dump` show them as functions, gsub, table.sort, pcall and coroutines
    take them where they take any function, and they cannot be indexed. The messages they
    raise get the position of the Lua code that called them, as luaL_error writes it (but
    for the fields named `unpositioned`); the position is read while that code's frame is
    still on the stack: once a pcall has caught the error, it is gone. Made before the
    sandbox closes (it reads `debug` and `python`)."""
    where = lua.execute(_WHERE, INTERNAL.encode())
    as_functions = lua.execute(_AS_FUNCTIONS)

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

    def functions(fields: dict[bytes, Any], unpositioned: tuple[bytes, ...] = ()) -> Any:
        names = [name for name, value in fields.items() if is_python_function(value)]
        table = lua.table_from({name: wrap(value) if name in names and name not in unpositioned
                                else value for name, value in fields.items()})
        return as_functions(table, lua.table_from(names))
    return functions


# A table's pairs, in the order of the sandbox's `next` (looked up when called: it sees
# through the read-only proxies of library tables as Redis's C sees the tables themselves),
# gathered in Lua: lupa's own iteration loses its place at a key or value that is
# one of the C functions `script_functions` makes (it unwraps them leaving a slot behind).
_PAIRS = b"""
return function(t)
  local keys, values, n = {}, {}, 0
  for k, v in next, t do n = n + 1; keys[n] = k; values[n] = v end
  return n, keys, values
end
"""


def table_pairs(lua: Any) -> Callable[[Any], list[tuple[Any, Any]]]:
    """A function that lists a Lua table's (key, value) pairs (see _PAIRS)."""
    gather = lua.execute(_PAIRS)

    def pairs(table: Any) -> list[tuple[Any, Any]]:
        n, keys, values = gather(table)
        return [(keys[i], values[i]) for i in range(1, n + 1)]
    return pairs


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


def number_to_int(value: Any) -> int:
    """`int i = lua_tonumber(...)`: 0 for what is not a number, else truncated toward zero,
    NaN and what is out of range becoming INT_MIN (x86's conversion)."""
    n = to_number(value) or 0
    if n != n or not -2147483649 < n < 2147483648:
        return -(1 << 31)
    return int(n)


def c_int(n: int) -> int:
    """An integer stored in a 32-bit C int: its low 32 bits, signed."""
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


def is_python_function(value: Any) -> bool:
    """Whether a value lupa hands over is a Python function (which a Lua table holds as
    userdata, until `script_functions` makes it a C function)."""
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


