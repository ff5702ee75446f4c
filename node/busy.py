"""Serving clients while a script runs past busy-reply-threshold (Redis's
processEventsWhileBlocked, called from the script's Lua hook).

A running script holds the event loop. Once it has run longer than busy-reply-threshold
(lua-time-limit), the scripting engine's hook calls `BusyPeriod.serve` every 100000 Lua
instructions: it polls the other clients' sockets and the listening sockets itself, reads
what arrived and runs it through the usual request path, where `Server.busy` makes every
command but the `allow_busy` ones (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE, AUTH, ...)
answer -BUSY; the replies are written at once. The loop never sees those bytes: its sockets
are level-triggered, so it simply finds nothing left to read once the script ends.

Connections accepted meanwhile (`redis-cli SCRIPT KILL` opens one) are served through a
small blocking transport of their own, and handed to the event loop when the period ends.
"""

from __future__ import annotations

import asyncio
import os
import select
import socket
from typing import TYPE_CHECKING, Any

from node.errors import CommandError
from node.log import log

if TYPE_CHECKING:
    from node.client import Client
    from node.server import Server

# shared.slowevalerr and shared.slowscripterr
BUSY_EVAL = ("BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
             "SHUTDOWN NOSAVE.")
BUSY_FUNCTION = ("BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                 "SHUTDOWN NOSAVE.")

_READ = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR
_SEND_TIMEOUT = 5.0  # seconds a reply to a connection accepted meanwhile may take to send


class BusyPeriod:
    """One script's time past the threshold: the sockets polled and the connections
    accepted meanwhile."""

    def __init__(self, server: "Server", caller: "Client", function: bool) -> None:
        self.server = server
        self.error = CommandError(BUSY_FUNCTION if function else BUSY_EVAL)
        self.poll = select.poll()
        self.clients: dict[int, Client] = {}
        for client in server.clients.values():
            if client is not caller and client.fd >= 0 and not client.closing:
                self.clients[client.fd] = client
                self.poll.register(client.fd, _READ)
        # Listening sockets, as sockets of our own (dups: closing them leaves the loop's).
        self.listeners: dict[int, socket.socket] = {}
        for srv in server.listeners():
            for sock in srv.sockets:
                own = socket.socket(sock.family, sock.type, sock.proto,
                                    fileno=os.dup(sock.fileno()))
                self.listeners[own.fileno()] = own
                self.poll.register(own.fileno(), select.POLLIN)
        self.accepted: list[tuple[Client, socket.socket]] = []

    def serve(self) -> None:
        """Serve whatever is ready, without waiting."""
        server = self.server
        if server.signals:  # announced now, acted on once the script ends, as in Redis
            server.log_signals()
        keyspace = server.keyspace
        now = keyspace.now  # (the script's clock: requests served meanwhile must not move it)
        try:
            for fd, _ in self.poll.poll(0):
                if fd in self.listeners:
                    self._accept(self.listeners[fd])
                    continue
                client = self.clients.get(fd)
                if client is None:
                    continue
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:  # closed: the loop will see it too, once the script ends
                    self._forget(fd)
                    continue
                client.data_received(data)
                if client.closing:
                    self._forget(fd)
            server.flush_clients()
        finally:
            keyspace.now = now

    def end(self) -> None:
        """The script ended: the accepted connections go to the event loop."""
        for own in self.listeners.values():
            own.close()
        loop = asyncio.get_running_loop()
        for client, sock in self.accepted:
            if not client.closing:
                loop.create_task(_adopt(loop, client, sock))

    def _forget(self, fd: int) -> None:
        self.poll.unregister(fd)
        del self.clients[fd]

    def _accept(self, listener: socket.socket) -> None:
        try:
            sock, _ = listener.accept()
        except OSError:  # (another process's, or already gone)
            return
        sock.settimeout(_SEND_TIMEOUT)
        from node.client import Client

        client = Client(self.server)
        client.connection_made(_BusyTransport(sock, client))
        if client.closing:  # refused (maxclients)
            return
        self.accepted.append((client, sock))
        self.clients[sock.fileno()] = client
        self.poll.register(sock.fileno(), _READ)


async def _adopt(loop: asyncio.AbstractEventLoop, client: "Client", sock: socket.socket) -> None:
    sock.setblocking(False)
    try:
        await loop.connect_accepted_socket(lambda: client, sock=sock)
    except OSError:
        client.connection_lost(None)


class _BusyTransport(asyncio.Transport):
    """The transport of a connection accepted while a script is busy, until the event loop
    takes it over: replies are sent at once, blocking for up to _SEND_TIMEOUT."""

    def __init__(self, sock: socket.socket, client: "Client") -> None:
        super().__init__()
        self.sock = sock
        self.client = client
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "peername":
            return self.sock.getpeername()
        if name == "sockname":
            return self.sock.getsockname()
        if name == "socket":
            return self.sock
        return default

    def write(self, data: Any) -> None:
        if self.closed:
            return
        try:
            self.sock.sendall(data)
        except OSError as e:
            log("verbose", f"Error writing to a client accepted while busy: {e}")
            self.close()

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.sock.close()
            self.client.connection_lost(None)

    abort = close

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass
