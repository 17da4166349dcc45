"""SORT and SORT_RO, EmberKV against the real redis-server 7.0.15, byte for byte in
RESP2 and RESP3, with the keyspace counters (BY and GET lookups are reads) and the AOF.

Sets are sorted or stored (which sorts them) wherever their order would show: Redis
answers an unsorted set in its hash table's order. Numeric sorts of values that
overflow are left out: Redis reads a stale errno after one, so its later replies
depend on what ran before.
"""

from __future__ import annotations

import pytest

from tests.differential.test_strings_diff import (  # noqa: F401 (pair is a fixture)
    Command, assert_same_replies, counters, exchange, pair,
)
from tests.persistence.helpers import logged_by_both

pytestmark = pytest.mark.needs_redis_server

SETUP: list[Command] = [
    ("RPUSH", "l", 3, 1, 2, 10, -1, 1.5, 2), ("MSET", "w_3", 1, "w_1", 9, "w_2", 5, "w_10", 5),
    ("HSET", "h_1", "f", 7), ("HSET", "h_3", "f", 2), ("HSET", "h_10", "g", 1),
    ("ZADD", "z", 3, "a", 1, "b", 2, "c"), ("SADD", "s", 5, 3, 9, 1), ("SADD", "t", "b", "a", "c"),
    ("MSET", "name_a", "zed", "name_b", "amy", "name_c", "bob"),
]

SCENARIOS: dict[str, list[Command]] = {
    "numeric-and-alpha": [
        ("SORT", "l"), ("SORT", "l", "DESC"), ("SORT", "l", "ALPHA"), ("SORT", "l", "ALPHA", "DESC"),
        ("SORT", "l", "LIMIT", 1, 2), ("SORT", "l", "LIMIT", 0, -1), ("SORT", "l", "LIMIT", -5, 2),
        ("SORT", "l", "LIMIT", 10, 2), ("SORT", "l", "LIMIT", 2, 0), ("SORT", "l", "LIMIT", "x", 2),
        ("SORT", "l", "LIMIT", 1), ("SORT", "l", "foo"), ("SORT", "l", "ASC", "DESC"),
        ("SORT", "s"), ("SORT", "s", "DESC", "LIMIT", 1, 2), ("SORT", "t", "ALPHA"), ("SORT", "t"),
        ("SORT", "z"), ("SORT", "z", "ALPHA", "DESC"), ("SORT", "missing"),
        ("SORT_RO", "l", "DESC"), ("SORT_RO", "l", "STORE", "x"), ("SORT", "l", "STORE"),
    ],
    "by-and-get": [
        ("SORT", "l", "BY", "w_*"), ("SORT", "l", "BY", "w_*", "DESC"), ("SORT", "l", "BY", "w_*", "ALPHA"),
        ("SORT", "l", "BY", "w_*", "ALPHA", "DESC"), ("SORT", "l", "BY", "w_*", "GET", "#"),
        ("SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*"), ("SORT", "l", "GET", "w_*", "GET", "nokey"),
        ("SORT", "l", "BY", "h_*->f"), ("SORT", "l", "BY", "h_*->f", "GET", "h_*->f", "GET", "#"),
        ("SORT", "l", "BY", "h_*->"), ("SORT", "l", "GET", "h_*->g"), ("SORT", "l", "GET", "l"),
        ("SORT", "l", "BY", "nosort"), ("SORT", "l", "BY", "nosort", "DESC"),
        ("SORT", "l", "BY", "nosort", "LIMIT", 1, 2, "DESC"), ("SORT", "z", "BY", "nosort"),
        ("SORT", "z", "BY", "nosort", "DESC", "LIMIT", 1, 1), ("SORT", "t", "BY", "name_*", "ALPHA"),
        ("SORT", "t", "BY", "name_*", "ALPHA", "GET", "name_*", "GET", "#"),
        ("SORT", "l", "BY", "w_*", "LIMIT", 0, 3, "GET", "#"), ("SORT", "t", "BY", "name_*"),
        ("SORT", "l", "BY", "h_*"), ("SORT", "l", "GET", "h_*"),
    ],
    "store": [
        ("SORT", "l", "STORE", "dst"), ("LRANGE", "dst", 0, -1), ("OBJECT", "ENCODING", "dst"),
        ("SORT", "l", "GET", "w_*", "STORE", "dst"), ("LRANGE", "dst", 0, -1),
        ("SORT", "missing", "STORE", "dst"), ("EXISTS", "dst"), ("SORT", "missing", "STORE", "dst"),
        ("SORT", "s", "BY", "nosort", "STORE", "sd"), ("LRANGE", "sd", 0, -1),
        ("SORT", "t", "BY", "nosort", "STORE", "sd"), ("LRANGE", "sd", 0, -1),
        ("SORT", "z", "STORE", "zd", "DESC"), ("LRANGE", "zd", 0, -1), ("EXPIRE", "zd", 100),
        ("SORT", "z", "STORE", "zd"), ("TTL", "zd"), ("SORT", "l", "STORE", "l"), ("LRANGE", "l", 0, -1),
        ("SORT", "l", "STORE", "a", "STORE", "b"), ("EXISTS", "a", "b"),
    ],
    "types-and-encodings": [
        ("SET", "str", "x"), ("SORT", "str"), ("SORT", "str", "foo"), ("SORT_RO", "str"),
        ("HSET", "hash", "a", 1), ("SORT", "hash"), ("OBJECT", "ENCODING", "z"),
        ("SORT", "z", "ALPHA"), ("OBJECT", "ENCODING", "z"), ("RPUSH", "bad", "a", "b"),
        ("SORT", "bad"), ("SORT", "bad", "ALPHA"), ("SORT", "bad", "BY", "nosort"),
        ("RPUSH", "odd", "", " 2", "1e2", "3", "0x10", "-inf", b"4\x00junk"), ("SORT", "odd"),
        ("RPUSH", "nan", 1, "nan"), ("SORT", "nan"),
    ],
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_sort_scenario_replies_match_redis(pair: tuple[int, int], name: str,  # noqa: F811
                                           protocol: int) -> None:
    assert_same_replies(pair, SETUP + SCENARIOS[name], protocol)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_sort_scenario_hits_misses_and_changes_match_redis(pair: tuple[int, int],  # noqa: F811
                                                           name: str) -> None:
    found = []
    for port in pair:
        exchange(port, SETUP, protocol=2)
        found.append(counters(port, SCENARIOS[name]))
    assert found[0] == found[1]


def test_getkeys_of_sort_match_redis(pair: tuple[int, int]) -> None:  # noqa: F811
    cases: list[Command] = [
        ("COMMAND", "GETKEYS", "SORT", "l", "STORE", "a", "STORE", "b", "GET", "x", "LIMIT", 1, 2),
        ("COMMAND", "GETKEYS", "SORT", "l", "BY", "store", "GET", "store"),
        ("COMMAND", "GETKEYS", "SORT_RO", "l", "BY", "x"),
    ]
    assert_same_replies(pair, cases, protocol=2)


def test_logged_sort_commands_match_redis_aof() -> None:
    """SORT is logged as sent when it stored something (or deleted the destination)."""
    script = SETUP + [
        ("SORT", "l"), ("SORT", "l", "STORE", "dst"), ("SORT", "missing", "STORE", "dst"),
        ("SORT", "missing", "STORE", "dst"), ("SORT", "s", "BY", "nosort", "STORE", "sd"),
        ("SORT_RO", "l"),
    ]
    logs = logged_by_both(script)
    assert [line.lower() for line in logs[0]] == [line.lower() for line in logs[1]]
