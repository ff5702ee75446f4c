"""slotkv node: one shard member, a Redis-compatible server over its own in-memory keyspace."""

__version__ = "0.1.0"
