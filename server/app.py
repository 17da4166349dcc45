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

from persistence import archive
from persistence.aof.base import RdbPreamble
from persistence.aof.loader import AofLoadError, LoadResult, PreambleLoading, UnknownCommand
from persistence.aof.manifest import ManifestError
from persistence.aof.service import REWRITE_FAILED, AofService, AofStartError, RewriteRefused
from persistence.files import file_ops_from_environment
from persistence.rdb.reader import (
    KeyBatch, Limits, PayloadCheckError, RdbFormatError, RdbReader, load_payload,
)
from persistence.rdb.writer import dump_payload
from persistence.snapshot import (
    ForklessSave, SaveChild, SaveOptions, due_save_point, remove_quietly, save_file,
    temp_name,
)
from server import errors, info
from server.acl import AclRuleError
from server.clock import now_ms
from server.commands import command_registry
from server.config import Config, ConfigError, check_open_files_limit
from server.connection import ClientConnection
from server.context import ClientState, CommandContext
from server.errors import CommandError
from server.executor import Executor
from server.output import OutputScheduler
from server.state import EMBERKV_VERSION, REDIS_VERSION, ServerState, ShutdownRequest

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


# Log lines quote client bytes (protocol errors, DEBUG LOG, tracebacks of bugs), which
# reach logging as surrogate-escaped str. A strict handler would fail inside emit() and
# print "--- Logging error ---" with a traceback instead of the line; escaping keeps the
# line and shows the odd byte as \udcXX.
LOG_ENCODING_ERRORS = "backslashreplace"


class _DropsUnwritableLines:
    """As Redis's serverLogRaw, which ignores its fprintf/fflush errors: a line the disk
    cannot take (full, I/O error) is dropped. logging's default would print a traceback
    to stderr for every such line, for as long as the disk stays full."""

    def handleError(self, record: logging.LogRecord) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handleError(record)  # type: ignore[misc]


class _FileHandler(_DropsUnwritableLines, logging.FileHandler):
    pass


class _StreamHandler(_DropsUnwritableLines, logging.StreamHandler):  # type: ignore[type-arg]
    pass


def log_handler(path: str) -> logging.Handler:
    """The handler for `logfile`: that file (appended), or stdout when it is empty."""
    if path:
        return _FileHandler(path, encoding="utf-8", errors=LOG_ENCODING_ERRORS)
    stream = sys.stdout
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors=LOG_ENCODING_ERRORS)
    return _StreamHandler(stream)


def configure_logging(config: Config) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = log_handler(config["logfile"])
    handler.setFormatter(RedisLogFormatter())
    root.addHandler(handler)
    root.setLevel(_LOGLEVELS[config["loglevel"]])
    config.on_change("loglevel", lambda level: root.setLevel(_LOGLEVELS[level]))


