"""Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER,
SMOVE, SINTER, SINTERCARD, SUNION, SDIFF, SINTERSTORE, SUNIONSTORE, SDIFFSTORE and SSCAN.

Set API first (lookup, the set operations, random members), then the commands, as in
Redis's t_set.c. The value type is server/set_type.py's Set; its `is_intset` flag
follows Redis 7.0's rules (set-max-intset-entries; 7.0 has no set listpack), and the
sets the STORE commands and SPOP build get their encoding as Redis builds them, so
that OBJECT ENCODING answers as Redis does and replies list an intset's members in
its sorted order.

What reaches the AOF is the command as sent, except SPOP: Redis logs `SREM key
member` for each popped member (7.0 wraps them in MULTI/EXEC; here they are SREMs of
up to 1024 members, which replay the same) and `DEL key` when the whole set was taken.
"""

from __future__ import annotations

import random
from typing import Any

from protocol.replies import SetReply
from server import errors
from server.commands.args import LLONG_MAX, parse_int
from server.commands.random_replies import bulk_size, check_reply_size
from server.context import CommandContext
from server.errors import CommandError
from server.registry import DENYOOM, FAST, READONLY, WRITE, CommandGroup, KeySpec
from server.scan import parse_cursor, parse_scan_options
from server.set_type import Set, is_intset_member

group = CommandGroup("set", category="set")

# ------------------------------------------------------------------ Set API

# Redis's SPOP strategy switch (SPOP_MOVE_STRATEGY_MUL): when what remains is small
# next to what is popped, the remaining members are moved to a new set instead.
_SPOP_MOVE_STRATEGY_MUL = 5
# Redis's SRANDMEMBER CASE 3 switch (SRANDMEMBER_SUB_STRATEGY_MUL).
_SRANDMEMBER_SUB_STRATEGY_MUL = 3
# Members per logged SREM when SPOP takes many (Redis 7.2 batches the same way).
_SREM_BATCH = 1024

SET_OP_UNION, SET_OP_DIFF, SET_OP_INTER = range(3)


def get_set(ctx: CommandContext, key: bytes, for_write: bool = False) -> Set | None:
    """The set at key, None if missing, WRONGTYPE for any other type."""
    return ctx.db.get_typed(key, Set, for_write)  # type: ignore[no-any-return]


def max_intset_entries(ctx: CommandContext) -> int:
    return ctx.server.config.values["set-max-intset-entries"]  # type: ignore[no-any-return]


def lookup_sets(ctx: CommandContext, keys: list[bytes]) -> list[Set | None]:
    """Every source set, type-checked before any work, as Redis does (a missing key
    is an empty set). The STORE forms read their sources too, counting hits."""
    return [get_set(ctx, key) for key in keys]


def built_set(members: set[bytes], is_intset: bool) -> Set:
    """A new Set holding members, with the encoding the caller worked out."""
    result = Set(members)
    result.is_intset = is_intset
    return result


def fits_intset(members: set[bytes], limit: int) -> bool:
    return len(members) <= limit and all(map(is_intset_member, members))


def sinter_members(sets: list[Set]) -> list[bytes]:
    """The intersection in Redis's reply order: the smallest set is walked (sorted
    when it is an intset), keeping what every other set holds."""
    ordered_sets = sorted(sets, key=len)
    smallest, others = ordered_sets[0], ordered_sets[1:]
    common = smallest.intersection(*others) if others else set(smallest)
    return sorted(common, key=int) if smallest.is_intset else list(common)


def sunion_sdiff(sets: list[Set | None], operation: int, limit: int) -> Set:
    """SUNION or SDIFF as Redis's sunionDiffGenericCommand builds it: a new intset
    that members are added to (SDIFF's second algorithm adds the first set whole and
    then removes), so its encoding is Redis's."""
    present = [found for found in sets if found is not None]
    if operation == SET_OP_UNION:
        members: set[bytes] = set().union(*present)
        return built_set(members, fits_intset(members, limit))
    first = sets[0]
    if first is None or not first:
        return Set()
    members = first.difference(*present[1:]) if len(present) > 1 else set(first)
    # Redis picks the algorithm by the work each would do (the first one favoured,
    # its count halved): 1 adds only the survivors, 2 adds the first set whole.
    algorithm_one_work = len(first) * len(present) // 2
    algorithm_two_work = sum(len(found) for found in present)
    if algorithm_one_work <= algorithm_two_work:
        return built_set(members, fits_intset(members, limit))
    return built_set(members, first.fits_intset(limit))


