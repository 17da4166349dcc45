"""List commands, EmberKV against the real redis-server 7.0.15.

Scenarios are sent from an empty dataset to both servers over raw sockets and every
reply must be byte-for-byte the same in RESP2 and RESP3, errors included; the keyspace
hit/miss and change counters must agree too (changes decide what reaches the AOF).
The AOF test compares the logged forms, and a hypothesis test sends random command
sequences over a small key space to both servers.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.differential.test_strings_diff import (  # noqa: F401 (pair is a fixture)
    Command, assert_same_replies, counters, pair,
)
from tests.persistence.helpers import logged_by_both

pytestmark = pytest.mark.needs_redis_server

LONG_MIN = "-9223372036854775808"
LONG_MAX = "9223372036854775807"

SCENARIOS: dict[str, list[Command]] = {
    "push-and-range": [
        ("RPUSH", "l", "a", "b", "c"), ("LPUSH", "l", "x", "y"), ("LRANGE", "l", 0, -1),
        ("LRANGE", "l", -100, 100), ("LRANGE", "l", 2, 1), ("LRANGE", "l", 5, 10),
        ("LRANGE", "l", -2, -1), ("LRANGE", "l", "x", 1), ("LRANGE", "missing", 0, -1),
        ("LLEN", "l"), ("LLEN", "missing"), ("LPUSHX", "missing", "a"), ("RPUSHX", "missing", "a"),
        ("LPUSHX", "l", "p", "q"), ("RPUSHX", "l", "r"), ("LRANGE", "l", 0, -1),
        ("EXISTS", "missing"), ("RPUSH", "e", ""), ("LRANGE", "e", 0, -1),
        ("RPUSH", "bin", b"\x00\r\n\xff"), ("LRANGE", "bin", 0, 0), ("TYPE", "l"),
        ("OBJECT", "ENCODING", "l"), ("LPUSH", "l"), ("RPUSHX", "l"), ("LLEN",),
        ("LRANGE", "l", 0), ("LRANGE", "l", 0, LONG_MAX), ("LRANGE", "l", LONG_MIN, LONG_MAX),
    ],
    "pop-with-and-without-count": [
        ("RPUSH", "l", "a", "b", "c", "d", "e"), ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", 2),
        ("LPOP", "l", 0), ("RPOP", "l", 1), ("LPOP", "missing"), ("LPOP", "missing", 2),
        ("LPOP", "missing", 0), ("RPOP", "l", -1), ("RPOP", "l", "x"), ("LPOP", "l", 1, 2),
        ("RPUSH", "l", "a", "b"), ("RPOP", "l", 10), ("EXISTS", "l"), ("RPUSH", "l", "a"),
        ("LPOP", "l"), ("EXISTS", "l"), ("LPOP", "l", LONG_MAX), ("RPOP", "missing", -1),
    ],
    "index-set-insert": [
        ("RPUSH", "l", "a", "b", "c"), ("LINDEX", "l", 0), ("LINDEX", "l", -1),
        ("LINDEX", "l", 3), ("LINDEX", "l", -4), ("LINDEX", "l", "x"), ("LINDEX", "missing", "x"),
        ("LSET", "l", 1, "B"), ("LSET", "l", -1, "C"), ("LSET", "l", 3, "z"),
        ("LSET", "l", -4, "z"), ("LSET", "missing", 0, "z"), ("LSET", "l", "x", "z"),
        ("LSET", "missing", "x", "z"), ("LRANGE", "l", 0, -1),
        ("LINSERT", "l", "BEFORE", "a", "0"), ("LINSERT", "l", "after", "C", "9"),
        ("LINSERT", "l", "after", "nope", "9"), ("LINSERT", "l", "middle", "a", "9"),
        ("LINSERT", "missing", "before", "a", "9"), ("LINSERT", "missing", "middle", "a", "9"),
        ("LRANGE", "l", 0, -1), ("RPUSH", "d", "x", "y", "x"), ("LINSERT", "d", "AFTER", "x", "m"),
        ("LRANGE", "d", 0, -1),
    ],
    "rem-and-trim": [
        ("RPUSH", "l", "a", "b", "a", "c", "a", "b"), ("LREM", "l", 1, "a"), ("LRANGE", "l", 0, -1),
        ("LREM", "l", -1, "b"), ("LRANGE", "l", 0, -1), ("LREM", "l", 0, "a"),
        ("LRANGE", "l", 0, -1), ("LREM", "l", 0, "zz"), ("LREM", "l", "x", "a"),
        ("LREM", "missing", 0, "a"), ("LREM", "l", 0, "b"), ("LREM", "l", 0, "c"),
        ("EXISTS", "l"), ("RPUSH", "t", 1, 2, 3, 4, 5, 6), ("LTRIM", "t", 1, -2),
        ("LRANGE", "t", 0, -1), ("LTRIM", "t", 0, -1), ("LTRIM", "t", -100, 100),
        ("LTRIM", "t", "x", 1), ("LTRIM", "missing", 0, 1), ("LTRIM", "t", 2, 1),
        ("EXISTS", "t"), ("RPUSH", "t", 1, 2, 3), ("LTRIM", "t", 5, 10), ("EXISTS", "t"),
    ],
    "lpos": [
        ("RPUSH", "l", "a", "b", "c", "a", "b", "a"), ("LPOS", "l", "a"), ("LPOS", "l", "z"),
        ("LPOS", "l", "a", "RANK", 2), ("LPOS", "l", "a", "RANK", -1), ("LPOS", "l", "a", "RANK", -3),
        ("LPOS", "l", "a", "RANK", 4), ("LPOS", "l", "a", "COUNT", 0), ("LPOS", "l", "a", "COUNT", 2),
        ("LPOS", "l", "a", "COUNT", 0, "RANK", -1), ("LPOS", "l", "a", "COUNT", 0, "MAXLEN", 4),
        ("LPOS", "l", "a", "RANK", -1, "MAXLEN", 1), ("LPOS", "l", "a", "RANK", -1, "MAXLEN", 2),
        ("LPOS", "l", "z", "COUNT", 1), ("LPOS", "l", "a", "RANK", 0), ("LPOS", "l", "a", "COUNT", -1),
        ("LPOS", "l", "a", "MAXLEN", -1), ("LPOS", "l", "a", "RANK"), ("LPOS", "l", "a", "FOO", 1),
        ("LPOS", "l", "a", "RANK", "x"), ("LPOS", "l", "a", "rank", LONG_MIN),
        ("LPOS", "l", "a", "rank", LONG_MIN, "count", 0), ("LPOS", "missing", "a"),
        ("LPOS", "missing", "a", "COUNT", 2), ("LPOS", "missing", "a", "RANK", 0),
        ("LPOS", "l", "a", "RANK", 1, "RANK", 2), ("LPOS", "l"),
    ],
    "move-and-rpoplpush": [
        ("RPUSH", "s", "a", "b", "c"), ("LMOVE", "s", "d", "LEFT", "RIGHT"),
        ("LMOVE", "s", "d", "right", "left"), ("LRANGE", "d", 0, -1), ("RPOPLPUSH", "s", "d"),
        ("EXISTS", "s"), ("LRANGE", "d", 0, -1), ("LMOVE", "missing", "d", "LEFT", "LEFT"),
        ("RPOPLPUSH", "missing", "d"), ("LMOVE", "d", "d", "LEFT", "RIGHT"), ("LRANGE", "d", 0, -1),
        ("LMOVE", "d", "d", "UP", "LEFT"), ("LMOVE", "missing", "d", "LEFT", "DOWN"),
        ("RPUSH", "one", "x"), ("RPOPLPUSH", "one", "one"), ("LRANGE", "one", 0, -1),
        ("LMOVE", "one", "one", "LEFT", "LEFT"),
    ],
    "lmpop": [
        ("RPUSH", "a", 1, 2, 3), ("RPUSH", "b", 4, 5), ("LMPOP", 2, "none", "a", "LEFT"),
        ("LMPOP", 2, "none", "a", "RIGHT", "COUNT", 10), ("EXISTS", "a"),
        ("LMPOP", 2, "a", "b", "left", "count", 1), ("LMPOP", 1, "none", "LEFT"),
        ("LMPOP", 0, "a", "LEFT"), ("LMPOP", -1, "a", "LEFT"), ("LMPOP", "x", "a", "LEFT"),
        ("LMPOP", 3, "a", "LEFT"), ("LMPOP", 1, "b", "UP"), ("LMPOP", 1, "b", "LEFT", "COUNT", 0),
        ("LMPOP", 1, "b", "LEFT", "COUNT", -1), ("LMPOP", 1, "b", "LEFT", "COUNT", "x"),
        ("LMPOP", 1, "b", "LEFT", "COUNT"), ("LMPOP", 1, "b", "LEFT", "COUNT", 1, "COUNT", 1),
        ("LMPOP", 1, "b", "LEFT", "FOO"), ("LMPOP", 1, "b"), ("LMPOP", 1),
        ("LMPOP", LONG_MAX, "b", "LEFT"), ("LMPOP", 1, "b", "RIGHT", "COUNT", LONG_MAX),
    ],
    "wrongtype": [
        ("SET", "s", "v"), ("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"),
        ("RPUSHX", "s", "a"), ("LPOP", "s"), ("RPOP", "s", 2), ("LPOP", "s", -1),
        ("LRANGE", "s", 0, -1), ("LRANGE", "s", "x", 0), ("LINDEX", "s", 0), ("LINDEX", "s", "x"),
        ("LSET", "s", 0, "v"), ("LSET", "s", "x", "v"), ("LINSERT", "s", "BEFORE", "a", "b"),
        ("LINSERT", "s", "X", "a", "b"), ("LREM", "s", 0, "a"), ("LTRIM", "s", 0, 1),
        ("LLEN", "s"), ("LPOS", "s", "a"), ("LPOS", "s", "a", "RANK", 0),
        ("RPUSH", "l", "x"), ("LMOVE", "s", "l", "LEFT", "LEFT"), ("LMOVE", "l", "s", "LEFT", "LEFT"),
        ("RPOPLPUSH", "l", "s"), ("LRANGE", "l", 0, -1), ("LMPOP", 2, "s", "l", "LEFT"),
        ("LMPOP", 2, "l", "s", "LEFT"), ("LMPOP", 2, "missing", "s", "LEFT"), ("GET", "l"),
    ],
    "keys-commands-on-lists": [
        ("RPUSH", "l", "a", "b"), ("TYPE", "l"), ("OBJECT", "ENCODING", "l"), ("COPY", "l", "c"),
        ("RPUSH", "c", "z"), ("LRANGE", "l", 0, -1), ("LRANGE", "c", 0, -1), ("RENAME", "c", "r"),
        ("LRANGE", "r", 0, -1), ("DEL", "r"), ("SET", "str", "v"),
        ("SCAN", 0, "TYPE", "list", "COUNT", 100), ("SCAN", 0, "TYPE", "LIST"), ("EXPIRE", "l", 100),
        ("RPUSH", "l", "c"), ("TTL", "l"), ("LPOP", "l", 3), ("TTL", "l"), ("DEL", "r"),
        ("OBJECT", "REFCOUNT", "c"),
    ],
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_list_scenario_replies_match_redis(pair: tuple[int, int], name: str,  # noqa: F811
                                           protocol: int) -> None:
    assert_same_replies(pair, SCENARIOS[name], protocol)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_list_scenario_hits_misses_and_changes_match_redis(pair: tuple[int, int],  # noqa: F811
                                                           name: str) -> None:
    assert counters(pair[0], SCENARIOS[name]) == counters(pair[1], SCENARIOS[name])


def test_long_list_ranges_and_searches_cross_nodes_as_redis_does(
        pair: tuple[int, int]) -> None:  # noqa: F811
    """Thousands of elements span many quicklist nodes on both servers."""
    elements = [f"e{i % 97}-{'x' * (i % 13)}" for i in range(3000)]
    commands: list[Command] = [("RPUSH", "big", *elements[i:i + 500]) for i in range(0, 3000, 500)]
    commands += [("LRANGE", "big", start, stop) for start, stop in
                 ((0, -1), (1000, 1100), (-700, -650), (2999, 5000), (1500, 1499))]
    commands += [("LINDEX", "big", i) for i in (0, 1, 777, 1500, 2222, -1, -1234)]
    commands += [("LPOS", "big", "e5-xxxxx", "COUNT", 0), ("LPOS", "big", "e5-xxxxx", "RANK", -3),
                 ("LPOS", "big", "e96-", "COUNT", 5, "MAXLEN", 2000),
                 ("LINSERT", "big", "BEFORE", "e50-xxxxxxxxxxx", "new"), ("LINDEX", "big", 50),
                 ("LSET", "big", 1700, "set"), ("LREM", "big", -3, "e7-xxxxxxx"),
                 ("LREM", "big", 0, "e8-xxxxxxxx"), ("LTRIM", "big", 100, -100), ("LLEN", "big"),
                 ("LPOP", "big", 300), ("RPOP", "big", 300), ("LRANGE", "big", 0, -1)]
    assert_same_replies(pair, commands, protocol=2)


def test_framing_like_and_large_elements_come_back_whole(
        pair: tuple[int, int]) -> None:  # noqa: F811
    """Elements that look like RESP framing, and ones past the 8 KB header table and a
    node's size, through every way an element comes back."""
    tricky = ["$3\r\nabc\r\n", "\n", "\r\n", "$", "*2\r\n", "x" * 8191, "y" * 8192,
              "z" * 100_000, "", "end"]
    commands: list[Command] = [("RPUSH", "t", *tricky), ("LPUSH", "t", "$-1\r\n", "w" * 20_000)]
    commands += [("LRANGE", "t", start, stop) for start, stop in
                 ((0, -1), (1, 3), (5, 8), (-3, -1), (7, 7))]
    commands += [("LINDEX", "t", i) for i in range(-12, 12)]
    commands += [("LSET", "t", 4, "q" * 9000), ("LINSERT", "t", "AFTER", "\n", "$0\r\n\r\n"),
                 ("LREM", "t", 0, "\r\n"), ("LPOS", "t", "y" * 8192), ("LRANGE", "t", 0, -1),
                 ("LPOP", "t", 2), ("RPOP", "t", 2), ("LMOVE", "t", "u", "LEFT", "RIGHT"),
                 ("LTRIM", "t", 1, -2), ("LRANGE", "t", 0, -1), ("LRANGE", "u", 0, -1),
                 ("RPOP", "t"), ("LPOP", "t"), ("LLEN", "t")]
    for protocol in (2, 3):
        assert_same_replies(pair, [("DEL", "t", "u"), *commands], protocol=protocol)


