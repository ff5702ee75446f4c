"""The primary's side: the gRPC service replicas sync from, and one link per replica.

Every replica is a `ReplicaLink`. Its writer runs inside the replica's `Sync` call: after the
answer to the Hello (see proto/slotkv/v1/replication.proto) it sends the snapshot if there is
one, then whatever stream bytes have queued up, as one Data message per send. Ticks that
arrive while a send is in flight, or within COALESCE of the previous one, are joined into the
next message, so the number of messages (and their gRPC cost) stays bounded however high the
write rate climbs, at the price of a couple of milliseconds of lag.

The queue holds references to the tick buffers the backlog holds too, so a link costs no
copies until its bytes are joined for sending. It is bounded by Redis's
`client-output-buffer-limit replica` class (256 MB hard, 64 MB for 60 s soft): a replica that
cannot keep up is dropped, never waited for, and comes back with a partial resync if the
backlog still covers it, or a full one.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, BinaryIO

import grpc

from node.log import log
from replication import security, wire
from slotkv.v1 import replication_pb2 as pb
from slotkv.v1 import replication_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from replication.manager import Replication

SNAPSHOT_CHUNK = 1024 * 1024
# Under load, a link sends at most one Data message per COALESCE seconds (unless WAIT wants an
# ack, or COALESCE_BYTES are queued): each gRPC message costs the primary tens of
# microseconds, a few milliseconds of extra lag cost nothing.
COALESCE = 0.01
COALESCE_BYTES = 1024 * 1024
# Unlimited: a Data message carries whole ticks (see ReplicaLink._stream), which can be large.
CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
    ("grpc.keepalive_time_ms", 10000),
    ("grpc.keepalive_timeout_ms", 10000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
]
SERVER_OPTIONS = CHANNEL_OPTIONS + [
    ("grpc.http2.min_ping_interval_without_data_ms", 5000),
    ("grpc.so_reuseport", 0),
]


class Refused(Exception):
    """A Hello the primary turns down: a gRPC status and Redis's error text."""

    def __init__(self, code: grpc.StatusCode, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


class ReplicaLink:
    """One replica attached to this node, as its primary sees it."""

    def __init__(self, manager: "Replication", hello: pb.Hello, peer: str) -> None:
        self.manager = manager
        self.node_id = hello.node_id
        self.ip = hello.announce_ip or _peer_host(peer)
        self.port = hello.listening_port
        self.repl_port = hello.replication_port  # where a FAILOVER to it connects (0: unknown)
        self.priority = hello.priority
        self.addr = f"{self.ip}:{self.port}"
        self.state = "wait_bgsave"  # wait_bgsave -> send_bulk -> online (INFO's names)
        self.ack_offset = 0
        self.ack_aof_offset = -1
        self.ack_time = time.monotonic()
        self.last_send = time.monotonic()
        self.offset = 0  # stream offset of the first queued byte (the next to send)
        self.queue: list[bytes] = []
        self.queued = 0
        self.soft_since = 0.0
        self.ack_requested = False
        self.ping_due = False
        self.snapshot: asyncio.Future | None = None  # (file, size, offset, replid) when ready
        self.closed = False
        self.close_reason = ""
        self._waiter: asyncio.Future | None = None  # idle: any new byte wakes the writer
        self._pause: asyncio.Future | None = None  # coalescing: only an ack request does
        self._tasks: list[asyncio.Task] = []

    # -- fed by the manager ------------------------------------------------------------------

    def start_stream(self, offset: int, backlog: bytes = b"") -> None:
        """From now on the link queues the stream, which continues from `offset`."""
        self.offset = offset
        self.queue = [backlog] if backlog else []
        self.queued = len(backlog)

    def push(self, data: bytes) -> None:
        """One tick of the stream (the hot path: one call per tick per replica)."""
        self.queue.append(data)
        self.queued += len(data)
        if self.queued > self.manager.obuf_soft:
            self._check_limits()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def kick(self) -> None:
        for waiter in (self._waiter, self._pause):
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def request_ack(self) -> None:
        if self.state == "online":
            self.ack_requested = True
            self.kick()

    def _check_limits(self) -> None:
        hard, soft, secs = self.manager.obuf_limits
        now = time.monotonic()
        if hard and self.queued > hard:
            self.close("overcoming of output buffer limits")
        elif soft and self.queued > soft:
            if not self.soft_since:
                self.soft_since = now
            elif now - self.soft_since >= secs:
                self.close("overcoming of output buffer limits")
        else:
            self.soft_since = 0.0

    def close(self, reason: str, quiet: bool = False) -> None:
        """Drop the replica (it reconnects and resyncs)."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        if not quiet:
            log("warning", f"Client id={self.node_id[:8]} addr={self.addr} (replica) scheduled "
                f"to be closed ASAP for {reason}.")
        for task in self._tasks:
            task.cancel()

    # -- the call ----------------------------------------------------------------------------

    async def serve(self, context: grpc.aio.ServicerContext, answer: pb.PrimaryMessage | None) -> None:
        """Run the call: the writer (this task's child) and the ack reader, until either ends."""
        writer = asyncio.ensure_future(self._write(context, answer))
        reader = asyncio.ensure_future(self._read_acks(context))
        self._tasks = [writer, reader]
        if self.closed:  # closed before the tasks existed
            writer.cancel()
            reader.cancel()
        try:
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
        for task in self._tasks:
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                if not isinstance(exc, (grpc.aio.AioRpcError, asyncio.InvalidStateError)):
                    log("warning", f"Replication link with replica {self.addr} failed: {exc!r}")

    async def _read_acks(self, context: grpc.aio.ServicerContext) -> None:
        manager = self.manager
        while True:
            msg = await context.read()
            if msg is grpc.aio.EOF:
                return
            if msg.WhichOneof("kind") == "ack":
                self.ack_offset = msg.ack.offset
                self.ack_aof_offset = msg.ack.aof_offset
                self.ack_time = time.monotonic()
                manager.acked(self)

    async def _write(self, context: grpc.aio.ServicerContext, answer: pb.PrimaryMessage | None) -> None:
        if answer is not None:  # a partial resync: the backlog's bytes are already queued
            await context.write(answer)
        else:
            await self._send_snapshot(context)
        self.state = "online"
        self.manager.online(self)
        await self._stream(context)

    async def _send_snapshot(self, context: grpc.aio.ServicerContext) -> None:
        assert self.snapshot is not None
        f, size, offset, replid = await self.snapshot
        server = self.manager.server  # (its `stats`, read each time: CONFIG RESETSTAT replaces it)
        try:
            self.state = "send_bulk"
            await context.write(pb.PrimaryMessage(full_sync=pb.FullSync(
                replid=replid, offset=offset, size=size)))
            while True:
                chunk = f.read(SNAPSHOT_CHUNK)
                if not chunk:
                    break
                await context.write(wire.chunk_message(chunk))
                server.stats.repl_output_bytes += len(chunk)
            await context.write(pb.PrimaryMessage(snapshot_end=pb.SnapshotEnd()))
        finally:
            f.close()
        log("notice", f"Synchronization with replica {self.addr} succeeded")

    async def _stream(self, context: grpc.aio.ServicerContext) -> None:
        loop = asyncio.get_running_loop()
        server = self.manager.server  # (its `stats`, read each time: CONFIG RESETSTAT replaces it)
        write = context.write
        while True:
            if not self.queue and not self.ack_requested and not self.ping_due:
                self._waiter = loop.create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
                continue
            queue = self.queue
            if queue:
                data = b"".join(queue) if len(queue) > 1 else queue[0]
                self.queue = []
                self.queued = 0
                self.soft_since = 0.0
            else:
                data = b""
            ack, self.ack_requested = self.ack_requested, False
            if data or ack:
                msg = wire.data_message(self.offset, data, ack)
                self.offset += len(data)
                server.stats.repl_output_bytes += len(data)
            else:
                msg = PING
            self.ping_due = False
            self.last_send = time.monotonic()
            await write(msg)
            if self.queue and not self.ack_requested and self.queued < COALESCE_BYTES:
                # Busy: let ticks gather for a moment rather than send each on its own.
                pause = self._pause = loop.create_future()
                timer = loop.call_later(COALESCE, _resolve, pause)
                try:
                    await pause
                finally:
                    timer.cancel()
                    self._pause = None


PING = pb.PrimaryMessage(ping=pb.Ping())


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _peer_host(peer: str) -> str:
    # grpc peers read "ipv4:127.0.0.1:5000" or "ipv6:[::1]:5000".
    kind, _, rest = peer.partition(":")
    host = rest.rsplit(":", 1)[0] if rest else peer
    return host.strip("[]") if kind == "ipv6" else host


class ReplicationService(pb_grpc.ReplicationServicer):
    """The Sync call: check the Hello, attach the replica, run its link."""

    def __init__(self, manager: "Replication") -> None:
        self.manager = manager

    async def Sync(self, request_iterator: Any, context: grpc.aio.ServicerContext) -> None:  # noqa: N802
        first = await context.read()
        if first is grpc.aio.EOF or first.WhichOneof("kind") != "hello":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "ERR the first message must be a Hello")
        hello = first.hello
        link = ReplicaLink(self.manager, hello, context.peer())
        refusal = security.check_secret(self.manager.server.acl, hello.user, hello.password)
        if refusal is not None:
            log("warning", f"Replica {link.addr} refused: {refusal}")
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, refusal)
        try:
            answer = self.manager.attach(link, hello)
        except Refused as e:
            await context.abort(e.code, e.text)
        try:
            await link.serve(context, answer)
        finally:
            self.manager.detach(link)
        if link.closed:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"ERR {link.close_reason}")


