"""Starting and stopping slotkv processes (nodes, the coordinator) from another process.

`Launched` is one child process: started with its output in a log file, waited for until it
answers on its port, and stopped by its PID (SIGTERM, then SIGKILL if it will not go), never
by name. `slotkv up` and the cluster tests start every process through here.

A child may get its own session, so a terminal's Ctrl-C reaches only the parent, which then
stops each child itself, in order; and it may be made to receive SIGTERM when its parent
dies (Linux's PR_SET_PDEATHSIG), so no process outlives a parent that was killed outright.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def python_argv(*args: str) -> list[str]:
    """argv that runs `slotkv <args>` with this interpreter and this source tree."""
    return [sys.executable, "-m", "ops.cli", *args]


def source_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a child running this source tree (PYTHONPATH first)."""
    path = os.environ.get("PYTHONPATH")
    env = dict(os.environ, PYTHONPATH=ROOT + (os.pathsep + path if path else ""))
    if extra:
        env.update(extra)
    return env


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Launched:
    """A child process on `port`, its output in `log_path`."""

    def __init__(self, name: str, argv: list[str], port: int, cwd: str, log_path: str,
                 env: dict[str, str] | None = None, own_session: bool = False,
                 die_with_parent: bool = True) -> None:
        self.name = name
        self.argv = argv
        self.port = port
        self.cwd = cwd
        self.log_path = log_path
        self.env = env if env is not None else source_env()
        self.own_session = own_session
        self.die_with_parent = die_with_parent
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> "Launched":
        os.makedirs(self.cwd, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=self.own_session,
                preexec_fn=_die_with_parent if self.die_with_parent else None)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float = 20.0, probe: bytes | None = b"PING\r\n") -> None:
        """Wait until the port accepts connections (and answers `probe`, if given)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited with {self.returncode()}:\n"
                                   f"{self.log_tail()}")
            if port_answers("127.0.0.1", self.port, probe):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not come up on port {self.port}:\n{self.log_tail()}")

    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    def signal(self, sig: int) -> None:
        if self.alive():
            os.kill(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL, and reap."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds; reaps the process."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()

    def log_tail(self, lines: int = 20) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""


def port_answers(host: str, port: int, probe: bytes | None = b"PING\r\n") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as s:
            if probe is None:
                return True
            s.sendall(probe)
            return bool(s.recv(64))
    except OSError:
        return False


def stop_all(processes: list[Launched], timeout: float = 10.0,
             report: Callable[[Launched], None] | None = None) -> None:
    """Stop every process, in order, each by its PID; one failing does not stop the rest."""
    for proc in processes:
        try:
            proc.stop(timeout)
        except Exception:
            pass
        if report is not None:
            report(proc)
