"""Byte-level tests of the RDB codecs: CRC64, LZF, listpack, intset, ziplist, zipmap
(persistence.md 1.5, 1.10-1.12, 1.17). Every case is whole bytes; corrupt inputs
must raise the codec's error naming a byte offset, never return a partial value."""

from __future__ import annotations

import os
import struct
import sys

import pytest

from persistence.rdb import intset, listpack, lzf, ziplist
from persistence.rdb import crc64 as crc64_module
from persistence.rdb.crc64 import crc64, crc64_python

# ------------------------------------------------------------------ CRC64

# `crc64` is anycrc's when it imports; the pure-Python fallback must agree with it.
IMPLEMENTATIONS = pytest.mark.parametrize("crc", [crc64, crc64_python],
                                          ids=["crc64", "python"])


@IMPLEMENTATIONS
def test_crc64_matches_redis_test_vector(crc) -> None:
    assert crc(0, b"123456789") == 0xE9C6D914C4B8D9CA


@IMPLEMENTATIONS
def test_crc64_of_nothing_is_zero(crc) -> None:
    assert crc(0, b"") == 0
    assert crc(0x1234, b"") == 0x1234


@IMPLEMENTATIONS
@pytest.mark.parametrize("split", range(0, 30))
def test_crc64_is_incremental_at_every_split(crc, split: int) -> None:
    data = bytes(range(29)) + b"123456789"
    assert crc(crc(0, data[:split]), data[split:]) == crc(0, data)


@IMPLEMENTATIONS
def test_crc64_byte_at_a_time_equals_whole(crc) -> None:
    data = os.urandom(100)
    running = 0
    for byte in data:
        running = crc(running, bytes((byte,)))
    assert running == crc(0, data)


@IMPLEMENTATIONS
def test_crc64_takes_bytes_bytearray_and_memoryview_slices(crc) -> None:
    data = os.urandom(1000)
    expected = crc64_python(0, data[3:997])
    assert crc(0, data[3:997]) == expected
    assert crc(0, bytearray(data)[3:997]) == expected
    assert crc(0, memoryview(data)[3:997]) == expected


@pytest.mark.parametrize("length", [0, 1, 7, 8, 9, 63, 64, 65, 4095, 4096, 100_003])
def test_crc64_implementations_agree(length: int) -> None:
    data = os.urandom(length)
    seed = int.from_bytes(os.urandom(8), "little")
    assert crc64(seed, data) == crc64_python(seed, data)


def test_crc64_is_compiled_when_anycrc_is_installed() -> None:
    try:
        import anycrc  # noqa: F401
    except ImportError:
        pytest.skip("anycrc is not installed: the pure-Python fallback is in use")
    assert crc64_module.IS_COMPILED and crc64 is not crc64_python


def test_crc64_falls_back_to_python_when_anycrc_does_not_import(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "anycrc", None)  # makes `import anycrc` fail
    assert crc64_module._compiled() is None


# ------------------------------------------------------------------ LZF


@pytest.mark.parametrize("data", [
    b"a" * 100, b"hello world " * 20, b"abcabcabcabcabcabcabcabc" * 3,
    bytes(range(256)) * 50, b"x" * 21 + b"y" * 300, b"0123456789" * 1000,
])
def test_lzf_round_trip(data: bytes) -> None:
    packed = lzf.compress(data, len(data) - 4)
    assert packed is not None and len(packed) <= len(data) - 4
    assert lzf.decompress(packed, len(data)) == data


def test_lzf_gives_up_when_it_cannot_save_four_bytes() -> None:
    assert lzf.compress(os.urandom(64), 60) is None


def test_lzf_literal_only_stream_decompresses() -> None:
    data = b"abcdefghij" * 5
    stream = b"".join(bytes((len(chunk) - 1,)) + chunk
                      for chunk in (data[i:i + 32] for i in range(0, len(data), 32)))
    assert lzf.decompress(stream, len(data)) == data


