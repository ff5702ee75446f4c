"""`slotkv up` and `slotkv cluster ...` as a user runs them: real processes, real Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Iterator

import pytest
from redis.cluster import RedisCluster

from cluster_util import Conn, raw
from conftest import ROOT, free_ports, wait_until
from node.slots import key_slot
from ops.launch import port_answers


class Up:
    def __init__(self, directory: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", "up", "--dir", directory, *args], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.lines: list[str] = []

    def read_lines(self, count: int, timeout: float = 60) -> list[str]:
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        while len(self.lines) < count:
            assert time.monotonic() < deadline, self.lines
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"slotkv up exited: {self.proc.wait()} "
                                     f"{self.proc.stderr.read() if self.proc.stderr else ''}")
            self.lines.append(line.rstrip("\n"))
        return self.lines

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        return self.proc.wait(timeout=60)

    def kill(self) -> None:
        """Stop `up` and every process it printed, by PID, even when a test failed midway
        (they run in sessions of their own: killing `up` alone would leave them to its
        parent-death signal, unwaited, perhaps still holding their ports)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        pids = _pids([line for line in self.lines if " pid " in line])
        for pid in pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def up_dir(tmp_path) -> Iterator[str]:
    yield str(tmp_path / "data")


def _pids(lines: list[str]) -> list[int]:
    return [int(line.split(" pid ")[1].split()[0]) for line in lines]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes (its parent reaps it).
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ")[1][0] != "Z"


def test_up_starts_stops_and_restarts_the_same_cluster(up_dir: str) -> None:
    base = free_ports(5)  # the coordinator at base + 10000, nodes at base + 1..4
    up = Up(up_dir, "--shards", "2", "--replicas", "1", "--port", str(base))
    try:
        lines = up.read_lines(5)
        assert lines[0].startswith(f"coordinator 127.0.0.1:{base + 10000} pid ")
        assert lines[1].startswith(f"primary     127.0.0.1:{base + 1} pid ")
        assert lines[1].endswith("slots 0-8191")
        assert lines[2].endswith("slots 8192-16383")
        assert lines[3].endswith(f"of 127.0.0.1:{base + 1}")
        assert lines[4].endswith(f"of 127.0.0.1:{base + 2}")
        pids = _pids(lines)
        check = subprocess.run(["redis-cli", "--cluster", "check", f"127.0.0.1:{base + 1}"],
                               capture_output=True, text=True, timeout=60)
        assert "[OK] All 16384 slots covered." in check.stdout
        ids = [raw(base + i, "CLUSTER", "MYID") for i in range(1, 5)]
        rc = RedisCluster(host="127.0.0.1", port=base + 1)
        rc.mset_nonatomic({f"kept:{i}": i for i in range(100)})
        rc.close()
        # The replicas have it too before the failover: a write on each primary, then WAIT on
        # the same connection (a primary's stream is in order).
        for port, slots in ((base + 1, range(0, 8192)), (base + 2, range(8192, 16384))):
            probe = next(k for k in (f"probe{i}" for i in range(100000))
                         if key_slot(k.encode()) in slots)
            conn = Conn(port)
            assert conn("SET", probe, "1") == b"OK" and conn("WAIT", 1, 5000) == 1
            conn.close()
        # A manual failover through the ops CLI, then Ctrl-C.
        out = subprocess.run([sys.executable, "-m", "ops.cli", "cluster", "failover",
                              f"127.0.0.1:{base + 1}", "--force"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and f"127.0.0.1:{base + 3} is now a primary" in out.stdout, out
        assert up.interrupt() == 0
        assert not any(_alive(pid) for pid in pids)
        assert not any(port_answers("127.0.0.1", base + i) for i in range(1, 5))
    finally:
        up.kill()
    # The same directory brings the same cluster back, failover included.
    up = Up(up_dir)
    try:
        lines = up.read_lines(5)
        assert [raw(base + i, "CLUSTER", "MYID") for i in range(1, 5)] == ids
        rc = RedisCluster(host="127.0.0.1", port=base + 1)
        # Stopped cleanly, every primary saved its data (the default save points).
        assert rc.mget_nonatomic([f"kept:{i}" for i in range(100)]) == [
            str(i).encode() for i in range(100)]
        rc.close()
        roles = {line.split()[1]: line.split()[0] for line in lines[1:]}
        assert roles[f"127.0.0.1:{base + 3}"] == "primary"
        assert roles[f"127.0.0.1:{base + 1}"] == "replica"
        # A different shape for the same directory is refused, nothing started.
        clash = subprocess.run([sys.executable, "-m", "ops.cli", "up", "--dir", up_dir,
                                "--shards", "3"], cwd=ROOT, capture_output=True, text=True,
                               timeout=60)
        assert clash.returncode == 1 and "holds a cluster of 2 shard(s)" in clash.stderr
        assert up.interrupt() == 0
    finally:
        up.kill()


def test_cluster_create_on_bare_nodes() -> None:
    from cluster_util import LocalCluster

    cluster = LocalCluster(shards=3, replicas=0)
    try:
        cluster.start_coordinator()
        for port in cluster.ports:
            cluster.start_node(port)
        wait_until(lambda: raw(cluster.ports[0], "CLUSTER", "NODES").count(b"\n") == 3,
                   what="the nodes to register")
        out = subprocess.run([sys.executable, "-m", "ops.cli", "cluster", "create",
                              *[f"127.0.0.1:{p}" for p in cluster.ports]], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "Master[0] -> Slots 0 - 5460" in out.stdout
        assert "Master[2] -> Slots 10923 - 16383" in out.stdout
        again = subprocess.run([sys.executable, "-m", "ops.cli", "cluster", "create",
                                *[f"127.0.0.1:{p}" for p in cluster.ports]], cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
        assert again.returncode == 1 and "is not empty" in again.stderr
    finally:
        cluster.stop()


def test_a_second_coordinator_on_a_port_is_refused(tmp_path) -> None:
    from cluster_util import LocalCluster

    cluster = LocalCluster(shards=1, replicas=0)
    try:
        cluster.start_coordinator()
        out = subprocess.run([sys.executable, "-m", "ops.cli", "coordinator", "--port",
                              str(cluster.coordinator_port), "--dir", str(tmp_path)],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 1
        assert "Could not listen on" in out.stderr and "Traceback" not in out.stderr
    finally:
        cluster.stop()


def test_node_directives_after_the_double_dash(up_dir: str) -> None:
    """`slotkv up -- DIRECTIVES` gives every node the same directives (here a cache's memory
    limit), and a restart of the same directory keeps them."""
    base = free_ports(3)
    up = Up(up_dir, "--shards", "2", "--replicas", "0", "--port", str(base), "--",
            "--maxmemory", "200mb", "--maxmemory-policy", "allkeys-lru")
    try:
        up.read_lines(3)
        for port in (base + 1, base + 2):
            assert raw(port, "CONFIG", "GET", "maxmemory") == [b"maxmemory", b"209715200"]
            assert raw(port, "CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy",
                                                                      b"allkeys-lru"]
        assert up.interrupt() == 0
    finally:
        up.kill()
    up = Up(up_dir)
    try:
        up.read_lines(3)
        assert raw(base + 2, "CONFIG", "GET", "maxmemory") == [b"maxmemory", b"209715200"]
        assert up.interrupt() == 0
    finally:
        up.kill()
