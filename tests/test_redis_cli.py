"""redis-cli (7.0.15) against a node, compared with the same redis-cli against redis-server.

Covers one-shot commands in every output mode (--no-raw, --raw, --csv, --json, RESP3), `-x`,
`--pipe`, `--scan`, `--bigkeys`, commands read from a file, and the interactive mode driven
through a pseudo-terminal, both with a dumb terminal and with linenoise's line editing.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import termios
import time

import pytest

from node.codec import encode_request

REDIS_CLI = shutil.which("redis-cli")
pytestmark = pytest.mark.skipif(REDIS_CLI is None, reason="redis-cli is not installed")


def cli(port: int, *args: str, stdin: bytes | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([REDIS_CLI, "-p", str(port), *args], input=stdin, capture_output=True,
                          timeout=timeout)


def both_cli(node, oracle, *args: str, stdin: bytes | None = None) -> tuple[bytes, bytes]:
    """stdout+stderr (and exit code) of the same redis-cli call against the node and the oracle."""
    out = []
    for server in (node, oracle):
        res = cli(server.port, *args, stdin=stdin)
        out.append(b"rc=%d\n%b--stderr--\n%b" % (res.returncode, res.stdout, res.stderr))
    return out[0], out[1]


# Commands whose replies do not depend on which server answers (no ids, times, versions).
COMMANDS = [
    ["SET", "k", "v"], ["GET", "k"], ["GET", "nope"], ["MGET", "k", "nope", "k"],
    ["INCR", "n"], ["INCRBY", "n", "10"], ["DECR", "n"], ["INCRBYFLOAT", "f", "1.5"],
    ["APPEND", "k", "x y"], ["STRLEN", "k"], ["GETRANGE", "k", "1", "-1"],
    ["SETRANGE", "k", "1", "ZZ"], ["GET", "k"], ["SET", "bin", "a\x01b\nc\"d\\e"], ["GET", "bin"],
    ["SET", "utf", "välue ✓"], ["GET", "utf"], ["EXISTS", "k", "nope", "bin"], ["TYPE", "k"],
    ["TTL", "k"], ["EXPIRE", "k", "100"], ["PERSIST", "k"], ["TTL", "k"], ["DEL", "bin", "utf"],
    ["NOSUCH", "arg"], ["GET"], ["SET", "k", "v", "EX", "0"], ["SET", "k", "v", "NX", "XX"],
    ["INCR", "k"], ["PING"], ["PING", "hi there"], ["ECHO", "multi\nline"], ["ECHO", ""],
    ["MSET", "a", "1", "b", "2"], ["MSETNX", "a", "1", "c", "3"], ["DBSIZE"],
    ["SET", "k", "v", "GET"], ["GETDEL", "k"], ["GETEX", "nope"], ["SELECT", "99"],
    ["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"], ["COMMAND", "NOSUCH"],
]


def run_sequence(node, oracle, flags: list[str]) -> None:
    for server in (node, oracle):
        cli(server.port, "FLUSHALL")
    for cmd in COMMANDS:
        mine, theirs = both_cli(node, oracle, *flags, *cmd)
        assert mine == theirs, f"redis-cli {' '.join(flags)} {cmd}:\n slotkv={mine!r}\n redis ={theirs!r}"


@pytest.mark.parametrize("flags", [
    ["--no-raw"], ["--raw"], [], ["--csv"], ["--json"], ["-3", "--no-raw"], ["-3", "--raw"],
    ["-e", "--no-raw"],
], ids=lambda f: " ".join(f) or "default")
def test_one_shot_commands_match_redis(node, oracle, r, o, flags):
    run_sequence(node, oracle, flags)


def test_no_raw_formatting(node, r):
    cli(node.port, "SET", "foo", "bar")
    assert cli(node.port, "--no-raw", "GET", "foo").stdout == b'"bar"\n'
    assert cli(node.port, "--no-raw", "EXISTS", "foo").stdout == b"(integer) 1\n"
    assert cli(node.port, "--no-raw", "GET", "nope").stdout == b"(nil)\n"
    assert cli(node.port, "--no-raw", "MGET", "foo", "nope").stdout == b'1) "bar"\n2) (nil)\n'
    assert cli(node.port, "--no-raw", "NOSUCH").stdout.startswith(b"(error) ERR unknown command")
    assert cli(node.port, "--raw", "GET", "foo").stdout == b"bar\n"


def test_stdin_x_sets_the_last_argument(node, oracle, r, o):
    value = b"line one\nline two\x00\xff binary \r\n" * 100
    for server in (node, oracle):
        res = cli(server.port, "-x", "SET", "doc", stdin=value)
        assert res.stdout == b"OK\n", res
    assert r.get("doc") == o.get("doc") == value
    mine, theirs = both_cli(node, oracle, "-x", "APPEND", "doc", stdin=b"more")
    assert mine == theirs
    mine, theirs = both_cli(node, oracle, "--no-raw", "-x", "GETRANGE", "doc", "0", stdin=b"20")
    assert mine == theirs and b"line one" in mine


def test_commands_from_a_file(node, oracle, r, o):
    script = (b"SET a 1\nINCR a\nGET a\nSET \"spaced key\" \"quoted \\x41\"\nGET \"spaced key\"\n"
              b"NOSUCH\nMGET a nope\nDEL a\nGET a\n")
    for flags in (["--no-raw"], []):
        mine, theirs = both_cli(node, oracle, *flags, stdin=script)
        assert mine == theirs
    assert r.get("spaced key") == b"quoted A"


def test_repeat(node, oracle, r, o):
    mine, theirs = both_cli(node, oracle, "-r", "5", "INCR", "counter")
    assert mine == theirs
    assert r.get("counter") == b"5"


def test_pipe_mode(node, r):
    n = 5000
    data = b"".join(encode_request([b"SET", b"key:%d" % i, b"value:%d" % i]) for i in range(n))
    data += b"".join(encode_request([b"INCR", b"counter"]) for _ in range(n))
    res = cli(node.port, "--pipe", stdin=data)
    assert res.returncode == 0, res
    assert b"errors: 0, replies: %d" % (2 * n) in res.stdout, res.stdout
    assert r.get("counter") == str(n).encode()
    assert r.get("key:4999") == b"value:4999"
    assert r.dbsize() == n + 1


def test_pipe_mode_counts_errors(node, oracle, r, o):
    data = b"".join(encode_request([b"SET", b"k%d" % i, b"x"]) for i in range(1000))
    data += b"".join(encode_request([b"INCR", b"k%d" % i]) for i in range(300))  # 300 errors
    data += b"".join(encode_request([b"NOSUCH"]) for _ in range(7))
    outs = []
    for server in (node, oracle):
        res = cli(server.port, "--pipe", stdin=data)
        outs.append(res.stdout.splitlines()[-1])
    assert outs[0] == outs[1] == b"errors: 307, replies: 1307"


def test_pipe_mode_with_inline_commands(node, r):
    # --pipe sends stdin as it is; text commands are inline requests.
    data = b"".join(b"SET ik%d %d\r\n" % (i, i) for i in range(2000))
    res = cli(node.port, "--pipe", stdin=data)
    assert b"errors: 0, replies: 2000" in res.stdout, res.stdout
    assert r.get("ik1999") == b"1999"


def test_scan(node, oracle, r, o):
    keys = [f"user:{i}" for i in range(300)] + [f"item:{i}" for i in range(200)] + ["user", "x:user:1"]
    for c in (r, o):
        c.mset({k: "v" for k in keys})
    for args in (["--scan"], ["--scan", "--pattern", "user:*"], ["--scan", "--pattern", "*user*"],
                 ["--scan", "--pattern", "item:1?"], ["--scan", "--pattern", "item:*"],
                 ["--scan", "--pattern", "nothing*"]):
        mine = cli(node.port, *args)
        theirs = cli(oracle.port, *args)
        assert mine.returncode == theirs.returncode == 0, (mine, theirs)
        got = mine.stdout.splitlines()
        assert len(got) == len(set(got)), f"{args}: duplicates"
        assert sorted(got) == sorted(theirs.stdout.splitlines()), args


def test_bigkeys(node, oracle, r, o):
    for c in (r, o):
        c.mset({"small": "x", "medium": "x" * 10, "large": "x" * 100})
    mine, theirs = cli(node.port, "--bigkeys"), cli(oracle.port, "--bigkeys")
    assert mine.returncode == theirs.returncode == 0
    summary = lambda out: out.stdout[out.stdout.index(b"-------- summary -------"):]  # noqa: E731
    assert summary(mine) == summary(theirs)


# -- interactive mode through a pseudo-terminal ------------------------------------------------

ANSI = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]")


class Interactive:
    """redis-cli on a pseudo-terminal: type a line, read what the screen shows for it."""

    def __init__(self, port: int, term: str, flags: tuple[str, ...] = ()) -> None:
        self.master, slave = pty.openpty()
        # a real window size, so linenoise asks the kernel rather than the terminal
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        env = dict(os.environ, TERM=term)
        env.pop("COLUMNS", None)
        self.proc = subprocess.Popen([REDIS_CLI, "-p", str(port), *flags], stdin=slave,
                                     stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        # `127.0.0.1:6379> `, or `127.0.0.1:6379[1]> ` once another database is selected
        self.prompt = re.compile(rb"127\.0\.0\.1:%d(\[\d+\])?> $" % port)
        self.buf = b""
        self._until(self.prompt)

    def _read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return b""
        if b"\x1b[6n" in data:  # a cursor position query, should linenoise still ask
            os.write(self.master, b"\x1b[1;1R")
        return data

    def _until(self, prompt: re.Pattern, timeout: float = 10.0) -> bytes:
        deadline = time.monotonic() + timeout
        while True:
            # the prompt counts only at the end of what was shown (not inside a refresh)
            if prompt.search(ANSI.sub(b"", self.buf)):
                out, self.buf = self.buf, b""
                return out
            if time.monotonic() > deadline:
                raise TimeoutError(f"waiting for the prompt, got {self.buf[-500:]!r}")
            self.buf += self._read(0.05)

    def run(self, line: str) -> list[str]:
        """Type `line`, press Enter; the lines shown between the echo and the next prompt."""
        os.write(self.master, line.encode())
        time.sleep(0.05)
        os.write(self.master, b"\r")
        raw = self._until(self.prompt)
        text = ANSI.sub(b"", raw).replace(b"\r", b"").decode("utf-8", "replace")
        lines = text.split("\n")
        echo = max(i for i, ln in enumerate(lines) if ln.endswith(line) or ln == line)
        return lines[echo + 1 : -1]

    def close(self) -> None:
        os.write(self.master, b"quit\r")
        try:
            self.proc.wait(5)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(5)
            os.close(self.master)


INTERACTIVE = [
    ("SET foo bar", ["OK"]),
    ("GET foo", ['"bar"']),
    ("EXISTS foo", ["(integer) 1"]),
    ("GET nope", ["(nil)"]),
    ("INCR foo", ["(error) ERR value is not an integer or out of range"]),
    ("NOSUCH x", ["(error) ERR unknown command 'NOSUCH', with args beginning with: 'x' "]),
    ("MGET foo nope", ['1) "bar"', "2) (nil)"]),
    ('SET "a b" "c\\x41"', ["OK"]),
    ('GET "a b"', ['"cA"']),
    ("SET bin \"\\x00\\xff\"", ["OK"]),
    ("GET bin", ['"\\x00\\xff"']),
    ("INCRBYFLOAT fl 2.5", ['"2.5"']),
    ("SELECT 1", ["OK"]),
    ("GET foo", ["(nil)"]),
    ("SELECT 0", ["OK"]),
    ("COMMAND GETKEYS SET a b", ['1) "a"']),
    ("PING", ["PONG"]),
]


@pytest.mark.parametrize("term", ["dumb", "xterm"])
def test_interactive_mode(node, oracle, r, o, term):
    sessions = [Interactive(node.port, term), Interactive(oracle.port, term)]
    try:
        for line, expected in INTERACTIVE:
            mine, theirs = (s.run(line) for s in sessions)
            assert mine == theirs, line
            assert mine == expected, line
    finally:
        for s in sessions:
            s.close()


def test_interactive_resp3_and_hello(node, oracle, r, o):
    sessions = [Interactive(node.port, "dumb", ("-3",)), Interactive(oracle.port, "dumb", ("-3",))]
    try:
        for line in ("SET k v", "GET nope", "MGET k nope", "HELLO 3", "INCRBYFLOAT f 1"):
            mine, theirs = (s.run(line) for s in sessions)
            if line.startswith("HELLO"):
                assert [ln for ln in mine if '"id"' not in ln] == [ln for ln in theirs if '"id"' not in ln]
                assert mine[0] == '1# "server" => "redis"'
            else:
                assert mine == theirs, line
    finally:
        for s in sessions:
            s.close()
