"""The wire protocol over raw sockets: slotkv's bytes against redis-server's, byte for byte.

Every case sends the same bytes to a node and to the oracle and compares what comes back and
whether the server closed the connection. Where hiredis (slotkv's request parser for
multibulk connections) makes slotkv differ, the test asserts slotkv's documented behaviour and
says why in a comment.
"""

from __future__ import annotations

import re
import select
import socket
import threading
import time

import hiredis
import pytest

from node.codec import encode_request

QUIET = 0.2  # seconds of silence after which a connection that stays open is done
SLOW = 3.0  # ... while the node's answer is still shorter than redis-server's


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def collect(socks: list[socket.socket], quiet: float = QUIET, limit: float = 15.0,
            like: dict[int, int] | None = None) -> list[tuple[bytes, bool]]:
    """Read from all sockets until each has closed or been silent for `quiet` seconds.

    With `like={i: j}`, socket i (the node) is given up to SLOW seconds of silence while its
    answer is shorter than socket j's (the oracle's), or it is open where j closed, so a node
    slowed down by a busy machine is not cut off early.
    """
    like = like or {}
    out = [b""] * len(socks)
    closed = [False] * len(socks)
    last = [time.monotonic()] * len(socks)
    deadline = time.monotonic() + limit

    def patience(i: int) -> float:
        j = like.get(i)
        if j is not None and (len(out[i]) < len(out[j]) or closed[j]):
            return SLOW
        return quiet

    while time.monotonic() < deadline:
        now = time.monotonic()
        open_ = [i for i in range(len(socks)) if not closed[i] and now - last[i] < patience(i)]
        if not open_:
            break
        ready, _, _ = select.select([socks[i] for i in open_], [], [], 0.05)
        for s in ready:
            i = socks.index(s)
            try:
                data = s.recv(1 << 20)
            except ConnectionResetError:
                data = b""
            if data:
                out[i] += data
                last[i] = time.monotonic()
            else:
                closed[i] = True
    for s in socks:
        s.close()
    return list(zip(out, closed))


def send(ports: list[int], *chunks: bytes, pause: float = 0.0) -> list[socket.socket]:
    """Connect to each port and send `chunks` as separate writes, `pause` apart."""
    socks = [connect(p) for p in ports]
    for chunk in chunks:
        for s in socks:
            try:
                s.sendall(chunk)
            except OSError:
                pass  # the server already closed; collect() reports it
        if pause:
            time.sleep(pause)
    return socks


def exchange(ports: list[int], *chunks: bytes, pause: float = 0.0, quiet: float = QUIET) -> list[tuple[bytes, bool]]:
    """Send `chunks` to each port; each server's replies and whether it closed."""
    return collect(send(ports, *chunks, pause=pause), quiet)


@pytest.fixture
def wire(r, o, node, oracle):
    """wire(*chunks) -> (slotkv's (bytes, closed), redis's (bytes, closed)), both flushed."""

    def run(*chunks: bytes, pause: float = 0.0, quiet: float = QUIET):
        socks = send([node.port, oracle.port], *chunks, pause=pause)
        mine, theirs = collect(socks, quiet, like={0: 1})
        return mine, theirs

    return run


@pytest.fixture
def same(wire):
    """same(*chunks): assert slotkv and redis answer the same bytes and agree on closing."""

    def check(*chunks: bytes, **kw):
        mine, theirs = wire(*chunks, **kw)
        assert mine == theirs, f"{chunks!r}:\n slotkv={mine!r}\n redis ={theirs!r}"
        return mine

    return check


def req(*args: bytes | str) -> bytes:
    return encode_request([a.encode() if isinstance(a, str) else a for a in args])


# -- inline commands ---------------------------------------------------------------------------


