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
import sys
from fractions import Fraction

from node.errors import NOT_FLOAT, NOT_INTEGER, CommandError

# `%.17Lf` of a long double near LDBL_MAX has ~4950 digits, past Python's default cap of 4300
# on int <-> str conversions; every integer text parsed from clients is length-checked first.
if 0 < sys.get_int_max_str_digits() < 6000:
    sys.set_int_max_str_digits(6000)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT_MIN = -(2**31)  # C's int
INT_MAX = 2**31 - 1

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


def parse_int32(arg: bytes, error: str | None = None) -> int:
    """getIntFromObjectOrReply: a 64-bit integer, then the C `int` range check; `error`, when
    given, is the reply for both failures (Redis's `msg` argument)."""
    value = parse_int(arg, error or NOT_INTEGER)
    if not INT_MIN <= value <= INT_MAX:
        raise CommandError(
            error or f"ERR value is out of range, value must between {INT_MIN} and {INT_MAX}")
    return value


_ATOI = re.compile(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)")


def atoi(arg: bytes) -> int:
    """C's atoi, as Redis reads a few counts: leading spaces, a sign and the digits up to the
    first other byte; 0 when there are none."""
    m = _ATOI.match(arg)
    return int(m.group(1)) if m else 0


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


# strtold's syntax: decimal or hexadecimal (with an optional binary exponent).
_LD_DEC = re.compile(rb"[-+]?([0-9]*)\.?([0-9]*)(?:[eE]([-+]?[0-9]+))?\Z")
_LD_HEX = re.compile(rb"[-+]?0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([-+]?[0-9]+))?\Z")
_LD_INF = (b"inf", b"+inf", b"-inf", b"infinity", b"+infinity", b"-infinity")
LD_OVERFLOW = Fraction(2) ** 16384       # the first value past LDBL_MAX
_LD_UNDERFLOW = Fraction(2) ** -16446     # half the smallest subnormal: rounds to zero
_MAX_LONG_DOUBLE_CHARS = 5 * 1024
_SPACES = b" \t\n\v\f\r"


def parse_long_double(arg: bytes) -> Fraction | float | None:
    """string2ld: `arg` as strtold reads it, rounded to a long double (exactly, as a Fraction;
    a float for +-inf), or None where Redis refuses it (junk, NaN, overflow, underflow to 0)."""
    if not arg or len(arg) >= _MAX_LONG_DOUBLE_CHARS or arg[0] in _SPACES:
        return None
    text = arg
    if text.lower() in _LD_INF:
        return float("-inf") if text[0] == 45 else float("inf")
    m = _LD_HEX.match(text)
    base, digit_bits, span = 2, 4, 16600  # span: a binary exponent surely out of range
    if m is None:
        m = _LD_DEC.match(text)
        base, digit_bits, span = 10, 1, 5000
        if m is None:
            return None
    whole, frac, exp = m.groups()
    if not whole and not frac:
        return None
    mant = int((whole + frac) or b"0", 16 if base == 2 else 10)
    if mant == 0:
        return Fraction(0)
    power = int(exp or 0) - digit_bits * len(frac)
    # Refuse far out of range before building a huge exact number (`1e999999999`).
    if not -span < power + digit_bits * len(whole) < span:
        return None
    value = LongDouble.round(Fraction(mant) * Fraction(base) ** power)
    if abs(value) >= LD_OVERFLOW or abs(value) < _LD_UNDERFLOW:
        return None
    return -value if text[0] == 45 else value
