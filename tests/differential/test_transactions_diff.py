"""Transactions, the blocking commands' immediate forms and single-connection pub/sub,
EmberKV against the real redis-server 7.0.15: every reply byte-for-byte in RESP2 and
RESP3, and what reaches the AOF (a transaction as MULTI ... EXEC when it wrote more
than one command, blocking commands as their non-blocking forms)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.differential.test_strings_diff import (  # noqa: F401 (pair is a fixture)
    Command, assert_same_replies, exchange, pair,
)
from tests.persistence.helpers import aof_server, commands_in, normalized, temp_dir
from tests.servers import ServerProcess

pytestmark = pytest.mark.needs_redis_server

SCENARIOS: dict[str, list[Command]] = {
    "multi-exec-basics": [
        ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("EXEC",),
        ("MULTI",), ("EXEC",), ("EXEC",), ("DISCARD",), ("MULTI",), ("MULTI",),
        ("SET", "a", "2"), ("DISCARD",), ("GET", "a"),
    ],
    "run-time-errors-stay-per-command": [
        ("SET", "s", "str"), ("MULTI",), ("LPUSH", "s", "x"), ("INCR", "s"), ("SET", "b", "1"),
        ("SET", "a", "b", "c"), ("EXEC",), ("GET", "b"),
    ],
    "queue-time-errors-abort": [
        ("MULTI",), ("SET", "a", "1"), ("GET",), ("NOPE", "x"), ("EXEC",), ("EXISTS", "a"),
        ("MULTI",), ("SHUTDOWN",), ("EXEC",), ("MULTI",), ("WATCH", "a"), ("SET", "a", "1"),
        ("EXEC",), ("GET", "a"), ("MULTI",), ("UNWATCH",), ("PING",), ("EXEC",),
    ],
    "watch": [
        ("WATCH", "w"), ("SET", "w", "1"), ("MULTI",), ("SET", "x", "1"), ("EXEC",),
        ("EXISTS", "x"), ("WATCH", "w"), ("MULTI",), ("SET", "x", "2"), ("EXEC",), ("GET", "x"),
        ("WATCH", "w"), ("UNWATCH",), ("SET", "w", "2"), ("MULTI",), ("SET", "x", "3"),
        ("EXEC",), ("GET", "x"), ("WATCH", "nokey"), ("DEL", "nokey"), ("MULTI",),
        ("PING",), ("EXEC",), ("WATCH", "w"), ("GET", "w"), ("MULTI",), ("PING",), ("EXEC",),
    ],
    "watch-flush-and-swap": [
        ("SET", "w", "1"), ("WATCH", "w"), ("FLUSHDB",), ("MULTI",), ("PING",), ("EXEC",),
        ("WATCH", "absent"), ("FLUSHALL",), ("MULTI",), ("PING",), ("EXEC",),
        ("SELECT", 1), ("SET", "w", "x"), ("SELECT", 0), ("WATCH", "w"), ("SWAPDB", 0, 1),
        ("MULTI",), ("PING",), ("EXEC",), ("WATCH", "zz"), ("SWAPDB", 0, 1), ("MULTI",),
        ("PING",), ("EXEC",), ("FLUSHALL",),
    ],
    "blocking-immediate": [
        ("RPUSH", "l", "a", "b", "c", "d", "e", "f"), ("BLPOP", "nokey", "l", 0),
        ("BRPOP", "l", 0), ("BLMOVE", "l", "m", "LEFT", "right", 0),
        ("BRPOPLPUSH", "l", "m", 0), ("BLMPOP", 0, 2, "x", "l", "LEFT", "COUNT", 5),
        ("EXISTS", "l"), ("LRANGE", "m", 0, -1), ("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d"),
        ("BZPOPMIN", "z", 0), ("BZPOPMAX", "nokey", "z", 0), ("BZMPOP", 0, 1, "z", "MIN"),
        ("BZMPOP", "0.5", 2, "q", "z", "MAX", "COUNT", 3), ("EXISTS", "z"),
        ("SET", "s", "1"), ("BLPOP", "s", 0), ("BZPOPMIN", "s", 0), ("BLMOVE", "s", "d", "LEFT", "LEFT", 0),
        ("BLMPOP", 0, 1, "s", "LEFT"), ("BZMPOP", 0, 1, "s", "MIN"), ("RPUSH", "m2", "x"),
        ("BLMOVE", "m2", "s", "LEFT", "LEFT", 0), ("LRANGE", "m2", 0, -1),
    ],
    "blocking-argument-errors": [
        ("BLPOP", "l", -1), ("BLPOP", "l", "abc"), ("BLPOP", "l", "inf"), ("BLPOP", "l", "1e400"),
        ("BLPOP", "l", "1e5000"), ("BLPOP", "l", " 1"), ("BLPOP", "l", "nan"), ("BLPOP", "l", ""),
        ("BLPOP", "l"), ("BLMOVE", "a", "b", "UP", "LEFT", 0), ("BLMOVE", "a", "b", "LEFT", "LEFT", -1),
        ("BLMPOP", 0, 0, "a", "LEFT"), ("BLMPOP", -1, 1, "a", "LEFT"), ("BLMPOP", 0, 1, "a", "UP"),
        ("BLMPOP", 0, 1, "a", "LEFT", "COUNT", 0), ("BLMPOP", 0, 1, "a", "LEFT", "COUNT", 1, "x"),
        ("BLMPOP", 0, 3, "a", "LEFT"), ("BZMPOP", 0, 1, "a", "LEFT"), ("BZMPOP", "x", 1, "a", "MIN"),
        ("BZPOPMIN", "z", "-0.5"), ("BZPOPMAX", "z"), ("BRPOPLPUSH", "a", "b", "x"),
    ],
    "blocking-inside-multi": [
        ("MULTI",), ("BLPOP", "nokey", 0), ("BRPOP", "nokey", 0), ("BLMOVE", "nokey", "x", "LEFT", "LEFT", 0),
        ("BRPOPLPUSH", "nokey", "x", 0), ("BLMPOP", 0, 1, "nokey", "LEFT"), ("BZPOPMIN", "nokey", 0),
        ("BZPOPMAX", "nokey", 0), ("BZMPOP", 0, 1, "nokey", "MAX"), ("RPUSH", "l", "a"),
        ("BLPOP", "l", 0), ("EXEC",),
    ],
    # (Unsubscribing from several channels at once is left out: Redis walks its hash
    # table, whose order depends on a per-process seed.)
    "pubsub-single-connection": [
        ("PUBLISH", "ch", "hello"), ("SPUBLISH", "ch", "x"), ("PUBSUB", "NUMPAT"),
        ("PUBSUB", "NUMSUB", "a", "b"), ("PUBSUB", "CHANNELS"), ("PUBSUB", "CHANNELS", "*", "x"),
        ("PUBSUB", "SHARDNUMSUB"), ("PUBSUB", "SHARDCHANNELS", "x*"), ("PUBSUB", "HELP"),
        ("PUBSUB", "NOPE"), ("PUBSUB", "NUMPAT", "x"), ("UNSUBSCRIBE",), ("PUNSUBSCRIBE",),
        ("SUNSUBSCRIBE",), ("SUBSCRIBE", "a", "b", "a"), ("PSUBSCRIBE", "p*", "q?"),
        ("SSUBSCRIBE", "s1"), ("PING",), ("PING", "hi"), ("GET", "x"), ("CLIENT", "GETNAME"),
        ("PUNSUBSCRIBE", "p*", "zz"), ("UNSUBSCRIBE", "a"), ("UNSUBSCRIBE",), ("PUNSUBSCRIBE",), ("GET", "x"),
        ("SUNSUBSCRIBE", "s1"), ("GET", "x"),
    ],
    "pubsub-reset": [
        ("SUBSCRIBE", "a"), ("MULTI",), ("RESET",), ("GET", "x"), ("MULTI",), ("SET", "k", "v"),
        ("RESET",), ("EXEC",), ("GET", "k"),
    ],
    "subscribe-inside-multi-and-auth": [
        ("MULTI",), ("PUBLISH", "c", "m"), ("PUBSUB", "NUMSUB", "c"), ("EXEC",),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
@pytest.mark.parametrize("protocol", [2, 3])
def test_scenario_replies_match_redis(pair: tuple[int, int], name: str, protocol: int) -> None:
    assert_same_replies(pair, SCENARIOS[name], protocol)


def test_watched_key_expiring_fails_exec_unless_already_expired_at_watch(
        pair: tuple[int, int]) -> None:  # noqa: F811
    """Redis 7.0: a key expired (but not yet deleted) when WATCHed does not fail EXEC by
    expiring; one alive at WATCH that expires before EXEC does."""
    results = []
    for port in pair:
        connection = redis.Connection(port=port, protocol=2, socket_timeout=5)

        def call(*args: object) -> object:
            connection.send_command(*args)
            return connection.read_response()

        call("SET", "e", "1", "PX", 1)
        time.sleep(0.02)
        call("WATCH", "e")
        call("MULTI")
        call("PING")
        first = call("EXEC")
        call("SET", "f", "1", "PX", 200)
        call("WATCH", "f")
        time.sleep(0.3)
        call("MULTI")
        call("PING")
        second = call("EXEC")
        connection.disconnect()
        results.append((first, second))
    assert results[0] == results[1] == ([b"PONG"], None)


def test_logged_transactions_and_blocking_forms_match_redis_aof() -> None:
    """A transaction with one write is logged alone, with several as MULTI ... EXEC (a
    SELECT before MULTI, none before EXEC); blocking commands as their plain forms."""
    script: list[Command] = [
        ("MULTI",), ("SET", "a", "1"), ("EXEC",), ("MULTI",), ("SET", "a", "1"),
        ("SET", "b", "2"), ("GET", "a"), ("EXEC",), ("MULTI",), ("GET", "a"), ("EXEC",),
        ("SELECT", 3), ("MULTI",), ("SET", "x", "1"), ("SELECT", 4), ("SET", "y", "1"),
        ("EXEC",), ("SELECT", 0),
        ("RPUSH", "l", "a", "b", "c", "d", "e", "f"), ("BLPOP", "l", 0), ("BRPOP", "l", 0),
        ("BLMOVE", "l", "m", "left", "LEFT", 0), ("BRPOPLPUSH", "l", "m", 0),
        ("BLMPOP", 0, 1, "l", "LEFT", "COUNT", 2), ("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d"),
        ("BZPOPMIN", "z", 0), ("BZPOPMAX", "z", 0), ("BZMPOP", 0, 1, "z", "MIN", "COUNT", 5),
        ("MULTI",), ("RPUSH", "q", "1"), ("BLPOP", "q", 0), ("BLPOP", "q", 0), ("EXEC",),
    ]
    logs = []
    for kind in ("emberkv", "redis"):
        directory = temp_dir()
        server = (aof_server(directory) if kind == "emberkv" else
                  ServerProcess("redis", ["--appendonly", "yes"], directory=directory))
        with server.start():
            exchange(server.port, script, protocol=2)
            server.stop()
            logs.append(normalized(commands_in(
                Path(directory) / "appendonlydir" / "appendonly.aof.1.incr.aof")))
    assert logs[0] == logs[1]
    assert "MULTI" in logs[0]


def test_served_blocking_commands_are_logged_as_redis_logs_them() -> None:
    """A client served later is logged after the command that woke it, in the
    non-blocking form with Redis's lowercase LEFT/RIGHT for BLMOVE."""
    waits: list[tuple[object, ...]] = [
        ("BLPOP", "l1", 0), ("BLMOVE", "s", "d", "LEFT", "RIGHT", 0), ("BLPOP", "d", 0),
        ("BZPOPMIN", "z", 0), ("BLMPOP", 0, 2, "q", "l2", "RIGHT", "COUNT", 5),
        ("BRPOPLPUSH", "s2", "d2", 0), ("BZMPOP", 0, 1, "z2", "MAX", "COUNT", 2),
    ]
    pushes: list[Command] = [
        ("SET", "l1", "str"), ("DEL", "l1"), ("RPUSH", "l1", "a", "b"), ("RPUSH", "s", "x", "y"),
        ("ZADD", "z", 1, "m", 2, "n"), ("RPUSH", "l2", 1, 2, 3), ("RPUSH", "s2", "p"),
        ("ZADD", "z2", 1, "a", 2, "b", 3, "c"), ("MULTI",), ("RPUSH", "l1", "c"),
        ("EXEC",),
    ]
    logs = []
    for kind in ("emberkv", "redis"):
        directory = temp_dir()
        server = (aof_server(directory) if kind == "emberkv" else
                  ServerProcess("redis", ["--appendonly", "yes"], directory=directory))
        with server.start():
            client = server.client(protocol=2)
            waiters = []
            for count, command in enumerate(waits, start=1):
                waiter = redis.Connection(port=server.port, protocol=2, socket_timeout=5)
                waiter.send_command(*command)
                waiters.append(waiter)
                _wait_until_blocked(client, count)
            exchange(server.port, pushes, protocol=2)
            replies = [waiter.read_response() for waiter in waiters]
            assert replies[0] == [b"l1", b"a"] and replies[2] == [b"d", b"x"]
            for waiter in waiters:
                waiter.disconnect()
            client.close()
            server.stop()
            logs.append(normalized(commands_in(
                Path(directory) / "appendonlydir" / "appendonly.aof.1.incr.aof")))
    assert logs[0] == logs[1]


