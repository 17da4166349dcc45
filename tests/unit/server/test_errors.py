"""server/errors.py: the messages that quote client bytes, checked down to the bytes the
encoder writes (Redis's %s formatting; the live comparison with redis-server is in
tests/blackbox/test_protocol_errors.py)."""

from __future__ import annotations

import pytest

from protocol.resp import encode_error
from server import errors


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([b"NOSUCH", b"ab\xff"], b"'NOSUCH', with args beginning with: 'ab\xff' "),
        ([b"NOSUCH", b"a\x00b"], b"'NOSUCH', with args beginning with: 'a' "),
        ([b"NO\x00SUCH", b"x"], b"'NO', with args beginning with: 'x' "),
        ([b"NOSUCH", b"a\r\nb"], b"'NOSUCH', with args beginning with: 'a  b' "),
        ([b"\xed\xa0\x80"], b"'\xed\xa0\x80', with args beginning with: "),
        ([b""], b"'', with args beginning with: "),
    ],
)
def test_unknown_command_writes_back_the_raw_bytes(argv: list[bytes], expected: bytes) -> None:
    wire = encode_error(errors.unknown_command(argv))
    assert wire == b"-ERR unknown command " + expected + b"\r\n"


def test_unknown_command_preview_is_cut_at_128_bytes_not_characters() -> None:
    # "'" + 'x'*120 + "' '" leaves 5 bytes: two and a half two-byte characters.
    wire = encode_error(errors.unknown_command([b"NOSUCH", b"x" * 120, "\u00e9".encode() * 3]))
    assert wire.endswith(b"'" + b"x" * 120 + b"' '\xc3\xa9\xc3\xa9\xc3' \r\n")


def test_unknown_command_name_is_cut_at_128_bytes() -> None:
    wire = encode_error(errors.unknown_command([b"\xff" * 200]))
    assert wire == b"-ERR unknown command '" + b"\xff" * 128 + b"', with args beginning with: \r\n"


def test_preview_stops_once_it_reaches_128_bytes() -> None:
    message = errors.unknown_command([b"NOSUCH"] + [b"abc"] * 60)
    preview = encode_error(message).split(b"beginning with: ", 1)[1]
    assert preview == b"'abc' " * 21 + b"'ab' \r\n"


def test_unknown_subcommand_quotes_raw_bytes_up_to_nul() -> None:
    assert encode_error(errors.unknown_subcommand("config", b"\xffbad\x00x")) == (
        b"-ERR unknown subcommand '\xffbad'. Try CONFIG HELP.\r\n"
    )
    assert encode_error(errors.unknown_subcommand_or_arity("slowlog", b"G\xfeT")) == (
        b"-ERR unknown subcommand or wrong number of arguments for 'G\xfeT'. "
        b"Try SLOWLOG HELP.\r\n"
    )


def test_error_code_is_the_first_word_whatever_the_bytes() -> None:
    # INFO errorstats counts by the first word of the message.
    assert errors.unknown_command([b"\xff x", b"\xfe"]).split(" ", 1)[0] == "ERR"


@pytest.mark.parametrize(
    "arg, limit, wire",
    [(b"\xffx\x00y", None, b"\xffx"), (b"abc", None, b"abc"), (b"abcdef", 3, b"abc"),
     (b"a\x00bcdef", 3, b"a"), (b"\xc3\xa9\xc3\xa9", 3, b"\xc3\xa9\xc3")],
)
def test_arg_text_is_what_c_percent_s_prints(arg: bytes, limit: int | None, wire: bytes) -> None:
    assert errors.arg_text(arg, limit).encode("utf-8", "surrogateescape") == wire
