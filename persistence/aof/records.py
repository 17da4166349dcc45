"""The AOF record format, both directions.

A record is one command as a RESP array of bulk strings:
    "*" argc CRLF ( "$" len CRLF bytes CRLF ){argc}
Lines beginning with "#" between records are annotations (`#TS:<unix s>`) and are
skipped. Redis's loader limits a "*"/"$" line to 1024 bytes and does not check the
two bytes after a bulk; redis-check-aof does, and so do we: a file we accept,
redis-check-aof accepts too.

The reader tells a torn tail from corruption, as etcd's decoder does: end of file
inside a record is `TruncatedRecord` (recoverable with aof-load-truncated), anything
else that is not a record is `RecordFormatError` (never recoverable). Both carry the
offset of the last complete record's end.
"""

from __future__ import annotations

from typing import BinaryIO, Iterator

MAX_LINE_BYTES = 1024
_CHUNK = 1 << 16


# Whole-record templates for the commonest shapes (GET/DEL ..., SET/HSET ...): one
# %-format builds the record, twice as fast as joining its pieces.
_TWO_ARGS = b"*2\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n"
_THREE_ARGS = b"*3\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n"


def encode_command(argv: list[bytes]) -> bytes:
    count = len(argv)
    if count == 3:
        first, second, third = argv
        return _THREE_ARGS % (len(first), first, len(second), second, len(third), third)
    if count == 2:
        first, second = argv
        return _TWO_ARGS % (len(first), first, len(second), second)
    parts = [b"*%d\r\n" % count]
    for arg in argv:
        parts.append(b"$%d\r\n" % len(arg))
        parts.append(arg)
        parts.append(b"\r\n")
    return b"".join(parts)


def select_record(db_index: int) -> bytes:
    return encode_command([b"SELECT", b"%d" % db_index])


def timestamp_annotation(unix_s: int) -> bytes:
    return b"#TS:%d\r\n" % unix_s


class TruncatedRecord(Exception):
    def __init__(self, valid_up_to: int) -> None:
        super().__init__(f"end of file inside a record after offset {valid_up_to}")
        self.valid_up_to = valid_up_to


class RecordFormatError(Exception):
    def __init__(self, offset: int, valid_up_to: int, detail: str) -> None:
        super().__init__(f"{detail} at offset {offset}")
        self.offset = offset
        self.valid_up_to = valid_up_to
        self.detail = detail


class RecordReader:
    """Records from a binary stream, each with the offset just past it."""

    def __init__(self, stream: BinaryIO, start_offset: int = 0) -> None:
        self._stream = stream
        self._buffer = b""
        self._position = 0  # within _buffer
        self._buffer_offset = start_offset  # file offset of _buffer[0]
        self._eof = False

    @property
    def offset(self) -> int:
        return self._buffer_offset + self._position

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(_CHUNK)
        if not chunk:
            self._eof = True
            return False
        self._buffer_offset += self._position
        self._buffer = self._buffer[self._position:] + chunk
        self._position = 0
        return True

    def _line(self, record_start: int, marker: bytes) -> bytes:
        """The next CRLF-terminated line, without its CRLF. End of file inside it is a
        torn record only if what is there could still become a `marker` line: a lost
        page cache leaves zeros at the tail, which no torn write does."""
        while True:
            end = self._buffer.find(b"\n", self._position)
            if end >= 0:
                if end - self._position + 1 > MAX_LINE_BYTES:
                    raise RecordFormatError(self.offset, record_start, "line too long")
                line = self._buffer[self._position:end]
                if not line.endswith(b"\r"):
                    raise RecordFormatError(self.offset, record_start, "line without CRLF")
                self._position = end + 1
                return line[:-1]
            # No line end yet: judge the start now, so a page of zeros is reported
            # as what it is rather than as a line too long.
            first = self._buffer[self._position:self._position + 1]
            if first and first != marker and marker != b"#":
                raise RecordFormatError(self.offset, record_start,
                                        f"expected '{marker.decode()}', got {first!r}")
            if len(self._buffer) - self._position > MAX_LINE_BYTES:
                raise RecordFormatError(self.offset, record_start, "line too long")
            if not self._fill():
                partial = self._buffer[self._position:]
                if not _could_begin(partial, marker):
                    raise RecordFormatError(self.offset, record_start,
                                            f"a '{marker.decode()}' line cut by the end of "
                                            "the file holds something else")
                raise TruncatedRecord(record_start)

    def _exactly(self, count: int, record_start: int) -> bytes:
        available = len(self._buffer) - self._position
        if available >= count:
            data = self._buffer[self._position:self._position + count]
            self._position += count
            return data
        # A large bulk: read the rest straight from the stream instead of growing
        # the buffer chunk by chunk.
        parts = [self._buffer[self._position:]]
        missing = count - available
        while missing:
            chunk = self._stream.read(missing)
            if not chunk:
                self._eof = True
                raise TruncatedRecord(record_start)
            parts.append(chunk)
            missing -= len(chunk)
        self._buffer_offset += len(self._buffer) + count - available
        self._buffer = b""
        self._position = 0
        return b"".join(parts)

    def __iter__(self) -> Iterator[tuple[list[bytes], int]]:
        while True:
            start = self.offset
            if self._position >= len(self._buffer) and not self._fill():
                return
            if self._buffer[self._position:self._position + 1] == b"#":
                self._line(start, b"#")
                continue
            line = self._line(start, b"*")
            argc = _count(line, b"*")
            if argc is None or argc < 1:
                raise RecordFormatError(start, start, "expected '*<argc>'")
            argv = []
            for _ in range(argc):
                at = self.offset
                length = _count(self._line(start, b"$"), b"$")
                if length is None:
                    raise RecordFormatError(at, start, "expected '$<length>'")
                data = self._exactly(length + 2, start)
                if data[-2:] != b"\r\n":
                    raise RecordFormatError(at + length, start, "bulk without CRLF")
                argv.append(data[:-2])
            yield argv, self.offset


def _could_begin(partial: bytes, marker: bytes) -> bool:
    """Whether `partial` (a line cut by the end of the file) is the start of a `marker`
    line: "*12" or "$3\r" can be, "\0\0\0" cannot. Annotations are free text."""
    if not partial or marker == b"#":
        return True
    digits = partial[1:-1] if partial.endswith(b"\r") else partial[1:]
    return partial[:1] == marker and (not digits or digits.isdigit())


def _count(line: bytes, prefix: bytes) -> int | None:
    if not line.startswith(prefix) or not line[1:].isdigit():
        return None
    return int(line[1:])
