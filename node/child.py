"""A forked child that writes a snapshot of the dataset while the parent keeps serving.

BGSAVE and the AOF rewrite work as in Redis: `fork()` gives the child a copy-on-write image
of the whole keyspace at one instant, the child writes it out and exits, and the event loop
in the parent never waits on the disk. Only one child runs at a time (Redis's
`hasActiveChildProcess`); callers check `Children.busy` and refuse or schedule.

The parent learns of the child's exit at once through a pidfd watched by the event loop
(Linux >= 5.3), and otherwise from the cron's `poll`. The cyclic garbage collector is frozen
around the fork and disabled in the child: its traversals would touch every object and
turn copy-on-write into copy-everything.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
import traceback
from dataclasses import dataclass
from typing import Callable

from node.log import log

# Exit codes of a child: 0 done, 1 failed (its error is logged by the child itself).
_FAILED = 1


@dataclass
class ChildResult:
    kind: str  # "rdb" | "aof" | whatever the starter named it
    ok: bool
    seconds: float  # wall time from fork to exit
    signaled: bool  # killed by a signal (e.g. SIGUSR1 for BGSAVE CANCEL, or SIGKILL)
    signal: int = 0  # which one, when signaled


class Children:
    """At most one forked child of a server, and what to do when it exits."""

    def __init__(self) -> None:
        self.pid = 0
        self.kind = ""
        self.started = 0.0  # time.monotonic() of the fork
        self.fork_usec = 0  # how long the last fork() took in the parent (INFO latest_fork_usec)
        self._done: Callable[[ChildResult], None] | None = None
        self._pidfd = -1
        # Hooks run in the child right after fork (close listening sockets, and so on).
        self.in_child: list[Callable[[], None]] = []

    @property
    def busy(self) -> bool:
        return self.pid != 0

    def start(self, kind: str, work: Callable[[], None],
              done: Callable[[ChildResult], None]) -> int:
        """Fork; the child runs `work()` and exits 0, or logs its exception and exits 1.

        `done(result)` runs in the parent when the child has exited. Returns the child's pid.
        Raises OSError if fork fails (the caller reports it, as Redis's "Can't save in
        background: fork: ...").
        """
        if self.pid:
            raise RuntimeError(f"a {self.kind} child is already running")
        gc.collect(0)
        gc.freeze()
        t0 = time.perf_counter_ns()
        try:
            pid = os.fork()
        except OSError:
            gc.unfreeze()
            raise
        if pid == 0:  # the child: never returns
            code = _FAILED
            try:
                gc.disable()
                log.role = "C"
                for hook in self.in_child:
                    hook()
                work()
                code = 0
            except BaseException:
                try:
                    log("warning", f"Background {kind} child failed: "
                        + "".join(traceback.format_exc()).rstrip())
                except BaseException:
                    pass
            finally:
                os._exit(code)
        self.fork_usec = (time.perf_counter_ns() - t0) // 1000
        gc.unfreeze()
        self.pid = pid
        self.kind = kind
        self.started = time.monotonic()
        self._done = done
        self._watch(pid)
        return pid

    def _watch(self, pid: int) -> None:
        try:
            self._pidfd = os.pidfd_open(pid)
            asyncio.get_running_loop().add_reader(self._pidfd, self.poll)
        except (AttributeError, OSError, RuntimeError):
            self._pidfd = -1  # the cron's poll() notices the exit instead

    def poll(self) -> None:
        """Reap the child if it has exited (called by the event loop and by the cron)."""
        if not self.pid:
            return
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = self.pid, 1 << 8  # already reaped elsewhere: count it as failed
        if pid == 0:
            return
        self._finish(status)

    def kill(self, sig: int) -> None:
        """Stop the running child (BGSAVE CANCEL, SHUTDOWN) and reap it now."""
        if not self.pid:
            return
        try:
            os.kill(self.pid, sig)
            _, status = os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            status = sig
        self._finish(status)

    def _finish(self, status: int) -> None:
        if self._pidfd >= 0:
            try:
                asyncio.get_running_loop().remove_reader(self._pidfd)
            except RuntimeError:
                pass
            os.close(self._pidfd)
            self._pidfd = -1
        signaled = os.WIFSIGNALED(status)
        ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        result = ChildResult(self.kind, ok, time.monotonic() - self.started, signaled,
                             os.WTERMSIG(status) if signaled else 0)
        done = self._done
        self.pid = 0
        self.kind = ""
        self._done = None
        if done is not None:
            done(result)
