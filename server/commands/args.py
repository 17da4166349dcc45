"""Argument parsing shared by command modules; every failure raises Redis's exact error."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Union

from protocol.resp import parse_strict_int
from server import errors
from server.errors import CommandError

LLONG_MIN = -(2**63)
LLONG_MAX = 2**63 - 1


def parse_int(arg: bytes, message: str = errors.NOT_INTEGER) -> int:
    """A 64-bit signed integer written exactly as Redis's string2ll accepts it."""
    value = parse_strict_int(arg)
    if value is None:
        raise CommandError(message)
    return value


def parse_nonnegative_int(arg: bytes, message: str) -> int:
    value = parse_int(arg)
    if value < 0:
        raise CommandError(message)
    return value


def parse_float(arg: bytes, message: str = errors.NOT_FLOAT) -> float:
    """A double as strtod reads it (inf, -inf allowed; nan and spaces refused)."""
    if not arg or arg[0] in b" \t\n\r\v\f" or arg[-1] in b" \t\n\r\v\f":
        raise CommandError(message)
    try:
        value = float(arg)
    except ValueError:
        raise CommandError(message) from None
    if math.isnan(value) or b"_" in arg:
        raise CommandError(message)
    return value


def parse_timeout_s(arg: bytes) -> float:
    """Blocking-command timeouts: float seconds, 0 forever."""
    try:
        value = float(arg)
    except ValueError:
        raise CommandError(errors.TIMEOUT_NOT_FLOAT) from None
    if math.isnan(value) or math.isinf(value):
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    if value < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return value


def upper(arg: bytes) -> bytes:
    return arg.upper()


def option_word(arg: bytes) -> bytes:
    """An option name as Redis compares it (strcasecmp on a C string): uppercased and
    cut at the first NUL byte, so `NX\\0junk` reads as NX, as it does in Redis."""
    nul = arg.find(b"\0")
    return (arg if nul < 0 else arg[:nul]).upper()


# ------------------------------------------------------------------ long double
#
# INCRBYFLOAT and HINCRBYFLOAT compute in C's long double, which on x86-64 is the x87
# 80-bit format: a 64-bit significand and exponents down to 2**-16382 (subnormals to
# 2**-16445). A finite value is kept here as an exact Fraction, rounded to that format
# after parsing and after every addition, as strtold and the FPU round (to nearest,
# ties to even); the infinities are float('inf') and float('-inf'). Python's double
# would print 0.1 + 0.2 as 0.30000000000000004 where Redis answers 0.3.

LongDouble = Union[Fraction, float]

MAX_LONG_DOUBLE_CHARS = 5 * 1024  # Redis's buffer; longer input is not a valid float
_LD_SIGNIFICAND_BITS = 64
_LD_QUANTUM_EXPONENT = -16382 - _LD_SIGNIFICAND_BITS + 1  # weight of the smallest subnormal
_LD_OVERFLOW = 2**16384
_MAX_DECIMAL_EXPONENT = 4933  # 10**4933 > the largest long double (about 1.19e4932)
_MIN_DECIMAL_EXPONENT = -4952  # 10**-4952 < half the smallest subnormal (about 3.6e-4951)
_MAX_INT_STR_DIGITS = 4000  # below Python's int/str conversion limit (4300)
_INT_STR_LIMIT = 10**_MAX_INT_STR_DIGITS

_DECIMAL_FLOAT = re.compile(rb"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?\Z")
_HEX_FLOAT = re.compile(
    rb"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?\Z")
_INFINITY = re.compile(rb"([+-]?)(?:inf|infinity)\Z", re.IGNORECASE)


def round_to_long_double(exact: Fraction) -> LongDouble:
    """The long double nearest to `exact` (ties to even); ±inf beyond the largest."""
    return _round_ratio(exact.numerator, exact.denominator)


def _round_ratio(numerator: int, den: int) -> LongDouble:
    """round_to_long_double(numerator / den) for den > 0, on plain integers (Fraction
    arithmetic would normalise every intermediate result)."""
    if numerator == 0:
        return Fraction(0)
    num = abs(numerator)
    exponent = num.bit_length() - den.bit_length()  # floor(log2) is this or one less
    if (num < den << exponent) if exponent >= 0 else (num << -exponent < den):
        exponent -= 1
    quantum = max(exponent - _LD_SIGNIFICAND_BITS + 1, _LD_QUANTUM_EXPONENT)
    divisor = den if quantum <= 0 else den << quantum
    units, rest = divmod(num << -quantum if quantum <= 0 else num, divisor)
    if 2 * rest > divisor or (2 * rest == divisor and units & 1):
        units += 1
    if quantum >= 0 and units << quantum >= _LD_OVERFLOW:
        return math.inf if numerator > 0 else -math.inf
    if numerator < 0:
        units = -units
    return Fraction(units << quantum) if quantum >= 0 else Fraction(units, 1 << -quantum)


