"""The string group: SET/GET and friends, counters, ranges (Redis's t_string.c).

A string value is `bytes`; a string that has been modified in place (APPEND, SETRANGE,
SETBIT) is a `bytearray`, which is also what OBJECT ENCODING reports as `raw`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from node.errors import (
    NOT_FLOAT, NOT_INTEGER, OVERFLOW, STRING_TOO_LONG, SYNTAX, WRONGTYPE, CommandError,
)
from node.numbers import (
    INT64_MAX, INT64_MIN, LD_OVERFLOW, LongDouble, is_int, parse_int, parse_long_double,
)
from node.notify import GENERIC, STRING
from node.replies import OK
from node.table import command

STRING_TYPES = (bytes, bytearray)


def get_string(db: Any, key: bytes, read: bool = True) -> bytes | bytearray | None:
    """The string at `key`, None if missing; WRONGTYPE if it holds another type."""
    value = db.get(key) if read else db.lookup_write(key)
    if value is None or value.__class__ is bytes or value.__class__ is bytearray:
        return value
    if value.__class__ is int:
        return b"%d" % value
    raise CommandError(WRONGTYPE)


def check_length(ctx: Any, length: int) -> None:
    if length > ctx.server.config["proto-max-bulk-len"]:
        raise CommandError(STRING_TOO_LONG)


# -- expiry options shared by SET, GETEX, SETEX, PSETEX --------------------------------------

UNIT_MS = {b"EX": 1000, b"PX": 1, b"EXAT": 1000, b"PXAT": 1}


def expire_at_ms(ctx: Any, name: str, option: bytes, arg: bytes) -> int:
    """The absolute deadline in ms for `EX|PX|EXAT|PXAT arg`, with Redis's range checks."""
    value = parse_int(arg)
    unit = UNIT_MS[option]
    invalid = CommandError(f"ERR invalid expire time in '{name}' command")
    if value <= 0 or (unit == 1000 and value > INT64_MAX // 1000):
        raise invalid
    ms = value * unit
    if option in (b"EX", b"PX"):
        ms += ctx.server.keyspace.now
        if ms > INT64_MAX:
            raise invalid
    return ms


def parse_set_options(args: list[bytes], for_getex: bool) -> dict[bytes, Any]:
    """SET / GETEX options, with the combinations Redis refuses as syntax errors."""
    opts: dict[bytes, Any] = {}
    expiry = (b"EX", b"PX", b"EXAT", b"PXAT", b"KEEPTTL", b"PERSIST")
    i, n = 0, len(args)
    while i < n:
        opt = args[i].upper()
        has_next = i + 1 < n
        if opt in UNIT_MS and has_next and not any(o in opts for o in expiry if o != opt):
            opts[opt] = args[i + 1]
            i += 2
            continue
        if not for_getex and (
            (opt == b"NX" and b"XX" not in opts)
            or (opt == b"XX" and b"NX" not in opts)
            or opt == b"GET"
            or (opt == b"KEEPTTL" and not any(o in opts for o in expiry if o != opt))
        ):
            opts[opt] = True
        elif for_getex and opt == b"PERSIST" and not any(o in opts for o in expiry if o != opt):
            opts[opt] = True
        else:
            raise CommandError(SYNTAX)
        i += 1
    return opts


def _deadline(ctx: Any, name: str, opts: dict[bytes, Any]) -> int | None:
    for option in UNIT_MS:
        if option in opts:
            return expire_at_ms(ctx, name, option, opts[option])
    return None


# -- commands ---------------------------------------------------------------------------------


@command("get", 2, "readonly fast", keys=(1, 1, 1), group="string",
         summary="Get the value of a key")
def get(ctx: Any, argv: list[bytes]) -> Any:
    db = ctx.db
    key = argv[1]
    value = db.data.get(key)
    if value.__class__ is bytes:
        # A live string (a cache's read): Keyspace.get inlined, its call being 3% of a
        # pipelined GET's instructions (callgrind). An expired key, or LFU counting, takes
        # the call.
        ks = db.keyspace
        if not ks.lfu:
            if db.expires:
                when = db.expires.get(key)
                if when is not None and when < ks.now:
                    return get_string(db, key)
            ks.hits += 1
            db.access[key] = ks.lru_clock
            return value
    return get_string(db, key)


def _set_key_flags(argv: list[bytes]) -> str:
    return "RW access update" if any(a.upper() == b"GET" for a in argv[3:]) else "OW update"


@command("set", -3, "write denyoom", keys=(1, 1, 1), group="string",
         key_flags="RW access update variable_flags", key_flags_fn=_set_key_flags,
         key_notes="RW and ACCESS due to the optional `GET` argument",
         summary="Set the string value of a key",
         history=(("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
                  ("6.0.0", "Added the `KEEPTTL` option."),
                  ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
                  ("7.0.0", "Allowed the `NX` and `GET` options to be used together.")))
def set_(ctx: Any, argv: list[bytes]) -> Any:
    db = ctx.db
    if len(argv) == 3:
        db.set(argv[1], argv[2])
        if db.keyspace.notify_flags:
            db.notify(STRING, b"set", argv[1])
        return OK
    key = argv[1]
    opts = parse_set_options(argv[3:], for_getex=False)
    when = _deadline(ctx, "set", opts)
    # As Redis: GET's read lookup (a hit or miss, an access), then the write lookup.
    got = get_string(db, key) if b"GET" in opts else None
    old = db.lookup_write(key)
    if (b"NX" in opts and old is not None) or (b"XX" in opts and old is None):
        return got if b"GET" in opts else None
    db.set(key, argv[2], keep_ttl=b"KEEPTTL" in opts, looked_up=True)
    db.notify(STRING, b"set", key)
    if when is not None:
        # A deadline already past (EXAT 1) is kept as given: Redis 7.0's SET stores the key
        # and it expires on its next access or active expiry, counted and announced then.
        db.set_deadline(key, when, past_deletes=False, stored=True)
        db.notify(GENERIC, b"expire", key)
        if b"PXAT" not in opts:
            _propagate_deadline(ctx, key, argv[2], when)
            return got if b"GET" in opts else OK
    if b"GET" in opts:
        # Replayed without GET, whose reply is the only thing it adds (setGenericCommand).
        ctx.propagate_as(argv[:3] + [a for a in argv[3:] if a.upper() != b"GET"])
        return got
    return OK


def _propagate_deadline(ctx: Any, key: bytes, value: bytes, when: int) -> None:
    """SET with a TTL replays as `SET key value PXAT <ms>`: a relative TTL would restart at
    replay time."""
    ctx.propagate_as([b"SET", key, value, b"PXAT", b"%d" % when])


@command("setnx", 3, "write denyoom fast", keys=(1, 1, 1), group="string",
         key_flags="OW insert", summary="Set the value of a key, only if the key does not exist")
def setnx(ctx: Any, argv: list[bytes]) -> int:
    if ctx.db.lookup_write(argv[1]) is not None:
        return 0
    ctx.db.set(argv[1], argv[2])
    ctx.db.notify(STRING, b"set", argv[1])
    return 1


def _set_with_ttl(ctx: Any, argv: list[bytes], name: str, option: bytes) -> Any:
    when = expire_at_ms(ctx, name, option, argv[2])
    db = ctx.db
    db.set(argv[1], argv[3])
    db.notify(STRING, b"set", argv[1])
    db.set_deadline(argv[1], when, stored=True)
    db.notify(GENERIC, b"expire", argv[1])
    _propagate_deadline(ctx, argv[1], argv[3], when)
    return OK


@command("setex", 4, "write denyoom", keys=(1, 1, 1), group="string", key_flags="OW update",
         since="2.0.0", summary="Set the value and expiration of a key")
def setex(ctx: Any, argv: list[bytes]) -> Any:
    return _set_with_ttl(ctx, argv, "setex", b"EX")


@command("psetex", 4, "write denyoom", keys=(1, 1, 1), group="string", key_flags="OW update",
         since="2.6.0", summary="Set the value and expiration in milliseconds of a key")
def psetex(ctx: Any, argv: list[bytes]) -> Any:
    return _set_with_ttl(ctx, argv, "psetex", b"PX")


@command("getex", -2, "write fast", keys=(1, 1, 1), group="string", key_flags="RW access update",
         key_notes="RW and UPDATE because it changes the TTL",
         since="6.2.0", summary="Get the value of a key and optionally set its expiration")
def getex(ctx: Any, argv: list[bytes]) -> Any:
    opts = parse_set_options(argv[2:], for_getex=True)
    db = ctx.db
    value = get_string(db, argv[1])
    if value is None:
        return None
    # As Redis: the time is read only once the key is known to be a string.
    when = _deadline(ctx, "getex", opts)
    if when is not None:
        db.set_deadline(argv[1], when)
        # As Redis: an absolute PEXPIREAT, or DEL if the deadline already passed.
        if argv[1] in db.data:
            db.notify(GENERIC, b"expire", argv[1])
            ctx.propagate_as([b"PEXPIREAT", argv[1], b"%d" % when])
        else:
            db.notify(GENERIC, b"del", argv[1])
            ctx.propagate_as([b"DEL", argv[1]])
    elif b"PERSIST" in opts:
        if db.persist(argv[1]):
            db.notify(GENERIC, b"persist", argv[1])
            ctx.propagate_as([b"PERSIST", argv[1]])
    return value


@command("getdel", 2, "write fast", keys=(1, 1, 1), group="string", key_flags="RW access delete",
         since="6.2.0", summary="Get the value of a key and delete the key")
def getdel(ctx: Any, argv: list[bytes]) -> Any:
    value = get_string(ctx.db, argv[1])
    if value is not None:
        ctx.db.delete(argv[1])
        ctx.db.notify(GENERIC, b"del", argv[1])
        ctx.propagate_as([b"DEL", argv[1]])
    return value


@command("getset", 3, "write denyoom fast", keys=(1, 1, 1), group="string",
         key_flags="RW access update",
         summary="Set the string value of a key and return its old value",
         doc_flags="deprecated", deprecated_since="6.2.0",
         replaced_by="`SET` with the `!GET` argument")
def getset(ctx: Any, argv: list[bytes]) -> Any:
    old = get_string(ctx.db, argv[1])
    ctx.db.set(argv[1], argv[2])
    ctx.db.notify(STRING, b"set", argv[1])
    return old


@command("mget", -2, "readonly fast", keys=(1, -1, 1), group="string",
         complexity="O(N) where N is the number of keys to retrieve.",
         tips="request_policy:multi_shard", summary="Get the values of all the given keys")
def mget(ctx: Any, argv: list[bytes]) -> list:
    get = ctx.db.get
    out = []
    for key in argv[1:]:
        value = get(key)
        cls = value.__class__
        out.append(value if value is None or cls is bytes or cls is bytearray
                   else b"%d" % value if cls is int else None)
    return out


@command("mset", -3, "write denyoom", keys=(1, -1, 2), group="string", key_flags="OW update",
         since="1.0.1", complexity="O(N) where N is the number of keys to set.",
         tips="request_policy:multi_shard response_policy:all_succeeded",
         summary="Set multiple keys to multiple values")
def mset(ctx: Any, argv: list[bytes]) -> Any:
    if len(argv) % 2 == 0:
        raise CommandError("ERR wrong number of arguments for 'mset' command")
    db = ctx.db
    if db.keyspace.notify_flags:
        _set_each(db, argv)
    else:
        db.set_many(argv)
    return OK


def _set_each(db: Any, argv: list[bytes]) -> None:
    """MSET's and MSETNX's writes with keyspace events on: key by key, each with its events
    (set_many does them in bulk, without)."""
    for i in range(1, len(argv), 2):
        db.set(argv[i], argv[i + 1])
        db.notify(STRING, b"set", argv[i])


@command("msetnx", -3, "write denyoom", keys=(1, -1, 2), group="string", key_flags="OW insert",
         since="1.0.1", complexity="O(N) where N is the number of keys to set.",
         tips="request_policy:multi_shard response_policy:agg_min",
         summary="Set multiple keys to multiple values, only if none of the keys exist")
def msetnx(ctx: Any, argv: list[bytes]) -> int:
    if len(argv) % 2 == 0:
        raise CommandError("ERR wrong number of arguments for 'msetnx' command")
    db = ctx.db
    if any(db.lookup_write(argv[i]) is not None for i in range(1, len(argv), 2)):
        return 0
    if db.keyspace.notify_flags:
        _set_each(db, argv)
    else:
        db.set_many(argv)
    return 1


# Counters below this take INCR's inline path: CPython 3.11 specializes comparisons of
# one-digit ints only (|n| < 2**30), so `old < INT64_MAX` was a generic compare.
_SMALL = 2**30 - 1


def _incr(ctx: Any, key: bytes, by: int) -> int:
    db = ctx.db
    old = db.peek(key)  # (set() below counts the access)
    if old.__class__ is int:  # a counter: stored as a number (see node/keyspace.py)
        new = old + by
    elif old is None:
        new = by
    elif old.__class__ is bytes or old.__class__ is bytearray:
        # parse_int, inlined: counters are a hot path (rate limiters, INCR benchmarks).
        if not is_int(old):
            raise CommandError(NOT_INTEGER)
        new = int(old) + by
    else:
        raise CommandError(WRONGTYPE)
    if not INT64_MIN <= new <= INT64_MAX:
        raise CommandError(OVERFLOW)
    db.set(key, new, True)
    db.notify(STRING, b"incrby", key)
    return new


@command("incr", 2, "write denyoom fast", keys=(1, 1, 1), group="string",
         key_flags="RW access update", summary="Increment the integer value of a key by one")
def incr(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    key = argv[1]
    old = db.data.get(key)
    ks = db.keyspace
    if old.__class__ is int and old < _SMALL and not ks.lfu:
        # A live counter (rate limiters, INCR benchmarks): _incr's peek and set(keep_ttl)
        # inlined, their two calls being a third of this path. An expired one takes _incr,
        # which expires it first, and so does a counter past _SMALL (which checks overflow).
        if db.expires:
            when = db.expires.get(key)
            if when is not None and when < ks.now:
                return _incr(ctx, key, 1)
        new = old + 1
        db.data[key] = new
        db.access[key] = ks.lru_clock  # the write's access, as set() counts it
        if ks.on_modified:
            db.modified(key)
        else:
            ks.dirty += 1  # modified() without its call: no hook to run
        if ks.notify_flags:
            db.notify(STRING, b"incrby", key)
        return new
    return _incr(ctx, key, 1)


@command("decr", 2, "write denyoom fast", keys=(1, 1, 1), group="string",
         key_flags="RW access update", summary="Decrement the integer value of a key by one")
def decr(ctx: Any, argv: list[bytes]) -> int:
    return _incr(ctx, argv[1], -1)


@command("incrby", 3, "write denyoom fast", keys=(1, 1, 1), group="string",
         key_flags="RW access update",
         summary="Increment the integer value of a key by the given amount")
def incrby(ctx: Any, argv: list[bytes]) -> int:
    return _incr(ctx, argv[1], parse_int(argv[2]))


@command("decrby", 3, "write denyoom fast", keys=(1, 1, 1), group="string",
         key_flags="RW access update",
         summary="Decrement the integer value of a key by the given number")
def decrby(ctx: Any, argv: list[bytes]) -> int:
    by = parse_int(argv[2])
    if by == INT64_MIN:
        raise CommandError("ERR decrement would overflow")
    return _incr(ctx, argv[1], -by)


@command("incrbyfloat", 3, "write denyoom fast", keys=(1, 1, 1), group="string",
         key_flags="RW access update", since="2.6.0",
         summary="Increment the float value of a key by the given amount")
def incrbyfloat(ctx: Any, argv: list[bytes]) -> bytes:
    db = ctx.db
    old = get_string(db, argv[1], read=False)
    # string2ld, as Redis reads both: strtold's syntax (hex floats too), no NaN, no overflow.
    current = parse_long_double(bytes(old)) if old is not None else Fraction(0)
    by = parse_long_double(argv[2])
    if current is None or by is None:
        raise CommandError(NOT_FLOAT)
    if current.__class__ is float or by.__class__ is float:
        raise CommandError("ERR increment would produce NaN or Infinity")
    result = LongDouble.round(current + by)
    if abs(result) >= LD_OVERFLOW:
        raise CommandError("ERR increment would produce NaN or Infinity")
    text = LongDouble.format(result)
    db.set(argv[1], text, keep_ttl=True, looked_up=True)
    db.notify(STRING, b"incrbyfloat", argv[1])
    # Float arithmetic may differ elsewhere: replicate the result, not the increment.
    ctx.propagate_as([b"SET", argv[1], text, b"KEEPTTL"])
    return text


@command("append", 3, "write denyoom fast", keys=(1, 1, 1), group="string",
         key_flags="RW insert", since="2.0.0",
         complexity="O(1). The amortized time complexity is O(1) assuming the appended value is "
                    "small and the already present value is of any size, since the dynamic "
                    "string library used by Redis will double the free space available on "
                    "every reallocation.",
         summary="Append a value to a key")
def append(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    key = argv[1]
    old = get_string(db, key, read=False)
    if old is None:
        db.set(key, argv[2])
        db.notify(STRING, b"append", key)
        return len(argv[2])
    check_length(ctx, len(old) + len(argv[2]))
    if old.__class__ is bytearray:
        old += argv[2]
        db.modified(key)
    else:
        old = bytearray(old) + argv[2]
        db.set(key, old, keep_ttl=True, looked_up=True)
    db.notify(STRING, b"append", key)
    return len(old)


@command("strlen", 2, "readonly fast", keys=(1, 1, 1), group="string", since="2.2.0", key_flags="RO",
         summary="Get the length of the value stored in a key")
def strlen(ctx: Any, argv: list[bytes]) -> int:
    value = get_string(ctx.db, argv[1])
    return 0 if value is None else len(value)


def _getrange(ctx: Any, argv: list[bytes]) -> bytes:
    start, end = parse_int(argv[2]), parse_int(argv[3])
    value = get_string(ctx.db, argv[1])
    if value is None:
        return b""
    n = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start = max(n + start, 0)
    if end < 0:
        end = max(n + end, 0)
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return b""
    return bytes(value[start : end + 1])


@command("getrange", 4, "readonly", keys=(1, 1, 1), group="string", since="2.4.0",
         complexity="O(N) where N is the length of the returned string. The complexity is "
                    "ultimately determined by the returned length, but because creating a "
                    "substring from an existing string is very cheap, it can be considered "
                    "O(1) for small strings.",
         summary="Get a substring of the string stored at a key")
def getrange(ctx: Any, argv: list[bytes]) -> bytes:
    return _getrange(ctx, argv)


@command("substr", 4, "readonly", keys=(1, 1, 1), group="string",
         complexity="O(N) where N is the length of the returned string. The complexity is "
                    "ultimately determined by the returned length, but because creating a "
                    "substring from an existing string is very cheap, it can be considered "
                    "O(1) for small strings.",
         summary="Get a substring of the string stored at a key",
         doc_flags="deprecated", deprecated_since="2.0.0",
         replaced_by="`GETRANGE`")
def substr(ctx: Any, argv: list[bytes]) -> bytes:
    return _getrange(ctx, argv)


@command("setrange", 4, "write denyoom", keys=(1, 1, 1), group="string",
         key_flags="RW update", since="2.2.0",
         complexity="O(1), not counting the time taken to copy the new string in place. "
                    "Usually, this string is very small so the amortized complexity is O(1). "
                    "Otherwise, complexity is O(M) with M being the length of the value "
                    "argument.",
         summary="Overwrite part of a string at key starting at the specified offset")
def setrange(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    key, patch = argv[1], argv[3]
    offset = parse_int(argv[2])
    if offset < 0:
        raise CommandError("ERR offset is out of range")
    old = get_string(db, key, read=False)
    if old is None:
        if not patch:
            return 0
        check_length(ctx, offset + len(patch))
        db.set(key, bytearray(offset) + patch)
        db.notify(STRING, b"setrange", key)
        return offset + len(patch)
    if not patch:
        return len(old)
    check_length(ctx, offset + len(patch))
    buf = old if old.__class__ is bytearray else bytearray(old)
    if len(buf) < offset:
        buf.extend(bytes(offset - len(buf)))
    buf[offset : offset + len(patch)] = patch
    if buf is old:
        db.modified(key)
    else:
        db.set(key, buf, keep_ttl=True, looked_up=True)
    db.notify(STRING, b"setrange", key)
    return len(buf)

