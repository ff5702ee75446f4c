#!/usr/bin/env python3
"""Instructions per request in each server's own process, slotkv against redis-server.

compare.py's figures are time: ops/s and CPU per request. On this VM the whole machine runs
about 1.5x slower for stretches of seconds to minutes, so one repetition of a run can land
20-30% away from the next, and a change worth 2% is invisible. This script measures what
those phases cannot move: the user-space instructions each server executes per request,
counted by valgrind's callgrind (the same count for the same binary, inputs and batching,
whatever else the machine is doing).

Both servers run under callgrind with instrumentation off until they are up; then, for each
workload and mode, one unmeasured redis-benchmark pass warms the server (keys created,
CPython's specializing interpreter settled), the counters are zeroed, the measured pass
runs, and the counters are dumped: instructions / requests.

    python3 bench/instructions.py                      # set,get,incr,mset; unpipelined, pipelined
    python3 bench/instructions.py --workloads mset --modes unpipelined -n 20000

What it does not count: the kernel (read, write, epoll_wait, the loopback wake-ups), which in
the unpipelined mode is most of redis-server's CPU time and costs both servers about the same,
and what an instruction costs (cache misses, branch mispredictions, an unoptimized CPython
build's PLT calls). So the ratio here is larger than compare.py's CPU ratio; it is the figure
to read when judging a change to the request path (run it before and after), and to see how
far slotkv's own work is from Redis's. Under valgrind both servers run some 30x slower, so
each event-loop iteration finds more clients ready than in a real run and per-iteration costs
are spread over more requests; both servers get the same treatment.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import (  # noqa: E402  (the scripts sit side by side, not in a package)
    ROOT, STRING_WORKLOADS, Mode, Pinning, Server, free_port, parse_benchmark_csv, progress,
    version_of, workload_args,
)

# A slotkv node imports and starts ~20x slower under valgrind, even uninstrumented.
READY_TIMEOUT = 300.0


def callgrind_argv(out_dir: str, argv: list[str]) -> list[str]:
    """`argv` under callgrind, counting nothing until told to (startup is not measured)."""
    return ["valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={os.path.join(out_dir, 'callgrind.out.%p')}", *argv]


def start(name: str, pinning: Pinning, workdir: str, python: str) -> Server:
    port = free_port()
    if name == "redis":
        argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", workdir]
        env = dict(os.environ)
    else:
        argv = [python, "-m", "ops.cli", "node", "--port", str(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no"]
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # valgrind execs the tool in its own process: the PID is the server's.
    return Server(name, pinning.server(callgrind_argv(workdir, argv)), port, workdir, env,
                  ready_timeout=READY_TIMEOUT)


def callgrind_control(server: Server, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(server.pid)], check=True,
                   capture_output=True, timeout=120)


def parse_totals(text: str) -> int | None:
    """The event total of a callgrind dump (its `totals:` line, else `summary:`)."""
    found = None
    for line in text.splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
        if line.startswith("summary:") and found is None:
            found = int(line.split()[1])
    return found


def dump_instructions(server: Server) -> int:
    """Dump the counters since the last zeroing; the instructions they hold."""
    pattern = os.path.join(server.workdir, f"callgrind.out.{server.pid}.*")
    before = set(glob.glob(pattern))
    callgrind_control(server, "--dump")
    new = sorted(set(glob.glob(pattern)) - before, key=os.path.getmtime)
    if not new:
        raise RuntimeError(f"callgrind wrote no dump for {server.name}")
    with open(new[-1]) as f:
        total = parse_totals(f.read())
    if total is None:
        raise RuntimeError(f"no totals in {new[-1]}")
    return total


def benchmark(server: Server, pinning: Pinning, mode: Mode, workload: str, requests: int) -> None:
    argv = pinning.client(["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port),
                           "-n", str(requests), *mode.flags(), "--csv", *workload_args(workload)])
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600 + requests / 100)
    if not parse_benchmark_csv(out.stdout):
        detail = (out.stderr or out.stdout).strip().splitlines()
        raise RuntimeError(f"redis-benchmark gave no result against {server.name}: "
                           f"{detail[-1] if detail else 'no output'}")


@dataclass
class Count:
    mode: str
    workload: str
    requests: int
    redis: float | None = None    # instructions per request
    slotkv: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.slotkv / self.redis if self.redis and self.slotkv is not None else None


def measure(servers: dict[str, Server], pinning: Pinning, modes: list[Mode],
            workloads: list[str]) -> list[Count]:
    for server in servers.values():
        callgrind_control(server, "--instr=on")
    counts = []
    for mode in modes:
        for workload in workloads:
            count = Count(mode.name, workload, mode.requests)
            for name, server in servers.items():
                progress(f"{name}: {mode.name} {workload} -n {mode.requests}")
                benchmark(server, pinning, mode, workload, max(mode.requests // 10, 100))
                callgrind_control(server, "--zero")
                benchmark(server, pinning, mode, workload, mode.requests)
                setattr(count, name, dump_instructions(server) / mode.requests)
            counts.append(count)
    return counts


def render(counts: list[Count]) -> str:
    lines = [f"{'workload/mode':<20} {'redis instr/req':>16} {'slotkv instr/req':>17} {'ratio':>6}"]
    for c in counts:
        ratio = f"{c.ratio:.2f}" if c.ratio is not None else "-"
        lines.append(f"{c.workload + '/' + c.mode:<20} {c.redis or 0:>16,.0f} "
                     f"{c.slotkv or 0:>17,.0f} {ratio:>6}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/instructions.py",
        description="callgrind instructions per request, slotkv node vs redis-server.")
    p.add_argument("--requests", "-n", type=int, default=20_000,
                   help="measured requests per row (default 20000; the warm-up pass is a tenth)")
    p.add_argument("--clients", "-c", type=int, default=50, help="parallel connections (default 50)")
    p.add_argument("--workloads", default=",".join(STRING_WORKLOADS),
                   help="redis-benchmark tests, comma-separated (default set,get,incr,mset)")
    p.add_argument("--modes", default="unpipelined,pipelined",
                   help="unpipelined (-c N) and/or pipelined (-c N -P 16); default both")
    p.add_argument("--python", metavar="PATH", default=sys.executable,
                   help="the interpreter that runs the slotkv node (default: this script's)")
    p.add_argument("--json", metavar="FILE", help="also write the counts as JSON")
    opts = p.parse_args(argv)
    opts.workloads = [w.strip().lower() for w in opts.workloads.split(",") if w.strip()]
    opts.modes = [m.strip().lower() for m in opts.modes.split(",") if m.strip()]
    if set(opts.modes) - {"unpipelined", "pipelined"}:
        p.error("--modes takes unpipelined and/or pipelined")
    if opts.requests < 1 or opts.clients < 1:
        p.error("--requests and --clients must be positive")
    return opts


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # unwind through the finally block that stops the servers


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    for tool in ("valgrind", "callgrind_control", "redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (apt-get install valgrind redis-server redis-tools)",
                  file=sys.stderr)
            return 2
    signal.signal(signal.SIGTERM, _terminate)
    pinning = Pinning(True)
    modes = [Mode(m, opts.clients, 16 if m == "pipelined" else 1, opts.requests)
             for m in opts.modes]
    servers: dict[str, Server] = {}
    dirs: list[str] = []
    try:
        for name in ("redis", "slotkv"):
            dirs.append(tempfile.mkdtemp(prefix=f"bench-instr-{name}-"))
            progress(f"starting {name} under callgrind")
            servers[name] = start(name, pinning, dirs[-1], opts.python)
            progress(f"{name} pid {servers[name].pid} port {servers[name].port}")
        counts = measure(servers, pinning, modes, opts.workloads)
    except KeyboardInterrupt:
        progress("interrupted: servers stopped")
        return 130
    finally:
        for server in servers.values():
            server.stop()
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
    python = version_of([opts.python, "-c", "import platform; print(platform.python_version())"])
    print(f"slotkv (Python {python}) vs {version_of(['redis-server', '--version'])}")
    print("user-space instructions per request in each server's process (callgrind); the "
          "kernel is not counted")
    print("modes: " + "; ".join(f"{m.name} = {m.describe()}" for m in modes)
          + f"; -n {opts.requests} measured after a warm-up of a tenth")
    print()
    print(render(counts))
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"python": python, "counts": [dict(asdict(c), ratio=c.ratio) for c in counts]},
                      f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
