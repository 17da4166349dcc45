"""String commands: GET, SET and its variants, counters, ranges, MGET/MSET, LCS.

String API first (shared *_generic helpers), then the commands, as in Redis's
t_string.c. What reaches the AOF is deterministic, as in Redis 7.0: relative expiries
become `SET key value PXAT <ms>` or `PEXPIREAT key <ms>`, INCRBYFLOAT becomes
`SET key <result> KEEPTTL`, GETSET becomes SET, GETDEL becomes `DEL key` (UNLINK
with lazyfree-lazy-user-del).

A string changed in place (APPEND, SETRANGE, the bit commands) is a bytearray, Redis's
"raw" encoding. Replies never hand out a stored bytearray: EXEC gathers several replies
before they are encoded, and a later command of the same transaction could change it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from protocol.replies import OK, Map
from server import errors
from server.commands.args import (
    LLONG_MAX, LLONG_MIN, add_long_doubles, format_long_double, option_word, parse_int,
    parse_long_double,
)
from server.context import CommandContext
from server.datatypes import is_string
from server.errors import CommandError
from server.registry import DENYOOM, FAST, READONLY, WRITE, CommandGroup, KeySpec

group = CommandGroup("string", category="string")

# ------------------------------------------------------------------ String API

# SET's and GETEX's options as flag bits (Redis's OBJ_SET_* / OBJ_EX ... flags); plain
# ints, as enum.Flag arithmetic is too slow for SET's path (see registry.py).
SET_NX = 1 << 0
SET_XX = 1 << 1
SET_GET = 1 << 2
SET_KEEPTTL = 1 << 3
SET_PERSIST = 1 << 4
SET_EX = 1 << 5
SET_PX = 1 << 6
SET_EXAT = 1 << 7
SET_PXAT = 1 << 8
_ANY_EXPIRE = SET_EX | SET_PX | SET_EXAT | SET_PXAT
_EXPIRE_WORDS = {b"EX": SET_EX, b"PX": SET_PX, b"EXAT": SET_EXAT, b"PXAT": SET_PXAT}


def reply_bytes(value: bytes | bytearray | None) -> bytes | None:
    """A stored string as a reply that no later in-place change can reach."""
    return bytes(value) if type(value) is bytearray else value  # type: ignore[return-value]


def writable_string(ctx: CommandContext, key: bytes, value: bytes | bytearray) -> bytearray:
    """The string at key as a bytearray that may be changed in place (Redis's
    dbUnshareStringValue, after which OBJECT ENCODING says "raw"). Switching the
    representation is no change to the data, so it is not counted as one."""
    if type(value) is bytearray:
        return value
    buffer = bytearray(value)
    keyspace = ctx.server.keyspace
    dirty = keyspace.dirty
    ctx.db.set(key, buffer, keep_ttl=True)
    keyspace.dirty = dirty
    return buffer


def check_string_length(ctx: CommandContext, size: int, extra: int) -> None:
    """Refuse to grow a string past proto-max-bulk-len (not while loading the AOF,
    whose commands were accepted once already)."""
    if size + extra > ctx.server.config["proto-max-bulk-len"] and not ctx.server.is_loading:
        raise CommandError(errors.STRING_TOO_LONG)


def parse_set_options(argv: list[bytes], start: int, is_set: bool) -> tuple[int, bytes | None]:
    """SET's (is_set) or GETEX's options from argv[start:]: (flags, expire argument).

    Redis's parseExtendedStringArgumentsOrReply: an option may repeat (the last
    expiry wins), but NX/XX and the different expiry kinds, KEEPTTL or PERSIST
    exclude each other."""
    flags = 0
    expire_arg: bytes | None = None
    index = start
    while index < len(argv):
        word = option_word(argv[index])
        expire_flag = _EXPIRE_WORDS.get(word, 0)
        if expire_flag:
            excluded = SET_KEEPTTL | SET_PERSIST | (_ANY_EXPIRE & ~expire_flag)
            if index + 1 == len(argv) or flags & excluded:
                raise CommandError(errors.SYNTAX)
            flags |= expire_flag
            expire_arg = argv[index + 1]
            index += 2
            continue
        if is_set and word == b"NX" and not flags & SET_XX:
            flags |= SET_NX
        elif is_set and word == b"XX" and not flags & SET_NX:
            flags |= SET_XX
        elif is_set and word == b"GET":
            flags |= SET_GET
        elif is_set and word == b"KEEPTTL" and not flags & _ANY_EXPIRE:
            flags |= SET_KEEPTTL
        elif not is_set and word == b"PERSIST" and not flags & _ANY_EXPIRE:
            flags |= SET_PERSIST
        else:
            raise CommandError(errors.SYNTAX)
        index += 1
    return flags, expire_arg


def expire_at_ms_from(ctx: CommandContext, flags: int, arg: bytes, command: str) -> int:
    """The absolute deadline of an EX/PX/EXAT/PXAT argument, or Redis's
    "invalid expire time" error (not positive, or past the 64-bit range)."""
    value = parse_int(arg)
    scale = 1000 if flags & (SET_EX | SET_EXAT) else 1
    if value <= 0 or value > LLONG_MAX // scale:
        raise CommandError(errors.INVALID_EXPIRE % command)
    at_ms = value * scale
    if flags & (SET_EX | SET_PX):
        at_ms += ctx.now_ms
        if at_ms > LLONG_MAX:
            raise CommandError(errors.INVALID_EXPIRE % command)
    return at_ms


def set_generic(
    ctx: CommandContext, key: bytes, value: bytes, flags: int = 0,
    expire_at_ms: int | None = None, ok_reply: Any = OK, abort_reply: Any = None,
) -> Any:
    """SET, SETNX, SETEX and PSETEX. With GET the reply is the old value whether or not
    NX/XX let the write happen."""
    db = ctx.db
    old = reply_bytes(db.get_string(key)) if flags & SET_GET else None
    if flags & (SET_NX | SET_XX):
        found = db.exists(key)
        if (flags & SET_NX and found) or (flags & SET_XX and not found):
            return old if flags & SET_GET else abort_reply
    db.set(key, value, expire_at_ms, keep_ttl=bool(flags & SET_KEEPTTL))
    if expire_at_ms is not None:
        # Every expiry form, PXAT included, is logged rebuilt without NX/XX/GET, as
        # Redis 7.0 writes it.
        ctx.propagate_as(b"SET", key, value, b"PXAT", b"%d" % expire_at_ms)
    return old if flags & SET_GET else ok_reply


def mset_generic(ctx: CommandContext, argv: list[bytes], only_if_none_exist: bool) -> Any:
    """MSET and MSETNX: every pair is set (each losing its TTL), or with MSETNX none
    when any key exists. A key given twice takes its last value."""
    if len(argv) % 2 == 0:
        raise CommandError(errors.wrong_arity("msetnx" if only_if_none_exist else "mset"))
    db = ctx.db
    if only_if_none_exist and any(db.exists(key) for key in argv[1::2]):
        return 0
    db.set_pairs(argv)
    return 1 if only_if_none_exist else OK


def incr_by_generic(ctx: CommandContext, key: bytes, increment: int) -> int:
    """INCR, DECR, INCRBY and DECRBY: 64-bit arithmetic that keeps the key's TTL."""
    db = ctx.db
    value = db.lookup(key)
    if value is None:
        current = 0
    elif type(value) is bytes and value.isdigit() and len(value) < 19 and (
            value[0] != 48 or len(value) == 1):
        current = int(value)  # the common case: parse_int's first test, inline
    elif is_string(value):
        current = parse_int(value)
    else:
        raise CommandError(errors.WRONGTYPE)
    result = current + increment  # Python ints do not wrap: check the 64-bit range after
    if not LLONG_MIN <= result <= LLONG_MAX:
        raise CommandError(errors.OVERFLOW)
    db.set(key, b"%d" % result, keep_ttl=True)
    return result


