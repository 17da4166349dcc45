"""Uniform random members of a Python dict or set in amortised O(1).

A dict or set cannot be indexed, so drawing a random member would cost O(n). Redis
draws from its hash table's buckets in O(1) (dictGetFairRandomKey); SPOP, SRANDMEMBER
and HRANDFIELD promise that cost. A `RandomPicker` attached to a collection keeps a
list of its members to index instead.

Invariant: `entries` holds every member of the collection exactly once, plus members
removed since (stale entries), each listed in `removed`. The collection tells the
picker about its changes: `added` appends a new member (or revives its stale entry,
so that no member is ever listed twice and the draw stays uniform) and `discarded`
marks one stale. A draw that meets a stale entry drops it (swap with the last entry,
O(1)) and draws again; at most half of the entries are stale, because the owner
rebuilds the picker (`is_worn`) past that, so a draw takes fewer than two tries on
average and the rebuild's O(n) is paid for by the n/2 removals before it.

The list costs 8 bytes per member, and only collections that were asked for random
members carry one. Nothing here knows about commands.
"""

from __future__ import annotations

import random
from typing import Iterable

# int(random() * n) instead of randrange(n): a third of the cost on SPOP's path, and
# uniform to within 2**-53 for any collection that fits in memory.
_random = random.random


class RandomPicker:
    __slots__ = ("entries", "removed")

    def __init__(self, members: Iterable[bytes]) -> None:
        self.entries: list[bytes] = list(members)
        self.removed: set[bytes] = set()

    def added(self, member: bytes) -> None:
        removed = self.removed
        if removed and member in removed:
            removed.discard(member)  # its entry is still listed: it is live again
        else:
            self.entries.append(member)

    def discarded(self, member: bytes) -> None:
        self.removed.add(member)

    def is_worn(self, size: int) -> bool:
        """More stale entries than the draw cost bound allows: rebuild from the owner."""
        return len(self.removed) > size // 2 + 16

    def _draw_index(self) -> int:
        entries = self.entries
        removed = self.removed
        while True:
            index = int(_random() * len(entries))
            if not removed or entries[index] not in removed:
                return index
            removed.discard(entries[index])
            self._drop(index)

    def _drop(self, index: int) -> None:
        entries = self.entries
        last = entries.pop()
        if index < len(entries):
            entries[index] = last

    def pick(self) -> bytes:
        """A uniformly random live member; the collection must not be empty."""
        return self.entries[self._draw_index()]

    def take(self) -> bytes:
        """pick() and forget the member: the caller removes it from the collection
        without calling discarded()."""
        entries = self.entries
        index = int(_random() * len(entries)) if not self.removed else self._draw_index()
        member = entries[index]
        last = entries.pop()
        if index < len(entries):
            entries[index] = last
        return member


def picker_for(picker: RandomPicker | None, members: Iterable[bytes],
               size: int) -> RandomPicker:
    """`picker` if it is still fit for use, else a fresh one over `members`."""
    if picker is None or picker.is_worn(size):
        return RandomPicker(members)
    return picker
