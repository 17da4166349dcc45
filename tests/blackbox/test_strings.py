"""String commands over TCP: GET, SET and its variants, GETSET/GETDEL/GETEX, MGET/MSET/
MSETNX, APPEND, STRLEN, the INCR family, INCRBYFLOAT, GETRANGE/SUBSTR, SETRANGE and LCS.

Replies are asserted exactly; where the RESP type matters (status vs bulk, null bulk vs
RESP3 null, map vs array) the raw bytes are read off a plain socket. Expected values
were checked against redis-server 7.0.15. "Changes" are INFO's
rdb_changes_since_last_save, Redis's dirty counter, which decides what reaches the AOF.
"""

from __future__ import annotations

import time

import pytest
import redis

from tests.servers import ServerProcess
from tests.wire import call, changes, error_of, exchange

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "value is not an integer or out of range"
NOT_FLOAT = "value is not a valid float"
FAR_MS = 4_000_000_000_000  # a deadline in 2096


# ------------------------------------------------------------------ GET and SET


def test_get_of_missing_key_is_null_bulk_in_resp2_and_null_in_resp3(ember: ServerProcess) -> None:
    assert exchange(ember.port, [("GET", "no-such-key")]) == [b"$-1\r\n"]
    assert exchange(ember.port, [("GET", "no-such-key")], protocol=3) == [b"_\r\n"]


def test_set_replies_ok_status_and_get_returns_value_bytes(ember: ServerProcess, r: redis.Redis) -> None:
    value = b"\x00\xffbinary\r\nvalue"
    assert exchange(ember.port, [("SET", "k", value), ("GET", "k")]) == [
        b"+OK\r\n", b"$%d\r\n%b\r\n" % (len(value), value)]


def test_set_overwrites_any_type_and_clears_ttl(r: redis.Redis) -> None:
    r.set("k", "old", ex=100)
    assert r.set("k", "new") is True
    assert r.get("k") == b"new"
    assert r.ttl("k") == -1


def test_set_nx_sets_only_a_missing_key(r: redis.Redis) -> None:
    assert call(r, "SET", "k", "1", "NX") == b"OK"
    assert call(r, "SET", "k", "2", "NX") is None
    assert r.get("k") == b"1"


def test_set_xx_sets_only_an_existing_key(r: redis.Redis) -> None:
    assert call(r, "SET", "k", "1", "XX") is None
    assert r.exists("k") == 0
    r.set("k", "1")
    assert call(r, "SET", "k", "2", "XX") == b"OK"
    assert r.get("k") == b"2"


@pytest.mark.parametrize("options", [("NX", "XX"), ("XX", "NX"), ("NX", "GET", "XX")])
def test_set_nx_with_xx_is_syntax_error(r: redis.Redis, options: tuple[str, ...]) -> None:
    assert error_of(call, r, "SET", "k", "v", *options) == "syntax error"


def test_set_get_returns_the_old_value_and_sets_the_new(r: redis.Redis) -> None:
    assert call(r, "SET", "k", "1", "GET") is None
    assert call(r, "SET", "k", "2", "GET") == b"1"
    assert r.get("k") == b"2"


def test_set_get_with_nx_on_existing_key_returns_old_value_without_setting(r: redis.Redis) -> None:
    r.set("k", "old")
    assert call(r, "SET", "k", "new", "NX", "GET") == b"old"
    assert r.get("k") == b"old"


def test_set_get_with_xx_on_missing_key_returns_null_without_setting(r: redis.Redis) -> None:
    assert call(r, "SET", "k", "new", "XX", "GET") is None
    assert r.exists("k") == 0


def test_set_repeated_flags_are_accepted(r: redis.Redis) -> None:
    assert call(r, "SET", "k", "1", "NX", "NX") == b"OK"
    assert call(r, "SET", "k", "2", "GET", "GET") == b"1"
    assert call(r, "SET", "k", "3", "KEEPTTL", "KEEPTTL") == b"OK"


