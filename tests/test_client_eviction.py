"""maxmemory-clients: client eviction, run against slotkv and redis-server alike.

Every test runs once per server (the `server` fixture's params) and checks what a client
can observe: which connections get closed, `evicted_clients` in INFO stats, the
"Evicting client: <client info>" log line, CONFIG GET's reply. The memory figures differ
(a redis-server client carries about 20 KB of buffers at rest, a slotkv one well under 1 KB),
so the scenarios are sized in megabytes, where both agree on who goes.

The clients under test are raw sockets with a small receive buffer, so that the replies
they do not read pile up in the server rather than in the kernel. The control connection
runs CLIENT NO-EVICT ON: while a protected client alone is over the limit, Redis evicts
every other client that may be evicted, whatever its size.
"""

from __future__ import annotations

import socket
import time
from typing import Callable, Iterator

import pytest
import redis

from conftest import ServerProcess, server_pair, wait_until

MB = 1024 * 1024
Server = tuple[ServerProcess, redis.Redis]


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    yield from server_pair()


@pytest.fixture(params=["slotkv", "redis"])
def server(request: pytest.FixtureRequest,
           pair: tuple[ServerProcess, ServerProcess]) -> Iterator[Server]:
    proc = pair[0] if request.param == "slotkv" else pair[1]
    # One connection, never dropped and reopened behind our back (it would lose NO-EVICT).
    control = proc.client(single_connection_client=True)
    control.client_setname("control")
    control.execute_command("CLIENT", "NO-EVICT", "ON")
    _defaults(control)
    control.flushall()
    control.config_resetstat()
    yield proc, control
    _defaults(control)
    control.close()


def _defaults(control: redis.Redis) -> None:
    control.config_set("maxmemory-clients", "0")
    control.config_set("maxmemory", "0")
    control.config_set("client-output-buffer-limit", "normal 0 0 0")


# -- helpers ----------------------------------------------------------------------------------


