"""kill -9 at random moments: with appendfsync always, no acknowledged write is ever lost.

A writer sends INCRs of one counter and SETs of distinct keys, one by one and in pipelines,
recording every reply it gets (a reply is an acknowledgement). At a random moment the node is
SIGKILLed; it restarts from its AOF and must hold every acknowledged write: each acked SET
key, and the counter at least at its highest acked value (and at most at what was sent).
One node is killed and restarted at 20 random points under `always`; under `everysec` the
loss is measured (bench/aof_crash.py measures it at length) and must stay within what
the last couple of seconds of writes could be.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from aofhelp import kill9
from conftest import ROOT, ServerProcess, start_slotkv

KILL_POINTS = int(os.environ.get("AOF_KILL_POINTS", "20"))


def _load_bench():
    # The writer and the loss count live in bench/aof_crash.py, which measures at length.
    path = os.path.join(ROOT, "bench", "aof_crash.py")
    spec = importlib.util.spec_from_file_location("bench_aof_crash", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def crash_round(node: ServerProcess, tag: str,
                duration: tuple[float, float] = (0.02, 0.25), pace: float = 0.0) -> tuple:
    """Write, SIGKILL at a random moment, restart: (what was acknowledged, the new node)."""
    acked = bench.write_then_kill(node.port, node.pid, tag, duration, pace)
    kill9(node)
    args = node.proc.args[node.proc.args.index("node") + 1:-4]  # the same settings
    return acked, start_slotkv(*args, workdir=node.workdir, port=node.port)


def test_always_loses_no_acknowledged_write() -> None:
    node = start_slotkv("--appendonly", "yes", "--appendfsync", "always")
    total_keys = 0
    try:
        for point in range(KILL_POINTS):
            acked, node = crash_round(node, f"k{point}")
            gone, incrs = bench.lost(node.port, acked)
            assert (len(gone), incrs) == (0, 0), \
                f"kill point {point}: lost {len(gone)} of {len(acked.keys)} keys, {incrs} INCRs"
            r = node.client()
            counter = int(r.get("counter") or 0)
            assert acked.counter <= counter <= acked.counter + acked.sent_incrs
            total_keys += len(acked.keys)
            # Start the next round from an empty AOF, rewritten while it writes (so some kills
            # land during a rewrite).
            r.flushall()
            r.bgrewriteaof()
            r.close()
        assert total_keys > KILL_POINTS  # the writer did get acknowledgements
        assert "DB loaded from append only file" in node.log()
    finally:
        node.stop()


def test_everysec_loss_is_bounded() -> None:
    """SIGKILL leaves written bytes in the page cache, so under everysec only what waited in
    the AOF buffer can go (a write postponed behind a slow fsync): writes acknowledged in the
    last 2 seconds before the kill at most. The round writes for longer than that."""
    node = start_slotkv("--appendonly", "yes", "--appendfsync", "everysec")
    try:
        acked, node = crash_round(node, "e", duration=(2.7, 2.9), pace=0.002)
        gone, _ = bench.lost(node.port, acked)
        assert acked.times and acked.times[0] < acked.killed_at - 2.5
        late = [acked.times[i] for i in gone if acked.times[i] < acked.killed_at - 2.5]
        assert not late, f"{len(late)} writes acknowledged over 2.5 s before the kill are lost"
        print(f"everysec: {len(gone)} of {len(acked.keys)} acknowledged SETs lost")
    finally:
        node.stop()
