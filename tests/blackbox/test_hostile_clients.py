"""Hostile clients over real sockets: mutated and random RESP, absurd declared lengths,
huge pipelines, requests left half-sent, a client that never reads, thousands of
connections at once. Whatever a client sends, the server answers an error and/or
closes that one connection, keeps serving everyone else (a bystander connection
PINGs after each batch), keeps its memory bounded and logs no traceback.

Everything is bounded in count and time; the fuzzing is seeded, so a failure repeats.
"""

from __future__ import annotations

import random
import re
import resource
import selectors
import socket
import threading
import time
from typing import Iterator

import hiredis
import pytest
import redis

from tests.servers import ServerProcess, has_traceback, rss_kb, started_pair
from tests.wire import pack, read_exactly, send_until_closed


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """A server of its own: these tests abuse it, and its log must stay clean.
    Indirect parametrization gives it extra arguments."""
    process = ServerProcess("emberkv", list(getattr(request, "param", []))).start()
    try:
        yield process
        log = process.log_text()
        assert not has_traceback(log), f"EmberKV logged a traceback:\n{log}"
        assert process.process is not None and process.process.poll() is None, "server died"
    finally:
        process.cleanup()


class Bystander:
    """One well-behaved connection kept open through the abuse."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.count = 0

    def check(self) -> None:
        self.count += 1
        key = b"bystander:%d" % self.count
        self.sock.sendall(pack("PING") + pack("SET", key, "alive") + pack("GET", key))
        expected = b"+PONG\r\n+OK\r\n$5\r\nalive\r\n"
        assert read_exactly(self.sock, len(expected)) == expected

    def close(self) -> None:
        self.sock.close()


# ------------------------------------------------------------------ fuzzing

# Valid requests to mutate. Nothing here can take the server down or make it allocate
# without bound once a digit changes (no SHUTDOWN, CONFIG, FLUSHALL, DEBUG, SETRANGE,
# SETBIT, BITFIELD, *RANDMEMBER/HRANDFIELD with counts).
SEEDS = [
    ("PING",), ("ECHO", "hello"), ("SET", "k", "v"), ("SET", "k", "v", "EX", "100", "NX"),
    ("GET", "k"), ("MSET", "a", "1", "b", "2"), ("MGET", "a", "b", "c"), ("INCR", "n"),
    ("INCRBY", "n", "12"), ("INCRBYFLOAT", "f", "1.5"), ("APPEND", "s", "xyz"),
    ("GETRANGE", "s", "0", "-1"), ("STRLEN", "s"), ("GETEX", "k", "PX", "5000"),
    ("LPUSH", "l", "a", "b", "c"), ("LRANGE", "l", "0", "-1"), ("LPOS", "l", "b", "RANK", "1"),
    ("LINSERT", "l", "BEFORE", "a", "z"), ("LTRIM", "l", "0", "10"), ("BLPOP", "l", "0.01"),
    ("LMPOP", "2", "l", "m", "LEFT", "COUNT", "2"),
    ("HSET", "h", "f", "v", "g", "w"), ("HGETALL", "h"), ("HINCRBY", "h", "c", "3"),
    ("HSCAN", "h", "0", "COUNT", "10"),
    ("SADD", "st", "x", "y", "z"), ("SINTERCARD", "2", "st", "st2", "LIMIT", "5"),
    ("SMEMBERS", "st"), ("SPOP", "st", "2"),
    ("ZADD", "z", "1", "a", "2.5", "b"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    ("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0", "5"), ("ZINCRBY", "z", "1", "a"),
    ("ZUNIONSTORE", "zu", "2", "z", "z", "WEIGHTS", "1", "2"), ("ZPOPMIN", "z", "1"),
    ("PFADD", "hll", "a", "b"), ("PFCOUNT", "hll"), ("BITCOUNT", "s", "0", "-1"),
    ("EXPIRE", "k", "100"), ("PEXPIREAT", "k", "99999999999"), ("TTL", "k"),
    ("RENAME", "a", "a2"), ("COPY", "b", "b2"), ("TYPE", "h"), ("OBJECT", "ENCODING", "l"),
    ("SCAN", "0", "MATCH", "*", "COUNT", "100"), ("SORT", "l", "ALPHA", "LIMIT", "0", "2"),
    ("SELECT", "3"), ("DBSIZE",), ("EXISTS", "k", "a"), ("DEL", "a2", "b2"),
    ("MULTI",), ("EXEC",), ("WATCH", "k"), ("DISCARD",),
    ("SUBSCRIBE", "ch"), ("PUBLISH", "ch", "msg"), ("HELLO", "3"), ("CLIENT", "SETNAME", "x"),
    ("INFO", "keyspace"), ("COMMAND", "INFO", "GET"), ("TIME",),
]

NUMBERS = [b"-1", b"-5", b"0", b"2147483648", b"9223372036854775808", b"-2147483649",
           b"99999999999999999999", b"", b"1e3", b"-0", b"0x10", b"+1"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        choice = rng.randrange(7)
        at = rng.randrange(len(buf) + 1)
        if choice == 0 and buf:  # one byte changed
            buf[min(at, len(buf) - 1)] = rng.randrange(256)
        elif choice == 1:  # bytes inserted
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif choice == 2 and buf:  # a range removed
            del buf[at:at + rng.randint(1, 6)]
        elif choice == 3:  # a number (count, length, argument) replaced
            numbers = [m.span() for m in re.finditer(rb"-?\d+", bytes(buf))]
            if numbers:
                start, end = rng.choice(numbers)
                buf[start:end] = rng.choice(NUMBERS)
        elif choice == 4:  # cut short
            del buf[at:]
        elif choice == 5 and buf:  # a slice repeated
            end = min(len(buf), at + rng.randint(1, 20))
            buf[at:at] = buf[at:end] * rng.randint(1, 4)
        else:  # a CR or LF dropped in or taken out
            buf[at:at] = rng.choice([b"\r", b"\n", b"\r\n", b"\x00", b"*", b"$"])
    return bytes(buf)


def fire(port: int, data: bytes) -> None:
    """Send `data`, say EOF, read until the server closes. The reply is not checked
    (it may be anything from replies to an error); what matters is that the server
    ends the exchange and survives it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(65536):
                pass
        except (ConnectionResetError, BrokenPipeError):
            pass  # closed on a protocol error with input unread: a reset, as with Redis
        except socket.timeout:
            raise AssertionError(f"server neither answered nor closed after {data!r}")


