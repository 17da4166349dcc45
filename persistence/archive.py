"""The snapshot archive (beyond Redis): every dump the server saves is also kept under
a timestamped name in `snapshot-archive-dir`, pruned by count and by age.

    dump-YYYYmmddTHHMMSS.mmmZ.rdb      UTC time of the save; names sort by time

A saved dump.rdb is never written again once renamed into place (the next save
renames a new file over the name), so the archive entry is a hard link to it when
both directories share a filesystem: no copy, no extra space until the next save.
Elsewhere the dump is copied through a temp file, fsync, rename, directory fsync.

Archiving is best effort by contract: the caller logs failures and the save stands.
Nothing here knows the server; the CLI (snapshots_cli.py) reads the same names.
"""

from __future__ import annotations

import calendar
import errno
import os
import re
import shutil
import time
from dataclasses import dataclass

from persistence.files import fsync_directory

NAME_PATTERN = re.compile(r"^dump-(\d{8}T\d{6})\.(\d{3})Z\.rdb$")


@dataclass(frozen=True)
class ArchivedSnapshot:
    name: str
    path: str
    saved_at_ms: int
    size: int


def archive_name(saved_at_ms: int) -> str:
    seconds, millis = divmod(saved_at_ms, 1000)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(seconds))
    return f"dump-{stamp}.{millis:03d}Z.rdb"


def parse_name(name: str) -> int | None:
    """The save time in ms encoded in an archive name; None for any other file."""
    match = NAME_PATTERN.match(name)
    if match is None:
        return None
    try:
        parsed = time.strptime(match.group(1), "%Y%m%dT%H%M%S")
    except ValueError:
        return None
    return calendar.timegm(parsed) * 1000 + int(match.group(2))


def list_archive(directory: str) -> list[ArchivedSnapshot]:
    """The archived snapshots, oldest first; other files in the directory are ignored."""
    found = []
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    for name in names:
        saved_at_ms = parse_name(name)
        if saved_at_ms is None:
            continue
        path = os.path.join(directory, name)
        try:
            size = os.stat(path).st_size
        except OSError:
            continue  # pruned under us
        found.append(ArchivedSnapshot(name, path, saved_at_ms, size))
    found.sort(key=lambda snapshot: (snapshot.saved_at_ms, snapshot.name))
    return found


def archive_snapshot(source: str, directory: str, saved_at_ms: int) -> str:
    """Put `source` into the archive as of `saved_at_ms`; returns the archive path.
    A name already taken (two saves in one millisecond) moves the later one a
    millisecond on, so names stay unique and still sort by time."""
    os.makedirs(directory, exist_ok=True)
    while os.path.exists(os.path.join(directory, archive_name(saved_at_ms))):
        saved_at_ms += 1
    target = os.path.join(directory, archive_name(saved_at_ms))
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        copy_atomically(source, target)
        return target
    fsync_directory(directory)
    return target


def copy_atomically(source: str, target: str) -> None:
    """Copy through a temp file in the target's directory, so a crash leaves either
    no file or a whole one under the final name."""
    directory = os.path.dirname(target) or "."
    temp = os.path.join(directory, f".tmp-{os.getpid()}-{os.path.basename(target)}")
    try:
        with open(source, "rb") as reader, open(temp, "wb") as writer:
            shutil.copyfileobj(reader, writer, 1024 * 1024)
            writer.flush()
            os.fsync(writer.fileno())
        os.rename(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    fsync_directory(directory)


def snapshots_to_prune(snapshots: list[ArchivedSnapshot], keep: int, max_age_s: int,
                       now_ms: int) -> list[ArchivedSnapshot]:
    """Which of `snapshots` (oldest first) the rules drop: beyond the newest `keep`
    (0 = no count limit), or older than `max_age_s` (0 = no age limit). The newest
    snapshot always stays, so an age limit shorter than the save interval cannot
    empty the archive."""
    doomed: set[str] = set()
    if keep > 0 and len(snapshots) > keep:
        doomed.update(snapshot.name for snapshot in snapshots[:-keep])
    if max_age_s > 0:
        cutoff_ms = now_ms - max_age_s * 1000
        doomed.update(s.name for s in snapshots[:-1] if s.saved_at_ms < cutoff_ms)
    return [snapshot for snapshot in snapshots if snapshot.name in doomed]


def prune(directory: str, keep: int, max_age_s: int, now_ms: int) -> list[str]:
    """Delete what the rules drop; returns the deleted names."""
    removed = []
    for snapshot in snapshots_to_prune(list_archive(directory), keep, max_age_s, now_ms):
        try:
            os.unlink(snapshot.path)
        except FileNotFoundError:
            continue
        removed.append(snapshot.name)
    if removed:
        fsync_directory(directory)
    return removed
