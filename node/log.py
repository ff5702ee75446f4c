"""Redis-style log lines: `pid:M 22 Nov 2026 00:41:18.123 * message`.

The role letter is M (primary), S (replica) or C (child); the level marks are Redis's
(`.` debug, `-` verbose, `*` notice, `#` warning). Output goes to stderr or `logfile`.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

LEVELS = {"debug": 0, "verbose": 1, "notice": 2, "warning": 3}
MARKS = ".-*#"


class Log:
    def __init__(self) -> None:
        self.level = LEVELS["notice"]
        self.role = "M"
        self.stream: TextIO = sys.stderr

    def configure(self, level: str | None = None, logfile: str | None = None) -> None:
        if level is not None:
            self.level = LEVELS[level]
        if logfile:
            self.stream = open(logfile, "a", buffering=1)

    def __call__(self, level: str, message: str) -> None:
        n = LEVELS[level]
        if n < self.level:
            return
        now = time.time()
        stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(now))
        ms = int(now * 1000) % 1000
        line = f"{os.getpid()}:{self.role} {stamp}.{ms:03d} {MARKS[n]} {message}\n"
        # Client bytes reach messages decoded with surrogateescape; show them escaped.
        line = line.encode("utf-8", "backslashreplace").decode("utf-8")
        try:
            self.stream.write(line)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # a closed or full log must never take the server down


log = Log()
