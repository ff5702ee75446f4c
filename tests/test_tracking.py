"""Client-side caching (CLIENT TRACKING) against redis-server: the same scripts over raw
sockets (tests/wirescript.py), and redis-py receiving invalidations.

(redis-py's own RESP3 client-side cache refuses servers older than Redis 7.4, and slotkv
reports 7.0.15, so it cannot be the client here.)"""

from __future__ import annotations

import hiredis
import redis

from conftest import ServerProcess
from wirescript import READ, ClientId, run_script, same_script


def test_default_mode_invalidates_keys_read(node: ServerProcess, oracle: ServerProcess) -> None:
    same_script(node, oracle, [
        ("a", ("HELLO", "3")), ("a", ("CLIENT", "TRACKING", "ON")),
        ("a", ("CLIENT", "TRACKINGINFO")), ("a", ("CLIENT", "GETREDIR")), ("a", ("CLIENT", "INFO")),
        ("a", ("GET", "k")), ("a", ("MGET", "k", "j")), ("b", ("SET", "k", "1")), ("a", READ),
        ("b", ("SET", "k", "2")), ("a", READ),  # forgotten after its invalidation
        # Its own change is announced after the reply; a flush invalidates everything.
        ("a", ("GET", "k")), ("a", ("SET", "k", "3")), ("a", ("GET", "k")),
        ("b", ("FLUSHALL",)), ("a", READ), ("a", ("GET", "k")), ("a", ("FLUSHDB",)),
        # Keys, not databases: a change in another database invalidates too.
        ("a", ("GET", "d")), ("b", ("SELECT", "1")), ("b", ("SET", "d", "x")), ("a", READ),
        # An expired key is invalidated when it goes.
        ("a", ("SET", "e", "1", "PX", "400")), ("a", ("GET", "e")),
        ("b", ("BLPOP", "no-such-list", "0.8")), ("a", READ),
        # Inside MULTI: the writes' invalidations come after EXEC's reply.
        ("a", ("GET", "m")), ("a", ("MULTI",)), ("a", ("SET", "m", "1")), ("a", ("GET", "m")),
        ("a", ("EXEC",)), ("b", ("DEL", "m")), ("a", READ),
        ("a", ("RESET",)), ("a", ("CLIENT", "TRACKINGINFO")), ("a", ("CLIENT", "GETREDIR")),
    ])


def test_keys_outlive_their_readers_until_they_change(node: ServerProcess,
                                                      oracle: ServerProcess) -> None:
    def total(server: ServerProcess) -> int:
        return server.client().info("stats")["tracking_total_keys"]

    script = [("a", ("HELLO", "3")), ("a", ("CLIENT", "TRACKING", "ON")), ("a", ("GET", "k1")),
              ("a", ("GET", "k2")), ("a", ("QUIT",))]
    counts = []
    for server in (node, oracle):
        server.client().flushall()
        run_script(server.port, script)
        after_quit = total(server)
        server.client().set("k1", "x")
        counts.append((after_quit, total(server)))
    assert counts[0] == counts[1] == (2, 1)


def test_modes_and_errors(node: ServerProcess, oracle: ServerProcess) -> None:
    same_script(node, oracle, [
        ("a", ("HELLO", "3")),
        # BCAST: changed keys under the prefixes, batched; NOLOOP: not one's own.
        ("a", ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "job:",
               "NOLOOP")),
        ("b", ("SET", "user:1", "x")), ("b", ("SET", "other", "x")), ("b", ("SET", "job:9", "x")),
        ("a", READ), ("a", ("SET", "user:2", "mine")), ("b", ("PING",)), ("a", READ),
        ("a", ("CLIENT", "TRACKINGINFO")), ("a", ("CLIENT", "INFO")),
        ("a", ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "us")),
        ("a", ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "zz")),
        ("a", ("CLIENT", "TRACKING", "ON", "BCAST")), ("a", ("CLIENT", "TRACKINGINFO")),
        ("a", ("CLIENT", "TRACKING", "ON")),
        ("a", ("CLIENT", "TRACKING", "OFF")),
        ("a", ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab")),
        # OPTIN: only reads after CLIENT CACHING YES; OPTOUT: all but those after NO.
        ("a", ("CLIENT", "TRACKING", "ON", "OPTIN")), ("a", ("GET", "x")),
        ("b", ("SET", "x", "1")), ("a", READ), ("a", ("CLIENT", "CACHING", "YES")),
        ("a", ("CLIENT", "TRACKINGINFO")), ("a", ("GET", "x")), ("a", ("CLIENT", "TRACKINGINFO")),
        ("b", ("SET", "x", "2")), ("a", READ), ("a", ("CLIENT", "CACHING", "NO")),
        ("a", ("CLIENT", "TRACKING", "ON", "OPTOUT")), ("a", ("CLIENT", "TRACKING", "OFF")),
        ("a", ("CLIENT", "TRACKING", "ON", "OPTOUT")), ("a", ("CLIENT", "CACHING", "NO")),
        ("a", ("GET", "y")), ("a", ("GET", "z")), ("b", ("MSET", "y", "1", "z", "1")),
        ("a", READ),
        # Errors, in Redis's order of checks.
        ("b", ("CLIENT", "TRACKING", "ON", "REDIRECT", "999999")),
        ("b", ("CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT")),
        ("b", ("CLIENT", "TRACKING", "ON", "PREFIX", "x")),
        ("b", ("CLIENT", "TRACKING", "ON", "BCAST", "OPTIN")),
        ("b", ("CLIENT", "TRACKING", "MAYBE")), ("b", ("CLIENT", "TRACKING", "ON", "BOGUS")),
        ("b", ("CLIENT", "TRACKING", "ON", "REDIRECT", "x")), ("b", ("CLIENT", "CACHING", "YES")),
        ("b", ("CLIENT", "TRACKING", "ON")), ("b", ("CLIENT", "CACHING", "YES")),
        ("b", ("CLIENT", "CACHING", "MAYBE")), ("b", ("CLIENT", "INFO")),
    ])


