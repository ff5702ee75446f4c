"""Unit tests of replication's pure parts: the backlog, the hand-made wire messages, and the
propagation stream's encoder and verbatim batches."""

from __future__ import annotations

import asyncio
import random

import pytest
from hiredis import pack_command
from hypothesis import given, settings
from hypothesis import strategies as st

from node.propagate import Propagation, encode
from replication import wire
from replication.backlog import Backlog
from slotkv.v1 import replication_pb2 as pb


@given(st.lists(st.binary(min_size=1, max_size=50), max_size=60), st.integers(1, 300),
       st.integers(0, 10**12))
@settings(max_examples=200, deadline=None)
def test_backlog_holds_the_last_size_bytes(chunks: list[bytes], size: int, start: int) -> None:
    backlog = Backlog(size, start)
    stream = b""
    for chunk in chunks:
        backlog.append(chunk)
        stream += chunk
        assert backlog.end == start + len(stream)
        assert backlog.histlen == min(size, len(stream))
        assert backlog.read(backlog.start) == stream[len(stream) - backlog.histlen:]
    for offset in (backlog.start, backlog.end, (backlog.start + backlog.end) // 2):
        assert backlog.covers(offset)
        assert backlog.read(offset) == stream[offset - start:]
        assert backlog.read(offset, 3) == stream[offset - start:offset - start + 3]
    assert not backlog.covers(backlog.end + 1)
    if backlog.start > start:
        assert not backlog.covers(backlog.start - 1)
        with pytest.raises(ValueError):
            backlog.read(backlog.start - 1)


def test_backlog_resize_and_reset() -> None:
    backlog = Backlog(10, 0)
    backlog.append(b"0123456789abcdef")
    assert backlog.read(backlog.start) == b"6789abcdef"
    backlog.resize(4)
    assert (backlog.start, backlog.read(backlog.start)) == (12, b"cdef")
    backlog.reset(100)
    assert (backlog.start, backlog.end, backlog.histlen) == (100, 100, 0)


@pytest.mark.parametrize("offset", [0, 1, 127, 128, 300, 2**35, 2**62])
@pytest.mark.parametrize("size", [0, 1, 127, 128, 70000])
@pytest.mark.parametrize("ack", [False, True])
def test_hand_made_messages_are_protobuf_bytes(offset: int, size: int, ack: bool) -> None:
    payload = bytes(random.randrange(256) for _ in range(min(size, 300))) * (size // 300 + 1)
    payload = payload[:size]
    expected = pb.PrimaryMessage(data=pb.Data(offset=offset, payload=payload, reply_ack=ack))
    assert wire.data_message(offset, payload, ack) == expected.SerializeToString()
    assert pb.PrimaryMessage.FromString(wire.data_message(offset, payload, ack)) == expected
    chunk = pb.PrimaryMessage(chunk=pb.SnapshotChunk(data=payload))
    assert wire.chunk_message(payload) == chunk.SerializeToString()
    assert wire.serialize(expected) == expected.SerializeToString()


@pytest.mark.parametrize("argv", [
    [b"SET", b"k", b"v"], [b"DEL", b"k"], [b"PING"], [b"MSET", b"a", b"1", b"b", b"2"],
    [b"SET", b"k", b"x" * 10000], [b"SET", b"k", bytearray(b"ab")], [b"X"] * 100,
    [b"SET", b"", b""], (b"SET", b"k", b"v"),
])
def test_encode_is_resp(argv: list) -> None:
    assert encode(argv) == pack_command(tuple(bytes(a) for a in argv))


class _Owner:
    woff = 0


def test_verbatim_batches_and_spills() -> None:
    async def run() -> list[bytes]:
        got: list[bytes] = []
        p = Propagation()
        p.attach(got.append)
        a, b = _Owner(), _Owner()
        p.command(0, [b"SET", b"x", b"0"])  # the stream is on db 0 now
        raw = encode([b"SET", b"k", b"1"]) + encode([b"SET", b"j", b"2"])
        # A chunk whose every request was propagated as it came goes on as its bytes.
        assert p.open_batch(a, 0)
        p.batch += [[b"SET", b"k", b"1"], [b"SET", b"j", b"2"]]
        p.close_batch(raw, 2, True)
        assert a.woff == p.offset + p.queued
        # One request not propagated (a read): the writes are encoded instead.
        assert p.open_batch(a, 0)
        p.batch.append([b"SET", b"k", b"3"])
        p.close_batch(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n" + encode([b"SET", b"k", b"3"]), 2, True)
        # Another command mid-batch (an expiry's DEL) spills the batch first, in order.
        assert p.open_batch(b, 0)
        p.batch.append([b"SET", b"m", b"4"])
        p.command(0, [b"DEL", b"gone"])
        assert p.batch_owner is None
        p.close_batch(b"ignored", 1, True)
        # Not at a boundary: encoded.
        assert p.open_batch(a, 0)
        p.batch.append([b"SET", b"n", b"5"])
        p.close_batch(encode([b"SET", b"n", b"5"]) + b"*3\r\n", 1, False)
        # Another database: no batch (the stream needs a SELECT first).
        assert not p.open_batch(a, 1)
        await asyncio.sleep(0)
        return got

    got = asyncio.run(run())
    expected = b"".join(encode(c) for c in (
        [b"SELECT", b"0"], [b"SET", b"x", b"0"], [b"SET", b"k", b"1"], [b"SET", b"j", b"2"],
        [b"SET", b"k", b"3"], [b"SET", b"m", b"4"], [b"DEL", b"gone"], [b"SET", b"n", b"5"]))
    assert b"".join(got) == expected
