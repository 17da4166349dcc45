"""BGREWRITEAOF and automatic rewrite, black-box: a forked child writes the new base
while writes go on into a new incr file; the manifest swap is atomic; a kill at any
moment loses and duplicates nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import redis

from tests.persistence.helpers import aof_server, commands_in, temp_dir
from tests.servers import ROOT, ServerProcess
from tests.wire import call, exchange


@pytest.fixture
def directory() -> Iterator[str]:
    path = temp_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def wait_rewrite_done(client: redis.Redis, count: int = 1) -> dict:
    deadline = time.monotonic() + 20
    while True:
        info = client.info("persistence")
        if not info["aof_rewrite_in_progress"] and info["aof_rewrites"] >= count:
            return info
        assert time.monotonic() < deadline, info
        time.sleep(0.05)


def manifest_of(directory: str) -> str:
    return (Path(directory) / "appendonlydir" / "appendonly.aof.manifest").read_text()


def test_rewrite_swaps_in_a_new_base_and_removes_history(directory: str) -> None:
    server = aof_server(directory).start()
    try:
        client = server.client()
        client.set("a", "1")
        client.set("ttl", "2", px=10_000_000)
        client.incr("n")
        client.incr("n")
        assert client.bgrewriteaof()
        with pytest.raises(redis.ResponseError, match="already in progress"):
            for _ in range(100):  # the child may already be done: try while it runs
                client.bgrewriteaof()
                time.sleep(0.001)
        client.set("after", "3")
        info = wait_rewrite_done(client)
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert info["aof_rewrites_consecutive_failures"] == 0
    finally:
        server.stop()
    aof_dir = Path(directory) / "appendonlydir"
    assert "type h" not in manifest_of(directory)
    names = sorted(p.name for p in aof_dir.iterdir())
    assert "appendonly.aof.1.base.aof" not in names and "appendonly.aof.1.incr.aof" not in names
    checked = subprocess.run(["redis-check-aof", str(aof_dir / "appendonly.aof.manifest")],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout
    restarted = aof_server(directory).start()
    try:
        client = restarted.client()
        assert client.mget("a", "ttl", "n", "after") == [b"1", b"2", b"2", b"3"]
        assert 0 < client.pttl("ttl") <= 10_000_000
    finally:
        restarted.stop()


def test_writes_during_rewrites_are_neither_lost_nor_duplicated(directory: str) -> None:
    """Redis's aof-race test: INCRs from several clients while rewrites run."""
    server = aof_server(directory, "--appendfsync", "always").start()
    acknowledged = [0] * 4

    def run(worker: int) -> None:
        client = server.client()
        for _ in range(400):
            client.incr("foo")
            acknowledged[worker] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    control = server.client()
    rewrites = 0
    while any(thread.is_alive() for thread in threads):
        try:
            control.bgrewriteaof()
            rewrites += 1
        except redis.ResponseError:
            pass
        time.sleep(0.05)
    for thread in threads:
        thread.join()
    assert rewrites >= 1
    wait_rewrite_done(control, rewrites)
    assert control.get("foo") == b"1600"
    server.kill()
    restarted = aof_server(directory).start()
    try:
        assert restarted.client().get("foo") == b"1600"
    finally:
        restarted.stop()


def test_sigkill_during_rewrite_loses_nothing(directory: str) -> None:
    server = aof_server(directory, "--appendfsync", "always").start()
    client = server.client()
    pipe = client.pipeline(transaction=False)
    for n in range(30_000):
        pipe.set(f"key:{n}", n)
    pipe.execute()
    client.bgrewriteaof()
    client.set("during", "1")
    server.kill()  # the child may still be writing the base
    time.sleep(0.5)  # let an orphaned child finish, as it would after a crash
    restarted = aof_server(directory).start()
    try:
        client = restarted.client()
        assert client.dbsize() == 30_001
        assert client.get("during") == b"1" and client.get("key:29999") == b"29999"
    finally:
        restarted.stop()


def test_rewrite_with_aof_off_writes_a_base_only(directory: str) -> None:
    server = ServerProcess("emberkv", ["--aof-use-rdb-preamble", "no"],
                           directory=directory).start()
    try:
        client = server.client()
        client.set("a", "1")
        client.bgrewriteaof()
        assert wait_rewrite_done(client)["aof_enabled"] == 0
    finally:
        server.stop()
    assert manifest_of(directory) == "file appendonly.aof.1.base.aof seq 1 type b\n"
    base = Path(directory) / "appendonlydir" / "appendonly.aof.1.base.aof"
    assert commands_in(base) == [[b"SELECT", b"0"], [b"SET", b"a", b"1"]]


