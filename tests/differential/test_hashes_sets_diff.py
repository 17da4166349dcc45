"""Hash and set commands, EmberKV against the real redis-server 7.0.15.

Scenarios run from an empty dataset on both servers over raw sockets; every reply must
be byte-for-byte the same in RESP2 and RESP3, errors included. Small hashes (listpack)
and sets (intset) list their elements in an order Redis defines (insertion order,
sorted integers), so those replies are compared exactly too. Two markers relax the
comparison where Redis itself promises nothing:
  ("~", ...)  a hash table's order: same reply type, same elements in any order;
  ("?", ...)  a random choice: same reply type and the same number of elements.
The counters test compares keyspace hits/misses and the change counter, the AOF test
the logged forms, and a hypothesis test random sequences over a small key space.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.differential.test_strings_diff import (  # noqa: F401 (pair is a fixture)
    Command, counters, exchange, pair,
)
from tests.persistence.helpers import logged_by_both
from tests.wire import parsed, reply_to

pytestmark = pytest.mark.needs_redis_server

LONG_MIN = "-9223372036854775808"
LONG_MAX = "9223372036854775807"
LONG_VALUE = "v" * 65  # one byte past hash-max-listpack-value

UNORDERED, RANDOM = "~", "?"


def _canonical(value: Any) -> Any:
    if isinstance(value, Exception):
        return f"error: {value}"
    if isinstance(value, dict):
        return sorted((repr(k), _canonical(v)) for k, v in value.items())
    if isinstance(value, list):
        return sorted(repr(_canonical(item)) for item in value)
    return value


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (list, dict)) else -1


def split_markers(commands: list[Command]) -> tuple[list[Command], list[str]]:
    plain, marks = [], []
    for command in commands:
        if command and command[0] in (UNORDERED, RANDOM):
            plain.append(command[1:])
            marks.append(str(command[0]))
        else:
            plain.append(command)
            marks.append("")
    return plain, marks


def replies_differ(mark: str, mine: bytes, real: bytes) -> bool:
    if mark == "":
        return mine != real
    if mine[:1] != real[:1]:
        return True
    if mark == UNORDERED:
        return _canonical(parsed(mine)) != _canonical(parsed(real))
    return _size(parsed(mine)) != _size(parsed(real))


def assert_same_replies(ports: tuple[int, int], commands: list[Command], protocol: int) -> None:
    plain, marks = split_markers(commands)
    ours = exchange(ports[0], plain, protocol)
    theirs = exchange(ports[1], plain, protocol)
    mismatches = [
        f"{command!r}: EmberKV {mine!r} != Redis {real!r}"
        for command, mark, mine, real in zip(plain, marks, ours, theirs)
        if replies_differ(mark, mine, real)
    ]
    assert not mismatches, "\n".join(mismatches[:20])


HASH_SCENARIOS: dict[str, list[Command]] = {
    "hset-hget-basics": [
        ("HSET", "h", "a", "1"), ("HSET", "h", "b", "2", "c", "3", "a", "9"), ("HGET", "h", "a"),
        ("HGET", "h", "zz"), ("HGET", "missing", "a"), ("HGETALL", "h"), ("HKEYS", "h"),
        ("HVALS", "h"), ("HLEN", "h"), ("HLEN", "missing"), ("HMGET", "h", "a", "zz", "c"),
        ("HMGET", "missing", "a", "b"), ("HEXISTS", "h", "a"), ("HEXISTS", "h", "zz"),
        ("HEXISTS", "missing", "a"), ("HSTRLEN", "h", "a"), ("HSTRLEN", "h", "zz"),
        ("HSTRLEN", "missing", "a"), ("HSET", "h"), ("HSET", "h", "a"), ("HSET", "h", "a", 1, "b"),
        ("HMSET", "h", "d", "4", "e", "5"), ("HMSET", "h", "d"), ("HMSET", "h", "d", 1, "e"),
        ("HGETALL", "h"), ("HGETALL", "missing"), ("HKEYS", "missing"), ("HVALS", "missing"),
        ("HSET", "bin", b"\x00\r\n", b"\xff\x00"), ("HGETALL", "bin"), ("HSET", "e", "", ""),
        ("HGETALL", "e"), ("TYPE", "h"), ("OBJECT", "ENCODING", "h"),
    ],
    "hsetnx-hdel": [
        ("HSETNX", "h", "a", "1"), ("HSETNX", "h", "a", "2"), ("HGET", "h", "a"),
        ("HSETNX", "h", "b", "2"), ("HDEL", "h", "a", "zz", "a"), ("HDEL", "missing", "a"),
        ("HGETALL", "h"), ("HDEL", "h", "b"), ("EXISTS", "h"), ("HDEL", "h"),
        ("HSETNX", "h", "a"), ("HSET", "h", "x", 1, "y", 2, "z", 3), ("HDEL", "h", "y"),
        ("HSET", "h", "y", 4), ("HGETALL", "h"), ("HSETNX", "h", "x", LONG_VALUE),
        ("OBJECT", "ENCODING", "h"), ("HSETNX", "h", "w", LONG_VALUE), ("OBJECT", "ENCODING", "h"),
    ],
    "hincrby": [
        ("HINCRBY", "h", "n", 5), ("HINCRBY", "h", "n", -7), ("HGET", "h", "n"),
        ("HINCRBY", "h", "n", "x"), ("HINCRBY", "h", "n", "1.5"), ("HSET", "h", "s", "abc"),
        ("HINCRBY", "h", "s", 1), ("HSET", "h", "big", LONG_MAX), ("HINCRBY", "h", "big", 1),
        ("HINCRBY", "h", "big", 0), ("HSET", "h", "small", LONG_MIN),
        ("HINCRBY", "h", "small", -1), ("HINCRBY", "h", "new", LONG_MIN), ("HSET", "h", "sp", " 1"),
        ("HINCRBY", "h", "sp", 1), ("HSET", "h", "lead", "01"), ("HINCRBY", "h", "lead", 1),
        ("HINCRBY", "h", "n"), ("HGETALL", "h"), ("HINCRBY", "missing", "f", "x"), ("EXISTS", "missing"),
    ],
    "hincrbyfloat": [
        ("HINCRBYFLOAT", "h", "f", "1.5"), ("HINCRBYFLOAT", "h", "f", "0.1"),
        ("HINCRBYFLOAT", "h", "f", "-1.6"), ("HINCRBYFLOAT", "h", "f", "1e400"),
        ("HINCRBYFLOAT", "h", "f", "inf"), ("HINCRBYFLOAT", "h", "f", "-inf"),
        ("HINCRBYFLOAT", "h", "f", "nan"), ("HINCRBYFLOAT", "h", "f", "abc"),
        ("HINCRBYFLOAT", "h", "f", ""), ("HINCRBYFLOAT", "h", "g", "3.0e3"),
        ("HINCRBYFLOAT", "h", "g", "0x10"), ("HSET", "h", "s", "x"), ("HINCRBYFLOAT", "h", "s", 1),
        ("HSET", "h", "i", "inf"), ("HINCRBYFLOAT", "h", "i", 1), ("HINCRBYFLOAT", "h", "n", "5"),
        ("HINCRBYFLOAT", "h", "n", "-5"), (UNORDERED, "HGETALL", "h"), ("OBJECT", "ENCODING", "h"),
        ("HINCRBYFLOAT", "missing", "f", "x"), ("EXISTS", "missing"),
    ],
    "hrandfield": [
        ("HRANDFIELD", "missing"), ("HRANDFIELD", "missing", 3), ("HRANDFIELD", "missing", -3),
        ("HRANDFIELD", "missing", 3, "WITHVALUES"), ("HSET", "one", "a", "1"),
        ("HRANDFIELD", "one"), ("HRANDFIELD", "one", 1), ("HRANDFIELD", "one", -3),
        ("HRANDFIELD", "one", -2, "WITHVALUES"), ("HRANDFIELD", "one", 5, "withvalues"),
        ("HSET", "h", "a", 1, "b", 2, "c", 3), ("HRANDFIELD", "h", 3), ("HRANDFIELD", "h", 10),
        ("HRANDFIELD", "h", 10, "WITHVALUES"), ("HRANDFIELD", "h", 0),
        ("HRANDFIELD", "h", 0, "WITHVALUES"), (RANDOM, "HRANDFIELD", "h", 2),
        (RANDOM, "HRANDFIELD", "h", -5), (RANDOM, "HRANDFIELD", "h", -5, "WITHVALUES"),
        (RANDOM, "HRANDFIELD", "h", 2, "WITHVALUES"), ("HRANDFIELD", "h", "x"),
        ("HRANDFIELD", "h", "1.5"), ("HRANDFIELD", "h", 1, "WITHVALUE"),
        ("HRANDFIELD", "h", 1, "WITHVALUES", "x"), ("HRANDFIELD", "h", LONG_MIN),
        ("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"),
        ("HRANDFIELD", "missing", "x"), ("HRANDFIELD", "missing", 1, "x"),
    ],
    "hscan-small": [
        ("HSCAN", "missing", 0), ("HSCAN", "missing", 0, "NOVALUES"), ("HSCAN", "missing", "x"),
        ("HSET", "h", "a", 1, "b", 2, "ab", 3), ("HSCAN", "h", 0), ("HSCAN", "h", 0, "MATCH", "a*"),
        ("HSCAN", "h", 0, "COUNT", 1), ("HSCAN", "h", 0, "COUNT", 0), ("HSCAN", "h", 0, "COUNT", "x"),
        ("HSCAN", "h", 0, "MATCH"), ("HSCAN", "h", 0, "TYPE", "string"), ("HSCAN", "h", "-1"),
        ("HSCAN", "h", "abc"), ("HSCAN", "h", 0, "match", "*", "count", 100),
    ],
    "hash-encodings": [
        ("HSET", "h", "a", "x" * 64), ("OBJECT", "ENCODING", "h"), ("HSET", "h", "b", LONG_VALUE),
        ("OBJECT", "ENCODING", "h"), ("HDEL", "h", "b"), ("OBJECT", "ENCODING", "h"),
        ("HSET", "k", LONG_VALUE, 1), ("OBJECT", "ENCODING", "k"), ("HDEL", "k", LONG_VALUE),
        ("HSET", "k", "a", 1), ("OBJECT", "ENCODING", "k"),
        ("CONFIG", "SET", "hash-max-listpack-entries", 2), ("HSET", "e", "a", 1, "b", 2),
        ("OBJECT", "ENCODING", "e"), ("HSET", "e", "c", 3), ("OBJECT", "ENCODING", "e"),
        ("HSET", "f", "a", 1, "b", 2, "c", 3), ("OBJECT", "ENCODING", "f"),
        ("CONFIG", "SET", "hash-max-ziplist-entries", 512),
        ("CONFIG", "SET", "hash-max-ziplist-value", 3), ("HSET", "g", "abc", "abc"),
        ("OBJECT", "ENCODING", "g"), ("HINCRBY", "g", "n", 12345), ("OBJECT", "ENCODING", "g"),
        ("CONFIG", "SET", "hash-max-listpack-value", 64),
        ("CONFIG", "SET", "hash-max-listpack-entries", 0), ("HSET", "z", "a", 1),
        ("OBJECT", "ENCODING", "z"), ("CONFIG", "SET", "hash-max-listpack-entries", 512),
        ("COPY", "h", "hcopy"), ("OBJECT", "ENCODING", "hcopy"), ("HGETALL", "hcopy"),
    ],
    "hash-wrongtype": [
        ("SET", "s", "v"), ("HSET", "s", "a", 1), ("HMSET", "s", "a", 1), ("HSETNX", "s", "a", 1),
        ("HGET", "s", "a"), ("HMGET", "s", "a"), ("HDEL", "s", "a"), ("HLEN", "s"),
        ("HEXISTS", "s", "a"), ("HSTRLEN", "s", "a"), ("HGETALL", "s"), ("HKEYS", "s"),
        ("HVALS", "s"), ("HINCRBY", "s", "a", 1), ("HINCRBY", "s", "a", "x"),
        ("HINCRBYFLOAT", "s", "a", 1), ("HINCRBYFLOAT", "s", "a", "x"), ("HRANDFIELD", "s"),
        ("HRANDFIELD", "s", 1), ("HRANDFIELD", "s", "x"), ("HSCAN", "s", 0), ("HSCAN", "s", "x"),
        ("HSET", "h", "a", 1), ("GET", "h"), ("SADD", "h", "a"), ("TYPE", "h"),
        ("SCAN", 0, "TYPE", "hash"),
    ],
}

SET_SCENARIOS: dict[str, list[Command]] = {
    "sadd-srem-basics": [
        ("SADD", "s", "a", "b", "a"), ("SADD", "s", "b"), ("SCARD", "s"), ("SCARD", "missing"),
        ("SISMEMBER", "s", "a"), ("SISMEMBER", "s", "z"), ("SISMEMBER", "missing", "a"),
        ("SMISMEMBER", "s", "a", "z", "b"), ("SMISMEMBER", "missing", "a"),
        (UNORDERED, "SMEMBERS", "s"), ("SMEMBERS", "missing"), ("SREM", "s", "a", "z", "a"),
        ("SREM", "missing", "a"), ("SREM", "s", "b"), ("EXISTS", "s"), ("SADD", "s"),
        ("SREM", "s"), ("SADD", "bin", b"\x00\r\n"), ("SMEMBERS", "bin"), ("SADD", "e", ""),
        ("SMEMBERS", "e"), ("TYPE", "e"), ("OBJECT", "ENCODING", "e"),
    ],
    "intsets": [
        ("SADD", "i", 5, 3, 10, -1, 3), ("SMEMBERS", "i"), ("OBJECT", "ENCODING", "i"),
        ("SADD", "i", LONG_MAX, LONG_MIN), ("SMEMBERS", "i"), ("OBJECT", "ENCODING", "i"),
        ("SSCAN", "i", 0), ("SSCAN", "i", 0, "MATCH", "1*"), ("SRANDMEMBER", "i", 100),
        ("SADD", "j", "-0"), ("OBJECT", "ENCODING", "j"), ("SADD", "k", "01"),
        ("OBJECT", "ENCODING", "k"), ("SADD", "l", "+1"), ("OBJECT", "ENCODING", "l"),
        ("SADD", "m", "9223372036854775808"), ("OBJECT", "ENCODING", "m"),
        ("SADD", "n", 1, "a"), ("SREM", "n", "a"), ("OBJECT", "ENCODING", "n"),
        ("CONFIG", "SET", "set-max-intset-entries", 2), ("SADD", "o", 1, 2),
        ("OBJECT", "ENCODING", "o"), ("SADD", "o", 3), ("OBJECT", "ENCODING", "o"),
        ("SADD", "p", 1, 2, 3), ("OBJECT", "ENCODING", "p"),
        ("CONFIG", "SET", "set-max-intset-entries", 512), ("COPY", "i", "icopy"),
        ("OBJECT", "ENCODING", "icopy"), ("SMEMBERS", "icopy"),
    ],
    "set-operations-on-intsets": [
        ("SADD", "a", 1, 2, 3, 4, 5), ("SADD", "b", 4, 5, 6), ("SADD", "c", 5, 6, 7, 8, 9, 10),
        ("SINTER", "a", "b"), ("SINTER", "a", "b", "c"), ("SUNION", "a", "b"),
        ("SUNION", "a", "missing"), ("SDIFF", "a", "b"), ("SDIFF", "a", "b", "c"),
        ("SDIFF", "a", "a"), ("SDIFF", "missing", "a"), ("SINTER", "a", "missing"),
        ("SINTERSTORE", "d", "a", "b"), ("SMEMBERS", "d"), ("OBJECT", "ENCODING", "d"),
        ("SUNIONSTORE", "d", "a", "c"), ("SMEMBERS", "d"), ("SDIFFSTORE", "d", "c", "a"),
        ("SMEMBERS", "d"), ("SINTERSTORE", "d", "a", "missing"), ("EXISTS", "d"),
        ("SUNIONSTORE", "d", "missing"), ("SDIFFSTORE", "d", "a", "a"), ("EXISTS", "d"),
        ("SINTERCARD", 2, "a", "b"), ("SINTERCARD", 3, "a", "b", "c"),
        ("SINTERCARD", 1, "a", "LIMIT", 2), ("SINTERCARD", 1, "a", "LIMIT", 0),
        ("SINTERCARD", 2, "a", "missing"), ("SINTERCARD", 1, "a", "limit", 1, "LIMIT", 3),
        ("SET", "str", "x"), ("SINTERSTORE", "str", "a"), ("TYPE", "str"),
        ("EXPIRE", "str", 100), ("SUNIONSTORE", "str", "b"), ("TTL", "str"),
    ],
    "set-operations-on-hashtables": [
        ("SADD", "a", "x", "y", "z", 1), ("SADD", "b", "y", "z", "w"), ("SADD", "c", 1, 2),
        (UNORDERED, "SINTER", "a", "b"), (UNORDERED, "SUNION", "a", "b", "c"),
        (UNORDERED, "SDIFF", "a", "b"), ("SINTER", "a", "c"), ("SDIFF", "c", "a"),
        ("SINTERSTORE", "d", "a", "c"), ("OBJECT", "ENCODING", "d"),
        ("SDIFFSTORE", "d", "a", "b"), ("OBJECT", "ENCODING", "d"), (UNORDERED, "SMEMBERS", "d"),
        ("SADD", "big", *range(20)), ("SADD", "big", "q"), ("SDIFFSTORE", "e", "big", "a"),
        ("OBJECT", "ENCODING", "e"), ("SDIFFSTORE", "e", "big", "a", "b", "c"),
        ("OBJECT", "ENCODING", "e"), ("SREM", "big", "q"), ("SDIFFSTORE", "f", "big", "c"),
        ("OBJECT", "ENCODING", "f"), ("SMEMBERS", "f"), ("SUNIONSTORE", "g", "big"),
        ("OBJECT", "ENCODING", "g"), ("SMEMBERS", "g"),
    ],
    "sintercard-errors": [
        ("SADD", "a", 1), ("SINTERCARD", 0, "a"), ("SINTERCARD", -1, "a"), ("SINTERCARD", "x", "a"),
        ("SINTERCARD", 2, "a"), ("SINTERCARD", 1, "a", "LIMIT", -1),
        ("SINTERCARD", 1, "a", "LIMIT", "x"), ("SINTERCARD", 1, "a", "LIMIT"),
        ("SINTERCARD", 1, "a", "FOO", 3), ("SINTERCARD", 1), ("SINTERCARD", LONG_MAX, "a"),
    ],
    "spop-srandmember": [
        ("SPOP", "missing"), ("SPOP", "missing", 3), ("SPOP", "missing", 0),
        ("SRANDMEMBER", "missing"), ("SRANDMEMBER", "missing", 3), ("SRANDMEMBER", "missing", -3),
        ("SADD", "one", "a"), ("SRANDMEMBER", "one"), ("SRANDMEMBER", "one", -3),
        ("SRANDMEMBER", "one", 1), ("SPOP", "one"), ("EXISTS", "one"), ("SADD", "s", 3, 1, 2),
        ("SRANDMEMBER", "s", 3), ("SRANDMEMBER", "s", 10), ("SRANDMEMBER", "s", 0),
        (RANDOM, "SRANDMEMBER", "s", 2), (RANDOM, "SRANDMEMBER", "s", -7), (RANDOM, "SRANDMEMBER", "s"),
        ("SPOP", "s", 0), ("SPOP", "s", -1), ("SPOP", "s", "x"), ("SPOP", "s", 1, 2),
        ("SRANDMEMBER", "s", 1, 2), ("SRANDMEMBER", "s", LONG_MIN), ("SRANDMEMBER", "s", "x"),
        ("SPOP", "s", 3), ("EXISTS", "s"), ("SADD", "t", "b", "a"), (UNORDERED, "SPOP", "t", 5),
        ("SADD", "u", 5, 7), ("SPOP", "u", 2), ("SPOP", "missing", -1),
        # A hash table of integers only: what SUNION and SPOP-all build is an intset.
        ("SADD", "w", 30, 1, 200, "a"), ("SREM", "w", "a"), ("OBJECT", "ENCODING", "w"),
        ("SUNION", "w"), ("SDIFF", "w", "missing"), (UNORDERED, "SINTER", "w"), ("SPOP", "w", 5),
    ],
    "smove": [
        ("SADD", "a", "x", "y"), ("SMOVE", "a", "b", "x"), ("SMEMBERS", "b"), ("SMOVE", "a", "b", "zz"),
        ("SMOVE", "a", "b", "y"), ("EXISTS", "a"), ("SMOVE", "missing", "b", "x"),
        ("SMOVE", "b", "b", "x"), ("SMOVE", "b", "b", "zz"), ("SET", "str", "v"),
        ("SMOVE", "missing", "str", "x"), ("SMOVE", "b", "str", "x"), ("SMOVE", "b", "str", "zz"),
        ("SMOVE", "str", "b", "x"), ("SADD", "n", 1, 2), ("SMOVE", "n", "m", 1),
        ("OBJECT", "ENCODING", "m"), ("SADD", "m", 2), ("SMOVE", "n", "m", 2), ("SMEMBERS", "m"),
    ],
    "sscan-small": [
        ("SSCAN", "missing", 0), ("SSCAN", "missing", 0, "BAD"), ("SSCAN", "missing", "x"),
        ("SADD", "i", 3, 1, 2, 11), ("SSCAN", "i", 0, "COUNT", 1), ("SSCAN", "i", 0, "MATCH", "1*"),
        ("SSCAN", "i", 0, "COUNT", 0), ("SSCAN", "i", 0, "TYPE", "set"), ("SSCAN", "i", 0, "MATCH"),
    ],
    "set-wrongtype": [
        ("SET", "str", "v"), ("SADD", "str", "a"), ("SREM", "str", "a"), ("SMEMBERS", "str"),
        ("SISMEMBER", "str", "a"), ("SMISMEMBER", "str", "a"), ("SCARD", "str"), ("SPOP", "str"),
        ("SPOP", "str", 2), ("SPOP", "str", -1), ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", 2),
        ("SINTER", "str"), ("SINTER", "missing", "str"), ("SUNION", "missing", "str"),
        ("SDIFF", "missing", "str"), ("SINTERCARD", 2, "missing", "str"),
        ("SINTERSTORE", "d", "missing", "str"), ("SUNIONSTORE", "d", "str"),
        ("SDIFFSTORE", "d", "str"), ("SSCAN", "str", 0), ("SADD", "s", 1), ("HGET", "s", "a"),
        ("TYPE", "s"), ("SCAN", 0, "TYPE", "set"), ("RENAME", "s", "r"), ("SMEMBERS", "r"),
    ],
}

SCENARIOS = {**HASH_SCENARIOS, **SET_SCENARIOS}


@pytest.fixture
def restore_encoding_config(pair: tuple[int, int]) -> Any:  # noqa: F811
    yield pair
    for port in pair:
        exchange(port, [("CONFIG", "SET", "hash-max-listpack-entries", 512),
                        ("CONFIG", "SET", "hash-max-listpack-value", 64),
                        ("CONFIG", "SET", "set-max-intset-entries", 512)], protocol=2)


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_hash_and_set_scenario_replies_match_redis(restore_encoding_config: tuple[int, int],
                                                   name: str, protocol: int) -> None:
    assert_same_replies(restore_encoding_config, SCENARIOS[name], protocol)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_hash_and_set_hits_misses_and_changes_match_redis(
        restore_encoding_config: tuple[int, int], name: str) -> None:
    commands, _ = split_markers(SCENARIOS[name])
    pair_ports = restore_encoding_config
    assert counters(pair_ports[0], commands) == counters(pair_ports[1], commands)


def full_scan(port: int, command: str, key: str, *options: object) -> list[Any]:
    """Every element a complete HSCAN/SSCAN iteration returns, and its call count."""
    found: list[Any] = []
    cursor = b"0"
    while True:
        cursor, items = reply_to(port, command, key, cursor, *options)
        found.extend(items)
        if cursor == b"0":
            return found


def test_large_collections_match_redis(pair: tuple[int, int]) -> None:  # noqa: F811
    """Past the small encodings: hash tables on both servers, compared as sets, and the
    encodings and counts, SCAN iterations and set algebra over a thousand elements."""
    fields = [f"f{i}" for i in range(1000)]
    members = [f"m{i}" for i in range(1500)]
    numbers = list(range(0, 3000, 2))
    setup: list[Command] = []
    for start in range(0, 1000, 250):
        setup.append(("HSET", "h", *[x for f in fields[start:start + 250] for x in (f, f[::-1])]))
    setup += [("SADD", "s", *members), ("SADD", "n", *numbers), ("SADD", "n2", *range(0, 3000, 3))]
    checks: list[Command] = [
        ("OBJECT", "ENCODING", "h"), ("OBJECT", "ENCODING", "s"), ("OBJECT", "ENCODING", "n"),
        ("HLEN", "h"), ("SCARD", "s"), (UNORDERED, "HGETALL", "h"), (UNORDERED, "HKEYS", "h"),
        (UNORDERED, "SMEMBERS", "s"), (UNORDERED, "SINTER", "n", "n2"),
        (UNORDERED, "SUNION", "n", "n2"), (UNORDERED, "SDIFF", "n", "n2"),
        ("SINTERCARD", 2, "n", "n2"), ("SINTERCARD", 2, "n", "n2", "LIMIT", 10),
        ("SINTERSTORE", "d", "n", "n2"), ("OBJECT", "ENCODING", "d"),
        ("SDIFFSTORE", "d", "n", "n2"), ("OBJECT", "ENCODING", "d"), (RANDOM, "SPOP", "s", 10),
        ("SCARD", "s"), (RANDOM, "HRANDFIELD", "h", 30, "WITHVALUES"),
        (RANDOM, "SRANDMEMBER", "n", 300), (RANDOM, "SRANDMEMBER", "n", 1400),
    ]
    for protocol in (2, 3):
        for port in pair:
            exchange(port, [("FLUSHALL",), *setup], 2)
        ours = full_scan(pair[0], "HSCAN", "h", "COUNT", 7)
        theirs = full_scan(pair[1], "HSCAN", "h", "COUNT", 7)
        assert dict(zip(ours[::2], ours[1::2])) == dict(zip(theirs[::2], theirs[1::2]))
        assert len(ours) == 2000
        assert sorted(full_scan(pair[0], "SSCAN", "n", "MATCH", "1*")) == sorted(
            full_scan(pair[1], "SSCAN", "n", "MATCH", "1*"))
        assert_same_replies(pair, checks, protocol)


def test_spop_encodings_follow_redis_strategies(pair: tuple[int, int]) -> None:  # noqa: F811
    """SPOP of most of a set moves what remains to a new set, which may be an intset
    again; SPOP of a few leaves the hash table as it was."""
    script: list[Command] = [
        ("SADD", "a", *range(600)), ("OBJECT", "ENCODING", "a"), (RANDOM, "SPOP", "a", 450),
        ("SCARD", "a"), ("OBJECT", "ENCODING", "a"), ("SADD", "b", *range(600)),
        (RANDOM, "SPOP", "b", 500), ("SCARD", "b"), ("OBJECT", "ENCODING", "b"),
        ("SADD", "c", *range(600)), ("EXPIRE", "c", 1000), (RANDOM, "SPOP", "c", 590),
        ("TTL", "c"), ("OBJECT", "ENCODING", "c"),
    ]
    assert_same_replies(pair, script, protocol=2)


def test_logged_hash_and_set_commands_match_redis_aof() -> None:
    """What reaches the AOF: as sent, except HINCRBYFLOAT as HSET with the result, SPOP
    as SREM (or DEL when it takes everything); nothing for commands that changed
    nothing."""
    script: list[Command] = [
        ("HSET", "h", "a", 1, "b", 2), ("HSET", "h", "a", 1), ("HSETNX", "h", "a", 5),
        ("HSETNX", "h", "c", 5), ("HMSET", "h", "d", 4), ("HDEL", "h", "zz"), ("HDEL", "h", "d"),
        ("HINCRBY", "h", "a", 10), ("HINCRBYFLOAT", "h", "f", "1.10"),
        ("HINCRBYFLOAT", "h", "f", "2e1"), ("HINCRBYFLOAT", "h", "s", "x"), ("HGET", "h", "a"),
        ("SADD", "s", "a", "b"), ("SADD", "s", "a"), ("SREM", "s", "zz"), ("SREM", "s", "b"),
        ("SPOP", "s"), ("SPOP", "s"), ("SADD", "t", 1, 2, 3), ("SPOP", "t", 5), ("SPOP", "t", 1),
        ("SADD", "u", "x"), ("SMOVE", "u", "v", "x"), ("SMOVE", "v", "v", "x"),
        ("SMOVE", "v", "w", "zz"), ("SADD", "p", 1, 2), ("SADD", "q", 2, 3),
        ("SINTERSTORE", "r", "p", "q"), ("SUNIONSTORE", "r", "p", "q"), ("SDIFFSTORE", "r", "p", "q"),
        ("SINTERSTORE", "r", "p", "nokey"), ("SINTERSTORE", "r", "p", "nokey"),
        ("SDIFFSTORE", "nothing", "p", "p"), ("HDEL", "h", "a", "b", "c", "f"),
    ]
    logs = logged_by_both(script)
    # Redis 7.0 wraps a multi-member SPOP's SREMs in MULTI/EXEC; a single SREM (the
    # only case in this script) is written bare by both.
    assert [line.lower() for line in logs[0]] == [line.lower() for line in logs[1]]
    assert "HSET h f 21.1" in logs[0] and "DEL t" in logs[0]


# ------------------------------------------------------------------ random sequences

KEYS = st.sampled_from(["a", "b", "str"])  # "str" is set to a string first, for WRONGTYPE
MEMBERS = st.sampled_from(["x", "y", "1", "2", "-3", ""])
VALUES = st.sampled_from(["1", "-2", "x", "1.5", "10"])
HASH_COMMANDS = st.one_of(
    st.tuples(st.sampled_from(["HSET", "HMSET"]), KEYS, MEMBERS, VALUES),
    st.tuples(st.just("HSET"), KEYS, MEMBERS, VALUES, MEMBERS, VALUES),
    st.tuples(st.just("HSETNX"), KEYS, MEMBERS, VALUES),
    st.tuples(st.sampled_from(["HGET", "HEXISTS", "HSTRLEN"]), KEYS, MEMBERS),
    st.tuples(st.sampled_from(["HDEL", "HMGET"]), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.sampled_from(["HLEN", "HGETALL", "HKEYS", "HVALS"]), KEYS),
    st.tuples(st.just("HINCRBY"), KEYS, MEMBERS, st.sampled_from(["1", "-5", "x"])),
    st.tuples(st.just("HINCRBYFLOAT"), KEYS, MEMBERS, st.sampled_from(["0.1", "-2.5", "1e3"])),
    st.tuples(st.just("HRANDFIELD"), KEYS, st.sampled_from([0, 10, 10]),
              st.just("WITHVALUES")),
    st.tuples(st.just("HSCAN"), KEYS, st.just(0)),
)
SET_COMMANDS = st.one_of(
    st.tuples(st.sampled_from(["SADD", "SREM"]), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.sampled_from(["SISMEMBER"]), KEYS, MEMBERS),
    st.tuples(st.just("SMISMEMBER"), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.just("SCARD"), KEYS),
    # A set holding both kinds of member is a hash table: its order is Redis's own.
    st.tuples(st.just("SMEMBERS"), KEYS).map(lambda command: (UNORDERED, *command)),
    st.tuples(st.sampled_from(["SINTER", "SUNION", "SDIFF"]), KEYS, KEYS).map(
        lambda command: (UNORDERED, *command)),
    st.tuples(st.sampled_from(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), KEYS, KEYS, KEYS),
    st.tuples(st.just("SINTERCARD"), st.just(2), KEYS, KEYS),
    st.tuples(st.just("SMOVE"), KEYS, KEYS, MEMBERS),
    st.tuples(st.just("SRANDMEMBER"), KEYS, st.just(10)).map(
        lambda command: (UNORDERED, *command)),
    st.tuples(st.just("SSCAN"), KEYS, st.just(0)).map(lambda command: (UNORDERED, *command)),
    st.tuples(st.sampled_from(["TYPE", "EXISTS"]), KEYS),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(HASH_COMMANDS, SET_COMMANDS), min_size=1, max_size=40),
       st.sampled_from([2, 3]))
def test_random_hash_and_set_sequences_match_redis(pair: tuple[int, int],  # noqa: F811
                                                   commands: list[Command],
                                                   protocol: int) -> None:
    """Over few keys and fields every hash stays a listpack, whose order Redis defines,
    so hash replies are compared exactly; sets mixing integers and other members are
    hash tables, compared in any order."""
    script: list[Command] = [("FLUSHALL",), ("SET", "str", "string"), *commands,
                             ("HGETALL", "a"), (UNORDERED, "SMEMBERS", "b"), ("DBSIZE",)]
    assert_same_replies(pair, script, protocol)


def _unordered(strategy: st.SearchStrategy[Command]) -> st.SearchStrategy[Command]:
    return strategy.map(lambda command: (UNORDERED, *command))


FIELDS = st.sampled_from(["f", "g", "h", "i", "j", "1", "22", "333", "4444"])
SMALL_LIMIT_COMMANDS = st.one_of(
    st.tuples(st.just("HSET"), KEYS, FIELDS, FIELDS),
    st.tuples(st.just("HSET"), KEYS, FIELDS, FIELDS, FIELDS, st.sampled_from(["55555", "6"])),
    st.tuples(st.just("HSETNX"), KEYS, FIELDS, st.sampled_from(["x", "yyyyyy"])),
    st.tuples(st.just("HDEL"), KEYS, FIELDS, FIELDS),
    st.tuples(st.just("HINCRBY"), KEYS, FIELDS, st.sampled_from(["1", "99999"])),
    st.tuples(st.just("HINCRBYFLOAT"), KEYS, FIELDS, st.sampled_from(["0.5", "1e10"])),
    _unordered(st.tuples(st.sampled_from(["HGETALL", "HKEYS", "HVALS"]), KEYS)),
    _unordered(st.tuples(st.just("HRANDFIELD"), KEYS, st.just(20), st.just("WITHVALUES"))),
    st.tuples(st.sampled_from(["SADD", "SREM"]), KEYS, FIELDS, FIELDS),
    st.tuples(st.just("SMOVE"), KEYS, KEYS, FIELDS),
    _unordered(st.tuples(st.sampled_from(["SMEMBERS", "SCARD"]), KEYS)),
    _unordered(st.tuples(st.sampled_from(["SINTER", "SUNION", "SDIFF"]), KEYS, KEYS)),
    st.tuples(st.sampled_from(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), KEYS, KEYS, KEYS),
    _unordered(st.tuples(st.just("SPOP"), KEYS, st.just(20))),
    st.tuples(st.just("SINTERCARD"), st.just(2), KEYS, KEYS, st.just("LIMIT"),
              st.integers(0, 3)),
    st.tuples(st.just("OBJECT"), st.just("ENCODING"), KEYS),
)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(SMALL_LIMIT_COMMANDS, min_size=1, max_size=40), st.sampled_from([2, 3]))
def test_random_sequences_under_small_encoding_limits_match_redis(
        restore_encoding_config: tuple[int, int], commands: list[Command],
        protocol: int) -> None:
    """With limits of a few entries and bytes, collections cross from listpack and
    intset to hash tables all the time: OBJECT ENCODING must follow Redis's after every
    kind of change."""
    script: list[Command] = [
        ("FLUSHALL",), ("CONFIG", "SET", "hash-max-listpack-entries", 3),
        ("CONFIG", "SET", "hash-max-listpack-value", 4),
        ("CONFIG", "SET", "set-max-intset-entries", 3), ("SET", "str", "string"), *commands,
        ("OBJECT", "ENCODING", "a"), ("OBJECT", "ENCODING", "b"), ("DBSIZE",),
    ]
    assert_same_replies(restore_encoding_config, script, protocol)
