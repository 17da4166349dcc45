"""HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST, as in Redis's
hyperloglog.c.

A HyperLogLog is a string holding Redis's own bytes, so GET, the AOF and a real Redis
see the same value: a 16-byte header ("HYLL", the encoding, three unused bytes, the
cached cardinality as a little-endian uint64 whose top bit marks it stale) followed by
16384 six-bit registers, either dense (12288 bytes, register 0 in the low bits of the
first byte) or sparse (ZERO, XZERO and VAL run-length opcodes). A sparse value becomes
dense when a register exceeds 32 or the value would outgrow hll-sparse-max-bytes. The
value is kept as a bytearray (Redis's "raw" encoding) and changed in place, with the
same opcode splits and merges as Redis, so the bytes stay identical to Redis's.
Estimates use Redis 7's estimator (Ertl's improved raw estimator) step by step in
double precision.
"""

from __future__ import annotations

import bisect
import math
import struct
from typing import Any

from protocol.replies import OK, SimpleString
from server import errors
from server.commands.strings import writable_string
from server.context import CommandContext
from server.errors import CommandError
from server.registry import (
    ADMIN, DENYOOM, FAST, MAY_REPLICATE, READONLY, WRITE, CommandGroup, KeySpec,
)

group = CommandGroup("hyperloglog", category="hyperloglog")

# ------------------------------------------------------------------ HyperLogLog API

HLL_P = 14
HLL_Q = 64 - HLL_P
HLL_REGISTERS = 1 << HLL_P
HLL_REGISTER_MASK = HLL_REGISTERS - 1
HLL_BITS = 6
HLL_REGISTER_MAX = (1 << HLL_BITS) - 1
HLL_HEADER_SIZE = 16
HLL_DENSE_SIZE = HLL_HEADER_SIZE + (HLL_REGISTERS * HLL_BITS + 7) // 8
HLL_DENSE = 0
HLL_SPARSE = 1
HLL_MAX_ENCODING = 1
_MAGIC = b"HYLL"
_CARD_STALE_BYTE = 15  # the top bit of the cached cardinality's last byte
_CARD_STALE_BIT = 0x80

# Sparse opcodes: ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy
# (1..16384 zero registers), VAL 1vvvvvxx (1..4 registers of value 1..32).
SPARSE_VAL_MAX_VALUE = 32
SPARSE_VAL_MAX_LEN = 4
SPARSE_ZERO_MAX_LEN = 64
SPARSE_XZERO_MAX_LEN = 16384
_XZERO_BIT = 0x40
_VAL_BIT = 0x80

_MURMUR_SEED = 0xADC83B19
_MURMUR_M = 0xC6A4A7935BD1E995
_MASK64 = (1 << 64) - 1

_ALPHA_INF = 0.721347520444481703680  # 0.5 / ln(2)

# An empty value, as Redis's createHLLObject builds it: a sparse header with a valid
# cached cardinality of 0 and one XZERO covering every register.
_EMPTY_SPARSE = (_MAGIC + bytes([HLL_SPARSE]) + bytes(11)
                 + bytes([_XZERO_BIT | ((SPARSE_XZERO_MAX_LEN - 1) >> 8),
                          (SPARSE_XZERO_MAX_LEN - 1) & 0xFF]))


def murmurhash64a(data: bytes) -> int:
    """Redis's MurmurHash64A with its HyperLogLog seed (little-endian words)."""
    length = len(data)
    m = _MURMUR_M
    h = (_MURMUR_SEED ^ (length * m)) & _MASK64
    tail = length & 7
    body = length - tail
    if body:
        for (k,) in struct.iter_unpack("<Q", data[:body]):
            k = (k * m) & _MASK64
            k ^= k >> 47
            h = ((h ^ ((k * m) & _MASK64)) * m) & _MASK64
    if tail:
        h = ((h ^ int.from_bytes(data[body:], "little")) * m) & _MASK64
    h ^= h >> 47
    h = (h * m) & _MASK64
    return h ^ (h >> 47)


def register_and_count(element: bytes) -> tuple[int, int]:
    """Redis's hllPatLen: the register an element maps to, and the length of the run
    of zeros after it plus one (at most HLL_Q + 1)."""
    h = murmurhash64a(element)
    rest = (h >> HLL_P) | (1 << HLL_Q)
    return h & HLL_REGISTER_MASK, (rest & -rest).bit_length()


