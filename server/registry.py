"""The command table: what each command is (name, arity, flags, keys), declared as data.

Everything derivable from the table is derived here or in the executor, never written
in handlers: the unknown-command and arity errors, the auth/loading/MISCONF/OOM gates,
default AOF propagation (WRITE commands that changed the dataset are logged as sent),
ACL categories and the COMMAND INFO/DOCS/COUNT/LIST/GETKEYS replies.

Arity follows Redis: it counts the command name; N means exactly N arguments, -N at
least N. Key positions are argv indices (argv[0] is the name), as COMMAND INFO reports.

Flags, as Redis documents them in server.h (names are the ones COMMAND INFO prints):
  WRITE        may modify the dataset; logged to the AOF when it did; refused by MISCONF
  READONLY     only reads data; never logged
  DENYOOM      may grow memory: refused with -OOM when over maxmemory (issue 7)
  ADMIN        administrative (CONFIG, DEBUG, SHUTDOWN ...): @admin and @dangerous
  PUBSUB       pub/sub related
  NOSCRIPT     not allowed from scripts
  BLOCKING     may block the client
  LOADING      allowed while the dataset is loading (otherwise -LOADING)
  STALE        allowed on a replica with stale data
  SKIP_MONITOR not shown to MONITOR clients (AUTH, HELLO with credentials ...)
  SKIP_SLOWLOG not recorded in the slow log
  FAST         O(1) or O(log N) and never deletes as a side effect (SET is not FAST)
  NO_AUTH      allowed before authentication
  NO_MULTI     refused inside MULTI
  The rest (ASKING, MAY_REPLICATE, SENTINEL, ...) change nothing here and exist so that
  COMMAND INFO reports what Redis reports.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from server.context import CommandContext

Argv = list[bytes]
Handler = Callable[["CommandContext", Argv], Any]


class CommandFlag(enum.Flag):
    # Declaration order is Redis's bit order, which is the order COMMAND INFO lists them.
    WRITE = enum.auto()
    READONLY = enum.auto()
    DENYOOM = enum.auto()
    MODULE = enum.auto()
    ADMIN = enum.auto()
    PUBSUB = enum.auto()
    NOSCRIPT = enum.auto()
    BLOCKING = enum.auto()
    LOADING = enum.auto()
    STALE = enum.auto()
    SKIP_MONITOR = enum.auto()
    SKIP_SLOWLOG = enum.auto()
    ASKING = enum.auto()
    FAST = enum.auto()
    NO_AUTH = enum.auto()
    MAY_REPLICATE = enum.auto()
    SENTINEL = enum.auto()
    ONLY_SENTINEL = enum.auto()
    NO_MANDATORY_KEYS = enum.auto()
    PROTECTED = enum.auto()
    MODULE_GETKEYS = enum.auto()
    MODULE_NO_CLUSTER = enum.auto()
    NO_ASYNC_LOADING = enum.auto()
    NO_MULTI = enum.auto()
    MOVABLE_KEYS = enum.auto()
    ALLOW_BUSY = enum.auto()


NONE = CommandFlag(0)
WRITE = CommandFlag.WRITE
READONLY = CommandFlag.READONLY
DENYOOM = CommandFlag.DENYOOM
ADMIN = CommandFlag.ADMIN
PUBSUB = CommandFlag.PUBSUB
NOSCRIPT = CommandFlag.NOSCRIPT
BLOCKING = CommandFlag.BLOCKING
LOADING = CommandFlag.LOADING
STALE = CommandFlag.STALE
SKIP_MONITOR = CommandFlag.SKIP_MONITOR
SKIP_SLOWLOG = CommandFlag.SKIP_SLOWLOG
FAST = CommandFlag.FAST
NO_AUTH = CommandFlag.NO_AUTH
MAY_REPLICATE = CommandFlag.MAY_REPLICATE
SENTINEL = CommandFlag.SENTINEL
NO_MULTI = CommandFlag.NO_MULTI
ALLOW_BUSY = CommandFlag.ALLOW_BUSY
PROTECTED = CommandFlag.PROTECTED
NO_ASYNC_LOADING = CommandFlag.NO_ASYNC_LOADING
ASKING = CommandFlag.ASKING
NO_MANDATORY_KEYS = CommandFlag.NO_MANDATORY_KEYS

_FLAG_NAMES = {
    CommandFlag.MOVABLE_KEYS: "movablekeys",
    CommandFlag.MODULE_GETKEYS: "module_getkeys",
}


def flag_name(flag: CommandFlag) -> str:
    return _FLAG_NAMES.get(flag) or str(flag.name).lower()


# Redis's ACL category order (acl.c ACLCommandCategories), which COMMAND INFO follows.
ACL_CATEGORY_ORDER = (
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
    "dangerous", "connection", "transaction", "scripting",
)


@dataclass(frozen=True)
class KeySpec:
    """Legacy key positions as COMMAND INFO reports them: first, last (negative counts
    from the end), step; plus the key-spec flags Redis 7 lists (RW, RO, access ...)."""

    first: int
    last: int | None = None
    step: int = 1
    flags: tuple[str, ...] = ()

    @property
    def last_index(self) -> int:
        return self.first if self.last is None else self.last

    def keys_in(self, argv: Argv) -> list[bytes]:
        last = self.last_index
        stop = len(argv) + last if last < 0 else last
        return [argv[i] for i in range(self.first, min(stop, len(argv) - 1) + 1, self.step)]


@dataclass
class CommandStats:
    """Runtime counters (commandstats), kept apart from the declaration."""

    calls: int = 0
    usec: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0


@dataclass(frozen=True)
class CommandSpec:
    name: str  # lowercase; "config|get" for a subcommand
    arity: int
    flags: CommandFlag
    handler: Handler | None
    group: str
    summary: str = ""
    syntax: str = ""
    since: str = "1.0.0"
    complexity: str = ""
    keys: KeySpec | None = None
    get_keys: Callable[[Argv], list[bytes]] | None = None
    acl_categories: tuple[str, ...] = ()
    subcommands: dict[bytes, "CommandSpec"] = field(default_factory=dict)
    stats: CommandStats = field(default_factory=CommandStats, compare=False)
    # Flag tests as plain booleans: enum.Flag arithmetic is too slow for the hot path.
    is_write: bool = field(init=False, compare=False)
    is_no_auth: bool = field(init=False, compare=False)
    is_allowed_while_loading: bool = field(init=False, compare=False)
    is_skip_monitor: bool = field(init=False, compare=False)
    is_skip_slowlog: bool = field(init=False, compare=False)
    is_no_multi: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        flags = self.flags
        object.__setattr__(self, "is_write", bool(flags & CommandFlag.WRITE))
        object.__setattr__(self, "is_no_auth", bool(flags & CommandFlag.NO_AUTH))
        object.__setattr__(self, "is_allowed_while_loading", bool(flags & CommandFlag.LOADING))
        object.__setattr__(self, "is_skip_monitor", bool(flags & CommandFlag.SKIP_MONITOR))
        object.__setattr__(self, "is_skip_slowlog", bool(flags & CommandFlag.SKIP_SLOWLOG))
        object.__setattr__(self, "is_no_multi", bool(flags & CommandFlag.NO_MULTI))

    def accepts_arity(self, argc: int) -> bool:
        return argc == self.arity if self.arity > 0 else argc >= -self.arity

    def key_positions(self) -> tuple[int, int, int]:
        if self.keys is None:
            return (0, 0, 0)
        return (self.keys.first, self.keys.last_index, self.keys.step)

    def keys_of(self, argv: Argv) -> list[bytes]:
        if self.get_keys is not None:
            return self.get_keys(argv)
        if self.keys is None:
            return []
        return self.keys.keys_in(argv)

    def reported_flags(self) -> list[str]:
        flags = self.flags
        if self.get_keys is not None:
            flags |= CommandFlag.MOVABLE_KEYS
        return [flag_name(f) for f in CommandFlag if f in flags]

    def categories(self) -> list[str]:
        found = set(self.acl_categories)
        if self.flags & CommandFlag.WRITE:
            found.add("write")
        if self.flags & CommandFlag.READONLY:
            found.add("read")
        if self.flags & CommandFlag.ADMIN:
            found.update(("admin", "dangerous"))
        if self.flags & CommandFlag.PUBSUB:
            found.add("pubsub")
        if self.flags & CommandFlag.FAST:
            found.add("fast")
        if self.flags & CommandFlag.BLOCKING:
            found.add("blocking")
        if "fast" not in found:
            found.add("slow")
        return [c for c in ACL_CATEGORY_ORDER if c in found]


class CommandGroup:
    """The commands of one module (one Redis group), registered explicitly."""

    def __init__(self, name: str, category: str | None = None) -> None:
        self.name = name
        self.category = category
        self.specs: list[CommandSpec] = []

    def command(
        self,
        name: str,
        arity: int,
        flags: CommandFlag = NONE,
        keys: KeySpec | None = None,
        get_keys: Callable[[Argv], list[bytes]] | None = None,
        categories: Iterable[str] = (),
        summary: str = "",
        since: str = "1.0.0",
        complexity: str = "",
        parent: CommandSpec | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare a handler; its docstring's first line is the syntax line."""

        def register(handler: Handler) -> Handler:
            spec = self.declare(
                name, arity, flags, handler, keys=keys, get_keys=get_keys,
                categories=categories, summary=summary, since=since,
                complexity=complexity, parent=parent,
                syntax=(handler.__doc__ or "").strip().splitlines()[0] if handler.__doc__ else "",
            )
            handler.spec = spec  # type: ignore[attr-defined]
            return handler

        return register

    def declare(
        self,
        name: str,
        arity: int,
        flags: CommandFlag,
        handler: Handler | None,
        *,
        keys: KeySpec | None = None,
        get_keys: Callable[[Argv], list[bytes]] | None = None,
        categories: Iterable[str] = (),
        summary: str = "",
        since: str = "1.0.0",
        complexity: str = "",
        syntax: str = "",
        parent: CommandSpec | None = None,
    ) -> CommandSpec:
        all_categories = tuple(categories) or ((self.category,) if self.category else ())
        full_name = f"{parent.name}|{name.lower()}" if parent else name.lower()
        spec = CommandSpec(
            name=full_name, arity=arity, flags=flags, handler=handler, group=self.name,
            summary=summary, syntax=syntax, since=since, complexity=complexity,
            keys=keys, get_keys=get_keys, acl_categories=all_categories,
        )
        if parent is not None:
            parent.subcommands[name.lower().encode()] = spec
        else:
            self.specs.append(spec)
        return spec

    def container(
        self, name: str, arity: int = -2, flags: CommandFlag = NONE,
        categories: Iterable[str] = (), summary: str = "", since: str = "1.0.0",
        handler: Handler | None = None,
    ) -> CommandSpec:
        """A command such as CONFIG or CLIENT whose work is done by subcommands; `handler`
        serves the bare form (COMMAND with no subcommand)."""
        return self.declare(
            name, arity, flags, handler, categories=categories, summary=summary, since=since
        )

    def subcommand(
        self, parent: CommandSpec, name: str, arity: int, flags: CommandFlag = NONE,
        keys: KeySpec | None = None, categories: Iterable[str] = (), summary: str = "",
        since: str = "1.0.0",
    ) -> Callable[[Handler], Handler]:
        return self.command(
            name, arity, flags, keys=keys, categories=categories or parent.acl_categories,
            summary=summary, since=since, parent=parent,
        )


class Registry:
    """Name → spec lookup over all groups; one dict lookup on the hot path."""

    def __init__(self, groups: Iterable[CommandGroup]) -> None:
        self.specs: dict[bytes, CommandSpec] = {}
        self._fast: dict[bytes, CommandSpec] = {}
        for group in groups:
            for spec in group.specs:
                key = spec.name.encode()
                if key in self.specs:
                    raise ValueError(f"command {spec.name} declared twice")
                self.specs[key] = spec
                self._fast[key] = spec
                self._fast[key.upper()] = spec

    def lookup(self, name: bytes) -> CommandSpec | None:
        spec = self._fast.get(name)
        if spec is None:
            spec = self.specs.get(name.lower())
        return spec

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)
