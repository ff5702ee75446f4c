"""Number parsing and formatting with Redis's strictness.

Redis reads integers with `string2ll` (no sign `+`, no spaces, no leading zeros, 64-bit range)
and floats with `strtold` plus its own checks (no spaces, no NaN). Python's `int()`/`float()`
accept more (`+1`, `1_000`, ` 7`), so arguments go through these instead.

INCRBYFLOAT computes in C `long double` (x87 80-bit, 64-bit mantissa) and prints with
`%.17Lf`; `LongDouble` reproduces that exactly with rational arithmetic so replies match
Redis digit for digit (`10.5 + 0.1` is `10.6`, not `10.59999999999999964`).
"""

from __future__ import annotations

import re
from fractions import Fraction

from node.errors import NOT_FLOAT, NOT_INTEGER, CommandError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_INT_RE = re.compile(rb"(?:-?[1-9][0-9]{0,19}|0)\Z")
_FLOAT_RE = re.compile(rb"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
_INF = {b"inf": float("inf"), b"+inf": float("inf"), b"-inf": float("-inf"),
        b"infinity": float("inf"), b"+infinity": float("inf"), b"-infinity": float("-inf")}


def parse_int(arg: bytes, error: str = NOT_INTEGER) -> int:
    """A signed 64-bit integer as string2ll reads it, or CommandError(error)."""
    if _INT_RE.match(arg):
        value = int(arg)
        if INT64_MIN <= value <= INT64_MAX:
            return value
    raise CommandError(error)


def is_int(arg: bytes | bytearray) -> bool:
    """Whether `arg` is the canonical form of a 64-bit integer (Redis's int encoding test)."""
    # Up to 18 digits always fits; only 19-20 character forms need the range check.
    return _INT_RE.match(arg) is not None and (
        len(arg) < 19 or INT64_MIN <= int(arg) <= INT64_MAX)


def parse_float(arg: bytes, error: str = NOT_FLOAT) -> float:
    """A double as Redis reads one (strtod, no spaces, no NaN; `inf` allowed)."""
    if _FLOAT_RE.match(arg):
        value = float(arg)
        if value == value:
            return value
    inf = _INF.get(arg.lower())
    if inf is not None:
        return inf
    raise CommandError(error)


class LongDouble:
    """Exact emulation of x87 `long double` for INCRBYFLOAT / HINCRBYFLOAT."""

    MANT_BITS = 64

    @classmethod
    def parse(cls, arg: bytes) -> Fraction | float:
        """strtold: the decimal rounded to the nearest long double (or +-inf)."""
        if _FLOAT_RE.match(arg):
            return cls.round(Fraction(arg.decode()))
        inf = _INF.get(arg.lower())
        if inf is not None:
            return inf
        raise CommandError(NOT_FLOAT)

    @classmethod
    def round(cls, value: Fraction) -> Fraction:
        """Round to a 64-bit mantissa, ties to even (what the FPU does after each op)."""
        if value == 0:
            return Fraction(0)
        sign = -1 if value < 0 else 1
        mag = abs(value)
        exp = mag.numerator.bit_length() - mag.denominator.bit_length()
        if Fraction(2) ** exp > mag:
            exp -= 1
        shift = cls.MANT_BITS - 1 - exp
        scaled = mag * (Fraction(2) ** shift)
        mant = round(scaled)  # Fraction.__round__ rounds half to even
        return sign * Fraction(mant) / (Fraction(2) ** shift)

    @staticmethod
    def format(value: Fraction) -> bytes:
        """`%.17Lf` with trailing zeros (and a bare point) removed, as Redis's ld2string."""
        scaled = round(value * 10**17)
        neg = scaled < 0
        digits = str(abs(scaled)).rjust(18, "0")
        text = digits[:-17] + "." + digits[-17:]
        text = text.rstrip("0").rstrip(".")
        if neg and text != "0":
            text = "-" + text
        return text.encode()
