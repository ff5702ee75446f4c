"""Unit tests of node/codec.py, sans-IO: bytes in, requests out; reply values in, bytes out.

The expected values are what redis-server 7.0.15 does with the same bytes (checked against the
oracle over sockets in test_protocol.py); here they run without a socket, fast and exhaustive.
"""

from __future__ import annotations

import math
import time

import hiredis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node import codec
from node.codec import RequestParser, encode_request, encode_resp2, encode_resp3, split_args
from node.errors import CommandError, ProtocolError
from node.replies import NULL_ARRAY, OK, Push, SetReply, Status, Verbatim


def parse_all(*chunks: bytes, max_bulk: int = 512 * 1024 * 1024) -> list:
    """Feed the chunks one by one, draining after each; a protocol error ends the list."""
    p = RequestParser(max_bulk)
    out: list = []
    for chunk in chunks:
        p.feed(chunk)
        while True:
            try:
                req = p.get()
            except ProtocolError as e:
                out.append(("error", str(e)))
                return out
            if req is None:
                break
            out.append(req)
    return out


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


# -- multibulk ---------------------------------------------------------------------------------


def test_multibulk_pipeline():
    data = encode_request([b"SET", b"k", b"v"]) + encode_request([b"GET", b"k"])
    assert parse_all(data) == [[b"SET", b"k", b"v"], [b"GET", b"k"]]


def test_multibulk_fed_byte_by_byte():
    reqs = [[b"SET", b"k", b"a\r\nb"], [b"ECHO", b""], [b"MSET"] + [b"x%d" % i for i in range(50)]]
    data = b"".join(encode_request(r) for r in reqs)
    assert parse_all(*bytewise(data)) == reqs


def test_empty_and_null_multibulk_are_skipped():
    assert parse_all(b"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n") == [[b"PING"]]
    assert parse_all(b"*-5\r\n*1\r\n$4\r\nPING\r\n") == [[b"PING"]]


