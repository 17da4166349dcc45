"""Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX,
BZMPOP, and CLIENT UNBLOCK.

Each command first tries what its non-blocking form does, through the list and sorted
set Type APIs (server/commands/lists.py, zsets.py), and is logged as that form (BLPOP
as `LPOP key`, BLMOVE as `LMOVE ...`, BLMPOP as `LPOP key <count>` ...), as Redis 7.0
logs them. Finding nothing, it blocks its client through server/blocking.py with a
`serve` function that does the same work later, when a write makes one of its keys
ready; inside EXEC it answers the timeout reply at once instead, as Redis does for a
client that may not block.
"""

from __future__ import annotations

import math
from typing import Any

from protocol.replies import NULL_ARRAY, Double
from server import errors
from server.blocking import BlockingRegistry
from server.commands.args import (
    option_word, parse_int, parse_long_double, round_to_long_double,
)
from server.commands.connection import client_command
from server.commands.lists import move_element, parse_end, parse_lmpop, pop_elements
from server.commands.zsets import get_zset, mpop_reply, parse_mpop, pop_from_zset
from server.context import CommandContext
from server.errors import CommandError
from server.quicklist import QuickList
from server.registry import (
    ADMIN, BLOCKING, DENYOOM, FAST, LOADING, NOSCRIPT, STALE, WRITE, CommandGroup, KeySpec,
)
from server.sorted_set import SortedSet

list_group = CommandGroup("list", category="list")
zset_group = CommandGroup("sorted-set", category="sortedset")
connection_group = CommandGroup("connection", category="connection")


def _registry(ctx: CommandContext) -> BlockingRegistry:
    return ctx.server.blocking  # type: ignore[no-any-return]


def block_or_answer(ctx: CommandContext, keys: list[bytes], timeout_ms: int, kind: type,
                    serve: Any, reply_in_exec: Any = NULL_ARRAY) -> Any:
    """Nothing to pop now: block, or inside EXEC answer at once (a null bulk for
    BLMOVE/BRPOPLPUSH, a null array for the others; a timeout is always a null
    array, as Redis's replyToBlockedClientTimedOut)."""
    if ctx.client.in_exec:
        return reply_in_exec
    return _registry(ctx).block(ctx, keys, timeout_ms, kind, serve, NULL_ARRAY)


def _first_existing(ctx: CommandContext, keys: list[bytes], kind: type) -> bytes | None:
    """The first key holding a value; WRONGTYPE when that value is not of kind."""
    for key in keys:
        if ctx.db.get_typed(key, kind, for_write=True) is not None:
            return key
    return None


def parse_timeout_ms(arg: bytes) -> int:
    """A blocking timeout in seconds (a long double, as Redis reads it) as whole
    milliseconds, 0 meaning forever. Redis 7.0 computes (long long) ceill(t * 1000):
    any positive fraction of a millisecond waits one (0.0001 and 1e-400 time out),
    a negative one rounds up to 0 and blocks forever, and a value past the long long
    range wraps negative, hence "timeout is negative" for inf or 1e400."""
    value = parse_long_double(arg, errors.TIMEOUT_NOT_FLOAT)
    if isinstance(value, float):  # only ±inf comes back as a float
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    # The product is a long double before ceill: 0.001 is stored a hair below 1/1000,
    # and its product rounds to just below 1, so 1 ms.
    ms = math.ceil(round_to_long_double(value * 1000))
    if ms < 0 or ms >= 2**63:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return ms


# ------------------------------------------------------------------ list commands

_POP_HISTORY = (("6.0.0", "`timeout` is interpreted as a double instead of an integer."),)
_BPOP_KEYS = KeySpec(1, -2, flags=("RW", "access", "delete"))
_BMOVE_KEYS = (KeySpec(1, flags=("RW", "access", "delete")), KeySpec(2, flags=("RW", "insert")))


def _list_pop_server(from_left: bool) -> Any:
    def serve(ctx: CommandContext, key: bytes) -> Any:
        popped = pop_elements(ctx, key, from_left, 1)
        if not popped:
            return None
        ctx.propagate_as(b"LPOP" if from_left else b"RPOP", key)
        return [key, popped[0]]
    return serve


_SERVE_LEFT_POP = _list_pop_server(True)
_SERVE_RIGHT_POP = _list_pop_server(False)


def bpop_generic(ctx: CommandContext, argv: list[bytes], from_left: bool) -> Any:
    """BLPOP and BRPOP: [key, element] from the first non-empty list."""
    timeout_ms = parse_timeout_ms(argv[-1])
    keys = argv[1:-1]
    serve = _SERVE_LEFT_POP if from_left else _SERVE_RIGHT_POP
    key = _first_existing(ctx, keys, QuickList)
    if key is not None:
        return serve(ctx, key)
    return block_or_answer(ctx, keys, timeout_ms, QuickList, serve)


