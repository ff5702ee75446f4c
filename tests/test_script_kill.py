"""Scripts that run past busy-reply-threshold, against redis-server 7.0: every other client
gets -BUSY but for the `allow_busy` commands, on connections open before and opened during
the script; SCRIPT KILL and FUNCTION KILL with their refusals (NOTBUSY, UNKILLABLE after a
write, the other kind's BUSY); FUNCTION STATS's running_script; a kill that pcall cannot
catch and one inside a coroutine; SHUTDOWN refused, and SHUTDOWN NOSAVE ending the server; SIGTERM, which waits for the script.

Each script runs in a thread on its own connection while the test talks to the server.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any, Callable, Iterator

import pytest
import redis

from conftest import ServerProcess, reply_of, server_pair, start_slotkv, wait_until

THRESHOLD = "100"  # ms
SPIN = "local i = 0 while true do i = i + 1 end"
LIBRARY = ("#!lua name=busy\n"
           f"redis.register_function('spin', function() {SPIN} end)\n"
           "redis.register_function{function_name='spin_ro', callback=function() "
           f"{SPIN} end, flags={{'no-writes'}}}}")


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    yield from server_pair("--busy-reply-threshold", THRESHOLD)


class Busy:
    """A command running in a thread until it returns (its reply in `reply`)."""

    def __init__(self, server: ServerProcess, *command: Any) -> None:
        self.client = server.client()
        self.reply: Any = None
        self.thread = threading.Thread(target=self._run, args=command, daemon=True)
        self.thread.start()
        watcher = server.client()
        deadline = time.monotonic() + 10
        while reply_of(watcher, "PING") == b"PONG":  # until the script is past its threshold
            assert time.monotonic() < deadline, "the script never got busy"
            time.sleep(0.02)
        watcher.close()

    def _run(self, *command: Any) -> None:
        try:
            self.reply = reply_of(self.client, *command)
        except redis.ConnectionError:  # the server shut down before replying
            self.reply = "closed"

    def result(self) -> Any:
        self.thread.join(10)
        assert not self.thread.is_alive(), "the script did not end"
        self.client.close()
        return self.reply


def both(pair: tuple[ServerProcess, ServerProcess],
         scenario: Callable[[ServerProcess], Any]) -> Any:
    """Run `scenario` on each server; its results must be the same."""
    mine, theirs = (scenario(server) for server in pair)
    assert mine == theirs
    return mine


def test_kill_a_busy_script(pair: tuple[ServerProcess, ServerProcess]) -> None:
    def scenario(server: ServerProcess) -> Any:
        before = server.client()  # a connection open before the script
        reply_of(before, "PING")
        busy = Busy(server, "EVAL", SPIN, 0)
        during = server.client()  # one opened while it runs
        seen = [reply_of(before, "GET", "k"), reply_of(during, "PING"),
                reply_of(during, "FUNCTION", "STATS"), reply_of(during, "FUNCTION", "KILL"),
                reply_of(during, "SHUTDOWN"), reply_of(during, "MULTI"),
                reply_of(during, "DISCARD"), reply_of(before, "CLIENT", "LIST"),
                reply_of(during, "SCRIPT", "KILL")]
        seen += [busy.result(), reply_of(during, "SCRIPT", "KILL"), reply_of(before, "PING")]
        before.close()
        during.close()
        return seen

    seen = both(pair, scenario)
    assert seen[-4] == b"OK" and seen[-1] == b"PONG"


def test_pipelined_requests_each_get_busy(pair: tuple[ServerProcess, ServerProcess]) -> None:
    def scenario(server: ServerProcess) -> Any:
        client = server.client()
        busy = Busy(server, "EVAL", SPIN, 0)
        pipe = client.pipeline(transaction=False)
        for i in range(5):
            pipe.set(f"k{i}", i)
        replies = [str(x) for x in pipe.execute(raise_on_error=False)]
        reply_of(client, "SCRIPT", "KILL")
        busy.result()
        replies.append(reply_of(client, "EXISTS", "k0"))
        client.close()
        return replies

    both(pair, scenario)


def test_a_script_that_wrote_cannot_be_killed(pair: tuple[ServerProcess, ServerProcess]) -> None:
    # It writes, then spins for a second by the server's clock and ends by itself.
    script = ("redis.call('SET', 'w', '1') local t = redis.call('TIME') "
              "local stop = t[1] * 1000000 + t[2] + 1000000 "
              "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] > stop return 'done'")

    def scenario(server: ServerProcess) -> Any:
        client = server.client()
        busy = Busy(server, "EVAL", script, 0)
        seen = [reply_of(client, "SCRIPT", "KILL"), reply_of(client, "FUNCTION", "KILL"),
                reply_of(client, "GET", "w"), busy.result(), reply_of(client, "GET", "w")]
        client.close()
        return seen

    assert both(pair, scenario)[-2:] == [b"done", b"1"]


@pytest.mark.parametrize("fcall", ["FCALL", "FCALL_RO"])
def test_kill_a_busy_function(pair: tuple[ServerProcess, ServerProcess], fcall: str) -> None:
    def scenario(server: ServerProcess) -> Any:
        client = server.client()
        reply_of(client, "FUNCTION", "LOAD", "REPLACE", LIBRARY)
        name = "spin" if fcall == "FCALL" else "spin_ro"
        busy = Busy(server, fcall, name, 0)
        stats = reply_of(client, "FUNCTION", "STATS")
        running = dict(zip(stats[1][::2], stats[1][1::2]))
        assert running.pop(b"duration_ms") >= int(THRESHOLD)
        seen = [running, stats[2:], reply_of(client, "PING"), reply_of(client, "SCRIPT", "KILL"),
                reply_of(client, "FUNCTION", "KILL"), busy.result(),
                reply_of(client, "FUNCTION", "STATS"), reply_of(client, "FUNCTION", "KILL")]
        reply_of(client, "FUNCTION", "FLUSH")
        client.close()
        return seen

    both(pair, scenario)


@pytest.mark.parametrize("script", [
    "while true do pcall(function() " + SPIN + " end) end",  # pcall cannot catch the kill
    "local co = coroutine.wrap(function() " + SPIN + " end) co()",
    "local co = coroutine.create(function() " + SPIN + " end) return coroutine.resume(co)",
])
def test_kill_reaches_every_loop(pair: tuple[ServerProcess, ServerProcess], script: str) -> None:
    def scenario(server: ServerProcess) -> Any:
        client = server.client()
        busy = Busy(server, "EVAL", script, 0)
        seen = [reply_of(client, "SCRIPT", "KILL"), busy.result(), reply_of(client, "PING")]
        client.close()
        return seen

    both(pair, scenario)


def test_shutdown_nosave_ends_a_busy_script() -> None:
    server = start_slotkv("--busy-reply-threshold", THRESHOLD)
    try:
        busy = Busy(server, "EVAL", SPIN, 0)
        client = server.client()
        assert reply_of(client, "SHUTDOWN")[0] == "error"
        with pytest.raises(redis.ConnectionError):
            client.execute_command("SHUTDOWN", "NOSAVE")
        busy.result()
        server.proc.wait(10)
    finally:
        server.stop()


def test_sigterm_waits_for_a_busy_script(start_node: Callable[..., ServerProcess],
                                         start_oracle: Callable[..., ServerProcess]) -> None:
    """Redis 7.0 only schedules the shutdown on SIGTERM (serverCron acts on it): the script
    goes on, the other clients still get -BUSY, and once the script is killed the server shuts
    down as SHUTDOWN does, saving on its save points, with exit code 0."""
    def scenario(start: Callable[..., ServerProcess]) -> Any:
        server = start("--busy-reply-threshold", THRESHOLD, "--save", "3600 1")
        client = server.client()
        client.set("k", "v")
        busy = Busy(server, "EVAL", SPIN, 0)
        os.kill(server.pid, signal.SIGTERM)  # (a process this test started)
        time.sleep(0.5)
        # Announced at once, acted on once the script ends.
        seen: list[Any] = [server.alive(), "Received SIGTERM scheduling shutdown..." in server.log(),
                           reply_of(client, "PING"), reply_of(client, "SCRIPT", "KILL")]
        wait_until(lambda: not server.alive(), timeout=5, what="the server to exit")
        busy.thread.join(5)
        log = server.log()
        seen += [server.proc.returncode, "Received SIGTERM scheduling shutdown..." in log,
                 "Lua script killed by user with SCRIPT KILL." in log, "DB saved on disk" in log]
        client.close()
        return seen

    mine, theirs = scenario(start_node), scenario(start_oracle)
    assert mine == theirs
    assert mine[:2] == [True, True] and mine[-4:] == [0, True, True, True]


def test_a_second_sigint_exits_at_once(start_node: Callable[..., ServerProcess],
                                       start_oracle: Callable[..., ServerProcess]) -> None:
    """A SIGINT after a shutdown signal that is still pending (here behind a busy script) is
    the user insisting: exit 1 at once, without saving (sigShutdownHandler)."""
    def scenario(start: Callable[..., ServerProcess]) -> Any:
        server = start("--busy-reply-threshold", THRESHOLD, "--save", "3600 1")
        server.client().set("k", "v")
        busy = Busy(server, "EVAL", SPIN, 0)
        os.kill(server.pid, signal.SIGTERM)  # (processes this test started)
        time.sleep(0.3)
        os.kill(server.pid, signal.SIGINT)
        wait_until(lambda: not server.alive(), timeout=5, what="the server to exit")
        busy.thread.join(5)
        log = server.log()
        return [server.proc.returncode, "You insist... exiting now." in log,
                "DB saved on disk" in log]

    mine, theirs = scenario(start_node), scenario(start_oracle)
    assert mine == theirs == [1, True, False]
