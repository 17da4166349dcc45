"""The one path every command takes (Redis's processCommand + call).

execute(ctx, argv) → reply value:
  lookup (unknown command) → subcommand → arity → [command filter] → auth gate →
  loading gate → maxmemory gate (evictions, -OOM: server/eviction.py) → MISCONF gate →
  time snapshot → handler → statistics, slow log, MONITOR feed → write stream →
  [blocked clients served].
The command filter is one flag per client (ClientState.needs_command_filter), set only
in MULTI (commands are checked, then queued: server/commands/transactions.py), in
RESP2 subscribe mode (only the pub/sub commands, PING, QUIT and RESET run) and for an
ACL user not allowed everything (server/acl.py: NOPERM); everyone else pays that one
test. Clients blocked on keys a write made ready are served right
after the command that did it (server/blocking.py); that check sits inside the
"something was written" branch, so reads pay nothing for it.
Handlers hold semantics only. They raise CommandError for error replies; any other
exception is a bug: it is logged with its traceback and answered `ERR internal error`,
and the server keeps serving. A WRITE command that changed the dataset (the dirty
counter moved) is emitted on the write stream as sent, or in the form the handler
declared with ctx.propagate_as.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from protocol.replies import QUEUED, ErrorReply, SimpleString
from server import errors
from server.context import CommandContext
from server.errors import CommandError
from server.registry import CommandFlag, CommandSpec
from server.state import ServerState

log = logging.getLogger("emberkv.executor")

_perf_ns = time.perf_counter_ns
_time_ns = time.time_ns


class Executor:
    def __init__(self, server: ServerState) -> None:
        self.server = server
        self.registry = server.registry
        self.keyspace = server.keyspace
        self.writes = server.keyspace.writes
        self.stats = server.stats
        self._fast_lookup = server.registry._fast
        # Both are mutated in place, never replaced, so holding them is safe.
        self._monitors = server.monitors
        self._config_values = server.config.values
        self._write_subscribers = self.writes.subscribers
        self._ready_keys = server.key_signals.ready
        self._blocking = server.blocking
        server.executor = self
        self._slowlog_threshold_ns: float = 0
        self._set_slowlog_threshold(server.config["slowlog-log-slower-than"])
        server.config.on_change("slowlog-log-slower-than", self._set_slowlog_threshold)

    def resolve(self, argv: list[bytes]) -> CommandSpec | ErrorReply:
        """The spec argv names, or the error Redis answers for a bad name or arity."""
        spec = self._fast_lookup.get(argv[0]) or self.registry.lookup(argv[0])
        if spec is None:
            return self._error(errors.unknown_command(argv))
        if spec.subcommands:
            if len(argv) < 2:
                if spec.handler is not None:
                    return spec
                return self._reject(spec, errors.wrong_arity(spec.name))
            sub = spec.subcommands.get(argv[1].lower())
            if sub is None:
                return self._error(errors.unknown_subcommand(spec.name, argv[1]))
            spec = sub
        if not spec.accepts_arity(len(argv)):
            return self._reject(spec, errors.wrong_arity(spec.name))
        return spec

    def execute(self, ctx: CommandContext, argv: list[bytes]) -> Any:
        spec = self._fast_lookup.get(argv[0])
        if spec is None or spec.subcommands or (
            len(argv) != spec.arity if spec.arity > 0 else len(argv) < -spec.arity
        ):
            resolved = self.resolve(argv)
            if type(resolved) is ErrorReply:
                if ctx.client.in_multi:
                    ctx.client.multi_failed = True
                return resolved
            spec = resolved  # type: ignore[assignment]
        client = ctx.client
        if client.needs_command_filter:
            return self._execute_filtered(ctx, spec, argv)
        if not client.is_authenticated and not spec.is_no_auth:
            return self._reject(spec, errors.NOAUTH)
        if self.server.has_command_gates:
            refusal = self._gate_refusal(spec, client)
            if refusal is not None:
                return self._reject(spec, refusal)
        return self.call(ctx, spec, argv)

    def _execute_filtered(self, ctx: CommandContext, spec: CommandSpec,
                          argv: list[bytes]) -> Any:
        """execute() for a client in MULTI, in RESP2 subscribe mode or with an ACL user
        not allowed everything: Redis's processCommand checks in its order, a refusal
        failing an open transaction."""
        client = ctx.client
        refusal: str | None = None
        if not client.is_authenticated and not spec.is_no_auth:
            refusal = errors.NOAUTH
        elif (client.user is not None and client.user.is_restricted
              and not (client.in_multi and spec.is_no_multi)):
            # (A NO_MULTI command in MULTI is refused as such before any ACL check.)
            refusal = self._acl_refusal(client, spec, argv)
        if refusal is None and self.server.has_command_gates:
            refusal = self._gate_refusal(spec, client)
        if (refusal is None and client.protocol == 2 and client.is_subscribed
                and spec.name not in _SUBSCRIBE_MODE_COMMANDS):
            refusal = errors.subscribe_mode(spec.name)
        if refusal is None and client.in_multi and spec.name not in _TRANSACTION_CONTROL:
            if spec.is_no_multi:
                refusal = errors.NOT_ALLOWED_IN_MULTI
            else:
                client.multi_queue.append((spec, argv))
                return QUEUED
        if refusal is not None:
            if client.in_multi:
                client.multi_failed = True
            return self._reject(spec, refusal)
        return self.call(ctx, spec, argv)

    def _acl_refusal(self, client: Any, spec: CommandSpec, argv: list[bytes]) -> str | None:
        """The NOPERM error when the client's ACL user may not run this (the denial is
        recorded in the ACL log), else None."""
        denial = client.user.check(spec, argv)
        if denial is None:
            return None
        reason, _, denied_object = denial
        client.last_command = spec.name  # Redis's log shows the refused command
        self.server.acl.record_denial(client, reason, denied_object)
        return errors.noperm(reason, spec.name)

    def _gate_refusal(self, spec: CommandSpec, client: Any) -> str | None:
        server = self.server
        if server.is_loading and not spec.is_allowed_while_loading:
            return errors.LOADING
        memory_limit = server.memory_limit
        if memory_limit is not None and memory_limit.refuses(spec, client):
            return errors.OOM
        if server.write_refusal is not None and (spec.is_write or spec.name == "ping"):
            # Persistence is failing (AOF write error): Redis refuses writes, and PING
            # too, so a health check notices; reads keep working.
            return server.write_refusal()
        return None

    def call(self, ctx: CommandContext, spec: CommandSpec, argv: list[bytes]) -> Any:
        # Runs for every command: attribute lookups are kept to the ones it needs.
        keyspace = self.keyspace
        keyspace.clock.ms = _time_ns() // 1_000_000
        dirty_before = keyspace.dirty
        ctx.client.last_command = spec.name
        started = _perf_ns()
        try:
            reply = spec.handler(ctx, argv)  # type: ignore[misc]
        except CommandError as error:
            reply = ErrorReply(error.message)
            spec.stats.failed_calls += 1
            self._count_error(error.message)
        except Exception:
            log.exception("bug while executing %r", argv[:8])
            reply = ErrorReply("ERR internal error")
            spec.stats.failed_calls += 1
            self._count_error(reply.message)
        elapsed_ns = _perf_ns() - started
        stats = spec.stats
        stats.calls += 1
        stats.nsec += elapsed_ns
        if keyspace.dirty != dirty_before and spec.is_write and self._write_subscribers:
            propagated = ctx.propagated
            if propagated is None:
                self.writes.emit(ctx.db.index, argv)
            else:
                self.writes.source = argv
                for command in propagated:
                    self.writes.emit(ctx.db.index, command)
                self.writes.source = None
            if self._ready_keys:
                self._blocking.serve_ready()
        if ctx.propagated is not None:
            ctx.propagated = None
        if self._monitors and not spec.is_skip_monitor:
            self._feed_monitors(ctx, spec, argv)
        if elapsed_ns >= self._slowlog_threshold_ns and not spec.is_skip_slowlog:
            self.server.slowlog.record(argv, elapsed_ns // 1000, ctx.client,
                                       self._config_values["slowlog-max-len"])
        return reply

    def _set_slowlog_threshold(self, threshold_us: int) -> None:
        # Negative disables the slow log: no duration reaches infinity.
        self._slowlog_threshold_ns = threshold_us * 1000 if threshold_us >= 0 else float("inf")

    def replay(self, ctx: CommandContext, argv: list[bytes]) -> Any:
        """Run a command from the AOF: no auth or loading gates, same semantics."""
        resolved = self.resolve(argv)
        if type(resolved) is ErrorReply:
            return resolved
        return self.call(ctx, resolved, argv)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ helpers

    def _error(self, message: str) -> ErrorReply:
        self._count_error(message)
        return ErrorReply(message)

    def _reject(self, spec: CommandSpec, message: str) -> ErrorReply:
        spec.stats.rejected_calls += 1
        return self._error(message)

    def _count_error(self, message: str) -> None:
        self.stats.total_error_replies += 1
        self.stats.errors_by_code[message.split(" ", 1)[0]] += 1

    def _feed_monitors(self, ctx: CommandContext, spec: CommandSpec,
                       argv: list[bytes]) -> None:
        if spec.flags & CommandFlag.ADMIN:
            return  # as Redis: admin commands (CONFIG, DEBUG, ...) may carry secrets
        now_us = _time_ns() // 1000
        client = ctx.client
        origin = "lua" if client.address == "lua" else client.address
        line = b"%d.%06d [%d %s] %s" % (
            now_us // 1_000_000, now_us % 1_000_000, ctx.db.index,
            origin.encode(), b" ".join(quote_for_display(arg) for arg in argv),
        )
        message = SimpleString(line)
        for monitor in list(self.server.monitors):
            if monitor.push is not None:
                monitor.push(message)


# What a RESP2 subscriber may send (Redis's processCommand list).
_SUBSCRIBE_MODE_COMMANDS = frozenset((
    "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe",
    "punsubscribe", "quit", "reset",
))
# Run at once inside MULTI instead of being queued.
_TRANSACTION_CONTROL = frozenset(("exec", "discard", "multi", "watch", "quit", "reset"))

_REPR_ESCAPES = {
    ord("\\"): b"\\\\", ord('"'): b'\\"', ord("\n"): b"\\n", ord("\r"): b"\\r",
    ord("\t"): b"\\t", 7: b"\\a", 8: b"\\b",
}


def quote_for_display(data: bytes) -> bytes:
    """Redis's sdscatrepr: a double-quoted string with C escapes and \\xHH."""
    out = bytearray(b'"')
    for byte in data:
        escaped = _REPR_ESCAPES.get(byte)
        if escaped is not None:
            out += escaped
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\x%02x" % byte
    out += b'"'
    return bytes(out)
