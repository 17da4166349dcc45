"""The composition root: builds the keyspace, registry, executor and listeners, runs the
periodic cron (active expiry, statistics, idle clients) and shuts down cleanly.

This is the only module that wires server internals to persistence; persistence arrives
with issues 3 and 5 and hooks in here through the write stream and the keyspace's
snapshot API.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import socket
import sys
import time
from typing import Any

from server.clock import now_ms
from server.commands import ALL_GROUPS
from server.config import Config
from server.connection import ClientConnection
from server.executor import Executor
from server.registry import Registry
from server.state import EMBERKV_VERSION, REDIS_VERSION, ServerState

log = logging.getLogger("emberkv")

# Active expiry: slices of at most this many ms, rescheduled quickly while keys remain.
EXPIRE_SLICE_MS = 10
EXPIRE_BUSY_INTERVAL_S = 0.002

# A "-"-prefixed bind address may be skipped for these, as in Redis (e.g. no IPv6).
_ADDRESS_UNAVAILABLE = {
    errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT, errno.ENOPROTOOPT,
    errno.ESOCKTNOSUPPORT, errno.EPFNOSUPPORT,
}


class RedisLogFormatter(logging.Formatter):
    """Redis's log line: `pid:M 24 Nov 2026 04:03:29.123 * message`."""

    _LEVEL_MARKS = {logging.DEBUG: ".", logging.INFO: "-", logging.WARNING: "#",
                    logging.ERROR: "#", logging.CRITICAL: "#", 25: "*"}

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(record.created))
        millis = int(record.msecs)
        mark = self._LEVEL_MARKS.get(record.levelno, "*")
        text = f"{os.getpid()}:M {stamp}.{millis:03d} {mark} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


NOTICE = 25
logging.addLevelName(NOTICE, "NOTICE")
_LOGLEVELS = {"debug": logging.DEBUG, "verbose": logging.INFO, "notice": NOTICE,
              "warning": logging.WARNING, "nothing": logging.CRITICAL + 10}


def configure_logging(config: Config) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    path = config["logfile"]
    handler: logging.Handler = (
        logging.FileHandler(path) if path else logging.StreamHandler(sys.stdout)
    )
    handler.setFormatter(RedisLogFormatter())
    root.addHandler(handler)
    root.setLevel(_LOGLEVELS[config["loglevel"]])
    config.on_change("loglevel", lambda level: root.setLevel(_LOGLEVELS[level]))


class App:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.registry = Registry(ALL_GROUPS)
        self.server = ServerState(config, self.registry)
        self.executor = Executor(self.server)
        self.server.request_shutdown = self.request_shutdown
        self.listeners: list[asyncio.AbstractServer] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._cron_handle: asyncio.TimerHandle | None = None
        self._expire_handle: asyncio.TimerHandle | None = None
        self.exit_code = 0

    # ------------------------------------------------------------------ startup

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        directory = self.config["dir"]
        try:
            os.makedirs(directory, exist_ok=True)
            os.chdir(directory)
        except OSError as error:
            raise SystemExit(f"Can't chdir to '{directory}': {error.strerror}") from None
        await self._listen()
        for signum, name in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
            self.loop.add_signal_handler(signum, self._on_signal, name)
        self._schedule_cron()
        log.log(NOTICE, "Server initialized")
        log.log(NOTICE, "Ready to accept connections tcp")

    async def _listen(self) -> None:
        assert self.loop is not None
        port = self.config["port"]
        if port == 0:
            return
        for raw in self.config["bind"]:
            optional = raw.startswith("-")
            address = raw[1:] if optional else raw
            host: str | None = {"*": "0.0.0.0", "::*": "::"}.get(address, address)
            family = socket.AF_INET6 if host and ":" in host else socket.AF_INET
            try:
                listener = await self.loop.create_server(
                    lambda: ClientConnection(self.server, self.executor),
                    host=host, port=port, family=family,
                    backlog=self.config["tcp-backlog"], reuse_address=True,
                )
            except OSError as error:
                if optional and error.errno in _ADDRESS_UNAVAILABLE:
                    log.warning("Skipping optional bind address %s: %s", address, error.strerror)
                    continue
                log.warning("Warning: Could not create server TCP listening socket %s:%d: %s",
                            address, port, error.strerror)
                raise SystemExit(1) from None
            self.listeners.append(listener)
        if not self.listeners:
            log.warning("Failed listening on port %d (tcp), aborting.", port)
            raise SystemExit(1)

    # ------------------------------------------------------------------ cron

    def _schedule_cron(self) -> None:
        assert self.loop is not None
        hz = max(1, min(500, self.config["hz"]))
        self._cron_handle = self.loop.call_later(1.0 / hz, self._cron)

    def _cron(self) -> None:
        server = self.server
        server.stats.sample_ops()
        self._run_active_expiry()
        self._close_idle_clients()
        self._schedule_cron()

    def _run_active_expiry(self) -> None:
        if self._expire_handle is not None:
            return
        finished = self.server.keyspace.active_expire_cycle(EXPIRE_SLICE_MS)
        if not finished and self.loop is not None:
            # More keys are due: keep reclaiming in slices, leaving the loop free to
            # serve clients between them.
            self._expire_handle = self.loop.call_later(EXPIRE_BUSY_INTERVAL_S, self._expire_more)

    def _expire_more(self) -> None:
        self._expire_handle = None
        self._run_active_expiry()

    def _close_idle_clients(self) -> None:
        timeout_s = self.config["timeout"]
        if not timeout_s:
            return
        limit = now_ms() - timeout_s * 1000
        for client in list(self.server.clients.values()):
            if client.last_interaction_ms < limit and not client.is_monitor and client.close:
                log.info("Closing idle client")
                client.close()

    # ------------------------------------------------------------------ shutdown

    def _on_signal(self, name: str) -> None:
        log.warning("Received %s scheduling shutdown...", name)
        self.request_shutdown("signal")

    def request_shutdown(self, reason: str) -> Any:
        log.warning("User requested shutdown...")
        if self._stopped is not None:
            self._stopped.set()
        return None

    async def wait_stopped(self) -> None:
        assert self._stopped is not None
        await self._stopped.wait()
        await self.stop()

    async def stop(self) -> None:
        for handle in (self._cron_handle, self._expire_handle):
            if handle is not None:
                handle.cancel()
        for listener in self.listeners:
            listener.close()
        for client in list(self.server.clients.values()):
            if client.close is not None:
                client.close()
        pidfile = self.config["pidfile"]
        if pidfile:
            try:
                os.unlink(pidfile)
            except OSError:
                pass
        log.warning("%s is now ready to exit, bye bye...", "EmberKV")


def banner(config: Config) -> str:
    return (
        f"EmberKV {EMBERKV_VERSION} (Redis {REDIS_VERSION} compatible) starting, "
        f"pid={os.getpid()}, port={config['port']}"
    )


async def serve(config: Config) -> int:
    app = App(config)
    await app.start()
    await app.wait_stopped()
    return app.exit_code
