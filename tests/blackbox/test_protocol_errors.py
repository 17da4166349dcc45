"""Raw-socket protocol tests: malformed and unusual RESP sent to EmberKV and to the real
redis-server, which must answer the same bytes and close (or not) the same way; plus
load and abuse cases that only EmberKV needs to survive: big pipelines, clients that
vanish mid-request, huge declared lengths.
"""

from __future__ import annotations

import socket
import struct
import time
from typing import Iterator

import pytest
import redis

from tests.servers import ServerProcess, rss_kb, started_pair
from tests.wire import pack, read_exactly, read_until_closed, send_until_closed

needs_redis_server = pytest.mark.needs_redis_server


def assert_both_answer(ember: ServerProcess, real: ServerProcess, data: bytes,
                       closes: bool) -> bytes:
    expected = send_until_closed(real.port, data)
    got = send_until_closed(ember.port, data)
    assert expected[1] is closes, f"redis-server closed={expected[1]} (test expectation wrong)"
    assert got == expected
    return got[0]


# ------------------------------------------------------------------ malformed requests

MALFORMED = [
    b"*1x\r\n",
    b"*\r\n",
    b"*-0\r\n",
    b"*01\r\n",
    b"*+1\r\n",
    b"*2147483648\r\n",
    b"*99999999999\r\n",
    b"*1\n$4\r\nPING\r\n",
    b"*1\r\n$-1\r\n",
    b"*1\r\n$x\r\n",
    b"*1\r\n$\r\n",
    b"*1\r\n$01\r\n",
    b"*1\r\n$9999999999\r\n",
    b"*1\r\n$536870913\r\n",
    b"*1\r\n:1\r\n",
    b"*1\r\n*1\r\n",
    b"*2\r\n$4\r\nECHO\r\n+x\r\n",
    b"*1\r\n\r\n",
    b"*1\r\n\n\r\n",
    b"*1\r\n\xff\r\n",
    b'SET a "b\r\n',
    b"SET a 'b\r\n",
    b'SET a "b"c\r\n',
    b"SET a 'b'c\r\n",
    b'ECHO "a\\\r\n',
    b"x" * 100_000,
    b"*" + b"1" * 100_000,
    b"*1\r\n$" + b"1" * 100_000,
    b"PING\x00\r\n" + b"x" * 100_000,
    # The good prefix runs and is answered before the error.
    b"PING\r\n*x\r\n",
    pack(b"PING") + pack(b"ECHO", b"hi") + b"*1\r\n$-5\r\n",
    pack(b"PING") + b'PING "\r\n' + pack(b"PING"),
]


@needs_redis_server
@pytest.mark.parametrize("data", MALFORMED, ids=lambda d: repr(d[:40]))
def test_malformed_request_gets_redis_error_and_close(
    ember: ServerProcess, real_redis: ServerProcess, data: bytes
) -> None:
    reply = assert_both_answer(ember, real_redis, data, closes=True)
    assert b"-ERR Protocol error: " in reply


# ------------------------------------------------------------------ unusual but valid input

UNUSUAL = [
    b"PING\r\n",
    b"PING\n",
    b"\r\n\n   \r\nPING\r\n",
    b'SET a "hello world"\r\nGET a\r\n',
    b"SET a 'it\\'s'\r\nGET a\r\n",
    b'ECHO "\\x41\\x4g\\n\\q\\"z"\r\n',
    b"ECHO 'a\\'b\\nc'\r\n",
    b'ECHO a"b c"\r\n',
    b"ECHO 'a\"b'\r\n",
    b'ECHO ""\r\n',
    b'ECHO "\\xff\\x00"\r\n',
    b"ECHO \xff\xfe\r\n",
    b"ECHO a\rb\r\n",
    b"SET a\x0bb c\r\nGET a\x0bb\r\n",
    b"SET a\x0cb c\r\nGET a\x0cb\r\n",
    b'SET a "x"\x0b\r\nGET a\r\n',
    b"*0\r\n*-1\r\n*-5\r\nPING\r\n",
    b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
    b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
    pack(b"ECHO", b"a\r\nb\x00c") + b"ECHO x\n" + pack(b"PING", b"*1\r\n"),
]


@needs_redis_server
@pytest.mark.parametrize("data", UNUSUAL, ids=lambda d: repr(d[:40]))
def test_unusual_request_gets_same_replies(
    ember: ServerProcess, real_redis: ServerProcess, data: bytes
) -> None:
    reply = assert_both_answer(ember, real_redis, data + b"QUIT\r\n", closes=True)
    assert reply.endswith(b"+OK\r\n")


