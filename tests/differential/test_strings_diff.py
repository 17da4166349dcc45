"""String and bitmap commands, EmberKV against the real redis-server 7.0.15.

Each scenario is a list of commands sent, from an empty dataset, to both servers over
raw sockets; every reply must be byte-for-byte the same, in RESP2 and in RESP3, errors
included (so each error string is checked verbatim). After the table come seeded random
sequences for the arithmetic that is easy to get subtly wrong: INCRBYFLOAT's long
double rounding, BITPOS/BITCOUNT ranges, BITFIELD overflow and LCS.
"""

from __future__ import annotations

import random
from typing import Iterator

import pytest

from tests.servers import ServerProcess
from tests.wire import Command, exchange, reply_to

pytestmark = pytest.mark.needs_redis_server

FAR_MS = 4_000_000_000_000  # a deadline in 2096
FAR_S = FAR_MS // 1000


@pytest.fixture
def pair(ember: ServerProcess, real_redis: ServerProcess) -> Iterator[tuple[int, int]]:
    """(EmberKV port, redis-server port), both datasets flushed before and after."""
    ports = (ember.port, real_redis.port)
    for port in ports:
        exchange(port, [("FLUSHALL",)], protocol=2)
    yield ports
    for port in ports:
        exchange(port, [("FLUSHALL",)], protocol=2)


def assert_same_replies(ports: tuple[int, int], commands: list[Command], protocol: int) -> None:
    ours = exchange(ports[0], commands, protocol)
    theirs = exchange(ports[1], commands, protocol)
    mismatches = [
        f"{command!r}: EmberKV {mine!r} != Redis {real!r}"
        for command, mine, real in zip(commands, ours, theirs) if mine != real
    ]
    assert not mismatches, "\n".join(mismatches[:20])


