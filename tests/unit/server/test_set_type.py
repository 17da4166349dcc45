"""Set: Redis 7.0's intset/hashtable choice, intset order, random members."""

from __future__ import annotations

import pytest

from server.set_type import Set, is_intset_member


@pytest.mark.parametrize("member, expected", [
    (b"0", True), (b"-1", True), (b"9223372036854775807", True),
    (b"-9223372036854775808", True), (b"9223372036854775808", False), (b"-0", False),
    (b"01", False), (b"+1", False), (b" 1", False), (b"1.0", False), (b"", False),
])
def test_intset_members_are_canonical_64_bit_integers(member: bytes, expected: bool) -> None:
    assert is_intset_member(member) is expected


def test_an_intset_lists_its_members_by_value() -> None:
    value = Set()
    for member in (b"10", b"-3", b"2"):
        value.add_member(member, 512)
    assert value.encoding() == "intset"
    assert value.ordered() == [b"-3", b"2", b"10"]


def test_a_non_integer_or_too_many_members_make_a_hashtable_for_good() -> None:
    value = Set()
    value.add_member(b"1", 512)
    value.add_member(b"x", 512)
    assert value.encoding() == "hashtable"
    value.remove_member(b"x")
    assert value.encoding() == "hashtable"
    small = Set()
    for member in (b"1", b"2", b"3"):
        small.add_member(member, 2)
    assert small.encoding() == "hashtable"
    assert small.add_member(b"1", 2) is False


def test_built_sets_choose_their_encoding_and_copies_keep_it() -> None:
    assert Set([b"1", b"2"]).encoding() == "intset"
    assert Set([b"1", b"2"], max_intset_entries=1).encoding() == "hashtable"
    mixed = Set([b"1", b"a"])
    duplicate = mixed.copy()
    assert type(duplicate) is Set and duplicate == mixed
    assert duplicate.encoding() == "hashtable"


def test_pop_random_empties_the_set_without_repeats() -> None:
    value = Set(b"%d" % i for i in range(300))
    popped = [value.pop_random() for _ in range(300)]
    assert len(set(popped)) == 300 and not value


def test_random_member_never_returns_a_removed_member() -> None:
    value = Set(b"m%d" % i for i in range(100))
    value.random_member()  # attaches the picker
    for i in range(90):
        value.remove_member(b"m%d" % i)
    value.add_member(b"new", 512)
    assert all(value.random_member() in value for _ in range(500))
