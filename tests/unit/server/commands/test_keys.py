"""server.commands.keys in process: what each command logs (the AOF form), how many
changes it counts (dirty), and value copying. Replies are covered over TCP in
tests/blackbox/test_keys.py and against redis-server in tests/differential.
"""

from __future__ import annotations

import pytest

from protocol.replies import SimpleString
from server.commands import ALL_GROUPS
from server.commands.keys import copy_value
from server.config import Config
from server.context import ClientState, CommandContext
from server.executor import Executor
from server.registry import Registry
from server.state import ServerState
from server.writes import WriteRecord, collector


class Harness:
    def __init__(self) -> None:
        self.server = ServerState(Config(), Registry(ALL_GROUPS))
        self.executor = Executor(self.server)
        self.ctx = CommandContext(self.server, ClientState())
        self.records: list[WriteRecord] = []
        self.server.keyspace.writes.subscribe(collector(self.records))

    def __call__(self, *args: object) -> object:
        argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        return self.executor.execute(self.ctx, argv)

    def logged(self) -> list[list[bytes]]:
        found = [record.argv for record in self.records]
        self.records.clear()
        return found

    @property
    def dirty(self) -> int:
        return self.server.keyspace.dirty

    @property
    def now_ms(self) -> int:
        return self.server.keyspace.clock.ms


@pytest.fixture
def run() -> Harness:
    return Harness()


@pytest.mark.parametrize("command, amount, scale", [
    ("EXPIRE", 100, 1000), ("PEXPIRE", 100_000, 1),
])
def test_relative_expire_is_logged_as_absolute_pexpireat(run, command, amount, scale):
    run("SET", "k", "v")
    run.logged()
    assert run(command, "k", amount) == 1
    (logged,) = run.logged()
    assert logged[:2] == [b"PEXPIREAT", b"k"]
    assert int(logged[2]) == run.now_ms + amount * scale


def test_expireat_is_logged_in_milliseconds_and_keeps_its_options(run):
    run("SET", "k", "v")
    run.logged()
    assert run("EXPIREAT", "k", 4_000_000_000, "nx") == 1
    assert run.logged() == [[b"PEXPIREAT", b"k", b"4000000000000", b"nx"]]


def test_pexpireat_is_logged_as_sent(run):
    run("SET", "k", "v")
    run.logged()
    run("pexpireat", "k", 4_000_000_000_000)
    assert run.logged() == [[b"pexpireat", b"k", b"4000000000000"]]


