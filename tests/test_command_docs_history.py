"""COMMAND DOCS against redis-server's, whole: every field but the argument tree.

For every command slotkv registers, its COMMAND DOCS entry must equal the oracle's once
`arguments` is taken out (slotkv does not describe arguments; see the README): summary, since,
group, complexity, doc_flags, deprecated_since, replaced_by and history, with their values
word for word, the fields in Redis's order, and the reply types (a set is not an array in
RESP3), over RESP2 and RESP3; recursively for the subcommands slotkv registers. Replies are
read with a small typed reader, as redis-py reads RESP3 sets as lists.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest

from node.codec import encode_request

# Differences known and accepted, as (command, field): each says why. (None today.)
KNOWN: set[tuple[bytes, bytes]] = set()


class Reader:
    """Whole RESP2/RESP3 replies off a socket, keeping their types: ("map", [(k, v), ...]),
    ("set", [...]), ("array", [...]), ("status", b"..."), ("error", b"..."), bytes, int, None.
    """

    def __init__(self, port: int, protocol: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.call("HELLO", str(protocol))

    def close(self) -> None:
        self.sock.close()

    def call(self, *args: str | bytes) -> Any:
        self.sock.sendall(encode_request([a if isinstance(a, bytes) else a.encode() for a in args]))
        return self._read()

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _fill(self) -> None:
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("connection closed")
        self.buf += data

    def _read(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return ("status", rest)
        if kind == b"-":
            return ("error", rest)
        if kind == b":":
            return int(rest)
        if kind == b"_" or (kind in b"$*" and rest == b"-1"):
            return None
        if kind in (b"$", b"=", b"!"):
            size = int(rest)
            while len(self.buf) < size + 2:
                self._fill()
            data, self.buf = self.buf[:size], self.buf[size + 2:]
            return data
        if kind == b"%":
            return ("map", [(self._read(), self._read()) for _ in range(int(rest))])
        if kind in (b"*", b"~"):
            return ("array" if kind == b"*" else "set", [self._read() for _ in range(int(rest))])
        raise AssertionError(f"unexpected reply line {line!r}")


def as_map(reply: Any) -> list[tuple[Any, Any]]:
    """A map's pairs, in order: RESP3 sends a map, RESP2 a flat array."""
    kind, items = reply
    if kind == "map":
        return items
    assert kind == "array" and len(items) % 2 == 0, reply
    return list(zip(items[::2], items[1::2]))


def docs(reply: Any) -> tuple[list[tuple[bytes, Any]], dict[bytes, Any]]:
    """One command's docs: its fields in order without `arguments`, and its subcommands."""
    fields, subs = [], {}
    for key, value in as_map(reply):
        if key == b"subcommands":
            subs = dict(as_map(value))
        elif key != b"arguments":
            fields.append((key, value))
    return fields, subs


def compare(name: bytes, mine: Any, theirs: Any, out: list[str]) -> None:
    (mfields, msubs), (tfields, tsubs) = docs(mine), docs(theirs)
    m, t = dict(mfields), dict(tfields)
    for key in dict.fromkeys([*m, *t]):
        if (name, key) not in KNOWN and m.get(key) != t.get(key):
            out.append(f"{name.decode()}: {key.decode()}: slotkv={m.get(key)!r} redis={t.get(key)!r}")
    order = [k for k, _ in mfields if (name, k) not in KNOWN]
    if order != [k for k, _ in tfields if (name, k) not in KNOWN]:
        out.append(f"{name.decode()}: field order: slotkv={order} redis={[k for k, _ in tfields]}")
    for sub, doc in msubs.items():
        # A subcommand of a later Redis (CLUSTER MYSHARDID) is test_command_table's to check.
        if sub in tsubs:
            compare(sub, doc, tsubs[sub], out)


@pytest.mark.parametrize("protocol", [2, 3])
def test_command_docs_match_redis_but_for_arguments(node, oracle, protocol):
    mine, theirs = Reader(node.port, protocol), Reader(oracle.port, protocol)
    try:
        names = [n for n in mine.call("COMMAND", "LIST")[1] if b"|" not in n]
        mine_all = dict(as_map(mine.call("COMMAND", "DOCS", *names)))
        theirs_all = dict(as_map(theirs.call("COMMAND", "DOCS", *names)))
    finally:
        mine.close()
        theirs.close()
    assert set(mine_all) == set(names), "COMMAND DOCS must answer for every command asked"
    mismatches: list[str] = []
    for name in names:
        # A command of a later Redis (WAITAOF) is test_command_table's to check.
        if name in theirs_all:
            compare(name, mine_all[name], theirs_all[name], mismatches)
    assert not mismatches, f"{len(mismatches)} COMMAND DOCS mismatches:\n" + "\n".join(mismatches)


def test_deprecated_commands_say_what_replaces_them(node):
    """The table's fields reach the reply in Redis's shape: a set of flags, a set of pairs."""
    client = Reader(node.port, 3)
    try:
        entry = dict(as_map(dict(as_map(client.call("COMMAND", "DOCS", "georadius")))[b"georadius"]))
    finally:
        client.close()
    assert entry[b"doc_flags"] == ("set", [("status", b"deprecated")])
    assert entry[b"deprecated_since"] == b"6.2.0"
    assert entry[b"replaced_by"] == b"`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument"
    assert entry[b"history"] == ("set", [
        ("array", [b"6.2.0", b"Added the `ANY` option for `COUNT`."]),
        ("array", [b"7.0.0", b"Added support for uppercase unit names."]),
    ])
