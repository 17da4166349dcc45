"""Bitmap commands over TCP: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
BITFIELD_RO.

Replies are asserted exactly (checked against redis-server 7.0.15). Bit 0 is the most
significant bit of the first byte. "Changes" are INFO's rdb_changes_since_last_save,
Redis's dirty counter: a bit write that changes nothing is not counted, so it never
reaches the AOF.
"""

from __future__ import annotations

import pytest
import redis

from tests.servers import ServerProcess
from tests.wire import call, changes, error_of, exchange

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "value is not an integer or out of range"
BIT_OFFSET = "bit offset is not an integer or out of range"
BIT_VALUE = "bit is not an integer or out of range"
BITFIELD_TYPE = ("Invalid bitfield type. Use something like i16 u8. "
                 "Note that u64 is not supported but i64 is.")


# ------------------------------------------------------------------ SETBIT, GETBIT


def test_setbit_returns_the_old_bit_and_grows_the_string_with_zeros(r: redis.Redis) -> None:
    assert call(r, "SETBIT", "b", 7, 1) == 0
    assert r.get("b") == b"\x01"
    assert call(r, "SETBIT", "b", 7, 0) == 1
    assert call(r, "SETBIT", "b", 17, 1) == 0
    assert r.get("b") == b"\x00\x00\x40"


def test_setbit_makes_the_value_a_raw_string_and_keeps_ttl(r: redis.Redis) -> None:
    r.set("b", "abc", ex=100)
    assert call(r, "SETBIT", "b", 6, 1) == 0
    assert r.get("b") == b"cbc"
    assert r.object("encoding", "b") == b"raw"
    assert r.ttl("b") == 100


def test_setbit_that_changes_nothing_is_not_counted_as_a_change(r: redis.Redis) -> None:
    before = changes(r)
    call(r, "SETBIT", "b", 3, 1)  # creates the key
    call(r, "SETBIT", "b", 3, 1)  # same bit
    call(r, "SETBIT", "b", 5, 0)  # already clear
    call(r, "SETBIT", "b", 30, 0)  # grows the string
    assert changes(r) == before + 2


@pytest.mark.parametrize("value", [2, -1, "x", "", "1.0"])
def test_setbit_value_other_than_0_or_1_is_error(r: redis.Redis, value: object) -> None:
    assert error_of(call, r, "SETBIT", "b", 0, value) == BIT_VALUE
    assert r.exists("b") == 0


@pytest.mark.parametrize("offset", [-1, "x", "#1", 4294967296, "9223372036854775808"])
def test_setbit_offset_negative_non_integer_or_past_512mb_is_error(r: redis.Redis, offset: object) -> None:
    assert error_of(call, r, "SETBIT", "b", offset, 1) == BIT_OFFSET


def test_setbit_offset_limit_follows_proto_max_bulk_len(r: redis.Redis, small_bulk_limit: int) -> None:
    assert error_of(call, r, "SETBIT", "b", small_bulk_limit * 8, 1) == BIT_OFFSET
    assert call(r, "SETBIT", "b", small_bulk_limit * 8 - 1, 1) == 0
    assert r.strlen("b") == small_bulk_limit


def test_getbit_reads_bits_and_zero_past_the_end_or_for_missing_key(r: redis.Redis) -> None:
    r.set("b", b"\x80\x01")
    assert [call(r, "GETBIT", "b", offset) for offset in (0, 1, 15, 16, 1000)] == [1, 0, 1, 0, 0]
    assert call(r, "GETBIT", "missing", 5) == 0


def test_getbit_reads_the_digits_of_an_integer_value(r: redis.Redis) -> None:
    r.set("n", 5)  # "5" is 0x35 = 00110101
    assert [call(r, "GETBIT", "n", offset) for offset in range(8)] == [0, 0, 1, 1, 0, 1, 0, 1]


