"""requirepass: EmberKV and the real redis-server 7.0.15 started with the same password
must refuse, accept and word their errors identically: AUTH, HELLO ... AUTH, the
NOAUTH gate, RESET, INFO errorstats, and what redis-py raises.

Both servers are started through ServerProcess.start(), so these tests also pin that a
server with a password (and protected mode) is detected as ready.
"""

from __future__ import annotations

import re
import time
from typing import Any, Iterator

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.servers import ServerProcess, ping_reply, started_pair
from tests.wire import Connection, ServerClosed

pytestmark = pytest.mark.needs_redis_server

PASSWORD = "s3cret pw"
NOAUTH_PING = b"-NOAUTH Authentication required.\r\n"


@pytest.fixture(scope="module")
def auth_pair(real_redis: ServerProcess) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    # real_redis applies the missing-redis-server skip (or the CI failure) first.
    with started_pair(["--requirepass", PASSWORD]) as pair:
        yield pair


def exchange(port: int, commands: list[tuple[Any, ...]]) -> list[bytes]:
    """Each command's raw reply on one fresh connection; once the server closes it, what
    arrived then plus b"<closed>" is the last reply."""
    replies: list[bytes] = []
    with Connection(port) as connection:
        for command in commands:
            try:
                replies.append(connection.request(command))
            except ServerClosed as closed:
                replies.append(closed.received + b"<closed>")
                break
    return replies


# HELLO's reply carries the connection id, which depends on how many connections each
# server has seen.
_HELLO_ID = re.compile(rb"(\$2\r\nid\r\n):\d+\r\n")


def same_replies(pair: tuple[ServerProcess, ServerProcess],
                 commands: list[tuple[Any, ...]]) -> list[bytes]:
    ember, real = pair
    expected = [_HELLO_ID.sub(rb"\1:ID\r\n", r) for r in exchange(real.port, commands)]
    got = [_HELLO_ID.sub(rb"\1:ID\r\n", r) for r in exchange(ember.port, commands)]
    assert list(zip(commands, got)) == list(zip(commands, expected))
    return got


# ------------------------------------------------------------------ readiness


@pytest.mark.parametrize(
    "args",
    [["--requirepass", "pw"],
     ["--requirepass", "pw", "--protected-mode", "yes"],
     ["--requirepass", "pw", "--protected-mode", "no"],
     ["--protected-mode", "yes"]],
    ids=" ".join,
)
def test_start_detects_a_server_with_auth_settings_as_ready(
    real_redis: ServerProcess, args: list[str]
) -> None:
    replies = []
    for kind in ("redis", "emberkv"):
        started = time.monotonic()
        with ServerProcess(kind, args=args) as server:
            # Ready as soon as it answers, although redis-py would call -NOAUTH a
            # connection failure.
            assert time.monotonic() - started < 10
            replies.append(ping_reply(server.port))
    assert replies[1] == replies[0]
    assert replies[0] == (NOAUTH_PING if "--requirepass" in args else b"+PONG\r\n")


def test_start_detects_a_server_with_requirepass_in_its_config_file(
    real_redis: ServerProcess, tmp_path
) -> None:
    config = tmp_path / "auth.conf"
    config.write_text('requirepass "from file"\n')
    for kind in ("redis", "emberkv"):
        with ServerProcess(kind, config_file=str(config)) as server:
            assert ping_reply(server.port) == NOAUTH_PING
            with server.client(protocol=2, password="from file") as client:
                assert client.ping() is True


# ------------------------------------------------------------------ raw replies

