"""A client that does not read its replies: the node stops reading its requests (memory stays
bounded, other clients are served), and `client-output-buffer-limit` disconnects it."""

from __future__ import annotations

import socket
import threading
import time

import hiredis
import pytest

from conftest import wait_until

BIG = 100_000  # bytes per GET reply
REQUEST = b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def slow_reader(port: int) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    s.connect(("127.0.0.1", port))
    return s


def test_unread_replies_pause_reading_and_nothing_is_lost(start_node):
    node = start_node()
    r = node.client()
    r.set("big", b"x" * BIG)
    count = 3000  # 300 MB of replies asked for
    before = rss_bytes(node.pid)
    s = slow_reader(node.port)
    sender = threading.Thread(target=lambda: s.sendall(REQUEST * count), daemon=True)
    sender.start()
    try:
        time.sleep(1.5)  # not reading anything
        # The node stopped running the client's requests instead of queueing 300 MB of
        # replies (the requests themselves, 87 KB, all fit in the socket buffers) ...
        assert rss_bytes(node.pid) - before < 100 * 1024 * 1024
        # ... and everyone else is still served.
        assert r.ping() is True
        assert r.get("big") == b"x" * BIG
        # Reading now delivers every reply, intact and in order.
        reader = hiredis.Reader()
        got = 0
        s.settimeout(30)
        while got < count:
            reader.feed(s.recv(1 << 20))
            while (reply := reader.gets()) is not False:
                assert reply == b"x" * BIG
                got += 1
        sender.join(10)
        assert not sender.is_alive()
    finally:
        s.close()


# 8mb: more than one flush of replies leaves unsent, so the limit is passed only if the
# requests keep running once the client stops reading, as they do in Redis.
@pytest.mark.parametrize("limit", ["1mb", "8mb"])
def test_output_buffer_hard_limit_disconnects_only_that_client(start_node, limit):
    node = start_node("--client-output-buffer-limit", f"normal {limit} 0 0")
    r = node.client()
    r.set("big", b"x" * BIG)
    s = slow_reader(node.port)
    try:
        s.sendall(REQUEST * 200)  # 20 MB of replies, none read
        # Wait for the disconnection itself: on a busy machine the node may not have
        # accepted this connection yet when the client list is first read.
        wait_until(lambda: "output buffer limits" in node.log(), timeout=10,
                   what="the disconnection to be logged")
        wait_until(lambda: len(r.client_list()) == 1, timeout=10, what="the client to be gone")
        assert [c["id"] for c in r.client_list()] == [str(r.client_id())]
        assert r.ping() is True
        # The kicked client sees its connection end, not a silent hang.
        s.settimeout(10)
        received = 0
        while chunk := s.recv(1 << 20):
            received += len(chunk)
        assert received < 200 * BIG
    finally:
        s.close()
