"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

MULTI switches the client's command filter on: the executor then answers QUEUED for
each command (server/executor.py), after the checks Redis makes at queue time (unknown
command, arity, auth, OOM, MISCONF, NO_MULTI); a command refused there marks the
transaction failed and EXEC answers EXECABORT; so does EXEC holding a DENYOOM command
when the maxmemory gate found memory full. EXEC runs the queue through the executor's call path
as one unit of the write stream (logged as MULTI ... EXEC when it wrote more than one
command), with blocking commands answering at once, then serves the clients blocked
on keys the transaction made ready. Errors of queued commands at run time stay in
their slot of EXEC's reply.

WATCH remembers keys in server/key_signals.py; any write, expiry, FLUSHDB/FLUSHALL or
SWAPDB touching one marks the client, and its EXEC answers a null array.
"""

from __future__ import annotations

from typing import Any

from protocol.replies import NULL_ARRAY, OK, ErrorReply
from server import errors
from server.context import ClientState, CommandContext
from server.errors import CommandError
from server.registry import (
    ALLOW_BUSY, FAST, KeySpec, LOADING, NOSCRIPT, SKIP_SLOWLOG, STALE, CommandGroup,
)

group = CommandGroup("transactions", category="transaction")

EXECABORT = "EXECABORT Transaction discarded because of previous errors."

# ------------------------------------------------------------------ Transaction API


def begin_transaction(client: ClientState) -> None:
    client.in_multi = True
    client.multi_queue = []
    client.multi_failed = False
    client.update_command_filter()


def end_transaction(client: ClientState) -> None:
    client.in_multi = False
    client.multi_queue = []
    client.multi_failed = False
    client.update_command_filter()


def unwatch_all(ctx: CommandContext, client: ClientState) -> None:
    if client.watched:
        ctx.server.key_signals.unwatch_all(client)
    client.watch_touched = False


def discard_transaction(ctx: CommandContext, client: ClientState) -> None:
    end_transaction(client)
    unwatch_all(ctx, client)


def reset_client_state(ctx: CommandContext) -> None:
    """RESET and disconnects: leave MULTI, forget watched keys (pub/sub and blocking
    have their own)."""
    client = ctx.client
    if client.in_multi:
        end_transaction(client)
    unwatch_all(ctx, client)


def run_transaction(ctx: CommandContext, queue: list[tuple[Any, list[bytes]]]) -> list[Any]:
    """Each queued command through the executor's call path, as one write-stream unit."""
    server = ctx.server
    executor = server.executor
    writes = server.keyspace.writes
    client = ctx.client
    replies: list[Any] = []
    client.in_exec = True
    writes.begin_unit()
    try:
        for spec, argv in queue:
            user = client.user
            if user is not None and user.is_restricted:
                # The rules may have changed since the command was queued.
                denial = user.check(spec, argv)
                if denial is not None:
                    server.acl.record_denial(client, denial[0], denial[2], context="multi")
                    replies.append(ErrorReply(errors.noperm_in_exec(denial[0])))
                    continue
            replies.append(executor.call(ctx, spec, argv))
    finally:
        writes.end_unit()
        client.in_exec = False
    server.blocking.serve_ready()
    return replies


# ------------------------------------------------------------------ Transaction commands

_CONTROL_FLAGS = NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY


@group.command("MULTI", 1, _CONTROL_FLAGS, summary="Mark the start of a transaction block",
               since="1.2.0", complexity="O(1)")
def multi_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """MULTI"""
    if ctx.client.in_multi:
        raise CommandError("ERR MULTI calls can not be nested")
    begin_transaction(ctx.client)
    return OK


@group.command("EXEC", 1, NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
               summary="Execute all commands issued after MULTI", since="1.2.0",
               complexity="Depends on commands in the transaction")
def exec_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """EXEC"""
    client = ctx.client
    if not client.in_multi:
        raise CommandError("ERR EXEC without MULTI")
    queue = client.multi_queue
    limit = ctx.server.memory_limit
    if (limit is not None and limit.was_out_of_memory
            and any(spec.is_denyoom for spec, _ in queue)):
        discard_transaction(ctx, client)
        raise CommandError("EXECABORT Transaction discarded because of: " + errors.OOM)
    if client.multi_failed:
        discard_transaction(ctx, client)
        raise CommandError(EXECABORT)
    if client.watch_touched or (client.watched
                                and ctx.server.key_signals.watched_key_expired(client)):
        discard_transaction(ctx, client)
        return NULL_ARRAY
    refusal = ctx.server.write_refusal
    if refusal is not None and any(spec.is_write for spec, _ in queue):
        reason = refusal()
        if reason is not None:
            discard_transaction(ctx, client)
            raise CommandError("EXECABORT Transaction discarded because of: " + reason)
    # Watched keys are released before the queue runs, as Redis does: the
    # transaction's own writes must not mark the client.
    discard_transaction(ctx, client)
    replies = run_transaction(ctx, queue)
    client.last_command = "exec"
    return replies


@group.command("DISCARD", 1, _CONTROL_FLAGS, summary="Discard all commands issued after MULTI",
               since="2.0.0", complexity="O(N), when N is the number of queued commands")
def discard_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """DISCARD"""
    if not ctx.client.in_multi:
        raise CommandError("ERR DISCARD without MULTI")
    discard_transaction(ctx, ctx.client)
    return OK


@group.command("WATCH", -2, _CONTROL_FLAGS, keys=KeySpec(1, -1, flags=("RO",)),
               summary="Watch the given keys to determine execution of the MULTI/EXEC block",
               since="2.2.0", complexity="O(1) for every key.", syntax="key:key [key ...]")
def watch_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """WATCH key [key ...]"""
    client = ctx.client
    if client.in_multi:
        raise CommandError("ERR WATCH inside MULTI is not allowed")
    signals = ctx.server.key_signals
    for key in argv[1:]:
        signals.watch(client, ctx.db, key)
    return OK


@group.command("UNWATCH", 1, _CONTROL_FLAGS, summary="Forget about all watched keys",
               since="2.2.0", complexity="O(1)")
def unwatch_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """UNWATCH"""
    unwatch_all(ctx, ctx.client)
    return OK
