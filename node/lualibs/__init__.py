"""Libraries Redis bundles into its Lua, written in Python (bit, cjson, cmsgpack, struct),
and what their functions share: Lua's argument checks and conversions (lauxlib's
luaL_check*, lua_tonumber, lua_tolstring) and `LuaRaise`, the exception that reaches the
script as a Lua error.

A Python function stored in a Lua table is called by scripts as a C function is, with the
Lua values converted by lupa: strings as bytes, numbers as int when integral else float,
booleans, None for nil, and tables, functions and userdata as lupa objects.
"""

from __future__ import annotations

import re
from typing import Any

import lupa.lua51 as lua51


class LuaRaise(Exception):
    """Raised by a Python function called from a script: a Lua error whose value is an error
    table (Redis's luaError after luaPushError), or a message that gets the script's position
    in front (luaL_error)."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def unwrap(error: Any, where: bytes | None = None, line: int | None = None) -> Any:
    """The Lua error value a Python exception stands for (`where`:`line`, the script's
    position, goes in front of a message)."""
    if isinstance(error, LuaRaise):
        value = error.value
        if value.__class__ is bytes and where is not None and line is not None and line > 0:
            return b"%b:%d: %b" % (where, line, value)
        return value
    return ("internal error: " + type(error).__name__).encode()


def lua_string(value: Any) -> bytes:
    """lua_tolstring: numbers as Lua prints them (%.14g)."""
    if value.__class__ is bytes:
        return value
    if value.__class__ in (int, float):
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


def check_int(args: tuple, n: int, fname: str) -> int:
    """luaL_checkint: the number truncated toward zero."""
    return int(check_number(args, n, fname))


def type_name(value: Any) -> str:
    """lua_typename of a value as lupa hands it over."""
    if value is None:
        return "nil"
    if value.__class__ is bool:
        return "boolean"
    if value.__class__ is bytes:
        return "string"
    return lua51.lua_type(value) or "userdata"


