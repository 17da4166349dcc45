"""Which keys each write touched, for WATCH and for blocked clients.

Redis calls signalModifiedKey (WATCH) and signalKeyAsReady (blocking pops) from inside
every command. Here the write stream already says, in order, every command that changed
the dataset (expiry deletions included), so one subscriber reads the keys each record
writes from the command table's key specs and tells:
- the clients WATCHing that key that their EXEC must fail (server/transactions.py);
- the blocking registry that clients waiting on that key may now be served
  (server/blocking.py): the key goes into `ready`, drained after the command.
The subscriber is attached only while some client watches or waits, so the per-command
path of everyone else pays nothing. FLUSHDB/FLUSHALL and SWAPDB touch whole databases
through the keyspace's before_flush / after_swap hooks, as Redis's signalFlushedDb and
swapdb do: a watched key is touched only if it existed.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    from server.context import ClientState
    from server.keyspace import Database, Keyspace
    from server.registry import Registry

DbKey = tuple[int, bytes]


class KeySignals:
    def __init__(self, keyspace: "Keyspace", registry: "Registry") -> None:
        self.keyspace = keyspace
        self.registry = registry
        # (db, key) -> the clients watching it, in WATCH order.
        self.watchers: dict[DbKey, dict[int, "ClientState"]] = {}
        # (db, key) -> the blocked clients waiting on it, first come first served.
        self.waiters: dict[DbKey, deque[Any]] = {}
        # Keys with waiters that a write touched since the last drain; insertion-ordered
        # like Redis's ready_keys list. Mutated in place: the executor holds it.
        self.ready: dict[DbKey, None] = {}
        self._is_subscribed = False
        keyspace.before_flush = self._before_flush
        keyspace.after_swap = self._after_swap

    def update_subscription(self) -> None:
        wanted = bool(self.watchers or self.waiters)
        if wanted and not self._is_subscribed:
            self.keyspace.writes.subscribe(self._on_write)
        elif not wanted and self._is_subscribed:
            self.keyspace.writes.unsubscribe(self._on_write)
        self._is_subscribed = wanted

    # ------------------------------------------------------------------ touching

    def _on_write(self, db_index: int, argv: list[bytes]) -> None:
        spec = self.registry.lookup(argv[0])
        if spec is None or not spec.is_write:
            return
        for key, flags in spec.keys_with_flags(argv):
            if "RO" not in flags:
                self.touch(db_index, key)
        name = spec.name
        if name == "move" and len(argv) > 2:
            self._touch_in_db(argv[2], argv[1])
        elif name == "sort":  # its key specs cannot say that STORE's key is written
            for index in range(2, len(argv) - 1):
                if argv[index].upper() == b"STORE":
                    self.touch(db_index, argv[index + 1])
        elif name == "copy":
            for index in range(3, len(argv) - 1):
                if argv[index].upper() == b"DB":
                    self._touch_in_db(argv[index + 1], argv[2])

    def _touch_in_db(self, db_arg: bytes, key: bytes) -> None:
        try:
            db_index = int(db_arg)
        except ValueError:
            return
        if 0 <= db_index < len(self.keyspace.dbs):
            self.touch(db_index, key)

    def touch(self, db_index: int, key: bytes) -> None:
        db_key = (db_index, key)
        clients = self.watchers.get(db_key)
        if clients:
            db = self.keyspace.dbs[db_index]
            for client in clients.values():
                if client.watched.get(db_key):
                    # Expired when WATCHed: its deletion by expiry changes nothing
                    # logically (Redis 7.0's watchedKey.expired).
                    if key not in db.data:
                        client.watched[db_key] = False
                        continue
                client.watch_touched = True
        if db_key in self.waiters:
            self.ready[db_key] = None

    def _before_flush(self, db: "Database") -> None:
        self._touch_existing(db.index, [db])

    def _after_swap(self, first: int, second: int) -> None:
        dbs = [self.keyspace.dbs[first], self.keyspace.dbs[second]]
        self._touch_existing(first, dbs)
        self._touch_existing(second, dbs)

    def _touch_existing(self, db_index: int, dbs: list["Database"]) -> None:
        """Touch the watched and waited-on keys of db_index that exist in one of dbs."""
        for db_key in [k for k in (*self.watchers, *self.waiters) if k[0] == db_index]:
            if any(db_key[1] in db.data for db in dbs):
                self.touch(*db_key)

    # ------------------------------------------------------------------ WATCH

    def watch(self, client: "ClientState", db: "Database", key: bytes) -> None:
        db_key = (db.index, key)
        if db_key in client.watched:
            return
        at = db.expires.get(key) if db.expires else None
        client.watched[db_key] = key in db.data and at is not None and at <= db.keyspace.clock.ms
        self.watchers.setdefault(db_key, {})[client.id] = client
        self.update_subscription()

    def unwatch_all(self, client: "ClientState") -> None:
        for db_key in client.watched:
            clients = self.watchers.get(db_key)
            if clients is not None:
                clients.pop(client.id, None)
                if not clients:
                    del self.watchers[db_key]
        client.watched = {}
        client.watch_touched = False
        self.update_subscription()

    def watched_key_expired(self, client: "ClientState") -> bool:
        """A key not expired at WATCH time that is logically expired now (Redis's
        isWatchedKeyExpired): EXEC fails as if it had been touched."""
        now = self.keyspace.clock.ms
        for (db_index, key), was_expired in client.watched.items():
            if was_expired:
                continue
            db = self.keyspace.dbs[db_index]
            at = db.expires.get(key) if db.expires else None
            if at is not None and at <= now and key in db.data:
                return True
        return False
