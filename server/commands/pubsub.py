"""Pub/Sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH and PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|
SHARDNUMSUB|HELP.

(Un)subscribing answers one message per channel ([kind, channel, count]), each a Push:
`>` in RESP3, an array in RESP2, so a command may send several; they are encoded here
with the client's protocol and sent as one RawReply. The count is the client's
channels plus patterns, or its shard channels for the shard commands, as in Redis.
A RESP2 client with any subscription is in subscribe mode: the executor then refuses
every command but these, PING, QUIT and RESET (server/executor.py).
"""

from __future__ import annotations

from typing import Any, Callable

from protocol.replies import Push, RawReply, SimpleString
from protocol.resp import encode
from server import errors
from server.context import ClientState, CommandContext
from server.errors import CommandError
from server.pubsub import PubSub
from server.registry import FAST, LOADING, NOSCRIPT, PUBSUB, STALE, CommandGroup, KeySpec

# No group category: PUBSUB HELP is not @pubsub; the PUBSUB flag gives the others theirs.
group = CommandGroup("pubsub")

_SUBSCRIBE_FLAGS = PUBSUB | NOSCRIPT | LOADING | STALE
_SHARD_KEYS = KeySpec(1, -1, flags=("not_key",))

# ------------------------------------------------------------------ Pub/Sub API


def _pubsub(ctx: CommandContext) -> PubSub:
    return ctx.server.pubsub  # type: ignore[no-any-return]


def _count(client: ClientState) -> int:
    return len(client.channels) + len(client.patterns)


def _shard_count(client: ClientState) -> int:
    return len(client.shard_channels)


def _messages(ctx: CommandContext, items: list[list[Any]]) -> RawReply:
    protocol = ctx.client.protocol
    return RawReply(b"".join(encode(Push(item), protocol) for item in items))


def subscribe_generic(ctx: CommandContext, names: list[bytes], kind: bytes,
                      add: Callable[[ClientState, bytes], None],
                      count: Callable[[ClientState], int]) -> RawReply:
    client = ctx.client
    items = []
    for name in names:
        add(client, name)
        items.append([kind, name, count(client)])
    client.update_command_filter()
    return _messages(ctx, items)


def unsubscribe_generic(ctx: CommandContext, names: list[bytes], current: set[bytes],
                        kind: bytes, remove: Callable[[ClientState, bytes], bool],
                        count: Callable[[ClientState], int]) -> RawReply:
    """Leave the named channels, or all of them without names; with nothing to leave
    the reply is one message with a null channel."""
    client = ctx.client
    items = []
    for name in names or sorted(current):
        remove(client, name)
        items.append([kind, name, count(client)])
    if not items:
        items.append([kind, None, count(client)])
    client.update_command_filter()
    return _messages(ctx, items)


def leave_all(ctx: CommandContext) -> None:
    """RESET and disconnects: every subscription ends without a message."""
    client = ctx.client
    if client.is_subscribed:
        _pubsub(ctx).drop_client(client)
        client.update_command_filter()


# ------------------------------------------------------------------ Pub/Sub commands

@group.command("SUBSCRIBE", -2, _SUBSCRIBE_FLAGS,
               summary="Listen for messages published to the given channels", since="2.0.0",
               complexity="O(N) where N is the number of channels to subscribe to.",
               syntax="channel [channel ...]")
def subscribe_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SUBSCRIBE channel [channel ...]"""
    return subscribe_generic(ctx, argv[1:], b"subscribe", _pubsub(ctx).subscribe, _count)


@group.command("UNSUBSCRIBE", -1, _SUBSCRIBE_FLAGS,
               summary="Stop listening for messages posted to the given channels",
               since="2.0.0",
               complexity=("O(N) where N is the number of clients already subscribed to a "
                           "channel."),
               syntax="[channel [channel ...]]")
def unsubscribe_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """UNSUBSCRIBE [channel [channel ...]]"""
    return unsubscribe_generic(ctx, argv[1:], ctx.client.channels, b"unsubscribe",
                               _pubsub(ctx).unsubscribe, _count)


@group.command("PSUBSCRIBE", -2, _SUBSCRIBE_FLAGS,
               summary="Listen for messages published to channels matching the given patterns",
               since="2.0.0",
               complexity=("O(N) where N is the number of patterns the client is already "
                           "subscribed to."),
               syntax="<pattern:pattern> [<pattern:pattern> ...]")
def psubscribe_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PSUBSCRIBE pattern [pattern ...]"""
    return subscribe_generic(ctx, argv[1:], b"psubscribe", _pubsub(ctx).psubscribe, _count)


@group.command("PUNSUBSCRIBE", -1, _SUBSCRIBE_FLAGS,
               summary=("Stop listening for messages posted to channels matching the given "
                        "patterns"),
               since="2.0.0",
               complexity=("O(N+M) where N is the number of patterns the client is already "
                           "subscribed and M is the number of total patterns subscribed in "
                           "the system (by any client)."),
               syntax="[pattern:pattern [pattern:pattern ...]]")
