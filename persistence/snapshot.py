"""RDB snapshots on disk: SAVE in the foreground, BGSAVE in a forked child or on the
loop (rdb-snapshot-mode), save points.

    SAVE    -> save_file() on the loop: temp-<pid>.rdb, fsync, rename, fsync dir
    BGSAVE  -> fork -> child: save_file(), report its copy-on-write bytes, _exit(0|1)
            -> cron: poll() reaps it without blocking -> outcome (ok, err, killed)
    BGSAVE forkless -> ForklessSave (a ForklessJob, as the forkless AOF rewrite is):
            slices of a point-in-time view written between client requests; fsync,
            rename and the directory fsync on a thread -> cron: poll() reaps it the
            same way
    save points: due() says whether `save <seconds> <changes>` asks for a BGSAVE now

The child does what the AOF rewrite child does (rewrite.py): no logging, no loop, its
inherited sockets closed, os._exit. Its temp file is named after its own pid, so a
child killed mid-write leaves dump.rdb untouched and the parent removes the temp file.

Nothing here knows the keyspace: callers pass a function returning snapshot entries
and the per-db sizes for RESIZEDB, or (forkless) a point-in-time view.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol

from persistence.files import check_fault, fsync_directory, write_all
from persistence.rdb.writer import RdbWriter, SnapshotEntry, aux_fields, write_rdb

# Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE, save points wait this long.
RETRY_DELAY_S = 5

Entries = Callable[[], Iterable[SnapshotEntry]]
DbSizes = Callable[[], dict[int, tuple[int, int]]]


@dataclass
class SaveOptions:
    filename: str = "dump.rdb"
    compress: bool = True
    checksum: bool = True


def temp_name(pid: int) -> str:
    return f"temp-{pid}.rdb"


def save_file(options: SaveOptions, entries: Iterable[SnapshotEntry],
              db_sizes: dict[int, tuple[int, int]], used_memory: int = 0) -> int:
    """Write the snapshot to options.filename atomically (relative to the working
    directory, `dir`); returns the keys written. OSError on any failure, the temp
    file removed."""
    temp = temp_name(os.getpid())
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        check_fault("rdb-write")
        writer = write_rdb(lambda chunk: write_all(fd, chunk), entries, db_sizes,
                           compress=options.compress, checksum=options.checksum,
                           used_memory=used_memory)
        check_fault("rdb-fsync")
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        remove_quietly(temp)
        raise
    os.close(fd)
    try:
        check_fault("rdb-rename")
        os.rename(temp, options.filename)
    except BaseException:
        remove_quietly(temp)
        raise
    fsync_directory(os.path.dirname(options.filename) or ".")
    return writer.keys


def remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def private_dirty_bytes() -> int:
    """This process's private dirty memory: in a fork child, what copy-on-write
    duplicated (Redis reads the same from /proc/self/smaps)."""
    try:
        with open("/proc/self/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class SaveChild:
    """A running BGSAVE child."""

    is_fork = True

    def __init__(self, pid: int, report_fd: int, dirty_at_fork: int) -> None:
        self.pid = pid
        self.report_fd = report_fd
        self.dirty_at_fork = dirty_at_fork
        self.started = time.monotonic()
        self.was_killed_by_us = False
        self.cow_bytes = 0

    @classmethod
    def start(cls, options: SaveOptions, entries: Entries, db_sizes: DbSizes,
              dirty: int, used_memory: int) -> "SaveChild":
        sizes = db_sizes()
        read_fd, write_fd = os.pipe()
        # Objects that exist now are frozen so the child's collector does not write to
        # (and so copy) their pages; reference counts still do (see scripts/bench).
        gc.freeze()
        try:
            pid = os.fork()
        except OSError:
            gc.unfreeze()
            os.close(read_fd)
            os.close(write_fd)
            raise
        if pid == 0:  # pragma: no cover - runs in the child
            _child_main(options, entries, sizes, used_memory, write_fd)
        gc.unfreeze()
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        return cls(pid, read_fd, dirty)

    def poll(self) -> int | None:
        """None while running; then the exit code (-signal if killed)."""
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            self._close()
            return -1
        if pid == 0:
            return None
        self._read_report()
        self._close()
        if os.WIFSIGNALED(status):
            remove_quietly(temp_name(self.pid))
            return -os.WTERMSIG(status)
        return os.WEXITSTATUS(status)

    def _read_report(self) -> None:
        try:
            text = os.read(self.report_fd, 64)
            self.cow_bytes = int(text or b"0")
        except (OSError, ValueError):
            pass

    def _close(self) -> None:
        if self.report_fd >= 0:
            os.close(self.report_fd)
            self.report_fd = -1

    def kill(self) -> None:
        """Abort (FLUSHALL, SHUTDOWN, DEBUG RELOAD): SIGUSR1, which Redis does not count
        as a failure; the temp file is removed."""
        self.was_killed_by_us = True
        try:
            os.kill(self.pid, signal.SIGUSR1)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        self._close()
        remove_quietly(temp_name(self.pid))


class PointInTimeView(Protocol):
    """The keyspace's point-in-time view (server/point_in_time.py)."""

    db_sizes: dict[int, tuple[int, int]]
    preserved_keys: int

    def next_slice(self, count: int, write: Callable[..., None]) -> bool: ...

    def close(self) -> None: ...


