"""Generic keyspace commands, EmberKV against the real redis-server 7.0.15.

Each scenario is a sequence of commands sent to both servers from an empty dataset; the
raw reply bytes must be identical, in RESP2 and in RESP3 (errors included, so every
error string is checked verbatim). Replies whose order Redis leaves unspecified (KEYS,
SCAN over several keys) are compared as sets in the tests after the table.
"""

from __future__ import annotations

import time
from typing import Iterator

import pytest
import redis

from tests.servers import ServerProcess
from tests.wire import Connection, reply_to

pytestmark = pytest.mark.needs_redis_server

SLEEP = "__sleep__"  # pseudo-command: (SLEEP, seconds) pauses the scenario


@pytest.fixture
def pair(
    ember: ServerProcess, real_redis: ServerProcess
) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    """(EmberKV client, redis-server client), both datasets flushed."""
    clients = (ember.client(), real_redis.client())
    for client in clients:
        client.flushall()
    yield clients
    for client in clients:
        client.flushall()
        client.close()


def port_of(client: redis.Redis) -> int:
    return int(client.connection_pool.connection_kwargs["port"])


def exchange(port: int, commands: list[tuple], protocol: int) -> list[bytes]:
    """Each command's raw reply bytes, on one connection speaking `protocol`; a SLEEP
    pseudo-command pauses there and has no reply."""
    replies = []
    with Connection(port, protocol) as connection:
        for command in commands:
            if command[0] == SLEEP:
                time.sleep(command[1])
                continue
            replies.append(connection.request(command))
    return replies


FAR_MS = 4_000_000_000_000  # a deadline in 2096

