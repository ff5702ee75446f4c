"""What keys and values cost in memory: MEMORY USAGE's estimate and maxmemory's account.

slotkv's values are Python objects, so sizes come from `sys.getsizeof`, with aggregates
sampled as Redis's objectComputeSize samples them: the first few elements, scaled to all.
Data type modules whose values are not plain containers register a sizer in `SIZERS`.

`key_cost` is what one key adds to the running account that `maxmemory` limits
(node/evict.py): the key and value objects as the allocators round them (the database's
dicts are measured whole, `table_bytes`). Strings and counters are costed from their length alone, so
the account needs nothing stored per key for them; a key holding anything that changes in
place (a bytearray, an aggregate) has its cost recorded when it is stored or changed
(Database.msizes), so that removing it takes back what was added.
"""

from __future__ import annotations

import sys
from collections import deque
from typing import Any, Callable

# value class -> function(value, samples) -> bytes. Data type modules add theirs when their
# values are not plain containers of bytes.
SIZERS: dict[type, Callable[[Any, int], int]] = {
    bytes: lambda v, samples: sys.getsizeof(v),
    bytearray: lambda v, samples: sys.getsizeof(v),
    int: lambda v, samples: sys.getsizeof(v),
}

_SEQUENCES = (list, tuple, set, frozenset, deque)

# Measured on CPython 3.11: a bytes object of n bytes occupies 33 + n rounded up to
# pymalloc's 16-byte classes (malloc's, past 512 bytes), so a string key costs
# len(key) + len(value) + 2 * (33 + 8 on average for rounding). The databases' dicts are
# not in a key's cost: their tables are measured whole (table_bytes), since they grow in
# steps and do not shrink when keys go.
KEY_BASE = 33 + 8
STRING_BASE = KEY_BASE + 33 + 8
INT_BASE = KEY_BASE + 32
# What a deadline adds besides its `expires` entry: the int, the expiry heap's tuple and slot.
TTL_COST = 32 + 64 + 8
# Elements sampled per aggregate for the account, as MEMORY USAGE's default.
ACCOUNT_SAMPLES = 5


def size_of(value: Any, samples: int, depth: int = 0) -> int:
    """An estimate of the bytes `value` holds: its own size plus its elements', averaged
    over the first `samples` of them and scaled to all, as Redis's objectComputeSize."""
    sizer = SIZERS.get(value.__class__)
    if sizer is not None:
        return sizer(value, samples)
    size = sys.getsizeof(value)
    if depth > 4:
        return size
    if isinstance(value, dict):
        n = len(value)
        seen = total = 0
        for k, v in value.items():
            if seen >= samples:
                break
            total += size_of(k, samples, depth + 1) + size_of(v, samples, depth + 1)
            seen += 1
        return size + (total * n // seen if seen else 0)
    if isinstance(value, _SEQUENCES):
        n = len(value)
        seen = total = 0
        for item in value:
            if seen >= samples:
                break
            total += size_of(item, samples, depth + 1)
            seen += 1
        return size + (total * n // seen if seen else 0)
    attrs = getattr(value, "__dict__", None)
    if attrs is not None:
        size += sum(size_of(v, samples, depth + 1) for v in attrs.values())
    for name in getattr(value.__class__, "__slots__", ()):
        attr = getattr(value, name, None)
        if attr is not None:
            size += size_of(attr, samples, depth + 1)
    return size


def is_fixed(value: Any) -> bool:
    """Whether `value` never changes in place (bytes, an int counter): its cost can be
    computed again from it whenever needed."""
    cls = value.__class__
    return cls is bytes or cls is int


def key_cost(key: bytes, value: Any) -> int:
    """What `key` holding `value` adds to the memory account."""
    cls = value.__class__
    if cls is bytes:
        return len(key) + len(value) + STRING_BASE
    if cls is int:
        return len(key) + INT_BASE
    return len(key) + KEY_BASE + size_of(value, ACCOUNT_SAMPLES)


def table_bytes(db: Any) -> int:
    """The database's dicts and expiry heap as allocated now (O(1): their tables' sizes),
    plus the objects each deadline holds."""
    getsizeof = sys.getsizeof
    expires = db.expires
    size = getsizeof(db.data) + getsizeof(db.access)
    if db.freq:
        size += getsizeof(db.freq)
    if expires:
        size += getsizeof(expires) + getsizeof(db._heap) + len(expires) * TTL_COST
    return size