def punsubscribe_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PUNSUBSCRIBE [pattern [pattern ...]]"""
    return unsubscribe_generic(ctx, argv[1:], ctx.client.patterns, b"punsubscribe",
                               _pubsub(ctx).punsubscribe, _count)


@group.command("PUBLISH", 3, PUBSUB | LOADING | STALE | FAST,
               summary="Post a message to a channel", since="2.0.0",
               complexity=("O(N+M) where N is the number of clients subscribed to the "
                           "receiving channel and M is the total number of subscribed "
                           "patterns (by any client)."),
               syntax="channel message")
def publish_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """PUBLISH channel message"""
    return _pubsub(ctx).publish(argv[1], argv[2])


@group.command("SSUBSCRIBE", -2, _SUBSCRIBE_FLAGS, keys=_SHARD_KEYS,
               summary="Listen for messages published to the given shard channels",
               since="7.0.0",
               complexity="O(N) where N is the number of shard channels to subscribe to.",
               syntax="shardchannel [shardchannel ...]")
def ssubscribe_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SSUBSCRIBE shardchannel [shardchannel ...]"""
    return subscribe_generic(ctx, argv[1:], b"ssubscribe", _pubsub(ctx).ssubscribe,
                             _shard_count)


@group.command("SUNSUBSCRIBE", -1, _SUBSCRIBE_FLAGS, keys=_SHARD_KEYS,
               summary="Stop listening for messages posted to the given shard channels",
               since="7.0.0",
               complexity=("O(N) where N is the number of clients already subscribed to a "
                           "shard channel."),
               syntax="[shardchannel [shardchannel ...]]")
def sunsubscribe_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SUNSUBSCRIBE [shardchannel [shardchannel ...]]"""
    return unsubscribe_generic(ctx, argv[1:], ctx.client.shard_channels, b"sunsubscribe",
                               _pubsub(ctx).sunsubscribe, _shard_count)


@group.command("SPUBLISH", 3, PUBSUB | LOADING | STALE | FAST,
               keys=KeySpec(1, flags=("not_key",)),
               summary="Post a message to a shard channel", since="7.0.0",
               complexity=("O(N) where N is the number of clients subscribed to the receiving "
                           "shard channel."),
               syntax="shardchannel message")
def spublish_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """SPUBLISH shardchannel message"""
    return _pubsub(ctx).spublish(argv[1], argv[2])


# ------------------------------------------------------------------ PUBSUB

pubsub_command = group.container("PUBSUB", -2, summary="A container for Pub/Sub commands",
                                 since="2.8.0", complexity="Depends on subcommand.")

_INTROSPECTION_FLAGS = PUBSUB | LOADING | STALE


def _at_most_one_pattern(argv: list[bytes]) -> bytes | None:
    if len(argv) > 3:
        raise CommandError(errors.unknown_subcommand_or_arity("pubsub", argv[1]))
    return argv[2] if len(argv) == 3 else None


@group.subcommand(pubsub_command, "CHANNELS", -2, _INTROSPECTION_FLAGS, since="2.8.0",
                  summary="List active channels",
                  complexity=("O(N) where N is the number of active channels, and assuming "
                              "constant time pattern matching (relatively short channels and "
                              "patterns)"),
                  syntax="[pattern:pattern]")
def pubsub_channels_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PUBSUB CHANNELS [pattern]"""
    pubsub = _pubsub(ctx)
    return pubsub.active(pubsub.channels, _at_most_one_pattern(argv))


@group.subcommand(pubsub_command, "NUMSUB", -2, _INTROSPECTION_FLAGS, since="2.8.0",
                  summary="Get the count of subscribers for channels",
                  complexity=("O(N) for the NUMSUB subcommand, where N is the number of "
                              "requested channels"),
                  syntax="[channel [channel ...]]")
def pubsub_numsub_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PUBSUB NUMSUB [channel [channel ...]]"""
    pubsub = _pubsub(ctx)
    return pubsub.counts(pubsub.channels, argv[2:])


@group.subcommand(pubsub_command, "NUMPAT", 2, _INTROSPECTION_FLAGS, since="2.8.0",
                  summary="Get the count of unique patterns pattern subscriptions",
                  complexity="O(1)")
def pubsub_numpat_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PUBSUB NUMPAT"""
    return len(_pubsub(ctx).patterns)


@group.subcommand(pubsub_command, "SHARDCHANNELS", -2, _INTROSPECTION_FLAGS, since="7.0.0",
                  summary="List active shard channels",
                  complexity=("O(N) where N is the number of active shard channels, and "
                              "assuming constant time pattern matching (relatively short "
                              "shard channels)."),
                  syntax="[pattern:pattern]")
def pubsub_shardchannels_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PUBSUB SHARDCHANNELS [pattern]"""
    pubsub = _pubsub(ctx)
    return pubsub.active(pubsub.shard_channels, _at_most_one_pattern(argv))


@group.subcommand(pubsub_command, "SHARDNUMSUB", -2, _INTROSPECTION_FLAGS, since="7.0.0",
                  summary="Get the count of subscribers for shard channels",
                  complexity=("O(N) for the SHARDNUMSUB subcommand, where N is the number of "
                              "requested shard channels"),
                  syntax="[shardchannel [shardchannel ...]]")
def pubsub_shardnumsub_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]"""
    pubsub = _pubsub(ctx)
    return pubsub.counts(pubsub.shard_channels, argv[2:])


_PUBSUB_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> "
    "(default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
]


@group.subcommand(pubsub_command, "HELP", 2, LOADING | STALE, since="6.2.0",
                  complexity="O(1)", summary="Show helpful text about the different subcommands")
def pubsub_help_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PUBSUB HELP"""
    return [SimpleString(line.encode()) for line in _PUBSUB_HELP]
