#!/usr/bin/env python3
"""Sorted sets stay O(log n): time per ZADD/ZRANGE/ZRANK at 1k and 1M members, slotkv and redis.

For each size it builds one sorted set of that many members (pipelined multi-member ZADDs),
then times batches of single operations sent as pipelines of `--batch` commands over a raw
socket (requests encoded before the clock starts):
ZADD of a new member, ZADD moving an existing member, ZRANGE of 10 members at a random rank,
ZRANGEBYSCORE ... LIMIT 0 10 at a random score, ZRANK of a random member, ZREM of a member.
The figure is wall time per operation (round trips amortized over the batch); what matters
is how it grows from 1k to 1M members: about flat for O(log n), a thousandfold for O(n).

    python3 bench/zset_scale.py                  # 1k and 1M members
    python3 bench/zset_scale.py --sizes 1000,100000 --ops 5000

Servers are started and stopped as in compare.py (pinned to CPU 0, this script on CPU 1).
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sys
import time
from typing import Callable

import hiredis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import CLIENT_CPU, SERVERS, Pinning, ServerPair, progress  # noqa: E402

KEY = b"bench:zset"
# name -> the argv of one operation, given an RNG and the set's size.
Op = Callable[[random.Random, int], list[list[bytes]]]


def _num(x: float) -> bytes:
    return repr(x).encode()


OPS: dict[str, Op] = {
    "zadd new": lambda rng, n: [[b"ZADD", KEY, _num(rng.random() * n),
                                 b"new:%d" % rng.getrandbits(64)]],
    "zadd move": lambda rng, n: [[b"ZADD", KEY, _num(rng.random() * n), b"m:%d" % rng.randrange(n)]],
    "zrange 10 at rank": lambda rng, n: [[b"ZRANGE", KEY, b"%d" % (i := rng.randrange(n)),
                                          b"%d" % (i + 9)]],
    "zrangebyscore limit 10": lambda rng, n: [[b"ZRANGEBYSCORE", KEY, _num(rng.random() * n),
                                               b"+inf", b"LIMIT", b"0", b"10"]],
    "zrank": lambda rng, n: [[b"ZRANK", KEY, b"m:%d" % rng.randrange(n)]],
    "zrem + zadd": lambda rng, n: [[b"ZREM", KEY, b"m:%d" % (i := rng.randrange(n))],
                                   [b"ZADD", KEY, b"%d" % i, b"m:%d" % i]],
}


def encode(argv: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in argv)


class Connection:
    """A raw RESP connection: requests are encoded before the clock starts, so the figure is
    the server's, not a client library's."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=600)
        self.reader = hiredis.Reader()

    def pipeline(self, payload: bytes, replies: int) -> list:
        self.sock.sendall(payload)
        out: list = []
        while len(out) < replies:
            reply = self.reader.gets()
            if reply is False:
                self.reader.feed(self.sock.recv(1 << 20))
            elif isinstance(reply, hiredis.ReplyError):
                raise RuntimeError(str(reply))
            else:
                out.append(reply)
        return out

    def close(self) -> None:
        self.sock.close()


def fill(conn: Connection, size: int, chunk: int = 1000) -> None:
    commands = [[b"DEL", KEY]]
    for start in range(0, size, chunk):
        argv = [b"ZADD", KEY]
        for i in range(start, min(size, start + chunk)):
            argv += [b"%d" % i, b"m:%d" % i]
        commands.append(argv)
    for first in range(0, len(commands), 50):
        batch = commands[first:first + 50]
        conn.pipeline(b"".join(map(encode, batch)), len(batch))
    assert conn.pipeline(encode([b"ZCARD", KEY]), 1) == [size]


def time_op(conn: Connection, op: Op, size: int, ops: int, batch: int) -> float:
    """Microseconds per operation over `ops` operations."""
    rng = random.Random(42)
    elapsed = 0.0
    done = 0
    while done < ops:
        n = min(batch, ops - done)
        commands = [argv for _ in range(n) for argv in op(rng, size)]
        payload = b"".join(map(encode, commands))
        t0 = time.perf_counter()
        conn.pipeline(payload, len(commands))
        elapsed += time.perf_counter() - t0
        done += n
    return elapsed / ops * 1e6


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/zset_scale.py", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000,1000000", help="members, comma-separated")
    p.add_argument("--ops", type=int, default=20000, help="operations timed per figure")
    p.add_argument("--batch", type=int, default=100, help="commands per pipeline")
    p.add_argument("--no-pin", action="store_true")
    opts = p.parse_args(argv)
    sizes = [int(s) for s in opts.sizes.split(",")]
    pinning = Pinning(not opts.no_pin)
    if pinning.enabled:
        os.sched_setaffinity(0, {CLIENT_CPU})
    results: dict[tuple[str, str, int], float] = {}
    with ServerPair(pinning) as servers:
        for name in SERVERS:
            conn = Connection(servers[name].port)
            for size in sizes:
                t0 = time.monotonic()
                fill(conn, size)
                progress(f"{name}: {size:,} members loaded in {time.monotonic() - t0:.1f} s")
                for label, op in OPS.items():
                    results[(name, label, size)] = time_op(conn, op, size, opts.ops, opts.batch)
            conn.close()
    print(f"time per operation in microseconds ({pinning.note}; pipelines of {opts.batch})")
    head = ["operation"] + [f"{n} {s:,}" for n in SERVERS for s in sizes]
    head += [f"{n} {sizes[-1]:,}/{sizes[0]:,}" for n in SERVERS]
    rows = [head]
    for label in OPS:
        row = [label] + [f"{results[(n, label, s)]:.1f}" for n in SERVERS for s in sizes]
        row += [f"{results[(n, label, sizes[-1])] / results[(n, label, sizes[0])]:.2f}x"
                for n in SERVERS]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for r in rows:
        print("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
