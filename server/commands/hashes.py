"""Hash commands: HSET, HSETNX, HMSET, HGET, HMGET, HDEL, HLEN, HEXISTS, HSTRLEN,
HGETALL, HKEYS, HVALS, HINCRBY, HINCRBYFLOAT, HRANDFIELD and HSCAN.

Hash API first (lookup, the listpack limits, the generic set and random helpers), then
the commands, as in Redis's t_hash.c. The value type is server/hash_type.py's Hash; its
`is_listpack` flag follows hash-max-listpack-entries/value so that OBJECT ENCODING
answers as Redis 7.0 does. What reaches the AOF is the command as sent, except
HINCRBYFLOAT, which Redis logs as `HSET key field <result>` so that no float
formatting is redone on replay.

HRANDFIELD ... WITHVALUES is the one reply whose shape depends on the protocol beyond
what protocol/replies.py says (a flat array in RESP2, an array of pairs in RESP3): it
reads the client's protocol in `field_value_pairs`.
"""

from __future__ import annotations

import math
import random
from typing import Any, Iterable

from protocol.replies import OK, Map, Pairs
from server import errors
from server.commands.args import (
    LLONG_MAX, LLONG_MIN, add_long_doubles, format_long_double, parse_int,
    parse_long_double,
)
from server.commands.random_replies import bulk_size, check_reply_size
from server.context import CommandContext
from server.errors import CommandError
from server.hash_type import Hash
from server.registry import DENYOOM, FAST, READONLY, WRITE, CommandGroup, KeySpec
from server.scan import parse_cursor, parse_scan_options

group = CommandGroup("hash", category="hash")

# ------------------------------------------------------------------ Hash API

# Redis's CASE 3 of HRANDFIELD: when the reply takes more than a third of the hash,
# drawing distinct fields one by one would retry too often, so a copy is thinned out.
_RANDOM_COPY_FACTOR = 3


def get_hash(ctx: CommandContext, key: bytes, for_write: bool = False) -> Hash | None:
    """The hash at key, None if missing, WRONGTYPE for any other type."""
    return ctx.db.get_typed(key, Hash, for_write)  # type: ignore[no-any-return]


def listpack_limits(ctx: CommandContext) -> tuple[int, int]:
    """(hash-max-listpack-entries, hash-max-listpack-value), read once per command."""
    values = ctx.server.config.values
    return values["hash-max-listpack-entries"], values["hash-max-listpack-value"]


def get_or_create_hash(ctx: CommandContext, key: bytes) -> Hash:
    """Redis's hashTypeLookupWriteOrCreate: a new hash is only stored by `store`."""
    value = get_hash(ctx, key, for_write=True)
    return Hash() if value is None else value


def hset_generic(ctx: CommandContext, argv: list[bytes], name: str) -> int:
    """HSET and HMSET: set every field/value pair; the count of new fields."""
    argc = len(argv)
    if argc % 2:
        raise CommandError(errors.wrong_arity(name))
    key = argv[1]
    keyspace = ctx.server.keyspace
    dirty_before = keyspace.dirty
    value = ctx.db.get_typed(key, Hash, True)
    if value is None:
        value = Hash()
    size = len(value)
    if not value.is_listpack and value.picker is None:
        # The benchmark's path (one field into a large hash): plain dict stores, as
        # set_field would do them with nothing to keep in step.
        for index in range(2, argc, 2):
            value[argv[index]] = argv[index + 1]
        added = len(value) - size
    else:
        max_entries, max_value = listpack_limits(ctx)
        set_field = value.set_field
        added = 0
        for index in range(2, argc, 2):
            if set_field(argv[index], argv[index + 1], max_entries, max_value):
                added += 1
    ctx.db.store(key, value)
    keyspace.dirty = dirty_before + (argc - 2) // 2
    return added


def field_value_pairs(ctx: CommandContext, pairs: Iterable[tuple[bytes, bytes]]) -> Pairs:
    """Field/value pairs as HRANDFIELD ... WITHVALUES sends them: flat in RESP2, each
    pair its own array in RESP3 (the encoder decides)."""
    return Pairs(list(pairs))


