"""Scripts of commands over several raw connections, run on redis-server and on a node, with
the replies compared byte for byte.

A script is a list of steps, each a command sent on one of several named connections (or
READ: what the connection was pushed meanwhile). It runs on the oracle first, which gives how
many replies each step brings; then on the node, reading the same number of replies per step,
so a busy node is waited for and nothing depends on timing. CLIENT INFO lines keep only the
fields a script can decide, and HELLO's client id is masked; a `ClientId("name")` argument
stands for the id of that connection on the server the script runs on, and such an id in a
reply (CLIENT TRACKINGINFO's redirect) reads `ID(name)`.
"""

from __future__ import annotations

import re
import select
import socket
import time
from dataclasses import dataclass

import hiredis

from conftest import ServerProcess
from node.codec import encode_request

READ = ("READ",)  # a step that only reads what the connection was pushed
QUIET = 0.05  # the oracle is done with a step after this long without a byte
PATIENCE = 10.0  # how long the node may take for a reply the oracle gave

Step = tuple[str, tuple]


def _replies(sock: socket.socket, count: int | None) -> bytes:
    """Read `count` whole replies (None: until QUIET seconds pass without data)."""
    reader = hiredis.Reader()
    data = b""
    got = 0
    deadline = time.monotonic() + PATIENCE
    while (count is None or got < count) and time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], QUIET if count is None else 0.1)
        if not ready:
            if count is None:
                break
            continue
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        data += chunk
        reader.feed(chunk)
        while reader.gets() is not False:
            got += 1
    return data


def _count(data: bytes) -> int:
    reader = hiredis.Reader()
    reader.feed(data)
    n = 0
    while reader.gets() is not False:
        n += 1
    return n


@dataclass(frozen=True)
class ClientId:
    """An argument standing for the client id of the script's connection `name`."""

    name: str


def run_script(port: int, script: list[Step], counts: list[int] | None = None,
               ids: dict[str, bytes] | None = None) -> list[bytes]:
    """Each step's replies; with `counts`, read that many per step, else until quiet. `ids`
    is filled with each connection's client id."""
    conns: dict[str, socket.socket] = {}
    ids = {} if ids is None else ids

    def connection(name: str) -> socket.socket:
        sock = conns.get(name)
        if sock is None:
            sock = conns[name] = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(encode_request([b"CLIENT", b"ID"]))
            reply = _replies(sock, 1)
            ids[name] = reply[1:reply.index(b"\r")]
        return sock

    out = []
    try:
        for i, (who, cmd) in enumerate(script):
            sock = connection(who)
            if cmd != READ:
                sock.sendall(encode_request([
                    ids[connection(a.name) and a.name] if isinstance(a, ClientId)
                    else str(a).encode() for a in cmd]))
            out.append(_replies(sock, None if counts is None else counts[i]))
    finally:
        for sock in conns.values():
            sock.close()
    return out


def _named_ids(data: bytes, ids: dict[str, bytes]) -> bytes:
    """The ids of the script's connections where a reply names a client (CLIENT TRACKING's
    redirect), as `ID(name)`: they differ between the two servers."""
    names = {v: k.encode() for k, v in ids.items()}
    return re.sub(rb"(redirect\r\n:|tracking-redir-broken\r\n:)(\d+)",
                  lambda m: m.group(1) + b"ID(" + names.get(m.group(2), m.group(2)) + b")",
                  data)


def _masked(data: bytes) -> bytes:
    # CLIENT INFO: keep what a script decides (flags, db, sub, psub, ssub, multi, cmd, redir,
    # resp); redir is kept only when it is not a client id.
    data = re.sub(rb"id=\d+ addr=\S+ laddr=\S+ fd=\d+ name=\S* age=\d+ idle=\d+ ", b"", data)
    data = re.sub(rb"redir=[1-9]\d* ", b"redir=ID ", data)
    data = re.sub(rb"qbuf=.* tot-mem=\d+ events=r ", b"", data)
    data = re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"", data)  # HELLO's client id
    return re.sub(rb"^(\$|=)\d+\r\n", b"", data)


def same_script(node: ServerProcess, oracle: ServerProcess, script: list[Step]) -> None:
    for server in (node, oracle):  # (the oracle is shared with other modules' tests)
        server.client().flushall()
    their_ids: dict[str, bytes] = {}
    my_ids: dict[str, bytes] = {}
    theirs = run_script(oracle.port, script, ids=their_ids)
    mine = run_script(node.port, script, [_count(t) for t in theirs], ids=my_ids)
    diffs = [f"{who} {' '.join(map(str, cmd))}:\n slotkv={m!r}\n redis ={t!r}"
             for (who, cmd), m, t in zip(script, mine, theirs)
             if _masked(_named_ids(m, my_ids)) != _masked(_named_ids(t, their_ids))]
    assert not diffs, "\n".join(diffs)
