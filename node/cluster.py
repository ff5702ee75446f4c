"""Cluster mode (`cluster-enabled yes`): this node's place in the cluster and the checks on the
request path.

`Cluster` (`server.cluster`, None outside cluster mode) holds the topology the node serves on
(node/topology.py) and answers, for every command that names keys, whether this node serves
it or what the client must be told instead, as Redis's getNodeByQuery: `-MOVED <slot>
<host>:<port>`, `-ASK` for a migrating slot's missing keys, `-TRYAGAIN` for multi-key requests
on a slot in migration, `-CROSSSLOT`, `-CLUSTERDOWN`. A one-key command on a slot served here
in a stable state costs one CRC and one bytearray lookup (`serving`).

Who holds the authoritative topology:
- with `cluster-coordinator host:port`, the coordinator (replication/coordinator.py). The node
  keeps a session to it (replication/agent.py, wired at start): the coordinator pushes each new
  topology, and admin commands (CLUSTER ADDSLOTS, SETSLOT, REPLICATE, ...) are forwarded to it
  and answered once it has made them a new epoch. While the coordinator is unreachable the
  node keeps serving on the last topology it received.
- without one, the node is its own authority over a one-node cluster, as a fresh Redis
  Cluster node is before it meets others.
Either way the node keeps its id and the last topology in `cluster-config-file` (JSON, written
atomically), so a restart comes back with the same id and map.

Fencing. With a coordinator, a primary accepts writes only while it holds a lease: each
heartbeat the coordinator acknowledges extends it to (time the heartbeat was sent) + lease. The
coordinator fails a primary over no sooner than `cluster-node-timeout` after the last
heartbeat it received, which was sent no earlier than that same send time; so as long as the
lease is shorter than the node timeout, a primary cut off from the coordinator has stopped
acknowledging writes before its replica is promoted, and no write it accepts can be lost to
the promotion. The lease is 3/4 of the timeout: the remaining quarter (500 ms at the default
2000 ms) covers the clocks of two processes running at slightly different rates and an event
loop that checks the lease just before it is renewed, and the lease stays long enough that a
coordinator restart (well under a second) does not interrupt writes. A fenced primary refuses
writes with `-CLUSTERDOWN The cluster is down` and keeps serving reads on its last map.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Awaitable

from node.atomicfile import write_atomically
from node.errors import CommandError
from node.log import log
from node.replies import NO_REPLY, OK
from node.slots import SLOTS, SlotIndex, key_slot
from node.table import Command, lookup
from node.topology import Topology, TopologyError, new_id

if TYPE_CHECKING:
    from node.client import Client
    from node.server import Server

LEASE_FRACTION = 0.75
INDEX_IDLE = 300.0  # seconds without a per-slot key query before the index is dropped

CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot"
TRYAGAIN = "TRYAGAIN Multiple keys request during rehashing of slot"
DOWN = "CLUSTERDOWN The cluster is down"
DOWN_READONLY = "CLUSTERDOWN The cluster is down and only accepts read commands"
DOWN_UNBOUND = "CLUSTERDOWN Hash slot not served"


# How `redirect` finds a command's keys: _KEYLESS, _GENERAL (walk the key specs), or the
# argv index of its one key. Cached per command on first use.
_KEYLESS, _GENERAL = 0, -1
_PLANS: dict[Command, int] = {}


def _plan(cmd: Command) -> int:
    if cmd.name == "exec" or cmd.keys_fn is not None or "movablekeys" in cmd.flags:
        return _GENERAL
    if not cmd.key_specs:
        return _KEYLESS
    if len(cmd.key_specs) == 1 and cmd.first_key > 0 and cmd.first_key == cmd.last_key:
        return cmd.first_key
    return _GENERAL


class ClusterStartError(Exception):
    """The cluster state cannot be loaded (a corrupt or locked cluster-config-file)."""


class Cluster:
    def __init__(self, server: "Server") -> None:
        self.server = server
        config = server.config
        # Absolute: the file is written from a thread, and CONFIG SET dir moves the cwd.
        self.config_file = os.path.abspath(config["cluster-config-file"])
        self._lock_fd = _lock(self.config_file)
        self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nodes-conf")
        self._save_lock = threading.Lock()
        self._pending_save: tuple[str, Topology] | None = None
        self.myid, topology = self._load()
        fresh = not os.path.exists(self.config_file) or not os.path.getsize(self.config_file)
        self.coordinator: str = config["cluster-coordinator"]
        host, sep, port = self.coordinator.rpartition(":")
        if self.coordinator and not (sep and host and port.isdigit() and 0 < int(port) < 65536):
            raise ClusterStartError(f"Invalid cluster-coordinator '{self.coordinator}': "
                                    "expected host:port")
        self.link: Any = None  # replication.agent.CoordinatorLink, once started
        # Monotonic deadline of the write lease; a coordinator-less node needs none.
        self.lease_until = 0.0 if self.coordinator else math.inf
        self.unfenced = not self.coordinator
        # node id -> (connected, replication offset, unix ms last seen), as the coordinator
        # reports it with each heartbeat ack (CLUSTER NODES link state, CLUSTER SHARDS).
        self.health: dict[str, tuple[bool, int, int]] = {}
        # Message counts for CLUSTER INFO (heartbeats sent, acks and topologies received).
        self.heartbeats_sent = self.acks_received = self.updates_received = 0
        self.paused_for_failover = False  # writes paused for a manual failover (agent.py)
        self._started = False  # roles are applied to replication once the server runs
        # The per-slot key index, built on first use (see keys_in_slot).
        self._index: SlotIndex | None = None
        self._index_used = 0.0
        self.topology = Topology()
        self.serving = bytearray(SLOTS)
        self.primary = True
        self.state_ok = False
        self.endpoints: dict[str, str] = {}  # shard id -> "host:port" of its primary
        self.install(topology, save=False)
        if fresh:
            self.save(sync=True)  # a new node's id is kept before it is ever announced
        for name in ("cluster-announce-ip", "cluster-announce-port", "cluster-announce-bus-port",
                     "cluster-announce-hostname", "cluster-preferred-endpoint-type",
                     "cluster-require-full-coverage"):
            config.listen(name, self._announce_changed)

    # -- start and stop ------------------------------------------------------------------------

    async def start(self) -> None:
        """Called once the client port listens (and replication runs): take the role the
        topology gives, and join the coordinator, if there is one."""
        self._started = True
        self._apply_role()
        if not self.coordinator:
            self._announce_changed(None)  # the real port is known now
            return
        # The node reaches the coordinator only through this link, wired here (DESIGN.md).
        from replication.agent import CoordinatorLink

        self.link = CoordinatorLink(self, self.coordinator)
        self.link.start()

    async def stop(self) -> None:
        if self.link is not None:
            await self.link.stop()
        self._saver.shutdown(wait=True)  # the last topology reaches the file before exit

    # -- who am I ------------------------------------------------------------------------------

    def announcement(self) -> dict[str, Any]:
        """How this node asks to be reached (the cluster-announce-* directives)."""
        config = self.server.config
        port = config["cluster-announce-port"] or (
            self.server.ports[0] if self.server.ports else config["port"])
        # The bus port is where replicas reach this node's replication listener.
        repl = getattr(self.server, "replication", None)
        bus_port = (config["cluster-announce-bus-port"] or config["cluster-port"]
                    or (repl.replication_port if repl is not None and repl.replication_port
                        else port + 10000))
        return {
            "host": config["cluster-announce-ip"],
            "port": port,
            "bus_port": bus_port,
            "hostname": config["cluster-announce-hostname"],
        }

    @property
    def node_timeout(self) -> int:
        return self.server.config["cluster-node-timeout"]

    def _announce_changed(self, _value: Any) -> None:
        if self.link is not None:
            # The endpoint type and the coverage rule are this node's own: served on at once.
            # An address change comes back from the coordinator as a new topology.
            self.install(self.topology, save=False)
            self.link.reannounce()
            return
        a = self.announcement()
        topo = self.topology.copy()
        if topo.add_node(self.myid, a["host"], a["port"], a["bus_port"], a["hostname"]):
            self.install(topo)
        else:
            self.install(topo, save=False)  # endpoint type or coverage rule changed

    # -- topology ------------------------------------------------------------------------------

    def offer(self, topology: Topology, fresh: bool = False) -> None:
        """A topology from the coordinator: installed if newer than ours (or the first one of
        a new session, which is authoritative whatever its epoch)."""
        if fresh or topology.epoch > self.topology.epoch:
            self.install(topology)

    def install(self, topology: Topology, save: bool = True) -> None:
        """Serve on `topology` from now on."""
        old = self.topology
        me = topology.nodes.get(self.myid)
        if me is None:
            # Not registered yet (a fresh node, or one the coordinator forgot): alone, in a
            # shard of its own, serving nothing until the coordinator says otherwise.
            a = self.announcement()
            topology = topology.copy()
            epoch = topology.epoch
            topology.add_node(self.myid, a["host"], a["port"], a["bus_port"], a["hostname"])
            topology.epoch = epoch
            me = topology.nodes[self.myid]
        self.topology = topology
        shard = topology.shards[me.shard]
        was_primary = self.primary
        self.primary = shard.primary == self.myid
        require_full = self.server.config["cluster-require-full-coverage"]
        ok = topology.state_ok() if require_full else not any(
            topology.nodes[topology.shards[s].primary].failed
            for s in set(topology.slots) if s is not None)
        endpoint_type = self.server.config["cluster-preferred-endpoint-type"]
        self.endpoints = {
            sid: f"{endpoint(topology.nodes[s.primary], endpoint_type)}:{topology.nodes[s.primary].port}"
            for sid, s in topology.shards.items()
        }
        serving = bytearray(SLOTS)
        if ok and self.primary:
            for first, last in topology.slots_by_shard().get(shard.id, []):
                serving[first:last + 1] = b"\x01" * (last - first + 1)
            for node_id, slot in topology.migrating:
                if node_id == self.myid:
                    serving[slot] = 0
            for node_id, slot in topology.importing:
                if node_id == self.myid:
                    serving[slot] = 0
        self.serving = serving
        pubsub = self.server.pubsub
        if pubsub.shard and self.myid in old.nodes:
            before, now = old.nodes[self.myid].shard, me.shard
            pubsub.drop_shard_channels(
                lambda channel: old.slots[key_slot(channel)] == before
                and topology.slots[key_slot(channel)] != now)
        if ok != self.state_ok:
            log("notice", f"Cluster state changed: {'ok' if ok else 'fail'}")
        self.state_ok = ok
        if save:
            self.save()
        followed = old.primary_of(self.myid) if self.myid in old.nodes else None
        if (was_primary, followed) != (self.primary, None if self.primary else shard.primary):
            self._role_changed()
        if self.server.blocking.clients:
            self._redirect_blocked()

    def _role_changed(self) -> None:
        if self.paused_for_failover:
            # The manual failover that paused this primary's writes is done: the clients it
            # parked go on, and find their slots moved (Client.resume checks).
            self.paused_for_failover = False
            self.server.unpause(self.server.PAUSE_FAILOVER)
        if self.primary:
            log("notice", "Configuration change detected: this node is now a primary "
                f"(epoch {self.topology.epoch})")
        else:
            primary = self.topology.nodes[self.topology.shard_of(self.myid).primary]
            log("notice", "Configuration change detected. Reconfiguring myself as a replica of "
                f"{primary.id} ({primary.address()})")
        self._apply_role()

    def _apply_role(self) -> None:
        """Replication follows the topology: a primary stops following anyone; a replica
        follows its shard's primary at the replication port that primary announced (its
        bus port). Replication's own REPLICAOF is refused in cluster mode."""
        repl = self.server.replication if self._started else None
        if repl is None:
            return
        if self.primary:
            if repl.is_replica:
                repl.become_primary()
            return
        primary = self.topology.nodes[self.topology.shard_of(self.myid).primary]
        if not primary.host:
            return  # never heard of its address: the coordinator will say
        if not repl.is_replica or (repl.master_host, repl.master_port) != (primary.host, primary.port):
            repl.become_replica(primary.host, primary.port, primary.bus_port)

    def _redirect_blocked(self) -> None:
        """Clients blocked on keys whose slot is no longer served here are told where to go
        (Redis's clusterRedirectBlockedClientIfNeeded); a migration alone does not end a
        wait, since the keys they wait for are still here."""
        blocking = self.server.blocking
        topology = self.topology
        my_shard = topology.nodes[self.myid].shard
        for client in list(blocking.clients):
            argv = client.pending
            cmd = lookup(argv) if argv is not None else None
            if cmd is None:
                continue
            err = None
            if not self.state_ok:
                err = CommandError(DOWN)
            for i in cmd.cluster_key_indexes(argv) if err is None else ():
                slot = key_slot(argv[i])
                owner = topology.slots[slot]
                if owner is None:
                    err = CommandError(DOWN_UNBOUND)
                elif (owner != my_shard or not self.primary) and (
                        (self.myid, slot) not in topology.importing):
                    if (client.readonly and not self.primary and owner == my_shard
                            and "write" not in cmd.flags):
                        continue
                    err = CommandError(f"MOVED {slot} {self.endpoints[owner]}")
                if err is not None:
                    break
            if err is not None:
                blocking.finish(client, err)

    # -- the request path ----------------------------------------------------------------------

    def redirect(self, client: "Client", cmd: Command, argv: list[bytes]) -> bool:
        """Answer `argv` with a redirection or error if this node must not run it here; True
        if it did (the reply is queued), False if the command may run."""
        plan = _PLANS.get(cmd)
        if plan is None:
            plan = _PLANS[cmd] = _plan(cmd)
        if plan > 0 and not client.asking:  # (after ASKING, `check` decides, and resets it)
            # One key, at argv[plan]: the common case, served here on a stable slot (by a
            # primary without a coordinator, or within its lease, or for a read).
            if self.serving[key_slot(argv[plan])] and (
                    self.unfenced or "write" not in cmd.flags
                    or self.lease_until > time.monotonic()):
                return False
        elif plan == _KEYLESS:
            if client.asking and cmd.name != "asking" and (
                    (client.multi is None and cmd.name != "multi") or cmd.name == "discard"):
                # As Redis's resetClient: ASKING ends with the next command that leaves the
                # client outside MULTI, so it covers a whole transaction opened right after.
                client.asking = False
            # Nothing to route, but a fenced primary takes no writes at all.
            if not self.unfenced and "write" in cmd.flags and self.lease_until <= time.monotonic():
                self._refuse(client, cmd, CommandError(DOWN))
                return True
            return False
        err = self.check(client, cmd, argv)
        if err is None:
            return False
        self._refuse(client, cmd, err)
        return True

    def _refuse(self, client: "Client", cmd: Command, err: CommandError) -> None:
        if cmd.name == "exec":
            # As Redis: a redirected EXEC discards the transaction and answers the
            # redirection itself, not EXECABORT.
            client.discard_transaction()
            cmd.rejected_calls += 1
            self.server.count_error(err)
            client.out.append(client.encode(err))
            return
        client.reply_error(err, cmd)

    def check(self, client: "Client", cmd: Command, argv: list[bytes]) -> CommandError | None:
        """Redis's getNodeByQuery: None if this node serves the command, else the error."""
        asking = client.asking
        if asking and (client.multi is None or cmd.name == "exec"):
            client.asking = False  # ASKING covers one command (or one transaction)
        if cmd.name == "exec":
            if client.multi is None:
                return None  # EXEC without MULTI: its own error
            commands = client.multi
        else:
            commands = ((cmd, argv),)
        topology = self.topology
        firstkey: bytes | None = None
        slot = 0
        owner: str | None = None
        multiple = migrating = importing = False
        missing = existing = 0
        is_write = False
        db = self.server.keyspace.dbs[0]
        for mcmd, margv in commands:
            if "write" in mcmd.flags:
                is_write = True
            for i in mcmd.cluster_key_indexes(margv):
                key = margv[i]
                if firstkey is None:
                    firstkey = key
                    slot = key_slot(key)
                    owner = topology.slots[slot]
                    if owner is None:
                        return CommandError(DOWN_UNBOUND)
                    if self.primary and owner == topology.nodes[self.myid].shard and (
                            (self.myid, slot) in topology.migrating):
                        migrating = True
                    elif (self.myid, slot) in topology.importing:
                        importing = True
                elif key != firstkey:
                    if key_slot(key) != slot:
                        return CommandError(CROSSSLOT)
                    multiple = True
                if migrating or importing:
                    if _exists(db, key):
                        existing += 1
                    else:
                        missing += 1
        if firstkey is None:
            if is_write and self.lease_until <= time.monotonic():
                return CommandError(DOWN)
            return None
        if not self.state_ok:
            if not self.server.config["cluster-allow-reads-when-down"]:
                return CommandError(DOWN)
            if is_write:
                return CommandError(DOWN_READONLY)
        if (migrating or importing) and cmd.name == "migrate":
            return None  # MIGRATE works on an open slot wherever the keys are
        if migrating and missing:
            if existing:
                return CommandError(TRYAGAIN)  # some keys here, some gone: nowhere has all
            target = topology.nodes[topology.migrating[(self.myid, slot)]]
            return CommandError(f"ASK {slot} {self._address(target)}")
        if importing and (asking or "asking" in cmd.flags):
            if multiple and missing:
                return CommandError(TRYAGAIN)
            return self._fence(is_write)
        my_shard = topology.nodes[self.myid].shard
        if client.readonly and not is_write and not self.primary and owner == my_shard:
            return None  # a READONLY client reading from its shard's replica
        if owner != my_shard or not self.primary:
            return CommandError(f"MOVED {slot} {self.endpoints[owner]}")  # type: ignore[index]
        return self._fence(is_write)

    def _fence(self, is_write: bool) -> CommandError | None:
        if is_write and self.lease_until <= time.monotonic():
            return CommandError(DOWN)
        return None

    def _address(self, node: Any) -> str:
        kind = self.server.config["cluster-preferred-endpoint-type"]
        return f"{endpoint(node, kind)}:{node.port}"

    # -- keys by slot --------------------------------------------------------------------------

    def keys_in_slot(self) -> SlotIndex:
        """The per-slot key index of database 0 (COUNTKEYSINSLOT, GETKEYSINSLOT, SETSLOT).

        Built from the keyspace the first time it is needed, then kept up to date by the
        keyspace (Database.set/_remove) until it has gone unused for INDEX_IDLE seconds. Only
        resharding asks for it, so a node that is not being resharded pays nothing per key
        created: keeping it costs a CRC and a dict store per new key (bench/cluster_overhead.py
        measures both). Building it is one pass over the keys (about 0.3 s per million)."""
        self._index_used = time.monotonic()
        if self._index is None:
            db0 = self.server.keyspace.dbs[0]
            index = SlotIndex()
            index.rebuild(db0.data)
            db0.slots = index
            self._index = index
        return self._index

    def cron(self) -> None:
        """Called by the server cron: drop the key index once resharding is done with it."""
        if self._index is not None and time.monotonic() - self._index_used > INDEX_IDLE:
            self.server.keyspace.dbs[0].slots = None
            self._index = None

    # -- the write lease -----------------------------------------------------------------------

    def renew_lease(self, sent_at: float) -> None:
        """The coordinator acknowledged a heartbeat sent at monotonic time `sent_at`."""
        until = sent_at + self.node_timeout * LEASE_FRACTION / 1000.0
        if until > self.lease_until:
            self.lease_until = until

    def fenced(self) -> bool:
        return self.lease_until <= time.monotonic()

    # -- admin commands ------------------------------------------------------------------------

    def change(self, client: "Client", op: str, *args: Any) -> Any:
        """Apply an admin change (a Topology method run on behalf of this node) through whoever
        holds the topology; OK once this node serves on the result."""
        if self.link is None:
            topology = self.topology.copy()
            try:
                getattr(topology, op)(self.myid, *args)
            except TopologyError as e:
                raise CommandError(str(e)) from None
            self.install(topology)
            return OK
        return reply_later(client, self._remote_change(op, args))

    async def _remote_change(self, op: str, args: tuple) -> Any:
        topology = await self.link.change(op, args)
        self.offer(topology)
        return OK

    def failover(self, client: "Client", mode: str) -> Any:
        """CLUSTER FAILOVER on a replica (checked by the caller): the coordinator promotes it;
        without FORCE/TAKEOVER it first pauses the primary's writes and waits for this replica
        to catch up, so no acknowledged write is lost. Answered once promoted."""
        if self.link is None:
            raise CommandError("ERR I'm a replica but my master is unknown to me")
        return reply_later(client, self._remote_change("failover", (mode,)))

    def reset(self, client: "Client", hard: bool) -> Any:
        """CLUSTER RESET (checked by the caller): leave the shard, serve no slots, and with
        HARD take a new node id. A replica's data goes (it was its primary's)."""
        if not self.primary:
            self.server.keyspace.flush_all()
        new = new_id() if hard else ""
        if self.link is None:
            topology = self.topology.copy()
            topology.reset(self.myid, new or None)
            if new:
                self.myid = new
            self.install(topology, save=False)
            self.save(sync=bool(new))
            return OK
        return reply_later(client, self._remote_reset(new))

    async def _remote_reset(self, new: str) -> Any:
        topology = await self.link.change("reset", (new,))
        if new:
            self.myid = new
            self.link.reannounce()  # the session continues under the new id
        self.offer(topology)
        if new:
            self.save(sync=True)
        return OK

    def repl_offset(self) -> int:
        """This node's replication offset (CLUSTER SHARDS, heartbeats): what it has
        propagated as a primary, what it has applied as a replica."""
        repl = getattr(self.server, "replication", None)
        return repl.offset if repl is not None else self.server.propagation.offset

    # -- persistence ---------------------------------------------------------------------------

    def _load(self) -> tuple[str, Topology]:
        try:
            with open(self.config_file) as f:
                text = f.read()
        except FileNotFoundError:
            text = ""
        except OSError as e:
            raise ClusterStartError(
                f"Loading the cluster node config from {self.config_file}: {e.strerror}") from e
        if not text.strip():
            myid = new_id()
            log("notice", f"No cluster configuration found, I'm {myid}")
            return myid, Topology()
        try:
            data = json.loads(text)
            myid = data["id"]
            if not (isinstance(myid, str) and len(myid) == 40):
                raise ValueError("the node id is not 40 characters")
            topology = Topology.from_dict(data.get("topology", {}))
        except (ValueError, KeyError, TypeError) as e:
            raise ClusterStartError(
                f"Unrecoverable error: corrupted cluster config file {self.config_file} ({e}).")
        log("notice", f"Node configuration loaded, I'm {myid}")
        return myid, topology

    def save(self, sync: bool = False) -> None:
        """Write the id and the topology to cluster-config-file atomically.

        The topology is the coordinator's to keep; this copy only lets a restarted node serve
        before it hears from the coordinator, so it is written by a background thread (an
        fsync takes milliseconds the event loop should not wait for; only the latest of
        several pending versions is written). `sync` (CLUSTER SAVECONFIG, a new node id)
        writes before returning, and raises OSError on failure."""
        pending = (self.myid, self.topology)
        with self._save_lock:
            idle = self._pending_save is None
            self._pending_save = pending
        if sync:
            # Through the same thread, so an older version queued before cannot land after.
            self._saver.submit(self._save_pending, True).result()
        elif idle:
            self._saver.submit(self._save_pending)

    def _save_pending(self, raising: bool = False) -> None:
        while True:
            with self._save_lock:
                pending, self._pending_save = self._pending_save, None
            if pending is None:
                return
            try:
                self._write(pending)
            except OSError as e:
                if raising:
                    raise
                log("warning", f"Could not save the cluster config file {self.config_file}: {e}")

    def _write(self, pending: tuple[str, Topology]) -> None:
        myid, topology = pending  # an installed topology is never changed in place
        data = {"id": myid, "topology": topology.to_dict()}
        write_atomically(self.config_file, json.dumps(data, indent=1).encode())


