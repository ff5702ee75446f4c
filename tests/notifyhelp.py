"""Reading keyspace notifications (notify-keyspace-events) the way a subscriber sees them.

`EventLog` subscribes one raw connection to every keyspace and keyevent channel of a server.
`drain` publishes a marker on a channel of its own and reads up to it, so it returns exactly
the events published before it, in order, without waiting on timing.
"""

from __future__ import annotations

import socket

import hiredis
import redis

from node.codec import encode_request

MARKER = b"notifyhelp:marker"


class EventLog:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        port = client.connection_pool.connection_kwargs["port"]
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = hiredis.Reader()
        self.sock.sendall(encode_request([b"PSUBSCRIBE", b"__key*__:*"])
                          + encode_request([b"SUBSCRIBE", MARKER]))
        self._read(2)  # the two confirmations

    def _read(self, count: int) -> list:
        out: list = []
        while len(out) < count:
            reply = self.reader.gets()
            if reply is False:
                data = self.sock.recv(1 << 16)
                if not data:
                    raise ConnectionError("the event subscriber was disconnected")
                self.reader.feed(data)
                continue
            out.append(reply)
        return out

    def drain(self) -> list[tuple[bytes, bytes]]:
        """(channel, message) of every event since the last drain."""
        self.client.publish(MARKER, b"")
        events = []
        while True:
            (reply,) = self._read(1)
            if reply[0] == b"message" and reply[1] == MARKER:
                return events
            events.append((reply[2], reply[3]))  # pmessage, pattern, channel, message

    def close(self) -> None:
        self.sock.close()
