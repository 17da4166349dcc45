"""The dataset's memory account: what maxmemory is checked against, and INFO reports.

Why an account and not a reading of the process: RSS never falls when keys are
deleted (pymalloc keeps its arenas, glibc its heap), so it cannot tell eviction when
to stop. glibc's mallinfo2() under PYTHONMALLOC=malloc does fall, but it walks every
free chunk (milliseconds on a fragmented heap, too slow before each command) and
PYTHONMALLOC=malloc makes every small object slower and larger. So the keyspace keeps
a running sum instead, told of every change (server/keyspace.py):

  key bytes = the key's share of the main and access-clock dicts (PER_KEY_BYTES)
            + the key object + the value, each rounded up to pymalloc's 16-byte blocks.

A bytes value is immutable, so its size is computed again when it goes. Values that
change in place (bytearray, lists, hashes, sets, sorted sets) are estimated as Redis's
MEMORY USAGE does, from up to SAMPLES elements scaled to the whole, and the figure
counted is kept in `Database.sizes` to be taken back later; storing or looking up one
marks it as possibly changed, and marked keys are estimated again before the account is
read (`settle`). Not counted: the expires dict (about 50 bytes per key with a TTL), client
buffers, the AOF buffer, and memory Python holds but no key uses (fragmentation).
used_memory = used_memory_startup (RSS once the server is up) + this dataset figure.

The account exists only while maxmemory is set (server/eviction.py attaches it, one
O(keys) pass): without a limit the keyspace pays nothing but one attribute test.
"""

from __future__ import annotations

import itertools
import sys
from typing import TYPE_CHECKING, Any, Callable

from server.hash_type import Hash
from server.quicklist import QuickList, _Node
from server.set_type import Set
from server.sorted_set import SortedSet

if TYPE_CHECKING:
    from server.keyspace import Database, Keyspace

_getsizeof = sys.getsizeof

# A compact dict entry (hash, key, value: 24 bytes) plus its 4-byte index slot, with
# the dict's growth headroom (entries 2/3 of the slots, doubled on resize): about 44
# bytes for a million keys, measured; one in `data` and one in `clocks`.
DICT_ENTRY_BYTES = 44
PER_KEY_BYTES = 2 * DICT_ENTRY_BYTES
SAMPLES = 5
# Marked keys kept before they are estimated anyway, so the set stays small.
_MAX_PENDING = 4096


def block_bytes(size: int) -> int:
    """An allocation as pymalloc (up to 512 bytes) or malloc hands it out."""
    return (size + 15) & -16 if size <= 512 else (size + 31) & -16


def _scaled(total: int, sampled: list[int]) -> int:
    return sum(sampled) * total // len(sampled) if sampled else 0


def _hash_bytes(value: Hash) -> int:
    sampled = [block_bytes(_getsizeof(field)) + block_bytes(_getsizeof(item))
               for field, item in itertools.islice(value.items(), SAMPLES)]
    return block_bytes(_getsizeof(value)) + _scaled(len(value), sampled)


def _set_bytes(value: Set) -> int:
    sampled = [block_bytes(_getsizeof(member)) for member in itertools.islice(value, SAMPLES)]
    return block_bytes(_getsizeof(value)) + _scaled(len(value), sampled)


_NODE_BYTES = block_bytes(object.__sizeof__(_Node())) + 16  # the node and its deque slot


def _list_bytes(value: QuickList) -> int:
    nodes = value.nodes
    sampled = [_NODE_BYTES + block_bytes(node.data.__sizeof__())
               + block_bytes(node.sizes.__sizeof__())
               for node in itertools.islice(nodes, SAMPLES)]
    return block_bytes(object.__sizeof__(value)) + _scaled(len(nodes), sampled)


# Per member: its slot in a block list, the (score, member) tuple and the float.
_ZSET_MEMBER_BYTES = 8 + block_bytes(_getsizeof((0.0, b""))) + block_bytes(_getsizeof(0.0))


def _zset_bytes(value: SortedSet) -> int:
    scores = value.scores
    sampled = [_ZSET_MEMBER_BYTES + block_bytes(_getsizeof(member))
               for member in itertools.islice(scores, SAMPLES)]
    return block_bytes(_getsizeof(scores)) + 64 + _scaled(len(scores), sampled)


