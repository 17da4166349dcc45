"""Black-box AOF recovery: write, SIGKILL, restart, every acknowledged write present;
torn tails at startup; CONFIG SET appendonly at run time; write errors (MISCONF)."""

from __future__ import annotations

import select
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest
import redis

from persistence.aof.records import encode_command
from tests.persistence.helpers import aof_server, commands_in, start_failure, temp_dir
from tests.servers import ServerProcess, has_traceback, ping_reply

INCR_1 = Path("appendonlydir") / "appendonly.aof.1.incr.aof"


@pytest.fixture
def directory() -> Iterator[str]:
    path = temp_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def write_until_killed(server: ServerProcess, clients: int, kill_after_s: float) -> set[bytes]:
    """Several clients SET distinct keys; the server is SIGKILLed meanwhile. Returns
    the keys whose SET was acknowledged."""
    acknowledged: set[bytes] = set()
    lock = threading.Lock()

    def run(worker: int) -> None:
        client = server.client()
        for n in range(100_000):
            key = b"k:%d:%d" % (worker, n)
            try:
                client.set(key, b"v" * 50)
            except (redis.ConnectionError, redis.TimeoutError):
                return
            with lock:
                acknowledged.add(key)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(kill_after_s)
    server.kill()
    for thread in threads:
        thread.join()
    return acknowledged


def test_always_keeps_every_acknowledged_write_across_sigkill(directory: str) -> None:
    server = aof_server(directory, "--appendfsync", "always").start()
    acknowledged = write_until_killed(server, clients=4, kill_after_s=1.0)
    assert len(acknowledged) > 50
    restarted = aof_server(directory, "--appendfsync", "always").start()
    try:
        client = restarted.client()
        present = set(client.keys("k:*"))
        assert acknowledged <= present
        assert not has_traceback(restarted.log_text())
    finally:
        restarted.stop()


def test_everysec_keeps_writes_acknowledged_two_seconds_before_sigkill(directory: str) -> None:
    server = aof_server(directory).start()
    client = server.client()
    for n in range(300):
        client.set(f"early:{n}", n)
    client.set("with-ttl", "v", ex=1000)
    time.sleep(2.2)
    # Writes acknowledged in the last second may be lost: everysec promises no more
    # (a reply leaves even while its write is postponed behind a running fsync).
    write_until_killed(server, clients=2, kill_after_s=0.3)
    restarted = aof_server(directory).start()
    try:
        client = restarted.client()
        assert client.get("early:299") == b"299" and client.dbsize() >= 301
        assert 0 < client.ttl("with-ttl") <= 1000
    finally:
        restarted.stop()


def test_first_start_creates_the_redis_7_layout(directory: str) -> None:
    server = aof_server(directory).start()
    try:
        server.client().set("a", "1")
        info = server.client().info("persistence")
        assert info["aof_enabled"] == 1 and info["aof_last_write_status"] == "ok"
        assert info["aof_current_size"] == info["aof_base_size"] + (Path(directory) / INCR_1).stat().st_size
        assert info["aof_buffer_length"] == 0 and info["aof_delayed_fsync"] == 0
    finally:
        server.stop()
    aof_dir = Path(directory) / "appendonlydir"
    # aof-use-rdb-preamble yes (the default): the base is an RDB file, as Redis's.
    assert sorted(p.name for p in aof_dir.iterdir()) == [
        "appendonly.aof.1.base.rdb", "appendonly.aof.1.incr.aof", "appendonly.aof.manifest"]
    assert (aof_dir / "appendonly.aof.1.base.rdb").read_bytes().startswith(b"REDIS0010")
    assert (aof_dir / "appendonly.aof.manifest").read_bytes() == (
        b"file appendonly.aof.1.base.rdb seq 1 type b\n"
        b"file appendonly.aof.1.incr.aof seq 1 type i\n")
    assert commands_in(Path(directory) / INCR_1) == [[b"SELECT", b"0"], [b"SET", b"a", b"1"]]


def prepare_torn_tail(directory: str) -> int:
    """Five INCRs in the AOF, then half of a sixth; returns the good size."""
    server = aof_server(directory).start()
    for _ in range(5):
        server.client().incr("foo")
    server.stop()
    incr = Path(directory) / INCR_1
    good = incr.stat().st_size
    with open(incr, "ab") as stream:
        stream.write(encode_command([b"INCR", b"foo"])[:-3])
    return good


