"""Listpacks, the blobs inside RDB types 16-20 and quicklist nodes (Redis 7).

    listpack := total_bytes(uint32 LE) count(uint16 LE, 65535 = count by walking)
                entry* 0xFF
    entry    := encoding+data backlen
    0xxxxxxx            7-bit unsigned int        110xxxxx y      13-bit signed int
    10xxxxxx bytes      string up to 63 bytes     1110xxxx y bytes string up to 4095
    0xF0 uint32 bytes   longer string             0xF1/F2/F3/F4   int16/24/32/64 LE
    backlen             size of encoding+data, base 128, big end first, bit 7 set on
                        every byte but the first (read right to left)

`encode` picks the encoding Redis picks: an element that is the canonical decimal
form of an int64 is stored as the smallest integer form, anything else as a string.
`decode` validates as it goes and raises ListpackError naming the byte offset.
"""

from __future__ import annotations

import struct

from protocol.resp import parse_strict_int

_EOF = 0xFF
_HEADER = 6
_UNKNOWN_COUNT = 65535


class ListpackError(ValueError):
    def __init__(self, detail: str, offset: int) -> None:
        super().__init__(f"{detail} (listpack byte {offset})")
        self.offset = offset


def _backlen(size: int) -> bytes:
    if size <= 127:
        return bytes((size,))
    if size < 16383:
        return bytes((size >> 7, (size & 127) | 128))
    if size < 2097151:
        return bytes((size >> 14, ((size >> 7) & 127) | 128, (size & 127) | 128))
    if size < 268435455:
        return bytes((size >> 21, ((size >> 14) & 127) | 128, ((size >> 7) & 127) | 128,
                      (size & 127) | 128))
    return bytes((size >> 28, ((size >> 21) & 127) | 128, ((size >> 14) & 127) | 128,
                  ((size >> 7) & 127) | 128, (size & 127) | 128))


def encode_int(value: int) -> bytes:
    """One entry holding an integer (encoding, data and backlen)."""
    if 0 <= value <= 127:
        return bytes((value, 1))
    if -4096 <= value <= 4095:
        value &= 0x1FFF
        return bytes((0xC0 | (value >> 8), value & 0xFF, 2))
    if -32768 <= value <= 32767:
        return b"\xf1" + struct.pack("<h", value) + b"\x03"
    if -8388608 <= value <= 8388607:
        return b"\xf2" + (value & 0xFFFFFF).to_bytes(3, "little") + b"\x04"
    if -2147483648 <= value <= 2147483647:
        return b"\xf3" + struct.pack("<i", value) + b"\x05"
    return b"\xf4" + struct.pack("<q", value) + b"\x09"


def encode_entry(element: bytes) -> bytes:
    """One entry for element, an integer form when it is a canonical int64."""
    if len(element) <= 20:
        number = parse_strict_int(element)
        if number is not None:
            return encode_int(number)
    size = len(element)
    if size < 64:
        head = bytes((0x80 | size,))
    elif size < 4096:
        head = bytes((0xE0 | (size >> 8), size & 0xFF))
    else:
        head = b"\xf0" + struct.pack("<I", size)
    return head + element + _backlen(len(head) + size)


def encode(elements: list[bytes]) -> bytes:
    body = b"".join(map(encode_entry, elements))
    return assemble(body, len(elements))


def assemble(body: bytes, count: int) -> bytes:
    """A listpack from entries already encoded (encode_entry/encode_int)."""
    total = _HEADER + len(body) + 1
    return struct.pack("<IH", total, min(count, _UNKNOWN_COUNT)) + body + b"\xff"


def decode(blob: bytes | memoryview) -> list[bytes]:
    """The elements, integers as their decimal text; ListpackError if malformed."""
    data = bytes(blob)
    size = len(data)
    if size < _HEADER + 1:
        raise ListpackError("listpack shorter than its header", 0)
    total, count = struct.unpack_from("<IH", data)
    if total != size:
        raise ListpackError(f"header says {total} bytes, blob has {size}", 0)
    if data[-1] != _EOF:
        raise ListpackError("no terminator at the end", size - 1)
    out: list[bytes] = []
    pos = _HEADER
    end = size - 1
    while pos < end:
        start = pos
        first = data[pos]
        if first < 0x80:
            out.append(b"%d" % first)
            pos += 1
        elif first < 0xC0:
            length = first & 0x3F
            pos += 1
            out.append(data[pos:pos + length])
            pos += length
        elif first < 0xE0:
            if pos + 2 > end:
                raise ListpackError("entry cut short", start)
            value = ((first & 0x1F) << 8) | data[pos + 1]
            out.append(b"%d" % (value - 0x2000 if value >= 0x1000 else value))
            pos += 2
        elif first < 0xF0:
            if pos + 2 > end:
                raise ListpackError("entry cut short", start)
            length = ((first & 0x0F) << 8) | data[pos + 1]
            pos += 2
            out.append(data[pos:pos + length])
            pos += length
        elif first == 0xF0:
            if pos + 5 > end:
                raise ListpackError("entry cut short", start)
            length = struct.unpack_from("<I", data, pos + 1)[0]
            pos += 5
            out.append(data[pos:pos + length])
            pos += length
        elif first <= 0xF4:
            width = (2, 3, 4, 8)[first - 0xF1]
            if pos + 1 + width > end:
                raise ListpackError("entry cut short", start)
            out.append(b"%d" % int.from_bytes(data[pos + 1:pos + 1 + width], "little",
                                                 signed=True))
            pos += 1 + width
        else:
            raise ListpackError(f"invalid entry encoding 0x{first:02x}", start)
        if pos > end:
            raise ListpackError("entry runs past the end", start)
        entry_size = pos - start
        backlen = _backlen(entry_size)
        if data[pos:pos + len(backlen)] != backlen:
            raise ListpackError("entry back-length does not match its size", pos)
        pos += len(backlen)
    if pos != end:
        raise ListpackError("entries run past the end", end)
    if count != _UNKNOWN_COUNT and count != len(out):
        raise ListpackError(f"header counts {count} entries, found {len(out)}", 4)
    return out
