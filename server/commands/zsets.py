"""Sorted set commands: ZADD, ZINCRBY, ZREM, the score/rank/count queries, every ZRANGE
form and its STORE, the ZREMRANGEBY* family, ZPOPMIN/ZPOPMAX/ZMPOP, ZUNION/ZINTER/ZDIFF
and their STORE forms, ZINTERCARD, ZRANDMEMBER and ZSCAN.

Sorted set API first (parsing of scores and ranges, the generic range, pop and set
operation helpers, also used by the blocking pops), then the commands, as in Redis's
t_zset.c. The value type is server/sorted_set.py's SortedSet; its `is_listpack` flag
follows Redis's encoding rules (zset-max-listpack-entries/value) so that OBJECT
ENCODING answers as Redis does. What reaches the AOF is the command as sent, except
ZMPOP, which Redis 7.0 logs as `ZPOPMIN|ZPOPMAX key <popped count>`.

Member/score replies are built by `score_pairs` as protocol.replies.Pairs, which the
encoder writes flat in RESP2 and as pairs in RESP3; no handler reads the protocol.
"""

from __future__ import annotations

import math
import random
import re
from typing import Any, Iterable, NamedTuple

from protocol.replies import NULL_ARRAY, Double, Pairs
from server import errors
from server.commands.args import LLONG_MAX, option_word, parse_int
from server.commands.random_replies import bulk_size, check_reply_size
from server.context import CommandContext
from server.errors import CommandError
from server.registry import DENYOOM, FAST, READONLY, WRITE, CommandGroup, KeySpec
from server.scan import parse_cursor, parse_scan_options
from server.sorted_set import SortedSet

group = CommandGroup("sorted-set", category="sortedset")

# ------------------------------------------------------------------ Sorted set API

ZADD_NX = 1 << 0
ZADD_XX = 1 << 1
ZADD_GT = 1 << 2
ZADD_LT = 1 << 3
ZADD_CH = 1 << 4
ZADD_INCR = 1 << 5
_ZADD_WORDS = {b"NX": ZADD_NX, b"XX": ZADD_XX, b"GT": ZADD_GT, b"LT": ZADD_LT,
               b"CH": ZADD_CH, b"INCR": ZADD_INCR}

_C_SPACE = b" \t\n\v\f\r"
_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_HEX = re.compile(rb"([+-]?)(0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)"
                  rb"(?:[pP][+-]?[0-9]+)?)\Z")
_INFINITY = re.compile(rb"[+-]?(?:inf|infinity)\Z", re.IGNORECASE)
_NONZERO_DIGIT = re.compile(rb"[1-9a-fA-F]")
# A plain decimal of at most 20 characters, no exponent: too short to overflow or to
# underflow to zero, so float() alone reads it as strtod does (ZADD's common case).
_SHORT_DECIMAL = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


class ZsetLimits(NamedTuple):
    """zset-max-listpack-entries and zset-max-listpack-value, read once per command."""

    max_entries: int
    max_value: int


def listpack_limits(ctx: CommandContext) -> ZsetLimits:
    values = ctx.server.config.values
    return ZsetLimits(values["zset-max-listpack-entries"], values["zset-max-listpack-value"])


def _strtod(text: bytes) -> tuple[float, bool] | None:
    """C's strtod over all of `text` (no leading space here): (value, is_out_of_range),
    or None when it is not wholly a number. NaN is refused by the callers."""
    if _DECIMAL.match(text):
        value = float(text)
    elif (match := _HEX.match(text)) is not None:
        try:
            value = float.fromhex(match.group(2).decode())
        except OverflowError:
            return (-math.inf if match.group(1) == b"-" else math.inf), True
        if match.group(1) == b"-":
            value = -value
    elif _INFINITY.match(text):
        return (-math.inf if text[:1] == b"-" else math.inf), False
    elif text.lstrip(b"+-").lower() == b"nan":
        return math.nan, False
    else:
        return None
    mantissa = text.split(b"e")[0].split(b"E")[0] if not _HEX.match(text) else \
        text.split(b"p")[0].split(b"P")[0][2:]
    if math.isinf(value) or (value == 0 and _NONZERO_DIGIT.search(mantissa.lstrip(b"+-0xX"))):
        return value, True
    return value, False


def parse_score(arg: bytes, message: str = errors.NOT_FLOAT) -> float:
    """A double as Redis's getDoubleFromObject reads it: strtod over the whole
    argument, no leading space, no NaN, no overflow and no underflow to zero."""
    if len(arg) <= 20 and _SHORT_DECIMAL.fullmatch(arg):
        return float(arg)
    if not arg or arg[0] in _C_SPACE:
        raise CommandError(message)
    parsed = _strtod(arg)
    if parsed is None or math.isnan(parsed[0]) or parsed[1]:
        raise CommandError(message)
    return parsed[0]


def range_number(text: bytes) -> float:
    """A ZRANGEBYSCORE bound as zslParseRange reads it: strtod up to the first NUL,
    leading spaces skipped, out-of-range values kept (±inf, 0); "" is 0."""
    nul = text.find(b"\0")
    if nul >= 0:
        text = text[:nul]
    if not text:
        return 0.0
    stripped = text.lstrip(_C_SPACE)
    parsed = _strtod(stripped) if stripped else None
    if parsed is None or math.isnan(parsed[0]):
        raise CommandError(errors.ZSET_RANGE_NOT_FLOAT)
    return parsed[0]


class ScoreRange(NamedTuple):
    low: float
    high: float
    is_low_exclusive: bool
    is_high_exclusive: bool

    @property
    def is_empty(self) -> bool:
        return self.low > self.high or (
            self.low == self.high and (self.is_low_exclusive or self.is_high_exclusive))


def parse_score_range(low: bytes, high: bytes) -> ScoreRange:
    bounds = []
    for arg in (low, high):
        if arg[:1] == b"(":
            bounds.append((range_number(arg[1:]), True))
        else:
            bounds.append((range_number(arg), False))
    return ScoreRange(bounds[0][0], bounds[1][0], bounds[0][1], bounds[1][1])


class _Above:
    """Compares greater than any member: (score, ABOVE) follows every (score, member)."""

    def __gt__(self, other: object) -> bool:
        return True

    def __lt__(self, other: object) -> bool:
        return False


ABOVE = _Above()

