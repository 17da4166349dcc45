"""Transactions, blocking and pub/sub in process (no sockets, no event loop): what the
write stream sees, which keys WATCH and the blocking registry hear about, queue-time
refusals, the command filter flag, timeout parsing and serving order."""

from __future__ import annotations

from typing import Any

import pytest

from protocol.replies import NULL_ARRAY, OK, QUEUED, ErrorReply
from server.blocking import BLOCKED
from server.commands import ALL_GROUPS
from server.commands.blocking import parse_timeout_ms
from server.config import Config
from server.context import ClientState, CommandContext
from server.errors import CommandError
from server.executor import Executor
from server.registry import Registry
from server.state import ServerState
from server.writes import WriteRecord, WriteStream, collector


class Harness:
    def __init__(self) -> None:
        self.server = ServerState(Config(), Registry(ALL_GROUPS))
        self.executor = Executor(self.server)
        self.records: list[WriteRecord] = []
        self.server.keyspace.writes.subscribe(collector(self.records))
        self.late: dict[int, list[Any]] = {}

    def client(self) -> CommandContext:
        client = ClientState()
        self.server.clients[client.id] = client
        replies = self.late.setdefault(client.id, [])
        client.deliver_late_reply = replies.append
        return CommandContext(self.server, client)

    def run(self, ctx: CommandContext, *args: object) -> Any:
        argv = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        return self.executor.execute(ctx, argv)

    def logged(self) -> list[tuple[int, list[bytes]]]:
        found = [(record.db_index, record.argv) for record in self.records]
        self.records.clear()
        return found


@pytest.fixture
def harness() -> Harness:
    return Harness()


def test_write_stream_unit_wraps_several_records_only() -> None:
    stream = WriteStream()
    seen: list[WriteRecord] = []
    stream.subscribe(collector(seen))
    stream.begin_unit()
    stream.emit(0, [b"SET", b"a", b"1"])
    assert seen == []
    stream.end_unit()
    assert [r.argv for r in seen] == [[b"SET", b"a", b"1"]]
    seen.clear()
    stream.begin_unit()
    stream.emit(3, [b"SET", b"a", b"1"])
    stream.emit(4, [b"SET", b"b", b"1"])
    stream.end_unit()
    assert [(r.db_index, r.argv[0]) for r in seen] == [
        (3, b"MULTI"), (3, b"SET"), (4, b"SET"), (4, b"EXEC")]
    seen.clear()
    stream.begin_unit()
    stream.end_unit()
    assert seen == []


def test_exec_logs_multi_exec_and_replies_in_order(harness: Harness) -> None:
    ctx = harness.client()
    assert harness.run(ctx, "MULTI") is not None
    assert harness.run(ctx, "SET", "a", "1") is QUEUED
    assert harness.run(ctx, "INCR", "a") is QUEUED
    assert harness.run(ctx, "GET", "a") is QUEUED
    assert ctx.client.needs_command_filter
    assert harness.run(ctx, "EXEC") == [OK, 2, b"2"]
    assert not ctx.client.needs_command_filter
    assert [argv[0] for _, argv in harness.logged()] == [b"MULTI", b"SET", b"INCR", b"EXEC"]


def test_queue_time_refusal_aborts_exec(harness: Harness) -> None:
    ctx = harness.client()
    harness.run(ctx, "MULTI")
    assert isinstance(harness.run(ctx, "GET"), ErrorReply)
    assert harness.run(ctx, "SET", "a", "1") is QUEUED
    reply = harness.run(ctx, "EXEC")
    assert isinstance(reply, ErrorReply) and reply.message.startswith("EXECABORT")
    assert harness.logged() == []
    assert not ctx.client.in_multi


def test_watch_is_touched_by_other_clients_writes_only(harness: Harness) -> None:
    watcher, writer = harness.client(), harness.client()
    harness.run(watcher, "WATCH", "w")
    harness.run(writer, "GET", "w")
    assert not watcher.client.watch_touched
    harness.run(writer, "SUNIONSTORE", "dest", "w")  # w is only read
    assert not watcher.client.watch_touched
    harness.run(writer, "SET", "w", "1")
    assert watcher.client.watch_touched
    harness.run(watcher, "MULTI")
    harness.run(watcher, "SET", "x", "1")
    assert harness.run(watcher, "EXEC") is NULL_ARRAY
    assert harness.server.key_signals.watchers == {}
    assert not harness.server.key_signals._is_subscribed


