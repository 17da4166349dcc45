"""Active expiry under load: many keys given the same deadline are all reclaimed by the
server's own cycle (nobody reads them; DBSIZE counts keys without touching them, so it
falls only as the cycle deletes), within seconds, while a concurrent client's PINGs
never wait long. The same test runs against redis-server, which meets it, so the
bounds are Redis's behaviour and not wishes.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.servers import KINDS, ServerProcess, server_of_kind
from tests.wire import Connection, pack

# Issue 2: "without pauses over ~25 ms for clients"; the test allows twice that for a
# 2-core machine running the server, this test's threads and the kernel together.
MAX_PING_MS = 50.0


def _pipeline(port: int, requests: list[bytes], reply: bytes) -> None:
    """Send every request on one connection (from a thread, so neither side blocks on
    a full socket buffer) and check that each one is answered `reply`."""
    data = b"".join(requests)
    expected = reply * len(requests)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sender = threading.Thread(target=sock.sendall, args=(data,))
        sender.start()
        received = bytearray()
        while len(received) < len(expected):
            chunk = sock.recv(1 << 20)
            assert chunk, "server closed the connection"
            received += chunk
        sender.join()
    assert bytes(received) == expected


def _dbsize(connection: Connection) -> int:
    reply = connection.request((b"DBSIZE",))
    assert reply.startswith(b":") and reply.endswith(b"\r\n"), reply
    return int(reply[1:-2])


class PingProbe(threading.Thread):
    """PINGs back to back on its own connection, recording each round trip in ms."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.latencies_ms: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while not self.stop.is_set():
                started = time.perf_counter()
                sock.sendall(b"PING\r\n")
                reply = b""
                while len(reply) < 7:
                    chunk = sock.recv(64)
                    assert chunk, "server closed the PING connection"
                    reply += chunk
                self.latencies_ms.append((time.perf_counter() - started) * 1000)
                assert reply == b"+PONG\r\n"
                time.sleep(0.001)


def reclaim_while_pinging(server: ServerProcess, count: int,
                          give_up_s: float) -> tuple[float, list[float]]:
    """Give `count` keys one absolute deadline, then wait (up to `give_up_s`) for
    DBSIZE 0 while a probe PINGs. Returns (seconds from the deadline to DBSIZE 0, PING
    latencies in ms)."""
    keys = [b"expiring:%d" % i for i in range(count)]
    started = time.monotonic()
    _pipeline(server.port, [pack(b"SET", key, b"v") for key in keys], b"+OK\r\n")
    # The deadline leaves time to send the PEXPIREATs (as long as the SETs took) and to
    # check that every key is still there before it passes.
    load_s = time.monotonic() - started
    deadline_ms = int(time.time() * 1000 + load_s * 2000 + 1500)
    at = b"%d" % deadline_ms
    _pipeline(server.port, [pack(b"PEXPIREAT", key, at) for key in keys], b":1\r\n")
    with Connection(server.port, timeout_s=10) as connection:
        assert _dbsize(connection) == count
        assert time.time() * 1000 < deadline_ms - 200, "loading took too long to test"
        probe = PingProbe(server.port)
        probe.start()
        time.sleep(max(0.0, deadline_ms / 1000 - time.time()))
        reclaim_started = time.monotonic()
        remaining = count
        while remaining and time.monotonic() - reclaim_started < give_up_s:
            time.sleep(0.02)
            remaining = _dbsize(connection)
        reclaim_s = time.monotonic() - reclaim_started
        probe.stop.set()
        probe.join(10)
        assert remaining == 0, f"{remaining} of {count} keys left after {reclaim_s:.1f}s"
    return reclaim_s, probe.latencies_ms


def check_reclaim(server: ServerProcess, count: int, within_s: float) -> None:
    reclaim_s, latencies_ms = reclaim_while_pinging(server, count, within_s + 5)
    worst = sorted(latencies_ms, reverse=True)[:5]
    assert reclaim_s < within_s, f"{server.kind} took {reclaim_s:.2f}s"
    # The probe ran throughout, not only before or after the reclaim.
    assert len(latencies_ms) >= reclaim_s * 100, len(latencies_ms)
    assert worst[0] < MAX_PING_MS, (
        f"{server.kind}: slowest PINGs {[round(ms, 1) for ms in worst]} ms "
        f"while reclaiming {count} keys in {reclaim_s:.2f}s"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_200k_keys_expiring_together_are_reclaimed_without_stalling_clients(
    request: pytest.FixtureRequest, kind: str
) -> None:
    with server_of_kind(request, kind) as server:
        # redis-server 7.0.15 takes about 1 s here, EmberKV about 1.0-1.3 s.
        check_reclaim(server, 200_000, within_s=5)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_1m_keys_expiring_together_are_reclaimed_without_stalling_clients(
    request: pytest.FixtureRequest, kind: str
) -> None:
    with server_of_kind(request, kind) as server:
        # redis-server 7.0.15 takes about 4 s here, EmberKV about 4-5 s (more when the
        # machine is busy).
        check_reclaim(server, 1_000_000, within_s=10)
