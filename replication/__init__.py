"""Replication and the cluster coordinator (see DESIGN.md): the processes and links that move
writes and topology between nodes. May import from `node`; `node` reaches it only through the
narrow interfaces its server wires up at start.

`coordinator.py` is the topology authority (`slotkv coordinator`), `agent.py` a cluster node's
session with it, `topology_proto.py` the topology's wire form.
"""

import os as _os

# The node forks snapshot children (node/child.py) that never touch gRPC: its fork handlers
# would only log "skipping fork() handlers" while the event loop's gRPC threads run, and a
# child forked while they hold their locks can fail (a BGSAVE that dies: -MISCONF).
_os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")
