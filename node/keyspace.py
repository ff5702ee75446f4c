"""The keyspace: numbered databases of keys, their expiry, and the one place keys change.

Values live in a plain dict per database; a key with a deadline also has an entry in
`expires` (absolute Unix milliseconds) and in a min-heap that the active expiry cycle pops,
so expired keys disappear within a tick of their deadline without scanning the keyspace
(Redis samples instead; a heap gives a firm bound). Reads expire lazily as well.

Every change goes through `Database.set`, `Database.delete` or `Database.modified`, so the
hooks that watch keys (WATCH, notifications, replication of expiry deletes) and the `dirty`
counter hang off these methods rather than off each command. A cluster node being resharded
also has its keys indexed by hash slot (`slots`, node/slots.py; see Cluster.keys_in_slot),
updated where keys are created and removed; the rest of the time that costs `set` one
attribute test.

While `maxmemory` is set the keyspace also keeps a running account of the memory its keys
take (`Keyspace.used`, costed by node/sizes.py) for eviction (node/evict.py); off, that too
costs the write paths one attribute test.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from typing import TYPE_CHECKING, Any, Callable, Iterator

from node.notify import EVICTED, EXPIRED, KEY_MISS, NEW
from node.sizes import STRING_BASE, is_fixed, key_cost

if TYPE_CHECKING:
    from node.slots import SlotIndex

# Hooks called as hook(db, key) after a key changed or was removed.
KeyHook = Callable[["Database", bytes], None]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# value class -> TYPE name; the data type modules add theirs.
# A string value is `bytes`, a `bytearray` (changed in place: Redis's raw encoding) or an
# `int` (a counter INCR made: Redis's int encoding, kept as a number so the next INCR need not
# parse and format it). Readers that want bytes use `string_bytes`.
TYPE_NAMES: dict[type, bytes] = {bytes: b"string", bytearray: b"string", int: b"string"}


def type_name(value: Any) -> bytes:
    return TYPE_NAMES[value.__class__]


def string_bytes(value: Any) -> Any:
    """A string value as bytes-like (an int-encoded counter formatted); other values as they are."""
    return b"%d" % value if value.__class__ is int else value


class Database:
    __slots__ = ("index", "keyspace", "data", "expires", "access", "freq", "_heap", "slots",
                 "used", "msizes")

    def __init__(self, index: int, keyspace: "Keyspace") -> None:
        self.index = index
        self.keyspace = keyspace
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        # Last-access LRU clock per key (seconds), for OBJECT IDLETIME.
        self.access: dict[bytes, int] = {}
        # LFU word per key (minutes << 8 | log counter, as Redis's robj.lru under an LFU
        # policy); only maintained while `keyspace.lfu` is on, for OBJECT FREQ.
        self.freq: dict[bytes, int] = {}
        self._heap: list[tuple[int, bytes]] = []
        # The per-slot key index while a cluster node needs one (node/cluster.py), else None.
        self.slots: SlotIndex | None = None
        # While the keyspace keeps its memory account: this database's share, and the cost
        # recorded for each key whose value changes in place (node/sizes.py).
        self.used = 0
        self.msizes: dict[bytes, int] = {}

    def __len__(self) -> int:
        return len(self.data)

    # -- reads -------------------------------------------------------------------------------

    def get(self, key: bytes) -> Any:
        """A read lookup: the value at `key` or None, expiring it first if its deadline passed.

        Counts a keyspace hit or miss and refreshes the key's access time, as Redis's
        lookupKeyRead does.
        """
        ks = self.keyspace
        value = self.data.get(key)
        if value is None:
            ks.misses += 1
            if ks.notify_flags and ks.notify_flags & KEY_MISS:
                ks.notifier(b"keymiss", key, self.index)
            return None
        if self.expires:
            when = self.expires.get(key)
            if when is not None and when < ks.now and self._expire(key):
                ks.misses += 1
                if ks.notify_flags and ks.notify_flags & KEY_MISS:
                    ks.notifier(b"keymiss", key, self.index)
                return None
        ks.hits += 1
        self.access[key] = ks.lru_clock
        if ks.lfu:
            self.freq[key] = ks.lfu_bump(self.freq.get(key))
        return value

    def peek(self, key: bytes) -> Any:
        """A lookup for writing or inspecting: like `get` without the statistics."""
        value = self.data.get(key)
        if value is not None and self.expires:
            when = self.expires.get(key)
            if when is not None and when < self.keyspace.now and self._expire(key):
                return None
        return value

    def lookup_write(self, key: bytes) -> Any:
        """lookupKeyWrite: like `peek`, and an existing key's access time (and LFU counter)
        is refreshed, as a write command's lookup does in Redis; no statistics."""
        value = self.data.get(key)
        if value is None:
            return None
        ks = self.keyspace
        if self.expires:
            when = self.expires.get(key)
            if when is not None and when < ks.now and self._expire(key):
                return None
        self.access[key] = ks.lru_clock
        if ks.lfu:
            self.freq[key] = ks.lfu_bump(self.freq.get(key))
        return value

    def __contains__(self, key: bytes) -> bool:
        return self.peek(key) is not None

    def deadline(self, key: bytes) -> int | None:
        """The key's absolute expiry in ms, or None if it has none (or does not exist)."""
        return self.expires.get(key) if self.expires else None

    def keys(self) -> Iterator[bytes]:
        """Live keys (expired ones are skipped, not deleted, so iteration is safe)."""
        now = self.keyspace.now
        expires = self.expires
        for key in list(self.data):
            when = expires.get(key)
            if when is None or when >= now:
                yield key

    def random_key(self) -> bytes | None:
        # Dicts have no O(1) random access; skipping to a random offset runs in C.
        for _ in range(100):
            n = len(self.data)
            if n == 0:
                return None
            key = next(itertools.islice(self.data, random.randrange(n), None))
            if self.peek(key) is not None:
                return key
        return None

    # -- writes ------------------------------------------------------------------------------

    def set(self, key: bytes, value: Any, keep_ttl: bool = False, looked_up: bool = False) -> None:
        """Store `value` at `key`; its TTL is cleared unless `keep_ttl`.

        Overwriting counts as an access, for Redis's setKey looks the key up for writing;
        a caller that did that itself with `lookup_write` says `looked_up`, so the LFU
        counter is bumped once, not twice. That lookup also expires a key past its deadline
        first (an `expired` event, counted and propagated), which this does when the caller
        did not.
        """
        ks = self.keyspace
        if self.expires:
            when = self.expires.get(key)
            if when is not None:
                if when < ks.now and not looked_up:
                    self._expire(key)  # (a replica keeps it until its primary's DEL)
                if not keep_ttl:
                    self.expires.pop(key, None)
        if self.slots is not None and key not in self.data:
            self.slots.add(key)
        # (A truth test first: `&` is a generic call in CPython 3.11, a tenth of a SET's cost.)
        if ks.notify_flags and ks.notify_flags & NEW and key not in self.data:
            ks.notifier(b"new", key, self.index)
        if ks.accounting:
            self._account_store(key, value)
        self.data[key] = value
        self.access[key] = ks.lru_clock
        if ks.lfu:  # an overwrite keeps the counter, as Redis's dbOverwrite
            freq = self.freq
            if key not in freq:
                freq[key] = ks.lfu_init()
            elif not looked_up:
                freq[key] = ks.lfu_bump(freq[key])
        ks.dirty += 1  # modified(), inlined: this is every write's path
        if ks.on_modified:
            for hook in ks.on_modified:
                hook(self, key)

    def set_many(self, argv: list[bytes]) -> None:
        """`set` for each key, value pair of MSET's arguments (`argv[1:]`), with
        keyspace events off: with them on, MSET sets key by key, each key's `new` before its
        `set`, as Redis."""
        ks = self.keyspace
        # The pairs as one dict first, built in C: a repeated key ends with its last value, as
        # when stored in order, and both stores below become dict merges instead of a Python
        # loop (callgrind: redis-benchmark's MSET of 10 pairs, 2-4% fewer instructions).
        it = iter(argv)
        next(it)
        pairs = dict(zip(it, it))
        if self.expires:  # as in `set`: past their deadline, expired first
            expires = self.expires
            for key in pairs:
                when = expires.get(key)
                if when is not None:
                    if when < ks.now:
                        self._expire(key)
                    expires.pop(key, None)
        data = self.data
        if self.slots is not None:
            for key in pairs:
                if key not in data:
                    self.slots.add(key)
        if ks.accounting:  # (before the store: the old value's cost is taken back)
            for key, value in pairs.items():
                self._account_store(key, value)
        data.update(pairs)
        self.access.update(dict.fromkeys(pairs, ks.lru_clock))
        keys = argv[1::2]  # (each time given: LFU bumps and hooks, as Redis's setKey per key)
        if ks.lfu:  # as in `set`
            for key in keys:
                self.freq[key] = ks.lfu_bump(self.freq[key]) if key in self.freq else ks.lfu_init()
        ks.dirty += len(keys)
        if ks.on_modified:
            for key in keys:
                for hook in ks.on_modified:
                    hook(self, key)

    def load_keys(self, data: dict[bytes, Any], expires: dict[bytes, int],
                  access: dict[bytes, int] | None = None,
                  freq: dict[bytes, int] | None = None) -> None:
        """Add keys read from a snapshot (RDB load), in bulk: no hooks fire and `dirty` does
        not move, as Redis's dbAddRDBLoad. `access`/`freq` give LRU clocks / LFU words for
        some keys (from the file's IDLE/FREQ opcodes); the others are accessed now."""
        ks = self.keyspace
        if self.slots is not None:
            for key in data:
                self.slots.add(key)
        if ks.accounting:
            for key, value in data.items():
                self._account_store(key, value)
        self.data.update(data)
        self.access.update(dict.fromkeys(data, ks.lru_clock))
        if access:
            self.access.update(access)
        if ks.lfu:
            self.freq.update(dict.fromkeys(data, ks.lfu_init()))
            if freq:
                self.freq.update(freq)
        if expires:
            self.expires.update(expires)
            self._heap.extend((when, key) for key, when in expires.items())
            heapq.heapify(self._heap)

    def delete(self, key: bytes) -> bool:
        """Remove `key`; True if it existed (and had not expired)."""
        if self.peek(key) is None:
            return False
        self._remove(key)
        self.modified(key)
        return True

    def replace(self, key: bytes, value: Any) -> None:
        """Swap the value at `key` for an equal one of another class (dbUnshareStringValue:
        a string made changeable in place): no change is counted, no hook runs."""
        if self.keyspace.accounting:
            self._account_store(key, value)
        self.data[key] = value

    def compact(self) -> None:
        """Rebuild the key and access tables at the size their keys need. A CPython dict
        never shrinks when keys are deleted (only an insertion that finds it full resizes
        it), and maxmemory counts the tables whole (node/evict.py)."""
        self.data = dict(self.data)
        self.access = dict(self.access)

    def evict(self, keys: list[bytes], goal: int) -> list[bytes]:
        """Remove `keys` to free memory (maxmemory, node/evict.py), in order and skipping
        any no longer stored, until the memory account is down to `goal`; the keys removed.
        Watchers hear of each and an `evicted` event goes out (as `_drop`, here in a loop:
        eviction is a hot path at the limit), but it is not a change of the dataset
        (`dirty`), as in Redis; the evictor propagates the deletions."""
        ks = self.keyspace
        data = self.data
        remove = self._remove
        notify = ks.notify_flags & EVICTED
        hooks = ks.on_modified
        gone = []
        for key in keys:
            if key in data:
                remove(key)
                if notify:
                    ks.notifier(b"evicted", key, self.index)
                for hook in hooks:
                    hook(self, key)
                gone.append(key)
                if ks.used <= goal:
                    break
        ks.evicted_keys += len(gone)
        return gone

    def delete_stored(self, key: bytes) -> bool:
        """Remove `key` if it is stored, past its deadline or not (Redis's dbDelete, which
        never looks at the deadline); True if it was."""
        if key not in self.data:
            return False
        self._remove(key)
        self.modified(key)
        return True

    def set_deadline(self, key: bytes, when_ms: int, past_deletes: bool = True,
                     stored: bool = False) -> None:
        """Give an existing key an absolute deadline in ms. A past one deletes it, as EXPIRE
        does; without `past_deletes` (SET's EX/PX/EXAT/PXAT) the key stays until it is
        expired like any other. `stored`: the caller has just stored the key (SET EX, SETEX,
        RESTORE), which counted as the change; as Redis's setExpire, the deadline adds none."""
        if past_deletes and when_ms <= self.keyspace.now and not self.keyspace.replica:
            self.delete(key)
            return
        self.expires[key] = when_ms
        heapq.heappush(self._heap, (when_ms, key))
        if not stored:
            self.modified(key)

    def persist(self, key: bytes) -> bool:
        if self.expires.pop(key, None) is None:
            return False
        self.modified(key)
        return True

    def notify(self, kind: int, event: bytes, key: bytes) -> None:
        """Announce `event` on `key` to its keyspace-notification subscribers (node/notify.py),
        if notify-keyspace-events has its class on."""
        ks = self.keyspace
        if ks.notify_flags & kind:
            ks.notifier(event, key, self.index)

    def modified(self, key: bytes) -> None:
        """Record a change to `key` (in-place mutators call this themselves)."""
        ks = self.keyspace
        ks.dirty += 1
        if ks.accounting:
            self._account_change(key)
        if ks.on_modified:  # (no iterator for the usual empty list: every write comes here)
            for hook in ks.on_modified:
                hook(self, key)

    def flush(self) -> int:
        removed = len(self.data)
        for hook in self.keyspace.on_flushed:  # before: hooks look at what is being removed
            hook(self)
        if self.slots is not None:
            self.slots.clear()
        self.keyspace.used -= self.used
        self.used = 0
        self.msizes = {}
        self.data = {}
        self.expires = {}
        self.access = {}
        self.freq = {}
        self._heap = []
        return removed

    def swap_contents(self, other: "Database") -> None:
        """SWAPDB: the two databases trade their keys; clients stay on their index."""
        for attr in ("data", "expires", "access", "freq", "_heap", "used", "msizes"):
            mine = getattr(self, attr)
            setattr(self, attr, getattr(other, attr))
            setattr(other, attr, mine)
        for hook in self.keyspace.on_swapped:
            hook(self, other)

    # -- expiry ------------------------------------------------------------------------------

    def _remove(self, key: bytes) -> None:
        ks = self.keyspace
        if ks.accounting:
            cost = self.msizes.pop(key, None)
            if cost is None:  # (key_cost, inlined for strings: every eviction at the limit)
                value = self.data[key]
                cost = (len(key) + len(value) + STRING_BASE if value.__class__ is bytes
                        else key_cost(key, value))
            self.used -= cost
            ks.used -= cost
        del self.data[key]  # (no pop: without the account, DEL's path needs no value)
        if self.slots is not None:
            self.slots.remove(key)
        self.access.pop(key, None)
        if self.freq:
            self.freq.pop(key, None)
        if self.expires:
            self.expires.pop(key, None)

    # -- the memory account (while maxmemory is set) ------------------------------------------

    def _account_store(self, key: bytes, value: Any) -> None:
        # Before `value` is stored at `key`: take back the old value's cost, add the new one's.
        # (key_cost and is_fixed inlined for strings: this is every SET at the limit.)
        old = self.data.get(key)
        if old is None:
            delta = 0
        else:
            was = self.msizes.pop(key, None)
            if was is None:
                was = (len(key) + len(old) + STRING_BASE if old.__class__ is bytes
                       else key_cost(key, old))
            delta = -was
        if value.__class__ is bytes:
            delta += len(key) + len(value) + STRING_BASE
        else:
            cost = key_cost(key, value)
            if value.__class__ is not int:
                self.msizes[key] = cost
            delta += cost
        self.used += delta
        ks = self.keyspace
        ks.used += delta
        if ks.used > ks.check_at:
            ks.on_grown()

    def _account_change(self, key: bytes) -> None:
        # After a change in place: cost the value again. (A string or counter costs what its
        # length says whatever happened, so only changeable values are looked at.)
        was = self.msizes.get(key)
        if was is None:
            return
        value = self.data.get(key)
        if value is None:
            return
        cost = key_cost(key, value)
        self.msizes[key] = cost
        self.used += cost - was
        ks = self.keyspace
        ks.used += cost - was
        if ks.used > ks.check_at:
            ks.on_grown()

    def account_all(self) -> None:
        """Cost every key afresh (the account starts, or its costing changed)."""
        self.msizes = msizes = {}
        total = 0
        for key, value in self.data.items():
            cost = key_cost(key, value)
            if not is_fixed(value):
                msizes[key] = cost
            total += cost
        self.used = total

    def _drop(self, key: bytes, kind: int, event: bytes) -> None:
        # Expiry and eviction: the key goes with its event, and watchers hear of it.
        ks = self.keyspace
        self._remove(key)
        if ks.notify_flags and ks.notify_flags & kind:
            ks.notifier(event, key, self.index)
        for hook in ks.on_modified:
            hook(self, key)

    def _expire(self, key: bytes) -> bool:
        """A key past its deadline was looked up: whether it is gone for the caller.

        A replica keeps logically expired keys until its primary's DEL arrives (as Redis):
        its clients do not see them, the primary's own commands do (`from_master`), since
        on the primary they ran before the key expired.
        """
        ks = self.keyspace
        if ks.replica:
            return not ks.from_master
        ks.expired_keys += 1
        # Not a change of the dataset (`dirty`), as in Redis: the primary propagates the
        # deletion itself (on_expired), not the command that saw it.
        self._drop(key, EXPIRED, b"expired")
        for hook in ks.on_expired:
            hook(self, key)
        return True

    def active_expire(self, budget: int) -> int:
        """Delete up to `budget` keys whose deadline has passed; returns how many were looked at."""
        heap = self._heap
        now = self.keyspace.now
        expires = self.expires
        looked = 0
        while heap and heap[0][0] < now and looked < budget:
            when, key = heapq.heappop(heap)
            looked += 1
            if expires.get(key) == when:
                self._expire(key)
        # TTLs that were changed or removed leave stale heap entries; rebuild when they dominate.
        if len(heap) > 1024 and len(heap) > 2 * len(expires):
            self._heap = [(w, k) for k, w in expires.items()]
            heapq.heapify(self._heap)
        return looked


