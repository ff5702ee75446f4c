"""Lua CJSON 2.1.0, the `cjson` library Redis bundles (deps/lua/src/lua_cjson.c), byte for byte.

`cjson.encode` walks a Lua value as the C does: a table whose keys are all positive integers
is an array (unless it is too sparse: an error, or an object with `encode_sparse_array(true)`),
anything else an object in `next` order; numbers are printed with `%.14g` (the precision is a
setting); strings escape `"`, `\\`, `/`, control characters and DEL; nil and `cjson.null` are
`null`. `cjson.decode` is the C tokenizer, strtod's number syntax and all (hex, inf, nan,
leading `+` unless `decode_invalid_numbers(false)`), with its error texts and character
positions; it builds tables with the same sequence of stores as the C, so `pairs` visits a
decoded object in Redis's order. Settings belong to one `cjson` table and last across scripts,
as in Redis; `cjson.new()` makes a table with settings of its own.

Nesting is bounded as in Redis: by `encode_max_depth`/`decode_max_depth` (1000), and below
that by Lua's 8000-slot C stack (`lua_checkstack`), which the walks count as the C uses it.
Both walks keep their own stack rather than recursing, so depth never meets Python's limit.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from node.lualibs import (
    MAX_C_STACK, LuaRaise, check_int, check_string, is_python_function, script_functions,
    type_name,
)

_INT_MAX = 2**31 - 1
_ON_OFF = (b"off", b"on")

# escape2char: the byte a one-letter escape stands for (`u` is handled apart).
_UNESCAPES = {ord('"'): b'"', ord("\\"): b"\\", ord("/"): b"/", ord("b"): b"\b",
              ord("t"): b"\t", ord("n"): b"\n", ord("f"): b"\f", ord("r"): b"\r"}

# Tokens (json_token_type_t), named as the errors name them.
OBJ_BEGIN, OBJ_END, ARR_BEGIN, ARR_END = "T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END"
STRING, NUMBER, BOOLEAN, NULL = "T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL"
COLON, COMMA, END, ERROR = "T_COLON", "T_COMMA", "T_END", "T_ERROR"
_PUNCTUATION = {ord("{"): OBJ_BEGIN, ord("}"): OBJ_END, ord("["): ARR_BEGIN,
                ord("]"): ARR_END, ord(","): COMMA, ord(":"): COLON}
_WHITESPACE = re.compile(rb"[ \t\n\r]*")
_PLAIN = re.compile(rb'[^"\\]*')  # a run of string bytes that need no decoding
_HEX4 = re.compile(rb"[0-9a-fA-F]{4}")
# What strtod reads at the start of a number token (hex floats, inf, nan(...) included).
_STRTOD = re.compile(
    rb"[-+]?(?:0[xX](?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)(?:[pP][-+]?[0-9]+)?"
    rb"|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
    rb"|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN](?:\([0-9A-Za-z_]*\))?)")


class _Settings:
    """One cjson table's json_config_t."""

    def __init__(self) -> None:
        self.sparse_convert = False
        self.sparse_ratio = 2
        self.sparse_safe = 10
        self.encode_max_depth = 1000
        self.decode_max_depth = 1000
        self.encode_invalid_numbers = 0  # 0 off (an error), 1 on (inf, nan), 2 null
        self.decode_invalid_numbers = True
        self.keep_buffer = True  # (no effect here: there is no buffer to keep)
        self.precision = 14


