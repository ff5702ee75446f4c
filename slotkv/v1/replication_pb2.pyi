from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReplicaMessage(_message.Message):
    __slots__ = ("hello", "ack")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    ack: Ack
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., ack: _Optional[_Union[Ack, _Mapping]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("replid", "offset", "user", "password", "node_id", "listening_port", "announce_ip", "priority", "failover", "replication_port")
    REPLID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    LISTENING_PORT_FIELD_NUMBER: _ClassVar[int]
    ANNOUNCE_IP_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    FAILOVER_FIELD_NUMBER: _ClassVar[int]
    REPLICATION_PORT_FIELD_NUMBER: _ClassVar[int]
    replid: str
    offset: int
    user: str
    password: str
    node_id: str
    listening_port: int
    announce_ip: str
    priority: int
    failover: bool
    replication_port: int
    def __init__(self, replid: _Optional[str] = ..., offset: _Optional[int] = ..., user: _Optional[str] = ..., password: _Optional[str] = ..., node_id: _Optional[str] = ..., listening_port: _Optional[int] = ..., announce_ip: _Optional[str] = ..., priority: _Optional[int] = ..., failover: _Optional[bool] = ..., replication_port: _Optional[int] = ...) -> None: ...

class Ack(_message.Message):
    __slots__ = ("offset", "aof_offset")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    AOF_OFFSET_FIELD_NUMBER: _ClassVar[int]
    offset: int
    aof_offset: int
    def __init__(self, offset: _Optional[int] = ..., aof_offset: _Optional[int] = ...) -> None: ...

class PrimaryMessage(_message.Message):
    __slots__ = ("resume", "full_sync", "chunk", "snapshot_end", "data", "ping")
    RESUME_FIELD_NUMBER: _ClassVar[int]
    FULL_SYNC_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_END_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    PING_FIELD_NUMBER: _ClassVar[int]
    resume: Resume
    full_sync: FullSync
    chunk: SnapshotChunk
    snapshot_end: SnapshotEnd
    data: Data
    ping: Ping
    def __init__(self, resume: _Optional[_Union[Resume, _Mapping]] = ..., full_sync: _Optional[_Union[FullSync, _Mapping]] = ..., chunk: _Optional[_Union[SnapshotChunk, _Mapping]] = ..., snapshot_end: _Optional[_Union[SnapshotEnd, _Mapping]] = ..., data: _Optional[_Union[Data, _Mapping]] = ..., ping: _Optional[_Union[Ping, _Mapping]] = ...) -> None: ...

class Resume(_message.Message):
    __slots__ = ("replid", "offset")
    REPLID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    replid: str
    offset: int
    def __init__(self, replid: _Optional[str] = ..., offset: _Optional[int] = ...) -> None: ...

class FullSync(_message.Message):
    __slots__ = ("replid", "offset", "size")
    REPLID_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    replid: str
    offset: int
    size: int
    def __init__(self, replid: _Optional[str] = ..., offset: _Optional[int] = ..., size: _Optional[int] = ...) -> None: ...

class SnapshotChunk(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class SnapshotEnd(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Data(_message.Message):
    __slots__ = ("offset", "payload", "reply_ack")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    REPLY_ACK_FIELD_NUMBER: _ClassVar[int]
    offset: int
    payload: bytes
    reply_ack: bool
    def __init__(self, offset: _Optional[int] = ..., payload: _Optional[bytes] = ..., reply_ack: _Optional[bool] = ...) -> None: ...

class Ping(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
