"""The `slotkv` command line: launchers for nodes (and later routers, the coordinator) and ops."""
