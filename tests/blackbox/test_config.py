"""CONFIG GET/SET/RESETSTAT/REWRITE/HELP, config files and the command line, checked
against Debian's redis-server 7.0.15: the same requests go to both and the replies
(error texts included) must be identical, except where a test says why not.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import hiredis
import pytest
import redis

from tests.servers import KINDS, ROOT, ServerProcess, free_port, server_of_kind, started_pair
from tests.wire import pack, pipeline_replies, replies_to, reply_to, send_until_closed


# ------------------------------------------------------------------ helpers

def same_reply(ember: ServerProcess, real: ServerProcess, *args: Any) -> Any:
    """The reply to one command, which EmberKV and redis-server must give alike
    (errors as hiredis.ReplyError values, compared by text)."""
    ours, theirs = reply_to(ember.port, *args), reply_to(real.port, *args)
    assert type(ours) is type(theirs) and str(ours) == str(theirs) and (
        isinstance(ours, hiredis.ReplyError) or ours == theirs), (args, ours, theirs)
    return ours


@pytest.fixture
def fresh_pair() -> Any:
    """A new EmberKV and a new redis-server with nothing changed yet."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    with started_pair() as pair:
        yield pair


# ------------------------------------------------------------------ CONFIG GET

@pytest.mark.needs_redis_server
def test_config_get_star_has_redis_names_and_defaults(fresh_pair) -> None:
    ember, real = fresh_pair
    ours = ember.client(decode_responses=True).config_get("*")
    theirs = real.client(decode_responses=True).config_get("*")
    # EmberKV's own directives (the bound on random-member replies, the snapshot mode
    # and archive) are the only extra names.
    assert sorted(set(ours) - set(theirs)) == [
        "rand-max-reply-size", "rdb-snapshot-mode", "snapshot-archive-dir",
        "snapshot-archive-keep", "snapshot-archive-max-age"]
    assert not set(theirs) - set(ours)
    ours = {name: value for name, value in ours.items() if name in theirs}
    # Set differently by tests/servers.py: each gets its own port and directory, and
    # redis-server is started with --save "" (EmberKV keeps Redis's default points).
    differing = {name for name in ours if ours[name] != theirs[name]}
    assert differing == {"port", "dir", "save"}
    assert ours["save"] == "3600 1 300 100 60 10000"


@pytest.mark.needs_redis_server
@pytest.mark.parametrize("protocol", [2, 3])
def test_config_get_reply_bytes_match_redis(fresh_pair, protocol: int) -> None:
    ember, real = fresh_pair
    for patterns in (["hz"], ["HZ", "hz"], ["maxmemory-policy", "nosuch"], ["nosuch"],
                     ["notify-keyspace-events"]):
        request = [("HELLO", protocol), ("CONFIG", "GET", *patterns)]
        ours = pipeline_replies(ember.port, *request)[1]
        assert ours == pipeline_replies(real.port, *request)[1], patterns
    assert pipeline_replies(ember.port, ("HELLO", 3), ("CONFIG", "GET", "hz"))[1] == (
        b"%1\r\n$2\r\nhz\r\n$2\r\n10\r\n")


@pytest.mark.needs_redis_server
def test_config_get_patterns_match_redis(fresh_pair) -> None:
    ember, real = fresh_pair
    for patterns in (["slave*", "hz"], ["maxmemory*"], ["*-max-*-entries"], ["h?"],
                     ["[h]z"], ["*ZIPLIST*"]):
        ours = ember.client(decode_responses=True).config_get(*patterns)
        theirs = real.client(decode_responses=True).config_get(*patterns)
        assert ours == theirs, patterns


# ------------------------------------------------------------------ CONFIG SET errors

