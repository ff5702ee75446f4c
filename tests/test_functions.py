"""FUNCTION and FCALL against redis-server: loading libraries (and every way it fails), calls,
FUNCTION LIST in RESP2 and RESP3, DUMP/RESTORE both ways between the two servers, and the
libraries' life in RDB files, the AOF and on a replica."""

from __future__ import annotations

import os
from typing import Any, Iterator

import pytest
import redis

from aofhelp import aof_logged, redis_on_aof
from conftest import Differential, free_port, reply_of, wait_until
from replication_helpers import follow, in_sync, synced_pair

LIB = b"""#!lua name=mylib
local function get(keys, args) return redis.call('GET', keys[1]) end
redis.register_function('myget', get)
redis.register_function{function_name='myset', callback=function(keys, args)
  return redis.call('SET', keys[1], args[1]) end, description='sets a key'}
redis.register_function{function_name='ro_ping', callback=function() return redis.call('PING') end,
  flags={'no-writes', 'allow-stale'}}
"""


def lib(name: str, body: str) -> str:
    return f"#!lua name={name}\n{body}"


@pytest.fixture(autouse=True)
def no_functions(r: redis.Redis, o: redis.Redis) -> Iterator[None]:
    r.function_flush()
    o.function_flush()
    yield
    r.function_flush()
    o.function_flush()


def library_names(client: redis.Redis) -> list[bytes]:
    return sorted(entry[1] for entry in reply_of(client, "FUNCTION", "LIST"))  # (RESP2)


def sorted_list(reply: Any) -> Any:
    """FUNCTION LIST with its libraries and their functions in one order (Redis's is its
    dictionaries')."""
    if isinstance(reply, dict):
        return {k: sorted_list(v) for k, v in reply.items()}
    if isinstance(reply, list):
        items = [sorted_list(x) for x in reply]
        if items and all(isinstance(x, (list, dict)) for x in items):
            items.sort(key=repr)
        return items
    return reply


def test_load_call_and_errors(both: Differential) -> None:
    both("FUNCTION", "LOAD", LIB)
    both("FCALL", "myset", 1, "k", "v")
    both("FCALL", "MYGET", 1, "k")  # function names ignore case
    both("FCALL_RO", "ro_ping", 0)
    both("FCALL_RO", "myset", 1, "k", "w")  # a function that may write
    both("FCALL", "nosuch", 0)
    both("FCALL", "myget", "x", "k")
    both("FCALL", "myget", 2, "k")
    both("FCALL", "myget", -1, "k")
    both("FUNCTION", "LOAD", LIB)  # already exists
    both("FUNCTION", "LOAD", "REPLACE", LIB)
    both("FUNCTION", "LOAD", "BOGUS", LIB)
    both("FUNCTION", "LOAD", "REPLACE")
    both("FUNCTION", "LOAD", lib("other", "redis.register_function('myget', function() end)"))
    both("FUNCTION", "DELETE", "nosuch")
    both("FUNCTION", "DELETE", "mylib")
    both("FCALL", "myget", 1, "k")
    bad = [
        "return 1",  # no shebang
        "#!lua name=x",  # no newline
        "#!lua\nreturn 1",
        "#!lua name=x foo=bar\nreturn 1",
        "#!lua name=x name=y\nreturn 1",
        "#!lua name=a-b\nreturn 1",
        "#!js name=x\nreturn 1",
        lib("x", "return 1"),
        lib("x", "local a = ("),
        lib("x", "return redis.call('ping')"),
        lib("x", "a = 1"),
        lib("x", "math.random()"),
        lib("x", "redis.register_function()"),
        lib("x", "redis.register_function(1, 2, 3)"),
        lib("x", "redis.register_function({}, function() end)"),
        lib("x", "redis.register_function('f', 'g')"),
        lib("x", "redis.register_function('f-g', function() end)"),
        lib("x", "redis.register_function('f', function() end)\n"
                 "redis.register_function('f', function() end)"),
        lib("x", "redis.register_function('nope')"),
        lib("x", "redis.register_function{function_name='f'}"),
        lib("x", "redis.register_function{callback=function() end}"),
        lib("x", "redis.register_function{function_name='f', callback=function() end, x=1}"),
        lib("x", "redis.register_function{function_name='f', callback=function() end, "
                 "flags={'bogus'}}"),
        lib("x", "redis.register_function{function_name='f', callback=function() end, "
                 "flags='no-writes'}"),
        lib("x", "redis.register_function{function_name={}, callback=function() end}"),
        lib("x", "redis.register_function{function_name='f', callback=1}"),
        lib("x", "redis.register_function{function_name='f', callback=function() end, "
                 "description={}}"),
        lib("x", "redis.setresp(3)"),
        lib("x", "local a = 1 while true do a = a + 1 end"),
    ]
    for code in bad:
        both("FUNCTION", "LOAD", code)
    both("FUNCTION", "LIST")


