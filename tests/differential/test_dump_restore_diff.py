"""DUMP and RESTORE, EmberKV against the real redis-server 7.0.15.

- The same commands build every type in every encoding on both servers; DUMP must
  answer byte-identical payloads (LZF on and off).
- Payloads cross over: Redis's into EmberKV and EmberKV's into Redis, with REPLACE,
  a relative TTL and ABSTTL; the resulting value (compared as DUMP bytes, so its
  encoding too) and TTL must be the same.
- Errors and edge cases are compared as raw reply bytes, in RESP2 and RESP3.
- What each server appends to its AOF incr file for RESTORE must be the same commands.
"""

from __future__ import annotations

import glob
import os
import struct
import time
from typing import Iterator

import hiredis
import pytest
import redis

from persistence.rdb.crc64 import crc64
from persistence.rdb.reader import load_payload
from tests.servers import ServerProcess, started_pair
from tests.wire import exchange

pytestmark = pytest.mark.needs_redis_server


@pytest.fixture
def pair(
    ember: ServerProcess, real_redis: ServerProcess
) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    """(EmberKV client, redis-server client), both datasets flushed."""
    clients = (ember.client(), real_redis.client())
    for client in clients:
        client.flushall()
    yield clients
    for client in clients:
        client.config_set("rdbcompression", "yes")
        client.flushall()
        client.close()


def payload(body: bytes, version: int = 10, crc: int | None = None) -> bytes:
    """A DUMP payload around `body` (type byte and value), as createDumpPayload frames it."""
    framed = body + struct.pack("<H", version)
    return framed + struct.pack("<Q", crc64(0, framed) if crc is None else crc)


GOOD = payload(b"\x00\x02hi")

# Commands that leave one key per type and encoding, named after what DUMP writes.
BUILDERS: dict[str, list[tuple]] = {
    "string-int8": [("SET", "k", "12")],
    "string-int16": [("SET", "k", "-3000")],
    "string-int32": [("SET", "k", "2000000000")],
    "string-int64-as-text": [("SET", "k", "9000000000")],
    "string-raw-short": [("SET", "k", "hello")],
    "string-not-canonical-int": [("SET", "k", "007")],
    "string-lzf": [("SET", "k", "ab" * 200)],
    "string-incompressible": [("SET", "k", bytes(range(256)) * 2)],
    "string-appended": [("SET", "k", "x"), ("APPEND", "k", "y" * 70)],
    "string-empty": [("SET", "k", "")],
    "list-listpack": [("RPUSH", "k", "a", "1", "-70000", "b" * 100)],
    "list-quicklist": [("RPUSH", "k", *[f"element-{i}" * 3 for i in range(600)])],
    "list-lzf-node": [("RPUSH", "k", *(["same-value"] * 100))],
    "set-intset": [("SADD", "k", "1", "-5", "70000", "5000000000")],
    "set-hashtable": [("SADD", "k", "a", "b", "c")],
    "set-large-intset": [("SADD", "k", *range(600))],
    "hash-listpack": [("HSET", "k", "f", "v", "n", "12", "big", "-123456789012")],
    "hash-hashtable": [("HSET", "k", *[x for i in range(600) for x in (f"f{i}", i)])],
    "hash-long-value": [("HSET", "k", "f", "v" * 100)],
    "zset-listpack": [("ZADD", "k", "1", "a", "2.5", "b", "-inf", "c", "1e300", "d")],
    "zset-skiplist": [("ZADD", "k", *[x for i in range(200) for x in (i * 0.5, f"m{i}")])],
    "zset-long-member": [("ZADD", "k", "3", "m" * 100, "-0.25", "short")],
}


# Hash tables are written in dict order, which Redis seeds at random per process (the
# reason DUMP's tip is nondeterministic_output): their payloads are compared decoded.
UNORDERED = {"set-hashtable", "set-large-intset", "hash-hashtable"}


def contents(dumped: bytes) -> object:
    value = load_payload(dumped)
    return dict(value.items()) if hasattr(value, "items") else set(value)


def run(client: redis.Redis, commands: list[tuple]) -> None:
    for command in commands:
        client.execute_command(*command)


