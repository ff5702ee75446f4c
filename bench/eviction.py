#!/usr/bin/env python3
"""What eviction costs: a slotkv node and a real redis-server writing new keys at `maxmemory`.

Starts one redis-server and one slotkv node on free loopback ports (pinned like compare.py:
servers on CPU 0, redis-benchmark on CPU 1). For each server it reads INFO's `used_memory`
less `mem_not_counted_for_evict` (the figure `maxmemory` limits) right after start, with
`maxmemory` set to 1gb first (slotkv only keeps its memory account while a limit is set),
and takes that as the server's baseline; the limit is then that
baseline plus `--room-mb`, so both servers get the same room for keys whatever their own
footprint.

The workload is `redis-benchmark -t set -r <keyspace> -d <size>`, pipelined (-c 50 -P 16)
and unpipelined (-c 50), measured twice per repetition:

  - no limit: `maxmemory 0`, after FLUSHALL and an unmeasured warm-up of the same SETs;
  - at the limit: `maxmemory` = baseline + room and `maxmemory-policy` = `--policy`, after
    FLUSHALL and warm-up runs that fill the room (until one whole run evicted at least half
    as many keys as it sent SETs), so the measured runs are at steady state: with a keyspace
    much larger than the keys that fit, nearly every SET creates a key and evicts one.

It reports per server and mode the ops/s of both, the slowdown, evicted keys per second and
per SET, the keys kept at the limit (DBSIZE, polled during the run) and the bytes each costs
(room / keys), and the server CPU per request (utime+stime from /proc/PID/stat); then
slotkv/redis ops/s at the limit. Every figure is the median of `--reps` repetitions, the
servers alternated run by run.

    python3 bench/eviction.py                   # the full run (~2-3 minutes)
    python3 bench/eviction.py --quick           # a smoke run (seconds)
    python3 bench/eviction.py --policy allkeys-lfu --room-mb 64 --json out.json

Run by hand, never by pytest (tests/test_bench_eviction.py only checks that a tiny run prints
its table). See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import threading
from dataclasses import asdict, dataclass
from typing import Any

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import (  # noqa: E402  (the scripts sit side by side, not in a package)
    _DESCRIBE_PYTHON, PIPELINE, SERVERS, Mode, Pinning, Server, ServerPair, _terminate, dbsize,
    fmt, median_or_none, progress, ratio, rep_ratios, run_benchmark, version_of,
)

LIMITS = ("none", "limit")  # maxmemory 0, then baseline + room
POLICIES = ("allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu",
            "volatile-random", "volatile-ttl", "noeviction")
# A lower bound on what one key of `--size` bytes costs either server besides its value (a
# 16-byte key and the objects around it): the fill's first warm-up is sized from it, so it
# overshoots the room rather than falls short of it.
MIN_KEY_OVERHEAD = 40
FILL_ROUNDS = 8  # warm-up runs at most before a limited run is measured anyway


@dataclass
class SetMode(Mode):
    """A compare.py mode whose SETs carry `size`-byte values (`-d`)."""

    size: int = 3

    def flags(self) -> list[str]:
        return [*super().flags(), "-d", str(self.size)]


@dataclass
class Sample:
    """One measured redis-benchmark run, with the server's eviction counters around it."""

    server: str
    mode: str
    limit: str                     # "none" or "limit"
    rep: int
    requests: int
    ops: float | None = None
    us_per_req: float | None = None
    seconds: float | None = None
    evicted: int | None = None     # evicted_keys during the run
    evicted_per_s: float | None = None
    keys: float | None = None      # DBSIZE: the mean of KeyCounter's polls
    keys_min: int | None = None
    keys_max: int | None = None
    used_memory: int | None = None  # INFO used_memory after the run
    error: str | None = None


@dataclass
class Row:
    server: str
    mode: str
    ops_none: float | None
    ops_limit: float | None
    slowdown: float | None          # ops_none / ops_limit: how many times slower at the limit
    evicted_per_s: float | None
    evicted_per_set: float | None
    keys: float | None              # median over the runs of each run's mean DBSIZE
    keys_min: int | None            # the lowest and highest DBSIZE any run saw
    keys_max: int | None
    bytes_per_key: float | None     # room / keys kept
    us_none: float | None
    us_limit: float | None


