"""maxmemory: evicting keys before a command when the dataset is over the limit, as
Redis 7.0's evict.c does; and the arithmetic of the per-key access clocks.

Access clocks (the 24 bits of Redis's robj.lru, kept in Database.clocks):
- LRU: seconds, modulo 2**24 (LRU_CLOCK_RESOLUTION 1000 ms); idle time is the distance
  from the server's LRU clock, which the cron refreshes as serverCron does.
- LFU: (minutes modulo 2**16) << 8 | a logarithmic counter: an access increments it with
  probability 1/((counter - LFU_INIT_VAL) * lfu-log-factor + 1), and it loses one per
  lfu-decay-time minutes since its last decrement. New keys start at LFU_INIT_VAL (5).

Eviction (perform_evictions, run by the executor's gate before every command while
maxmemory is set, as processCommand does): while the memory account
(server/memory.py) is over maxmemory, pick a key by the policy and delete it, logged as
DEL on the write stream, notified as "evicted" and counted in evicted_keys. LRU, LFU and
volatile-ttl sample maxmemory-samples keys per database into a pool of the 16 best
candidates kept across calls (evictionPoolPopulate) and evict the best; the random
policies take a random key from the databases in turn. The loop stops after
maxmemory-eviction-tenacity's time budget, and the cron carries on; when nothing is
left to evict (or under noeviction) the gate refuses DENYOOM commands with -OOM.
"""

from __future__ import annotations

import bisect
import logging
import random
import time
from typing import TYPE_CHECKING, Any

from server.memory import MemoryAccount

if TYPE_CHECKING:
    from server.keyspace import Database
    from server.state import ServerState

LRU_CLOCK_MAX = (1 << 24) - 1
LFU_INIT_VAL = 5
EVICTION_POOL_SIZE = 16

log = logging.getLogger("emberkv.eviction")

_LRU, _LFU, _TTL, _RANDOM, _NONE = "lru", "lfu", "ttl", "random", "none"
# policy -> (how candidates are ranked, whether only keys with a TTL are candidates)
_POLICIES = {
    "volatile-lru": (_LRU, True), "volatile-lfu": (_LFU, True),
    "volatile-random": (_RANDOM, True), "volatile-ttl": (_TTL, True),
    "allkeys-lru": (_LRU, False), "allkeys-lfu": (_LFU, False),
    "allkeys-random": (_RANDOM, False), "noeviction": (_NONE, False),
}
# Commands run in MULTI that are not refused when out of memory (processCommand).
_ALLOWED_IN_MULTI_WHEN_FULL = frozenset(("exec", "discard", "quit", "reset"))


# ------------------------------------------------------------------ access clocks

