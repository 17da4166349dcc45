"""A point-in-time view of the keyspace, read in slices while clients keep changing it:
what the forkless BGSAVE (rdb-snapshot-mode forkless, persistence/snapshot.py) writes.

DragonflyDB's rule, "serialize before first change": every key that existed when the
view began is handed out exactly once, with the value and TTL it had then: the walk
reads it where it is unless a change came first, in which case a copy was taken just
before that change. The keyspace calls `before_change` at each place a key's value or
TTL can change (stores, deletes, expiries, evictions, a lookup that may be followed by
an in-place change); the value is copied there, since collections change in place.

Per database, the walk holds the key list taken at the start and its position in it,
`preserved`: the copies made before a change, by key, and `created`: the keys created
since, never handed out. When the walk reaches a key it writes the preserved copy if
there is one; a copy of a key the walk had passed already is a duplicate, dropped when
the database is done. So nothing per key is kept for the keys nobody changes (a set of
the keys walked would cost 32 MiB a million keys, and its resizes stall the loop).
The walk holds the database's dicts, not the Database: FLUSHDB replaces the dicts with
new ones, so the walk goes on over the old ones (nobody changes them any more), and
SWAPDB only swaps which walk each Database reports to.

Values the walk hands out are the live ones: the caller must write them before the
loop runs anything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from server.datatypes import copy_value
from server.eviction import LFU_INIT_VAL

if TYPE_CHECKING:
    from server.keyspace import Database, Keyspace


class _DbWalk:
    __slots__ = ("index", "data", "expires", "clocks", "keys", "position", "preserved",
                 "created")

    def __init__(self, db: "Database") -> None:
        self.index = db.index
        self.data = db.data
        self.expires = db.expires
        self.clocks = db.clocks
        self.keys = list(db.data)
        self.position = 0
        # key -> (value, expire_at_ms, idle_s, freq): plain tuples of untracked
        # objects, which the garbage collector stops tracking (Entry objects stay
        # tracked, and a full collection during a write-heavy save is a long pause).
        self.preserved: dict[bytes, tuple[Any, int | None, int | None, int | None]] = {}
        self.created: set[bytes] = set()


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
        if walk is None or key in walk.preserved or key in walk.created:
            return
        if value is None:
            walk.created.add(key)
            return
        expires = walk.expires
        at = expires.get(key) if expires else None
        if at is not None and at <= self.now_ms:
            # Expired when the view began: not part of it, nor what replaces it.
            walk.created.add(key)
            return
        walk.preserved[key] = (copy_value(value), at, *self._access(walk, key))
        self.preserved_keys += 1

    def flushed(self, db_index: int) -> None:
        """The database is about to get new, empty dicts: the walk keeps the old ones."""
        self.live[db_index] = None

    def swapped(self, first: int, second: int) -> None:
        live = self.live
        live[first], live[second] = live[second], live[first]

    # ------------------------------------------------------------ the reader's side

    def next_slice(self, count: int, write: Callable[..., None]) -> bool:
        """Hand out up to `count` more keys of one database, plus any handed out early,
        as write(db_index, key, value, expire_at_ms, idle_s, freq) calls in ascending
        database order; False once all are out. Calls rather than Entry objects: a
        million short-lived tuples would wake the garbage collector, whose full
        collections over the whole dataset stall every client."""
        walks = self.walks
        while self._current < len(walks):
            walk = walks[self._current]
            index = walk.index
            keys = walk.keys
            start = walk.position
            end = min(start + count, len(keys))
            preserved = walk.preserved
            created = walk.created
            data = walk.data
            expires = walk.expires
            now = self.now_ms
            plain = self.access is None
            written = 0
            for key in keys[start:end]:
                if preserved:
                    copy = preserved.pop(key, None)
                    if copy is not None:
                        write(index, key, *copy)
                        written += 1
                        continue
                if created and key in created:
                    continue  # expired at the start, then replaced
                value = data.get(key)
                if value is None:
                    continue
                at = expires.get(key) if expires else None
                if at is not None and at <= now:
                    continue
                if plain:
                    write(index, key, value, at, None, None)
                else:
                    write(index, key, value, at, *self._access(walk, key))
                written += 1
            walk.position = end
            if end == len(keys):
                self._finish(walk)
            if written:
                return True
        return False

    def _finish(self, walk: _DbWalk) -> None:
        for index, live in enumerate(self.live):
            if live is walk:
                self.live[index] = None
        # What is left was copied after the walk had passed the key: a duplicate.
        walk.keys = []
        walk.preserved = {}
        walk.created = set()
        self._current += 1

    def _access(self, walk: _DbWalk, key: bytes) -> tuple[int | None, int | None]:
        """(idle seconds, LFU counter) as an RDB carries them under the policy."""
        access = self.access
        if access is None:
            return None, None
        keyspace = self.keyspace
        clock = walk.clocks.get(key)
        if access == "lru":
            idle_ms = keyspace.idle_ms(clock if clock is not None else keyspace.lru_clock)
            return idle_ms // 1000, None
        return None, keyspace.frequency(clock if clock is not None else LFU_INIT_VAL)

    def close(self) -> None:
        """Stop watching changes (the save finished or was abandoned)."""
        self.keyspace.end_snapshot(self)
        self.live = [None] * len(self.live)
        self.walks = []
