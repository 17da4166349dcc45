"""Disk faults, black-box: ENOSPC and EIO in AOF writes and fsyncs, SAVE/BGSAVE (write,
fsync, rename), BGREWRITEAOF (the child's base, the new incr file) and manifest
updates; a data directory that is missing or read-only at startup.

Two sources of faults. The seam (persistence/files.py, EMBERKV_AOF_FAULTS) fails one
chosen operation and always runs. Real faults: a 2 MB tmpfs filled to the last page,
a read-only tmpfs (both need root: CI runs as root), a dump.rdb that is a directory,
an incr file that is /dev/full. Where mounting is not allowed, the tmpfs tests run
their same steps through the seam instead and say so in a warning, never skipped.

What must hold (Redis 7.0.15): writes refused with the exact -MISCONF text while the
fault lasts, reads served, no partial record in any file, no acknowledged write lost,
recovery without a restart once the disk is back; a failed BGSAVE or rewrite leaves
the old files valid and in use and no temp file behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import re
import select
import socket
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import Callable, Iterator

import pytest
import redis

from server import errors
from tests.persistence.helpers import aof_server, commands_in, temp_dir
from tests.servers import ServerProcess, has_traceback
from tests.wire import exchange, pipeline

AOF_DIR = "appendonlydir"
MANIFEST = Path(AOF_DIR) / "appendonly.aof.manifest"
INCR_1 = Path(AOF_DIR) / "appendonly.aof.1.incr.aof"
REWRITE_REFUSED = ("Can't execute an AOF background rewriting. Please check the server "
                   "logs for more information.")


@pytest.fixture
def directory() -> Iterator[str]:
    path = temp_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def faults(directory: str, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Servers started after this see the seam; `faults("rdb-write:ENOSPC")` switches
    a fault on, `faults("")` off."""
    control = Path(directory) / "faults"
    control.write_text("")
    monkeypatch.setenv("EMBERKV_AOF_FAULTS", str(control))

    def switch(directives: str) -> None:
        control.write_text(directives)

    return switch


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def persistence(client: redis.Redis) -> dict:  # type: ignore[type-arg]
    return client.info("persistence")


def wait_until_reaped(client: redis.Redis, field: str) -> dict:  # type: ignore[type-arg]
    wait_for(lambda: persistence(client)[field] == 0, f"{field} 0")
    return persistence(client)


def misconf(client: redis.Redis, *command: object) -> str:
    with pytest.raises(redis.ResponseError) as refused:
        client.execute_command(*command)
    return str(refused.value)


def temp_files(path: str | Path) -> list[str]:
    return sorted(p.name for p in Path(path).rglob("temp-*"))


def clean_log(server: ServerProcess) -> None:
    log = server.log_text()
    assert not has_traceback(log), log


# ------------------------------------------------------------------ AOF writes and fsyncs


@pytest.mark.parametrize("code", ["ENOSPC", "EIO"])
def test_aof_write_error_refuses_writes_serves_reads_and_recovers(
        directory: str, faults: Callable[[str], None], code: str) -> None:
    server = aof_server(directory).start()
    try:
        client = server.client()
        client.set("a", "1")
        faults(code)
        client.set("b", "2")  # acknowledged: its write failed after the reply was decided
        # (Usually at once; if an everysec fsync was running, the write waited for it.)
        wait_for(lambda: persistence(client)["aof_last_write_status"] == "err",
                 "the write to fail")
        reason = os.strerror(getattr(errno, code))
        assert misconf(client, "SET", "c", "3") == f"MISCONF Errors writing to the AOF file: {reason}"
        assert misconf(client, "PING") == f"MISCONF Errors writing to the AOF file: {reason}"
        assert client.mget("a", "b") == [b"1", b"2"]
        # b is buffered and in the dataset: a rewrite now would log it twice.
        with pytest.raises(redis.ResponseError, match=REWRITE_REFUSED):
            client.bgrewriteaof()
        assert persistence(client)["aof_last_bgrewrite_status"] == "err"
        faults("")
        wait_for(lambda: persistence(client)["aof_last_write_status"] == "ok",
                 "the cron to retry the write")
        assert client.set("c", "3")
        assert "AOF write error looks solved, Redis can write again." in server.log_text()
    finally:
        server.stop()
    clean_log(server)
    assert commands_in(Path(directory) / INCR_1) == [
        [b"SELECT", b"0"], [b"SET", b"a", b"1"], [b"SET", b"b", b"2"], [b"SET", b"c", b"3"]]


