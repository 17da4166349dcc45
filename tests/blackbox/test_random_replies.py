"""SRANDMEMBER, HRANDFIELD and ZRANDMEMBER with a negative count, whose reply size the
caller picks: beyond `rand-max-reply-size` bytes they are refused instead of building
a reply no machine can hold (Redis 7.0.15 dies of it), and 0 lifts the bound."""

from __future__ import annotations

from typing import Iterator

import pytest
import redis

from tests.wire import call, error_of

LLONG_MAX = 2**63 - 1
HALF_LLONG_MAX = LLONG_MAX // 2

# Members of 9 bytes take 9 + 1 + 5 = 15 bytes in a reply ("$9\r\n" + 9 + "\r\n"), and
# scores of one digit 7 ("$1\r\n1\r\n"), so the size estimate is exact.
MEMBERS = [b"member:%02d" % i for i in range(10)]
MEMBER_REPLY_BYTES = 15
SCORE_REPLY_BYTES = 7


@pytest.fixture
def filled(r: redis.Redis) -> redis.Redis:
    r.sadd("s", *MEMBERS)
    r.hset("h", mapping={member: b"1" for member in MEMBERS})
    r.zadd("z", {member: 1 for member in MEMBERS})
    return r


@pytest.fixture
def limit_of_ten_members(r: redis.Redis) -> Iterator[int]:
    limit = 10 * MEMBER_REPLY_BYTES
    r.config_set("rand-max-reply-size", limit)
    yield limit
    r.config_set("rand-max-reply-size", "512mb")


def test_huge_negative_counts_are_refused_and_the_server_goes_on(filled: redis.Redis) -> None:
    r = filled
    assert r.config_get("rand-max-reply-size") == {"rand-max-reply-size": str(512 * 1024**2)}
    for command in (["SRANDMEMBER", "s", -LLONG_MAX],
                    ["HRANDFIELD", "h", -LLONG_MAX], ["ZRANDMEMBER", "z", -LLONG_MAX],
                    ["HRANDFIELD", "h", -HALF_LLONG_MAX, "WITHVALUES"],
                    ["ZRANDMEMBER", "z", -HALF_LLONG_MAX, "WITHSCORES"]):
        message = error_of(call, r, *command)
        assert message.startswith("count is too large, the reply would take about "), command
        assert message.endswith("bytes, more than rand-max-reply-size (536870912)"), command
    assert r.ping() is True
    assert len(r.srandmember("s", -1000)) == 1000
    assert r.scard("s") == 10


def test_the_bound_counts_reply_bytes(filled: redis.Redis, limit_of_ten_members: int) -> None:
    r = filled
    assert len(r.srandmember("s", -10)) == 10
    assert len(r.hrandfield("h", -10)) == 10
    assert len(call(r, "ZRANDMEMBER", "z", -10)) == 10
    too_many = f"about {11 * MEMBER_REPLY_BYTES} bytes, more than rand-max-reply-size (150)"
    assert error_of(r.srandmember, "s", -11).endswith(too_many)
    assert error_of(r.hrandfield, "h", -11).endswith(too_many)
    assert error_of(call, r, "ZRANDMEMBER", "z", -11).endswith(too_many)
    # With values or scores each element also carries a "1".
    with_value = MEMBER_REPLY_BYTES + SCORE_REPLY_BYTES
    assert len(r.hrandfield("h", -6, withvalues=True)) == 12
    assert error_of(r.hrandfield, "h", -7, withvalues=True).endswith(
        f"about {7 * with_value} bytes, more than rand-max-reply-size (150)")
    assert len(call(r, "ZRANDMEMBER", "z", -6, "WITHSCORES")) == 12
    assert error_of(call, r, "ZRANDMEMBER", "z", -7, "WITHSCORES").endswith(
        f"about {7 * with_value} bytes, more than rand-max-reply-size (150)")


def test_positive_counts_and_missing_keys_are_not_bounded(
        filled: redis.Redis, limit_of_ten_members: int) -> None:
    r = filled
    assert sorted(r.srandmember("s", LLONG_MAX)) == MEMBERS
    assert sorted(r.hrandfield("h", LLONG_MAX)) == MEMBERS
    assert sorted(call(r, "ZRANDMEMBER", "z", LLONG_MAX)) == MEMBERS
    assert r.srandmember("missing", -LLONG_MAX) == []
    assert r.hrandfield("missing", -LLONG_MAX) == []
    assert call(r, "ZRANDMEMBER", "missing", -LLONG_MAX) == []


def test_zero_lifts_the_bound(filled: redis.Redis, limit_of_ten_members: int) -> None:
    r = filled
    r.config_set("rand-max-reply-size", 0)
    assert len(r.srandmember("s", -200_000)) == 200_000
    assert set(r.hrandfield("h", -1000)) == set(MEMBERS)


def test_inside_a_transaction_the_refusal_is_one_reply_of_exec(
        filled: redis.Redis, limit_of_ten_members: int) -> None:
    pipe = filled.pipeline(transaction=True)
    pipe.srandmember("s", -11).scard("s")
    first, second = pipe.execute(raise_on_error=False)
    assert isinstance(first, redis.ResponseError)
    assert str(first).startswith("count is too large")
    assert second == 10
