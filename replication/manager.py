"""A node's replication state and the operations on it, as Redis's replication.c keeps them.

One `Replication` per server (`server.replication`, wired up at start). It knows:

- the role: primary, or replica of `master_host:master_port` (with its `MasterLink`);
- the history the dataset follows: the replication id, the offset in it (the propagation
  stream's, `master_repl_offset`), and the previous id with the offset up to which it is
  valid (`replid2`, `second_repl_offset`), so that replicas of a primary that was replaced
  can carry on with its successor without a snapshot (PSYNC2);
- the backlog and the replicas attached to this node, with what each acknowledged;
- clients in WAIT, and whether writes are refused (read-only replica, `min-replicas-*`).

The operations the cluster coordinator drives are plain methods: `become_primary()` (what
`REPLICAOF NO ONE` does), `become_replica(host, port[, repl_port])`, `offset` (this node's
position in its history: on a replica, how much of its primary's stream it applied),
`replica_offsets()` (what each attached replica acknowledged), `replid`/`replid2`.

The replication listener is a gRPC server on the node's event loop, on `replication-port`
(by default the client port + 10000, Redis Cluster's bus convention). A replica reaches its
primary at the primary's client port + 10000 unless `master-replication-port` says otherwise.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc

from node import rdb
from node.aof import OFF as AOF_OFF
from node.blocking import block
from node.errors import CommandError
from node.log import log
from replication.backlog import Backlog
from replication.failover import Failover
from replication.primary import ReplicaLink, Refused, open_snapshot, start_server
from replication.replica import MasterClient, MasterLink
from slotkv.v1 import replication_pb2 as pb

if TYPE_CHECKING:
    from node.client import Client
    from node.server import Server

NO_ID = "0" * 40
CRON_PERIOD = 0.1
SWITCH_INTERVAL = 0.001  # seconds (see start)
READONLY = CommandError("READONLY You can't write against a read only replica.")
NOREPLICAS = CommandError("NOREPLICAS Not enough good replicas to write.")
MASTERDOWN = CommandError("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is "
                          "set to 'no'.")
UNBLOCKED_ROLE = ("UNBLOCKED force unblock from blocking operation, instance state changed "
                  "(master -> replica?)")


def _wait_done(reply: Any, numreplicas: int, aof_local: int) -> bool:
    if aof_local < 0:
        return reply >= numreplicas
    return reply[0] >= aof_local and reply[1] >= numreplicas


def new_replid() -> str:
    return os.urandom(20).hex()


@dataclass
class _Waiter:
    client: "Client"
    offset: int
    numreplicas: int
    aof_local: int  # WAITAOF: 1 if the local AOF must have it, else 0 (-1 for WAIT)


class Replication:
    def __init__(self, server: "Server") -> None:
        self.server = server
        self.config = server.config
        self.propagation = server.propagation
        self.replid = new_replid()
        self.replid2 = NO_ID
        self.second_offset = -1  # replid2 is valid for offsets up to this one (-1: none)
        self.backlog: Backlog | None = None
        self.links: list[ReplicaLink] = []  # every attached replica, in attach order
        self._streaming: list[ReplicaLink] = []  # those that queue the live stream
        self._pending_full: list[ReplicaLink] = []  # waiting for a snapshot child
        self.master_host: str | None = None
        self.master_port = 0
        self._repl_port = 0
        self.link: MasterLink | None = None
        self.master_client: MasterClient | None = None
        self.history_known = False  # our id/offset name a real history a primary may continue
        # A primary made a replica at run time keeps its own offset as the one it holds, even
        # 0 (Redis's replicationCacheMasterUsingMyself); only a node started as a replica with
        # no history shows Redis's placeholder offset 1 in INFO.
        self.offset_cached = False
        self.no_replicas_since = time.monotonic()
        self.good_replicas = 0
        self.waiters: list[_Waiter] = []
        self.failover = Failover(self)
        self.listener: grpc.aio.Server | None = None
        self.listen_addrs: list[str] = []
        self.replication_port = 0
        self._cron: asyncio.TimerHandle | None = None
        self._snapshot_seq = 0
        self.obuf_limits: tuple[int, int, int] = (0, 0, 0)
        self.obuf_soft = 1 << 62
        self._set_obuf(self.config["client-output-buffer-limit"])
        cfg = self.config
        server.aof.on_fsynced.append(self._aof_fsynced)
        cfg.listen("client-output-buffer-limit", self._set_obuf)
        cfg.listen("repl-backlog-size", self._resize_backlog)
        for name in ("replica-read-only", "min-replicas-to-write", "min-replicas-max-lag"):
            cfg.listen(name, lambda _v: self.refresh_good_replicas())
        cfg.listen("replica-serve-stale-data", lambda _v: self.refresh_stale_gate())

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen for replicas; follow `replicaof` if configured."""
        cfg = self.config
        # gRPC's completion-queue thread needs the GIL to hand each finished read or write to
        # the event loop; a busy loop only lets go of it every switch interval (5 ms by
        # default), which would add that much to every message's trip.
        sys.setswitchinterval(SWITCH_INTERVAL)
        port = cfg["replication-port"] or cfg["port"] + 10000
        if port > 65535:
            log("warning", f"Replication listener not started: port {port} is out of range "
                "(set replication-port); no replica can attach to this node")
        else:
            from node.server import _bind_hosts

            try:
                self.listener, self.listen_addrs = await start_server(
                    self, _bind_hosts(cfg["bind"]), port)
                log("notice", f"Replication listening on {', '.join(self.listen_addrs)}"
                    + (" (TLS)" if cfg["tls-replication"] else ""))
            except OSError as e:
                log("warning", f"{e}; no replica can attach to this node (set replication-port)")
        self.replication_port = port
        self._schedule_cron()
        self.refresh_good_replicas()
        value = cfg["replicaof"]
        if value:
            # The link starts once the dataset is loaded (dataset_loaded): what it asks the
            # primary for depends on what the snapshot on disk holds.
            host, port_text = value.split()
            self.become_replica(host, int(port_text), connect=False)

    async def stop(self) -> None:
        if self._cron is not None:
            self._cron.cancel()
        await self._wait_for_replicas()
        if self.link is not None:
            self.link.stop()
            await self.link.closed()
        for link in list(self.links):
            link.close("shutdown", quiet=True)
        if self.listener is not None:
            await self.listener.stop(0.5)

    async def _wait_for_replicas(self) -> None:
        """As Redis 7 shuts a primary down: writes paused, up to `shutdown-timeout` seconds
        for every online replica to acknowledge the whole stream, so none is left behind."""
        timeout = self.config["shutdown-timeout"]
        target = self.offset
        online = [l for l in self.links if l.state == "online"]
        if self.is_replica or not timeout or all(l.ack_offset >= target for l in online):
            return
        log("notice", "Waiting for replicas before shutting down.")
        self.server.pause(timeout, writes_only=True, purpose=self.server.PAUSE_SHUTDOWN)
        for link in online:
            link.request_ack()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
                l.ack_offset < target for l in online if not l.closed):
            await asyncio.sleep(0.01)
        for link in online:
            if link.ack_offset < target:
                log("warning", f"Lagging replica {link.addr} reported offset {link.ack_offset} "
                    f"behind master, lag={int(time.monotonic() - link.ack_time)}, state={link.state}.")
        synced = sum(1 for l in online if l.ack_offset >= target)
        log("notice", f"{synced} of {len(online)} replicas are in sync when shutting down.")

    # -- offsets -----------------------------------------------------------------------------

    @property
    def offset(self) -> int:
        """master_repl_offset: the end of this node's stream, including this tick's bytes."""
        propagation = self.propagation
        if propagation.batch_owner is not None:
            propagation.spill()  # asked mid-chunk (INFO after writes): count them
        return propagation.offset + propagation.queued

    @property
    def is_replica(self) -> bool:
        return self.master_host is not None

    def psync_position(self) -> tuple[str, int]:
        """The (replication id, offset) a replica asks its primary to continue from."""
        if not self.history_known and self.offset == 0:
            return "?", 0
        return self.replid, self.offset

    def ack_position(self) -> tuple[int, int]:
        return self.offset, self.aof_offset()

    def aof_offset(self) -> int:
        """The stream offset this node's AOF has fsynced (node/aof.py), or -1 with no AOF."""
        if not self.config["appendonly"]:
            return -1
        return self.server.aof.fsynced_offset

    def _aof_fsynced(self) -> None:
        """The AOF fsynced more of the stream: WAITAOF waiters here, and our primary's."""
        if self.waiters:
            self._serve_waiters()
        if self.link is not None:
            self.link.ack_soon()

    def replica_offsets(self) -> list[tuple[str, str, int, int]]:
        """(node id, ip:port, acked offset, priority) of every replica streaming from us."""
        return [(l.node_id, l.addr, l.ack_offset, l.priority) for l in self.links
                if l.state == "online"]

    # -- the backlog -------------------------------------------------------------------------

    def _create_backlog(self) -> None:
        if self.backlog is not None:
            return
        self.propagation.flush()  # bytes already buffered this tick predate the backlog
        self.backlog = Backlog(self.config["repl-backlog-size"], self.propagation.offset)
        self.propagation.attach(self._feed)

    def _free_backlog(self) -> None:
        if self.backlog is None:
            return
        self.propagation.detach(self._feed)
        self.backlog = None

    def _resize_backlog(self, size: int) -> None:
        if self.backlog is not None:
            self.backlog.resize(size)

    def _feed(self, data: bytes) -> None:
        """The propagation sink: one tick of the stream into the backlog and every link."""
        assert self.backlog is not None
        self.backlog.append(data)
        for link in self._streaming:
            link.push(data)

    def _set_obuf(self, value: dict[str, tuple[int, int, int]]) -> None:
        self.obuf_limits = value["replica"]
        hard, soft, _ = self.obuf_limits
        limits = [v for v in (hard, soft) if v]
        self.obuf_soft = min(limits) if limits else 1 << 62

    # -- replicas attaching (primary side) ---------------------------------------------------

    def attach(self, link: ReplicaLink, hello: pb.Hello) -> pb.PrimaryMessage | None:
        """A replica said hello: the Resume to send it, or None for a full sync."""
        if hello.failover:
            self._take_over(link, hello)
        if self.failover.active:
            raise Refused(grpc.StatusCode.FAILED_PRECONDITION,
                          "NOMASTERLINK Can't SYNC while failing over")
        if self.is_replica and (self.link is None or self.link.state != "connected"):
            raise Refused(grpc.StatusCode.FAILED_PRECONDITION,
                          "NOMASTERLINK Can't SYNC while not connected with my master")
        log("notice", f"Replica {link.addr} asks for synchronization")
        self.links.append(link)
        if self._try_partial(link, hello):
            self.server.stats.sync_partial_ok += 1
            assert self.backlog is not None
            data = self.backlog.read(hello.offset)
            link.start_stream(hello.offset, data)
            link.state = "online"
            self._streaming.append(link)
            log("notice", f"Partial resynchronization request from {link.addr} accepted. "
                f"Sending {len(data)} bytes of backlog starting from offset {hello.offset + 1}.")
            return pb.PrimaryMessage(resume=pb.Resume(replid=self.replid, offset=hello.offset))
        if hello.replid != "?":
            self.server.stats.sync_partial_err += 1
        else:
            log("notice", f"Full resync requested by replica {link.addr}")
        self.server.stats.sync_full += 1
        if self.backlog is None:
            # A new history begins here (Redis's changeReplicationId on backlog creation).
            if not self.is_replica:
                self.replid = new_replid()
                self.replid2, self.second_offset = NO_ID, -1
            self._create_backlog()
            log("notice", "Replication backlog created, my new replication IDs are "
                f"'{self.replid}' and '{self.replid2}'")
        link.snapshot = asyncio.get_running_loop().create_future()
        self._pending_full.append(link)
        self._start_snapshot()
        return None

    def _take_over(self, link: ReplicaLink, hello: pb.Hello) -> None:
        """Our primary hands over to us (FAILOVER): become a primary, if we follow the very
        history it names, before answering it as one (syncCommand's PSYNC FAILOVER)."""
        log("warning", f"Failover request received for replid {hello.replid}.")
        if not self.is_replica:
            raise Refused(grpc.StatusCode.FAILED_PRECONDITION,
                          "ERR PSYNC FAILOVER can't be sent to a master.")
        if hello.replid != self.replid:
            raise Refused(grpc.StatusCode.FAILED_PRECONDITION,
                          "ERR PSYNC FAILOVER replid must match my replid.")
        self.become_primary()
        log("notice", f"MASTER MODE enabled (failover request from '{link.addr}')")

    def _try_partial(self, link: ReplicaLink, hello: pb.Hello) -> bool:
        wanted = hello.offset
        if hello.replid == "?":
            return False
        if hello.replid != self.replid and (hello.replid != self.replid2
                                            or wanted > self.second_offset):
            if hello.replid == self.replid2:
                log("notice", "Partial resynchronization not accepted: Requested offset for "
                    f"second ID was {wanted + 1}, but I can reply up to {self.second_offset + 1}")
            else:
                log("notice", "Partial resynchronization not accepted: Replication ID mismatch "
                    f"(Replica asked for '{hello.replid}', my replication IDs are "
                    f"'{self.replid}' and '{self.replid2}')")
            return False
        if self.backlog is None or not self.backlog.covers(wanted):
            log("notice", f"Unable to partial resync with replica {link.addr} for lack of "
                f"backlog (Replica request was: {wanted + 1}).")
            return False
        return True

    def online(self, link: ReplicaLink) -> None:
        """The link finished its sync: it streams from now on."""
        link.ack_time = time.monotonic()
        self.refresh_good_replicas()

    def detach(self, link: ReplicaLink) -> None:
        if link in self.links:
            self.links.remove(link)
            log("notice", f"Connection with replica {link.addr} lost.")
        if link in self._streaming:
            self._streaming.remove(link)
        if link in self._pending_full:
            self._pending_full.remove(link)
        snap = link.snapshot
        if snap is not None:
            if not snap.done():
                snap.cancel()  # the child may still be writing it: nobody will read it
            elif not snap.cancelled():
                snap.result()[0].close()
        if not self.links:
            self.no_replicas_since = time.monotonic()
        self.refresh_good_replicas()

    def disconnect_replicas(self, reason: str) -> None:
        """Drop every replica (they reconnect, and learn a new id or resync)."""
        for link in list(self.links):
            link.close(reason)

    # -- full sync: the snapshot child -------------------------------------------------------

    def _start_snapshot(self) -> None:
        """Fork a child that writes the dataset for the links waiting for one, if none runs."""
        if not self._pending_full:
            return
        children = self.server.children
        if children.busy:
            return  # the cron tries again when the running child is done
        waiting, self._pending_full = self._pending_full, []
        # The snapshot is the dataset at exactly the stream's current end: what was
        # propagated so far goes out first, and the stream after it starts with a SELECT.
        self.propagation.flush()
        self.propagation.reselect()
        offset = self.propagation.offset
        replid = self.replid
        self._snapshot_seq += 1
        path = os.path.abspath(f"temp-repl-{os.getpid()}-{self._snapshot_seq}.rdb")
        server = self.server
        # The stream that follows continues in this database: a primary's starts with a
        # SELECT (reselect above), a replica's is its own primary's, mid-way.
        client = self.master_client
        stream_db = client.db.index if self.is_replica and client is not None else 0
        options = server.rdb.options()
        options.aux = rdb.aux_fields(server.used_memory_rss(), False, (stream_db, replid, offset))
        options.progress = children.report

        def work() -> None:  # in the child
            log.role = "C"
            with open(path, "wb") as f:
                rdb.write(server.keyspace, f, options)

        for link in waiting:
            link.start_stream(offset)
            self._streaming.append(link)
        try:
            pid = children.start("rdb", work,
                                 lambda result: self._snapshot_done(result, waiting, path,
                                                                    offset, replid))
        except OSError as e:
            log("warning", f"Can't save in background: fork: {e.strerror}")
            for link in waiting:
                link.close("a failed snapshot")
            return
        log("notice", f"Starting BGSAVE for SYNC with target: disk (pid {pid})")

    def _snapshot_done(self, result: Any, links: list[ReplicaLink], path: str, offset: int,
                       replid: str) -> None:
        try:
            if not result.ok:
                log("warning", "Background snapshot for SYNC failed")
                for link in links:
                    link.close("a failed snapshot")
                return
            log("notice", "Background RDB transfer terminated with success")
            for link in links:
                if link.closed or link.snapshot is None or link.snapshot.done():
                    continue  # dropped, or gone while the child wrote
                f, size = open_snapshot(path)
                link.snapshot.set_result((f, size, offset, replid))
        finally:
            try:
                os.unlink(path)  # the links hold it open
            except OSError:
                pass

    # -- acks, WAIT, min-replicas ------------------------------------------------------------

    def acked(self, link: ReplicaLink) -> None:
        self.failover.update_soon()
        if self.waiters:
            self._serve_waiters()
        if self.config["min-replicas-to-write"]:
            self.refresh_good_replicas()

    def count_acks(self, offset: int, aof: bool = False) -> int:
        if aof:
            return sum(1 for l in self.links if l.state == "online" and l.ack_aof_offset >= offset)
        return sum(1 for l in self.links if l.state == "online" and l.ack_offset >= offset)

    def wait(self, client: "Client", numreplicas: int, timeout_ms: int,
             aof_local: int = -1) -> Any:
        """WAIT / WAITAOF: the reply now, or park the client until enough replicas ack."""
        if self.propagation.batch_owner is client:
            self.propagation.spill()  # its writes of this very chunk: woff must count them
        offset = client.woff
        reply = self._wait_reply(offset, aof_local)
        if (_wait_done(reply, numreplicas, aof_local) or client.in_exec
                or client.multi is not None):
            return reply
        waiter = _Waiter(client, offset, numreplicas, aof_local)
        self.waiters.append(waiter)
        result = block(client, [], timeout_ms, lambda: self._wait_timeout(waiter),
                       lambda _v: False)
        for link in self.links:
            link.request_ack()
        return result

    def _wait_reply(self, offset: int, aof_local: int) -> Any:
        if aof_local < 0:
            return self.count_acks(offset)
        local = 1 if self.aof_offset() >= offset else 0
        return [local, self.count_acks(offset, aof=True)]

    def _wait_timeout(self, waiter: _Waiter) -> Any:
        if waiter in self.waiters:
            self.waiters.remove(waiter)
        return self._wait_reply(waiter.offset, waiter.aof_local)

    def _serve_waiters(self) -> None:
        blocking = self.server.blocking
        for waiter in list(self.waiters):
            client = waiter.client
            if client.closing or client not in blocking.clients:
                self.waiters.remove(waiter)
                continue
            reply = self._wait_reply(waiter.offset, waiter.aof_local)
            if _wait_done(reply, waiter.numreplicas, waiter.aof_local):
                self.waiters.remove(waiter)
                blocking.finish(client, reply)

    def refresh_good_replicas(self) -> None:
        """Recount the replicas within min-replicas-max-lag and set the write gate."""
        cfg = self.config
        server = self.server
        if self.is_replica:
            server.deny_writes = READONLY if cfg["replica-read-only"] else None
            server.checks_changed()
            return
        need, max_lag = cfg["min-replicas-to-write"], cfg["min-replicas-max-lag"]
        now = time.monotonic()
        self.good_replicas = sum(1 for l in self.links
                                 if l.state == "online" and now - l.ack_time <= max_lag)
        server.deny_writes = NOREPLICAS if need and max_lag and self.good_replicas < need else None
        server.checks_changed()

    def refresh_stale_gate(self) -> None:
        """Set the gate that answers -MASTERDOWN: a replica whose link is not up, with
        replica-serve-stale-data no, serves only the commands flagged `stale`. Called on
        every change of role, link state or that setting."""
        link = self.link
        self.server.stale_denied = MASTERDOWN if (
            self.is_replica and not self.config["replica-serve-stale-data"]
            and (link is None or link.state != "connected")) else None
        self.server.checks_changed()

    # -- the replica side --------------------------------------------------------------------

    def apply(self, payload: bytes) -> None:
        """Run stream bytes from the primary, then pass them on unchanged."""
        client = self.master_client
        if client is None or not self.is_replica:
            raise RuntimeError("stream bytes arrived for a link that was replaced")
        ks = self.server.keyspace
        ks.from_master = True
        try:
            client.parser.feed(payload)
            client.process()
        finally:
            ks.from_master = False
        self.propagation.feed(payload)

    def resumed(self, replid: str, offset: int) -> None:
        """The primary accepted a partial resync."""
        if offset != self.offset:
            raise ValueError(f"partial resync at {offset}, but this replica is at {self.offset}")
        self._ensure_master_client()
        if replid != self.replid:
            # The primary is a promoted replica (or we are): its history continues ours under
            # a new id, which we adopt, keeping ours as the second id (PSYNC2).
            self.replid2, self.second_offset = self.replid, offset
            self.replid = replid
            log("notice", f"Master replication ID changed to {replid}")
            self.disconnect_replicas("a master replication ID change")
        if self.backlog is None:
            self._create_backlog()
        self.history_known = True
        log("notice", "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
        log("notice", "Successful partial resynchronization with master.")
        self.refresh_good_replicas()

    def load_snapshot(self, path: str, replid: str, offset: int) -> None:
        """A full sync's snapshot arrived: it replaces the dataset; its history is ours now."""
        server = self.server
        self.disconnect_replicas("a full resynchronization with my master")
        log("notice", "MASTER <-> REPLICA sync: Flushing old data")
        log("notice", "MASTER <-> REPLICA sync: Loading DB in memory")
        t0 = time.monotonic()
        aof_on = server.aof.state != AOF_OFF
        if aof_on:
            server.aof.stop()  # the file is of a dataset about to go (stopAppendOnly)
        server.keyspace.flush_all()
        server.functions.flush()  # the snapshot carries the primary's
        server.keyspace.dirty += 1
        report = server.rdb.load(path)
        try:
            stream_db = int(report.aux.get(b"repl-stream-db", b"0"))
        except ValueError:
            stream_db = 0
        self.replid = replid
        self.replid2, self.second_offset = NO_ID, -1
        self.propagation.set_offset(offset)
        if self.backlog is None:
            self._create_backlog()
        self.backlog.reset(offset)
        self.master_client = None
        self._ensure_master_client()
        if 0 <= stream_db < len(server.keyspace.dbs):
            self.master_client.select(stream_db)  # type: ignore[union-attr]
        self.history_known = True
        if aof_on:
            log("notice", "MASTER <-> REPLICA sync: Restarting the append only file")
            server.aof.start()  # a rewrite of the new dataset (restartAOFAfterSYNC)
        log("notice", f"MASTER <-> REPLICA sync: Finished with success "
            f"({time.monotonic() - t0:.3f} seconds loading)")
        self.refresh_good_replicas()

    def _ensure_master_client(self) -> None:
        if self.master_client is None:
            self.master_client = MasterClient(self.server)
        # MONITOR and SLOWLOG show the primary's address for its commands, as Redis shows its
        # master link's peer (which a switch of primaries changes).
        self.master_client.addr = f"{self.master_host}:{self.master_port}"

    # -- across restarts: the RDB's repl-* aux fields (as Redis 7) ---------------------------

    def save_info(self) -> tuple[int, str, int] | None:
        """(repl-stream-db, repl-id, repl-offset) for a snapshot taken now, or None when the
        dataset follows no history a primary could continue (rdbPopulateSaveInfo)."""
        if self.is_replica:
            if not self.history_known:
                return None
            client = self.master_client
            return (client.db.index if client is not None else 0), self.replid, self.offset
        if self.backlog is None:
            return None
        self.propagation.spill()  # the snapshot holds the open batch's writes: count them
        return max(self.propagation.stream_db, 0), self.replid, self.offset

    def dataset_loaded(self, aux: dict[bytes, bytes]) -> None:
        """The dataset is loaded at start (from a snapshot with these aux fields, or from
        nothing): take up the history it names (loadDataFromDisk), then follow the primary
        `replicaof` names, if any."""
        self._restore(aux)
        if self.is_replica and self.link is None:
            self.link = MasterLink(self, self.master_host, self.master_port, self._repl_port)
            self.link.start()

    def _restore(self, aux: dict[bytes, bytes]) -> None:
        try:
            replid = aux[b"repl-id"].decode()
            offset = int(aux[b"repl-offset"])
            db = int(aux[b"repl-stream-db"])
        except (KeyError, ValueError, UnicodeDecodeError):
            return
        if len(replid) != 40 or offset < 0 or db < 0 or db >= len(self.server.keyspace.dbs):
            return
        self.propagation.set_offset(offset)
        if self.is_replica:
            # A replica resumes where its snapshot was taken (a cached master made of itself).
            self.replid = replid
            self.history_known = True
            self.master_client = MasterClient(self.server)
            self.master_client.select(db)
        else:
            # A primary keeps the old history as its second id, so that replicas which had
            # exactly this much of it continue without a snapshot.
            self.replid2, self.second_offset = replid, offset
        self._create_backlog()
        log("notice", f"Replication state restored from the snapshot: {replid}:{offset + 1}")

    # -- role changes ------------------------------------------------------------------------

    def become_replica(self, host: str, port: int, repl_port: int = 0, connect: bool = True) -> None:
        """REPLICAOF host port: follow that primary (its data replaces ours unless the
        histories allow a partial resync). `repl_port` is its replication listener when that
        is not where `master-replication-port` (or the client port + 10000) says."""
        was_primary = not self.is_replica
        old = self.link
        self.master_host, self.master_port = host, port
        self.config.values["replicaof"] = f"{host} {port}"
        log.role = "S"  # Redis's log lines say a replica wrote them
        self.server.keyspace.replica = True
        self.propagation.flush()
        self.propagation.upstream = True
        if was_primary:
            # What we hold continues our own history: a primary that has it (a replica of
            # ours, promoted) can resume us partially.
            self.history_known = self.history_known or self.offset > 0
            self.offset_cached = connect  # not at start, where the dataset is not loaded yet
            self._unblock_clients()
            self._fail_waiters()
        if old is not None:
            old.stop()
        if was_primary:
            # Continuing our own history, the new primary's stream starts where it took over,
            # with a SELECT. A replica switching primaries keeps its master client: the
            # stream it continues may be mid-way in a database (Redis's cached master).
            self.master_client = None
        self.link = None
        self._repl_port = repl_port
        if connect:
            self.link = MasterLink(self, host, port, repl_port)
            self.link.start()
        self.refresh_good_replicas()
        self.refresh_stale_gate()

    def become_primary(self) -> None:
        """REPLICAOF NO ONE: stop following; a new history begins where ours ends, and our
        replicas may continue with us under the old id (PSYNC2)."""
        if not self.is_replica:
            return
        old = self.link
        self.link = None
        self.master_host, self.master_port = None, 0
        self.config.values["replicaof"] = ""
        log.role = "M"
        if old is not None:
            old.stop()
        self.master_client = None
        self.propagation.flush()
        self.propagation.upstream = False
        self.propagation.reselect()  # our own writes start with a SELECT
        self.server.keyspace.replica = False
        # shiftReplicationId
        self.replid2, self.second_offset = self.replid, self.offset
        self.replid = new_replid()
        log("notice", f"Setting secondary replication ID to {self.replid2}, valid up to offset: "
            f"{self.offset + 1}. New replication ID is {self.replid}")
        self.disconnect_replicas("a replication ID change")
        self.no_replicas_since = time.monotonic()
        self.refresh_good_replicas()
        self.refresh_stale_gate()

    def _unblock_clients(self) -> None:
        blocking = self.server.blocking
        for client in list(blocking.clients):
            client.closing = True
            blocking.finish(client, CommandError(UNBLOCKED_ROLE))

    def _fail_waiters(self) -> None:
        self.waiters.clear()

    # -- the cron ----------------------------------------------------------------------------

    def _schedule_cron(self) -> None:
        self._cron = asyncio.get_running_loop().call_later(CRON_PERIOD, self.cron)

    def cron(self) -> None:
        try:
            self._cron_body()
        except Exception as e:
            log("warning", f"Replication cron failed: {e!r}")
        finally:
            self._schedule_cron()

    def _cron_body(self) -> None:
        cfg = self.config
        now = time.monotonic()
        timeout = cfg["repl-timeout"]
        link = self.link
        if link is not None and link.state in ("connected", "sync") and now - link.last_io > timeout:
            log("warning", "MASTER timeout: no data nor PING received...")
            link.drop()
        ping_period = cfg["repl-ping-replica-period"]
        for replica in list(self.links):
            if replica.state == "online":
                if now - replica.ack_time > timeout:
                    log("warning", f"Disconnecting timedout replica (streaming sync): {replica.addr}")
                    replica.close("a timeout")
                elif now - replica.last_send >= ping_period:
                    replica.ping_due = True
                    replica.kick()
        if self._pending_full:
            self._start_snapshot()
        ttl = cfg["repl-backlog-ttl"]
        if (self.backlog is not None and not self.links and not self.is_replica and ttl
                and now - self.no_replicas_since > ttl):
            self.replid = new_replid()
            self.replid2, self.second_offset = NO_ID, -1
            self._free_backlog()
            log("notice", f"Replication backlog freed after {ttl} seconds without connected replicas.")
        if cfg["min-replicas-to-write"]:
            self.refresh_good_replicas()
        self.failover.cron()

    # -- reporting ---------------------------------------------------------------------------

    def info_fields(self) -> list[tuple[str, Any]]:
        """INFO replication, field for field as Redis 7.0 prints it."""
        out: list[tuple[str, Any]] = [("role", "slave" if self.is_replica else "master")]
        wall = time.time()
        now = time.monotonic()
        link = self.link
        if self.is_replica and link is not None:
            connected = link.state == "connected"
            offset = self.offset if self.history_known or self.offset_cached else 1
            out += [
                ("master_host", self.master_host),
                ("master_port", self.master_port),
                ("master_link_status", "up" if connected else "down"),
                ("master_last_io_seconds_ago", int(now - link.last_io) if connected else -1),
                ("master_sync_in_progress", int(link.state == "sync")),
                ("slave_read_repl_offset", link.read_offset if connected else offset),
                ("slave_repl_offset", offset),
            ]
            if link.state == "sync":
                total, read = link.transfer_size, link.transfer_read
                out += [
                    ("master_sync_total_bytes", total),
                    ("master_sync_read_bytes", read),
                    ("master_sync_left_bytes", total - read),
                    ("master_sync_perc", f"{read * 100 / total if total > 0 else 0:.2f}"),
                    ("master_sync_last_io_seconds_ago", int(now - link.transfer_last_io)),
                ]
            if not connected:
                out.append(("master_link_down_since_seconds",
                            int(wall - link.down_since) if link.down_since else -1))
                if link.last_error:
                    out.append(("master_link_last_error", link.last_error))
            cfg = self.config
            out += [
                ("slave_priority", cfg["replica-priority"]),
                ("slave_read_only", int(cfg["replica-read-only"])),
                ("replica_announced", int(cfg["replica-announced"])),
            ]
        out.append(("connected_slaves", len(self.links)))
        cfg = self.config
        if cfg["min-replicas-to-write"] and cfg["min-replicas-max-lag"]:
            out.append(("min_slaves_good_slaves", self.good_replicas))
        for i, l in enumerate(self.links):
            lag = int(now - l.ack_time) if l.state == "online" else 0
            out.append((f"slave{i}", f"ip={l.ip},port={l.port},state={l.state},"
                        f"offset={l.ack_offset},lag={lag}"))
        backlog = self.backlog
        out += [
            ("master_failover_state", self.failover.state),
            ("master_replid", self.replid),
            ("master_replid2", self.replid2),
            ("master_repl_offset", self.offset),
            ("second_repl_offset", self.second_offset + 1 if self.second_offset >= 0 else -1),
            ("repl_backlog_active", int(backlog is not None)),
            ("repl_backlog_size", cfg["repl-backlog-size"]),
            ("repl_backlog_first_byte_offset", backlog.start + 1 if backlog else 0),
            ("repl_backlog_histlen", backlog.histlen if backlog else 0),
        ]
        return out

    def role_reply(self) -> list:
        if self.is_replica:
            link = self.link
            state = link.state if link is not None else "connect"
            connected = link is not None and link.state == "connected"
            return [b"slave", self.master_host.encode(), self.master_port, state.encode(),
                    self.offset if connected else -1]
        return [b"master", self.offset,
                [[l.ip.encode(), b"%d" % l.port, b"%d" % l.ack_offset]
                 for l in self.links if l.state == "online"]]
