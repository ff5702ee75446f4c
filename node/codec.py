"""RESP codec, sans-IO: bytes in -> argument lists out; reply values in -> bytes out.

Requests are parsed by `hiredis.Reader` (multibulk, what every client library sends) or by a
Python port of Redis's parser (inline commands as telnet sends them, and any stream hiredis
rejects). Replies are encoded for RESP2 or RESP3; the encoder is the only place that knows the
difference. Nothing here touches a socket.
"""

from __future__ import annotations

import ctypes
import re
import platform
from typing import Any, Callable

import hiredis

from node.errors import CommandError, ProtocolError
from node.replies import (
    NULL_ARRAY, BigNumber, DoubleText, Push, SetReply, Status, Verbatim, format_double,
)

# Redis refuses inline lines longer than this (PROTO_INLINE_MAX_SIZE).
INLINE_MAX = 64 * 1024
# How much of a multibulk stream is kept for re-reading before it is given up (see
# drop_retained), and how much is kept before looking for a boundary to drop it at.
RETAIN_MAX = 32 * 1024 * 1024
SETTLE_AT = 64 * 1024
# hiredis moves what is left of its buffer to the front each time it has consumed 1 KiB, so
# a chunk fed whole costs time quadratic in its size (a replication message, a --pipe read):
# it is given at most this much at a time (RequestParser.more).
FEED_SLICE = 16 * 1024
# The largest array hiredis may start building; longer requests go to `_PyParser`.
HIREDIS_MAX_ELEMENTS = 1024 * 1024


class _ReaderStruct(ctypes.Structure):
    """The head of hiredis's `redisReader` (read.h, unchanged since hiredis 1.0)."""

    _fields_ = [
        ("err", ctypes.c_int),
        ("errstr", ctypes.c_char * 128),
        ("buf", ctypes.c_void_p),
        ("pos", ctypes.c_size_t),
        ("len", ctypes.c_size_t),
        ("maxbuf", ctypes.c_size_t),
        ("maxelements", ctypes.c_longlong),
        ("task", ctypes.c_void_p),  # redisReadTask **, each task starting with `int type`
        ("tasks", ctypes.c_int),
        ("ridx", ctypes.c_int),  # the task being read; -1 between replies
    ]


def _reader_struct(reader: hiredis.Reader) -> _ReaderStruct:
    # hiredis-py's Reader object is PyObject_HEAD followed by its `redisReader *`.
    ptr = ctypes.c_void_p.from_address(id(reader) + object.__basicsize__).value
    if not ptr:
        raise ValueError("no redisReader")
    return _ReaderStruct.from_address(ptr)


def _at_boundary(st: _ReaderStruct) -> bool:
    """Whether hiredis consumed everything and holds no part of a request."""
    if st.pos != st.len:
        return False
    ridx = st.ridx
    if ridx < 0:
        return True
    # A gets() with nothing left to read starts a reply (ridx 0) but reads no type byte.
    task0 = ctypes.c_void_p.from_address(st.task).value
    return ridx == 0 and ctypes.c_int.from_address(task0).value < 0


def _layout_ok() -> bool:
    """Whether `_ReaderStruct` matches this hiredis, checked on throwaway readers."""
    if platform.python_implementation() != "CPython":
        return False
    try:
        if int(hiredis.__version__.split(".")[0]) not in (2, 3):
            return False
        reader = hiredis.Reader()
        reader.setmaxbuf(0x5EED)
        st = _reader_struct(reader)
        if (st.maxbuf != 0x5EED or st.maxelements != (1 << 32) - 1 or st.len != reader.len()
                or st.ridx != -1 or st.tasks < 1):
            return False
        # the boundary test, on the states a connection goes through
        reader.feed(b"*2\r\n$1\r\na\r\n")
        if reader.gets() is not False or _at_boundary(st) or st.ridx != 1:
            return False
        reader.feed(b"$1\r\nb\r\n")
        if reader.gets() != [b"a", b"b"] or not _at_boundary(st):
            return False
        if reader.gets() is not False or not _at_boundary(st):
            return False
        reader.feed(b"*")
        if reader.gets() is not False or _at_boundary(st):
            return False
        # the element limit
        st.maxelements = 2
        reader.feed(b"2\r\n$1\r\na\r\n$1\r\nb\r\n*3\r\n")
        if reader.gets() != [b"a", b"b"]:
            return False
        try:
            reader.gets()
        except hiredis.ProtocolError:
            return True
        return False
    except Exception:
        return False