def random_fields(value: Hash, count: int) -> list[bytes]:
    """`count` (< len(value)) distinct random fields, as Redis chooses them: a listpack
    samples in its own order; a hash table draws when the reply is small next to the
    hash and otherwise thins out a copy, so either way the work is O(count)."""
    size = len(value)
    if value.is_listpack:
        fields = list(value)
        chosen = sorted(random.sample(range(size), count))
        return [fields[index] for index in chosen]
    if count * _RANDOM_COPY_FACTOR > size:
        return random.sample(list(value), count)
    found: dict[bytes, None] = {}
    while len(found) < count:
        found[value.random_field()] = None
    return list(found)


def _random_pair_size(value: Hash, with_values: bool) -> int:
    field = value.random_field()
    size = bulk_size(len(field))
    return size + bulk_size(len(value[field])) if with_values else size


def hrandfield_with_count(ctx: CommandContext, key: bytes, count: int,
                          with_values: bool) -> list[Any]:
    """HRANDFIELD key count [WITHVALUES]: a negative count may repeat fields, a
    positive one never does and is capped at the hash's size."""
    value = get_hash(ctx, key)
    if value is None or count == 0:
        return []
    if count < 0 or count == 1:
        check_reply_size(ctx, count, lambda: _random_pair_size(value, with_values))
        fields = [value.random_field() for _ in range(abs(count))]
    elif count >= len(value):
        fields = list(value)
    else:
        fields = random_fields(value, count)
    if not with_values:
        return fields
    return field_value_pairs(ctx, ((field, value[field]) for field in fields))


# ------------------------------------------------------------------ Hash commands

_FIELD_VALUE_SYNTAX = "key:key field value [field value ...]"


@group.command("HSET", -4, WRITE | DENYOOM | FAST, keys=KeySpec(1, flags=("RW", "update")),
               summary="Set the string value of a hash field", since="2.0.0",
               complexity=("O(1) for each field/value pair added, so O(N) to add N "
                           "field/value pairs when the command is called with multiple "
                           "field/value pairs."),
               history=(("4.0.0", "Accepts multiple `field` and `value` arguments."),),
               syntax=_FIELD_VALUE_SYNTAX)
def hset_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """HSET key field value [field value ...]"""
    return hset_generic(ctx, argv, "hset")


@group.command("HMSET", -4, WRITE | DENYOOM | FAST, keys=KeySpec(1, flags=("RW", "update")),
               summary="Set multiple hash fields to multiple values", since="2.0.0",
               complexity="O(N) where N is the number of fields being set.",
               doc_flags=("deprecated",), deprecated_since="4.0.0",
               replaced_by="`HSET` with multiple field-value pairs",
               syntax=_FIELD_VALUE_SYNTAX)
def hmset_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """HMSET key field value [field value ...]"""
    hset_generic(ctx, argv, "hmset")
    return OK


@group.command("HSETNX", 4, WRITE | DENYOOM | FAST, keys=KeySpec(1, flags=("RW", "insert")),
               summary="Set the value of a hash field, only if the field does not exist",
               since="2.0.0", complexity="O(1)", syntax="key:key field value")
def hsetnx_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """HSETNX key field value

    An existing field leaves the encoding alone, however long the refused value.
    """
    key, field = argv[1], argv[2]
    value = get_or_create_hash(ctx, key)
    if field in value:
        return 0
    value.set_field(field, argv[3], *listpack_limits(ctx))
    ctx.db.store(key, value)
    return 1


@group.command("HGET", 3, READONLY | FAST, keys=KeySpec(1, flags=("RO", "access")),
               summary="Get the value of a hash field", since="2.0.0",
               complexity="O(1)", syntax="key:key field")
def hget_command(ctx: CommandContext, argv: list[bytes]) -> bytes | None:
    """HGET key field"""
    value = get_hash(ctx, argv[1])
    return None if value is None else value.get(argv[2])


@group.command("HMGET", -3, READONLY | FAST, keys=KeySpec(1, flags=("RO", "access")),
               summary="Get the values of all the given hash fields", since="2.0.0",
               complexity="O(N) where N is the number of fields being requested.",
               syntax="key:key field [field ...]")