class LexRange(NamedTuple):
    """A lex range; a None bound is "-" (below every member) or "+" (above every one)."""

    low: bytes | None
    high: bytes | None
    is_low_exclusive: bool
    is_high_exclusive: bool
    is_low_max: bool = False  # the low bound is "+"
    is_high_min: bool = False  # the high bound is "-"

    def is_empty(self) -> bool:
        """Redis's test for a range that can hold nothing (sdscmplex of the bounds)."""
        low_rank = 2 if self.is_low_max else (0 if self.low is None else 1)
        high_rank = 0 if self.is_high_min else (2 if self.high is None else 1)
        if low_rank != 1 or high_rank != 1:
            # "-" and "+" are exclusive, so equal special bounds hold nothing either.
            return low_rank >= high_rank
        assert self.low is not None and self.high is not None
        return self.low > self.high or (
            self.low == self.high and (self.is_low_exclusive or self.is_high_exclusive))

    def above_low(self, member: bytes) -> bool:
        if self.is_low_max:
            return False
        if self.low is None:
            return True
        return member > self.low if self.is_low_exclusive else member >= self.low

    def below_high(self, member: bytes) -> bool:
        if self.is_high_min:
            return False
        if self.high is None:
            return True
        return member < self.high if self.is_high_exclusive else member <= self.high


def _lex_item(arg: bytes) -> tuple[str, bytes]:
    first = arg[:1]
    if first in (b"+", b"-"):
        if len(arg) > 1 and arg[1] != 0:
            raise CommandError(errors.ZSET_LEX_RANGE)
        return first.decode(), b""
    if first == b"(":
        return "(", arg[1:]
    if first == b"[":
        return "[", arg[1:]
    raise CommandError(errors.ZSET_LEX_RANGE)


def parse_lex_range(low: bytes, high: bytes) -> LexRange:
    low_kind, low_value = _lex_item(low)
    high_kind, high_value = _lex_item(high)
    return LexRange(
        low=None if low_kind in "+-" else low_value,
        high=None if high_kind in "+-" else high_value,
        is_low_exclusive=low_kind != "[",
        is_high_exclusive=high_kind != "[",
        is_low_max=low_kind == "+",
        is_high_min=high_kind == "-",
    )


def format_score(score: float) -> bytes:
    """A score as text (ZSCAN, SORT's stored results): %.17g, inf and -inf."""
    if math.isinf(score):
        return b"inf" if score > 0 else b"-inf"
    return b"%.17g" % score


def score_pairs(ctx: CommandContext, items: Iterable[tuple[float, bytes]],
                with_scores: bool, is_nested: bool | None = None) -> Any:
    """Members (and scores) as Redis replies them: with scores, member/score Pairs
    (flat in RESP2, nested in RESP3: the encoder decides), or always nested
    (is_nested=True, ZMPOP) or always flat (is_nested=False, ZPOPMIN without a count)."""
    if not with_scores:
        return [member for _, member in items]
    if is_nested is None:
        return Pairs([(member, Double(score)) for score, member in items])
    if is_nested:
        return [[member, Double(score)] for score, member in items]
    flat: list[Any] = []
    for score, member in items:
        flat.append(member)
        flat.append(Double(score))
    return flat


def get_zset(ctx: CommandContext, key: bytes, for_write: bool = False) -> SortedSet | None:
    """The sorted set at key, None when missing; WRONGTYPE for another type."""
    return ctx.db.get_typed(key, SortedSet, for_write)  # type: ignore[no-any-return]


def new_zset(limits: ZsetLimits, first_member: bytes) -> SortedSet:
    """An empty set for ZADD: a listpack unless the first member already rules it out."""
    return SortedSet(is_listpack=limits.max_entries > 0
                     and len(first_member) <= limits.max_value)


def built_zset(items: list[tuple[bytes, float]], limits: ZsetLimits) -> SortedSet:
    """A set made by a STORE command, encoded as Redis's zsetConvertToListpackIfNeeded
    leaves it."""
    is_listpack = len(items) <= limits.max_entries and all(
        len(member) <= limits.max_value for member, _ in items)
    if is_listpack:
        items = [(member, 0.0 if score == 0 else score) for member, score in items]
    return SortedSet.from_items(items, is_listpack)


def store_result(ctx: CommandContext, destination: bytes, zset: SortedSet) -> int:
    """Put a STORE command's result at destination (replacing anything there, TTL
    included); an empty result deletes it. The set's size is the reply."""
    if len(zset):
        ctx.db.set(destination, zset)
    else:
        ctx.db.delete(destination)
    return len(zset)


def zset_add(zset: SortedSet, member: bytes, score: float, flags: int,
             limits: ZsetLimits) -> tuple[str, float]:
    """One element of ZADD/ZINCRBY (Redis's zsetAdd): (outcome, resulting score), the
    outcome "added", "updated", "nop" or "nan"."""
    current = zset.scores.get(member)
    if zset.is_listpack and score == 0:
        # A listpack keeps scores as text without a sign for zero: -0 is read back as 0.
        score = 0.0
    if current is not None:
        if flags & ZADD_NX:
            return "nop", current
        if flags & ZADD_INCR:
            score += current
            if math.isnan(score):
                return "nan", current
        if (flags & ZADD_GT and score <= current) or (flags & ZADD_LT and score >= current):
            return "nop", current
        if score != current:
            zset.set_score(member, score)
            return "updated", score
        return "same", current
    if flags & ZADD_XX:
        return "nop", 0.0
    if zset.is_listpack and (len(zset) + 1 > limits.max_entries
                             or len(member) > limits.max_value):
        zset.is_listpack = False
    zset.set_score(member, score)
    return "added", score


def zadd_generic(ctx: CommandContext, argv: list[bytes], flags: int, first: int) -> Any:
    """ZADD and ZINCRBY: argv[first:] are score member pairs."""
    pairs = argv[first:]
    if not pairs or len(pairs) % 2:
        raise CommandError(errors.SYNTAX)
    if flags & ZADD_NX and flags & ZADD_XX:
        raise CommandError(errors.ZADD_NX_XX)
    if (flags & ZADD_NX and flags & (ZADD_GT | ZADD_LT)) or (
            flags & ZADD_GT and flags & ZADD_LT):
        raise CommandError(errors.ZADD_GT_LT_NX)
    is_incr = bool(flags & ZADD_INCR)
    if is_incr and len(pairs) > 2:
        raise CommandError(errors.ZADD_INCR_PAIRS)
    scores = [parse_score(pairs[i]) for i in range(0, len(pairs), 2)]
    key = argv[1]
    zset = get_zset(ctx, key, for_write=True)
    limits = listpack_limits(ctx)
    if zset is None:
        if flags & ZADD_XX:
            return None if is_incr else 0
        zset = new_zset(limits, pairs[1])
        is_new_key = True
    else:
        is_new_key = False
    dirty_before = ctx.server.keyspace.dirty
    added = updated = 0
    result: float | None = None
    for index, score in enumerate(scores):
        outcome, result = zset_add(zset, pairs[2 * index + 1], score, flags, limits)
        if outcome == "nan":
            raise CommandError(errors.ZSET_NAN_SCORE)
        if outcome == "added":
            added += 1
        elif outcome == "updated":
            updated += 1
        elif outcome == "nop" and is_incr:
            result = None
    if is_new_key and len(zset):
        ctx.db.set(key, zset)
    ctx.count_changes(dirty_before, added + updated)
    if is_incr:
        return None if result is None else Double(result)
    return added + updated if flags & ZADD_CH else added