# One pass of a forkless save writes keys for about this long, then lets the loop
# serve clients; keys are taken from the view this many at a time.
SLICE_S = 0.001
SLICE_KEYS = 256


class EntrySink(Protocol):
    """What a forkless job writes the view's keys into (an RDB, or an AOF base)."""

    def entry(self, db_index: int, key: bytes, value: Any, expire_at_ms: int | None,
              idle_s: int | None, freq: int | None) -> None: ...

    def finish(self) -> None: ...


class RdbSink:
    """An RDB file: header and AUX first, SELECTDB/RESIZEDB when the database changes,
    EOF and checksum at the end."""

    def __init__(self, write: Callable[[bytes], None], db_sizes: dict[int, tuple[int, int]],
                 compress: bool, checksum: bool, used_memory: int,
                 is_aof_base: bool = False) -> None:
        self.writer = RdbWriter(write, compress=compress, checksum=checksum)
        self.writer.header(aux_fields(used_memory, is_aof_base))
        self.db_sizes = db_sizes
        self.db_index = -1

    def entry(self, db_index: int, key: bytes, value: Any, expire_at_ms: int | None,
              idle_s: int | None, freq: int | None) -> None:
        if db_index != self.db_index:
            self.db_index = db_index
            self.writer.select_db(db_index, *self.db_sizes.get(db_index, (0, 0)))
        self.writer.entry(key, value, expire_at_ms, idle_s, freq)

    def finish(self) -> None:
        self.writer.finish()


