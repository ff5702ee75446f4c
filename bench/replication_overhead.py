#!/usr/bin/env python3
"""What a replica costs its primary, and how far behind it runs: slotkv and redis-server.

For each server kind, each repetition runs pipelined `SET` (redis-benchmark -c 50 -P 16) twice:
against a fresh primary with no replica (and so no backlog), then against a fresh primary with
one replica attached and in sync. It reports the primary's throughput in both runs and their
ratio (the issue's target: >= 0.85), the primary's CPU per request, and the replica's lag
during the loaded run, from offsets: a poller reads the primary's offset (ROLE) and the
replica's (ROLE) every few milliseconds, and each primary sample's lag is the time until the
replica's offset reached it. p50/p99/max over all samples (the target: p99 < 100 ms).

    python3 bench/replication_overhead.py                  # 3 repetitions, 1M SETs per run
    python3 bench/replication_overhead.py --quick          # 1 repetition, 200k SETs
    python3 bench/replication_overhead.py --servers slotkv --reps 5 --json out.json

Pinning (taskset): primaries and redis-benchmark on CPU 0, replicas and the poller on CPU 1.
With two CPUs the client must share a core: beside the primary it costs the same in every
run, while beside the replica (`--client-cpu 1`) it is starved only in the runs with a
replica, which then measure the client as much as the primary. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from compare import (  # noqa: E402
    CLK_TCK, ROOT, Server, cpu_ticks, free_port, parse_benchmark_csv, progress,
)

PRIMARY_CPU, REPLICA_CPU = 0, 1
CLIENT_CPU = 0  # --client-cpu: 1 puts redis-benchmark beside the replica instead


NICE = 0  # --nice: the priority every process of the benchmark runs at


def pin(cpu: int, argv: list[str], enabled: bool) -> list[str]:
    argv = ["taskset", "-c", str(cpu), *argv] if enabled else argv
    return ["nice", "-n", str(NICE), *argv] if NICE else argv


def start(kind: str, workdir: str, cpu: int, pinned: bool, replica_of: Server | None = None) -> Server:
    port = free_port()
    if kind == "redis":
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", workdir, "--repl-diskless-sync-delay", "0"]
        if replica_of is not None:
            argv += ["--replicaof", "127.0.0.1", str(replica_of.port)]
        env = dict(os.environ)
    else:
        rport = free_port()
        # No save points, as redis-server above: a BGSAVE mid-run would cost only slotkv.
        argv = [sys.executable, "-m", "ops.cli", "node", "--port", str(port), "--bind",
                "127.0.0.1", "--save", "", "--replication-port", str(rport)]
        if replica_of is not None:
            argv += ["--replicaof", "127.0.0.1", str(replica_of.port),
                     "--master-replication-port", str(replica_of.repl_port)]  # type: ignore[attr-defined]
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    server = Server(f"{kind}-{'replica' if replica_of else 'primary'}",
                    pin(cpu, argv, pinned), port, workdir, env)
    if kind != "redis":
        server.repl_port = rport  # type: ignore[attr-defined]
    return server


def role(port: int) -> list:
    import redis

    client = redis.Redis(port=port, protocol=2, socket_timeout=5)
    try:
        return client.execute_command("ROLE")
    finally:
        client.close()


class LagPoller(threading.Thread):
    """Samples (time, offset) of the primary and of the replica until stopped."""

    def __init__(self, primary: int, replica: int, interval: float) -> None:
        super().__init__(daemon=True)
        import redis

        self.p = redis.Redis(port=primary, protocol=2)
        self.r = redis.Redis(port=replica, protocol=2)
        self.interval = interval
        self.stop = threading.Event()
        self.primary: list[tuple[float, int]] = []
        self.replica: list[tuple[float, int]] = []

    def run(self) -> None:
        while not self.stop.is_set():
            now = time.monotonic()
            self.primary.append((now, int(self.p.execute_command("ROLE")[1])))
            reply = self.r.execute_command("ROLE")
            self.replica.append((time.monotonic(), int(reply[4])))
            time.sleep(self.interval)

    def lags_ms(self) -> list[float]:
        """For each primary sample, ms until the replica's offset reached it."""
        out: list[float] = []
        j = 0
        rep = self.replica
        for t, offset in self.primary:
            while j < len(rep) and (rep[j][0] < t or rep[j][1] < offset):
                j += 1
            if j == len(rep):
                break  # never caught up before the end of sampling
            out.append(max(0.0, (rep[j][0] - t) * 1000))
        return out


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[k]


