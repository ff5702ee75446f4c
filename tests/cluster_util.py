"""Real clusters for tests: a coordinator and nodes as processes, on free loopback ports.

`LocalCluster` starts everything through ops/launch.py (the launcher `slotkv up` uses) in a
scratch directory and stops every process by its PID. Its `proxy` option puts a `Link` (a TCP
relay the test can cut) between each node and the coordinator, to cut one node off the
coordinator while both keep running: a network partition without root or namespaces.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from typing import Any

import redis
from redis.cluster import RedisCluster

from conftest import ServerProcess, free_port, wait_until
from ops.cluster import connect, create, nodes_of, wait_ok
from ops.launch import Launched, port_answers, python_argv


class Link:
    """A TCP relay 127.0.0.1:port -> target that can be cut (bytes are dropped both ways, the
    connections stay open, as in a partition) and healed (the cut connections are reset, so
    both ends reconnect)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.cut_off = False
        self.closed = False
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut_off:
                client.close()  # a partitioned peer cannot connect either
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if not self.cut_off:
                    dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.cut_off = True

    def heal(self) -> None:
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.close()
            except OSError:
                pass
        self.cut_off = False

    def close(self) -> None:
        self.closed = True
        self.heal()
        self.listener.close()


class LocalCluster:
    def __init__(self, shards: int = 3, replicas: int = 1, node_timeout: int = 2000,
                 proxy: bool = False, extra: tuple[str, ...] = ()) -> None:
        self.dir = tempfile.mkdtemp(prefix="slotkv-cluster-")
        self.shards, self.replicas = shards, replicas
        self.node_timeout = node_timeout
        self.extra = extra
        self.coordinator_port = free_port()
        self.coordinator: Launched | None = None
        self.nodes: dict[int, Launched] = {}
        self.links: dict[int, Link] = {}
        self.proxy = proxy
        # (free_port never hands out a port twice.)
        self.ports = [free_port() for _ in range(shards * (1 + replicas))]

    # -- processes ------------------------------------------------------------------------------

    def start(self) -> "LocalCluster":
        try:
            self.start_coordinator()
            for port in self.ports:
                self.start_node(port, wait=False)
            for port in self.ports:
                self.nodes[port].wait_ready()
            first = self.client(self.ports[0])
            try:
                wait_until(lambda: len(nodes_of(connect("127.0.0.1", self.ports[0])))
                           == len(self.ports), what="every node to register")
            except AssertionError as e:
                raise AssertionError(f"{e}\n{self._registration_report()}") from None
            create([f"127.0.0.1:{p}" for p in self.ports], self.replicas, lambda line: None)
            first.close()
        except BaseException:
            self.stop()
            raise
        return self

    def _registration_report(self) -> str:
        """Which nodes the map lacks, with the logs of those and of the coordinator."""
        known = {v.port for v in nodes_of(connect("127.0.0.1", self.ports[0]))}
        parts = [f"registered: {sorted(known)}; expected: {self.ports}"]
        assert self.coordinator is not None
        for name, proc in [("coordinator", self.coordinator)] + [
                (f"node {p}", self.nodes[p]) for p in self.ports if p not in known]:
            parts.append(f"--- {name} (alive: {proc.alive()}):\n{proc.log_tail(30)}")
        return "\n".join(parts)

    def start_coordinator(self) -> Launched:
        cdir = os.path.join(self.dir, "coordinator")
        self.coordinator = Launched(
            "coordinator", python_argv("coordinator", "--port", str(self.coordinator_port),
                                       "--dir", cdir),
            self.coordinator_port, cdir, os.path.join(cdir, "coordinator.log")).start()
        self.coordinator.wait_ready(probe=None)
        return self.coordinator

    def start_node(self, port: int, wait: bool = True) -> Launched:
        ndir = os.path.join(self.dir, f"node-{port}")
        target = self.coordinator_port
        if self.proxy:
            if port not in self.links:
                self.links[port] = Link(self.coordinator_port)
            target = self.links[port].port
        node = Launched(
            f"node {port}",
            python_argv("node", "--port", str(port), "--bind", "127.0.0.1",
                        "--cluster-enabled", "yes", "--cluster-coordinator", f"127.0.0.1:{target}",
                        "--cluster-node-timeout", str(self.node_timeout), *self.extra),
            port, ndir, os.path.join(ndir, "node.log")).start()
        self.nodes[port] = node
        if wait:
            node.wait_ready()
        return node

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()
        if self.coordinator is not None:
            self.coordinator.stop()
        for link in self.links.values():
            link.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- clients and views ------------------------------------------------------------------------

    def client(self, port: int, **kwargs: Any) -> redis.Redis:
        kwargs.setdefault("protocol", 2)
        return redis.Redis(host="127.0.0.1", port=port, **kwargs)

    def cluster_client(self, **kwargs: Any) -> RedisCluster:
        """A RedisCluster that knows every node's address for good (redis-py otherwise
        replaces its startup nodes with CLUSTER SLOTS's, which leaves out failed nodes, and
        can end up knowing only a node that is down)."""
        from redis.cluster import ClusterNode

        kwargs.setdefault("protocol", 2)
        return RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", p) for p in self.ports],
                            dynamic_startup_nodes=False, **kwargs)

    def alive_ports(self) -> list[int]:
        return [p for p, n in self.nodes.items() if n.alive()]

    def primaries(self) -> dict[int, Any]:
        """port -> CLUSTER NODES view of each primary, as a live node sees them."""
        for port in self.alive_ports():
            try:
                return {v.port: v for v in nodes_of(connect("127.0.0.1", port)) if v.is_primary}
            except redis.RedisError:
                continue
        return {}

    def role(self, port: int) -> str:
        views = nodes_of(connect("127.0.0.1", port))
        me = next(v for v in views if "myself" in v.flags)
        return "primary" if me.is_primary else "replica"

    def replica_of(self, primary_port: int) -> int:
        views = nodes_of(connect("127.0.0.1", self.alive_ports()[0]))
        primary = next(v for v in views if v.port == primary_port)
        return next(v.port for v in views if v.primary_id == primary.id)

    def wait_ok(self, timeout: float = 20.0) -> None:
        wait_ok([connect("127.0.0.1", p) for p in self.alive_ports()], timeout)

    def answers(self, port: int) -> bool:
        return port_answers("127.0.0.1", port)



