"""The parser's canonical fast path must be invisible: for any byte stream, cut into any
chunks, the requests, the error and the point where it stops are the same as the slow,
byte-by-byte path alone gives (a parser whose fast path is switched off)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.resp import ProtocolError, RequestParser


def run(parser: RequestParser, chunks: list[bytes]) -> tuple[list[list[bytes]], str | None, int]:
    """Feed chunk by chunk as ClientConnection.data_received does: a chunk that is one
    whole request is taken at once when the parser offers it (the fast parser only)."""
    requests: list[list[bytes]] = []
    for chunk in chunks:
        try:
            whole = parser.take_whole_request(chunk)
            if whole is not None:
                requests.append(whole)
                continue
            parser.feed(chunk)
            requests.extend(parser.requests())
        except ProtocolError as error:
            return requests, error.message or "limit", parser.buffered_bytes
    return requests, None, parser.buffered_bytes


def both(chunks: list[bytes], authenticated: bool = True) -> None:
    fast, slow = RequestParser(), RequestParser()
    slow.fast_path_max_buffer = -1
    fast.is_authenticated = slow.is_authenticated = authenticated
    assert run(fast, chunks) == run(slow, chunks)


def canonical(argv: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in argv)


def cut(data: bytes, points: list[int]) -> list[bytes]:
    edges = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in zip(edges, edges[1:])] or [b""]


# Values that stress the split: CRLFs, lone CR/LF, '$' and '*' that look like headers.
values = st.one_of(
    st.binary(max_size=20),
    st.sampled_from([b"\r\n", b"a\r\nb", b"$3\r\nabc", b"*1\r\n$1\r\nx\r\n", b"\r", b"\n", b""]),
)
requests = st.lists(st.lists(values, min_size=1, max_size=5), min_size=1, max_size=12)
# Damage: the mutations hostile or broken clients produce.
noise = st.sampled_from([
    b"", b"PING\r\n", b"*0\r\n", b"*-1\r\n", b"*2\r\n+OK\r\n", b"*1\r\n$03\r\nabc\r\n",
    b"*1\r\n$-1\r\n", b"*1\r\n:1\r\n", b"*+1\r\n$1\r\nx\r\n", b"*1\r\n$1\r\nxYZ", b"\r\n",
    b"*1\r\n$1\r\nx\n", b"*1\r\n$1\0\r\nx\r\n", b"*11\r\n", b"*99999999999\r\n",
])


@settings(max_examples=400, deadline=None)
@given(requests, st.lists(st.integers(min_value=0), max_size=6))
def test_canonical_streams_parse_the_same(batch: list[list[bytes]], points: list[int]) -> None:
    data = b"".join(canonical(argv) for argv in batch)
    both(cut(data, points))
    fast = RequestParser()
    assert run(fast, cut(data, points)) == (batch, None, 0)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(requests.map(lambda b: b"".join(map(canonical, b))), noise),
                max_size=6),
       st.lists(st.integers(min_value=0), max_size=6), st.booleans())
def test_damaged_streams_parse_the_same(parts: list[bytes], points: list[int],
                                        authenticated: bool) -> None:
    both(cut(b"".join(parts), points), authenticated)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.lists(st.integers(min_value=0), max_size=4))
def test_random_bytes_parse_the_same(data: bytes, points: list[int]) -> None:
    both(cut(b"*1\r\n$1\r\nx\r\n" + data, points))


def test_a_whole_request_is_taken_only_when_nothing_is_buffered() -> None:
    parser = RequestParser()
    assert parser.take_whole_request(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") == [b"GET", b"k"]
    parser.feed(b"*1\r\n$4\r\nPI")  # half a request waits in the buffer
    assert list(parser.requests()) == []
    assert parser.take_whole_request(b"*1\r\n$4\r\nPING\r\n") is None
    parser.feed(b"NG\r\n")
    assert list(parser.requests()) == [[b"PING"]]
    assert parser.take_whole_request(b"*1\r\n$4\r\nPING\r\n") == [b"PING"]


def test_only_one_canonical_request_is_taken_whole() -> None:
    parser = RequestParser()
    one = b"*1\r\n$4\r\nPING\r\n"
    for data in (one + one, one[:-1], b"PING\r\n", b"*1\r\n$04\r\nPING\r\n",
                 b"*1\r\n+PING\r\n", b"*2\r\n$4\r\nPING\r\n", b"*0\r\n", b""):
        assert parser.take_whole_request(data) is None, data
    parser.is_authenticated = False  # an unauthenticated client's limits need the slow path
    assert parser.take_whole_request(one) is None
