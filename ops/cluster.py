"""`slotkv cluster create|check|info|failover HOST:PORT ...`: the cluster admin commands.

They work the way `redis-cli --cluster` does, through the Redis Cluster commands any node
answers (CLUSTER NODES, SHARDS, ADDSLOTSRANGE, REPLICATE, FAILOVER), so they need only the
address of one node (two or more for `create`) and print in the spirit of redis-cli:

    create HOST:PORT ... [--replicas N]   spread the slots over the first nodes, the rest replicate
    check  HOST:PORT                      every slot covered, one owner each, no open slots,
                                          every node agreeing, replicas in sync with their primary
    info   HOST:PORT                      keys, slots and replicas per primary
    failover HOST:PORT [--force|--takeover]
                                          promote a replica (given, or the most up-to-date
                                          replica of the primary given), and wait until it is done

Exit status: 0 when all is well, 1 when a check failed or a command was refused.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import redis

from node.slots import SLOTS


class ClusterError(Exception):
    """Something the operator must fix; printed as `[ERR] ...`."""


@dataclass
class NodeView:
    """One line of CLUSTER NODES."""

    id: str
    host: str
    port: int
    flags: set[str]
    primary_id: str
    config_epoch: int
    link: str
    ranges: list[tuple[int, int]] = field(default_factory=list)
    migrating: dict[int, str] = field(default_factory=dict)
    importing: dict[int, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def is_primary(self) -> bool:
        return "master" in self.flags

    def slot_count(self) -> int:
        return sum(last - first + 1 for first, last in self.ranges)


def parse_nodes(text: str) -> list[NodeView]:
    """CLUSTER NODES output as NodeViews."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        addr = parts[1].split("@", 1)[0]
        host, _, port = addr.rpartition(":")
        node = NodeView(parts[0], host, int(port), set(parts[2].split(",")), parts[3],
                        int(parts[6]), parts[7])
        for word in parts[8:]:
            if word.startswith("["):
                slot, arrow, peer = word.strip("[]").partition("->-")
                if arrow:
                    node.migrating[int(slot)] = peer
                else:
                    slot, _, peer = word.strip("[]").partition("-<-")
                    node.importing[int(slot)] = peer
            elif "-" in word:
                first, last = word.split("-")
                node.ranges.append((int(first), int(last)))
            else:
                node.ranges.append((int(word), int(word)))
        out.append(node)
    return out


def parse_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise ClusterError(f"Invalid address '{text}': use HOST:PORT")
    return host or "127.0.0.1", int(port)


def connect(host: str, port: int) -> redis.Redis:
    return redis.Redis(host=host, port=port, protocol=2, decode_responses=True,
                       socket_timeout=10, socket_connect_timeout=5)


def nodes_of(client: redis.Redis) -> list[NodeView]:
    text = client.execute_command("CLUSTER", "NODES")
    return parse_nodes(text if isinstance(text, str) else text.decode())


def _myself(views: list[NodeView]) -> NodeView:
    for v in views:
        if "myself" in v.flags:
            return v
    raise ClusterError("CLUSTER NODES has no myself line")


def _info(client: redis.Redis, section: str) -> dict[str, str]:
    text = client.execute_command("CLUSTER", "INFO") if section == "cluster" else None
    if text is None:
        raise ValueError(section)
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _format_ranges(ranges: list[tuple[int, int]]) -> str:
    return ",".join(f"[{a}-{b}]" if a != b else f"[{a}]" for a, b in ranges)