SET_ERRORS = [
    ("CONFIG", "SET", "foo", "bar"),
    ("CONFIG", "SET", "maxclients"),
    ("CONFIG", "SET", "a", "b", "c"),
    ("CONFIG", "SET", "maxclients", "10", "maxclients", "20"),
    ("CONFIG", "SET", "hz", "10", "HZ", "11"),
    ("CONFIG", "SET", "port", "7391x"),
    ("CONFIG", "SET", "daemonize", "yes"),
    ("CONFIG", "SET", "daemonize", "yes", "foo", "1"),
    ("CONFIG", "SET", "hz", "10", "foo", "1", "daemonize", "yes"),
    ("CONFIG", "SET", "hz", "abc"),
    ("CONFIG", "SET", "hz", "-1"),
    ("CONFIG", "SET", "hz", "+5"),
    ("CONFIG", "SET", "maxmemory", "1zb"),
    ("CONFIG", "SET", "maxmemory", "-1"),
    ("CONFIG", "SET", "loglevel", "foo"),
    ("CONFIG", "SET", "appendfsync", "foo"),
    ("CONFIG", "SET", "timeout", "-1"),
    ("CONFIG", "SET", "save", "abc"),
    ("CONFIG", "SET", "save", "10"),
    ("CONFIG", "SET", "save", "1  2"),
    ("CONFIG", "SET", "maxclients", "0"),
    ("CONFIG", "SET", "maxclients", "100000000"),
    ("CONFIG", "SET", "slowlog-max-len", "-1"),
    ("CONFIG", "SET", "slowlog-log-slower-than", "-5"),
    ("CONFIG", "SET", "protected-mode", "maybe"),
    ("CONFIG", "SET", "notify-keyspace-events", "Q"),
    ("CONFIG", "SET", "databases", "3"),
    ("CONFIG", "SET", "proto-max-bulk-len", "10"),
    ("CONFIG", "SET", "client-query-buffer-limit", "10"),
    ("CONFIG", "SET", "oom-score-adj-values", "1 2"),
    ("CONFIG", "SET", "oom-score-adj", "foo"),
    ("CONFIG", "SET", "hz", "20", "maxclients", "abc"),
    ("CONFIG", "SET", "enable-debug-command", "yes"),
    ("CONFIG", "SET", "unixsocketperm", "700"),
    ("CONFIG", "SET", "client-output-buffer-limit", "normal 1 2"),
    ("CONFIG", "SET", "client-output-buffer-limit", "master 1 2 3"),
    ("CONFIG", "SET", "io-threads", "2"),
    ("CONFIG", "SET", "dir", "/nonexistent"),
    ("CONFIG", "SET", "dbfilename", "x.rdb"),
    ("CONFIG", "SET", "latency-tracking-info-percentiles", "50 200"),
    ("CONFIG", "SET", "maxmemory-clients", "200%"),
    ("CONFIG", "SET", "slave-read-only", "maybe"),
    ("CONFIG", "SET", "SLAVE-READ-ONLY", "maybe"),
    ("CONFIG", "SET", "shutdown-on-sigterm", "save nosave"),
    ("CONFIG", "SET", "shutdown-on-sigterm", ""),
    ("CONFIG", "SET", "replicaof", "no one"),
    ("CONFIG", "SET", "bind", "192.0.2.254"),
    ("CONFIG", "GET"),
    ("CONFIG",),
    ("CONFIG", "foo"),
    ("CONFIG", "REWRITE"),
    ("CONFIG", "RESETSTAT", "x"),
    ("CONFIG", "HELP", "x"),
]


@pytest.mark.needs_redis_server
@pytest.mark.parametrize("args", SET_ERRORS, ids=" ".join)
def test_config_errors_match_redis(ember, real_redis, args) -> None:
    reply = same_reply(ember, real_redis, *args)
    assert isinstance(reply, hiredis.ReplyError)


@pytest.mark.needs_redis_server
def test_config_help_matches_redis(ember, real_redis) -> None:
    assert len(same_reply(ember, real_redis, "CONFIG", "HELP")) == 11


# ------------------------------------------------------------------ CONFIG SET values

@pytest.mark.needs_redis_server
def test_config_set_then_get_matches_redis(fresh_pair) -> None:
    ember, real = fresh_pair
    cases = [
        ("hz", "1000"), ("hz", "0"), ("maxmemory", "1KB"), ("maxmemory", ""),
        ("appendfsync", "ALWAYS"), ("notify-keyspace-events", "KEA"),
        ("notify-keyspace-events", "Kx$"), ("notify-keyspace-events", "An"),
        ("oom-score-adj", "relative"), ("maxmemory-clients", "10%"),
        ("shutdown-on-sigterm", "force now"), ("save", "100 10 200 20"), ("save", ""),
        ("client-output-buffer-limit", "normal 1mb 2mb 3"),
        ("client-output-buffer-limit", "replica 1 2 3"),
        ("latency-tracking-info-percentiles", "50.5 99"), ("loglevel", "WARNING"),
        ("list-max-ziplist-size", "-7"), ("slave-priority", "7"), ("lua-time-limit", "9"),
    ]
    for name, value in cases:
        for server in (ember, real):
            assert reply_to(server.port, "CONFIG", "SET", name, value) == b"OK", (name, value)
        same_reply(ember, real, "CONFIG", "GET", name)


