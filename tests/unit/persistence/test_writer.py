"""AofWriter: buffering, the three policies, and write failures through the FileOps
seam (no sockets; a real file in tmp_path)."""

from __future__ import annotations

import errno
import os
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from persistence.aof.records import encode_command, select_record
from persistence.aof.writer import AofWriter, FsyncPolicy
from persistence.files import FileOps


class ScriptedOps(FileOps):
    """FileOps with switchable faults and a gate to hold fsyncs."""

    def __init__(self) -> None:
        self.write_errno: int | None = None
        self.short_by: int | None = None  # store all but this many bytes, then fail
        self.truncate_fails = False
        self.fsync_errno: int | None = None
        self.fsync_gate = threading.Event()
        self.fsync_gate.set()
        self.fsyncs = 0

    def write(self, fd: int, data: bytes | memoryview) -> int:
        if self.short_by is not None:
            keep = len(data) - self.short_by
            self.short_by = None
            self.write_errno = errno.ENOSPC
            return os.write(fd, data[:keep])
        if self.write_errno is not None:
            raise OSError(self.write_errno, os.strerror(self.write_errno))
        return os.write(fd, data)

    def truncate(self, fd: int, size: int) -> None:
        if self.truncate_fails:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        os.ftruncate(fd, size)

    def fsync(self, fd: int) -> None:
        self.fsync_gate.wait(5)
        if self.fsync_errno is not None:
            raise OSError(self.fsync_errno, os.strerror(self.fsync_errno))
        self.fsyncs += 1
        os.fdatasync(fd)


@pytest.fixture
def ops() -> ScriptedOps:
    return ScriptedOps()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "appendonly.aof.1.incr.aof"


def open_writer(path: Path, ops: FileOps, policy: FsyncPolicy,
                durable: list[int] | None = None) -> AofWriter:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    sink = durable if durable is not None else []
    return AofWriter(fd, 0, policy, ops, sink.append)


@pytest.fixture
def writers() -> Iterator[list[AofWriter]]:
    opened: list[AofWriter] = []
    yield opened
    for writer in opened:
        writer.worker.stop()


def wait_for(condition, timeout_s: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_records_are_buffered_until_flush_with_select_on_db_change(
        path: Path, ops: ScriptedOps, writers: list[AofWriter]) -> None:
    writer = open_writer(path, ops, FsyncPolicy.NO)
    writers.append(writer)
    writer.append(0, [b"SET", b"a", b"1"])
    writer.append(0, [b"SET", b"b", b"2"])
    writer.append(3, [b"SET", b"c", b"3"])
    assert path.read_bytes() == b""
    assert writer.buffered_bytes == writer.appended
    assert writer.flush() == writer.appended
    assert path.read_bytes() == (
        select_record(0) + encode_command([b"SET", b"a", b"1"])
        + encode_command([b"SET", b"b", b"2"]) + select_record(3)
        + encode_command([b"SET", b"c", b"3"]))
    assert writer.buffered_bytes == 0 and writer.written == writer.appended
    assert ops.fsyncs == 0  # appendfsync no: never by us


def test_always_releases_replies_only_up_to_the_fsynced_offset(
        path: Path, ops: ScriptedOps, writers: list[AofWriter]) -> None:
    durable: list[int] = []
    writer = open_writer(path, ops, FsyncPolicy.ALWAYS, durable)
    writers.append(writer)
    ops.fsync_gate.clear()
    writer.append(0, [b"SET", b"a", b"1"])
    assert writer.flush() == 0  # written, not yet durable
    first = writer.written
    writer.append(0, [b"SET", b"b", b"2"])
    assert writer.flush() == 0  # group commit: joins the next fsync
    ops.fsync_gate.set()
    wait_for(lambda: writer.durable == writer.written)
    assert durable[-1] == writer.written and first < writer.written
    assert ops.fsyncs <= 2


def test_everysec_postpones_while_an_fsync_runs_then_writes_after_two_seconds(
        path: Path, ops: ScriptedOps, writers: list[AofWriter]) -> None:
    writer = open_writer(path, ops, FsyncPolicy.EVERYSEC)
    writers.append(writer)
    ops.fsync_gate.clear()
    writer._last_fsync_second = 0  # a second has passed since the last fsync
    writer.append(0, [b"SET", b"a", b"1"])
    writer.flush()
    assert writer.worker.is_busy
    size = path.stat().st_size
    writer.append(0, [b"SET", b"b", b"2"])
    assert writer.flush() == writer.appended  # replies go anyway with everysec
    assert path.stat().st_size == size and writer.buffered_bytes > 0  # postponed
    writer._postponed_since = time.monotonic() - 2.5
    writer.flush()
    assert writer.buffered_bytes == 0 and writer.delayed_fsync == 1
    ops.fsync_gate.set()


def test_short_write_is_truncated_back_and_retried_whole(
        path: Path, ops: ScriptedOps, writers: list[AofWriter]) -> None:
    writer = open_writer(path, ops, FsyncPolicy.NO)
    writers.append(writer)
    writer.append(0, [b"SET", b"a", b"1"])
    writer.flush()
    good = path.read_bytes()
    ops.short_by = 5
    writer.append(0, [b"SET", b"b", b"2"])
    writer.flush()
    assert path.read_bytes() == good  # no partial record left behind
    assert writer.error is not None and writer.error.errno == errno.ENOSPC
    ops.write_errno = None
    writer.flush()
    assert writer.error is None
    assert path.read_bytes() == good + encode_command([b"SET", b"b", b"2"])


def test_partial_record_is_completed_when_truncate_fails(
        path: Path, ops: ScriptedOps, writers: list[AofWriter]) -> None:
    writer = open_writer(path, ops, FsyncPolicy.NO)
    writers.append(writer)
    ops.short_by = 4
    ops.truncate_fails = True
    writer.append(0, [b"SET", b"a", b"1"])
    writer.flush()
    ops.write_errno = None
    writer.flush()
    assert path.read_bytes() == select_record(0) + encode_command([b"SET", b"a", b"1"])
    assert writer.written == writer.appended


def test_write_error_keeps_data_until_the_disk_recovers(
        path: Path, ops: ScriptedOps, writers: list[AofWriter]) -> None:
    writer = open_writer(path, ops, FsyncPolicy.EVERYSEC)
    writers.append(writer)
    ops.write_errno = errno.EIO
    writer.append(0, [b"SET", b"a", b"1"])
    writer.flush()
    writer.flush()
    assert path.read_bytes() == b"" and writer.error is not None
    assert writer.error.strerror == "Input/output error"
    ops.write_errno = None
    writer.flush()
    assert writer.error is None and path.stat().st_size == writer.appended


def test_background_fsync_failure_is_an_error_until_an_fsync_succeeds(
        path: Path, ops: ScriptedOps, writers: list[AofWriter]) -> None:
    writer = open_writer(path, ops, FsyncPolicy.ALWAYS)
    writers.append(writer)
    ops.fsync_errno = errno.EIO
    writer.append(0, [b"SET", b"a", b"1"])
    writer.flush()
    wait_for(lambda: writer.error is not None)
    ops.fsync_errno = None
    writer.append(0, [b"SET", b"b", b"2"])
    writer.flush()
    wait_for(lambda: writer.durable == writer.written)
    assert writer.error is None


def test_close_writes_and_fsyncs_everything(path: Path, ops: ScriptedOps) -> None:
    writer = open_writer(path, ops, FsyncPolicy.NO)
    writer.append(0, [b"SET", b"a", b"1"])
    writer.close()
    assert path.stat().st_size == writer.appended and ops.fsyncs == 1
