"""Set commands over TCP with redis-py (RESP2 `r`, RESP3 `r3`): replies as clients see
them, the generic key commands on sets, set-max-intset-entries, random members in
O(1), memory per member, and sets surviving an AOF base rewrite and SPOP's logged
SREM."""

from __future__ import annotations

import time

import redis

from tests.persistence.helpers import aof_file, aof_server, client_of, temp_dir
from tests.servers import ServerProcess
from tests.wire import error_of


def test_members_and_membership(r: redis.Redis, r3: redis.Redis) -> None:
    assert r.sadd("s", "a", "b", "a") == 2
    assert r.smembers("s") == {b"a", b"b"} and r3.smembers("s") == {b"a", b"b"}
    assert r.sismember("s", "a") == 1 and r.smismember("s", ["a", "z"]) == [1, 0]
    assert r.scard("s") == 2 and r.srem("s", "a", "z") == 1
    assert r.srem("s", "b") == 1 and r.exists("s") == 0


def test_intsets_answer_in_sorted_order(r: redis.Redis) -> None:
    r.sadd("i", 10, -3, 2)
    assert r.object("encoding", "i") == b"intset"
    assert r.sscan("i") == (0, [b"-3", b"2", b"10"])
    assert r.srandmember("i", 10) == [b"-3", b"2", b"10"]
    r.sadd("i", "x")
    assert r.object("encoding", "i") == b"hashtable"


def test_set_algebra_and_store_forms(r: redis.Redis, r3: redis.Redis) -> None:
    r.sadd("a", 1, 2, 3, 4)
    r.sadd("b", 3, 4, 5)
    assert r.sinter("a", "b") == {b"3", b"4"} and r3.sinter("a", "b") == {b"3", b"4"}
    assert r.sunion("a", "b") == {b"1", b"2", b"3", b"4", b"5"}
    assert r.sdiff("a", "b") == {b"1", b"2"}
    assert r.sintercard(2, ["a", "b"]) == 2 and r.sintercard(2, ["a", "b"], limit=1) == 1
    assert r.sinterstore("d", ["a", "b"]) == 2 and r.smembers("d") == {b"3", b"4"}
    assert r.sunionstore("d", ["a", "missing"]) == 4
    assert r.sdiffstore("d", ["a", "a"]) == 0 and r.exists("d") == 0
    assert r.smove("a", "b", 1) is True and r.sismember("b", 1)


def test_spop_and_srandmember_follow_redis_counts(r: redis.Redis, r3: redis.Redis) -> None:
    r.sadd("s", *range(10))
    assert len(r.srandmember("s", -25)) == 25
    assert len(set(r.srandmember("s", 4))) == 4
    assert r.srandmember("s", 20) == [b"%d" % i for i in range(10)]
    popped = r.spop("s", 3)
    assert len(set(popped)) == 3 and r.scard("s") == 7
    assert isinstance(r3.spop("s", 2), (set, list))
    assert r.spop("missing") is None and r.spop("missing", 2) == []
    assert error_of(r.spop, "s", -1) == "value is out of range, must be positive"


def test_random_members_of_a_large_set_cost_constant_time(r: redis.Redis) -> None:
    for start in range(0, 200_000, 5000):
        r.sadd("big", *(b"m%d" % i for i in range(start, start + 5000)))
    r.sadd("small", *(b"m%d" % i for i in range(10)))
    pipe = r.pipeline(transaction=False)

    def timed(key: str) -> float:
        started = time.perf_counter()
        for _ in range(2000):
            pipe.srandmember(key)
            pipe.spop(key)
        pipe.execute()
        return time.perf_counter() - started

    timed("big")  # the first draw builds the picker
    r.sadd("small", *(b"m%d" % i for i in range(10, 5000)))
    small, big = timed("small"), timed("big")
    assert big < 5 * small + 0.2
    assert r.scard("big") == 200_000 - 4000


def test_encoding_follows_set_max_intset_entries(r: redis.Redis) -> None:
    r.config_set("set-max-intset-entries", 2)
    try:
        r.sadd("s", 1, 2)
        assert r.object("encoding", "s") == b"intset"
        r.sadd("s", 3)
        assert r.object("encoding", "s") == b"hashtable"
    finally:
        r.config_set("set-max-intset-entries", 512)


def test_generic_key_commands_see_sets(r: redis.Redis) -> None:
    r.sadd("s", "a")
    assert r.type("s") == b"set"
    assert r.copy("s", "c") is True
    r.sadd("c", "b")
    assert r.smembers("s") == {b"a"}
    r.set("str", "v")
    assert sorted(r.scan(0, _type="set", count=100)[1]) == [b"c", b"s"]
    assert set(r.sscan_iter("c")) == {b"a", b"b"}
    assert "WRONGTYPE" in error_of(r.sadd, "str", "a")


def test_memory_per_member_of_a_large_set_stays_small(r: redis.Redis) -> None:
    for start in range(0, 100_000, 1000):
        r.sadd("big", *(b"element:%07d" % i for i in range(start, start + 1000)))
    # Redis 7.0.15 takes about 64 bytes per member here; 3x is the limit.
    assert r.memory_usage("big") / 100_000 < 3 * 64


def test_sets_survive_an_aof_base_and_spop_replays_as_srem() -> None:
    directory = temp_dir()
    with client_of(ServerProcess("emberkv", ["--aof-use-rdb-preamble", "no"],
                                 directory=directory)) as client:
        client.sadd("long", *range(150))
        client.sadd("mixed", "a", 1)
        client.expire("mixed", 1000)
        client.config_set("appendonly", "yes")
        popped = client.spop("long", 10)
        remaining = client.smembers("long")
    assert b"SADD" in aof_file(directory, "base")
    incr = aof_file(directory, "incr")
    assert b"SPOP" not in incr and b"SREM" in incr
    with client_of(aof_server(directory)) as client:
        assert client.smembers("long") == remaining and not remaining & set(popped)
        assert client.object("encoding", "long") == b"intset"
        assert client.smembers("mixed") == {b"a", b"1"}
        assert 0 < client.ttl("mixed") <= 1000


def test_sscan_returns_every_member_present_throughout_while_the_set_changes(
        r: redis.Redis) -> None:
    r.sadd("s", *(b"keep%d" % i for i in range(1000)))
    r.sadd("s", *(b"drop%d" % i for i in range(500)))
    seen: set[bytes] = set()
    cursor = 0
    step = 0
    while True:
        cursor, members = r.sscan("s", cursor, count=40)
        seen.update(members)
        step += 1
        r.srem("s", b"drop%d" % step)
        r.sadd("s", b"new%d" % step)
        if cursor == 0:
            break
    assert {b"keep%d" % i for i in range(1000)} <= seen
    assert step > 10  # the walk really was interleaved with changes
