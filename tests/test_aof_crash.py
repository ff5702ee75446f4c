"""kill -9 at random moments: with appendfsync always, no acknowledged write is ever lost.

A writer sends INCRs of one counter and SETs of distinct keys, one by one and in pipelines,
recording every reply it gets (a reply is an acknowledgement). At a random moment the node is
SIGKILLed; it restarts from its AOF and must hold every acknowledged write: each acked SET
key, and the counter at least at its highest acked value (and at most at what was sent).
One node is killed and restarted at 20 random points under `always`; under `everysec` the
loss is measured (bench/aof_crash.py measures it at length) and must stay within what
the last couple of seconds of writes could be.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import threading
import time
from dataclasses import dataclass, field

import hiredis

from aofhelp import kill9
from conftest import ServerProcess, start_slotkv

KILL_POINTS = int(os.environ.get("AOF_KILL_POINTS", "20"))


@dataclass
class Acked:
    counter: int = 0  # the highest INCR reply received
    sent_incrs: int = 0
    keys: list[bytes] = field(default_factory=list)  # SETs whose +OK was received
    times: list[float] = field(default_factory=list)  # when each of those came back
    killed_at: float = 0.0


def writer(port: int, tag: str, acked: Acked, stop: threading.Event) -> None:
    """Write until the connection dies; every reply received is recorded as acknowledged."""
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
    except OSError:
        return
    finally:
        sock.close()


def crash_round(node: ServerProcess, tag: str, before: int,
                duration: tuple[float, float] = (0.05, 0.35)) -> tuple[Acked, ServerProcess]:
    """Write, SIGKILL at a random moment, restart; what was acknowledged, and the new node."""
    acked = Acked(counter=before)
    stop = threading.Event()
    t = threading.Thread(target=writer, args=(node.port, tag, acked, stop))
    t.start()
    time.sleep(random.uniform(*duration))
    acked.killed_at = time.monotonic()
    os.kill(node.pid, signal.SIGKILL)
    t.join(10)
    stop.set()
    kill9(node)
    args = node.proc.args[node.proc.args.index("node") + 1:-4]  # the same settings
    return acked, start_slotkv(*args, workdir=node.workdir, port=node.port)


def lost(node: ServerProcess, acked: Acked) -> tuple[list[int], int]:
    """(indexes into acked.keys of the keys missing, acked INCRs missing) after the restart."""
    r = node.client()
    try:
        gone = []
        for i in range(0, len(acked.keys), 500):
            values = r.mget(acked.keys[i:i + 500])
            gone.extend(i + j for j, v in enumerate(values) if v is None)
        counter = int(r.get("counter") or 0)
        return gone, max(acked.counter - counter, 0)
    finally:
        r.close()


def test_always_loses_no_acknowledged_write() -> None:
    node = start_slotkv("--appendonly", "yes", "--appendfsync", "always")
    total_keys = 0
    try:
        for point in range(KILL_POINTS):
            acked, node = crash_round(node, f"k{point}", 0)
            gone, incrs = lost(node, acked)
            assert (len(gone), incrs) == (0, 0), \
                f"kill point {point}: lost {len(gone)} of {len(acked.keys)} keys, {incrs} INCRs"
            r = node.client()
            counter = int(r.get("counter") or 0)
            assert acked.counter <= counter <= acked.counter + acked.sent_incrs
            total_keys += len(acked.keys)
            # Start the next round from an empty AOF, rewritten while it writes (so some kills
            # land during a rewrite).
            r.flushall()
            r.bgrewriteaof()
            r.close()
        assert total_keys > KILL_POINTS  # the writer did get acknowledgements
        assert "DB loaded from append only file" in node.log()
    finally:
        node.stop()


def test_everysec_loss_is_bounded() -> None:
    """SIGKILL leaves written bytes in the page cache, so under everysec only what waited in
    the AOF buffer can go (a write postponed behind a slow fsync): writes acknowledged in the
    last 2 seconds before the kill at most. The round writes for longer than that."""
    node = start_slotkv("--appendonly", "yes", "--appendfsync", "everysec")
    try:
        acked, node = crash_round(node, "e", 0, duration=(3.0, 3.2))
        gone, _ = lost(node, acked)
        assert acked.times and acked.times[0] < acked.killed_at - 2.5
        late = [acked.times[i] for i in gone if acked.times[i] < acked.killed_at - 2.5]
        assert not late, f"{len(late)} writes acknowledged over 2.5 s before the kill are lost"
        print(f"everysec: {len(gone)} of {len(acked.keys)} acknowledged SETs lost")
    finally:
        node.stop()
