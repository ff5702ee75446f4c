"""`slotkv up`: the whole local cluster in one command.

    slotkv up [--shards 3] [--replicas 1] [--port 7000] [--dir ./slotkv-data] [-- DIRECTIVES]

Starts a coordinator (on `--port` + 10000) and `shards` x (1 + `replicas`) nodes on the ports
after `--port`: the primaries first (7001, 7002, 7003), then the replicas (7004, ...), as
redis-cli's create-cluster does. `--port` itself is kept for the router. A fresh cluster gets
its slots spread evenly and its replicas assigned (`slotkv cluster create`); then one line per
process says its role and address. Everything lives under `--dir` (the layout in `up.json`,
the coordinator's topology, one directory per node with its AOF), so running `slotkv up --dir
D` again brings the same cluster back, data included. Ctrl-C (or SIGTERM) stops every process by its PID, nodes first.

Node directives after `--` go to every node as they are, e.g. a cache of 100 MB per shard:
`slotkv up -- --maxmemory 100mb --maxmemory-policy allkeys-lru`. They are kept with the
layout, so a restart reuses them unless new ones are given.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from typing import Any

import redis

from ops.cluster import ClusterError, connect, create, nodes_of, wait_ok
from ops.launch import Launched, python_argv, stop_all

LAYOUT_FILE = "up.json"
DEFAULTS = {"shards": 3, "replicas": 1, "port": 7000, "bind": "127.0.0.1", "node_timeout": 2000,
            "node_args": []}


def layout(opts: argparse.Namespace, directory: str) -> dict[str, Any]:
    """The cluster's shape: from the directory if it holds one, else from the flags."""
    path = os.path.join(directory, LAYOUT_FILE)
    given = {k: getattr(opts, k) for k in DEFAULTS if getattr(opts, k) not in (None, [])}
    if os.path.exists(path):
        with open(path) as f:
            saved = json.load(f)
        clash = {k: (v, saved[k]) for k, v in given.items()
                 if k in ("shards", "replicas", "port") and saved.get(k) != v}
        if clash:
            raise ClusterError(
                f"{directory} holds a cluster of {saved['shards']} shard(s) with "
                f"{saved['replicas']} replica(s) each on port {saved['port']}: start it with "
                "those settings, or use another --dir")
        return {**DEFAULTS, **saved, **given}
    shape = {**DEFAULTS, **given}
    if shape["shards"] < 1 or shape["replicas"] < 0:
        raise ClusterError("--shards must be at least 1 and --replicas at least 0")
    os.makedirs(directory, exist_ok=True)
    with open(path, "w") as f:
        json.dump(shape, f, indent=1)
    return shape


def node_ports(shape: dict[str, Any]) -> tuple[list[int], list[int]]:
    """(primary ports, replica ports) of a fresh cluster."""
    count = shape["shards"] * (1 + shape["replicas"])
    ports = [shape["port"] + 1 + i for i in range(count)]
    return ports[:shape["shards"]], ports[shape["shards"]:]


