"""CLIENT and MONITOR against redis-server 7.0.15: replies, errors, and their effects on other
connections (KILL disconnects, PAUSE holds writes, REPLY silences, MONITOR streams)."""

from __future__ import annotations

import re
import socket
import threading
import time
from typing import Any, Iterator

import pytest
import redis
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Differential, ServerProcess, reply_of, start_redis, start_slotkv


# CLIENT KILL and PAUSE act on every connection: this module runs its own servers.
@pytest.fixture(scope="module")
def knode() -> Iterator[ServerProcess]:
    proc = start_slotkv()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def koracle() -> Iterator[ServerProcess]:
    proc = start_redis()
    yield proc
    proc.stop()


@pytest.fixture
def pair(knode: ServerProcess, koracle: ServerProcess) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    for proc in (knode, koracle):
        c = proc.client()
        c.execute_command("CLIENT", "UNPAUSE")
        c.flushall()
        c.close()
    yield knode, koracle


@pytest.fixture
def kboth(pair: tuple[ServerProcess, ServerProcess]) -> Iterator[Differential]:
    r, o = pair[0].client(), pair[1].client()
    yield Differential(r, o)
    r.close()
    o.close()


class Raw:
    """A plain socket speaking RESP, for what redis-py hides (no reply, pushed lines)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def send(self, *commands: tuple) -> None:
        out = b""
        for args in commands:
            out += b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%b\r\n" % (len(a), a)
        self.sock.sendall(out)

    def read_for(self, seconds: float) -> bytes:
        """Everything that arrives within `seconds`."""
        return self.read_until(None, seconds)

    def read_until(self, pattern: bytes | None, timeout: float = 5) -> bytes:
        """What arrived until `pattern` was seen (or `timeout` passed, or the peer closed)."""
        deadline = time.monotonic() + timeout
        while pattern is None or pattern not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                break
            if not data:
                break
            self.buf += data
        out, self.buf = self.buf, b""
        return out

    def closed(self, timeout: float = 3) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


# -- replies and errors -------------------------------------------------------------------------


def test_client_replies_and_errors_match_redis(kboth: Differential) -> None:
    kboth.run(
        ("CLIENT",), ("CLIENT", "foo"), ("CLIENT", "HELP"), ("CLIENT", "help", "x"),
        ("CLIENT", "ID", "x"), ("CLIENT", "INFO", "x"),
        ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "a b"), ("CLIENT", "SETNAME", "a\x01"),
        ("CLIENT", "SETNAME", "caf\xe9"), ("CLIENT", "SETNAME", "nm"), ("CLIENT", "GETNAME"),
        ("CLIENT", "SETNAME", ""), ("CLIENT", "GETNAME"), ("CLIENT", "SETNAME", "a", "b"),
        ("CLIENT", "LIST", "TYPE", "foo"), ("CLIENT", "LIST", "ID"), ("CLIENT", "LIST", "ID", "abc"),
        ("CLIENT", "LIST", "ID", "0"), ("CLIENT", "LIST", "ID", "-1", "999999"),
        ("CLIENT", "LIST", "foo"), ("CLIENT", "LIST", "TYPE", "pubsub"),
        ("CLIENT", "LIST", "TYPE", "master"), ("CLIENT", "LIST", "TYPE", "replica"),
        ("CLIENT", "LIST", "TYPE", "SLAVE"), ("CLIENT", "LIST", "TYPE", "normal", "ID", "1"),
        ("CLIENT", "KILL", "1.2.3.4:5"), ("CLIENT", "KILL", "ID"), ("CLIENT", "KILL", "ID", "x"),
        ("CLIENT", "KILL", "ID", "0"), ("CLIENT", "KILL", "ID", "-3"), ("CLIENT", "KILL", "ID", "999999"),
        ("CLIENT", "KILL", "foo", "bar"), ("CLIENT", "KILL", "TYPE", "foo"),
        ("CLIENT", "KILL", "TYPE", "pubsub"), ("CLIENT", "KILL", "TYPE", "master"),
        ("CLIENT", "KILL", "SKIPME", "maybe"), ("CLIENT", "KILL", "USER", "nouser"),
        ("CLIENT", "KILL", "ADDR", "1.2.3.4:5"), ("CLIENT", "KILL", "LADDR", "1.2.3.4:5"),
        ("CLIENT", "KILL", "MAXAGE", "5"), ("CLIENT", "KILL", "a", "b", "c"),
        ("CLIENT", "KILL", "ID", "999999", "SKIPME"),
        ("CLIENT", "PAUSE"), ("CLIENT", "PAUSE", "x"), ("CLIENT", "PAUSE", "-1"),
        ("CLIENT", "PAUSE", "x", "foo"), ("CLIENT", "PAUSE", "0", "foo"),
        ("CLIENT", "PAUSE", "9223372036854775000"), ("CLIENT", "PAUSE", "0", "WRITE"),
        ("CLIENT", "PAUSE", "0", "all"), ("CLIENT", "PAUSE", "0", "ALL", "x"),
        ("CLIENT", "UNPAUSE"), ("CLIENT", "UNPAUSE", "x"),
        ("CLIENT", "REPLY", "foo"), ("CLIENT", "REPLY", "ON"), ("CLIENT", "REPLY"),
        ("CLIENT", "NO-EVICT", "foo"), ("CLIENT", "NO-EVICT", "on"), ("CLIENT", "NO-EVICT", "OFF"),
        ("CLIENT", "NO-EVICT"),
    )


def test_client_metadata_matches_redis(kboth: Differential) -> None:
    for sub in ("setname", "id", "info", "no-evict", "kill", "help", "list", "getname",
                "unpause", "pause", "reply"):
        kboth("COMMAND", "INFO", f"client|{sub}")
    kboth("COMMAND", "INFO", "monitor")
    kboth("COMMAND", "DOCS", "monitor")
    mine = reply_of(kboth.r, "COMMAND", "INFO", "client")[0]
    theirs = reply_of(kboth.o, "COMMAND", "INFO", "client")[0]
    assert mine[:9] == theirs[:9]
    # slotkv leaves out the client-side caching and UNBLOCK subcommands; the rest agree.
    theirs_subs = {s[0]: s for s in theirs[9]}
    for sub in mine[9]:
        assert sub == theirs_subs[sub[0]]


def _fields(line: bytes) -> list[bytes]:
    return [kv.split(b"=", 1)[0] for kv in line.split()]


def test_client_list_and_info_fields_match_redis(pair: tuple[ServerProcess, ServerProcess]) -> None:
    lines = []
    for proc in pair:
        c = proc.client()
        c.execute_command("CLIENT", "SETNAME", "me")
        info = reply_of(c, "CLIENT", "INFO")
        own = reply_of(c, "CLIENT", "ID")
        listed = reply_of(c, "CLIENT", "LIST", "ID", own, own)
        assert info.endswith(b"\n") and info.count(b"\n") == 1
        assert b" name=me " in info and b" cmd=client|info " in info
        assert info.startswith(b"id=%d " % own)
        assert listed.count(b"\n") == 2  # asked twice, listed twice, as Redis
        assert b" cmd=client|list " in listed
        assert reply_of(c, "CLIENT", "LIST", "TYPE", "normal").count(b"id=%d " % own) == 1
        lines.append(info)
        c.close()
    assert _fields(lines[0]) == _fields(lines[1])


def test_client_info_inside_exec_shows_the_transaction(pair: tuple[ServerProcess, ServerProcess]) -> None:
    # Redis leaves MULTI only after running the queue: flags=x and multi=<queued count>.
    seen = []
    for proc in pair:
        c = proc.client()
        with c.pipeline(transaction=True) as pipe:
            pipe.execute_command("PING")
            pipe.execute_command("CLIENT", "INFO")
            info = pipe.execute()[1]
        after = reply_of(c, "CLIENT", "INFO")
        fields = dict(kv.split(b"=", 1) for kv in info.split())
        later = dict(kv.split(b"=", 1) for kv in after.split())
        seen.append((fields[b"flags"], fields[b"multi"], later[b"flags"], later[b"multi"]))
        c.close()
    assert seen[0] == seen[1] == (b"x", b"2", b"N", b"-1")


def test_client_info_is_verbatim_in_resp3(pair: tuple[ServerProcess, ServerProcess]) -> None:
    heads = []
    for proc in pair:
        raw = Raw(proc.port)
        raw.send(("HELLO", "3"))
        raw.read_until(b"modules")
        raw.read_for(0.1)
        raw.send(("CLIENT", "INFO"))
        heads.append(re.sub(rb"^=\d+", b"=", raw.read_until(b"resp=3\n\r\n"))[:7])
        raw.close()
    assert heads[0] == heads[1] == b"=\r\ntxt:"


# -- KILL -----------------------------------------------------------------------------------------


def _kill_scenario(proc: ServerProcess) -> list[Any]:
    """Kill connections by each filter; what the killer and the victims observe."""
    seen: list[Any] = []
    admin = proc.client()
    victims = [Raw(proc.port) for _ in range(3)]
    bystander = proc.client()
    ids = []
    for v in victims:
        v.send(("CLIENT", "ID"))
        ids.append(int(v.read_until(b"\r\n")[1:-2]))
    v_addr = reply_of(admin, "CLIENT", "LIST", "ID", ids[1]).split()[1].split(b"=", 1)[1]
    seen.append(reply_of(admin, "CLIENT", "KILL", "ID", ids[0]))
    seen.append(victims[0].closed())
    seen.append(reply_of(admin, "CLIENT", "KILL", v_addr))  # the old form
    seen.append(victims[1].closed())
    seen.append(reply_of(admin, "CLIENT", "KILL", "ADDR", "1.1.1.1:1", "ID", ids[2]))
    seen.append(victims[2].closed(timeout=0.3))
    seen.append(reply_of(admin, "CLIENT", "KILL", "ID", ids[2], "TYPE", "normal", "USER", "default"))
    seen.append(victims[2].closed())
    # The killer survives its own filter unless SKIPME no; others keep working meanwhile.
    own = reply_of(admin, "CLIENT", "ID")
    seen.append(reply_of(admin, "CLIENT", "KILL", "ID", own))
    seen.append(reply_of(admin, "PING"))
    seen.append(reply_of(bystander, "SET", "k", "v"))
    seen.append(reply_of(bystander, "GET", "k"))
    me = Raw(proc.port)
    me.send(("CLIENT", "ID"))
    me_id = int(me.read_until(b"\r\n")[1:-2])
    me.send(("CLIENT", "KILL", "ID", me_id, "SKIPME", "no"), ("PING",))
    seen.append(me.read_until(b"\r\n"))  # the reply comes before the close, PING never runs
    seen.append(me.closed())
    for v in victims:
        v.close()
    me.close()
    admin.close()
    bystander.close()
    return seen


def test_client_kill_disconnects_the_target_only(pair: tuple[ServerProcess, ServerProcess]) -> None:
    mine, theirs = (_kill_scenario(p) for p in pair)
    assert mine == theirs
    assert mine[0] == 1 and mine[1] is True and mine[2] == b"OK" and mine[3] is True
    assert mine[4] == 0 and mine[5] is False and mine[6] == 1 and mine[7] is True


# -- PAUSE ----------------------------------------------------------------------------------------


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    start = time.monotonic()
    result = fn(*args)
    return result, time.monotonic() - start


@pytest.mark.parametrize("which", [0, 1])
def test_client_pause_write_holds_writes_not_reads(pair: tuple[ServerProcess, ServerProcess],
                                                   which: int) -> None:
    proc = pair[which]
    admin, writer, reader = proc.client(), proc.client(), proc.client()
    reader.set("k", "before")
    assert admin.execute_command("CLIENT", "PAUSE", "400", "WRITE") == b"OK"
    paused_at = time.monotonic()
    got, took = _timed(reader.get, "k")
    assert got == b"before" and took < 0.2
    assert reader.ping() is True
    result: dict[str, Any] = {}

    def write() -> None:
        result["set"] = writer.set("k", "after")
        result["at"] = time.monotonic()

    t = threading.Thread(target=write)
    t.start()
    time.sleep(0.1)
    assert reader.get("k") == b"before"  # the write is still held
    t.join(5)
    assert result["set"] is True and result["at"] - paused_at >= 0.38
    assert reader.get("k") == b"after"
    for c in (admin, writer, reader):
        c.close()


@pytest.mark.parametrize("which", [0, 1])
def test_client_pause_all_holds_every_command(pair: tuple[ServerProcess, ServerProcess],
                                              which: int) -> None:
    proc = pair[which]
    admin, reader = proc.client(), proc.client()
    reader.set("k", "v")
    admin.execute_command("CLIENT", "PAUSE", "600")
    paused_at = time.monotonic()
    result: dict[str, Any] = {}

    def read() -> None:
        result["get"] = reader.get("k")
        result["at"] = time.monotonic()

    t = threading.Thread(target=read)
    t.start()
    # ALL holds reads, and even CLIENT UNPAUSE from another connection, until it ends.
    unpause = Raw(proc.port)
    unpause.send(("CLIENT", "UNPAUSE"))
    assert unpause.read_for(0.3) == b""
    assert "get" not in result
    assert unpause.read_until(b"\r\n") == b"+OK\r\n"
    t.join(5)
    assert result["get"] == b"v" and result["at"] - paused_at >= 0.58
    unpause.close()
    admin.close()
    reader.close()


def test_client_unpause_releases_a_write_pause_early(pair: tuple[ServerProcess, ServerProcess]) -> None:
    for proc in pair:
        admin, writer = proc.client(), proc.client()
        admin.execute_command("CLIENT", "PAUSE", "10000", "WRITE")
        start = time.monotonic()
        t = threading.Thread(target=writer.set, args=("k", "v"))
        t.start()
        time.sleep(0.2)
        assert t.is_alive()
        assert admin.execute_command("CLIENT", "UNPAUSE") == b"OK"  # not a write: runs
        t.join(5)
        assert not t.is_alive() and time.monotonic() - start < 2
        assert writer.get("k") == b"v"
        admin.close()
        writer.close()


# -- REPLY ----------------------------------------------------------------------------------------


def _conversation(port: int, commands: list[tuple]) -> bytes:
    raw = Raw(port)
    raw.send(*commands, ("ECHO", "end-of-test"))
    out = raw.read_until(b"end-of-test\r\n", timeout=3)
    raw.close()
    return out


def test_client_reply_off_and_skip(pair: tuple[ServerProcess, ServerProcess]) -> None:
    script = [
        ("CLIENT", "REPLY", "SKIP"), ("SET", "a", "1"), ("GET", "a"),
        ("CLIENT", "REPLY", "OFF"), ("SET", "a", "2"), ("GET", "a"), ("NOSUCH",),
        ("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "ON"), ("GET", "a"),
        ("CLIENT", "REPLY", "SKIP"), ("NOSUCH",), ("PING",),
        ("CLIENT", "REPLY", "SKIP"), ("GET",), ("PING", "x"),
    ]
    mine, theirs = (_conversation(p.port, script) for p in pair)
    assert mine == theirs
    assert mine == b"$1\r\n1\r\n+OK\r\n$1\r\n2\r\n+PONG\r\n$1\r\nx\r\n$11\r\nend-of-test\r\n"


def test_client_reply_skip_inside_exec_skips_the_command_after_it(
        pair: tuple[ServerProcess, ServerProcess]) -> None:
    # Redis turns SKIP into a skipped reply only once the top-level command (EXEC) is done.
    script = [("MULTI",), ("CLIENT", "REPLY", "SKIP"), ("PING", "a"), ("PING", "b"), ("EXEC",),
              ("PING", "c"), ("PING", "d"),
              ("MULTI",), ("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "ON"), ("EXEC",),
              ("PING", "e"), ("PING", "f")]
    mine, theirs = (_conversation(p.port, script) for p in pair)
    assert mine == theirs
    assert b"$1\r\nc\r\n" not in mine and b"$1\r\ne\r\n" not in mine
    assert b"*3\r\n$1\r\na\r\n$1\r\nb\r\n" in mine


def test_unknown_subcommands_and_reset_keep_redis_counters_and_flags(
        pair: tuple[ServerProcess, ServerProcess]) -> None:
    seen = []
    for proc in pair:
        c = proc.client()
        c.config_resetstat()
        # Only a container with no subcommand at all is a rejected call of the container.
        reply_of(c, "CLIENT", "NOSUCH")
        reply_of(c, "CONFIG", "NOSUCH", "x")
        stats = c.info("commandstats")
        raw = Raw(proc.port)  # RESET of Redis 7.0 keeps CLIENT NO-EVICT
        raw.send(("CLIENT", "NO-EVICT", "on"), ("RESET",), ("CLIENT", "INFO"))
        info = raw.read_until(b"\n\r\n", timeout=3)
        raw.close()
        flags = re.search(rb" flags=(\S+) ", info)
        seen.append((sorted(k for k in stats if k.startswith("cmdstat_")), flags and flags[1]))
        c.close()
    assert seen[0] == seen[1]
    assert seen[0][1] == b"e"


def test_client_info_inside_exec_names_exec(pair: tuple[ServerProcess, ServerProcess]) -> None:
    # Redis's CLIENT INFO shows the top-level command (lastcmd), which EXEC does not change.
    seen = []
    for proc in pair:
        c, other = proc.client(), proc.client()
        c.client_setname("runner")
        with c.pipeline(transaction=True) as pipe:
            pipe.execute_command("CLIENT", "INFO")
            pipe.execute_command("PING")
            inside = pipe.execute()[0]
        listed = [line for line in reply_of(other, "CLIENT", "LIST").split(b"\n")
                  if b" name=runner " in line]
        seen.append((re.search(rb" cmd=(\S+)", inside)[1], re.search(rb" cmd=(\S+)", listed[0])[1]))
        c.close()
        other.close()
    assert seen[0] == seen[1] == (b"exec", b"exec")


def test_client_list_cmd_is_the_last_command_looked_up(pair: tuple[ServerProcess, ServerProcess]) -> None:
    # Redis's lastcmd is set by the lookup, before any check: a refused command shows, an
    # unknown command or subcommand shows NULL.
    seen = []
    for proc in pair:
        a, b = proc.client(), proc.client()
        a.client_setname("A")
        names = []
        for args in (("GET",), ("NOSUCH",), ("PING",), ("CONFIG", "NOSUCH"), ("CONFIG", "GET"),
                     ("SET", "k"), ("CLIENT", "NOSUCH"), ("CONFIG",)):
            try:
                a.execute_command(*args)
            except redis.ResponseError:
                pass
            names.append(next(c["cmd"] for c in b.client_list() if c["name"] == "A"))
        seen.append(names)
        a.close()
        b.close()
    assert seen[0] == seen[1]
    assert seen[0] == ["get", "NULL", "ping", "NULL", "config|get", "set", "NULL", "config"]


_REPLY_STEPS = st.sampled_from([
    ("CLIENT", "REPLY", "ON"), ("CLIENT", "REPLY", "OFF"), ("CLIENT", "REPLY", "SKIP"),
    ("CLIENT", "REPLY", "bad"), ("PING",), ("ECHO", "e"), ("INCR", "n"), ("NOSUCH",),
    ("GET",), ("CLIENT", "GETNAME"),
])


@settings(max_examples=25, deadline=None)
@given(steps=st.lists(_REPLY_STEPS, max_size=12))
def test_client_reply_sequences_match_redis(knode: ServerProcess, koracle: ServerProcess,
                                            steps: list[tuple]) -> None:
    outs = []
    for proc in (knode, koracle):
        proc.client().delete("n")
        outs.append(_conversation(proc.port, [*steps, ("CLIENT", "REPLY", "ON")]))
    assert outs[0] == outs[1]


# -- MONITOR --------------------------------------------------------------------------------------

_LINE = re.compile(rb"^\+\d+\.\d{6} \[(\d+) [0-9.]+:\d+\] (.*)$")


def _monitor_lines(data: bytes) -> list[bytes]:
    out = []
    for line in data.split(b"\r\n"):
        if not line:
            continue
        m = _LINE.match(line)
        out.append(b"[" + m.group(1) + b"] " + m.group(2) if m else line)
    return out


def _monitor_scenario(proc: ServerProcess) -> list[bytes]:
    mon = Raw(proc.port)
    mon.send(("MONITOR",))
    assert mon.read_until(b"\r\n") == b"+OK\r\n"
    other = Raw(proc.port)
    other.send(
        ("SET", "a", "1"), ("SELECT", "3"), ("SET", b'b"\\\n', b"\x00\xff\t\x07\x08\r"),
        ("GET", "nokey"), ("NOSUCHCOMMAND", "x"), ("GET",), ("AUTH", "secret"),
        ("AUTH", "user", "pw"), ("AUTH", "a", "b", "c"), ("HELLO", "2", "AUTH", "u", "p"),
        ("HELLO", "9", "AUTH", "u", "p"), ("HELLO", "2", "SETNAME", "n"),
        ("CLIENT", "LIST"), ("CONFIG", "GET", "port"), ("CLIENT", "SETNAME", "x"),
        ("MONITOR",), ("ECHO", "done"),
    )
    other.read_until(b"done\r\n")
    time.sleep(0.1)
    lines = _monitor_lines(mon.read_for(0.3))
    # On the monitor's own connection: non-keyspace commands run (and show, after their
    # reply), keyspace commands are refused, a second MONITOR is ignored, RESET ends it.
    mon.send(("PING",), ("MONITOR",), ("GET", "a"), ("RESET",), ("PING",))
    own = mon.read_until(b"+RESET\r\n+PONG\r\n")
    other.send(("SET", "after", "reset"))
    lines.append(b"---")
    lines += _monitor_lines(own)
    lines += _monitor_lines(mon.read_for(0.2))  # nothing more after RESET
    mon.close()
    other.close()
    return lines


def test_monitor_streams_other_clients_commands(pair: tuple[ServerProcess, ServerProcess]) -> None:
    mine, theirs = (_monitor_scenario(p) for p in pair)
    assert mine == theirs
    assert mine[:4] == [b'[0] "SET" "a" "1"', b'[3] "SELECT" "3"',
                        b'[3] "SET" "b\\"\\\\\\n" "\\x00\\xff\\t\\a\\b\\r"', b'[3] "GET" "nokey"']
    assert b'[3] "AUTH" "(redacted)"' in mine
    assert not any(b"CLIENT\" \"LIST" in line or b"CONFIG" in line for line in mine)
    assert mine[mine.index(b"---") + 1:] == [
        b"+PONG", b'[0] "PING"', b"-ERR Replica can't interact with the keyspace", b"+RESET",
        b"+PONG"]


def test_monitor_inside_a_transaction_is_refused(pair: tuple[ServerProcess, ServerProcess]) -> None:
    # A client in EXEC expects one reply per command (Redis's CLIENT_DENY_BLOCKING), so the
    # queued MONITOR fails and the client does not become a monitor.
    script = [("MULTI",), ("MONITOR",), ("PING",), ("EXEC",), ("SET", "m", "1"),
              ("MULTI",), ("MONITOR",), ("EXEC",), ("GET", "m")]
    mine, theirs = (_conversation(p.port, script) for p in pair)
    assert mine == theirs
    assert b"-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n+PONG" in mine


def test_monitor_sees_clients_of_every_db_and_stops_on_disconnect(knode: ServerProcess) -> None:
    mon = Raw(knode.port)
    mon.send(("MONITOR",))
    mon.read_until(b"+OK\r\n")
    c = knode.client(db=2)
    c.set("x", "y")
    lines = mon.read_until(b'"y"\r\n').split(b"\r\n")
    assert re.match(rb'^\+\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "SELECT" "2"$', lines[0])
    assert re.match(rb'^\+\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "SET" "x" "y"$', lines[1])
    mon.close()
    time.sleep(0.1)
    assert c.set("x", "z") is True  # no monitor left to feed; nothing breaks
    c.close()
