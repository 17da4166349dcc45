"""server.scan: cursor parsing, SCAN options, and the session table's guarantee and bounds."""

from __future__ import annotations

from typing import Callable

import pytest

from server.errors import CommandError
from server.scan import ScanSessions, parse_cursor, parse_scan_options


@pytest.mark.parametrize("text, cursor", [
    (b"0", 0), (b"", 0), (b"+0", 0), (b"-0", 0), (b"007", 7), (b"+5", 5),
    (b"-1", 2**64 - 1), (b"18446744073709551615", 2**64 - 1),
    (b"-18446744073709551615", 1),
])
def test_cursor_is_read_like_strtoul(text, cursor):
    assert parse_cursor(text) == cursor


@pytest.mark.parametrize("text", [
    b"abc", b" 1", b"1 ", b"0x1", b"+", b"-", b"1.5", b"18446744073709551616",
    b"-18446744073709551616", b"+-1",
])
def test_bad_cursor_is_invalid_cursor(text):
    with pytest.raises(CommandError) as error:
        parse_cursor(text)
    assert error.value.message == "ERR invalid cursor"


def test_scan_options_default_and_last_one_wins():
    options = parse_scan_options([b"SCAN", b"0"], 2, allow_type=True)
    assert (options.count, options.matches, options.type_name) == (10, None, None)
    options = parse_scan_options(
        [b"SCAN", b"0", b"count", b"5", b"MATCH", b"a*", b"TYPE", b"String", b"COUNT", b"7",
         b"MATCH", b"*"], 2, allow_type=True)
    assert (options.count, options.matches, options.type_name) == (7, None, b"string")


@pytest.mark.parametrize("args, message", [
    ([b"COUNT", b"0"], "ERR syntax error"),
    ([b"COUNT", b"-3"], "ERR syntax error"),
    ([b"COUNT", b"x"], "ERR value is not an integer or out of range"),
    ([b"COUNT", b"9223372036854775808"], "ERR value is not an integer or out of range"),
    ([b"COUNT"], "ERR syntax error"),
    ([b"MATCH"], "ERR syntax error"),
    ([b"BOGUS", b"x"], "ERR syntax error"),
])
def test_scan_option_errors(args, message):
    with pytest.raises(CommandError) as error:
        parse_scan_options([b"SCAN", b"0", *args], 2, allow_type=True)
    assert error.value.message == message


def test_type_option_only_where_allowed():
    with pytest.raises(CommandError):
        parse_scan_options([b"HSCAN", b"h", b"0", b"TYPE", b"string"], 3, allow_type=False)


class Walker:
    """Drives ScanSessions over a dict the way SCAN does."""

    def __init__(self, sessions: ScanSessions, data: dict, owner: object = None) -> None:
        self.sessions, self.data = sessions, data
        self.owner = owner if owner is not None else data
        self.now_ms = 1_000

    def step(self, cursor: int, count: int = 10) -> tuple[int, list]:
        data = self.data
        return self.sessions.walk(self.owner, cursor, count, lambda: list(data),
                                  data.__contains__, self.now_ms)

    def iterate(self, count: int = 10, between: Callable[[], None] = lambda: None) -> list:
        cursor, seen = 0, []
        while True:
            cursor, found = self.step(cursor, count)
            seen.extend(found)
            if cursor == 0:
                return seen
            between()


def test_full_iteration_visits_everything_once_and_frees_its_session():
    sessions = ScanSessions()
    data = dict.fromkeys(range(1000))
    assert sorted(Walker(sessions, data).iterate(count=7)) == list(range(1000))
    assert len(sessions) == 0 and sessions.snapshot_items == 0


def test_small_collection_needs_no_session():
    sessions = ScanSessions()
    assert Walker(sessions, dict.fromkeys("abc")).step(0) == (0, ["a", "b", "c"])
    assert len(sessions) == 0


