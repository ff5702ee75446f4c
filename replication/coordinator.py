"""The coordinator (`slotkv coordinator --port P --dir D`): the authority over the topology.

It keeps the one authoritative `Topology` (node/topology.py) in `D/topology.json`, rewritten
atomically on every change, and serves `slotkv.v1.Coordinator` (proto/slotkv/v1/cluster.proto):

- `Session`: each node holds one open. After the node's Hello the coordinator registers it (a
  new node is a primary of an empty shard, as a fresh Redis Cluster node), sends it the
  topology, then sends every new topology the moment it exists (no polling) and acks each
  heartbeat; an ack renews the node's write lease (node/cluster.py explains the fencing).
- `Watch`: the same stream of topologies, for routers and tools.
- `Change`: the admin commands nodes forward (CLUSTER ADDSLOTS, SETSLOT, REPLICATE, FAILOVER,
  RESET, FORGET, FLUSHSLOTS), validated by the Topology methods with Redis's errors; each
  success is a new epoch, persisted before anyone hears of it, and answered once every
  connected node says (in a heartbeat) that it serves on it.

Failure detection: a node whose heartbeats stop for its own `cluster-node-timeout` (it reports
it in every heartbeat) is marked failed. A failed primary is replaced by the live replica of
its shard with the highest replication offset; the old primary stays in the shard as a
replica, so when it comes back it is told so and follows the new primary. After a restart the
coordinator gives every node a full timeout to reconnect before judging it.

Manual failover (CLUSTER FAILOVER without FORCE/TAKEOVER): the coordinator asks the primary to
pause writes and report its replication offset, waits until the replica has reported reaching
it, then promotes; no acknowledged write is lost. FORCE and TAKEOVER promote at once.

Everything runs on one asyncio loop; changes are serialized by one lock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from typing import AsyncIterator

import grpc

from node.atomicfile import write_atomically
from node.log import log
from node.topology import Topology, TopologyError
from replication.topology_proto import to_proto
from slotkv.v1 import cluster_pb2 as pb
from slotkv.v1 import cluster_pb2_grpc as pb_grpc

DEFAULT_NODE_TIMEOUT_MS = 2000
DETECT_INTERVAL = 0.02  # seconds between failure-detection rounds
STALL = 0.25  # a detection round this late means the coordinator itself was not running
MANUAL_FAILOVER_TIMEOUT = 5.0  # seconds, as Redis's CLUSTER_MF_TIMEOUT
APPLY_WAIT = 1.0  # at most this long an admin change waits for the nodes to install it
TOPOLOGY_FILE = "topology.json"


class NodeSession:
    """One node's open Session: what to send it, and what it last told us."""

    def __init__(self, node_id: str, peer_host: str) -> None:
        self.node_id = node_id
        self.peer_host = peer_host
        self.outbox: asyncio.Queue[pb.CoordinatorMessage | None] = asyncio.Queue()
        self.paused: dict[int, asyncio.Future[int]] = {}  # PauseWrites id -> its offset

    def send(self, msg: pb.CoordinatorMessage) -> None:
        self.outbox.put_nowait(msg)

    def close(self) -> None:
        self.outbox.put_nowait(None)


