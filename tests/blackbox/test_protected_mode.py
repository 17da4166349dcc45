"""Protected mode and the default bind seen from another host: a network namespace joined
to this one by a veth pair plays the remote client (tests run as root in CI). EmberKV
and the real redis-server 7.0.15 are driven alike and must answer alike.

Without root (or without iproute2) the namespace can't be made: the tests skip then,
except with CI=true, where that is a failure, as a missing redis-server is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Iterator

import pytest

from tests.servers import KINDS, ServerProcess, server_of_kind

NAMESPACE = f"ember-remote-{os.getpid()}"
HOST_LINK = f"embh{os.getpid() % 100000}"
REMOTE_LINK = f"embr{os.getpid() % 100000}"
HOST_ADDRESS = "10.231.77.1"
REMOTE_ADDRESS = "10.231.77.2"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def _remove_namespace() -> None:
    subprocess.run(["ip", "netns", "del", NAMESPACE], capture_output=True, timeout=10)
    subprocess.run(["ip", "link", "del", HOST_LINK], capture_output=True, timeout=10)


@pytest.fixture(scope="module")
def remote_host() -> Iterator[str]:
    """The namespace's name; HOST_ADDRESS is this host as the namespace sees it."""
    if shutil.which("ip") is None or os.geteuid() != 0:
        reason = "a network namespace needs root and iproute2"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    _remove_namespace()
    try:
        _ip("netns", "add", NAMESPACE)
        _ip("link", "add", HOST_LINK, "type", "veth", "peer", "name", REMOTE_LINK)
        _ip("link", "set", REMOTE_LINK, "netns", NAMESPACE)
        _ip("addr", "add", f"{HOST_ADDRESS}/30", "dev", HOST_LINK)
        _ip("link", "set", HOST_LINK, "up")
        _ip("-n", NAMESPACE, "addr", "add", f"{REMOTE_ADDRESS}/30", "dev", REMOTE_LINK)
        _ip("-n", NAMESPACE, "link", "set", REMOTE_LINK, "up")
        _ip("-n", NAMESPACE, "link", "set", "lo", "up")
    except subprocess.CalledProcessError as error:
        _remove_namespace()
        reason = f"could not make a network namespace: {error.stderr!r}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield NAMESPACE
    finally:
        _remove_namespace()


def from_remote(namespace: str, port: int, *args: str) -> str:
    """redis-cli's output for one command sent from the other host."""
    done = subprocess.run(
        ["ip", "netns", "exec", namespace, "redis-cli", "-h", HOST_ADDRESS, "-p", str(port),
         *args], capture_output=True, text=True, timeout=30)
    return (done.stdout + done.stderr).strip()


@pytest.mark.parametrize("kind", KINDS)
def test_protected_mode_denies_a_remote_client_until_a_password_or_mode_change(
        request: pytest.FixtureRequest, remote_host: str, kind: str) -> None:
    server = server_of_kind(request, kind)
    server.extra_args = ["--bind", f"127.0.0.1 {HOST_ADDRESS}"]
    with server.start():
        denied = from_remote(remote_host, server.port, "PING")
        assert denied.startswith("DENIED Redis is running in protected mode")
        assert "'CONFIG SET protected-mode no'" in denied
        with server.client() as local:
            assert local.ping() is True  # loopback clients are not affected
            local.config_set("requirepass", "pw")
            assert from_remote(remote_host, server.port, "--no-auth-warning", "-a", "pw",
                               "PING") == "PONG"
            assert from_remote(remote_host, server.port, "PING").startswith("NOAUTH")
            local.auth("pw")
            local.config_set("requirepass", "")
            assert from_remote(remote_host, server.port, "PING").startswith("DENIED")
            local.config_set("protected-mode", "no")
            assert from_remote(remote_host, server.port, "PING") == "PONG"


@pytest.mark.parametrize("kind", KINDS)
def test_the_default_bind_is_not_reachable_from_another_host(
        request: pytest.FixtureRequest, remote_host: str, kind: str) -> None:
    server = server_of_kind(request, kind)
    with server.start():
        reply = from_remote(remote_host, server.port, "PING")
        assert "Connection refused" in reply
        with server.client() as local:
            assert local.ping() is True


def test_both_servers_word_the_denial_identically(
        request: pytest.FixtureRequest, remote_host: str) -> None:
    request.getfixturevalue("real_redis")
    replies = []
    for kind in ("emberkv", "redis"):
        with ServerProcess(kind, ["--bind", f"127.0.0.1 {HOST_ADDRESS}"]).start() as server:
            replies.append(from_remote(remote_host, server.port, "PING"))
    assert replies[0] == replies[1]
