"""RESP, sans-IO: bytes in, argv out; reply values in, bytes out. No sockets, no commands.

Requests. `RequestParser.feed(data)` only buffers; `requests()` yields each complete
request as a list of bytes (argv[0] is the command name) and stops when it needs more
data. It raises `ProtocolError` at the first malformed byte, after yielding every
request that came before it, exactly as Redis executes the good prefix of a buffer and
then answers the error and closes. Two request forms are accepted, as in Redis:
  multibulk  `*<n>\\r\\n` then n times `$<len>\\r\\n<len bytes>\\r\\n`
  inline     one line split like redis-cli input (quotes, \\xHH escapes)
The limits and their error texts are Redis 7.0's (networking.c processMultibulkBuffer
and processInlineBuffer). A half-received request keeps its parsed elements, so a huge
request arriving in small chunks is never rescanned from its start.

Replies. `encode(reply, protocol)` turns a reply value (see protocol.replies) into
bytes; it is the only place where RESP2 and RESP3 differ.
"""

from __future__ import annotations

from typing import Any, Iterator

from protocol.replies import (
    Bool,
    Double,
    ErrorReply,
    Map,
    NullArray,
    Push,
    RawReply,
    SetReply,
    SimpleString,
    Verbatim,
)

INLINE_MAX_SIZE = 64 * 1024
MAX_MULTIBULK_LENGTH = 2**31 - 1
UNAUTHENTICATED_MAX_MULTIBULK = 10
UNAUTHENTICATED_MAX_BULK = 16384


class ProtocolError(Exception):
    """The peer broke the protocol: answer `message` (if any) and close the connection."""

    def __init__(self, message: str | None) -> None:
        super().__init__(message or "query buffer limit reached")
        self.message = message


def parse_strict_int(text: bytes) -> int | None:
    """Redis's string2ll: optional '-', digits, no leading zeros or spaces; else None."""
    if not text or len(text) > 20:
        return None
    digits = text[1:] if text[0] == 45 else text
    if not digits.isdigit() or (digits[0] == 48 and len(digits) > 1):
        return None
    if digits == b"0" and text[0] == 45:
        return None
    value = int(text)
    if value < -(2**63) or value > 2**63 - 1:
        return None
    return value


class RequestParser:
    """Incremental RESP request parser; see the module docstring for the contract."""

    def __init__(
        self,
        max_bulk_len: int = 512 * 1024 * 1024,
        max_query_buffer: int = 1024 * 1024 * 1024,
    ) -> None:
        self.max_bulk_len = max_bulk_len
        self.max_query_buffer = max_query_buffer
        self.is_authenticated = True
        self._buf = b""
        self._pos = 0
        # Chunks held back while a large bulk string is still arriving.
        self._held: list[bytes] = []
        self._held_len = 0
        self._need = 0
        # The request being assembled: its elements so far and how many are missing.
        self._argv: list[bytes] = []
        self._remaining = 0

    @property
    def buffered_bytes(self) -> int:
        return len(self._buf) - self._pos + self._held_len

    def feed(self, data: bytes) -> None:
        if self._need:
            self._held.append(data)
            self._held_len += len(data)
            if len(self._buf) - self._pos + self._held_len < self._need:
                self._check_query_buffer()
                return
            self._held.insert(0, self._buf[self._pos :])
            self._buf = b"".join(self._held)
            self._held = []
            self._held_len = 0
            self._need = 0
        elif self._pos >= len(self._buf):
            self._buf = data
        else:
            self._buf = self._buf[self._pos :] + data
        self._pos = 0

    def _check_query_buffer(self) -> None:
        if self.buffered_bytes > self.max_query_buffer:
            raise ProtocolError(None)

    def requests(self) -> Iterator[list[bytes]]:
        buf = self._buf
        pos = self._pos
        end = len(buf)
        try:
            while pos < end:
                if not self._remaining:
                    if buf[pos] != 42:  # not '*': an inline command
                        newline = buf.find(b"\n", pos)
                        if newline < 0:
                            if end - pos > INLINE_MAX_SIZE:
                                raise ProtocolError("Protocol error: too big inline request")
                            break
                        line_end = newline - 1 if newline > pos and buf[newline - 1] == 13 else newline
                        args = split_inline_args(buf[pos:line_end])
                        pos = newline + 1
                        if args is None:
                            raise ProtocolError("Protocol error: unbalanced quotes in request")
                        if args:
                            yield args
                        continue
                    newline = buf.find(b"\r", pos)
                    if newline < 0:
                        if end - pos > INLINE_MAX_SIZE:
                            raise ProtocolError("Protocol error: too big mbulk count string")
                        break
                    if newline + 1 >= end:
                        break
                    count = parse_strict_int(buf[pos + 1 : newline])
                    if count is None or count > MAX_MULTIBULK_LENGTH:
                        raise ProtocolError("Protocol error: invalid multibulk length")
                    if count > UNAUTHENTICATED_MAX_MULTIBULK and not self.is_authenticated:
                        raise ProtocolError("Protocol error: unauthenticated multibulk length")
                    pos = newline + 2
                    if count <= 0:
                        continue
                    self._remaining = count
                    self._argv = []
                argv = self._argv
                while self._remaining:
                    newline = buf.find(b"\r", pos)
                    if newline < 0:
                        if end - pos > INLINE_MAX_SIZE:
                            raise ProtocolError("Protocol error: too big bulk count string")
                        break
                    if newline + 1 >= end:
                        break
                    if buf[pos] != 36:  # '$'
                        raise ProtocolError(
                            "Protocol error: expected '$', got '%s'" % chr(buf[pos])
                        )
                    length = parse_strict_int(buf[pos + 1 : newline])
                    if length is None or length < 0 or length > self.max_bulk_len:
                        raise ProtocolError("Protocol error: invalid bulk length")
                    if length > UNAUTHENTICATED_MAX_BULK and not self.is_authenticated:
                        raise ProtocolError("Protocol error: unauthenticated bulk length")
                    start = newline + 2
                    stop = start + length
                    if stop + 2 > end:
                        # Wait for the whole bulk, keeping only its header consumed-in-place.
                        self._need = stop + 2 - pos
                        break
                    argv.append(buf[start:stop])
                    # Like Redis, the two bytes after the payload are skipped unchecked.
                    pos = stop + 2
                    self._remaining -= 1
                if self._remaining:
                    break
                self._argv = []
                yield argv
        finally:
            self._pos = pos
            if pos >= end:
                self._buf = b""
                self._pos = 0
        self._check_query_buffer()


