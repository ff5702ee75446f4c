"""Command implementations, one module per Redis command group.

Importing this package registers every command in `node.table.COMMANDS`.
"""

from node.commands import (  # noqa: F401
    bitmaps, client, command, config, connection, debug, geo, hashes, hyperloglog, info, keys,
    latency, lcs, lists, memory, monitor, replication, server, sets, slowlog, sort, streams,
    strings, transactions, zsets,
)
