"""What kill -9 costs under each appendfsync policy: acknowledged writes lost, measured.

A writer sends INCRs of one counter and SETs of distinct keys, one by one and in pipelines
of up to 64, and records every reply it gets (a reply is an acknowledgement) and when. At a
random moment the node is SIGKILLed; it restarts from its AOF and the script counts the
acknowledged SETs (and INCRs) that are missing. Run by hand:

    python3 bench/aof_crash.py                       # always and everysec, 10 kills each
    python3 bench/aof_crash.py --policies everysec --kills 30 --duration 2 5

SIGKILL leaves what was written in the page cache, so this measures the server's promise
(replies only after the write under `always`; under `everysec` only bytes still in the AOF
buffer can go, a write postponed behind a slow fsync), not a power cut, which would also lose
the last second of unfsynced writes under `everysec`.

tests/test_aof_crash.py uses the writer and the loss count defined here.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

import hiredis
import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Pinning, Server, start_slotkv  # noqa: E402


@dataclass
class Acked:
    counter: int = 0  # the highest INCR reply received
    sent_incrs: int = 0
    keys: list[bytes] = field(default_factory=list)  # SETs whose +OK was received
    times: list[float] = field(default_factory=list)  # when each of those came back
    killed_at: float = 0.0


def writer(port: int, tag: str, acked: Acked, stop: threading.Event, pace: float = 0.0) -> None:
    """Write until the connection dies (a batch, then `pace` seconds of rest); every reply
    received is recorded as acknowledged."""
    reader = hiredis.Reader()
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return
    i = 0
    try:
        while not stop.is_set():
            batch = 1 if random.random() < 0.5 else random.randint(2, 64)
            cmds = []
            for _ in range(batch):
                if i % 2:
                    cmds.append((b"INCR", b"counter"))
                else:
                    cmds.append((b"SET", b"%s:%d" % (tag.encode(), i), b"%d" % i))
                i += 1
            sock.sendall(b"".join(hiredis.pack_command(c) for c in cmds))
            acked.sent_incrs += sum(1 for c in cmds if c[0] == b"INCR")
            got = 0
            while got < len(cmds):
                data = sock.recv(1 << 16)
                if not data:
                    return
                reader.feed(data)
                while (reply := reader.gets()) is not False:
                    cmd = cmds[got]
                    got += 1
                    if cmd[0] == b"INCR":
                        acked.counter = max(acked.counter, reply)
                    elif reply == b"OK":
                        acked.keys.append(cmd[1])
                        acked.times.append(time.monotonic())
            if pace:
                time.sleep(pace)
    except OSError:
        return
    finally:
        sock.close()


def write_then_kill(port: int, pid: int, tag: str, duration: tuple[float, float],
                    pace: float = 0.0) -> Acked:
    """Write for a random time within `duration`, then SIGKILL `pid`: what was acknowledged."""
    acked = Acked()
    stop = threading.Event()
    t = threading.Thread(target=writer, args=(port, tag, acked, stop, pace))
    t.start()
    time.sleep(random.uniform(*duration))
    acked.killed_at = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    t.join(10)
    stop.set()
    return acked


def lost(port: int, acked: Acked) -> tuple[list[int], int]:
    """(indexes into acked.keys of the keys missing, acked INCRs missing) after a restart."""
    r = redis.Redis(host="127.0.0.1", port=port, protocol=2)
    try:
        gone = []
        for i in range(0, len(acked.keys), 500):
            values = r.mget(acked.keys[i:i + 500])
            gone.extend(i + j for j, v in enumerate(values) if v is None)
        counter = int(r.get("counter") or 0)
        return gone, max(acked.counter - counter, 0)
    finally:
        r.close()


def run_policy(policy: str, kills: int, duration: tuple[float, float]) -> dict:
    workdir = tempfile.mkdtemp(prefix=f"aof-crash-{policy}-")
    pinning = Pinning(False)
    flags = ["--appendonly", "yes", "--appendfsync", policy]
    node: Server | None = start_slotkv(pinning, workdir, flags)
    lost_keys, acked_keys, lost_incrs, windows = [], [], [], []
    try:
        for k in range(kills):
            assert node is not None
            acked = write_then_kill(node.port, node.pid, f"r{k}", duration)
            node.proc.wait(10)
            node.stop()
            node = start_slotkv(pinning, workdir, flags)  # a new port; the same directory
            gone, incrs = lost(node.port, acked)
            lost_keys.append(len(gone))
            acked_keys.append(len(acked.keys))
            lost_incrs.append(incrs)
            if gone:  # how far back from the kill the oldest lost write had been acknowledged
                windows.append(acked.killed_at - min(acked.times[i] for i in gone))
            r = redis.Redis(host="127.0.0.1", port=node.port)
            r.flushall()
            r.close()
            print(f"{policy} kill {k + 1}/{kills}: {len(gone)} of {len(acked.keys)} acked SETs "
                  f"lost, {incrs} acked INCRs lost", file=sys.stderr, flush=True)
    finally:
        if node is not None:
            node.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return {"policy": policy, "kills": kills, "acked": sum(acked_keys),
            "lost": sum(lost_keys), "lost_incrs": sum(lost_incrs),
            "worst": max(lost_keys), "window": max(windows) if windows else 0.0,
            "per_kill": statistics.mean(lost_keys)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/aof_crash.py", description=__doc__.split("\n")[0])
    p.add_argument("--policies", default="always,everysec")
    p.add_argument("--kills", type=int, default=10, help="kill points per policy (default 10)")
    p.add_argument("--duration", type=float, nargs=2, default=(0.5, 3.0), metavar=("MIN", "MAX"),
                   help="seconds of writing before each kill, drawn uniformly (default 0.5 3)")
    opts = p.parse_args(argv)
    print("policy    kills  acked SETs  lost  lost INCRs  worst kill  oldest lost ack")
    for policy in opts.policies.split(","):
        s = run_policy(policy.strip(), opts.kills, tuple(opts.duration))
        print(f"{s['policy']:<9} {s['kills']:>5}  {s['acked']:>10,}  {s['lost']:>4}  "
              f"{s['lost_incrs']:>10}  {s['worst']:>10}  {s['window']:>13.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
