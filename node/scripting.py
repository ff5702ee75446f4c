"""Lua scripting: Redis 7.0's EVAL engine (eval.c, script_lua.c, script.c) on lupa's Lua 5.1.

One `Scripting` per server holds one Lua state, the script cache (SHA1 -> compiled function,
each script compiled once, by EVAL or SCRIPT LOAD) and the pseudo-client the scripts' commands
run on (Redis's lua_client). node/commands/scripting.py is the command side.

The sandbox is Redis 7.0's: the base, table, string, math and coroutine libraries without
what reaches outside (no io, os, package, debug, dofile, loadfile, print, getfenv/setfenv),
the `redis` table, `KEYS`/`ARGV`, and a global table scripts may read but not change. Redis
marks its tables read-only inside its patched Lua; plain Lua has no such mark, so here the
global table and the library tables are empty proxies whose `__newindex` refuses, with
`rawset`, `rawget`, `next`, `pairs`, `getmetatable` and `setmetatable` seeing through them, and
the metatables of the globals and of strings showing as read-only copies (see _BOOT). Reading
an undeclared global fails as in Redis. `math.random` is Redis's rand48, so a seeded sequence
is Redis's. The libraries Redis bundles (bit, cjson, cmsgpack, struct) are written in Python,
in node/lualibs.

The library functions the sandbox writes in Lua (those, and unpack, loadstring, load, pcall,
xpcall, coroutine.resume and coroutine.wrap) check their arguments as the C ones do, with their
messages; where positions are named (the error handler's source and line), a run of the
sandbox's own frames counts as the one C function it stands for. `unpack` refuses a range
whose count overflows a C int, on which the stock Lua here crashes; loadstring, load and EVAL
read a precompiled chunk as text, as Redis's Lua does, so bytecode never runs.

`redis.call` runs a command through the command table, on the pseudo-client, with Redis's
checks (unknown command, arity, `noscript`, writes from read-only scripts, cluster slots) and
converts its reply to Lua (RESP2 or RESP3 rules per `redis.setresp`); the script's result is
converted back to a reply value for the caller's protocol. The commands' writes are
propagated one by one, wrapped in MULTI/EXEC when there are several (`begin_exec`/`end_exec`
in node/propagate.py); EVAL itself never is. A running script holds the event loop; past
busy-reply-threshold its Lua hook serves the other clients (-BUSY, SCRIPT KILL, FUNCTION KILL,
SHUTDOWN NOSAVE: node/busy.py).

redis.*, math.random and the bundled libraries are Python functions made C functions of Lua
(node/lualibs's `script_functions`), so scripts see them as Redis's C functions (to `type`,
`tostring`, `string.dump`, gsub, table.sort, coroutines), and a script's
`return redis.call(...)` keeps the script's frame for the error's line number.
What they raise is a `LuaRaise`, turned back into Redis's error value by `unwrap`; a message
gets its caller's position while the caller is still on the stack. No Python object's
attributes can be reached from Lua (the runtime's attribute filter refuses them all).

Where lupa's stock Lua 5.1.5 differs from Redis's patched one, scripts can tell: Redis's Lua
hashes every byte of a string (stock Lua samples strings of 32 bytes and more), so `pairs`
may visit a table with such keys in another order; and -0 reaching a Python function becomes
0 (lupa hands integral numbers over as Python ints). The sandbox's own Lua shows too: a
function of it called in tail position (`return rawget()`) loses the script's line from its
argument error, `error`'s levels count its frames (`pcall(error, 'm', 2)` names a line of the
sandbox, not the script's).
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import TYPE_CHECKING, Any

import lupa.lua51 as lua51

from node.busy import BUSY_EVAL, BUSY_FUNCTION, BusyPeriod
from node.client import Client
from node.cluster import DOWN, DOWN_READONLY
from node.slots import key_slot
from node.errors import OOM, CommandError, as_text
from node.log import log
from node.lualibs import (
    INTERNAL, LuaRaise, c_int, check_int, lua_string, number_to_int, script_functions,
    table_pairs, to_number, unwrap,
)
from node.lualibs import bit, cjson, cmsgpack, struct
from node.replies import (
    NO_REPLY, NULL_ARRAY, BigNumber, DoubleText, FormattedVerbatim, SetReply, Status, Verbatim,
    format_double,
)
from node.table import COMMANDS, Command, lookup

if TYPE_CHECKING:
    from node.server import Server

# The libraries scripts find as globals, by name.
LIBRARIES = {
    b"bit": bit,
    b"cjson": cjson,
    b"cmsgpack": cmsgpack,
    b"struct": struct,
}

NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."

# Shebang flags (`#!lua flags=...`), Redis's scripts_flags_def.
NO_WRITES, ALLOW_OOM, ALLOW_STALE, NO_CLUSTER, ALLOW_CROSS_SLOT = 1, 2, 4, 8, 16
COMPAT = 32  # no shebang: an EVAL script of before 7.0
SCRIPT_FLAGS = {b"no-writes": NO_WRITES, b"allow-oom": ALLOW_OOM,
                b"allow-stale": ALLOW_STALE, b"no-cluster": NO_CLUSTER,
                b"allow-cross-slot-keys": ALLOW_CROSS_SLOT}

# redis.set_repl flags
REPL_NONE, REPL_AOF, REPL_REPLICA, REPL_ALL = 0, 1, 2, 3

_LLONG_MIN = -(1 << 63)
_RAND48_MAX = 2147483647  # Redis's REDIS_LRAND48_MAX

# Lua run once per server, with the full standard environment: it builds the sandbox and
# returns the functions Python drives it with. `py` holds the Python callbacks.
_BOOT = r"""
local py = ...
local G = _G
local INTERNAL = '=[redis]'
local type, error, tostring, select, floor = type, error, tostring, select, math.floor
local raw_rawget, raw_rawset, raw_next = rawget, rawset, next
local raw_setmetatable, raw_getmetatable, loadstring, xpcall = setmetatable, getmetatable,
  loadstring, xpcall
