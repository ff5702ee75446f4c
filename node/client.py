"""One client connection: its protocol state and the request path it drives.

`Client` is the `asyncio.Protocol` for a connection and also the context every handler gets
as `ctx`: current database, protocol version, name, auth state. The request path is here:

    data_received -> parser -> execute(argv) per command -> reply values -> encoder
                  -> one transport.write per batch

A command that cannot finish now (CLIENT PAUSE, later the blocking commands) parks the client:
`blocked` is set, the remaining requests stay in the parser, and `resume()` carries on.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from node import errors
from node.codec import RequestParser, encoder_for
from node.errors import CommandError, ProtocolError
from node.keyspace import Database
from node.replies import NO_REPLY
from node.table import COMMANDS, Command

if TYPE_CHECKING:
    from node.server import Server

# CLIENT REPLY modes
REPLY_ON, REPLY_OFF, REPLY_SKIP = 0, 1, 2


class Client(asyncio.Protocol):
    def __init__(self, server: "Server") -> None:
        self.server = server
        self.id = server.next_client_id()
        self.parser = RequestParser()
        self.transport: asyncio.Transport | None = None
        self.out: list[bytes] = []
        self.db: Database = server.keyspace.dbs[0]
        self.protocol = 2
        self.encode = encoder_for(2)
        self.name = b""
        self.authenticated = not server.config["requirepass"]
        self.addr = self.laddr = "?:0"
        self.fd = -1
        self.created = time.time()
        self.last_interaction = time.monotonic()
        self.last_command = b"NULL"
        self.reply_mode = REPLY_ON
        self.no_evict = False
        self.monitor = False
        self.closing = False  # close once the pending replies are written
        self.blocked = False
        self.pending: list[bytes] | None = None  # the command a pause parked
        self.read_paused = False
        self.soft_limit_since = 0.0

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
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
        # The client is not reading its replies: stop reading its requests too.
        self.read_paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        self.read_paused = False
        if self.transport is not None and not self.closing:
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        self.last_interaction = time.monotonic()
        self.server.stats.net_input_bytes += len(data)
        self.parser.feed(data)
        if self.blocked:
            self._check_query_buffer()
            return
        self.process()

    # -- the request path --------------------------------------------------------------------

    def process(self) -> None:
        """Run every complete request that is buffered, then write all the replies at once."""
        self.server.keyspace.tick()
        get = self.parser.get
        try:
            while not self.blocked and not self.closing:
                argv = get()
                if argv is None:
                    break
                self.execute(argv)
        except ProtocolError as e:
            self.out.append(b"-ERR Protocol error: %b\r\n" % str(e).encode())
            self.server.log("verbose", f"Protocol error ({e}) from client: {self.describe()}")
            self.closing = True
        self.flush()
        if not self.closing:
            self._check_query_buffer()

    def execute(self, argv: list[bytes]) -> None:
        server = self.server
        cmd = COMMANDS.get(argv[0].lower())
        if cmd is None:
            self.reply_error(errors.unknown_command(argv), None)
            return
        if cmd.subcommands:
            if len(argv) > 1:
                sub = cmd.subcommands.get(argv[1].lower())
                if sub is None:
                    self.reply_error(errors.unknown_subcommand(cmd.name, argv[1]), cmd)
                    return
                cmd = sub
            elif cmd.handler is None:
                self.reply_error(errors.wrong_arity(cmd.name), cmd)
                return
        arity = cmd.arity
        if (arity > 0 and len(argv) != arity) or len(argv) < -arity:
            self.reply_error(errors.wrong_arity(cmd.name), cmd)
            return
        if not self.authenticated and "no_auth" not in cmd.flags:
            self.reply_error(CommandError(errors.NOAUTH), cmd)
            return
        if server.pause_end and server.pause_blocks(self, cmd):
            self.pending = argv
            self.blocked = True
            server.paused_clients.append(self)
            return
        self.call(cmd, argv)

    def call(self, cmd: Command, argv: list[bytes]) -> None:
        """Run a command that passed its checks: time it, account it, queue its reply."""
        server = self.server
        if server.monitors and "skip_monitor" not in cmd.flags and "admin" not in cmd.flags:
            server.feed_monitors(self, argv)
        start = time.perf_counter_ns()
        try:
            reply = cmd.handler(self, argv)  # type: ignore[misc]
        except CommandError as e:
            reply = e
            cmd.failed_calls += 1
            server.count_error(e)
        usec = (time.perf_counter_ns() - start) // 1000
        cmd.calls += 1
        cmd.usec += usec
        if usec >= server.slowlog_threshold >= 0 and "skip_slowlog" not in cmd.flags:
            server.slowlog.record(self, argv, usec)
        self.last_command = cmd.name.encode()
        if reply is NO_REPLY:
            return
        if self.reply_mode:
            if self.reply_mode == REPLY_SKIP:
                self.reply_mode = REPLY_ON
            return
        self.out.append(self.encode(reply))

    def reply_error(self, err: CommandError, cmd: Command | None) -> None:
        """An error raised before the handler ran (unknown command, arity, auth)."""
        if cmd is not None:
            cmd.rejected_calls += 1
        self.server.count_error(err)
        if self.reply_mode == REPLY_ON:
            self.out.append(self.encode(err))

    def write(self, value: Any) -> None:
        """Queue a reply outside the normal flow (a woken blocked client, a push message)."""
        self.out.append(self.encode(value))

    def flush(self) -> None:
        out = self.out
        transport = self.transport
        if out and transport is not None and not transport.is_closing():
            data = b"".join(out) if len(out) > 1 else out[0]
            transport.write(data)
            self.server.stats.net_output_bytes += len(data)
            out.clear()
            self.server.check_output_limit(self, transport.get_write_buffer_size())
        else:
            out.clear()
        if self.closing and transport is not None:
            transport.close()

    def resume(self) -> None:
        """Carry on after a pause or block ended: run the parked command, then the rest."""
        self.blocked = False
        argv, self.pending = self.pending, None
        if argv is not None and not self.closing:
            cmd = COMMANDS[argv[0].lower()]
            if cmd.subcommands and len(argv) > 1:
                cmd = cmd.subcommands[argv[1].lower()]
            self.call(cmd, argv)
        self.process()

    def _check_query_buffer(self) -> None:
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

    def reset(self) -> None:
        """RESET: back to a fresh connection's state (DB 0, RESP2, no name, re-authenticate)."""
        if self.monitor:
            self.monitor = False
            self.server.monitors.remove(self)
        self.select(0)
        self.set_protocol(2)
        self.name = b""
        self.reply_mode = REPLY_ON
        self.no_evict = False
        self.authenticated = not self.server.config["requirepass"]

    def select(self, index: int) -> None:
        self.db = self.server.keyspace.dbs[index]

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    def flags_string(self) -> str:
        flags = ""
        if self.monitor:
            flags += "O"
        if self.blocked:
            flags += "b"
        if self.closing:
            flags += "A"
        if self.no_evict:
            flags += "e"
        return flags or "N"

    def describe(self) -> str:
        """This client as one CLIENT LIST line."""
        now = time.time()
        qbuf = self.parser.pending()
        obl = sum(len(b) for b in self.out)
        oll = self.transport.get_write_buffer_size() if self.transport else 0
        return (
            f"id={self.id} addr={self.addr} laddr={self.laddr} fd={self.fd} "
            f"name={self.name.decode('utf-8', 'replace')} age={int(now - self.created)} "
            f"idle={int(time.monotonic() - self.last_interaction)} flags={self.flags_string()} "
            f"db={self.db.index} sub=0 psub=0 ssub=0 multi=-1 qbuf={qbuf} qbuf-free=0 "
            f"argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl={obl} oll={oll} omem={oll} "
            f"tot-mem={qbuf + oll + 16384} events=r "
            f"cmd={self.last_command.decode()} user=default redir=-1 resp={self.protocol}"
        )


def _format_addr(addr: Any) -> str:
    if not addr:
        return "?:0"
    host, port = addr[0], addr[1]
    return f"{host}:{port}"