# -- talking to a server ----------------------------------------------------------------------

def client(server: Server) -> Any:
    """A redis-py client of the server; closed by its `with` block."""
    return redis.Redis(host="127.0.0.1", port=server.port, socket_timeout=120)


def info_field(server: Server, section: str, name: str) -> int:
    with client(server) as c:
        return int(c.info(section)[name])


def configure(server: Server, **settings: str | int) -> None:
    with client(server) as c:
        for name, value in settings.items():
            c.config_set(name.replace("_", "-"), value)


def flushall(server: Server) -> None:
    with client(server) as c:
        c.flushall()


def check_alive(server: Server) -> None:
    """After a failed run: a server that died ends the benchmark (a run it merely refused,
    such as -OOM, is reported and the benchmark goes on)."""
    if not server.alive():
        raise RuntimeError(f"{server.name} exited (code {server.proc.returncode}):\n"
                           f"{server.log_tail()}")


def baseline(server: Server) -> int:
    """The figure maxmemory limits (used_memory less mem_not_counted_for_evict) of the fresh
    server with a limit set: what its keys' room is added to."""
    # 1gb rather than any limit near the figure: nothing may be evicted while reading it.
    configure(server, maxmemory="1gb")
    return (info_field(server, "memory", "used_memory")
            - info_field(server, "memory", "mem_not_counted_for_evict"))


class KeyCounter:
    """DBSIZE polled in a thread for the length of a `with` block, and once at its end. At
    the limit slotkv's key count swings by nearly half as its dict tables change size under
    churn (they are part of its memory figure), so a single DBSIZE after a run is one point
    of that cycle rather than what it keeps."""

    def __init__(self, server: Server, interval: float = 0.05) -> None:
        self.server = server
        self.interval = interval
        self.counts: list[int] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> KeyCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._done.set()
        self._thread.join()
        final = dbsize(self.server)
        if final is not None:
            self.counts.append(final)

    def _poll(self) -> None:
        try:
            with client(self.server) as c:
                while not self._done.wait(self.interval):
                    self.counts.append(int(c.dbsize()))
        except Exception:  # the server went away: the run itself reports that
            pass


# -- one repetition ---------------------------------------------------------------------------

def warm_up(server: Server, pinning: Pinning, mode: SetMode, keyspace: int) -> None:
    run = run_benchmark(server, pinning, mode, "set", -1, keyspace)
    if run.error:
        check_alive(server)
        progress(f"warm-up against {server.name}: {run.error}")


def prepare(server: Server, pinning: Pinning, limit: str, maxmemory: int, policy: str,
            fill: SetMode, keyspace: int) -> None:
    """Empty the server, set its limit and bring it to the state its measured runs start
    from: warmed up without a limit, full (already evicting) with one."""
    # FLUSHALL before the limit: a slotkv node that starts its account walks its keys.
    flushall(server)
    configure(server, maxmemory=maxmemory if limit == "limit" else 0, maxmemory_policy=policy)
    if limit == "none":
        warm_up(server, pinning, fill, keyspace)
        return
    # The first eviction is not yet steady state: the room has only just filled, and slotkv's
    # dict tables (in its figure) change size under churn. A whole run that evicted for at
    # least half its SETs is.
    evicted = info_field(server, "stats", "evicted_keys")  # FLUSHALL does not reset it
    for _ in range(FILL_ROUNDS):
        warm_up(server, pinning, fill, keyspace)
        before, evicted = evicted, info_field(server, "stats", "evicted_keys")
        if evicted - before >= fill.requests // 2:
            return
    progress(f"{server.name}: {evicted} keys evicted after {FILL_ROUNDS} warm-up runs of "
             f"{fill.requests} SETs, fewer than half a run's (keyspace too small for the "
             f"room?); measuring anyway")


