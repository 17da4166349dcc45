"""Redis's glob patterns (util.c `stringmatchlen`, case-sensitive), for KEYS and SCAN MATCH.

Pattern language, including the corners real Redis 7.0 shows (tests/unit/server/test_glob.py
holds cases checked against redis-server):
- `*` any run of bytes, `?` one byte, `\\x` the byte x; a lone trailing `\\` is itself.
- `[...]` one byte from a class: `^` first negates, `a-z` is a range (ends in either order,
  compared as C's *signed* char, so bytes >= 0x80 sort below 0x00), `\\x` escapes inside too.
  `]` right after `[` closes an empty class; `[a-]` reads `a-]` as a range, so the class
  runs on to the next `]`; a class without `]` takes the rest of the pattern.
- Every token but `*` consumes exactly one byte, which makes Redis's backtracking exact
  and lets a pattern compile to an equivalent regex (committed, leftmost segments).
- The empty subject matches only the empty pattern (`**` does not match it; KEYS and SCAN
  special-case a bare `*` before matching, as Redis does).
- Redis gives up after 1000 nested stars: a pattern with more than 1000 non-trailing `*`
  groups matches nothing.
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Iterable

Matcher = Callable[[bytes], bool]
# A token is the set of bytes one position accepts, or _STAR.
Token = frozenset[int] | None

_STAR: Token = None
_MAX_NESTED_STARS = 1000
_ANY_BYTE = frozenset(range(256))
# Longer patterns are compiled on every use rather than kept in the cache.
_CACHED_PATTERN_BYTES = 512
_SPECIAL_BYTE = re.compile(rb"[*?\[\\]")


def _signed(byte: int) -> int:
    return byte - 256 if byte >= 128 else byte


def _parse_class(pattern: bytes, i: int) -> tuple[frozenset[int], int]:
    """The bytes a `[...]` class starting after its `[` accepts, and where it ends."""
    end = len(pattern)
    negate = i < end and pattern[i] == 0x5E  # '^'
    if negate:
        i += 1
    members: set[int] = set()
    while i < end:
        byte = pattern[i]
        if byte == 0x5C and end - i >= 2:  # '\\' escapes the next byte
            members.add(pattern[i + 1])
            i += 2
        elif byte == 0x5D:  # ']'
            i += 1
            break
        elif end - i >= 3 and pattern[i + 1] == 0x2D:  # 'x-y'
            low, high = sorted((_signed(byte), _signed(pattern[i + 2])))
            members.update(b for b in range(256) if low <= _signed(b) <= high)
            i += 3
        else:
            members.add(byte)
            i += 1
    accepted = _ANY_BYTE - members if negate else frozenset(members)
    return accepted, i


def tokenize(pattern: bytes) -> list[Token]:
    """The pattern as tokens: _STAR, or the set of bytes one position accepts."""
    tokens: list[Token] = []
    i, end = 0, len(pattern)
    while i < end:
        byte = pattern[i]
        if byte == 0x2A:  # '*': runs of stars are one star
            while i < end and pattern[i] == 0x2A:
                i += 1
            tokens.append(_STAR)
        elif byte == 0x3F:  # '?'
            tokens.append(_ANY_BYTE)
            i += 1
        elif byte == 0x5B:  # '['
            accepted, i = _parse_class(pattern, i + 1)
            tokens.append(accepted)
        elif byte == 0x5C and end - i >= 2:  # '\\'
            tokens.append(frozenset((pattern[i + 1],)))
            i += 2
        else:
            tokens.append(frozenset((byte,)))
            i += 1
    return tokens


def _regex_for(accepted: frozenset[int]) -> bytes:
    """One position as a regex over bytes (DOTALL, so '.' includes newline)."""
    if accepted == _ANY_BYTE:
        return b"."
    if not accepted:
        return b"(?!)"
    if len(accepted) == 1:
        return re.escape(bytes(accepted))
    return b"[" + b"".join(re.escape(bytes((b,))) for b in sorted(accepted)) + b"]"


def _never(subject: bytes) -> bool:
    return False


def _segment_regex(segment: list[frozenset[int]]) -> bytes:
    return b"".join(_regex_for(accepted) for accepted in segment)


def compile_glob(pattern: bytes) -> Matcher:
    """A function telling whether a subject matches pattern, exactly as Redis decides."""
    fullmatch = _plan(pattern)
    if fullmatch is None:
        return _never

    is_empty_pattern = not pattern

    def matches(subject: bytes) -> bool:
        if not subject:
            return is_empty_pattern
        return fullmatch(subject) is not None

    return matches


def select_matching(pattern: bytes, subjects: Iterable[bytes]) -> list[bytes]:
    """The subjects pattern matches, in order: compile_glob's answer for many at once,
    without a Python call per subject (KEYS walks the whole database)."""
    if _SPECIAL_BYTE.search(pattern) is None:
        # A literal: one membership test when subjects is a dict or a set.
        return [pattern] if pattern in subjects else []
    fullmatch = _plan(pattern)
    if fullmatch is None:
        return []
    found = [subject for subject in subjects if fullmatch(subject)]
    if pattern and fullmatch(b"") is not None:
        # A pattern of stars only: its regex accepts the empty subject, Redis does not.
        return [subject for subject in found if subject]
    return found


def _plan(pattern: bytes) -> Callable[[bytes], object] | None:
    """A fullmatch function (truthy on a match, save the empty subject, which callers
    treat apart), or None when the pattern can match nothing."""
    if len(pattern) <= _CACHED_PATTERN_BYTES:
        return _plan_cached(pattern)
    return _plan_uncached(pattern)


def _plan_uncached(pattern: bytes) -> Callable[[bytes], object] | None:
    segments: list[list[frozenset[int]]] = [[]]
    for token in tokenize(pattern):
        if token is _STAR:
            segments.append([])
        else:
            segments[-1].append(token)
    stars = len(segments) - 1
    trailing_star = stars > 0 and not segments[-1]
    if stars - trailing_star > _MAX_NESTED_STARS:
        return None
    regex = [_segment_regex(segments[0])]
    # Each middle segment is fixed-length, so its leftmost placement is always the best
    # one: commit to it (atomic group) instead of backtracking, which keeps matching
    # linear per segment like Redis's skipLongerMatches.
    for middle in segments[1:-1]:
        regex.append(b"(?>.*?" + _segment_regex(middle) + b")")
    if stars:
        regex.append(b".*" + _segment_regex(segments[-1]))
    return re.compile(b"".join(regex), re.DOTALL).fullmatch


_plan_cached = functools.lru_cache(maxsize=256)(_plan_uncached)


def glob_match(pattern: bytes, subject: bytes) -> bool:
    return compile_glob(pattern)(subject)
