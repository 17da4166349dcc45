"""The dataset: numbered databases of key → value, with millisecond expiry.

Invariants:
- A key is visible only while unexpired: every lookup expires lazily, and the active
  cycle reclaims keys nobody touches. Each expiry is emitted as `DEL key` on the write
  stream, in the one place where keys expire (here), so the AOF replays the same state.
- Empty aggregates are never stored: `Database.store` deletes a key whose collection
  became empty (issue 4's types rely on this).
- `dirty` counts changes, as Redis's server.dirty; save points and INFO read it.
- WRONGTYPE is raised here, by the typed accessors, never by handlers.

Active expiry keeps a heap of (expire_at_ms, key) per database instead of Redis's
random sampling: the heap finds every due key in order, so a million keys expiring
together are reclaimed in time-bounded slices. Entries go stale when a TTL changes;
they are checked against `expires` on pop, and the heap is rebuilt when mostly stale.

This module knows nothing of commands, clients or files; persistence reads it through
`snapshot_entries()` and fills it through `load_entries()` (a batch) or `load_entry()`.
"""

from __future__ import annotations

import heapq
import random
import time
from itertools import repeat
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from server.clock import CommandClock
from server.datatypes import is_string
from server.errors import WRONGTYPE, CommandError
from server.scan import ScanSessions
from server.writes import WriteStream


class Entry(NamedTuple):
    """One key as persistence sees it."""

    db_index: int
    key: bytes
    value: Any
    expire_at_ms: int | None


