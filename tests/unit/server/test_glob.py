"""server.glob against Redis 7.0.15's stringmatchlen.

CASES was produced by storing SUBJECTS in a real redis-server 7.0.15 and asking `KEYS
<pattern>` for each pattern: each entry lists exactly the subjects Redis matched. The
pattern `*` is absent on purpose: KEYS and SCAN special-case it before matching.
"""

from __future__ import annotations

import pytest

from server.glob import glob_match, select_matching

SUBJECTS = (
    b"", b"a", b"b", b"ab", b"abc", b"hello", b"hallo", b"hllo", b"heello", b"hxllo",
    b"h*llo", b"h?llo", b"h[llo", b"h]llo", b"h\\llo", b"\\", b"]", b"[", b"-", b"^",
    b"x^y", b"A", b"Z", b"z", b"\x80", b"\xff", b"*", b"?", b"a*b", b"axxb", b"a\nb",
    b"abab", b"aab", b"foo:bar:baz", b"foo:", b":bar",
)
NONEMPTY = list(SUBJECTS[1:])

CASES = [
    (b'', [b'']),
    (b'**', NONEMPTY),
    (b'?', [
        b'a', b'b', b'\\', b']', b'[', b'-', b'^', b'A', b'Z', b'z', b'\x80', b'\xff', b'*',
        b'?',
    ]),
    (b'??', [b'ab']),
    (b'?*', NONEMPTY),
    (b'*?', NONEMPTY),
    (b'a', [b'a']),
    (b'a*', [b'a', b'ab', b'abc', b'a*b', b'axxb', b'a\nb', b'abab', b'aab']),
    (b'*a', [b'a']),
    (b'*b*', [
        b'b', b'ab', b'abc', b'a*b', b'axxb', b'a\nb', b'abab', b'aab', b'foo:bar:baz',
        b':bar',
    ]),
    (b'a*b', [b'ab', b'a*b', b'axxb', b'a\nb', b'abab', b'aab']),
    (b'a?b', [b'a*b', b'a\nb', b'aab']),
    (b'h?llo', [
        b'hello', b'hallo', b'hxllo', b'h*llo', b'h?llo', b'h[llo', b'h]llo', b'h\\llo',
    ]),
    (b'h*llo', [
        b'hello', b'hallo', b'hllo', b'heello', b'hxllo', b'h*llo', b'h?llo', b'h[llo',
        b'h]llo', b'h\\llo',
    ]),
    (b'h[ae]llo', [b'hello', b'hallo']),
    (b'h[^e]llo', [b'hallo', b'hxllo', b'h*llo', b'h?llo', b'h[llo', b'h]llo', b'h\\llo']),
    (b'h[a-b]llo', [b'hallo']),
    (b'h[b-a]llo', [b'hallo']),
    (b'h\\*llo', [b'h*llo']),
    (b'h\\?llo', [b'h?llo']),
    (b'h\\[llo', [b'h[llo']),
    (b'h[\\]]llo', [b'h]llo']),
    (b'[', []),
    (b'[]', []),
    (b'[^]', [
        b'a', b'b', b'\\', b']', b'[', b'-', b'^', b'A', b'Z', b'z', b'\x80', b'\xff', b'*',
        b'?',
    ]),
    (b'[^', [
        b'a', b'b', b'\\', b']', b'[', b'-', b'^', b'A', b'Z', b'z', b'\x80', b'\xff', b'*',
        b'?',
    ]),
    (b'[]a]', []),
    (b'[a-]', [b'a', b']', b'^']),
    (b'[a-', [b'a', b'-']),
    (b'[-a]', [b'a', b'-']),
    (b'[\\', [b'\\']),
    (b'\\', [b'\\']),
    (b'\\\\', [b'\\']),
    (b'[\\-z]', [b'-', b'z']),
    (b'[a-\\]', [b'a', b'\\', b']', b'^']),
    (b'[a-\xff]', [b'a', b'\\', b']', b'[', b'-', b'^', b'A', b'Z', b'\xff', b'*', b'?']),
    (b'[\x80-\xff]', [b'\x80', b'\xff']),
    (b'[\xff]', [b'\xff']),
    (b'[A-z]', [b'a', b'b', b'\\', b']', b'[', b'^', b'A', b'Z', b'z']),
    (b'[^a-y]', [
        b'\\', b']', b'[', b'-', b'^', b'A', b'Z', b'z', b'\x80', b'\xff', b'*', b'?',
    ]),
    (b'a\\', []),
    (b'*\\', [b'\\']),
    (b'[*]', [b'*']),
    (b'[?]', [b'?']),
    (b'x[^]y', [b'x^y']),
    (b'x^y', [b'x^y']),
    (b'[z-a]', [b'a', b'b', b'z']),
    (b'a**b', [b'ab', b'a*b', b'axxb', b'a\nb', b'abab', b'aab']),
    (b'*a*b*', [b'ab', b'abc', b'a*b', b'axxb', b'a\nb', b'abab', b'aab', b'foo:bar:baz']),
    (b'foo:*', [b'foo:bar:baz', b'foo:']),
    (b'*:bar', [b':bar']),
    (b'*:*', [b'foo:bar:baz', b'foo:', b':bar']),
    (b'foo:*:baz', [b'foo:bar:baz']),
    (b'[f]oo*', [b'foo:bar:baz', b'foo:']),
    (b'[[]', [b'[']),
    (b'h[a-ee]llo', [b'hello', b'hallo']),
    (b'[a-]]', [b'a', b']', b'^']),
    (b'[a-]b', [b'a', b'b', b']', b'^']),
    (b'[^^]', [
        b'a', b'b', b'\\', b']', b'[', b'-', b'A', b'Z', b'z', b'\x80', b'\xff', b'*', b'?',
    ]),
    (b'[!a]', [b'a']),
    (b'a[]*', []),
    (b'*[', []),
    (b'\\a', [b'a']),
    (b'[\\a-c]', [b'a', b'-']),
    (b'[a\\-c]', [b'a', b'-']),
]