_LAYOUT_OK = _layout_ok()


def _new_reader() -> tuple[hiredis.Reader, _ReaderStruct | None]:
    """A hiredis reader that refuses to start arrays longer than HIREDIS_MAX_ELEMENTS.

    hiredis allocates a Python list of the declared size as soon as it reads an array header,
    so `*2000000000\r\n` alone costs 16 GB of address space and seconds of the event loop when
    the list is freed. Redis itself never preallocates more than 1024 slots. hiredis-py has no
    setter for its reader's `maxelements`, so it is set in the C struct (the layout is verified
    once at import; without that the limit is simply not applied). A longer request makes
    hiredis raise, and `_PyParser`, which allocates nothing ahead of the data, takes it over.
    The struct also tells exactly whether hiredis stopped at a request boundary.
    """
    reader = hiredis.Reader()
    if not _LAYOUT_OK:
        return reader, None
    st = _reader_struct(reader)
    st.maxelements = HIREDIS_MAX_ELEMENTS
    return reader, st


class RequestParser:
    """Feed bytes, take complete requests (lists of bytes) out one at a time.

    `get()` returns a request, `None` when more bytes are needed, and raises `ProtocolError`
    (with Redis's wording) for input Redis would reject; the connection then closes.

    Two parsers sit behind this interface:

    - hiredis, for connections whose first byte is `*` (every client library, redis-cli,
      redis-benchmark). The server's hot loop calls `reader.gets()` itself and checks each
      request with `validate`, reporting per batch with `settle()`.
    - `_PyParser`, a plain-Python port of Redis's own request parser, for everything else:
      inline commands (telnet, `nc`, redis-benchmark's inline PING) mixed freely with
      multibulk requests, and a multibulk stream that hiredis rejects. hiredis consumes whole
      elements ahead of a complete request and cannot say where it stopped, so the chunks fed
      since the last request boundary are kept (references only) and, on a rejection, re-read
      by `_PyParser`, skipping the requests already served. That is how the empty inline line
      redis-cli --pipe sends before its final ECHO is accepted, and how garbage gets Redis's
      exact error text. A multibulk request that starts at a clean boundary of `_PyParser`
      hands the connection back to hiredis.

    Known differences from Redis that come from hiredis (it is a reply parser): inside a
    request it also accepts `+simple` strings and verbatim strings as arguments, and a `~`
    (set) or `|` (attribute) array as a request after a multibulk one; Redis refuses the
    first two with a protocol error and reads the last as an inline command. No client
    library sends any of them.
    """

    __slots__ = ("reader", "multibulk", "_retained", "held", "_boundary", "_lost", "_py", "_max_bulk",
                 "_st", "_auth", "requests", "unfed", "_unfed_at")

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024) -> None:
        self.reader, self._st = _new_reader()
        self.multibulk: bool | None = None  # decided by the connection's first byte
        self._retained: list[bytes] = []  # chunks fed since the last request boundary
        self.held = 0  # their total size
        self.requests = 0  # requests hiredis returned, ever (node/propagate.py's batches)
        self._boundary = 0  # `requests` at that boundary
        self._lost = False  # the chunks passed RETAIN_MAX and were dropped (see settle)
        self._py: _PyParser | None = None
        self._max_bulk = max_bulk_len
        self._auth = False
        # Received bytes not yet given to hiredis, from `_unfed_at` on (see FEED_SLICE).
        self.unfed: bytes | None = None
        self._unfed_at = 0

    @property
    def auth_required(self) -> bool:
        """Whether the client still has to authenticate (its connection sets this).

        Redis limits what an unauthenticated client may declare (a multibulk count of 10, a
        bulk of 16 KiB) so that it cannot make the server buffer much; only `_PyParser` sees
        those headers, so such a connection is read by it, and hands over to hiredis at the
        first clean request boundary after authenticating.
        """
        return self._auth

    @auth_required.setter
    def auth_required(self, value: bool) -> None:
        self._auth = value
        if self._py is not None:
            self._py.auth_required = value

    def _to_python(self) -> None:
        """Leave hiredis at a request boundary: nothing is held, nothing is replayed."""
        self._py = _PyParser(self._max_bulk, self._auth)
        self.multibulk = False
        self._retained = []
        self.held = 0
        self._boundary = self.requests
        self.unfed = None
        self.reader, self._st = _new_reader()

    def _feed_reader(self, data: bytes) -> None:
        self._retained.append(data)
        self.held += len(data)
        if self.unfed is not None:
            self.unfed = self.unfed[self._unfed_at:] + data
            self._unfed_at = 0
        elif len(data) > FEED_SLICE:
            self.unfed = data
            self._unfed_at = 0
            self.more()
        else:
            self.reader.feed(data)

    def more(self) -> bool:
        """Give hiredis the next slice of the received bytes; False if it has them all.

        Readers of `reader.gets()` call this when it returns False.
        """
        data = self.unfed
        if data is None:
            return False
        start = self._unfed_at
        end = start + FEED_SLICE
        if end < len(data):
            self.reader.feed(data, start, FEED_SLICE)
            self._unfed_at = end
        else:
            self.reader.feed(data, start)
            self.unfed = None
        return True

    def feed(self, data: bytes) -> None:
        if self.multibulk and not self._auth and self.unfed is None and len(data) <= FEED_SLICE:
            # The common case, ahead of the others (what _feed_reader does for it).
            self._retained.append(data)
            self.held += len(data)
            self.reader.feed(data)
            return
        if self.multibulk is None and data:
            self.multibulk = data[:1] == b"*" and not self._auth
            if not self.multibulk:
                self._py = _PyParser(self._max_bulk, self._auth)
        elif self.multibulk and self._auth and self.at_boundary():
            self._to_python()  # authentication is required again (RESET, a failed AUTH)
        if self.multibulk:
            self._feed_reader(data)
        elif self._py is not None:
            if data[:1] == b"*" and not self._auth and self._py.idle():
                # A multibulk request at a clean boundary: back to hiredis (after an inline
                # command, a recovered rejection or a request too long for hiredis).
                self._py = None
                self.multibulk = True
                self._feed_reader(data)
            else:
                self._py.feed(data)

    def settle(self, served: int, last: list[bytes] | None) -> None:
        """The hot loop drained hiredis after `served` requests, `last` being the final one.

        `Client.process` inlines this: it counts, and calls `drop_retained` only once
        `held` reaches SETTLE_AT.
        """
        self.requests += served
        if self.held >= SETTLE_AT:
            self.drop_retained(last)

    def drop_retained(self, last: list[bytes] | None) -> None:
        """Drop the kept chunks if the stream is at a request boundary after `last`.

        hiredis reports no pending bytes both there and after consuming a type byte or whole
        elements of the next request, so the boundary is read from the reader's C struct;
        where its layout is unknown, it is guessed from the stream ending with `last`'s
        encoding (which a request whose elements end with those bytes can fool). Either is
        done once SETTLE_AT bytes of chunks are held, not per batch.
        """
        if last is None or self.reader.has_data() or self.unfed is not None:
            # A client streaming without pause may seldom stop at a boundary: bound what is
            # kept. A rejection after that is a plain protocol error; re-reading from an
            # unknown position could take a value's bytes for commands.
            if self.held > RETAIN_MAX:
                self._retained = []
                self.held = 0
                self._lost = True
            return
        retained = self._retained
        if self._st is not None:
            boundary = _at_boundary(self._st)
        else:
            enc = encode_request(last)
            tail = retained[-1]
            if len(tail) < len(enc):
                tail = b"".join(retained)
            boundary = tail.endswith(enc)
        if boundary:
            retained.clear()
            self.held = 0
            self._boundary = self.requests
            self._lost = False

    def recover(self, served: int) -> None:
        """hiredis rejected the stream after `served` requests of this batch: re-read it."""
        if self._lost:
            raise ProtocolError("unexpected input in a long multibulk stream")
        py = self._py = _PyParser(self._max_bulk, self._auth)
        py.feed(b"".join(self._retained))
        skip = self.requests - self._boundary + served
        self._retained = []
        self.held = 0
        self._boundary = self.requests
        self.unfed = None
        self.multibulk = False
        self.reader, self._st = _new_reader()
        for _ in range(skip):
            if py.get() is None:
                break

    def at_boundary(self) -> bool:
        """hiredis holds no part of a request (known exactly only where the layout is)."""
        st = self._st
        return (self.multibulk is True and st is not None and self.unfed is None
                and _at_boundary(st))

    def pending(self) -> int:
        """An upper bound on the bytes of the request still being received."""
        if self._py is not None:
            return self._py.pending()
        # hiredis keeps up to 1 KiB of already-consumed bytes before compacting.
        unfed = 0 if self.unfed is None else len(self.unfed) - self._unfed_at
        return (self.reader.len() if self.reader.has_data() else 0) + unfed

    def get(self) -> list[bytes] | None:
        """The next request (the hot loop's logic, for callers outside it)."""
        while self.multibulk:
            try:
                req = self.reader.gets()
            except (hiredis.ProtocolError, TypeError):
                # TypeError: a RESP3 map with an aggregate as a key (hiredis builds a dict)
                self.recover(0)
                break
            if req is False:
                if self.more():
                    continue
                self.settle(0, None)
                return None
            try:
                if validate(req):
                    if not self.reader.has_data() and self.unfed is None:
                        self.settle(1, req)
                    else:
                        self.requests += 1
                    return req
                # an empty request (`*0`): skipped, as Redis does (and as `_PyParser` does)
            except ProtocolError:
                self.recover(0)
                break
        if self._py is None:
            return None
        return self._py.get()


