"""The file layer under persistence: atomic replacement, directory fsync, and the one
door every AOF byte goes through (`FileOps`), so tests can make the disk fail.

`atomic_replace` is the etcd/Redis discipline: write a temp file in the same
directory, fsync it, rename it over the target, fsync the directory, so a crash leaves
either the old file or the new one, never a mix.

The test seam: with `EMBERKV_AOF_FAULTS=<path>` set, a control file is read before
each operation, so a black-box test can switch failures on and off in a running
server (forked children included). Control file contents, one directive a line:
    ENOSPC | EIO        every AOF write fails with that errno (FaultInjectingFileOps)
    short:<n>           a longer AOF write stores only n bytes and the write after it
                        fails with ENOSPC (a disk filling up mid-record)
    fsync:EIO           every AOF fsync fails with EIO
    <point>:<ERRNO>     `check_fault(point)` raises OSError(ERRNO), for the points
                        rdb-write, rdb-fsync, rdb-rename (SAVE, BGSAVE's child),
                        base-write, base-fsync (the rewrite child's new base),
                        incr-create (BGREWRITEAOF's new incr file), manifest-write,
                        manifest-rename (a manifest update), aof-dir (creating it),
                        incr-open (opening the last incr file at startup)
An absent or empty file means no fault. Without the variable every check is one
environment lookup.
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


FAULTS_ENVIRONMENT = "EMBERKV_AOF_FAULTS"


def _fault_directives(control: str | None) -> list[str]:
    if not control:
        return []
    try:
        with open(control) as stream:
            return stream.read().split()
    except OSError:
        return []


def check_fault(point: str) -> None:
    """Raise the OSError the control file asks for at `point` (see module doc)."""
    for directive in _fault_directives(os.environ.get(FAULTS_ENVIRONMENT)):
        name, _, code = directive.partition(":")
        if name == point and hasattr(errno, code):
            number = getattr(errno, code)
            raise OSError(number, os.strerror(number))


def atomic_replace(path: str, write: Callable[[int], None], fault_point: str = "") -> None:
    """Replace `path` with what `write(fd)` writes, atomically and durably. A failure
    leaves `path` as it was and no temp file; `fault_point` names the seam's
    <point>-write and <point>-rename checks."""
    directory, name = os.path.split(path)
    temp = os.path.join(directory, "temp-" + name)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        if fault_point:
            check_fault(fault_point + "-write")
        write(fd)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(temp)
        raise
    os.close(fd)
    try:
        if fault_point:
            check_fault(fault_point + "-rename")
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
        """The AOF write/fsync directive, if any (the first of the control file's
        lines without a point name, or fsync:<ERRNO>)."""
        for directive in _fault_directives(self.control_path):
            if ":" not in directive or directive.startswith(("short:", "fsync:")):
                return directive
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
    control = os.environ.get(FAULTS_ENVIRONMENT)
    return FaultInjectingFileOps(control) if control else FileOps()