def lru_clock_now() -> int:
    return (time.time_ns() // 1_000_000_000) & LRU_CLOCK_MAX


def lfu_minutes() -> int:
    return (time.time_ns() // 60_000_000_000) & 0xFFFF


def lfu_counter(clock: int, decay_time: int, now: int) -> int:
    """Redis's LFUDecrAndReturn: the counter less one per decay period elapsed since
    the clock's minute, `now` being lfu_minutes()."""
    counter = clock & 0xFF
    if decay_time:
        last = clock >> 8
        elapsed = now - last if now >= last else 0xFFFF - last + now
        periods = elapsed // decay_time
        if periods:
            counter = 0 if periods > counter else counter - periods
    return counter


def lfu_log_incr(counter: int, log_factor: int) -> int:
    """Redis's LFULogIncr."""
    if counter == 255:
        return 255
    base = max(counter - LFU_INIT_VAL, 0)
    if random.random() < 1.0 / (base * log_factor + 1):
        counter += 1
    return counter


# An eviction here costs about ten times what it costs Redis (measured: ~5 µs against
# ~0.5 µs), so the time budget is ten times Redis's, for the same number of keys.
_SLOWER_THAN_REDIS = 10


def eviction_time_limit_ns(tenacity: int) -> float:
    """Redis's evictionTimeLimitUs (50 µs per step up to 10, then 15% more per step;
    100 means no limit), in ns and scaled by _SLOWER_THAN_REDIS."""
    if tenacity <= 10:
        return 50_000 * tenacity * _SLOWER_THAN_REDIS
    if tenacity < 100:
        return 500_000 * 1.15 ** (tenacity - 10) * _SLOWER_THAN_REDIS
    return float("inf")


# ------------------------------------------------------------------ eviction

class MaxMemory:
    """The maxmemory directives applied: the memory account, the access rules and
    the gate (ServerState.memory_limit while maxmemory is set)."""

    def __init__(self, server: "ServerState") -> None:
        self.server = server
        self.keyspace = server.keyspace
        self.limit = 0
        self.kind = _NONE
        self.is_volatile = False
        self.samples = 5
        self.time_limit_ns: float = 500_000
        # (score, db index, key), ascending: the best candidate is last.
        self.pool: list[tuple[int, int, bytes]] = []
        self._next_db = 0
        # What the last gate found (Redis's pre_command_oom_state), for EXEC.
        self.was_out_of_memory = False
        # Set when the time budget ran out with memory still over: the cron goes on.
        self.is_unfinished = False
        for name in ("maxmemory", "maxmemory-policy", "maxmemory-samples",
                     "maxmemory-eviction-tenacity", "lfu-log-factor", "lfu-decay-time"):
            server.config.on_change(name, self.configure)
        self.configure()

    def configure(self, _value: Any = None) -> None:
        config = self.server.config
        keyspace = self.keyspace
        self.kind, self.is_volatile = _POLICIES[config["maxmemory-policy"]]
        self.samples = config["maxmemory-samples"]
        self.time_limit_ns = eviction_time_limit_ns(config["maxmemory-eviction-tenacity"])
        keyspace.lfu_log_factor = config["lfu-log-factor"]
        keyspace.lfu_decay_time = config["lfu-decay-time"]
        keyspace.saved_access = self.kind if self.kind in (_LRU, _LFU) else None
        is_new_limit = config["maxmemory"] != self.limit
        self.limit = config["maxmemory"]
        if self.limit and keyspace.memory is None:
            keyspace.memory = MemoryAccount(keyspace)
        elif not self.limit and keyspace.memory is not None:
            keyspace.memory.detach()
            keyspace.memory = None
        keyspace.configure_access(is_lfu=self.kind == _LFU)
        self.pool.clear()
        # A limit set below what is used is met by the cron too, not only by commands
        # (Redis starts its eviction time proc on CONFIG SET maxmemory).
        self.is_unfinished = bool(self.limit)
        if is_new_limit and self.limit and self.used_bytes() > self.limit:
            log.warning(
                "WARNING: the new maxmemory value set via CONFIG SET (%d) is smaller than "
                "the current memory usage (%d). This will result in key eviction and/or "
                "the inability to accept new write commands depending on the "
                "maxmemory-policy.", self.limit, self.used_bytes())
        self.server.memory_limit = self if self.limit else None

    # ------------------------------------------------------------------ measure

    def used_bytes(self) -> int:
        """used_memory: the startup baseline plus the dataset's account."""
        memory = self.keyspace.memory
        dataset = memory.dataset_bytes() if memory is not None else 0
        return self.server.used_memory_startup + dataset

    def is_over(self) -> bool:
        return self.used_bytes() > self.limit

    # ------------------------------------------------------------------ the gate

    def refuses(self, spec: Any, client: Any) -> bool:
        """processCommand's maxmemory step: evict, then whether to answer -OOM. EXEC
        passes; it aborts itself when it holds a DENYOOM command (was_out_of_memory)."""
        memory = self.keyspace.memory
        if (not memory.pending and not self.is_unfinished
                and memory.total + self.server.used_memory_startup <= self.limit):
            self.was_out_of_memory = False  # the usual case, without calls
            return False
        self.was_out_of_memory = not self.perform_evictions()
        if not self.was_out_of_memory:
            return False
        if spec.is_denyoom:
            return True
        # In MULTI, queueing could grow memory without bound.
        return client.in_multi and spec.name not in _ALLOWED_IN_MULTI_WHEN_FULL

    def perform_evictions(self) -> bool:
        """Evict until under maxmemory; False when that was impossible (EVICT_FAIL)."""
        if self.server.is_loading:
            return True
        memory = self.keyspace.memory
        if memory is None:
            return True
        limit = self.limit
        used = self.used_bytes()
        if used <= limit:
            self.is_unfinished = False
            return True
        if self.kind == _NONE:
            return False
        to_free = used - limit
        freed = 0
        evicted = 0
        deadline = time.monotonic_ns() + self.time_limit_ns
        while freed < to_free:
            found = self._best_key()
            if found is None:
                return False
            db, key = found
            before = memory.total
            db.evict(key)
            freed += before - memory.total
            evicted += 1
            if evicted % 16 == 0:
                if not self.is_over():
                    break
                if time.monotonic_ns() > deadline:
                    self.is_unfinished = True
                    return True
        self.is_unfinished = False
        return True

    def _candidates(self, db: "Database") -> Any:
        return db.expires if self.is_volatile else db.data

    def _best_key(self) -> tuple["Database", bytes] | None:
        dbs = self.keyspace.dbs
        if self.kind == _RANDOM:
            for _ in range(len(dbs)):
                self._next_db = (self._next_db + 1) % len(dbs)
                db = dbs[self._next_db]
                keys = db.sample_keys(1, self.is_volatile)
                if keys:
                    return db, keys[0]
            return None
        pool = self.pool
        for _ in range(8):
            total = 0
            for db in dbs:
                count = len(self._candidates(db))
                if count:
                    self._populate(db)
                    total += count
            if not total:
                return None
            while pool:
                _, index, key = pool.pop()
                db = dbs[index]
                if key in self._candidates(db):
                    return db, key
            # Every entry was a ghost (deleted since it was pooled): sample again.
        return None

    def _populate(self, db: "Database") -> None:
        """Redis's evictionPoolPopulate: sampled keys enter the pool when better than
        its worst entry or while it has room."""
        keyspace = self.keyspace
        clocks = db.clocks
        pool = self.pool
        for key in db.sample_keys(self.samples, self.is_volatile):
            if self.kind == _LRU:
                score = keyspace.idle_ms(clocks.get(key, keyspace.lru_clock))
            elif self.kind == _LFU:
                score = 255 - keyspace.frequency(clocks.get(key, LFU_INIT_VAL))
            else:
                score = -db.expires[key]  # the sooner it expires, the better
            if len(pool) == EVICTION_POOL_SIZE and score <= pool[0][0]:
                continue
            bisect.insort(pool, (score, db.index, key))
            if len(pool) > EVICTION_POOL_SIZE:
                del pool[0]

    def cron(self) -> None:
        """Go on evicting when the last command's time budget ran out, or after the
        limit was lowered (Redis's evictionTimeProc)."""
        if self.is_unfinished:
            self.perform_evictions()
