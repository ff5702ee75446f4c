"""INFO against redis-server 7.0.15: sections, field names and order, formats, counters."""

from __future__ import annotations

import re
import socket
import time
from typing import Any

import pytest
import redis

from node.commands.info import human_bytes
from conftest import reply_of


def raw_info(client: redis.Redis, *sections: str) -> str:
    reply = reply_of(client, "INFO", *sections)
    assert isinstance(reply, bytes), reply
    return reply.decode()


def parse(text: str) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.split("\r\n"):
        if line.startswith("# "):
            current = line[2:]
            out[current] = []
        elif line:
            assert current is not None, text
            key, _, value = line.partition(":")
            out[current].append((key, value))
    return out


def fields(text: str, section: str) -> dict[str, str]:
    return dict(parse(text)[section])


def test_sections_and_field_order(r: redis.Redis, o: redis.Redis) -> None:
    mine = parse(raw_info(r, "everything"))
    theirs = parse(raw_info(o, "everything"))
    assert list(mine) == list(theirs)
    for section, pairs in theirs.items():
        if section in ("Commandstats", "Errorstats", "Latencystats", "Keyspace"):
            continue  # rows, not fields
        names = [k for k, _ in mine[section]]
        # Same fields in the same order, for every field both servers have.
        common = [k for k, _ in pairs if k in names]
        assert [k for k in names if k in common] == common, section
        assert [k for k, _ in pairs] == [k for k in names if k != "slotkv_version"], section


def test_version_lines(r: redis.Redis) -> None:
    from node import __version__

    server = parse(raw_info(r, "server"))["Server"]
    assert server[0] == ("redis_version", "7.0.15")
    assert server[1] == ("slotkv_version", __version__)


@pytest.mark.parametrize("args", [
    (), ("default",), ("all",), ("everything",), ("server", "clients"), ("CPU", "cpu"),
    ("keyspace", "server"), ("nosuch",), ("commandstats",), ("Latencystats",), ("errorstats",),
    ("modules",), ("default", "commandstats"), ("cluster",), ("persistence", "nosuch"),
])
def test_section_selection(r: redis.Redis, o: redis.Redis, args: tuple) -> None:
    assert list(parse(raw_info(r, *args))) == list(parse(raw_info(o, *args)))


def test_exact_framing(r: redis.Redis, o: redis.Redis) -> None:
    for args in (("cluster",), ("cluster", "keyspace"), ("nosuch",), ("modules",)):
        assert raw_info(r, *args) == raw_info(o, *args)
    text = raw_info(r)
    assert "\n" not in text.replace("\r\n", "")
    assert text.endswith("\r\n") and not text.endswith("\r\n\r\n")
    assert "\r\n\r\n# Clients\r\n" in text