def store_result(ctx: CommandContext, destination: bytes, result: Set) -> int:
    """The STORE forms: the result replaces destination (and its TTL), or an empty
    result deletes it."""
    if result:
        ctx.db.set(destination, result)
    else:
        ctx.db.delete(destination)
    return len(result)


def random_members(value: Set, count: int) -> list[bytes]:
    """`count` (< len(value)) distinct random members, as Redis's SRANDMEMBER cases 3
    and 4: thin out a copy when the reply is a large share of the set, else draw."""
    if count * _SRANDMEMBER_SUB_STRATEGY_MUL > len(value):
        return random.sample(list(value), count)
    found: dict[bytes, None] = {}
    while len(found) < count:
        found[value.random_member()] = None
    return list(found)


def propagate_srem(ctx: CommandContext, key: bytes, members: list[bytes]) -> None:
    ctx.propagate_many([[b"SREM", key, *members[start:start + _SREM_BATCH]]
                        for start in range(0, len(members), _SREM_BATCH)])


def spop_with_count(ctx: CommandContext, key: bytes, count: int) -> SetReply:
    """SPOP key count, Redis's three cases: everything (the key is deleted), a few
    members popped one by one, or most of them (what remains moves to a new set)."""
    value = get_set(ctx, key, for_write=True)
    if value is None or count == 0:
        return SetReply([])
    size = len(value)
    limit = max_intset_entries(ctx)
    dirty_before = ctx.server.keyspace.dirty
    if count >= size:
        # Redis answers this case through SUNION's code, whose read counts a hit.
        ctx.server.keyspace.hits += 1
        # Taken through a new set built as SUNION builds one: sorted if that would be
        # an intset, whatever this set's own encoding.
        members = sorted(value, key=int) if value.fits_intset(limit) else list(value)
        ctx.db.delete(key)
        ctx.count_changes(dirty_before, size)
        ctx.propagate_as(b"DEL", key)
        return SetReply(members)
    remaining = size - count
    if remaining * _SPOP_MOVE_STRATEGY_MUL > count:
        popped = [value.pop_random() for _ in range(count)]
        ctx.db.store(key, value)
    else:
        ordered = value.ordered()
        kept = set(random.sample(ordered, remaining))
        popped = [member for member in ordered if member not in kept]
        ctx.db.set(key, Set(kept, limit), keep_ttl=True)
    ctx.count_changes(dirty_before, count)
    propagate_srem(ctx, key, popped)
    return SetReply(popped)


def scan_members(ctx: CommandContext, argv: list[bytes]) -> list[Any]:
    """SSCAN: an intset is answered whole with cursor 0, as Redis does; a hash table is
    walked through server/scan.py's sessions. A missing key's options are not read."""
    cursor = parse_cursor(argv[2])
    value = get_set(ctx, argv[1])
    if value is None:
        return [b"0", []]
    options = parse_scan_options(argv, 3, allow_type=False)
    if value.is_intset:
        next_cursor, members = 0, value.ordered()
    else:
        next_cursor, members = ctx.server.keyspace.scans.walk(
            value, cursor, options.count, lambda: list(value), value.__contains__,
            ctx.now_ms)
    matches = options.matches
    if matches is not None:
        members = [member for member in members if matches(member)]
    return [b"%d" % next_cursor, members]


# ------------------------------------------------------------------ Set commands


@group.command("SADD", -3, WRITE | DENYOOM | FAST, keys=KeySpec(1, flags=("RW", "insert")),
               summary="Add one or more members to a set",
               complexity=("O(1) for each element added, so O(N) to add N elements when the "
                           "command is called with multiple arguments."),
               history=(("2.4.0", "Accepts multiple `member` arguments."),),
               syntax="key:key member [member ...]")
