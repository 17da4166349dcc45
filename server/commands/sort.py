"""SORT and SORT_RO over lists, sets and sorted sets, as Redis's sort.c.

Sort API first (patterns, the elements to sort and their weights, the comparison),
then the commands. Elements are compared as doubles (ties by their bytes) or, with
ALPHA, by bytes; BY takes the weights from other keys or hash fields (`*` replaced by
the element, `->field` for a hash), BY without `*` skips sorting, and GET fetches
other keys for the reply (`#` is the element itself). With STORE the result becomes a
list at the destination. Redis sorts with qsort, which glibc implements as a stable
merge sort; Python's sort is stable too, so equal weights keep their original order.

Lists, sets and hashes are reached through their `redis_type`, so this module needs
nothing from their modules but the list type it stores into.
"""

from __future__ import annotations

import math
from typing import Any

from server import errors
from server.commands.args import option_word, parse_int
from server.commands.zsets import range_number
from server.context import CommandContext
from server.errors import CommandError
from server.quicklist import QuickList
from server.registry import DENYOOM, READONLY, WRITE, CommandGroup, KeySpec
from server.sorted_set import SortedSet

group = CommandGroup("generic", category="keyspace")

# ------------------------------------------------------------------ Sort API

_SORTABLE = ("list", "set", "zset")


def value_kind(value: Any) -> str:
    return "string" if isinstance(value, (bytes, bytearray)) else getattr(
        value, "redis_type", "")


def lookup_by_pattern(ctx: CommandContext, pattern: bytes, element: bytes) -> bytes | None:
    """Redis's lookupKeyByPattern: `#` is the element; otherwise the first `*` becomes
    the element and the key is read as a string, or with `->field` after the `*` as a
    hash field. A pattern without `*`, or a key of another type, finds nothing. C
    string functions stop at a NUL byte, and so does the search here."""
    nul = pattern.find(b"\0")
    text = pattern if nul < 0 else pattern[:nul]
    if text == b"#":
        return element
    star = text.find(b"*")
    if star < 0:
        return None
    arrow = text.find(b"->", star + 1)
    field: bytes | None = None
    end = len(pattern)
    if arrow >= 0 and arrow + 2 < len(text):
        field = pattern[arrow + 2:]
        end = arrow
    key = pattern[:star] + element + pattern[star + 1:end]
    value = ctx.db.read(key)
    if value is None:
        return None
    if field is not None:
        if value_kind(value) != "hash":
            return None
        found = value.get(field)
        return None if found is None else bytes(found)
    if value_kind(value) != "string":
        return None
    return bytes(value)


def _sort_weight(text: bytes) -> float | None:
    """A numeric weight as SORT reads it (strtod to the end, no NaN, no ERANGE);
    None when it does not convert."""
    try:
        weight = range_number(text)
    except CommandError:
        return None
    if math.isinf(weight) and text.lstrip(b" \t\n\v\f\r+-").lower()[:3] != b"inf":
        return None  # overflow: strtod sets ERANGE
    return weight


class SortRequest:
    __slots__ = ("by", "get_patterns", "is_desc", "is_alpha", "offset", "count", "store",
                 "is_sorted")

    def __init__(self) -> None:
        self.by: bytes | None = None
        self.get_patterns: list[bytes] = []
        self.is_desc = False
        self.is_alpha = False
        self.offset = 0
        self.count = -1
        self.store: bytes | None = None
        self.is_sorted = True


def parse_sort(argv: list[bytes], is_readonly: bool) -> SortRequest:
    request = SortRequest()
    index = 2
    while index < len(argv):
        word = option_word(argv[index])
        left = len(argv) - index - 1
        if word == b"ASC":
            request.is_desc = False
        elif word == b"DESC":
            request.is_desc = True
        elif word == b"ALPHA":
            request.is_alpha = True
        elif word == b"LIMIT" and left >= 2:
            request.offset = parse_int(argv[index + 1])
            request.count = parse_int(argv[index + 2])
            index += 2
        elif not is_readonly and word == b"STORE" and left >= 1:
            request.store = argv[index + 1]
            index += 1
        elif word == b"BY" and left >= 1:
            request.by = argv[index + 1]
            nul = request.by.find(b"\0")
            request.is_sorted = b"*" in (request.by if nul < 0 else request.by[:nul])
            index += 1
        elif word == b"GET" and left >= 1:
            request.get_patterns.append(argv[index + 1])
            index += 1
        else:
            raise CommandError(errors.SYNTAX)
        index += 1
    return request


def _elements(value: Any) -> list[bytes]:
    kind = value_kind(value)
    if kind == "zset":
        return [member for _, member in value.order]
    if kind == "set" and hasattr(value, "ordered"):
        return list(value.ordered())  # an intset's members come in value order in Redis
    return list(value)


