"""Beyond Redis: a bound on the replies of SRANDMEMBER, HRANDFIELD and ZRANDMEMBER with
a negative count.

A negative count draws with repetition, so the reply's size is set by the caller, not
by the data: `SRANDMEMBER key -9223372036854775807` asks for more memory than any
machine has, and Redis 7.0.15 builds that reply until the process dies. Here the
reply's size is estimated first, from a few elements drawn the same way, and a count
whose reply would pass `rand-max-reply-size` bytes is refused with an error; 0 turns
the bound off (Redis's behaviour). A positive count needs no bound: it never returns
more than the collection holds.
"""

from __future__ import annotations

from typing import Callable

from server.context import CommandContext
from server.errors import CommandError

SAMPLES = 16

REPLY_TOO_LARGE = ("ERR count is too large, the reply would take about %d bytes, more than "
                   "rand-max-reply-size (%d)")


def bulk_size(length: int) -> int:
    """Bytes of a RESP bulk string of `length` bytes: `$<length>\\r\\n<data>\\r\\n`."""
    return length + len(str(length)) + 5


def check_reply_size(ctx: CommandContext, count: int, element_size: Callable[[], int]) -> None:
    """Refuse a negative `count` whose reply would pass the limit; `element_size` draws
    one random element and returns the bytes it takes in the reply."""
    limit = ctx.server.config["rand-max-reply-size"]
    if count >= 0 or limit <= 0:
        return
    wanted = -count
    samples = min(wanted, SAMPLES)
    estimate = wanted * sum(element_size() for _ in range(samples)) // samples
    if estimate > limit:
        raise CommandError(REPLY_TOO_LARGE % (estimate, limit))
