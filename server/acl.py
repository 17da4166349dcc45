"""ACL rules (Redis 7.0's acl.c): users, selectors, the permission check, descriptions.

A user has flags (on/off, nopass, sanitize-payload), SHA-256 password hashes and one or
more selectors; the first, the root selector, holds the rules written outside
parentheses. A selector allows commands (a set of full names such as "get" and
"config|get", plus "first arguments" of otherwise denied commands), key patterns (each
with read and/or write permission) and channel patterns. A command runs when any one
selector allows the command, every key it names and every channel it names.

Rules are applied to a copy of the user and stored only when all of them parse, so a
failed ACL SETUSER changes nothing; errors carry Redis's exact texts. Descriptions
(ACL LIST, GETUSER, the ACL file) are rebuilt from the permissions as Redis does:
+@all or -@all, the categories that fit best, then single commands.
This module knows the command table and the glob matcher, not sockets or replies; the
server's set of users, ACL files and the log are in server/acl_users.py.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from protocol.resp import split_inline_args
from server.acl_absent import ABSENT_COMMANDS
from server.glob import glob_match
from server.registry import ACL_CATEGORY_ORDER, CommandSpec

if TYPE_CHECKING:
    from server.registry import Registry

READ_PERMISSION = 1
WRITE_PERMISSION = 2
ALL_PERMISSION = READ_PERMISSION | WRITE_PERMISSION

# Denial reasons, ordered as Redis's ACL_DENIED_* values: with several selectors the
# highest reason (then the furthest argument) is the one reported.
DENIED_COMMAND = 1
DENIED_KEY = 2
DENIED_AUTH = 3
DENIED_CHANNEL = 4
REASON_NAMES = {DENIED_COMMAND: "command", DENIED_KEY: "key", DENIED_AUTH: "auth",
                DENIED_CHANNEL: "channel"}

# ACLSetUserStringError's texts.
UNKNOWN_NAME = "Unknown command or category name in ACL"
SYNTAX = "Syntax error"
KEY_AFTER_ALLKEYS = (
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does "
    "not have any effect. Try 'resetkeys' to start with an empty list of patterns")
CHANNEL_AFTER_ALLCHANNELS = (
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
    "does not have any effect. Try 'resetchannels' to start with an empty list of channels")
NO_SUCH_PASSWORD = "The password you are trying to remove from the user does not exist"
BAD_HASH = ("The password hash must be exactly 64 characters and contain only lowercase "
            "hexadecimal characters")
DUPLICATE_USER = "Duplicate user found. A user can only be defined once in config files"
SUBCOMMAND_FIRST_ARG = "Allowing first-arg of a subcommand is not supported"

# Commands whose arguments name channels: (first index, count; None for all the rest).
# PSUBSCRIBE's patterns must equal an allowed pattern; other channels match them.
_CHANNEL_COMMANDS = {"publish": (1, 1), "spublish": (1, 1), "subscribe": (1, None),
                     "ssubscribe": (1, None), "psubscribe": (1, None)}

_HEX = frozenset(b"0123456789abcdef")
_WHITESPACE = frozenset(b" \t\n\v\f\r\0")


class AclRuleError(Exception):
    """A rule that cannot be applied; `reason` is Redis's text for it."""

    def __init__(self, reason: str, ignorable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        # An unknown command or category: config files defer these (modules may add it).
        self.ignorable = ignorable


def hash_password(password: bytes) -> str:
    return hashlib.sha256(password).hexdigest()


def has_spaces(name: bytes) -> bool:
    """ACLStringHasSpaces: usernames and patterns may hold no whitespace or NUL."""
    return any(byte in _WHITESPACE for byte in name)


def _password_digest(op: bytes, clear_text: bool) -> str:
    """The SHA-256 hex of a `>pass`/`<pass` rule, or the hash a `#hash`/`!hash` gives."""
    if clear_text:
        return hash_password(op[1:])
    if _is_password_hash(op[1:]):
        return op[1:].decode("ascii")
    raise AclRuleError(BAD_HASH)


def _is_password_hash(text: bytes) -> bool:
    return len(text) == 64 and all(byte in _HEX for byte in text)


class AclCommand:
    """A command or subcommand as ACL rules name it: its full name, categories and
    subcommands; `spec` is None for a Redis command EmberKV lacks (server/acl_absent.py)."""

    __slots__ = ("name", "categories", "subcommands", "spec")

    def __init__(self, name: str, categories: Iterable[str], spec: CommandSpec | None) -> None:
        self.name = name
        self.categories = frozenset(categories)
        self.subcommands: dict[str, AclCommand] = {}
        self.spec = spec


class CommandTable:
    """The command table as ACL rules see it (Redis's server.orig_commands): every
    command and subcommand by full name, with its categories, in the table's order,
    then Redis's commands that EmberKV lacks."""

    def __init__(self, registry: "Registry") -> None:
        self.top: list[AclCommand] = []
        self.by_name: dict[str, AclCommand] = {}
        for spec in registry:
            self.top.append(self._add(spec, None))
        for name, categories in ABSENT_COMMANDS:
            parent_name, _, _ = name.rpartition("|")
            command = AclCommand(name, categories, None)
            self.by_name[name] = command
            if parent_name:
                self.by_name[parent_name].subcommands[name] = command
            else:
                self.top.append(command)
        self.in_category: dict[str, list[AclCommand]] = {c: [] for c in ACL_CATEGORY_ORDER}
        for command in self.walk(self.top):
            for category in command.categories:
                self.in_category[category].append(command)
        self.all_names = frozenset(self.by_name)

    def _add(self, spec: CommandSpec, parent: AclCommand | None) -> AclCommand:
        command = AclCommand(spec.name, spec.categories(), spec)
        self.by_name[spec.name] = command
        if parent is not None:
            parent.subcommands[spec.name] = command
        for sub in spec.subcommands.values():
            self._add(sub, command)
        return command

    def walk(self, commands: Iterable[AclCommand]) -> Iterator[AclCommand]:
        for command in commands:
            yield command
            yield from self.walk(command.subcommands.values())

    def lookup(self, name: bytes) -> AclCommand | None:
        """ACLLookupCommand: "get" or "config|get", case-insensitive."""
        try:
            text = name.decode("ascii").lower()
        except UnicodeDecodeError:
            return None
        if text.count("|") > 1:
            return None
        return self.by_name.get(text)

    def existing(self, category: str) -> list[CommandSpec]:
        """ACL CAT: the commands of a category that EmberKV has."""
        return [c.spec for c in self.in_category[category] if c.spec is not None]


class KeyPattern:
    __slots__ = ("pattern", "flags")

    def __init__(self, pattern: bytes, flags: int) -> None:
        self.pattern = pattern
        self.flags = flags

    def describe(self) -> bytes:
        prefix = {ALL_PERMISSION: b"~", READ_PERMISSION: b"%R~", WRITE_PERMISSION: b"%W~"}
        return prefix[self.flags] + self.pattern


class Selector:
    """One set of permissions (aclSelector). `allowed` holds full command names; the
    `future` bit is Redis's reserved bit set only by +@all: it is what makes a
    description start from +@all rather than -@all."""

    __slots__ = ("is_root", "all_keys", "all_channels", "all_commands", "future",
                 "allowed", "first_args", "keys", "channels")

    def __init__(self, is_root: bool = False, all_channels: bool = False) -> None:
        self.is_root = is_root
        self.all_keys = False
        self.all_channels = all_channels
        self.all_commands = False
        self.future = False
        self.allowed: set[str] = set()
        self.first_args: dict[str, list[bytes]] = {}
        self.keys: list[KeyPattern] = []
        self.channels: list[bytes] = []

    def copy(self) -> "Selector":
        other = Selector(self.is_root, self.all_channels)
        other.all_keys = self.all_keys
        other.all_commands = self.all_commands
        other.future = self.future
        other.allowed = set(self.allowed)
        other.first_args = {name: list(args) for name, args in self.first_args.items()}
        other.keys = [KeyPattern(p.pattern, p.flags) for p in self.keys]
        other.channels = list(self.channels)
        return other

    # ------------------------------------------------------------ rules

    def apply(self, op: bytes, table: CommandTable) -> None:
        """ACLSetSelector: one key, channel or command rule; raises AclRuleError."""
        word = op.lower()
        if word in (b"allkeys", b"~*"):
            self.all_keys = True
            self.keys.clear()
        elif word == b"resetkeys":
            self.all_keys = False
            self.keys.clear()
        elif word in (b"allchannels", b"&*"):
            self.all_channels = True
            self.channels.clear()
        elif word == b"resetchannels":
            self.all_channels = False
            self.channels.clear()
        elif word in (b"allcommands", b"+@all"):
            self.set_all_commands(True, table)
        elif word in (b"nocommands", b"-@all"):
            self.set_all_commands(False, table)
        elif op[:1] in (b"~", b"%"):
            self._add_key_pattern(op)
        elif op[:1] == b"&":
            if self.all_channels:
                raise AclRuleError(CHANNEL_AFTER_ALLCHANNELS)
            pattern = op[1:]
            if has_spaces(pattern):
                raise AclRuleError(SYNTAX)
            if pattern not in self.channels:
                self.channels.append(pattern)
            self.all_channels = False
        elif op[:1] == b"+" and op[1:2] != b"@":
            self._allow_command(op[1:], table)
        elif op[:1] == b"-" and op[1:2] != b"@":
            spec = table.lookup(op[1:])
            if spec is None:
                raise AclRuleError(UNKNOWN_NAME, ignorable=True)
            self.change(spec, False)
        elif op[:2] in (b"+@", b"-@"):
            category = op[2:].decode("ascii", "replace").lower()
            if category not in table.in_category:
                raise AclRuleError(UNKNOWN_NAME, ignorable=True)
            self.set_category(category, op[:1] == b"+", table)
        else:
            raise AclRuleError(SYNTAX)

    def _add_key_pattern(self, op: bytes) -> None:
        if self.all_keys:
            raise AclRuleError(KEY_AFTER_ALLKEYS)
        flags = 0
        offset = 1
        if op[:1] == b"%":
            while offset < len(op):
                char = op[offset:offset + 1]
                if char.upper() == b"R" and not flags & READ_PERMISSION:
                    flags |= READ_PERMISSION
                elif char.upper() == b"W" and not flags & WRITE_PERMISSION:
                    flags |= WRITE_PERMISSION
                elif char == b"~":
                    offset += 1
                    break
                else:
                    raise AclRuleError(SYNTAX)
                offset += 1
            if not flags:
                raise AclRuleError(SYNTAX)
        else:
            flags = ALL_PERMISSION
        pattern = op[offset:]
        if has_spaces(pattern):
            raise AclRuleError(SYNTAX)
        for existing in self.keys:
            if existing.pattern == pattern:
                existing.flags |= flags
                break
        else:
            self.keys.append(KeyPattern(pattern, flags))
        self.all_keys = False

    def _allow_command(self, name: bytes, table: CommandTable) -> None:
        bar = name.rfind(b"|")
        if bar < 0:
            spec = table.lookup(name)
            if spec is None:
                raise AclRuleError(UNKNOWN_NAME, ignorable=True)
            self.change(spec, True)
            return
        parent = table.lookup(name[:bar])
        if parent is None:
            raise AclRuleError(UNKNOWN_NAME, ignorable=True)
        if "|" in parent.name:
            raise AclRuleError(SUBCOMMAND_FIRST_ARG)
        first_arg = name[bar + 1:]
        if not first_arg:
            raise AclRuleError(SYNTAX)
        if parent.subcommands:
            spec = table.lookup(name)
            if spec is None:
                raise AclRuleError(UNKNOWN_NAME, ignorable=True)
            self.change(spec, True)
            return
        # "+select|0": one first argument of an otherwise denied command (deprecated
        # in Redis, still honoured).
        allowed = self.first_args.setdefault(parent.name, [])
        if all(first_arg.lower() != known.lower() for known in allowed):
            allowed.append(first_arg)

    def change(self, spec: AclCommand, allow: bool) -> None:
        """ACLChangeSelectorPerm: a container's subcommands follow it."""
        self._set_bit(spec.name, allow)
        self.first_args.pop(spec.name, None)
        for sub in spec.subcommands.values():
            self._set_bit(sub.name, allow)

    def _set_bit(self, name: str, allow: bool) -> None:
        if allow:
            self.allowed.add(name)
        else:
            self.allowed.discard(name)
            self.all_commands = False

    def set_category(self, category: str, allow: bool, table: CommandTable) -> None:
        for spec in table.in_category[category]:
            self.change(spec, allow)

    def set_all_commands(self, allow: bool, table: CommandTable) -> None:
        self.allowed = set(table.all_names) if allow else set()
        self.all_commands = self.future = allow
        self.first_args.clear()

    # ------------------------------------------------------------ checks

    def check(self, spec: CommandSpec, argv: list[bytes],
              keys: Callable[[], list[tuple[bytes, tuple[str, ...]]]]) -> tuple[int, int]:
        """(0, 0) when allowed, else (reason, argument index)."""
        if not self.all_commands and not spec.is_no_auth and spec.name not in self.allowed:
            allowed_args = self.first_args.get(spec.name)
            index = 2 if "|" in spec.name else 1
            if (not allowed_args or len(argv) <= index
                    or all(argv[index].lower() != arg.lower() for arg in allowed_args)):
                return DENIED_COMMAND, 0
        if not self.all_keys and spec.has_keys:
            for position, (key, flags) in enumerate(keys(), start=1):
                if not self.may_access_key(key, flags):
                    return DENIED_KEY, position
        channels = _CHANNEL_COMMANDS.get(spec.name)
        if channels is not None and not self.all_channels:
            first, count = channels
            last = len(argv) if count is None else first + count
            is_literal = spec.name == "psubscribe"
            for index in range(first, min(last, len(argv))):
                if not self.may_use_channel(argv[index], is_literal):
                    return DENIED_CHANNEL, index
        return 0, 0

    def may_access_key(self, key: bytes, flags: tuple[str, ...]) -> bool:
        if self.all_keys:
            return True
        needed = 0
        if "access" in flags:
            needed |= READ_PERMISSION
        if "insert" in flags or "delete" in flags or "update" in flags:
            needed |= WRITE_PERMISSION
        return any((p.flags & needed) == needed and glob_match(p.pattern, key)
                   for p in self.keys)

    def may_use_channel(self, channel: bytes, is_literal: bool) -> bool:
        if self.all_channels:
            return True
        if is_literal:
            return channel in self.channels
        return any(glob_match(pattern, channel) for pattern in self.channels)

    # ------------------------------------------------------------ descriptions

    def describe_commands(self, table: CommandTable) -> bytes:
        """ACLDescribeSelectorCommandRules: +@all or -@all, then the categories that fit
        best, one at a time, then the single commands that still differ (applied to a
        stand-in selector as they are emitted, so the result rebuilds these bits)."""
        additive = not self.future
        rules = [b"-@all" if additive else b"+@all"]
        emitted = Selector()
        emitted.set_all_commands(not additive, table)
        remaining = set(self.allowed)
        applied: set[str] = set()
        while True:
            best = None
            least_diff, most_same = 2**31 - 1, 0
            for category in ACL_CATEGORY_ORDER:
                if category in applied:
                    continue
                members = table.in_category[category]
                on = sum(1 for spec in members if spec.name in remaining)
                off = len(members) - on
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (diff < least_diff
                                    or (diff == least_diff and same > most_same)):
                    best, least_diff, most_same = category, diff, same
            if best is None:
                break
            emitted.set_category(best, additive, table)
            for spec in table.in_category[best]:
                _change_names(remaining, spec, not additive)
            rules.append((b"+@" if additive else b"-@") + best.encode())
            applied.add(best)
        self._describe_single_commands(table.top, emitted, rules)
        return b" ".join(rules)

    def _describe_single_commands(self, specs: Iterable[AclCommand], emitted: "Selector",
                                  rules: list[bytes]) -> None:
        for spec in specs:
            has_bit = spec.name in self.allowed
            if has_bit != (spec.name in emitted.allowed):
                rules.append((b"+" if has_bit else b"-") + spec.name.encode())
                emitted.change(spec, has_bit)
            if spec.subcommands:
                self._describe_single_commands(spec.subcommands.values(), emitted, rules)
            if not has_bit:
                for arg in self.first_args.get(spec.name, ()):
                    rules.append(b"+" + spec.name.encode() + b"|" + arg)

    def describe_keys(self) -> bytes:
        if self.all_keys:
            return b"~*"
        return b" ".join(pattern.describe() for pattern in self.keys)

    def describe_channels(self) -> bytes:
        if self.all_channels:
            return b"&*"
        return b" ".join(b"&" + pattern for pattern in self.channels)

    def describe(self, table: CommandTable) -> bytes:
        """ACLDescribeSelector: keys, channels, commands, as ACL LIST shows them."""
        parts = []
        if self.all_keys:
            parts.append(b"~*")
        else:
            parts.extend(pattern.describe() for pattern in self.keys)
        if self.all_channels:
            parts.append(b"&*")
        else:
            parts.append(b"resetchannels")
            parts.extend(b"&" + pattern for pattern in self.channels)
        parts.append(self.describe_commands(table))
        return b" ".join(parts)


def _change_names(names: set[str], spec: AclCommand, allow: bool) -> None:
    for name in [spec.name, *(sub.name for sub in spec.subcommands.values())]:
        if allow:
            names.add(name)
        else:
            names.discard(name)


# User flags in the order descriptions list them (ACLUserFlags).
USER_FLAG_ORDER = ("on", "off", "nopass", "skip-sanitize-payload", "sanitize-payload")


class User:
    def __init__(self, name: bytes, all_channels: bool = False) -> None:
        self.name = name
        self.flags: set[str] = {"off"}
        self.passwords: list[str] = []  # SHA-256 hex digests
        self.selectors: list[Selector] = [Selector(is_root=True, all_channels=all_channels)]
        # Whether the executor must check this user's commands at all (see refresh()).
        self.is_restricted = True
        self.refresh()

    @property
    def display_name(self) -> str:
        return self.name.decode("utf-8", "surrogateescape")

    @property
    def is_enabled(self) -> bool:
        return "on" in self.flags

    @property
    def root(self) -> Selector:
        return self.selectors[0]

    def refresh(self) -> None:
        """Recompute is_restricted: a selector allowing everything makes checks moot."""
        self.is_restricted = not any(
            s.all_commands and s.all_keys and s.all_channels for s in self.selectors)

    def copy_from(self, other: "User") -> None:
        """ACLCopyUser: the rules of `other`, keeping this user's name (and identity)."""
        self.flags = set(other.flags)
        self.passwords = list(other.passwords)
        self.selectors = [s.copy() for s in other.selectors]
        self.refresh()

    def clone(self) -> "User":
        twin = User(self.name)
        twin.copy_from(self)
        return twin

    def apply(self, op: bytes, table: CommandTable, pubsub_default_all: bool) -> None:
        """ACLSetUser: one rule; raises AclRuleError and may leave the user half-changed
        (callers apply rules to a copy)."""
        if not op:
            return
        word = op.lower()
        if word in (b"on", b"off"):
            self.flags.discard("off" if word == b"on" else "on")
            self.flags.add(word.decode())
        elif word in (b"skip-sanitize-payload", b"sanitize-payload"):
            self.flags.discard("sanitize-payload" if word == b"skip-sanitize-payload"
                               else "skip-sanitize-payload")
            self.flags.add(word.decode())
        elif word == b"nopass":
            self.flags.add("nopass")
            self.passwords.clear()
        elif word == b"resetpass":
            self.flags.discard("nopass")
            self.passwords.clear()
        elif op[:1] in (b">", b"#"):
            digest = _password_digest(op, clear_text=op[:1] == b">")
            if digest not in self.passwords:
                self.passwords.append(digest)
            self.flags.discard("nopass")
        elif op[:1] in (b"<", b"!"):
            digest = _password_digest(op, clear_text=op[:1] == b"<")
            if digest not in self.passwords:
                raise AclRuleError(NO_SUCH_PASSWORD)
            self.passwords.remove(digest)
        elif op[:1] == b"(" and op[-1:] == b")":
            selector = Selector(all_channels=pubsub_default_all)
            for inner in split_inline_args(op[1:-1]) or []:
                selector.apply(inner, table)
            self.selectors.append(selector)
        elif word == b"clearselectors":
            del self.selectors[1:]
        elif word == b"reset":
            for step in (b"resetpass", b"resetkeys", b"resetchannels"):
                self.apply(step, table, pubsub_default_all)
            if pubsub_default_all:
                self.apply(b"allchannels", table, pubsub_default_all)
            for step in (b"off", b"sanitize-payload", b"clearselectors", b"-@all"):
                self.apply(step, table, pubsub_default_all)
        else:
            self.root.apply(op, table)
        self.refresh()

    def check_password(self, password: bytes) -> bool:
        if "off" in self.flags:
            return False
        if "nopass" in self.flags:
            return True
        digest = hash_password(password)
        # Every stored hash is compared, in constant time each.
        matched = False
        for known in self.passwords:
            matched |= hmac.compare_digest(digest, known)
        return matched

    def describe(self, table: CommandTable) -> bytes:
        """ACLDescribeUser: flags, password hashes, root rules, then (selectors)."""
        parts = [flag.encode() for flag in USER_FLAG_ORDER if flag in self.flags]
        parts.extend(b"#" + digest.encode() for digest in self.passwords)
        text = b" ".join(parts + [self.root.describe(table)])
        for selector in self.selectors[1:]:
            text += b" (" + selector.describe(table) + b")"
        return text

    def check(self, spec: CommandSpec, argv: list[bytes]) -> tuple[int, int, bytes] | None:
        """ACLCheckAllUserCommandPerm: None when some selector allows the command, else
        (reason, position, object) for the most relevant denial."""
        cache: list[list[tuple[bytes, tuple[str, ...]]]] = []

        def keys() -> list[tuple[bytes, tuple[str, ...]]]:
            if not cache:
                cache.append(spec.keys_with_flags(argv))
            return cache[0]

        reason, last_position = DENIED_COMMAND, 0
        for selector in self.selectors:
            result, position = selector.check(spec, argv, keys)
            if result == 0:
                return None
            if result > reason or (result == reason and position > last_position):
                reason, last_position = result, position
        if reason == DENIED_COMMAND:
            return reason, 0, spec.name.encode()
        if reason == DENIED_KEY:
            return reason, last_position, keys()[last_position - 1][0]
        return reason, last_position, argv[last_position]


def merge_selector_args(args: list[bytes]) -> tuple[list[bytes], int | None]:
    """ACLMergeSelectorArguments: "(+get" "~x)" becomes one "(+get ~x)" argument. Returns
    the merged rules and, for an unclosed parenthesis, the index where it opened."""
    merged: list[bytes] = []
    opened_at: int | None = None
    selector = b""
    for index, op in enumerate(args):
        if opened_at is None and op[:1] == b"(" and op[-1:] != b")":
            selector = op
            opened_at = index
            continue
        if opened_at is not None:
            selector += b" " + op
            if op[-1:] == b")":
                opened_at = None
                merged.append(selector)
            continue
        merged.append(op)
    return merged, opened_at


def as_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def validate_user_declaration(args: list[bytes], table: CommandTable,
                              seen: set[bytes]) -> tuple[int, str] | None:
    """ACLAppendUserForLoading: a config file's `user name rules...` (args from the name
    on) checked on a stand-in user. Returns (index, reason) for the first problem, the
    index being the argc_err Redis quotes from the whole line ("user" is word 0): 1 for
    a duplicate, else the rule's index among the rules, which Redis prints against the
    whole line too. Unknown commands and categories pass here (Redis defers them to
    load_config_users)."""
    name = args[0]
    if name in seen:
        return 1, DUPLICATE_USER
    rules, opened_at = merge_selector_args(args[1:])
    if opened_at is not None:
        # Redis reports errno as left by an earlier call here: ENOENT's text.
        return opened_at, UNKNOWN_NAME
    stand_in = User(name)
    for index, op in enumerate(rules):
        try:
            stand_in.apply(op, table, False)
        except AclRuleError as error:
            if not error.ignorable:
                return index, error.reason
    return None