def sorted_elements(ctx: CommandContext, value: Any, request: SortRequest) -> list[bytes]:
    """The elements in SORT's output order, LIMIT applied."""
    kind = value_kind(value) if value is not None else "list"
    elements = [] if value is None else _elements(value)
    size = len(elements)
    start = max(request.offset, 0)
    end = size - 1 if request.count < 0 else start + request.count - 1
    if start >= size:
        start, end = size - 1, size - 2
    end = min(end, size - 1)
    is_sorted = request.is_sorted
    is_alpha = request.is_alpha
    if not is_sorted and kind == "set" and request.store is not None:
        # An unsorted set would be stored (and replicated) in hash order: Redis sorts
        # it by its bytes instead.
        is_sorted, is_alpha, by = True, True, None
    else:
        by = request.by
    if not is_sorted:
        if kind in ("list", "zset") and request.is_desc:
            elements.reverse()
        return elements[start:end + 1] if end >= start else []
    if by is None and is_alpha:
        elements.sort(reverse=request.is_desc)
    elif is_alpha:
        weights = {element: lookup_by_pattern(ctx, by, element) for element in elements}
        # A missing weight sorts first; equal weights keep their order.
        elements.sort(key=lambda e: (weights[e] is not None, weights[e] or b""),
                      reverse=request.is_desc)
    else:
        scores: dict[bytes, float] = {}
        is_convertible = True
        for element in elements:
            text = element if by is None else lookup_by_pattern(ctx, by, element)
            weight = 0.0 if text is None else _sort_weight(text)
            if weight is None:
                # Redis still looks every weight up (keyspace hits) before it fails.
                is_convertible = False
                weight = 0.0
            scores[element] = weight
        if not is_convertible:
            raise CommandError(errors.SORT_NOT_DOUBLE)
        elements.sort(key=lambda e: (scores[e], e), reverse=request.is_desc)
    return elements[start:end + 1] if end >= start else []


def sort_generic(ctx: CommandContext, argv: list[bytes], is_readonly: bool) -> Any:
    request = parse_sort(argv, is_readonly)
    value = ctx.db.read(argv[1])
    if value is not None and value_kind(value) not in _SORTABLE:
        raise CommandError(errors.WRONGTYPE)
    if type(value) is SortedSet:
        # Redis turns a listpack sorted set into a skiplist before sorting it.
        value.is_listpack = False
    chosen = sorted_elements(ctx, value, request)
    if request.store is None:
        if not request.get_patterns:
            return chosen
        return [lookup_by_pattern(ctx, pattern, element)
                for element in chosen for pattern in request.get_patterns]
    if request.get_patterns:
        output = [lookup_by_pattern(ctx, pattern, element) or b""
                  for element in chosen for pattern in request.get_patterns]
    else:
        output = chosen
    keyspace = ctx.server.keyspace
    dirty_before = keyspace.dirty
    if output:
        ctx.db.set(request.store, QuickList(ctx.server.config["list-max-listpack-size"], output))
        keyspace.dirty = dirty_before + len(output)
    elif ctx.db.delete(request.store):
        keyspace.dirty = dirty_before + 1
    return len(output)


def sort_keys(argv: list[bytes]) -> list[tuple[bytes, tuple[str, ...]]]:
    """The keys of SORT with their flags (Redis's sortGetKeys): the key, read, and the
    last STORE's destination, overwritten, skipping the arguments of LIMIT, GET and BY."""
    keys = [(argv[1], ("RO", "access"))]
    store: bytes | None = None
    skips = {b"LIMIT": 2, b"GET": 1, b"BY": 1}
    index = 2
    while index < len(argv):
        word = option_word(argv[index])
        if word in skips:
            index += skips[word]
        elif word == b"STORE" and index + 1 < len(argv):
            store = argv[index + 1]
        index += 1
    return keys + ([(store, ("OW", "update"))] if store is not None else [])


# ------------------------------------------------------------------ Sort commands

_BY_GET_KEYS = KeySpec(
    unknown=True, flags=("RO", "access"),
    notes=("For the optional BY/GET keyword. It is marked 'unknown' because the key names "
           "derive from the content of the key we sort"))
_COMPLEXITY = (
    "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
    "number of returned elements. When the elements are not sorted, complexity is O(N).")
_SYNTAX = ("key:key [BY pattern:pattern#1] [LIMIT offset:integer count:integer] "
           "[GET pattern:pattern#1 [GET pattern ...]] [ASC | DESC]=order [ALPHA]=sorting")


@group.command(
    "SORT", -2, WRITE | DENYOOM,
    keys=(
        KeySpec(1, flags=("RO", "access")),
        _BY_GET_KEYS,
        KeySpec(unknown=True, flags=("OW", "update"),
                notes=("For the optional STORE keyword. It is marked 'unknown' because the "
                       "keyword can appear anywhere in the argument array")),
    ),
    get_keys=sort_keys,
    categories=("set", "sortedset", "list", "dangerous"),
    summary="Sort the elements in a list, set or sorted set",
    complexity=_COMPLEXITY,
    syntax=_SYNTAX + " [STORE destination:key#2]")
def sort_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]"""
    return sort_generic(ctx, argv, is_readonly=False)


@group.command(
    "SORT_RO", -2, READONLY,
    keys=(KeySpec(1, flags=("RO", "access")), _BY_GET_KEYS),
    categories=("set", "sortedset", "list", "dangerous"),
    summary="Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
    since="7.0.0",
    complexity=_COMPLEXITY,
    syntax=_SYNTAX)
def sort_ro_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]"""
    return sort_generic(ctx, argv, is_readonly=True)
