"""redis-py against a node, as applications use it: sync and asyncio clients, RESP2 and RESP3.

Each test runs with both protocol versions; where a reply's value matters it is compared with
what the same redis-py call returns from redis-server (the oracle).
"""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
import redis
import redis.asyncio as aredis

from conftest import free_port

PROTOCOLS = [2, 3]


@pytest.fixture(params=PROTOCOLS, ids=["resp2", "resp3"])
def proto(request) -> int:
    return request.param


@pytest.fixture
def rc(node, proto, r):
    """A sync client to the node with the protocol under test (the keyspace is flushed by `r`)."""
    client = redis.Redis(host="127.0.0.1", port=node.port, protocol=proto)
    yield client
    client.close()


@pytest.fixture
def oc(oracle, proto, o):
    client = redis.Redis(host="127.0.0.1", port=oracle.port, protocol=proto)
    yield client
    client.close()


def registered(client: redis.Redis, name: str) -> bool:
    return name.encode() in client.command_list()


def outcome(fn, *args, **kwargs):
    """A call's value, or ("error", type, text) when it raises a redis-py error."""
    try:
        return fn(*args, **kwargs)
    except redis.RedisError as e:
        return ("error", type(e).__name__, str(e))


# -- basics --------------------------------------------------------------------------------------


def test_connect_ping_set_get(rc, proto):
    assert rc.ping() is True
    assert rc.set("k", "v") is True
    assert rc.get("k") == b"v"
    assert rc.get("missing") is None
    assert rc.connection_pool.connection_kwargs["protocol"] == proto


def test_asyncio_connect_ping_set_get(node, proto, r):
    async def main():
        client = aredis.Redis(host="127.0.0.1", port=node.port, protocol=proto)
        try:
            assert await client.ping() is True
            assert await client.set("k", "v") is True
            assert await client.get("k") == b"v"
            assert await client.get("missing") is None
            assert await client.mget("k", "missing") == [b"v", None]
            assert await client.incrby("n", 5) == 5
        finally:
            await client.aclose()

    asyncio.run(main())


def test_decode_responses(node, proto, r):
    client = redis.Redis(host="127.0.0.1", port=node.port, protocol=proto, decode_responses=True)
    client.set("k", "välue")
    assert client.get("k") == "välue"
    assert client.mget("k", "nope") == ["välue", None]
    client.close()


# -- HELLO, names, RESP3 types ---------------------------------------------------------------------


def test_hello(rc, oc, proto):
    mine, theirs = rc.execute_command("HELLO"), oc.execute_command("HELLO")
    if proto == 3:
        assert isinstance(mine, dict)  # a RESP3 map
    else:
        assert isinstance(mine, list)
        mine, theirs = dict(zip(mine[::2], mine[1::2])), dict(zip(theirs[::2], theirs[1::2]))
    assert mine.keys() == theirs.keys()
    assert isinstance(mine[b"id"], int)
    mine.pop(b"id"), theirs.pop(b"id")
    assert mine == theirs


def test_hello_names_the_replica_role(start_node, start_oracle):
    # A replica says so even before its link is up (the primary here never answers).
    roles = []
    for start in (start_node, start_oracle):
        proc = start("--replicaof", "127.0.0.1", str(free_port()))
        c = proc.client()
        reply = c.execute_command("HELLO", "2")
        roles.append(reply[reply.index(b"role") + 1])
        c.close()
    assert roles == [b"replica", b"replica"]


def test_hello_switches_protocol_on_a_connection(node, oracle, r):
    for port in (node.port, oracle.port):
        client = redis.Redis(host="127.0.0.1", port=port, single_connection_client=True)
        reply = client.execute_command("HELLO", "3")
        assert isinstance(reply, dict) and reply[b"proto"] == 3  # already a RESP3 map
        assert client.get("nope") is None
        reply = client.execute_command("HELLO", "2")
        assert reply[reply.index(b"proto") + 1] == 2
        client.close()


def test_hello_errors(rc, oc):
    for args in (("HELLO", "4"), ("HELLO", "x"), ("HELLO", "3", "AUTH", "default"),
                 ("HELLO", "3", "SETNAME", "bad name")):
        assert outcome(rc.execute_command, *args) == outcome(oc.execute_command, *args), args


def test_client_setname_getname(rc, oc):
    if not registered(rc, "client|setname"):
        pytest.skip("CLIENT SETNAME is not registered yet")
    assert rc.client_getname() is None and oc.client_getname() is None
    assert rc.client_setname("worker-1") is True and oc.client_setname("worker-1") is True
    mine, theirs = rc.client_getname(), oc.client_getname()
    assert mine == theirs  # redis-py decodes it in RESP2 only: compare as the oracle gives it
    assert (mine.decode() if isinstance(mine, bytes) else mine) == "worker-1"
    assert outcome(rc.client_setname, "bad name") == outcome(oc.client_setname, "bad name")
    assert outcome(rc.client_setname, "") == outcome(oc.client_setname, "")
    assert rc.client_getname() == oc.client_getname() is None


