"""List commands: pushes, pops (with count, LMPOP), LMOVE/RPOPLPUSH, ranges, LINDEX,
LSET, LINSERT, LREM, LTRIM, LLEN, LPOS.

List API first, then the commands, as in Redis's t_list.c. A list is a QuickList
(server/quicklist.py), created with the list-max-listpack-size in force at the time.
Replies and errors are Redis 7.0.15's; `server.dirty` grows by the number of elements
pushed, popped, removed or trimmed (one for LSET, LINSERT and a move), so a command
that changed nothing is not logged. Everything is logged as sent except LMPOP, which
Redis logs as `LPOP|RPOP key <count popped>`.

For the blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP), which live
elsewhere and call this API:
- `push_elements` is the only place a list key is created: the hook for waking clients
  blocked on that key belongs there (Redis signals readiness when the key is added).
- `pop_elements`, `pop_first_nonempty` and `move_element` do what LPOP/RPOP, LMPOP and
  LMOVE do to the data, deleting a source list they empty; they raise WRONGTYPE and set
  no propagation, so the caller declares what to log (Redis logs a served BLPOP as
  LPOP, a served BLMOVE as LMOVE, and so on).
"""

from __future__ import annotations

from typing import Any

from protocol.replies import NULL_ARRAY, OK, RawReply
from server import errors
from server.commands.args import LLONG_MIN, option_word, parse_int
from server.context import CommandContext
from server.errors import CommandError
from server.quicklist import QuickList
from server.registry import DENYOOM, FAST, READONLY, WRITE, CommandGroup, KeySpec

group = CommandGroup("list", category="list")

# ------------------------------------------------------------------ List API


def get_list(ctx: CommandContext, key: bytes, for_write: bool = False) -> QuickList | None:
    """The list at key, None when missing; WRONGTYPE for another type. A read lookup
    counts a keyspace hit or miss, a write lookup does not (as Redis's lookupKeyWrite)."""
    return ctx.db.get_typed(key, QuickList, for_write)  # type: ignore[no-any-return]


def push_elements(ctx: CommandContext, key: bytes, elements: list[bytes], to_left: bool,
                  only_if_exists: bool = False) -> int:
    """LPUSH/RPUSH (and the X forms with only_if_exists): the list's new length, 0 when
    only_if_exists found no list. Elements go in one by one, so LPUSH reverses them."""
    db = ctx.db
    dirty_before = ctx.server.keyspace.dirty
    quicklist = db.get_typed(key, QuickList, True)
    if quicklist is None:
        if only_if_exists:
            return 0
        quicklist = QuickList(ctx.server.config["list-max-listpack-size"])
        db.set(key, quicklist)
    push = quicklist.push_left if to_left else quicklist.push_right
    for element in elements:
        push(element)
    ctx.count_changes(dirty_before, len(elements))
    return len(quicklist)


def _delete_if_empty(ctx: CommandContext, key: bytes, quicklist: QuickList) -> None:
    if not len(quicklist):
        ctx.db.delete(key)


def pop_elements(ctx: CommandContext, key: bytes, from_left: bool,
                 count: int) -> list[bytes] | None:
    """Up to `count` elements popped from one end, in pop order; None without a list.
    The key is deleted when it empties."""
    quicklist = get_list(ctx, key, for_write=True)
    if quicklist is None:
        return None
    dirty_before = ctx.server.keyspace.dirty
    count = min(count, len(quicklist))
    pop = quicklist.pop_left if from_left else quicklist.pop_right
    popped = [pop() for _ in range(count)]
    _delete_if_empty(ctx, key, quicklist)
    ctx.count_changes(dirty_before, count)
    return popped


def pop_one(ctx: CommandContext, key: bytes, from_left: bool) -> bytes | None:
    """pop_elements of one element, without its list: LPOP/RPOP's usual form, with
    _delete_if_empty and count_changes inlined (the two calls cost LPOP 6%)."""
    db = ctx.db
    quicklist = db.get_typed(key, QuickList, True)
    if quicklist is None:
        return None
    keyspace = ctx.server.keyspace
    dirty_before = keyspace.dirty
    value = quicklist.pop_left() if from_left else quicklist.pop_right()
    if not quicklist.length:
        db.delete(key)
    keyspace.dirty = dirty_before + 1
    return value


