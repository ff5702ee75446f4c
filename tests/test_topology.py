"""node/topology.py: the admin changes as pure functions, with Redis's errors, and the
topology's round trips through JSON (the coordinator's file) and protobuf (the wire)."""

from __future__ import annotations

import pytest

from node.slots import SLOTS
from node.topology import Topology, TopologyError
from replication.topology_proto import from_proto, to_proto

A, B, C, D = ("a" * 40, "b" * 40, "c" * 40, "d" * 40)


def cluster() -> Topology:
    """A and B primaries with half the slots each, C replicating A, D alone."""
    t = Topology()
    for i, n in enumerate((A, B, C, D)):
        t.add_node(n, "127.0.0.1", 7001 + i)
    t.add_slots(A, list(range(0, 8192)))
    t.add_slots(B, list(range(8192, SLOTS)))
    t.replicate(C, A)
    return t


def test_registration_and_epochs() -> None:
    t = Topology()
    assert t.add_node(A, "h", 1) and t.epoch == 1
    assert not t.add_node(A, "h", 1) and t.epoch == 1  # nothing changed: no new epoch
    assert t.add_node(A, "h2", 1) and t.epoch == 2
    assert t.nodes[A].bus_port == 10001
    assert t.is_primary(A) and t.primary_of(A) is None
    assert not t.state_ok()  # no slots yet


def test_add_and_del_slots_errors_in_redis_order() -> None:
    t = cluster()
    with pytest.raises(TopologyError, match="^ERR Slot 5 is already busy$"):
        t.add_slots(D, [5])
    t.del_slots(A, [5, 6])
    with pytest.raises(TopologyError, match="^ERR Slot 5 is already unassigned$"):
        t.del_slots(A, [5])
    with pytest.raises(TopologyError, match="^ERR Slot 5 specified multiple times$"):
        t.add_slots(D, [5, 5])
    # Busy is reported before duplicates when the slot is both, as Redis checks each in turn.
    with pytest.raises(TopologyError, match="busy"):
        t.add_slots(D, [7, 7])
    epoch = t.epoch
    t.add_slots(D, [5, 6])
    assert t.epoch == epoch + 1 and t.shard_of(D).config_epoch == t.epoch
    assert t.slots_by_shard()[t.shard_of(D).id] == [(5, 6)]


def test_state_and_size() -> None:
    t = cluster()
    assert t.state_ok() and t.size() == 2 and t.assigned() == SLOTS
    t.set_failed(B, True)
    assert not t.state_ok()
    t.set_failed(B, False)
    assert t.state_ok()


def test_setslot_rules() -> None:
    t = cluster()
    with pytest.raises(TopologyError, match="^ERR Please use SETSLOT only with masters.$"):
        t.set_slot(C, 1, "stable", None)
    with pytest.raises(TopologyError, match="^ERR I'm not the owner of hash slot 9000$"):
        t.set_slot(A, 9000, "migrating", B)
    with pytest.raises(TopologyError, match="^ERR I don't know about node x$"):
        t.set_slot(A, 1, "migrating", "x")
    with pytest.raises(TopologyError, match="^ERR Target node is not a master$"):
        t.set_slot(A, 1, "migrating", C)
    with pytest.raises(TopologyError, match="^ERR I'm already the owner of hash slot 1$"):
        t.set_slot(A, 1, "importing", B)
    with pytest.raises(TopologyError, match="^ERR Unknown node x$"):
        t.set_slot(A, 1, "node", "x")
    t.set_slot(B, 1, "importing", A)
    t.set_slot(A, 1, "migrating", B)
    assert t.importing == {(B, 1): A} and t.migrating == {(A, 1): B}
    with pytest.raises(TopologyError, match="while I still hold keys"):
        t.set_slot(A, 1, "node", B, keys_in_slot=3)
    t.set_slot(B, 1, "node", B)  # the target takes it: its import is over
    assert t.slots[1] == t.shard_of(B).id and t.importing == {}
    t.set_slot(A, 1, "node", B)  # the source hears of it, with no keys left: migration over
    assert t.migrating == {}
    t.set_slot(A, 2, "migrating", B)
    t.set_slot(A, 2, "stable", None)
    assert t.migrating == {}


