"""bench/bgsave_stall.py runs end to end on a small dataset and reports every figure for both
servers (speed is never asserted here; the script is run by hand for the real figures)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_bgsave_stall_script_runs(tmp_path) -> None:
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "bgsave_stall.py"), "--keys", "2000",
         "--settle", "0.1", "--json", str(out)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "longest gap during BGSAVE (ms)" in proc.stdout
    rows = {r["server"]: r for r in json.loads(out.read_text())["rows"]}
    assert set(rows) == {"redis", "slotkv"}
    for row in rows.values():
        assert row["keys"] == row["keys_after_load"] == 2000
        assert row["bgsave_ok"] and row["pings_during_bgsave"] >= 0
        assert row["load_seconds"] is not None and row["rdb_bytes"] > 0
