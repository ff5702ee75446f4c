"""maxmemory: the memory figure it limits, and evicting keys when over it (Redis's evict.c).

With `maxmemory` set, the keyspace keeps a running account of what its keys cost
(node/sizes.py, Keyspace.used). The figure compared with the limit is that account plus what
lives outside it: the databases' dict tables, clients' buffers, Lua. INFO's `used_memory` is
that figure plus the heap the server held at start (`used_memory_startup`, about 25 MB),
which the limit leaves out, as Redis leaves out what `mem_not_counted_for_evict` reports.
Unlike the process's resident size it falls when keys go, as Redis's allocator count does.

As in Redis's processCommand, a command that finds the figure over the limit first evicts
keys by `maxmemory-policy` until it is not, for at most the time
`maxmemory-eviction-tenacity` allows (the rest goes on between commands); under
`noeviction`, or when nothing is left to evict, commands flagged `denyoom` (and anything but
EXEC/DISCARD inside MULTI) get -OOM. Checking before every command would cost the inline
request path its speed, so the keyspace tells when a write takes its account past the limit
(`Keyspace.check_at`, `over_limit`) and only then do commands take the checks path
(node/client.py) until evictions bring it back under.

Choosing keys: for LRU, LFU and TTL, each key evicted is the best by the policy's score of
`maxmemory-samples` random keys per database, as with Redis's pool, drawn in rounds of up
to 64 keys. Python dicts have no random access, so keys are drawn from a snapshot list of
each dict (`_Sampler`), every so many keys from a random start (`_draw`), and the snapshot
is taken again once it covers under half the dict or holds too many keys gone since; keys
newer than the snapshot wait for the next one, which under LRU they would rarely be chosen
before anyway. Each round frees a little more than needed (1/256 of the limit, at most
1 MiB), so that the writes after it stay on the inline path for a while.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from node.client_evict import client_memory
from node.log import log
from node.sizes import table_bytes

# What a freshly built dict table costs per key (CPython 3.11, 8-byte index slots
# included), and the most keys a database may have for its tables to be rebuilt (about
# 10 ms of the event loop).
TABLE_BYTES_PER_KEY = 50
COMPACT_MAX = 256 * 1024

if TYPE_CHECKING:
    from node.keyspace import Database
    from node.server import Server

EVICT_OK, EVICT_RUNNING, EVICT_FAIL = 0, 1, 2
ROUND = 64  # keys evicted per round of sampling at most
_SCORE = itemgetter(0)


def time_limit_ns(tenacity: int) -> float:
    """evictionTimeLimitUs: how long one call may evict, by maxmemory-eviction-tenacity."""
    if tenacity <= 10:
        return 50_000 * tenacity  # linear up to 500 us
    if tenacity < 100:
        return 500_000 * 1.15 ** (tenacity - 10)  # ~2 minutes at 99
    return float("inf")


def _draw(keys: list[bytes], n: int, d: dict[bytes, Any]) -> list[bytes]:
    """About `n` random entries of `keys` (at least `n` when there are that many), those
    still keys of `d`: every stride-th entry from a random start. Each entry is as likely
    as any other to be drawn, and the picks spread over the whole snapshot (all ages of
    keys, in insertion order); a slice is one C copy, where `n` random indexes cost about
    a quarter of an eviction (callgrind)."""
    size = len(keys)
    if not size:
        return []
    stride = max(size // n, 1)
    return list(filter(d.__contains__, keys[random.randrange(stride)::stride]))


class _Sampler:
    """Random keys of one dict, from a snapshot of its keys (see the module docstring)."""

    __slots__ = ("keys", "evicted")

    def __init__(self) -> None:
        self.keys: list[bytes] = []
        self.evicted = 0  # keys evicted since the snapshot: it holds them until they are met

    def sample(self, d: dict[bytes, Any], n: int) -> list[bytes]:
        """About `n` random keys of `d` (see `_draw`)."""
        keys = self.keys
        size = len(d)
        # Taken again when it covers too little of the dict, or holds too many keys that are
        # gone (they also stay allocated while it refers to them).
        if (len(keys) < size // 2 or len(keys) > size + size // 2 + 64
                or self.evicted > len(keys) // 4):
            keys = self._take(d)
        picked = _draw(keys, n, d)
        if not picked and d:  # every pick was gone: the snapshot is that stale
            picked = _draw(self._take(d), n, d)
        return picked

    def _take(self, d: dict[bytes, Any]) -> list[bytes]:
        self.keys = keys = list(d)
        self.evicted = 0
        return keys


class Evictor:
    """The maxmemory limit of one node: its memory figure, OOM state and evictions."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.limit = 0
        self.policy = "noeviction"
        self.samples = 5
        self.tenacity_ns = time_limit_ns(10)
        self.lazy = False  # lazyfree-lazy-eviction: propagate UNLINK rather than DEL
        self.startup = 0  # used_memory_startup: see measure_startup
        # What lives outside the key account, refreshed by `refresh` (the cron's tick): the
        # databases' tables, and `outside` the keyspace (clients, Lua, key snapshots); and
        # the highest figure `refresh` saw.
        self.other = 0
        self.outside = 0
        self.peak = 0
        # Whether the last check left memory over the limit: then every command takes the
        # checks path (Server.fast_table), so that even a read evicts first, as in Redis.
        self.over = False
        # processCommand's pre_command_oom_state: whether the running command met an OOM,
        # which a script's first write is refused by (node/scripting.py).
        self.pre_command_oom = False
        self.samplers: dict[tuple[int, bool], _Sampler] = {}
        self.next_db = 0  # the random policies' round robin over databases
        self.exceeded_since = 0  # monotonic ns since memory has been over the limit, or 0
        self.exceeded_total = 0  # ns over the limit before that
        self._background: Any = None  # the loop callback that goes on evicting (RUNNING)
        ks = server.keyspace
        ks.on_grown = self._grown
        ks.on_flushed.append(self._forget)
        ks.on_swapped.append(lambda db, other: (self._forget(db), self._forget(other)))
        self.measure_startup()
        for name in ("maxmemory", "maxmemory-policy", "maxmemory-samples",
                     "maxmemory-eviction-tenacity", "lazyfree-lazy-eviction"):
            server.config.listen(name, self._configure)
        self._apply()  # (the server computes its fast table once this exists)

    # -- configuration ----------------------------------------------------------------------

    def _configure(self, _value: Any) -> None:
        self._apply()
        self.server.checks_changed()

    def _apply(self) -> None:
        config = self.server.config
        limit = config["maxmemory"]
        policy = config["maxmemory-policy"]
        self.policy = policy
        self.samples = config["maxmemory-samples"]
        self.tenacity_ns = time_limit_ns(config["maxmemory-eviction-tenacity"])
        self.lazy = config["lazyfree-lazy-eviction"]
        ks = self.server.keyspace
        if bool(limit) != ks.accounting:
            ks.set_accounting(bool(limit))
            if not limit:
                self.samplers = {}
        was, self.limit = self.limit, limit
        self.refresh()
        if limit and limit != was:
            used = self.counted()
            if limit < used:
                log("warning", f"WARNING: the new maxmemory value set via CONFIG SET ({limit}) "
                    f"is smaller than the current memory usage ({used}). This will result in "
                    "key eviction and/or the inability to accept new write commands depending "
                    "on the maxmemory-policy.")
            self._start_background()
        if not limit:
            self.over = ks.over_limit = False
            self.pre_command_oom = False

    # -- the memory figure -----------------------------------------------------------------

    def measure_startup(self) -> None:
        """Take the heap in use now, before the dataset loads (the interpreter's and the
        server's own objects), as the baseline of the figure: used_memory_startup."""
        from node.commands.memory import heap_usage, rss

        heap = heap_usage()
        self.startup = heap[0] if heap is not None else rss()
        self.refresh()

    def refresh(self) -> None:
        """Measure what lives outside the key account (the cron calls this every tick)."""
        server = self.server
        ks = server.keyspace
        if not self.limit:
            ks.check_at = 1 << 63
            return
        clients = sum(client_memory(c) for c in list(server.clients.values())
                      if not c.monitor)
        snapshots = 8 * sum(len(s.keys) for s in self.samplers.values())
        self.outside = clients + snapshots + server.scripting.memory()
        self._measure_tables()
        self.peak = max(self.peak, self.used_memory())

    def _measure_tables(self) -> None:
        # The tables grow in steps as keys are added: measured again each time the key
        # account grows by a sixteenth, and before evicting.
        ks = self.server.keyspace
        self.other = self.outside + sum(table_bytes(db) for db in ks.dbs)
        room = self.limit - self.other
        ks.check_at = min(room, ks.used + max(ks.used >> 4, 1 << 16))

    def _grown(self) -> None:
        # A write took the key account past `check_at`: if that is over the limit, the next
        # command takes the checks path and evicts first.
        self._measure_tables()
        if self.counted() > self.limit:
            self._set_over(True)

    def _forget(self, db: Database) -> None:
        # FLUSHDB, SWAPDB: the snapshots of this database's keys no longer describe it.
        self.samplers.pop((db.index, False), None)
        self.samplers.pop((db.index, True), None)

    def used_memory(self) -> int:
        """INFO's used_memory while maxmemory is set: `counted` and the heap held at start."""
        return self.startup + self.counted()

    def counted(self) -> int:
        """The figure maxmemory limits: used_memory less the heap held at start (about
        25 MB of interpreter and server objects, reported in mem_not_counted_for_evict).
        Redis counts its own start, but that is about 1 MB: counted here, it would leave a
        `maxmemory 10mb` no room for a single key."""
        return self.server.keyspace.used + self.other

    def exceeded_ms(self) -> tuple[int, int]:
        """INFO's total_eviction_exceeded_time and current_eviction_exceeded_time (ms)."""
        current = time.monotonic_ns() - self.exceeded_since if self.exceeded_since else 0
        return (self.exceeded_total + current) // 1_000_000, current // 1_000_000

    # -- before a command --------------------------------------------------------------------

    def refuses(self, client: Any, cmd: Any) -> bool:
        """processCommand's maxmemory step for `cmd` from `client`: evict as needed; whether
        the command is refused with -OOM."""
        oom = self.perform() == EVICT_FAIL
        self.pre_command_oom = oom
        if not oom or client.must_obey:
            return False
        if client.multi is not None and cmd.name not in ("exec", "discard", "quit", "reset"):
            return True  # a transaction's queue could otherwise grow without bound
        if "denyoom" in cmd.flags:
            return True
        return cmd.name == "exec" and any("denyoom" in c.flags for c, _ in client.multi or ())

    def _safe(self) -> bool:
        # isSafeToPerformEvictions: not while a script is busy or data loads, not on a
        # replica that ignores maxmemory (its primary's DELs evict), not while paused.
        server = self.server
        if server.busy is not None or server.rdb.loading:
            return False
        if server.keyspace.replica and server.config["replica-ignore-maxmemory"]:
            return False
        return not (server.pause_end and time.monotonic() < server.pause_end)

    def perform(self) -> int:
        """performEvictions: EVICT_OK when memory is under the limit (or eviction may not run
        now), EVICT_RUNNING when the time limit stopped it (it goes on between commands),
        EVICT_FAIL when nothing more can be evicted."""
        if not self._safe():
            self._set_over(False)
            return EVICT_OK
        tofree = self.counted() - self.limit
        if tofree > 0:  # the tables may have grown since the last tick
            self._measure_tables()
            tofree = self.counted() - self.limit
        if tofree > 0 and self._compact_tables():
            tofree = self.counted() - self.limit  # what deletions left in the tables came first
        if tofree <= 0:
            return self._result(EVICT_OK)
        if self.policy == "noeviction":
            return self._result(EVICT_FAIL)
        server = self.server
        ks = server.keyspace
        latency = server.latency
        # Read once: neither changes while keys are evicted. Without a latency threshold no
        # deletion is timed (latencyAddSampleIfNeeded would drop every sample).
        timed = server.config["latency-monitor-threshold"] > 0
        propagates = server.propagation.active
        volatile = self.policy.startswith("volatile-")
        clock = time.perf_counter_ns
        start = clock()
        freed = 0
        # A little past the limit (1/256 of it, at most 1 MiB): the writes that follow then
        # stay inline for a while instead of each taking the checks path to evict one key.
        target = tofree + min(self.limit >> 8, 1 << 20)
        stored = sum(map(len, [db.data for db in ks.dbs]))
        average = max(ks.used // stored if stored else 1, 1)
        while freed < target:
            batch = self._candidates(max(1, min(ROUND, (target - freed) // average)))
            if not batch:
                break
            for db, keys in batch:
                before = ks.used
                goal = before - (target - freed)  # the account's figure once target is freed
                if timed:  # each deletion timed alone, as Redis's eviction-del
                    gone = []
                    for key in keys:
                        t0 = clock()
                        gone += db.evict([key], goal)
                        latency.add_sample_if_needed("eviction-del", (clock() - t0) // 1_000_000)
                        if ks.used <= goal:
                            break
                else:
                    gone = db.evict(keys, goal)
                freed += before - ks.used
                self._sampler(db, volatile).evicted += len(gone)
                if propagates:
                    command = server.propagation.command
                    delete = b"UNLINK" if self.lazy else b"DEL"
                    for key in gone:
                        command(db.index, (delete, key))
                if freed >= target:
                    break
            if clock() - start > self.tenacity_ns:
                if freed >= tofree:
                    break  # under the limit; the margin can wait
                self._start_background()
                return self._result(EVICT_RUNNING)
        latency.add_sample_if_needed("eviction-cycle", (clock() - start) // 1_000_000)
        return self._result(EVICT_OK if freed >= tofree else EVICT_FAIL)

    def _compact_tables(self) -> bool:
        """Rebuild the databases whose tables deletions left more than twice the size their
        keys need (Database.compact); whether any was. Up to COMPACT_MAX keys only: a
        rebuild holds the event loop for about 40 ns a key."""
        compacted = False
        for db in self.server.keyspace.dbs:
            n = len(db.data)
            need = TABLE_BYTES_PER_KEY * n + 32768
            if 0 < n <= COMPACT_MAX and sys.getsizeof(db.data) > 2 * need:
                db.compact()
                compacted = True
        if compacted:
            self._measure_tables()
        return compacted

    def _result(self, result: int) -> int:
        if result == EVICT_OK:
            if self.exceeded_since:
                self.exceeded_total += time.monotonic_ns() - self.exceeded_since
                self.exceeded_since = 0
        elif not self.exceeded_since:
            self.exceeded_since = time.monotonic_ns()
        self._set_over(result != EVICT_OK)
        return result

    def _set_over(self, over: bool) -> None:
        if over != self.over:
            self.over = self.server.keyspace.over_limit = over
            self.server.checks_changed()

    def _start_background(self) -> None:
        # Redis's eviction time proc: go on between commands until the limit is met.
        if self._background is None and self.limit:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return  # not serving yet: the first command or cron tick evicts
            self._background = loop.call_soon(self._go_on)

    def _go_on(self) -> None:
        self._background = None
        if self.limit and self.perform() == EVICT_RUNNING:
            self._start_background()

    # -- choosing a key ----------------------------------------------------------------------

    def _candidates(self, want: int) -> list[tuple[Database, list[bytes]]]:
        """Up to `want` keys to evict, best first, as runs of keys of one database; none
        when there is nothing to evict.

        For the LRU, LFU and TTL policies: `maxmemory-samples` random keys of every
        database per key wanted, the best `want` of them by the policy's score.
        """
        dbs = self.server.keyspace.dbs
        volatile = self.policy.startswith("volatile-")
        if self.policy.endswith("-random"):  # databases taken in turn
            for _ in range(len(dbs)):
                db = dbs[self.next_db % len(dbs)]
                self.next_db += 1
                d = db.expires if volatile else db.data
                if d:
                    return [(db, self._sampler(db, volatile).sample(d, want))]
            return []
        pools = [(db, self._sampler(db, volatile).sample(d, want * self.samples))
                 for db in dbs if (d := db.expires if volatile else db.data)]
        ttl = self.policy == "volatile-ttl"
        if len(pools) == 1 and (ttl or self.policy.endswith("-lru")):
            # One database holds keys (the common case): its sample sorted in C by the
            # stored figure the score is made of, the oldest access or nearest deadline
            # first, stable as the scored sort below is.
            db, keys = pools[0]
            try:
                keys.sort(key=(db.expires if ttl else db.access).__getitem__)
            except KeyError:  # a key with no access recorded: scored below (idle 0)
                pass
            else:
                return [(db, keys[:want])]
        scored: list[tuple[int, int, bytes]] = []
        for db, keys in pools:
            scored.extend(self._score(db, keys))
        # (By score alone: ties, common with LRU's one-second clock, need not compare keys.)
        scored.sort(key=_SCORE, reverse=True)
        runs: list[tuple[Database, list[bytes]]] = []
        for _, index, key in scored[:want]:
            if runs and runs[-1][0].index == index:
                runs[-1][1].append(key)
            else:
                runs.append((dbs[index], [key]))
        return runs

    def _sampler(self, db: Database, volatile: bool) -> _Sampler:
        sampler = self.samplers.get((db.index, volatile))
        if sampler is None:
            sampler = self.samplers[(db.index, volatile)] = _Sampler()
        return sampler

    def _score(self, db: Database, keys: list[bytes]) -> list[tuple[int, int, bytes]]:
        """(score, db index, key) for each key: the higher, the sooner it goes."""
        ks = db.keyspace
        index = db.index
        policy = self.policy
        if policy.endswith("-lru"):  # idle seconds
            clock = ks.lru_clock
            access = db.access
            return [(clock - access.get(key, clock), index, key) for key in keys]
        if policy.endswith("-lfu"):  # the rarer, the better
            freq = db.freq
            return [(255 - ks.lfu_counter(freq.get(key)), index, key) for key in keys]
        expires = db.expires  # volatile-ttl: the sooner the deadline, the better
        return [(-expires[key], index, key) for key in keys]
