"""BGREWRITEAOF's child: a new base from a point-in-time view of the dataset.

The view is a fork: the child inherits the dataset as it was when the parent switched
to a new incr file, so base + that incr hold every write exactly once. The child only
iterates the snapshot entries, writes `temp-rewriteaof-bg-<pid>.aof` in `dir` through
base_records, fsyncs it and leaves with os._exit (0 on success): no logging, no event
loop, no locks that the parent's threads might hold. The parent polls for its exit
(`poll`) and does the manifest swap (service.py).

With rdb-snapshot-mode forkless, ForklessRewrite writes the same base without a child,
from the keyspace's point-in-time view (persistence/snapshot.py's ForklessJob), with
the same interface.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import time
from typing import Callable, Iterable

from persistence.aof.base import RdbPreamble, RespBaseSink, SnapshotEntry, write_base
from persistence.files import check_fault, write_all
from persistence.snapshot import EntrySink, ForklessJob, PointInTimeView, RdbSink


def temp_base_name(pid: int) -> str:
    return f"temp-rewriteaof-bg-{pid}.aof"


class RewriteChild:
    is_fork = True

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.started = time.monotonic()
        self.temp_path = temp_base_name(pid)
        self.was_killed_by_us = False

    @classmethod
    def start(cls, entries: Callable[[], Iterable[SnapshotEntry]],
              timestamps: bool, preamble: RdbPreamble | None = None) -> "RewriteChild":
        # Freeze the objects that exist now so the child's garbage collector does not
        # write to (and so copy) every page of the dataset.
        gc.freeze()
        try:
            pid = os.fork()
        except OSError:
            gc.unfreeze()
            raise
        if pid == 0:  # pragma: no cover - runs in the child
            _child_main(entries, timestamps, preamble)
        gc.unfreeze()
        return cls(pid)

    def poll(self) -> int | None:
        """None while running; then the wait status's exit code (-signal if killed)."""
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return -1
        if pid == 0:
            return None
        if os.WIFSIGNALED(status):
            return -os.WTERMSIG(status)
        return os.WEXITSTATUS(status)

    def kill(self) -> None:
        """Abort (AOF switched off, shutdown): Redis's SIGUSR1, not counted as an error."""
        self.was_killed_by_us = True
        try:
            os.kill(self.pid, signal.SIGUSR1)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        remove_quietly(self.temp_path)


class ForklessRewrite(ForklessJob):
    """The new base without a child (rdb-snapshot-mode forkless): the point-in-time
    view taken when the new incr file was opened, written on the loop in slices into
    temp-rewriteaof-bg-<pid>.aof and fsynced on a thread; the service renames it into
    place as it does a child's. The interface of RewriteChild."""

    def __init__(self, view: PointInTimeView, loop: asyncio.AbstractEventLoop,
                 timestamps: bool, preamble: RdbPreamble | None) -> None:
        def make_sink(write: Callable[[bytes], None]) -> EntrySink:
            if preamble is not None:
                return RdbSink(write, view.db_sizes, preamble.compress, preamble.checksum,
                               0, is_aof_base=True)
            return RespBaseSink(write, int(time.time()) if timestamps else None)
        super().__init__(view, loop, temp_base_name(os.getpid()), make_sink, None, "base")


def _child_main(entries: Callable[[], Iterable[SnapshotEntry]], timestamps: bool,
                preamble: RdbPreamble | None) -> None:  # pragma: no cover - runs in the child
    code = 1
    try:
        gc.disable()
        # The parent's loop listens on a wakeup fd this process shares: detach from it.
        signal.set_wakeup_fd(-1)
        # Nor keep its listening and client sockets open: a crashed parent must be able
        # to restart on its port while this child finishes.
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        path = temp_base_name(os.getpid())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        check_fault("base-write")
        write_base(lambda data: write_all(fd, data), entries(), preamble,
                   int(time.time()) if timestamps else None)
        check_fault("base-fsync")
        os.fsync(fd)
        os.close(fd)
        code = 0
    finally:
        os._exit(code)


def remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
