"""client-output-buffer-limit normal: a client that sends requests but never reads its
replies is disconnected instead of growing the server's memory without bound, on EmberKV
as on a real redis-server (parametrized over both)."""

from __future__ import annotations

import socket
import time

import pytest

from tests.servers import KINDS, ServerProcess, has_traceback, server_of_kind

BIG_VALUE = b"x" * 64 * 1024


def _idle_reader(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


def _send_ignoring_reset(sock: socket.socket, data: bytes) -> bool:
    """False once the server has dropped the connection."""
    try:
        sock.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def _clients_connected(server: ServerProcess) -> int:
    with server.client() as client:
        return int(client.info("clients")["connected_clients"])


@pytest.mark.parametrize("kind", KINDS)
def test_a_client_that_never_reads_is_dropped_past_the_hard_limit(
        request: pytest.FixtureRequest, kind: str) -> None:
    server = server_of_kind(request, kind)
    server.extra_args = ["--client-output-buffer-limit", "normal 256kb 0 0"]
    with server.start():
        with server.client() as client:
            client.set("big", BIG_VALUE)
        sock = _idle_reader(server.port)
        try:
            # 200 replies of 64 KiB: 12.5 MiB that the client never reads.
            _send_ignoring_reset(sock, b"GET big\r\n" * 200)
            deadline = time.monotonic() + 10
            while _clients_connected(server) != 1:
                assert time.monotonic() < deadline, "the client that never reads is still connected"
                time.sleep(0.05)
            with server.client() as bystander:
                assert bystander.ping() is True
                assert bystander.strlen("big") == len(BIG_VALUE)
        finally:
            sock.close()
        if kind == "emberkv":
            log = server.log_text()
            assert "scheduled to be closed ASAP for overcoming of output buffer limits" in log
            assert not has_traceback(log)


@pytest.mark.parametrize("kind", KINDS)
def test_a_client_over_the_soft_limit_for_longer_than_its_seconds_is_dropped(
        request: pytest.FixtureRequest, kind: str) -> None:
    server = server_of_kind(request, kind)
    server.extra_args = ["--client-output-buffer-limit", "normal 0 256kb 1"]
    with server.start():
        with server.client() as client:
            client.set("big", BIG_VALUE)
        sock = _idle_reader(server.port)
        try:
            # 8 MiB unread: more than the kernel's socket buffers take off the server.
            assert _send_ignoring_reset(sock, b"GET big\r\n" * 128)
            time.sleep(0.3)
            assert _clients_connected(server) == 2  # over the soft limit, not for long
            # Redis checks the limit when it adds a reply; keep asking past the seconds.
            deadline = time.monotonic() + 10
            while _clients_connected(server) != 1:
                assert time.monotonic() < deadline, "the slow client was not dropped"
                _send_ignoring_reset(sock, b"GET big\r\n")
                time.sleep(0.2)
        finally:
            sock.close()


def test_the_normal_limit_set_at_run_time_applies_to_connected_clients() -> None:
    with ServerProcess("emberkv").start() as server:
        with server.client() as client:
            client.set("big", BIG_VALUE)
            sock = _idle_reader(server.port)
            try:
                assert _send_ignoring_reset(sock, b"PING\r\n")
                time.sleep(0.1)
                client.config_set("client-output-buffer-limit", "normal 256kb 0 0")
                _send_ignoring_reset(sock, b"GET big\r\n" * 200)
                deadline = time.monotonic() + 10
                while int(client.info("clients")["connected_clients"]) != 1:
                    assert time.monotonic() < deadline, "the limit set at run time did not apply"
                    time.sleep(0.05)
            finally:
                sock.close()
