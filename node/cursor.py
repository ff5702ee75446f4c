"""Stateless-looking SCAN cursors over Python containers (SCAN now; HSCAN/SSCAN/ZSCAN later).

Redis walks its hash table in reverse-binary bucket order, so a cursor is just a bucket index
and survives rehashing. A Python dict has no stable positions to expose, so that scheme
cannot be copied. Instead:

- At cursor 0 the caller's container is snapshotted as a list of its members
  (`list(db.data)`: one pointer per key, built in C). The snapshot gets a random 31-bit id
  and goes into a small LRU cache (`SnapshotCursors`), bounded both in snapshots and in total
  members held.
- A cursor is `id << 32 | offset`: the snapshot and how far into it the iteration got. It is
  always below 2**63 (clients that read cursors as signed 64-bit integers are safe) and is 0
  only when the iteration is over.
- Each call walks the snapshot from `offset`, skipping members that are gone from the
  container since the snapshot (deleted, or expired: the caller's `alive` test decides and
  may expire lazily), until it has `count` live members or has looked at `10 * count`
  entries, as Redis bounds a call by COUNT and by empty buckets. MATCH/TYPE filters are
  applied by the caller afterwards, so a reply may hold fewer than COUNT members, as in Redis.

Redis's guarantee holds: every member present for the whole iteration is in the snapshot and
is returned once; members added meanwhile may or may not be (here: are not); the iteration
ends because every call advances the offset. The snapshot belongs to one container (its
`owner`, compared by identity), so a cursor replayed against another database or another
hash starts over rather than mixing the two.

When a cursor names a snapshot this process no longer has (evicted from the cache, a
restarted server, a cursor made up by the client), it is not an error, as in Redis: a fresh
snapshot is taken and the walk resumes at the same offset. Dict order is insertion order,
so this re-reads the same sequence minus deleted members; the only loss is that members
deleted before the offset shift later ones left, which may then be skipped. Keeping the
cache large enough for live iterations makes that rare.

A snapshot holds references to the members it lists, so a member deleted mid-iteration is
freed when its iteration finishes or its snapshot is evicted, not at once.
"""

from __future__ import annotations

import random
import re
from collections import OrderedDict
from typing import Any, Callable

from node.errors import SYNTAX, CommandError
from node.glob import glob_matcher
from node.numbers import parse_int

INVALID_CURSOR = "ERR invalid cursor"

_OFFSET_BITS = 32
_OFFSET_MASK = (1 << _OFFSET_BITS) - 1
_ULONG = 1 << 64
_CURSOR_RE = re.compile(rb"([+-]?)([0-9]+)\Z")


def parse_cursor(arg: bytes) -> int:
    """A cursor as Redis reads one: strtoul base 10 over the whole argument.

    So `""` is 0, `-1` is 2**64-1 (strtoul negates modulo 2**64), leading whitespace,
    trailing junk and values past 64 bits are `ERR invalid cursor`.
    """
    text = arg.split(b"\0", 1)[0]  # strtoul stops at a NUL, and so does the end check
    if not text:
        return 0
    m = _CURSOR_RE.match(text)
    if m is None:
        raise CommandError(INVALID_CURSOR)
    value = int(m.group(2))
    if value >= _ULONG:
        raise CommandError(INVALID_CURSOR)
    return (-value) % _ULONG if m.group(1) == b"-" else value


def scan_options(argv: list[bytes], start: int) -> tuple[int, Callable[[bytes], bool] | None]:
    """COUNT and MATCH from `argv[start:]` for HSCAN, SSCAN and ZSCAN (scanGenericCommand's
    parsing, which refuses TYPE for them): (count, a test for MATCH or None for all)."""
    count = 10
    match = None
    i, n = start, len(argv)
    while i < n:
        opt = argv[i].lower()
        if opt == b"count" and i + 1 < n:
            count = parse_int(argv[i + 1])
            if count < 1:
                raise CommandError(SYNTAX)
        elif opt == b"match" and i + 1 < n:
            match = None if argv[i + 1] == b"*" else glob_matcher(argv[i + 1])
        else:
            raise CommandError(SYNTAX)
        i += 2
    return count, match


class _Snapshot:
    __slots__ = ("owner", "members")

    def __init__(self, owner: int, members: list) -> None:
        self.owner = owner
        self.members = members


class SnapshotCursors:
    """An LRU of iteration snapshots, at most `max_snapshots` of them holding at most
    `max_members` members in total (the newest is kept even if it alone is larger)."""

    def __init__(self, max_snapshots: int = 64, max_members: int = 8_000_000) -> None:
        self.max_snapshots = max_snapshots
        self.max_members = max_members
        self._cache: OrderedDict[int, _Snapshot] = OrderedDict()
        self._held = 0  # members across all cached snapshots

    def __len__(self) -> int:
        return len(self._cache)

    def scan(
        self,
        owner: object,
        cursor: int,
        count: int,
        members: Callable[[], list],
        alive: Callable[[Any], bool],
    ) -> tuple[int, list]:
        """One SCAN step over `owner`: (next cursor, live members from the snapshot).

        `members()` builds a snapshot (called at cursor 0 or for an unknown cursor);
        `alive(m)` says whether a snapshot member is still in the container.
        """
        sid, offset = cursor >> _OFFSET_BITS, cursor & _OFFSET_MASK
        snap = self._cache.get(sid) if cursor else None
        if snap is not None and snap.owner != id(owner):
            snap = None
        if snap is None:
            items = members()
            if offset >= len(items):
                return 0, []
            sid = 0
        else:
            items = snap.members
            self._cache.move_to_end(sid)

        out: list = []
        n = len(items)
        pos = offset
        limit = min(n, offset + 10 * count)
        while pos < limit and len(out) < count:
            end = min(limit, pos + count - len(out))
            out.extend([m for m in items[pos:end] if alive(m)])
            pos = end

        if pos >= n:
            if sid:
                self._drop(sid)
            return 0, out
        if not sid:
            sid = self._store(_Snapshot(id(owner), items))
        return sid << _OFFSET_BITS | pos, out

    def _store(self, snap: _Snapshot) -> int:
        cache = self._cache
        while cache and (len(cache) >= self.max_snapshots
                         or self._held + len(snap.members) > self.max_members):
            _, old = cache.popitem(last=False)
            self._held -= len(old.members)
        sid = random.getrandbits(31) or 1
        while sid in cache:
            sid = random.getrandbits(31) or 1
        cache[sid] = snap
        self._held += len(snap.members)
        return sid

    def _drop(self, sid: int) -> None:
        snap = self._cache.pop(sid, None)
        if snap is not None:
            self._held -= len(snap.members)


# The process-wide cache every SCAN-family command shares; owners keep their iterations apart.
CURSORS = SnapshotCursors()
