"""rename-command: EmberKV and the real redis-server 7.0.15, started with the same config
file, must rename and remove commands alike: the old name is unknown, the new one runs
the command, errors and COMMAND INFO still name the original command, a removed command
is gone from COMMAND, CONFIG REWRITE keeps the lines, and a bad line stops the start
with the same FATAL report."""

from __future__ import annotations

import subprocess
import shutil
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.servers import ROOT, ServerProcess
from tests.wire import call, exchange

pytestmark = pytest.mark.needs_redis_server

RENAMES = 'rename-command CONFIG ""\nrename-command get fetch\nrename-command FLUSHALL "x-flush"\n'


@pytest.fixture(scope="module")
def renamed_pair(real_redis: ServerProcess, tmp_path_factory: pytest.TempPathFactory,
                 ) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    servers = []
    for kind in ("emberkv", "redis"):
        conf = tmp_path_factory.mktemp(kind) / "renames.conf"
        conf.write_text(RENAMES)
        servers.append(ServerProcess(kind, config_file=str(conf)))
    try:
        for server in servers:
            server.start()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.cleanup()


COMMANDS = [
    ("SET", "k", "v"),
    ("FETCH", "k"),
    ("fetch", "k"),
    ("GET", "k"),
    ("fetch",),
    ("fetch", "k", "extra"),
    ("CONFIG", "GET", "port"),
    ("COMMAND", "INFO", "fetch", "get", "config", "x-flush"),
    ("MULTI",),
    ("fetch", "k"),
    ("get", "k"),
    ("EXEC",),
    ("x-flush",),
    ("DBSIZE",),
]


def test_renamed_and_removed_commands_answer_as_redis(
        renamed_pair: tuple[ServerProcess, ServerProcess]) -> None:
    ember, real = renamed_pair
    assert exchange(ember.port, COMMANDS) == exchange(real.port, COMMANDS)


def test_command_count_drops_by_the_removed_command(
        renamed_pair: tuple[ServerProcess, ServerProcess]) -> None:
    ember, _ = renamed_pair
    with ServerProcess("emberkv").start() as plain:
        with plain.client() as client:
            full = call(client, "COMMAND", "COUNT")
    with ember.client() as client:
        assert call(client, "COMMAND", "COUNT") == full - 1
        listed = {name.decode() for name in call(client, "COMMAND", "LIST")}
    assert "config" not in listed and "get" in listed  # listed by the declared name


@pytest.mark.parametrize("line, reason", [
    ("rename-command nosuch x", "No such command in rename-command"),
    ("rename-command get set", "Target command name already exists"),
    ("rename-command get", "Bad directive or wrong number of arguments"),
])
def test_a_bad_rename_command_line_stops_the_start_like_redis(
        real_redis: ServerProcess, tmp_path: Path, line: str, reason: str) -> None:
    conf = tmp_path / "bad.conf"
    conf.write_text(f"port 0\n{line}\n")
    ours = subprocess.run([sys.executable, "-m", "server", str(conf)], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    theirs = subprocess.run([shutil.which("redis-server") or "redis-server", str(conf)],
                            capture_output=True, text=True, timeout=30)
    assert ours.returncode == theirs.returncode == 1
    assert ours.stderr.replace("EmberKV", "Redis") == theirs.stderr
    assert f">>> '{line}'\n{reason}\n" in ours.stderr


def test_config_rewrite_keeps_rename_command_lines(tmp_path: Path) -> None:
    conf = tmp_path / "kept.conf"
    conf.write_text('rename-command get fetch\nrename-command FLUSHDB ""\nhz 20\n')
    data = tmp_path / "data"
    data.mkdir()
    with ServerProcess("emberkv", config_file=str(conf), directory=str(data)).start() as server:
        with server.client() as client:
            client.config_set("hz", "15")
            client.execute_command("CONFIG", "REWRITE")
    text = conf.read_text()
    assert "rename-command get fetch\n" in text
    assert 'rename-command FLUSHDB ""\n' in text
    assert "hz 15\n" in text
    with ServerProcess("emberkv", config_file=str(conf), directory=str(data)).start() as again:
        with again.client() as client:
            client.set("k", "v")
            assert client.execute_command("FETCH", "k") == b"v"
