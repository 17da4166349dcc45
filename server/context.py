"""Per-client state and the context a handler runs in.

`ClientState` is everything Redis keeps in `struct client` that commands read or change
(selected db, RESP version, name, auth, flags); it knows no sockets, so the executor and
handlers run the same in tests, over TCP and during AOF replay. `CommandContext` is the
handler's view: the client, its database, the server and what the command asks to
propagate. One context lives as long as its client and is reset per command.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Callable

from server.clock import now_ms

if TYPE_CHECKING:
    from server.keyspace import Database
    from server.state import ServerState

_client_ids = itertools.count(1)


class ClientState:
    if TYPE_CHECKING:
        # ClientSession's fields, which the properties installed after ClientSession
        # read and write: declared here so that type checkers know them.
        in_multi: bool
        multi_queue: list[tuple[Any, list[bytes]]]
        multi_failed: bool
        in_exec: bool
        watched: dict[tuple[int, bytes], bool]
        watch_touched: bool
        channels: set[bytes]
        patterns: set[bytes]
        shard_channels: set[bytes]
        deliver_late_reply: Callable[[Any], None] | None
        has_logged_in: bool

    def __init__(self, address: str = "", local_address: str = "", fd: int = -1) -> None:
        self.id = next(_client_ids)
        self.address = address
        self.local_address = local_address
        self.fd = fd
        self.db_index = 0
        self.protocol = 2
        self.name = b""
        self.lib_name = b""
        self.lib_version = b""
        # The ACL user (server/acl.py); None is Redis's superuser, for clients no
        # connection made (AOF replay, tests): nothing is checked.
        self.user: Any = None
        self.is_authenticated = True
        self.created_ms = now_ms()
        self.last_interaction_ms = self.created_ms
        self.last_command = "NULL"
        self.reply_mode = b"on"  # CLIENT REPLY on|off|skip
        self.skip_next_reply = False
        self.no_evict = False
        self.no_touch = False
        self.is_monitor = False
        self.close_after_reply = False
        self.kill_requested = False
        # MULTI, RESP2 subscribe mode: the executor's one per-command test for clients
        # whose commands are queued or restricted (server/transactions.py, server/pubsub.py).
        self.needs_command_filter = False
        self.blocked: Any = None  # server/blocking.py's BlockedClient while blocked
        # Transaction, WATCH and pub/sub state, read through the properties below.
        # It lives in a slotted object because CPython shares an instance-dict layout
        # (and specializes attribute reads on it) only up to 30 attributes: past that,
        # every attribute read of every client on the command path gets slower.
        self.session = ClientSession()
        # Filled by the connection: how to push bytes and close, for MONITOR and KILL.
        self.push: Callable[..., None] | None = None  # (message, before_reply=False)
        self.close: Callable[[], None] | None = None
        self.query_buffer_bytes: Callable[[], int] = lambda: 0
        self.output_buffer_bytes: Callable[[], int] = lambda: 0

    @property
    def flags(self) -> str:
        letters = ""
        if self.is_monitor:
            letters += "O"
        if self.is_subscribed:
            letters += "P"
        if self.in_multi:
            letters += "x"
        if self.blocked is not None:
            letters += "b"
        if self.watch_touched:
            letters += "d"
        if self.close_after_reply:
            letters += "c"
        return letters or "N"

    @property
    def is_subscribed(self) -> bool:
        # Read once per reply: the session directly, not through three properties.
        session = self.session
        return bool(session.channels or session.patterns or session.shard_channels)

    def update_command_filter(self) -> None:
        """Recompute needs_command_filter after MULTI, EXEC/DISCARD, a (un)subscribe, or
        a change of ACL user or of its rules (a user allowed everything is not checked)."""
        self.needs_command_filter = (
            self.in_multi or (self.protocol == 2 and self.is_subscribed)
            or (self.user is not None and self.user.is_restricted))


class ClientSession:
    """The per-client state of transactions, WATCH, pub/sub and late replies."""

    __slots__ = ("in_multi", "multi_queue", "multi_failed", "in_exec", "watched",
                 "watch_touched", "channels", "patterns", "shard_channels",
                 "deliver_late_reply", "has_logged_in")

    def __init__(self) -> None:
        self.in_multi = False
        self.multi_queue: list[tuple[Any, list[bytes]]] = []
        self.multi_failed = False  # a command was refused while queueing: EXECABORT
        self.in_exec = False  # blocking commands answer at once inside EXEC
        self.watched: dict[tuple[int, bytes], bool] = {}  # (db, key) -> expired at WATCH
        self.watch_touched = False
        self.channels: set[bytes] = set()
        self.patterns: set[bytes] = set()
        self.shard_channels: set[bytes] = set()
        # Installed by the connection: a reply that arrives late (a blocked command
        # served or timed out), then the client's pipelined requests resume.
        self.deliver_late_reply: Callable[[Any], None] | None = None
        # Redis's c->authenticated: AUTH succeeded, or the default user needed no
        # password when the client connected. is_authenticated (what the executor
        # tests) is this, or the default user being open now.
        self.has_logged_in = False


def _session_attribute(name: str) -> property:
    def get(client: "ClientState") -> Any:
        return getattr(client.session, name)

    def put(client: "ClientState", value: Any) -> None:
        setattr(client.session, name, value)

    return property(get, put, doc=f"ClientSession.{name}")


for _name in ClientSession.__slots__:
    setattr(ClientState, _name, _session_attribute(_name))


def describe_client(client: ClientState, server: Any = None) -> bytes:
    """One CLIENT LIST line, in Redis 7.0's field order (also ACL LOG's client-info)."""
    now = now_ms()
    age = (now - client.created_ms) // 1000
    idle = (now - client.last_interaction_ms) // 1000
    qbuf = client.query_buffer_bytes()
    omem = client.output_buffer_bytes()
    command = client.last_command
    user = client.user.display_name if client.user is not None else "(superuser)"
    return (
        f"id={client.id} addr={client.address} laddr={client.local_address} fd={client.fd} "
        f"name={client.name.decode('utf-8', 'replace')} age={age} idle={idle} "
        f"flags={client.flags} db={client.db_index} sub={len(client.channels)} "
        f"psub={len(client.patterns)} ssub={len(client.shard_channels)} "
        f"multi={len(client.multi_queue) if client.in_multi else -1} "
        f"qbuf={qbuf} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 "
        f"omem={omem} tot-mem={qbuf + omem} events=r cmd={command} user={user} "
        f"redir=-1 resp={client.protocol}"
    ).encode("utf-8", "surrogateescape")


class CommandContext:
    __slots__ = ("server", "client", "db", "propagated")

    def __init__(self, server: "ServerState", client: ClientState) -> None:
        self.server = server
        self.client = client
        self.db: Database = server.keyspace.dbs[client.db_index]
        self.propagated: list[list[bytes]] | None = None

    @property
    def now_ms(self) -> int:
        return self.server.keyspace.clock.ms

    def select(self, index: int) -> None:
        self.client.db_index = index
        self.db = self.server.keyspace.dbs[index]

    def count_changes(self, dirty_before: int, changes: int) -> None:
        """Redis's server.dirty += changes for the whole command, however many keyspace
        operations it took (HSET: one per pair; SADD: one per member added). Save points
        and INFO read the count; zero means the command logs nothing."""
        self.server.keyspace.dirty = dirty_before + changes

    def propagate_as(self, *argv: bytes) -> None:
        """Log this instead of the command as sent (its deterministic form)."""
        self.propagated = [list(argv)]

    def propagate_many(self, commands: list[list[bytes]]) -> None:
        """Log several commands in place of the one sent (empty: log nothing)."""
        self.propagated = commands
