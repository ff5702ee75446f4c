"""Client-side caching: CLIENT TRACKING's invalidation messages, as Redis 7.0's tracking.c.

A tracking client (`Client.tracking`) is told when keys it may have cached change:

- default mode: the keys of every read-only command it runs are remembered in `table` (key
  name -> ids of the clients that read it; databases are not told apart, as in Redis); the
  first change of such a key sends each of them one invalidation and forgets the key;
- BCAST mode: nothing is remembered; every changed key that starts with one of the client's
  prefixes is sent, batched per prefix once per event-loop iteration;
- OPTIN / OPTOUT: only the reads after CLIENT CACHING YES are remembered, or all but those
  after CLIENT CACHING NO; NOLOOP: no invalidations for keys the client changed itself.

An invalidation is a RESP3 push `invalidate [key ...]` (a null instead of the keys after a
FLUSHDB/FLUSHALL), or, with REDIRECT, goes to another client: as a push if it speaks RESP3,
else as a message on `__redis__:invalidate` if it is subscribed to anything. A change the
client makes itself is announced after that command's reply.

Keys are hooked (`Keyspace.on_modified`) only while some client tracks or some key is
remembered, so the write path of a server without tracking pays nothing.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from node.replies import Push

if TYPE_CHECKING:
    from node.client import Client
    from node.keyspace import Database
    from node.server import Server
    from node.table import Command

CHANNEL = b"__redis__:invalidate"


class ClientTracking:
    """One client's CLIENT TRACKING settings."""

    __slots__ = ("bcast", "optin", "optout", "noloop", "redirect", "prefixes", "caching",
                 "broken_redirect")

    def __init__(self, bcast: bool, optin: bool, optout: bool, noloop: bool, redirect: int,
                 prefixes: list[bytes]) -> None:
        self.bcast = bcast
        self.optin = optin
        self.optout = optout
        self.noloop = noloop
        self.redirect = redirect  # client id, 0 for none
        self.prefixes = prefixes
        # CLIENT CACHING YES (OPTIN) or NO (OPTOUT) was given: it holds for the next command
        # that is not a CLIENT one (and through a MULTI), as Redis's CLIENT_TRACKING_CACHING.
        self.caching = False
        self.broken_redirect = False