def zadd_one(ctx: CommandContext, key: bytes, score: float, member: bytes) -> int:
    """ZADD key score member, without options: zadd_generic for one pair, with the
    same replies and dirty counts, minus its per-pair bookkeeping."""
    zset = get_zset(ctx, key, for_write=True)
    keyspace = ctx.server.keyspace
    if zset is None:
        limits = listpack_limits(ctx)
        zset = new_zset(limits, member)
        zset_add(zset, member, score, 0, limits)
        dirty_before = keyspace.dirty
        ctx.db.set(key, zset)
        keyspace.dirty = dirty_before + 1
        return 1
    outcome, _ = zset_add(zset, member, score, 0, _NO_LIMITS if member in zset.scores
                          else listpack_limits(ctx))
    if outcome == "same":
        return 0
    keyspace.dirty += 1
    return 1 if outcome == "added" else 0


# Limits are read only when a member is added.
_NO_LIMITS = ZsetLimits(0, 0)


# ---- ranges

def rank_bounds(zset: SortedSet, start: int, stop: int) -> tuple[int, int] | None:
    """Redis's sanitised inclusive rank range, as a half-open [low, high), or None."""
    size = len(zset)
    if start < 0:
        start += size
    if stop < 0:
        stop += size
    start = max(start, 0)
    if start > stop or start >= size:
        return None
    return start, min(stop, size - 1) + 1


def score_rank_bounds(zset: SortedSet, bounds: ScoreRange) -> tuple[int, int]:
    """The half-open rank range of the members whose scores are within bounds."""
    order = zset.order
    low = order.bisect_left((bounds.low, ABOVE) if bounds.is_low_exclusive else (bounds.low,))
    high = order.bisect_left((bounds.high,) if bounds.is_high_exclusive
                             else (bounds.high, ABOVE))
    return low, max(low, high)


def lex_rank_bounds(zset: SortedSet, bounds: LexRange, is_reverse: bool) -> tuple[int, int]:
    """The half-open rank range of the members within a lex range. Lex ranges assume
    equal scores; as in Redis, a listpack is walked element by element from the
    starting end (forwards, or backwards for the reverse commands), which decides what
    a set with different scores answers; a larger set is searched by bisection."""
    size = len(zset)
    if bounds.is_empty() or not size:
        return 0, 0
    order = zset.order
    # Redis first checks the ends: the last member must be above min, the first below max.
    if not bounds.above_low(order[-1][1]) or not bounds.below_high(order[0][1]):
        return 0, 0
    if zset.is_listpack:
        items = list(order)
        if not is_reverse:
            low = next((i for i, (_, m) in enumerate(items) if bounds.above_low(m)), size)
            high = low
            while high < size and bounds.below_high(items[high][1]):
                high += 1
            return low, high
        high = next((i + 1 for i in range(size - 1, -1, -1)
                     if bounds.below_high(items[i][1])), 0)
        low = high
        while low > 0 and bounds.above_low(items[low - 1][1]):
            low -= 1
        return low, high
    score = order[0][0]
    if bounds.low is None:
        low = 0
    elif bounds.is_low_exclusive:
        low = order.bisect_right((score, bounds.low))
    else:
        low = order.bisect_left((score, bounds.low))
    if bounds.high is None:
        high = size
    elif bounds.is_high_exclusive:
        high = order.bisect_left((score, bounds.high))
    else:
        high = order.bisect_right((score, bounds.high))
    return low, max(low, high)


def limited(low: int, high: int, is_reverse: bool, offset: int, count: int) -> tuple[int, int]:
    """[low, high) narrowed by LIMIT offset count, from the end the walk starts at.
    As in Redis, a negative offset selects nothing and a negative count everything."""
    if offset < 0:
        return low, low
    if is_reverse:
        high = max(high - offset, low)
        if count >= 0:
            low = max(low, high - count)
    else:
        low = min(low + offset, high)
        if count >= 0:
            high = min(high, low + count)
    return low, high


class RangeRequest(NamedTuple):
    kind: str  # "rank", "score" or "lex"
    is_reverse: bool
    with_scores: bool
    offset: int
    count: int  # -1: no LIMIT
    low: bytes
    high: bytes


def parse_range_request(argv: list[bytes], first: int, kind: str | None,
                        is_reverse: bool | None, is_store: bool) -> RangeRequest:
    """Redis's zrangeGenericCommand option parsing: argv[first] and argv[first+1] are
    the range, options follow; `kind`/`is_reverse` None when BYSCORE/BYLEX/REV may say."""
    with_scores = False
    offset, count = 0, -1
    index = first + 2
    while index < len(argv):
        word = option_word(argv[index])
        left = len(argv) - index - 1
        if not is_store and word == b"WITHSCORES":
            with_scores = True
        elif word == b"LIMIT" and left >= 2:
            offset = parse_int(argv[index + 1])
            count = parse_int(argv[index + 2])
            index += 2
        elif is_reverse is None and word == b"REV":
            is_reverse = True
        elif kind is None and word == b"BYLEX":
            kind = "lex"
        elif kind is None and word == b"BYSCORE":
            kind = "score"
        else:
            raise CommandError(errors.SYNTAX)
        index += 1
    kind = kind or "rank"
    is_reverse = bool(is_reverse)
    if count != -1 and kind == "rank":
        raise CommandError(errors.ZRANGE_LIMIT_NEEDS_BY)
    if with_scores and kind == "lex":
        raise CommandError(errors.ZRANGE_WITHSCORES_BYLEX)
    low, high = argv[first], argv[first + 1]
    if is_reverse and kind != "rank":
        low, high = high, low
    return RangeRequest(kind, is_reverse, with_scores, offset, count, low, high)


def range_items(zset: SortedSet | None, request: RangeRequest,
                parsed: Any) -> list[tuple[float, bytes]]:
    """The (score, member) items a parsed range request selects, in reply order."""
    if zset is None:
        return []
    if request.kind == "rank":
        bounds = rank_bounds(zset, *parsed)
        if bounds is None:
            return []
        low, high = bounds
        if request.is_reverse:
            size = len(zset)
            low, high = size - high, size - low
    else:
        if request.kind == "score":
            if parsed.is_empty:
                return []
            low, high = score_rank_bounds(zset, parsed)
        else:
            low, high = lex_rank_bounds(zset, parsed, request.is_reverse)
        low, high = limited(low, high, request.is_reverse, request.offset, request.count)
    items = zset.order.slice(low, high)
    if request.is_reverse:
        items.reverse()
    return items


def parse_range_bounds(request: RangeRequest) -> Any:
    if request.kind == "rank":
        return parse_int(request.low), parse_int(request.high)
    if request.kind == "score":
        return parse_score_range(request.low, request.high)
    return parse_lex_range(request.low, request.high)


