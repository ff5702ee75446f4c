"""A real cluster of processes: a coordinator and 3 shards of a primary and a replica.

Cluster-aware clients are the judge: redis-py's RedisCluster (10k keys, hash tags,
pipelines), `redis-cli -c`, `redis-cli --cluster check`, `redis-benchmark --cluster`; and
the reply shapes are compared with a real 3x2 redis-server cluster where they can be.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from typing import Iterator

import pytest
import redis
from redis.cluster import RedisCluster

from cluster_util import Conn, LocalCluster, raw, start_redis_cluster_node
from conftest import ROOT, ServerProcess, reply_of, wait_until
from node.slots import key_slot
from ops.cluster import nodes_of, parse_nodes


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    c = LocalCluster(shards=3, replicas=1).start()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def redis_cluster() -> Iterator[list[ServerProcess]]:
    """A real 3 primary + 3 replica redis-server cluster, for comparing shapes."""
    procs = []
    try:
        for _ in range(6):
            procs.append(start_redis_cluster_node("--cluster-node-timeout", "1000"))
        subprocess.run(["redis-cli", "--cluster", "create",
                        *[f"127.0.0.1:{p.port}" for p in procs], "--cluster-replicas", "1",
                        "--cluster-yes"], check=True, capture_output=True, timeout=60)
        first = _decoded(procs[0].client())
        wait_until(lambda: b"cluster_state:ok" in procs[0].client().execute_command(
            "CLUSTER", "INFO"), timeout=30, what="the redis cluster")
        # The node the shapes are read from knows every node and which are replicas.
        wait_until(lambda: sum("slave" in v.flags for v in nodes_of(first)) == 3, timeout=30,
                   what="redis to know its replicas")
        yield procs
    finally:
        for p in procs:
            p.stop()
            shutil.rmtree(p.workdir, ignore_errors=True)


def _decoded(client: redis.Redis) -> redis.Redis:
    kw = client.connection_pool.connection_kwargs
    return redis.Redis(host=kw["host"], port=kw["port"], decode_responses=True)


def rc_of(port: int) -> RedisCluster:
    return RedisCluster(host="127.0.0.1", port=port, protocol=2)


# -- cluster-aware clients ---------------------------------------------------------------------

def test_redis_py_writes_and_reads_10k_keys(cluster: LocalCluster) -> None:
    rc = cluster.cluster_client()
    keys = [f"key:{i}" for i in range(10_000)]
    for i in range(0, 1000):  # one by one, each routed on its own
        assert rc.set(keys[i], i)
    pipe = rc.pipeline()
    for i in range(1000, 10_000):
        pipe.set(keys[i], i)
    assert all(pipe.execute())
    pipe = rc.pipeline()
    for key in keys:
        pipe.get(key)
    assert [int(v) for v in pipe.execute()] == list(range(10_000))
    assert [int(rc.get(keys[i])) for i in range(0, 10_000, 997)] == list(range(0, 10_000, 997))
    # Each key lives on the primary that owns its slot, and nowhere else.
    primaries = cluster.primaries()
    counts = {p: cluster.client(p).dbsize() for p in primaries}
    assert sum(counts.values()) == 10_000 and all(n > 2000 for n in counts.values())
    for port, view in primaries.items():
        c = cluster.client(port)
        for first, last in view.ranges:
            sample = [k for k in keys[:300] if first <= key_slot(k.encode()) <= last]
            pipe = c.pipeline(transaction=False)
            for k in sample:
                pipe.exists(k)
            assert all(pipe.execute()) and sample
    rc.close()


def test_hash_tags_keep_keys_together(cluster: LocalCluster) -> None:
    rc = cluster.cluster_client()
    tagged = {f"{{user:42}}:{f}": f for f in ("name", "email", "plan", "visits")}
    assert rc.mset(tagged)  # one MSET: all in one slot
    assert rc.mget(list(tagged)) == [v.encode() for v in tagged.values()]
    slot = key_slot(b"user:42")
    owner = next(p for p, v in cluster.primaries().items()
                 if any(a <= slot <= b for a, b in v.ranges))
    assert cluster.client(owner).execute_command("CLUSTER", "COUNTKEYSINSLOT", slot) == 4
    assert rc.rename("{user:42}:plan", "{user:42}:tier")
    # Across slots a node refuses multi-key commands; the client splits where it can.
    assert raw(owner, "MSET", "{a}x", "1", "{b}x", "2") == (
        "error", "CROSSSLOT Keys in request don't hash to the same slot")
    assert rc.mset_nonatomic({"{a}x": "1", "{b}x": "2"})
    assert rc.mget_nonatomic(["{a}x", "{b}x"]) == [b"1", b"2"]
    # A transaction on one tag's keys.
    with rc.pipeline(transaction=True) as tx:
        tx.incr("{user:42}:count").incr("{user:42}:count").get("{user:42}:count")
        assert tx.execute() == [1, 2, b"2"]
    rc.close()


def test_pipelines_across_shards(cluster: LocalCluster) -> None:
    rc = cluster.cluster_client()
    pipe = rc.pipeline()
    for i in range(300):
        pipe.rpush(f"list:{i}", *range(i % 5 + 1))
        pipe.lrange(f"list:{i}", 0, -1)
        pipe.incrby(f"ctr:{i}", i)
    out = pipe.execute()
    for i in range(300):
        assert out[3 * i] == i % 5 + 1
        assert out[3 * i + 1] == [str(x).encode() for x in range(i % 5 + 1)]
        assert out[3 * i + 2] == i
    rc.close()


def test_moved_from_every_node(cluster: LocalCluster) -> None:
    slot = key_slot(b"foo")
    primaries = cluster.primaries()
    owner = next(p for p, v in primaries.items() if any(a <= slot <= b for a, b in v.ranges))
    for port in cluster.ports:
        reply = raw(port, "GET", "foo")
        if port == owner:
            assert not isinstance(reply, tuple)
        else:
            # Replicas send readers to their primary too, unless READONLY.
            assert reply == ("error", f"MOVED {slot} 127.0.0.1:{owner}")
    # Every node reports the same map (which replicas are listed depends on what each node
    # last heard of their offsets).
    slots = [[r[:3] for r in cluster.client(p).execute_command("CLUSTER", "SLOTS")]
             for p in cluster.ports]
    assert all(s == slots[0] for s in slots)
    assert sorted((a, b) for a, b, *_ in slots[0]) == [(0, 5460), (5461, 10922), (10923, 16383)]


def test_shard_ids(cluster: LocalCluster) -> None:
    # CLUSTER MYSHARDID (Redis 7.2): a primary and its replica share one, shards differ.
    ids = {p: raw(p, "CLUSTER", "MYSHARDID") for p in cluster.ports}
    assert len(set(ids.values())) == 3 and all(len(i) == 40 for i in ids.values())
    for primary in cluster.primaries():
        assert ids[primary] == ids[cluster.replica_of(primary)]


def test_readonly_reads_on_a_replica(cluster: LocalCluster) -> None:
    slot = key_slot(b"ro-key")
    owner = next(p for p, v in cluster.primaries().items() if any(a <= slot <= b for a, b in v.ranges))
    replica = cluster.client(cluster.replica_of(owner), single_connection_client=True)
    assert replica.execute_command("READONLY")
    # The replica serves a read of its shard's slot (its data comes with replication) and
    # still sends writes to the primary.
    assert replica.get("ro-key") is None
    with pytest.raises(redis.exceptions.MovedError):
        replica.set("ro-key", "x")
    assert replica.execute_command("READWRITE")
    with pytest.raises(redis.exceptions.MovedError):
        replica.get("ro-key")


def test_pubsub_with_a_cluster_client(cluster: LocalCluster) -> None:
    # redis-py sends PUBLISH to the channel's slot owner and subscribes there; shard channels
    # are routed (MOVED) like keys.
    rc = cluster.cluster_client()
    p = rc.pubsub()
    p.subscribe("news")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    assert rc.publish("news", "hello") == 1
    assert p.get_message(timeout=5)["data"] == b"hello"
    p.close()
    slot = key_slot(b"orders")
    owner = next(p for p, v in cluster.primaries().items() if any(a <= slot <= b for a, b in v.ranges))
    sp = rc.pubsub()
    sp.ssubscribe("orders")
    assert sp.get_sharded_message(timeout=5)["type"] == "ssubscribe"
    assert rc.spublish("orders", "o-1") == 1
    assert sp.get_sharded_message(timeout=5)["data"] == b"o-1"
    sp.close()
    for port in cluster.ports:
        if port != owner:
            assert raw(port, "SPUBLISH", "orders", "x") == (
                "error", f"MOVED {slot} 127.0.0.1:{owner}")


def test_messages_reach_subscribers_on_every_node(cluster: LocalCluster) -> None:
    # As Redis Cluster's bus: PUBLISH reaches every node's subscribers, SPUBLISH those of the
    # channel's shard (a replica's too); the count is the publishing node's own receivers.
    subscribers = {}
    for port in cluster.ports:
        conn = subscribers[port] = Conn(port)
        assert conn("SUBSCRIBE", "everyone") == [b"subscribe", b"everyone", 1]
    slot = key_slot(b"shard-news")
    owner = next(p for p, v in cluster.primaries().items() if any(a <= slot <= b for a, b in v.ranges))
    replica = cluster.replica_of(owner)
    sharded = Conn(replica)
    assert sharded("READONLY") == b"OK"
    assert sharded("SSUBSCRIBE", "shard-news") == [b"ssubscribe", b"shard-news", 1]
    others = [p for p in cluster.ports if p not in (owner, replica)]
    outsider = Conn(others[0])
    assert outsider("SSUBSCRIBE", "shard-news")[0] == "error"  # MOVED: not its shard's
    try:
        publisher = others[1]
        assert raw(publisher, "PUBLISH", "everyone", "hi") == 1
        for port, conn in subscribers.items():
            assert conn.pushed(10) == [b"message", b"everyone", b"hi"], port
        assert raw(owner, "SPUBLISH", "shard-news", "s1") == 0
        assert sharded.pushed(10) == [b"smessage", b"shard-news", b"s1"]
        assert raw(owner, "PUBLISH", "everyone", "bye") == 1
        for conn in subscribers.values():  # no shard message reached them, only "bye"
            assert conn.pushed(10) == [b"message", b"everyone", b"bye"]
    finally:
        for conn in (*subscribers.values(), sharded, outsider):
            conn.close()


def test_redis_cli_follows_redirects(cluster: LocalCluster) -> None:
    wrong = next(p for p in cluster.ports
                 if isinstance(reply_of(cluster.client(p), "GET", "cli-key"), tuple))

    def cli(*args: str) -> str:
        return subprocess.run(["redis-cli", "-p", str(wrong), *args], capture_output=True,
                              text=True, timeout=30).stdout.strip()
    assert cli("-c", "SET", "cli-key", "hello") == "OK"
    assert cli("-c", "GET", "cli-key") == "hello"
    assert cli("GET", "cli-key").startswith("MOVED")


def test_redis_cli_cluster_check(cluster: LocalCluster) -> None:
    out = subprocess.run(["redis-cli", "--cluster", "check", f"127.0.0.1:{cluster.ports[1]}"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "[OK] All nodes agree about slots configuration." in out.stdout
    assert "[OK] All 16384 slots covered." in out.stdout
    assert "[ERR]" not in out.stdout


def test_redis_benchmark_cluster(cluster: LocalCluster) -> None:
    out = subprocess.run(["redis-benchmark", "--cluster", "-p", str(cluster.ports[0]),
                          "-t", "set,get", "-n", "3000", "-c", "10", "-q"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.replace("\r", "\n")
    assert "SET:" in lines and "GET:" in lines and "requests per second" in lines


def test_slotkv_cluster_check_and_info(cluster: LocalCluster) -> None:
    def slotkv(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ops.cli", "cluster", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    out = slotkv("check", f"127.0.0.1:{cluster.ports[2]}")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "[OK] All 16384 slots covered." in out.stdout
    assert "[OK] All nodes agree about slots configuration." in out.stdout
    out = slotkv("info", f"127.0.0.1:{cluster.ports[0]}")
    assert out.returncode == 0 and out.stdout.count(" slots | 1 slaves.") == 3, out.stdout
    out = slotkv("check", "127.0.0.1:1")
    assert out.returncode == 1 and "[ERR]" in out.stderr


# -- slot migration states ---------------------------------------------------------------------

def _slot_keys(slot_owner: int, cluster: LocalCluster) -> tuple[str, int]:
    """A hash tag whose slot the primary on `slot_owner` serves."""
    view = cluster.primaries()[slot_owner]
    for i in range(100000):
        tag = f"mig{i}"
        slot = key_slot(tag.encode())
        if any(a <= slot <= b for a, b in view.ranges):
            return tag, slot
    raise AssertionError("no tag")


def test_ask_tryagain_and_importing(cluster: LocalCluster) -> None:
    src_port, dst_port = sorted(cluster.primaries())[:2]
    src, dst = cluster.client(src_port), cluster.client(dst_port)
    src_id = src.execute_command("CLUSTER", "MYID").decode()
    dst_id = dst.execute_command("CLUSTER", "MYID").decode()
    tag, slot = _slot_keys(src_port, cluster)
    here, gone = f"{{{tag}}}:here", f"{{{tag}}}:gone"
    src.set(here, "1")
    assert dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id) == b"OK"
    assert src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id) == b"OK"
    try:
        assert f"[{slot}->-{dst_id}]" in src.execute_command("CLUSTER", "NODES").decode()
        assert f"[{slot}-<-{src_id}]" in dst.execute_command("CLUSTER", "NODES").decode()
        # The source serves the keys it still has, sends the rest to the target...
        assert src.get(here) == b"1"
        assert raw(src_port, "GET", gone) == ("error", f"ASK {slot} 127.0.0.1:{dst_port}")
        assert raw(src_port, "SET", gone, "x") == ("error", f"ASK {slot} 127.0.0.1:{dst_port}")
        # ...and cannot answer for several keys of which some have left.
        assert raw(src_port, "MGET", here, gone) == (
            "error", "TRYAGAIN Multiple keys request during rehashing of slot")
        # The target serves the slot only to a client that says ASKING, for one command.
        assert raw(dst_port, "GET", gone) == ("error", f"MOVED {slot} 127.0.0.1:{src_port}")
        conn = Conn(dst_port)
        assert conn("ASKING") == b"OK"
        assert conn("SET", gone, "moved-in") == b"OK"
        assert conn("GET", gone) == ("error", f"MOVED {slot} 127.0.0.1:{src_port}")
        assert conn("ASKING") == b"OK"
        assert conn("GET", gone) == b"moved-in"
        # Any next command ends it, a keyless one or a key of a slot served here as well.
        for between in (("PING",), ("GET", f"{{{_slot_keys(dst_port, cluster)[0]}}}:x")):
            assert conn("ASKING") == b"OK"
            conn(*between)
            assert conn("GET", gone) == ("error", f"MOVED {slot} 127.0.0.1:{src_port}")
        # RedisCluster follows ASK by itself.
        rc = cluster.cluster_client()
        assert rc.get(gone) == b"moved-in"
        assert rc.get(here) == b"1"
        rc.close()
        # An open slot is what redis-cli --cluster check reports.
        out = subprocess.run(["redis-cli", "--cluster", "check", f"127.0.0.1:{src_port}"],
                             capture_output=True, text=True, timeout=60)
        assert "open" in out.stdout.lower() and str(slot) in out.stdout
        # The source still holds a key: it may not give the slot away.
        assert raw(src_port, "CLUSTER", "SETSLOT", slot, "NODE", dst_id) == (
            "error", f"ERR Can't assign hashslot {slot} to a different node while I still hold "
            "keys for this hash slot.")
    finally:
        conn = Conn(dst_port)
        conn("ASKING")
        conn("DEL", gone)
        conn.close()
        src.delete(here)
        for c in (src, dst):
            c.execute_command("CLUSTER", "SETSLOT", slot, "STABLE")
    assert "->-" not in src.execute_command("CLUSTER", "NODES").decode()


def test_setslot_node_moves_a_slot(cluster: LocalCluster) -> None:
    src_port, dst_port = sorted(cluster.primaries())[:2]
    src, dst = cluster.client(src_port), cluster.client(dst_port)
    src_id = src.execute_command("CLUSTER", "MYID").decode()
    dst_id = dst.execute_command("CLUSTER", "MYID").decode()
    tag, slot = _slot_keys(src_port, cluster)
    epoch = int(dict(l.split(":") for l in src.execute_command(
        "CLUSTER", "INFO").decode().split()).get("cluster_current_epoch"))
    # A client blocked on a key of the slot is told where the slot went.
    blocked = Conn(src_port)
    blocked.sock.sendall(b"*3\r\n$5\r\nBLPOP\r\n$%d\r\n%s\r\n$1\r\n0\r\n"
                         % (len(tag) + 2, f"{{{tag}}}".encode()))
    wait_until(lambda: b"blocked_clients:1" in raw(src_port, "INFO", "clients"),
               what="the client to block")
    # Subscribers to a shard channel of the slot are unsubscribed, replicas' too.
    listeners = [Conn(src_port), Conn(cluster.replica_of(src_port))]
    listeners[1]("READONLY")
    for conn in listeners:
        assert conn("SSUBSCRIBE", f"{{{tag}}}ch") == [b"ssubscribe", f"{{{tag}}}ch".encode(), 1]
    assert dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", src_id) == b"OK"
    assert src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", dst_id) == b"OK"
    assert dst.execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id) == b"OK"
    assert src.execute_command("CLUSTER", "SETSLOT", slot, "NODE", dst_id) == b"OK"
    assert blocked.sock.recv(1024) == f"-MOVED {slot} 127.0.0.1:{dst_port}\r\n".encode()
    blocked.close()
    for conn in listeners:
        assert conn.pushed(10) == [b"sunsubscribe", f"{{{tag}}}ch".encode(), 0]
        conn.close()
    try:
        # Every node, replicas included, sends the slot's keys to the new owner now.
        for port in cluster.ports:
            if port != dst_port:
                assert raw(port, "GET", f"{{{tag}}}") == (
                    "error", f"MOVED {slot} 127.0.0.1:{dst_port}")
        assert cluster.client(dst_port).set(f"{{{tag}}}", "ok")
        info = dict(l.split(":") for l in src.execute_command("CLUSTER", "INFO").decode().split())
        assert int(info["cluster_current_epoch"]) > epoch
        assert "[" not in src.execute_command("CLUSTER", "NODES").decode()
    finally:
        dst.delete(f"{{{tag}}}")
        assert src.execute_command("CLUSTER", "SETSLOT", slot, "NODE", src_id) == b"OK"
    cluster.wait_ok()


# -- the coordinator ---------------------------------------------------------------------------

def test_coordinator_restart_loses_nothing(cluster: LocalCluster) -> None:
    clients = [cluster.client(p) for p in cluster.ports]
    before_nodes = [nodes_of(_decoded(c)) for c in clients]
    epoch = clients[0].execute_command("CLUSTER", "INFO").decode().split(
        "cluster_current_epoch:")[1].split()[0]
    errors: list[Exception] = []
    written = []
    stop = threading.Event()

    def writer() -> None:
        rc = cluster.cluster_client()
        i = 0
        while not stop.is_set():
            try:
                rc.set(f"during-restart:{i}", i)
                written.append(i)
            except Exception as e:  # any error is a client noticing
                errors.append(e)
            i += 1
        rc.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.3)
        assert cluster.coordinator is not None
        cluster.coordinator.stop()
        cluster.start_coordinator()
        # Every node is back in session with the coordinator.
        wait_until(lambda: all(c.execute_command("CLUSTER", "LINKS") for c in clients),
                   what="every node to reconnect")
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors[:3]
    assert len(written) > 50
    after = clients[0].execute_command("CLUSTER", "INFO").decode()
    assert f"cluster_current_epoch:{epoch}" in after  # nothing changed while it was down
    assert "cluster_state:ok" in after
    for c, before in zip(clients, before_nodes):
        now = nodes_of(_decoded(c))
        assert [(v.id, v.address, v.ranges, v.primary_id) for v in now] == [
            (v.id, v.address, v.ranges, v.primary_id) for v in before]
    rc = cluster.cluster_client()
    assert int(rc.get(f"during-restart:{written[-1]}")) == written[-1]
    rc.close()


def test_nodes_serve_while_the_coordinator_is_down(cluster: LocalCluster) -> None:
    assert cluster.coordinator is not None
    rc = cluster.cluster_client()
    rc.mset_nonatomic({"key:1": "1", "key:2": "2"})
    rc.close()
    cluster.coordinator.stop()
    try:
        rc = cluster.cluster_client()
        # Reads go on from the last map; writes stop once the lease runs out (fencing).
        assert rc.get("key:1") == b"1"
        time.sleep(cluster.node_timeout * 0.75 / 1000 + 0.2)
        assert rc.get("key:2") == b"2"
        with pytest.raises(redis.exceptions.ClusterDownError):
            rc.set("key:3", "x")
        # Admin changes need the coordinator and say so.
        err = raw(cluster.ports[0], "CLUSTER", "SETSLOT", 0, "STABLE")
        assert err[0] == "error" and "coordinator" in err[1]
        rc.close()
    finally:
        cluster.start_coordinator()
    rc = cluster.cluster_client()

    def written() -> bool:
        try:
            return bool(rc.set("key:3", "3"))
        except redis.exceptions.ClusterDownError:
            return False

    wait_until(written, what="writes to come back")
    rc.close()


def test_coordinator_watch_stream(cluster: LocalCluster) -> None:
    import grpc

    from replication.topology_proto import from_proto
    from slotkv.v1 import cluster_pb2 as pb
    from slotkv.v1 import cluster_pb2_grpc as pb_grpc

    channel = grpc.insecure_channel(f"127.0.0.1:{cluster.coordinator_port}")
    stream = pb_grpc.CoordinatorStub(channel).Watch(pb.WatchRequest(), timeout=15)
    first = from_proto(next(stream))
    assert first.assigned() == 16384 and len(first.nodes) == 6
    # A change is pushed at once.
    port = cluster.ports[0]
    cluster.client(port).execute_command("CLUSTER", "SETSLOT", 0, "STABLE")
    second = from_proto(next(stream))
    assert second.epoch == first.epoch + 1
    stream.cancel()
    channel.close()


# -- shapes against a real redis cluster -------------------------------------------------------

def test_reply_shapes_match_a_redis_cluster(cluster: LocalCluster,
                                            redis_cluster: list[ServerProcess]) -> None:
    ours = cluster.client(cluster.ports[0], protocol=3)
    theirs = redis_cluster[0].client(protocol=3)
    for c in (ours, theirs):
        c.set("foo", "bar") if reply_of(c, "GET", "foo") is None else None
    # CLUSTER SLOTS: [first, last, [ip, port, id, {metadata}] primary, then the replicas that
    # have replicated something (both leave out the others, as Redis 7.0 does).
    def slots_shape(c: redis.Redis) -> set:
        return {(type(r[0]), type(r[1]), tuple(type(x).__name__ for x in e))
                for r in reply_of(c, "CLUSTER", "SLOTS") for e in r[2:]}
    assert slots_shape(ours) == slots_shape(theirs)
    assert len(reply_of(ours, "CLUSTER", "SLOTS")) == len(reply_of(theirs, "CLUSTER", "SLOTS"))
    # CLUSTER SHARDS: the same keys at every level, the same roles.
    def shards_shape(c: redis.Redis) -> list:
        out = []
        for shard in reply_of(c, "CLUSTER", "SHARDS"):
            out.append((sorted(shard), len(shard[b"slots"]),
                        [(sorted(n), n[b"role"]) for n in shard[b"nodes"]]))
        return sorted(out, key=repr)
    assert shards_shape(ours) == shards_shape(theirs)
    # CLUSTER NODES: same fields, flags and slot syntax.
    def nodes_shape(c: redis.Redis) -> list:
        views = parse_nodes(reply_of(c, "CLUSTER", "NODES").decode())
        return sorted((sorted(v.flags), v.primary_id == "-", v.link, len(v.ranges)) for v in views)
    assert nodes_shape(ours) == nodes_shape(theirs)
    # CLUSTER REPLICAS of a primary: one node line per replica.
    for c in (ours, theirs):
        views = parse_nodes(reply_of(c, "CLUSTER", "NODES").decode())
        primary = next(v for v in views if v.is_primary)
        lines = reply_of(c, "CLUSTER", "REPLICAS", primary.id)
        assert len(lines) == 1 and parse_nodes(lines[0].decode())[0].primary_id == primary.id
    # The same redirection for the same slot (to different addresses).
    for c in (ours, theirs):
        views = parse_nodes(reply_of(c, "CLUSTER", "NODES").decode())
        me = next(v for v in views if "myself" in v.flags)
        slot = next(s for s in range(16384) if not any(a <= s <= b for a, b in me.ranges))
        key = next(k for k in (f"k{i}" for i in range(100000)) if key_slot(k.encode()) == slot)
        port = c.connection_pool.connection_kwargs["port"]
        err = raw(port, "GET", key)
        assert err[0] == "error" and err[1].startswith(f"MOVED {slot} 127.0.0.1:")


# -- resharding --------------------------------------------------------------------------------

def test_redis_cli_reshards_live(cluster: LocalCluster) -> None:
    """redis-cli --cluster reshard moves 100 slots (SETSLOT, GETKEYSINSLOT, MIGRATE ... KEYS,
    SETSLOT NODE) while a RedisCluster client keeps reading and writing."""
    primaries = cluster.primaries()
    src_port, dst_port = sorted(primaries)[:2]
    src_id, dst_id = primaries[src_port].id, primaries[dst_port].id
    first = primaries[src_port].ranges[0][0]
    moving = range(first, first + 100)
    rc = cluster.cluster_client()
    keys = {}
    wanted = set(moving[:60])
    i = 0
    while wanted:  # one key in each of the first 60 slots that move
        slot = key_slot(b"r%d" % i)
        if slot in wanted:
            keys[f"{{r{i}}}:v"] = str(slot)
            wanted.discard(slot)
        i += 1
    keys.update({f"{{r{n}}}:x": str(n) for n in range(200)})
    rc.mset_nonatomic(keys)
    errors: list[Exception] = []
    stop = threading.Event()

    def traffic() -> None:
        c = cluster.cluster_client()
        i = 0
        while not stop.is_set():
            try:
                k = list(keys)[i % len(keys)]
                assert c.get(k) == keys[k].encode(), k
                c.set(f"live:{i}", i)
            except Exception as e:  # noqa: BLE001 - any failure is what the test looks for
                errors.append(e)
            i += 1
        c.close()

    thread = threading.Thread(target=traffic)
    thread.start()
    try:
        out = subprocess.run(
            ["redis-cli", "--cluster", "reshard", f"127.0.0.1:{src_port}", "--cluster-from",
             src_id, "--cluster-to", dst_id, "--cluster-slots", str(len(moving)),
             "--cluster-yes", "--cluster-pipeline", "10"],
            capture_output=True, text=True, timeout=300)
    finally:
        stop.set()
        thread.join()
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    assert not errors, errors[:3]
    after = cluster.primaries()
    assert sum(b - a + 1 for a, b in after[dst_port].ranges) == \
        sum(b - a + 1 for a, b in primaries[dst_port].ranges) + len(moving)
    wrong = {k: rc.get(k) for k, v in keys.items() if rc.get(k) != v.encode()}
    assert not wrong, wrong
    dst = cluster.client(dst_port)
    empty = [s for s in moving[:60] if dst.execute_command("CLUSTER", "COUNTKEYSINSLOT", s) < 1]
    assert not empty, empty
    check = subprocess.run(["redis-cli", "--cluster", "check", f"127.0.0.1:{src_port}"],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "[OK] All 16384 slots covered." in check.stdout, check.stdout
    rc.close()