# The Lua half: the encoder (walking tables in Lua is far cheaper than through lupa), the
# builder of decoded values, and cjson.null. Errors come back as values, for Python to raise
# where the script called.
_LUA = r"""
local type, rawget, rawequal, pcall, error = type, rawget, rawequal, pcall, error
-- (`next` is looked up when called: the sandbox's, which sees through its read-only proxies
-- of library tables as Redis's C sees the tables themselves.)
local floor, huge, format, find, gsub, concat, byte = math.floor, math.huge, string.format,
  string.find, string.gsub, table.concat, string.byte
local MAX_C_STACK = ...

-- cjson.null: Redis's is lightuserdata NULL, which prints so and has no metatable.
local null = newproxy(true)
local mt = getmetatable(null)
mt.__tostring = function() return 'userdata: (nil)' end
mt.__metatable = false

local ESCAPES = {['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\127'] = '\\u007f'}
for i = 0, 31 do ESCAPES[string.char(i)] = format('\\u%04x', i) end
ESCAPES['\b'], ESCAPES['\t'], ESCAPES['\n'], ESCAPES['\f'], ESCAPES['\r'] =
  '\\b', '\\t', '\\n', '\\f', '\\r'
local NEEDS_ESCAPE = '[%z\1-\31"\\/\127]'

-- (`is_function`: a function of a script that went through Python, such as encode's
-- argument, comes back as userdata.)
local function encode(value, is_function, precision, max_depth, bad_numbers, ratio, safe,
                      convert)
  local out, n = {}, 0
  local number_format = '%.' .. precision .. 'g'

  local function cannot(v, reason)
    local t = type(v)
    if t == 'userdata' and is_function(v) then t = 'function' end
    error('Cannot serialise ' .. t .. ': ' .. reason, 0)
  end
  local function number(x)
    if x ~= x or x == huge or x == -huge then
      if bad_numbers == 0 then error('Cannot serialise number: must not be NaN or Inf', 0) end
      if bad_numbers == 2 then return 'null' end
      if x ~= x then return 'nan' end
    end
    return format(number_format, x)
  end
  -- A string, its quotes and what follows it (pieces, not one concatenated string: Lua
  -- interns every string it makes).
  local function string_(s, after)
    if find(s, NEEDS_ESCAPE) then s = gsub(s, NEEDS_ESCAPE, ESCAPES) end
    out[n + 1], out[n + 2], out[n + 3] = '"', s, after
    n = n + 3
  end
  -- lua_array_length: the length, or -1 for an object (the C keeps the top in an int).
  local function array_length(t)
    local top, items = 0, 0
    for k in next, t do
      if type(k) == 'number' and k >= 1 and floor(k) == k then
        if k > top then top = k <= 2147483647 and k or -2147483648 end
        items = items + 1
      else
        return -1
      end
    end
    local most = (items * ratio) % 4294967296
    if most >= 2147483648 then most = most - 4294967296 end
    if ratio > 0 and top > most and top > safe then
      if not convert then error('Cannot serialise table: excessively sparse array', 0) end
      return -1
    end
    return top
  end
  local function data(v, depth, slots)
    local t = type(v)
    if t == 'string' then
      string_(v, '"')
    elseif t == 'number' then
      n = n + 1; out[n] = number(v)
    elseif t == 'boolean' then
      n = n + 1; out[n] = v and 'true' or 'false'
    elseif t == 'nil' or rawequal(v, null) then
      n = n + 1; out[n] = 'null'
    elseif t == 'table' then
      depth = depth + 1
      if depth > max_depth or slots + 3 > MAX_C_STACK then
        error(format('Cannot serialise, excessive nesting (%d)', depth), 0)
      end
      local length = array_length(v)
      if length > 0 then
        n = n + 1; out[n] = '['
        for i = 1, length do
          if i > 1 then n = n + 1; out[n] = ',' end
          data(rawget(v, i), depth, slots + 1)
        end
        n = n + 1; out[n] = ']'
      else
        n = n + 1; out[n] = '{'
        local first = true
        for k, x in next, v do
          if not first then n = n + 1; out[n] = ',' end
          first = false
          local kt = type(k)
          if kt == 'number' then
            n = n + 1; out[n] = '"' .. number(k) .. '":'
          elseif kt == 'string' then
            string_(k, '":')
          else
            cannot(k, 'table key must be a number or string')
          end
          data(x, depth, slots + 2)
        end
        n = n + 1; out[n] = '}'
      end
    else
      cannot(v, 'type not supported')
    end
  end
  local ok, e = pcall(data, value, 0, 1)
  if not ok then return false, e end
  return true, concat(out)
end

-- The decoded value from its postfix program: `kinds` has a byte per step, `ops` its
-- operand. v: push ops[i]; n: push null; a / o: pop ops[i] values / key-value pairs into a
-- new table (array / object), storing them in order as the C does, and push it.
local function build(ops, kinds)
  local stack, top = {}, 0
  for i = 1, #kinds do
    local kind = byte(kinds, i)
    if kind == 118 then
      top = top + 1; stack[top] = ops[i]
    elseif kind == 110 then
      top = top + 1; stack[top] = null
    elseif kind == 97 then
      local t, base = {}, top - ops[i]
      for j = 1, ops[i] do t[j] = stack[base + j] end
      top = base + 1; stack[top] = t
    else
      local t, base = {}, top - 2 * ops[i]
      for j = base + 1, top, 2 do t[stack[j]] = stack[j + 1] end
      top = base + 1; stack[top] = t
    end
  end
  return stack[1]
end

return null, encode, build
"""


