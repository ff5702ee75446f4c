"""The pubsub group: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, over
node/pubsub.py.

The subscribe family answers with one confirmation per channel, pushed as it goes (inside an
EXEC too, as Redis does), so their handlers reply NO_REPLY. Shard channels are keys to cluster
routing (their key specs are flagged `not_key`), so SSUBSCRIBE, SUNSUBSCRIBE and SPUBLISH are
redirected with MOVED or refused with CROSSSLOT like any keyed command. A message published on
one node reaches the subscribers of the others: through the coordinator in a cluster, down the
replication stream to replicas otherwise.
"""

from __future__ import annotations

from typing import Any

from node.client import REPLY_ON, REPLY_SKIP
from node.commands.client import subcommand_syntax_error
from node.commands.command import help_reply
from node.pubsub import CHANNELS, PATTERNS, SHARD
from node.replies import NO_REPLY
from node.table import KeySpec, command

_FLAGS = "pubsub noscript loading stale"
# Shard channels, as Redis 7.0 declares them: every argument from the first, not keys.
_SHARD_CHANNELS = (KeySpec(("not_key",), 1, lastkey=-1),)


def _confirmed(ctx: Any) -> Any:
    """The (un)subscribe commands' reply: none, their confirmations went out as pushes, which
    CLIENT REPLY does not silence. They still are the command a CLIENT REPLY SKIP skips."""
    if ctx.reply_mode == REPLY_SKIP:
        ctx.reply_mode = REPLY_ON
    return NO_REPLY


HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


@command("subscribe", -2, _FLAGS, channels="subscribe", group="pubsub", since="2.0.0",
         complexity="O(N) where N is the number of channels to subscribe to.",
         summary="Listen for messages published to the given channels")
