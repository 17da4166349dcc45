"""A base file from a dataset snapshot, in one of Redis's two forms:
- aof-use-rdb-preamble yes (the default): an RDB file with AUX aof-base=1
  (persistence/rdb/writer.py), named <appendfilename>.<seq>.base.rdb;
- no: RESP commands (rewriteAppendOnlyFileRio): per database `SELECT <db>`, then per
  key the commands that rebuild it, then `PEXPIREAT key <ms>` if it has a TTL.
  Aggregates are written in commands of at most 64 elements, as Redis does, so no
  single record grows without bound.

Only the snapshot entries are read (db index, key, value, expire_at_ms), never the
keyspace itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Protocol

from persistence.aof.records import encode_command, timestamp_annotation
from persistence.rdb.writer import write_rdb
from server.hash_type import Hash
from server.quicklist import QuickList
from server.set_type import Set
from server.sorted_set import SortedSet

ITEMS_PER_COMMAND = 64


class SnapshotEntry(Protocol):
    db_index: int
    key: bytes
    value: Any
    expire_at_ms: int | None


def _string_commands(key: bytes, value: Any) -> Iterator[list[bytes]]:
    yield [b"SET", key, bytes(value)]


def _list_commands(key: bytes, value: QuickList) -> Iterator[list[bytes]]:
    """RPUSH key e1 .. e64, head to tail, as Redis's rewriteListObject writes a list."""
    batch: list[bytes] = []
    for element in value:
        batch.append(element)
        if len(batch) == ITEMS_PER_COMMAND:
            yield [b"RPUSH", key, *batch]
            batch = []
    if batch:
        yield [b"RPUSH", key, *batch]


def _sorted_set_commands(key: bytes, value: SortedSet) -> Iterator[list[bytes]]:
    """ZADD key score member ... (64 pairs a command) in rank order, scores in %.17g as
    Redis's rewriteSortedSetObject writes them; ZADD makes the encoding choice again."""
    batch: list[bytes] = []
    for member, score in value.items():
        batch.append(b"inf" if score == float("inf") else
                     b"-inf" if score == float("-inf") else b"%.17g" % score)
        batch.append(member)
        if len(batch) == 2 * ITEMS_PER_COMMAND:
            yield [b"ZADD", key, *batch]
            batch = []
    if batch:
        yield [b"ZADD", key, *batch]


def _hash_commands(key: bytes, value: Hash) -> Iterator[list[bytes]]:
    """HMSET key field value ... (64 pairs a command), as Redis's rewriteHashObject
    writes a hash; HMSET makes the encoding choice again."""
    batch: list[bytes] = []
    for field, field_value in value.items():
        batch.append(field)
        batch.append(field_value)
        if len(batch) == 2 * ITEMS_PER_COMMAND:
            yield [b"HMSET", key, *batch]
            batch = []
    if batch:
        yield [b"HMSET", key, *batch]


def _set_commands(key: bytes, value: Set) -> Iterator[list[bytes]]:
    """SADD key member ... (64 a command), as Redis's rewriteSetObject writes a set."""
    members = value.ordered()
    for batch in batched(members):
        yield [b"SADD", key, *batch]


_REBUILDERS: dict[type, Callable[[bytes, Any], Iterator[list[bytes]]]] = {
    bytes: _string_commands,
    bytearray: _string_commands,
    QuickList: _list_commands,
    Hash: _hash_commands,
    Set: _set_commands,
    SortedSet: _sorted_set_commands,
}


def base_records(entries: Iterable[SnapshotEntry]) -> Iterator[bytes]:
    """The RESP records of a base holding `entries`, in order."""
    current_db = -1
    for entry in entries:
        if entry.db_index != current_db:
            current_db = entry.db_index
            yield encode_command([b"SELECT", b"%d" % current_db])
        rebuild = _REBUILDERS.get(type(entry.value))
        if rebuild is None:
            raise TypeError(f"no AOF rewrite for values of type {type(entry.value).__name__}")
        for argv in rebuild(entry.key, entry.value):
            yield encode_command(argv)
        if entry.expire_at_ms is not None:
            yield encode_command([b"PEXPIREAT", entry.key, b"%d" % entry.expire_at_ms])


class RespBaseSink:
    """A RESP base written a key at a time (the forkless rewrite, persistence/
    snapshot.py's EntrySink): the records base_records would give, in ~1 MiB writes."""

    def __init__(self, write: Callable[[bytes], None], timestamp_s: int | None) -> None:
        self._write = write
        self._chunk: list[bytes] = (
            [timestamp_annotation(timestamp_s)] if timestamp_s is not None else [])
        self._pending = sum(map(len, self._chunk))
        self._db_index = -1

    def entry(self, db_index: int, key: bytes, value: Any, expire_at_ms: int | None,
              idle_s: int | None = None, freq: int | None = None) -> None:
        chunk = self._chunk
        before = len(chunk)
        if db_index != self._db_index:
            self._db_index = db_index
            chunk.append(encode_command([b"SELECT", b"%d" % db_index]))
        rebuild = _REBUILDERS.get(type(value))
        if rebuild is None:
            raise TypeError(f"no AOF rewrite for values of type {type(value).__name__}")
        chunk.extend(encode_command(argv) for argv in rebuild(key, value))
        if expire_at_ms is not None:
            chunk.append(encode_command([b"PEXPIREAT", key, b"%d" % expire_at_ms]))
        self._pending += sum(len(record) for record in chunk[before:])
        if self._pending >= 1 << 20:
            self._flush()

    def _flush(self) -> None:
        self._write(b"".join(self._chunk))
        self._chunk, self._pending = [], 0

    def finish(self) -> None:
        self._flush()


def batched(items: list[bytes], size: int = ITEMS_PER_COMMAND) -> Iterator[list[bytes]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class RdbPreamble:
    """Write bases as RDB: the writer's options and the RESIZEDB hints per db."""

    compress: bool = True
    checksum: bool = True
    db_sizes: Callable[[], dict[int, tuple[int, int]]] = field(default=dict)


def write_base(write: Callable[[bytes], None], entries: Iterable[SnapshotEntry],
               preamble: RdbPreamble | None, timestamp_s: int | None = None) -> int:
    """Write a whole base through `write` (in ~1 MiB chunks); returns its size. A
    timestamp annotation opens a RESP base when `timestamp_s` is given."""
    if preamble is not None:
        return write_rdb(write, entries, preamble.db_sizes(), compress=preamble.compress,
                         checksum=preamble.checksum, is_aof_base=True).size
    size = 0
    chunk: list[bytes] = [timestamp_annotation(timestamp_s)] if timestamp_s is not None else []
    pending = sum(map(len, chunk))
    for record in base_records(entries):
        chunk.append(record)
        pending += len(record)
        if pending >= 1 << 20:
            write(b"".join(chunk))
            size += pending
            chunk, pending = [], 0
    write(b"".join(chunk))
    return size + pending
