"""Optimistic locking for MULTI/EXEC: which clients WATCH which keys (Redis's multi.c).

`Watches` hears of every key change through the keyspace hooks, registered only while some
client watches, and marks the watchers' transactions dirty (`client.dirty_cas`); EXEC of a
dirty transaction replies with a null array. As in Redis 7.0, a key that had already expired
when it was watched does not dirty the transaction by being deleted, while a key that expires
between WATCH and EXEC does (`expired_since_watch`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from node.client import Client
    from node.keyspace import Database, Keyspace


class Watches:
    """Who watches which key, across the clients of one server."""

    def __init__(self, keyspace: "Keyspace") -> None:
        self.keyspace = keyspace
        self.watchers: dict[tuple[int, bytes], dict[Client, None]] = {}
        self._hooked = False

    def watch(self, client: "Client", db: "Database", key: bytes) -> None:
        entry = (db.index, key)
        if entry in client.watched:
            return
        when = db.expires.get(key) if key in db.data else None
        client.watched[entry] = when is not None and when < self.keyspace.now  # expired
        self.watchers.setdefault(entry, {})[client] = None
        if not self._hooked:
            ks = self.keyspace
            ks.on_modified.append(self._modified)
            ks.on_flushed.append(self._flushed)
            ks.on_swapped.append(self._swapped)
            self._hooked = True

    def unwatch(self, client: "Client") -> None:
        for entry in client.watched:
            clients = self.watchers.get(entry)
            if clients is not None:
                clients.pop(client, None)
                if not clients:
                    del self.watchers[entry]
        client.watched = {}
        if not self.watchers and self._hooked:
            ks = self.keyspace
            ks.on_modified.remove(self._modified)
            ks.on_flushed.remove(self._flushed)
            ks.on_swapped.remove(self._swapped)
            self._hooked = False

    def expired_since_watch(self, client: "Client") -> bool:
        """isWatchedKeyExpired: a key alive at WATCH time is logically expired now."""
        ks = self.keyspace
        for (index, key), was_expired in client.watched.items():
            db = ks.dbs[index]
            if not was_expired and key in db.data:
                when = db.expires.get(key)
                if when is not None and when < ks.now:
                    return True
        return False

    def _touch(self, entry: tuple[int, bytes], db: "Database") -> None:
        for client in self.watchers.get(entry, ()):
            if client.watched.get(entry):
                # Watched when already expired: its deletion is no logical change.
                if entry[1] not in db.data:
                    client.watched[entry] = False
                    continue
            client.dirty_cas = True

    def _modified(self, db: "Database", key: bytes) -> None:
        entry = (db.index, key)
        if entry in self.watchers:
            self._touch(entry, db)

    def _flushed(self, db: "Database") -> None:
        # touchAllWatchedKeysInDb: only keys that exist are changed by emptying the db.
        for entry in list(self.watchers):
            if entry[0] == db.index and entry[1] in db.data:
                for client in self.watchers[entry]:
                    client.dirty_cas = True

    def _swapped(self, a: "Database", b: "Database") -> None:
        # Either side's key existing (before or after the swap) changes what a watcher sees.
        for entry in list(self.watchers):
            if entry[0] in (a.index, b.index) and (entry[1] in a.data or entry[1] in b.data):
                for client in self.watchers[entry]:
                    client.dirty_cas = True
