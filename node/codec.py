"""RESP codec, sans-IO: bytes in -> argument lists out; reply values in -> bytes out.

Requests are parsed by `hiredis.Reader` (multibulk, what every client library sends) or, when a
request starts with anything but `*`, as an inline command line the way redis-cli and telnet
send them. Replies are encoded for RESP2 or RESP3; the encoder is the only place that knows the
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
    for input Redis would reject. The parser is dead after an error: the connection closes.
    """

    __slots__ = ("_reader", "_inline")

    def __init__(self) -> None:
        self._reader = hiredis.Reader()
        self._inline = b""

    def feed(self, data: bytes) -> None:
        if self._inline or (data[:1] != b"*" and not self._reader.has_data()):
            self._inline += data
        else:
            self._reader.feed(data)

    def pending(self) -> int:
        """An upper bound on the bytes of the request still being received."""
        if self._inline:
            return len(self._inline)
        # hiredis keeps up to 1 KiB of already-consumed bytes before compacting.
        return self._reader.len() if self._reader.has_data() else 0

    def get(self) -> list[bytes] | None:
        while True:
            if self._inline:
                if self._inline[:1] == b"*" and not self._reader.has_data():
                    self._reader.feed(self._inline)
                    self._inline = b""
                else:
                    argv = self._get_inline()
                    if argv is None or argv:
                        return argv
                    continue  # an empty line: Redis skips it
            try:
                req = self._reader.gets()
            except hiredis.ProtocolError as e:
                raise ProtocolError(_hiredis_message(str(e))) from None
            if req is False:
                return None
            if req.__class__ is not list:
                raise ProtocolError("expected '*', got something else")
            for arg in req:
                if arg.__class__ is not bytes:
                    raise ProtocolError(f"expected '$', got '{_type_byte(arg)}'")
            if req:
                return req
            # `*0` and `*-1` are empty requests; Redis ignores them.

    def _get_inline(self) -> list[bytes] | None:
        buf = self._inline
        nl = buf.find(b"\n")
        if nl < 0:
            if len(buf) > INLINE_MAX:
                raise ProtocolError("too big inline request")
            return None
        line = buf[:nl]
        self._inline = buf[nl + 1 :]
        if line.endswith(b"\r"):
            line = line[:-1]
        args = split_args(line)
        if args is None:
            raise ProtocolError("unbalanced quotes in request")
        return args


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


def _type_byte(value: Any) -> str:
    if isinstance(value, list):
        return "*"
    if isinstance(value, int):
        return ":"
    if value is None:
        return "_"
    return "-"


def _hiredis_message(msg: str) -> str:
    low = msg.lower()
    if "multi-bulk" in low or "multibulk" in low:
        return "invalid multibulk length"
    if "bulk" in low:
        return "invalid bulk length"
    return msg


# ---------------------------------------------------------------------------------------------
# Reply encoding

Encoder = Callable[[Any], bytes]


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
