"""RequestParser, h11-style: every case is fed whole, one byte at a time, and followed by
the first bytes of the next request, which must stay buffered until it completes.

Expected argv lists and error texts were checked against Redis 7.0.15 over a raw
socket (the same cases run against both servers in tests/blackbox/test_protocol_errors.py).
"""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.resp import (
    INLINE_MAX_SIZE,
    INVALID_BULK_LENGTH,
    INVALID_MULTIBULK_LENGTH,
    TOO_BIG_BULK_COUNT,
    TOO_BIG_INLINE,
    TOO_BIG_MULTIBULK_COUNT,
    UNAUTHENTICATED_BULK,
    UNAUTHENTICATED_MULTIBULK,
    UNBALANCED_QUOTES,
    ProtocolError,
    RequestParser,
    parse_strict_int,
    split_inline_args,
)
from tests.wire import pack

NEXT_REQUESTS = (b"*1\r\n$4\r\nPING\r\n", b"PING\r\n")


def make_parser(is_authenticated: bool = True, **limits: int) -> RequestParser:
    parser = RequestParser(**limits)
    parser.is_authenticated = is_authenticated
    return parser


def parse(parser: RequestParser, data: bytes) -> list[list[bytes]]:
    parser.feed(data)
    return list(parser.requests())


def parse_chunks(chunks: list[bytes], **options: int) -> tuple[list[list[bytes]], str | None]:
    """Feed chunks in order; return the requests yielded and the error text, if any."""
    parser = make_parser(**options)
    got: list[list[bytes]] = []
    try:
        for chunk in chunks:
            parser.feed(chunk)
            for argv in parser.requests():
                got.append(argv)
    except ProtocolError as error:
        return got, error.message
    return got, None


def assert_parses(data: bytes, expected: list[list[bytes]], **options: int) -> None:
    """h11's tr(): whole, byte by byte, and with trailing bytes left for the next request."""
    # (a) whole
    parser = make_parser(**options)
    assert parse(parser, data) == expected
    assert parser.buffered_bytes == 0

    # (b) byte by byte: a request appears exactly when its last byte arrives.
    parser = make_parser(**options)
    got: list[list[bytes]] = []
    for i in range(len(data)):
        new = parse(parser, data[i : i + 1])
        if len(expected) <= 1 and i < len(data) - 1:
            assert new == [], f"yielded {new!r} before the last byte (at byte {i})"
        got.extend(new)
    assert got == expected
    assert parser.buffered_bytes == 0

    # (c) trailing bytes: kept until the next request completes.
    for following in NEXT_REQUESTS:
        for cut in range(1, len(following)):
            parser = make_parser(**options)
            assert parse(parser, data + following[:cut]) == expected
            assert parse(parser, following[cut:]) == [[b"PING"]]
            assert parser.buffered_bytes == 0


def assert_protocol_error(
    data: bytes, message: str, before: list[list[bytes]] | None = None, **options: int
) -> None:
    """The good prefix is yielded, then ProtocolError(message) at the last byte exactly."""
    before = before or []
    # (a) whole, alone and followed by more bytes
    for trailing in (b"", b"\r\n", b"*1\r\n$4\r\nPING\r\n"):
        assert parse_chunks([data + trailing], **options) == (before, message)

    # (b) byte by byte: no error until the last byte
    parser = make_parser(**options)
    got: list[list[bytes]] = []
    for i in range(len(data) - 1):
        got.extend(parse(parser, data[i : i + 1]))
    assert got == before
    parser.feed(data[-1:])
    with pytest.raises(ProtocolError) as raised:
        got.extend(parser.requests())
    assert raised.value.message == message
    assert got == before


# ------------------------------------------------------------------ multibulk


@pytest.mark.parametrize(
    "data, expected",
    [
        (pack(b"PING"), [[b"PING"]]),
        (pack(b"SET", b"key", b"value"), [[b"SET", b"key", b"value"]]),
        (pack(b"SET", b"k", b""), [[b"SET", b"k", b""]]),
        (pack(b"SET", b"k", b"a\r\nb\x00c\xff"), [[b"SET", b"k", b"a\r\nb\x00c\xff"]]),
        (pack(b"ECHO", b"*1\r\n$4\r\n"), [[b"ECHO", b"*1\r\n$4\r\n"]]),
        # Redis skips the two bytes after a payload without looking at them.
        (b"*1\r\n$4\r\nPINGxx", [[b"PING"]]),
        # The lengths are string2ll numbers: "-9" and "0" are fine.
        (b"*1\r\n$0\r\n\r\n", [[b""]]),
    ],
    ids=["ping", "set", "empty-arg", "binary-arg", "resp-inside-arg", "unchecked-crlf",
         "zero-length"],
)
def test_multibulk_request(data: bytes, expected: list[list[bytes]]) -> None:
    assert_parses(data, expected)


