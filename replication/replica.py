"""The replica's side: follow a primary over its Sync call and apply what it sends.

`MasterLink` connects (with a short backoff between attempts), says which history it holds
(replication id and offset), and gets either a partial resync or a snapshot to load. The
stream is applied through the command dispatcher that serves clients, by a pseudo-client
(`MasterClient`) that replies to no one and may write on a read-only replica; its bytes then
go on, unchanged, into this node's own propagation stream, so the replica's backlog (and AOF,
and its own replicas) hold exactly the primary's bytes at the primary's offsets (PSYNC2).

Acks report the applied offset once a second and at once when a Data message asks (WAIT).
Every Data message ends on a tick boundary of the primary's stream, so when its bytes have
been fed to the dispatcher every command in them has run: the applied offset is the
received one.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING, Any

import grpc

from node.client import Client
from node.log import log
from replication import security
from replication.primary import CHANNEL_OPTIONS
from slotkv.v1 import replication_pb2 as pb
from slotkv.v1 import replication_pb2_grpc as pb_grpc

if TYPE_CHECKING:
    from replication.manager import Replication

ACK_PERIOD = 1.0  # seconds, as Redis's replicationCron sends REPLCONF ACK
BACKOFF_MIN, BACKOFF_MAX = 0.1, 1.0


class MasterClient(Client):
    """The pseudo-client a replica runs its primary's stream through."""

    MUST_OBEY = True
    PROPAGATES = False  # the stream goes on as it came (Replication.apply)

    def __init__(self, server: Any) -> None:
        super().__init__(server)
        self.authenticated = True
        self.addr = "master"
        self._errors_seen = 0  # the server's error count at the last flush

    def flush(self) -> None:
        # Nobody reads these replies; an error among them means the datasets diverged. Only
        # when the error count moved are they looked at: the replies are pieces, and a bulk
        # value on its own (GETSET's "-1") may start with "-" too.
        out = self.out
        errors = sum(self.server.stats.errors.values())
        if errors != self._errors_seen:
            self._errors_seen = errors
            for reply in out:
                if reply[:1] == b"-" and reply[-2:] == b"\r\n":
                    log("warning", "== CRITICAL == This replica is sending an error to its "
                        f"master: '{reply.decode('utf-8', 'replace').strip()}' after processing "
                        f"the command '{self.last_command.name if self.last_command else '?'}'")
        out.clear()

    def flush_later(self) -> None:
        self.flush()  # nothing to wait for: no socket

    def client_type(self) -> str:
        return "master"


class LinkError(Exception):
    """The primary refused or broke the protocol; the text is for the log and INFO."""


