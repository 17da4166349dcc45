"""RESP, sans-IO: bytes in, argv out; reply values in, bytes out. No sockets, no commands.

Requests. `RequestParser.feed(data)` only buffers; `requests()` yields each complete
request as a list of bytes (argv[0] is the command name) and stops when it needs more
data. It raises `ProtocolError` at the first malformed byte, after yielding every
request that came before it, exactly as Redis executes the good prefix of a buffer and
then answers the error and closes. Two request forms are accepted, as in Redis:
  multibulk  `*<n>\\r\\n` then n times `$<len>\\r\\n<len bytes>\\r\\n`
  inline     one line split like Redis's sdssplitargs (quotes, \\xHH escapes)
The limits and their error texts are Redis 7.0's (networking.c processMultibulkBuffer
and processInlineBuffer). A half-received request keeps its parsed elements, and a
large bulk string is joined once when complete, so parsing is linear in the input.

Two deliberate details. Redis looks for line ends with strchr, which stops at a NUL
byte, so a NUL before the end of an inline line or a length line means "need more"
until the 64 KB limit: we do the same. Redis applies that limit only when its 16 KB
reads happen to leave no line end in the buffer; we apply it to the line itself, so
the outcome never depends on how the bytes were chunked.

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
    Pairs,
    Push,
    RawReply,
    SetReply,
    SimpleString,
    Verbatim,
)

INLINE_MAX_SIZE = 64 * 1024  # PROTO_INLINE_MAX_SIZE: the longest inline request or length line
MAX_MULTIBULK_LENGTH = 2**31 - 1
UNAUTHENTICATED_MAX_MULTIBULK = 10
UNAUTHENTICATED_MAX_BULK = 16384
# The fast path splits the whole buffer, so it is kept to buffers this small; it is
# also below the smallest proto-max-bulk-len (1 MB), so no bulk it accepts is too long.
_FAST_PATH_MAX_BUFFER = 1024 * 1024 - 1
_CANONICAL_COUNTS = {b"*%d" % n: n for n in range(1, 1025)}
# `$<len>` for values up to 8 KB: the request fast path checks headers against it and
# the array encoder builds from it; longer values are handled the slow way.
_BULK_HEADERS = {n: b"$%d" % n for n in range(8192)}
# A line end must lie within the first INLINE_MAX_SIZE + 1 bytes of its line.
_LINE_SEARCH = INLINE_MAX_SIZE + 1

TOO_BIG_INLINE = "Protocol error: too big inline request"
UNBALANCED_QUOTES = "Protocol error: unbalanced quotes in request"
TOO_BIG_MULTIBULK_COUNT = "Protocol error: too big mbulk count string"
INVALID_MULTIBULK_LENGTH = "Protocol error: invalid multibulk length"
UNAUTHENTICATED_MULTIBULK = "Protocol error: unauthenticated multibulk length"
TOO_BIG_BULK_COUNT = "Protocol error: too big bulk count string"
INVALID_BULK_LENGTH = "Protocol error: invalid bulk length"
UNAUTHENTICATED_BULK = "Protocol error: unauthenticated bulk length"


class ProtocolError(Exception):
    """The peer broke the protocol: answer `message` (if any) and close the connection.

    `message` is None when the client is dropped without a reply (query buffer limit).
    A byte of the request quoted in the message is surrogate-escaped, so that
    `encode_error` writes it back as the very byte Redis would.
    """

    def __init__(self, message: str | None) -> None:
        super().__init__(message or "query buffer limit reached")
        self.message = message


def parse_strict_int(text: bytes) -> int | None:
    """Redis's string2ll: optional '-', digits, no leading zeros or spaces; else None."""
    if text.isdigit() and len(text) < 19 and (text[0] != 48 or len(text) == 1):
        return int(text)  # the common case, in range by its length alone
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
        self.fast_path_max_buffer = _FAST_PATH_MAX_BUFFER  # tests set -1 to compare paths
        self._buf = b""
        self._pos = 0
        # Chunks held back while a large bulk string is still arriving, and how many
        # bytes (counted from _pos) the request needs before parsing can go on.
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
        """Buffer `data`; nothing is parsed until `requests()` is iterated. Raises
        ProtocolError(None) when the buffered bytes pass `max_query_buffer`."""
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

    def take_whole_request(self, data: bytes) -> list[bytes] | None:
        """The argv of `data` when it is exactly one canonical request and nothing is
        buffered (what an unpipelined client sends each time); else None, and `data`
        still has to be fed. The per-call setup of requests() costs as much as parsing
        a request, so this skips it; its checks are those of requests()'s fast path."""
        if (self._buf or self._remaining or not self.is_authenticated
                or len(data) > self.fast_path_max_buffer or len(data) > self.max_bulk_len):
            return None
        count = _CANONICAL_COUNTS.get(data[:data.find(b"\r\n", 0, 8)])
        if count is None:
            return None
        # Split no further than this request: a pipeline's other requests stay whole in
        # the last token, which must be empty (one request ending with its CRLF).
        tokens = data.split(b"\r\n", 2 * count + 1)
        if len(tokens) != 2 * count + 2 or tokens[-1]:
            return None
        argv = tokens[2:-1:2]
        if tokens[1:-1:2] != list(map(_BULK_HEADERS.get, map(len, argv))):
            return None
        return argv

    def _check_query_buffer(self) -> None:
        if self.buffered_bytes > self.max_query_buffer:
            raise ProtocolError(None)

    def requests(self) -> Iterator[list[bytes]]:
        """Yield every complete request buffered so far; raise ProtocolError on bad input."""
        buf = self._buf
        pos = self._pos
        end = len(buf)
        find = buf.find
        # Canonical requests (`*<n>` then `$<len>` headers exactly as clients write
        # them) are cut out of one C-level split on CRLF; the slow loop below takes
        # over at the first request the fast path cannot vouch for (inline commands,
        # unusual headers, a CRLF inside a value, an unfinished request), so it alone
        # decides errors. One attempt per call keeps the work linear.
        # No value in a buffer this small can pass max_bulk_len, so the fast path
        # need not check each one.
        fast = (self.is_authenticated and end - pos <= self.fast_path_max_buffer
                and end - pos <= self.max_bulk_len)
        try:
            while pos < end:
                if fast and not self._remaining and buf[pos] == 42:
                    fast = False
                    tokens = buf[pos:end].split(b"\r\n") if pos else buf.split(b"\r\n")
                    last = len(tokens) - 1  # tokens[last] has no CRLF after it yet
                    header = _BULK_HEADERS.get
                    count_of = _CANONICAL_COUNTS.get
                    done = 0
                    try:
                        while done < last:
                            count = count_of(tokens[done])
                            if count is None:
                                break
                            stop = done + 1 + 2 * count
                            if stop > last:
                                break
                            # Each `$<len>` header must be exactly the one its value needs.
                            if count == 3:  # unrolled for the commonest shapes
                                h1, a1, h2, a2, h3, a3 = tokens[done + 1 : stop]
                                if (h1 != header(len(a1)) or h2 != header(len(a2))
                                        or h3 != header(len(a3))):
                                    break
                                argv = [a1, a2, a3]
                            elif count == 2:
                                h1, a1, h2, a2 = tokens[done + 1 : stop]
                                if h1 != header(len(a1)) or h2 != header(len(a2)):
                                    break
                                argv = [a1, a2]
                            else:
                                argv = tokens[done + 2 : stop : 2]
                                if tokens[done + 1 : stop : 2] != list(map(header, map(len, argv))):
                                    break
                            done = stop
                            yield argv
                            if not self.is_authenticated:
                                break
                    finally:
                        if done:  # counted from the end: usually only tokens[last] is left
                            pos = end - sum(map(len, tokens[done:])) - 2 * (last - done)
                    continue
                if not self._remaining:
                    if buf[pos] != 42:  # not '*': an inline command
                        newline = find(b"\n", pos, pos + _LINE_SEARCH)
                        if newline >= 0 and find(b"\0", pos, newline) >= 0:
                            newline = -1
                        if newline < 0:
                            if end - pos > INLINE_MAX_SIZE:
                                raise ProtocolError(TOO_BIG_INLINE)
                            break
                        line_end = newline - 1 if newline > pos and buf[newline - 1] == 13 else newline
                        args = split_inline_args(buf[pos:line_end])
                        pos = newline + 1
                        if args is None:
                            raise ProtocolError(UNBALANCED_QUOTES)
                        if args:
                            yield args
                        continue
                    newline = find(b"\r", pos, pos + _LINE_SEARCH)
                    if newline < 0:
                        if end - pos > INLINE_MAX_SIZE:
                            raise ProtocolError(TOO_BIG_MULTIBULK_COUNT)
                        break
                    if newline + 1 >= end:
                        break
                    digits = buf[pos + 1 : newline]
                    if digits.isdigit() and len(digits) < 11 and (digits[0] != 48 or len(digits) == 1):
                        count = int(digits)
                        if count > MAX_MULTIBULK_LENGTH:
                            raise ProtocolError(INVALID_MULTIBULK_LENGTH)
                    else:
                        unusual = _unusual_count(buf, pos, newline, end)
                        if unusual is None:
                            break
                        count = unusual
                    if count > UNAUTHENTICATED_MAX_MULTIBULK and not self.is_authenticated:
                        raise ProtocolError(UNAUTHENTICATED_MULTIBULK)
                    pos = newline + 2
                    if count <= 0:
                        continue
                    self._remaining = count
                    self._argv = []
                argv = self._argv
                remaining = self._remaining
                max_bulk_len = self.max_bulk_len
                while remaining:
                    newline = find(b"\r", pos, pos + _LINE_SEARCH)
                    if newline < 0:
                        if end - pos > INLINE_MAX_SIZE:
                            raise ProtocolError(TOO_BIG_BULK_COUNT)
                        break
                    if newline + 1 >= end:
                        break
                    digits = buf[pos + 1 : newline]
                    if buf[pos] == 36 and digits.isdigit() and len(digits) < 20 and (
                        digits[0] != 48 or len(digits) == 1
                    ):
                        length = int(digits)
                    else:
                        unusual = _unusual_length(buf, pos, newline, end)
                        if unusual is None:
                            break
                        length = unusual
                    if length > max_bulk_len:
                        raise ProtocolError(INVALID_BULK_LENGTH)
                    if length > UNAUTHENTICATED_MAX_BULK and not self.is_authenticated:
                        raise ProtocolError(UNAUTHENTICATED_BULK)
                    stop = newline + 2 + length
                    if stop + 2 > end:
                        # Hold further chunks until the whole bulk is here (see feed);
                        # the header stays unconsumed and is parsed again then.
                        self._need = stop + 2 - pos
                        break
                    argv.append(buf[newline + 2 : stop])
                    # Like Redis, the two bytes after the payload are skipped unchecked.
                    pos = stop + 2
                    remaining -= 1
                self._remaining = remaining
                if remaining:
                    break
                self._argv = []
                yield argv
        finally:
            self._pos = pos
            if pos >= end:
                self._buf = b""
                self._pos = 0
        # An empty buffer holds nothing back (chunks are held only mid-request).
        if pos < end and end - pos + self._held_len > self.max_query_buffer:
            raise ProtocolError(None)


