"""BZPOPMIN, BZPOPMAX and BZMPOP with several real clients, each scenario played on slotkv and
on redis-server and the observations compared: wake-ups by ZADD from another client, FIFO
order among waiters, timeouts, disconnects, wrong types, transactions and pipelines."""

from __future__ import annotations

from typing import Callable

import pytest
from blocking_helpers import Conn, blocked, events_on, wait_blocked
from conftest import ServerProcess

Scenario = Callable[[ServerProcess], list]


def on_both(node: ServerProcess, oracle: ServerProcess, scenario: Scenario) -> list:
    """Play `scenario` on a flushed slotkv and a flushed redis-server; same observations."""
    results = []
    for server in (node, oracle):
        with server.client() as c:
            c.flushall()
        results.append(scenario(server))
        wait_blocked(server, 0)
    assert results[0] == results[1]
    return results[0]


def test_woken_by_zadd_from_another_client(node, oracle):
    def scenario(server):
        waiter, writer = Conn(server), Conn(server)
        try:
            waiter.send("BZPOPMIN", "z", "0")
            wait_blocked(server, 1)
            out = [writer.call("ZADD", "z", "2", "b", "1", "a"), waiter.read(),
                   writer.call("ZRANGE", "z", "0", "-1", "WITHSCORES")]
            waiter.send("BZPOPMAX", "missing", "z", "0")
            out.append(waiter.read())  # served at once: b is there
            out.append(writer.call("EXISTS", "z"))
            return out
        finally:
            waiter.close()
            writer.close()

    assert on_both(node, oracle, scenario)[1] == [b"z", b"a", b"1"]


def test_waiters_are_served_in_arrival_order(node, oracle):
    def scenario(server):
        waiters = [Conn(server) for _ in range(3)]
        writer = Conn(server)
        try:
            for i, w in enumerate(waiters):
                w.send("BZPOPMIN", "z", "0")
                wait_blocked(server, i + 1)
            out = [writer.call("ZADD", "z", "1", "a")]
            out.append(waiters[0].read())
            wait_blocked(server, 2)
            out.append(writer.call("ZADD", "z", "3", "c", "2", "b", "4", "d"))
            out += [waiters[1].read(), waiters[2].read()]
            out.append(writer.call("ZRANGE", "z", "0", "-1"))
            return out
        finally:
            for c in (*waiters, writer):
                c.close()

    out = on_both(node, oracle, scenario)
    assert out[1] == [b"z", b"a", b"1"] and out[3:5] == [[b"z", b"b", b"2"], [b"z", b"c", b"3"]]


def test_timeout_gives_null(node, oracle):
    def scenario(server):
        c2, c3 = Conn(server), Conn(server, protocol=3)
        try:
            return [c2.call("BZPOPMIN", "z", "0.05"), c2.call("BZMPOP", "0.05", "1", "z", "MIN"),
                    c3.call("BZPOPMAX", "z", "0.05"), c3.call("BZMPOP", "0.05", "1", "z", "MAX"),
                    c2.call("EXISTS", "z")]
        finally:
            c2.close()
            c3.close()

    assert on_both(node, oracle, scenario) == [None, None, None, None, 0]


def test_disconnected_waiter_is_forgotten(node, oracle):
    def scenario(server):
        gone, stays, writer = Conn(server), Conn(server), Conn(server)
        try:
            gone.send("BZPOPMIN", "z", "0")
            wait_blocked(server, 1)
            stays.send("BZPOPMIN", "z", "0")
            wait_blocked(server, 2)
            gone.close()
            wait_blocked(server, 1)
            out = [writer.call("ZADD", "z", "1", "a", "2", "b"), stays.read(),
                   writer.call("ZRANGE", "z", "0", "-1")]
            return out
        finally:
            stays.close()
            writer.close()

    assert on_both(node, oracle, scenario) == [2, [b"z", b"a", b"1"], [b"b"]]


def test_bzmpop_woken_with_count(node, oracle):
    def scenario(server):
        waiter, waiter3, writer = Conn(server), Conn(server, protocol=3), Conn(server)
        try:
            waiter.send("BZMPOP", "0", "2", "x", "y", "MAX", "COUNT", "2")
            wait_blocked(server, 1)
            waiter3.send("BZMPOP", "0", "1", "y", "MIN", "COUNT", "10")
            wait_blocked(server, 2)
            out = [writer.call("ZADD", "y", "1", "a", "2", "b", "3", "c"), waiter.read(),
                   waiter3.read(), writer.call("EXISTS", "y")]
            return out
        finally:
            for c in (waiter, waiter3, writer):
                c.close()

    out = on_both(node, oracle, scenario)
    assert out[1] == [b"y", [[b"c", b"3"], [b"b", b"2"]]]


def test_several_keys_and_resp3(node, oracle):
    def scenario(server):
        waiter, writer = Conn(server, protocol=3), Conn(server)
        try:
            waiter.send("BZPOPMAX", "a", "b", "c", "0")
            wait_blocked(server, 1)
            return [writer.call("ZADD", "c", "1.5", "m"), waiter.read()]
        finally:
            waiter.close()
            writer.close()

    assert on_both(node, oracle, scenario) == [1, [b"c", b"m", 1.5]]