@list_group.command("BLPOP", -3, WRITE | NOSCRIPT | BLOCKING, keys=_BPOP_KEYS,
                    summary=("Remove and get the first element in a list, or block until one "
                             "is available"),
                    since="2.0.0", complexity="O(N) where N is the number of provided keys.",
                    history=_POP_HISTORY, syntax="key:key [key ...] timeout:double")
def blpop_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BLPOP key [key ...] timeout"""
    return bpop_generic(ctx, argv, from_left=True)


@list_group.command("BRPOP", -3, WRITE | NOSCRIPT | BLOCKING, keys=_BPOP_KEYS,
                    summary=("Remove and get the last element in a list, or block until one "
                             "is available"),
                    since="2.0.0", complexity="O(N) where N is the number of provided keys.",
                    history=_POP_HISTORY, syntax="key:key [key ...] timeout:double")
def brpop_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BRPOP key [key ...] timeout"""
    return bpop_generic(ctx, argv, from_left=False)


def bmove_generic(ctx: CommandContext, argv: list[bytes], from_left: bool, to_left: bool,
                  timeout_arg: bytes, is_rpoplpush: bool) -> Any:
    """BLMOVE and BRPOPLPUSH: the element moved, or nil on timeout."""
    timeout_ms = parse_timeout_ms(timeout_arg)
    source, destination = argv[1], argv[2]

    def serve(serve_ctx: CommandContext, key: bytes) -> Any:
        value = move_element(serve_ctx, key, destination, from_left, to_left)
        if value is None:
            return None
        if is_rpoplpush:
            serve_ctx.propagate_as(b"RPOPLPUSH", key, destination)
        else:
            # Served later, Redis logs the ends in its own lowercase words.
            serve_ctx.propagate_as(b"LMOVE", key, destination,
                                   b"left" if from_left else b"right",
                                   b"left" if to_left else b"right")
        return value

    if ctx.db.get_typed(source, QuickList, for_write=True) is not None:
        value = move_element(ctx, source, destination, from_left, to_left)
        if is_rpoplpush:
            ctx.propagate_as(b"RPOPLPUSH", source, destination)
        else:
            ctx.propagate_as(b"LMOVE", *argv[1:5])
        return value
    return block_or_answer(ctx, [source], timeout_ms, QuickList, serve, reply_in_exec=None)


@list_group.command("BLMOVE", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, keys=_BMOVE_KEYS,
                    summary=("Pop an element from a list, push it to another list and return "
                             "it; or block until one is available"),
                    since="6.2.0", complexity="O(1)",
                    syntax=("source:key destination:key <LEFT | RIGHT>=wherefrom "
                            "<LEFT | RIGHT>=whereto timeout:double"))
def blmove_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout"""
    from_left = parse_end(argv[3])
    to_left = parse_end(argv[4])
    return bmove_generic(ctx, argv, from_left, to_left, argv[5], is_rpoplpush=False)


@list_group.command("BRPOPLPUSH", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, keys=_BMOVE_KEYS,
                    summary=("Pop an element from a list, push it to another list and return "
                             "it; or block until one is available"),
                    since="2.2.0", complexity="O(1)", history=_POP_HISTORY,
                    doc_flags=("deprecated",), deprecated_since="6.2.0",
                    replaced_by="`BLMOVE` with the `RIGHT` and `LEFT` arguments",
                    syntax="source:key destination:key timeout:double")
def brpoplpush_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BRPOPLPUSH source destination timeout"""
    return bmove_generic(ctx, argv, False, True, argv[3], is_rpoplpush=True)


@list_group.command("BLMPOP", -5, WRITE | BLOCKING,
                    keys=KeySpec(2, keynum=(0, 1), flags=("RW", "access", "delete")),
                    summary="Pop elements from a list, or block until one is available",
                    since="7.0.0",
                    complexity=("O(N+M) where N is the number of provided keys and M is the "
                                "number of elements returned."),
                    syntax=("timeout:double numkeys:integer key:key [key ...] "
                            "<LEFT | RIGHT>=where [COUNT count:integer]"))
