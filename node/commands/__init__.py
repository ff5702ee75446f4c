"""Command implementations, one module per Redis command group.

Importing this package registers every command in `node.table.COMMANDS`.
"""

from node.commands import (  # noqa: F401
    acl, aof, bitmaps, client, cluster, command, config, connection, debug, dump, functions,
    geo, hashes, hyperloglog, info, keys, latency, lcs, lists, lolwut, memory, migrate, module,
    monitor,
    persistence, pubsub, replication, scripting, server, sets, slowlog, sort, streams, strings,
    transactions, zsets,
)