def test_watch_is_touched_by_move_into_another_db(harness: Harness) -> None:
    watcher, writer = harness.client(), harness.client()
    watcher.select(2)
    harness.run(watcher, "WATCH", "k")
    harness.run(writer, "SET", "k", "v")
    assert not watcher.client.watch_touched
    harness.run(writer, "MOVE", "k", "2")
    assert watcher.client.watch_touched


def test_flushdb_touches_only_existing_watched_keys(harness: Harness) -> None:
    watcher, writer = harness.client(), harness.client()
    harness.run(watcher, "WATCH", "absent")
    harness.run(writer, "SET", "present", "1")
    harness.run(writer, "FLUSHDB")
    assert not watcher.client.watch_touched
    harness.run(watcher, "WATCH", "present")
    harness.run(writer, "SET", "present", "1")
    watcher.client.watch_touched = False
    harness.run(writer, "FLUSHALL")
    assert watcher.client.watch_touched


def test_blocked_clients_are_served_in_order_after_the_push(harness: Harness) -> None:
    first, second, pusher = harness.client(), harness.client(), harness.client()
    assert harness.run(first, "BLPOP", "l", "0") is BLOCKED
    assert harness.run(second, "BLMOVE", "l", "m", "RIGHT", "LEFT", "0") is BLOCKED
    assert harness.server.blocking.blocked_count == 2
    harness.logged()
    assert harness.run(pusher, "RPUSH", "l", "a", "b", "c") == 3
    assert harness.late[first.client.id] == [[b"l", b"a"]]
    assert harness.late[second.client.id] == [b"c"]
    assert harness.logged() == [
        (0, [b"RPUSH", b"l", b"a", b"b", b"c"]), (0, [b"LPOP", b"l"]),
        (0, [b"LMOVE", b"l", b"m", b"right", b"left"])]
    assert harness.server.blocking.blocked_count == 0
    assert first.client.blocked is None and harness.server.key_signals.waiters == {}


def test_blocking_inside_exec_answers_at_once(harness: Harness) -> None:
    ctx = harness.client()
    harness.run(ctx, "MULTI")
    harness.run(ctx, "BLPOP", "l", "0")
    harness.run(ctx, "BLMOVE", "l", "x", "LEFT", "LEFT", "0")
    assert harness.run(ctx, "EXEC") == [NULL_ARRAY, None]
    assert ctx.client.blocked is None


def test_resp2_subscribe_mode_refuses_other_commands(harness: Harness) -> None:
    ctx = harness.client()
    harness.run(ctx, "SUBSCRIBE", "c")
    assert ctx.client.needs_command_filter
    reply = harness.run(ctx, "GET", "k")
    assert isinstance(reply, ErrorReply) and "only (P|S)SUBSCRIBE" in reply.message
    harness.run(ctx, "UNSUBSCRIBE")
    assert not ctx.client.needs_command_filter
    ctx.client.protocol = 3
    harness.run(ctx, "SUBSCRIBE", "c")
    assert not ctx.client.needs_command_filter


@pytest.mark.parametrize("text, expected", [
    (b"0", 0), (b"1.5", 1500), (b"0.0001", 1), (b"-0.0001", 0), (b"0x10", 16000),
    (b"1e-400", 1), (b"9e15", 9 * 10**18), (b"0.001", 1), (b"0.0015", 2), (b"-0.0009", 0),
])
def test_timeout_parsing(text: bytes, expected: int) -> None:
    assert parse_timeout_ms(text) == expected


@pytest.mark.parametrize("text, message", [
    (b"-1", "negative"), (b"inf", "negative"), (b"1e400", "negative"), (b"9.3e15", "negative"),
    (b"1e5000", "not a float"), (b"nan", "not a float"), (b" 1", "not a float"), (b"", "not a float"),
])
def test_timeout_parsing_errors(text: bytes, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parse_timeout_ms(text)


def test_sort_store_touches_its_destination(harness: Harness) -> None:
    watcher, writer = harness.client(), harness.client()
    harness.run(watcher, "WATCH", "dst")
    harness.run(writer, "RPUSH", "src", "2", "1")
    harness.run(writer, "SORT", "src")
    assert not watcher.client.watch_touched
    harness.run(writer, "SORT", "src", "STORE", "dst")
    assert watcher.client.watch_touched
