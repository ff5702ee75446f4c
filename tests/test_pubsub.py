"""Pub/sub against redis-server: the same scripts over raw sockets (tests/wirescript.py), and
real clients."""

from __future__ import annotations

import asyncio
import os
import select
import socket
import subprocess
import time
from typing import Any

import pytest
import redis
import redis.asyncio

from conftest import wait_until
from node.codec import encode_request
from wirescript import READ, same_script

def test_subscribe_publish_and_the_pubsub_context(node, oracle):
    same_script(node, oracle, [
        ("a", ("UNSUBSCRIBE",)), ("a", ("PUNSUBSCRIBE",)), ("a", ("SUNSUBSCRIBE",)),
        # Repeats are confirmed too; channels and patterns count together, shard apart.
        ("a", ("SUBSCRIBE", "c1", "c2", "c1")), ("a", ("SSUBSCRIBE", "s1")),
        ("a", ("PSUBSCRIBE", "p*", "c?")),
        # RESP2 with subscriptions: PING answers as a message; others are refused.
        ("a", ("PING",)), ("a", ("PING", "x")), ("a", ("GET", "x")), ("a", ("CLIENT", "INFO")),
        ("a", ("MULTI",)), ("a", ("EXEC",)), ("a", ("HELLO", "3")), ("a", ("NOSUCH",)),
        ("b", ("PUBLISH", "c2", "m")), ("a", READ),
        ("b", ("PUBLISH", "pq", "m")), ("a", READ),
        ("b", ("SPUBLISH", "s1", "m")), ("a", READ), ("b", ("SPUBLISH", "c1", "m")),
        ("b", ("PUBLISH", "nobody", "m")), ("b", ("PUBLISH", "", "m")),
        ("b", ("PUBSUB", "NUMSUB", "c1", "zz", "s1")), ("b", ("PUBSUB", "NUMPAT")),
        ("b", ("PUBSUB", "CHANNELS", "c[1]")), ("b", ("PUBSUB", "CHANNELS", "nomatch*")),
        ("b", ("PUBSUB", "SHARDNUMSUB", "s1", "c1")), ("b", ("PUBSUB", "SHARDCHANNELS")),
        ("b", ("PUBSUB", "SHARDCHANNELS", "s*")), ("b", ("PUBSUB", "NUMSUB")),
        ("b", ("PUBSUB", "CHANNELS", "a", "b")), ("b", ("PUBSUB", "NUMPAT", "x")),
        ("b", ("PUBSUB", "NOSUCH")), ("b", ("PUBSUB", "HELP")), ("b", ("PUBSUB",)),
        ("b", ("PUBLISH", "c1")), ("b", ("SUBSCRIBE",)),
        # Leaving: named ones (unknown too), then all; the context ends with the last one.
        ("a", ("UNSUBSCRIBE", "c2", "zz")), ("a", ("UNSUBSCRIBE",)), ("a", ("SUNSUBSCRIBE",)),
        ("a", ("PING",)), ("a", ("PUNSUBSCRIBE", "c?")), ("a", ("PUNSUBSCRIBE",)),
        ("a", ("PING",)), ("a", ("CLIENT", "INFO")),
        # Queued in MULTI, the confirmations are part of EXEC's reply; RESET leaves them all.
        ("a", ("MULTI",)), ("a", ("SUBSCRIBE", "q", "r")), ("a", ("EXEC",)),
        ("a", ("GET", "x")), ("a", ("RESET",)), ("a", ("PING",)),
        ("b", ("PUBSUB", "NUMSUB", "q", "r")), ("b", ("PUBSUB", "CHANNELS")),
    ])


def test_resp3_subscribers_get_pushes_and_run_any_command(node, oracle):
    same_script(node, oracle, [
        ("a", ("HELLO", "3")), ("a", ("UNSUBSCRIBE",)),
        ("a", ("SUBSCRIBE", "x")), ("a", ("PSUBSCRIBE", "*")), ("a", ("GET", "x")),
        ("a", ("PING",)), ("a", ("CLIENT", "INFO")),
        # Publishing to itself: the messages come before PUBLISH's own reply.
        ("a", ("PUBLISH", "x", "hi")), ("b", ("PUBLISH", "x", "there")), ("a", READ),
        # Back to RESP2 while subscribed: the context applies from then on.
        ("a", ("HELLO", "2")), ("a", ("GET", "x")), ("a", ("PING",)),
        ("b", ("PUBLISH", "x", "again")), ("a", READ),
        # CLIENT REPLY OFF and SKIP silence neither confirmations nor messages.
        ("c", ("HELLO", "3")), ("c", ("CLIENT", "REPLY", "OFF")), ("c", ("SUBSCRIBE", "z")),
        ("b", ("PUBLISH", "z", "heard")), ("c", ("CLIENT", "REPLY", "ON")),
        ("b", ("PUBLISH", "z", "heard")), ("c", READ),
        ("d", ("CLIENT", "REPLY", "SKIP")), ("d", ("SUBSCRIBE", "z")), ("d", ("PING",)),
        ("b", ("PUBLISH", "z", "heard")), ("d", READ), ("d", ("CLIENT", "REPLY", "OFF")),
        ("d", ("SUBSCRIBE", "w")), ("b", ("PUBLISH", "w", "heard")), ("d", READ),
    ])


def _pubsub_info(client: redis.Redis) -> dict[str, Any]:
    info = client.info("stats")
    return {k: info[k] for k in ("pubsub_channels", "pubsub_patterns", "pubsubshard_channels")}