def new_hll() -> bytearray:
    return bytearray(_EMPTY_SPARSE)


def is_valid_hll(value: bytes | bytearray) -> bool:
    """Redis's isHLLObjectOrReply checks: the header is there, the magic and encoding
    are known, and a dense value has its exact size."""
    if len(value) < HLL_HEADER_SIZE or value[:4] != _MAGIC:
        return False
    encoding = value[4]
    if encoding > HLL_MAX_ENCODING:
        return False
    return encoding != HLL_DENSE or len(value) == HLL_DENSE_SIZE


def check_hll(value: bytes | bytearray) -> None:
    if not is_valid_hll(value):
        raise CommandError(errors.HLL_NOT_VALID)


def invalidate_cached_cardinality(hll: bytearray) -> None:
    hll[_CARD_STALE_BYTE] |= _CARD_STALE_BIT


def cached_cardinality(hll: bytes | bytearray) -> int | None:
    if hll[_CARD_STALE_BYTE] & _CARD_STALE_BIT:
        return None
    return int.from_bytes(hll[8:16], "little")


def store_cached_cardinality(hll: bytearray, cardinality: int) -> None:
    hll[8:16] = cardinality.to_bytes(8, "little")


# Dense registers --------------------------------------------------------------

def dense_get(hll: bytes | bytearray, index: int) -> int:
    bit = index * HLL_BITS
    at = HLL_HEADER_SIZE + (bit >> 3)
    shift = bit & 7
    if shift <= 8 - HLL_BITS:
        return (hll[at] >> shift) & HLL_REGISTER_MAX
    return ((hll[at] >> shift) | (hll[at + 1] << (8 - shift))) & HLL_REGISTER_MAX


def dense_set(hll: bytearray, index: int, count: int) -> int:
    """Raise register `index` to `count`: 1 if it changed, 0 if it was already as high."""
    bit = index * HLL_BITS
    at = HLL_HEADER_SIZE + (bit >> 3)
    shift = bit & 7
    if shift <= 8 - HLL_BITS:
        byte = hll[at]
        if (byte >> shift) & HLL_REGISTER_MAX >= count:
            return 0
        hll[at] = (byte & ~(HLL_REGISTER_MAX << shift) & 0xFF) | (count << shift)
        return 1
    word = hll[at] | (hll[at + 1] << 8)
    if (word >> shift) & HLL_REGISTER_MAX >= count:
        return 0
    word = (word & ~(HLL_REGISTER_MAX << shift)) | (count << shift)
    hll[at] = word & 0xFF
    hll[at + 1] = word >> 8
    return 1


# Four registers share three bytes. Converting between the packed form and one byte per
# register ("raw", Redis's HLL_RAW) goes through translate tables and byte-wise ORs of
# big integers, so that a whole value is converted without a Python loop per register.
def _table(function: Any) -> bytes:
    return bytes(function(byte) & 0xFF for byte in range(256))


_LOW6 = _table(lambda b: b & 63)
_SHR6 = _table(lambda b: b >> 6)
_LOW4_SHL2 = _table(lambda b: (b & 15) << 2)
_SHR4 = _table(lambda b: b >> 4)
_LOW2_SHL4 = _table(lambda b: (b & 3) << 4)
_SHR2 = _table(lambda b: b >> 2)
_SHL6 = _table(lambda b: b << 6)
_SHL4 = _table(lambda b: b << 4)
_SHL2 = _table(lambda b: b << 2)


def _or_bytes(first: bytes, second: bytes) -> bytes:
    """Byte-wise OR of two equally long strings."""
    return (int.from_bytes(first, "big") | int.from_bytes(second, "big")).to_bytes(
        len(first), "big")


def dense_to_raw(hll: bytes | bytearray) -> bytes:
    """The 16384 registers of a dense value, one byte each."""
    packed = bytes(hll[HLL_HEADER_SIZE:HLL_DENSE_SIZE])
    first, second, third = packed[0::3], packed[1::3], packed[2::3]
    raw = bytearray(HLL_REGISTERS)
    raw[0::4] = first.translate(_LOW6)
    raw[1::4] = _or_bytes(first.translate(_SHR6), second.translate(_LOW4_SHL2))
    raw[2::4] = _or_bytes(second.translate(_SHR4), third.translate(_LOW2_SHL4))
    raw[3::4] = third.translate(_SHR2)
    return bytes(raw)


