"""Replication with real processes: full and partial sync, WAIT, promotion, read-only replicas,
auth and TLS on the gRPC link, and INFO/ROLE shaped as a real redis-server pair has them.

Writes used while a sync runs are deterministic ones (absolute expiries, no random picks), so
DEBUG DIGEST can compare the datasets byte for byte.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from typing import Any

import pytest
import redis

from aofhelp import incr_aof
from cluster_util import Conn
from conftest import Differential, free_port, reply_of, wait_until
from node.aof_reader import CommandReader
from replication_helpers import (
    FAR, digest, fill, follow, in_sync, info, linked, start_repl_node, start_replica, synced_pair,
)

# A replica that stops acking is dropped after 2 s; pings every second keep an idle link up.
FAST_TIMEOUTS = ("--repl-timeout", "2", "--repl-ping-replica-period", "1")


class Writer(threading.Thread):
    """Writes deterministic commands in a loop until stopped; counts what it sent."""

    def __init__(self, port: int, prefix: str = "w") -> None:
        super().__init__(daemon=True)
        self.client = redis.Redis(port=port, protocol=2)
        self.prefix = prefix
        self.stop = threading.Event()
        self.count = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                i = self.count
                pipe = self.client.pipeline(transaction=False)
                pipe.set(f"{self.prefix}:s:{i}", i)
                pipe.incr(f"{self.prefix}:counter")
                pipe.rpush(f"{self.prefix}:list", i)
                pipe.hset(f"{self.prefix}:hash", str(i % 100), i)
                pipe.zadd(f"{self.prefix}:zset", {str(i % 50): i})
                pipe.delete(f"{self.prefix}:s:{i - 10}")
                pipe.execute()
                self.count += 1
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e

    def finish(self) -> None:
        self.stop.set()
        self.join(10)
        assert self.error is None, self.error


# -- full sync -----------------------------------------------------------------------------


def test_full_sync_of_every_type_while_writes_continue(start_node: Any) -> None:
    primary = start_repl_node(start_node)
    p = primary.client()
    fill(p, 100_000)
    writer = Writer(primary.port)
    writer.start()
    try:
        time.sleep(0.2)
        replica = start_replica(start_node, primary)
        r = replica.client()
        wait_until(lambda: linked(r), 60, "the replica to finish its full sync")
        time.sleep(0.3)  # writes keep flowing after the sync
    finally:
        writer.finish()
    assert writer.count > 0
    assert p.execute_command("WAIT", 1, 5000) == 1
    wait_until(lambda: in_sync(p, r), 10, "the replica to catch up")
    assert r.dbsize() == p.dbsize()
    assert digest(r) == digest(p)
    assert int(info(p, "stats")["sync_full"]) == 1
    # The replica serves what it holds.
    assert r.get("k:0") == b"value-0"
    assert r.pttl("k:8") > 0


def test_a_random_mix_of_writes_replicates_exactly(start_node: Any) -> None:
    """Pipelines of reads and writes, in several databases, with transactions, failing and
    no-op writes and expiring keys, from several clients at once: whatever mix of verbatim
    chunks and encoded commands the primary's stream is made of, the copy is exact."""
    primary, p, replica, r = synced_pair(start_node, 200)
    rng = random.Random(5)
    clients = [primary.client(db=db) for db in (0, 0, 1, 2)]

    def command() -> tuple:
        k = f"k{rng.randrange(30)}"
        return rng.choice([
            ("SET", k, rng.randrange(100)), ("GET", k), ("INCR", f"n{rng.randrange(5)}"),
            ("RPUSH", f"l{rng.randrange(5)}", rng.randrange(100)), ("LPOP", f"l{rng.randrange(5)}"),
            ("HSET", f"h{rng.randrange(5)}", k, 1), ("DEL", k), ("SADD", f"s{rng.randrange(5)}", k),
            ("ZADD", f"z{rng.randrange(5)}", rng.randrange(10), k), ("SET", k, "x", "NX"),
            ("INCR", "l0"),  # WRONGTYPE once l0 is a list: a failed write
            ("PEXPIREAT", k, FAR), ("PEXPIRE", f"t{rng.randrange(3)}", 1),
            ("SET", f"t{rng.randrange(3)}", 1), ("EXISTS", k), ("MSET", k, 1, f"m{k}", 2),
        ])

    for _ in range(300):
        c = rng.choice(clients)
        pipe = c.pipeline(transaction=rng.random() < 0.2)
        for _ in range(rng.randrange(1, 25)):
            pipe.execute_command(*command())
        pipe.execute(raise_on_error=False)
    time.sleep(0.01)
    for c in clients:
        c.exists("t0", "t1", "t2")  # the keys with a 1 ms TTL are gone: their DELs go out now
        assert c.execute_command("WAIT", 1, 5000) == 1
    wait_until(lambda: in_sync(p, r), 10, "the replica to catch up")
    assert digest(r) == digest(p)


# -- partial resync ------------------------------------------------------------------------


