"""Pub/Sub state: who listens to which channel, pattern and shard channel, and delivery.

Subscriptions are kept both ways, as in Redis: per channel the subscribed clients (in
subscription order, so messages reach them in that order) and per client its channels
(ClientState.channels / patterns / shard_channels). A message goes to each client as a
Push, which the encoder writes as `>` in RESP3 and as an array in RESP2.

Slow subscribers: after each message the receiving connection compares its pending
output with `client-output-buffer-limit pubsub` (server/connection.py), and drops the
client past the hard limit, or past the soft limit for longer than its seconds, as
Redis does, instead of buffering without bound.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from protocol.replies import Push
from server.glob import compile_glob

if TYPE_CHECKING:
    from server.context import ClientState

Subscribers = dict[bytes, dict[int, "ClientState"]]


class PubSub:
    def __init__(self) -> None:
        self.channels: Subscribers = {}
        self.patterns: Subscribers = {}
        self.shard_channels: Subscribers = {}
        self._matchers: dict[bytes, object] = {}

    # ------------------------------------------------------------------ subscribing

    def subscribe(self, client: "ClientState", channel: bytes) -> None:
        if channel not in client.channels:
            client.channels.add(channel)
            self.channels.setdefault(channel, {})[client.id] = client

    def unsubscribe(self, client: "ClientState", channel: bytes) -> bool:
        if channel not in client.channels:
            return False
        client.channels.discard(channel)
        _forget(self.channels, channel, client)
        return True

    def psubscribe(self, client: "ClientState", pattern: bytes) -> None:
        if pattern not in client.patterns:
            client.patterns.add(pattern)
            self.patterns.setdefault(pattern, {})[client.id] = client
            if pattern not in self._matchers:
                self._matchers[pattern] = compile_glob(pattern)

    def punsubscribe(self, client: "ClientState", pattern: bytes) -> bool:
        if pattern not in client.patterns:
            return False
        client.patterns.discard(pattern)
        _forget(self.patterns, pattern, client)
        if pattern not in self.patterns:
            self._matchers.pop(pattern, None)
        return True

    def ssubscribe(self, client: "ClientState", channel: bytes) -> None:
        if channel not in client.shard_channels:
            client.shard_channels.add(channel)
            self.shard_channels.setdefault(channel, {})[client.id] = client

    def sunsubscribe(self, client: "ClientState", channel: bytes) -> bool:
        if channel not in client.shard_channels:
            return False
        client.shard_channels.discard(channel)
        _forget(self.shard_channels, channel, client)
        return True

    def drop_client(self, client: "ClientState") -> None:
        """A disconnecting or RESET client leaves every channel and pattern silently."""
        for channel in list(client.channels):
            self.unsubscribe(client, channel)
        for pattern in list(client.patterns):
            self.punsubscribe(client, pattern)
        for channel in list(client.shard_channels):
            self.sunsubscribe(client, channel)

    # ------------------------------------------------------------------ publishing

    def publish(self, channel: bytes, message: bytes) -> int:
        """Deliver to the channel's subscribers, then to matching patterns' ones;
        the number of deliveries (a client matching twice counts twice, as in Redis)."""
        receivers = 0
        subscribers = self.channels.get(channel)
        if subscribers:
            push = Push([b"message", channel, message])
            for client in list(subscribers.values()):
                _deliver(client, push)
                receivers += 1
        if self.patterns:
            for pattern, clients in list(self.patterns.items()):
                matcher = self._matchers.get(pattern)
                if matcher is None or not matcher(channel):  # type: ignore[operator]
                    continue
                push = Push([b"pmessage", pattern, channel, message])
                for client in list(clients.values()):
                    _deliver(client, push)
                    receivers += 1
        return receivers

    def spublish(self, channel: bytes, message: bytes) -> int:
        subscribers = self.shard_channels.get(channel)
        if not subscribers:
            return 0
        push = Push([b"smessage", channel, message])
        for client in list(subscribers.values()):
            _deliver(client, push)
        return len(subscribers)

    # ------------------------------------------------------------------ introspection

    def info_fields(self) -> list[tuple[str, object]]:
        return [("pubsub_channels", len(self.channels)),
                ("pubsub_patterns", len(self.patterns)),
                ("pubsubshard_channels", len(self.shard_channels))]

    def active(self, table: Subscribers, pattern: bytes | None) -> list[bytes]:
        if pattern is None:
            return list(table)
        matcher = compile_glob(pattern)
        return [name for name in table if matcher(name)]  # type: ignore[operator]

    def counts(self, table: Subscribers, names: Iterable[bytes]) -> list[object]:
        flat: list[object] = []
        for name in names:
            flat.append(name)
            flat.append(len(table.get(name, ())))
        return flat


def _forget(table: Subscribers, name: bytes, client: "ClientState") -> None:
    clients = table.get(name)
    if clients is not None:
        clients.pop(client.id, None)
        if not clients:
            del table[name]


def _deliver(client: "ClientState", push: Push) -> None:
    if client.push is not None:
        client.push(push, True)  # type: ignore[call-arg]
