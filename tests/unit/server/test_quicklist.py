"""QuickList against a plain Python list: every operation, small nodes so that node
boundaries, splits and empty nodes are crossed often."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from server.quicklist import QuickList

VALUES = st.sampled_from([b"", b"a", b"b", b"abc", b"x" * 40, b"\x00\xff", b"\r\n", b"$1\r\n\n"])
OPERATIONS = st.lists(st.tuples(
    st.sampled_from(["push_left", "push_right", "pop_left", "pop_right", "set", "insert",
                     "remove_left", "remove_right", "remove", "get", "range", "find"]),
    VALUES, st.integers(-3, 30), st.integers(-3, 30)), max_size=80)


def check_invariants(quicklist: QuickList, model: list[bytes]) -> None:
    assert len(quicklist) == len(model)
    assert list(quicklist) == model
    assert list(reversed(quicklist)) == model[::-1]
    assert all(count > 0 for count in quicklist.node_fill())
    assert sum(quicklist.node_fill()) == len(model)
    for node in quicklist.nodes:  # the listpack estimate counts the elements' own bytes
        assert node.payload == sum(map(len, node.elements()))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([1, 2, 3, -1]), OPERATIONS)
def test_quicklist_behaves_as_a_python_list(fill: int, operations: list) -> None:
    quicklist = QuickList(fill)
    model: list[bytes] = []
    for name, value, a, b in operations:
        n = len(model)
        if name == "push_left":
            quicklist.push_left(value)
            model.insert(0, value)
        elif name == "push_right":
            quicklist.push_right(value)
            model.append(value)
        elif name in ("pop_left", "pop_right") and model:
            expected = model.pop(0 if name == "pop_left" else -1)
            assert (quicklist.pop_left() if name == "pop_left" else quicklist.pop_right()) \
                == expected
        elif name == "set" and 0 <= a < n:
            quicklist.set(a, value)
            model[a] = value
        elif name == "insert" and 0 <= a <= n:
            quicklist.insert(a, value)
            model.insert(a, value)
        elif name == "remove_left" and 0 <= a <= n:
            quicklist.remove_left(a)
            del model[:a]
        elif name == "remove_right" and 0 <= a <= n:
            quicklist.remove_right(a)
            del model[n - a:]
        elif name == "remove":
            count = a - 3
            removed = quicklist.remove(value, count)
            positions = [i for i, e in enumerate(model) if e == value]
            if count < 0:
                positions = positions[::-1][:-count]
            elif count > 0:
                positions = positions[:count]
            assert removed == len(positions)
            for index in sorted(positions, reverse=True):
                del model[index]
        elif name == "get" and 0 <= a < n:
            assert quicklist.get(a) == model[a]
        elif name == "range" and 0 <= a <= b < n:
            assert quicklist.range(a, b) == model[a:b + 1]
            assert quicklist.range_encoded(a, b) == b"".join(
                b"$%d\r\n%b\r\n" % (len(element), element) for element in model[a:b + 1])
        elif name == "find":
            assert list(quicklist.find(value)) == [i for i, e in enumerate(model) if e == value]
            assert list(quicklist.find(value, from_left=False)) == \
                [i for i, e in enumerate(model) if e == value][::-1]
        check_invariants(quicklist, model)
    clone = quicklist.copy()
    assert clone == quicklist
    if len(clone):
        clone.set(0, b"changed")
        assert list(quicklist) == model


def test_fill_caps_node_entries_or_bytes() -> None:
    by_count = QuickList(4, (b"%d" % i for i in range(10)))
    assert by_count.node_fill() == [4, 4, 2]
    by_bytes = QuickList(-1, (b"x" * 1000 for _ in range(10)))
    assert by_bytes.node_fill() == [4, 4, 2]  # 4 KiB nodes hold four 1000-byte elements


def test_element_larger_than_a_node_gets_its_own_node() -> None:
    quicklist = QuickList(-1, [b"a", b"x" * 10000, b"b"])
    assert quicklist.node_fill() == [1, 1, 1]
    assert list(quicklist) == [b"a", b"x" * 10000, b"b"]


def test_memory_per_small_element_is_close_to_its_bytes() -> None:
    quicklist = QuickList(-2, (b"%07d" % i for i in range(100_000)))
    per_element = sys.getsizeof(quicklist) / len(quicklist)
    # 7 bytes of data, 6 of RESP framing and 4 of length; Redis's listpack needs about
    # 9 for these (the goal is within 3x).
    assert per_element < 20


def test_find_within_looks_only_at_that_many_elements_from_its_end() -> None:
    quicklist = QuickList(2, [b"a", b"b", b"a", b"c", b"a"])
    assert list(quicklist.find(b"a", within=3)) == [0, 2]
    assert list(quicklist.find(b"a", within=2)) == [0]
    assert list(quicklist.find(b"a", from_left=False, within=1)) == [4]
    assert list(quicklist.find(b"a", from_left=False, within=3)) == [4, 2]
    assert list(quicklist.find(b"a", from_left=False, within=2)) == [4]
