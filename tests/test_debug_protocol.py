"""DEBUG PROTOCOL, CHANGE-REPL-ID and PAUSE-CRON against redis-server 7.0.15: every sample reply
byte for byte over RESP2 and RESP3 (attributes and push messages included, inside EXEC too),
the replication ids, and the cron's work stopping and resuming."""

from __future__ import annotations

import socket
import time

import pytest
import redis

from conftest import Differential, ServerProcess, debug_servers, reply_of, wait_until

node, oracle = debug_servers()

TYPES = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib",
         "push", "verbatim", "true", "false"]
PONG = b"+PONG\r\n"


def wire(port: int, *commands: bytes, resp3: bool = False) -> bytes:
    """The exact bytes answered to `commands` (inline), read up to a closing PING's reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        if resp3:
            s.sendall(b"HELLO 3\r\nPING\r\n")
            _read_until_pong(s)
        s.sendall(b"".join(c + b"\r\n" for c in commands) + b"PING\r\n")
        return _read_until_pong(s)[:-len(PONG)]


def _read_until_pong(s: socket.socket) -> bytes:
    data = b""
    while not data.endswith(PONG):
        chunk = s.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


def same_wire(node: ServerProcess, oracle: ServerProcess, *commands: bytes,
              resp3: bool = False) -> bytes:
    mine = wire(node.port, *commands, resp3=resp3)
    theirs = wire(oracle.port, *commands, resp3=resp3)
    assert mine == theirs, f"{commands} resp3={resp3}: slotkv={mine!r} redis={theirs!r}"
    return mine


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
@pytest.mark.parametrize("kind", TYPES)
def test_protocol_sample_replies(node: ServerProcess, oracle: ServerProcess, kind: str,
                                 resp3: bool) -> None:
    same_wire(node, oracle, b"DEBUG PROTOCOL " + kind.encode(), resp3=resp3)


def test_protocol_shapes_as_redis_sends_them(node: ServerProcess, oracle: ServerProcess) -> None:
    # The few that matter most to client libraries, spelled out.
    assert same_wire(node, oracle, b"DEBUG PROTOCOL attrib", resp3=True) == (
        b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
        b"$39\r\nSome real reply following the attribute\r\n")
    assert same_wire(node, oracle, b"DEBUG PROTOCOL push", resp3=True) == (
        b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
        b"$40\r\nSome real reply following the push reply\r\n")
    assert same_wire(node, oracle, b"DEBUG PROTOCOL push") == (
        b"-ERR RESP2 is not supported by this command\r\n")
    assert same_wire(node, oracle, b"DEBUG PROTOCOL double", resp3=True) == b",3.141\r\n"


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_protocol_errors_and_case(node: ServerProcess, oracle: ServerProcess, resp3: bool) -> None:
    same_wire(node, oracle, b"DEBUG PROTOCOL nosuch", b"DEBUG PROTOCOL", b"DEBUG PROTOCOL map x",
              b"debug protocol MAP", b"DEBUG PROTOCOL Verbatim", b"DEBUG PROTOCOL ''",
              resp3=resp3)


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_protocol_inside_exec(node: ServerProcess, oracle: ServerProcess, resp3: bool) -> None:
    # The attribute and the push go inline, ahead of their command's reply in EXEC's array.
    same_wire(node, oracle, b"MULTI", b"DEBUG PROTOCOL push", b"DEBUG PROTOCOL attrib",
              b"DEBUG PROTOCOL set", b"DEBUG PROTOCOL null", b"EXEC", resp3=resp3)


def test_protocol_errors_count_as_failed_calls(r: redis.Redis, o: redis.Redis) -> None:
    for c in (r, o):
        c.config_resetstat()
        reply_of(c, "DEBUG", "PROTOCOL", "nosuch")
        reply_of(c, "DEBUG", "PROTOCOL", "push")
        reply_of(c, "DEBUG", "PROTOCOL", "string")
    mine, theirs = r.info("commandstats")["cmdstat_debug"], o.info("commandstats")["cmdstat_debug"]
    assert (mine["calls"], mine["failed_calls"]) == (theirs["calls"], theirs["failed_calls"])
    assert r.info("errorstats") == o.info("errorstats")


# -- CHANGE-REPL-ID ------------------------------------------------------------------------------


def _ids(c: redis.Redis) -> tuple[str, str, int]:
    # (Raw: redis-py reads an all-zero replid2 as the number 0.)
    text = reply_of(c, "INFO", "replication").decode()
    info = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return info["master_replid"], info["master_replid2"], int(info["second_repl_offset"])


def test_change_repl_id(r: redis.Redis, o: redis.Redis) -> None:
    both = Differential(r, o)
    for c in (r, o):
        before = _ids(c)
        assert reply_of(c, "DEBUG", "CHANGE-REPL-ID") == b"OK"
        replid, replid2, second = _ids(c)
        assert replid != before[0] and len(replid) == 40 and int(replid, 16) >= 0
        assert (replid2, second) == ("0" * 40, -1)
    both("DEBUG", "CHANGE-REPL-ID", "extra")  # the syntax error


# -- PAUSE-CRON ----------------------------------------------------------------------------------


def test_pause_cron_stops_the_active_expiry(r: redis.Redis, o: redis.Redis) -> None:
    both = Differential(r, o)
    both("DEBUG", "PAUSE-CRON", "1")
    try:
        both("DEBUG", "PAUSE-CRON", "1")  # twice is as once
        for c in (r, o):
            for i in range(20):
                c.set(f"k{i}", "v", px=1)
        time.sleep(0.4)  # several cron periods at hz 10
        # Nothing reclaimed the expired keys (DBSIZE counts them until then).
        both("DBSIZE")
        assert r.dbsize() == 20
        both("GET", "k0")  # a lookup still expires its key: the clock runs on
        both("DBSIZE")
    finally:
        both("DEBUG", "PAUSE-CRON", "0")
    for c in (r, o):
        wait_until(lambda: c.dbsize() == 0, 5, "the cron to expire the keys again")


def test_pause_cron_keeps_the_clock(r: redis.Redis, o: redis.Redis) -> None:
    both = Differential(r, o)
    both("DEBUG", "PAUSE-CRON", "yes")  # atoi: 0, i.e. resume (already running)
    both("DEBUG", "PAUSE-CRON", "1")
    try:
        for c in (r, o):
            c.set("t", "v", px=150)
        time.sleep(0.3)
        both("EXISTS", "t")
        both("PTTL", "t")
    finally:
        both("DEBUG", "PAUSE-CRON", "0")
    both("DEBUG", "PAUSE-CRON")
    both("DEBUG", "PAUSE-CRON", "1", "2")