def parse_long_double(arg: bytes, message: str = errors.NOT_FLOAT) -> LongDouble:
    """A long double as Redis's string2ld reads it: all of `arg` must be a strtold
    number (decimal, hex, inf/infinity); no spaces, no NaN, and no overflow or
    underflow to zero."""
    if not arg or len(arg) >= MAX_LONG_DOUBLE_CHARS:
        raise CommandError(message)
    match = _DECIMAL_FLOAT.match(arg)
    if match is not None:
        num, den = _decimal_ratio(match, message)
    else:
        match = _HEX_FLOAT.match(arg)
        if match is not None:
            num, den = _hex_ratio(match, message)
        elif _INFINITY.match(arg):
            return -math.inf if arg[0] == 45 else math.inf
        else:
            raise CommandError(message)
    value = _round_ratio(num, den)
    if isinstance(value, float) or (value == 0 and num != 0):
        raise CommandError(message)
    return value


def _decimal_ratio(match: re.Match[bytes], message: str) -> tuple[int, int]:
    sign, whole, fraction, exponent_text = match.groups()
    fraction = fraction or b""
    if not whole and not fraction:
        raise CommandError(message)
    digits = (whole + fraction).lstrip(b"0")
    if not digits:
        return 0, 1
    exponent = _bounded_exponent(exponent_text) - len(fraction)
    if len(digits) + exponent - 1 >= _MAX_DECIMAL_EXPONENT:
        raise CommandError(message)  # overflows
    if len(digits) + exponent < _MIN_DECIMAL_EXPONENT:
        raise CommandError(message)  # underflows to zero
    mantissa = decimal_to_int(digits)
    if sign == b"-":
        mantissa = -mantissa
    return (mantissa * 10**exponent, 1) if exponent >= 0 else (mantissa, 10**-exponent)


def _hex_ratio(match: re.Match[bytes], message: str) -> tuple[int, int]:
    sign, whole, fraction, exponent_text = match.groups()
    fraction = fraction or b""
    if not whole and not fraction:
        raise CommandError(message)
    mantissa = int(whole + fraction, 16)
    if mantissa == 0:
        return 0, 1
    exponent = _bounded_exponent(exponent_text) - 4 * len(fraction)
    top_bit = mantissa.bit_length() + exponent
    if top_bit > 16384 or top_bit < _LD_QUANTUM_EXPONENT - 1:
        raise CommandError(message)
    if sign == b"-":
        mantissa = -mantissa
    return (mantissa << exponent, 1) if exponent >= 0 else (mantissa, 1 << -exponent)


def _bounded_exponent(text: bytes | None) -> int:
    """The exponent, clamped where any nonzero mantissa over- or underflows anyway."""
    if not text:
        return 0
    negative = text[0] == 45
    digits = text.lstrip(b"+-").lstrip(b"0") or b"0"
    if len(digits) > 9:
        return -(10**9) if negative else 10**9
    return -int(digits) if negative else int(digits)


def decimal_to_int(digits: bytes) -> int:
    """int(digits) without Python's limit on digit-string conversions."""
    if len(digits) <= _MAX_INT_STR_DIGITS:
        return int(digits)
    low = _MAX_INT_STR_DIGITS
    return decimal_to_int(digits[:-low]) * 10**low + int(digits[-low:])


def int_to_decimal(value: int) -> bytes:
    """b"%d" % value without Python's limit on digit-string conversions."""
    if value < 0:
        return b"-" + int_to_decimal(-value)
    if value < _INT_STR_LIMIT:
        return b"%d" % value
    high, low = divmod(value, _INT_STR_LIMIT)
    return int_to_decimal(high) + (b"%d" % low).rjust(_MAX_INT_STR_DIGITS, b"0")


def add_long_doubles(a: LongDouble, b: LongDouble) -> LongDouble:
    """a + b in long double arithmetic; NaN for inf + -inf."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return _round_ratio(a.numerator * b.denominator + b.numerator * a.denominator,
                            a.denominator * b.denominator)
    if isinstance(a, float) and isinstance(b, float):
        return a + b
    return a if isinstance(a, float) else b  # an infinity plus a finite value


def format_long_double(value: LongDouble) -> bytes:
    """Redis's "human" long double text (ld2string LD_STR_HUMAN): printf's %.17Lf, whose
    last digit is rounded half to even as glibc does, with trailing zeros and a bare
    point removed, and -0 written as 0."""
    if isinstance(value, float):
        if math.isinf(value):
            return b"inf" if value > 0 else b"-inf"
        value = Fraction(value)
    den = value.denominator
    units, rest = divmod(abs(value.numerator) * 10**17, den)
    if 2 * rest > den or (2 * rest == den and units & 1):
        units += 1
    digits = int_to_decimal(units).rjust(18, b"0")
    whole, fraction = digits[:-17], digits[-17:].rstrip(b"0")
    text = whole + b"." + fraction if fraction else whole
    if value < 0 and text != b"0":
        text = b"-" + text
    return text