def raw_to_dense_registers(raw: bytes) -> bytes:
    """The packed dense registers (without header) of one-byte registers below 64."""
    r0, r1, r2, r3 = raw[0::4], raw[1::4], raw[2::4], raw[3::4]
    packed = bytearray(HLL_DENSE_SIZE - HLL_HEADER_SIZE)
    packed[0::3] = _or_bytes(r0, r1.translate(_SHL6))
    packed[1::3] = _or_bytes(r1.translate(_SHR2), r2.translate(_SHL4))
    packed[2::3] = _or_bytes(r2.translate(_SHR4), r3.translate(_SHL2))
    return bytes(packed)


# Sparse registers -------------------------------------------------------------

def _opcode_span(hll: bytes | bytearray, at: int, end: int) -> tuple[int, int]:
    """(registers covered, opcode length) of the opcode at `at`. A truncated XZERO reads
    a zero second byte, as Redis reads the string's terminator."""
    op = hll[at]
    if op < _XZERO_BIT:
        return op + 1, 1
    if op >= _VAL_BIT:
        return (op & 3) + 1, 1
    second = hll[at + 1] if at + 1 < end else 0
    return (((op & 0x3F) << 8) | second) + 1, 2


def _zero_run(length: int) -> bytes:
    if length > SPARSE_ZERO_MAX_LEN:
        return bytes([_XZERO_BIT | ((length - 1) >> 8), (length - 1) & 0xFF])
    return bytes([length - 1])


def _val_op(value: int, length: int) -> int:
    return _VAL_BIT | ((value - 1) << 2) | (length - 1)


def sparse_to_raw(hll: bytes | bytearray) -> bytes | None:
    """The registers of a sparse value, one byte each; None when the opcodes do not
    cover exactly 16384 registers (Redis's hllSparseToDense/hllMerge checks)."""
    chunks: list[bytes] = []
    index = 0
    at = HLL_HEADER_SIZE
    end = len(hll)
    while at < end:
        op = hll[at]
        if op < _XZERO_BIT:
            run = op + 1
            chunks.append(bytes(run))
            index += run
            at += 1
        elif op < _VAL_BIT:
            second = hll[at + 1] if at + 1 < end else 0
            run = (((op & 0x3F) << 8) | second) + 1
            chunks.append(bytes(run))
            index += run
            at += 2
        else:
            run = (op & 3) + 1
            if index + run > HLL_REGISTERS:
                return None
            chunks.append(bytes((((op >> 2) & 31) + 1,)) * run)
            index += run
            at += 1
    if index != HLL_REGISTERS:
        return None
    return b"".join(chunks)


def sparse_histogram(hll: bytes | bytearray) -> list[int] | None:
    """How many registers hold each value (Redis's hllSparseRegHisto); None when the
    opcodes do not cover exactly 16384 registers."""
    histogram = [0] * 64
    index = 0
    at = HLL_HEADER_SIZE
    end = len(hll)
    while at < end:
        op = hll[at]
        if op < _XZERO_BIT:
            run = op + 1
            histogram[0] += run
            at += 1
        elif op < _VAL_BIT:
            second = hll[at + 1] if at + 1 < end else 0
            run = (((op & 0x3F) << 8) | second) + 1
            histogram[0] += run
            at += 2
        else:
            run = (op & 3) + 1
            histogram[((op >> 2) & 31) + 1] += run
            at += 1
        index += run
    return histogram if index == HLL_REGISTERS else None


def sparse_to_dense(hll: bytearray) -> bool:
    """Convert in place (the header, cached cardinality included, is kept); False when
    the sparse value is corrupt, which leaves it unchanged."""
    if hll[4] == HLL_DENSE:
        return True
    raw = sparse_to_raw(hll)
    if raw is None:
        return False
    header = bytearray(hll[:HLL_HEADER_SIZE])
    header[4] = HLL_DENSE
    hll[:] = header + raw_to_dense_registers(raw)
    return True