def test_torn_tail_is_truncated_when_allowed(directory: str) -> None:
    good = prepare_torn_tail(directory)
    server = aof_server(directory).start()
    try:
        assert server.client().get("foo") == b"5"
        assert f"Truncating the AOF appendonly.aof.1.incr.aof at offset {good}" in server.log_text()
        server.client().incr("foo")
    finally:
        server.stop()
    server = aof_server(directory).start()
    try:
        assert server.client().get("foo") == b"6"
    finally:
        server.stop()


def test_torn_tail_refuses_to_start_when_not_allowed(directory: str) -> None:
    good = prepare_torn_tail(directory)
    code, log = start_failure(directory, "--aof-load-truncated", "no")
    assert code == 1
    assert ("Unexpected end of file reading the append only file appendonly.aof.1.incr.aof "
            f"(the last complete command ends at offset {good})") in log


def prepare_zeroed_tail(directory: str, zeros: int) -> int:
    """Five INCRs, then `zeros` zero bytes, as a lost page cache leaves a file whose
    size was already on disk; returns the good size."""
    good = prepare_torn_tail(directory)
    incr = Path(directory) / INCR_1
    with open(incr, "r+b") as stream:
        stream.truncate(good)
        stream.seek(good)
        stream.write(bytes(zeros))
    return good


@pytest.mark.parametrize("zeros", [59, 4096])
def test_zeroed_tail_refuses_to_start_even_when_truncation_is_allowed(
        directory: str, zeros: int) -> None:
    # Zeros are not a torn write: cutting them away would drop acknowledged writes
    # without the operator deciding to (redis-check-aof --fix), as Redis refuses too.
    good = prepare_zeroed_tail(directory, zeros)
    code, log = start_failure(directory, "--aof-load-truncated", "yes")
    assert code == 1
    assert (f"Bad file format reading the append only file appendonly.aof.1.incr.aof "
            f"(offset {good}: expected '*', got b'\\x00')") in log
    assert not has_traceback(log)
    assert (Path(directory) / INCR_1).stat().st_size == good + zeros


@pytest.mark.needs_redis_server
def test_redis_server_also_refuses_a_zeroed_tail(directory: str) -> None:
    prepare_zeroed_tail(directory, 59)
    real = ServerProcess("redis", ["--appendonly", "yes", "--aof-load-truncated", "yes"],
                         directory=directory)
    real.start(wait=False)
    assert real.process is not None
    assert real.process.wait(15) == 1
    assert "Bad file format reading the append only file" in real.log_text()


def test_corrupt_manifest_refuses_to_start(directory: str) -> None:
    aof_server(directory).start().stop()
    (Path(directory) / "appendonlydir" / "appendonly.aof.manifest").write_bytes(
        b"file appendonly.aof.1.base.aof seq 1 type b\n\n")
    code, log = start_failure(directory)
    assert code == 1 and "FATAL AOF MANIFEST FILE ERROR" in log
    assert "Invalid AOF manifest file format" in log


def test_config_set_appendonly_writes_a_base_and_starts_logging(directory: str) -> None:
    server = ServerProcess("emberkv", ["--aof-use-rdb-preamble", "no"],
                           directory=directory).start()
    client = server.client()
    client.set("before", "1")
    client.set("ttl", "2", px=10_000_000)
    client.select(2)
    client.set("db2", "3")
    assert client.config_set("appendonly", "yes")
    client.set("after", "4")
    assert client.info("persistence")["aof_enabled"] == 1
    client.execute_command("SELECT", 0)
    client.set("after0", "5")
    server.kill()
    aof_dir = Path(directory) / "appendonlydir"
    base = commands_in(aof_dir / "appendonly.aof.1.base.aof")
    assert [b"SET", b"before", b"1"] in base and [b"SELECT", b"2"] in base
    assert any(argv[0] == b"PEXPIREAT" and argv[1] == b"ttl" for argv in base)
    restarted = aof_server(directory).start()
    try:
        client = restarted.client()
        assert client.mget("before", "ttl", "after0") == [b"1", b"2", b"5"]
        assert 0 < client.pttl("ttl") <= 10_000_000
        client.select(2)
        assert client.mget("db2", "after") == [b"3", b"4"]
        assert client.config_set("appendonly", "no")
        assert client.info("persistence")["aof_enabled"] == 0
        client.set("not-logged", "x")
    finally:
        restarted.stop()
    assert not any(b"not-logged" in argv for argv in commands_in(aof_dir / "appendonly.aof.1.incr.aof"))


