"""bench/eviction.py runs end to end in a tiny mode and prints its table for both servers, and
its rows are the right arithmetic over the raw runs. Speed is never asserted here."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from benchhelp import is_our_server, load_bench_script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "bench", "eviction.py")
NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


def test_tiny_run_prints_the_table_for_both_servers(tmp_path) -> None:
    out = tmp_path / "out.json"
    # 4 MiB of room, not less: redis-server counts 50 pipelining clients' buffers in
    # used_memory, and with 1 MiB they alone exceed the room (every SET then gets -OOM).
    proc = subprocess.run(
        [sys.executable, SCRIPT, "--quick", "--requests", "2000", "--room-mb", "4",
         "--keyspace", "100000", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^server/mode\s+no-limit ops/s\s+at-limit ops/s\s+slowdown\s+evicted/s\s+"
                     r"evicted/SET\s+keys kept\s+keys min-max\s+bytes/key\s+no-limit us/req\s+"
                     r"at-limit us/req$",
                     proc.stdout, re.M), proc.stdout
    for server in ("redis", "slotkv"):
        for mode in ("pipelined", "unpipelined"):
            m = re.search(rf"^{server}/{mode}\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})x\s+"
                          rf"({NUMBER})\s+({NUMBER})\s+({NUMBER})\s+({NUMBER})-({NUMBER})\s+"
                          rf"({NUMBER})\s+({NUMBER})\s+({NUMBER})$", proc.stdout, re.M)
            assert m, f"no row with numbers for {server}/{mode}:\n{proc.stdout}\n{proc.stderr}"
            ops_none, ops_limit, _, _, _, keys, low, high, _, _, _ = (
                float(g.replace(",", "")) for g in m.groups())
            assert ops_none > 0 and ops_limit > 0 and low <= keys <= high
    for mode in ("pipelined", "unpipelined"):
        assert re.search(rf"^  {mode}\s+[0-9.]+ \(rep ratios ", proc.stdout, re.M), proc.stdout
    assert "error:" not in proc.stdout
    data = json.loads(out.read_text())
    assert data["config"]["policy"] == "allkeys-lru"
    assert data["config"]["maxmemory"]["slotkv"] == data["config"]["baseline"]["slotkv"] + 4 * 2**20
    assert len(data["runs"]) == 2 * 2 * 2  # servers x modes x (no limit, at the limit)
    # The limited pipelined run follows a fill that evicted: both servers evict in it.
    assert all(r["evicted"] > 0 for r in data["runs"]
               if r["limit"] == "limit" and r["mode"] == "pipelined"), data["runs"]
    pids = [int(p) for p in re.findall(r"(?:redis|slotkv) pid (\d+)", proc.stderr)]
    assert len(pids) == 2, proc.stderr
    for pid in pids:
        assert not is_our_server(pid), pid


def test_rows_are_medians_with_slowdown_and_bytes_per_key_kept() -> None:
    bench = load_bench_script("eviction.py")
    mode = bench.SetMode("pipelined", 50, 16, 1000, 100)
    samples = [
        bench.Sample("redis", "pipelined", "none", 0, 1000, ops=400.0, us_per_req=2.0),
        bench.Sample("redis", "pipelined", "limit", 0, 1000, ops=200.0, us_per_req=4.0,
                     evicted=900, evicted_per_s=180.0, keys=1000.0, keys_min=900,
                     keys_max=1100),
        bench.Sample("redis", "pipelined", "limit", 1, 1000, ops=100.0, error="refused"),
    ]
    [redis, slotkv] = bench.summarize(samples, [mode], room=150_000)
    assert (redis.server, redis.ops_none, redis.ops_limit, redis.slowdown) == ("redis", 400, 200, 2)
    assert (redis.evicted_per_set, redis.keys, redis.bytes_per_key) == (0.9, 1000, 150)
    assert (redis.keys_min, redis.keys_max) == (900, 1100)
    assert (redis.us_none, redis.us_limit) == (2.0, 4.0)
    assert slotkv.ops_limit is None and slotkv.slowdown is None  # no runs: n/a, not a crash
    assert "-d 100" in mode.describe()