def _lock(path: str) -> int:
    # As Redis's clusterLockConfig: two nodes sharing one config file would fight over it.
    try:
        fd = os.open(path + ".lock", os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError as e:
        raise ClusterStartError(f"Can't open {path}.lock in order to acquire a lock: {e.strerror}")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise ClusterStartError(
            f"Sorry, the cluster configuration file {path} is already used by a different "
            "Redis Cluster node. Please make sure that different nodes use different cluster "
            "configuration files.")
    os.set_inheritable(fd, False)
    return fd


def _exists(db: Any, key: bytes) -> bool:
    # lookupKeyReadWithFlags(LOOKUP_NOEXPIRE...): an expired key counts as missing, but this
    # lookup does not delete it.
    if key not in db.data:
        return False
    when = db.expires.get(key) if db.expires else None
    return when is None or when >= db.keyspace.now


def endpoint(node: Any, kind: str) -> str:
    """The address clients are sent to (cluster-preferred-endpoint-type)."""
    if kind == "hostname":
        return node.hostname or "?"
    if kind == "unknown-endpoint":
        return ""  # MOVED 3999 :6381: the client reuses the address it used
    return node.host


def reply_later(client: "Client", work: Awaitable[Any]) -> Any:
    """Answer `client` when `work` finishes; the rest of its pipeline waits until then.

    For handlers that must wait on another process (the coordinator); returns NO_REPLY, the
    handler's reply for now."""
    if client.in_exec:
        close = getattr(work, "close", None)
        if close is not None:
            close()
        raise CommandError("ERR This command can't run inside MULTI/EXEC on a cluster node "
                           "that has a coordinator")
    client.blocked = True
    server = client.server

    async def finish() -> None:
        try:
            reply = await work
        except CommandError as e:
            reply = e
            server.count_error(e)
        except Exception as e:  # a bug: logged with its traceback, answered as an error
            cmd = client.last_command
            reply = server.internal_error(cmd, e) if cmd is not None else CommandError(str(e))
        if not client.closing:
            server.blocking.finish(client, reply)

    asyncio.ensure_future(finish())
    return NO_REPLY
