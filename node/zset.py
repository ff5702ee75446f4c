"""The sorted set value (Redis's zset): members with float scores, ordered by (score, member).

A `ZSet` keeps a dict member -> score for O(1) score lookups and a `SortedList` of
`(score, member)` tuples for O(log n) ranks and ranges. Ties in score are ordered by the
member's bytes, as Redis orders them (memcmp, shorter first on a common prefix), which is
exactly Python's tuple-of-(float, bytes) order. Scores are never NaN.

API (stable; other modules use it read-only or through `add`/`remove`):

    ZSet()                        an empty set, `listpack` encoded
    len(zs), member in zs
    zs.score(member)              the score, or None
    zs.add(member, score) -> bool insert, or move an existing member; True if it was new
                                  (while `listpack`, a score of -0 is stored as 0, as Redis's
                                  listpack stores integral scores as integers)
    zs.remove(member) -> bool     True if it was there
    zs.fit(member, max_entries, max_value)
                                  call before inserting a new `member`: Redis's one-way
                                  listpack -> skiplist conversion (`zset-max-listpack-*`)
    zs.listpack                   True while Redis would still report `listpack`
    zs.rank(member)               0-based ascending rank, or None
    zs.ordered                    the SortedList of (score, member): index, slice,
                                  `islice(start, stop, reverse)`, `bisect_left` (read-only!)
    iter(zs)                      (score, member) tuples in ascending order
    zs.score_bounds(min, max, minex=False, maxex=False) -> (lo, hi)
                                  the ranks [lo, hi) whose scores are in the range
    zs.by_score(min, max, minex=False, maxex=False, reverse=False)
                                  iterator of (score, member) in that range
    zs.pop(rank) -> (score, member)   remove and return the entry at `rank` (-1: the last)
    zs.copy()                     an independent copy (COPY, *STORE commands)

Geo stores members with their 52-bit geohash as the score (`add` + `fit`, `by_score`);
SORT iterates `iter(zs)`.
"""

from __future__ import annotations

from math import inf, nextafter
from typing import Iterator

from sortedcontainers import SortedList

Entry = tuple  # (score: float, member: bytes)


class ZSet:
    __slots__ = ("scores", "ordered", "listpack")

    def __init__(self) -> None:
        self.scores: dict[bytes, float] = {}
        self.ordered: SortedList = SortedList()
        self.listpack = True

    def __len__(self) -> int:
        return len(self.scores)

    def __contains__(self, member: bytes) -> bool:
        return member in self.scores

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.ordered)

    def score(self, member: bytes) -> float | None:
        return self.scores.get(member)

    def add(self, member: bytes, score: float) -> bool:
        if not score and self.listpack:
            score = 0.0
        scores = self.scores
        old = scores.get(member)
        if old is None:
            scores[member] = score
            self.ordered.add((score, member))
            return True
        if old != score:  # as Redis: -0.0 does not replace 0.0
            self.ordered.remove((old, member))
            scores[member] = score
            self.ordered.add((score, member))
        return False

    def remove(self, member: bytes) -> bool:
        old = self.scores.pop(member, None)
        if old is None:
            return False
        self.ordered.remove((old, member))
        return True

    def fit(self, member: bytes, max_entries: int, max_value: int) -> None:
        """Convert to skiplist, for good, if inserting new `member` makes Redis convert."""
        if self.listpack and (len(self.scores) >= max_entries or len(member) > max_value):
            self.listpack = False

    def rank(self, member: bytes) -> int | None:
        score = self.scores.get(member)
        if score is None:
            return None
        return self.ordered.bisect_left((score, member))

    def score_bounds(self, min: float, max: float, minex: bool = False,
                     maxex: bool = False) -> tuple[int, int]:
        """Ranks [lo, hi) of the entries with min <= score <= max (`(`-exclusive ends)."""
        lo = self._below(min, not minex)
        hi = self._below(max, maxex)
        return lo, hi if hi > lo else lo

    def _below(self, score: float, strict: bool) -> int:
        # How many entries score < `score` (strict) or <= `score`; a 1-tuple sorts before
        # every entry with the same score.
        if strict:
            return self.ordered.bisect_left((score,))
        if score == inf:
            return len(self.ordered)
        return self.ordered.bisect_left((nextafter(score, inf),))

    def by_score(self, min: float, max: float, minex: bool = False, maxex: bool = False,
                 reverse: bool = False) -> Iterator[Entry]:
        lo, hi = self.score_bounds(min, max, minex, maxex)
        return self.ordered.islice(lo, hi, reverse)

    def pop(self, rank: int) -> Entry:
        entry = self.ordered.pop(rank)
        del self.scores[entry[1]]
        return entry

    def copy(self) -> "ZSet":
        new = ZSet()
        new.scores = self.scores.copy()
        new.ordered = SortedList(self.ordered)  # already sorted: a linear rebuild
        new.listpack = self.listpack
        return new
