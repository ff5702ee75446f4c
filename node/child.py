"""A forked child that writes a snapshot of the dataset while the parent keeps serving.

BGSAVE and the AOF rewrite work as in Redis: `fork()` gives the child a copy-on-write image
of the whole keyspace at one instant, the child writes it out and exits, and the event loop
in the parent never waits on the disk. Only one child runs at a time (Redis's
`hasActiveChildProcess`); callers check `Children.busy` and refuse or schedule.

The parent learns of the child's exit at once through a pidfd watched by the event loop
(Linux >= 5.3), and otherwise from the cron's `poll`. The cyclic garbage collector is frozen
around the fork and disabled in the child: its traversals would touch every object and
turn copy-on-write into copy-everything.

While it works, a child reports its progress (keys written) and its copy-on-write size
through a non-blocking pipe (`Children.report`, as Redis's sendChildInfo), which the parent
reads when asked (`Children.progress`, for INFO's current_* fields) and once more at the exit.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
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
    signal: int = 0  # which one
    pid: int = 0
    cow_size: int = 0  # the child's private dirty memory when it last reported


@dataclass
class Progress:
    """What the running child last reported (INFO's current_* fields)."""

    keys_processed: int = 0
    keys_total: int = 0  # set by the starter: the keys the child has to go through
    cow_size: int = 0
    cow_peak: int = 0
    cow_updated: float = 0.0  # time.monotonic() of the last report; 0: none yet


def private_dirty() -> int:
    """This process's private dirty memory in bytes (Redis's zmalloc_get_private_dirty):
    in a forked child, the pages copy-on-write has duplicated so far."""
    try:
        with open("/proc/self/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class Children:
    """At most one forked child of a server, and what to do when it exits."""

    def __init__(self) -> None:
        self.pid = 0
        self.kind = ""
        self.started = 0.0  # time.monotonic() of the fork
        self.fork_usec = 0  # how long the last fork() took in the parent (INFO latest_fork_usec)
        self.forks = 0  # INFO total_forks
        self._done: Callable[[ChildResult], None] | None = None
        self._pidfd = -1
        # Hooks run in the child right after fork (close listening sockets, and so on).
        self.in_child: list[Callable[[], None]] = []
        self.progress = Progress()
        self._info_r = -1  # the parent's end of the progress pipe
        self._info_w = -1  # the child's end
        self._reported = 0.0  # in the child: when it last reported

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
        info_r, info_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        gc.collect(0)
        gc.freeze()
        t0 = time.perf_counter_ns()
        try:
            pid = os.fork()
        except OSError:
            gc.unfreeze()
            os.close(info_r)
            os.close(info_w)
            raise
        if pid == 0:  # the child: never returns
            code = _FAILED
            try:
                gc.disable()
                # The parent's signal handling is not the child's: a SIGTERM sent to the child
                # must end it, not wake the parent's loop through the shared wakeup fd.
                signal.set_wakeup_fd(-1)
                for sig in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(sig, signal.SIG_DFL)
                os.close(info_r)
                self._info_w = info_w
                self._reported = 0.0  # the first report goes out at once
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
        self.forks += 1
        gc.unfreeze()
        os.close(info_w)
        self._info_r = info_r
        self.progress = Progress()
        self.pid = pid
        self.kind = kind
        self.started = time.monotonic()
        self._done = done
        self._watch(pid)
        return pid

    # -- progress --------------------------------------------------------------------------

    def report(self, keys_processed: int, final: bool = False) -> None:
        """In the child: tell the parent how far it got, at most once a second unless
        `final` (with the copy-on-write size, which costs a read of /proc)."""
        if self._info_w < 0:
            return
        now = time.monotonic()
        if not final and now - self._reported < 1.0:
            return
        self._reported = now
        try:
            os.write(self._info_w, b"%d %d\n" % (keys_processed, private_dirty()))
        except OSError:
            pass  # a full pipe (the parent is not reading): this report is dropped

    def read_progress(self) -> Progress:
        """In the parent: the latest report of the running child (reading the pipe)."""
        if self._info_r >= 0:
            data = b""
            try:
                while True:
                    chunk = os.read(self._info_r, 65536)
                    if not chunk:
                        break
                    data += chunk
            except (BlockingIOError, OSError):
                pass
            lines = data.split(b"\n")
            for line in lines:
                try:
                    keys, cow = map(int, line.split())
                except ValueError:
                    continue
                p = self.progress
                p.keys_processed = keys
                p.cow_size = cow
                p.cow_peak = max(p.cow_peak, cow)
                p.cow_updated = time.monotonic()
        return self.progress

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
        progress = self.read_progress()
        if self._info_r >= 0:
            os.close(self._info_r)
            self._info_r = -1
        result = ChildResult(self.kind, ok, time.monotonic() - self.started, signaled,
                             os.WTERMSIG(status) if signaled else 0, self.pid,
                             progress.cow_size)
        done = self._done
        self.pid = 0
        self.kind = ""
        self._done = None
        if done is not None:
            done(result)
