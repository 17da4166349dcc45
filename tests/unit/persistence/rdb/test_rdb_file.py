"""The RDB writer and reader: string and value encodings byte by byte (persistence.md
1.4-1.9), round trips of every type and encoding, the Redis 7.0.15 fixtures, and
corrupt or truncated files refused with a byte offset (never a partial load)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from persistence.rdb import listpack, lzf
from persistence.rdb.crc64 import crc64
from persistence.rdb.reader import (
    Limits, PayloadCheckError, RdbFormatError, RdbReader, ShortRead, load_payload, read_rdb,
)
from persistence.rdb.writer import (
    RdbWriter, dump_payload, encode_len, encode_string, encode_value, write_rdb,
)
from server.hash_type import Hash
from server.quicklist import QuickList
from server.set_type import Set
from server.sorted_set import SortedSet

FIXTURES = Path(__file__).resolve().parents[5] / "shared" / "fixtures" / "redis-7.0.15" / "rdb"
if not FIXTURES.is_dir():
    FIXTURES = Path("/work/shared/fixtures/redis-7.0.15/rdb")


class Entry(NamedTuple):
    db_index: int
    key: bytes
    value: Any
    expire_at_ms: int | None
    idle_s: int | None = None
    freq: int | None = None


def rdb_bytes(entries: list[Entry], **options: Any) -> bytes:
    chunks: list[bytes] = []
    sizes: dict[int, tuple[int, int]] = {}
    for entry in entries:
        keys, expires = sizes.get(entry.db_index, (0, 0))
        sizes[entry.db_index] = (keys + 1, expires + (entry.expire_at_ms is not None))
    write_rdb(chunks.append, entries, sizes, **options)
    return b"".join(chunks)


# ------------------------------------------------------------------ primitives


@pytest.mark.parametrize("length, encoded", [
    (0, "00"), (63, "3f"), (64, "4040"), (100, "4064"), (16383, "7fff"),
    (16384, "8000004000"), (2**32 - 1, "80ffffffff"), (2**32, "810000000100000000"),
])
def test_length_encoding_picks_the_shortest_form(length: int, encoded: str) -> None:
    assert encode_len(length).hex() == encoded


@pytest.mark.parametrize("text, encoded", [
    (b"123", "c07b"), (b"-30000", "c1d08a"), (b"1000000", "c240420f00"),
    (b"-2147483648", "c200000080"), (b"0", "c000"), (b"64", "c040"),
    (b"0123", "0430313233"), (b"+5", "022b35"), (b"1.5", "03312e35"), (b"-0", "022d30"),
    (b"1234567890123", "0d31323334353637383930313233"), (b"", "00"),
    (b"2147483648", "0a32313437343833363438"),
])
def test_string_encoding_integers_and_plain(text: bytes, encoded: str) -> None:
    assert encode_string(text, compress=True).hex() == encoded


def test_long_compressible_string_is_lzf_only_with_rdbcompression() -> None:
    text = b"abc" * 50
    packed = encode_string(text, compress=True)
    assert packed[0] == 0xC3
    assert encode_string(text, compress=False) == encode_len(150) + text
    reader = RdbReader(packed)
    assert reader.read_string() == text and reader.pos == len(packed)


def test_twenty_byte_strings_are_never_compressed() -> None:
    assert encode_string(b"a" * 20, compress=True) == b"\x14" + b"a" * 20


def test_dump_payload_matches_redis() -> None:
    # DUMP of "hi" on redis-server 7.0.15 (persistence.md 1.17).
    assert dump_payload(b"hi").hex(" ") == "00 02 68 69 0a 00 af 6b 9f e8 8e 31 1b 14"
    assert load_payload(dump_payload(b"hi")) == b"hi"


def framed(body: bytes, version: int = 10, crc: int | None = None) -> bytes:
    head = body + struct.pack("<H", version)
    return head + struct.pack("<Q", crc64(0, head) if crc is None else crc)


@pytest.mark.parametrize("payload", [
    b"", b"short", framed(b"\x00\x02hi", version=11), framed(b"\x00\x02hi", crc=0),
    framed(b"\x00\x02hi", crc=1),
], ids=["empty", "shorter-than-footer", "version-11", "zero-crc", "wrong-crc"])
def test_load_payload_checks_version_and_crc_as_redis_70(payload: bytes) -> None:
    # Redis 7.0's verifyDumpPayload: version <= 10 and an exact CRC64, zero included.
    with pytest.raises(PayloadCheckError):
        load_payload(payload)


@pytest.mark.parametrize("body", [
    b"", b"\x08", b"\x14\x02hi", b"\x0f", b"\x02\x00", b"\x04\x00", b"\x02\x02\x01a\x01a",
], ids=["no-type", "type-8", "type-20", "stream", "empty-set", "empty-hash", "duplicates"])
def test_load_payload_refuses_bad_data(body: bytes) -> None:
    with pytest.raises(RdbFormatError) as caught:
        load_payload(framed(body))
    assert not isinstance(caught.value, PayloadCheckError)


def test_load_payload_reads_the_whole_buffer_as_redis_rio_does() -> None:
    # Bytes after the value are ignored; a value running into the footer reads it.
    assert load_payload(framed(b"\x00\x02hiXYZ")) == b"hi"
    assert load_payload(framed(b"\x00\x02h")) == b"h\n"
    assert load_payload(framed(b"\x00\x02hi", version=9)) == b"hi"


# ------------------------------------------------------------------ values


def zset(items: list[tuple[bytes, float]], is_listpack: bool) -> SortedSet:
    return SortedSet.from_items(items, is_listpack)


def test_zset_listpack_scores_as_redis_7_0_writes_them() -> None:
    kind, payload = encode_value(zset([(b"a", 0.1), (b"b", -0.0), (b"c", 1e20),
                                       (b"d", float("inf")), (b"e", 3.0)], True), False)
    assert kind == 17
    blob = RdbReader(payload).read_string()
    assert listpack.decode(blob) == [b"b", b"0", b"a", b"0.10000000000000001", b"e", b"3",
                                     b"c", b"1e+20", b"d", b"inf"]


def test_skiplist_zset_is_written_highest_score_first_with_binary_doubles() -> None:
    kind, payload = encode_value(zset([(b"a", 1.0), (b"b", 2.5)], False), False)
    assert kind == 5
    assert payload == (b"\x02" + b"\x01b" + struct.pack("<d", 2.5)
                       + b"\x01a" + struct.pack("<d", 1.0))


def test_list_is_a_quicklist_of_listpack_nodes() -> None:
    kind, payload = encode_value(QuickList(-2, [b"a"]), False)
    assert (kind, payload.hex(" ")) == (18, "01 02 0a 0a 00 00 00 01 00 81 61 02 ff")


def test_sets_are_intset_or_hashtable_by_their_encoding() -> None:
    kind, payload = encode_value(Set([b"1", b"300"]), False)
    assert (kind, payload.hex()) == (11, "0c020000000200000001002c01")
    kind, payload = encode_value(Set([b"x"]), False)
    assert (kind, payload) == (2, b"\x01\x01x")


def test_hashes_are_listpack_or_hashtable_by_their_encoding() -> None:
    small = Hash()
    small.update({b"f": b"v", b"n": b"200"})
    kind, payload = encode_value(small, False)
    assert kind == 16
    assert listpack.decode(RdbReader(payload).read_string()) == [b"f", b"v", b"n", b"200"]
    small.is_listpack = False
    kind, payload = encode_value(small, False)
    assert (kind, payload) == (4, b"\x02\x01f\x01v\x01n\xc1\xc8\x00")


def every_kind() -> list[Entry]:
    big_hash = Hash()
    big_hash.update({b"f%d" % i: b"v" * i for i in range(600)})
    big_hash.is_listpack = False
    small_hash = Hash()
    small_hash.update({b"a": b"1", b"b": b"two"})
    long_list = QuickList(-2, [b"e%d" % i * 20 for i in range(3000)])
    entries = [
        Entry(0, b"str", b"hello", None), Entry(0, b"int", b"-123456", 4102444800000),
        Entry(0, b"lzf", b"z" * 500, None), Entry(0, b"raw", bytearray(b"appended"), None),
        Entry(0, b"list", QuickList(-2, [b"a", b"1", b"-5000", b"x" * 100]), None),
        Entry(0, b"longlist", long_list, None),
        Entry(0, b"intset", Set([b"-7", b"3", b"100000"]), None),
        Entry(0, b"set", Set([b"a", b"b", b"3"]), None),
        Entry(0, b"hash", small_hash, None), Entry(0, b"bighash", big_hash, 4102444800001),
        Entry(0, b"zlp", zset([(b"m", 1.5), (b"n", -2.0)], True), None),
        Entry(0, b"zsk", zset([(b"m%d" % i, i / 3) for i in range(200)], False), None),
        Entry(15, b"last-db", b"v", None),
    ]
    return entries


@pytest.mark.parametrize("compress", [True, False])
def test_round_trip_of_every_type_and_encoding(compress: bool) -> None:
    entries = every_kind()
    data = rdb_bytes(entries, compress=compress)
    assert data[:9] == b"REDIS0010"
    assert struct.unpack("<Q", data[-8:])[0] == crc64(0, data[:-8])
    keys, state = read_rdb(data)
    assert state.keys_loaded == len(entries) and state.end_offset == len(data)
    assert state.aux[b"redis-ver"] == b"7.0.15" and state.aux[b"aof-base"] == b"0"
    for written, loaded in zip(entries, keys):
        assert (loaded.db_index, loaded.key, loaded.expire_at_ms) == (
            written.db_index, written.key, written.expire_at_ms)
        value = loaded.value
        if isinstance(written.value, SortedSet):
            assert list(value.items()) == list(written.value.items())
        elif isinstance(written.value, bytearray):
            assert value == bytes(written.value)
        else:
            assert value == written.value
        if hasattr(written.value, "encoding"):
            assert value.encoding() == written.value.encoding()


def test_checksum_off_writes_zeros_and_loads() -> None:
    data = rdb_bytes([Entry(0, b"k", b"v", None)], checksum=False)
    assert data[-8:] == bytes(8)
    keys, state = read_rdb(data)
    assert [k.key for k in keys] == [b"k"] and state.checksum_skipped


def test_loading_reapplies_this_servers_limits() -> None:
    data = rdb_bytes([Entry(0, b"h", every_kind()[8].value, None),
                      Entry(0, b"s", Set([b"1", b"2", b"3"]), None)])
    keys, _ = read_rdb(data, Limits(hash_max_entries=1, set_max_intset_entries=2))
    assert [k.value.encoding() for k in keys] == ["hashtable", "hashtable"]


def test_expired_keys_are_dropped_unless_the_file_is_an_aof_base() -> None:
    data = rdb_bytes([Entry(0, b"old", b"v", 1000), Entry(0, b"new", b"v", None)])
    keys, state = read_rdb(data, now_ms=2000)
    assert [k.key for k in keys] == [b"new"] and state.keys_expired == 1
    keys, _ = read_rdb(data, now_ms=2000, is_aof_base=True)
    assert [k.key for k in keys] == [b"old", b"new"]


# Strings around every boundary of the record fast paths: empty, integer candidates
# (11 bytes and fewer, with and without a valid integer), 20/21 (LZF), 63/64 (length form).
EDGE_STRINGS = [
    b"", b"a", b"0", b"-", b"-0", b"-1", b"+1", b"01", b"1a", b" 1", b"12345678901",
    b"-1234567890", b"99999999999", b"abcdefghijk", b"abcdefghijkl", b"123456789012",
    b"x" * 20, b"x" * 21, b"key:%017d" % 7, b"y" * 63, b"y" * 64, b"z" * 300,
    bytes(range(40)),
]


@pytest.mark.parametrize("compress", [True, False])
def test_string_records_are_the_bytes_of_the_general_encoding(compress: bool) -> None:
    for key in EDGE_STRINGS:
        for value in EDGE_STRINGS:
            chunks: list[bytes] = []
            writer = RdbWriter(chunks.append, compress=compress, checksum=False)
            writer.entry(key, value, None)
            writer.entry(key, value, 1234)
            writer.flush()
            record = (b"\x00" + encode_string(key, compress) + encode_string(value, compress))
            expected = record + struct.pack("<Bq", 0xFC, 1234) + record
            assert b"".join(chunks) == expected, (key, value)


def test_files_of_edge_strings_round_trip() -> None:
    entries = [Entry(index % 3, b"k%d" % index + key, value, None if index % 4 else 10**13)
               for index, (key, value) in enumerate(
                   (key, value) for key in EDGE_STRINGS for value in EDGE_STRINGS)]
    entries.sort(key=lambda entry: entry.db_index)
    keys, state = read_rdb(rdb_bytes(entries))
    assert [(k.db_index, k.key, k.value, k.expire_at_ms) for k in keys] == [
        tuple(entry)[:4] for entry in entries]
    assert state.keys_loaded == len(entries)


def test_batches_split_by_size_and_database_with_offsets_and_ttls() -> None:
    entries = ([Entry(0, b"a%d" % i, b"v%d" % i, None) for i in range(5)]
               + [Entry(0, b"ttl", b"v", 4102444800000), Entry(0, b"int", b"12", None)]
               + [Entry(2, b"b%d" % i, b"w" * 70, None) for i in range(3)])
    data = rdb_bytes(entries)
    reader = RdbReader(data)
    batches = []
    for batch in reader.batches(size=4):
        batches.append(batch)
        assert reader.pos == batch.offsets[-1] + len(b"".join(
            [b"\x00", encode_string(batch.keys[-1], True),
             encode_string(batch.values[-1], True)]))
    assert [(b.db_index, len(b.keys)) for b in batches] == [(0, 4), (0, 3), (2, 3)]
    assert batches[1].keys == [b"a4", b"ttl", b"int"]
    assert batches[1].expire_ats == {1: 4102444800000}
    for batch in batches:
        for key, offset in zip(batch.keys, batch.offsets):
            assert data[offset] in (0x00, 0xFC)
            record = data[offset + 9:] if data[offset] == 0xFC else data[offset:]
            assert record[1:].startswith(encode_string(key, True))
    assert reader.state.keys_loaded == len(entries) and reader.state.end_offset == len(data)
    loaded = [(k.db_index, k.key, k.value, k.expire_at_ms) for k in RdbReader(data).entries()]
    assert loaded == [tuple(entry)[:4] for entry in entries]


def test_duplicates_are_left_to_the_loader_when_asked() -> None:
    data = with_crc(b"REDIS0010\x00\x01k\x01v\x00\x01k\x01w\xff")
    keys = [key for batch in RdbReader(data, check_duplicates=False).batches()
            for key in batch.keys]
    assert keys == [b"k", b"k"]


def test_duplicate_key_after_many_plain_records_names_its_offset() -> None:
    entries = [Entry(0, b"key:%012d" % i, b"value-%010d" % i, None) for i in range(3000)]
    entries.append(Entry(0, b"key:%012d" % 2999, b"again", None))
    data = rdb_bytes(entries)
    with pytest.raises(RdbFormatError, match="Duplicated key 'key:000000002999'") as raised:
        read_rdb(data)
    assert raised.value.offset == data.rindex(b"\x00\x10key:000000002999")


# ------------------------------------------------------------------ corrupt files


def test_truncation_at_every_offset_is_refused_naming_the_offset() -> None:
    kinds = every_kind()
    data = rdb_bytes(kinds[:5] + kinds[6:9])  # the long list would make this quadratic slow
    for cut in range(len(data)):
        with pytest.raises(RdbFormatError) as raised:
            read_rdb(data[:cut])
        assert "offset" in str(raised.value) and raised.value.offset <= cut


def test_flipped_byte_is_caught_by_the_checksum() -> None:
    data = bytearray(rdb_bytes([Entry(0, b"key", b"value", None)]))
    data[data.index(b"value")] ^= 0x01
    with pytest.raises(RdbFormatError, match="Wrong RDB checksum") as raised:
        read_rdb(bytes(data))
    assert raised.value.offset == len(data) - 8


def with_crc(body: bytes) -> bytes:
    return body + struct.pack("<Q", crc64(0, body))


@pytest.mark.parametrize("body, message, offset", [
    (b"RODIS0010\xff", "Wrong signature", 0),
    (b"REDIS0012\xff", "Can't handle RDB format version 0012", 5),
    (b"REDIS0010\x08\x01k\x01v\xff", "Unknown RDB encoding type 8", 9),
    (b"REDIS0010\x00\x01k\xc5\xff", "Unknown RDB string encoding type 5", 12),
    (b"REDIS0010\x00\x01k\x85\xff", "Unknown length encoding 0x85", 12),
    (b"REDIS0010\xfe\x10\xff", "more than 16 databases", 9),
    (b"REDIS0010\x02\x01s\x02\x01a\x01a\xff", "Duplicate set members", 12),
    (b"REDIS0010\x00\x01k\x01v\x00\x01k\x01w\xff", "Duplicated key 'k'", 14),
    (b"REDIS0010\xf5\x01x\xff", "function library", 9),
    (b"REDIS0010\x13\x01s\xff", "is a stream", 9),
    (b"REDIS0010\x07\x01m\xff", "module type", 9),
    (b"REDIS0010\xf7\x01\xff", "module data", 9),
    (b"REDIS0010\x10\x01h\x07\x07\x00\x00\x00\x00\x00\x00\xff", "listpack", 12),
])
def test_invalid_files_are_refused_with_their_offset(body: bytes, message: str,
                                                     offset: int) -> None:
    with pytest.raises(RdbFormatError, match=message) as raised:
        read_rdb(with_crc(body))
    assert raised.value.offset == offset


def test_empty_aggregates_are_skipped() -> None:
    body = b"REDIS0010\x02\x01s\x00\x0e\x01l\x00\x00\x01k\x01v\xff"
    keys, _ = read_rdb(with_crc(body))
    assert [k.key for k in keys] == [b"k"]


def test_zero_byte_file_is_a_short_read() -> None:
    with pytest.raises(ShortRead):
        read_rdb(b"")


# ------------------------------------------------------------------ old formats


def test_version_3_file_with_old_encodings_loads() -> None:
    ziplist_list = bytes.fromhex("13000000" "0d000000" "0200" "000161" "0303616263" "ff")
    zipmap = b"\x01\x01f\x01\x00v\xff"
    body = (b"REDIS0003" + b"\xfe\x00"
            + b"\xfd" + struct.pack("<i", 2000000000) + b"\x00\x01s\x01v"
            + b"\x0a\x01l" + encode_string(ziplist_list, False)
            + b"\x09\x01h" + encode_string(zipmap, False)
            + b"\x03\x01z\x01\x01m\x032.5"
            + b"\x01\x02pl\x02\x01a\x01b"
            + b"\xff")  # version < 5: no checksum
    keys, state = read_rdb(body)
    assert state.version == 3
    values = {k.key: k.value for k in keys}
    assert values[b"s"] == b"v" and keys[0].expire_at_ms == 2000000000 * 1000
    assert list(values[b"l"]) == [b"a", b"abc"]
    assert dict(values[b"h"]) == {b"f": b"v"}
    assert list(values[b"z"].items()) == [(b"m", 2.5)]
    assert list(values[b"pl"]) == [b"a", b"b"]


def test_version_6_quicklist_of_ziplists_and_ziplist_zset_and_hash_load() -> None:
    def zl(*items: bytes) -> bytes:
        body = b""
        prev = 0
        tail = 10
        for item in items:
            tail = 10 + len(body)
            entry = bytes((prev,)) + bytes((len(item),)) + item
            body += entry
            prev = len(entry)
        return struct.pack("<IIH", 11 + len(body), tail, len(items)) + body + b"\xff"

    body = (b"REDIS0006"
            + b"\x0e\x01q\x02" + encode_string(zl(b"a", b"b"), False)
            + encode_string(zl(b"c"), False)
            + b"\x0c\x01z" + encode_string(zl(b"m", b"1.5", b"n", b"2"), False)
            + b"\x0d\x01h" + encode_string(zl(b"f", b"v"), False)
            + b"\x0b\x01i" + encode_string(bytes.fromhex("0400000002000000f9ffffff03000000"),
                                           False)
            + b"\xff")
    keys, _ = read_rdb(with_crc(body))
    values = {k.key: k.value for k in keys}
    assert list(values[b"q"]) == [b"a", b"b", b"c"]
    assert list(values[b"z"].items()) == [(b"m", 1.5), (b"n", 2.0)]
    assert dict(values[b"h"]) == {b"f": b"v"}
    assert sorted(values[b"i"], key=int) == [b"-7", b"3"]


def test_redis_7_2_set_listpack_loads() -> None:
    body = b"REDIS0011\x14\x01s" + encode_string(listpack.encode([b"a", b"b"]), False) + b"\xff"
    keys, _ = read_rdb(with_crc(body))
    assert keys[0].value == Set([b"a", b"b"])


# ------------------------------------------------------------------ Redis's files


@pytest.mark.parametrize("name", ["lens.rdb", "lfu.rdb", "lru.rdb", "master-with-repl-aux.rdb",
                                  "nocrc.rdb", "zset-float-scores.rdb"])
def test_redis_7_0_15_fixtures_load(name: str) -> None:
    keys, state = read_rdb((FIXTURES / name).read_bytes())
    assert state.version == 10 and keys


def test_lens_fixture_values() -> None:
    keys, _ = read_rdb((FIXTURES / "lens.rdb").read_bytes())
    values = {k.key: k.value for k in keys}
    assert values[b"lead"] == b"0123" and values[b"plus"] == b"+5" and values[b"flt"] == b"1.5"
    assert len(values[b"m16k"]) == 16384 and len(values[b"m100"]) == 100


def test_zset_float_scores_fixture_and_our_lzf_writes_redis_bytes() -> None:
    data = (FIXTURES / "zset-float-scores.rdb").read_bytes()
    keys, _ = read_rdb(data)
    zset_value = {k.key: k.value for k in keys}[b"z"]
    scores = sorted(score for _, score in zset_value.items())
    assert scores[:3] == [float("-inf"), 0.0, 0.1] and scores[-1] == float("inf")
    # Re-encoding the same set gives the listpack Redis wrote, compressed to the same
    # LZF bytes: our compressor picks what liblzf picks.
    _, payload = encode_value(zset_value, True)
    assert payload in data


def test_all_types_fixture_is_refused_at_its_function_library() -> None:
    with pytest.raises(RdbFormatError, match="function library") as raised:
        read_rdb((FIXTURES / "all-types.rdb").read_bytes())
    assert raised.value.offset == 80
