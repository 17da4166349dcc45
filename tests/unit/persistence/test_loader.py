"""Startup replay: what loads, what is cut back, what refuses to start (persistence.md
2.8). The replay callable is a list; b"BLA" plays an unknown command."""

from __future__ import annotations

from pathlib import Path

import pytest

from typing import Any, NamedTuple

from persistence.aof.loader import AofLoadError, PreambleLoading, UnknownCommand, load_aof
from persistence.aof.manifest import AofFile, FileType, Manifest
from persistence.aof.records import encode_command
from persistence.rdb.reader import KeyBatch
from persistence.rdb.writer import write_rdb

SELECT = encode_command([b"SELECT", b"0"])


class Entry(NamedTuple):
    db_index: int
    key: bytes
    value: Any
    expire_at_ms: int | None
    idle_s: int | None = None
    freq: int | None = None


def cmd(*argv: bytes) -> bytes:
    return encode_command(list(argv))


def make_aof(directory: Path, base: bytes, *incrs: bytes) -> Manifest:
    """A Redis 7 directory (mirrors Redis's create_aof test helper)."""
    (directory / "appendonly.aof.1.base.aof").write_bytes(base)
    manifest = Manifest(base=AofFile("appendonly.aof.1.base.aof", 1, FileType.BASE))
    for seq, data in enumerate(incrs, 1):
        name = f"appendonly.aof.{seq}.incr.aof"
        (directory / name).write_bytes(data)
        manifest.incrs.append(AofFile(name, seq, FileType.INCR))
    return manifest


def load(directory: Path, manifest: Manifest, truncated_ok: bool = True) -> list[list[bytes]]:
    replayed: list[list[bytes]] = []

    def replay(argv: list[bytes]) -> None:
        if argv[0] == b"BLA":
            raise UnknownCommand(argv[0])
        replayed.append(argv)

    load_aof(str(directory), manifest, replay, load_truncated=truncated_ok)
    return replayed


def test_base_then_incrs_in_order_with_multi_blocks_unwrapped(tmp_path: Path) -> None:
    manifest = make_aof(tmp_path, SELECT + cmd(b"SET", b"a", b"1"),
                        SELECT + cmd(b"MULTI") + cmd(b"INCR", b"a") + cmd(b"EXEC"), b"")
    assert load(tmp_path, manifest) == [
        [b"SELECT", b"0"], [b"SET", b"a", b"1"], [b"SELECT", b"0"], [b"INCR", b"a"]]


def test_torn_tail_is_truncated_when_allowed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good = SELECT + cmd(b"INCR", b"foo") * 5
    manifest = make_aof(tmp_path, b"", good + cmd(b"INCR", b"foo")[:-3])
    assert len(load(tmp_path, manifest)) == 6
    assert (tmp_path / "appendonly.aof.1.incr.aof").read_bytes() == good
    assert f"Truncating the AOF appendonly.aof.1.incr.aof at offset {len(good)}" in caplog.text


def test_torn_tail_refuses_to_start_when_not_allowed(tmp_path: Path) -> None:
    good = SELECT + cmd(b"SET", b"a", b"1")
    manifest = make_aof(tmp_path, b"", good + b"*3\r\n$3\r\nSE")
    with pytest.raises(AofLoadError, match=(
            rf"Unexpected end of file reading the append only file appendonly.aof.1.incr.aof "
            rf"\(the last complete command ends at offset {len(good)}\)")):
        load(tmp_path, manifest, truncated_ok=False)
    assert (tmp_path / "appendonly.aof.1.incr.aof").read_bytes().startswith(good + b"*3")


def test_unclosed_multi_at_the_end_is_cut_before_multi(tmp_path: Path) -> None:
    good = SELECT + cmd(b"SET", b"a", b"1")
    manifest = make_aof(tmp_path, b"", good + cmd(b"MULTI") + cmd(b"SET", b"b", b"2"))
    assert load(tmp_path, manifest) == [[b"SELECT", b"0"], [b"SET", b"a", b"1"]]
    assert (tmp_path / "appendonly.aof.1.incr.aof").read_bytes() == good


