"""A point-in-time view of the keyspace, read in slices while clients keep changing it:
what the forkless BGSAVE (rdb-snapshot-mode forkless, persistence/snapshot.py) writes.

DragonflyDB's rule, "serialize before first change": every key that existed when the
view began is handed out exactly once, with the value and TTL it had then, either when
the walk reaches it or, if a change comes first, just before that change. The keyspace
calls `before_change` at each place a key's value or TTL can change (stores, deletes,
expiries, evictions, a lookup that may be followed by an in-place change); the value
is copied there, since collections change in place. Keys created after the view began
are marked settled at their creation, so they are never handed out.

Per database, the walk holds the key list taken at the start, its position in it, and
`settled`: the keys handed out already, by the walk or early, plus the keys created
since. The walk holds the database's dicts, not the Database: FLUSHDB replaces the
dicts with new ones, so the walk simply goes on over the old ones (nobody changes
them any more), and SWAPDB only swaps which walk each Database reports to.

Entries the walk hands out hold the live values: the caller must write them before
the loop runs anything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from server.datatypes import copy_value
from server.eviction import LFU_INIT_VAL
from server.keyspace import Entry

if TYPE_CHECKING:
    from server.keyspace import Database, Keyspace


class _DbWalk:
    __slots__ = ("index", "data", "expires", "clocks", "keys", "position", "settled",
                 "preserved")

    def __init__(self, db: "Database") -> None:
        self.index = db.index
        self.data = db.data
        self.expires = db.expires
        self.clocks = db.clocks
        self.keys = list(db.data)
        self.position = 0
        self.settled: set[bytes] = set()
        self.preserved: list[Entry] = []


class PointInTimeSnapshot:
    def __init__(self, keyspace: "Keyspace") -> None:
        self.keyspace = keyspace
        self.now_ms = keyspace.clock.ms
        self.access = keyspace.saved_access
        self.walks = [_DbWalk(db) for db in keyspace.dbs if db.data]
        # Which walk each Database's current dicts belong to (None: nothing to keep).
        self.live: list[_DbWalk | None] = [None] * len(keyspace.dbs)
        for walk in self.walks:
            self.live[walk.index] = walk
        self.db_sizes = {walk.index: (len(walk.keys), len(walk.expires))
                         for walk in self.walks}
        self._current = 0
        self.preserved_keys = 0  # handed out early, before a change

    # ------------------------------------------------------------ the keyspace's side

    def before_change(self, db_index: int, key: bytes, value: Any) -> None:
        """Key in database db_index is about to change; value is its current value
        (None: the key is being created)."""
        walk = self.live[db_index]
        if walk is None:
            return
        settled = walk.settled
        if key in settled:
            return
        settled.add(key)
        if value is None:
            return
        expires = walk.expires
        at = expires.get(key) if expires else None
        if at is not None and at <= self.now_ms:
            return  # already expired when the view began: not part of it
        walk.preserved.append(self._entry(walk, key, copy_value(value), at))
        self.preserved_keys += 1

    def flushed(self, db_index: int) -> None:
        """The database is about to get new, empty dicts: the walk keeps the old ones."""
        self.live[db_index] = None

    def swapped(self, first: int, second: int) -> None:
        live = self.live
        live[first], live[second] = live[second], live[first]

    # ------------------------------------------------------------ the reader's side

    def next_slice(self, count: int) -> tuple[int, list[Entry]] | None:
        """Up to `count` more keys of one database (plus any handed out early), as
        (database index, entries) in ascending database order; None when all are out."""
        walks = self.walks
        while self._current < len(walks):
            walk = walks[self._current]
            entries, walk.preserved = walk.preserved, []
            keys = walk.keys
            start = walk.position
            end = min(start + count, len(keys))
            batch = keys[start:end]
            settled = walk.settled
            data = walk.data
            expires = walk.expires
            now = self.now_ms
            index = walk.index
            plain = self.access is None
            for key in batch:
                if key in settled:
                    continue
                value = data.get(key)
                if value is None:
                    continue
                at = expires.get(key) if expires else None
                if at is not None and at <= now:
                    continue
                entries.append(Entry(index, key, value, at) if plain
                               else self._entry(walk, key, value, at))
            walk.position = end
            if end == len(keys):
                self._finish(walk)
            else:
                settled.update(batch)
            if entries:
                return walk.index, entries
        return None

    def _finish(self, walk: _DbWalk) -> None:
        for index, live in enumerate(self.live):
            if live is walk:
                self.live[index] = None
        walk.keys = []
        walk.settled = set()
        self._current += 1

    def _entry(self, walk: _DbWalk, key: bytes, value: Any, at: int | None) -> Entry:
        access = self.access
        if access is None:
            return Entry(walk.index, key, value, at)
        keyspace = self.keyspace
        clock = walk.clocks.get(key)
        if access == "lru":
            idle_ms = keyspace.idle_ms(clock if clock is not None else keyspace.lru_clock)
            return Entry(walk.index, key, value, at, idle_s=idle_ms // 1000)
        return Entry(walk.index, key, value, at,
                     freq=keyspace.frequency(clock if clock is not None else LFU_INIT_VAL))

    def close(self) -> None:
        """Stop watching changes (the save finished or was abandoned)."""
        self.keyspace.end_snapshot(self)
        self.live = [None] * len(self.live)
        self.walks = []