def test_dropped_link_resumes_with_a_partial_resync(start_node: Any) -> None:
    primary, p, replica, r = synced_pair(start_node, 2000, FAST_TIMEOUTS, FAST_TIMEOUTS)
    os.kill(replica.pid, signal.SIGSTOP)
    try:
        p.set("during", "the outage")
        fill(p, 500, prefix="more")
        # The primary drops a replica that stops acking for repl-timeout.
        wait_until(lambda: info(p)["connected_slaves"] == "0", 10, "the primary to drop the replica")
    finally:
        os.kill(replica.pid, signal.SIGCONT)
    wait_until(lambda: in_sync(p, r), 20, "the replica to resume")
    stats = info(p, "stats")
    assert stats["sync_full"] == "1"
    assert stats["sync_partial_ok"] == "1"
    assert r.get("during") == b"the outage"
    assert digest(r) == digest(p)


def test_a_killed_replica_restarts_with_a_partial_resync(start_node: Any) -> None:
    primary, p, replica, r = synced_pair(start_node, 5000)
    assert r.save()  # the snapshot remembers repl-id and offset
    fill(p, 1000, prefix="after-save")
    assert p.execute_command("WAIT", 1, 2000) == 1
    replica.proc.send_signal(signal.SIGKILL)
    replica.proc.wait()
    fill(p, 1000, prefix="while-down")
    p.incr("counter", 5)
    restarted = start_replica(start_node, primary, workdir=replica.workdir, port=replica.port,
                              repl_port=replica.repl_port)
    r = restarted.client()
    wait_until(lambda: in_sync(p, r), 20, "the restarted replica to resume")
    stats = info(p, "stats")
    assert stats["sync_full"] == "1"  # the first sync only: no snapshot the second time
    assert stats["sync_partial_ok"] == "1"
    assert "Replication state restored from the snapshot" in restarted.log()
    assert r.get("counter") == b"5"
    assert r.dbsize() == p.dbsize()
    assert digest(r) == digest(p)


def test_a_primary_restarted_from_its_snapshot_keeps_its_replicas(start_node: Any) -> None:
    primary, p, replica, r = synced_pair(start_node, 2000, ("--save", "3600 1"))
    p.set("last", "before restart")
    assert p.execute_command("WAIT", 1, 2000) == 1
    old_id = info(p)["master_replid"]
    primary.stop()  # SIGTERM: the shutdown saves (save points are on by default)
    again = start_repl_node(start_node, workdir=primary.workdir, port=primary.port,
                            repl_port=primary.repl_port)
    assert "Replication state restored from the snapshot" in again.log()
    p = again.client()
    assert info(p)["master_replid2"] == old_id  # PSYNC2: the old history as second id
    wait_until(lambda: in_sync(p, r), 20, "the replica to resume with the restarted primary")
    assert info(p, "stats")["sync_partial_ok"] == "1"
    assert info(p, "stats")["sync_full"] == "0"
    p.set("after", "restart")
    assert p.execute_command("WAIT", 1, 2000) == 1
    assert r.get("after") == b"restart"
    assert digest(r) == digest(p)


def test_a_primary_shutting_down_waits_for_its_lagging_replica(start_node: Any) -> None:
    primary, p, replica, r = synced_pair(start_node, 100)
    os.kill(replica.pid, signal.SIGSTOP)
    try:
        fill(p, 2000, prefix="late")
        p.set("last", "write")
        os.kill(primary.pid, signal.SIGTERM)  # waits up to shutdown-timeout (10 s)
        time.sleep(0.5)
        assert primary.alive()
    finally:
        os.kill(replica.pid, signal.SIGCONT)
    primary.proc.wait(15)
    assert "1 of 1 replicas are in sync when shutting down." in primary.log()
    assert r.get("last") == b"write"
    assert r.dbsize() == 2101


def test_a_replica_past_the_backlog_syncs_fully(start_node: Any) -> None:
    primary, p, replica, r = synced_pair(
        start_node, 0, (*FAST_TIMEOUTS, "--repl-backlog-size", "16kb"), FAST_TIMEOUTS)
    os.kill(replica.pid, signal.SIGSTOP)
    try:
        fill(p, 3000, prefix="far")  # far more than 16 KB of stream
        wait_until(lambda: info(p)["connected_slaves"] == "0", 10, "the primary to drop the replica")
    finally:
        os.kill(replica.pid, signal.SIGCONT)
    wait_until(lambda: in_sync(p, r), 20, "the replica to resync")
    stats = info(p, "stats")
    assert stats["sync_full"] == "2"
    assert stats["sync_partial_ok"] == "0"
    assert stats["sync_partial_err"] == "1"
    assert digest(r) == digest(p)


# -- WAIT ----------------------------------------------------------------------------------


