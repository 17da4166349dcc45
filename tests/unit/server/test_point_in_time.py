"""server.point_in_time: a view read in slices hands out every key as it was when the
view began, whatever happens to the keyspace between the slices."""

from __future__ import annotations

import random
from typing import Any

from server.hash_type import Hash
from server.keyspace import Keyspace
from server.quicklist import QuickList
from tests.persistence.helpers import plain_value


Handed = dict[tuple[int, bytes], tuple[Any, int | None]]


def next_slice(view: Any, count: int, found: Handed) -> bool:
    """One slice into found; a key handed out twice, or databases out of ascending
    order, fail the test."""
    def write(db_index: int, key: bytes, value: Any, at: int | None, idle_s: Any,
              freq: Any) -> None:
        assert all(index <= db_index for index, _ in found)
        assert (db_index, key) not in found, f"{(db_index, key)} handed out twice"
        found[(db_index, key)] = (plain_value(value), at)
    return view.next_slice(count, write)


def drain(view: Any, count: int = 3, found: Handed | None = None) -> Handed:
    found = {} if found is None else found
    while next_slice(view, count, found):
        pass
    return found


def state(keyspace: Keyspace) -> dict[tuple[int, bytes], tuple[Any, int | None]]:
    """The live keys (those whose deadline passed but are still held are left out)."""
    now = keyspace.clock.ms
    return {(db.index, key): (plain_value(value), db.expires.get(key))
            for db in keyspace.dbs for key, value in db.data.items()
            if db.expires.get(key, now + 1) > now}


def filled(keys: int = 20) -> Keyspace:
    keyspace = Keyspace(databases=3)
    far = keyspace.clock.ms + 3_600_000
    for index in (0, 1):
        db = keyspace.dbs[index]
        for number in range(keys):
            db.set(b"k%d" % number, b"v%d-%d" % (index, number),
                   expire_at_ms=far + number if number % 4 == 0 else None)
        items = QuickList()
        for element in (b"a", b"b", b"c"):
            items.push_right(element)
        db.store(b"list", items)
        fields = Hash()
        fields.set_field(b"f", b"1", 128, 64)
        db.store(b"hash", fields)
    return keyspace


def test_a_quiet_keyspace_is_handed_out_whole_and_the_hook_is_removed() -> None:
    keyspace = filled()
    before = state(keyspace)
    view = keyspace.begin_snapshot()
    assert keyspace.snapshot is view and keyspace.lookup_mode == 2
    assert view.db_sizes == {0: (22, 5), 1: (22, 5)}
    assert drain(view) == before
    view.close()
    assert keyspace.snapshot is None and keyspace.lookup_mode == 1


def test_changes_between_slices_do_not_reach_the_view() -> None:
    keyspace = filled()
    before = state(keyspace)
    view = keyspace.begin_snapshot()
    db0, db1 = keyspace.dbs[0], keyspace.dbs[1]
    found: Handed = {}
    changes = [
        lambda: db0.set(b"k19", b"new"),              # a key not reached yet
        lambda: db0.set(b"k0", b"new again"),          # a key already handed out
        lambda: db0.delete(b"k18"),
        lambda: db0.set(b"created", b"after the start"),
        lambda: db0.set_expire(b"k17", keyspace.clock.ms + 5),
        lambda: db0.persist(b"k16"),
        lambda: db1.get_typed(b"list", QuickList, for_write=True).push_right(b"d"),
        lambda: db1.get_typed(b"hash", Hash, for_write=False).set_field(
            b"g", b"2", 128, 64),
        lambda: db1.set(b"k1", db1.lookup(b"k2")),     # RENAME's steps
        lambda: db1.delete(b"k2"),
        lambda: db1.evict(b"k3"),
        lambda: db1.set(b"created", b"x"),
        lambda: db1.delete(b"created"),
    ]
    for change in changes:
        next_slice(view, 2, found)
        change()
    assert drain(view, found=found) == before
    assert view.preserved_keys > 0
    view.close()


def test_keys_expired_before_the_start_are_left_out_even_when_changed() -> None:
    keyspace = Keyspace(databases=1)
    db = keyspace.dbs[0]
    db.set(b"gone", b"v", expire_at_ms=keyspace.clock.ms - 1)
    db.set(b"kept", b"v")
    view = keyspace.begin_snapshot()
    assert db.lookup(b"gone") is None  # lazily expired during the snapshot
    assert drain(view) == {(0, b"kept"): (b"v", None)}
    view.close()


def test_flushdb_and_swapdb_during_the_view_leave_it_unchanged() -> None:
    keyspace = filled()
    before = state(keyspace)
    view = keyspace.begin_snapshot()
    found: Handed = {}
    assert next_slice(view, 2, found) and {index for index, _ in found} == {0}
    keyspace.swap(0, 1)
    keyspace.dbs[0].set(b"k5", b"into the swapped db")
    keyspace.dbs[1].delete(b"k7")
    keyspace.swap(1, 2)
    keyspace.dbs[0].clear()
    keyspace.dbs[2].clear()
    keyspace.dbs[0].set(b"after", b"flush")
    assert drain(view, found=found) == before
    view.close()


