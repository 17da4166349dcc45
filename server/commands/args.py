"""Argument parsing shared by command modules; every failure raises Redis's exact error."""

from __future__ import annotations

import math

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


def format_long_double(value: float) -> bytes:
    """INCRBYFLOAT's and HINCRBYFLOAT's output: %.17Lg-like, trailing zeros removed.

    Redis prints long doubles with "%.17Lf" and strips trailing zeros; with Python's
    double we use repr-like shortest output when it round-trips, which agrees with Redis
    for every value representable in a double.
    """
    if math.isinf(value):
        return b"inf" if value > 0 else b"-inf"
    if value == int(value) and abs(value) < 1e17:
        return b"%d" % int(value)
    text = repr(value)
    if "e" in text or "E" in text:
        text = "%.17f" % value
        text = text.rstrip("0").rstrip(".")
    return text.encode()