# The LRU clock counts seconds from here, not from 1970, so that it and every access time
# (Database.access) stay one-digit ints (below 2**30) until 2057: CPython compares and sorts
# those on its fast paths (the evictor sorts samples by access time).
LRU_EPOCH = 1_700_000_000


def lru_clock_at(now_ms: int) -> int:
    """The LRU clock (whole seconds since LRU_EPOCH) at the unix time `now_ms`."""
    return now_ms // 1000 - LRU_EPOCH


class Keyspace:
    """All databases of one node, plus the clock and counters they share."""

    def __init__(self, databases: int = 16) -> None:
        self.now = now_ms()
        self.lru_clock = lru_clock_at(self.now)
        self.lru_next = (self.now // 1000 + 1) * 1000  # `now` at which lru_clock moves on
        self.dirty = 0
        self.expired_keys = 0
        self.active_expiring = False  # the active expiry cycle runs: no command looked keys up
        self.evicted_keys = 0
        self.hits = 0
        self.misses = 0
        self.replica = False  # keys expire only by the primary's DELs (see Database._expire)
        self.from_master = False  # a replica is applying its primary's stream
        # The memory account (maxmemory set): Database.used summed, see set_accounting. Past
        # `check_at` a write calls `on_grown` (the evictor's), which measures again and, over
        # the limit, sets `over_limit` until keys are evicted: the next command then evicts
        # first (never the one running).
        self.accounting = False
        self.used = 0
        self.check_at = 1 << 63
        self.on_grown: Callable[[], None] = lambda: None
        self.over_limit = False
        # LFU tracking (maxmemory-policy *-lfu): off costs Database.get/set one test.
        self.lfu = False
        self.lfu_log_factor = 10
        self.lfu_decay_time = 1
        self.on_modified: list[KeyHook] = []
        self.on_expired: list[KeyHook] = []
        # Keyspace notifications (node/notify.py): the classes on, and what publishes them.
        self.notify_flags = 0
        self.notifier: Callable[[bytes, bytes, int], None] = lambda event, key, dbid: None
        # Whole-database events, so watchers need not hear of every key: a FLUSHDB/FLUSHALL
        # (called before the keys go) and a SWAPDB (after).
        self.on_flushed: list[Callable[[Database], None]] = []
        self.on_swapped: list[Callable[[Database, Database], None]] = []
        self.dbs = [Database(i, self) for i in range(databases)]

    def tick(self) -> None:
        """Refresh the cached clock; called by the cron, and by Client.process (inlined)."""
        self.now = now = time.time_ns() // 1_000_000
        if now >= self.lru_next:
            # Once a second, not per batch: dividing a multi-digit int is CPython's slow path.
            # (A wall clock set back leaves lru_clock ahead until it catches up, which only
            # makes OBJECT IDLETIME read 0 meanwhile.)
            self.lru_clock = lru_clock_at(now)
            self.lru_next = (now // 1000 + 1) * 1000

    def set_accounting(self, on: bool) -> None:
        """Start (costing every key, O(keys)) or stop keeping the memory account."""
        self.accounting = on
        self.used = 0
        for db in self.dbs:
            if on:
                db.account_all()
                self.used += db.used
            else:
                db.used = 0
                db.msizes = {}

    # -- LFU (Redis's evict.c: a logarithmic 8-bit counter that decays per idle period) ----

    LFU_INIT_VAL = 5

    def set_lfu(self, on: bool, log_factor: int, decay_time: int) -> None:
        if not on:
            for db in self.dbs:
                db.freq = {}
        self.lfu = on
        self.lfu_log_factor = log_factor
        self.lfu_decay_time = decay_time

    def lfu_init(self) -> int:
        return (self.now // 60000 & 65535) << 8 | self.LFU_INIT_VAL

    def lfu_counter(self, word: int | None) -> int:
        """LFUDecrAndReturn: the counter after one decrement per elapsed decay period."""
        if word is None:
            return self.LFU_INIT_VAL
        counter = word & 255
        if self.lfu_decay_time:
            now = self.now // 60000 & 65535
            ldt = word >> 8
            elapsed = now - ldt if now >= ldt else 65535 - ldt + now
            periods = elapsed // self.lfu_decay_time
            counter = 0 if periods > counter else counter - periods
        return counter

    def lfu_bump(self, word: int | None) -> int:
        """updateLFU: decay, then a probabilistic increment (LFULogIncr)."""
        counter = self.lfu_counter(word)
        if counter < 255:
            base = max(counter - self.LFU_INIT_VAL, 0)
            if random.random() < 1.0 / (base * self.lfu_log_factor + 1):
                counter += 1
        return (self.now // 60000 & 65535) << 8 | counter

    def active_expire_cycle(self, budget: int = 2000) -> None:
        if self.replica:
            return  # the primary's DELs do it; the heaps stay whole for a promotion
        self.active_expiring = True
        try:
            for db in self.dbs:
                if db.expires:
                    budget -= db.active_expire(budget)
                    if budget <= 0:
                        return
        finally:
            self.active_expiring = False

    def flush_all(self) -> int:
        return sum(db.flush() for db in self.dbs)