class _PyParser:
    """Redis's request parser (networking.c processInlineBuffer/processMultibulkBuffer).

    Incremental, like Redis's: the count of a multibulk request and the arguments read so far
    survive between feeds, so a request that arrives in many pieces is read once, not re-read
    from its start on every piece. Lines are found as Redis finds them, with `strchr`: a
    multibulk line ends at `\r` (the byte after it is skipped unchecked), an inline one at
    `\n`, and a NUL byte before the line end hides it.
    """

    __slots__ = ("buf", "max_bulk", "auth_required", "_left", "_args", "_held", "_bulk")

    def __init__(self, max_bulk_len: int, auth_required: bool = False) -> None:
        self.buf = bytearray()
        self.max_bulk = max_bulk_len
        self.auth_required = auth_required
        self._left = 0  # arguments still to come of the multibulk request being read
        self._args: list[bytes] = []  # its arguments so far
        self._held = 0  # their total size
        self._bulk = -1  # the declared size of the argument being read; -1: header pending

    def feed(self, data: bytes) -> None:
        self.buf += data

    def idle(self) -> bool:
        """At a request boundary with nothing buffered."""
        return not self.buf and not self._left

    def pending(self) -> int:
        return len(self.buf) + self._held

    def get(self) -> list[bytes] | None:
        buf = self.buf
        while True:
            if self._left:
                return self._arguments()
            if not buf:
                return None
            if buf[0] == 0x2A:  # '*'
                started = self._count()
                if started is None:
                    return None
                # else: a request whose arguments follow, or `*0`/`*-1`, skipped as Redis does
            else:
                req = self._inline()
                if req is None:
                    return None
                if req:
                    return req
                # an empty line is skipped

    def _count(self) -> bool | None:
        buf = self.buf
        end = _line_end(buf, 0x0D)
        if end < 0:
            if len(buf) > INLINE_MAX:
                raise ProtocolError("too big mbulk count string")
            return None
        if end > len(buf) - 2:
            return None  # the byte after `\r` is still to come
        count = _string2ll(bytes(buf[1:end]))
        if count is None or count > INT_MAX:
            raise ProtocolError("invalid multibulk length")
        if count > 10 and self.auth_required:
            raise ProtocolError("unauthenticated multibulk length")
        del buf[: end + 2]
        if count <= 0:
            return False
        self._left = count
        return True

    def _arguments(self) -> list[bytes] | None:
        buf = self.buf
        args = self._args
        while self._left:
            size = self._bulk
            if size < 0:
                end = _line_end(buf, 0x0D)
                if end < 0:
                    if len(buf) > INLINE_MAX:
                        raise ProtocolError("too big bulk count string")
                    return None
                if end > len(buf) - 2:
                    return None
                if buf[0] != 0x24:  # '$'
                    raise ProtocolError(f"expected '$', got '{chr(buf[0])}'")
                size = _string2ll(bytes(buf[1:end]))
                if size is None or size < 0 or size > self.max_bulk:
                    raise ProtocolError("invalid bulk length")
                if size > 16384 and self.auth_required:
                    raise ProtocolError("unauthenticated bulk length")
                del buf[: end + 2]
                self._bulk = size
            if len(buf) < size + 2:
                return None
            args.append(bytes(buf[:size]))
            del buf[: size + 2]  # the two bytes after the data are not checked, as in Redis
            self._held += size
            self._bulk = -1
            self._left -= 1
        self._args = []
        self._held = 0
        return args

    def _inline(self) -> list[bytes] | None:
        buf = self.buf
        nl = _line_end(buf, 0x0A)
        if nl < 0:
            if len(buf) > INLINE_MAX:
                raise ProtocolError("too big inline request")
            return None
        line = bytes(buf[: nl - 1 if nl and buf[nl - 1] == 0x0D else nl])
        del buf[: nl + 1]
        args = split_args(line)
        if args is None:
            raise ProtocolError("unbalanced quotes in request")
        return args