def subscribe(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.pubsub.subscribe(ctx, CHANNELS, argv[1:])
    return _confirmed(ctx)


@command("unsubscribe", -1, _FLAGS, group="pubsub", since="2.0.0",
         complexity="O(N) where N is the number of clients already subscribed to a channel.",
         summary="Stop listening for messages posted to the given channels")
def unsubscribe(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.pubsub.unsubscribe(ctx, CHANNELS, argv[1:] or None)
    return _confirmed(ctx)


@command("psubscribe", -2, _FLAGS, channels="pattern", group="pubsub", since="2.0.0",
         complexity="O(N) where N is the number of patterns the client is already subscribed "
                    "to.",
         summary="Listen for messages published to channels matching the given patterns")
def psubscribe(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.pubsub.subscribe(ctx, PATTERNS, argv[1:])
    return _confirmed(ctx)


@command("punsubscribe", -1, _FLAGS, group="pubsub", since="2.0.0",
         complexity="O(N+M) where N is the number of patterns the client is already "
                    "subscribed and M is the number of total patterns subscribed in the system "
                    "(by any client).",
         summary="Stop listening for messages posted to channels matching the given patterns")
def punsubscribe(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.pubsub.unsubscribe(ctx, PATTERNS, argv[1:] or None)
    return _confirmed(ctx)


@command("ssubscribe", -2, _FLAGS, keys=(1, -1, 1), key_specs=_SHARD_CHANNELS,
         channels="subscribe",
         group="pubsub", since="7.0.0",
         complexity="O(N) where N is the number of shard channels to subscribe to.",
         summary="Listen for messages published to the given shard channels")
def ssubscribe(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.pubsub.subscribe(ctx, SHARD, argv[1:])
    return _confirmed(ctx)


@command("sunsubscribe", -1, _FLAGS, keys=(1, -1, 1), key_specs=_SHARD_CHANNELS,
         group="pubsub", since="7.0.0",
         complexity="O(N) where N is the number of clients already subscribed to a shard "
                    "channel.",
         summary="Stop listening for messages posted to the given shard channels")
def sunsubscribe(ctx: Any, argv: list[bytes]) -> Any:
    ctx.server.pubsub.unsubscribe(ctx, SHARD, argv[1:] or None)
    return _confirmed(ctx)


@command("publish", 3, "pubsub loading stale fast may_replicate", channels="publish",
         group="pubsub",
         since="2.0.0",
         complexity="O(N+M) where N is the number of clients subscribed to the receiving "
                    "channel and M is the total number of subscribed patterns (by any client).",
         summary="Post a message to a channel")
def publish(ctx: Any, argv: list[bytes]) -> int:
    return _publish(ctx, argv, shard=False)


def _publish(ctx: Any, argv: list[bytes], shard: bool) -> int:
    """Deliver here, and to the other nodes' subscribers: in a cluster through the
    coordinator (to all of them, or the shard's for SPUBLISH), as Redis Cluster's bus; else
    down the replication stream, as Redis. The count is this node's receivers, as in Redis."""
    server = ctx.server
    receivers = server.pubsub.publish(argv[1], argv[2], shard=shard)
    cluster = server.cluster
    if cluster is not None:
        if cluster.link is not None:
            cluster.link.publish(argv[1], argv[2], shard)
    elif server.propagation.replicating and not ctx.must_obey:
        # Down the replication stream, for the replicas' subscribers (not into the AOF).
        server.propagation.replicate_only(ctx.db.index, argv)
    return receivers


@command("spublish", 3, "pubsub loading stale fast may_replicate", keys=(1, 1, 1),
         channels="publish",
         key_specs=(KeySpec(("not_key",), 1),), group="pubsub", since="7.0.0",
         complexity="O(N) where N is the number of clients subscribed to the receiving shard "
                    "channel.",
         summary="Post a message to a shard channel")
def spublish(ctx: Any, argv: list[bytes]) -> int:
    return _publish(ctx, argv, shard=True)


command("pubsub", -2, "", categories="slow", group="pubsub", since="2.8.0",
        complexity="Depends on subcommand.", summary="A container for Pub/Sub commands")(None)


def _pattern(argv: list[bytes]) -> bytes | None:
    """CHANNELS / SHARDCHANNELS take one optional pattern."""
    if len(argv) > 3:
        raise subcommand_syntax_error(argv)
    return argv[2] if len(argv) == 3 else None


@command("pubsub|channels", -2, "pubsub loading stale", group="pubsub", since="2.8.0",
         complexity="O(N) where N is the number of active channels, and assuming constant "
                    "time pattern matching (relatively short channels and patterns)",
         summary="List active channels")
def pubsub_channels(ctx: Any, argv: list[bytes]) -> list[bytes]:
    return ctx.server.pubsub.names(CHANNELS, _pattern(argv))


@command("pubsub|numsub", -2, "pubsub loading stale", group="pubsub", since="2.8.0",
         complexity="O(N) for the NUMSUB subcommand, where N is the number of requested "
                    "channels",
         summary="Get the count of subscribers for channels")
def pubsub_numsub(ctx: Any, argv: list[bytes]) -> list:
    return ctx.server.pubsub.numsub(CHANNELS, argv[2:])


@command("pubsub|numpat", 2, "pubsub loading stale", group="pubsub", since="2.8.0",
         summary="Get the count of unique patterns pattern subscriptions")
def pubsub_numpat(ctx: Any, argv: list[bytes]) -> int:
    return len(ctx.server.pubsub.patterns)


@command("pubsub|shardchannels", -2, "pubsub loading stale", group="pubsub", since="7.0.0",
         complexity="O(N) where N is the number of active shard channels, and assuming "
                    "constant time pattern matching (relatively short shard channels).",
         summary="List active shard channels")
def pubsub_shardchannels(ctx: Any, argv: list[bytes]) -> list[bytes]:
    return ctx.server.pubsub.names(SHARD, _pattern(argv))


@command("pubsub|shardnumsub", -2, "pubsub loading stale", group="pubsub", since="7.0.0",
         complexity="O(N) for the SHARDNUMSUB subcommand, where N is the number of requested "
                    "shard channels",
         summary="Get the count of subscribers for shard channels")
def pubsub_shardnumsub(ctx: Any, argv: list[bytes]) -> list:
    return ctx.server.pubsub.numsub(SHARD, argv[2:])


@command("pubsub|help", 2, "loading stale", categories="slow", group="pubsub", since="6.2.0",
         summary="Show helpful text about the different subcommands")
def pubsub_help(ctx: Any, argv: list[bytes]) -> list:
    return help_reply(HELP)
