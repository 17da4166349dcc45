"""rdb-snapshot-mode forkless end to end: a BGSAVE written on the loop in slices holds
the dataset as it was when BGSAVE was answered, whatever clients change meanwhile
(overwrites, deletes, new keys, in-place pushes and HSETs, TTL changes, RENAME, MOVE,
evictions, FLUSHDB, SWAPDB); the file passes redis-check-rdb and loads into EmberKV
and Redis; FLUSHALL and SHUTDOWN stop it as they stop a BGSAVE child; a kill -9 during
it leaves the previous dump.rdb in place; INFO reports it as a BGSAVE."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import redis

from persistence.rdb.reader import read_rdb
from tests.persistence.helpers import plain_value
from tests.servers import ServerProcess
from tests.wire import pack, replies_to, send_until_closed

STRINGS = 60_000
AGGREGATES = 300
FAR_MS = int(time.time() * 1000) + 86_400_000
Dataset = dict[tuple[int, bytes], tuple[Any, int | None]]


def forkless_server(*args: str, directory: str | None = None) -> ServerProcess:
    return ServerProcess("emberkv", ["--save", "", "--rdb-snapshot-mode", "forkless", *args],
                         directory=directory)


def wait_for(condition, timeout_s: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def fill(server: ServerProcess, strings: int = STRINGS) -> Dataset:
    """Strings (some with a TTL) and aggregates of every type in db 0, strings in db 1
    and 2; returns what was written, as dump_contents() reads it back."""
    expected: Dataset = {}
    for db, count in ((0, strings), (1, 5000), (2, 2000)):
        client = server.client(db=db)
        pipe = client.pipeline(transaction=False)
        for start in range(0, count, 1000):
            pairs = {b"k%d" % n: b"v%d-%d" % (db, n)
                     for n in range(start, min(start + 1000, count))}
            pipe.mset(pairs)
            for key, value in pairs.items():
                expected[(db, key)] = (value, None)
        for n in range(0, count, 10):
            pipe.pexpireat(b"k%d" % n, FAR_MS + n)
            expected[(db, b"k%d" % n)] = (expected[(db, b"k%d" % n)][0], FAR_MS + n)
        if db == 0:
            for n in range(AGGREGATES):
                elements = [b"e%d" % i for i in range(n % 7 + 1)]
                pipe.rpush(b"list%d" % n, *elements)
                expected[(0, b"list%d" % n)] = (("list", elements), None)
                fields = {b"f%d" % i: b"%d" % (i * n) for i in range(n % 5 + 1)}
                pipe.hset(b"hash%d" % n, mapping=fields)
                expected[(0, b"hash%d" % n)] = (("hash", fields), None)
                pipe.sadd(b"set%d" % n, *elements)
                expected[(0, b"set%d" % n)] = (("set", set(elements)), None)
                scores = {element: float(i) / 2 for i, element in enumerate(elements)}
                pipe.zadd(b"zset%d" % n, scores)
                expected[(0, b"zset%d" % n)] = (("zset", scores), None)
        pipe.execute()
        client.close()
    return expected


def dump_contents(path: Path) -> Dataset:
    keys, _ = read_rdb(path.read_bytes())
    found: Dataset = {}
    for loaded in keys:
        name = (loaded.db_index, loaded.key)
        assert name not in found, f"{name} written twice"
        found[name] = (plain_value(loaded.value), loaded.expire_at_ms)
    return found


def check_rdb(path: Path) -> None:
    result = subprocess.run(["redis-check-rdb", str(path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "RDB looks OK" in result.stdout, result.stdout


def served_value(client: redis.Redis, key: bytes) -> Any:
    kind = client.type(key).decode()
    if kind == "string":
        return client.get(key)
    if kind == "list":
        return ("list", client.lrange(key, 0, -1))
    if kind == "hash":
        return ("hash", client.hgetall(key))
    if kind == "set":
        return ("set", client.smembers(key))
    if kind == "zset":
        return ("zset", dict(client.zrange(key, 0, -1, withscores=True)))
    return None


def check_loaded_by(kind: str, dump: Path, expected: Dataset, sample: list[tuple[int, bytes]]
                    ) -> None:
    """A server of `kind` started on a copy of dump serves what expected says: sizes
    per database, and the value and TTL of each sampled key."""
    directory = tempfile.mkdtemp(prefix=f"{kind}-forkless-load-")
    shutil.copy(dump, Path(directory) / "dump.rdb")
    try:
        args = ["--save", ""] if kind == "emberkv" else []
        with ServerProcess(kind, args, directory=directory) as server:
            for db in (0, 1, 2):
                client = server.client(db=db)
                assert client.dbsize() == sum(1 for index, _ in expected if index == db)
                client.close()
            for db, key in sample:
                client = server.client(db=db)
                value, at = expected.get((db, key), (None, None))
                assert served_value(client, key) == value, (kind, db, key)
                assert client.pexpiretime(key) == (at if at is not None
                                                   else -1 if value is not None else -2)
                client.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def change_while_running(client: redis.Redis, in_progress: str) -> list[bytes]:  # type: ignore[type-arg]
    """Waves of change_everything (the first was sent with the command that started
    the job) for as long as INFO persistence's `in_progress` field says the job runs;
    returns the keys they touch."""
    touched: list[bytes] = []
    waves = 1
    while client.info("persistence")[in_progress]:
        pipe = client.pipeline(transaction=False)
        touched += change_everything(pipe, waves)
        pipe.execute(raise_on_error=False)
        waves += 1
        assert waves < 10_000
    return touched


def change_everything(pipe: Any, wave: int) -> list[bytes]:
    """One wave of changes of every kind in db 0 (and a MOVE to db 1), queued on a
    pipeline; returns the keys it touches."""
    touched: list[bytes] = []
    step = STRINGS // 40
    for n in range(wave % step, STRINGS, step):
        key = b"k%d" % n
        touched.append(key)
        choice = (n // step) % 8
        if choice == 0:
            pipe.set(key, b"overwritten in wave %d" % wave)
        elif choice == 1:
            pipe.delete(key)
        elif choice == 2:
            pipe.append(key, b"+")
        elif choice == 3:
            pipe.expire(key, 5000)
        elif choice == 4:
            pipe.persist(key)
        elif choice == 5:
            pipe.rename(key, b"k%d" % (n + 1))
            touched.append(b"k%d" % (n + 1))
        elif choice == 6:
            pipe.move(key, 1)
        else:
            pipe.set(b"new-%d-%d" % (wave, n), b"created during the snapshot")
    for n in range(wave % 7, AGGREGATES, 7):
        pipe.rpush(b"list%d" % n, b"pushed")
        pipe.lpop(b"list%d" % (n + 1 if n + 1 < AGGREGATES else 0))
        pipe.hset(b"hash%d" % n, b"f0", b"changed")
        pipe.hdel(b"hash%d" % n, b"f1")
        pipe.sadd(b"set%d" % n, b"added")
        pipe.zincrby(b"zset%d" % n, 10, b"e0")
        pipe.delete(b"zset%d" % ((n * 3) % AGGREGATES))
        touched += [b"list%d" % n, b"hash%d" % n, b"set%d" % n, b"zset%d" % n]
    return touched


@pytest.mark.needs_redis_server
def test_bgsave_under_concurrent_writes_keeps_the_dataset_as_it_was_at_bgsave() -> None:
    with forkless_server() as server:
        expected = fill(server)
        client = server.client()
        # The first wave goes in the same write as BGSAVE, so it lands during the save;
        # more keep coming until the save ends, meeting keys it has written and keys
        # it has not reached yet.
        pipe = client.pipeline(transaction=False)
        pipe.bgsave()
        touched = change_everything(pipe, 0)
        pipe.info("persistence")
        replies = pipe.execute(raise_on_error=False)
        assert replies[0] is True and replies[-1]["rdb_bgsave_in_progress"] == 1
        touched += change_while_running(client, "rdb_bgsave_in_progress")
        info = client.info("persistence")
        assert info["rdb_last_bgsave_status"] == "ok" and info["rdb_saves"] == 1
        assert info["rdb_last_cow_size"] == 0
        # Changes made during the save remain to be saved, as with a child.
        assert info["rdb_changes_since_last_save"] > 0
        assert client.get(b"k0") == b"overwritten in wave 0"  # the changes did happen
        assert not list(Path(server.dir).glob("temp-*.rdb"))
        assert "Background saving terminated with success" in server.log_text()
        copied = re.search(r"Keys copied before a change during the save: (\d+)",
                           server.log_text())
        assert copied is not None and int(copied.group(1)) > 0
        kept = tempfile.mkdtemp(prefix="forkless-dump-")
        dump = Path(shutil.copy(Path(server.dir) / "dump.rdb", kept))
    assert dump_contents(dump) == expected
    check_rdb(dump)
    sample = sorted({(0, key) for key in touched[:400]}
                    | {(1, key) for key in touched[:100]}
                    | {(0, b"k%d" % n) for n in range(0, STRINGS, 997)})
    check_loaded_by("emberkv", dump, expected, sample)
    check_loaded_by("redis", dump, expected, sample)
    shutil.rmtree(kept, ignore_errors=True)


def test_flushdb_and_swapdb_during_the_save_do_not_reach_it() -> None:
    with forkless_server() as server:
        expected = fill(server)
        client = server.client()
        assert client.bgsave()
        pipe = client.pipeline(transaction=False)
        pipe.swapdb(0, 1)
        pipe.execute_command("SELECT", 1)
        pipe.set(b"k1", b"in the db swapped in")
        pipe.execute_command("SELECT", 2)
        pipe.flushdb()
        pipe.set(b"k2", b"after the flush")
        pipe.swapdb(1, 2)
        pipe.execute_command("SELECT", 0)
        pipe.flushdb()
        pipe.info("persistence")
        replies = pipe.execute()
        assert replies[-1]["rdb_bgsave_in_progress"] == 1
        wait_for(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0)
        assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"
        assert client.dbsize() == 0  # the flushes happened
        assert dump_contents(Path(server.dir) / "dump.rdb") == expected


def test_flushall_stops_the_save_as_it_kills_a_child() -> None:
    with forkless_server() as server:
        client = server.client()
        client.set("old", "1")
        assert client.save()
        before = (Path(server.dir) / "dump.rdb").read_bytes()
        fill(server, strings=20_000)
        # In one write: the FLUSHALL runs before the save's first slice.
        started, flushed, info_text = replies_to(server.port, ("BGSAVE",), ("FLUSHALL",),
                                                 ("INFO", "persistence"))
        assert (started, flushed) == (b"Background saving started", b"OK")
        assert b"rdb_bgsave_in_progress:0" in info_text
        assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"
        # Without save points nothing is saved: the previous dump stays.
        assert (Path(server.dir) / "dump.rdb").read_bytes() == before
        assert not list(Path(server.dir).glob("temp-*.rdb"))
        assert "Stopping the forkless background save" in server.log_text()
        # The next BGSAVE runs normally.
        client.set("after", "1")
        assert client.bgsave()
        wait_for(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0)
        assert dump_contents(Path(server.dir) / "dump.rdb") == {(0, b"after"): (b"1", None)}


def test_kill_9_during_the_save_leaves_the_previous_dump() -> None:
    server = forkless_server()
    with server:
        client = server.client()
        client.set("old", "1")
        assert client.save()
        before = (Path(server.dir) / "dump.rdb").read_bytes()
        fill(server)
        started, info_text = replies_to(server.port, ("BGSAVE",), ("INFO", "persistence"))
        assert started == b"Background saving started"
        assert b"rdb_bgsave_in_progress:1" in info_text
        os.kill(server.pid, signal.SIGKILL)
        server.process.wait()  # type: ignore[union-attr]
        assert (Path(server.dir) / "dump.rdb").read_bytes() == before
        # A restart loads the previous dump.
        restarted = forkless_server(directory=server.dir)
        with restarted:
            assert restarted.client().keys("*") == [b"old"]


def test_shutdown_during_the_save_stops_it_and_saves_in_the_foreground() -> None:
    with forkless_server() as server:
        expected = fill(server, strings=20_000)
        # In one write, so the save is still running when SHUTDOWN comes.
        replies, _ = send_until_closed(server.port, pack("BGSAVE")
                                       + pack("SET", "k5", "changed before shutdown")
                                       + pack("SHUTDOWN", "SAVE"))
        assert replies == b"+Background saving started\r\n+OK\r\n"
        expected[(0, b"k5")] = (b"changed before shutdown", None)
        server.process.wait(30)  # type: ignore[union-attr]
        assert server.process.returncode == 0  # type: ignore[union-attr]
        assert dump_contents(Path(server.dir) / "dump.rdb") == expected
        assert not list(Path(server.dir).glob("temp-*.rdb"))
        assert "Stopping the forkless background save" in server.log_text()


def test_info_bgsave_refusals_and_the_mode_switch() -> None:
    with ServerProcess("emberkv", ["--save", ""]) as server:
        client = server.client()
        assert client.config_get("rdb-snapshot-mode") == {"rdb-snapshot-mode": "fork"}
        with pytest.raises(redis.ResponseError, match="must be one of the following: fork, "
                                                      "forkless"):
            client.config_set("rdb-snapshot-mode", "threads")
        fill(server, strings=20_000)
        assert client.config_set("rdb-snapshot-mode", "forkless")
        started, info_text, again, save = replies_to(
            server.port, ("BGSAVE",), ("INFO", "persistence"), ("BGSAVE",), ("SAVE",))
        assert started == b"Background saving started"
        assert b"rdb_bgsave_in_progress:1" in info_text
        assert b"rdb_current_bgsave_time_sec:0" in info_text
        assert str(again) == str(save) == "ERR Background save already in progress"
        wait_for(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0)
        info = client.info("persistence")
        assert info["rdb_saves"] == 1 and info["rdb_last_bgsave_status"] == "ok"
        assert info["rdb_changes_since_last_save"] == 0
        assert info["rdb_last_bgsave_time_sec"] >= 0
        assert "Background saving started without a fork" in server.log_text()
        # Back to fork: the next BGSAVE forks a child.
        client.config_set("rdb-snapshot-mode", "fork")
        assert client.bgsave()
        wait_for(lambda: "Background saving started by pid" in server.log_text())



def test_save_points_take_the_forkless_path() -> None:
    with ServerProcess("emberkv", ["--save", "1 2", "--rdb-snapshot-mode", "forkless"]) as server:
        client = server.client()
        client.set("a", "1")
        client.set("b", "2")
        wait_for(lambda: (Path(server.dir) / "dump.rdb").exists()
                 and client.info("persistence")["rdb_bgsave_in_progress"] == 0, 15)
        assert "2 changes in 1 seconds. Saving..." in server.log_text()
        assert "Background saving started without a fork" in server.log_text()
        assert dump_contents(Path(server.dir) / "dump.rdb") == {
            (0, b"a"): (b"1", None), (0, b"b"): (b"2", None)}
        assert client.info("persistence")["rdb_changes_since_last_save"] == 0


def test_evictions_during_the_save_do_not_reach_it() -> None:
    with forkless_server("--maxmemory-policy", "allkeys-random") as server:
        expected = fill(server)
        client = server.client()
        # With maxmemory set, used_memory is the startup RSS plus the dataset's account
        # (without it, the RSS: half of that may lie below the startup RSS, where no
        # eviction can reach, and the last SETs got -OOM on a loaded machine).
        client.config_set("maxmemory", 1 << 40)
        memory = client.info("memory")
        startup = memory["used_memory_startup"]
        half_of_the_dataset = startup + (memory["used_memory"] - startup) // 2
        assert client.bgsave()
        pipe = client.pipeline(transaction=False)
        # Only now under the memory in use: each write evicts, while the save runs.
        pipe.config_set("maxmemory", half_of_the_dataset)
        for n in range(100):
            pipe.set(b"filler%d" % n, b"x" * 1000)
        pipe.info("persistence")
        pipe.info("stats")
        *_, persistence, stats = pipe.execute()
        assert persistence["rdb_bgsave_in_progress"] == 1
        assert stats["evicted_keys"] > 0
        wait_for(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0)
        assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"
        assert dump_contents(Path(server.dir) / "dump.rdb") == expected


def served_dataset(server: ServerProcess) -> dict[tuple[int, bytes], Any]:
    """Every key of databases 0-2 with its value and PEXPIRETIME, read in pipelines."""
    readers = {b"string": lambda pipe, key: pipe.get(key),
               b"list": lambda pipe, key: pipe.lrange(key, 0, -1),
               b"hash": lambda pipe, key: pipe.hgetall(key),
               b"set": lambda pipe, key: pipe.smembers(key),
               b"zset": lambda pipe, key: pipe.zrange(key, 0, -1, withscores=True)}
    found: dict[tuple[int, bytes], Any] = {}
    for db in (0, 1, 2):
        client = server.client(db=db)
        keys = client.keys("*")
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.type(key)
            pipe.pexpiretime(key)
        kinds = pipe.execute()
        pipe = client.pipeline(transaction=False)
        for index, key in enumerate(keys):
            readers[kinds[2 * index]](pipe, key)
        for key, kind, at, value in zip(keys, kinds[::2], kinds[1::2], pipe.execute()):
            found[(db, key)] = (kind, value, at)
        client.close()
    return found


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_aof_rewrite_base_under_concurrent_writes_replays_to_the_same_data(
        preamble: str) -> None:
    """Base (the view taken when the new incr file opened) plus that incr file must give
    the dataset exactly: a base holding a change the incr also logs would apply it
    twice (an RPUSH would push twice, an INCR count twice)."""
    server = forkless_server("--appendonly", "yes", "--aof-use-rdb-preamble", preamble)
    with server:
        fill(server, strings=10_000)
        client = server.client()
        pipe = client.pipeline(transaction=False)
        pipe.bgrewriteaof()
        touched = change_everything(pipe, 0)
        for n in range(0, 300, 3):
            pipe.incr(b"counter%d" % n)
            pipe.rpush(b"list%d" % n, b"pushed during the rewrite")
        pipe.info("persistence")
        replies = pipe.execute(raise_on_error=False)
        assert replies[-1]["aof_rewrite_in_progress"] == 1
        touched += change_while_running(client, "aof_rewrite_in_progress")
        info = client.info("persistence")
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert "Background append only file rewriting started without a fork" \
            in server.log_text()
        assert touched
        before = served_dataset(server)
        directory = server.dir
        server.stop()
        restarted = forkless_server("--appendonly", "yes", directory=directory)
        with restarted:
            assert served_dataset(restarted) == before
        base = list(Path(directory, "appendonlydir").glob("*.base.*"))
        assert len(base) == 1 and base[0].suffix == (".rdb" if preamble == "yes" else ".aof")


def test_a_rewrite_during_a_forkless_bgsave_is_scheduled_and_both_finish() -> None:
    with forkless_server("--appendonly", "yes") as server:
        expected = fill(server, strings=20_000)
        client = server.client()
        started, rewriting = replies_to(server.port, ("BGSAVE",), ("BGREWRITEAOF",))
        assert started == b"Background saving started"
        # As Redis with a BGSAVE child: the rewrite waits for the save to end.
        assert rewriting == b"Background append only file rewriting scheduled"
        wait_for(lambda: client.info("persistence")["aof_rewrites"] == 1
                 and client.info("persistence")["rdb_bgsave_in_progress"] == 0
                 and client.info("persistence")["aof_rewrite_in_progress"] == 0)
        info = client.info("persistence")
        assert info["rdb_last_bgsave_status"] == "ok"
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert "Background AOF rewrite finished successfully" in server.log_text()
        assert dump_contents(Path(server.dir) / "dump.rdb") == expected
