"""One client connection: its protocol state and the request path it drives.

`Client` is the `asyncio.Protocol` for a connection and also the context every handler gets
as `ctx`: current database, protocol version, name, auth state. The request path is here:

    data_received -> parser -> execute(argv) per command -> reply values -> encoder
                  -> one transport.write per batch

A command that cannot finish now (CLIENT PAUSE, a blocking command: see node/blocking.py)
parks the client: `blocked` is set, the command waits in `pending`, the remaining requests
stay in the parser, and the pipeline carries on once it is served.

Between MULTI and EXEC, `execute` queues commands instead of running them (see
node/commands/transactions.py).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import hiredis

from node import errors
from node.client_evict import client_memory
from node.codec import (
    BULK_HEADERS, INT_REPLIES, INT_REPLY_MAX, INT_REPLY_MIN, SETTLE_AT, RequestParser, encoder_for,
)
from node.errors import CommandError, ProtocolError
from node.keyspace import Database
from node.pubsub import Subscriptions
from node.tracking import ClientTracking
from node.replies import NO_REPLY, OK
from node.table import COMMANDS, Command

if TYPE_CHECKING:
    from node.server import Server

# CLIENT REPLY modes
REPLY_ON, REPLY_OFF, REPLY_SKIP = 0, 1, 2

# Command names as clients spell them -> commands that may run on the fast path: no
# subcommands, and nothing that changes authentication, reply mode, monitoring or blocks
# (`no_auth`, `admin`, `noscript`, `blocking` commands always take the full path).
_FAST: dict[bytes, Command] = {}
# The same for a node that refuses writes (a read-only replica, NOREPLICAS): no write commands.
_FAST_READ: dict[bytes, Command] = {}
_NOTHING: dict[bytes, Command] = {}
_NO_LIMIT = (0, 0, 0)
# parser.held past which a batch checks the query buffer limits (see process).
_QUERY_CHECK_AT = 1024 * 1024 // 2
_SLOW_FLAGS = frozenset(("no_auth", "admin", "noscript", "blocking"))
# Commands that act on a transaction instead of being queued in it (processCommand).
_NOT_QUEUED = frozenset(("exec", "discard", "multi", "watch", "quit", "reset"))
# Flags of commands that read or change keys (refused to MONITOR clients, as to replicas).
_KEYSPACE_FLAGS = frozenset(("readonly", "write", "may_replicate"))
# Commands MONITOR never shows.
_UNMONITORED = frozenset(("admin", "skip_monitor"))
# The commands a RESP2 client with subscriptions may run (Redis's Pub/Sub context).
_PUBSUB_CONTEXT = frozenset(("ping", "subscribe", "ssubscribe", "psubscribe", "unsubscribe",
                             "sunsubscribe", "punsubscribe", "quit", "reset"))


class _Rejected(Exception):
    """hiredis parsed something that is not an array of bulk strings."""


# What _FAST gives for names that must take `Client.execute`: no argument count fits it.
_SLOW = Command("(checks path)", None, 0, frozenset())


def server_fast_table(server: Server) -> dict[bytes, Command] | None:
    """The inline-path table the server's state allows (Server.fast_table); None if none.

    While anyone is blocked, every command takes `execute`, which serves the blocked clients
    a command may have woken before the next command runs. MONITOR, CLIENT PAUSE, -MISCONF,
    -MASTERDOWN, -BUSY and memory over maxmemory are `execute`'s too (the keyspace's memory
    account reports crossing the limit, node/evict.py); writes refused (READONLY,
    NOREPLICAS) leave reads.
    """
    if (server.monitors or server.pause_end or server.blocking.clients
            or server.write_denied is not None or server.stale_denied is not None
            or server.busy is not None or server.evictor.over):
        return None
    return _FAST if server.deny_writes is None else _FAST_READ


def _fast_command(name: bytes, table: dict[bytes, Command]) -> Command:
    """The command `name` runs on the fast path, learnt on first use; _SLOW if it may not.

    `table` is _FAST, or _FAST_READ while writes are refused (write commands are _SLOW there).
    """
    cmd = COMMANDS.get(name.lower())
    if cmd is None or cmd.subcommands or cmd.handler is None or cmd.flags & _SLOW_FLAGS:
        cmd = _SLOW
    elif table is _FAST_READ and "write" in cmd.flags:
        cmd = _SLOW
    if len(table) < 4096:  # bounded: clients may send any number of unknown names
        table[name] = cmd
    return cmd


class Client(asyncio.Protocol):
    # Slots, not a __dict__: with more than 30 attributes an instance's dict stops sharing its
    # class's keys, and CPython 3.11 then leaves every method load and class-attribute read on
    # a client unspecialized (the generic lookup: a type walk and a dict probe each).
    __slots__ = (
        '_authenticated', '_boundary', 'addr', 'asking', 'blocked', 'checks_path', 'closing',
        'created', 'db', 'dirty_cas', 'encode', 'fd', 'id', 'in_exec', 'laddr', 'last_command',
        'last_interaction', 'monitor', 'multi', 'multi_error', 'name', 'no_evict',
        'null_reply', 'out', 'parser', 'pending', 'protocol', 'pubsub_context', 'readonly',
        'reply_mode', 'rewrite', 'server', 'skip_after_exec', 'soft_limit_since',
        'subscriptions', 'throttled', 'tracking', 'transport', 'user', 'watched', 'woff',
        'must_obey', 'propagates',
    )

    # Redis's mustObeyClient: the pseudo-clients that replay what already happened (a
    # replica's primary's stream, replication/replica.py; the AOF at load, node/aof_load.py)
    # set this. Their writes are never refused (READONLY, NOREPLICAS, MISCONF) nor paused,
    # nor redirected in cluster mode. (Copied to the `must_obey` slot: a class attribute read
    # through an instance is never specialized in CPython 3.11.)
    MUST_OBEY = False
    # Whether this client's writes go to the AOF and replicas command by command (the
    # `propagates` slot). A replica passes its primary's stream on as it came instead
    # (replication/replica.py).
    PROPAGATES = True

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.must_obey = self.MUST_OBEY
        self.propagates = self.PROPAGATES
        self.id = server.next_client_id()
        self.parser = RequestParser(server.config["proto-max-bulk-len"])
        self.transport: asyncio.Transport | None = None
        self.out: list[bytes] = []
        self.db: Database = server.keyspace.dbs[0]
        self.protocol = 2
        self.encode = encoder_for(2)
        self.null_reply = b"$-1\r\n"  # the encoder's None, kept for the fast path
        self.name = b""
        self._authenticated = True
        # The ACL user (node/acl.py), which AUTH/HELLO change; the pseudo-clients replaying a
        # primary's stream or the AOF have none, as in Redis (no checks, "(superuser)").
        acl = server.acl
        self.user = acl.superuser if self.must_obey else acl.default
        self.authenticated = self.user.can_log_in_without_password
        self.addr = self.laddr = "?:0"
        self.fd = -1
        self.created = time.time()
        self.last_interaction = server.keyspace.now
        self.last_command: Command | None = None
        self.reply_mode = REPLY_ON
        # CLIENT REPLY SKIP run inside EXEC: skip the reply of the command after the EXEC
        # (Redis's CLIENT_REPLY_SKIP_NEXT, made a skip when the top-level command ends).
        self.skip_after_exec = False
        self.no_evict = False
        self.monitor = False
        self.closing = False  # close once the pending replies are written
        self.blocked = False
        self.pending: list[bytes] | None = None  # the command a pause or a block parked
        self.multi: list[tuple[Command, list[bytes]]] | None = None  # queued in MULTI
        self.multi_error = False  # a command failed its checks while queueing: EXECABORT
        self.in_exec = False
        self.watched: dict[tuple[int, bytes], bool] = {}  # (db, key) -> expired when watched
        self.dirty_cas = False  # a watched key changed: EXEC will fail
        self.soft_limit_since = 0.0
        self.throttled = False  # the client is not reading its replies (see pause_writing)
        self.rewrite: list[list[bytes]] | None = None  # set by propagate_as
        self.asking = False  # cluster mode: ASKING was sent (node/cluster.py)
        self.subscriptions: Subscriptions | None = None  # pub/sub (node/pubsub.py)
        self.pubsub_context = False  # RESP2 with subscriptions: only the pub/sub commands run
        self.tracking: ClientTracking | None = None  # CLIENT TRACKING (node/tracking.py)
        # Either of the above, or a restricted ACL user: every command takes `execute`.
        self.checks_path = self.user.restricted
        self.readonly = False  # cluster mode: READONLY, reads served by a replica
        self.woff = 0  # the stream offset just past this client's last write (WAIT)
        self._boundary: bool | None = None  # the parser ended the last batch on a boundary

    @property
    def authenticated(self) -> bool:
        return self._authenticated

    @authenticated.setter
    def authenticated(self, value: bool) -> None:
        # Until a client authenticates, Redis limits how much it may send (see RequestParser).
        self._authenticated = value
        self.parser.auth_required = not value

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        adopted = self.transport is not None  # accepted while a script was busy (node/busy.py)
        self.transport = transport  # type: ignore[assignment]
        if adopted:
            return
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        sock = transport.get_extra_info("socket")
        self.addr = _format_addr(peer)
        self.laddr = _format_addr(local)
        self.fd = sock.fileno() if sock is not None else -1
        self.server.client_connected(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server.client_disconnected(self)

    def pause_writing(self) -> None:
        # The client is not reading its replies: stop reading its requests, and stop running
        # the ones already read (process() checks `throttled` as it writes mid-batch). Unless
        # a client-output-buffer-limit applies: then, as in Redis, the requests keep running
        # and the limit decides (check_output_limit). Pausing would hold the replies just
        # under a hard limit, and the client would hang instead of being disconnected.
        # The same for a client that maxmemory-clients may evict (node/client_evict.py).
        server = self.server
        if server.output_limit_of(self) != _NO_LIMIT or server.client_eviction.evictable(self):
            return
        self.throttled = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.throttled = False
        if self.transport is not None and not self.closing:
            self.transport.resume_reading()
            if not self.blocked:
                self.process()  # the requests left over when the client fell behind

    def data_received(self, data: bytes) -> None:
        server = self.server
        stats = server.stats
        stats.net_input_bytes += len(data)
        stats.reads += 1
        parser = self.parser
        propagation = server.propagation
        # (Not while a script is busy, node/busy.py: its writes are being propagated.)
        if propagation.active and server.busy is None and not (
                self.blocked or self.throttled) and (
                self._boundary if self._boundary is not None else parser.at_boundary()) and (
                propagation.open_batch(self, self.db.index)):
            # Writes of this chunk may go on as the bytes themselves (node/propagate.py).
            before = parser.requests
            parser.feed(data)
            self.process()
            self._boundary = whole = parser.at_boundary()
            propagation.close_batch(data, parser.requests - before, whole)
            return
        self._boundary = None
        parser.feed(data)
        if self.blocked or self.throttled:
            self._check_query_buffer()
            return
        self.process()

    # -- the request path --------------------------------------------------------------------

    def process(self) -> None:
        """Run every complete request that is buffered, then write all the replies at once.

        The common case (a known command of the right arity, no MONITOR/PAUSE/AUTH/CLIENT
        REPLY in play, a reply of a RESP2/RESP3-neutral type) runs inline in the inner loop;
        every other case goes through `execute`, which applies the full set of checks.
        Commands that can block or close the connection never take the inline path (see
        `_SLOW_FLAGS`), so the inner loop checks `blocked`/`closing` only after `execute`.
        """
        server = self.server
        ks = server.keyspace
        # Keyspace.tick() and _fast_table() are inlined below: as calls they were 3% of a
        # lone request's instructions (callgrind).
        ks.now = now = time.time_ns() // 1_000_000
        if now >= ks.lru_next:
            ks.tick()
        self.last_interaction = now
        parser = self.parser
        # Methods are called through their objects (out.append, reader.gets, table.get), not
        # bound to locals: a bound method is an object made per batch, which costs a lone
        # request more than the attribute lookups it saves a pipeline (callgrind: a lone
        # SET 7% fewer instructions, a batch of 16 SETs 2% fewer).
        out = self.out
        clock = time.perf_counter_ns
        propagation = server.propagation
        cluster = server.cluster if not self.must_obey else None
        served = 0  # requests hiredis returned in this batch, `last` the final one
        last = None
        # Consecutive calls of one command are timed together, one clock read per run
        # (see _charge): `run` is that command and `calls` its calls so far.
        run: Command = _SLOW
        run_name = None  # the spelling of `run`'s name that was last looked up
        calls: list[list[bytes]] = []
        try:
            while not (self.blocked or self.closing or self.throttled):
                if not parser.multibulk:
                    argv = parser.get()
                    if argv is None:
                        break
                    self.execute(argv)
                    run = _SLOW  # execute set last_command
                    if len(out) > 192:
                        self.flush()
                    continue
                reader = parser.reader
                fast = (server.fast_table if self._authenticated and self.reply_mode == REPLY_ON
                        and self.multi is None and not self.checks_path else None)
                if self.must_obey and fast is not None:  # (replaying: nothing refused)
                    fast = _FAST
                table = _NOTHING if fast is None else fast
                # Attaching an AOF or a replica's backlog takes a command of the checks path
                # (or happens between batches), after which this is read again.
                prop = self.propagates and propagation.active
                t_prev = clock()
                try:
                    while True:
                        try:
                            argv = reader.gets()
                        except TypeError:  # hiredis: a RESP3 map with an unhashable key
                            raise _Rejected from None
                        if argv.__class__ is not list or not argv:
                            if argv is False:
                                if parser.unfed is not None and parser.more():
                                    # A new slice: charge the run so far, so that a long
                                    # stream of one command holds a slice's arguments at most.
                                    if calls:
                                        now = clock()
                                        self._charge(run, calls, now - t_prev)
                                        t_prev = now
                                        calls = []
                                    continue
                                break
                            if argv:
                                raise _Rejected
                            continue  # `*0`, `*-1`: empty requests, skipped as Redis does
                        # Every argument must be a bulk string: join, one C pass, refuses
                        # anything that is not bytes-like, and hiredis makes only bytes. (It
                        # copies the arguments once more; cheaper than a Python loop over them.)
                        try:
                            b"".join(argv)
                        except TypeError:
                            raise _Rejected from None
                        served += 1
                        last = argv
                        name = argv[0]
                        if name == run_name and len(argv) in run.nargs and not ks.over_limit:
                            # The run goes on: the name as last looked up, so the same
                            # command, found with no table lookup (which hashes each request's
                            # new name object). While `run` is _SLOW, its empty `nargs` sends
                            # every request on to the lookup.
                            cmd = run
                        else:
                            # An unknown name, a command that must take the checks path and a
                            # wrong argument count all land here: _SLOW's `nargs` is empty. So
                            # does every command once a write of this batch took memory over
                            # maxmemory: the checks path evicts first.
                            cmd = table.get(name, _SLOW) if not ks.over_limit else _SLOW
                            if len(argv) not in cmd.nargs:
                                if (fast is not None and cmd is _SLOW and name not in fast
                                        and not ks.over_limit):
                                    cmd = _fast_command(name, fast)
                                if len(argv) not in cmd.nargs:
                                    if calls:  # `call` times this one itself
                                        self._charge(run, calls, clock() - t_prev)
                                        calls = []
                                    self.execute(argv)
                                    run = _SLOW  # execute set last_command
                                    if self.blocked or self.closing:
                                        break
                                    fast = self._fast_table()
                                    table = _NOTHING if fast is None else fast
                                    prop = self.propagates and propagation.active
                                    t_prev = clock()
                                    continue
                            if cmd is not run:
                                if calls:
                                    now = clock()
                                    self._charge(run, calls, now - t_prev)
                                    t_prev = now
                                    calls = []
                                run = cmd
                            run_name = name
                        # Cluster mode: a key of a slot not served here is answered with
                        # MOVED/ASK/... instead (one CRC for a one-key command).
                        if cluster is not None and cluster.redirect(self, cmd, argv):
                            if calls:
                                self._charge(run, calls, clock() - t_prev)
                                calls = []
                            t_prev = clock()
                            run = _SLOW
                            self.last_command = cmd  # as Redis's lookup sets it before redirecting
                            continue
                        calls.append(argv)
                        if prop:
                            dirty = ks.dirty
                        try:
                            # (Loaded, then called: a method-style call of a slot never
                            # specializes in 3.11.)
                            handler = cmd.handler
                            reply = handler(self, argv)  # type: ignore[misc]
                        except CommandError as e:
                            reply = e
                            cmd.failed_calls += 1
                            server.count_error(e)
                        except Exception as e:
                            reply = server.internal_error(cmd, e)
                        if prop:
                            if ks.dirty != dirty:
                                # _propagate's commonest case without its call: a write of a
                                # chunk that may go on as its raw bytes is only counted into
                                # the batch (never open once a lazy deletion opened a unit).
                                if (propagation.batch_owner is self and self.rewrite is None
                                        and self.db.index == propagation.batch_db):
                                    propagation.batch.append(argv)
                                else:
                                    self._propagate(cmd, argv)
                            elif propagation.command_unit:  # an expired key's DEL, alone
                                propagation.end_command_unit()
                        if reply is OK:
                            out.append(b"+OK\r\n")
                            continue
                        rc = reply.__class__
                        if rc is int:
                            out.append(INT_REPLIES[reply - INT_REPLY_MIN]
                                       if INT_REPLY_MIN <= reply <= INT_REPLY_MAX
                                       else b":%d\r\n" % reply)
                            continue
                        if rc is bytes:
                            size = len(reply)
                            out.extend((BULK_HEADERS[size] if size < 8192 else b"$%d\r\n" % size,
                                        reply, b"\r\n"))
                        elif reply is None:  # a miss (GET, HGET, ...)
                            out.append(self.null_reply)
                        elif reply is not NO_REPLY:
                            out.append(self.encode(reply))
                        # Replies that can outgrow their requests: in a long pipeline, write what
                        # it produced so far, and stop if the client is not reading
                        # (pause_writing sets throttled). +OK and integers never outgrow theirs.
                        if len(out) > 192:
                            self.flush()
                            if self.throttled or self.closing:
                                break
                except (hiredis.ProtocolError, _Rejected):
                    parser.recover(served)  # the Python parser re-reads from the last boundary
                    served = 0
                    continue
                finally:
                    if calls:
                        self._charge(run, calls, clock() - t_prev)
                        calls = []
                # Settle even when a command blocked or closed the client, so a later
                # re-read never replays what already ran (parser.settle, inlined).
                parser.requests += served
                if parser.held >= SETTLE_AT:
                    parser.drop_retained(last)
                break
        except ProtocolError as e:
            out.append(b"-ERR Protocol error: %b\r\n" % str(e).encode())
            server.log("verbose", f"Protocol error ({e}) from client: {self.describe()}")
            self.closing = True
        if run is not _SLOW:  # the batch ended with an inline-path command
            self.last_command = run
        self.flush_later()
        # A request being received can outgrow the query buffer limits only once over 1 MiB
        # (_check_query_buffer), so only as much held since the last boundary (or the last
        # give-up of RETAIN_MAX) is worth the exact count.
        if parser.held > _QUERY_CHECK_AT and not self.closing and parser.multibulk:
            self._check_query_buffer()

    def _fast_table(self) -> dict[bytes, Command] | None:
        """The commands that may take the inline path now; None if none may."""
        if (self._authenticated and self.reply_mode == REPLY_ON and self.multi is None
                and not self.checks_path):
            fast = self.server.fast_table
            return _FAST if self.must_obey and fast is not None else fast
        return None

    def _charge(self, cmd: Command, calls: list[list[bytes]], nsec: int) -> None:
        """Account consecutive `calls` (argument lists) of `cmd` that took `nsec` together,
        for INFO commandstats, the latency histogram, the slow log and the latency monitor.

        Each call of a run counts as the run's average: timing a pipelined run of GETs call
        by call would cost a clock read per call, a sixth of a GET's time here. Totals are
        exact either way, and a lone call (most calls outside a pipeline) is timed alone.
        """
        n = len(calls)
        cmd.calls += n
        cmd.nsec += nsec
        each = nsec // n if n > 1 else nsec
        cmd.hist[each.bit_length()] += n  # latency histogram (node/latency.py)
        if each >= self.server.slow_ns:
            for argv in calls:
                self._record_slow(cmd, argv, each)

    def _record_slow(self, cmd: Command, argv: list[bytes], nsec: int) -> None:
        # Reached past server.slow_ns, the lower of the slow log's and the latency monitor's
        # thresholds; each applies its own here.
        server = self.server
        if 0 <= server.slowlog_threshold * 1000 <= nsec and "skip_slowlog" not in cmd.flags:
            server.slowlog.record(self, argv, nsec // 1000)
        server.latency.command_sample(cmd, nsec)

    def execute(self, argv: list[bytes]) -> None:
        server = self.server
        cmd = COMMANDS.get(argv[0].lower())
        if cmd is None:
            self.last_command = None  # CLIENT LIST: cmd=NULL, as Redis's failed lookup leaves it
            self.reply_error(errors.unknown_command(argv), None)
            return
        if cmd.subcommands:
            if len(argv) > 1:
                sub = cmd.subcommands.get(argv[1].lower())
                if sub is None:  # (no command to charge: Redis's lookupCommand found none)
                    self.last_command = None
                    self.reply_error(errors.unknown_subcommand(cmd.name, argv[1]), None)
                    return
                cmd = sub
        # Redis's lastcmd is the command looked up, shown even when a check below refuses it.
        self.last_command = cmd
        if cmd.subcommands and len(argv) == 1 and cmd.handler is None:
            self.reply_error(errors.wrong_arity(cmd.name), cmd)
            return
        arity = cmd.arity
        if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
            self.reply_error(errors.wrong_arity(cmd.name), cmd)
            return
        if cmd.protected and not self._protected_allowed(cmd.protected):
            self.reply_error(CommandError(
                f"ERR {cmd.name.split('|')[0].upper()} command not allowed. If the "
                f"{cmd.protected} option is set to \"local\", you can run it from a local "
                "connection, otherwise you need to set this option in the configuration "
                "file, and then restart the server."), cmd)
            return
        if not self.authenticated and "no_auth" not in cmd.flags:
            self.reply_error(CommandError(errors.NOAUTH), cmd)
            return
        if self.user.restricted:
            refused = server.acl.refusal(self, cmd, argv)
            if refused is not None:
                self.reply_error(refused, cmd)
                return
        if self.monitor and not cmd.flags.isdisjoint(_KEYSPACE_FLAGS):
            # A monitor is a replica to Redis, and replicas may not touch the keyspace.
            self.reply_error(CommandError("ERR Replica can't interact with the keyspace"), cmd)
            return
        cluster = server.cluster
        if cluster is not None and not self.must_obey and cluster.redirect(self, cmd, argv):
            return  # cluster mode: not served here (MOVED, ASK, CROSSSLOT, ...)
        evictor = server.evictor
        if evictor.limit and server.busy is None and evictor.refuses(self, cmd):
            self.reply_error(CommandError(errors.OOM), cmd)
            return
        if server.write_denied is not None and not self.must_obey and self._denied_write(cmd):
            self.reply_error(server.write_denied, cmd)  # -MISCONF: persistence is failing
            return
        deny = server.deny_writes
        if deny is not None and not self.must_obey and self._is_write(cmd):
            # Too few good replicas (NOREPLICAS), or a read-only replica (READONLY).
            self.reply_error(deny, cmd)
            return
        if self.pubsub_context and cmd.name not in _PUBSUB_CONTEXT:
            self.reply_error(CommandError(
                f"ERR Can't execute '{cmd.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                "PING / QUIT / RESET are allowed in this context"), cmd)
            return
        if server.stale_denied is not None and not self.must_obey and self._denied_stale(cmd):
            self.reply_error(server.stale_denied, cmd)  # -MASTERDOWN: the primary is unreachable
            return
        if server.busy is not None and "allow_busy" not in cmd.flags:
            self.reply_error(server.busy, cmd)  # -BUSY: a script runs past its time (node/busy.py)
            return
        if self.multi is not None and cmd.name not in _NOT_QUEUED:
            if "no_multi" in cmd.flags:
                self.reply_error(CommandError("ERR Command not allowed inside a transaction"), cmd)
                return
            self.multi.append((cmd, argv))
            self.out.append(b"+QUEUED\r\n")
            return
        if server.pause_end and not self.monitor and not self.must_obey and server.pause_blocks(self, cmd):
            self.pending = argv
            self.blocked = True
            server.paused_clients.append(self)
            return
        self.call(cmd, argv)
        if server.blocking.ready and server.busy is None:  # (a busy script's keys: once it ends)
            server.blocking.serve_ready()

    def _denied_write(self, cmd: Command) -> bool:
        # processCommand's disk-error check: writes, PING, and an EXEC with queued writes.
        return cmd.name == "ping" or self._is_write(cmd)

    def _denied_stale(self, cmd: Command) -> bool:
        # processCommand's is_denystale_command: not flagged `stale`, or an EXEC with a queued
        # command that is not (Redis's mstate.cmd_inv_flags).
        if "stale" not in cmd.flags:
            return True
        return cmd.name == "exec" and any("stale" not in c.flags for c, _ in self.multi or ())

    def _is_write(self, cmd: Command) -> bool:
        # EXEC counts as a write when it would run one (Redis's mstate.cmd_flags).
        if "write" in cmd.flags:
            return True
        return cmd.name == "exec" and any("write" in c.flags for c, _ in self.multi or ())

    def call(self, cmd: Command, argv: list[bytes]) -> None:
        """Run a command that passed its checks: time it, account it, queue its reply."""
        server = self.server
        # (last_command, which CLIENT INFO/LIST show, is set by execute: the top-level command,
        # not one EXEC runs from its queue, as Redis's lastcmd.)
        ks = server.keyspace
        dirty = ks.dirty
        tracking = self.tracking
        if tracking is not None:
            server.tracking.current = self  # its own changes are announced after its reply
        start = time.perf_counter_ns()
        try:
            handler = cmd.handler  # (see process)
            reply = handler(self, argv)  # type: ignore[misc]
        except CommandError as e:
            reply = e
            cmd.failed_calls += 1
            server.count_error(e)
        except Exception as e:
            reply = server.internal_error(cmd, e)
        propagation = server.propagation
        if ks.dirty != dirty and propagation.active:
            self._propagate(cmd, argv)
        elif self.rewrite is not None:
            self.rewrite = None  # a rewrite with no change behind it (the write failed)
        if propagation.command_unit:  # a lazy deletion's, which _propagate did not close
            propagation.end_command_unit()
        if self.blocked and self.pending is None:
            self.pending = argv  # blocked on keys: re-run as it came, unless block() rewrote it
        self._charge(cmd, [argv], time.perf_counter_ns() - start)
        if reply is not NO_REPLY:
            if not self.reply_mode:
                self.out.append(self.encode(reply))
            elif self.reply_mode == REPLY_SKIP:
                self.reply_mode = REPLY_ON
        if tracking is not None:
            self._tracked(cmd, argv)
        # After the command, as Redis 7 does: SELECT shows its new db, AUTH its redactions,
        # and a monitor sees its own commands after their replies.
        if server.monitors and cmd.flags.isdisjoint(_UNMONITORED):
            server.feed_monitors(self, argv)

    def _tracked(self, cmd: Command, argv: list[bytes]) -> None:
        """After a command of a tracking client (Redis's call() and afterCommand): remember
        the keys it read, end a CLIENT CACHING, announce its own changes."""
        tracking = self.server.tracking
        tracking.current = None
        settings = self.tracking
        if settings is not None:
            if "readonly" in cmd.flags:
                tracking.remember(self, cmd, argv)
            if settings.caching and self.multi is None and not cmd.name.startswith("client|"):
                settings.caching = False
        if tracking.pending and not self.in_exec:
            tracking.after_command(self)

    def propagate_as(self, *argvs: list[bytes]) -> None:
        """Propagate these writes instead of the running command's argv (see node/propagate.py).

        For a command whose own argv would not replay identically; called after the write
        happened, with the concrete commands it amounts to (possibly none, possibly several).
        """
        if self.propagates and self.server.propagation.active:
            if self.rewrite is None:
                self.rewrite = list(argvs)
            else:
                self.rewrite.extend(argvs)

    def _propagate(self, cmd: Command, argv: list[bytes]) -> None:
        """Send a write this client ran to the AOF and the replicas; nothing when the client
        does not propagate (`propagates`: a replica's primary's stream goes on as it came)."""
        if not self.propagates:
            return
        rewrite = self.rewrite
        propagation = self.server.propagation
        if rewrite is not None:
            self.rewrite = None
            propagation.commands(self.db.index, rewrite)
        elif propagation.batch_owner is self and self.db.index == propagation.batch_db:
            propagation.batch.append(argv)  # this chunk's batch (woff is set when it closes)
            return
        elif cmd.name != "exec":  # EXEC's commands went out one by one, inside MULTI/EXEC
            propagation.command(self.db.index, argv)
        if propagation.command_unit:  # a lazy deletion went first: the command ends the unit
            propagation.end_command_unit()
        self.woff = propagation.offset + propagation.queued  # what WAIT waits for

    def reply_error(self, err: CommandError, cmd: Command | None) -> None:
        """An error raised before the handler ran (unknown command, arity, auth)."""
        if self.asking and self.multi is None and (cmd is None or cmd.name != "asking"):
            # Redis's resetClient ends ASKING after every command outside MULTI, refused
            # ones too; a command that runs has it ended by the cluster check instead.
            self.asking = False
        if cmd is not None:
            cmd.rejected_calls += 1
            if cmd.name == "exec":  # execCommandAbort: a refused EXEC ends the transaction
                self.discard_transaction()
                text = str(err)
                err = CommandError("EXECABORT Transaction discarded because of: "
                                   + (text[4:] if text.startswith("ERR ") else text))
        if self.multi is not None:
            self.multi_error = True
        self.server.count_error(err)
        if self.reply_mode == REPLY_ON:
            self.out.append(self.encode(err))
        elif self.reply_mode == REPLY_SKIP:  # the skipped reply was this error
            self.reply_mode = REPLY_ON

    def write(self, value: Any) -> None:
        """Queue a reply outside the normal flow (a woken blocked client, a push message)."""
        self.out.append(self.encode(value))

    def push_message(self, data: bytes) -> None:
        """A published message, encoded for this client's protocol, sent at the end of the
        loop iteration (CLIENT REPLY OFF does not silence it, as Redis's CLIENT_PUSHING)."""
        if not self.closing:
            self.out.append(data)
            self.flush_later()

    def checks_changed(self) -> None:
        """Subscriptions, tracking or the protocol changed: recompute the Pub/Sub context
        and whether every command must take the checks path."""
        subs = self.subscriptions
        if subs is not None and not subs.total():
            subs = self.subscriptions = None
        self.pubsub_context = subs is not None and self.protocol == 2
        self.checks_path = (self.pubsub_context or self.tracking is not None
                            or self.user.restricted)

    def flush_later(self) -> None:
        """Write the replies once every client of this loop iteration has been served, as
        Redis writes them before it sleeps (handleClientsWithPendingWrites).

        Why not at once: a client process (redis-benchmark, a pool of app workers) waiting
        on several connections is woken by each write that finds it asleep, and over
        loopback that wake-up is paid for by the writer, in the kernel. Written in one burst,
        the first write wakes it and the rest find it awake; written as each connection is
        served, interleaved with the Python that serves the next one, nearly every write
        wakes it again. Measured: 0.7 us of system time per request pipelined, twice
        redis-server's, most of it in sock_def_readable's wake-up.
        """
        server = self.server
        if self.closing or not self.out:
            self.flush()
            return
        unflushed = server.unflushed
        if not unflushed:
            asyncio.get_running_loop().call_soon(server.flush_clients)
        unflushed[self] = None

    def flush(self) -> None:
        out = self.out
        server = self.server
        if server.hold_replies and out and server.propagation.pending():
            server.hold(self)  # AOF group commit: sent once this tick's writes are on disk
            return
        transport = self.transport
        if out and transport is not None and not transport.is_closing():
            data = b"".join(out) if len(out) > 1 else out[0]
            transport.write(data)
            stats = server.stats
            stats.net_output_bytes += len(data)
            stats.writes += 1
            out.clear()
            if server.output_limited or self.subscriptions is not None:
                server.check_output_limit(self, transport.get_write_buffer_size())
        else:
            out.clear()
        if server.client_eviction.limit and not self.closing:
            # Once per batch read: its replies and the request being received changed.
            server.client_eviction.update(self)
        if self.closing and transport is not None:
            transport.close()

    def resume(self) -> None:
        """Carry on after a pause ended: the parked command, then the rest.

        The command goes through `execute`'s checks again, as Redis reprocesses postponed
        clients: a pause can end in a changed node (FAILOVER made it a replica, a cluster
        failover moved its slots), where a parked write now gets -READONLY or -MOVED.
        """
        self.blocked = False
        argv, self.pending = self.pending, None
        if argv is not None and not self.closing:
            self.execute(argv)
            if self.blocked:
                return  # paused again, or blocked on keys
        self.process()

    def _check_query_buffer(self) -> None:
        eviction = self.server.client_eviction
        if eviction.limit:  # (also reached without a flush: a blocked or throttled client)
            eviction.update(self)
            if self.closing:
                return
        pending = self.parser.pending()
        if pending <= 1024**2:
            return
        server = self.server
        if pending > server.config["client-query-buffer-limit"]:
            server.log("warning", "Closing client that reached max query buffer length: "
                       f"{self.describe()} (qbuf initial bytes: ...)")
            self.close()
        elif pending > server.config["proto-max-bulk-len"] + 1024 * 64:
            # hiredis does not expose bulk headers, so an oversized bulk string is caught
            # once it has buffered past the limit instead of at its `$<len>` header.
            self.out.append(b"-ERR Protocol error: invalid bulk length\r\n")
            self.closing = True
            self.flush()

    # -- state helpers used by commands ------------------------------------------------------

    def set_protocol(self, version: int) -> None:
        self.protocol = version
        self.encode = encoder_for(version)
        self.null_reply = self.encode(None)
        self.checks_changed()

    def reset(self) -> None:
        """RESET: back to a fresh connection's state (DB 0, RESP2, no name, re-authenticate)."""
        if self.monitor:
            self.monitor = False
            self.server.monitors.remove(self)
            self.server.checks_changed()
        self.discard_transaction()
        self.server.pubsub.forget(self)
        self.server.tracking.disable(self)
        self.select(0)
        self.user = self.server.acl.default
        self.set_protocol(2)
        self.name = b""
        self.reply_mode = REPLY_ON
        self.skip_after_exec = False
        # (CLIENT NO-EVICT stays: Redis 7.0's RESET keeps it; 7.2 turns it off.)
        self.authenticated = self.user.can_log_in_without_password

    def discard_transaction(self) -> None:
        """Leave MULTI (if in it) and forget the watched keys (Redis's discardTransaction)."""
        self.multi = None
        self.multi_error = False
        self.server.watches.unwatch(self)
        self.dirty_cas = False

    def select(self, index: int) -> None:
        self.db = self.server.keyspace.dbs[index]

    def client_type(self) -> str:
        """CLIENT LIST/KILL TYPE: normal, replica, master or pubsub (a monitor is normal)."""
        return "normal" if self.subscriptions is None else "pubsub"

    def is_local(self) -> bool:
        """Connected over loopback (Redis's islocalClient, for `enable-*-command local`)."""
        host = self.addr.rsplit(":", 1)[0]
        return host in ("127.0.0.1", "[::1]")

    def _protected_allowed(self, directive: str) -> bool:
        setting = self.server.config[directive]
        return setting == "yes" or (setting == "local" and self.is_local())

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def flags_string(self) -> str:
        flags = ""
        if self.monitor:
            flags += "O"
        if self.subscriptions is not None:
            flags += "P"
        if self.multi is not None:
            flags += "x"
        if self.blocked:
            flags += "b"
        tracking = self.tracking
        if tracking is not None:
            flags += "t"
            if tracking.broken_redirect:
                flags += "R"
            if tracking.bcast:
                flags += "B"
        if self.dirty_cas:
            flags += "d"
        if self.closing:
            flags += "A"
        if self.no_evict:
            flags += "e"
        return flags or "N"

    def describe(self) -> str:
        """This client as one CLIENT LIST line."""
        now = time.time()
        qbuf = self.parser.pending()
        multi = len(self.multi) if self.multi is not None else -1
        subs = self.subscriptions
        obl = sum(len(b) for b in self.out)
        oll = self.transport.get_write_buffer_size() if self.transport else 0
        return (
            f"id={self.id} addr={self.addr} laddr={self.laddr} fd={self.fd} "
            f"name={self.name.decode('utf-8', 'replace')} age={int(now - self.created)} "
            f"idle={(self.server.keyspace.now - self.last_interaction) // 1000} flags={self.flags_string()} "
            f"db={self.db.index} sub={len(subs.channels) if subs else 0} "
            f"psub={len(subs.patterns) if subs else 0} ssub={len(subs.shard) if subs else 0} "
            f"multi={multi} qbuf={qbuf} qbuf-free=0 "
            f"argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl={obl} oll={oll} omem={oll} "
            f"tot-mem={client_memory(self)} events=r "
            f"cmd={self.last_command.name if self.last_command else 'NULL'} "
            f"user={self.user.name.decode('utf-8', 'replace')} "
            f"redir={self.tracking.redirect if self.tracking else -1} resp={self.protocol}"
        )


def _format_addr(addr: Any) -> str:
    if not addr:
        return "?:0"
    host, port = addr[0], addr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # as anetFormatAddr