class Up:
    def __init__(self, directory: str, shape: dict[str, Any]) -> None:
        self.directory = directory
        self.shape = shape
        self.coordinator: Launched | None = None
        self.nodes: list[Launched] = []

    @property
    def coordinator_port(self) -> int:
        return self.shape["port"] + 10000

    def start(self) -> None:
        bind = self.shape["bind"]
        cdir = os.path.join(self.directory, "coordinator")
        self.coordinator = Launched(
            "coordinator",
            python_argv("coordinator", "--port", str(self.coordinator_port), "--bind", bind,
                        "--dir", cdir),
            self.coordinator_port, cdir, os.path.join(cdir, "coordinator.log"),
            own_session=True).start()
        self.coordinator.wait_ready(probe=None)
        primaries, replicas = node_ports(self.shape)
        for port in primaries + replicas:
            ndir = os.path.join(self.directory, f"node-{port}")
            self.nodes.append(Launched(
                f"node {port}",
                python_argv("node", "--port", str(port), "--bind", bind, "--dir", ndir,
                            "--cluster-enabled", "yes",
                            "--cluster-coordinator", f"127.0.0.1:{self.coordinator_port}",
                            "--cluster-node-timeout", str(self.shape["node_timeout"]),
                            # Every write logged (fsynced each second): a node killed outright
                            # comes back with its data, as with redis's create-cluster script.
                            "--appendonly", "yes",
                            "--logfile", os.path.join(ndir, "node.log"),
                            *self.shape["node_args"]),
                port, ndir, os.path.join(ndir, "stdout.log"), own_session=True).start())
        for node in self.nodes:
            node.wait_ready()

    def configure(self, out: Any) -> None:
        """Give a fresh cluster its slots and replicas; wait until a known one is whole."""
        clients = [connect("127.0.0.1", n.port) for n in self.nodes]
        # Until every node is registered, CLUSTER NODES does not list them all.
        deadline = time.monotonic() + 20
        while len(nodes_of(clients[0])) < len(self.nodes):
            if time.monotonic() > deadline:
                raise ClusterError("not every node registered with the coordinator")
            time.sleep(0.05)
        fresh = all(not v.ranges for v in nodes_of(clients[0]))
        if fresh:
            addresses = [f"127.0.0.1:{n.port}" for n in self.nodes]
            create(addresses, self.shape["replicas"], lambda line: None)
        else:
            wait_ok(clients, 30)
        for c in clients:
            c.close()

    def describe(self) -> list[str]:
        views = nodes_of(connect("127.0.0.1", self.nodes[0].port))
        by_port = {v.port: v for v in views}
        lines = [f"coordinator 127.0.0.1:{self.coordinator_port} pid {self.coordinator.pid}"]  # type: ignore[union-attr]
        for node in self.nodes:
            v = by_port.get(node.port)
            if v is None:
                lines.append(f"node        {self.shape['bind']}:{node.port} pid {node.pid} (unregistered)")
            elif v.is_primary:
                slots = ",".join(f"{a}-{b}" if a != b else str(a) for a, b in v.ranges) or "none"
                lines.append(f"primary     {self.shape['bind']}:{node.port} pid {node.pid} slots {slots}")
            else:
                primary = next((p for p in views if p.id == v.primary_id), None)
                of = primary.address if primary else v.primary_id
                lines.append(f"replica     {self.shape['bind']}:{node.port} pid {node.pid} of {of}")
        return lines

    def stop(self) -> None:
        stop_all(self.nodes)
        if self.coordinator is not None:
            self.coordinator.stop()

    def watch(self) -> None:
        """Until SIGINT/SIGTERM: report processes that exit on their own."""
        stop = {"now": False}

        def on_signal(signum: int, frame: Any) -> None:
            stop["now"] = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        reported: set[int] = set()
        while not stop["now"]:
            for proc in [self.coordinator, *self.nodes]:
                if proc is not None and not proc.alive() and proc.pid not in reported:
                    reported.add(proc.pid)
                    print(f"slotkv up: {proc.name} (pid {proc.pid}) exited with "
                          f"{proc.returncode()}; see {proc.log_path}", file=sys.stderr, flush=True)
            time.sleep(0.2)


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slotkv up", description="Start the local slotkv cluster.")
    parser.add_argument("--shards", type=int, help="primaries (default 3)")
    parser.add_argument("--replicas", type=int, help="replicas per primary (default 1)")
    parser.add_argument("--port", type=int, help="base port, kept for the router; nodes use the "
                        "ports after it, the coordinator port+10000 (default 7000)")
    parser.add_argument("--dir", default="./slotkv-data", help="data directory (default ./slotkv-data)")
    parser.add_argument("--bind", help="address the nodes listen on (default 127.0.0.1)")
    parser.add_argument("--node-timeout", type=int, dest="node_timeout",
                        help="cluster-node-timeout in ms: failover after this long (default 2000)")
    parser.add_argument("node_args", nargs="*", metavar="-- DIRECTIVES",
                        help="node directives for every node, after --, e.g. "
                        "-- --maxmemory 100mb --maxmemory-policy allkeys-lru")
    opts = parser.parse_args(args)
    directory = os.path.abspath(opts.dir)
    try:
        shape = layout(opts, directory)
    except ClusterError as e:
        print(f"slotkv up: {e}", file=sys.stderr)
        return 1
    up = Up(directory, shape)
    try:
        up.start()
        up.configure(None)
        for line in up.describe():
            print(line, flush=True)
        print(f"slotkv up: data in {directory}; try: redis-cli -c -p {shape['port'] + 1}; "
              "Ctrl-C stops everything", file=sys.stderr, flush=True)
        up.watch()
    except (ClusterError, RuntimeError, OSError, redis.RedisError) as e:
        print(f"slotkv up: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        print("slotkv up: stopping", file=sys.stderr, flush=True)
        up.stop()
    return 0
