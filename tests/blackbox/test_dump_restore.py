"""DUMP and RESTORE over TCP with redis-py: round trips of every type, TTLs, REPLACE,
the AOF replaying RESTORE after a restart, and damaged payloads answered with an error
(never `ERR internal error`: the fixture fails a test whose log shows a traceback).
"""

from __future__ import annotations

import random
import time

import pytest
import redis

from tests.persistence.helpers import aof_server, client_of, temp_dir
from tests.servers import ServerProcess
from tests.wire import error_of


def fill_every_type(client: redis.Redis) -> None:
    client.set("string", "hello")
    client.set("number", 12345)
    client.set("long", "z" * 500)
    client.append("appended", "x" * 30)
    client.rpush("list", *range(1000))
    client.sadd("intset", 1, 2, 3)
    client.sadd("set", "a", "b")
    client.hset("hash", mapping={"f": "v", "g": "w"})
    client.hset("bighash", mapping={f"f{i}": i for i in range(1000)})
    client.zadd("zset", {"a": 1, "b": 2.5})
    client.zadd("bigzset", {f"m{i}": i for i in range(1000)})


def snapshot(client: redis.Redis, key: str) -> object:
    kind = client.type(key)
    if kind == b"string":
        return client.get(key)
    if kind == b"list":
        return client.lrange(key, 0, -1)
    if kind == b"set":
        return client.smembers(key)
    if kind == b"hash":
        return client.hgetall(key)
    return client.zrange(key, 0, -1, withscores=True)


KEYS = ["string", "number", "long", "appended", "list", "intset", "set", "hash", "bighash",
        "zset", "bigzset"]


def test_every_type_round_trips_through_dump_and_restore(r: redis.Redis) -> None:
    fill_every_type(r)
    for key in KEYS:
        dumped = r.dump(key)
        assert r.restore(key + ":copy", 0, dumped) == b"OK"
        assert snapshot(r, key + ":copy") == snapshot(r, key)
        assert r.object("encoding", key + ":copy") == r.object("encoding", key)
        assert r.ttl(key + ":copy") == -1


def test_dump_of_a_missing_key_is_nil(r: redis.Redis) -> None:
    assert r.dump("missing") is None


def test_restore_refuses_an_existing_key_unless_replace(r: redis.Redis) -> None:
    r.set("a", "1")
    r.set("b", "2")
    dumped = r.dump("a")
    assert error_of(r.restore, "b", 0, dumped) == "BUSYKEY Target key name already exists."
    assert r.get("b") == b"2"
    assert r.restore("b", 0, dumped, replace=True) == b"OK"
    assert r.get("b") == b"1"


def test_restore_sets_relative_and_absolute_ttls(r: redis.Redis) -> None:
    r.set("a", "1")
    dumped = r.dump("a")
    r.restore("rel", 10_000, dumped)
    assert 9_000 < r.pttl("rel") <= 10_000
    at_ms = int(time.time() * 1000) + 50_000
    r.restore("abs", at_ms, dumped, absttl=True)
    assert r.execute_command("PEXPIRETIME", "abs") == at_ms


def test_restore_with_a_past_deadline_stores_nothing(r: redis.Redis) -> None:
    r.set("a", "1")
    dumped = r.dump("a")
    assert r.restore("gone", 1, dumped, absttl=True) == b"OK"
    assert r.exists("gone") == 0
    assert r.restore("a", 1, dumped, absttl=True, replace=True) == b"OK"
    assert r.exists("a") == 0


def test_restore_checks_ttl_and_options(r: redis.Redis) -> None:
    r.set("a", "1")
    dumped = r.dump("a")
    assert error_of(r.restore, "x", -1, dumped) == "Invalid TTL value, must be >= 0"
    assert error_of(r.restore, "x", 0, dumped, idletime=-1) == (
        "Invalid IDLETIME value, must be >= 0")
    assert error_of(r.restore, "x", 0, dumped, frequency=256) == (
        "Invalid FREQ value, must be >= 0 and <= 255")
    assert error_of(r.execute_command, "RESTORE", "x", 0, dumped, "IDLETIME", 1,
                    "FREQ", 1) == "syntax error"
    assert r.restore("x", 0, dumped, idletime=100) == b"OK"
    assert r.restore("y", 0, dumped, frequency=5) == b"OK"


def test_damaged_payloads_are_refused(r: redis.Redis) -> None:
    fill_every_type(r)
    rng = random.Random(5)
    for key in KEYS:
        dumped = bytearray(r.dump(key))
        for _ in range(20):
            damaged = bytearray(dumped)
            damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
            assert error_of(r.restore, "x", 0, bytes(damaged), replace=True) == (
                "DUMP payload version or checksum are wrong")
        assert error_of(r.restore, "x", 0, bytes(dumped[:-9]) + bytes(dumped[-8:])) == (
            "DUMP payload version or checksum are wrong")


def test_payloads_with_valid_checksums_but_bad_data_are_refused(r: redis.Redis) -> None:
    """The value is damaged and the checksum recomputed: the reader itself must refuse
    (or accept) it, never fail inside."""
    from persistence.rdb.crc64 import crc64

    fill_every_type(r)
    rng = random.Random(7)
    for key in KEYS:
        dumped = r.dump(key)
        body = dumped[:-10]
        for _ in range(30):
            damaged = bytearray(body)
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
            framed = bytes(damaged) + dumped[-10:-8]
            candidate = framed + crc64(0, framed).to_bytes(8, "little")
            try:
                r.restore("x", 0, candidate, replace=True)
            except redis.ResponseError as error:
                assert str(error) == "Bad data format"


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_restored_keys_survive_a_restart_through_the_aof(preamble: str) -> None:
    directory = temp_dir()
    with client_of(ServerProcess("emberkv", ["--appendonly", "yes",
                                             "--aof-use-rdb-preamble", preamble],
                                 directory=directory)) as client:
        fill_every_type(client)
        expected = {key: snapshot(client, key) for key in KEYS}
        for key in KEYS:
            client.restore(key + ":copy", 100_000, client.dump(key))
        client.restore("past", 1, client.dump("string"), absttl=True)
        if preamble == "yes":
            client.bgrewriteaof()
            time.sleep(0.5)
        client.restore("after", 0, client.dump("hash"))
    with client_of(aof_server(directory)) as client:
        for key in KEYS:
            assert snapshot(client, key + ":copy") == expected[key]
            assert 90 < client.ttl(key + ":copy") <= 100
        assert client.exists("past") == 0
        assert client.hgetall("after") == {b"f": b"v", b"g": b"w"}