def test_wait_counts_replicas_that_acknowledged(start_node: Any) -> None:
    primary = start_repl_node(start_node)
    p = primary.client()
    assert p.execute_command("WAIT", 0, 0) == 0
    replica = start_replica(start_node, primary)
    r = replica.client()
    wait_until(lambda: linked(r), 20, "the sync")
    for i in range(20):
        p.set(f"wait:{i}", i)
        assert p.execute_command("WAIT", 1, 100) == 1
        assert r.get(f"wait:{i}") == str(i).encode()
    # Asking for more replicas than there are waits out the timeout, then answers.
    p.set("more", 1)
    t0 = time.monotonic()
    assert p.execute_command("WAIT", 2, 200) == 1
    assert time.monotonic() - t0 >= 0.19
    # A pipeline: the write and the WAIT in one batch.
    pipe = p.pipeline(transaction=False)
    pipe.set("piped", 1)
    pipe.execute_command("WAIT", 1, 1000)
    assert pipe.execute() == [True, 1]
    with pytest.raises(redis.ResponseError, match="WAIT cannot be used with replica instances"):
        r.execute_command("WAIT", 1, 100)
    # WAITAOF: no AOF here, so no replica has fsynced anything, and numlocal is refused.
    assert p.execute_command("WAITAOF", 0, 0, 0) == [0, 0]
    with pytest.raises(redis.ResponseError, match="appendonly is disabled"):
        p.execute_command("WAITAOF", 1, 0, 0)


def test_waitaof_counts_local_and_replica_fsyncs(start_node: Any) -> None:
    aof = ("--appendonly", "yes", "--appendfsync", "always")
    primary, p, replica, r = synced_pair(start_node, 300, aof, aof)
    p.set("k", "v")
    assert p.execute_command("WAITAOF", 1, 1, 2000) == [1, 1]
    assert r.get("k") == b"v"
    # A replica without an AOF fsyncs nothing: WAITAOF waits out its timeout for it.
    plain = start_replica(start_node, primary)
    wait_until(lambda: in_sync(p, plain.client()), 20, "the second replica")
    p.set("k2", "v2")
    assert p.execute_command("WAITAOF", 1, 2, 300) == [1, 1]
    assert p.execute_command("WAIT", 2, 2000) == 2
    with pytest.raises(redis.ResponseError, match="WAITAOF cannot be used with replica"):
        r.execute_command("WAITAOF", 0, 0, 0)
    # The replica's AOF was restarted from the synced dataset: it loads back the same.
    r.execute_command("DEBUG", "LOADAOF")
    assert digest(r) == digest(p)


def test_wait_errors_match_redis(start_node: Any, r: redis.Redis, o: redis.Redis, both: Any) -> None:
    for args in (("WAIT", "x", "1"), ("WAIT", "1", "x"), ("WAIT", "1", "-1"), ("WAIT", "0", "0"),
                 ("WAIT", "1"), ("ROLE", "x")):
        both(*args)


# -- promotion -----------------------------------------------------------------------------


def test_replicaof_no_one_promotes_and_a_second_replica_continues_partially(start_node: Any) -> None:
    primary = start_repl_node(start_node)
    p = primary.client()
    fill(p, 3000)
    r1 = start_replica(start_node, primary)
    r2 = start_replica(start_node, primary)
    c1, c2 = r1.client(), r2.client()
    wait_until(lambda: in_sync(p, c1) and in_sync(p, c2), 20, "both replicas")
    p.set("last", "write")
    assert p.execute_command("WAIT", 2, 2000) == 2
    old_id = info(p)["master_replid"]
    primary.proc.send_signal(signal.SIGKILL)
    primary.proc.wait()
    # Promote the first replica: a new history, the old id kept as the second.
    assert c1.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
    fields = info(c1)
    assert fields["role"] == "master"
    assert fields["master_replid"] != old_id
    assert fields["master_replid2"] == old_id
    assert int(fields["second_repl_offset"]) == int(fields["master_repl_offset"]) + 1
    assert c1.set("after", "promotion")
    # The second replica follows the promoted one without a snapshot.
    follow(c2, r1)
    wait_until(lambda: in_sync(c1, c2), 20, "the second replica to follow the promoted one")
    stats = info(c1, "stats")
    assert stats["sync_partial_ok"] == "1"
    assert stats["sync_full"] == "0"
    assert c2.get("after") == b"promotion"
    assert info(c2)["master_replid"] == info(c1)["master_replid"]
    assert info(c2)["master_replid2"] == old_id
    assert digest(c1) == digest(c2)


def test_a_replica_behind_continues_with_the_promoted_one_mid_stream(start_node: Any) -> None:
    primary, p, r1, c1 = synced_pair(start_node, 500)
    r2 = start_replica(start_node, primary)
    c2 = r2.client()
    wait_until(lambda: in_sync(p, c2), 20, "the second replica")
    p3 = primary.client(db=3)
    p3.set("a", "1")  # the stream moves to db 3
    assert p3.execute_command("WAIT", 2, 2000) == 2
    os.kill(r2.pid, signal.SIGSTOP)
    try:
        p3.set("b", "2")  # no SELECT before it: the stream is on db 3 already
        p3.rpush("l", "x", "y")
        assert p3.execute_command("WAIT", 1, 2000) == 1  # the first replica has it
        primary.proc.send_signal(signal.SIGKILL)
        primary.proc.wait()
        c1.execute_command("REPLICAOF", "NO", "ONE")
    finally:
        os.kill(r2.pid, signal.SIGCONT)
    follow(c2, r1)
    wait_until(lambda: in_sync(c1, c2), 20, "the lagging replica to catch up")
    assert info(c1, "stats")["sync_partial_ok"] == "1"
    assert r2.client(db=3).get("b") == b"2"
    assert r2.client(db=3).lrange("l", 0, -1) == [b"x", b"y"]
    assert digest(c2) == digest(c1)


