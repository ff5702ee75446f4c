"""Command implementations, one module per Redis command group.

Importing this package registers every command in `node.table.COMMANDS`.
"""

from node.commands import command, connection, server, strings  # noqa: F401