def zrange_generic(ctx: CommandContext, argv: list[bytes], kind: str | None,
                   is_reverse: bool | None) -> Any:
    """ZRANGE and its older forms (ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX)."""
    request = parse_range_request(argv, 2, kind, is_reverse, is_store=False)
    parsed = parse_range_bounds(request)
    zset = get_zset(ctx, argv[1])
    return score_pairs(ctx, range_items(zset, request, parsed), request.with_scores)


def zremrange_generic(ctx: CommandContext, argv: list[bytes], kind: str) -> int:
    """ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX."""
    request = RangeRequest(kind, False, False, 0, -1, argv[2], argv[3])
    parsed = parse_range_bounds(request)
    key = argv[1]
    zset = get_zset(ctx, key, for_write=True)
    if zset is None:
        return 0
    if kind == "rank":
        bounds = rank_bounds(zset, *parsed)
        if bounds is None:
            return 0
        low, high = bounds
    elif kind == "score":
        if parsed.is_empty:
            return 0
        low, high = score_rank_bounds(zset, parsed)
    else:
        low, high = lex_rank_bounds(zset, parsed, is_reverse=False)
    dirty_before = ctx.server.keyspace.dirty
    removed = len(zset.delete_ranks(low, high))
    if not len(zset):
        ctx.db.delete(key)
    ctx.count_changes(dirty_before, removed)
    return removed


# ---- pops

def pop_from_zset(ctx: CommandContext, key: bytes, zset: SortedSet, count: int,
                  from_max: bool) -> list[tuple[float, bytes]]:
    """Pop up to count items (lowest first, or highest with from_max), deleting the key
    when it empties; for ZPOPMIN/ZPOPMAX/ZMPOP and the blocking pops."""
    dirty_before = ctx.server.keyspace.dirty
    popped = zset.pop(count, from_max)
    if not len(zset):
        ctx.db.delete(key)
    ctx.count_changes(dirty_before, len(popped))
    return popped


def first_nonempty_zset(ctx: CommandContext,
                        keys: Iterable[bytes]) -> tuple[bytes, SortedSet] | None:
    """The first key holding a sorted set; another type met first is WRONGTYPE."""
    for key in keys:
        zset = get_zset(ctx, key, for_write=True)
        if zset is not None:
            return key, zset
    return None


def zpop_generic(ctx: CommandContext, argv: list[bytes], from_max: bool) -> Any:
    """ZPOPMIN and ZPOPMAX. Without a count the reply is one flat pair; with one it is
    a list of pairs (nested in RESP3)."""
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    has_count = len(argv) == 3
    count = 1
    if has_count:
        count = parse_int(argv[2], errors.NOT_POSITIVE)
        if count < 0:
            raise CommandError(errors.NOT_POSITIVE)
    found = first_nonempty_zset(ctx, argv[1:2])
    if found is None or count == 0:
        return []
    popped = pop_from_zset(ctx, found[0], found[1], count, from_max)
    return score_pairs(ctx, popped, True, is_nested=None if has_count else False)


def parse_mpop(argv: list[bytes], numkeys_index: int) -> tuple[list[bytes], bool, int]:
    """ZMPOP's (and BZMPOP's) numkeys key... MIN|MAX [COUNT count] from
    argv[numkeys_index:]: (keys, from_max, count)."""
    numkeys = parse_int(argv[numkeys_index], errors.NUMKEYS_NOT_POSITIVE)
    if numkeys < 1:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE)
    where_index = numkeys_index + numkeys + 1
    if where_index >= len(argv):
        raise CommandError(errors.SYNTAX)
    where = option_word(argv[where_index])
    if where not in (b"MIN", b"MAX"):
        raise CommandError(errors.SYNTAX)
    count = -1
    index = where_index + 1
    while index < len(argv):
        if count == -1 and option_word(argv[index]) == b"COUNT" and index + 1 < len(argv):
            count = parse_int(argv[index + 1], errors.COUNT_NOT_POSITIVE)
            if count < 1:
                raise CommandError(errors.COUNT_NOT_POSITIVE)
            index += 2
        else:
            raise CommandError(errors.SYNTAX)
    keys = argv[numkeys_index + 1:where_index]
    return keys, where == b"MAX", 1 if count == -1 else count


def mpop_reply(ctx: CommandContext, key: bytes, popped: list[tuple[float, bytes]],
               from_max: bool) -> list[Any]:
    """[key, [[member, score] ...]] (nested in both protocols, as Redis replies ZMPOP),
    logged as `ZPOPMIN|ZPOPMAX key <popped>`."""
    ctx.propagate_as(b"ZPOPMAX" if from_max else b"ZPOPMIN", key, b"%d" % len(popped))
    return [key, score_pairs(ctx, popped, True, is_nested=True)]


# ---- union, intersection, difference

AGGREGATE_SUM, AGGREGATE_MIN, AGGREGATE_MAX = "sum", "min", "max"


class SetOperation(NamedTuple):
    sources: list[Any]  # SortedSet, a set value, or None for a missing key
    weights: list[float]
    aggregate: str
    with_scores: bool
    limit: int


def _source_items(source: Any) -> Iterable[tuple[bytes, float]]:
    """(member, score) of an input: sets join in with score 1, as in Redis."""
    if source is None:
        return ()
    if type(source) is SortedSet:
        return source.scores.items()
    return ((member, 1.0) for member in source)


def _source_score(source: Any, member: bytes) -> float | None:
    if source is None:
        return None
    if type(source) is SortedSet:
        return source.scores.get(member)
    return 1.0 if member in source else None


def _lookup_source(ctx: CommandContext, key: bytes) -> Any:
    """An input of a set operation: read lookups (hits and misses) even for STORE."""
    value = ctx.db.read(key)
    if value is None or type(value) is SortedSet or getattr(value, "redis_type", "") == "set":
        return value
    raise CommandError(errors.WRONGTYPE)


def parse_set_operation(ctx: CommandContext, argv: list[bytes], numkeys_index: int,
                        operation: str, is_store: bool, is_cardinality: bool = False,
                        command: str = "") -> SetOperation:
    """Redis's zunionInterDiffGenericCommand parsing: the keys are looked up (and
    type-checked) before the options are read."""
    setnum = parse_int(argv[numkeys_index])
    if setnum < 1:
        raise CommandError(errors.ZSET_NEED_KEYS % command)
    first = numkeys_index + 1
    if setnum > len(argv) - first:
        raise CommandError(errors.SYNTAX)
    sources = [_lookup_source(ctx, key) for key in argv[first:first + setnum]]
    weights = [1.0] * setnum
    aggregate = AGGREGATE_SUM
    with_scores = False
    limit = 0
    index = first + setnum
    allows_weights = operation != "diff" and not is_cardinality
    while index < len(argv):
        remaining = len(argv) - index
        word = option_word(argv[index])
        if allows_weights and remaining >= setnum + 1 and word == b"WEIGHTS":
            weights = [parse_score(arg, errors.ZSET_WEIGHT_NOT_FLOAT)
                       for arg in argv[index + 1:index + 1 + setnum]]
            index += 1 + setnum
        elif allows_weights and remaining >= 2 and word == b"AGGREGATE":
            choice = option_word(argv[index + 1])
            if choice not in (b"SUM", b"MIN", b"MAX"):
                raise CommandError(errors.SYNTAX)
            aggregate = choice.decode().lower()
            index += 2
        elif not is_store and not is_cardinality and word == b"WITHSCORES":
            with_scores = True
            index += 1
        elif is_cardinality and remaining >= 2 and word == b"LIMIT":
            limit = parse_int(argv[index + 1], errors.ZSET_LIMIT_NEGATIVE)
            if limit < 0:
                raise CommandError(errors.ZSET_LIMIT_NEGATIVE)
            index += 2
        else:
            raise CommandError(errors.SYNTAX)
    return SetOperation(sources, weights, aggregate, with_scores, limit)