def hmget_command(ctx: CommandContext, argv: list[bytes]) -> list[bytes | None]:
    """HMGET key field [field ...]"""
    value = get_hash(ctx, argv[1])
    if value is None:
        return [None] * (len(argv) - 2)
    get = value.get
    return [get(field) for field in argv[2:]]


@group.command("HDEL", -3, WRITE | FAST, keys=KeySpec(1, flags=("RW", "delete")),
               summary="Delete one or more hash fields", since="2.0.0",
               complexity="O(N) where N is the number of fields to be removed.",
               history=(("2.4.0", "Accepts multiple `field` arguments."),),
               syntax="key:key field [field ...]")
def hdel_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """HDEL key field [field ...]"""
    key = argv[1]
    value = get_hash(ctx, key, for_write=True)
    if value is None:
        return 0
    dirty_before = ctx.server.keyspace.dirty
    delete_field = value.delete_field
    deleted = sum(1 for field in argv[2:] if delete_field(field))
    if deleted:
        ctx.db.store(key, value)
        ctx.count_changes(dirty_before, deleted)
    return deleted


@group.command("HLEN", 2, READONLY | FAST, keys=KeySpec(1, flags=("RO",)),
               summary="Get the number of fields in a hash", since="2.0.0",
               complexity="O(1)", syntax="key:key")
def hlen_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """HLEN key"""
    value = get_hash(ctx, argv[1])
    return 0 if value is None else len(value)


@group.command("HSTRLEN", 3, READONLY | FAST, keys=KeySpec(1, flags=("RO",)),
               summary="Get the length of the value of a hash field", since="3.2.0",
               complexity="O(1)", syntax="key:key field")
def hstrlen_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """HSTRLEN key field"""
    value = get_hash(ctx, argv[1])
    found = None if value is None else value.get(argv[2])
    return 0 if found is None else len(found)


@group.command("HEXISTS", 3, READONLY | FAST, keys=KeySpec(1, flags=("RO",)),
               summary="Determine if a hash field exists", since="2.0.0",
               complexity="O(1)", syntax="key:key field")
def hexists_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """HEXISTS key field"""
    value = get_hash(ctx, argv[1])
    return 0 if value is None or argv[2] not in value else 1


_WHOLE_HASH = dict(
    keys=KeySpec(1, flags=("RO", "access")), since="2.0.0",
    complexity="O(N) where N is the size of the hash.",
    tips=("nondeterministic_output_order",), syntax="key:key")


@group.command("HGETALL", 2, READONLY, summary="Get all the fields and values in a hash",
               **_WHOLE_HASH)
def hgetall_command(ctx: CommandContext, argv: list[bytes]) -> Map:
    """HGETALL key"""
    value = get_hash(ctx, argv[1])
    return Map([] if value is None else list(value.items()))


@group.command("HKEYS", 2, READONLY, summary="Get all the fields in a hash", **_WHOLE_HASH)
def hkeys_command(ctx: CommandContext, argv: list[bytes]) -> list[bytes]:
    """HKEYS key"""
    value = get_hash(ctx, argv[1])
    return [] if value is None else list(value)


@group.command("HVALS", 2, READONLY, summary="Get all the values in a hash", **_WHOLE_HASH)
def hvals_command(ctx: CommandContext, argv: list[bytes]) -> list[bytes]:
    """HVALS key"""
    value = get_hash(ctx, argv[1])
    return [] if value is None else list(value.values())


_INCREMENT_KEYS = KeySpec(1, flags=("RW", "access", "update"))


@group.command("HINCRBY", 4, WRITE | DENYOOM | FAST, keys=_INCREMENT_KEYS,
               summary="Increment the integer value of a hash field by the given number",
               since="2.0.0", complexity="O(1)",
               syntax="key:key field increment:integer")