def sadd_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """SADD key member [member ...]"""
    key = argv[1]
    value = ctx.db.get_typed(key, Set, True)
    if value is None:
        value = Set()
    keyspace = ctx.server.keyspace
    dirty_before = keyspace.dirty
    size = len(value)
    if not value.is_intset and value.picker is None:
        # The benchmark's path (members into a large set): plain set adds, as
        # add_member would do them with nothing to keep in step.
        value.update(argv[2:])
        added = len(value) - size
    else:
        limit = max_intset_entries(ctx)
        add_member = value.add_member
        added = 0
        for member in argv[2:]:
            if add_member(member, limit):
                added += 1
    if added:
        ctx.db.store(key, value)
        keyspace.dirty = dirty_before + added
    return added


@group.command("SREM", -3, WRITE | FAST, keys=KeySpec(1, flags=("RW", "delete")),
               summary="Remove one or more members from a set",
               complexity="O(N) where N is the number of members to be removed.",
               history=(("2.4.0", "Accepts multiple `member` arguments."),),
               syntax="key:key member [member ...]")
def srem_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """SREM key member [member ...]"""
    key = argv[1]
    value = get_set(ctx, key, for_write=True)
    if value is None:
        return 0
    dirty_before = ctx.server.keyspace.dirty
    remove_member = value.remove_member
    removed = sum(1 for member in argv[2:] if remove_member(member))
    if removed:
        ctx.db.store(key, value)
        ctx.count_changes(dirty_before, removed)
    return removed


@group.command("SMEMBERS", 2, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Get all the members in a set",
               complexity="O(N) where N is the set cardinality.",
               tips=("nondeterministic_output_order",), syntax="key:key")
def smembers_command(ctx: CommandContext, argv: list[bytes]) -> SetReply:
    """SMEMBERS key"""
    value = get_set(ctx, argv[1])
    return SetReply([] if value is None else value.ordered())


@group.command("SISMEMBER", 3, READONLY | FAST, keys=KeySpec(1, flags=("RO",)),
               summary="Determine if a given value is a member of a set",
               complexity="O(1)", syntax="key:key member")
def sismember_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """SISMEMBER key member"""
    value = get_set(ctx, argv[1])
    return 1 if value is not None and argv[2] in value else 0


@group.command("SMISMEMBER", -3, READONLY | FAST, keys=KeySpec(1, flags=("RO", "access")),
               summary="Returns the membership associated with the given elements for a set",
               since="6.2.0",
               complexity="O(N) where N is the number of elements being checked for membership",
               syntax="key:key member [member ...]")
def smismember_command(ctx: CommandContext, argv: list[bytes]) -> list[int]:
    """SMISMEMBER key member [member ...]"""
    value = get_set(ctx, argv[1])
    if value is None:
        return [0] * (len(argv) - 2)
    return [1 if member in value else 0 for member in argv[2:]]


@group.command("SCARD", 2, READONLY | FAST, keys=KeySpec(1, flags=("RO",)),
               summary="Get the number of members in a set",
               complexity="O(1)", syntax="key:key")
def scard_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """SCARD key"""
    value = get_set(ctx, argv[1])
    return 0 if value is None else len(value)


@group.command("SPOP", -2, WRITE | FAST, keys=KeySpec(1, flags=("RW", "access", "delete")),
               summary="Remove and return one or multiple random members from a set",
               complexity=("Without the count argument O(1), otherwise O(N) where N is the "
                           "value of the passed count."),
               history=(("3.2.0", "Added the `count` argument."),),
               tips=("nondeterministic_output",), syntax="key:key [count:integer@3.2.0]")