class _OpcodeIndex:
    """Where some opcodes of one sparse value start: every CHECKPOINT_EVERY-th opcode's
    position and first register, plus a copy of the bytes they describe. A lookup
    compares the copy with the value (one memcmp), so an index can never be stale,
    whatever changed the string (SETRANGE, APPEND, a new value under the same id)."""

    __slots__ = ("snapshot", "firsts", "positions")

    def __init__(self, snapshot: bytes, firsts: list[int], positions: list[int]) -> None:
        self.snapshot = snapshot
        self.firsts = firsts
        self.positions = positions


CHECKPOINT_EVERY = 16
_INDEX_CACHE_SIZE = 256
# id(value) -> its index. Redis scans the opcodes from the start for every register it
# sets, which is cheap in C; in Python the scan of a 3 kB value would cost ~100 us, so
# scans start from the checkpoint before the register instead.
_opcode_indexes: dict[int, _OpcodeIndex] = {}


def _opcode_index(hll: bytearray) -> _OpcodeIndex:
    key = id(hll)
    found = _opcode_indexes.get(key)
    if found is not None and found.snapshot == hll:
        return found
    firsts: list[int] = []
    positions: list[int] = []
    end = len(hll)
    at = HLL_HEADER_SIZE
    first = 0
    number = 0
    while at < end:
        if not number % CHECKPOINT_EVERY:
            firsts.append(first)
            positions.append(at)
        number += 1
        span, length = _opcode_span(hll, at, end)
        at += length
        first += span
    if not positions:
        firsts.append(0)
        positions.append(HLL_HEADER_SIZE)
    index = _OpcodeIndex(bytes(hll), firsts, positions)
    if found is None and len(_opcode_indexes) >= _INDEX_CACHE_SIZE:
        del _opcode_indexes[next(iter(_opcode_indexes))]
    _opcode_indexes[key] = index
    return index


def _checkpoints_between(hll: bytearray, at: int, first: int,
                         stop: int) -> list[tuple[int, int]]:
    """(position, first register) of every CHECKPOINT_EVERY-th opcode from `at` (whose
    first register is `first`) up to `stop`."""
    found: list[tuple[int, int]] = []
    end = len(hll)
    number = 0
    while at < stop:
        if not number % CHECKPOINT_EVERY:
            found.append((at, first))
        number += 1
        span, length = _opcode_span(hll, at, end)
        at += length
        first += span
    return found


def _reindex_after_change(index: _OpcodeIndex, hll: bytearray, changed_from: int,
                          changed_to: int, kept: list[tuple[int, int]]) -> None:
    """Bring the checkpoints in step with an edit confined to old bytes
    [changed_from, changed_to): the ones inside are dropped, the ones after move by the
    change of length. `kept` are (position, first register) of opcode starts before
    the edit, added so that checkpoints stay dense where the value grows."""
    delta = len(hll) - len(index.snapshot)
    firsts, positions = index.firsts, index.positions
    start = bisect.bisect_left(positions, max(changed_from, HLL_HEADER_SIZE + 1))
    stop = bisect.bisect_left(positions, changed_to, start)
    moved = [position + delta for position in positions[stop:]]
    new_firsts = firsts[:start]
    new_positions = positions[:start]
    if len(kept) == 1 and kept[0][0] > new_positions[-1]:
        new_positions.append(kept[0][0])
        new_firsts.append(kept[0][1])
    elif kept:
        pairs = sorted(set(zip(new_positions, new_firsts)).union(kept))
        new_positions = [position for position, _ in pairs]
        new_firsts = [first for _, first in pairs]
    index.firsts = new_firsts + firsts[stop:]
    index.positions = new_positions + moved
    index.snapshot = bytes(hll)


