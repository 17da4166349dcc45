"""The HyperLogLog representation without a server: hashing, dense packing, sparse
opcode edits, conversions and the estimator."""

from __future__ import annotations

import random

import pytest

from server.commands import hyperloglog as hll_api
from server.commands.hyperloglog import (
    HLL_DENSE, HLL_DENSE_SIZE, HLL_HEADER_SIZE, HLL_REGISTERS, HLL_SPARSE, cached_cardinality,
    decode_sparse, dense_get, dense_set, dense_to_raw, estimate, hll_add, hll_cardinality,
    is_valid_hll, new_hll, raw_histogram, raw_to_dense_registers, register_and_count,
    sparse_histogram, sparse_set, sparse_to_dense, sparse_to_raw,
)

NO_LIMIT = 1 << 30


# Register and run length of single elements, read from Redis 7.0.15 with PFDEBUG
# DECODE (an element of each MurmurHash tail length, and one longer than a word).
@pytest.mark.parametrize(("element", "register", "count"), [
    (b"", 5938, 2), (b"a", 12711, 2), (b"ab", 719, 1), (b"abcdefg", 5634, 2),
    (b"abcdefgh", 1383, 1), (b"abcdefghi", 6903, 1), (b"hello world, this is 23", 2933, 1),
])
def test_register_and_count_match_redis(element: bytes, register: int, count: int) -> None:
    assert register_and_count(element) == (register, count)


def test_murmurhash_stays_within_64_bits() -> None:
    rng = random.Random(1)
    for _ in range(200):
        value = hll_api.murmurhash64a(rng.randbytes(rng.randrange(40)))
        assert 0 <= value < 1 << 64


def test_new_value_is_redis_empty_sparse_value() -> None:
    value = new_hll()
    assert bytes(value) == b"HYLL\x01" + bytes(11) + b"\x7f\xff"
    assert cached_cardinality(value) == 0
    assert decode_sparse(value) == b"Z:16384"


def _dense_of(registers: list[int]) -> bytearray:
    return bytearray(b"HYLL" + bytes(12)) + raw_to_dense_registers(bytes(registers))


def test_dense_packing_round_trips_and_agrees_with_register_access() -> None:
    rng = random.Random(2)
    registers = [rng.randrange(64) for _ in range(HLL_REGISTERS)]
    dense = _dense_of(registers)
    assert len(dense) == HLL_DENSE_SIZE
    assert list(dense_to_raw(dense)) == registers
    assert all(dense_get(dense, index) == value for index, value in enumerate(registers))


def test_dense_set_only_raises_registers() -> None:
    dense = _dense_of([0] * HLL_REGISTERS)
    for index in (0, 1, 2, 3, 4, 5, HLL_REGISTERS - 2, HLL_REGISTERS - 1):
        assert dense_set(dense, index, 40) == 1
        assert dense_set(dense, index, 40) == 0
        assert dense_set(dense, index, 3) == 0
        assert dense_get(dense, index) == 40
    # Neighbours are untouched.
    assert dense_get(dense, 6) == 0 and dense_get(dense, HLL_REGISTERS - 3) == 0
    assert len(dense) == HLL_DENSE_SIZE


def _covers_every_register(value: bytearray) -> bool:
    return sparse_to_raw(value) is not None


@pytest.mark.parametrize("seed", range(4))
def test_sparse_adds_give_the_registers_of_dense_adds(seed: int) -> None:
    """Adding the same elements to a sparse value (never promoted) and to a dense one
    leaves the same registers; the opcodes always cover all 16384 registers and no two
    neighbouring VALs could have been merged."""
    rng = random.Random(seed)
    sparse = new_hll()
    dense = new_hll()
    sparse_to_dense(dense)
    for _ in range(1500):
        element = rng.randbytes(rng.randrange(1, 12))
        assert hll_add(sparse, element, NO_LIMIT) == hll_add(dense, element, NO_LIMIT)
    assert sparse[4] == HLL_SPARSE and dense[4] == HLL_DENSE
    assert _covers_every_register(sparse)
    assert sparse_to_raw(sparse) == dense_to_raw(dense)
    assert hll_cardinality(sparse) == hll_cardinality(dense)
    opcodes = decode_sparse(sparse).split()
    for left, right in zip(opcodes, opcodes[1:]):
        if left.startswith(b"v:") and right.startswith(b"v:"):
            (left_value, left_run), (right_value, right_run) = (
                map(int, op[2:].split(b",")) for op in (left, right))
            assert left_value != right_value or left_run + right_run > 4


def test_sparse_value_turns_dense_at_the_byte_limit() -> None:
    value = new_hll()
    number = 0
    while value[4] == HLL_SPARSE:
        before = len(value)
        hll_add(value, b"%d" % number, 300)
        number += 1
        if value[4] == HLL_SPARSE:
            assert len(value) <= 300
    assert before <= 300 and len(value) == HLL_DENSE_SIZE


