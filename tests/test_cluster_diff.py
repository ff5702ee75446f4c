"""Two shards against a two-node redis-server cluster: redirections compared reply for reply.

Both clusters split the slots the same way (node 0: 0-8191, node 1: 8192-16383, as redis-cli
allocates them for two primaries), so the same command sent to the same node index must get
the same reply, MOVED and ASK included, once each node's address is masked. The redis-server
nodes are joined with CLUSTER MEET; the slotkv ones through a coordinator (LocalCluster).
Single-node behaviour is tests/test_cluster_node.py's.
"""

from __future__ import annotations

import re
import shutil
from typing import Any, Iterator

import pytest

from cluster_util import Conn, LocalCluster, start_redis_cluster_node
from conftest import ServerProcess, wait_until
from node.slots import key_slot

# Keys by owner (the same in both clusters): `b` and its tag on node 0, `a` on node 1.
assert key_slot(b"b") == 3300 and key_slot(b"a") == 15495


class Side:
    """One cluster's node ports and ids, and how to mask them out of a reply."""

    def __init__(self, name: str, ports: list[int]) -> None:
        self.name = name
        self.ports = ports
        self.ids = [Conn(p)("CLUSTER", "MYID").decode() for p in ports]

    def mask(self, value: Any) -> Any:
        if isinstance(value, (bytes, str)):
            text = value.decode() if isinstance(value, bytes) else value
            for i, (port, node_id) in enumerate(zip(self.ports, self.ids)):
                text = re.sub(rf"(?<![0-9]){port}(?![0-9])", f"<port{i}>", text)
                text = text.replace(node_id, f"<id{i}>")
            return text.encode() if isinstance(value, bytes) else text
        if isinstance(value, int) and value in self.ports:
            return f"<port{self.ports.index(value)}>"
        if isinstance(value, list):
            return [self.mask(v) for v in value]
        if isinstance(value, dict):
            return {self.mask(k): self.mask(v) for k, v in value.items()}
        if isinstance(value, tuple):
            return tuple(self.mask(v) for v in value)
        return value

    def unmask(self, arg: str) -> str:
        for i, node_id in enumerate(self.ids):
            arg = arg.replace(f"<id{i}>", node_id)
        return arg


@pytest.fixture(scope="module")
def sides() -> Iterator[tuple[Side, Side]]:
    procs: list[ServerProcess] = []
    cluster = LocalCluster(shards=2, replicas=0)
    try:
        for _ in range(2):
            procs.append(start_redis_cluster_node())
        theirs = [p.port for p in procs]
        Conn(theirs[0])("CLUSTER", "ADDSLOTSRANGE", 0, 8191)
        Conn(theirs[1])("CLUSTER", "ADDSLOTSRANGE", 8192, 16383)
        Conn(theirs[1])("CLUSTER", "MEET", "127.0.0.1", theirs[0])
        cluster.start()
        for port in [*theirs, *cluster.ports]:
            wait_until(lambda: b"cluster_state:ok" in Conn(port)("CLUSTER", "INFO"),
                       timeout=30, what=f"cluster_state:ok on {port}")
        yield Side("slotkv", cluster.ports), Side("redis", theirs)
    finally:
        cluster.stop()
        for p in procs:
            p.stop()
            shutil.rmtree(p.workdir, ignore_errors=True)


def compare(sides: tuple[Side, Side], node: int, *commands: tuple, protocol: int = 2) -> None:
    """Run `commands` in order on one connection to node `node` of each cluster and compare
    the replies, addresses and ids masked (`<id0>` in an argument is node 0's id)."""
    conns = []
    for side in sides:
        conn = Conn(side.ports[node])
        if protocol == 3:
            conn("HELLO", "3")
        conns.append(conn)
    try:
        for cmd in commands:
            mine, theirs = (side.mask(conn(*(side.unmask(str(a)) for a in cmd)))
                            for side, conn in zip(sides, conns))
            assert mine == theirs, f"node {node} {cmd!r}: slotkv={mine!r} redis={theirs!r}"
    finally:
        for conn in conns:
            conn.close()


def on_both(sides: tuple[Side, Side], node: int, *cmd: Any) -> None:
    """Set-up: the same command on each cluster, which must succeed alike."""
    compare(sides, node, cmd)