def sparse_set(hll: bytearray, index: int, count: int, max_bytes: int) -> int:
    """Raise register `index` of a sparse value to `count` (Redis's hllSparseSet): 1 if
    it changed, 0 if not, -1 if the value is corrupt. The covering opcode is split as
    Redis splits it and neighbouring equal VALs are merged again, so the bytes match;
    the value is made dense when it must (and then the register always changes)."""
    if count > SPARSE_VAL_MAX_VALUE:
        return _promote_and_set(hll, index, count)
    end = len(hll)
    opcodes = _opcode_index(hll)
    # Start one checkpoint early, so that the opcode before the covering one is seen.
    checkpoint = bisect.bisect_right(opcodes.firsts, index) - 2
    if checkpoint >= 0:
        at, first = opcodes.positions[checkpoint], opcodes.firsts[checkpoint]
    else:
        at, first = HLL_HEADER_SIZE, 0
    start_at, start_first = at, first
    previous = -1
    previous_first = 0
    span = 0
    op_length = 1
    while at < end:
        op = hll[at]
        if op < _XZERO_BIT:
            span = op + 1
            op_length = 1
        elif op >= _VAL_BIT:
            span = (op & 3) + 1
            op_length = 1
        else:
            span = (((op & 0x3F) << 8) | (hll[at + 1] if at + 1 < end else 0)) + 1
            op_length = 2
        if index < first + span:
            break
        previous, previous_first = at, first
        at += op_length
        first += span
    if span == 0 or at >= end:
        return -1

    op = hll[at]
    is_val = op >= _VAL_BIT
    if is_val and ((op >> 2) & 31) + 1 >= count:
        return 0
    # Opcode starts before `previous` stay where they are; a long scan means the value
    # grew since it was indexed, so some of them become checkpoints.
    kept = [(previous, previous_first)] if previous >= 0 else []
    if at - start_at > 3 * CHECKPOINT_EVERY:
        kept += _checkpoints_between(hll, start_at, start_first, previous)
    if span == 1 and (is_val or op_length == 1):
        hll[at] = _val_op(count, 1)
        return _merged_and_reindexed(hll, opcodes, previous, at, 1, kept)

    # The general case: split the opcode around the register.
    last = first + span - 1
    if is_val:
        current = ((op >> 2) & 31) + 1
        before = bytes((_val_op(current, index - first),)) if index != first else b""
        after = bytes((_val_op(current, last - index),)) if index != last else b""
    else:
        before = _zero_run(index - first) if index != first else b""
        after = _zero_run(last - index) if index != last else b""
    sequence = before + bytes((_val_op(count, 1),)) + after
    growth = len(sequence) - op_length
    if growth > 0 and end + growth > max_bytes:
        return _promote_and_set(hll, index, count)
    hll[at:at + op_length] = sequence
    if len(hll) != end + growth:  # a truncated XZERO at the very end
        del hll[end + growth:]
    return _merged_and_reindexed(hll, opcodes, previous, at, op_length, kept)


def _merged_and_reindexed(hll: bytearray, opcodes: _OpcodeIndex, previous: int, at: int,
                          op_length: int, kept: list[tuple[int, int]]) -> int:
    result = _merge_adjacent_vals(hll, previous)
    # The split replaced old bytes [at, at + op_length); merges reach at most five
    # opcodes (two bytes each at most) from `previous`, which itself stays in place.
    _reindex_after_change(opcodes, hll, previous if previous >= 0 else HLL_HEADER_SIZE,
                          at + op_length + 16, kept)
    return result


def _merge_adjacent_vals(hll: bytearray, previous: int) -> int:
    """Redis's step 4: scan up to five opcodes from the one before the change and merge
    two VALs of the same value whose runs fit in one. Also marks the cache stale."""
    at = previous if previous >= 0 else HLL_HEADER_SIZE
    end = len(hll)
    remaining = 5
    while at < end and remaining:
        remaining -= 1
        op = hll[at]
        if op < _VAL_BIT:
            at += 2 if op >= _XZERO_BIT else 1
            continue
        if at + 1 < end:
            following = hll[at + 1]
            if following >= _VAL_BIT and (op >> 2) & 31 == (following >> 2) & 31:
                length = (op & 3) + (following & 3) + 2
                if length <= SPARSE_VAL_MAX_LEN:
                    hll[at + 1] = _val_op(((op >> 2) & 31) + 1, length)
                    del hll[at]
                    end -= 1
                    continue
        at += 1
    invalidate_cached_cardinality(hll)
    return 1


def _promote_and_set(hll: bytearray, index: int, count: int) -> int:
    if not sparse_to_dense(hll):
        return -1
    dense_set(hll, index, count)
    return 1