def _aggregate(current: float, value: float, how: str) -> float:
    if how == AGGREGATE_SUM:
        total = current + value
        return 0.0 if math.isnan(total) else total
    if how == AGGREGATE_MIN:
        return value if value < current else current
    return value if value > current else current


def _weighted(score: float, weight: float) -> float:
    value = score * weight
    return 0.0 if math.isnan(value) else value


def _by_cardinality(operation: SetOperation) -> list[tuple[Any, float]]:
    """Sources with their weights, smallest first (Redis sorts them so; the order in
    which scores are summed follows it)."""
    paired = list(zip(operation.sources, operation.weights))
    paired.sort(key=lambda pair: 0 if pair[0] is None else len(pair[0]))
    return paired


def union_scores(operation: SetOperation) -> dict[bytes, float]:
    result: dict[bytes, float] = {}
    how = operation.aggregate
    for source, weight in _by_cardinality(operation):
        for member, score in _source_items(source):
            value = _weighted(score, weight)
            current = result.get(member)
            result[member] = value if current is None else _aggregate(current, value, how)
    return result


def inter_scores(operation: SetOperation, limit: int = 0) -> dict[bytes, float]:
    """The intersection; with a limit, stop after that many members (ZINTERCARD)."""
    paired = _by_cardinality(operation)
    result: dict[bytes, float] = {}
    smallest, first_weight = paired[0]
    if smallest is None or any(source is None for source, _ in paired):
        return result
    how = operation.aggregate
    for member, score in list(_source_items(smallest)):
        total = _weighted(score, first_weight)
        for source, weight in paired[1:]:
            found = _source_score(source, member)
            if found is None:
                break
            # No NaN guard on the value itself, as in Redis: MIN/MAX keep the current.
            total = _aggregate(total, found * weight, how)
        else:
            result[member] = total
            if limit and len(result) >= limit:
                break
    return result


def diff_scores(operation: SetOperation) -> dict[bytes, float]:
    first, others = operation.sources[0], operation.sources[1:]
    return {member: score for member, score in _source_items(first)
            if not any(_source_score(other, member) is not None for other in others)}


_OPERATIONS = {"union": union_scores, "inter": inter_scores, "diff": diff_scores}


def set_operation_generic(ctx: CommandContext, argv: list[bytes], operation: str,
                          is_store: bool) -> Any:
    """ZUNION, ZINTER, ZDIFF (a sorted reply) and their STORE forms (the result's size)."""
    command = argv[0].decode(errors="replace").lower()
    numkeys_index = 2 if is_store else 1
    request = parse_set_operation(ctx, argv, numkeys_index, operation, is_store,
                                  command=command)
    scores = _OPERATIONS[operation](request)
    if is_store:
        result = built_zset(list(scores.items()), listpack_limits(ctx))
        dirty_before = ctx.server.keyspace.dirty
        size = store_result(ctx, argv[1], result)
        changed = ctx.server.keyspace.dirty != dirty_before
        ctx.count_changes(dirty_before, 1 if changed else 0)
        return size
    items = sorted((score, member) for member, score in scores.items())
    return score_pairs(ctx, items, request.with_scores)


# ---- random members

def _random_entry_size(zset: SortedSet, with_scores: bool) -> int:
    score, member = zset.order[random.randrange(len(zset))]
    size = bulk_size(len(member))
    return size + bulk_size(len(format_score(score))) if with_scores else size


def random_members_generic(ctx: CommandContext, zset: SortedSet | None, count: int,
                           with_scores: bool) -> list[Any]:
    """ZRANDMEMBER with a count: distinct members for a positive count (the whole set
    when it is not larger), members drawn with repetition for a negative one."""
    if zset is None or count == 0:
        return []
    if count < 0:
        check_reply_size(ctx, count, lambda: _random_entry_size(zset, with_scores))
        keys = list(zset.scores)
        chosen = [random.choice(keys) for _ in range(-count)]
    elif count >= len(zset):
        chosen = list(zset.scores)
    else:
        chosen = random.sample(list(zset.scores), count)
    scores = zset.scores
    return score_pairs(ctx, [(scores[member], member) for member in chosen], with_scores)


# ------------------------------------------------------------------ Sorted set commands

@group.command('ZADD', -4, WRITE | DENYOOM | FAST,
    keys=(KeySpec(1, flags=('RW', 'update')),),
    summary=('Add one or more members to a sorted set, or update its score if it already '
        'exists'),
    since='1.2.0',
    complexity=('O(log(N)) for each item added, where N is the number of elements in the sorted '
        'set.'),
    history=(
        ('2.4.0', 'Accepts multiple elements.'),
        ('3.0.2', 'Added the `XX`, `NX`, `CH` and `INCR` options.'),
        ('6.2.0', 'Added the `GT` and `LT` options.'),
    ),
    syntax=('key:key [NX | XX]=condition@3.0.2 [GT | LT]=comparison@6.2.0 [CH]=change@3.0.2 '
        '[INCR]=increment@3.0.2 score:double member [score member ...]'))
def zadd_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]"""
    if len(argv) == 4 and _ZADD_WORDS.get(option_word(argv[2])) is None:
        # The commonest form. (An option in argv[2] would leave no score-member pair:
        # the general path's syntax error.)
        return zadd_one(ctx, argv[1], parse_score(argv[2]), argv[3])
    flags = 0
    index = 2
    while index < len(argv):
        flag = _ZADD_WORDS.get(option_word(argv[index]))
        if flag is None:
            break
        flags |= flag
        index += 1
    return zadd_generic(ctx, argv, flags, index)


@group.command('ZINCRBY', 4, WRITE | DENYOOM | FAST,
    keys=(KeySpec(1, flags=('RW', 'access', 'update')),),
    summary='Increment the score of a member in a sorted set',
    since='1.2.0',
    complexity='O(log(N)) where N is the number of elements in the sorted set.',
    syntax='key:key increment:integer member')
def zincrby_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZINCRBY key increment member"""
    return zadd_generic(ctx, argv, ZADD_INCR, 2)


