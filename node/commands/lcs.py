"""LCS: the longest common subsequence of two strings (Redis's lcsCommand in t_string.c).

Redis fills the whole (len(a)+1) x (len(b)+1) dynamic-programming table and walks it back
from the corner; which of several equally long subsequences it reports, and the order of the
IDX ranges, follow from that walk. Filling the table cell by cell in Python would be far too
slow, so each row is computed at once with the bit-parallel algorithm (Hyyrö 2004) on a
Python int of len(b) bits: a zero bit j in row i means LCS(i, j+1) = LCS(i, j) + 1, hence
LCS(i, j) = j - popcount(row_i & (2**j - 1)). The walk then asks exactly the table cells
Redis reads, so the reply is identical.
"""

from __future__ import annotations

from typing import Any

from node.errors import SYNTAX, CommandError
from node.keyspace import string_bytes
from node.numbers import parse_int
from node.table import command


def _rows(a: bytes, b: bytes) -> list[int]:
    """Row i (0..len(a)) of the LCS table, bit-encoded as described above."""
    masks: dict[int, int] = {}
    for j, ch in enumerate(b):
        masks[ch] = masks.get(ch, 0) | (1 << j)
    full = (1 << len(b)) - 1
    row = full
    rows = [row]
    get = masks.get
    for ch in a:
        u = row & get(ch, 0)
        row = ((row + u) | (row - u)) & full
        rows.append(row)
    return rows


def _length(a: bytes, b: bytes) -> int:
    rows = _rows(a, b) if len(a) <= len(b) else _rows(b, a)
    return min(len(a), len(b)) and (max(len(a), len(b)) - rows[-1].bit_count())


def _walk(a: bytes, b: bytes, min_len: int, want_ranges: bool, with_len: bool
          ) -> tuple[bytes, list]:
    """The LCS string and the matching ranges, in the order Redis emits them."""
    rows = _rows(a, b)

    def cell(i: int, j: int) -> int:
        return j - (rows[i] & ((1 << j) - 1)).bit_count()

    i, j = len(a), len(b)
    idx = cell(i, j)
    result = bytearray(idx)
    ranges: list = []
    unset = len(a)  # Redis's marker for "no range open"
    a_start = unset
    a_end = b_start = b_end = 0
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if a_start == unset:
                a_start = a_end = i - 1
                b_start = b_end = j - 1
            elif a_start == i and b_start == j:
                a_start -= 1
                b_start -= 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if cell(i - 1, j) > cell(i, j - 1):
                i -= 1
            else:
                j -= 1
            if a_start != unset:
                emit = True
        if emit:
            match_len = a_end - a_start + 1
            if want_ranges and (min_len == 0 or match_len >= min_len):
                entry = [[a_start, a_end], [b_start, b_end]]
                if with_len:
                    entry.append(match_len)
                ranges.append(entry)
            a_start = unset
    return bytes(result), ranges


@command("lcs", -3, "readonly", keys=(1, 2, 1), group="string", since="7.0.0",
         complexity="O(N*M) where N and M are the lengths of s1 and s2, respectively",
         summary="Find longest common substring")
def lcs(ctx: Any, argv: list[bytes]) -> Any:
    db = ctx.db
    a, b = string_bytes(db.get(argv[1])), string_bytes(db.get(argv[2]))
    for value in (a, b):
        if value is not None and value.__class__ is not bytes and value.__class__ is not bytearray:
            raise CommandError("ERR The specified keys must contain string values")
    a = bytes(a) if a is not None else b""
    b = bytes(b) if b is not None else b""
    get_idx = get_len = with_len = False
    min_len = 0
    j, n = 3, len(argv)
    while j < n:
        opt = argv[j].split(b"\0", 1)[0].lower()
        if opt == b"idx":
            get_idx = True
        elif opt == b"len":
            get_len = True
        elif opt == b"withmatchlen":
            with_len = True
        elif opt == b"minmatchlen" and j + 1 < n:
            min_len = max(parse_int(argv[j + 1]), 0)
            j += 1
        else:
            raise CommandError(SYNTAX)
        j += 1
    if get_idx and get_len:
        raise CommandError("ERR If you want both the length and indexes, please just use IDX.")
    if len(a) >= 2**32 - 2 or len(b) >= 2**32 - 2:
        raise CommandError("ERR String too long for LCS")
    # Redis refuses a table (of uint32 cells) bigger than proto-max-bulk-len.
    if (len(a) + 1) * (len(b) + 1) * 4 > ctx.server.config["proto-max-bulk-len"]:
        raise CommandError("ERR Insufficient memory, transient memory for LCS exceeds "
                           "proto-max-bulk-len")
    if get_len:
        return _length(a, b)
    text, ranges = _walk(a, b, min_len, get_idx, with_len)
    if get_idx:
        return {b"matches": ranges, b"len": len(text)}
    return text