# With the AOF on, replies go through the reply gate (server/output.py), and a
# connection closed on a protocol error closes through it too.
WITH_AND_WITHOUT_AOF = pytest.mark.parametrize(
    "server", [[], ["--appendonly", "yes", "--appendfsync", "always"]],
    ids=["no-aof", "aof-always"], indirect=True)

FUZZ_RSS_BOUND_KB = 32 * 1024


@WITH_AND_WITHOUT_AOF
def test_mutated_requests_never_take_the_server_down(server: ServerProcess) -> None:
    rng = random.Random(20261202)
    bystander = Bystander(server.port)
    before = rss_kb(server.pid)
    try:
        for batch in range(8):
            for _ in range(40):
                seeds = [pack(*rng.choice(SEEDS)) for _ in range(rng.randint(1, 4))]
                fire(server.port, mutate(b"".join(seeds), rng))
            bystander.check()
        assert rss_kb(server.pid) - before < FUZZ_RSS_BOUND_KB
    finally:
        bystander.close()


WORDS = [b"EX", b"PX", b"EXAT", b"PXAT", b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"KEEPTTL",
         b"GET", b"LIMIT", b"COUNT", b"WITHSCORES", b"REV", b"BYSCORE", b"BYLEX", b"MATCH",
         b"TYPE", b"LEFT", b"RIGHT", b"BEFORE", b"AFTER", b"RANK", b"MAXLEN", b"WEIGHTS",
         b"AGGREGATE", b"MIN", b"MAX", b"SUM", b"ALPHA", b"STORE", b"BY", b"-inf", b"+inf",
         b"(1", b"[a", b"-", b"+", b"nan", b"inf", b"1.5", b"-1.5e308", b"*", b"k", b"l",
         b"h", b"z", b"st", b"hll", b"s"]


def mutate_arguments(argv: tuple[str, ...], rng: random.Random) -> list[bytes]:
    """A well-framed request whose arguments are wrong: what a handler must survive."""
    args = [a.encode() for a in argv]
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(1, len(args) + 1)
        choice = rng.randrange(5)
        if choice == 0 and at < len(args):
            args[at] = rng.choice(NUMBERS)
        elif choice == 1:
            args.insert(at, rng.choice(WORDS + NUMBERS))
        elif choice == 2 and at < len(args):
            del args[at]
        elif choice == 3 and at < len(args):
            args[at] = bytes(rng.randrange(256) for _ in range(rng.randint(0, 6)))
        else:
            args[at:at] = args[1:][:rng.randint(1, 3)]
    return args


