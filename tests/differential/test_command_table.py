"""The command table against Redis 7.0.15: every command and subcommand that EmberKV's
COMMAND reports must have the arity, flags and legacy key positions (first, last, step)
that the real redis-server's COMMAND INFO gives. A failure lists every command that
differs and how, so a wrong declaration is found by name.
"""

from __future__ import annotations

import socket
from typing import Any

import hiredis
import pytest

from tests.servers import ServerProcess

pytestmark = pytest.mark.needs_redis_server

Entry = list[Any]  # [name, arity, flags, first, last, step, acl, tips, key_specs, subcommands]


def command(port: int, *args: bytes) -> Any:
    """One request over a raw socket, parsed by hiredis without any client-side reshaping."""
    request = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)
    reader = hiredis.Reader()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        while True:
            data = sock.recv(1 << 20)
            if not data:
                raise ConnectionError("server closed the connection")
            reader.feed(data)
            reply = reader.gets()
            if reply is not False:
                return reply


def flatten(entries: list[Entry]) -> dict[str, Entry]:
    """Commands and their subcommands ("config|get"), by lowercase name."""
    found: dict[str, Entry] = {}
    for entry in entries:
        found[entry[0].decode().lower()] = entry
        if len(entry) > 9 and entry[9]:
            found.update(flatten(entry[9]))
    return found


def describe(entry: Entry) -> dict[str, Any]:
    return {
        "arity": entry[1],
        "flags": sorted(flag.decode() for flag in entry[2]),
        "first/last/step": (entry[3], entry[4], entry[5]),
    }


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
    ember: ServerProcess, real_redis: ServerProcess
) -> None:
    ours = flatten(command(ember.port, b"COMMAND"))
    assert ours, "EmberKV's COMMAND returned no commands"
    names = sorted(ours)
    infos = command(real_redis.port, b"COMMAND", b"INFO", *(n.encode() for n in names))
    theirs = dict(zip(names, infos))
    report = differences(ours, theirs)
    assert not report, (
        f"{len(report)} difference(s) between EmberKV's COMMAND and redis-server's "
        "COMMAND INFO:\n  " + "\n  ".join(report)
    )


def test_command_info_agrees_with_command(ember: ServerProcess) -> None:
    entries = command(ember.port, b"COMMAND")
    names = [entry[0] for entry in entries]
    assert command(ember.port, b"COMMAND", b"COUNT") == len(entries)
    assert command(ember.port, b"COMMAND", b"INFO", *names) == entries
    assert sorted(command(ember.port, b"COMMAND", b"LIST")) == sorted(names)


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
        "get: flags is ['readonly'], Redis has ['fast', 'readonly']",
        "made-up: not a Redis 7.0.15 command",
    ]