def test_getbit_bad_offset_is_error_even_for_missing_key(r: redis.Redis) -> None:
    assert error_of(call, r, "GETBIT", "missing", -1) == BIT_OFFSET


def test_setbit_and_getbit_on_wrong_type_are_errors(r: redis.Redis, list_key: bytes) -> None:
    assert error_of(call, r, "SETBIT", list_key, 0, 1) == WRONGTYPE
    assert error_of(call, r, "GETBIT", list_key, 0) == WRONGTYPE


# ------------------------------------------------------------------ BITCOUNT


@pytest.mark.parametrize("args, expected", [
    ((), 26), ((0, 0), 4), ((1, 1), 6), ((1, 1, "BYTE"), 6), ((5, 30, "BIT"), 17),
    ((-1, -1), 4), ((-3, -5), 0), ((-100, 100), 26), ((-100, -50), 4), ((2, 1), 0),
    ((0, -1, "bit"), 26), ((3, -3, "BIT"), 23), (("-9223372036854775808", "9223372036854775807"), 26),
])
def test_bitcount_counts_set_bits_in_the_range(r: redis.Redis, args: tuple[object, ...], expected: int) -> None:
    r.set("s", "foobar")
    assert call(r, "BITCOUNT", "s", *args) == expected


def test_bitcount_of_missing_key_is_zero_whatever_the_arguments(r: redis.Redis) -> None:
    assert call(r, "BITCOUNT", "missing") == 0
    assert call(r, "BITCOUNT", "missing", 0) == 0
    assert call(r, "BITCOUNT", "missing", "x", "y", "z") == 0


@pytest.mark.parametrize("args", [(0,), (0, 1, "WORD"), (0, 1, "BIT", 1)])
def test_bitcount_wrong_argument_shape_is_syntax_error(r: redis.Redis, args: tuple[object, ...]) -> None:
    r.set("s", "foobar")
    assert error_of(call, r, "BITCOUNT", "s", *args) == "syntax error"


def test_bitcount_non_integer_range_is_error(r: redis.Redis) -> None:
    r.set("s", "foobar")
    assert error_of(call, r, "BITCOUNT", "s", "x", 1) == NOT_INTEGER


def test_bitcount_on_wrong_type_is_error(r: redis.Redis, list_key: bytes) -> None:
    assert error_of(call, r, "BITCOUNT", list_key) == WRONGTYPE


# ------------------------------------------------------------------ BITPOS


@pytest.mark.parametrize("args, expected", [
    ((0,), 12), ((1,), 0), ((1, 2), -1), ((0, 0, 0), -1), ((0, 0, 1), 12), ((1, 2, -1), -1),
    ((0, 5, 15, "BIT"), 12), ((1, 7, 15, "bit"), 7), ((0, 3, 23, "BIT"), 12),
    ((0, -1, -1, "BYTE"), 16), ((1, -10, -20), 0), ((0, 2, 1), -1),
])
def test_bitpos_finds_the_first_matching_bit(r: redis.Redis, args: tuple[object, ...], expected: int) -> None:
    r.set("s", b"\xff\xf0\x00")
    assert call(r, "BITPOS", "s", *args) == expected


def test_bitpos_clear_bit_not_found_is_past_the_end_without_end_and_minus_one_with(r: redis.Redis) -> None:
    r.set("ones", b"\xff\xff")
    assert call(r, "BITPOS", "ones", 0) == 16
    assert call(r, "BITPOS", "ones", 0, 0) == 16
    assert call(r, "BITPOS", "ones", 0, 1) == 16
    assert call(r, "BITPOS", "ones", 0, 0, -1) == -1
    assert call(r, "BITPOS", "ones", 0, 3, 9, "BIT") == -1


def test_bitpos_set_bit_not_found_is_minus_one(r: redis.Redis) -> None:
    r.set("zero", b"\x00\x00")
    assert call(r, "BITPOS", "zero", 1) == -1
    assert call(r, "BITPOS", "zero", 1, 1, 1) == -1


