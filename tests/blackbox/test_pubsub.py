"""Pub/Sub with several connections, against EmberKV and redis-server alike (`both`):
delivery to channel, pattern and shard subscribers in RESP2 and RESP3 (push messages),
PUBSUB introspection, redis-py's PubSub API, and slow subscribers dropped by
client-output-buffer-limit pubsub."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
import redis

from tests.servers import ServerProcess


def _port(client: redis.Redis) -> int:
    return int(client.connection_pool.connection_kwargs["port"])


def _connection(port: int, protocol: int) -> redis.Connection:
    connection = redis.Connection(port=port, protocol=protocol, socket_timeout=5)
    connection.connect()
    return connection


def _call(connection: redis.Connection, *args: Any) -> Any:
    connection.send_command(*args)
    return _read(connection)


def _read(connection: redis.Connection) -> Any:
    # push_request: a RESP3 push is the answer here, not an out-of-band message to skip.
    return connection.read_response(push_request=True)


@pytest.mark.parametrize("protocol", [2, 3])
def test_messages_reach_channel_and_pattern_subscribers(both: redis.Redis, protocol: int) -> None:
    subscriber = _connection(_port(both), protocol)
    try:
        assert _call(subscriber, "SUBSCRIBE", "news") == [b"subscribe", b"news", 1]
        assert _call(subscriber, "PSUBSCRIBE", "n*") == [b"psubscribe", b"n*", 2]
        assert _call(subscriber, "SSUBSCRIBE", "shard") == [b"ssubscribe", b"shard", 1]
        assert both.publish("news", "hello") == 2
        assert _read(subscriber) == [b"message", b"news", b"hello"]
        assert _read(subscriber) == [b"pmessage", b"n*", b"news", b"hello"]
        assert both.publish("nope", "x") == 1
        assert _read(subscriber) == [b"pmessage", b"n*", b"nope", b"x"]
        assert both.publish("other", "x") == 0
        assert both.execute_command("SPUBLISH", "shard", "s") == 1
        assert _read(subscriber) == [b"smessage", b"shard", b"s"]
        assert both.pubsub_numsub("news", "other") == [(b"news", 1), (b"other", 0)]
        assert both.pubsub_numpat() == 1
        assert both.pubsub_channels() == [b"news"]
        assert both.execute_command("PUBSUB", "SHARDCHANNELS") == [b"shard"]
        assert both.execute_command("PUBSUB", "SHARDNUMSUB", "shard") == [b"shard", 1]
        info = both.info("stats")
        assert (info["pubsub_channels"], info["pubsub_patterns"]) == (1, 1)
    finally:
        subscriber.disconnect()
    deadline = time.monotonic() + 5
    while both.pubsub_numpat() != 0:
        assert time.monotonic() < deadline, "a closed subscriber kept its patterns"
        time.sleep(0.01)
    assert both.pubsub_channels() == []


def test_resp3_subscriber_runs_other_commands_between_messages(both: redis.Redis) -> None:
    subscriber = _connection(_port(both), 3)
    try:
        _call(subscriber, "SUBSCRIBE", "c")
        both.set("k", "v")
        assert _call(subscriber, "GET", "k") == b"v"
        both.publish("c", "m")
        assert _read(subscriber) == [b"message", b"c", b"m"]
        # Its own PUBLISH: Redis 7.0 sends the message before the reply.
        assert _call(subscriber, "PUBLISH", "c", "own") == [b"message", b"c", b"own"]
        assert _read(subscriber) == 1
    finally:
        subscriber.disconnect()


def test_redis_py_pubsub_api(both: redis.Redis) -> None:
    pubsub = both.pubsub()
    try:
        pubsub.subscribe("a")
        pubsub.psubscribe("b.*")
        kinds = [pubsub.get_message(timeout=1)["type"] for _ in range(2)]
        assert kinds == ["subscribe", "psubscribe"]
        both.publish("a", "1")
        both.publish("b.x", "2")
        first = pubsub.get_message(timeout=1)
        second = pubsub.get_message(timeout=1)
        assert (first["type"], first["data"]) == ("message", b"1")
        assert (second["type"], second["pattern"], second["data"]) == ("pmessage", b"b.*", b"2")
        pubsub.ping()
        assert pubsub.get_message(timeout=1)["type"] == "pong"  # RESP2 subscribe mode
        pubsub.unsubscribe("a")
        assert pubsub.get_message(timeout=1)["type"] == "unsubscribe"
    finally:
        pubsub.close()


def test_watch_fails_when_another_client_writes(both: redis.Redis) -> None:
    other = redis.Redis(port=_port(both), protocol=2)
    try:
        with both.pipeline() as pipe:
            pipe.watch("w")
            other.set("w", "changed")
            pipe.multi()
            pipe.set("x", "1")
            with pytest.raises(redis.WatchError):
                pipe.execute()
        assert both.exists("x") == 0
        with both.pipeline() as pipe:
            pipe.watch("w")
            other.get("w")  # a read does not touch
            pipe.multi()
            pipe.set("x", "1")
            assert pipe.execute() == [True]
    finally:
        other.close()


def test_slow_subscriber_is_dropped_past_the_hard_limit(tmp_path: Any) -> None:
    server = ServerProcess("emberkv", ["--client-output-buffer-limit", "pubsub 256kb 0 0"])
    with server.start():
        publisher = server.client(protocol=2)
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            sock.sendall(b"SUBSCRIBE flood\r\n")
            time.sleep(0.2)
            payload = b"x" * 64 * 1024
            for _ in range(200):  # 12.5 MB that nobody reads
                if publisher.publish("flood", payload) == 0:
                    break
            deadline = time.monotonic() + 5
            while publisher.pubsub_numsub("flood")[0][1] != 0:
                assert time.monotonic() < deadline, "the slow subscriber was not dropped"
                time.sleep(0.05)
            assert "output buffer limits" in server.log_text()
            assert publisher.ping()
        finally:
            sock.close()
            publisher.close()


def test_slow_subscriber_is_dropped_after_the_soft_limit_seconds() -> None:
    server = ServerProcess("emberkv", ["--client-output-buffer-limit", "pubsub 0 128kb 1"])
    with server.start():
        publisher = server.client(protocol=2)
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            sock.sendall(b"SUBSCRIBE slow\r\n")
            time.sleep(0.2)
            payload = b"x" * 64 * 1024
            for _ in range(64):  # 4 MB unread: past the soft limit, far from any hard one
                publisher.publish("slow", payload)
            assert publisher.pubsub_numsub("slow")[0][1] == 1  # over, but not for long
            time.sleep(1.2)
            publisher.publish("slow", payload)
            deadline = time.monotonic() + 5
            while publisher.pubsub_numsub("slow")[0][1] != 0:
                assert time.monotonic() < deadline, "the slow subscriber was not dropped"
                time.sleep(0.05)
        finally:
            sock.close()
            publisher.close()