@pytest.mark.parametrize("compression", ["yes", "no"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_dump_payloads_are_byte_identical(
    pair: tuple[redis.Redis, redis.Redis], name: str, compression: str
) -> None:
    dumps = []
    for client in pair:
        client.config_set("rdbcompression", compression)
        run(client, BUILDERS[name])
        dumps.append(client.dump("k"))
    assert dumps[0] is not None
    if name in UNORDERED:
        assert dumps[0][0] == dumps[1][0] and len(dumps[0]) == len(dumps[1])
        assert contents(dumps[0]) == contents(dumps[1])
    else:
        assert dumps[0] == dumps[1]


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_payloads_restore_across_servers(
    pair: tuple[redis.Redis, redis.Redis], name: str
) -> None:
    ember, real = pair
    for source, target in ((real, ember), (ember, real)):
        source.flushall()
        target.flushall()
        run(source, BUILDERS[name])
        dumped = source.dump("k")
        target.set("k", "old")
        assert target.execute_command("RESTORE", "k", 60_000, dumped, "REPLACE") == b"OK"
        if name in UNORDERED:
            assert contents(target.dump("k")) == contents(dumped)
        else:
            assert target.dump("k") == dumped
        assert 59_000 < target.pttl("k") <= 60_000
        assert target.type("k") == source.type("k")
        assert target.object("encoding", "k") == source.object("encoding", "k")
        at_ms = int(time.time() * 1000) + 3_600_000
        assert target.execute_command("RESTORE", "k2", at_ms, dumped, "ABSTTL") == b"OK"
        assert target.execute_command("PEXPIRETIME", "k2") == at_ms
        assert target.dump("k2") == target.dump("k")


def test_restored_values_read_back_the_same(pair: tuple[redis.Redis, redis.Redis]) -> None:
    ember, real = pair
    real.rpush("list", *range(300))
    real.hset("hash", mapping={"a": "1", "b": "2"})
    real.zadd("zset", {"x": 1.5, "y": -2})
    real.sadd("set", "p", "q")
    for key in ("list", "hash", "zset", "set"):
        ember.restore(key, 0, real.dump(key))
    assert ember.lrange("list", 0, -1) == real.lrange("list", 0, -1)
    assert ember.hgetall("hash") == real.hgetall("hash")
    assert ember.zrange("zset", 0, -1, withscores=True) == real.zrange("zset", 0, -1,
                                                                      withscores=True)
    assert ember.smembers("set") == real.smembers("set")
    assert ember.ttl("list") == -1


ERROR_SCENARIOS: dict[str, list[tuple]] = {
    "payload-checks": [
        ("RESTORE", "k", 0, b"bad"), ("RESTORE", "k", 0, b""),
        ("RESTORE", "k", 0, payload(b"\x00\x02hi", crc=0)),
        ("RESTORE", "k", 0, payload(b"\x00\x02hi", version=11)),
        ("RESTORE", "k", 0, GOOD[:-1] + b"\x00"),
        ("RESTORE", "k", 0, b"\x0a\x00" + b"\x00" * 8),
    ],
    "bad-data": [
        ("RESTORE", "k", 0, payload(body)) for body in (
            b"\x08\x02hi", b"\x14\x02hi", b"\xff", b"\x06", b"\x00", b"", b"\x02\x00",
            b"\x02\x02\x01a\x01a", b"\x04\x00", b"\x05\x00", b"\x01\x00", b"\x12\x00",
            b"\x0b\x08\x02\x00\x00\x00\x00\x00\x00\x00", b"\x00\x40\x10abc")
    ],
    "order-of-checks": [
        ("SET", "exists", "x"),
        ("RESTORE", "exists", 0, b"bad"), ("RESTORE", "exists", -1, GOOD),
        ("RESTORE", "exists", "abc", GOOD), ("RESTORE", "exists", 0, GOOD, "FOO"),
        ("RESTORE", "exists", 0, GOOD, "IDLETIME", -1),
        ("RESTORE", "k", -1, b"bad"), ("RESTORE", "k", "abc", b"bad"),
        ("RESTORE", "k", 0, b"bad", "FREQ", 256),
    ],
    "options": [
        ("RESTORE", "k", 0, GOOD, "IDLETIME", -1), ("RESTORE", "k", 0, GOOD, "IDLETIME", "x"),
        ("RESTORE", "k", 0, GOOD, "FREQ", 256), ("RESTORE", "k", 0, GOOD, "FREQ", -1),
        ("RESTORE", "k", 0, GOOD, "FREQ", "x"), ("RESTORE", "k", 0, GOOD, "IDLETIME"),
        ("RESTORE", "k", 0, GOOD, "IDLETIME", 1, "FREQ", 1),
        ("RESTORE", "k", 0, GOOD, "FREQ", 1, "IDLETIME", 1),
        ("RESTORE", "k", 0, GOOD, "REPLACE", "NOPE"),
        ("RESTORE", "k", 0, GOOD, "replace", "absttl", "idletime", 0, "REPLACE"),
        ("GET", "k"), ("TTL", "k"),
        ("RESTORE", "k", 0, GOOD, "FREQ", 255, "REPLACE"), ("GET", "k"),
        ("RESTORE", "k", 0, GOOD, "absttl"),
    ],
    "footer-quirks": [
        # Redis reads the value from the whole payload: bytes after it are ignored, and a
        # value running into the footer is read from it.
        ("RESTORE", "a", 0, payload(b"\x00\x02hiXYZ")), ("GET", "a"),
        ("RESTORE", "b", 0, payload(b"\x00\x02h")), ("GET", "b"),
        ("RESTORE", "c", 0, payload(b"\x00\x02hi", version=9)), ("GET", "c"),
    ],
    "ttl-in-the-past": [
        ("SET", "old", "x"),
        ("RESTORE", "new", 1, GOOD, "ABSTTL"), ("EXISTS", "new"),
        ("RESTORE", "old", 1, GOOD, "ABSTTL", "REPLACE"), ("EXISTS", "old"),
        ("RESTORE", "wraps", 9223372036854775807, GOOD), ("EXISTS", "wraps"),
        ("RESTORE", "far", 9223372036854775806, GOOD, "ABSTTL"),
        ("PEXPIRETIME", "far"), ("GET", "far"),
    ],
    "dump": [
        ("DUMP", "missing"), ("SET", "s", "1"), ("DUMP", "s"), ("HSET", "h", "f", "v"),
        ("DUMP", "h"), ("SET", "k", "v"), ("RESTORE", "k", 0, GOOD), ("DUMP", "k", "extra"),
        ("RESTORE", "k", 0),
    ],
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", sorted(ERROR_SCENARIOS))
def test_replies_are_byte_identical(
    pair: tuple[redis.Redis, redis.Redis], name: str, protocol: int
) -> None:
    ember, real = (exchange(int(client.connection_pool.connection_kwargs["port"]),
                            ERROR_SCENARIOS[name], protocol) for client in pair)
    assert ember == real


def test_restore_notifications_match(pair: tuple[redis.Redis, redis.Redis]) -> None:
    seen = []
    for client in pair:
        client.config_set("notify-keyspace-events", "KEA")
        subscriber = client.pubsub()
        subscriber.psubscribe("__key*__:*", "marker")
        client.set("old", "x")
        client.restore("old", 0, GOOD, replace=True)
        client.restore("new", 5000, GOOD)
        client.restore("old", 1, GOOD, replace=True, absttl=True)
        client.restore("gone", 1, GOOD, absttl=True)
        client.publish("marker", "end")
        messages = []
        while True:
            message = subscriber.get_message(timeout=2)
            assert message is not None, "no marker"
            if message["type"] != "pmessage":
                continue
            if message["channel"] == b"marker":
                break
            messages.append((message["channel"], message["data"]))
        seen.append(messages)
        subscriber.close()
        client.config_set("notify-keyspace-events", "")
    assert seen[0] == seen[1]
    assert (b"__keyevent@0__:restore", b"new") in seen[0]


def incr_commands(directory: str) -> list[list[bytes]]:
    reader = hiredis.Reader()
    for path in sorted(glob.glob(os.path.join(directory, "appendonlydir", "*.incr.aof"))):
        with open(path, "rb") as stream:
            reader.feed(stream.read())
    commands = []
    while (command := reader.gets()) is not False:
        commands.append(command)
    return commands


def test_restore_is_logged_to_the_aof_as_redis_logs_it() -> None:
    """A relative TTL becomes its deadline plus ABSTTL; a deadline already past logs
    nothing, or DEL when REPLACE removed a key."""
    with started_pair(["--appendonly", "yes", "--appendfsync", "always"]) as servers:
        logged = []
        for server in servers:
            client = server.client()
            client.set("old", "x")
            before_ms = int(time.time() * 1000)
            client.execute_command("RESTORE", "rel", 60_000, GOOD, "replace", "IDLETIME", 5)
            after_ms = int(time.time() * 1000)
            client.execute_command("RESTORE", "abs", 4_000_000_000_000, GOOD, "ABSTTL")
            client.execute_command("RESTORE", "none", 0, GOOD)
            client.execute_command("RESTORE", "past", 1, GOOD, "ABSTTL")
            client.execute_command("RESTORE", "old", 1, GOOD, "ABSTTL", "REPLACE")
            client.close()
            commands = incr_commands(server.dir)
            relative = next(c for c in commands if c[:2] == [b"RESTORE", b"rel"])
            assert before_ms + 60_000 <= int(relative[2]) <= after_ms + 60_000
            relative[2] = b"<deadline>"
            logged.append(commands)
        assert logged[0] == logged[1]
        assert [b"RESTORE", b"rel", b"<deadline>", GOOD, b"replace", b"IDLETIME", b"5",
                b"ABSTTL"] in logged[0]
        assert [b"DEL", b"old"] in logged[0]
        assert not any(c[:2] == [b"RESTORE", b"past"] for c in logged[0])