def test_register_above_32_makes_a_sparse_value_dense() -> None:
    value = new_hll()
    hll_add(value, b"a", NO_LIMIT)
    assert sparse_set(value, 100, 33, NO_LIMIT) == 1
    assert value[4] == HLL_DENSE
    assert dense_get(value, 100) == 33
    assert dense_get(value, register_and_count(b"a")[0]) == register_and_count(b"a")[1]


def test_sparse_to_dense_keeps_the_header() -> None:
    value = new_hll()
    hll_add(value, b"x", NO_LIMIT)
    value[8:16] = bytes([5, 0, 0, 0, 0, 0, 0, 0x80])
    assert sparse_to_dense(value)
    assert bytes(value[:16]) == b"HYLL\x00\x00\x00\x00" + bytes([5, 0, 0, 0, 0, 0, 0, 0x80])


@pytest.mark.parametrize("opcodes", [
    b"\x7f\xfe",            # one register short
    b"\x7f\xff\x00",        # one register too many
    b"\x7f",                # a truncated XZERO
    b"\x7f\xfe\xff",        # a VAL run past the end
    b"",                    # no opcodes at all
])
def test_corrupt_sparse_values_are_detected(opcodes: bytes) -> None:
    value = bytearray(b"HYLL\x01" + bytes(11) + opcodes)
    assert sparse_to_raw(value) is None
    assert sparse_histogram(value) is None
    assert hll_cardinality(value) is None
    before = bytes(value)
    assert not sparse_to_dense(value)
    assert bytes(value) == before


@pytest.mark.parametrize(("value", "is_valid"), [
    (b"HYLL\x01" + bytes(11) + b"\x7f\xff", True),
    (b"HYLL\x01" + bytes(11), True),  # the header alone passes; its opcodes do not
    (b"HYLL", False),
    (b"HYLX\x01" + bytes(11) + b"\x7f\xff", False),
    (b"HYLL\x02" + bytes(11) + b"\x7f\xff", False),
    (b"HYLL\x00" + bytes(11) + bytes(12288), True),
    (b"HYLL\x00" + bytes(11) + bytes(12287), False),
])
def test_header_checks(value: bytes, is_valid: bool) -> None:
    assert is_valid_hll(value) is is_valid


def test_estimates_of_small_sets_are_exact_and_empty_is_zero() -> None:
    assert estimate(raw_histogram(bytes(HLL_REGISTERS))) == 0
    value = new_hll()
    for count in range(1, 50):
        hll_add(value, b"element-%d" % count, NO_LIMIT)
        assert hll_cardinality(value) == count


def test_infinite_estimate_is_two_to_the_63() -> None:
    assert estimate(raw_histogram(bytes([51]) * HLL_REGISTERS)) == 1 << 63
    assert hll_api.as_long_long(1 << 63) == -(1 << 63)


def test_estimate_of_large_set_is_within_two_percent() -> None:
    value = new_hll()
    sparse_to_dense(value)
    for number in range(50_000):
        hll_add(value, b"%d" % number, NO_LIMIT)
    assert abs(hll_cardinality(value) - 50_000) < 1000  # type: ignore[operator]


def _boundaries(value: bytearray) -> dict[int, int]:
    """Every opcode start of a sparse value -> the first register it covers."""
    found: dict[int, int] = {}
    at, first = HLL_HEADER_SIZE, 0
    while at < len(value):
        found[at] = first
        span, length = hll_api._opcode_span(value, at, len(value))
        at += length
        first += span
    return found


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("in_order", [True, False])
def test_checkpoints_stay_true_through_splits_and_merges(seed: int, in_order: bool) -> None:
    """Scans start from checkpoints kept in step with each edit: every checkpoint stays
    an opcode start covering the same first register, and the bytes equal those built
    with a fresh index before every set."""
    rng = random.Random(seed)
    kept, fresh = new_hll(), new_hll()
    updates = [(rng.randrange(HLL_REGISTERS), rng.randrange(1, 33)) for _ in range(700)]
    if in_order:
        updates.sort()
    for number, (index, count) in enumerate(updates):
        assert sparse_set(kept, index, count, NO_LIMIT) == (
            hll_api._opcode_indexes.clear() or sparse_set(fresh, index, count, NO_LIMIT))
        assert bytes(kept) == bytes(fresh)
        if number % 50 == 0:
            checkpoints = hll_api._opcode_index(kept)
            boundaries = _boundaries(kept)
            assert all(boundaries.get(position) == first for position, first in
                       zip(checkpoints.positions, checkpoints.firsts))
    assert _covers_every_register(kept)


def test_self_test_passes() -> None:
    assert hll_api.self_test()


def test_header_size_is_redis_header_size() -> None:
    assert HLL_HEADER_SIZE == 16 and HLL_DENSE_SIZE == 12304