class Tracking:
    """The server's tracking table and BCAST prefixes (`server.tracking`)."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.table: dict[bytes, dict[int, None]] = {}
        # prefix -> the clients broadcast to, and the keys changed this iteration under it
        # (key -> id of the client that changed it, for NOLOOP; 0 for none).
        self.prefixes: dict[bytes, tuple[dict["Client", None], dict[bytes, int]]] = {}
        self.clients = 0
        self.current: "Client | None" = None  # the tracking client running a command
        self.pending: list[bytes] = []  # its own changes, announced after its reply
        self._hooked = False
        self._broadcast_scheduled = False

    # -- CLIENT TRACKING ON/OFF --------------------------------------------------------------

    def enable(self, client: "Client", settings: ClientTracking) -> None:
        """CLIENT TRACKING ON: `settings` replace the client's, its BCAST prefixes add up."""
        old = client.tracking
        if old is None:
            self.clients += 1
        if settings.bcast:
            added = settings.prefixes or [b""]  # no PREFIX: every key
            kept = old.prefixes if old is not None else []
            settings.prefixes = kept + [p for p in added if p not in kept]
            for prefix in added:
                self.prefixes.setdefault(prefix, ({}, {}))[0][client] = None
        client.tracking = settings
        client.checks_changed()
        self._hook()

    def disable(self, client: "Client") -> None:
        settings = client.tracking
        if settings is None:
            return
        if settings.bcast:
            self._drop_prefixes(client, settings.prefixes)
        client.tracking = None
        self.clients -= 1
        client.checks_changed()
        self._unhook_if_idle()

    def _drop_prefixes(self, client: "Client", prefixes: list[bytes]) -> None:
        for prefix in prefixes:
            entry = self.prefixes.get(prefix)
            if entry is None:
                continue
            entry[0].pop(client, None)
            if not entry[0]:
                del self.prefixes[prefix]

    def _hook(self) -> None:
        if not self._hooked:
            self.server.keyspace.on_modified.append(self._modified)
            self._hooked = True

    def _unhook_if_idle(self) -> None:
        # As Redis, remembered keys outlive their readers until they change (INFO counts
        # them): the hook stays until no client tracks and no key is remembered.
        if self._hooked and not self.clients and not self.table:
            self.server.keyspace.on_modified.remove(self._modified)
            self._hooked = False

    # -- reads: remembering keys -------------------------------------------------------------

    def remember(self, client: "Client", cmd: "Command", argv: list[bytes]) -> None:
        """After a read-only command of a default-mode tracking client: its keys."""
        settings = client.tracking
        assert settings is not None
        if settings.bcast or (settings.optin and not settings.caching) or (
                settings.optout and settings.caching):
            return
        table = self.table
        for i in cmd.key_indexes(argv):
            table.setdefault(argv[i], {})[client.id] = None
        limit = self.server.config["tracking-table-max-keys"]
        while limit and len(table) > limit:  # the oldest keys go, as if they had changed
            self._invalidate_key(next(iter(table)), None)

    # -- writes: invalidating ----------------------------------------------------------------

    def _modified(self, db: "Database", key: bytes) -> None:
        current = self.current
        if self.prefixes:
            for prefix, (_, keys) in self.prefixes.items():
                if key.startswith(prefix):
                    keys[key] = current.id if current is not None else 0
                    self._schedule_broadcast()
        if key in self.table:
            self._invalidate_key(key, current)
            if not self.clients:
                self._unhook_if_idle()

    def _invalidate_key(self, key: bytes, current: "Client | None") -> None:
        clients = self.server.clients
        for client_id in self.table.pop(key):
            target = clients.get(client_id)
            settings = target.tracking if target is not None else None
            if settings is None or settings.bcast:
                continue
            if target is current:
                if not settings.noloop:
                    self.pending.append(key)  # after its reply (Redis's tracking_pending_keys)
                continue
            self.send(target, [key])

    def flushed(self) -> None:
        """FLUSHDB/FLUSHALL: every tracking client drops its whole cache (a null key list)."""
        self.table.clear()
        self._unhook_if_idle()
        if not self.clients:
            return
        for client in list(self.server.clients.values()):
            if client.tracking is not None:
                if client is self.current:
                    self.pending.append(b"")  # marks the flush, announced after the reply
                else:
                    self.send(client, None)

    def after_command(self, client: "Client") -> None:
        """The tracking client's command replied: announce its own changes."""
        pending, self.pending = self.pending, []
        if b"" in pending:
            self.send(client, None)
            pending = [k for k in pending if k]
        for key in pending:
            self.send(client, [key])

    def _schedule_broadcast(self) -> None:
        if not self._broadcast_scheduled:
            self._broadcast_scheduled = True
            asyncio.get_running_loop().call_soon(self._broadcast)

    def _broadcast(self) -> None:
        """BCAST: each prefix's changed keys to its clients, once per loop iteration."""
        self._broadcast_scheduled = False
        for clients, keys in self.prefixes.values():
            if not keys:
                continue
            for client in list(clients):
                settings = client.tracking
                if settings is None:
                    continue
                mine = [k for k, by in keys.items()
                        if not (settings.noloop and by == client.id)]
                if mine:
                    self.send(client, mine)
            keys.clear()

    # -- delivery ------------------------------------------------------------------------------

    def send(self, client: "Client", keys: list[bytes] | None) -> None:
        """An invalidation for `client` (None: everything), to it or where it redirects."""
        settings = client.tracking
        target = client
        redirected = False
        if settings is not None and settings.redirect:
            target = self.server.clients.get(settings.redirect)
            if target is None or target.closing:
                settings.broken_redirect = True
                if client.protocol == 3:
                    client.push_message(client.encode(
                        Push([b"tracking-redir-broken", settings.redirect])))
                return
            redirected = True
        if target.protocol == 3:
            target.push_message(target.encode(Push([b"invalidate", keys])))
        elif redirected and target.subscriptions is not None:
            target.push_message(target.encode(Push([b"message", CHANNEL, keys])))
        # (A RESP2 client without a redirect cannot be told anything.)
