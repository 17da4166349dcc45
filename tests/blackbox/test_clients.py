"""redis-py against EmberKV as applications use it: the sync and asyncio clients, RESP2
and RESP3 (HELLO 3 at connect), non-transactional pipelines and shared connection
pools under concurrency.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

import pytest
import redis
import redis.asyncio

from tests.servers import ServerProcess

BINARY = bytes(range(256)) + b"\r\n*1\r\n$3\r\n"


@pytest.mark.parametrize("protocol", [2, 3])
def test_sync_client_basic_commands(ember: ServerProcess, protocol: int) -> None:
    with ember.client(protocol=protocol) as client:
        client.flushall()
        assert client.ping() is True
        assert client.set("k", BINARY) is True
        assert client.get("k") == BINARY
        assert client.get("missing") is None
        assert client.echo(b"\x00echo") == b"\x00echo"
        assert client.dbsize() == 1
        assert client.set("k", "v", nx=True) is None


@pytest.mark.parametrize("protocol", [2, 3])
def test_sync_client_decoding_responses(ember: ServerProcess, protocol: int) -> None:
    with ember.client(protocol=protocol, decode_responses=True) as client:
        client.flushall()
        client.set("caf\u00e9", "cr\u00e8me")
        assert client.get("caf\u00e9") == "cr\u00e8me"


def test_resp3_connection_negotiates_with_hello(ember: ServerProcess) -> None:
    with ember.client(protocol=3) as client:
        hello = client.execute_command("HELLO", "3")
        assert hello[b"proto"] == 3
        assert hello[b"server"] == b"redis"
        client_list = client.client_list()
        me = [entry for entry in client_list if entry["id"] == str(client.client_id())]
        assert me and me[0]["resp"] == "3"


@pytest.mark.parametrize("protocol", [2, 3])
def test_sync_pipeline_without_transaction(ember: ServerProcess, protocol: int) -> None:
    with ember.client(protocol=protocol) as client:
        client.flushall()
        pipe = client.pipeline(transaction=False)
        for i in range(1000):
            pipe.set(f"key:{i}", i)
            pipe.get(f"key:{i}")
        pipe.get("missing")
        pipe.dbsize()
        results = pipe.execute()
    assert results[:2] == [True, b"0"]
    assert results[1998:2000] == [True, b"999"]
    assert results[-2:] == [None, 1000]


def test_sync_pipeline_reports_errors_in_place(ember: ServerProcess) -> None:
    with ember.client() as client:
        pipe = client.pipeline(transaction=False)
        pipe.set("a", "1")
        pipe.execute_command("NOSUCHCOMMAND")
        pipe.get("a")
        results = pipe.execute(raise_on_error=False)
    assert results[0] is True
    assert isinstance(results[1], redis.ResponseError)
    assert "unknown command 'NOSUCHCOMMAND'" in str(results[1])
    assert results[2] == b"1"


def test_sync_clients_share_one_pool(ember: ServerProcess) -> None:
    pool = redis.ConnectionPool(port=ember.port, max_connections=4)
    clients = [redis.Redis(connection_pool=pool) for _ in range(8)]
    for i, client in enumerate(clients):
        client.set(f"pooled:{i}", i)
    assert [client.get(f"pooled:{i}") for i, client in enumerate(clients)] == [
        str(i).encode() for i in range(8)
    ]
    pool.disconnect()


@pytest.mark.parametrize("protocol", [2, 3])
def test_asyncio_client_basic_commands(ember: ServerProcess, protocol: int) -> None:
    async def scenario() -> None:
        client = redis.asyncio.Redis(port=ember.port, protocol=protocol)
        try:
            await client.flushall()
            assert await client.ping() is True
            assert await client.set("k", BINARY) is True
            assert await client.get("k") == BINARY
            assert await client.get("missing") is None
            assert await client.dbsize() == 1
        finally:
            await client.aclose()

    asyncio.run(scenario())


@pytest.mark.parametrize("protocol", [2, 3])
def test_asyncio_pipeline_without_transaction(ember: ServerProcess, protocol: int) -> None:
    async def scenario() -> list[object]:
        client = redis.asyncio.Redis(port=ember.port, protocol=protocol)
        try:
            await client.flushall()
            async with client.pipeline(transaction=False) as pipe:
                for i in range(500):
                    pipe.set(f"k{i}", i)
                pipe.get("k499")
                pipe.dbsize()
                return await pipe.execute()
        finally:
            await client.aclose()

    results = asyncio.run(scenario())
    assert results[:500] == [True] * 500
    assert results[500:] == [b"499", 500]


@pytest.mark.parametrize("protocol", [2, 3])
def test_20_concurrent_asyncio_clients_through_one_pool(ember: ServerProcess, protocol: int) -> None:
    workers, rounds = 20, 100

    async def worker(client: redis.asyncio.Redis, n: int) -> list[bytes | None]:
        seen = []
        for i in range(rounds):
            await client.set(f"w{n}:{i}", f"{n}-{i}")
            seen.append(await client.get(f"w{n}:{i}"))
        return seen

    async def scenario() -> tuple[list[list[bytes | None]], int, int]:
        pool = redis.asyncio.ConnectionPool(port=ember.port, max_connections=20,
                                            protocol=protocol, client_name="pool-of-20")
        client = redis.asyncio.Redis(connection_pool=pool)
        try:
            await client.flushall()
            results = await asyncio.gather(*(worker(client, n) for n in range(workers)))
            size = await client.dbsize()
            # The pool keeps its connections open: the server sees them all.
            listed = await client.client_list()
            connections = sum(1 for entry in listed if entry["name"] == "pool-of-20")
            return results, size, connections
        finally:
            await client.aclose()
            await pool.disconnect()

    results, size, connections = asyncio.run(scenario())
    for n, seen in enumerate(results):
        assert seen == [f"{n}-{i}".encode() for i in range(rounds)]
    assert size == workers * rounds
    assert 1 < connections <= 20


def test_20_independent_asyncio_clients_at_once(ember: ServerProcess) -> None:
    async def one(n: int) -> tuple[bytes | None, int]:
        client = redis.asyncio.Redis(port=ember.port, protocol=3 if n % 2 else 2)
        try:
            await client.set(f"solo:{n}", n)
            return await client.get(f"solo:{n}"), await client.client_id()
        finally:
            await client.aclose()

    async def scenario() -> list[tuple[bytes | None, int]]:
        return await asyncio.gather(*(one(n) for n in range(20)))

    results = asyncio.run(scenario())
    assert [value for value, _ in results] == [str(n).encode() for n in range(20)]
    assert len({client_id for _, client_id in results}) == 20


def test_r_fixture_speaks_resp2_and_r3_resp3(r: redis.Redis, r3: redis.Redis) -> None:
    # redis-py 8 defaults to RESP3, so the fixtures must say which protocol they use.
    assert r.client_info()["resp"] == "2"
    assert r3.client_info()["resp"] == "3"
    r.set("k", "v")
    assert r3.get("k") == b"v"


# ------------------------------------------------------------------ asyncio vs redis-server

AsyncStep = Callable[[redis.asyncio.Redis], Awaitable[Any]]

ASYNC_STEPS: list[tuple[str, AsyncStep]] = [
    ("set ex", lambda c: c.set("k", "v", ex=100)),
    ("get", lambda c: c.get("k")),
    ("ttl", lambda c: c.ttl("k")),
    ("set nx get", lambda c: c.set("k", "w", nx=True, get=True)),
    ("incr", lambda c: c.incr("n")),
    ("incrby", lambda c: c.incrby("n", 41)),
    ("incrbyfloat", lambda c: c.incrbyfloat("f", 1.5)),
    ("incr on text", lambda c: c.incr("k")),
    ("append", lambda c: c.append("k", "++")),
    ("getrange", lambda c: c.getrange("k", 0, 1)),
    ("mset", lambda c: c.mset({"a": "1", "b": b"\x00\xff"})),
    ("mget", lambda c: c.mget("a", "b", "missing")),
    ("msetnx", lambda c: c.msetnx({"a": "2", "c": "3"})),
    ("exists", lambda c: c.exists("a", "b", "missing", "a")),
    ("type", lambda c: c.type("a")),
    ("object encoding", lambda c: c.object("encoding", "n")),
    ("getex persist", lambda c: c.getex("k", persist=True)),
    ("ttl after persist", lambda c: c.ttl("k")),
    ("expire nx", lambda c: c.expire("a", 100, nx=True)),
    ("rename", lambda c: c.rename("a", "a2")),
    ("rename missing", lambda c: c.rename("missing", "x")),
    ("getdel", lambda c: c.getdel("a2")),
    ("setbit", lambda c: c.setbit("bits", 7, 1)),
    ("bitcount", lambda c: c.bitcount("bits")),
    ("bitfield", lambda c: c.bitfield("bits").incrby("u8", 0, 10).get("i4", 0).execute()),
    ("lcs", lambda c: c.lcs("k", "b")),
    ("keys", lambda c: c.keys("*")),
    ("dbsize", lambda c: c.dbsize()),
    ("delete", lambda c: c.delete("k", "n", "missing")),
    ("unlink", lambda c: c.unlink("f")),
    ("echo", lambda c: c.echo(b"\r\n\x00")),
    ("ping", lambda c: c.ping()),
    ("config get", lambda c: c.config_get("maxmemory-policy")),
    ("client name", lambda c: c.client_setname("asyncio-diff")),
    ("client getname", lambda c: c.client_getname()),
    ("select out of range", lambda c: c.select(99)),
    ("set bad expire", lambda c: c.set("k", "v", px=0)),
    ("wrong arity", lambda c: c.execute_command("GET")),
    ("unknown", lambda c: c.execute_command("NOSUCH", "x")),
]


async def _run_async_steps(port: int, protocol: int) -> list[tuple[str, Any]]:
    client = redis.asyncio.Redis(port=port, protocol=protocol)
    results: list[tuple[str, Any]] = []
    try:
        await client.flushall()
        for name, step in ASYNC_STEPS:
            try:
                value = await step(client)
            except redis.RedisError as error:
                value = (type(error).__name__, str(error))
            if name == "keys":
                value = sorted(value)
            results.append((name, value))
    finally:
        await client.aclose()
    return results


@pytest.mark.needs_redis_server
@pytest.mark.parametrize("protocol", [2, 3])
def test_asyncio_client_results_match_real_redis(
    ember: ServerProcess, real_redis: ServerProcess, protocol: int
) -> None:
    expected = asyncio.run(_run_async_steps(real_redis.port, protocol))
    got = asyncio.run(_run_async_steps(ember.port, protocol))
    assert got == expected
    # The errors really were errors on both (not, say, two identical Nones).
    assert dict(expected)["incr on text"][0] == "ResponseError"
