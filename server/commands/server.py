"""Server commands: COMMAND, INFO, CONFIG, TIME, SHUTDOWN, SLOWLOG, MONITOR, MEMORY, DEBUG,
DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, LASTSAVE ...

COMMAND and its subcommands are derived entirely from the registry.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from protocol.replies import OK, Map, SetReply
from server.commands.args import parse_int
from server import errors
from server.context import CommandContext
from server.errors import CommandError
from server.registry import (
    FAST, LOADING, READONLY, SENTINEL, STALE, WRITE, CommandGroup, CommandSpec,
)

group = CommandGroup("server")


# ------------------------------------------------------------------ COMMAND

def command_info(spec: CommandSpec) -> list[Any]:
    first, last, step = spec.key_positions()
    key_specs: list[Any] = []
    if spec.keys is not None:
        keys = spec.keys
        if keys.last is None or keys.last_index == keys.first:
            last_key = 0
        elif keys.last_index < 0:
            last_key = keys.last_index
        else:
            last_key = keys.last_index - keys.first
        key_specs.append(Map([
            (b"flags", SetReply([f.encode() for f in keys.flags])),
            (b"begin_search", Map([(b"type", b"index"), (b"spec", Map([(b"index", keys.first)]))])),
            (b"find_keys", Map([(b"type", b"range"), (b"spec", Map([
                (b"lastkey", last_key), (b"keystep", keys.step), (b"limit", 0)]))])),
        ]))
    return [
        spec.name.encode(),
        spec.arity,
        SetReply([f.encode() for f in spec.reported_flags()]),
        first,
        last,
        step,
        SetReply([b"@" + c.encode() for c in spec.categories()]),
        [],
        key_specs,
        [command_info(sub) for sub in spec.subcommands.values()],
    ]


def command_docs(spec: CommandSpec) -> Map:
    items: list[tuple[Any, Any]] = [
        (b"summary", spec.summary.encode()),
        (b"since", spec.since.encode()),
        (b"group", spec.group.encode()),
    ]
    if spec.complexity:
        items.append((b"complexity", spec.complexity.encode()))
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
    "COMMAND", -1, LOADING | STALE | SENTINEL, categories=("connection",),
    summary="Get array of Redis command details", handler=command_command)


@group.subcommand(command_container, "COUNT", 2, LOADING | STALE, summary="Get total number of Redis commands")
def command_count_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND COUNT"""
    return len(ctx.server.registry)


@group.subcommand(command_container, "INFO", -2, LOADING | STALE, summary="Get array of specific Redis command details, or all when no argument is given")
def command_info_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND INFO [command-name [command-name ...]]"""
    if len(argv) == 2:
        return [command_info(spec) for spec in _all_specs(ctx)]
    return [_find(ctx, name, command_info) for name in argv[2:]]


def _find(ctx: CommandContext, name: bytes, describe: Any) -> Any:
    registry = ctx.server.registry
    parts = name.lower().split(b"|", 1)
    spec = registry.lookup(parts[0])
    if spec is not None and len(parts) == 2:
        spec = spec.subcommands.get(parts[1])
    return None if spec is None else describe(spec)


@group.subcommand(command_container, "DOCS", -2, LOADING | STALE, summary="Get array of specific Redis command documentation")
def command_docs_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND DOCS [command-name [command-name ...]]"""
    names = argv[2:] or [spec.name.encode() for spec in _all_specs(ctx)]
    items = []
    for name in names:
        docs = _find(ctx, name, command_docs)
        if docs is not None:
            items.append((name.lower(), docs))
    return Map(items)


@group.subcommand(command_container, "LIST", -2, LOADING | STALE, summary="Get an array of Redis command names")
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


@group.subcommand(command_container, "GETKEYS", -3, LOADING | STALE, summary="Extract keys given a full Redis command")
def command_getkeys_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND GETKEYS command [arg [arg ...]]"""
    target = argv[2:]
    spec = ctx.server.registry.lookup(target[0])
    if spec is None:
        raise CommandError("ERR Invalid command specified")
    if spec.subcommands and len(target) > 1:
        spec = spec.subcommands.get(target[1].lower(), spec)
    if not spec.accepts_arity(len(target)):
        raise CommandError("ERR Invalid number of arguments specified for command")
    keys = spec.keys_of(target)
    if not keys:
        raise CommandError("ERR The command has no key arguments")
    return keys


@group.subcommand(command_container, "HELP", 2, LOADING | STALE, summary="Show helpful text about the different subcommands")
def command_help_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """COMMAND HELP"""
    from protocol.replies import SimpleString

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
    return [SimpleString(line.encode()) for line in lines]


# ------------------------------------------------------------------ databases

def _parse_flush_mode(argv: list[bytes]) -> None:
    """FLUSHDB/FLUSHALL [ASYNC | SYNC]: both free at once here (no lazy-free thread)."""
    if len(argv) > 2 or (len(argv) == 2 and argv[1].upper() not in (b"ASYNC", b"SYNC")):
        raise CommandError(errors.SYNTAX)


@group.command("FLUSHALL", -1, WRITE, categories=("keyspace", "dangerous"), summary="Remove all keys from all databases")
def flushall_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """FLUSHALL [ASYNC | SYNC]"""
    _parse_flush_mode(argv)
    ctx.server.keyspace.flush_all()
    # Redis counts a FLUSHALL as a change even on an empty dataset, so it is always logged.
    ctx.server.keyspace.dirty += 1
    return OK


@group.command("FLUSHDB", -1, WRITE, categories=("keyspace", "dangerous"), summary="Remove all keys from the current database")
def flushdb_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """FLUSHDB [ASYNC | SYNC]"""
    _parse_flush_mode(argv)
    ctx.db.clear()
    ctx.server.keyspace.dirty += 1
    return OK


@group.command("DBSIZE", 1, READONLY | FAST, categories=("keyspace",), summary="Return the number of keys in the selected database")
def dbsize_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """DBSIZE"""
    return len(ctx.db)


@group.command("SWAPDB", 3, WRITE | FAST, categories=("keyspace", "dangerous"), summary="Swaps two Redis databases")
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