def pop_first_nonempty(ctx: CommandContext, keys: list[bytes], from_left: bool,
                       count: int) -> tuple[bytes, list[bytes]] | None:
    """LMPOP's work: (key, elements) from the first key holding a list, or None. A key of
    another type met before that is WRONGTYPE, as in Redis."""
    for key in keys:
        popped = pop_elements(ctx, key, from_left, count)
        if popped is not None:
            return key, popped
    return None


def move_element(ctx: CommandContext, source: bytes, destination: bytes, from_left: bool,
                 to_left: bool) -> bytes | None:
    """LMOVE: pop from source, push onto destination; None when source has no list.
    Both keys are type-checked before anything moves. The destination gets the element
    before an emptied source is deleted, so moving a list's last element onto itself
    keeps it."""
    db = ctx.db
    quicklist = get_list(ctx, source, for_write=True)
    if quicklist is None:
        return None
    target = get_list(ctx, destination, for_write=True)
    dirty_before = ctx.server.keyspace.dirty
    value = quicklist.pop_left() if from_left else quicklist.pop_right()
    if target is None:
        target = QuickList(ctx.server.config["list-max-listpack-size"])
        db.set(destination, target)
    if to_left:
        target.push_left(value)
    else:
        target.push_right(value)
    _delete_if_empty(ctx, source, quicklist)
    ctx.count_changes(dirty_before, 1)
    return value


def parse_end(arg: bytes) -> bool:
    """LEFT or RIGHT (any case): True for LEFT."""
    word = option_word(arg)
    if word == b"LEFT":
        return True
    if word == b"RIGHT":
        return False
    raise CommandError(errors.SYNTAX)


def parse_pop_count(arg: bytes) -> int:
    """LPOP/RPOP's count: Redis gives the same text for a non-number as for a negative."""
    count = parse_int(arg, errors.NOT_POSITIVE)
    if count < 0:
        raise CommandError(errors.NOT_POSITIVE)
    return count


def normalized_range(start: int, stop: int, length: int) -> tuple[int, int] | None:
    """LRANGE's and LTRIM's reading of start and stop: negative counts from the end,
    clamped to the list; None when the range holds nothing."""
    if start < 0:
        start += length
    if stop < 0:
        stop += length
    start = max(start, 0)
    if start > stop or start >= length:
        return None
    return start, min(stop, length - 1)


def pop_generic(ctx: CommandContext, argv: list[bytes], from_left: bool) -> Any:
    """LPOP and RPOP: one element (bulk or null) without a count, an array (null array
    when the key is missing) with one."""
    if len(argv) > 3:
        raise CommandError(errors.wrong_arity(argv[0].decode("utf-8", "replace").lower()))
    if len(argv) == 2:
        return pop_one(ctx, argv[1], from_left)
    count = parse_pop_count(argv[2])
    popped = pop_elements(ctx, argv[1], from_left, count)
    return NULL_ARRAY if popped is None else popped


# ------------------------------------------------------------------ List commands

_PUSH_COMPLEXITY = ("O(1) for each element added, so O(N) to add N elements when the "
                    "command is called with multiple arguments.")
_PUSH_KEYS = KeySpec(1, flags=("RW", "insert"))
_POP_KEYS = KeySpec(1, flags=("RW", "access", "delete"))
_MOVE_KEYS = (KeySpec(1, flags=("RW", "access", "delete")), KeySpec(2, flags=("RW", "insert")))
_POP_HISTORY = (("6.2.0", "Added the `count` argument."),)


@group.command("LPUSH", -3, WRITE | DENYOOM | FAST, keys=_PUSH_KEYS,
               summary="Prepend one or multiple elements to a list",
               complexity=_PUSH_COMPLEXITY,
               history=(("2.4.0", "Accepts multiple `element` arguments."),),
               syntax="key:key element [element ...]")
def lpush_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """LPUSH key element [element ...]"""
    return push_elements(ctx, argv[1], argv[2:], to_left=True)