@pytest.mark.parametrize("data", [
    b"PING\r\n",
    b"PING\n",
    b"ping\r\nPiNg hello\r\n",
    b"SET \"a b\" 'c d'\r\nGET \"a b\"\r\nEXISTS a b \"a b\"\r\n",
    b'ECHO "\\x41\\x4a\\n\\t\\"q\\\\"\r\n',
    b'ECHO "\\x4g\\xZZ"\r\n',
    b"ECHO 'it\\'s'\r\n",
    b"ECHO 'no \\n escape'\r\n",
    b'ECHO ""\r\nECHO \'\'\r\n',
    b"\r\n\r\n   \r\n\t\r\nPING\r\n",
    b"  SET   k    v  \r\nGET k\r\n",
    b"SET k v\r\nGET k\r\nDEL k\r\nGET k\r\n",
    b"PING\r\n" + req("ECHO", "multibulk") + b"ECHO inline\r\n",
])
def test_inline(same, data):
    same(data)


@pytest.mark.parametrize("data", [
    b'ECHO "abc\r\n',
    b"ECHO 'abc\r\n",
    b'ECHO "a"b\r\n',
    b"ECHO 'a'b\r\n",
    b'PING\r\nSET k "v\r\nPING\r\n',  # the PING before is answered, the one after is not
])
def test_inline_unbalanced_quotes_close_the_connection(same, data):
    reply, closed = same(data)
    assert closed and reply.endswith(b"-ERR Protocol error: unbalanced quotes in request\r\n")


def test_inline_split_across_writes(same):
    same(b"SE", b"T k", b" \"a b", b"\"\r", b"\nGET", b" k\r\n", pause=0.02)


def test_too_big_inline_request(same):
    reply, closed = same(b"SET k " + b"x" * (70 * 1024))
    assert closed and reply == b"-ERR Protocol error: too big inline request\r\n"


def test_inline_request_just_under_the_limit(same):
    reply, closed = same(b"ECHO " + b"x" * 60000 + b"\r\n")
    assert not closed and reply == b"$60000\r\n" + b"x" * 60000 + b"\r\n"


def test_nul_byte_in_an_inline_line_hides_its_end(same):
    # Redis finds the line end with strchr, which stops at the NUL: no reply, no close.
    assert same(b"ECHO a\x00b\r\n") == (b"", False)


# -- multibulk edge cases ----------------------------------------------------------------------


@pytest.mark.parametrize("data", [
    b"*0\r\nPING\r\n",
    b"*-1\r\nPING\r\n",
    b"*-5\r\n" + req("PING"),
    b"*0\r\n*0\r\n" + req("ECHO", "x") + b"*-1\r\n" + req("ECHO", "y"),
    req("ECHO", "") + req("ECHO", "a\r\nb") + req("ECHO", b"\x00\xff"),
    b"*1\r\n$4\r\nPINGxx",  # the two bytes after a bulk are skipped unchecked
    b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\n",
    req("PING") + b"\r\n" + req("ECHO", "after an empty line"),  # redis-cli --pipe
    req("SET", "k", "v") + b"GET k\r\n" + req("DEL", "k") + b"GET k\r\n",
])
def test_multibulk_accepted(same, data):
    same(data)