def test_only_one_view_at_a_time() -> None:
    keyspace = filled(2)
    view = keyspace.begin_snapshot()
    try:
        keyspace.begin_snapshot()
    except RuntimeError:
        pass
    else:
        raise AssertionError("a second view was opened")
    view.close()
    keyspace.begin_snapshot().close()


def test_under_an_lru_policy_keys_carry_their_idle_time() -> None:
    keyspace = filled(4)
    keyspace.saved_access = "lru"
    view = keyspace.begin_snapshot()
    idle: dict[bytes, Any] = {}
    keyspace.dbs[0].delete(b"k3")  # a preserved copy carries it too

    def write(db_index: int, key: bytes, value: Any, at: int | None, idle_s: Any,
              freq: Any) -> None:
        if db_index == 0:
            idle[key] = (idle_s, freq)

    while view.next_slice(2, write):
        pass
    view.close()
    assert set(idle) == {b"k0", b"k1", b"k2", b"k3", b"list", b"hash"}
    assert all(idle_s is not None and idle_s >= 0 and freq is None
               for idle_s, freq in idle.values())


def random_change(keyspace: Keyspace, rng: Any, serial: int) -> None:
    db = keyspace.dbs[rng.randrange(3)]
    key = b"k%d" % rng.randrange(30) if rng.random() < 0.8 else rng.choice([b"list", b"hash"])
    action = rng.randrange(12)
    if action == 0:
        db.set(key, b"set %d" % serial)
    elif action == 1:
        db.delete(key)
    elif action == 2:
        if db.lookup(key) is not None:
            db.set_expire(key, keyspace.clock.ms + 1_000_000 + serial)
    elif action == 3:
        db.persist(key)
    elif action == 4:
        items = db.data.get(key)
        if type(items) is QuickList:
            db.get_typed(key, QuickList, for_write=True).push_left(b"%d" % serial)
            db.store(key, items)
    elif action == 5:
        fields = db.data.get(key)
        if type(fields) is Hash:
            db.get_typed(key, Hash).set_field(b"f%d" % serial, b"x", 128, 64)
            db.store(key, fields)
    elif action == 6:
        value = db.lookup(key)
        target = b"k%d" % rng.randrange(30)
        if value is not None and target != key:
            db.delete(target)
            db.set(target, value, db.expire_at_ms(key))
            db.delete(key)
    elif action == 7 and key in db.data:
        db.evict(key)
    elif action == 8 and rng.random() < 0.1:
        keyspace.swap(rng.randrange(3), rng.randrange(3))
    elif action == 9 and rng.random() < 0.05:
        db.clear()
    elif action == 11:  # held, but expired already: a lookup or the cycle reclaims it
        db.set(key, b"expired %d" % serial, expire_at_ms=keyspace.clock.ms - 1)
    elif action == 10:
        items = QuickList()
        items.push_right(b"fresh %d" % serial)
        db.delete(key)
        db.store(key, items)


def test_random_changes_between_random_slices_never_reach_the_view() -> None:
    for seed in range(40):
        rng = random.Random(seed)
        keyspace = filled(30)
        for _ in range(40):  # some history before the view begins
            random_change(keyspace, rng, -1)
        before = state(keyspace)
        view = keyspace.begin_snapshot()
        found: Handed = {}
        serial = 0
        while next_slice(view, rng.randrange(1, 6), found):
            for _ in range(rng.randrange(4)):
                serial += 1
                random_change(keyspace, rng, serial)
        view.close()
        assert found == before, f"seed {seed}"


def test_keys_expiring_during_the_view_are_handed_out_as_they_were() -> None:
    keyspace = Keyspace(databases=1)
    db = keyspace.dbs[0]
    soon = keyspace.clock.ms + 50
    for number in range(10):
        db.set(b"k%d" % number, b"v%d" % number, expire_at_ms=soon)
    before = state(keyspace)
    view = keyspace.begin_snapshot()
    found: Handed = {}
    assert next_slice(view, 2, found)
    keyspace.clock.ms = soon + 1  # the deadline passes while the view is being read
    assert db.lookup(b"k9") is None  # lazy expiry
    assert db.expire_due(keyspace.clock.ms, 2**62) == (9, True)  # active expiry
    assert not db.data
    assert drain(view, found=found) == before
    view.close()


def test_a_key_expired_at_the_start_and_created_again_is_left_out() -> None:
    keyspace = Keyspace(databases=1)
    db = keyspace.dbs[0]
    db.set(b"a", b"1")
    db.set(b"gone", b"old", expire_at_ms=keyspace.clock.ms - 1)  # still in the dict
    db.set(b"z", b"2")
    view = keyspace.begin_snapshot()
    db.set(b"gone", b"created during the view")
    assert drain(view) == {(0, b"a"): (b"1", None), (0, b"z"): (b"2", None)}
    view.close()