def test_function_runtime(both: Differential) -> None:
    both("FUNCTION", "LOAD", lib("rt", """
redis.register_function('boom', function() error('zap') end)
redis.register_function('err', function() return redis.error_reply('MY oops') end)
redis.register_function('args', function(keys, args) return {keys, args, #keys, #args} end)
redis.register_function('globals', function() return KEYS end)
redis.register_function('setg', function() x = 1 end)
redis.register_function('reg', function() redis.register_function('z', function() end) end)
redis.register_function('types', function()
  return {1, 'two', {ok='OK'}, math.floor(3.7), redis.sha1hex('')} end)
redis.register_function('callerr', function() return redis.call('INCR', 'str') end)
"""))
    both("SET", "str", "abc")
    both("FCALL", "boom", 0)
    both("EVAL", "return #KEYS", 1, "k")
    both("FCALL", "globals", 1, "k")
    both("EVAL", "return redis.call('FUNCTION', 'FLUSH')", 0)
    both("MULTI")
    both("FCALL", "args", 1, "a", "b")
    both("EXEC")
    both("FCALL", "err", 0)
    both("FCALL", "args", 2, "a", "b", "c")
    both("FCALL", "setg", 0)
    both("FCALL", "reg", 0)
    both("FCALL", "types", 0)
    both("FCALL", "callerr", 0)
    both("FUNCTION", "LOAD", lib("sneaky", """
local lib = redis
lib.register_function('f1', function() lib.redis = redis return 1 end)
lib.register_function('f2', function() lib.register_function('x', function() end) end)
"""))
    both("FCALL", "f1", 0)
    both("FUNCTION", "LOAD", lib("api", """
local v = redis.REDIS_VERSION .. ' ' .. redis.REDIS_VERSION_NUM .. ' ' .. redis.LOG_WARNING
redis.log(redis.LOG_DEBUG, v)
redis.register_function('vv', function() return v end)
"""))
    both("FCALL", "vv", 0)
    both("FCALL", "f2", 0)


def test_list_stats_help_and_flush(both: Differential, both3: Differential) -> None:
    both("FUNCTION", "LOAD", LIB)
    both("FUNCTION", "LOAD", lib("second", "redis.register_function('s1', function() end)"))
    for d in (both, both3):
        for args in ((), ("WITHCODE",), ("LIBRARYNAME", "my*"), ("libraryname", "MY*", "withcode"),
                     ("LIBRARYNAME", "none*")):
            mine = reply_of(d.r, "FUNCTION", "LIST", *args)
            theirs = reply_of(d.o, "FUNCTION", "LIST", *args)
            assert sorted_list(mine) == sorted_list(theirs), args
        d("FUNCTION", "STATS")
    for args in (("LIBRARYNAME",), ("BOGUS",), ("WITHCODE", "WITHCODE")):
        both("FUNCTION", "LIST", *args)
    both("FUNCTION", "HELP")
    both("FUNCTION", "FLUSH", "BOGUS")
    both("FUNCTION", "FLUSH", "SYNC", "x")
    both("FUNCTION", "FLUSH", "ASYNC")
    both("FUNCTION", "LIST")
    both("FUNCTION", "STATS")


def test_flushall_keeps_functions_and_changes_count(both: Differential) -> None:
    both.same_changes(("FUNCTION", "LOAD", LIB), ("FUNCTION", "DELETE", "mylib"),
                      ("FUNCTION", "LOAD", LIB), ("FUNCTION", "LOAD", LIB),
                      ("FUNCTION", "FLUSH"))
    both("FUNCTION", "LOAD", LIB)
    both("FLUSHALL")
    both("FCALL", "ro_ping", 0)
    for client in (both.r, both.o):
        memory = client.info("memory")
        assert (memory["number_of_functions"], memory["number_of_libraries"]) == (3, 1)