def test_aof_fsync_error_refuses_writes_until_an_fsync_succeeds(
        directory: str, faults: Callable[[str], None]) -> None:
    server = aof_server(directory).start()
    try:
        client = server.client()
        faults("fsync:EIO")
        client.set("a", "1")
        # everysec: the fsync that fails runs within a second or two.
        wait_for(lambda: persistence(client)["aof_last_write_status"] == "err",
                 "the background fsync to fail")
        assert misconf(client, "SET", "b", "2") == (
            "MISCONF Errors writing to the AOF file: Input/output error")
        assert client.get("a") == b"1"
        faults("")
        client.execute_command("GET", "a")
        wait_for(lambda: persistence(client)["aof_last_write_status"] == "ok",
                 "an fsync to succeed")
        assert client.set("b", "2")
    finally:
        server.stop()
    clean_log(server)
    restarted = aof_server(directory).start()
    try:
        assert restarted.client().mget("a", "b") == [b"1", b"2"]
    finally:
        restarted.stop()


# ------------------------------------------------------------------ SAVE and BGSAVE


def rdb_server(directory: str, *args: str) -> ServerProcess:
    return ServerProcess("emberkv", ["--save", "3600 1", *args], directory=directory)


@pytest.mark.parametrize("mode", ["fork", "forkless"])
@pytest.mark.parametrize("fault", ["rdb-write:ENOSPC", "rdb-fsync:EIO", "rdb-rename:EIO"])
def test_failed_bgsave_keeps_the_old_dump_and_refuses_writes_until_a_save_succeeds(
        directory: str, faults: Callable[[str], None], fault: str, mode: str) -> None:
    server = rdb_server(directory, "--rdb-snapshot-mode", mode).start()
    dump = Path(directory) / "dump.rdb"
    try:
        client = server.client()
        client.set("k", "v1")
        assert client.save()
        saved = dump.read_bytes()
        client.set("k", "v2")
        faults(fault)
        assert client.bgsave()
        info = wait_until_reaped(client, "rdb_bgsave_in_progress")
        assert info["rdb_last_bgsave_status"] == "err"
        assert misconf(client, "SET", "k", "v3") == errors.MISCONF_RDB
        assert misconf(client, "PING") == errors.MISCONF_RDB
        assert client.get("k") == b"v2"
        assert dump.read_bytes() == saved
        assert temp_files(directory) == []
        assert "Background saving error" in server.log_text()
        faults("")
        assert client.bgsave()
        info = wait_until_reaped(client, "rdb_bgsave_in_progress")
        assert info["rdb_last_bgsave_status"] == "ok"
        assert client.set("k", "v3")
    finally:
        server.stop()
    clean_log(server)


def test_failed_save_answers_err_and_keeps_the_status(
        directory: str, faults: Callable[[str], None]) -> None:
    server = rdb_server(directory).start()
    dump = Path(directory) / "dump.rdb"
    try:
        client = server.client()
        client.set("k", "v1")
        assert client.save()
        saved = dump.read_bytes()
        faults("rdb-write:ENOSPC")
        # Redis answers the bare shared error and leaves rdb_last_bgsave_status alone.
        assert pipeline(server.port, ("SAVE",)) == b"-ERR\r\n"
        assert persistence(client)["rdb_last_bgsave_status"] == "ok"
        assert client.set("k", "v2")
        assert dump.read_bytes() == saved and temp_files(directory) == []
        assert "Failed saving the DB: No space left on device" in server.log_text()
    finally:
        server.kill()  # the final save would fail too: SIGTERM is refused
    clean_log(server)


@pytest.mark.needs_redis_server
def test_dump_path_taken_by_a_directory_fails_saves_as_in_redis(real_redis: ServerProcess) -> None:
    """A real rename failure (EISDIR) in both servers: the same replies and status."""
    seen = {}
    for kind in ("emberkv", "redis"):
        directory = temp_dir()
        server = ServerProcess(kind, ["--save", "3600 1"], directory=directory).start()
        try:
            # After the start: both servers refuse to start on a dump.rdb they can't read.
            (Path(directory) / "dump.rdb" / "occupied").mkdir(parents=True)
            client = server.client()
            client.set("k", "v")
            save = pipeline(server.port, ("SAVE",))
            status_after_save = persistence(client)["rdb_last_bgsave_status"]
            assert client.bgsave()
            info = wait_until_reaped(client, "rdb_bgsave_in_progress")
            refused = pipeline(server.port, ("SET", "k", "w"), ("GET", "k"))
            seen[kind] = (save, status_after_save, info["rdb_last_bgsave_status"], refused,
                          temp_files(directory))
        finally:
            server.kill()  # SIGTERM is refused while the final save fails
    assert seen["emberkv"] == seen["redis"]
    assert seen["redis"][0] == b"-ERR\r\n" and seen["redis"][2] == "err"