def blmpop_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"""
    keys, from_left, count = parse_lmpop(argv, 2)
    timeout_ms = parse_timeout_ms(argv[1])

    def serve(serve_ctx: CommandContext, key: bytes) -> Any:
        popped = pop_elements(serve_ctx, key, from_left, count)
        if not popped:
            return None
        serve_ctx.propagate_as(b"LPOP" if from_left else b"RPOP", key, b"%d" % len(popped))
        return [key, popped]

    key = _first_existing(ctx, keys, QuickList)
    if key is not None:
        return serve(ctx, key)
    return block_or_answer(ctx, keys, timeout_ms, QuickList, serve)


# ------------------------------------------------------------------ sorted set commands

_BZPOP_COMPLEXITY = "O(log(N)) with N being the number of elements in the sorted set."


def _zset_pop_server(from_max: bool) -> Any:
    def serve(ctx: CommandContext, key: bytes) -> Any:
        zset = get_zset(ctx, key, for_write=True)
        if zset is None:
            return None
        popped = pop_from_zset(ctx, key, zset, 1, from_max)
        if not popped:
            return None
        score, member = popped[0]
        ctx.propagate_as(b"ZPOPMAX" if from_max else b"ZPOPMIN", key)
        return [key, member, Double(score)]
    return serve


_SERVE_ZPOPMIN = _zset_pop_server(False)
_SERVE_ZPOPMAX = _zset_pop_server(True)


def bzpop_generic(ctx: CommandContext, argv: list[bytes], from_max: bool) -> Any:
    """BZPOPMIN and BZPOPMAX: [key, member, score] from the first non-empty set."""
    timeout_ms = parse_timeout_ms(argv[-1])
    keys = argv[1:-1]
    serve = _SERVE_ZPOPMAX if from_max else _SERVE_ZPOPMIN
    key = _first_existing(ctx, keys, SortedSet)
    if key is not None:
        return serve(ctx, key)
    return block_or_answer(ctx, keys, timeout_ms, SortedSet, serve)


@zset_group.command("BZPOPMIN", -3, WRITE | NOSCRIPT | FAST | BLOCKING, keys=_BPOP_KEYS,
                    summary=("Remove and return the member with the lowest score from one or "
                             "more sorted sets, or block until one is available"),
                    since="5.0.0", complexity=_BZPOP_COMPLEXITY, history=_POP_HISTORY,
                    syntax="key:key [key ...] timeout:double")
def bzpopmin_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BZPOPMIN key [key ...] timeout"""
    return bzpop_generic(ctx, argv, from_max=False)


@zset_group.command("BZPOPMAX", -3, WRITE | NOSCRIPT | FAST | BLOCKING, keys=_BPOP_KEYS,
                    summary=("Remove and return the member with the highest score from one or "
                             "more sorted sets, or block until one is available"),
                    since="5.0.0", complexity=_BZPOP_COMPLEXITY, history=_POP_HISTORY,
                    syntax="key:key [key ...] timeout:double")
def bzpopmax_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BZPOPMAX key [key ...] timeout"""
    return bzpop_generic(ctx, argv, from_max=True)


@zset_group.command("BZMPOP", -5, WRITE | BLOCKING,
                    keys=KeySpec(2, keynum=(0, 1), flags=("RW", "access", "delete")),
                    summary=("Remove and return members with scores in a sorted set or block "
                             "until one is available"),
                    since="7.0.0",
                    complexity=("O(K) + O(M*log(N)) where K is the number of provided keys, N "
                                "being the number of elements in the sorted set, and M being "
                                "the number of elements popped."),
                    syntax=("timeout:double numkeys:integer key:key [key ...] "
                            "<MIN | MAX>=where [COUNT count:integer]"))
def bzmpop_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BZMPOP timeout numkeys key [key ...] <MIN | MAX> [COUNT count]"""
    keys, from_max, count = parse_mpop(argv, 2)
    timeout_ms = parse_timeout_ms(argv[1])

    def serve(serve_ctx: CommandContext, key: bytes) -> Any:
        zset = get_zset(serve_ctx, key, for_write=True)
        if zset is None:
            return None
        popped = pop_from_zset(serve_ctx, key, zset, count, from_max)
        return mpop_reply(serve_ctx, key, popped, from_max)

    key = _first_existing(ctx, keys, SortedSet)
    if key is not None:
        return serve(ctx, key)
    return block_or_answer(ctx, keys, timeout_ms, SortedSet, serve)


# ------------------------------------------------------------------ CLIENT UNBLOCK

@connection_group.subcommand(
    client_command, "UNBLOCK", -3, ADMIN | NOSCRIPT | LOADING | STALE, since="5.0.0",
    summary="Unblock a client blocked in a blocking command from a different connection",
    complexity="O(log N) where N is the number of client connections",
    syntax="client-id:integer [TIMEOUT | ERROR]=timeout_error")
def client_unblock_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT UNBLOCK client-id [TIMEOUT | ERROR]"""
    client_id = parse_int(argv[2])
    as_error = False
    if len(argv) == 4:
        word = option_word(argv[3])
        if word == b"ERROR":
            as_error = True
        elif word != b"TIMEOUT":
            raise CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    elif len(argv) > 4:
        raise CommandError(errors.SYNTAX)
    target = ctx.server.clients.get(client_id)
    if target is None:
        return 0
    return 1 if _registry(ctx).unblock_by_request(target, as_error) else 0