def start_redis_cluster_node(*flags: str) -> ServerProcess:
    """A real redis-server with cluster mode on, on a free port in a scratch dir (the caller
    stops it and removes `workdir`); the oracle the cluster tests compare with."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="redis-cluster-")
    return ServerProcess(
        [shutil.which("redis-server") or "redis-server", "--port", str(port),
         "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--cluster-enabled", "yes", *flags, "--dir", workdir],
        port, workdir, "redis.log")


class Conn:
    """One connection, one command at a time; replies as hiredis parses them, an error as
    ("error", full text), prefix included (redis-py strips MOVED, ASK, CROSSSLOT, ...)."""

    def __init__(self, port: int) -> None:
        import hiredis

        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = hiredis.Reader()

    def __call__(self, *args: Any) -> Any:
        import hiredis

        self.sock.sendall(hiredis.pack_command(
            tuple(a if isinstance(a, (bytes, str)) else str(a) for a in args)))
        return self._read()

    def _read(self) -> Any:
        import hiredis

        while True:
            reply = self.reader.gets()
            if reply is not False:
                break
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.reader.feed(data)
        if isinstance(reply, hiredis.ReplyError):
            return ("error", str(reply))
        return reply

    def pushed(self, timeout: float) -> Any:
        """The next reply sent unasked (a pub/sub message), or None after `timeout` seconds."""
        self.sock.settimeout(timeout)
        try:
            return self._read()
        except socket.timeout:
            return None
        finally:
            self.sock.settimeout(10)

    def close(self) -> None:
        self.sock.close()


def raw(port: int, *args: Any) -> Any:
    """One command over a fresh connection (see Conn)."""
    conn = Conn(port)
    try:
        return conn(*args)
    finally:
        conn.close()
