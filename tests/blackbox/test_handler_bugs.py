"""A bug in a handler (an exception other than CommandError) is logged with its
traceback and answered `-ERR internal error`; the connection, other clients and the
server carry on. The bug is a test-only command added by tests/faulty_server.py,
since EmberKV has no production hook that raises on purpose.
"""

from __future__ import annotations

import socket
import threading
from typing import Iterator

import pytest
import redis

from tests.faulty_server import BUG_COMMAND, BUG_MESSAGE
from tests.servers import ServerProcess
from tests.wire import pack, read_exactly

BUG = BUG_COMMAND.encode()
INTERNAL_ERROR = b"-ERR internal error\r\n"


@pytest.fixture(scope="module")
def faulty() -> Iterator[ServerProcess]:
    server = ServerProcess("emberkv", module="tests.faulty_server").start()
    yield server
    server.cleanup()


@pytest.fixture
def client(faulty: ServerProcess) -> Iterator[redis.Redis]:
    with faulty.client(protocol=2) as client:
        client.flushall()
        client.config_resetstat()
        yield client


def test_bug_is_answered_err_and_the_connection_keeps_serving(
    faulty: ServerProcess, client: redis.Redis
) -> None:
    before = faulty.log_text().count("Traceback (most recent call last)")
    data = pack(b"SET", b"a", b"1") + pack(BUG) + pack(b"GET", b"a") + b"PING\r\n"
    expected = b"+OK\r\n" + INTERNAL_ERROR + b"$1\r\n1\r\n+PONG\r\n"
    with socket.create_connection(("127.0.0.1", faulty.port), timeout=10) as sock:
        # The whole pipeline in one write: the replies after the bug still come, in order.
        sock.sendall(data)
        assert read_exactly(sock, len(expected)) == expected
        sock.sendall(pack(b"ECHO", b"still here"))
        assert read_exactly(sock, 17) == b"$10\r\nstill here\r\n"
    log = faulty.log_text()
    assert log.count("Traceback (most recent call last)") == before + 1
    assert f"ZeroDivisionError: {BUG_MESSAGE}" in log
    # The log names the command that failed, next to its traceback.
    assert log.count(BUG_COMMAND) >= 1


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_sees_a_response_error(faulty: ServerProcess, protocol: int) -> None:
    with faulty.client(protocol=protocol) as client:
        with pytest.raises(redis.ResponseError, match="^internal error$"):
            client.execute_command(BUG_COMMAND)
        assert client.ping() is True


def test_bugs_are_counted_as_failed_calls_and_err_replies(client: redis.Redis) -> None:
    for _ in range(3):
        with pytest.raises(redis.ResponseError):
            client.execute_command(BUG_COMMAND)
    stats = client.info("commandstats")[f"cmdstat_{BUG_COMMAND.lower()}"]
    assert (stats["calls"], stats["failed_calls"], stats["rejected_calls"]) == (3, 3, 0)
    assert client.info("errorstats")["errorstat_ERR"] == {"count": 3}


def test_what_a_handler_wrote_before_its_bug_stays_written(client: redis.Redis) -> None:
    # No rollback, as in Redis: a handler's effects before the failure remain.
    with pytest.raises(redis.ResponseError, match="internal error"):
        client.execute_command(BUG_COMMAND, "partial", "written")
    assert client.get("partial") == b"written"


def test_other_clients_are_served_while_bugs_repeat(
    faulty: ServerProcess, client: redis.Redis
) -> None:
    failures: list[BaseException] = []

    def hammer() -> None:
        try:
            with faulty.client(protocol=2) as buggy:
                for _ in range(200):
                    with pytest.raises(redis.ResponseError):
                        buggy.execute_command(BUG_COMMAND)
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    thread = threading.Thread(target=hammer)
    thread.start()
    for i in range(200):
        assert client.incr("counter") == i + 1
    thread.join(30)
    assert not failures
    assert faulty.process is not None and faulty.process.poll() is None
    assert client.get("counter") == b"200"
