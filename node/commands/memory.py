"""MEMORY: how much memory a key and the whole server use (Redis's object.c).

slotkv's values are Python objects, so MEMORY USAGE is an estimate (node/sizes.py): the
key, the value (aggregates sampled as Redis samples them) and the share of the database
dicts each key costs.

MEMORY STATS keeps Redis 7.0's field names and order and fills them with measurements:

- `total.allocated`, `startup.allocated`, `peak.allocated` are the process's resident set
  size (now, when the commands were loaded, and its high-water mark), the numbers INFO's
  `used_memory*` fields report. While `maxmemory` is set they are instead the figure the
  limit applies to, which falls when keys go (node/evict.py): now, at start, and its peak.
- `allocator.*` come from the allocators themselves: glibc's `mallinfo2` plus pymalloc's
  arena statistics give the bytes in use and the bytes obtained from the system; both count
  the interpreter's own resident image (measured at startup), so the ratios Redis derives
  from them (fragmentation, RSS overhead) start near 1 and grow with real fragmentation.
- per-database overhead is the size of the dicts that index keys, access times and expiries.

Without `mallinfo2` (a libc other than glibc) the allocator fields fall back to what Redis
reports for an allocator without statistics: the resident set size.
"""

from __future__ import annotations

import ctypes
import gc
import os
import resource
import struct
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable

from node.client_evict import client_memory
from node.errors import SYNTAX, CommandError
from node.numbers import parse_int
from node.replies import OK, Status, Verbatim
from node.sizes import size_of
from node.table import command

HELP = [
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
]

ALLOCATOR = "libc"  # what MEMORY DOCTOR names as "the currently used allocator"
DEFAULT_SAMPLES = 5
MB = 1024 * 1024


# -- measurements -----------------------------------------------------------------------------


def rss() -> int:
    """The process's resident set size in bytes."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss() -> int:
    """The resident set size's high-water mark (the kernel tracks it for us)."""
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, rss())


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _load_mallinfo2() -> Callable[[], _MallInfo2] | None:
    try:
        fn = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    fn.argtypes = []
    return fn


_mallinfo2 = _load_mallinfo2()


def _pymalloc_stats() -> tuple[int, int]:
    """(bytes in allocated blocks, bytes in arenas) of pymalloc, Python's small-object
    allocator, whose arenas are mmap-ed and so invisible to mallinfo. CPython prints these
    only to C stderr, so fd 2 is pointed at a temporary file for the call."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as tmp:
            os.dup2(tmp.fileno(), 2)
            try:
                sys._debugmallocstats()
            finally:
                os.dup2(saved, 2)
            tmp.seek(0)
            text = tmp.read().decode("ascii", "replace")
    finally:
        os.close(saved)
    used = arenas = 0
    for line in text.splitlines():
        name, sep, value = line.rpartition("=")
        if not sep:
            continue
        name = name.strip()
        if name == "# bytes in allocated blocks":
            used = int(value.strip().replace(",", ""))
        elif name.endswith("bytes/arena"):
            arenas = int(value.strip().replace(",", ""))
    return used, arenas


def heap_usage() -> tuple[int, int] | None:
    """(bytes in use, bytes obtained from the system) by malloc and pymalloc together;
    None where glibc's mallinfo2 is not available."""
    if _mallinfo2 is None:
        return None
    try:
        py_used, py_arenas = _pymalloc_stats()
    except (OSError, ValueError):
        return None
    mi = _mallinfo2()
    return mi.uordblks + mi.hblkhd + py_used, mi.arena + mi.hblkhd + py_arenas


def _interpreter_image() -> int:
    # Resident memory that is not heap: code, libraries, stacks. Counted as allocated by
    # the allocator fields so their ratios describe the heap, not the interpreter's size.
    heap = heap_usage()
    return max(rss() - heap[1], 0) if heap is not None else 0


STARTUP_RSS = rss()
_IMAGE = _interpreter_image()


def _db_overhead(db: Any) -> tuple[int, int]:
    main = sys.getsizeof(db.data) + sys.getsizeof(db.access) + sys.getsizeof(db.freq)
    expires = sys.getsizeof(db.expires) + sys.getsizeof(getattr(db, "_heap", ()))
    return main, expires


def _float32(x: float) -> float:
    # Redis computes these ratios in C `float`; its replies carry that precision.
    return struct.unpack("f", struct.pack("f", x))[0]


