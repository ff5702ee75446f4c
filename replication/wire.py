"""The two bulk messages of the Sync stream, serialized by hand.

protobuf's Python serializer (upb) takes ~2 us per KB of a bytes field, so a Data message of
the stream or a snapshot chunk would cost the primary's event loop more to serialize than to
send. These build the identical wire bytes (proto/slotkv/v1/replication.proto:
PrimaryMessage.data = field 5, PrimaryMessage.chunk = field 3, each a length-delimited
message) with two joins; tests/test_replication_units.py checks them against protobuf's own
output. Everything else, and all parsing (which is fast), stays with protobuf.
"""

from __future__ import annotations

from typing import Any

from slotkv.v1 import replication_pb2 as pb


def varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def data_message(offset: int, payload: bytes, reply_ack: bool) -> bytes:
    """PrimaryMessage(data=Data(offset=offset, payload=payload, reply_ack=reply_ack))."""
    parts = []
    if offset:
        parts += (b"\x08", varint(offset))  # field 1, varint
    if payload:
        parts += (b"\x12", varint(len(payload)), payload)  # field 2, bytes
    if reply_ack:
        parts.append(b"\x18\x01")  # field 3, bool
    inner = b"".join(parts)
    return b"".join((b"\x2a", varint(len(inner)), inner))  # field 5, message


def chunk_message(data: bytes) -> bytes:
    """PrimaryMessage(chunk=SnapshotChunk(data=data))."""
    inner = b"".join((b"\x0a", varint(len(data)), data)) if data else b""  # field 1, bytes
    return b"".join((b"\x1a", varint(len(inner)), inner))  # field 3, message


def serialize(message: Any) -> bytes:
    """The Sync call's response serializer: prebuilt bytes pass through."""
    return message if message.__class__ is bytes else message.SerializeToString()


def parse_replica_message(data: bytes) -> pb.ReplicaMessage:
    return pb.ReplicaMessage.FromString(data)
