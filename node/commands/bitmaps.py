"""The bitmap group: bit-level reads and writes on string values (Redis's bitops.c).

Bits are numbered from the most significant bit of the first byte, as in Redis. Counting and
searching work on whole runs of bytes at C speed (`int.from_bytes(...).bit_count()`, a compiled
regular expression for the first byte that is not all zeros/ones) and touch single bits only
at the edges of a BIT-unit range. A key these commands write becomes a `bytearray` (Redis's
raw encoding), grown and modified in place; SETBIT and BITFIELD keep the key's TTL, BITOP
replaces its destination as SET does.
"""

from __future__ import annotations

import re
from typing import Any

from node.commands.keys import store_result
from node.cstring import option_word
from node.errors import NOT_INTEGER, SYNTAX, WRONGTYPE, CommandError
from node.keyspace import string_bytes
from node.notify import STRING
from node.numbers import parse_int
from node.table import KeySpec, command

BIT_OFFSET_ERR = "ERR bit offset is not an integer or out of range"
BIT_VALUE_ERR = "ERR bit is not an integer or out of range"
BITFIELD_TYPE_ERR = ("ERR Invalid bitfield type. Use something like i16 u8. "
                     "Note that u64 is not supported but i64 is.")

# popcount over big buffers goes through ints of this many bytes, so a 512 MB string never
# needs a second 512 MB copy.
_CHUNK = 1 << 20
_NOT_TABLE = bytes(255 - i for i in range(256))
# The first byte holding a set bit / a clear bit.
_FIND = {1: re.compile(rb"[^\x00]"), 0: re.compile(rb"[^\xff]")}


def _lookup_read(db: Any, key: bytes) -> bytes | bytearray | None:
    value = db.get(key)
    if value is None or value.__class__ is bytes or value.__class__ is bytearray:
        return value
    if value.__class__ is int:
        return b"%d" % value
    raise CommandError(WRONGTYPE)


def bit_offset(ctx: Any, arg: bytes, hash_ok: bool = False, bits: int = 0) -> int:
    """A bit offset as getBitOffsetFromArgument reads it: `n`, or `#n` (n * bits) for BITFIELD.

    Offsets whose byte lies at or beyond proto-max-bulk-len are refused, as in Redis.
    """
    use_hash = hash_ok and arg[:1] == b"#"
    offset = parse_int(arg[1:] if use_hash else arg, BIT_OFFSET_ERR)
    if use_hash:
        # C multiplies in a signed 64-bit integer; a huge `#n` wraps (and is then refused).
        offset = ((offset * bits + 2**63) % 2**64) - 2**63
    if offset < 0 or (offset >> 3) >= ctx.server.config["proto-max-bulk-len"]:
        raise CommandError(BIT_OFFSET_ERR)
    return offset


def _writable(db: Any, key: bytes, size: int) -> tuple[bytearray, bool, bool]:
    """The string at `key` as a bytearray of at least `size` bytes (lookupStringForBitCommand).

    Returns (buffer, stored, grown): `stored` tells whether the buffer is already the key's
    value (so an in-place change needs only `db.modified`), `grown` whether its length changed
    or the key was created. WRONGTYPE if the key holds another type.
    """
    value = db.lookup_write(key)
    if value is None:
        return bytearray(size), False, True
    if value.__class__ is bytearray:
        stored = True
        buf = value
    elif value.__class__ is bytes or value.__class__ is int:
        stored = False
        buf = bytearray(string_bytes(value))
    else:
        raise CommandError(WRONGTYPE)
    grown = len(buf) < size
    if grown:
        buf.extend(bytes(size - len(buf)))
    return buf, stored, grown


def _store(db: Any, key: bytes, buf: bytearray, stored: bool) -> None:
    if stored:
        db.modified(key)
    else:
        db.set(key, buf, keep_ttl=True, looked_up=True)


# -- SETBIT / GETBIT -------------------------------------------------------------------------


@command("setbit", 4, "write denyoom", keys=(1, 1, 1), group="bitmap",
         key_flags="RW access update", since="2.2.0",
         summary="Sets or clears the bit at offset in the string value stored at key")
def setbit(ctx: Any, argv: list[bytes]) -> int:
    offset = bit_offset(ctx, argv[2])
    on = parse_int(argv[3], BIT_VALUE_ERR)
    if on & ~1:
        raise CommandError(BIT_VALUE_ERR)
    db, key = ctx.db, argv[1]
    byte = offset >> 3
    buf, stored, grown = _writable(db, key, byte + 1)
    shift = 7 - (offset & 7)
    old = (buf[byte] >> shift) & 1
    if grown or old != on:
        if on:
            buf[byte] |= 1 << shift
        else:
            buf[byte] &= ~(1 << shift) & 0xFF
        _store(db, key, buf, stored)
        db.notify(STRING, b"setbit", key)
    elif not stored:
        # Redis unshares the value (it becomes raw) even when no bit changes, but that is no
        # change of content: no dirty count, no WATCH invalidation, no keyspace event.
        db.replace(key, buf)
    return old


