"""RESP codec, sans-IO: bytes in -> argument lists out; reply values in -> bytes out.

Requests are parsed by `hiredis.Reader` (multibulk, what every client library sends) or by a
Python port of Redis's parser (inline commands as telnet sends them, and any stream hiredis
rejects). Replies are encoded for RESP2 or RESP3; the encoder is the only place that knows the
difference. Nothing here touches a socket.
"""

from __future__ import annotations

from typing import Any, Callable

import hiredis

from node.errors import CommandError, ProtocolError
from node.replies import NULL_ARRAY, Push, SetReply, Status, Verbatim, format_double

# Redis refuses inline lines longer than this (PROTO_INLINE_MAX_SIZE).
INLINE_MAX = 64 * 1024


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
      exact error text.
    """

    __slots__ = ("reader", "multibulk", "_retained", "_served", "_py", "_max_bulk")

    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024) -> None:
        self.reader = hiredis.Reader()
        self.multibulk: bool | None = None  # decided by the connection's first byte
        self._retained: list[bytes] = []  # chunks fed since the last request boundary
        self._served = 0  # requests hiredis returned since that boundary
        self._py: _PyParser | None = None
        self._max_bulk = max_bulk_len

    def feed(self, data: bytes) -> None:
        if self.multibulk:
            self._retained.append(data)
            self.reader.feed(data)
        elif self._py is not None:
            self._py.feed(data)
        elif data:
            self.multibulk = data[:1] == b"*"
            if self.multibulk:
                self._retained.append(data)
                self.reader.feed(data)
            else:
                self._py = _PyParser(self._max_bulk)
                self._py.feed(data)

    def settle(self, served: int, last: list[bytes] | None) -> None:
        """The hot loop drained hiredis after `served` requests, `last` being the final one.

        The kept chunks can be dropped only at a request boundary. hiredis reports no pending
        bytes both there and after consuming a type byte or whole elements of the next
        request, so the boundary is confirmed by the stream ending with `last`'s encoding.
        """
        self._served += served
        retained = self._retained
        if self.reader.has_data() or last is None:
            if len(retained) > 64:  # a slow, chunked upload: compact the references
                self._retained = [b"".join(retained)]
            return
        enc = encode_request(last)
        tail = retained[-1]
        if len(tail) < len(enc):
            tail = b"".join(retained)
        if tail.endswith(enc):
            retained.clear()
            self._served = 0

    def recover(self, served: int) -> None:
        """hiredis rejected the stream after `served` requests of this batch: re-read it."""
        py = self._py = _PyParser(self._max_bulk)
        py.feed(b"".join(self._retained))
        skip = self._served + served
        self._retained = []
        self._served = 0
        self.multibulk = False
        self.reader = hiredis.Reader()
        for _ in range(skip):
            if py.get() is None:
                break

    def pending(self) -> int:
        """An upper bound on the bytes of the request still being received."""
        if self._py is not None:
            return len(self._py.buf)
        # hiredis keeps up to 1 KiB of already-consumed bytes before compacting.
        return self.reader.len() if self.reader.has_data() else 0

    def get(self) -> list[bytes] | None:
        """The next request (the hot loop's logic, for callers outside it)."""
        while self.multibulk:
            try:
                req = self.reader.gets()
            except hiredis.ProtocolError:
                self.recover(0)
                break
            if req is False:
                self.settle(0, None)
                return None
            try:
                if validate(req):
                    if not self.reader.has_data():
                        self.settle(1, req)
                    else:
                        self._served += 1
                    return req
                # an empty request (`*0`): skipped, as Redis does (and as `_PyParser` does)
            except ProtocolError:
                self.recover(0)
                break
        if self._py is None:
            return None
        return self._py.get()


class _PyParser:
    """Redis's request parser (networking.c processInlineBuffer/processMultibulkBuffer)."""

    __slots__ = ("buf", "max_bulk")

    def __init__(self, max_bulk_len: int) -> None:
        self.buf = bytearray()
        self.max_bulk = max_bulk_len

    def feed(self, data: bytes) -> None:
        self.buf += data

    def get(self) -> list[bytes] | None:
        while self.buf:
            if self.buf[0] == 0x2A:  # '*'
                req = self._multibulk()
            else:
                req = self._inline()
            if req is None:
                return None
            if req:
                return req
        return None

    def _line(self, start: int, what: str) -> int | None:
        end = self.buf.find(b"\r\n", start)
        if end < 0 and len(self.buf) - start > INLINE_MAX:
            raise ProtocolError(f"too big {what} string")
        return None if end < 0 else end

    def _multibulk(self) -> list[bytes] | None:
        buf = self.buf
        end = self._line(0, "mbulk count")
        if end is None:
            return None
        count = _strict_int(bytes(buf[1:end]))
        if count is None or count > 1024 * 1024 * 1024:
            raise ProtocolError("invalid multibulk length")
        pos = end + 2
        if count <= 0:
            del buf[:pos]
            return []
        args = []
        for _ in range(count):
            if pos >= len(buf):
                return None
            if buf[pos] != 0x24:  # '$'
                raise ProtocolError(f"expected '$', got '{chr(buf[pos])}'")
            end = self._line(pos, "bulk count")
            if end is None:
                return None
            size = _strict_int(bytes(buf[pos + 1 : end]))
            if size is None or size < 0 or size > self.max_bulk:
                raise ProtocolError("invalid bulk length")
            start = end + 2
            if len(buf) < start + size + 2:
                return None
            args.append(bytes(buf[start : start + size]))
            pos = start + size + 2
        del buf[:pos]
        return args

    def _inline(self) -> list[bytes] | None:
        buf = self.buf
        nl = buf.find(b"\n")
        if nl < 0:
            if len(buf) > INLINE_MAX:
                raise ProtocolError("too big inline request")
            return None
        line = bytes(buf[:nl])
        del buf[: nl + 1]
        if line.endswith(b"\r"):
            line = line[:-1]
        args = split_args(line)
        if args is None:
            raise ProtocolError("unbalanced quotes in request")
        return args


def _strict_int(text: bytes) -> int | None:
    try:
        if not text or text.strip() != text or b"_" in text or text[:1] == b"+":
            return None
        return int(text)
    except ValueError:
        return None


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
    return b"-%b\r\n" % msg.encode("utf-8", "replace")


def _str(v: str) -> bytes:
    return _bulk(v.encode())


def _make_encoder(resp3: bool) -> Encoder:
    def enc_list(v: list | tuple) -> bytes:
        return b"*%d\r\n%b" % (len(v), b"".join([encode(x) for x in v]))

    if resp3:

        def enc_none(v: None) -> bytes:
            return b"_\r\n"

        def enc_bool(v: bool) -> bytes:
            return b"#t\r\n" if v else b"#f\r\n"

        def enc_float(v: float) -> bytes:
            return b",%b\r\n" % format_double(v)

        def enc_dict(v: dict) -> bytes:
            parts = [b"%%%d\r\n" % len(v)]
            for k, x in v.items():
                parts.append(encode(k))
                parts.append(encode(x))
            return b"".join(parts)

        def enc_set(v: set | frozenset) -> bytes:
            return b"~%d\r\n%b" % (len(v), b"".join([encode(x) for x in v]))

        def enc_verbatim(v: bytes) -> bytes:
            return b"=%d\r\ntxt:%b\r\n" % (len(v) + 4, v)

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

        def enc_dict(v: dict) -> bytes:
            parts = [b"*%d\r\n" % (2 * len(v))]
            for k, x in v.items():
                parts.append(encode(k))
                parts.append(encode(x))
            return b"".join(parts)

        enc_set = enc_list  # type: ignore[assignment]
        enc_verbatim = _bulk
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
        list: enc_list,
        tuple: enc_list,
        dict: enc_dict,
        set: enc_set,
        frozenset: enc_set,
        SetReply: enc_set,
        Status: _status,
        Verbatim: enc_verbatim,
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