class MasterLink:
    """This node's link to its primary while it is a replica."""

    def __init__(self, manager: "Replication", host: str, port: int, repl_port: int = 0) -> None:
        self.manager = manager
        self.host = host
        self.port = port
        self.repl_port = repl_port
        # connect -> connecting -> sync (receiving a snapshot) -> connected (ROLE's names)
        self._state = "connect"
        self.last_io = 0.0  # monotonic time of the last message from the primary
        self.down_since = 0.0  # wall time the link went down (0: never up)
        self.last_error = ""
        self.transfer_size = -1
        self.transfer_read = 0
        self.transfer_last_io = 0.0
        self.read_offset = 0  # stream bytes received (slave_read_repl_offset)
        self._task: asyncio.Task | None = None
        self._call: Any = None
        self._channel: grpc.aio.Channel | None = None
        self._ack_wanted: asyncio.Event | None = None
        self._stopped = False

    @property
    def target(self) -> str:
        port = self.repl_port or self.manager.config["master-replication-port"] or self.port + 10000
        return f"[{self.host}]:{port}" if ":" in self.host else f"{self.host}:{port}"

    @property
    def state(self) -> str:
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        self._state = value
        if self.manager.link is self:  # a stopped link that winds down changes nothing
            self.manager.refresh_stale_gate()

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        """Stop following the primary, now: nothing more is applied after this returns."""
        self._stopped = True
        if self._task is not None:
            self._task.cancel()  # a read that already completed is not resumed either

    async def closed(self) -> None:
        """Wait until the stopped link has let go of its connection."""
        if self._task is not None:
            try:
                await self._task
            except BaseException:
                pass
        await self._close_channel()

    def ack_soon(self) -> None:
        """Ack now rather than at the next second (the AOF fsynced more: WAITAOF)."""
        if self._ack_wanted is not None and self.state == "connected":
            self._ack_wanted.set()

    def drop(self) -> None:
        """End the current session (a timeout); the link reconnects."""
        if self._call is not None:
            self._call.cancel()

    async def _close_channel(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            try:
                await channel.close(None)
            except BaseException:
                pass

    # -- the session loop --------------------------------------------------------------------

    async def _run(self) -> None:
        backoff = BACKOFF_MIN
        while not self._stopped:
            log("notice", f"Connecting to MASTER {self.host}:{self.port}")
            connected = False
            try:
                connected = await self._session()
            except asyncio.CancelledError:
                if self._stopped:
                    raise
                # drop(): the call was cancelled under us (a timeout); connect again.
            except grpc.aio.AioRpcError as e:
                self._failed(e)
            except LinkError as e:
                self.last_error = str(e)
                log("warning", str(e))
            except (OSError, security.TLSConfigError) as e:
                self.last_error = str(e)
                log("warning", f"Error condition on socket for SYNC: {e}")
            except Exception as e:  # a bug must not end replication for good
                self.last_error = repr(e)
                log("warning", f"Replication link failed: {e!r}")
            finally:
                self._call = None
                await self._close_channel()
            if self.state in ("connected", "sync") or connected:
                log("notice", "Connection with master lost.")
                self.down_since = time.time()
            self.state = "connect"
            if self._stopped:
                return
            backoff = BACKOFF_MIN if connected else min(backoff * 2, BACKOFF_MAX)
            await asyncio.sleep(backoff)

    def _failed(self, e: grpc.aio.AioRpcError) -> None:
        code = e.code()
        details = e.details() or ""
        if code == grpc.StatusCode.UNAUTHENTICATED:
            if details.startswith("NOAUTH"):
                text = f"MASTER aborted replication with an error: {details}"
            else:
                text = f"Unable to AUTH to MASTER: -{details}"
        elif code == grpc.StatusCode.UNAVAILABLE:
            text = f"Error condition on socket for SYNC: {details}"
        elif code == grpc.StatusCode.CANCELLED:
            text = ""
        else:
            text = f"MASTER aborted replication with an error: {details}"
            # Refused, not unreachable: a handover's target said no. (Scheduled: going back
            # to a primary stops this link, which is running this.)
            asyncio.get_running_loop().call_soon(self.manager.failover.rejected)
        if text:
            self.last_error = text
            log("warning", text)

    async def _session(self) -> bool:
        """One connection: handshake, sync, then apply until it breaks. True once synced."""
        manager = self.manager
        config = manager.config
        creds = security.channel_credentials(config)
        self._channel = (grpc.aio.secure_channel(self.target, creds, options=CHANNEL_OPTIONS)
                         if creds is not None else
                         grpc.aio.insecure_channel(self.target, options=CHANNEL_OPTIONS))
        stub = pb_grpc.ReplicationStub(self._channel)
        self.state = "connecting"
        log("notice", "MASTER <-> REPLICA sync started")
        call = self._call = stub.Sync()
        replid, offset = manager.psync_position()
        await call.write(pb.ReplicaMessage(hello=pb.Hello(
            replid=replid, offset=offset, user=config["masteruser"],
            password=config["masterauth"], node_id=manager.server.run_id,
            listening_port=config["replica-announce-port"] or (
                manager.server.ports[0] if manager.server.ports else config["port"]),
            announce_ip=config["replica-announce-ip"], priority=config["replica-priority"],
            replication_port=manager.replication_port,
            failover=manager.failover.in_progress)))
        msg = await call.read()
        if msg is grpc.aio.EOF:
            raise LinkError("MASTER closed the link before answering the sync request")
        kind = msg.WhichOneof("kind")
        self.last_io = time.monotonic()
        if kind == "resume":
            log("notice", "Trying a partial resynchronization (request "
                f"{replid}:{offset + 1}).")
            manager.resumed(msg.resume.replid, msg.resume.offset)
        elif kind == "full_sync":
            if replid == "?":
                log("notice", "Partial resynchronization not possible (no cached master)")
            await self._receive_snapshot(call, msg.full_sync)
        else:
            raise LinkError(f"MASTER sent '{kind}' instead of answering the sync request")
        manager.failover.answered()  # (a handover's Hello: the target took over)
        self.state = "connected"
        self.last_error = ""
        self.read_offset = manager.offset
        self._ack_wanted = asyncio.Event()
        acker = asyncio.ensure_future(self._acks(call))
        try:
            self._ack_wanted.set()  # ack at once: the primary learns where we are
            await self._apply_stream(call)
        finally:
            acker.cancel()
            try:
                await acker
            except BaseException:
                pass
        return True

    async def _receive_snapshot(self, call: Any, header: pb.FullSync) -> None:
        manager = self.manager
        log("notice", f"Full resync from master: {header.replid}:{header.offset}")
        self.state = "sync"
        self.transfer_size = header.size
        self.transfer_read = 0
        self.transfer_last_io = time.monotonic()
        path = f"temp-{os.getpid()}.{int(time.time())}.sync"
        log("notice", "MASTER <-> REPLICA sync: receiving "
            f"{header.size} bytes from master to disk")
        try:
            with open(path, "wb") as f:
                while True:
                    msg = await call.read()
                    if msg is grpc.aio.EOF:
                        raise LinkError("MASTER <-> REPLICA sync: the master closed the link "
                                        "during the transfer")
                    now = time.monotonic()
                    self.last_io = self.transfer_last_io = now
                    kind = msg.WhichOneof("kind")
                    if kind == "chunk":
                        f.write(msg.chunk.data)
                        self.transfer_read += len(msg.chunk.data)
                        manager.server.stats.repl_input_bytes += len(msg.chunk.data)
                    elif kind == "snapshot_end":
                        break
                    elif kind != "ping":
                        raise LinkError(f"MASTER <-> REPLICA sync: unexpected '{kind}' during the transfer")
            if self.transfer_read != header.size:
                raise LinkError(f"MASTER <-> REPLICA sync: short transfer ({self.transfer_read} "
                                f"of {header.size} bytes)")
            manager.load_snapshot(path, header.replid, header.offset)
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass
            self.transfer_size = -1

    async def _apply_stream(self, call: Any) -> None:
        manager = self.manager
        server = manager.server  # (its `stats`, read each time: CONFIG RESETSTAT replaces it)
        apply = manager.apply
        ack_wanted = self._ack_wanted
        assert ack_wanted is not None
        while True:
            msg = await call.read()
            if msg is grpc.aio.EOF:
                return
            self.last_io = time.monotonic()
            if msg.WhichOneof("kind") != "data":
                continue  # a Ping: last_io is all it is for
            data = msg.data
            payload = data.payload
            if payload:
                if data.offset != self.read_offset:
                    raise LinkError(f"MASTER sent offset {data.offset}, expected {self.read_offset}")
                self.read_offset += len(payload)
                server.stats.repl_input_bytes += len(payload)
                apply(payload)
            if data.reply_ack:
                ack_wanted.set()

    async def _acks(self, call: Any) -> None:
        loop = asyncio.get_running_loop()
        wanted = self._ack_wanted
        assert wanted is not None
        handle = None

        def tick() -> None:
            nonlocal handle
            wanted.set()
            handle = loop.call_later(ACK_PERIOD, tick)

        handle = loop.call_later(ACK_PERIOD, tick)
        try:
            while True:
                await wanted.wait()
                wanted.clear()
                offset, aof_offset = self.manager.ack_position()
                await call.write(pb.ReplicaMessage(ack=pb.Ack(offset=offset, aof_offset=aof_offset)))
        finally:
            if handle is not None:
                handle.cancel()