@command("getbit", 3, "readonly fast", keys=(1, 1, 1), group="bitmap", since="2.2.0",
         summary="Returns the bit value at offset in the string value stored at key")
def getbit(ctx: Any, argv: list[bytes]) -> int:
    offset = bit_offset(ctx, argv[2])
    value = _lookup_read(ctx.db, argv[1])
    byte = offset >> 3
    if value is None or byte >= len(value):
        return 0
    return (value[byte] >> (7 - (offset & 7))) & 1


# -- BITCOUNT / BITPOS -----------------------------------------------------------------------


def _unit_is_bit(arg: bytes) -> bool:
    word = option_word(arg)
    if word == b"bit":
        return True
    if word == b"byte":
        return False
    raise CommandError(SYNTAX)


def _clamp(start: int, end: int, total: int) -> tuple[int, int]:
    """Redis's range normalisation: negative from the end, then clipped to [0, total-1]."""
    if start < 0:
        start += total
    if end < 0:
        end += total
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= total:
        end = total - 1
    return start, end


def _popcount(buf: bytes | bytearray, first: int, last: int) -> int:
    """Set bits in bytes first..last inclusive."""
    count = 0
    # A live view would stop the bytearray from being resized, so it is released at once.
    with memoryview(buf) as view:
        for at in range(first, last + 1, _CHUNK):
            count += int.from_bytes(view[at : min(at + _CHUNK, last + 1)], "big").bit_count()
    return count


@command("bitcount", -2, "readonly", keys=(1, 1, 1), group="bitmap", since="2.6.0",
         complexity="O(N)", summary="Count set bits in a string",
         history=(("7.0.0", "Added the `BYTE|BIT` option."),))
def bitcount(ctx: Any, argv: list[bytes]) -> int:
    value = _lookup_read(ctx.db, argv[1])
    if value is None:
        return 0
    n = len(argv)
    if n == 2:
        return _popcount(value, 0, len(value) - 1) if value else 0
    if n not in (4, 5):
        raise CommandError(SYNTAX)
    start, end = parse_int(argv[2]), parse_int(argv[3])
    if start < 0 and end < 0 and start > end:
        return 0  # before the unit is read, as in Redis 7.0: `-1 -3 FOO` is 0, not an error
    is_bit = n == 5 and _unit_is_bit(argv[4])
    total = len(value) * 8 if is_bit else len(value)
    start, end = _clamp(start, end, total)
    if start > end:
        return 0
    if not is_bit:
        return _popcount(value, start, end)
    first, last = start >> 3, end >> 3
    count = _popcount(value, first, last)
    # Take away the bits of the edge bytes that lie outside the range.
    count -= (value[first] >> (8 - (start & 7))).bit_count()
    count -= (value[last] & ((1 << (7 - (end & 7))) - 1)).bit_count()
    return count


def _first_bit(buf: bytes | bytearray, start: int, end: int, bit: int) -> int:
    """The position of the first bit equal to `bit` in bits start..end inclusive, or -1."""
    first, last = start >> 3, end >> 3
    if start & 7 or first == last:
        stop = min(end, first * 8 + 7)
        byte = buf[first]
        for pos in range(start, stop + 1):
            if (byte >> (7 - (pos & 7))) & 1 == bit:
                return pos
        if first == last:
            return -1
        first += 1
    full_end = last + 1 if end & 7 == 7 else last
    if first < full_end:
        match = _FIND[bit].search(buf, first, full_end)
        if match is not None:
            at = match.start()
            byte = buf[at] if bit else buf[at] ^ 0xFF
            return at * 8 + 8 - byte.bit_length()
    if end & 7 != 7:
        byte = buf[last]
        for pos in range(last * 8, end + 1):
            if (byte >> (7 - (pos & 7))) & 1 == bit:
                return pos
    return -1


@command("bitpos", -3, "readonly", keys=(1, 1, 1), group="bitmap", since="2.8.7",
         complexity="O(N)", summary="Find first bit set or clear in a string",
         history=(("7.0.0", "Added the `BYTE|BIT` option."),))