VARIANTS = ("alone", "backlog", "replica")


@dataclass
class Run:
    kind: str
    rep: int
    variant: str  # alone | backlog (a replica attached, then detached: the stream is still
    #               encoded into the backlog) | replica (one attached and streaming)
    ops: float | None = None
    us_per_req: float | None = None
    lag_ms: list[float] = field(default_factory=list)
    caught_up_ms: float | None = None
    error: str | None = None


def benchmark(server: Server, opts: argparse.Namespace) -> tuple[float | None, float | None, str | None]:
    argv = pin(CLIENT_CPU, ["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port),
                            "-n", str(opts.requests), "-c", str(opts.clients), "-P",
                            str(opts.pipeline), "-r", str(opts.keyspace), "--csv", "-t", "set"],
               opts.pin)
    before = cpu_ticks(server.pid)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120 + opts.requests / 1000)
    after = cpu_ticks(server.pid)
    rates = parse_benchmark_csv(out.stdout)
    if "set" not in rates:
        return None, None, (out.stderr or out.stdout).strip()[-200:] or "no result"
    return rates["set"], (after - before) / CLK_TCK * 1e6 / opts.requests, None


def wait_synced(primary: Server, replica: Server, timeout: float = 60) -> None:
    """Until a write on the primary shows on the replica: the link is streaming. (After a
    diskless sync, redis-server streams to a replica only once it acked, up to a second
    later; measuring lag before that would count the wait.)"""
    import redis

    deadline = time.monotonic() + timeout
    p = redis.Redis(port=primary.port, protocol=2)
    r = redis.Redis(port=replica.port, protocol=2)
    try:
        while time.monotonic() < deadline:
            try:
                token = str(time.monotonic())
                p.set("bench:probe", token)
                for _ in range(20):
                    if r.get("bench:probe") == token.encode():
                        p.delete("bench:probe")
                        return
                    time.sleep(0.05)
            except Exception:
                time.sleep(0.1)
    finally:
        p.close()
        r.close()
    raise RuntimeError(f"replica of {primary.name} did not sync:\n{replica.log_tail()}")


def one_run(kind: str, rep: int, variant: str, opts: argparse.Namespace) -> Run:
    run = Run(kind, rep, variant)
    dirs = [tempfile.mkdtemp(prefix=f"bench-repl-{kind}-") for _ in range(2)]
    servers: list[Server] = []
    try:
        primary = start(kind, dirs[0], PRIMARY_CPU, opts.pin)
        servers.append(primary)
        poller = None
        if variant != "alone":
            replica = start(kind, dirs[1], REPLICA_CPU, opts.pin, replica_of=primary)
            servers.append(replica)
            wait_synced(primary, replica)
            if variant == "backlog":
                replica.stop()
                while role(primary.port)[2]:
                    time.sleep(0.05)
            else:
                poller = LagPoller(primary.port, replica.port, opts.interval)
                poller.start()
        run.ops, run.us_per_req, run.error = benchmark(primary, opts)
        if poller is not None:
            t_end = time.monotonic()
            target = int(role(primary.port)[1])
            while int(role(replica.port)[4]) < target and time.monotonic() - t_end < 60:
                time.sleep(0.002)
            run.caught_up_ms = (time.monotonic() - t_end) * 1000
            poller.stop.set()
            poller.join(5)
            run.lag_ms = poller.lags_ms()
    except Exception as e:  # report it, keep going
        run.error = str(e)
    finally:
        for s in servers:
            s.stop()
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
    return run