@pytest.mark.parametrize("data, error", [
    (b"*abc\r\n", "invalid multibulk length"),
    (b"*01\r\n$4\r\nPING\r\n", "invalid multibulk length"),      # string2ll: no leading zeros
    (b"*+1\r\n$4\r\nPING\r\n", "invalid multibulk length"),
    (b"* 1\r\n$4\r\nPING\r\n", "invalid multibulk length"),
    (b"*-0\r\n", "invalid multibulk length"),
    (b"*2147483648\r\n", "invalid multibulk length"),             # > INT_MAX
    (b"*1\r\n$abc\r\n", "invalid bulk length"),
    (b"*1\r\n$-1\r\n", "invalid bulk length"),
    (b"*1\r\n$04\r\nPING\r\n", "invalid bulk length"),
    (b"*1\r\n$ 4\r\nPING\r\n", "invalid bulk length"),
    (b"*1\r\nx\r\n", "expected '$', got 'x'"),
    (b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n:1\r\n", "expected '$', got ':'"),
    (b"*2\r\n$4\r\nECHO\r\n*1\r\n$1\r\na\r\n", "expected '$', got '*'"),
    (b"*2\r\n$3\r\nGET\r\n~2000000000\r\n", "expected '$', got '~'"),
])
def test_malformed_multibulk(data, error):
    assert parse_all(data) == [("error", error)]
    # the same bytes split anywhere give the same error
    assert parse_all(*bytewise(data)) == [("error", error)]


def test_requests_before_the_error_are_served():
    data = encode_request([b"PING"]) * 3 + b"*1\r\n:1\r\n"
    assert parse_all(data) == [[b"PING"]] * 3 + [("error", "expected '$', got ':'")]


def test_error_after_requests_served_in_earlier_feeds():
    p = RequestParser()
    p.feed(encode_request([b"SET", b"a", b"1"]))
    assert p.get() == [b"SET", b"a", b"1"]
    assert p.get() is None
    p.feed(encode_request([b"GET", b"a"]) + b"*1\r\n$x\r\n")
    assert p.get() == [b"GET", b"a"]  # not the SET again
    with pytest.raises(ProtocolError, match="invalid bulk length"):
        p.get()


class _Rejected(Exception):
    pass


def serve_like_the_node(p: RequestParser, *chunks: bytes) -> list:
    """Drive the parser the way node/client.py's hot loop does: reader.gets(), more() when
    it runs dry, and settle().

    Anything gets() raises, or returns that is not an array of bulk strings, is a rejection
    that `recover` hands to the Python parser.
    """
    out: list = []
    try:
        for chunk in chunks:
            p.feed(chunk)
            served, last = 0, None
            while True:
                if not p.multibulk:
                    req = p.get()
                    if req is None:
                        break
                    out.append(req)
                    continue
                try:
                    try:
                        argv = p.reader.gets()
                    except TypeError:  # a RESP3 map with an unhashable key
                        raise _Rejected from None
                    if argv is False:
                        if p.more():
                            continue
                        p.settle(served, last)
                        break
                    if argv.__class__ is not list or not all(a.__class__ is bytes for a in argv):
                        raise _Rejected
                    if argv:
                        served += 1
                        last = argv
                        out.append(argv)
                except (hiredis.ProtocolError, _Rejected):
                    p.recover(served)
    except ProtocolError as e:
        out.append(("error", str(e)))
    return out


def test_boundary_is_not_guessed_from_bytes_that_look_like_a_request():
    # The partial request's elements end with the bytes of the PING before it; the parser
    # must still know it is mid-request when the bad element arrives.
    big = [b"SET", b"k", b"x" * 70000]
    first = encode_request(big) + encode_request([b"PING"]) + b"*3\r\n$2\r\n*1\r\n$4\r\nPING\r\n"
    assert serve_like_the_node(RequestParser(), first, b":1\r\n") == [
        big, [b"PING"], ("error", "expected '$', got ':'")]


def test_served_requests_are_not_replayed_after_a_rejection():
    big = [b"SET", b"k", b"x" * 70000]
    chunks = [encode_request(big), encode_request([b"INCR", b"n"]) * 3, b"*1\r\n:1\r\n"]
    assert serve_like_the_node(RequestParser(), *chunks) == [
        big] + [[b"INCR", b"n"]] * 3 + [("error", "expected '$', got ':'")]


def test_bulk_over_proto_max_bulk_len():
    # The Python parser refuses the header itself (as Redis does); parse from an inline start.
    p = RequestParser(max_bulk_len=10)
    p.feed(b"PING\r\n*2\r\n$4\r\nECHO\r\n$11\r\n")
    assert p.get() == [b"PING"]
    with pytest.raises(ProtocolError, match="invalid bulk length"):
        p.get()
    assert parse_all(b"PING\r\n*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n", max_bulk=10)[-1] == [
        b"ECHO", b"0123456789"]


def test_trailing_crlf_of_a_bulk_is_not_checked():
    # Redis skips the two bytes after a bulk's data without looking at them.
    assert parse_all(b"PING\r\n*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n") == [[b"PING"]] * 3


def test_a_nul_byte_hides_the_line_end():
    # Redis finds line ends with strchr, which stops at a NUL: the request never completes.
    assert parse_all(b"*1\x00\r\n$4\r\nPING\r\n") == []
    assert parse_all(b"ECHO a\x00b\r\n") == []
    assert parse_all(b"PING\r\n*1\r\n$4\x00\r\nPING\r\n") == [[b"PING"]]


def test_too_big_count_strings():
    # The Python parser (here after an inline command) refuses an endless count line at
    # 64 KiB as Redis does.
    assert parse_all(b"PING\r\n*" + b"1" * (codec.INLINE_MAX + 1)) == [
        [b"PING"], ("error", "too big mbulk count string")]
    assert parse_all(b"PING\r\n*1\r\n$" + b"1" * (codec.INLINE_MAX + 1)) == [
        [b"PING"], ("error", "too big bulk count string")]


def test_endless_count_line_on_the_hiredis_path_waits():
    # slotkv's documented difference: hiredis has no line-length limit, so on a multibulk
    # connection an endless count line is buffered until the connection's query buffer
    # check (proto-max-bulk-len + 64 KiB) refuses it, not at 64 KiB (see test_protocol.py).
    p = RequestParser()
    p.feed(b"*" + b"1" * (codec.INLINE_MAX + 1))
    assert p.get() is None
    assert p.pending() > codec.INLINE_MAX


def test_huge_declared_array_costs_nothing():
    # hiredis would allocate a list of the declared size up front (16 GB here) and take
    # seconds to free it; the parser hands such a request to the Python parser instead.
    start = time.monotonic()
    for header in (b"*2000000000\r\n", b"*1\r\n$4\r\nPING\r\n*2147483647\r\n$1\r\na\r\n"):
        p = RequestParser()
        p.feed(header)
        while p.get() is not None:
            pass
        assert p.pending() < 100
        del p
    assert time.monotonic() - start < 1.0


def test_nested_huge_arrays_are_refused_cheaply():
    start = time.monotonic()
    for data in (b"*1\r\n*2000000000\r\n", b"*1\r\n~2000000000\r\n", b"*1\r\n>2000000000\r\n",
                 b"*1\r\n|2000000000\r\n"):
        out = parse_all(data)
        assert out and out[-1][0] == "error", (data, out)
    assert time.monotonic() - start < 1.0


def test_long_request_goes_to_python_parser_and_back(monkeypatch):
    monkeypatch.setattr(codec, "HIREDIS_MAX_ELEMENTS", 10)
    big = [b"MSET"] + [b"k%d" % i for i in range(20)]
    p = RequestParser()
    p.feed(encode_request([b"PING"]) + encode_request(big))
    assert p.get() == [b"PING"]
    assert p.get() == big
    assert p.get() is None
    p.feed(encode_request([b"GET", b"k1"]))
    if codec._LAYOUT_OK:
        assert p.multibulk  # back on hiredis at the clean boundary
    assert p.get() == [b"GET", b"k1"]


def test_python_parser_is_incremental():
    # A request arriving in many small pieces is read once, not re-read per piece (which
    # would be quadratic: minutes for this one).
    p = RequestParser()
    p.feed(b"PING\r\n")  # an inline start: the Python parser reads everything
    assert p.get() == [b"PING"]
    args = [b"RPUSH", b"list"] + [b"%d" % i for i in range(60000)]
    data = encode_request(args)
    start = time.monotonic()
    for i in range(0, len(data), 512):
        p.feed(data[i : i + 512])
        got = p.get()
    assert got == args
    assert time.monotonic() - start < 5.0
    assert p.pending() == 0


def test_pending_counts_a_partial_request():
    p = RequestParser()
    p.feed(b"PING\r\n*2\r\n$4\r\nECHO\r\n$100\r\n" + b"x" * 50)
    assert p.get() == [b"PING"]
    assert p.get() is None
    assert 50 <= p.pending() <= 100


# -- inline -----------------------------------------------------------------------------------


def test_inline_commands():
    assert parse_all(b"PING\r\nSET a b\nGET a\r\n") == [[b"PING"], [b"SET", b"a", b"b"], [b"GET", b"a"]]


def test_inline_empty_lines_are_skipped():
    assert parse_all(b"\r\n\n   \r\nPING\r\n") == [[b"PING"]]


def test_inline_then_multibulk_then_inline():
    data = b"PING\r\n" + encode_request([b"ECHO", b"x y"]) + b"ECHO z\r\n"
    assert parse_all(data) == [[b"PING"], [b"ECHO", b"x y"], [b"ECHO", b"z"]]
    assert parse_all(*bytewise(data)) == [[b"PING"], [b"ECHO", b"x y"], [b"ECHO", b"z"]]


def test_multibulk_then_empty_inline_line():
    # redis-cli --pipe ends with an empty line before its ECHO.
    data = encode_request([b"SET", b"a", b"1"]) + b"\r\n" + encode_request([b"ECHO", b"done"])
    assert parse_all(data) == [[b"SET", b"a", b"1"], [b"ECHO", b"done"]]


def test_inline_unbalanced_quotes():
    assert parse_all(b"PING\r\nECHO \"abc\r\nPING\r\n") == [
        [b"PING"], ("error", "unbalanced quotes in request")]


def test_too_big_inline_request():
    assert parse_all(b"x" * (codec.INLINE_MAX + 1)) == [("error", "too big inline request")]
    assert parse_all(b"x" * codec.INLINE_MAX) == []  # still waiting for its end


@pytest.mark.parametrize("line, args", [
    (b'SET "a b" \'c d\'', [b"SET", b"a b", b"c d"]),
    (b'ECHO "\\x41\\x4a\\n"', [b"ECHO", b"AJ\n"]),
    (b'ECHO "\\x4g"', [b"ECHO", b"x4g"]),
    (b'ECHO "a\\tb\\rc\\bd\\ae\\"f\\\\"', [b"ECHO", b'a\tb\rc\x08d\x07e"f\\']),
    (b"ECHO 'a\\'b'", [b"ECHO", b"a'b"]),
    (b"ECHO 'a\\nb'", [b"ECHO", b"a\\nb"]),
    (b'  \t ECHO   x  ', [b"ECHO", b"x"]),
    (b'ECHO ""', [b"ECHO", b""]),
    (b'ECHO a"b"', [b"ECHO", b'ab']),
    (b'', []),
])
def test_split_args(line, args):
    assert split_args(line) == args


@pytest.mark.parametrize("line", [b'ECHO "abc', b"ECHO 'abc", b'ECHO "a"b', b"ECHO 'a'b", b'ECHO "\\'])
def test_split_args_unbalanced(line):
    assert split_args(line) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=20), min_size=1, max_size=8))