@pytest.mark.parametrize("data, error", [
    (b"*abc\r\n", b"invalid multibulk length"),
    (b"*01\r\n$4\r\nPING\r\n", b"invalid multibulk length"),
    (b"*+1\r\n$4\r\nPING\r\n", b"invalid multibulk length"),
    (b"* 1\r\n$4\r\nPING\r\n", b"invalid multibulk length"),
    (b"*-0\r\n", b"invalid multibulk length"),
    (b"*2147483648\r\n", b"invalid multibulk length"),
    (b"*99999999999999999999\r\n", b"invalid multibulk length"),
    (b"*1\r\n$abc\r\n", b"invalid bulk length"),
    (b"*1\r\n$-1\r\n", b"invalid bulk length"),
    (b"*1\r\n$04\r\nPING\r\n", b"invalid bulk length"),
    (b"*1\r\n$ 4\r\nPING\r\n", b"invalid bulk length"),
    (b"*1\r\nx\r\n", b"expected '$', got 'x'"),
    (b"*2\r\n$3\r\nGET\r\n:1\r\n", b"expected '$', got ':'"),
    (b"*2\r\n$3\r\nGET\r\n-ERR\r\n", b"expected '$', got '-'"),
    (b"*2\r\n$4\r\nECHO\r\n*1\r\n$1\r\na\r\n", b"expected '$', got '*'"),
    (b"*2\r\n$3\r\nGET\r\n~1\r\n$1\r\na\r\n", b"expected '$', got '~'"),
    (b"*2\r\n$3\r\nGET\r\n%1\r\n$1\r\na\r\n$1\r\nb\r\n", b"expected '$', got '%'"),
    (b"*2\r\n$3\r\nGET\r\n>1\r\n$1\r\na\r\n", b"expected '$', got '>'"),
    (b"*2\r\n$3\r\nGET\r\n_\r\n", b"expected '$', got '_'"),
    (b"*2\r\n$3\r\nGET\r\n#t\r\n", b"expected '$', got '#'"),
    (b"*2\r\n$3\r\nGET\r\n,1.5\r\n", b"expected '$', got ','"),
    (b"*1\r\n*2000000000\r\n", b"expected '$', got '*'"),
])
def test_multibulk_protocol_errors(same, data, error):
    reply, closed = same(data)
    assert closed and reply == b"-ERR Protocol error: " + error + b"\r\n"


@pytest.mark.parametrize("data", [
    b"*1\r\nxyz",  # no line end yet: Redis waits before looking at the type byte
    b"*3\r\n$3\r\nSET\r\n",
    b"*1\x00\r\n$4\r\nPING\r\n",  # a NUL before the line end hides it (strchr)
    b"*1\r\n$4\x00\r\nPING\r\n",
    b"*2000000000\r\n",  # a huge count alone: both wait for the elements
    b"*1\r\n$536870912\r\n",  # exactly proto-max-bulk-len: both wait for the data
])
def test_multibulk_incomplete_waits(same, data):
    assert same(data) == (b"", False)


def test_errors_after_valid_requests_in_the_same_write(same):
    reply, closed = same(req("SET", "a", "1") + req("INCR", "a") + b"*1\r\n$x\r\n" + req("PING"))
    assert closed and reply == b"+OK\r\n:2\r\n-ERR Protocol error: invalid bulk length\r\n"


def test_error_after_requests_of_earlier_writes(same):
    # hiredis rejects the stream in a later read than the one that carried the served requests;
    # none of them may run twice.
    big = req("SET", "big", "x" * 100_000)
    same(big, req("INCR", "n") * 3, b"*1\r\n:1\r\n", req("GET", "n"), pause=0.05)


def test_partial_request_ending_like_the_previous_one(same):
    # The partial request's elements end with the bytes of the PING before it: the server
    # must still know it is in the middle of a request when the bad element arrives.
    first = req("SET", "k", "x" * 70000) + req("PING") + b"*3\r\n$2\r\n*1\r\n$4\r\nPING\r\n"
    reply, closed = same(first, b":1\r\n", pause=0.1)
    assert closed


def test_request_split_into_single_bytes(same):
    data = req("SET", "k", "a b\r\nc") + req("GET", "k")
    same(*[data[i : i + 1] for i in range(len(data))], pause=0.002)


def test_big_pipeline_in_one_write(same):
    data = b"".join(req("INCR", f"c{i % 17}") for i in range(10000)) + req("MGET", *[f"c{i}" for i in range(17)])
    reply, closed = same(data, quiet=0.5)
    assert not closed and reply.count(b"\r\n") > 10000


def test_quit_in_a_pipeline(same):
    reply, closed = same(req("SET", "q", "1") + req("QUIT") + req("SET", "q", "2"))
    assert closed and reply == b"+OK\r\n+OK\r\n"


