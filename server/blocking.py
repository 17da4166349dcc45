"""Clients blocked on keys (BLPOP, BLMOVE, BZPOPMIN ...) and how they are served.

A blocking command that finds nothing to pop registers a BlockedClient and answers the
BLOCKED sentinel: the connection stops processing that client's requests (later
pipelined ones wait in its query buffer) until the client is served, times out or is
unblocked by CLIENT UNBLOCK. Waiters are queued per key, first come first served.

Readiness follows Redis's handleClientsBlockedOnKeys: a write touching a key with
waiters puts the key in KeySignals.ready (server/key_signals.py); after the command (or
the whole EXEC) that made it ready, `serve_ready` pops for the waiters in order while
the key holds a value of the type they wait for. A waiter whose type does not match is
skipped and stays blocked (Redis 7.0 neither serves nor errors it). Serving may make
other keys ready (BLMOVE pushes); the loop runs until nothing is ready. Each served
pop is logged on its own as its non-blocking form (LPOP, LMOVE ... as Redis 7.0 does),
and its reply goes out through the client's connection, which then resumes the
client's pipelined requests on the next loop iteration.

Timeouts use one event-loop timer per blocked client, so a client that is not blocked
costs nothing; a timer is cancelled when its client is served.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from protocol.replies import ErrorReply
from server.context import CommandContext
from server.errors import CommandError

if TYPE_CHECKING:
    from server.context import ClientState
    from server.key_signals import KeySignals
    from server.state import ServerState


class _Blocked:
    """The reply of a command that blocked its client: nothing is sent yet."""

    def __repr__(self) -> str:
        return "BLOCKED"


BLOCKED = _Blocked()

UNBLOCKED_ERROR = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

# serve(ctx, key) -> reply, or None when the key cannot serve this client after all.
Serve = Callable[[CommandContext, bytes], Any]


class BlockedClient:
    __slots__ = ("client", "db_index", "keys", "kind", "serve", "timeout_reply", "timer")

    def __init__(self, client: "ClientState", db_index: int, keys: list[bytes], kind: type,
                 serve: Serve, timeout_reply: Any) -> None:
        self.client = client
        self.db_index = db_index
        self.keys = keys
        self.kind = kind
        self.serve = serve
        self.timeout_reply = timeout_reply
        self.timer: asyncio.TimerHandle | None = None


class BlockingRegistry:
    def __init__(self, server: "ServerState", signals: "KeySignals") -> None:
        self.server = server
        self.signals = signals
        self.blocked_count = 0
        self._is_serving = False
        server.add_info_provider("clients", self._info_fields)

    def _info_fields(self) -> list[tuple[str, Any]]:
        with_timeout = sum(1 for client in self.server.clients.values()
                           if client.blocked is not None and client.blocked.timer is not None)
        return [("blocked_clients", self.blocked_count),
                ("clients_in_timeout_table", with_timeout)]

    def block(self, ctx: CommandContext, keys: list[bytes], timeout_ms: int, kind: type,
              serve: Serve, timeout_reply: Any) -> Any:
        """Block ctx's client on keys; returns BLOCKED for the handler to answer."""
        client = ctx.client
        unique = list(dict.fromkeys(keys))
        blocked = BlockedClient(client, ctx.db.index, unique, kind, serve, timeout_reply)
        waiters = self.signals.waiters
        for key in unique:
            waiters.setdefault((blocked.db_index, key), deque()).append(blocked)
        client.blocked = blocked
        self.blocked_count += 1
        self.signals.update_subscription()
        if timeout_ms:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None  # unit tests drive the registry without a loop
            if loop is not None:
                blocked.timer = loop.call_later(timeout_ms / 1000, self.time_out, blocked)
        return BLOCKED

    def unblock(self, blocked: BlockedClient) -> None:
        """Forget a blocked client (served, timed out, unblocked or disconnected)."""
        waiters = self.signals.waiters
        for key in blocked.keys:
            db_key = (blocked.db_index, key)
            queue = waiters.get(db_key)
            if queue is not None:
                try:
                    queue.remove(blocked)
                except ValueError:
                    pass
                if not queue:
                    del waiters[db_key]
                    self.signals.ready.pop(db_key, None)
        if blocked.timer is not None:
            blocked.timer.cancel()
            blocked.timer = None
        if blocked.client.blocked is blocked:
            blocked.client.blocked = None
            self.blocked_count -= 1
        self.signals.update_subscription()

    def time_out(self, blocked: BlockedClient) -> None:
        blocked.timer = None
        self._finish(blocked, blocked.timeout_reply)

    def unblock_by_request(self, client: "ClientState", as_error: bool) -> bool:
        """CLIENT UNBLOCK: answer the client as a timeout would, or with an error."""
        blocked = client.blocked
        if blocked is None:
            return False
        self._finish(blocked, ErrorReply(UNBLOCKED_ERROR) if as_error else blocked.timeout_reply)
        return True

    def _finish(self, blocked: BlockedClient, reply: Any) -> None:
        self.unblock(blocked)
        deliver = blocked.client.deliver_late_reply
        if deliver is not None:
            deliver(reply)

    # ------------------------------------------------------------------ serving

    def serve_ready(self) -> None:
        """Serve the clients waiting on keys made ready (handleClientsBlockedOnKeys)."""
        if self._is_serving or self.server.keyspace.writes.in_unit:
            return
        self._is_serving = True
        try:
            ready = self.signals.ready
            while ready:
                db_keys = list(ready)
                ready.clear()
                for db_key in db_keys:
                    self._serve_key(db_key)
        finally:
            self._is_serving = False

    def _serve_key(self, db_key: tuple[int, bytes]) -> None:
        db_index, key = db_key
        queue = self.signals.waiters.get(db_key)
        if not queue:
            return
        server = self.server
        keyspace = server.keyspace
        db = keyspace.dbs[db_index]
        for blocked in list(queue):
            value = db.lookup(key)
            if value is None:
                return
            if type(value) is not blocked.kind or blocked.client.blocked is not blocked:
                continue
            ctx = CommandContext(server, blocked.client)
            ctx.select(db_index)
            dirty_before = keyspace.dirty
            keyspace.clock.snapshot()
            try:
                reply = blocked.serve(ctx, key)
            except CommandError as error:
                reply = ErrorReply(error.message)
            if reply is None:
                continue
            self.unblock(blocked)
            if keyspace.dirty != dirty_before and ctx.propagated:
                for command in ctx.propagated:
                    keyspace.writes.emit(db_index, command)
            deliver = blocked.client.deliver_late_reply
            if deliver is not None:
                deliver(reply)
