"""Time in integer milliseconds, and the per-command time snapshot.

Redis fixes one timestamp per command (commandTimeSnapshot) so that every expiry check
inside one command agrees; `CommandClock.snapshot()` does the same for the executor.
"""

from __future__ import annotations

import time


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def now_us() -> int:
    return time.time_ns() // 1_000


class CommandClock:
    """The time the current command runs at; refreshed by the executor per command."""

    __slots__ = ("ms",)

    def __init__(self) -> None:
        self.ms = now_ms()

    def snapshot(self) -> int:
        self.ms = time.time_ns() // 1_000_000
        return self.ms