def hincrby_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """HINCRBY key field increment"""
    increment = parse_int(argv[3])
    key, field = argv[1], argv[2]
    value = get_or_create_hash(ctx, key)
    current_text = value.get(field)
    current = 0 if current_text is None else parse_int(current_text, errors.HASH_NOT_INTEGER)
    if (increment < 0 and current < 0 and increment < LLONG_MIN - current) or (
        increment > 0 and current > 0 and increment > LLONG_MAX - current
    ):
        raise CommandError(errors.OVERFLOW)
    result = current + increment
    value.set_field(field, b"%d" % result, *listpack_limits(ctx))
    ctx.db.store(key, value)
    return result


@group.command("HINCRBYFLOAT", 4, WRITE | DENYOOM | FAST, keys=_INCREMENT_KEYS,
               summary="Increment the float value of a hash field by the given amount",
               since="2.6.0", complexity="O(1)",
               syntax="key:key field increment:double")
def hincrbyfloat_command(ctx: CommandContext, argv: list[bytes]) -> bytes:
    """HINCRBYFLOAT key field increment

    Computed in long double, as Redis does, and logged as `HSET key field <result>`.
    """
    increment = parse_long_double(argv[3])
    if isinstance(increment, float) and math.isinf(increment):
        raise CommandError(errors.NAN_OR_INFINITY)
    key, field = argv[1], argv[2]
    value = get_or_create_hash(ctx, key)
    current_text = value.get(field)
    current = (0 if current_text is None
               else parse_long_double(current_text, errors.HASH_NOT_FLOAT))
    result = add_long_doubles(current, increment)  # type: ignore[arg-type]
    if isinstance(result, float):  # only the infinities and NaN are floats here
        raise CommandError(errors.NOT_ALLOWED_INCR_NAN)
    text = format_long_double(result)
    value.set_field(field, text, *listpack_limits(ctx))
    ctx.db.store(key, value)
    ctx.propagate_as(b"HSET", key, field, text)
    return text


@group.command("HRANDFIELD", -2, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Get one or multiple random fields from a hash", since="6.2.0",
               complexity="O(N) where N is the number of fields returned",
               tips=("nondeterministic_output",),
               syntax="key:key [count:integer [WITHVALUES]]=options")
def hrandfield_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """HRANDFIELD key [count [WITHVALUES]]

    The count is read before the options, and with WITHVALUES it may not pass half
    the 64-bit range (the reply doubles it), as in Redis.
    """
    if len(argv) == 2:
        value = get_hash(ctx, argv[1])
        return None if value is None else value.random_field()
    count = parse_int(argv[2])
    if count < -LLONG_MAX:
        raise CommandError(errors.ZRANDMEMBER_RANGE)
    with_values = False
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withvalues"):
        raise CommandError(errors.SYNTAX)
    if len(argv) == 4:
        with_values = True
        if not -(LLONG_MAX // 2) <= count <= LLONG_MAX // 2:
            raise CommandError(errors.VALUE_OUT_OF_RANGE)
    return hrandfield_with_count(ctx, argv[1], count, with_values)


@group.command("HSCAN", -3, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Incrementally iterate hash fields and associated values",
               since="2.8.0",
               complexity=("O(1) for every call. O(N) for a complete iteration, including "
                           "enough command calls for the cursor to return back to 0. N is "
                           "the number of elements inside the collection.."),
               tips=("nondeterministic_output",),
               syntax="key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]")
def hscan_command(ctx: CommandContext, argv: list[bytes]) -> list[Any]:
    """HSCAN key cursor [MATCH pattern] [COUNT count]

    A listpack hash is answered whole with cursor 0, as Redis does; a larger one is
    walked through server/scan.py's sessions. The options of a missing key are not
    read, as in Redis.
    """
    cursor = parse_cursor(argv[2])
    value = get_hash(ctx, argv[1])
    if value is None:
        return [b"0", []]
    options = parse_scan_options(argv, 3, allow_type=False)
    if value.is_listpack:
        next_cursor, fields = 0, list(value)
    else:
        next_cursor, fields = ctx.server.keyspace.scans.walk(
            value, cursor, options.count, lambda: list(value), value.__contains__,
            ctx.now_ms)
    matches = options.matches
    found: list[bytes] = []
    for field in fields:
        if matches is None or matches(field):
            found.append(field)
            found.append(value[field])
    return [b"%d" % next_cursor, found]
