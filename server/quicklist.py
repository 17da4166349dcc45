"""QuickList: the value of a Redis list, a deque of packed nodes (Redis's quicklist.c).

A node keeps its elements back to back in one bytearray (`data`) with their lengths in
an array (`sizes`), the way a listpack keeps them in one allocation. Each element is
stored as its RESP bulk string (`$3\\r\\nabc\\r\\n`), so that LRANGE replies are slices
of `data` rather than a Python step per element: an element costs its bytes plus
about 10 (framing and length), where a Python bytes object in a deque would cost about
50 more. Pushing and popping at either end touch only an end node: appending to a
bytearray is amortised O(1), deleting from its front is O(1) in CPython (the buffer
start moves), and inserting at its front moves at most one node's bytes.

Node size follows `list-max-listpack-size` (`fill`, taken when the list is created, as
Redis does): a negative fill caps a node's estimated listpack bytes at 4, 8, 16, 32 or
64 KiB, a positive one its element count. A node always accepts its first element, so
an element larger than the cap gets a node of its own.

Invariants: no node is empty; `length` is the sum of the nodes' element counts; a
node's `payload` is the sum of its elements' lengths. Nothing here knows about
commands or keys; of replies, only how a bulk string is framed. Indexes are 0-based
and already normalised (0 <= index < len) unless a method says otherwise.
"""

from __future__ import annotations

from array import array
from collections import deque
from itertools import chain
from typing import Any, Callable, Iterable, Iterator

# Redis's optimization_level: the node byte caps for fill -1 .. -5.
_NODE_BYTES_BY_LEVEL = (4096, 8192, 16384, 32768, 65536)
# Redis's SIZE_SAFETY_LIMIT: the byte cap when fill counts elements.
_SAFETY_LIMIT_BYTES = 8192
# A listpack's header and end byte, and the usual per-entry encoding and back-length
# bytes of a short string: what the node estimate adds to the raw element bytes.
_LISTPACK_HEADER_BYTES = 7
_ENTRY_OVERHEAD_BYTES = 2
_MAX_NODE_ENTRIES = 65535  # a listpack counts its entries in 16 bits
_MAX_SMALL_SIZE = 0xFFFFFFFF


def _framed(value: bytes) -> bytes:
    """An element as it is stored: its RESP bulk string."""
    return b"$%d\r\n%b\r\n" % (len(value), value)


def _payload_size(framed_size: int) -> int:
    """The element length behind a framed length (framed = length + digits + 5)."""
    size = framed_size - 6
    while size + len(str(size)) + 5 != framed_size:
        size -= 1
    return size