def connect(proc: ServerProcess, name: str) -> socket.socket:
    """A raw connection named `name`, with a receive buffer kept small."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    sock.connect(("127.0.0.1", proc.port))
    command(sock, b"CLIENT", b"SETNAME", name.encode())
    return sock


def request(*args: bytes) -> bytes:
    """One command in RESP, as a client library sends it."""
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


def command(sock: socket.socket, *args: bytes, expect: bytes = b"+OK\r\n") -> None:
    """Send one command and read its (short) reply."""
    sock.sendall(request(*args))
    got = b""
    while len(got) < len(expect):
        chunk = sock.recv(len(expect) - len(got))
        assert chunk, f"connection closed, {expect!r} expected"
        got += chunk
    assert got == expect


def clients(control: redis.Redis) -> dict[str, dict[str, str]]:
    """CLIENT LIST by client name (nameless clients left out)."""
    text = control.execute_command("CLIENT", "LIST").decode()
    out = {}
    for line in text.splitlines():
        fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
        if fields.get("name"):
            out[fields["name"]] = fields
    return out


def evicted(control: redis.Redis) -> int:
    return control.info("stats")["evicted_clients"]


def gone(sock: socket.socket, timeout: float = 5.0) -> bool:
    """Whether the server closes `sock` within `timeout` seconds (what the client of an
    evicted connection sees), reading to the end of what was sent before the close."""
    sock.settimeout(timeout)
    try:
        while sock.recv(1 << 20):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return False
    return True


def log_from(proc: ServerProcess, start: int) -> str:
    """The server's log past its first `start` characters (this test's part)."""
    return proc.log()[start:]


def flood_gets(sock: socket.socket, key: bytes, until: Callable[[], bool],
               timeout: float = 10.0) -> None:
    """Send GETs of `key` without ever reading a reply, until `until()` is true."""
    request = b"*2\r\n$3\r\nGET\r\n$%d\r\n%b\r\n" % (len(key), key)
    deadline = time.monotonic() + timeout
    sock.setblocking(False)
    try:
        while not until():
            assert time.monotonic() < deadline, "timed out flooding GETs"
            try:
                sock.send(request * 10)
            except BlockingIOError:
                pass  # (the server stopped reading this client)
            except OSError:
                return  # closed under us: evicted
            time.sleep(0.005)
    finally:
        sock.setblocking(True)


def stall_bulk(sock: socket.socket, size: int) -> None:
    """Start a request whose first argument is `size` bytes and send all of it but the CRLF
    that ends it: the server holds it in the query buffer and waits for the rest."""
    try:
        sock.sendall(b"*2\r\n$%d\r\n" % size + b"v" * size)
    except OSError:
        pass  # closed while sending: evicted


def tot_mem(control: redis.Redis, name: str) -> int:
    info = clients(control).get(name)
    return int(info["tot-mem"]) if info else 0


# -- tests --------------------------------------------------------------------------------------


def test_client_not_reading_its_replies_is_evicted(server: Server) -> None:
    proc, control = server
    start = len(proc.log())
    control.setrange("big", 200_000, "v")
    control.config_set("maxmemory-clients", "2mb")
    bystander = connect(proc, "bystander")
    hog = connect(proc, "hog")
    flood_gets(hog, b"big", lambda: "hog" not in clients(control))
    assert gone(hog)
    assert evicted(control) == 1  # the largest went, and that took the total under the limit
    # Everyone else is still served.
    command(bystander, b"PING", expect=b"+PONG\r\n")
    assert control.ping()
    assert set(clients(control)) == {"control", "bystander"}
    # Logged with the client's CLIENT LIST line, as Redis logs it (at notice level).
    lines = [line for line in log_from(proc, start).splitlines() if "Evicting client: " in line]
    assert len(lines) == 1 and " name=hog " in lines[0] and " * Evicting client: id=" in lines[0]
    control.config_resetstat()
    assert evicted(control) == 0
    bystander.close()


def test_no_evict_client_is_kept(server: Server) -> None:
    proc, control = server
    start = len(proc.log())
    control.setrange("big", 200_000, "v")
    control.config_set("maxmemory-clients", "2mb")
    guarded = connect(proc, "guarded")
    command(guarded, b"CLIENT", b"NO-EVICT", b"ON")
    guarded.sendall(b"GET big\r\n" * 60)  # 12 MB of replies, never read
    wait_until(lambda: tot_mem(control, "guarded") > 2 * MB, what="guarded's output to grow")
    # Over the limit on its own, it stays; a client that may be evicted goes instead.
    # (No CLIENT SETNAME first: its reply may never come.)
    twin = socket.create_connection(("127.0.0.1", proc.port))
    twin.sendall(b"PING\r\n")
    assert gone(twin)
    time.sleep(0.3)  # (a few cron ticks)
    assert "guarded" in clients(control)
    assert tot_mem(control, "guarded") > 2 * MB
    assert evicted(control) >= 1
    assert "Over client maxmemory after evicting all evictable clients" in log_from(proc, start)
    guarded.close()


def test_pubsub_client_is_evictable(server: Server) -> None:
    # clientEvictionAllowed takes CLIENT_TYPE_NORMAL and CLIENT_TYPE_PUBSUB alike.
    proc, control = server
    control.config_set("maxmemory-clients", "2mb")
    subscriber = connect(proc, "subscriber")
    subscriber.sendall(b"SUBSCRIBE news\r\n")  # and never reads again
    wait_until(lambda: clients(control).get("subscriber", {}).get("sub") == "1",
               what="the subscription")
    message = b"m" * 200_000
    deadline = time.monotonic() + 10
    while "subscriber" in clients(control):
        assert time.monotonic() < deadline, "the subscriber was not evicted"
        control.publish("news", message)
    assert gone(subscriber)
    assert evicted(control) == 1


def test_big_query_buffer_is_evicted(server: Server) -> None:
    proc, control = server
    control.config_set("maxmemory-clients", "2mb")
    small = connect(proc, "small")
    stall_bulk(small, 500_000)
    wait_until(lambda: tot_mem(control, "small") >= 500_000, what="small's query buffer")
    big = connect(proc, "big")
    stall_bulk(big, 3 * MB)
    wait_until(lambda: "big" not in clients(control), what="big to be evicted")
    assert gone(big)
    assert evicted(control) == 1
    assert "small" in clients(control)
    small.close()


def test_off_by_default_and_a_lower_limit_acts_at_once(server: Server) -> None:
    proc, control = server
    assert control.config_get("maxmemory-clients") == {"maxmemory-clients": "0"}
    control.setrange("big", 200_000, "v")
    big = connect(proc, "big")
    stall_bulk(big, 3 * MB)
    hog = connect(proc, "hog")
    hog.sendall(b"GET big\r\n" * 60)
    wait_until(lambda: tot_mem(control, "big") >= 3 * MB, what="big's query buffer")
    wait_until(lambda: tot_mem(control, "hog") > 1 * MB, what="hog's output")
    time.sleep(0.3)
    assert {"big", "hog"} <= set(clients(control))
    assert evicted(control) == 0
    # Lowered: the next command already finds both gone (largest first until under it).
    control.config_set("maxmemory-clients", "1mb")
    assert set(clients(control)) == {"control"}
    assert evicted(control) == 2
    assert gone(big) and gone(hog)
    # And off again: nothing goes.
    control.config_set("maxmemory-clients", "0")
    again = connect(proc, "again")
    stall_bulk(again, 3 * MB)
    wait_until(lambda: tot_mem(control, "again") >= 3 * MB, what="again's query buffer")
    assert "again" in clients(control)
    assert evicted(control) == 2
    again.close()


def test_percentage_of_maxmemory(server: Server) -> None:
    proc, control = server
    control.config_set("maxmemory", "100mb")
    control.config_set("maxmemory-clients", "3%")  # 3 MB
    assert control.config_get("maxmemory-clients") == {"maxmemory-clients": "3%"}
    small = connect(proc, "small")
    stall_bulk(small, 1 * MB)
    wait_until(lambda: tot_mem(control, "small") >= 1 * MB, what="small's query buffer")
    big = connect(proc, "big")
    stall_bulk(big, 5 * MB)
    wait_until(lambda: "big" not in clients(control), what="big to be evicted")
    assert gone(big)
    assert "small" in clients(control) and evicted(control) == 1
    # A percentage of no maxmemory is no limit.
    control.config_set("maxmemory", "0")
    assert control.config_get("maxmemory-clients") == {"maxmemory-clients": "3%"}
    other = connect(proc, "other")
    stall_bulk(other, 5 * MB)
    wait_until(lambda: tot_mem(control, "other") >= 5 * MB, what="other's query buffer")
    time.sleep(0.2)
    assert {"small", "other"} <= set(clients(control)) and evicted(control) == 1
    small.close()
    other.close()


@pytest.mark.parametrize("value, shown", [("10%", "10%"), ("1mb", "1048576"), ("1k", "1000"),
                                          ("131072", "131072"), ("0", "0")])
def test_config_get_shows_what_redis_shows(server: Server, value: str, shown: str) -> None:
    _, control = server
    control.config_set("maxmemory-clients", value)
    assert control.config_get("maxmemory-clients") == {"maxmemory-clients": shown}


# -- DEBUG CLIENT-EVICTION ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def debug_pair() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    yield from server_pair("--enable-debug-command", "yes", "--maxmemory-clients", "64mb")


def _raw_reply(proc: ServerProcess, *args: bytes) -> bytes:
    """The whole raw reply to one command sent first on a fresh connection."""
    with socket.create_connection(("127.0.0.1", proc.port), timeout=5) as sock:
        sock.sendall(request(*args))
        data = b""
        while not data.endswith(b"\n\r\n") and not (data.startswith(b"-") and data.endswith(b"\r\n")):
            chunk = sock.recv(65536)
            assert chunk, "connection closed"
            data += chunk
        return data


def _bucket_rows(proc: ServerProcess) -> list[tuple[int, int]]:
    """(low end, clients) of each bucket line."""
    text = _raw_reply(proc, b"DEBUG", b"CLIENT-EVICTION").split(b"\r\n", 1)[1].decode()
    rows = []
    for line in filter(None, text.splitlines()):
        low = int(line.split()[1].rstrip("+"))
        rows.append((low, int(line.rsplit("clients: ", 1)[1])))
    return rows


def test_debug_client_eviction_matches_redis(debug_pair: tuple[ServerProcess, ServerProcess]) -> None:
    mine, theirs = debug_pair
    # With nobody else connected, the table of empty buckets is byte for byte Redis's.
    assert _raw_reply(mine, b"DEBUG", b"CLIENT-EVICTION") == _raw_reply(theirs, b"DEBUG", b"CLIENT-EVICTION")
    for proc in debug_pair:
        proc.client().set("big", "v" * 200_000)
    # A client holding megabytes of unread replies is counted in a bucket of its size.
    hogs = []
    for proc in debug_pair:
        hog = connect(proc, "hog")
        hog.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 40)
        hogs.append(hog)
    for proc in debug_pair:
        wait_until(lambda: any(n for low, n in _bucket_rows(proc) if low >= 1 * MB), 10,
                   "the unread replies to be counted")
    assert [sum(n for low, n in _bucket_rows(p) if low >= 1 * MB) for p in debug_pair] == [1, 1]
    for hog in hogs:
        hog.close()
    # Off: Redis's error.
    errors = []
    for proc in debug_pair:
        control = proc.client()
        control.config_set("maxmemory-clients", "0")
        errors.append(_raw_reply(proc, b"DEBUG", b"CLIENT-EVICTION"))
        control.config_set("maxmemory-clients", "64mb")
        control.close()
    assert errors[0] == errors[1] == b"-ERR maxmemory-clients is disabled.\r\n"
