"""Keyspace notifications against redis-server 7.0.15: the same commands on both
servers must publish the same __keyspace@/__keyevent@ messages, in the same order."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis

from tests.differential.test_strings_diff import (  # noqa: F401 (pair is a fixture)
    Command, exchange, pair,
)

pytestmark = pytest.mark.needs_redis_server

SCRIPTS: dict[str, list[Command]] = {
    "more-generic-and-stores": [
        ("SET", "k", "1"), ("EXPIRE", "k", -1), ("SET", "k2", "v"), ("PEXPIREAT", "k2", 1),
        ("SET", "k3", "v", "KEEPTTL"), ("SETEX", "k4", 100, "v"), ("GETSET", "k4", "x"),
        ("PSETEX", "k5", 1000, "v"), ("MSETNX", "m1", "1", "m2", "2"), ("LPUSH", "q", "b", "a"),
        ("SORT", "q", "ALPHA", "STORE", "qs"), ("SINTERSTORE", "none", "a1", "a2"),
        ("ZRANGESTORE", "zz", "nonez", 0, -1), ("HSETNX", "h", "f", "v"),
        ("BITOP", "AND", "dest", "nokey"), ("UNLINK", "k3"), ("SETBIT", "b", 1, 1),
        ("BITFIELD", "b", "SET", "u8", 0, 1), ("RENAMENX", "b", "c"), ("LMPOP", 1, "qs", "RIGHT", "COUNT", 5),
        ("ZADD", "z", 1, "a"), ("ZMPOP", 1, "z", "MIN"), ("EXPIRE", "q", 100, "NX"),
        ("SET", "q", "str", "GET"), ("DEL", "nokey", "q", "m1", "nokey2"),
        ("UNLINK", "m2", "nokey"), ("RPUSH", "e", "1"), ("LPOP", "e"), ("DEL", "e"),
        ("MULTI",), ("RPUSH", "t", "1"), ("DEL", "t", "u"), ("SET", "u", "1"), ("EXEC",),
    ],
    "strings-and-generic": [
        ("SET", "s", "1"), ("SET", "t", "v", "EX", 100), ("INCR", "s"), ("INCRBY", "s", 2),
        ("DECR", "s"), ("INCRBYFLOAT", "s", "1.5"), ("APPEND", "s", "x"), ("SETRANGE", "s", 0, "a"),
        ("MSET", "a", "1", "b", "2"), ("SETBIT", "bits", 3, 1), ("EXPIRE", "a", 100),
        ("PERSIST", "a"), ("RENAME", "a", "c"), ("COPY", "c", "d"), ("DEL", "c", "d"),
        ("GETDEL", "b"), ("GETEX", "s", "PX", 5000), ("GETEX", "s", "PERSIST"),
        ("MOVE", "s", 1), ("SET", "gone", "1", "PX", 1), ("SLEEP",), ("GET", "gone"),
    ],
    "lists": [
        ("RPUSH", "l", "a", "b", "c"), ("LPUSH", "l", "z"), ("LPOP", "l"), ("RPOP", "l"),
        ("LSET", "l", 0, "q"), ("LINSERT", "l", "BEFORE", "q", "p"), ("LREM", "l", 0, "p"),
        ("LMOVE", "l", "m", "LEFT", "RIGHT"), ("RPOPLPUSH", "m", "l"), ("LTRIM", "l", 1, 0),
        ("RPUSH", "x", "1"), ("LMPOP", 1, "x", "LEFT"),
    ],
    "sets-hashes-zsets": [
        ("SADD", "s", "a", "b"), ("SREM", "s", "a"), ("SPOP", "s"), ("SADD", "s", "x"),
        ("SMOVE", "s", "t", "x"), ("SUNIONSTORE", "u", "t"), ("SINTERSTORE", "u", "t", "none"),
        ("HSET", "h", "f", "v"), ("HINCRBY", "h", "n", 1), ("HINCRBYFLOAT", "h", "m", "1.5"),
        ("HDEL", "h", "f", "n", "m"), ("ZADD", "z", 1, "a", 2, "b"), ("ZINCRBY", "z", 1, "a"),
        ("ZADD", "z", "INCR", 1, "b"), ("ZREM", "z", "a"), ("ZPOPMIN", "z"),
        ("ZADD", "z", 1, "a", 2, "b", 3, "c"), ("ZREMRANGEBYRANK", "z", 0, 0),
        ("ZUNIONSTORE", "w", 1, "z"), ("ZRANGESTORE", "v", "z", 0, 0),
        ("ZREMRANGEBYSCORE", "z", "-inf", "inf"),
    ],
}


def _messages(port: int, script: list[Command], protocol: int,
              classes: str = "KEA") -> list[Any]:
    control = redis.Redis(port=port, protocol=2)
    control.config_set("notify-keyspace-events", classes)
    listener = redis.Connection(port=port, protocol=2, socket_timeout=5)
    try:
        listener.send_command("PSUBSCRIBE", "__key*__:*")
        listener.read_response()
        listener.send_command("SUBSCRIBE", "end")
        listener.read_response()
        # ("SLEEP",) splits the script: 50 ms pass there (a TTL runs out).
        start = 0
        for index, command in enumerate([*script, ("SLEEP",)]):
            if command == ("SLEEP",):
                exchange(port, script[start:index], protocol)
                time.sleep(0.05)
                start = index + 1
        control.publish("end", "x")  # after every notification of the script
        found: list[Any] = []
        while True:
            message = listener.read_response()
            if message[0] == b"message" and message[1] == b"end":
                return found
            found.append(message)
    finally:
        listener.disconnect()
        control.config_set("notify-keyspace-events", "")
        control.close()


@pytest.mark.parametrize("name", sorted(SCRIPTS))
@pytest.mark.parametrize("classes", ["KEA", "KEAn", "KEn$lgshz", "Elg", "Ks$x"])
def test_notifications_match_redis(pair: tuple[int, int], name: str,  # noqa: F811
                                   classes: str) -> None:
    ours = _messages(pair[0], SCRIPTS[name], 2, classes)
    theirs = _messages(pair[1], SCRIPTS[name], 2, classes)
    assert ours == theirs


@pytest.mark.parametrize("classes", ["KEAn", "AKEnm", "Anm", "gxn", "Kn", "KEA$lshzxetdgn", ""])
def test_config_get_spells_the_classes_as_redis(pair: tuple[int, int],  # noqa: F811
                                                classes: str) -> None:
    """Redis prints "A" and no "n" after it, though "n" still acts (KEAn above)."""
    shown = []
    for port in pair:
        client = redis.Redis(port=port, protocol=2)
        client.config_set("notify-keyspace-events", classes)
        shown.append(client.config_get("notify-keyspace-events"))
        client.config_set("notify-keyspace-events", "")
        client.close()
    assert shown[0] == shown[1]
