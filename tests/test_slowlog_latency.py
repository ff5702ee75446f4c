"""SLOWLOG and LATENCY against redis-server 7.0.15, plus the latency histogram internals.

The slow commands that drive the latency monitor are big MSET/MGET calls (MGET is flagged
`fast`, so it lands in the `fast-command` event), not DEBUG SLEEP.
"""

from __future__ import annotations

import re
import socket
import time
from typing import Any, Iterator

import pytest
import redis

from node.latency import EventSeries, cumulative_levels, percentile_usec, sparkline
from conftest import reply_of

N_KEYS = 20000


@pytest.fixture
def slowlog_all(both: Any) -> Iterator[None]:
    both("CONFIG", "SET", "slowlog-log-slower-than", "0")
    both("SLOWLOG", "RESET")
    yield
    both("CONFIG", "SET", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128")
    both("SLOWLOG", "RESET")


@pytest.fixture
def monitor(both: Any) -> Iterator[None]:
    both("CONFIG", "SET", "latency-monitor-threshold", "1")
    both("LATENCY", "RESET")
    yield
    both("CONFIG", "SET", "latency-monitor-threshold", "0")
    both("LATENCY", "RESET")


def entries(client: redis.Redis, *count: str) -> list:
    return reply_of(client, "SLOWLOG", "GET", *count)


def shape(entry: list) -> tuple:
    """A slow log entry without what legitimately differs (id, time, duration, port)."""
    ident, ts, usec, args, addr, name = entry
    assert isinstance(ident, int) and isinstance(usec, int) and abs(ts - time.time()) < 60
    assert re.fullmatch(rb"127\.0\.0\.1:\d+", addr), addr
    return tuple(args), name


# -- SLOWLOG ---------------------------------------------------------------------------------

def test_slowlog_entries_like_redis(r: redis.Redis, o: redis.Redis, both: Any,
                                    slowlog_all: None) -> None:
    both("SET", "k" * 200, "v")
    both("MSET", *[f"a{i}" for i in range(40)])
    both("MSET", *[f"b{i}" for i in range(32)])
    both("MSET", *[f"c{i}" for i in range(30)], "x" * 129, "y" * 128)
    for c in (r, o):
        reply_of(c, "HELLO", "2", "SETNAME", "myname")  # the reply carries the client id
    both("GET", "missing")
    mine, theirs = entries(r, "-1"), entries(o, "-1")
    assert [shape(e) for e in mine] == [shape(e) for e in theirs]
    assert [e[0] for e in mine] == sorted((e[0] for e in mine), reverse=True)
    long_set = [e for e in mine if e[3][0] == b"SET"][0]
    assert long_set[3][1] == b"k" * 128 + b"... (72 more bytes)"
    many = [e for e in mine if e[3][:2] == [b"MSET", b"a0"]][0]
    assert len(many[3]) == 32 and many[3][-1] == b"... (10 more arguments)"
    assert mine[0][5] == b"myname"


def test_slowlog_get_count(r: redis.Redis, o: redis.Redis, both: Any, slowlog_all: None) -> None:
    for i in range(15):
        both("SET", f"k{i}", "v")
    for count in ((), ("0",), ("1",), ("-1",), ("3",), ("100",)):
        assert [shape(e) for e in entries(r, *count)] == [shape(e) for e in entries(o, *count)]
    both("SLOWLOG", "GET", "-2")
    both("SLOWLOG", "GET", "abc")
    both("SLOWLOG", "GET", "+1")
    both("SLOWLOG", "GET", "99999999999999999999")
    both("SLOWLOG", "GET", "1", "2")
    both("SLOWLOG", "get", "1", "2")
    both("SLOWLOG", "LEN", "x")
    both("SLOWLOG", "RESET", "x")
    both("SLOWLOG")
    both("SLOWLOG", "HELP")
    both("SLOWLOG", "NOPE")


def test_slowlog_len_reset_and_max_len(r: redis.Redis, o: redis.Redis, both: Any,
                                       slowlog_all: None) -> None:
    both("PING")
    assert both("SLOWLOG", "LEN") == 2  # SLOWLOG RESET itself, then PING
    assert both("SLOWLOG", "RESET") == b"OK"
    assert both("SLOWLOG", "LEN") == 1
    both("CONFIG", "SET", "slowlog-max-len", "3")
    for i in range(5):
        both("SET", f"k{i}", "v")
    assert both("SLOWLOG", "LEN") == 3
    first = [entries(c, "1")[0][0] for c in (r, o)]
    both("CONFIG", "SET", "slowlog-max-len", "0")
    both("PING")
    assert both("SLOWLOG", "LEN") == 0
    both("CONFIG", "SET", "slowlog-max-len", "128")
    both("PING")
    # Entries made while the log kept none still used up ids, as in Redis.
    assert [entries(c, "1")[0][0] for c in (r, o)] == [first[0] + 6, first[1] + 6]


def test_slowlog_shrinks_as_soon_as_max_len_is_lowered(r: redis.Redis, o: redis.Redis,
                                                      both: Any, slowlog_all: None) -> None:
    # Redis trims after every loggable command, slow or not: a lower max-len applies at once,
    # and a log switched off keeps its entries until it is switched on again.
    for i in range(6):
        both("SET", f"k{i}", "v")
    both("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    both("CONFIG", "SET", "slowlog-max-len", "4")
    assert both("SLOWLOG", "LEN") == 4
    both("CONFIG", "SET", "slowlog-log-slower-than", "-1", "slowlog-max-len", "2")
    assert both("SLOWLOG", "LEN") == 4
    both("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    assert both("SLOWLOG", "LEN") == 2
    both("CONFIG", "SET", "slowlog-max-len", "1", "nosuch", "x")  # refused: nothing changes
    assert both("SLOWLOG", "LEN") == 2
    both("CONFIG", "SET", "slowlog-max-len", "0")
    assert both("SLOWLOG", "LEN") == 0


def test_slowlog_threshold_applies_within_a_pipeline(r: redis.Redis, o: redis.Redis,
                                                     both: Any) -> None:
    try:
        both("SLOWLOG", "RESET")
        for c in (r, o):
            pipe = c.pipeline(transaction=False)
            pipe.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "0")
            pipe.execute_command("SET", "p", "1")
            pipe.execute_command("GET", "p")
            pipe.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "-1")
            pipe.execute_command("GET", "p")
            pipe.execute()
        assert [shape(e) for e in entries(r, "-1")] == [shape(e) for e in entries(o, "-1")]
        assert len(entries(r, "-1")) == 3
    finally:
        both("CONFIG", "SET", "slowlog-log-slower-than", "10000")
        both("SLOWLOG", "RESET")


def test_slowlog_logs_every_call_of_a_pipelined_run(r: redis.Redis, o: redis.Redis, both: Any,
                                                    slowlog_all: None) -> None:
    # Runs of one command in a pipeline are timed as a whole (Client._charge); each call of
    # a run that crosses the threshold is still logged, in order, as Redis logs them.
    for c in (r, o):
        pipe = c.pipeline(transaction=False)
        for i in range(3):
            pipe.execute_command("SET", "a", str(i))
        pipe.execute_command("GET", "a")
        pipe.execute_command("GET", "b")
        pipe.execute_command("SET", "a", "last")
        pipe.execute()
    mine = [shape(e) for e in entries(r, "-1")]
    assert mine == [shape(e) for e in entries(o, "-1")]
    assert [args for args, _ in mine][:3] == [(b"SET", b"a", b"last"), (b"GET", b"b"),
                                             (b"GET", b"a")]


def test_pipelined_runs_count_every_call(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    both("CONFIG", "RESETSTAT")
    for c in (r, o):
        pipe = c.pipeline(transaction=False)
        for i in range(50):  # runs of 7 SETs and 3 GETs
            if i % 10 < 7:
                pipe.execute_command("SET", f"k{i % 3}", "v")
            else:
                pipe.execute_command("GET", f"k{i % 3}")
        pipe.execute()
    args = ("LATENCY", "HISTOGRAM", "set", "get")
    mine = sorted((n, c) for n, c, _ in _histograms(reply_of(r, *args)))
    assert mine == sorted((n, c) for n, c, _ in _histograms(reply_of(o, *args)))
    assert mine == [(b"get", 15), (b"set", 35)]
    stats = r.info("commandstats")
    assert (stats["cmdstat_set"]["calls"], stats["cmdstat_get"]["calls"]) == (35, 15)


def test_slowlog_threshold_respected(r: redis.Redis) -> None:
    r.slowlog_reset()
    r.config_set("slowlog-log-slower-than", 1_000_000)
    try:
        r.set("x", "y")
        assert reply_of(r, "SLOWLOG", "LEN") == 0
    finally:
        r.config_set("slowlog-log-slower-than", 10000)


# -- LATENCY monitor -------------------------------------------------------------------------

def drive(client: redis.Redis) -> None:
    """One slow command (`command`) and one slow fast-flagged command (`fast-command`)."""
    args: list[str] = []
    for i in range(N_KEYS):
        args += [f"key:{i}", "v"]
    client.execute_command("MSET", *args)
    client.execute_command("MGET", *[f"key:{i}" for i in range(N_KEYS)])


def test_latency_disabled(both: Any) -> None:
    both("LATENCY", "RESET")
    both("LATENCY", "LATEST")
    both("LATENCY", "DOCTOR")
    both("LATENCY", "HISTORY", "command")
    both("LATENCY", "GRAPH", "command")


def test_latency_events(r: redis.Redis, o: redis.Redis, both: Any, monitor: None) -> None:
    for c in (r, o):
        drive(c)
        latest = {e[0]: e[1:] for e in reply_of(c, "LATENCY", "LATEST")}
        assert set(latest) >= {b"command", b"fast-command"}
        for when, ms, worst in latest.values():
            assert abs(when - time.time()) < 30 and 1 <= ms <= worst
        history = reply_of(c, "LATENCY", "HISTORY", "fast-command")
        assert len(history) == 1 and history[0][1] == latest[b"fast-command"][1]
    both("LATENCY", "HISTORY", "nosuch")
    both("LATENCY", "GRAPH", "nosuch")
    assert both("LATENCY", "RESET", "nosuch", "fast-command") == 1
    assert both("LATENCY", "HISTORY", "fast-command") == []


def test_latency_reset_ignores_the_case_of_event_names(r: redis.Redis, o: redis.Redis,
                                                       both: Any, monitor: None) -> None:
    # RESET compares names with strcasecmp; HISTORY and GRAPH look them up exactly.
    for c in (r, o):
        drive(c)
    both("LATENCY", "HISTORY", "Fast-Command")
    both("LATENCY", "GRAPH", "COMMAND")
    assert both("LATENCY", "RESET", "COMMAND", "command", "FAST-command") == 2
    both("LATENCY", "LATEST")


def _masked(text: bytes) -> list[str]:
    lines = text.decode().split("\n")
    # THP advice depends on each process's memory, not on the monitor.
    return [re.sub(r"\d+(\.\d+)?", "N", x) for x in lines if "anonymous huge pages" not in x]


def test_latency_doctor_like_redis(r: redis.Redis, o: redis.Redis, monitor: None) -> None:
    for c in (r, o):
        drive(c)
    mine = _masked(reply_of(r, "LATENCY", "DOCTOR"))
    theirs = _masked(reply_of(o, "LATENCY", "DOCTOR"))
    # Event order is Redis's hash order; compare the numbered lines as a set.
    assert sorted(mine) == sorted(theirs)
    assert mine[0].startswith("Dave, I have observed latency spikes")


def test_latency_graph_shape(r: redis.Redis, o: redis.Redis, monitor: None) -> None:
    for c in (r, o):
        drive(c)
    mine = reply_of(r, "LATENCY", "GRAPH", "command").decode()
    theirs = reply_of(o, "LATENCY", "GRAPH", "command").decode()
    head = r"command - high (\d+) ms, low (\d+) ms \(all time high (\d+) ms\)\n-{80}\n"
    for text in (mine, theirs):
        m = re.match(head, text)
        assert m, text
    assert re.sub(r"\d+", "N", mine) == re.sub(r"\d+", "N", theirs)


def test_latency_graph_is_verbatim(node: Any, oracle: Any, both: Any, monitor: None) -> None:
    for c in (both.r, both.o):
        drive(c)
    for port in (node.port, oracle.port):
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"HELLO 3\r\nLATENCY GRAPH command\r\n")
            data = b""
            while b"txt:" not in data or not data.endswith(b"\n\r\n"):
                data += s.recv(65536)
            assert re.search(rb"\r\n=\d+\r\ntxt:command - high", data)


def test_latency_help_and_arity(both: Any) -> None:
    both("LATENCY", "HELP")
    both("LATENCY")
    both("LATENCY", "HISTORY")
    both("LATENCY", "GRAPH", "a", "b")
    both("LATENCY", "LATEST", "x")
    both("LATENCY", "DOCTOR", "x")
    both("LATENCY", "FOO")
    both("LATENCY", "RESET", "a", "b", "c")


# -- LATENCY HISTOGRAM / latency tracking ----------------------------------------------------

POWERS = {(2**k + 2**k // 128 - 1) // 1000 for k in range(10, 31)}


def _histograms(reply: Any) -> list[tuple[bytes, int, list[tuple[int, int]]]]:
    out = []
    for i in range(0, len(reply), 2):
        body = dict(zip(reply[i + 1][::2], reply[i + 1][1::2]))
        hist = body[b"histogram_usec"]
        out.append((reply[i], body[b"calls"], list(zip(hist[::2], hist[1::2]))))
    return out


def test_latency_histogram_like_redis(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    both("CONFIG", "RESETSTAT")
    for _ in range(3):
        both("SET", "a", "1")
    both("GET", "a")
    both("CONFIG", "GET", "maxclients")
    args = ("LATENCY", "HISTOGRAM", "set", "nosuch", "CONFIG", "get", "set")
    mine = _histograms(reply_of(r, *args))
    theirs = _histograms(reply_of(o, *args))
    assert sorted((n, c) for n, c, _ in mine) == sorted((n, c) for n, c, _ in theirs)
    assert [n for n, _, _ in mine].count(b"set") == 2
    for name, calls, buckets in mine:
        assert buckets, name
        assert all(label in POWERS for label, _ in buckets)
        counts = [n for _, n in buckets]
        assert counts == sorted(counts) and counts[-1] == calls
    everything = {n for n, _, _ in _histograms(reply_of(r, "LATENCY", "HISTOGRAM"))}
    assert everything == {n for n, _, _ in _histograms(reply_of(o, "LATENCY", "HISTOGRAM"))}


def test_latency_histogram_resp3_shape(node: Any) -> None:
    with socket.create_connection(("127.0.0.1", node.port)) as s:
        s.sendall(b"HELLO 3\r\nCONFIG RESETSTAT\r\nSET a 1\r\nLATENCY HISTOGRAM set\r\n")
        data = b""
        while not re.search(rb"histogram_usec\r\n%1\r\n:\d+\r\n:1\r\n$", data):
            data += s.recv(65536)
    assert b"%1\r\n$3\r\nset\r\n%2\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n%1\r\n" in data


def test_latency_tracking_switch(r: redis.Redis, o: redis.Redis, both: Any) -> None:
    try:
        both("CONFIG", "RESETSTAT")
        both("SET", "a", "1")
        both("CONFIG", "SET", "latency-tracking", "no")
        both("SET", "a", "2")
        for c in (r, o):
            assert reply_of(c, "INFO", "latencystats") == b"# Latencystats\r\n"
            assert _histograms(reply_of(c, "LATENCY", "HISTOGRAM", "set"))[0][1] == 1
        both("CONFIG", "SET", "latency-tracking", "yes")
        both("SET", "a", "3")
        for c in (r, o):
            assert _histograms(reply_of(c, "LATENCY", "HISTOGRAM", "set"))[0][1] == 2
    finally:
        both("CONFIG", "SET", "latency-tracking", "yes")


# -- internals -------------------------------------------------------------------------------

def test_event_series_ring() -> None:
    s = EventSeries()
    s.add(100, 5)
    s.add(100, 3)  # same second: only a worse latency replaces the sample
    s.add(100, 9)
    s.add(101, 2)
    assert s.history() == [(100, 9), (101, 2)] and s.max == 9 and s.latest() == (101, 2)
    for t in range(200, 400):
        s.add(t, t)
    assert len(s.history()) == 160 and s.history()[0] == (240, 240) and s.max == 399


def test_histogram_levels_and_percentiles() -> None:
    hist = [0] * 64
    for ns in (300, 5_000, 5_500, 40_000, 2_000_000_000):
        hist[ns.bit_length()] += 1
    assert cumulative_levels(hist) == [(1, 1), (8, 3), (66, 4), (1082130, 5)]
    assert percentile_usec(hist, 50) == pytest.approx(8.191)
    assert percentile_usec(hist, 0) == pytest.approx(0.256)
    assert percentile_usec([0] * 64, 99) == 0.0


def test_sparkline_like_redis() -> None:
    # One 50 ms sample, as `LATENCY GRAPH` on redis-server 7.0.15 draws it.
    assert sparkline([(50, "0s")]) == " \n \n \n_\n \n0\ns\n"
    # A filled bar: `#` on top, `|` below; labels read downwards.
    assert sparkline([(10, "2s"), (40, "1s")]) == " #\n |\n |\n_|\n  \n21\nss\n"
