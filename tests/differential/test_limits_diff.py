"""Client limits, EmberKV against the real redis-server 7.0.15 started with the same
settings: maxclients, proto-max-bulk-len, client-query-buffer-limit, timeout and
tcp-keepalive must refuse, answer and disconnect alike (the bytes a client receives and
whether the server closed the connection)."""

from __future__ import annotations

import socket
import subprocess
import shutil
import time
from contextlib import ExitStack
from typing import Callable

import pytest

from tests.servers import ServerProcess, started_pair
from tests.wire import read_until_closed, send_until_closed

pytestmark = pytest.mark.needs_redis_server


def on_both(args: list[str], probe: Callable[[ServerProcess], object]) -> tuple[object, object]:
    with started_pair(args) as (ember, real):
        return probe(ember), probe(real)


def test_maxclients_refuses_the_extra_connection_with_redis_error(real_redis: ServerProcess) -> None:
    def probe(server: ServerProcess) -> object:
        with ExitStack() as stack:
            for _ in range(3):
                sock = stack.enter_context(socket.create_connection(("127.0.0.1", server.port)))
                sock.sendall(b"PING\r\n")
                assert sock.recv(64) == b"+PONG\r\n"
            extra = stack.enter_context(
                socket.create_connection(("127.0.0.1", server.port), timeout=5))
            return read_until_closed(extra)

    ours, theirs = on_both(["--maxclients", "3"], probe)
    assert ours == theirs == (b"-ERR max number of clients reached\r\n", True)


@pytest.mark.parametrize("request_bytes", [
    b"*2\r\n$3\r\nSET\r\n$2000000\r\n",      # one bulk over proto-max-bulk-len
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$-7\r\n",  # a negative bulk length
    b"*2147483648\r\n",                      # more elements than a request may have
    b"*1\r\n$9999999999999999999999\r\n",    # a length that is not a number
])
def test_oversized_and_malformed_lengths_get_the_same_protocol_error(
        real_redis: ServerProcess, request_bytes: bytes) -> None:
    ours, theirs = on_both(["--proto-max-bulk-len", "1mb"],
                           lambda server: send_until_closed(server.port, request_bytes))
    assert ours == theirs
    assert ours[1] is True  # both closed the connection after the error


def test_a_request_past_the_query_buffer_limit_closes_the_connection(
        real_redis: ServerProcess) -> None:
    # One bulk announced within proto-max-bulk-len but larger than the query buffer limit.
    def probe(server: ServerProcess) -> object:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            try:
                sock.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n")
                sock.sendall(b"x" * 2_500_000)
            except (BrokenPipeError, ConnectionResetError):
                pass
            received, closed = read_until_closed(sock)
        with server.client() as client:
            return received, closed, client.exists("k"), client.ping()

    ours, theirs = on_both(["--client-query-buffer-limit", "1mb"], probe)
    assert ours == theirs == (b"", True, 0, True)


def test_timeout_closes_idle_clients_but_not_subscribers_or_blocked_ones(
        real_redis: ServerProcess) -> None:
    def probe(server: ServerProcess) -> object:
        with socket.create_connection(("127.0.0.1", server.port), timeout=8) as idle, \
                socket.create_connection(("127.0.0.1", server.port), timeout=8) as listener, \
                socket.create_connection(("127.0.0.1", server.port), timeout=8) as waiter:
            listener.sendall(b"SUBSCRIBE news\r\n")
            assert listener.recv(256).startswith(b"*3\r\n$9\r\nsubscribe\r\n")
            waiter.sendall(b"BLPOP queue 0\r\n")
            idle.sendall(b"PING\r\n")
            assert idle.recv(64) == b"+PONG\r\n"
            started = time.monotonic()
            received, closed = read_until_closed(idle)
            waited = time.monotonic() - started
            with server.client() as client:
                client.publish("news", "still here")
                client.rpush("queue", "job")
            listener.settimeout(5)
            message = listener.recv(256)
            served = waiter.recv(256)
            return received, closed, 0.9 < waited < 6, message, served

    ours, theirs = on_both(["--timeout", "1"], probe)
    assert ours == theirs
    assert ours[:3] == (b"", True, True)
    assert ours[3].endswith(b"$10\r\nstill here\r\n")
    assert ours[4] == b"*2\r\n$5\r\nqueue\r\n$3\r\njob\r\n"


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to see socket timers")
def test_tcp_keepalive_sets_the_same_keepalive_timer(real_redis: ServerProcess) -> None:
    def probe(server: ServerProcess) -> object:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(b"PING\r\n")
            assert sock.recv(64) == b"+PONG\r\n"
            shown = subprocess.run(
                ["ss", "-tnoH", "state", "established", f"( sport = :{server.port} )"],
                capture_output=True, text=True, timeout=10).stdout
        timers = [part for part in shown.split() if part.startswith("timer:")]
        return [timer.split(",")[0] for timer in timers]

    ours, theirs = on_both(["--tcp-keepalive", "120"], probe)
    assert ours == theirs == ["timer:(keepalive"]
    ours, theirs = on_both(["--tcp-keepalive", "0"], probe)
    assert ours == theirs == []
