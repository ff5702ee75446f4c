"""What each nondeterministic write puts in the AOF, and that it replays to the same dataset.

One case per rewrite Redis 7.0 makes (relative TTLs, random pops, blocking forms, float
arithmetic, stream IDs and trims, consumer group deliveries): the command runs against a node
with appendonly yes, the bytes it appended to the AOF must be the deterministic form, and
DEBUG LOADAOF must bring back exactly the same dataset. Read commands must not move the
change counter at all (they would be logged otherwise).
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Iterator

import pytest

from aofhelp import aof_logged, incr_aof, pipeline, single, snapshot, without_entries_read
from conftest import ServerProcess, server_pair, start_slotkv
import node.commands  # noqa: F401  (the data types node/rdb.py serializes)
from node import rdb
from node.aof_reader import CommandReader

PAST = 1_000_000
FUTURE = 4_000_000_000_000  # (ms: the year 2096)
_PAYLOAD = rdb.dump(b"hello")  # a DUMP payload of the string "hello"


@pytest.fixture(scope="module")
def aof_node() -> Iterator[ServerProcess]:
    proc = start_slotkv("--appendonly", "yes", "--enable-debug-command", "yes",
                        "--aof-use-rdb-preamble", "no", "--appendfsync", "always")
    yield proc
    proc.stop()


def logged(node: ServerProcess, commands: list[list[Any]]) -> list[list[bytes]]:
    """Run `commands`; the commands they appended to the AOF (SELECT left out)."""
    path = incr_aof(node)
    start = os.path.getsize(path)
    pipeline(node.port, commands)
    with open(path, "rb") as f:
        f.seek(start)
        return [argv for argv in CommandReader(f, start) if argv[0].upper() != b"SELECT"]


def names(argvs: list[list[bytes]]) -> list[bytes]:
    return [a[0].upper() for a in argvs]


# (setup, command, the command names it must be logged as)
CASES = [
    ([], ["SET", "k", "v", "EX", "100"], [b"SET"]),
    ([], ["SET", "k", "v", "PX", "100000", "GET"], [b"SET"]),
    ([], ["SETEX", "k", "100", "v"], [b"SET"]),
    ([], ["PSETEX", "k", "100000", "v"], [b"SET"]),
    ([["SET", "k", "v"]], ["GETEX", "k", "EX", "100"], [b"PEXPIREAT"]),
    ([["SET", "k", "v"]], ["GETEX", "k", "EXAT", str(PAST // 1000)], [b"DEL"]),
    ([["SET", "k", "v", "EX", "100"]], ["GETEX", "k", "PERSIST"], [b"PERSIST"]),
    ([["SET", "k", "v"]], ["GETEX", "k"], []),
    ([["SET", "k", "v"]], ["GETDEL", "k"], [b"DEL"]),
    ([["SET", "k", "1.5"]], ["INCRBYFLOAT", "k", "0.1"], [b"SET"]),
    ([["SET", "k", "v"]], ["EXPIRE", "k", "100"], [b"PEXPIREAT"]),
    ([["SET", "k", "v"]], ["PEXPIRE", "k", "100000", "NX"], [b"PEXPIREAT"]),
    # (CASES is built when the module is collected, maybe minutes before this case runs.)
    ([["SET", "k", "v"]], ["EXPIREAT", "k", str(int(time.time()) + 100_000)], [b"PEXPIREAT"]),
    ([["SET", "k", "v"]], ["EXPIRE", "k", "-1"], [b"DEL"]),
    ([["SADD", "s", *"abcdefgh"]], ["SPOP", "s"], [b"SREM"]),
    ([["SADD", "s", *"abcdefgh"]], ["SPOP", "s", "3"], [b"MULTI", *[b"SREM"] * 3, b"EXEC"]),
    ([["SADD", "s", *"abcdefgh"]], ["SPOP", "s", "7"], [b"MULTI", *[b"SREM"] * 7, b"EXEC"]),
    ([["SADD", "s", *"abcdefgh"]], ["SPOP", "s", "1"], [b"SREM"]),
    ([["SADD", "s", *"abc"]], ["SPOP", "s", "5"], [b"DEL"]),
    ([["HSET", "h", "f", "1"]], ["HINCRBYFLOAT", "h", "f", "0.25"], [b"HSET"]),
    ([["RPUSH", "l", "a", "b"]], ["BLPOP", "x", "l", "1"], [b"LPOP"]),
    ([["RPUSH", "l", "a", "b"]], ["BRPOP", "l", "1"], [b"RPOP"]),
    ([["RPUSH", "l", "a", "b"]], ["BLMOVE", "l", "m", "LEFT", "RIGHT", "1"], [b"LMOVE"]),
    ([["RPUSH", "l", "a", "b"]], ["BRPOPLPUSH", "l", "m", "1"], [b"RPOPLPUSH"]),
    ([["RPUSH", "l", "a", "b", "c"]], ["BLMPOP", "1", "2", "x", "l", "RIGHT", "COUNT", "2"],
     [b"RPOP"]),
    ([["ZADD", "z", "1", "a", "2", "b"]], ["BZPOPMIN", "z", "1"], [b"ZPOPMIN"]),
    ([["ZADD", "z", "1", "a", "2", "b"]], ["BZPOPMAX", "z", "1"], [b"ZPOPMAX"]),
    ([["ZADD", "z", "1", "a", "2", "b"]], ["BZMPOP", "1", "1", "z", "MIN", "COUNT", "5"],
     [b"ZPOPMIN"]),
    ([], ["XADD", "x", "*", "f", "v"], [b"XADD"]),
    ([["XADD", "x", "5-1", "f", "v"]], ["XADD", "x", "5-*", "f", "v"], [b"XADD"]),
    ([["XADD", "x", f"{i}-0", "f", "v"] for i in range(1, 300)],
     ["XADD", "x", "MAXLEN", "~", "10", "*", "f", "v"], [b"XADD"]),
    ([["XADD", "x", f"{i}-0", "f", "v"] for i in range(1, 300)],
     ["XTRIM", "x", "MINID", "~", "250"], [b"XTRIM"]),
    ([["XADD", "x", f"{i}-0", "f", "v"] for i in range(1, 300)],
     ["XTRIM", "x", "MAXLEN", "~", "5", "LIMIT", "100"], [b"XTRIM"]),
    ([["XADD", "x", "1-0", "f", "v"], ["XADD", "x", "2-0", "f", "v"],
      ["XGROUP", "CREATE", "x", "g", "0"]],
     ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"],
     [b"MULTI", b"XCLAIM", b"XCLAIM", b"EXEC"]),
    ([["XADD", "x", "1-0", "f", "v"], ["XGROUP", "CREATE", "x", "g", "0"]],
     ["XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "x", ">"],
     [b"MULTI", b"XGROUP", b"XGROUP", b"EXEC"]),
    ([["XADD", "x", "1-0", "f", "v"], ["XGROUP", "CREATE", "x", "g", "0"],
      ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"]],
     ["XCLAIM", "x", "g", "d", "0", "1-0", "IDLE", "5000"], [b"XCLAIM"]),
    ([["XADD", "x", "1-0", "f", "v"], ["XADD", "x", "2-0", "f", "v"],
      ["XGROUP", "CREATE", "x", "g", "0"],
      ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"], ["XDEL", "x", "1-0"]],
     ["XAUTOCLAIM", "x", "g", "d", "0", "0"], [b"MULTI", b"XCLAIM", b"XCLAIM", b"EXEC"]),
    ([["XADD", "x", "1-0", "f", "v"], ["XGROUP", "CREATE", "x", "g", "0"]],
     ["XCLAIM", "x", "g", "d", "0", "1-0", "LASTID", "1-0"], [b"XGROUP"]),
    ([], ["RESTORE", "k", "100000", _PAYLOAD], [b"RESTORE"]),  # ... ABSTTL
    ([["SET", "k", "v"]], ["RESTORE", "k", str(PAST), _PAYLOAD, "ABSTTL", "REPLACE"], [b"DEL"]),
]


@pytest.mark.parametrize("setup, cmd, expected", CASES,
                         ids=[" ".join(c[1][:2]) + f"#{i}" for i, c in enumerate(CASES)])
def test_logged_form_and_replay(aof_node: ServerProcess, setup: list, cmd: list,
                                expected: list) -> None:
    conn = single(aof_node)
    conn.execute_command("FLUSHALL")
    if setup:
        pipeline(aof_node.port, setup)
    got = logged(aof_node, [cmd])
    assert names(got) == expected, got
    for argv in got:  # never a relative TTL, a blocking form or an ID to pick
        assert argv[0].upper() not in (b"BLPOP", b"SPOP", b"XREADGROUP", b"GETEX", b"EXPIRE")
        assert b"*" not in argv and b"~" not in argv and b"EX" not in argv
        if argv[0].upper() == b"RESTORE":
            assert argv[-1].upper() == b"ABSTTL"
    before = without_entries_read(snapshot(conn))
    conn.execute_command("DEBUG", "LOADAOF")
    assert without_entries_read(snapshot(conn)) == before
    conn.close()


def _served_while_blocked(node: ServerProcess, blocking: list, feeder: list) -> list:
    """`blocking` waits on one connection until `feeder` (another) serves it."""
    result: list = []
    t = threading.Thread(target=lambda: result.extend(pipeline(node.port, [blocking])))
    path = incr_aof(node)
    start = os.path.getsize(path)
    t.start()
    conn = single(node)
    deadline = time.monotonic() + 10
    while conn.info("clients")["blocked_clients"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    pipeline(node.port, [feeder])
    t.join(10)
    conn.close()
    with open(path, "rb") as f:
        f.seek(start)
        return [a for a in CommandReader(f, start) if a[0].upper() != b"SELECT"]


@pytest.mark.parametrize("setup, blocking, feeder, expected", [
    ([], ["BLPOP", "l", "5"], ["RPUSH", "l", "a", "b"], [b"RPUSH", b"LPOP"]),
    ([], ["BLMOVE", "l", "m", "RIGHT", "LEFT", "5"], ["RPUSH", "l", "a"], [b"RPUSH", b"LMOVE"]),
    ([], ["BRPOPLPUSH", "l", "m", "5"], ["RPUSH", "l", "a"], [b"RPUSH", b"RPOPLPUSH"]),
    ([], ["BZPOPMAX", "z", "5"], ["ZADD", "z", "1", "a"], [b"ZADD", b"ZPOPMAX"]),
    ([["XGROUP", "CREATE", "x", "g", "$", "MKSTREAM"]],
     ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "5000", "STREAMS", "x", ">"],
     ["XADD", "x", "*", "f", "v"], [b"XADD", b"XCLAIM"]),
])
def test_served_blocked_client_is_logged(aof_node: ServerProcess, setup: list, blocking: list,
                                         feeder: list, expected: list) -> None:
    conn = single(aof_node)
    conn.execute_command("FLUSHALL")
    if setup:
        pipeline(aof_node.port, setup)
    got = _served_while_blocked(aof_node, blocking, feeder)
    assert names(got) == expected, got
    before = without_entries_read(snapshot(conn))
    conn.execute_command("DEBUG", "LOADAOF")
    assert without_entries_read(snapshot(conn)) == before
    conn.close()


def test_transactions_are_logged_as_redis(aof_pair: tuple[ServerProcess, ServerProcess]) -> None:
    """As Redis 7.0's propagatePendingCommands: what one command wrote is wrapped in MULTI/EXEC
    when it is more than one write, whether it is an EXEC or one command rewritten as several;
    an EXEC with a single write (or one rewritten write) goes out bare, and one with none
    leaves nothing."""
    mine, theirs = aof_logged(aof_pair, [
        ("MULTI",), ("SET", "a", "1"), ("EXEC",),
        ("MULTI",), ("GET", "a"), ("EXEC",),
        ("MULTI",), ("SET", "a", "1"), ("SET", "b", "2"), ("EXEC",),
        ("MULTI",), ("SET", "a", "1"), ("SELECT", "1"), ("SET", "b", "2"), ("EXEC",),
        ("MULTI",), ("GET", "a"), ("INCRBYFLOAT", "f", "1.5"), ("GET", "b"), ("EXEC",),
        ("SELECT", "2"), ("SADD", "s", "1", "2", "3"), ("SPOP", "s", "2"),
        ("MULTI",), ("SPOP", "s", "5"), ("EXEC",),
    ])
    mine, theirs = ([argv[:2] if argv[0] == b"SREM" else argv for argv in argvs]
                    for argvs in (mine, theirs))  # (which member SPOP picks is random)
    assert mine == theirs


def test_set_with_a_past_deadline_is_logged_as_redis(
        aof_pair: tuple[ServerProcess, ServerProcess]) -> None:
    """Redis 7.0's SET keeps a key whose EX/PX/EXAT/PXAT deadline has passed, and logs the
    SET (as PXAT); the DEL follows once it is expired, here by the next access at the latest."""
    mine, theirs = aof_logged(aof_pair, [
        ("SET", "k", "old"), ("SET", "k", "v", "PXAT", str(PAST)), ("GET", "k"),
        ("SET", "j", "v", "EXAT", "1"), ("GET", "j"),
    ])
    assert mine == theirs
    assert mine[1:] == [[b"SET", b"k", b"old"], [b"SET", b"k", b"v", b"PXAT", str(PAST).encode()],
                        [b"DEL", b"k"], [b"SET", b"j", b"v", b"PXAT", b"1000"], [b"DEL", b"j"]]


def test_set_get_is_logged_without_get(aof_pair: tuple[ServerProcess, ServerProcess]) -> None:
    """SET ... GET replays as the SET alone; with EX/PX it is SET ... PXAT as ever."""
    commands = [("SET", "k", "v", "GET"), ("SET", "k", "w", "GET", "KEEPTTL"),
                ("SET", "k", "GET", "NX", "GET"), ("SET", "k", "GET", "XX", "GET"),
                ("SET", "k", "x", "GET", "PXAT", str(FUTURE)), ("SET", "n", "1", "get", "xx")]
    mine, theirs = aof_logged(aof_pair, commands)
    assert mine == theirs
    assert mine[1:4] == [[b"SET", b"k", b"v"], [b"SET", b"k", b"w", b"KEEPTTL"],
                         [b"SET", b"k", b"GET", b"XX"]]


def test_lazy_expiry_is_logged_as_del(aof_node: ServerProcess) -> None:
    conn = single(aof_node)
    conn.execute_command("FLUSHALL")
    pipeline(aof_node.port, [["SET", "k", "v", "PX", "30"]])
    time.sleep(0.05)
    got = logged(aof_node, [["GET", "k"]])  # lazily expired now, or by the cron before
    assert got in ([[b"DEL", b"k"]], [])
    conn.close()


@pytest.fixture(scope="module")
def aof_debug_pair() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """`aof_pair` with DEBUG allowed (to stop the active expiry)."""
    yield from server_pair("--appendonly", "yes", "--appendfsync", "always",
                           "--enable-debug-command", "yes")


def past_deadline(setup: list[tuple], command: list[tuple], key: str = "k") -> list[tuple | float]:
    """`setup`, then `command` once `key` is past its deadline but still stored (the active
    expiry stopped): only the command's own lookups can expire it. (20 ms, not 1: redis-server
    can be preempted between its clock reads in PEXPIRE and delete the key at once.)"""
    return [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), *setup, ("PEXPIRE", key, "20"), 0.05, *command]


DEL_K = [b"DEL", b"k"]
# (name, commands, what redis-server logs once the setup's writes are left out; None: not
# checked here beyond being what redis-server logs)
LAZY_EXPIRY = [
    ("set", past_deadline([("SET", "k", "old")], [("SET", "k", "v")]),
     [b"MULTI", DEL_K, [b"SET", b"k", b"v"], b"EXEC"]),
    ("sadd", past_deadline([("SADD", "k", "a")], [("SADD", "k", "x")]), None),
    ("incr", past_deadline([("SET", "k", "5")], [("INCR", "k")]), None),
    ("lpush", past_deadline([("LPUSH", "k", "a")], [("LPUSH", "k", "x")]), None),
    ("zadd", past_deadline([("ZADD", "k", "1", "a")], [("ZADD", "k", "2", "b")]), None),
    ("hset", past_deadline([("HSET", "k", "f", "v")], [("HSET", "k", "g", "w")]), None),
    ("append", past_deadline([("SET", "k", "a")], [("APPEND", "k", "b")]), None),
    ("setrange", past_deadline([("SET", "k", "a")], [("SETRANGE", "k", "0", "b")]), None),
    ("mset", past_deadline([("SET", "k", "a")], [("MSET", "k", "1", "z", "2")]), None),
    ("set-nx", past_deadline([("SET", "k", "a")], [("SET", "k", "v", "NX")]), None),
    # rewritten as SET ... PXAT: the rewrite joins the unit
    ("set-ex", past_deadline([("SET", "k", "a")], [("SET", "k", "v", "EX", "100")]), None),
    ("another-type", past_deadline([("SET", "k", "a")], [("SADD", "k", "x")]), None),
    ("sinterstore", past_deadline([("SET", "k", "x"), ("SADD", "a", "1", "2"), ("SADD", "b", "2")],
                                  [("SINTERSTORE", "k", "a", "b")]), None),
    # an empty result deletes the destination without looking it up: no expiry, no DEL
    ("sinterstore-empty", past_deadline([("SET", "k", "x"), ("SADD", "a", "1")],
                                        [("SINTERSTORE", "k", "a", "b")]), [[b"SINTERSTORE", b"k", b"a", b"b"]]),
    ("sunionstore-source", past_deadline([("SADD", "k", "1"), ("SADD", "b", "2")],
                                         [("SUNIONSTORE", "d", "k", "b")]), None),
    ("smove-destination", past_deadline([("SADD", "k", "a"), ("SADD", "s", "a")],
                                        [("SMOVE", "s", "k", "a")]), None),
    ("rename-destination", past_deadline([("SET", "k", "a"), ("SET", "n", "b")],
                                         [("RENAME", "n", "k")]), None),
    ("copy-destination", past_deadline([("SET", "k", "a"), ("SET", "n", "b")],
                                       [("COPY", "n", "k")]), None),
    ("two-keys", [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "a"), ("SET", "j", "b"),
                  ("PEXPIRE", "k", "20"), ("PEXPIRE", "j", "20"), 0.05, ("MSET", "k", "1", "j", "2")],
     [b"MULTI", DEL_K, [b"DEL", b"j"], [b"MSET", b"k", b"1", b"j", b"2"], b"EXEC"]),
    # the write fails after the lookup, or writes nothing: the DEL goes out alone
    ("incrby-overflow", past_deadline([("SET", "k", "1")], [("INCRBY", "k", str(2**63 - 1)),
                                                             ("INCRBY", "k", "1")]), None),
    ("get", past_deadline([("SET", "k", "a")], [("GET", "k")]), [DEL_K]),
    ("set-xx", past_deadline([("SET", "k", "a")], [("SET", "k", "v", "XX")]), [DEL_K]),
    ("lpop", past_deadline([("LPUSH", "k", "a")], [("LPOP", "k")]), [DEL_K]),
    ("spop-count", past_deadline([("SADD", "k", "a", "b", "c")], [("SPOP", "k", "2")]), [DEL_K]),
    ("expire", past_deadline([("SET", "k", "a")], [("EXPIRE", "k", "100")]), [DEL_K]),
    ("rename-source", past_deadline([("SET", "k", "a")], [("RENAME", "k", "n")]), [DEL_K]),
    ("getdel", past_deadline([("SET", "k", "a")], [("GETDEL", "k")]), [DEL_K]),
    ("getex", past_deadline([("SET", "k", "a")], [("GETEX", "k", "EX", "100")]), [DEL_K]),
    ("copy-source", past_deadline([("SET", "k", "a")], [("COPY", "k", "n")]), [DEL_K]),
    ("del", past_deadline([("SET", "k", "a")], [("DEL", "k")]), [DEL_K]),
    ("wrongtype-after", past_deadline([("SET", "w", "s"), ("SADD", "k", "1")],
                                      [("SINTERSTORE", "d", "k", "w")]), [DEL_K]),
    ("lmove-wrongtype", past_deadline([("SET", "w", "s"), ("LPUSH", "k", "a")],
                                      [("LMOVE", "k", "w", "LEFT", "LEFT")]), [DEL_K]),
    # the transaction or the script is the unit already
    ("exec", past_deadline([("SET", "k", "a")], [("MULTI",), ("SET", "k", "v"), ("EXEC",)]),
     [b"MULTI", DEL_K, [b"SET", b"k", b"v"], b"EXEC"]),
    ("exec-two", past_deadline([("SET", "k", "a")], [("MULTI",), ("SET", "k", "v"),
                                                     ("SET", "z", "1"), ("EXEC",)]), None),
    ("exec-read", past_deadline([("SET", "k", "a")], [("MULTI",), ("GET", "k"), ("EXEC",)]),
     [DEL_K]),
    ("exec-read-write", past_deadline([("SET", "k", "a")], [("MULTI",), ("GET", "k"),
                                                            ("SET", "z", "1"), ("EXEC",)]), None),
    ("eval", past_deadline([("SET", "k", "a")], [
        ("EVAL", "return redis.call('set', KEYS[1], 'v')", "1", "k")]), None),
    ("eval-read", past_deadline([("SET", "k", "a")], [
        ("EVAL", "redis.call('get', KEYS[1]); return redis.call('get', KEYS[1])", "1", "k")]),
     [DEL_K]),
    # the active expiry's DELs belong to no command
    ("active-expiry", [("DEBUG", "SET-ACTIVE-EXPIRE", "0"), ("SET", "k", "a", "PX", "20"), 0.05,
                       ("DEBUG", "SET-ACTIVE-EXPIRE", "1"), 0.3, ("SET", "z", "1")], None),
]


@pytest.mark.parametrize("commands,expected", [case[1:] for case in LAZY_EXPIRY],
                         ids=[case[0] for case in LAZY_EXPIRY])
def test_lazy_expiry_goes_out_with_the_command(
        aof_debug_pair: tuple[ServerProcess, ServerProcess], commands: list,
        expected: list | None) -> None:
    """As Redis 7.0's also_propagate: the DEL of a key a command found past its deadline and
    what the command then wrote go out as one unit, wrapped in MULTI/EXEC (the DEL alone when
    the command wrote nothing); inside EXEC or a script the transaction is that unit."""
    mine, theirs = (untimed(argvs) for argvs in aof_logged(aof_debug_pair, commands))
    assert mine == theirs
    if expected is not None:
        last = max(i for i, argv in enumerate(theirs) if argv[0] == b"PEXPIREAT")
        assert [a[0] if a[0] in (b"MULTI", b"EXEC") else a for a in theirs[last + 1:]] == expected


def untimed(argvs: list[list[bytes]]) -> list[list[bytes]]:
    """`argvs` without the absolute deadlines, which the two servers compute at other times."""
    return [a[:2] if a[0] == b"PEXPIREAT" else a[:-1] if a[-2:-1] == [b"PXAT"] else a
            for a in argvs]


def test_an_eviction_goes_out_alone(aof_pair: tuple[ServerProcess, ServerProcess]) -> None:
    """An eviction before a command is no part of it: a bare DEL, as Redis's performEvictions."""
    try:
        mine, theirs = aof_logged(aof_pair, [
            ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), ("SET", "a", "1"),
            ("CONFIG", "SET", "maxmemory", "1"), ("SET", "b", "2"),
            ("CONFIG", "SET", "maxmemory", "0")])
    finally:
        _configure(aof_pair, {"maxmemory-policy": "noeviction"})
    assert mine == theirs == [[b"FLUSHALL"], [b"SET", b"a", b"1"], [b"DEL", b"a"]]


