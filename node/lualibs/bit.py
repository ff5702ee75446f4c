"""LuaBitOp, the `bit` library Redis bundles: 32-bit operations on Lua numbers."""

from __future__ import annotations

from typing import Any, Callable

from node.lualibs import c_int, check_number


def library(lua: Any) -> dict[bytes, Any]:
    """LuaBitOp (the `bit` library Redis bundles): 32-bit operations on Lua numbers, which
    are first rounded to an integer (half to even) and wrapped to 32 bits."""
    def arg(args: tuple, n: int, fname: str) -> int:
        return round(check_number(args, n, fname)) & 0xFFFFFFFF

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
        n = round(check_number(args, 2, "tohex")) if len(args) > 1 and args[1] is not None \
            else 8
        digits = "0123456789ABCDEF" if n < 0 else "0123456789abcdef"
        n = min(abs(n), 8)
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


