"""LZF, the compressor Redis uses for long strings in RDB files.

Stream grammar (what `decompress` accepts): repeat until the input ends
    ctrl < 32         literal run: the next ctrl+1 bytes are copied
    ctrl >= 32        back reference: length L = ctrl >> 5 (7 means: add the next byte),
                      offset = ((ctrl & 0x1F) << 8) + next byte + 1; copy L + 2 bytes
                      from that far back in the output (overlap allowed)

`compress` follows liblzf 3.6 as Redis builds it (HLOG 16, VERY_FAST, a zeroed hash
table), so the bytes it picks are the ones Redis writes: a DUMP payload or an RDB
string compares equal byte for byte. It gives up (returns None) as soon as the output
would not fit `limit` bytes, as lzf_compress does with Redis's len-4 buffer.
"""

from __future__ import annotations

_HLOG = 16
_HSIZE = 1 << _HLOG
_MAX_LIT = 1 << 5
_MAX_OFF = 1 << 13
_MAX_REF = (1 << 8) + (1 << 3)


class LzfError(ValueError):
    """The compressed bytes are not a valid LZF stream of the announced size."""


def _index(hval: int) -> int:
    # liblzf's VERY_FAST hash of the three bytes in hval.
    return ((hval >> (3 * 8 - _HLOG)) - hval * 5) & (_HSIZE - 1)


def compress(data: bytes, limit: int) -> bytes | None:
    """data compressed into at most `limit` bytes, or None if it does not fit."""
    length = len(data)
    if length == 0 or limit <= 0:
        return None
    out = bytearray(limit + 8)  # slack: the checks below keep the result within limit
    out_end = limit
    table: dict[int, int] = {}
    ip = 0
    op = 1  # out[0] is the first literal run's length byte
    lit = 0
    hval = (data[0] << 8) | data[1] if length > 1 else 0
    while ip < length - 2:
        hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
        slot = _index(hval)
        ref = table.get(slot, 0)
        table[slot] = ip
        off = ip - ref - 1
        if (0 < ref and off < _MAX_OFF and data[ref + 2] == data[ip + 2]
                and data[ref] == data[ip] and data[ref + 1] == data[ip + 1]):
            maxlen = min(length - ip - 2, _MAX_REF)
            if op + 3 + 1 >= out_end and op - (not lit) + 3 + 1 >= out_end:
                return None
            out[op - lit - 1] = lit - 1 & 0xFF
            op -= not lit
            match = 2
            while True:
                match += 1
                if match >= maxlen or data[ref + match] != data[ip + match]:
                    break
            match -= 2  # now the byte count minus one
            ip += 1
            if match < 7:
                out[op] = (off >> 8) + (match << 5)
                op += 1
            else:
                out[op] = (off >> 8) + (7 << 5)
                out[op + 1] = match - 7
                op += 2
            out[op] = off & 0xFF
            op += 1
            lit = 0
            op += 1
            ip += match + 1
            if ip >= length - 2:
                break
            # VERY_FAST: hash the two positions just before the new ip too.
            ip -= 2
            hval = (data[ip] << 8) | data[ip + 1]
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            table[_index(hval)] = ip
            ip += 1
            hval = ((hval << 8) | data[ip + 2]) & 0xFFFFFFFF
            table[_index(hval)] = ip
            ip += 1
        else:
            if op >= out_end:
                return None
            lit += 1
            out[op] = data[ip]
            op += 1
            ip += 1
            if lit == _MAX_LIT:
                out[op - lit - 1] = lit - 1
                lit = 0
                op += 1
    if op + 3 > out_end:
        return None
    while ip < length:
        lit += 1
        out[op] = data[ip]
        op += 1
        ip += 1
        if lit == _MAX_LIT:
            out[op - lit - 1] = lit - 1
            lit = 0
            op += 1
    out[op - lit - 1] = lit - 1 & 0xFF
    op -= not lit
    if op > limit:
        return None
    return bytes(out[:op])


def decompress(data: bytes | memoryview, expected_length: int) -> bytes:
    """The original bytes; LzfError if the stream is invalid or not that long."""
    out = bytearray()
    ip = 0
    length = len(data)
    while ip < length:
        ctrl = data[ip]
        ip += 1
        if ctrl < 32:
            run = ctrl + 1
            if ip + run > length:
                raise LzfError("literal run past the end of the compressed data")
            out += data[ip:ip + run]
            ip += run
        else:
            count = ctrl >> 5
            if count == 7:
                if ip >= length:
                    raise LzfError("back reference cut short")
                count += data[ip]
                ip += 1
            if ip >= length:
                raise LzfError("back reference cut short")
            start = len(out) - ((ctrl & 0x1F) << 8) - data[ip] - 1
            ip += 1
            if start < 0:
                raise LzfError("back reference before the start of the data")
            count += 2
            if start + count <= len(out):
                out += out[start:start + count]
            else:  # overlapping: the copy repeats what it is writing
                for position in range(start, start + count):
                    out.append(out[position])
        if len(out) > expected_length:
            raise LzfError("more data than announced")
    if len(out) != expected_length:
        raise LzfError(f"decompressed {len(out)} bytes, {expected_length} announced")
    return bytes(out)