def test_a_replica_of_a_replica_gets_the_primarys_stream(start_node: Any) -> None:
    primary, p, middle, m = synced_pair(start_node, 2000)
    p3 = primary.client(db=3)
    p3.set("in-db", "3")  # the stream is on db 3 from here, without another SELECT
    wait_until(lambda: in_sync(p, m), 10, "the first replica to have it")
    leaf = start_replica(start_node, middle)
    c = leaf.client()
    wait_until(lambda: in_sync(m, c), 20, "the replica of the replica")
    p3.set("still", "db 3")  # no SELECT before it: the leaf must know the stream's db
    p.set("through", "two links")
    p.incr("n")
    wait_until(lambda: c.get("through") == b"two links", 10, "the write to reach the leaf")
    # One history: the same id and offsets on all three.
    wait_until(lambda: in_sync(p, c), 10, "the leaf to catch up")
    ids = {info(x)["master_replid"] for x in (p, m, c)}
    assert len(ids) == 1
    assert info(p)["master_repl_offset"] == info(m)["master_repl_offset"] == info(c)["master_repl_offset"]
    assert digest(c) == digest(p)
    assert leaf.client(db=3).get("still") == b"db 3"
    with pytest.raises(redis.ReadOnlyError):
        c.set("x", "y")


def test_published_messages_reach_the_replicas_subscribers(start_node: Any) -> None:
    # As Redis: PUBLISH goes down the replication stream (a replica's subscribers hear it,
    # its offsets count it) but not into the AOF.
    primary, p, replica, r = synced_pair(start_node, primary_args=("--appendonly", "yes"))
    listener = Conn(replica.port)
    try:
        assert listener("SUBSCRIBE", "news") == [b"subscribe", b"news", 1]
        assert p.publish("news", "one") == 0  # no subscriber on the primary itself
        assert listener.pushed(10) == [b"message", b"news", b"one"]
        pipe = p.pipeline(transaction=True)
        pipe.set("k", "v").publish("news", "two")
        assert pipe.execute() == [True, 0]
        assert listener.pushed(10) == [b"message", b"news", b"two"]
        wait_until(lambda: in_sync(p, r), 10, "the replica to catch up")
        assert info(p)["master_repl_offset"] == info(r)["master_repl_offset"]
        assert p.execute_command("WAIT", 1, 5000) == 1
        assert r.get("k") == b"v"
    finally:
        listener.close()

    def logged() -> list[bytes]:
        with open(incr_aof(primary), "rb") as f:
            return [argv[0].upper() for argv in CommandReader(f, 0)]

    # Under appendfsync everysec a write(2) waits behind a background fsync still running (up
    # to 2 s, as in Redis), so on a busy machine the SET can reach the file after its reply.
    wait_until(lambda: b"SET" in logged(), 10, "the SET in the AOF")
    assert b"PUBLISH" not in logged()


def test_becoming_a_replica_unblocks_blocked_clients(start_node: Any) -> None:
    primary = start_repl_node(start_node)
    other = start_repl_node(start_node)
    o = other.client()
    blocked = other.client()
    result: list[Any] = []

    def blpop() -> None:
        try:
            result.append(blocked.blpop("q", 0))
        except redis.ResponseError as e:
            result.append(e)

    t = threading.Thread(target=blpop, daemon=True)
    t.start()
    wait_until(lambda: info(o, "clients")["blocked_clients"] == "1", 5, "BLPOP to block")
    follow(o, primary)
    t.join(5)
    assert len(result) == 1 and isinstance(result[0], redis.ResponseError)
    assert "UNBLOCKED force unblock" in str(result[0])
    wait_until(lambda: linked(o), 20, "the demoted node to sync")
    assert o.execute_command("REPLICAOF", "127.0.0.1", primary.port) == b"OK Already connected to specified master"


# -- the replica's behaviour ---------------------------------------------------------------