@pytest.mark.parametrize("pattern, expected", CASES, ids=[repr(p) for p, _ in CASES])
def test_pattern_matches_exactly_what_redis_matches(pattern, expected):
    matched = [subject for subject in SUBJECTS if glob_match(pattern, subject)]
    assert matched == expected


def test_bare_star_does_not_match_the_empty_subject():
    assert glob_match(b"*", b"") is False
    assert glob_match(b"", b"") is True


@pytest.mark.parametrize("stars, matches", [(999, True), (1000, True), (1001, False)])
def test_more_than_1000_nested_stars_match_nothing(stars, matches):
    # Checked on redis-server: KEYS ('*a' * n) against 'a' * 1001.
    assert glob_match(b"*a" * stars, b"a" * 1001) is matches


def test_trailing_star_is_not_nested():
    assert glob_match(b"a*" * 1001, b"a" * 1001) is True
    assert glob_match(b"a*" * 1002, b"a" * 1001) is False


def test_many_stars_against_a_long_subject_stay_fast():
    # Backtracking into earlier stars would take exponential time here.
    assert glob_match(b"*a" * 30 + b"*b", b"a" * 5000) is False


def test_long_patterns_match_too():
    # Patterns past the cache's size limit are compiled on each use.
    pattern = b"x" * 600 + b"*"
    assert glob_match(pattern, b"x" * 600 + b"tail") is True
    assert glob_match(pattern, b"x" * 599) is False


@pytest.mark.parametrize("pattern, expected", CASES, ids=[repr(p) for p, _ in CASES])
def test_select_matching_agrees_with_redis(pattern, expected):
    assert select_matching(pattern, SUBJECTS) == expected


def test_select_matching_keeps_the_empty_subject_only_for_the_empty_pattern():
    assert select_matching(b"", [b"", b"a"]) == [b""]
    assert select_matching(b"**", [b"", b"a"]) == [b"a"]