INT_MAX = 2**31 - 1  # Redis refuses a multibulk count above this
_LLONG_MIN, _LLONG_MAX = -(2**63), 2**63 - 1


def _line_end(buf: bytearray, terminator: int) -> int:
    """Where `strchr` finds `terminator` in `buf`, or -1 (a NUL byte ends the C string first)."""
    end = buf.find(terminator)
    if end > 0 and buf.find(0, 0, end) >= 0:
        return -1
    return end


def _string2ll(text: bytes) -> int | None:
    """Redis's string2ll: a plain decimal long long; no sign `+`, spaces or leading zeros."""
    if text == b"0":
        return 0
    digits = text[1:] if text[:1] == b"-" else text
    if not digits.isdigit() or digits[0] == 0x30:
        return None
    value = int(text)
    return value if _LLONG_MIN <= value <= _LLONG_MAX else None


def encode_request(argv: list[bytes]) -> bytes:
    """A request as a client library writes it (multibulk of bulk strings)."""
    return b"*%d\r\n" % len(argv) + b"".join([b"$%d\r\n%b\r\n" % (len(a), a) for a in argv])


def validate(req: object) -> bool:
    """Whether a parsed request is a non-empty array of bulk strings; raises if malformed."""
    if req.__class__ is not list:
        if req is None:
            return False  # `*-1`
        raise ProtocolError("expected '*', got something else")
    for arg in req:  # type: ignore[attr-defined]
        if arg.__class__ is not bytes:
            raise ProtocolError("expected '$'")
    return bool(req)


