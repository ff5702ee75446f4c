"""bench/compare.py runs end to end in a tiny mode and prints its tables; its parsers read what
redis-benchmark, redis-cli and /proc really produce. Speed is never asserted here."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys

import hiredis
import pytest
from benchhelp import is_our_server, load_bench_script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "bench", "compare.py")
WORKLOADS = ("set", "get", "incr", "mset")
MODES = ("pipelined", "unpipelined", "single")
NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"


def load_compare():
    return load_bench_script("compare.py")


@pytest.fixture(scope="module")
def compare():
    return load_compare()


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """One tiny run of the script, shared by the assertions below."""
    out_json = tmp_path_factory.mktemp("bench") / "out.json"
    proc = subprocess.run(
        [sys.executable, SCRIPT, "--quick", "--requests", "2000", "--memory-keys", "2000",
         "--workloads", ",".join(WORKLOADS), "--json", str(out_json)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    return proc, out_json


def to_float(text: str) -> float:
    return float(text.replace(",", ""))


def test_tiny_run_prints_a_row_with_numbers_for_both_servers(tiny_run):
    proc, _ = tiny_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"^workload/mode\s+redis ops/s\s+slotkv ops/s\s+ratio\s+rep ratios\s+"
                     r"redis us/req\s+slotkv us/req\s+CPU ratio$", proc.stdout, re.M), proc.stdout
    for mode in MODES:
        for workload in WORKLOADS:
            # One repetition (--quick): the range of repetition ratios is that one ratio.
            m = re.search(rf"^{workload}/{mode}\s+({NUMBER})\s+({NUMBER})\s+([0-9.]+)\s.*?"
                          rf"\s([0-9.]+)-([0-9.]+)\s+({NUMBER})\s+({NUMBER})\s+\S+",
                          proc.stdout, re.M)
            assert m, f"no row with numbers for {workload}/{mode}:\n{proc.stdout}\n{proc.stderr}"
            redis_ops, slotkv_ops, ratio, low, high, redis_us, slotkv_us = map(to_float, m.groups())
            assert redis_ops > 0 and slotkv_ops > 0
            assert low == high == ratio
            assert redis_us >= 0 and slotkv_us >= 0
    assert "error:" not in proc.stdout


def test_tiny_run_prints_memory_lines_and_targets(tiny_run):
    proc, _ = tiny_run
    assert re.search(r"^memory: 2,000 keys", proc.stdout, re.M), proc.stdout
    for name in ("redis", "slotkv"):
        m = re.search(rf"^memory {name}\s+RSS\s+({NUMBER}) MiB ->\s+({NUMBER}) MiB\s+=\s+"
                      rf"(-?{NUMBER}) bytes/key\s+\(dbsize (\S+),", proc.stdout, re.M)
        assert m, f"no memory line for {name}:\n{proc.stdout}"
        assert to_float(m.group(1)) > 0 and to_float(m.group(2)) > 0
        assert m.group(4) in ("2000", "unknown")
    assert re.search(r"^memory ratio slotkv/redis: (n/a|-?[0-9.]+ (PASS|MISS)) \(<=3\.0\)",
                     proc.stdout, re.M), proc.stdout
    for label in ("strings: pipelined ops/s ratio >= 0.5",
                  "strings: unpipelined ops/s ratio >= 0.9",
                  "strings: pipelined CPU/request ratio <= 2.5", "memory per key ratio <= 3.0"):
        assert re.search(rf"^  {re.escape(label)}\s+(PASS|MISS|n/a)", proc.stdout, re.M), label


def test_tiny_run_writes_json_and_leaves_no_server_running(tiny_run):
    proc, out_json = tiny_run
    data = json.loads(out_json.read_text())
    assert data["config"]["statistic"] == "median"
    # The report names the interpreter that ran the node: --python, by default this one.
    python = f"{platform.python_version()} {os.path.realpath(sys._base_executable)}"
    assert data["config"]["python"] == python
    assert f"; Python {python}) vs " in proc.stdout
    assert len(data["rows"]) == len(MODES) * len(WORKLOADS)
    assert len(data["runs"]) == 2 * len(MODES) * len(WORKLOADS)
    for row in data["rows"]:
        assert row["redis_ops"] > 0 and row["slotkv_ops"] > 0, row
    assert data["memory"]["keys"] == 2000
    for name in ("redis", "slotkv"):
        assert data["memory"][name]["rss_after"] > 0
    # Every server the script started (throughput pair, then memory pair) is gone.
    pids = [int(p) for p in re.findall(r"(?:redis|slotkv) pid (\d+)", proc.stderr)]
    assert len(pids) == 4, proc.stderr
    for pid in pids:
        assert not is_our_server(pid), pid


def test_csv_parser_skips_warnings_and_names_tests_by_their_t_option(compare):
    text = ('WARNING: Could not fetch server CONFIG\n'
            '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",'
            '"p99_latency_ms","max_latency_ms"\n'
            '"SET","200000.00","2.540","0.448","3.015","3.999","4.143","4.167"\n'
            '"MSET (10 keys)","181818.19","3.677","0.728","4.143","5.023","5.175","5.215"\n')
    assert compare.parse_benchmark_csv(text) == {"set": 200000.0, "mset": 181818.19}
    assert compare.parse_benchmark_csv("WARNING: Could not fetch server CONFIG\n") == {}


def test_proc_parsers(compare):
    # comm may hold spaces and parentheses; utime is field 14, stime field 15.
    fields = ["S", "1", "2", "3", "0", "-1", "4194560", "10", "0", "0", "0", "700", "55"]
    stat = "4242 (we ird) (name) " + " ".join(fields + ["0"] * 30)
    assert compare.parse_proc_stat(stat) == 755
    with open(f"/proc/{os.getpid()}/stat") as f:
        own = compare.parse_proc_stat(f.read()) / compare.CLK_TCK
    times = os.times()
    assert abs(own - (times.user + times.system)) < 0.05
    assert compare.parse_vmrss("Name:\tx\nVmRSS:\t  1234 kB\nVmData:\t 1 kB\n") == 1234 * 1024
    with pytest.raises(ValueError):
        compare.parse_vmrss("Name:\tkthread\n")


def test_load_file_is_resp_set_commands_with_16_byte_keys_and_values(compare):
    reader = hiredis.Reader()
    reader.feed(compare.set_commands_resp(0, 3) + compare.set_commands_resp(999_999, 1_000_000))
    commands = []
    while (cmd := reader.gets()) is not False:
        commands.append(cmd)
    assert commands[0] == [b"SET", b"key:000000000000", b"val:000000000000"]
    assert commands[-1] == [b"SET", b"key:000000999999", b"val:000000999999"]
    assert len(commands) == 4
    assert all(len(c[1]) == 16 and len(c[2]) == 16 for c in commands)


def test_verdicts_and_ratios(compare):
    assert compare.verdict(0.5, (">=", 0.5)) == "PASS"
    assert compare.verdict(0.49, (">=", 0.5)) == "MISS"
    assert compare.verdict(2.5, ("<=", 2.5)) == "PASS"
    assert compare.verdict(2.51, ("<=", 2.5)) == "MISS"
    assert compare.verdict(None, ("<=", 2.5)) == "n/a"
    assert compare.verdict(1.0, None) is None
    assert compare.ratio(3.0, 0) is None and compare.ratio(None, 1.0) is None
    assert compare.ratio(3.0, 2.0) == 1.5
    assert compare.median_or_none([3.0, None, 1.0, 2.0]) == 2.0
    assert compare.median_or_none([None]) is None


def test_rows_give_the_ratio_of_medians_and_the_range_of_paired_repetitions(compare):
    mode = compare.Mode("unpipelined", 50, 1, 100)
    ops = {"redis": [100.0, 200.0, 100.0], "slotkv": [90.0, 100.0, 120.0]}
    runs = [compare.Run(name, "unpipelined", "mset", rep, 100, ops=value, us_per_req=1.0)
            for name, values in ops.items() for rep, value in enumerate(values)]
    runs.append(compare.Run("slotkv", "unpipelined", "mset", 3, 100, error="refused"))
    [row] = compare.summarize(runs, [mode], ["mset"])
    assert row.ops_ratio == 1.0  # median 100 of 100
    assert row.ops_range == (0.5, 1.2)  # 100/200 in repetition 2, 120/100 in repetition 3
    assert row.reps == {"redis": 3, "slotkv": 3}
    # A repetition one server did not complete pairs with nothing.
    runs = [r for r in runs if not (r.server == "redis" and r.rep == 1)]
    [row] = compare.summarize(runs, [mode], ["mset"])
    assert row.ops_range == (0.9, 1.2)
    assert compare.summarize([], [mode], ["mset"])[0].ops_range is None


def test_workloads_redis_benchmark_lacks_run_as_custom_commands(compare):
    assert compare.workload_args("lpush") == ["-t", "lpush"]
    assert compare.workload_args("xadd")[0] == "XADD"
    assert set(compare.TYPE_WORKLOADS) <= set(compare.DEFAULT_WORKLOADS)
    assert compare.target_for("zadd", "pipelined", "ops") == (">=", 0.4)
    assert compare.target_for("lrange_100", "pipelined", "ops") is None  # a read
    assert compare.target_for("set", "pipelined", "ops") == (">=", 0.5)