def getrange_generic(ctx: CommandContext, argv: list[bytes]) -> bytes:
    """GETRANGE and SUBSTR: inclusive byte range, negative indexes from the end."""
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    value = ctx.db.get_string(argv[1])
    if value is None:
        return b""
    length = len(value)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start = max(length + start, 0)
    if end < 0:
        end = max(length + end, 0)
    end = min(end, length - 1)
    if start > end or length == 0:
        return b""
    return bytes(value[start:end + 1])


# ------------------------------------------------------------------ LCS
#
# Redis fills a (len(a)+1) x (len(b)+1) table of LCS lengths. Here each row of that
# table is one integer used as a bit vector (the bit-parallel LCS of Allison and Dix,
# in Hyyrö's form): bit j of row i is clear exactly when LCS(a[:i], b[:j+1]) is one
# more than LCS(a[:i], b[:j]), so any table entry is a count of clear bits. The walk
# back from the bottom-right corner then makes Redis's choices, step for step, so the
# same subsequence and the same match ranges come out.


def _lcs_rows(a: bytes, b: bytes) -> list[int]:
    width = len(b)
    full = (1 << width) - 1
    masks: dict[int, int] = {}
    for byte in set(a):
        # b with 1 where b[j] == byte, read as a binary number whose bit j is b[j].
        digits = b.translate(bytes(49 if x == byte else 48 for x in range(256)))
        masks[byte] = int(digits[::-1], 2) if width else 0
    row = full
    rows = [row]
    for byte in a:
        matches = row & masks[byte]
        row = ((row + matches) | (row - matches)) & full
        rows.append(row)
    return rows