def _unusual_count(buf: bytes, pos: int, newline: int, end: int) -> int | None:
    """A `*` line that is not plain digits: a negative count (skipped by the caller), a
    NUL before the line end (None: wait, as Redis's strchr would), or an error."""
    if buf.find(b"\0", pos, newline) >= 0:
        if end - pos > INLINE_MAX_SIZE:
            raise ProtocolError(TOO_BIG_MULTIBULK_COUNT)
        return None
    count = parse_strict_int(buf[pos + 1 : newline])
    if count is None or count > MAX_MULTIBULK_LENGTH:
        raise ProtocolError(INVALID_MULTIBULK_LENGTH)
    return count


def _unusual_length(buf: bytes, pos: int, newline: int, end: int) -> int | None:
    """A bulk header that is not `$` and plain digits: a NUL before the line end (None:
    wait), a type byte other than `$`, or a length string2ll refuses."""
    if buf.find(b"\0", pos, newline) >= 0:
        if end - pos > INLINE_MAX_SIZE:
            raise ProtocolError(TOO_BIG_BULK_COUNT)
        return None
    if buf[pos] != 36:  # '$'
        got = buf[pos : pos + 1].decode("utf-8", "surrogateescape")
        raise ProtocolError(f"Protocol error: expected '$', got '{got}'")
    length = parse_strict_int(buf[pos + 1 : newline])
    if length is None or length < 0:
        raise ProtocolError(INVALID_BULK_LENGTH)
    return length


