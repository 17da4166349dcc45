"""Server commands: COMMAND, INFO, CONFIG, TIME, SHUTDOWN, SLOWLOG, MONITOR, MEMORY, DEBUG,
DBSIZE, FLUSHDB, FLUSHALL, SWAPDB.

COMMAND and its subcommands are derived entirely from the registry; INFO's sections live
in server/info.py and the directive table in server/config.py, so the handlers here only
parse arguments and shape replies.
"""

from __future__ import annotations

import fnmatch
import gc
import logging
import re
import sys
import time
from collections import deque
from typing import Any

from protocol.replies import OK, Double, Map, RawReply, SetReply, SimpleString, Verbatim
from protocol.resp import parse_strict_int
from server import errors, info
from server.command_docs import Arg
from server.commands.args import parse_int
from server.config import SENSITIVE_NAMES, ConfigError, ConfigSetError
from server.context import CommandContext
from server.datatypes import is_string, object_encoding
from server.errors import CommandError
from server.registry import (
    ADMIN, ALLOW_BUSY, FAST, LOADING, NO_ASYNC_LOADING, NO_MANDATORY_KEYS, NO_MULTI, NOSCRIPT,
    READONLY, STALE, WRITE, CommandGroup, CommandSpec, KeySpec,
)
from server.state import ShutdownRequest

log = logging.getLogger("emberkv")

group = CommandGroup("server")


# ------------------------------------------------------------------ COMMAND

def _statuses(words: Any) -> SetReply:
    """A set of status replies: how Redis sends flags and categories (+readonly)."""
    return SetReply([SimpleString(word.encode()) for word in words])


def _key_spec_reply(key_spec: KeySpec) -> Map:
    begin_type, begin = key_spec.begin_search()
    find_type, find = key_spec.find_keys()
    items: list[tuple[Any, Any]] = []
    if key_spec.notes:
        items.append((b"notes", key_spec.notes.encode()))
    items += [
        (b"flags", _statuses(key_spec.flags)),
        (b"begin_search", Map([(b"type", begin_type.encode()), (b"spec", _spec_map(begin))])),
        (b"find_keys", Map([(b"type", find_type.encode()), (b"spec", _spec_map(find))])),
    ]
    return Map(items)


def _spec_map(fields: list[tuple[str, Any]]) -> Map:
    return Map([(name.encode(), value.encode() if isinstance(value, str) else value)
                for name, value in fields])


def command_info(spec: CommandSpec) -> list[Any]:
    """One COMMAND INFO entry, typed as Redis's addReplyCommandInfo types it: sets of
    statuses for the flags and categories, a set for the tips and the key specs, and for
    the subcommands an array, or an empty set for a command that has none."""
    first, last, step = spec.key_positions()
    subcommands: Any = SetReply([])
    if spec.subcommands:
        subcommands = [command_info(sub) for sub in spec.subcommands.values()]
    return [
        spec.name.encode(),
        spec.arity,
        _statuses(spec.reported_flags()),
        first,
        last,
        step,
        _statuses("@" + category for category in spec.categories()),
        SetReply([tip.encode() for tip in spec.tips]),
        SetReply([_key_spec_reply(key_spec) for key_spec in spec.key_specs]),
        subcommands,
    ]


def _argument_reply(arg: Arg) -> Map:
    """One argument as addReplyCommandArgList sends it, optional fields only when set."""
    items: list[tuple[Any, Any]] = [(b"name", arg.name.encode()), (b"type", arg.type.encode())]
    if arg.display_text is not None:
        items.append((b"display_text", arg.display_text.encode()))
    if arg.key_spec_index is not None:
        items.append((b"key_spec_index", arg.key_spec_index))
    if arg.token is not None:
        items.append((b"token", arg.token.encode()))
    if arg.since is not None:
        items.append((b"since", arg.since.encode()))
    if arg.deprecated_since is not None:
        items.append((b"deprecated_since", arg.deprecated_since.encode()))
    if arg.flags:
        items.append((b"flags", _statuses(arg.flags)))
    if arg.arguments:
        items.append((b"arguments", [_argument_reply(child) for child in arg.arguments]))
    return Map(items)


