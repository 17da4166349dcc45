"""The snapshot archive end to end: a server with snapshot-archive-dir keeps every
save, emberkv-snapshots lists and verifies them, finds a corrupted one with its byte
offset, refuses to restore under a running server, and a restored older snapshot is
what the restarted server holds."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from persistence.archive import list_archive
from tests.persistence.test_rdb_snapshots import wait_for
from tests.servers import ROOT, ServerProcess


def snapshots_tool(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "persistence.snapshots_cli", *argv],
                          cwd=ROOT, capture_output=True, text=True, check=False)


def test_saves_are_archived_verified_and_an_older_one_restored(tmp_path: Path) -> None:
    archive_dir = str(tmp_path / "archive")
    server = ServerProcess("emberkv", ["--save", "", "--snapshot-archive-dir", archive_dir])
    with server:
        client = server.client()
        for round_number in range(3):
            client.set(f"key{round_number}", round_number)
            assert client.save()
            time.sleep(0.01)  # distinct millisecond names even on a fast disk
        client.set("key3", 3)
        assert client.bgsave()
        wait_for(lambda: len(list_archive(archive_dir)) == 4)
        names = [snapshot.name for snapshot in list_archive(archive_dir)]

        listed = snapshots_tool("list", "--archive-dir", archive_dir)
        assert listed.returncode == 0, listed.stderr
        rows = [line.split() for line in listed.stdout.splitlines()[1:]]
        assert [(row[0], row[-1]) for row in rows] == list(zip(names, ["1", "2", "3", "4"]))
        for name in names:
            verified = snapshots_tool("verify", "--archive-dir", archive_dir, name)
            assert verified.returncode == 0 and "checksum OK" in verified.stdout

        # Corrupt the newest: a byte inside the last value, which only the checksum sees.
        newest = Path(archive_dir) / names[-1]
        data = bytearray(newest.read_bytes())
        os.unlink(newest)  # a hard link to dump.rdb: rewrite a separate file
        data[-12] ^= 0xFF
        newest.write_bytes(bytes(data))
        broken = snapshots_tool("verify", "--archive-dir", archive_dir, names[-1])
        assert broken.returncode == 1
        assert f"byte offset {len(data) - 8}" in broken.stdout

        refused = snapshots_tool("restore", "--archive-dir", archive_dir, names[1],
                                 "--dir", server.dir, "--port", str(server.port))
        assert refused.returncode == 3 and "Refusing" in refused.stderr
        refused = snapshots_tool("restore", "--archive-dir", archive_dir, names[1],
                                 "--dir", server.dir)  # found through /proc
        assert refused.returncode == 3

        client.shutdown(nosave=True)
        wait_for(lambda: server.process is not None and server.process.poll() is not None)

        restored = snapshots_tool("restore", "--archive-dir", archive_dir, names[1],
                                  "--dir", server.dir, "--port", str(server.port))
        assert restored.returncode == 0, restored.stderr
        assert "moved" in restored.stdout.lower()
        assert list(Path(server.dir).glob("dump.rdb.before-restore-*"))

        server.start()
        client = server.client()
        assert sorted(client.keys()) == [b"key0", b"key1"]
        assert client.get("key1") == b"1"


def test_retention_keeps_the_newest_count(tmp_path: Path) -> None:
    archive_dir = str(tmp_path / "archive")
    with ServerProcess("emberkv", ["--save", "", "--snapshot-archive-dir", archive_dir,
                                   "--snapshot-archive-keep", "2"]) as server:
        client = server.client()
        for round_number in range(4):
            client.set("k", round_number)
            assert client.save()
            time.sleep(0.01)
        kept = list_archive(archive_dir)
        assert len(kept) == 2
        # The newest kept is the current dump.rdb itself (a hard link).
        assert os.stat(kept[-1].path).st_ino == os.stat(Path(server.dir) / "dump.rdb").st_ino
        assert client.config_get("snapshot-archive-keep") == {"snapshot-archive-keep": "2"}


def test_archive_failure_is_logged_and_the_save_stands(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file-not-a-directory"
    blocker.write_text("")
    with ServerProcess("emberkv", ["--save", "", "--snapshot-archive-dir",
                                   str(blocker / "archive")]) as server:
        client = server.client()
        client.set("k", "v")
        assert client.save()
        assert (Path(server.dir) / "dump.rdb").exists()
        assert "Failed archiving the DB snapshot" in server.log_text()


def test_archive_dir_is_a_protected_config() -> None:
    with ServerProcess("emberkv") as server:
        client = server.client()
        assert client.config_get("snapshot-archive-dir") == {"snapshot-archive-dir": ""}
        with pytest.raises(Exception, match="protected"):
            client.config_set("snapshot-archive-dir", "/tmp/somewhere")