@group.command("RPUSH", -3, WRITE | DENYOOM | FAST, keys=_PUSH_KEYS,
               summary="Append one or multiple elements to a list",
               complexity=_PUSH_COMPLEXITY,
               history=(("2.4.0", "Accepts multiple `element` arguments."),),
               syntax="key:key element [element ...]")
def rpush_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """RPUSH key element [element ...]"""
    return push_elements(ctx, argv[1], argv[2:], to_left=False)


@group.command("LPUSHX", -3, WRITE | DENYOOM | FAST, keys=_PUSH_KEYS,
               summary="Prepend an element to a list, only if the list exists", since="2.2.0",
               complexity=_PUSH_COMPLEXITY,
               history=(("4.0.0", "Accepts multiple `element` arguments."),),
               syntax="key:key element [element ...]")
def lpushx_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """LPUSHX key element [element ...]"""
    return push_elements(ctx, argv[1], argv[2:], to_left=True, only_if_exists=True)


@group.command("RPUSHX", -3, WRITE | DENYOOM | FAST, keys=_PUSH_KEYS,
               summary="Append an element to a list, only if the list exists", since="2.2.0",
               complexity=_PUSH_COMPLEXITY,
               history=(("4.0.0", "Accepts multiple `element` arguments."),),
               syntax="key:key element [element ...]")
def rpushx_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """RPUSHX key element [element ...]"""
    return push_elements(ctx, argv[1], argv[2:], to_left=False, only_if_exists=True)


@group.command("LPOP", -2, WRITE | FAST, keys=_POP_KEYS,
               summary="Remove and get the first elements in a list",
               complexity="O(N) where N is the number of elements returned",
               history=_POP_HISTORY, syntax="key:key [count:integer@6.2.0]")
def lpop_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """LPOP key [count]"""
    return pop_generic(ctx, argv, from_left=True)


@group.command("RPOP", -2, WRITE | FAST, keys=_POP_KEYS,
               summary="Remove and get the last elements in a list",
               complexity="O(N) where N is the number of elements returned",
               history=_POP_HISTORY, syntax="key:key [count:integer@6.2.0]")
def rpop_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """RPOP key [count]"""
    return pop_generic(ctx, argv, from_left=False)


def parse_lmpop(argv: list[bytes], numkeys_index: int) -> tuple[list[bytes], bool, int]:
    """LMPOP's (and BLMPOP's) numkeys key... LEFT|RIGHT [COUNT count] from
    argv[numkeys_index:]: (keys, from_left, count)."""
    numkeys = parse_int(argv[numkeys_index], errors.NUMKEYS_NOT_POSITIVE)
    if numkeys <= 0:
        raise CommandError(errors.NUMKEYS_NOT_POSITIVE)
    where_index = numkeys_index + 1 + numkeys
    if where_index >= len(argv):
        raise CommandError(errors.SYNTAX)
    from_left = parse_end(argv[where_index])
    count = 0
    index = where_index + 1
    while index < len(argv):
        if option_word(argv[index]) == b"COUNT" and index + 1 < len(argv) and not count:
            count = parse_int(argv[index + 1], errors.COUNT_NOT_POSITIVE)
            if count <= 0:
                raise CommandError(errors.COUNT_NOT_POSITIVE)
            index += 2
        else:
            raise CommandError(errors.SYNTAX)
    return argv[numkeys_index + 1 : where_index], from_left, count or 1


@group.command("LMPOP", -4, WRITE, keys=KeySpec(1, keynum=(0, 1), flags=("RW", "access", "delete")),
               summary="Pop elements from a list", since="7.0.0",
               complexity=("O(N+M) where N is the number of provided keys and M is the number "
                           "of elements returned."),
               syntax="numkeys:integer key:key [key ...] <LEFT | RIGHT>=where [COUNT count:integer]")
