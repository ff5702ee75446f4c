"""XREAD BLOCK and XREADGROUP BLOCK with several real clients, each scenario played on slotkv and
on redis-server and the observations compared: wake-ups by XADD from another client, `$`,
arrival order, timeouts, BLOCK 0, deleted keys and destroyed groups, disconnects, transactions
and pipelines."""

from __future__ import annotations

import time
from typing import Callable

import pytest
from blocking_helpers import Conn, blocked, events_on, wait_blocked
from conftest import ServerProcess


def on_both(node: ServerProcess, oracle: ServerProcess,
            scenario: Callable[[ServerProcess, list[Conn]], list], clients: int = 2) -> list:
    """Play `scenario` with fresh connections on a flushed slotkv and a flushed redis-server;
    both must observe the same."""
    results = []
    for server in (node, oracle):
        with server.client() as c:
            c.flushall()
        conns = [Conn(server) for _ in range(clients)]
        try:
            results.append(scenario(server, conns))
        finally:
            for conn in conns:
                conn.close()
        wait_blocked(server, 0)
    assert results[0] == results[1]
    return results[0]


def test_xread_woken_by_xadd_from_another_client(node, oracle):
    def scenario(server, conns):
        waiter, writer = conns
        writer.call("XADD", "s", "1-1", "a", "1")
        waiter.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        wait_blocked(server, 1)
        return [writer.call("XADD", "s", "2-1", "b", "2"), waiter.read()]

    assert on_both(node, oracle, scenario)[1] == [[b"s", [[b"2-1", [b"b", b"2"]]]]]


def test_dollar_is_the_last_id_when_blocking(node, oracle):
    def scenario(server, conns):
        waiter, writer = conns
        writer.call("XADD", "s", "1-1", "a", "1")
        waiter.send("XREAD", "BLOCK", "0", "STREAMS", "missing", "s", "$", "$")
        wait_blocked(server, 1)
        writer.call("MULTI")
        writer.call("XADD", "s", "2-1", "b", "2")
        writer.call("XADD", "s", "3-1", "c", "3")
        return [writer.call("EXEC"), waiter.read()]

    out = on_both(node, oracle, scenario)
    assert out[1] == [[b"s", [[b"2-1", [b"b", b"2"]], [b"3-1", [b"c", b"3"]]]]]


def test_xread_on_a_missing_key_and_several_keys(node, oracle):
    def scenario(server, conns):
        waiter, writer = conns
        waiter.send("XREAD", "COUNT", "5", "BLOCK", "0", "STREAMS", "a", "b", "0", "0")
        wait_blocked(server, 1)
        return [writer.call("XADD", "b", "1-1", "f", "v"), waiter.read()]

    assert on_both(node, oracle, scenario)[1] == [[b"b", [[b"1-1", [b"f", b"v"]]]]]


def test_every_xread_waiter_sees_the_entry(node, oracle):
    def scenario(server, conns):
        *waiters, writer = conns
        for i, w in enumerate(waiters):
            w.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
            wait_blocked(server, i + 1)
        writer.call("XADD", "s", "5-5", "f", "v")
        return [w.read() for w in waiters]

    out = on_both(node, oracle, scenario, clients=4)
    assert out == [[[b"s", [[b"5-5", [b"f", b"v"]]]]]] * 3


def test_xreadgroup_waiters_are_served_in_arrival_order(node, oracle):
    def scenario(server, conns):
        *waiters, writer = conns
        writer.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        for i, w in enumerate(waiters):
            w.send("XREADGROUP", "GROUP", "g", f"c{i}", "BLOCK", "0", "STREAMS", "s", ">")
            wait_blocked(server, i + 1)
        out = [writer.call("XADD", "s", "1-1", "a", "1"), waiters[0].read()]
        wait_blocked(server, 2)
        out.append(writer.call("XADD", "s", "2-1", "b", "2"))
        out.append(waiters[1].read())
        wait_blocked(server, 1)
        out.append(writer.call("XADD", "s", "3-1", "c", "3"))
        out.append(waiters[2].read())
        out.append(writer.call("XPENDING", "s", "g"))
        return out

    out = on_both(node, oracle, scenario, clients=4)
    assert out[1] == [[b"s", [[b"1-1", [b"a", b"1"]]]]]
    assert out[3] == [[b"s", [[b"2-1", [b"b", b"2"]]]]]
    assert out[-1][0] == 3


