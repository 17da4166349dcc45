"""The write stream: every change to the dataset, in order, as the command that makes it.

The executor emits one `WriteRecord` per WRITE command that changed something (already
in its deterministic form, e.g. SET ... PXAT), and the keyspace emits a DEL for each key
it expires. Subscribers (the AOF writer, save-point counters) see only this stream; it
is the one door from the server's internals to persistence.

A transaction is one unit (Redis 7.0's propagatePendingCommands): between begin_unit and
end_unit records are held, then delivered wrapped in MULTI ... EXEC when there are
several, or alone when there is one. MULTI carries the database of the first record
and EXEC that of the last, so the AOF writes a SELECT before MULTI when needed and
none before EXEC, as Redis does.
"""

from __future__ import annotations

from typing import Callable, NamedTuple


class WriteRecord(NamedTuple):
    db_index: int
    argv: list[bytes]


# Called as subscriber(db_index, argv): two arguments rather than a WriteRecord, since
# every logged write passes here and the tuple would be built only to be taken apart.
WriteSubscriber = Callable[[int, list[bytes]], None]


class WriteStream:
    __slots__ = ("subscribers", "_unit", "source")

    def __init__(self) -> None:
        self.subscribers: list[WriteSubscriber] = []
        self._unit: list[tuple[WriteRecord, list[bytes] | None]] | None = None
        # While a command logged in another form is emitted: the command as sent
        # (keyspace notifications name INCRBYFLOAT, SPOP ... by it). None otherwise.
        self.source: list[bytes] | None = None

    def subscribe(self, subscriber: WriteSubscriber) -> None:
        self.subscribers.append(subscriber)

    def unsubscribe(self, subscriber: WriteSubscriber) -> None:
        self.subscribers.remove(subscriber)

    def emit(self, db_index: int, argv: list[bytes]) -> None:
        if self.subscribers:
            if self._unit is not None:
                self._unit.append((WriteRecord(db_index, argv), self.source))
                return
            for subscriber in self.subscribers:
                subscriber(db_index, argv)

    @property
    def in_unit(self) -> bool:
        return self._unit is not None

    def begin_unit(self) -> None:
        """Hold records until end_unit (EXEC runs its queue inside one unit)."""
        self._unit = []

    def end_unit(self) -> None:
        held, self._unit = self._unit, None
        if not held:
            return
        if len(held) > 1:
            held = [(WriteRecord(held[0][0].db_index, [b"MULTI"]), None), *held,
                    (WriteRecord(held[-1][0].db_index, [b"EXEC"]), None)]
        for (db_index, argv), source in held:
            self.source = source
            for subscriber in list(self.subscribers):
                subscriber(db_index, argv)
        self.source = None


def collector(records: list[WriteRecord]) -> WriteSubscriber:
    """A subscriber that keeps every record in `records` (tests and tools watch the
    stream with it)."""
    return lambda db_index, argv: records.append(WriteRecord(db_index, argv))