def test_hello_setname(rc, oc):
    if not registered(rc, "client|getname"):
        pytest.skip("CLIENT GETNAME is not registered yet")
    for c in (rc, oc):
        conn = c.connection_pool.get_connection()
        try:
            conn.send_command("HELLO", "3", "SETNAME", "via-hello")
            conn.read_response()
            conn.send_command("CLIENT", "GETNAME")
            assert conn.read_response() == b"via-hello"
        finally:
            c.connection_pool.release(conn)


def test_resp3_nulls(rc, oc, proto):
    for c in (rc, oc):
        c.set("k", "v")
    for call in (lambda c: c.get("nope"), lambda c: c.mget("k", "nope", "k"),
                 lambda c: c.getdel("nope"), lambda c: c.getex("nope"),
                 lambda c: c.set("k", "w", get=True), lambda c: c.set("n", "w", get=True),
                 lambda c: c.execute_command("HELLO", proto)[b"modules"]
                 if proto == 3 else []):
        assert outcome(call, rc) == outcome(call, oc)


def test_resp3_double(rc, oc, proto):
    if not registered(rc, "zscore"):
        pytest.skip("no command returning a double is registered yet (ZSCORE)")
    for c in (rc, oc):
        c.zadd("z", {"a": 1.5, "b": float("inf")})
    for member in ("a", "b", "nope"):
        mine, theirs = rc.zscore("z", member), oc.zscore("z", member)
        assert mine == theirs
    assert isinstance(rc.zscore("z", "a"), float)


def test_incrbyfloat(rc, oc):
    for c in (rc, oc):
        c.set("f", "10.5")
    for inc in (0.1, -5, 1e300, "abc"):
        assert outcome(rc.incrbyfloat, "f", inc) == outcome(oc.incrbyfloat, "f", inc)


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("NOSUCH", "a"), ("GET",), ("SET", "k"), ("SET", "k", "v", "EX", "0"), ("SET", "k", "v", "EX", "x"),
    ("SET", "k", "v", "NX", "XX"), ("INCR", "s"), ("INCRBY", "n", "x"), ("SELECT", "100"),
    ("GETRANGE", "s", "a", "b"), ("COMMAND", "NOSUCH"), ("PING", "a", "b"),
])
def test_error_replies_raise_with_redis_text(rc, oc, args):
    for c in (rc, oc):
        c.set("s", "text")
    mine, theirs = outcome(rc.execute_command, *args), outcome(oc.execute_command, *args)
    assert mine == theirs
    assert mine[0] == "error"


def test_wrongtype_error(rc, oc):
    if not registered(rc, "lpush"):
        pytest.skip("no list commands yet")
    for c in (rc, oc):
        c.lpush("l", "x")
    assert outcome(rc.get, "l") == outcome(oc.get, "l")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        rc.get("l")


def test_error_does_not_break_the_connection(rc):
    conn_count = len(rc.connection_pool._available_connections)
    with pytest.raises(redis.ResponseError):
        rc.execute_command("NOSUCH")
    assert rc.ping() is True
    assert len(rc.connection_pool._available_connections) == max(conn_count, 1)


# -- pipelines -------------------------------------------------------------------------------------


def fill_pipeline(pipe, n: int = 1000) -> None:
    for i in range(n):
        k = f"key:{i % 37}"
        step = i % 8
        if step == 0:
            pipe.set(k, i)
        elif step == 1:
            pipe.get(k)
        elif step == 2:
            pipe.incr(f"ctr:{i % 5}")
        elif step == 3:
            pipe.append(k, "x")
        elif step == 4:
            pipe.mget(k, f"key:{(i + 1) % 37}", "missing")
        elif step == 5:
            pipe.incr(f"key:{(i - 2) % 37}")  # an error: APPEND just made it non-numeric
        elif step == 6:
            pipe.exists(k, "missing")
        elif i % 250 == 7:
            pipe.execute_command("NOSUCH", k)
        else:
            pipe.delete(f"key:{(i * 7) % 37}")


def normalise(results: list) -> list:
    return [("error", type(x).__name__, str(x)) if isinstance(x, Exception) else x for x in results]


def test_pipeline_of_1000(rc, oc):
    out = []
    for c in (rc, oc):
        pipe = c.pipeline(transaction=False)
        fill_pipeline(pipe)
        out.append(normalise(pipe.execute(raise_on_error=False)))
    assert len(out[0]) == 1000
    assert out[0] == out[1]
    assert any(isinstance(x, tuple) for x in out[0])  # errors were part of the stream