def test_automatic_rewrite_when_the_aof_doubles(directory: str) -> None:
    server = aof_server(directory, "--auto-aof-rewrite-min-size", "1mb").start()
    try:
        client = server.client()
        for n in range(30):
            client.set(f"k{n % 3}", "x" * 100_000)
        info = wait_rewrite_done(client)
        assert info["aof_base_size"] > 0
        assert "Starting automatic rewriting of AOF" in server.log_text()
    finally:
        server.stop()


@pytest.mark.needs_redis_server
def test_redis_server_serves_what_we_rewrote(directory: str) -> None:
    server = aof_server(directory).start()
    client = server.client()
    client.set("a", "1")
    client.bgrewriteaof()
    wait_rewrite_done(client)
    client.set("b", "2")
    server.kill()
    real = ServerProcess("redis", ["--appendonly", "yes"], directory=directory).start()
    try:
        assert real.client().mget("a", "b") == [b"1", b"2"]
    finally:
        real.stop()


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_the_old_incr_is_on_disk_before_the_manifest_lists_a_new_one(directory: str) -> None:
    # Only the last incr file may end torn. If a power loss came after the manifest
    # listed the new incr file but before the old one was fsynced, the old one could
    # be torn while no longer last, and the server would refuse to start.
    # appendfsync no: nothing but the rewrite fsyncs the old file.
    server = aof_server(directory, "--appendfsync", "no", "--save", "")
    trace = Path(directory) / "strace.out"
    # No .pyc writes: their renames would only clutter the trace.
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    process = subprocess.Popen(
        ["strace", "-f", "-qq", "-y", "-o", str(trace), "-e", "trace=openat,fdatasync,rename",
         *server.command()], cwd=str(ROOT), env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        server.wait_ready()
        client = server.client()
        client.set("a", "1")
        client.bgrewriteaof()
        wait_rewrite_done(client)
        client.shutdown(nosave=True)
        process.wait(20)
    finally:
        if process.poll() is None:
            # The server is strace's child; a killed strace would leave it running.
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text()
            for pid in children.split():
                os.kill(int(pid), signal.SIGKILL)
            process.wait(10)
    lines = trace.read_text().splitlines()

    def first(pattern: str, after: int = 0) -> int:
        return next(i for i, line in enumerate(lines) if i >= after and pattern in line)

    new_incr = first('"appendonlydir/appendonly.aof.2.incr.aof"')
    listed = first('rename("appendonlydir/temp-appendonly.aof.manifest"', new_incr)
    # strace -y names each fd's file: the old incr's fdatasync.
    synced = next((i for i, line in enumerate(lines)
                   if "fdatasync(" in line and "appendonly.aof.1.incr.aof>" in line), len(lines))
    assert synced < listed, "\n".join(lines[min(synced, listed) - 3:max(synced, listed) + 1])


# ------------------------------------------------------------------ one child at a time


def _scheduled_then_done(server: ServerProcess) -> list[object]:
    """BGREWRITEAOF inside EXEC, then while a BGSAVE child runs: both are scheduled, as
    Redis does, and the cron starts the rewrite once no child is left."""
    client = server.client()
    replies: list[object] = []
    replies.append(exchange(server.port, [("MULTI",), ("BGREWRITEAOF",), ("EXEC",)])[2])
    replies.append(client.info("persistence")["aof_rewrite_scheduled"])
    wait_rewrite_done(client, count=1)
    client.mset({f"key:{i}": "x" * 100 for i in range(40_000)})
    assert client.bgsave()
    replies.append(call(client, "BGREWRITEAOF"))
    replies.append(client.info("persistence")["aof_rewrite_scheduled"])
    info = wait_rewrite_done(client, count=2)
    replies.append((info["aof_rewrite_scheduled"], info["aof_last_bgrewrite_status"]))
    with pytest.raises(redis.ResponseError) as refused:
        client.execute_command("BGREWRITEAOF")
        client.execute_command("BGREWRITEAOF")
    replies.append(str(refused.value))
    wait_rewrite_done(client, count=3)
    return replies


@pytest.mark.parametrize("kind", ["emberkv", pytest.param("redis",
                                                          marks=pytest.mark.needs_redis_server)])
def test_bgrewriteaof_beside_a_bgsave_or_in_exec_is_scheduled_as_in_redis(
        request: pytest.FixtureRequest, directory: str, kind: str) -> None:
    if kind == "redis":
        request.getfixturevalue("real_redis")
        # Slow the BGSAVE child down so the second BGREWRITEAOF surely meets it.
        args = ["--appendonly", "yes", "--rdb-key-save-delay", "50"]
    else:
        args = ["--appendonly", "yes"]
    server = ServerProcess(kind, args, directory=directory).start()
    try:
        replies = _scheduled_then_done(server)
    finally:
        server.stop()
    assert replies == [
        b"*1\r\n+Background append only file rewriting scheduled\r\n", 1,
        b"Background append only file rewriting scheduled", 1,
        (0, "ok"),
        "Background append only file rewriting already in progress",
    ]