def test_set_ex_sets_ttl_in_seconds(r: redis.Redis) -> None:
    assert call(r, "SET", "k", "v", "EX", 100) == b"OK"
    assert r.ttl("k") == 100


def test_set_px_sets_ttl_in_milliseconds(r: redis.Redis) -> None:
    call(r, "SET", "k", "v", "PX", 100_000)
    assert 99_000 < r.pttl("k") <= 100_000


def test_set_exat_and_pxat_set_absolute_deadlines(r: redis.Redis) -> None:
    call(r, "SET", "a", "v", "EXAT", FAR_MS // 1000)
    call(r, "SET", "b", "v", "PXAT", FAR_MS + 1)
    assert call(r, "PEXPIRETIME", "a") == FAR_MS
    assert call(r, "PEXPIRETIME", "b") == FAR_MS + 1


def test_set_keepttl_keeps_the_existing_deadline(r: redis.Redis) -> None:
    call(r, "SET", "k", "v", "PXAT", FAR_MS)
    assert call(r, "SET", "k", "w", "KEEPTTL") == b"OK"
    assert r.get("k") == b"w"
    assert call(r, "PEXPIRETIME", "k") == FAR_MS


def test_set_with_a_repeated_expire_option_takes_the_last(r: redis.Redis) -> None:
    call(r, "SET", "k", "v", "EX", 10, "EX", 100)
    assert r.ttl("k") == 100


@pytest.mark.parametrize("options", [
    ("EX", 10, "PX", 10), ("PX", 10, "EXAT", FAR_MS), ("EX", 10, "KEEPTTL"),
    ("KEEPTTL", "PXAT", FAR_MS), ("EX",), ("PX",), ("PERSIST",), ("FOO",), ("EX", 10, "FOO"),
])
def test_set_bad_option_combination_is_syntax_error(r: redis.Redis, options: tuple[object, ...]) -> None:
    assert error_of(call, r, "SET", "k", "v", *options) == "syntax error"
    assert r.exists("k") == 0


@pytest.mark.parametrize("option, value", [
    ("EX", 0), ("EX", -1), ("PX", 0), ("EXAT", 0), ("PXAT", -5),
    ("EX", "9223372036854776"), ("PX", "9223372036854775807"),
])
def test_set_expire_not_positive_or_overflowing_is_invalid_expire_error(
    r: redis.Redis, option: str, value: object
) -> None:
    assert error_of(call, r, "SET", "k", "v", option, value) == (
        "invalid expire time in 'set' command")


@pytest.mark.parametrize("value", ["ten", "1.5", "", "99999999999999999999"])
def test_set_non_integer_expire_is_not_integer_error(r: redis.Redis, value: str) -> None:
    assert error_of(call, r, "SET", "k", "v", "EX", value) == NOT_INTEGER


def test_set_exat_in_the_past_answers_ok_and_leaves_no_key(r: redis.Redis) -> None:
    assert call(r, "SET", "k", "v", "EXAT", 1) == b"OK"
    assert r.get("k") is None


def test_set_option_words_are_case_insensitive(r: redis.Redis) -> None:
    assert call(r, "SET", "k", "v", "nx", "ex", 100) == b"OK"
    assert call(r, "SET", "k", "w", "xX", "Get") == b"v"
    assert r.ttl("k") == -1


def test_set_option_word_is_read_up_to_a_nul_byte_as_in_redis(r: redis.Redis) -> None:
    assert call(r, "SET", "k", "v", b"NX\x00junk") == b"OK"
    assert call(r, "SET", "k", "w", b"NX\x00junk") is None


def test_set_counts_one_change_and_an_aborted_set_none(r: redis.Redis) -> None:
    before = changes(r)
    call(r, "SET", "k", "v", "EX", 100)
    call(r, "SET", "k", "w", "NX")
    assert changes(r) == before + 1


def test_set_get_on_wrong_type_is_error_and_sets_nothing(r: redis.Redis, list_key: bytes) -> None:
    assert error_of(call, r, "SET", list_key, "v", "GET") == WRONGTYPE
    assert r.type(list_key) == b"list"


def test_set_without_get_replaces_a_value_of_another_type(r: redis.Redis, list_key: bytes) -> None:
    assert r.set(list_key, "v") is True
    assert r.get(list_key) == b"v"


def test_get_of_non_string_is_wrongtype(r: redis.Redis, list_key: bytes) -> None:
    assert error_of(call, r, "GET", list_key) == WRONGTYPE


# ------------------------------------------------------------------ SETNX, SETEX, PSETEX


def test_setnx_sets_only_a_missing_key_and_replies_1_or_0(r: redis.Redis) -> None:
    assert call(r, "SETNX", "k", "a") == 1
    assert call(r, "SETNX", "k", "b") == 0
    assert r.get("k") == b"a"


def test_setex_sets_value_and_ttl_in_seconds(ember: ServerProcess, r: redis.Redis) -> None:
    assert exchange(ember.port, [("SETEX", "k", 100, "v")]) == [b"+OK\r\n"]
    assert r.get("k") == b"v"
    assert r.ttl("k") == 100


def test_psetex_sets_value_and_ttl_in_milliseconds(r: redis.Redis) -> None:
    assert call(r, "PSETEX", "k", 100_000, "v") == b"OK"
    assert r.get("k") == b"v"
    assert 99_000 < r.pttl("k") <= 100_000


@pytest.mark.parametrize("command", ["SETEX", "PSETEX"])
@pytest.mark.parametrize("amount", [0, -1])
def test_setex_non_positive_time_names_the_command(r: redis.Redis, command: str, amount: int) -> None:
    expected = f"invalid expire time in '{command.lower()}' command"
    assert error_of(call, r, command, "k", amount, "v") == expected
    assert r.exists("k") == 0


def test_setex_seconds_past_64_bit_milliseconds_is_invalid_expire(r: redis.Redis) -> None:
    assert error_of(call, r, "SETEX", "k", "9223372036854775807", "v") == (
        "invalid expire time in 'setex' command")


def test_setex_non_integer_seconds_is_not_integer_error(r: redis.Redis) -> None:
    assert error_of(call, r, "SETEX", "k", "1.5", "v") == NOT_INTEGER


# ------------------------------------------------------------------ GETSET, GETDEL, GETEX


def test_getset_returns_old_value_sets_new_and_clears_ttl(r: redis.Redis) -> None:
    assert call(r, "GETSET", "k", "a") is None
    r.expire("k", 100)
    assert call(r, "GETSET", "k", "b") == b"a"
    assert r.get("k") == b"b"
    assert r.ttl("k") == -1


def test_getdel_returns_value_and_deletes_key(r: redis.Redis) -> None:
    r.set("k", "v")
    assert call(r, "GETDEL", "k") == b"v"
    assert r.exists("k") == 0
    assert call(r, "GETDEL", "k") is None


def test_getdel_on_missing_key_counts_no_change(r: redis.Redis) -> None:
    before = changes(r)
    assert call(r, "GETDEL", "missing") is None
    assert changes(r) == before


def test_getex_without_options_is_a_plain_get(r: redis.Redis) -> None:
    r.set("k", "v", ex=100)
    before = changes(r)
    assert call(r, "GETEX", "k") == b"v"
    assert r.ttl("k") == 100
    assert changes(r) == before


@pytest.mark.parametrize("option, value", [("EX", 100), ("PX", 100_000)])
def test_getex_relative_expiry_sets_ttl(r: redis.Redis, option: str, value: int) -> None:
    r.set("k", "v")
    assert call(r, "GETEX", "k", option, value) == b"v"
    assert r.ttl("k") == 100


@pytest.mark.parametrize("option, value", [("EXAT", FAR_MS // 1000), ("PXAT", FAR_MS)])
def test_getex_absolute_expiry_sets_deadline(r: redis.Redis, option: str, value: int) -> None:
    r.set("k", "v")
    assert call(r, "GETEX", "k", option, value) == b"v"
    assert call(r, "PEXPIRETIME", "k") == FAR_MS


def test_getex_persist_removes_ttl_and_counts_a_change_only_when_one_existed(r: redis.Redis) -> None:
    r.set("k", "v", ex=100)
    before = changes(r)
    assert call(r, "GETEX", "k", "PERSIST") == b"v"
    assert call(r, "GETEX", "k", "PERSIST") == b"v"
    assert r.ttl("k") == -1
    assert changes(r) == before + 1


@pytest.mark.parametrize("option", ["EXAT", "PXAT"])
def test_getex_deadline_in_the_past_returns_value_and_deletes_key(r: redis.Redis, option: str) -> None:
    r.set("k", "v")
    assert call(r, "GETEX", "k", option, 1) == b"v"
    assert r.exists("k") == 0


def test_getex_on_missing_key_is_null_even_with_invalid_expire(r: redis.Redis) -> None:
    assert call(r, "GETEX", "missing", "EX", "bad") is None
    assert call(r, "GETEX", "missing", "EX", 0) is None


def test_getex_invalid_expire_on_existing_key_names_getex(r: redis.Redis) -> None:
    r.set("k", "v")
    assert error_of(call, r, "GETEX", "k", "EX", 0) == "invalid expire time in 'getex' command"
    assert error_of(call, r, "GETEX", "k", "PX", "x") == NOT_INTEGER


@pytest.mark.parametrize("options", [
    ("NX",), ("XX",), ("GET",), ("KEEPTTL",), ("EX", 10, "PERSIST"), ("PERSIST", "EX", 10),
    ("EX", 10, "PX", 10), ("EX",), ("FOO",),
])
def test_getex_options_of_set_only_and_conflicts_are_syntax_errors(
    r: redis.Redis, options: tuple[object, ...]
) -> None:
    assert error_of(call, r, "GETEX", "missing", *options) == "syntax error"


def test_getset_getdel_getex_on_wrong_type_are_errors(r: redis.Redis, list_key: bytes) -> None:
    for command in (("GETSET", list_key, "v"), ("GETDEL", list_key), ("GETEX", list_key, "EX", "x")):
        assert error_of(call, r, *command) == WRONGTYPE
    assert r.type(list_key) == b"list"


# ------------------------------------------------------------------ MGET, MSET, MSETNX


def test_mget_returns_values_in_order_with_null_for_missing(ember: ServerProcess, r: redis.Redis) -> None:
    r.set("a", "1")
    assert exchange(ember.port, [("MGET", "a", "missing", "a")]) == [
        b"*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n1\r\n"]
    assert exchange(ember.port, [("MGET", "missing")], protocol=3) == [b"*1\r\n_\r\n"]


def test_mget_answers_null_for_a_non_string_value(r: redis.Redis, list_key: bytes) -> None:
    r.set("a", "1")
    assert call(r, "MGET", "a", list_key) == [b"1", None]


def test_mset_sets_every_pair_and_clears_their_ttls(r: redis.Redis) -> None:
    r.set("a", "old", ex=100)
    assert call(r, "MSET", "a", "1", "b", "2") == b"OK"
    assert call(r, "MGET", "a", "b") == [b"1", b"2"]
    assert r.ttl("a") == -1


def test_mset_with_a_key_twice_keeps_the_last_value(r: redis.Redis) -> None:
    call(r, "MSET", "a", "1", "a", "2")
    assert r.get("a") == b"2"


@pytest.mark.parametrize("command", ["MSET", "MSETNX"])
def test_mset_with_a_key_lacking_its_value_is_arity_error(r: redis.Redis, command: str) -> None:
    assert error_of(call, r, command, "a", "1", "b") == (
        f"wrong number of arguments for '{command.lower()}' command")
    assert r.exists("a") == 0


def test_msetnx_sets_all_when_no_key_exists(r: redis.Redis) -> None:
    assert call(r, "MSETNX", "a", "1", "b", "2") == 1
    assert call(r, "MGET", "a", "b") == [b"1", b"2"]


def test_msetnx_sets_nothing_when_any_key_exists(r: redis.Redis) -> None:
    r.set("b", "old")
    assert call(r, "MSETNX", "a", "1", "b", "2") == 0
    assert call(r, "MGET", "a", "b") == [None, b"old"]


def test_msetnx_with_a_key_twice_takes_the_last_value(r: redis.Redis) -> None:
    assert call(r, "MSETNX", "a", "1", "a", "2") == 1
    assert r.get("a") == b"2"


# ------------------------------------------------------------------ APPEND, STRLEN


def test_append_creates_a_missing_key_and_returns_the_length(r: redis.Redis) -> None:
    assert r.append("k", "abc") == 3
    assert r.get("k") == b"abc"


def test_append_extends_in_place_as_a_raw_string_keeping_ttl(r: redis.Redis) -> None:
    r.set("k", "ab", ex=100)
    assert r.append("k", "cd") == 4
    assert r.get("k") == b"abcd"
    assert r.object("encoding", "k") == b"raw"
    assert r.ttl("k") == 100


def test_append_to_a_number_reads_its_digits(r: redis.Redis) -> None:
    r.set("n", 12)
    assert r.append("n", 3) == 3
    assert r.incr("n") == 124


def test_append_of_empty_string_keeps_an_empty_key_and_counts_a_change(r: redis.Redis) -> None:
    r.set("e", "")
    before = changes(r)
    assert r.append("e", "") == 0
    assert r.exists("e") == 1
    assert changes(r) == before + 1


def test_append_past_proto_max_bulk_len_is_error(r: redis.Redis, small_bulk_limit: int) -> None:
    r.set("k", b"x" * (small_bulk_limit - 1))
    assert r.append("k", "y") == small_bulk_limit
    assert error_of(call, r, "APPEND", "k", "z") == (
        "string exceeds maximum allowed size (proto-max-bulk-len)")
    assert r.strlen("k") == small_bulk_limit


def test_strlen_counts_bytes_and_is_zero_for_missing(r: redis.Redis) -> None:
    r.set("k", "h\xe9llo".encode())
    assert r.strlen("k") == 6
    assert r.strlen("missing") == 0


def test_append_and_strlen_on_wrong_type_are_errors(r: redis.Redis, list_key: bytes) -> None:
    assert error_of(call, r, "APPEND", list_key, "x") == WRONGTYPE
    assert error_of(call, r, "STRLEN", list_key) == WRONGTYPE


# ------------------------------------------------------------------ INCR family


def test_incr_of_missing_key_starts_from_zero(r: redis.Redis) -> None:
    assert r.incr("n") == 1
    assert r.get("n") == b"1"


def test_incr_decr_incrby_decrby_arithmetic(r: redis.Redis) -> None:
    assert call(r, "INCRBY", "n", 10) == 10
    assert call(r, "DECRBY", "n", 3) == 7
    assert call(r, "DECR", "n") == 6
    assert call(r, "INCRBY", "n", -10) == -4
    assert call(r, "DECRBY", "n", -5) == 1
    assert r.object("encoding", "n") == b"int"


def test_incr_keeps_the_ttl(r: redis.Redis) -> None:
    r.set("n", 1, ex=100)
    r.incr("n")
    assert r.ttl("n") == 100


@pytest.mark.parametrize("value", ["abc", " 1", "1 ", "1.0", "-0", "+1", "007", "",
                                   "99999999999999999999", "9223372036854775808"])
def test_incr_on_non_integer_value_is_error(r: redis.Redis, value: str) -> None:
    r.set("n", value)
    assert error_of(call, r, "INCR", "n") == NOT_INTEGER
    assert r.get("n") == value.encode()


@pytest.mark.parametrize("increment", ["1.5", "x", "", "9223372036854775808"])
def test_incrby_non_integer_increment_is_error(r: redis.Redis, increment: str) -> None:
    assert error_of(call, r, "INCRBY", "n", increment) == NOT_INTEGER


def test_incr_past_the_64_bit_maximum_is_overflow_error(r: redis.Redis) -> None:
    r.set("n", "9223372036854775806")
    assert r.incr("n") == 9223372036854775807
    assert error_of(call, r, "INCR", "n") == "increment or decrement would overflow"
    assert r.get("n") == b"9223372036854775807"


def test_decr_past_the_64_bit_minimum_is_overflow_error(r: redis.Redis) -> None:
    r.set("n", "-9223372036854775807")
    assert r.decr("n") == -9223372036854775808
    assert error_of(call, r, "DECR", "n") == "increment or decrement would overflow"


def test_incrby_minimum_increment_is_allowed(r: redis.Redis) -> None:
    assert call(r, "INCRBY", "n", "-9223372036854775808") == -9223372036854775808


def test_decrby_minimum_decrement_is_decrement_overflow_error(r: redis.Redis) -> None:
    assert error_of(call, r, "DECRBY", "n", "-9223372036854775808") == "decrement would overflow"


def test_incr_on_wrong_type_is_error(r: redis.Redis, list_key: bytes) -> None:
    assert error_of(call, r, "INCR", list_key) == WRONGTYPE
    assert error_of(call, r, "INCRBYFLOAT", list_key, "x") == WRONGTYPE


# ------------------------------------------------------------------ INCRBYFLOAT


def test_incrbyfloat_uses_long_double_precision_like_redis(r: redis.Redis) -> None:
    r.set("f", "0.1")
    assert call(r, "INCRBYFLOAT", "f", "0.2") == b"0.3"
    assert r.get("f") == b"0.3"


@pytest.mark.parametrize("start, increment, expected", [
    ("0.3", "5.0e3", b"5000.29999999999999982"),
    ("10.5", "0.1", b"10.6"),
    ("3.0", "0", b"3"),
    ("1", "-1", b"0"),
    ("0", "0x10", b"16"),
    ("0", "0X1p-3", b"0.125"),
    ("0", "-1e-20", b"0"),
    ("0", "0.000003814697265625", b"0.00000381469726562"),
    ("1.5", ".5", b"2"),
    ("0", "1.23456789012345678901234", b"1.23456789012345679"),
    ("5", "+1.5e+1", b"20"),
])
def test_incrbyfloat_formats_like_redis(r: redis.Redis, start: str, increment: str, expected: bytes) -> None:
    r.set("f", start)
    assert call(r, "INCRBYFLOAT", "f", increment) == expected


def test_incrbyfloat_of_missing_key_starts_from_zero(r: redis.Redis) -> None:
    assert call(r, "INCRBYFLOAT", "f", "2.5") == b"2.5"


def test_incrbyfloat_prints_huge_values_in_full(r: redis.Redis) -> None:
    reply = call(r, "INCRBYFLOAT", "f", "1e400")
    assert len(reply) == 401 and reply.startswith(b"10000000000000000000281880683947586514")
    assert call(r, "INCRBYFLOAT", "f", "-1e400") == b"0"


@pytest.mark.parametrize("increment", ["inf", "-INF", "Infinity"])
def test_incrbyfloat_to_infinity_is_error(r: redis.Redis, increment: str) -> None:
    r.set("f", "1")
    assert error_of(call, r, "INCRBYFLOAT", "f", increment) == (
        "increment would produce NaN or Infinity")
    assert r.get("f") == b"1"


@pytest.mark.parametrize("increment", ["nan", " 1", "1 ", "", "1e", "0x", "1_0", "abc",
                                       "1e5000", "1e-5000"])
def test_incrbyfloat_invalid_increment_is_not_valid_float_error(r: redis.Redis, increment: str) -> None:
    assert error_of(call, r, "INCRBYFLOAT", "f", increment) == NOT_FLOAT
    assert r.exists("f") == 0


@pytest.mark.parametrize("value", ["abc", "1.5 ", "1" * 5120])
def test_incrbyfloat_on_non_float_value_is_error(r: redis.Redis, value: str) -> None:
    r.set("f", value)
    assert error_of(call, r, "INCRBYFLOAT", "f", "1") == NOT_FLOAT


def test_incrbyfloat_keeps_the_ttl(r: redis.Redis) -> None:
    r.set("f", "1", ex=100)
    call(r, "INCRBYFLOAT", "f", "0.5")
    assert r.ttl("f") == 100


# ------------------------------------------------------------------ GETRANGE, SUBSTR


@pytest.mark.parametrize("start, end, expected", [
    (0, 4, b"Hello"), (-5, -1, b"World"), (0, -1, b"Hello World"), (5, 3, b""),
    (-1, -5, b""), (-100, 100, b"Hello World"), (-100, -50, b"H"), (100, 200, b""),
    (3, -100, b""), (6, 6, b"W"), ("-9223372036854775808", "9223372036854775807", b"Hello World"),
])
def test_getrange_returns_the_inclusive_range(r: redis.Redis, start: object, end: object, expected: bytes) -> None:
    r.set("s", "Hello World")
    assert call(r, "GETRANGE", "s", start, end) == expected


def test_getrange_of_missing_or_empty_string_is_empty(r: redis.Redis) -> None:
    r.set("e", "")
    assert call(r, "GETRANGE", "missing", 0, -1) == b""
    assert call(r, "GETRANGE", "e", 0, 0) == b""


def test_getrange_non_integer_index_is_error_even_for_missing_key(r: redis.Redis) -> None:
    assert error_of(call, r, "GETRANGE", "missing", "x", 1) == NOT_INTEGER


def test_substr_is_getrange(r: redis.Redis) -> None:
    r.set("s", "Hello World")
    assert call(r, "SUBSTR", "s", -3, -1) == b"rld"


def test_getrange_on_wrong_type_is_error(r: redis.Redis, list_key: bytes) -> None:
    assert error_of(call, r, "GETRANGE", list_key, 0, 1) == WRONGTYPE


# ------------------------------------------------------------------ SETRANGE


def test_setrange_overwrites_and_pads_with_zero_bytes(r: redis.Redis) -> None:
    r.set("k", "Hello World")
    assert r.setrange("k", 6, "Redis") == 11
    assert r.get("k") == b"Hello Redis"
    assert r.setrange("k", 13, "!") == 14
    assert r.get("k") == b"Hello Redis\x00\x00!"


def test_setrange_creates_a_raw_string_for_a_missing_key(r: redis.Redis) -> None:
    assert r.setrange("k", 3, "x") == 4
    assert r.get("k") == b"\x00\x00\x00x"
    assert r.object("encoding", "k") == b"raw"


def test_setrange_with_empty_value_changes_and_creates_nothing(r: redis.Redis) -> None:
    r.set("k", "abc")
    before = changes(r)
    assert r.setrange("k", 100, "") == 3
    assert r.setrange("missing", 5, "") == 0
    assert r.exists("missing") == 0
    assert changes(r) == before


def test_setrange_keeps_the_ttl(r: redis.Redis) -> None:
    r.set("k", "abc", ex=100)
    r.setrange("k", 0, "x")
    assert r.ttl("k") == 100


def test_setrange_negative_offset_is_error(r: redis.Redis) -> None:
    assert error_of(call, r, "SETRANGE", "k", -1, "x") == "offset is out of range"


def test_setrange_non_integer_offset_is_error(r: redis.Redis) -> None:
    assert error_of(call, r, "SETRANGE", "k", "x", "y") == NOT_INTEGER


def test_setrange_past_proto_max_bulk_len_is_error(r: redis.Redis, small_bulk_limit: int) -> None:
    assert error_of(call, r, "SETRANGE", "k", small_bulk_limit, "x") == (
        "string exceeds maximum allowed size (proto-max-bulk-len)")
    assert r.setrange("k", small_bulk_limit - 1, "x") == small_bulk_limit


def test_setrange_on_wrong_type_is_error_even_with_empty_value(r: redis.Redis, list_key: bytes) -> None:
    assert error_of(call, r, "SETRANGE", list_key, 0, "") == WRONGTYPE


# ------------------------------------------------------------------ LCS


@pytest.fixture
def lcs_pair(r: redis.Redis) -> redis.Redis:
    call(r, "MSET", "a", "ohmytext", "b", "mynewtext")
    return r


def test_lcs_returns_the_longest_common_subsequence(lcs_pair: redis.Redis) -> None:
    assert call(lcs_pair, "LCS", "a", "b") == b"mytext"


def test_lcs_len_returns_its_length(lcs_pair: redis.Redis) -> None:
    assert call(lcs_pair, "LCS", "a", "b", "LEN") == 6


def test_lcs_idx_is_a_flat_array_in_resp2(ember: ServerProcess, lcs_pair: redis.Redis) -> None:
    expected = (b"*4\r\n$7\r\nmatches\r\n*2\r\n"
                b"*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
                b"*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"
                b"$3\r\nlen\r\n:6\r\n")
    assert exchange(ember.port, [("LCS", "a", "b", "IDX")]) == [expected]


def test_lcs_idx_is_a_map_in_resp3(ember: ServerProcess, lcs_pair: redis.Redis) -> None:
    expected = (b"%2\r\n$7\r\nmatches\r\n*1\r\n"
                b"*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
                b"$3\r\nlen\r\n:6\r\n")
    assert exchange(ember.port, [("LCS", "a", "b", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN")],
                    protocol=3) == [expected]


def test_lcs_negative_minmatchlen_counts_as_zero(lcs_pair: redis.Redis) -> None:
    assert call(lcs_pair, "LCS", "a", "b", "IDX", "MINMATCHLEN", -5) == call(
        lcs_pair, "LCS", "a", "b", "IDX")


def test_lcs_of_missing_keys_reads_them_as_empty(ember: ServerProcess, r: redis.Redis) -> None:
    r.set("a", "abc")
    assert call(r, "LCS", "a", "missing") == b""
    assert exchange(ember.port, [("LCS", "missing", "other", "IDX")]) == [
        b"*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"]


def test_lcs_len_with_idx_is_error(lcs_pair: redis.Redis) -> None:
    assert error_of(call, lcs_pair, "LCS", "a", "b", "LEN", "IDX") == (
        "If you want both the length and indexes, please just use IDX.")


@pytest.mark.parametrize("options, message", [
    (("FOO",), "syntax error"), (("MINMATCHLEN",), "syntax error"),
    (("MINMATCHLEN", "x"), NOT_INTEGER),
])
def test_lcs_bad_options_are_errors(lcs_pair: redis.Redis, options: tuple[str, ...], message: str) -> None:
    assert error_of(call, lcs_pair, "LCS", "a", "b", *options) == message


def test_lcs_table_past_proto_max_bulk_len_is_error(r: redis.Redis, small_bulk_limit: int) -> None:
    call(r, "MSET", "a", "x" * 600, "b", "x" * 600)
    assert error_of(call, r, "LCS", "a", "b", "LEN") == (
        "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
    call(r, "MSET", "a", "x" * 400, "b", "x" * 400)
    assert call(r, "LCS", "a", "b", "LEN") == 400


def test_lcs_of_a_long_string_against_a_short_one_is_fast(ember: ServerProcess, r: redis.Redis) -> None:
    call(r, "MSET", "a", "q", "b", "a" * 1_000_000 + "q" + "a" * 1_000_000)
    started = time.monotonic()
    assert exchange(ember.port, [("LCS", "a", "b", "IDX")]) == [
        b"*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:0\r\n"
        b"*2\r\n:1000000\r\n:1000000\r\n$3\r\nlen\r\n:1\r\n"]
    assert time.monotonic() - started < 5


def test_lcs_on_non_string_key_is_error(r: redis.Redis, list_key: bytes) -> None:
    r.set("a", "abc")
    assert error_of(call, r, "LCS", "a", list_key) == (
        "The specified keys must contain string values")