class Cluster:
    """The cluster as seen through one node, plus a connection to every node it lists."""

    def __init__(self, address: str) -> None:
        self.entry = address
        host, port = parse_address(address)
        try:
            first = connect(host, port)
            views = nodes_of(first)
        except redis.RedisError as e:
            raise ClusterError(f"Could not reach {address} as a cluster node: {e}") from None
        self.views = views
        self.clients: dict[str, redis.Redis] = {}
        for v in views:
            if "myself" in v.flags:
                self.clients[v.id] = first
            else:
                self.clients[v.id] = connect(v.host or host, v.port)

    def primaries(self) -> list[NodeView]:
        return sorted((v for v in self.views if v.is_primary), key=lambda v: (v.ranges or [(SLOTS, 0)])[0])

    def replicas_of(self, primary: NodeView) -> list[NodeView]:
        return [v for v in self.views if v.primary_id == primary.id]

    def offset(self, node_id: str) -> int | None:
        """The node's own replication offset (its CLUSTER SHARDS entry for itself)."""
        try:
            shards = self.clients[node_id].execute_command("CLUSTER", "SHARDS")
        except redis.RedisError:
            return None
        for shard in shards:
            shard = _as_dict(shard)
            for node in shard["nodes"]:
                node = _as_dict(node)
                if node["id"] == node_id:
                    return int(node["replication-offset"])
        return None


