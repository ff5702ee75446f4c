"""LZF, the compression Redis uses for strings in RDB files and DUMP payloads (liblzf 3.6).

`lzf_compress` reproduces liblzf's compressor byte for byte as Redis 7.0 builds it, so the
sizes DEBUG OBJECT reports (`serializedlength`) and the bytes slotkv writes are Redis's own.
`lzf_decompress` reads any valid LZF stream, refusing malformed ones with `LzfError` rather
than reading or writing out of bounds.

Format: a sequence of runs. A control byte below 32 starts a literal run of (ctrl + 1) bytes;
otherwise its top 3 bits are a match length (7 meaning "add the next byte"), its low 5 bits
the high part of the distance, and the next byte the low part: copy (length + 2) bytes from
(distance + 1) bytes back in the output, which may overlap what the copy writes.
"""

from __future__ import annotations


class LzfError(ValueError):
    """A compressed stream that does not decode to the announced length."""


def lzf_compress(data: bytes, out_len: int) -> bytes | None:
    """liblzf 3.6's lzf_compress as Redis 7.0 builds it (HLOG 16, VERY_FAST), or None when
    the output would not fit in `out_len` bytes. Redis's hash table starts uninitialized; a
    clean one is the deterministic equivalent (stale entries can only point outside the
    input, where the match test rejects them)."""
    n = len(data)
    if not n or not out_len:
        return None
    out = bytearray()
    htab: dict[int, int] = {}
    lit_start = 0  # index in `out` of the current literal run's length byte
    lit = 0
    out.append(0)
    ip = 0
    hval = (data[0] << 8) | data[1] if n > 1 else data[0] << 8
    mask = 0xFFFFFFFF

    def idx(h: int) -> int:
        return ((h >> 8) - h * 5) & 0xFFFF

    while ip < n - 2:
        hval = ((hval << 8) | data[ip + 2]) & mask
        slot = idx(hval)
        ref = htab.get(slot, -1)
        htab[slot] = ip
        off = ip - ref - 1
        if (ref > 0 and 0 <= off < 8192
                and data[ref] == data[ip] and data[ref + 1] == data[ip + 1]
                and data[ref + 2] == data[ip + 2]):
            length = 2
            maxlen = min(n - ip - length, 264)
            out[lit_start] = (lit - 1) & 0xFF
            if not lit:
                out.pop()  # undo the empty run
            if len(out) + 3 + 1 >= out_len:
                return None
            # The C code compares 16 bytes unrolled (no bound check) when maxlen > 16, then
            # continues byte by byte while below maxlen; the match length follows that exactly.
            unrolled_to = length + 16 if maxlen > 16 else length
            mismatch = False
            while length < unrolled_to:
                length += 1
                if data[ref + length] != data[ip + length]:
                    mismatch = True
                    break
            if not mismatch:
                while True:
                    length += 1
                    if length >= maxlen or data[ref + length] != data[ip + length]:
                        break
            length -= 2
            ip += 1
            if length < 7:
                out.append((off >> 8) + (length << 5))
            else:
                out.append((off >> 8) + (7 << 5))
                out.append(length - 7)
            out.append(off & 0xFF)
            lit = 0
            lit_start = len(out)
            out.append(0)
            ip += length + 1
            if ip >= n - 2:
                break
            ip -= 2
            hval = (data[ip] << 8) | data[ip + 1]
            hval = ((hval << 8) | data[ip + 2]) & mask
            htab[idx(hval)] = ip
            ip += 1
            hval = ((hval << 8) | data[ip + 2]) & mask
            htab[idx(hval)] = ip
            ip += 1
        else:
            if len(out) >= out_len:
                return None
            lit += 1
            out.append(data[ip])
            ip += 1
            if lit == 32:
                out[lit_start] = 31
                lit = 0
                lit_start = len(out)
                out.append(0)
    if len(out) + 3 > out_len:
        return None
    while ip < n:
        lit += 1
        out.append(data[ip])
        ip += 1
        if lit == 32:
            out[lit_start] = 31
            lit = 0
            lit_start = len(out)
            out.append(0)
    out[lit_start] = (lit - 1) & 0xFF
    if not lit:
        out.pop()
    return bytes(out)



def lzf_decompress(data: bytes | memoryview, out_len: int) -> bytes:
    """The `out_len` bytes `data` decompresses to; LzfError if it does not decode to exactly
    that many (lzf_decompress returning anything else is a corrupt string to Redis)."""
    out = bytearray()
    ip = 0
    n = len(data)
    while ip < n:
        ctrl = data[ip]
        ip += 1
        if ctrl < 32:  # a literal run
            ctrl += 1
            if ip + ctrl > n or len(out) + ctrl > out_len:
                raise LzfError("literal run past the end")
            out += data[ip:ip + ctrl]
            ip += ctrl
            continue
        length = ctrl >> 5
        if ip >= n:
            raise LzfError("truncated back reference")
        if length == 7:
            length += data[ip]
            ip += 1
            if ip >= n:
                raise LzfError("truncated back reference")
        distance = ((ctrl & 0x1F) << 8) + data[ip] + 1
        ip += 1
        length += 2
        op = len(out)
        if op + length > out_len or distance > op:
            raise LzfError("back reference out of bounds")
        ref = op - distance
        if distance >= length:
            out += out[ref:ref + length]
        else:  # the copy overlaps its own output: the last `distance` bytes repeat
            pattern = bytes(out[ref:])
            out += (pattern * (length // distance + 1))[:length]
    if len(out) != out_len:
        raise LzfError("decompressed length differs from the announced one")
    return bytes(out)
