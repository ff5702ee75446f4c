"""INFO [section ...]: the server's state as Redis 7.0 reports it, field for field.

Sections, their order and their field names are Redis 7.0.15's (`genRedisInfoString`); a
field is either slotkv's real value or, for machinery slotkv does not have (forks, jemalloc,
I/O threads, Lua), the value an idle Redis reports for it, so tools that parse INFO find
every field they expect.

Memory: slotkv has no allocator accounting of its own (tracemalloc would tax every
allocation), so the Memory section reports what MEMORY STATS measures (node/commands/memory.py,
one source for both): `used_memory` is the process's resident set size from /proc/self/statm,
`used_memory_startup` the RSS when the command modules were loaded, `used_memory_peak` the
kernel's high-water mark, and the allocator fields come from glibc's and pymalloc's own
statistics where available.
"""

from __future__ import annotations

import hashlib
import os
import platform
import resource
import sys
import time
from typing import Any, Callable

from node import __version__
from node.commands.memory import ALLOCATOR as MEMORY_ALLOCATOR
from node.commands.memory import overhead as memory_overhead
from node.config import format_percentile
from node.latency import percentile_usec
from node.replies import Verbatim
from node.server import REDIS_VERSION
from node.table import all_commands, command

DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                    "modules", "errorstats", "cluster", "keyspace")
ALL_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace")
TITLES = {"cpu": "CPU"}

_BUILD_ID = hashlib.sha1(f"slotkv-{__version__}".encode()).hexdigest()[:15]


def _system_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0


def _gcc_version() -> str:
    parts = platform.python_compiler().split()
    return parts[1] if len(parts) > 1 and parts[0] == "GCC" else "0.0.0"


_OS = " ".join((platform.system(), platform.release(), platform.machine()))
_GCC = _gcc_version()


def human_bytes(n: int) -> str:
    """bytesToHuman: `894.83K`, `1.02M`, `23.54G`."""
    if n < 1024:
        return f"{n}B"
    for unit, size in (("K", 1024), ("M", 1024**2), ("G", 1024**3), ("T", 1024**4),
                       ("P", 1024**5)):
        if n < size * 1024:
            return f"{n / size:.2f}{unit}"
    return f"{n}B"


# -- sections ---------------------------------------------------------------------------------

Fields = list[tuple[str, Any]]


