"""`python -m tests.faulty_server [redis-server options]`: EmberKV with one extra,
test-only command whose handler has a bug, to check from the outside what the
executor promises for bugs (logged with a traceback, answered `ERR internal error`,
the server keeps serving).

EmberKV has no production hook for this (Redis's DEBUG PANIC/SEGFAULT crash the
server, which is not the behaviour under test), so the command is added to the table
here, before the App is built, and nothing in server/ knows about it.

  EMBERKV-TEST-BUG [key value]   with a key and value, first SETs them, then raises
"""

from __future__ import annotations

import sys
from typing import Any

import server.commands
from server.context import CommandContext
from server.registry import WRITE, CommandGroup

BUG_COMMAND = "EMBERKV-TEST-BUG"
BUG_MESSAGE = "deliberate bug for tests/faulty_server.py"

group = CommandGroup("testing")


@group.command(BUG_COMMAND, -1, WRITE, summary="Raise an unexpected exception (tests only)")
def test_bug_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """EMBERKV-TEST-BUG [key value]"""
    if len(argv) == 3:
        ctx.db.set(argv[1], argv[2])
    raise ZeroDivisionError(BUG_MESSAGE)


def main() -> int:
    # command_registry reads ALL_GROUPS when it builds the Registry, so adding the group
    # here is enough; server.__main__ then starts the server exactly as `python -m server`.
    server.commands.ALL_GROUPS = (*server.commands.ALL_GROUPS, group)
    from server.__main__ import main as server_main

    return server_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