def measure(server: Server, pinning: Pinning, mode: SetMode, limit: str, rep: int,
            keyspace: int) -> Sample:
    evicted_before = info_field(server, "stats", "evicted_keys")
    with KeyCounter(server) as counter:
        run = run_benchmark(server, pinning, mode, "set", rep, keyspace)
    sample = Sample(server.name, mode.name, limit, rep, mode.requests, run.ops, run.us_per_req,
                    run.seconds, error=run.error)
    if run.error:
        check_alive(server)
        return sample
    sample.evicted = info_field(server, "stats", "evicted_keys") - evicted_before
    if run.seconds:
        sample.evicted_per_s = sample.evicted / run.seconds
    if counter.counts:
        sample.keys = statistics.fmean(counter.counts)
        sample.keys_min, sample.keys_max = min(counter.counts), max(counter.counts)
    sample.used_memory = info_field(server, "memory", "used_memory")
    return sample


def measure_all(servers: dict[str, Server], pinning: Pinning, modes: list[SetMode],
                fill: SetMode, limits: dict[str, int], policy: str, keyspace: int, reps: int,
                samples: list[Sample]) -> None:
    """Appends to `samples` as it goes, so an interrupted run still reports what it has.
    Both servers are prepared, then each mode runs against redis and slotkv in turn: one
    fill serves both modes (the state at the limit is the same whichever mode got there)."""
    total = reps * len(LIMITS) * len(modes) * len(SERVERS)
    for rep in range(reps):
        for limit in LIMITS:
            for name in SERVERS:
                prepare(servers[name], pinning, limit, limits[name], policy, fill, keyspace)
            for mode in modes:
                for name in SERVERS:
                    s = measure(servers[name], pinning, mode, limit, rep, keyspace)
                    samples.append(s)
                    status = (f"ERROR {s.error}" if s.error else
                              f"{s.ops:,.0f} ops/s, {s.us_per_req:.2f} us/req, "
                              f"{s.evicted_per_s or 0:,.0f} evicted/s, "
                              f"{fmt(s.keys, ',.0f')} keys ({s.keys_min}-{s.keys_max})")
                    progress(f"[{len(samples)}/{total}] rep {rep + 1} {limit:<5} "
                             f"{mode.name:<11} {name:<6} {status}")


# -- report -----------------------------------------------------------------------------------

def completed(samples: list[Sample], server: str, mode: str, limit: str) -> list[Sample]:
    return [s for s in samples if s.server == server and s.mode == mode and s.limit == limit
            and s.error is None]


def summarize(samples: list[Sample], modes: list[SetMode], room: int) -> list[Row]:
    rows = []
    for mode in modes:
        for name in SERVERS:
            none, at = (completed(samples, name, mode.name, limit) for limit in LIMITS)
            ops_none = median_or_none([s.ops for s in none])
            ops_limit = median_or_none([s.ops for s in at])
            evicted = median_or_none([s.evicted / s.requests for s in at if s.evicted is not None])
            keys = median_or_none([s.keys for s in at])
            lows = [s.keys_min for s in at if s.keys_min is not None]
            highs = [s.keys_max for s in at if s.keys_max is not None]
            rows.append(Row(name, mode.name, ops_none, ops_limit, ratio(ops_none, ops_limit),
                            median_or_none([s.evicted_per_s for s in at]), evicted, keys,
                            min(lows, default=None), max(highs, default=None),
                            ratio(room, keys), median_or_none([s.us_per_req for s in none]),
                            median_or_none([s.us_per_req for s in at])))
    return rows