def _server(server: Any) -> Fields:
    config = server.config
    now = time.time()
    uptime = int(now - server.start_time)
    hz = config["hz"]
    return [
        ("redis_version", REDIS_VERSION),
        ("slotkv_version", __version__),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", _BUILD_ID),
        ("redis_mode", "cluster" if server.cluster is not None else "standalone"),
        ("os", _OS),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", "epoll" if sys.platform.startswith("linux") else "kqueue"),
        ("atomicvar_api", "c11-builtin"),
        ("gcc_version", _GCC),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", server.run_id),
        ("tcp_port", config["port"]),
        ("server_time_usec", time.time_ns() // 1000),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", hz),
        ("configured_hz", hz),
        ("lru_clock", int(now) & 0xFFFFFF),
        ("executable", os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""),
        ("config_file", config.file or ""),
        ("io_threads_active", 0),
    ]


def _clients(server: Any) -> Fields:
    clients = list(server.clients.values())
    return [
        ("connected_clients", len(clients)),
        ("cluster_connections", 0),
        ("maxclients", server.config["maxclients"]),
        ("client_recent_max_input_buffer", max((c.parser.pending() for c in clients), default=0)),
        ("client_recent_max_output_buffer",
         max((sum(len(b) for b in c.out) for c in clients), default=0)),
        # Paused clients are not counted, as Redis leaves out BLOCKED_POSTPONE.
        ("blocked_clients", len(server.blocking)),
        ("tracking_clients", server.tracking.clients),
        ("clients_in_timeout_table", server.blocking.timed_count()),
    ]


def _memory(server: Any) -> Fields:
    config = server.config
    mh = memory_overhead(server)
    used, rss = mh.total_allocated, mh.process_rss
    peak = max(mh.peak_allocated, used)
    alloc, active, resident = mh.allocator_allocated, mh.allocator_active, mh.allocator_resident
    system = _system_memory()
    maxmemory = config["maxmemory"]
    backlog = server.replication.backlog
    scripting = server.scripting
    lua = scripting.memory()
    return [
        ("used_memory", used),
        ("used_memory_human", human_bytes(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", human_bytes(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", human_bytes(peak)),
        ("used_memory_peak_perc", f"{used * 100 / peak:.2f}%"),
        ("used_memory_overhead", mh.overhead_total),
        ("used_memory_startup", mh.startup_allocated),
        ("used_memory_dataset", mh.dataset),
        ("used_memory_dataset_perc", f"{mh.dataset * 100 / mh.net_usage:.2f}%"),
        ("allocator_allocated", alloc),
        ("allocator_active", active),
        ("allocator_resident", resident),
        ("total_system_memory", system),
        ("total_system_memory_human", human_bytes(system)),
        ("used_memory_lua", lua),
        ("used_memory_vm_eval", lua),
        ("used_memory_lua_human", human_bytes(lua)),
        ("used_memory_scripts_eval", scripting.scripts_memory),
        ("number_of_cached_scripts", len(scripting.scripts)),
        ("number_of_functions", len(server.functions.functions)),
        ("number_of_libraries", len(server.functions.libraries)),
        ("used_memory_vm_functions", 0),
        ("used_memory_vm_total", lua),
        ("used_memory_vm_total_human", human_bytes(lua)),
        ("used_memory_functions", server.functions.memory()),
        ("used_memory_scripts", scripting.scripts_memory + server.functions.memory()),
        ("used_memory_scripts_human",
         human_bytes(scripting.scripts_memory + server.functions.memory())),
        ("maxmemory", maxmemory),
        ("maxmemory_human", human_bytes(maxmemory)),
        ("maxmemory_policy", config["maxmemory-policy"]),
        ("allocator_frag_ratio", _ratio(active, alloc)),
        ("allocator_frag_bytes", active - alloc),
        ("allocator_rss_ratio", _ratio(resident, active)),
        ("allocator_rss_bytes", resident - active),
        ("rss_overhead_ratio", _ratio(rss, resident)),
        ("rss_overhead_bytes", rss - resident),
        ("mem_fragmentation_ratio", _ratio(rss, used)),
        ("mem_fragmentation_bytes", rss - used),
        # The AOF buffer, as Redis; and the heap held at start, which maxmemory leaves out
        # (node/evict.py's `counted`).
        ("mem_not_counted_for_evict", server.aof.buf_len
         + (server.evictor.startup if server.evictor.limit else 0)),
        ("mem_replication_backlog", backlog.histlen if backlog is not None else 0),
        ("mem_total_replication_buffers", 0),
        ("mem_clients_slaves", 0),
        ("mem_clients_normal", mh.clients_normal),
        ("mem_cluster_links", 0),
        ("mem_aof_buffer", server.aof.buf_len),
        ("mem_allocator", MEMORY_ALLOCATOR),
        ("active_defrag_running", 0),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def _ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "0.00"


def _persistence(server: Any) -> Fields:
    return [
        *server.rdb.info_fields(),  # loading .. rdb_last_load_keys_loaded (node/snapshot.py)
        *server.aof.info(),  # the aof_* and module_fork_* fields (node/aof.py)
    ]


def _rates(server: Any) -> tuple[int, float, float]:
    """Commands/s and input/output KiB/s over the cron's recent samples."""
    samples = server.stats.ops_samples
    if len(samples) < 2:
        return 0, 0.0, 0.0
    t0, c0, i0, o0 = samples[0]
    t1, c1, i1, o1 = samples[-1]
    span = t1 - t0
    if span <= 0:
        return 0, 0.0, 0.0
    return int((c1 - c0) / span), (i1 - i0) / span / 1024, (o1 - o0) / span / 1024


def _stats(server: Any) -> Fields:
    stats = server.stats
    ks = server.keyspace
    ops, kin, kout = _rates(server)
    exceeded = server.evictor.exceeded_ms()
    return [
        ("total_connections_received", stats.connections_received),
        ("total_commands_processed", server.total_commands()),
        ("instantaneous_ops_per_sec", ops),
        ("total_net_input_bytes", stats.net_input_bytes + stats.repl_input_bytes),
        ("total_net_output_bytes", stats.net_output_bytes + stats.repl_output_bytes),
        ("total_net_repl_input_bytes", stats.repl_input_bytes),
        ("total_net_repl_output_bytes", stats.repl_output_bytes),
        ("instantaneous_input_kbps", f"{kin:.2f}"),
        ("instantaneous_output_kbps", f"{kout:.2f}"),
        ("instantaneous_input_repl_kbps", "0.00"),
        ("instantaneous_output_repl_kbps", "0.00"),
        ("rejected_connections", stats.rejected_connections),
        ("sync_full", stats.sync_full),
        ("sync_partial_ok", stats.sync_partial_ok),
        ("sync_partial_err", stats.sync_partial_err),
        ("expired_keys", ks.expired_keys),
        ("expired_stale_perc", "0.00"),
        ("expired_time_cap_reached_count", 0),
        ("expire_cycle_cpu_milliseconds", 0),
        ("evicted_keys", ks.evicted_keys),
        ("evicted_clients", stats.evicted_clients),
        ("total_eviction_exceeded_time", exceeded[0]),
        ("current_eviction_exceeded_time", exceeded[1]),
        ("keyspace_hits", ks.hits),
        ("keyspace_misses", ks.misses),
        ("pubsub_channels", len(server.pubsub.channels)),
        ("pubsub_patterns", len(server.pubsub.patterns)),
        ("pubsubshard_channels", len(server.pubsub.shard)),
        ("latest_fork_usec", server.children.fork_usec),
        ("total_forks", server.children.forks),
        ("migrate_cached_sockets", 0),
        ("slave_expires_tracked_keys", 0),
        ("active_defrag_hits", 0),
        ("active_defrag_misses", 0),
        ("active_defrag_key_hits", 0),
        ("active_defrag_key_misses", 0),
        ("total_active_defrag_time", 0),
        ("current_active_defrag_time", 0),
        ("tracking_total_keys", len(server.tracking.table)),
        ("tracking_total_items", sum(map(len, server.tracking.table.values()))),
        ("tracking_total_prefixes", len(server.tracking.prefixes)),
        ("unexpected_error_replies", 0),
        ("total_error_replies", sum(stats.errors.values())),
        ("dump_payload_sanitizations", 0),
        ("total_reads_processed", stats.reads),
        ("total_writes_processed", stats.writes),
        ("io_threaded_reads_processed", 0),
        ("io_threaded_writes_processed", 0),
        ("reply_buffer_shrinks", 0),
        ("reply_buffer_expands", 0),
    ]


def _replication(server: Any) -> Fields:
    return server.replication.info_fields()


def _cpu(server: Any) -> Fields:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    thread = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    return [
        ("used_cpu_sys", f"{me.ru_stime:.6f}"),
        ("used_cpu_user", f"{me.ru_utime:.6f}"),
        ("used_cpu_sys_children", f"{children.ru_stime:.6f}"),
        ("used_cpu_user_children", f"{children.ru_utime:.6f}"),
        ("used_cpu_sys_main_thread", f"{thread.ru_stime:.6f}"),
        ("used_cpu_user_main_thread", f"{thread.ru_utime:.6f}"),
    ]


def _modules(server: Any) -> Fields:
    return []


def _commandstats(server: Any) -> Fields:
    out: Fields = []
    for cmd in all_commands():
        if not (cmd.calls or cmd.failed_calls or cmd.rejected_calls):
            continue
        usec = cmd.nsec // 1000
        per_call = usec / cmd.calls if cmd.calls else 0.0
        out.append((f"cmdstat_{cmd.name}",
                    f"calls={cmd.calls},usec={usec},usec_per_call={per_call:.2f},"
                    f"rejected_calls={cmd.rejected_calls},failed_calls={cmd.failed_calls}"))
    return out


def _errorstats(server: Any) -> Fields:
    errors = server.stats.errors
    return [(f"errorstat_{code}", f"count={errors[code]}") for code in sorted(errors)]


def _latencystats(server: Any) -> Fields:
    monitor = server.latency
    if not monitor.tracking:
        return []
    percentiles = server.config["latency-tracking-info-percentiles"]
    out: Fields = []
    for cmd in all_commands():
        hist = cmd.hist
        if not any(hist):
            continue
        values = ",".join(f"p{format_percentile(p)}={percentile_usec(hist, p):.3f}"
                          for p in percentiles)
        out.append((f"latency_percentiles_usec_{cmd.name}", values))
    return out


def _cluster(server: Any) -> Fields:
    return [("cluster_enabled", int(server.config["cluster-enabled"]))]


def _keyspace(server: Any) -> Fields:
    out: Fields = []
    now = server.keyspace.now
    for db in server.keyspace.dbs:
        if not db.data:
            continue
        out.append((f"db{db.index}", f"keys={len(db.data)},expires={len(db.expires)},"
                    f"avg_ttl={_avg_ttl(db.expires, now)}"))
    return out


def _avg_ttl(expires: dict[bytes, int], now: int, sample: int = 1000) -> int:
    # Redis estimates this from the keys its expiry cycle samples; slotkv averages the first
    # `sample` keys with a deadline (an estimate too, bounded in cost).
    total = n = 0
    for when in expires.values():
        if when > now:
            total += when - now
        n += 1
        if n >= sample:
            break
    return total // n if n else 0


SECTIONS: dict[str, Callable[[Any], Fields]] = {
    "server": _server, "clients": _clients, "memory": _memory, "persistence": _persistence,
    "stats": _stats, "replication": _replication, "cpu": _cpu, "modules": _modules,
    "commandstats": _commandstats, "errorstats": _errorstats, "latencystats": _latencystats,
    "cluster": _cluster, "keyspace": _keyspace,
}


def selected_sections(args: list[bytes]) -> list[str]:
    """The sections `INFO args...` shows, in Redis's order."""
    if not args:
        return list(DEFAULT_SECTIONS)
    wanted: set[str] = set()
    for arg in args:
        name = arg.decode("utf-8", "replace").lower()
        if name == "default":
            wanted.update(DEFAULT_SECTIONS)
        elif name in ("all", "everything"):
            wanted.update(ALL_SECTIONS)
        else:
            wanted.add(name)
    return [s for s in ALL_SECTIONS if s in wanted]


def info_text(server: Any, args: list[bytes]) -> str:
    parts = []
    for section in selected_sections(args):
        lines = [f"# {TITLES.get(section, section.capitalize())}\r\n"]
        lines.extend(f"{k}:{v}\r\n" for k, v in SECTIONS[section](server))
        parts.append("".join(lines))
    return "\r\n".join(parts)


@command("info", -1, "loading stale", group="server", categories="dangerous",
         tips="nondeterministic_output request_policy:all_shards response_policy:special",
         summary="Get information and statistics about the server",
         history=(("7.0.0", "Added support for taking multiple section arguments."),))
def info(ctx: Any, argv: list[bytes]) -> Verbatim:
    return Verbatim(info_text(ctx.server, argv[1:]).encode())
