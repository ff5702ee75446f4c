"""The blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) with several real
connections at once: wake-ups, FIFO order, timeouts, chains of moves, MULTI/EXEC, clients that
disconnect, CLIENT LIST / INFO, the keyspace events and AOF records of served waits. Each
scenario runs on slotkv and on redis-server and the two transcripts must be equal; the
expected replies are asserted as well.

Waits are for events (a client shows up as blocked, a reply arrives), with generous timeouts;
nothing asserts how fast anything happened.
"""

from __future__ import annotations

import socket
import time
from typing import Any, Callable

import hiredis
import pytest
import redis
from aofhelp import aof_logged
from conftest import ServerProcess, reply_of
from notifyhelp import EventLog

from node.codec import encode_request

WAIT = 10.0  # seconds: the longest any event may take before the test fails


class Conn:
    """A raw RESP connection: send commands, read replies one at a time, see the raw bytes."""

    def __init__(self, port: int, protocol: int = 2) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.reader = hiredis.Reader()
        self.last_raw = b""
        if protocol == 3:
            self.call("HELLO", "3")

    def send(self, *args: Any) -> None:
        self.sock.sendall(encode_request([str(a).encode() for a in args]))

    def read(self) -> Any:
        deadline = time.monotonic() + WAIT
        raw = b""
        while True:
            reply = self.reader.gets()
            if reply is not False:
                self.last_raw = raw
                return ("error", str(reply)) if isinstance(reply, hiredis.ReplyError) else reply
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            raw += data
            self.reader.feed(data)

    def call(self, *args: Any) -> Any:
        self.send(*args)
        return self.read()

    def silent(self, wait: float = 0.3) -> bool:
        """Whether no reply arrives within `wait` seconds."""
        if self.reader.has_data():
            return False
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        self.reader.feed(data)
        return False

    def close(self) -> None:
        self.sock.close()


class Session:
    """The connections of one scenario on one server, plus an admin client."""

    def __init__(self, proc: ServerProcess) -> None:
        self.port = proc.port
        self.admin = proc.client()
        self.admin.flushall()
        self.conns: list[Conn] = []

    def conn(self, protocol: int = 2) -> Conn:
        c = Conn(self.port, protocol)
        self.conns.append(c)
        return c

    def blocked(self) -> int:
        return self.admin.info("clients")["blocked_clients"]

    def wait_blocked(self, n: int) -> None:
        """Wait until exactly `n` clients are blocked."""
        deadline = time.monotonic() + WAIT
        while self.blocked() != n:
            assert time.monotonic() < deadline, f"never saw {n} blocked clients"
            time.sleep(0.01)

    def block(self, conn: Conn, *args: Any) -> None:
        """Send a blocking command and wait until the server has parked it."""
        before = self.blocked()
        conn.send(*args)
        self.wait_blocked(before + 1)

    def call(self, *args: Any) -> Any:
        return reply_of(self.admin, *args)

    def close(self) -> None:
        for c in self.conns:
            c.close()
        self.admin.close()


Scenario = Callable[[Session], list]


@pytest.fixture
def on_both(node: ServerProcess, oracle: ServerProcess) -> Callable[[Scenario], list]:
    """Run a scenario on slotkv and on redis-server; their transcripts must match."""
    def run(scenario: Scenario) -> list:
        transcripts = []
        for proc in (node, oracle):
            session = Session(proc)
            try:
                transcripts.append(scenario(session))
            finally:
                session.close()
        mine, theirs = transcripts
        assert mine == theirs, f"slotkv={mine!r}\nredis={theirs!r}"
        return mine
    return run


# -- the non-blocking paths ------------------------------------------------------------------


def test_served_at_once_when_data_is_there(both):
    both.run(
        ("RPUSH", "b", "1", "2", "3"), ("BLPOP", "a", "b", "0"), ("BRPOP", "a", "b", "0"),
        ("BLPOP", "b", "b", "0.5"), ("EXISTS", "b"), ("RPUSH", "a", "x", "y"),
        ("BLMOVE", "a", "c", "RIGHT", "LEFT", "0"), ("BRPOPLPUSH", "a", "c", "0"),
        ("LRANGE", "c", "0", "-1"), ("RPUSH", "b", "1", "2", "3"),
        ("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2"), ("BLMPOP", "0", "1", "b", "LEFT"),
        ("RPUSH", "k", "v"), ("BLMOVE", "k", "k", "LEFT", "RIGHT", "0"), ("LRANGE", "k", "0", "-1"),
    )


