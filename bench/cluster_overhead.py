#!/usr/bin/env python3
"""What cluster mode costs one node: the slot check on every keyed command and the per-slot
key index on every key created.

Starts three slotkv nodes pinned to CPU 0: one standalone, and two with `--cluster-enabled yes`
serving all 16384 slots (their own authority: the same request path as a node with a
coordinator), one of which is kept with its per-slot key index built (as while it is being
resharded: a CLUSTER COUNTKEYSINSLOT before each run). redis-benchmark drives them in
alternation from CPU 1 over random keys (`-r`, so most SETs create a key). Prints the median
ops/s and server CPU per request of each, and their ratios to the standalone node.

    python3 bench/cluster_overhead.py [--requests 200000] [--reps 3] [--quick]

Run by hand, never by pytest.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from ops.launch import Launched, python_argv, source_env  # noqa: E402


def _compare():
    spec = importlib.util.spec_from_file_location("bench_compare", os.path.join(ROOT, "bench", "compare.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--keyspace", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20k requests, one repetition")
    opts = parser.parse_args()
    if opts.quick:
        opts.requests, opts.reps = 20_000, 1
    compare = _compare()
    pinning = compare.Pinning(True)
    modes = [("pipelined", ["-c", "50", "-P", "16"]), ("unpipelined", ["-c", "50"])]
    workloads = ["set", "get"]
    servers: dict[str, Launched] = {}
    try:
        for name, extra in (("standalone", []), ("cluster", ["--cluster-enabled", "yes"]),
                            ("indexed", ["--cluster-enabled", "yes"])):
            workdir = tempfile.mkdtemp(prefix=f"bench-{name}-")
            port = compare.free_port()
            servers[name] = Launched(
                name, pinning.server(python_argv("node", "--port", str(port), "--bind",
                                                 "127.0.0.1", *extra)),
                port, workdir, os.path.join(workdir, "node.log"), env=source_env()).start()
            servers[name].wait_ready()
        import redis

        for name in ("cluster", "indexed"):
            redis.Redis(port=servers[name].port).execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        c = redis.Redis(port=servers["indexed"].port)
        results: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
        for rep in range(opts.reps):
            for mode, flags in modes:
                for workload in workloads:
                    for name, server in servers.items():
                        if name == "indexed":
                            c.execute_command("CLUSTER", "COUNTKEYSINSLOT", 0)
                        argv = pinning.client(["redis-benchmark", "-p", str(server.port),
                                               "-n", str(opts.requests), *flags, "--csv",
                                               "-r", str(opts.keyspace), "-t", workload])
                        before = compare.cpu_ticks(server.pid)
                        out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
                        ticks = compare.cpu_ticks(server.pid) - before
                        ops = compare.parse_benchmark_csv(out.stdout).get(workload)
                        us = ticks / compare.CLK_TCK * 1e6 / opts.requests
                        results.setdefault((mode, workload, name), []).append((ops or 0.0, us))
                        print(f"rep {rep + 1} {mode:<11} {workload} {name:<10} "
                              f"{ops or 0:,.0f} ops/s {us:.2f} us/req", file=sys.stderr, flush=True)
        keys = c.dbsize()
        print(f"\n{pinning.note}; {opts.requests} requests x {opts.reps} reps; "
              f"-r {opts.keyspace} ({keys} keys per node at the end)")
        print(f"{'mode':<12}{'test':<5}" + "".join(f"{n + ' ops/s':>19}" for n in servers)
              + "".join(f"{n + ' us/req':>18}" for n in servers))
        for mode, _ in modes:
            for workload in workloads:
                ops, us = {}, {}
                for name in servers:
                    runs = results[(mode, workload, name)]
                    ops[name] = statistics.median(r[0] for r in runs)
                    us[name] = statistics.median(r[1] for r in runs)
                base_ops, base_us = ops["standalone"], us["standalone"] or 1e-9
                line = f"{mode:<12}{workload:<5}"
                for name in servers:
                    line += f"{ops[name]:>12,.0f}" + (f" ({ops[name] / base_ops:.2f})" if name != "standalone" else " " * 7)
                for name in servers:
                    line += f"{us[name]:>11.2f}" + (f" ({us[name] / base_us:.2f})" if name != "standalone" else " " * 7)
                print(line)
    finally:
        for server in servers.values():
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
