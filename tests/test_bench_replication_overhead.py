"""bench/replication_overhead.py runs end to end in a tiny mode and prints its tables, for
slotkv and redis-server, and its lag arithmetic is right. Speed is never asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from benchhelp import load_bench_script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "bench", "replication_overhead.py")


def load_script():
    return load_bench_script("replication_overhead.py")


def test_lag_is_the_time_until_the_replica_reached_each_primary_offset() -> None:
    bench = load_script()
    poller = bench.LagPoller.__new__(bench.LagPoller)
    poller.primary = [(0.0, 10), (1.0, 20), (2.0, 30)]
    poller.replica = [(0.5, 5), (0.6, 12), (1.5, 20), (3.0, 29)]
    assert poller.lags_ms() == [600.0, 500.0]  # the last offset was never reached
    assert bench.percentile([1.0, 2.0, 3.0, 4.0], 50) in (2.0, 3.0)


def test_tiny_run(tmp_path) -> None:
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, SCRIPT, "--quick", "-n", "3000", "--reps", "1", "--json", str(out)],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "primary throughput" in proc.stdout and "replica lag" in proc.stdout
    rows = [line for line in proc.stdout.splitlines() if line.startswith(("slotkv ", "redis "))]
    assert len(rows) == 6, proc.stdout  # throughput, least-disturbed CPU and lag, per server
    data = json.loads(out.read_text())
    assert {r["kind"] for r in data["runs"]} == {"slotkv", "redis"}
    assert {r["variant"] for r in data["runs"]} == {"alone", "backlog", "replica"}
    assert all(r["error"] is None for r in data["runs"]), data["runs"]
    assert data["summary"]["slotkv"]["ops_with_replica"] > 0
