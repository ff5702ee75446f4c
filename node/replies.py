"""Reply values: what a command handler returns, before any wire encoding.

Handlers return plain Python values and never know the protocol version:

    bytes / bytearray   bulk string
    int                 integer            (bool: RESP3 boolean, RESP2 integer)
    None                null bulk string   (RESP3 null)
    float               double             (RESP2: bulk string formatted as Redis does)
    list / tuple        array
    dict                map                (RESP2: flat array of key, value, ...)
    set / frozenset     set                (RESP2: array)

plus the markers below for the reply kinds that have no natural Python type. Errors are raised
as `CommandError` (see errors.py); an error *inside* an array (EXEC) is the exception instance.
"""

from __future__ import annotations


class Status(bytes):
    """A simple string reply (`+OK`)."""

    __slots__ = ()


class Verbatim(bytes):
    """A verbatim string (RESP3 `=`) of format `txt`; RESP2 clients get a plain bulk string."""

    __slots__ = ()
    format = b"txt"


class FormattedVerbatim(Verbatim):
    """A verbatim string of another format (a script's `verbatim_string` table): its first
    three bytes, padded with spaces, as Redis's addReplyVerbatim takes them."""

    def __new__(cls, value: bytes, format: bytes) -> FormattedVerbatim:
        self = super().__new__(cls, value)
        self.format = format.split(b"\0", 1)[0][:3].ljust(3)  # (a C string: up to a NUL)
        return self


class BigNumber(bytes):
    """A big number (RESP3 `(`, from a script's `big_number` table); RESP2 clients get a
    bulk string."""

    __slots__ = ()


class DoubleText(bytes):
    """A double the command formatted itself (GEOPOS's coordinates): a RESP3 double with this
    text, a bulk string in RESP2."""

    __slots__ = ()


class Push(list):
    """An out-of-band push message (RESP3 `>`); RESP2 clients get a plain array."""

    __slots__ = ()


class SetReply(list):
    """A set whose order the server chooses (RESP3 `~`); RESP2 clients get a plain array."""

    __slots__ = ()


class _NullArray:
    """The null array (`*-1` in RESP2, `_` in RESP3), e.g. a timed-out blocking pop."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NULL_ARRAY"


class _NoReply:
    """A handler's way of saying it wrote nothing (a blocked client, QUIT already answered)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_REPLY"


OK = Status(b"OK")
PONG = Status(b"PONG")
QUEUED = Status(b"QUEUED")
NULL_ARRAY = _NullArray()
NO_REPLY = _NoReply()


def format_double(d: float) -> bytes:
    """A double the way Redis 7.0 prints it (`%.17g`, `inf`, `-inf`, `nan`)."""
    if d != d:
        return b"nan"
    if d == float("inf"):
        return b"inf"
    if d == float("-inf"):
        return b"-inf"
    return b"%.17g" % d
