"""Optimistic locking for MULTI/EXEC: which clients WATCH which keys (Redis's multi.c).

`Watches` hears of every key change through the keyspace hooks, registered only while some
client watches, and marks the watchers' transactions dirty (`client.dirty_cas`); EXEC of a
dirty transaction replies with a null array. As in Redis 7.0, a key that had already expired
when it was watched does not dirty the transaction by being deleted (by a command, FLUSHDB,
FLUSHALL or SWAPDB), while a key that expires between WATCH and EXEC does
(`expired_since_watch`).
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
        # Called before the db is emptied.
        self._emptied(db, None)

    def _swapped(self, a: "Database", b: "Database") -> None:
        # Called after the swap: each index now holds what replaces its old contents, which
        # the other index holds. Redis touches both sides before swapping, the same thing.
        self._emptied(a, b)
        if b is not a:
            self._emptied(b, a)

    def _emptied(self, db: "Database", old: "Database | None") -> None:
        """touchAllWatchedKeysInDb: the keys watched at `db`'s index lose the contents now in
        `old` (or in `db` itself for a flush) and get `db`'s (nothing for a flush).

        Only a key present on either side changes; a key watched when already expired that
        stays absent or expired is no logical change, nor is a missing key replaced by an
        expired one (which becomes one watched as expired, as Redis flags it)."""
        emptied, replaced_with = (db, None) if old is None else (old, db)
        now = self.keyspace.now
        for entry, clients in list(self.watchers.items()):
            if entry[0] != db.index:
                continue
            key = entry[1]
            in_emptied = key in emptied.data
            in_replacement = replaced_with is not None and key in replaced_with.data
            if not (in_emptied or in_replacement):
                continue
            expired = False
            if in_replacement:
                when = replaced_with.expires.get(key)  # type: ignore[union-attr]
                expired = when is not None and when < now
            for client in clients:
                if client.watched.get(entry):
                    if not in_replacement:
                        client.watched[entry] = False  # its deletion is no logical change
                        continue
                    if expired:
                        continue  # an expired key stays expired
                elif not in_emptied and expired:
                    client.watched[entry] = True  # nothing replaced by an expired key
                    continue
                client.dirty_cas = True