@dataclass
class Overhead:
    """Redis's `struct redisMemOverhead`: what MEMORY STATS and MEMORY DOCTOR report."""

    peak_allocated: int
    total_allocated: int
    startup_allocated: int
    clients_normal: int
    dbs: list[tuple[int, int, int]] = field(default_factory=list)  # (index, main, expires)
    overhead_total: int = 0
    total_keys: int = 0
    allocator_allocated: int = 0
    allocator_active: int = 0
    allocator_resident: int = 0
    process_rss: int = 0

    @property
    def dataset(self) -> int:
        return max(self.total_allocated - self.overhead_total, 0)

    @property
    def net_usage(self) -> int:
        net = self.total_allocated - self.startup_allocated
        return net if net > 0 else 1


def overhead(server: Any) -> Overhead:
    """Measure the server's memory now (getMemoryOverheadData). Under maxmemory the total
    is the figure the limit applies to (node/evict.py), else the resident set."""
    resident = rss()
    heap = heap_usage()
    if heap is not None:
        allocated, active = heap[0] + _IMAGE, heap[1] + _IMAGE
    else:
        allocated = active = resident
    evictor = server.evictor
    if evictor.limit:
        evictor.refresh()
        total, peak, startup = evictor.used_memory(), evictor.peak, evictor.startup
    else:
        total, peak, startup = resident, peak_rss(), STARTUP_RSS
    mh = Overhead(
        peak_allocated=peak,
        total_allocated=total,
        startup_allocated=startup,
        clients_normal=sum(client_memory(c) for c in list(server.clients.values())),
        allocator_allocated=allocated,
        allocator_active=active,
        allocator_resident=resident,
        process_rss=resident,
    )
    total = mh.startup_allocated + mh.clients_normal
    for db in server.keyspace.dbs:
        if not db.data:
            continue
        mh.total_keys += len(db.data)
        main, expires = _db_overhead(db)
        mh.dbs.append((db.index, main, expires))
        total += main + expires
    mh.overhead_total = total
    return mh


def _ratio(a: int, b: int) -> float:
    return _float32(a / b) if b else 0.0


# -- MEMORY USAGE sizing ----------------------------------------------------------------------


def _entry_cost(d: dict) -> int:
    # A key's share of a dict: its table slot and entry, amortized with the table's slack.
    return sys.getsizeof(d) // len(d) if d else 0


def key_usage(db: Any, key: bytes, value: Any, samples: int) -> int:
    usage = size_of(value, samples) + sys.getsizeof(key)
    usage += _entry_cost(db.data) + _entry_cost(db.access)
    when = db.expires.get(key)
    if when is not None:
        # the expiry entry, its deadline and the expiry heap's (deadline, key) tuple
        usage += _entry_cost(db.expires) + sys.getsizeof(when) + sys.getsizeof((when, key)) + 8
    return usage


# -- commands ---------------------------------------------------------------------------------

command("memory", -2, categories="slow", group="server", since="4.0.0",
        complexity="Depends on subcommand.",
        summary="A container for memory diagnostics commands")(None)


@command("memory|purge", 2, group="server", since="4.0.0",
         tips="request_policy:all_shards response_policy:all_succeeded",
         complexity="Depends on how much memory is allocated, could be slow",
         summary="Ask the allocator to release memory")
def memory_purge(ctx: Any, argv: list[bytes]) -> Any:
    gc.collect()
    return OK


@command("memory|help", 2, "loading stale", group="server", since="4.0.0",
         summary="Show helpful text about the different subcommands")
def memory_help(ctx: Any, argv: list[bytes]) -> list:
    return [Status(line.encode()) for line in HELP]


@command("memory|malloc-stats", 2, group="server", since="4.0.0",
         tips="nondeterministic_output request_policy:all_shards response_policy:special",
         complexity="Depends on how much memory is allocated, could be slow",
         summary="Show allocator internal stats")
def memory_malloc_stats(ctx: Any, argv: list[bytes]) -> bytes:
    # Redis's reply when built on an allocator without a statistics report (libc malloc).
    return b"Stats not supported for the current allocator"


@command("memory|usage", -3, "readonly", keys=(2, 2, 1), key_flags="RO", group="server",
         since="4.0.0", complexity="O(N) where N is the number of samples.",
         summary="Estimate the memory usage of a key")
def memory_usage(ctx: Any, argv: list[bytes]) -> int | None:
    samples = DEFAULT_SAMPLES
    i = 3
    while i < len(argv):
        if argv[i].lower() == b"samples" and i + 1 < len(argv):
            samples = parse_int(argv[i + 1])
            if samples < 0:
                raise CommandError(SYNTAX)
            if samples == 0:
                samples = 2**63 - 1
            i += 2
        else:
            raise CommandError(SYNTAX)
    db = ctx.db
    # Like Redis, a plain dict lookup: no expiry check, no access-time or hit accounting.
    value = db.data.get(argv[2])
    if value is None:
        return None
    return key_usage(db, argv[2], value, samples)