def test_a_replica_is_read_only_and_serves_reads(start_node: Any) -> None:
    primary = start_repl_node(start_node)
    p = primary.client()
    p.set("k", "v")
    p.rpush("l", "a", "b")
    replica = start_replica(start_node, primary)
    r = replica.client()
    wait_until(lambda: in_sync(p, r), 20, "the sync")
    assert r.get("k") == b"v"
    assert r.lrange("l", 0, -1) == [b"a", b"b"]
    for cmd in (("SET", "k", "x"), ("DEL", "k"), ("LPUSH", "l", "c"), ("FLUSHALL",)):
        with pytest.raises(redis.ReadOnlyError):
            r.execute_command(*cmd)
    # Queued inside MULTI, a write is refused at once and EXEC aborts (as Redis).
    conn = r.connection_pool.get_connection()
    try:
        for cmd in (("MULTI",), ("GET", "k"), ("SET", "k", "x"), ("EXEC",)):
            conn.send_command(*cmd)
        replies = []
        for _ in range(4):
            try:
                replies.append(conn.read_response())
            except redis.ResponseError as e:
                replies.append(str(e))
    finally:
        r.connection_pool.release(conn)
    assert replies[:3] == [b"OK", b"QUEUED", "You can't write against a read only replica."]
    assert replies[3] == "Transaction discarded because of previous errors."  # EXECABORT
    # A writable replica takes local writes and does not pass them on.
    r.config_set("replica-read-only", "no")
    assert r.set("local", "1")
    assert r.get("local") == b"1"
    p.set("k2", "v2")
    assert p.execute_command("WAIT", 1, 2000) == 1
    assert p.get("local") is None
    assert r.get("k2") == b"v2"
    assert info(r)["slave_read_only"] == "0"


def test_replication_counters_and_client_info_after_resetstat(start_node: Any) -> None:
    primary = start_repl_node(start_node)
    replica = start_replica(start_node, primary)
    p, r = primary.client(), replica.client()
    wait_until(lambda: in_sync(p, r), 20, "the sync")
    for c in (p, r):
        c.config_resetstat()
    p.set("n", "-1")
    p.getset("n", "-2")  # a bulk reply that starts with "-" is no error sent to the primary
    assert p.execute_command("WAIT", 1, 2000) == 1
    # The links already running count into the new statistics.
    assert int(info(p, "stats")["total_net_repl_output_bytes"]) > 0
    assert int(info(r, "stats")["total_net_repl_input_bytes"]) > 0
    assert "CRITICAL" not in replica.log()
    # A read served on the read-only replica shows in CLIENT LIST as the client's last command.
    reader = r.connection_pool.get_connection()
    try:
        reader.send_command("CLIENT", "ID")
        cid = reader.read_response()
        reader.send_command("GET", "n")
        assert reader.read_response() == b"-2"
    finally:
        r.connection_pool.release(reader)
    assert " cmd=get " in replica.client().execute_command("CLIENT", "LIST", "ID", cid).decode()


def test_expiry_on_a_replica_follows_the_primary(start_node: Any) -> None:
    primary = start_repl_node(start_node)
    p = primary.client()
    replica = start_replica(start_node, primary)
    r = replica.client()
    wait_until(lambda: linked(r), 20, "the sync")
    p.set("soon", "x", px=300)
    p.set("later", "y", ex=100)
    assert p.execute_command("WAIT", 1, 2000) == 1
    assert r.get("soon") == b"x"
    assert 0 < r.pttl("later") <= 100_000
    wait_until(lambda: p.exists("soon") == 0 and r.dbsize() == 1, 5, "the primary's DEL")
    assert int(info(p, "stats")["expired_keys"]) == 1
    assert int(info(r, "stats")["expired_keys"]) == 0


def test_writes_of_blocked_clients_reach_the_replica(start_node: Any) -> None:
    primary = start_repl_node(start_node)
    p = primary.client()
    replica = start_replica(start_node, primary)
    r = replica.client()
    wait_until(lambda: linked(r), 20, "the sync")
    results: list[Any] = []

    def pop(cmd: tuple) -> None:
        results.append(primary.client().execute_command(*cmd))

    threads = [threading.Thread(target=pop, args=(cmd,), daemon=True) for cmd in (
        ("BLPOP", "q", 0), ("BLMOVE", "q", "dst", "LEFT", "RIGHT", 0), ("BZPOPMIN", "z", 0))]
    for t in threads:
        t.start()
        time.sleep(0.1)
    wait_until(lambda: info(p, "clients")["blocked_clients"] == "3", 5, "three blocked clients")
    p.rpush("q", "a", "b", "c")
    p.zadd("z", {"m": 1, "n": 2})
    for t in threads:
        t.join(5)
    assert len(results) == 3
    assert p.execute_command("WAIT", 1, 2000) == 1
    assert r.lrange("q", 0, -1) == p.lrange("q", 0, -1) == [b"c"]
    assert r.lrange("dst", 0, -1) == [b"b"]
    assert r.zrange("z", 0, -1) == [b"n"]
    assert digest(r) == digest(p)