def test_pipeline_of_multibulk_requests() -> None:
    data = pack(b"SET", b"a", b"1") + pack(b"GET", b"a") + pack(b"DEL", b"a")
    assert_parses(data, [[b"SET", b"a", b"1"], [b"GET", b"a"], [b"DEL", b"a"]])


def test_pipeline_mixing_inline_and_multibulk() -> None:
    data = b"PING\r\n" + pack(b"ECHO", b"x") + b"ECHO y\n" + pack(b"PING")
    assert_parses(data, [[b"PING"], [b"ECHO", b"x"], [b"ECHO", b"y"], [b"PING"]])


@pytest.mark.parametrize("data", [b"*0\r\n", b"*-1\r\n", b"*-5\r\n", b"*0\r\n*-1\r\n"])
def test_empty_and_negative_multibulk_are_skipped(data: bytes) -> None:
    assert_parses(data, [])


def test_empty_multibulk_between_requests() -> None:
    assert_parses(pack(b"PING") + b"*0\r\n" + b"*-1\r\n" + pack(b"PING"), [[b"PING"], [b"PING"]])


def test_many_arguments_in_one_request() -> None:
    args = [b"MSET"] + [b"k%d" % i for i in range(2000)]
    data = pack(*args)
    assert parse_chunks([data]) == ([args], None)
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
    assert parse_chunks(chunks) == ([args], None)


# ------------------------------------------------------------------ inline


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"PING\r\n", [[b"PING"]]),
        (b"PING\n", [[b"PING"]]),
        (b"SET a \"hello world\"\r\n", [[b"SET", b"a", b"hello world"]]),
        (b"  SET\t a   b  \r\n", [[b"SET", b"a", b"b"]]),
        (b"ECHO a\rb\r\n", [[b"ECHO", b"a", b"b"]]),
        (b"ECHO \"\"\r\n", [[b"ECHO", b""]]),
        (b"ECHO ''\r\n", [[b"ECHO", b""]]),
        # A lone CR before LF is the line end; a second one is a blank.
        (b"PING\r\r\n", [[b"PING"]]),
    ],
    ids=["crlf", "lf", "double-quotes", "blanks", "inner-cr", "empty-double", "empty-single",
         "double-cr"],
)
def test_inline_request(data: bytes, expected: list[list[bytes]]) -> None:
    assert_parses(data, expected)


@pytest.mark.parametrize("data", [b"\r\n", b"\n", b"   \r\n", b"\t\x0b\x0c\r\n"])
def test_empty_inline_lines_are_skipped(data: bytes) -> None:
    assert_parses(data, [])


def test_empty_inline_lines_between_requests() -> None:
    assert_parses(b"PING\r\n\r\n\n  \r\nPING\n", [[b"PING"], [b"PING"]])


# Each line was sent to Redis 7.0.15 as `RPUSH k <line>` and read back with LRANGE.
SPLIT_CASES = [
    (b"a b  c", [b"a", b"b", b"c"]),
    (b"\t a\tb \r c ", [b"a", b"b", b"c"]),
    (b'"a b" c', [b"a b", b"c"]),
    (b'"\\x41\\x42"', [b"AB"]),
    (b'"\\x4"', [b"x4"]),
    (b'"\\x4g"', [b"x4g"]),
    (b'"\\X41"', [b"X41"]),
    (b'"\\xff\\x00\\x7F"', [b"\xff\x00\x7f"]),
    (b'"\\n\\r\\t\\b\\a\\q\\\\\\""', [b'\n\r\t\x08\x07q\\"']),
    (b"'a\\'b'", [b"a'b"]),
    (b"'\\x41'", [b"\\x41"]),
    (b"'a\\nb'", [b"a\\nb"]),
    (b'a"b c" e', [b"ab c", b"e"]),
    (b"a'b c' d", [b"ab c", b"d"]),
    (b"\"\" ''", [b"", b""]),
    (b"'a\"b' \"a'b\"", [b'a"b', b"a'b"]),
    (b'"a"\x0b"b"', [b"a", b"b"]),
    (b'"a"\tb', [b"a", b"b"]),
    (b'"a"\r', [b"a"]),
    # \v and \f are skipped between arguments but do not end an unquoted one.
    (b"x\x0by", [b"x\x0by"]),
    (b"x\x0cy", [b"x\x0cy"]),
    (b"\x0bx", [b"x"]),
    (b'"a\x0bb"', [b"a\x0bb"]),
    (b'\xff\xfe "\xff"', [b"\xff\xfe", b"\xff"]),
    (b"x y\rz", [b"x", b"y", b"z"]),
    # Unbalanced: unterminated, or a closing quote not followed by a blank.
    (b'"unterminated', None),
    (b"'unterminated", None),
    (b'a"', None),
    (b"a'", None),
    (b'"a\\', None),
    (b"'a\\nb\\\\'", None),
    (b'a"b c"d e', None),
    (b'""x', None),
    (b"''x", None),
    (b'"a"b', None),
]


