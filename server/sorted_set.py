"""The sorted set value: member → score, plus the members in (score, member) order.

Two structures, as Redis's skiplist encoding keeps a dict next to its skiplist:
- `scores`, a dict, answers ZSCORE and membership in O(1);
- `order`, a `RankedList` of (score, member) tuples, answers rank and range questions.
The score object in the dict and in the tuple is the same float, so it is stored once.
Order is Redis's: by score, then by member bytes (memcmp), -0.0 equal to 0.0.

`RankedList` is a sorted list of blocks (sortedcontainers' design): each block is a
Python list of at most 2*LOAD items, `maxes` holds each block's last item for bisect,
and a Fenwick tree over the block lengths turns a global rank into (block, offset) and
back in O(log blocks). Inserting costs a bisect plus a memmove inside one block, which
is C-speed; the Fenwick tree is rebuilt in O(blocks) only when blocks split, merge or
vanish, which amortises to O(1) per change. The ends cost O(1), as in a skiplist, for
ZPOPMIN/ZPOPMAX and appends: a rank in the first or last block needs no tree, and the
first block's changes are kept in `front_delta` instead of the tree (a Fenwick update
at index 0 walks log(blocks) entries; one at the last index walks one).

`is_listpack` is what OBJECT ENCODING reports: Redis keeps small sets in a listpack
and converts them to a skiplist past zset-max-listpack-entries/value, never back (the
STORE commands build a new set and choose again). There is one representation here;
the flag only reproduces Redis's choice. Nothing here knows about commands.
"""

from __future__ import annotations

import itertools
import sys
from bisect import bisect_left, bisect_right, insort
from typing import Iterator

Item = tuple[float, bytes]

LOAD = 512

_TUPLE_BYTES = sys.getsizeof((0.0, b""))
_FLOAT_BYTES = sys.getsizeof(0.0)


