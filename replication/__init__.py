"""Replication: a primary streams its writes to replicas over gRPC (proto/slotkv/v1).

`manager.Replication` is the node's side of it, wired up by the server at start: the role
(primary or replica), the replication ids and offsets, the backlog, WAIT. `primary.py` serves
replicas, `replica.py` follows a primary, `backlog.py` keeps the stream's recent past, and
`wire.py` serializes the bulk messages. A full sync ships an RDB snapshot (node/rdb.py).

`coordinator.py` is the cluster's topology authority (`slotkv coordinator`), `agent.py` a
cluster node's session with it, `topology_proto.py` the topology's wire form.
"""

import os as _os

# The node forks snapshot children (node/child.py) that never touch gRPC: its fork handlers
# would only log "skipping fork() handlers" while the event loop's gRPC threads run, and a
# child forked while they hold their locks can fail (a BGSAVE that dies: -MISCONF).
_os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")