def test_writes_propagated_as_transactions_reach_the_replica(start_node: Any) -> None:
    """A command rewritten as several writes (SPOP with a count: one SREM per member, an
    XREADGROUP: its XCLAIMs) goes out wrapped in MULTI/EXEC, as Redis 7.0; the replica applies
    it, and the single writes of an EXEC that go out bare, to the same data."""
    primary, p, replica, r = synced_pair(start_node)
    p.sadd("s", *range(1000))
    p.sadd("t", *(f"m{i}" for i in range(20)))
    p.spop("s", 10)
    p.spop("s", 900)  # most of the set: Redis's other strategy
    p.spop("t", 3)
    p.spop("t", 1)
    p.xadd("x", {"f": "v"}, id="1-0")
    p.xadd("x", {"f": "v"}, id="2-0")
    p.xgroup_create("x", "g", id="0")
    p.xreadgroup("g", "c", {"x": ">"})
    with p.pipeline(transaction=True) as pipe:
        pipe.spop("t", 2).set("k", "v").execute()
    with p.pipeline(transaction=True) as pipe:
        pipe.set("one", "1").execute()
    assert p.execute_command("WAIT", 1, 5000) == 1
    assert r.smembers("s") == p.smembers("s") and len(r.smembers("s")) == 90
    assert r.smembers("t") == p.smembers("t") and len(r.smembers("t")) == 14
    assert r.xpending("x", "g")["pending"] == 2
    assert r.get("one") == b"1"
    assert digest(r) == digest(p)


def test_min_replicas_to_write(start_node: Any) -> None:
    primary = start_repl_node(start_node, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10")
    p = primary.client()
    with pytest.raises(redis.ResponseError, match="^NOREPLICAS Not enough good replicas to write.$"):
        p.set("k", "v")
    assert p.get("k") is None  # reads are fine
    assert info(p)["min_slaves_good_slaves"] == "0"
    replica = start_replica(start_node, primary)
    wait_until(lambda: p.set("k", "v"), 20, "writes to be accepted with a replica")
    assert info(p)["min_slaves_good_slaves"] == "1"
    replica.stop()
    wait_until(lambda: info(p)["connected_slaves"] == "0", 10, "the replica to be gone")
    with pytest.raises(redis.ResponseError, match="NOREPLICAS"):
        p.set("k", "v")
    p.config_set("min-replicas-to-write", "0")
    assert p.set("k", "v")


# -- security ------------------------------------------------------------------------------


def test_auth_is_required_and_refusals_are_reported(start_node: Any) -> None:
    primary = start_repl_node(start_node, "--requirepass", "s3cret")
    p = primary.client(password="s3cret")
    p.set("k", "v")
    replica = start_replica(start_node, primary)
    r = replica.client()
    wait_until(lambda: "NOAUTH" in info(r).get("master_link_last_error", ""), 10, "NOAUTH")
    assert info(r)["master_link_status"] == "down"
    assert "MASTER aborted replication with an error: NOAUTH Authentication required." in replica.log()
    r.config_set("masterauth", "wrong")
    wait_until(lambda: "WRONGPASS" in info(r).get("master_link_last_error", ""), 10, "WRONGPASS")
    assert "Unable to AUTH to MASTER: -WRONGPASS" in replica.log()
    assert "refused: WRONGPASS" in primary.log()
    assert info(p)["connected_slaves"] == "0"
    r.config_set("masterauth", "s3cret")
    wait_until(lambda: in_sync(p, r), 20, "the sync with the right secret")
    assert r.get("k") == b"v"
    assert "master_link_last_error" not in info(r)


def _make_certs(directory: str) -> dict[str, str]:
    """A CA and a certificate for 127.0.0.1 signed by it (the openssl CLI, no network)."""
    paths = {name: os.path.join(directory, name) for name in
             ("ca.key", "ca.crt", "node.key", "node.csr", "node.crt", "ext.cnf")}
    with open(paths["ext.cnf"], "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", paths["ca.key"], "-out",
        paths["ca.crt"], "-days", "2", "-subj", "/CN=slotkv-test-ca")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", paths["node.key"], "-out",
        paths["node.csr"], "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", paths["node.csr"], "-CA", paths["ca.crt"], "-CAkey",
        paths["ca.key"], "-CAcreateserial", "-out", paths["node.crt"], "-days", "2",
        "-extfile", paths["ext.cnf"])
    return paths


def test_tls_replication(start_node: Any, tmp_path: Any) -> None:
    certs = _make_certs(str(tmp_path))
    tls = ("--tls-replication", "yes", "--tls-cert-file", certs["node.crt"],
           "--tls-key-file", certs["node.key"], "--tls-ca-cert-file", certs["ca.crt"])
    primary = start_repl_node(start_node, *tls)
    assert "Replication listening on" in primary.log() and "(TLS)" in primary.log()
    p = primary.client()
    fill(p, 500)
    replica = start_replica(start_node, primary, *tls)
    r = replica.client()
    wait_until(lambda: in_sync(p, r), 20, "the sync over TLS")
    p.set("over", "tls")
    assert p.execute_command("WAIT", 1, 2000) == 1
    assert r.get("over") == b"tls"
    assert digest(r) == digest(p)
    # A replica that does not speak TLS gets nowhere.
    plain = start_replica(start_node, primary)
    c = plain.client()
    wait_until(lambda: info(c).get("master_link_last_error"), 10, "the plaintext replica's error")
    assert info(c)["master_link_status"] == "down"
    assert info(p)["connected_slaves"] == "1"


# -- INFO and ROLE against a real redis-server pair ----------------------------------------