def spop_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SPOP key [count]

    Logged as the SREM (or DEL) of what was popped, as Redis does.
    """
    if len(argv) == 3:
        count = parse_int(argv[2], errors.NOT_POSITIVE)
        if count < 0:
            raise CommandError(errors.NOT_POSITIVE)
        return spop_with_count(ctx, argv[1], count)
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    key = argv[1]
    value = ctx.db.get_typed(key, Set, True)
    if value is None:
        return None
    member = value.pop_random()
    ctx.db.store(key, value)
    ctx.propagate_as(b"SREM", key, member)
    return member


@group.command("SRANDMEMBER", -2, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Get one or multiple random members from a set",
               complexity=("Without the count argument O(1), otherwise O(N) where N is the "
                           "absolute value of the passed count."),
               history=(("2.6.0", "Added the optional `count` argument."),),
               tips=("nondeterministic_output",), syntax="key:key [count:integer@2.6.0]")
def srandmember_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SRANDMEMBER key [count]

    A negative count may repeat members; a positive one never does and is capped at
    the set's size (then the whole set, in its order).
    """
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        value = get_set(ctx, argv[1])
        return None if value is None else value.random_member()
    count = parse_int(argv[2])
    if count < -LLONG_MAX:
        raise CommandError(errors.ZRANDMEMBER_RANGE)
    value = get_set(ctx, argv[1])
    if value is None or count == 0:
        return []
    if count < 0 or count == 1:
        check_reply_size(ctx, count, lambda: bulk_size(len(value.random_member())))
        return [value.random_member() for _ in range(abs(count))]
    if count >= len(value):
        return value.ordered()
    return random_members(value, count)


@group.command("SMOVE", 4, WRITE | FAST,
               keys=(KeySpec(1, flags=("RW", "access", "delete")),
                     KeySpec(2, flags=("RW", "insert"))),
               summary="Move a member from one set to another",
               complexity="O(1)", syntax="source:key destination:key member")
def smove_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """SMOVE source destination member

    A missing source answers 0 before the destination's type is checked, as in Redis.
    """
    source_key, destination_key, member = argv[1], argv[2], argv[3]
    db = ctx.db
    source = get_set(ctx, source_key, for_write=True)
    if source is None:
        return 0
    destination = get_set(ctx, destination_key, for_write=True)
    if source is destination:
        return 1 if member in source else 0
    dirty_before = ctx.server.keyspace.dirty
    if not source.remove_member(member):
        return 0
    db.store(source_key, source)
    if destination is None:
        destination = Set()
    is_added = destination.add_member(member, max_intset_entries(ctx))
    db.store(destination_key, destination)
    ctx.count_changes(dirty_before, 2 if is_added else 1)
    return 1


_MULTI_KEY_READ = dict(keys=KeySpec(1, -1, flags=("RO", "access")),
                       tips=("nondeterministic_output_order",), syntax="key:key [key ...]")
_INTER_COMPLEXITY = ("O(N*M) worst case where N is the cardinality of the smallest set and "
                     "M is the number of sets.")
_UNION_COMPLEXITY = "O(N) where N is the total number of elements in all given sets."


@group.command("SINTER", -2, READONLY, summary="Intersect multiple sets",
               complexity=_INTER_COMPLEXITY, **_MULTI_KEY_READ)
def sinter_command(ctx: CommandContext, argv: list[bytes]) -> SetReply:
    """SINTER key [key ...]"""
    sets = lookup_sets(ctx, argv[1:])
    if any(found is None for found in sets):
        return SetReply([])
    return SetReply(sinter_members(sets))  # type: ignore[arg-type]


@group.command("SINTERCARD", -3, READONLY, keys=KeySpec(1, keynum=(0, 1), flags=("RO", "access")),
               summary="Intersect multiple sets and return the cardinality of the result",
               since="7.0.0", complexity=_INTER_COMPLEXITY,
               syntax="numkeys:integer key:key [key ...] [LIMIT limit:integer]")