@pytest.mark.parametrize("command", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_deadline_in_the_past_is_logged_as_del(run, command):
    run("SET", "k", "v")
    run.logged()
    dirty = run.dirty
    assert run(command, "k", -1) == 1
    assert run.logged() == [[b"DEL", b"k"]]
    assert run.dirty == dirty + 1


def test_past_deadline_while_loading_keeps_the_key_until_it_expires(run):
    run("SET", "k", "v")
    run.server.is_loading = True
    assert run.executor.replay(run.ctx, [b"PEXPIREAT", b"k", b"1"]) == 1
    assert b"k" in run.ctx.db.data
    run.server.is_loading = False
    run.logged()
    assert run("EXISTS", "k") == 0
    assert run.logged() == [[b"DEL", b"k"]]


@pytest.mark.parametrize("args", [
    ("EXPIRE", "missing", 100),
    ("EXPIRE", "k", 100, "XX"),
    ("PERSIST", "k"),
    ("DEL", "missing"),
    ("UNLINK", "missing"),
    ("RENAME", "k", "k"),
    ("RENAMENX", "k", "k"),
    ("COPY", "missing", "x"),
    ("MOVE", "missing", 1),
    ("EXISTS", "k"),
    ("TOUCH", "k"),
    ("TTL", "k"),
    ("SCAN", 0),
    ("KEYS", "*"),
    ("OBJECT", "ENCODING", "k"),
])
def test_commands_that_change_nothing_log_nothing(run, args):
    run("SET", "k", "v")
    run.logged()
    dirty = run.dirty
    run(*args)
    assert run.logged() == []
    assert run.dirty == dirty


@pytest.mark.parametrize("args", [
    ("DEL", "a", "b", "missing"),
    ("UNLINK", "a", "b"),
    ("RENAME", "a", "c"),
    ("RENAMENX", "a", "c"),
    ("COPY", "a", "b", "REPLACE"),
    ("COPY", "a", "x", "DB", "1"),
    ("MOVE", "a", "1"),
    ("PERSIST", "b"),
])
def test_effective_writes_are_logged_as_sent(run, args):
    run("SET", "a", 1)
    run("SET", "b", 2, "EX", 100)
    run.logged()
    run(*args)
    assert run.logged() == [[str(a).encode() for a in args]]


@pytest.mark.parametrize("args, changes", [
    (("DEL", "a", "b", "missing"), 2),
    (("RENAME", "a", "b"), 1),
    (("RENAMENX", "a", "c"), 1),
    (("COPY", "a", "b", "REPLACE"), 1),
    (("MOVE", "a", "1"), 1),
    (("EXPIRE", "a", 100), 1),
    (("EXPIRE", "a", 0), 1),
])
def test_dirty_counts_changes_as_redis_does(run, args, changes):
    run("SET", "a", 1)
    run("SET", "b", 2)
    dirty = run.dirty
    run(*args)
    assert run.dirty == dirty + changes


def test_expired_key_met_by_a_read_is_logged_as_del(run):
    run("SET", "k", "v", "PX", 1)
    run.ctx.db.expires[b"k"] = run.now_ms - 1
    run.logged()
    assert run("EXISTS", "k") == 0
    assert run.logged() == [[b"DEL", b"k"]]


def test_copy_of_a_string_modified_in_place_is_independent(run):
    run.ctx.db.set(b"src", bytearray(b"abc"))
    assert run("COPY", "src", "dst") == 1
    run.ctx.db.data[b"src"] += b"def"
    assert run.ctx.db.data[b"dst"] == bytearray(b"abc")


def test_copy_value_copies_mutable_values_only():
    immutable = b"abc"
    assert copy_value(immutable) is immutable
    for value in (bytearray(b"x"), {b"f": b"v"}, {b"m"}, [b"a"]):
        copied = copy_value(value)
        assert copied == value and copied is not value


def test_object_refcount_stops_sharing_integers_under_lru_maxmemory(run):
    run("SET", "k", 5)
    assert run("OBJECT", "REFCOUNT", "k") == 2**31 - 1
    run.server.config.values["maxmemory"] = 1 << 30
    run.server.config.values["maxmemory-policy"] = "allkeys-lru"
    assert run("OBJECT", "REFCOUNT", "k") == 1


def test_object_freq_reports_the_lfu_counter_under_an_lfu_policy(run):
    run.server.config.set_many([("maxmemory-policy", "allkeys-lfu")])
    run("SET", "k", "v")
    assert run("OBJECT", "FREQ", "k") == 5  # LFU_INIT_VAL
    run.server.config.set_many([("lfu-log-factor", "0")])  # every access counts
    for _ in range(10):
        run("GET", "k")
    assert run("OBJECT", "FREQ", "k") == 15
    assert run("OBJECT", "FREQ", "missing") is None
    assert run("OBJECT", "IDLETIME", "k").message.startswith(
        "ERR An LFU maxmemory policy is selected, idle time not tracked.")


def test_object_idletime_counts_from_the_last_access_not_from_object_or_ttl(run):
    keyspace = run.server.keyspace
    run("SET", "k", "v")
    keyspace.lru_clock += 7  # seven seconds pass
    assert run("OBJECT", "IDLETIME", "k") == 7
    assert run("TTL", "k") == -1 and run("TYPE", "k") == SimpleString(b"string")
    assert run("EXISTS", "k") == 1
    assert run("OBJECT", "IDLETIME", "k") == 7
    assert run("GET", "k") == b"v"
    assert run("OBJECT", "IDLETIME", "k") == 0
    keyspace.lru_clock += 3
    assert run("TOUCH", "k") == 1
    assert run("OBJECT", "IDLETIME", "k") == 0
    assert run("OBJECT", "FREQ", "k").message.startswith(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked.")