# Redis formats these errors with %s: an argument is quoted up to its first NUL, its
# bytes go back as they came (no UTF-8 decoding), the preview stops at 128 bytes (not
# characters), and CR/LF become spaces so the reply stays one line.
RAW_BYTES_ERRORS = [
    pack(b"NOSUCH", b"ab\xff"),
    pack(b"NOSUCH", b"a\x00b"),
    pack(b"NO\x00SUCH", b"x"),
    pack(b"NOSUCH", b"a\r\nb", b"c\rd\ne"),
    pack(b"N\r\nO", b"x"),
    pack(b"NOSUCH", "\u00e9".encode() * 100),
    pack(b"NOSUCH", b"x" * 125, "\u00e9".encode() * 3),
    pack(b"NOSUCH", b"x" * 120, "\u00e9".encode() * 3),
    pack(b"NOSUCH", *[b"abc"] * 60),
    pack(b"\xff" * 200),
    pack(b""),
    pack(b"CONFIG", b"\xffbad\x00x"),
    pack(b"CONFIG", b"a\r\nb"),
    pack(b"OBJECT", b"\xfe" * 200),
    pack(b"SLOWLOG", b"GET", b"1", b"\xff"),
    pack(b"HELLO", b"3", b"\xffx\x00y"),
    pack(b"CLIENT", b"LIST", b"TYPE", b"\xffa\x00b"),
    pack(b"CLIENT", b"NO-EVICT", b"\xffa\x00b"),
]


@needs_redis_server
@pytest.mark.parametrize("data", RAW_BYTES_ERRORS, ids=lambda d: repr(d[:40]))
def test_unknown_command_error_quotes_raw_bytes(
    ember: ServerProcess, real_redis: ServerProcess, data: bytes
) -> None:
    reply = assert_both_answer(ember, real_redis, data + b"QUIT\r\n", closes=True)
    assert reply.startswith(b"-ERR ")
    assert reply.count(b"\r\n") == 2  # one error line, then QUIT's +OK


@needs_redis_server
@pytest.mark.parametrize("data", [b"PING\x00\r\nPING\r\n", b"*1\x00\r\n", b"*1\r\n$4\x00\r\n"])
def test_nul_before_line_end_waits_like_redis(
    ember: ServerProcess, real_redis: ServerProcess, data: bytes
) -> None:
    # Redis finds line ends with strchr, which stops at the NUL: it waits for more input,
    # and answers only once the line passes the 64 KB limit.
    for server in (real_redis, ember):
        with socket.create_connection(("127.0.0.1", server.port), timeout=0.3) as sock:
            sock.sendall(data)
            assert read_until_closed(sock) == (b"", False)
            sock.settimeout(5)
            try:
                sock.sendall(b"y" * 70_000)
            except (BrokenPipeError, ConnectionResetError):
                pass
            reply, closed = read_until_closed(sock)
        assert closed
        assert reply.startswith(b"-ERR Protocol error: too big "), server.kind


# ------------------------------------------------------------------ authentication limits


@pytest.fixture(scope="module")
def auth_servers(real_redis: ServerProcess) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    # Depending on real_redis applies its skip (or, in CI, failure) when redis-server is
    # missing; these two servers have a password set.
    with started_pair(["--requirepass", "pw"]) as pair:
        yield pair


AUTH_CASES = [
    (b"*11\r\n", True),
    (b"*10\r\n$4\r\nPING\r\n", False),
    (b"*1\r\n$16385\r\n", True),
    (b"*2\r\n$4\r\nECHO\r\n$16384\r\n" + b"x" * 16384 + b"\r\n", False),
    (b"PING\r\n", False),
    (pack(b"AUTH", b"pw") + b"*11\r\n", False),
    (pack(b"AUTH", b"pw") + b"*1\r\n$16385\r\n", False),
    (pack(b"AUTH", b"wrong") + b"*11\r\n", True),
    (b"AUTH pw\r\n*11\r\n$4\r\nPING\r\n", False),
]


@needs_redis_server
@pytest.mark.parametrize("data, closes", AUTH_CASES, ids=lambda d: repr(d)[:40])
def test_unauthenticated_length_limits(
    auth_servers: tuple[ServerProcess, ServerProcess], data: bytes, closes: bool
) -> None:
    ember, real = auth_servers
    if closes:
        reply = assert_both_answer(ember, real, data, closes=True)
        assert b"-ERR Protocol error: unauthenticated " in reply
        return
    # Still open: compare what arrived within a short wait.
    replies = [send_until_closed(server.port, data, timeout_s=0.5) for server in (real, ember)]
    assert replies[1] == replies[0]
    assert replies[0][1] is False