def _lcs_length(rows: list[int], i: int, j: int) -> int:
    """LCS(a[:i], b[:j])."""
    return j - (rows[i] & ((1 << j) - 1)).bit_count()


def _lcs_walk(
    a: bytes, b: bytes, rows: list[int], min_match_len: int, with_match_len: bool,
) -> tuple[bytes, list[Any]]:
    """The subsequence and its match ranges, walking back as Redis's lcsCommand does:
    on equal bytes go diagonally, else up when LCS(i-1, j) > LCS(i, j-1), else left.

    Going left is certain while b[j-1] differs from a[i-1] and row i-1 has its bit
    j-1 set (going up needs LCS(i-1, j) to step there), so such runs are skipped in
    one move: a long string against a short one costs no Python loop per byte."""
    i, j = len(a), len(b)
    found = bytearray()
    ranges: list[Any] = []
    current: list[int] | None = None  # [a_start, a_end, b_start, b_end]
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            found.append(a[i - 1])
            if current is None:
                current = [i - 1, i - 1, j - 1, j - 1]
            else:  # always contiguous: any step in between would have ended the range
                current[0] -= 1
                current[2] -= 1
            emit = current[0] == 0 or current[2] == 0
            i -= 1
            j -= 1
        else:
            emit = current is not None
            if _lcs_length(rows, i - 1, j) > _lcs_length(rows, i, j - 1):
                i -= 1
            else:
                j -= 1
                match_column = b.rfind(a[i - 1], 0, j) + 1
                clear_column = (~rows[i - 1] & ((1 << j) - 1)).bit_length()
                j = max(match_column, clear_column)
        if emit and current is not None:
            length = current[1] - current[0] + 1
            if length >= min_match_len:
                match = [[current[0], current[1]], [current[2], current[3]]]
                ranges.append(match + [length] if with_match_len else match)
            current = None
    found.reverse()
    return bytes(found), ranges


# ------------------------------------------------------------------ String commands


@group.command("GET", 2, READONLY | FAST, keys=KeySpec(1, flags=("RO", "access")),
               summary="Get the value of a key", complexity="O(1)",
               syntax="key:key")
def get_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """GET key"""
    return reply_bytes(ctx.db.get_string(argv[1]))


