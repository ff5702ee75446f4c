"""Redis 7.0's pqsort.c: the partial quicksort behind SORT ... LIMIT and GEOSEARCH ... COUNT.

Ported step by step, so that elements a comparison finds equal end up where Redis leaves them.
"""

from __future__ import annotations

from typing import Any, Callable


def pqsort(a: list, cmp: Callable[[Any, Any], int], lrange: int, rrange: int) -> None:
    """Redis's pqsort.c in place: Bentley & McIlroy's quicksort that skips the partitions
    lying wholly outside a[lrange..rrange] (7.0's, without BSD's switch to insertion sort
    after a pass without swaps). Only the elements in that range end up in order; where `cmp`
    finds ties, their order is the one this algorithm leaves (not a stable one), so it is
    followed step by step."""

    def swap(i: int, j: int) -> None:
        a[i], a[j] = a[j], a[i]

    def vecswap(i: int, j: int, n: int) -> None:
        for k in range(n):
            swap(i + k, j + k)

    def med3(i: int, j: int, k: int) -> int:
        if cmp(a[i], a[j]) < 0:
            return j if cmp(a[j], a[k]) < 0 else (k if cmp(a[i], a[k]) < 0 else i)
        return j if cmp(a[j], a[k]) > 0 else (i if cmp(a[i], a[k]) < 0 else k)

    def insertion(lo: int, n: int) -> None:
        for m in range(lo + 1, lo + n):
            j = m
            while j > lo and cmp(a[j - 1], a[j]) > 0:
                swap(j, j - 1)
                j -= 1

    def outside(lo: int, n: int) -> bool:
        hi = lo + n - 1
        return (lrange < lo and rrange < lo) or (lrange > hi and rrange > hi)

    def part(lo: int, n: int) -> None:
        while True:
            if n < 7:
                insertion(lo, n)
                return
            pm = lo + n // 2
            if n > 7:
                pl, pn = lo, lo + n - 1
                if n > 40:
                    d = n // 8
                    pl = med3(pl, pl + d, pl + 2 * d)
                    pm = med3(pm - d, pm, pm + d)
                    pn = med3(pn - 2 * d, pn - d, pn)
                pm = med3(pl, pm, pn)
            swap(lo, pm)
            pa = pb = lo + 1
            pc = pd = lo + n - 1
            while True:
                while pb <= pc:
                    c = cmp(a[pb], a[lo])
                    if c > 0:
                        break
                    if c == 0:
                        swap(pa, pb)
                        pa += 1
                    pb += 1
                while pb <= pc:
                    c = cmp(a[pc], a[lo])
                    if c < 0:
                        break
                    if c == 0:
                        swap(pc, pd)
                        pd -= 1
                    pc -= 1
                if pb > pc:
                    break
                swap(pb, pc)
                pb += 1
                pc -= 1
            pn = lo + n
            r = min(pa - lo, pb - pa)
            vecswap(lo, pb - r, r)
            r = min(pd - pc, pn - pd - 1)
            vecswap(pb, pn - r, r)
            r = pb - pa
            if r > 1 and not outside(lo, r):
                part(lo, r)
            r = pd - pc
            if r <= 1:
                return
            lo, n = pn - r, r
            if outside(lo, n):
                return

    part(0, len(a))
