"""LuaBitOp, the `bit` library Redis bundles: 32-bit operations on Lua numbers."""

from __future__ import annotations

import struct
from typing import Any, Callable

from node.lualibs import LuaRaise, c_int, to_number, type_name

_ROUNDER = 6755399441055744.0  # 2**52 + 2**51


def library(lua: Any) -> dict[bytes, Any]:
    """LuaBitOp (the `bit` library Redis bundles): 32-bit operations on Lua numbers."""
    def arg(args: tuple, n: int, fname: str) -> int:
        """barg: the low 32 bits of the double `x + 2**52 + 2**51`, which are x rounded half
        to even and wrapped for |x| < 2**51, 0 for NaN and infinities, and whatever the
        mantissa holds past that (-2013235812 for 1e300): the trick, not modular arithmetic,
        is what scripts see. A non-number reads as 0, an error only if its bits are 0 too."""
        value = to_number(args[n - 1]) if n <= len(args) else None
        bits = struct.unpack("<Q", struct.pack("<d", (value or 0) + _ROUNDER))[0] & 0xFFFFFFFF
        if bits == 0 and value is None:
            got = "no value" if n > len(args) else type_name(args[n - 1])
            raise LuaRaise(f"bad argument #{n} to '{fname}' (number expected, got {got})"
                           .encode())
        return bits

    def fold(fname: str, op: Callable[[int, int], int]) -> Callable[..., int]:
        def f(*args: Any) -> int:
            x = arg(args, 1, fname)
            for i in range(2, len(args) + 1):
                x = op(x, arg(args, i, fname))
            return c_int(x)
        return f

    def shift(fname: str, op: Callable[[int, int], int]) -> Callable[..., int]:
        def f(*args: Any) -> int:
            return c_int(op(arg(args, 1, fname), arg(args, 2, fname) & 31))
        return f

    def tohex(*args: Any) -> bytes:
        x = arg(args, 1, "tohex")
        # (Only an absent count is 8: a nil one is an argument error.)
        n = c_int(arg(args, 2, "tohex")) if len(args) > 1 else 8
        digits = "0123456789ABCDEF" if n < 0 else "0123456789abcdef"
        n = min(abs(n), 8)  # (-2**31 included, which LuaBitOp turns into -2**31 + 1)
        return "".join(digits[(x >> (4 * i)) & 15] for i in reversed(range(n))).encode()

    return {
        b"tobit": lambda *a: c_int(arg(a, 1, "tobit")),
        b"bnot": lambda *a: c_int(~arg(a, 1, "bnot")),
        b"band": fold("band", lambda x, y: x & y), b"bor": fold("bor", lambda x, y: x | y),
        b"bxor": fold("bxor", lambda x, y: x ^ y),
        b"lshift": shift("lshift", lambda x, n: x << n),
        b"rshift": shift("rshift", lambda x, n: x >> n),
        b"arshift": shift("arshift", lambda x, n: c_int(x) >> n),
        b"rol": shift("rol", lambda x, n: (x << n) | (x >> (32 - n)) if n else x),
        b"ror": shift("ror", lambda x, n: (x >> n) | (x << (32 - n)) if n else x),
        b"bswap": lambda *a: c_int(int.from_bytes(
            arg(a, 1, "bswap").to_bytes(4, "little"), "big")),
        b"tohex": tohex,
    }