class Coordinator(pb_grpc.CoordinatorServicer):
    def __init__(self, directory: str) -> None:
        self.path = os.path.join(directory, TOPOLOGY_FILE)
        self.topology = load_topology(self.path)
        self.lock = asyncio.Lock()
        self.sessions: dict[str, NodeSession] = {}
        self.watchers: set[asyncio.Queue[pb.Topology]] = set()
        self.started = time.monotonic()
        # What heartbeats told us, per node id: monotonic time of the last one, replication
        # offset, node timeout (ms), unix ms of the last one.
        self.last_seen: dict[str, float] = {}
        self.offsets: dict[str, int] = {}
        self.timeouts: dict[str, int] = {}
        self.seen_at: dict[str, int] = {}
        # The epoch each node last said it serves on, and changes waiting for nodes to catch up.
        self.node_epochs: dict[str, int] = {}
        self._applied = asyncio.Condition()
        self._pause_ids = 0
        self._detector: asyncio.Task | None = None

    # -- the topology ------------------------------------------------------------------------

    async def commit(self, topology: Topology) -> None:
        """Make `topology` the current one: on disk first, then to every session and watcher.
        Callers hold `self.lock`, so versions reach the disk and the nodes in order; the file
        is written by a thread, so heartbeats are acked meanwhile."""
        data = json.dumps(topology.to_dict(), indent=1).encode()
        await asyncio.get_running_loop().run_in_executor(None, write_atomically, self.path, data)
        self.topology = topology
        msg = to_proto(topology)
        for session in self.sessions.values():
            session.send(pb.CoordinatorMessage(topology=msg))
        for queue in self.watchers:
            queue.put_nowait(msg)

    # -- Session -------------------------------------------------------------------------------

    async def Session(self, request_iterator: AsyncIterator[pb.NodeMessage],
                      context: grpc.aio.ServicerContext) -> AsyncIterator[pb.CoordinatorMessage]:
        try:
            first = await request_iterator.__anext__()
        except StopAsyncIteration:
            return
        if first.WhichOneof("kind") != "hello" or len(first.hello.id) != 40:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "a session opens with Hello")
        hello = first.hello
        session = NodeSession(hello.id, _peer_host(context.peer()))
        old = self.sessions.get(hello.id)
        if old is not None:
            old.close()  # the node reconnected before we noticed its old session end
        self.sessions[hello.id] = session
        self._heard(hello.id, hello.node_timeout_ms, None)
        async with self.lock:
            topology = self.topology.copy()
            changed = topology.add_node(hello.id, hello.host or session.peer_host, hello.port,
                                        hello.bus_port, hello.hostname)
            changed = topology.set_failed(hello.id, False) or changed
            if changed:
                log("notice", f"Node {hello.id} is at {hello.host or session.peer_host}:"
                    f"{hello.port} (epoch {topology.epoch})")
                await self.commit(topology)
            # The topology goes first on the stream, before any ack: a returning primary
            # learns it was replaced before its lease can be renewed.
            session.send(pb.CoordinatorMessage(topology=to_proto(self.topology)))
        reader = asyncio.ensure_future(self._read(session, request_iterator))
        try:
            while True:
                msg = await session.outbox.get()
                if msg is None:
                    break
                yield msg
        finally:
            reader.cancel()
            if self.sessions.get(hello.id) is session:
                del self.sessions[hello.id]

    async def _read(self, session: NodeSession, requests: AsyncIterator[pb.NodeMessage]) -> None:
        try:
            async for msg in requests:
                kind = msg.WhichOneof("kind")
                if kind == "heartbeat":
                    hb = msg.heartbeat
                    self._heard(session.node_id, hb.node_timeout_ms, hb.repl_offset)
                    if hb.epoch > self.node_epochs.get(session.node_id, -1):
                        self.node_epochs[session.node_id] = hb.epoch
                        async with self._applied:
                            self._applied.notify_all()
                    node = self.topology.nodes.get(session.node_id)
                    if node is not None and node.failed:
                        async with self.lock:
                            topology = self.topology.copy()
                            if topology.set_failed(session.node_id, False):
                                log("notice", f"Clear FAIL state for node {session.node_id}: "
                                    "it is reachable again.")
                                await self.commit(topology)
                    session.send(pb.CoordinatorMessage(ack=pb.HeartbeatAck(
                        seq=hb.seq, health=self._health())))
                elif kind == "paused":
                    future = session.paused.pop(msg.paused.id, None)
                    if future is not None and not future.done():
                        future.set_result(msg.paused.repl_offset)
                elif kind == "publish":
                    self._relay(session.node_id, msg.publish)
        except (grpc.aio.AioRpcError, asyncio.CancelledError):
            pass
        finally:
            session.close()

    def _relay(self, sender: str, publish: pb.Publish) -> None:
        """Pass a node's PUBLISH on to every other node in session; a shard channel's only to
        the other nodes of the sender's shard."""
        nodes = self.topology.nodes
        shard = nodes[sender].shard if publish.shard and sender in nodes else None
        msg = pb.CoordinatorMessage(publish=publish)
        for node_id, session in self.sessions.items():
            if node_id == sender:
                continue
            if publish.shard and (node_id not in nodes or nodes[node_id].shard != shard):
                continue
            session.send(msg)

    def _heard(self, node_id: str, timeout_ms: int, offset: int | None) -> None:
        self.last_seen[node_id] = time.monotonic()
        self.seen_at[node_id] = int(time.time() * 1000)
        if timeout_ms:
            self.timeouts[node_id] = timeout_ms
        if offset is not None:
            self.offsets[node_id] = offset

    def _health(self) -> list[pb.NodeHealth]:
        return [pb.NodeHealth(id=n, connected=n in self.sessions,
                              repl_offset=self.offsets.get(n, 0), last_seen=self.seen_at.get(n, 0))
                for n in self.topology.nodes]

    # -- Watch ----------------------------------------------------------------------------------

    async def Watch(self, request: pb.WatchRequest,
                    context: grpc.aio.ServicerContext) -> AsyncIterator[pb.Topology]:
        queue: asyncio.Queue[pb.Topology] = asyncio.Queue()
        self.watchers.add(queue)
        try:
            if self.topology.epoch > request.epoch or request.epoch == 0:
                yield to_proto(self.topology)
            while True:
                yield await queue.get()
        finally:
            self.watchers.discard(queue)

    # -- Change ----------------------------------------------------------------------------------

    async def Change(self, request: pb.ChangeRequest,
                     context: grpc.aio.ServicerContext) -> pb.ChangeReply:
        kind = request.WhichOneof("change")
        sender = request.sender
        try:
            if sender not in self.topology.nodes:
                raise TopologyError(f"ERR Unknown node {sender}")
            if kind == "failover":
                await self._failover(sender, request.failover.mode)
            else:
                async with self.lock:
                    topology = self.topology.copy()
                    _apply(topology, sender, request)
                    await self.commit(topology)
                    log("notice", f"{kind} from {sender}: epoch {topology.epoch}")
        except TopologyError as e:
            return pb.ChangeReply(error=str(e), topology=to_proto(self.topology))
        reply = pb.ChangeReply(topology=to_proto(self.topology))
        await self._until_applied(self.topology.epoch, sender)
        return reply

    async def _until_applied(self, epoch: int, sender: str) -> None:
        """Wait (up to APPLY_WAIT) until every connected node serves on `epoch`. An admin
        change is answered then, so the next command a tool sends meets no node with the
        old map: resharding's SETSLOT NODE would otherwise leave a moment in which the old
        owner says MOVED to the new one and the new one, not told yet, MOVED back."""
        def applied() -> bool:
            return all(self.node_epochs.get(n, -1) >= epoch for n in self.sessions if n != sender)

        try:  # asyncio.timeout, not wait_for: see _heartbeats in replication/agent.py
            async with self._applied, asyncio.timeout(APPLY_WAIT):
                await self._applied.wait_for(applied)
        except TimeoutError:
            lagging = [n for n in self.sessions
                       if n != sender and self.node_epochs.get(n, -1) < epoch]
            log("warning", f"Epoch {epoch}: not confirmed by {len(lagging)} node(s) within "
                f"{APPLY_WAIT:.1f}s; answering anyway")

    async def _failover(self, replica: str, mode: str) -> None:
        async with self.lock:
            topology = self.topology.copy()
            shard = topology.shard_of(replica)
            primary = shard.primary
            if primary == replica:
                raise TopologyError("ERR You should send CLUSTER FAILOVER to a replica")
            if not mode:
                session = self.sessions.get(primary)
                if session is None or topology.nodes[primary].failed:
                    raise TopologyError(
                        "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE")
                await self._catch_up(session, replica)
            topology.promote(replica)
            log("notice", f"Manual failover{' ' + mode.upper() if mode else ''}: {replica} "
                f"replaces {primary} (epoch {topology.epoch})")
            await self.commit(topology)

    async def _catch_up(self, primary: NodeSession, replica: str) -> None:
        """Pause the primary's writes and wait for the replica to reach its offset."""
        deadline = time.monotonic() + MANUAL_FAILOVER_TIMEOUT
        self._pause_ids += 1
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        primary.paused[self._pause_ids] = future
        # The pause outlasts the wait by a margin, so it cannot end before the promotion.
        primary.send(pb.CoordinatorMessage(pause_writes=pb.PauseWrites(
            id=self._pause_ids, timeout_ms=int(MANUAL_FAILOVER_TIMEOUT * 2000))))
        try:
            try:
                async with asyncio.timeout(MANUAL_FAILOVER_TIMEOUT):
                    offset = await future
            except TimeoutError:
                raise TopologyError("ERR Manual failover timed out") from None
            while self.offsets.get(replica, -1) < offset:
                if time.monotonic() > deadline:
                    raise TopologyError("ERR Manual failover timed out: the replica did not "
                                        f"catch up with its master's offset {offset}")
                await asyncio.sleep(0.01)
        except TopologyError:
            # Abandoned: the primary takes writes again at once (a zero-length pause).
            primary.send(pb.CoordinatorMessage(pause_writes=pb.PauseWrites(
                id=self._pause_ids, timeout_ms=0)))
            raise

    # -- failure detection -------------------------------------------------------------------

    def start(self) -> None:
        self._detector = asyncio.ensure_future(self._detect())

    async def _detect(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(DETECT_INTERVAL)
            now = time.monotonic()
            if now - last > STALL:
                # The coordinator itself did not run (stopped, swapped out): it could hear
                # nobody, so silence says nothing about the nodes. Start their clocks over,
                # as after a restart.
                log("warning", f"The coordinator stalled for {now - last:.3f}s: every node gets "
                    "a full timeout to be heard again")
                self.started = now
            last = now
            try:
                await self._check_nodes()
            except Exception as e:  # keep detecting whatever one round ran into
                log("warning", f"Failure detection: {type(e).__name__}: {e}")

    async def _check_nodes(self) -> None:
        now = time.monotonic()
        for node_id, node in list(self.topology.nodes.items()):
            if node.failed:
                continue
            timeout = self.timeouts.get(node_id, DEFAULT_NODE_TIMEOUT_MS) / 1000.0
            seen = max(self.last_seen.get(node_id, self.started), self.started)
            if now - seen <= timeout:
                continue
            async with self.lock:
                topology = self.topology.copy()
                if node_id not in topology.nodes or topology.nodes[node_id].failed:
                    continue
                topology.set_failed(node_id, True, int(time.time() * 1000))
                log("notice", f"Marking node {node_id} as failing (no heartbeat for "
                    f"{now - seen:.3f}s).")
                shard = topology.shard_of(node_id)
                if shard.primary == node_id:
                    best = self._best_replica(topology, shard.replicas)
                    if best is not None:
                        topology.promote(best)
                        log("notice", f"Failover: {best} (offset {self.offsets.get(best, 0)}) "
                            f"replaces {node_id} (epoch {topology.epoch})")
                    elif node_id and shard.id in topology.slots:
                        log("warning", f"Primary {node_id} failed with no replica to promote")
                await self.commit(topology)

    def _best_replica(self, topology: Topology, replicas: list[str]) -> str | None:
        live = [r for r in replicas if not topology.nodes[r].failed and r in self.sessions]
        if not live:
            return None
        return max(live, key=lambda r: self.offsets.get(r, 0))


def _apply(topology: Topology, sender: str, request: pb.ChangeRequest) -> None:
    kind = request.WhichOneof("change")
    if kind == "add_slots":
        topology.add_slots(sender, list(request.add_slots.slots))
    elif kind == "del_slots":
        topology.del_slots(sender, list(request.del_slots.slots))
    elif kind == "set_slot":
        s = request.set_slot
        topology.set_slot(sender, s.slot, s.action, s.node or None, s.keys_in_slot,
                          s.replica_migration)
    elif kind == "replicate":
        topology.replicate(sender, request.replicate)
    elif kind == "reset":
        topology.reset(sender, request.reset.new_id or None)
    elif kind == "forget":
        topology.forget(sender, request.forget)
    elif kind == "flush_slots":
        topology.flush_slots(sender)
    else:
        raise TopologyError("ERR unknown change")


def load_topology(path: str) -> Topology:
    """The persisted topology, or an empty one if there is none yet."""
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        return Topology()
    return Topology.from_dict(data)


def _peer_host(peer: str) -> str:
    # grpc peers look like "ipv4:127.0.0.1:5555" or "ipv6:[::1]:5555".
    kind, _, rest = peer.partition(":")
    host = rest.rsplit(":", 1)[0]
    return host.strip("[]") if kind in ("ipv4", "ipv6") else ""


# -- the process -------------------------------------------------------------------------------

async def serve(directory: str, bind: str, port: int) -> None:
    coordinator = Coordinator(directory)
    # No SO_REUSEPORT (gRPC's default): a second coordinator on the port must fail, not
    # quietly share the nodes' sessions with the first.
    server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
    pb_grpc.add_CoordinatorServicer_to_server(coordinator, server)
    address = f"[{bind}]:{port}" if ":" in bind else f"{bind}:{port}"
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError:  # grpc raises where older versions returned 0
        bound = 0
    if bound == 0:
        raise OSError(f"Could not listen on {address} (is the port in use?)")
    await server.start()
    coordinator.start()
    topology = coordinator.topology
    log("notice", f"Coordinator ready on {address}: {len(topology.nodes)} nodes, "
        f"{topology.assigned()} slots assigned, epoch {topology.epoch}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log("warning", "Coordinator shutting down")
    for session in coordinator.sessions.values():
        session.close()
    await server.stop(0.5)


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="slotkv coordinator",
        description="Run the cluster coordinator: the topology authority nodes connect to.")
    parser.add_argument("--port", type=int, default=17000, help="gRPC port (default 17000)")
    parser.add_argument("--bind", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument("--dir", default=".", help="where topology.json lives (default .)")
    opts = parser.parse_args(args)
    os.makedirs(opts.dir, exist_ok=True)
    try:
        load_topology(os.path.join(opts.dir, TOPOLOGY_FILE))
    except (ValueError, KeyError, TypeError) as e:
        print(f"slotkv coordinator: {os.path.join(opts.dir, TOPOLOGY_FILE)} is corrupt: {e}",
              file=sys.stderr)
        return 1
    import uvloop

    try:
        uvloop.run(serve(opts.dir, opts.bind, opts.port))
    except OSError as e:
        print(f"slotkv coordinator: {e}", file=sys.stderr)
        return 1
    return 0
