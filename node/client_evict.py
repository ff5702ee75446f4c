"""maxmemory-clients: disconnecting the clients that use the most memory (Redis 7.0's client
eviction, networking.c evictClients).

A client's memory (`client_memory`, which CLIENT LIST's `tot-mem` and MEMORY STATS also
report) is its query buffer, its replies not yet sent (queued in `out` and in the transport's
write buffer) and its own bookkeeping. Once the memory of all normal and pub/sub clients
together reaches the limit, the evictable ones are disconnected, largest first, until the
total is under it again. As in Redis's clientEvictionAllowed, a client is evictable unless it
ran CLIENT NO-EVICT ON or is a replication link or a pseudo-client (these are never in
`Server.clients`, and are never counted); the no-evict ones still count in the total.

The limit is `maxmemory-clients` bytes, or with `N%` that share of `maxmemory` (off while
maxmemory is 0); as Redis, never less than 128 KiB, so that a tiny setting cannot cut every
connection off.

When it is checked: Redis does before every command and before it sleeps; that per-command
work would cost the inline request path (node/client.py) its speed. Here the figure of a
client is taken again each time its replies are written (`Client.flush`: once per batch read,
which also covers a request still being received, and every few dozen replies of a long
pipeline), on each read of a client that is blocked or throttled, and of one whose request
passed the size at which the query buffer limits are checked (`Client._check_query_buffer`);
the cron measures every client once a second, a slice per tick (as clientsCron). The figures
are kept with their running total, and only a total that reaches the limit makes `evict`
measure every client afresh and choose. None of it runs while the limit is off.

An evictable client that stops reading its replies is not throttled (`Client.pause_writing`):
as in Redis its requests keep running, and the limit decides.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from node.log import log

if TYPE_CHECKING:
    from node.client import Client
    from node.server import Server

# getClientEvictionLimit's floor.
MIN_LIMIT = 128 * 1024
# Redis's CLIENT_MEM_USAGE_BUCKET_MIN_LOG/MAX_LOG: a client of n bytes is in bucket
# clamp(bit_length(n)) - MIN_LOG (DEBUG CLIENT-EVICTION shows them).
BUCKET_MIN_LOG, BUCKET_MAX_LOG = 15, 33
BUCKETS = BUCKET_MAX_LOG - BUCKET_MIN_LOG + 1
# clientsCron's CLIENTS_CRON_MIN_ITERATIONS: clients measured per tick at least.
CRON_MIN_CLIENTS = 5
# The client types whose memory counts (Redis's CLIENT_TYPE_NORMAL and CLIENT_TYPE_PUBSUB).
_COUNTED_TYPES = frozenset(("normal", "pubsub"))


def client_memory(client: Any) -> int:
    """A connection's buffers (query, unsent replies) and bookkeeping: Redis's
    getClientMemoryUsage, CLIENT LIST's tot-mem."""
    transport = client.transport
    # (Its slots are in getsizeof; a pseudo-client's subclass may add a __dict__.)
    size = sys.getsizeof(client) + sys.getsizeof(getattr(client, "__dict__", {}))
    size += client.parser.pending() + sum(map(len, client.out))
    if transport is not None:
        size += transport.get_write_buffer_size()
    return size


def eviction_limit(config: Any) -> int:
    """getClientEvictionLimit: the limit in bytes, 0 when client eviction is off."""
    setting = config["maxmemory-clients"]
    if setting < 0:  # `N%` of maxmemory, stored as -N
        maxmemory = config["maxmemory"]
        if not maxmemory:
            return 0
        limit = int(maxmemory * (-setting / 100))
    elif setting > 0:
        limit = setting
    else:
        return 0
    return max(limit, MIN_LIMIT)


