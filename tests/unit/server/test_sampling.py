"""RandomPicker: uniform draws in amortised O(1) that stay exact under changes."""

from __future__ import annotations

import random
from collections import Counter

from server.sampling import RandomPicker, picker_for


def test_draws_only_live_members_after_removals_and_additions() -> None:
    members = {b"%d" % i for i in range(100)}
    picker = RandomPicker(members)
    for i in range(0, 100, 2):
        members.discard(b"%d" % i)
        picker.discarded(b"%d" % i)
    for i in range(100, 120):
        members.add(b"%d" % i)
        picker.added(b"%d" % i)
    for _ in range(2000):
        assert picker.pick() in members


def test_a_member_removed_and_added_again_is_listed_once() -> None:
    picker = RandomPicker([b"a", b"b"])
    for _ in range(1000):
        picker.discarded(b"a")
        picker.added(b"a")
    assert sorted(picker.entries) == [b"a", b"b"]
    counts = Counter(picker.pick() for _ in range(4000))
    assert 1600 < counts[b"a"] < 2400


def test_take_removes_the_member_from_the_picker() -> None:
    members = [b"%d" % i for i in range(50)]
    picker = RandomPicker(members)
    taken = [picker.take() for _ in range(50)]
    assert sorted(taken) == sorted(members)
    assert picker.entries == []


def test_draws_are_roughly_uniform() -> None:
    random.seed(4)
    picker = RandomPicker(b"%d" % i for i in range(10))
    counts = Counter(picker.pick() for _ in range(20_000))
    assert all(1700 < count < 2300 for count in counts.values())


def test_a_worn_picker_is_rebuilt() -> None:
    members = {b"%d" % i for i in range(100)}
    picker = RandomPicker(members)
    for i in range(80):
        members.discard(b"%d" % i)
        picker.discarded(b"%d" % i)
    assert picker.is_worn(len(members))
    fresh = picker_for(picker, members, len(members))
    assert fresh is not picker and sorted(fresh.entries) == sorted(members)
    assert picker_for(fresh, members, len(members)) is fresh


def test_random_changes_keep_every_member_listed_exactly_once() -> None:
    """The invariant under any mix of adds, removals, draws and takes: live members
    are listed once each, and every other entry is a removed member."""
    rng = random.Random(11)
    members: set[bytes] = set()
    picker = RandomPicker(members)
    for _ in range(5000):
        member = b"%d" % rng.randrange(40)
        action = rng.randrange(4)
        if action == 0 and member not in members:
            members.add(member)
            picker.added(member)
        elif action == 1 and member in members:
            members.discard(member)
            picker.discarded(member)
        elif action == 2 and members:
            assert picker.pick() in members
        elif action == 3 and members:
            taken = picker.take()
            assert taken in members
            members.discard(taken)
        picker = picker_for(picker, members, len(members))
        live = [entry for entry in picker.entries if entry not in picker.removed]
        assert sorted(live) == sorted(members)
        assert set(picker.entries) - members == picker.removed
        assert len(picker.entries) == len(set(picker.entries))