def summarize(runs: list[Run], kind: str) -> dict[str, Any]:
    mine = [r for r in runs if r.kind == kind and not r.error]
    med = lambda v: statistics.median(v) if v else None  # noqa: E731

    def pick(variant: str, attr: str) -> float | None:
        return med([getattr(r, attr) for r in mine if r.variant == variant and getattr(r, attr)])

    lags = [x for r in mine if r.variant == "replica" for x in r.lag_ms]
    catch = [r.caught_up_ms for r in mine if r.variant == "replica" and r.caught_up_ms is not None]
    out = {
        "ops_alone": pick("alone", "ops"), "ops_backlog": pick("backlog", "ops"),
        "ops_with_replica": pick("replica", "ops"),
        "us_per_req_alone": pick("alone", "us_per_req"),
        "us_per_req_backlog": pick("backlog", "us_per_req"),
        "us_per_req_with_replica": pick("replica", "us_per_req"),
        "lag_p50_ms": percentile(lags, 50), "lag_p99_ms": percentile(lags, 99),
        "lag_max_ms": max(lags) if lags else float("nan"), "lag_samples": len(lags),
        "catch_up_ms": med(catch),
    }
    out["ratio"] = (out["ops_with_replica"] / out["ops_alone"]
                    if out["ops_alone"] and out["ops_with_replica"] else None)
    # Throughput the primary's own core allows: the inverse of its CPU per request.
    out["cpu_ratio"] = (out["us_per_req_alone"] / out["us_per_req_with_replica"]
                        if out["us_per_req_alone"] and out["us_per_req_with_replica"] else None)
    # The least disturbed runs: on a shared machine other load only ever adds CPU time per
    # request (cache and core sharing), so the minimum is the best estimate of the cost.
    best = {v: min([r.us_per_req for r in mine if r.variant == v and r.us_per_req] or [0.0])
            for v in VARIANTS}
    out["us_per_req_best"] = best
    out["cpu_ratio_best"] = (best["alone"] / best["replica"]
                             if best["alone"] and best["replica"] else None)
    return out