def library(lua: Any) -> dict[bytes, Any]:
    """The global `cjson` table's contents."""
    null, encode, build = lua.execute(_LUA, MAX_C_STACK)
    return _Library(lua, null, encode, build, script_functions(lua)).table(_Settings())


class _Library:
    """What every cjson table shares: the Lua state and `cjson.null`."""

    def __init__(self, lua: Any, null: Any, encode: Any, build: Any,
                 functions: Callable[[dict], Any]) -> None:
        self.lua = lua
        self.functions = functions  # (for the tables `new` makes)
        self.null = null
        self._encode = encode
        self._build = build

    def table(self, s: _Settings) -> dict[bytes, Any]:
        """lua_cjson_new's fields, in its order, with settings `s`."""
        def new(*args: Any) -> Any:
            return self.functions(self.table(_Settings()))

        def integer(field: str, fname: str, high: int) -> Callable[..., int]:
            def option(*args: Any) -> int:
                _arg_count(args, 1, fname)
                return _integer_option(s, field, args, 1, fname, 1, high)
            return option

        def enum(field: str, fname: str, options: tuple[bytes, ...] = _ON_OFF) -> Callable:
            def option(*args: Any) -> Any:
                _arg_count(args, 1, fname)
                return _enum_option(s, field, args, fname, options)
            return option

        def encode_sparse_array(*args: Any) -> tuple:
            name = "encode_sparse_array"
            _arg_count(args, 3, name)
            return (_enum_option(s, "sparse_convert", args, name),
                    _integer_option(s, "sparse_ratio", args, 2, name, 0, _INT_MAX),
                    _integer_option(s, "sparse_safe", args, 3, name, 0, _INT_MAX))

        return {
            b"encode": lambda *args: self.encode(s, args),
            b"decode": lambda *args: self.decode(s, args),
            b"encode_sparse_array": encode_sparse_array,
            b"encode_max_depth": integer("encode_max_depth", "encode_max_depth", _INT_MAX),
            b"decode_max_depth": integer("decode_max_depth", "decode_max_depth", _INT_MAX),
            b"encode_number_precision": integer("precision", "encode_number_precision", 14),
            b"encode_keep_buffer": enum("keep_buffer", "encode_keep_buffer"),
            b"encode_invalid_numbers": enum("encode_invalid_numbers", "encode_invalid_numbers",
                                            (b"off", b"on", b"null")),
            b"decode_invalid_numbers": enum("decode_invalid_numbers", "decode_invalid_numbers"),
            b"new": new,
            b"null": self.null,
            b"_NAME": b"cjson",
            b"_VERSION": b"2.1.0",
        }

    # -- encoding ----------------------------------------------------------------------------

    def encode(self, s: _Settings, args: tuple) -> bytes:
        if len(args) != 1:
            raise LuaRaise(b"bad argument #1 to 'encode' (expected 1 argument)")
        if type_name(args[0]) == "thread":  # (lupa would hand a new coroutine back as a function)
            raise LuaRaise(b"Cannot serialise thread: type not supported")
        ok, result = self._encode(args[0], is_python_function, s.precision, s.encode_max_depth,
                                  s.encode_invalid_numbers, s.sparse_ratio, s.sparse_safe,
                                  s.sparse_convert)
        if not ok:
            raise LuaRaise(result)
        return result

    # -- decoding ----------------------------------------------------------------------------

    def decode(self, s: _Settings, args: tuple) -> Any:
        if len(args) != 1:
            raise LuaRaise(b"bad argument #1 to 'decode' (expected 1 argument)")
        text = check_string(args, 1, "decode")
        if len(text) >= 2 and (not text[0] or not text[1]):
            raise LuaRaise(b"JSON parser does not support UTF-16 or UTF-32")
        text = text.split(b"\0", 1)[0]
        program = _fast_program(text, s) or _Parser(s, text).program()
        return self._build(self.lua.table_from(program[0]), bytes(program[1]))


