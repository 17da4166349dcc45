"""Blocking commands with several connections, against EmberKV and redis-server alike
(`both`): wake-ups by pushes (also inside MULTI/EXEC and from another client's
BLMOVE), first-come first-served order, timeouts, pipelined requests waiting behind a
blocked one, keys deleted or changing type, CLIENT UNBLOCK, and redis-py's own API."""

from __future__ import annotations

import time
from typing import Any, Iterator

import pytest
import redis

from tests.servers import ServerProcess


def _port(client: redis.Redis) -> int:
    return int(client.connection_pool.connection_kwargs["port"])


class Waiter:
    """A raw connection that sends without waiting for the reply."""

    def __init__(self, port: int, protocol: int = 2) -> None:
        self.connection = redis.Connection(port=port, protocol=protocol, socket_timeout=5)
        self.connection.connect()

    def send(self, *args: Any) -> None:
        self.connection.send_command(*args)

    def has_reply(self, wait_s: float = 0.05) -> bool:
        return bool(self.connection.can_read(timeout=wait_s))

    def reply(self) -> Any:
        return self.connection.read_response()

    def client_id(self) -> int:
        self.send("CLIENT", "ID")
        return int(self.reply())

    def close(self) -> None:
        self.connection.disconnect()


@pytest.fixture
def waiters(both: redis.Redis) -> Iterator[list[Waiter]]:
    made: list[Waiter] = []
    yield made
    for waiter in made:
        waiter.close()


def _waiter(both: redis.Redis, waiters: list[Waiter], protocol: int = 2) -> Waiter:
    waiter = Waiter(_port(both), protocol)
    waiters.append(waiter)
    return waiter


def _wait_blocked(both: redis.Redis, count: int) -> None:
    deadline = time.monotonic() + 5
    while int(both.info("clients")["blocked_clients"]) < count:
        assert time.monotonic() < deadline, "clients did not block"
        time.sleep(0.01)


def test_push_serves_blocked_clients_first_come_first_served(
        both: redis.Redis, waiters: list[Waiter]) -> None:
    first, second, third = (_waiter(both, waiters) for _ in range(3))
    first.send("BLPOP", "l", 0)
    _wait_blocked(both, 1)
    second.send("BRPOP", "other", "l", 0)
    _wait_blocked(both, 2)
    third.send("BLPOP", "l", 0)
    _wait_blocked(both, 3)
    assert not first.has_reply()
    assert both.rpush("l", "a", "b") == 2
    assert first.reply() == [b"l", b"a"]
    assert second.reply() == [b"l", b"b"]
    assert not third.has_reply()
    assert both.exists("l") == 0
    both.lpush("l", "c")
    assert third.reply() == [b"l", b"c"]
    assert int(both.info("clients")["blocked_clients"]) == 0


def test_timeout_answers_null(both: redis.Redis, waiters: list[Waiter]) -> None:
    waiter = _waiter(both, waiters)
    started = time.monotonic()
    waiter.send("BLPOP", "l", "0.2")
    assert waiter.reply() is None
    assert 0.15 < time.monotonic() - started < 2
    waiter.send("BLMOVE", "l", "m", "LEFT", "LEFT", "0.05")
    assert waiter.reply() is None
    waiter.send("BZPOPMIN", "z", "0.05")
    assert waiter.reply() is None


def test_pipelined_requests_wait_behind_a_blocked_command(
        both: redis.Redis, waiters: list[Waiter]) -> None:
    waiter = _waiter(both, waiters)
    waiter.send("BLPOP", "l", 0)
    waiter.send("SET", "after", "1")
    waiter.send("GET", "after")
    _wait_blocked(both, 1)
    assert not waiter.has_reply(0.1)
    assert both.get("after") is None  # the SET behind BLPOP has not run
    both.rpush("l", "x")
    assert waiter.reply() == [b"l", b"x"]
    assert waiter.reply() == b"OK"
    assert waiter.reply() == b"1"


def test_push_inside_exec_serves_after_the_transaction(
        both: redis.Redis, waiters: list[Waiter]) -> None:
    waiter = _waiter(both, waiters)
    waiter.send("BLPOP", "l", 0)
    _wait_blocked(both, 1)
    with both.pipeline(transaction=True) as pipe:
        pipe.rpush("l", "a").lpop("l").execute()
    assert not waiter.has_reply(0.1)  # pushed then popped within EXEC: nothing left
    with both.pipeline(transaction=True) as pipe:
        assert pipe.rpush("l", "b", "c").llen("l").execute() == [2, 2]
    assert waiter.reply() == [b"l", b"b"]
    assert both.lrange("l", 0, -1) == [b"c"]


def test_blmove_serves_a_client_blocked_on_its_destination(
        both: redis.Redis, waiters: list[Waiter]) -> None:
    mover, reader = _waiter(both, waiters), _waiter(both, waiters)
    mover.send("BLMOVE", "src", "dst", "LEFT", "RIGHT", 0)
    _wait_blocked(both, 1)
    reader.send("BLPOP", "dst", 0)
    _wait_blocked(both, 2)
    both.rpush("src", "x", "y")
    assert mover.reply() == b"x"
    assert reader.reply() == [b"dst", b"x"]
    assert both.lrange("src", 0, -1) == [b"y"]
    assert both.exists("dst") == 0