def test_unclosed_multi_refuses_to_start_when_not_allowed(tmp_path: Path) -> None:
    manifest = make_aof(tmp_path, b"", SELECT + cmd(b"MULTI") + cmd(b"SET", b"b", b"2"))
    with pytest.raises(AofLoadError, match="Unexpected end of file"):
        load(tmp_path, manifest, truncated_ok=False)


def test_torn_file_that_is_not_the_last_refuses_to_start(tmp_path: Path) -> None:
    manifest = make_aof(tmp_path, SELECT + cmd(b"SET", b"a", b"1")[:-1], SELECT)
    with pytest.raises(AofLoadError, match="not the last file"):
        load(tmp_path, manifest)


def test_corrupt_middle_refuses_to_start_even_with_load_truncated(tmp_path: Path) -> None:
    manifest = make_aof(tmp_path, b"", SELECT + b"!!!\r\n" + cmd(b"SET", b"a", b"1"))
    with pytest.raises(AofLoadError, match=(
            "Bad file format reading the append only file appendonly.aof.1.incr.aof")):
        load(tmp_path, manifest)


def test_unknown_command_refuses_to_start(tmp_path: Path) -> None:
    manifest = make_aof(tmp_path, b"", SELECT + cmd(b"BLA", b"x"))
    with pytest.raises(AofLoadError, match=(
            "Unknown command 'BLA' reading the append only file appendonly.aof.1.incr.aof")):
        load(tmp_path, manifest)


def test_missing_file_named_in_the_manifest_refuses_to_start(tmp_path: Path) -> None:
    manifest = make_aof(tmp_path, b"", SELECT)
    (tmp_path / "appendonly.aof.1.incr.aof").unlink()
    with pytest.raises(AofLoadError, match="appendonly.aof.1.incr.aof.*No such file"):
        load(tmp_path, manifest)


def test_truncated_rdb_preamble_refuses_to_start_naming_the_offset(tmp_path: Path) -> None:
    manifest = make_aof(tmp_path, b"REDIS0010\xfa", SELECT)
    with pytest.raises(AofLoadError, match="RDB preamble.*offset 10"):
        load_aof(str(tmp_path), manifest, lambda argv: None, load_truncated=True,
                 preamble=PreambleLoading(lambda batch: None))


def test_rdb_preamble_keys_load_then_its_resp_tail_replays(tmp_path: Path) -> None:
    chunks: list[bytes] = []
    write_rdb(chunks.append, [Entry(0, b"k", b"v", None)], {0: (1, 0)}, is_aof_base=True)
    manifest = make_aof(tmp_path, b"".join(chunks) + cmd(b"SET", b"t", b"1"),
                        cmd(b"INCR", b"t"))
    keys: list[tuple[bytes, object]] = []
    replayed: list[list[bytes]] = []
    load_aof(str(tmp_path), manifest, replayed.append, load_truncated=False,
             preamble=PreambleLoading(lambda batch: keys.extend(zip(batch.keys, batch.values))))
    assert keys == [(b"k", b"v")]
    assert replayed == [[b"SET", b"t", b"1"], [b"INCR", b"t"]]


def test_rdb_preamble_of_thousands_of_keys_loads_in_batches_with_ttls(tmp_path: Path) -> None:
    entries = [Entry(db, b"key:%d" % i, b"value-%d" % i, 4102444800000 + i if i % 3 else None)
               for db in (0, 5) for i in range(1500)]
    chunks: list[bytes] = []
    write_rdb(chunks.append, entries, {0: (1500, 1000), 5: (1500, 1000)}, is_aof_base=True)
    manifest = make_aof(tmp_path, b"".join(chunks), b"")
    batches: list[KeyBatch] = []
    load_aof(str(tmp_path), manifest, lambda argv: None, load_truncated=False,
             preamble=PreambleLoading(batches.append))
    assert all(0 < len(batch.keys) <= 1024 for batch in batches)
    loaded = [(batch.db_index, key, batch.values[index], batch.expire_ats.get(index))
              for batch in batches for index, key in enumerate(batch.keys)]
    assert loaded == [tuple(entry)[:4] for entry in entries]
