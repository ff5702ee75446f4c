"""Pub/sub: who listens to which channel, pattern and shard channel, and delivering messages.

As Redis's pubsub.c. A client's subscriptions live in its `Subscriptions` (None until it first
subscribes); the server-wide maps (`PubSub`) go from each channel, pattern or shard channel to
its subscribers in the order they subscribed, which is the order messages reach them.

Confirmations (`subscribe`, `unsubscribe`, ...) and messages are RESP3 push messages, plain
arrays in RESP2. A RESP2 client with any subscription is in the Pub/Sub context, where only the
(P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET commands run (see Client.execute);
`Client.pubsub_context` says whether it is, so the request path tests one attribute.

The counts in confirmations follow Redis 7.0: channels and patterns count together, shard
channels on their own. A client stays a Pub/Sub client (flag P, output-buffer class `pubsub`)
while it has any subscription of either kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

from node.glob import glob_matcher
from node.replies import Push

if TYPE_CHECKING:
    from node.client import Client
    from node.server import Server

Subscribers = dict["Client", None]  # insertion-ordered: subscription order


class Subscriptions:
    """One client's subscriptions, each in the order it subscribed."""

    __slots__ = ("channels", "patterns", "shard")

    def __init__(self) -> None:
        self.channels: dict[bytes, None] = {}
        self.patterns: dict[bytes, None] = {}
        self.shard: dict[bytes, None] = {}

    def count(self) -> int:
        """Redis's clientSubscriptionsCount: channels and patterns."""
        return len(self.channels) + len(self.patterns)

    def total(self) -> int:
        return len(self.channels) + len(self.patterns) + len(self.shard)


class _Kind:
    """One of the three kinds of subscription: its reply words and its server-wide map."""

    def __init__(self, attr: str, subscribe: bytes, unsubscribe: bytes, shard: bool) -> None:
        self.attr = attr  # the Subscriptions field
        self.subscribe = subscribe
        self.unsubscribe = unsubscribe
        self.shard = shard  # counted apart from channels and patterns

    def own(self, subs: Subscriptions) -> dict[bytes, None]:
        return getattr(subs, self.attr)

    def count(self, subs: Subscriptions) -> int:
        return len(subs.shard) if self.shard else subs.count()


CHANNELS = _Kind("channels", b"subscribe", b"unsubscribe", False)
PATTERNS = _Kind("patterns", b"psubscribe", b"punsubscribe", False)
SHARD = _Kind("shard", b"ssubscribe", b"sunsubscribe", True)


class PubSub:
    """The server's subscriptions (`server.pubsub`)."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.channels: dict[bytes, Subscribers] = {}
        self.patterns: dict[bytes, Subscribers] = {}
        self.shard: dict[bytes, Subscribers] = {}
        # pattern -> its matcher, compiled once per pattern (PUBLISH tests every pattern).
        self._matchers: dict[bytes, Callable[[bytes], bool]] = {}

    def _map(self, kind: _Kind) -> dict[bytes, Subscribers]:
        return getattr(self, kind.attr)

    # -- subscribing -------------------------------------------------------------------------

    def subscribe(self, client: "Client", kind: _Kind, names: Iterable[bytes]) -> None:
        """(P|S)SUBSCRIBE: add each name, confirming each (repeats too, as Redis)."""
        subs = client.subscriptions
        if subs is None:
            subs = client.subscriptions = Subscriptions()
        own = kind.own(subs)
        server_map = self._map(kind)
        for name in names:
            if name not in own:
                own[name] = None
                server_map.setdefault(name, {})[client] = None
                if kind is PATTERNS and name not in self._matchers:
                    self._matchers[name] = glob_matcher(name)
            client.write(Push([kind.subscribe, name, kind.count(subs)]))
        client.checks_changed()

    def unsubscribe(self, client: "Client", kind: _Kind, names: list[bytes] | None) -> None:
        """(P|S)UNSUBSCRIBE: the names given, or every one of this kind (None). Confirms each,
        or, with nothing to leave, once with a null name."""
        subs = client.subscriptions
        own = kind.own(subs) if subs is not None else {}
        targets = list(own) if names is None else names
        for name in targets:
            if name in own:
                del own[name]
                self._drop(kind, name, client)
            client.write(Push([kind.unsubscribe, name, kind.count(subs) if subs else 0]))
        if not targets:
            client.write(Push([kind.unsubscribe, None, kind.count(subs) if subs else 0]))
        client.checks_changed()

    def _drop(self, kind: _Kind, name: bytes, client: "Client") -> None:
        server_map = self._map(kind)
        subscribers = server_map.get(name)
        if subscribers is None:
            return
        subscribers.pop(client, None)
        if not subscribers:
            del server_map[name]
            if kind is PATTERNS:
                self._matchers.pop(name, None)

    def drop_shard_channels(self, gone: Callable[[bytes], bool]) -> None:
        """Unsubscribe everyone from the shard channels `gone` picks, each subscriber told
        with an `sunsubscribe` push: their slot left this node's shard (Redis's
        removeChannelsInSlot)."""
        for name in [name for name in self.shard if gone(name)]:
            for client in list(self.shard.get(name, ())):
                self.unsubscribe(client, SHARD, [name])
                client.flush_later()

    def forget(self, client: "Client") -> None:
        """Drop every subscription of a client that leaves (or RESETs), with no confirmations."""
        subs = client.subscriptions
        if subs is None:
            return
        for kind in (CHANNELS, PATTERNS, SHARD):
            for name in kind.own(subs):
                self._drop(kind, name, client)
        client.subscriptions = None
        client.checks_changed()

    # -- publishing --------------------------------------------------------------------------

    def publish(self, channel: bytes, message: bytes, shard: bool = False) -> int:
        """Deliver to the channel's subscribers, then to each pattern's (not for shard
        channels); the number of deliveries, as PUBLISH/SPUBLISH answer."""
        receivers = 0
        subscribers = (self.shard if shard else self.channels).get(channel)
        if subscribers:
            _deliver(subscribers, Push([b"smessage" if shard else b"message", channel, message]))
            receivers += len(subscribers)
        if not shard and self.patterns:
            for pattern, clients in list(self.patterns.items()):
                if not self._matchers[pattern](channel):
                    continue
                _deliver(clients, Push([b"pmessage", pattern, channel, message]))
                receivers += len(clients)
        return receivers

    # -- introspection (PUBSUB, INFO) --------------------------------------------------------

    def names(self, kind: _Kind, pattern: bytes | None) -> list[bytes]:
        """Active channels (or shard channels), those matching `pattern` if one is given."""
        names = list(self._map(kind))
        if pattern is None:
            return names
        match = glob_matcher(pattern)
        return [name for name in names if match(name)]

    def numsub(self, kind: _Kind, names: list[bytes]) -> list:
        server_map = self._map(kind)
        out: list = []
        for name in names:
            out += (name, len(server_map.get(name, ())))
        return out



def _deliver(clients: Subscribers, message: Push) -> None:
    # Encoded once per protocol, not once per subscriber.
    encoded: dict[int, bytes] = {}
    for client in list(clients):
        data = encoded.get(client.protocol)
        if data is None:
            data = encoded[client.protocol] = client.encode(message)
        client.push_message(data)
