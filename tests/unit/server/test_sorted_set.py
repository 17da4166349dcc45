"""RankedList and SortedSet against a plain sorted list, through random operations
sized so that blocks split, merge and vanish (LOAD is lowered for the test)."""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right

import pytest

from server import sorted_set
from server.sorted_set import RankedList, SortedSet


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sorted_set, "LOAD", 8)


def check_same(ranked: RankedList, model: list[tuple[float, bytes]]) -> None:
    assert len(ranked) == len(model)
    assert list(ranked) == model
    assert list(reversed(ranked)) == model[::-1]
    for rank, item in enumerate(model):
        assert ranked[rank] == item
        assert ranked.rank(item) == rank
    assert all(len(block) <= 2 * sorted_set.LOAD for block in ranked.blocks)
    assert ranked.maxes == [block[-1] for block in ranked.blocks]


@pytest.mark.parametrize("seed", range(16))
def test_random_operations_match_a_sorted_list(seed: int) -> None:
    rng = random.Random(seed)
    ranked = RankedList()
    model: list[tuple[float, bytes]] = []
    for step in range(600):
        choice = rng.random()
        if choice < 0.5 or not model:
            item = (float(rng.randint(0, 40)), b"m%d" % rng.randint(0, 300))
            if item not in model:
                ranked.add(item)
                model.insert(bisect_left(model, item), item)
        elif choice < 0.8:
            item = rng.choice(model)
            ranked.remove(item)
            model.remove(item)
        elif choice < 0.86:
            # The ends: O(1) paths that keep the first block's count out of the tree.
            from_end = rng.random() < 0.5
            assert ranked.pop_end(from_end) == model.pop(-1 if from_end else 0)
        elif choice < 0.9:
            start = rng.randint(0, len(model))
            stop = rng.randint(start, min(len(model), start + 30))
            assert ranked.delete_ranks(start, stop) == model[start:stop]
            del model[start:stop]
        else:
            probe = (float(rng.randint(0, 40)), b"m%d" % rng.randint(0, 300))
            assert ranked.bisect_left(probe) == bisect_left(model, probe)
            assert ranked.bisect_right(probe) == bisect_right(model, probe)
            start = rng.randint(0, len(model))
            assert list(ranked.walk(start)) == model[start:]
            assert list(ranked.walk(start, is_reverse=True)) == model[:start + 1][::-1] \
                if start < len(model) else list(ranked.walk(start, True)) == []
            assert ranked.slice(start, start + 17) == model[start:start + 17]
        if model:  # a rank lookup after every change: a stale tree shows at once
            rank = rng.randrange(len(model))
            assert ranked[rank] == model[rank]
            assert ranked.rank(model[rank]) == rank
        if step % 50 == 0:
            check_same(ranked, model)
    check_same(ranked, model)


def test_sorted_set_orders_by_score_then_member_bytes() -> None:
    zset = SortedSet()
    for member, score in ((b"b", 1.0), (b"a", 1.0), (b"\xff", 0.5), (b"c", -1.0)):
        assert zset.set_score(member, score)
    assert list(zset.items()) == [(b"c", -1.0), (b"\xff", 0.5), (b"a", 1.0), (b"b", 1.0)]
    assert not zset.set_score(b"c", 2.0)
    assert zset.rank(b"c") == 3 and zset.rank(b"nope") is None
    assert zset.pop(2, from_max=True) == [(2.0, b"c"), (1.0, b"b")]
    assert zset.pop(5, from_max=False) == [(0.5, b"\xff"), (1.0, b"a")]
    assert len(zset) == 0


def test_negative_zero_is_no_change_of_a_zero_score() -> None:
    zset = SortedSet()
    zset.set_score(b"a", 0.0)
    zset.set_score(b"a", -0.0)
    assert str(zset.score(b"a")) == "0.0"


def test_copy_shares_no_index() -> None:
    zset = SortedSet.from_items([(b"a", 1.0), (b"b", 2.0)], is_listpack=False)
    duplicate = zset.copy()
    duplicate.set_score(b"c", 3.0)
    assert len(zset) == 2 and list(zset.order) == [(1.0, b"a"), (2.0, b"b")]
    assert duplicate.encoding() == "skiplist" and len(duplicate) == 3
