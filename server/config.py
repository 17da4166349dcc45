"""Configuration directives: one table serves redis.conf files, `--name value` command-line
options, CONFIG GET, CONFIG SET and CONFIG REWRITE.

A directive has a name (and maybe an alias such as slaveof for replicaof), a value type
that parses arguments and formats the value for CONFIG GET and for the config file, a
default equal to Redis 7.0.15's, and flags as Redis's config.c has them: immutable
(refused by CONFIG SET), protected (CONFIG SET only with enable-protected-configs),
sensitive (its value is redacted from MONITOR and the slow log), always-rewritten. A
directive whose behaviour EmberKV does not have yet carries a `recorded` note: it is
accepted and reported, and the note says what is missing.

Parsing follows Redis's loadServerConfigFromString: lines are trimmed and split like
redis-cli input (quotes, escapes), the first word is the directive (case-insensitive),
a one-argument directive must have exactly one argument, a multi-argument directive
given one non-empty argument splits it again, `include` reads other files, several
`save` lines accumulate. CONFIG SET splits a multi-argument value on single spaces and
is atomic: every value is parsed before any is stored, and if a listener refuses a new
value every old one is put back.
"""

from __future__ import annotations

import glob as filename_glob
import math
import os
import re
import resource
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from protocol.resp import parse_strict_int, split_inline_args
from server.glob import glob_match


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
        """Redis's stderr report (config.c loaderr), byte for byte."""
        return (
            f"\n*** FATAL CONFIG FILE ERROR (Redis {version}) ***\n"
            f"Reading the configuration file, at line {self.line_number}\n"
            f">>> '{self.line}'\n{self.reason}\n"
        )


class ConfigOpenError(Exception):
    """A config file that cannot be read; Redis logs this and exits with status 1."""


class ConfigSetError(Exception):
    """A refused CONFIG SET; `message` is the complete error reply."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ------------------------------------------------------------------ value types

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
UINT_MAX = 2**32 - 1
LLONG_MIN, LLONG_MAX = -(2**63), 2**63 - 1
ULLONG_MAX = 2**64 - 1

_MEMORY_UNITS = {
    "": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
    "g": 1000**3, "gb": 1024**3,
}
_MEMORY_RE = re.compile(r"^([0-9]*)(.*)$", re.DOTALL)


def parse_memory(text: str) -> int:
    """Redis's memtoull: digits and an optional unit (b, k, kb, m, mb, g, gb), unsigned.

    The arithmetic is C's unsigned long long: an overlong number saturates, as strtoull
    does, and the unit multiplication wraps.
    """
    match = _MEMORY_RE.match(text)
    unit = match.group(2).lower() if match else "?"
    if text.startswith("-") or unit not in _MEMORY_UNITS or not match:
        raise ConfigError("argument must be a memory value")
    digits = match.group(1)
    value = min(int(digits), ULLONG_MAX) if digits else 0
    return (value * _MEMORY_UNITS[unit]) & ULLONG_MAX


def format_memory_for_file(value: int) -> str:
    """rewriteConfigFormatMemory: the largest of gb/mb/kb that divides the value."""
    for unit, size in (("gb", 1024**3), ("mb", 1024**2), ("kb", 1024)):
        if value and value % size == 0:
            return f"{value // size}{unit}"
    return str(value)


_REPR_ESCAPES = {
    ord("\\"): "\\\\", ord('"'): '\\"', ord("\n"): "\\n", ord("\r"): "\\r",
    ord("\t"): "\\t", 7: "\\a", 8: "\\b",
}


def quote(text: str) -> str:
    """Redis's sdscatrepr: always double-quoted, C escapes, \\xHH for other bytes."""
    out = ['"']
    for byte in text.encode("utf-8", "surrogateescape"):
        escaped = _REPR_ESCAPES.get(byte)
        if escaped is not None:
            out.append(escaped)
        elif 32 <= byte < 127:
            out.append(chr(byte))
        else:
            out.append(f"\\x{byte:02x}")
    out.append('"')
    return "".join(out)


@dataclass(frozen=True)
class ValueType:
    """How one kind of value is parsed and shown.

    parse(args) -> value      arguments after the directive name (raises ConfigError)
    format(value) -> str      the CONFIG GET text
    file_lines(name, value)   the lines CONFIG REWRITE writes (default: name + format)
    multi_arg                 takes several arguments (save, bind ...), not exactly one
    """

    parse: Callable[[list[str]], Any]
    format: Callable[[Any], str] = str
    file_lines: Callable[[str, Any], list[str]] | None = None
    multi_arg: bool = False


def _single(args: list[str]) -> str:
    if len(args) != 1:
        raise ConfigError("wrong number of arguments")
    return args[0]


def _parse_bool(args: list[str]) -> bool:
    value = _single(args).lower()
    if value not in ("yes", "no"):
        raise ConfigError("argument must be 'yes' or 'no'")
    return value == "yes"


def _check_bounds(value: int, minimum: int, maximum: int) -> int:
    if not minimum <= value <= maximum:
        raise ConfigError(f"argument must be between {minimum} and {maximum} inclusive")
    return value


def int_type(minimum: int, maximum: int, *, clamp: tuple[int, int] | None = None) -> ValueType:
    """An integer as Redis's string2ll reads it; `clamp` narrows an accepted value
    silently afterwards (hz is accepted up to INT_MAX and runs at most 500)."""

    def parse(args: list[str]) -> int:
        value = parse_strict_int(_single(args).encode("utf-8", "surrogateescape"))
        if value is None:
            raise ConfigError("argument couldn't be parsed into an integer")
        value = _check_bounds(value, minimum, maximum)
        if clamp is not None:
            value = max(clamp[0], min(clamp[1], value))
        return value

    return ValueType(parse)


def memory_type(minimum: int = 0, maximum: int = LLONG_MAX, *, signed: bool = True) -> ValueType:
    """A byte count with units; a signed C type sees an unsigned overflow as negative."""

    def parse(args: list[str]) -> int:
        value = parse_memory(_single(args))
        if signed and value > LLONG_MAX:
            value -= 2**64
        return _check_bounds(value, minimum, maximum)

    return ValueType(parse, str, lambda name, value: [f"{name} {format_memory_for_file(value)}"])


def _parse_percent_memory(args: list[str]) -> int:
    """maxmemory-clients: bytes, or `N%` stored as -N, as Redis stores it."""
    text = _single(args)
    if text.endswith("%"):
        number = parse_strict_int(text[:-1].encode("utf-8", "surrogateescape"))
        if number is None or number < 0:
            raise ConfigError("argument must be a memory or percent value")
        if number > 100:
            raise ConfigError("percentage argument must be less or equal to 100")
        return -number
    try:
        value = parse_memory(text)
    except ConfigError:
        raise ConfigError("argument must be a memory or percent value") from None
    if value > LLONG_MAX:
        value -= 2**64
    return _check_bounds(value, -100, LLONG_MAX)