class _Node:
    """Elements stored framed, `$<len>\\r\\n<bytes>\\r\\n` each, so that LRANGE answers
    with slices of `data` instead of a Python step per element; `sizes` holds the
    framed lengths (byte offsets are sums of them) and `payload` the elements' own
    bytes, which the listpack size estimate counts."""

    __slots__ = ("data", "sizes", "payload")

    def __init__(self, data: bytearray | None = None, sizes: array | None = None,
                 payload: int = 0) -> None:
        self.data = data if data is not None else bytearray()
        self.sizes = sizes if sizes is not None else array("I")
        self.payload = payload

    def __len__(self) -> int:
        return len(self.sizes)

    def offset(self, position: int) -> int:
        """Byte offset of the element at position, summed from the nearer end."""
        sizes = self.sizes
        if position <= len(sizes) // 2:
            return sum(sizes[:position])
        return len(self.data) - sum(sizes[position:])

    def _unframe(self, start: int, framed_size: int) -> bytes:
        data = self.data
        return bytes(data[data.index(b"\n", start) + 1:start + framed_size - 2])

    def element(self, position: int) -> bytes:
        return self._unframe(self.offset(position), self.sizes[position])

    def framed(self, first: int = 0, stop: int | None = None) -> bytes:
        """The stored bytes of positions first .. stop-1: their RESP encoding."""
        if first == 0 and stop is None:
            return bytes(self.data)
        start = self.offset(first)
        return bytes(self.data[start:start + sum(self.sizes[first:stop])])

    def elements(self, first: int = 0, stop: int | None = None) -> list[bytes]:
        """The elements at positions first .. stop-1 (all by default)."""
        sizes = self.sizes if first == 0 and stop is None else self.sizes[first:stop]
        blob = self.framed(first, stop)
        find = blob.index
        found = []
        start = 0
        for size in sizes:
            end = start + size
            found.append(blob[find(b"\n", start) + 1:end - 2])
            start = end
        return found

    def record_size(self, position: int, size: int) -> None:
        """sizes[position] = size, widening the array for an element of 4 GiB or more."""
        if size > _MAX_SMALL_SIZE and self.sizes.typecode == "I":
            self.sizes = array("Q", self.sizes)
        self.sizes[position] = size

    def insert(self, position: int, value: bytes) -> None:
        start = self.offset(position)
        framed = _framed(value)
        self.data[start:start] = framed
        self.sizes.insert(position, 0)
        self.record_size(position, len(framed))
        self.payload += len(value)

    def delete(self, position: int) -> None:
        start = self.offset(position)
        size = self.sizes[position]
        del self.data[start:start + size]
        del self.sizes[position]
        self.payload -= _payload_size(size)

    def replace(self, position: int, value: bytes) -> None:
        start = self.offset(position)
        size = self.sizes[position]
        framed = _framed(value)
        self.data[start:start + size] = framed
        self.record_size(position, len(framed))
        self.payload += len(value) - _payload_size(size)

    def split(self) -> "_Node":
        """Move the second half of this node's elements to a new node, returned."""
        middle = len(self.sizes) // 2
        start = self.offset(middle)
        moved = self.sizes[middle:]
        upper = _Node(self.data[start:], moved, sum(map(_payload_size, moved)))
        del self.data[start:]
        del self.sizes[middle:]
        self.payload -= upper.payload
        return upper

    def may_contain(self, value: bytes) -> bool:
        """False when no element can equal value: one C-speed substring search skips
        most nodes in LPOS, LREM and LINSERT."""
        return value in self.data


