#!/usr/bin/env python3
"""How long a shard is without a primary when its primary dies: SIGKILL to first write served.

Starts a coordinator and one shard of a primary and a replica (tests/cluster_util.py's
LocalCluster, real processes), keeps a writer busy on the shard through redis-py's
RedisCluster, then, `--runs` times: SIGKILLs whichever node is primary, measures the time until
a write to the shard succeeds again (the replica promoted and serving), restarts the killed
node and waits until it has rejoined as a replica. Prints each run and the min / median / max.

    python3 bench/failover.py [--runs 10] [--node-timeout 1000]

Detection alone takes cluster-node-timeout (the coordinator declares a primary dead after
that much silence), so the figure is about the timeout plus the promotion; run with the
default 2000 ms to see it at the default. Run by hand, never by pytest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import redis  # noqa: E402

from cluster_util import LocalCluster, raw, wait_until  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--node-timeout", type=int, default=1000)
    opts = parser.parse_args()
    cluster = LocalCluster(shards=1, replicas=1, node_timeout=opts.node_timeout).start()
    stop = threading.Event()
    writes = {"ok": 0, "failed": 0}
    last_ok = [time.monotonic()]
    gaps: list[float] = []  # the writer's longest wait between two acknowledged writes

    def writer() -> None:
        rc = cluster.cluster_client()
        i = 0
        while not stop.is_set():
            try:
                rc.set(f"load:{i % 1000}", i)
                writes["ok"] += 1
                now = time.monotonic()
                if gaps:
                    gaps[-1] = max(gaps[-1], now - last_ok[0])
                last_ok[0] = now
            except (redis.RedisError, redis.exceptions.RedisClusterException):
                writes["failed"] += 1
                time.sleep(0.01)
            i += 1

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    times = []
    try:
        for run in range(opts.runs):
            primary = next(iter(cluster.primaries()))
            replica = cluster.replica_of(primary)
            time.sleep(0.5)  # some load before the kill
            gaps.append(0.0)
            killed = time.monotonic()
            cluster.nodes[primary].kill()
            wait_until(lambda: raw(replica, "SET", "probe", "1") == b"OK", timeout=30,
                       interval=0.005, what="the replica to take writes")
            elapsed = time.monotonic() - killed
            times.append(elapsed)
            wait_until(lambda: time.monotonic() - last_ok[0] < 0.05, timeout=30,
                       what="the writer to go on")
            print(f"run {run + 1}: {elapsed * 1000:.0f} ms from SIGKILL to a write served by "
                  f"the promoted replica; the RedisCluster writer waited {gaps[-1] * 1000:.0f} "
                  "ms between two acknowledged writes", flush=True)
            cluster.start_node(primary)
            wait_until(lambda: cluster.role(primary) == "replica", timeout=30,
                       what="the old primary to rejoin as a replica")
            cluster.wait_ok()
    finally:
        stop.set()
        thread.join(timeout=5)
        cluster.stop()
    print(f"\ncluster-node-timeout {opts.node_timeout} ms, {len(times)} runs: min "
          f"{min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms, max "
          f"{max(times) * 1000:.0f} ms; the writer's longest wait: median "
          f"{statistics.median(gaps) * 1000:.0f} ms, max {max(gaps) * 1000:.0f} ms; "
          f"{writes['ok']} writes ok, "
          f"{writes['failed']} refused or failed during the failovers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
