"""FAILOVER: a primary hands over to one of its replicas without losing a write.

Redis 7.0's coordinated failover (replication.c's failoverCommand, updateFailoverStatus,
abortFailover), over this node's gRPC replication:

1. `waiting-for-sync`: writes are paused (a pause of its own, which CLIENT UNPAUSE does not
   end) and the replicas are asked for an ack, until the target (or, without TO, the first
   replica) has acknowledged the whole stream. Past TIMEOUT the failover is aborted, or with
   FORCE goes on anyway.
2. `failover-in-progress`: the primary makes itself a replica of the target, and its Hello
   carries `failover` (Redis's `PSYNC <replid> <offset> FAILOVER`): the target, if it follows
   this very history, becomes a primary first and then answers the Hello as one, so the old
   primary continues with a partial resync.
3. The answer ends the failover and the pause: the paused writes then meet a replica
   (-READONLY). A refused Hello (the target moved on, or is a primary already) aborts it: the
   old primary becomes a primary again.

FAILOVER ABORT ends either state. `master_failover_state` in INFO replication shows it.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from node.log import log

if TYPE_CHECKING:
    from replication.manager import Replication
    from replication.primary import ReplicaLink

NO_FAILOVER = "no-failover"
WAITING = "waiting-for-sync"
IN_PROGRESS = "failover-in-progress"


class Failover:
    """The failover state of one node (Redis's server.failover_* fields)."""

    def __init__(self, manager: "Replication") -> None:
        self.manager = manager
        self.state = NO_FAILOVER
        self.end = 0.0  # monotonic deadline of waiting-for-sync; 0: none
        self.force = False
        # The target: (host, client port, replication port); None until one is chosen.
        self.target: tuple[str, int, int] | None = None
        self._update_scheduled = False

    @property
    def active(self) -> bool:
        return self.state != NO_FAILOVER

    @property
    def in_progress(self) -> bool:
        return self.state == IN_PROGRESS

    def start(self, link: "ReplicaLink | None", timeout_ms: int, force: bool) -> None:
        """Begin waiting for `link` (None: for whichever replica catches up first)."""
        if link is not None:
            self.target = (link.ip, link.port, link.repl_port)
            log("notice", f"FAILOVER requested to {link.ip}:{link.port}.")
        else:
            log("notice", "FAILOVER requested to any replica.")
        self.end = time.monotonic() + timeout_ms / 1000 if timeout_ms else 0.0
        self.force = force
        self.state = WAITING
        server = self.manager.server
        server.pause(float("inf"), writes_only=True, purpose=server.PAUSE_FAILOVER)
        self._ask_acks()

    def _ask_acks(self) -> None:
        # Replicas ack about once a second; asking makes the handover as quick as the link.
        for replica in self.manager.links:
            if replica.state == "online":
                replica.request_ack()

    def cron(self) -> None:
        """Every replication cron tick: the timeout, and fresh acks while still waiting
        (the last ones may predate writes of the tick FAILOVER ran in)."""
        self.update()
        if self.state == WAITING:
            self._ask_acks()

    def update_soon(self) -> None:
        """A replica acked: look again once the current callback is done (never from inside
        the link's own reader, which handing over may end)."""
        if self.state == WAITING and not self._update_scheduled:
            self._update_scheduled = True
            asyncio.get_running_loop().call_soon(self.update)

    def update(self) -> None:
        """updateFailoverStatus: hand over once the target is synced; time out."""
        self._update_scheduled = False
        if self.state != WAITING:
            return
        manager = self.manager
        if self.end and time.monotonic() >= self.end:
            if self.force and self.target is not None:
                host, port, _ = self.target
                log("notice", f"FAILOVER to {host}:{port} time out exceeded, failing over.")
                self._hand_over()
            else:
                self.abort("Replica never caught up before timeout")
            return
        offset = manager.offset
        if self.target is not None:
            synced = [l for l in manager.links if (l.ip, l.port) == self.target[:2]
                      and l.ack_offset >= offset]
        else:
            synced = [l for l in manager.links if l.state == "online" and l.ack_offset >= offset]
            if synced:
                self.target = (synced[0].ip, synced[0].port, synced[0].repl_port)
        if synced:
            host, port, _ = self.target  # type: ignore[misc]
            log("notice", f"Failover target {host}:{port} is synced, failing over.")
            self._hand_over()

    def _hand_over(self) -> None:
        assert self.target is not None
        host, port, repl_port = self.target
        self.state = IN_PROGRESS
        self.manager.become_replica(host, port, repl_port)

    def answered(self) -> None:
        """The target answered the failover Hello: done (clearFailoverState)."""
        if self.state == IN_PROGRESS:
            self.clear()

    def rejected(self) -> None:
        """The target refused the failover Hello."""
        if self.state == IN_PROGRESS:
            self.abort("Failover target rejected psync request")

    def abort(self, reason: str) -> None:
        """abortFailover: back to a primary if it had handed over already."""
        if self.state == NO_FAILOVER:
            return
        if self.target is not None:
            host, port, _ = self.target
            log("notice", f"FAILOVER to {host}:{port} aborted: {reason}")
        else:
            log("notice", f"FAILOVER to any replica aborted: {reason}")
        if self.state == IN_PROGRESS:
            self.manager.become_primary()
        self.clear()

    def clear(self) -> None:
        """clearFailoverState: no failover, writes unpaused."""
        self.state = NO_FAILOVER
        self.end = 0.0
        self.force = False
        self.target = None
        server = self.manager.server
        server.unpause(server.PAUSE_FAILOVER)