# The steps of a decoded value's program (see `build` in _LUA).
_VALUE, _NULL, _ARRAY, _OBJECT = b"v"[0], b"n"[0], b"a"[0], b"o"[0]


class _Object(list):
    """A JSON object from Python's json module: its pairs in order, duplicates kept."""


class _Fallback(Exception):
    """The fast path cannot tell what the C would: the tokenizer decides."""


def _fast_program(text: bytes, s: _Settings) -> tuple[list, bytearray] | None:
    """The program of a document Python's json module reads as cjson does, or None. It reads
    standard JSON (and NaN, Infinity when cjson would), and turns down everything the C
    treats differently or reports an error for: hex, `+`, leading zeros, control characters
    in strings, lone surrogates, invalid UTF-8, nesting past the limits."""
    try:
        document = json.loads(text.decode(), object_pairs_hook=_Object, parse_int=float,
                              parse_constant=float if s.decode_invalid_numbers else _refuse)
        ops: list[Any] = []
        kinds = bytearray()
        _emit(document, ops, kinds, 1, 1, s.decode_max_depth)
    except (ValueError, RecursionError, _Fallback):  # (json's and UTF-8's errors are ValueErrors)
        return None
    return ops, kinds


def _refuse(constant: str) -> float:
    raise _Fallback(constant)


def _emit(value: Any, ops: list, kinds: bytearray, depth: int, slots: int, limit: int) -> None:
    """Append the program of `value`, a container at `depth` with `slots` of the C stack in
    use (the C's limits, counted as the tokenizer counts them)."""
    c = value.__class__
    if c is str:
        ops.append(value.encode())  # (a lone surrogate: UnicodeEncodeError, a ValueError)
        kinds.append(_VALUE)
    elif c is list or c is _Object:
        is_object = c is _Object
        if depth > limit or slots + (3 if is_object else 2) > MAX_C_STACK:
            raise _Fallback()
        if is_object:
            for key, item in value:
                ops.append(key.encode())
                kinds.append(_VALUE)
                _emit(item, ops, kinds, depth + 1, slots + 2, limit)
        else:
            for item in value:
                _emit(item, ops, kinds, depth + 1, slots + 1, limit)
        ops.append(len(value))
        kinds.append(_OBJECT if is_object else _ARRAY)
    elif value is None:
        ops.append(0)
        kinds.append(_NULL)
    else:  # a number or a boolean
        ops.append(value)
        kinds.append(_VALUE)


