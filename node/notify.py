"""Keyspace notifications (`notify-keyspace-events`), as Redis's notify.c.

A command that changes a key announces it with `db.notify(CLASS, event, key)`. When the
event's class is on, it is published on `__keyspace@<db>__:<key>` (message: the event; with
K) and on `__keyevent@<db>__:<event>` (message: the key; with E), to this node's subscribers
only, as Redis does even in cluster mode. The event names and which command sends which are
Redis 7.0's; each data type module sends its own.

With no K and no E nothing can be delivered, so `Keyspace.notify_flags` stays 0 and every
call costs one test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from node.pubsub import PubSub

KEYSPACE = 1 << 0   # K
KEYEVENT = 1 << 1   # E
GENERIC = 1 << 2    # g
STRING = 1 << 3     # $
LIST = 1 << 4       # l
SET = 1 << 5        # s
HASH = 1 << 6       # h
ZSET = 1 << 7       # z
EXPIRED = 1 << 8    # x
EVICTED = 1 << 9    # e
STREAM = 1 << 10    # t
KEY_MISS = 1 << 11  # m (not part of A)
MODULE = 1 << 13    # d
NEW = 1 << 14       # n (not part of A)

_LETTERS = {"K": KEYSPACE, "E": KEYEVENT, "g": GENERIC, "$": STRING, "l": LIST, "s": SET,
            "h": HASH, "z": ZSET, "x": EXPIRED, "e": EVICTED, "t": STREAM, "m": KEY_MISS,
            "d": MODULE, "n": NEW}
_ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE


def flags_of(setting: str) -> int:
    """The class bits of a (validated) notify-keyspace-events value; 0 when neither K nor E
    is given, since then no event has anywhere to go."""
    flags = 0
    for letter in setting:
        flags |= _ALL if letter == "A" else _LETTERS[letter]
    return flags if flags & (KEYSPACE | KEYEVENT) else 0


class Notifier:
    """Publishes the events of the classes that are on (`Keyspace.notify`)."""

    def __init__(self, pubsub: "PubSub") -> None:
        self.pubsub = pubsub
        self.flags = 0

    def __call__(self, event: bytes, key: bytes, dbid: int) -> None:
        db = b"%d" % dbid
        if self.flags & KEYSPACE:
            self.pubsub.publish(b"__keyspace@" + db + b"__:" + key, event)
        if self.flags & KEYEVENT:
            self.pubsub.publish(b"__keyevent@" + db + b"__:" + event, key)
