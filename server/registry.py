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
  DENYOOM      may grow memory: refused with -OOM when over maxmemory and nothing
               can be evicted (server/eviction.py)
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
  the table says what Redis's does. COMMAND INFO, like Redis, never lists MAY_REPLICATE,
  SENTINEL, ONLY_SENTINEL, PROTECTED or the module flags, and adds MOVABLEKEYS when the
  key specs cannot be summed up as one first/last/step range.

Keys are declared as Redis 7 key specs (KeySpec): where the search for keys begins, how
the keys are found from there, and flags saying what the command does with them.
COMMAND INFO's legacy first/last/step is derived from them as Redis derives it, and
COMMAND GETKEYS finds keys through them.
The documentation COMMAND DOCS sends (summary, since, complexity, history, the argument
tree parsed from `syntax` by server/command_docs.py) is declared alongside.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from server.command_docs import Arg, parse_syntax

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
}

# Flags Redis keeps to itself: addReplyFlagsForCommand has no entry for them.
HIDDEN_FLAGS = (
    CommandFlag.MODULE_GETKEYS | CommandFlag.MODULE_NO_CLUSTER | CommandFlag.MAY_REPLICATE
    | CommandFlag.SENTINEL | CommandFlag.ONLY_SENTINEL | CommandFlag.PROTECTED
)


def flag_name(flag: CommandFlag) -> str:
    return _FLAG_NAMES.get(flag) or str(flag.name).lower()


# Redis's ACL category order (acl.c ACLCommandCategories), which COMMAND INFO follows.
ACL_CATEGORY_ORDER = (
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
    "dangerous", "connection", "transaction", "scripting",
)

# Key-spec flags, spelled as COMMAND INFO prints them. One of RO/RW/OW/RM says how the
# key's value is used; access/update/insert/delete refine it; not_key marks an argument
# that only looks like a key, incomplete a spec that may miss keys, variable_flags one
# whose flags depend on the other arguments (SET ... GET).
KEY_SPEC_FLAGS = (
    "RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete",
    "variable_flags",
)