def test_a_primary_that_gives_its_last_slot_away_becomes_a_replica() -> None:
    t = Topology()
    for i, n in enumerate((A, B)):
        t.add_node(n, "h", 7001 + i)
    t.add_slots(A, [0, 1])
    t.add_slots(B, list(range(2, SLOTS)))
    t.set_slot(A, 0, "node", B)
    assert t.is_primary(A)
    t.set_slot(A, 1, "node", B)
    assert not t.is_primary(A) and t.primary_of(A) == B
    # ...unless cluster-allow-replica-migration is off.
    t = Topology()
    for i, n in enumerate((A, B)):
        t.add_node(n, "h", 7001 + i)
    t.add_slots(A, [0])
    t.set_slot(A, 0, "node", B, replica_migration=False)
    assert t.is_primary(A)


def test_replicate_rules() -> None:
    t = cluster()
    with pytest.raises(TopologyError, match="^ERR Unknown node x$"):
        t.replicate(D, "x")
    with pytest.raises(TopologyError, match="^ERR Can't replicate myself$"):
        t.replicate(D, D)
    with pytest.raises(TopologyError, match="^ERR I can only replicate a master, not a replica.$"):
        t.replicate(D, C)
    with pytest.raises(TopologyError, match="must be empty and without assigned slots"):
        t.replicate(B, A)
    t.replicate(D, B)
    assert t.shard_of(D).id == t.shard_of(B).id and t.primary_of(D) == B
    t.replicate(D, A)  # a replica may switch primaries
    assert t.primary_of(D) == A and t.shard_of(B).replicas == []
    epoch = t.epoch
    t.replicate(D, A)  # already so: nothing changes
    assert t.epoch == epoch


def test_promote_keeps_the_old_primary_as_a_replica() -> None:
    t = cluster()
    slots_before = t.slots_by_shard()
    t.set_slot(A, 3, "migrating", B)
    t.promote(C)
    assert t.is_primary(C) and t.primary_of(A) == C
    assert t.slots_by_shard() == slots_before  # the shard keeps its slots
    assert t.shard_of(C).config_epoch == t.epoch
    assert t.migrating == {}  # the old primary's states went with it
    with pytest.raises(TopologyError):
        t.promote(C)


def test_reset_and_remove() -> None:
    t = cluster()
    t.reset(A, "e" * 40)
    assert "e" * 40 in t.nodes and A not in t.nodes
    assert t.is_primary(C)  # A's replica took over its (now empty) shard
    assert t.shard_slots(t.shard_of(C).id) == []
    t.remove_node(B)
    assert B not in t.nodes and t.assigned() == 0
    t.validate()


def test_round_trips() -> None:
    t = cluster()
    t.set_slot(A, 10, "migrating", B)
    t.set_slot(B, 10, "importing", A)
    t.set_failed(D, True, 123)
    assert Topology.from_dict(t.to_dict()).to_dict() == t.to_dict()
    assert from_proto(to_proto(t)).to_dict() == t.to_dict()
    bad = t.to_dict()
    bad["shards"][0]["primary"] = "z" * 40
    with pytest.raises(ValueError):
        Topology.from_dict(bad)


def test_forget_errors_in_redis_order() -> None:
    t = cluster()
    with pytest.raises(TopologyError, match=f"^ERR Unknown node {'e' * 40}$"):
        t.forget(A, "e" * 40)
    with pytest.raises(TopologyError, match=r"^ERR I tried hard but I can't forget myself\.\.\.$"):
        t.forget(A, A)
    with pytest.raises(TopologyError, match="^ERR Can't forget my master!$"):
        t.forget(C, A)
    t.forget(A, D)
    assert D not in t.nodes
    t.forget(B, C)  # a primary may forget another shard's replica
    assert C not in t.nodes and t.shard_of(A).replicas == []


def test_forget_refuses_a_live_primary_that_serves_slots() -> None:
    # FORGET is cluster-wide here (one topology), unlike Redis's node-local forget: dropping
    # A would take slots 0-8191 from every node while A kept running with their keys.
    t = cluster()
    with pytest.raises(TopologyError, match="^ERR Can't forget a primary that serves slots"):
        t.forget(B, A)
    assert A in t.nodes and t.shard_slots(t.shard_of(A).id)
    t.set_failed(A, True, 1)  # once failed, forgetting it promotes its replica
    t.forget(B, A)
    assert A not in t.nodes and t.is_primary(C) and len(t.shard_slots(t.shard_of(C).id)) == 8192
    t.del_slots(B, list(range(8192, SLOTS)))  # a primary with no slots left may go
    t.forget(C, B)
    assert B not in t.nodes