def test_lzf_overlapping_back_reference_repeats_bytes() -> None:
    # literal "a", then a back reference of length 9 at distance 1: nine more "a"s.
    assert lzf.decompress(bytes((0, 0x61, (7 << 5), 0, 0)), 10) == b"a" * 10


@pytest.mark.parametrize("stream, size, message", [
    (bytes((5, 1, 2)), 6, "literal run past the end"),
    (bytes((0, 0x61, 0x20, 5)), 4, "before the start"),
    (bytes((0, 0x61, 0xE0)), 12, "cut short"),
    (bytes((1, 0x61, 0x62)), 3, "2 bytes, 3 announced"),
    (bytes((1, 0x61, 0x62)), 1, "more data than announced"),
])
def test_lzf_invalid_streams_are_refused(stream: bytes, size: int, message: str) -> None:
    with pytest.raises(lzf.LzfError, match=message):
        lzf.decompress(stream, size)


# ------------------------------------------------------------------ listpack


@pytest.mark.parametrize("element, entry", [
    (b"a", bytes.fromhex("816102")),
    (b"1", bytes.fromhex("0101")),
    (b"127", bytes.fromhex("7f01")),
    (b"2.5", bytes.fromhex("83322e3504")),
    (b"200", bytes.fromhex("c0c802")),
    (b"-1", bytes.fromhex("dfff02")),
    (b"-4096", bytes.fromhex("d00002")),
    (b"-5000", bytes.fromhex("f178ec03")),
    (b"70000", bytes.fromhex("f270110104")),
    (b"12345678901", bytes.fromhex("f4351cdcdf0200000009")),
    (b"0123", bytes.fromhex("843031323305")),
    (b"-0", bytes.fromhex("822d3003")),
    (b"x" * 100, b"\xe0\x64" + b"x" * 100 + b"\x66"),
    (b"y" * 4096, b"\xf0\x00\x10\x00\x00" + b"y" * 4096 + bytes((0x20, 0x85))),
])
def test_listpack_entry_encodings(element: bytes, entry: bytes) -> None:
    assert listpack.encode_entry(element) == entry
    blob = listpack.encode([element])
    assert blob == struct.pack("<IH", 7 + len(entry), 1) + entry + b"\xff"
    assert listpack.decode(blob) == [element]


def test_listpack_backlen_at_the_two_byte_boundary_uses_three_bytes() -> None:
    # An entry of exactly 16383 bytes (encoding + data): Redis's strict < 16383.
    element = b"z" * (16383 - 5)
    entry = listpack.encode_entry(element)
    assert entry[-3:] == bytes((0, 0xFF, 0xFF)) and len(entry) == 16383 + 3
    assert listpack.decode(listpack.encode([element])) == [element]


def test_listpack_round_trip_of_mixed_elements() -> None:
    elements = [b"", b"a", b"-4097", b"32768", b"-8388609", b"9223372036854775807",
                b"-9223372036854775808", b"9223372036854775808", b"1.0", b"x" * 70]
    assert listpack.decode(listpack.encode(elements)) == elements


@pytest.mark.parametrize("blob, offset", [
    (b"\x07\x00\x00\x00\x00\x00", 0),                      # shorter than a header
    (b"\x08\x00\x00\x00\x00\x00\xff", 0),                  # total bytes wrong
    (b"\x07\x00\x00\x00\x00\x00\x00", 6),                  # no terminator
    (b"\x09\x00\x00\x00\x01\x00\x01\x02\xff", 7),          # backlen 2 for a 1-byte entry
    (b"\x09\x00\x00\x00\x01\x00\xf5\x01\xff", 6),          # invalid encoding
    (b"\x09\x00\x00\x00\x02\x00\x01\x01\xff", 4),          # count says 2, holds 1
    (b"\x09\x00\x00\x00\x01\x00\x85\x61\xff", 6),          # string past the end
])
def test_listpack_corrupt_inputs_name_the_offset(blob: bytes, offset: int) -> None:
    with pytest.raises(listpack.ListpackError) as raised:
        listpack.decode(blob)
    assert raised.value.offset == offset


