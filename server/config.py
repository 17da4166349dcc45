"""Configuration directives: one table serves redis.conf files, `--name value` command-line
overrides, CONFIG GET, CONFIG SET and CONFIG REWRITE.

A directive has a name, a value type (which parses and formats it), a default equal to
Redis 7.0's, and whether CONFIG SET may change it at run time. `Config` holds the current
values; components that must react to a change register a listener with `on_change`.
Parsing follows Redis's config.c: a line is split like redis-cli input (quotes and
escapes), the first word is the directive (case-insensitive), `include` reads another
file, and several `save` lines accumulate.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from protocol.resp import split_inline_args


class ConfigError(Exception):
    """A value that cannot be accepted; `reason` is Redis's wording for it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConfigFileError(Exception):
    """A config file or command line that Redis would refuse to start with."""

    def __init__(self, line_number: int, line: str, reason: str) -> None:
        super().__init__(reason)
        self.line_number = line_number
        self.line = line
        self.reason = reason

    def report(self, version: str) -> str:
        return (
            f"\n*** FATAL CONFIG FILE ERROR (Redis {version}) ***\n"
            f"Reading the configuration file, at line {self.line_number}\n"
            f">>> '{self.line}'\n{self.reason}\n"
        )


# ------------------------------------------------------------------ value types

_MEMORY_UNITS = {
    "": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
    "g": 1000**3, "gb": 1024**3,
}
_MEMORY_RE = re.compile(r"^(-?\d+)([a-zA-Z]*)$")


def parse_memory(text: str) -> int:
    match = _MEMORY_RE.match(text)
    if not match or match.group(2).lower() not in _MEMORY_UNITS:
        raise ConfigError("argument must be a memory value")
    return int(match.group(1)) * _MEMORY_UNITS[match.group(2).lower()]


def format_memory_for_file(value: int) -> str:
    for unit, size in (("gb", 1024**3), ("mb", 1024**2), ("kb", 1024)):
        if value and value % size == 0:
            return f"{value // size}{unit}"
    return str(value)


@dataclass(frozen=True)
class ValueType:
    parse: Callable[[list[str]], Any]
    format: Callable[[Any], str]
    format_for_file: Callable[[Any], str] | None = None


def _single(args: list[str]) -> str:
    if len(args) != 1:
        raise ConfigError("wrong number of arguments")
    return args[0]


def _parse_bool(args: list[str]) -> bool:
    value = _single(args).lower()
    if value not in ("yes", "no"):
        raise ConfigError("argument must be 'yes' or 'no'")
    return value == "yes"


def _int_type(minimum: int, maximum: int) -> ValueType:
    def parse(args: list[str]) -> int:
        text = _single(args)
        try:
            value = int(text)
        except ValueError:
            raise ConfigError("argument couldn't be parsed into an integer") from None
        if not minimum <= value <= maximum:
            raise ConfigError(f"argument must be between {minimum} and {maximum} inclusive")
        return value

    return ValueType(parse, str)


def _memory_type(minimum: int = 0, maximum: int = 2**63 - 1) -> ValueType:
    def parse(args: list[str]) -> int:
        value = parse_memory(_single(args))
        if not minimum <= value <= maximum:
            raise ConfigError(f"argument must be between {minimum} and {maximum} inclusive")
        return value

    return ValueType(parse, str, format_memory_for_file)


def _enum_type(*choices: str) -> ValueType:
    def parse(args: list[str]) -> str:
        value = _single(args).lower()
        if value not in choices:
            raise ConfigError(f"argument(s) must be one of the following: {', '.join(choices)}")
        return value

    return ValueType(parse, str)


def _parse_save(args: list[str]) -> list[tuple[int, int]]:
    words = " ".join(args).split()
    if not words:
        return []
    if len(words) % 2:
        raise ConfigError("Invalid save parameters")
    points = []
    for seconds, changes in zip(words[::2], words[1::2]):
        try:
            point = (int(seconds), int(changes))
        except ValueError:
            raise ConfigError("Invalid save parameters") from None
        if point[0] < 1 or point[1] < 0:
            raise ConfigError("Invalid save parameters")
        points.append(point)
    return points


def _format_save(points: list[tuple[int, int]]) -> str:
    return " ".join(f"{s} {c}" for s, c in points)


def _parse_words(args: list[str]) -> list[str]:
    return " ".join(args).split()


BOOL = ValueType(_parse_bool, lambda v: "yes" if v else "no")
STRING = ValueType(_single, str)
WORDS = ValueType(_parse_words, " ".join)
SAVE = ValueType(_parse_save, _format_save)
INT = _int_type(-(2**63), 2**63 - 1)
PORT = _int_type(0, 65535)
NONNEG = _int_type(0, 2**31 - 1)
MEMORY = _memory_type()


@dataclass(frozen=True)
class Directive:
    name: str
    type: ValueType
    default: Any
    mutable: bool = True
    aliases: tuple[str, ...] = ()
    accumulates: bool = False  # repeated lines add up (save) instead of replacing