def split_args(line: bytes) -> list[bytes] | None:
    """Split an inline command line as Redis's sdssplitargs does; None on unbalanced quotes."""
    # Without quotes, \v, \f or NUL, sdssplitargs splits on spaces, tabs, CR and LF exactly
    # as bytes.split() does, in C.
    if not _SPLIT_SPECIAL.search(line):
        return line.split()
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\n\r\v\f\0":
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        in_dq = in_sq = False
        while True:
            c = line[i] if i < n else None
            if in_dq:
                if c is None:
                    return None
                if c == 0x5C and i + 3 < n and line[i + 1] == 0x78 and _is_hex(line[i + 2]) and _is_hex(line[i + 3]):
                    cur.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    cur.append(_ESCAPES.get(line[i], line[i]))
                elif c == 0x22:
                    # A closing quote must be followed by a space or the end of the line.
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f\0":
                        return None
                    in_dq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            elif in_sq:
                if c is None:
                    return None
                if c == 0x5C and i + 1 < n and line[i + 1] == 0x27:
                    i += 1
                    cur.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f\0":
                        return None
                    in_sq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if c is None or c in b" \n\r\t\0":
                    break
                if c == 0x22:
                    in_dq = True
                elif c == 0x27:
                    in_sq = True
                else:
                    cur.append(c)
            i += 1
        args.append(bytes(cur))