def _format_percent_memory(value: int) -> str:
    return f"{-value}%" if value < 0 else str(value)


PERCENT_MEMORY = ValueType(
    _parse_percent_memory, _format_percent_memory,
    lambda name, value: [f"{name} " + (
        _format_percent_memory(value) if value < 0 else format_memory_for_file(value))],
)


def enum_type(*choices: str, same_as: dict[str, str] | None = None) -> ValueType:
    """One of `choices`, case-insensitive; `same_as` maps a synonym to the name Redis
    reports for it (oom-score-adj: relative is reported as yes)."""
    synonyms = same_as or {}

    def parse(args: list[str]) -> str:
        value = _single(args).lower()
        if value not in choices:
            raise ConfigError(f"argument(s) must be one of the following: {', '.join(choices)}")
        return synonyms.get(value, value)

    return ValueType(parse)


_SHUTDOWN_FLAGS = ("save", "nosave", "now", "force")


def _parse_shutdown_flags(args: list[str]) -> tuple[str, ...]:
    if not args:
        raise ConfigError(
            "argument(s) must be one of the following: default, save, nosave, now, force")
    found: set[str] = set()
    for arg in args:
        word = arg.lower()
        if word != "default" and word not in _SHUTDOWN_FLAGS:
            raise ConfigError(
                "argument(s) must be one of the following: default, save, nosave, now, force")
        if word != "default":
            found.add(word)
    if "save" in found and "nosave" in found:
        raise ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously")
    return tuple(flag for flag in _SHUTDOWN_FLAGS if flag in found)


def _format_shutdown_flags(flags: tuple[str, ...]) -> str:
    return " ".join(flags) or "default"


SHUTDOWN_FLAGS = ValueType(_parse_shutdown_flags, _format_shutdown_flags, multi_arg=True)


def string_type(validate: Callable[[str], str | None] | None = None) -> ValueType:
    """Any string; written to the file quoted, as Redis's rewriteConfigStringOption does."""

    def parse(args: list[str]) -> str:
        value = _single(args)
        if validate is not None:
            problem = validate(value)
            if problem:
                raise ConfigError(problem)
        return value

    return ValueType(parse, str, lambda name, value: [f"{name} {quote(value)}"])


def _base_name_only(what: str, kind: str) -> Callable[[str], str | None]:
    def validate(value: str) -> str | None:
        if "/" in value or "\\" in value:
            return f"{what} can't be a path, just a {kind}"
        return None

    return validate


_TEMPLATE_VARIABLES = {
    "title", "listen-addr", "server-mode", "port", "tls-port", "unixsocket", "config-file",
}


def _validate_proc_title(value: str) -> str | None:
    """A template made of text and known {variables}, expanding to something non-empty."""
    invalid = "template format is invalid or contains unknown variables"
    expanded = re.sub(r"\{\{|\}\}", "x", value)
    parts = re.split(r"(\{[^{}]*\})", expanded)
    for part in parts:
        if part.startswith("{") and part.endswith("}") and len(part) >= 2:
            if part[1:-1] not in _TEMPLATE_VARIABLES:
                return invalid
        elif "{" in part or "}" in part:
            return invalid
    if not value:
        return invalid
    return None


def _validate_hostname(value: str) -> str | None:
    if any(not (ch.isascii() and (ch.isalnum() or ch in "-.")) for ch in value):
        return "Hostnames may only contain alphanumeric characters, hyphens or dots"
    return None


def _parse_octal(args: list[str]) -> int:
    text = _single(args)
    if not text or not re.fullmatch(r"[0-7]+", text):
        raise ConfigError("argument couldn't be parsed into an integer")
    return _check_bounds(int(text, 8), 0, 0o777)


OCTAL_PERMISSIONS = ValueType(_parse_octal, lambda value: f"{value:o}",
                              lambda name, value: [f"{name} {value:o}"])


def _parse_save(args: list[str]) -> list[tuple[int, int]]:
    """setConfigSaveOption: pairs of <seconds >= 1> <changes >= 0>; one "" means none."""
    if len(args) == 1 and args[0] == "":
        return []
    if len(args) % 2:
        raise ConfigError("Invalid save parameters")
    numbers = []
    for index, arg in enumerate(args):
        match = re.fullmatch(r"\s*[+-]?\d+", arg)
        if arg == "":
            value = 0
        elif match is None:
            raise ConfigError("Invalid save parameters")
        else:
            value = int(arg)
        if (index % 2 == 0 and value < 1) or (index % 2 == 1 and value < 0):
            raise ConfigError("Invalid save parameters")
        numbers.append(value)
    return list(zip(numbers[::2], numbers[1::2]))


def _save_lines(name: str, points: list[tuple[int, int]]) -> list[str]:
    return [f"{name} {s} {c}" for s, c in points] or [f'{name} ""']


SAVE = ValueType(_parse_save, lambda points: " ".join(f"{s} {c}" for s, c in points),
                 _save_lines, multi_arg=True)

_BIND_MAX = 16


def _parse_bind(args: list[str]) -> list[str]:
    if len(args) > _BIND_MAX:
        raise ConfigError("Too many bind addresses specified.")
    if len(args) == 1 and args[0] == "":
        return []
    return list(args)


BIND = ValueType(_parse_bind, " ".join,
                 lambda name, value: [f"{name} {' '.join(value)}"], multi_arg=True)

# client-output-buffer-limit: class -> (hard bytes, soft bytes, soft seconds). CONFIG GET
# names the replica class "slave", CONFIG REWRITE names it "replica", as Redis 7.0 does.
_OBUF_CLASSES = ("normal", "slave", "pubsub")
_OBUF_FILE_NAMES = {"normal": "normal", "slave": "replica", "pubsub": "pubsub"}
OBUF_DEFAULTS = {
    "normal": (0, 0, 0),
    "slave": (256 * 1024**2, 64 * 1024**2, 60),
    "pubsub": (32 * 1024**2, 8 * 1024**2, 60),
}


