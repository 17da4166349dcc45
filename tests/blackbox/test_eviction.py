"""maxmemory and eviction, black-box: which keys go under each policy, the -OOM
refusal, INFO's figures, the DEL each eviction logs and its "evicted" notification.

The behaviour tests run against redis-server too, so their bounds are Redis's
behaviour. The limit is always set relative to INFO used_memory just measured (each
server's own measure), leaving room for a known number of keys.
"""

from __future__ import annotations

import io
import time
from typing import Iterator

import pytest
import redis

from persistence.aof.records import RecordReader
from tests.persistence.helpers import aof_file, aof_server, temp_dir
from tests.servers import KINDS, ServerProcess, server_of_kind

VALUE = b"v" * 100
OOM = "command not allowed when used memory > 'maxmemory'."


@pytest.fixture(scope="module", params=KINDS)
def started(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    with server_of_kind(request, request.param) as process:
        yield process


@pytest.fixture
def server(started: ServerProcess) -> Iterator[ServerProcess]:
    """The module's server of one kind, empty and back at the defaults for each test."""
    yield started
    r = started.client(protocol=2)
    r.config_set("maxmemory", 0)
    r.config_set("maxmemory-policy", "noeviction")
    r.config_set("maxmemory-samples", 5)
    r.config_set("maxmemory-eviction-tenacity", 10)
    r.config_set("notify-keyspace-events", "")
    r.flushall()
    r.config_resetstat()
    r.close()


def used_memory(r: redis.Redis) -> int:
    return int(r.info("memory")["used_memory"])


def cap_with_headroom(r: redis.Redis, headroom: int) -> int:
    """maxmemory at used_memory plus headroom bytes; returns the limit. A limit is set
    first: without one EmberKV keeps no memory account and reports its RSS."""
    r.config_set("maxmemory", 1 << 40)
    limit = used_memory(r) + headroom
    r.config_set("maxmemory", limit)
    return limit


def write(r: redis.Redis, keys: list[str], ex: int | None = None) -> None:
    pipe = r.pipeline(transaction=False)
    for key in keys:
        pipe.set(key, VALUE, ex=ex)
    pipe.execute()


def present(r: redis.Redis, keys: list[str]) -> list[str]:
    pipe = r.pipeline(transaction=False)
    for key in keys:
        pipe.exists(key)
    return [key for key, found in zip(keys, pipe.execute()) if found]


def evicted_and_dbsize(r: redis.Redis) -> tuple[int, int]:
    """Both read at one moment: every command may evict first, EXEC's queue does not."""
    pipe = r.pipeline(transaction=True)
    pipe.info("stats")
    pipe.dbsize()
    stats, dbsize = pipe.execute()
    return stats["evicted_keys"], dbsize


def assert_within_limit(server: ServerProcess, r: redis.Redis, limit: int) -> None:
    memory = r.info("memory")
    assert memory["maxmemory"] == limit
    # The last write is counted after the eviction that made room for it: one key
    # over. Redis's figure also holds client buffers (the replies of a pipeline).
    slack = 1024 if server.kind == "emberkv" else 128 * 1024
    assert memory["used_memory"] <= limit + slack


def test_allkeys_lru_keeps_the_recently_read_working_set(server: ServerProcess) -> None:
    r = server.client(protocol=2)
    r.config_set("maxmemory-policy", "allkeys-lru")
    r.config_set("maxmemory-samples", 10)
    hot = [f"hot:{i}" for i in range(100)]
    cold = [f"cold:{i}" for i in range(2000)]
    write(r, hot + cold)
    # Room for replies too: Redis counts client buffers in used_memory.
    limit = cap_with_headroom(r, 100_000)
    time.sleep(2.2)  # the LRU clock counts seconds
    assert all(r.mget(hot))  # reading them makes them recent
    fresh = [f"fresh:{i}" for i in range(1500)]
    write(r, fresh)
    assert present(r, hot) == hot
    cold_left = len(present(r, cold))
    assert cold_left < 2000 - 500
    evicted, dbsize = evicted_and_dbsize(r)
    assert evicted == 100 + 2000 + 1500 - dbsize
    assert_within_limit(server, r, limit)


def test_volatile_lru_only_evicts_keys_with_a_ttl_then_refuses(server: ServerProcess) -> None:
    r = server.client(protocol=2)
    r.config_set("maxmemory-policy", "volatile-lru")
    persistent = [f"keep:{i}" for i in range(500)]
    volatile = [f"ttl:{i}" for i in range(500)]
    write(r, persistent)
    write(r, volatile, ex=10_000)
    limit = cap_with_headroom(r, 10_000)
    more = [f"more:{i}" for i in range(200)]
    write(r, more)
    assert present(r, persistent) == persistent
    assert present(r, more) == more
    evicted, dbsize = evicted_and_dbsize(r)
    assert 0 < evicted == 500 + 500 + 200 - dbsize
    assert_within_limit(server, r, limit)
    with pytest.raises(redis.exceptions.OutOfMemoryError, match=OOM):
        write(r, [f"flood:{i}" for i in range(2000)])
    assert present(r, persistent) == persistent
    assert present(r, volatile) == []


def test_volatile_ttl_evicts_the_soonest_to_expire_first(server: ServerProcess) -> None:
    r = server.client(protocol=2)
    r.config_set("maxmemory-policy", "volatile-ttl")
    r.config_set("maxmemory-samples", 10)
    late = [f"late:{i}" for i in range(500)]
    soon = [f"soon:{i}" for i in range(1000)]
    write(r, late, ex=100_000)
    write(r, soon, ex=1_000)
    cap_with_headroom(r, 10_000)
    write(r, [f"new:{i}" for i in range(300)])
    assert present(r, late) == late
    assert len(present(r, soon)) <= 1000 - 250


def test_noeviction_refuses_writes_that_may_grow_memory(server: ServerProcess) -> None:
    r = server.client(protocol=2)
    write(r, ["a", "b"])
    r.rpush("list", "x")
    r.config_set("maxmemory", 1)
    for command in (("SET", "c", "1"), ("RPUSH", "list", "y"), ("INCR", "n"),
                    ("SETRANGE", "a", 0, "z"), ("APPEND", "a", "z")):
        with pytest.raises(redis.exceptions.OutOfMemoryError, match=OOM):
            r.execute_command(*command)
    assert r.get("a") == VALUE
    assert r.lpop("list") == b"x"  # not DENYOOM: frees memory
    assert r.delete("a") == 1
    assert r.expire("b", 100) is True
    assert r.info("stats")["evicted_keys"] == 0
    assert r.dbsize() == 1


def test_allkeys_random_under_a_one_byte_limit_evicts_everything_then_refuses(
        server: ServerProcess) -> None:
    r = server.client(protocol=2)
    write(r, [f"k:{i}" for i in range(300)])
    # No time budget: a busy machine must not let the SET through half-way.
    r.config_set("maxmemory-eviction-tenacity", 100)
    r.config_set("maxmemory-policy", "allkeys-random")
    r.config_set("maxmemory", 1)
    with pytest.raises(redis.exceptions.OutOfMemoryError, match=OOM):
        r.set("x", "y")
    assert r.dbsize() == 0
    assert r.info("stats")["evicted_keys"] == 300


def test_each_eviction_is_notified_as_evicted(server: ServerProcess) -> None:
    r = server.client(protocol=2)
    keys = [f"k:{i}" for i in range(20)]
    write(r, keys)
    r.config_set("notify-keyspace-events", "Eeg")
    listener = server.client(protocol=2).pubsub()
    listener.subscribe("__keyevent@0__:evicted", "__keyevent@0__:del")
    assert listener.get_message(timeout=2)["type"] == "subscribe"
    assert listener.get_message(timeout=2)["type"] == "subscribe"
    r.config_set("maxmemory-policy", "allkeys-lru")
    r.config_set("maxmemory", 1)
    r.ping()  # every command evicts first, not only DENYOOM ones
    told = []
    while len(told) < len(keys) and (message := listener.get_message(timeout=2)):
        told.append((message["channel"], message["data"].decode()))
    assert listener.get_message(timeout=0.2) is None  # and no "del" among them
    assert sorted(told) == sorted((b"__keyevent@0__:evicted", key) for key in keys)
    listener.close()


def test_evicted_keys_are_logged_to_the_aof_as_del() -> None:
    directory = temp_dir()
    with aof_server(directory, "--maxmemory-policy", "allkeys-lru") as server:
        r = server.client(protocol=2)
        keys = [f"k:{i}" for i in range(200)]
        write(r, keys)
        cap_with_headroom(r, 5_000)
        write(r, [f"new:{i}" for i in range(100)])
        gone = set(keys) - set(present(r, keys))
        assert len(gone) >= 40
        dbsize = r.dbsize()
    logged = aof_file(directory, "incr")
    deleted = {argv[1].decode() for argv, _ in RecordReader(io.BytesIO(logged))
               if argv[0] == b"DEL"}
    assert gone <= deleted
    with ServerProcess("emberkv", ["--appendonly", "yes"], directory=directory) as again:
        assert again.client().dbsize() == dbsize


def test_used_memory_follows_the_dataset_down_as_well_as_up(r: redis.Redis) -> None:
    r.config_set("maxmemory", 1 << 30)
    try:
        empty = r.info("memory")
        write(r, [f"k:{i}" for i in range(5000)])
        r.rpush("list", *[b"e" * 50] * 20000)
        r.hset("hash", mapping={f"f{i}": b"x" * 50 for i in range(5000)})
        full = r.info("memory")
        grown = full["used_memory_dataset"] - empty["used_memory_dataset"]
        assert 5000 * 200 + 20000 * 50 + 5000 * 100 < grown < 5000 * 400 + 20000 * 100 + 5000 * 300
        assert full["used_memory"] == full["used_memory_startup"] + full["used_memory_dataset"]
        assert full["maxmemory"] == 1 << 30 and full["maxmemory_human"] == "1.00G"
        assert full["maxmemory_policy"] == "noeviction"
        assert full["mem_not_counted_for_evict"] == 0
        r.ltrim("list", 0, 99)
        r.delete("hash")
        trimmed = r.info("memory")["used_memory_dataset"]
        assert trimmed < full["used_memory_dataset"] - 20000 * 40 - 5000 * 100
        r.flushall()
        assert r.info("memory")["used_memory_dataset"] == empty["used_memory_dataset"] == 0
    finally:
        r.config_set("maxmemory", 0)