@WITH_AND_WITHOUT_AOF
def test_wrong_arguments_never_take_the_server_down(server: ServerProcess) -> None:
    """Framing intact, arguments mutated: every command gets a reply (errors are
    fine), pipelined on one connection per batch."""
    rng = random.Random(424242)
    bystander = Bystander(server.port)
    before = rss_kb(server.pid)
    try:
        for batch in range(10):
            requests = [mutate_arguments(rng.choice(SEEDS), rng) for _ in range(200)]
            # Not those that change how replies come (blocking, pub/sub, RESP3).
            requests = [argv for argv in requests
                        if argv[0] not in (b"SUBSCRIBE", b"HELLO", b"BLPOP")]
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
                sock.sendall(b"".join(pack(*argv) for argv in requests) + pack("PING"))
                sock.shutdown(socket.SHUT_WR)
                received = b""
                while chunk := sock.recv(1 << 16):
                    received += chunk
            reader = hiredis.Reader()
            reader.feed(received)
            replies = []
            while (reply := reader.gets()) is not False:
                replies.append(reply)
            assert len(replies) == len(requests) + 1
            assert b"ERR internal error" not in received
            bystander.check()
        assert rss_kb(server.pid) - before < FUZZ_RSS_BOUND_KB
    finally:
        bystander.close()


def test_random_bytes_never_take_the_server_down(server: ServerProcess) -> None:
    rng = random.Random(7)
    alphabet = b"*$:+-\r\n0123456789PINGSET \"'\\x\x00\xff"
    bystander = Bystander(server.port)
    before = rss_kb(server.pid)
    try:
        for batch in range(5):
            for _ in range(40):
                size = rng.choice([1, 5, 50, 500, 5000])
                if rng.random() < 0.5:
                    data = bytes(rng.randrange(256) for _ in range(size))
                else:
                    data = bytes(rng.choice(alphabet) for _ in range(size))
                fire(server.port, data)
            bystander.check()
        assert rss_kb(server.pid) - before < FUZZ_RSS_BOUND_KB
    finally:
        bystander.close()


# ------------------------------------------------------------------ absurd lengths

ABSURD = [
    b"*2147483648\r\n",
    b"*2147483647\r\n$4\r\nPING\r\n",
    b"*1\r\n$2147483648\r\n",
    b"*-5\r\n*1\r\n$4\r\nPING\r\n",
    b"*2\r\n$4\r\nECHO\r\n$-2\r\n",
    b"*-1\r\n*1\r\n$4\r\nPING\r\n",
    b"*1\r\n$-1\r\n",
    b"*-9223372036854775809\r\n",
    b"*2\r\n$3\r\nGET\r\n$536870912\r\nabc",
]


@pytest.mark.needs_redis_server
def test_absurd_declared_lengths_are_answered_as_redis_does(real_redis: ServerProcess) -> None:
    with started_pair() as (ember, real):
        for data in ABSURD:
            expected = send_until_closed(real.port, data, timeout_s=0.5)
            got = send_until_closed(ember.port, data, timeout_s=0.5)
            assert got == expected, data
            assert ember.client().ping()


def test_absurd_declared_lengths_allocate_nothing(server: ServerProcess) -> None:
    bystander = Bystander(server.port)
    before = rss_kb(server.pid)
    held = []
    try:
        # Connections that declare 2 GB arrays and 512 MB bulks, then stay open.
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"*2147483647\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\nxyz")
            held.append(sock)
        bystander.check()
        assert rss_kb(server.pid) - before < 20 * 1024  # 20 MB: no preallocation
    finally:
        for sock in held:
            sock.close()
        bystander.close()


# ------------------------------------------------------------------ pipelines


def test_pipeline_of_100k_commands_streams_every_reply(server: ServerProcess) -> None:
    count = 100_000
    commands = [pack("INCR", "counter") if n % 2 else pack("SET", b"p:%d" % n, n)
                for n in range(count)]
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)

    def send() -> None:
        for start in range(0, count, 5000):
            sock.sendall(b"".join(commands[start:start + 5000]))

    sender = threading.Thread(target=send)
    sender.start()
    reader = hiredis.Reader()
    replies: list[object] = []
    deadline = time.monotonic() + 60
    try:
        while len(replies) < count:
            assert time.monotonic() < deadline, f"only {len(replies)} replies"
            chunk = sock.recv(1 << 20)
            assert chunk, f"server closed after {len(replies)} replies"
            reader.feed(chunk)
            while (reply := reader.gets()) is not False:
                replies.append(reply)
    finally:
        sender.join()
        sock.close()
    assert len(replies) == count
    assert replies[-1] == count // 2 and replies[0] == b"OK"
    assert server.client().dbsize() == count // 2 + 1


# ------------------------------------------------------------------ half-sent and closed

HALF_SENT = [
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc",
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\n" + b"x" * 100_000,
    b"*3\r\n$3\r\nSE",
    b"*3",
    b"SET k partial-inline",
    b"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO",
]


def connected_clients(server: ServerProcess) -> int:
    return int(server.client().info("clients")["connected_clients"])