def test_split_args_hex_quoting_roundtrip(args):
    line = b" ".join(b'"' + b"".join(b"\\x%02x" % c for c in a) + b'"' for a in args)
    assert split_args(line) == args


# -- property: any split of a pipeline gives the same requests ---------------------------------

requests_st = st.lists(st.lists(st.binary(max_size=40), min_size=1, max_size=6), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(requests_st, st.data())
def test_any_split_of_a_pipeline(reqs, data):
    stream = b"".join(encode_request(r) for r in reqs)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    chunks = [stream[a:b] for a, b in zip([0] + cuts, cuts + [len(stream)])]
    assert parse_all(*chunks) == reqs


@settings(max_examples=100, deadline=None)
@given(requests_st, st.data())
def test_any_split_of_an_inline_started_pipeline(reqs, data):
    stream = b"PING\r\n" + b"".join(encode_request(r) for r in reqs)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    chunks = [stream[a:b] for a, b in zip([0] + cuts, cuts + [len(stream)])]
    assert parse_all(*chunks) == [[b"PING"]] + reqs


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_never_crashes_the_parser(data):
    # Any bytes give requests, a wait, or a ProtocolError; nothing else escapes.
    out = parse_all(data)
    for req in out:
        assert isinstance(req, list) or req[0] == "error"
    # and byte-by-byte feeding agrees with one-shot feeding on everything but hiredis's
    # acceptance of reply types inside requests
    if b"+" not in data and b"=" not in data and b"~" not in data and b"|" not in data:
        assert parse_all(*bytewise(data)) == out


# -- reply encoding ----------------------------------------------------------------------------


@pytest.mark.parametrize("value, resp2, resp3", [
    (b"abc", b"$3\r\nabc\r\n", b"$3\r\nabc\r\n"),
    (bytearray(b"ab"), b"$2\r\nab\r\n", b"$2\r\nab\r\n"),
    (memoryview(b"ab"), b"$2\r\nab\r\n", b"$2\r\nab\r\n"),
    ("é", b"$2\r\n\xc3\xa9\r\n", b"$2\r\n\xc3\xa9\r\n"),
    (b"", b"$0\r\n\r\n", b"$0\r\n\r\n"),
    (0, b":0\r\n", b":0\r\n"),
    (-9223372036854775808, b":-9223372036854775808\r\n", b":-9223372036854775808\r\n"),
    (None, b"$-1\r\n", b"_\r\n"),
    (True, b":1\r\n", b"#t\r\n"),
    (False, b":0\r\n", b"#f\r\n"),
    (1.5, b"$3\r\n1.5\r\n", b",1.5\r\n"),
    (0.1, b"$19\r\n0.10000000000000001\r\n", b",0.10000000000000001\r\n"),
    (math.inf, b"$3\r\ninf\r\n", b",inf\r\n"),
    (-math.inf, b"$4\r\n-inf\r\n", b",-inf\r\n"),
    ([], b"*0\r\n", b"*0\r\n"),
    ([b"a", 1, None], b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n", b"*3\r\n$1\r\na\r\n:1\r\n_\r\n"),
    ((b"a",), b"*1\r\n$1\r\na\r\n", b"*1\r\n$1\r\na\r\n"),
    ({b"k": 1}, b"*2\r\n$1\r\nk\r\n:1\r\n", b"%1\r\n$1\r\nk\r\n:1\r\n"),
    ({b"a": [b"b", {b"c": None}]}, b"*2\r\n$1\r\na\r\n*2\r\n$1\r\nb\r\n*2\r\n$1\r\nc\r\n$-1\r\n",
     b"%1\r\n$1\r\na\r\n*2\r\n$1\r\nb\r\n%1\r\n$1\r\nc\r\n_\r\n"),
    ({b"x"}, b"*1\r\n$1\r\nx\r\n", b"~1\r\n$1\r\nx\r\n"),
    (frozenset(), b"*0\r\n", b"~0\r\n"),
    (SetReply([b"x", b"y"]), b"*2\r\n$1\r\nx\r\n$1\r\ny\r\n", b"~2\r\n$1\r\nx\r\n$1\r\ny\r\n"),
    (OK, b"+OK\r\n", b"+OK\r\n"),
    (Status(b"PONG"), b"+PONG\r\n", b"+PONG\r\n"),
    (Verbatim(b"hello"), b"$5\r\nhello\r\n", b"=9\r\ntxt:hello\r\n"),
    (Push([b"message", b"ch", b"hi"]), b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
     b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"),
    (NULL_ARRAY, b"*-1\r\n", b"_\r\n"),
    (CommandError("ERR bad"), b"-ERR bad\r\n", b"-ERR bad\r\n"),
    (CommandError("ERR a\r\nb\nc"), b"-ERR a  b c\r\n", b"-ERR a  b c\r\n"),
    ([CommandError("ERR x"), OK], b"*2\r\n-ERR x\r\n+OK\r\n", b"*2\r\n-ERR x\r\n+OK\r\n"),
])
def test_encoding(value, resp2, resp3):
    assert encode_resp2(value) == resp2
    assert encode_resp3(value) == resp3
    assert codec.encoder_for(2) is encode_resp2 and codec.encoder_for(3) is encode_resp3


def test_nan_is_encoded_as_redis_does():
    assert encode_resp3(math.nan) == b",nan\r\n"
    assert encode_resp2(math.nan) == b"$3\r\nnan\r\n"


def test_subclasses_encode_as_their_base():
    class Name(bytes):
        pass

    class Count(int):
        pass

    assert encode_resp2(Name(b"x")) == b"$1\r\nx\r\n"
    assert encode_resp3([Count(7)]) == b"*1\r\n:7\r\n"


def test_unknown_reply_type_is_refused():
    with pytest.raises(TypeError):
        encode_resp2(object())


def test_prebuilt_reply_tables():
    assert codec.BULK_HEADERS[0] == b"$0\r\n" and codec.BULK_HEADERS[8191] == b"$8191\r\n"
    assert codec.INT_REPLIES[0 - codec.INT_REPLY_MIN] == b":0\r\n"
    assert codec.INT_REPLIES[-1] == b":%d\r\n" % codec.INT_REPLY_MAX
    assert codec.INT_REPLIES[0] == b":%d\r\n" % codec.INT_REPLY_MIN


reply_st = st.recursive(
    st.none() | st.binary(max_size=30) | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.binary(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _as_resp2(value):
    """What a RESP2 client reads back for a reply value."""
    if isinstance(value, float):
        return b"%.17g" % value
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in (k, _as_resp2(v))]
    if isinstance(value, list):
        return [_as_resp2(v) for v in value]
    return value


@settings(max_examples=200, deadline=None)
@given(reply_st)
def test_replies_roundtrip_through_a_client_parser(value):
    reader = hiredis.Reader()
    reader.feed(encode_resp2(value))
    assert reader.gets() == _as_resp2(value)
    assert reader.gets() is False
    reader = hiredis.Reader()
    reader.feed(encode_resp3(value))
    got = reader.gets()
    assert reader.gets() is False
    if not isinstance(value, float):
        assert got == value


def test_error_keeps_the_clients_raw_bytes():
    # A message that carries client bytes decoded with surrogateescape gets them back as
    # they were, as Redis echoes them; other unencodable text is replaced, never raised.
    raw = b"\xff\xfe"
    err = CommandError("ERR unknown command '%s'" % raw.decode("utf-8", "surrogateescape"))
    assert encode_resp2(err) == b"-ERR unknown command '\xff\xfe'\r\n"
    assert encode_resp3(CommandError("ERR \ud800")) == b"-ERR ?\r\n"


@pytest.mark.parametrize("data", [
    b"*1\r\n$4\r\nPING\r\n*2\r\n%1\r\n*0\r\n$1\r\na\r\n",
    b"*1\r\n$4\r\nPING\r\n*1\r\n%1\r\n>0\r\n:1\r\n",
])
def test_map_with_an_unhashable_key(data):
    # hiredis builds a dict for a RESP3 map and raises TypeError for a list key; that is a
    # malformed request like any other, answered with Redis's error.
    assert parse_all(data) == [[b"PING"], ("error", "expected '$', got '%'")]
    assert serve_like_the_node(RequestParser(), data) == [
        [b"PING"], ("error", "expected '$', got '%'")]


# -- unauthenticated clients -------------------------------------------------------------------


def test_unauthenticated_limits():
    # Redis refuses, before authentication, a multibulk count above 10 and a bulk above 16 KiB.
    for data, error in ((b"*11\r\n", "unauthenticated multibulk length"),
                        (b"*2\r\n$4\r\nAUTH\r\n$16385\r\n", "unauthenticated bulk length")):
        p = RequestParser()
        p.auth_required = True
        p.feed(data)
        with pytest.raises(ProtocolError, match=error):
            p.get()
    p = RequestParser()
    p.auth_required = True
    p.feed(encode_request([b"AUTH", b"x" * 16384]) + encode_request([b"PING"] * 10))
    assert p.get() == [b"AUTH", b"x" * 16384]
    assert p.get() == [b"PING"] * 10


def test_authenticating_hands_the_connection_to_hiredis():
    p = RequestParser()
    p.auth_required = True
    p.feed(encode_request([b"AUTH", b"pw"]))
    assert p.get() == [b"AUTH", b"pw"] and not p.multibulk
    p.auth_required = False
    big = [b"MSET"] + [b"k"] * 20
    p.feed(encode_request(big))
    if codec._LAYOUT_OK:
        assert p.multibulk
    assert p.get() == big
    # authentication required again (RESET): back to the limits at the next boundary
    p.auth_required = True
    p.feed(encode_request(big))
    if codec._LAYOUT_OK:
        with pytest.raises(ProtocolError, match="unauthenticated multibulk length"):
            p.get()


def test_kept_chunks_are_bounded_on_an_endless_stream():
    # Reads that never stop at a request boundary must not keep the whole stream around.
    from node.codec import RETAIN_MAX

    parser = RequestParser()
    request = encode_request([b"SET", b"k", b"v" * 1000])
    size = 64 * len(request) + 10  # every read ends inside a request
    pattern = request * 66
    served = 0
    offset = 0
    for _ in range((2 * RETAIN_MAX) // size):
        parser.feed(pattern[offset : offset + size])
        offset = (offset + size) % len(request)
        while True:
            got = parser.reader.gets()
            if got is False:
                break
            served += 1
        parser.settle(served, None)
        served = 0
        assert parser.held <= RETAIN_MAX + size
    # With the kept bytes given up, a rejected stream is a protocol error, never a re-read.
    parser.feed(request[offset:] + b"\r\n*1\r\n$4\r\nPING\r\n")
    with pytest.raises(ProtocolError):
        while parser.get() is not None:
            pass


def test_a_large_chunk_reaches_hiredis_in_slices():
    # hiredis compacts its buffer after every KiB it consumes: a chunk past FEED_SLICE is
    # handed over a slice at a time, and every request in it still comes out, in order.
    from node.codec import FEED_SLICE

    reqs = [[b"SET", b"key:%d" % i, b"v" * (i % 50)] for i in range(5000)]
    stream = b"".join(encode_request(r) for r in reqs)
    assert len(stream) > 8 * FEED_SLICE
    p = RequestParser()
    p.feed(stream[:-5])
    assert p.unfed is not None and not p.at_boundary()
    assert p.pending() > len(stream) - FEED_SLICE - 1024  # what hiredis has not seen counts
    out = serve_like_the_node(p, stream[-5:])
    assert out == reqs
    assert p.unfed is None and p.at_boundary() and p.pending() == 0