@group.command('ZREM', -3, WRITE | FAST,
    keys=(KeySpec(1, flags=('RW', 'delete')),),
    summary='Remove one or more members from a sorted set',
    since='1.2.0',
    complexity=('O(M*log(N)) with N being the number of elements in the sorted set and M the '
        'number of elements to be removed.'),
    history=(('2.4.0', 'Accepts multiple elements.'),),
    syntax='key:key member [member ...]')
def zrem_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZREM key member [member ...]"""
    key = argv[1]
    zset = get_zset(ctx, key, for_write=True)
    if zset is None:
        return 0
    dirty_before = ctx.server.keyspace.dirty
    removed = 0
    for member in argv[2:]:
        if zset.remove(member):
            removed += 1
            if not len(zset):
                break
    if not len(zset):
        ctx.db.delete(key)
    ctx.count_changes(dirty_before, removed)
    return removed


@group.command('ZSCORE', 3, READONLY | FAST,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary='Get the score associated with the given member in a sorted set',
    since='1.2.0',
    complexity='O(1)',
    syntax='key:key member')
def zscore_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZSCORE key member"""
    zset = get_zset(ctx, argv[1])
    score = None if zset is None else zset.scores.get(argv[2])
    return None if score is None else Double(score)


@group.command('ZMSCORE', -3, READONLY | FAST,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary='Get the score associated with the given members in a sorted set',
    since='6.2.0',
    complexity='O(N) where N is the number of members being requested.',
    syntax='key:key member [member ...]')
def zmscore_command(ctx: CommandContext, argv: list[bytes]) -> list[Any]:
    """ZMSCORE key member [member ...]"""
    zset = get_zset(ctx, argv[1])
    scores = {} if zset is None else zset.scores
    return [None if (score := scores.get(member)) is None else Double(score)
            for member in argv[2:]]


@group.command('ZCARD', 2, READONLY | FAST,
    keys=(KeySpec(1, flags=('RO',)),),
    summary='Get the number of members in a sorted set',
    since='1.2.0',
    complexity='O(1)',
    syntax='key:key')
def zcard_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZCARD key"""
    zset = get_zset(ctx, argv[1])
    return 0 if zset is None else len(zset)


@group.command('ZCOUNT', 4, READONLY | FAST,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary='Count the members in a sorted set with scores within the given values',
    since='2.0.0',
    complexity='O(log(N)) with N being the number of elements in the sorted set.',
    syntax='key:key min:double max:double')
def zcount_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZCOUNT key min max"""
    bounds = parse_score_range(argv[2], argv[3])
    zset = get_zset(ctx, argv[1])
    if zset is None or bounds.is_empty:
        return 0
    low, high = score_rank_bounds(zset, bounds)
    return high - low


@group.command('ZLEXCOUNT', 4, READONLY | FAST,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary=('Count the number of members in a sorted set between a given lexicographical '
        'range'),
    since='2.8.9',
    complexity='O(log(N)) with N being the number of elements in the sorted set.',
    syntax='key:key min max')
def zlexcount_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZLEXCOUNT key min max"""
    bounds = parse_lex_range(argv[2], argv[3])
    zset = get_zset(ctx, argv[1])
    if zset is None:
        return 0
    low, high = lex_rank_bounds(zset, bounds, is_reverse=False)
    return high - low


@group.command('ZRANGE', -4, READONLY,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary='Return a range of members in a sorted set',
    since='1.2.0',
    complexity=('O(log(N)+M) with N being the number of elements in the sorted set and M the '
        'number of elements returned.'),
    history=(('6.2.0', 'Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.'),),
    syntax=('key:key start stop [BYSCORE | BYLEX]=sortby@6.2.0 [REV]@6.2.0 [LIMIT '
        'offset:integer count:integer]@6.2.0 [WITHSCORES]'))
def zrange_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"""
    return zrange_generic(ctx, argv, None, None)


@group.command('ZRANGESTORE', -5, WRITE | DENYOOM,
    keys=(KeySpec(1, flags=('OW', 'update')), KeySpec(2, flags=('RO', 'access')),),
    summary='Store a range of members from sorted set into another key',
    since='6.2.0',
    complexity=('O(log(N)+M) with N being the number of elements in the sorted set and M the '
        'number of elements stored into the destination key.'),
    syntax=('dst:key src:key min max [BYSCORE | BYLEX]=sortby [REV] [LIMIT offset:integer '
        'count:integer]'))
def zrangestore_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]"""
    request = parse_range_request(argv, 3, None, None, is_store=True)
    parsed = parse_range_bounds(request)
    source = get_zset(ctx, argv[2])
    items = range_items(source, request, parsed)
    result = built_zset([(member, score) for score, member in items], listpack_limits(ctx))
    dirty_before = ctx.server.keyspace.dirty
    size = store_result(ctx, argv[1], result)
    ctx.count_changes(dirty_before, 1 if ctx.server.keyspace.dirty != dirty_before else 0)
    return size


@group.command('ZREVRANGE', -4, READONLY,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary=('Return a range of members in a sorted set, by index, with scores ordered from '
        'high to low'),
    since='1.2.0',
    complexity=('O(log(N)+M) with N being the number of elements in the sorted set and M the '
        'number of elements returned.'),
    doc_flags=('deprecated',),
    deprecated_since='6.2.0',
    replaced_by='`ZRANGE` with the `REV` argument',
    syntax='key:key start:integer stop:integer [WITHSCORES]')
def zrevrange_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZREVRANGE key start stop [WITHSCORES]"""
    return zrange_generic(ctx, argv, "rank", True)


@group.command('ZRANGEBYSCORE', -4, READONLY,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary='Return a range of members in a sorted set, by score',
    since='1.0.5',
    complexity=('O(log(N)+M) with N being the number of elements in the sorted set and M the '
        'number of elements being returned. If M is constant (e.g. always asking for the '
        'first 10 elements with LIMIT), you can consider it O(log(N)).'),
    history=(('2.0.0', 'Added the `WITHSCORES` modifier.'),),
    doc_flags=('deprecated',),
    deprecated_since='6.2.0',
    replaced_by='`ZRANGE` with the `BYSCORE` argument',
    syntax=('key:key min:double max:double [WITHSCORES]@2.0.0 [LIMIT offset:integer '
        'count:integer]'))
def zrangebyscore_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]"""
    return zrange_generic(ctx, argv, "score", False)


@group.command('ZREVRANGEBYSCORE', -4, READONLY,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary=('Return a range of members in a sorted set, by score, with scores ordered from '
        'high to low'),
    since='2.2.0',
    complexity=('O(log(N)+M) with N being the number of elements in the sorted set and M the '
        'number of elements being returned. If M is constant (e.g. always asking for the '
        'first 10 elements with LIMIT), you can consider it O(log(N)).'),
    history=(('2.1.6', '`min` and `max` can be exclusive.'),),
    doc_flags=('deprecated',),
    deprecated_since='6.2.0',
    replaced_by='`ZRANGE` with the `REV` and `BYSCORE` arguments',
    syntax='key:key max:double min:double [WITHSCORES] [LIMIT offset:integer count:integer]')
def zrevrangebyscore_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]"""
    return zrange_generic(ctx, argv, "score", True)