def _parse_obuf_limits(args: list[str]) -> dict[str, tuple[int, int, int]]:
    """A partial update: classes not named keep their current limits (merged on set)."""
    if len(args) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    found: dict[str, tuple[int, int, int]] = {}
    for index in range(0, len(args), 4):
        name = args[index].lower()
        name = "slave" if name == "replica" else name
        if name not in _OBUF_CLASSES:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        try:
            hard = parse_memory(args[index + 1])
            soft = parse_memory(args[index + 2])
        except ConfigError:
            hard = soft = -1
        seconds_text = args[index + 3]
        if (hard < 0 or not re.fullmatch(r"\s*[+-]?\d+", seconds_text)
                or int(seconds_text) < 0):
            raise ConfigError(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        found[name] = (hard, soft, int(seconds_text))
    return found


def _format_obuf_limits(limits: dict[str, tuple[int, int, int]]) -> str:
    return " ".join(f"{name} {h} {s} {sec}" for name in _OBUF_CLASSES
                    for h, s, sec in (limits[name],))


def _obuf_lines(name: str, limits: dict[str, tuple[int, int, int]]) -> list[str]:
    return [
        f"{name} {_OBUF_FILE_NAMES[cls]} {format_memory_for_file(h)} "
        f"{format_memory_for_file(s)} {sec}"
        for cls in _OBUF_CLASSES for h, s, sec in (limits[cls],)
    ]


OBUF_LIMITS = ValueType(_parse_obuf_limits, _format_obuf_limits, _obuf_lines, multi_arg=True)


def _parse_oom_values(args: list[str]) -> list[int]:
    if len(args) != 3:
        raise ConfigError("wrong number of arguments")
    values = []
    for arg in args:
        if not re.fullmatch(r"\s*[+-]?\d+", arg) or not -2000 <= int(arg) <= 2000:
            raise ConfigError(
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
        values.append(int(arg))
    return values


OOM_VALUES = ValueType(_parse_oom_values, lambda v: " ".join(map(str, v)),
                       lambda name, v: [f"{name} {' '.join(map(str, v))}"], multi_arg=True)


def _trimmed_float(value: float) -> str:
    """printf("%f") with trailing zeros (and a bare point) removed, as Redis prints."""
    return ("%f" % value).rstrip("0").rstrip(".")


def _parse_percentiles(args: list[str]) -> list[float]:
    if len(args) == 1 and args[0] == "":
        return []
    values = []
    for arg in args:
        try:
            value = float(arg)
        except ValueError:
            value = math.nan
        if math.isnan(value) or arg.strip() != arg or not arg:
            raise ConfigError("Invalid latency-tracking-info-percentiles parameters")
        if not 0.0 <= value <= 100.0:
            raise ConfigError(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
        values.append(value)
    return values


def _percentile_lines(name: str, values: list[float]) -> list[str]:
    if not values:
        return [f'{name} ""']
    return [name + "".join(" " + _trimmed_float(v) for v in values)]


PERCENTILES = ValueType(_parse_percentiles, lambda v: " ".join(map(_trimmed_float, v)),
                        _percentile_lines, multi_arg=True)

# notify-keyspace-events: the class characters and the order Redis prints them in.
_EVENT_CLASSES = "g$lshzxetdn"  # printed in this order unless all of "A" are set
_EVENT_ALL = set("g$lshzxetd")
_EVENT_VALID = "Ag$lshzxeKEtmdn"


def _parse_events(args: list[str]) -> str:
    flags: set[str] = set()
    for ch in _single(args):
        if ch == "A":
            flags |= _EVENT_ALL
        elif ch in _EVENT_VALID:
            flags.add(ch)
        else:
            raise ConfigError(f"Invalid event class character. Use '{_EVENT_VALID}'.")
    return _spell_events(flags)


def _spell_events(flags: set[str]) -> str:
    """The stored value: keyspaceEventsFlagsToString's spelling, except that "n" stays
    after "A" (Redis keeps the flag, and sends "new" events, though it prints no "n"
    there: see _shown_events)."""
    has_all = _EVENT_ALL <= flags
    out = "A" if has_all else "".join(c for c in _EVENT_CLASSES if c in flags)
    out += "".join(ch for ch in "KEm" if ch in flags)
    if has_all and "n" in flags:
        out += "n"
    return out


def _shown_events(value: str) -> str:
    """What CONFIG GET and CONFIG REWRITE show: with every class set Redis prints "A"
    and no "n" (it is not part of "A"), even when "n" is set."""
    return value.replace("n", "") if value.startswith("A") else value


EVENTS = ValueType(_parse_events, _shown_events,
                   lambda name, value: [f"{name} {quote(_shown_events(value))}"])


def _parse_replicaof(args: list[str]) -> str:
    if len(args) != 2:
        raise ConfigError("wrong number of arguments")
    if args[0].lower() == "no" and args[1].lower() == "one":
        return ""
    port = args[1]
    if not re.fullmatch(r"\s*[+-]?\d+", port) or not 0 <= int(port) <= 65535:
        raise ConfigError("Invalid master port")
    raise ConfigError("EmberKV does not implement replication: replicaof must be 'no one'")


REPLICAOF = ValueType(_parse_replicaof, str,
                      lambda name, value: [f"{name} {value}"] if value else [], multi_arg=True)


def _parse_dir(args: list[str]) -> str:
    """An existing directory we may enter; stored as its real absolute path (getcwd)."""
    path = _single(args)
    if not os.path.isdir(path):
        raise ConfigError(os.strerror(2 if not os.path.exists(path) else 20))
    if not os.access(path, os.X_OK):
        raise ConfigError(os.strerror(13))
    return os.path.realpath(path)


DIR = ValueType(_parse_dir, str, lambda name, value: [f"{name} {quote(value)}"])


def _reject_unless_default(kind: ValueType, default: Any, reason: str) -> ValueType:
    """A directive whose only supported value is its default (cluster mode, TLS ...)."""

    def parse(args: list[str]) -> Any:
        value = kind.parse(args)
        if value != default:
            raise ConfigError(reason)
        return value

    return ValueType(parse, kind.format, kind.file_lines, kind.multi_arg)


BOOL = ValueType(_parse_bool, lambda v: "yes" if v else "no")
STRING = string_type()
INT = int_type(INT_MIN, INT_MAX)
NONNEG_INT = int_type(0, INT_MAX)
POSITIVE_INT = int_type(1, INT_MAX)
NONNEG_LONG = int_type(0, LLONG_MAX)
PORT = int_type(0, 65535)
PROTECTED_ACTION = enum_type("no", "yes", "local")


# ------------------------------------------------------------------ the table

@dataclass(frozen=True)
class Directive:
    name: str
    type: ValueType
    default: Any
    mutable: bool = True
    alias: str | None = None
    protected: bool = False  # CONFIG SET needs enable-protected-configs (yes, or local)
    sensitive: bool = False  # value redacted from MONITOR and the slow log
    always_rewrite: bool = False  # CONFIG REWRITE writes it even at its default
    recorded: str = ""  # non-empty: accepted and reported, but without effect (why)


_NOT_CLUSTER = "no cluster mode"
_NOT_REPLICATION = "no replication"
_NOT_TLS = "no TLS"
_ENCODING = "one representation per type, no listpack/intset/ziplist encodings"
_NO_DEFRAG = "no active defragmentation (Python allocator)"
_PERSISTENCE_YET = "persistence arrives with the RDB/AOF issues"
_SYNC_FREE = "memory is always freed synchronously when the last reference goes"

DIRECTIVES: tuple[Directive, ...] = (
    # ---- network and clients
    Directive("bind", BIND, ["*", "-::*"]),
    Directive("bind-source-addr", STRING, "", recorded=_NOT_REPLICATION),
    Directive("protected-mode", BOOL, True),
    Directive("port", PORT, 6379),
    Directive("tcp-backlog", NONNEG_INT, 511, mutable=False),
    Directive("unixsocket", _reject_unless_default(
        STRING, "", "EmberKV does not listen on unix sockets"), "", mutable=False),
    Directive("unixsocketperm", OCTAL_PERMISSIONS, 0, mutable=False,
              recorded="no unix socket listener"),
    Directive("timeout", NONNEG_INT, 0),
    Directive("tcp-keepalive", NONNEG_INT, 300),
    Directive("socket-mark-id", NONNEG_INT, 0, mutable=False, recorded="SO_MARK is not set"),
    Directive("maxclients", int_type(1, UINT_MAX), 10000),
    Directive("requirepass", STRING, "", sensitive=True),
    Directive("acl-pubsub-default", enum_type("allchannels", "resetchannels"),
              "resetchannels"),
    Directive("aclfile", STRING, "", mutable=False),
    Directive("acllog-max-len", NONNEG_LONG, 128),
    Directive("client-output-buffer-limit", OBUF_LIMITS, OBUF_DEFAULTS),
    Directive("client-query-buffer-limit", memory_type(1024**2), 1024**3),
    Directive("proto-max-bulk-len", memory_type(1024**2), 512 * 1024**2),
    # Beyond Redis: the largest reply SRANDMEMBER, HRANDFIELD and ZRANDMEMBER may build
    # for a negative count, which sets the reply's size whatever the data (server/
    # commands/random_replies.py); 0 is no bound, as in Redis.
    Directive("rand-max-reply-size", memory_type(), 512 * 1024**2),
    Directive("maxmemory-clients", PERCENT_MEMORY, 0, recorded="no client eviction"),
    Directive("tracking-table-max-keys", NONNEG_LONG, 1000000,
              recorded="no client-side caching"),
    Directive("busy-reply-threshold", NONNEG_LONG, 5000, alias="lua-time-limit",
              recorded="no scripting"),
    # ---- general
    Directive("daemonize", BOOL, False, mutable=False),
    Directive("supervised", enum_type("upstart", "systemd", "auto", "no"), "no",
              mutable=False, recorded="no supervisor notification"),
    Directive("pidfile", STRING, "", mutable=False),
    Directive("loglevel", enum_type("debug", "verbose", "notice", "warning"), "notice"),
    Directive("logfile", STRING, "", mutable=False),
    Directive("syslog-enabled", BOOL, False, mutable=False, recorded="no syslog"),
    Directive("syslog-ident", STRING, "redis", mutable=False, recorded="no syslog"),
    Directive("syslog-facility", enum_type(
        "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
        "local7"), "local0", mutable=False, recorded="no syslog"),
    Directive("crash-log-enabled", BOOL, True, recorded="Python tracebacks instead"),
    Directive("crash-memcheck-enabled", BOOL, True, recorded="no memory test"),
    Directive("databases", POSITIVE_INT, 16, mutable=False),
    Directive("always-show-logo", BOOL, False, mutable=False, recorded="no ASCII logo"),
    Directive("set-proc-title", BOOL, True, mutable=False, recorded="process title unchanged"),
    Directive("proc-title-template", string_type(_validate_proc_title),
              "{title} {listen-addr} {server-mode}", recorded="process title unchanged"),
    Directive("dir", DIR, "./", protected=True, always_rewrite=True),
    Directive("hz", int_type(0, INT_MAX, clamp=(1, 500)), 10),
    Directive("dynamic-hz", BOOL, True, recorded="hz stays as configured"),
    Directive("enable-protected-configs", PROTECTED_ACTION, "no", mutable=False),
    Directive("enable-debug-command", PROTECTED_ACTION, "no", mutable=False),
    Directive("enable-module-command", PROTECTED_ACTION, "no", mutable=False,
              recorded="no modules"),
    Directive("shutdown-timeout", NONNEG_INT, 10, recorded="no replicas to wait for"),
    Directive("shutdown-on-sigint", SHUTDOWN_FLAGS, ()),
    Directive("shutdown-on-sigterm", SHUTDOWN_FLAGS, ()),
    Directive("ignore-warnings", STRING, ""),
    Directive("io-threads", int_type(1, 128), 1, mutable=False,
              recorded="one thread does all I/O"),
    Directive("io-threads-do-reads", BOOL, False, mutable=False,
              recorded="one thread does all I/O"),
    Directive("server_cpulist", STRING, "", mutable=False, recorded="no CPU affinity"),
    Directive("bio_cpulist", STRING, "", mutable=False, recorded="no CPU affinity"),
    Directive("aof_rewrite_cpulist", STRING, "", mutable=False, recorded="no CPU affinity"),
    Directive("bgsave_cpulist", STRING, "", mutable=False, recorded="no CPU affinity"),
    Directive("oom-score-adj", enum_type("no", "yes", "relative", "absolute",
                                         same_as={"relative": "yes"}), "no",
              recorded="oom_score_adj is not written"),
    Directive("oom-score-adj-values", OOM_VALUES, [0, 200, 800],
              recorded="oom_score_adj is not written"),
    Directive("disable-thp", BOOL, True, mutable=False, recorded="THP is left as the OS has it"),
    Directive("jemalloc-bg-thread", BOOL, True, recorded="no jemalloc"),
    # ---- slow log, latency
    Directive("slowlog-log-slower-than", int_type(-1, LLONG_MAX), 10000),
    Directive("slowlog-max-len", NONNEG_LONG, 128),
    Directive("latency-monitor-threshold", NONNEG_LONG, 0, recorded="no latency monitor"),
    Directive("latency-tracking", BOOL, True, recorded="no per-command latency histograms"),
    Directive("latency-tracking-info-percentiles", PERCENTILES, [50.0, 99.0, 99.9],
              always_rewrite=True, recorded="no per-command latency histograms"),
    # ---- memory (server/eviction.py, server/memory.py)
    Directive("maxmemory", memory_type(0, ULLONG_MAX, signed=False), 0),
    Directive("maxmemory-policy", enum_type(
        "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
        "allkeys-lfu", "allkeys-random", "noeviction"), "noeviction"),
    Directive("maxmemory-samples", POSITIVE_INT, 5),
    Directive("maxmemory-eviction-tenacity", int_type(0, 100), 10),
    Directive("lfu-log-factor", NONNEG_INT, 10),
    Directive("lfu-decay-time", NONNEG_INT, 1),
    Directive("active-expire-effort", int_type(1, 10), 1,
              recorded="active expiry reclaims every due key in time slices"),
    Directive("lazyfree-lazy-eviction", BOOL, False, recorded=_SYNC_FREE),
    Directive("lazyfree-lazy-expire", BOOL, False, recorded=_SYNC_FREE),
    Directive("lazyfree-lazy-server-del", BOOL, False, recorded=_SYNC_FREE),
    Directive("lazyfree-lazy-user-del", BOOL, False, recorded=_SYNC_FREE),
    Directive("lazyfree-lazy-user-flush", BOOL, False, recorded=_SYNC_FREE),
    Directive("activerehashing", BOOL, True, recorded="Python dicts resize themselves"),
    Directive("activedefrag", BOOL, False, recorded=_NO_DEFRAG),
    Directive("active-defrag-ignore-bytes", memory_type(1), 100 * 1024**2, recorded=_NO_DEFRAG),
    Directive("active-defrag-threshold-lower", int_type(0, 1000), 10, recorded=_NO_DEFRAG),
    Directive("active-defrag-threshold-upper", int_type(0, 1000), 100, recorded=_NO_DEFRAG),
    Directive("active-defrag-cycle-min", int_type(1, 99), 1, recorded=_NO_DEFRAG),
    Directive("active-defrag-cycle-max", int_type(1, 99), 25, recorded=_NO_DEFRAG),
    Directive("active-defrag-max-scan-fields", int_type(1, LLONG_MAX), 1000,
              recorded=_NO_DEFRAG),
    # ---- data type encodings (Redis's compact encodings do not exist here)
    # What OBJECT ENCODING reports for hashes and sets from then on (hash_type.py, set_type.py).
    Directive("hash-max-listpack-entries", NONNEG_LONG, 512, alias="hash-max-ziplist-entries"),
    Directive("hash-max-listpack-value", memory_type(), 64, alias="hash-max-ziplist-value"),
    # Node size of lists created from then on (server/quicklist.py), as in Redis.
    Directive("list-max-listpack-size", INT, -2, alias="list-max-ziplist-size"),
    Directive("list-compress-depth", NONNEG_INT, 0,
              recorded="list nodes are never LZF-compressed"),
    Directive("set-max-intset-entries", NONNEG_LONG, 512),
    # What OBJECT ENCODING reports for sorted sets from then on (server/commands/zsets.py).
    Directive("zset-max-listpack-entries", NONNEG_LONG, 128, alias="zset-max-ziplist-entries"),
    Directive("zset-max-listpack-value", memory_type(), 64, alias="zset-max-ziplist-value"),
    Directive("hll-sparse-max-bytes", memory_type(), 3000),
    Directive("stream-node-max-bytes", memory_type(), 4096, recorded=_ENCODING),
    Directive("stream-node-max-entries", NONNEG_LONG, 100, recorded=_ENCODING),
    # ---- persistence (behaviour with the RDB and AOF issues)
    Directive("save", SAVE, [(3600, 1), (300, 100), (60, 10000)], always_rewrite=True),
    Directive("dbfilename", string_type(_base_name_only("dbfilename", "filename")),
              "dump.rdb", protected=True),
    Directive("rdbcompression", BOOL, True),
    Directive("rdbchecksum", BOOL, True, mutable=False),
    Directive("rdb-del-sync-files", BOOL, False, recorded=_NOT_REPLICATION),
    Directive("rdb-save-incremental-fsync", BOOL, True,
              recorded="the snapshot is fsynced once, at the end"),
    Directive("stop-writes-on-bgsave-error", BOOL, True),
    # Beyond Redis: how BGSAVE, save points and the AOF rewrite's base take their
    # snapshot. fork is Redis's child process; forkless writes it on the loop in
    # slices, copying a key's value before its first change (persistence/snapshot.py,
    # server/point_in_time.py), so copy-on-write does not duplicate the heap. Read
    # when a save or rewrite starts.
    Directive("rdb-snapshot-mode", enum_type("fork", "forkless"), "fork"),
    # Beyond Redis: every successful save is also kept in an archive (persistence/
    # archive.py). The directory is protected as `dir` is: CONFIG SET of a path the
    # server then writes to is the classic way to turn a Redis into a file-writing tool.
    Directive("snapshot-archive-dir", STRING, "", protected=True),
    Directive("snapshot-archive-keep", NONNEG_INT, 0),
    Directive("snapshot-archive-max-age", NONNEG_LONG, 0),
    Directive("sanitize-dump-payload", enum_type("no", "yes", "clients"), "no",
              recorded="RESTORE always decodes the whole payload, as with yes"),
    Directive("appendonly", BOOL, False),
    Directive("appendfilename", string_type(_base_name_only("appendfilename", "filename")),
              "appendonly.aof", mutable=False),
    Directive("appenddirname", string_type(_base_name_only("appenddirname", "dirname")),
              "appendonlydir", mutable=False),
    Directive("appendfsync", enum_type("everysec", "always", "no"), "everysec"),
    Directive("no-appendfsync-on-rewrite", BOOL, False,
              recorded="fsyncs go on during a rewrite (it runs in one child at a time)"),
    Directive("auto-aof-rewrite-percentage", NONNEG_INT, 100),
    Directive("auto-aof-rewrite-min-size", memory_type(), 64 * 1024**2),
    Directive("aof-load-truncated", BOOL, True),
    Directive("aof-use-rdb-preamble", BOOL, True),
    Directive("aof-timestamp-enabled", BOOL, False),
    Directive("aof-rewrite-incremental-fsync", BOOL, True,
              recorded="the rewrite child fsyncs its base once, at the end"),
    Directive("aof-disable-auto-gc", BOOL, False),
    # ---- events
    Directive("notify-keyspace-events", EVENTS, ""),
    # ---- replication (EmberKV is always a master with no replicas)
    Directive("replicaof", REPLICAOF, "", mutable=False, alias="slaveof"),
    Directive("masterauth", STRING, "", sensitive=True, recorded=_NOT_REPLICATION),
    Directive("masteruser", STRING, "", sensitive=True, recorded=_NOT_REPLICATION),
    Directive("replica-serve-stale-data", BOOL, True, alias="slave-serve-stale-data",
              recorded=_NOT_REPLICATION),
    Directive("replica-read-only", BOOL, True, alias="slave-read-only",
              recorded=_NOT_REPLICATION),
    Directive("replica-ignore-maxmemory", BOOL, True, alias="slave-ignore-maxmemory",
              recorded=_NOT_REPLICATION),
    Directive("replica-lazy-flush", BOOL, False, alias="slave-lazy-flush",
              recorded=_NOT_REPLICATION),
    Directive("replica-priority", NONNEG_INT, 100, alias="slave-priority",
              recorded=_NOT_REPLICATION),
    Directive("replica-announce-ip", STRING, "", alias="slave-announce-ip",
              recorded=_NOT_REPLICATION),
    Directive("replica-announce-port", PORT, 0, alias="slave-announce-port",
              recorded=_NOT_REPLICATION),
    Directive("replica-announced", BOOL, True, recorded=_NOT_REPLICATION),
    Directive("replica-ignore-disk-write-errors", BOOL, False, recorded=_NOT_REPLICATION),
    Directive("repl-diskless-sync", BOOL, True, recorded=_NOT_REPLICATION),
    Directive("repl-diskless-sync-delay", NONNEG_INT, 5, recorded=_NOT_REPLICATION),
    Directive("repl-diskless-sync-max-replicas", NONNEG_INT, 0, recorded=_NOT_REPLICATION),
    Directive("repl-diskless-load", enum_type("disabled", "on-empty-db", "swapdb"),
              "disabled", recorded=_NOT_REPLICATION),
    Directive("repl-ping-replica-period", POSITIVE_INT, 10, alias="repl-ping-slave-period",
              recorded=_NOT_REPLICATION),
    Directive("repl-timeout", POSITIVE_INT, 60, recorded=_NOT_REPLICATION),
    Directive("repl-disable-tcp-nodelay", BOOL, False, recorded=_NOT_REPLICATION),
    Directive("repl-backlog-size", memory_type(1), 1024**2, recorded=_NOT_REPLICATION),
    Directive("repl-backlog-ttl", NONNEG_LONG, 3600, recorded=_NOT_REPLICATION),
    Directive("min-replicas-to-write", NONNEG_INT, 0, alias="min-slaves-to-write",
              recorded=_NOT_REPLICATION),
    Directive("min-replicas-max-lag", NONNEG_INT, 10, alias="min-slaves-max-lag",
              recorded=_NOT_REPLICATION),
    Directive("propagation-error-behavior", enum_type("ignore", "panic", "panic-on-replicas"),
              "ignore", recorded=_NOT_REPLICATION),
    # ---- cluster (not implemented: cluster-enabled must stay no)
    Directive("cluster-enabled", _reject_unless_default(
        BOOL, False, "EmberKV does not implement cluster mode"), False, mutable=False),
    Directive("cluster-config-file", STRING, "nodes.conf", mutable=False,
              recorded=_NOT_CLUSTER),
    Directive("cluster-port", PORT, 0, mutable=False, recorded=_NOT_CLUSTER),
    Directive("cluster-node-timeout", NONNEG_LONG, 15000, recorded=_NOT_CLUSTER),
    Directive("cluster-replica-validity-factor", NONNEG_INT, 10,
              alias="cluster-slave-validity-factor", recorded=_NOT_CLUSTER),
    Directive("cluster-migration-barrier", NONNEG_INT, 1, recorded=_NOT_CLUSTER),
    Directive("cluster-allow-replica-migration", BOOL, True, recorded=_NOT_CLUSTER),
    Directive("cluster-require-full-coverage", BOOL, True, recorded=_NOT_CLUSTER),
    Directive("cluster-replica-no-failover", BOOL, False, alias="cluster-slave-no-failover",
              recorded=_NOT_CLUSTER),
    Directive("cluster-allow-reads-when-down", BOOL, False, recorded=_NOT_CLUSTER),
    Directive("cluster-allow-pubsubshard-when-down", BOOL, True, recorded=_NOT_CLUSTER),
    Directive("cluster-link-sendbuf-limit", memory_type(0, ULLONG_MAX, signed=False), 0,
              recorded=_NOT_CLUSTER),
    Directive("cluster-announce-ip", STRING, "", recorded=_NOT_CLUSTER),
    Directive("cluster-announce-hostname", string_type(_validate_hostname), "",
              recorded=_NOT_CLUSTER),
    Directive("cluster-announce-port", PORT, 0, recorded=_NOT_CLUSTER),
    Directive("cluster-announce-bus-port", PORT, 0, recorded=_NOT_CLUSTER),
    Directive("cluster-announce-tls-port", PORT, 0, recorded=_NOT_CLUSTER),
    Directive("cluster-preferred-endpoint-type",
              enum_type("ip", "hostname", "unknown-endpoint"), "ip", recorded=_NOT_CLUSTER),
    # ---- TLS (not implemented: tls-port must stay 0)
    Directive("tls-port", _reject_unless_default(
        PORT, 0, "EmberKV does not implement TLS"), 0),
    Directive("tls-cert-file", STRING, "", recorded=_NOT_TLS),
    Directive("tls-key-file", STRING, "", recorded=_NOT_TLS),
    Directive("tls-key-file-pass", STRING, "", sensitive=True, recorded=_NOT_TLS),
    Directive("tls-client-cert-file", STRING, "", recorded=_NOT_TLS),
    Directive("tls-client-key-file", STRING, "", recorded=_NOT_TLS),
    Directive("tls-client-key-file-pass", STRING, "", sensitive=True, recorded=_NOT_TLS),
    Directive("tls-dh-params-file", STRING, "", recorded=_NOT_TLS),
    Directive("tls-ca-cert-file", STRING, "", recorded=_NOT_TLS),
    Directive("tls-ca-cert-dir", STRING, "", recorded=_NOT_TLS),
    Directive("tls-protocols", STRING, "", recorded=_NOT_TLS),
    Directive("tls-ciphers", STRING, "", recorded=_NOT_TLS),
    Directive("tls-ciphersuites", STRING, "", recorded=_NOT_TLS),
    Directive("tls-prefer-server-ciphers", BOOL, False, recorded=_NOT_TLS),
    Directive("tls-session-caching", BOOL, True, recorded=_NOT_TLS),
    Directive("tls-session-cache-size", NONNEG_INT, 20480, recorded=_NOT_TLS),
    Directive("tls-session-cache-timeout", NONNEG_INT, 300, recorded=_NOT_TLS),
    Directive("tls-cluster", BOOL, False, recorded=_NOT_TLS),
    Directive("tls-replication", BOOL, False, recorded=_NOT_TLS),
    Directive("tls-auth-clients", enum_type("no", "yes", "optional"), "yes", recorded=_NOT_TLS),
)

DIRECTIVE_BY_NAME: dict[str, Directive] = {}
for _directive in DIRECTIVES:
    DIRECTIVE_BY_NAME[_directive.name] = _directive
    if _directive.alias:
        DIRECTIVE_BY_NAME[_directive.alias] = _directive

# Accepted in a config file and ignored, as Redis 7.0 does (config.c deprecated_configs).
DEPRECATED_DIRECTIVES = {"list-max-ziplist-entries", "list-max-ziplist-value",
                         "lua-replicate-commands"}

SENSITIVE_NAMES = frozenset(
    name for name, directive in DIRECTIVE_BY_NAME.items() if directive.sensitive)

# Redis keeps CONFIG_MIN_RESERVED_FDS descriptors beyond maxclients for its own files.
RESERVED_FDS = 32


def check_open_files_limit(maxclients: int) -> None:
    """Make room for maxclients connections, raising the soft RLIMIT_NOFILE if the hard
    limit allows; refuse with Redis's message when it cannot (updateMaxclients)."""
    wanted = maxclients + RESERVED_FDS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or wanted <= soft:
        return
    if hard == resource.RLIM_INFINITY or wanted <= hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            return
        except (ValueError, OSError):
            pass
    raise ConfigError(
        "The operating system is not able to handle the specified number of clients, "
        f"try with {max(1, soft - RESERVED_FDS)}")


Listener = Callable[[Any], None]


@dataclass
class Config:
    """Current values of every directive, and who to tell when one changes.

    A listener (`on_change`) runs after CONFIG SET stored a new value; it may refuse
    the value by raising ConfigError, and then every value of that CONFIG SET is put
    back (and the listeners told again), as Redis's apply functions do.
    """

    values: dict[str, Any] = field(
        default_factory=lambda: {d.name: d.default for d in DIRECTIVES}
    )
    config_file: str | None = None
    # `rename-command old new` lines as (line number, line, old, new): applied to the
    # command table by the application (server/registry.py Registry.rename).
    command_renames: list[tuple[int, str, str, str]] = field(default_factory=list)
    # `user name rules...` lines (ACL users, loaded by server/acl.py once the command
    # table exists), each checked as it is read by `check_user` when one is installed:
    # it returns (index of the word to quote, reason) for a bad declaration.
    user_declarations: list[list[bytes]] = field(default_factory=list)
    check_user: Callable[[list[bytes], set[bytes]], tuple[int, str] | None] | None = None
    # What CONFIG REWRITE writes for `user` (server/acl.py installs it): the lines, or
    # None to drop every `user` line (users then live in the aclfile).
    user_lines: Callable[[], list[str] | None] | None = None
    _listeners: dict[str, list[Listener]] = field(default_factory=dict)
    _save_seen_in_file: bool = False

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def on_change(self, name: str, listener: Listener) -> None:
        self._listeners.setdefault(DIRECTIVE_BY_NAME[name].name, []).append(listener)

    def get_text(self, name: str) -> str:
        """The CONFIG GET text of one directive (dir: the working directory, as Redis)."""
        directive = DIRECTIVE_BY_NAME[name.lower()]
        if directive.name == "dir":
            return os.getcwd()
        return directive.type.format(self.values[directive.name])

    # ----------------------------------------------------------- setting values

    def set_from_args(self, name: str, args: list[str], *, accumulate: bool = False,
                      at_runtime: bool = False) -> None:
        """Store one directive from its arguments, as a config-file line does.

        `accumulate` makes a `save` line add to the points read so far instead of
        replacing them (the second and later `save` lines of a file).
        """
        directive = DIRECTIVE_BY_NAME.get(name.lower())
        if directive is None:
            raise KeyError(name)
        if at_runtime and not directive.mutable:
            raise ConfigError("can't set immutable config")
        value = self._parse(directive, args)
        if directive.name == "save" and accumulate and not (len(args) == 1 and not args[0]):
            value = self.values["save"] + value
        self.values[directive.name] = value
        for listener in self._listeners.get(directive.name, ()):
            listener(value)

    def _parse(self, directive: Directive, args: list[str]) -> Any:
        value = directive.type.parse(args)
        if directive.name == "client-output-buffer-limit":
            value = {**self.values[directive.name], **value}
        return value

    def set_many(self, pairs: list[tuple[str, str]], *, allow_protected: bool = True) -> None:
        """CONFIG SET name value [name value ...]: all or nothing (configSetCommand).

        Raises ConfigSetError with Redis's complete error text. The first problem in
        argument order is reported: unknown name, immutable or protected directive,
        duplicate; then values are parsed in order; then listeners run.
        """
        chosen: list[tuple[str, Directive, str]] = []
        for name, text in pairs:
            directive = DIRECTIVE_BY_NAME.get(name.lower())
            if directive is None:
                raise ConfigSetError(
                    f"ERR Unknown option or number of arguments for CONFIG SET - '{name}'")
            if not directive.mutable or (directive.protected and not allow_protected):
                problem = ("can't set immutable config" if not directive.mutable
                           else "can't set protected config")
                raise ConfigSetError(_set_failed(name, problem))
            if any(other is directive for _, other, _ in chosen):
                raise ConfigSetError(_set_failed(name, "duplicate parameter"))
            chosen.append((name.lower(), directive, text))
        old = {directive.name: self.values[directive.name] for _, directive, _ in chosen}
        new: dict[str, Any] = {}
        for name, directive, text in chosen:
            args = text.split(" ") if directive.type.multi_arg else [text]
            if directive.type.multi_arg and text == "":
                args = []
            try:
                new[directive.name] = self._parse(directive, args)
            except ConfigError as error:
                raise ConfigSetError(_set_failed(name, error.reason)) from None
        changed = [(name, d) for name, d, _ in chosen if new[d.name] != old[d.name]]
        self.values.update(new)
        for name, directive in changed:
            try:
                for listener in self._listeners.get(directive.name, ()):
                    listener(new[directive.name])
            except ConfigError as error:
                self.values.update(old)
                for _, undone in changed:
                    for listener in self._listeners.get(undone.name, ()):
                        try:
                            listener(old[undone.name])
                        except ConfigError:
                            pass
                raise ConfigSetError(_set_failed(name, error.reason)) from None

    # ----------------------------------------------------------- CONFIG GET

    def get_matching(self, patterns: Iterable[str]) -> list[tuple[str, str]]:
        """CONFIG GET: exact names are answered as typed, glob patterns (case-insensitive)
        match names and aliases; each directive is reported once per name."""
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        for pattern in patterns:
            if not any(ch in pattern for ch in "[*?"):
                if pattern.lower() in DIRECTIVE_BY_NAME and pattern.lower() not in seen:
                    found.append((pattern, self.get_text(pattern)))
                    seen.add(pattern.lower())
                continue
            compiled = pattern.lower().encode("utf-8", "surrogateescape")
            for name in DIRECTIVE_BY_NAME:
                if name not in seen and glob_match(compiled, name.encode()):
                    found.append((name, self.get_text(name)))
                    seen.add(name)
        return found

    # ----------------------------------------------------------- files and argv

    def load_text(self, text: str) -> None:
        """Apply redis.conf-syntax text; raises ConfigFileError like Redis's loader."""
        for number, raw_line in enumerate(text.split("\n"), start=1):
            line = raw_line.strip(" \t\r\n")
            if not line or line.startswith("#"):
                continue
            words = split_inline_args(line.encode("utf-8", "surrogateescape"))
            if words is None:
                raise ConfigFileError(number, line, "Unbalanced quotes in configuration line")
            if not words:
                continue
            args = [w.decode("utf-8", "surrogateescape") for w in words]
            name = args[0].lower()
            directive = DIRECTIVE_BY_NAME.get(name)
            try:
                if directive is not None:
                    self._load_directive(directive, args[1:])
                    continue
            except ConfigError as error:
                raise ConfigFileError(number, line, error.reason) from None
            if name in DEPRECATED_DIRECTIVES and len(args) == 2:
                continue
            if name == "user" and len(args) >= 2:
                self._declare_user(number, line, words)
                continue
            if name == "include" and len(args) == 2:
                self.load_include(args[1])
                continue
            if name == "rename-command" and len(args) == 3:
                self.command_renames.append((number, line, args[1], args[2]))
                continue
            raise ConfigFileError(number, line, "Bad directive or wrong number of arguments")

    def _declare_user(self, number: int, line: str, words: list[bytes]) -> None:
        declaration = words[1:]
        if self.check_user is not None:
            seen = {declared[0] for declared in self.user_declarations}
            problem = self.check_user(declaration, seen)
            if problem is not None:
                index, reason = problem
                word = words[index].decode("utf-8", "surrogateescape")
                raise ConfigFileError(number, line,
                                      f"Error in user declaration '{word}': {reason}")
        self.user_declarations.append(declaration)

    def _load_directive(self, directive: Directive, args: list[str]) -> None:
        if not directive.type.multi_arg and len(args) != 1:
            raise ConfigError("wrong number of arguments")
        if directive.type.multi_arg and len(args) == 1 and args[0]:
            split = split_inline_args(args[0].encode("utf-8", "surrogateescape")) or []
            args = [w.decode("utf-8", "surrogateescape") for w in split]
        # The first `save` line of the files replaces the default points; later ones add.
        accumulate = directive.name == "save" and self._save_seen_in_file
        if directive.name == "save":
            self._save_seen_in_file = True
        self.set_from_args(directive.name, args, accumulate=accumulate)

    def load_include(self, pattern: str) -> None:
        """`include path`: relative to the working directory, globs allowed (Redis 7)."""
        paths = sorted(filename_glob.glob(pattern)) if any(c in pattern for c in "*?[") \
            else [pattern]
        for path in paths:
            self.load_text(read_config_file(path))

    def load_file(self, path: str) -> None:
        self.config_file = os.path.abspath(path)
        self.load_text(read_config_file(path))

    # ----------------------------------------------------------- CONFIG REWRITE

    def rewrite_file(self) -> None:
        """CONFIG REWRITE, as config.c rewriteConfig does it.

        Comments and blank lines stay; a directive's old lines are reused in order for
        its new lines, and its leftover old lines are blanked; a directive absent from
        the file is appended (after a "# Generated by CONFIG REWRITE" line) only when its
        value differs from the default or it is always written (save, dir ...); a line
        no longer understood becomes "# ??? line"; runs of blank lines become one.
        The file is replaced atomically (temp file, fsync, rename).
        """
        if not self.config_file:
            raise ConfigError("The server is running without a config file")
        try:
            text = read_config_file(self.config_file)
        except ConfigOpenError:
            text = ""
        lines: list[str | None] = []
        old_lines: dict[str, list[int]] = {}
        has_signature = False
        for raw in text.split("\n") if text else []:
            line = raw.strip(" \t\r\n")
            if not line or line.startswith("#"):
                has_signature = has_signature or line == REWRITE_SIGNATURE
                lines.append(line)
                continue
            words = split_inline_args(line.encode("utf-8", "surrogateescape"))
            name = words[0].decode("utf-8", "surrogateescape").lower() if words else ""
            directive = DIRECTIVE_BY_NAME.get(name)
            # include, rename-command and user lines are not directives; Redis keeps
            # them (user lines are rewritten below).
            if directive is None and name not in ("include", "rename-command", "user"):
                lines.append("# ??? " + line)
                continue
            key = directive.name if directive is not None else name
            old_lines.setdefault(key, []).append(len(lines))
            lines.append(line)
        appended: list[str] = []
        rewritten: set[str] = set()
        for directive in DIRECTIVES:
            rewritten.add(directive.name)
            value = self.values[directive.name]
            for new_line, force in self._file_lines(directive, value):
                reuse = old_lines.get(directive.name)
                if reuse:
                    lines[reuse.pop(0)] = new_line
                elif force:
                    appended.append(new_line)
        user_lines = self.user_lines() if self.user_lines is not None else None
        if self.user_lines is not None:
            rewritten.add("user")
        for new_line in user_lines or []:
            reuse = old_lines.get("user")
            if reuse:
                lines[reuse.pop(0)] = new_line
            else:
                appended.append(new_line)
        for name, numbers in old_lines.items():
            if name in rewritten:
                for number in numbers:
                    lines[number] = ""
        if appended and not has_signature:
            lines.append(REWRITE_SIGNATURE)
        lines.extend(appended)
        content: list[str] = []
        previous_empty = False
        for line in lines:
            if not line:
                if previous_empty:
                    continue
                previous_empty = True
            else:
                previous_empty = False
            content.append(line + "\n")
        _atomic_write(self.config_file, "".join(content))

    def _file_lines(self, directive: Directive, value: Any) -> list[tuple[str, bool]]:
        """(line, forced) pairs for the file; forced lines are added when missing."""
        name = directive.name
        if name == "dir":
            return [(f"dir {quote(os.getcwd())}", True)]
        if name == "client-output-buffer-limit":
            lines = _obuf_lines(name, value)
            return [(line, value[cls] != OBUF_DEFAULTS[cls])
                    for line, cls in zip(lines, _OBUF_CLASSES)]
        kind = directive.type
        if kind.file_lines is not None:
            lines = kind.file_lines(name, value)
        else:
            lines = [f"{name} {kind.format(value)}"]
        force = directive.always_rewrite or value != directive.default
        return [(line, force) for line in lines]

    def recorded_only(self) -> list[Directive]:
        """Directives that are accepted and reported without effect (known differences)."""
        return [d for d in DIRECTIVES if d.recorded]


REWRITE_SIGNATURE = "# Generated by CONFIG REWRITE"


def _set_failed(name: str, reason: str) -> str:
    return f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}"


def read_config_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return handle.read()
    except OSError as error:
        raise ConfigOpenError(
            f"Fatal error, can't open config file '{path}': {error.strerror}") from None


def _atomic_write(path: str, content: str) -> None:
    temp_path = f"{path}.tmp-{os.getpid()}"
    try:
        with open(temp_path, "w", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, path)
    except OSError as error:
        try:
            os.unlink(temp_path)
        except OSError:
            pass
        raise ConfigError(error.strerror or str(error)) from None


# ------------------------------------------------------------------ command line

def command_line_config(argv: list[str]) -> tuple[str | None, bool, str]:
    """redis-server's argument rules: (config file, read stdin, options as config text).

    The first argument is the config file unless it starts with '-'; a lone '-' first or
    last reads the config from stdin; `--name` starts a line and the arguments after it
    are its values, quoted like sdscatrepr, until the next `--name` that follows a value
    (so `--save --port 7` keeps its meaning: `--save ""` then `--port 7`).
    """
    config_path: str | None = None
    index = 0
    if argv and not argv[0].startswith("-"):
        config_path = argv[0]
        index = 1
    from_stdin = False
    options = ""
    has_value = True  # whether the last --name already got a value
    while index < len(argv):
        arg = argv[index]
        if arg == "-" and (index == 0 or index == len(argv) - 1):
            from_stdin = True
        elif has_value and arg.startswith("--"):
            if options:
                options += "\n"
            options += arg[2:] + " "
            has_value = len((split_inline_args(arg.encode()) or [])) != 1
            is_last = index == len(argv) - 1
            next_is_option = not is_last and argv[index + 1].startswith("--")
            if not has_value and arg.lower() == "--save" and (is_last or next_is_option):
                options += '""'
                has_value = True
        else:
            options += quote(arg) + " "
            has_value = True
        index += 1
    return config_path, from_stdin, options