@pytest.fixture
def clean(sides: tuple[Side, Side]) -> Iterator[tuple[Side, Side]]:
    for side in sides:
        for port in side.ports:
            Conn(port)("FLUSHALL")
    yield sides


# -- which keys a command is routed on --------------------------------------------------------

@pytest.mark.parametrize("cmd", [
    # XREAD/XREADGROUP: Redis routes with xreadGetKeys, which finds no key when the keys and
    # IDs do not pair up or an option is unknown (the command's own error follows), and skips
    # an option's argument even if it reads STREAMS.
    ("XREAD", "STREAMS", "b", "c", "0"), ("XREAD", "STREAMS", "a", "{a}1", "0"),
    ("XREAD", "FOO", "STREAMS", "b", "0"), ("XREAD", "COUNT", "STREAMS", "STREAMS", "b", "0"),
    ("XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"),
    ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "b", "c", "0"),
    ("XREADGROUP", "GROUP", "STREAMS", "c", "STREAMS", "b", ">"),
    # GEORADIUS: the destination routed on is the last STORE/STOREDIST's, the one written.
    ("GEORADIUS", "b", "0", "0", "10", "km", "STORE", "a", "STOREDIST", "{b}x"),
    ("GEORADIUS", "b", "0", "0", "10", "km", "STORE", "{b}x", "STORE", "a"),
    ("GEORADIUS", "b", "0", "0", "10", "km", "STOREDIST", "a", "STORE", "{b}x"),
    ("GEORADIUSBYMEMBER", "b", "m", "10", "km", "STORE", "a", "STOREDIST", "{b}x"),
    ("GEORADIUS", "b", "0", "0", "10", "km", "STORE", "STORE", "{b}x"),
    # COMMAND GETKEYS walks the key specs first, as Redis does: it is unchanged.
    ("COMMAND", "GETKEYS", "XREAD", "STREAMS", "b", "c", "0"),
    ("COMMAND", "GETKEYS", "GEORADIUS", "b", "0", "0", "10", "km", "STORE", "a", "STORE", "c"),
])
def test_routing_keys_match_redis(clean: tuple[Side, Side], cmd: tuple) -> None:
    for node in (0, 1):
        compare(clean, node, cmd)


# -- a slot in migration ------------------------------------------------------------------------

@pytest.fixture
def migrating(clean: tuple[Side, Side]) -> Iterator[tuple[Side, Side]]:
    """Slot 3300 (`b`, `{b}...`) migrating from node 0 to node 1 in both clusters, `b` still
    on node 0."""
    on_both(clean, 0, "SET", "b", "1")
    on_both(clean, 1, "CLUSTER", "SETSLOT", "3300", "IMPORTING", "<id0>")
    on_both(clean, 0, "CLUSTER", "SETSLOT", "3300", "MIGRATING", "<id1>")
    try:
        yield clean
    finally:
        for side in clean:
            for port in side.ports:
                Conn(port)("CLUSTER", "SETSLOT", "3300", "STABLE")
                Conn(port)("FLUSHALL")


@pytest.mark.parametrize("protocol", [2, 3])
def test_ask_and_tryagain_match_redis(migrating: tuple[Side, Side], protocol: int) -> None:
    # The source: ASK when none of the keys is here, TRYAGAIN when only some are.
    compare(migrating, 0, ("GET", "b"), ("GET", "{b}gone"), ("MGET", "b", "{b}gone"),
            ("MGET", "{b}gone", "{b}gone2"), ("MGET", "{b}gone", "{b}gone"),
            ("DEL", "{b}gone", "{b}x"), ("MGET", "b", "b"), ("EXISTS", "b", "{b}gone"),
            ("MULTI",), ("GET", "{b}gone"), ("GET", "{b}gone2"), ("EXEC",),
            ("MULTI",), ("GET", "b"), ("GET", "{b}gone"), ("EXEC",),
            protocol=protocol)
    # The target: MOVED unless ASKING; TRYAGAIN for several keys it does not all hold.
    compare(migrating, 1, ("GET", "{b}gone"), ("ASKING",), ("GET", "{b}gone"),
            ("ASKING",), ("MGET", "{b}gone", "{b}x"), ("ASKING",), ("SET", "{b}in", "1"),
            ("ASKING",), ("MGET", "{b}in", "{b}x"), ("ASKING",), ("MGET", "{b}in", "{b}in"),
            protocol=protocol)