_VALUE_BYTES: dict[type, Callable[[Any], int]] = {
    Hash: _hash_bytes,
    Set: _set_bytes,
    QuickList: _list_bytes,
    SortedSet: _zset_bytes,
}


def value_bytes(value: Any) -> int:
    """The estimated memory of a value (bytes, bytearray or a collection)."""
    estimate = _VALUE_BYTES.get(type(value))
    if estimate is not None:
        return estimate(value)
    return block_bytes(_getsizeof(value))


_BYTES_HEADER = _getsizeof(b"")


def bytes_block(data: bytes) -> int:
    """block_bytes(sys.getsizeof(data)) for bytes, without the calls (SET's path)."""
    size = len(data) + _BYTES_HEADER
    return (size + 15) & -16 if size <= 512 else (size + 31) & -16


# bytes_block by length, for the lengths pymalloc serves: SET's path indexes this.
_SMALL = 512 - _BYTES_HEADER
_SMALL_BLOCKS = [(size + _BYTES_HEADER + 15) & -16 for size in range(_SMALL)]


def entry_bytes(key: bytes, value: Any) -> int:
    if type(value) is bytes:
        return PER_KEY_BYTES + bytes_block(key) + bytes_block(value)
    return PER_KEY_BYTES + bytes_block(key) + value_bytes(value)


class MemoryAccount:
    """The running sum; see the module doc. `total` is exact once settled."""

    def __init__(self, keyspace: "Keyspace") -> None:
        self.keyspace = keyspace
        self.total = 0
        # Keys whose value may have changed in place since it was counted.
        self.pending: set[tuple[int, bytes]] = set()
        for db in keyspace.dbs:
            sizes: dict[bytes, int] = {}
            used = 0
            for key, value in db.data.items():
                size = entry_bytes(key, value)
                if type(value) is not bytes:
                    sizes[key] = size
                used += size
            db.sizes = sizes
            db.used_bytes = used
            self.total += used

    def detach(self) -> None:
        for db in self.keyspace.dbs:
            db.sizes = {}
            db.used_bytes = 0
        self.total = 0
        self.pending.clear()

    def replaced(self, db: "Database", key: bytes, old: Any, new: Any) -> None:
        """key's value went from old to new (either None: created or removed)."""
        if type(new) is bytes:  # SET's cases first, without calls
            size = len(new)
            delta = _SMALL_BLOCKS[size] if size < _SMALL else bytes_block(new)
            if type(old) is bytes:  # strings have no sizes entry
                size = len(old)
                delta -= _SMALL_BLOCKS[size] if size < _SMALL else bytes_block(old)
                db.used_bytes += delta
                self.total += delta
                return
            if old is None:
                size = len(key)
                delta += PER_KEY_BYTES + (
                    _SMALL_BLOCKS[size] if size < _SMALL else bytes_block(key))
                db.used_bytes += delta
                self.total += delta
                return
        before = 0
        if old is not None:
            counted = db.sizes.pop(key, None) if type(old) is not bytes else None
            before = entry_bytes(key, old) if counted is None else counted
        after = 0
        if new is not None:
            after = entry_bytes(key, new)
            if type(new) is not bytes:
                db.sizes[key] = after
                # Handlers store a new collection first and fill it after.
                self.may_have_changed(db, key)
        db.used_bytes += after - before
        self.total += after - before

    def may_have_changed(self, db: "Database", key: bytes) -> None:
        pending = self.pending
        pending.add((db.index, key))
        if len(pending) > _MAX_PENDING:
            self.settle()

    def cleared(self, db: "Database") -> None:
        self.total -= db.used_bytes
        db.used_bytes = 0
        db.sizes = {}

    def settle(self) -> None:
        """Estimate again the values marked as possibly changed in place."""
        dbs = self.keyspace.dbs
        for index, key in self.pending:
            db = dbs[index]
            before = db.sizes.get(key)
            if before is None:
                continue  # gone, or replaced by bytes: already counted
            value = db.data.get(key)
            if value is None:
                continue
            after = entry_bytes(key, value)
            db.sizes[key] = after
            db.used_bytes += after - before
            self.total += after - before
        self.pending.clear()

    def dataset_bytes(self) -> int:
        if self.pending:
            self.settle()
        return self.total