@pytest.mark.parametrize("line, expected", SPLIT_CASES)
def test_split_inline_args_matches_sdssplitargs(line: bytes, expected: list[bytes] | None) -> None:
    assert split_inline_args(line) == expected


@pytest.mark.parametrize("line, expected", [c for c in SPLIT_CASES if c[1] is not None])
def test_inline_request_with_quotes_and_escapes(line: bytes, expected: list[bytes]) -> None:
    assert_parses(b"RPUSH k " + line + b"\r\n", [[b"RPUSH", b"k"] + expected])


@pytest.mark.parametrize("line", [c[0] for c in SPLIT_CASES if c[1] is None])
def test_inline_unbalanced_quotes_is_protocol_error(line: bytes) -> None:
    assert_protocol_error(b"RPUSH k " + line + b"\r\n",
                          "Protocol error: unbalanced quotes in request")


def test_inline_good_requests_before_unbalanced_quotes_are_yielded() -> None:
    assert_protocol_error(b"PING\r\nSET a \"b\r\n", "Protocol error: unbalanced quotes in request",
                          before=[[b"PING"]])


def test_split_inline_args_stops_at_nul_like_a_c_string() -> None:
    assert split_inline_args(b"PI\x00NG x") == [b"PI"]


def test_inline_line_with_nul_waits_like_redis_strchr() -> None:
    # Redis's strchr stops at the NUL, never sees the newline, and waits for more.
    assert parse_chunks([b"PING\x00\r\nPING\r\n"]) == ([], None)
    assert parse_chunks([b"PING\r\nPI\x00NG\r\n"]) == ([[b"PING"]], None)


def test_inline_line_with_nul_becomes_too_big() -> None:
    data = b"PING\x00\r\n" + b"x" * (INLINE_MAX_SIZE + 1 - 7)
    assert len(data) == INLINE_MAX_SIZE + 1
    assert_protocol_error(data, "Protocol error: too big inline request")


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "data, message",
    [
        (b"*1x\r\n", "Protocol error: invalid multibulk length"),
        (b"*\r\n", "Protocol error: invalid multibulk length"),
        (b"*-0\r\n", "Protocol error: invalid multibulk length"),
        (b"*01\r\n", "Protocol error: invalid multibulk length"),
        (b"* 1\r\n", "Protocol error: invalid multibulk length"),
        (b"*+1\r\n", "Protocol error: invalid multibulk length"),
        (b"*2147483648\r\n", "Protocol error: invalid multibulk length"),
        (b"*99999999999\r\n", "Protocol error: invalid multibulk length"),
        (b"*1\n$4\r\n", "Protocol error: invalid multibulk length"),
        (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$x\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$01\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$9999999999\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n$99999999999999999999999\r\n", "Protocol error: invalid bulk length"),
        (b"*1\r\n:1\r\n", "Protocol error: expected '$', got ':'"),
        (b"*1\r\n*1\r\n", "Protocol error: expected '$', got '*'"),
        (b"*2\r\n$4\r\nECHO\r\n+x\r\n", "Protocol error: expected '$', got '+'"),
        # Redis quotes the byte as is; encode_error turns CR/LF into spaces.
        (b"*1\r\n\r\n", "Protocol error: expected '$', got '\r'"),
        (b"*1\r\n\n\r\n", "Protocol error: expected '$', got '\n'"),
        (b"*1\r\n\xff\r\n", "Protocol error: expected '$', got '\udcff'"),
    ],
)
def test_malformed_multibulk_is_protocol_error(data: bytes, message: str) -> None:
    assert_protocol_error(data, message)


