"""The HyperLogLog group: PFADD, PFCOUNT, PFMERGE and PFDEBUG (Redis's hyperloglog.c).

An HLL is an ordinary string value in Redis's own layout, so every string command works on it
and an HLL made by redis-server (GET there, SET here) is readable:

    "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | 8-byte cardinality cache | data

The cache is little endian; its top bit set means "stale". Dense data is 16384 6-bit
registers packed LSB first (12288 bytes). Sparse data is a run-length code: ZERO `00xxxxxx`
(1-64 zero registers), XZERO `01xxxxxx yyyyyyyy` (1-16384 zero registers) and VAL `1vvvvvxx`
(1-4 registers of value 1-32). A new HLL is sparse; it turns dense for good when a register
exceeds 32 or the string would grow past `hll-sparse-max-bytes`.

Registers come from a 64-bit hash of each element (p = 14: the low 14 bits pick the register,
the position of the lowest set bit above them is its value). Redis hashes with MurmurHash64A;
slotkv uses mmh3 (the low half of MurmurHash3 x64 128, as DESIGN.md decides), so the same
elements fill different registers here, with the same statistics. The cardinality is Redis 7's
estimator (Ertl's improved raw estimate, hllSigma/hllTau), standard error 0.81%.

Everything that reads registers works on an unpacked form, one byte per register, converted
with whole-buffer C operations (slices, `bytes.translate`, big-int bit operations) rather than
a Python loop per register. PFADD updates a dense HLL's packed registers in place, and splices
a sparse one as Redis's hllSparseSet does (so it grows, and turns dense, as in Redis) or, for
many elements at once, rewrites it from its registers.
"""

from __future__ import annotations

import math
import re
from typing import Any

from mmh3 import mmh3_x64_128_uintdigest

from node.errors import WRONGTYPE, CommandError
from node.notify import STRING
from node.replies import OK, Status
from node.table import KeySpec, command

NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
INVALID_HLL = "INVALIDOBJ Corrupted HLL object detected"

HDR = 16                       # header bytes
REGISTERS = 16384              # 2**14
DENSE_SIZE = HDR + REGISTERS * 6 // 8
DENSE, SPARSE = 0, 1           # the header's encoding byte
Q = 50                         # hash bits left for the run of zeros (64 - 14)
SPARSE_VAL_MAX = 32            # the largest register a VAL opcode can hold
ALPHA_INF = 0.721347520444481703680  # 0.5 / ln(2)
EMPTY_SPARSE = b"HYLL\x01" + bytes(11) + b"\x7f\xff"  # one XZERO over all registers
# What llroundl gives on x86-64 for an estimate beyond int64 (infinite when the registers of a
# crafted HLL all exceed Q): Redis replies with it, and caches it as an unsigned 64-bit value.
LLROUND_OVERFLOW = -(1 << 63)

_SEED = 0xADC83B19
# OR-ed into the hash so the run of zeros above the index stops at bit 64 (value Q + 1).
_STOP = 1 << 64


def _patterns(elements: list[bytes]) -> list[tuple[int, int]]:
    """(register index, register value) for each element (hllPatLen)."""
    out = []
    for ele in elements:
        # The low 64 bits of the 128-bit digest are mmh3.hash128's low half: bits above 64
        # only matter if none below is set, and _STOP makes sure one is.
        h = mmh3_x64_128_uintdigest(ele, _SEED) | _STOP
        run = h >> 14
        out.append((h & 16383, (run & -run).bit_length()))
    return out


# -- validation and lookups -------------------------------------------------------------------


def is_hll(value: bytes | bytearray) -> bool:
    """isHLLObjectOrReply's test of a string value."""
    n = len(value)
    return (n >= HDR and value[:4] == b"HYLL" and value[4] <= SPARSE
            and (value[4] == SPARSE or n == DENSE_SIZE))


def _unshare(db: Any, key: bytes, value: bytes | bytearray) -> bytearray:
    """dbUnshareStringValue: the key's string as a bytearray (Redis's raw encoding) that can
    be changed in place. Redis swaps the object without signalling a change, since the value
    is the same; so does this."""
    if value.__class__ is bytearray:
        return value
    buf = bytearray(value)
    db.replace(key, buf)
    return buf


