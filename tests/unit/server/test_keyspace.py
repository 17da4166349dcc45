"""server.keyspace: lazy and active expiry, deletion, random keys and the scan table."""

from __future__ import annotations

import time

from server.keyspace import Keyspace
from server.scan import ScanSessions
from server.writes import WriteRecord


def make_keyspace() -> tuple[Keyspace, list[WriteRecord]]:
    keyspace = Keyspace(databases=2)
    records: list[WriteRecord] = []
    keyspace.writes.subscribe(records.append)
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