SCENARIOS = {
    "gate": [
        ("PING",), ("GET", "k"), ("SET", "k", "v"), ("CLIENT", "SETNAME", "x"),
        ("SELECT", "1"), ("ECHO", "x"), ("CONFIG", "GET", "requirepass"),
        # Lookup and arity come before the auth gate, as in processCommand.
        ("NOSUCH", "x"), ("GET",),
        ("QUIT",),
    ],
    "auth-errors": [
        ("AUTH",), ("AUTH", "a", "b", "c"), ("AUTH", "wrong"), ("AUTH", "default", "wrong"),
        ("AUTH", "nobody", PASSWORD), ("AUTH", ""), ("AUTH", "x" * 600),
        ("AUTH", PASSWORD.upper()), ("PING",),
        ("AUTH", PASSWORD), ("PING",), ("GET", "k"),
    ],
    "auth-with-user": [("AUTH", "default", PASSWORD), ("PING",)],
    "failed-auth-keeps-the-session": [
        ("AUTH", PASSWORD), ("AUTH", "wrong"), ("PING",), ("AUTH", "default", "wrong"),
        ("ECHO", "still in"),
    ],
    "reset-logs-out": [
        ("AUTH", PASSWORD), ("PING",), ("RESET",), ("PING",), ("AUTH", PASSWORD), ("PING",),
    ],
    "hello-auth-errors": [
        ("HELLO", "4"), ("HELLO", "3", "AUTH", "default", "wrong"),
        ("HELLO", "3", "AUTH", "default"), ("HELLO", "3", "AUTH", "nobody", PASSWORD),
        ("HELLO", "2", "AUTH", "default", PASSWORD, "SETNAME", "bad name"), ("PING",),
    ],
    "hello-3-auth": [
        ("HELLO", "3", "AUTH", "default", PASSWORD, "SETNAME", "me"), ("CLIENT", "GETNAME"),
        ("PING",), ("GET", "missing"), ("AUTH", "wrong"),
    ],
    "hello-2-auth": [("HELLO", "2", "AUTH", "default", PASSWORD), ("GET", "missing")],
    "auth-then-hello-3": [("AUTH", PASSWORD), ("HELLO", "3"), ("GET", "missing")],
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_auth_replies_match_redis(
    auth_pair: tuple[ServerProcess, ServerProcess], name: str
) -> None:
    same_replies(auth_pair, SCENARIOS[name])


@pytest.mark.parametrize("command", [("HELLO",), ("HELLO", "3"), ("HELLO", "2", "SETNAME", "x")],
                         ids=" ".join)
def test_hello_before_auth_is_refused_like_redis(
    auth_pair: tuple[ServerProcess, ServerProcess], command: tuple[str, ...]
) -> None:
    replies = same_replies(auth_pair, [command, ("PING",)])
    assert replies[0].startswith(b"-NOAUTH HELLO must be called")


def test_errorstats_count_auth_failures_like_redis(
    auth_pair: tuple[ServerProcess, ServerProcess]
) -> None:
    failures = [("PING",), ("GET",), ("AUTH", "wrong"), ("HELLO", "4"),
                ("HELLO", "3", "AUTH", "default", "wrong"), ("AUTH", "a", "b", "c")]
    stats = []
    for server in auth_pair:
        exchange(server.port, [("AUTH", PASSWORD), ("CONFIG", "RESETSTAT")])
        exchange(server.port, failures)
        info = exchange(server.port, [("AUTH", PASSWORD), ("INFO", "errorstats")])[1]
        stats.append(info)
    assert stats[0] == stats[1]
    assert b"errorstat_NOAUTH:count=1\r\n" in stats[0]
    assert b"errorstat_WRONGPASS:count=2\r\n" in stats[0]


# ------------------------------------------------------------------ redis-py


@pytest.mark.parametrize("protocol, password", [
    (2, None), (2, "wrong"), (2, PASSWORD),
    (3, None), (3, "wrong"), (3, PASSWORD),
])
def test_redis_py_sees_the_same_outcome(
    auth_pair: tuple[ServerProcess, ServerProcess], protocol: int, password: str | None
) -> None:
    outcomes = []
    for server in auth_pair:
        # No retries: redis-py retries ConnectionErrors, AuthenticationError included,
        # with backoff, which only slows the test down.
        client = server.client(protocol=protocol, password=password,
                               retry=Retry(NoBackoff(), 0))
        try:
            outcomes.append(("ok", client.ping(), client.get("missing")))
        except redis.RedisError as error:
            outcomes.append((type(error).__name__, str(error)))
        finally:
            client.close()
    assert outcomes[0] == outcomes[1]
    if password == PASSWORD:
        assert outcomes[0] == ("ok", True, None)
    else:
        assert outcomes[0][0] == "AuthenticationError"