def test_redirect_to_a_resp2_subscriber(node: ServerProcess, oracle: ServerProcess) -> None:
    same_script(node, oracle, [
        ("inv", ("SUBSCRIBE", "__redis__:invalidate")),
        ("a", ("CLIENT", "TRACKING", "ON", "REDIRECT", ClientId("inv"))),
        ("a", ("CLIENT", "TRACKINGINFO")), ("a", ("CLIENT", "INFO")),
        ("a", ("GET", "k")), ("b", ("SET", "k", "1")), ("inv", READ),
        ("a", ("GET", "k")), ("b", ("FLUSHDB",)), ("inv", READ),
        # A RESP2 client cannot be told anything on its own connection.
        ("c", ("CLIENT", "TRACKING", "ON")), ("c", ("GET", "k")), ("b", ("SET", "k", "2")),
        ("c", ("PING",)),
        # A RESP3 client whose redirect target is gone is told so (once per invalidation).
        ("gone", ("PING",)), ("r3", ("HELLO", "3")),
        ("r3", ("CLIENT", "TRACKING", "ON", "REDIRECT", ClientId("gone"))),
        ("gone", ("QUIT",)), ("r3", ("GET", "q")), ("b", ("SET", "q", "1")), ("r3", READ),
        ("r3", ("CLIENT", "TRACKINGINFO")), ("r3", ("CLIENT", "INFO")),
    ])


def test_tracking_table_limit(node: ServerProcess, oracle: ServerProcess) -> None:
    # Past tracking-table-max-keys, keys are dropped from the table as if they had changed:
    # their readers are told (Redis picks them at random; slotkv the oldest).
    script = [("a", ("HELLO", "3")), ("a", ("CLIENT", "TRACKING", "ON")),
              ("a", ("GET", "k1")), ("a", ("GET", "k2")), ("a", ("GET", "k3")),
              ("b", ("BLPOP", "no-such-list", "0.3")), ("a", READ)]
    seen = []
    for server in (node, oracle):
        client = server.client()
        client.config_set("tracking-table-max-keys", 2)
        try:
            replies = _parsed(b"".join(run_script(server.port, script)))
            pushed = [r for r in replies if isinstance(r, list) and r[:1] == [b"invalidate"]]
            seen.append((pushed, client.info("stats")["tracking_total_keys"]))
        finally:
            client.config_set("tracking-table-max-keys", 1000000)
            client.close()
    for invalidations, total in seen:
        assert total == 2
        assert len(invalidations) == 1 and invalidations[0][0] == b"invalidate"
        assert invalidations[0][1][0] in (b"k1", b"k2", b"k3")


def _parsed(data: bytes) -> list:
    reader = hiredis.Reader()
    reader.feed(data)
    out = []
    while (reply := reader.gets()) is not False:
        out.append(reply)
    return out


def test_redis_py_invalidations_through_a_pubsub_connection(node: ServerProcess) -> None:
    """The RESP2 way a redis-py application caches: invalidations redirected to a PubSub
    connection subscribed to __redis__:invalidate."""
    listener = node.client(client_name="invalidations").pubsub()
    tracker = node.client(single_connection_client=True)
    writer = node.client()
    try:
        listener.subscribe("__redis__:invalidate")
        assert listener.get_message(timeout=5)["type"] == "subscribe"
        redirect = next(c["id"] for c in writer.client_list() if c["name"] == "invalidations")
        assert tracker.execute_command("CLIENT", "TRACKING", "ON", "REDIRECT", redirect)
        writer.set("page", "v1")
        assert tracker.get("page") == b"v1"
        assert writer.info("clients")["tracking_clients"] == 1
        writer.set("page", "v2")
        message = listener.get_message(timeout=5)
        assert message["channel"] == b"__redis__:invalidate" and message["data"] == [b"page"]
    finally:
        listener.close()
        tracker.close()
        writer.close()
