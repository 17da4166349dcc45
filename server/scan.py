"""Scan cursors over collections that have no stable positions (SCAN now; HSCAN, SSCAN and
ZSCAN later).

Redis's guarantee: a full iteration (cursor 0 back to 0) returns every element present
from its start to its end; elements added or removed meanwhile may or may not appear,
and an element may be returned more than once. Redis gets this from reverse-binary
bucket cursors. A Python dict has no position that survives changes, so the first call
of an iteration snapshots the collection's elements into a session, and each cursor
names a (session, position) pair. Later calls walk the snapshot from that position and
skip elements no longer present; elements added since are not visited (allowed).

Cursor format: one decimal unsigned 64-bit integer, `session_id << 32 | position`, with
session ids in 1 .. 2**31-1 so that every cursor also fits a signed 64-bit integer; 0
starts and ends an iteration. Sessions are bounded: at most `max_sessions` (least
recently used evicted), at most `max_items` snapshot entries in total (the newest
session is always kept), and a session idle for `idle_ms` is dropped. A cursor naming
no live session (evicted, idle, issued before a restart, or made up) starts over from a
fresh snapshot: the client then sees duplicates but never misses an element present
throughout, so the guarantee holds. The cost of the bounds: more than `max_sessions`
iterations advancing in lockstep evict one another and keep restarting, and a session
pins its snapshot's elements (and its owner) until it ends, is evicted or goes idle.

This module knows no commands and no keyspace: the caller supplies the owner (the object
iterated: a Database, a hash ...), how to snapshot it and how to test presence. A
collection small enough to finish in one call never gets a session (HSCAN and friends
may also answer small encodings whole, as Redis does).
"""

from __future__ import annotations

import collections
from typing import Any, Callable, Generic, Hashable, NamedTuple, TypeVar

from protocol.resp import parse_strict_int
from server.errors import INVALID_CURSOR, NOT_INTEGER, SYNTAX, CommandError
from server.glob import Matcher, compile_glob

T = TypeVar("T", bound=Hashable)

_POSITION_BITS = 32
_POSITION_MASK = (1 << _POSITION_BITS) - 1
_MAX_SESSION_ID = (1 << 31) - 1
_ULONG_MAX = (1 << 64) - 1

# Redis's dictScan loop visits at most COUNT*10 buckets per call, so a call over a
# mostly deleted region still returns promptly.
_MAX_EMPTY_VISITS_PER_COUNT = 10


def parse_cursor(arg: bytes) -> int:
    """A cursor as Redis reads it (strtoul): optional sign, decimal digits, no leading
    space; '-n' wraps modulo 2**64 and the empty string is 0; anything else, or a value
    past 2**64-1, is 'ERR invalid cursor'."""
    text = arg
    negative = False
    if text[:1] in (b"+", b"-"):
        negative = text[:1] == b"-"
        text = text[1:]
        if not text:
            raise CommandError(INVALID_CURSOR)
    if text and not text.isdigit():
        raise CommandError(INVALID_CURSOR)
    value = int(text) if text else 0
    if value > _ULONG_MAX:
        raise CommandError(INVALID_CURSOR)
    return (-value) & _ULONG_MAX if negative else value


class ScanOptions(NamedTuple):
    count: int
    matches: Matcher | None  # None: no MATCH, or MATCH * (which Redis does not apply)
    type_name: bytes | None  # lowercase; compared case-insensitively, as Redis does


def parse_scan_options(argv: list[bytes], start: int, allow_type: bool) -> ScanOptions:
    """[MATCH pattern] [COUNT count] [TYPE type] in any order, the last one winning;
    TYPE only for SCAN. COUNT must be a positive 64-bit integer."""
    count = 10
    matches: Matcher | None = None
    wanted_type: bytes | None = None
    index = start
    while index < len(argv):
        word = argv[index].lower()
        if index + 1 >= len(argv):
            raise CommandError(SYNTAX)
        value = argv[index + 1]
        if word == b"count":
            parsed = parse_strict_int(value)
            if parsed is None:
                raise CommandError(NOT_INTEGER)
            if parsed < 1:
                raise CommandError(SYNTAX)
            count = parsed
        elif word == b"match":
            matches = None if value == b"*" else compile_glob(value)
        elif word == b"type" and allow_type:
            wanted_type = value.lower()
        else:
            raise CommandError(SYNTAX)
        index += 2
    return ScanOptions(count, matches, wanted_type)


class _Session:
    __slots__ = ("owner", "items", "last_used_ms")

    def __init__(self, owner: Any, items: list[Any], now_ms: int) -> None:
        self.owner = owner
        self.items = items
        self.last_used_ms = now_ms


class ScanSessions(Generic[T]):
    """The server's table of live scan iterations (see the module docstring)."""

    def __init__(self, max_sessions: int = 64, max_items: int = 8_000_000,
                 idle_ms: int = 600_000) -> None:
        self.max_sessions = max_sessions
        self.max_items = max_items
        self.idle_ms = idle_ms
        self._sessions: collections.OrderedDict[int, _Session] = collections.OrderedDict()
        self._items = 0
        self._last_id = 0

    def __len__(self) -> int:
        return len(self._sessions)

    @property
    def snapshot_items(self) -> int:
        return self._items

    def walk(self, owner: Any, cursor: int, count: int, snapshot: Callable[[], list[T]],
             is_present: Callable[[T], bool], now_ms: int) -> tuple[int, list[T]]:
        """One SCAN step: up to `count` elements still present, and the next cursor.

        As Redis does, COUNT bounds the work, not the reply: the caller filters the
        elements (MATCH, TYPE, expiry) after this step, so a reply may be shorter.
        """
        self._drop_idle(now_ms)
        session_id = cursor >> _POSITION_BITS
        position = cursor & _POSITION_MASK
        session = self._sessions.get(session_id) if cursor else None
        if session is None or session.owner is not owner or position > len(session.items):
            session_id, position = 0, 0
            items = snapshot()
        else:
            items = session.items
            session.last_used_ms = now_ms
            self._sessions.move_to_end(session_id)

        found: list[T] = []
        visits_left = count * _MAX_EMPTY_VISITS_PER_COUNT
        end = len(items)
        while position < end and len(found) < count and visits_left > 0:
            item = items[position]
            position += 1
            visits_left -= 1
            if is_present(item):
                found.append(item)

        if position >= end:
            if session_id:
                self._remove(session_id)
            return 0, found
        if not session_id:
            session_id = self._add(owner, items, now_ms)
        return session_id << _POSITION_BITS | position, found

    def clear(self) -> None:
        self._sessions.clear()
        self._items = 0

    # ------------------------------------------------------------------ bookkeeping

    def _add(self, owner: Any, items: list[Any], now_ms: int) -> int:
        while self._sessions and (
            len(self._sessions) >= self.max_sessions
            or self._items + len(items) > self.max_items
        ):
            oldest = next(iter(self._sessions))
            self._remove(oldest)
        session_id = self._next_id()
        self._sessions[session_id] = _Session(owner, items, now_ms)
        self._items += len(items)
        return session_id

    def _next_id(self) -> int:
        while True:
            self._last_id = self._last_id % _MAX_SESSION_ID + 1
            if self._last_id not in self._sessions:
                return self._last_id

    def _remove(self, session_id: int) -> None:
        session = self._sessions.pop(session_id)
        self._items -= len(session.items)

    def _drop_idle(self, now_ms: int) -> None:
        limit = now_ms - self.idle_ms
        while self._sessions:
            oldest_id, oldest = next(iter(self._sessions.items()))
            if oldest.last_used_ms >= limit:
                return
            self._remove(oldest_id)