def _client_fields(client: redis.Redis, name: str) -> dict[str, str]:
    line = next(c for c in client.client_list() if c["name"] == name)
    return {k: line[k] for k in ("flags", "sub", "psub", "ssub")}


def test_counts_in_info_client_list_and_kill_type_pubsub(node, oracle):
    for server in (node, oracle):
        admin = server.client(decode_responses=True)
        sub = server.client(client_name="listener").pubsub()
        sub.subscribe("a", "b")
        sub.psubscribe("x*")
        sub.execute_command("SSUBSCRIBE", "s")
        wait_until(lambda: _pubsub_info(admin)["pubsubshard_channels"] == 1, what="SSUBSCRIBE")
        server.found = (_pubsub_info(admin), _client_fields(admin, "listener"),  # type: ignore
                        admin.client_list(_type="pubsub")[0]["name"])
        assert admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub") == 1
        wait_until(lambda: _pubsub_info(admin) == dict.fromkeys(_pubsub_info(admin), 0),
                   what="a killed subscriber's subscriptions to go")
        sub.reset()
    assert node.found == oracle.found  # type: ignore[attr-defined]
    assert node.found[1] == {"flags": "P", "sub": "2", "psub": "1", "ssub": "1"}  # type: ignore


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_pubsub(node, oracle, protocol):
    """redis-py's PubSub object, over both protocols: what each server delivers."""
    results = []
    for server in (node, oracle):
        publisher = server.client(protocol=protocol)
        p = server.client(protocol=protocol).pubsub()
        p.subscribe("news", "sport")
        p.psubscribe("n*")
        got = [p.get_message(timeout=5) for _ in range(3)]
        counts = [publisher.publish("news", "one"), publisher.publish("nothing", "two"),
                  publisher.publish("other", "three")]
        while (m := p.get_message(timeout=0.5)) is not None:
            got.append(m)
        p.unsubscribe("news")
        got.append(p.get_message(timeout=5))
        counts.append(publisher.publish("news", "four"))
        got.append(p.get_message(timeout=5))
        results.append((got, counts, publisher.pubsub_numsub("news", "sport")))
        p.close()
        publisher.close()
    assert results[0] == results[1]
    assert results[0][1] == [2, 1, 0, 1]


def test_redis_py_asyncio_pubsub(node):
    async def main() -> list:
        client = redis.asyncio.Redis(host="127.0.0.1", port=node.port, protocol=3)
        p = client.pubsub()
        await p.subscribe("ch")
        await p.get_message(timeout=5)  # the confirmation
        assert await client.publish("ch", "hello") == 1
        got = []
        while len(got) < 1:
            m = await p.get_message(ignore_subscribe_messages=True, timeout=5)
            if m is not None:
                got.append(m)
        await p.aclose()
        await client.aclose()
        return got

    got = asyncio.run(main())
    assert got == [{"type": "message", "pattern": None, "channel": b"ch", "data": b"hello"}]


def test_redis_cli_subscribe_prints_messages(node):
    proc = subprocess.Popen(["redis-cli", "-p", str(node.port), "SUBSCRIBE", "cli-ch"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    try:
        r = node.client()
        wait_until(lambda: r.pubsub_numsub("cli-ch") == [(b"cli-ch", 1)], what="redis-cli to subscribe")
        assert r.publish("cli-ch", "from-test") == 1
        assert proc.stdout is not None
        deadline = time.monotonic() + 10
        while out.count(b"\n") < 6 and time.monotonic() < deadline:  # (it flushes each one)
            if select.select([proc.stdout], [], [], 0.1)[0]:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert out.split(b"\n")[:6] == [b"subscribe", b"cli-ch", b"1", b"message", b"cli-ch",
                                     b"from-test"]


def test_subscribers_outlive_the_idle_timeout(node):
    r = node.client()
    r.config_set("timeout", 1)
    try:
        listener = socket.create_connection(("127.0.0.1", node.port))
        listener.sendall(encode_request([b"SUBSCRIBE", b"t"]))
        idle = socket.create_connection(("127.0.0.1", node.port))
        idle.sendall(b"PING\r\n")
        assert idle.recv(64) == b"+PONG\r\n"
        idle.settimeout(10)
        assert idle.recv(64) == b""  # the idle normal client is closed...
        assert r.publish("t", "still here") == 1  # ...the subscriber is not
        listener.close()
        idle.close()
    finally:
        r.config_set("timeout", 0)


def test_a_subscriber_that_does_not_read_is_dropped_at_the_pubsub_limit(node):
    r = node.client()
    r.config_set("client-output-buffer-limit", "pubsub 256kb 0 0")
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", node.port))
    try:
        slow.sendall(encode_request([b"SUBSCRIBE", b"flood"]))
        wait_until(lambda: r.pubsub_numsub("flood") == [(b"flood", 1)], what="the subscriber")
        message = b"x" * 16384
        for _ in range(200):  # 3 MB at most: far past the limit and the socket buffers
            if r.publish("flood", message) == 0:
                break
        wait_until(lambda: r.pubsub_numsub("flood") == [(b"flood", 0)],
                   what="the subscriber to be dropped")
        assert "overcoming of output buffer limits" in node.log()
        assert r.ping()  # everyone else is still served
    finally:
        slow.close()
        r.config_set("client-output-buffer-limit", "pubsub 32mb 8mb 60")
