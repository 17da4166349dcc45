"""AofWriter: records in, bytes to the current incr file, fsync by policy.

Lifecycle of one record (Redis's feedAppendOnlyFile + flushAppendOnlyFile):
    append()  -- during the command: RESP bytes into the buffer (SELECT first when the
                 database differs from the last record's); nothing touches the file
    flush()   -- once per loop pass, before any reply goes out: one write of the whole
                 buffer; then, by policy:
                   always    ask the fsync thread to sync up to here; replies wait for
                             `durable` (group commit: one write + one fsync per pass)
                   everysec  ask the fsync thread for an fsync once a second; if one is
                             still running, postpone the write up to 2 s, then write
                             anyway and count aof_delayed_fsync
                   no        never fsync (the OS does, ~30 s); close() does
Offsets are logical (bytes appended since this writer opened): appended >= written
>= durable. A failed or short write never leaves a partial record: the file is cut
back to its last good size, the bytes stay buffered, and `write_error` is set until a
later flush succeeds (the server refuses writes with -MISCONF meanwhile).
"""

from __future__ import annotations

import enum
import errno
import logging
import os
import threading
import time
from typing import Callable

from persistence.aof.records import encode_command, select_record, timestamp_annotation
from persistence.files import FileOps

log = logging.getLogger("emberkv.aof")

POSTPONE_LIMIT_S = 2.0
ERROR_LOG_INTERVAL_S = 30.0
SLOW_FSYNC_S = 1.0


class FsyncPolicy(enum.Enum):
    ALWAYS = "always"
    EVERYSEC = "everysec"
    NO = "no"


class FsyncWorker:
    """One background thread that fsyncs the AOF up to a requested offset (Redis's bio
    job). Requests made while it syncs coalesce into the next fsync."""

    def __init__(self, ops: FileOps, fd: int, on_durable: Callable[[int], None],
                 done: int = 0) -> None:
        self._ops = ops
        self._fd = fd
        self._on_durable = on_durable
        self._condition = threading.Condition()
        self._wanted = done
        self.done = done
        self.is_busy = False  # a request is queued or an fsync is running
        self.error: OSError | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="aof-fsync", daemon=True)
        self._thread.start()

    def request(self, offset: int) -> None:
        with self._condition:
            if offset > self._wanted:
                self._wanted = offset
                self.is_busy = True
                self._condition.notify()

    def stop(self) -> None:
        """Finish the pending fsync, if any, and end the thread."""
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._wanted <= self.done and not self._stopping:
                    self._condition.wait()
                if self._wanted <= self.done:
                    return
                target = self._wanted
            started = time.monotonic()
            try:
                self._ops.fsync(self._fd)
            except OSError as error:
                # EBADF/EINVAL mean the file was closed under us (AOF switched off):
                # not a disk problem, as Redis ignores them too.
                if error.errno not in (errno.EBADF, errno.EINVAL):
                    if self.error is None:
                        log.warning("Error syncing the AOF file: %s", error.strerror)
                    self.error = error
                with self._condition:
                    self._wanted = self.done
                    self.is_busy = False
                self._on_durable(self.done)  # wakes the loop, which sees the error
                continue
            elapsed = time.monotonic() - started
            if elapsed > SLOW_FSYNC_S:
                log.warning("Slow AOF fsync: %.3f seconds", elapsed)
            if self.error is not None:
                log.warning("AOF fsync error looks solved, Redis can write again.")
                self.error = None
            with self._condition:
                self.done = target
                self.is_busy = self._wanted > self.done
            self._on_durable(target)


