"""Reply values that commands return and the encoder turns into RESP.

Plain Python values cover the common cases: bytes (and bytearray) encode as bulk
strings, int as integer, list/tuple as array, None as the null bulk string. The
classes below carry the meaning RESP2 cannot express by itself, so that the choice
between RESP2 and RESP3 is made in one place (`protocol.resp.encode`), never in a
command. Nothing here knows about sockets or commands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SimpleString:
    """`+text`: status replies such as OK and PONG."""

    text: bytes


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """`-CODE message`: the first word is the error code (ERR, WRONGTYPE, ...)."""

    message: str

    @property
    def code(self) -> str:
        return self.message.split(" ", 1)[0]


@dataclass(frozen=True, slots=True)
class Pairs:
    """Two-element records such as member/score (ZRANGE ... WITHSCORES, ZPOPMIN with a
    count): one flat array in RESP2, an array of two-element arrays in RESP3, as
    Redis 7 replies them."""

    items: list[tuple[Any, Any]]


class NullArray:
    """`*-1` in RESP2 (EXEC aborted, blocking timeout); `_` in RESP3."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NULL_ARRAY"


NULL_ARRAY = NullArray()


@dataclass(frozen=True, slots=True)
class Map:
    """`%` in RESP3; a flat array of key, value, key, value ... in RESP2."""

    items: list[tuple[Any, Any]]


@dataclass(frozen=True, slots=True)
class SetReply:
    """`~` in RESP3; an array in RESP2."""

    items: list[Any]


@dataclass(frozen=True, slots=True)
class Double:
    """`,` in RESP3; a bulk string in Redis's %.17g formatting in RESP2."""

    value: float


@dataclass(frozen=True, slots=True)
class Bool:
    """`#t`/`#f` in RESP3; the integers 1 and 0 in RESP2."""

    value: bool


@dataclass(frozen=True, slots=True)
class Verbatim:
    """`=` in RESP3 with a three-letter format (txt, mkd); a bulk string in RESP2."""

    text: bytes
    format: bytes = b"txt"


@dataclass(frozen=True, slots=True)
class Push:
    """`>` in RESP3 (pub/sub messages, invalidations); an array in RESP2."""

    items: list[Any]


@dataclass(frozen=True, slots=True)
class RawReply:
    """Bytes already in RESP form (cached constant replies); written as they are."""

    data: bytes


OK = SimpleString(b"OK")
PONG = SimpleString(b"PONG")
QUEUED = SimpleString(b"QUEUED")
