"""The topology (node/topology.py) to and from its wire form, `slotkv.v1.Topology`."""

from __future__ import annotations

from node.slots import SLOTS
from node.topology import NodeInfo, Shard, Topology
from slotkv.v1 import cluster_pb2 as pb


def to_proto(topology: Topology) -> pb.Topology:
    ranges = topology.slots_by_shard()
    return pb.Topology(
        epoch=topology.epoch,
        nodes=[pb.Node(id=n.id, host=n.host, port=n.port, bus_port=n.bus_port,
                       hostname=n.hostname, shard=n.shard, failed=n.failed,
                       fail_time=n.fail_time)
               for n in topology.nodes.values()],
        shards=[pb.Shard(id=s.id, primary=s.primary, replicas=s.replicas,
                         config_epoch=s.config_epoch,
                         slots=[pb.SlotRange(first=a, last=b) for a, b in ranges.get(s.id, [])])
                for s in topology.shards.values()],
        migrating=[pb.SlotState(node=n, slot=slot, peer=peer)
                   for (n, slot), peer in topology.migrating.items()],
        importing=[pb.SlotState(node=n, slot=slot, peer=peer)
                   for (n, slot), peer in topology.importing.items()],
    )


def from_proto(msg: pb.Topology) -> Topology:
    """The topology a message describes; ValueError if its parts do not fit together."""
    topology = Topology(epoch=msg.epoch)
    for n in msg.nodes:
        topology.nodes[n.id] = NodeInfo(n.id, n.host, n.port, n.bus_port, n.hostname, n.shard,
                                        n.failed, n.fail_time)
    for s in msg.shards:
        topology.shards[s.id] = Shard(s.id, s.primary, list(s.replicas), s.config_epoch)
        for r in s.slots:
            if not r.first <= r.last < SLOTS:
                raise ValueError(f"bad slot range {r.first}-{r.last}")
            topology.slots[r.first:r.last + 1] = [s.id] * (r.last - r.first + 1)
    for st in msg.migrating:
        topology.migrating[(st.node, st.slot)] = st.peer
    for st in msg.importing:
        topology.importing[(st.node, st.slot)] = st.peer
    topology.validate()
    return topology
