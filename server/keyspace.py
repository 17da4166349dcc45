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

Each key has an access clock in `clocks` (Redis's 24-bit robj.lru): the LRU clock of
its last access, or under an LFU policy its last decrement time in minutes and its
logarithmic counter (server/eviction.py has the arithmetic). Every
lookup touches it except `peek` (Redis's LOOKUP_NOTOUCH: EXISTS, TYPE, the TTL family,
OBJECT, SCAN's TYPE filter), and nothing does while a fork child saves. `touch_mode`
and `lookup_mode` fold the rules into one test on the hot path: 1 is the plain LRU
store; 2 takes the general path (LFU, a child saving, or, for lookups, the memory
account of server/memory.py, which is told of every change while maxmemory is set, and
a forkless snapshot).

A forkless snapshot (`begin_snapshot()`, server/point_in_time.py) is told before every
change to a key's value or TTL; `snapshot` is None otherwise, and set() tests it only
on its general path, which lookup_mode selects while a snapshot is open.

This module knows nothing of commands, clients or files; persistence reads it through
`snapshot_entries()` or `begin_snapshot()` and fills it through `load_entries()` (a
batch) or `load_entry()`.
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
from server.eviction import (
    LFU_INIT_VAL, LRU_CLOCK_MAX, lfu_counter, lfu_log_incr, lfu_minutes, lru_clock_now,
)
from server.scan import ScanSessions
from server.writes import WriteStream


class Entry(NamedTuple):
    """One key as persistence sees it."""

    db_index: int
    key: bytes
    value: Any
    expire_at_ms: int | None
    # What an RDB carries under an LRU or an LFU policy (RDB_OPCODE_IDLE / _FREQ).
    idle_s: int | None = None
    freq: int | None = None


# Keyspace.touch_mode and lookup_mode
_TOUCH_LRU, _TOUCH_GENERAL = 1, 2


class Database:
    __slots__ = (
        "index", "data", "expires", "clocks", "keyspace", "_expiry_heap",
        "_sample_keys", "_sample_stale", "sizes", "used_bytes",
    )

    def __init__(self, index: int, keyspace: "Keyspace") -> None:
        self.index = index
        self.data: dict[bytes, Any] = {}
        self.expires: dict[bytes, int] = {}
        self.clocks: dict[bytes, int] = {}
        # The memory account's share (server/memory.py): the sizes last counted for
        # values that change in place, and this database's total. Empty without it.
        self.sizes: dict[bytes, int] = {}
        self.used_bytes = 0
        self.keyspace = keyspace
        self._expiry_heap: list[tuple[int, bytes]] = []
        self._sample_keys: list[bytes] = []
        self._sample_stale = 0

    def __len__(self) -> int:
        return len(self.data)

    # ------------------------------------------------------------------ lookups

    def lookup(self, key: bytes) -> Any:
        """The live value of key, or None; expires it first when due. An access."""
        value = self.data.get(key)
        if value is not None:
            keyspace = self.keyspace
            if self.expires:
                at = self.expires.get(key)
                if at is not None and at <= keyspace.clock.ms and not keyspace.is_loading:
                    self._expire(key)
                    return None
            if keyspace.lookup_mode == _TOUCH_LRU:
                self.clocks[key] = keyspace.lru_clock
            elif keyspace.lookup_mode:
                self._touch(key, value)
        return value

    def peek(self, key: bytes) -> Any:
        """lookup() that is not an access (Redis's LOOKUP_NOTOUCH)."""
        value = self.data.get(key)
        if value is not None and self.expires:
            at = self.expires.get(key)
            if at is not None and at <= self.keyspace.clock.ms and not self.keyspace.is_loading:
                self._expire(key)
                return None
        return value

    def peek_read(self, key: bytes) -> Any:
        """peek() counting keyspace hits and misses, as a read does."""
        value = self.peek(key)
        if value is None:
            self.keyspace.misses += 1
        else:
            self.keyspace.hits += 1
        return value

    def _touch(self, key: bytes, value: Any) -> None:
        """The access clock update beyond plain LRU, and the notice to the memory
        account and a forkless snapshot that a value which changes in place may be
        about to."""
        keyspace = self.keyspace
        if keyspace.snapshot is not None and type(value) is not bytes:
            # The caller may change the value in place: a snapshot needs it first.
            keyspace.snapshot.before_change(self.index, key, value)
        if not keyspace.has_child:
            if keyspace.is_lfu:
                self.clocks[key] = keyspace.lfu_touched(self.clocks.get(key, LFU_INIT_VAL))
            else:
                self.clocks[key] = keyspace.lru_clock
        memory = keyspace.memory
        if memory is not None and type(value) is not bytes:
            memory.may_have_changed(self, key)

    def set_access(self, key: bytes, idle_s: int, freq: int) -> None:
        """RESTORE's IDLETIME and FREQ (-1: not given), applied as the policy allows."""
        clock = self.keyspace.clock_from(idle_s if idle_s >= 0 else None,
                                         freq if freq >= 0 else None)
        if clock is not None:
            self.clocks[key] = clock

    def clock_of(self, key: bytes) -> int:
        keyspace = self.keyspace
        default = keyspace.lfu_initial() if keyspace.is_lfu else keyspace.lru_clock
        return self.clocks.get(key, default)

    def _new_clock(self, key: bytes, old: Any) -> int:
        """The clock of a value just stored (Redis's createObject); an LFU counter
        survives an overwrite (dbSetValue), which is also an access (lookupKeyWrite)."""
        keyspace = self.keyspace
        if not keyspace.is_lfu:
            return keyspace.lru_clock
        if old is None:
            return keyspace.lfu_initial()
        clock = self.clocks.get(key, LFU_INIT_VAL)
        return clock if keyspace.has_child else keyspace.lfu_touched(clock)

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
            keyspace = self.keyspace
            keyspace.hits += 1
            if keyspace.touch_mode == _TOUCH_LRU:
                self.clocks[key] = keyspace.lru_clock
            elif keyspace.touch_mode:
                self._touch(key, value)
            return value
        else:
            value = self.read(key)
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
        """Whether key is live, as a write command's lookup asks (an access)."""
        return self.lookup(key) is not None

    # ------------------------------------------------------------------ changes

    def set(self, key: bytes, value: Any, expire_at_ms: int | None = None,
            keep_ttl: bool = False) -> None:
        """Store value at key, replacing any old value (and its TTL unless keep_ttl)."""
        data = self.data
        keyspace = self.keyspace
        old = data.get(key)
        if old is None:
            self._sample_stale += 1
            if keyspace.on_new_key is not None:
                keyspace.on_new_key(self.index, key)
        data[key] = value
        if keyspace.lookup_mode == _TOUCH_LRU:
            self.clocks[key] = keyspace.lru_clock
        else:
            if keyspace.snapshot is not None:
                keyspace.snapshot.before_change(self.index, key, old)
            self.clocks[key] = (self._new_clock(key, old) if keyspace.is_lfu
                                else keyspace.lru_clock)
            if keyspace.memory is not None:
                keyspace.memory.replaced(self, key, old, value)
        if expire_at_ms is not None:
            self.set_expire(key, expire_at_ms)
        elif not keep_ttl and self.expires:
            self.expires.pop(key, None)
        keyspace.dirty += 1

    def set_pairs(self, argv: list[bytes]) -> None:
        """MSET's stores: argv[1], argv[2] ... as key, value pairs, each losing its
        TTL; set() unrolled for the plain-LRU case (no snapshot, memory account or
        keyspace notifications to tell), where MSET's keys cost a tenth of a SET each."""
        keyspace = self.keyspace
        if keyspace.lookup_mode != _TOUCH_LRU or keyspace.on_new_key is not None:
            for index in range(1, len(argv), 2):
                self.set(argv[index], argv[index + 1])
            return
        data = self.data
        clocks = self.clocks
        expires = self.expires
        clock = keyspace.lru_clock
        stale = 0
        for key, value in zip(argv[1::2], argv[2::2]):
            if key not in data:
                stale += 1
            data[key] = value
            clocks[key] = clock
            if expires:
                expires.pop(key, None)
        self._sample_stale += stale
        keyspace.dirty += len(argv) // 2

    def store(self, key: bytes, value: Any) -> None:
        """Put back a collection modified in place; an empty one deletes the key."""
        if len(value) == 0:
            self.delete(key)
        else:
            keyspace = self.keyspace
            old = self.data.get(key)
            if old is value and keyspace.snapshot is None and keyspace.memory is None:
                keyspace.dirty += 1  # nothing else to tell: the usual case
                return
            if keyspace.snapshot is not None:
                keyspace.snapshot.before_change(self.index, key, old)
            if old is None:
                if keyspace.on_new_key is not None:
                    keyspace.on_new_key(self.index, key)
                self.clocks[key] = self._new_clock(key, None)
            self.data[key] = value
            if keyspace.memory is not None:
                keyspace.memory.replaced(self, key, old, value)
            keyspace.dirty += 1

    def delete(self, key: bytes) -> bool:
        value = self.lookup(key)
        if value is None:
            return False
        self._remove(key, value)
        self.keyspace.dirty += 1
        if self.keyspace.on_delete is not None:
            self.keyspace.on_delete(self.index, key)
        return True

    def _remove(self, key: bytes, value: Any) -> None:
        if self.keyspace.snapshot is not None:
            self.keyspace.snapshot.before_change(self.index, key, value)
        del self.data[key]
        if self.expires:
            self.expires.pop(key, None)
        self.clocks.pop(key, None)
        self._sample_stale += 1
        if self.keyspace.memory is not None:
            self.keyspace.memory.replaced(self, key, value, None)

    def evict(self, key: bytes) -> None:
        """Delete key to free memory (server/eviction.py): logged as DEL, as an expiry."""
        keyspace = self.keyspace
        self._remove(key, self.data[key])
        keyspace.dirty += 1
        keyspace.evicted_keys += 1
        if keyspace.on_evict is not None:
            keyspace.on_evict(self.index, key)
        keyspace.writes.emit(self.index, [b"DEL", key])

    def set_expire(self, key: bytes, at_ms: int) -> None:
        if self.keyspace.snapshot is not None:
            self.keyspace.snapshot.before_change(self.index, key, self.data.get(key))
        self.expires[key] = at_ms
        heapq.heappush(self._expiry_heap, (at_ms, key))
        if len(self._expiry_heap) > 2 * len(self.expires) + 1024:
            self._rebuild_expiry_heap()

    def persist(self, key: bytes) -> bool:
        if self.keyspace.snapshot is not None and key in self.expires:
            self.keyspace.snapshot.before_change(self.index, key, self.data.get(key))
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
        if self.keyspace.memory is not None:
            self.keyspace.memory.cleared(self)
        if self.keyspace.snapshot is not None:
            self.keyspace.snapshot.flushed(self.index)
        self.data = {}
        self.expires = {}
        self.clocks = {}
        self._expiry_heap = []
        self._sample_keys = []
        self._sample_stale = 0
        self.keyspace.dirty += removed
        return removed

    def swap_contents(self, other: "Database") -> None:
        for name in ("data", "expires", "clocks", "_expiry_heap", "_sample_keys",
                     "_sample_stale", "sizes", "used_bytes"):
            mine = getattr(self, name)
            setattr(self, name, getattr(other, name))
            setattr(other, name, mine)

    # ------------------------------------------------------------------ expiry

    def _expire(self, key: bytes) -> None:
        self._remove(key, self.data[key])
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
                    if self.peek(key) is not None:
                        return key
            self._sample_stale = len(self._sample_keys) + 1
        # Mostly expired keys: walk in order; each expired key met is reclaimed on the
        # way, so this costs no more than the expiry work it does.
        for key in list(self.data):
            if self.peek(key) is not None:
                return key
        return None

    def sample_keys(self, count: int, is_volatile: bool) -> list[bytes]:
        """Up to count keys drawn at random, for eviction (Redis's dictGetSomeKeys):
        among all keys, or among keys with a TTL. Expired keys may be drawn, as in Redis.

        All keys come from the list random_key() keeps; keys with a TTL from the expiry
        heap. Both hold stale entries, skipped; when a draw finds only those, the list
        or heap is rebuilt and drawn from again.
        """
        found: list[bytes] = []
        if is_volatile:
            expires = self.expires
            for attempt in range(2):
                if not expires:
                    return found
                if attempt:
                    self._rebuild_expiry_heap()
                heap = self._expiry_heap
                for _ in range(count * 4):
                    at, key = heap[int(random.random() * len(heap))]
                    if expires.get(key) == at:
                        found.append(key)
                        if len(found) == count:
                            return found
                if found:
                    return found
            return found
        data = self.data
        for attempt in range(2):
            if not data:
                return found
            if (attempt or not self._sample_keys
                    or self._sample_stale > len(self._sample_keys) // 2):
                self._sample_keys = list(data)
                self._sample_stale = 0
            keys = self._sample_keys
            for _ in range(count * 4):
                key = keys[int(random.random() * len(keys))]
                if key in data:
                    found.append(key)
                    if len(found) == count:
                        return found
            if found:
                return found
        return found

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
        self.evicted_keys = 0
        # Access clocks (see the module doc); set by configure_access() from the
        # maxmemory-policy and lfu-* directives, and by the cron's refresh_lru_clock().
        self.touch_mode = self.lookup_mode = _TOUCH_LRU
        self.is_lfu = False
        self.has_child = False
        self.lfu_log_factor = 10
        self.lfu_decay_time = 1
        self.lfu_minute = -1
        self._lfu_clocks: list[int] = []
        self.refresh_lru_clock()
        self.saved_access: str | None = None  # "lru", "lfu" or None: see snapshot_entries
        # The dataset's memory account (server/memory.py), kept while maxmemory is set.
        self.memory: Any = None
        # A forkless snapshot being written (server/point_in_time.py): told before
        # each change, see begin_snapshot().
        self.snapshot: Any = None
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
        self.on_evict: Callable[[int, bytes], None] | None = None

    # ------------------------------------------------------------- access clocks

    def configure_access(self, is_lfu: bool | None = None,
                         has_child: bool | None = None) -> None:
        """Change the access rules; keys keep their clocks, reinterpreted as Redis does
        when the policy switches between LRU and LFU."""
        if is_lfu is not None:
            self.is_lfu = is_lfu
        if has_child is not None:
            self.has_child = has_child
        is_plain_lru = not (self.is_lfu or self.has_child)
        self.touch_mode = _TOUCH_LRU if is_plain_lru else _TOUCH_GENERAL
        # A lookup may return a value about to change in place: the memory account and
        # a forkless snapshot must hear of it (bytes-only paths such as GET's use
        # touch_mode).
        self.lookup_mode = (_TOUCH_LRU if is_plain_lru and self.memory is None
                            and self.snapshot is None else _TOUCH_GENERAL)

    def refresh_lru_clock(self) -> None:
        """Redis's serverCron updates server.lruclock (and unixtime, which the LFU
        minutes come from); accesses read these values."""
        self.lru_clock = lru_clock_now()
        minute = lfu_minutes()
        if minute != self.lfu_minute:
            self.lfu_minute = minute
            # The 256 clocks this minute can give, made once: keys share them instead
            # of each holding its own int object.
            self._lfu_clocks = [(minute << 8) | counter for counter in range(256)]

    def lfu_initial(self) -> int:
        return self._lfu_clocks[LFU_INIT_VAL]

    def lfu_touched(self, clock: int) -> int:
        """Redis's updateLFU: decay the counter for the minutes elapsed, then count
        one access with probability 1/((counter - 5) * lfu-log-factor + 1)."""
        counter = lfu_counter(clock, self.lfu_decay_time, self.lfu_minute)
        return self._lfu_clocks[lfu_log_incr(counter, self.lfu_log_factor)]

    def idle_ms(self, clock: int) -> int:
        """Redis's estimateObjectIdleTime for an LRU clock."""
        now = self.lru_clock
        if now >= clock:
            return (now - clock) * 1000
        return (now + (LRU_CLOCK_MAX - clock)) * 1000

    def frequency(self, clock: int) -> int:
        """Redis's LFUDecrAndReturn: the counter as OBJECT FREQ reports it."""
        return lfu_counter(clock, self.lfu_decay_time, self.lfu_minute)

    def clock_from(self, idle_s: int | None, freq: int | None) -> int | None:
        """Redis's objectSetLRUOrLFU: the clock a key restored with IDLETIME or FREQ
        (RESTORE, or an RDB's IDLE/FREQ opcodes) gets under the current policy; None
        when the policy does not use what was given."""
        if self.is_lfu:
            if freq is not None and freq >= 0:
                return self._lfu_clocks[freq]
            return None
        if idle_s is None or idle_s < 0:
            return None
        clock = self.lru_clock - idle_s
        if clock < 0:
            clock = (self.lru_clock + LRU_CLOCK_MAX // 2) % LRU_CLOCK_MAX
        return clock

    def flush_all(self) -> int:
        return sum(db.clear() for db in self.dbs)

    def swap(self, first: int, second: int) -> None:
        if self.memory is not None:
            self.memory.settle()
        self.dbs[first].swap_contents(self.dbs[second])
        if self.snapshot is not None:
            self.snapshot.swapped(first, second)
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

    def begin_snapshot(self) -> Any:
        """A point-in-time view (server/point_in_time.py) that persistence reads in
        slices while the dataset keeps changing; close() it when done. While it is
        open, lookups take the general path, where it hears of every change."""
        from server.point_in_time import PointInTimeSnapshot
        if self.snapshot is not None:
            raise RuntimeError("a point-in-time snapshot is already open")
        self.snapshot = PointInTimeSnapshot(self)
        self.configure_access()
        return self.snapshot

    def end_snapshot(self, snapshot: Any) -> None:
        if self.snapshot is snapshot:
            self.snapshot = None
            self.configure_access()

    def snapshot_entries(self) -> Iterator[Entry]:
        """Every live key of every database, database by database; under an LRU policy
        each carries its idle seconds, under an LFU one its frequency (what Redis's
        RDB saves then: saved_access)."""
        now = self.clock.ms
        access = self.saved_access
        # Without access data the entries are built by map/zip in C: a Python loop
        # making one Entry per key was a third of the time of a SAVE of small keys.
        make = tuple.__new__
        for db in self.dbs:
            data = db.data
            if not data:
                continue
            expires = db.expires
            if access is not None:
                yield from self._entries_with_access(db, access, now)
                continue
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
            # tuple.__new__ checks no arity: one zip item per Entry field, in order
            # (idle_s and freq are None here).
            yield from map(make, repeat(Entry), zip(repeat(db.index), keys, values, expire_ats,
                                                    repeat(None), repeat(None)))

    def _entries_with_access(self, db: "Database", access: str, now: int) -> Iterator[Entry]:
        """Under an LRU policy each entry carries its idle seconds, under an LFU one its
        frequency."""
        expires = db.expires
        clocks = db.clocks
        for key, value in list(db.data.items()):
            at = expires.get(key) if expires else None
            if at is not None and at <= now:
                continue
            if access == "lru":
                idle_s = self.idle_ms(clocks.get(key, self.lru_clock)) // 1000
                yield Entry(db.index, key, value, at, idle_s=idle_s)
            else:
                freq = self.frequency(clocks.get(key, LFU_INIT_VAL))
                yield Entry(db.index, key, value, at, freq=freq)

    @staticmethod
    def _unexpired_entries(index: int, keys: list[bytes], values: list[Any],
                           expires: dict[bytes, int], now: int) -> Iterator[Entry]:
        for key, value in zip(keys, values):
            at = expires.get(key)
            if at is not None and at <= now:
                continue
            yield Entry(index, key, value, at)

    def load_entries(self, db_index: int, keys: list[bytes], values: list[Any],
                     expire_ats: dict[int, int], replace: bool = False,
                     access: dict[int, tuple[int | None, int | None]] | None = None,
                     ) -> int | None:
        """Add keys[i] -> values[i] to database `db_index`, with expire_ats[i] (unix ms)
        as the TTL of the keys it names and access[i] (idle seconds, LFU counter) as the
        clock of those it names. Returns None; or, unless `replace`, the position of the
        first key that the database already holds or that repeats an earlier one, the
        keys then being added in part. `replace` overwrites a key held before, dropping
        its TTL."""
        db = self.dbs[db_index]
        data = db.data
        if self.snapshot is not None:  # DEBUG RELOAD MERGE during a forkless save
            for key in keys:
                self.snapshot.before_change(db_index, key, data.get(key))
        if replace:
            if db.expires:
                for key in keys:
                    db.expires.pop(key, None)
        elif data and not data.keys().isdisjoint(keys):
            return _first_repeated(data, keys)
        memory = self.memory
        olds = [data.get(key) for key in keys] if memory is not None else None
        held = len(data)
        data.update(zip(keys, values))
        if not replace and len(data) - held != len(keys):
            return _first_repeated({}, keys)
        clocks = db.clocks
        if self.is_lfu:
            for key in keys:
                clocks[key] = db._new_clock(key, None)
        else:
            clocks.update(zip(keys, repeat(self.lru_clock)))
        for index, (idle_s, freq) in (access or {}).items():
            clock = self.clock_from(idle_s, freq)
            if clock is not None:
                clocks[keys[index]] = clock
        if memory is not None and olds is not None:
            for key, old, value in zip(keys, olds, values):
                memory.replaced(db, key, old, value)
        for index, at in expire_ats.items():
            db.set_expire(keys[index], at)
        return None

    def load_entry(self, entry: Entry) -> None:
        db = self.dbs[entry.db_index]
        key = entry.key
        old = db.data.get(key)
        if self.snapshot is not None:
            self.snapshot.before_change(entry.db_index, key, old)
        db.data[key] = entry.value
        clock = None
        if entry.idle_s is not None or entry.freq is not None:
            clock = self.clock_from(entry.idle_s, entry.freq)
        db.clocks[key] = clock if clock is not None else db._new_clock(key, None)
        if self.memory is not None:
            self.memory.replaced(db, key, old, entry.value)
        if entry.expire_at_ms is not None:
            db.set_expire(key, entry.expire_at_ms)


def _first_repeated(held: dict[bytes, Any], keys: list[bytes]) -> int | None:
    """The position of the first of `keys` in `held` or repeating an earlier one."""
    seen: set[bytes] = set()
    for index, key in enumerate(keys):
        if key in held or key in seen:
            return index
        seen.add(key)
    return None