def test_dump_restore_both_ways(both: Differential) -> None:
    long_body = "-- " + "padding " * 20 + "\nredis.register_function('lf', function() end)"
    for client in (both.r, both.o):
        client.function_load(LIB)
        client.function_load(lib("longlib", long_body))  # long enough to be LZF-compressed
    mine, theirs = both.r.function_dump(), both.o.function_dump()
    both("FUNCTION", "FLUSH")
    both("FUNCTION", "RESTORE", theirs)
    # APPEND: the libraries exist (which one the error names is the order of Redis's dict)
    for client in (both.r, both.o):
        error = reply_of(client, "FUNCTION", "RESTORE", theirs)
        assert error in (("error", "Library mylib already exists"),
                         ("error", "Library longlib already exists"))
    both("FUNCTION", "RESTORE", theirs, "REPLACE")
    both("FUNCTION", "RESTORE", mine, "FLUSH")
    both("FCALL", "myset", 1, "k", "v")
    assert sorted_list(reply_of(both.r, "FUNCTION", "LIST", "WITHCODE")) == \
        sorted_list(reply_of(both.o, "FUNCTION", "LIST", "WITHCODE"))
    both("FUNCTION", "RESTORE", mine, "BOGUS")
    both("FUNCTION", "RESTORE", mine, "FLUSH", "x")
    both("FUNCTION", "RESTORE", "short")
    both("FUNCTION", "RESTORE", mine[:-1] + bytes([mine[-1] ^ 1]))
    both("FUNCTION", "RESTORE", both.r.dump("k") if both.r.exists("k") else b"")
    both("FUNCTION", "FLUSH")
    both("FUNCTION", "LOAD", lib("clash", "redis.register_function('myget', function() end)"))
    both("FUNCTION", "RESTORE", mine)  # myget collides with library clash's
    both("FUNCTION", "RESTORE", mine, "REPLACE")
    both("FUNCTION", "LIST", "LIBRARYNAME", "mylib")


def test_command_getkeys_and_monitor_shape(both: Differential) -> None:
    both("COMMAND", "GETKEYS", "FCALL", "f", 2, "a", "b", "c")
    both("COMMAND", "GETKEYS", "FCALL_RO", "f", 1, "a")
    both("COMMAND", "GETKEYS", "FCALL", "f", 0)


def test_cluster_crossslot(start_node: Any) -> None:
    node = start_node("--cluster-enabled", "yes")
    c = node.client()
    assert c.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
    wait_until(lambda: b"cluster_state:ok" in c.execute_command("CLUSTER", "INFO"),
               what="cluster_state:ok")
    c.function_load(LIB)
    assert "hash to the same slot" in reply_of(c, "FCALL", "myset", 2, "a", "b", "v")[1]
    assert reply_of(c, "FCALL", "myset", 2, "{a}1", "{a}2", "v") == b"OK"
    c.function_load(lib("nc", "redis.register_function{function_name='nc', "
                              "callback=function() return 1 end, flags={'no-cluster'}}"))
    assert reply_of(c, "FCALL", "nc", 0) == (
        "error", "Can not run script on cluster, 'no-cluster' flag is set.")