def command_docs(spec: CommandSpec) -> Map:
    """One COMMAND DOCS entry, fields in the order and types of addReplyCommandDocs."""
    items: list[tuple[Any, Any]] = [
        (b"summary", spec.summary.encode()),
        (b"since", spec.since.encode()),
        (b"group", spec.group.encode()),
    ]
    if spec.complexity:
        items.append((b"complexity", spec.complexity.encode()))
    if spec.doc_flags:
        items.append((b"doc_flags", _statuses(spec.doc_flags)))
    if spec.deprecated_since:
        items.append((b"deprecated_since", spec.deprecated_since.encode()))
    if spec.replaced_by:
        items.append((b"replaced_by", spec.replaced_by.encode()))
    if spec.history:
        items.append((b"history", SetReply([
            [version.encode(), change.encode()] for version, change in spec.history])))
    if spec.arguments:
        items.append((b"arguments", [_argument_reply(arg) for arg in spec.arguments]))
    if spec.subcommands:
        items.append((b"subcommands", Map([
            (sub.name.encode(), command_docs(sub)) for sub in spec.subcommands.values()
        ])))
    return Map(items)


def _all_specs(ctx: CommandContext) -> list[CommandSpec]:
    return list(ctx.server.registry)


def command_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND"""
    return [command_info(spec) for spec in _all_specs(ctx)]


command_container = group.container(
    "COMMAND", -1, LOADING | STALE, categories=("connection",), handler=command_command,
    summary="Get array of Redis command details", since="2.8.13",
    complexity="O(N) where N is the total number of Redis commands",
    tips=("nondeterministic_output_order",))


@group.subcommand(command_container, "COUNT", 2, LOADING | STALE, since="2.8.13",
                  complexity="O(1)", summary="Get total number of Redis commands")
def command_count_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND COUNT"""
    return len(ctx.server.registry)


@group.subcommand(command_container, "INFO", -2, LOADING | STALE, since="2.8.13",
                  summary=("Get array of specific Redis command details, or all when no "
                           "argument is given."),
                  complexity="O(N) where N is the number of commands to look up",
                  history=(("7.0.0", "Allowed to be called with no argument to get info on "
                                     "all commands."),),
                  tips=("nondeterministic_output_order",),
                  syntax="[command-name [command-name ...]]")
def command_info_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND INFO [command-name [command-name ...]]"""
    if len(argv) == 2:
        return [command_info(spec) for spec in _all_specs(ctx)]
    specs = [_lookup(ctx, name) for name in argv[2:]]
    return [None if spec is None else command_info(spec) for spec in specs]


def _lookup(ctx: CommandContext, name: bytes) -> CommandSpec | None:
    """A command or, as "container|sub", a subcommand."""
    parts = name.lower().split(b"|", 1)
    spec = ctx.server.registry.lookup(parts[0])
    if spec is not None and len(parts) == 2:
        spec = spec.subcommands.get(parts[1])
    return spec


@group.subcommand(command_container, "DOCS", -2, LOADING | STALE, since="7.0.0",
                  summary="Get array of specific Redis command documentation",
                  complexity="O(N) where N is the number of commands to look up",
                  tips=("nondeterministic_output_order",),
                  syntax="[command-name [command-name ...]]")
def command_docs_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND DOCS [command-name [command-name ...]]

    Unknown names are left out; each entry is named by the command's full name."""
    if len(argv) == 2:
        specs: list[CommandSpec | None] = list(_all_specs(ctx))
    else:
        specs = [_lookup(ctx, name) for name in argv[2:]]
    return Map([(spec.name.encode(), command_docs(spec)) for spec in specs if spec is not None])


@group.subcommand(command_container, "LIST", -2, LOADING | STALE, since="7.0.0",
                  summary="Get an array of Redis command names",
                  complexity="O(N) where N is the total number of Redis commands",
                  tips=("nondeterministic_output_order",),
                  syntax=("[FILTERBY <MODULE module-name | ACLCAT category | "
                          "PATTERN pattern:pattern>]=filterby"))
def command_list_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]"""
    specs = _all_specs(ctx)
    if len(argv) == 2:
        return [spec.name.encode() for spec in specs]
    if len(argv) != 5 or argv[2].upper() != b"FILTERBY":
        raise CommandError(errors.SYNTAX)
    kind, value = argv[3].upper(), argv[4].decode("utf-8", "replace")
    names: list[str] = []
    for spec in specs:
        candidates = [spec] + list(spec.subcommands.values())
        for candidate in candidates:
            if kind == b"ACLCAT":
                if value.lower() in candidate.categories():
                    names.append(candidate.name)
            elif kind == b"PATTERN":
                if fnmatch.fnmatchcase(candidate.name, value.lower()):
                    names.append(candidate.name)
            elif kind == b"MODULE":
                pass
            else:
                raise CommandError(errors.SYNTAX)
    return [name.encode() for name in names]


def _keys_of_full_command(ctx: CommandContext, target: list[bytes]) -> list[tuple[bytes, Any]]:
    """The keys of `target` with their flags, checked in the order Redis's
    getKeysSubcommandImpl checks: known command, has keys at all, arity, keys found."""
    spec = ctx.server.registry.lookup(target[0])
    if spec is not None and spec.subcommands and len(target) > 1:
        spec = spec.subcommands.get(target[1].lower())
    if spec is None:
        raise CommandError("ERR Invalid command specified")
    if not spec.has_keys:
        raise CommandError("ERR The command has no key arguments")
    if not spec.accepts_arity(len(target)):
        raise CommandError("ERR Invalid number of arguments specified for command")
    found = spec.keys_with_flags(target)
    if not found and not spec.flags & NO_MANDATORY_KEYS:
        raise CommandError("ERR Invalid arguments specified for command")
    return found


_GETKEYS_COMPLEXITY = "O(N) where N is the number of arguments to the command"


@group.subcommand(command_container, "GETKEYS", -4, LOADING | STALE, since="2.8.13",
                  summary="Extract keys given a full Redis command",
                  complexity=_GETKEYS_COMPLEXITY)
def command_getkeys_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND GETKEYS command [arg [arg ...]]"""
    return [key for key, _ in _keys_of_full_command(ctx, argv[2:])]


