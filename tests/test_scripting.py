"""Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT ...) against redis-server 7.0.

Replies and error texts are compared over RESP2 and RESP3 (the Lua <-> reply conversions, the
sandbox, redis.* functions, redis.call's checks), then the effects around a script: database
selection, MULTI/EXEC and WATCH, keyspace events, MONITOR, error stats, INFO, and what goes
to the AOF (a script's writes, wrapped in MULTI/EXEC, never the EVAL itself).
"""

from __future__ import annotations

import os
import re
import socket
from typing import Any

import pytest
import redis

from aofhelp import aof_logged, incr_aof
from conftest import Differential, ServerProcess, reply_of, wait_until
from node.aof_reader import CommandReader

# Scripts whose reply (or error) must be the same over either protocol.
SCRIPTS = [
    # Lua -> reply
    "return 3.99", "return -3.99", "return 1e20", "return 0/0", "return -0.5", "return 'x'",
    "return {1,2,{3,'a'},nil,5}", "return {ok='fine'}", "return {err='bad thing'}",
    "return {err='-bad thing'}", "return {ok=1}", "return {ok='a\\r\\nb'}", "return true",
    "return false", "return nil", "return {true,false,'x'}", "return {}", "return {1,2,ok='x'}",
    "return {ok='fine', err='x'}", "return redis.call", "return {1,redis.call}",
    "return {double=3.5}", "return {double=1/0}", "return {map={a=1}}", "return {map={}}",
    "return {map=1}", "return {set={a=true}}", "return {double='x'}",
    "return {verbatim_string={format='txt',string='hi'}}",
    "return {verbatim_string={string='hi'}}",
    "return {big_number='123'}",
    # redis.* helpers
    "return redis.error_reply('My error')", "return redis.error_reply('-My error')",
    "return redis.error_reply('')", "return redis.error_reply('a\\r\\nb')",
    "return redis.error_reply(1)", "return redis.status_reply('STAT')",
    "return redis.status_reply('')", "return redis.status_reply(1)", "return redis.sha1hex('')",
    "return redis.sha1hex(1)", "return redis.sha1hex()",
    "return redis.log(redis.LOG_WARNING, 'hello from a script')",
    "return redis.log(99, 'hello')", "return redis.log(redis.LOG_WARNING)",
    "return redis.log('x', 'y')", "return redis.setresp(4)", "return redis.setresp()",
    "return redis.set_repl(redis.REPL_ALL)", "return redis.set_repl(99)",
    "return redis.set_repl()", "return redis.replicate_commands()", "return redis.breakpoint()",
    "return redis.debug('x')", "return redis.acl_check_cmd('get','x')",
    "return redis.acl_check_cmd('nosuch')", "return redis.acl_check_cmd()",
    "return {redis.LOG_DEBUG,redis.LOG_VERBOSE,redis.LOG_NOTICE,redis.LOG_WARNING,"
    "redis.REPL_NONE,redis.REPL_AOF,redis.REPL_SLAVE,redis.REPL_REPLICA,redis.REPL_ALL}",
    "return redis.REDIS_VERSION", "return _VERSION",
    # redis.call: replies to Lua
    "return redis.call('get','nokey')", "return type(redis.call('get','nokey'))",
    "return redis.call('set','a','1')", "return type(redis.call('set','a','1'))",
    "return redis.call('set','a','1').ok", "return redis.call('ping')",
    "redis.call('set','a',1.5); return redis.call('get','a')",
    "redis.call('set','a',0.1); return redis.call('get','a')",
    "redis.call('set','a',1e20); return redis.call('get','a')",
    "redis.call('hset','h','a','1','b','2'); return redis.call('hgetall','h')",
    "redis.call('zadd','z','1.5','m'); return redis.call('zscore','z','m')",
    "return redis.call('incrbyfloat','f','1.5')",
    "return redis.call('mget','nokey','nokey2')",
    "redis.setresp(3); return redis.call('get','nokey')",
    "redis.setresp(3); return type(redis.call('get','nokey'))",
    "redis.setresp(3); redis.call('hset','h','a','1'); return redis.call('hgetall','h')",
    "redis.setresp(3); redis.call('hset','h','a','1'); return redis.call('hgetall','h').map.a",
    "redis.setresp(3); redis.call('zadd','z','1.5','m'); return redis.call('zscore','z','m')",
    "redis.setresp(3); redis.call('zadd','z','1.5','m'); "
    "return redis.call('zscore','z','m').double",
    "redis.setresp(3); redis.call('sadd','s','x'); return redis.call('smembers','s')",
    "redis.setresp(3); return {redis.call('exists','h')}", "redis.setresp(3); return true",
    "redis.setresp(3); return false", "redis.setresp(3); return nil",
    "redis.setresp(3); return redis.call('mget','nokey','x')",
    "redis.call('zadd','z','1','a','2.5','b'); redis.setresp(3); "
    "return redis.call('zrange','z','0','-1','WITHSCORES')",
    "redis.call('zadd','z','1','a','2.5','b'); redis.setresp(3); "
    "return redis.call('zpopmin','z','2')",
    "redis.call('hset','h','a','1'); redis.setresp(3); "
    "return redis.call('hrandfield','h','1','WITHVALUES')",
    # redis.call: errors
    "return redis.call('nosuch')", "return redis.call('get')", "return redis.call('GET')",
    "return redis.call()", "return redis.call({})", "return redis.call('set','a',{})",
    "return redis.call('set','a',nil)", "return redis.call('set','a',true)",
    "redis.call('set','a','1'); return redis.call('lpush','a','x')",
    "redis.call('set','a','1'); return redis.pcall('lpush','a','x')",
    "redis.call('set','a','1'); return redis.pcall('lpush','a','x').err",
    "return redis.pcall('incr','nokey2', 'x')", "return pcall(redis.call, 'nosuch')",
    "local ok, e = pcall(redis.call, 'nosuch'); return e",
    "return redis.call('eval', 'return 1', '0')", "return redis.call('multi')",
    "return redis.call('blpop', 'nolist', '0')", "return redis.call('subscribe', 'x')",
    "return redis.call('client','info')", "return redis.call('client','nosuch')",
    "return redis.call('client')", "return redis.call('config','get','maxmemory')",
    "return redis.call('script','load','return 1')",
    "return redis.call('xread', 'BLOCK', '0', 'STREAMS', 'nos', '$')",
    "return redis.call('select', '99')", "return redis.call('incr', 'nokey', 'x')",
    # the sandbox
    "return x", "x = 1", "return print", "return tostring(getfenv)", "return tostring(setfenv)",
    "return tostring(dofile)", "return tostring(os)", "return tostring(io)",
    "return tostring(require)", "string.x = 1", "redis.call = nil", "KEYS = 1", "redis = 1",
    "math.foo = 2", "coroutine.x = 1", "rawset(_G,'x',1)", "setmetatable(_G, nil)",
    "return type(getmetatable(_G))", "local t = {} t.x = 1 return t.x", "return rawget(_G, 'x')",
    "return rawget(_G, 'redis') ~= nil", "return _G.x", "return _G['redis'] ~= nil",
    "KEYS[1] = 'a' return KEYS[1]", "return loadstring('return 1')()",
    "return loadstring('x=5')()", "return load(function() return nil end)",
    "return coroutine.wrap(function() coroutine.yield(5) end)()",
    "local t={} for k,v in pairs(_G) do if type(v) ~= 'table' or k == 'redis' "
    "or k == 'string' or k == 'math' or k == 'table' or k == '_G' or k == 'coroutine' "
    "or k == 'KEYS' or k == 'ARGV' then t[#t+1]=k..':'..type(v) end end "
    "table.sort(t) return t",
    "local t={} for k,v in pairs(string) do t[#t+1]=k end table.sort(t) return t",
    "local t={} for k,v in pairs(math) do t[#t+1]=k end table.sort(t) return t",
    "local t={} for k,v in pairs(table) do t[#t+1]=k end table.sort(t) return t",
    "local t={} for k,v in pairs(redis) do t[#t+1]=k end table.sort(t) return t",
    "return ('abc'):upper()", "return string.format('%d %s %5.2f', 3, 'x', 1.5)",
    "return tostring(1e15) .. ' ' .. tostring(0.1)",
    "math.randomseed(42) return {math.random(1000), math.random(), math.random(3,7)}",
    "return math.random(0)", "return math.random(3,1)", "return math.random(1,2,3)",
    "return math.random(0/0)", "return math.random(2^32 + 3)",
    # bit (LuaBitOp)
    "return bit.tobit(0xffffffff)", "return bit.tobit(2^32+5.5)", "return bit.tobit(2.5)",
    "return bit.tobit(3.5)", "return bit.tohex(255)", "return bit.tohex(-1, -4)",
    "return bit.tohex(255, 2)", "return bit.tohex(255, 0)", "return bit.tohex(1, 9)",
    "return bit.tohex(255, -9)", "return bit.bnot(0)", "return bit.band(0xff, 0x0f, 0x3)",
    "return bit.bor(1,2,4)", "return bit.bxor(5,1)", "return bit.lshift(1, 33)",
    "return bit.rshift(-1, 28)", "return bit.arshift(-256, 4)", "return bit.rol(0x80000001, 1)",
    "return bit.ror(1, 1)", "return bit.bswap(0x12345678)", "return bit.band()",
    "return bit.band('x')", "return bit.band('12', 7)", "return bit.tobit()",
    "return bit.band(1.7, 3)", "bit.x = 1",
    # (LuaBitOp's double trick: NaN and infinities are 0, huge numbers their mantissa's bits)
    "return bit.tobit(0/0)", "return bit.tobit(1/0)", "return bit.tobit(-1/0)",
    "return bit.tohex(0/0)", "return bit.tohex(1/0)", "return bit.band(0/0, 1)",
    "return bit.bor(1/0, 1)", "return bit.lshift(1, 0/0)", "return bit.lshift(1, 1/0)",
    "return bit.tobit('nan')", "return bit.tobit('inf')", "return bit.tobit(2^60)",
    "return bit.tobit(-2^63)", "return bit.tobit(2^63)", "return bit.tobit(1e300)",
    "return bit.tobit(-1e300)", "return bit.tobit(2^53+2)", "return bit.tobit(2^52+1.5)",
    "return bit.tobit(-2^51-0.5)", "return bit.tobit(2^64+2^33)", "return bit.tobit(-2^52-1)",
    "return bit.tohex(2^60)", "return bit.tohex(1, 0/0)", "return bit.tohex(1, -1/0)",
    "return bit.tohex(1, 2^32+3)", "return bit.tohex(1, -2^31)", "return bit.tohex(255, -2^31)",
    "return bit.tohex(1, nil)", "return bit.tohex(1, '')", "return bit.band(1, 'a')",
    "return bit.band(1, '0x0')", "return bit.tobit(nil)", "return bit.tobit({})",
    "local t={} for k,v in pairs(bit) do t[#t+1]=k end table.sort(t) return t",
    # functions written in Python are functions to scripts
    "return {type(redis.call), type(math.random), type(bit.band), type(cjson.encode), "
    "type(cjson.new), type(cjson.null), type(nil), type({}), type(type)}",
    "return string.sub(tostring(redis.call), 1, 12)", "return tostring(cjson.null)",
    "return tostring(setmetatable({}, {__tostring = function() return 'x' end}))",
    "return tostring(1.5) .. tostring(nil) .. tostring(true)", "local x = type() return x",
    # a Python function's error names the line that called it, even once pcall has caught it
    "return {pcall(function() return bit.band('x') end)}",
    "local function f()\n  return math.random(3, 1)\nend\nreturn {pcall(f)}",
    "return redis.call('echo', 0/0)",
    # script errors
    "error('boom')", "error('boom', 0)", "error({err='tbl'})", "error({err='tbl', x=1})",
    "error(5)", "error()", "local x = nil; return x.y", "return string.rep()",
    "local function f() error('deep') end\nlocal a = 1\nf()",
    "return {pcall(function() return undefinedvar end)}",
    "local ok, e = pcall(error, 'x'); return e",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_replies_resp2(both: Differential, script: str) -> None:
    both("EVAL", script, 0)


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_replies_resp3(both3: Differential, script: str) -> None:
    both3("EVAL", script, 0)


def _raw(port: int, *commands: tuple, resp3: bool = False) -> list[bytes]:
    """The exact bytes of each reply (redis-py hides what an error or status looked like)."""
    import hiredis

    out = []
    with socket.create_connection(("127.0.0.1", port)) as s:
        if resp3:
            s.sendall(hiredis.pack_command(("HELLO", "3")))
            _read_reply(s)
        for cmd in commands:
            s.sendall(hiredis.pack_command(cmd))
            out.append(_read_reply(s))
    return out


def _read_reply(s: socket.socket) -> bytes:
    import hiredis

    incomplete = object()  # (False is a RESP3 reply too)
    reader = hiredis.Reader(notEnoughData=incomplete)
    data = b""
    while True:
        chunk = s.recv(65536)
        data += chunk
        reader.feed(chunk)
        if reader.gets() is not incomplete:
            return data


WIRE = [
    "return {err='bad thing'}", "return {err='-bad thing'}", "return {err=''}",
    "return redis.error_reply('')", "return redis.error_reply('a b\\r\\nc')",
    "return redis.status_reply('')", "return {ok='a\\r\\nb'}", "return {double=0/0}",
    "return {double=1/0}", "return {double=-2.5}", "redis.setresp(3); return true",
    "redis.setresp(3); return false", "redis.setresp(3); return nil", "return false",
    "return {set={a=true,b=false}}", "return {map={a=1,b={1,2}}}",
    "return {verbatim_string={format='mkd',string='hi'}}",
    "return {verbatim_string={format='toolong',string='a\\nb'}}",
    "return {verbatim_string={format='a',string='hi'}}", "return {big_number='123'}",
    "return {1,{big_number='-7'}}",
]


@pytest.mark.parametrize("script", WIRE)
def test_script_reply_bytes(node: ServerProcess, oracle: ServerProcess, script: str) -> None:
    for resp3 in (False, True):
        cmd = ("EVAL", script, "0")
        assert _raw(node.port, cmd, resp3=resp3) == _raw(oracle.port, cmd, resp3=resp3)


@pytest.mark.parametrize("cmd", [
    ("EVAL", "return 1", "-1"), ("EVAL", "return 1", "2", "a"), ("EVAL", "return 1", "x"),
    ("EVAL", "return 1", "1"), ("EVAL", "return 1"), ("EVALSHA", "abc", "1"),
    ("EVALSHA", "abc", "-1"), ("EVALSHA", "a" * 40, "-1"), ("EVALSHA", "a" * 40, "0"),
    ("EVALSHA", "a" * 41, "0"), ("EVAL", "return +", "0"), ("EVAL", "return {KEYS, ARGV}", "0"),
    ("EVAL", "return {KEYS[1],ARGV[1],#KEYS,#ARGV}", "1", "k", "a", "b"),
    ("EVAL", "return {KEYS[1],KEYS[2],ARGV[1]}", "2", "k1", "k2"),
    ("EVAL_RO", "return redis.call('set','a','1')", "0"),
    ("EVAL_RO", "return redis.pcall('set','a','1')", "0"),
    ("EVAL_RO", "return redis.call('publish','a','1')", "0"),
    ("EVAL_RO", "return redis.call('get','a')", "0"), ("EVAL_RO", "#!lua\nreturn 1", "0"),
    ("EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"),
    ("EVAL", "#!lua flags=no-writes\nreturn redis.call('set','a','1')", "0"),
    ("EVAL", "#!lua flags=no-writes,allow-oom\nreturn 1", "0"),
    ("EVAL", "#!lua flags=bad\nreturn 1", "0"), ("EVAL", "#!lua name=x\nreturn 1", "0"),
    ("EVAL", "#!lua\nreturn 1", "0"), ("EVAL", "#!luax\nreturn 1", "0"),
    ("EVAL", "#!lua flags=no-cluster\nreturn 1", "0"), ("EVAL", "#!lua flags=\nreturn 1", "0"),
    ("EVAL", "#!lua flags=allow-cross-slot-keys,allow-stale\nreturn 1", "0"),
    ("EVAL", "#!lua flags=no-writes", "0"), ("EVAL", "#!lua\nreturn x", "0"),
    ("SCRIPT", "LOAD", "return +"), ("SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1"),
    ("SCRIPT", "FLUSH", "x"), ("SCRIPT", "FLUSH", "a", "b"), ("SCRIPT", "NOSUCH"),
    ("SCRIPT", "EXISTS"), ("SCRIPT", "LOAD"), ("SCRIPT", "HELP"), ("SCRIPT",),
    ("SCRIPT", "HELP", "x"),
])
def test_command_errors(both: Differential, cmd: tuple) -> None:
    both(*cmd)


def test_script_cache(both: Differential) -> None:
    both("SCRIPT", "FLUSH")
    sha = both("SCRIPT", "LOAD", "return 'loaded'")
    both("SCRIPT", "EXISTS", sha, "x", sha.upper())
    both("EVALSHA", sha, "0")
    both("EVALSHA", sha.upper(), "0")
    both("EVALSHA_RO", sha, "0")
    # EVAL caches what it ran: EVALSHA and SCRIPT EXISTS find it.
    both("EVAL", "return 'cached'", "0")
    sha2 = both("SCRIPT", "LOAD", "return 'cached'")
    both("SCRIPT", "FLUSH", "ASYNC")
    both("SCRIPT", "EXISTS", sha, sha2)
    both("EVALSHA", sha2, "0")
    both("EVAL", "return 'cached'", "0")
    both("SCRIPT", "EXISTS", sha2)
    both("SCRIPT", "FLUSH", "sync")
    both("EVAL", "return +", "0")
    both("SCRIPT", "EXISTS", "7c07a9e8b8f3d0aaa9b4b3e6e6b5a1ef5d1b8c2e")


def test_info_counts_cached_scripts(r: redis.Redis, o: redis.Redis) -> None:
    for c in (r, o):
        c.script_flush()
    assert r.info("memory")["number_of_cached_scripts"] == 0
    for c in (r, o):
        c.eval("return 1", 0)
        c.script_load("return 2")
    mine, theirs = r.info("memory"), o.info("memory")
    assert mine["number_of_cached_scripts"] == theirs["number_of_cached_scripts"] == 2
    # Sizes are estimates (Redis counts its allocations), of the same order.
    assert theirs["used_memory_scripts_eval"] / 2 < mine["used_memory_scripts_eval"] \
        < theirs["used_memory_scripts_eval"] * 2
    assert mine["used_memory_lua"] > 0
    assert mine["used_memory_scripts"] == mine["used_memory_scripts_eval"]
    for c in (r, o):
        c.script_flush()
    assert r.info("memory")["number_of_cached_scripts"] == 0
    assert r.info("memory")["used_memory_scripts_eval"] == 0


def test_select_inside_a_script_is_the_script_s_own(both: Differential) -> None:
    both("SELECT", "0")
    both("EVAL", "redis.call('select','2'); redis.call('set','k','in2'); "
         "return redis.call('get','k')", "0")
    both("GET", "k")  # the caller is still in db 0
    both("SELECT", "2")
    both("GET", "k")
    both("EVAL", "return redis.call('get','k')", "0")  # a script starts in the caller's db
    both("SELECT", "0")


def test_eval_inside_multi_and_watch(both: Differential, r: redis.Redis, o: redis.Redis,
                                     node: ServerProcess, oracle: ServerProcess) -> None:
    both.run(("MULTI",), ("EVAL", "return redis.call('incr','n')", "0"), ("INCR", "n"),
             ("EVAL", "return redis.call('nosuch')", "0"))
    mine, theirs = reply_of(both.r, "EXEC"), reply_of(both.o, "EXEC")
    assert [str(x) for x in mine] == [str(x) for x in theirs]
    both("GET", "n")
    # A script's write makes a watcher's EXEC fail.
    for proc in (node, oracle):
        watcher = proc.client(single_connection_client=True)
        watcher.execute_command("WATCH", "w")
        proc.client().eval("redis.call('set','w','1')", 0)
        watcher.execute_command("MULTI")
        watcher.execute_command("SET", "x", "1")
        assert watcher.execute_command("EXEC") is None
        watcher.close()


def test_keyspace_events(both: Differential) -> None:
    both.same_events(
        ("EVAL", "redis.call('set','a','1'); redis.call('incr','a'); "
                 "redis.call('expire','a','100'); redis.call('get','nokey')", "0"),
        ("EVAL", "redis.call('lpush','l','x'); redis.call('lpop','l')", "0"),
    )


def test_error_stats(r: redis.Redis, o: redis.Redis) -> None:
    """Errors of the commands a script ran count once, as they happen; the script's own
    errors (and errors it returns) when it replies."""
    scripts = [
        "redis.call('set','s','1'); return redis.call('lpush','s','x')",
        "return redis.pcall('lpush','s','x')", "return redis.call('nosuch')",
        "return redis.call('get')", "error('x')", "return redis.error_reply('MY error')",
        "return {err='OWN err'}", "return redis.call()", "return 1",
        "redis.pcall('lpush','s','x'); return 1",
    ]
    for c in (r, o):
        c.config_resetstat()
        for script in scripts:
            reply_of(c, "EVAL", script, "0")
        reply_of(c, "EVALSHA", "x" * 40, "0")
    def stats(c: redis.Redis) -> Any:
        info = c.info("all")
        return ({k: v for k, v in info.items() if k.startswith("errorstat_")},
                info["total_error_replies"],
                {k: (v["calls"], v["rejected_calls"], v["failed_calls"])
                 for k, v in info.items() if k.startswith("cmdstat_")})
    assert stats(r) == stats(o)


def test_blocking_commands_do_not_block(both: Differential) -> None:
    both("EVAL", "return redis.call('xread','BLOCK','0','STREAMS','s','$')", "0")
    both("EVAL", "return redis.call('xreadgroup','GROUP','g','c','BLOCK','0','STREAMS','s','>')",
         "0")


def _monitor_lines(proc: ServerProcess, commands: list[tuple]) -> list[str]:
    lines: list[str] = []
    with socket.create_connection(("127.0.0.1", proc.port)) as s:
        s.sendall(b"MONITOR\r\n")
        assert s.recv(100) == b"+OK\r\n"
        client = proc.client()
        for cmd in commands:
            reply_of(client, *cmd)
        client.set("monitor-end", "1")
        data = b""
        s.settimeout(5)
        while b"monitor-end" not in data:
            data += s.recv(65536)
        client.close()
    for line in data.decode().splitlines():
        # "+<time> [<db> <addr>] args": keep db, lua-or-not and the arguments.
        m = re.match(r"\+[\d.]+ \[(\d+) ([^\]]+)\] (.*)", line)
        assert m, line
        lines.append(f"{m.group(1)} {'lua' if m.group(2) == 'lua' else 'client'} {m.group(3)}")
    return lines


def test_monitor_shows_eval_then_its_commands(node: ServerProcess,
                                              oracle: ServerProcess) -> None:
    commands = [
        ("EVAL", "redis.call('set','a','1'); redis.call('select','2'); "
                 "return redis.call('get','a')", "1", "a"),
        ("SCRIPT", "LOAD", "return 1"), ("EVAL", "return redis.call('nosuch')", "0"),
        ("EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"),
    ]
    assert _monitor_lines(node, commands) == _monitor_lines(oracle, commands)


def test_redis_py_registered_script(r: redis.Redis, o: redis.Redis) -> None:
    """redis-py's Script: EVALSHA first, EVAL on NOSCRIPT, then EVALSHA again."""
    for c in (r, o):
        c.script_flush()
    results = []
    for c in (r, o):
        add = c.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
        results.append([add(keys=["counter"], args=[5]), add(keys=["counter"], args=[2]),
                        c.script_exists(add.sha)])
    assert results[0] == results[1] == [5, 7, [True]]


RATE_LIMIT = """
local current = redis.call('INCR', KEYS[1])
if current == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('TTL', KEYS[1])
if current > tonumber(ARGV[2]) then
  return {0, current, ttl}
end
return {1, current, ttl}
"""


def test_rate_limiter(both: Differential) -> None:
    for _ in range(5):
        both("EVAL", RATE_LIMIT, "1", "rate:user1", "60", "3")
    both("TTL", "rate:user1")
    both("EVAL", RATE_LIMIT, "1", "rate:user1", "60", "notanumber")


def test_rate_limiter_pipelined(r: redis.Redis, o: redis.Redis) -> None:
    results = []
    for c in (r, o):
        pipe = c.pipeline(transaction=False)
        for i in range(20):
            pipe.eval(RATE_LIMIT, 1, f"rate:{i % 3}", 60, 4)
        results.append(pipe.execute())
    assert results[0] == results[1]


# What a script writes goes to the AOF as its commands (rewritten as any command's are),
# wrapped in MULTI/EXEC when there are more than one; EVAL itself, SCRIPT LOAD and FLUSH
# never.
AOF_CASES = [
    ("SCRIPT", "LOAD", "return 1"), ("SCRIPT", "FLUSH"),
    ("EVAL", "redis.call('set','a','1'); redis.call('incr','a'); "
             "return redis.call('get','a')", "1", "a"),
    ("EVAL", "redis.call('set','b','1')", "0"), ("EVAL", "redis.call('get','b')", "0"),
    ("EVAL", "redis.call('select','2'); redis.call('set','c','1'); "
             "redis.call('expire','c','100')", "0"),
    ("EVAL", "redis.set_repl(redis.REPL_NONE); redis.call('set','d','1'); "
             "redis.set_repl(redis.REPL_ALL); redis.call('set','e','1')", "0"),
    ("EVAL", "redis.call('set','f','1', 'EX', '100')", "0"),
    ("EVAL", "redis.call('spop','nokey')", "0"),
    ("EVAL", "redis.call('set','g','1'); redis.call('get','g'); redis.call('del','nokey')", "0"),
    ("EVAL", "redis.call('set','h','1'); return redis.call('nosuch')", "0"),
    ("MULTI",), ("SET", "m", "1"), ("EVAL", "redis.call('set','n','1')", "0"), ("EXEC",),
    ("MULTI",), ("EVAL", "redis.call('set','o','1') redis.call('set','p','1')", "0"), ("EXEC",),
    ("EVAL_RO", "return redis.call('get','a')", "0"),
]


def _without_times(argvs: list[list[bytes]]) -> list[list[bytes]]:
    # Absolute expiry times differ by the milliseconds between the two servers' runs.
    return [[b"<ms>" if a.isdigit() and len(a) == 13 else a for a in argv] for argv in argvs]


def test_script_effects_are_logged_as_redis(
        aof_pair: tuple[ServerProcess, ServerProcess]) -> None:
    mine, theirs = aof_logged(aof_pair, AOF_CASES)
    assert _without_times(mine) == _without_times(theirs)


def test_eval_in_a_pipeline_is_logged_as_redis(
        aof_pair: tuple[ServerProcess, ServerProcess]) -> None:
    """A pipelined chunk with an EVAL in it cannot pass to the AOF as the client's own bytes
    (node/propagate.py's verbatim batches): the EVAL's writes go in its place."""
    logged = []
    for proc in aof_pair:
        path = incr_aof(proc)
        c = proc.client()
        c.flushall()
        start = os.path.getsize(path)
        pipe = c.pipeline(transaction=False)
        pipe.set("x", "1")
        pipe.eval("redis.call('set','y','2'); redis.call('set','z','3')", 0)
        pipe.set("w", "4")
        pipe.eval("redis.call('set','v','5')", 0)
        pipe.set("aof-marker", "1")
        pipe.execute()
        c.close()

        def read() -> Any:
            with open(path, "rb") as f:
                f.seek(start)
                argvs = [a for a in CommandReader(f, start) if a[0].upper() != b"SELECT"]
            return argvs if argvs and argvs[-1][1:2] == [b"aof-marker"] else None

        logged.append(wait_until(read, what="the AOF"))
    assert logged[0] == logged[1]
