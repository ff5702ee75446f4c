"""Redis's glob matching (`stringmatchlen`) for KEYS, SCAN MATCH and CONFIG GET.

Patterns are translated once into an equivalent regular expression and cached, so matching a
whole keyspace runs in the `re` engine rather than in a Python loop. The translation follows
stringmatchlen's quirks: `[a-z]` ranges may be reversed, `[^...]` negates, `\\` escapes inside
and outside classes, an unterminated `[` class ends at the end of the pattern, a trailing
backslash is a literal backslash.

A plain translation (`*a*a*c` as `.*a.*a.*c`) backtracks exponentially when it fails, so one
KEYS, SCAN MATCH or PSUBSCRIBE pattern could hold the server for minutes. Between two stars
is a run of one-byte elements, and such a run is best matched at its first occurrence (any
match can be moved to it), so each run after a star but the last is an atomic group,
`(?>.*?run)`, which never backtracks once found: a match costs at most the subject's length
times the pattern's.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    return glob_matcher(pattern, nocase)(subject)


def glob_matcher(pattern: bytes, nocase: bool = False) -> Callable[[bytes], bool]:
    """A test for `pattern`, to run over many subjects (KEYS, SCAN MATCH).

    stringmatchlen never enters its loop for an empty subject, so the empty string matches
    only the empty pattern (not even `*`; KEYS special-cases a lone `*` before matching).
    """
    if not pattern:
        return lambda subject: not subject
    fullmatch = compile_glob(pattern, nocase).fullmatch
    return lambda subject: bool(subject) and fullmatch(subject) is not None


@lru_cache(maxsize=256)
def compile_glob(pattern: bytes, nocase: bool = False) -> re.Pattern[bytes]:
    """The regular expression whose `fullmatch` is stringmatchlen(pattern)."""
    runs: list[list[bytes]] = [[]]  # the one-byte elements between stars
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i : i + 1]
        if c == b"*":
            while i + 1 < n and pattern[i + 1 : i + 2] == b"*":
                i += 1
            runs.append([])
        elif c == b"?":
            runs[-1].append(b".")
        elif c == b"[":
            i, part = _translate_class(pattern, i + 1)
            runs[-1].append(part)
            continue
        elif c == b"\\" and i + 1 < n:
            i += 1
            runs[-1].append(re.escape(pattern[i : i + 1]))
        else:
            runs[-1].append(re.escape(c))
        i += 1
    parts = [b"".join(run) for run in runs]
    regex = parts[0]
    if len(parts) > 1:
        regex += b"".join(b"(?>.*?" + part + b")" for part in parts[1:-1]) + b".*" + parts[-1]
    flags = re.DOTALL | (re.IGNORECASE if nocase else 0)
    return re.compile(regex, flags)


def _translate_class(pattern: bytes, i: int) -> tuple[int, bytes]:
    """Translate a `[...]` class starting after the `[`; returns (next index, regex)."""
    n = len(pattern)
    negate = i < n and pattern[i] == 0x5E  # ^
    if negate:
        i += 1
    members: list[bytes] = []
    while True:
        if i >= n:
            break  # unterminated: the class ends with the pattern
        c = pattern[i]
        if c == 0x5C and i + 1 < n:  # backslash escapes the next byte
            members.append(_byte(pattern[i + 1]))
            i += 2
        elif c == 0x5D:  # ]
            i += 1
            break
        elif i + 2 < n and pattern[i + 1] == 0x2D:  # a-z (either order)
            lo, hi = sorted((c, pattern[i + 2]))
            members.append(_byte(lo) + b"-" + _byte(hi))
            i += 3
        else:
            members.append(_byte(c))
            i += 1
    if not members:
        return i, (b"(?s:.)" if negate else b"(?!)")
    return i, b"[" + (b"^" if negate else b"") + b"".join(members) + b"]"


def _byte(b: int) -> bytes:
    return b"\\x%02x" % b
