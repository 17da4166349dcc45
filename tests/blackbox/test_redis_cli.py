"""redis-cli against EmberKV: one-shot commands in both output modes, inline commands
typed as over telnet, --pipe mass insertion, -x, and the interactive mode, which reads
COMMAND DOCS at startup to build its help.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import redis

from tests.blackbox.test_pipelines import mixed_requests
from tests.servers import ServerProcess

ANSI = re.compile(rb"\x1b\[[0-9;]*m")


@pytest.fixture(scope="session")
def redis_cli() -> str:
    path = shutil.which("redis-cli")
    if path is None:
        message = "redis-cli is not installed; run scripts/install-test-deps"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def cli(redis_cli: str, server: ServerProcess, *args: str, stdin: bytes | Path | None = None,
        timeout_s: float = 60) -> subprocess.CompletedProcess[bytes]:
    """redis-cli against `server`; `stdin` is bytes to feed it, or a file it reads as its
    standard input (as in `redis-cli --pipe < file`)."""
    command = [redis_cli, "-p", str(server.port), *args]
    if isinstance(stdin, Path):
        with open(stdin, "rb") as handle:
            return subprocess.run(command, stdin=handle, capture_output=True,
                                  timeout=timeout_s, check=False)
    return subprocess.run(command, input=stdin, capture_output=True, timeout=timeout_s,
                          check=False)


def output(redis_cli: str, server: ServerProcess, *args: str, stdin: bytes | None = None) -> bytes:
    """The standard output of a redis-cli run that must succeed without a word on stderr."""
    result = cli(redis_cli, server, *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b""
    return result.stdout


# ------------------------------------------------------------------ one-shot commands


def test_plain_commands(redis_cli: str, ember: ServerProcess, r: redis.Redis) -> None:
    assert output(redis_cli, ember, "PING") == b"PONG\n"
    assert output(redis_cli, ember, "SET", "greeting", "hello world") == b"OK\n"
    assert output(redis_cli, ember, "GET", "greeting") == b"hello world\n"
    assert output(redis_cli, ember, "DBSIZE") == b"1\n"
    assert r.get("greeting") == b"hello world"


def test_no_raw_output(redis_cli: str, ember: ServerProcess, r: redis.Redis) -> None:
    r.set("k", "v 1")
    assert output(redis_cli, ember, "--no-raw", "GET", "k") == b'"v 1"\n'
    assert output(redis_cli, ember, "--no-raw", "GET", "missing") == b"(nil)\n"
    assert output(redis_cli, ember, "--no-raw", "DBSIZE") == b"(integer) 1\n"
    assert output(redis_cli, ember, "--no-raw", "ECHO", "a\nb") == b'"a\\nb"\n'
    assert output(redis_cli, ember, "--no-raw", "GET") == (
        b"(error) ERR wrong number of arguments for 'get' command\n"
    )


def test_raw_output(redis_cli: str, ember: ServerProcess, r: redis.Redis) -> None:
    r.set("k", b"line1\nline2")
    assert output(redis_cli, ember, "--raw", "GET", "k") == b"line1\nline2\n"
    assert output(redis_cli, ember, "--raw", "GET", "missing") == b"\n"
    assert output(redis_cli, ember, "--raw", "DBSIZE") == b"1\n"
    # redis-cli --raw prints an error followed by an empty line.
    assert output(redis_cli, ember, "--raw", "NOSUCH", "x") == (
        b"ERR unknown command 'NOSUCH', with args beginning with: 'x' \n\n"
    )


COMPARED_COMMANDS = [
    ["PING"],
    ["PING", "hello"],
    ["SET", "k", "v"],
    ["GET", "k"],
    ["GET", "missing"],
    ["ECHO", "tab\there"],
    ["ECHO", "\x01\xff"],
    ["DBSIZE"],
    ["SELECT", "99"],
    ["GET"],
    ["NOSUCH", "a", "b"],
    ["-3", "GET", "missing"],
    ["-3", "GET", "k"],
]


@pytest.mark.needs_redis_server
@pytest.mark.parametrize("mode", ["--no-raw", "--raw"])
@pytest.mark.parametrize("args", COMPARED_COMMANDS, ids=" ".join)
def test_output_matches_real_redis(
    redis_cli: str, ember: ServerProcess, real_redis: ServerProcess, mode: str, args: list[str]
) -> None:
    outputs = []
    for server in (real_redis, ember):
        server.client().flushall()
        cli(redis_cli, server, "SET", "k", "value")
        result = cli(redis_cli, server, mode, *args)
        outputs.append((result.returncode, result.stdout, result.stderr))
    assert outputs[1] == outputs[0]


# ------------------------------------------------------------------ inline commands


def test_inline_commands_as_typed_in_telnet(ember: ServerProcess, r: redis.Redis) -> None:
    with socket.create_connection(("127.0.0.1", ember.port), timeout=5) as sock:
        stream = sock.makefile("rwb")

        def typed(line: bytes) -> bytes:
            """Send one typed line; the first line of the answer."""
            stream.write(line)
            stream.flush()
            return stream.readline()

        assert typed(b"PING\r\n") == b"+PONG\r\n"
        assert typed(b'SET a "hello world"\r\n') == b"+OK\r\n"
        assert typed(b"GET a\n") == b"$11\r\n"
        assert stream.readline() == b"hello world\r\n"
        assert typed(b"\r\nECHO 'single quoted' \"\\x41\\n\"\r\n") == (
            b"-ERR wrong number of arguments for 'echo' command\r\n")
        assert typed(b"QUIT\r\n") == b"+OK\r\n"
        assert stream.readline() == b""
    assert r.get("a") == b"hello world"


TELNET_LINES = [
    b"PING", b"ping hello", b"  SET   a   'hello world'  ", b"GET a", b"", b"   ", b"\t",
    b'SET b "tab\\there\\n"', b"GET b", b'ECHO "\\x41\\x42\\x4"', b"ECHO 'it\\'s'",
    b'ECHO a"b"', b"ECHO \"\" ''", b"set c 1", b"INCR c", b"INCRBY c x", b"GET",
    b"NOSUCH arg 'quoted arg'", b"DBSIZE", b"TYPE a", b"EXISTS a b c a",
    "ECHO caf\u00e9".encode(), b"ECHO \xff\xfe",
]
# (A NUL in an inline line makes Redis wait for more input: see test_protocol_errors.)
SENTINEL = b"ECHO __end__\r\n"
SENTINEL_REPLY = b"$7\r\n__end__\r\n"


def telnet_session(server: ServerProcess, ending: bytes) -> tuple[list[bytes], bytes]:
    """Type TELNET_LINES one at a time, as into nc, then a line with unbalanced quotes.
    Each line is followed by an ECHO sentinel, so a line that answers nothing (a blank
    line) is seen to answer nothing. Returns (reply per line, what came before the
    server closed on the last line)."""
    replies = []
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        for line in TELNET_LINES:
            sock.sendall(line + ending + SENTINEL)
            data = b""
            while not data.endswith(SENTINEL_REPLY):
                chunk = sock.recv(4096)
                assert chunk, f"closed after {line!r}"
                data += chunk
            replies.append(data[: -len(SENTINEL_REPLY)])
        sock.sendall(b'ECHO "a"b' + ending)
        last = b""
        while chunk := sock.recv(4096):  # until the server closes
            last += chunk
    return replies, last


@pytest.mark.needs_redis_server
@pytest.mark.parametrize("ending", [b"\r\n", b"\n"], ids=["crlf", "lf"])
def test_telnet_session_matches_real_redis(
    ember: ServerProcess, real_redis: ServerProcess, ending: bytes
) -> None:
    sessions = []
    for server in (real_redis, ember):
        server.client(protocol=2).flushall()
        sessions.append(telnet_session(server, ending))
    expected, got = sessions
    assert list(zip(TELNET_LINES, got[0])) == list(zip(TELNET_LINES, expected[0]))
    assert got[1] == expected[1]
    assert expected[1] == b"-ERR Protocol error: unbalanced quotes in request\r\n"
    assert expected[0][TELNET_LINES.index(b"")] == b""


# ------------------------------------------------------------------ --pipe and -x


def test_pipe_mass_insertion_of_100k_sets(
    redis_cli: str, ember: ServerProcess, r: redis.Redis, tmp_path: Path
) -> None:
    path = tmp_path / "commands.resp"
    with open(path, "wb") as handle:
        for i in range(100_000):
            key, value = b"key:%d" % i, b"value:%d" % i
            handle.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n"
                         % (len(key), key, len(value), value))
    result = cli(redis_cli, ember, "--pipe", stdin=path, timeout_s=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == b"errors: 0, replies: 100000"
    assert r.dbsize() == 100_000
    assert r.get("key:99999") == b"value:99999"


@pytest.mark.needs_redis_server
def test_pipe_of_100k_mixed_commands_reports_like_real_redis(
    redis_cli: str, ember: ServerProcess, real_redis: ServerProcess, tmp_path: Path
) -> None:
    # Errors (unknown command, wrong arity, not an integer) and inline lines included.
    path = tmp_path / "mixed.resp"
    path.write_bytes(mixed_requests(100_000))
    summaries = []
    for server in (real_redis, ember):
        server.client(protocol=2).flushall()
        result = cli(redis_cli, server, "--pipe", stdin=path, timeout_s=120)
        with server.client(protocol=2) as client:
            state = (client.dbsize(), client.get("counter"), client.get("key:99990"))
        summaries.append((result.returncode, result.stdout.strip().splitlines()[-1], state))
    assert summaries[1] == summaries[0]
    assert summaries[0][1] == b"errors: 30000, replies: 100000"


def test_pipe_counts_errors(redis_cli: str, ember: ServerProcess, r: redis.Redis) -> None:
    commands = b"SET a 1\r\nINCRBYX a\r\nGET a\r\nGET\r\n"
    result = cli(redis_cli, ember, "--pipe", stdin=commands)
    assert result.stdout.strip().splitlines()[-1] == b"errors: 2, replies: 4"
    assert r.get("a") == b"1"


def test_x_reads_last_argument_from_stdin(
    redis_cli: str, ember: ServerProcess, r: redis.Redis
) -> None:
    payload = b"line one\nline two\n\x00\xffbinary\r\n"
    result = cli(redis_cli, ember, "-x", "SET", "from-stdin", stdin=payload)
    assert (result.returncode, result.stdout) == (0, b"OK\n")
    assert r.get("from-stdin") == payload


# ------------------------------------------------------------------ interactive mode


def interactive(redis_cli: str, server: ServerProcess, lines: bytes) -> bytes:
    """redis-cli with no command reads lines from stdin like its REPL, after fetching
    COMMAND DOCS for its help and hints."""
    return ANSI.sub(b"", output(redis_cli, server, stdin=lines)).replace(b"\r\n", b"\n")


def test_interactive_mode_uses_command_docs(redis_cli: str, ember: ServerProcess) -> None:
    out = interactive(redis_cli, ember, b"HELP GET\nPING\nSET k v\nGET k\n")
    assert b"summary: Get the value of a key" in out
    assert b"group: string" in out
    assert out.rstrip().splitlines()[-3:] == [b"PONG", b"OK", b"v"]


@pytest.mark.needs_redis_server
@pytest.mark.parametrize("command", [
    "GET", "SET", "ECHO", "SELECT", "GETEX", "MSET", "LCS", "BITFIELD", "BITPOS", "SCAN",
    "HELLO", "CLIENT KILL", "CLIENT LIST", "CONFIG GET", "CONFIG SET", "GETSET",
])
def test_interactive_help_matches_real_redis(
    redis_cli: str, ember: ServerProcess, real_redis: ServerProcess, command: str
) -> None:
    lines = b"HELP " + command.encode() + b"\n"
    assert interactive(redis_cli, ember, lines) == interactive(redis_cli, real_redis, lines)
