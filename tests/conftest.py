"""Shared fixtures.

- `ember`: one EmberKV server for the whole session (tests FLUSHALL through `r`);
  a test that needs its own configuration starts a `ServerProcess` itself.
- `r` / `r3`: redis-py clients (RESP2 / RESP3) on a flushed `ember`. The protocol is
  always explicit: redis-py 8 speaks RESP3 unless told otherwise.
- `real_redis`: Debian's redis-server for differential tests (marker needs_redis_server).
- `both`: parametrized over ["emberkv", "redis"], as fakeredis does, so one test body
  checks both servers.
Any Python traceback in EmberKV's log fails the test that caused it.
"""

from __future__ import annotations

import os
import shutil
from typing import Iterator

import pytest
import redis

from tests.servers import ServerProcess, has_traceback


def _require_redis_server() -> None:
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed; run scripts/install-test-deps"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def ember() -> Iterator[ServerProcess]:
    server = ServerProcess("emberkv").start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def real_redis() -> Iterator[ServerProcess]:
    _require_redis_server()
    server = ServerProcess("redis").start()
    yield server
    server.cleanup()


@pytest.fixture(autouse=True)
def _no_tracebacks(request: pytest.FixtureRequest) -> Iterator[None]:
    if "ember" not in request.fixturenames:
        yield
        return
    server: ServerProcess = request.getfixturevalue("ember")
    before = len(server.log_text())
    yield
    new_log = server.log_text()[before:]
    assert not has_traceback(new_log), f"EmberKV logged a traceback:\n{new_log}"


@pytest.fixture
def r(ember: ServerProcess) -> Iterator[redis.Redis]:
    client = ember.client(protocol=2)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def r3(ember: ServerProcess) -> Iterator[redis.Redis]:
    client = ember.client(protocol=3)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(params=["emberkv", "redis"])
def both(request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    """The same test body against EmberKV and against the real redis-server."""
    if request.param == "redis":
        _require_redis_server()
        server: ServerProcess = request.getfixturevalue("real_redis")
    else:
        server = request.getfixturevalue("ember")
    client = server.client(protocol=2)
    client.flushall()
    yield client
    client.close()