def _hll_or_none(value: Any) -> Any:
    if value is None:
        return None
    if value.__class__ is int:
        raise CommandError(NOT_HLL)
    if value.__class__ is not bytes and value.__class__ is not bytearray:
        raise CommandError(WRONGTYPE)
    if not is_hll(value):
        raise CommandError(NOT_HLL)
    return value


# -- dense registers ----------------------------------------------------------------------------

# Four 6-bit registers fill three bytes: r0 = b0 & 63, r1 = b0 >> 6 | (b1 & 15) << 2,
# r2 = b1 >> 4 | (b2 & 3) << 4, r3 = b2 >> 2. Each byte of each stride is mapped through a
# translate table; the two parts of r1 and r2 occupy disjoint bits of each byte, so OR-ing the
# strides as big integers combines them lane by lane.
_T = {
    "and63": bytes(i & 63 for i in range(256)),
    "shr6": bytes(i >> 6 for i in range(256)),
    "low4shl2": bytes((i & 15) << 2 for i in range(256)),
    "shr4": bytes(i >> 4 for i in range(256)),
    "low2shl4": bytes((i & 3) << 4 for i in range(256)),
    "shr2": bytes(i >> 2 for i in range(256)),
    "shl6": bytes((i << 6) & 255 for i in range(256)),
    "shl4": bytes((i << 4) & 255 for i in range(256)),
    "shl2": bytes((i << 2) & 255 for i in range(256)),
}
_QUARTER = REGISTERS // 4