class AofWriter:
    def __init__(self, fd: int, file_size: int, policy: FsyncPolicy, ops: FileOps,
                 on_durable: Callable[[int], None], total_size: int = 0) -> None:
        self.fd = fd
        self.file_size = file_size  # bytes in the current incr file
        self.total_size = total_size or file_size  # base + incr files (aof_current_size)
        self.policy = policy
        self.ops = ops
        self._buffer: list[bytes] = []
        self.appended = 0
        self.written = 0
        self._last_db = -1
        # aof-timestamp-enabled: a "#TS:<unix s>" line before the first record of each
        # new second, for redis-check-aof --truncate-to-timestamp.
        self.timestamps = False
        self._last_timestamp_s = 0
        self.write_error: OSError | None = None
        self._last_error_log = 0.0
        self.delayed_fsync = 0
        self._postponed_since: float | None = None
        self._last_fsync_second = int(time.time())
        self.worker = FsyncWorker(ops, fd, on_durable)

    # ------------------------------------------------------------------ records

    def append(self, db_index: int, argv: list[bytes]) -> None:
        if self.timestamps:
            self._annotate_time()
        if db_index != self._last_db:
            select = select_record(db_index)
            self._buffer.append(select)
            self.appended += len(select)
            self._last_db = db_index
        data = encode_command(argv)
        self._buffer.append(data)
        self.appended += len(data)

    def _annotate_time(self) -> None:
        now_s = int(time.time())
        if now_s > self._last_timestamp_s:
            self._last_timestamp_s = now_s
            line = timestamp_annotation(now_s)
            self._buffer.append(line)
            self.appended += len(line)

    @property
    def buffered_bytes(self) -> int:
        return self.appended - self.written

    @property
    def waits_for_fsync(self) -> bool:
        return self.policy is FsyncPolicy.ALWAYS

    @property
    def durable(self) -> int:
        return self.worker.done

    @property
    def error(self) -> OSError | None:
        """Why writes must be refused: a failed write, or a failed background fsync."""
        return self.write_error or self.worker.error

    # ------------------------------------------------------------------ flushing

    def flush(self, force: bool = False) -> int:
        """Write the buffer (see module doc); returns the offset replies may be
        released up to: `durable` with always, everything appended otherwise (with
        everysec and no, Redis sends replies even when the write was postponed or
        failed: the policy promises nothing per reply)."""
        if self._buffer and self._may_write_now(force):
            self._write_buffer()
        if self.write_error is None:
            self._schedule_fsync()
        if self.policy is FsyncPolicy.ALWAYS:
            return self.worker.done
        return self.appended

    def _may_write_now(self, force: bool) -> bool:
        if force or self.policy is not FsyncPolicy.EVERYSEC or not self.worker.is_busy:
            self._postponed_since = None
            return True
        now = time.monotonic()
        if self._postponed_since is None:
            self._postponed_since = now
            return False
        if now - self._postponed_since < POSTPONE_LIMIT_S:
            return False
        self.delayed_fsync += 1
        log.log(25, "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the "
                "AOF buffer without waiting for fsync to complete, this may slow down Redis.")
        self._postponed_since = None
        return True

    def _write_buffer(self) -> None:
        data = self._buffer[0] if len(self._buffer) == 1 else b"".join(self._buffer)
        view = memoryview(data)
        done = 0
        try:
            while done < len(data):
                done += self.ops.write(self.fd, view[done:])
        except OSError as error:
            self._write_failed(error, data, done)
            return
        finally:
            view.release()
        self._buffer.clear()
        self._advance(len(data))
        if self.write_error is not None:
            log.warning("AOF write error looks solved, Redis can write again.")
            self.write_error = None

    def _advance(self, count: int) -> None:
        self.written += count
        self.file_size += count
        self.total_size += count

    def _write_failed(self, error: OSError, data: bytes, done: int) -> None:
        now = time.monotonic()
        if now - self._last_error_log > ERROR_LOG_INTERVAL_S:
            self._last_error_log = now
            if done:
                log.warning("Short write while writing to the AOF file: (nwritten=%d, "
                            "expected=%d)", done, len(data))
            else:
                log.warning("Error writing to the AOF file: %s", error.strerror)
        if done:
            try:
                self.ops.truncate(self.fd, self.file_size)
            except OSError as truncate_error:
                # The partial record stays in the file: keep the rest of it buffered
                # so the next write completes it instead of starting a new one.
                log.warning("Could not remove short write from the append-only file. Redis "
                            "may refuse to load the AOF the next time it starts. "
                            "ftruncate: %s", truncate_error.strerror)
                self._advance(done)
                data = data[done:]
        self._buffer = [data]
        self.write_error = error

    def _schedule_fsync(self) -> None:
        worker = self.worker
        if self.written <= worker.done:
            return
        if self.policy is FsyncPolicy.ALWAYS:
            worker.request(self.written)
        elif self.policy is FsyncPolicy.EVERYSEC:
            second = int(time.time())
            if second > self._last_fsync_second and not worker.is_busy:
                self._last_fsync_second = second
                worker.request(self.written)

    # ------------------------------------------------------------------ switching

    def make_durable(self) -> None:
        """Write everything and fsync it on this thread, the fsync thread going on
        (before BGREWRITEAOF lists a new incr file). OSError if the write fails."""
        self.flush(force=True)
        if self.write_error is not None:
            raise self.write_error
        if self.written > self.worker.done:
            try:
                self.ops.fsync(self.fd)
            except OSError as error:
                self.worker.error = error  # writes are refused until an fsync succeeds
                raise

    def switch_file(self, fd: int) -> int:
        """Go on in a new (empty) incr file, keeping the logical offsets, so replies
        held for the old file are released as before. Everything buffered is written
        and fsynced to the old file first; it is closed. Returns the old file's size.
        OSError if that write or fsync fails: the old file stays in use."""
        try:
            self.sync_now()
        except OSError as error:
            # The fsync failed: writes are refused (MISCONF) until one succeeds.
            self._restart_worker().error = error
            raise
        if self.write_error is not None:
            # What is still buffered belongs before the switch point, in this file:
            # written to the next one, it would follow a base that already holds it.
            self._restart_worker()
            raise self.write_error
        os.close(self.fd)
        old_size = self.file_size
        self.fd = fd
        self.file_size = 0
        self._last_db = -1  # each incr file starts with a SELECT
        self._last_timestamp_s = 0
        self.worker = FsyncWorker(self.ops, fd, self.worker._on_durable, self.worker.done)
        return old_size

    def _restart_worker(self) -> FsyncWorker:
        """A new fsync thread on the current file, after sync_now stopped the old one."""
        self.worker = FsyncWorker(self.ops, self.fd, self.worker._on_durable, self.worker.done)
        return self.worker

    # ------------------------------------------------------------------ closing

    def sync_now(self) -> None:
        """Write everything and fsync on this thread (shutdown, AOF switched off)."""
        self.flush(force=True)
        self.worker.stop()
        if self.write_error is None and self.written > self.worker.done:
            self.ops.fsync(self.fd)
            self.worker.done = self.written

    def close(self) -> None:
        try:
            self.sync_now()
        finally:
            os.close(self.fd)