@group.command('ZRANGEBYLEX', -4, READONLY,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary='Return a range of members in a sorted set, by lexicographical range',
    since='2.8.9',
    complexity=('O(log(N)+M) with N being the number of elements in the sorted set and M the '
        'number of elements being returned. If M is constant (e.g. always asking for the '
        'first 10 elements with LIMIT), you can consider it O(log(N)).'),
    doc_flags=('deprecated',),
    deprecated_since='6.2.0',
    replaced_by='`ZRANGE` with the `BYLEX` argument',
    syntax='key:key min max [LIMIT offset:integer count:integer]')
def zrangebylex_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZRANGEBYLEX key min max [LIMIT offset count]"""
    return zrange_generic(ctx, argv, "lex", False)


@group.command('ZREVRANGEBYLEX', -4, READONLY,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary=('Return a range of members in a sorted set, by lexicographical range, ordered '
        'from higher to lower strings.'),
    since='2.8.9',
    complexity=('O(log(N)+M) with N being the number of elements in the sorted set and M the '
        'number of elements being returned. If M is constant (e.g. always asking for the '
        'first 10 elements with LIMIT), you can consider it O(log(N)).'),
    doc_flags=('deprecated',),
    deprecated_since='6.2.0',
    replaced_by='`ZRANGE` with the `REV` and `BYLEX` arguments',
    syntax='key:key max min [LIMIT offset:integer count:integer]')
def zrevrangebylex_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZREVRANGEBYLEX key max min [LIMIT offset count]"""
    return zrange_generic(ctx, argv, "lex", True)


@group.command('ZRANK', 3, READONLY | FAST,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary='Determine the index of a member in a sorted set',
    since='2.0.0',
    complexity='O(log(N))',
    syntax='key:key member')
def zrank_command(ctx: CommandContext, argv: list[bytes]) -> int | None:
    """ZRANK key member"""
    zset = get_zset(ctx, argv[1])
    return None if zset is None else zset.rank(argv[2])


@group.command('ZREVRANK', 3, READONLY | FAST,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    summary=('Determine the index of a member in a sorted set, with scores ordered from high '
        'to low'),
    since='2.0.0',
    complexity='O(log(N))',
    syntax='key:key member')
def zrevrank_command(ctx: CommandContext, argv: list[bytes]) -> int | None:
    """ZREVRANK key member"""
    zset = get_zset(ctx, argv[1])
    rank = None if zset is None else zset.rank(argv[2])
    return None if rank is None or zset is None else len(zset) - 1 - rank


@group.command('ZREMRANGEBYRANK', 4, WRITE,
    keys=(KeySpec(1, flags=('RW', 'delete')),),
    summary='Remove all members in a sorted set within the given indexes',
    since='2.0.0',
    complexity=('O(log(N)+M) with N being the number of elements in the sorted set and M the '
        'number of elements removed by the operation.'),
    syntax='key:key start:integer stop:integer')
def zremrangebyrank_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZREMRANGEBYRANK key start stop"""
    return zremrange_generic(ctx, argv, "rank")


@group.command('ZREMRANGEBYSCORE', 4, WRITE,
    keys=(KeySpec(1, flags=('RW', 'delete')),),
    summary='Remove all members in a sorted set within the given scores',
    since='1.2.0',
    complexity=('O(log(N)+M) with N being the number of elements in the sorted set and M the '
        'number of elements removed by the operation.'),
    syntax='key:key min:double max:double')
def zremrangebyscore_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZREMRANGEBYSCORE key min max"""
    return zremrange_generic(ctx, argv, "score")


@group.command('ZREMRANGEBYLEX', 4, WRITE,
    keys=(KeySpec(1, flags=('RW', 'delete')),),
    summary='Remove all members in a sorted set between the given lexicographical range',
    since='2.8.9',
    complexity=('O(log(N)+M) with N being the number of elements in the sorted set and M the '
        'number of elements removed by the operation.'),
    syntax='key:key min max')
def zremrangebylex_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZREMRANGEBYLEX key min max"""
    return zremrange_generic(ctx, argv, "lex")


@group.command('ZPOPMIN', -2, WRITE | FAST,
    keys=(KeySpec(1, flags=('RW', 'access', 'delete')),),
    summary='Remove and return members with the lowest scores in a sorted set',
    since='5.0.0',
    complexity=('O(log(N)*M) with N being the number of elements in the sorted set, and M being '
        'the number of elements popped.'),
    syntax='key:key [count:integer]')
def zpopmin_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZPOPMIN key [count]"""
    return zpop_generic(ctx, argv, from_max=False)


@group.command('ZPOPMAX', -2, WRITE | FAST,
    keys=(KeySpec(1, flags=('RW', 'access', 'delete')),),
    summary='Remove and return members with the highest scores in a sorted set',
    since='5.0.0',
    complexity=('O(log(N)*M) with N being the number of elements in the sorted set, and M being '
        'the number of elements popped.'),
    syntax='key:key [count:integer]')
def zpopmax_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZPOPMAX key [count]"""
    return zpop_generic(ctx, argv, from_max=True)


@group.command('ZMPOP', -4, WRITE,
    keys=(KeySpec(1, keynum=(0, 1), flags=('RW', 'access', 'delete')),),
    summary='Remove and return members with scores in a sorted set',
    since='7.0.0',
    complexity=('O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of'
        ' elements in the sorted set, and M being the number of elements popped.'),
    syntax='numkeys:integer key:key [key ...] <MIN | MAX>=where [COUNT count:integer]')
def zmpop_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZMPOP numkeys key [key ...] <MIN | MAX> [COUNT count]"""
    keys, from_max, count = parse_mpop(argv, 1)
    found = first_nonempty_zset(ctx, keys)
    if found is None:
        return NULL_ARRAY
    key, zset = found
    popped = pop_from_zset(ctx, key, zset, count, from_max)
    return mpop_reply(ctx, key, popped, from_max)


@group.command('ZUNION', -3, READONLY,
    keys=(KeySpec(1, keynum=(0, 1), flags=('RO', 'access')),),
    summary='Add multiple sorted sets',
    since='6.2.0',
    complexity=('O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and'
        ' M being the number of elements in the resulting sorted set.'),
    syntax=('numkeys:integer key:key [key ...] [WEIGHTS weight:integer [weight ...]] '
        '[AGGREGATE <SUM | MIN | MAX>]=aggregate [WITHSCORES]'))