class _Parser:
    """json_decode's tokenizer and grammar over one text (which ends at its first NUL, as
    the C string does), for a postfix program; every error is the C's."""

    def __init__(self, settings: _Settings, data: bytes) -> None:
        self.settings, self.data = settings, data
        self.pos = 0

    def program(self) -> tuple[list, bytearray]:
        ops: list[Any] = []
        kinds = bytearray()
        token = self.next()
        # Open containers: [is_object, values so far]; and the C stack slots they hold (an
        # array its table, an object its table and a key).
        stack: list[list[Any]] = []
        slots = 1
        while True:
            kind = token[0]
            if kind is OBJ_BEGIN or kind is ARR_BEGIN:
                is_object = kind is OBJ_BEGIN
                depth = len(stack) + 1
                if depth > self.settings.decode_max_depth \
                        or slots + (3 if is_object else 2) > MAX_C_STACK:
                    raise LuaRaise(b"Found too many nested data structures (%d) at character %d"
                                   % (depth, self.pos))
                token = self.next()
                if token[0] is not (OBJ_END if is_object else ARR_END):
                    if is_object:
                        ops.append(self.key(token))
                        kinds.append(_VALUE)
                        token = self.next()
                    stack.append([is_object, 0])
                    slots += 2 if is_object else 1
                    continue
                ops.append(0)
                kinds.append(_OBJECT if is_object else _ARRAY)
            elif kind is NULL:
                ops.append(0)
                kinds.append(_NULL)
            elif kind is STRING or kind is NUMBER or kind is BOOLEAN:
                ops.append(token[1])
                kinds.append(_VALUE)
            else:
                self.fail("value", token)
            # A value is complete: count it, and close the containers it completes.
            while True:
                if not stack:
                    token = self.next()
                    if token[0] is not END:
                        self.fail("the end", token)
                    return ops, kinds
                frame = stack[-1]
                is_object = frame[0]
                frame[1] += 1
                token = self.next()
                if token[0] is (OBJ_END if is_object else ARR_END):
                    stack.pop()
                    slots -= 2 if is_object else 1
                    ops.append(frame[1])
                    kinds.append(_OBJECT if is_object else _ARRAY)
                    continue
                if token[0] is not COMMA:
                    self.fail("comma or object end" if is_object else "comma or array end", token)
                token = self.next()
                if is_object:
                    ops.append(self.key(token))
                    kinds.append(_VALUE)
                    token = self.next()
                break

    def key(self, token: tuple) -> bytes:
        """An object's key and its colon; the next token is the value's."""
        if token[0] is not STRING:
            self.fail("object key string", token)
        colon = self.next()
        if colon[0] is not COLON:
            self.fail("colon", colon)
        return token[1]

    def fail(self, expected: str, token: tuple) -> None:
        found = token[1] if token[0] is ERROR else token[0]
        raise LuaRaise(b"Expected %b but found %b at character %d"
                       % (expected.encode(), found.encode(), token[2] + 1))

    def next(self) -> tuple:
        """json_next_token: (type, value or error text, index)."""
        data = self.data
        pos = _WHITESPACE.match(data, self.pos).end()
        self.pos = pos
        if pos >= len(data):
            return END, None, pos
        ch = data[pos]
        kind = _PUNCTUATION.get(ch)
        if kind is not None:
            self.pos = pos + 1
            return kind, None, pos
        if ch == 34:  # "
            return self.string(pos)
        if ch == 45 or 48 <= ch <= 57:  # - or a digit
            if not self.settings.decode_invalid_numbers and _invalid_number(data, pos):
                return ERROR, "invalid number", pos
            return self.number(pos)
        if ch not in b"fiIntN+":
            return ERROR, "invalid token", pos
        for word, kind, value in ((b"true", BOOLEAN, True), (b"false", BOOLEAN, False),
                                  (b"null", NULL, None)):
            if data.startswith(word, pos):
                self.pos = pos + len(word)
                return kind, value, pos
        if self.settings.decode_invalid_numbers and _invalid_number(data, pos):
            return self.number(pos)
        return ERROR, "invalid token", pos

    def number(self, pos: int) -> tuple:
        match = _STRTOD.match(self.data, pos)
        if match is None:
            return ERROR, "invalid number", pos
        self.pos = match.end()
        text = match.group()
        if b"x" in text or b"X" in text:
            return NUMBER, float.fromhex(text.decode()), pos
        return NUMBER, float(text.split(b"(", 1)[0]), pos

    def string(self, start: int) -> tuple:
        data = self.data
        pos = start + 1
        parts = []
        while True:
            end = _PLAIN.match(data, pos).end()
            parts.append(data[pos:end])
            pos = end
            if pos >= len(data):
                self.pos = pos
                return ERROR, "unexpected end of string", pos
            if data[pos] == 34:
                self.pos = pos + 1
                return STRING, b"".join(parts), start
            escape = data[pos + 1] if pos + 1 < len(data) else 0
            if escape == 117:  # u
                decoded = _unicode_escape(data, pos)
                if decoded is None:
                    self.pos = pos
                    return ERROR, "invalid unicode escape code", pos
                parts.append(decoded[0])
                pos += decoded[1]
                continue
            byte = _UNESCAPES.get(escape)
            if byte is None:
                self.pos = pos
                return ERROR, "invalid escape code", pos
            parts.append(byte)
            pos += 2