def hll_add(hll: bytearray, element: bytes, max_bytes: int) -> int:
    """Add one element: 1 if a register changed, 0 if not, -1 if the value is corrupt."""
    index, count = register_and_count(element)
    encoding = hll[4]
    if encoding == HLL_DENSE:
        return dense_set(hll, index, count)
    if encoding == HLL_SPARSE:
        return sparse_set(hll, index, count, max_bytes)
    return -1


def registers_of(hll: bytes | bytearray) -> bytes | None:
    """One byte per register, None for a corrupt sparse value."""
    if hll[4] == HLL_DENSE:
        return dense_to_raw(hll)
    return sparse_to_raw(hll)


def max_registers(first: bytes, second: bytes) -> bytes:
    if not any(first):
        return second
    return bytes(map(max, first, second))


def raw_histogram(raw: bytes) -> list[int]:
    return [raw.count(value) for value in range(64)]


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if previous == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        # Redis writes pow(1 - x, 2), which C compilers turn into this product.
        complement = 1 - x
        z -= complement * complement * y
        if previous == z:
            return z / 3


def estimate(histogram: list[int]) -> int:
    """Redis 7's hllCount from a register histogram, as a uint64 (llroundl of an
    infinite estimate gives 2**63 there, as on x86)."""
    m = float(HLL_REGISTERS)
    z = m * _tau((m - histogram[HLL_Q + 1]) / m)
    for value in range(HLL_Q, 0, -1):
        z += histogram[value]
        z *= 0.5
    z += m * _sigma(histogram[0] / m)
    if z == 0.0:
        return 1 << 63
    result = _ALPHA_INF * m * m / z
    if not result < 2.0 ** 63:
        return 1 << 63
    whole = int(result)
    return whole + 1 if result - whole >= 0.5 else whole


def as_long_long(value: int) -> int:
    return value - (1 << 64) if value >> 63 else value


def hll_cardinality(hll: bytes | bytearray) -> int | None:
    """The estimate for one value, None when it is corrupt."""
    if hll[4] == HLL_DENSE:
        return estimate(raw_histogram(dense_to_raw(hll)))
    histogram = sparse_histogram(hll)
    return None if histogram is None else estimate(histogram)


def decode_sparse(hll: bytes | bytearray) -> bytes:
    """PFDEBUG DECODE's text: z:<run> Z:<run> v:<value>,<run> for each opcode."""
    parts: list[str] = []
    at = HLL_HEADER_SIZE
    end = len(hll)
    while at < end:
        op = hll[at]
        span, length = _opcode_span(hll, at, end)
        if op < _XZERO_BIT:
            parts.append(f"z:{span}")
        elif op < _VAL_BIT:
            parts.append(f"Z:{span}")
        else:
            parts.append(f"v:{((op >> 2) & 31) + 1},{span}")
        at += length
    return " ".join(parts).encode()


def self_test() -> bool:
    """PFSELFTEST's checks, shortened: dense registers read back what was written, and
    sparse and dense values built from the same elements agree byte for byte."""
    dense = bytearray(_EMPTY_SPARSE)
    sparse_to_dense(dense)
    values = [(index * 7 + 3) % (HLL_REGISTER_MAX + 1) for index in range(HLL_REGISTERS)]
    for index, value in enumerate(values):
        hll_register_force(dense, index, value)
    if any(dense_get(dense, index) != value for index, value in enumerate(values)):
        return False
    if list(dense_to_raw(dense)) != values:
        return False
    sparse = new_hll()
    promoted = new_hll()
    sparse_to_dense(promoted)
    for number in range(2000):
        element = str(number).encode()
        hll_add(sparse, element, 1 << 30)
        hll_add(promoted, element, 1 << 30)
    sparse_to_dense(sparse)
    return bytes(sparse[HLL_HEADER_SIZE:]) == bytes(promoted[HLL_HEADER_SIZE:])


def hll_register_force(hll: bytearray, index: int, value: int) -> None:
    """Set a dense register to any value, lower or higher."""
    bit = index * HLL_BITS
    at = HLL_HEADER_SIZE + (bit >> 3)
    shift = bit & 7
    word = hll[at] | ((hll[at + 1] << 8) if at + 1 < len(hll) else 0)
    word = (word & ~(HLL_REGISTER_MAX << shift)) | (value << shift)
    hll[at] = word & 0xFF
    if at + 1 < len(hll):
        hll[at + 1] = word >> 8


