"""REPLICAOF/SLAVEOF, FAILOVER, ROLE, WAIT and WAITAOF: the replication commands (Redis's
replication.c).

The work is the replication manager's (`server.replication`, replication/manager.py); these
handlers parse, check and reply as Redis does. WAITAOF is Redis 7.2's: it is here because
durability and replication meet in it (a write acknowledged only once fsynced locally and/or
on replicas).
"""

from __future__ import annotations

from typing import Any

from node.blocking import parse_timeout_ms
from node.errors import SYNTAX, CommandError
from node.numbers import parse_int
from node.replies import OK, Status
from node.table import command

WAIT_ON_REPLICA = ("ERR WAIT cannot be used with replica instances. Please also note that since "
                   "Redis 4.0 if a replica is configured to be writable (which is not the "
                   "default) writes to replicas are just local and are not propagated.")
WAITAOF_ON_REPLICA = ("ERR WAITAOF cannot be used with replica instances. Please also note "
                      "that writes to replicas are just local and are not propagated.")
WAITAOF_NO_AOF = "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled."
NOT_INTEGER = "ERR value is not an integer or out of range"


def _replicaof(ctx: Any, argv: list[bytes]) -> Any:
    if ctx.server.cluster is not None:  # the topology says who replicates whom
        raise CommandError("ERR REPLICAOF not allowed in cluster mode.")
    repl = ctx.server.replication
    if repl.failover.active:
        raise CommandError("ERR REPLICAOF not allowed while failing over.")
    host, port = argv[1], argv[2]
    if host.lower() == b"no" and port.lower() == b"one":
        if repl.is_replica:
            repl.become_primary()
            ctx.server.log("notice", f"MASTER MODE enabled (user request from '{ctx.describe()}')")
        return OK
    number = parse_int(port, "ERR Invalid master port")
    if not 0 <= number <= 65535:
        raise CommandError("ERR Invalid master port")
    host_text = host.decode("utf-8", "replace")
    if repl.is_replica and repl.master_host.lower() == host_text.lower() and repl.master_port == number:
        ctx.server.log("notice", "REPLICAOF would result into synchronization with the master we "
                       "are already connected with. No operation performed.")
        return Status(b"OK Already connected to specified master")
    repl.become_replica(host_text, number)
    ctx.server.log("notice", f"REPLICAOF {host_text}:{number} enabled (user request from "
                   f"'{ctx.describe()}')")
    return OK


@command("replicaof", 3, "admin noscript stale no_async_loading", group="server", since="5.0.0",
         summary="Make the server a replica of another instance, or promote it as master.")
def replicaof(ctx: Any, argv: list[bytes]) -> Any:
    return _replicaof(ctx, argv)


@command("slaveof", 3, "admin noscript stale no_async_loading", group="server",
         summary="Make the server a replica of another instance, or promote it as master.",
         doc_flags="deprecated", deprecated_since="5.0.0",
         replaced_by="`REPLICAOF`")
def slaveof(ctx: Any, argv: list[bytes]) -> Any:
    return _replicaof(ctx, argv)


@command("failover", -1, "admin noscript stale", group="server", since="6.2.0",
         complexity="O(1)",
         summary="Start a coordinated failover between this server and one of its replicas.")
def failover(ctx: Any, argv: list[bytes]) -> Any:
    # failoverCommand: its checks in its order; the handover itself is
    # replication/failover.py's.
    if ctx.server.cluster is not None:
        raise CommandError("ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER "
                           "command instead.")
    repl = ctx.server.replication
    state = repl.failover
    if len(argv) == 2 and argv[1].lower() == b"abort":
        if not state.active:
            raise CommandError("ERR No failover in progress.")
        state.abort("Failover manually aborted")
        return OK
    timeout_ms, force, host, port = 0, False, None, 0
    i = 1
    while i < len(argv):
        word = argv[i].lower()
        if word == b"timeout" and i + 1 < len(argv) and not timeout_ms:
            timeout_ms = parse_int(argv[i + 1], NOT_INTEGER)
            if timeout_ms <= 0:
                raise CommandError("ERR FAILOVER timeout must be greater than 0")
            i += 2
        elif word == b"to" and i + 2 < len(argv) and host is None:
            port = parse_int(argv[i + 2], NOT_INTEGER)
            host = argv[i + 1].decode("utf-8", "replace")
            i += 3
        elif word == b"force" and not force:
            force = True
            i += 1
        else:
            raise CommandError(SYNTAX)
    if state.active:
        raise CommandError("ERR FAILOVER already in progress.")
    if repl.is_replica:
        raise CommandError("ERR FAILOVER is not valid when server is a replica.")
    if not repl.links:
        raise CommandError("ERR FAILOVER requires connected replicas.")
    if force and (not timeout_ms or host is None):
        raise CommandError("ERR FAILOVER with force option requires both a timeout and "
                           "target HOST and IP.")
    target = None
    if host is not None:
        target = next((l for l in repl.links if l.ip.lower() == host.lower() and l.port == port),
                      None)
        if target is None:
            raise CommandError("ERR FAILOVER target HOST and PORT is not a replica.")
        if target.state != "online":
            raise CommandError("ERR FAILOVER target replica is not online.")
    state.start(target, timeout_ms, force)
    return OK


@command("role", 1, "noscript loading stale fast", group="server", categories="admin dangerous",
         since="2.8.12", summary="Return the role of the instance in the context of replication")
def role(ctx: Any, argv: list[bytes]) -> list:
    return ctx.server.replication.role_reply()


@command("wait", 3, "noscript", group="generic", categories="connection", since="3.0.0",
         tips="request_policy:all_shards response_policy:agg_min",
         summary="Wait for the synchronous replication of all the write commands sent in the "
                 "context of the current connection")
def wait(ctx: Any, argv: list[bytes]) -> Any:
    repl = ctx.server.replication
    if repl.is_replica:
        raise CommandError(WAIT_ON_REPLICA)
    numreplicas = parse_int(argv[1], NOT_INTEGER)
    timeout = parse_timeout_ms(argv[2])
    return repl.wait(ctx, numreplicas, timeout)


@command("waitaof", 4, "noscript", group="generic", categories="connection", since="7.2.0",
         tips="request_policy:all_shards response_policy:agg_min",
         summary="Wait for all write commands sent by the client to be appended to the AOF "
                 "in the local Redis and/or in replicas")
def waitaof(ctx: Any, argv: list[bytes]) -> Any:
    repl = ctx.server.replication
    numlocal = parse_int(argv[1], NOT_INTEGER)
    if not 0 <= numlocal <= 1:
        raise CommandError("ERR value is out of range, value must between 0 and 1")
    numreplicas = parse_int(argv[2], NOT_INTEGER)
    if numreplicas < 0:
        raise CommandError("ERR value is out of range, must be positive")
    timeout = parse_timeout_ms(argv[3])
    if repl.is_replica:
        raise CommandError(WAITAOF_ON_REPLICA)
    if numlocal and not ctx.server.config["appendonly"]:
        raise CommandError(WAITAOF_NO_AOF)
    return repl.wait(ctx, numreplicas, timeout, aof_local=numlocal)