def test_wrong_type_does_not_wake(node, oracle):
    def scenario(server):
        waiter, writer = Conn(server), Conn(server)
        try:
            waiter.send("BZPOPMIN", "k", "0")
            wait_blocked(server, 1)
            out = [writer.call("SET", "k", "string"), blocked(server),
                   writer.call("DEL", "k"), writer.call("ZADD", "k", "7", "z"), waiter.read()]
            waiter.send("BZPOPMIN", "k", "0")
            wait_blocked(server, 1)
            out += [writer.call("SET", "other", "x"), writer.call("RENAME", "other", "k"),
                    blocked(server), writer.call("DEL", "k"), writer.call("ZADD", "k", "1", "y"),
                    waiter.read()]
            return out
        finally:
            waiter.close()
            writer.close()

    out = on_both(node, oracle, scenario)
    assert out[1] == 1 and out[4] == [b"k", b"z", b"7"]


def test_transaction_that_leaves_the_key_empty(node, oracle):
    def scenario(server):
        waiter, writer = Conn(server), Conn(server)
        try:
            waiter.send("BZPOPMIN", "z", "0")
            wait_blocked(server, 1)
            out = [writer.call("MULTI"), writer.call("ZADD", "z", "1", "a"),
                   writer.call("ZREM", "z", "a"), writer.call("EXEC"), blocked(server),
                   writer.call("MULTI"), writer.call("ZADD", "z", "1", "a"),
                   writer.call("ZADD", "z", "2", "b"), writer.call("EXEC"), waiter.read(),
                   writer.call("ZRANGE", "z", "0", "-1")]
            return out
        finally:
            waiter.close()
            writer.close()

    out = on_both(node, oracle, scenario)
    assert out[4] == 1 and out[9] == [b"z", b"a", b"1"]


def test_pipeline_continues_after_the_wake(node, oracle):
    def scenario(server):
        waiter, writer = Conn(server), Conn(server)
        try:
            waiter.send("BZPOPMIN", "z", "0")
            waiter.send("ZCARD", "z")
            waiter.send("PING")
            wait_blocked(server, 1)
            return [writer.call("ZADD", "z", "1", "a", "2", "b"), waiter.read(), waiter.read(),
                    waiter.read()]
        finally:
            waiter.close()
            writer.close()

    assert on_both(node, oracle, scenario) == [2, [b"z", b"a", b"1"], 1, b"PONG"]


def test_zadd_pipelined_with_zpop_serves_the_waiter_first(node, oracle):
    def scenario(server):
        waiter, writer = Conn(server), Conn(server)
        try:
            waiter.send("BZPOPMIN", "z", "0")
            wait_blocked(server, 1)
            writer.send("ZADD", "z", "1", "a")
            writer.send("ZPOPMIN", "z")
            return [writer.read(), writer.read(), waiter.read()]
        finally:
            waiter.close()
            writer.close()

    assert on_both(node, oracle, scenario) == [1, [], [b"z", b"a", b"1"]]


@pytest.mark.parametrize("blocked_cmd,writes", [
    (("BZPOPMIN", "none", "z", "0"), [("ZADD", "z", "1", "a")]),
    (("BZPOPMAX", "z", "0"), [("ZADD", "z", "1", "a", "2", "b")]),
    (("BZMPOP", "0", "2", "none", "z", "MIN", "COUNT", "2"),
     [("ZADD", "z", "1", "a", "2", "b", "3", "c")]),
    (("BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"), [("ZADD", "z", "1", "a", "2", "b")]),
    (("BZPOPMIN", "z", "0"), [("MULTI",), ("ZADD", "z", "1", "a"), ("ZREM", "z", "a"),
                              ("ZADD", "z", "2", "b"), ("EXEC",)]),
    (("BZPOPMIN", "z", "0"), [("ZUNIONSTORE", "z", "1", "src"), ("ZADD", "src", "1", "a"),
                              ("ZUNIONSTORE", "z", "1", "src")]),
    # Served from the key that became ready first, not the first of its keys holding a zset:
    (("BZPOPMIN", "a", "b", "0"), [("MULTI",), ("ZADD", "b", "1", "x"), ("ZADD", "a", "2", "y"),
                                   ("EXEC",)]),
    (("BZMPOP", "0", "2", "a", "b", "MAX", "COUNT", "2"),
     [("MULTI",), ("ZADD", "b", "1", "x"), ("ZADD", "a", "2", "y"), ("EXEC",)]),
], ids=["bzpopmin-emptied", "bzpopmax", "bzmpop", "bzmpop-emptied", "multi", "store",
        "ready-key", "bzmpop-ready-key"])
def test_served_pops_send_redis_events(node, oracle, blocked_cmd, writes):
    # A waiter served by another client's write sends its pop's events (zpopmin/zpopmax,
    # then del if it emptied the key) right after that write's, as Redis.
    def scenario(server):
        waiter, writer = Conn(server), Conn(server)
        try:
            with events_on(server) as log:
                waiter.send(*blocked_cmd)
                wait_blocked(server, 1)
                out = [[writer.call(*cmd), log.drain()] for cmd in writes]
                return out + [waiter.read(), log.drain()]
        finally:
            waiter.close()
            writer.close()

    out = on_both(node, oracle, scenario)
    assert any(b"zpop" in event[0] for _, events in out[:-2] for event in events)

@pytest.mark.parametrize("cmd", [
    ("BZPOPMIN", "z", "x"), ("BZPOPMIN", "z", "-1"), ("BZPOPMAX", "z", "nan"),
    ("BZMPOP", "x", "1", "z", "MIN"), ("BZMPOP", "0", "0", "z", "MIN"),
    ("BZMPOP", "0", "1", "z", "FOO"), ("BZMPOP", "0", "1", "z", "MIN", "COUNT", "0"),
    ("BZPOPMIN", "z"),
])
def test_blocking_argument_errors(node, oracle, cmd):
    def scenario(server):
        c = Conn(server)
        try:
            return [c.call(*cmd)]
        finally:
            c.close()

    assert on_both(node, oracle, scenario)[0][0] == "error"