def _unicode_escape(data: bytes, pos: int) -> tuple[bytes, int] | None:
    """json_append_unicode_escape at `pos` (a backslash): (UTF-8 bytes, escape length)."""
    if not _HEX4.match(data, pos + 2):
        return None
    code = int(data[pos + 2:pos + 6], 16)
    length = 6
    if code & 0xF800 == 0xD800:  # a surrogate: must be a high one, then a low one
        if code & 0x400 or data[pos + 6:pos + 8] != b"\\u" or not _HEX4.match(data, pos + 8):
            return None
        low = int(data[pos + 8:pos + 12], 16)
        if low & 0xFC00 != 0xDC00:
            return None
        code = (((code & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
        length = 12
    return chr(code).encode(), length


def _invalid_number(data: bytes, pos: int) -> bool:
    """json_is_invalid_number: what strtod reads but JSON forbids (+, hex, leading zeros,
    inf, nan)."""
    if data[pos:pos + 1] == b"+":
        return True
    if data[pos:pos + 1] == b"-":
        pos += 1
    ch = data[pos:pos + 1]
    if ch == b"0":
        after = data[pos + 1:pos + 2]
        return after in (b"x", b"X") or after.isdigit()
    if ch <= b"9":  # (the end of the text, too)
        return False
    return data[pos:pos + 3].lower() in (b"inf", b"nan")


def _arg_count(args: tuple, most: int, fname: str) -> None:
    """json_arg_init: at most `most` arguments."""
    if len(args) > most:
        raise LuaRaise(b"bad argument #%d to '%b' (found too many arguments)"
                       % (most + 1, fname.encode()))


def _integer_option(s: _Settings, field: str, args: tuple, narg: int, fname: str, low: int,
                    high: int) -> int:
    """json_integer_option: set from argument `narg` unless it is nil; the setting."""
    if len(args) >= narg and args[narg - 1] is not None:
        value = check_int(args, narg, fname)  # (luaL_checkinteger, kept in a C int)
        if not low <= value <= high:
            # (The C names argument #1 whichever argument it was.)
            raise LuaRaise(b"bad argument #1 to '%b' (expected integer between %d and %d)"
                           % (fname.encode(), low, high))
        setattr(s, field, value)
    return getattr(s, field)


def _enum_option(s: _Settings, field: str, args: tuple, fname: str,
                 options: tuple[bytes, ...] = _ON_OFF) -> Any:
    """json_enum_option on argument 1: a boolean or one of `options`, unless it is nil; the
    setting, as a boolean when it is off or on."""
    arg = args[0] if args else None
    if arg is not None:
        if arg.__class__ is bool:
            setting = int(arg)
        else:
            name = check_string(args, 1, fname)
            if name not in options:
                raise LuaRaise(b"bad argument #1 to '%b' (invalid option '%b')"
                               % (fname.encode(), name))
            setting = options.index(name)
        setattr(s, field, setting if len(options) > 2 else bool(setting))
    setting = int(getattr(s, field))
    return bool(setting) if setting < 2 else options[setting]
