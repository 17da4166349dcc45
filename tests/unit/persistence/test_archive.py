"""The snapshot archive: names that sort by time and parse back, hard link or copy,
pruning by count and by age (the newest snapshot always kept)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from persistence import archive
from persistence.archive import ArchivedSnapshot, archive_name, parse_name, snapshots_to_prune

# 2026-12-01 23:35:04.007 UTC
SAVED_MS = 1796168104007


def test_name_is_utc_with_milliseconds_and_parses_back() -> None:
    name = archive_name(SAVED_MS)
    assert name == "dump-20261201T233504.007Z.rdb"
    assert parse_name(name) == SAVED_MS


@pytest.mark.parametrize("other", ["dump.rdb", "dump-20261201T233504Z.rdb",
                                   "dump-20261399T233504.007Z.rdb", "x-20261201T233504.007Z.rdb",
                                   ".tmp-1-dump-20261201T233504.007Z.rdb"])
def test_other_files_are_not_snapshots(other: str) -> None:
    assert parse_name(other) is None


def test_names_sort_in_time_order() -> None:
    times = [SAVED_MS, SAVED_MS + 1, SAVED_MS + 999, SAVED_MS + 1000, SAVED_MS + 86_400_000]
    names = [archive_name(ms) for ms in times]
    assert sorted(names) == names


def test_archive_hard_links_the_dump(tmp_path: Path) -> None:
    dump = tmp_path / "dump.rdb"
    dump.write_bytes(b"REDIS0010...")
    target = archive.archive_snapshot(str(dump), str(tmp_path / "archive"), SAVED_MS)
    assert Path(target).name == archive_name(SAVED_MS)
    assert os.stat(target).st_ino == dump.stat().st_ino
    # The next save renames a new file over dump.rdb: the archived one is untouched.
    replacement = tmp_path / "temp.rdb"
    replacement.write_bytes(b"newer")
    os.rename(replacement, dump)
    assert Path(target).read_bytes() == b"REDIS0010..."


def test_archive_copies_when_a_link_is_impossible(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def cross_device(source: str, target: str) -> None:
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(os, "link", cross_device)
    dump = tmp_path / "dump.rdb"
    dump.write_bytes(b"payload")
    target = archive.archive_snapshot(str(dump), str(tmp_path / "archive"), SAVED_MS)
    assert Path(target).read_bytes() == b"payload"
    assert os.stat(target).st_ino != dump.stat().st_ino
    assert sorted(os.listdir(tmp_path / "archive")) == [archive_name(SAVED_MS)]


def test_two_saves_in_one_millisecond_get_distinct_names(tmp_path: Path) -> None:
    dump = tmp_path / "dump.rdb"
    dump.write_bytes(b"x")
    first = archive.archive_snapshot(str(dump), str(tmp_path / "a"), SAVED_MS)
    second = archive.archive_snapshot(str(dump), str(tmp_path / "a"), SAVED_MS)
    assert first != second and parse_name(Path(second).name) == SAVED_MS + 1


def snapshots(*ages_s: int, now_ms: int = SAVED_MS) -> list[ArchivedSnapshot]:
    """Snapshots `ages_s` seconds old, given oldest first."""
    return [ArchivedSnapshot(archive_name(now_ms - age * 1000), "", now_ms - age * 1000, 1)
            for age in ages_s]


def ages_pruned(found: list[ArchivedSnapshot], keep: int, max_age_s: int) -> list[int]:
    return [(SAVED_MS - s.saved_at_ms) // 1000
            for s in snapshots_to_prune(found, keep, max_age_s, SAVED_MS)]


def test_no_rules_keep_everything() -> None:
    assert ages_pruned(snapshots(50, 40, 30), keep=0, max_age_s=0) == []


def test_keep_count_drops_the_oldest() -> None:
    assert ages_pruned(snapshots(50, 40, 30, 20, 10), keep=2, max_age_s=0) == [50, 40, 30]


def test_max_age_drops_older_snapshots() -> None:
    assert ages_pruned(snapshots(50, 40, 30, 20, 10), keep=0, max_age_s=25) == [50, 40, 30]


def test_both_rules_drop_the_union() -> None:
    assert ages_pruned(snapshots(50, 40, 30, 20, 10), keep=4, max_age_s=45) == [50]
    assert ages_pruned(snapshots(50, 40, 30, 20, 10), keep=1, max_age_s=45) == [50, 40, 30, 20]


def test_max_age_never_removes_the_newest_snapshot() -> None:
    assert ages_pruned(snapshots(500, 400), keep=0, max_age_s=10) == [500]


def test_prune_deletes_only_archive_files(tmp_path: Path) -> None:
    for age in (30, 20, 10):
        (tmp_path / archive_name(SAVED_MS - age * 1000)).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("mine")
    removed = archive.prune(str(tmp_path), keep=1, max_age_s=0, now_ms=SAVED_MS)
    assert removed == [archive_name(SAVED_MS - 30_000), archive_name(SAVED_MS - 20_000)]
    assert sorted(os.listdir(tmp_path)) == [archive_name(SAVED_MS - 10_000), "notes.txt"]


def test_list_of_a_missing_directory_is_empty(tmp_path: Path) -> None:
    assert archive.list_archive(str(tmp_path / "nope")) == []
