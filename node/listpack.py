"""Redis's compact encodings as bytes: listpack (written and read), intset (written and read),
and the older ziplist and zipmap (read only, for RDB files of earlier Redis versions).

These are the blobs an RDB file stores for small containers, so one module serves the RDB
reader and writer and DEBUG OBJECT's sizes alike. Decoders check every length they follow
and raise `EncodingError` on anything malformed; they never read past the blob.

Listpack (listpack.c): a 6-byte header (total bytes, element count or 65535 when unknown, both
little-endian), the entries, and a 0xFF terminator. An entry is its encoding, its data, and
its "backlen", the size of the first two in 7-bit groups. A string that is the canonical form
of a 64-bit integer of at most 20 characters is stored as that integer, in the narrowest of
7-bit, 13-bit, 16/24/32/64-bit forms; decoding gives it back as the same text.

Intset (intset.c): a 4-byte element width (2, 4 or 8), a 4-byte count, then the values in
ascending order, little-endian, all at the narrowest width that holds every one of them.

Ziplist (ziplist.c, Redis < 7): header zlbytes/zltail/zllen, entries made of the previous
entry's length (1 or 5 bytes), an encoding (string lengths big-endian, or an integer type
including 4-bit immediates 0..12), the data; and a 0xFF terminator.

Zipmap (zipmap.c, Redis < 2.6 hashes): a count byte, then per pair a key length, the key, a
value length, a free-bytes count, the value and that many unused bytes; 0xFF ends it.
"""

from __future__ import annotations

import struct
from typing import Iterable

from node.numbers import is_int


class EncodingError(ValueError):
    """A blob that is not a valid listpack/ziplist/intset/zipmap."""


Element = bytes | int  # a decoded entry: its bytes, or its value when integer-encoded

# -- listpack: writing ---------------------------------------------------------------------------

_INT_FORMS = ((0xF1, 2), (0xF2, 3), (0xF3, 4), (0xF4, 8))


def backlen(size: int) -> bytes:
    """lpEncodeBacklen: `size` in 7-bit groups, most significant first, all but the first
    flagged with 128 (its thresholds are one short of the natural ones)."""
    if size <= 127:
        return bytes((size,))
    width = 2 if size < 16383 else 3 if size < 2097151 else 4 if size < 268435455 else 5
    return bytes([size >> 7 * (width - 1)]
                 + [(size >> 7 * i) & 127 | 128 for i in range(width - 2, -1, -1)])


def int_entry(v: int) -> bytes:
    """The listpack entry of a 64-bit integer."""
    if 0 <= v <= 127:
        return bytes((v, 1))
    if -4096 <= v <= 4095:
        v &= 0x1FFF
        return bytes((0xC0 | v >> 8, v & 0xFF, 2))
    for tag, width in _INT_FORMS:
        if -(1 << (8 * width - 1)) <= v < 1 << (8 * width - 1):
            return (bytes((tag,)) + (v & ((1 << 8 * width) - 1)).to_bytes(width, "little")
                    + bytes((width + 1,)))
    raise OverflowError("integer out of the 64-bit range")


def entry(item: bytes) -> bytes:
    """The listpack entry lpAppend writes for `item`: an integer when it reads as one."""
    n = len(item)
    if n <= 20 and n and (item[0] <= 57) and is_int(item):
        return int_entry(int(item))
    if n < 64:
        return bytes((0x80 | n,)) + item + bytes((n + 1,))
    if n < 4096:
        body = bytes((0xE0 | n >> 8, n & 0xFF)) + item
    else:
        body = b"\xf0" + n.to_bytes(4, "little") + item
    return body + backlen(len(body))


def build(entries: list[bytes], count: int | None = None) -> bytes:
    """A listpack of already encoded `entries` (`count` elements; default one per entry)."""
    body = b"".join(entries)
    if count is None:
        count = len(entries)
    return ((len(body) + 7).to_bytes(4, "little") + min(count, 65535).to_bytes(2, "little")
            + body + b"\xff")


def pack(items: Iterable[bytes]) -> bytes:
    """A listpack holding `items` in order."""
    return build([entry(item) for item in items])