def test_blocking_resp3(both3):
    both3.run(("RPUSH", "a", "1", "2"), ("BLPOP", "a", "0"), ("BLMPOP", "0", "1", "a", "LEFT"),
              ("RPUSH", "a", "1"), ("BRPOPLPUSH", "a", "b", "0"))


@pytest.mark.parametrize("timeout", ["-1", "-0.5", "abc", "", "1x", " 1", "nan", "1_0"])
def test_timeout_errors(both, timeout):
    both("RPUSH", "k", "v")  # the timeout is checked before any key
    both.run(("BLPOP", "k", timeout), ("BRPOP", "k", timeout),
             ("BLMOVE", "k", "d", "LEFT", "LEFT", timeout), ("BRPOPLPUSH", "k", "d", timeout),
             ("BLMPOP", timeout, "1", "k", "LEFT"), ("LLEN", "k"))


@pytest.mark.parametrize("timeout", ["0", "0.0", "+0", "-0", ".0", "1.", "1e-9", "1e15", "0.0001"])
def test_timeout_accepted_forms(both, timeout):
    both.run(("RPUSH", "k", "v"), ("BLPOP", "k", timeout))


@pytest.mark.parametrize("timeout", ["0.001", "0.0001", "1e-9", "0.0009", "0x1p-12", "0.1"])
def test_sub_millisecond_and_fractional_timeouts_time_out(node, oracle, timeout):
    # Redis rounds the long double milliseconds up: under 1 ms waits 1 ms, not forever.
    for server in (node, oracle):
        client = server.client(socket_timeout=5)
        try:
            assert client.execute_command("BLPOP", "empty", timeout) is None, server
        finally:
            client.close()


