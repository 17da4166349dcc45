"""ACL files and ACL users at startup, black-box, each checked against redis-server 7.0.15
where it has something to say: ACL SAVE/LOAD round trips (and a real redis-server loads
the file EmberKV wrote), ACL LOAD's error report, `user` lines in the config file, an
aclfile beside them, CONFIG REWRITE's user lines, AUTH as an ACL user over redis-py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import redis

from tests.differential.test_acl_diff import normalized
from tests.servers import KINDS, ServerProcess, server_of_kind
from tests.wire import Connection, ServerClosed, parsed, replies_to, reply_to

USERS = [
    ("alice", "on", ">alice-pw", "~cache:*", "%R~config:*", "+@read", "+@string", "-getdel",
     "+acl|whoami",
     "resetchannels", "&news.*"),
    ("bob", "on", "nopass", "allkeys", "allchannels", "+@all", "-@dangerous", "(~x +set)"),
    ("carol", "off", "#" + "c" * 64, "-@all", "+select|0", "+client|id", "%W~w*"),
]


def _setup_users(port: int) -> None:
    for name, *rules in USERS:
        assert reply_to(port, "ACL", "SETUSER", name, *rules) == b"OK"


def _acl_list(port: int) -> list[bytes]:
    return [normalized(line) for line in reply_to(port, "ACL", "LIST")]


def _require_redis() -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")


def test_acl_save_then_load_restores_the_users(tmp_path: Path) -> None:
    acl_file = tmp_path / "users.acl"
    acl_file.write_text("")
    with ServerProcess("emberkv", args=["--aclfile", str(acl_file)]) as server:
        _setup_users(server.port)
        saved = _acl_list(server.port)
        assert reply_to(server.port, "ACL", "SAVE") == b"OK"
        written = acl_file.read_bytes().decode().splitlines()
        assert [normalized(line.encode()) for line in written] == saved
        assert reply_to(server.port, "ACL", "SETUSER", "alice", "reset") == b"OK"
        assert reply_to(server.port, "ACL", "SETUSER", "dave", "on") == b"OK"
        assert reply_to(server.port, "ACL", "DELUSER", "bob") == 1
        assert reply_to(server.port, "ACL", "LOAD") == b"OK"
        assert _acl_list(server.port) == saved
    # The file loads at startup too.
    with ServerProcess("emberkv", args=["--aclfile", str(acl_file)]) as server:
        assert _acl_list(server.port) == saved
        with server.client(username="alice", password="alice-pw", protocol=2) as alice:
            assert alice.execute_command("ACL", "WHOAMI") == b"alice"
            alice.set("cache:1", "v")
            assert alice.get("cache:1") == b"v"
            with pytest.raises(redis.exceptions.NoPermissionError, match="keys"):
                alice.set("config:x", "v")
            with pytest.raises(redis.exceptions.NoPermissionError, match="'getdel'"):
                alice.getdel("cache:1")


@pytest.mark.needs_redis_server
def test_real_redis_loads_the_acl_file_emberkv_saved(tmp_path: Path) -> None:
    _require_redis()
    acl_file = tmp_path / "users.acl"
    acl_file.write_text("")
    with ServerProcess("emberkv", args=["--aclfile", str(acl_file)]) as server:
        _setup_users(server.port)
        ours = _acl_list(server.port)
        assert reply_to(server.port, "ACL", "SAVE") == b"OK"
    with ServerProcess("redis", args=["--aclfile", str(acl_file)]) as real:
        assert _acl_list(real.port) == ours
        # And EmberKV loads what Redis saves in turn.
        assert reply_to(real.port, "ACL", "SETUSER", "erin", "on", ">e", "~e*", "+get") == b"OK"
        assert reply_to(real.port, "ACL", "SAVE") == b"OK"
        theirs = _acl_list(real.port)
    with ServerProcess("emberkv", args=["--aclfile", str(acl_file)]) as server:
        assert _acl_list(server.port) == theirs


BAD_ACL_FILE = (
    "user bob on +bogus1 +bogus2 foo\n"
    "user bob off\n"
    "user a\\x b\n"
    "user c (+get\n"
    "\n"
    "user\n"
    "  user d on ~x   +get  \n"
    "default on\n"
)


@pytest.mark.needs_redis_server
def test_acl_load_reports_every_problem_as_redis_and_changes_nothing(tmp_path: Path) -> None:
    _require_redis()
    reports = []
    for kind in ("redis", "emberkv"):
        directory = tmp_path / kind
        directory.mkdir()
        (directory / "users.acl").write_text("user kept on nopass +@all ~*\n")
        # A relative aclfile, read from `dir`: the reports then name the same path.
        with ServerProcess(kind, directory=str(directory),
                           args=["--aclfile", "users.acl"]) as server:
            before = _acl_list(server.port)
            with Connection(server.port) as kept:
                kept.request(("AUTH", "kept", "x"))
                (directory / "users.acl").write_text(BAD_ACL_FILE)
                reports.append(parsed(Connection(server.port).request(("ACL", "LOAD"))))
                assert _acl_list(server.port) == before
                # A failed LOAD disconnects nobody.
                assert kept.request(("ACL", "WHOAMI")) == b"$4\r\nkept\r\n"
                (directory / "users.acl").write_text("user kept on nopass +@all ~*\n")
                assert reply_to(server.port, "ACL", "LOAD") == b"OK"
                # A successful one replaces every user but default: their clients go.
                with pytest.raises((ServerClosed, ConnectionError)):
                    kept.request(("PING",))
            (directory / "users.acl").unlink()
            reports.append(reply_to(server.port, "ACL", "LOAD"))
    assert str(reports[2]) == str(reports[0])
    assert "Error in applying operation '+bogus1'" in str(reports[0])
    assert str(reports[3]) == str(reports[1])
    assert "opening file 'users.acl'" in str(reports[1])


@pytest.mark.parametrize("kind", KINDS)
def test_an_acl_file_without_default_user_resets_it(request, tmp_path: Path, kind: str) -> None:
    """As in Redis, the default user then gets its initial rules, requirepass or not."""
    server_of_kind(request, kind)
    acl_file = tmp_path / "users.acl"
    acl_file.write_text("user other on nopass\n")
    with ServerProcess(kind, args=["--aclfile", str(acl_file),
                                   "--requirepass", "pw"]) as server:
        assert reply_to(server.port, "PING") == b"PONG"
        assert reply_to(server.port, "ACL", "SETUSER", "default", ">pw2") == b"OK"
        assert replies_to(server.port, ("AUTH", "pw2"), ("ACL", "LOAD")) == [b"OK", b"OK"]
        assert reply_to(server.port, "ACL", "LIST") == [
            b"user default on nopass ~* &* +@all", b"user other on nopass resetchannels -@all"]


def _exit_report(kind: str, tmp_path: Path, config: str, args: list[str] = ()) -> tuple[int, str]:
    directory = tmp_path / kind
    directory.mkdir(exist_ok=True)
    config_path = directory / "redis.conf"
    config_path.write_text(config)
    server = ServerProcess(kind, directory=str(directory), config_file=str(config_path),
                           args=list(args))
    process = subprocess.run(server.command(), capture_output=True, timeout=30,
                             cwd=str(directory))
    return process.returncode, (process.stdout + process.stderr).decode(errors="replace")


@pytest.mark.needs_redis_server
@pytest.mark.parametrize("line", [
    "user bob on foo",
    "user bob on +get (~x",
    "user bob on\nuser bob off",
    "user bob on >a b",
])
def test_bad_user_lines_stop_startup_with_redis_report(tmp_path: Path, line: str) -> None:
    _require_redis()
    reports = [_exit_report(kind, tmp_path, line + "\n") for kind in ("redis", "emberkv")]
    fatal = [report[report.index("*** FATAL"):] for _, report in reports]
    assert reports[0][0] == reports[1][0] == 1
    assert fatal[1] == fatal[0]


@pytest.mark.parametrize("config, message", [
    ("user bob on +nosuch\n",
     "Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or "
     "category name in ACL"),
    ("aclfile users.acl\nuser bob on\n",
     "Configuring Redis with users defined in redis.conf and at the same setting an ACL "
     "file path is invalid"),
    ("aclfile missing.acl\n",
     "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file "
     "'missing.acl': No such file or directory"),
])
@pytest.mark.parametrize("kind", KINDS)
def test_acl_startup_errors_exit(request, tmp_path: Path, kind: str, config: str,
                                 message: str) -> None:
    server_of_kind(request, kind)  # the redis kind needs redis-server
    code, output = _exit_report(kind, tmp_path, config)
    assert code == 1
    assert message in output


@pytest.mark.parametrize("kind", KINDS)
def test_config_file_users_then_config_rewrite(request, tmp_path: Path, kind: str) -> None:
    server_of_kind(request, kind)
    config_path = tmp_path / "redis.conf"
    directory = tmp_path / "data"
    directory.mkdir()
    config_path.write_text(
        "user default on nopass ~* &* +@all\n"
        "user app on >app-pw ~app:* +@read +@write -@dangerous\n")
    with ServerProcess(kind, config_file=str(config_path), directory=str(directory)) as server:
        users = reply_to(server.port, "ACL", "USERS")
        assert users == [b"app", b"default"]
        assert reply_to(server.port, "ACL", "SETUSER", "ops", "on", ">ops", "+@admin") == b"OK"
        listed = _acl_list(server.port)
        assert reply_to(server.port, "CONFIG", "REWRITE") == b"OK"
        user_lines = [line for line in config_path.read_text().splitlines()
                      if line.startswith("user ")]
        assert [normalized(line.encode()) for line in user_lines] == listed
    with ServerProcess(kind, config_file=str(config_path), directory=str(directory)) as server:
        assert _acl_list(server.port) == listed
        with server.client(username="app", password="app-pw", protocol=2) as app:
            app.set("app:1", "x")
            with pytest.raises(redis.exceptions.NoPermissionError):
                app.get("other")
            with pytest.raises(redis.exceptions.NoPermissionError):
                app.flushall()


@pytest.mark.parametrize("kind", KINDS)
def test_redis_py_authenticates_acl_users_with_auth_and_hello(request, kind: str) -> None:
    with server_of_kind(request, kind) as server:
        admin = server.client(protocol=2)
        admin.acl_setuser("reader", enabled=True, passwords=["+rpw"], keys=["r:*"],
                          commands=["+get", "+hello", "+client", "+ping"])
        admin.set("r:1", "one")
        for protocol in (2, 3):
            with server.client(username="reader", password="rpw", protocol=protocol) as user:
                assert user.get("r:1") == b"one"
                with pytest.raises(redis.exceptions.NoPermissionError):
                    user.set("r:1", "x")
        with pytest.raises(redis.exceptions.AuthenticationError):
            server.client(username="reader", password="bad", protocol=2).ping()
        log = admin.acl_log()
        assert [entry["reason"] for entry in log[:2]] == ["auth", "command"]