# -- listpack: reading ---------------------------------------------------------------------------


def unpack(lp: bytes | memoryview) -> list[Element]:
    """The elements of a listpack (integers as ints), validating its whole structure."""
    n = len(lp)
    if n < 7:
        raise EncodingError("listpack shorter than its header")
    total = int.from_bytes(lp[0:4], "little")
    declared = int.from_bytes(lp[4:6], "little")
    if total != n:
        raise EncodingError("listpack size in header differs from its length")
    if lp[n - 1] != 0xFF:
        raise EncodingError("listpack without its terminator")
    out: list[Element] = []
    append = out.append
    p = 6
    end = n - 1
    while p < end:
        b = lp[p]
        if b < 0x80:
            append(b)
            size = 1
        elif b < 0xC0:
            size = 1 + (b & 0x3F)
            if p + size > end:
                raise EncodingError("listpack string past the end")
            append(bytes(lp[p + 1:p + size]))
        elif b < 0xE0:
            if p + 2 > end:
                raise EncodingError("listpack integer past the end")
            v = (b & 0x1F) << 8 | lp[p + 1]
            append(v - 0x2000 if v >= 0x1000 else v)
            size = 2
        elif b < 0xF0:
            if p + 2 > end:
                raise EncodingError("listpack string past the end")
            slen = (b & 0x0F) << 8 | lp[p + 1]
            size = 2 + slen
            if p + size > end:
                raise EncodingError("listpack string past the end")
            append(bytes(lp[p + 2:p + size]))
        elif b == 0xF0:
            if p + 5 > end:
                raise EncodingError("listpack string past the end")
            slen = int.from_bytes(lp[p + 1:p + 5], "little")
            size = 5 + slen
            if p + size > end:
                raise EncodingError("listpack string past the end")
            append(bytes(lp[p + 5:p + size]))
        elif 0xF1 <= b <= 0xF4:
            width = (2, 3, 4, 8)[b - 0xF1]
            size = 1 + width
            if p + size > end:
                raise EncodingError("listpack integer past the end")
            append(int.from_bytes(lp[p + 1:p + size], "little", signed=True))
        else:
            raise EncodingError(f"invalid listpack entry encoding 0x{b:02x}")
        back = backlen(size)
        q = p + size
        if lp[q:q + len(back)] != back:
            raise EncodingError("listpack entry back-length mismatch")
        p = q + len(back)
    if p != end:
        raise EncodingError("listpack entries overrun the terminator")
    if declared != 65535 and declared != len(out):
        raise EncodingError("listpack element count in header differs from its entries")
    return out


def as_bytes(element: Element) -> bytes:
    """A decoded element as the string Redis gives back for it."""
    return element if element.__class__ is bytes else b"%d" % element  # type: ignore[str-bytes-safe]


def unpack_bytes(lp: bytes | memoryview) -> list[bytes]:
    """The elements of a listpack, all as strings."""
    return [e if e.__class__ is bytes else b"%d" % e for e in unpack(lp)]  # type: ignore[misc]


# -- intset --------------------------------------------------------------------------------------


def intset(values: list[int]) -> bytes:
    """An intset of distinct integers (sorted here)."""
    values = sorted(values)
    lo, hi = (values[0], values[-1]) if values else (0, 0)
    width, fmt = ((2, "h") if -(1 << 15) <= lo and hi < 1 << 15 else
                  (4, "i") if -(1 << 31) <= lo and hi < 1 << 31 else (8, "q"))
    return struct.pack(f"<II{len(values)}{fmt}", width, len(values), *values)


def unpack_intset(blob: bytes | memoryview) -> list[int]:
    """The values of an intset, checked to be strictly ascending (intsetValidateIntegrity)."""
    if len(blob) < 8:
        raise EncodingError("intset shorter than its header")
    width, count = struct.unpack_from("<II", blob)
    fmt = {2: "h", 4: "i", 8: "q"}.get(width)
    if fmt is None:
        raise EncodingError(f"invalid intset encoding {width}")
    if len(blob) != 8 + width * count:
        raise EncodingError("intset size differs from its header")
    values = list(struct.unpack_from(f"<{count}{fmt}", blob, 8))
    for a, b in zip(values, values[1:]):
        if a >= b:
            raise EncodingError("intset values not in strictly ascending order")
    return values