# ------------------------------------------------------------------ BGREWRITEAOF


def manifest_text(directory: str) -> str:
    return (Path(directory) / MANIFEST).read_text()


def aof_files(directory: str) -> list[str]:
    return sorted(p.name for p in (Path(directory) / AOF_DIR).iterdir())


def assert_all_keys(server: ServerProcess, count: int) -> None:
    client = server.client()
    assert client.dbsize() == count
    assert client.mget([f"key:{n}" for n in range(count)]) == [
        b"%d" % n for n in range(count)]


def fill(client: redis.Redis, start: int, stop: int) -> None:
    client.mset({f"key:{n}": n for n in range(start, stop)})


@pytest.mark.parametrize("mode", ["fork", "forkless"])
@pytest.mark.parametrize("fault", ["base-write:ENOSPC", "base-fsync:EIO"])
def test_failed_rewrite_child_keeps_the_old_aof_in_use(
        directory: str, faults: Callable[[str], None], fault: str, mode: str) -> None:
    server = aof_server(directory, "--rdb-snapshot-mode", mode).start()
    try:
        client = server.client()
        fill(client, 0, 100)
        faults(fault)
        assert client.bgrewriteaof()
        info = wait_until_reaped(client, "aof_rewrite_in_progress")
        assert info["aof_last_bgrewrite_status"] == "err"
        assert info["aof_rewrites_consecutive_failures"] == 1
        assert temp_files(directory) == []
        # Still the first base; the incr opened for the rewrite stays in use.
        assert manifest_text(directory) == (
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n"
            "file appendonly.aof.2.incr.aof seq 2 type i\n")
        fill(client, 100, 200)
        faults("")
    finally:
        server.kill()
    clean_log(server)
    server = aof_server(directory).start()
    try:
        assert_all_keys(server, 200)
        client = server.client()
        assert client.bgrewriteaof()
        info = wait_until_reaped(client, "aof_rewrite_in_progress")
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert info["aof_rewrites_consecutive_failures"] == 0
    finally:
        server.stop()
    assert manifest_text(directory) == ("file appendonly.aof.2.base.rdb seq 2 type b\n"
                                        "file appendonly.aof.3.incr.aof seq 3 type i\n")


@pytest.mark.parametrize("fault", ["incr-create:ENOSPC", "manifest-write:ENOSPC",
                                   "manifest-rename:EIO"])
def test_rewrite_that_cannot_open_its_incr_file_is_refused_and_changes_nothing(
        directory: str, faults: Callable[[str], None], fault: str) -> None:
    server = aof_server(directory).start()
    try:
        client = server.client()
        fill(client, 0, 50)
        manifest_before, files_before = manifest_text(directory), aof_files(directory)
        faults(fault)
        with pytest.raises(redis.ResponseError, match=REWRITE_REFUSED):
            client.bgrewriteaof()
        info = persistence(client)
        assert info["aof_last_bgrewrite_status"] == "err"
        assert info["aof_last_write_status"] == "ok"
        assert manifest_text(directory) == manifest_before
        assert aof_files(directory) == files_before and temp_files(directory) == []
        fill(client, 50, 100)  # still logged to the first incr file
        # (everysec may postpone the write behind a running fsync and reply first)
        wait_for(lambda: [b"MSET", b"key:99", b"99"] in [
            argv[:1] + argv[-2:] for argv in commands_in(Path(directory) / INCR_1)],
            "the last MSET in the first incr file")
        faults("")
        assert client.bgrewriteaof()
        info = wait_until_reaped(client, "aof_rewrite_in_progress")
        assert info["aof_last_bgrewrite_status"] == "ok"
    finally:
        server.kill()
    clean_log(server)
    with aof_server(directory).start() as restarted:
        assert_all_keys(restarted, 100)


