"""Deep pipelines, EmberKV against redis-server 7.0.15: 100k mixed raw requests in one
stream, redis-py pipelines in RESP2 and RESP3 (sync and asyncio), and a client that
writes its whole pipeline before reading a byte, as redis-py's Pipeline.execute does.
The reply streams must be identical, errors included.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from typing import Any

import pytest
import redis
import redis.asyncio

from tests.servers import KINDS, ServerProcess, server_of_kind
from tests.wire import pack

pytestmark = pytest.mark.needs_redis_server


def mixed_requests(count: int) -> bytes:
    """`count` requests cycling through replies of every kind, errors and inline
    commands included."""
    kinds = [
        lambda i: pack(b"SET", b"key:%d" % i, b"value:%d" % i),
        lambda i: pack(b"INCR", b"counter"),
        lambda i: pack(b"GET", b"key:%d" % (i - 2)),
        lambda i: pack(b"ECHO", b"\x00\r\n%d" % i),
        lambda i: pack(b"NOSUCH", b"%d" % i),
        lambda i: pack(b"GET"),
        lambda i: b"EXISTS key:%d key:%d\r\n" % (i - 6, i),
        lambda i: b"PING\r\n",
        lambda i: pack(b"INCRBY", b"key:%d" % (i - 8), b"1"),
        lambda i: pack(b"GET", b"missing"),
    ]
    return b"".join(kinds[i % len(kinds)](i) for i in range(count))


def stream_replies(port: int, data: bytes, until: bytes) -> bytes:
    """Send `data` from a thread while reading; return every reply byte up to and
    including the reply `until` of the last request."""
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sender = threading.Thread(target=sock.sendall, args=(data,))
        sender.start()
        while not received.endswith(until):
            chunk = sock.recv(1 << 20)
            assert chunk, "server closed the connection"
            received += chunk
        sender.join()
    return bytes(received)


def test_100k_mixed_requests_in_one_stream_match_real_redis(
    ember: ServerProcess, real_redis: ServerProcess
) -> None:
    data = mixed_requests(100_000) + pack(b"ECHO", b"__last__")
    streams = []
    for server in (real_redis, ember):
        server.client(protocol=2).flushall()
        streams.append(stream_replies(server.port, data, b"$8\r\n__last__\r\n"))
    expected, got = streams
    assert len(got) == len(expected)
    assert hashlib.sha256(got).digest() == hashlib.sha256(expected).digest()
    assert expected.count(b"-ERR unknown command 'NOSUCH'") == 10_000


def redis_py_pipeline_commands(pipe: Any, count: int) -> None:
    for i in range(count):
        pipe.set(f"p:{i}", i)
        pipe.incrbyfloat("float", 0.5)
        pipe.get(f"p:{i // 2}")
        pipe.execute_command("NOSUCH", i)
        pipe.exists(f"p:{i}", "missing")
        if i % 1000 == 0:
            pipe.config_get("maxmemory-policy")
        else:
            pipe.dbsize()


def outcome(results: list[Any]) -> list[Any]:
    """Errors as (class, text), so results of two servers can be compared."""
    return [(type(r).__name__, str(r)) if isinstance(r, Exception) else r for r in results]


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_pipeline_of_60k_commands_matches_real_redis(
    ember: ServerProcess, real_redis: ServerProcess, protocol: int
) -> None:
    outcomes = []
    for server in (real_redis, ember):
        with server.client(protocol=protocol) as client:
            client.flushall()
            pipe = client.pipeline(transaction=False)
            redis_py_pipeline_commands(pipe, 10_000)
            outcomes.append(outcome(pipe.execute(raise_on_error=False)))
    expected, got = outcomes
    assert len(expected) == 60_000
    assert got == expected


@pytest.mark.parametrize("protocol", [2, 3])
def test_asyncio_pipeline_of_30k_commands_matches_real_redis(
    ember: ServerProcess, real_redis: ServerProcess, protocol: int
) -> None:
    async def run(port: int) -> list[Any]:
        client = redis.asyncio.Redis(port=port, protocol=protocol)
        try:
            await client.flushall()
            async with client.pipeline(transaction=False) as pipe:
                redis_py_pipeline_commands(pipe, 5_000)
                return outcome(await pipe.execute(raise_on_error=False))
        finally:
            await client.aclose()

    expected = asyncio.run(run(real_redis.port))
    got = asyncio.run(run(ember.port))
    assert len(expected) == 30_000
    assert got == expected


# A client that writes every request before reading (redis-py's Pipeline.execute,
# redis-cli --pipe before its first read) needs the server to keep reading while the
# replies pile up: Redis does (client-output-buffer-limit normal is 0 0 0, unlimited).
# 500k GETs are 16 MB of requests, more than the loopback socket buffers hold.
@pytest.mark.parametrize("kind", KINDS)
def test_pipeline_written_whole_before_reading_completes(request: pytest.FixtureRequest,
                                                        kind: str) -> None:
    count = 500_000
    value = b"v" * 100
    with server_of_kind(request, kind) as server:
        server.client(protocol=2).set("k", value)
        expected_size = count * len(b"$100\r\n%b\r\n" % value)
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            try:
                sock.sendall(pack(b"GET", b"k") * count)
            except socket.timeout:
                pytest.fail(f"{kind} stopped reading the pipeline before it was all sent")
            received = 0
            while received < expected_size:
                chunk = sock.recv(1 << 20)
                assert chunk, "server closed the connection"
                received += len(chunk)
        assert received == expected_size
