"""ServerState: the objects commands may reach through `ctx.server`.

It is passed explicitly (Redis's global `server` struct, made an object): the config,
the keyspace, the command registry, connected clients, statistics and the slow log.
Persistence is not reachable from here except through the narrow `persistence` hooks
the composition root installs (issues 3 and 5).
"""

from __future__ import annotations

import collections
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from server.acl_users import AccessControl
from server.blocking import BlockingRegistry
from server.clock import now_ms
from server.config import Config
from server.eviction import MaxMemory
from server.key_signals import KeySignals
from server.keyspace import Keyspace
from server.notifications import KeyspaceNotifier
from server.pubsub import PubSub

if TYPE_CHECKING:
    from server.context import ClientState
    from server.registry import Registry

EMBERKV_VERSION = "0.1.0"
REDIS_VERSION = "7.0.15"


@dataclass
class Stats:
    total_connections_received: int = 0
    rejected_connections: int = 0
    total_error_replies: int = 0
    unexpected_error_replies: int = 0
    net_input_bytes: int = 0
    net_output_bytes: int = 0
    errors_by_code: collections.Counter[str] = field(default_factory=collections.Counter)
    # (monotonic seconds, commands processed) samples for instantaneous_ops_per_sec.
    ops_samples: collections.deque[tuple[float, int]] = field(
        default_factory=lambda: collections.deque(maxlen=16)
    )
    # (monotonic seconds, input bytes, output bytes) samples for instantaneous_*_kbps.
    net_samples: collections.deque[tuple[float, int, int]] = field(
        default_factory=lambda: collections.deque(maxlen=16)
    )

    # Commands processed are the sum of the command table's call counters (installed by
    # ServerState), so the per-command path keeps one counter instead of two.
    count_commands: Callable[[], int] = lambda: 0

    @property
    def total_commands_processed(self) -> int:
        return self.count_commands()

    def sample_ops(self) -> None:
        now = time.monotonic()
        self.ops_samples.append((now, self.total_commands_processed))
        self.net_samples.append((now, self.net_input_bytes, self.net_output_bytes))

    def instantaneous_kbps(self) -> tuple[float, float]:
        """(input, output) KiB per second over the recent samples, for INFO stats."""
        if len(self.net_samples) < 2:
            return 0.0, 0.0
        (t0, in0, out0), (t1, in1, out1) = self.net_samples[0], self.net_samples[-1]
        if t1 <= t0:
            return 0.0, 0.0
        return (in1 - in0) / (t1 - t0) / 1024, (out1 - out0) / (t1 - t0) / 1024

    def instantaneous_ops(self) -> int:
        if len(self.ops_samples) < 2:
            return 0
        (t0, c0), (t1, c1) = self.ops_samples[0], self.ops_samples[-1]
        return int((c1 - c0) / (t1 - t0)) if t1 > t0 else 0

    def reset(self) -> None:
        fresh = Stats()
        for name in ("total_connections_received",
                     "rejected_connections", "total_error_replies",
                     "unexpected_error_replies", "net_input_bytes", "net_output_bytes"):
            setattr(self, name, getattr(fresh, name))
        self.errors_by_code.clear()
        self.ops_samples.clear()
        self.net_samples.clear()


InfoProvider = Callable[[], list[tuple[str, Any]]]


@dataclass(frozen=True)
class ShutdownRequest:
    """SHUTDOWN's options, or a signal's shutdown-on-sigterm/sigint flags.

    save: True for SAVE, False for NOSAVE, None to save only if save points are set.
    now: do not wait for replicas; force: exit even if a shutdown step failed.
    client: the client that sent SHUTDOWN (it gets no reply), None for a signal.
    """

    save: bool | None = None
    now: bool = False
    force: bool = False
    origin: str = "SHUTDOWN"
    client: Any = None


@dataclass
class SlowlogEntry:
    id: int
    timestamp_s: int
    duration_us: int
    argv: list[bytes]
    client_address: str
    client_name: bytes


class SlowLog:
    MAX_ARGS = 32
    MAX_ARG_BYTES = 128

    def __init__(self) -> None:
        self.entries: collections.deque[SlowlogEntry] = collections.deque()
        self.next_id = 0

    def record(self, argv: list[bytes], duration_us: int, client: "ClientState",
               max_len: int) -> None:
        shown: list[bytes] = []
        for index, arg in enumerate(argv):
            if index == self.MAX_ARGS - 1 and len(argv) > self.MAX_ARGS:
                shown.append(b"... (%d more arguments)" % (len(argv) - self.MAX_ARGS + 1))
                break
            if len(arg) > self.MAX_ARG_BYTES:
                arg = arg[: self.MAX_ARG_BYTES] + b"... (%d more bytes)" % (
                    len(arg) - self.MAX_ARG_BYTES
                )
            shown.append(bytes(arg))
        self.entries.appendleft(SlowlogEntry(
            self.next_id, int(time.time()), duration_us, shown, client.address, client.name
        ))
        self.next_id += 1
        while len(self.entries) > max_len:
            self.entries.pop()