def test_incomplete_nested_aggregate_waits_in_slotkv(wire):
    # Documented difference: hiredis reads a nested RESP3 aggregate to its end before slotkv
    # can refuse it, so slotkv waits for the elements Redis refuses at the type byte.
    mine, theirs = wire(b"*2\r\n$3\r\nGET\r\n~2\r\n")
    assert theirs == (b"-ERR Protocol error: expected '$', got '~'\r\n", True)
    assert mine == (b"", False)


def test_simple_string_argument_is_accepted_by_slotkv(wire):
    # Documented difference: hiredis, a reply parser, reads `+PING` as an argument, so slotkv
    # answers it; Redis refuses it (expected '$', got '+') and closes.
    mine, theirs = wire(req("PING") + b"*1\r\n+PING\r\n")
    assert theirs == (b"+PONG\r\n-ERR Protocol error: expected '$', got '+'\r\n", True)
    assert mine == (b"+PONG\r\n+PONG\r\n", False)


# -- pipelines of valid and invalid commands ---------------------------------------------------


def test_mixed_pipeline(same):
    cmds = [
        ("SET", "k", "v"), ("NOSUCH",), ("GET",), ("GET", "k"), ("SET", "n", "x"), ("INCR", "n"),
        ("get", "k", "extra"), ("PING", "a", "b"), ("ECHO", "ok"), ("nosuch", "a", "b"),
        ("SET", "k", "v", "NX", "XX"), ("COMMAND", "NOSUCHSUB"), ("DEL", "k"), ("GET", "k"),
    ]
    data = b"".join(req(*c) for c in cmds)
    reply, closed = same(data)
    assert not closed
    same(data)  # again, now with the keys the first run left behind


def test_mixed_inline_pipeline(same):
    same(b"SET k v\r\nNOSUCH 1 2\r\nGET\r\nGET k\r\nINCR k\r\nECHO\r\nPING x\r\n")


# -- unknown command and arity errors ----------------------------------------------------------


@pytest.mark.parametrize("args", [
    ("NOSUCH",),
    ("NOSUCH", "a", "b c", ""),
    ("x" * 300,),
    ("NOSUCH", "y" * 300),
    ("NOSUCH",) + tuple("a%d" % i for i in range(100)),
    ("NOSUCH", "a" * 120, "b" * 20, "c"),
    ("NOSUCH", b"\xff\xfe\x00bin"), ("NOSUCH", "é" * 100, "ü" * 50), (b"\xc3" * 200,), ("NO\x00SUCH", "a"),
    ("GET",), ("GET", "a", "b"), ("SET", "a"), ("gEt",), ("ECHO",), ("PING", "a", "b"),
    ("MSET", "a"), ("COMMAND", "NOSUCH"), ("COMMAND", "nosuch", "x"), ("COMMAND", "GETKEYS"),
    ("SELECT",), ("SELECT", "a"), ("SELECT", "99"), ("AUTH", "pw"), ("AUTH", "user", "pw"), ("AUTH",),
    ("HELLO", "4"), ("HELLO", "3", "AUTH", "default"),
])
def test_error_replies_byte_for_byte(same, args):
    same(req(*args))
    words = [a.encode() if isinstance(a, str) else a for a in args]
    if all(w and not any(c in w for c in b" \t\r\n\x00'\"") for w in words):
        same(b" ".join(words) + b"\r\n")  # the same command, inline


# -- clients that vanish ------------------------------------------------------------------------