def set_key_flags(argv: list[bytes]) -> tuple[str, ...]:
    """SET only overwrites its key unless GET reads the old value first."""
    if any(arg.lower() == b"get" for arg in argv[3:]):
        return ("RW", "access", "update")
    return ("OW", "update")


@group.command("SET", -3, WRITE | DENYOOM, key_flags=set_key_flags,
               keys=KeySpec(1, flags=("RW", "access", "update", "variable_flags"),
                            notes="RW and ACCESS due to the optional `GET` argument"),
               summary="Set the string value of a key", complexity="O(1)",
               history=(("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
                        ("6.0.0", "Added the `KEEPTTL` option."),
                        ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
                        ("7.0.0", "Allowed the `NX` and `GET` options to be used together.")),
               syntax=("key:key value [NX | XX]=condition@2.6.12 [GET]@6.2.0 "
                       "[EX seconds:integer@2.6.12 | PX milliseconds:integer@2.6.12 | "
                       "EXAT unix-time-seconds:unix-time@6.2.0 | "
                       "PXAT unix-time-milliseconds:unix-time@6.2.0 | KEEPTTL@6.0.0]=expiration"))
def set_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"""
    if len(argv) == 3:
        ctx.db.set(argv[1], argv[2])
        return OK
    flags, expire_arg = parse_set_options(argv, 3, is_set=True)
    expire_at_ms = None
    if expire_arg is not None:
        expire_at_ms = expire_at_ms_from(ctx, flags, expire_arg, "set")
    elif flags & SET_GET:
        # Logged without its GET tokens (the old value is no one's business on replay).
        ctx.propagate_as(*argv[:3], *(arg for arg in argv[3:] if arg.lower() != b"get"))
    return set_generic(ctx, argv[1], argv[2], flags, expire_at_ms)


@group.command("SETNX", 3, WRITE | DENYOOM | FAST, keys=KeySpec(1, flags=("OW", "insert")),
               summary="Set the value of a key, only if the key does not exist",
               complexity="O(1)",
               syntax="key:key value")
def setnx_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SETNX key value"""
    return set_generic(ctx, argv[1], argv[2], SET_NX, ok_reply=1, abort_reply=0)


@group.command("SETEX", 4, WRITE | DENYOOM, keys=KeySpec(1, flags=("OW", "update")),
               summary="Set the value and expiration of a key", since="2.0.0",
               complexity="O(1)",
               syntax="key:key seconds:integer value")
def setex_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SETEX key seconds value"""
    expire_at_ms = expire_at_ms_from(ctx, SET_EX, argv[2], "setex")
    return set_generic(ctx, argv[1], argv[3], SET_EX, expire_at_ms)


@group.command("PSETEX", 4, WRITE | DENYOOM, keys=KeySpec(1, flags=("OW", "update")),
               summary="Set the value and expiration in milliseconds of a key",
               since="2.6.0", complexity="O(1)",
               syntax="key:key milliseconds:integer value")
def psetex_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PSETEX key milliseconds value"""
    expire_at_ms = expire_at_ms_from(ctx, SET_PX, argv[2], "psetex")
    return set_generic(ctx, argv[1], argv[3], SET_PX, expire_at_ms)


@group.command("GETSET", 3, WRITE | DENYOOM | FAST,
               keys=KeySpec(1, flags=("RW", "access", "update")),
               summary="Set the string value of a key and return its old value",
               complexity="O(1)",
               doc_flags=("deprecated",), deprecated_since="6.2.0",
               replaced_by="`SET` with the `!GET` argument", syntax="key:key value")
def getset_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """GETSET key value"""
    key, value = argv[1], argv[2]
    old = ctx.db.get_string(key)
    ctx.db.set(key, value)
    ctx.propagate_as(b"SET", key, value)
    return old  # no longer stored, so nothing can change it


@group.command("GETDEL", 2, WRITE | FAST, keys=KeySpec(1, flags=("RW", "access", "delete")),
               summary="Get the value of a key and delete the key", since="6.2.0",
               complexity="O(1)",
               syntax="key:key")
def getdel_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """GETDEL key"""
    key = argv[1]
    value = ctx.db.get_string(key)
    if value is not None:
        ctx.db.delete(key)
        lazy = ctx.server.config["lazyfree-lazy-user-del"]
        ctx.propagate_as(b"UNLINK" if lazy else b"DEL", key)
    return value


@group.command("GETEX", -2, WRITE | FAST,
               keys=KeySpec(1, flags=("RW", "access", "update"),
                            notes="RW and UPDATE because it changes the TTL"),
               summary="Get the value of a key and optionally set its expiration",
               since="6.2.0", complexity="O(1)",
               syntax=("key:key [EX seconds:integer | PX milliseconds:integer | "
                       "EXAT unix-time-seconds:unix-time | PXAT unix-time-milliseconds:unix-time | "
                       "PERSIST]=expiration"))
def getex_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]

    As in Redis, the expiry is validated only once the key is found to hold a string,
    and a deadline already past deletes the key (logged as DEL)."""
    key = argv[1]
    flags, expire_arg = parse_set_options(argv, 2, is_set=False)
    db = ctx.db
    value = db.get_string(key)
    if value is None:
        return None
    reply = reply_bytes(value)
    if expire_arg is not None:
        expire_at_ms = expire_at_ms_from(ctx, flags, expire_arg, "getex")
        if expire_at_ms <= ctx.now_ms and not ctx.server.is_loading:
            db.delete(key)
            lazy = ctx.server.config["lazyfree-lazy-expire"]
            ctx.propagate_as(b"UNLINK" if lazy else b"DEL", key)
        else:
            db.set_expire(key, expire_at_ms)
            ctx.server.keyspace.dirty += 1
            ctx.propagate_as(b"PEXPIREAT", key, b"%d" % expire_at_ms)
    elif flags & SET_PERSIST and db.persist(key):
        ctx.propagate_as(b"PERSIST", key)
    return reply


@group.command("MGET", -2, READONLY | FAST, keys=KeySpec(1, -1, flags=("RO", "access")),
               summary="Get the values of all the given keys",
               complexity="O(N) where N is the number of keys to retrieve.",
               tips=("request_policy:multi_shard",), syntax="key:key [key ...]")
def mget_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """MGET key [key ...]"""
    read = ctx.db.read
    return [reply_bytes(value) if is_string(value) else None for value in map(read, argv[1:])]


@group.command("MSET", -3, WRITE | DENYOOM, keys=KeySpec(1, -1, 2, flags=("OW", "update")),
               summary="Set multiple keys to multiple values", since="1.0.1",
               complexity="O(N) where N is the number of keys to set.",
               tips=("request_policy:multi_shard", "response_policy:all_succeeded"),
               syntax="key:key value [key value ...]")
def mset_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """MSET key value [key value ...]"""
    return mset_generic(ctx, argv, only_if_none_exist=False)


@group.command("MSETNX", -3, WRITE | DENYOOM, keys=KeySpec(1, -1, 2, flags=("OW", "insert")),
               summary="Set multiple keys to multiple values, only if none of the keys exist",
               since="1.0.1", complexity="O(N) where N is the number of keys to set.",
               tips=("request_policy:multi_shard", "response_policy:agg_min"),
               syntax="key:key value [key value ...]")
def msetnx_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """MSETNX key value [key value ...]"""
    return mset_generic(ctx, argv, only_if_none_exist=True)


@group.command("APPEND", 3, WRITE | DENYOOM | FAST, keys=KeySpec(1, flags=("RW", "insert")),
               summary="Append a value to a key", since="2.0.0",
               complexity=(
                   "O(1). The amortized time complexity is O(1) assuming the appended value "
                   "is small and the already present value is of any size, since the dynamic "
                   "string library used by Redis will double the free space available on "
                   "every reallocation."),
               syntax="key:key value")
def append_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """APPEND key value"""
    key, tail = argv[1], argv[2]
    value = ctx.db.get_string_for_write(key)
    if value is None:
        ctx.db.set(key, tail)
        return len(tail)
    check_string_length(ctx, len(value), len(tail))
    buffer = writable_string(ctx, key, value)
    buffer += tail
    ctx.server.keyspace.dirty += 1
    return len(buffer)


@group.command("STRLEN", 2, READONLY | FAST, keys=KeySpec(1, flags=("RO",)),
               summary="Get the length of the value stored in a key", since="2.2.0",
               complexity="O(1)",
               syntax="key:key")
def strlen_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """STRLEN key"""
    value = ctx.db.get_string(argv[1])
    return 0 if value is None else len(value)


_COUNTER_KEYS = KeySpec(1, flags=("RW", "access", "update"))


@group.command("INCR", 2, WRITE | DENYOOM | FAST, keys=_COUNTER_KEYS,
               summary="Increment the integer value of a key by one", complexity="O(1)",
               syntax="key:key")
def incr_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """INCR key"""
    return incr_by_generic(ctx, argv[1], 1)


@group.command("DECR", 2, WRITE | DENYOOM | FAST, keys=_COUNTER_KEYS,
               summary="Decrement the integer value of a key by one", complexity="O(1)",
               syntax="key:key")
def decr_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """DECR key"""
    return incr_by_generic(ctx, argv[1], -1)


@group.command("INCRBY", 3, WRITE | DENYOOM | FAST, keys=_COUNTER_KEYS,
               summary="Increment the integer value of a key by the given amount",
               complexity="O(1)",
               syntax="key:key increment:integer")
def incrby_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """INCRBY key increment"""
    return incr_by_generic(ctx, argv[1], parse_int(argv[2]))


@group.command("DECRBY", 3, WRITE | DENYOOM | FAST, keys=_COUNTER_KEYS,
               summary="Decrement the integer value of a key by the given number",
               complexity="O(1)",
               syntax="key:key decrement:integer")
def decrby_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """DECRBY key decrement"""
    decrement = parse_int(argv[2])
    if decrement == LLONG_MIN:  # its negation does not fit in 64 bits
        raise CommandError(errors.DECREMENT_OVERFLOW)
    return incr_by_generic(ctx, argv[1], -decrement)


@group.command("INCRBYFLOAT", 3, WRITE | DENYOOM | FAST, keys=_COUNTER_KEYS,
               summary="Increment the float value of a key by the given amount",
               since="2.6.0", complexity="O(1)",
               syntax="key:key increment:double")
def incrbyfloat_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """INCRBYFLOAT key increment

    Computed in long double and written as Redis writes it (see args.py). It is
    logged as `SET key <result> KEEPTTL`, as Redis does, so that replaying the AOF
    cannot round differently."""
    key = argv[1]
    db = ctx.db
    value = db.get_string_for_write(key)
    current = Fraction(0) if value is None else parse_long_double(bytes(value))
    result = add_long_doubles(current, parse_long_double(argv[2]))
    if isinstance(result, float):  # an infinity or NaN
        raise CommandError(errors.NOT_ALLOWED_INCR_NAN)
    text = format_long_double(result)
    db.set(key, text, keep_ttl=True)
    ctx.propagate_as(b"SET", key, text, b"KEEPTTL")
    return text


_GETRANGE_COMPLEXITY = (
    "O(N) where N is the length of the returned string. The complexity is ultimately "
    "determined by the returned length, but because creating a substring from an existing "
    "string is very cheap, it can be considered O(1) for small strings."
)


@group.command("GETRANGE", 4, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Get a substring of the string stored at a key", since="2.4.0",
               complexity=_GETRANGE_COMPLEXITY,
               syntax="key:key start:integer end:integer")
def getrange_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """GETRANGE key start end"""
    return getrange_generic(ctx, argv)


@group.command("SUBSTR", 4, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Get a substring of the string stored at a key",
               complexity=_GETRANGE_COMPLEXITY,
               doc_flags=("deprecated",), deprecated_since="2.0.0", replaced_by="`GETRANGE`",
               syntax="key:key start:integer end:integer")
def substr_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SUBSTR key start end"""
    return getrange_generic(ctx, argv)