def lmpop_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count]"""
    keys, from_left, count = parse_lmpop(argv, 1)
    found = pop_first_nonempty(ctx, keys, from_left, count)
    if found is None:
        return NULL_ARRAY
    key, popped = found
    ctx.propagate_as(b"LPOP" if from_left else b"RPOP", key, b"%d" % len(popped))
    return [key, popped]


@group.command("LMOVE", 5, WRITE | DENYOOM, keys=_MOVE_KEYS,
               summary="Pop an element from a list, push it to another list and return it",
               since="6.2.0", complexity="O(1)",
               syntax=("source:key destination:key <LEFT | RIGHT>=wherefrom "
                       "<LEFT | RIGHT>=whereto"))
def lmove_command(ctx: CommandContext, argv: list[bytes]) -> bytes | None:
    """LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT>"""
    from_left = parse_end(argv[3])
    to_left = parse_end(argv[4])
    return move_element(ctx, argv[1], argv[2], from_left, to_left)


@group.command("RPOPLPUSH", 3, WRITE | DENYOOM, keys=_MOVE_KEYS,
               summary="Remove the last element in a list, prepend it to another list and "
                       "return it", since="1.2.0", complexity="O(1)",
               doc_flags=("deprecated",), deprecated_since="6.2.0",
               replaced_by="`LMOVE` with the `RIGHT` and `LEFT` arguments",
               syntax="source:key destination:key")
def rpoplpush_command(ctx: CommandContext, argv: list[bytes]) -> bytes | None:
    """RPOPLPUSH source destination"""
    return move_element(ctx, argv[1], argv[2], from_left=False, to_left=True)


@group.command("LLEN", 2, READONLY | FAST, keys=KeySpec(1, flags=("RO",)),
               summary="Get the length of a list", complexity="O(1)", syntax="key:key")
def llen_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """LLEN key"""
    quicklist = get_list(ctx, argv[1])
    return 0 if quicklist is None else len(quicklist)


@group.command("LRANGE", 4, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Get a range of elements from a list",
               complexity=("O(S+N) where S is the distance of start offset from HEAD for small "
                           "lists, from nearest end (HEAD or TAIL) for large lists; and N is "
                           "the number of elements in the specified range."),
               syntax="key:key start:integer stop:integer")
def lrange_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """LRANGE key start stop"""
    start = parse_int(argv[2])
    stop = parse_int(argv[3])
    quicklist = get_list(ctx, argv[1])
    if quicklist is None:
        return []
    bounds = normalized_range(start, stop, len(quicklist))
    if bounds is None:
        return []
    # The list keeps its elements RESP-framed: the reply is their bytes as stored.
    first, last = bounds
    return RawReply(b"*%d\r\n%b" % (last - first + 1, quicklist.range_encoded(first, last)))


@group.command("LINDEX", 3, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Get an element from a list by its index",
               complexity=("O(N) where N is the number of elements to traverse to get to the "
                           "element at index. This makes asking for the first or the last "
                           "element of the list O(1)."),
               syntax="key:key index:integer")
def lindex_command(ctx: CommandContext, argv: list[bytes]) -> bytes | None:
    """LINDEX key index"""
    quicklist = get_list(ctx, argv[1])
    if quicklist is None:
        return None
    index = parse_int(argv[2])
    if index < 0:
        index += len(quicklist)
    if not 0 <= index < len(quicklist):
        return None
    return quicklist.get(index)


@group.command("LSET", 4, WRITE | DENYOOM, keys=KeySpec(1, flags=("RW", "update")),
               summary="Set the value of an element in a list by its index",
               complexity=("O(N) where N is the length of the list. Setting either the first "
                           "or the last element of the list is O(1)."),
               syntax="key:key index:integer element")
def lset_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """LSET key index element"""
    quicklist = get_list(ctx, argv[1], for_write=True)
    if quicklist is None:
        raise CommandError(errors.NO_SUCH_KEY)
    index = parse_int(argv[2])
    if index < 0:
        index += len(quicklist)
    if not 0 <= index < len(quicklist):
        raise CommandError(errors.INDEX_OUT_OF_RANGE)
    quicklist.set(index, argv[3])
    ctx.server.keyspace.dirty += 1
    return OK


@group.command("LINSERT", 5, WRITE | DENYOOM, keys=KeySpec(1, flags=("RW", "insert")),
               summary="Insert an element before or after another element in a list",
               since="2.2.0",
               complexity=("O(N) where N is the number of elements to traverse before seeing "
                           "the value pivot. This means that inserting somewhere on the left "
                           "end on the list (head) can be considered O(1) and inserting "
                           "somewhere on the right end (tail) is O(N)."),
               syntax="key:key <BEFORE | AFTER>=where pivot element")
def linsert_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """LINSERT key <BEFORE | AFTER> pivot element"""
    where = option_word(argv[2])
    if where not in (b"BEFORE", b"AFTER"):
        raise CommandError(errors.SYNTAX)
    quicklist = get_list(ctx, argv[1], for_write=True)
    if quicklist is None:
        return 0
    index = next(quicklist.find(argv[3]), None)
    if index is None:
        return -1
    quicklist.insert(index + (where == b"AFTER"), argv[4])
    ctx.server.keyspace.dirty += 1
    return len(quicklist)


@group.command("LREM", 4, WRITE, keys=KeySpec(1, flags=("RW", "delete")),
               summary="Remove elements from a list",
               complexity="O(N+M) where N is the length of the list and M is the number of "
                          "elements removed.",
               syntax="key:key count:integer element")
def lrem_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """LREM key count element"""
    count = parse_int(argv[2])
    quicklist = get_list(ctx, argv[1], for_write=True)
    if quicklist is None:
        return 0
    dirty_before = ctx.server.keyspace.dirty
    removed = quicklist.remove(argv[3], count)
    _delete_if_empty(ctx, argv[1], quicklist)
    ctx.count_changes(dirty_before, removed)
    return removed


@group.command("LTRIM", 4, WRITE, keys=KeySpec(1, flags=("RW", "delete")),
               summary="Trim a list to the specified range",
               complexity="O(N) where N is the number of elements to be removed by the "
                          "operation.",
               syntax="key:key start:integer stop:integer")
def ltrim_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """LTRIM key start stop"""
    start = parse_int(argv[2])
    stop = parse_int(argv[3])
    quicklist = get_list(ctx, argv[1], for_write=True)
    if quicklist is None:
        return OK
    length = len(quicklist)
    bounds = normalized_range(start, stop, length)
    if bounds is None:
        left, right = length, 0
    else:
        left, right = bounds[0], length - bounds[1] - 1
    dirty_before = ctx.server.keyspace.dirty
    quicklist.remove_left(left)
    quicklist.remove_right(right)
    _delete_if_empty(ctx, argv[1], quicklist)
    ctx.count_changes(dirty_before, left + right)
    return OK


@group.command("LPOS", -3, READONLY, keys=KeySpec(1, flags=("RO", "access")),
               summary="Return the index of matching elements on a list", since="6.0.6",
               complexity=("O(N) where N is the number of elements in the list, for the "
                           "average case. When searching for elements near the head or the "
                           "tail of the list, or when the MAXLEN option is provided, the "
                           "command may run in constant time."),
               syntax=("key:key element [RANK rank:integer] [COUNT num-matches:integer] "
                       "[MAXLEN len:integer]"))
def lpos_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]

    RANK -9223372036854775808 cannot be negated in C; Redis then searches from the tail
    taking the first match, and so does this.
    """
    rank, count, maxlen = 1, None, 0
    index = 3
    while index < len(argv):
        word = option_word(argv[index])
        if index + 1 >= len(argv) or word not in (b"RANK", b"COUNT", b"MAXLEN"):
            raise CommandError(errors.SYNTAX)
        value = parse_int(argv[index + 1])
        if word == b"RANK":
            if value == 0:
                raise CommandError(errors.RANK_ZERO)
            rank = value
        elif word == b"COUNT":
            if value < 0:
                raise CommandError(errors.COUNT_NEGATIVE)
            count = value
        else:
            if value < 0:
                raise CommandError(errors.MAXLEN_NEGATIVE)
            maxlen = value
        index += 2
    quicklist = get_list(ctx, argv[1])
    if quicklist is None:
        return [] if count is not None else None
    from_left = rank > 0
    skip = 0 if rank == LLONG_MIN else abs(rank) - 1
    matches: list[int] = []
    for position in quicklist.find(argv[2], from_left, within=maxlen):
        if skip:
            skip -= 1
            continue
        matches.append(position)
        if count is None or len(matches) == count:
            break
    if count is None:
        return matches[0] if matches else None
    return matches