def zunion_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]"""
    return set_operation_generic(ctx, argv, "union", is_store=False)


@group.command('ZINTER', -3, READONLY,
    keys=(KeySpec(1, keynum=(0, 1), flags=('RO', 'access')),),
    summary='Intersect multiple sorted sets',
    since='6.2.0',
    complexity=('O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K '
        'being the number of input sorted sets and M being the number of elements in the '
        'resulting sorted set.'),
    syntax=('numkeys:integer key:key [key ...] [WEIGHTS weight:integer [weight ...]] '
        '[AGGREGATE <SUM | MIN | MAX>]=aggregate [WITHSCORES]'))
def zinter_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]"""
    return set_operation_generic(ctx, argv, "inter", is_store=False)


@group.command('ZDIFF', -3, READONLY,
    keys=(KeySpec(1, keynum=(0, 1), flags=('RO', 'access')),),
    summary='Subtract multiple sorted sets',
    since='6.2.0',
    complexity=('O(L + (N-K)log(N)) worst case where L is the total number of elements in all the'
        ' sets, N is the size of the first set, and K is the size of the result set.'),
    syntax='numkeys:integer key:key [key ...] [WITHSCORES]')
def zdiff_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZDIFF numkeys key [key ...] [WITHSCORES]"""
    return set_operation_generic(ctx, argv, "diff", is_store=False)


@group.command('ZUNIONSTORE', -4, WRITE | DENYOOM,
    keys=(
        KeySpec(1, flags=('OW', 'update')),
        KeySpec(2, keynum=(0, 1), flags=('RO', 'access')),
    ),
    summary='Add multiple sorted sets and store the resulting sorted set in a new key',
    since='2.0.0',
    complexity=('O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and'
        ' M being the number of elements in the resulting sorted set.'),
    syntax=('destination:key numkeys:integer key:key [key ...] [WEIGHTS weight:integer '
        '[weight ...]] [AGGREGATE <SUM | MIN | MAX>]=aggregate'))
def zunionstore_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]"""
    return set_operation_generic(ctx, argv, "union", is_store=True)  # type: ignore[no-any-return]


@group.command('ZINTERSTORE', -4, WRITE | DENYOOM,
    keys=(
        KeySpec(1, flags=('OW', 'update')),
        KeySpec(2, keynum=(0, 1), flags=('RO', 'access')),
    ),
    summary='Intersect multiple sorted sets and store the resulting sorted set in a new key',
    since='2.0.0',
    complexity=('O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K '
        'being the number of input sorted sets and M being the number of elements in the '
        'resulting sorted set.'),
    syntax=('destination:key numkeys:integer key:key [key ...] [WEIGHTS weight:integer '
        '[weight ...]] [AGGREGATE <SUM | MIN | MAX>]=aggregate'))
def zinterstore_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]"""
    return set_operation_generic(ctx, argv, "inter", is_store=True)  # type: ignore[no-any-return]


@group.command('ZDIFFSTORE', -4, WRITE | DENYOOM,
    keys=(
        KeySpec(1, flags=('OW', 'update')),
        KeySpec(2, keynum=(0, 1), flags=('RO', 'access')),
    ),
    summary='Subtract multiple sorted sets and store the resulting sorted set in a new key',
    since='6.2.0',
    complexity=('O(L + (N-K)log(N)) worst case where L is the total number of elements in all the'
        ' sets, N is the size of the first set, and K is the size of the result set.'),
    syntax='destination:key numkeys:integer key:key [key ...]')
def zdiffstore_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZDIFFSTORE destination numkeys key [key ...]"""
    return set_operation_generic(ctx, argv, "diff", is_store=True)  # type: ignore[no-any-return]


@group.command('ZINTERCARD', -3, READONLY,
    keys=(KeySpec(1, keynum=(0, 1), flags=('RO', 'access')),),
    summary='Intersect multiple sorted sets and return the cardinality of the result',
    since='7.0.0',
    complexity=('O(N*K) worst case with N being the smallest input sorted set, K being the number'
        ' of input sorted sets.'),
    syntax='numkeys:integer key:key [key ...] [LIMIT limit:integer]')
def zintercard_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """ZINTERCARD numkeys key [key ...] [LIMIT limit]"""
    request = parse_set_operation(ctx, argv, 1, "inter", is_store=False,
                                  is_cardinality=True, command="zintercard")
    return len(inter_scores(request, request.limit))


@group.command('ZRANDMEMBER', -2, READONLY,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    tips=('nondeterministic_output',),
    summary='Get one or multiple random elements from a sorted set',
    since='6.2.0',
    complexity='O(N) where N is the number of elements returned',
    syntax='key:key [count:integer [WITHSCORES]]=options')
def zrandmember_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ZRANDMEMBER key [count [WITHSCORES]]"""
    if len(argv) == 2:
        zset = get_zset(ctx, argv[1])
        if zset is None:
            return None
        return zset.order[random.randrange(len(zset))][1]
    count = parse_int(argv[2])
    if not -LLONG_MAX <= count <= LLONG_MAX:
        raise CommandError(errors.ZRANDMEMBER_RANGE)
    with_scores = False
    if len(argv) > 4 or (len(argv) == 4 and option_word(argv[3]) != b"WITHSCORES"):
        raise CommandError(errors.SYNTAX)
    if len(argv) == 4:
        with_scores = True
        if not -(LLONG_MAX // 2) <= count <= LLONG_MAX // 2:
            raise CommandError(errors.VALUE_OUT_OF_RANGE)
    return random_members_generic(ctx, get_zset(ctx, argv[1]), count, with_scores)


@group.command('ZSCAN', -3, READONLY,
    keys=(KeySpec(1, flags=('RO', 'access')),),
    tips=('nondeterministic_output',),
    summary='Incrementally iterate sorted sets elements and associated scores',
    since='2.8.0',
    complexity=('O(1) for every call. O(N) for a complete iteration, including enough command '
        'calls for the cursor to return back to 0. N is the number of elements inside the'
        ' collection..'),
    syntax='key:key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]')
def zscan_command(ctx: CommandContext, argv: list[bytes]) -> list[Any]:
    """ZSCAN key cursor [MATCH pattern] [COUNT count]

    A listpack-encoded set is answered whole with cursor 0, as Redis does; a larger one
    is walked through the server's scan sessions (server/scan.py)."""
    cursor = parse_cursor(argv[2])
    zset = get_zset(ctx, argv[1])
    if zset is None:
        return [b"0", []]  # before the options are read, as in Redis
    options = parse_scan_options(argv, 3, allow_type=False)
    scores = zset.scores
    if zset.is_listpack:
        next_cursor = 0
        members = [member for _, member in zset.order]
    else:
        next_cursor, members = ctx.server.keyspace.scans.walk(
            zset, cursor, options.count, lambda: list(scores), scores.__contains__,
            ctx.now_ms)
    matches = options.matches
    found: list[bytes] = []
    for member in members:
        if matches is None or matches(member):
            found.append(member)
            found.append(format_score(scores[member]))
    return [b"%d" % next_cursor, found]
