"""Helpers for the blocking-command tests played through redis-py (streams, sorted sets): a
connection of its own that sends a command now and reads its reply later, waiting until the
server counts some number of blocked clients, and the keyspace events published meanwhile."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import redis

from conftest import ServerProcess, wait_until
from notifyhelp import EventLog

WAIT = 15.0  # generous: waits end as soon as the condition holds


class Conn:
    """A connection of its own, to send a command now and read its reply later."""

    def __init__(self, server: ServerProcess, protocol: int = 2) -> None:
        self.client = server.client(protocol=protocol, socket_timeout=WAIT)
        self.conn = self.client.connection_pool.get_connection()

    def send(self, *args: Any) -> None:
        self.conn.send_command(*args)

    def read(self) -> Any:
        try:
            return self.conn.read_response()
        except redis.ResponseError as e:
            return ("error", str(e))

    def call(self, *args: Any) -> Any:
        self.send(*args)
        return self.read()

    def close(self) -> None:
        self.conn.disconnect()
        self.client.close()


def blocked(server: ServerProcess) -> int:
    with server.client() as c:
        return c.info("clients")["blocked_clients"]


def wait_blocked(server: ServerProcess, n: int) -> None:
    wait_until(lambda: blocked(server) == n, timeout=WAIT, what=f"{n} blocked clients",
               interval=0.01)


@contextmanager
def events_on(server: ServerProcess, classes: str = "KEAnm") -> Iterator[EventLog]:
    """An EventLog of `server` with notify-keyspace-events set to `classes` while it is open,
    to see the events a blocked client's command sends when another client's write serves it."""
    client = server.client()
    client.config_set("notify-keyspace-events", classes)
    log = EventLog(client)
    try:
        yield log
    finally:
        log.close()
        client.config_set("notify-keyspace-events", "")
        client.close()
