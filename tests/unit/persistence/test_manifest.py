"""The manifest grammar, read and written as Redis 7 does (persistence.md 2.4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from persistence.aof.manifest import AofFile, FileType, Manifest, ManifestError

FIXTURES = Path("/work/shared/fixtures/redis-7.0.15/aof")


def test_manifest_written_by_redis_with_history_entries() -> None:
    data = (FIXTURES / "after-rewrites-autogc-off" / "appendonly.aof.manifest").read_bytes()
    manifest = Manifest.parse(data)
    assert manifest.base == AofFile("appendonly.aof.4.base.aof", 4, FileType.BASE)
    assert manifest.incrs == [AofFile("appendonly.aof.4.incr.aof", 4, FileType.INCR)]
    assert [h.name for h in manifest.history] == [
        "appendonly.aof.3.incr.aof", "appendonly.aof.3.base.aof"]
    assert manifest.format() == data
    assert [f.name for f in manifest.files_to_load()] == [
        "appendonly.aof.4.base.aof", "appendonly.aof.4.incr.aof"]
    assert (manifest.next_base_seq, manifest.next_incr_seq) == (5, 5)


def test_format_orders_base_history_incrs() -> None:
    manifest = Manifest(
        base=AofFile("a.2.base.aof", 2, FileType.BASE),
        incrs=[AofFile("a.1.incr.aof", 1, FileType.INCR), AofFile("a.3.incr.aof", 3, FileType.INCR)],
        history=[AofFile("a.1.base.aof", 1, FileType.HISTORY)],
    )
    assert manifest.format() == (
        b"file a.2.base.aof seq 2 type b\n"
        b"file a.1.base.aof seq 1 type h\n"
        b"file a.1.incr.aof seq 1 type i\n"
        b"file a.3.incr.aof seq 3 type i\n")


def test_name_with_space_and_newline_is_quoted_and_reads_back() -> None:
    manifest = Manifest(base=AofFile("my file\n.1.base.aof", 1, FileType.BASE))
    data = manifest.format()
    assert data == b'file "my file\\n.1.base.aof" seq 1 type b\n'
    assert Manifest.parse(data).base == manifest.base


def test_comments_extra_pairs_and_seq_gaps_are_accepted() -> None:
    manifest = Manifest.parse(
        b"# comment\n"
        b"file a.1.base.rdb seq 1 type b future yes\n"
        b"file a.1.incr.aof seq 1 type i\n"
        b"type i seq 3 file a.3.incr.aof\n")
    assert [i.seq for i in manifest.incrs] == [1, 3]


@pytest.mark.parametrize("data, reason", [
    (b"", "Found an empty AOF manifest"),
    (b"file a.1.incr.aof seq 1 type i\n\n", "Invalid AOF manifest file format"),
    (b"file a.1.incr.aof seq 1\n", "Invalid AOF manifest file format"),
    (b"file a.1.incr.aof seq 1 type i x\n", "Invalid AOF manifest file format"),
    (b"file a.1.incr.aof seq 0 type i\n", "Invalid AOF manifest file format"),
    (b"file a.1.incr.aof sequence 1 type i\n", "Invalid AOF manifest file format"),
    (b"file a.1.incr.aof seq 1 type x\n", "Unknown AOF file type"),
    (b"file dir/a.1.incr.aof seq 1 type i\n", "File can't be a path, just a filename"),
    (b"file a.1.base.aof seq 1 type b\nfile a.2.base.aof seq 2 type b\n",
     "Found duplicate base file information"),
    (b"file a.2.incr.aof seq 2 type i\nfile a.1.incr.aof seq 1 type i\n",
     "Found a non-monotonic sequence number"),
    (b"file " + b"x" * 1100 + b" seq 1 type i\n", "The AOF manifest file contains too long line"),
])
def test_manifests_redis_refuses(data: bytes, reason: str) -> None:
    with pytest.raises(ManifestError) as raised:
        Manifest.parse(data)
    assert raised.value.reason == reason
    assert "FATAL AOF MANIFEST FILE ERROR" in raised.value.report("7.0.15")


def test_persist_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "appendonly.aof.manifest"
    path.write_bytes(b"old")
    Manifest(base=AofFile("appendonly.aof.1.base.aof", 1, FileType.BASE)).persist(str(path))
    assert path.read_bytes() == b"file appendonly.aof.1.base.aof seq 1 type b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["appendonly.aof.manifest"]
    assert Manifest.load(str(tmp_path / "missing")) is None