def test_config_set_is_atomic(r) -> None:
    before = r.config_get("hz")["hz"]
    with pytest.raises(redis.ResponseError):
        r.execute_command("CONFIG", "SET", "hz", "20", "maxclients", "abc")
    assert r.config_get("hz")["hz"] == before


# ------------------------------------------------------------------ runtime effects

def test_maxclients_applies_to_new_connections() -> None:
    with ServerProcess("emberkv") as server:
        first = server.client()
        first.config_set("maxclients", 2)
        second = server.client()
        assert second.ping()
        third = server.client()
        with pytest.raises(redis.ConnectionError, match="max number of clients reached"):
            third.ping()
        first.config_set("maxclients", 10)
        assert server.client().ping()


def test_timeout_closes_idle_clients_and_loglevel_verbose_shows_it() -> None:
    with ServerProcess("emberkv") as server:
        admin = server.client()
        admin.config_set("loglevel", "verbose")
        idle = server.client()
        idle.ping()
        admin.config_set("timeout", 1)
        deadline = time.monotonic() + 5
        while "Closing idle client" not in server.log_text() and time.monotonic() < deadline:
            time.sleep(0.1)
            admin.ping()
        assert "Closing idle client" in server.log_text()
        assert admin.config_get("timeout") == {"timeout": "1"}


def test_loglevel_warning_hides_notice_lines(tmp_path) -> None:
    pidfile = tmp_path / "x.pid"
    with ServerProcess("emberkv", args=["--pidfile", str(pidfile)]) as server:
        client = server.client()
        client.config_set("loglevel", "warning")
        client.execute_command("CONFIG", "SET", "timeout", "0")
        client.shutdown(nosave=True)
        server.process.wait(10)
        after = server.log_text().split("User requested shutdown...")[-1]
        assert "ready to exit" in after
        assert "Removing the pid file" not in after


@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "logfile"])
def test_log_lines_quoting_odd_bytes_are_written_escaped(tmp_path, to_file: bool) -> None:
    # A protocol error quotes the offending byte; at loglevel verbose it is logged.
    logfile = tmp_path / "odd.log"
    args = ["--loglevel", "verbose"] + (["--logfile", str(logfile)] if to_file else [])
    with ServerProcess("emberkv", args=args) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"*1\r\n\xff\r\n")
            assert sock.recv(100) == b"-ERR Protocol error: expected '$', got '\xff'\r\n"
        assert server.client(protocol=2).ping()
        text = logfile.read_text() if to_file else server.log_text()
    assert "Traceback" not in text and "Logging error" not in text
    assert "Protocol error (Protocol error: expected '$', got '\\udcff')" in text


def test_requirepass_applies_to_new_connections_and_is_redacted() -> None:
    with ServerProcess("emberkv") as server:
        admin = server.client()
        admin.slowlog_reset()
        admin.config_set("slowlog-log-slower-than", 0)
        admin.config_set("requirepass", "s3cret")
        assert admin.ping()  # already authenticated connections stay so
        with pytest.raises(redis.AuthenticationError):
            server.client().ping()
        assert server.client(password="s3cret").ping()
        entries = server.client(password="s3cret").slowlog_get(128)
        config_sets = [e["command"] for e in entries if e["command"].startswith(b"CONFIG SET requirepass")]
        assert config_sets == [b"CONFIG SET requirepass (redacted)"]


def test_slowlog_settings_apply_at_once(r) -> None:
    try:
        r.config_set("slowlog-log-slower-than", -1)
        r.slowlog_reset()
        r.ping()
        assert r.slowlog_len() == 0
        r.config_set("slowlog-log-slower-than", 0)
        r.config_set("slowlog-max-len", 2)
        for _ in range(5):
            r.ping()
        assert r.slowlog_len() == 2
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
        r.config_set("slowlog-max-len", 128)
        r.slowlog_reset()