# ------------------------------------------------------------------ intset


def test_intset_example_from_the_spec() -> None:
    assert intset.encode([300, 1]) == bytes.fromhex("02000000020000000100" "2c01")
    assert intset.decode(bytes.fromhex("020000000200000001002c01")) == [1, 300]


@pytest.mark.parametrize("members, width", [
    ([-7, 3, 100000], 4), ([-32768, 32767], 2), ([2**31], 8), ([-2**31 - 1], 8),
])
def test_intset_uses_the_smallest_width(members: list[int], width: int) -> None:
    blob = intset.encode(members)
    assert struct.unpack_from("<I", blob)[0] == width
    assert intset.decode(blob) == sorted(members)


@pytest.mark.parametrize("blob, message", [
    (b"\x02\x00\x00", "shorter than its header"),
    (b"\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00", "invalid member width"),
    (b"\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00", "do not fill"),
    (b"\x02\x00\x00\x00\x02\x00\x00\x00\x05\x00\x01\x00", "not strictly ascending"),
    (b"\x02\x00\x00\x00\x00\x00\x00\x00", "empty intset"),
])
def test_intset_corrupt_inputs_are_refused(blob: bytes, message: str) -> None:
    with pytest.raises(intset.IntsetError, match=message):
        intset.decode(blob)


# ------------------------------------------------------------------ ziplist, zipmap


def build_ziplist(entries: list[bytes]) -> bytes:
    """A ziplist from encoded entries (encoding + data), prevlen fields added here."""
    body = b""
    previous = 0
    tail = 10
    for entry in entries:
        prevlen = bytes((previous,)) if previous < 254 else b"\xfe" + struct.pack("<I", previous)
        tail = 10 + len(body)
        body += prevlen + entry
        previous = len(prevlen) + len(entry)
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, tail, len(entries)) + body + b"\xff"


def test_ziplist_every_entry_encoding() -> None:
    blob = build_ziplist([
        b"\x03abc", b"\x40\x41" + b"s" * 65, b"\x80\x00\x00\x00\x02hi",
        b"\xc0" + struct.pack("<h", -300), b"\xd0" + struct.pack("<i", 100000),
        b"\xe0" + struct.pack("<q", -2**40), b"\xf0" + (70000).to_bytes(3, "little"),
        b"\xfe\x80", b"\xf1", b"\xfd",
    ])
    assert ziplist.decode(blob) == [b"abc", b"s" * 65, b"hi", b"-300", b"100000",
                                    b"-1099511627776", b"70000", b"-128", b"0", b"12"]


def test_ziplist_with_a_long_previous_entry_uses_five_byte_prevlen() -> None:
    blob = build_ziplist([b"\x41\x2c" + b"L" * 300, b"\x01z"])
    assert ziplist.decode(blob) == [b"L" * 300, b"z"]


@pytest.mark.parametrize("mutate, message", [
    (lambda b: b[:-1] + b"\x00", "no terminator"),
    (lambda b: b[:10] + b"\x05" + b[11:], "previous-length"),
    (lambda b: b[:4] + b"\x00\x00\x00\x00" + b[8:], "tail offset"),
    (lambda b: b[:8] + b"\x07\x00" + b[10:], "header counts"),
])
def test_ziplist_corrupt_inputs_are_refused(mutate: object, message: str) -> None:
    blob = build_ziplist([b"\x01a", b"\x01b"])
    with pytest.raises(ziplist.ZiplistError, match=message):
        ziplist.decode(mutate(blob))  # type: ignore[operator]


def test_zipmap_pairs_with_free_bytes() -> None:
    blob = b"\x02" + b"\x01a\x02\x00xy" + b"\x03foo\x01\x02Z.." + b"\xff"
    assert ziplist.decode_zipmap(blob) == [b"a", b"xy", b"foo", b"Z"]


def test_zipmap_cut_short_is_refused() -> None:
    with pytest.raises(ziplist.ZiplistError):
        ziplist.decode_zipmap(b"\x01\x01a\x05\x00xy")