def test_elements_present_throughout_are_returned_despite_changes():
    sessions = ScanSessions()
    data = dict.fromkeys(range(2000))
    added = iter(range(10_000, 20_000))
    removable = iter(range(1000, 2000))

    def churn() -> None:
        for _ in range(5):
            data[next(added)] = None
            del data[next(removable)]
        data.pop(5, None)
        data[5] = None  # re-inserted: moves to the end of the dict's order

    seen = Walker(sessions, data).iterate(count=10, between=churn)
    assert set(range(1000)) - {5} <= set(seen)
    assert all(item in data or 1000 <= item < 2000 for item in seen)


def test_count_bounds_the_work_over_deleted_elements():
    sessions = ScanSessions()
    data = dict.fromkeys(range(1000))
    walker = Walker(sessions, data)
    cursor, _ = walker.step(0, count=10)
    for key in range(10, 500):
        del data[key]
    cursor, found = walker.step(cursor, count=10)
    assert found == [] and cursor != 0  # visited at most COUNT*10 deleted entries
    cursor, found = walker.step(cursor, count=10)
    assert cursor != 0


def test_cursor_fits_a_signed_64_bit_integer():
    sessions = ScanSessions()
    sessions._last_id = 2**31 - 2
    walker = Walker(sessions, dict.fromkeys(range(100)))
    for _ in range(3):
        cursor, _ = walker.step(0)
        assert 0 < cursor < 2**63


def test_unknown_cursor_restarts_from_a_fresh_snapshot():
    sessions = ScanSessions()
    walker = Walker(sessions, dict.fromkeys(range(30)))
    cursor, found = walker.step(12345 << 32 | 7)
    assert found == list(range(10)) and cursor != 0


def test_cursor_of_another_owner_restarts():
    sessions = ScanSessions()
    first = Walker(sessions, dict.fromkeys(range(30)))
    second = Walker(sessions, dict.fromkeys(range(100, 130)))
    cursor, _ = first.step(0)
    _, found = second.step(cursor)
    assert found == list(range(100, 110))


def test_sessions_are_bounded_least_recently_used_first():
    sessions = ScanSessions(max_sessions=3)
    walker = Walker(sessions, dict.fromkeys(range(100)))
    cursors = [walker.step(0)[0] for _ in range(3)]
    walker.step(cursors[0])  # the first one is now the most recently used
    walker.step(0)  # a fourth evicts the second
    assert len(sessions) == 3
    # A cursor is a position, so it can be retried: the first one resumes at 10 again.
    assert walker.step(cursors[0])[1] == list(range(10, 20))
    assert walker.step(cursors[1])[1] == list(range(10))  # evicted: starts over


def test_snapshot_budget_evicts_but_keeps_the_newest_session():
    sessions = ScanSessions(max_items=150)
    walker = Walker(sessions, dict.fromkeys(range(100)))
    walker.step(0)
    walker.step(0)
    assert len(sessions) == 1 and sessions.snapshot_items == 100
    big = Walker(sessions, dict.fromkeys(range(1000)))
    big.step(0)
    assert len(sessions) == 1 and sessions.snapshot_items == 1000


def test_idle_sessions_are_dropped():
    sessions = ScanSessions(idle_ms=1000)
    walker = Walker(sessions, dict.fromkeys(range(100)))
    cursor, _ = walker.step(0)
    walker.now_ms += 1001
    walker.step(0)
    assert len(sessions) == 1
    assert walker.step(cursor)[1] == list(range(10))


def test_evicted_session_still_returns_every_element_present_throughout():
    sessions = ScanSessions(max_sessions=2)
    data = dict.fromkeys(range(500))
    walker = Walker(sessions, data)
    crowded = []

    def crowd_out_once() -> None:
        if not crowded:
            crowded.append(True)
            for _ in range(3):
                Walker(sessions, data).step(0)

    seen = walker.iterate(count=50, between=crowd_out_once)
    assert set(seen) == set(range(500))
    assert len(seen) > 500  # restarted: duplicates, never misses
