"""Intsets, the blob of RDB type 11 (sets of integers).

    intset := width(uint32 LE: 2, 4 or 8) count(uint32 LE) member{count}
    member := signed integer of that width, little endian, strictly ascending

`encode` uses the smallest width that fits every member, as a fresh intset in Redis
does (a real file may use a wider one: Redis never narrows an intset).
"""

from __future__ import annotations

import struct

_FORMATS = {2: "h", 4: "i", 8: "q"}


class IntsetError(ValueError):
    def __init__(self, detail: str, offset: int) -> None:
        super().__init__(f"{detail} (intset byte {offset})")
        self.offset = offset


def encode(members: list[int]) -> bytes:
    ordered = sorted(members)
    width = 2
    if ordered:
        low, high = ordered[0], ordered[-1]
        if low < -2**31 or high >= 2**31:
            width = 8
        elif low < -2**15 or high >= 2**15:
            width = 4
    return struct.pack(f"<II{len(ordered)}{_FORMATS[width]}", width, len(ordered), *ordered)


def decode(blob: bytes | memoryview) -> list[int]:
    data = bytes(blob)
    if len(data) < 8:
        raise IntsetError("intset shorter than its header", 0)
    width, count = struct.unpack_from("<II", data)
    if width not in _FORMATS:
        raise IntsetError(f"invalid member width {width}", 0)
    if len(data) != 8 + width * count:
        raise IntsetError(f"{count} members of {width} bytes do not fill {len(data)} bytes", 4)
    if count == 0:
        raise IntsetError("empty intset", 4)
    members = list(struct.unpack_from(f"<{count}{_FORMATS[width]}", data, 8))
    for index in range(1, count):
        if members[index] <= members[index - 1]:
            raise IntsetError("members not strictly ascending", 8 + index * width)
    return members
