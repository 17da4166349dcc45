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


WriteSubscriber = Callable[[WriteRecord], None]


class WriteStream:
    __slots__ = ("subscribers", "_unit")

    def __init__(self) -> None:
        self.subscribers: list[WriteSubscriber] = []
        self._unit: list[WriteRecord] | None = None

    def subscribe(self, subscriber: WriteSubscriber) -> None:
        self.subscribers.append(subscriber)

    def unsubscribe(self, subscriber: WriteSubscriber) -> None:
        self.subscribers.remove(subscriber)

    def emit(self, db_index: int, argv: list[bytes]) -> None:
        if self.subscribers:
            record = WriteRecord(db_index, argv)
            if self._unit is not None:
                self._unit.append(record)
                return
            for subscriber in self.subscribers:
                subscriber(record)

    @property
    def in_unit(self) -> bool:
        return self._unit is not None

    def begin_unit(self) -> None:
        """Hold records until end_unit (EXEC runs its queue inside one unit)."""
        self._unit = []

    def end_unit(self) -> None:
        records, self._unit = self._unit, None
        if not records:
            return
        if len(records) > 1:
            records = [WriteRecord(records[0].db_index, [b"MULTI"]), *records,
                       WriteRecord(records[-1].db_index, [b"EXEC"])]
        for record in records:
            for subscriber in list(self.subscribers):
                subscriber(record)