def test_bitpos_of_missing_key_is_0_for_clear_and_minus_1_for_set(r: redis.Redis) -> None:
    assert call(r, "BITPOS", "missing", 0) == 0
    assert call(r, "BITPOS", "missing", 1) == -1
    assert call(r, "BITPOS", "missing", 1, "junk") == -1


def test_bitpos_of_empty_string_is_minus_one(r: redis.Redis) -> None:
    r.set("e", "")
    assert call(r, "BITPOS", "e", 0) == -1
    assert call(r, "BITPOS", "e", 1) == -1


@pytest.mark.parametrize("bit", [2, -1])
def test_bitpos_bit_other_than_0_or_1_is_error(r: redis.Redis, bit: int) -> None:
    assert error_of(call, r, "BITPOS", "missing", bit) == "The bit argument must be 1 or 0."


@pytest.mark.parametrize("args, message", [
    (("x",), NOT_INTEGER), ((1, "x"), NOT_INTEGER), ((1, 0, "x"), NOT_INTEGER),
    ((1, 0, "BIT"), NOT_INTEGER),
    ((1, 0, "x", "FOO"), "syntax error"), ((1, 0, 1, "FOO"), "syntax error"),
    ((1, 0, 1, "BIT", 5), "syntax error"),
])
def test_bitpos_bad_arguments_are_errors(r: redis.Redis, args: tuple[object, ...], message: str) -> None:
    r.set("s", "abc")
    assert error_of(call, r, "BITPOS", "s", *args) == message


def test_bitpos_on_wrong_type_is_error(r: redis.Redis, list_key: bytes) -> None:
    assert error_of(call, r, "BITPOS", list_key, 1) == WRONGTYPE


# ------------------------------------------------------------------ BITOP


@pytest.mark.parametrize("operation, expected", [
    ("AND", b"a\x00\x00"), ("OR", b"abc"), ("XOR", b"\x00bc"), ("and", b"a\x00\x00"),
])
def test_bitop_pads_shorter_strings_with_zero_bytes(r: redis.Redis, operation: str, expected: bytes) -> None:
    r.set("a", "abc")
    r.set("b", "a")
    assert call(r, "BITOP", operation, "dest", "a", "b") == 3
    assert r.get("dest") == expected


def test_bitop_not_inverts_every_byte_into_a_raw_string(r: redis.Redis) -> None:
    r.set("a", b"\x0f\xff")
    assert call(r, "BITOP", "NOT", "dest", "a") == 2
    assert r.get("dest") == b"\xf0\x00"
    assert r.object("encoding", "dest") == b"raw"


def test_bitop_with_a_missing_source_treats_it_as_zeros(r: redis.Redis) -> None:
    r.set("a", "abc")
    assert call(r, "BITOP", "AND", "dest", "a", "missing") == 3
    assert r.get("dest") == b"\x00\x00\x00"


def test_bitop_replaces_destination_and_clears_its_ttl(r: redis.Redis) -> None:
    r.set("a", "x")
    r.set("dest", "old", ex=100)
    call(r, "BITOP", "OR", "dest", "a")
    assert r.get("dest") == b"x"
    assert r.ttl("dest") == -1


def test_bitop_with_empty_result_deletes_destination(r: redis.Redis) -> None:
    r.set("dest", "old")
    r.set("e", "")
    assert call(r, "BITOP", "NOT", "dest", "e") == 0
    assert r.exists("dest") == 0
    assert call(r, "BITOP", "AND", "dest", "missing", "missing2") == 0
    assert r.exists("dest") == 0


def test_bitop_not_with_several_sources_is_error(r: redis.Redis) -> None:
    assert error_of(call, r, "BITOP", "NOT", "dest", "a", "b") == (
        "BITOP NOT must be called with a single source key.")


def test_bitop_unknown_operation_is_syntax_error(r: redis.Redis) -> None:
    assert error_of(call, r, "BITOP", "NAND", "dest", "a") == "syntax error"