def test_asking_covers_a_whole_transaction(migrating: tuple[Side, Side]) -> None:
    # ASKING holds until the command after it ends outside MULTI (Redis's resetClient): so
    # through MULTI, the queued commands and EXEC, and not past DISCARD.
    compare(migrating, 1,
            ("ASKING",), ("MULTI",), ("SET", "{b}in", "1"), ("GET", "{b}in"), ("EXEC",),
            ("GET", "{b}in"),
            ("ASKING",), ("MULTI",), ("GET", "{b}in"), ("DISCARD",), ("GET", "{b}in"),
            ("ASKING",), ("MULTI",), ("DISCARD",), ("GET", "{b}in"),
            ("ASKING",), ("MULTI",), ("MULTI",), ("GET", "{b}in"), ("EXEC",), ("GET", "{b}in"),
            ("MULTI",), ("ASKING",), ("GET", "{b}in"), ("EXEC",),
            ("ASKING",), ("ASKING",), ("GET", "{b}in"), ("GET", "{b}in"),
            ("ASKING",), ("EXEC",), ("GET", "{b}in"))


def test_asking_ends_with_a_refused_command(migrating: tuple[Side, Side]) -> None:
    # A command refused before it runs (unknown, wrong arity, unknown subcommand) still ends
    # ASKING, as every command outside MULTI does in Redis: the GET after it is MOVED.
    compare(migrating, 1,
            ("ASKING",), ("FOOBAR",), ("GET", "{b}in"),
            ("ASKING",), ("GET",), ("GET", "{b}in"),
            ("ASKING",), ("CONFIG", "NOSUCH"), ("GET", "{b}in"),
            ("ASKING",), ("MULTI",), ("FOOBAR",), ("GET", "{b}in"), ("EXEC",), ("GET", "{b}in"))


# -- endpoints ------------------------------------------------------------------------------------

def _shards(side: Side, node: int, protocol: int) -> list:
    conn = Conn(side.ports[node])
    if protocol == 3:
        conn("HELLO", "3")
    shards = conn("CLUSTER", "SHARDS")
    conn.close()
    out = []
    for shard in shards:
        shard = dict(zip(shard[::2], shard[1::2])) if isinstance(shard, list) else shard
        nodes = []
        for details in shard[b"nodes"]:
            pairs = list(details.items()) if isinstance(details, dict) else list(
                zip(details[::2], details[1::2]))
            nodes.append([(k, v) for k, v in pairs if k != b"replication-offset"])
        out.append((shard[b"slots"], nodes))
    return sorted(side.mask(out), key=repr)  # shard order is Redis's dict order


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("kind", ["ip", "hostname", "unknown-endpoint"])
def test_endpoint_types_match_redis(migrating: tuple[Side, Side], kind: str,
                                    protocol: int) -> None:
    """cluster-preferred-endpoint-type decides what MOVED, ASK, SLOTS and SHARDS name, from
    the moment it is set; what it does not name goes in SLOTS's metadata (Redis's
    addNodeToNodeReply)."""
    sides = migrating
    try:
        for side in sides:
            for i, port in enumerate(side.ports):
                Conn(port)("CONFIG", "SET", "cluster-announce-hostname", f"host-{i}.example")
        for side in sides:
            for port in side.ports:
                wait_until(lambda: Conn(port)("CLUSTER", "NODES").count(b".example") == 2,
                           what="every node to know both hostnames")
        for side in sides:
            for port in side.ports:
                Conn(port)("CONFIG", "SET", "cluster-preferred-endpoint-type", kind)
        for node in (0, 1):
            compare(sides, node, ("GET", "a"), ("GET", "{b}gone"), ("GET", "c"),
                    ("CLUSTER", "SLOTS"), protocol=protocol)
            assert _shards(sides[0], node, protocol) == _shards(sides[1], node, protocol)
    finally:
        for side in sides:
            for port in side.ports:
                Conn(port)("CONFIG", "SET", "cluster-preferred-endpoint-type", "ip")
                Conn(port)("CONFIG", "SET", "cluster-announce-hostname", "")