class App:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.registry = command_registry(config)
        self.server = ServerState(config, self.registry)
        self.executor = Executor(self.server)
        self.server.request_shutdown = self.request_shutdown
        self.server.executable = os.path.abspath(sys.argv[0])
        info.start_memory_tracking(self.server)
        self.listeners: list[asyncio.AbstractServer] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._cron_handle: asyncio.TimerHandle | None = None
        self._expire_handle: asyncio.TimerHandle | None = None
        self._is_shutting_down = False
        self.exit_code = 0
        # What CONFIG SET changes beyond the stored value (Redis's apply functions).
        config.on_change("dir", _change_directory)
        config.on_change("maxclients", check_open_files_limit)
        config.on_change("port", self._apply_listen_change)
        config.on_change("bind", self._apply_listen_change)
        self._listening: tuple[int, tuple[str, ...]] = (config["port"], tuple(config["bind"]))
        # The AOF (issue 3): on while `aof` is not None.
        self.aof: AofService | None = None
        self.output: OutputScheduler | None = None
        self._log_record: Any = None  # the write-stream subscriber feeding the AOF
        self._loading: LoadResult | None = None  # progress while the AOF replays
        # BGREWRITEAOF while the AOF is off writes a base only, through this service.
        self._offline_rewriter: AofService | None = None
        self.server.start_aof_rewrite = self._bgrewriteaof
        # BGREWRITEAOF while a BGSAVE child runs (or inside EXEC) waits for the cron.
        self._aof_rewrite_scheduled = False
        config.on_change("appendonly", self._apply_appendonly)
        config.on_change("appendfsync", self._apply_appendfsync)
        config.on_change("aof-timestamp-enabled", self._apply_aof_timestamps)
        self.server.add_info_provider("persistence", self._aof_info)
        self.server.shutdown_steps.append(self._aof_shutdown_step)
        # RDB snapshots (issue 5): after the AOF's step, as Redis saves after the fsync.
        self.rdb = RdbSnapshots(self)
        self.server.rdb = self.rdb
        self.server.add_info_provider("persistence", self.rdb.info_fields)
        self.server.shutdown_steps.append(self.rdb.shutdown_step)
        config.on_change("save", lambda _value: self.refresh_write_refusal())
        config.on_change("aof-use-rdb-preamble", lambda _value: self._apply_rdb_preambles())
        config.on_change("stop-writes-on-bgsave-error",
                         lambda _value: self.refresh_write_refusal())

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
        self._load_acl_users()
        # Loading happens with the listeners open, as in Redis: clients get -LOADING.
        self.server.is_loading = bool(self.config["appendonly"]) or os.path.exists(
            self.config["dbfilename"])
        await self._listen()
        for signum, name in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
            self.loop.add_signal_handler(signum, self._on_signal, name)
        self._schedule_cron()
        log.log(NOTICE, "Server initialized")
        if self.config["appendonly"]:
            await self._load_aof()
        else:
            await self.rdb.load_at_startup()
        log.log(NOTICE, "Ready to accept connections tcp")

    def _load_acl_users(self) -> None:
        """ACLLoadUsersAtStartup: `user` lines of the config file, or the aclfile, never
        both; any error stops the server."""
        acl = self.server.acl
        path = self.config["aclfile"]
        if path and self.config.user_declarations:
            raise SystemExit(
                "Configuring Redis with users defined in redis.conf and at the same setting "
                "an ACL file path is invalid. This setup is very likely to lead to "
                "configuration errors and security holes, please define either an ACL file "
                "or declare users directly in your redis.conf, but not both.")
        try:
            acl.load_config_users(self.config.user_declarations)
        except AclRuleError as error:
            log.warning("%s", error.reason)
            raise SystemExit("Critical error while loading ACLs. Exiting.") from None
        if path:
            problems = acl.load_file(path)
            if problems is not None:
                raise SystemExit(f"Aborting Redis startup because of ACL errors: {problems}")

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

    # ------------------------------------------------------------- CONFIG SET port/bind

    def _apply_listen_change(self, _value: Any) -> None:
        """Redis's applyBind/changeListenPort: close the listening sockets, bind the new
        addresses; if any required one fails, bind the old ones again and refuse."""
        wanted = (self.config["port"], tuple(self.config["bind"]))
        if wanted == self._listening or self.loop is None:
            return
        for listener in self.listeners:
            listener.close()
        self.listeners = []
        try:
            sockets = _open_listen_sockets(*wanted, self.config["tcp-backlog"])
        except OSError as error:
            log.warning("Failed to bind (%s), trying to restore old listening sockets.",
                        error.strerror)
            try:
                self._serve_sockets(_open_listen_sockets(*self._listening,
                                                         self.config["tcp-backlog"]))
            except OSError:
                log.warning("Failed to restore old listening sockets.")
            raise ConfigError("Failed to bind to specified addresses.") from None
        self._serve_sockets(sockets)
        self._listening = wanted
        self.server.tcp_port = wanted[0]

    def _serve_sockets(self, sockets: list[socket.socket]) -> None:
        assert self.loop is not None
        for sock in sockets:
            task = self.loop.create_task(self.loop.create_server(
                lambda: ClientConnection(self.server, self.executor), sock=sock))
            task.add_done_callback(lambda done: self.listeners.append(done.result()))

    # ------------------------------------------------------------------ cron

    def _schedule_cron(self) -> None:
        assert self.loop is not None
        hz = max(1, min(500, self.config["hz"]))
        self._cron_handle = self.loop.call_later(1.0 / hz, self._cron)

    def _cron(self) -> None:
        server = self.server
        server.stats.sample_ops()
        info.sample_memory(server)
        server.keyspace.refresh_lru_clock()
        self._refresh_child_state()
        server.maxmemory.cron()
        self._run_active_expiry()
        self._close_idle_clients()
        if self.output is not None:
            # Retries a postponed or failed AOF write, and starts everysec's fsync.
            self.output.tick()
        self._cron_aof_rewrite()
        self.rdb.cron()
        self._schedule_cron()

    def _refresh_child_state(self) -> None:
        """Access clocks stay still while a child saves (Redis's hasActiveChildProcess
        test in lookupKey), so that touching keys does not copy pages."""
        children = [self.rdb.child] + [service.rewrite for service
                                       in (self.aof, self._offline_rewriter)
                                       if service is not None]
        has_child = any(child is not None and child.is_fork for child in children)
        if has_child != self.server.keyspace.has_child:
            self.server.keyspace.configure_access(has_child=has_child)

    def _run_active_expiry(self) -> None:
        if self._expire_handle is not None or self.server.is_loading:
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
            # As Redis: monitors, blocked clients (their own timeout applies) and
            # subscribers (waiting for messages is their job) are never idle.
            if (client.last_interaction_ms < limit and client.close
                    and not (client.is_monitor or client.blocked is not None
                             or client.is_subscribed)):
                log.info("Closing idle client")
                client.close()

    # ------------------------------------------------------------------ AOF

    def _new_aof_service(self) -> AofService:
        loop = self.loop

        def on_durable(_offset: int) -> None:
            # Called on the fsync thread: hand over to the loop.
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self._release_durable)

        service = AofService(self.config["appenddirname"], self.config["appendfilename"],
                             self.config["appendfsync"], file_ops_from_environment(),
                             on_durable, disable_auto_gc=self.config["aof-disable-auto-gc"],
                             timestamps=self.config["aof-timestamp-enabled"])
        self._apply_rdb_preamble(service)
        service.preamble_loading = PreambleLoading(
            self._load_preamble_batch, self.rdb.limits(), self.config["rdbchecksum"])
        return service

    def _load_preamble_batch(self, batch: KeyBatch) -> None:
        # The reader refuses a key repeated in the preamble; the AOF loads into an
        # empty dataset, so nothing is replaced.
        self.server.keyspace.load_entries(batch.db_index, batch.keys, batch.values,
                                          batch.expire_ats, replace=True, access=batch.access)

    def _apply_rdb_preambles(self) -> None:
        for service in (self.aof, self._offline_rewriter):
            self._apply_rdb_preamble(service)

    def _apply_rdb_preamble(self, service: AofService | None) -> None:
        """aof-use-rdb-preamble: the next base of `service` is RDB or RESP."""
        if service is None:
            return
        if self.config["aof-use-rdb-preamble"]:
            service.preamble = RdbPreamble(self.config["rdbcompression"],
                                           self.config["rdbchecksum"], self.rdb.db_sizes)
        else:
            service.preamble = None

    async def _load_aof(self) -> None:
        """Startup with appendonly yes: replay the AOF (or create one), then log. The
        loop serves clients (-LOADING, INFO) between slices of the replay."""
        service = self._new_aof_service()
        client = ClientState("aof")
        ctx = CommandContext(self.server, client)
        registry, executor = self.registry, self.executor

        def replay(argv: list[bytes]) -> None:
            if registry.lookup(argv[0]) is None:
                raise UnknownCommand(argv[0])
            executor.replay(ctx, argv)

        keyspace = self.server.keyspace
        self.server.is_loading = keyspace.is_loading = True
        result = self._loading = LoadResult()
        try:
            for _ in service.start_steps(replay, self.config["aof-load-truncated"], result):
                await asyncio.sleep(0)
        except ManifestError as error:
            log.warning("%s", error.report(REDIS_VERSION))
            raise SystemExit(1) from None
        except (AofLoadError, AofStartError) as error:
            log.warning("%s", error)
            raise SystemExit(1) from None
        except OSError as error:
            log.warning("Can't open the append-only file %s: %s",
                        self.config["appendfilename"], error.strerror)
            raise SystemExit(1) from None
        finally:
            self._loading = None
        # Only a load that finished ends the loading state: after a failure the server is
        # exiting, and clearing it first would let a client's PING be answered PONG
        # before the process is gone.
        self.server.is_loading = keyspace.is_loading = False
        if result.commands:
            log.log(NOTICE, "Done loading AOF: %d commands replayed", result.commands)
        self._attach_aof(service)

    def _attach_aof(self, service: AofService) -> None:
        writer = service.writer
        assert writer is not None and self.loop is not None
        self.aof = service
        self._log_record = writer.append
        self.server.keyspace.writes.subscribe(self._log_record)
        self.output = OutputScheduler(self.loop, writer, self.refresh_write_refusal)
        self.server.reply_gate = self.output
        self.output.check_failing()
        self.refresh_write_refusal()

    def _detach_aof(self) -> None:
        if self.aof is None:
            return
        self.server.keyspace.writes.unsubscribe(self._log_record)
        self.server.reply_gate = None
        service, self.aof = self.aof, None
        self.refresh_write_refusal()
        output, self.output = self.output, None
        service.disable()  # flush + fsync + close
        if output is not None:
            output.release_all()

    def _release_durable(self) -> None:
        """The fsync thread finished an fsync, or failed one."""
        output = self.output
        if output is not None and self.aof is not None and self.aof.writer is not None:
            output.release(self.aof.writer.durable)
            output.check_failing()

    def _aof_refusal(self) -> str | None:
        writer = self.aof.writer if self.aof is not None else None
        error = writer.error if writer is not None else None
        if error is None:
            return None
        return errors.MISCONF_AOF % (error.strerror or str(error))

    def _write_refusal(self) -> str | None:
        """Why writes are refused now: a failing BGSAVE first (Redis checks it first
        in processCommand), then a failing AOF write."""
        if self.rdb.is_refusing_writes():
            return errors.MISCONF_RDB
        return self._aof_refusal()

    def refresh_write_refusal(self) -> None:
        """Install the executor's write gate only while a reason refuses: the AOF
        failing (the output scheduler notices after each flush, and the fsync thread
        wakes the loop when an fsync fails), or the last BGSAVE failed with
        stop-writes-on-bgsave-error and save points set."""
        needed = self._aof_refusal() is not None or self.rdb.is_refusing_writes()
        self.server.write_refusal = self._write_refusal if needed else None

    def _rewrite_running(self) -> bool:
        return any(service is not None and service.rewrite is not None
                   for service in (self.aof, self._offline_rewriter))

    def _bgrewriteaof(self, in_exec: bool) -> bytes:
        """BGREWRITEAOF's reply, as Redis: one rewrite at a time, and none beside a
        BGSAVE child (nor inside EXEC): then it is scheduled for the cron."""
        if self._rewrite_running():
            raise CommandError("ERR Background append only file rewriting already in progress")
        if self.rdb.child is not None or in_exec:
            self._aof_rewrite_scheduled = True
            return b"Background append only file rewriting scheduled"
        self._start_aof_rewrite()
        return b"Background append only file rewriting started"

    def _start_aof_rewrite(self) -> None:
        """Switch to a new incr file and fork the base writer."""
        self._aof_rewrite_scheduled = False
        service = self.aof
        if service is None:
            service = self._offline_rewriter or self._new_aof_service()
            self._offline_rewriter = service
        keyspace = self.server.keyspace
        # Forkless unless a forkless BGSAVE holds the one point-in-time view: then a
        # child, as in fork mode.
        forkless = None
        if (self.config["rdb-snapshot-mode"] == "forkless" and keyspace.snapshot is None
                and self.loop is not None):
            forkless = (keyspace.begin_snapshot, self.loop)
        try:
            service.start_rewrite(keyspace.snapshot_entries, forkless)
        except RewriteRefused as refused:
            raise CommandError(str(refused)) from None
        except OSError as error:
            log.warning("Can't rewrite append only file in background: %s", error.strerror)
            if self.output is not None:
                self.output.check_failing()  # making the old incr file durable failed
            raise CommandError(REWRITE_FAILED) from None
        self._refresh_child_state()
        # Switching files fsynced the old one: replies waiting for that can go.
        self._release_durable()

    def _cron_aof_rewrite(self) -> None:
        for service in (self.aof, self._offline_rewriter):
            if service is not None:
                service.poll_rewrite()
        if (self._aof_rewrite_scheduled and self.rdb.child is None
                and not self._rewrite_running() and not self.server.is_loading):
            try:
                self._start_aof_rewrite()
            except CommandError:
                pass  # logged; aof_last_bgrewrite_status tells
            return
        service = self.aof
        if service is not None and self.rdb.child is None and service.wants_auto_rewrite(
                self.config["auto-aof-rewrite-percentage"],
                self.config["auto-aof-rewrite-min-size"]):
            log.log(NOTICE, "Starting automatic rewriting of AOF on %d%% growth",
                    self.config["auto-aof-rewrite-percentage"])
            try:
                self._start_aof_rewrite()
            except CommandError:
                pass  # logged; the back-off in wants_auto_rewrite paces retries

    def _apply_appendonly(self, enabled: bool) -> None:
        """CONFIG SET appendonly: yes writes a base from the dataset and starts
        logging (synchronously, until BGREWRITEAOF brings the background rewrite);
        no flushes, fsyncs and stops."""
        if not enabled:
            self._detach_aof()
            return
        if self.aof is not None or self.loop is None:
            return
        if self._offline_rewriter is not None:
            self._offline_rewriter.abort_rewrite()
            self._offline_rewriter = None
        service = self._new_aof_service()
        try:
            service.enable(self.server.keyspace.snapshot_entries())
        except OSError as error:
            log.warning("Redis needs to enable the AOF but can't write its base: %s",
                        error.strerror)
            raise ConfigError("Unable to turn on AOF. Check server logs.") from None
        log.log(NOTICE, "AOF enabled: base written from the current dataset")
        self._attach_aof(service)

    def _apply_appendfsync(self, policy: str) -> None:
        if self.aof is not None:
            self.aof.set_policy(policy)
            if self.output is not None:
                self.output.tick()

    def _apply_aof_timestamps(self, enabled: bool) -> None:
        if self.aof is not None:
            self.aof.set_timestamps(enabled)

    def _aof_info(self) -> list[tuple[str, Any]]:
        source = self.aof or self._offline_rewriter
        fields = source.info_fields() if source is not None else []
        fields.append(("aof_rewrite_scheduled", int(self._aof_rewrite_scheduled)))
        loading = self._loading
        if loading is not None:
            elapsed_s = max(time.time() - loading.started_s, 1e-6)
            done, total = loading.loaded_bytes, loading.total_bytes
            rate = done / elapsed_s
            fields += [
                ("aof_enabled", 1),  # loading the AOF means it is on
                ("loading_start_time", int(loading.started_s)),
                ("loading_total_bytes", total),
                ("loading_rdb_used_mem", 0),
                ("loading_loaded_bytes", done),
                ("loading_loaded_perc", f"{100.0 * done / total if total else 0:.2f}"),
                ("loading_eta_seconds", int((total - done) / rate) if rate else 1),
            ]
        return fields

    def _aof_shutdown_step(self, _request: ShutdownRequest) -> str | None:
        if self._offline_rewriter is not None:
            self._offline_rewriter.abort_rewrite()
        if self.aof is None:
            return None
        log.log(NOTICE, "Calling fsync() on the AOF file.")
        output = self.output
        is_durable = self.aof.shutdown()
        if output is not None:
            if is_durable:
                output.release_all()
            else:
                # Replies still held (appendfsync always) wait for writes that are
                # not on disk: the clients get a closed connection instead.
                output.discard_held()
        return None

    # ------------------------------------------------------------------ shutdown

    def _on_signal(self, name: str) -> None:
        """SIGTERM/SIGINT: shut down with the shutdown-on-sigterm/sigint flags; if a
        shutdown step fails (and the flags do not say FORCE) keep running, as Redis."""
        log.warning("Received %s scheduling shutdown...", name)
        flags = self.config["shutdown-on-sigterm" if name == "SIGTERM" else "shutdown-on-sigint"]
        request = ShutdownRequest(
            save=True if "save" in flags else False if "nosave" in flags else None,
            now="now" in flags, force="force" in flags, origin=name,
        )
        if self.request_shutdown(request) is not None:
            log.warning("%s received but errors trying to shut down the server, check the "
                        "logs for more information", name)

    def request_shutdown(self, request: ShutdownRequest) -> str | None:
        """Redis's prepareForShutdown + finishShutdown, synchronously: no command runs
        after it. The shutdown steps (final save, AOF flush ...) run first; if one fails
        without FORCE nothing is closed and the error text is returned. Otherwise every
        listener and client is closed (the requesting client closes itself after its
        command), the pid file is removed and the event loop is told to stop."""
        if self._is_shutting_down:
            return None
        log.warning("User requested shutdown...")
        for step in self.server.shutdown_steps:
            problem = step(request)
            if problem is not None and not request.force:
                log.warning("Errors trying to shut down the server. "
                            "Check the logs for more information.")
                return "ERR Errors trying to SHUTDOWN. Check logs."
        self._is_shutting_down = True
        for handle in (self._cron_handle, self._expire_handle):
            if handle is not None:
                handle.cancel()
        for listener in self.listeners:
            listener.close()
        for client in list(self.server.clients.values()):
            if client is not request.client and client.close is not None:
                client.close()
        pidfile = self.config["pidfile"]
        if pidfile:
            log.log(NOTICE, "Removing the pid file.")
            try:
                os.unlink(pidfile)
            except OSError:
                pass
        log.warning("EmberKV is now ready to exit, bye bye...")
        if self._stopped is not None:
            self._stopped.set()
        return None

    async def wait_stopped(self) -> None:
        assert self._stopped is not None
        await self._stopped.wait()


