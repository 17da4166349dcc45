"""Startup replay: the base and then every incr file the manifest lists, in order,
through a replay callable the composition root provides (the executor with a fake
client). History files are never loaded.

Rules (Redis 7.0's loadSingleAppendOnlyFile):
- MULTI ... EXEC blocks are queued and replayed at EXEC; a MULTI still open at the end
  of the last file counts as a torn tail, cut back to the offset before MULTI.
- End of file inside a record (a torn tail) in the last file: with aof-load-truncated
  yes the file is truncated to the end of the last complete record and loading goes on;
  with no, loading stops with an error naming the file and the offset. In any other
  file it is always an error.
- Anything else that is not a record, or a command the server does not know, stops
  loading with an error: never a silent partial load.
- A base beginning with "REDIS" is an RDB preamble (aof-use-rdb-preamble): its keys
  are loaded through `load_batch`, then any RESP commands after its checksum are
  replayed. A malformed preamble stops loading with the byte offset.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Callable, Generator, Iterator

from persistence.aof.manifest import AofFile, FileType, Manifest
from persistence.aof.records import RecordFormatError, RecordReader, TruncatedRecord
from persistence.rdb.reader import KeyBatch, Limits, RdbFormatError, RdbReader

log = logging.getLogger("emberkv.aof")

FIX_HINT = "redis-check-aof --fix <filename.manifest>"


class AofLoadError(Exception):
    """Loading cannot go on; the message is what the log says before exiting."""


class UnknownCommand(Exception):
    """Raised by the replay callable for a command name the server does not have."""


Replay = Callable[[list[bytes]], None]
LoadBatch = Callable[[KeyBatch], None]


@dataclass(frozen=True)
class PreambleLoading:
    """How to load an RDB preamble: where its keys go (a batch at a time), and this
    server's limits."""

    load_batch: LoadBatch
    limits: Limits = Limits()
    verify_checksum: bool = True


# Hand control back to the caller (the event loop answers -LOADING meanwhile) this
# often, as Redis processes events every 1024 commands while loading.
STEP_COMMANDS = 1024
PROGRESS_LOG_INTERVAL_S = 5.0


@dataclass
class LoadResult:
    """Progress while loading (INFO loading_* fields), the outcome after."""

    commands: int = 0
    base_size: int = 0
    total_size: int = 0  # bytes of the files loaded so far, complete ones
    total_bytes: int = 0  # bytes of every file to load (loading_total_bytes)
    loaded_bytes: int = 0
    started_s: float = 0.0  # unix time (loading_start_time)


def load_aof(directory: str, manifest: Manifest, replay: Replay, *,
             load_truncated: bool, preamble: PreambleLoading | None = None) -> LoadResult:
    result = LoadResult()
    for _ in load_steps(directory, manifest, replay, result, load_truncated=load_truncated,
                        preamble=preamble):
        pass
    return result


def load_steps(directory: str, manifest: Manifest, replay: Replay, result: LoadResult, *,
               load_truncated: bool,
               preamble: PreambleLoading | None = None) -> Iterator[None]:
    """Load as load_aof does, yielding every STEP_COMMANDS commands; `result` shows
    the progress meanwhile."""
    files = manifest.files_to_load()
    result.started_s = time.time()
    for entry in files:
        try:
            result.total_bytes += os.path.getsize(os.path.join(directory, entry.name))
        except OSError:
            pass  # reported by _load_file with the file's name
    started = time.monotonic()
    for index, entry in enumerate(files):
        path = os.path.join(directory, entry.name)
        is_last = index == len(files) - 1
        file_started = time.monotonic()
        size = yield from _load_file(path, entry, replay, result, is_last=is_last,
                                     load_truncated=load_truncated, preamble=preamble)
        if entry.type is FileType.BASE:
            result.base_size = size
        result.total_size += size
        result.loaded_bytes = result.total_size
        kind = "base" if entry.type is FileType.BASE else "incr"
        log.log(25, "DB loaded from %s file %s: %.3f seconds", kind, entry.name,
                time.monotonic() - file_started)
    if files:
        log.log(25, "DB loaded from append only file: %.3f seconds",
                time.monotonic() - started)