def test_wrong_type_or_deleted_key_keeps_the_client_blocked(
        both: redis.Redis, waiters: list[Waiter]) -> None:
    waiter = _waiter(both, waiters)
    waiter.send("BLPOP", "k", 0)
    _wait_blocked(both, 1)
    both.set("k", "string")
    assert not waiter.has_reply(0.1)
    both.delete("k")
    both.zadd("k", {"m": 1})
    assert not waiter.has_reply(0.1)
    both.delete("k")
    both.rpush("k", "v")
    assert waiter.reply() == [b"k", b"v"]


def test_sorted_set_pops_wake_on_zadd(both: redis.Redis, waiters: list[Waiter]) -> None:
    low, multi = _waiter(both, waiters), _waiter(both, waiters)
    low.send("BZPOPMIN", "z", 0)
    _wait_blocked(both, 1)
    multi.send("BZMPOP", 0, 1, "z", "MAX", "COUNT", 5)
    _wait_blocked(both, 2)
    both.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert low.reply() == [b"z", b"a", b"1"]
    assert multi.reply() == [b"z", [[b"c", b"3"], [b"b", b"2"]]]


def test_blmpop_wakes_with_count(both: redis.Redis, waiters: list[Waiter]) -> None:
    waiter = _waiter(both, waiters)
    waiter.send("BLMPOP", 0, 2, "a", "b", "RIGHT", "COUNT", 2)
    _wait_blocked(both, 1)
    both.rpush("b", 1, 2, 3)
    assert waiter.reply() == [b"b", [b"3", b"2"]]


def test_client_unblock(both: redis.Redis, waiters: list[Waiter]) -> None:
    waiter = _waiter(both, waiters)
    client_id = waiter.client_id()
    assert both.client_unblock(client_id) == 0
    waiter.send("BLPOP", "l", 0)
    _wait_blocked(both, 1)
    assert both.client_unblock(client_id) == 1
    assert waiter.reply() is None
    waiter.send("BRPOP", "l", 0)
    _wait_blocked(both, 1)
    assert both.client_unblock(client_id, error=True) == 1
    with pytest.raises(redis.ResponseError, match="UNBLOCKED client unblocked via CLIENT UNBLOCK"):
        waiter.reply()
    with pytest.raises(redis.ResponseError, match="reason should be TIMEOUT or ERROR"):
        both.execute_command("CLIENT", "UNBLOCK", client_id, "MAYBE")


def test_a_disconnected_waiter_takes_nothing(both: redis.Redis, waiters: list[Waiter]) -> None:
    gone, stays = _waiter(both, waiters), _waiter(both, waiters)
    gone.send("BLPOP", "l", 0)
    _wait_blocked(both, 1)
    stays.send("BLPOP", "l", 0)
    _wait_blocked(both, 2)
    gone.close()
    deadline = time.monotonic() + 5
    while int(both.info("clients")["blocked_clients"]) != 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    both.rpush("l", "v")
    assert stays.reply() == [b"l", b"v"]


def test_resp3_blocking_pop_score_is_a_double(both: redis.Redis, waiters: list[Waiter]) -> None:
    waiter = _waiter(both, waiters, protocol=3)
    waiter.send("BZPOPMAX", "z", 0)
    _wait_blocked(both, 1)
    both.zadd("z", {"a": 1.5})
    assert waiter.reply() == [b"z", b"a", 1.5]


def test_redis_py_blocking_api(both: redis.Redis) -> None:
    assert both.blpop(["l"], timeout=0.05) is None
    both.rpush("l", "x")
    assert both.blpop(["l"], timeout=1) == (b"l", b"x")
    assert both.brpoplpush("l", "m", timeout=0.05) is None
    both.zadd("z", {"a": 1})
    assert both.bzpopmin("z", timeout=1) == (b"z", b"a", 1.0)


def test_emberkv_client_list_shows_blocked_flag(ember: ServerProcess) -> None:
    client = ember.client(protocol=2)
    waiter = Waiter(ember.port)
    try:
        waiter_id = waiter.client_id()
        waiter.send("BLPOP", "flag-test", 0)
        deadline = time.monotonic() + 5
        while b"flags=b" not in client.execute_command("CLIENT", "LIST", "ID", waiter_id):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert client.client_unblock(waiter_id) == 1
        assert waiter.reply() is None
    finally:
        waiter.close()
        client.close()


def test_client_reply_off_keeps_a_blocked_command_blocking(
        both: redis.Redis, waiters: list[Waiter]) -> None:
    waiter = _waiter(both, waiters)
    waiter.send("CLIENT", "REPLY", "OFF")
    waiter.send("BLPOP", "l", 0)
    waiter.send("CLIENT", "REPLY", "ON")
    waiter.send("SET", "after", "1")
    _wait_blocked(both, 1)
    assert both.get("after") is None
    both.rpush("l", "x")
    assert waiter.reply() == b"OK"  # CLIENT REPLY ON answers; BLPOP's reply was dropped
    assert waiter.reply() == b"OK"
    assert both.get("after") == b"1"
    assert both.llen("l") == 0


def test_swapdb_serves_clients_blocked_on_keys_it_brings(
        both: redis.Redis, waiters: list[Waiter]) -> None:
    waiter = _waiter(both, waiters)
    waiter.send("BLPOP", "l", 0)
    _wait_blocked(both, 1)
    other = redis.Redis(port=_port(both), protocol=2, db=1)
    try:
        other.rpush("l", "from-db1")
        both.swapdb(0, 1)
        assert waiter.reply() == [b"l", b"from-db1"]
    finally:
        other.close()