class ClientEviction:
    """The maxmemory-clients limit of one node: the clients' figures and evicting them."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.limit = 0  # bytes; 0 while client eviction is off
        # The last figure taken of each counted client, and their sum.
        self.usage: dict[Client, int] = {}
        self.total = 0
        # The last `evict` could not get under the limit: until it is, only a client that may
        # be evicted sets it off again (no-evict ones only grow the total, and measuring every
        # client each time one of them writes would cost each write the number of clients).
        self.stuck = False
        self._round: list[Client] = []  # the cron's pass over the clients, and where it is
        self._next = 0
        for name in ("maxmemory-clients", "maxmemory"):
            server.config.listen(name, self._configure)
        self._configure(None)

    def _configure(self, _value: Any) -> None:
        was, self.limit = self.limit, eviction_limit(self.server.config)
        self.stuck = False
        if not self.limit:
            self.usage = {}
            self.total = 0
            if was:  # the clients it let fall behind are throttled again
                for client in list(self.server.clients.values()):
                    self._hold_back(client)
            return
        # Every figure afresh, so that a lower limit acts at the next check (the reply to
        # this CONFIG SET is one), as Redis's applyClientMaxMemoryUsage.
        self._measure_all()

    # -- the figures ------------------------------------------------------------------------

    def counted(self, client: Client) -> bool:
        """Whether `client`'s memory counts toward the limit: a connection (pseudo-clients,
        the Lua one, the AOF's and a primary's stream's, are not in `Server.clients`) of a
        normal or pub/sub client that is not being closed."""
        return (not client.closing and self.server.clients.get(client.id) is client
                and client.client_type() in _COUNTED_TYPES)

    def evictable(self, client: Client) -> bool:
        """clientEvictionAllowed: the limit is on and `client` may be disconnected by it."""
        return (bool(self.limit) and not client.no_evict and not client.must_obey
                and self.counted(client))

    def update(self, client: Client) -> None:
        """Take `client`'s figure again (its buffers changed); evict if the total reached
        the limit (updateClientMemUsage, then evictClients)."""
        if not self.counted(client):
            return
        usage = self.usage
        new = client_memory(client)
        self.total += new - usage.get(client, 0)
        usage[client] = new
        if self.total >= self.limit:
            if not self.stuck or self.evictable(client):
                self.evict()
        if client.no_evict:
            self._hold_back(client)

    def forget(self, client: Client) -> None:
        """`client` is gone: its figure leaves the total."""
        self.total -= self.usage.pop(client, 0)

    def _measure_all(self) -> None:
        self.usage = usage = {c: client_memory(c) for c in list(self.server.clients.values())
                              if self.counted(c)}
        self.total = sum(usage.values())

    def cron(self, hz: int) -> None:
        """clientsCron's share: measure the next slice of the clients, so each is measured
        about once a second, then evict if the total is at the limit."""
        clients = self.server.clients
        batch = max(CRON_MIN_CLIENTS, len(clients) // max(hz, 1))
        if self._next >= len(self._round):
            self._round = list(clients.values())
            self._next = 0
        usage = self.usage
        evictable = False  # whether one of these may be evicted (one that never sent a thing)
        for client in self._round[self._next:self._next + batch]:
            if self.counted(client):
                new = client_memory(client)
                self.total += new - usage.get(client, 0)
                usage[client] = new
                evictable = evictable or not (client.no_evict or client.must_obey)
        self._next += batch
        if self.total >= self.limit and (not self.stuck or evictable):
            self.evict()

    # -- evicting -----------------------------------------------------------------------------

    def evict(self) -> None:
        """evictClients: disconnect evictable clients, those using the most memory first,
        until the total is under the limit."""
        self._measure_all()  # the figures kept may be stale: a write buffer drains unseen
        if self.total < self.limit:
            self.stuck = False
            return
        usage = self.usage
        victims = sorted((c for c in usage if self.evictable(c)), key=usage.__getitem__,
                         reverse=True)
        for client in victims:
            if self.total < self.limit:
                break
            self._disconnect(client)
        self.stuck = self.total >= self.limit
        if self.stuck:
            log("warning", "Over client maxmemory after evicting all evictable clients")

    def _disconnect(self, client: Client) -> None:
        server = self.server
        log("notice", f"Evicting client: {client.describe()}")
        # As freeClient: what was not sent is dropped (close() would wait to send it, and
        # a client that does not read would keep its memory).
        client.closing = True
        if client.transport is not None:
            client.transport.abort()
        # Gone from CLIENT LIST and INFO now, as freeClient makes it, not once the loop
        # reports the connection lost (which does the rest: Server.client_disconnected).
        server.clients.pop(client.id, None)
        self.forget(client)
        server.stats.evicted_clients += 1

    def _hold_back(self, client: Client) -> None:
        # A client pause_writing left running (eviction was to decide) that may no longer be
        # evicted: throttled now, if it is still behind and no output limit applies either.
        transport = client.transport
        if (client.throttled or client.closing or transport is None
                or transport.get_write_buffer_size() <= transport.get_write_buffer_limits()[1]):
            return
        client.pause_writing()

    def buckets(self) -> list[tuple[int, int | None, int, int]]:
        """DEBUG CLIENT-EVICTION's table: Redis's client memory buckets (powers of two from
        32 KiB to 4 GiB) as (low, high or None for the last, total memory, clients), over the
        evictable clients' last figures, as Redis keeps only those in buckets."""
        rows = [[0, 0] for _ in range(BUCKETS)]
        for client, usage in self.usage.items():
            if self.evictable(client):
                row = rows[min(max(usage.bit_length(), BUCKET_MIN_LOG), BUCKET_MAX_LOG)
                           - BUCKET_MIN_LOG]
                row[0] += usage
                row[1] += 1
        out: list[tuple[int, int | None, int, int]] = []
        for i, (total, count) in enumerate(rows):
            low = 0 if i == 0 else 1 << (BUCKET_MIN_LOG - 1 + i)
            high = None if i == BUCKETS - 1 else (1 << (BUCKET_MIN_LOG + i)) - 1
            out.append((low, high, total, count))
        return out
