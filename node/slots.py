"""Hash slots: which of the 16384 slots a key belongs to, and the per-slot key index.

The slot function is Redis Cluster's, exactly (DESIGN.md): CRC16-XMODEM of the key, or of its
hash tag, mod 16384. `binascii.crc_hqx(data, 0)` is CRC16-XMODEM, in C. A hash tag is the text
between the first `{` and the first `}` after it, if that text is not empty, so `{user1}.a` and
`{user1}.b` share a slot while `{}x` hashes whole.

`SlotIndex` keeps, for one database, the keys of each slot (Redis's `slots_to_keys`), so
`CLUSTER COUNTKEYSINSLOT` is O(1) and `GETKEYSINSLOT` (resharding's inner loop) needs no scan.
The database maintains it only in cluster mode (see `Database.slots` in node/keyspace.py).
"""

from __future__ import annotations

from binascii import crc_hqx
from itertools import islice
from typing import Iterable

SLOTS = 16384


def key_slot(key: bytes) -> int:
    """The hash slot of `key` (Redis's keyHashSlot)."""
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return crc_hqx(key, 0) & 0x3FFF


def slot_ranges(slots: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted slot numbers as (first, last) runs: [0, 1, 2, 7] -> [(0, 2), (7, 7)]."""
    out: list[tuple[int, int]] = []
    for slot in sorted(slots):
        if out and out[-1][1] == slot - 1:
            out[-1] = (out[-1][0], slot)
        else:
            out.append((slot, slot))
    return out


class SlotIndex:
    """The keys of one database, grouped by slot. Keys are added once, when first created
    (an overwrite does not touch the index), and removed when deleted or expired.

    One dict per slot, all created up front (about 1 MB), so adding a key is a CRC and a
    dict store with no branch: it runs for every key a cluster node creates."""

    __slots__ = ("_keys",)

    def __init__(self) -> None:
        self._keys: list[dict[bytes, None]] = [{} for _ in range(SLOTS)]

    def add(self, key: bytes) -> None:
        self._keys[key_slot(key)][key] = None

    def remove(self, key: bytes) -> None:
        self._keys[key_slot(key)].pop(key, None)

    def clear(self) -> None:
        self._keys = [{} for _ in range(SLOTS)]

    def rebuild(self, keys: Iterable[bytes]) -> None:
        """Index `keys` from scratch (after a dataset was loaded wholesale)."""
        self.clear()
        for key in keys:
            self.add(key)

    def count(self, slot: int) -> int:
        return len(self._keys[slot])

    def keys(self, slot: int, limit: int) -> list[bytes]:
        """Up to `limit` keys of `slot`, newest first, as Redis lists them (it links each new
        key in at the head of its slot's list)."""
        return list(islice(reversed(self._keys[slot]), limit))

    def slots(self) -> list[int]:
        """The slots that hold at least one key."""
        return [slot for slot, keys in enumerate(self._keys) if keys]
