"""encode(reply, protocol): one table of (reply, protocol, bytes) per reply type.

The RESP2 forms are what Redis 7.0 sends a RESP2 client for the same reply
(networking.c addReplyMapLen, addReplyNull, addReplyBool, addReplyDouble with %.17g,
addReplyVerbatim); the RESP3 forms are the RESP3 types.
"""

from __future__ import annotations

import math

import pytest

from protocol.replies import (
    NULL_ARRAY,
    OK,
    PONG,
    QUEUED,
    Bool,
    Double,
    ErrorReply,
    Map,
    Push,
    RawReply,
    SetReply,
    SimpleString,
    Verbatim,
)
from protocol.resp import encode, encode_error

CASES = [
    # bulk strings
    (b"hello", 2, b"$5\r\nhello\r\n"),
    (b"hello", 3, b"$5\r\nhello\r\n"),
    (b"", 2, b"$0\r\n\r\n"),
    (b"a\r\nb\x00", 2, b"$5\r\na\r\nb\x00\r\n"),
    (bytearray(b"xy"), 2, b"$2\r\nxy\r\n"),
    ("text", 2, b"$4\r\ntext\r\n"),
    ("\u00e9", 3, b"$2\r\n\xc3\xa9\r\n"),
    # integers
    (0, 2, b":0\r\n"),
    (-42, 3, b":-42\r\n"),
    (2**63 - 1, 2, b":9223372036854775807\r\n"),
    (-(2**63), 2, b":-9223372036854775808\r\n"),
    # simple strings
    (OK, 2, b"+OK\r\n"),
    (PONG, 3, b"+PONG\r\n"),
    (QUEUED, 2, b"+QUEUED\r\n"),
    (SimpleString(b"string"), 3, b"+string\r\n"),
    # errors
    (ErrorReply("ERR syntax error"), 2, b"-ERR syntax error\r\n"),
    (ErrorReply("WRONGTYPE Operation against a key holding the wrong kind of value"), 3,
     b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    # null bulk / null array
    (None, 2, b"$-1\r\n"),
    (None, 3, b"_\r\n"),
    (NULL_ARRAY, 2, b"*-1\r\n"),
    (NULL_ARRAY, 3, b"_\r\n"),
    # arrays
    ([], 2, b"*0\r\n"),
    ([b"a", 1, None], 2, b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n"),
    ([b"a", 1, None], 3, b"*3\r\n$1\r\na\r\n:1\r\n_\r\n"),
    ((b"t", b"u"), 2, b"*2\r\n$1\r\nt\r\n$1\r\nu\r\n"),
    # maps
    (Map([]), 2, b"*0\r\n"),
    (Map([]), 3, b"%0\r\n"),
    (Map([(b"k", 1), (b"j", b"v")]), 2, b"*4\r\n$1\r\nk\r\n:1\r\n$1\r\nj\r\n$1\r\nv\r\n"),
    (Map([(b"k", 1), (b"j", b"v")]), 3, b"%2\r\n$1\r\nk\r\n:1\r\n$1\r\nj\r\n$1\r\nv\r\n"),
    # sets
    (SetReply([b"a", b"b"]), 2, b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (SetReply([b"a", b"b"]), 3, b"~2\r\n$1\r\na\r\n$1\r\nb\r\n"),
    (SetReply([]), 3, b"~0\r\n"),
    # push
    (Push([b"message", b"ch", b"hi"]), 2, b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"),
    (Push([b"message", b"ch", b"hi"]), 3, b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"),
    # doubles: %.17g, like Redis 7.0's addReplyDouble
    (Double(1.5), 2, b"$3\r\n1.5\r\n"),
    (Double(1.5), 3, b",1.5\r\n"),
    (Double(0.1), 2, b"$19\r\n0.10000000000000001\r\n"),
    (Double(0.1), 3, b",0.10000000000000001\r\n"),
    (Double(3.0), 2, b"$1\r\n3\r\n"),
    (Double(3.0), 3, b",3\r\n"),
    (Double(-0.0), 3, b",-0\r\n"),
    (Double(1e20), 2, b"$5\r\n1e+20\r\n"),
    (Double(1e-5), 3, b",1.0000000000000001e-05\r\n"),
    (Double(123456789012345678.0), 3, b",1.2345678901234568e+17\r\n"),
    (Double(math.inf), 2, b"$3\r\ninf\r\n"),
    (Double(math.inf), 3, b",inf\r\n"),
    (Double(-math.inf), 2, b"$4\r\n-inf\r\n"),
    (Double(-math.inf), 3, b",-inf\r\n"),
    (Double(math.nan), 2, b"$3\r\nnan\r\n"),
    (Double(math.nan), 3, b",nan\r\n"),
    (2.5, 2, b"$3\r\n2.5\r\n"),
    (2.5, 3, b",2.5\r\n"),
    # booleans
    (Bool(True), 2, b":1\r\n"),
    (Bool(False), 2, b":0\r\n"),
    (Bool(True), 3, b"#t\r\n"),
    (Bool(False), 3, b"#f\r\n"),
    (True, 3, b"#t\r\n"),
    (False, 2, b":0\r\n"),
    # verbatim strings
    (Verbatim(b"line1\nline2"), 2, b"$11\r\nline1\nline2\r\n"),
    (Verbatim(b"line1\nline2"), 3, b"=15\r\ntxt:line1\nline2\r\n"),
    (Verbatim(b"# md", b"mkd"), 3, b"=8\r\nmkd:# md\r\n"),
    (Verbatim(b""), 3, b"=4\r\ntxt:\r\n"),
    # raw, already-encoded replies
    (RawReply(b"+OK\r\n"), 2, b"+OK\r\n"),
    (RawReply(b"%0\r\n"), 3, b"%0\r\n"),
]


@pytest.mark.parametrize("reply, protocol, expected", CASES)
def test_encode(reply: object, protocol: int, expected: bytes) -> None:
    assert encode(reply, protocol) == expected


NESTED = [
    b"top",
    Map([(b"inner", [1, Double(2.0), None]), (b"set", SetReply([b"x"]))]),
    [NULL_ARRAY, Bool(False), Verbatim(b"v")],
]


def test_nested_reply_resp2() -> None:
    assert encode(NESTED, 2) == (
        b"*3\r\n"
        b"$3\r\ntop\r\n"
        b"*4\r\n$5\r\ninner\r\n*3\r\n:1\r\n$1\r\n2\r\n$-1\r\n$3\r\nset\r\n*1\r\n$1\r\nx\r\n"
        b"*3\r\n*-1\r\n:0\r\n$1\r\nv\r\n"
    )


def test_nested_reply_resp3() -> None:
    assert encode(NESTED, 3) == (
        b"*3\r\n"
        b"$3\r\ntop\r\n"
        b"%2\r\n$5\r\ninner\r\n*3\r\n:1\r\n,2\r\n_\r\n$3\r\nset\r\n~1\r\n$1\r\nx\r\n"
        b"*3\r\n_\r\n#f\r\n=5\r\ntxt:v\r\n"
    )


def test_map_with_aggregate_keys_and_values() -> None:
    reply = Map([([b"a", b"b"], Map([(b"c", 1)]))])
    assert encode(reply, 2) == b"*2\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n*2\r\n$1\r\nc\r\n:1\r\n"
    assert encode(reply, 3) == b"%1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n%1\r\n$1\r\nc\r\n:1\r\n"


def test_push_inside_resp2_is_a_plain_array() -> None:
    assert encode(Push([b"subscribe", b"ch", 1]), 2) == b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"


def test_default_protocol_is_resp2() -> None:
    assert encode(None) == b"$-1\r\n"
    assert encode(Map([(b"k", b"v")])) == b"*2\r\n$1\r\nk\r\n$1\r\nv\r\n"


@pytest.mark.parametrize(
    "message, expected",
    [
        ("ERR plain", b"-ERR plain\r\n"),
        ("ERR a\r\nb", b"-ERR a  b\r\n"),
        ("ERR line\nbreak", b"-ERR line break\r\n"),
        ("ERR cr\ronly", b"-ERR cr only\r\n"),
        ("ERR unknown command 'x\r\n+OK', with args beginning with: ",
         b"-ERR unknown command 'x  +OK', with args beginning with: \r\n"),
        # A request byte quoted in an error goes back as the same byte.
        ("ERR Protocol error: expected '$', got '\udcff'",
         b"-ERR Protocol error: expected '$', got '\xff'\r\n"),
    ],
)
def test_error_text_cannot_break_the_protocol(message: str, expected: bytes) -> None:
    assert encode_error(message) == expected
    assert encode(ErrorReply(message), 3) == expected


def test_unknown_reply_type_is_a_bug() -> None:
    with pytest.raises(TypeError):
        encode(object(), 2)