@dataclass(frozen=True)
class KeySpec:
    """One Redis 7 key spec: where the search begins (begin_search), how the keys are
    found from there (find_keys), and flags for what the command does with them.

    The common form is an argv range: KeySpec(first, last=None, step=1) puts keys at
    argv[first], argv[first + step], ... up to argv[last]; `last` None means first only,
    and a negative `last` counts from the end (-1 is the last argument). `limit` N > 1
    makes a negative `last` stop after 1/N of the remaining arguments.
    Other forms, used by commands whose keys move:
      keyword="STREAMS", startfrom=1: the search begins after that word, looked for from
        argv[startfrom] on (backwards from the end when negative); `last` and `step` then
        count from the keyword, as Redis's lastkey does.
      keynum=(keynumidx, firstkey): the key count is at begin+keynumidx and the keys
        start at begin+firstkey, `step` apart.
      unknown=True: neither position is known (SORT's BY/GET); only the flags say anything.
    `notes` is Redis's free-text note, sent by COMMAND INFO.
    """

    first: int = 0
    last: int | None = None
    step: int = 1
    flags: tuple[str, ...] = ()
    notes: str = ""
    limit: int = 0
    keyword: str | None = None
    startfrom: int = 1
    keynum: tuple[int, int] | None = None
    unknown: bool = False

    def __post_init__(self) -> None:
        for flag in self.flags:
            if flag not in KEY_SPEC_FLAGS:
                raise ValueError(f"unknown key-spec flag {flag!r}")

    @property
    def is_index_range(self) -> bool:
        """Begins at a fixed index and finds a range: what a legacy first/last/step holds."""
        return not self.unknown and self.keyword is None and self.keynum is None

    @property
    def lastkey(self) -> int:
        """Redis's range lastkey: relative to the begin position, or negative from the end."""
        if self.last is None:
            return 0
        if self.last < 0 or self.keyword is not None:
            return self.last
        return self.last - self.first

    def begin_search(self) -> tuple[str, list[tuple[str, Any]]]:
        if self.unknown:
            return "unknown", []
        if self.keyword is not None:
            return "keyword", [("keyword", self.keyword), ("startfrom", self.startfrom)]
        return "index", [("index", self.first)]

    def find_keys(self) -> tuple[str, list[tuple[str, Any]]]:
        if self.unknown:
            return "unknown", []
        if self.keynum is not None:
            return "keynum", [("keynumidx", self.keynum[0]), ("firstkey", self.keynum[1]),
                              ("keystep", self.step)]
        return "range", [("lastkey", self.lastkey), ("keystep", self.step),
                         ("limit", self.limit)]

    def keys_in(self, argv: Argv) -> list[bytes]:
        """The keys of this spec in a full argv, as Redis's getKeysUsingKeySpecs finds
        them; positions past the end are skipped (arity is checked elsewhere)."""
        argc = len(argv)
        if self.unknown:
            return []
        begin = self.first
        if self.keyword is not None:
            begin = self._keyword_position(argv)
            if begin is None:
                return []
        if self.keynum is not None:
            count_at = begin + self.keynum[0]
            if count_at >= argc:
                return []
            try:
                count = int(argv[count_at])
            except ValueError:
                return []
            start = begin + self.keynum[1]
            stop = start + (count - 1) * self.step
        else:
            start = begin
            lastkey = self.lastkey
            if lastkey >= 0:
                stop = begin + lastkey
            elif self.limit <= 1:
                stop = argc + lastkey
            else:
                stop = begin + (argc - begin) // self.limit + lastkey
        return [argv[i] for i in range(start, min(stop, argc - 1) + 1, self.step)]

    def _keyword_position(self, argv: Argv) -> int | None:
        """The index after the keyword, or None when it is absent."""
        keyword = (self.keyword or "").encode().lower()
        argc = len(argv)
        # Redis's bounds: forwards it stops before the last argument, backwards before
        # argv[1]; either way a keyword with nothing after it would find no keys anyway.
        if self.startfrom > 0:
            positions = range(self.startfrom, argc - 1)
        else:
            positions = range(argc + self.startfrom, 1, -1)
        for index in positions:
            if argv[index].lower() == keyword:
                return index + 1
        return None


def legacy_range(key_specs: tuple[KeySpec, ...]) -> tuple[tuple[int, int, int], bool]:
    """COMMAND INFO's first/last/step and whether the keys are movable, derived from the
    key specs as Redis's populateCommandLegacyRangeSpec does: consecutive step-1 index
    ranges merge into one; anything else makes the command report movablekeys."""
    if not key_specs:
        return (0, 0, 0), False
    if len(key_specs) == 1 and key_specs[0].is_index_range:
        spec = key_specs[0]
        last = spec.lastkey if spec.lastkey < 0 else spec.first + spec.lastkey
        return (spec.first, last, spec.step), "incomplete" in spec.flags
    is_movable = False
    first: int | None = None
    last = 0
    previous_last = 0
    for spec in key_specs:
        if not spec.is_index_range:
            is_movable = True
            continue
        if spec.step != 1 or (previous_last and previous_last != spec.first - 1):
            is_movable = True
            continue
        if "incomplete" in spec.flags:
            is_movable = True
        first = spec.first if first is None else min(first, spec.first)
        absolute = spec.lastkey if spec.lastkey < 0 else spec.first + spec.lastkey
        # Redis compares as unsigned, so a negative (from the end) last key wins.
        last = max(last, absolute, key=lambda n: n % (1 << 32))
        previous_last = last
    if first is None:
        return (0, 0, 0), True
    return (first, last, 1), is_movable


@dataclass
class CommandStats:
    """Runtime counters (commandstats), kept apart from the declaration."""

    calls: int = 0
    # Nanoseconds: the executor adds raw perf_counter_ns differences, sparing a
    # division per command; INFO reads microseconds.
    nsec: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0

    @property
    def usec(self) -> int:
        return self.nsec // 1000