def test_client_vanishing_mid_pipeline_does_not_disturb_others(node, r):
    r.set("shared", "0")
    stop = threading.Event()
    errors: list[str] = []

    def well_behaved():
        c = node.client()
        i = 0
        while not stop.is_set():
            i += 1
            c.set(f"wb{i % 50}", i)
            if c.get(f"wb{i % 50}") != str(i).encode():
                errors.append(f"bad reply at {i}")
            if c.incr("shared") < 1:
                errors.append("bad incr")
        c.close()

    t = threading.Thread(target=well_behaved)
    t.start()
    try:
        pipeline = b"".join(req("SET", f"p{i}", "x" * 100) for i in range(20000))
        for cut in (len(pipeline), len(pipeline) // 2 + 7, 12345):
            s = connect(node.port)
            s.sendall(pipeline[:cut])
            s.close()  # gone without reading a single reply
        s = connect(node.port)  # and one that resets the connection
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.sendall(pipeline)
        s.close()
        time.sleep(0.5)
    finally:
        stop.set()
        t.join(10)
    assert not errors
    assert node.alive()
    assert r.ping() is True
    assert int(r.get("shared")) > 0


def test_huge_declared_array_does_not_stall_the_server(node, r):
    # hiredis would allocate (and then free, for seconds) a list of the declared size.
    socks = []
    for header in (b"*2000000000\r\n", req("PING") + b"*2147483647\r\n$1\r\na\r\n",
                   b"*1\r\n*1500000000\r\n", b"*1\r\n~1500000000\r\n"):
        s = connect(node.port)
        s.sendall(header)
        socks.append(s)
    time.sleep(0.1)
    for s in socks:
        s.close()
    start = time.monotonic()
    for _ in range(5):
        assert r.ping() is True
    assert time.monotonic() - start < 1.0


def test_blocked_client_request_is_not_replayed_after_a_rejection(node, r):
    # A request served before the client blocked must not run again when a later malformed
    # request makes the server re-read the stream from the last request boundary.
    if b"blpop" not in r.command_list():
        pytest.skip("BLPOP is not registered yet")
    r.rpush("q", "a", "b", "c")
    s = connect(node.port)
    s.sendall(req("BLPOP", "q", "0") + req("BLPOP", "nothing-here", "0"))
    time.sleep(0.2)
    r.rpush("nothing-here", "x")
    time.sleep(0.2)
    s.sendall(b"*1\r\n:1\r\n")
    reply, closed = collect([s])[0]
    assert closed and reply.endswith(b"-ERR Protocol error: expected '$', got ':'\r\n")
    assert r.lrange("q", 0, -1) == [b"b", b"c"]


# -- limits ---------------------------------------------------------------------------------------


@pytest.fixture
def small_bulk_limit(oracle, start_node):
    """A node started with proto-max-bulk-len 1mb, and the oracle set to the same."""
    limited = start_node("--proto-max-bulk-len", "1mb")
    o = oracle.client()
    old = o.config_get("proto-max-bulk-len")["proto-max-bulk-len"]
    o.config_set("proto-max-bulk-len", "1mb")
    try:
        yield limited
    finally:
        o.config_set("proto-max-bulk-len", old)
        o.close()


def test_proto_max_bulk_len_at_the_limit(small_bulk_limit, oracle):
    value = b"v" * (1024 * 1024)
    mine, theirs = exchange([small_bulk_limit.port, oracle.port], req("SET", "big", value) + req("STRLEN", "big"))
    assert mine == theirs == (b"+OK\r\n:1048576\r\n", False)


def test_proto_max_bulk_len_exceeded_after_an_inline_command(small_bulk_limit, oracle):
    # On a connection that started inline, slotkv's parser sees the header, as Redis does.
    data = b"PING\r\n*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$1048577\r\n"
    mine, theirs = exchange([small_bulk_limit.port, oracle.port], data)
    assert mine == theirs == (b"+PONG\r\n-ERR Protocol error: invalid bulk length\r\n", True)


def test_proto_max_bulk_len_exceeded_on_a_multibulk_connection(small_bulk_limit, oracle):
    # Documented difference: hiredis does not expose bulk headers, so slotkv refuses an
    # oversized bulk once the pending request has buffered past proto-max-bulk-len + 64 KiB,
    # not at its `$<len>` header as Redis does. The reply and the close are the same.
    header = b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$2000000\r\n"
    mine, theirs = exchange([small_bulk_limit.port, oracle.port], header)
    assert theirs == (b"-ERR Protocol error: invalid bulk length\r\n", True)
    assert mine == (b"", False)
    mine, = exchange([small_bulk_limit.port], header, b"x" * (1024 * 1024 + 128 * 1024), quiet=1.0)
    assert mine == (b"-ERR Protocol error: invalid bulk length\r\n", True)
    assert small_bulk_limit.client().ping() is True


def test_endless_multibulk_count_line(small_bulk_limit, oracle):
    # Redis refuses a count line at 64 KiB; on a multibulk connection slotkv's hiredis has no
    # line limit, and the same query-buffer check as above ends it (documented difference).
    mine, theirs = exchange([small_bulk_limit.port, oracle.port], b"*" + b"1" * (70 * 1024))
    assert theirs == (b"-ERR Protocol error: too big mbulk count string\r\n", True)
    assert mine == (b"", False)
    mine, = exchange([small_bulk_limit.port], b"*" + b"1" * (1200 * 1024), quiet=1.0)
    assert mine == (b"-ERR Protocol error: invalid bulk length\r\n", True)


def test_endless_count_line_after_an_inline_command(same):
    reply, closed = same(b"PING\r\n*" + b"1" * (70 * 1024))
    assert closed and reply == b"+PONG\r\n-ERR Protocol error: too big mbulk count string\r\n"
    reply, closed = same(b"PING\r\n*1\r\n$" + b"1" * (70 * 1024))
    assert closed and reply == b"+PONG\r\n-ERR Protocol error: too big bulk count string\r\n"


# -- RESP3 on the wire -----------------------------------------------------------------------------


def test_resp3_replies_byte_for_byte(wire):
    cmds = [("SET", "k", "1.5"), ("GET", "k"), ("GET", "missing"), ("MGET", "k", "missing"),
            ("INCRBYFLOAT", "k", "1"), ("EXISTS", "k"), ("PING",), ("ECHO", "x"), ("NOSUCH",),
            ("GET",), ("DEL", "k"), ("GET", "k")]
    data = req("HELLO", "3") + b"".join(req(*c) for c in cmds)
    (mine, mine_closed), (theirs, theirs_closed) = wire(data)
    assert not mine_closed and not theirs_closed
    # HELLO's map holds the server's name, version and connection id: compare what follows.
    assert mine.startswith(b"%7\r\n") and theirs.startswith(b"%7\r\n")
    assert mine[first_reply_len(mine):] == theirs[first_reply_len(theirs):]


@pytest.mark.parametrize("name", ["get", "keys", "set", "xread", "zunionstore", "object"])
def test_resp3_command_info_uses_redis_aggregate_types(wire, name):
    # Flags, categories, tips and key specs are sets (`~`); subcommands are an array, or an
    # empty set where there are none. Set members may come in another order, so the
    # aggregate headers are compared, in order; Redis lists subcommands in its dict's order,
    # so for a container only its own entry is (up to the subcommands' array).
    (mine, _), (theirs, _) = wire(req("HELLO", "3") + req("COMMAND", "INFO", name))
    headers = re.compile(rb"^[*~%][0-9]+\r$", re.M)
    mine_h = headers.findall(mine[first_reply_len(mine):])
    theirs_h = headers.findall(theirs[first_reply_len(theirs):])
    if name == "object":
        mine_h, theirs_h = mine_h[:7], theirs_h[:7]
        assert theirs_h[-1].startswith(b"*")
    assert mine_h == theirs_h


def first_reply_len(stream: bytes) -> int:
    """How many bytes the first reply in `stream` takes."""
    reader = hiredis.Reader()
    for i in range(len(stream)):
        reader.feed(stream[i : i + 1])
        if reader.gets() is not False:
            return i + 1
    raise AssertionError("no complete reply")


@pytest.mark.parametrize("data", [
    req("PING") + b"*2\r\n%1\r\n*0\r\n$1\r\na\r\n$4\r\nPING\r\n" + req("PING"),
    req("SET", "k", "v") + b"*1\r\n%1\r\n>0\r\n:1\r\n",
], ids=["list-key", "push-key"])
def test_map_with_an_aggregate_key(same, data):
    # hiredis raises TypeError building a dict with a list key; the node must answer the
    # requests before it and Redis's protocol error, not drop the connection silently.
    reply, closed = same(data)
    assert closed and reply.endswith(b"-ERR Protocol error: expected '$', got '%'\r\n")


def test_paused_client_request_is_not_replayed_after_a_rejection(node, r):
    # A request parked by CLIENT PAUSE ends the batch early; when a later malformed request
    # makes the server re-read the stream from the last request boundary, the requests
    # already run (the parked one included) must be skipped, not run again.
    if b"client|pause" not in r.command_list():
        pytest.skip("CLIENT PAUSE is not registered yet")
    assert r.execute_command("CLIENT", "PAUSE", "300", "WRITE")
    s = connect(node.port)
    try:
        s.sendall(req("GET", "n") + req("INCR", "n"))
        time.sleep(0.6)  # the pause ends, the parked INCR runs
        s.sendall(b"*1\r\n:1\r\n")
        reply, closed = collect([s])[0]
    finally:
        s.close()
    assert reply == b"$-1\r\n:1\r\n-ERR Protocol error: expected '$', got ':'\r\n"
    assert closed
    assert r.get("n") == b"1"


def test_unauthenticated_limits(start_node):
    # Before AUTH, Redis refuses a multibulk count above 10 and a bulk above 16 KiB, so an
    # unauthenticated client cannot make the server buffer much.
    from conftest import start_redis

    node = start_node("--requirepass", "pw")
    oracle = start_redis("--requirepass", "pw")
    try:
        cases = [
            b"*11\r\n",
            b"*2\r\n$4\r\nAUTH\r\n$16385\r\n",
            req("PING") + b"*11\r\n",
            b"PING\r\n*2\r\n$4\r\nAUTH\r\n$16385\r\n",
            req("AUTH", "wrong") + req("AUTH", "x" * 16384),
            req("AUTH", "pw") + req("MSET", *["k", "v"] * 10) + req("ECHO", "x" * 20000) + req("GET", "k"),
            req("AUTH", "pw") + req("RESET") + b"*11\r\n",
        ]
        for data in cases:
            mine, theirs = collect(send([node.port, oracle.port], data), like={0: 1})
            assert mine == theirs, f"{data[:80]!r}:\n slotkv={mine!r}\n redis ={theirs!r}"
    finally:
        oracle.stop()


def test_hello_and_auth_before_authentication(start_node, start_oracle):
    node, oracle = start_node("--requirepass", "pw"), start_oracle("--requirepass", "pw")
    cases = [
        req("HELLO") + req("HELLO", "3") + req("HELLO", "2", "SETNAME", "x") + req("CLIENT", "GETNAME"),
        req("HELLO", "3", "AUTH", "default", "bad") + req("HELLO", "3", "AUTH", "bad", "pw")
        + req("HELLO", "4", "AUTH", "default", "pw") + req("HELLO", "3", "AUTH", "default"),
        req("HELLO", "3", "SETNAME", "a b", "AUTH", "default", "pw") + req("PING"),
        req("HELLO", "3", "AUTH", "default", "pw", "SETNAME", "a b") + req("PING")
        + req("CLIENT", "GETNAME"),
        req("AUTH", "pw") + req("HELLO", "3", "AUTH", "default", "bad") + req("PING")
        + req("RESET") + req("PING"),
    ]
    for data in cases:
        mine, theirs = (
            (re.sub(rb"\$2\r\nid\r\n:\d+", b"id", out), closed)
            for out, closed in collect(send([node.port, oracle.port], data), like={0: 1}))
        assert mine == theirs, f"{data[:80]!r}:\n slotkv={mine!r}\n redis ={theirs!r}"
