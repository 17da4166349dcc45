"""Hash commands over TCP with redis-py (RESP2 `r`, RESP3 `r3`): replies as clients see
them, the generic key commands on hashes, hash-max-listpack-*, memory per field, and
hashes surviving an AOF base rewrite and HINCRBYFLOAT's logged HSET."""

from __future__ import annotations

import pytest
import redis

from tests.persistence.helpers import aof_file, aof_server, client_of, temp_dir
from tests.servers import ServerProcess
from tests.wire import error_of


def test_hset_counts_new_fields_and_hgetall_returns_a_dict(r: redis.Redis,
                                                          r3: redis.Redis) -> None:
    assert r.hset("h", mapping={"a": 1, "b": 2}) == 2
    assert r.hset("h", mapping={"a": 3, "c": 4}) == 1
    assert r.hgetall("h") == {b"a": b"3", b"b": b"2", b"c": b"4"}
    assert r3.hgetall("h") == {b"a": b"3", b"b": b"2", b"c": b"4"}
    assert r.hmget("h", "a", "zz") == [b"3", None]
    assert r.hkeys("h") == [b"a", b"b", b"c"] and r.hvals("h") == [b"3", b"2", b"4"]
    assert r.hlen("h") == 3 and r.hstrlen("h", "a") == 1 and r.hexists("h", "b")
    assert r.hsetnx("h", "a", 9) == 0 and r.hsetnx("h", "d", 9) == 1
    assert r.hdel("h", "a", "b", "c", "d", "zz") == 4
    assert r.exists("h") == 0


def test_counters_keep_redis_formatting(r: redis.Redis) -> None:
    assert r.hincrby("h", "n", 5) == 5
    assert r.hincrbyfloat("h", "f", "0.1") == pytest.approx(0.1)
    assert r.hincrbyfloat("h", "f", "0.2") == pytest.approx(0.3)
    assert r.hget("h", "f") == b"0.3"
    assert r.hincrbyfloat("h", "g", "5.0e3") == 5000 and r.hget("h", "g") == b"5000"
    r.hset("h", "s", "text")
    assert error_of(r.hincrby, "h", "s", 1) == "hash value is not an integer"
    assert error_of(r.hincrbyfloat, "h", "s", 1) == "hash value is not a float"
    assert error_of(r.hincrbyfloat, "h", "f", "inf") == "value is NaN or Infinity"


def test_hrandfield_shapes_in_both_protocols(r: redis.Redis, r3: redis.Redis) -> None:
    r.hset("h", mapping={"a": 1, "b": 2, "c": 3})
    assert r.hrandfield("h") in (b"a", b"b", b"c")
    assert r.hrandfield("h", 10) == [b"a", b"b", b"c"]
    assert r.hrandfield("h", 10, withvalues=True) == [b"a", b"1", b"b", b"2", b"c", b"3"]
    assert r3.hrandfield("h", 10, withvalues=True) == [[b"a", b"1"], [b"b", b"2"], [b"c", b"3"]]
    repeated = r.hrandfield("h", -20)
    assert len(repeated) == 20 and set(repeated) <= {b"a", b"b", b"c"}
    distinct = r.hrandfield("h", 2)
    assert len(set(distinct)) == 2
    assert r.hrandfield("missing") is None and r.hrandfield("missing", 3) == []


def test_hscan_walks_a_large_hash_completely(r: redis.Redis) -> None:
    r.hset("h", mapping={b"f%d" % i: b"v%d" % i for i in range(2000)})
    found = dict(r.hscan_iter("h", count=50))
    assert found == {b"f%d" % i: b"v%d" % i for i in range(2000)}
    assert dict(r.hscan_iter("h", match="f1??")) == {b"f%d" % i: b"v%d" % i
                                                     for i in range(100, 200)}


def test_encoding_follows_hash_max_listpack_settings(r: redis.Redis) -> None:
    r.hset("small", "a", "x" * 64)
    assert r.object("encoding", "small") == b"listpack"
    r.hset("small", "b", "x" * 65)
    assert r.object("encoding", "small") == b"hashtable"
    r.config_set("hash-max-ziplist-entries", 1)
    try:
        r.hset("two", mapping={"a": 1, "b": 2})
        assert r.object("encoding", "two") == b"hashtable"
        assert r.config_get("hash-max-listpack-entries") == {"hash-max-listpack-entries": "1"}
    finally:
        r.config_set("hash-max-listpack-entries", 512)


def test_generic_key_commands_see_hashes(r: redis.Redis) -> None:
    r.hset("h", mapping={"a": 1})
    assert r.type("h") == b"hash"
    assert r.copy("h", "c") is True
    r.hset("c", "b", 2)
    assert r.hgetall("h") == {b"a": b"1"}  # the copy shares nothing
    assert r.rename("c", "d") is True and r.hlen("d") == 2
    r.set("str", "v")
    assert sorted(r.scan(0, _type="hash", count=100)[1]) == [b"d", b"h"]
    assert 0 < r.memory_usage("h") < 2000
    assert "WRONGTYPE" in error_of(r.hget, "str", "a")


def test_memory_per_field_of_a_large_hash_stays_small(r: redis.Redis) -> None:
    for start in range(0, 100_000, 1000):
        r.hset("big", mapping={b"field:%07d" % i: b"value:%07d" % i
                               for i in range(start, start + 1000)})
    assert r.hlen("big") == 100_000
    # Redis 7.0.15 takes about 72 bytes per field/value pair here; 3x is the limit.
    assert r.memory_usage("big") / 100_000 < 3 * 72


def test_hashes_survive_an_aof_base_and_hincrbyfloat_replays_as_hset() -> None:
    directory = temp_dir()
    with client_of(ServerProcess("emberkv", ["--aof-use-rdb-preamble", "no"],
                                 directory=directory)) as client:
        client.hset("long", mapping={b"f%d" % i: b"%d" % i for i in range(150)})
        client.hset("binary", b"\x00\r\n", b"")
        client.expire("binary", 1000)
        client.config_set("appendonly", "yes")
        client.hincrbyfloat("long", "float", "1.1")
        client.hincrbyfloat("long", "float", "2.2")
    assert b"HMSET" in aof_file(directory, "base")
    incr = aof_file(directory, "incr")
    assert b"HINCRBYFLOAT" not in incr and b"3.3" in incr
    with client_of(aof_server(directory)) as client:
        expected = {b"f%d" % i: b"%d" % i for i in range(150)}
        expected[b"float"] = b"3.3"
        assert client.hgetall("long") == expected
        assert client.hgetall("binary") == {b"\x00\r\n": b""}
        assert 0 < client.ttl("binary") <= 1000