def bitpos(ctx: Any, argv: list[bytes]) -> int:
    bit = parse_int(argv[2])
    if bit != 0 and bit != 1:
        raise CommandError("ERR The bit argument must be 1 or 0.")
    value = _lookup_read(ctx.db, argv[1])
    if value is None:
        # A missing key is an endless run of zeros.
        return -1 if bit else 0
    n = len(argv)
    end_given = False
    if n == 3:
        start, end = 0, len(value) - 1
        is_bit = False
    elif n <= 6:
        start = parse_int(argv[3])
        is_bit = n == 6 and _unit_is_bit(argv[5])
        if n >= 5:
            end = parse_int(argv[4])
            end_given = True
        else:
            end = len(value) - 1
        total = len(value) * 8 if is_bit else len(value)
        start, end = _clamp(start, end, total)
    else:
        raise CommandError(SYNTAX)
    if start > end:
        return -1
    if not is_bit:
        start, end = start * 8, end * 8 + 7
    pos = _first_bit(value, start, end, bit)
    if pos >= 0 or bit:
        return pos
    # Looking for a clear bit in an all-ones range: without an explicit end the string is
    # taken as padded with zeros on the right, so the answer is the first bit after it.
    return -1 if end_given else end + 1


# -- BITOP -----------------------------------------------------------------------------------

_BITOPS = (b"and", b"or", b"xor", b"not")


@command("bitop", -4, "write denyoom", keys=(2, -1, 1), group="bitmap", since="2.6.0",
         complexity="O(N)", summary="Perform bitwise operations between strings",
         key_specs=(KeySpec(("OW", "update"), 2, lastkey=0),
                    KeySpec(("RO", "access"), 3, lastkey=-1)))
def bitop(ctx: Any, argv: list[bytes]) -> int:
    op = option_word(argv[1])
    if op not in _BITOPS:
        raise CommandError(SYNTAX)
    if op == b"not" and len(argv) != 4:
        raise CommandError("ERR BITOP NOT must be called with a single source key.")
    db = ctx.db
    values = [_lookup_read(db, key) for key in argv[3:]]
    maxlen = max(len(v) if v is not None else 0 for v in values)
    dest = argv[2]
    if not maxlen:
        store_result(db, dest, None, STRING, b"set")
        return 0
    if op == b"not":
        result = bytearray(values[0].translate(_NOT_TABLE))  # type: ignore[union-attr]
    else:
        nums = [int.from_bytes(v, "big") << ((maxlen - len(v)) * 8) if v else 0
                for v in values]
        acc = nums[0]
        if op == b"and":
            for x in nums[1:]:
                acc &= x
        elif op == b"or":
            for x in nums[1:]:
                acc |= x
        else:
            for x in nums[1:]:
                acc ^= x
        result = bytearray(acc.to_bytes(maxlen, "big"))
    store_result(db, dest, result, STRING, b"set")
    return maxlen


# -- BITFIELD / BITFIELD_RO ------------------------------------------------------------------

_GET, _SET, _INCRBY = 0, 1, 2
_WRAP, _SAT, _FAIL = 0, 1, 2
_OPS = {b"get": (_GET, 2), b"set": (_SET, 3), b"incrby": (_INCRBY, 3)}
_OVERFLOW = {b"wrap": _WRAP, b"sat": _SAT, b"fail": _FAIL}


def _bitfield_type(arg: bytes) -> tuple[bool, int]:
    """(signed, bits) for `i<1..64>` / `u<1..63>`."""
    text = arg.split(b"\0", 1)[0]  # Redis reads the width with strlen
    if text[:1] == b"i":
        signed = True
    elif text[:1] == b"u":
        signed = False
    else:
        raise CommandError(BITFIELD_TYPE_ERR)
    bits = parse_int(text[1:], BITFIELD_TYPE_ERR)
    if bits < 1 or bits > (64 if signed else 63):
        raise CommandError(BITFIELD_TYPE_ERR)
    return signed, bits


def _get_field(buf: bytes | bytearray | None, offset: int, bits: int, signed: bool) -> int:
    """The field at `offset`; bits past the end of the string read as zero."""
    first, last = offset >> 3, (offset + bits - 1) >> 3
    width = last - first + 1
    chunk = buf[first : last + 1] if buf else b""
    raw = int.from_bytes(chunk, "big") << ((width - len(chunk)) * 8)
    value = (raw >> ((last + 1) * 8 - offset - bits)) & ((1 << bits) - 1)
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def _set_field(buf: bytearray, offset: int, bits: int, value: int) -> None:
    first, last = offset >> 3, (offset + bits - 1) >> 3
    shift = (last + 1) * 8 - offset - bits
    mask = ((1 << bits) - 1) << shift
    raw = int.from_bytes(buf[first : last + 1], "big")
    raw = (raw & ~mask) | ((value << shift) & mask)
    buf[first : last + 1] = raw.to_bytes(last - first + 1, "big")