def test_manifest_failure_when_the_rewrite_finishes_keeps_the_old_manifest(
        directory: str, faults: Callable[[str], None]) -> None:
    # hz 1: the cron that installs the child's base runs up to a second after the
    # reply, long after the fault below is switched on.
    server = aof_server(directory, "--hz", "1").start()
    try:
        client = server.client()
        fill(client, 0, 100)
        assert client.bgrewriteaof()
        faults("manifest-rename:EIO")
        info = wait_until_reaped(client, "aof_rewrite_in_progress")
        assert info["aof_last_bgrewrite_status"] == "err"
        assert manifest_text(directory) == (
            "file appendonly.aof.1.base.rdb seq 1 type b\n"
            "file appendonly.aof.1.incr.aof seq 1 type i\n"
            "file appendonly.aof.2.incr.aof seq 2 type i\n")
        # The new base was removed again; nothing else was left behind.
        assert aof_files(directory) == ["appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof",
                                        "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"]
        assert temp_files(directory) == []
        fill(client, 100, 150)
        faults("")
        assert client.bgrewriteaof()
        info = wait_until_reaped(client, "aof_rewrite_in_progress")
        assert info["aof_last_bgrewrite_status"] == "ok"
        fill(client, 150, 200)
    finally:
        server.kill()
    clean_log(server)
    assert manifest_text(directory) == ("file appendonly.aof.2.base.rdb seq 2 type b\n"
                                        "file appendonly.aof.3.incr.aof seq 3 type i\n")
    with aof_server(directory).start() as restarted:
        assert_all_keys(restarted, 200)


# ------------------------------------------------------------------ a real full disk


def mount_tmpfs(path: str, options: str) -> bool:
    """Mount a tmpfs on `path`; False where that is not allowed (not root, a container
    without the capability, no mount command)."""
    try:
        return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", path],
                              capture_output=True).returncode == 0
    except OSError:
        return False