@group.subcommand(command_container, "GETKEYSANDFLAGS", -4, LOADING | STALE, since="7.0.0",
                  summary="Extract keys and access flags given a full Redis command",
                  complexity=_GETKEYS_COMPLEXITY)
def command_getkeysandflags_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND GETKEYSANDFLAGS command [arg [arg ...]]"""
    return [[key, _statuses(flags)] for key, flags in _keys_of_full_command(ctx, argv[2:])]


@group.subcommand(command_container, "HELP", 2, LOADING | STALE, since="5.0.0",
                  complexity="O(1)", summary="Show helpful text about the different subcommands")
def command_help_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND HELP"""
    lines = [
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Print this help.",
    ]
    return help_reply(lines)


def help_reply(lines: list[str]) -> list[SimpleString]:
    """A HELP subcommand's reply: one status line per entry, as addReplyHelp sends."""
    return [SimpleString(line.encode()) for line in lines]


# ------------------------------------------------------------------ databases

def _parse_flush_mode(argv: list[bytes]) -> None:
    """FLUSHDB/FLUSHALL [ASYNC | SYNC]: both free at once here (no lazy-free thread)."""
    if len(argv) > 2 or (len(argv) == 2 and argv[1].upper() not in (b"ASYNC", b"SYNC")):
        raise CommandError(errors.SYNTAX)