@pytest.mark.parametrize("kind", KINDS)
def test_proto_max_bulk_len_applies_to_new_connections(
    request: pytest.FixtureRequest, kind: str
) -> None:
    with server_of_kind(request, kind) as server:
        server.client(protocol=2).config_set("proto-max-bulk-len", 1024 * 1024)
        data = pack("SET", "k", b"x" * (1024 * 1024 + 1))
        # The error is answered at the length line; the payload behind it is unread.
        assert send_until_closed(server.port, data, timeout_s=10) == (
            b"-ERR Protocol error: invalid bulk length\r\n", True)
        assert server.client(protocol=2).set("k", b"x" * 1024 * 1024)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("extra_mb, before, answered", [
    (0, b"", b""),
    (8, b"", b""),
    # Requests completed before the buffer overflows are answered first.
    (0, b"PING\r\n*1\r\n$4\r\nECHO\r\n",
     b"+PONG\r\n-ERR wrong number of arguments for 'echo' command\r\n"),
], ids=["just-over", "still-sending", "after-requests"])
def test_client_query_buffer_limit_applies_to_new_connections(
    request: pytest.FixtureRequest, kind: str, extra_mb: int, before: bytes, answered: bytes
) -> None:
    with server_of_kind(request, kind) as server:
        admin = server.client(protocol=2)
        admin.config_set("client-query-buffer-limit", 1024 * 1024)
        # A bulk that would fit proto-max-bulk-len but not the query buffer; with
        # "still-sending" the client is far from done when the server gives up.
        payload = b"x" * (1_100_000 + extra_mb * 1024 * 1024)
        data = before + b"*2\r\n$3\r\nGET\r\n$%d\r\n" % (len(payload) + 2_000_000) + payload
        # Redis closes without a reply of its own (readQueryFromClient, freeClientAsync).
        assert send_until_closed(server.port, data, timeout_s=10) == (answered, True)
        assert admin.ping() is True
        deadline = time.monotonic() + 5
        while "max query buffer" not in server.log_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "Closing client that reached max query buffer length" in server.log_text()


def test_hz_is_reported_clamped(r) -> None:
    try:
        r.config_set("hz", 1000)
        assert r.config_get("hz") == {"hz": "500"}
        assert (r.info("server")["hz"], r.info("server")["configured_hz"]) == (500, 500)
    finally:
        r.config_set("hz", 10)