# ------------------------------------------------------------------ HyperLogLog commands


def _merged_registers(ctx: CommandContext, keys: list[bytes]) -> tuple[bytes, bool]:
    """The register-wise maximum of the values at keys (missing keys are empty) and
    whether any of them is dense."""
    merged = bytes(HLL_REGISTERS)
    has_dense = False
    db = ctx.db
    for key in keys:
        value = db.get_string(key)
        if value is None:
            continue
        check_hll(value)
        if value[4] == HLL_DENSE:
            has_dense = True
        registers = registers_of(value)
        if registers is None:
            raise CommandError(errors.HLL_CORRUPT)
        merged = max_registers(merged, registers)
    return merged, has_dense


@group.command("PFADD", -2, WRITE | DENYOOM | FAST, keys=KeySpec(1, flags=("RW", "insert")),
               summary="Adds the specified elements to the specified HyperLogLog.",
               since="2.8.9", complexity="O(1) to add every element.",
               syntax="key:key [element [element ...]]")
def pfadd_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PFADD key [element [element ...]]

    As in Redis, elements added before a corrupt opcode is met stay added, but the
    command then answers the error and counts no change."""
    db = ctx.db
    key = argv[1]
    value = db.get_string_for_write(key)
    keyspace = ctx.server.keyspace
    if value is None:
        hll = new_hll()
        db.set(key, hll)  # counted as one change
        updated = 1
        dirty_from_creation = 1
    else:
        check_hll(value)
        hll = writable_string(ctx, key, value)
        updated = 0
        dirty_from_creation = 0
    max_bytes = ctx.server.config["hll-sparse-max-bytes"]
    is_dense = hll[4] == HLL_DENSE
    for element in argv[2:]:
        if is_dense:
            # The dense path inlined: hashing dominates, the register update is a few
            # byte operations.
            index, count = register_and_count(element)
            updated += dense_set(hll, index, count)
            continue
        result = hll_add(hll, element, max_bytes)
        if result < 0:
            raise CommandError(errors.HLL_CORRUPT)
        updated += result
        is_dense = hll[4] == HLL_DENSE
    if updated:
        invalidate_cached_cardinality(hll)
        keyspace.dirty += updated - dirty_from_creation
        return 1
    return 0


@group.command("PFCOUNT", -2, READONLY | MAY_REPLICATE,
               keys=KeySpec(1, -1, flags=("RW", "access"),
                            notes=("RW because it may change the internal representation of "
                                   "the key, and propagate to replicas")),
               summary=("Return the approximated cardinality of the set(s) observed by the "
                        "HyperLogLog at key(s)."),
               since="2.8.9",
               complexity=("O(1) with a very small average constant time when called with a "
                           "single key. O(N) with N being the number of keys, and much bigger "
                           "constant times, when called with multiple keys."),
               syntax="key:key [key ...]")
def pfcount_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PFCOUNT key [key ...]

    Several keys: the estimate of their union, computed on a temporary merge that is
    stored nowhere. One key: the cached estimate, or a fresh one that is written into
    the header; that write changes the string, so, as Redis, it counts as a change, is
    logged as the PFCOUNT sent and touches the key for WATCH, although PFCOUNT is a
    read-only command."""
    if len(argv) > 2:
        merged, _ = _merged_registers(ctx, argv[1:])
        return as_long_long(estimate(raw_histogram(merged)))
    db = ctx.db
    key = argv[1]
    value = db.get_string(key)
    if value is None:
        return 0
    check_hll(value)
    hll = writable_string(ctx, key, value)
    cardinality = cached_cardinality(hll)
    if cardinality is not None:
        return as_long_long(cardinality)
    cardinality = hll_cardinality(hll)
    if cardinality is None:
        raise CommandError(errors.HLL_CORRUPT)
    store_cached_cardinality(hll, cardinality)
    _count_read_only_change(ctx, argv, key)
    return as_long_long(cardinality)


