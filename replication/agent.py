"""A cluster node's link to the coordinator (the node side of `Coordinator.Session`).

Wired by `Cluster.start` (node/cluster.py) when `cluster-coordinator` is set. It keeps one
session open, reconnecting quickly whenever it drops (the coordinator restarting is routine):

- sends Hello (id, announced address, node timeout), then a heartbeat every tenth of the node
  timeout with the node's replication offset and the epoch it serves on (and one at once
  after installing a new topology);
- installs each topology the coordinator pushes (`Cluster.offer`);
- on each ack, renews the write lease from the time that heartbeat was sent and records the
  health of every node (CLUSTER NODES link states, CLUSTER SHARDS offsets);
- on PauseWrites (a manual failover), pauses this primary's writes and answers with the
  offset they stopped at;
- forwards admin changes (`change`) and returns the resulting topology, or raises the error
  Redis would give.

A session that stays silent for a node timeout is torn down and reopened, so a half-open
connection is not mistaken for a live one.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import grpc

from node.errors import CommandError
from node.log import log
from node.topology import Topology
from replication.topology_proto import from_proto
from slotkv.v1 import cluster_pb2 as pb
from slotkv.v1 import cluster_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from node.cluster import Cluster

# gRPC's own reconnect backoff starts at a second and grows to two minutes; a node must be
# back within a fraction of its lease after the coordinator restarts.
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 50),
    ("grpc.min_reconnect_backoff_ms", 50),
    ("grpc.max_reconnect_backoff_ms", 250),
    ("grpc.enable_retries", 0),
]
RETRY_DELAY = 0.05
CHANGE_TIMEOUT = 10.0  # a manual failover may take the coordinator 5 s
CONNECT_WAIT = 2.0  # how long a change waits for a coordinator the node is not in session with


class CoordinatorLink:
    def __init__(self, cluster: "Cluster", address: str) -> None:
        self.cluster = cluster
        self.address = address
        self.channel = grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
        self.stub = pb_grpc.CoordinatorStub(self.channel)
        self.connected_since = 0  # unix ms the current session opened; 0 when down
        self._task: asyncio.Task | None = None
        self._call: Any = None
        self._hello: asyncio.Future | None = None  # the session's Hello while it is written
        self._sent: dict[int, float] = {}  # heartbeat seq -> monotonic send time
        self._last_heard = 0.0
        self._warned = False
        self._beat_now = asyncio.Event()
        # What the session writes after its Hello, in order, by one writer (`_writer`): a
        # gRPC stream takes one write at a time. None while no session is open.
        self._outbox: asyncio.Queue[pb.NodeMessage] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        await self.channel.close(grace=0.1)

    def reannounce(self) -> None:
        """Open a new session (a new Hello), e.g. after the node's address or id changed."""
        if self._hello is not None:
            # A write pending on a call cancelled under it never returns (grpc.aio): the
            # session would wait on it for good, with no heartbeat task yet to notice.
            self._hello.cancel()
        if self._call is not None:
            self._call.cancel()

    # -- the session -----------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                # reannounce() cancelled the call: start over at once
            except grpc.aio.AioRpcError as e:
                if not self._warned:
                    log("warning", f"Coordinator {self.address} unreachable "
                        f"({e.code().name}); serving on the last topology (epoch "
                        f"{self.cluster.topology.epoch}) and retrying")
                    self._warned = True
            except Exception as e:  # a bug must not end the link for good
                log("warning", f"Coordinator session failed: {type(e).__name__}: {e}")
            if self.connected_since:
                log("warning", f"Lost the coordinator session with {self.address}")
            self.connected_since = 0
            self._call = None
            await asyncio.sleep(RETRY_DELAY)

    async def _session(self) -> None:
        cluster = self.cluster
        call = self.stub.Session()
        self._call = call
        a = cluster.announcement()
        self._hello = asyncio.ensure_future(call.write(pb.NodeMessage(hello=pb.NodeHello(
            id=cluster.myid, host=a["host"], port=a["port"], bus_port=a["bus_port"],
            hostname=a["hostname"], epoch=cluster.topology.epoch,
            node_timeout_ms=cluster.node_timeout))))
        try:
            await self._hello  # cancelled by reannounce: CancelledError, and _run starts over
        finally:
            self._hello = None
        self._last_heard = time.monotonic()
        self._outbox = outbox = asyncio.Queue()
        writer = asyncio.ensure_future(self._writer(call, outbox))
        beats = asyncio.ensure_future(self._heartbeats(call))
        fresh = True
        try:
            while True:
                msg = await call.read()
                if msg is grpc.aio.EOF:
                    return
                self._last_heard = time.monotonic()
                kind = msg.WhichOneof("kind")
                if kind == "topology":
                    topology = from_proto(msg.topology)
                    cluster.updates_received += 1
                    cluster.offer(topology, fresh)
                    # A heartbeat now tells the coordinator this epoch is in force here (it
                    # answers an admin change once every node serves on it).
                    self._beat_now.set()
                    if fresh:
                        fresh = False
                        self.connected_since = int(time.time() * 1000)
                        self._warned = False
                        log("notice", f"Coordinator session open with {self.address} "
                            f"(epoch {topology.epoch})")
                elif kind == "ack":
                    cluster.acks_received += 1
                    sent = self._sent.pop(msg.ack.seq, None)
                    if sent is not None:
                        cluster.renew_lease(sent)
                    cluster.health = {h.id: (h.connected, h.repl_offset, h.last_seen)
                                      for h in msg.ack.health}
                elif kind == "pause_writes":
                    asyncio.ensure_future(self._pause(msg.pause_writes))
                elif kind == "publish":
                    p = msg.publish
                    cluster.server.pubsub.publish(p.channel, p.message, shard=p.shard)
        finally:
            self._outbox = None
            beats.cancel()
            writer.cancel()
            call.cancel()

    def send(self, msg: pb.NodeMessage) -> None:
        """Queue a message for the open session (dropped when there is none)."""
        if self._outbox is not None:
            self._outbox.put_nowait(msg)

    def publish(self, channel: bytes, message: bytes, shard: bool) -> None:
        """A PUBLISH (or SPUBLISH) ran here: the coordinator passes it to the other nodes."""
        self.send(pb.NodeMessage(publish=pb.Publish(channel=channel, message=message,
                                                    shard=shard)))

    async def _writer(self, call: Any, outbox: asyncio.Queue[pb.NodeMessage]) -> None:
        try:
            while True:
                await call.write(await outbox.get())
        except (grpc.aio.AioRpcError, grpc.aio.UsageError):
            call.cancel()  # the stream broke: end the session, _run opens a new one

    async def _heartbeats(self, call: Any) -> None:
        cluster = self.cluster
        seq = 0
        while True:
            timeout = max(cluster.node_timeout, 20) / 1000.0
            if time.monotonic() - self._last_heard > timeout:
                log("warning", f"No word from the coordinator for {timeout:.3f}s: reconnecting")
                call.cancel()
                return
            seq += 1
            self._sent[seq] = time.monotonic()
            if len(self._sent) > 64:  # acks that never came
                for old in sorted(self._sent)[:-64]:
                    del self._sent[old]
            self.send(pb.NodeMessage(heartbeat=pb.Heartbeat(
                seq=seq, repl_offset=cluster.repl_offset(), epoch=cluster.topology.epoch,
                node_timeout_ms=cluster.node_timeout)))
            cluster.heartbeats_sent += 1
            # The next beat, or at once when a new topology was installed. (Not wait_for: on
            # Python 3.11 it can swallow the session's cancel when the event is set at the
            # same moment, leaving this loop beating for a session that is gone.)
            try:
                async with asyncio.timeout(min(max(timeout / 10, 0.01), 1.0)):
                    await self._beat_now.wait()
            except TimeoutError:
                pass
            self._beat_now.clear()

    async def _pause(self, order: pb.PauseWrites) -> None:
        server = self.cluster.server
        if not order.timeout_ms:  # the manual failover was abandoned
            if self.cluster.paused_for_failover:
                self.cluster.paused_for_failover = False
                server.unpause(server.PAUSE_FAILOVER)
            return
        server.pause(order.timeout_ms / 1000.0, writes_only=True, purpose=server.PAUSE_FAILOVER)
        self.cluster.paused_for_failover = True
        await asyncio.sleep(0)  # let this tick's propagated writes reach the offset
        log("notice", "Manual failover requested: writes paused at replication offset "
            f"{self.cluster.repl_offset()}")
        self.send(pb.NodeMessage(paused=pb.Paused(
            id=order.id, repl_offset=self.cluster.repl_offset())))

    # -- admin changes -----------------------------------------------------------------------------

    async def change(self, op: str, args: tuple) -> Topology:
        request = _request(self.cluster.myid, op, args)
        # Waiting for the channel covers a coordinator that is restarting (the session is
        # back within a fraction of a second); one that stays down is an error soon enough.
        timeout = CHANGE_TIMEOUT if self.connected_since else CONNECT_WAIT
        try:
            reply = await self.stub.Change(request, timeout=timeout, wait_for_ready=True)
        except grpc.aio.AioRpcError as e:
            raise CommandError(f"ERR the cluster coordinator at {self.address} is unreachable "
                               f"({e.code().name})") from None
        if reply.error:
            raise CommandError(reply.error)
        return from_proto(reply.topology)


def _request(sender: str, op: str, args: tuple) -> pb.ChangeRequest:
    if op == "add_slots":
        return pb.ChangeRequest(sender=sender, add_slots=pb.SlotList(slots=args[0]))
    if op == "del_slots":
        return pb.ChangeRequest(sender=sender, del_slots=pb.SlotList(slots=args[0]))
    if op == "set_slot":
        slot, action, node, keys, migration = args
        return pb.ChangeRequest(sender=sender, set_slot=pb.SetSlot(
            slot=slot, action=action, node=node or "", keys_in_slot=keys,
            replica_migration=migration))
    if op == "replicate":
        return pb.ChangeRequest(sender=sender, replicate=args[0])
    if op == "failover":
        return pb.ChangeRequest(sender=sender, failover=pb.Failover(mode=args[0]))
    if op == "reset":
        return pb.ChangeRequest(sender=sender, reset=pb.Reset(new_id=args[0]))
    if op == "forget":
        return pb.ChangeRequest(sender=sender, forget=args[0])
    if op == "flush_slots":
        return pb.ChangeRequest(sender=sender, flush_slots=True)
    raise ValueError(f"unknown change {op}")