# isspace() in the C locale: the blanks skipped between arguments. An unquoted argument
# ends only at space, tab, CR or LF, so "a\vb" is one argument, as in sdssplitargs.
_BLANKS = frozenset(b" \t\n\v\f\r")
_UNQUOTED_ENDS = frozenset(b" \t\n\r")
_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = frozenset(b"0123456789abcdefABCDEF")


def split_inline_args(line: bytes) -> list[bytes] | None:
    """Split an inline command like Redis's sdssplitargs; None on unbalanced quotes.

    The line is a C string to Redis, so it ends at the first NUL byte.
    """
    if 0 in line:
        line = line[: line.index(0)]
    if b'"' not in line and b"'" not in line and b"\v" not in line and b"\f" not in line:
        return line.split()
    args: list[bytes] = []
    i = 0
    n = len(line)
    while True:
        while i < n and line[i] in _BLANKS:
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
                    # A closing quote must be followed by a blank or the end.
                    if i + 1 < n and line[i + 1] not in _BLANKS:
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
                    if i + 1 < n and line[i + 1] not in _BLANKS:
                        return None
                    i += 1
                    break
                else:
                    current.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in _UNQUOTED_ENDS:
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




def _encode_bulk_strings(items: list[Any] | tuple[Any, ...], out: list[bytes]) -> bool:
    """An array of bulk strings (LRANGE, MGET, KEYS ...), built by C-level maps and one
    join instead of a Python call per element; False (nothing written) unless every
    item is bytes-like."""
    try:
        b"".join(items)  # raises TypeError for str, int, None, nested arrays ...
    except TypeError:
        return False
    headers = list(map(_BULK_HEADERS.get, map(len, items)))
    if None in headers:  # a value of 8 KB or more: its header is not in the table
        headers = [b"$%d" % len(item) for item in items]
    parts = headers + headers  # any list of the right length, overwritten below
    parts[0::2] = headers
    parts[1::2] = items
    out.append(b"\r\n".join(parts))
    out.append(b"\r\n")
    return True


