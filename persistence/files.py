"""The file layer under persistence: atomic replacement, directory fsync, and the one
door every AOF byte goes through (`FileOps`), so tests can make the disk fail.

`atomic_replace` is the etcd/Redis discipline: write a temp file in the same
directory, fsync it, rename it over the target, fsync the directory, so a crash leaves
either the old file or the new one, never a mix.

`FaultInjectingFileOps` is the test seam: it reads a control file before each
operation, so a black-box test can switch failures on and off in a running server
(`EMBERKV_AOF_FAULTS=<path>`). Control file contents, one directive:
    ENOSPC | EIO        every write fails with that errno
    short:<n>           a longer write stores only n bytes and the write after it
                        fails with ENOSPC (a disk filling up mid-record)
    fsync:EIO           every fsync fails with EIO
An absent or empty file means no fault.
"""

from __future__ import annotations

import errno
import os
from typing import Callable


def fsync_directory(path: str) -> None:
    """Make a rename or a new file in `path` durable."""
    fd = os.open(path or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_replace(path: str, write: Callable[[int], None]) -> None:
    """Replace `path` with what `write(fd)` writes, atomically and durably."""
    directory, name = os.path.split(path)
    temp = os.path.join(directory, "temp-" + name)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write(fd)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(temp)
        raise
    os.close(fd)
    try:
        os.rename(temp, path)
    except BaseException:
        _unlink_quietly(temp)
        raise
    fsync_directory(directory)


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is out (regular files may take partial writes)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class FileOps:
    """The system calls the AOF writer makes; subclassed by the fault seam."""

    def write(self, fd: int, data: bytes | memoryview) -> int:
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        # fdatasync, as Redis's redis_fsync on Linux: the size change is metadata that
        # fdatasync does flush, and the rest (mtime) does not matter for recovery.
        os.fdatasync(fd)

    def truncate(self, fd: int, size: int) -> None:
        os.ftruncate(fd, size)


class FaultInjectingFileOps(FileOps):
    """FileOps whose writes and fsyncs fail as a control file says (see module doc)."""

    def __init__(self, control_path: str) -> None:
        self.control_path = control_path
        self._fail_next_write = False  # after a short write, as a full disk does

    def _directive(self) -> str:
        try:
            with open(self.control_path) as control:
                return control.read().strip()
        except OSError:
            return ""

    def write(self, fd: int, data: bytes | memoryview) -> int:
        directive = self._directive()
        if directive.startswith("short:"):
            allowed = int(directive[6:])
            if self._fail_next_write or allowed <= 0:
                self._fail_next_write = False
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            if allowed < len(data):
                self._fail_next_write = True
                return os.write(fd, data[:allowed])
        elif directive in ("ENOSPC", "EIO"):
            code = getattr(errno, directive)
            raise OSError(code, os.strerror(code))
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        if self._directive() == "fsync:EIO":
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        os.fdatasync(fd)


def file_ops_from_environment() -> FileOps:
    control = os.environ.get("EMBERKV_AOF_FAULTS")
    return FaultInjectingFileOps(control) if control else FileOps()
