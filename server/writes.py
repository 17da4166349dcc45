"""The write stream: every change to the dataset, in order, as the command that makes it.

The executor emits one `WriteRecord` per WRITE command that changed something (already
in its deterministic form, e.g. SET ... PXAT), and the keyspace emits a DEL for each key
it expires. Subscribers (the AOF writer, save-point counters) see only this stream; it
is the one door from the server's internals to persistence.
"""

from __future__ import annotations

from typing import Callable, NamedTuple


class WriteRecord(NamedTuple):
    db_index: int
    argv: list[bytes]


WriteSubscriber = Callable[[WriteRecord], None]


class WriteStream:
    __slots__ = ("subscribers",)

    def __init__(self) -> None:
        self.subscribers: list[WriteSubscriber] = []

    def subscribe(self, subscriber: WriteSubscriber) -> None:
        self.subscribers.append(subscriber)

    def unsubscribe(self, subscriber: WriteSubscriber) -> None:
        self.subscribers.remove(subscriber)

    def emit(self, db_index: int, argv: list[bytes]) -> None:
        if self.subscribers:
            record = WriteRecord(db_index, argv)
            for subscriber in self.subscribers:
                subscriber(record)