def _load_file(path: str, entry: AofFile, replay: Replay, result: LoadResult, *,
               is_last: bool, load_truncated: bool,
               preamble: PreambleLoading | None = None) -> Generator[None, None, int]:
    try:
        stream = open(path, "rb")
    except OSError as error:
        raise AofLoadError(f"Fatal error: can't open the append only file {entry.name} "
                           f"for reading: {error.strerror}") from None
    with stream:
        if os.fstat(stream.fileno()).st_size == 0:
            # Redis goes by the size too (AOF_EMPTY): a file that says it is empty is
            # not read, even if reading it would give bytes (a device such as /dev/full).
            return 0
        tail_offset = 0
        if stream.read(5) == b"REDIS":
            stream.seek(0)
            tail_offset = yield from _load_preamble(stream.read(), entry, result, preamble)
        stream.seek(tail_offset)
        reader = RecordReader(stream, tail_offset)
        queued: list[list[bytes]] | None = None
        multi_start = 0
        next_step = result.commands + STEP_COMMANDS
        next_log = time.monotonic() + PROGRESS_LOG_INTERVAL_S
        try:
            for argv, end in reader:
                if result.commands >= next_step:
                    next_step = result.commands + STEP_COMMANDS
                    result.loaded_bytes = result.total_size + end
                    if time.monotonic() >= next_log:
                        next_log = time.monotonic() + PROGRESS_LOG_INTERVAL_S
                        log.log(25, "Loading the AOF: %d commands, %d of %d bytes",
                                result.commands, result.loaded_bytes, result.total_bytes)
                    yield
                name = argv[0].lower()
                if name == b"multi":
                    if queued is None:
                        multi_start = end - _record_size(argv)
                        queued = []
                    continue
                if name == b"exec":
                    for command in queued or ():
                        _replay(replay, command, entry)
                    result.commands += len(queued or ())
                    queued = None
                    continue
                if queued is not None:
                    queued.append(argv)
                    continue
                _replay(replay, argv, entry)
                result.commands += 1
        except TruncatedRecord as torn:
            valid_up_to = multi_start if queued is not None else torn.valid_up_to
            return _torn_tail(path, entry, valid_up_to, is_last=is_last,
                              load_truncated=load_truncated)
        except RecordFormatError as error:
            raise AofLoadError(
                f"Bad file format reading the append only file {entry.name} "
                f"(offset {error.offset}: {error.detail}): make a backup of your AOF file, "
                f"then use {FIX_HINT}") from None
        if queued is not None:
            log.warning("Revert incomplete MULTI/EXEC transaction in AOF file %s", entry.name)
            return _torn_tail(path, entry, multi_start, is_last=is_last,
                              load_truncated=load_truncated)
        return reader.offset


def _load_preamble(data: bytes, entry: AofFile, result: LoadResult,
                   preamble: PreambleLoading | None) -> Generator[None, None, int]:
    """The keys of an RDB preamble; returns the offset where its RESP tail starts."""
    if preamble is None:
        raise AofLoadError(f"The AOF file {entry.name} starts with an RDB preamble, and "
                           "no RDB loader was given")
    reader = RdbReader(data, preamble.limits, verify_checksum=preamble.verify_checksum,
                       is_aof_base=True)
    load_batch = preamble.load_batch
    try:
        for batch in reader.batches(STEP_COMMANDS):
            load_batch(batch)
            result.loaded_bytes = result.total_size + reader.pos
            yield
    except RdbFormatError as error:
        raise AofLoadError(f"Bad file format reading the append only file {entry.name}: "
                           f"RDB preamble: {error}") from None
    log.log(25, "Reading RDB base file on AOF loading...")
    return reader.state.end_offset


def _replay(replay: Replay, argv: list[bytes], entry: AofFile) -> None:
    try:
        replay(argv)
    except UnknownCommand:
        shown = argv[0].decode("utf-8", "backslashreplace")
        raise AofLoadError(f"Unknown command '{shown}' reading the append only file "
                           f"{entry.name}") from None


def _record_size(argv: list[bytes]) -> int:
    size = len(b"*%d\r\n" % len(argv))
    for arg in argv:
        size += len(b"$%d\r\n" % len(arg)) + len(arg) + 2
    return size


def _torn_tail(path: str, entry: AofFile, valid_up_to: int, *, is_last: bool,
               load_truncated: bool) -> int:
    if not is_last:
        raise AofLoadError(
            f"Unexpected end of file reading the append only file {entry.name} at offset "
            f"{valid_up_to}, and the truncated file is not the last file: the AOF cannot be "
            "loaded")
    if not load_truncated:
        raise AofLoadError(
            f"Unexpected end of file reading the append only file {entry.name} (the last "
            f"complete command ends at offset {valid_up_to}). You can: 1) Make a backup of "
            f"your AOF file, then use {FIX_HINT}. 2) Alternatively you can set the "
            "'aof-load-truncated' configuration option to yes and restart the server.")
    log.warning("!!! Warning: short read while loading the AOF file %s!!!", entry.name)
    log.warning("!!! Truncating the AOF %s at offset %d !!!", entry.name, valid_up_to)
    try:
        with open(path, "r+b") as stream:
            stream.truncate(valid_up_to)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as error:
        raise AofLoadError(f"Error truncating the AOF file {entry.name}: "
                           f"{error.strerror}") from None
    log.warning("AOF %s loaded anyway because aof-load-truncated is enabled", entry.name)
    return valid_up_to
