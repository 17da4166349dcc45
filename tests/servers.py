"""Start and stop servers for tests: EmberKV (`python -m server`) and Debian's real
redis-server, each on a free 127.0.0.1 port, stopped by PID.

`ServerProcess.log_text()` returns the server's log; the black-box fixtures fail a test
whose EmberKV log shows a Python traceback (a bug answered `ERR internal error`).
`started_pair` starts one of each with the same arguments, for differential fixtures;
`server_of_kind` gives one of either kind to a test parametrized over KINDS.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent

# For @pytest.mark.parametrize("kind", KINDS) with server_of_kind.
KINDS = ["emberkv", pytest.param("redis", marks=pytest.mark.needs_redis_server)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A server subprocess with its own temp directory and log file."""

    def __init__(self, kind: str, args: list[str] | None = None, port: int | None = None,
                 directory: str | None = None, config_file: str | None = None,
                 module: str = "server") -> None:
        """`module` is what `python -m` runs for EmberKV (tests.faulty_server adds a
        test-only command)."""
        self.kind = kind
        self.module = module
        self.port = port or free_port()
        self.dir = directory or tempfile.mkdtemp(prefix=f"{kind}-test-")
        self.owns_dir = directory is None
        self.log_path = os.path.join(self.dir, f"{kind}.log")
        self.extra_args = list(args or [])
        self.config_file = config_file
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        base = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
        if self.kind == "emberkv":
            head = [sys.executable, "-m", self.module]
        else:
            redis_server = shutil.which("redis-server")
            if redis_server is None:
                raise RuntimeError("redis-server is not installed (scripts/install-test-deps)")
            head = [redis_server]
            base += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        if self.config_file:
            head.append(self.config_file)
        return head + base + self.extra_args

    def start(self, wait: bool = True) -> "ServerProcess":
        log = open(self.log_path, "ab")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT), env=env,
        )
        log.close()
        if wait:
            try:
                self.wait_ready()
            except BaseException:
                # The caller never gets a server to clean up: stop it here, or it
                # outlives the test run.
                self.stop(signal.SIGKILL)
                raise
        return self

    def wait_ready(self, timeout_s: float = 15.0) -> None:
        """Wait until the server answers a PING with anything but -LOADING.

        A raw socket rather than redis-py: with requirepass the answer is -NOAUTH, which
        redis-py raises as AuthenticationError, a ConnectionError subclass that looks
        like "not listening yet" (so did BusyLoadingError for -LOADING). Any reply means
        the server is up, whatever its auth or protected-mode settings.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited early:\n{self.log_text()}")
            reply = ping_reply(self.port)
            if reply and not reply.startswith(b"-LOADING"):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} did not answer PING in {timeout_s}s:\n{self.log_text()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def client(self, **kwargs: object) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=10, **kwargs)  # type: ignore[arg-type]

    def log_text(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 10.0) -> int | None:
        """Stop by PID; returns the exit code (None if it had to be killed)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
                return None
        return self.process.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def cleanup(self) -> None:
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "ServerProcess":
        # `with ServerProcess(...).start()` must not start a second process (and leak
        # the first, which cleanup would no longer know about).
        return self if self.process is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


@contextlib.contextmanager
def started_pair(args: list[str] | None = None) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """A new EmberKV and a new redis-server, both started with `args`. On exit both are
    stopped and their directories removed, then a Python traceback in EmberKV's log
    fails the caller. Whether redis-server is installed is the caller's check."""
    ember = ServerProcess("emberkv", args=args)
    real = ServerProcess("redis", args=args)
    try:
        ember.start()
        real.start()
        yield ember, real
    finally:
        log = ember.log_text()
        ember.cleanup()
        real.cleanup()
    assert not has_traceback(log), log


def server_of_kind(request: pytest.FixtureRequest, kind: str) -> ServerProcess:
    """A new server of `kind`, not started yet: a `with` block starts and stops it. For
    "redis", the real_redis fixture applies its skip (or its failure in CI) first when
    redis-server is missing."""
    if kind == "redis":
        request.getfixturevalue("real_redis")
    return ServerProcess(kind)


def ping_reply(port: int, timeout_s: float = 1.0) -> bytes:
    """The first reply line to an inline PING on 127.0.0.1:port; b"" when nothing
    answers (refused, closed or timed out)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
            sock.sendall(b"PING\r\n")
            with sock.makefile("rb") as reader:
                return reader.readline()
    except OSError:
        return b""


def rss_kb(pid: int) -> int:
    """A process's resident memory in KiB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def has_traceback(log_text: str) -> bool:
    return "Traceback (most recent call last)" in log_text