def test_bitop_with_non_string_source_is_error(r: redis.Redis, list_key: bytes) -> None:
    r.set("a", "x")
    assert error_of(call, r, "BITOP", "AND", "dest", "a", list_key) == WRONGTYPE
    assert r.exists("dest") == 0


# ------------------------------------------------------------------ BITFIELD


def test_bitfield_set_returns_old_value_and_get_reads_it(r: redis.Redis) -> None:
    assert call(r, "BITFIELD", "b", "SET", "u8", 0, 200, "GET", "u8", 0, "GET", "i8", 0) == [
        0, 200, -56]
    assert r.get("b") == b"\xc8"


def test_bitfield_incrby_returns_the_new_value_wrapping_by_default(r: redis.Redis) -> None:
    call(r, "BITFIELD", "b", "SET", "u8", 0, 200)
    assert call(r, "BITFIELD", "b", "INCRBY", "u8", 0, 100) == [44]
    assert call(r, "BITFIELD", "b", "INCRBY", "i8", 0, 100) == [-112]


def test_bitfield_overflow_sat_saturates(r: redis.Redis) -> None:
    assert call(r, "BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "u8", 0, 300,
                "INCRBY", "i8", 8, -300, "SET", "i4", 16, 100) == [255, -128, 0]
    assert call(r, "BITFIELD", "b", "GET", "i4", 16) == [7]


def test_bitfield_overflow_fail_answers_null_and_writes_nothing(ember: ServerProcess, r: redis.Redis) -> None:
    call(r, "BITFIELD", "b", "SET", "u8", 0, 250)
    assert exchange(ember.port, [("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", 0, 10,
                                  "INCRBY", "u8", 0, 1)]) == [b"*2\r\n$-1\r\n:251\r\n"]
    assert exchange(ember.port, [("BITFIELD", "b", "OVERFLOW", "FAIL", "SET", "u8", 0, 256)],
                    protocol=3) == [b"*1\r\n_\r\n"]


def test_bitfield_overflow_applies_to_the_operations_after_it(r: redis.Redis) -> None:
    assert call(r, "BITFIELD", "b", "INCRBY", "u2", 0, 5, "OVERFLOW", "SAT",
                "INCRBY", "u2", 2, 5, "OVERFLOW", "WRAP", "INCRBY", "u2", 4, 5) == [1, 3, 1]


def test_bitfield_hash_offset_counts_in_fields_of_the_type_width(r: redis.Redis) -> None:
    assert call(r, "BITFIELD", "b", "SET", "u8", "#2", 7, "GET", "u8", 16, "GET", "u4", "#5") == [
        0, 7, 7]


def test_bitfield_64_bit_signed_and_63_bit_unsigned_limits(r: redis.Redis) -> None:
    assert call(r, "BITFIELD", "b", "SET", "i64", 0, "-9223372036854775808",
                "INCRBY", "i64", 0, -1) == [0, 9223372036854775807]
    assert call(r, "BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "i64", 0, 1,
                "SET", "u63", 64, "9223372036854775807", "GET", "u63", 64) == [
        9223372036854775807, 0, 9223372036854775807]


def test_bitfield_sat_set_below_the_minimum_saturates_to_the_maximum_as_redis_does(r: redis.Redis) -> None:
    assert call(r, "BITFIELD", "b", "OVERFLOW", "SAT", "SET", "i8", 0, "-9223372036854775808",
                "GET", "i8", 0) == [0, 127]


def test_bitfield_get_on_missing_key_reads_zero_and_creates_nothing(r: redis.Redis) -> None:
    assert call(r, "BITFIELD", "missing", "GET", "u8", 0, "GET", "i64", 1000) == [0, 0]
    assert r.exists("missing") == 0


def test_bitfield_failed_write_still_creates_the_zeroed_string_uncounted(r: redis.Redis) -> None:
    before = changes(r)
    assert call(r, "BITFIELD", "fresh", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 10) == [None]
    assert r.get("fresh") == b"\x00"
    assert changes(r) == before