def test_asyncio_pipeline_of_1000(node, oracle, proto, r, o):
    async def run(port):
        client = aredis.Redis(host="127.0.0.1", port=port, protocol=proto)
        try:
            pipe = client.pipeline(transaction=False)
            fill_pipeline(pipe)
            return normalise(await pipe.execute(raise_on_error=False))
        finally:
            await client.aclose()

    mine = asyncio.run(run(node.port))
    theirs = asyncio.run(run(oracle.port))
    assert len(mine) == 1000 and mine == theirs


def test_pipeline_raises_first_error(rc):
    pipe = rc.pipeline(transaction=False)
    pipe.set("a", "x").incr("a").get("a")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        pipe.execute()


# -- values ----------------------------------------------------------------------------------------


def test_large_value_roundtrip(rc):
    value = os.urandom(10 * 1024 * 1024)
    assert rc.set("big", value) is True
    assert rc.strlen("big") == len(value)
    assert rc.get("big") == value
    assert rc.getrange("big", 5_000_000, 5_000_009) == value[5_000_000:5_000_010]


def test_asyncio_large_value_roundtrip(node, proto, r):
    value = os.urandom(10 * 1024 * 1024)

    async def main():
        client = aredis.Redis(host="127.0.0.1", port=node.port, protocol=proto)
        try:
            assert await client.set("big", value) is True
            assert await client.get("big") == value
            pipe = client.pipeline(transaction=False)
            pipe.set("big2", value).get("big2").get("big")
            res = await pipe.execute()
            assert res[1] == value and res[2] == value
        finally:
            await client.aclose()

    asyncio.run(main())


def test_binary_safe_keys_and_values(rc, oc):
    every_byte = bytes(range(256))
    assert rc.set(every_byte, every_byte[::-1]) is True
    assert rc.get(every_byte) == every_byte[::-1]
    pipe = rc.pipeline(transaction=False)
    for b in range(256):
        pipe.set(bytes([b]), bytes([b]) * 3)
    assert all(pipe.execute())
    pipe = rc.pipeline(transaction=False)
    for b in range(256):
        pipe.get(bytes([b]))
    assert pipe.execute() == [bytes([b]) * 3 for b in range(256)]
    assert rc.exists(*[bytes([b]) for b in range(256)]) == 256
    for c in (rc, oc):
        c.set(b"k\r\n\x00", b"\r\n$-1\r\n*3\r\n")
    assert rc.mget(b"k\r\n\x00", b"\x00") == [b"\r\n$-1\r\n*3\r\n", b"\x00" * 3]
    assert rc.get(b"k\r\n\x00") == b"\r\n$-1\r\n*3\r\n"
    assert rc.append(b"k\r\n\x00", every_byte) == oc.append(b"k\r\n\x00", every_byte)


def test_empty_key_and_value(rc, oc):
    for c in (rc, oc):
        c.set("", "")
    assert rc.get("") == oc.get("") == b""
    assert rc.strlen("") == 0 and rc.exists("") == 1


# -- many connections ---------------------------------------------------------------------------------


def test_200_asyncio_connections(node, proto, r):
    async def worker(i: int) -> list:
        client = aredis.Redis(host="127.0.0.1", port=node.port, protocol=proto,
                              single_connection_client=True)
        try:
            await client.set(f"w{i}", i)
            for _ in range(10):
                await client.incr("shared")
            pipe = client.pipeline(transaction=False)
            for j in range(20):
                pipe.append(f"log{i}", f"{j},")
            await pipe.execute()
            return [await client.get(f"w{i}"), await client.strlen(f"log{i}")]
        finally:
            await client.aclose()

    async def main():
        return await asyncio.gather(*[worker(i) for i in range(200)])

    results = asyncio.run(main())
    expected_len = len("".join(f"{j}," for j in range(20)))
    assert results == [[str(i).encode(), expected_len] for i in range(200)]
    assert r.get("shared") == b"2000"


def test_200_threads_with_own_connections(node, proto, r):
    errors: list[str] = []
    barrier = threading.Barrier(200, timeout=30)

    def worker(i: int) -> None:
        client = redis.Redis(host="127.0.0.1", port=node.port, protocol=proto)
        try:
            client.ping()
            barrier.wait()  # all 200 connections open at once
            for j in range(5):
                client.set(f"t{i}", j)
                if client.get(f"t{i}") != str(j).encode():
                    errors.append(f"worker {i}: bad GET")
                client.incr("tshared")
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(f"worker {i}: {e!r}")
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:5]
    assert r.get("tshared") == b"1000"
