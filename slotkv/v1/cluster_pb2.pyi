from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SlotRange(_message.Message):
    __slots__ = ("first", "last")
    FIRST_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    first: int
    last: int
    def __init__(self, first: _Optional[int] = ..., last: _Optional[int] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("id", "host", "port", "bus_port", "hostname", "shard", "failed", "fail_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    BUS_PORT_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    FAIL_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    host: str
    port: int
    bus_port: int
    hostname: str
    shard: str
    failed: bool
    fail_time: int
    def __init__(self, id: _Optional[str] = ..., host: _Optional[str] = ..., port: _Optional[int] = ..., bus_port: _Optional[int] = ..., hostname: _Optional[str] = ..., shard: _Optional[str] = ..., failed: _Optional[bool] = ..., fail_time: _Optional[int] = ...) -> None: ...

class Shard(_message.Message):
    __slots__ = ("id", "primary", "replicas", "config_epoch", "slots")
    ID_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    REPLICAS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_EPOCH_FIELD_NUMBER: _ClassVar[int]
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    id: str
    primary: str
    replicas: _containers.RepeatedScalarFieldContainer[str]
    config_epoch: int
    slots: _containers.RepeatedCompositeFieldContainer[SlotRange]
    def __init__(self, id: _Optional[str] = ..., primary: _Optional[str] = ..., replicas: _Optional[_Iterable[str]] = ..., config_epoch: _Optional[int] = ..., slots: _Optional[_Iterable[_Union[SlotRange, _Mapping]]] = ...) -> None: ...

class SlotState(_message.Message):
    __slots__ = ("node", "slot", "peer")
    NODE_FIELD_NUMBER: _ClassVar[int]
    SLOT_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    node: str
    slot: int
    peer: str
    def __init__(self, node: _Optional[str] = ..., slot: _Optional[int] = ..., peer: _Optional[str] = ...) -> None: ...

class Topology(_message.Message):
    __slots__ = ("epoch", "nodes", "shards", "migrating", "importing")
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    SHARDS_FIELD_NUMBER: _ClassVar[int]
    MIGRATING_FIELD_NUMBER: _ClassVar[int]
    IMPORTING_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    shards: _containers.RepeatedCompositeFieldContainer[Shard]
    migrating: _containers.RepeatedCompositeFieldContainer[SlotState]
    importing: _containers.RepeatedCompositeFieldContainer[SlotState]
    def __init__(self, epoch: _Optional[int] = ..., nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ..., shards: _Optional[_Iterable[_Union[Shard, _Mapping]]] = ..., migrating: _Optional[_Iterable[_Union[SlotState, _Mapping]]] = ..., importing: _Optional[_Iterable[_Union[SlotState, _Mapping]]] = ...) -> None: ...

class NodeMessage(_message.Message):
    __slots__ = ("hello", "heartbeat", "paused", "publish")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FIELD_NUMBER: _ClassVar[int]
    hello: NodeHello
    heartbeat: Heartbeat
    paused: Paused
    publish: Publish
    def __init__(self, hello: _Optional[_Union[NodeHello, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., paused: _Optional[_Union[Paused, _Mapping]] = ..., publish: _Optional[_Union[Publish, _Mapping]] = ...) -> None: ...

class NodeHello(_message.Message):
    __slots__ = ("id", "host", "port", "bus_port", "hostname", "epoch", "node_timeout_ms")
    ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    BUS_PORT_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    NODE_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    id: str
    host: str
    port: int
    bus_port: int
    hostname: str
    epoch: int
    node_timeout_ms: int
    def __init__(self, id: _Optional[str] = ..., host: _Optional[str] = ..., port: _Optional[int] = ..., bus_port: _Optional[int] = ..., hostname: _Optional[str] = ..., epoch: _Optional[int] = ..., node_timeout_ms: _Optional[int] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("seq", "repl_offset", "epoch", "node_timeout_ms")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    REPL_OFFSET_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    NODE_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    seq: int
    repl_offset: int
    epoch: int
    node_timeout_ms: int
    def __init__(self, seq: _Optional[int] = ..., repl_offset: _Optional[int] = ..., epoch: _Optional[int] = ..., node_timeout_ms: _Optional[int] = ...) -> None: ...

class Paused(_message.Message):
    __slots__ = ("id", "repl_offset")
    ID_FIELD_NUMBER: _ClassVar[int]
    REPL_OFFSET_FIELD_NUMBER: _ClassVar[int]
    id: int
    repl_offset: int
    def __init__(self, id: _Optional[int] = ..., repl_offset: _Optional[int] = ...) -> None: ...

class CoordinatorMessage(_message.Message):
    __slots__ = ("topology", "ack", "pause_writes", "publish")
    TOPOLOGY_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    PAUSE_WRITES_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FIELD_NUMBER: _ClassVar[int]
    topology: Topology
    ack: HeartbeatAck
    pause_writes: PauseWrites
    publish: Publish
    def __init__(self, topology: _Optional[_Union[Topology, _Mapping]] = ..., ack: _Optional[_Union[HeartbeatAck, _Mapping]] = ..., pause_writes: _Optional[_Union[PauseWrites, _Mapping]] = ..., publish: _Optional[_Union[Publish, _Mapping]] = ...) -> None: ...

class Publish(_message.Message):
    __slots__ = ("channel", "message", "shard")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    channel: bytes
    message: bytes
    shard: bool
    def __init__(self, channel: _Optional[bytes] = ..., message: _Optional[bytes] = ..., shard: _Optional[bool] = ...) -> None: ...

class HeartbeatAck(_message.Message):
    __slots__ = ("seq", "health")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    HEALTH_FIELD_NUMBER: _ClassVar[int]
    seq: int
    health: _containers.RepeatedCompositeFieldContainer[NodeHealth]
    def __init__(self, seq: _Optional[int] = ..., health: _Optional[_Iterable[_Union[NodeHealth, _Mapping]]] = ...) -> None: ...

class NodeHealth(_message.Message):
    __slots__ = ("id", "connected", "repl_offset", "last_seen")
    ID_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    REPL_OFFSET_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    id: str
    connected: bool
    repl_offset: int
    last_seen: int
    def __init__(self, id: _Optional[str] = ..., connected: _Optional[bool] = ..., repl_offset: _Optional[int] = ..., last_seen: _Optional[int] = ...) -> None: ...

class PauseWrites(_message.Message):
    __slots__ = ("id", "timeout_ms")
    ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    id: int
    timeout_ms: int
    def __init__(self, id: _Optional[int] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class ChangeRequest(_message.Message):
    __slots__ = ("sender", "add_slots", "del_slots", "set_slot", "replicate", "failover", "reset", "forget", "flush_slots")
    SENDER_FIELD_NUMBER: _ClassVar[int]
    ADD_SLOTS_FIELD_NUMBER: _ClassVar[int]
    DEL_SLOTS_FIELD_NUMBER: _ClassVar[int]
    SET_SLOT_FIELD_NUMBER: _ClassVar[int]
    REPLICATE_FIELD_NUMBER: _ClassVar[int]
    FAILOVER_FIELD_NUMBER: _ClassVar[int]
    RESET_FIELD_NUMBER: _ClassVar[int]
    FORGET_FIELD_NUMBER: _ClassVar[int]
    FLUSH_SLOTS_FIELD_NUMBER: _ClassVar[int]
    sender: str
    add_slots: SlotList
    del_slots: SlotList
    set_slot: SetSlot
    replicate: str
    failover: Failover
    reset: Reset
    forget: str
    flush_slots: bool
    def __init__(self, sender: _Optional[str] = ..., add_slots: _Optional[_Union[SlotList, _Mapping]] = ..., del_slots: _Optional[_Union[SlotList, _Mapping]] = ..., set_slot: _Optional[_Union[SetSlot, _Mapping]] = ..., replicate: _Optional[str] = ..., failover: _Optional[_Union[Failover, _Mapping]] = ..., reset: _Optional[_Union[Reset, _Mapping]] = ..., forget: _Optional[str] = ..., flush_slots: _Optional[bool] = ...) -> None: ...

class SlotList(_message.Message):
    __slots__ = ("slots",)
    SLOTS_FIELD_NUMBER: _ClassVar[int]
    slots: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, slots: _Optional[_Iterable[int]] = ...) -> None: ...

class SetSlot(_message.Message):
    __slots__ = ("slot", "action", "node", "keys_in_slot", "replica_migration")
    SLOT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    KEYS_IN_SLOT_FIELD_NUMBER: _ClassVar[int]
    REPLICA_MIGRATION_FIELD_NUMBER: _ClassVar[int]
    slot: int
    action: str
    node: str
    keys_in_slot: int
    replica_migration: bool
    def __init__(self, slot: _Optional[int] = ..., action: _Optional[str] = ..., node: _Optional[str] = ..., keys_in_slot: _Optional[int] = ..., replica_migration: _Optional[bool] = ...) -> None: ...

class Failover(_message.Message):
    __slots__ = ("mode",)
    MODE_FIELD_NUMBER: _ClassVar[int]
    mode: str
    def __init__(self, mode: _Optional[str] = ...) -> None: ...

class Reset(_message.Message):
    __slots__ = ("new_id",)
    NEW_ID_FIELD_NUMBER: _ClassVar[int]
    new_id: str
    def __init__(self, new_id: _Optional[str] = ...) -> None: ...

class ChangeReply(_message.Message):
    __slots__ = ("error", "topology")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TOPOLOGY_FIELD_NUMBER: _ClassVar[int]
    error: str
    topology: Topology
    def __init__(self, error: _Optional[str] = ..., topology: _Optional[_Union[Topology, _Mapping]] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("epoch",)
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    epoch: int
    def __init__(self, epoch: _Optional[int] = ...) -> None: ...