def test_requests_before_the_error_are_yielded() -> None:
    assert_protocol_error(pack(b"PING") + b"PING\r\n*x\r\n",
                          "Protocol error: invalid multibulk length",
                          before=[[b"PING"], [b"PING"]])


def test_bulk_length_limit_follows_proto_max_bulk_len() -> None:
    assert_parses(b"*1\r\n$5\r\nhello\r\n", [[b"hello"]], max_bulk_len=5)
    assert_protocol_error(b"*1\r\n$6\r\n", "Protocol error: invalid bulk length", max_bulk_len=5)


def test_too_big_inline_request() -> None:
    assert_protocol_error(b"x" * (INLINE_MAX_SIZE + 1), "Protocol error: too big inline request")
    # Exactly the limit without a newline: still waiting.
    assert parse_chunks([b"x" * INLINE_MAX_SIZE]) == ([], None)


def test_inline_request_at_the_limit_is_accepted() -> None:
    line = b"ECHO " + b"x" * (INLINE_MAX_SIZE - 5)
    assert parse_chunks([line + b"\n"]) == ([[b"ECHO", b"x" * (INLINE_MAX_SIZE - 5)]], None)


def test_inline_limit_does_not_depend_on_chunking() -> None:
    # Redis's answer for a line just over 64 KB depends on how its 16 KB reads split it;
    # ours never does.
    data = b"x" * (INLINE_MAX_SIZE + 10) + b"\r\n"
    error = "Protocol error: too big inline request"
    assert parse_chunks([data]) == ([], error)
    assert parse_chunks([data[:1000], data[1000:]]) == ([], error)


def test_too_big_mbulk_count_string() -> None:
    assert_protocol_error(b"*" + b"1" * INLINE_MAX_SIZE,
                          "Protocol error: too big mbulk count string")


def test_too_big_bulk_count_string() -> None:
    assert_protocol_error(b"*1\r\n$" + b"1" * INLINE_MAX_SIZE,
                          "Protocol error: too big bulk count string")


def test_length_line_with_nul_waits_then_is_too_big() -> None:
    assert parse_chunks([b"*1\x00\r\n"]) == ([], None)
    assert parse_chunks([b"*1\r\n$3\x00\r\nabc\r\n"]) == ([], None)
    assert parse_chunks([b"*1\r\n\x00\r\n"]) == ([], None)
    assert_protocol_error(b"*1\x00\r\n" + b"x" * (INLINE_MAX_SIZE - 4),
                          "Protocol error: too big mbulk count string")
    assert_protocol_error(b"*1\r\n$3\x00\r\n" + b"x" * (INLINE_MAX_SIZE - 4),
                          "Protocol error: too big bulk count string")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"*11\r\n", "Protocol error: unauthenticated multibulk length"),
        (b"*1\r\n$16385\r\n", "Protocol error: unauthenticated bulk length"),
        (pack(b"AUTH", b"pw") + b"*2\r\n$1\r\nx\r\n$99999\r\n",
         "Protocol error: unauthenticated bulk length"),
    ],
)
def test_unauthenticated_limits(data: bytes, message: str) -> None:
    before = [[b"AUTH", b"pw"]] if data.startswith(pack(b"AUTH", b"pw")) else []
    assert_protocol_error(data, message, before=before, is_authenticated=False)


def test_unauthenticated_limits_allow_small_requests() -> None:
    args = [b"AUTH"] + [b"a"] * 8 + [b"x" * 16384]
    assert_parses(pack(*args), [args], is_authenticated=False)


def test_authentication_between_requests_lifts_the_limits() -> None:
    parser = RequestParser()
    parser.is_authenticated = False
    parser.feed(pack(b"AUTH", b"pw") + pack(*[b"x"] * 11))
    requests = parser.requests()
    assert next(requests) == [b"AUTH", b"pw"]
    parser.is_authenticated = True
    assert next(requests) == [b"x"] * 11


def test_query_buffer_limit_closes_without_a_message() -> None:
    parser = RequestParser(max_query_buffer=64)
    parser.feed(b"*1\r\n$100\r\n")
    assert list(parser.requests()) == []
    with pytest.raises(ProtocolError) as raised:
        parser.feed(b"x" * 60)
        list(parser.requests())
    assert raised.value.message is None


# ------------------------------------------------------------------ strict integers