@dataclass(frozen=True)
class CommandSpec:
    name: str  # lowercase; "config|get" for a subcommand
    arity: int
    flags: CommandFlag
    handler: Handler | None
    group: str
    summary: str = ""
    # The arguments in the notation of server/command_docs.py; `arguments` is its tree.
    syntax: str = ""
    since: str = "1.0.0"
    complexity: str = ""
    key_specs: tuple[KeySpec, ...] = ()
    # For keys the specs cannot find (SORT's STORE): each key with its flags, as
    # Redis's getkeys procs give them.
    get_keys: Callable[[Argv], list[tuple[bytes, tuple[str, ...]]]] | None = None
    # For a key spec flagged variable_flags: the flags a given argv really implies (SET
    # without GET only overwrites), as Redis's getkeys procs refine them.
    key_flags: Callable[[Argv], tuple[str, ...]] | None = None
    acl_categories: tuple[str, ...] = ()
    # Redis's command tips (nondeterministic_output, request_policy:... ) in its order.
    tips: tuple[str, ...] = ()
    history: tuple[tuple[str, str], ...] = ()  # (version, what changed)
    doc_flags: tuple[str, ...] = ()  # "deprecated", "syscmd"
    deprecated_since: str = ""
    replaced_by: str = ""
    subcommands: dict[bytes, "CommandSpec"] = field(default_factory=dict)
    stats: CommandStats = field(default_factory=CommandStats, compare=False)
    arguments: tuple[Arg, ...] = field(init=False, compare=False)
    legacy_key_range: tuple[int, int, int] = field(init=False, compare=False)
    is_movable_keys: bool = field(init=False, compare=False)
    # Flag tests as plain booleans: enum.Flag arithmetic is too slow for the hot path.
    is_write: bool = field(init=False, compare=False)
    is_denyoom: bool = field(init=False, compare=False)
    is_no_auth: bool = field(init=False, compare=False)
    is_allowed_while_loading: bool = field(init=False, compare=False)
    is_skip_monitor: bool = field(init=False, compare=False)
    is_skip_slowlog: bool = field(init=False, compare=False)
    is_no_multi: bool = field(init=False, compare=False)

    def __post_init__(self) -> None:
        flags = self.flags
        object.__setattr__(self, "is_write", bool(flags & CommandFlag.WRITE))
        object.__setattr__(self, "is_denyoom", bool(flags & CommandFlag.DENYOOM))
        object.__setattr__(self, "is_no_auth", bool(flags & CommandFlag.NO_AUTH))
        object.__setattr__(self, "is_allowed_while_loading", bool(flags & CommandFlag.LOADING))
        object.__setattr__(self, "is_skip_monitor", bool(flags & CommandFlag.SKIP_MONITOR))
        object.__setattr__(self, "is_skip_slowlog", bool(flags & CommandFlag.SKIP_SLOWLOG))
        object.__setattr__(self, "is_no_multi", bool(flags & CommandFlag.NO_MULTI))
        # A syntax string that does not parse fails here, when the module is imported.
        object.__setattr__(self, "arguments", tuple(parse_syntax(self.syntax)))
        key_range, is_movable = legacy_range(self.key_specs)
        if self.get_keys is not None and not self.key_specs:
            is_movable = True
        object.__setattr__(self, "legacy_key_range", key_range)
        object.__setattr__(self, "is_movable_keys", is_movable)

    def accepts_arity(self, argc: int) -> bool:
        return argc == self.arity if self.arity > 0 else argc >= -self.arity

    def key_positions(self) -> tuple[int, int, int]:
        return self.legacy_key_range

    @property
    def has_keys(self) -> bool:
        return bool(self.key_specs) or self.get_keys is not None

    def keys_of(self, argv: Argv) -> list[bytes]:
        return [key for key, _ in self.keys_with_flags(argv)]

    def keys_with_flags(self, argv: Argv) -> list[tuple[bytes, tuple[str, ...]]]:
        """Each key of a full argv with its spec's flags, spec by spec, as COMMAND
        GETKEYSANDFLAGS lists them (a get_keys function gives its own flags)."""
        if self.get_keys is not None:
            found = self.get_keys(argv)
        else:
            found = [(key, spec.flags) for spec in self.key_specs for key in spec.keys_in(argv)]
        if self.key_flags is not None:
            flags = self.key_flags(argv)
            found = [(key, flags) for key, _ in found]
        return found

    def reported_flags(self) -> list[str]:
        flags = self.flags & ~HIDDEN_FLAGS
        if self.is_movable_keys:
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
    """The commands of one module (one Redis group), registered explicitly.

    Every declaring method takes the same keyword details, stored on the CommandSpec:
    keys (a KeySpec or several), get_keys, categories, tips, summary, since, complexity,
    syntax, history, doc_flags, deprecated_since, replaced_by.
    """

    def __init__(self, name: str, category: str | None = None) -> None:
        self.name = name
        self.category = category
        self.specs: list[CommandSpec] = []

    def command(
        self, name: str, arity: int, flags: CommandFlag = NONE, *,
        parent: CommandSpec | None = None, **details: Any,
    ) -> Callable[[Handler], Handler]:
        """Declare a handler."""

        def register(handler: Handler) -> Handler:
            spec = self.declare(name, arity, flags, handler, parent=parent, **details)
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
        keys: KeySpec | Sequence[KeySpec] | None = None,
        categories: Iterable[str] = (),
        inherit_category: bool = True,
        parent: CommandSpec | None = None,
        **details: Any,
    ) -> CommandSpec:
        all_categories = tuple(categories)
        if not all_categories and parent is not None:
            all_categories = parent.acl_categories
        if not all_categories and inherit_category and self.category:
            all_categories = (self.category,)
        if keys is None:
            key_specs: tuple[KeySpec, ...] = ()
        elif isinstance(keys, KeySpec):
            key_specs = (keys,)
        else:
            key_specs = tuple(keys)
        full_name = f"{parent.name}|{name.lower()}" if parent else name.lower()
        spec = CommandSpec(
            name=full_name, arity=arity, flags=flags, handler=handler, group=self.name,
            key_specs=key_specs, acl_categories=all_categories, **details,
        )
        if parent is not None:
            parent.subcommands[name.lower().encode()] = spec
        else:
            self.specs.append(spec)
        return spec

    def container(
        self, name: str, arity: int = -2, flags: CommandFlag = NONE,
        handler: Handler | None = None, **details: Any,
    ) -> CommandSpec:
        """A command such as CONFIG or CLIENT whose work is done by subcommands; `handler`
        serves the bare form (COMMAND with no subcommand). Like Redis's containers it has
        only the categories it declares, not its group's."""
        return self.declare(name, arity, flags, handler, inherit_category=False, **details)

    def subcommand(
        self, parent: CommandSpec, name: str, arity: int, flags: CommandFlag = NONE,
        **details: Any,
    ) -> Callable[[Handler], Handler]:
        return self.command(name, arity, flags, parent=parent, **details)


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

    def rename(self, old: str, new: str) -> None:
        """rename-command: `old` answers as `new` from now on, or not at all when `new`
        is empty. The spec keeps its declared name, as Redis's command keeps its
        fullname, so errors and COMMAND INFO still name the original command. Raises
        ValueError with the text of Redis's config error."""
        old_key = old.lower().encode("utf-8", "surrogateescape")
        spec = self.specs.pop(old_key, None)
        if spec is None:
            raise ValueError("No such command in rename-command")
        self._fast.pop(old_key, None)
        self._fast.pop(old_key.upper(), None)
        if not new:
            return
        new_key = new.lower().encode("utf-8", "surrogateescape")
        if new_key in self.specs:
            raise ValueError("Target command name already exists")
        self.specs[new_key] = spec
        self._fast[new_key] = spec
        self._fast[new_key.upper()] = spec

    def lookup(self, name: bytes) -> CommandSpec | None:
        spec = self._fast.get(name)
        if spec is None:
            spec = self.specs.get(name.lower())
        return spec

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.specs.values())

    def __len__(self) -> int:
        return len(self.specs)
