"""Background I/O jobs (Redis's bio.c): fsync, close and unlink off the event loop.

One daemon thread runs the jobs in the order they were queued, so an fsync queued before a
close of the same descriptor always runs first, and a descriptor number is never reused
while a job still refers to it (the close is the job's last step). `os.fsync` and friends
release the GIL, so the event loop keeps serving while the disk works.

Counters are written by one thread each (`queued` by the loop, `done` by the worker), so
`pending(kind)` needs no lock.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import Callable

from node.log import log

FSYNC, CLOSE, UNLINK = "fsync", "close", "unlink"


class Bio:
    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.queued = {FSYNC: 0, CLOSE: 0, UNLINK: 0}
        self.done = {FSYNC: 0, CLOSE: 0, UNLINK: 0}
        self.fsync_error: str | None = None  # the last failed fsync's reason, until cleared

    def pending(self, kind: str) -> int:
        return self.queued[kind] - self.done[kind]

    def _submit(self, kind: str, job: tuple) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="slotkv-bio", daemon=True)
            self._thread.start()
        self.queued[kind] += 1
        self._jobs.put((kind, job))

    def fsync(self, fd: int, then: Callable[[], None] | None = None) -> None:
        """fsync `fd`, then call `then()` in the worker thread (it must only assign)."""
        self._submit(FSYNC, (fd, then))

    def close(self, fd: int, fsync_first: bool) -> None:
        self._submit(CLOSE, (fd, fsync_first))

    def unlink(self, path: str) -> None:
        self._submit(UNLINK, (path,))

    def drain(self) -> None:
        """Wait until every queued job ran (shutdown, tests)."""
        if self._thread is None:
            return
        done = threading.Event()
        self._jobs.put(("barrier", (done,)))
        done.wait()

    def _run(self) -> None:
        while True:
            kind, job = self._jobs.get()
            try:
                if kind == FSYNC:
                    fd, then = job
                    try:
                        os.fdatasync(fd)
                        self.fsync_error = None
                        if then is not None:
                            then()
                    except OSError as e:
                        # EBADF/EINVAL: the file went away under us (closed at shutdown).
                        self.fsync_error = e.strerror or str(e)
                        log("warning", f"Fail to fsync the AOF file: {self.fsync_error}")
                elif kind == CLOSE:
                    fd, fsync_first = job
                    if fsync_first:
                        try:
                            os.fdatasync(fd)
                        except OSError:
                            pass
                    try:
                        os.close(fd)
                    except OSError:
                        pass
                elif kind == UNLINK:
                    try:
                        os.unlink(job[0])
                    except OSError:
                        pass
                else:
                    job[0].set()
                    continue
            finally:
                if kind in self.done:
                    self.done[kind] += 1
