"""The encodings of Redis 6 and older, read only: ziplists (types 10, 12, 13, 14) and
zipmaps (type 9, Redis 2.x hashes). Files from those versions still load here.

    ziplist := zlbytes(uint32 LE) zltail(uint32 LE) zllen(uint16 LE) entry* 0xFF
    entry   := prevlen(1 byte < 254 | 0xFE uint32 LE) encoding data
    00pppppp: string <= 63    01pppppp q: string <= 16383 (14 bits big endian)
    10000000 uint32 BE: longer string    0xC0 int16 | 0xD0 int32 | 0xE0 int64 |
    0xF0 int24 | 0xFE int8 (little endian) | 0xF1..0xFD: the value (low nibble) - 1

    zipmap  := count(1 byte, 254+ = unknown) (len key len free value free-bytes)* 0xFF
    len     := 1 byte <= 253 | 0xFE uint32 (host order: little endian here)
"""

from __future__ import annotations

import struct


class ZiplistError(ValueError):
    def __init__(self, detail: str, offset: int) -> None:
        super().__init__(f"{detail} (byte {offset})")
        self.offset = offset


def decode(blob: bytes | memoryview) -> list[bytes]:
    data = bytes(blob)
    size = len(data)
    if size < 11:
        raise ZiplistError("ziplist shorter than its header", 0)
    total, tail, count = struct.unpack_from("<IIH", data)
    if total != size:
        raise ZiplistError(f"header says {total} bytes, blob has {size}", 0)
    if data[-1] != 0xFF:
        raise ZiplistError("no terminator at the end", size - 1)
    out: list[bytes] = []
    pos = 10
    end = size - 1
    previous_size = 0
    while pos < end:
        start = pos
        if data[pos] < 254:
            prevlen = data[pos]
            pos += 1
        else:
            if pos + 5 > end:
                raise ZiplistError("entry cut short", start)
            prevlen = struct.unpack_from("<I", data, pos + 1)[0]
            pos += 5
        if prevlen != previous_size:
            raise ZiplistError("entry's previous-length does not match", start)
        if pos >= end:
            raise ZiplistError("entry cut short", start)
        code = data[pos]
        kind = code >> 6
        if kind == 0:
            length = code & 0x3F
            pos += 1
        elif kind == 1:
            if pos + 2 > end:
                raise ZiplistError("entry cut short", start)
            length = ((code & 0x3F) << 8) | data[pos + 1]
            pos += 2
        elif code == 0x80:
            if pos + 5 > end:
                raise ZiplistError("entry cut short", start)
            length = struct.unpack_from(">I", data, pos + 1)[0]
            pos += 5
        elif kind == 2:
            raise ZiplistError(f"invalid entry encoding 0x{code:02x}", pos)
        else:
            length = -1
        if length >= 0:
            if pos + length > end:
                raise ZiplistError("entry runs past the end", start)
            out.append(data[pos:pos + length])
            pos += length
        else:
            width = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}.get(code)
            if width is not None:
                if pos + 1 + width > end:
                    raise ZiplistError("entry cut short", start)
                value = int.from_bytes(data[pos + 1:pos + 1 + width], "little", signed=True)
                pos += 1 + width
            elif 0xF1 <= code <= 0xFD:
                value = (code & 0x0F) - 1
                pos += 1
            else:
                raise ZiplistError(f"invalid entry encoding 0x{code:02x}", pos)
            out.append(b"%d" % value)
        previous_size = pos - start
    if pos != end:
        raise ZiplistError("entries run past the end", end)
    if count != 65535 and count != len(out):
        raise ZiplistError(f"header counts {count} entries, found {len(out)}", 8)
    if out and tail != start:
        raise ZiplistError("tail offset does not point at the last entry", 4)
    return out


def decode_zipmap(blob: bytes | memoryview) -> list[bytes]:
    """A zipmap's keys and values, alternating."""
    data = bytes(blob)
    if not data:
        raise ZiplistError("empty zipmap", 0)
    pos = 1
    out: list[bytes] = []

    def read_len() -> int:
        nonlocal pos
        if pos >= len(data):
            raise ZiplistError("zipmap cut short", pos)
        first = data[pos]
        if first < 254:
            pos += 1
            return first
        if first == 254:
            if pos + 5 > len(data):
                raise ZiplistError("zipmap cut short", pos)
            value = struct.unpack_from("<I", data, pos + 1)[0]
            pos += 5
            return int(value)
        return -1  # 0xFF: the end

    while True:
        key_len = read_len()
        if key_len < 0:
            break
        if pos + key_len > len(data):
            raise ZiplistError("zipmap key runs past the end", pos)
        out.append(data[pos:pos + key_len])
        pos += key_len
        value_len = read_len()
        if value_len < 0:
            raise ZiplistError("zipmap key without a value", pos)
        if pos >= len(data):
            raise ZiplistError("zipmap cut short", pos)
        free = data[pos]
        pos += 1
        if pos + value_len + free > len(data):
            raise ZiplistError("zipmap value runs past the end", pos)
        out.append(data[pos:pos + value_len])
        pos += value_len + free
    if pos != len(data) - 1:
        raise ZiplistError("bytes after the zipmap's end", pos)
    return out
