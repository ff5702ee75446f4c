"""The node server: listeners, connected clients, the periodic cron, and server-wide state.

One process, one uvloop event loop. The server owns the keyspace, the configuration, the
statistics INFO reports, the slow log and the monitors, and runs `cron` `hz` times a second
for active expiry, idle-client timeouts, pause expiry and output-buffer soft limits.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from node import __version__
from node.acl import Acl, AclError
from node.aof import AOF, AofError
from node.child import Children
from node.client import Client, server_fast_table
from node.client_evict import ClientEviction
from node.cluster import Cluster, ClusterStartError
from node.config import Config, ConfigError, KeyspaceEvents
from node.errors import CommandError
from node.evict import Evictor
from node.fdlimit import fit_maxclients
from node.functions import Functions
from node.blocking import Blocking
from node.keyspace import Keyspace
from node.latency import LatencyMonitor
from node.log import log
from node.notify import Notifier
from node.propagate import Propagation
from node.pubsub import PubSub
from node.replies import Status
from node.scripting import Scripting
from node.table import Command, all_commands, lookup
from node.tracking import Tracking
from node.watches import Watches

REDIS_VERSION = "7.0.15"

# Commands whose secrets MONITOR prints as "(redacted)" (Redis's redactClientCommandArgument):
# lower-case name -> the argument indexes to hide. Filled by node/commands/monitor.py.
MONITOR_REDACT: dict[bytes, Callable[[list[bytes]], list[int]]] = {}


@dataclass(slots=True)  # slots: the request path adds to four of these per batch
class Stats:
    """Counters behind INFO stats; CONFIG RESETSTAT zeroes them."""

    connections_received: int = 0
    rejected_connections: int = 0
    net_input_bytes: int = 0
    net_output_bytes: int = 0
    reads: int = 0  # socket reads that brought requests (total_reads_processed)
    writes: int = 0  # socket writes of replies (total_writes_processed)
    keyspace_hits: int = 0
    keyspace_misses: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    # Replication's (replication/): full and partial resyncs served, and the bytes of the
    # replication links, which INFO adds to total_net_*_bytes as Redis does.
    sync_full: int = 0
    sync_partial_ok: int = 0
    sync_partial_err: int = 0
    repl_input_bytes: int = 0
    repl_output_bytes: int = 0
    evicted_clients: int = 0  # disconnected by maxmemory-clients (node/client_evict.py)
    ops_samples: deque = field(default_factory=lambda: deque(maxlen=16))


@dataclass
class SlowlogEntry:
    id: int
    timestamp: int
    usec: int
    argv: list[bytes]
    addr: str
    name: bytes


class Slowlog:
    def __init__(self, server: "Server") -> None:
        self.server = server
        self.entries: deque[SlowlogEntry] = deque()
        self.next_id = 0

    def record(self, client: Client, argv: list[bytes], usec: int) -> None:
        maxlen = self.server.config["slowlog-max-len"]
        if maxlen == 0:
            # Redis creates the entry, then trims the log to nothing: ids still advance.
            self.entries.clear()
            self.next_id += 1
            return
        # As Redis: at most 32 arguments, each cut to 128 bytes, with a note of what is left.
        args = []
        for a in argv[:32] if len(argv) <= 32 else argv[:31]:
            args.append(a if len(a) <= 128 else a[:128] + b"... (%d more bytes)" % (len(a) - 128))
        if len(argv) > 32:
            args.append(b"... (%d more arguments)" % (len(argv) - 31))
        self.entries.appendleft(SlowlogEntry(self.next_id, int(time.time()), usec, args,
                                             client.addr, client.name))
        self.next_id += 1
        self._drop_past(maxlen)

    def trim(self) -> None:
        """Redis trims the log to slowlog-max-len after every command it could have logged,
        slow or not, while the log is on; CONFIG SET calls this, the one command after
        which trimming can find more than the limit (a smaller max-len, or the log turned
        back on)."""
        if self.server.slowlog_threshold >= 0:
            self._drop_past(self.server.config["slowlog-max-len"])

    def _drop_past(self, maxlen: int) -> None:
        while len(self.entries) > maxlen:
            self.entries.pop()  # the oldest


class Server:
    # Why clients are paused (Redis's pause_purpose): each purpose's pause ends on its own.
    PAUSE_CLIENT = "client"  # CLIENT PAUSE
    PAUSE_SHUTDOWN = "shutdown"  # waiting for replicas before shutting down
    PAUSE_FAILOVER = "failover"  # FAILOVER, or a cluster manual failover

    def __init__(self, config: Config) -> None:
        self.config = config
        self.keyspace = Keyspace(config["databases"])
        self.clients: dict[int, Client] = {}
        self.acl = Acl(self)  # before any client: each starts as its default user
        # This, pause_end, deny_writes, write_denied, stale_denied and blocking.clients decide
        # `fast_table`: whoever changes one calls checks_changed().
        self.monitors: list[Client] = []
        self.paused_clients: list[Client] = []
        self.blocking = Blocking(self)
        self.watches = Watches(self.keyspace)
        self.propagation = Propagation()
        self.pubsub = PubSub(self)
        self.tracking = Tracking(self)
        self.keyspace.notifier = notifier = Notifier(self.pubsub)
        config.listen("notify-keyspace-events", lambda value: self._set_notify(notifier, value))
        self._set_notify(notifier, config["notify-keyspace-events"])
        self.children = Children()
        self.children.in_child.append(self._close_listeners)
        self.keyspace.on_expired.append(self._propagate_expired)
        # The error write commands get instead of running (READONLY on a read-only replica,
        # NOREPLICAS under min-replicas-to-write), or None; the replication manager sets it.
        self.deny_writes: CommandError | None = None
        # replication.manager.Replication, wired up in start() (node reaches replication only
        # through it: role, offsets, WAIT, INFO replication).
        self.replication: Any = None
        # Group commit (appendfsync always): replies held until the tick's writes are fsynced.
        self.hold_replies = False
        self.held: dict[Client, None] = {}
        # Clients whose replies wait for the end of the loop iteration (Client.flush_later).
        self.unflushed: dict[Client, None] = {}
        self.aof = AOF(self)
        # Pauses by purpose (CLIENT PAUSE, a failover, a shutdown), each (monotonic end,
        # writes only), as Redis 7.0's client_pause_per_purpose: ending one leaves the others.
        # `pause_end`/`pause_writes_only` are the most restrictive one's; 0 when none.
        self.pauses: dict[str, tuple[float, bool]] = {}
        self.pause_end = 0.0
        self.pause_writes_only = False
        self.active_expire = True  # DEBUG SET-ACTIVE-EXPIRE 0 leaves expiry to lookups
        self.cron_paused = False  # DEBUG PAUSE-CRON 1: the cron only keeps the clock
        self.stats = Stats()
        self.slowlog = Slowlog(self)
        self.slowlog_threshold = config["slowlog-log-slower-than"]
        self.start_time = time.time()
        self.run_id = os.urandom(20).hex()
        self._next_id = 0
        self._servers: list[asyncio.AbstractServer] = []
        self._cron_handle: asyncio.TimerHandle | None = None
        self.shutdown_requested: asyncio.Future | None = None
        # SIGTERM/SIGINT received and not yet announced, and whether one was (a SIGINT then
        # exits at once); see _on_signal.
        self.signals: list[int] = []
        self.signalled = False
        self.shutdown_signal: int | None = None  # announced, not yet acted on
        self._loop: asyncio.AbstractEventLoop | None = None
        self.ports: list[int] = []
        self.log = log
        # Commands at least this slow go to Client._record_slow (set by the latency monitor).
        self.slow_ns = 1 << 62
        self.latency = LatencyMonitor(self)
        # The normal class's (hard, soft, seconds); all zero, Redis's default, means no limit,
        # and then replies are written without the check. Subscribed clients have the pubsub
        # class's, always checked.
        self.output_limit: tuple[int, int, int] = config["client-output-buffer-limit"]["normal"]
        self.output_limited = any(self.output_limit)  # what Client.flush tests
        self.pubsub_output_limit: tuple[int, int, int] = (
            config["client-output-buffer-limit"]["pubsub"])
        self.config.listen("client-output-buffer-limit", self._set_output_limit)
        self.config.listen("slowlog-log-slower-than", self._set_slowlog_threshold)
        self.config.listen("loglevel", lambda v: log.configure(level=v))
        self.config.listen("dir", _chdir)
        self.config.listen("maxclients", _raise_open_files)
        for name in ("maxmemory-policy", "lfu-log-factor", "lfu-decay-time"):
            self.config.listen(name, self._apply_lfu)
        self._apply_lfu(None)
        # Cluster mode (node/cluster.py): None for a standalone node.
        self.cluster: Cluster | None = Cluster(self) if config["cluster-enabled"] else None
        # The error write commands get while persistence is failing (-MISCONF), else None:
        # the request path tests this one attribute.
        self.write_denied: CommandError | None = None
        # -MASTERDOWN while a replica's link is down with replica-serve-stale-data no
        # (replication/manager.py, refresh_stale_gate): only commands flagged `stale` run.
        self.stale_denied: CommandError | None = None
        # Imported here: snapshots know the data types (node.commands), which import this module.
        from node.snapshot import Snapshots

        self.rdb = Snapshots(self)
        # The inline path's table for clients that need no checks of their own; every change
        # of a state it depends on (see server_fast_table) calls checks_changed().
        self.fast_table: dict[bytes, Command] | None = None
        # While a script runs past busy-reply-threshold: the -BUSY error every command but the
        # `allow_busy` ones gets (node/busy.py, served from the script's hook).
        self.busy: CommandError | None = None
        # Lua scripting (node/scripting.py): made at start, as Redis's scriptingInit makes
        # its lua client then.
        self.scripting = Scripting(self)
        self.functions = Functions(self.scripting)  # FUNCTION's libraries, on the same Lua
        self.evictor = Evictor(self)  # maxmemory and eviction (node/evict.py)
        self.client_eviction = ClientEviction(self)  # maxmemory-clients (node/client_evict.py)
        self.checks_changed()

    def load_data(self) -> None:
        """loadDataFromDisk: the dataset at start, before any client is accepted: the AOF
        when appendonly is on (as Redis 7.0, even if a dump.rdb exists), else dump.rdb; then
        the AOF opened for appending. Raises LoadFailed or AofError (logged, exit code 1)
        when the data on disk cannot be loaded."""
        from node import aof_load

        aof = self.aof
        aof.manifest = aof_load.load_manifest(self)
        if self.config["appendonly"]:
            start = time.monotonic()
            status = aof_load.load_append_only_files(self)
            if status != aof_load.NOT_EXIST:
                log("notice", "DB loaded from append only file: "
                    f"{time.monotonic() - start:.3f} seconds")
        else:
            self.rdb.load_at_start()
        if self.replication is not None:
            # (a dataset loaded from the AOF names no replication history, as in Redis 7.0;
            # before the AOF opens: restoring the history moves the stream's offset)
            aux = {} if self.config["appendonly"] else self.rdb.loaded_aux
            self.replication.dataset_loaded(aux)
        aof.open_on_start()
        aof.delete_history()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        # Replication first: a node that answers clients also takes replicas.
        from replication.manager import Replication

        self.replication = Replication(self)
        await self.replication.start()
        port = self.config["port"]
        backlog = self.config["tcp-backlog"]
        for host, optional in _bind_hosts(self.config["bind"]):
            try:
                srv = await loop.create_server(
                    lambda: Client(self), host, port, backlog=backlog, reuse_address=True
                )
            except OSError as e:
                if optional:
                    continue  # `-` marks an address that may be unavailable (`-::*`)
                raise OSError(e.errno, "Could not create server TCP listening socket "
                              f"{host}:{port}: {e.strerror}") from None
            self._servers.append(srv)
            self.ports.extend(sock.getsockname()[1] for sock in srv.sockets)
        self.shutdown_requested = loop.create_future()
        log("notice", "Server initialized")
        self.evictor.measure_startup()  # the baseline of used_memory: all but the dataset
        # The port is bound but nothing is accepted until the dataset is in memory.
        self.load_data()
        self._schedule_cron()
        if self.cluster is not None:
            await self.cluster.start()
        log("notice", f"Ready to accept connections tcp (port {self.ports[0] if self.ports else port})")

    def listeners(self) -> list[asyncio.AbstractServer]:
        return self._servers

    def flush_clients(self) -> None:
        """Write the replies of every client served in the last loop iteration."""
        clients, self.unflushed = self.unflushed, {}
        for client in clients:
            client.flush()

    def hold(self, client: Client) -> None:
        """Keep `client`'s replies until this tick's writes are on disk (see node/aof.py)."""
        self.held[client] = None

    async def serve_forever(self) -> None:
        await self.start()
        self._loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)
        assert self.shutdown_requested is not None
        await self.shutdown_requested
        await self.stop()

    def _on_signal(self, sig: int, _frame: Any) -> None:
        # A Python handler rather than the loop's: it also runs while a busy script holds the
        # loop (its Lua hook calls into Python), where Redis's handler acts at once. It only
        # records the signal, as a handler interrupting a log write must not write itself;
        # but a SIGINT after a signal already taken means: exit now (sigShutdownHandler).
        if self.signalled and sig == signal.SIGINT:
            log("warning", "You insist... exiting now.")
            os._exit(1)
        self.signalled = True
        self.signals.append(sig)
        self._loop.call_soon_threadsafe(self._signal_shutdown)

    def log_signals(self) -> None:
        """Announce the signals received since last asked (the loop asks, and a busy script's
        tick: node/busy.py); the last one is what the shutdown follows."""
        while self.signals:
            self.shutdown_signal = sig = self.signals.pop(0)
            name = "SIGTERM" if sig == signal.SIGTERM else "SIGINT"
            log("warning", f"Received {name} scheduling shutdown...")

    def _signal_shutdown(self) -> None:
        # In the loop, so after a busy script ended (Redis's shutdown_asap, seen by its cron).
        self.log_signals()
        sig, self.shutdown_signal = self.shutdown_signal, None
        if sig is None:
            return  # (two signals, one call each: the first took both)
        words = self.config["shutdown-on-sigterm" if sig == signal.SIGTERM
                            else "shutdown-on-sigint"].split()
        save = True if "save" in words else False if "nosave" in words else None
        if self.finish_shutdown(save, force="force" in words):
            self.request_shutdown()
        else:
            self.signalled = False

    def finish_shutdown(self, save: bool | None = None, force: bool = False) -> bool:
        """finishShutdown: what must happen before the process may exit (stop a saving child,
        the final snapshot when save points are configured or `save`). False when it failed:
        the error is logged and the server keeps running."""
        log("warning", "User requested shutdown...")
        if not self.rdb.before_shutdown(save, force):
            log("warning", "Errors trying to shut down the server. Check the logs for more "
                "information.")
            return False
        return True

    def request_shutdown(self) -> None:
        if self.shutdown_requested is not None and not self.shutdown_requested.done():
            self.shutdown_requested.set_result(True)

    async def stop(self) -> None:
        if self._cron_handle is not None:
            self._cron_handle.cancel()
        if self.cluster is not None:
            await self.cluster.stop()
        if self.replication is not None:
            await self.replication.stop()
        self.aof.shutdown()
        for srv in self._servers:
            srv.close()
        for client in list(self.clients.values()):
            client.close()
        pidfile = self.config["pidfile"]
        if pidfile:
            log("notice", "Removing the pid file.")
            try:
                os.unlink(pidfile)
            except OSError:
                pass
        log("warning", "slotkv is now ready to exit, bye bye...")

    def _close_listeners(self) -> None:
        # In a forked child: the port belongs to the parent (and to its successor, if the
        # parent dies while the child still runs).
        for srv in self._servers:
            for sock in srv.sockets:
                try:
                    os.close(sock.fileno())
                except OSError:
                    pass

    # -- clients -----------------------------------------------------------------------------

    def next_client_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def client_connected(self, client: Client) -> None:
        self.stats.connections_received += 1
        transport = client.transport
        assert transport is not None
        if len(self.clients) >= self.config["maxclients"]:
            self.stats.rejected_connections += 1
            transport.write(b"-ERR max number of clients reached\r\n")
            client.closing = True
            transport.close()
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                keepalive = self.config["tcp-keepalive"]
                if keepalive > 0:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, keepalive)
            except OSError:
                pass
        self.clients[client.id] = client

    def client_disconnected(self, client: Client) -> None:
        self.clients.pop(client.id, None)
        self.client_eviction.forget(client)
        if client.monitor:
            self.monitors.remove(client)
            self.checks_changed()
        if client in self.paused_clients:
            self.paused_clients.remove(client)
        self.blocking.release(client)
        if client.watched:
            self.watches.unwatch(client)
        if client.subscriptions is not None:
            self.pubsub.forget(client)
        if client.tracking is not None:
            self.tracking.disable(client)

    def check_output_limit(self, client: Client, pending: int) -> None:
        """Close a client whose unread replies pass its client-output-buffer-limit class."""
        if pending == 0:
            client.soft_limit_since = 0.0
            return
        hard, soft, secs = self.output_limit_of(client)
        over_soft = soft and pending > soft
        if hard and pending > hard or over_soft and secs == 0:
            self._close_for_output(client, pending)
        elif over_soft:
            now = time.monotonic()
            if not client.soft_limit_since:
                client.soft_limit_since = now
            elif now - client.soft_limit_since >= secs:
                self._close_for_output(client, pending)
        else:
            client.soft_limit_since = 0.0

    def _set_notify(self, notifier: Notifier, value: KeyspaceEvents) -> None:
        self.keyspace.notify_flags = notifier.flags = value.flags

    def output_limit_of(self, client: Client) -> tuple[int, int, int]:
        """The client-output-buffer-limit class of `client`: pubsub while it subscribes."""
        return self.output_limit if client.subscriptions is None else self.pubsub_output_limit

    def _set_output_limit(self, value: dict[str, tuple[int, int, int]]) -> None:
        self.output_limit = value["normal"]
        self.output_limited = any(self.output_limit)
        self.pubsub_output_limit = value["pubsub"]

    def _close_for_output(self, client: Client, pending: int) -> None:
        log("warning", f"Client {client.describe()} scheduled to be closed ASAP for overcoming "
            f"of output buffer limits.")
        if client.transport is not None:
            client.transport.abort()
        client.closing = True

    def checks_changed(self) -> None:
        """A server-wide condition of the inline path changed: recompute `fast_table`."""
        self.fast_table = server_fast_table(self)

    # -- CLIENT PAUSE ------------------------------------------------------------------------

    def pause(self, seconds: float, writes_only: bool, purpose: str = PAUSE_CLIENT) -> None:
        """Pause clients for `purpose` (pauseClients). A second pause of one purpose may
        lengthen it or widen it to all commands, never narrow it."""
        end = time.monotonic() + seconds
        old = self.pauses.get(purpose)
        if old is not None:
            end, writes_only = max(end, old[0]), writes_only and old[1]
        self.pauses[purpose] = (end, writes_only)
        self._pauses_changed()

    def unpause(self, purpose: str = PAUSE_CLIENT) -> None:
        """End the pause of `purpose` (unpauseClients); the others go on."""
        if self.pauses.pop(purpose, None) is not None or not self.pauses:
            self._pauses_changed()

    def _pauses_changed(self) -> None:
        # updateClientPauseTypeAndEndTime: expired pauses go; the most restrictive one left
        # rules. Parked clients are looked at again whenever the rule became less strict.
        now = time.monotonic()
        was_end, was_writes_only = self.pause_end, self.pause_writes_only
        self.pauses = live = {p: v for p, v in self.pauses.items() if v[0] >= now}
        alls = [end for end, writes_only in live.values() if not writes_only]
        self.pause_writes_only = not alls and bool(live)
        self.pause_end = max(alls or [end for end, _ in live.values()] or [0.0])
        self.checks_changed()
        if was_end and (not live or (self.pause_writes_only and not was_writes_only)):
            parked, self.paused_clients = self.paused_clients, []
            for client in parked:
                if client.closing:
                    continue
                cmd = lookup(client.pending) if client.pending is not None else None
                if live and cmd is not None and self.pause_blocks(client, cmd):
                    self.paused_clients.append(client)
                else:
                    client.resume()

    def pause_blocks(self, client: Client, cmd: Command) -> bool:
        """Whether `cmd` must wait for the pause to end (ALL: everything, as in Redis)."""
        if time.monotonic() > self.pause_end:
            self._pauses_changed()
            if not self.pause_end:
                return False
        return not self.pause_writes_only or "write" in cmd.flags or "may_replicate" in cmd.flags

    def _propagate_expired(self, db: Any, key: bytes) -> None:
        # Replicas and the AOF never expire keys on their own clock: they get this DEL. One a
        # command's lookup made goes out in one unit with that command's writes, as Redis 7.0's
        # also_propagate; the active expiry's belong to no command.
        propagation = self.propagation
        if propagation.active:
            argv = (b"UNLINK" if self.config["lazyfree-lazy-expire"] else b"DEL", key)
            if self.keyspace.active_expiring:
                propagation.command(db.index, argv)
            else:
                propagation.lazy_deletion(db.index, argv)

    # -- monitors, errors, slow log ----------------------------------------------------------

    def feed_monitors(self, client: Client, argv: list[bytes]) -> None:
        now = time.time()
        redact = MONITOR_REDACT.get(argv[0].lower())
        if redact is not None:
            hidden = set(redact(argv))
            argv = [b"(redacted)" if i in hidden else a for i, a in enumerate(argv)]
        args = " ".join('"' + _escape(a) + '"' for a in argv)
        line = Status(f"{now:.6f} [{client.db.index} {client.addr}] {args}".encode())
        for m in self.monitors:  # the monitor itself included, as in Redis
            m.write(line)
            m.flush()

    def internal_error(self, cmd: Command, exc: Exception) -> CommandError:
        """A handler raised something that is not a command error (a bug): log it with its
        traceback and answer that one command with an error, keeping the connection and the
        server up, as a crash of one command must not take every client down."""
        cmd.failed_calls += 1
        self.log("warning", f"Internal error in '{cmd.name}': "
                 + "".join(traceback.format_exception(exc)).rstrip())
        err = CommandError(f"ERR internal error in '{cmd.name}': {type(exc).__name__}")
        self.count_error(err)
        return err

    def count_error(self, err: CommandError) -> None:
        # As Redis's afterErrorReply: the code is what precedes a space in the reply's first
        # 32 bytes (its leading '-' included); an error with none there counts as ERR.
        text = str(err)
        space = text.find(" ", 0, 31)
        prefix = text[:space] if space >= 0 else "ERR"
        self.stats.errors[prefix] = self.stats.errors.get(prefix, 0) + 1

    def _set_slowlog_threshold(self, value: int) -> None:
        self.slowlog_threshold = value

    def _apply_lfu(self, _value: Any) -> None:
        # The keyspace keeps LFU counters only under an LFU policy (OBJECT FREQ needs them).
        cfg = self.config
        self.keyspace.set_lfu(cfg["maxmemory-policy"].endswith("-lfu"),
                              cfg["lfu-log-factor"], cfg["lfu-decay-time"])

    def reset_stats(self) -> None:
        self.stats = Stats()
        for cmd in all_commands():
            cmd.calls = cmd.nsec = cmd.rejected_calls = cmd.failed_calls = 0
        self.keyspace.expired_keys = 0
        self.keyspace.evicted_keys = 0
        # As Redis: the running period is dropped too; the next eviction that cannot bring
        # memory under the limit starts a new one.
        self.evictor.exceeded_total = self.evictor.exceeded_since = 0
        self.keyspace.hits = self.keyspace.misses = 0
        self.children.forks = 0
        self.latency.reset_histograms()

    # -- cron --------------------------------------------------------------------------------

    def _schedule_cron(self) -> None:
        hz = max(1, min(500, self.config["hz"]))
        self._cron_handle = asyncio.get_running_loop().call_later(1.0 / hz, self.cron)

    def cron(self) -> None:
        try:
            ks = self.keyspace
            ks.tick()
            if self.cron_paused:  # as Redis's paused serverCron: the cached clock only
                return
            # Bound the work per tick (Redis's ACTIVE_EXPIRE_CYCLE budget, scaled by effort).
            if self.active_expire:
                ks.active_expire_cycle(budget=2000 * self.config["active-expire-effort"])
            if self.blocking.ready:  # an expired key fails its blocked XREADGROUPs
                self.blocking.serve_ready()
            if self.evictor.limit:
                self.evictor.refresh()
                self.evictor.perform()  # also when only reads come (they do not check)
            if self.client_eviction.limit:
                self.client_eviction.cron(self.config["hz"])
            self.children.poll()
            if self.cluster is not None:
                self.cluster.cron()
            self.rdb.cron()
            self.aof.cron()
            if self.pause_end and time.monotonic() > self.pause_end:
                self._pauses_changed()
            timeout = self.config["timeout"]
            if timeout:
                limit = self.keyspace.now - timeout * 1000
                for client in list(self.clients.values()):
                    # Subscribers wait for messages without sending anything (as Redis).
                    if (client.last_interaction < limit and not client.blocked
                            and not client.monitor and client.subscriptions is None):
                        log("verbose", "Closing idle client")
                        client.close()
            self.stats.ops_samples.append((time.monotonic(), self.total_commands(),
                                           self.stats.net_input_bytes, self.stats.net_output_bytes))
        finally:
            self._schedule_cron()

    def total_commands(self) -> int:
        return sum(cmd.calls for cmd in all_commands())

    def used_memory_rss(self) -> int:
        try:
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _escape(arg: bytes) -> str:
    """sdscatrepr: quote-safe representation, as MONITOR prints arguments."""
    out = []
    for b in arg:
        c = chr(b)
        if c in '\\"':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif c == "\a":
            out.append("\\a")
        elif c == "\b":
            out.append("\\b")
        elif 32 <= b < 127:
            out.append(c)
        else:
            out.append("\\x%02x" % b)
    return "".join(out)


def _bind_hosts(bind: tuple[str, ...]) -> list[tuple[str, bool]]:
    """(host, optional) per `bind` word; `*` is every IPv4 address, `::*` every IPv6 one."""
    out = []
    for word in bind:
        optional = word.startswith("-")
        name = word[1:] if optional else word
        out.append(({"*": "0.0.0.0", "::*": "::"}.get(name, name), optional))
    return out


def _raise_open_files(maxclients: int) -> None:
    # CONFIG SET maxclients (updateMaxclients): refused unless the open-files limit fits it.
    fit = fit_maxclients(maxclients)
    if fit != maxclients:
        raise ConfigError("The operating system is not able to handle the specified number "
                          f"of clients, try with {fit}")


def _chdir(path: str) -> None:
    if path:
        try:
            os.chdir(path)
        except OSError as e:
            raise ConfigError(e.strerror or "No such file or directory") from e


def _daemonize() -> None:
    """Detach as redis-server does with `daemonize yes`: the shell gets its prompt back."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    # Like Redis, a daemon with no logfile logs nowhere.
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def run(config: Config) -> int:
    """Run a node in the foreground until SHUTDOWN or a signal; the process exit code."""
    import uvloop

    if config["daemonize"]:
        _daemonize()
    log.configure(level=config["loglevel"], logfile=config["logfile"] or None)
    if config["dir"]:
        os.chdir(config["dir"])
    if config["pidfile"]:
        with open(config["pidfile"], "w") as f:
            f.write(f"{os.getpid()}\n")
    log("notice", "oO0OoO0OoO0Oo slotkv is starting oO0OoO0OoO0Oo")
    log("notice", f"slotkv version={__version__}, redis_version={REDIS_VERSION}, "
        f"bits=64, pid={os.getpid()}, just started")
    # As Redis's initServer: a limit on open files that cannot be raised lowers maxclients.
    fit = fit_maxclients(config["maxclients"])
    if fit < 1:
        return 1
    config.apply("maxclients", fit)
    try:
        server = Server(config)
    except (ClusterStartError, AclError) as e:
        for line in str(e).split("\n"):
            log("warning", line)
        return 1
    from node.snapshot import LoadFailed

    async def main() -> None:
        try:
            await server.serve_forever()
        except (OSError, LoadFailed, AofError) as e:
            for line in str(e).split("\n"):
                log("warning", line)
            raise SystemExit(1)

    try:
        uvloop.run(main())
    except KeyboardInterrupt:
        pass
    return 0