_SPLIT_SPECIAL = re.compile(rb"[\"'\v\f\0]")
_ESCAPES = {0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09, 0x62: 0x08, 0x61: 0x07}


def _is_hex(c: int) -> bool:
    return c in b"0123456789abcdefABCDEF"


# ---------------------------------------------------------------------------------------------
# Reply encoding

Encoder = Callable[[Any], bytes]

# Pre-built reply prefixes for the hot path: `b"$%d\r\n" % n` costs more than a list index.
BULK_HEADERS = [b"$%d\r\n" % n for n in range(8192)]
INT_REPLY_MIN, INT_REPLY_MAX = -1, 10000
INT_REPLIES = [b":%d\r\n" % n for n in range(INT_REPLY_MIN, INT_REPLY_MAX + 1)]


def _bulk(v: bytes) -> bytes:
    return b"$%d\r\n%b\r\n" % (len(v), v)


def _int(v: int) -> bytes:
    return b":%d\r\n" % v


def _status(v: bytes) -> bytes:
    return b"+%b\r\n" % v


def _error(e: CommandError) -> bytes:
    # Redis replaces newlines so an error is always one protocol line.
    msg = str(e).replace("\r", " ").replace("\n", " ")
    try:
        # Redis echoes a client's bytes as they are: a message that carries them decoded
        # with "surrogateescape" gets them back unchanged.
        return b"-%b\r\n" % msg.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return b"-%b\r\n" % msg.encode("utf-8", "replace")


def _str(v: str) -> bytes:
    return _bulk(v.encode())


# A bulk string's header with the previous element's CRLF in front (enc_list's interleaving).
_CRLF_BULK_HEADERS = [b"\r\n$%d\r\n" % n for n in range(8192)]