@pytest.mark.parametrize(
    "text, value",
    [
        (b"0", 0), (b"1", 1), (b"-1", -1), (b"9223372036854775807", 2**63 - 1),
        (b"-9223372036854775808", -(2**63)), (b"9223372036854775808", None),
        (b"", None), (b"-", None), (b"-0", None), (b"01", None), (b"+1", None), (b" 1", None),
        (b"1 ", None), (b"1.0", None), (b"\xd9\xa1", None), (b"1" * 21, None),
    ],
)
def test_parse_strict_int_is_string2ll(text: bytes, value: int | None) -> None:
    assert parse_strict_int(text) == value


# ------------------------------------------------------------------ performance


def test_large_bulk_in_small_chunks_is_parsed_in_linear_time() -> None:
    payload = b"v" * (32 * 1024 * 1024)
    data = pack(b"SET", b"key", payload)
    chunk = 4096
    parser = RequestParser()
    got: list[list[bytes]] = []
    started = time.perf_counter()
    for i in range(0, len(data), chunk):
        parser.feed(data[i : i + chunk])
        got.extend(parser.requests())
    elapsed = time.perf_counter() - started
    assert got == [[b"SET", b"key", payload]]
    # Re-joining the buffer on every 4 KB chunk copies ~140 GB here (over ten seconds);
    # holding the chunks and joining once takes about a tenth of a second.
    assert elapsed < 2.0, f"32 MB in 4 KB chunks took {elapsed:.2f}s"


def test_many_small_requests_in_small_chunks_are_parsed_in_linear_time() -> None:
    data = pack(b"SET", b"key", b"value") * 50_000
    parser = RequestParser()
    count = 0
    started = time.perf_counter()
    for i in range(0, len(data), 4096):
        parser.feed(data[i : i + 4096])
        for _ in parser.requests():
            count += 1
    elapsed = time.perf_counter() - started
    assert count == 50_000
    assert elapsed < 3.0


# ------------------------------------------------------------------ properties


def random_chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:])]


def outcome(chunks: list[bytes]) -> tuple[list[list[bytes]], str | None, bool]:
    """Requests, error text, and whether it ended in an error, never another exception."""
    parser = RequestParser(max_bulk_len=1 << 16)
    got: list[list[bytes]] = []
    try:
        for chunk in chunks:
            parser.feed(chunk)
            for argv in parser.requests():
                assert isinstance(argv, list) and argv
                assert all(type(arg) is bytes for arg in argv)
                got.append(argv)
    except ProtocolError as error:
        return got, error.message, True
    return got, None, False


request_args = st.lists(st.binary(max_size=12), min_size=1, max_size=5)
valid_request = st.one_of(
    request_args.map(lambda args: pack(*args)),
    st.lists(st.sampled_from([b"GET", b"x", b'"a b"', b"'c'", b'"\\x41"']), max_size=4).map(
        lambda words: b" ".join(words) + b"\r\n"
    ),
    st.sampled_from([b"*0\r\n", b"*-1\r\n", b"\r\n"]),
)


@st.composite
def mutated_stream(draw: st.DrawFn) -> bytes:
    data = bytearray(b"".join(draw(st.lists(valid_request, min_size=1, max_size=6))))
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "insert", "delete"]))
        byte = draw(st.sampled_from(b"*$\r\n\x00 \"'\\-0123456789x"))
        if action == "flip":
            data[at] = byte
        elif action == "insert":
            data.insert(at, byte)
        else:
            del data[at]
    return bytes(data)