@group.command("FLUSHALL", -1, WRITE, categories=("keyspace", "dangerous"),
               summary="Remove all keys from all databases",
               complexity="O(N) where N is the total number of keys in all databases",
               history=(("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                        ("6.2.0", "Added the `SYNC` flushing mode modifier.")),
               tips=("request_policy:all_shards", "response_policy:all_succeeded"),
               syntax="[ASYNC@4.0.0 | SYNC@6.2.0]=async")
def flushall_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """FLUSHALL [ASYNC | SYNC]"""
    _parse_flush_mode(argv)
    ctx.server.keyspace.flush_all()
    # Redis counts a FLUSHALL as a change even on an empty dataset, so it is always logged.
    ctx.server.keyspace.dirty += 1
    if ctx.server.rdb is not None:
        # With save points, Redis saves the now empty dataset at once (and kills a
        # running BGSAVE), so a restart does not bring the keys back.
        ctx.server.rdb.after_flushall()
    return OK


@group.command("FLUSHDB", -1, WRITE, categories=("keyspace", "dangerous"),
               summary="Remove all keys from the current database",
               complexity="O(N) where N is the number of keys in the selected database",
               history=(("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                        ("6.2.0", "Added the `SYNC` flushing mode modifier.")),
               tips=("request_policy:all_shards", "response_policy:all_succeeded"),
               syntax="[ASYNC@4.0.0 | SYNC@6.2.0]=async")
def flushdb_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """FLUSHDB [ASYNC | SYNC]"""
    _parse_flush_mode(argv)
    ctx.db.clear()
    ctx.server.keyspace.dirty += 1
    return OK


@group.command("DBSIZE", 1, READONLY | FAST, categories=("keyspace",),
               summary="Return the number of keys in the selected database", complexity="O(1)",
               tips=("request_policy:all_shards", "response_policy:agg_sum"))
def dbsize_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """DBSIZE"""
    return len(ctx.db)


@group.command("SWAPDB", 3, WRITE | FAST, categories=("keyspace", "dangerous"),
               summary="Swaps two Redis databases", since="4.0.0",
               complexity=("O(N) where N is the count of clients watching or blocking on keys "
                           "from both databases."),
               syntax="index1:integer index2:integer")
def swapdb_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SWAPDB index1 index2"""
    first = parse_int(argv[1], "ERR invalid first DB index")
    second = parse_int(argv[2], "ERR invalid second DB index")
    count = len(ctx.server.keyspace.dbs)
    if not (0 <= first < count and 0 <= second < count):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    if first != second:
        ctx.server.keyspace.swap(first, second)
    else:
        ctx.server.keyspace.dirty += 1
    return OK


# ------------------------------------------------------------------ shared helpers

# A reply that writes nothing: SHUTDOWN's client sees the connection close instead,
# and a second MONITOR is ignored, as in Redis.
NO_REPLY = RawReply(b"")


def is_local_client(ctx: CommandContext) -> bool:
    return info.is_local_address(ctx.client.address)


def allows_protected_action(ctx: CommandContext, directive: str) -> bool:
    """enable-protected-configs / enable-debug-command: yes, or local and a local client."""
    setting = ctx.server.config[directive]
    return setting == "yes" or (setting == "local" and is_local_client(ctx))


# ------------------------------------------------------------------ INFO, TIME

@group.command("INFO", -1, LOADING | STALE, categories=("dangerous",),
               summary="Get information and statistics about the server", complexity="O(1)",
               history=(("7.0.0", "Added support for taking multiple section arguments."),),
               tips=("nondeterministic_output", "request_policy:all_shards",
                     "response_policy:special"),
               syntax="[section [section ...]]")
def info_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """INFO [section [section ...]]"""
    return Verbatim(info.render_info(ctx.server, argv[1:]))


@group.command("TIME", 1, LOADING | STALE | FAST, summary="Return the current server time",
               since="2.6.0", complexity="O(1)", tips=("nondeterministic_output",))
def time_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """TIME"""
    now_us = time.time_ns() // 1000
    return [b"%d" % (now_us // 1_000_000), b"%d" % (now_us % 1_000_000)]


# ------------------------------------------------------------------ CONFIG

config_container = group.container(
    "CONFIG", -2, summary="A container for server configuration commands", since="2.0.0",
    complexity="Depends on subcommand.")

_CONFIG_FLAGS = ADMIN | NOSCRIPT | LOADING | STALE
_CONFIG_COMPLEXITY = "O(N) when N is the number of configuration parameters provided"


@group.subcommand(config_container, "GET", -3, _CONFIG_FLAGS, since="2.0.0",
                  summary="Get the values of configuration parameters",
                  complexity=_CONFIG_COMPLEXITY,
                  history=(("7.0.0", "Added the ability to pass multiple pattern parameters "
                                     "in one call"),),
                  syntax="<parameter> [parameter ...]")
def config_get_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CONFIG GET parameter [parameter ...]"""
    patterns = [arg.decode("utf-8", "surrogateescape") for arg in argv[2:]]
    return Map([
        (name.encode("utf-8", "surrogateescape"), value.encode("utf-8", "surrogateescape"))
        for name, value in ctx.server.config.get_matching(patterns)
    ])


@group.subcommand(config_container, "SET", -4, _CONFIG_FLAGS, since="2.0.0",
                  summary="Set configuration parameters to the given values",
                  complexity=_CONFIG_COMPLEXITY,
                  history=(("7.0.0", "Added the ability to set multiple parameters in one "
                                     "call."),),
                  tips=("request_policy:all_nodes", "response_policy:all_succeeded"),
                  syntax="parameter value [parameter value ...]")
def config_set_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CONFIG SET parameter value [parameter value ...]

    Passwords (requirepass, masterauth ...) are replaced by "(redacted)" in this argv,
    which is the one the slow log and MONITOR show afterwards, as Redis does.
    """
    if len(argv) % 2:
        raise CommandError(errors.SYNTAX)
    pairs = []
    for index in range(2, len(argv), 2):
        name = argv[index].decode("utf-8", "surrogateescape")
        pairs.append((name, argv[index + 1].decode("utf-8", "surrogateescape")))
        if name.lower() in SENSITIVE_NAMES:
            argv[index + 1] = b"(redacted)"
    try:
        ctx.server.config.set_many(
            pairs, allow_protected=allows_protected_action(ctx, "enable-protected-configs"))
    except ConfigSetError as error:
        raise CommandError(error.message) from None
    return OK


@group.subcommand(config_container, "RESETSTAT", 2, _CONFIG_FLAGS, since="2.0.0",
                  summary="Reset the stats returned by INFO", complexity="O(1)")
def config_resetstat_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CONFIG RESETSTAT

    Resets what Redis's resetServerStats, resetCommandTableStats and resetErrorTableStats
    reset; the slow log and the peak memory are kept, as in Redis.
    """
    server = ctx.server
    server.stats.reset()
    keyspace = server.keyspace
    keyspace.hits = keyspace.misses = keyspace.expired_keys = keyspace.evicted_keys = 0
    pending = list(server.registry)
    while pending:
        spec = pending.pop()
        spec.stats.calls = spec.stats.nsec = 0
        spec.stats.rejected_calls = spec.stats.failed_calls = 0
        pending.extend(spec.subcommands.values())
    return OK


@group.subcommand(config_container, "REWRITE", 2, _CONFIG_FLAGS, since="2.8.0",
                  summary="Rewrite the configuration file with the in memory configuration",
                  complexity="O(1)")
def config_rewrite_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CONFIG REWRITE"""
    config = ctx.server.config
    if not config.config_file:
        raise CommandError("ERR The server is running without a config file")
    try:
        config.rewrite_file()
    except ConfigError as error:
        log.warning("CONFIG REWRITE failed: %s", error.reason)
        raise CommandError(f"ERR Rewriting config file: {error.reason}") from None
    log.warning("CONFIG REWRITE executed with success.")
    return OK


@group.subcommand(config_container, "HELP", 2, LOADING | STALE, since="5.0.0",
                  complexity="O(1)", summary="Show helpful text about the different subcommands")
def config_help_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CONFIG HELP"""
    return help_reply([
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ])


# ------------------------------------------------------------------ BGREWRITEAOF

@group.command("BGREWRITEAOF", 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
               summary="Asynchronously rewrite the append-only file", since="1.0.0",
               complexity="O(1)")
def bgrewriteaof_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BGREWRITEAOF"""
    start = ctx.server.start_aof_rewrite
    if start is None:
        raise CommandError("ERR Background append only file rewriting is not available")
    return SimpleString(start(ctx.client.in_exec))


# ------------------------------------------------------------------ SAVE, BGSAVE, LASTSAVE
# The RDB side lives in the application (ctx.server.rdb, installed by server/app.py):
# these handlers only parse and answer.

def _rdb(ctx: CommandContext) -> Any:
    rdb = ctx.server.rdb
    if rdb is None:
        raise CommandError("ERR RDB snapshots are not available")
    return rdb


@group.command("SAVE", 1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
               categories=("admin", "slow", "dangerous"),
               summary="Synchronously save the dataset to disk", since="1.0.0",
               complexity="O(N) where N is the total number of keys in all databases")
def save_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SAVE"""
    _rdb(ctx).save_command()
    return OK


@group.command("BGSAVE", -1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
               categories=("admin", "slow", "dangerous"),
               summary="Asynchronously save the dataset to disk", since="1.0.0",
               complexity="O(1)", history=(("3.2.2", "Added the `SCHEDULE` option."),),
               syntax="[SCHEDULE@3.2.2]")
def bgsave_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """BGSAVE [SCHEDULE]"""
    if len(argv) > 2 or (len(argv) == 2 and argv[1].lower() != b"schedule"):
        raise CommandError(errors.SYNTAX)
    # Inside EXEC the fork waits for the cron, as Redis schedules it.
    return SimpleString(_rdb(ctx).bgsave_command(
        schedule=len(argv) == 2, in_exec=bool(getattr(ctx.client, "in_exec", False))))


@group.command("LASTSAVE", 1, LOADING | STALE | FAST, categories=("admin", "fast", "dangerous"),
               summary="Get the UNIX time stamp of the last successful save to disk",
               since="1.0.0", complexity="O(1)", tips=("nondeterministic_output",))
def lastsave_command(ctx: CommandContext, argv: list[bytes]) -> int:
    """LASTSAVE"""
    rdb = ctx.server.rdb
    return int(rdb.lastsave_s) if rdb is not None else ctx.server.started_ms // 1000


# ------------------------------------------------------------------ SHUTDOWN, MONITOR

@group.command("SHUTDOWN", -1, ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
               summary="Synchronously save the dataset to disk and then shut down the server",
               complexity=("O(N) when saving, where N is the total number of keys in all "
                           "databases when saving data, otherwise O(1)"),
               history=(("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."),),
               syntax="[NOSAVE | SAVE] [NOW]@7.0.0 [FORCE]@7.0.0 [ABORT]@7.0.0")
def shutdown_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]

    With no replicas to wait for, a shutdown is never left in progress, so ABORT always
    answers that none is. On success the client gets no reply: the server exits.
    """
    words = set()
    for arg in argv[1:]:
        word = arg.lower()
        if word not in (b"nosave", b"save", b"now", b"force", b"abort"):
            raise CommandError(errors.SYNTAX)
        words.add(word)
    if (b"abort" in words and len(words) > 1) or {b"save", b"nosave"} <= words:
        raise CommandError(errors.SYNTAX)
    if b"abort" in words:
        raise CommandError("ERR No shutdown in progress.")
    save = True if b"save" in words else False if b"nosave" in words else None
    request = ShutdownRequest(save=save, now=b"now" in words, force=b"force" in words,
                              origin="SHUTDOWN", client=ctx.client)
    stop = ctx.server.request_shutdown
    if stop is None:
        raise CommandError("ERR Errors trying to SHUTDOWN. Check logs.")
    ctx.client.close_after_reply = True
    problem = stop(request)
    if problem:
        ctx.client.close_after_reply = False
        raise CommandError(problem)
    return NO_REPLY


@group.command("MONITOR", 1, ADMIN | NOSCRIPT | LOADING | STALE,
               summary="Listen for all requests received by the server in real time")
def monitor_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """MONITOR"""
    client = ctx.client
    if client.is_monitor:
        return NO_REPLY
    client.is_monitor = True
    ctx.server.monitors.append(client)
    return OK


# ------------------------------------------------------------------ SLOWLOG

slowlog_container = group.container(
    "SLOWLOG", -2, summary="A container for slow log commands", since="2.2.12",
    complexity="Depends on subcommand.")

_SLOWLOG_FLAGS = ADMIN | LOADING | STALE


@group.subcommand(slowlog_container, "GET", -2, _SLOWLOG_FLAGS, since="2.2.12",
                  summary="Get the slow log's entries",
                  complexity="O(N) where N is the number of entries returned",
                  history=(("4.0.0", "Added client IP address, port and name to the reply."),),
                  tips=("request_policy:all_nodes", "nondeterministic_output"),
                  syntax="[count:integer]")
def slowlog_get_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SLOWLOG GET [count]"""
    if len(argv) > 3:
        raise CommandError(errors.unknown_subcommand_or_arity(
            argv[0].decode("utf-8", "replace"), argv[1]))
    count = 10
    if len(argv) == 3:
        count = parse_int(argv[2], "ERR count should be greater than or equal to -1")
        if count < -1:
            raise CommandError("ERR count should be greater than or equal to -1")
    entries = list(ctx.server.slowlog.entries)
    if count != -1:
        entries = entries[:count]
    return [
        [entry.id, entry.timestamp_s, entry.duration_us, list(entry.argv),
         entry.client_address.encode(), entry.client_name]
        for entry in entries
    ]


@group.subcommand(slowlog_container, "LEN", 2, _SLOWLOG_FLAGS, since="2.2.12",
                  summary="Get the slow log's length", complexity="O(1)",
                  tips=("request_policy:all_nodes", "response_policy:agg_sum",
                        "nondeterministic_output"))
def slowlog_len_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SLOWLOG LEN"""
    return len(ctx.server.slowlog.entries)


@group.subcommand(slowlog_container, "RESET", 2, _SLOWLOG_FLAGS, since="2.2.12",
                  summary="Clear all entries from the slow log",
                  complexity="O(N) where N is the number of entries in the slowlog",
                  tips=("request_policy:all_nodes", "response_policy:all_succeeded"))
def slowlog_reset_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SLOWLOG RESET"""
    ctx.server.slowlog.entries.clear()
    return OK


@group.subcommand(slowlog_container, "HELP", 2, LOADING | STALE, since="6.2.0",
                  complexity="O(1)", summary="Show helpful text about the different subcommands")
def slowlog_help_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SLOWLOG HELP"""
    return help_reply([
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ])


# ------------------------------------------------------------------ MEMORY

memory_container = group.container(
    "MEMORY", -2, summary="A container for memory diagnostics commands", since="4.0.0",
    complexity="Depends on subcommand.")

_ALLOCATOR_COMPLEXITY = "Depends on how much memory is allocated, could be slow"
# Tips for a report each node makes about itself, which a cluster client must merge.
_PER_SHARD_REPORT = (
    "nondeterministic_output", "request_policy:all_shards", "response_policy:special")

# The keyspace's share of one key: its slot in the main dict (hash, key and value
# pointers of a compact dict entry plus the index slot, at dict's 2/3 load factor).
_DICT_ENTRY_BYTES = 3 * 8 + 8 * 3 // 2


def value_size_bytes(value: Any, samples: int) -> int:
    """sys.getsizeof of the value, plus its elements: all of them when samples is 0 or
    covers them, else the mean of the first `samples` scaled to the whole, as Redis's
    objectComputeSize samples nested values."""
    size = sys.getsizeof(value)
    if is_string(value):
        return size
    if isinstance(value, dict):
        elements: Any = value.items()
    elif isinstance(value, (list, tuple, set, frozenset, deque)):
        elements = value
    else:
        members = getattr(value, "dict", None)
        return size + (value_size_bytes(members, samples) if members is not None else 0)
    total = len(value)
    if not total:
        return size
    seen = 0
    sampled = 0
    for element in elements:
        if isinstance(element, tuple):
            sampled += sum(sys.getsizeof(part) for part in element)
        else:
            sampled += sys.getsizeof(element)
        seen += 1
        if samples and seen >= samples:
            break
    return size + sampled * total // seen


@group.subcommand(memory_container, "USAGE", -3, READONLY, keys=KeySpec(2, flags=("RO",)),
                  categories=("read",), since="4.0.0", summary="Estimate the memory usage of a key",
                  complexity="O(N) where N is the number of samples.",
                  syntax="key:key [SAMPLES count:integer]")
def memory_usage_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """MEMORY USAGE key [SAMPLES count]

    An estimate from sys.getsizeof: the key, the value (nested values sampled), the
    main dict's entry and, for a key with a TTL, its entry in the expires dict. Like
    Redis it reads the dict directly: no expiry, no keyspace hit or miss.
    """
    samples = 5
    index = 3
    while index < len(argv):
        if argv[index].lower() == b"samples" and index + 1 < len(argv):
            samples = parse_int(argv[index + 1])
            if samples < 0:
                raise CommandError(errors.SYNTAX)
            index += 2
        else:
            raise CommandError(errors.SYNTAX)
    db = ctx.db
    key = argv[2]
    value = db.data.get(key)
    if value is None:
        return None
    size = sys.getsizeof(key) + value_size_bytes(value, samples) + _DICT_ENTRY_BYTES
    if key in db.expires:
        size += sys.getsizeof(db.expires[key]) + _DICT_ENTRY_BYTES
    return size


@group.subcommand(memory_container, "STATS", 2, since="4.0.0", complexity="O(1)",
                  summary="Show memory usage details", tips=_PER_SHARD_REPORT)
def memory_stats_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """MEMORY STATS

    Redis's fields that have a meaning here (no allocator.* fields: there is no
    jemalloc); "allocated" is INFO memory's used_memory.
    """
    server = ctx.server
    used = info.used_memory(server)
    peak = server.used_memory_peak
    startup = server.used_memory_startup
    clients = sum(c.query_buffer_bytes() + c.output_buffer_bytes()
                  for c in server.clients.values())
    items: list[tuple[Any, Any]] = [
        (b"peak.allocated", peak),
        (b"total.allocated", used),
        (b"startup.allocated", startup),
        (b"replication.backlog", 0),
        (b"clients.slaves", 0),
        (b"clients.normal", clients),
        (b"cluster.links", 0),
        (b"aof.buffer", 0),
        (b"lua.caches", 0),
        (b"functions.caches", 0),
    ]
    tables = 0
    keys = 0
    for db in server.keyspace.dbs:
        if not db.data:
            continue
        main, expires = sys.getsizeof(db.data), sys.getsizeof(db.expires)
        tables += main + expires
        keys += len(db.data)
        items.append((b"db.%d" % db.index, Map([
            (b"overhead.hashtable.main", main),
            (b"overhead.hashtable.expires", expires),
            (b"overhead.hashtable.slot-to-keys", 0),
        ])))
    overhead = min(used, startup + clients + tables)
    net = used - startup
    dataset = used - overhead
    items += [
        (b"overhead.total", overhead),
        (b"keys.count", keys),
        (b"keys.bytes-per-key", net // keys if keys and net > 0 else 0),
        (b"dataset.bytes", dataset),
        (b"dataset.percentage", Double(100.0 * dataset / net if net > 0 else 0.0)),
        (b"peak.percentage", Double(100.0 * used / peak if peak else 100.0)),
        (b"fragmentation", Double(1.0)),
        (b"fragmentation.bytes", 0),
    ]
    return Map(items)


@group.subcommand(memory_container, "MALLOC-STATS", 2, since="4.0.0",
                  summary="Show allocator internal stats", complexity=_ALLOCATOR_COMPLEXITY,
                  tips=_PER_SHARD_REPORT)
def memory_malloc_stats_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """MEMORY MALLOC-STATS"""
    return Verbatim(b"Stats not supported for the current allocator")


@group.subcommand(memory_container, "PURGE", 2, since="4.0.0",
                  summary="Ask the allocator to release memory", complexity=_ALLOCATOR_COMPLEXITY,
                  tips=("request_policy:all_shards", "response_policy:all_succeeded"))
def memory_purge_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """MEMORY PURGE

    Runs a full garbage collection: the closest thing to asking the allocator to
    return memory, since pymalloc releases empty arenas on its own.
    """
    gc.collect()
    return OK


@group.subcommand(memory_container, "HELP", 2, LOADING | STALE, since="4.0.0",
                  complexity="O(1)", summary="Show helpful text about the different subcommands")
def memory_help_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """MEMORY HELP"""
    return help_reply([
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ])


# ------------------------------------------------------------------ DEBUG

DEBUG_NOT_ALLOWED = (
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to "
    "\"local\", you can run it from a local connection, otherwise you need to set this "
    "option in the configuration file, and then restart the server."
)

# Redis shares one object for the integers 0..9999 and reports its refcount as INT_MAX.
_SHARED_INTEGERS = 10000
_SHARED_REFCOUNT = 2**31 - 1


def _rdb_length_bytes(length: int) -> int:
    """Bytes of an RDB length prefix (6-bit, 14-bit, 32-bit or 64-bit form)."""
    if length < 1 << 6:
        return 1
    if length < 1 << 14:
        return 2
    return 5 if length <= 0xFFFFFFFF else 9


def rdb_string_length(data: bytes) -> int:
    """The RDB size of a string without LZF: an integer encoding when it is an integer
    that fits 32 bits and is at most 11 characters, else length prefix + bytes."""
    number = parse_strict_int(bytes(data)) if len(data) <= 11 else None
    if number is not None:
        if -(1 << 7) <= number < 1 << 7:
            return 2
        if -(1 << 15) <= number < 1 << 15:
            return 3
        if -(1 << 31) <= number < 1 << 31:
            return 5
    return _rdb_length_bytes(len(data)) + len(data)


def serialized_length(value: Any) -> int:
    if is_string(value):
        return rdb_string_length(value)
    members = getattr(value, "dict", value)
    if isinstance(members, dict):
        parts = [p for item in members.items() for p in item]
    else:
        parts = list(members)
    total = _rdb_length_bytes(len(members))
    for part in parts:
        total += rdb_string_length(part if is_string(part) else repr(part).encode())
    return total


def debug_object(ctx: CommandContext, key: bytes) -> bytes:
    db = ctx.db
    value = db.peek(key)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    encoding = object_encoding(value)
    clock = db.clock_of(key)
    refcount = 1
    if encoding == "int" and 0 <= int(value) < _SHARED_INTEGERS:
        refcount = _SHARED_REFCOUNT
    return (
        f"Value at:0x{id(value):x} refcount:{refcount} encoding:{encoding} "
        f"serializedlength:{serialized_length(value)} lru:{clock} "
        f"lru_seconds_idle:{ctx.server.keyspace.idle_ms(clock) // 1000}"
    ).encode()


_STRTOD_PREFIX = re.compile(rb"\s*[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)")


def strtod_prefix(arg: bytes) -> float:
    """C's strtod(arg, NULL): the longest numeric prefix, 0 when there is none."""
    match = _STRTOD_PREFIX.match(arg)
    return float(match.group()) if match else 0.0


_DEBUG_HELP = [
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Options:",
    "    * MERGE: Merge the content of the RDB file with the existing data instead of",
    "      flushing it; keys in the file replace existing ones.",
    "    * NOFLUSH: Do not empty the dataset before loading the RDB.",
    "    * NOSAVE: Do not save the dataset before loading the RDB.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "HELP",
    "    Prints this help.",
]


@group.command("DEBUG", -2, ADMIN | NOSCRIPT | LOADING | STALE,
               summary="A container for debugging commands", complexity="Depends on subcommand.",
               doc_flags=("syscmd",))
def debug_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """DEBUG subcommand [argument ...]

    Only with enable-debug-command yes (or local, from a local client), as Redis 7.
    Implemented: HELP, SLEEP (blocks the whole server, like Redis), OBJECT, LOG, RELOAD.
    DEBUG OBJECT reports a serializedlength without LZF compression.
    """
    if not allows_protected_action(ctx, "enable-debug-command"):
        raise CommandError(DEBUG_NOT_ALLOWED)
    sub = argv[1].lower()
    if sub == b"help" and len(argv) == 2:
        return help_reply(_DEBUG_HELP)
    if sub == b"sleep" and len(argv) == 3:
        seconds = strtod_prefix(argv[2])
        if seconds > 0:
            time.sleep(seconds)
        return OK
    if sub == b"object" and len(argv) == 3:
        return SimpleString(debug_object(ctx, argv[2]))
    if sub == b"reload":
        options = {arg.lower() for arg in argv[2:]}
        if not options <= {b"merge", b"noflush", b"nosave"}:
            raise CommandError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and "
                               "NOSAVE options.")
        _rdb(ctx).debug_reload(save=b"nosave" not in options,
                               flush=b"noflush" not in options, merge=b"merge" in options)
        return OK
    if sub == b"log" and len(argv) == 3:
        log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
        return OK
    raise CommandError(errors.unknown_subcommand_or_arity(
        argv[0].decode("utf-8", "replace"), argv[1]))