async def start_server(manager: "Replication", hosts: list[str], port: int) -> tuple[grpc.aio.Server, list[str]]:
    """The replication listener on `port` at every host; raises OSError if none binds."""
    creds = security.server_credentials(manager.config)
    server = grpc.aio.server(options=SERVER_OPTIONS)
    # As the generated add_ReplicationServicer_to_server, with the hand-made serializer for
    # the bulk messages (replication/wire.py).
    service = ReplicationService(manager)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "slotkv.v1.Replication", {"Sync": grpc.stream_stream_rpc_method_handler(
            service.Sync, request_deserializer=wire.parse_replica_message,
            response_serializer=wire.serialize)}),))
    bound: list[str] = []
    errors: list[str] = []
    for host, optional in hosts:
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            got = (server.add_secure_port(target, creds) if creds is not None
                   else server.add_insecure_port(target))
        except RuntimeError as e:
            got = 0
            if not optional:
                errors.append(f"{target}: {e}")
            continue
        if got:
            bound.append(target)
        elif not optional:
            errors.append(f"{target}: address in use or unavailable")
    if not bound or errors:
        await server.stop(None)
        raise OSError(f"Could not listen for replicas on {', '.join(errors) or port}")
    await server.start()
    return server, bound


def open_snapshot(path: str) -> tuple[BinaryIO, int]:
    f = open(path, "rb")
    f.seek(0, 2)
    size = f.tell()
    f.seek(0)
    return f, size
