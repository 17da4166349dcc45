"""Fixtures shared by the black-box files of the string-valued commands (strings,
bitmaps): a lowered proto-max-bulk-len, and a key of another type for WRONGTYPE.
"""

from __future__ import annotations

from typing import Iterator

import pytest
import redis

from tests.wire import call


@pytest.fixture
def small_bulk_limit(r: redis.Redis) -> Iterator[int]:
    """proto-max-bulk-len at its minimum (1mb) for one test, then back to 512mb."""
    r.config_set("proto-max-bulk-len", "1mb")
    yield 1024 * 1024
    r.config_set("proto-max-bulk-len", "512mb")


@pytest.fixture
def list_key(r: redis.Redis) -> bytes:
    """A key holding a non-string value, for WRONGTYPE checks."""
    call(r, "RPUSH", "list", "x")
    return b"list"