class ForklessJob:
    """A point-in-time view written without a child, a slice per loop pass, into a
    temp file; the fsync (and, given a target, the rename over it and the directory
    fsync) then run on a thread, so the loop never waits for the disk. `poll()` and
    `kill()` as a child's; `fault` names the seam's <fault>-write/-fsync/-rename
    checks (persistence/files.py)."""

    is_fork = False
    cow_bytes = 0

    def __init__(self, view: PointInTimeView, loop: asyncio.AbstractEventLoop, temp: str,
                 make_sink: Callable[[Callable[[bytes], None]], EntrySink],
                 target: str | None, fault: str) -> None:
        self.pid = os.getpid()
        # Absolute: CONFIG SET dir may change the working directory meanwhile (a fork
        # child keeps the one it started with).
        self.temp_path = os.path.abspath(temp)
        self._target = os.path.abspath(target) if target is not None else None
        self._make_sink = make_sink
        self._fault = fault
        self.view: PointInTimeView | None = view
        self.loop = loop
        self.started = time.monotonic()
        self.was_killed_by_us = False
        self.preserved_keys = 0
        self.outcome: int | None = None
        self.error: BaseException | None = None  # why it failed, for the log
        self._fd = -1
        self._sink: EntrySink | None = None
        # The walk's key list and copies make the collector run full collections, and
        # each one traverses every dict of the dataset: tens of ms at a million keys,
        # under writes. Frozen, the dataset is left out of them until the view closes
        # (a fork for the AOF rewrite meanwhile unfreezes it early: slower, not wrong).
        gc.freeze()
        self._handle: asyncio.Handle | None = loop.call_soon(self._step)
        self._finisher: threading.Thread | None = None

    def _step(self) -> None:
        self._handle = None
        view = self.view
        if view is None:
            return
        try:
            sink = self._sink or self._open()
            deadline = time.monotonic() + SLICE_S
            while view.next_slice(SLICE_KEYS, sink.entry):
                if time.monotonic() >= deadline:
                    self._handle = self.loop.call_soon(self._step)
                    return
            sink.finish()
            self._release_view()
            self._finisher = threading.Thread(target=self._finish_file, name="forkless-save",
                                              daemon=True)
            self._finisher.start()
        except Exception as error:  # a bug must fail this save, not the server
            self._abandon()
            self.error = error
            self.outcome = 1

    def _open(self) -> EntrySink:
        self._fd = os.open(self.temp_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        check_fault(self._fault + "-write")
        fd = self._fd
        self._sink = self._make_sink(lambda chunk: write_all(fd, chunk))
        return self._sink

    def _finish_file(self) -> None:
        fd = self._fd
        temp = self.temp_path
        try:
            check_fault(self._fault + "-fsync")
            os.fsync(fd)
            os.close(fd)
            self._fd = -1
            if self._target is not None:
                check_fault(self._fault + "-rename")
                os.rename(temp, self._target)
                fsync_directory(os.path.dirname(self._target))
        except OSError as error:
            if self._fd >= 0:
                os.close(fd)
                self._fd = -1
            remove_quietly(temp)
            self.error = error
            self.outcome = 1
            return
        self.outcome = 0

    def _release_view(self) -> None:
        if self.view is not None:
            self.preserved_keys = self.view.preserved_keys
            self.view.close()
            self.view = None
            gc.unfreeze()

    def _abandon(self) -> None:
        """Stop writing: the view closed, the temp file removed."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._release_view()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        remove_quietly(self.temp_path)

    def poll(self) -> int | None:
        """None while running; then 0 (written) or 1 (failed)."""
        finisher = self._finisher
        if finisher is not None and finisher.is_alive():
            return None
        return self.outcome

    def kill(self) -> None:
        """Abort (FLUSHALL, SHUTDOWN, DEBUG RELOAD, AOF off). A sync already on its
        thread is waited for: the temp file is then gone, renamed or removed."""
        self.was_killed_by_us = True
        if self._finisher is not None:
            self._finisher.join()
            return
        self._abandon()


class ForklessSave(ForklessJob):
    """A BGSAVE without a child (rdb-snapshot-mode forkless): temp-<pid>.rdb renamed
    over dbfilename. The same interface as SaveChild for RdbSnapshots."""

    def __init__(self, options: SaveOptions, view: PointInTimeView, dirty: int,
                 used_memory: int, loop: asyncio.AbstractEventLoop) -> None:
        sizes = view.db_sizes
        super().__init__(view, loop, temp_name(os.getpid()),
                         lambda write: RdbSink(write, sizes, options.compress,
                                               options.checksum, used_memory),
                         options.filename, "rdb")
        self.dirty_at_fork = dirty


def _child_main(options: SaveOptions, entries: Entries, sizes: dict[int, tuple[int, int]],
                used_memory: int, report_fd: int) -> None:  # pragma: no cover - child
    code = 1
    try:
        gc.disable()
        signal.set_wakeup_fd(-1)
        # Keep only the report pipe: the parent's listening and client sockets must not
        # outlive it in this child.
        os.closerange(3, report_fd)
        os.closerange(report_fd + 1, os.sysconf("SC_OPEN_MAX"))
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        save_file(options, entries(), sizes, used_memory)
        os.write(report_fd, b"%d" % private_dirty_bytes())
        code = 0
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def due_save_point(points: list[tuple[int, int]], dirty: int, since_last_save_s: float,
                   last_ok: bool, since_last_try_s: float) -> tuple[int, int] | None:
    """The first save point that asks for a BGSAVE now (serverCron's rule), or None."""
    if not last_ok and since_last_try_s <= RETRY_DELAY_S:
        return None
    for seconds, changes in points:
        if dirty >= changes and since_last_save_s > seconds:
            return seconds, changes
    return None