def render(summary: dict[str, dict[str, Any]]) -> str:
    def f(v: Any, spec: str) -> str:
        return "n/a" if v is None or v != v else format(v, spec)

    def mark(v: Any, ok: bool) -> str:
        return "" if v is None or v != v else (" PASS" if ok else " MISS")

    lines = ["primary throughput (ops/s) and CPU per request (us), median of the repetitions:",
             "server   alone      backlog    w/ replica  ratio       us alone  us backlog  "
             "us w/ replica  CPU ratio",
             "-------  ---------  ---------  ----------  ----------  --------  ----------  "
             "-------------  ----------"]
    for kind, s in summary.items():
        r, c = s["ratio"], s["cpu_ratio"]
        lines.append(
            f"{kind:7}  {f(s['ops_alone'], ',.0f'):>9}  {f(s['ops_backlog'], ',.0f'):>9}  "
            f"{f(s['ops_with_replica'], ',.0f'):>10}  {f(r, '.2f'):>5}{mark(r, (r or 0) >= 0.85):5}  "
            f"{f(s['us_per_req_alone'], '.2f'):>8}  {f(s['us_per_req_backlog'], '.2f'):>10}  "
            f"{f(s['us_per_req_with_replica'], '.2f'):>13}  {f(c, '.2f'):>5}{mark(c, (c or 0) >= 0.85):5}")
    for kind, s in summary.items():
        best, c = s["us_per_req_best"], s["cpu_ratio_best"]
        lines.append(f"{kind:7}  least-disturbed run (min us/req): alone {f(best['alone'] or None, '.2f')}, "
                     f"backlog {f(best['backlog'] or None, '.2f')}, w/ replica "
                     f"{f(best['replica'] or None, '.2f')}: CPU ratio {f(c, '.2f')}{mark(c, (c or 0) >= 0.85)}")
    lines += ["", "replica lag under that load (ms, from offsets sampled every "
              "few ms; catch-up: after the last write):",
              "server   p50     p99          max     samples  catch-up",
              "-------  ------  -----------  ------  -------  --------"]
    for kind, s in summary.items():
        p99 = s["lag_p99_ms"]
        lines.append(f"{kind:7}  {f(s['lag_p50_ms'], '.1f'):>6}  {f(p99, '.1f'):>6}{mark(p99, p99 < 100):5}  "
                     f"{f(s['lag_max_ms'], '.1f'):>6}  {s['lag_samples']:>7}  {f(s['catch_up_ms'], '.0f'):>8}")
    lines.append("targets (slotkv): with a replica >= 0.85x alone; lag p99 < 100 ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", "-n", type=int, default=None)
    ap.add_argument("--clients", "-c", type=int, default=50)
    ap.add_argument("--pipeline", "-P", type=int, default=16)
    ap.add_argument("--keyspace", "-r", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--interval", type=float, default=0.005, help="lag sampling period (s)")
    ap.add_argument("--servers", default="slotkv,redis")
    ap.add_argument("--variants", default=",".join(VARIANTS),
                    help="alone: no replica ever; backlog: a replica came and went (the "
                         "stream is still encoded); replica: one attached")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-pin", dest="pin", action="store_false")
    ap.add_argument("--client-cpu", type=int, choices=(0, 1), default=0,
                    help="the CPU of redis-benchmark: 0 (default) shares the primary's, so the "
                         "replica has a core of its own (but for the poller); 1 shares the "
                         "replica's")
    ap.add_argument("--nice", type=int, default=0,
                    help="run servers and clients at this nice level (e.g. -10 on a shared "
                         "machine; negative needs root)")
    ap.add_argument("--json")
    opts = ap.parse_args(argv)
    opts.requests = opts.requests or (200_000 if opts.quick else 1_000_000)
    opts.reps = opts.reps or (1 if opts.quick else 3)
    opts.pin = opts.pin and shutil.which("taskset") is not None and {0, 1} <= os.sched_getaffinity(0)
    global NICE, CLIENT_CPU
    NICE = opts.nice
    CLIENT_CPU = opts.client_cpu
    if opts.pin:
        os.sched_setaffinity(0, {REPLICA_CPU})  # the poller: not starved by the primary's core
    if NICE:
        os.nice(NICE)  # the poller too
    kinds = [k for k in opts.servers.split(",") if k]
    opts.variants = [v for v in opts.variants.split(",") if v in VARIANTS]
    runs: list[Run] = []
    for rep in range(opts.reps):
        for kind in kinds:
            for variant in opts.variants:
                progress(f"rep {rep + 1}/{opts.reps}: {kind} {variant}")
                run = one_run(kind, rep, variant, opts)
                if run.error:
                    progress(f"  error: {run.error}")
                else:
                    lag = (f", lag p99 {percentile(run.lag_ms, 99):.1f} ms"
                           if variant == "replica" else "")
                    progress(f"  {run.ops:,.0f} ops/s, {run.us_per_req:.2f} us/req{lag}")
                runs.append(run)
    summary = {kind: summarize(runs, kind) for kind in kinds}
    print(f"pipelined SET: -n {opts.requests} -c {opts.clients} -P {opts.pipeline} -r {opts.keyspace}, "
          f"{opts.reps} rep(s), median; "
          + (f"pinned: primary CPU 0, replica CPU 1, client CPU {CLIENT_CPU}" if opts.pin else "unpinned")
          + (f"; nice {NICE}" if NICE else ""))
    print(render(summary))
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"summary": summary, "runs": [asdict(r) for r in runs]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
