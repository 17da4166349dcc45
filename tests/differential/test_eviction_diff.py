"""maxmemory against the real redis-server 7.0.15, reply for reply: OBJECT FREQ and
IDLETIME under each kind of policy, RESTORE's IDLETIME and FREQ, the -OOM refusal
under a limit nothing fits in (maxmemory 1), inside and around MULTI/EXEC, and the
RDB IDLE/FREQ opcodes a save writes under an LRU or LFU policy.

Each test starts its own pair of servers: a one-byte limit would break any test
sharing them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from persistence.rdb.format import RdbOpcode
from tests.differential.test_strings_diff import Command, assert_same_replies
from tests.persistence.helpers import temp_dir
from tests.servers import ServerProcess, started_pair
from tests.wire import Connection, exchange

pytestmark = pytest.mark.needs_redis_server

OOM_REPLY = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


def test_object_freq_and_idletime_follow_the_policy() -> None:
    commands: list[Command] = [
        ("SET", "k", "v"), ("OBJECT", "FREQ", "k"), ("OBJECT", "IDLETIME", "k"),
        ("OBJECT", "IDLETIME", "missing"), ("OBJECT", "FREQ", "missing"),
        ("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"),
        ("CONFIG", "SET", "lfu-log-factor", "0"),
        ("SET", "new", "v"), ("OBJECT", "FREQ", "new"), ("GET", "new"), ("GET", "new"),
        ("OBJECT", "FREQ", "new"), ("TOUCH", "new"), ("OBJECT", "FREQ", "new"),
        ("EXISTS", "new"), ("TYPE", "new"), ("TTL", "new"), ("OBJECT", "FREQ", "new"),
        ("OBJECT", "IDLETIME", "new"), ("OBJECT", "IDLETIME", "missing"),
        ("CONFIG", "SET", "maxmemory-policy", "volatile-lru"),
        ("SET", "fresh", "v"), ("OBJECT", "IDLETIME", "fresh"), ("OBJECT", "FREQ", "fresh"),
        ("OBJECT", "HELP"),
    ]
    with started_pair() as (ember, real):
        start_early_in_a_second()
        assert_same_replies((ember.port, real.port), commands, protocol=2)


def start_early_in_a_second() -> None:
    """Wait until 0.15 s past a wall-clock second. Both servers read access clocks in
    whole seconds from a value their cron refreshes every 100 ms, so a SET and the
    OBJECT IDLETIME after it read the same second unless a second boundary falls
    between them; the few milliseconds both exchanges take then stay inside one."""
    fraction = time.time() % 1
    time.sleep((1.15 - fraction) % 1)


def test_restore_idletime_and_freq_under_each_policy() -> None:
    with started_pair() as (ember, real):
        ports = (ember.port, real.port)
        payloads = [exchange(port, [("SET", "src", "value"), ("DUMP", "src")])[1]
                    for port in ports]
        assert payloads[0] == payloads[1]
        payload = payloads[0].split(b"\r\n")[1]
        commands: list[Command] = [
            ("RESTORE", "idle", 0, payload, "IDLETIME", 5000), ("OBJECT", "IDLETIME", "idle"),
            ("RESTORE", "freq", 0, payload, "FREQ", 100), ("OBJECT", "IDLETIME", "freq"),
            ("RESTORE", "both", 0, payload, "IDLETIME", 1, "FREQ", 1),
            ("RESTORE", "bad", 0, payload, "FREQ", 256),
            ("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"),
            ("RESTORE", "lfu", 0, payload, "FREQ", 100), ("OBJECT", "FREQ", "lfu"),
            ("RESTORE", "lfu2", 0, payload, "IDLETIME", 100), ("OBJECT", "FREQ", "lfu2"),
        ]
        start_early_in_a_second()
        assert_same_replies(ports, commands, protocol=2)


def test_a_limit_nothing_fits_in_refuses_denyoom_commands_only() -> None:
    commands: list[Command] = [
        ("SET", "a", "1"), ("RPUSH", "l", "x", "y"), ("HSET", "h", "f", "v"),
        ("CONFIG", "SET", "maxmemory", "1"),
        ("SET", "b", "2"), ("INCR", "a"), ("APPEND", "a", "x"), ("LPUSH", "l", "z"),
        ("HSET", "h", "g", "w"), ("SADD", "s", "m"), ("PFADD", "p", "x"),
        ("GET", "a"), ("LRANGE", "l", 0, -1), ("LPOP", "l"), ("HDEL", "h", "f"),
        ("EXPIRE", "a", 100), ("PERSIST", "a"), ("DEL", "a"), ("DBSIZE",), ("PING",),
        ("INFO", "nosuchsection"),
        ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), ("SET", "c", "3"),
        ("DBSIZE",), ("CONFIG", "SET", "maxmemory", "0"), ("SET", "c", "3"), ("GET", "c"),
    ]
    with started_pair() as (ember, real):
        assert_same_replies((ember.port, real.port), commands, protocol=2)


def transaction_replies(port: int) -> list[bytes]:
    """MULTI on one connection while another sets and lifts the limit."""
    replies = []
    with Connection(port) as client, Connection(port) as admin:
        def run(connection: Connection, *args: object) -> None:
            replies.append(connection.request(args))
        run(client, "MULTI")
        run(client, "SET", "x", "1")
        run(admin, "CONFIG", "SET", "maxmemory", "1")
        run(client, "EXEC")  # holds a DENYOOM command: aborted
        run(client, "EXEC")
        run(client, "MULTI")
        run(client, "GET", "x")  # queueing itself is refused when full
        run(client, "PING")
        run(client, "DISCARD")
        run(admin, "CONFIG", "SET", "maxmemory", "0")
        run(client, "MULTI")
        run(client, "GET", "x")
        run(admin, "CONFIG", "SET", "maxmemory", "1")
        run(client, "EXEC")  # only reads: runs
        run(admin, "CONFIG", "SET", "maxmemory", "0")
    return replies


def test_transactions_under_a_full_memory() -> None:
    with started_pair() as (ember, real):
        ours, theirs = transaction_replies(ember.port), transaction_replies(real.port)
    assert ours == theirs
    assert OOM_REPLY in ours


def rdb_opcodes_before_key(path: str, key: bytes) -> set[int]:
    """Which of IDLE and FREQ appear in the record bytes just before `key`."""
    with open(path, "rb") as stream:
        data = stream.read()
    at = data.index(bytes((len(key),)) + key)
    window = data[max(0, at - 12):at]
    return {op for op in (RdbOpcode.IDLE, RdbOpcode.FREQ) if bytes((op,)) in window[:-1]}


def test_save_writes_idle_or_freq_as_the_policy_says() -> None:
    expected_by_policy = {
        "noeviction": set(), "allkeys-random": set(),
        "allkeys-lru": {RdbOpcode.IDLE}, "volatile-lfu": {RdbOpcode.FREQ},
    }
    with started_pair() as (ember, real):
        for policy, expected in expected_by_policy.items():
            for server in (ember, real):
                assert exchange(server.port, [
                    ("CONFIG", "SET", "maxmemory-policy", policy), ("SET", "somekey", "v"),
                    ("SAVE",)]) == [b"+OK\r\n"] * 3
                path = os.path.join(server.dir, "dump.rdb")
                found = rdb_opcodes_before_key(path, b"somekey")
                assert found == expected, (server.kind, policy)
                checked = subprocess.run(["redis-check-rdb", path], capture_output=True,
                                         text=True)
                assert checked.returncode == 0 and "RDB looks OK" in checked.stdout, (
                    checked.stdout)


@pytest.mark.parametrize("policy, query, given", [
    ("allkeys-lru", "IDLETIME", ("IDLETIME", 5000)), ("allkeys-lfu", "FREQ", ("FREQ", 42)),
])
def test_idle_time_and_frequency_survive_a_save_by_redis_and_a_load_by_emberkv(
        policy: str, query: str, given: tuple[str, int]) -> None:
    args = ["--maxmemory-policy", policy]
    directory = temp_dir()
    with started_pair(args) as (_, real):
        dumped = exchange(real.port, [("SET", "src", "v"), ("DUMP", "src")])[1]
        payload = dumped.split(b"\r\n")[1]
        assert exchange(real.port, [("RESTORE", "k", 0, payload, *given), ("SAVE",)]) == [
            b"+OK\r\n", b"+OK\r\n"]
        shutil.copy(os.path.join(real.dir, "dump.rdb"), os.path.join(directory, "dump.rdb"))
    with ServerProcess("emberkv", args, directory=directory) as loaded:
        reply = exchange(loaded.port, [("OBJECT", query, "k")])[0]
    value = int(reply[1:-2])
    assert given[1] <= value <= given[1] + 2 if query == "IDLETIME" else value == given[1]