class RdbSnapshots:
    """The RDB side of the composition root: startup load of dump.rdb, SAVE, BGSAVE
    (forked, reaped by the cron), save points, FLUSHALL's save, DEBUG RELOAD, the
    final save at shutdown, and the INFO rdb_* fields. Commands reach it as
    `server.rdb`; persistence/snapshot.py and persistence/rdb do the file work."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.server = app.server
        self.config = app.config
        self.keyspace = app.server.keyspace
        self.lastsave_s = int(time.time())  # "at startup we consider the DB saved"
        self.child: SaveChild | ForklessSave | None = None
        self.last_bgsave_ok = True
        self.last_bgsave_duration_s = -1
        self.saves = 0
        self.last_cow_bytes = 0
        self.last_try_s = 0.0
        self.is_scheduled = False
        self.keys_loaded = 0
        self.keys_expired = 0
        self._loading: tuple[float, int, list[int]] | None = None  # start, total, [done]

    # ------------------------------------------------------------ helpers

    def options(self) -> SaveOptions:
        return SaveOptions(self.config["dbfilename"], self.config["rdbcompression"],
                           self.config["rdbchecksum"])

    def limits(self) -> Limits:
        config = self.config
        return Limits(config["list-max-listpack-size"], config["hash-max-listpack-entries"],
                      config["hash-max-listpack-value"], config["zset-max-listpack-entries"],
                      config["zset-max-listpack-value"], config["set-max-intset-entries"],
                      config["databases"])

    def db_sizes(self) -> dict[int, tuple[int, int]]:
        return {db.index: (len(db.data), len(db.expires)) for db in self.keyspace.dbs if db.data}

    def has_save_points(self) -> bool:
        return bool(self.config["save"])

    def is_refusing_writes(self) -> bool:
        return (not self.last_bgsave_ok and self.has_save_points()
                and self.config["stop-writes-on-bgsave-error"])

    def _other_child_running(self) -> bool:
        return any(service is not None and service.rewrite is not None
                   for service in (self.app.aof, self.app._offline_rewriter))

    # ------------------------------------------------------------ saving

    def save(self) -> bool:
        """A foreground save (SAVE, shutdown, FLUSHALL); False after logging a failure."""
        self.saves += 1  # rdb_saves counts saves started, as Redis
        try:
            save_file(self.options(), self.keyspace.snapshot_entries(), self.db_sizes(),
                      info.sample_memory(self.server))
        except OSError as error:
            log.warning("Failed saving the DB: %s", error.strerror or error)
            return False
        log.log(NOTICE, "DB saved on disk")
        self.keyspace.dirty = 0
        self.lastsave_s = int(time.time())
        self.archive_dump()
        return True

    def archive_dump(self) -> None:
        """Keep the dump just saved in snapshot-archive-dir, then prune. Every save
        that writes dump.rdb counts (SAVE, BGSAVE, save points, shutdown, FLUSHALL's
        save and DEBUG RELOAD's, which Redis also counts in lastsave and dirty). A
        failure is logged only: the save itself has succeeded."""
        directory = self.config["snapshot-archive-dir"]
        if not directory:
            return
        try:
            # Wall-clock time, not the command time snapshot: the name records when
            # the file was written, and a BGSAVE is reaped long after its command.
            saved_at_ms = int(time.time() * 1000)
            path = archive.archive_snapshot(self.config["dbfilename"], directory, saved_at_ms)
            removed = archive.prune(directory, self.config["snapshot-archive-keep"],
                                    self.config["snapshot-archive-max-age"], saved_at_ms)
        except OSError as error:
            log.warning("Failed archiving the DB snapshot in %s: %s", directory,
                        error.strerror or error)
            return
        log.log(NOTICE, "DB snapshot archived as %s%s", path,
                f" ({len(removed)} old snapshot(s) pruned)" if removed else "")

    def save_command(self) -> None:
        if self.child is not None:
            raise CommandError("ERR Background save already in progress")
        if not self.save():
            raise CommandError("ERR")
        # A good save ends a failed BGSAVE's write refusal, as in Redis.
        self.last_bgsave_ok = True
        self.app.refresh_write_refusal()

    def bgsave_command(self, schedule: bool, in_exec: bool) -> bytes:
        if self.child is not None:
            raise CommandError("ERR Background save already in progress")
        if self._other_child_running() or in_exec:
            if schedule or in_exec:
                self.is_scheduled = True
                return b"Background saving scheduled"
            raise CommandError(
                "ERR Another child process is active (AOF?): can't BGSAVE right now. Use "
                "BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
        try:
            self.start_bgsave()
        except OSError as error:
            raise CommandError(f"ERR Can't save in background: fork: {error.strerror}") from None
        return b"Background saving started"

    def start_bgsave(self) -> None:
        self.last_try_s = time.monotonic()
        self.is_scheduled = False
        if self.config["rdb-snapshot-mode"] == "forkless" and self.app.loop is not None:
            self.child = ForklessSave(self.options(), self.keyspace.begin_snapshot(),
                                      self.keyspace.dirty, info.sample_memory(self.server),
                                      self.app.loop)
            log.log(NOTICE, "Background saving started without a fork (point in time)")
        else:
            self.child = SaveChild.start(self.options(), self.keyspace.snapshot_entries,
                                         self.db_sizes, self.keyspace.dirty,
                                         info.sample_memory(self.server))
            log.log(NOTICE, "Background saving started by pid %d", self.child.pid)
        self.saves += 1
        self.app._refresh_child_state()

    def kill_child(self) -> None:
        if self.child is not None:
            if self.child.is_fork:
                log.log(NOTICE, "Killing RDB child: %d", self.child.pid)
            else:
                log.log(NOTICE, "Stopping the forkless background save")
            self.child.kill()
            self.child = None

    def cron(self) -> None:
        """Reap a finished child; start a scheduled or save-point BGSAVE."""
        child = self.child
        if child is not None:
            code = child.poll()
            if code is None:
                return
            self.child = None
            self.last_bgsave_duration_s = int(time.monotonic() - child.started)
            self.last_cow_bytes = child.cow_bytes
            if code == 0:
                log.log(NOTICE, "Background saving terminated with success")
                if not child.is_fork:
                    log.log(NOTICE, "Keys copied before a change during the save: %d",
                            child.preserved_keys)
                self.keyspace.dirty = max(0, self.keyspace.dirty - child.dirty_at_fork)
                self.lastsave_s = int(time.time())
                self.last_bgsave_ok = True
                self.archive_dump()
            elif code == -signal.SIGUSR1:
                log.warning("Background saving terminated by signal %d", -code)
            elif not child.is_fork:
                log.warning("Background saving error: %s", child.error)
                self.last_bgsave_ok = False
            else:
                log.warning("Background saving error" if code > 0 else
                            f"Background saving terminated by signal {-code}")
                remove_quietly(temp_name(child.pid))
                self.last_bgsave_ok = False
            self.app.refresh_write_refusal()
        if self.server.is_loading or self._other_child_running():
            return
        if self.is_scheduled:
            self._start_quietly()
            return
        point = due_save_point(self.config["save"], self.keyspace.dirty,
                               int(time.time()) - self.lastsave_s, self.last_bgsave_ok,
                               time.monotonic() - self.last_try_s)
        if point is not None:
            log.log(NOTICE, "%d changes in %d seconds. Saving...", point[1], point[0])
            self._start_quietly()

    def _start_quietly(self) -> None:
        try:
            self.start_bgsave()
        except OSError as error:
            log.warning("Can't save in background: fork: %s", error.strerror)
            self.last_bgsave_ok = False
            self.app.refresh_write_refusal()

    def after_flushall(self) -> None:
        self.kill_child()
        if not self.has_save_points():
            return
        dirty = self.keyspace.dirty
        self.save()
        # The FLUSHALL must still reach the AOF, which the executor decides from the
        # change in dirty after this handler; the counter drops to what came after.
        self.keyspace.dirty = dirty
        loop = self.app.loop
        if loop is not None:
            loop.call_soon(self._discount, dirty)

    def _discount(self, dirty: int) -> None:
        self.keyspace.dirty = max(0, self.keyspace.dirty - dirty)

    def shutdown_step(self, request: ShutdownRequest) -> str | None:
        self.kill_child()
        if request.save is False or (request.save is None and not self.has_save_points()):
            return None
        if self.server.is_loading:
            # Half a dataset must never replace the file it is being loaded from.
            log.warning("Shutdown during loading: not saving the partial dataset.")
            return None
        log.log(NOTICE, "Saving the final RDB snapshot before exiting.")
        if not self.save():
            log.warning("Error trying to save the DB, can't exit.")
            return "ERR Errors trying to SHUTDOWN. Check logs."
        return None

    # ------------------------------------------------------------ loading

    def read_file(self, path: str, *, merge: bool = False, replace_existing: bool = False,
                  is_aof_base: bool = False) -> RdbReader:
        """Load a whole RDB file synchronously (DEBUG RELOAD); RdbFormatError/OSError."""
        with open(path, "rb") as stream:
            data = stream.read()
        reader = self._reader(data, merge, is_aof_base)
        for batch in reader.batches():
            self._load_batch(batch, merge)
        return reader

    def _reader(self, data: bytes, merge: bool, is_aof_base: bool = False) -> RdbReader:
        # Without merge, a key repeated in the file is found by load_entries (the
        # database then holds it already), so the reader need not track every key.
        return RdbReader(data, self.limits(), verify_checksum=self.config["rdbchecksum"],
                         now_ms=now_ms(), is_aof_base=is_aof_base, check_duplicates=merge)

    def _load_batch(self, batch: KeyBatch, merge: bool) -> None:
        repeated = self.keyspace.load_entries(batch.db_index, batch.keys, batch.values,
                                              batch.expire_ats, replace=merge,
                                              access=batch.access)
        if repeated is not None:
            key = batch.keys[repeated].decode("utf-8", "backslashreplace")
            raise RdbFormatError(f"Duplicated key '{key}' found in RDB file",
                                 batch.offsets[repeated])

    async def load_at_startup(self) -> None:
        """dump.rdb when the AOF is off: clients get -LOADING meanwhile; a file that
        cannot be loaded whole stops the server, naming the byte offset."""
        path = self.config["dbfilename"]
        try:
            with open(path, "rb") as stream:
                data = stream.read()
        except FileNotFoundError:
            self.server.is_loading = False
            return
        except OSError as error:
            log.warning("Fatal error loading the DB: %s. Exiting.", error.strerror)
            raise SystemExit(1) from None
        started = time.monotonic()
        keyspace = self.keyspace
        self.server.is_loading = keyspace.is_loading = True
        reader = self._reader(data, merge=False)
        self._loading = (time.time(), len(data), [0])
        try:
            for batch in reader.batches():
                self._load_batch(batch, merge=False)
                self._loading[2][0] = reader.pos
                await asyncio.sleep(0)
        except RdbFormatError as error:
            log.warning("Short read or corrupt data loading DB: %s", error)
            log.warning("Fatal error loading the DB %s: %s. Exiting.", path, error)
            raise SystemExit(1) from None
        finally:
            self._loading = None
        self.server.is_loading = keyspace.is_loading = False  # see _load_aof: success only
        state = reader.state
        version = state.aux.get(b"redis-ver")
        if version is not None:
            log.log(NOTICE, "Loading RDB produced by version %s", version.decode("latin-1"))
        if state.checksum_skipped:
            log.warning("RDB file was saved with checksum disabled: no check performed.")
        self.keys_loaded, self.keys_expired = state.keys_loaded, state.keys_expired
        log.log(NOTICE, "Done loading RDB, keys loaded: %d, keys expired: %d.",
                state.keys_loaded, state.keys_expired)
        log.log(NOTICE, "DB loaded from disk: %.3f seconds", time.monotonic() - started)

    def debug_reload(self, save: bool, flush: bool, merge: bool) -> None:
        if save:
            self.kill_child()
            if not self.save():
                raise CommandError("ERR Error trying to save the RDB dump")
        if flush:
            dirty = self.keyspace.dirty
            self.keyspace.flush_all()
            self.keyspace.dirty = dirty
        try:
            reader = self.read_file(self.config["dbfilename"], merge=merge)
        except (OSError, RdbFormatError) as error:
            log.warning("Error trying to load the RDB dump: %s", error)
            raise CommandError("ERR Error trying to load the RDB dump") from None
        self.keys_loaded, self.keys_expired = (reader.state.keys_loaded,
                                               reader.state.keys_expired)
        log.log(NOTICE, "DB reloaded by DEBUG RELOAD")

    # ------------------------------------------------------------ DUMP and RESTORE

    def dump_value(self, value: Any) -> bytes:
        """DUMP's payload; strings are LZF-compressed as rdbcompression says, because
        Redis's createDumpPayload writes values as a save would."""
        return dump_payload(value, self.config["rdbcompression"])

    def restore_value(self, payload: bytes) -> Any:
        """The value in a DUMP payload, in the encodings this server's limits give it;
        CommandError with Redis's text for a wrong version or checksum, or bad data."""
        try:
            return load_payload(payload, self.limits())
        except PayloadCheckError:
            raise CommandError(errors.DUMP_PAYLOAD_INVALID) from None
        except RdbFormatError:
            raise CommandError(errors.BAD_DATA_FORMAT) from None

    # ------------------------------------------------------------ INFO

    def info_fields(self) -> list[tuple[str, Any]]:
        child = self.child
        fields: list[tuple[str, Any]] = [
            ("rdb_changes_since_last_save", self.keyspace.dirty),
            ("rdb_bgsave_in_progress", int(child is not None)),
            ("rdb_last_save_time", self.lastsave_s),
            ("rdb_last_bgsave_status", "ok" if self.last_bgsave_ok else "err"),
            ("rdb_last_bgsave_time_sec", self.last_bgsave_duration_s),
            ("rdb_current_bgsave_time_sec",
             int(time.monotonic() - child.started) if child is not None else -1),
            ("rdb_saves", self.saves),
            ("rdb_last_cow_size", self.last_cow_bytes),
            ("rdb_last_load_keys_expired", self.keys_expired),
            ("rdb_last_load_keys_loaded", self.keys_loaded),
        ]
        loading = self._loading
        if loading is not None:
            started_s, total, done_box = loading
            done = done_box[0]
            elapsed_s = max(time.time() - started_s, 1e-6)
            rate = done / elapsed_s
            fields += [
                ("loading_start_time", int(started_s)),
                ("loading_total_bytes", total),
                ("loading_rdb_used_mem", 0),
                ("loading_loaded_bytes", done),
                ("loading_loaded_perc", f"{100.0 * done / total if total else 0:.2f}"),
                ("loading_eta_seconds", int((total - done) / rate) if rate else 1),
            ]
        return fields


def _open_listen_sockets(port: int, binds: tuple[str, ...], backlog: int) -> list[socket.socket]:
    """Bound, listening, non-blocking sockets for `bind` at `port` (none for port 0); a
    "-" address is skipped when unavailable, any other failure closes them all."""
    sockets: list[socket.socket] = []
    if port == 0:
        return sockets
    try:
        for raw in binds:
            optional = raw.startswith("-")
            address = raw[1:] if optional else raw
            host = {"*": "0.0.0.0", "::*": "::"}.get(address, address)
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind((host, port))
                sock.listen(backlog)
                sock.setblocking(False)
            except OSError as error:
                sock.close()
                if optional and error.errno in _ADDRESS_UNAVAILABLE:
                    continue
                raise
            sockets.append(sock)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _change_directory(path: str) -> None:
    try:
        os.chdir(path)
    except OSError as error:
        raise ConfigError(error.strerror or str(error)) from None


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