byte_streams = st.one_of(
    st.binary(max_size=200),
    mutated_stream(),
    st.lists(st.sampled_from([b"*", b"$", b"\r\n", b"1", b"-", b"3", b"0", b"PING", b"\x00",
                              b'"', b"'", b" ", b"\\x4"]), max_size=40).map(b"".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=byte_streams, cuts=st.lists(st.integers(0, 10_000), max_size=12))
def test_any_byte_stream_gives_requests_need_more_or_protocol_error(
    data: bytes, cuts: list[int]
) -> None:
    whole = outcome([data])
    assert outcome(random_chunks(data, cuts)) == whole
    assert outcome([data[i : i + 1] for i in range(len(data))]) == whole


@settings(max_examples=200, deadline=None)
@given(requests=st.lists(request_args, min_size=1, max_size=8),
       cuts=st.lists(st.integers(0, 10_000), max_size=12))
def test_valid_multibulk_requests_survive_any_chunking(
    requests: list[list[bytes]], cuts: list[int]
) -> None:
    data = b"".join(pack(*args) for args in requests)
    assert outcome(random_chunks(data, cuts)) == (requests, None, False)


def test_random_chunkings_of_a_large_pipeline_agree() -> None:
    rng = random.Random(7)
    requests = [[b"SET", b"k%d" % i, bytes(rng.randrange(256) for _ in range(rng.randrange(300)))]
                for i in range(300)]
    data = b"".join(pack(*args) for args in requests)
    for _ in range(20):
        cuts = [rng.randrange(len(data)) for _ in range(rng.randrange(1, 200))]
        assert outcome(random_chunks(data, cuts)) == (requests, None, False)


# Every text a ProtocolError may carry (None: the query buffer limit, closed silently).
KNOWN_MESSAGES = {
    None, TOO_BIG_INLINE, UNBALANCED_QUOTES, TOO_BIG_MULTIBULK_COUNT,
    INVALID_MULTIBULK_LENGTH, UNAUTHENTICATED_MULTIBULK, TOO_BIG_BULK_COUNT,
    INVALID_BULK_LENGTH, UNAUTHENTICATED_BULK,
}


def is_known_message(message: str | None) -> bool:
    if message in KNOWN_MESSAGES:
        return True
    # "expected '$', got 'X'" quotes exactly one byte, surrogate-escaped if not ASCII.
    prefix, suffix = "Protocol error: expected '$', got '", "'"
    assert message is not None
    return (message.startswith(prefix) and message.endswith(suffix)
            and len(message) == len(prefix) + 1 + len(suffix))


def outcome_with(chunks: list[bytes], is_authenticated: bool,
                 limits: dict[str, int]) -> tuple[list[list[bytes]], str | None, bool]:
    """outcome() for a parser with the given authentication state and limits."""
    parser = make_parser(is_authenticated, **limits)
    got: list[list[bytes]] = []
    try:
        for chunk in chunks:
            parser.feed(chunk)
            for argv in parser.requests():
                assert isinstance(argv, list) and argv
                assert all(type(arg) is bytes for arg in argv)
                got.append(argv)
    except ProtocolError as error:
        assert is_known_message(error.message), error.message
        return got, error.message, True
    assert parser.buffered_bytes >= 0
    return got, None, False


# max_bulk_len stays at its default: proto-max-bulk-len cannot go below 1 MB, and the
# parser's whole-buffer fast path relies on that (it only takes buffers under 1 MB).
parser_limits = st.fixed_dictionaries({}, optional={"max_query_buffer": st.integers(0, 256)})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=byte_streams, cuts=st.lists(st.integers(0, 10_000), max_size=12),
       is_authenticated=st.booleans(), limits=parser_limits)
def test_any_byte_stream_under_any_limits_gives_only_known_outcomes(
    data: bytes, cuts: list[int], is_authenticated: bool, limits: dict[str, int]
) -> None:
    # Unauthenticated limits and small bulk / query-buffer limits reach the error
    # paths the default parser rarely does; whatever the chunking, the parser yields
    # requests, waits, or raises ProtocolError with one of Redis's texts.
    whole = outcome_with([data], is_authenticated, limits)
    pieces = outcome_with(random_chunks(data, cuts), is_authenticated, limits)
    bytewise = outcome_with([data[i : i + 1] for i in range(len(data))], is_authenticated,
                            limits)
    if "max_query_buffer" not in limits:
        # Only the query buffer limit depends on how much arrives at once (as in
        # Redis, which checks it per read); everything else must not.
        assert pieces == whole
        assert bytewise == whole
        return
    # The query buffer limit only cuts parsing short: what was yielded before it hit
    # is what the same parser without that limit yields first.
    unlimited = {name: value for name, value in limits.items() if name != "max_query_buffer"}
    reference = outcome_with([data], is_authenticated, unlimited)[0]
    for requests, message, failed in (whole, pieces, bytewise):
        assert requests == reference[: len(requests)]
        if failed and requests != reference:
            assert message is None


@settings(max_examples=200, deadline=None)
@given(requests=st.lists(request_args, min_size=1, max_size=8),
       cuts=st.lists(st.integers(0, 10_000), max_size=12))
def test_unauthenticated_parser_accepts_small_requests_in_any_chunking(
    requests: list[list[bytes]], cuts: list[int]
) -> None:
    # request_args stay far below the unauthenticated limits (10 elements, 16 KB).
    data = b"".join(pack(*args) for args in requests)
    assert outcome_with(random_chunks(data, cuts), False, {}) == (requests, None, False)