def _keys(fields: dict[str, str]) -> list[str]:
    return [k for k in fields if k != "master_link_last_error"]


def test_info_and_role_shapes_match_a_redis_pair(start_node: Any, start_oracle: Any) -> None:
    rp = start_oracle()
    rr = start_oracle("--replicaof", "127.0.0.1", str(rp.port))
    rpc, rrc = rp.client(), rr.client()
    rpc.set("k", "v")
    wait_until(lambda: linked(rrc) and info(rpc)["slave0"].find("online") > 0, 30,
               "the redis pair")
    primary = start_repl_node(start_node)
    replica = start_replica(start_node, primary)
    p, r = primary.client(), replica.client()
    p.set("k", "v")
    wait_until(lambda: in_sync(p, r) and "online" in info(p).get("slave0", ""), 20, "the slotkv pair")
    assert _keys(info(p)) == _keys(info(rpc))
    assert _keys(info(r)) == _keys(info(rrc))
    for mine, theirs in ((info(p), info(rpc)), (info(r), info(rrc))):
        assert mine["role"] == theirs["role"]
        assert mine["master_failover_state"] == theirs["master_failover_state"]
        assert len(mine["master_replid"]) == len(theirs["master_replid"]) == 40
    slave0 = dict(kv.split("=") for kv in info(p)["slave0"].split(","))
    theirs0 = dict(kv.split("=") for kv in info(rpc)["slave0"].split(","))
    assert list(slave0) == list(theirs0)
    assert slave0["port"] == str(replica.port) and slave0["state"] == "online"
    # ROLE: the same shape, element by element.
    def shape(v: Any) -> Any:
        return [shape(x) for x in v] if isinstance(v, list) else type(v).__name__
    assert shape(p.execute_command("ROLE")) == shape(rpc.execute_command("ROLE"))
    assert shape(r.execute_command("ROLE")) == shape(rrc.execute_command("ROLE"))
    assert r.execute_command("ROLE")[:2] == [b"slave", b"127.0.0.1"]
    assert r.execute_command("ROLE")[3] == rrc.execute_command("ROLE")[3] == b"connected"
    # CONFIG GET replicaof as Redis prints it.
    assert r.config_get("replicaof")["replicaof"] == f"127.0.0.1 {primary.port}"
    assert rrc.config_get("replicaof")["replicaof"] == f"127.0.0.1 {rp.port}"
    # The replica's link down: the same extra fields Redis shows.
    primary.stop()
    wait_until(lambda: info(r)["master_link_status"] == "down", 10, "the link to go down")
    rp.stop()
    wait_until(lambda: info(rrc)["master_link_status"] == "down", 10, "redis's link to go down")
    assert _keys(info(r)) == _keys(info(rrc))


def test_replicaof_survives_config_rewrite(start_node: Any, tmp_path: Any) -> None:
    primary = start_repl_node(start_node)
    conf = tmp_path / "replica.conf"
    conf.write_text(f"master-replication-port {primary.repl_port}\n")
    node = start_node(str(conf), "--replication-port", str(free_port()))
    c = node.client()
    c.execute_command("REPLICAOF", "127.0.0.1", primary.port)
    c.config_rewrite()
    assert f"replicaof 127.0.0.1 {primary.port}\n" in conf.read_text()
    node.stop()
    again = start_node(str(conf), "--replication-port", str(free_port()))
    wait_until(lambda: linked(again.client()), 20, "the restarted replica to follow its primary")
    again.client().execute_command("REPLICAOF", "NO", "ONE")
    again.client().config_rewrite()
    assert "replicaof" not in conf.read_text()