def sintercard_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """SINTERCARD numkeys key [key ...] [LIMIT limit]"""
    numkeys = parse_int(argv[1], errors.NUMKEYS_NOT_POSITIVE)
    if numkeys < 1:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE)
    if numkeys > len(argv) - 2:
        raise CommandError(errors.SINTERCARD_TOO_MANY_KEYS)
    limit = 0
    index = 2 + numkeys
    while index < len(argv):
        if argv[index].lower() == b"limit" and index + 1 < len(argv):
            limit = parse_int(argv[index + 1], errors.ZSET_LIMIT_NEGATIVE)
            if limit < 0:
                raise CommandError(errors.ZSET_LIMIT_NEGATIVE)
            index += 2
        else:
            raise CommandError(errors.SYNTAX)
    sets = lookup_sets(ctx, argv[2:2 + numkeys])
    if any(found is None for found in sets):
        return 0
    ordered_sets = sorted(sets, key=len)  # type: ignore[arg-type]
    smallest, others = ordered_sets[0], ordered_sets[1:]
    if not limit:
        return len(smallest.intersection(*others)) if others else len(smallest)
    count = 0
    for member in smallest:
        if all(member in other for other in others):
            count += 1
            if count >= limit:
                break
    return count


@group.command("SUNION", -2, READONLY, summary="Add multiple sets",
               complexity=_UNION_COMPLEXITY, **_MULTI_KEY_READ)
def sunion_command(ctx: CommandContext, argv: list[bytes]) -> SetReply:
    """SUNION key [key ...]"""
    sets = lookup_sets(ctx, argv[1:])
    return SetReply(sunion_sdiff(sets, SET_OP_UNION, max_intset_entries(ctx)).ordered())


@group.command("SDIFF", -2, READONLY, summary="Subtract multiple sets",
               complexity=_UNION_COMPLEXITY, **_MULTI_KEY_READ)
def sdiff_command(ctx: CommandContext, argv: list[bytes]) -> SetReply:
    """SDIFF key [key ...]"""
    sets = lookup_sets(ctx, argv[1:])
    return SetReply(sunion_sdiff(sets, SET_OP_DIFF, max_intset_entries(ctx)).ordered())


def _store_keys(destination_flags: tuple[str, ...]) -> tuple[KeySpec, KeySpec]:
    return (KeySpec(1, flags=destination_flags), KeySpec(2, -1, flags=("RO", "access")))


@group.command("SINTERSTORE", -3, WRITE | DENYOOM, keys=_store_keys(("RW", "update")),
               summary="Intersect multiple sets and store the resulting set in a key",
               complexity=_INTER_COMPLEXITY, syntax="destination:key key:key [key ...]")
def sinterstore_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """SINTERSTORE destination key [key ...]"""
    sets = lookup_sets(ctx, argv[2:])
    if any(found is None for found in sets):
        ctx.db.delete(argv[1])
        return 0
    common = set(sinter_members(sets))  # type: ignore[arg-type]
    return store_result(ctx, argv[1],
                        built_set(common, fits_intset(common, max_intset_entries(ctx))))


@group.command("SUNIONSTORE", -3, WRITE | DENYOOM, keys=_store_keys(("OW", "update")),
               summary="Add multiple sets and store the resulting set in a key",
               complexity=_UNION_COMPLEXITY, syntax="destination:key key:key [key ...]")
def sunionstore_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """SUNIONSTORE destination key [key ...]"""
    sets = lookup_sets(ctx, argv[2:])
    return store_result(ctx, argv[1],
                        sunion_sdiff(sets, SET_OP_UNION, max_intset_entries(ctx)))


@group.command("SDIFFSTORE", -3, WRITE | DENYOOM, keys=_store_keys(("OW", "update")),
               summary="Subtract multiple sets and store the resulting set in a key",
               complexity=_UNION_COMPLEXITY, syntax="destination:key key:key [key ...]")
def sdiffstore_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """SDIFFSTORE destination key [key ...]"""
    sets = lookup_sets(ctx, argv[2:])
    return store_result(ctx, argv[1],
                        sunion_sdiff(sets, SET_OP_DIFF, max_intset_entries(ctx)))


@group.command("SSCAN", -3, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Incrementally iterate Set elements", since="2.8.0",
               complexity=("O(1) for every call. O(N) for a complete iteration, including "
                           "enough command calls for the cursor to return back to 0. N is "
                           "the number of elements inside the collection.."),
               tips=("nondeterministic_output",),
               syntax="key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]")
def sscan_command(ctx: CommandContext, argv: list[bytes]) -> list[Any]:
    """SSCAN key cursor [MATCH pattern] [COUNT count]"""
    return scan_members(ctx, argv)
