"""CLUSTER and the cluster connection commands (ASKING, READONLY, READWRITE), as Redis 7.0.

Replies have Redis 7.0's shapes so cluster-aware clients and tools read them unchanged:
CLUSTER SLOTS (ranges with [endpoint, port, id, metadata] entries), SHARDS (maps), NODES and
INFO (text), REPLICAS (node lines). They are rendered from the topology the node serves on
(node/topology.py) plus the health the coordinator reports (`Cluster.health`).

The commands that change the topology (ADDSLOTS, DELSLOTS, SETSLOT, REPLICATE, FAILOVER,
RESET, FORGET, FLUSHSLOTS) first make the checks that need this node's own data (keys held),
in Redis's order, then go through `Cluster.change`: to the coordinator, which makes them a new
epoch, or applied here when the node is its own authority. MEET, SET-CONFIG-EPOCH and
BUMPEPOCH are not registered: nodes join by naming their coordinator, and epochs are the
coordinator's.
"""

from __future__ import annotations

import time
from typing import Any

from node.cluster import Cluster, endpoint
from node.commands.command import help_reply
from node.errors import SYNTAX, CommandError, wrong_arity
from node.numbers import parse_int
from node.replies import OK, Verbatim
from node.slots import SLOTS, key_slot
from node.table import command
from node.topology import NodeInfo, Topology, TopologyError

DISABLED = "ERR This instance has cluster support disabled"

HELP = [
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Assign slots which are between <start-slot> and <end-slot> to current node.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MYID",
    "    Return the node id.",
    "MYSHARDID",
    "    Return the node's shard id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "LINKS",
    "    Return information about all network links between this node and its peers.",
    "    Output format is an array where each array element is a map containing attributes of a link",
    "HELP",
    "    Prints this help.",
]

_ADMIN = "admin stale no_async_loading"


def _cluster(ctx: Any) -> Cluster:
    cluster = ctx.server.cluster
    if cluster is None:
        raise CommandError(DISABLED)
    return cluster


def _slot(arg: bytes) -> int:
    """getSlotOrReply."""
    try:
        slot = parse_int(arg)
    except CommandError:
        slot = -1
    if not 0 <= slot < SLOTS:
        raise CommandError("ERR Invalid or out of range slot")
    return slot


def _node(topology: Topology, node_id: bytes) -> NodeInfo:
    node = topology.nodes.get(node_id.decode("utf-8", "replace"))
    if node is None:
        raise CommandError(f"ERR Unknown node {node_id.decode('utf-8', 'replace')}")
    return node


def _syntax(argv: list[bytes]) -> CommandError:
    """addReplySubcommandSyntaxError: what CLUSTER answers a subcommand with extra words."""
    return CommandError("ERR unknown subcommand or wrong number of arguments for "
                        f"'{argv[1][:128].decode('utf-8', 'replace')}'. Try CLUSTER HELP.")