def test_replicaof_argument_errors_match_redis(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    for args in (("REPLICAOF", "localhost", "abc"), ("REPLICAOF", "localhost", "70000"),
                 ("REPLICAOF", "localhost", "-1"), ("SLAVEOF", "x", "y"), ("REPLICAOF", "no"),
                 ("REPLICAOF", "NO", "ONE"), ("ROLE",)):
        both(*args)
    assert both("CONFIG", "SET", "replicaof", "127.0.0.1 1")[0] == "error"


def test_replica_offsets_before_the_first_sync_match_redis(start_node: Any, start_oracle: Any) -> None:
    """A primary made a replica at run time shows its own offset (0 here) until it syncs; one
    started as a replica of nobody reachable shows 1, as Redis."""
    nowhere = str(free_port())  # nothing listens: the link stays down
    offsets = ("slave_read_repl_offset", "slave_repl_offset")
    mine, theirs = start_repl_node(start_node).client(), start_oracle().client()
    for c in (mine, theirs):
        c.execute_command("REPLICAOF", "127.0.0.1", nowhere)
    assert [info(mine)[k] for k in offsets] == [info(theirs)[k] for k in offsets] == ["0", "0"]
    mine = start_repl_node(start_node, "--replicaof", "127.0.0.1", nowhere).client()
    theirs = start_oracle("--replicaof", "127.0.0.1", nowhere).client()
    assert [info(mine)[k] for k in offsets] == [info(theirs)[k] for k in offsets] == ["1", "1"]


def _raw_pipeline(client: redis.Redis, *commands: tuple) -> list[Any]:
    """Send `commands` in one write and read every reply; an error reply as its text."""
    conn = client.connection_pool.get_connection()
    try:
        conn.send_packed_command(conn.pack_commands(commands))
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(conn.read_response())
            except redis.ResponseError as e:
                replies.append(("error", str(e)))
        return replies
    finally:
        client.connection_pool.release(conn)


STALE_CASES = [
    ("GET", "k"), ("SET", "k", "x"), ("EXISTS", "k"), ("PING",), ("ECHO", "hi"), ("DBSIZE",),
    ("TYPE", "k"), ("CONFIG", "GET", "replica-serve-stale-data"), ("SELECT", "1"), ("CLIENT", "GETNAME"),
    ("COMMAND", "GETKEYS", "GET", "k"), ("CLIENT", "SETNAME", "x"), ("WAIT", "0", "0"),
    ("MULTI",), ("GET", "k"), ("EXEC",),
    ("MULTI",), ("CONFIG", "GET", "replica-serve-stale-data"), ("EXEC",),
    ("CONFIG", "SET", "replica-serve-stale-data", "yes"), ("GET", "k"),
    ("CONFIG", "SET", "slave-serve-stale-data", "no"), ("GET", "k"),
]


def test_replica_serve_stale_data_no_answers_masterdown_as_redis(start_node: Any,
                                                                  start_oracle: Any) -> None:
    """With replica-serve-stale-data no, a replica whose primary is unreachable answers
    -MASTERDOWN to every command not flagged `stale`, after the READONLY check; inside MULTI
    the refusal aborts the EXEC. Promoted, it serves everything again."""
    nowhere = str(free_port())  # nothing listens: the link stays down
    mine, theirs = start_repl_node(start_node).client(), start_oracle().client()
    both = Differential(mine, theirs)
    both("SET", "k", "v")
    both("CONFIG", "SET", "replica-serve-stale-data", "no")
    both("GET", "k")  # a primary: the setting changes nothing
    both("REPLICAOF", "127.0.0.1", nowhere)
    assert reply_of(mine, "GET", "k") == (
        "error", "Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
    for case in STALE_CASES:
        both(*case)
    both("REPLICAOF", "NO", "ONE")
    both("GET", "k")


def test_a_replica_refuses_stale_reads_once_its_primary_is_gone(start_node: Any) -> None:
    """The MASTERDOWN gate follows the link: reads are served while it is up (pipelined
    ones too) and refused once the primary is gone."""
    primary, p, replica, r = synced_pair(start_node, keys=10)
    r.config_set("replica-serve-stale-data", "no")
    gets = [("GET", "k:0"), ("GET", "k:8"), ("GET", "nosuch")]
    assert _raw_pipeline(r, *gets) == [b"value-0", b"8", None]
    primary.stop()
    wait_until(lambda: not linked(r), 30, "the link to go down")
    down = ("error", "Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
    replies = _raw_pipeline(r, *gets, ("PING",), ("INFO", "server"))
    assert replies[:4] == [down] * 4
    assert b"redis_version:" in replies[4]  # INFO is flagged stale: still served
    r.config_set("replica-serve-stale-data", "yes")
    assert _raw_pipeline(r, *gets) == [b"value-0", b"8", None]


def _log_line(proc: Any, text: str) -> str:
    return next(line for line in proc.log().splitlines() if text in line)


def test_log_lines_carry_the_replica_role_letter(start_node: Any, start_oracle: Any) -> None:
    """Redis's log lines say S while the server is a replica, M again once promoted."""
    rp = start_oracle()
    rr = start_oracle("--replicaof", "127.0.0.1", str(rp.port))
    wait_until(lambda: linked(rr.client()), 30, "the redis pair")
    primary, p, replica, r = synced_pair(start_node)
    for proc in (rr, replica):
        assert f"{proc.pid}:S " in _log_line(proc, "Full resync from master")
        proc.client().execute_command("REPLICAOF", "NO", "ONE")
        wait_until(lambda: "MASTER MODE enabled" in proc.log(), 10, "the promotion's log line")
        assert f"{proc.pid}:M " in _log_line(proc, "MASTER MODE enabled")


def test_monitor_on_a_replica_shows_the_primarys_address(start_node: Any, start_oracle: Any) -> None:
    """MONITOR on a replica shows the commands of its primary's stream from the primary's
    address (Redis: the master link's peer), not a placeholder."""
    rp = start_oracle()
    rr = start_oracle("--replicaof", "127.0.0.1", str(rp.port))
    wait_until(lambda: linked(rr.client()), 30, "the redis pair")
    primary, p, replica, r = synced_pair(start_node)
    for prim, repl in ((rp, rr), (primary, replica)):
        monitor = repl.client().monitor()
        with monitor:
            prim.client().set("mon", "1")
            while (entry := monitor.next_command())["command"] != "SET mon 1":
                pass
        assert entry["client_address"] == "127.0.0.1" and entry["client_port"] == str(prim.port)
