"""Sorted set commands, EmberKV against the real redis-server 7.0.15.

Scenarios are sent from an empty dataset to both servers over raw sockets and every
reply must be byte-for-byte the same in RESP2 and RESP3, errors included; the keyspace
hit/miss and change counters must agree too (changes decide what reaches the AOF).
Random replies (ZRANDMEMBER) are compared where they are determined: sizes, and whole
sets when the count covers them. The AOF test compares the logged forms, and a
hypothesis test sends random command sequences over a small key space to both servers.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.differential.test_strings_diff import (  # noqa: F401 (pair is a fixture)
    Command, assert_same_replies, counters, exchange, pair,
)
from tests.persistence.helpers import logged_by_both
from tests.wire import replies_to

pytestmark = pytest.mark.needs_redis_server

LONG_MIN = "-9223372036854775808"
LONG_MAX = "9223372036854775807"

SCENARIOS: dict[str, list[Command]] = {
    # ZADD key score member has a path of its own (zadd_one): new key, new member,
    # same score (no change counted), new score, -0 in a listpack, conversion by a long
    # member, options that leave no pair, bad scores, the wrong type.
    "zadd-one-pair": [
        ("ZADD", "z", 1, "a"), ("ZADD", "z", 1, "a"), ("ZADD", "z", 2, "a"),
        ("ZADD", "z", "-0", "b"), ("ZADD", "z", 0, "b"), ("ZRANGE", "z", 0, -1, "WITHSCORES"),
        ("ZADD", "z", 3, "x" * 70), ("OBJECT", "ENCODING", "z"), ("ZADD", "z", 1, "a"),
        ("ZADD", "z", "-0", "b"), ("ZADD", "z", "nx", 1), ("ZADD", "z", "abc", "a"),
        ("ZADD", "z", "inf", "c"), ("ZADD", "z", "+inf", "c"), ("ZADD", "z", "nan", "c"),
        ("SET", "s", "1"), ("ZADD", "s", 1, "a"), ("ZRANGE", "z", 0, -1, "WITHSCORES"),
    ],
    "zadd-options": [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c"), ("ZADD", "z", "NX", "XX", 1, "a"),
        ("ZADD", "z", "NX", "GT", 1, "a"), ("ZADD", "z", "GT", "LT", 1, "a"),
        ("ZADD", "z", "INCR", 1, "a", 2, "b"), ("ZADD", "z", 1, "a", 2), ("ZADD", "z", 1),
        ("ZADD", "z", "x", "a"), ("ZADD", "z", "nx"), ("ZADD", "z", "CH", "ch"),
        ("ZADD", "z", "NX", 9, "a", 4, "d"), ("ZADD", "z", "XX", 9, "a", 5, "e"),
        ("ZADD", "z", "XX", "CH", 10, "a", 5, "e"), ("ZADD", "z", "GT", "CH", 1, "a", 20, "b"),
        ("ZADD", "z", "LT", "CH", 1, "a", 30, "b", 7, "f"), ("ZADD", "z", "INCR", 2.5, "a"),
        ("ZADD", "z", "NX", "INCR", 1, "a"), ("ZADD", "z", "XX", "INCR", 1, "nosuch"),
        ("ZADD", "z", "GT", "INCR", -1, "a"), ("ZADD", "z", "LT", "INCR", -1, "a"),
        ("ZADD", "z", "INCR", 0, "a"), ("ZADD", "z", "ch", "incr", 0, "a"),
        ("ZADD", "nokey", "XX", 1, "a"), ("ZADD", "nokey", "XX", "INCR", 1, "a"),
        ("EXISTS", "nokey"), ("ZRANGE", "z", 0, -1, "WITHSCORES"),
        ("ZADD", "z", "inf", "i"), ("ZADD", "z", "INCR", "-inf", "i"), ("ZSCORE", "z", "i"),
        ("ZINCRBY", "z", "-inf", "i"), ("ZINCRBY", "z", "+inf", "i"), ("ZINCRBY", "z", "x", "i"),
        ("ZINCRBY", "z", 1, "new"), ("ZINCRBY", "newkey", "1e3", "m"), ("ZSCORE", "newkey", "m"),
    ],
    "score-parsing-and-formatting": [
        ("ZADD", "z", "0x10", "hex", "1e-5", "small", ".5", "half", "5.", "five", "-0", "negzero",
         "+3", "plus", "0.1", "tenth", "1e20", "big", "5e-324", "tiny", "1.7976931348623157e308",
         "max", "-infinity", "ninf", "INF", "pinf"),
        ("ZRANGE", "z", 0, -1, "WITHSCORES"), ("ZSCORE", "z", "negzero"),
        ("ZADD", "z", "1e400", "x"), ("ZADD", "z", "1e-400", "x"), ("ZADD", "z", " 1", "x"),
        ("ZADD", "z", "1 ", "x"), ("ZADD", "z", "1_0", "x"), ("ZADD", "z", "nan", "x"),
        ("ZADD", "z", "", "x"), ("ZADD", "z", "0x", "x"), ("ZADD", "z", "1e", "x"),
        ("ZADD", "z", b"1\x00", "x"), ("ZMSCORE", "z", "half", "x", "tenth"),
        ("ZSCAN", "z", 0),
    ],
    "ranges-by-rank": [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e"), ("ZRANGE", "z", 0, -1),
        ("ZRANGE", "z", -100, 100, "WITHSCORES"), ("ZRANGE", "z", 3, 1), ("ZRANGE", "z", 5, 10),
        ("ZRANGE", "z", -2, -1), ("ZRANGE", "z", "x", 1), ("ZRANGE", "z", 0, -1, "REV"),
        ("ZRANGE", "z", 1, 2, "REV", "WITHSCORES"), ("ZRANGE", "z", 0, -1, "LIMIT", 0, 1),
        ("ZRANGE", "z", 0, -1, "LIMIT", 0, -1), ("ZRANGE", "z", 0, -1, "LIMIT", 0),
        ("ZRANGE", "z", 0, -1, "REV", "REV"), ("ZRANGE", "z", 0, -1, "foo"),
        ("ZRANGE", "z", LONG_MIN, LONG_MAX), ("ZREVRANGE", "z", 0, 2, "WITHSCORES"),
        ("ZREVRANGE", "z", 0, 2, "REV"), ("ZREVRANGE", "z", 0, 2, "LIMIT", 0, 1),
        ("ZREVRANGE", "missing", 0, -1), ("ZRANGE", "missing", "x", 1),
        ("ZRANK", "z", "c"), ("ZREVRANK", "z", "c"), ("ZRANK", "z", "q"), ("ZRANK", "missing", "q"),
        ("ZRANK", "z", "a", "WITHSCORE"), ("ZCARD", "z"), ("ZCARD", "missing"),
    ],
    "ranges-by-score": [
        ("ZADD", "z", 1, "a", 2, "b", 2, "bb", 3, "c", "inf", "i", "-inf", "ni"),
        ("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"), ("ZRANGEBYSCORE", "z", "(1", 3),
        ("ZRANGEBYSCORE", "z", 2, "(3"), ("ZRANGEBYSCORE", "z", "(2", "(2"),
        ("ZRANGEBYSCORE", "z", 2, 2), ("ZRANGEBYSCORE", "z", 3, 1),
        ("ZRANGEBYSCORE", "z", "", ""), ("ZRANGEBYSCORE", "z", " 1", 5), ("ZRANGEBYSCORE", "z", "(", 5),
        ("ZRANGEBYSCORE", "z", "0x1", 5), ("ZRANGEBYSCORE", "z", "1 ", 5), ("ZRANGEBYSCORE", "z", "-", 5),
        ("ZRANGEBYSCORE", "z", "1e400", "inf"), ("ZRANGEBYSCORE", "z", "nan", 1),
        ("ZRANGEBYSCORE", "z", "(nan", 1), ("ZRANGEBYSCORE", "z", "a", 1),
        ("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", 1, 2), ("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", -1, 2),
        ("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", 1, -5), ("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", 1, 0),
        ("ZRANGEBYSCORE", "z", "-inf", "inf", "LIMIT", 10, 1), ("ZRANGEBYSCORE", "z", 0, 1, "LIMIT", "x", 1),
        ("ZRANGEBYSCORE", "z", 0, 5, "WITHSCORES", "WITHSCORES"), ("ZRANGEBYSCORE", "z", 0, 1, "foo"),
        ("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", 1, 3),
        ("ZREVRANGEBYSCORE", "z", "(3", "(1"), ("ZREVRANGEBYSCORE", "z", 1, 3),
        ("ZRANGE", "z", "(1", 3, "BYSCORE", "LIMIT", 0, 2, "WITHSCORES"),
        ("ZRANGE", "z", 3, "(1", "BYSCORE", "REV"), ("ZRANGE", "z", "a", "b", "BYSCORE"),
        ("ZRANGE", "z", 0, 1, "BYSCORE", "BYLEX"), ("ZRANGE", "z", 0, 1, "BYLEX", "BYSCORE"),
        ("ZCOUNT", "z", "-inf", "+inf"), ("ZCOUNT", "z", "(1", 2), ("ZCOUNT", "z", "a", "b"),
        ("ZCOUNT", "missing", 0, 1), ("ZCOUNT", "missing", "a", 1),
    ],
    "ranges-by-lex": [
        ("ZADD", "z", 0, "a", 0, "b", 0, "c", 0, "d", 0, "e", 0, b"\xff", 0, ""),
        ("ZRANGEBYLEX", "z", "-", "+"), ("ZRANGEBYLEX", "z", "[b", "(d"),
        ("ZRANGEBYLEX", "z", "(b", "[d"), ("ZRANGEBYLEX", "z", "[", "(a"),
        ("ZRANGEBYLEX", "z", "+", "-"), ("ZRANGEBYLEX", "z", "-", "-"), ("ZRANGEBYLEX", "z", "+", "+"),
        ("ZRANGEBYLEX", "z", "[c", "[b"), ("ZRANGEBYLEX", "z", "(c", "[c"), ("ZRANGEBYLEX", "z", "[c", "[c"),
        ("ZRANGEBYLEX", "z", "a", "b"), ("ZRANGEBYLEX", "z", "-x", "+"), ("ZRANGEBYLEX", "z", "-", "+x"),
        ("ZRANGEBYLEX", "z", "-", "+", "LIMIT", 1, 3), ("ZRANGEBYLEX", "z", "-", "+", "LIMIT", -1, 3),
        ("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"), ("ZREVRANGEBYLEX", "z", "+", "-", "LIMIT", 2, 2),
        ("ZREVRANGEBYLEX", "z", "[d", "(a"), ("ZRANGE", "z", "[b", "[d", "BYLEX", "REV"),
        ("ZRANGE", "z", "(d", "[b", "BYLEX", "REV", "LIMIT", 0, 1),
        ("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"), ("ZRANGE", "z", 0, 1, "BYLEX"),
        ("ZLEXCOUNT", "z", "-", "+"), ("ZLEXCOUNT", "z", "(a", "[c"), ("ZLEXCOUNT", "z", "a", "c"),
        ("ZLEXCOUNT", "missing", "-", "+"), ("ZREMRANGEBYLEX", "z", "[b", "(d"),
        ("ZRANGE", "z", 0, -1), ("ZREMRANGEBYLEX", "z", "-", "+"), ("EXISTS", "z"),
        ("ZADD", "mixed", 3, "a", 1, "b", 2, "c"), ("ZRANGEBYLEX", "mixed", "[a", "[c"),
        ("ZREVRANGEBYLEX", "mixed", "[c", "[a"), ("ZLEXCOUNT", "mixed", "[b", "+"),
    ],
    "removals": [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", 6, "f"),
        ("ZREM", "z", "a", "x", "a"), ("ZREM", "missing", "a"), ("ZREMRANGEBYRANK", "z", -1, -1),
        ("ZREMRANGEBYRANK", "z", 5, 1), ("ZREMRANGEBYRANK", "z", "x", 1), ("ZRANGE", "z", 0, -1),
        ("ZREMRANGEBYSCORE", "z", "(2", 3), ("ZREMRANGEBYSCORE", "z", "a", 3),
        ("ZREMRANGEBYSCORE", "z", 3, 1), ("ZRANGE", "z", 0, -1, "WITHSCORES"),
        ("ZREMRANGEBYRANK", "z", 0, -1), ("EXISTS", "z"), ("ZREMRANGEBYRANK", "missing", 0, -1),
        ("ZREMRANGEBYLEX", "missing", "a", "b"), ("ZADD", "z", 1, "a"), ("ZREM", "z", "a"),
        ("EXISTS", "z"), ("ZREM", "z"),
    ],
    "pops": [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e", 6, "f"), ("ZPOPMIN", "z"),
        ("ZPOPMIN", "z", 1), ("ZPOPMIN", "z", 0), ("ZPOPMAX", "z", 2), ("ZPOPMAX", "z"),
        ("ZPOPMIN", "z", -1), ("ZPOPMIN", "z", "x"), ("ZPOPMIN", "z", 1, 2),
        ("ZPOPMIN", "missing"), ("ZPOPMIN", "missing", 2), ("ZPOPMAX", "z", 10), ("EXISTS", "z"),
        ("ZADD", "z", 1, "a", 2, "b", 3, "c"), ("ZMPOP", 1, "z", "MIN"),
        ("ZMPOP", 2, "missing", "z", "max", "COUNT", 10), ("ZMPOP", 1, "z", "MIN"),
        ("ZMPOP", 0, "z", "MIN"), ("ZMPOP", -1, "z", "MIN"), ("ZMPOP", "x", "z", "MIN"),
        ("ZMPOP", 3, "z", "MIN"), ("ZMPOP", 1, "z", "foo"), ("ZMPOP", 1, "z", "MIN", "COUNT", 0),
        ("ZMPOP", 1, "z", "MIN", "COUNT", -1), ("ZMPOP", 1, "z", "MIN", "COUNT", "x"),
        ("ZMPOP", 1, "z", "MIN", "COUNT"), ("ZMPOP", 1, "z", "MIN", "foo", 1),
        ("ZMPOP", 1, "z", "MIN", "COUNT", 1, "COUNT", 2), ("SET", "s", "x"), ("ZPOPMIN", "s", 0),
        ("ZPOPMIN", "s"), ("ZMPOP", 2, "missing", "s", "MIN"), ("ZADD", "z", 1, "a"),
        ("ZMPOP", 2, "z", "s", "MIN"),
    ],
    "set-operations": [
        ("ZADD", "a", 1, "x", 2, "y", 3, "z"), ("ZADD", "b", 10, "y", 20, "z", 30, "w"),
        ("ZADD", "c", 5, "z"), ("ZUNION", 2, "a", "b", "WITHSCORES"), ("ZINTER", 2, "a", "b"),
        ("ZINTER", 2, "a", "b", "WEIGHTS", 2, 3, "AGGREGATE", "MAX", "WITHSCORES"),
        ("ZUNION", 3, "a", "b", "c", "AGGREGATE", "min", "WITHSCORES"),
        ("ZUNION", 2, "a", "b", "WEIGHTS", "inf", 0, "WITHSCORES"),
        ("ZUNION", 2, "a", "b", "WEIGHTS", "inf", "-inf", "WITHSCORES"),
        ("ZINTER", 2, "a", "b", "WEIGHTS", "inf", "-inf", "WITHSCORES"),
        ("ZINTER", 2, "a", "b", "WEIGHTS", 0, "inf", "AGGREGATE", "MIN", "WITHSCORES"),
        ("ZDIFF", 2, "a", "b", "WITHSCORES"), ("ZDIFF", 3, "a", "b", "c"), ("ZDIFF", 1, "missing"),
        ("ZDIFF", 2, "missing", "a"), ("ZINTER", 2, "a", "missing"), ("ZUNION", 2, "missing", "a"),
        ("ZUNIONSTORE", "u", 2, "a", "b"), ("ZRANGE", "u", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "i", 3, "a", "b", "c", "WEIGHTS", 1, 1, 1), ("ZRANGE", "i", 0, -1, "WITHSCORES"),
        ("ZDIFFSTORE", "d", 2, "a", "b"), ("ZRANGE", "d", 0, -1, "WITHSCORES"),
        ("ZINTERSTORE", "u", 2, "a", "missing"), ("EXISTS", "u"),
        ("ZINTERSTORE", "nothere", 2, "a", "missing"), ("ZUNIONSTORE", "a", 2, "a", "a"),
        ("ZRANGE", "a", 0, -1, "WITHSCORES"), ("ZINTERCARD", 2, "a", "b"),
        ("ZINTERCARD", 2, "a", "b", "LIMIT", 1), ("ZINTERCARD", 2, "a", "b", "LIMIT", 0),
        ("ZINTERCARD", 0, "a"), ("ZINTERCARD", 1, "a", "LIMIT", -1), ("ZINTERCARD", 1, "a", "LIMIT", "x"),
        ("ZINTERCARD", 2, "a"), ("ZINTERCARD", 1, "a", "WEIGHTS", 1),
        ("ZINTERSTORE", "d", 0, "a"), ("ZINTERSTORE", "d", -1, "a"), ("ZINTERSTORE", "d", 2, "a"),
        ("ZINTERSTORE", "d", 1, "a", "WEIGHTS"), ("ZINTERSTORE", "d", 1, "a", "WEIGHTS", "x"),
        ("ZINTERSTORE", "d", 1, "a", "AGGREGATE", "foo"), ("ZINTERSTORE", "d", 1, "a", "WITHSCORES"),
        ("ZUNION", 0, "a"), ("ZUNION", "x", "a"), ("ZUNION", 1, "a", "WEIGHTS", 1, 2),
        ("ZINTER", 1, "a", "foo"), ("ZDIFF", 1, "a", "WEIGHTS", 1), ("ZDIFF", 1, "a", "AGGREGATE", "SUM"),
        ("SET", "s", "x"), ("ZUNION", 2, "a", "s"), ("ZUNION", 2, "s", "a", "foo"),
        ("ZUNIONSTORE", "s", 1, "a"), ("TYPE", "s"), ("SET", "t", "x"), ("EXPIRE", "u", 100),
        ("ZUNIONSTORE", "u", 1, "a"), ("TTL", "u"),
    ],
    "sets-as-inputs": [
        ("ZADD", "z", 5, "x", 6, "y", 7, "w"),
        ("ZUNION", 2, "z", "set", "WITHSCORES"), ("ZINTER", 2, "set", "z", "WITHSCORES"),
        ("ZINTER", 2, "set", "z", "WEIGHTS", 2, 3, "AGGREGATE", "MIN", "WITHSCORES"),
        ("ZDIFF", 2, "set", "z", "WITHSCORES"), ("ZDIFF", 2, "z", "set"), ("ZINTERCARD", 2, "set", "z"),
        ("ZUNIONSTORE", "out", 2, "set", "ints"), ("ZRANGE", "out", 0, -1, "WITHSCORES"),
        ("OBJECT", "ENCODING", "out"), ("ZINTERSTORE", "out", 1, "set", "WEIGHTS", 2.5),
        ("ZRANGE", "out", 0, -1, "WITHSCORES"), ("ZRANGE", "set", 0, -1), ("ZSCORE", "set", "x"),
        ("HSET", "h", "f", 1), ("ZUNION", 2, "z", "h"), ("RPUSH", "list", "x"), ("ZINTER", 2, "list", "z"),
    ],
    "store-and-encodings": [
        ("CONFIG", "SET", "zset-max-listpack-entries", 3), ("ZADD", "z", 1, "a", 2, "b"),
        ("OBJECT", "ENCODING", "z"), ("ZADD", "z", 3, "c"), ("OBJECT", "ENCODING", "z"),
        ("ZADD", "z", 4, "d"), ("OBJECT", "ENCODING", "z"), ("ZREM", "z", "a", "b", "c"),
        ("OBJECT", "ENCODING", "z"), ("ZUNIONSTORE", "u", 1, "z"), ("OBJECT", "ENCODING", "u"),
        ("ZADD", "long", 1, "x" * 65), ("OBJECT", "ENCODING", "long"),
        ("CONFIG", "SET", "zset-max-ziplist-value", 100), ("ZADD", "long2", 1, "x" * 65),
        ("OBJECT", "ENCODING", "long2"), ("CONFIG", "SET", "zset-max-ziplist-entries", 0),
        ("ZADD", "e", 1, "a", -0.0, "nz"), ("OBJECT", "ENCODING", "e"), ("ZSCORE", "e", "nz"),
        ("ZRANGESTORE", "f", "e", 0, -1), ("OBJECT", "ENCODING", "f"),
        ("CONFIG", "SET", "zset-max-listpack-entries", 128), ("ZRANGESTORE", "f", "e", 0, -1),
        ("OBJECT", "ENCODING", "f"), ("ZSCORE", "f", "nz"), ("COPY", "e", "e2"),
        ("OBJECT", "ENCODING", "e2"), ("ZRANGE", "e2", 0, -1, "WITHSCORES"), ("RENAME", "e2", "e3"),
        ("OBJECT", "ENCODING", "e3"), ("TYPE", "e3"), ("ZADD", "n", "-0", "nz"), ("ZSCORE", "n", "nz"),
        ("ZRANGESTORE", "r", "z", 0, -1, "WITHSCORES"), ("ZRANGESTORE", "r", "z", "(1", "+inf", "BYSCORE",
                                                           "LIMIT", 0, 1),
        ("ZRANGE", "r", 0, -1, "WITHSCORES"), ("ZRANGESTORE", "r", "missing", 0, -1), ("EXISTS", "r"),
        ("ZRANGESTORE", "r", "z", "[a", "+", "BYLEX", "REV"), ("ZRANGESTORE", "r", "z", 5, 1),
        ("SET", "s", "x"), ("ZRANGESTORE", "r", "s", 0, -1), ("ZRANGESTORE", "s", "z", 0, -1),
        ("TYPE", "s"),
    ],
    "wrong-types-and-arity": [
        ("SET", "s", "x"), ("ZADD", "s", 1, "a"), ("ZINCRBY", "s", 1, "a"), ("ZREM", "s", "a"),
        ("ZSCORE", "s", "a"), ("ZMSCORE", "s", "a"), ("ZCARD", "s"), ("ZCOUNT", "s", 0, 1),
        ("ZCOUNT", "s", "a", 1), ("ZLEXCOUNT", "s", "-", "+"), ("ZRANGE", "s", 0, 1),
        ("ZRANGE", "s", "x", 1), ("ZRANK", "s", "a"), ("ZREVRANK", "s", "a"),
        ("ZREMRANGEBYRANK", "s", 0, 1), ("ZREMRANGEBYSCORE", "s", 0, 1), ("ZREMRANGEBYLEX", "s", "-", "+"),
        ("ZPOPMIN", "s"), ("ZPOPMAX", "s", 2), ("ZRANDMEMBER", "s"), ("ZRANDMEMBER", "s", 2),
        ("ZSCAN", "s", 0), ("ZSCAN", "s", "x"), ("ZSCAN", "missing", 0, "foo"),
        ("ZADD", "z"), ("ZCARD",), ("ZSCORE", "z"), ("ZRANGE", "z", 0), ("ZRANK", "z", "a", "b"),
        ("ZMPOP", 1), ("ZUNION", 1), ("ZINTERCARD", 1), ("ZDIFFSTORE", "d", 1),
    ],
    "random-and-scan": [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c"), ("ZRANDMEMBER", "missing"),
        ("ZRANDMEMBER", "missing", 2), ("ZRANDMEMBER", "missing", -2, "WITHSCORES"),
        ("ZRANDMEMBER", "z", 0), ("ZRANDMEMBER", "z", "x"), ("ZRANDMEMBER", "z", 1, "foo"),
        ("ZRANDMEMBER", "z", 1, "WITHSCORES", "x"), ("ZRANDMEMBER", "z", LONG_MIN),
        ("ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"),
        ("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"),
        ("ZSCAN", "z", 0), ("ZSCAN", "z", 0, "MATCH", "[ab]"), ("ZSCAN", "z", 0, "COUNT", 1),
        ("ZSCAN", "z", 0, "COUNT", 0), ("ZSCAN", "z", 0, "foo"), ("ZSCAN", "z", "x"),
        ("ZSCAN", "z", 0, "TYPE", "zset"), ("ZSCAN", "z", 123),
    ],
}


# Keys other types own, made before a scenario (and outside its counters).
SETUPS: dict[str, list[Command]] = {
    "sets-as-inputs": [("SADD", "set", "x", "y", "q"), ("SADD", "ints", 1, 2, 3)],
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_zset_scenario_replies_match_redis(pair: tuple[int, int], name: str,  # noqa: F811
                                           protocol: int) -> None:
    assert_same_replies(pair, SETUPS.get(name, []) + SCENARIOS[name], protocol)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_zset_scenario_hits_misses_and_changes_match_redis(pair: tuple[int, int],  # noqa: F811
                                                           name: str) -> None:
    found = []
    for port in pair:
        exchange(port, SETUPS.get(name, []), protocol=2)
        found.append(counters(port, SCENARIOS[name]))
    assert found[0] == found[1]


@pytest.mark.parametrize("protocol", [2, 3])
def test_random_members_agree_where_redis_is_determined(pair: tuple[int, int],  # noqa: F811
                                                        protocol: int) -> None:
    setup: list[Command] = [("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d")]
    probes: list[Command] = [("ZRANDMEMBER", "z", 10), ("ZRANDMEMBER", "z", 4, "WITHSCORES"),
                             ("ZRANDMEMBER", "z", 2), ("ZRANDMEMBER", "z", -7, "WITHSCORES"),
                             ("ZRANDMEMBER", "z")]
    shapes = []
    for port in pair:
        _hello, _zadd, whole, whole_scored, distinct, repeated, single = replies_to(
            port, ("HELLO", protocol), *setup, *probes)
        assert len(set(distinct)) == 2 and set(distinct) <= set(whole)
        assert single in whole
        shapes.append((sorted(whole), sorted(map(repr, whole_scored)), len(repeated)))
    assert shapes[0] == shapes[1]


def test_large_skiplist_sets_rank_and_range_as_redis_does(
        pair: tuple[int, int]) -> None:  # noqa: F811
    """Thousands of members span many blocks of the ranked list."""
    commands: list[Command] = []
    for start in range(0, 3000, 500):
        pairs: list[object] = []
        for i in range(start, start + 500):
            pairs += [(i * 7919) % 1000 / 8, f"m{i}"]
        commands.append(("ZADD", "big", *pairs))
    commands += [("OBJECT", "ENCODING", "big"), ("ZCARD", "big")]
    commands += [("ZRANK", "big", f"m{i}") for i in (0, 1, 777, 1500, 2999)]
    commands += [("ZREVRANK", "big", f"m{i}") for i in (3, 1234)]
    commands += [("ZRANGE", "big", start, stop, "WITHSCORES") for start, stop in
                 ((0, 10), (1000, 1100), (-700, -650), (2990, 5000), (1500, 1499))]
    commands += [("ZRANGEBYSCORE", "big", 10, "(12.5", "WITHSCORES"),
                 ("ZREVRANGEBYSCORE", "big", 100, 90, "LIMIT", 5, 20), ("ZCOUNT", "big", 30, 60),
                 ("ZREMRANGEBYRANK", "big", 100, 1100), ("ZRANK", "big", "m5"),
                 ("ZREMRANGEBYSCORE", "big", 50, 70), ("ZCARD", "big"),
                 ("ZPOPMIN", "big", 300), ("ZPOPMAX", "big", 300), ("ZRANGE", "big", 0, -1),
                 ("ZINTERSTORE", "half", 1, "big", "WEIGHTS", 0.5), ("OBJECT", "ENCODING", "half"),
                 ("ZRANGE", "half", 200, 260, "WITHSCORES")]
    same_score = [("ZADD", "lex", *[x for i in range(400) for x in (0, f"w{i:04d}")])]
    commands += same_score + [("ZRANGEBYLEX", "lex", "[w0100", "(w0150"),
                              ("ZREVRANGEBYLEX", "lex", "(w0300", "-", "LIMIT", 10, 5),
                              ("ZLEXCOUNT", "lex", "(w0001", "+"),
                              ("ZREMRANGEBYLEX", "lex", "[w0200", "[w0299"), ("ZCARD", "lex")]
    assert_same_replies(pair, commands, protocol=2)


def test_logged_zset_commands_match_redis_aof() -> None:
    """What reaches the AOF: as sent, except ZMPOP as ZPOPMIN/ZPOPMAX with the count
    popped, and nothing for commands that changed nothing."""
    script: list[Command] = [
        ("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e"), ("ZADD", "z", 1, "a"),
        ("ZADD", "z", "XX", 1, "nope"), ("ZADD", "z", "NX", "INCR", 1, "a"), ("ZINCRBY", "z", 1, "a"),
        ("ZREM", "z", "nope"), ("ZREM", "z", "e"), ("ZPOPMIN", "z", 0), ("ZPOPMIN", "missing"),
        ("ZPOPMIN", "z"), ("ZPOPMAX", "z", 1), ("ZMPOP", 2, "missing", "z", "MIN", "COUNT", 10),
        ("ZADD", "z", 1, "a", 2, "b", 3, "c"), ("ZMPOP", 1, "z", "MAX"), ("ZREMRANGEBYRANK", "z", 5, 9),
        ("ZREMRANGEBYSCORE", "z", 100, 200), ("ZREMRANGEBYLEX", "z", "[x", "[y"),
        ("ZUNIONSTORE", "u", 1, "z"), ("ZINTERSTORE", "none", 2, "z", "missing"),
        ("ZINTERSTORE", "u", 2, "z", "missing"), ("ZRANGESTORE", "r", "z", 0, 0),
        ("ZRANGESTORE", "r2", "missing", 0, -1), ("ZDIFFSTORE", "d", 1, "z"),
        ("ZREMRANGEBYRANK", "z", 0, -1),
    ]
    logs = logged_by_both(script)
    assert [line.lower() for line in logs[0]] == [line.lower() for line in logs[1]]
    assert "ZPOPMIN z 2" in logs[0] and "ZPOPMAX z 1" in logs[0]


# ------------------------------------------------------------------ random sequences

KEYS = st.sampled_from(["a", "b", "s"])  # "s" is set to a string first, for WRONGTYPE
MEMBERS = st.sampled_from(["x", "y", "z", "", "w"])
SCORES = st.sampled_from(["0", "1", "-1", "2.5", "inf", "-inf", "1e3", "(1", "x"])
BOUNDS = st.sampled_from(["-inf", "+inf", "0", "(0", "1", "(2.5", "3", "x"])
LEX = st.sampled_from(["-", "+", "[x", "(x", "[y", "(z", "[", "x"])
INDEXES = st.integers(-4, 4)
COMMANDS = st.one_of(
    st.tuples(st.just("ZADD"), KEYS, SCORES, MEMBERS),
    st.tuples(st.just("ZADD"), KEYS, st.sampled_from(["NX", "XX", "GT", "LT", "CH", "INCR"]),
              SCORES, MEMBERS),
    st.tuples(st.just("ZADD"), KEYS, SCORES, MEMBERS, SCORES, MEMBERS),
    st.tuples(st.just("ZINCRBY"), KEYS, SCORES, MEMBERS),
    st.tuples(st.just("ZREM"), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.sampled_from(["ZSCORE", "ZRANK", "ZREVRANK"]), KEYS, MEMBERS),
    st.tuples(st.just("ZMSCORE"), KEYS, MEMBERS, MEMBERS),
    st.tuples(st.just("ZCARD"), KEYS),
    st.tuples(st.sampled_from(["ZCOUNT", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE",
                               "ZREMRANGEBYSCORE"]), KEYS, BOUNDS, BOUNDS),
    st.tuples(st.sampled_from(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), KEYS, BOUNDS, BOUNDS,
              st.just("WITHSCORES"), st.just("LIMIT"), st.integers(-1, 2), st.integers(-1, 2)),
    # Lex ranges assume equal scores (Redis's skiplist answers others by chance), so they
    # get a key of their own where every score is 0.
    st.tuples(st.just("ZADD"), st.just("l"), st.just(0), MEMBERS, st.just(0), MEMBERS),
    st.tuples(st.sampled_from(["ZLEXCOUNT", "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZREMRANGEBYLEX"]),
              st.just("l"), LEX, LEX),
    st.tuples(st.sampled_from(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), st.just("l"), LEX, LEX,
              st.just("LIMIT"), st.integers(-1, 2), st.integers(-1, 2)),
    st.tuples(st.sampled_from(["ZRANGE", "ZREVRANGE", "ZREMRANGEBYRANK"]), KEYS, INDEXES, INDEXES),
    st.tuples(st.just("ZRANGE"), KEYS, INDEXES, INDEXES, st.just("REV"), st.just("WITHSCORES")),
    st.tuples(st.just("ZRANGESTORE"), KEYS, KEYS, BOUNDS, BOUNDS, st.just("BYSCORE")),
    st.tuples(st.sampled_from(["ZPOPMIN", "ZPOPMAX"]), KEYS),
    st.tuples(st.sampled_from(["ZPOPMIN", "ZPOPMAX"]), KEYS, st.integers(-1, 3)),
    st.tuples(st.just("ZMPOP"), st.just(2), KEYS, KEYS, st.sampled_from(["MIN", "MAX"]),
              st.just("COUNT"), st.integers(1, 3)),
    st.tuples(st.sampled_from(["ZUNION", "ZINTER", "ZDIFF"]), st.just(2), KEYS, KEYS,
              st.just("WITHSCORES")),
    st.tuples(st.sampled_from(["ZUNIONSTORE", "ZINTERSTORE"]), KEYS, st.just(2), KEYS, KEYS,
              st.just("WEIGHTS"), SCORES, SCORES, st.just("AGGREGATE"),
              st.sampled_from(["SUM", "MIN", "MAX"])),
    st.tuples(st.just("ZDIFFSTORE"), KEYS, st.just(2), KEYS, KEYS),
    st.tuples(st.just("ZINTERCARD"), st.just(2), KEYS, KEYS),
    st.tuples(st.just("OBJECT"), st.just("ENCODING"), KEYS),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(COMMANDS, min_size=1, max_size=40), st.sampled_from([2, 3]),
       st.sampled_from([0, 2, 128]))
def test_random_zset_command_sequences_match_redis(pair: tuple[int, int],  # noqa: F811
                                                   commands: list[Command], protocol: int,
                                                   max_listpack_entries: int) -> None:
    script: list[Command] = [
        ("FLUSHALL",), ("CONFIG", "SET", "zset-max-listpack-entries", max_listpack_entries),
        ("SET", "s", "string"), *commands,
        ("ZRANGE", "a", 0, -1, "WITHSCORES"), ("ZRANGE", "b", 0, -1, "WITHSCORES"),
        ("ZRANGE", "l", 0, -1), ("DBSIZE",),
        ("CONFIG", "SET", "zset-max-listpack-entries", 128),
    ]
    assert_same_replies(pair, script, protocol)