def _wait_until_blocked(client: redis.Redis, count: int) -> None:
    deadline = time.monotonic() + 5
    while int(client.info("clients")["blocked_clients"]) < count:
        assert time.monotonic() < deadline
        time.sleep(0.01)


# ------------------------------------------------------------------ random sequences

KEYS = st.sampled_from(["a", "b", "s"])  # "s" holds a string first, for WRONGTYPE
VALUES = st.sampled_from(["x", "1", ""])
ENDS = st.sampled_from(["LEFT", "RIGHT"])
# Blocking commands only with a key list that may hold data, and a 0 timeout only inside
# MULTI (where they never block); outside, "0.001" times out at once on both servers.
TIMEOUTS = st.sampled_from(["0.001"])
RANDOM_COMMANDS = st.one_of(
    st.tuples(st.sampled_from(["MULTI", "EXEC", "DISCARD", "UNWATCH"])),
    st.tuples(st.just("WATCH"), KEYS),
    st.tuples(st.sampled_from(["RPUSH", "LPUSH"]), KEYS, VALUES),
    st.tuples(st.sampled_from(["LPOP", "GET", "DEL", "INCR", "EXISTS"]), KEYS),
    st.tuples(st.just("SET"), KEYS, VALUES),
    st.tuples(st.just("ZADD"), KEYS, st.integers(0, 3), VALUES),
    st.tuples(st.sampled_from(["BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX"]), KEYS, TIMEOUTS),
    st.tuples(st.just("BLMOVE"), KEYS, KEYS, ENDS, ENDS, TIMEOUTS),
    st.tuples(st.just("BLMPOP"), TIMEOUTS, st.just(2), KEYS, KEYS, ENDS),
    st.tuples(st.just("BZMPOP"), TIMEOUTS, st.just(1), KEYS, st.sampled_from(["MIN", "MAX"])),
    st.tuples(st.just("GET")),  # an arity error: inside MULTI it aborts the transaction
    st.tuples(st.just("PUBLISH"), KEYS, VALUES),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(RANDOM_COMMANDS, min_size=1, max_size=25), st.sampled_from([2, 3]))
def test_random_transaction_sequences_match_redis(pair: tuple[int, int],  # noqa: F811
                                                  commands: list[Command],
                                                  protocol: int) -> None:
    script: list[Command] = [("FLUSHALL",), ("SET", "s", "string"), *commands, ("DISCARD",),
                             ("LRANGE", "a", 0, -1), ("LRANGE", "b", 0, -1), ("DBSIZE",)]
    assert_same_replies(pair, script, protocol)