# -- ziplist (read only) -------------------------------------------------------------------------


def unpack_ziplist(zl: bytes | memoryview) -> list[bytes]:
    """The elements of a ziplist, as strings (integers in their decimal form)."""
    n = len(zl)
    if n < 11:
        raise EncodingError("ziplist shorter than its header")
    if int.from_bytes(zl[0:4], "little") != n:
        raise EncodingError("ziplist size in header differs from its length")
    declared = int.from_bytes(zl[8:10], "little")
    if zl[n - 1] != 0xFF:
        raise EncodingError("ziplist without its terminator")
    out: list[bytes] = []
    p = 10
    end = n - 1
    prev = 0
    while p < end:
        start = p
        # The previous entry's length: 1 byte, or 0xFE then 4 bytes.
        if zl[p] == 0xFE:
            if p + 5 > end:
                raise EncodingError("ziplist entry past the end")
            prevlen = int.from_bytes(zl[p + 1:p + 5], "little")
            p += 5
        else:
            prevlen = zl[p]
            p += 1
        if prevlen != prev:
            raise EncodingError("ziplist entry prevlen mismatch")
        if p >= end:
            raise EncodingError("ziplist entry past the end")
        b = zl[p]
        kind = b >> 6
        if kind == 0:
            slen, p = b & 0x3F, p + 1
        elif kind == 1:
            if p + 2 > end:
                raise EncodingError("ziplist entry past the end")
            slen, p = (b & 0x3F) << 8 | zl[p + 1], p + 2
        elif b == 0x80:
            if p + 5 > end:
                raise EncodingError("ziplist entry past the end")
            slen, p = int.from_bytes(zl[p + 1:p + 5], "big"), p + 5
        else:
            slen = -1
            width = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}.get(b)
            p += 1
            if width is not None:
                if p + width > end:
                    raise EncodingError("ziplist entry past the end")
                value = int.from_bytes(zl[p:p + width], "little", signed=True)
                p += width
            elif 0xF1 <= b <= 0xFD:
                value = (b & 0x0F) - 1
            else:
                raise EncodingError(f"invalid ziplist entry encoding 0x{b:02x}")
            out.append(b"%d" % value)
        if slen >= 0:
            if p + slen > end:
                raise EncodingError("ziplist string past the end")
            out.append(bytes(zl[p:p + slen]))
            p += slen
        prev = p - start
    if p != end:
        raise EncodingError("ziplist entries overrun the terminator")
    if declared != 65535 and declared != len(out):
        raise EncodingError("ziplist element count in header differs from its entries")
    return out


# -- zipmap (read only) --------------------------------------------------------------------------


def unpack_zipmap(zm: bytes | memoryview) -> list[bytes]:
    """A zipmap's keys and values, alternating."""
    n = len(zm)
    if n < 2:
        raise EncodingError("zipmap shorter than its header")
    out: list[bytes] = []
    p = 1

    def length() -> int:
        nonlocal p
        if p >= n:
            raise EncodingError("zipmap entry past the end")
        b = zm[p]
        if b < 254:
            p += 1
            return b
        if b == 254:
            if p + 5 > n:
                raise EncodingError("zipmap entry past the end")
            v = int.from_bytes(zm[p + 1:p + 5], "little")
            p += 5
            return v
        return -1  # 255: the end (left unconsumed)

    while True:
        klen = length()
        if klen < 0:
            break
        if p + klen > n:
            raise EncodingError("zipmap key past the end")
        key = bytes(zm[p:p + klen])
        p += klen
        vlen = length()
        if vlen < 0 or p >= n:
            raise EncodingError("zipmap key without a value")
        free = zm[p]
        p += 1
        if p + vlen + free > n:
            raise EncodingError("zipmap value past the end")
        out += (key, bytes(zm[p:p + vlen]))
        p += vlen + free
    if p != n - 1:
        raise EncodingError("zipmap data after its terminator")
    return out