def test_logged_list_commands_match_redis_aof() -> None:
    """What reaches the AOF: as sent, except LMPOP as LPOP/RPOP with the count popped,
    and nothing for commands that changed nothing."""
    script: list[Command] = [
        ("RPUSH", "l", "a", "b", "c", "d", "e", "f", "g"), ("LPOP", "l"), ("LPOP", "l", 2),
        ("LPOP", "l", 0), ("LPOP", "missing"), ("LPOP", "missing", 2), ("RPOP", "l", -1),
        ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("RPOPLPUSH", "l", "l2"),
        ("LMPOP", 2, "nokey", "l", "RIGHT", "COUNT", 1), ("LMPOP", 2, "nokey", "l2", "LEFT", "COUNT", 10),
        ("LPUSHX", "nokey", "a"), ("RPUSH", "l", "x", "y", "z"), ("LREM", "l", 0, "nothing"),
        ("LTRIM", "l", 0, -1), ("LTRIM", "l", 1, -1), ("LINSERT", "l", "BEFORE", "nope", "q"),
        ("LINSERT", "l", "AFTER", "y", "q"), ("LSET", "l", 0, "Q"), ("LREM", "l", 0, "q"),
        ("LMOVE", "l", "l", "RIGHT", "RIGHT"), ("LPOP", "l", 100), ("RPUSHX", "l", "x"),
    ]
    logs = logged_by_both(script)
    assert [line.lower() for line in logs[0]] == [line.lower() for line in logs[1]]
    assert "LPOP l2 2" in logs[0] and "RPOP l 1" in logs[0]


