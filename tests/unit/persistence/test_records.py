"""AOF records: encoding, and a reader that tells a torn tail from corruption.
Every stream is read whole and in one-byte chunks (h11's discipline)."""

from __future__ import annotations

import io

import pytest

from persistence.aof.records import (
    RecordFormatError, RecordReader, TruncatedRecord, encode_command, select_record,
)

SET = encode_command([b"SET", b"k", b"v\r\n"])


class Trickle(io.RawIOBase):
    """A stream that returns one byte per read."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.data[self.position:self.position + 1]
        self.position += len(chunk)
        return chunk


def read_all(data: bytes, trickle: bool) -> list[tuple[list[bytes], int]]:
    stream = Trickle(data) if trickle else io.BytesIO(data)
    return list(RecordReader(stream))  # type: ignore[arg-type]


def test_encoding_is_a_resp_array_of_bulks() -> None:
    assert SET == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n"
    assert select_record(12) == b"*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n"
    assert encode_command([b""]) == b"*1\r\n$0\r\n\r\n"


@pytest.mark.parametrize("trickle", [False, True])
def test_records_come_back_with_their_end_offsets(trickle: bool) -> None:
    data = select_record(0) + b"#TS:1795463082\r\n" + SET
    assert read_all(data, trickle) == [
        ([b"SELECT", b"0"], len(select_record(0))),
        ([b"SET", b"k", b"v\r\n"], len(data)),
    ]


@pytest.mark.parametrize("trickle", [False, True])
@pytest.mark.parametrize("cut", range(1, len(SET)))
def test_every_torn_tail_is_truncated_at_the_last_complete_record(trickle: bool, cut: int) -> None:
    data = select_record(0) + SET[:cut]
    with pytest.raises(TruncatedRecord) as raised:
        read_all(data, trickle)
    assert raised.value.valid_up_to == len(select_record(0))


@pytest.mark.parametrize("trickle", [False, True])
@pytest.mark.parametrize("garbage", [b"!!!\r\n", b"*x\r\n", b"*0\r\n", b"*1\r\n:1\r\n",
                                     b"*1\r\n$1\r\nab\r\n", b"*1\n$1\nA\n"])
def test_corruption_in_the_middle_is_a_format_error(trickle: bool, garbage: bytes) -> None:
    data = SET + garbage + SET
    with pytest.raises(RecordFormatError) as raised:
        read_all(data, trickle)
    assert raised.value.valid_up_to == len(SET)


def test_large_bulk_read_past_the_buffer() -> None:
    big = b"x" * 300_000
    data = encode_command([b"SET", b"k", big])
    assert read_all(data, False) == [([b"SET", b"k", big], len(data))]
    with pytest.raises(TruncatedRecord):
        read_all(data[:-3], False)


@pytest.mark.parametrize("trickle", [False, True])
@pytest.mark.parametrize("zeros", [1, 59, 1023, 4096, 70_000])
def test_zeroed_tail_is_a_format_error_not_a_torn_record(trickle: bool, zeros: int) -> None:
    # What a lost page cache leaves: the file's size survived, its last pages are zeros.
    # No torn write looks like that, so aof-load-truncated must not cut it away.
    data = SET + bytes(zeros)
    with pytest.raises(RecordFormatError) as raised:
        read_all(data, trickle)
    assert raised.value.valid_up_to == len(SET) and raised.value.offset == len(SET)


@pytest.mark.parametrize("trickle", [False, True])
@pytest.mark.parametrize("tail", [b"*", b"*1", b"*12\r", b"*1\r\n$", b"*1\r\n$3\r", b"#TS:1"])
def test_a_cut_line_that_could_still_be_a_record_is_torn(trickle: bool, tail: bytes) -> None:
    with pytest.raises(TruncatedRecord) as raised:
        read_all(SET + tail, trickle)
    assert raised.value.valid_up_to == len(SET)


@pytest.mark.parametrize("trickle", [False, True])
@pytest.mark.parametrize("tail", [b"*1\r\n\x00\x00", b"*1\r\n$3\x00", b"*3x", b"\x00*1"])
def test_a_cut_line_holding_garbage_is_a_format_error(trickle: bool, tail: bytes) -> None:
    with pytest.raises(RecordFormatError) as raised:
        read_all(SET + tail, trickle)
    assert raised.value.valid_up_to == len(SET)