class TinyDisk:
    """A 2 MB tmpfs that `fill` fills to the last page and `free` empties again; or,
    where mounting is not allowed, the seam failing every write the same way."""

    def __init__(self, base: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path = os.path.join(base, "disk")
        os.mkdir(self.path)
        self.control = os.path.join(base, "faults")
        self.is_real = mount_tmpfs(self.path, "size=2m")
        if not self.is_real:
            warnings.warn("cannot mount a tmpfs (not root?): the full-disk test runs "
                          "through the fault seam instead")
            monkeypatch.setenv("EMBERKV_AOF_FAULTS", self.control)
        self.filler = os.path.join(self.path, "filler")

    def fill(self, leave_kb: int = 0) -> None:
        """No room left; or `leave_kb` free, too little for a new base (the seam:
        every write fails, or only the rewrite child's)."""
        if not self.is_real:
            Path(self.control).write_text(
                "base-write:ENOSPC" if leave_kb else
                "ENOSPC rdb-write:ENOSPC base-write:ENOSPC manifest-write:ENOSPC")
            return
        chunk = b"\0" * 4096
        with open(self.filler, "ab", buffering=0) as stream:
            try:
                while True:
                    stream.write(chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC
        # Smaller pieces, until not even one byte more fits.
        with open(self.filler, "ab", buffering=0) as stream:
            with contextlib.suppress(OSError):
                while stream.write(b"\0"):
                    pass
        if leave_kb:
            os.truncate(self.filler, os.path.getsize(self.filler) - leave_kb * 1024)

    def free(self) -> None:
        if self.is_real:
            os.unlink(self.filler)
        else:
            Path(self.control).write_text("")

    def unmount(self) -> None:
        if self.is_real:
            subprocess.run(["umount", "-l", self.path], check=False)


@pytest.fixture
def tiny_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[TinyDisk]:
    base = tempfile.mkdtemp(prefix="emberkv-disk-")
    disk = TinyDisk(base, monkeypatch)
    try:
        yield disk
    finally:
        disk.unmount()
        shutil.rmtree(base, ignore_errors=True)


def server_on(disk: TinyDisk, *args: str) -> ServerProcess:
    """The data directory on the disk, the log elsewhere (it must not fill up too)."""
    return ServerProcess("emberkv", ["--dir", disk.path, *args],
                         directory=tempfile.mkdtemp(prefix="emberkv-log-"))


def test_full_disk_refuses_aof_writes_then_recovers_without_losing_any(
        tiny_disk: TinyDisk) -> None:
    args = ("--appendonly", "yes", "--save", "")
    server = server_on(tiny_disk, *args).start()
    acknowledged: dict[bytes, bytes] = {}
    try:
        client = server.client()
        for n in range(50):
            client.set(b"before:%d" % n, b"%d" % n)
            acknowledged[b"before:%d" % n] = b"%d" % n
        tiny_disk.fill()
        refusal = ""
        for n in range(200):
            key, value = b"during:%d" % n, b"v" * 1000 + b"%d" % n
            try:
                client.set(key, value)
            except redis.ResponseError as error:
                refusal = str(error)
                break
            acknowledged[key] = value
        assert refusal == "MISCONF Errors writing to the AOF file: No space left on device"
        assert client.get("before:7") == b"7"
        assert persistence(client)["aof_last_write_status"] == "err"
        tiny_disk.free()
        wait_for(lambda: persistence(client)["aof_last_write_status"] == "ok",
                 "the AOF write to be retried")
        for n in range(50):
            client.set(b"after:%d" % n, b"%d" % n)
            acknowledged[b"after:%d" % n] = b"%d" % n
    finally:
        server.stop()
    clean_log(server)
    # Every record in the incr file is whole, and every acknowledged write is there.
    commands_in(Path(tiny_disk.path) / INCR_1)
    with server_on(tiny_disk, *args).start() as restarted:
        client = restarted.client()
        keys = list(acknowledged)
        assert client.mget(keys) == [acknowledged[key] for key in keys]


def test_full_disk_fails_bgsave_and_rewrite_cleanly_then_recovers(tiny_disk: TinyDisk) -> None:
    args = ("--appendonly", "yes", "--save", "3600 1")
    server = server_on(tiny_disk, *args).start()
    dump = Path(tiny_disk.path) / "dump.rdb"
    try:
        client = server.client()
        fill(client, 0, 100)
        assert client.save()
        saved, manifest = dump.read_bytes(), manifest_text(tiny_disk.path)
        tiny_disk.fill()
        assert client.bgsave()
        info = wait_until_reaped(client, "rdb_bgsave_in_progress")
        assert info["rdb_last_bgsave_status"] == "err"
        assert misconf(client, "SET", "x", "1") == errors.MISCONF_RDB
        with pytest.raises(redis.ResponseError, match=REWRITE_REFUSED):
            client.bgrewriteaof()
        assert persistence(client)["aof_last_bgrewrite_status"] == "err"
        assert dump.read_bytes() == saved and manifest_text(tiny_disk.path) == manifest
        assert temp_files(tiny_disk.path) == []
        assert client.get("key:42") == b"42"
        tiny_disk.free()
        assert client.bgsave()
        assert wait_until_reaped(client, "rdb_bgsave_in_progress")[
            "rdb_last_bgsave_status"] == "ok"
        fill(client, 100, 150)
        assert client.bgrewriteaof()
        assert wait_until_reaped(client, "aof_rewrite_in_progress")[
            "aof_last_bgrewrite_status"] == "ok"
        fill(client, 150, 200)
    finally:
        server.kill()
    clean_log(server)
    with server_on(tiny_disk, *args).start() as restarted:
        assert_all_keys(restarted, 200)


def incompressible(n: int) -> bytes:
    """1000 bytes that LZF cannot shrink, so an RDB base is as large as the data."""
    return random.Random(n).randbytes(1000)


def test_rewrite_child_that_runs_out_of_space_leaves_the_aof_as_it_was(
        tiny_disk: TinyDisk) -> None:
    """Room for the manifest and new incr file, not for the child's new base: the
    child fails on ENOSPC, the parent cleans up and keeps logging to the old files."""
    args = ("--appendonly", "yes", "--save", "")
    server = server_on(tiny_disk, *args).start()
    try:
        client = server.client()
        for start in range(0, 400, 100):  # ~400 KB of AOF: the base needs as much
            client.mset({f"key:{n}": incompressible(n) for n in range(start, start + 100)})
        tiny_disk.fill(leave_kb=64)
        assert client.bgrewriteaof()
        info = wait_until_reaped(client, "aof_rewrite_in_progress")
        assert info["aof_last_bgrewrite_status"] == "err"
        assert info["aof_last_write_status"] == "ok"
        assert temp_files(tiny_disk.path) == []
        assert [name for name in aof_files(tiny_disk.path) if ".base." in name] == [
            "appendonly.aof.1.base.rdb"]
        client.set("after", "1")
        tiny_disk.free()
    finally:
        server.kill()
    clean_log(server)
    with server_on(tiny_disk, *args).start() as restarted:
        client = restarted.client()
        assert client.dbsize() == 401 and client.get("after") == b"1"
        assert client.get("key:399") == incompressible(399)


@pytest.mark.slow
def test_full_disk_save_point_retries_and_writes_resume_on_their_own(
        tiny_disk: TinyDisk) -> None:
    """No command needed: after a failed BGSAVE the save point fires again once
    Redis's 5 s retry delay has passed, and its success lifts the refusal."""
    server = server_on(tiny_disk, "--save", "1 1")
    server.start()
    try:
        client = server.client()
        tiny_disk.fill()
        client.set("k", "v1")
        wait_for(lambda: persistence(client)["rdb_last_bgsave_status"] == "err",
                 "the save point's BGSAVE to fail")
        assert misconf(client, "SET", "k", "v2") == errors.MISCONF_RDB
        assert temp_files(tiny_disk.path) == []
        tiny_disk.free()
        wait_for(lambda: persistence(client)["rdb_last_bgsave_status"] == "ok",
                 "the save point to retry", timeout_s=15)
        assert client.set("k", "v2")
    finally:
        server.kill()
    clean_log(server)
    with server_on(tiny_disk, "--save", "1 1").start() as restarted:
        assert restarted.client().get("k") == b"v1"


# ------------------------------------------------------------------ startup


def start_expecting_exit(server: ServerProcess) -> tuple[int, str]:
    server.start(wait=False)
    assert server.process is not None
    return server.process.wait(15), server.log_text()


def test_missing_data_directory_refuses_to_start() -> None:
    missing = f"/nonexistent-{uuid.uuid4().hex}/data"
    kinds = ["emberkv"] + (["redis"] if shutil.which("redis-server") else [])
    for kind in kinds:  # redis-server, where installed, is the oracle
        server = ServerProcess(kind, ["--dir", missing])
        code, log = start_expecting_exit(server)
        server.cleanup()
        assert code == 1, kind
        assert "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***" in log, kind
        assert f">>> 'dir \"{missing}\"'\nNo such file or directory" in log, (kind, log)
    assert not os.path.exists(missing)


@contextlib.contextmanager
def read_only_directory(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A read-only data directory, and how it was made: a tmpfs mounted read-only
    (root), chmod 0555 (not root: root ignores modes), or the seam (root in a
    container that may not mount)."""
    base = tempfile.mkdtemp(prefix="emberkv-ro-")
    path = os.path.join(base, "data")
    os.mkdir(path)
    mounted = mount_tmpfs(path, "size=1m,ro")
    how = "tmpfs" if mounted else "chmod" if os.geteuid() != 0 else "seam"
    if how == "chmod":
        os.chmod(path, 0o555)
    elif how == "seam":
        control = os.path.join(base, "faults")
        Path(control).write_text("aof-dir:EROFS")
        monkeypatch.setenv("EMBERKV_AOF_FAULTS", control)
    try:
        yield path, how
    finally:
        if mounted:
            subprocess.run(["umount", "-l", path], check=False)
        os.chmod(path, 0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_read_only_data_directory_with_appendonly_refuses_to_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with read_only_directory(monkeypatch) as (path, how):
        log_dir = tempfile.mkdtemp(prefix="emberkv-log-")
        server = ServerProcess("emberkv", ["--dir", path, "--appendonly", "yes"],
                               directory=log_dir)
        code, log = start_expecting_exit(server)
        assert code == 1, log
        reason = "Permission denied" if how == "chmod" else "Read-only file system"
        assert f"Can't open or create append-only dir appendonlydir: {reason}" in log
        assert not has_traceback(log)
        if how == "tmpfs" and shutil.which("redis-server"):
            # The oracle, on the same directory.
            real = ServerProcess("redis", ["--dir", path, "--appendonly", "yes"],
                                 directory=log_dir)
            real_code, real_log = start_expecting_exit(real)
            assert real_code == 1
            assert f"Can't open or create append-only dir appendonlydir: {reason}" in real_log


def test_unwritable_aof_file_refuses_to_start(directory: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The AOF loads, but its last incr file cannot be opened for appending: Redis
    names that file and exits. Real where the test may remount (a read-only tmpfs)
    or is not root (chmod); the seam otherwise."""
    disk = os.path.join(directory, "disk")
    os.mkdir(disk)
    mounted = mount_tmpfs(disk, "size=2m")
    log_dir = tempfile.mkdtemp(prefix="emberkv-log-")
    try:
        ServerProcess("emberkv", ["--dir", disk, "--appendonly", "yes"],
                      directory=log_dir).start().stop()
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", disk], check=True)
            reason = "Read-only file system"
        elif os.geteuid() != 0:
            (Path(disk) / INCR_1).chmod(0o444)
            reason = "Permission denied"
        else:
            control = Path(directory) / "faults"
            control.write_text("incr-open:EROFS")
            monkeypatch.setenv("EMBERKV_AOF_FAULTS", str(control))
            reason = "Read-only file system"
        code, log = start_expecting_exit(
            ServerProcess("emberkv", ["--dir", disk, "--appendonly", "yes"], directory=log_dir))
        assert code == 1
        assert f"Can't open the append-only file appendonly.aof.1.incr.aof: {reason}" in log
        assert not has_traceback(log)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", disk], check=False)


# ------------------------------------------------------------------ shutdown


def test_fsync_error_at_shutdown_is_logged_and_the_server_exits(
        directory: str, faults: Callable[[str], None]) -> None:
    """Redis's prepareForShutdown logs a failed final fsync and exits anyway; the data
    written before it is in the file."""
    server = aof_server(directory).start()
    client = server.client()
    client.set("a", "1")
    faults("fsync:EIO")
    assert server.stop() == 0
    log = server.log_text()
    assert "Fail to fsync the AOF file: Input/output error." in log
    assert not has_traceback(log)
    faults("")
    with aof_server(directory).start() as restarted:
        assert restarted.client().get("a") == b"1"


def test_write_error_at_shutdown_says_what_is_lost(
        directory: str, faults: Callable[[str], None]) -> None:
    """As in Redis, the server exits even when its last writes cannot reach the AOF
    (they were acknowledged: everysec promises no more); the log says so."""
    server = aof_server(directory).start()
    client = server.client()
    client.set("a", "1")
    faults("ENOSPC")
    client.set("b", "2")
    assert server.stop() == 0
    log = server.log_text()
    assert re.search(r"Exiting with \d+ bytes of acknowledged writes not written to the "
                     r"AOF: No space left on device", log), log
    faults("")
    with aof_server(directory).start() as restarted:
        assert restarted.client().mget("a", "b") == [b"1", None]


def test_always_holds_replies_through_a_write_error(
        directory: str, faults: Callable[[str], None]) -> None:
    """appendfsync always: no reply before its write is on disk. Redis exits on an AOF
    write error with always; EmberKV keeps the reply until the disk takes the write
    (README, Known differences)."""
    server = aof_server(directory, "--appendfsync", "always").start()
    try:
        client = server.client()
        client.set("a", "1")
        faults("ENOSPC")
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n")
        ready, _, _ = select.select([sock], [], [], 0.5)
        assert not ready, "a reply left before its write reached the disk"
        faults("")
        sock.settimeout(5)
        assert sock.recv(100) == b"+OK\r\n"
        sock.close()
    finally:
        server.kill()
    clean_log(server)
    with aof_server(directory).start() as restarted:
        assert restarted.client().mget("a", "b") == [b"1", b"2"]


def test_always_never_acknowledges_a_write_lost_at_shutdown(
        directory: str, faults: Callable[[str], None]) -> None:
    server = aof_server(directory, "--appendfsync", "always").start()
    faults("ENOSPC")
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        sock.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n")
        time.sleep(0.2)
        assert server.stop() == 0
        assert sock.recv(100) == b""  # closed, no +OK
    finally:
        sock.close()
    clean_log(server)
    faults("")
    with aof_server(directory).start() as restarted:
        assert restarted.client().get("b") is None


def test_log_lines_the_disk_cannot_take_are_dropped_quietly(directory: str) -> None:
    """A logfile on a full disk (/dev/full: every write fails with ENOSPC) costs the
    lines, as in Redis, not a traceback on stderr per line."""
    server = ServerProcess("emberkv", ["--logfile", "/dev/full", "--loglevel", "verbose"],
                           directory=directory).start()
    try:
        client = server.client()
        for _ in range(20):
            assert pipeline(server.port, ("SET", "k", "v"), ("GET", "k")).endswith(b"$1\r\nv\r\n")
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                sock.sendall(b"*1x\r\n")  # a protocol error, logged at verbose
                sock.recv(100)
        assert client.ping()
    finally:
        assert server.stop() == 0
    output = server.log_text()  # the server's stdout and stderr
    assert "Logging error" not in output and not has_traceback(output), output


def test_config_set_appendonly_on_a_failing_disk_is_refused_with_redis_text(
        directory: str, faults: Callable[[str], None]) -> None:
    server = ServerProcess("emberkv", ["--save", ""], directory=directory).start()
    try:
        client = server.client()
        client.set("a", "1")
        faults("base-write:ENOSPC")
        with pytest.raises(redis.ResponseError) as refused:
            client.config_set("appendonly", "yes")
        assert str(refused.value) == ("CONFIG SET failed (possibly related to argument "
                                      "'appendonly') - Unable to turn on AOF. Check server logs.")
        assert client.config_get("appendonly") == {"appendonly": "no"}
        assert persistence(client)["aof_enabled"] == 0
        assert "can't write its base: No space left on device" in server.log_text()
        assert temp_files(directory) == []
        faults("")
        assert client.config_set("appendonly", "yes")
        client.set("b", "2")
    finally:
        server.kill()
    clean_log(server)
    with aof_server(directory).start() as restarted:
        assert restarted.client().mget("a", "b") == [b"1", b"2"]


@pytest.mark.needs_redis_server
def test_aof_on_dev_full_answers_as_redis(real_redis: ServerProcess) -> None:
    """A real ENOSPC in both servers (the spec's method: the incr file a symlink to
    /dev/full, which reads as empty and refuses every write): the same replies."""
    script = [("SET", "a", "1"), ("SET", "b", "2"), ("GET", "a"), ("PING",), ("DEL", "a"),
              ("INFO", "persistence")]
    seen = {}
    for kind in ("emberkv", "redis"):
        directory = temp_dir()
        args = ["--appendonly", "yes", "--appendfsync", "everysec"]
        ServerProcess(kind, args, directory=directory).start().stop()
        incr = Path(directory) / INCR_1
        incr.unlink()
        incr.symlink_to("/dev/full")
        server = ServerProcess(kind, args, directory=directory).start()
        try:
            replies = exchange(server.port, script[:-1])
            info = server.client().info("persistence")
            seen[kind] = (replies, info["aof_last_write_status"])
        finally:
            server.kill()
        if kind == "emberkv":
            clean_log(server)
    assert seen["emberkv"] == seen["redis"]
    assert seen["redis"][0][1] == (b"-MISCONF Errors writing to the AOF file: "
                                   b"No space left on device\r\n")


@pytest.mark.parametrize("fault", ["ENOSPC", "fsync:EIO"])
def test_write_error_while_bgrewriteaof_switches_files_applies_nothing_twice(
        directory: str, faults: Callable[[str], None], fault: str) -> None:
    """appendfsync always: an INCR still buffered when BGREWRITEAOF runs in the same
    pipeline must reach the old incr file before the switch. If that write fails the
    rewrite must not start (the child's base would hold the INCR, and the new incr
    file too)."""
    server = aof_server(directory, "--appendfsync", "always").start()
    try:
        client = server.client()
        client.incr("n")
        faults(fault)
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$12\r\nBGREWRITEAOF\r\n")
        time.sleep(0.3)  # (with always, any reply, INFO's too, waits for the disk)
        faults("")
        replies = b""
        while replies.count(b"\r\n") < 2:
            replies += sock.recv(1000)
        sock.close()
        assert replies.startswith(b":2\r\n")
        assert replies[4:] == b"-ERR " + REWRITE_REFUSED.encode() + b"\r\n"
        wait_for(lambda: persistence(client)["aof_last_write_status"] == "ok", "recovery")
        assert client.bgrewriteaof()
        wait_until_reaped(client, "aof_rewrite_in_progress")
    finally:
        server.kill()
    clean_log(server)
    with aof_server(directory).start() as restarted:
        assert restarted.client().get("n") == b"2"


def test_sigterm_is_refused_while_the_final_save_fails(
        directory: str, faults: Callable[[str], None]) -> None:
    """With save points, SIGTERM saves first; as in Redis, a failing save keeps the
    server running ("can't exit"), and SHUTDOWN NOSAVE still ends it."""
    server = rdb_server(directory).start()
    try:
        client = server.client()
        client.set("k", "v")
        faults("rdb-write:ENOSPC")
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        wait_for(lambda: "Error trying to save the DB, can't exit." in server.log_text(),
                 "the refused shutdown")
        assert client.get("k") == b"v"
        with contextlib.suppress(redis.ConnectionError):
            client.shutdown(nosave=True)
        assert server.process.wait(10) == 0
    finally:
        server.kill()
    clean_log(server)


# ------------------------------------------------------------------ messages wait too


def test_under_always_a_keyspace_event_waits_for_its_write_to_be_on_disk(
        directory: str, faults: Callable[[str], None]) -> None:
    """A subscriber must not hear of a write before the writer's reply could say it is
    durable: with every fsync failing, neither the SET's reply nor its event leaves; once
    an fsync succeeds, both do."""
    server = aof_server(directory, "--appendfsync", "always",
                        "--notify-keyspace-events", "KA").start()
    listener = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    writer = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        listener.sendall(b"SUBSCRIBE __keyspace@0__:k\r\n")
        assert listener.recv(256).startswith(b"*3\r\n$9\r\nsubscribe\r\n")
        faults("fsync:EIO")
        writer.sendall(b"SET k v\r\n")
        listener.settimeout(0.8)
        with pytest.raises(socket.timeout):
            listener.recv(256)  # the event is held with the SET's reply
        writer.settimeout(0.2)
        with pytest.raises(socket.timeout):
            writer.recv(64)
        faults("")
        listener.settimeout(10)
        writer.settimeout(10)
        assert writer.recv(64) == b"+OK\r\n"
        assert listener.recv(256) == (
            b"*3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n")
    finally:
        listener.close()
        writer.close()
        server.stop()
    clean_log(server)
