"""The cluster topology: nodes, shards, the shard that serves each slot, and the config epoch.

One `Topology` value describes a whole cluster. The coordinator keeps the authoritative copy
and pushes every new version to the nodes (and routers), which serve on the last one they
received; a node without a coordinator is its own authority over a one-node cluster. Either
way the changes Redis Cluster's admin commands make (`CLUSTER ADDSLOTS`, `SETSLOT`,
`REPLICATE`, `FAILOVER`, ...) are the methods below, with Redis's error messages, so whoever
holds the topology applies them the same way.

The model differs from Redis's gossip in one way that matters: a shard (a primary and its
replicas) owns slots, not a node, so a failover moves one field (`Shard.primary`) instead of
reassigning slots. Every successful change is a new `epoch` (Redis's currentEpoch); a shard
whose slots or primary changed takes that epoch as its `config_epoch`.

Migration states are per node, as in Redis: `migrating[(node, slot)] = target` means `node`
answers ASK for the slot's missing keys; `importing[(node, slot)] = source` means `node`
serves the slot's keys to ASKING clients.

Node-local facts (keys held in a slot, keys at all) are checked by the node before it asks for
a change; the checks here are those that need only the topology.
"""

from __future__ import annotations

import dataclasses
import os
from itertools import compress, count, islice
from operator import ne
from dataclasses import dataclass, field
from typing import Any, Iterable

from node.slots import SLOTS, slot_ranges


class TopologyError(Exception):
    """A change Redis would refuse; the message is Redis's error reply text."""


def new_id() -> str:
    """A fresh node or shard id: 40 hex characters, as Redis's node names."""
    return os.urandom(20).hex()


@dataclass
class NodeInfo:
    id: str
    host: str = ""
    port: int = 0
    bus_port: int = 0
    hostname: str = ""
    shard: str = ""
    failed: bool = False  # the coordinator missed its heartbeats for cluster-node-timeout
    fail_time: int = 0  # unix ms when it was marked failed

    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class Shard:
    id: str
    primary: str
    replicas: list[str] = field(default_factory=list)
    config_epoch: int = 0

    def members(self) -> list[str]:
        return [self.primary, *self.replicas]