class Database:
    __slots__ = (
        "index", "data", "expires", "keyspace", "_expiry_heap",
        "_sample_keys", "_sample_stale",
    )

    def __init__(self, index: int, keyspace: "Keyspace") -> None:
        self.index = index
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        self.keyspace = keyspace
        self._expiry_heap: list[tuple[int, bytes]] = []
        self._sample_keys: list[bytes] = []
        self._sample_stale = 0

    def __len__(self) -> int:
        return len(self.data)

    # ------------------------------------------------------------------ lookups

    def lookup(self, key: bytes) -> Any:
        """The live value of key, or None; expires it first when due."""
        value = self.data.get(key)
        if value is not None and self.expires:
            at = self.expires.get(key)
            if at is not None and at <= self.keyspace.clock.ms and not self.keyspace.is_loading:
                self._expire(key)
                return None
        return value

    def read(self, key: bytes) -> Any:
        """Like lookup, counting keyspace hits and misses as a read does in Redis."""
        value = self.lookup(key)
        if value is None:
            self.keyspace.misses += 1
        else:
            self.keyspace.hits += 1
        return value

    def get_string(self, key: bytes) -> bytes | bytearray | None:
        # GET's path, so read() and lookup() are unrolled here; keys with a TTL take
        # the general path.
        value = self.data.get(key)
        if value is None or self.expires:
            value = self.read(key)
        elif type(value) is bytes:
            self.keyspace.hits += 1
            return value
        else:
            self.keyspace.hits += 1
        if value is None or is_string(value):
            return value
        raise CommandError(WRONGTYPE)

    def get_string_for_write(self, key: bytes) -> bytes | bytearray | None:
        value = self.lookup(key)
        if value is None or is_string(value):
            return value
        raise CommandError(WRONGTYPE)

    def get_typed(self, key: bytes, kind: type, for_write: bool = False) -> Any:
        """The value at key if it is of `kind`, None if missing, WRONGTYPE otherwise."""
        value = self.lookup(key) if for_write else self.read(key)
        if value is None or type(value) is kind:
            return value
        raise CommandError(WRONGTYPE)

    def exists(self, key: bytes) -> bool:
        return self.lookup(key) is not None

    # ------------------------------------------------------------------ changes

    def set(self, key: bytes, value: Any, expire_at_ms: int | None = None,
            keep_ttl: bool = False) -> None:
        """Store value at key, replacing any old value (and its TTL unless keep_ttl)."""
        data = self.data
        if key not in data:
            self._sample_stale += 1
            if self.keyspace.on_new_key is not None:
                self.keyspace.on_new_key(self.index, key)
        data[key] = value
        if expire_at_ms is not None:
            self.set_expire(key, expire_at_ms)
        elif not keep_ttl and self.expires:
            self.expires.pop(key, None)
        self.keyspace.dirty += 1

    def store(self, key: bytes, value: Any) -> None:
        """Put back a collection modified in place; an empty one deletes the key."""
        if len(value) == 0:
            self.delete(key)
        else:
            if self.keyspace.on_new_key is not None and key not in self.data:
                self.keyspace.on_new_key(self.index, key)
            self.data[key] = value
            self.keyspace.dirty += 1

    def delete(self, key: bytes) -> bool:
        if self.lookup(key) is None:
            return False
        del self.data[key]
        if self.expires:
            self.expires.pop(key, None)
        self._sample_stale += 1
        self.keyspace.dirty += 1
        if self.keyspace.on_delete is not None:
            self.keyspace.on_delete(self.index, key)
        return True

    def set_expire(self, key: bytes, at_ms: int) -> None:
        self.expires[key] = at_ms
        heapq.heappush(self._expiry_heap, (at_ms, key))
        if len(self._expiry_heap) > 2 * len(self.expires) + 1024:
            self._rebuild_expiry_heap()

    def persist(self, key: bytes) -> bool:
        if self.expires.pop(key, None) is None:
            return False
        self.keyspace.dirty += 1
        return True

    def expire_at_ms(self, key: bytes) -> int | None:
        return self.expires.get(key) if self.expires else None

    def clear(self) -> int:
        if self.keyspace.before_flush is not None:
            self.keyspace.before_flush(self)
        removed = len(self.data)
        self.data = {}
        self.expires = {}
        self._expiry_heap = []
        self._sample_keys = []
        self._sample_stale = 0
        self.keyspace.dirty += removed
        return removed

    def swap_contents(self, other: "Database") -> None:
        for name in ("data", "expires", "_expiry_heap", "_sample_keys", "_sample_stale"):
            mine = getattr(self, name)
            setattr(self, name, getattr(other, name))
            setattr(other, name, mine)

    # ------------------------------------------------------------------ expiry

    def _expire(self, key: bytes) -> None:
        del self.data[key]
        del self.expires[key]
        self._sample_stale += 1
        self.keyspace.expired_keys += 1
        if self.keyspace.on_expire is not None:
            self.keyspace.on_expire(self.index, key)
        self.keyspace.writes.emit(self.index, [b"DEL", key])

    def expire_due(self, now_ms: int, deadline_ns: int) -> tuple[int, bool]:
        """Reclaim due keys until done or the deadline; (reclaimed, finished)."""
        heap = self._expiry_heap
        expires = self.expires
        reclaimed = 0
        while heap and heap[0][0] <= now_ms:
            at, key = heapq.heappop(heap)
            if expires.get(key) == at:
                self._expire(key)
                reclaimed += 1
                if not reclaimed & 63 and time.monotonic_ns() > deadline_ns:
                    return reclaimed, not (heap and heap[0][0] <= now_ms)
        return reclaimed, True

    def _rebuild_expiry_heap(self) -> None:
        self._expiry_heap = [(at, key) for key, at in self.expires.items()]
        heapq.heapify(self._expiry_heap)

    # ------------------------------------------------------------------ iteration

    def random_key(self) -> bytes | None:
        """A uniformly chosen live key, in amortised O(1).

        A dict cannot be sampled by position, so a list of keys is kept and refreshed
        once the keys changed by more than half of it; a pick that was deleted since
        is retried.
        """
        for _ in range(2):
            if not self.data:
                return None
            if self._sample_stale > len(self._sample_keys) // 2 or not self._sample_keys:
                self._sample_keys = list(self.data)
                self._sample_stale = 0
            for _ in range(16):
                key = random.choice(self._sample_keys)
                if key in self.data:
                    if self.lookup(key) is not None:
                        return key
            self._sample_stale = len(self._sample_keys) + 1
        # Mostly expired keys: walk in order; each expired key met is reclaimed on the
        # way, so this costs no more than the expiry work it does.
        for key in list(self.data):
            if self.lookup(key) is not None:
                return key
        return None

    def live_keys(self) -> Iterator[bytes]:
        now = self.keyspace.clock.ms
        expires = self.expires
        for key in list(self.data):
            at = expires.get(key) if expires else None
            if at is None or at > now:
                yield key