def test_write_errors_refuse_writes_with_misconf_until_the_disk_recovers(
        directory: str, monkeypatch: pytest.MonkeyPatch) -> None:
    control = Path(directory) / "faults"
    monkeypatch.setenv("EMBERKV_AOF_FAULTS", str(control))
    server = aof_server(directory).start()
    try:
        client = server.client()
        client.set("a", "1")
        control.write_text("short:10")
        client.set("b", "2")  # its write fails after the reply was decided, as Redis
        # (at once, unless an everysec fsync was running: then the write waits for it)
        deadline = time.monotonic() + 5
        while client.info("persistence")["aof_last_write_status"] != "err":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with pytest.raises(redis.ResponseError,
                           match="Errors writing to the AOF file: No space left on device"):
            client.set("c", "3")
        assert client.get("a") == b"1"  # reads keep working
        info = client.info("persistence")
        assert info["aof_last_write_status"] == "err" and info["aof_buffer_length"] > 0
        control.write_text("")
        deadline = time.monotonic() + 5
        while client.info("persistence")["aof_last_write_status"] != "ok":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        client.set("c", "3")
        assert "AOF write error looks solved" in server.log_text()
    finally:
        server.stop()
    # No partial record was left: the file reads back whole.
    assert commands_in(Path(directory) / INCR_1) == [
        [b"SELECT", b"0"], [b"SET", b"a", b"1"], [b"SET", b"b", b"2"], [b"SET", b"c", b"3"]]


def test_always_sends_no_reply_before_its_fsync(directory: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """fsync failing holds every reply, reads included (they may have seen the write),
    until an fsync succeeds; nothing is acknowledged that is not on disk."""
    control = Path(directory) / "faults"
    monkeypatch.setenv("EMBERKV_AOF_FAULTS", str(control))
    server = aof_server(directory, "--appendfsync", "always").start()
    writer = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    reader = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        control.write_text("fsync:EIO")
        writer.sendall(encode_command([b"SET", b"k", b"v"]))
        time.sleep(0.2)
        reader.sendall(encode_command([b"GET", b"k"]))
        for sock in (writer, reader):
            ready, _, _ = select.select([sock], [], [], 0.5)
            assert not ready, "a reply left before its write was fsynced"
        control.write_text("")
        assert writer.recv(100) == b"+OK\r\n"
        assert reader.recv(100) == b"$1\r\nv\r\n"
    finally:
        writer.close()
        reader.close()
        server.stop()


def test_clients_get_loading_while_a_large_aof_replays(directory: str) -> None:
    aof_dir = Path(directory) / "appendonlydir"
    aof_dir.mkdir()
    (aof_dir / "appendonly.aof.1.base.aof").write_bytes(b"")
    count = 150_000
    records = [encode_command([b"SELECT", b"0"])] + [
        encode_command([b"SET", b"key:%d" % n, b"value"]) for n in range(count)]
    (aof_dir / "appendonly.aof.1.incr.aof").write_bytes(b"".join(records))
    (aof_dir / "appendonly.aof.manifest").write_bytes(
        b"file appendonly.aof.1.base.aof seq 1 type b\n"
        b"file appendonly.aof.1.incr.aof seq 1 type i\n")
    server = aof_server(directory)
    server.start(wait=False)
    try:
        seen_loading = b""
        info = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            reply = ping_reply(server.port)
            if reply.startswith(b"-LOADING"):
                seen_loading = reply
                with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                    sock.sendall(b"INFO persistence\r\n")
                    time.sleep(0.05)
                    info = sock.recv(65536).decode()
            elif reply.startswith(b"+PONG"):
                break
            time.sleep(0.01)
        assert seen_loading == b"-LOADING Redis is loading the dataset in memory\r\n"
        if "loading:1" in info:
            assert f"loading_total_bytes:{sum(map(len, records))}" in info
            assert "loading_loaded_perc:" in info and "loading_eta_seconds:" in info
        assert server.client().dbsize() == count
    finally:
        server.stop()