@dataclass
class Topology:
    epoch: int = 0
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    shards: dict[str, Shard] = field(default_factory=dict)
    slots: list[str | None] = field(default_factory=lambda: [None] * SLOTS)
    migrating: dict[tuple[str, int], str] = field(default_factory=dict)
    importing: dict[tuple[str, int], str] = field(default_factory=dict)

    # -- reading -----------------------------------------------------------------------------

    def copy(self) -> "Topology":
        """A copy whose changes leave this one alone (faster than deepcopy: every part is
        a flat record)."""
        return Topology(
            epoch=self.epoch,
            nodes={k: dataclasses.replace(n) for k, n in self.nodes.items()},
            shards={k: dataclasses.replace(s, replicas=list(s.replicas))
                    for k, s in self.shards.items()},
            slots=list(self.slots),
            migrating=dict(self.migrating),
            importing=dict(self.importing),
        )

    def node(self, node_id: str) -> NodeInfo | None:
        return self.nodes.get(node_id)

    def shard_of(self, node_id: str) -> Shard:
        return self.shards[self.nodes[node_id].shard]

    def is_primary(self, node_id: str) -> bool:
        node = self.nodes.get(node_id)
        return node is not None and self.shards[node.shard].primary == node_id

    def primary_of(self, node_id: str) -> str | None:
        """The primary a replica follows; None for a primary."""
        shard = self.shard_of(node_id)
        return None if shard.primary == node_id else shard.primary

    def shard_slots(self, shard_id: str) -> list[int]:
        return [s for s, owner in enumerate(self.slots) if owner == shard_id]

    def slot_runs(self) -> list[tuple[int, int, str]]:
        """(first, last, shard) for each run of assigned slots served by one shard, in slot
        order (the ranges of CLUSTER SLOTS)."""
        slots = self.slots
        # Where the owner changes, found in C (this runs on every topology a node installs).
        starts = [0, *compress(count(1), map(ne, slots, islice(slots, 1, None))), SLOTS]
        return [(first, nxt - 1, slots[first]) for first, nxt in zip(starts, starts[1:])
                if slots[first] is not None]

    def slots_by_shard(self) -> dict[str, list[tuple[int, int]]]:
        """Each shard's slots as (first, last) ranges, in slot order."""
        out: dict[str, list[tuple[int, int]]] = {}
        for first, last, owner in self.slot_runs():
            out.setdefault(owner, []).append((first, last))
        return out

    def assigned(self) -> int:
        return SLOTS - self.slots.count(None)

    def state_ok(self) -> bool:
        """cluster_state:ok: every slot served by a shard whose primary is not failed (with
        cluster-require-full-coverage, Redis's default and the only mode here)."""
        if None in self.slots:
            return False
        return not any(self.nodes[self.shards[s].primary].failed
                       for s in set(self.slots) if s is not None)

    def size(self) -> int:
        """cluster_size: shards serving at least one slot."""
        return len({s for s in self.slots if s is not None})

    # -- membership ---------------------------------------------------------------------------

    def add_node(self, node_id: str, host: str, port: int, bus_port: int = 0,
                 hostname: str = "") -> bool:
        """Register a node (a primary of a new, empty shard), or update its address.

        Returns whether anything changed (a change is a new epoch)."""
        node = self.nodes.get(node_id)
        if node is None:
            shard = Shard(new_id(), node_id)
            self.shards[shard.id] = shard
            self.nodes[node_id] = NodeInfo(node_id, host, port, bus_port or port + 10000,
                                           hostname, shard.id)
            self.epoch += 1
            return True
        bus_port = bus_port or port + 10000
        if (node.host, node.port, node.bus_port, node.hostname) == (host, port, bus_port, hostname):
            return False
        node.host, node.port, node.bus_port, node.hostname = host, port, bus_port, hostname
        self.epoch += 1
        return True

    def forget(self, sender: str, node_id: str) -> None:
        """CLUSTER FORGET <node_id> received by `sender`, with Redis's checks in its order."""
        node = self._known(node_id, "ERR Unknown node {}")
        if node == sender:
            raise TopologyError("ERR I tried hard but I can't forget myself...")
        if not self.is_primary(sender) and self.shard_of(sender).primary == node:
            raise TopologyError("ERR Can't forget my master!")
        if (self.is_primary(node) and not self.nodes[node].failed
                and self.shard_slots(self.nodes[node].shard)):
            # Redis forgets a node on the receiving node only, for a minute; here a FORGET
            # changes the one topology every node follows, so forgetting a live primary
            # would take its slots, and their keys, away from the whole cluster.
            raise TopologyError("ERR Can't forget a primary that serves slots: move its "
                                "slots away first")
        self.remove_node(node)

    def remove_node(self, node_id: str) -> None:
        """Drop a node altogether (CLUSTER FORGET, RESET HARD's old id)."""
        node = self.nodes.pop(node_id)
        shard = self.shards[node.shard]
        if shard.primary == node_id:
            if shard.replicas:
                shard.primary = shard.replicas.pop(0)
                shard.config_epoch = self.epoch + 1
            else:
                self._drop_shard(shard.id)
        else:
            shard.replicas.remove(node_id)
        self._drop_states(node_id)
        for key, other in list(self.migrating.items()):
            if other == node_id:
                del self.migrating[key]
        for key, other in list(self.importing.items()):
            if other == node_id:
                del self.importing[key]
        self.epoch += 1

    def set_failed(self, node_id: str, failed: bool, now_ms: int = 0) -> bool:
        node = self.nodes[node_id]
        if node.failed == failed:
            return False
        node.failed = failed
        node.fail_time = now_ms if failed else 0
        self.epoch += 1
        return True

    # -- the admin commands ---------------------------------------------------------------------

    def check_assignment(self, slot: int, seen: set[int], delete: bool) -> None:
        """Redis's checkSlotAssignmentsOrReply, for one slot of ADDSLOTS/DELSLOTS (in the
        order given, with `seen` the slots before it)."""
        if delete and self.slots[slot] is None:
            raise TopologyError(f"ERR Slot {slot} is already unassigned")
        if not delete and self.slots[slot] is not None:
            raise TopologyError(f"ERR Slot {slot} is already busy")
        if slot in seen:
            raise TopologyError(f"ERR Slot {slot} specified multiple times")
        seen.add(slot)

    def add_slots(self, sender: str, slots: list[int]) -> None:
        """CLUSTER ADDSLOTS / ADDSLOTSRANGE received by `sender`."""
        seen: set[int] = set()
        for slot in slots:
            self.check_assignment(slot, seen, False)
        shard = self.shard_of(sender)
        self.epoch += 1
        for slot in slots:
            self.slots[slot] = shard.id
            # As Redis: assigning a slot to oneself ends importing it.
            self.importing.pop((sender, slot), None)
        shard.config_epoch = self.epoch

    def del_slots(self, sender: str, slots: list[int]) -> None:
        """CLUSTER DELSLOTS / DELSLOTSRANGE received by `sender`."""
        seen: set[int] = set()
        for slot in slots:
            self.check_assignment(slot, seen, True)
        self.epoch += 1
        for slot in slots:
            owner = self.slots[slot]
            self.slots[slot] = None
            self.shards[owner].config_epoch = self.epoch  # type: ignore[index]
            self.migrating.pop((sender, slot), None)
            self.importing.pop((sender, slot), None)

    def flush_slots(self, sender: str) -> None:
        """CLUSTER FLUSHSLOTS: the sender's shard serves nothing any more."""
        shard = self.shard_of(sender)
        mine = self.shard_slots(shard.id)
        if mine:
            self.del_slots(sender, mine)

    def set_slot(self, sender: str, slot: int, action: str, target: str | None,
                 keys_in_slot: int = 0, replica_migration: bool = True) -> None:
        """CLUSTER SETSLOT <slot> IMPORTING|MIGRATING|NODE <id> | STABLE, received by `sender`,
        which holds `keys_in_slot` keys of the slot and has cluster-allow-replica-migration
        `replica_migration`."""
        if not self.is_primary(sender):
            raise TopologyError("ERR Please use SETSLOT only with masters.")
        mine = self.shard_of(sender).id
        if action == "migrating":
            if self.slots[slot] != mine:
                raise TopologyError(f"ERR I'm not the owner of hash slot {slot}")
            node = self._known(target, "ERR I don't know about node {}")
            if not self.is_primary(node):
                raise TopologyError("ERR Target node is not a master")
            self.epoch += 1
            self.migrating[(sender, slot)] = node
        elif action == "importing":
            if self.slots[slot] == mine:
                raise TopologyError(f"ERR I'm already the owner of hash slot {slot}")
            node = self._known(target, "ERR I don't know about node {}")
            if not self.is_primary(node):
                raise TopologyError("ERR Target node is not a master")
            self.epoch += 1
            self.importing[(sender, slot)] = node
        elif action == "stable":
            self.epoch += 1
            self.migrating.pop((sender, slot), None)
            self.importing.pop((sender, slot), None)
        elif action == "node":
            node = self._known(target, "ERR Unknown node {}")
            if not self.is_primary(node):
                raise TopologyError("ERR Target node is not a master")
            shard = self.shard_of(node)
            old = self.slots[slot]
            if old == mine and shard.id != mine and keys_in_slot:
                raise TopologyError(f"ERR Can't assign hashslot {slot} to a different node "
                                    "while I still hold keys for this hash slot.")
            self.epoch += 1
            # A migration whose keys have all left is over; so is an import into the sender
            # once the slot is its own.
            if not keys_in_slot:
                self.migrating.pop((sender, slot), None)
            if node == sender:
                self.importing.pop((sender, slot), None)
            self.slots[slot] = shard.id
            if old != shard.id:
                shard.config_epoch = self.epoch
                if old is not None:
                    self.shards[old].config_epoch = self.epoch
            # As Redis 7: a primary that gave its last slot away becomes a replica of the
            # node that took it (its shard joins the taker's).
            if (old == mine and shard.id != mine and replica_migration
                    and mine not in self.slots):
                self._merge_shard(mine, shard.id)
        else:
            raise TopologyError(
                "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")

    def replicate(self, sender: str, primary: str) -> None:
        """CLUSTER REPLICATE <primary> received by `sender` (which checked it holds no keys)."""
        node = self._known(primary, "ERR Unknown node {}")
        if node == sender:
            raise TopologyError("ERR Can't replicate myself")
        if not self.is_primary(node):
            raise TopologyError("ERR I can only replicate a master, not a replica.")
        own = self.shard_of(sender)
        if own.primary == sender and own.id in self.slots:
            raise TopologyError(
                "ERR To set a master the node must be empty and without assigned slots.")
        target = self.shard_of(node)
        if own.id == target.id:
            return  # already its replica: Redis answers OK and changes nothing
        self.epoch += 1
        self._leave_shard(sender)
        target.replicas.append(sender)
        self.nodes[sender].shard = target.id
        self._drop_states(sender)

    def promote(self, replica: str) -> None:
        """Make `replica` the primary of its shard (a failover); the old primary stays in the
        shard as a replica, so when it comes back it follows the new one."""
        shard = self.shard_of(replica)
        if shard.primary == replica:
            raise TopologyError("ERR You should send CLUSTER FAILOVER to a replica")
        old = shard.primary
        shard.replicas.remove(replica)
        shard.replicas.insert(0, old)
        shard.primary = replica
        self.epoch += 1
        shard.config_epoch = self.epoch
        # Migration states belong to the node that set them; the new primary starts clean.
        self._drop_states(old)

    def reset(self, sender: str, new_node_id: str | None = None) -> None:
        """CLUSTER RESET: the sender leaves its shard and serves nothing (HARD: under a new id,
        `new_node_id`). The node checked it holds no keys if it was a primary."""
        self.epoch += 1
        own = self.shard_of(sender)
        if own.primary == sender:
            for slot in self.shard_slots(own.id):
                self.slots[slot] = None
        self._leave_shard(sender)
        shard = Shard(new_id(), sender)
        self.shards[shard.id] = shard
        self.nodes[sender].shard = shard.id
        self.nodes[sender].failed = False
        self._drop_states(sender)
        if new_node_id is not None and new_node_id != sender:
            node = self.nodes.pop(sender)
            node.id = new_node_id
            self.nodes[new_node_id] = node
            shard.primary = new_node_id

    # -- helpers -----------------------------------------------------------------------------

    def _known(self, node_id: str | None, message: str) -> str:
        if node_id is None or node_id not in self.nodes:
            raise TopologyError(message.format(node_id))
        return node_id

    def _leave_shard(self, node_id: str) -> None:
        """Take `node_id` out of its shard; a shard left without members goes."""
        shard = self.shard_of(node_id)
        if shard.primary == node_id:
            if shard.replicas:
                shard.primary = shard.replicas.pop(0)
                shard.config_epoch = self.epoch
            else:
                self._drop_shard(shard.id)
        else:
            shard.replicas.remove(node_id)

    def _merge_shard(self, shard_id: str, into: str) -> None:
        gone = self.shards.pop(shard_id)
        target = self.shards[into]
        for member in gone.members():
            target.replicas.append(member)
            self.nodes[member].shard = into
            self._drop_states(member)

    def _drop_shard(self, shard_id: str) -> None:
        del self.shards[shard_id]
        for slot, owner in enumerate(self.slots):
            if owner == shard_id:
                self.slots[slot] = None

    def _drop_states(self, node_id: str) -> None:
        for key in [k for k in self.migrating if k[0] == node_id]:
            del self.migrating[key]
        for key in [k for k in self.importing if k[0] == node_id]:
            del self.importing[key]

    # -- serialization -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        ranges = self.slots_by_shard()
        return {
            "epoch": self.epoch,
            "nodes": [
                {"id": n.id, "host": n.host, "port": n.port, "bus_port": n.bus_port,
                 "hostname": n.hostname, "shard": n.shard, "failed": n.failed,
                 "fail_time": n.fail_time}
                for n in self.nodes.values()
            ],
            "shards": [
                {"id": s.id, "primary": s.primary, "replicas": list(s.replicas),
                 "config_epoch": s.config_epoch,
                 "slots": [list(r) for r in ranges.get(s.id, [])]}
                for s in self.shards.values()
            ],
            "migrating": [[n, s, t] for (n, s), t in sorted(self.migrating.items())],
            "importing": [[n, s, t] for (n, s), t in sorted(self.importing.items())],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Topology":
        topo = cls(epoch=int(data.get("epoch", 0)))
        for n in data.get("nodes", []):
            topo.nodes[n["id"]] = NodeInfo(
                n["id"], n.get("host", ""), int(n.get("port", 0)), int(n.get("bus_port", 0)),
                n.get("hostname", ""), n.get("shard", ""), bool(n.get("failed", False)),
                int(n.get("fail_time", 0)))
        for s in data.get("shards", []):
            topo.shards[s["id"]] = Shard(s["id"], s["primary"], list(s.get("replicas", [])),
                                         int(s.get("config_epoch", 0)))
            for first, last in s.get("slots", []):
                for slot in range(first, last + 1):
                    topo.slots[slot] = s["id"]
        for n, s, t in data.get("migrating", []):
            topo.migrating[(n, int(s))] = t
        for n, s, t in data.get("importing", []):
            topo.importing[(n, int(s))] = t
        topo.validate()
        return topo

    def validate(self) -> None:
        """Raise ValueError if the parts do not fit together (a corrupt or hand-edited file)."""
        for node in self.nodes.values():
            shard = self.shards.get(node.shard)
            if shard is None or node.id not in shard.members():
                raise ValueError(f"node {node.id} is not in its shard {node.shard}")
        for shard in self.shards.values():
            for member in shard.members():
                if self.nodes.get(member) is None or self.nodes[member].shard != shard.id:
                    raise ValueError(f"shard {shard.id} lists {member}, which is not its member")
        for owner in set(self.slots):
            if owner is not None and owner not in self.shards:
                raise ValueError(f"a slot is served by unknown shard {owner}")


def ranges_to_slots(ranges: Iterable[tuple[int, int]]) -> list[int]:
    return [slot for first, last in ranges for slot in range(first, last + 1)]


__all__ = ["NodeInfo", "Shard", "Topology", "TopologyError", "new_id", "ranges_to_slots",
           "slot_ranges"]