# ------------------------------------------------------------------ random sequences

KEYS = st.sampled_from(["a", "b", "s"])  # "s" is set to a string first, for WRONGTYPE
ELEMENTS = st.sampled_from(["x", "y", "z", ""])
INDEXES = st.integers(-4, 4)
ENDS = st.sampled_from(["LEFT", "RIGHT"])
COMMANDS = st.one_of(
    st.tuples(st.sampled_from(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), KEYS,
              ELEMENTS, ELEMENTS),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), KEYS),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), KEYS, st.integers(-1, 4)),
    st.tuples(st.sampled_from(["LRANGE", "LTRIM"]), KEYS, INDEXES, INDEXES),
    st.tuples(st.just("LINDEX"), KEYS, INDEXES),
    st.tuples(st.just("LSET"), KEYS, INDEXES, ELEMENTS),
    st.tuples(st.just("LINSERT"), KEYS, st.sampled_from(["BEFORE", "AFTER"]), ELEMENTS, ELEMENTS),
    st.tuples(st.just("LREM"), KEYS, st.integers(-2, 2), ELEMENTS),
    st.tuples(st.just("LLEN"), KEYS),
    st.tuples(st.just("LPOS"), KEYS, ELEMENTS, st.just("RANK"), st.sampled_from([-2, -1, 1, 2]),
              st.just("COUNT"), st.integers(0, 2), st.just("MAXLEN"), st.integers(0, 3)),
    st.tuples(st.just("LPOS"), KEYS, ELEMENTS),
    st.tuples(st.just("LMOVE"), KEYS, KEYS, ENDS, ENDS),
    st.tuples(st.just("RPOPLPUSH"), KEYS, KEYS),
    st.tuples(st.just("LMPOP"), st.just(2), KEYS, KEYS, ENDS, st.just("COUNT"), st.integers(1, 3)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(COMMANDS, min_size=1, max_size=40), st.sampled_from([2, 3]))
def test_random_list_command_sequences_match_redis(pair: tuple[int, int],  # noqa: F811
                                                   commands: list[Command],
                                                   protocol: int) -> None:
    script: list[Command] = [("FLUSHALL",), ("SET", "s", "string"), *commands,
                             ("LRANGE", "a", 0, -1), ("LRANGE", "b", 0, -1), ("DBSIZE",)]
    assert_same_replies(pair, script, protocol)