def _make_encoder(resp3: bool) -> Encoder:
    def enc_list(v: list | tuple) -> bytes:
        n = len(v)
        for first in v:
            break
        if n and first.__class__ is bytes:
            # An array of only bulk strings (LRANGE, MGET of hits, HGETALL ...): headers and
            # elements interleaved and joined once, twice as fast as an encode per element.
            # Anything else (an int, None, a Status or another bytes subclass, a bulk past the
            # header table) takes the general path; so do arrays not led by a bulk string
            # (XRANGE's entries, nested replies) without this pass.
            try:
                headers = [_CRLF_BULK_HEADERS[len(x)] for x in v if x.__class__ is bytes]
            except IndexError:
                headers = None
            if headers is not None and len(headers) == n:
                parts: list = [None] * (2 * n)
                parts[0::2] = headers
                parts[1::2] = v
                parts[0] = BULK_HEADERS[len(first)]  # the first header has no CRLF before it
                return b"*%d\r\n%b\r\n" % (n, b"".join(parts))
        return b"*%d\r\n%b" % (n, b"".join([
            BULK_HEADERS[len(x)] + x + b"\r\n" if x.__class__ is bytes and len(x) < 8192
            else encode(x) for x in v]))

    if resp3:

        def enc_none(v: None) -> bytes:
            return b"_\r\n"

        def enc_bool(v: bool) -> bytes:
            return b"#t\r\n" if v else b"#f\r\n"

        def enc_float(v: float) -> bytes:
            return b",%b\r\n" % format_double(v)

        def enc_double_text(v: bytes) -> bytes:
            return b",%b\r\n" % v

        def enc_dict(v: dict) -> bytes:
            parts = [b"%%%d\r\n" % len(v)]
            for k, x in v.items():
                parts.append(encode(k))
                parts.append(encode(x))
            return b"".join(parts)

        def enc_set(v: set | frozenset) -> bytes:
            return b"~%d\r\n%b" % (len(v), b"".join([encode(x) for x in v]))

        def enc_verbatim(v: Verbatim) -> bytes:
            return b"=%d\r\n%b:%b\r\n" % (len(v) + 4, v.format, v)

        def enc_big_number(v: bytes) -> bytes:
            return b"(%b\r\n" % v

        def enc_push(v: list) -> bytes:
            return b">%d\r\n%b" % (len(v), b"".join([encode(x) for x in v]))

        def enc_null_array(v: object) -> bytes:
            return b"_\r\n"

    else:

        def enc_none(v: None) -> bytes:
            return b"$-1\r\n"

        def enc_bool(v: bool) -> bytes:
            return b":1\r\n" if v else b":0\r\n"

        def enc_float(v: float) -> bytes:
            return _bulk(format_double(v))

        enc_double_text = _bulk

        def enc_dict(v: dict) -> bytes:
            parts = [b"*%d\r\n" % (2 * len(v))]
            for k, x in v.items():
                parts.append(encode(k))
                parts.append(encode(x))
            return b"".join(parts)

        enc_set = enc_list  # type: ignore[assignment]
        enc_verbatim = _bulk
        enc_big_number = _bulk
        enc_push = enc_list  # type: ignore[assignment]

        def enc_null_array(v: object) -> bytes:
            return b"*-1\r\n"

    table: dict[type, Encoder] = {
        bytes: _bulk,
        bytearray: _bulk,
        memoryview: lambda v: _bulk(bytes(v)),
        int: _int,
        str: _str,
        type(None): enc_none,
        bool: enc_bool,
        float: enc_float,
        DoubleText: enc_double_text,
        list: enc_list,
        tuple: enc_list,
        dict: enc_dict,
        set: enc_set,
        frozenset: enc_set,
        SetReply: enc_set,
        Status: _status,
        Verbatim: enc_verbatim,
        BigNumber: enc_big_number,
        Push: enc_push,
        type(NULL_ARRAY): enc_null_array,
        CommandError: _error,
    }

    def encode(value: Any) -> bytes:
        fn = table.get(value.__class__)
        if fn is None:
            for base in value.__class__.__mro__[1:]:
                fn = table.get(base)
                if fn is not None:
                    table[value.__class__] = fn
                    break
            else:
                raise TypeError(f"cannot encode reply of type {type(value).__name__}")
        return fn(value)

    return encode


encode_resp2: Encoder = _make_encoder(resp3=False)
encode_resp3: Encoder = _make_encoder(resp3=True)


def encoder_for(protocol: int) -> Encoder:
    return encode_resp3 if protocol == 3 else encode_resp2
