"""The hash value: a dict of field → value, both bytes.

A `Hash` is a dict subclass with two slots, so a field costs what a dict entry and its
two bytes objects cost, and reads (HGET, HMGET, HGETALL) are plain dict operations.
Changes that add or remove fields go through `set_field`, `delete_field` and
`pop_random_field` so that the random picker (server/sampling.py), when there is one,
stays in step.

`is_listpack` is what OBJECT ENCODING reports. Redis 7.0 keeps a small hash in a
listpack and converts it to a hash table once it holds more than
hash-max-listpack-entries fields or is given a field or value longer than
hash-max-listpack-value bytes, and never converts back (a hash emptied and created
again starts as a listpack). There is one representation here; the flag only
reproduces Redis's choice. A listpack keeps its fields in insertion order, as a dict
does, so HGETALL, HKEYS and HSCAN answer a small hash in Redis's own order.

Nothing here knows about commands or configuration: the limits are passed in.
"""

from __future__ import annotations

from server.sampling import RandomPicker, picker_for


class Hash(dict):  # type: ignore[type-arg]
    __slots__ = ("is_listpack", "picker")
    redis_type = "hash"

    def __init__(self) -> None:
        super().__init__()
        self.is_listpack = True
        self.picker: RandomPicker | None = None

    def encoding(self) -> str:
        return "listpack" if self.is_listpack else "hashtable"

    def copy(self) -> "Hash":
        """An independent copy with the same encoding (COPY); values are immutable."""
        duplicate = Hash()
        duplicate.update(self)
        duplicate.is_listpack = self.is_listpack
        return duplicate

    def fits_listpack(self, max_entries: int, max_value: int) -> bool:
        """Whether this hash's contents fit a listpack under these limits."""
        return len(self) <= max_entries and all(
            len(field) <= max_value and len(value) <= max_value
            for field, value in self.items())

    def set_field(self, field: bytes, value: bytes, max_entries: int, max_value: int) -> bool:
        """Set field to value; True when the field is new. Past the limits the hash
        becomes a hash table, as hashTypeSet converts it."""
        size = len(self)
        self[field] = value
        is_new = len(self) != size
        if is_new and self.picker is not None:
            self.picker.added(field)
        if self.is_listpack and (
            len(value) > max_value or len(field) > max_value or len(self) > max_entries
        ):
            self.is_listpack = False
        return is_new

    def delete_field(self, field: bytes) -> bool:
        if self.pop(field, None) is None:
            return False
        if self.picker is not None:
            self.picker.discarded(field)
        return True

    def random_field(self) -> bytes:
        """A uniformly random field, in amortised O(1); the hash must not be empty."""
        self.picker = picker_for(self.picker, self, len(self))
        return self.picker.pick()