SCENARIOS: dict[str, list[Command]] = {
    "get-set-basics": [
        ("GET", "k"), ("SET", "k", "v"), ("GET", "k"), ("SET", "k", ""), ("GET", "k"),
        ("SET", "k", b"\x00\xff\r\n"), ("GET", "k"), ("STRLEN", "k"), ("GET",),
        ("GET", "a", "b"), ("SET", "k"),
    ],
    "set-nx-xx-get": [
        ("SET", "k", "1", "XX"), ("SET", "k", "1", "NX"), ("SET", "k", "2", "NX"),
        ("SET", "k", "3", "XX"), ("GET", "k"), ("SET", "k", "4", "NX", "GET"),
        ("SET", "k", "5", "XX", "GET"), ("SET", "new", "6", "XX", "GET"), ("EXISTS", "new"),
        ("SET", "new", "7", "NX", "GET"), ("SET", "k", "v", "NX", "XX"),
        ("SET", "k", "v", "XX", "NX"), ("SET", "k", "v", "NX", "NX"), ("SET", "k", "v", "GET", "GET"),
        ("SET", "k", "v", "nx"), ("SET", "k", "v", "get"), ("SET", "k", "v", "FOO"),
        ("SET", "k", "v", b"NX\x00junk"), ("SET", "k", "v", "PERSIST"),
    ],
    "set-expiry-options": [
        ("SET", "k", "v", "EX", 100), ("TTL", "k"), ("SET", "k", "v", "PX", 100000), ("TTL", "k"),
        ("SET", "k", "v", "EXAT", FAR_S), ("PEXPIRETIME", "k"),
        ("SET", "k", "v", "PXAT", FAR_MS), ("PEXPIRETIME", "k"),
        ("SET", "k", "v2", "KEEPTTL"), ("PEXPIRETIME", "k"), ("GET", "k"),
        ("SET", "k", "v3"), ("TTL", "k"),
        ("SET", "k", "v", "EX", 10, "EX", 100), ("TTL", "k"),
        ("SET", "k", "v", "EX", 10, "PX", 100), ("SET", "k", "v", "EX", 10, "KEEPTTL"),
        ("SET", "k", "v", "KEEPTTL", "PX", 10), ("SET", "k", "v", "KEEPTTL", "KEEPTTL"),
        ("SET", "k", "v", "EX"), ("SET", "k", "v", "PX"), ("SET", "k", "v", "EX", "ten"),
        ("SET", "k", "v", "EX", 0), ("SET", "k", "v", "EX", -5), ("SET", "k", "v", "PX", 0),
        ("SET", "k", "v", "EXAT", 0), ("SET", "k", "v", "PXAT", -1),
        ("SET", "k", "v", "EX", "9223372036854775807"), ("SET", "k", "v", "EX", "9223372036854776"),
        ("SET", "k", "v", "PX", "9223372036854775807"), ("SET", "k", "v", "EXAT", "9223372036854775"),
        ("SET", "k", "v", "EX", "1.5"), ("SET", "k", "v", "EX", "99999999999999999999"),
        ("SET", "k", "v", "EXAT", 1), ("GET", "k"), ("EXISTS", "k"),
        ("SET", "k", "v", "PXAT", 1, "GET"), ("SET", "k", "v", "px", 100000, "nx"),
        ("SET", "k", "new", "XX", "GET", "EX", 100), ("TTL", "k"),
    ],
    "setnx-setex-psetex": [
        ("SETNX", "k", "a"), ("SETNX", "k", "b"), ("GET", "k"), ("SETNX", "k"),
        ("SETEX", "k", 100, "c"), ("TTL", "k"), ("GET", "k"), ("SETEX", "k", 0, "c"),
        ("SETEX", "k", -1, "c"), ("SETEX", "k", "x", "c"), ("SETEX", "k", 10),
        ("PSETEX", "k", 100000, "d"), ("TTL", "k"), ("GET", "k"), ("PSETEX", "k", 0, "d"),
        ("PSETEX", "k", "1e3", "d"), ("SETEX", "k", "9223372036854775807", "v"),
        ("PSETEX", "k", "9223372036854775807", "v"), ("SETNX", "k", "x"),
    ],
    "getset-getdel-getex": [
        ("GETSET", "k", "a"), ("GETSET", "k", "b"), ("GET", "k"), ("EXPIRE", "k", 100),
        ("GETSET", "k", "c"), ("TTL", "k"), ("GETDEL", "k"), ("GETDEL", "k"), ("EXISTS", "k"),
        ("GETEX", "missing"), ("GETEX", "missing", "EX", "bad"), ("GETEX", "missing", "FOO"),
        ("SET", "k", "v"), ("GETEX", "k"), ("TTL", "k"), ("GETEX", "k", "EX", 100), ("TTL", "k"),
        ("GETEX", "k", "PERSIST"), ("TTL", "k"), ("GETEX", "k", "PERSIST"),
        ("GETEX", "k", "PX", 100000), ("TTL", "k"), ("GETEX", "k", "EXAT", FAR_S),
        ("PEXPIRETIME", "k"), ("GETEX", "k", "PXAT", FAR_MS), ("PEXPIRETIME", "k"),
        ("GETEX", "k", "EX", 0), ("GETEX", "k", "EX", -1), ("GETEX", "k", "EX", "x"),
        ("GETEX", "k", "EX"), ("GETEX", "k", "EX", 10, "PX", 10), ("GETEX", "k", "EX", 10, "PERSIST"),
        ("GETEX", "k", "PERSIST", "EX", 10), ("GETEX", "k", "KEEPTTL"), ("GETEX", "k", "NX"),
        ("GETEX", "k", "GET"), ("GETEX", "k", "EX", 10, "EX", 100), ("TTL", "k"),
        ("GETEX", "k", "EXAT", 1), ("EXISTS", "k"), ("SET", "k", "v"),
        ("GETEX", "k", "PXAT", 1), ("EXISTS", "k"), ("GETEX",), ("GETDEL",), ("GETSET", "k"),
    ],
    "mget-mset-msetnx": [
        ("MSET", "a", 1, "b", 2), ("MGET", "a", "b", "c"), ("MSET", "a", 1, "b"), ("MSET", "a"),
        ("MSETNX", "x", 1, "y", 2), ("MSETNX", "y", 3, "z", 4), ("MGET", "x", "y", "z"),
        ("MSETNX", "q", 1, "q", 2), ("GET", "q"), ("MSET", "d", 1, "d", 2), ("GET", "d"),
        ("MSETNX", "a", 1, "b"), ("MSETNX", "a"), ("MGET",), ("EXPIRE", "a", 100),
        ("MSET", "a", 9), ("TTL", "a"),
    ],
    "append-strlen": [
        ("APPEND", "k", "ab"), ("APPEND", "k", "cd"), ("GET", "k"), ("STRLEN", "k"),
        ("OBJECT", "ENCODING", "k"), ("APPEND", "n", 12), ("OBJECT", "ENCODING", "n"),
        ("APPEND", "n", 3), ("GET", "n"), ("OBJECT", "ENCODING", "n"), ("INCR", "n"),
        ("OBJECT", "ENCODING", "n"), ("APPEND", "e", ""), ("EXISTS", "e"), ("APPEND", "e", ""),
        ("STRLEN", "e"), ("STRLEN", "missing"), ("SET", "t", "v", "EX", 100), ("APPEND", "t", "w"),
        ("TTL", "t"), ("STRLEN",),
        ("APPEND", "k"),
    ],
    "incr-decr": [
        ("INCR", "n"), ("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", 10), ("DECRBY", "n", 3),
        ("INCRBY", "n", -20), ("DECRBY", "n", -5), ("GET", "n"), ("OBJECT", "ENCODING", "n"),
        ("SET", "n", "9223372036854775806"), ("INCR", "n"), ("INCR", "n"), ("GET", "n"),
        ("SET", "n", "-9223372036854775807"), ("DECR", "n"), ("DECR", "n"),
        ("INCRBY", "n", "9223372036854775807"), ("SET", "m", 5),
        ("DECRBY", "m", "-9223372036854775808"), ("INCRBY", "m", "-9223372036854775808"),
        ("INCRBY", "m", "9223372036854775808"), ("INCRBY", "m", "1.5"), ("INCRBY", "m", " 1"),
        ("INCRBY", "m", "+1"), ("INCRBY", "m", "01"), ("INCRBY", "m", ""),
        ("SET", "s", "abc"), ("INCR", "s"), ("SET", "s", " 1"), ("INCR", "s"),
        ("SET", "s", "1 "), ("INCR", "s"), ("SET", "s", "-0"), ("INCR", "s"),
        ("SET", "s", "007"), ("INCR", "s"), ("SET", "s", "1.0"), ("DECR", "s"),
        ("SET", "s", "99999999999999999999"), ("INCR", "s"), ("SET", "s", ""), ("INCR", "s"),
        ("SET", "t", 1, "EX", 100), ("INCR", "t"), ("TTL", "t"), ("INCR",), ("INCRBY", "n"),
        ("SETRANGE", "r", 0, "41"), ("INCR", "r"), ("OBJECT", "ENCODING", "r"),
    ],
    "incrbyfloat": [
        ("SET", "f", "0.1"), ("INCRBYFLOAT", "f", "0.2"), ("INCRBYFLOAT", "f", "5.0e3"),
        ("INCRBYFLOAT", "f", "-5000.3"), ("INCRBYFLOAT", "g", "1"), ("INCRBYFLOAT", "g", "-1"),
        ("INCRBYFLOAT", "g", "0x10"), ("INCRBYFLOAT", "g", "0X1p-3"), ("INCRBYFLOAT", "g", "1e400"),
        ("INCRBYFLOAT", "g", "-1e400"), ("INCRBYFLOAT", "g", "inf"), ("INCRBYFLOAT", "g", "-INF"),
        ("INCRBYFLOAT", "g", "Infinity"), ("INCRBYFLOAT", "g", "nan"), ("INCRBYFLOAT", "g", " 1"),
        ("INCRBYFLOAT", "g", "1 "), ("INCRBYFLOAT", "g", ""), ("INCRBYFLOAT", "g", "1e"),
        ("INCRBYFLOAT", "g", "1e5000"), ("INCRBYFLOAT", "g", "1e-5000"),
        ("INCRBYFLOAT", "g", "1e-4940"), ("INCRBYFLOAT", "g", ".5"), ("INCRBYFLOAT", "g", "5."),
        ("INCRBYFLOAT", "g", "+1.5"), ("INCRBYFLOAT", "g", "1_0"), ("INCRBYFLOAT", "g", "0x"),
        ("INCRBYFLOAT", "g", "-0"), ("INCRBYFLOAT", "z", "-0.0"), ("GET", "z"),
        ("INCRBYFLOAT", "h", "0.000003814697265625"), ("INCRBYFLOAT", "i", "1e-20"),
        ("INCRBYFLOAT", "i", "-1e-20"), ("INCRBYFLOAT", "j", "1.23456789012345678901234"),
        ("INCRBYFLOAT", "j", "10000000000000000000000"), ("INCRBYFLOAT", "k", "3.0"),
        ("SET", "s", "abc"), ("INCRBYFLOAT", "s", 1), ("SET", "s", "1.5 "), ("INCRBYFLOAT", "s", 1),
        ("SET", "s", "inf"), ("INCRBYFLOAT", "s", 1), ("SET", "s", "1e400"), ("INCRBYFLOAT", "s", 1),
        ("SET", "t", 1, "EX", 100), ("INCRBYFLOAT", "t", "0.5"), ("TTL", "t"),
        ("INCRBYFLOAT", "f"), ("SET", "big", "1" * 5119), ("INCRBYFLOAT", "big", 1),
        ("SET", "big", "1" * 5120), ("INCRBYFLOAT", "big", 1),
    ],
    "getrange-substr": [
        ("SET", "s", "Hello World"), ("GETRANGE", "s", 0, 4), ("GETRANGE", "s", -5, -1),
        ("GETRANGE", "s", 0, -1), ("GETRANGE", "s", 5, 3), ("GETRANGE", "s", -1, -5),
        ("GETRANGE", "s", -100, 100), ("GETRANGE", "s", -100, -50), ("GETRANGE", "s", 100, 200),
        ("GETRANGE", "s", 3, -100), ("GETRANGE", "s", "x", 1), ("GETRANGE", "s", 0, "y"),
        ("GETRANGE", "missing", 0, -1), ("GETRANGE", "missing", "x", 1), ("SUBSTR", "s", 1, 3),
        ("SUBSTR", "s", -3, -1), ("SET", "e", ""), ("GETRANGE", "e", 0, -1), ("GETRANGE", "e", 0, 0),
        ("SET", "n", 12345), ("GETRANGE", "n", 1, 2), ("GETRANGE", "s", 0), ("SUBSTR", "s", 0),
        ("GETRANGE", "s", "-9223372036854775808", "9223372036854775807"),
    ],
    "setrange": [
        ("SETRANGE", "k", 0, "abc"), ("GET", "k"), ("OBJECT", "ENCODING", "k"),
        ("SETRANGE", "k", 1, "X"), ("GET", "k"), ("SETRANGE", "k", 6, "Z"), ("GET", "k"),
        ("SETRANGE", "k", 0, ""), ("SETRANGE", "missing", 5, ""), ("EXISTS", "missing"),
        ("SETRANGE", "new", 3, "x"), ("GET", "new"), ("SETRANGE", "k", -1, "x"),
        ("SETRANGE", "k", "x", "y"), ("SETRANGE", "k", 536870911, "xy"),
        ("SETRANGE", "k", 536870912, "x"), ("SETRANGE", "k", "9223372036854775807", "x"),
        ("SETRANGE", "k", 536870912, ""), ("SET", "n", 123), ("SETRANGE", "n", 1, "9"),
        ("GET", "n"), ("OBJECT", "ENCODING", "n"), ("SET", "t", "v", "EX", 100),
        ("SETRANGE", "t", 0, "w"), ("TTL", "t"), ("SETRANGE", "k", 0),
    ],
    "lcs": [
        ("MSET", "a", "ohmytext", "b", "mynewtext"), ("LCS", "a", "b"), ("LCS", "a", "b", "LEN"),
        ("LCS", "a", "b", "IDX"), ("LCS", "a", "b", "IDX", "MINMATCHLEN", 4),
        ("LCS", "a", "b", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN"),
        ("LCS", "a", "b", "IDX", "WITHMATCHLEN"), ("LCS", "a", "b", "WITHMATCHLEN"),
        ("LCS", "a", "b", "MINMATCHLEN", -3, "IDX"), ("LCS", "a", "b", "LEN", "IDX"),
        ("LCS", "a", "b", "IDX", "LEN"), ("LCS", "a", "b", "MINMATCHLEN"),
        ("LCS", "a", "b", "MINMATCHLEN", "x"), ("LCS", "a", "b", "FOO"), ("LCS", "a", "missing"),
        ("LCS", "missing", "b", "IDX"), ("LCS", "x", "y", "LEN"), ("LCS", "a", "a", "IDX"),
        ("LCS", "a"),
        ("MSET", "c", "abcabcabc", "d", "cbacbacba"), ("LCS", "c", "d", "IDX", "WITHMATCHLEN"),
        ("LCS", "d", "c"), ("SET", "n", 12345), ("SET", "m", 2345), ("LCS", "n", "m", "IDX"),
    ],
    "setbit-getbit": [
        ("SETBIT", "b", 7, 1), ("GET", "b"), ("GETBIT", "b", 7), ("GETBIT", "b", 6),
        ("GETBIT", "b", 100), ("GETBIT", "missing", 0), ("SETBIT", "b", 7, 0), ("SETBIT", "b", 7, 0),
        ("SETBIT", "b", 100, 1), ("STRLEN", "b"), ("OBJECT", "ENCODING", "b"),
        ("SETBIT", "b", 0, 2), ("SETBIT", "b", 0, -1), ("SETBIT", "b", 0, "x"),
        ("SETBIT", "b", -1, 1), ("SETBIT", "b", "x", 1), ("SETBIT", "b", 4294967296, 1),
        ("SETBIT", "b", 4294967295, 0), ("STRLEN", "b"), ("GETBIT", "b", 4294967296),
        ("GETBIT", "b", -1), ("GETBIT", "b", "#1"), ("SET", "s", "abc"), ("SETBIT", "s", 1, 1),
        ("OBJECT", "ENCODING", "s"), ("GET", "s"), ("SET", "n", 5), ("GETBIT", "n", 2),
        ("GETBIT", "n", 5), ("SET", "t", "v", "EX", 100), ("SETBIT", "t", 0, 1), ("TTL", "t"), ("SETBIT", "b", 0),
    ],
    "bitcount": [
        ("SET", "s", "foobar"), ("BITCOUNT", "s"), ("BITCOUNT", "s", 0, 0), ("BITCOUNT", "s", 1, 1),
        ("BITCOUNT", "s", 1, 1, "BYTE"), ("BITCOUNT", "s", 5, 30, "BIT"), ("BITCOUNT", "s", -1, -1),
        ("BITCOUNT", "s", -3, -5), ("BITCOUNT", "s", -100, 100), ("BITCOUNT", "s", -100, -50),
        ("BITCOUNT", "s", 2, 1), ("BITCOUNT", "s", 0, -1, "bit"), ("BITCOUNT", "s", 3, -3, "BIT"),
        ("BITCOUNT", "s", 0), ("BITCOUNT", "s", 0, 1, "WORD"), ("BITCOUNT", "s", 0, 1, "BIT", 1),
        ("BITCOUNT", "s", "x", 1), ("BITCOUNT", "s", 0, "y"), ("BITCOUNT", "missing", 0),
        ("BITCOUNT", "missing", "x", "y", "z"), ("SET", "e", ""), ("BITCOUNT", "e"),
        ("BITCOUNT", "e", 0, -1), ("BITCOUNT", "e", 0, -1, "BIT"), ("SET", "n", 255),
        ("BITCOUNT", "n"), ("BITCOUNT",),
    ],
    "bitpos": [
        ("SET", "s", b"\xff\xf0\x00"), ("BITPOS", "s", 0), ("BITPOS", "s", 1), ("BITPOS", "s", 1, 2),
        ("BITPOS", "s", 0, 0, 0), ("BITPOS", "s", 0, 0, 1), ("BITPOS", "s", 1, 2, -1),
        ("BITPOS", "s", 0, 5, 15, "BIT"), ("BITPOS", "s", 1, 7, 15, "bit"), ("BITPOS", "s", 0, 3, "BIT"),
        ("BITPOS", "s", 0, -1, -1, "BYTE"), ("BITPOS", "s", 1, -10, -20), ("BITPOS", "s", 0, 2, 1),
        ("BITPOS", "s", 2), ("BITPOS", "s", -1), ("BITPOS", "s", "x"), ("BITPOS", "s", 1, "x"),
        ("BITPOS", "s", 1, 0, "x"), ("BITPOS", "s", 1, 0, "x", "FOO"), ("BITPOS", "s", 1, 0, 1, "FOO"),
        ("BITPOS", "s", 1, 0, 1, "BIT", 5), ("BITPOS", "missing", 0), ("BITPOS", "missing", 1),
        ("BITPOS", "missing", 1, "junk"), ("BITPOS", "missing", 3), ("SET", "ones", b"\xff\xff"),
        ("BITPOS", "ones", 0), ("BITPOS", "ones", 0, 0), ("BITPOS", "ones", 0, 0, -1),
        ("BITPOS", "ones", 0, 3, "BIT"), ("BITPOS", "ones", 0, 3, 9, "BIT"), ("SET", "e", ""),
        ("BITPOS", "e", 0), ("BITPOS", "e", 1), ("BITPOS", "e", 0, 0), ("SET", "zero", b"\x00\x00"),
        ("BITPOS", "zero", 1), ("BITPOS", "zero", 1, 1, 1), ("BITPOS", "zero", 0, 9, 9, "BIT"),
        ("BITPOS", "s"),
    ],
    "bitop": [
        ("SET", "a", "abc"), ("SET", "b", "a"), ("BITOP", "AND", "d", "a", "b"), ("GET", "d"),
        ("BITOP", "OR", "d", "a", "b"), ("GET", "d"), ("BITOP", "XOR", "d", "a", "b"), ("GET", "d"),
        ("BITOP", "NOT", "d", "a"), ("GET", "d"), ("OBJECT", "ENCODING", "d"),
        ("BITOP", "and", "d", "a", "missing"), ("GET", "d"), ("BITOP", "NOT", "d", "a", "b"),
        ("BITOP", "NAND", "d", "a"), ("BITOP", "AND", "d", "missing", "missing2"), ("EXISTS", "d"),
        ("BITOP", "OR", "d", "missing"), ("SET", "e", ""), ("BITOP", "NOT", "d", "e"),
        ("EXISTS", "d"), ("SET", "t", "v", "EX", 100),
        ("BITOP", "OR", "t", "a"), ("TTL", "t"), ("BITOP", "XOR", "x", "a", "a", "a"), ("GET", "x"),
        ("BITOP", "AND", "d"), ("SET", "n", 7), ("BITOP", "NOT", "d", "n"), ("GET", "d"),
    ],
    "bitfield": [
        ("BITFIELD", "b", "SET", "u8", 0, 200), ("BITFIELD", "b", "GET", "u8", 0),
        ("BITFIELD", "b", "INCRBY", "u8", 0, 100), ("BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "u8", 0, 300),
        ("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", 0, 1), ("BITFIELD", "b", "GET", "u8", 0),
        ("BITFIELD", "b", "SET", "i8", 0, -5, "GET", "i8", 0, "GET", "u8", 0),
        ("BITFIELD", "b", "INCRBY", "i5", 100, 1, "GET", "u4", 0), ("BITFIELD", "b", "GET", "i64", 0),
        ("BITFIELD", "b", "SET", "i64", 0, "-9223372036854775808", "GET", "i64", 0),
        ("BITFIELD", "b", "INCRBY", "i64", 0, -1), ("BITFIELD", "b", "OVERFLOW", "SAT", "INCRBY", "i64", 0, -1),
        ("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "i64", 0, 5, "INCRBY", "i64", 0, -5),
        ("BITFIELD", "b", "SET", "u63", 1, "9223372036854775807", "GET", "u63", 1),
        ("BITFIELD", "b", "OVERFLOW", "SAT", "SET", "i8", 0, "-9223372036854775808", "GET", "i8", 0),
        ("BITFIELD", "b", "OVERFLOW", "SAT", "SET", "i8", 0, 1000, "SET", "u8", 0, -1),
        ("BITFIELD", "b", "OVERFLOW", "WRAP", "SET", "u8", 0, -1, "SET", "i8", 0, 200),
        ("BITFIELD", "b", "SET", "u8", "#2", 7, "GET", "u8", 16, "GET", "u4", "#5"),
        ("BITFIELD", "b", "GET", "u8", "#-1"), ("BITFIELD", "b", "GET", "u64", 0),
        ("BITFIELD", "b", "GET", "i65", 0), ("BITFIELD", "b", "GET", "i0", 0),
        ("BITFIELD", "b", "GET", "I8", 0), ("BITFIELD", "b", "GET", "u", 0),
        ("BITFIELD", "b", "GET", "u8"), ("BITFIELD", "b", "SET", "u8", 0),
        ("BITFIELD", "b", "SET", "u8", 0, "x"), ("BITFIELD", "b", "OVERFLOW"),
        ("BITFIELD", "b", "OVERFLOW", "BAD", "GET", "u8", 0), ("BITFIELD", "b", "FOO", "u8", 0),
        ("BITFIELD", "b", "get", "u8", 0, "overflow", "fail", "incrby", "u2", 0, 9),
        ("BITFIELD", "b"), ("BITFIELD", "missing", "GET", "u8", 0), ("EXISTS", "missing"),
        ("BITFIELD", "fresh", "OVERFLOW", "FAIL", "INCRBY", "u2", 0, 10), ("GET", "fresh"),
        ("BITFIELD", "b", "SET", "u8", 4294967288, 1), ("BITFIELD", "b", "GET", "u8", 4294967296),
        ("BITFIELD_RO", "b", "GET", "u8", 0, "GET", "i4", 3), ("BITFIELD_RO", "b", "SET", "u8", 0, 1),
        ("BITFIELD_RO", "b", "INCRBY", "u8", 0, 1), ("BITFIELD_RO", "b", "OVERFLOW", "SAT"),
        ("BITFIELD_RO", "b"), ("BITFIELD_RO", "missing", "GET", "u8", 0), ("SET", "t", "v", "EX", 100),
        ("BITFIELD", "t", "SET", "u8", 0, 1), ("TTL", "t"), ("BITFIELD",), ("BITFIELD_RO",),
    ],
    "wrongtype": [
        ("LPUSH", "l", "x"), ("GET", "l"), ("MGET", "a", "l"), ("SET", "l", "v", "GET"),
        ("SET", "l", "v", "NX", "GET"), ("SET", "l", "v", "EX", 0, "GET"), ("GETSET", "l", "x"),
        ("GETDEL", "l"), ("GETEX", "l"), ("GETEX", "l", "EX", "bad"), ("SETNX", "l", "x"),
        ("APPEND", "l", "x"), ("STRLEN", "l"), ("INCR", "l"), ("DECRBY", "l", 1),
        ("DECRBY", "l", "x"), ("INCRBYFLOAT", "l", 1), ("INCRBYFLOAT", "l", "x"),
        ("GETRANGE", "l", 0, 1), ("GETRANGE", "l", "x", 1), ("SETRANGE", "l", 0, "x"),
        ("SETRANGE", "l", 0, ""), ("SETRANGE", "l", -1, "x"), ("SET", "a", "abc"),
        ("LCS", "a", "l"), ("LCS", "l", "missing", "FOO"), ("SETBIT", "l", 0, 1),
        ("SETBIT", "l", 0, 5), ("GETBIT", "l", 0), ("BITCOUNT", "l"), ("BITCOUNT", "l", "x"),
        ("BITPOS", "l", 1), ("BITPOS", "l", 2), ("BITOP", "AND", "d", "a", "l"),
        ("BITOP", "AND", "l", "a"), ("TYPE", "l"), ("LPUSH", "l", "x"),
        ("BITFIELD", "l", "GET", "u8", 0), ("BITFIELD", "l", "SET", "u8", 0, 1),
        ("BITFIELD", "l", "GET", "u8", "x"), ("BITFIELD_RO", "l", "GET", "u8", 0),
        ("SET", "l", "now-a-string"), ("GET", "l"), ("TYPE", "l"),
        ("LPUSH", "m", "x"), ("MSET", "m", "s", "a", 3), ("MGET", "m", "a"),
        ("LPUSH", "n", "x"), ("SETEX", "n", 100, "x"), ("TYPE", "n"),
    ],
    "arity": [
        ("SETNX", "k"), ("SETEX", "k", 1), ("PSETEX", "k"), ("MGET",), ("MSET", "k"),
        ("MSETNX", "k"), ("GETDEL", "a", "b"), ("STRLEN", "a", "b"), ("INCR",), ("DECR", "a", "b"),
        ("INCRBY", "a"), ("DECRBY", "a", 1, 2), ("INCRBYFLOAT", "a"), ("GETRANGE", "a", 1),
        ("SETRANGE", "a", 1), ("SUBSTR", "a"), ("LCS", "a"), ("SETBIT", "a", 1),
        ("GETBIT", "a"), ("BITPOS", "a"), ("BITOP", "AND", "d"), ("APPEND", "a"),
    ],
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_replies_match_redis(pair: tuple[int, int], name: str, protocol: int) -> None:
    assert_same_replies(pair, SCENARIOS[name], protocol)


def counters(port: int, commands: list[Command]) -> tuple[int, int, int]:
    """(keyspace hits, misses, changes) that `commands` caused: which lookups count as
    reads, and which writes count as changes (and so reach the AOF)."""
    def snapshot() -> dict[str, int]:
        lines = reply_to(port, "INFO", "all").decode().split("\r\n")
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        return {name: int(fields[name]) for name in (
            "keyspace_hits", "keyspace_misses", "rdb_changes_since_last_save")}

    exchange(port, [("CONFIG", "RESETSTAT")], protocol=2)
    before = snapshot()
    exchange(port, commands, protocol=2)
    after = snapshot()
    return (after["keyspace_hits"], after["keyspace_misses"],
            after["rdb_changes_since_last_save"] - before["rdb_changes_since_last_save"])


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_hits_misses_and_changes_match_redis(pair: tuple[int, int], name: str) -> None:
    assert counters(pair[0], SCENARIOS[name]) == counters(pair[1], SCENARIOS[name])


def command_info(port: int, name: str) -> list[object]:
    return reply_to(port, "COMMAND", "INFO", name)[0]  # type: ignore[no-any-return]


def key_specs_without_notes(entry: list[object]) -> list[object]:
    """Key specs as compared: the free-text "notes" field is documentation only."""
    specs = []
    for spec in entry[8]:  # type: ignore[attr-defined]
        fields = dict(zip(spec[::2], spec[1::2]))
        fields.pop(b"notes", None)
        specs.append(fields)
    return specs


@pytest.mark.parametrize("name", [
    "get", "set", "setnx", "setex", "psetex", "mget", "mset", "msetnx", "getset", "getdel",
    "getex", "append", "strlen", "incr", "decr", "incrby", "decrby", "incrbyfloat",
    "getrange", "setrange", "substr", "lcs", "setbit", "getbit", "bitcount", "bitpos",
    "bitop", "bitfield", "bitfield_ro",
])
def test_command_info_matches_redis(pair: tuple[int, int], name: str) -> None:
    ours, theirs = command_info(pair[0], name), command_info(pair[1], name)
    # name, arity, flags, first key, last key, step, ACL categories
    assert ours[:7] == theirs[:7]
    if name != "bitop":  # Redis gives BITOP two key specs; ours is one (destination + sources)
        assert key_specs_without_notes(ours) == key_specs_without_notes(theirs)


# ------------------------------------------------------------------ seeded random sequences


def _float_text(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return str(rng.randint(-10**6, 10**6))
    if kind == 1:
        return f"{rng.uniform(-1000, 1000):.{rng.randint(1, 20)}f}"
    if kind == 2:
        mantissa = f"{rng.uniform(-10, 10):.{rng.randint(1, 17)}f}"
        return f"{mantissa}{rng.choice('eE')}{rng.choice(['', '+', '-'])}{rng.randint(0, 30)}"
    if kind == 3:
        return rng.choice(["0.1", "0.2", "0.3", "1.1", "2.675", "1e-17", "3.0", "-0.5", "1e16"])
    if kind == 4:
        return f"0x{rng.randrange(1, 1 << 20):x}p{rng.randint(-30, 30)}"
    return f"{rng.randint(1, 999)}.{rng.randint(0, 999):03d}e-{rng.randint(0, 25)}"


def test_random_incrbyfloat_sequences_match_redis(pair: tuple[int, int]) -> None:
    rng = random.Random(7015)
    commands: list[Command] = []
    for key in range(40):
        commands.append(("SET", f"f{key}", _float_text(rng)))
        for _ in range(12):
            commands.append(("INCRBYFLOAT", f"f{key}", _float_text(rng)))
    assert_same_replies(pair, commands, protocol=2)


def test_random_bit_ranges_match_redis(pair: tuple[int, int]) -> None:
    rng = random.Random(1234)
    commands: list[Command] = []
    for key in range(30):
        size = rng.randint(0, 12)
        value = bytes(rng.choice([0, 0xFF, rng.randrange(256)]) for _ in range(size))
        commands.append(("SET", f"b{key}", value))
        for _ in range(25):
            start, end = rng.randint(-120, 120), rng.randint(-120, 120)
            unit = rng.choice([[], ["BYTE"], ["BIT"]])
            commands.append(("BITCOUNT", f"b{key}", start, end, *unit))
            bit = rng.randint(0, 1)
            form = rng.randrange(3)
            if form == 0:
                commands.append(("BITPOS", f"b{key}", bit, start))
            else:
                commands.append(("BITPOS", f"b{key}", bit, start, end, *unit))
            commands.append(("GETRANGE", f"b{key}", start, end))
    assert_same_replies(pair, commands, protocol=2)


def test_random_bitfield_operations_match_redis(pair: tuple[int, int]) -> None:
    rng = random.Random(99)
    commands: list[Command] = []
    for _ in range(300):
        ops: list[object] = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.3:
                ops += ["OVERFLOW", rng.choice(["WRAP", "SAT", "FAIL"])]
            signed = rng.random() < 0.5
            bits = rng.randint(1, 64 if signed else 63)
            kind = f"{'i' if signed else 'u'}{bits}"
            offset = rng.choice([rng.randint(0, 80), f"#{rng.randint(0, 3)}"])
            value = rng.choice([rng.randint(-300, 300), rng.randint(-2**63, 2**63 - 1),
                                2**(bits - 1), -(2**(bits - 1)) - 1])
            ops += rng.choice([["GET", kind, offset], ["SET", kind, offset, value],
                               ["INCRBY", kind, offset, value]])
        commands.append(("BITFIELD", "bf", *ops))
    commands.append(("GET", "bf"))
    assert_same_replies(pair, commands, protocol=2)


def test_random_lcs_match_redis(pair: tuple[int, int]) -> None:
    rng = random.Random(2022)
    commands: list[Command] = []
    for case in range(60):
        alphabet = "ab" if case % 3 == 0 else "abcdefg"
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        b = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        commands += [("MSET", "x", a, "y", b), ("LCS", "x", "y"), ("LCS", "x", "y", "LEN"),
                     ("LCS", "x", "y", "IDX", "MINMATCHLEN", rng.randint(0, 3), "WITHMATCHLEN")]
    long_a = "".join(rng.choice("ACGT") for _ in range(3000))
    long_b = "".join(rng.choice("ACGT") for _ in range(2000))
    commands += [("MSET", "x", long_a, "y", long_b), ("LCS", "x", "y"),
                 ("LCS", "x", "y", "IDX", "MINMATCHLEN", 5, "WITHMATCHLEN"),
                 ("MSET", "x", "q", "y", "a" * 100_000 + "q" + "a" * 100_000),
                 ("LCS", "x", "y", "IDX", "WITHMATCHLEN")]
    assert_same_replies(pair, commands, protocol=3)


def test_random_setrange_append_match_redis(pair: tuple[int, int]) -> None:
    rng = random.Random(5)
    commands: list[Command] = []
    for _ in range(200):
        key = f"s{rng.randrange(4)}"
        choice = rng.randrange(4)
        if choice == 0:
            commands.append(("SETRANGE", key, rng.randint(0, 30), "x" * rng.randint(0, 5)))
        elif choice == 1:
            commands.append(("APPEND", key, "y" * rng.randint(0, 5)))
        elif choice == 2:
            commands.append(("SETBIT", key, rng.randint(0, 250), rng.randint(0, 1)))
        else:
            commands.append(("GET", key))
    assert_same_replies(pair, commands, protocol=2)