def _or(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") | int.from_bytes(b, "little")).to_bytes(_QUARTER, "little")


def unpack_dense(value: bytes | bytearray) -> bytearray:
    """The registers of a dense HLL, one byte each."""
    data = bytes(value[HDR:])
    b0, b1, b2 = data[0::3], data[1::3], data[2::3]
    regs = bytearray(REGISTERS)
    regs[0::4] = b0.translate(_T["and63"])
    regs[1::4] = _or(b0.translate(_T["shr6"]), b1.translate(_T["low4shl2"]))
    regs[2::4] = _or(b1.translate(_T["shr4"]), b2.translate(_T["low2shl4"]))
    regs[3::4] = b2.translate(_T["shr2"])
    return regs


def pack_dense(regs: bytes | bytearray) -> bytearray:
    """Registers (one byte each, at most 63) packed as dense HLL data."""
    r0, r1, r2, r3 = regs[0::4], regs[1::4], regs[2::4], regs[3::4]
    data = bytearray(REGISTERS * 6 // 8)
    data[0::3] = _or(r0, r1.translate(_T["shl6"]))
    data[1::3] = _or(r1.translate(_T["shr2"]), r2.translate(_T["shl4"]))
    data[2::3] = _or(r2.translate(_T["shr4"]), r3.translate(_T["shl2"]))
    return data


def _dense_update(buf: bytearray, patterns: list[tuple[int, int]]) -> bool:
    """hllDenseSet for each pattern on packed registers in place; True if one grew."""
    changed = False
    for idx, count in patterns:
        bit = idx * 6
        b = HDR + (bit >> 3)
        fb = bit & 7
        if fb <= 2:  # the register lies within one byte (the last one always does)
            byte = buf[b]
            if count > (byte >> fb) & 63:
                buf[b] = byte & ~(63 << fb) | count << fb
                changed = True
        else:
            w = buf[b] | buf[b + 1] << 8
            if count > (w >> fb) & 63:
                w = w & ~(63 << fb) | count << fb
                buf[b] = w & 255
                buf[b + 1] = w >> 8
                changed = True
    return changed


# -- sparse registers ---------------------------------------------------------------------------

_XZERO = re.compile(rb"[\x40-\x7f]")  # only an XZERO opcode starts with 01
_ZEROS = re.compile(rb"(\x00+)")
_SPARSE_VALUES = bytes(range(SPARSE_VAL_MAX + 1))  # deleted, what is left cannot be sparse

# One-byte opcode -> the registers it stands for, and how many (0 marks an XZERO first byte).
_EXPAND = tuple(bytes((b & 63) + 1) if b < 0x40
                else bytes((((b >> 2) & 31) + 1,)) * ((b & 3) + 1) if b >= 0x80 else b""
                for b in range(256))
_SPAN = tuple(len(x) for x in _EXPAND)


def _val(value: int, run: int) -> int:
    return 0x80 | (value - 1) << 2 | (run - 1)


def _zeros(run: int) -> bytes:
    """The opcode for `run` zero registers: ZERO up to 64, XZERO beyond."""
    if run > 64:
        return bytes((0x40 | (run - 1) >> 8, (run - 1) & 255))
    return bytes((run - 1,))


class _Encode(dict):
    """Registers -> opcodes, for a run of zeros or a run of non-zero registers. Short zero runs
    and runs of up to four equal values are in the table; a longer zero run (at most 16384)
    becomes an XZERO, and mixed values are cut into runs of equal ones, on demand."""

    def __missing__(self, run: bytes) -> bytes:
        if not run[0]:
            return _zeros(len(run))
        out = bytearray()
        i, n = 0, len(run)
        while i < n:
            v = run[i]
            j = i + 1
            while j < n and j - i < 4 and run[j] == v:
                j += 1
            out.append(_val(v, j - i))
            i = j
        return bytes(out)


_ENCODE = _Encode({bytes(n): _zeros(n) for n in range(1, 65)})
_ENCODE[b""] = b""
_ENCODE.update({bytes((v,)) * n: bytes((_val(v, n),))
                for v in range(1, SPARSE_VAL_MAX + 1) for n in range(1, 5)})


def decode_sparse(value: bytes | bytearray) -> bytes | None:
    """The registers of a sparse HLL, one byte each; None if the code is corrupt: it does not
    cover exactly 16384 registers. Every reader in redis-server 7.0.15 as shipped (with the
    fix for CVE-2025-32023) is this strict: hllMerge and hllSparseToDense refuse an opcode
    running past register 16384 rather than stopping before it, and hllSparseRegHisto counts
    every opcode."""
    # Runs of one-byte opcodes expand through a table in C; only XZEROs take a Python step.
    # Every opcode covers at least one register, so past 16384 of them the code is too long
    # (however long a corrupt string is, no more than that is expanded).
    parts = []
    total = 0
    p = HDR
    end = len(value)
    while p < end and total <= REGISTERS:
        limit = min(end, p + REGISTERS + 1)
        m = _XZERO.search(value, p, limit)
        stop = limit if m is None else m.start()
        if stop > p:
            part = b"".join(map(_EXPAND.__getitem__, value[p:stop]))
            parts.append(part)
            total += len(part)
        if m is None:
            p = stop
            continue
        # A truncated XZERO reads the NUL after the string, as Redis's does.
        low = value[stop + 1] if stop + 1 < end else 0
        run = ((value[stop] & 63) << 8 | low) + 1
        total += run
        if total <= REGISTERS:
            parts.append(bytes(run))
        p = stop + 2
    return b"".join(parts) if total == REGISTERS else None


def encode_sparse(regs: bytes | bytearray) -> bytes:
    """The shortest sparse data for registers that are all at most 32."""
    return b"".join(map(_ENCODE.__getitem__, _ZEROS.split(regs)))


def registers(value: bytes | bytearray) -> bytes | bytearray:
    """The registers of a valid HLL string; INVALIDOBJ if its sparse code is corrupt."""
    if value[4] == DENSE:
        return unpack_dense(value)
    regs = decode_sparse(value)
    if regs is None:
        raise CommandError(INVALID_HLL)
    return regs


def to_dense(value: bytes | bytearray, regs: bytes | bytearray | None = None) -> bytearray:
    """hllSparseToDense: the same header (cache included) over dense data."""
    out = bytearray(value[:HDR])
    out[4] = DENSE
    return out + pack_dense(registers(value) if regs is None else regs)


def _store_registers(header: bytes | bytearray, regs: bytes | bytearray, dense: bool,
                     max_sparse: int) -> bytearray:
    """A new HLL string holding `regs` with a stale cache: sparse unless `dense`, a register
    is beyond what sparse can hold, or the sparse form would exceed `max_sparse` bytes."""
    out = None
    if not dense and not regs.translate(None, _SPARSE_VALUES):
        data = encode_sparse(regs)
        if HDR + len(data) <= max_sparse:
            out = bytearray(header[:HDR])
            out[4] = SPARSE
            out += data
    if out is None:
        out = to_dense(header, regs)
    out[15] |= 0x80
    return out


_SPANS = bytes(_SPAN)  # translate table: opcode -> registers, 0 for an XZERO's first byte
_CHUNK = 64


def _locate(buf: bytearray, idx: int) -> tuple[int, int, int]:
    """Where register `idx` is in a sparse code: (position of the opcode covering it, the
    first register that opcode covers, position of the opcode before it or -1). The position
    is len(buf) if the code ends first.

    Redis walks opcode by opcode; here runs of one-byte opcodes are measured in C (translated
    to their lengths and summed, a chunk at a time), and only the last chunk is walked.
    """
    end = len(buf)
    p = HDR
    first = 0
    prev = -1
    while p < end:
        # Within 16384 opcodes the register is found (each covers one at least).
        limit = min(end, p + REGISTERS)
        m = _XZERO.search(buf, p, limit)
        stop = limit if m is None else m.start()
        if stop > p:
            spans = buf[p:stop].translate(_SPANS)
            total = sum(spans)
            if idx < first + total:
                k = 0
                while True:
                    chunk = sum(spans[k:k + _CHUNK])
                    if idx < first + chunk:
                        break
                    first += chunk
                    k += _CHUNK
                while idx >= first + spans[k]:
                    first += spans[k]
                    k += 1
                return p + k, first, p + k - 1 if k else prev
            first += total
            prev = stop - 1
        if m is None:
            p = stop
            continue
        low = buf[stop + 1] if stop + 1 < end else 0
        span = ((buf[stop] & 63) << 8 | low) + 1
        if idx < first + span:
            return stop, first, prev
        first += span
        prev = stop
        p = stop + 2
    return end, first, prev


_UPDATED, _PROMOTE = 1, 2


def _sparse_set(buf: bytearray, idx: int, count: int, max_sparse: int) -> int:
    """hllSparseSet in place: 0 if the register already holds `count` or more, 1 if it was
    raised, _PROMOTE if the HLL must turn dense first; INVALIDOBJ if the code is corrupt.

    Redis's own algorithm, so a sparse HLL grows (and turns dense) as it does in Redis: find
    the opcode covering the register, split it into at most three, then merge equal adjacent
    VAL opcodes around the change.
    """
    if count > SPARSE_VAL_MAX:
        return _PROMOTE
    p, first, prev = _locate(buf, idx)
    end = len(buf)
    if p >= end or (buf[p] & 0xC0 == 0x40 and p + 1 >= end):
        raise CommandError(INVALID_HLL)
    span = _SPAN[buf[p]] or ((buf[p] & 63) << 8 | buf[p + 1]) + 1
    op = buf[p]
    if op & 0x80:
        old = ((op >> 2) & 31) + 1
        if old >= count:
            return 0
        simple = span == 1
    else:
        simple = op < 0x40 and span == 1
    if simple:  # a lone VAL or ZERO register: rewrite the opcode itself
        buf[p] = _val(count, 1)
    else:
        last = first + span - 1
        if op & 0x80:
            seq = bytearray()
            if idx != first:
                seq.append(_val(old, idx - first))
            seq.append(_val(count, 1))
            if idx != last:
                seq.append(_val(old, last - idx))
        else:
            seq = bytearray(_zeros(idx - first)) if idx != first else bytearray()
            seq.append(_val(count, 1))
            if idx != last:
                seq += _zeros(last - idx)
        oplen = 1 if op < 0x40 or op & 0x80 else 2
        if len(seq) > oplen and end + len(seq) - oplen > max_sparse:
            return _PROMOTE
        buf[p:p + oplen] = seq
        end = len(buf)
    # Merge adjacent VALs of one value, scanning up to five opcodes from the previous one.
    p = prev if prev >= 0 else HDR
    scan = 5
    while p < end and scan:
        scan -= 1
        op = buf[p]
        if not op & 0x80:
            p += 1 if op < 0x40 else 2
            continue
        if p + 1 < end:
            nxt = buf[p + 1]
            if nxt & 0x80 and (op ^ nxt) & 0x7c == 0:
                run = (op & 3) + (nxt & 3) + 2
                if run <= 4:
                    buf[p + 1] = (nxt & 0xfc) | (run - 1)
                    del buf[p]
                    end -= 1
                    continue
        p += 1
    return _UPDATED


# Beyond this many elements one PFADD rewrites a sparse HLL from its registers instead of
# splicing each change in: cheaper, and just as valid a code.
_BULK = 16


def _sparse_add(buf: bytearray, patterns: list[tuple[int, int]], max_sparse: int,
                bulk: bool = True) -> bool:
    """Apply PFADD's patterns to the sparse HLL in `buf`, in place (it may turn dense); without
    `bulk`, always one hllSparseSet after another, so the code keeps Redis's layout."""
    if bulk and len(patterns) > _BULK:
        regs = bytearray(registers(buf))
        changed = False
        for idx, n in patterns:
            if n > regs[idx]:
                regs[idx] = n
                changed = True
        if changed:
            buf[:] = _store_registers(buf, regs, False, max_sparse)
        return changed
    changed = False
    for i, (idx, n) in enumerate(patterns):
        done = _sparse_set(buf, idx, n, max_sparse)
        if done == _PROMOTE:
            buf[:] = to_dense(buf)
            _dense_update(buf, patterns[i:])
            return True
        changed = changed or done == _UPDATED
    return changed


# -- the estimator ------------------------------------------------------------------------------


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        z_prime = z
        z += x * y
        y += y
        if z_prime == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        z_prime = z
        y *= 0.5
        z -= (1 - x) ** 2 * y
        if z_prime == z:
            return z / 3


def count(regs: bytes | bytearray) -> int:
    """hllCount: the estimated cardinality from the register histogram."""
    histo = [0] * (Q + 2)
    left = REGISTERS
    value = 0
    while left and value <= Q + 1:  # registers above Q + 1 (only in crafted HLLs) are unused
        n = regs.count(value)
        histo[value] = n
        left -= n
        value += 1
    m = float(REGISTERS)
    z = m * _tau((m - histo[Q + 1]) / m)
    for j in range(Q, 0, -1):
        z += histo[j]
        z *= 0.5
    z += m * _sigma(histo[0] / m)
    if z == 0.0:
        return LLROUND_OVERFLOW  # only crafted registers (all above Q) make it 0
    estimate = ALPHA_INF * m * m / z
    if estimate >= 2.0 ** 63:
        return LLROUND_OVERFLOW
    return math.floor(estimate + 0.5)  # llroundl of a positive value


def _swar_max(acc: int, regs: bytes | bytearray) -> int:
    """Lane-wise max of two register arrays held as little-endian integers (one byte per
    register, values below 128): a lane of ((a | 0x80) - b) keeps its top bit iff a >= b."""
    b = int.from_bytes(regs, "little")
    keep_a = (((acc | _HIGH_BITS) - b) & _HIGH_BITS) >> 7
    mask = keep_a * 255
    return (acc & mask) | (b & ~mask)


_HIGH_BITS = int.from_bytes(b"\x80" * REGISTERS, "little")


def _merged(db: Any, keys: list[bytes]) -> tuple[int, bool]:
    """The register-wise max of the HLLs at `keys` (missing keys are empty), as an integer,
    and whether one of them is dense."""
    acc = 0
    dense = False
    for key in keys:
        value = _hll_or_none(db.get(key))
        if value is None:
            continue
        dense = dense or value[4] == DENSE
        acc = _swar_max(acc, registers(value))
    return acc, dense


# -- commands ---------------------------------------------------------------------------------


@command("pfadd", -2, "write denyoom fast", keys=(1, 1, 1), group="hyperloglog",
         key_flags="RW insert", since="2.8.9", complexity="O(1) to add every element.",
         summary="Adds the specified elements to the specified HyperLogLog.")
def pfadd(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    key = argv[1]
    value = _hll_or_none(db.lookup_write(key))
    patterns = _patterns(argv[2:])
    buf = bytearray(EMPTY_SPARSE) if value is None else _unshare(db, key, value)
    if buf[4] == DENSE:
        changed = _dense_update(buf, patterns)
    else:
        changed = _sparse_add(buf, patterns, ctx.server.config["hll-sparse-max-bytes"])
    if value is None:
        buf[15] |= 0x80  # a new key's cache is stale too, even with no element added
        db.set(key, buf)
    elif changed:
        buf[15] |= 0x80
        db.modified(key)
    else:
        return 0
    if db.keyspace.notify_flags:
        db.notify(STRING, b"pfadd", key)
    return 1


@command("pfcount", -2, "readonly", keys=(1, -1, 1), group="hyperloglog", since="2.8.9",
         key_flags="RW access",
         key_notes="RW because it may change the internal representation of the key, and "
                   "propagate to replicas",
         complexity="O(1) with a very small average constant time when called with a single "
                    "key. O(N) with N being the number of keys, and much bigger constant times, "
                    "when called with multiple keys.",
         summary="Return the approximated cardinality of the set(s) observed by the "
                 "HyperLogLog at key(s).")
def pfcount(ctx: Any, argv: list[bytes]) -> int:
    db = ctx.db
    if len(argv) > 2:
        acc, _ = _merged(db, argv[1:])
        return count(acc.to_bytes(REGISTERS, "little"))
    key = argv[1]
    value = _hll_or_none(db.get(key))
    if value is None:
        return 0
    buf = _unshare(db, key, value)
    if not buf[15] & 0x80:
        return int.from_bytes(buf[8:16], "little")
    card = count(registers(buf))
    # Caching the result changes the string, so it is a write as far as WATCH and replicas
    # are concerned, as in Redis.
    buf[8:16] = (card & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
    db.modified(key)
    return card


@command("pfmerge", -2, "write denyoom", group="hyperloglog", since="2.8.9",
         keys=(1, -1, 1),
         key_specs=(KeySpec(("RW", "access", "insert"), 1, lastkey=0),
                    KeySpec(("RO", "access"), 2, lastkey=-1)),
         complexity="O(N) to merge N HyperLogLogs, but with high constant times.",
         summary="Merge N different HyperLogLogs into a single one.")
def pfmerge(ctx: Any, argv: list[bytes]) -> Any:
    db = ctx.db
    dest = argv[1]
    acc, dense = _merged(db, argv[1:])  # the destination is one of the sources
    value = db.lookup_write(dest)
    merged = acc.to_bytes(REGISTERS, "little")
    max_sparse = ctx.server.config["hll-sparse-max-bytes"]
    if value is None or dense or value[4] == DENSE:
        # A fresh code for a new key is the one Redis's register-by-register sets build
        header = EMPTY_SPARSE if value is None else value
        result = _store_registers(header, merged, dense, max_sparse)
    else:
        # Redis sets the merged registers into the destination's own code, one hllSparseSet
        # each, so that code's layout carries over (a fresh encoding may group VALs otherwise)
        own = registers(value)
        result = bytearray(value)
        _sparse_add(result, [(i, merged[i]) for i in range(REGISTERS) if merged[i] != own[i]],
                    max_sparse, bulk=False)
        result[15] |= 0x80
    db.set(dest, result, keep_ttl=True)
    db.notify(STRING, b"pfadd", dest)  # as Redis: a merge announces itself as a PFADD
    return OK


@command("pfdebug", 3, "write denyoom admin", keys=(2, 2, 1), group="hyperloglog",
         key_flags="RW access", since="2.8.9", complexity="N/A",
         summary="Internal commands for debugging HyperLogLog values",
         doc_flags="syscmd")
def pfdebug(ctx: Any, argv: list[bytes]) -> Any:
    db = ctx.db
    key = argv[2]
    value = db.lookup_write(key)
    if value is None:
        raise CommandError("ERR The specified key does not exist")
    value = _unshare(db, key, _hll_or_none(value))
    sub = argv[1].split(b"\0", 1)[0].lower()  # strcasecmp stops at a NUL
    if sub in (b"getreg", b"todense"):
        converted = value[4] == SPARSE
        if converted:
            value[:] = to_dense(value)
            db.modified(key)
        if sub == b"todense":
            return int(converted)
        return list(unpack_dense(value))
    if sub == b"decode":
        if value[4] != SPARSE:
            raise CommandError("ERR HLL encoding is not sparse")
        return _describe_sparse(value)
    if sub == b"encoding":
        return Status(b"dense" if value[4] == DENSE else b"sparse")
    raise CommandError("ERR Unknown PFDEBUG subcommand '%s'"
                       % argv[1].split(b"\0", 1)[0].decode("utf-8", "surrogateescape"))


def _describe_sparse(value: bytes | bytearray) -> bytes:
    """PFDEBUG DECODE's listing of the opcodes (a truncated last XZERO is read as Redis reads
    it, with the byte after the string, its terminating NUL)."""
    parts = []
    p = HDR
    end = len(value)
    while p < end:
        b = value[p]
        if b < 0x40:
            parts.append(b"z:%d" % (b + 1))
        elif b < 0x80:
            low = value[p + 1] if p + 1 < end else 0
            parts.append(b"Z:%d" % (((b & 63) << 8 | low) + 1))
            p += 1
        else:
            parts.append(b"v:%d,%d" % (((b >> 2) & 31) + 1, (b & 3) + 1))
        p += 1
    return b" ".join(parts)