def test_half_sent_requests_left_open_then_closed(server: ServerProcess) -> None:
    bystander = Bystander(server.port)
    baseline = connected_clients(server)
    before = rss_kb(server.pid)
    held = []
    try:
        for n in range(300):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(HALF_SENT[n % len(HALF_SENT)])
            held.append(sock)
        bystander.check()
        deadline = time.monotonic() + 10
        while connected_clients(server) < baseline + 300:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        # 300 connections, 50 of them with 100 KB of a bulk buffered: well under 64 MB.
        assert rss_kb(server.pid) - before < 64 * 1024
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 10
    while connected_clients(server) > baseline:
        assert time.monotonic() < deadline, "closed clients were not dropped"
        time.sleep(0.05)
    bystander.check()
    assert server.client().get("k") is None  # no half request ran
    bystander.close()


# ------------------------------------------------------------------ a client that never reads


def test_client_that_never_reads_does_not_stall_others(server: ServerProcess) -> None:
    client = server.client()
    client.set("big", b"x" * 100_000)
    bystander = Bystander(server.port)
    greedy = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    greedy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        # 300 x 100 KB of replies that are never read (30 MB); sending stops being
        # possible once the server stops reading, which is fine too.
        greedy.setblocking(False)
        payload = pack("GET", "big") * 300
        sent = 0
        deadline = time.monotonic() + 5
        while sent < len(payload) and time.monotonic() < deadline:
            try:
                sent += greedy.send(payload[sent:])
            except BlockingIOError:
                time.sleep(0.01)
        for _ in range(5):
            bystander.check()
            time.sleep(0.05)
        assert client.get("big") == b"x" * 100_000
    finally:
        greedy.close()
        bystander.check()
        bystander.close()


# ------------------------------------------------------------------ many connections


def open_connections(port: int, count: int) -> list[socket.socket]:
    """`count` connections, each of which has had a PING answered."""
    selector = selectors.DefaultSelector()
    socks = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            socks.append(sock)
        for sock in socks:
            sock.sendall(b"PING\r\n")
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, data=sock)
        waiting = set(socks)
        received = {sock: b"" for sock in socks}
        deadline = time.monotonic() + 60
        while waiting:
            assert time.monotonic() < deadline, f"{len(waiting)} connections got no PONG"
            for key, _ in selector.select(1.0):
                ready: socket.socket = key.data
                received[ready] += ready.recv(64)
                if received[ready] == b"+PONG\r\n":
                    waiting.discard(ready)
                    selector.unregister(ready)
                else:
                    assert b"+PONG\r\n".startswith(received[ready]), received[ready]
        return socks
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    finally:
        selector.close()


@pytest.fixture
def many_files() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 6000
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(hard, wanted)))
        except (ValueError, OSError):
            pytest.fail(f"cannot raise RLIMIT_NOFILE to {wanted} (soft {soft}, hard {hard})")
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize("count", [5000])  # the figure; about 9 s
def test_thousands_of_concurrent_connections(server: ServerProcess, many_files: None,
                                             count: int) -> None:
    bystander = Bystander(server.port)
    bystander.check()
    before = rss_kb(server.pid)
    socks = open_connections(server.port, count)
    try:
        bystander.check()
        assert connected_clients(server) >= count + 1
        grown_kb = rss_kb(server.pid) - before
        # Measured: about 4 KB per idle connection (Python objects, transport and
        # parser); 12 KB is the bound. Redis allocates ~20 KB each for query buffers.
        assert grown_kb < count * 12, f"{grown_kb / count:.1f} KB per connection"
    finally:
        for sock in socks:
            sock.close()
    deadline = time.monotonic() + 20
    while connected_clients(server) > 2:
        assert time.monotonic() < deadline, "closed clients were not dropped"
        time.sleep(0.1)
    bystander.check()
    # The connections' memory is reusable: a second round does not grow the server
    # by as much again.
    after_first = rss_kb(server.pid)
    socks = open_connections(server.port, count)
    for sock in socks:
        sock.close()
    assert rss_kb(server.pid) - after_first < count * 5
    bystander.close()


@pytest.mark.parametrize("server", [["--appendonly", "yes", "--appendfsync", "always"]],
                         ids=["aof-always"], indirect=True)
def test_replies_held_for_the_aof_still_reach_a_client_that_half_closed(
        server: ServerProcess) -> None:
    """`printf 'SET k v\\r\\n' | nc -N`: the client sends, then shuts its side down.
    The replies waiting for the fsync must still be written before the close."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(pack("SET", "k", "v") + pack("INCR", "n") + pack("GET", "k"))
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(1 << 16):
            received += chunk
    assert received == b"+OK\r\n:1\r\n$1\r\nv\r\n"
