"""Helpers for AOF black-box tests: servers on a shared directory, reading the commands
back out of AOF files, and what EmberKV and redis-server each log for the same
commands (`logged`, `logged_by_both`)."""

from __future__ import annotations

import atexit
import contextlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import redis

from persistence.aof.records import RecordReader
from server.hash_type import Hash
from server.quicklist import QuickList
from server.set_type import Set
from server.sorted_set import SortedSet
from tests.servers import ServerProcess
from tests.wire import Command, exchange


def aof_server(directory: str, *args: str) -> ServerProcess:
    return ServerProcess("emberkv", ["--appendonly", "yes", *args], directory=directory)


def commands_in(path: Path) -> list[list[bytes]]:
    with open(path, "rb") as stream:
        return [argv for argv, _ in RecordReader(stream)]


def normalized(commands: list[list[bytes]]) -> list[str]:
    """Commands as text with absolute millisecond times (13 digits, 2020s-2030s) shown
    as <T>, so two servers' files can be compared."""
    return [re.sub(r"\b1[789]\d{11}\b", "<T>", b" ".join(argv).decode("latin-1"))
            for argv in commands]


def aof_file(directory: str, kind: str) -> bytes:
    """The bytes of the `kind` ("base" or "incr") AOF file in directory's appendonlydir;
    the test fails if there is none."""
    found = sorted((Path(directory) / "appendonlydir").glob(f"*.{kind}.aof"))
    assert found, f"no {kind} AOF in {directory}"
    return found[0].read_bytes()


@contextlib.contextmanager
def client_of(server: ServerProcess) -> Iterator[redis.Redis]:
    """A client of `server` (redis-py's default protocol); the server is started for
    the block and stopped after it."""
    with server:
        client = server.client()
        try:
            yield client
        finally:
            client.close()


def logged(kind: str, drive: Callable[[ServerProcess], object]) -> list[str]:
    """What a new `kind` server ("emberkv" or "redis") started with appendonly yes logs
    to its first incr AOF while `drive(server)` runs, `normalized`."""
    directory = temp_dir()
    server = (aof_server(directory) if kind == "emberkv" else
              ServerProcess("redis", ["--appendonly", "yes"], directory=directory))
    with server.start():
        drive(server)
        server.stop()
        return normalized(commands_in(
            Path(directory) / "appendonlydir" / "appendonly.aof.1.incr.aof"))


def logged_by_both(script: Sequence[Command]) -> tuple[list[str], list[str]]:
    """`logged` by EmberKV and by redis-server while `script` runs on one RESP2
    connection."""
    def run(server: ServerProcess) -> None:
        exchange(server.port, script, protocol=2)

    return logged("emberkv", run), logged("redis", run)


def start_failure(directory: str, *args: str) -> tuple[int, str]:
    """Start EmberKV expecting it to refuse; its exit code and log."""
    server = aof_server(directory, *args)
    server.start(wait=False)
    assert server.process is not None
    try:
        code = server.process.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()  # it started instead of refusing: stop it, then fail
        raise AssertionError("EmberKV did not refuse to start:\n" + server.log_text()) from None
    return code, server.log_text()


def plain_value(value: Any) -> Any:
    """A stored value as plain Python data, to compare what a file or a view holds:
    bytes, ("list", [...]), ("hash", {...}), ("set", {...}) or ("zset", {...})."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, QuickList):
        return ("list", list(value))
    if isinstance(value, Hash):
        return ("hash", dict(value))
    if isinstance(value, Set):
        return ("set", set(value))
    if isinstance(value, SortedSet):
        return ("zset", dict(value.items()))
    return value


def temp_dir() -> str:
    """A fresh directory, removed when the test run ends (servers are stopped by then)."""
    directory = tempfile.mkdtemp(prefix="emberkv-aof-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory
