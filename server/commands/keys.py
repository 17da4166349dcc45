"""Generic keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME,
RENAMENX, COPY, MOVE, the EXPIRE and TTL families, PERSIST, TOUCH, DUMP, RESTORE and
OBJECT.

Keys API first (shared *_generic helpers), then the commands, as in Redis's db.c and
expire.c. Relative expiries are logged as `PEXPIREAT key <absolute-ms> [options]`, and
an expiry already in the past as `DEL key`, which is what Redis 7.0 propagates.
Logically expired keys are never returned: lookups expire them lazily, and KEYS and
SCAN filter them out. DUMP and RESTORE reach the RDB payload codec through the
`server.rdb` hook (commands never import persistence).

Reads here are accesses for the key's LRU/LFU clock except where Redis looks up with
LOOKUP_NOTOUCH: EXISTS, TYPE, the TTL family, OBJECT and SCAN's TYPE filter use
Database.peek_read. TOUCH is an access and nothing else.
"""

from __future__ import annotations

from typing import Any

from protocol.replies import OK, SimpleString
from server import errors
from server.commands.args import LLONG_MAX, parse_int
from server.context import CommandContext
from server.datatypes import copy_value, object_encoding, string_encoding, type_name
from server.errors import CommandError
from server.glob import select_matching
from server.keyspace import Database
from server.registry import (
    DENYOOM, FAST, LOADING, READONLY, STALE, WRITE, CommandGroup, KeySpec,
)
from server.scan import parse_cursor, parse_scan_options

group = CommandGroup("generic", category="keyspace")

# ------------------------------------------------------------------ Keys API

_INT32_MIN = -(2**31)
_INT32_MAX = 2**31 - 1
# C's LLONG_MAX / 1000 and LLONG_MIN / 1000 (truncated toward zero, unlike Python's //).
_MAX_SECONDS = LLONG_MAX // 1000
_MIN_SECONDS = -_MAX_SECONDS

# Redis shares one object for each integer in [0, 10000) (OBJ_SHARED_INTEGERS) and
# reports its refcount as INT_MAX (OBJ_SHARED_REFCOUNT), unless maxmemory is set with
# an LRU or LFU policy, which needs a per-object clock and so disables the sharing.
_SHARED_INTEGERS = 10000
_SHARED_REFCOUNT = 2**31 - 1


def count_one_change(ctx: CommandContext, dirty_before: int) -> None:
    """Redis counts RENAME, MOVE and COPY as one change (server.dirty++), however many
    dictionary operations they took; save points and INFO read this counter."""
    ctx.server.keyspace.dirty = dirty_before + 1


def parse_db_index(ctx: CommandContext, arg: bytes) -> int:
    """A database number as MOVE and COPY read it: an int, then a valid index."""
    index = parse_int(arg)
    if not _INT32_MIN <= index <= _INT32_MAX:
        raise CommandError(errors.NOT_INT32)
    if not 0 <= index < len(ctx.server.keyspace.dbs):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    return index


def unexpired(db: Database, keys: list[bytes], now_ms: int) -> list[bytes]:
    """keys without those whose deadline passed (KEYS does not delete them, as Redis)."""
    expires = db.expires
    if not expires:
        return keys
    if len(expires) < len(keys):
        # Usually few keys have a TTL: find the dead among them, not among all keys.
        dead = {key for key, at in expires.items() if at <= now_ms}
        return [key for key in keys if key not in dead] if dead else keys
    return [key for key in keys if (at := expires.get(key)) is None or at > now_ms]


def rename_generic(ctx: CommandContext, argv: list[bytes], is_nx: bool) -> Any:
    source, destination = argv[1], argv[2]
    db = ctx.db
    value = db.lookup(source)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    # Renaming a key to itself changes nothing; Redis 7.0 still checks it exists.
    if source == destination:
        return 0 if is_nx else OK
    dirty_before = ctx.server.keyspace.dirty
    if db.lookup(destination) is not None:
        if is_nx:
            return 0
        db.delete(destination)
    db.set(destination, value, db.expire_at_ms(source))
    db.delete(source)
    count_one_change(ctx, dirty_before)
    return 1 if is_nx else OK


_EXPIRE_NX, _EXPIRE_XX, _EXPIRE_GT, _EXPIRE_LT = 1, 2, 4, 8
_EXPIRE_OPTIONS = {b"NX": _EXPIRE_NX, b"XX": _EXPIRE_XX, b"GT": _EXPIRE_GT, b"LT": _EXPIRE_LT}


def parse_expire_options(options: list[bytes]) -> int:
    flags = 0
    for option in options:
        flag = _EXPIRE_OPTIONS.get(option.upper())
        if flag is None:
            # Redis formats the option with %s, which stops at a NUL byte.
            shown = option.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
            raise CommandError(errors.UNSUPPORTED_OPTION % shown)
        flags |= flag
    if flags & _EXPIRE_NX and flags & (_EXPIRE_XX | _EXPIRE_GT | _EXPIRE_LT):
        raise CommandError(errors.EXPIRE_NX_CONFLICT)
    if flags & _EXPIRE_GT and flags & _EXPIRE_LT:
        raise CommandError(errors.EXPIRE_GT_LT_CONFLICT)
    return flags


def allows_new_expire(flags: int, current: int | None, at_ms: int) -> bool:
    """Redis 7's NX/XX/GT/LT rules; no TTL counts as an infinite one for GT and LT."""
    if flags & _EXPIRE_NX and current is not None:
        return False
    if flags & _EXPIRE_XX and current is None:
        return False
    if flags & _EXPIRE_GT and (current is None or at_ms <= current):
        return False
    if flags & _EXPIRE_LT and current is not None and at_ms >= current:
        return False
    return True


def expire_generic(ctx: CommandContext, argv: list[bytes], base_ms: int, unit_ms: int) -> int:
    """EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: deadline = base_ms + argv[2] * unit_ms."""
    key = argv[1]
    flags = parse_expire_options(argv[3:])
    at_ms = parse_int(argv[2])
    name = argv[0].decode("utf-8", "surrogateescape").lower()
    if unit_ms == 1000:
        if not _MIN_SECONDS <= at_ms <= _MAX_SECONDS:
            raise CommandError(errors.INVALID_EXPIRE % name)
        at_ms *= 1000
    if at_ms > LLONG_MAX - base_ms:
        raise CommandError(errors.INVALID_EXPIRE % name)
    at_ms += base_ms
    db = ctx.db
    if db.lookup(key) is None:
        return 0
    if flags and not allows_new_expire(flags, db.expire_at_ms(key), at_ms):
        return 0
    # While loading the AOF a past deadline is kept, as Redis does: the key then
    # expires through the normal path, logged once as a DEL.
    if at_ms <= ctx.now_ms and not ctx.server.is_loading:
        db.delete(key)
        ctx.propagate_as(b"DEL", key)
        return 1
    db.set_expire(key, at_ms)
    ctx.server.keyspace.dirty += 1
    if base_ms or unit_ms != 1:
        ctx.propagate_as(b"PEXPIREAT", key, b"%d" % at_ms, *argv[3:])
    return 1


def ttl_generic(ctx: CommandContext, key: bytes, in_ms: bool, is_absolute: bool) -> int:
    """-2 without the key, -1 without a TTL; seconds are rounded to the nearest."""
    db = ctx.db
    if db.peek_read(key) is None:
        return -2
    at_ms = db.expire_at_ms(key)
    if at_ms is None:
        return -1
    ttl_ms = max(0, at_ms if is_absolute else at_ms - ctx.now_ms)
    return ttl_ms if in_ms else (ttl_ms + 500) // 1000


# ------------------------------------------------------------------ Keys commands


@group.command("DEL", -2, WRITE, keys=KeySpec(1, -1, flags=("RM", "delete")),
               summary="Delete a key",
               complexity=("O(N) where N is the number of keys that will be removed. When a "
                           "key to remove holds a value other than a string, the individual "
                           "complexity for this key is O(M) where M is the number of elements "
                           "in the list, set, sorted set or hash. Removing a single key that "
                           "holds a string value is O(1)."),
               tips=("request_policy:multi_shard", "response_policy:agg_sum"),
               syntax="key:key [key ...]")
def del_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """DEL key [key ...]"""
    delete = ctx.db.delete
    return sum(1 for key in argv[1:] if delete(key))


@group.command("UNLINK", -2, WRITE | FAST, keys=KeySpec(1, -1, flags=("RM", "delete")),
               summary="Delete a key asynchronously in another thread. Otherwise it is "
                       "just as DEL, but non blocking.", since="4.0.0",
               complexity=("O(1) for each key removed regardless of its size. Then the "
                           "command does O(N) work in a different thread in order to reclaim "
                           "memory, where N is the number of allocations the deleted objects "
                           "where composed of."),
               tips=("request_policy:multi_shard", "response_policy:agg_sum"),
               syntax="key:key [key ...]")
def unlink_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """UNLINK key [key ...]

    Frees at once: a value's memory goes back to Python's allocator on deletion, so
    there is no lazy-free thread to hand it to.
    """
    delete = ctx.db.delete
    return sum(1 for key in argv[1:] if delete(key))


@group.command("EXISTS", -2, READONLY | FAST, keys=KeySpec(1, -1, flags=("RO",)),
               summary="Determine if a key exists",
               complexity="O(N) where N is the number of keys to check.",
               history=(("3.0.3", "Accepts multiple `key` arguments."),),
               tips=("request_policy:multi_shard", "response_policy:agg_sum"),
               syntax="key:key [key ...]")
def exists_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """EXISTS key [key ...]

    A key named twice is counted twice, as in Redis.
    """
    read = ctx.db.peek_read
    return sum(1 for key in argv[1:] if read(key) is not None)


@group.command("TOUCH", -2, READONLY | FAST, keys=KeySpec(1, -1, flags=("RO",)),
               summary="Alters the last access time of a key(s). Returns the number of "
                       "existing keys specified.", since="3.2.1",
               complexity="O(N) where N is the number of keys that will be touched.",
               tips=("request_policy:multi_shard", "response_policy:agg_sum"),
               syntax="key:key [key ...]")
def touch_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """TOUCH key [key ...]"""
    read = ctx.db.read
    return sum(1 for key in argv[1:] if read(key) is not None)


@group.command("TYPE", 2, READONLY | FAST, keys=KeySpec(1, flags=("RO",)),
               summary="Determine the type stored at key",
               complexity="O(1)", syntax="key:key")
def type_command(ctx: CommandContext, argv: list[bytes]) -> SimpleString:
    """TYPE key"""
    return SimpleString(type_name(ctx.db.peek_read(argv[1])).encode())


@group.command("KEYS", 2, READONLY, categories=("keyspace", "dangerous"),
               summary="Find all keys matching the given pattern",
               complexity=("O(N) with N being the number of keys in the database, under the "
                           "assumption that the key names in the database and the given "
                           "pattern have limited length."),
               tips=("request_policy:all_shards", "nondeterministic_output_order"),
               syntax="pattern:pattern")
def keys_command(ctx: CommandContext, argv: list[bytes]) -> list[bytes]:
    """KEYS pattern"""
    pattern = argv[1]
    data = ctx.db.data
    # Redis skips matching for a bare '*', so it lists the empty key too.
    found = list(data) if pattern == b"*" else select_matching(pattern, data)
    return unexpired(ctx.db, found, ctx.now_ms)


@group.command("SCAN", -2, READONLY, summary="Incrementally iterate the keys space",
               since="2.8.0",
               complexity=("O(1) for every call. O(N) for a complete iteration, including "
                           "enough command calls for the cursor to return back to 0. N is the "
                           "number of elements inside the collection."),
               history=(("6.0.0", "Added the `TYPE` subcommand."),),
               tips=("nondeterministic_output", "request_policy:special"),
               syntax=("cursor:integer [MATCH pattern:pattern] [COUNT count:integer] "
                       "[TYPE type]@6.0.0"))
def scan_command(ctx: CommandContext, argv: list[bytes]) -> list[Any]:
    """SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]"""
    cursor = parse_cursor(argv[1])
    options = parse_scan_options(argv, 2, allow_type=True)
    db = ctx.db
    data = db.data
    next_cursor, keys = ctx.server.keyspace.scans.walk(
        db, cursor, options.count, lambda: list(data), data.__contains__, ctx.now_ms)
    found = []
    matches, wanted_type = options.matches, options.type_name
    for key in keys:
        if matches is not None and not matches(key):
            continue
        if wanted_type is None:
            if db.peek(key) is None:
                continue
        else:
            value = db.peek_read(key)
            if value is None or type_name(value).encode() != wanted_type:
                continue
        found.append(key)
    return [b"%d" % next_cursor, found]


@group.command("RANDOMKEY", 1, READONLY, summary="Return a random key from the keyspace",
               complexity="O(1)", tips=("request_policy:all_shards", "nondeterministic_output"))
def randomkey_command(ctx: CommandContext, argv: list[bytes]) -> bytes | None:
    """RANDOMKEY"""
    return ctx.db.random_key()


@group.command("RENAME", 3, WRITE,
               keys=(KeySpec(1, flags=("RW", "access", "delete")),
                     KeySpec(2, flags=("OW", "update"))),
               summary="Rename a key",
               complexity="O(1)", syntax="key:key newkey:key")
def rename_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """RENAME key newkey"""
    return rename_generic(ctx, argv, is_nx=False)


@group.command("RENAMENX", 3, WRITE | FAST,
               keys=(KeySpec(1, flags=("RW", "access", "delete")),
                     KeySpec(2, flags=("OW", "insert"))),
               summary="Rename a key, only if the new key does not exist",
               complexity="O(1)",
               history=(("3.2.0", "The command no longer returns an error when source and "
                                  "destination names are the same."),),
               syntax="key:key newkey:key")
def renamenx_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """RENAMENX key newkey"""
    return rename_generic(ctx, argv, is_nx=True)


@group.command("COPY", -3, WRITE | DENYOOM,
               keys=(KeySpec(1, flags=("RO", "access")), KeySpec(2, flags=("OW", "update"))),
               summary="Copy a key", since="6.2.0",
               complexity=("O(N) worst case for collections, where N is the number of nested "
                           "items. O(1) for string values."),
               syntax="source:key destination:key [DB destination-db:integer] [REPLACE]")
def copy_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """COPY source destination [DB destination-db] [REPLACE]"""
    source, destination = argv[1], argv[2]
    db = ctx.db
    target_index = db.index
    is_replace = False
    index = 3
    while index < len(argv):
        word = argv[index].upper()
        if word == b"REPLACE":
            is_replace = True
            index += 1
        elif word == b"DB" and index + 1 < len(argv):
            target_index = parse_db_index(ctx, argv[index + 1])
            index += 2
        else:
            raise CommandError(errors.SYNTAX)
    if target_index == db.index and source == destination:
        raise CommandError(errors.SAME_OBJECT)
    value = db.read(source)
    if value is None:
        return 0
    target = ctx.server.keyspace.dbs[target_index]
    dirty_before = ctx.server.keyspace.dirty
    if target.lookup(destination) is not None:
        if not is_replace:
            return 0
        target.delete(destination)
    target.set(destination, copy_value(value), db.expire_at_ms(source))
    count_one_change(ctx, dirty_before)
    return 1


@group.command("MOVE", 3, WRITE | FAST, keys=KeySpec(1, flags=("RW", "access", "update")),
               summary="Move a key to another database",
               complexity="O(1)", syntax="key:key db:integer")
def move_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """MOVE key db"""
    key = argv[1]
    target_index = parse_db_index(ctx, argv[2])
    db = ctx.db
    if target_index == db.index:
        raise CommandError(errors.SAME_OBJECT)
    value = db.lookup(key)
    if value is None:
        return 0
    target = ctx.server.keyspace.dbs[target_index]
    if target.lookup(key) is not None:
        return 0
    dirty_before = ctx.server.keyspace.dirty
    target.set(key, value, db.expire_at_ms(key))
    db.delete(key)
    count_one_change(ctx, dirty_before)
    return 1


_EXPIRE_KEYS = KeySpec(1, flags=("RW", "update"))
_EXPIRE_CONDITION = "[NX | XX | GT | LT]=condition@7.0.0"
_EXPIRE_HISTORY = (("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."),)


@group.command("EXPIRE", -3, WRITE | FAST, keys=_EXPIRE_KEYS,
               summary="Set a key's time to live in seconds",
               complexity="O(1)", history=_EXPIRE_HISTORY,
               syntax=f"key:key seconds:integer {_EXPIRE_CONDITION}")
def expire_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """EXPIRE key seconds [NX | XX | GT | LT]"""
    return expire_generic(ctx, argv, ctx.now_ms, 1000)


@group.command("PEXPIRE", -3, WRITE | FAST, keys=_EXPIRE_KEYS,
               summary="Set a key's time to live in milliseconds", since="2.6.0",
               complexity="O(1)", history=_EXPIRE_HISTORY,
               syntax=f"key:key milliseconds:integer {_EXPIRE_CONDITION}")
def pexpire_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """PEXPIRE key milliseconds [NX | XX | GT | LT]"""
    return expire_generic(ctx, argv, ctx.now_ms, 1)


@group.command("EXPIREAT", -3, WRITE | FAST, keys=_EXPIRE_KEYS,
               summary="Set the expiration for a key as a UNIX timestamp", since="1.2.0",
               complexity="O(1)", history=_EXPIRE_HISTORY,
               syntax=f"key:key unix-time-seconds:unix-time {_EXPIRE_CONDITION}")
def expireat_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """EXPIREAT key unix-time-seconds [NX | XX | GT | LT]"""
    return expire_generic(ctx, argv, 0, 1000)


@group.command("PEXPIREAT", -3, WRITE | FAST, keys=_EXPIRE_KEYS,
               summary="Set the expiration for a key as a UNIX timestamp specified in "
                       "milliseconds", since="2.6.0",
               complexity="O(1)", history=_EXPIRE_HISTORY,
               syntax=f"key:key unix-time-milliseconds:unix-time {_EXPIRE_CONDITION}")
def pexpireat_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]"""
    return expire_generic(ctx, argv, 0, 1)


_TTL_KEYS = KeySpec(1, flags=("RO", "access"))


@group.command("TTL", 2, READONLY | FAST, keys=_TTL_KEYS,
               summary="Get the time to live for a key in seconds",
               complexity="O(1)", history=(("2.8.0", "Added the -2 reply."),),
               tips=("nondeterministic_output",), syntax="key:key")
def ttl_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """TTL key"""
    return ttl_generic(ctx, argv[1], in_ms=False, is_absolute=False)


@group.command("PTTL", 2, READONLY | FAST, keys=_TTL_KEYS,
               summary="Get the time to live for a key in milliseconds", since="2.6.0",
               complexity="O(1)", history=(("2.8.0", "Added the -2 reply."),),
               tips=("nondeterministic_output",), syntax="key:key")
def pttl_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """PTTL key"""
    return ttl_generic(ctx, argv[1], in_ms=True, is_absolute=False)


@group.command("EXPIRETIME", 2, READONLY | FAST, keys=_TTL_KEYS,
               summary="Get the expiration Unix timestamp for a key", since="7.0.0",
               complexity="O(1)", syntax="key:key")
def expiretime_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """EXPIRETIME key"""
    return ttl_generic(ctx, argv[1], in_ms=False, is_absolute=True)


@group.command("PEXPIRETIME", 2, READONLY | FAST, keys=_TTL_KEYS,
               summary="Get the expiration Unix timestamp for a key in milliseconds",
               since="7.0.0",
               complexity="O(1)", syntax="key:key")
def pexpiretime_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """PEXPIRETIME key"""
    return ttl_generic(ctx, argv[1], in_ms=True, is_absolute=True)


@group.command("PERSIST", 2, WRITE | FAST, keys=KeySpec(1, flags=("RW", "update")),
               summary="Remove the expiration from a key", since="2.2.0",
               complexity="O(1)", syntax="key:key")
def persist_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """PERSIST key"""
    db = ctx.db
    if db.lookup(argv[1]) is None:
        return 0
    return 1 if db.persist(argv[1]) else 0


# ------------------------------------------------------------------ DUMP, RESTORE

def _payload_codec(ctx: CommandContext) -> Any:
    """server.rdb (installed by server/app.py), which serializes values as RDB does."""
    rdb = ctx.server.rdb
    if rdb is None:
        raise CommandError("ERR RDB serialization is not available")
    return rdb


def parse_restore_options(argv: list[bytes]) -> tuple[bool, bool, int, int]:
    """(is_replace, is_absttl, idle seconds, frequency) from RESTORE's options, checked
    in Redis's order; -1 for IDLETIME or FREQ not given.

    IDLETIME and FREQ exclude each other (either one after the other is a syntax
    error, as in Redis).
    """
    is_replace = is_absttl = False
    idle_s = freq = -1
    index = 4
    while index < len(argv):
        word = argv[index].upper()
        has_value = index + 1 < len(argv)
        if word == b"REPLACE":
            is_replace = True
        elif word == b"ABSTTL":
            is_absttl = True
        elif word == b"IDLETIME" and has_value and freq == -1:
            idle_s = parse_int(argv[index + 1])
            if idle_s < 0:
                raise CommandError(errors.INVALID_IDLETIME)
            index += 1
        elif word == b"FREQ" and has_value and idle_s == -1:
            freq = parse_int(argv[index + 1])
            if not 0 <= freq <= 255:
                raise CommandError(errors.INVALID_FREQ)
            index += 1
        else:
            raise CommandError(errors.SYNTAX)
        index += 1
    return is_replace, is_absttl, idle_s, freq


@group.command("DUMP", 2, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Return a serialized version of the value stored at the specified key.",
               since="2.6.0",
               complexity=("O(1) to access the key and additional O(N*M) to serialize it, "
                           "where N is the number of Redis objects composing the value and M "
                           "their average size. For small string values the time complexity "
                           "is thus O(1)+O(1*M) where M is small, so simply O(1)."),
               tips=("nondeterministic_output",), syntax="key:key")
def dump_command(ctx: CommandContext, argv: list[bytes]) -> bytes | None:
    """DUMP key"""
    value = ctx.db.read(argv[1])
    if value is None:
        return None
    return bytes(_payload_codec(ctx).dump_value(value))


@group.command("RESTORE", -4, WRITE | DENYOOM, keys=KeySpec(1, flags=("OW", "update")),
               categories=("keyspace", "dangerous"),
               summary="Create a key using the provided serialized value, previously obtained "
                       "using DUMP.", since="2.6.0",
               complexity=("O(1) to create the new key and additional O(N*M) to reconstruct "
                           "the serialized value, where N is the number of Redis objects "
                           "composing the value and M their average size. For small string "
                           "values the time complexity is thus O(1)+O(1*M) where M is small, "
                           "so simply O(1). However for sorted set values the complexity is "
                           "O(N*M*log(N)) because inserting values into sorted sets is "
                           "O(log(N))."),
               history=(("3.0.0", "Added the `REPLACE` modifier."),
                        ("5.0.0", "Added the `ABSTTL` modifier."),
                        ("5.0.0", "Added the `IDLETIME` and `FREQ` options.")),
               syntax=("key:key ttl:integer serialized-value [REPLACE]@3.0.0 [ABSTTL]@5.0.0 "
                       "[IDLETIME seconds:integer]@5.0.0 [FREQ frequency:integer]@5.0.0"))
def restore_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]

    A relative TTL is logged as its absolute deadline with ABSTTL appended, and a
    deadline already past stores nothing (logged as DEL only when REPLACE removed a
    key), as Redis 7.0 propagates RESTORE.
    """
    key = argv[1]
    is_replace, is_absttl, idle_s, freq = parse_restore_options(argv)
    db = ctx.db
    if not is_replace and db.lookup(key) is not None:
        raise CommandError(errors.BUSYKEY)
    ttl_ms = parse_int(argv[2])
    if ttl_ms < 0:
        raise CommandError(errors.INVALID_TTL)
    value = _payload_codec(ctx).restore_value(argv[3])
    dirty_before = ctx.server.keyspace.dirty
    is_deleted = is_replace and db.delete(key)
    now = ctx.now_ms
    if ttl_ms and not is_absttl:
        ttl_ms += now
        if ttl_ms > LLONG_MAX:
            # Redis adds in a long long, which wraps to a deadline long past.
            ttl_ms -= 2**64
    if ttl_ms and ttl_ms <= now and not ctx.server.is_loading:
        if is_deleted:
            ctx.propagate_as(b"DEL", key)
        return OK
    db.set(key, value, ttl_ms or None)
    db.set_access(key, idle_s, freq)
    count_one_change(ctx, dirty_before)
    if ttl_ms and not is_absttl:
        ctx.propagate_as(b"RESTORE", key, b"%d" % ttl_ms, *argv[3:], b"ABSTTL")
    return OK


# ------------------------------------------------------------------ OBJECT

object_container = group.container(
    "OBJECT", -2, categories=("slow",), since="2.2.3",
    summary="A container for object introspection commands",
    complexity="Depends on subcommand.")

_OBJECT_KEY = KeySpec(2, flags=("RO",))


def _shares_integers(ctx: CommandContext) -> bool:
    config = ctx.server.config
    policy = config["maxmemory-policy"]
    return not config["maxmemory"] or not ("lru" in policy or "lfu" in policy)


@group.subcommand(object_container, "ENCODING", 3, READONLY, keys=_OBJECT_KEY,
                  categories=("keyspace",), since="2.2.3",
                  summary="Inspect the internal encoding of a Redis object",
                  complexity="O(1)", tips=("nondeterministic_output",), syntax="key:key")
def object_encoding_command(ctx: CommandContext, argv: list[bytes]) -> bytes | None:
    """OBJECT ENCODING key"""
    value = ctx.db.peek_read(argv[2])
    return None if value is None else object_encoding(value).encode()


@group.subcommand(object_container, "REFCOUNT", 3, READONLY, keys=_OBJECT_KEY,
                  categories=("keyspace",), since="2.2.3",
                  summary="Get the number of references to the value of the key",
                  complexity="O(1)", tips=("nondeterministic_output",), syntax="key:key")
def object_refcount_command(ctx: CommandContext, argv: list[bytes]) -> int | None:
    """OBJECT REFCOUNT key

    Every value has one reference except Redis's shared small integers; whether a
    value is one is decided when asked, where Redis decides when storing it (this only
    differs for values stored before maxmemory-policy changed).
    """
    value = ctx.db.peek_read(argv[2])
    if value is None:
        return None
    if (type(value) is bytes and string_encoding(value) == "int"
            and 0 <= int(value) < _SHARED_INTEGERS and _shares_integers(ctx)):
        return _SHARED_REFCOUNT
    return 1


@group.subcommand(object_container, "FREQ", 3, READONLY, keys=_OBJECT_KEY,
                  categories=("keyspace",), since="4.0.0",
                  summary="Get the logarithmic access frequency counter of a Redis object",
                  complexity="O(1)", tips=("nondeterministic_output",), syntax="key:key")
def object_freq_command(ctx: CommandContext, argv: list[bytes]) -> int | None:
    """OBJECT FREQ key"""
    db = ctx.db
    if db.peek_read(argv[2]) is None:
        return None
    keyspace = ctx.server.keyspace
    if not keyspace.is_lfu:
        raise CommandError(errors.LFU_NOT_SELECTED)
    return keyspace.frequency(db.clock_of(argv[2]))


@group.subcommand(object_container, "IDLETIME", 3, READONLY, keys=_OBJECT_KEY,
                  categories=("keyspace",), since="2.2.3",
                  summary="Get the time since a Redis object was last accessed",
                  complexity="O(1)", tips=("nondeterministic_output",), syntax="key:key")
def object_idletime_command(ctx: CommandContext, argv: list[bytes]) -> int | None:
    """OBJECT IDLETIME key"""
    db = ctx.db
    if db.peek_read(argv[2]) is None:
        return None
    keyspace = ctx.server.keyspace
    if keyspace.is_lfu:
        raise CommandError(errors.IDLETIME_UNDER_LFU)
    return keyspace.idle_ms(db.clock_of(argv[2])) // 1000


_OBJECT_HELP = (
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
)


@group.subcommand(object_container, "HELP", 2, LOADING | STALE, categories=("keyspace",),
                  since="6.2.0", summary="Show helpful text about the different subcommands",
                  complexity="O(1)")
def object_help_command(ctx: CommandContext, argv: list[bytes]) -> list[SimpleString]:
    """OBJECT HELP"""
    return [SimpleString(line.encode()) for line in _OBJECT_HELP]
