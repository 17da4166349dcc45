"""emberkv-snapshots on temp directories: list (time, size, key count), verify (exit
1 with the byte offset on corruption), restore (refused while a server uses the
directory, current files moved aside, never deleted)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from persistence import snapshots_cli
from persistence.archive import archive_name
from persistence.rdb.reader import read_rdb
from persistence.rdb.writer import write_rdb

SAVED_MS = 1796168104007
ROOT = Path(__file__).resolve().parents[3]


class Entry(NamedTuple):
    db_index: int
    key: bytes
    value: Any
    expire_at_ms: int | None
    idle_s: int | None = None
    freq: int | None = None


def rdb_with(keys: list[bytes]) -> bytes:
    chunks: list[bytes] = []
    write_rdb(chunks.append, [Entry(0, key, b"v-" + key, None) for key in keys],
              {0: (len(keys), 0)})
    return b"".join(chunks)


@pytest.fixture
def archive_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "archive"
    directory.mkdir()
    (directory / archive_name(SAVED_MS)).write_bytes(rdb_with([b"a"]))
    (directory / archive_name(SAVED_MS + 60_000)).write_bytes(rdb_with([b"a", b"b", b"c"]))
    return directory


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = snapshots_cli.main(list(argv), out=out)
    return status, out.getvalue()


def test_list_shows_time_size_and_key_count(archive_dir: Path) -> None:
    status, text = run("list", "--archive-dir", str(archive_dir))
    assert status == 0
    lines = text.splitlines()
    assert lines[0].split() == ["NAME", "SAVED", "(UTC)", "SIZE", "KEYS"]
    first, second = (line.split() for line in lines[1:])
    size = (archive_dir / archive_name(SAVED_MS)).stat().st_size
    assert first == [archive_name(SAVED_MS), "2026-12-01", "23:35:04.007Z", str(size), "1"]
    assert second[0] == archive_name(SAVED_MS + 60_000) and second[-1] == "3"


def test_list_marks_a_corrupt_snapshot(archive_dir: Path) -> None:
    (archive_dir / archive_name(SAVED_MS)).write_bytes(b"REDIS0010\xff")
    status, text = run("list", "--archive-dir", str(archive_dir))
    assert status == 0 and text.splitlines()[1].split()[-1] == "corrupt"


def test_archive_dir_from_the_environment(archive_dir: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(snapshots_cli.ARCHIVE_ENV, str(archive_dir))
    status, text = run("list")
    assert status == 0 and archive_name(SAVED_MS) in text


def test_missing_archive_dir_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(snapshots_cli.ARCHIVE_ENV, raising=False)
    assert run("list")[0] == snapshots_cli.EXIT_USAGE


def test_verify_passes_a_good_snapshot(archive_dir: Path) -> None:
    status, text = run("verify", "--archive-dir", str(archive_dir), archive_name(SAVED_MS))
    assert status == 0
    assert "OK" in text and "1 keys" in text and "checksum OK" in text


def test_verify_fails_with_the_offset_of_a_flipped_byte(archive_dir: Path) -> None:
    path = archive_dir / archive_name(SAVED_MS + 60_000)
    data = bytearray(path.read_bytes())
    data[-12] ^= 0xFF  # inside the last value: only the checksum can notice
    path.write_bytes(bytes(data))
    status, text = run("verify", "--archive-dir", str(archive_dir), path.name)
    assert status == 1
    assert f"CORRUPT at byte offset {len(data) - 8}" in text and "checksum" in text


def test_verify_fails_on_a_truncated_snapshot(archive_dir: Path) -> None:
    path = archive_dir / archive_name(SAVED_MS)
    path.write_bytes(path.read_bytes()[:20])
    status, text = run("verify", "--archive-dir", str(archive_dir), path.name)
    assert status == 1 and "CORRUPT at byte offset" in text


def test_verify_of_an_unknown_name_fails(archive_dir: Path) -> None:
    assert run("verify", "--archive-dir", str(archive_dir), "dump.rdb")[0] == 1


def test_restore_moves_current_files_aside_and_copies_the_snapshot(
        archive_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "appendonlydir").mkdir(parents=True)
    (data_dir / "appendonlydir" / "appendonly.aof.1.incr.aof").write_bytes(b"aof")
    (data_dir / "dump.rdb").write_bytes(b"current")
    status, text = run("restore", "--archive-dir", str(archive_dir), archive_name(SAVED_MS),
                       "--dir", str(data_dir))
    assert status == 0, text
    keys, _ = read_rdb((data_dir / "dump.rdb").read_bytes())
    assert [k.key for k in keys] == [b"a"]
    aside = sorted(p.name for p in data_dir.iterdir() if ".before-restore-" in p.name)
    assert [name.split(".before-restore-")[0] for name in aside] == ["appendonlydir",
                                                                      "dump.rdb"]
    assert (data_dir / aside[1]).read_bytes() == b"current"
    assert "appendonly" in text and "CONFIG SET appendonly yes" in text
    # The archive keeps its copy.
    assert (archive_dir / archive_name(SAVED_MS)).exists()


def test_restore_twice_keeps_both_backups(archive_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "dump.rdb").write_bytes(b"current")
    for _ in range(2):
        assert run("restore", "--archive-dir", str(archive_dir), archive_name(SAVED_MS),
                   "--dir", str(data_dir))[0] == 0
    assert len([p for p in data_dir.iterdir() if ".before-restore-" in p.name]) == 2


def test_restore_refuses_a_corrupt_snapshot_and_changes_nothing(
        archive_dir: Path, tmp_path: Path) -> None:
    (archive_dir / archive_name(SAVED_MS)).write_bytes(b"REDIS0010\xff")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "dump.rdb").write_bytes(b"current")
    assert run("restore", "--archive-dir", str(archive_dir), archive_name(SAVED_MS),
               "--dir", str(data_dir))[0] == 1
    assert sorted(os.listdir(data_dir)) == ["dump.rdb"]


def test_restore_refuses_while_the_pidfile_names_a_live_process(
        archive_dir: Path, tmp_path: Path) -> None:
    pidfile = tmp_path / "server.pid"
    pidfile.write_text(f"{os.getpid()}\n")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    status, _ = run("restore", "--archive-dir", str(archive_dir), archive_name(SAVED_MS),
                    "--dir", str(data_dir), "--pidfile", str(pidfile))
    assert status == snapshots_cli.EXIT_REFUSED


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_restore_refuses_while_a_server_process_runs_in_the_directory(
        archive_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # Stands in for `python -m server`: a process named like it, whose cwd is the dir.
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)",
                                "emberkv"], cwd=data_dir)
    try:
        status, _ = run("restore", "--archive-dir", str(archive_dir), archive_name(SAVED_MS),
                        "--dir", str(data_dir))
    finally:
        sleeper.kill()
        sleeper.wait()
    assert status == snapshots_cli.EXIT_REFUSED
    assert not (data_dir / "dump.rdb").exists()


def test_module_entry_point_runs(archive_dir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "persistence.snapshots_cli", "list",
                           "--archive-dir", str(archive_dir)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and archive_name(SAVED_MS) in done.stdout