SCENARIOS: dict[str, list[tuple]] = {
    "del-unlink-exists-touch": [
        ("SET", "a", 1), ("SET", "b", 2), ("EXISTS", "a", "a", "b", "c"), ("TOUCH", "a", "c", "a"),
        ("DEL", "a", "a", "c"), ("UNLINK", "b", "b"), ("EXISTS", "a", "b"), ("DEL",),
        ("UNLINK",), ("EXISTS",), ("TOUCH",),
    ],
    "type": [
        ("SET", "s", "v"), ("TYPE", "s"), ("TYPE", "missing"), ("TYPE",), ("TYPE", "a", "b"),
    ],
    "rename": [
        ("SET", "a", 1), ("PEXPIREAT", "a", FAR_MS), ("SET", "b", 2), ("RENAME", "a", "b"),
        ("GET", "b"), ("PEXPIRETIME", "b"), ("EXISTS", "a"), ("RENAME", "a", "b"),
        ("RENAME", "b", "b"), ("RENAMENX", "b", "b"), ("RENAME", "missing", "missing"),
        ("RENAMENX", "missing", "missing"), ("SET", "c", 3), ("RENAMENX", "b", "c"),
        ("RENAMENX", "b", "d"), ("GET", "d"), ("PEXPIRETIME", "d"), ("SET", "e", 5),
        ("PEXPIREAT", "e", FAR_MS), ("RENAME", "c", "e"), ("PEXPIRETIME", "e"),
        ("RENAME", "a"), ("RENAMENX", "a", "b", "c"),
    ],
    "copy": [
        ("SET", "a", 1), ("PEXPIREAT", "a", FAR_MS), ("COPY", "a", "b"), ("PEXPIRETIME", "b"),
        ("COPY", "a", "b"), ("SET", "c", "other"), ("COPY", "c", "b", "REPLACE"),
        ("GET", "b"), ("PEXPIRETIME", "b"), ("COPY", "a", "a"), ("COPY", "missing", "x"),
        ("COPY", "missing", "missing"), ("COPY", "a", "b", "DB"), ("COPY", "a", "b", "DB", "x"),
        ("COPY", "a", "b", "DB", 16), ("COPY", "a", "b", "DB", -1),
        ("COPY", "a", "b", "DB", 99999999999), ("COPY", "a", "b", "FOO"),
        ("COPY", "a", "b", "db", 1, "DB", 2), ("COPY", "a", "a", "DB", 1),
        ("COPY", "a", "a", "DB", 0), ("COPY", "a", "b", "replace", "REPLACE"),
        ("SELECT", 2), ("GET", "b"), ("PEXPIRETIME", "b"), ("SELECT", 1), ("GET", "a"),
        ("SELECT", 0), ("COPY",), ("COPY", "a"),
    ],
    "move": [
        ("SET", "m", 1), ("PEXPIREAT", "m", FAR_MS), ("MOVE", "m", 1), ("MOVE", "m", 1),
        ("EXISTS", "m"), ("MOVE", "m", 0), ("MOVE", "missing", 0), ("MOVE", "missing", 1),
        ("MOVE", "m", "x"), ("MOVE", "m", 16), ("MOVE", "m", -1), ("MOVE", "m", 99999999999),
        ("SELECT", 1), ("PEXPIRETIME", "m"), ("SET", "n", 1), ("MOVE", "m", 0),
        ("SELECT", 0), ("SET", "n", 0), ("SELECT", 1), ("MOVE", "n", 0), ("SELECT", 0),
        ("GET", "m"), ("GET", "n"), ("PEXPIRETIME", "m"), ("MOVE", "m"), ("MOVE", "m", 1, 2),
    ],
    "expire-options": [
        ("SET", "k", "v"), ("EXPIRE", "k", 100, "XX"), ("EXPIRE", "k", 100, "GT"),
        ("EXPIRE", "k", 100, "NX"), ("TTL", "k"), ("EXPIRE", "k", 200, "NX"),
        ("EXPIRE", "k", 50, "GT"), ("EXPIRE", "k", 200, "gt"), ("TTL", "k"),
        ("EXPIRE", "k", 300, "LT"), ("EXPIRE", "k", 150, "lt"), ("TTL", "k"),
        ("EXPIRE", "k", 120, "XX", "GT"), ("EXPIRE", "k", 130, "XX", "GT"), ("TTL", "k"),
        ("EXPIRE", "k", 130, "XX", "LT"), ("EXPIRE", "k", 130, "NX", "NX"),
        ("PERSIST", "k"), ("EXPIRE", "k", 100, "LT"), ("TTL", "k"), ("PERSIST", "k"),
        ("PEXPIRE", "k", 100_000, "NX"), ("PTTL", "missing"), ("TTL", "k"),
        ("PEXPIREAT", "k", FAR_MS, "XX"), ("PEXPIRETIME", "k"),
        ("EXPIREAT", "k", FAR_MS // 1000 + 1, "GT"), ("EXPIRETIME", "k"),
        ("EXPIRE", "missing", 100), ("EXPIRE", "missing", 100, "NX"),
    ],
    "expire-errors": [
        ("SET", "k", "v"),
        ("EXPIRE", "k", 100, "FOO"), ("EXPIRE", "k", "abc", "FOO"), ("EXPIRE", "k", "abc", "NX"),
        ("EXPIRE", "k", 100, "NX", "XX"), ("EXPIRE", "k", 100, "NX", "GT"),
        ("EXPIRE", "k", 100, "NX", "LT"), ("EXPIRE", "k", 100, "GT", "LT"),
        ("EXPIRE", "k", 100, "XX", "GT", "LT"), ("EXPIRE", "k", 100, "LT", "GT", "NX"),
        ("EXPIRE", "missing", 100, "BAD"), ("EXPIRE", "missing", "bad"),
        ("EXPIRE", "k", 100, b"N\x00X"), ("EXPIRE", "k", 100, b"caf\xc3\xa9\xff"),
        ("EXPIRE", "k", "1.5"), ("EXPIRE", "k", ""), ("EXPIRE", "k", " 1"),
        ("EXPIRE", "k", 9223372036854776), ("EXPIRE", "k", -9223372036854776),
        ("PEXPIRE", "k", 9223372036854775807), ("EXPIREAT", "k", 9223372036854776),
        ("EXPIREAT", "k", -9223372036854776), ("PEXPIRE", "k", 9223372036854775808),
        ("pexpire", "k", 9223372036854775807), ("Expire", "k", 9223372036854776),
        ("EXPIRE", "k"), ("PEXPIRE", "k"), ("EXPIREAT",), ("PEXPIREAT", "k"),
        ("PEXPIREAT", "k", 9223372036854775807), ("PEXPIRETIME", "k"), ("EXPIRETIME", "k"),
    ],
    "expire-in-the-past-deletes": [
        ("SET", "a", 1), ("EXPIRE", "a", 0), ("EXISTS", "a"),
        ("SET", "a", 1), ("EXPIRE", "a", -9223372036854775), ("EXISTS", "a"),
        ("SET", "a", 1), ("PEXPIRE", "a", -1), ("EXISTS", "a"),
        ("SET", "a", 1), ("PEXPIRE", "a", -9223372036854775808), ("EXISTS", "a"),
        ("SET", "a", 1), ("EXPIREAT", "a", 1), ("EXISTS", "a"),
        ("SET", "a", 1), ("PEXPIREAT", "a", 0), ("EXISTS", "a"),
        ("SET", "a", 1), ("EXPIRE", "a", 0, "GT"), ("EXPIRE", "a", 0, "XX"),
        ("EXPIRE", "a", 0, "LT"), ("EXISTS", "a"),
        ("SET", "a", 1), ("EXPIRE", "a", 100), ("EXPIRE", "a", -5, "XX"), ("EXISTS", "a"),
    ],
    "ttl-family": [
        ("SET", "k", "v"), ("TTL", "k"), ("PTTL", "k"), ("EXPIRETIME", "k"),
        ("PEXPIRETIME", "k"), ("TTL", "missing"), ("PTTL", "missing"),
        ("EXPIRETIME", "missing"), ("PEXPIRETIME", "missing"),
        ("PEXPIREAT", "k", 1_999_999_999_499), ("EXPIRETIME", "k"),
        ("PEXPIREAT", "k", 1_999_999_999_500), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k"),
        ("EXPIRE", "k", 1000), ("TTL", "k"), ("TTL",), ("PTTL", "a", "b"),
    ],
    "persist": [
        ("SET", "k", "v"), ("PERSIST", "k"), ("EXPIRE", "k", 100), ("PERSIST", "k"),
        ("PERSIST", "k"), ("TTL", "k"), ("PERSIST", "missing"), ("PERSIST",),
    ],
    "object": [
        ("SET", "int", "12345"), ("SET", "neg", "-7"), ("SET", "zero", "0"),
        ("SET", "lead", "012"), ("SET", "big", "9223372036854775807"),
        ("SET", "huge", "92233720368547758070"), ("SET", "short", "hello"),
        ("SET", "e44", "x" * 44), ("SET", "e45", "x" * 45),
        *[("OBJECT", "ENCODING", key) for key in
          ("int", "neg", "zero", "lead", "big", "huge", "short", "e44", "e45", "missing")],
        ("SET", "s0", 0), ("SET", "s9999", 9999), ("SET", "s10000", 10000),
        *[("OBJECT", "REFCOUNT", key) for key in
          ("s0", "s9999", "s10000", "neg", "lead", "short", "e45", "missing")],
        ("OBJECT", "FREQ", "int"), ("OBJECT", "FREQ", "missing"), ("OBJECT", "freq", "int"),
        ("OBJECT", "FOO"), ("OBJECT", "FOO", "a"), ("OBJECT",), ("OBJECT", "ENCODING"),
        ("OBJECT", "ENCODING", "a", "b"), ("OBJECT", "HELP", "x"), ("object", "encoding", "int"),
    ],
    "scan-errors-and-single-key": [
        ("SET", "a", 1),
        ("SCAN", "abc"), ("SCAN", " 1"), ("SCAN", "1 "), ("SCAN", "0x1"), ("SCAN", "-"),
        ("SCAN", "+"), ("SCAN", "18446744073709551616"), ("SCAN", "0", "COUNT", "0"),
        ("SCAN", "0", "COUNT", "x"), ("SCAN", "0", "COUNT"), ("SCAN", "0", "COUNT", -1),
        ("SCAN", "0", "COUNT", 9223372036854775808), ("SCAN", "0", "MATCH"),
        ("SCAN", "0", "TYPE"), ("SCAN", "0", "FOO", "bar"), ("SCAN", "abc", "COUNT", "0"),
        ("SCAN", "0", "COUNT", "x", "MATCH"), ("SCAN",),
        ("SCAN", "0"), ("SCAN", ""), ("SCAN", "+0"), ("SCAN", "-0"),
        ("SCAN", "0", "MATCH", "a"), ("SCAN", "0", "MATCH", "b"), ("SCAN", "0", "match", "[a]"),
        ("SCAN", "0", "TYPE", "string"), ("SCAN", "0", "type", "STRING"),
        ("SCAN", "0", "TYPE", "list"), ("SCAN", "0", "TYPE", "nosuchtype"),
        ("SCAN", "0", "COUNT", 1000, "MATCH", "*", "TYPE", "string", "COUNT", 5),
        ("SCAN", "0", "MATCH", "b", "MATCH", "a"), ("SCAN", "0", "COUNT", 9223372036854775807),
    ],
    "keys-single": [
        ("SET", "hello", 1), ("KEYS", "*"), ("KEYS", "h?llo"), ("KEYS", "h[a-z]llo"),
        ("KEYS", "h[^e]llo"), ("KEYS", "nomatch*"), ("KEYS", "**"), ("KEYS", "*o"),
        ("KEYS", "h\\ello"), ("KEYS",), ("KEYS", "a", "b"),
    ],
    "randomkey": [
        ("RANDOMKEY",), ("SET", "only", 1), ("RANDOMKEY",), ("RANDOMKEY", "x"),
    ],
    "command-getkeys": [
        ("COMMAND", "GETKEYS", "DEL", "a", "b", "c"), ("COMMAND", "GETKEYS", "UNLINK", "a"),
        ("COMMAND", "GETKEYS", "EXISTS", "a", "a"), ("COMMAND", "GETKEYS", "TOUCH", "a", "b"),
        ("COMMAND", "GETKEYS", "RENAME", "a", "b"), ("COMMAND", "GETKEYS", "RENAMENX", "a", "b"),
        ("COMMAND", "GETKEYS", "COPY", "a", "b", "DB", 1, "REPLACE"),
        ("COMMAND", "GETKEYS", "MOVE", "a", 1), ("COMMAND", "GETKEYS", "EXPIRE", "k", 1, "NX"),
        ("COMMAND", "GETKEYS", "PEXPIREAT", "k", 1), ("COMMAND", "GETKEYS", "TTL", "k"),
        ("COMMAND", "GETKEYS", "PERSIST", "k"), ("COMMAND", "GETKEYS", "TYPE", "k"),
        ("COMMAND", "GETKEYS", "OBJECT", "ENCODING", "k"),
        ("COMMAND", "GETKEYS", "OBJECT", "FREQ", "k"), ("COMMAND", "GETKEYS", "KEYS", "*"),
        ("COMMAND", "GETKEYS", "SCAN", 0), ("COMMAND", "GETKEYS", "RANDOMKEY"),
    ],
    "expired-keys-are-invisible": [
        ("SET", "gone", 1, "PX", 1), ("SET", "live", 1), (SLEEP, 0.02),
        ("EXISTS", "gone", "live"), ("TOUCH", "gone"), ("TYPE", "gone"), ("TTL", "gone"),
        ("PTTL", "gone"), ("KEYS", "*"), ("SCAN", 0), ("RANDOMKEY",),
        ("OBJECT", "ENCODING", "gone"), ("RENAME", "gone", "x"), ("COPY", "gone", "x"),
        ("MOVE", "gone", 1), ("EXPIRE", "gone", 100), ("PERSIST", "gone"), ("DEL", "gone"),
        ("SET", "gone2", 1, "PX", 1), (SLEEP, 0.02), ("COPY", "live", "gone2"),
        ("PTTL", "gone2"), ("SET", "gone3", 1, "PX", 1), (SLEEP, 0.02),
        ("RENAMENX", "live", "gone3"), ("GET", "gone3"),
    ],
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_replies_are_byte_identical(pair, name, protocol):
    ember_client, redis_client = pair
    commands = SCENARIOS[name]
    ours = exchange(port_of(ember_client), commands, protocol)
    ember_client.flushall()
    redis_client.flushall()
    theirs = exchange(port_of(redis_client), commands, protocol)
    sent = [c for c in commands if c[0] != SLEEP]
    differing = [
        f"{command!r}: EmberKV {mine!r}, Redis {real!r}"
        for command, mine, real in zip(sent, ours, theirs) if mine != real
    ]
    assert not differing, "\n".join(differing)


# ------------------------------------------------------------------ unordered replies


def fill(client: redis.Redis, keys: list[bytes]) -> None:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.set(key, 1)
    pipe.execute()


GLOB_KEYS = [b"", b"hello", b"hallo", b"hllo", b"heeello", b"h*llo", b"h[llo", b"h]llo",
             b"h\\llo", b"user:1", b"user:12", b"user:2:name", b"a\nb", b"\xff\x80", b"-", b"^"]
GLOB_PATTERNS = [b"*", b"**", b"?*", b"h?llo", b"h*llo", b"h[ae]llo", b"h[^e]llo", b"h[a-]llo",
                 b"h[\\]]llo", b"h\\*llo", b"user:*", b"user:?", b"*:*:*", b"[", b"[^",
                 b"*[\x80-\xff]*", b"a?b", b"\\", b"[\\-]", b"[]]", b"[^a-z]*", b"*llo"]


@pytest.mark.parametrize("pattern", GLOB_PATTERNS, ids=repr)
def test_keys_and_scan_match_select_the_same_keys(pair, pattern):
    ember_client, redis_client = pair
    for client in pair:
        fill(client, GLOB_KEYS)
    expected = sorted(redis_client.keys(pattern))
    assert sorted(ember_client.keys(pattern)) == expected
    for client in pair:
        seen = sorted(client.scan_iter(match=pattern, count=3))
        assert seen == expected


def test_full_scan_returns_the_same_keys(pair):
    keys = [b"key:%d" % i for i in range(500)]
    for client in pair:
        fill(client, keys)
    for client in pair:
        assert sorted(client.scan_iter(count=17)) == sorted(keys)
        assert sorted(client.scan_iter(count=17, _type="string")) == sorted(keys)
        assert list(client.scan_iter(count=17, _type="hash")) == []


# ------------------------------------------------------------------ the command table


MY_COMMANDS = [
    "del", "unlink", "exists", "type", "keys", "scan", "randomkey", "rename", "renamenx",
    "copy", "move", "expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl",
    "expiretime", "pexpiretime", "persist", "touch", "object", "object|encoding",
    "object|refcount", "object|freq", "object|help",
]


@pytest.mark.parametrize("name", MY_COMMANDS)
def test_command_info_matches_including_acl_categories(pair, name):
    ember_client, redis_client = pair
    (ours,) = reply_to(port_of(ember_client), "COMMAND", "INFO", name)
    (theirs,) = reply_to(port_of(redis_client), "COMMAND", "INFO", name)
    # name, arity, flags, first, last, step, ACL categories
    assert ours[:7] == theirs[:7]


@pytest.mark.parametrize("name", [n for n in MY_COMMANDS if "|" not in n])
def test_command_docs_summary_since_and_group_match(pair, name):
    docs = []
    for client in pair:
        _, fields = reply_to(port_of(client), "COMMAND", "DOCS", name)
        pairs = dict(zip(fields[::2], fields[1::2]))
        docs.append({field: pairs[field] for field in (b"summary", b"since", b"group")})
    assert docs[0] == docs[1]