local ipairs, tonumber, byte, gsub = ipairs, tonumber, string.byte, string.gsub
local getinfo, setfenv, sethook = debug.getinfo, setfenv, debug.sethook
local metatable_of = debug.getmetatable

-- What Redis 7.0's sandbox leaves out.
for _, name in ipairs({'dofile', 'loadfile', 'print', 'require', 'module', 'getfenv',
                       'setfenv', 'newproxy', 'python', 'io', 'os', 'package', 'debug'}) do
  G[name] = nil
end

-- The sandbox's own versions of library functions check their arguments as the C ones do,
-- for the message to name the script's line (level 3: past the function that checks).
local function argerror(n, fname, message)
  error("bad argument #" .. n .. " to '" .. fname .. "' (" .. message .. ')', 3)
end
local function got(count, n, v)  -- (luaL_typerror's "got ...", of argument n of count)
  if count < n then return 'no value' end
  return type(v)
end
-- luaL_checkint's value: a number (or a string read as one) cast to a 64-bit integer, then to
-- a C int (NaN and what is out of range become LLONG_MIN, whose low 32 bits are 0); nil for
-- what is not a number.
local function toint(v)
  local x = tonumber(v)
  if x == nil then return nil end
  if x ~= x or x >= 2^63 or x < -2^63 then return 0 end
  x = (x >= 0 and floor(x) or -floor(-x)) % 4294967296
  if x >= 2147483648 then x = x - 4294967296 end
  return x
end

-- Read-only tables: empty proxies onto the real ones (see the module docstring).
local READONLY = 'Attempt to modify a readonly table'
local real_of = raw_setmetatable({}, {__mode = 'k'})
local function refuse() error(READONLY, 2) end
local function protect(t)
  local proxy = raw_setmetatable({}, {__index = t, __newindex = refuse, __metatable = {}})
  real_of[proxy] = t
  return proxy
end
G.rawget = function(...)
  local t, k = ...
  if type(t) ~= 'table' then
    argerror(1, 'rawget', 'table expected, got ' .. got(select('#', ...), 1, t))
  end
  if select('#', ...) < 2 then argerror(2, 'rawget', 'value expected') end
  return raw_rawget(real_of[t] or t, k)
end
G.rawset = function(...)
  local t, k, v = ...
  local count = select('#', ...)
  if type(t) ~= 'table' then argerror(1, 'rawset', 'table expected, got ' .. got(count, 1, t)) end
  if count < 3 then argerror(count + 1, 'rawset', 'value expected') end
  if real_of[t] then error(READONLY, 0) end
  return raw_rawset(t, k, v)
end
local function iterate(t, k) return raw_next(real_of[t] or t, k) end
G.next = function(...)
  local t, k = ...
  if type(t) ~= 'table' then
    argerror(1, 'next', 'table expected, got ' .. got(select('#', ...), 1, t))
  end
  return raw_next(real_of[t] or t, k)
end
-- (Its iterator is `next` without the checks, which pairs has made: not `next` itself.)
G.pairs = function(...)
  local t = ...
  if type(t) ~= 'table' then
    argerror(1, 'pairs', 'table expected, got ' .. got(select('#', ...), 1, t))
  end
  return iterate, t, nil
end
G.setmetatable = function(...)
  local t, mt = ...
  local count = select('#', ...)
  if type(t) ~= 'table' then
    argerror(1, 'setmetatable', 'table expected, got ' .. got(count, 1, t))
  end
  if count < 2 or mt ~= nil and type(mt) ~= 'table' then
    argerror(2, 'setmetatable', 'nil or table expected')
  end
  if real_of[t] then error(READONLY, 0) end
  local old = metatable_of(t)
  if old and raw_rawget(old, '__metatable') ~= nil then
    error('cannot change a protected metatable', 2)
  end
  return raw_setmetatable(t, mt)
end
-- A proxy's metatable is the real table's (none for a library's); the globals' and the
-- strings' metatables show as read-only copies (their `__metatable`, set below).
G.getmetatable = function(...)
  if select('#', ...) == 0 then argerror(1, 'getmetatable', 'value expected') end
  local v = ...
  return raw_getmetatable(real_of[v] or v)
end
-- luaB_unpack, whose count of results overflows a C int for a range of 2^31 or more (where
-- the stock Lua here crashes): "too many results" then, as when the results and the
-- arguments would pass the 8000 slots of LUAI_MAXCSTACK.
local raw_unpack = unpack
G.unpack = function(...)
  local t, i, e = ...
  local count = select('#', ...)
  if type(t) ~= 'table' then argerror(1, 'unpack', 'table expected, got ' .. got(count, 1, t)) end
  if i == nil then i = 1
  else i = toint(i) or argerror(2, 'unpack', 'number expected, got ' .. type(i)) end
  if e == nil then e = #t
  else e = toint(e) or argerror(3, 'unpack', 'number expected, got ' .. type(e)) end
  if i <= e and (e - i + 1 >= 2147483648 or e - i + 1 + count > 8000) then
    error('too many results to unpack', 2)
  end
  return raw_unpack(...)
end
-- Redis's Lua reads a precompiled chunk as text, which fails on its first byte (ESC): the
-- same text with another control character there fails as that, at the same place.
local function as_text(e) return (gsub(e, "char%(26%)'$", "char(27)'")) end
local function load_text(s, name)
  if byte(s) == 27 then return nil, as_text(select(2, loadstring('\26', name or s))) end
  return loadstring(s, name)
end
G.loadstring = function(...)
  local s, name = ...
  local count = select('#', ...)
  local ts, tn = type(s), type(name)
  if ts ~= 'string' and ts ~= 'number' then
    argerror(1, 'loadstring', 'string expected, got ' .. got(count, 1, s))
  end
  if name ~= nil and tn ~= 'string' and tn ~= 'number' then
    argerror(2, 'loadstring', 'string expected, got ' .. tn)
  end
  return load_text(s, name)
end

-- Functions written in Python (math.random, redis.*, the libraries) are C functions to Lua
-- (node/lualibs's script_functions): a script's `return redis.call(...)` keeps its own frame,
-- which error messages name. What they raise reaches Lua as a Python exception (userdata):
-- `unwrap` turns it back into Redis's error value, for the error handler and for
-- pcall/xpcall/resume/load.
local unwrap = py.unwrap
local raw_pcall, raw_xpcall, raw_resume, raw_load = pcall, xpcall, coroutine.resume, load
local function caught(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'userdata' then e = unwrap(e) end
  return ok, e
end
G.load = function(...)
  local f, name = ...
  if type(f) ~= 'function' then
    argerror(1, 'load', 'function expected, got ' .. got(select('#', ...), 1, f))
  end
  local first, binary = true, false
  local chunk, e = raw_load(function()
    local piece = f()
    local tp = type(piece)
    if tp ~= 'string' and tp ~= 'number' and tp ~= 'nil' then
      error('reader function must return a string', 4)  -- (named: load's caller)
    end
    if first and piece ~= '' then
      first = false
      if tp == 'string' and byte(piece) == 27 then
        binary = true
        piece = '\26' .. piece:sub(2)
      end
    end
    return piece
  end, name)
  if chunk then return chunk end
  if type(e) == 'userdata' then e = unwrap(e) end
  return nil, binary and as_text(e) or e
end
-- Redis's pcall (luaRedisPcall) gives an error table's message, not the table; with no
-- argument at all, it calls its own placeholder.
local function pcall_caught(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'userdata' then e = unwrap(e) end
  if type(e) == 'table' then
    local message = raw_rawget(e, 'err')
    local t = type(message)
    if t == 'string' or t == 'number' then e = message end
  end
  return ok, e
end
G.pcall = function(...)
  if select('#', ...) == 0 then return false, 'attempt to call a boolean value' end
  return pcall_caught(raw_pcall(...))
end
G.xpcall = function(...)
  local f, h = ...
  if select('#', ...) < 2 then argerror(2, 'xpcall', 'value expected') end
  return caught(raw_xpcall(f, function(e)
    if type(e) == 'userdata' then e = unwrap(e) end
    return h(e)
  end))
end
local coroutine_lib = coroutine
math.random, math.randomseed = py.random, py.randomseed

local redis = {}
for _, name in ipairs({'call', 'pcall', 'error_reply', 'status_reply', 'sha1hex', 'log',
                       'setresp', 'set_repl', 'replicate_commands', 'breakpoint', 'debug',
                       'acl_check_cmd'}) do
  redis[name] = py[name]
end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL =
  0, 1, 2, 2, 3
redis.REDIS_VERSION, redis.REDIS_VERSION_NUM = py.version, py.version_num
G.redis = redis
for _, name in ipairs(py.libraries) do G[name] = py[name] end

-- The first two frames from `level` (of the caller's stack) as Redis's stack has them: the
-- sandbox's own Lua stands for Redis's C functions, so a run of its frames, with the C
-- function it called, is one C function.
local C_FRAME = {what = 'C', source = '=[C]', currentline = -1}
local function redis_frames(level)
  level = level + 1
  local frames = {}
  local i = getinfo(level, 'Sl')
  while i and #frames < 2 do
    local up = getinfo(level + 1, 'S')
    if i.source == INTERNAL or i.what == 'C' and up and up.source == INTERNAL then
      while up and up.source == INTERNAL do
        level = level + 1
        up = getinfo(level + 1, 'S')
      end
      i = C_FRAME
    end
    frames[#frames + 1] = i
    level = level + 1
    i = getinfo(level, 'Sl')
  end
  return frames[1], frames[2]
end
-- Redis's error handler: an error becomes a table {err=..., source=..., line=...} naming
-- the frame at level 2, or at level 3 when that one is a C function (as `error` is).
local function errh(err)
  local i, caller = redis_frames(2)
  if i and i.what == 'C' then i = caller end
  if type(err) == 'userdata' then err = unwrap(err) end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring(err)} end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end
G.__redis__err__handler = errh

-- Reading an undeclared global is an error (Redis's globals protection).
local function missing(t, n)
  local i = getinfo(2, 'S')
  if i and i.what ~= 'C' then
    error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
  end
  return nil
end
raw_setmetatable(G, {__index = missing, __metatable = protect({__index = missing})})
for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'redis', unpack(py.libraries)}) do
  G[name] = protect(G[name])
end
metatable_of('').__metatable = protect({__index = G.string})
local proxy = protect(G)
raw_rawset(G, '_G', proxy)
setfenv(0, proxy)  -- chunks loaded from now on (scripts, loadstring) see the proxy

local function compile(body)
  local f, e = load_text(body, '@user_script')
  return f, e  -- (two values, `e` nil or not: lupa hands back a tuple)
end
-- Every 100000 instructions a running script lets Python serve the other clients once it
-- runs past busy-reply-threshold (node/busy.py), and learns whether it was killed; a killed
-- script then fails on every line it reaches, so pcall cannot keep it going.
-- (Only the script's own code stops: not the sandbox's, nor errh, nor the code after the
-- run, which must still clear the hook.)
local busy_tick = py.busy_tick
local stopping = false
local function stop()
  error({err = 'ERR Script killed by user with SCRIPT KILL...'})
end
local function in_script()  -- whether the function the hook interrupted is the script's
  local i = getinfo(3, 'S')
  return i and i.source ~= INTERNAL
end
local function on_line()
  if stopping and in_script() then stop() end
end
local function tick()
  if busy_tick() then
    stopping = true
    sethook(on_line, 'l')
    if in_script() then stop() end
  end
end
local function timed(ok, r)
  sethook()
  stopping = false
  return ok, r
end
-- A Lua hook belongs to one coroutine (a new one inherits debug.sethook's C hook, but not
-- the Lua function it calls), so a coroutine gets the hook as it is resumed, and a wrapped
-- one as its body starts: a loop inside one is served and killed too, as with Redis's C hook.
local wrap = coroutine_lib.wrap
coroutine_lib.resume = function(co, ...)
  if type(co) ~= 'thread' then error("bad argument #1 to 'resume' (coroutine expected)", 2) end
  sethook(co, tick, '', 100000)
  return caught(raw_resume(co, ...))
end
coroutine_lib.wrap = function(f)
  if type(f) ~= 'function' or getinfo(f, 'S').what == 'C' then
    error("bad argument #1 to 'wrap' (Lua function expected)", 2)
  end
  return wrap(function(...)
    sethook(tick, '', 100000)
    return f(...)
  end)
end
local function run(f, keys, argv)
  G.KEYS, G.ARGV = keys, argv
  sethook(tick, '', 100000)
  return timed(xpcall(f, errh))
end
-- What a result table stands for: its first string field among err, ok, ...
local function shape(t)
  local v = raw_rawget(t, 'err')
  if type(v) == 'string' then return 'err', v end
  v = raw_rawget(t, 'ok')
  if type(v) == 'string' then return 'ok', v end
  v = raw_rawget(t, 'double')
  if type(v) == 'number' then return 'double', v end
  v = raw_rawget(t, 'big_number')
  if type(v) == 'string' then return 'big_number', v end
  v = raw_rawget(t, 'verbatim_string')
  if type(v) == 'table' then
    local f, s = raw_rawget(v, 'format'), raw_rawget(v, 'string')
    if type(f) == 'string' and type(s) == 'string' then return 'verbatim', s, f end
  end
  v = raw_rawget(t, 'map')
  if type(v) == 'table' then return 'map', v end
  v = raw_rawget(t, 'set')
  if type(v) == 'table' then return 'set', v end
  local n = 0
  while raw_rawget(t, n + 1) ~= nil do n = n + 1 end
  return 'array', n
end
local function error_info(t)
  return raw_rawget(t, 'err'), raw_rawget(t, 'source'), raw_rawget(t, 'line'),
         raw_rawget(t, 'ignore_error_stats_update')
end
local function memory() return collectgarbage('count') * 1024 end
-- A function of a library (FCALL): keys and arguments are its parameters, not globals.
local function call(f, keys, argv)
  G.KEYS, G.ARGV = nil, nil  -- (an EVAL's; a function has none)
  sethook(tick, '', 100000)
  return timed(xpcall(function() return f(keys, argv) end, errh))
end
-- What node/functions.py builds the library loader from.
local internals = {protect = protect, refuse = refuse, missing = missing, globals = proxy,
                   setmetatable = raw_setmetatable, setfenv = setfenv, sethook = sethook,
                   loadstring = load_text, pcall = raw_pcall, unwrap = unwrap, type = type,
                   error = error, ipairs = ipairs, redis = redis}
return compile, run, shape, error_info, memory, call, internals
"""


class ScriptClient(Client):
    """The client scripts run their commands on (Redis's lua_client): the caller's database
    for each run, never blocked (blocking commands answer at once, as inside EXEC). Its
    "encoder" keeps each reply as the value it is: `Client.call` leaves it in `out`, where
    redis.call picks it up, as Redis's lua client reads its reply buffer."""

    in_exec = property(lambda self: True, lambda self, value: None)

    def __init__(self, server: "Server") -> None:
        super().__init__(server)
        self.addr = self.laddr = "lua"
        self.encode = _keep  # type: ignore[assignment]


class Script:
    __slots__ = ("body", "function", "flags")

    def __init__(self, body: bytes, function: Any, flags: int) -> None:
        self.body = body
        self.function = function
        self.flags = flags


def _keep(reply: Any) -> Any:
    return reply


def sha1hex(data: bytes) -> bytes:
    return hashlib.sha1(data).hexdigest().encode()


def shebang_flags(body: bytes) -> tuple[int, int]:
    """(flags, length of the shebang line) of a script, as evalExtractShebangFlags; raises
    CommandError for a shebang Redis refuses."""
    if not body.startswith(b"#!"):
        return COMPAT, 0
    end = body.find(b"\n")
    if end < 0:
        raise CommandError("ERR Invalid script shebang")
    parts = body[:end].split()
    if not parts:
        raise CommandError("ERR Invalid engine in script shebang")
    if parts[0] != b"#!lua":
        raise CommandError("ERR Unexpected engine in script shebang: " + as_text(parts[0]))
    flags = 0
    for part in parts[1:]:
        if not part.startswith(b"flags="):
            raise CommandError("ERR Unknown lua shebang option: " + as_text(part))
        names = part[6:]
        for name in names.split(b",") if names else ():
            flag = SCRIPT_FLAGS.get(name)
            if flag is None:
                raise CommandError("ERR Unexpected flag in script shebang: " + as_text(name))
            flags |= flag
    return flags, end


class Scripting:
    """The Lua state, the script cache and the pseudo-client of one server."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.scripts: dict[bytes, Script] = {}
        self.scripts_memory = 0
        self.client = ScriptClient(server)
        self.lua = lua51.LuaRuntime(encoding=None, unpack_returned_tuples=True,
                                    register_eval=False, register_builtins=False,
                                    attribute_filter=_no_attributes)
        self._rand48 = 0x1234ABCD330E  # rand.c's initial state
        lua = self.lua
        self._table = lua.table_from
        functions = script_functions(lua)
        # (redis.call and pcall raise error tables, which take no position.)
        py = functions({
            b"call": self._redis_call, b"pcall": self._redis_pcall,
            b"error_reply": self._error_reply, b"status_reply": self._status_reply,
            b"sha1hex": self._sha1hex, b"log": self._log, b"setresp": self._setresp,
            b"set_repl": self._set_repl, b"replicate_commands": lambda *args: True,
            b"breakpoint": lambda *args: False, b"debug": lambda *args: (),
            b"acl_check_cmd": self._acl_check_cmd, b"random": self._random,
            b"randomseed": self._randomseed, b"unwrap": unwrap,
            b"version": b"7.0.15", b"version_num": 0x07000F, b"busy_tick": self._busy_tick,
        }, unpositioned=(b"call", b"pcall"))
        for name, module in LIBRARIES.items():
            py[name] = functions(module.library(lua))
        py[b"libraries"] = self._table(list(LIBRARIES))
        self._pairs = table_pairs(lua)
        boot, error = lua.eval("function(code, name) local f, e = loadstring(code, name) "
                               "return f, e end")(_BOOT.encode(), INTERNAL.encode())
        assert boot is not None, error
        (self._compile, self._run, self._shape, self._error_info, self._memory,
         self._call_function, self.internals) = boot(py)
        # The current run (only one at a time: a script holds the loop).
        self.caller: Client | None = None
        self.name = b""  # its SHA1, or its function's name
        self.resp = 2
        self.readonly = False
        self.allow_oom = False  # its flags say allow-oom: writes even over maxmemory
        self.cross_slot = True
        self.slot = -1
        self.wrote = False
        # Past busy-reply-threshold (node/busy.py), and SCRIPT KILL / FUNCTION KILL.
        self.started = 0.0  # time.monotonic() at the start of the run
        self.fcall: list[bytes] | None = None  # the FCALL running a function (FUNCTION STATS)
        self.write_called = False  # a write command ran: the script can no longer be killed
        self.killed = False
        self.busy: BusyPeriod | None = None

    # -- the cache ---------------------------------------------------------------------------

    def load(self, body: bytes) -> tuple[bytes, Script]:
        """The script's SHA1 and cached entry, compiling it first if it is new."""
        sha = sha1hex(body)
        script = self.scripts.get(sha)
        if script is None:
            flags, skip = shebang_flags(body)
            # The shebang line is left out but its newline kept: line numbers stay the user's.
            function, error = self._compile(body[skip:])
            if function is None:
                raise CommandError("ERR Error compiling script (new function): "
                                   + as_text(error))
            script = self.scripts[sha] = Script(body, function, flags)
            self.scripts_memory += 128 + len(body)
        return sha, script

    def flush(self) -> None:
        self.scripts.clear()
        self.scripts_memory = 0
        self.lua.execute("collectgarbage()")

    def memory(self) -> int:
        """Bytes the Lua state uses (INFO's used_memory_lua)."""
        return int(self._memory())

    # -- running -----------------------------------------------------------------------------

    def run(self, caller: Client, name: bytes, script: Any, keys: list[bytes],
            args: list[bytes], readonly: bool, fcall: list[bytes] | None = None) -> Any:
        """Run a cached script (or a library's function, node/functions.py, for the FCALL
        `fcall`) for `caller`; `name` (its SHA1, or the function's name) is what errors name.
        Its reply value, or a CommandError to raise (a CommandError *returned* is an error
        Redis already counted in its error stats)."""
        server = self.server
        flags = script.flags
        if not flags & COMPAT:
            self._check_flags(caller, flags, readonly)
        client = self.client
        client.db = caller.db
        client.user = caller.user  # what a command reads of its user (SORT ... BY)
        client.propagates = True
        client.asking, client.readonly = caller.asking, caller.readonly
        self.caller = caller
        self.resp = client.protocol = 2
        self.readonly = readonly or bool(flags & NO_WRITES)
        self.allow_oom = bool(flags & ALLOW_OOM)
        self.cross_slot = bool(flags & (COMPAT | ALLOW_CROSS_SLOT))
        self.slot = -1
        if server.cluster is not None and keys:
            self.slot = key_slot(keys[0])
        self.wrote = False
        propagation = server.propagation
        unit = not propagation.in_exec  # inside EXEC, the transaction is the unit
        if unit:
            propagation.begin_exec()
        table = self._table
        self.name, self.fcall = name, fcall
        self.write_called = self.killed = False
        self.started = time.monotonic()
        try:
            runner = self._run if fcall is None else self._call_function
            ok, result = runner(script.function, table(keys), table(args))
        finally:
            if unit:
                propagation.end_exec()
            self.caller = None
            if self.busy is not None:
                self._end_busy()
        if self.wrote:
            # EVAL itself is not propagated (an empty rewrite), and WAIT waits for its writes.
            caller.propagate_as()
            caller.woff = max(caller.woff, client.woff)
        if not ok:
            return self._script_error(name, result)
        return self._to_reply(result)

    def _check_flags(self, caller: Client, flags: int, readonly: bool) -> None:
        # A script with flags is checked as Redis's processCommand checks it with the
        # command flags the script's flags make (scriptFlagsToCmdFlags: a write command
        # unless no-writes, refused on a stale replica unless allow-stale), then as
        # scriptPrepareForRun does.
        server = self.server
        writes = not flags & NO_WRITES and not caller.must_obey
        if writes:
            if not flags & ALLOW_OOM and server.evictor.limit and server.evictor.pre_command_oom:
                raise CommandError(OOM)  # (the command was denyoom: over maxmemory, refused)
            if server.write_denied is not None:
                raise server.write_denied
            if server.deny_writes is not None:  # READONLY on a replica, else NOREPLICAS
                raise server.deny_writes
        if server.stale_denied is not None and not flags & ALLOW_STALE \
                and not caller.must_obey:
            raise server.stale_denied
        if flags & NO_CLUSTER and server.cluster is not None:
            raise CommandError("ERR Can not run script on cluster, 'no-cluster' flag is set.")
        if writes and readonly:
            raise CommandError("ERR Can not execute a script with write flag using *_ro "
                               "command.")

    def _script_error(self, sha: bytes, err: Any) -> CommandError:
        if lua51.lua_type(err) != "table":
            return CommandError("ERR Error running script " + sha.decode() + ", "
                                + as_text(bytes(str(err), "utf-8"))[:100])
        # (luaExtractErrorInformation reads each field that lua_isstring: numbers too)
        *fields, counted = self._error_info(err)
        message, source, line = (as_text(lua_string(v)) if v.__class__ in (bytes, int, float)
                                 else None for v in fields)
        text = message if message is not None else "ERR unknown error"
        if line is not None and source is not None:
            text += f" script: {sha.decode()}, on {source}:{line}."
        return _counted(text, counted)

    # -- past busy-reply-threshold ------------------------------------------------------------

    def _busy_tick(self, *args: Any) -> bool:
        """Every 100000 Lua instructions of a run: past busy-reply-threshold, serve the other
        clients (node/busy.py); whether the script is to stop (killed, or a SHUTDOWN NOSAVE
        waits for it)."""
        server = self.server
        busy = self.busy
        if self.caller is None:  # (a coroutine left from an earlier run, resumed at load)
            return False
        if busy is None:
            elapsed = int((time.monotonic() - self.started) * 1000)
            if elapsed < server.config["busy-reply-threshold"]:
                return False
            log("warning", f"Slow script detected: still in execution after {elapsed} "
                "milliseconds. You can try killing the script using the "
                f"{'SCRIPT' if self.fcall is None else 'FUNCTION'} KILL command. Script name "
                f"is: {as_text(self.name)}.")
            self.busy = busy = BusyPeriod(server, self.caller, self.fcall is not None)
            server.busy = busy.error
            server.checks_changed()
        busy.serve()
        shutdown = server.shutdown_requested
        if not self.killed and shutdown is not None and shutdown.done():
            self.killed = True
        return self.killed

    def _end_busy(self) -> None:
        busy, self.busy = self.busy, None
        server = self.server
        server.busy = None
        server.checks_changed()
        busy.end()  # type: ignore[union-attr]

    def kill(self, function: bool) -> None:
        """SCRIPT KILL (or, `function`, FUNCTION KILL) of the running script, as Redis's
        scriptKill checks it; raises its refusal."""
        if self.caller is None:
            raise CommandError("NOTBUSY No scripts in execution right now.")
        if self.caller.must_obey:
            raise CommandError("UNKILLABLE The busy script was sent by a master instance in the "
                               "context of replication and cannot be killed.")
        if self.write_called:
            raise CommandError("UNKILLABLE Sorry the script already executed write commands "
                               "against the dataset. You can either wait the script termination "
                               "or kill the server in a hard way using the SHUTDOWN NOSAVE "
                               "command.")
        if function != (self.fcall is not None):
            raise CommandError(BUSY_EVAL if self.fcall is None else BUSY_FUNCTION)
        if not self.killed:
            log("warning", "Lua script killed by user with SCRIPT KILL.")
        self.killed = True

    def running(self) -> dict[bytes, Any] | None:
        """FUNCTION STATS's running_script: the function running past the threshold, if any
        (a busy EVAL script is refused, as in Redis)."""
        if self.busy is None:
            return None
        if self.fcall is None:
            raise CommandError(BUSY_EVAL)
        return {b"name": self.name, b"command": self.fcall,
                b"duration_ms": int((time.monotonic() - self.started) * 1000)}

    # -- redis.call --------------------------------------------------------------------------

    def _call(self, *args: Any) -> tuple[Any, bool]:
        """redis.call/pcall (luaRedisGenericCommand, scriptCall): (the reply as a Lua value,
        False), or (an error table, True)."""
        if not args:
            return self._make_error(
                b"Please specify at least one argument for this redis lib call"), True
        argv = []
        for a in args:
            c = a.__class__
            if c is bytes:
                argv.append(a)
            elif c is int or c is float:
                # (printf writes a NaN's sign, and Lua's 0/0 has it set; Python writes none.)
                argv.append(b"%.17g" % a if a == a else lua_string(a))
            else:
                return self._make_error(
                    b"Lua redis lib command arguments must be strings or integers"), True
        server = self.server
        cmd = COMMANDS.get(argv[0].lower())
        if cmd is not None and cmd.subcommands and len(argv) > 1:
            cmd = cmd.subcommands.get(argv[1].lower())
        err = self._refusal(cmd, argv)
        if err is not None:
            if cmd is not None:
                cmd.rejected_calls += 1
            # (afterErrorReply: counted under the message's code, or ERR when it has none)
            server.count_error(CommandError(err[1:] if err[0] == "-" else "ERR " + err))
            return self._make_error(err.encode() if err[0] == "-" else err.encode(), True), True
        client = self.client
        if cmd.name in ("xread", "xreadgroup") and _blocks(argv):  # type: ignore[union-attr]
            # As xreadCommand when its client is a script's (and before it runs anything).
            error = CommandError(f"ERR {as_text(argv[0])} command is not allowed with BLOCK "
                                 "option from scripts")
            cmd.calls += 1  # type: ignore[union-attr]
            cmd.failed_calls += 1  # type: ignore[union-attr]
            server.count_error(error)
            return self._make_error(b"-" + str(error).encode(), True), True
        if "write" in cmd.flags:  # type: ignore[union-attr]
            self.write_called = True
        ks = server.keyspace
        dirty = ks.dirty
        out = client.out
        client.call(cmd, argv)  # type: ignore[arg-type]
        reply = out[-1] if out else None  # (none: NO_REPLY)
        out.clear()
        if ks.dirty != dirty:
            self.wrote = True
        if isinstance(reply, CommandError):
            return self._make_error(b"-" + str(reply).encode("utf-8", "surrogateescape"),
                                    True), True
        return self._to_lua(reply), False

    def _refusal(self, cmd: Command | None, argv: list[bytes]) -> str | None:
        """Why scriptCall refuses to run `argv` (Redis's message), or None."""
        if cmd is None:
            return "Unknown Redis command called from script"
        arity = cmd.arity
        if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
            return "Wrong number of args calling Redis command from script"
        flags = cmd.flags
        if "noscript" in flags:
            return "This Redis command is not allowed from script"
        caller = self.caller
        if caller.user.restricted:  # type: ignore[union-attr]
            refused = self.server.acl.script_refusal(caller, cmd, argv)  # type: ignore[arg-type]
            if refused is not None:
                return refused
        write = "write" in flags
        if self.readonly and (write or "may_replicate" in flags):
            return "Write commands are not allowed from read-only scripts."
        server = self.server
        if write and not self.wrote and not caller.must_obey:  # type: ignore[union-attr]
            # Once a script wrote, a change of server state cannot fail it half-way.
            denied = server.deny_writes
            if denied is not None and str(denied).startswith("READONLY"):
                return "-" + str(denied)
            if server.write_denied is not None:
                return "-" + str(server.write_denied)
            if denied is not None:
                return "-" + str(denied)
        if ("denyoom" in flags and not self.write_called and not self.allow_oom
                and not caller.must_obey and server.evictor.limit  # type: ignore[union-attr]
                and server.evictor.pre_command_oom):
            # scriptVerifyOOM: the script's first write while the command met an OOM (later
            # ones cannot be refused: the script already changed something).
            return "-" + OOM
        cluster = server.cluster
        if cluster is not None and not caller.must_obey:  # type: ignore[union-attr]
            error = cluster.check(self.client, cmd, argv)
            if error is not None:
                text = str(error)
                if text == DOWN_READONLY:
                    return ("Script attempted to execute a write command while the cluster "
                            "is down and readonly")
                if text == DOWN:
                    return "Script attempted to execute a command while the cluster is down"
                # (MOVED, ASK, CROSSSLOT, an unassigned slot)
                return "Script attempted to access a non local key in a cluster node"
            indexes = cmd.cluster_key_indexes(argv)
            if indexes and not self.cross_slot:
                slot = key_slot(argv[indexes[0]])
                if self.slot == -1:
                    self.slot = slot
                elif self.slot != slot:
                    return ("Script attempted to access keys that do not hash to the same "
                            "slot")
        return None

    def _make_error(self, message: bytes, counted: bool = False) -> Any:
        """Redis's luaPushErrorBuff: {err="CODE message"}, "-CODE message" split at its first
        space, a message without a leading "-" getting the code ERR."""
        if message.startswith(b"-"):
            code, sep, text = message[1:].partition(b" ")
            if not sep:
                code, text = b"ERR", message[1:]
        else:
            code, text = b"ERR", message
        entry = {b"err": code + b" " + text.strip(b"\r\n")}
        if counted:
            entry[b"ignore_error_stats_update"] = True
        return self._table(entry)

    # -- the other redis.* functions (script_lua.c) ----------------------------------------

    def _redis_call(self, *args: Any) -> Any:
        value, failed = self._call(*args)
        if failed:
            raise LuaRaise(value)
        return value

    def _redis_pcall(self, *args: Any) -> Any:
        return self._call(*args)[0]

    def _error_reply(self, *args: Any) -> Any:
        if len(args) != 1 or args[0].__class__ is not bytes:
            return self._make_error(b"wrong number or type of arguments")
        message = args[0]
        return self._make_error(message if message.startswith(b"-") else b"-" + message)

    def _status_reply(self, *args: Any) -> Any:
        if len(args) != 1 or args[0].__class__ is not bytes:
            return self._make_error(b"wrong number or type of arguments")
        return self._table({b"ok": args[0]})

    def _sha1hex(self, *args: Any) -> bytes:
        if len(args) != 1:
            raise LuaRaise(self._make_error(b"wrong number of arguments"))
        return sha1hex(lua_string(args[0]))

    # The functions that return nothing return an empty tuple: no value at all, as the C's
    # `return 0` (None would be one value, nil, which select('#', ...) counts).

    def _log(self, *args: Any) -> tuple:
        if len(args) < 2:
            raise LuaRaise(self._make_error(b"redis.log() requires two arguments or more."))
        if to_number(args[0]) is None:
            raise LuaRaise(self._make_error(b"First argument must be a number (log level)."))
        level = number_to_int(args[0])
        if not 0 <= level <= 3:
            raise LuaRaise(self._make_error(b"Invalid debug level."))
        # (A space goes before every argument but the first, written or not.)
        message = b" ".join(lua_string(a) if a.__class__ in (bytes, int, float) else b""
                            for a in args[1:])
        self.server.log(("debug", "verbose", "notice", "warning")[level], as_text(message))
        return ()

    def _setresp(self, *args: Any) -> tuple:
        if len(args) != 1:
            raise LuaRaise(self._make_error(b"redis.setresp() requires one argument."))
        version = number_to_int(args[0])
        if version not in (2, 3):
            raise LuaRaise(self._make_error(b"RESP version must be 2 or 3."))
        # (Commands shape their replies by their client's protocol: WITHSCORES pairs, ...)
        self.resp = self.client.protocol = version
        return ()

    def _set_repl(self, *args: Any) -> tuple:
        if len(args) != 1:
            raise LuaRaise(self._make_error(b"redis.set_repl() requires two arguments."))
        flags = number_to_int(args[0])
        if flags & ~REPL_ALL:
            raise LuaRaise(self._make_error(b"Invalid replication flags. Use REPL_AOF, "
                                            b"REPL_REPLICA, REPL_ALL or REPL_NONE."))
        # All or nothing: the stream has no path for writes to the AOF alone or to the
        # replicas alone, so REPL_AOF and REPL_REPLICA propagate as REPL_ALL.
        self.client.propagates = flags != REPL_NONE
        return ()

    def _acl_check_cmd(self, *args: Any) -> bool:
        if not args:
            raise LuaRaise(self._make_error(
                b"Please specify at least one argument for this redis lib call"))
        argv = [a if a.__class__ is bytes else b"%.17g" % a if a.__class__ in (int, float)
                else None for a in args]
        if None in argv:
            raise LuaRaise(self._make_error(
                b"Lua redis lib command arguments must be strings or integers"))
        cmd = lookup(argv)
        if cmd is None:
            raise LuaRaise(self._make_error(b"Invalid command passed to redis.acl_check_cmd()"))
        return self.caller.user.may_run(cmd, argv)  # type: ignore[union-attr]

    def _random(self, *args: Any) -> float:
        # math_random of Redis's Lua, on its rand48.
        self._rand48 = (0x5DEECE66D * self._rand48 + 0xB) & 0xFFFFFFFFFFFF
        r = ((self._rand48 >> 17) % _RAND48_MAX) / _RAND48_MAX
        if not args:
            return r
        if len(args) == 1:
            upper = check_int(args, 1, "random")
            if upper < 1:
                raise LuaRaise(b"bad argument #1 to 'random' (interval is empty)")
            return math.floor(r * upper) + 1
        if len(args) == 2:
            lower, upper = check_int(args, 1, "random"), check_int(args, 2, "random")
            if lower > upper:
                raise LuaRaise(b"bad argument #2 to 'random' (interval is empty)")
            return math.floor(r * c_int(upper - lower + 1)) + lower  # (a C int's sum)
        raise LuaRaise(b"wrong number of arguments")

    def _randomseed(self, *args: Any) -> tuple:
        seed = check_int(args, 1, "randomseed")
        self._rand48 = ((seed & 0xFFFFFFFF) << 16) | 0x330E
        return ()

    # -- conversions -------------------------------------------------------------------------

    def _to_lua(self, value: Any) -> Any:
        """A command's reply as redis.call gives it (redisProtocolToLuaType)."""
        c = value.__class__
        if c is bytes or c is int:
            return value
        resp3 = self.resp == 3
        if c is Status:
            return self._table({b"ok": bytes(value)})
        if value is None or value is NULL_ARRAY or value is NO_REPLY:
            return None if resp3 else False
        if c is bool:
            return value if resp3 else int(value)
        if c is float or c is DoubleText:
            if resp3:
                return self._table({b"double": float(value)})
            return format_double(value) if c is float else bytes(value)
        if c is Verbatim or c is FormattedVerbatim:
            if resp3:
                return self._table({b"verbatim_string": self._table(
                    {b"format": value.format, b"string": bytes(value)})})
            return bytes(value)
        if c is BigNumber:
            return self._table({b"big_number": bytes(value)}) if resp3 else bytes(value)
        if c is dict:
            if resp3:
                return self._table({b"map": self._table(
                    {self._to_lua(k): self._to_lua(v) for k, v in value.items()})})
            flat = []
            for k, v in value.items():
                flat += (self._to_lua(k), self._to_lua(v))
            return self._table(flat)
        if c is set or c is frozenset or c is SetReply:
            if resp3:
                return self._table({b"set": self._table(
                    {self._to_lua(m): True for m in value})})
            return self._table([self._to_lua(m) for m in value])
        if isinstance(value, (list, tuple)):
            return self._table([self._to_lua(x) for x in value])
        if isinstance(value, CommandError):
            return self._make_error(b"-" + str(value).encode("utf-8", "surrogateescape"))
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, str):
            return value.encode()
        return None if resp3 else False

    def _to_reply(self, value: Any) -> Any:
        """A script's result as a reply value (luaReplyToRedisReply)."""
        c = value.__class__
        if c is bytes:
            return value
        if c is int or c is float:
            return _lua_integer(value)
        if value is None:
            return None
        if c is bool:
            if self.resp == 3:
                return value
            return 1 if value else None
        if lua51.lua_type(value) != "table":
            return None  # functions, userdata, threads: a null
        kind, v, extra = (*self._shape(value), None)[:3]
        if kind == b"array":
            return [self._to_reply(value[i]) for i in range(1, v + 1)]
        if kind == b"ok":
            return Status(v.replace(b"\r", b" ").replace(b"\n", b" "))
        if kind == b"err":
            message, _, _, counted = self._error_info(value)
            return _counted(as_text(message), counted)
        if kind == b"double":
            if v != v:
                return DoubleText(b"-nan" if math.copysign(1.0, v) < 0 else b"nan")
            return float(v)
        if kind == b"big_number":
            return BigNumber(v.replace(b"\r", b" ").replace(b"\n", b" "))
        if kind == b"verbatim":
            return FormattedVerbatim(v, extra)
        if kind == b"map":
            return _Pairs([(self._to_reply(k), self._to_reply(x)) for k, x in self._pairs(v)])
        if kind == b"set":
            return SetReply(self._to_reply(k) for k, _ in self._pairs(v))
        return None


def _no_attributes(obj: Any, name: Any, is_setting: bool) -> Any:
    """lupa's attribute filter: a Python object that reaches a script (an exception, a
    function of node/functions.py's library API) shows none of its attributes, which would
    lead to the server's objects and Python's builtins."""
    raise AttributeError(name)


def _blocks(argv: list[bytes]) -> bool:
    """XREAD/XREADGROUP's options, up to STREAMS, include BLOCK (with an argument after it)."""
    i, n = 1, len(argv)
    while i < n:
        option = argv[i].upper()
        more = n - i - 1
        if option == b"BLOCK" and more:
            return True
        if option == b"STREAMS":
            return False
        if option == b"COUNT" and more:
            i += 1
        elif option == b"GROUP" and more >= 2:
            i += 2
        elif option != b"NOACK":
            return False
        i += 1
    return False


def _counted(text: str, already_counted: Any) -> CommandError:
    """The CommandError for a script's error: returned (not raised) by the handler when Redis
    counted it already (an error of a command the script ran)."""
    err = CommandError(text)
    err.counted = bool(already_counted)  # type: ignore[attr-defined]
    return err


def _lua_integer(n: float) -> int:
    """A Lua number as Redis replies it: truncated to a long long, as C's cast does on x86
    (out of range, infinite or NaN: LLONG_MIN)."""
    if n != n or not -9.223372036854775808e18 <= n < 9.223372036854775808e18:
        return _LLONG_MIN
    return int(n)


class _Pairs(dict):
    """A map reply from a script: its pairs as Lua gave them, keys of any type (the encoder
    reads a map through len() and items())."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[Any, Any]]) -> None:
        super().__init__()
        self.pairs = pairs

    def __len__(self) -> int:
        return len(self.pairs)

    def items(self) -> Any:  # type: ignore[override]
        return self.pairs
