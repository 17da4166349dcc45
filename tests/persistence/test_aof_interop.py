"""AOF interoperability with Debian's redis-server 7.0.15, both directions:
redis-check-aof accepts our files, redis-server serves the data we logged, we serve
the data it logged, and we log the same command forms it does."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from persistence.aof.records import encode_command
from tests.persistence.helpers import (
    aof_server, commands_in, normalized, start_failure, temp_dir,
)
from tests.servers import ServerProcess

pytestmark = pytest.mark.needs_redis_server

FIXTURES = Path("/work/shared/fixtures/redis-7.0.15/aof")
FAR_MS = 4102444800000  # 2100-01-01

# Commands EmberKV has, with every propagation rewrite of persistence.md 2.2 they can show.
SCRIPT = [
    "set k1 v1", "set k2 v2 EX 100", "set k3 v3 PX 100000", "set k4 v4 EXAT 4102444800",
    f"set k5 v5 PXAT {FAR_MS}", "set k6 v6 GET", "set k6 v7 NX GET EX 100",
    f"set k6 v8 XX GET PXAT {FAR_MS}", "set k7 v7 KEEPTTL", "setex s1 100 v",
    "psetex s2 100000 v", "getset k1 v9", "getdel k1", "getdel nokey", "getex k2 EX 200",
    f"getex k2 PXAT {FAR_MS}", "getex k2 PERSIST", "getex k2", "expire k4 100",
    "pexpire k4 100000 NX", "expireat k4 4102444800 XX", f"pexpireat k4 {FAR_MS}",
    "expire k4 -1", "persist k5", "incrbyfloat f 1.5", "incrbyfloat f 0.1", "incr c",
    "incrby c 5", "decr c", "append a x", "setrange a 3 y", "mset m1 1 m2 2",
    "msetnx m1 1 m3 3", "msetnx m4 4 m5 5", "del nokey", "del m1 m2 nokey", "unlink m4",
    "rename m5 m6", "copy m6 m7", "move m7 3", "swapdb 0 1", "swapdb 0 1", "select 3",
    "set x 1", "select 0", "setbit b 7 1", "bitfield bf SET u8 0 255 GET u8 0",
    "bitop OR bo b b", "set e 1 PX 1", "sleep", "get e", "flushdb", "select 5", "flushall",
]


@pytest.fixture
def directory() -> Iterator[str]:
    path = temp_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def run_script(server: ServerProcess) -> None:
    client = server.client()
    for line in SCRIPT:
        if line == "sleep":
            time.sleep(0.02)
            continue
        try:
            client.execute_command(*line.split())
        except Exception as error:  # the errors are part of the script (e.g. NX)
            assert "invalid expire" in str(error) or "ERR" in str(error)
    client.close()


def test_logged_command_forms_match_redis(directory: str, tmp_path: Path) -> None:
    ember = aof_server(directory).start()
    run_script(ember)
    ember.stop()
    real = ServerProcess("redis", ["--appendonly", "yes"], directory=str(tmp_path)).start()
    run_script(real)
    real.stop()
    ours = commands_in(Path(directory) / "appendonlydir" / "appendonly.aof.1.incr.aof")
    theirs = commands_in(tmp_path / "appendonlydir" / "appendonly.aof.1.incr.aof")
    assert normalized(ours) == normalized(theirs)


def write_sample(server: ServerProcess) -> dict[bytes, tuple[bytes, bool]]:
    client = server.client()
    client.set("plain", "1")
    client.set("binary", b"\x00\r\n\xff")
    client.set("ttl", "t", pxat=FAR_MS)
    client.incrbyfloat("float", "1.25")
    client.select(7)
    client.set("db7", "7")
    client.close()
    return {b"plain": (b"1", False), b"binary": (b"\x00\r\n\xff", False),
            b"ttl": (b"t", True), b"float": (b"1.25", False)}


def assert_sample(server: ServerProcess, expected: dict[bytes, tuple[bytes, bool]]) -> None:
    client = server.client()
    for key, (value, has_ttl) in expected.items():
        assert client.get(key) == value
        assert (client.pexpiretime(key) == FAR_MS) if has_ttl else client.ttl(key) == -1
    client.select(7)
    assert client.get("db7") == b"7"


def test_redis_check_aof_accepts_our_directory(directory: str) -> None:
    server = ServerProcess("emberkv", directory=directory).start()
    server.client().set("in-base", "x", px=10_000_000)
    server.client().config_set("appendonly", "yes")
    write_sample(server)
    server.stop()
    checked = subprocess.run(
        ["redis-check-aof", str(Path(directory) / "appendonlydir" / "appendonly.aof.manifest")],
        capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout
    assert "All AOF files and manifest are valid" in checked.stdout


def test_redis_server_serves_what_we_logged(directory: str) -> None:
    ember = aof_server(directory).start()
    expected = write_sample(ember)
    ember.kill()
    real = ServerProcess("redis", ["--appendonly", "yes"], directory=directory).start()
    try:
        assert_sample(real, expected)
    finally:
        real.stop()


def test_we_serve_what_redis_logged_after_rewrites(directory: str) -> None:
    real = ServerProcess("redis", ["--appendonly", "yes", "--aof-use-rdb-preamble", "no",
                                   "--aof-disable-auto-gc", "yes"], directory=directory).start()
    expected = write_sample(real)
    client = real.client()
    client.bgrewriteaof()
    deadline = time.monotonic() + 10
    while client.info("persistence")["aof_rewrite_in_progress"] or \
            client.info("persistence")["aof_rewrites"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    client.set("after-rewrite", "1")
    expected[b"after-rewrite"] = (b"1", False)
    real.stop()
    manifest = (Path(directory) / "appendonlydir" / "appendonly.aof.manifest").read_text()
    assert "type h" in manifest and ".base.aof" in manifest
    ember = aof_server(directory).start()
    try:
        assert_sample(ember, expected)
    finally:
        ember.stop()


def copy_fixture(name: str, directory: str) -> None:
    target = Path(directory) / "appendonlydir"
    shutil.copytree(FIXTURES / name, target)
    for path in [target, *target.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_fixture_with_functions_and_streams_refuses_clearly_until_issue_4(directory: str) -> None:
    copy_fixture("after-rewrites-autogc-off", directory)
    code, log = start_failure(directory)
    assert code == 1
    assert "Unknown command 'FUNCTION' reading the append only file appendonly.aof.4.base.aof" in log


@pytest.mark.xfail(strict=True, reason="the fixture holds a FUNCTION library and a stream, which EmberKV does not have yet")
def test_fixture_after_rewrites_serves_the_same_data(directory: str) -> None:
    copy_fixture("after-rewrites-autogc-off", directory)
    server = aof_server(directory).start()
    try:
        client = server.client()
        assert client.mget("a", "b", "c") == [b"1", b"2", b"3"]
        assert client.lrange("q", 0, -1) == [b"v2"]
    finally:
        server.stop()


def test_single_file_aof_of_redis_6_is_upgraded_and_stays_readable(directory: str) -> None:
    old = Path(directory) / "appendonly.aof"
    old.write_bytes(encode_command([b"SELECT", b"0"]) + encode_command([b"SET", b"old", b"1"]))
    ember = aof_server(directory).start()
    try:
        client = ember.client()
        assert client.get("old") == b"1"
        client.set("new", "2")
    finally:
        ember.stop()
    aof_dir = Path(directory) / "appendonlydir"
    assert not old.exists()
    assert (aof_dir / "appendonly.aof.manifest").read_bytes() == (
        b"file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
    real = ServerProcess("redis", ["--appendonly", "yes"], directory=directory).start()
    try:
        assert real.client().mget("old", "new") == [b"1", b"2"]
    finally:
        real.stop()


def test_timestamp_annotations_are_written_and_redis_tools_read_them(directory: str) -> None:
    ember = aof_server(directory, "--aof-timestamp-enabled", "yes").start()
    try:
        ember.client().set("a", "1")
        time.sleep(1.1)
        ember.client().set("b", "2")
    finally:
        ember.stop()
    manifest = Path(directory) / "appendonlydir" / "appendonly.aof.manifest"
    incr = (Path(directory) / "appendonlydir" / "appendonly.aof.1.incr.aof").read_bytes()
    assert incr.startswith(b"#TS:") and incr.count(b"#TS:") == 2
    checked = subprocess.run(["redis-check-aof", str(manifest)], capture_output=True,
                             text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout
    real = ServerProcess("redis", ["--appendonly", "yes"], directory=directory).start()
    try:
        assert real.client().mget("a", "b") == [b"1", b"2"]
    finally:
        real.stop()