def _resp(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(payload)
        data = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            data += s.recv(65536)
            if data.count(b"txt:") and data.endswith(b"\r\n"):
                break
        return data


def test_resp3_is_verbatim(node: Any, oracle: Any) -> None:
    payload = b"HELLO 3\r\nINFO cluster\r\n"
    mine = _resp(node.port, payload)
    theirs = _resp(oracle.port, payload)
    tail = b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"
    assert mine.endswith(tail) and theirs.endswith(tail)


def test_keyspace(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    assert raw_info(r, "keyspace") == raw_info(o, "keyspace") == "# Keyspace\r\n"
    both("SET", "a", "1")
    both("SET", "b", "2")
    both("EXPIRE", "a", "100")
    both("SELECT", "3")
    both("SET", "c", "3")
    both("SELECT", "0")
    mine = fields(raw_info(r, "keyspace"), "Keyspace")
    theirs = fields(raw_info(o, "keyspace"), "Keyspace")
    assert list(mine) == list(theirs) == ["db0", "db3"]
    strip = re.compile(r",avg_ttl=\d+")
    assert {k: strip.sub("", v) for k, v in mine.items()} == {k: strip.sub("", v) for k, v in theirs.items()}
    assert mine["db3"] == "keys=1,expires=0,avg_ttl=0"
    ttl = int(mine["db0"].rsplit("=", 1)[1])
    assert 90_000 < ttl <= 100_000


def _stats(client: redis.Redis) -> dict[str, tuple[int, int, int]]:
    out = {}
    for key, value in fields(raw_info(client, "commandstats"), "Commandstats").items():
        m = re.fullmatch(r"calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),"
                         r"rejected_calls=(\d+),failed_calls=(\d+)", value)
        assert m, value
        calls, usec, per_call = int(m[1]), int(m[2]), float(m[3])
        assert per_call == pytest.approx(usec / calls if calls else 0, abs=0.01)
        out[key] = (calls, int(m[4]), int(m[5]))
    return out


def test_commandstats(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    both("CONFIG", "RESETSTAT")
    both("SET", "a", "x")
    both("GET", "a")
    both("GET")  # rejected: arity
    both("INCR", "a")  # failed: not an integer
    both("CONFIG", "GET", "maxclients")
    both("CONFIG", "GET")  # rejected subcommand
    assert _stats(r) == _stats(o)
    assert _stats(r)["cmdstat_get"] == (1, 1, 0)
    assert _stats(r)["cmdstat_incr"] == (1, 0, 1)
    assert "cmdstat_config|get" in _stats(r)


def test_commandstats_count_every_call_of_a_long_pipeline(node: Any, oracle: Any) -> None:
    # 680 KB in one write: the node reads it in 16 KiB slices (node/codec.py FEED_SLICE),
    # and each slice used to end its run of SETs uncounted.
    n = 20_000
    payload = b"".join(b"*3\r\n$3\r\nSET\r\n$6\r\nk%05d\r\n$3\r\nxxx\r\n" % i for i in range(n))
    for server in (node, oracle):
        client = redis.Redis(port=server.port)
        client.config_resetstat()
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
            s.sendall(payload)
            got = b""
            while got.count(b"+OK\r\n") < n:
                chunk = s.recv(1 << 20)
                assert chunk, got[-100:]
                got += chunk
        assert _stats(client)["cmdstat_set"] == (n, 0, 0), server
        client.close()


def test_commandstats_of_pipelined_runs_spelt_and_sized_differently(
        r: redis.Redis, o: redis.Redis, both: Any) -> None:
    # Within a run the node skips the table lookup while the name is spelt as last looked up
    # and the argument count fits: a new spelling, a wrong count or another command must each
    # still be looked up, counted and rejected as Redis does.
    cmds = [("INCR", "c"), ("INCR", "c"), ("incr", "c"), ("InCr", "c"), ("INCR", "c", "x"),
            ("INCR", "c"), ("INCR",), ("INCR", "c"), ("MSET", "a", "1", "b", "2"),
            ("MSET", "a", "1", "b"), ("MSET", "a", "1"), ("mset", "a", "2"), ("GET", "a"),
            ("NOSUCH", "a"), ("GET", "a"), ("GET", "a", "b"), ("GET", "a")]
    replies = []
    for c in (r, o):
        c.config_resetstat()
        pipe = c.pipeline(transaction=False)
        for cmd in cmds:
            pipe.execute_command(*cmd)
        replies.append([str(x) for x in pipe.execute(raise_on_error=False)])
    assert replies[0] == replies[1]
    assert replies[0][:8] == ["1", "2", "3", "4", replies[0][4], "5", replies[0][6], "6"]
    mine = _stats(r)
    assert mine == _stats(o)
    assert (mine["cmdstat_incr"], mine["cmdstat_mset"], mine["cmdstat_get"]) == (
        (6, 2, 0), (4, 0, 1), (3, 1, 0))


def test_errorstats_and_error_counters(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    both("CONFIG", "RESETSTAT")
    both("NOSUCHCOMMAND")
    both("SET", "s", "x")
    both("INCR", "s")
    both("GET")
    both("SELECT", "99")
    # Error replies a script makes up: a code is only what precedes a space in the first 32
    # bytes of the reply; anything else is counted as ERR.
    both("EVAL", "return {err='boom'}", "0")
    both("EVAL", "return {err='MYCODE it failed'}", "0")
    both("EVAL", "return {err='A_CODE_THAT_IS_THIRTY_CHARS_XX x'}", "0")
    both("EVAL", "return {err='A_CODE_THAT_IS_THIRTY_ONE_CHARS x'}", "0")
    mine, theirs = raw_info(r, "errorstats"), raw_info(o, "errorstats")
    assert mine == theirs
    assert "errorstat_MYCODE:count=1" in mine and "THIRTY_CHARS" in mine
    assert "boom" not in mine and "THIRTY_ONE" not in mine
    for c in (r, o):
        info = c.info("stats")
        assert info["total_error_replies"] == 8


def test_stats_counters(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    both("CONFIG", "RESETSTAT")
    both("SET", "k", "v")
    both("GET", "k")
    both("GET", "nope")
    both("SET", "gone", "v", "PX", "1")
    time.sleep(0.05)
    both("GET", "gone")
    keys = ("keyspace_hits", "keyspace_misses", "expired_keys", "total_error_replies")
    assert {k: r.info("stats")[k] for k in keys} == {k: o.info("stats")[k] for k in keys}


def test_reads_and_writes_processed_count_socket_io_not_commands(r: redis.Redis) -> None:
    before = r.info("stats")
    with r.pipeline(transaction=False) as pipe:  # one write of 200 commands
        for i in range(200):
            pipe.set(f"k{i}", i)
        pipe.execute()
    after = r.info("stats")
    reads = after["total_reads_processed"] - before["total_reads_processed"]
    writes = after["total_writes_processed"] - before["total_writes_processed"]
    assert after["total_commands_processed"] - before["total_commands_processed"] >= 200
    # The INFO call itself is a read and a write; the pipeline a handful at most.
    assert 2 <= reads < 50 and 2 <= writes < 50, (reads, writes)


def test_server_and_clients_values(r: redis.Redis, node: Any) -> None:
    server = fields(raw_info(r, "server"), "Server")
    assert server["redis_mode"] == "standalone"
    assert server["tcp_port"] == str(node.port)
    assert int(server["process_id"]) == node.pid
    assert re.fullmatch(r"[0-9a-f]{40}", server["run_id"])
    assert server["arch_bits"] == "64"
    assert int(server["uptime_in_seconds"]) >= 0
    assert server["hz"] == server["configured_hz"] == "10"
    extra = node.client()
    extra.ping()
    clients = fields(raw_info(r, "clients"), "Clients")
    assert int(clients["connected_clients"]) >= 2
    assert clients["maxclients"] == "10000"
    assert clients["blocked_clients"] == "0"
    extra.close()


def test_replication_and_persistence(r: redis.Redis, both: Any) -> None:
    first = fields(raw_info(r, "replication"), "Replication")
    assert first["role"] == "master"
    assert re.fullmatch(r"[0-9a-f]{40}", first["master_replid"])
    assert first["master_replid2"] == "0" * 40
    assert fields(raw_info(r, "replication"), "Replication")["master_replid"] == first["master_replid"]
    before = int(fields(raw_info(r, "persistence"), "Persistence")["rdb_changes_since_last_save"])
    r.set("x", "1")
    r.set("y", "1")
    after = fields(raw_info(r, "persistence"), "Persistence")
    assert int(after["rdb_changes_since_last_save"]) == before + 2
    assert after["aof_enabled"] == "0" and after["loading"] == "0"


def test_memory_fields(r: redis.Redis) -> None:
    mem = fields(raw_info(r, "memory"), "Memory")
    used = int(mem["used_memory"])
    assert used > 1024 * 1024
    assert mem["used_memory_human"] == human_bytes(used)
    assert int(mem["used_memory_peak"]) >= used
    assert mem["maxmemory"] == "0" and mem["maxmemory_human"] == "0B"
    assert mem["maxmemory_policy"] == "noeviction"


@pytest.mark.parametrize("n, text", [
    (0, "0B"), (1023, "1023B"), (1024, "1.00K"), (916304, "894.83K"), (6582272, "6.28M"),
    (25276510208, "23.54G"), (1024**4 * 3, "3.00T"), (1024**5, "1.00P"),
])
def test_human_bytes(n: int, text: str) -> None:
    assert human_bytes(n) == text


def test_instantaneous_ops(r: redis.Redis) -> None:
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        pipe = r.pipeline(transaction=False)
        for _ in range(200):
            pipe.ping()
        pipe.execute()
    stats = r.info("stats")
    assert stats["instantaneous_ops_per_sec"] > 0
    assert float(stats["instantaneous_input_kbps"]) > 0


def test_cpu_section(r: redis.Redis) -> None:
    cpu = fields(raw_info(r, "cpu"), "CPU")
    assert all(re.fullmatch(r"\d+\.\d{6}", v) for v in cpu.values())
    assert float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]) > 0


def test_latencystats_format(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    try:
        for percentiles in ("50 99 99.9", "99.99999 0.0001 50.5 0 100", ""):
            both("CONFIG", "SET", "latency-tracking-info-percentiles", percentiles)
            both("CONFIG", "RESETSTAT")
            both("SET", "a", "1")
            mine = fields(raw_info(r, "latencystats"), "Latencystats")
            theirs = fields(raw_info(o, "latencystats"), "Latencystats")
            assert sorted(mine) == sorted(theirs) == [
                "latency_percentiles_usec_config|resetstat", "latency_percentiles_usec_set"]
            for key in theirs:
                shape = re.sub(r"=\d+\.\d{3}", "=N", theirs[key])
                assert re.sub(r"=\d+\.\d{3}", "=N", mine[key]) == shape
    finally:
        both("CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9")
