"""HyperLogLog commands, EmberKV against the real redis-server 7.0.15.

A HyperLogLog is a string in Redis's own representation, so besides the replies (byte
for byte, RESP2 and RESP3, errors included) the tests compare the values themselves
with GET after identical command sequences: random element sets of many sizes on both
sides of the sparse/dense threshold, merges of every mix of encodings, lowered
hll-sparse-max-bytes, corrupted values (edited with SETRANGE/APPEND), the counters
(hits, misses, changes) and what reaches the AOF, where PFCOUNT appears when it
rewrote the cached cardinality.
"""

from __future__ import annotations

import random
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.differential.test_strings_diff import (  # noqa: F401 (pair is a fixture)
    Command, assert_same_replies, counters, exchange, pair,
)
from tests.persistence.helpers import logged_by_both
from tests.wire import pipeline_replies, reply_to

pytestmark = pytest.mark.needs_redis_server

# A sparse value whose header and opcodes we edit below: 16 header bytes, then opcodes.
HEADER = 16

SCENARIOS: dict[str, list[Command]] = {
    "basics": [
        ("PFADD", "h"), ("GET", "h"), ("PFCOUNT", "h"), ("GET", "h"), ("PFADD", "h"),
        ("PFADD", "h", "a", "b", "c"), ("PFADD", "h", "a"), ("PFCOUNT", "h"), ("GET", "h"),
        ("PFCOUNT", "h", "missing"), ("PFCOUNT", "missing"), ("PFCOUNT", "m1", "m2"),
        ("EXISTS", "m1"), ("TYPE", "h"), ("OBJECT", "ENCODING", "h"), ("STRLEN", "h"),
        ("PFADD",), ("PFCOUNT",), ("PFMERGE",), ("PFADD", "h", ""), ("PFCOUNT", "h"),
    ],
    "wrong-types": [
        ("RPUSH", "list", "a"), ("PFADD", "list", "x"), ("PFCOUNT", "list"),
        ("PFCOUNT", "list", "h"), ("PFMERGE", "list", "h"), ("PFMERGE", "h", "list"),
        ("EXISTS", "h"), ("SET", "s", "hello"), ("PFADD", "s", "x"), ("PFCOUNT", "s"),
        ("PFMERGE", "d", "s"), ("EXISTS", "d"), ("SET", "n", "12345"), ("PFADD", "n", "x"),
        ("PFCOUNT", "n"), ("SET", "short", "HYLL"), ("PFCOUNT", "short"),
        ("SET", "magic", "HYLX" + "\x01" + "\x00" * 11 + "\x7f\xff"), ("PFCOUNT", "magic"),
        ("SET", "enc", "HYLL" + "\x02" + "\x00" * 11 + "\x7f\xff"), ("PFCOUNT", "enc"),
        ("PFADD", "enc", "x"), ("SET", "densebad", "HYLL" + "\x00" * 12 + "\x00" * 10),
        ("PFCOUNT", "densebad"), ("PFADD", "densebad", "a"), ("PFDEBUG", "GETREG", "list"),
        ("PFDEBUG", "GETREG", "s"),
    ],
    "header-cache": [
        ("PFADD", "h", "a", "b", "c", "d", "e"), ("PFCOUNT", "h"), ("GET", "h"),
        # A valid cached cardinality is answered as is, whatever the registers say.
        ("SETRANGE", "h", 8, "\x07\x00\x00\x00\x00\x00\x00\x00"), ("PFCOUNT", "h"),
        ("SETRANGE", "h", 8, "\xff\xff\xff\xff\xff\xff\xff\x7f"), ("PFCOUNT", "h"),
        ("SETRANGE", "h", 15, "\x80"), ("PFCOUNT", "h"), ("GET", "h"),
        ("PFADD", "h", "e"), ("GET", "h"), ("PFADD", "h", "f"), ("GET", "h"),
        ("PFCOUNT", "h", "h"), ("GET", "h"),
    ],
    "append-and-setrange": [
        ("PFADD", "h", "a", "b", "c"), ("APPEND", "h", "\x7f"), ("PFCOUNT", "h"),
        ("GET", "h"), ("PFADD", "h", "z"), ("PFCOUNT", "h"), ("SETRANGE", "h", 15, "\x80"),
        ("PFCOUNT", "h"), ("PFADD", "h", "zz"), ("PFMERGE", "m", "h"),
        ("PFADD", "i", "a", "b", "c"), ("APPEND", "i", "\x00"), ("PFCOUNT", "i"),
        ("PFADD", "i", "d", "e", "f", "g"), ("GET", "i"), ("PFMERGE", "m2", "i"),
        ("PFADD", "j", "x"), ("SETRANGE", "j", 4, "\x00"), ("PFCOUNT", "j"),
        ("PFADD", "j", "y"), ("SETRANGE", "j", 4, "\x01"), ("SETRANGE", "j", 16, "\x00"),
        ("PFCOUNT", "j"), ("PFADD", "j", "y"), ("GET", "j"),
        ("SET", "k", "v"), ("PFMERGE", "k"), ("PFADD", "empty"), ("APPEND", "empty", "x"),
        ("GET", "empty"),
    ],
    "corrupt-sparse": [
        # XZERO 16384 becomes XZERO 16383: the opcodes cover one register too few.
        ("SET", "c1", "HYLL\x01" + "\x00" * 11 + "\x7f\xfe"), ("PFCOUNT", "c1"),
        ("PFCOUNT", "c1", "c1"), ("PFMERGE", "d", "c1"), ("EXISTS", "d"),
        ("PFADD", "c1", "a"), ("PFADD", "c1", "b", "c", "d", "e", "f", "g", "h"),
        ("GET", "c1"), ("PFDEBUG", "DECODE", "c1"), ("PFDEBUG", "TODENSE", "c1"),
        ("PFDEBUG", "GETREG", "c1"),
        # One register too many: an extra ZERO at the end.
        ("SET", "c2", "HYLL\x01" + "\x00" * 11 + "\x7f\xff\x00"), ("PFCOUNT", "c2"),
        ("PFADD", "c2", "a", "b", "c"), ("GET", "c2"), ("PFMERGE", "c2", "c2"),
        # A truncated XZERO, a VAL run past the end, a register above 32 in a VAL.
        ("SET", "c3", "HYLL\x01" + "\x00" * 11 + "\x7f"), ("PFCOUNT", "c3"),
        ("PFADD", "c3", "a"), ("GET", "c3"),
        ("SET", "c4", "HYLL\x01" + "\x00" * 11 + "\x7f\xfe\xff"), ("PFCOUNT", "c4"),
        ("PFCOUNT", "c4", "x"), ("PFADD", "c4", "q"),
        ("SET", "c5", "HYLL\x01" + "\x00" * 11), ("PFCOUNT", "c5"), ("PFADD", "c5", "a"),
        ("PFCOUNT", "c5", "c5"),
    ],
    "pfmerge": [
        ("PFADD", "a", "1", "2", "3"), ("PFADD", "b", "3", "4", "5", "6"),
        ("PFMERGE", "c", "a", "b"), ("GET", "c"), ("PFCOUNT", "c"), ("PFMERGE", "c"),
        ("GET", "c"), ("PFMERGE", "a", "b"), ("GET", "a"), ("PFMERGE", "new"),
        ("GET", "new"), ("PFMERGE", "new2", "nokey"), ("GET", "new2"),
        ("PFMERGE", "a", "a"), ("GET", "a"), ("PFCOUNT", "a", "b", "c"),
        ("PFDEBUG", "TODENSE", "b"), ("PFMERGE", "d", "a"), ("GET", "d"),
        ("PFMERGE", "d", "b"), ("PFDEBUG", "ENCODING", "d"), ("GET", "d"),
        ("PFMERGE", "b", "a"), ("GET", "b"), ("PFCOUNT", "b"),
    ],
    "pfdebug": [
        ("PFDEBUG", "GETREG", "none"), ("PFDEBUG", "DECODE", "none"),
        ("PFADD", "h", "a", "b", "c", "d"), ("PFDEBUG", "DECODE", "h"),
        ("PFDEBUG", "ENCODING", "h"), ("PFDEBUG", "encoding", "h"), ("PFDEBUG", "FOO", "h"),
        ("PFDEBUG", "TODENSE", "h"), ("PFDEBUG", "TODENSE", "h"), ("PFDEBUG", "ENCODING", "h"),
        ("PFDEBUG", "DECODE", "h"), ("GET", "h"), ("PFCOUNT", "h"),
        ("PFADD", "g", "x"), ("PFDEBUG", "GETREG", "g"), ("PFDEBUG", "ENCODING", "g"),
        ("GET", "g"), ("PFDEBUG", "GETREG", "g", "x"), ("PFDEBUG", "GETREG"),
        ("PFDEBUG", "DECODE", "g"), ("PFSELFTEST",), ("PFSELFTEST", "x"),
    ],
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_hyperloglog_scenario_replies_match_redis(pair: tuple[int, int], name: str,
                                                  protocol: int) -> None:
    assert_same_replies(pair, [("FLUSHALL",), *SCENARIOS[name]], protocol)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_hyperloglog_hits_misses_and_changes_match_redis(pair: tuple[int, int],
                                                         name: str) -> None:
    commands = [("FLUSHALL",), *SCENARIOS[name]]
    assert counters(pair[0], commands) == counters(pair[1], commands)


# ------------------------------------------------------------------ values by size


def _elements(rng: random.Random, count: int) -> list[bytes]:
    """Elements of varied lengths (every MurmurHash tail length) and kinds."""
    makers = (
        lambda: str(rng.randrange(10 ** 9)).encode(),
        lambda: rng.randbytes(rng.randrange(0, 24)),
        lambda: b"member:%d" % rng.randrange(10 ** 6),
    )
    return [rng.choice(makers)() for _ in range(count)]


def add_everywhere(ports: tuple[int, int], key: str, elements: list[bytes],
                   batch: int = 200) -> None:
    """The same PFADDs, pipelined, on both servers; their replies must agree."""
    commands = [("PFADD", key, *elements[at:at + batch])
                for at in range(0, len(elements), batch)] or [("PFADD", key)]
    for at in range(0, len(commands), 50):
        chunk = commands[at:at + 50]
        assert pipeline_replies(ports[0], *chunk) == pipeline_replies(ports[1], *chunk)


def assert_same_value(ports: tuple[int, int], key: str) -> None:
    ours, theirs = (reply_to(port, "GET", key) for port in ports)
    assert ours == theirs, f"{key}: {len(ours or b'')} bytes != Redis's {len(theirs or b'')}"


SIZES = [0, 1, 2, 7, 100, 500, 1000, 1200, 1500, 1800, 2200, 3000, 10_000]


@pytest.mark.parametrize("size", SIZES)
def test_values_and_estimates_match_redis_by_size(pair: tuple[int, int], size: int) -> None:
    """Sparse values grow opcode by opcode and turn dense at hll-sparse-max-bytes
    (3000) somewhere past a thousand elements; each size is checked value and count,
    the count twice (computed, then cached)."""
    rng = random.Random(size)
    add_everywhere(pair, "h", _elements(rng, size), batch=rng.choice([1, 7, 100]))
    assert_same_value(pair, "h")
    for _ in range(2):
        assert reply_to(pair[0], "PFCOUNT", "h") == reply_to(pair[1], "PFCOUNT", "h")
        assert_same_value(pair, "h")


def test_hundred_thousand_elements_match_redis(pair: tuple[int, int]) -> None:
    rng = random.Random(100_000)
    add_everywhere(pair, "big", _elements(rng, 100_000), batch=1000)
    assert_same_value(pair, "big")
    assert reply_to(pair[0], "PFCOUNT", "big") == reply_to(pair[1], "PFCOUNT", "big")


@pytest.mark.parametrize("register_byte", [b"\xff", b"\x33", b"\x0c", b"\x86\x61\x18"])
def test_dense_registers_written_directly_count_and_merge_like_redis(
        pair: tuple[int, int], register_byte: bytes) -> None:
    """Registers no element could reach in practice (above 32, up to 63, or all 51:
    an infinite estimate, which Redis answers as LLONG_MIN and caches as stale),
    written over a dense value with SETRANGE."""
    registers = (register_byte * 12288)[:12288]
    script: list[Command] = [
        ("FLUSHALL",), ("PFADD", "d", "a"), ("PFDEBUG", "TODENSE", "d"),
        ("SETRANGE", "d", HEADER, registers), ("SETRANGE", "d", 15, b"\x80"),
        ("PFCOUNT", "d"), ("PFCOUNT", "d"), ("GET", "d"), ("PFCOUNT", "d", "d"),
        ("PFADD", "s", "x", "y"), ("PFCOUNT", "s", "d"), ("PFMERGE", "s", "d"), ("GET", "s"),
        ("PFCOUNT", "s"), ("PFADD", "d", "zz"), ("GET", "d"), ("PFDEBUG", "GETREG", "d"),
    ]
    assert_same_replies(pair, script, protocol=2)


@pytest.fixture
def small_sparse_limit(pair: tuple[int, int]) -> Iterator[tuple[int, int]]:
    for port in pair:
        exchange(port, [("CONFIG", "SET", "hll-sparse-max-bytes", 200)], protocol=2)
    yield pair
    for port in pair:
        exchange(port, [("CONFIG", "SET", "hll-sparse-max-bytes", 3000)], protocol=2)


@pytest.mark.parametrize("size", [10, 40, 60, 80, 150])
def test_lowered_sparse_limit_promotes_like_redis(small_sparse_limit: tuple[int, int],
                                                  size: int) -> None:
    rng = random.Random(size + 1)
    add_everywhere(small_sparse_limit, "h", _elements(rng, size), batch=1)
    assert_same_value(small_sparse_limit, "h")
    replies = [reply_to(port, "PFDEBUG", "ENCODING", "h") for port in small_sparse_limit]
    assert replies[0] == replies[1]


MERGE_SIZES = {"empty": 0, "tiny": 3, "small": 150, "mid": 900, "near": 1400, "dense": 4000}


@pytest.mark.parametrize("sources", [
    ("tiny", "small"), ("small", "mid"), ("mid", "near"), ("near", "mid", "small"),
    ("small", "dense"), ("dense", "tiny"), ("empty", "tiny"), ("dense", "dense2"),
    ("missing", "mid"), ("mid", "mid"),
])
def test_pfmerge_and_multi_key_pfcount_match_redis(pair: tuple[int, int],
                                                   sources: tuple[str, ...]) -> None:
    """Into a new key and into the first source (which then takes part in the merge):
    a sparse destination is raised register by register and may turn dense on the
    way, as in Redis; a dense source makes it dense first."""
    rng = random.Random(" ".join(sources))
    for name in set(sources) - {"missing"}:
        size = MERGE_SIZES.get(name, 3000)
        add_everywhere(pair, name, _elements(rng, size))
    assert reply_to(pair[0], "PFCOUNT", *sources) == reply_to(pair[1], "PFCOUNT", *sources)
    for destination in ("fresh", sources[0]):
        replies = [reply_to(port, "PFMERGE", destination, *sources) for port in pair]
        assert replies[0] == replies[1]
        assert_same_value(pair, destination)
        assert reply_to(pair[0], "PFCOUNT", destination) == reply_to(
            pair[1], "PFCOUNT", destination)


def test_merges_under_lowered_sparse_limit_match_redis(
        small_sparse_limit: tuple[int, int]) -> None:
    rng = random.Random(7)
    add_everywhere(small_sparse_limit, "a", _elements(rng, 30))
    add_everywhere(small_sparse_limit, "b", _elements(rng, 30))
    exchange(small_sparse_limit[0], [("CONFIG", "SET", "hll-sparse-max-bytes", 3000)])
    exchange(small_sparse_limit[1], [("CONFIG", "SET", "hll-sparse-max-bytes", 3000)])
    add_everywhere(small_sparse_limit, "c", _elements(rng, 120))
    for port in small_sparse_limit:
        exchange(port, [("CONFIG", "SET", "hll-sparse-max-bytes", 150)], protocol=2)
    for destination, sources in (("m", ("a", "b")), ("a", ("c",)), ("n", ("b", "c"))):
        replies = [reply_to(port, "PFMERGE", destination, *sources) for port in small_sparse_limit]
        assert replies[0] == replies[1]
        assert_same_value(small_sparse_limit, destination)


# ------------------------------------------------------------------ corrupted values


@pytest.mark.parametrize("seed", range(12))
def test_randomly_edited_values_behave_as_in_redis(pair: tuple[int, int], seed: int) -> None:
    """A value edited byte by byte (header, opcodes or registers) answers what Redis
    answers to every HLL command, and the values stay identical."""
    rng = random.Random(seed)
    size = rng.choice([5, 50, 300, 3000])
    add_everywhere(pair, "h", _elements(rng, size))
    add_everywhere(pair, "other", _elements(rng, 20))
    length = len(reply_to(pair[0], "GET", "h"))
    script: list[Command] = []
    for _ in range(rng.randrange(1, 4)):
        at = rng.randrange(HEADER - 12 if rng.random() < 0.2 else HEADER, length)
        script.append(("SETRANGE", "h", at, bytes([rng.randrange(256)])))
    if rng.random() < 0.3:
        script.append(("APPEND", "h", bytes([rng.randrange(256)])))
    script += [
        ("PFCOUNT", "h"), ("GET", "h"), ("PFCOUNT", "h", "other"), ("PFMERGE", "m", "h", "other"),
        ("GET", "m"), ("PFADD", "h", *_elements(rng, 5)), ("GET", "h"), ("PFCOUNT", "h"),
        ("PFDEBUG", "DECODE", "h"), ("PFDEBUG", "TODENSE", "h"), ("GET", "h"),
    ]
    assert_same_replies(pair, script, protocol=2)


# ------------------------------------------------------------------ random sequences

KEYS = st.sampled_from(["a", "b", "c"])
ELEMENTS = st.lists(st.binary(max_size=12), max_size=6)
HLL_COMMANDS = st.one_of(
    st.builds(lambda key, elements: ("PFADD", key, *elements), KEYS, ELEMENTS),
    st.builds(lambda key, count: ("PFADD", key, *(b"e%d" % i for i in range(count))),
              KEYS, st.integers(0, 400)),
    st.builds(lambda keys: ("PFCOUNT", *keys), st.lists(KEYS, min_size=1, max_size=3)),
    st.builds(lambda keys: ("PFMERGE", *keys), st.lists(KEYS, min_size=1, max_size=3)),
    st.tuples(st.just("GET"), KEYS),
    st.tuples(st.just("PFDEBUG"), st.sampled_from(["ENCODING", "TODENSE", "DECODE"]), KEYS),
    st.tuples(st.just("SETRANGE"), KEYS, st.integers(4, 40), st.binary(min_size=1, max_size=2)),
    st.tuples(st.just("APPEND"), KEYS, st.binary(min_size=1, max_size=2)),
    st.tuples(st.just("DEL"), KEYS),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(HLL_COMMANDS, min_size=1, max_size=25), st.sampled_from([2, 3]),
       st.sampled_from([3000, 60]))
def test_random_hyperloglog_sequences_match_redis(pair: tuple[int, int],
                                                  commands: list[Command], protocol: int,
                                                  sparse_limit: int) -> None:
    script: list[Command] = [
        ("FLUSHALL",), ("CONFIG", "SET", "hll-sparse-max-bytes", sparse_limit), *commands,
        ("GET", "a"), ("GET", "b"), ("GET", "c"), ("CONFIG", "SET", "hll-sparse-max-bytes", 3000),
    ]
    assert_same_replies(pair, script, protocol)


# ------------------------------------------------------------------ the AOF


def test_logged_hyperloglog_commands_match_redis_aof() -> None:
    """PFADD is logged when a register changed (or the key was made), PFMERGE always,
    PFCOUNT when it rewrote a stale cached cardinality, PFDEBUG when it made a value
    dense; nothing else."""
    script: list[Command] = [
        ("PFADD", "h", "a", "b"), ("PFADD", "h", "a"), ("PFADD", "h"), ("PFCOUNT", "h"),
        ("PFCOUNT", "h"), ("PFCOUNT", "h", "missing"), ("PFADD", "new"), ("PFCOUNT", "new"),
        ("PFMERGE", "m", "h"), ("PFMERGE", "m"), ("PFCOUNT", "m"), ("PFCOUNT", "nothing"),
        ("PFDEBUG", "TODENSE", "h"), ("PFDEBUG", "TODENSE", "h"), ("PFDEBUG", "GETREG", "m"),
        ("PFDEBUG", "ENCODING", "m"), ("SET", "s", "x"), ("PFADD", "s", "a"),
        ("MULTI",), ("PFADD", "t", "1"), ("PFCOUNT", "t"), ("EXEC",),
    ]
    ours, theirs = logged_by_both(script)
    assert [line.lower() for line in ours] == [line.lower() for line in theirs]
    assert "PFCOUNT h" in ours and "PFCOUNT m" in ours


def test_watch_sees_pfcount_rewriting_the_cache(pair: tuple[int, int]) -> None:
    """A PFCOUNT that rewrites the cached cardinality touches the key, as in Redis."""
    script: list[Command] = [
        ("PFADD", "h", "a"), ("WATCH", "h"), ("PFCOUNT", "h"), ("MULTI",), ("PING",), ("EXEC",),
        ("WATCH", "h"), ("PFCOUNT", "h"), ("MULTI",), ("PING",), ("EXEC",),
    ]
    assert_same_replies(pair, [("FLUSHALL",), *script], protocol=2)