@command("memory|stats", 2, group="server", since="4.0.0",
         tips="nondeterministic_output request_policy:all_shards response_policy:special",
         summary="Show memory usage details")
def memory_stats(ctx: Any, argv: list[bytes]) -> dict:
    mh = overhead(ctx.server)
    out: dict[str, Any] = {
        "peak.allocated": mh.peak_allocated,
        "total.allocated": mh.total_allocated,
        "startup.allocated": mh.startup_allocated,
        "replication.backlog": 0,
        "clients.slaves": 0,
        "clients.normal": mh.clients_normal,
        "cluster.links": 0,
        "aof.buffer": 0,
        "lua.caches": 0,
        "functions.caches": 0,
    }
    for index, main, expires in mh.dbs:
        out[f"db.{index}"] = {
            "overhead.hashtable.main": main,
            "overhead.hashtable.expires": expires,
            "overhead.hashtable.slot-to-keys": 0,
        }
    alloc, active, resident = mh.allocator_allocated, mh.allocator_active, mh.allocator_resident
    out.update({
        "overhead.total": mh.overhead_total,
        "keys.count": mh.total_keys,
        "keys.bytes-per-key": mh.net_usage // mh.total_keys if mh.total_keys else 0,
        "dataset.bytes": mh.dataset,
        "dataset.percentage": _float32(mh.dataset * 100 / mh.net_usage),
        "peak.percentage": _ratio(mh.total_allocated * 100, mh.peak_allocated),
        "allocator.allocated": alloc,
        "allocator.active": active,
        "allocator.resident": resident,
        "allocator-fragmentation.ratio": _ratio(active, alloc),
        "allocator-fragmentation.bytes": active - alloc,
        "allocator-rss.ratio": _ratio(resident, active),
        "allocator-rss.bytes": resident - active,
        "rss-overhead.ratio": _ratio(mh.process_rss, resident),
        "rss-overhead.bytes": mh.process_rss - resident,
        "fragmentation": _ratio(mh.process_rss, mh.total_allocated),
        "fragmentation.bytes": mh.process_rss - mh.total_allocated,
    })
    return out


# MEMORY DOCTOR's findings, in Redis 7.0.15's words and order.
_DOCTOR = {
    "big_peak": " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n",  # noqa: E501
    "high_frag": " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"" + ALLOCATOR + "\".\n\n",  # noqa: E501
    "high_alloc_frag": " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n",  # noqa: E501
    "high_alloc_rss": " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n",  # noqa: E501
    "high_proc_rss": " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n",  # noqa: E501
    "big_client_buf": " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n",  # noqa: E501
}
_DOCTOR_EMPTY = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't "
    "be used in these conditions. Please, leave for your mission on Earth and fill it with "
    "some data. The new Sam and I will be back to our programming as soon as I finished "
    "rebooting.\n")
_DOCTOR_FINE = ("Hi Sam, I can't find any memory issue in your instance. I can only account "
                "for what occurs on this base.\n")


def doctor_report(server: Any) -> str:
    """getMemoryDoctorReport: Redis's checks, applied to slotkv's measurements."""
    mh = overhead(server)
    if mh.total_allocated < 5 * MB:
        return _DOCTOR_EMPTY
    alloc, active, resident = mh.allocator_allocated, mh.allocator_active, mh.allocator_resident
    found = []
    if _ratio(mh.peak_allocated, mh.total_allocated) > 1.5:
        found.append("big_peak")
    if (_ratio(mh.process_rss, mh.total_allocated) > 1.4
            and mh.process_rss - mh.total_allocated > 10 * MB):
        found.append("high_frag")
    if _ratio(active, alloc) > 1.1 and active - alloc > 10 * MB:
        found.append("high_alloc_frag")
    if _ratio(resident, active) > 1.1 and resident - active > 10 * MB:
        found.append("high_alloc_rss")
    if _ratio(mh.process_rss, resident) > 1.1 and mh.process_rss - resident > 10 * MB:
        found.append("high_proc_rss")
    clients = len(server.clients)
    if clients and mh.clients_normal / clients > 200 * 1024:
        found.append("big_client_buf")
    if not found:
        return _DOCTOR_FINE
    return ("Sam, I detected a few issues in this Redis instance memory implants:\n\n"
            + "".join(_DOCTOR[name] for name in found)
            + "I'm here to keep you safe, Sam. I want to help you.\n")


@command("memory|doctor", 2, group="server", since="4.0.0",
         tips="nondeterministic_output request_policy:all_shards response_policy:special",
         summary="Outputs memory problems report")
def memory_doctor(ctx: Any, argv: list[bytes]) -> Verbatim:
    return Verbatim(doctor_report(ctx.server).encode())