def _outside_address() -> str | None:
    """A non-loopback local IPv4 address, to reach the server as a remote client."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_protected_mode_refuses_remote_clients_until_disabled() -> None:
    address = _outside_address()
    if address is None:
        pytest.skip("no non-loopback address to connect from")
    with ServerProcess("emberkv", args=["--bind", f"127.0.0.1 {address}"]) as server:
        remote = redis.Redis(host=address, port=server.port, socket_timeout=5)
        with pytest.raises(redis.ResponseError, match="DENIED Redis is running in protected mode"):
            remote.ping()
        server.client().config_set("protected-mode", "no")
        assert redis.Redis(host=address, port=server.port, socket_timeout=5).ping()


def test_config_set_port_moves_the_listener() -> None:
    with ServerProcess("emberkv") as server:
        new_port = free_port()
        client = server.client()
        assert client.config_set("port", new_port)
        moved = redis.Redis(port=new_port, socket_timeout=5)
        assert moved.ping()
        assert moved.config_get("port") == {"port": str(new_port)}
        with pytest.raises(redis.ConnectionError):
            redis.Redis(port=server.port, socket_timeout=2).ping()
        with pytest.raises(redis.ResponseError, match="Failed to bind to specified addresses"):
            moved.config_set("bind", "192.0.2.254")
        assert redis.Redis(port=new_port, socket_timeout=5).ping()
        assert moved.config_get("bind") == {"bind": "127.0.0.1"}
        server.port = new_port  # so cleanup stops the right server


def test_protected_config_needs_enable_protected_configs(tmp_path) -> None:
    with ServerProcess("emberkv", args=["--enable-protected-configs", "yes"]) as server:
        client = server.client()
        assert client.config_set("dir", str(tmp_path))
        assert client.config_get("dir") == {"dir": os.path.realpath(tmp_path)}


# ------------------------------------------------------------------ CONFIG RESETSTAT

@pytest.mark.needs_redis_server
def test_config_resetstat_resets_what_redis_resets(both) -> None:
    both.set("a", 1)
    both.get("a")
    both.get("missing")
    with pytest.raises(redis.ResponseError):
        both.execute_command("NOSUCH")
    both.config_set("slowlog-log-slower-than", 0)
    try:
        both.ping()
        assert both.slowlog_len() > 0
        assert both.config_resetstat()
        stats = both.info("stats")
        assert (stats["keyspace_hits"], stats["keyspace_misses"], stats["total_error_replies"],
                stats["total_connections_received"], stats["rejected_connections"]) == (
            0, 0, 0, 0, 0)
        assert stats["total_commands_processed"] == 1  # the INFO itself is not counted yet
        assert both.info("errorstats") == {}
        assert set(both.info("commandstats")) == {"cmdstat_config|resetstat", "cmdstat_info"}
        assert both.slowlog_len() > 0  # the slow log is kept
    finally:
        both.config_set("slowlog-log-slower-than", 10000)
        both.slowlog_reset()


# ------------------------------------------------------------------ CONFIG REWRITE

REWRITE_START = ("# my comment\nhz 20\nmaxclients 50\nmaxclients 60\nslaveof no one\n"
                 "save 100 1\n\n\n# tail\nmaxmemory 1mb\n")
REWRITE_SETS = [("hz", "10"), ("slave-read-only", "no"), ("maxmemory", "3mb"),
                ("save", "5 5 10 10"), ("notify-keyspace-events", "Ex"),
                ("client-output-buffer-limit", "replica 1mb 2mb 3"),
                ("oom-score-adj-values", "1 2 3"), ("requirepass", 'p w"x')]


def _rewritten(kind: str, tmp_path: Path) -> list[str]:
    directory = tmp_path / kind
    directory.mkdir()
    path = directory / "redis.conf"
    path.write_text(REWRITE_START)
    with ServerProcess(kind, directory=str(directory), config_file=str(path)) as server:
        port = server.port
        for name, value in REWRITE_SETS:
            assert reply_to(port, "CONFIG", "SET", name, value) == b"OK"
        assert reply_to(port, "AUTH", 'p w"x') == b"OK"
        assert replies_to(port, ("AUTH", 'p w"x'), ("CONFIG", "REWRITE")) == [b"OK", b"OK"]
        assert "CONFIG REWRITE executed with success." in server.log_text()
        server.client(password='p w"x').shutdown(nosave=True)
    # Each server has its own port and directory (given on the command line).
    return [("port P" if line == f"port {port}" else
             'dir "D"' if line.startswith("dir ") else line)
            for line in path.read_text().split("\n")]


@pytest.mark.needs_redis_server
def test_config_rewrite_produces_the_lines_redis_writes(tmp_path) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    ours = _rewritten("emberkv", tmp_path)
    theirs = _rewritten("redis", tmp_path)
    # Both write the ACL view of the default user (its password follows requirepass);
    # Redis appends new lines in hash-table order, so the generated part compares as a set.
    assert any(line.startswith("user default on #") for line in ours)
    cut = ours.index("# Generated by CONFIG REWRITE")
    assert ours[:cut] == theirs[:theirs.index("# Generated by CONFIG REWRITE")]
    assert sorted(ours[cut:]) == sorted(theirs[theirs.index("# Generated by CONFIG REWRITE"):])


def test_config_rewrite_round_trip_restarts_with_the_new_values(tmp_path) -> None:
    path = tmp_path / "redis.conf"
    path.write_text("# keep me\nhz 20\n")
    with ServerProcess("emberkv", directory=str(tmp_path), config_file=str(path)) as server:
        client = server.client(decode_responses=True)
        client.config_set("hz", 33)
        client.config_set("maxmemory", "5mb")
        client.config_set("notify-keyspace-events", "KEA")
        client.config_set("save", "60 5")
        assert client.config_rewrite()
        expected = client.config_get("*")
        client.shutdown(nosave=True)
    text = path.read_text()
    assert text.startswith("# keep me\nhz 33\n")
    with ServerProcess("emberkv", directory=str(tmp_path), config_file=str(path)) as server:
        again = server.client(decode_responses=True).config_get("*")
    assert {k: v for k, v in again.items() if k != "port"} == {
        k: v for k, v in expected.items() if k != "port"}


# ------------------------------------------------------------------ config files

def _fatal_output(command: list[str]) -> tuple[int, str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=str(ROOT),
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return done.returncode, done.stderr


BAD_CONFIGS = [
    "port 7392\nfoo bar\n",
    "port 7392\nmaxclients abc\n",
    "port 7392\nmaxclients\n",
    "port 7392\nport 7393 7394\n",
    'port 7392\nhz "unbalanced\n',
    "loglevel foo\n",
    "daemonize maybe\n",
    'save "abc"\n',
    "notify-keyspace-events Q\n",
    "   maxmemory 1zb   \n",
]


@pytest.mark.needs_redis_server
@pytest.mark.parametrize("text", BAD_CONFIGS)
def test_bad_config_file_exits_1_with_redis_report(tmp_path, text: str) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    path = tmp_path / "bad.conf"
    path.write_text(text)
    ours = _fatal_output([sys.executable, "-m", "server", str(path)])
    theirs = _fatal_output(["redis-server", str(path)])
    assert ours == theirs
    assert ours[0] == 1 and "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***" in ours[1]


@pytest.mark.needs_redis_server
def test_bad_command_line_option_is_reported_like_redis() -> None:
    args = ["--port", str(free_port()), "--foo", "bar"]
    ours = _fatal_output([sys.executable, "-m", "server", *args])
    theirs = _fatal_output(["redis-server", *args])
    assert ours == theirs == (1, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
                              "Reading the configuration file, at line 3\n"
                              ">>> 'foo \"bar\"'\nBad directive or wrong number of arguments\n")


def test_missing_config_file_exits_1() -> None:
    done = subprocess.run([sys.executable, "-m", "server", "/nonexistent.conf"],
                          capture_output=True, text=True, timeout=30, cwd=str(ROOT),
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 1
    assert done.stdout.endswith(
        "# Fatal error, can't open config file '/nonexistent.conf': "
        "No such file or directory\n")


DEBIAN_CONF = Path("/etc/redis/redis.conf")


@pytest.mark.skipif(not DEBIAN_CONF.exists(), reason="Debian's redis.conf is not installed")
def test_debian_stock_redis_conf_loads(tmp_path) -> None:
    conf = tmp_path / "redis.conf"
    conf.write_text(DEBIAN_CONF.read_text())
    pidfile = tmp_path / "emberkv.pid"
    logfile = tmp_path / "emberkv-server.log"
    server = ServerProcess("emberkv", directory=str(tmp_path), config_file=str(conf), args=[
        "--daemonize", "no", "--pidfile", str(pidfile), "--logfile", str(logfile)])
    with server:
        client = server.client(decode_responses=True)
        got = client.config_get("*")
        assert pidfile.read_text() == f"{server.pid}\n"
        assert client.info("server")["config_file"] == str(conf)
        assert client.set("k", "v") and client.get("k") == "v"
        client.shutdown(nosave=True)
        assert server.process.wait(10) == 0
    assert not pidfile.exists()
    # Every directive of the stock file is taken at its stated value.
    for line in DEBIAN_CONF.read_text().splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        name = words[0]
        if name in ("port", "daemonize", "pidfile", "logfile", "dir", "bind",
                    "client-output-buffer-limit"):
            continue
        value = " ".join(words[1:]).strip('"')
        if name.endswith(("-size", "-bytes")) and value.endswith("mb"):
            value = str(int(value[:-2]) * 1024 * 1024)
        assert got[name] == value, name
    assert got["bind"] == "127.0.0.1"
    assert got["client-output-buffer-limit"] == (
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60")
    assert "Ready to accept connections" in logfile.read_text()


def test_daemonize_forks_and_writes_the_pid_file(tmp_path) -> None:
    port = free_port()
    pidfile = tmp_path / "d.pid"
    done = subprocess.run(
        [sys.executable, "-m", "server", "--port", str(port), "--bind", "127.0.0.1",
         "--daemonize", "yes", "--pidfile", str(pidfile), "--dir", str(tmp_path),
         "--logfile", str(tmp_path / "d.log")],
        cwd=str(ROOT), env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=30)
    assert done.returncode == 0
    deadline = time.monotonic() + 10
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(pidfile.read_text())
    try:
        client = redis.Redis(port=port, socket_timeout=5)
        for _ in range(100):
            try:
                assert client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        assert client.info("server")["process_id"] == pid
    finally:
        os.kill(pid, 15)
    deadline = time.monotonic() + 10
    while pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pidfile.exists()