def test_rdb_both_ways(start_node: Any, start_oracle: Any) -> None:
    mine = start_node("--enable-debug-command", "yes")
    m = mine.client()
    m.function_load(LIB)
    m.set("k", "v")
    m.save()
    # DEBUG RELOAD keeps them (flushed, then loaded back)
    assert m.execute_command("DEBUG", "RELOAD")
    assert m.fcall("myget", 1, "k") == b"v"
    # slotkv's dump.rdb into redis-server, and redis-server's back into a fresh slotkv
    theirs = start_oracle("--dir", mine.workdir)
    t = theirs.client()
    assert t.fcall("myget", 1, "k") == b"v"
    t.function_load(lib("theirs", "redis.register_function('tf', function() return 7 end)"))
    t.save()
    again = start_node(workdir=mine.workdir)
    a = again.client()
    assert a.fcall("tf", 0) == 7 and a.fcall("myget", 1, "k") == b"v"


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_aof_rewrite_and_replay(start_node: Any, preamble: str) -> None:
    proc = start_node("--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    c = proc.client()
    c.function_load(LIB)
    c.function_load(lib("gone", "redis.register_function('g', function() end)"))
    c.function_delete("gone")
    c.fcall("myset", 1, "k", "before")
    c.bgrewriteaof()
    wait_until(lambda: c.info("persistence")["aof_rewrite_in_progress"] == 0
               and c.info("persistence")["aof_rewrite_scheduled"] == 0, what="the rewrite")
    c.function_load(lib("after", "redis.register_function('af', function() return 2 end)"))
    c.fcall("myset", 1, "k", "after")
    workdir = proc.workdir
    proc.stop()
    again = start_node("--appendonly", "yes", workdir=workdir)
    a = again.client()
    assert a.fcall("myget", 1, "k") == b"after" and a.fcall("af", 0) == 2
    assert library_names(a) == [b"after", b"mylib"]
    # redis-server loads the same AOF directory
    theirs = redis_on_aof(os.path.join(workdir, "appendonlydir"))
    try:
        assert theirs.client().fcall("af", 0) == 2
    finally:
        theirs.stop()


def test_replication(start_node: Any) -> None:
    primary, p, replica, r = synced_pair(start_node)
    p.function_load(LIB)
    p.function_load(lib("gone", "redis.register_function('g', function() end)"))
    p.function_delete("gone")
    p.fcall("myset", 1, "k", "v")
    wait_until(lambda: in_sync(p, r), what="the replica")
    assert r.fcall_ro("ro_ping", 0) == b"PONG" and r.get("k") == b"v"
    # (redis-py drops READONLY, the error code)
    for cmd in (("FCALL", "myset", 1, "k", "w"), ("FCALL_RO", "myset", 1, "k", "w"),
                ("FUNCTION", "LOAD", LIB)):
        assert reply_of(r, *cmd)[1] == "You can't write against a read only replica."
    p.function_restore(p.function_dump(), "FLUSH")
    p.function_flush()
    p.function_load(lib("last", "redis.register_function{function_name='l', "
                             "callback=function() return 3 end, flags={'no-writes'}}"))
    wait_until(lambda: in_sync(p, r), what="the replica")
    assert r.fcall("l", 0) == 3 and len(r.function_list()) == 1
    # a full sync carries the libraries (and drops the replica's own)
    r.execute_command("REPLICAOF", "NO", "ONE")
    r.function_load(lib("mine", "redis.register_function('m', function() end)"))
    follow(r, primary)
    wait_until(lambda: in_sync(p, r), 30, what="the resync")
    assert library_names(r) == [b"last"]
    # a stale replica runs only functions flagged allow-stale
    p.function_load(LIB)
    wait_until(lambda: in_sync(p, r), what="the replica")
    r.config_set("replica-serve-stale-data", "no")
    r.execute_command("REPLICAOF", "127.0.0.1", free_port())
    wait_until(lambda: r.fcall_ro("ro_ping", 0) == b"PONG", what="the broken link")
    assert reply_of(r, "FCALL", "l", 0)[1] == \
        "Link with MASTER is down and replica-serve-stale-data is set to 'no'."


def test_propagated_as_redis(aof_pair: Any) -> None:
    two = lib("two", """
redis.register_function('two', function(keys) redis.call('SET', keys[1], 1)
  return redis.call('INCR', keys[1]) end)
redis.register_function('one', function(keys) return redis.call('SET', keys[1], 'x') end)
redis.register_function{function_name='none', callback=function() return 1 end,
  flags={'no-writes'}}""")
    try:
        mine, theirs = aof_logged(aof_pair, [
            ("FUNCTION", "LOAD", two), ("FUNCTION", "LOAD", two), ("FCALL", "two", 1, "k"),
            ("FCALL", "one", 1, "k"), ("FCALL", "none", 0), ("FUNCTION", "DELETE", "two"),
            ("FUNCTION", "DELETE", "two"), ("FUNCTION", "RESTORE", b"bad"),
            ("FUNCTION", "LOAD", two), ("FUNCTION", "FLUSH", "SYNC"), ("FUNCTION", "FLUSH"),
        ])
        assert mine == theirs
    finally:
        for proc in aof_pair:
            proc.client().function_flush()