class QuickList:
    """A Redis list. Elements are bytes; see the module docstring for the layout."""

    __slots__ = ("nodes", "length", "fill", "_max_bytes", "_max_entries")
    redis_type = "list"

    def __init__(self, fill: int = -2, elements: Iterable[bytes] = ()) -> None:
        self.nodes: deque[_Node] = deque()
        self.length = 0
        self.fill = fill
        if fill < 0:
            self._max_bytes = _NODE_BYTES_BY_LEVEL[min(-fill, 5) - 1]
            self._max_entries = _MAX_NODE_ENTRIES
        else:
            self._max_bytes = _SAFETY_LIMIT_BYTES
            self._max_entries = min(max(fill, 1), _MAX_NODE_ENTRIES)
        for element in elements:
            self.push_right(element)

    # ------------------------------------------------------------ facts

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        for node in list(self.nodes):
            yield from node.elements()

    def __reversed__(self) -> Iterator[bytes]:
        for node in reversed(list(self.nodes)):
            yield from reversed(node.elements())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QuickList):
            return NotImplemented
        return self.length == other.length and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"QuickList({list(self)!r})"

    def __sizeof__(self) -> int:
        """The list's memory: nodes with their buffers (MEMORY USAGE reads this)."""
        per_node = object.__sizeof__(_Node()) + 16  # the node plus its deque slot
        return object.__sizeof__(self) + sum(
            per_node + node.data.__sizeof__() + node.sizes.__sizeof__() for node in self.nodes)

    def encoding(self) -> str:
        # Redis 7.0 keeps every list as a quicklist; the listpack encoding for small
        # lists arrived in 7.2.
        return "quicklist"

    def node_count(self) -> int:
        return len(self.nodes)

    def copy(self) -> "QuickList":
        clone = QuickList(self.fill)
        clone.nodes = deque(_Node(bytearray(node.data), array(node.sizes.typecode, node.sizes),
                                  node.payload) for node in self.nodes)
        clone.length = self.length
        return clone

    def _has_room(self, node: _Node, size: int) -> bool:
        count = len(node.sizes)
        if count == 0:
            return True
        estimate = (node.payload + size + (count + 1) * _ENTRY_OVERHEAD_BYTES
                    + _LISTPACK_HEADER_BYTES)
        return count < self._max_entries and estimate <= self._max_bytes

    # ------------------------------------------------------------ ends

    def _end_node(self, size: int, at_left: bool) -> _Node:
        """The end node that takes one more element of `size` bytes: the current one,
        or a new one when it is full."""
        nodes = self.nodes
        if nodes:
            node = nodes[0] if at_left else nodes[-1]
            if self._has_room(node, size):
                return node
        node = _Node()
        if at_left:
            nodes.appendleft(node)
        else:
            nodes.append(node)
        return node

    def push_right(self, value: bytes) -> None:
        size = len(value)
        node = self._end_node(size, False)
        framed = b"$%d\r\n%b\r\n" % (size, value)  # _framed, inlined
        node.data += framed
        node.payload += size
        if size > _MAX_SMALL_SIZE and node.sizes.typecode == "I":
            node.sizes = array("Q", node.sizes)
        node.sizes.append(len(framed))
        self.length += 1

    def push_left(self, value: bytes) -> None:
        size = len(value)
        node = self._end_node(size, True)
        framed = b"$%d\r\n%b\r\n" % (size, value)  # _framed, inlined
        node.data[:0] = framed
        node.payload += size
        if size > _MAX_SMALL_SIZE and node.sizes.typecode == "I":
            node.sizes = array("Q", node.sizes)
        node.sizes.insert(0, len(framed))
        self.length += 1

    def pop_right(self) -> bytes:
        """The last element, removed; the list must not be empty."""
        node = self.nodes[-1]
        data = node.data
        start = len(data) - node.sizes.pop()
        value = bytes(data[data.index(b"\n", start) + 1:-2])  # _unframe, inlined
        del data[start:]
        node.payload -= len(value)
        if not node.sizes:
            self.nodes.pop()
        self.length -= 1
        return value

    def pop_left(self) -> bytes:
        """The first element, removed; the list must not be empty."""
        node = self.nodes[0]
        data = node.data
        size = node.sizes.pop(0)
        value = bytes(data[data.index(b"\n") + 1:size - 2])  # _unframe, inlined
        del data[:size]
        node.payload -= len(value)
        if not node.sizes:
            self.nodes.popleft()
        self.length -= 1
        return value

    def remove_left(self, count: int) -> None:
        """Drop the first `count` elements (count <= len)."""
        nodes = self.nodes
        self.length -= count
        while count and count >= len(nodes[0]):
            count -= len(nodes.popleft())
        if count:
            node = nodes[0]
            removed = node.sizes[:count]
            del node.data[:sum(removed)]
            del node.sizes[:count]
            node.payload -= sum(map(_payload_size, removed))

    def remove_right(self, count: int) -> None:
        """Drop the last `count` elements (count <= len)."""
        nodes = self.nodes
        self.length -= count
        while count and count >= len(nodes[-1]):
            count -= len(nodes.pop())
        if count:
            node = nodes[-1]
            removed = node.sizes[-count:]
            del node.data[len(node.data) - sum(removed):]
            del node.sizes[-count:]
            node.payload -= sum(map(_payload_size, removed))

    # ------------------------------------------------------------ by index

    def _locate(self, index: int) -> tuple[int, int]:
        """(node number, position in node) of an element, walking from the nearer end."""
        nodes = self.nodes
        if index < self.length // 2:
            for number, node in enumerate(nodes):
                if index < len(node):
                    return number, index
                index -= len(node)
        else:
            behind = self.length - index  # elements from index to the end, index included
            number = len(nodes)
            for node in reversed(nodes):
                number -= 1
                if behind <= len(node):
                    return number, len(node) - behind
                behind -= len(node)
        raise IndexError(index)

    def get(self, index: int) -> bytes:
        number, position = self._locate(index)
        return self.nodes[number].element(position)

    def set(self, index: int, value: bytes) -> None:
        number, position = self._locate(index)
        self.nodes[number].replace(position, value)

    def insert(self, index: int, value: bytes) -> None:
        """Insert value so that it ends up at index (0 <= index <= len)."""
        if index == 0:
            self.push_left(value)
            return
        if index == self.length:
            self.push_right(value)
            return
        number, position = self._locate(index)
        node = self.nodes[number]
        if position == 0 and number > 0 and self._has_room(self.nodes[number - 1], len(value)):
            number -= 1
            node = self.nodes[number]
            position = len(node)
        node.insert(position, value)
        self.length += 1
        if len(node) > 1 and not self._within_limits(node):
            self.nodes.insert(number + 1, node.split())

    def _within_limits(self, node: _Node) -> bool:
        count = len(node.sizes)
        estimate = node.payload + count * _ENTRY_OVERHEAD_BYTES + _LISTPACK_HEADER_BYTES
        return count <= self._max_entries and estimate <= self._max_bytes

    def _range_parts(self, start: int, stop: int,
                     piece: Callable[[_Node, int, int | None], Any]) -> list[Any]:
        """piece(node, first, stop) of each node that elements start..stop (both
        included, 0 <= start <= stop < len) touch; a whole node is asked for as
        (0, None)."""
        wanted = stop - start + 1
        number, position = self._locate(start)
        parts = []
        nodes = self.nodes
        while wanted > 0:
            node = nodes[number]
            count = len(node.sizes)
            if position == 0 and count <= wanted:
                parts.append(piece(node, 0, None))
                wanted -= count
            else:
                taken = min(count - position, wanted)
                parts.append(piece(node, position, position + taken))
                wanted -= taken
            number += 1
            position = 0
        return parts

    def range(self, start: int, stop: int) -> list[bytes]:
        """Elements start..stop, both included (0 <= start <= stop < len)."""
        return list(chain.from_iterable(self._range_parts(start, stop, _Node.elements)))

    def range_encoded(self, start: int, stop: int) -> bytes:
        """range(start, stop) as the bulk strings of its RESP reply, back to back."""
        return b"".join(self._range_parts(start, stop, _Node.framed))

    # ------------------------------------------------------------ by value

    def find(self, value: bytes, from_left: bool = True, within: int = 0) -> Iterator[int]:
        """Indexes of the elements equal to value, from the head or from the tail; with
        `within` > 0 only that many elements from the starting end are looked at (LPOS
        MAXLEN), so the search costs O(within), not O(len)."""
        nodes = list(self.nodes)
        within = within or self.length
        if from_left:
            base = 0
            for node in nodes:
                if base >= within:
                    return
                if node.may_contain(value):
                    for position, element in enumerate(node.elements()):
                        if element == value and base + position < within:
                            yield base + position
                base += len(node)
        else:
            base = self.length
            for node in reversed(nodes):
                if self.length - base >= within:
                    return
                base -= len(node)
                if node.may_contain(value):
                    elements = node.elements()
                    for position in range(len(elements) - 1, -1, -1):
                        if elements[position] == value and self.length - base - position <= within:
                            yield base + position

    def remove(self, value: bytes, count: int) -> int:
        """LREM: drop elements equal to value, at most `count` (0: all) from the head,
        or from the tail when count < 0; the number removed."""
        limit = abs(count) or self.length
        removed = 0
        numbers = range(len(self.nodes)) if count >= 0 else range(len(self.nodes) - 1, -1, -1)
        emptied = []
        for number in numbers:
            node = self.nodes[number]
            if removed == limit:
                break
            if not node.may_contain(value):
                continue
            elements = node.elements()
            order = range(len(elements)) if count >= 0 else range(len(elements) - 1, -1, -1)
            drop = []
            for position in order:
                if elements[position] == value:
                    drop.append(position)
                    removed += 1
                    if removed == limit:
                        break
            if drop:
                dropped = set(drop)
                kept = [e for p, e in enumerate(elements) if p not in dropped]
                framed = list(map(_framed, kept))
                node.data = bytearray(b"".join(framed))
                node.sizes = array(node.sizes.typecode, map(len, framed))
                node.payload = sum(map(len, kept))
                if not kept:
                    emptied.append(number)
        for number in sorted(emptied, reverse=True):
            del self.nodes[number]
        self.length -= removed
        return removed

    def node_fill(self) -> list[int]:
        """Element counts node by node (tests and DEBUG-style introspection)."""
        return [len(node) for node in self.nodes]
