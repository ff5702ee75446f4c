"""Arguments as Redis's C code reads them: an option name compared with strcasecmp ends at
the first NUL byte, so `WITHSCORES\\0x` is WITHSCORES."""

from __future__ import annotations


def option_word(arg: bytes) -> bytes:
    """`arg` lower-cased and cut at its first NUL, for comparing with option names."""
    word = arg.lower()
    return word.split(b"\0", 1)[0] if b"\0" in word else word