def test_argument_errors(both):
    both("RPUSH", "k", "v")
    both.run(
        ("BLPOP", "k"), ("BRPOP",), ("BLMOVE", "k", "d", "UP", "LEFT", "0"),
        ("BLMOVE", "k", "d", "LEFT", "DOWN", "0"), ("BLMOVE", "k", "d", "UP", "LEFT", "x"),
        ("BLMOVE", "k", "d", "LEFT", "LEFT"), ("BRPOPLPUSH", "k", "d"),
        ("BLMPOP", "0", "0", "k", "LEFT"), ("BLMPOP", "0", "x", "k", "LEFT"),
        ("BLMPOP", "x", "0", "k", "LEFT"), ("BLMPOP", "x", "1", "k", "UP"),
        ("BLMPOP", "x", "1", "k", "LEFT", "COUNT", "0"), ("BLMPOP", "0", "2", "k", "LEFT"),
        ("BLMPOP", "0", "1", "k", "LEFT", "COUNT"), ("BLMPOP", "0", "1", "k"),
        ("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "1", "COUNT", "1"), ("LLEN", "k"),
    )


# -- wake-ups --------------------------------------------------------------------------------


def test_blpop_woken_by_push(on_both):
    def scenario(s: Session) -> list:
        waiter, pusher = s.conn(), s.conn()
        s.block(waiter, "BLPOP", "k", "0")
        out = [pusher.call("LPUSH", "k", "a"), waiter.read(), pusher.call("EXISTS", "k"),
               s.blocked()]
        s.block(waiter, "BRPOP", "k", "0")
        out += [pusher.call("RPUSH", "k", "x", "y", "z"), waiter.read(),
                pusher.call("LRANGE", "k", "0", "-1")]
        return out
    assert on_both(scenario) == [1, [b"k", b"a"], 0, 0, 3, [b"k", b"z"], [b"x", b"y"]]


def test_waiters_are_served_in_arrival_order(on_both):
    def scenario(s: Session) -> list:
        waiters = [s.conn() for _ in range(3)]
        for w in waiters:
            s.block(w, "BLPOP", "k", "0")
        pusher = s.conn()
        out = [pusher.call("RPUSH", "k", "a")]
        out.append(waiters[0].read())
        out += [waiters[1].silent(), waiters[2].silent(), s.blocked()]
        out.append(pusher.call("RPUSH", "k", "b", "c", "d"))
        out += [waiters[1].read(), waiters[2].read(), pusher.call("LRANGE", "k", "0", "-1")]
        return out
    assert on_both(scenario) == [
        1, [b"k", b"a"], True, True, 2, 3, [b"k", b"b"], [b"k", b"c"], [b"d"]]


def test_blpop_on_several_keys(on_both):
    def scenario(s: Session) -> list:
        waiter, pusher = s.conn(), s.conn()
        s.block(waiter, "BLPOP", "a", "b", "c", "0")
        out = [pusher.call("RPUSH", "c", "x"), waiter.read()]
        s.block(waiter, "BRPOP", "a", "b", "c", "0")
        out += [pusher.call("RPUSH", "b", "y"), waiter.read()]
        out += [pusher.call("RPUSH", "c", "1"), pusher.call("RPUSH", "b", "2"),
                waiter.call("BLPOP", "a", "b", "c", "0")]
        return out
    assert on_both(scenario) == [1, [b"c", b"x"], 1, [b"b", b"y"], 1, 1, [b"b", b"2"]]


def test_same_key_twice(on_both):
    def scenario(s: Session) -> list:
        waiter, pusher = s.conn(), s.conn()
        s.block(waiter, "BLPOP", "k", "k", "0")
        return [pusher.call("RPUSH", "k", "x", "y"), waiter.read(),
                pusher.call("LRANGE", "k", "0", "-1")]
    assert on_both(scenario) == [2, [b"k", b"x"], [b"y"]]


def test_blmpop_woken_with_count(on_both):
    def scenario(s: Session) -> list:
        waiter, pusher = s.conn(), s.conn()
        s.block(waiter, "BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2")
        out = [pusher.call("RPUSH", "b", "1", "2", "3"), waiter.read()]
        s.block(waiter, "BLMPOP", "0", "2", "a", "c", "LEFT", "COUNT", "5")
        out += [pusher.call("RPUSH", "a", "x"), waiter.read(),
                pusher.call("LRANGE", "b", "0", "-1")]
        return out
    assert on_both(scenario) == [3, [b"b", [b"3", b"2"]], 1, [b"a", [b"x"]], [b"1"]]


def test_pipelined_push_then_pop_serves_the_waiter_first(on_both):
    def scenario(s: Session) -> list:
        waiter, pusher = s.conn(), s.conn()
        s.block(waiter, "BLPOP", "k", "0")
        pusher.send("LPUSH", "k", "x")
        pusher.send("LPOP", "k")
        return [pusher.read(), pusher.read(), waiter.read()]
    assert on_both(scenario) == [1, None, [b"k", b"x"]]


def test_blocked_clients_pipeline_continues_after_it_is_served(on_both):
    def scenario(s: Session) -> list:
        waiter, pusher = s.conn(), s.conn()
        before = s.blocked()
        waiter.send("BLPOP", "k", "0")
        waiter.send("PING")
        waiter.send("LLEN", "k")
        s.wait_blocked(before + 1)
        out = [waiter.silent(), pusher.call("RPUSH", "k", "a", "b")]
        out += [waiter.read(), waiter.read(), waiter.read()]
        return out
    assert on_both(scenario) == [True, 2, [b"k", b"a"], b"PONG", 1]


def test_other_types_do_not_wake(on_both):
    def scenario(s: Session) -> list:
        waiter, pusher = s.conn(), s.conn()
        s.block(waiter, "BLPOP", "k", "0")
        out = [pusher.call("SET", "k", "str"), waiter.silent(), s.blocked()]
        out += [pusher.call("DEL", "k"), pusher.call("RPUSH", "k", "v"), waiter.read()]
        return out
    assert on_both(scenario) == [b"OK", True, 1, 1, 1, [b"k", b"v"]]


def test_other_databases_do_not_wake(on_both):
    def scenario(s: Session) -> list:
        waiter, pusher = s.conn(), s.conn()
        waiter.call("SELECT", "1")
        s.block(waiter, "BLPOP", "k", "0")
        out = [pusher.call("RPUSH", "k", "db0"), waiter.silent()]
        out += [pusher.call("SELECT", "1"), pusher.call("RPUSH", "k", "db1"), waiter.read()]
        out.append(pusher.call("SELECT", "0"))
        out.append(pusher.call("LRANGE", "k", "0", "-1"))
        return out
    assert on_both(scenario) == [1, True, b"OK", 1, [b"k", b"db1"], b"OK", [b"db0"]]


# -- timeouts --------------------------------------------------------------------------------


@pytest.mark.parametrize("cmd", [
    ("BLPOP", "k", "0.1"), ("BRPOP", "a", "b", "0.1"), ("BLMOVE", "k", "d", "LEFT", "LEFT", "0.1"),
    ("BRPOPLPUSH", "k", "d", "0.1"), ("BLMPOP", "0.1", "2", "a", "b", "LEFT", "COUNT", "3"),
], ids=lambda c: c[0])
@pytest.mark.parametrize("protocol", [2, 3])
def test_timeout_gives_the_null_reply(on_both, cmd, protocol):
    def scenario(s: Session) -> list:
        waiter = s.conn(protocol)
        reply = waiter.call(*cmd)
        return [reply, waiter.last_raw, s.blocked(), waiter.call("PING")]
    reply, raw, blocked, pong = on_both(scenario)
    assert reply is None and blocked == 0 and pong == b"PONG"
    assert raw == (b"*-1\r\n" if protocol == 2 else b"_\r\n")  # even BLMOVE's: a null array


def test_timeout_zero_waits(on_both):
    def scenario(s: Session) -> list:
        waiter, pusher = s.conn(), s.conn()
        s.block(waiter, "BRPOPLPUSH", "k", "d", "0")
        out = [waiter.silent(0.5), s.blocked(), pusher.call("RPUSH", "k", "late"), waiter.read()]
        return out
    assert on_both(scenario) == [True, 1, 1, b"late"]


# -- chains of moves -------------------------------------------------------------------------


def test_blmove_destination_wakes_the_next_waiter(on_both):
    def scenario(s: Session) -> list:
        mover, popper, pusher = s.conn(), s.conn(), s.conn()
        s.block(mover, "BLMOVE", "a", "b", "LEFT", "RIGHT", "0")
        s.block(popper, "BLPOP", "b", "0")
        out = [pusher.call("LPUSH", "a", "x"), mover.read(), popper.read()]
        out += [pusher.call("EXISTS", "a", "b"), s.blocked()]
        return out
    assert on_both(scenario) == [1, b"x", [b"b", b"x"], 0, 0]


def test_brpoplpush_chain_and_cycle(on_both):
    def scenario(s: Session) -> list:
        c1, c2, c3, pusher = s.conn(), s.conn(), s.conn(), s.conn()
        s.block(c1, "BRPOPLPUSH", "a", "b", "0")
        s.block(c2, "BRPOPLPUSH", "b", "c", "0")
        s.block(c3, "BLMOVE", "c", "a", "RIGHT", "LEFT", "0")
        out = [pusher.call("RPUSH", "a", "v"), c1.read(), c2.read(), c3.read()]
        out += [pusher.call("LRANGE", k, "0", "-1") for k in ("a", "b", "c")]
        out.append(s.blocked())
        return out
    assert on_both(scenario) == [1, b"v", b"v", b"v", [b"v"], [], [], 0]


def test_blmove_to_a_wrong_type_destination(on_both):
    def scenario(s: Session) -> list:
        mover, pusher = s.conn(), s.conn()
        s.block(mover, "BLMOVE", "a", "d", "LEFT", "LEFT", "0")
        out = [pusher.call("SET", "d", "str"), pusher.call("RPUSH", "a", "x"), mover.read()]
        out += [pusher.call("LRANGE", "a", "0", "-1"), s.blocked()]
        return out
    assert on_both(scenario)[2][0] == "error"


# -- transactions ----------------------------------------------------------------------------


def test_push_in_multi_wakes_only_after_exec(on_both):
    def scenario(s: Session) -> list:
        waiter, tx = s.conn(), s.conn()
        s.block(waiter, "BLPOP", "k", "0")
        out = [tx.call("MULTI"), tx.call("LPUSH", "k", "a"), tx.call("LPUSH", "k", "b")]
        out += [waiter.silent(), tx.call("EXEC"), waiter.read(), tx.call("LRANGE", "k", "0", "-1")]
        return out
    assert on_both(scenario) == [b"OK", b"QUEUED", b"QUEUED", True, [1, 2], [b"k", b"b"], [b"a"]]


def test_push_and_pop_in_one_transaction_leaves_the_waiter_blocked(on_both):
    def scenario(s: Session) -> list:
        waiter, tx = s.conn(), s.conn()
        s.block(waiter, "BLPOP", "k", "0")
        tx.call("MULTI")
        tx.call("RPUSH", "k", "a")
        tx.call("LPOP", "k")
        out = [tx.call("EXEC"), waiter.silent(), s.blocked()]
        out += [tx.call("RPUSH", "k", "b"), waiter.read()]
        return out
    assert on_both(scenario) == [[1, b"a"], True, 1, 1, [b"k", b"b"]]


def test_blocking_commands_inside_multi_return_at_once(on_both):
    def scenario(s: Session) -> list:
        tx = s.conn()
        tx.call("MULTI")
        for cmd in (("BLPOP", "k", "0"), ("BRPOP", "k", "0"),
                    ("BLMOVE", "k", "d", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "k", "d", "0"),
                    ("BLMPOP", "0", "1", "k", "LEFT")):
            tx.call(*cmd)
        reply = tx.call("EXEC")
        return [reply, tx.last_raw]
    reply, raw = on_both(scenario)
    assert reply == [None] * 5
    assert raw == b"*5\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n"


def test_served_pop_dirties_watchers(on_both):
    def scenario(s: Session) -> list:
        waiter, watcher, pusher = s.conn(), s.conn(), s.conn()
        pusher.call("SET", "other", "1")
        s.block(waiter, "BLPOP", "k", "0")
        watcher.call("WATCH", "k")
        out = [pusher.call("RPUSH", "k", "x"), waiter.read()]
        watcher.call("MULTI")
        watcher.call("GET", "other")
        out.append(watcher.call("EXEC"))
        return out
    assert on_both(scenario) == [1, [b"k", b"x"], None]


# -- keyspace events and propagation of served waits ---------------------------------------

_SERVED_LATE = [
    ([], [("BLPOP", "k", "0")], [("LPUSH", "k", "a", "b")]),
    ([], [("BLPOP", "k", "0")], [("LPUSH", "k", "a")]),
    ([], [("BRPOP", "x", "k", "0"), ("BRPOP", "k", "0")], [("RPUSH", "k", "a", "b", "c")]),
    ([], [("BLMOVE", "k", "d", "LEFT", "RIGHT", "0")], [("RPUSH", "k", "a", "b")]),
    ([("RPUSH", "d", "x")], [("BLMOVE", "k", "d", "RIGHT", "LEFT", "0")], [("RPUSH", "k", "a")]),
    ([], [("BLMOVE", "k", "k", "RIGHT", "LEFT", "0")], [("RPUSH", "k", "a")]),
    ([], [("BRPOPLPUSH", "k", "d", "0")], [("RPUSH", "k", "a")]),
    ([], [("BLMPOP", "0", "2", "j", "k", "LEFT", "COUNT", "5")], [("RPUSH", "k", "a", "b")]),
    ([], [("BLMPOP", "0", "1", "k", "RIGHT")], [("RPUSH", "k", "a", "b")]),
    ([], [("BLMOVE", "a", "b", "LEFT", "LEFT", "0"), ("BLPOP", "b", "0")], [("RPUSH", "a", "x")]),
    ([("RPUSH", "s", "x")], [("BLPOP", "k", "0")], [("LMOVE", "s", "k", "LEFT", "LEFT")]),
    ([("RPUSH", "s", "3", "1")], [("BLPOP", "k", "0")], [("SORT", "s", "STORE", "k")]),
    ([], [("BLPOP", "k", "0")],
     [("MULTI",), ("RPUSH", "k", "a"), ("RPUSH", "k", "b"), ("EXEC",)]),
    ([("SET", "d", "str")], [("BLMOVE", "k", "d", "LEFT", "LEFT", "0")], [("RPUSH", "k", "a")]),
    # Served from the key that became ready first, not the first of its keys holding a list:
    ([], [("BLPOP", "a", "b", "0")],
     [("MULTI",), ("RPUSH", "b", "x"), ("RPUSH", "a", "y"), ("EXEC",)]),
    ([], [("BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2")],
     [("MULTI",), ("RPUSH", "b", "x"), ("RPUSH", "a", "y"), ("EXEC",)]),
    ([], [("BRPOP", "a", "b", "0")], [("SET", "a", "str"), ("RPUSH", "b", "x")]),
]


@pytest.mark.parametrize("setup, waits, feed", _SERVED_LATE)
def test_served_waits_send_redis_events(on_both, setup, waits, feed):
    """A wait served by another client's write sends the events of the pop or move that
    served it, after that write's own, as Redis 7.0's serveClientsBlockedOnKey."""
    def scenario(s: Session) -> list:
        for cmd in setup:
            s.call(*cmd)
        waiters = [s.conn() for _ in waits]
        for waiter, cmd in zip(waiters, waits):
            s.block(waiter, *cmd)
        feeder = s.conn()
        s.admin.config_set("notify-keyspace-events", "KEAnm")
        log = EventLog(s.admin)
        try:
            out = [(feeder.call(*cmd), log.drain()) for cmd in feed]
        finally:
            log.close()
            s.admin.config_set("notify-keyspace-events", "")
        return out + [waiter.read() for waiter in waiters]
    on_both(scenario)


def test_blmove_served_late_propagates_lower_case_sides(aof_pair):
    """A BLMOVE served after it blocked goes to the AOF (and replicas) as LMOVE with `left`
    and `right` in lower case, as Redis 7.0's serveClientBlockedOnList writes them; served at
    once it keeps the client's spelling."""
    sessions = [Session(proc) for proc in aof_pair]
    try:
        for s in sessions:
            for cmd in (("BLMOVE", "l", "d", "Left", "RIGHT", "0"),
                        ("BLMOVE", "l", "d", "right", "LEFT", "0"),
                        ("BRPOPLPUSH", "l", "d", "0")):
                s.block(s.conn(), *cmd)
        mine, theirs = aof_logged(aof_pair, [("RPUSH", "l", "a", "b", "c", "d"),
                                             ("BLMOVE", "l", "d", "Left", "RIGHT", "0")])
    finally:
        for s in sessions:
            s.close()
    assert mine == theirs
    assert [b"LMOVE", b"l", b"d", b"left", b"right"] in mine
    assert [b"LMOVE", b"l", b"d", b"Left", b"RIGHT"] in mine


# -- disconnects and introspection -----------------------------------------------------------


@pytest.mark.parametrize("blocking", [
    ("BLPOP", "k", "0"), ("BRPOP", "x", "k", "0"), ("BLMOVE", "k", "d", "LEFT", "RIGHT", "0"),
    ("BRPOPLPUSH", "k", "d", "0"), ("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2"),
], ids=lambda c: c[0])
def test_served_pop_counts_changes_as_redis(on_both, blocking):
    """rdb_changes_since_last_save (server.dirty) over a wait served by another client's push:
    Redis 7.0 counts a late-served BLPOP, BRPOP, BLMOVE or BRPOPLPUSH as no change of its own
    (only the push counts), a BLMPOP as the elements popped; also when a served BLMOVE serves
    the next waiter, and when the push comes from a transaction."""
    def scenario(s: Session) -> list:
        waiter, chained, pusher = s.conn(), s.conn(), s.conn()

        def changes() -> int:
            return s.admin.info("persistence")["rdb_changes_since_last_save"]

        out = []
        for feed in ([("RPUSH", "k", "a", "b", "c")],
                     [("MULTI",), ("RPUSH", "k", "a"), ("RPUSH", "k", "b"), ("EXEC",)]):
            s.call("DEL", "k", "d")
            before = changes()
            s.block(waiter, *blocking)
            s.block(chained, "BLPOP", "d", "0")
            out += [pusher.call(*cmd) for cmd in feed]
            out.append(waiter.read())
            if blocking[0] in ("BLMOVE", "BRPOPLPUSH"):
                out.append(chained.read())
            else:
                s.call("RPUSH", "d", "z")
                out.append(chained.read())
            out.append(changes() - before)
        return out
    on_both(scenario)


def test_a_disconnected_waiter_leaves_no_trace(on_both):
    def scenario(s: Session) -> list:
        first, second, pusher = s.conn(), s.conn(), s.conn()
        s.block(first, "BLPOP", "k", "0")
        s.block(second, "BLPOP", "k", "0")
        first.close()
        s.wait_blocked(1)
        out = [pusher.call("RPUSH", "k", "x"), second.read()]
        third = s.conn()
        s.block(third, "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
        third.close()
        s.wait_blocked(0)
        out += [pusher.call("RPUSH", "k", "y"), pusher.call("LRANGE", "k", "0", "-1"),
                pusher.call("EXISTS", "d")]
        return out
    assert on_both(scenario) == [1, [b"k", b"x"], 1, [b"y"], 0]


def test_client_list_and_info_show_blocked_clients(on_both):
    def scenario(s: Session) -> list:
        waiter, pusher = s.conn(), s.conn()
        waiter.call("CLIENT", "SETNAME", "waiter")
        s.block(waiter, "BLPOP", "k", "0")
        line = [ln for ln in s.call("CLIENT", "LIST").decode().splitlines() if "name=waiter" in ln]
        fields = dict(f.split("=", 1) for f in line[0].split())
        info = s.admin.info("clients")
        out = [fields["flags"], fields["cmd"], info["blocked_clients"]]
        pusher.call("RPUSH", "k", "x")
        waiter.read()
        line = [ln for ln in s.call("CLIENT", "LIST").decode().splitlines() if "name=waiter" in ln]
        fields = dict(f.split("=", 1) for f in line[0].split())
        out += [fields["flags"], s.admin.info("clients")["blocked_clients"]]
        return out
    assert on_both(scenario) == ["b", "blpop", 1, "N", 0]


def test_client_unblock(on_both):
    def scenario(s: Session) -> list:
        waiter = s.conn()
        cid = waiter.call("CLIENT", "ID")
        s.block(waiter, "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
        out = [s.call("CLIENT", "UNBLOCK", cid), waiter.read(), waiter.last_raw]
        s.block(waiter, "BLPOP", "k", "0")
        out += [s.call("CLIENT", "UNBLOCK", cid, "ERROR"), waiter.read()]
        return out
    assert on_both(scenario)[:3] == [1, None, b"*-1\r\n"]


def test_redis_py_clients_in_threads(node):
    """The same wake-up through redis-py clients blocked in threads."""
    import threading
    admin = node.client()
    admin.flushall()
    results: dict[int, Any] = {}

    def wait(i: int) -> None:
        c = node.client()
        results[i] = c.blpop(["q"], timeout=0)
        c.close()

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + WAIT
    while admin.info("clients")["blocked_clients"] != 4:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    admin.rpush("q", "1", "2", "3", "4")
    for t in threads:
        t.join(WAIT)
    assert sorted(v for _, v in results.values()) == [b"1", b"2", b"3", b"4"]
    assert admin.exists("q") == 0
    admin.close()


def test_redis_py_timeout(r: redis.Redis):
    assert r.blpop(["nothing"], timeout=0.1) is None
    assert r.brpoplpush("nothing", "d", timeout=0.1) is None
