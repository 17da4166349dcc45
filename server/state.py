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

from server.clock import now_ms
from server.config import Config
from server.keyspace import Keyspace

if TYPE_CHECKING:
    from server.context import ClientState
    from server.registry import Registry

EMBERKV_VERSION = "0.1.0"
REDIS_VERSION = "7.0.15"


@dataclass
class Stats:
    total_connections_received: int = 0
    total_commands_processed: int = 0
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

    def sample_ops(self) -> None:
        self.ops_samples.append((time.monotonic(), self.total_commands_processed))

    def instantaneous_ops(self) -> int:
        if len(self.ops_samples) < 2:
            return 0
        (t0, c0), (t1, c1) = self.ops_samples[0], self.ops_samples[-1]
        return int((c1 - c0) / (t1 - t0)) if t1 > t0 else 0

    def reset(self) -> None:
        fresh = Stats()
        for name in ("total_connections_received", "total_commands_processed",
                     "rejected_connections", "total_error_replies",
                     "unexpected_error_replies", "net_input_bytes", "net_output_bytes"):
            setattr(self, name, getattr(fresh, name))
        self.errors_by_code.clear()


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
        self.slowlog = SlowLog()
        self.started_ms = now_ms()
        self.started_monotonic = time.monotonic()
        self.pid = os.getpid()
        self.run_id = os.urandom(20).hex()
        self.tcp_port = config["port"]
        self.is_loading = False
        self.config_file = config.config_file
        self.executable = ""
        # Installed by the application: stop the server (SHUTDOWN) and the extra INFO
        # sections that persistence contributes.
        self.request_shutdown: Callable[[str], Any] | None = None
        self.info_providers: dict[str, Callable[[], list[tuple[str, Any]]]] = {}

    def uptime_s(self) -> int:
        return int(time.monotonic() - self.started_monotonic)
