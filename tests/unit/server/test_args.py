"""server.commands.args: integer and float parsing, option words, and the long double
arithmetic behind INCRBYFLOAT. Expected texts are what redis-server 7.0.15 (x86-64,
80-bit long double) answered for the same inputs."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from server import errors
from server.commands.args import (
    add_long_doubles, decimal_to_int, format_long_double, int_to_decimal, option_word,
    parse_float, parse_int, parse_long_double, round_to_long_double,
)
from server.errors import CommandError


def incr_by_float(value: bytes, increment: bytes) -> bytes:
    """What INCRBYFLOAT stores and answers."""
    result = add_long_doubles(parse_long_double(value), parse_long_double(increment))
    return format_long_double(result)


# ------------------------------------------------------------------ integers and words


@pytest.mark.parametrize("text, value", [
    (b"0", 0), (b"-1", -1), (b"9223372036854775807", 2**63 - 1),
    (b"-9223372036854775808", -(2**63)),
])
def test_parse_int_reads_64_bit_integers(text: bytes, value: int) -> None:
    assert parse_int(text) == value


@pytest.mark.parametrize("text", [b"", b" 1", b"1 ", b"+1", b"01", b"-0", b"1.0", b"0x10",
                                  b"9223372036854775808", b"-9223372036854775809"])
def test_parse_int_refuses_what_string2ll_refuses(text: bytes) -> None:
    with pytest.raises(CommandError) as error:
        parse_int(text)
    assert error.value.message == errors.NOT_INTEGER


def test_parse_int_raises_the_message_given() -> None:
    with pytest.raises(CommandError) as error:
        parse_int(b"x", errors.BIT_OFFSET)
    assert error.value.message == errors.BIT_OFFSET


@pytest.mark.parametrize("text", [b"nan", b" 1", b"1_0", b""])
def test_parse_float_refuses_nan_spaces_and_underscores(text: bytes) -> None:
    with pytest.raises(CommandError):
        parse_float(text)


@pytest.mark.parametrize("arg, word", [
    (b"nx", b"NX"), (b"Get", b"GET"), (b"NX\x00junk", b"NX"), (b"\x00NX", b""),
])
def test_option_word_uppercases_up_to_the_first_nul(arg: bytes, word: bytes) -> None:
    assert option_word(arg) == word


# ------------------------------------------------------------------ long double


@pytest.mark.parametrize("value, increment, expected", [
    (b"0.1", b"0.2", b"0.3"),
    (b"1.1", b"2.2", b"3.3"),
    (b"2.675", b"0", b"2.675"),
    (b"1e16", b"1", b"10000000000000001"),
    (b"1e17", b"1", b"100000000000000001"),
    (b"123456789.123456789", b"0", b"123456789.12345678899873747"),
    (b"-0.5", b"0.25", b"-0.25"),
    (b"1e-17", b"0", b"0.00000000000000001"),
    (b"1.5e-17", b"0", b"0.00000000000000002"),
    (b"0.000000000000000005", b"0", b"0"),
    (b"0.000000000000000015", b"0", b"0.00000000000000002"),
    (b"18446744073709551616", b"1", b"18446744073709551616"),
    (b"9223372036854775807", b"1", b"9223372036854775808"),
    (b"0.3", b"5.0e3", b"5000.29999999999999982"),
    (b"5000.29999999999999982", b"0x10", b"5016.29999999999999982"),
    (b"0x1p-16445", b"0", b"0"),
    (b"-1e-18", b"0", b"0"),
    (b"0", b"-0.0", b"0"),
])
def test_incrbyfloat_arithmetic_matches_redis(value: bytes, increment: bytes, expected: bytes) -> None:
    assert incr_by_float(value, increment) == expected


@pytest.mark.parametrize("increment, expected", [
    (b"0.000003814697265625", b"0.00000381469726562"),  # an exact tie: rounds to even
    (b"0.000011444091796875", b"0.00001144409179688"),
])
def test_format_rounds_the_17th_decimal_half_to_even_as_glibc(increment: bytes, expected: bytes) -> None:
    assert incr_by_float(b"0", increment) == expected


def test_format_writes_huge_values_in_full_past_pythons_digit_limit() -> None:
    largest = incr_by_float(b"1.18973149535723176502e+4932", b"0")
    assert len(largest) == 4933
    assert largest.startswith(b"118973149535723176502126385303097020516906")
    assert largest.endswith(b"86811989770240")


def test_format_of_a_float_is_exact() -> None:
    assert format_long_double(0.1) == b"0.10000000000000001"
    assert format_long_double(-math.inf) == b"-inf"


@pytest.mark.parametrize("text", [
    b"1", b"-1.5", b"+.5", b"5.", b"1e3", b"1E-3", b"0x1A", b"0X.8p1", b"0x1p-3",
    b"inf", b"-Infinity", b"1e-4940",
])
def test_parse_long_double_accepts_strtold_syntax(text: bytes) -> None:
    parse_long_double(text)


@pytest.mark.parametrize("text", [
    b"", b" 1", b"1 ", b"nan", b"-nan", b"1e", b"1e+", b"e5", b".", b"0x", b"0xp1", b"1_0",
    b"infin", b"1e5000", b"-1e5000", b"1e-5000", b"1" * 5120, b"1\x002",
])
def test_parse_long_double_refuses_what_string2ld_refuses(text: bytes) -> None:
    with pytest.raises(CommandError) as error:
        parse_long_double(text)
    assert error.value.message == errors.NOT_FLOAT


def test_parse_long_double_accepts_long_input_below_the_buffer_size() -> None:
    assert parse_long_double(b"0" * 5116 + b"1.5") == Fraction(3, 2)
    assert parse_long_double(b"0." + b"3" * 5117) == round_to_long_double(Fraction(1, 3))


def test_parse_long_double_with_huge_exponent_does_not_compute_it() -> None:
    with pytest.raises(CommandError):
        parse_long_double(b"1e999999999999999999999")
    assert parse_long_double(b"0e999999999999999999999") == 0


def test_round_to_long_double_keeps_64_significant_bits() -> None:
    assert round_to_long_double(Fraction(2**64 + 1)) == 2**64
    assert round_to_long_double(Fraction(2**64 + 2)) == 2**64 + 2
    assert round_to_long_double(Fraction(2**64 + 3)) == 2**64 + 4  # tie to even


def test_round_to_long_double_has_subnormals_and_overflows_to_infinity() -> None:
    smallest = Fraction(1, 2**16445)
    assert round_to_long_double(smallest) == smallest
    assert round_to_long_double(smallest * Fraction(2, 3)) == smallest
    assert round_to_long_double(smallest / 3) == 0
    assert round_to_long_double(Fraction(2**16384)) == math.inf
    assert round_to_long_double(-Fraction(2**16384)) == -math.inf


def test_add_long_doubles_with_infinities() -> None:
    assert add_long_doubles(math.inf, Fraction(10**4000)) == math.inf
    assert math.isnan(add_long_doubles(math.inf, -math.inf))
    assert add_long_doubles(Fraction(1), Fraction(2)) == 3


def test_decimal_conversions_go_past_pythons_digit_limit() -> None:
    digits = b"7" * 9000
    assert int_to_decimal(decimal_to_int(digits)) == digits
    assert int_to_decimal(-(10**5000)) == b"-1" + b"0" * 5000
