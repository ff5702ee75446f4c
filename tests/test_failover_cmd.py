"""FAILOVER: a coordinated handover from a primary to one of its replicas, against Redis 7.

Each scenario runs on a slotkv primary with two replicas and on a redis-server trio built the
same way, and compares what clients see: the replies, the roles, `master_failover_state`,
paused writes and the data on both sides of the handover.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis

from conftest import ServerProcess, reply_of, wait_until
from replication_helpers import info, start_repl_node, start_replica


class Trio:
    """A primary and two replicas of one implementation."""

    def __init__(self, primary: ServerProcess, a: ServerProcess, b: ServerProcess) -> None:
        self.primary, self.a, self.b = primary, a, b
        self.p, self.ra, self.rb = primary.client(), a.client(), b.client()

    def synced(self) -> bool:
        fields = info(self.p)
        online = [v for k, v in fields.items() if k.startswith("slave") and "state=online" in v]
        offset = fields["master_repl_offset"]
        return len(online) == 2 and all(f"offset={offset}," in v for v in online)


def slotkv_trio(start_node: Callable[..., ServerProcess]) -> Trio:
    primary = start_repl_node(start_node)
    return Trio(primary, start_replica(start_node, primary), start_replica(start_node, primary))


def redis_trio(start_oracle: Callable[..., ServerProcess]) -> Trio:
    primary = start_oracle()
    follow = ("--replicaof", "127.0.0.1", str(primary.port))
    return Trio(primary, start_oracle(*follow), start_oracle(*follow))


@pytest.fixture
def trios(start_node: Any, start_oracle: Any) -> Iterator[list[Trio]]:
    trios = [slotkv_trio(start_node), redis_trio(start_oracle)]
    for t in trios:
        t.p.set("before", "1")
        wait_until(t.synced, 30, "both replicas online and synced")
    yield trios


@contextmanager
def stopped(proc: ServerProcess) -> Iterator[None]:
    """The process frozen (SIGSTOP): connected, but it neither reads nor acks."""
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(proc.pid, signal.SIGCONT)


def state(client: redis.Redis) -> str:
    return info(client)["master_failover_state"]


def role(client: redis.Redis) -> bytes:
    return client.execute_command("ROLE")[0]


def test_refusals_match_redis(start_node: Any, start_oracle: Any) -> None:
    lone = [start_repl_node(start_node).client(), start_oracle().client()]
    calls = [("FAILOVER",), ("FAILOVER", "ABORT"), ("FAILOVER", "TO"), ("FAILOVER", "FOO"),
             ("FAILOVER", "TIMEOUT", "0"), ("FAILOVER", "TIMEOUT", "-5"),
             ("FAILOVER", "TIMEOUT", "x"), ("FAILOVER", "TO", "h", "x"),
             ("FAILOVER", "TIMEOUT", "10", "TIMEOUT", "5"), ("FAILOVER", "ABORT", "x"),
             ("FAILOVER", "FORCE"), ("FAILOVER", "TO", "127.0.0.1", "1", "FORCE"),
             ("FAILOVER", "FORCE", "TIMEOUT", "10"), ("FAILOVER", "FORCE", "FORCE")]
    for call in calls:
        mine, theirs = (reply_of(c, *call) for c in lone)
        assert mine == theirs, call


def test_refusals_with_replicas_match_redis(trios: list[Trio]) -> None:
    def replies(t: Trio) -> list[Any]:
        a_port = t.a.port
        return [
            reply_of(t.p, "FAILOVER", "TO", "127.0.0.1", "1"),           # not a replica
            reply_of(t.p, "FAILOVER", "TO", "10.9.9.9", a_port),          # not a replica
            reply_of(t.p, "FAILOVER", "TO", "127.0.0.1", a_port, "FORCE"),  # no timeout
            reply_of(t.p, "FAILOVER", "TIMEOUT", "100", "FORCE"),        # no target
            reply_of(t.ra, "FAILOVER"),                                   # a replica
            reply_of(t.ra, "FAILOVER", "ABORT"),
            state(t.p),
        ]
    mine, theirs = (replies(t) for t in trios)
    assert mine == theirs


def test_failover_to_a_replica_swaps_roles_and_keeps_every_write(trios: list[Trio]) -> None:
    outcomes = []
    for t in trios:
        t.p.mset({f"k{i}": i for i in range(500)})
        assert t.p.execute_command("FAILOVER", "TO", "127.0.0.1", t.a.port) == b"OK"
        wait_until(lambda: role(t.ra) == b"master" and state(t.p) == "no-failover", 20,
                   "the handover")
        wait_until(lambda: role(t.p) == b"slave"
                   and info(t.p).get("master_link_status") == "up", 20, "the old primary to follow")
        old = t.p.execute_command("ROLE")
        t.ra.set("after", "2")
        wait_until(lambda: t.p.get("after") == b"2", 20, "the new primary's write to reach the old")
        outcomes.append({
            "old role": old[0], "old follows": int(old[2]) == t.a.port,
            "new role": role(t.ra),
            "data": (t.ra.mget([f"k{i}" for i in range(500)]), t.ra.get("before")),
            "old primary refuses writes": reply_of(t.p, "SET", "x", "1"),
            "states": (state(t.p), state(t.ra)),
            "again": reply_of(t.p, "FAILOVER"),
        })
    assert outcomes[0] == outcomes[1]
    assert outcomes[0]["data"][0] == [str(i).encode() for i in range(500)]


def test_failover_to_any_replica(trios: list[Trio]) -> None:
    for t in trios:
        assert t.p.execute_command("FAILOVER") == b"OK"
        wait_until(lambda: role(t.p) == b"slave" and state(t.p) == "no-failover", 20,
                   "the handover")
        port = int(t.p.execute_command("ROLE")[2])
        new = {t.a.port: t.ra, t.b.port: t.rb}[port]
        assert role(new) == b"master"


def test_timeout_aborts_and_paused_writes_then_run(trios: list[Trio]) -> None:
    outcomes = []
    for t in trios:
        with stopped(t.a):
            t.p.set("lagging", "1")  # the frozen replica never acks this
            assert t.p.execute_command("FAILOVER", "TO", "127.0.0.1", t.a.port,
                                       "TIMEOUT", "700") == b"OK"
            waiting = state(t.p)
            # A write waits (paused), a read does not; CLIENT UNPAUSE leaves the failover's.
            writer = t.primary.client()
            result: dict[str, Any] = {}
            thread = threading.Thread(target=lambda: result.update(set=reply_of(writer, "SET", "w", "1")))
            thread.start()
            thread.join(0.3)
            paused = thread.is_alive()
            read = t.p.get("before")
            unpause = t.p.execute_command("CLIENT", "UNPAUSE")
            thread.join(0.2)
            still_paused = thread.is_alive()
            replicaof = reply_of(t.p, "REPLICAOF", "127.0.0.1", "1")
            again = reply_of(t.p, "FAILOVER")
            thread.join(10)
            outcomes.append({
                "waiting": waiting, "paused": paused, "read": read, "unpause": unpause,
                "still paused": still_paused, "replicaof": replicaof, "again": again,
                "write": result.get("set"), "after": state(t.p), "role": role(t.p),
                "value": t.p.get("w"),
            })
    assert outcomes[0] == outcomes[1]
    assert outcomes[0]["paused"] and outcomes[0]["still paused"]
    assert outcomes[0]["waiting"] == "waiting-for-sync" and outcomes[0]["after"] == "no-failover"


def test_abort_while_waiting(trios: list[Trio]) -> None:
    outcomes = []
    for t in trios:
        with stopped(t.a):
            t.p.set("lagging", "1")
            t.p.execute_command("FAILOVER", "TO", "127.0.0.1", t.a.port)
            waiting = state(t.p)
            aborted = t.p.execute_command("FAILOVER", "ABORT")
            outcomes.append((waiting, aborted, state(t.p), role(t.p), reply_of(t.p, "SET", "w", "1"),
                             reply_of(t.p, "FAILOVER", "ABORT")))
    assert outcomes[0] == outcomes[1]


def test_forced_handover_to_a_silent_target_can_be_aborted(trios: list[Trio]) -> None:
    outcomes = []
    for t in trios:
        with stopped(t.a):
            t.p.set("lagging", "1")
            t.p.execute_command("FAILOVER", "TO", "127.0.0.1", t.a.port, "TIMEOUT", "300",
                                "FORCE")
            # Past the timeout the primary hands over anyway: it follows the (frozen) target.
            wait_until(lambda: state(t.p) == "failover-in-progress", 10, "the forced handover")
            in_progress = role(t.p)
            aborted = t.p.execute_command("FAILOVER", "ABORT")
            outcomes.append((in_progress, aborted, state(t.p), role(t.p),
                             reply_of(t.p, "SET", "w", "1")))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == b"slave" and outcomes[0][3] == b"master"


def test_a_write_paused_by_the_handover_is_refused_after_it(trios: list[Trio]) -> None:
    outcomes = []
    for t in trios:
        writer = t.primary.client()
        result: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: result.update(set=reply_of(writer, "SET", "w", "1")))
        with stopped(t.a):
            t.p.set("lagging", "1")
            t.p.execute_command("FAILOVER", "TO", "127.0.0.1", t.a.port)
            thread.start()
            thread.join(0.3)
            paused = thread.is_alive()
        # The target catches up, takes over; the parked write then meets a replica.
        thread.join(20)
        wait_until(lambda: state(t.p) == "no-failover", 20, "the handover")
        outcomes.append((paused, result.get("set"), role(t.p), role(t.ra), t.ra.get("lagging"),
                         t.ra.get("w")))
    assert outcomes[0] == outcomes[1]
    assert "read only replica" in outcomes[0][1][1]
