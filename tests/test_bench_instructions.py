"""bench/instructions.py runs end to end in a tiny mode: both servers start under callgrind,
their counters are read after a real redis-benchmark pass, and both are stopped. The counts
are never compared with a bound here."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from benchhelp import load_bench_script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "bench", "instructions.py")


def load_script():
    return load_bench_script("instructions.py")


def test_totals_are_read_from_a_callgrind_dump():
    script = load_script()
    dump = ("# callgrind format\nversion: 1\ncmd: redis-server\npart: 1\n\nevents: Ir\n\n"
            "summary: 480809321\n\nfn=(1) main\n0 5\n\ntotals: 480809413\n")
    assert script.parse_totals(dump) == 480809413
    assert script.parse_totals("events: Ir\nsummary: 12\n") == 12
    assert script.parse_totals("events: Ir\n") is None


def test_tiny_run_counts_both_servers_and_stops_them(tmp_path):
    out_json = tmp_path / "counts.json"
    proc = subprocess.run(
        [sys.executable, SCRIPT, "-n", "300", "--workloads", "set,mset", "--modes", "unpipelined",
         "--json", str(out_json)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for workload in ("set", "mset"):
        m = re.search(rf"^{workload}/unpipelined\s+([0-9,]+)\s+([0-9,]+)\s+([0-9.]+)$",
                      proc.stdout, re.M)
        assert m, proc.stdout
        redis, slotkv = (int(g.replace(",", "")) for g in m.groups()[:2])
        # A request is thousands of instructions in either server; zero would mean the
        # counters were read before the run or from the wrong process.
        assert redis > 1000 and slotkv > 1000
    data = json.loads(out_json.read_text())
    assert [(c["workload"], c["mode"]) for c in data["counts"]] == [
        ("set", "unpipelined"), ("mset", "unpipelined")]
    assert all(c["ratio"] > 0 for c in data["counts"])
    pids = [int(p) for p in re.findall(r"(?:redis|slotkv) pid (\d+)", proc.stderr)]
    assert len(pids) == 2, proc.stderr
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        assert b"valgrind" not in cmd and b"callgrind" not in cmd, (pid, cmd)
