"""server.keyspace: lazy and active expiry, deletion, random keys and the scan table."""

from __future__ import annotations

import time

from server.keyspace import Entry, Keyspace
from server.scan import ScanSessions
from server.writes import WriteRecord, collector


def make_keyspace() -> tuple[Keyspace, list[WriteRecord]]:
    keyspace = Keyspace(databases=2)
    records: list[WriteRecord] = []
    keyspace.writes.subscribe(collector(records))
    return keyspace, records


def test_lookup_expires_a_due_key_and_logs_a_del():
    keyspace, records = make_keyspace()
    db = keyspace.dbs[1]
    db.set(b"k", b"v", expire_at_ms=keyspace.clock.ms - 1)
    assert db.lookup(b"k") is None
    assert b"k" not in db.data and b"k" not in db.expires
    assert records == [WriteRecord(1, [b"DEL", b"k"])]
    assert keyspace.expired_keys == 1


def test_delete_of_an_expired_key_reports_nothing_deleted():
    keyspace, _ = make_keyspace()
    db = keyspace.dbs[0]
    db.set(b"k", b"v", expire_at_ms=keyspace.clock.ms - 1)
    dirty = keyspace.dirty
    assert db.delete(b"k") is False
    assert keyspace.dirty == dirty


def test_set_replaces_ttl_unless_kept():
    keyspace, _ = make_keyspace()
    db = keyspace.dbs[0]
    db.set(b"k", b"v", expire_at_ms=keyspace.clock.ms + 10_000)
    db.set(b"k", b"w", keep_ttl=True)
    assert db.expire_at_ms(b"k") is not None
    db.set(b"k", b"x")
    assert db.expire_at_ms(b"k") is None


def test_persist_counts_a_change_only_when_a_ttl_was_removed():
    keyspace, _ = make_keyspace()
    db = keyspace.dbs[0]
    db.set(b"k", b"v", expire_at_ms=keyspace.clock.ms + 10_000)
    dirty = keyspace.dirty
    assert db.persist(b"k") is True
    assert db.persist(b"k") is False
    assert keyspace.dirty == dirty + 1


def test_random_key_of_empty_database_is_none():
    keyspace, _ = make_keyspace()
    assert keyspace.dbs[0].random_key() is None


def test_random_key_never_returns_an_expired_key():
    keyspace, _ = make_keyspace()
    db = keyspace.dbs[0]
    past = keyspace.clock.ms - 1
    for i in range(500):
        db.set(b"gone:%d" % i, b"v", expire_at_ms=past)
    db.set(b"live", b"v")
    assert {db.random_key() for _ in range(20)} == {b"live"}


def test_random_key_is_none_when_every_key_expired():
    keyspace, _ = make_keyspace()
    db = keyspace.dbs[0]
    for i in range(100):
        db.set(b"gone:%d" % i, b"v", expire_at_ms=keyspace.clock.ms - 1)
    assert db.random_key() is None
    assert len(db) == 0


def test_live_keys_skip_expired_ones_without_deleting_them():
    keyspace, _ = make_keyspace()
    db = keyspace.dbs[0]
    db.set(b"gone", b"v", expire_at_ms=keyspace.clock.ms - 1)
    db.set(b"live", b"v")
    assert list(db.live_keys()) == [b"live"]
    assert b"gone" in db.data


def test_active_expiry_reclaims_due_keys_in_slices():
    keyspace, records = make_keyspace()
    db = keyspace.dbs[0]
    now = keyspace.clock.snapshot()
    for i in range(20_000):
        db.set(b"k%d" % i, b"v", expire_at_ms=now - 1)
    db.set(b"later", b"v", expire_at_ms=now + 60_000)
    reclaimed, finished = db.expire_due(now, deadline_ns=time.monotonic_ns())
    assert 0 < reclaimed < 20_000 and not finished  # stopped at the deadline
    while not keyspace.active_expire_cycle(budget_ms=5):
        pass
    assert list(db.data) == [b"later"]
    assert len(records) == 20_000 and records[0].argv[0] == b"DEL"


def test_expiry_heap_entries_go_stale_when_ttl_changes():
    keyspace, _ = make_keyspace()
    db = keyspace.dbs[0]
    now = keyspace.clock.snapshot()
    db.set(b"k", b"v", expire_at_ms=now - 1)
    db.set_expire(b"k", now + 60_000)
    assert db.expire_due(now, time.monotonic_ns() + 10**9) == (0, True)
    assert db.lookup(b"k") == b"v"


def test_keyspace_owns_one_scan_table():
    keyspace, _ = make_keyspace()
    assert isinstance(keyspace.scans, ScanSessions)


# ------------------------------------------------------------- persistence API


def test_snapshot_entries_leave_out_expired_keys_and_carry_ttls():
    keyspace, _ = make_keyspace()
    now = keyspace.clock.ms
    keyspace.dbs[0].data.update({b"a": b"1", b"b": b"2"})
    db = keyspace.dbs[1]
    db.data.update({b"live": b"v", b"ttl": b"v", b"gone": b"v"})
    db.set_expire(b"ttl", now + 60_000)
    db.set_expire(b"gone", now - 1)
    entries = list(keyspace.snapshot_entries())
    assert [tuple(entry)[:4] for entry in entries] == [
        (0, b"a", b"1", None), (0, b"b", b"2", None),
        (1, b"live", b"v", None), (1, b"ttl", b"v", now + 60_000)]
    assert all(type(entry) is Entry and len(entry) == len(Entry._fields) for entry in entries)
    assert entries[3].expire_at_ms == now + 60_000 and entries[0].db_index == 0
    # With TTLs but none due yet, every key comes with its own.
    db.expires.pop(b"gone")
    assert [entry.expire_at_ms for entry in keyspace.snapshot_entries()][2:] == [
        None, now + 60_000, None]


def test_load_entries_adds_a_batch_with_its_ttls():
    keyspace, _ = make_keyspace()
    added = keyspace.load_entries(1, [b"a", b"b", b"c"], [b"1", b"2", b"3"], {1: 4102444800000})
    assert added is None
    db = keyspace.dbs[1]
    assert db.data == {b"a": b"1", b"b": b"2", b"c": b"3"}
    assert db.expires == {b"b": 4102444800000}
    assert keyspace.load_entries(1, [b"d"], [b"4"], {}) is None and len(db.data) == 4


def test_load_entries_names_the_first_key_already_held_or_repeated():
    keyspace, _ = make_keyspace()
    keyspace.load_entries(0, [b"a", b"b"], [b"1", b"2"], {})
    assert keyspace.load_entries(0, [b"x", b"y", b"x", b"b"], [b"1"] * 4, {}) == 2
    keyspace.dbs[0].data.clear()
    keyspace.load_entries(0, [b"a", b"b"], [b"1", b"2"], {})
    assert keyspace.load_entries(0, [b"x", b"b", b"x"], [b"1"] * 3, {}) == 1
    assert keyspace.load_entries(1, [b"a"], [b"1"], {}) is None  # another database


def test_load_entries_replace_overwrites_and_drops_old_ttls():
    keyspace, _ = make_keyspace()
    db = keyspace.dbs[0]
    db.data.update({b"a": b"old", b"b": b"old"})
    db.set_expire(b"a", keyspace.clock.ms + 60_000)
    assert keyspace.load_entries(0, [b"a", b"c"], [b"new", b"new"], {}, replace=True) is None
    assert db.data == {b"a": b"new", b"b": b"old", b"c": b"new"} and db.expires == {}