def _check(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except TopologyError as e:
        raise CommandError(str(e)) from None


# -- rendering --------------------------------------------------------------------------------

def node_line(cluster: Cluster, node: NodeInfo,
              ranges: dict[str, list[tuple[int, int]]] | None = None) -> str:
    """One CLUSTER NODES line (clusterGenNodeDescription); `ranges` is slots_by_shard(),
    when the caller renders several lines (one pass over the 16384 slots for all)."""
    topology = cluster.topology
    shard = topology.shards[node.shard]
    myself = node.id == cluster.myid
    primary = shard.primary == node.id
    connected, _offset, seen = cluster.health.get(node.id, (myself, 0, 0))
    flags = []
    if myself:
        flags.append("myself")
    flags.append("master" if primary else "slave")
    if node.failed:
        flags.append("fail")
    elif not myself and not connected:
        flags.append("fail?")
    addr = f"{node.host}:{node.port}@{node.bus_port}"
    if node.hostname:
        addr += f",{node.hostname}"
    pong = int(time.time() * 1000) if myself else seen
    link = "connected" if myself or connected else "disconnected"
    parts = [node.id, addr, ",".join(flags), "-" if primary else shard.primary, "0", str(pong),
             str(shard.config_epoch), link]
    if primary:
        if ranges is None:
            ranges = topology.slots_by_shard()
        for first, last in ranges.get(shard.id, []):
            parts.append(str(first) if first == last else f"{first}-{last}")
    if myself:
        states = [(slot, f"[{slot}->-{peer}]") for (n, slot), peer in topology.migrating.items()
                  if n == node.id]
        states += [(slot, f"[{slot}-<-{peer}]") for (n, slot), peer in topology.importing.items()
                   if n == node.id and (node.id, slot) not in topology.migrating]
        parts.extend(text for _slot, text in sorted(states))
    return " ".join(parts)


def _slot_entry(cluster: Cluster, node: NodeInfo) -> list:
    """One node of a CLUSTER SLOTS range (addNodeToNodeReply): the preferred endpoint (nil
    for unknown-endpoint), port, id, then the addresses the endpoint is not: the ip unless
    that is the endpoint, the hostname, if any, unless that is."""
    kind = cluster.server.config["cluster-preferred-endpoint-type"]
    meta: dict = {}
    if kind != "ip":
        meta["ip"] = node.host.encode()
    if kind != "hostname" and node.hostname:
        meta["hostname"] = node.hostname.encode()
    preferred = None if kind == "unknown-endpoint" else endpoint(node, kind).encode()
    return [preferred, node.port, node.id.encode(), meta]


def _offset(cluster: Cluster, node_id: str) -> int:
    if node_id == cluster.myid:
        return cluster.repl_offset()
    return cluster.health.get(node_id, (False, 0, 0))[1]


# -- reading the topology -------------------------------------------------------------------------

command("cluster", -2, group="cluster", since="3.0.0", complexity="Depends on subcommand.",
        summary="A container for cluster commands")(None)


@command("cluster|help", 2, "loading stale", group="cluster", since="5.0.0",
         summary="Show helpful text about the different subcommands")
def cluster_help(ctx: Any, argv: list[bytes]) -> list:
    _cluster(ctx)
    return help_reply(HELP)


@command("cluster|myid", 2, "stale", group="cluster", since="3.0.0", summary="Return the node id")
def cluster_myid(ctx: Any, argv: list[bytes]) -> bytes:
    return _cluster(ctx).myid.encode()


@command("cluster|myshardid", 2, "stale", group="cluster", since="7.2.0",
         tips="nondeterministic_output", summary="Return the node shard id")
def cluster_myshardid(ctx: Any, argv: list[bytes]) -> bytes:
    cluster = _cluster(ctx)
    return cluster.topology.nodes[cluster.myid].shard.encode()


@command("cluster|keyslot", 3, "stale", group="cluster", since="3.0.0",
         complexity="O(N) where N is the number of bytes in the key",
         summary="Returns the hash slot of the specified key")
def cluster_keyslot(ctx: Any, argv: list[bytes]) -> int:
    _cluster(ctx)
    return key_slot(argv[2])


@command("cluster|countkeysinslot", 3, "stale", group="cluster", since="3.0.0",
         summary="Return the number of local keys in the specified hash slot")
def cluster_countkeysinslot(ctx: Any, argv: list[bytes]) -> int:
    cluster = _cluster(ctx)
    slot = parse_int(argv[2])
    if not 0 <= slot < SLOTS:
        raise CommandError("ERR Invalid slot")
    return cluster.keys_in_slot().count(slot)


@command("cluster|getkeysinslot", 4, "stale", group="cluster", since="3.0.0",
         tips="nondeterministic_output",
         complexity="O(log(N)) where N is the number of requested keys",
         summary="Return local key names in the specified hash slot")
def cluster_getkeysinslot(ctx: Any, argv: list[bytes]) -> list:
    cluster = _cluster(ctx)
    slot = parse_int(argv[2])
    count = parse_int(argv[3])
    if not 0 <= slot < SLOTS or count < 0:
        raise CommandError("ERR Invalid slot or number of keys")
    return cluster.keys_in_slot().keys(slot, count)


@command("cluster|nodes", 2, "stale", group="cluster", since="3.0.0",
         tips="nondeterministic_output",
         complexity="O(N) where N is the total number of Cluster nodes",
         summary="Get Cluster config for the node")
def cluster_nodes(ctx: Any, argv: list[bytes]) -> Verbatim:
    cluster = _cluster(ctx)
    ranges = cluster.topology.slots_by_shard()
    lines = [node_line(cluster, n, ranges) for n in cluster.topology.nodes.values()]
    return Verbatim("".join(line + "\n" for line in lines).encode())


@command("cluster|replicas", 3, "admin stale", group="cluster", since="5.0.0",
         tips="nondeterministic_output",
         summary="List replica nodes of the specified master node")
def cluster_replicas(ctx: Any, argv: list[bytes]) -> list:
    cluster = _cluster(ctx)
    topology = cluster.topology
    node = _node(topology, argv[2])
    shard = topology.shards[node.shard]
    if shard.primary != node.id:
        raise CommandError("ERR The specified node is not a master")
    return [node_line(cluster, topology.nodes[r]).encode() for r in shard.replicas]


command("cluster|slaves", 3, "admin stale", group="cluster", since="3.0.0",
        tips="nondeterministic_output",
        summary="List replica nodes of the specified master node",
        doc_flags="deprecated", deprecated_since="5.0.0",
        replaced_by="`CLUSTER REPLICAS`")(cluster_replicas)


@command("cluster|slots", 2, "stale", group="cluster", since="3.0.0",
         tips="nondeterministic_output",
         complexity="O(N) where N is the total number of Cluster nodes",
         summary="Get array of Cluster slot to node mappings",
         doc_flags="deprecated", deprecated_since="7.0.0",
         replaced_by="`CLUSTER SHARDS`",
         history=(("4.0.0", "Added node IDs."),
                  ("7.0.0", "Added additional networking metadata field.")))
def cluster_slots(ctx: Any, argv: list[bytes]) -> list:
    cluster = _cluster(ctx)
    topology = cluster.topology
    out = []
    for first, last, owner in topology.slot_runs():
        shard = topology.shards[owner]
        entry: list = [first, last, _slot_entry(cluster, topology.nodes[shard.primary])]
        for replica in shard.replicas:
            node = topology.nodes[replica]
            # As Redis 7.0's isReplicaAvailable: a failed replica, or one that has not
            # replicated anything yet (offset 0), is left out.
            if not node.failed and _offset(cluster, replica):
                entry.append(_slot_entry(cluster, node))
        out.append(entry)
    return out


@command("cluster|shards", 2, "stale", group="cluster", since="7.0.0",
         tips="nondeterministic_output",
         complexity="O(N) where N is the total number of cluster nodes",
         summary="Get array of cluster slots to node mappings")
def cluster_shards(ctx: Any, argv: list[bytes]) -> list:
    cluster = _cluster(ctx)
    topology = cluster.topology
    kind = cluster.server.config["cluster-preferred-endpoint-type"]
    ranges = topology.slots_by_shard()
    out = []
    for shard in topology.shards.values():
        nodes = []
        for member in shard.members():
            node = topology.nodes[member]
            offset = _offset(cluster, member)
            primary = member == shard.primary
            details: dict = {"id": node.id.encode(), "port": node.port, "ip": node.host.encode(),
                             "endpoint": endpoint(node, kind).encode()}
            if node.hostname:
                details["hostname"] = node.hostname.encode()
            details["role"] = b"master" if primary else b"replica"
            details["replication-offset"] = offset
            details["health"] = (b"fail" if node.failed else
                                 b"loading" if not primary and offset == 0 else b"online")
            nodes.append(details)
        slots = [n for first, last in ranges.get(shard.id, []) for n in (first, last)]
        out.append({"slots": slots, "nodes": nodes})
    return out


@command("cluster|info", 2, "stale", group="cluster", since="3.0.0",
         tips="nondeterministic_output", summary="Provides info about Redis Cluster node state")
def cluster_info(ctx: Any, argv: list[bytes]) -> Verbatim:
    cluster = _cluster(ctx)
    topology = cluster.topology
    assigned = topology.assigned()
    failed = sum(1 for s in topology.slots
                 if s is not None and topology.nodes[topology.shards[s].primary].failed)
    pfail = sum(1 for s in topology.slots
                if s is not None and not cluster.health.get(
                    topology.shards[s].primary, (True, 0, 0))[0]
                and not topology.nodes[topology.shards[s].primary].failed)
    fields = [
        ("cluster_state", "ok" if cluster.state_ok else "fail"),
        ("cluster_slots_assigned", assigned),
        ("cluster_slots_ok", assigned - failed - pfail),
        ("cluster_slots_pfail", pfail),
        ("cluster_slots_fail", failed),
        ("cluster_known_nodes", len(topology.nodes)),
        ("cluster_size", topology.size()),
        ("cluster_current_epoch", topology.epoch),
        ("cluster_my_epoch", topology.shard_of(cluster.myid).config_epoch),
    ]
    # slotkv's "messages" are the heartbeats to the coordinator (Redis's pings) and what it
    # sends back (acks: pongs; topologies: updates).
    if cluster.heartbeats_sent:
        fields.append(("cluster_stats_messages_ping_sent", cluster.heartbeats_sent))
    fields.append(("cluster_stats_messages_sent", cluster.heartbeats_sent))
    if cluster.acks_received:
        fields.append(("cluster_stats_messages_pong_received", cluster.acks_received))
    if cluster.updates_received:
        fields.append(("cluster_stats_messages_update_received", cluster.updates_received))
    fields.append(("cluster_stats_messages_received",
                   cluster.acks_received + cluster.updates_received))
    fields.append(("total_cluster_links_buffer_limit_exceeded", 0))
    return Verbatim("".join(f"{k}:{v}\r\n" for k, v in fields).encode())


@command("cluster|count-failure-reports", 3, "admin stale", group="cluster", since="3.0.0",
         tips="nondeterministic_output",
         complexity="O(N) where N is the number of failure reports",
         summary="Return the number of failure reports active for a given node")
def cluster_count_failure_reports(ctx: Any, argv: list[bytes]) -> int:
    cluster = _cluster(ctx)
    node = _node(cluster.topology, argv[2])
    # Failures are reported by one party here, the coordinator: one report while it cannot
    # hear the node, none otherwise.
    connected = cluster.health.get(node.id, (True, 0, 0))[0]
    return int(node.id != cluster.myid and (node.failed or not connected))


@command("cluster|links", 2, "stale", group="cluster", since="7.0.0",
         tips="nondeterministic_output",
         complexity="O(N) where N is the total number of Cluster nodes",
         summary="Returns a list of all TCP links to and from peer nodes in cluster")
def cluster_links(ctx: Any, argv: list[bytes]) -> list:
    cluster = _cluster(ctx)
    link = cluster.link
    if link is None or not link.connected_since:
        return []
    # A node has one link: its session with the coordinator.
    return [{"direction": b"to", "node": cluster.coordinator.encode(),
             "create-time": link.connected_since, "events": b"rw",
             "send-buffer-allocated": 0, "send-buffer-used": 0}]


# -- changing the topology ----------------------------------------------------------------------

def _assign(ctx: Any, argv: list[bytes], delete: bool, ranges: bool) -> Any:
    """ADDSLOTS, DELSLOTS, ADDSLOTSRANGE, DELSLOTSRANGE: Redis's argument checks in its order,
    against this node's view, then the change itself (checked again by the authority)."""
    cluster = _cluster(ctx)
    topology = cluster.topology
    seen: set[int] = set()
    slots: list[int] = []
    if ranges:
        if len(argv) % 2:
            raise wrong_arity(f"cluster|{argv[1].decode('utf-8', 'replace').lower()}")
        for i in range(2, len(argv), 2):
            first, last = _slot(argv[i]), _slot(argv[i + 1])
            if first > last:
                raise CommandError(
                    f"ERR start slot number {first} is greater than end slot number {last}")
            for slot in range(first, last + 1):
                _check(topology.check_assignment, slot, seen, delete)
                slots.append(slot)
    else:
        parsed = [_slot(arg) for arg in argv[2:]]
        for slot in parsed:
            _check(topology.check_assignment, slot, seen, delete)
        slots = parsed
    return cluster.change(ctx, "del_slots" if delete else "add_slots", slots)


@command("cluster|addslots", -3, _ADMIN, group="cluster", since="3.0.0",
         complexity="O(N) where N is the total number of hash slot arguments",
         summary="Assign new hash slots to receiving node")
def cluster_addslots(ctx: Any, argv: list[bytes]) -> Any:
    return _assign(ctx, argv, delete=False, ranges=False)


@command("cluster|addslotsrange", -4, _ADMIN, group="cluster", since="7.0.0",
         complexity="O(N) where N is the total number of the slots between the start slot and "
         "end slot arguments.",
         summary="Assign new hash slots to receiving node")
def cluster_addslotsrange(ctx: Any, argv: list[bytes]) -> Any:
    return _assign(ctx, argv, delete=False, ranges=True)


@command("cluster|delslots", -3, _ADMIN, group="cluster", since="3.0.0",
         complexity="O(N) where N is the total number of hash slot arguments",
         summary="Set hash slots as unbound in receiving node")
def cluster_delslots(ctx: Any, argv: list[bytes]) -> Any:
    return _assign(ctx, argv, delete=True, ranges=False)


@command("cluster|delslotsrange", -4, _ADMIN, group="cluster", since="7.0.0",
         complexity="O(N) where N is the total number of the slots between the start slot and "
         "end slot arguments.",
         summary="Set hash slots as unbound in receiving node")
def cluster_delslotsrange(ctx: Any, argv: list[bytes]) -> Any:
    return _assign(ctx, argv, delete=True, ranges=True)


@command("cluster|flushslots", 2, _ADMIN, group="cluster", since="3.0.0",
         summary="Delete a node's own slots information")
def cluster_flushslots(ctx: Any, argv: list[bytes]) -> Any:
    cluster = _cluster(ctx)
    if len(ctx.server.keyspace.dbs[0]):
        raise CommandError("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.")
    return cluster.change(ctx, "flush_slots")


@command("cluster|setslot", -4, _ADMIN, group="cluster", since="3.0.0",
         summary="Bind a hash slot to a specific node")
def cluster_setslot(ctx: Any, argv: list[bytes]) -> Any:
    cluster = _cluster(ctx)
    if not cluster.primary:
        raise CommandError("ERR Please use SETSLOT only with masters.")
    slot = _slot(argv[2])
    action = argv[3].lower()
    if (action in (b"migrating", b"importing", b"node") and len(argv) == 5) or (
            action == b"stable" and len(argv) == 4):
        target = argv[4].decode("utf-8", "replace") if len(argv) == 5 else None
        # Only NODE looks at the keys, and only of a slot this node owns or migrates (as
        # Redis counts them); the per-slot index is not built for the other actions.
        topology = cluster.topology
        keys = cluster.keys_in_slot().count(slot) if action == b"node" and (
            topology.slots[slot] == topology.shard_of(cluster.myid).id
            or (cluster.myid, slot) in topology.migrating) else 0
        replica_migration = ctx.server.config["cluster-allow-replica-migration"]
        # Checked here first, with Redis's wording, then again by the authority.
        _check(cluster.topology.copy().set_slot, cluster.myid, slot, action.decode(), target,
               keys, replica_migration)
        return cluster.change(ctx, "set_slot", slot, action.decode(), target, keys,
                              replica_migration)
    raise CommandError(
        "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP")


@command("cluster|replicate", 3, _ADMIN, group="cluster", since="3.0.0",
         summary="Reconfigure a node as a replica of the specified master node")
def cluster_replicate(ctx: Any, argv: list[bytes]) -> Any:
    cluster = _cluster(ctx)
    topology = cluster.topology
    node = _node(topology, argv[2])
    if node.id == cluster.myid:
        raise CommandError("ERR Can't replicate myself")
    if not topology.is_primary(node.id):
        raise CommandError("ERR I can only replicate a master, not a replica.")
    if cluster.primary and (topology.shard_of(cluster.myid).id in topology.slots
                            or len(ctx.server.keyspace.dbs[0])):
        raise CommandError("ERR To set a master the node must be empty and without assigned slots.")
    return cluster.change(ctx, "replicate", node.id)


@command("cluster|failover", -2, _ADMIN, group="cluster", since="3.0.0",
         summary="Forces a replica to perform a manual failover of its master.")
def cluster_failover(ctx: Any, argv: list[bytes]) -> Any:
    cluster = _cluster(ctx)
    mode = ""
    if len(argv) == 3:
        mode = argv[2].lower().decode("utf-8", "replace")
        if mode not in ("force", "takeover"):
            raise CommandError(SYNTAX)
    elif len(argv) > 3:
        raise _syntax(argv)
    if cluster.primary:
        raise CommandError("ERR You should send CLUSTER FAILOVER to a replica")
    topology = cluster.topology
    primary = topology.shard_of(cluster.myid).primary
    if not mode and (topology.nodes[primary].failed
                     or not cluster.health.get(primary, (True, 0, 0))[0]):
        raise CommandError("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")
    return cluster.failover(ctx, mode)


@command("cluster|reset", -2, "admin noscript stale", group="cluster", since="3.0.0",
         complexity="O(N) where N is the number of known nodes. The command may execute a "
         "FLUSHALL as a side effect.",
         summary="Reset a Redis Cluster node")
def cluster_reset(ctx: Any, argv: list[bytes]) -> Any:
    cluster = _cluster(ctx)
    hard = False
    if len(argv) == 3:
        word = argv[2].lower()
        if word not in (b"hard", b"soft"):
            raise CommandError(SYNTAX)
        hard = word == b"hard"
    elif len(argv) > 3:
        raise _syntax(argv)
    keyspace = ctx.server.keyspace
    if cluster.primary and len(keyspace.dbs[0]):
        raise CommandError("ERR CLUSTER RESET can't be called with master nodes containing keys")
    return cluster.reset(ctx, hard)


@command("cluster|forget", 3, _ADMIN, group="cluster", since="3.0.0",
         summary="Remove a node from the nodes table")
def cluster_forget(ctx: Any, argv: list[bytes]) -> Any:
    cluster = _cluster(ctx)
    # Topology.forget checks it, wherever the change is made (here, or by the coordinator).
    return cluster.change(ctx, "forget", argv[2].decode("utf-8", "replace"))


@command("cluster|saveconfig", 2, _ADMIN, group="cluster", since="3.0.0",
         summary="Forces the node to save cluster state on disk")
def cluster_saveconfig(ctx: Any, argv: list[bytes]) -> Any:
    cluster = _cluster(ctx)
    try:
        cluster.save(sync=True)
    except OSError as e:
        raise CommandError(f"ERR error saving the cluster node config: {e.strerror}") from None
    return OK


# -- connection state -----------------------------------------------------------------------------

@command("asking", 1, "fast", group="cluster", categories="connection", since="3.0.0",
         summary="Sent by cluster clients after an -ASK redirect")
def asking(ctx: Any, argv: list[bytes]) -> Any:
    _cluster(ctx)
    ctx.asking = True
    return OK


@command("readonly", 1, "loading stale fast", group="cluster", categories="connection",
         since="3.0.0",
         summary="Enables read queries for a connection to a cluster replica node")
def readonly(ctx: Any, argv: list[bytes]) -> Any:
    _cluster(ctx)
    ctx.readonly = True
    return OK


@command("readwrite", 1, "loading stale fast", group="cluster", categories="connection",
         since="3.0.0",
         summary="Disables read queries for a connection to a cluster replica node")
def readwrite(ctx: Any, argv: list[bytes]) -> Any:
    _cluster(ctx)
    ctx.readonly = False
    return OK