# ------------------------------------------------------------------ load and abuse (EmberKV)


def test_pipeline_of_10k_commands_in_one_write(ember: ServerProcess, r: redis.Redis) -> None:
    count = 10_000
    data = b"".join(pack(b"SET", b"key:%d" % i, b"value:%d" % i) for i in range(count))
    data += b"".join(pack(b"GET", b"key:%d" % i) for i in range(count))
    expected = b"+OK\r\n" * count + b"".join(
        b"$%d\r\nvalue:%d\r\n" % (len(b"value:%d" % i), i) for i in range(count)
    )
    with socket.create_connection(("127.0.0.1", ember.port), timeout=30) as sock:
        sock.sendall(data)
        assert read_exactly(sock, len(expected)) == expected
    assert r.dbsize() == count


def test_inline_pipeline_in_one_write(ember: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", ember.port), timeout=30) as sock:
        sock.sendall(b"PING\r\n" * 10_000)
        assert read_exactly(sock, 7 * 10_000) == b"+PONG\r\n" * 10_000


@pytest.mark.parametrize(
    "partial",
    [
        b"*3\r\n$3\r\nSET\r\n$7\r\npartial\r\n$10\r\nabc",
        b"*3\r\n$3\r\nSET\r\n$7\r\npartial\r\n$1000000\r\n" + b"x" * 300_000,
        b"*3\r\n$3\r\nSET\r\n$7\r\npar",
        b"*3\r\n",
        b"SET partial value",
    ],
    ids=["in-bulk", "in-large-bulk", "in-header", "after-count", "inline-without-newline"],
)
@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
def test_client_closing_mid_request(
    ember: ServerProcess, r: redis.Redis, partial: bytes, reset: bool
) -> None:
    sock = socket.create_connection(("127.0.0.1", ember.port), timeout=5)
    sock.sendall(partial)
    time.sleep(0.05)
    if reset:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    assert r.ping() is True
    assert r.get("partial") is None
    assert r.set("after", "ok") is True


@pytest.mark.parametrize(
    "data, message",
    [
        (b"*99999999999\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"*1\r\n$9999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*1\r\n$99999999999999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    ],
)
def test_huge_declared_length_is_refused_without_allocating(
    ember: ServerProcess, r: redis.Redis, data: bytes, message: bytes
) -> None:
    before = rss_kb(ember.pid)
    assert send_until_closed(ember.port, data) == (message, True)
    assert rss_kb(ember.pid) - before < 32 * 1024
    assert r.ping() is True


@pytest.mark.parametrize(
    "header",
    [b"*2147483647\r\n", b"*1\r\n$536870912\r\n", b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n"],
    ids=["max-count", "max-bulk", "max-bulk-value"],
)
def test_largest_allowed_declared_length_is_not_preallocated(
    ember: ServerProcess, r: redis.Redis, header: bytes
) -> None:
    before = rss_kb(ember.pid)
    with socket.create_connection(("127.0.0.1", ember.port), timeout=5) as sock:
        sock.sendall(header + b"x" * 1024)
        time.sleep(0.2)
        assert r.ping() is True
        assert rss_kb(ember.pid) - before < 32 * 1024
    assert r.ping() is True


def test_server_keeps_serving_others_through_protocol_errors(
    ember: ServerProcess, r: redis.Redis
) -> None:
    bystander = ember.client()
    bystander.set("bystander", "here")
    for data in MALFORMED:
        reply, closed = send_until_closed(ember.port, data)
        assert closed and b"-ERR Protocol error: " in reply
        assert bystander.get("bystander") == b"here"
    assert r.ping() is True
    with socket.create_connection(("127.0.0.1", ember.port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        assert read_exactly(sock, 7) == b"+PONG\r\n"
    bystander.close()


def test_error_after_pipeline_answers_every_good_request_first(ember: ServerProcess) -> None:
    data = b"".join(pack(b"ECHO", b"%d" % i) for i in range(1000)) + b"*1\r\n$x\r\n"
    expected = b"".join(b"$%d\r\n%d\r\n" % (len(b"%d" % i), i) for i in range(1000))
    expected += b"-ERR Protocol error: invalid bulk length\r\n"
    assert send_until_closed(ember.port, data) == (expected, True)
