"""The set value: a Python set of bytes members.

A `Set` is a set subclass with two slots, so a member costs a set slot and its bytes
object, and membership tests are plain set operations. Changes go through
`add_member`, `remove_member` and `pop_random` so that the random picker
(server/sampling.py), when there is one, stays in step.

`is_intset` is what OBJECT ENCODING reports, by Redis 7.0's rules (7.0 has no set
listpack): a set is born an intset, and becomes a hash table once it is given a member
that is not a canonical 64-bit integer (string2ll) or holds more than
set-max-intset-entries members; it never converts back, except where a command builds
a new set (the STORE commands, SPOP's rebuild of what remains). An intset is sorted,
so `ordered()` lists an intset's members by value, the order Redis replies in; a hash
table's order is unspecified, in Redis as here.

Nothing here knows about commands or configuration: the limit is passed in.
"""

from __future__ import annotations

from typing import Iterable

from protocol.resp import parse_strict_int
from server.sampling import RandomPicker, picker_for


def is_intset_member(member: bytes) -> bool:
    return parse_strict_int(member) is not None


class Set(set):  # type: ignore[type-arg]
    __slots__ = ("is_intset", "picker")
    redis_type = "set"

    def __init__(self, members: Iterable[bytes] = (), max_intset_entries: int = 512) -> None:
        super().__init__(members)
        self.picker: RandomPicker | None = None
        self.is_intset = True
        if self:
            self.is_intset = self.fits_intset(max_intset_entries)

    def encoding(self) -> str:
        return "intset" if self.is_intset else "hashtable"

    def copy(self) -> "Set":
        """An independent copy with the same encoding (COPY); members are immutable."""
        duplicate = Set(self)
        duplicate.is_intset = self.is_intset
        return duplicate

    def fits_intset(self, max_entries: int) -> bool:
        return len(self) <= max_entries and all(map(is_intset_member, self))

    def ordered(self) -> list[bytes]:
        """The members in the order Redis lists them: by value for an intset."""
        if self.is_intset:
            return sorted(self, key=int)
        return list(self)

    def add_member(self, member: bytes, max_intset_entries: int) -> bool:
        """Add member; True when it was not there yet."""
        size = len(self)
        self.add(member)
        if len(self) == size:
            return False
        if self.picker is not None:
            self.picker.added(member)
        if self.is_intset and (size >= max_intset_entries or not is_intset_member(member)):
            self.is_intset = False
        return True

    def remove_member(self, member: bytes) -> bool:
        if member not in self:
            return False
        self.remove(member)
        if self.picker is not None:
            self.picker.discarded(member)
        return True

    def random_member(self) -> bytes:
        """A uniformly random member, in amortised O(1); the set must not be empty."""
        self.picker = picker_for(self.picker, self, len(self))
        return self.picker.pick()

    def pop_random(self) -> bytes:
        """Remove and return a uniformly random member; the set must not be empty."""
        picker = self.picker
        if picker is None or picker.removed:
            picker = self.picker = picker_for(picker, self, len(self))
        member = picker.take()
        self.remove(member)
        return member