def test_timeouts_give_the_null_array(node, oracle):
    def scenario(server, conns):
        c2, c3 = conns[0], Conn(server, protocol=3)
        try:
            c2.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
            return [c2.call("XREAD", "BLOCK", "50", "STREAMS", "s", "$"),
                    c2.call("XREADGROUP", "GROUP", "g", "c", "BLOCK", "50", "STREAMS", "s", ">"),
                    c3.call("XREAD", "BLOCK", "50", "STREAMS", "s", "0"),
                    c2.call("XINFO", "CONSUMERS", "s", "g")]
        finally:
            c3.close()

    assert on_both(node, oracle, scenario) == [None, None, None, []]


def test_block_zero_waits_until_served(node, oracle):
    def scenario(server, conns):
        waiter, writer = conns
        writer.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        waiter.send("XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")
        wait_blocked(server, 1)
        time.sleep(0.3)
        still = blocked(server)
        out = [still, writer.call("XADD", "s", "1-1", "f", "v"), waiter.read()]
        out.append(writer.call("XPENDING", "s", "g"))  # NOACK: nothing pending
        out.append(writer.call("XINFO", "GROUPS", "s"))
        return out

    out = on_both(node, oracle, scenario)
    assert out[0] == 1 and out[2] == [[b"s", [[b"1-1", [b"f", b"v"]]]]]


def test_blocked_reader_gets_at_most_1000_entries_without_count(node, oracle):
    def scenario(server, conns):
        waiter, writer = conns
        waiter.send("XREAD", "BLOCK", "0", "STREAMS", "s", "0")
        wait_blocked(server, 1)
        writer.call("MULTI")
        for i in range(1, 1201):
            writer.call("XADD", "s", f"{i}-0", "f", "v")
        writer.call("EXEC")
        reply = waiter.read()
        return [len(reply[0][1]), reply[0][1][-1][0]]

    assert on_both(node, oracle, scenario) == [1000, b"1000-0"]


