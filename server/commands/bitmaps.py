"""Bitmap commands over string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD
and BITFIELD_RO, as in Redis's bitops.c.

Bit 0 is the most significant bit of the first byte. Reads treat a missing key, and
bytes past the end of a string, as zeros; writes grow the string with zero bytes and
change it in place, as a bytearray (Redis's "raw" encoding). Bit offsets stop short of
proto-max-bulk-len bytes. As in Redis 7.0, SETBIT and BITFIELD count a change, and so
reach the AOF, only when the string was created or grew or a bit actually changed.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from server import errors
from server.commands.args import option_word, parse_int
from server.commands.strings import writable_string
from server.context import CommandContext
from server.errors import CommandError
from server.registry import DENYOOM, FAST, READONLY, WRITE, CommandGroup, KeySpec

group = CommandGroup("bitmap", category="bitmap")

# ------------------------------------------------------------------ Bitmap API


def parse_bit_offset(ctx: CommandContext, arg: bytes, field_bits: int = 0) -> int:
    """A bit offset (Redis's getBitOffsetFromArgument). With `field_bits`, BITFIELD's
    `#n` form is accepted and means n fields of that width; the product wraps at 64 bits
    as it does in C."""
    is_field_index = field_bits > 0 and arg[:1] == b"#"
    offset = parse_int(arg[1:] if is_field_index else arg, errors.BIT_OFFSET)
    if is_field_index:
        offset = _as_int64(offset * field_bits)
    limit_bytes = ctx.server.config["proto-max-bulk-len"]
    if offset < 0 or (offset >> 3 >= limit_bytes and not ctx.server.is_loading):
        raise CommandError(errors.BIT_OFFSET)
    return offset


def string_for_bit_write(ctx: CommandContext, key: bytes, max_bit: int) -> tuple[bytearray, bool]:
    """Redis's lookupStringForBitCommand: the string at key as a bytearray holding at
    least bit `max_bit`, created or zero-padded as needed, and whether it was created
    or grew. Counting the change is left to the caller."""
    value = ctx.db.get_string_for_write(key)
    buffer = writable_string(ctx, key, b"" if value is None else value)
    needed = (max_bit >> 3) + 1
    grew = len(buffer) < needed
    if grew:
        buffer.extend(bytes(needed - len(buffer)))
    return buffer, grew or value is None


def _as_int64(value: int) -> int:
    """value wrapped to a C int64_t."""
    value &= 0xFFFF_FFFF_FFFF_FFFF
    return value - (1 << 64) if value >> 63 else value


def _normalize_range(start: int, end: int, total: int) -> tuple[int, int]:
    """BITCOUNT's and BITPOS's start/end: negative from the end, clamped to the string."""
    if start < 0:
        start = max(total + start, 0)
    if end < 0:
        end = max(total + end, 0)
    return start, min(end, total - 1)


def _parse_unit(arg: bytes) -> bool:
    """BYTE or BIT: True for BIT."""
    word = option_word(arg)
    if word == b"BIT":
        return True
    if word == b"BYTE":
        return False
    raise CommandError(errors.SYNTAX)


def _count_bits(data: bytes | bytearray, first_bit: int, last_bit: int) -> int:
    first_byte, last_byte = first_bit >> 3, last_bit >> 3
    chunk = int.from_bytes(data[first_byte:last_byte + 1], "big")
    chunk >>= 7 - (last_bit & 7)
    return (chunk & ((1 << (last_bit - first_bit + 1)) - 1)).bit_count()


def _first_bit(data: bytes | bytearray, first_bit: int, last_bit: int, bit: int) -> int:
    """Position of the first `bit` in [first_bit, last_bit], or -1."""
    first_byte, last_byte = first_bit >> 3, last_bit >> 3
    chunk = bytearray(data[first_byte:last_byte + 1])
    # Bits outside the range are forced to the value not sought.
    head = (0xFF << (8 - (first_bit & 7))) & 0xFF
    tail = (1 << (7 - (last_bit & 7))) - 1
    if bit:
        chunk[0] &= ~head & 0xFF
        chunk[-1] &= ~tail & 0xFF
    else:
        chunk[0] |= head
        chunk[-1] |= tail
    skip = b"\x00" if bit else b"\xff"
    index = len(chunk) - len(chunk.lstrip(skip))
    if index == len(chunk):
        return -1
    byte = chunk[index] if bit else chunk[index] ^ 0xFF
    return (first_byte + index) * 8 + 8 - byte.bit_length()


# BITFIELD ----------------------------------------------------------------

_GET, _SET, _INCRBY = range(3)
_WRAP, _SAT, _FAIL = range(3)
_OVERFLOW_KINDS = {b"WRAP": _WRAP, b"SAT": _SAT, b"FAIL": _FAIL}
_FIELD_OPS = {b"GET": (_GET, 2), b"SET": (_SET, 3), b"INCRBY": (_INCRBY, 3)}


class FieldOp(NamedTuple):
    kind: int
    offset: int
    bits: int
    is_signed: bool
    value: int  # SET's value or INCRBY's increment
    overflow: int


def parse_field_type(arg: bytes) -> tuple[bool, int]:
    """i1..i64 or u1..u63: (is_signed, bits)."""
    prefix = arg[:1]
    if prefix not in (b"i", b"u"):
        raise CommandError(errors.BITFIELD_TYPE)
    is_signed = prefix == b"i"
    width = arg[1:].split(b"\0", 1)[0]  # Redis reads the width as a C string
    bits = parse_int(width, errors.BITFIELD_TYPE)
    if bits < 1 or bits > (64 if is_signed else 63):
        raise CommandError(errors.BITFIELD_TYPE)
    return is_signed, bits


def parse_field_ops(ctx: CommandContext, argv: list[bytes]) -> list[FieldOp]:
    ops: list[FieldOp] = []
    overflow = _WRAP
    index = 2
    while index < len(argv):
        word = option_word(argv[index])
        remaining = len(argv) - index - 1
        if word == b"OVERFLOW" and remaining >= 1:
            kind_of_overflow = _OVERFLOW_KINDS.get(option_word(argv[index + 1]))
            if kind_of_overflow is None:
                raise CommandError(errors.BITFIELD_OVERFLOW_TYPE)
            overflow = kind_of_overflow
            index += 2
            continue
        kind, needed = _FIELD_OPS.get(word, (None, 0))
        if kind is None or remaining < needed:
            raise CommandError(errors.SYNTAX)
        is_signed, bits = parse_field_type(argv[index + 1])
        offset = parse_bit_offset(ctx, argv[index + 2], bits)
        value = 0 if kind == _GET else parse_int(argv[index + 3])
        ops.append(FieldOp(kind, offset, bits, is_signed, value, overflow))
        index += needed + 1
    return ops


def read_field(data: bytes | bytearray | None, offset: int, bits: int, is_signed: bool) -> int:
    """The field at offset; bytes past the end read as zeros."""
    if data is None:
        return 0
    first, last = offset >> 3, (offset + bits - 1) >> 3
    width = last - first + 1
    chunk = data[first:last + 1]
    raw = int.from_bytes(chunk, "big") << (8 * (width - len(chunk)))
    field = (raw >> (width * 8 - (offset & 7) - bits)) & ((1 << bits) - 1)
    if is_signed and field >> (bits - 1):
        field -= 1 << bits
    return field


def write_field(buffer: bytearray, offset: int, bits: int, value: int) -> None:
    """Store the low `bits` bits of value at offset (the buffer is long enough)."""
    first, last = offset >> 3, (offset + bits - 1) >> 3
    width = last - first + 1
    shift = width * 8 - (offset & 7) - bits
    mask = ((1 << bits) - 1) << shift
    raw = int.from_bytes(buffer[first:last + 1], "big")
    raw = (raw & ~mask) | ((value << shift) & mask)
    buffer[first:last + 1] = raw.to_bytes(width, "big")


def _unsigned_overflow(value: int, increment: int, bits: int, overflow: int) -> int | None:
    """Redis's checkUnsignedBitfieldOverflow on uint64 `value`: the wrapped or saturated
    result, or None when value + increment fits."""
    top = (1 << bits) - 1
    if value > top or increment > _as_int64(top - value):
        limit = top
    elif increment < 0 and increment < _as_int64(-value):
        limit = 0
    else:
        return None
    if overflow == _WRAP:
        return (value + increment) & top
    return limit


def _signed_overflow(value: int, increment: int, bits: int, overflow: int) -> int | None:
    """Redis's checkSignedBitfieldOverflow, including its 64-bit wrap-around: SET of a
    value below the type's minimum saturates to the maximum, as in Redis 7.0."""
    top = (1 << 63) - 1 if bits == 64 else (1 << (bits - 1)) - 1
    bottom = -top - 1
    max_increment = _as_int64(top - value)
    min_increment = _as_int64(bottom - value)
    if (value > top or (bits != 64 and increment > max_increment)
            or (value >= 0 and increment > 0 and increment > max_increment)):
        limit = top
    elif (value < bottom or (bits != 64 and increment < min_increment)
            or (value < 0 and increment < 0 and increment < min_increment)):
        limit = bottom
    else:
        return None
    if overflow == _WRAP:
        wrapped = (value + increment) & ((1 << 64) - 1)
        if bits < 64:
            wrapped &= (1 << bits) - 1
            if wrapped >> (bits - 1):
                wrapped -= 1 << bits
            return wrapped
        return _as_int64(wrapped)
    return limit


def bitfield_generic(ctx: CommandContext, argv: list[bytes], is_read_only: bool) -> list[Any]:
    """BITFIELD and BITFIELD_RO: every operation is parsed before any runs; a failed
    (OVERFLOW FAIL) write answers nil and leaves the field alone."""
    ops = parse_field_ops(ctx, argv)
    writes = [op for op in ops if op.kind != _GET]
    if not writes:
        source = ctx.db.get_string(argv[1])
        return [read_field(source, op.offset, op.bits, op.is_signed) for op in ops]
    if is_read_only:
        raise CommandError(errors.BITFIELD_RO_WRITE)
    highest = max(op.offset + op.bits - 1 for op in writes)
    buffer, grew = string_for_bit_write(ctx, argv[1], highest)
    replies: list[Any] = []
    changes = 0
    for op in ops:
        old = read_field(buffer, op.offset, op.bits, op.is_signed)
        if op.kind == _GET:
            replies.append(old)
            continue
        if op.is_signed:
            base, increment = (old, op.value) if op.kind == _INCRBY else (op.value, 0)
            limit = _signed_overflow(base, increment, op.bits, op.overflow)
        else:
            base, increment = (old, op.value) if op.kind == _INCRBY else (
                op.value & 0xFFFF_FFFF_FFFF_FFFF, 0)
            limit = _unsigned_overflow(base, increment, op.bits, op.overflow)
        if limit is not None and op.overflow == _FAIL:
            replies.append(None)
            continue
        new = base + increment if limit is None else limit
        write_field(buffer, op.offset, op.bits, new)
        replies.append(new if op.kind == _INCRBY else old)
        if grew or new != old:
            changes += 1
    ctx.server.keyspace.dirty += changes
    return replies


# ------------------------------------------------------------------ Bitmap commands


@group.command("SETBIT", 4, WRITE | DENYOOM, keys=KeySpec(1, flags=("RW", "access", "update")),
               summary="Sets or clears the bit at offset in the string value stored at key",
               since="2.2.0", complexity="O(1)",
               syntax="key:key offset:integer value:integer")
def setbit_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SETBIT key offset value"""
    offset = parse_bit_offset(ctx, argv[2])
    on = parse_int(argv[3], errors.BIT_VALUE)
    if on not in (0, 1):
        raise CommandError(errors.BIT_VALUE)
    buffer, grew = string_for_bit_write(ctx, argv[1], offset)
    byte, mask = offset >> 3, 0x80 >> (offset & 7)
    old = 1 if buffer[byte] & mask else 0
    if grew or old != on:
        buffer[byte] = buffer[byte] | mask if on else buffer[byte] & ~mask
        ctx.server.keyspace.dirty += 1
    return old


@group.command("GETBIT", 3, READONLY | FAST, keys=KeySpec(1, flags=("RO", "access")),
               summary="Returns the bit value at offset in the string value stored at key",
               since="2.2.0", complexity="O(1)",
               syntax="key:key offset:integer")
def getbit_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """GETBIT key offset"""
    offset = parse_bit_offset(ctx, argv[2])
    value = ctx.db.get_string(argv[1])
    byte = offset >> 3
    if value is None or byte >= len(value):
        return 0
    return 1 if value[byte] & (0x80 >> (offset & 7)) else 0


@group.command("BITCOUNT", -2, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Count set bits in a string", since="2.6.0", complexity="O(N)",
               history=(("7.0.0", "Added the `BYTE|BIT` option."),),
               syntax=("key:key "
                       "[start:integer end:integer [BYTE | BIT]=index_unit@7.0.0]=index"))
def bitcount_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BITCOUNT key [start end [BYTE | BIT]]

    As in Redis 7.0, a missing key answers 0 before the arguments are looked at."""
    value = ctx.db.get_string(argv[1])
    if value is None:
        return 0
    if len(argv) == 2:
        return int.from_bytes(value, "big").bit_count()
    if len(argv) not in (4, 5):
        raise CommandError(errors.SYNTAX)
    start, end = parse_int(argv[2]), parse_int(argv[3])
    in_bits = len(argv) == 5 and _parse_unit(argv[4])
    total = len(value) * 8 if in_bits else len(value)
    if start < 0 and end < 0 and start > end:
        return 0
    start, end = _normalize_range(start, end, total)
    if start > end:
        return 0
    if in_bits:
        return _count_bits(value, start, end)
    return int.from_bytes(value[start:end + 1], "big").bit_count()


@group.command("BITPOS", -3, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Find first bit set or clear in a string", since="2.8.7",
               complexity="O(N)",
               history=(("7.0.0", "Added the `BYTE|BIT` option."),),
               syntax=("key:key bit:integer [start:integer "
                       "[end:integer [BYTE | BIT]=index_unit@7.0.0]=end_index]=index"))
def bitpos_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BITPOS key bit [start [end [BYTE | BIT]]]

    A missing key is an endless run of zeros: 0 for a clear bit, -1 for a set one. With
    no end given, a search for a clear bit that finds none answers the first bit past
    the string, as if it were padded with zeros; with an end given it answers -1."""
    bit = parse_int(argv[2])
    if bit not in (0, 1):
        raise CommandError(errors.BITPOS_BIT)
    value = ctx.db.get_string(argv[1])
    if value is None:
        return -1 if bit else 0
    argc = len(argv)
    if argc > 6:
        raise CommandError(errors.SYNTAX)
    in_bits = has_end = False
    start, end = 0, len(value) - 1
    if argc >= 4:
        start = parse_int(argv[3])
        in_bits = argc == 6 and _parse_unit(argv[5])
        total = len(value) * 8 if in_bits else len(value)
        if argc >= 5:
            end = parse_int(argv[4])
            has_end = True
        else:
            end = total - 1
        start, end = _normalize_range(start, end, total)
    if start > end:
        return -1
    first_bit, last_bit = (start, end) if in_bits else (start * 8, end * 8 + 7)
    found = _first_bit(value, first_bit, last_bit, bit)
    if found >= 0 or bit or has_end:
        return found
    return last_bit + 1


_BITOPS = {b"AND", b"OR", b"XOR", b"NOT"}


@group.command("BITOP", -4, WRITE | DENYOOM,
               keys=(KeySpec(2, flags=("OW", "update")), KeySpec(3, -1, flags=("RO", "access"))),
               summary="Perform bitwise operations between strings", since="2.6.0",
               complexity="O(N)",
               syntax="operation destkey:key key:key [key ...]")
def bitop_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BITOP <AND | OR | XOR | NOT> destkey key [key ...]

    Shorter strings (and missing keys) are padded with zero bytes; an empty result
    deletes destkey. The reply is the result's length."""
    operation = option_word(argv[1])
    if operation not in _BITOPS:
        raise CommandError(errors.SYNTAX)
    if operation == b"NOT" and len(argv) != 4:
        raise CommandError(errors.BITOP_NOT_ONE_KEY)
    db = ctx.db
    sources = [db.get_string(key) or b"" for key in argv[3:]]
    length = max(len(source) for source in sources)
    destination = argv[2]
    if length == 0:
        db.delete(destination)
        return 0
    numbers = [int.from_bytes(source, "big") << 8 * (length - len(source)) for source in sources]
    result = numbers[0]
    if operation == b"NOT":
        result = ~result & ((1 << 8 * length) - 1)
    for number in numbers[1:]:
        if operation == b"AND":
            result &= number
        elif operation == b"OR":
            result |= number
        else:
            result ^= number
    db.set(destination, bytearray(result.to_bytes(length, "big")))
    return length


# Each operation is a GET, or a SET or INCRBY with an optional OVERFLOW before it; the
# repeat is written out as Redis's docs write it, which is how the parser knows.
_BITFIELD_OPERATIONS = (
    "GET encoding offset:integer | "
    "<[OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset:integer value:integer | "
    "INCRBY encoding offset:integer increment:integer>=write_operation>=write"
)
_BITFIELD_SYNTAX = f"key:key [{_BITFIELD_OPERATIONS} [{_BITFIELD_OPERATIONS} ...]]=operation"


def bitfield_key_flags(argv: list[bytes]) -> tuple[str, ...]:
    """Only reads when every operation is a GET (OVERFLOW alone changes nothing); anything
    else, a syntax error included, counts as a write, as Redis's bitfieldGetKeys says."""
    index = 2
    while index < len(argv):
        word, remaining = argv[index].lower(), len(argv) - index - 1
        if word == b"get" and remaining >= 2:
            index += 3
        elif word == b"overflow" and remaining >= 1:
            index += 2
        else:
            return ("RW", "access", "update")
    return ("RO", "access")


@group.command("BITFIELD", -2, WRITE | DENYOOM, key_flags=bitfield_key_flags,
               keys=KeySpec(1, flags=("RW", "access", "update", "variable_flags"),
                            notes="This command allows both access and modification of the key"),
               summary="Perform arbitrary bitfield integer operations on strings",
               since="3.2.0", complexity="O(1) for each subcommand specified",
               syntax=_BITFIELD_SYNTAX)
def bitfield_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BITFIELD key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> ...]]"""
    return bitfield_generic(ctx, argv, is_read_only=False)


@group.command("BITFIELD_RO", -2, READONLY | FAST, keys=KeySpec(1, flags=("RO", "access")),
               summary=("Perform arbitrary bitfield integer operations on strings. "
                        "Read-only variant of BITFIELD"),
               since="6.0.0", complexity="O(1) for each subcommand specified",
               syntax="key:key [GET encoding offset:integer [GET encoding offset ...]]")
def bitfield_ro_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BITFIELD_RO key [GET encoding offset [GET encoding offset ...]]"""
    return bitfield_generic(ctx, argv, is_read_only=True)
