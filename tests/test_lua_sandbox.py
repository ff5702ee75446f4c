"""The Lua standard library around scripts, against redis-server 7.0: the functions written in
Python (redis.*, math.random, bit, cjson, cmsgpack, struct) behaving as the C functions they
are in Redis (what gsub, table.sort, pcall, xpcall, coroutines, string.dump, metamethods and
type errors make of them, how many values they return), the library functions the sandbox
writes in Lua (rawget, rawset, next, pairs, getmetatable, setmetatable, unpack, loadstring,
load, pcall, xpcall) with their argument errors, unpack's ranges past a C int, precompiled
chunks (which Redis's Lua reads as text), the read-only metatables of strings and globals,
error objects that are tables, and the argument conversions of redis.log, redis.setresp,
redis.set_repl, redis.acl_check_cmd and math.random.

Argument errors are checked outside tail position (`local x = f() return x`): a sandbox
function called as `return f()` loses the script's line, a documented difference.
"""

from __future__ import annotations

import pytest
import redis

from conftest import Differential, ServerProcess, reply_of

SCRIPTS = [
    # Python functions are functions wherever Lua takes one
    "return string.gsub('1 2 3', '%d', bit.bnot)",
    "return {string.gsub('a b', '%w', redis.sha1hex)}",
    "return string.gsub('a b', '%w+', cjson.encode)",
    "return string.gsub('a b', '%w+', redis.breakpoint)",
    "return string.gsub('a b', '%w+', redis.debug)",
    "return string.gsub('a b', '%w+', redis.call)",
    "return {string.gsub('12', '(1)(2)', bit.bor)}",
    "return {string.gsub('x', 'x', redis.status_reply)}",
    "return {string.gsub('x', 'x', redis.replicate_commands)}",
    "return {string.gsub('[1]', '.+', cjson.decode)}",
    "local t = {3,1,2} table.sort(t, redis.breakpoint) return t",
    "local t = {3,1,2} table.sort(t, bit.band) return t",
    "return table.foreach({1}, bit.tobit)", "return table.foreachi({5, 6}, bit.bnot)",
    "return {pcall(bit.band, 1, 3)}", "return {pcall(redis.sha1hex)}",
    "return {pcall(redis.call, 'nosuch')}",
    "return {xpcall(redis.breakpoint, function(e) return e end)}",
    "return {xpcall(function() error('x') end, redis.sha1hex)}",
    "return {xpcall(function() error('x') end, bit.band)}",
    "local x = coroutine.wrap(bit.band) return x",
    "local x = coroutine.create(redis.sha1hex) return x",
    "return {coroutine.resume(coroutine.create(function() return redis.call('ping') end))}",
    "local x = string.dump(bit.band) return x", "local x = string.dump(redis.call) return x",
    "return string.dump(coroutine.wrap(function() end))",
    "return setmetatable({}, {__call=redis.sha1hex})()",
    "return tostring(setmetatable({}, {__tostring=redis.sha1hex}))",
    "return setmetatable({}, {__index=redis.sha1hex})[1]",
    # ... and show as functions: in type errors, to indexing, comparison, getmetatable
    "return bit.band.x", "bit.band.x = 1", "return redis.call.__name__", "return #bit.band",
    "return bit.band + 1", "return bit.band .. 'x'", "return bit.band < bit.bor",
    "return bit.band == bit.band", "return bit.band == bit.bor",
    "local x = ipairs(bit.band) return x", "return string.rep(bit.band)",
    "return table.concat({bit.band})", "return math.floor(bit.band)",
    "return string.format('%d', bit.band)", "return cjson.encode(bit.band)",
    "return cjson.encode({bit.band})", "return getmetatable(bit.band)",
    "return {pcall(error, bit.band)}", "return type(({pcall(error, bit.band)})[2])",
    "return tostring(bit.band) == tostring(bit.band)",
    "return tostring(bit.band) ~= tostring(bit.bor)", "return tonumber(bit.band)",
    "local t = {} t[bit.band] = 1 return t[bit.band]",
    "return redis.call('set', 'x', bit.band)", "return cmsgpack.pack(bit.band)",
    "return cmsgpack.pack({bit.band, 1})", "return {map={a=bit.band, b=1}}",
    "return {set={[bit.band]=true}}", "local x = cjson.new() return type(x.encode)",
    "return string.gsub('[1]', '.+', cjson.new().encode)",
    # functions that return nothing return no value
    "return select('#', redis.debug())", "return select('#', redis.log(0, 'x'))",
    "return select('#', redis.setresp(2))", "return select('#', math.randomseed(1))",
    "return select('#', redis.set_repl(3))", "return select('#', redis.breakpoint())",
    "return select('#', redis.replicate_commands())", "return select('#', bit.tobit(1))",
    # the sandbox's own library functions: argument errors
    "local x = rawget(bit.band, 1) return x", "local x = rawget() return x",
    "local x = rawget({}) return x", "local x = rawset() return x",
    "local x = rawset({}, 1) return x", "local x = rawset({}, nil, 1) return x",
    "local x = rawset({}, 0/0, 1) return x", "local x = next() return x",
    "local x = next(bit.band) return x", "local x = next({}, 'nokey') return x",
    "local x = pairs() return x", "local x = pairs(bit.band) return x",
    "local x = setmetatable() return x", "local x = setmetatable({}) return x",
    "local x = setmetatable({}, 5) return x", "local x = setmetatable(bit.band, {}) return x",
    "local x = setmetatable(setmetatable({}, {__metatable='locked'}), {}) return x",
    "local x = getmetatable() return x", "local x = unpack() return x",
    "local x = unpack(nil) return x", "local x = unpack({1,2,3}, 'x') return x",
    "local x = unpack({1,2,3}, 1, {}) return x", "local x = loadstring() return x",
    "local x = loadstring({}) return x", "local x = loadstring('return 1', {}) return x",
    "local x = load('return 1') return x", "local x = xpcall() return x",
    "local x = xpcall(function() end) return x", "return {pcall(next, {}, 'nokey')}",
    "local n = 0 for k, v in pairs({1,2,3}) do n = n + v end return n",
    "local t = {} for k in next, string do t[#t+1] = k end table.sort(t) return t",
    # pcall with nothing to call calls luaRedisPcall's placeholder
    "return {pcall()}", "return select('#', pcall())", "return {pcall(pcall)}",
    # unpack past a C int's range (a crash of the stock Lua), and past LUAI_MAXCSTACK
    "return select('#', unpack({}, -2^31, 2^31-1))", "return select('#', unpack({}, -10, 2^31-1))",
    "return select('#', unpack({}, 0, 2^31-1))", "return select('#', unpack({}, -2^31, 0))",
    "return select('#', unpack({}, -2^31, -2^31+5))", "return select('#', unpack({}, 2^31, 2^31+2))",
    "return select('#', unpack({}, 2^31-3, 2^31-1))", "local x = unpack({1,2,3}, 1, 1e8) return x",
    "return select('#', unpack({}, 1, 7997))", "local x = unpack({}, 1, 7998) return x",
    "return select('#', unpack({}, 1))", "return {unpack({1,2,3}, '2', '3')}",
    "return {unpack({1,2,3}, 2.7)}", "return #{unpack({1,2,3}, 0/0, 1)}",
    # precompiled chunks are read as text
    "local f, e = loadstring(string.dump(function() return 7 end)) return e",
    "return loadstring(string.dump(function() return 7 end))",
    "local f, e = loadstring('\\27Lua') return e", "local f, e = loadstring('\\27', '=x') return e",
    "local f, e = loadstring('\\27', 5) return e", "local f, e = loadstring('\\26') return e",
    "local s = string.dump(function() return 7 end) local i = 0 local f, e = load(function() "
    "i = i + 1 if i == 1 then return s end end) return {e, i}",
    "local i = 0 local f, e = load(function() i = i + 1 if i == 1 then return '\\26' end end) "
    "return {e, i}",
    "local i = 0 local f = load(function() i = i + 1 if i == 1 then return 'return 5' end end) "
    "return {f(), i}",
    "local f, e = load(function() return {} end) return e",
    "local f, e = load(function() error('x') end) return e",
    "local f, e = load(function() error({err='x'}) end) return type(e)",
    "local x = loadstring(12) return type(x)", "local f, e = loadstring('x = ') return e",
    # read-only metatables
    "return type(getmetatable(string))", "return type(getmetatable(math))",
    "return type(getmetatable(redis))", "return type(getmetatable(cjson))",
    "return type(getmetatable(_G))", "return type(getmetatable(_G).__index)",
    "getmetatable(_G).__index = nil", "getmetatable(_G).x = 1",
    "local t = {} for k in pairs(getmetatable(_G)) do t[#t+1] = k end return t",
    "return getmetatable(getmetatable(_G))", "return getmetatable(getmetatable(''))",
    "return rawequal(getmetatable('').__index, string)",
    "return rawequal(getmetatable(''), getmetatable('x'))",
    "local n = 0 for k in pairs(getmetatable('')) do n = n + 1 end return n",
    "setmetatable(getmetatable(''), nil)", "local x = getmetatable(nil) return x",
    # error objects
    "error({err=5})", "error({err=1.5})", "error({err='x', source=5, line=0})",
    "local ok, e = pcall(error, {err=5}) return type(e)",
    "local ok, e = pcall(error, {err='x', y=1}) return e",
    "local ok, e = pcall(error, {msg='x'}) return type(e)",
    "local ok, e = xpcall(function() error({err='x'}) end, function(e) return e.err end) "
    "return e",
    "local ok, e = xpcall(function() redis.call('nosuch') end, function(e) return e end) "
    "return {type(e), e.err}",
    "local ok, e = pcall(redis.call, 'get') return {type(e), e.err}",
    "local e = redis.pcall('incr', 'x', 'y') local t = {} for k, v in pairs(e) do "
    "t[#t+1] = k .. '=' .. tostring(v) end table.sort(t) return t",
    "local ok, e = pcall(function() local ok2, e2 = pcall(error, {err='inner'}) error(e2) end) "
    "return e",
    # the error handler names the C function a library function's error came through
    "return {string.gsub('a', '(a)()', redis.sha1hex)}",
    "local t = {} for i = 1, 5 do t[i] = 6 - i end table.sort(t, redis.sha1hex) return #t",
    # redis.* and math.random read their numbers as C ints
    "return redis.log('1', 'x')", "return redis.log(3.9, 'x')", "return redis.log(-0.5, 'x')",
    "return redis.log(0/0, 'x')", "return redis.log(4, 'x')", "return redis.log({}, 'x')",
    "return redis.set_repl(1.5)", "return redis.set_repl('x')", "return redis.set_repl({})",
    "return redis.set_repl(nil)", "return redis.set_repl(4)", "return redis.set_repl(-1)",
    "return redis.set_repl(2^40)", "return redis.setresp(2.5)", "return redis.setresp('x')",
    "return redis.setresp('3') or redis.call('ping')", "return redis.acl_check_cmd({})",
    "return redis.acl_check_cmd(bit.band)", "return redis.acl_check_cmd('nosuch', {})",
    "math.randomseed(7) return {math.random(-2^31, 2^31-1), math.random(0, 2^31-1), "
    "math.random(-2^31+1, 2^31-1)}",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_sandbox_scripts(both: Differential, script: str) -> None:
    both("EVAL", script, 0)


def test_string_metatable_stays(both: Differential) -> None:
    """A script cannot take strings' methods away from the scripts after it."""
    both("EVAL", "getmetatable('').__index = nil", 0)
    both("EVAL", "getmetatable('').x = 1", 0)
    both("EVAL", "return ('abc'):upper()", 0)


def test_precompiled_script(both: Differential, o: redis.Redis) -> None:
    """EVAL of bytecode (Redis's own string.dump) fails to compile, as text."""
    code = o.eval("return string.dump(function() return 7 end)", 0)
    both("EVAL", code, 0)
    both("SCRIPT", "LOAD", code)


LOG_CALLBACKS = [
    "redis.register_function{function_name='f', callback=redis.log}",
    "redis.register_function('f', redis.log)",
    "redis.register_function{function_name='f', callback=redis.register_function}",
    # the tables register_function reads may hold C functions anywhere
    "redis.register_function{function_name='f', callback=function() end, [redis.log]=1}",
    "redis.register_function{function_name=redis.log, callback=function() end}",
    "redis.register_function{function_name='f', callback=function() end, description=redis.log}",
    "redis.register_function{function_name='f', callback=function() end, flags={redis.log}}",
    "redis.register_function{function_name='f', callback=function() end, flags=redis.log}",
    "redis.register_function{redis.log, function_name='f', callback=redis.log}",
    "redis.register_function(redis.log, redis.log)", "redis.register_function{redis.log}",
    # FUNCTION LOAD's redis.log is the C function scripts have
    "local x = redis.log.x", "local x = redis.log + 1", "local x = #redis.log",
    "redis.log(redis.LOG_WARNING, 'x') redis.register_function('f', function() end)",
    "redis.log('x', 1)", "redis.log(1)",
]


@pytest.mark.parametrize("body", LOG_CALLBACKS)
def test_library_api_c_functions(r: redis.Redis, o: redis.Redis, both: Differential,
                                 body: str) -> None:
    """FUNCTION LOAD's library API has redis.log as the C function it is in Redis: it is a
    callback register_function takes, which FCALL calls as Redis does (but that Redis's
    error names no position, where slotkv's names the C frame of its sandbox: compared
    without it)."""
    r.function_flush()
    o.function_flush()
    try:
        if both("FUNCTION", "LOAD", f"#!lua name=logcb\n{body}") == b"logcb":
            both("FUNCTION", "LIST")
            mine, theirs = reply_of(r, "FCALL", "f", 0), reply_of(o, "FCALL", "f", 0)
            if isinstance(mine, tuple):
                mine = (mine[0], mine[1].split(" script: ")[0])
            assert mine == theirs
            assert r.ping()
    finally:
        r.function_flush()
        o.function_flush()