def _encode_into(reply: Any, protocol: int, out: list[bytes]) -> None:
    # The commonest kinds first: scores (Double, Pairs) come right after the basics.
    kind = type(reply)
    if kind is bytes or kind is bytearray:
        out.append(b"$%d\r\n%b\r\n" % (len(reply), reply))
    elif kind is int:
        out.append(b":%d\r\n" % reply)
    elif kind is list or kind is tuple:
        out.append(b"*%d\r\n" % len(reply))
        if len(reply) < 5 or not _encode_bulk_strings(reply, out):
            for item in reply:
                _encode_into(item, protocol, out)
    elif reply is None:
        out.append(b"$-1\r\n" if protocol == 2 else b"_\r\n")
    elif kind is Double:
        text = _format_double(reply.value)
        if protocol == 2:
            out.append(b"$%d\r\n%b\r\n" % (len(text), text))
        else:
            out.append(b",%b\r\n" % text)
    elif kind is Pairs:
        if protocol == 2:
            out.append(b"*%d\r\n" % (2 * len(reply.items)))
            for first, second in reply.items:
                _encode_into(first, protocol, out)
                _encode_into(second, protocol, out)
        else:
            out.append(b"*%d\r\n" % len(reply.items))
            for first, second in reply.items:
                out.append(b"*2\r\n")
                _encode_into(first, protocol, out)
                _encode_into(second, protocol, out)
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