def _as_dict(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    return dict(zip(value[::2], value[1::2]))


# -- info ----------------------------------------------------------------------------------------

def info(cluster: Cluster, out: Callable[[str], None]) -> int:
    total = 0
    primaries = cluster.primaries()
    for p in primaries:
        try:
            keys = cluster.clients[p.id].dbsize()
        except redis.RedisError:
            keys = 0
        total += keys
        out(f"{p.address} ({p.id[:8]}...) -> {keys} keys | {p.slot_count()} slots | "
            f"{len(cluster.replicas_of(p))} slaves.")
    out(f"[OK] {total} keys in {len(primaries)} masters.")
    out(f"{total / SLOTS:.2f} keys per slot on average.")
    return 0


# -- check ---------------------------------------------------------------------------------------

def check(cluster: Cluster, out: Callable[[str], None], sync_wait: float = 2.0) -> int:
    info(cluster, out)
    errors = 0
    out(f">>> Performing Cluster Check (using node {cluster.entry})")
    for v in sorted(cluster.views, key=lambda v: (not v.is_primary, v.port)):
        role = "master" if v.is_primary else "slave"
        out(f"{'M' if v.is_primary else 'S'}: {v.id} {v.address}")
        out(f"   slots:{_format_ranges(v.ranges)} ({v.slot_count()} slots) {role}")
        if v.is_primary:
            n = len(cluster.replicas_of(v))
            if n:
                out(f"   {n} additional replica(s)")
        else:
            out(f"   replicates {v.primary_id}")
        if "fail" in v.flags or "fail?" in v.flags:
            out(f"[WARNING] Node {v.address} is {'failing' if 'fail' in v.flags else 'not reachable'}.")
            errors += 1
    # Every node must see the same slot map (redis-cli's config signature).
    signatures: dict[str, str] = {}
    for node_id, client in cluster.clients.items():
        try:
            views = nodes_of(client)
        except redis.RedisError as e:
            out(f"[ERR] Could not read CLUSTER NODES from {node_id}: {e}")
            errors += 1
            continue
        signatures[node_id] = "|".join(sorted(
            f"{v.id}:{_format_ranges(v.ranges)}" for v in views if v.is_primary and v.ranges))
    if len(set(signatures.values())) <= 1:
        out("[OK] All nodes agree about slots configuration.")
    else:
        out("[ERR] Nodes don't agree about configuration!")
        errors += 1
    out(">>> Check for open slots...")
    open_slots = set()
    for node_id, client in cluster.clients.items():
        try:
            me = _myself(nodes_of(client))
        except (redis.RedisError, ClusterError):
            continue
        for slot in me.migrating:
            out(f"[WARNING] Node {me.address} has slots in migrating state {slot}.")
            open_slots.add(slot)
        for slot in me.importing:
            out(f"[WARNING] Node {me.address} has slots in importing state {slot}.")
            open_slots.add(slot)
    if open_slots:
        out(f"[WARNING] The following slots are open: {','.join(map(str, sorted(open_slots)))}.")
        errors += 1
    out(">>> Check slots coverage...")
    owners: dict[int, list[str]] = {}
    for v in cluster.views:
        if v.is_primary:
            for first, last in v.ranges:
                for slot in range(first, last + 1):
                    owners.setdefault(slot, []).append(v.id)
    covered = len(owners)
    if covered == SLOTS:
        out(f"[OK] All {SLOTS} slots covered.")
    else:
        out(f"[ERR] Not all {SLOTS} slots are covered by nodes.")
        errors += 1
    shared = sorted(s for s, o in owners.items() if len(o) > 1)
    if shared:
        out(f"[ERR] {len(shared)} slots have more than one owner (first: {shared[0]}).")
        errors += 1
    out(">>> Check replicas...")
    lagging = []
    for p in cluster.primaries():
        for r in cluster.replicas_of(p):
            if not _caught_up(cluster, p.id, r.id, sync_wait):
                lagging.append((p, r))
    for p, r in lagging:
        out(f"[WARNING] Replica {r.address} is not in sync with its primary {p.address} "
            f"(offsets {cluster.offset(r.id)} / {cluster.offset(p.id)}).")
    if lagging:
        errors += 1
    else:
        out("[OK] All replicas are in sync with their primaries.")
    return 1 if errors else 0


def _caught_up(cluster: Cluster, primary: str, replica: str, wait: float) -> bool:
    """The replica reaches the offset its primary had a moment before (writes may flow)."""
    deadline = time.monotonic() + wait
    target = cluster.offset(primary)
    while True:
        got = cluster.offset(replica)
        if target is not None and got is not None and got >= target:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


# -- create --------------------------------------------------------------------------------------

def allocate(count: int) -> list[tuple[int, int]]:
    """redis-cli's split of the 16384 slots over `count` primaries."""
    per = SLOTS / count
    out = []
    first, cursor = 0, 0.0
    for i in range(count):
        last = int(round(cursor + per - 1))
        if last > SLOTS or i == count - 1:
            last = SLOTS - 1
        last = max(last, first)
        out.append((first, last))
        first = last + 1
        cursor += per
    return out


def create(addresses: list[str], replicas: int, out: Callable[[str], None],
           timeout: float = 30.0) -> int:
    if len(addresses) < replicas + 1 or len(addresses) % (replicas + 1):
        raise ClusterError(f"{len(addresses)} nodes cannot form shards of one primary and "
                           f"{replicas} replica(s) each")
    clients = []
    ids = []
    for address in addresses:
        host, port = parse_address(address)
        client = connect(host, port)
        try:
            if client.execute_command("INFO", "cluster").get("cluster_enabled") != 1:
                raise ClusterError(f"Node {address} is not configured as a cluster node.")
            me = _myself(nodes_of(client))
            if me.ranges or client.dbsize():
                raise ClusterError(f"Node {address} is not empty. Either the node already "
                                   "serves slots or contains some key in database 0.")
        except redis.RedisError as e:
            raise ClusterError(f"Could not reach {address}: {e}") from None
        clients.append(client)
        ids.append(me.id)
    known = {v.id for v in nodes_of(clients[0])}
    for address, node_id in zip(addresses, ids):
        if node_id not in known:
            raise ClusterError(f"Node {address} is not in the same cluster as {addresses[0]} "
                               "(its nodes follow another coordinator)")
    masters = len(addresses) // (replicas + 1)
    out(f">>> Performing hash slots allocation on {len(addresses)} nodes...")
    ranges = allocate(masters)
    for i, (first, last) in enumerate(ranges):
        out(f"Master[{i}] -> Slots {first} - {last}")
    for i in range(masters, len(addresses)):
        out(f"Adding replica {addresses[i]} to {addresses[(i - masters) % masters]}")
    for i, (first, last) in enumerate(ranges):
        clients[i].execute_command("CLUSTER", "ADDSLOTSRANGE", first, last)
    for i in range(masters, len(addresses)):
        clients[i].execute_command("CLUSTER", "REPLICATE", ids[(i - masters) % masters])
    out(">>> Nodes configuration updated")
    out("Waiting for the cluster to join")
    wait_ok(clients, timeout)
    out("[OK] All nodes agree about slots configuration.")
    out(f"[OK] All {SLOTS} slots covered.")
    return 0


def wait_ok(clients: list[redis.Redis], timeout: float) -> None:
    """Until every node says cluster_state:ok at the same epoch."""
    deadline = time.monotonic() + timeout
    while True:
        states = []
        for client in clients:
            try:
                states.append(_info(client, "cluster"))
            except redis.RedisError:
                states.append({})
        if all(s.get("cluster_state") == "ok" for s in states) and len(
                {s.get("cluster_current_epoch") for s in states}) == 1:
            return
        if time.monotonic() > deadline:
            raise ClusterError("the cluster did not reach cluster_state:ok in "
                               f"{timeout:.0f}s")
        time.sleep(0.05)


# -- failover ------------------------------------------------------------------------------------

def failover(cluster: Cluster, address: str, mode: str, out: Callable[[str], None],
             timeout: float = 15.0) -> int:
    host, port = parse_address(address)
    target = next((v for v in cluster.views if v.port == port and v.host in (host, "")), None)
    if target is None:
        raise ClusterError(f"{address} is not a node of this cluster")
    if target.is_primary:
        replicas = [r for r in cluster.replicas_of(target) if "fail" not in r.flags]
        if not replicas:
            raise ClusterError(f"Primary {address} has no live replica to promote")
        target = max(replicas, key=lambda r: cluster.offset(r.id) or 0)
    out(f">>> Promoting {target.address} ({target.id[:8]}...) to replace {target.primary_id[:8]}...")
    args = ["CLUSTER", "FAILOVER"] + ([mode.upper()] if mode else [])
    try:
        cluster.clients[target.id].execute_command(*args)
    except redis.RedisError as e:
        raise ClusterError(f"{target.address} refused: {e}") from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        me = _myself(nodes_of(cluster.clients[target.id]))
        if me.is_primary:
            out(f"[OK] {target.address} is now a primary serving "
                f"{_format_ranges(me.ranges)} (epoch {me.config_epoch}).")
            return 0
        time.sleep(0.05)
    raise ClusterError(f"{target.address} did not become a primary within {timeout:.0f}s")


# -- the command line ----------------------------------------------------------------------------

def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slotkv cluster", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="action", required=True)
    p = sub.add_parser("create", help="assign slots and replicas to running cluster nodes")
    p.add_argument("nodes", nargs="+", metavar="HOST:PORT")
    p.add_argument("--replicas", "--cluster-replicas", type=int, default=0)
    p = sub.add_parser("check", help="check slot coverage, agreement and replica sync")
    p.add_argument("node", metavar="HOST:PORT")
    p = sub.add_parser("info", help="keys, slots and replicas per primary")
    p.add_argument("node", metavar="HOST:PORT")
    p = sub.add_parser("failover", help="promote a replica (of the primary given)")
    p.add_argument("node", metavar="HOST:PORT")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--force", action="store_const", dest="mode", const="force", default="")
    mode.add_argument("--takeover", action="store_const", dest="mode", const="takeover")
    opts = parser.parse_args(args)

    def out(line: str) -> None:
        print(line, flush=True)

    try:
        if opts.action == "create":
            return create(opts.nodes, opts.replicas, out)
        cluster = Cluster(opts.node)
        if opts.action == "check":
            return check(cluster, out)
        if opts.action == "info":
            return info(cluster, out)
        return failover(cluster, opts.node, opts.mode, out)
    except ClusterError as e:
        print(f"[ERR] {e}", file=sys.stderr)
        return 1
    except redis.RedisError as e:
        print(f"[ERR] {e}", file=sys.stderr)
        return 1
