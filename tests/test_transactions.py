"""MULTI/EXEC/DISCARD/WATCH against redis-server: the same command sessions, the same replies."""

from __future__ import annotations

import socket
import time

import hiredis
import pytest
import redis

from conftest import ServerProcess, debug_servers

# DEBUG SET-ACTIVE-EXPIRE keeps a key that has expired in its db until something touches it.
node, oracle = debug_servers()


class Session:
    """One raw connection: commands go out as RESP, replies come back parsed (errors as
    ("error", text)), so MULTI state is never shared the way a pool would share it."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = hiredis.Reader()

    def __call__(self, *args: str | bytes) -> object:
        return self.many([args])[0]

    def many(self, commands: list[tuple]) -> list:
        out = b""
        for args in commands:
            parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
            out += b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%b\r\n" % (len(p), p) for p in parts)
        self.sock.sendall(out)
        replies: list = []
        while len(replies) < len(commands):
            reply = self.reader.gets()
            if reply is False:
                self.reader.feed(self.sock.recv(65536))
                continue
            replies.append(_plain(reply))
        return replies

    def close(self) -> None:
        self.sock.close()


def _plain(reply: object) -> object:
    if isinstance(reply, hiredis.ReplyError):
        return ("error", str(reply))
    if isinstance(reply, list):
        return [_plain(x) for x in reply]
    return reply


@pytest.fixture
def pair(node: ServerProcess, oracle: ServerProcess, r: redis.Redis, o: redis.Redis):
    """Two sessions per server: [slotkv a, slotkv b], [redis a, redis b]."""
    sessions = [[Session(node.port), Session(node.port)],
                [Session(oracle.port), Session(oracle.port)]]
    yield sessions
    for side in sessions:
        for s in side:
            s.close()


def same(pair, *steps: tuple) -> list:
    """Run `steps` ((session index, command...) each) on both servers; replies must match."""
    results = []
    for side in pair:
        results.append([side[step[0]](*step[1:]) for step in steps])
    assert results[0] == results[1], list(zip(steps, results[0], results[1]))
    return results[0]


def test_exec_runs_the_queue_and_replies_with_an_array(pair):
    replies = same(pair, (0, "MULTI"), (0, "SET", "a", "1"), (0, "INCR", "a"),
                   (0, "INCRBY", "a", "x"), (0, "GET", "a"), (0, "EXEC"), (0, "GET", "a"))
    assert replies[-2][1] == 2 and replies[-2][2][0] == "error"


def test_commands_in_a_pipeline_are_queued_in_order(pair):
    for side in pair:
        got = side[0].many([("MULTI",), ("SET", "k", "v"), ("APPEND", "k", "w"), ("EXEC",),
                            ("GET", "k")])
        assert got == [b"OK", b"QUEUED", b"QUEUED", [b"OK", 2], b"vw"]


@pytest.mark.parametrize("bad", [("NOSUCHCOMMAND",), ("GET",), ("SET", "k"),
                                 ("CONFIG", "NOSUCH")])
def test_a_command_refused_while_queueing_aborts_exec(pair, bad):
    same(pair, (0, "MULTI"), (0, "SET", "a", "1"), (0, *bad), (0, "SET", "b", "2"), (0, "EXEC"),
         (0, "EXISTS", "a", "b"))


def test_runtime_errors_do_not_abort(pair):
    same(pair, (0, "SET", "s", "x"), (0, "MULTI"), (0, "INCR", "s"), (0, "SET", "t", "1"),
         (0, "EXEC"), (0, "GET", "t"))


def test_transaction_state_errors(pair):
    same(pair, (0, "EXEC"), (0, "DISCARD"), (0, "MULTI"), (0, "MULTI"), (0, "WATCH", "x"),
         (0, "SET", "k", "1"), (0, "DISCARD"), (0, "GET", "k"), (0, "MULTI"), (0, "EXEC"))


def test_arity_of_the_transaction_commands(pair):
    same(pair, (0, "MULTI", "x"), (0, "EXEC", "x"), (0, "DISCARD", "x"), (0, "WATCH"),
         (0, "UNWATCH", "x"))


def test_watch_aborts_when_another_client_writes(pair):
    same(pair, (0, "SET", "k", "1"), (0, "WATCH", "k"), (1, "SET", "k", "2"), (0, "MULTI"),
         (0, "INCR", "k"), (0, "EXEC"), (0, "GET", "k"))


def test_watch_survives_reads_and_writes_to_other_keys(pair):
    same(pair, (0, "SET", "k", "1"), (0, "WATCH", "k"), (1, "GET", "k"), (1, "SET", "other", "2"),
         (0, "MULTI"), (0, "INCR", "k"), (0, "EXEC"))


@pytest.mark.parametrize("write", [("DEL", "k"), ("EXPIRE", "k", "100"), ("APPEND", "k", "x"),
                                   ("RENAME", "src", "k"), ("FLUSHDB",), ("FLUSHALL",),
                                   ("SWAPDB", "0", "1"), ("SET", "k", "1")])
def test_watched_key_changes_that_abort(pair, write):
    same(pair, (1, "SET", "src", "v"), (0, "SET", "k", "1"), (0, "WATCH", "k"), (1, *write),
         (0, "MULTI"), (0, "PING"), (0, "EXEC"))


def test_watch_of_a_missing_key_that_is_then_created(pair):
    same(pair, (0, "WATCH", "nokey"), (1, "SET", "nokey", "x"), (0, "MULTI"), (0, "PING"),
         (0, "EXEC"))


def test_flushall_of_a_missing_watched_key_does_not_abort(pair):
    same(pair, (0, "WATCH", "nokey"), (1, "FLUSHALL"), (0, "MULTI"), (0, "PING"), (0, "EXEC"))


def test_watch_in_another_db_is_a_different_key(pair):
    same(pair, (0, "SELECT", "1"), (0, "WATCH", "k"), (1, "SET", "k", "x"), (0, "MULTI"),
         (0, "PING"), (0, "EXEC"))


def test_unwatch_and_discard_forget_the_watches(pair):
    same(pair, (0, "WATCH", "k"), (1, "SET", "k", "1"), (0, "UNWATCH"), (0, "MULTI"),
         (0, "PING"), (0, "EXEC"), (0, "WATCH", "k"), (1, "SET", "k", "2"), (0, "MULTI"),
         (0, "DISCARD"), (0, "MULTI"), (0, "PING"), (0, "EXEC"))


def test_exec_unwatches(pair):
    same(pair, (0, "WATCH", "k"), (0, "MULTI"), (0, "PING"), (0, "EXEC"), (1, "SET", "k", "1"),
         (0, "MULTI"), (0, "PING"), (0, "EXEC"))


def test_key_expiring_between_watch_and_exec_aborts(pair):
    for side in pair:
        side[0]("SET", "k", "v", "PX", "50")
        side[0]("WATCH", "k")
    time.sleep(0.15)
    same(pair, (0, "MULTI"), (0, "PING"), (0, "EXEC"))


def test_key_already_expired_when_watched_does_not_abort(pair):
    for side in pair:
        side[0]("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        side[0]("SET", "k", "v", "PX", "1")
    time.sleep(0.05)
    try:
        same(pair, (0, "WATCH", "k"), (1, "GET", "k"), (0, "MULTI"), (0, "PING"), (0, "EXEC"))
    finally:
        for side in pair:
            side[0]("DEBUG", "SET-ACTIVE-EXPIRE", "1")


@pytest.mark.parametrize("change", [("FLUSHALL",), ("FLUSHDB",), ("SWAPDB", "0", "1"),
                                    ("SWAPDB", "1", "0")])
@pytest.mark.parametrize("expired_in", ["db0", "db1", "both"])
def test_flush_or_swap_of_keys_already_expired_when_watched(pair, change, expired_in):
    # touchAllWatchedKeysInDb: a key watched when already expired, emptied or replaced by
    # nothing or by another expired key, is no logical change; nor is a missing key
    # replaced by an expired one. Only a live key on either side aborts.
    for side in pair:
        side[0]("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        for db in ("0", "1"):
            side[0]("SELECT", db)
            if expired_in in (f"db{db}", "both"):
                side[0]("SET", "k", "v", "PX", "1")
        side[0]("SELECT", "0")
    time.sleep(0.05)
    try:
        same(pair, (0, "WATCH", "k"), (1, *change), (0, "MULTI"), (0, "PING"), (0, "EXEC"),
             (0, "SELECT", "1"), (0, "WATCH", "k"), (0, "SELECT", "0"), (1, *change),
             (0, "MULTI"), (0, "PING"), (0, "EXEC"))
    finally:
        for side in pair:
            side[0]("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_swap_of_a_watched_live_key_with_an_expired_one_aborts(pair):
    for side in pair:
        side[0]("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        side[0]("SET", "k", "v", "PX", "1")
        side[0]("SELECT", "1")
        side[0]("SET", "k", "v")
        side[0]("SELECT", "0")
    time.sleep(0.05)
    try:
        same(pair, (0, "SELECT", "1"), (0, "WATCH", "k"), (1, "SWAPDB", "0", "1"),
             (0, "MULTI"), (0, "PING"), (0, "EXEC"), (0, "WATCH", "k"), (1, "SWAPDB", "1", "1"),
             (0, "MULTI"), (0, "PING"), (0, "EXEC"))
    finally:
        for side in pair:
            side[0]("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_reset_leaves_multi_and_unwatches(pair):
    for side in pair:
        a, b = side
        a.many([("WATCH", "k"), ("MULTI",), ("SET", "k", "x")])
        assert a("RESET") == b"RESET"
        assert a("GET", "k") is None
        b("SET", "k", "1")
        assert a.many([("MULTI",), ("PING",), ("EXEC",)]) == [b"OK", b"QUEUED", [b"PONG"]]


def test_client_list_shows_multi_state(node: ServerProcess, r: redis.Redis):
    a = Session(node.port)
    try:
        a.many([("CLIENT", "SETNAME", "txn"), ("MULTI",), ("PING",), ("PING",)])
        line = next(x for x in r.execute_command("CLIENT", "LIST").decode().splitlines()
                    if "name=txn" in x)
        assert " multi=2 " in line and "flags=x" in line
    finally:
        a.close()


def test_redis_py_transaction_pipeline_and_watch_error(r: redis.Redis, o: redis.Redis):
    for client in (r, o):
        client.set("counter", 0)
        with client.pipeline(transaction=True) as pipe:
            pipe.incr("counter").incr("counter").get("counter")
            assert pipe.execute() == [1, 2, b"2"]
        with client.pipeline() as pipe:
            pipe.watch("counter")
            client.set("counter", 10)  # another connection of the pool
            pipe.multi()
            pipe.incr("counter")
            with pytest.raises(redis.WatchError):
                pipe.execute()
        assert client.get("counter") == b"10"