def test_destroyed_group_and_deleted_key_fail_blocked_xreadgroup(node, oracle):
    def scenario(server, conns):
        waiter, writer = conns
        out = []
        for change in (("XGROUP", "DESTROY", "s", "g"), ("DEL", "s"), ("FLUSHALL",),
                       ("SET", "s", "x"), ("PEXPIRE", "s", "1")):
            writer.call("DEL", "s")
            writer.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
            waiter.send("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
            wait_blocked(server, 1)
            out.append(writer.call(*change))
            out.append(waiter.read())
        return out

    out = on_both(node, oracle, scenario)
    assert out[1][1].startswith("NOGROUP") and out[3][1].startswith("UNBLOCKED")


def test_xread_keeps_waiting_when_its_key_goes(node, oracle):
    def scenario(server, conns):
        waiter, writer = conns
        writer.call("XADD", "s", "1-1", "a", "1")
        waiter.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        wait_blocked(server, 1)
        out = [writer.call("DEL", "s"), writer.call("SET", "s", "x")]
        out.append(blocked(server))
        out += [writer.call("DEL", "s"), writer.call("XADD", "s", "1-2", "b", "2"), waiter.read()]
        return out

    assert on_both(node, oracle, scenario)[-1] == [[b"s", [[b"1-2", [b"b", b"2"]]]]]



_GROUPS = [("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
           ("XGROUP", "CREATE", "t", "g", "$", "MKSTREAM")]
_XREADGROUP_S = ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")


@pytest.mark.parametrize("setup,blocked_cmd,writes", [
    # An entry trimmed or deleted as soon as added still wakes the reader, with no entries:
    # Redis 7.0 compares the stream's last generated ID, not its last live entry.
    ([("XADD", "s", "1-1", "f", "v")], ("XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
     [("XADD", "s", "MAXLEN", "0", "2-1", "f", "v")]),
    (_GROUPS, _XREADGROUP_S, [("XADD", "s", "MAXLEN", "0", "2-1", "f", "v")]),
    ([("XADD", "s", "1-1", "f", "v")], ("XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
     [("MULTI",), ("XADD", "s", "2-1", "f", "v"), ("XDEL", "s", "2-1"), ("EXEC",)]),
    (_GROUPS, _XREADGROUP_S,
     [("MULTI",), ("XADD", "s", "2-1", "f", "v"), ("XDEL", "s", "2-1"), ("EXEC",)]),
    # XSETID moves the last ID but signals nobody: the reader waits for the next XADD.
    ([("XADD", "s", "1-1", "f", "v")], ("XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
     [("XSETID", "s", "5-0"), ("XADD", "s", "6-1", "f", "v")]),
    # A transaction feeding several of the streams: only the first one made ready is served.
    ([("XADD", "s", "1-1", "f", "v"), ("XADD", "t", "1-1", "f", "v")],
     ("XREAD", "BLOCK", "0", "STREAMS", "s", "t", "$", "$"),
     [("MULTI",), ("XADD", "t", "2-1", "f", "v"), ("XADD", "s", "2-1", "f", "v"), ("EXEC",)]),
    (_GROUPS, ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", "t", ">", ">"),
     [("MULTI",), ("XADD", "s", "2-1", "f", "v"), ("XADD", "t", "2-1", "f", "v"), ("EXEC",)]),
    # Only the ready key is looked at: the other's missing group or stale ID do not matter.
    (_GROUPS, ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", "t", ">", ">"),
     [("MULTI",), ("XADD", "s", "2-1", "f", "v"), ("XGROUP", "DESTROY", "t", "g"), ("EXEC",)]),
    ([("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "2-1", "f", "v"), ("XDEL", "s", "2-1"),
      ("XADD", "t", "1-1", "f", "v")],
     ("XREAD", "BLOCK", "0", "STREAMS", "s", "t", "1-1", "$"), [("XADD", "t", "3-1", "f", "v")]),
    # A key named twice waits under the first ID given for it.
    ([("XADD", "s", "1-1", "f", "v"), ("XADD", "s", "2-1", "f", "v"), ("XDEL", "s", "2-1")],
     ("XREAD", "BLOCK", "0", "STREAMS", "s", "s", "2-1", "1-1"), [("XADD", "s", "3-1", "f", "v")]),
], ids=["xread-maxlen-0", "xreadgroup-maxlen-0", "xread-add-del", "xreadgroup-add-del",
        "xsetid", "xread-two-ready", "xreadgroup-two-ready", "other-group-destroyed",
        "other-key-stale", "key-named-twice"])
def test_woken_reader_is_served_from_its_ready_key_as_redis_7_0(node, oracle, setup,
                                                               blocked_cmd, writes):
    def scenario(server, conns):
        waiter, writer = conns
        for cmd in setup:
            writer.call(*cmd)
        waiter.send(*blocked_cmd)
        wait_blocked(server, 1)
        out = [writer.call(*cmd) for cmd in writes]
        out.append(waiter.read())
        if "g" in blocked_cmd:
            out += [writer.call("XINFO", "GROUPS", "s"), writer.call("XPENDING", "s", "g"),
                    len(writer.call("XINFO", "CONSUMERS", "s", "g"))]
        return out

    on_both(node, oracle, scenario)


@pytest.mark.parametrize("consumer", ["c", "new"])
def test_served_xreadgroup_counts_changes_as_redis_7_0(node, oracle, consumer):
    # Served late, a group read counts no change of its own, only a consumer it creates.
    def scenario(server, conns):
        waiter, writer = conns
        for cmd in _GROUPS + [("XGROUP", "CREATECONSUMER", "s", "g", "c")]:
            writer.call(*cmd)
        before = writer.call("INFO", "persistence")
        waiter.send("XREADGROUP", "GROUP", "g", consumer, "BLOCK", "0", "STREAMS", "s", ">")
        wait_blocked(server, 1)
        writer.call("XADD", "s", "1-1", "f", "v")
        waiter.read()
        after = writer.call("INFO", "persistence")
        return _changes(after) - _changes(before)

    on_both(node, oracle, scenario)


def _changes(info: bytes) -> int:
    return int(info.split(b"rdb_changes_since_last_save:")[1].split(b"\r\n")[0])




@pytest.mark.parametrize("setup,blocked_cmd,writes", [
    ([], ("XREAD", "BLOCK", "0", "STREAMS", "missing", "s", "$", "$"),
     [("XADD", "s", "1-1", "f", "v")]),
    ([("XADD", "s", "1-1", "f", "v")], ("XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
     [("XDEL", "s", "1-1"), ("XADD", "s", "2-1", "f", "v")]),
    (_GROUPS, ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
     [("XADD", "s", "1-1", "f", "v")]),
    (_GROUPS, ("XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", "t",
               ">", ">"), [("XADD", "t", "1-1", "f", "v")]),
    (_GROUPS, ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
     [("XGROUP", "DESTROY", "s", "g")]),
    (_GROUPS, ("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
     [("DEL", "s")]),
], ids=["xread", "xread-after-xdel", "xreadgroup", "xreadgroup-noack", "group-destroyed",
        "key-deleted"])
def test_served_reads_send_redis_events(node, oracle, setup, blocked_cmd, writes):
    # A served XREADGROUP makes its consumer then (xgroup-createconsumer, after the write's
    # events); serving looks keys up with no keymiss, as Redis's handleClientsBlockedOnKeys.
    def scenario(server, conns):
        waiter, writer = conns
        for cmd in setup:
            writer.call(*cmd)
        with events_on(server) as log:
            waiter.send(*blocked_cmd)
            wait_blocked(server, 1)
            out = [log.drain()]
            out += [[writer.call(*cmd), log.drain()] for cmd in writes]
            return out + [waiter.read(), log.drain()]

    on_both(node, oracle, scenario)

def test_disconnected_waiter_is_forgotten(node, oracle):
    def scenario(server, conns):
        waiter, writer = conns
        writer.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        waiter.send("XREADGROUP", "GROUP", "g", "gone", "BLOCK", "0", "STREAMS", "s", ">")
        wait_blocked(server, 1)
        waiter.close()
        wait_blocked(server, 0)
        return [writer.call("XADD", "s", "1-1", "a", "1"), writer.call("XPENDING", "s", "g"),
                writer.call("XINFO", "CONSUMERS", "s", "g"),
                writer.call("XREADGROUP", "GROUP", "g", "here", "STREAMS", "s", ">")]

    out = on_both(node, oracle, scenario)
    assert out[1][0] == 0 and out[3] == [[b"s", [[b"1-1", [b"a", b"1"]]]]]


def test_no_blocking_inside_multi(node, oracle):
    def scenario(server, conns):
        c = conns[0]
        c.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        return [c.call("MULTI"), c.call("XREAD", "BLOCK", "0", "STREAMS", "s", "$"),
                c.call("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
                c.call("EXEC")]

    assert on_both(node, oracle, scenario)[-1] == [None, None]


def test_pipeline_continues_after_the_blocked_read(node, oracle):
    def scenario(server, conns):
        waiter, writer = conns
        waiter.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        waiter.send("XLEN", "s")
        waiter.send("PING")
        wait_blocked(server, 1)
        writer.call("XADD", "s", "1-1", "a", "1")
        return [waiter.read(), waiter.read(), waiter.read()]

    assert on_both(node, oracle, scenario)[1:] == [1, b"PONG"]


def test_resp3_blocked_reply_is_a_map(node, oracle):
    def scenario(server, conns):
        writer = conns[0]
        waiter = Conn(server, protocol=3)
        try:
            waiter.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
            wait_blocked(server, 1)
            writer.call("XADD", "s", "1-1", "a", "1")
            return [waiter.read()]
        finally:
            waiter.close()

    assert on_both(node, oracle, scenario) == [{b"s": [[b"1-1", [b"a", b"1"]]]}]


def test_client_unblock(node, oracle):
    def scenario(server, conns):
        waiter, writer = conns
        cid = waiter.call("CLIENT", "ID")
        out = []
        for how in ((), ("ERROR",)):
            waiter.send("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
            wait_blocked(server, 1)
            out += [writer.call("CLIENT", "UNBLOCK", str(cid), *how), waiter.read()]
        return out

    assert on_both(node, oracle, scenario) == [
        1, None, 1, ("error", "UNBLOCKED client unblocked via CLIENT UNBLOCK")]
