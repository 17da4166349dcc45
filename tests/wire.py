"""Talking to a server below redis-py's conversions, for tests that pin exact replies:
reply types, error texts, when a connection closes.

Requests go out as RESP arrays of bulk strings (`pack`). Replies are cut with hiredis,
which only finds where a reply ends: the bytes returned are the server's, as they
arrived. `exchange` waits for each reply before sending the next command; `pipeline`
sends every command in one write. Connections go to 127.0.0.1, where tests start their
servers. The last section goes through redis-py, minus its per-command conversions.
"""

from __future__ import annotations

import socket
from typing import Any, Callable, Sequence

import hiredis
import pytest
import redis

Command = tuple[object, ...]  # bytes are sent as they are, anything else as str(arg)


def pack(*args: object) -> bytes:
    """One command as a RESP array of bulk strings."""
    argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in argv)


# ------------------------------------------------------------------ one reply at a time


class ServerClosed(AssertionError):
    """The server closed the connection before a whole reply arrived. An AssertionError,
    so a test that did not expect it fails; `received` holds what came first."""

    def __init__(self, command: Command, received: bytes) -> None:
        super().__init__(f"server closed the connection after {command!r}")
        self.received = received


class Connection:
    """One client connection; with protocol=3 it has said HELLO 3 (that reply is dropped)."""

    def __init__(self, port: int, protocol: int = 2, timeout_s: float = 30) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
        try:
            if protocol == 3:
                self.request(("HELLO", "3"))
        except BaseException:
            self.sock.close()
            raise

    def request(self, command: Command) -> bytes:
        """Send `command`, wait for its reply and return the bytes read until the reply
        was complete (ServerClosed if the server closed first)."""
        self.sock.sendall(pack(*command))
        reader, data = hiredis.Reader(), b""
        while True:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ServerClosed(command, data)
            data += chunk
            reader.feed(chunk)
            if reader.gets() is not False:
                return data

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def exchange(port: int, commands: Sequence[Command], protocol: int = 2,
             timeout_s: float = 30) -> list[bytes]:
    """Each command's raw reply bytes, sent one at a time on one fresh connection that
    speaks `protocol`."""
    with Connection(port, protocol, timeout_s) as connection:
        return [connection.request(command) for command in commands]


# ------------------------------------------------------------------ pipelined


def pipeline(port: int, *commands: Command, timeout_s: float = 10) -> bytes:
    """Send every command in one write on a fresh connection; the exact bytes of all
    their replies (fewer replies if the server closes first)."""
    reader = hiredis.Reader()
    received = b""
    expected = len(commands)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        sock.sendall(b"".join(pack(*command) for command in commands))
        while expected:
            data = sock.recv(1 << 20)
            if not data:
                break
            received += data
            reader.feed(data)
            while expected and reader.gets() is not False:
                expected -= 1
    return received


def split_replies(data: bytes) -> list[bytes]:
    """The exact bytes of each reply in `data`, cut where hiredis sees a reply end."""
    reader = hiredis.Reader()
    pieces: list[bytes] = []
    start = 0
    for end in range(1, len(data) + 1):
        reader.feed(data[end - 1:end])
        if reader.gets() is not False:
            pieces.append(data[start:end])
            start = end
    return pieces


def pipeline_replies(port: int, *commands: Command) -> list[bytes]:
    """`pipeline`, with the bytes of each reply apart."""
    return split_replies(pipeline(port, *commands))


def parsed(data: bytes) -> Any:
    """The first reply in `data` as hiredis parses it: an error is a hiredis.ReplyError
    value, not an exception."""
    reader = hiredis.Reader()
    reader.feed(data)
    return reader.gets()


def replies_to(port: int, *commands: Command) -> list[Any]:
    """`pipeline`, each reply as hiredis parses it: an error is a hiredis.ReplyError
    value, not an exception."""
    reader = hiredis.Reader()
    reader.feed(pipeline(port, *commands))
    return [reader.gets() for _ in commands]


def reply_to(port: int, *args: object) -> Any:
    """One command on a fresh connection; its reply as `replies_to` parses it."""
    return replies_to(port, args)[0]


# ------------------------------------------------------------------ until the server closes


def read_until_closed(sock: socket.socket) -> tuple[bytes, bool]:
    """Everything `sock` receives, and whether the server closed it (EOF or reset)
    rather than going quiet until the socket's timeout."""
    chunks: list[bytes] = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)
    except socket.timeout:
        return b"".join(chunks), False
    except ConnectionResetError:
        return b"".join(chunks), True


def send_until_closed(port: int, data: bytes, timeout_s: float = 5.0) -> tuple[bytes, bool]:
    """Send `data` on a fresh connection, then `read_until_closed`.

    A server that closes a connection with unread input makes the kernel answer with a
    reset, so sending may fail with EPIPE/ECONNRESET and reading may end in ECONNRESET
    instead of EOF. Redis does the same (it closes without reading the rest); the bytes
    it answered before the close are queued before the reset and are still read.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_until_closed(sock)


def read_exactly(sock: socket.socket, size: int) -> bytes:
    """`size` bytes from `sock`, or fewer if it closes first."""
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(max(65536, size - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data)


# ------------------------------------------------------------------ through redis-py


def call(client: redis.Redis, *args: object) -> object:
    """The reply as redis-py's parser reads it, without its per-command conversions
    (SET → bool, ...)."""
    connection = client.connection_pool.get_connection()
    try:
        connection.send_command(*args)
        return connection.read_response()
    finally:
        client.connection_pool.release(connection)


def error_of(function: Callable[..., object], *args: object, **kwargs: object) -> str:
    """The text of the redis.ResponseError that function(*args, **kwargs) must raise:
    `error_of(call, r, "INCR", "k")`, `error_of(r.rename, "missing", "x")`."""
    with pytest.raises(redis.ResponseError) as error:
        function(*args, **kwargs)
    return str(error.value)


def changes(client: redis.Redis) -> int:
    """INFO's rdb_changes_since_last_save: Redis's dirty counter, which decides what
    reaches the AOF."""
    return int(client.info("persistence")["rdb_changes_since_last_save"])