class ServerState:
    def __init__(self, config: Config, registry: "Registry") -> None:
        self.config = config
        self.registry = registry
        self.keyspace = Keyspace(config["databases"])
        self.clients: dict[int, ClientState] = {}
        self.monitors: list[ClientState] = []
        self.stats = Stats()
        self.stats.count_commands = self._count_commands
        self.slowlog = SlowLog()
        self.started_ms = now_ms()
        self.started_monotonic = time.monotonic()
        self.pid = os.getpid()
        self.run_id = os.urandom(20).hex()
        self.tcp_port = config["port"]
        # Any gate that can refuse a command (loading, failing persistence): one flag,
        # so the executor's per-command path tests a single attribute.
        self.has_command_gates = False
        self._is_loading = False
        self._write_refusal: Callable[[], str | None] | None = None
        self._memory_limit: Any = None
        self.config_file = config.config_file
        # client-output-buffer-limit normal is 0 0 0 by default: then replies to normal
        # clients skip the check entirely.
        self.limits_normal_output = False
        config.on_change("client-output-buffer-limit", self._note_output_limits)
        self._note_output_limits(config["client-output-buffer-limit"])
        self.executable = ""
        self.replication_id = os.urandom(20).hex()
        # RSS at startup and the highest seen, for INFO memory (server/info.py samples).
        self.used_memory_startup = 0
        self.used_memory_peak = 0
        # Installed by the application: stop the server (SHUTDOWN, SIGTERM); it returns
        # None once the server is stopping, or the error text when a shutdown step failed.
        self.request_shutdown: Callable[[ShutdownRequest], str | None] | None = None
        # What must happen before exit (final RDB save, AOF flush ...), in order; a step
        # returns an error text to refuse the shutdown (ignored with FORCE).
        self.shutdown_steps: list[Callable[[ShutdownRequest], str | None]] = []
        # Extra INFO fields by section name (see server/info.py): each provider returns
        # (field, value) pairs that replace same-named fields or are appended; a provider
        # for a section INFO does not know adds that section.
        self.info_providers: dict[str, list[InfoProvider]] = {}
        # Installed by the application while the AOF is on (issue 3): the loop's
        # "before replies" phase (server/output.py) that connections send through.
        self.reply_gate: Any = None
        # Transactions, blocking and pub/sub (issue 4): keys watched or waited on,
        # blocked clients, channel subscriptions; and the executor, for EXEC.
        self.key_signals = KeySignals(self.keyspace, registry)
        self.blocking = BlockingRegistry(self, self.key_signals)
        self.pubsub = PubSub()
        self.add_info_provider("stats", self.pubsub.info_fields)
        self.notifier = KeyspaceNotifier(self)
        self.executor: Any = None
        # ACL users (server/acl.py); the default user's password follows requirepass.
        self.acl = AccessControl(registry, config, self.clients)
        self.acl.set_default_password(config["requirepass"])
        config.on_change("requirepass", self.acl.set_default_password)
        config.user_lines = self.acl.config_file_lines
        # BGREWRITEAOF, installed by the application: takes in_exec, returns the reply text
        # (started or scheduled) or raises CommandError.
        self.start_aof_rewrite: Callable[[bool], bytes] | None = None
        # RDB snapshots (issue 5), installed by the application: SAVE, BGSAVE, LASTSAVE,
        # FLUSHALL's save and DEBUG RELOAD go through it.
        self.rdb: Any = None
        # maxmemory, eviction and the access-clock rules (issue 7).
        self.maxmemory = MaxMemory(self)

    def _note_output_limits(self, limits: dict[str, tuple[int, int, int]]) -> None:
        hard, soft, _ = limits["normal"]
        self.limits_normal_output = bool(hard or soft)

    @property
    def is_loading(self) -> bool:
        return self._is_loading

    @is_loading.setter
    def is_loading(self, value: bool) -> None:
        self._is_loading = value
        self._refresh_gates()

    def _refresh_gates(self) -> None:
        self.has_command_gates = (self._is_loading or self._write_refusal is not None
                                  or self._memory_limit is not None)

    @property
    def memory_limit(self) -> Any:
        """server/eviction.py's MaxMemory while maxmemory is set: evicts before each
        command and says whether it must be refused with -OOM. None otherwise."""
        return self._memory_limit

    @memory_limit.setter
    def memory_limit(self, value: Any) -> None:
        self._memory_limit = value
        self._refresh_gates()

    @property
    def write_refusal(self) -> Callable[[], str | None] | None:
        """Installed while the AOF is on: the reason write commands are refused
        (-MISCONF), or None when they are not."""
        return self._write_refusal

    @write_refusal.setter
    def write_refusal(self, value: Callable[[], str | None] | None) -> None:
        self._write_refusal = value
        self._refresh_gates()

    def _count_commands(self) -> int:
        total = 0
        pending = list(self.registry)
        while pending:
            spec = pending.pop()
            total += spec.stats.calls
            pending.extend(spec.subcommands.values())
        return total

    def add_info_provider(self, section: str, provider: "InfoProvider") -> None:
        self.info_providers.setdefault(section.lower(), []).append(provider)

    def uptime_s(self) -> int:
        return int(time.monotonic() - self.started_monotonic)