def render_table(rows: list[Row]) -> str:
    header = ["server/mode", "no-limit ops/s", "at-limit ops/s", "slowdown", "evicted/s",
              "evicted/SET", "keys kept", "keys min-max", "bytes/key", "no-limit us/req",
              "at-limit us/req"]
    body = [[f"{r.server}/{r.mode}", fmt(r.ops_none, ",.0f"), fmt(r.ops_limit, ",.0f"),
             "n/a" if r.slowdown is None else f"{r.slowdown:.2f}x", fmt(r.evicted_per_s, ",.0f"),
             fmt(r.evicted_per_set, ".2f"), fmt(r.keys, ",.0f"),
             "n/a" if r.keys_min is None else f"{r.keys_min:,}-{r.keys_max:,}",
             fmt(r.bytes_per_key, ",.1f"),
             fmt(r.us_none, ".2f"), fmt(r.us_limit, ".2f")] for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                       for i, cell in enumerate(line)).rstrip() for line in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_ratios(samples: list[Sample], rows: list[Row], modes: list[SetMode]) -> str:
    lines = ["slotkv/redis ops/s at the limit (ratio of the medians; rep ratios = lowest-highest "
             "of one repetition's pair):"]
    for mode in modes:
        ops = {r.server: r.ops_limit for r in rows if r.mode == mode.name}
        mine = {name: completed(samples, name, mode.name, "limit") for name in SERVERS}
        per_rep = rep_ratios(mine["slotkv"], mine["redis"])
        spread = f" (rep ratios {min(per_rep):.2f}-{max(per_rep):.2f})" if per_rep else ""
        lines.append(f"  {mode.name:<11} {fmt(ratio(ops['slotkv'], ops['redis']), '.2f')}{spread}")
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/eviction.py",
        description="redis-benchmark SETs at maxmemory, slotkv against redis-server.")
    p.add_argument("--requests", "-n", type=int, default=None,
                   help="requests per unpipelined run (default 100000; 10000 with --quick); "
                        "the pipelined mode uses ten times as many")
    p.add_argument("--reps", type=int, default=None,
                   help="repetitions, the median is reported (default 3; 1 with --quick)")
    p.add_argument("--keyspace", "-r", type=int, default=1_000_000,
                   help="redis-benchmark -r: random keys out of this many (default 1000000); "
                        "much more than fit in the room, so nearly every SET creates a key")
    p.add_argument("--size", "-d", type=int, default=100, help="value size in bytes (default 100)")
    p.add_argument("--policy", default="allkeys-lru", choices=POLICIES,
                   help="maxmemory-policy at the limit (default allkeys-lru); redis-benchmark's "
                        "keys have no TTL, so volatile-* and noeviction answer OOM once full")
    p.add_argument("--room-mb", type=float, default=16.0,
                   help="maxmemory = the limited figure at start + this many MiB (default 16)")
    p.add_argument("--clients", "-c", type=int, default=50,
                   help="parallel connections (default 50)")
    p.add_argument("--modes", default="pipelined,unpipelined",
                   help="pipelined (-P 16 -c C), unpipelined (-c C); default both")
    p.add_argument("--quick", action="store_true", help="smaller defaults and one repetition")
    p.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    p.add_argument("--json", metavar="FILE", help="also write config, rows and every run as JSON")
    p.add_argument("--python", metavar="PATH", default=sys.executable,
                   help="the Python interpreter that runs the slotkv node (default: this one)")
    opts = p.parse_args(argv)
    if opts.requests is None:
        opts.requests = 10_000 if opts.quick else 100_000
    if opts.reps is None:
        opts.reps = 1 if opts.quick else 3
    opts.modes = [m.strip().lower() for m in opts.modes.split(",") if m.strip()]
    if not opts.modes or set(opts.modes) - {"pipelined", "unpipelined"}:
        p.error("--modes takes pipelined and/or unpipelined")
    if min(opts.requests, opts.reps, opts.keyspace, opts.clients) < 1 or opts.size < 1 \
            or opts.room_mb <= 0:
        p.error("--requests, --reps, --keyspace, --clients, --size and --room-mb must be positive")
    return opts


