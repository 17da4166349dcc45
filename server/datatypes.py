"""Value types held in the keyspace, and facts about them that need no command context.

One Python representation per Redis type: strings are bytes (bytearray once they were
modified in place by APPEND or SETRANGE, which is also how Redis's "raw" encoding
arises); other types arrive with their own issue. Nothing here knows about commands.
"""

from __future__ import annotations

from typing import Any

from protocol.resp import parse_strict_int

# Redis keeps strings up to 44 bytes in one allocation with the object ("embstr").
EMBSTR_SIZE_LIMIT = 44


def type_name(value: Any) -> str:
    kind = type(value)
    if kind is bytes or kind is bytearray:
        return "string"
    return getattr(value, "redis_type", "none")


def is_string(value: Any) -> bool:
    kind = type(value)
    return kind is bytes or kind is bytearray


def string_encoding(value: bytes | bytearray) -> str:
    if type(value) is bytearray:
        return "raw"
    if len(value) <= 20 and parse_strict_int(value) is not None:
        return "int"
    return "embstr" if len(value) <= EMBSTR_SIZE_LIMIT else "raw"


def object_encoding(value: Any) -> str:
    if is_string(value):
        return string_encoding(value)
    return str(value.encoding())


def copy_value(value: Any) -> Any:
    """An independent copy of a stored value, for COPY and the forkless snapshot.

    bytes are immutable and shared; a bytearray (a string modified in place) is copied.
    Every other value type must provide copy() returning a value that shares nothing
    mutable with the original (elements are immutable bytes, so one level suffices for
    deque, dict and set; a sorted set's copy() must copy its index as well).
    """
    kind = type(value)
    if kind is bytes:
        return value
    if kind is bytearray:
        return bytearray(value)
    return value.copy()