_INLINE_SPACE = frozenset(b" \n\r\t\v\f\0")
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = frozenset(b"0123456789abcdefABCDEF")


def split_inline_args(line: bytes) -> list[bytes] | None:
    """Split an inline command like Redis's sdssplitargs; None on unbalanced quotes."""
    if b'"' not in line and b"'" not in line:
        return line.split()
    args: list[bytes] = []
    i = 0
    n = len(line)
    while True:
        while i < n and line[i] in _INLINE_SPACE:
            i += 1
        if i >= n:
            return args
        current = bytearray()
        in_double = in_single = False
        while True:
            if in_double:
                if i >= n:
                    return None
                c = line[i]
                if (
                    c == 92
                    and i + 3 < n
                    and line[i + 1] == 120
                    and line[i + 2] in _HEX
                    and line[i + 3] in _HEX
                ):
                    current.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    i += 1
                    current.append(_ESCAPES.get(line[i], line[i]))
                elif c == 34:
                    if i + 1 < n and line[i + 1] not in _INLINE_SPACE:
                        return None
                    i += 1
                    break
                else:
                    current.append(c)
            elif in_single:
                if i >= n:
                    return None
                c = line[i]
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    current.append(39)
                elif c == 39:
                    if i + 1 < n and line[i + 1] not in _INLINE_SPACE:
                        return None
                    i += 1
                    break
                else:
                    current.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in _INLINE_SPACE:
                    break
                if c == 34:
                    in_double = True
                elif c == 39:
                    in_single = True
                else:
                    current.append(c)
            i += 1
        args.append(bytes(current))


# ---------------------------------------------------------------- reply encoding

def _format_double(value: float) -> bytes:
    if value != value:
        return b"nan"
    if value == float("inf"):
        return b"inf"
    if value == float("-inf"):
        return b"-inf"
    return b"%.17g" % value


def encode_error(message: str) -> bytes:
    # User input inside an error must not be able to end the line early.
    if "\r" in message or "\n" in message:
        message = message.replace("\r", " ").replace("\n", " ")
    return b"-" + message.encode("utf-8", "surrogateescape") + b"\r\n"


def encode(reply: Any, protocol: int = 2) -> bytes:
    """Encode one reply value for a client speaking RESP `protocol` (2 or 3)."""
    out: list[bytes] = []
    _encode_into(reply, protocol, out)
    return b"".join(out)


def _encode_into(reply: Any, protocol: int, out: list[bytes]) -> None:
    kind = type(reply)
    if kind is bytes or kind is bytearray:
        out.append(b"$%d\r\n%b\r\n" % (len(reply), reply))
    elif kind is int:
        out.append(b":%d\r\n" % reply)
    elif kind is list or kind is tuple:
        out.append(b"*%d\r\n" % len(reply))
        for item in reply:
            _encode_into(item, protocol, out)
    elif reply is None:
        out.append(b"$-1\r\n" if protocol == 2 else b"_\r\n")
    elif kind is SimpleString:
        out.append(b"+%b\r\n" % reply.text)
    elif kind is ErrorReply:
        out.append(encode_error(reply.message))
    elif kind is RawReply:
        out.append(reply.data)
    elif kind is str:
        data = reply.encode()
        out.append(b"$%d\r\n%b\r\n" % (len(data), data))
    elif kind is Map:
        if protocol == 2:
            out.append(b"*%d\r\n" % (2 * len(reply.items)))
        else:
            out.append(b"%%%d\r\n" % len(reply.items))
        for key, value in reply.items:
            _encode_into(key, protocol, out)
            _encode_into(value, protocol, out)
    elif kind is SetReply or kind is Push:
        marker = b"*" if protocol == 2 else (b"~" if kind is SetReply else b">")
        out.append(b"%b%d\r\n" % (marker, len(reply.items)))
        for item in reply.items:
            _encode_into(item, protocol, out)
    elif kind is Double:
        text = _format_double(reply.value)
        if protocol == 2:
            out.append(b"$%d\r\n%b\r\n" % (len(text), text))
        else:
            out.append(b",%b\r\n" % text)
    elif kind is NullArray:
        out.append(b"*-1\r\n" if protocol == 2 else b"_\r\n")
    elif kind is Bool:
        if protocol == 2:
            out.append(b":1\r\n" if reply.value else b":0\r\n")
        else:
            out.append(b"#t\r\n" if reply.value else b"#f\r\n")
    elif kind is Verbatim:
        if protocol == 2:
            out.append(b"$%d\r\n%b\r\n" % (len(reply.text), reply.text))
        else:
            out.append(b"=%d\r\n%b:%b\r\n" % (len(reply.text) + 4, reply.format, reply.text))
    elif kind is float:
        _encode_into(Double(reply), protocol, out)
    elif kind is bool:
        _encode_into(Bool(reply), protocol, out)
    else:
        raise TypeError(f"cannot encode reply of type {kind.__name__}")
