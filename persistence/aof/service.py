"""AofService: the AOF's lifecycle as the composition root drives it.

    start (appendonly yes) -> [upgrade a Redis 6 single file] -> load base + incrs
        -> open the last incr -> append/flush*
        -> [CONFIG SET appendonly no -> close] -> shutdown: flush + fsync
    CONFIG SET appendonly yes -> new base from a snapshot -> new incr -> append/flush*

    BGREWRITEAOF -> new incr (in the manifest first) -> fork: child writes the base
        -> cron sees it exit -> rename into place, manifest swap, history removed

Directory layout and manifest as Redis 7 (see manifest.py). On a first start with no
AOF, the directory, an empty base, incr 1 and the manifest are created, as Redis does.
Enabling at run time writes the new base synchronously on the loop (a forked rewrite
there is the next step); the old base and incr files become history and are removed
unless aof-disable-auto-gc is yes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any, Callable, Iterable, Iterator

from persistence.aof.base import RdbPreamble, SnapshotEntry, write_base
from persistence.aof.loader import LoadResult, PreambleLoading, Replay, load_steps
from persistence.aof.manifest import (
    AofFile, FileType, Manifest, base_name, incr_name, manifest_name,
)
from persistence.aof.rewrite import ForklessRewrite, RewriteChild, remove_quietly
from persistence.aof.writer import AofWriter, FsyncPolicy
from persistence.files import FileOps, atomic_replace, check_fault, fsync_directory, write_all
from persistence.snapshot import PointInTimeView

log = logging.getLogger("emberkv.aof")


REWRITE_FAILED = ("ERR Can't execute an AOF background rewriting. Please check the server "
                  "logs for more information.")


class RewriteRefused(Exception):
    """BGREWRITEAOF cannot start; the message is the error reply."""


class AofStartError(Exception):
    """The AOF directory or its last incr file cannot be opened at startup; the
    message is what Redis logs before it exits."""


class AofService:
    def __init__(self, dirname: str, filename: str, policy: str, ops: FileOps,
                 on_durable: Callable[[int], None], disable_auto_gc: bool = False,
                 timestamps: bool = False) -> None:
        self.directory = dirname  # relative to the working directory (`dir`)
        self.filename = filename
        self.policy = FsyncPolicy(policy)
        self.ops = ops
        self.on_durable = on_durable
        self.disable_auto_gc = disable_auto_gc
        self.timestamps = timestamps
        # aof-use-rdb-preamble: bases written as RDB (set by the composition root), and
        # how RDB bases are loaded.
        self.preamble: RdbPreamble | None = None
        self.preamble_loading: PreambleLoading | None = None
        self.manifest = Manifest()
        self.writer: AofWriter | None = None
        self.base_size = 0
        self._next_incr_seq = 0  # fixed by _write_base before the old incrs retire
        # BGREWRITEAOF (INFO aof_rewrite* fields).
        self.rewrite: RewriteChild | ForklessRewrite | None = None
        self.rewrites = 0
        self.rewrite_failures = 0  # consecutive
        self.last_rewrite_ok = True
        self.last_rewrite_duration_s = -1
        self._last_failure_at = 0.0

    @property
    def manifest_path(self) -> str:
        return os.path.join(self.directory, manifest_name(self.filename))

    def _path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    # ------------------------------------------------------------------ startup

    def start(self, replay: Replay, load_truncated: bool) -> LoadResult:
        """Load the AOF that exists (raising AofLoadError or ManifestError when it
        cannot be), or create a fresh one; then open it for appending."""
        result = LoadResult()
        for _ in self.start_steps(replay, load_truncated, result):
            pass
        return result

    def start_steps(self, replay: Replay, load_truncated: bool,
                    result: LoadResult) -> Iterator[None]:
        """start(), yielding now and then while loading so the caller can serve
        clients (-LOADING); `result` shows the progress."""
        self._create_directory()
        manifest = self._upgrade_single_file(Manifest.load(self.manifest_path))
        if manifest is None or (manifest.base is None and not manifest.incrs):
            self.manifest = manifest or Manifest()
            self._write_base([])
            # Redis reports aof_base_size 0 after creating the first (empty) base.
            self.base_size = 0
            self._open_new_incr()
            return
        self.manifest = manifest
        yield from load_steps(self.directory, manifest, replay, result,
                              load_truncated=load_truncated, preamble=self.preamble_loading)
        # Redis reports the base file's size as the rewrite base after a load.
        self.base_size = result.base_size
        if not manifest.incrs:
            self._open_new_incr(total_size=result.total_size)
            return
        name = manifest.incrs[-1].name
        try:
            check_fault("incr-open")
            self._open_incr(name, result.total_size)
        except OSError as error:
            raise AofStartError(f"Can't open the append-only file {name}: "
                                f"{error.strerror}") from None

    def _create_directory(self) -> None:
        try:
            check_fault("aof-dir")
            os.makedirs(self.directory, exist_ok=True)
        except OSError as error:
            raise AofStartError(f"Can't open or create append-only dir {self.directory}: "
                                f"{error.strerror}") from None

    def _upgrade_single_file(self, manifest: Manifest | None) -> Manifest | None:
        """A Redis 6 AOF (`<dir>/appendonly.aof`, one file) becomes the base of a
        multi-part AOF, as Redis 7 does: manifest first, then the move, so a crash in
        between is finished on the next start. A file already in the AOF directory
        wins over one left in `dir`."""
        old_path = self.filename
        new_path = self._path(self.filename)
        if manifest is None:
            if not os.path.isfile(old_path):
                return None
            log.log(25, "Upgrading the single-file AOF %s to the multi-part layout",
                    self.filename)
            manifest = Manifest(base=AofFile(self.filename, 1, FileType.BASE))
            manifest.persist(self.manifest_path)
        elif not (manifest.base is not None and manifest.base.name == self.filename):
            return manifest
        if os.path.isfile(old_path) and not os.path.exists(new_path):
            os.rename(old_path, new_path)
            fsync_directory(self.directory)
            fsync_directory(".")
            log.log(25, "Moved %s into %s", self.filename, self.directory)
        return manifest

    # ------------------------------------------------------------------ run time

    def enable(self, entries: Iterable[SnapshotEntry]) -> None:
        """CONFIG SET appendonly yes: a base from the current dataset, then logging."""
        os.makedirs(self.directory, exist_ok=True)
        existing = Manifest.load(self.manifest_path)
        self.manifest = existing or Manifest()
        self._write_base(entries)
        self._open_new_incr(total_size=self.base_size)

    def disable(self) -> None:
        self.abort_rewrite()
        if self.writer is not None:
            writer, self.writer = self.writer, None
            writer.close()

    def shutdown(self) -> bool:
        """Flush and fsync before exit (every policy); whether everything logged is
        now on disk. As in Redis's prepareForShutdown, a failure is logged and the
        exit goes on: refusing would leave the server running on a closed AOF, and a
        SIGKILL later loses the same bytes."""
        self.abort_rewrite()
        writer, self.writer = self.writer, None
        if writer is None:
            return True
        try:
            writer.close()
        except OSError as error:
            log.warning("Fail to fsync the AOF file: %s.", error.strerror)
            return False
        if writer.write_error is not None and writer.buffered_bytes:
            log.warning("Exiting with %d bytes of acknowledged writes not written to the "
                        "AOF: %s", writer.buffered_bytes, writer.write_error.strerror)
            return False
        return True

    def set_timestamps(self, enabled: bool) -> None:
        self.timestamps = enabled
        if self.writer is not None:
            self.writer.timestamps = enabled

    def set_policy(self, policy: str) -> None:
        self.policy = FsyncPolicy(policy)
        if self.writer is not None:
            self.writer.policy = self.policy

    # ------------------------------------------------------------------ rewrite

    def start_rewrite(self, entries: Callable[[], Iterable[SnapshotEntry]],
                      forkless: tuple[Callable[[], PointInTimeView],
                                      asyncio.AbstractEventLoop] | None = None) -> None:
        """BGREWRITEAOF: open a new incr file (listed in the manifest before the writer
        uses it), then fork the child that writes the new base from the dataset as it
        is at this instant; or, given `forkless` (a point-in-time view's opener and the
        loop), write it without a child (ForklessRewrite). Raises RewriteRefused or
        OSError."""
        if self.rewrite is not None:
            raise RewriteRefused("ERR Background append only file rewriting already in progress")
        os.makedirs(self.directory, exist_ok=True)
        writer = self.writer
        if writer is None:
            # AOF off: a base only, and a manifest without incr files (as Redis).
            self.manifest = Manifest.load(self.manifest_path) or Manifest()
        else:
            if writer.error is not None:
                # Its unwritten records are already in the dataset the child would see;
                # logging them again in the new incr would apply them twice.
                log.warning("Can't rewrite append only file in background: the AOF can't "
                            "be written (%s)", writer.error.strerror)
                self.last_rewrite_ok = False
                raise RewriteRefused(REWRITE_FAILED)
            try:
                # Once the manifest lists the new incr file, the current one is no
                # longer the last, and only the last file may end torn (a power loss
                # during an fsync): put it whole on disk first.
                writer.make_durable()
                self._switch_to_new_incr(writer)
            except OSError:
                # As Redis: a rewrite that could not even start counts as failed.
                self.last_rewrite_ok = False
                raise
        if forkless is not None:
            begin_view, loop = forkless
            self.rewrite = ForklessRewrite(begin_view(), loop, self.timestamps, self.preamble)
            self.rewrites += 1
            log.log(25, "Background append only file rewriting started without a fork")
            return
        self.rewrite = RewriteChild.start(entries, self.timestamps, self.preamble)
        self.rewrites += 1
        log.log(25, "Background append only file rewriting started by pid %d", self.rewrite.pid)

    def _switch_to_new_incr(self, writer: AofWriter) -> None:
        """Redis's openNewIncrAofForAppend: a new incr file, listed in the manifest
        before anything is written to it. If the file or the manifest cannot be
        written, both are as they were and the new file is gone. If the old file
        cannot be flushed (switch_file), the writer stays on it and the new file stays
        listed, empty: loading gives the same data, and the next rewrite retires it."""
        seq = self.manifest.next_incr_seq
        name = incr_name(self.filename, seq)
        check_fault("incr-create")
        fd = os.open(self._path(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC,
                     0o644)
        listed = Manifest(self.manifest.base, [*self.manifest.incrs,
                                               AofFile(name, seq, FileType.INCR)],
                          list(self.manifest.history))
        try:
            fsync_directory(self.directory)
            listed.persist(self.manifest_path)
        except OSError:
            os.close(fd)
            remove_quietly(self._path(name))
            raise
        self.manifest = listed
        writer.switch_file(fd)

    def poll_rewrite(self) -> None:
        """From the cron: once the child is done, swap its base in (or count a failure)."""
        child = self.rewrite
        if child is None:
            return
        code = child.poll()
        if code is None:
            return
        self.rewrite = None
        self.last_rewrite_duration_s = int(time.monotonic() - child.started)
        if code == 0:
            try:
                self._install_base(child.temp_path)
            except OSError as error:
                log.warning("Background AOF rewrite failed: %s", error.strerror)
                self._rewrite_failed(child.temp_path)
                return
            self.last_rewrite_ok = True
            self.rewrite_failures = 0
            log.log(25, "Background AOF rewrite finished successfully")
        else:
            log.warning("Background AOF rewrite terminated with error (%s)",
                        f"signal {-code}" if code < 0 else f"exit code {code}")
            self._rewrite_failed(child.temp_path)

    def _rewrite_failed(self, temp_path: str) -> None:
        remove_quietly(temp_path)
        self.last_rewrite_ok = False
        self.rewrite_failures += 1
        self._last_failure_at = time.monotonic()

    def _install_base(self, temp_path: str) -> None:
        """The child's base goes in (Redis's backgroundRewriteDoneHandler): renamed
        into place, then a new manifest naming it is persisted and only then adopted.
        If any step fails, the new base is removed and the old manifest, on disk and
        here, stays in use."""
        manifest = self.manifest
        seq = manifest.next_base_seq
        name = base_name(self.filename, seq, rdb=_starts_as_rdb(temp_path))
        size = os.path.getsize(temp_path)
        current = manifest.incrs[-1:] if self.writer is not None else []
        retired = ([manifest.base] if manifest.base else []) + manifest.incrs[:len(manifest.incrs)
                                                                            - len(current)]
        swapped = Manifest(AofFile(name, seq, FileType.BASE), list(current),
                           manifest.history + [AofFile(f.name, f.seq, FileType.HISTORY)
                                               for f in retired])
        os.rename(temp_path, self._path(name))
        try:
            fsync_directory(self.directory)
            swapped.persist(self.manifest_path)
        except OSError:
            remove_quietly(self._path(name))
            raise
        self.manifest = swapped
        self._collect_history()
        self.base_size = size
        if self.writer is not None:
            self.writer.total_size = size + self.writer.file_size
            self.base_size = self.writer.total_size

    def abort_rewrite(self) -> None:
        if self.rewrite is not None:
            log.log(25, "Killing running AOF rewrite child: %d", self.rewrite.pid)
            self.rewrite.kill()
            self.rewrite = None

    def wants_auto_rewrite(self, percentage: int, min_size: int) -> bool:
        """auto-aof-rewrite-percentage/min-size, with Redis's back-off after three
        failures in a row (1, 2, 4 ... up to 60 minutes)."""
        writer = self.writer
        if writer is None or writer.error is not None or self.rewrite is not None \
                or not percentage:
            return False
        if writer.total_size <= min_size:
            return False
        growth = writer.total_size * 100 // (self.base_size or 1) - 100
        if growth < percentage:
            return False
        if self.rewrite_failures >= 3:
            delay_min = min(60, 2 ** (self.rewrite_failures - 3))
            if time.monotonic() - self._last_failure_at < delay_min * 60:
                return False
        return True

    # ------------------------------------------------------------------ files

    def _write_base(self, entries: Iterable[SnapshotEntry]) -> None:
        """A new base with `entries`; the manifest's old base and incrs become history."""
        manifest = self.manifest
        seq = manifest.next_base_seq
        incr_seq = manifest.next_incr_seq
        name = base_name(self.filename, seq, rdb=self.preamble is not None)
        size = 0

        def write(fd: int) -> None:
            nonlocal size
            size = write_base(lambda data: write_all(fd, data), entries, self.preamble,
                              int(time.time()) if self.timestamps else None)

        atomic_replace(self._path(name), write, fault_point="base")
        retired = ([manifest.base] if manifest.base else []) + manifest.incrs
        manifest.history += [AofFile(f.name, f.seq, FileType.HISTORY) for f in retired]
        manifest.base = AofFile(name, seq, FileType.BASE)
        manifest.incrs = []
        self._next_incr_seq = incr_seq
        self.base_size = size

    def _open_new_incr(self, total_size: int = 0) -> None:
        seq = self._next_incr_seq or self.manifest.next_incr_seq
        self._next_incr_seq = 0
        name = incr_name(self.filename, seq)
        fd = os.open(self._path(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o644)
        fsync_directory(self.directory)
        self.manifest.incrs.append(AofFile(name, seq, FileType.INCR))
        self.manifest.persist(self.manifest_path)
        self._start_writer(fd, 0, total_size)
        self._collect_history()

    def _open_incr(self, name: str, total_size: int) -> None:
        fd = os.open(self._path(name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._start_writer(fd, os.fstat(fd).st_size, total_size)

    def _start_writer(self, fd: int, file_size: int, total_size: int) -> None:
        self.writer = AofWriter(fd, file_size, self.policy, self.ops, self.on_durable,
                                total_size=total_size)
        self.writer.timestamps = self.timestamps

    def _collect_history(self) -> None:
        """Drop history files: first from the manifest, then from the disk, so the
        manifest never names a file that is gone."""
        if self.disable_auto_gc or not self.manifest.history:
            return
        retired, self.manifest.history = self.manifest.history, []
        try:
            self.manifest.persist(self.manifest_path)
        except OSError as error:
            # The files stay, still listed; the next manifest update retries.
            self.manifest.history = retired
            log.warning("Failed to persist the AOF manifest while removing history files: %s",
                        error.strerror)
            return
        for entry in retired:
            log.log(25, "Removing the history file %s in the background", entry.name)
            try:
                os.unlink(self._path(entry.name))
            except FileNotFoundError:
                pass
            except OSError as error:
                log.warning("Failed to remove the history file %s: %s", entry.name,
                            error.strerror)

    # ------------------------------------------------------------------ INFO

    def info_fields(self) -> list[tuple[str, Any]]:
        writer = self.writer
        child = self.rewrite
        fields: list[tuple[str, Any]] = [
            ("aof_enabled", int(writer is not None)),
            ("aof_rewrite_in_progress", int(child is not None)),
            ("aof_last_rewrite_time_sec", self.last_rewrite_duration_s),
            ("aof_current_rewrite_time_sec",
             int(time.monotonic() - child.started) if child is not None else -1),
            ("aof_last_bgrewrite_status", "ok" if self.last_rewrite_ok else "err"),
            ("aof_rewrites", self.rewrites),
            ("aof_rewrites_consecutive_failures", self.rewrite_failures),
            ("aof_last_write_status", "err" if writer and writer.error else "ok"),
        ]
        if writer is not None:
            fields += [
                ("aof_current_size", writer.total_size),
                ("aof_base_size", self.base_size),
                ("aof_pending_rewrite", 0),
                ("aof_buffer_length", writer.buffered_bytes),
                ("aof_pending_bio_fsync", int(writer.worker.is_busy)),
                ("aof_delayed_fsync", writer.delayed_fsync),
            ]
        return fields


def _starts_as_rdb(path: str) -> bool:
    with open(path, "rb") as stream:
        return stream.read(5) == b"REDIS"