def _count_read_only_change(ctx: CommandContext, argv: list[bytes], key: bytes) -> None:
    """The executor logs only WRITE commands: PFCOUNT's cache update is counted, logged
    and signalled here (Redis propagates any command that made the dataset dirty)."""
    server = ctx.server
    server.keyspace.dirty += 1
    server.keyspace.writes.emit(ctx.db.index, list(argv))
    server.key_signals.touch(ctx.db.index, key)


@group.command("PFMERGE", -2, WRITE | DENYOOM,
               keys=(KeySpec(1, flags=("RW", "access", "insert")),
                     KeySpec(2, -1, flags=("RO", "access"))),
               summary="Merge N different HyperLogLogs into a single one.",
               since="2.8.9",
               complexity="O(N) to merge N HyperLogLogs, but with high constant times.",
               syntax="destkey:key sourcekey:key [sourcekey ...]")
def pfmerge_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PFMERGE destkey sourcekey [sourcekey ...]

    The destination takes part in the merge. It stays sparse unless a source is dense
    (or it outgrows the sparse limits while the registers are raised one by one, as in
    Redis); it always counts as a change."""
    merged, has_dense = _merged_registers(ctx, argv[1:])
    db = ctx.db
    key = argv[1]
    value = db.get_string_for_write(key)
    keyspace = ctx.server.keyspace
    if value is None:
        hll = new_hll()
        db.set(key, hll)
        keyspace.dirty -= 1  # the merge below is the one change Redis counts
    else:
        hll = writable_string(ctx, key, value)
    if has_dense and not sparse_to_dense(hll):
        raise CommandError(errors.HLL_CORRUPT)
    if hll[4] == HLL_DENSE:
        header = bytes(hll[:HLL_HEADER_SIZE])
        # Every source register is at most the merged one, the destination's included.
        hll[:] = header + raw_to_dense_registers(merged)
    else:
        max_bytes = ctx.server.config["hll-sparse-max-bytes"]
        for index, count in enumerate(merged):
            if not count:
                continue
            if hll[4] == HLL_DENSE:
                dense_set(hll, index, count)
            else:
                sparse_set(hll, index, count, max_bytes)
    invalidate_cached_cardinality(hll)
    keyspace.dirty += 1
    return OK


@group.command("PFDEBUG", 3, WRITE | DENYOOM | ADMIN,
               keys=KeySpec(2, flags=("RW", "access")),
               summary="Internal commands for debugging HyperLogLog values",
               since="2.8.9", complexity="N/A", doc_flags=("syscmd",),
               syntax="subcommand key:key")
def pfdebug_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PFDEBUG subcommand key

    GETREG (the 16384 registers; makes a sparse value dense), DECODE (a sparse value's
    opcodes), ENCODING and TODENSE."""
    db = ctx.db
    key = argv[2]
    value = db.get_string_for_write(key)
    if value is None:
        raise CommandError(errors.HLL_DEBUG_NO_KEY)
    check_hll(value)
    hll = writable_string(ctx, key, value)
    subcommand = argv[1].lower()
    if subcommand == b"getreg":
        if hll[4] == HLL_SPARSE:
            if not sparse_to_dense(hll):
                raise CommandError(errors.HLL_CORRUPT)
            ctx.server.keyspace.dirty += 1
        return list(dense_to_raw(hll))
    if subcommand == b"decode":
        if hll[4] != HLL_SPARSE:
            raise CommandError(errors.HLL_NOT_SPARSE)
        return decode_sparse(hll)
    if subcommand == b"encoding":
        return SimpleString(b"dense" if hll[4] == HLL_DENSE else b"sparse")
    if subcommand == b"todense":
        if hll[4] != HLL_SPARSE:
            return 0
        if not sparse_to_dense(hll):
            raise CommandError(errors.HLL_CORRUPT)
        ctx.server.keyspace.dirty += 1
        return 1
    raise CommandError(errors.HLL_DEBUG_UNKNOWN % argv[1].decode("utf-8", "replace"))


@group.command("PFSELFTEST", 1, ADMIN,
               summary="An internal command for testing HyperLogLog values",
               since="2.8.9", complexity="N/A", doc_flags=("syscmd",))
def pfselftest_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PFSELFTEST

    A shorter self test than Redis's (which also measures the estimator's error)."""
    if not self_test():
        raise CommandError("ERR TESTFAILED HyperLogLog self test failed")
    return OK