DIRECTIVES: tuple[Directive, ...] = (
    # network
    Directive("port", PORT, 6379, mutable=False),
    Directive("bind", WORDS, ["127.0.0.1", "-::1"], mutable=False),
    Directive("protected-mode", BOOL, True),
    Directive("tcp-backlog", NONNEG, 511, mutable=False),
    Directive("timeout", NONNEG, 0),
    Directive("tcp-keepalive", NONNEG, 300),
    Directive("unixsocket", STRING, "", mutable=False),
    Directive("maxclients", _int_type(1, 2**31 - 1), 10000),
    Directive("requirepass", STRING, ""),
    # general
    Directive("daemonize", BOOL, False, mutable=False),
    Directive("pidfile", STRING, "", mutable=False),
    Directive("loglevel", _enum_type("debug", "verbose", "notice", "warning", "nothing"), "notice"),
    Directive("logfile", STRING, "", mutable=False),
    Directive("databases", _int_type(1, 2**31 - 1), 16, mutable=False),
    Directive("dir", STRING, "./"),
    Directive("hz", _int_type(0, 2**31 - 1), 10),
    Directive("always-show-logo", BOOL, False, mutable=False),
    Directive("set-proc-title", BOOL, True, mutable=False),
    Directive("supervised", _enum_type("upstart", "systemd", "auto", "no"), "no", mutable=False),
    # protocol limits
    Directive("proto-max-bulk-len", _memory_type(1024 * 1024), 512 * 1024 * 1024),
    Directive("client-query-buffer-limit", _memory_type(1024 * 1024), 1024 * 1024 * 1024),
    # slow log and latency
    Directive("slowlog-log-slower-than", INT, 10000),
    Directive("slowlog-max-len", _int_type(0, 2**63 - 1), 128),
    Directive("latency-monitor-threshold", _int_type(0, 2**63 - 1), 0),
    # memory (behaviour in issue 7)
    Directive("maxmemory", MEMORY, 0),
    Directive(
        "maxmemory-policy",
        _enum_type("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                   "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
        "noeviction",
    ),
    Directive("maxmemory-samples", _int_type(1, 64), 5),
    # persistence (behaviour in issues 3 and 5)
    Directive("save", SAVE, [(3600, 1), (300, 100), (60, 10000)], accumulates=True),
    Directive("dbfilename", STRING, "dump.rdb"),
    Directive("rdbcompression", BOOL, True),
    Directive("rdbchecksum", BOOL, True),
    Directive("stop-writes-on-bgsave-error", BOOL, True),
    Directive("appendonly", BOOL, False),
    Directive("appendfilename", STRING, "appendonly.aof", mutable=False),
    Directive("appenddirname", STRING, "appendonlydir", mutable=False),
    Directive("appendfsync", _enum_type("always", "everysec", "no"), "everysec"),
    Directive("no-appendfsync-on-rewrite", BOOL, False),
    Directive("auto-aof-rewrite-percentage", NONNEG, 100),
    Directive("auto-aof-rewrite-min-size", MEMORY, 64 * 1024 * 1024),
    Directive("aof-load-truncated", BOOL, True),
    Directive("aof-use-rdb-preamble", BOOL, True),
    Directive("aof-timestamp-enabled", BOOL, False),
    # events
    Directive("notify-keyspace-events", STRING, ""),
    # lazy freeing: Python frees memory when the last reference goes, so these only
    # record the choice; FLUSHALL ASYNC and UNLINK behave as their SYNC forms.
    Directive("lazyfree-lazy-eviction", BOOL, False),
    Directive("lazyfree-lazy-expire", BOOL, False),
    Directive("lazyfree-lazy-server-del", BOOL, False),
    Directive("lazyfree-lazy-user-del", BOOL, False),
    Directive("lazyfree-lazy-user-flush", BOOL, False),
)

DIRECTIVE_BY_NAME: dict[str, Directive] = {}
for _directive in DIRECTIVES:
    DIRECTIVE_BY_NAME[_directive.name] = _directive
    for _alias in _directive.aliases:
        DIRECTIVE_BY_NAME[_alias] = _directive


Listener = Callable[[Any], None]


@dataclass
class Config:
    """Current values of every directive, and who to tell when one changes."""

    values: dict[str, Any] = field(
        default_factory=lambda: {d.name: d.default for d in DIRECTIVES}
    )
    config_file: str | None = None
    _listeners: dict[str, list[Listener]] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def on_change(self, name: str, listener: Listener) -> None:
        self._listeners.setdefault(name, []).append(listener)

    def set_from_args(self, name: str, args: list[str], *, accumulate: bool = False,
                      at_runtime: bool = False) -> None:
        directive = DIRECTIVE_BY_NAME.get(name.lower())
        if directive is None:
            raise KeyError(name)
        if at_runtime and not directive.mutable:
            raise ConfigError("can't set immutable config")
        value = directive.type.parse(args)
        if accumulate and directive.accumulates and args and " ".join(args).strip():
            value = self.values[directive.name] + value
        self.values[directive.name] = value
        for listener in self._listeners.get(directive.name, ()):
            listener(value)

    def get_matching(self, pattern: str) -> list[tuple[str, str]]:
        pattern = pattern.lower()
        if pattern in DIRECTIVE_BY_NAME:
            directive = DIRECTIVE_BY_NAME[pattern]
            return [(pattern, directive.type.format(self.values[directive.name]))]
        found = []
        for directive in DIRECTIVES:
            for name in (directive.name, *directive.aliases):
                if fnmatch.fnmatchcase(name, pattern):
                    found.append((name, directive.type.format(self.values[directive.name])))
        return found

    # ----------------------------------------------------------- files and argv

    def load_text(self, text: str, source_dir: str = ".") -> None:
        """Apply redis.conf-syntax text; raises ConfigFileError like Redis's loader."""
        accumulating_seen: set[str] = set()
        for number, raw_line in enumerate(text.splitlines(), start=1):
            line = raw_line.strip()
            if not line or line.startswith("#"):
                continue
            words = split_inline_args(line.encode())
            if words is None:
                raise ConfigFileError(number, line, "Unbalanced quotes in configuration line")
            if not words:
                continue
            args = [w.decode("utf-8", "surrogateescape") for w in words]
            name = args[0].lower()
            if name == "include" and len(args) == 2:
                path = os.path.join(source_dir, args[1])
                with open(path, encoding="utf-8", errors="surrogateescape") as handle:
                    self.load_text(handle.read(), os.path.dirname(path) or ".")
                continue
            directive = DIRECTIVE_BY_NAME.get(name)
            if directive is None or len(args) < 2:
                raise ConfigFileError(number, line, "Bad directive or wrong number of arguments")
            # The first `save` line replaces the defaults; later ones add to it.
            accumulate = directive.name in accumulating_seen
            accumulating_seen.add(directive.name)
            try:
                self.set_from_args(name, args[1:], accumulate=accumulate)
            except ConfigError as error:
                raise ConfigFileError(number, line, error.reason) from None

    def load_file(self, path: str) -> None:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
        self.config_file = os.path.abspath(path)
        self.load_text(text, os.path.dirname(path) or ".")

    def rewrite_file(self) -> None:
        """CONFIG REWRITE: keep the user's lines and comments, update values, append new ones."""
        if not self.config_file:
            raise ConfigError("The server is running without a config file")
        try:
            with open(self.config_file, encoding="utf-8", errors="surrogateescape") as handle:
                lines = handle.read().splitlines()
        except FileNotFoundError:
            lines = []
        written: set[str] = set()
        output: list[str] = []
        for line in lines:
            words = split_inline_args(line.strip().encode()) if line.strip() else None
            name = words[0].decode().lower() if words else ""
            directive = DIRECTIVE_BY_NAME.get(name) if not line.strip().startswith("#") else None
            if directive is None:
                output.append(line)
                continue
            if directive.name in written:
                continue
            written.add(directive.name)
            output.extend(self._lines_for(directive))
        missing = [
            d for d in DIRECTIVES
            if d.name not in written and self.values[d.name] != d.default
        ]
        if missing:
            output.append("# Generated by CONFIG REWRITE")
            for directive in missing:
                output.extend(self._lines_for(directive))
        temp_path = self.config_file + ".tmp"
        with open(temp_path, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write("\n".join(output) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, self.config_file)

    def _lines_for(self, directive: Directive) -> list[str]:
        value = self.values[directive.name]
        if directive.name == "save":
            return [f"save {s} {c}" for s, c in value] or ['save ""']
        formatter = directive.type.format_for_file or directive.type.format
        text = formatter(value)
        if text == "" or any(ch in text for ch in " \"'\\"):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return [f"{directive.name} {text}"]


def parse_command_line(argv: list[str]) -> tuple[str | None, list[tuple[str, list[str]]]]:
    """Split `[config-file] [--name value ...]` the way redis-server does.

    Arguments after `--name` up to the next `--option` are its values; a lone `-` first
    reads the config from stdin in Redis, which we do not support.
    """
    config_path: str | None = None
    index = 0
    if argv and not argv[0].startswith("--"):
        config_path = argv[0]
        index = 1
    overrides: list[tuple[str, list[str]]] = []
    while index < len(argv):
        word = argv[index]
        if not word.startswith("--"):
            raise ConfigFileError(0, " ".join(argv), "Bad directive or wrong number of arguments")
        name = word[2:]
        index += 1
        values: list[str] = []
        while index < len(argv) and not (
            argv[index].startswith("--") and len(argv[index]) > 2 and not _is_number(argv[index])
        ):
            values.append(argv[index])
            index += 1
        overrides.append((name, values))
    return config_path, overrides


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
