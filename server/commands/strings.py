"""String commands: GET, SET and its variants, counters, ranges, MGET/MSET, LCS.

String API first (shared *_generic helpers), then the commands, as in Redis's
t_string.c. Relative expiries are propagated as absolute PXAT so that replaying the AOF
later gives the same deadline.
"""

from __future__ import annotations

from typing import Any

from protocol.replies import OK
from server import errors
from server.commands.args import LLONG_MAX, parse_int
from server.context import CommandContext
from server.errors import CommandError
from server.registry import DENYOOM, FAST, READONLY, WRITE, CommandGroup, KeySpec

group = CommandGroup("string", category="string")

# ------------------------------------------------------------------ String API

_SET_FLAG_WORDS = {b"NX", b"XX", b"GET", b"KEEPTTL"}
_SET_EXPIRE_WORDS = {b"EX": 1000, b"PX": 1, b"EXAT": 1000, b"PXAT": 1}


def expire_at_from(ctx: CommandContext, unit_word: bytes, arg: bytes, command: str) -> int:
    """Absolute ms deadline for EX/PX/EXAT/PXAT, with Redis's 'invalid expire' checks."""
    value = parse_int(arg)
    invalid = errors.INVALID_EXPIRE % command
    if value <= 0:
        raise CommandError(invalid)
    scale = _SET_EXPIRE_WORDS[unit_word]
    if value > LLONG_MAX // scale:
        raise CommandError(invalid)
    at_ms = value * scale
    if unit_word in (b"EX", b"PX"):
        if at_ms > LLONG_MAX - ctx.now_ms:
            raise CommandError(invalid)
        at_ms += ctx.now_ms
    return at_ms


def set_generic(ctx: CommandContext, argv: list[bytes], options: list[bytes]) -> Any:
    key, value = argv[1], argv[2]
    seen: set[bytes] = set()
    expire_at_ms: int | None = None
    expire_word = b""
    index = 0
    while index < len(options):
        word = options[index].upper()
        if word in _SET_EXPIRE_WORDS and index + 1 < len(options):
            if expire_word or b"KEEPTTL" in seen:
                raise CommandError(errors.SYNTAX)
            expire_word = word
            expire_arg = options[index + 1]
            index += 2
            continue
        if word not in _SET_FLAG_WORDS or word in seen:
            raise CommandError(errors.SYNTAX)
        if (word == b"NX" and b"XX" in seen) or (word == b"XX" and b"NX" in seen):
            raise CommandError(errors.SYNTAX)
        if word == b"KEEPTTL" and expire_word:
            raise CommandError(errors.SYNTAX)
        seen.add(word)
        index += 1
    if expire_word:
        expire_at_ms = expire_at_from(ctx, expire_word, expire_arg, "set")
    db = ctx.db
    want_old = b"GET" in seen
    old = db.get_string(key) if want_old else None
    if b"NX" in seen or b"XX" in seen:
        exists = old is not None if want_old else db.exists(key)
        if (b"NX" in seen and exists) or (b"XX" in seen and not exists):
            return old if want_old else None
    db.set(key, value, expire_at_ms, keep_ttl=b"KEEPTTL" in seen)
    if expire_word in (b"EX", b"PX"):
        ctx.propagate_as(b"SET", key, value, b"PXAT", b"%d" % expire_at_ms)  # type: ignore[str-format]
    elif expire_word == b"EXAT":
        ctx.propagate_as(b"SET", key, value, b"PXAT", b"%d" % expire_at_ms)  # type: ignore[str-format]
    return old if want_old else OK


# ------------------------------------------------------------------ String commands


@group.command("GET", 2, READONLY | FAST, keys=KeySpec(1, flags=("RO", "access")),
               summary="Get the value of a key")
def get_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """GET key"""
    return ctx.db.get_string(argv[1])


@group.command("SET", -3, WRITE | DENYOOM, keys=KeySpec(1, flags=("RW", "access", "update", "variable_flags")),
               summary="Set the string value of a key")
def set_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"""
    if len(argv) == 3:
        ctx.db.set(argv[1], argv[2])
        return OK
    return set_generic(ctx, argv, argv[3:])