def test_bitfield_counts_one_change_per_write_that_changed_or_grew(r: redis.Redis) -> None:
    call(r, "BITFIELD", "b", "SET", "u8", 0, 6)
    before = changes(r)
    call(r, "BITFIELD", "b", "SET", "u8", 0, 6)
    assert changes(r) == before
    call(r, "BITFIELD", "b", "SET", "u8", 0, 5, "SET", "u8", 0, 7)
    assert changes(r) == before + 2
    call(r, "BITFIELD", "b", "SET", "u8", 200, 0, "SET", "u8", 0, 7)
    assert changes(r) == before + 4


def test_bitfield_without_operations_answers_an_empty_array(r: redis.Redis) -> None:
    assert call(r, "BITFIELD", "b") == []
    assert call(r, "BITFIELD_RO", "b") == []


def test_bitfield_keeps_ttl(r: redis.Redis) -> None:
    r.set("b", "v", ex=100)
    call(r, "BITFIELD", "b", "SET", "u8", 0, 1)
    assert r.ttl("b") == 100


@pytest.mark.parametrize("field_type", ["u64", "i65", "i0", "u0", "I8", "u", "8", "u-1", "ux"])
def test_bitfield_invalid_type_is_error(r: redis.Redis, field_type: str) -> None:
    assert error_of(call, r, "BITFIELD", "b", "GET", field_type, 0) == BITFIELD_TYPE


@pytest.mark.parametrize("args, message", [
    (("GET", "u8"), "syntax error"), (("SET", "u8", 0), "syntax error"),
    (("INCRBY", "u8", 0), "syntax error"), (("FOO", "u8", 0), "syntax error"),
    (("OVERFLOW",), "syntax error"), (("OVERFLOW", "BAD", "GET", "u8", 0),
                                      "Invalid OVERFLOW type specified"),
    (("SET", "u8", 0, "x"), NOT_INTEGER), (("GET", "u8", "#-1"), BIT_OFFSET),
    (("GET", "u8", "x"), BIT_OFFSET), (("GET", "u8", 4294967296), BIT_OFFSET),
])
def test_bitfield_bad_arguments_are_errors(r: redis.Redis, args: tuple[object, ...], message: str) -> None:
    assert error_of(call, r, "BITFIELD", "b", *args) == message
    assert r.exists("b") == 0


def test_bitfield_operation_words_are_case_insensitive(r: redis.Redis) -> None:
    assert call(r, "BITFIELD", "b", "set", "u8", 0, 3, "overflow", "fail", "incrby", "u2", 0, 9,
                "get", "u8", 0) == [0, None, 3]


def test_bitfield_ro_reads_fields(r: redis.Redis) -> None:
    r.set("b", b"\x12\x34")
    assert call(r, "BITFIELD_RO", "b", "GET", "u8", 0, "GET", "i4", 12) == [0x12, 4]


@pytest.mark.parametrize("args", [("SET", "u8", 0, 1), ("INCRBY", "u8", 0, 1),
                                  ("GET", "u8", 0, "SET", "u8", 0, 1)])
def test_bitfield_ro_refuses_writes(r: redis.Redis, args: tuple[object, ...]) -> None:
    assert error_of(call, r, "BITFIELD_RO", "b", *args) == (
        "BITFIELD_RO only supports the GET subcommand")
    assert r.exists("b") == 0


def test_bitfield_on_wrong_type_is_error(r: redis.Redis, list_key: bytes) -> None:
    assert error_of(call, r, "BITFIELD", list_key, "GET", "u8", 0) == WRONGTYPE
    assert error_of(call, r, "BITFIELD", list_key, "SET", "u8", 0, 1) == WRONGTYPE
    assert error_of(call, r, "BITFIELD_RO", list_key, "GET", "u8", 0) == WRONGTYPE
