"""Helpers for the replication tests: primaries and replicas as real processes, and waiting.

Every node gets its own replication port (`--replication-port`), and a replica is told its
primary's (`--master-replication-port`), so tests never depend on the client port + 10000
default being free.
"""

from __future__ import annotations

from typing import Any, Callable

import redis

from conftest import ServerProcess, free_port, reply_of, wait_until


def start_repl_node(start_node: Callable[..., ServerProcess], *args: str, **kwargs: Any) -> ServerProcess:
    rport = kwargs.pop("repl_port", None) or free_port()
    proc = start_node("--replication-port", str(rport), "--enable-debug-command", "yes",
                      *args, **kwargs)
    proc.repl_port = rport  # type: ignore[attr-defined]
    return proc


def start_replica(start_node: Callable[..., ServerProcess], primary: ServerProcess, *args: str,
                  **kwargs: Any) -> ServerProcess:
    return start_repl_node(start_node, "--replicaof", "127.0.0.1", str(primary.port),
                           "--master-replication-port", str(primary.repl_port), *args, **kwargs)


def follow(replica: redis.Redis, primary: ServerProcess) -> None:
    """REPLICAOF primary, telling the replica where the primary's replication port is."""
    replica.config_set("master-replication-port", str(primary.repl_port))
    replica.execute_command("REPLICAOF", "127.0.0.1", primary.port)


def info(client: redis.Redis, section: str = "replication") -> dict[str, str]:
    text = reply_of(client, "INFO", section)  # raw: redis-py would parse it
    if isinstance(text, tuple):
        raise redis.ResponseError(text[1])
    if isinstance(text, bytes):
        text = text.decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def linked(replica: redis.Redis) -> bool:
    return info(replica).get("master_link_status") == "up"


def in_sync(primary: redis.Redis, replica: redis.Redis) -> bool:
    """The replica has applied everything the primary propagated so far."""
    want = int(info(primary)["master_repl_offset"])
    fields = info(replica)
    return fields.get("master_link_status") == "up" and int(fields["slave_repl_offset"]) >= want


def digest(client: redis.Redis) -> bytes:
    return client.execute_command("DEBUG", "DIGEST")


FAR = 4102444800000  # 2100-01-01 in ms: an expiry no test outlives


def fill(client: redis.Redis, n: int, prefix: str = "k", batch: int = 2000) -> None:
    """`n` keys spread over every data type (and some with expiries), written deterministically
    (absolute expiries, no random picks) so DEBUG DIGEST can compare copies byte for byte."""
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        key = f"{prefix}:{i}"
        kind = i % 9
        if kind == 0:
            pipe.set(key, f"value-{i}")
        elif kind == 1:
            pipe.hset(key, mapping={"a": i, "b": "x" * (i % 50), "c": "y"})
        elif kind == 2:
            pipe.rpush(key, *[f"e{j}" for j in range(i % 7 + 1)])
        elif kind == 3:
            pipe.sadd(key, *[str(j) for j in range(i % 5 + 1)])
        elif kind == 4:
            pipe.zadd(key, {f"m{j}": j * 1.5 for j in range(i % 6 + 1)})
        elif kind == 5:
            pipe.xadd(key, {"f": i}, id=f"{i + 1}-1")
        elif kind == 6:
            pipe.pfadd(key, *[f"h{j}" for j in range(i % 10 + 1)])
        elif kind == 7:
            pipe.setbit(key, i % 100, 1)
        else:
            pipe.set(key, i)
            pipe.pexpireat(key, FAR + i)
        if i % batch == batch - 1:
            pipe.execute()
    pipe.execute()


def synced_pair(start_node: Callable[..., ServerProcess], keys: int = 0,
                primary_args: tuple[str, ...] = (), replica_args: tuple[str, ...] = (),
                ) -> tuple[ServerProcess, redis.Redis, ServerProcess, redis.Redis]:
    """A primary holding `keys` keys (see `fill`) and a replica that finished syncing with it:
    (primary, its client, replica, its client)."""
    primary = start_repl_node(start_node, *primary_args)
    p = primary.client()
    if keys:
        fill(p, keys)
    replica = start_replica(start_node, primary, *replica_args)
    r = replica.client()
    wait_until(lambda: in_sync(p, r), 30, "the replica's first sync")
    return primary, p, replica, r