def build_modes(opts: argparse.Namespace) -> tuple[list[SetMode], SetMode]:
    """The measured modes and the pipelined warm-up that fills the room."""
    all_modes = {
        # Ten times the requests, as in compare.py: a short pipelined run is too noisy.
        "pipelined": SetMode("pipelined", opts.clients, PIPELINE, opts.requests * 10, opts.size),
        "unpipelined": SetMode("unpipelined", opts.clients, 1, opts.requests, opts.size),
    }
    # Enough SETs that their distinct keys overfill the room at MIN_KEY_OVERHEAD per key;
    # fewer if the keyspace is small (the fill then repeats, see prepare).
    room = opts.room_mb * 2**20
    fill_requests = int(1.25 * room / (opts.size + MIN_KEY_OVERHEAD))
    fill = SetMode("fill", opts.clients, PIPELINE, max(1000, min(fill_requests, 4 * opts.keyspace)),
                   opts.size)
    return [all_modes[m] for m in opts.modes], fill


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    for tool in ("redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (apt-get install redis-server redis-tools)",
                  file=sys.stderr)
            return 2
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    pinning = Pinning(not opts.no_pin)
    modes, fill = build_modes(opts)
    room = int(opts.room_mb * 2**20)
    load_start = os.getloadavg()
    config: dict[str, Any] = {
        "requests": opts.requests, "reps": opts.reps, "keyspace": opts.keyspace,
        "size": opts.size, "policy": opts.policy, "room_bytes": room, "clients": opts.clients,
        "modes": {m.name: {"flags": m.describe(), "requests": m.requests} for m in modes},
        "fill": {"flags": fill.describe(), "requests": fill.requests},
        "pinning": pinning.note, "statistic": "median", "load_at_start": load_start,
        "redis_version": version_of(["redis-server", "--version"]),
        "slotkv_version": version_of([opts.python, "-m", "ops.cli", "node", "--version"]),
        "python": version_of([opts.python, "-c", _DESCRIBE_PYTHON]),
        "baseline": {}, "maxmemory": {},
    }
    samples: list[Sample] = []
    interrupted = False
    failure: str | None = None
    try:
        with ServerPair(pinning, python=opts.python) as servers:
            progress(f"redis pid {servers['redis'].pid} port {servers['redis'].port}, "
                     f"slotkv pid {servers['slotkv'].pid} port {servers['slotkv'].port}; "
                     f"{pinning.note}")
            for name in SERVERS:
                config["baseline"][name] = baseline(servers[name])
                config["maxmemory"][name] = config["baseline"][name] + room
            progress(f"baselines: {config['baseline']}")
            measure_all(servers, pinning, modes, fill, config["maxmemory"], opts.policy,
                        opts.keyspace, opts.reps, samples)
    except KeyboardInterrupt:
        interrupted = True
        progress("interrupted: servers stopped; partial results follow")
    except (RuntimeError, redis.RedisError) as e:  # a server did not start, died or refused
        failure = str(e)  # a command: report what was measured
        progress(f"error: {failure}")
    config["load_at_end"] = os.getloadavg()
    rows = summarize(samples, modes, room)

    print(f"slotkv ({config['slotkv_version']}; Python {config['python']}) vs "
          f"{config['redis_version']}")
    print(f"redis-benchmark -t set -r {opts.keyspace} -d {opts.size}; "
          + "; ".join(f"{m.name} = {m.describe()} -n {m.requests}" for m in modes))
    print(f"maxmemory = limited figure at start + {opts.room_mb:g} MiB, policy {opts.policy}: "
          + ", ".join(f"{name} {config['baseline'].get(name, 0):,} + {room:,}" for name in SERVERS
                      if name in config["baseline"]))
    print(f"each run after FLUSHALL and a warm-up ({fill.describe()} -n {fill.requests}, "
          f"repeated at the limit until one run evicts for half its SETs); "
          f"median of {opts.reps} run(s); {pinning.note}")
    print("load average (1/5/15 min) at start " + " ".join(f"{x:.2f}" for x in load_start)
          + ", at end " + " ".join(f"{x:.2f}" for x in config["load_at_end"]))
    print("slowdown = no-limit ops/s / at-limit ops/s; keys kept = mean DBSIZE during the "
          "run (polled every 50 ms); bytes/key = room / keys kept; us/req = server CPU per "
          "request")
    if rows:
        print()
        print(render_table(rows))
        print()
        print(render_ratios(samples, rows, modes))
    for s in samples:
        if s.error:
            print(f"error: {s.server} {s.limit} {s.mode} rep {s.rep + 1}: {s.error}")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"config": config, "rows": [asdict(r) for r in rows],
                       "runs": [asdict(s) for s in samples]}, f, indent=2)
        print(f"\nresults written to {opts.json}")
    if failure:
        print(f"\nerror: {failure.splitlines()[0]}")
    return 130 if interrupted else 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