class RankedList:
    """A sorted list of (score, member) with O(log n) rank lookups (see module doc)."""

    __slots__ = ("blocks", "maxes", "tree", "is_tree_valid", "front_delta", "size")

    def __init__(self, items: list[Item] | None = None) -> None:
        self.blocks: list[list[Item]] = []
        self.maxes: list[Item] = []
        self.tree: list[int] = []
        self.is_tree_valid = False
        # The first block's length minus what the tree records for it.
        self.front_delta = 0
        self.size = 0
        if items:
            self._build(sorted(items))

    def _build(self, ordered: list[Item]) -> None:
        self.blocks = [ordered[i:i + LOAD] for i in range(0, len(ordered), LOAD)]
        self.maxes = [block[-1] for block in self.blocks]
        self.size = len(ordered)
        self.is_tree_valid = False

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[Item]:
        for block in self.blocks:
            yield from block

    def __reversed__(self) -> Iterator[Item]:
        for block in reversed(self.blocks):
            yield from reversed(block)

    # ------------------------------------------------------------ Fenwick tree

    def _rebuild_tree(self) -> None:
        tree = [len(block) for block in self.blocks]
        count = len(tree)
        for i in range(count):
            parent = i | (i + 1)
            if parent < count:
                tree[parent] += tree[i]
        self.tree = tree
        self.is_tree_valid = True
        self.front_delta = 0

    def _tree_add(self, block_index: int, delta: int) -> None:
        if not self.is_tree_valid:
            return
        if block_index == 0:
            self.front_delta += delta
            return
        tree = self.tree
        count = len(tree)
        while block_index < count:
            tree[block_index] += delta
            block_index |= block_index + 1

    def _items_before(self, block_index: int) -> int:
        """How many items the blocks before block_index hold."""
        if block_index == 0:
            return 0
        if not self.is_tree_valid:
            self._rebuild_tree()
        tree = self.tree
        total = self.front_delta
        index = block_index - 1
        while index >= 0:
            total += tree[index]
            index = (index & (index + 1)) - 1
        return total

    def _locate(self, rank: int) -> tuple[int, int]:
        """(block index, offset) of the item at 0 <= rank < size."""
        blocks = self.blocks
        first = len(blocks[0])
        if rank < first:
            return 0, rank
        before_last = self.size - len(blocks[-1])
        if rank >= before_last:
            return len(blocks) - 1, rank - before_last
        if not self.is_tree_valid:
            self._rebuild_tree()
        tree = self.tree
        rank -= self.front_delta  # the rank as the tree counts the first block
        position = -1
        step = 1 << (len(tree).bit_length())
        while step:
            probe = position + step
            if probe < len(tree) and tree[probe] <= rank:
                position = probe
                rank -= tree[probe]
            step >>= 1
        return position + 1, rank

    # ------------------------------------------------------------ changes

    def add(self, item: Item) -> None:
        maxes = self.maxes
        self.size += 1
        if not maxes:
            self.blocks.append([item])
            maxes.append(item)
            self.is_tree_valid = False
            return
        index = bisect_right(maxes, item)
        if index == len(maxes):
            index -= 1
            self.blocks[index].append(item)
            maxes[index] = item
        else:
            insort(self.blocks[index], item)
        block = self.blocks[index]
        if len(block) > 2 * LOAD:
            self.blocks.insert(index + 1, block[LOAD:])
            del block[LOAD:]
            maxes[index] = block[-1]
            maxes.insert(index + 1, self.blocks[index + 1][-1])
            self.is_tree_valid = False
        else:
            self._tree_add(index, 1)

    def remove(self, item: Item) -> None:
        """Remove an item known to be present."""
        index = bisect_left(self.maxes, item)
        block = self.blocks[index]
        offset = bisect_left(block, item)
        del block[offset]
        self.size -= 1
        self._after_shrink(index, 1)

    def pop_end(self, from_end: bool) -> Item:
        """Remove and return the first item (or the last, from_end); not empty."""
        blocks = self.blocks
        index = len(blocks) - 1 if from_end else 0
        block = blocks[index]
        item = block.pop() if from_end else block.pop(0)
        self.size -= 1
        self._after_shrink(index, 1)
        return item

    def _after_shrink(self, index: int, removed: int) -> None:
        block = self.blocks[index]
        if not block:
            del self.blocks[index]
            del self.maxes[index]
            self.is_tree_valid = False
            return
        self.maxes[index] = block[-1]
        if len(block) < LOAD // 4 and len(self.blocks) > 1:
            self._merge_small(index)
            return
        self._tree_add(index, -removed)

    def _merge_small(self, index: int) -> None:
        """Merge a short block into a neighbour, so that blocks stay few."""
        if len(self.blocks) > 1:
            other = index + 1 if index + 1 < len(self.blocks) else index - 1
            low, high = min(index, other), max(index, other)
            self.blocks[low].extend(self.blocks[high])
            del self.blocks[high]
            del self.maxes[high]
            self.maxes[low] = self.blocks[low][-1]
            self.is_tree_valid = False
            if len(self.blocks[low]) > 2 * LOAD:
                merged = self.blocks[low]
                self.blocks.insert(low + 1, merged[LOAD:])
                del merged[LOAD:]
                self.maxes[low] = merged[-1]
                self.maxes.insert(low + 1, self.blocks[low + 1][-1])

    def delete_ranks(self, start: int, stop: int) -> list[Item]:
        """Remove and return the items of ranks start <= rank < stop, in order:
        O(log n + removed + blocks) by slicing whole blocks."""
        if start >= stop:
            return []
        removed: list[Item] = []
        block_index, offset = self._locate(start)
        left = stop - start
        blocks, maxes = self.blocks, self.maxes
        while left > 0:
            block = blocks[block_index]
            taken = block[offset:offset + left]
            removed.extend(taken)
            del block[offset:offset + left]
            left -= len(taken)
            if block:
                maxes[block_index] = block[-1]
                self._tree_add(block_index, -len(taken))
                block_index += 1
            else:
                del blocks[block_index]
                del maxes[block_index]
                self.is_tree_valid = False
            offset = 0
        self.size -= len(removed)
        # At most the two blocks at the cut's ends were left short: merge them away.
        for index in (block_index, block_index - 1):
            if 0 <= index < len(blocks) and len(blocks[index]) < LOAD // 4:
                self._merge_small(index)
        return removed

    # ------------------------------------------------------------ queries

    def rank(self, item: Item) -> int:
        """The rank of an item known to be present."""
        index = bisect_left(self.maxes, item)
        return self._items_before(index) + bisect_left(self.blocks[index], item)

    def bisect_left(self, item: Item) -> int:
        """How many items are < item."""
        index = bisect_left(self.maxes, item)
        if index == len(self.maxes):
            return self.size
        return self._items_before(index) + bisect_left(self.blocks[index], item)

    def bisect_right(self, item: Item) -> int:
        """How many items are <= item."""
        index = bisect_right(self.maxes, item)
        if index == len(self.maxes):
            return self.size
        return self._items_before(index) + bisect_right(self.blocks[index], item)

    def __getitem__(self, rank: int) -> Item:
        if rank < 0:
            rank += self.size
        if not 0 <= rank < self.size:
            raise IndexError(rank)
        block_index, offset = self._locate(rank)
        return self.blocks[block_index][offset]

    def walk(self, start: int, is_reverse: bool = False) -> Iterator[Item]:
        """Items from rank `start` towards the end (or, reversed, towards rank 0)."""
        if not 0 <= start < self.size:
            return
        block_index, offset = self._locate(start)
        blocks = self.blocks
        if not is_reverse:
            yield from blocks[block_index][offset:]
            for index in range(block_index + 1, len(blocks)):
                yield from blocks[index]
        else:
            yield from reversed(blocks[block_index][:offset + 1])
            for index in range(block_index - 1, -1, -1):
                yield from reversed(blocks[index])

    def slice(self, start: int, stop: int) -> list[Item]:
        """Items of ranks start <= rank < stop (clamped), in order."""
        start = max(start, 0)
        stop = min(stop, self.size)
        if start >= stop:
            return []
        found: list[Item] = []
        left = stop - start
        block_index, offset = self._locate(start)
        blocks = self.blocks
        while left > 0:
            part = blocks[block_index][offset:offset + left]
            found.extend(part)
            left -= len(part)
            block_index += 1
            offset = 0
        return found


