"""Snapshots as Redis takes them (persistence.md 3.4, 4): SAVE, BGSAVE in a forked
child, LASTSAVE, save points driven by the dirty counter, MISCONF after a failed
BGSAVE, SHUTDOWN SAVE|NOSAVE and SIGTERM, FLUSHALL with save points, DEBUG RELOAD,
and a BGSAVE child killed mid-write leaving the previous dump.rdb intact."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest
import redis

from persistence.rdb.reader import read_rdb
from tests.servers import ServerProcess

MISCONF = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           "persist to disk. Commands that may modify the data set are disabled, because this "
           "instance is configured to report errors during writes if RDB snapshotting fails "
           "(stop-writes-on-bgsave-error option). Please check the Redis logs for details "
           "about the RDB error.")


def dump_keys(directory: str) -> list[bytes]:
    keys, _ = read_rdb((Path(directory) / "dump.rdb").read_bytes())
    return sorted(k.key for k in keys)


def wait_for(condition, timeout_s: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_save_writes_dump_resets_dirty_and_lastsave() -> None:
    with ServerProcess("emberkv") as server:
        client = server.client()
        client.mset({"a": 1, "b": 2, "c": 3})
        assert client.info("persistence")["rdb_changes_since_last_save"] == 3
        assert client.save()
        info = client.info("persistence")
        assert info["rdb_changes_since_last_save"] == 0 and info["rdb_saves"] == 1
        assert client.lastsave().timestamp() == pytest.approx(time.time(), abs=5)
        assert dump_keys(server.dir) == [b"a", b"b", b"c"]
        assert not list(Path(server.dir).glob("temp-*.rdb"))


def test_bgsave_forks_and_the_cron_reaps_the_child() -> None:
    with ServerProcess("emberkv") as server:
        client = server.client()
        client.set("k", "v")
        assert client.bgsave()
        wait_for(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0
                 and (Path(server.dir) / "dump.rdb").exists())
        info = client.info("persistence")
        assert info["rdb_last_bgsave_status"] == "ok" and info["rdb_changes_since_last_save"] == 0
        assert info["rdb_last_bgsave_time_sec"] >= 0
        assert dump_keys(server.dir) == [b"k"]
        assert "Background saving terminated with success" in server.log_text()


def test_bgsave_schedule_syntax() -> None:
    with ServerProcess("emberkv") as server:
        client = server.client()
        with pytest.raises(redis.ResponseError, match="syntax error"):
            client.execute_command("BGSAVE", "NOW")
        # No other child runs, so SCHEDULE starts it at once, as Redis does.
        assert client.execute_command("BGSAVE", "SCHEDULE")
        wait_for(lambda: "Background saving started by pid" in server.log_text())


def test_save_point_fires_from_the_dirty_counter() -> None:
    with ServerProcess("emberkv", ["--save", "1 2"]) as server:
        client = server.client()
        assert client.config_get("save") == {"save": "1 2"}
        client.set("one", 1)
        time.sleep(1.5)
        assert not (Path(server.dir) / "dump.rdb").exists()  # 1 change < 2
        client.set("two", 2)
        wait_for(lambda: (Path(server.dir) / "dump.rdb").exists())
        assert "2 changes in 1 seconds. Saving..." in server.log_text()
        wait_for(lambda: client.info("persistence")["rdb_changes_since_last_save"] == 0)


def shutdown(server: ServerProcess, **options: bool) -> None:
    try:
        server.client().shutdown(**options)  # type: ignore[arg-type]
    except redis.ConnectionError:
        pass  # the server closes the connection instead of replying


def test_shutdown_nosave_and_save() -> None:
    server = ServerProcess("emberkv", ["--save", ""]).start()
    try:
        server.client().set("k", "v")
        shutdown(server, nosave=True)
        server.process.wait(10)  # type: ignore[union-attr]
        assert not (Path(server.dir) / "dump.rdb").exists()
        server.start()
        server.client().set("k", "v")
        shutdown(server, save=True)
        server.process.wait(10)  # type: ignore[union-attr]
        assert dump_keys(server.dir) == [b"k"]
    finally:
        server.cleanup()


def test_sigterm_saves_only_when_save_points_exist() -> None:
    with ServerProcess("emberkv") as server:  # default save points
        server.client().set("k", "v")
        assert server.stop(signal.SIGTERM) == 0
        assert dump_keys(server.dir) == [b"k"]
        assert "Saving the final RDB snapshot before exiting." in server.log_text()
        # The restart loads it.
        server.start()
        assert server.client().get("k") == b"v"
    with ServerProcess("emberkv", ["--save", ""]) as server:
        server.client().set("k", "v")
        server.stop(signal.SIGTERM)
        assert not (Path(server.dir) / "dump.rdb").exists()


def test_flushall_with_save_points_saves_and_resets_dirty() -> None:
    with ServerProcess("emberkv") as server:
        client = server.client()
        client.set("k", "v")
        client.flushall()
        assert client.info("persistence")["rdb_changes_since_last_save"] == 0
        assert dump_keys(server.dir) == []


def test_debug_reload_keeps_the_data() -> None:
    with ServerProcess("emberkv", ["--enable-debug-command", "yes"]) as server:
        client = server.client()
        client.rpush("l", "a", "b")
        client.hset("h", "f", "v")
        client.set("t", "v", ex=1000)
        assert client.execute_command("DEBUG", "RELOAD")
        assert client.lrange("l", 0, -1) == [b"a", b"b"] and client.hget("h", "f") == b"v"
        assert 0 < client.ttl("t") <= 1000
        assert client.dbsize() == 3


def test_debug_reload_noflush_merges_only_with_merge() -> None:
    with ServerProcess("emberkv", ["--enable-debug-command", "yes"]) as server:
        client = server.client()
        client.mset({f"key:{i}": f"saved-{i}" for i in range(2000)})
        client.set("t", "saved", ex=1000)
        client.save()
        client.set("key:7", "changed", ex=500)
        client.set("t", "changed")
        client.set("new", "kept")
        assert client.execute_command("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE")
        assert client.get("key:7") == b"saved-7" and client.ttl("key:7") == -1
        assert client.get("t") == b"saved" and 0 < client.ttl("t") <= 1000
        assert client.get("new") == b"kept" and client.dbsize() == 2002
        with pytest.raises(redis.ResponseError, match="Error trying to load the RDB dump"):
            client.execute_command("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH")
        assert "Duplicated key 'key:" in server.log_text()


def start_slow_bgsave(server: ServerProcess) -> int:
    """Fill enough keys that a BGSAVE takes a while; start one; return the child pid."""
    client = server.client()
    pipe = client.pipeline(transaction=False)
    for n in range(200_000):
        pipe.set(f"key:{n}", "x" * 30)
        if n % 10_000 == 0:
            pipe.execute()
    pipe.execute()
    client.bgsave()
    match = None
    deadline = time.monotonic() + 5
    while match is None and time.monotonic() < deadline:
        match = re.findall(r"Background saving started by pid (\d+)", server.log_text())
        time.sleep(0.01)
    assert match
    return int(match[-1])


@pytest.mark.slow
def test_kill_9_during_bgsave_keeps_the_old_dump_and_refuses_writes() -> None:
    with ServerProcess("emberkv") as server:
        client = server.client()
        client.set("old", "1")
        client.save()
        before = (Path(server.dir) / "dump.rdb").read_bytes()
        pid = start_slow_bgsave(server)
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0)
        assert (Path(server.dir) / "dump.rdb").read_bytes() == before
        assert not (Path(server.dir) / f"temp-{pid}.rdb").exists()
        assert client.info("persistence")["rdb_last_bgsave_status"] == "err"
        # stop-writes-on-bgsave-error: writes and PING refused, reads served.
        with pytest.raises(redis.ResponseError) as refused:
            client.set("new", "1")
        assert str(refused.value) == MISCONF
        assert client.get("old") == b"1"
        client.config_set("stop-writes-on-bgsave-error", "no")
        assert client.set("new", "1")
        client.config_set("stop-writes-on-bgsave-error", "yes")
        with pytest.raises(redis.ResponseError, match="MISCONF"):
            client.set("new", "2")
        assert client.save()  # a good save clears it
        assert client.set("new", "3")
        server.stop(signal.SIGKILL)


@pytest.mark.slow
def test_bgsave_memory_is_reported_as_cow_size() -> None:
    with ServerProcess("emberkv") as server:
        client = server.client()
        start_slow_bgsave(server)
        wait_for(lambda: client.info("persistence")["rdb_bgsave_in_progress"] == 0, 60)
        assert client.info("persistence")["rdb_last_cow_size"] > 0
        server.stop(signal.SIGKILL)