class Keyspace:
    """All databases plus the counters Redis keeps about them."""

    def __init__(self, databases: int = 16, writes: WriteStream | None = None,
                 clock: CommandClock | None = None) -> None:
        self.clock = clock or CommandClock()
        self.writes = writes or WriteStream()
        self.dirty = 0
        self.hits = 0
        self.misses = 0
        self.expired_keys = 0
        # While the AOF replays, keys are never expired: the commands logged after a
        # deadline passed ran on the key, and its expiry comes later as a DEL.
        self.is_loading = False
        # Live SCAN/HSCAN/... iterations: cursors over dicts need server-side snapshots.
        self.scans: ScanSessions = ScanSessions()
        self.dbs = [Database(i, self) for i in range(databases)]
        # WATCH and blocked clients (server/key_signals.py): told before a database is
        # emptied and after two are swapped, as Redis's signalFlushedDb / swapdb do.
        self.before_flush: Callable[[Database], None] | None = None
        self.after_swap: Callable[[int, int], None] | None = None
        # Keyspace notifications (server/notifications.py): told of each expiry, key
        # creation and deletion; None (one test, on those paths only) when they are off.
        self.on_expire: Callable[[int, bytes], None] | None = None
        self.on_new_key: Callable[[int, bytes], None] | None = None
        self.on_delete: Callable[[int, bytes], None] | None = None

    def flush_all(self) -> int:
        return sum(db.clear() for db in self.dbs)

    def swap(self, first: int, second: int) -> None:
        self.dbs[first].swap_contents(self.dbs[second])
        self.dirty += 1
        if self.after_swap is not None:
            self.after_swap(first, second)

    def active_expire_cycle(self, budget_ms: float) -> bool:
        """Expire due keys across databases within budget_ms; True when none are left."""
        now = self.clock.snapshot()
        deadline = time.monotonic_ns() + int(budget_ms * 1_000_000)
        finished = True
        for db in self.dbs:
            if db.expires:
                _, done = db.expire_due(now, deadline)
                if not done:
                    finished = False
                    break
        return finished

    # ------------------------------------------------------------- persistence API

    def snapshot_entries(self) -> Iterator[Entry]:
        """Every live key of every database, database by database."""
        now = self.clock.ms
        # The entries are built by map/zip in C: a Python loop making one Entry per key
        # was a third of the time of a SAVE of small keys.
        make = tuple.__new__
        for db in self.dbs:
            data = db.data
            if not data:
                continue
            expires = db.expires
            # Copies: the entries stay valid if the dataset changes while they are read.
            keys = list(data)
            values = list(data.values())
            if not expires:
                expire_ats: Iterable[int | None] = repeat(None)
            elif min(expires.values()) > now:
                expire_ats = map(expires.get, keys)
            else:
                yield from self._unexpired_entries(db.index, keys, values, expires, now)
                continue
            # tuple.__new__ checks no arity: one zip item per Entry field, in order.
            yield from map(make, repeat(Entry), zip(repeat(db.index), keys, values, expire_ats))

    @staticmethod
    def _unexpired_entries(index: int, keys: list[bytes], values: list[Any],
                           expires: dict[bytes, int], now: int) -> Iterator[Entry]:
        for key, value in zip(keys, values):
            at = expires.get(key)
            if at is not None and at <= now:
                continue
            yield Entry(index, key, value, at)

    def load_entries(self, db_index: int, keys: list[bytes], values: list[Any],
                     expire_ats: dict[int, int], replace: bool = False) -> int | None:
        """Add keys[i] -> values[i] to database `db_index`, with expire_ats[i] (unix ms)
        as the TTL of the keys it names. Returns None; or, unless `replace`, the
        position of the first key that the database already holds or that repeats an
        earlier one, the keys then being added in part. `replace` overwrites a key held
        before, dropping its TTL."""
        db = self.dbs[db_index]
        data = db.data
        if replace:
            if db.expires:
                for key in keys:
                    db.expires.pop(key, None)
        elif data and not data.keys().isdisjoint(keys):
            return _first_repeated(data, keys)
        held = len(data)
        data.update(zip(keys, values))
        if not replace and len(data) - held != len(keys):
            return _first_repeated({}, keys)
        for index, at in expire_ats.items():
            db.set_expire(keys[index], at)
        return None

    def load_entry(self, entry: Entry) -> None:
        db = self.dbs[entry.db_index]
        db.data[entry.key] = entry.value
        if entry.expire_at_ms is not None:
            db.set_expire(entry.key, entry.expire_at_ms)


def _first_repeated(held: dict[bytes, Any], keys: list[bytes]) -> int | None:
    """The position of the first of `keys` in `held` or repeating an earlier one."""
    seen: set[bytes] = set()
    for index, key in enumerate(keys):
        if key in held or key in seen:
            return index
        seen.add(key)
    return None