def _apply(old: int, op: int, arg: int, signed: bool, bits: int, overflow: int
           ) -> tuple[int | None, int | None]:
    """(reply, value to store) for SET/INCRBY; (None, None) for a FAIL overflow.

    Signed fields check the exact result against [min, max]. Unsigned fields do the same for
    INCRBY, but SET compares the argument as a uint64, so a negative SET always overflows and
    saturates to the maximum (as Redis does).
    """
    if signed:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        new = old + arg if op == _INCRBY else arg
    else:
        lo, hi = 0, (1 << bits) - 1
        new = old + arg if op == _INCRBY else arg % 2**64
    if new > hi or new < lo:
        if overflow == _FAIL:
            return None, None
        if overflow == _SAT:
            new = hi if new > hi else lo
        else:
            new %= 1 << bits
            if signed and new > hi:
                new -= 1 << bits
    return (new if op == _INCRBY else old), new


def _bitfield(ctx: Any, argv: list[bytes], read_only_cmd: bool) -> list:
    ops: list[tuple[int, bool, int, int, int, int]] = []
    overflow = _WRAP
    writes = False
    highest = 0
    j, n = 2, len(argv)
    while j < n:
        remaining = n - j - 1
        name = option_word(argv[j])
        if name == b"overflow" and remaining >= 1:
            overflow = _OVERFLOW.get(option_word(argv[j + 1]), -1)
            if overflow < 0:
                raise CommandError("ERR Invalid OVERFLOW type specified")
            j += 2
            continue
        spec = _OPS.get(name)
        if spec is None or remaining < spec[1]:
            raise CommandError(SYNTAX)
        op = spec[0]
        signed, bits = _bitfield_type(argv[j + 1])
        offset = bit_offset(ctx, argv[j + 2], True, bits)
        arg = 0
        if op != _GET:
            writes = True
            highest = max(highest, offset + bits - 1)
            arg = parse_int(argv[j + 3], NOT_INTEGER)
        ops.append((op, signed, bits, offset, arg, overflow))
        j += 1 + spec[1]

    db, key = ctx.db, argv[1]
    if not writes:
        value = _lookup_read(db, key)
        return [_get_field(value, offset, bits, signed)
                for _, signed, bits, offset, _, _ in ops]
    if read_only_cmd:
        raise CommandError("ERR BITFIELD_RO only supports the GET subcommand")
    buf, stored, grown = _writable(db, key, (highest >> 3) + 1)
    out: list = []
    changes = 0
    for op, signed, bits, offset, arg, ovf in ops:
        old = _get_field(buf, offset, bits, signed)
        if op == _GET:
            out.append(old)
            continue
        reply, new = _apply(old, op, arg, signed, bits, ovf)
        out.append(reply)
        if new is not None:
            _set_field(buf, offset, bits, new)
            # As Redis: a SET/INCRBY is a change if the string was created or grown, or the
            # field's value moved; one refused by OVERFLOW FAIL is not.
            if grown or old != new:
                changes += 1
    if changes:
        _store(db, key, buf, stored)
        db.keyspace.dirty += changes - 1  # (one change each, where _store counts one)
        db.notify(STRING, b"setbit", key)
    elif grown:
        # Every write refused: the string was still created or grown by the lookup
        # (lookupStringForBitCommand), but that is no change, and nothing is announced.
        dirty = db.keyspace.dirty
        _store(db, key, buf, stored)
        db.keyspace.dirty = dirty
    return out


def _bitfield_reads_only(argv: list[bytes]) -> bool:
    # bitfieldGetKeys: only complete GETs and OVERFLOWs; anything else (a SET, an INCRBY, a
    # syntax error) counts as a write.
    i = 2
    while i < len(argv):
        op, more = argv[i].upper(), len(argv) - i - 1
        if op == b"GET" and more >= 2:
            i += 3
        elif op == b"OVERFLOW" and more >= 1:
            i += 2
        else:
            return False
    return True


@command("bitfield", -2, "write denyoom", keys=(1, 1, 1), group="bitmap", since="3.2.0",
         complexity="O(1) for each subcommand specified",
         summary="Perform arbitrary bitfield integer operations on strings",
         key_specs=(KeySpec(("RW", "access", "update", "variable_flags"), 1,
                            notes="This command allows both access and modification of the key"),),
         key_flags_fn=lambda argv: "RO access" if _bitfield_reads_only(argv) else "RW access update")
def bitfield(ctx: Any, argv: list[bytes]) -> list:
    return _bitfield(ctx, argv, False)


@command("bitfield_ro", -2, "readonly fast", keys=(1, 1, 1), group="bitmap", since="6.0.0",
         complexity="O(1) for each subcommand specified",
         summary="Perform arbitrary bitfield integer operations on strings. "
                 "Read-only variant of BITFIELD")
def bitfield_ro(ctx: Any, argv: list[bytes]) -> list:
    return _bitfield(ctx, argv, True)