@group.command("SETRANGE", 4, WRITE | DENYOOM, keys=KeySpec(1, flags=("RW", "update")),
               summary="Overwrite part of a string at key starting at the specified offset",
               since="2.2.0",
               complexity=(
                   "O(1), not counting the time taken to copy the new string in place. "
                   "Usually, this string is very small so the amortized complexity is O(1). "
                   "Otherwise, complexity is O(M) with M being the length of the value "
                   "argument."),
               syntax="key:key offset:integer value")
def setrange_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SETRANGE key offset value

    An empty value changes nothing (and creates no key); the reply is the length."""
    key, patch = argv[1], argv[3]
    offset = parse_int(argv[2])
    if offset < 0:
        raise CommandError(errors.OFFSET_OUT_OF_RANGE)
    db = ctx.db
    value = db.get_string_for_write(key)
    if not patch:
        return 0 if value is None else len(value)
    check_string_length(ctx, offset, len(patch))
    end = offset + len(patch)
    if value is None:
        buffer = bytearray(end)
        buffer[offset:] = patch
        db.set(key, buffer)
        return end
    buffer = writable_string(ctx, key, value)
    if len(buffer) < offset:
        buffer.extend(bytes(offset - len(buffer)))
    buffer[offset:end] = patch
    ctx.server.keyspace.dirty += 1
    return len(buffer)


@group.command("LCS", -3, READONLY, keys=KeySpec(1, 2, flags=("RO", "access")),
               summary="Find longest common substring", since="7.0.0",
               complexity="O(N*M) where N and M are the lengths of s1 and s2, respectively",
               # Redis numbers key2 as key spec 0 too: LCS has one spec covering both keys.
               syntax="key1:key key2:key#0 [LEN] [IDX] [MINMATCHLEN len:integer] [WITHMATCHLEN]")
def lcs_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]

    Missing keys read as empty strings. The table Redis would allocate (4 bytes a
    cell) is refused past proto-max-bulk-len, as in Redis."""
    db = ctx.db
    first, second = db.read(argv[1]), db.read(argv[2])
    if (first is not None and not is_string(first)) or (
        second is not None and not is_string(second)
    ):
        raise CommandError(errors.LCS_NOT_STRINGS)
    a = bytes(first or b"")
    b = bytes(second or b"")
    want_len = want_idx = with_match_len = False
    min_match_len = 0
    index = 3
    while index < len(argv):
        word = option_word(argv[index])
        if word == b"IDX":
            want_idx = True
        elif word == b"LEN":
            want_len = True
        elif word == b"WITHMATCHLEN":
            with_match_len = True
        elif word == b"MINMATCHLEN" and index + 1 < len(argv):
            min_match_len = max(parse_int(argv[index + 1]), 0)
            index += 1
        else:
            raise CommandError(errors.SYNTAX)
        index += 1
    if want_idx and want_len:
        raise CommandError(errors.LCS_LEN_AND_IDX)
    if len(a) >= 2**32 - 2 or len(b) >= 2**32 - 2:
        raise CommandError(errors.LCS_TOO_LONG)
    if (len(a) + 1) * (len(b) + 1) * 4 > ctx.server.config["proto-max-bulk-len"]:
        raise CommandError(errors.LCS_TABLE_TOO_BIG)
    rows = _lcs_rows(a, b)
    length = _lcs_length(rows, len(a), len(b))
    if want_len:
        return length
    found, ranges = _lcs_walk(a, b, rows, min_match_len, with_match_len)
    if want_idx:
        return Map([(b"matches", ranges), (b"len", length)])
    return found
