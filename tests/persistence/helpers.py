"""Helpers for AOF black-box tests: servers on a shared directory, and reading the
commands back out of AOF files."""

from __future__ import annotations

import re
import atexit
import shutil
import tempfile
from pathlib import Path

from persistence.aof.records import RecordReader
from tests.servers import ServerProcess


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


def start_failure(directory: str, *args: str) -> tuple[int, str]:
    """Start EmberKV expecting it to refuse; its exit code and log."""
    server = aof_server(directory, *args)
    server.start(wait=False)
    assert server.process is not None
    code = server.process.wait(15)
    return code, server.log_text()


def temp_dir() -> str:
    """A fresh directory, removed when the test run ends (servers are stopped by then)."""
    directory = tempfile.mkdtemp(prefix="emberkv-aof-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return directory