def _configure(pair: tuple[ServerProcess, ServerProcess], settings: dict[str, str]) -> None:
    """CONFIG SET on both servers (the module's servers are shared: tests put back what they
    changed)."""
    for proc in pair:
        client = proc.client()
        for name, value in settings.items():
            client.config_set(name, value)
        client.close()


def test_lazyfree_deletions_go_out_as_unlink(
        aof_pair: tuple[ServerProcess, ServerProcess]) -> None:
    """With lazyfree-lazy-expire / lazyfree-lazy-eviction, expiries and evictions are
    propagated as UNLINK (propagateDeletion's `lazy`)."""
    soon = str(int(time.time() * 1000) + 150)  # (one deadline for both servers' files)
    try:
        mine, theirs = aof_logged(aof_pair, [
            ("CONFIG", "SET", "lazyfree-lazy-expire", "yes"),
            ("CONFIG", "SET", "lazyfree-lazy-eviction", "yes"),
            ("SET", "e", "1", "PXAT", soon), 0.4, ("GET", "e"),
            ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), ("SET", "a", "1"),
            ("CONFIG", "SET", "maxmemory", "1"), ("SET", "b", "2"),
            ("CONFIG", "SET", "maxmemory", "0")])
    finally:
        _configure(aof_pair, {"maxmemory-policy": "noeviction", "lazyfree-lazy-expire": "no",
                              "lazyfree-lazy-eviction": "no"})
    assert mine == theirs == [[b"FLUSHALL"], [b"SET", b"e", b"1", b"PXAT", soon.encode()],
                              [b"UNLINK", b"e"], [b"SET", b"a", b"1"], [b"UNLINK", b"a"]]


READS = [
    ["GET", "s"], ["MGET", "s", "x"], ["STRLEN", "s"], ["GETRANGE", "s", "0", "1"],
    ["EXISTS", "s"], ["TYPE", "s"], ["TTL", "s"], ["PTTL", "s"], ["EXPIRETIME", "s"],
    ["KEYS", "*"], ["SCAN", "0"], ["RANDOMKEY"], ["DBSIZE"], ["TOUCH", "s"],
    ["OBJECT", "ENCODING", "s"], ["LRANGE", "l", "0", "-1"], ["LLEN", "l"], ["LINDEX", "l", "0"],
    ["LPOS", "l", "a"], ["HGETALL", "h"], ["HGET", "h", "f"], ["HRANDFIELD", "h", "2"],
    ["HSCAN", "h", "0"], ["SMEMBERS", "t"], ["SRANDMEMBER", "t", "2"], ["SISMEMBER", "t", "a"],
    ["SINTER", "t", "t"], ["SSCAN", "t", "0"], ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
    ["ZRANDMEMBER", "z", "2"], ["ZSCORE", "z", "a"], ["ZRANK", "z", "a"], ["ZCARD", "z"],
    ["ZUNION", "1", "z"], ["XRANGE", "x", "-", "+"], ["XREAD", "STREAMS", "x", "0"],
    ["XLEN", "x"], ["XPENDING", "x", "g"], ["XINFO", "STREAM", "x"], ["XINFO", "GROUPS", "x"],
    ["BITCOUNT", "s"], ["BITPOS", "s", "1"], ["GETBIT", "s", "3"], ["BITFIELD_RO", "s", "GET",
                                                                       "u8", "0"],
    ["GEOPOS", "g", "m"], ["GEODIST", "g", "m", "n"], ["GEOSEARCH", "g", "FROMMEMBER", "m",
                                                       "BYRADIUS", "100", "km"],
    ["SORT", "l", "ALPHA"], ["SORT_RO", "l", "ALPHA"], ["LCS", "s", "s"], ["DUMP", "s"],
]


def test_reads_change_nothing(aof_node: ServerProcess) -> None:
    """No read command moves the change counter (so none is ever logged)."""
    conn = single(aof_node)
    conn.execute_command("FLUSHALL")
    pipeline(aof_node.port, [
        ["SET", "s", "hello"], ["RPUSH", "l", "a", "b"], ["HSET", "h", "f", "v"],
        ["SADD", "t", "a", "b"], ["ZADD", "z", "1", "a"], ["XADD", "x", "1-0", "f", "v"],
        ["XGROUP", "CREATE", "x", "g", "0"], ["GEOADD", "g", "1", "2", "m", "3", "4", "n"]])
    changes = conn.info("persistence")["rdb_changes_since_last_save"]
    got = logged(aof_node, READS)
    assert got == []
    assert conn.info("persistence")["rdb_changes_since_last_save"] == changes
    conn.close()
