"""One cluster-mode node against a one-node redis-server cluster: same commands, same replies.

Both run with `--cluster-enabled yes` and serve all 16384 slots (CLUSTER ADDSLOTSRANGE 0
16383); the slotkv node has no coordinator, so it is its own authority, as a fresh Redis
Cluster node is. Replies that carry ids, ports or epochs are compared after masking those.
Multi-node behaviour (MOVED, ASK, failover) is tests/test_cluster.py's.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from typing import Any, Callable, Iterator

import pytest
import redis

from conftest import Differential, ServerProcess, free_port, reply_of, start_slotkv, wait_until
from node.slots import SlotIndex, key_slot


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="redis-cluster-oracle-")
    theirs = ServerProcess([shutil.which("redis-server") or "redis-server", "--port", str(port),
                            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                            "--cluster-enabled", "yes", "--dir", workdir],
                           port, workdir, "redis.log")
    try:
        mine = start_slotkv("--cluster-enabled", "yes", port=free_port())
    except BaseException:
        theirs.stop()
        raise
    try:
        for proc in (mine, theirs):
            c = proc.client()
            assert c.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
            wait_until(lambda: b"cluster_state:ok" in c.execute_command("CLUSTER", "INFO"),
                       what="cluster_state:ok")
        yield mine, theirs
    finally:
        mine.stop()
        theirs.stop()


@pytest.fixture
def cboth(pair: tuple[ServerProcess, ServerProcess]) -> Iterator[Differential]:
    r, o = pair[0].client(), pair[1].client()
    r.flushall()
    o.flushall()
    yield Differential(r, o)
    r.close()
    o.close()


def test_keyslot_matches_redis(cboth: Differential) -> None:
    keys = [b"foo", b"123456789", b"{user1}.following", b"{user1}.followers", b"{}x", b"{}",
            b"}{a}", b"a{b}c{d}", b"{a", b"a}", b"", b"\x00\xff", b"{" * 3 + b"x}"]
    for key in keys:
        slot = cboth("CLUSTER", "KEYSLOT", key)
        assert slot == key_slot(key)
    assert key_slot(b"foo") == 12182


@pytest.mark.parametrize("cmd", [
    ("MSET", "a", "1", "b", "2"), ("MGET", "a", "b"), ("DEL", "a", "b"), ("RENAME", "a", "b"),
    ("SUNIONSTORE", "d", "a", "b"), ("BLPOP", "a", "b", "0"), ("WATCH", "a", "b"),
    ("SORT", "k", "STORE", "zz"), ("ZUNIONSTORE", "d", "2", "a", "b"),
    ("XREAD", "STREAMS", "a", "b", "0", "0"), ("LMOVE", "a", "b", "LEFT", "RIGHT"),
    ("COPY", "k", "k2", "DB", "1"), ("MSET", "{t}a", "1", "{t}b", "2"), ("MGET", "{t}a", "{t}b"),
    ("RENAME", "{t}a", "{t}c"), ("SELECT", "0"), ("SELECT", "1"), ("SELECT", "x"),
    ("SWAPDB", "0", "1"), ("MOVE", "k", "1"), ("GET", "k"), ("ASKING",), ("READONLY",),
    ("READWRITE",), ("ASKING", "x"),
    # Shard channels route as keys do; plain channels are not routed at all.
    ("SPUBLISH", "a", "m"), ("SSUBSCRIBE", "a", "b"), ("SUNSUBSCRIBE", "a", "b"),
    ("SPUBLISH", "{t}a", "m"), ("PUBLISH", "a", "m"), ("PUBSUB", "SHARDNUMSUB", "a", "b"),
])
def test_key_routing_matches_redis(cboth: Differential, cmd: tuple) -> None:
    cboth("SET", "k", "v")
    cboth(*cmd)


def test_transactions_across_slots(cboth: Differential) -> None:
    # Each queued command is fine alone; EXEC sees keys of two slots and discards the lot.
    cboth.run(("MULTI",), ("SET", "a", "1"), ("SET", "b", "1"), ("EXEC",), ("GET", "a"))
    cboth.run(("MULTI",), ("SET", "{a}1", "1"), ("SET", "{a}2", "2"), ("EXEC",))
    # A queued command that fails the check flags the transaction.
    cboth.run(("MULTI",), ("MGET", "a", "b"), ("SET", "c", "1"), ("EXEC",), ("GET", "c"))


@pytest.mark.parametrize("cmd", [
    ("CLUSTER", "ADDSLOTS", "0"), ("CLUSTER", "ADDSLOTS", "99999"), ("CLUSTER", "ADDSLOTS", "x"),
    ("CLUSTER", "ADDSLOTS", "-1"), ("CLUSTER", "ADDSLOTS"), ("CLUSTER", "ADDSLOTSRANGE", "5", "4"),
    ("CLUSTER", "ADDSLOTSRANGE", "1"), ("CLUSTER", "ADDSLOTSRANGE", "1", "2", "3"),
    ("CLUSTER", "ADDSLOTSRANGE", "1", "2"), ("CLUSTER", "DELSLOTS", "99999"),
    ("CLUSTER", "DELSLOTSRANGE", "5", "4"), ("CLUSTER", "SETSLOT", "1"),
    ("CLUSTER", "SETSLOT", "1", "MIGRATING"), ("CLUSTER", "SETSLOT", "1", "MIGRATING", "x"),
    ("CLUSTER", "SETSLOT", "1", "FOO"), ("CLUSTER", "SETSLOT", "1", "NODE"),
    ("CLUSTER", "SETSLOT", "99999", "STABLE"), ("CLUSTER", "SETSLOT", "1", "STABLE", "x"),
    ("CLUSTER", "SETSLOT", "1", "NODE", "nosuch"), ("CLUSTER", "SETSLOT", "1", "STABLE"),
    ("CLUSTER", "FAILOVER"), ("CLUSTER", "FAILOVER", "X"), ("CLUSTER", "FAILOVER", "a", "b"),
    ("CLUSTER", "REPLICATE", "zz"), ("CLUSTER", "RESET", "X"), ("CLUSTER", "RESET", "a", "b"),
    ("CLUSTER", "COUNTKEYSINSLOT", "-1"), ("CLUSTER", "COUNTKEYSINSLOT", "x"),
    ("CLUSTER", "COUNTKEYSINSLOT", "16384"), ("CLUSTER", "GETKEYSINSLOT", "1", "-1"),
    ("CLUSTER", "GETKEYSINSLOT", "16384", "1"), ("CLUSTER", "GETKEYSINSLOT", "x", "1"),
    ("CLUSTER", "COUNT-FAILURE-REPORTS", "zz"), ("CLUSTER", "REPLICAS", "zz"),
    ("CLUSTER", "SLAVES", "zz"), ("CLUSTER", "FORGET", "zz"), ("CLUSTER", "KEYSLOT"),
    ("CLUSTER", "MYID", "x"), ("CLUSTER", "INFO", "x"), ("CLUSTER", "SLOTS", "x"),
    ("CLUSTER", "NODES", "x"), ("CLUSTER", "SHARDS", "x"), ("CLUSTER", "LINKS", "x"),
    ("CLUSTER",), ("CLUSTER", "NOSUCH"), ("cluster", "Failover", "a", "b"),
])
def test_cluster_command_errors_match_redis(cboth: Differential, cmd: tuple) -> None:
    cboth(*cmd)


def test_help_lists_what_is_registered(pair: tuple[ServerProcess, ServerProcess]) -> None:
    # Not Redis's text: MEET, SET-CONFIG-EPOCH and BUMPEPOCH are not slotkv's (the
    # coordinator owns membership and epochs), MYSHARDID is 7.2's. The same format, though.
    lines = [line.decode() for line in reply_of(pair[0].client(), "CLUSTER", "HELP")]
    named = {line.split()[0].lower() for line in lines[1:] if not line.startswith(" ")}
    registered = {n.split(b"|")[1].decode()
                  for n in reply_of(pair[0].client(), "COMMAND", "LIST")
                  if n.startswith(b"cluster|")}
    assert named == registered - {"slaves"}
    theirs = reply_of(pair[1].client(), "CLUSTER", "HELP")
    assert lines[0].encode() == theirs[0] and lines[-2:] == ["HELP", "    Prints this help."]


def test_own_id_errors_match_redis(pair: tuple[ServerProcess, ServerProcess]) -> None:
    mine, theirs = pair[0].client(), pair[1].client()
    for args in (("REPLICATE", "{id}"), ("FORGET", "{id}"), ("SETSLOT", "1", "IMPORTING", "{id}"),
                 ("COUNT-FAILURE-REPORTS", "{id}")):
        replies = []
        for c in (mine, theirs):
            myid = c.execute_command("CLUSTER", "MYID").decode()
            replies.append(reply_of(c, "CLUSTER", *(a.replace("{id}", myid) for a in args)))
        assert replies[0] == replies[1], args


def test_keys_in_slot_match_redis(cboth: Differential) -> None:
    tagged = [f"{{slot}}:{i}" for i in range(20)]
    for key in tagged:
        cboth("SET", key, "v")
    cboth("SET", "other", "v")
    slot = key_slot(b"{slot}")
    assert cboth("CLUSTER", "COUNTKEYSINSLOT", str(slot)) == 20
    mine = reply_of(cboth.r, "CLUSTER", "GETKEYSINSLOT", str(slot), "100")
    assert sorted(mine) == sorted(k.encode() for k in tagged)
    assert len(reply_of(cboth.r, "CLUSTER", "GETKEYSINSLOT", str(slot), "5")) == 5
    # The index follows deletes, expiry and FLUSHALL.
    cboth("DEL", *tagged[:5])
    cboth("PEXPIRE", tagged[5], "1")
    wait_until(lambda: reply_of(cboth.r, "CLUSTER", "COUNTKEYSINSLOT", str(slot)) == 14,
               what="the expired key to leave the index")
    cboth("GET", tagged[5])  # the oracle may not have expired it yet: now it has
    assert cboth("CLUSTER", "COUNTKEYSINSLOT", str(slot)) == 14
    cboth("MSET", "{slot}:a", "1", "{slot}:b", "2", "{slot}:a", "3")
    assert cboth("CLUSTER", "COUNTKEYSINSLOT", str(slot)) == 16
    cboth("RENAME", "{slot}:a", "{slot}:z")
    assert cboth("CLUSTER", "COUNTKEYSINSLOT", str(slot)) == 16
    cboth("FLUSHALL")
    assert cboth("CLUSTER", "COUNTKEYSINSLOT", str(slot)) == 0


def test_keys_in_slot_come_newest_first(cboth: Differential) -> None:
    # Redis links each new key in at the head of its slot's list, so GETKEYSINSLOT lists
    # the newest first, and a count below the total picks the newest keys. An overwrite
    # keeps a key's place; a key deleted and made again, or renamed, is new.
    slot = str(key_slot(b"{t}"))
    cboth("MSET", "{t}1", "a", "{t}2", "b", "{t}3", "c")
    cboth("RPUSH", "{t}4", "x")
    cboth("SET", "{t}1", "overwritten")
    cboth("CLUSTER", "GETKEYSINSLOT", slot, "100")
    cboth("CLUSTER", "GETKEYSINSLOT", slot, "2")
    cboth("DEL", "{t}2")
    cboth("SET", "{t}2", "again")
    cboth("RENAME", "{t}1", "{t}5")
    cboth("RENAME", "{t}3", "{t}2")
    cboth("COPY", "{t}5", "{t}4", "REPLACE")
    cboth("CLUSTER", "GETKEYSINSLOT", slot, "100")
    cboth("CLUSTER", "GETKEYSINSLOT", slot, "1")

def _mask(text: str, ids: list[str], ports: list[int]) -> str:
    for node_id in ids:
        text = text.replace(node_id, "<id>")
    for port in ports:
        text = text.replace(str(port + 10000), "<cport>").replace(str(port), "<port>")
    # CLUSTER NODES: ping-sent and pong-received are times.
    return re.sub(r"(master|slave) (\S+) \d+ \d+ ", r"\1 \2 <ping> <pong> ", text)


def test_reply_shapes_match_redis(pair: tuple[ServerProcess, ServerProcess]) -> None:
    for protocol in (2, 3):
        mine = pair[0].client(protocol=protocol)
        theirs = pair[1].client(protocol=protocol)
        ids = [c.execute_command("CLUSTER", "MYID").decode() for c in (mine, theirs)]
        ports = [pair[0].port, pair[1].port]

        def masked(c: redis.Redis, *args: str) -> Any:
            reply = reply_of(c, *args)
            return _deep_mask(reply, ids, ports)

        assert masked(mine, "CLUSTER", "SLOTS") == masked(theirs, "CLUSTER", "SLOTS")
        assert masked(mine, "CLUSTER", "SHARDS") == masked(theirs, "CLUSTER", "SHARDS")
        assert masked(mine, "CLUSTER", "REPLICAS", ids[0]) == []
        # NODES: same fields apart from the config epoch (slotkv counts ADDSLOTS as a change).
        lines = [re.sub(r" (\d+) connected", " <epoch> connected",
                        masked(c, "CLUSTER", "NODES").decode()) for c in (mine, theirs)]
        assert lines[0] == lines[1]
        # INFO: the same fields, and the same values where they are not counters or epochs.
        infos = [dict(line.split(":", 1) for line in
                      reply_of(c, "CLUSTER", "INFO").decode().split("\r\n") if line)
                 for c in (mine, theirs)]
        for key in ("cluster_state", "cluster_slots_assigned", "cluster_slots_ok",
                    "cluster_slots_pfail", "cluster_slots_fail", "cluster_known_nodes",
                    "cluster_size", "total_cluster_links_buffer_limit_exceeded"):
            assert infos[0][key] == infos[1][key], key
        assert set(infos[1]) - {"cluster_stats_messages_sent",
                                "cluster_stats_messages_received"} <= set(infos[0])
        assert reply_of(mine, "CLUSTER", "LINKS") == reply_of(theirs, "CLUSTER", "LINKS") == []
        hello = [reply_of(c, "HELLO") for c in (mine, theirs)]
        if protocol == 3:
            assert hello[0][b"mode"] == hello[1][b"mode"] == b"cluster"


def _deep_mask(value: Any, ids: list[str], ports: list[int]) -> Any:
    if isinstance(value, (bytes, str)):
        text = value.decode() if isinstance(value, bytes) else value
        out = _mask(text, ids, ports)
        return out.encode() if isinstance(value, bytes) else out
    if isinstance(value, int) and value in ports:
        return "<port>"
    if isinstance(value, list):
        return [_deep_mask(v, ids, ports) for v in value]
    if isinstance(value, dict):
        return {_deep_mask(k, ids, ports): _deep_mask(v, ids, ports) for k, v in value.items()}
    return value


def test_info_reports_cluster_mode(pair: tuple[ServerProcess, ServerProcess]) -> None:
    for proc in pair:
        info = proc.client().info()
        assert info["redis_mode"] == "cluster"
        assert info["cluster_enabled"] == 1


def test_unassigned_slots_and_reset(start_node: Any) -> None:
    node = start_node("--cluster-enabled", "yes", port=free_port())
    c = node.client()
    assert reply_of(c, "GET", "x") == ("error", "Hash slot not served")
    assert c.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 100) == b"OK"
    # The cluster is down (slots missing): keys of served slots too are refused.
    slot_zero_key = next(f"k{i}" for i in range(100000) if key_slot(f"k{i}".encode()) <= 100)
    assert reply_of(c, "GET", slot_zero_key) == ("error", "The cluster is down")
    assert c.execute_command("CLUSTER", "ADDSLOTSRANGE", 101, 16383) == b"OK"
    assert c.set(slot_zero_key, "v")
    assert reply_of(c, "CLUSTER", "RESET") == (
        "error", "CLUSTER RESET can't be called with master nodes containing keys")
    c.flushall()
    old = c.execute_command("CLUSTER", "MYID")
    assert c.execute_command("CLUSTER", "RESET", "HARD") == b"OK"
    assert c.execute_command("CLUSTER", "MYID") != old
    assert b"cluster_slots_assigned:0" in c.execute_command("CLUSTER", "INFO")


def test_id_and_topology_survive_restart(tmp_path: Any, start_node: Callable[..., ServerProcess]) -> None:
    port = free_port()
    node = start_slotkv("--cluster-enabled", "yes", workdir=str(tmp_path), port=port)
    try:
        c = node.client()
        c.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        myid = c.execute_command("CLUSTER", "MYID")
        nodes = c.execute_command("CLUSTER", "NODES")
        # The config file is locked: a second node cannot share it.
        second = free_port()
        with pytest.raises(RuntimeError, match="already used by a different Redis Cluster node"):
            start_node("--cluster-enabled", "yes", workdir=str(tmp_path), port=second)
    finally:
        node.stop()
    assert os.path.exists(tmp_path / "nodes.conf")
    node = start_slotkv("--cluster-enabled", "yes", workdir=str(tmp_path), port=port)
    try:
        c = node.client()
        assert c.execute_command("CLUSTER", "MYID") == myid
        assert c.execute_command("CLUSTER", "NODES").split()[:4] == nodes.split()[:4]
        assert b"cluster_state:ok" in c.execute_command("CLUSTER", "INFO")
    finally:
        node.stop()


def test_corrupt_config_file_is_a_clear_error(tmp_path: Any,
                                              start_node: Callable[..., ServerProcess]) -> None:
    (tmp_path / "nodes.conf").write_text("{not json")
    with pytest.raises(RuntimeError, match="corrupted cluster config file"):
        start_node("--cluster-enabled", "yes", workdir=str(tmp_path), port=free_port())


def test_bad_coordinator_address_is_a_clear_error(tmp_path: Any,
                                                  start_node: Callable[..., ServerProcess]) -> None:
    with pytest.raises(RuntimeError, match="Invalid cluster-coordinator 'nowhere': expected host:port"):
        start_node("--cluster-enabled", "yes", "--cluster-coordinator", "nowhere",
                     workdir=str(tmp_path), port=free_port())


def test_disabled_cluster_matches_redis(both: Differential) -> None:
    for cmd in (("CLUSTER", "INFO"), ("CLUSTER", "KEYSLOT", "x"), ("CLUSTER", "HELP"),
                ("ASKING",), ("READONLY",), ("READWRITE",), ("CLUSTER", "NOSUCH")):
        both(*cmd)
    info = both.r.info()
    assert info["redis_mode"] == "standalone" and info["cluster_enabled"] == 0


def test_slot_index_unit() -> None:
    index = SlotIndex()
    for key in (b"{a}1", b"{a}2", b"b"):
        index.add(key)
    index.add(b"{a}1")  # idempotent, and keeps its place
    assert index.count(key_slot(b"a")) == 2
    assert index.keys(key_slot(b"a"), 1) == [b"{a}2"]  # newest first
    assert index.keys(key_slot(b"a"), 5) == [b"{a}2", b"{a}1"]
    index.remove(b"{a}1")
    index.remove(b"nosuch")
    assert index.count(key_slot(b"a")) == 1
    assert index.slots() == sorted({key_slot(b"a"), key_slot(b"b")})
    index.rebuild([b"x"])
    assert index.slots() == [key_slot(b"x")]


@pytest.mark.parametrize("cmd", [
    # EVAL's keys route as any command's (its numkeys key spec).
    ("EVAL", "return redis.call('get', KEYS[1])", "1", "a"),
    ("EVAL", "return 1", "2", "a", "b"), ("EVAL", "return 1", "2", "{t}a", "{t}b"),
    ("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "a"),
    # Without a shebang a script may touch keys of any slot (Redis 7.0's compatibility
    # mode); with one, only the slot of its first key.
    ("EVAL", "redis.call('set','a','1'); return redis.call('set','b','1')", "0"),
    ("EVAL", "#!lua\nredis.call('set','a','1'); return redis.call('set','b','1')", "0"),
    ("EVAL", "#!lua\nreturn redis.call('get','b')", "1", "a"),
    ("EVAL", "#!lua\nreturn redis.pcall('get','b')", "1", "a"),
    ("EVAL", "#!lua\nreturn redis.call('get','{a}x')", "1", "a"),
    ("EVAL", "#!lua\nreturn redis.call('mget','a','b')", "0"),
    ("EVAL", "#!lua flags=allow-cross-slot-keys\nredis.call('set','a','1'); "
             "return redis.call('set','b','1')", "0"),
    ("EVAL", "#!lua flags=no-cluster\nreturn 1", "0"),
    ("EVAL", "return redis.call('select','1')", "0"),
])
def test_scripts_in_cluster_mode(cboth: Differential, cmd: tuple) -> None:
    cboth(*cmd)


def test_script_touching_a_slot_not_served(pair: tuple[ServerProcess, ServerProcess]) -> None:
    """A key of a slot this node does not serve: Redis's script error, not a redirection."""
    slot = key_slot(b"foo")
    replies = []
    for proc in pair:
        c = proc.client()
        c.execute_command("CLUSTER", "DELSLOTS", slot)
        try:
            replies.append([reply_of(c, "EVAL", "return redis.call('get','foo')", "0"),
                            reply_of(c, "EVAL", "return redis.pcall('get','foo')", "0")])
        finally:
            c.execute_command("CLUSTER", "ADDSLOTS", slot)
            wait_until(lambda: b"cluster_state:ok" in c.execute_command("CLUSTER", "INFO"),
                       what="cluster_state:ok")
            c.close()
    assert replies[0] == replies[1], replies