class SortedSet:
    """A Redis sorted set (see the module docstring)."""

    redis_type = "zset"
    __slots__ = ("scores", "order", "is_listpack")

    def __init__(self, is_listpack: bool = True) -> None:
        self.scores: dict[bytes, float] = {}
        self.order = RankedList()
        self.is_listpack = is_listpack

    @classmethod
    def from_items(cls, items: list[tuple[bytes, float]], is_listpack: bool) -> "SortedSet":
        """A set from distinct (member, score) pairs, built in O(n log n)."""
        zset = cls(is_listpack)
        zset.scores = dict(items)
        zset.order = RankedList([(score, member) for member, score in items])
        return zset

    def __len__(self) -> int:
        return len(self.scores)

    def encoding(self) -> str:
        return "listpack" if self.is_listpack else "skiplist"

    def __sizeof__(self) -> int:
        """Memory held, for MEMORY USAGE: the dict, the blocks and per member its
        (score, member) tuple, float and bytes (the members' sizes sampled from the first
        64, as Redis samples nested values)."""
        size = object.__sizeof__(self) + sys.getsizeof(self.scores)
        blocks = self.order.blocks
        size += sys.getsizeof(blocks) + sum(sys.getsizeof(block) for block in blocks)
        count = len(self.scores)
        if count:
            sampled = [sys.getsizeof(member) for member in itertools.islice(self.scores, 64)]
            per_member = sum(sampled) / len(sampled)
            size += int(count * (per_member + _TUPLE_BYTES + _FLOAT_BYTES))
        return size

    def copy(self) -> "SortedSet":
        duplicate = SortedSet(self.is_listpack)
        duplicate.scores = dict(self.scores)
        duplicate.order = RankedList()
        duplicate.order._build(list(self.order))
        return duplicate

    def score(self, member: bytes) -> float | None:
        return self.scores.get(member)

    def set_score(self, member: bytes, score: float) -> bool:
        """Insert member or move it to score; True when it is new."""
        old = self.scores.get(member)
        if old is None:
            self.scores[member] = score
            self.order.add((score, member))
            return True
        # -0.0 == 0.0: as in Redis, such a change is no change.
        if old != score:
            self.order.remove((old, member))
            self.scores[member] = score
            self.order.add((score, member))
        return False

    def remove(self, member: bytes) -> bool:
        old = self.scores.pop(member, None)
        if old is None:
            return False
        self.order.remove((old, member))
        return True

    def rank(self, member: bytes) -> int | None:
        """0-based rank in ascending order, None for a non-member."""
        score = self.scores.get(member)
        if score is None:
            return None
        return self.order.rank((score, member))

    def items(self) -> Iterator[tuple[bytes, float]]:
        """(member, score) in ascending order."""
        for score, member in self.order:
            yield member, score

    def pop(self, count: int, from_max: bool) -> list[Item]:
        """Remove up to count lowest (or highest) items; (score, member), pop order."""
        size = len(self.order)
        if count == 1 and size:
            item = self.order.pop_end(from_max)
            del self.scores[item[1]]
            return [item]
        count = min(count, size)
        if from_max:
            taken = self.order.delete_ranks(size - count, size)
            taken.reverse()
        else:
            taken = self.order.delete_ranks(0, count)
        scores = self.scores
        for _, member in taken:
            del scores[member]
        return taken

    def delete_ranks(self, start: int, stop: int) -> list[Item]:
        taken = self.order.delete_ranks(start, stop)
        scores = self.scores
        for _, member in taken:
            del scores[member]
        return taken
