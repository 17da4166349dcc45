"""The command table against Redis 7.0.15.

Every command and subcommand EmberKV's COMMAND reports must match the real
redis-server's COMMAND INFO (arity, flags, first/last/step, ACL categories, tips, key
specs) and COMMAND DOCS (summary, since, group, complexity, doc flags, history, the
argument tree). Readable tests list every difference by command name; byte tests then
compare the exact replies in RESP2 and RESP3, where Redis sends flags and categories as
status replies (+readonly) and sets.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from tests.servers import ServerProcess
from tests.wire import Connection, parsed, reply_to

pytestmark = pytest.mark.needs_redis_server

Entry = list[Any]  # [name, arity, flags, first, last, step, acl, tips, key_specs, subcommands]

# Redis 7.2 commands EmberKV keeps because redis-py sends them when it connects
# (CLIENT SETINFO lib-name/lib-ver; NO-TOUCH is 7.2's companion of NO-EVICT). Redis
# 7.0.15 does not know them, so there is nothing to compare them with. Nothing else is
# skipped.
REDIS_72_EXTRAS = {
    "client|setinfo": "redis-py 5 sends CLIENT SETINFO at connect time",
    "client|no-touch": "Redis 7.2 command, kept next to CLIENT NO-EVICT",
}

# COMMAND DOCS replies that cannot equal Redis's, with the reason. Empty: every
# implemented command documents itself exactly as Redis 7.0.15 does.
EXPECTED_DOCS_DIFFERENCES: dict[str, str] = {}


@pytest.fixture(scope="module")
def ours(ember: ServerProcess) -> dict[str, Entry]:
    found = flatten(reply_to(ember.port, b"COMMAND"))
    assert found, "EmberKV's COMMAND returned no commands"
    return found


@pytest.fixture(scope="module")
def compared(ours: dict[str, Entry]) -> list[str]:
    """The names compared with Redis: everything but the listed 7.2 extras."""
    assert set(REDIS_72_EXTRAS) <= set(ours), "a listed 7.2 extra is no longer implemented"
    return sorted(name for name in ours if name not in REDIS_72_EXTRAS)


def flatten(entries: list[Entry]) -> dict[str, Entry]:
    """Commands and their subcommands ("config|get"), by lowercase name."""
    found: dict[str, Entry] = {}
    for entry in entries:
        found[entry[0].decode().lower()] = entry
        if len(entry) > 9 and entry[9]:
            found.update(flatten(entry[9]))
    return found


# ------------------------------------------------------------------ COMMAND INFO

def as_map(flat: list[Any]) -> dict[str, Any]:
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}


def describe_key_spec(spec: list[Any]) -> dict[str, Any]:
    fields = as_map(spec)
    described: dict[str, Any] = {
        "flags": [flag.decode() for flag in fields["flags"]],
        "begin_search": describe_search(fields["begin_search"]),
        "find_keys": describe_search(fields["find_keys"]),
    }
    if "notes" in fields:
        described["notes"] = fields["notes"].decode()
    return described


def describe_search(search: list[Any]) -> dict[str, Any]:
    fields = as_map(search)
    spec = {name: value.decode() if isinstance(value, bytes) else value
            for name, value in as_map(fields["spec"]).items()}
    return {"type": fields["type"].decode(), **spec}


def describe(entry: Entry) -> dict[str, Any]:
    """The comparable fields of a COMMAND INFO entry, in Redis's order (flags,
    categories and tips are ordered lists: Redis sends them in a fixed order)."""
    described = {
        "arity": entry[1],
        "flags": [flag.decode() for flag in entry[2]],
        "first/last/step": (entry[3], entry[4], entry[5]),
    }
    if len(entry) > 6:
        described["acl categories"] = [category.decode() for category in entry[6]]
        described["tips"] = [tip.decode() for tip in entry[7]]
        described["key specs"] = [describe_key_spec(spec) for spec in entry[8]]
    return described


def differences(ours: dict[str, Entry], theirs: dict[str, Entry | None]) -> list[str]:
    report = []
    for name in sorted(ours):
        real = theirs.get(name)
        if real is None:
            report.append(f"{name}: not a Redis 7.0.15 command")
            continue
        mine, expected = describe(ours[name]), describe(real)
        for field in mine:
            if mine[field] != expected[field]:
                report.append(f"{name}: {field} is {mine[field]}, Redis has {expected[field]}")
    return report


def test_every_command_matches_redis_command_info(
    ours: dict[str, Entry], compared: list[str], real_redis: ServerProcess
) -> None:
    infos = reply_to(real_redis.port, b"COMMAND", b"INFO", *(n.encode() for n in compared))
    theirs = dict(zip(compared, infos))
    report = differences({name: ours[name] for name in compared}, theirs)
    assert not report, (
        f"{len(report)} difference(s) between EmberKV's COMMAND and redis-server's "
        "COMMAND INFO:\n  " + "\n  ".join(report)
    )


def test_command_info_agrees_with_command(ember: ServerProcess) -> None:
    entries = reply_to(ember.port, b"COMMAND")
    names = [entry[0] for entry in entries]
    assert reply_to(ember.port, b"COMMAND", b"COUNT") == len(entries)
    assert reply_to(ember.port, b"COMMAND", b"INFO", *names) == entries
    assert sorted(reply_to(ember.port, b"COMMAND", b"LIST")) == sorted(names)


def test_report_names_each_difference() -> None:
    ours = {
        "get": [b"get", 3, [b"readonly"], 1, 1, 1],
        "set": [b"set", -3, [b"write", b"denyoom"], 1, 1, 1],
        "made-up": [b"made-up", 1, [], 0, 0, 0],
    }
    theirs = {
        "get": [b"get", 2, [b"readonly", b"fast"], 1, 1, 1],
        "set": [b"set", -3, [b"denyoom", b"write"], 1, 1, 1],
        "made-up": None,
    }
    assert differences(ours, theirs) == [
        "get: arity is 3, Redis has 2",
        "get: flags is ['readonly'], Redis has ['readonly', 'fast']",
        "made-up: not a Redis 7.0.15 command",
        "set: flags is ['write', 'denyoom'], Redis has ['denyoom', 'write']",
    ]


# ------------------------------------------------------------------ exact bytes

@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def connections(request: pytest.FixtureRequest, ember: ServerProcess,
                real_redis: ServerProcess) -> Iterator[tuple[Connection, Connection]]:
    pair = (Connection(ember.port, request.param, timeout_s=10),
            Connection(real_redis.port, request.param, timeout_s=10))
    yield pair
    for connection in pair:
        connection.close()


def test_command_info_bytes_match_redis(
    connections: tuple[Connection, Connection]
) -> None:
    ember, redis_server = connections
    request = (b"COMMAND", b"INFO", b"get", b"set", b"mset")
    assert ember.request(request) == redis_server.request(request)


def _bytes_mismatches(
    connections: tuple[Connection, Connection], subcommand: bytes, names: list[str]
) -> list[str]:
    ember, redis_server = connections
    return [
        name for name in names
        if ember.request((b"COMMAND", subcommand, name.encode()))
        != redis_server.request((b"COMMAND", subcommand, name.encode()))
    ]


def _without_subcommands(ours: dict[str, Entry], names: list[str]) -> list[str]:
    """Redis orders subcommands by its hash table, so containers are compared field by
    field (above and below) and their subcommands one by one, here."""
    return [name for name in names if not ours[name][9]]


def test_every_command_info_reply_has_redis_bytes(
    connections: tuple[Connection, Connection], ours: dict[str, Entry],
    compared: list[str],
) -> None:
    mismatched = _bytes_mismatches(connections, b"INFO", _without_subcommands(ours, compared))
    assert not mismatched, f"COMMAND INFO bytes differ from Redis's for {mismatched}"


def test_every_command_docs_reply_has_redis_bytes(
    connections: tuple[Connection, Connection], ours: dict[str, Entry],
    compared: list[str],
) -> None:
    names = [name for name in _without_subcommands(ours, compared)
             if name not in EXPECTED_DOCS_DIFFERENCES]
    mismatched = _bytes_mismatches(connections, b"DOCS", names)
    assert not mismatched, f"COMMAND DOCS bytes differ from Redis's for {mismatched}"


# ------------------------------------------------------------------ COMMAND DOCS

def docs_tree(flat: list[Any]) -> dict[str, Any]:
    """A COMMAND DOCS entry (RESP2) as nested dicts and lists, for readable differences."""
    tree: dict[str, Any] = {}
    for field, value in as_map(flat).items():
        if field == "arguments":
            tree[field] = [docs_tree(arg) for arg in value]
        elif field == "subcommands":
            tree[field] = {name: docs_tree(sub) for name, sub in as_map(value).items()}
        elif field == "history":
            tree[field] = [(version.decode(), change.decode()) for version, change in value]
        elif isinstance(value, list):
            tree[field] = [item.decode() for item in value]
        else:
            tree[field] = value.decode() if isinstance(value, bytes) else value
    return tree


def docs_differences(name: str, mine: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    report = []
    for field in sorted(set(mine) | set(expected)):
        if field == "subcommands":
            continue  # compared one by one
        if mine.get(field) != expected.get(field):
            report.append(f"{name}: {field} is {mine.get(field)!r}, Redis has "
                          f"{expected.get(field)!r}")
    unknown = (set(mine.get("subcommands", {})) - set(expected.get("subcommands", {}))
               - set(REDIS_72_EXTRAS))
    if unknown:
        report.append(f"{name}: subcommands {sorted(unknown)} are not Redis's")
    return report


def test_every_command_docs_matches_redis(
    ember: ServerProcess, real_redis: ServerProcess, compared: list[str]
) -> None:
    names = [name for name in compared if name not in EXPECTED_DOCS_DIFFERENCES]
    request = (b"COMMAND", b"DOCS", *(n.encode() for n in names))
    mine = as_map(reply_to(ember.port, *request))
    theirs = as_map(reply_to(real_redis.port, *request))
    report = []
    for name in names:
        if name not in mine or name not in theirs:
            report.append(f"{name}: documented by {'Redis' if name in theirs else 'EmberKV'} only")
            continue
        report += docs_differences(name, docs_tree(mine[name]), docs_tree(theirs[name]))
    assert not report, (
        f"{len(report)} difference(s) between EmberKV's and redis-server's COMMAND DOCS:\n  "
        + "\n  ".join(report)
    )


def test_expected_docs_differences_still_differ(
    ember: ServerProcess, real_redis: ServerProcess
) -> None:
    for name in EXPECTED_DOCS_DIFFERENCES:
        request = (b"COMMAND", b"DOCS", name.encode())
        assert reply_to(ember.port, *request) != reply_to(real_redis.port, *request), (
            f"{name} now matches Redis: remove it from EXPECTED_DOCS_DIFFERENCES")


# ------------------------------------------------------------------ GETKEYS

GETKEYS_CASES = [
    "get k", "set k v EX 10", "mset a 1 b 2", "msetnx a 1 b 2", "mget a b c", "del a b c",
    "rename a b", "renamenx a b", "copy a b REPLACE", "bitop AND dest a b", "lcs a b LEN",
    "memory usage k SAMPLES 0", "object encoding k", "getex k PERSIST",
    "set k v GET", "bitfield k GET u8 0 OVERFLOW SAT", "bitfield k GET u8 0 SET u8 0 1",
    "bitfield k GET u8", "bitfield_ro k GET u8 0", "expire k 10 NX",
    # the errors, in the order Redis checks them
    "nosuch a", "config nosuch", "ping x", "config get x", "config", "get a b", "set a",
]


def test_getkeys_and_getkeysandflags_match_redis(
    connections: tuple[Connection, Connection]
) -> None:
    ember, redis_server = connections
    mismatched = []
    for case in GETKEYS_CASES:
        for subcommand in (b"GETKEYS", b"GETKEYSANDFLAGS"):
            request = (b"COMMAND", subcommand, *case.encode().split())
            mine, theirs = ember.request(request), redis_server.request(request)
            if mine != theirs:
                mismatched.append(
                    f"{subcommand.decode()} {case}: {parsed(mine)!r}, Redis {parsed(theirs)!r}")
    assert not mismatched, "\n".join(mismatched)
