"""List commands over TCP with redis-py (RESP2 `r`, RESP3 `r3`): replies as clients see
them, lists and the generic key commands (TYPE, OBJECT ENCODING, COPY, RENAME, SCAN
TYPE, MEMORY USAGE), list-max-listpack-size, and lists surviving an AOF base rewrite."""

from __future__ import annotations

import redis

from tests.persistence.helpers import aof_file, aof_server, client_of, temp_dir
from tests.servers import ServerProcess
from tests.wire import error_of


def test_pushes_return_the_new_length_and_lpush_reverses_its_arguments(r: redis.Redis) -> None:
    assert r.rpush("l", "a", "b") == 2
    assert r.lpush("l", "x", "y") == 4
    assert r.lrange("l", 0, -1) == [b"y", b"x", b"a", b"b"]
    assert r.lpushx("missing", "a") == 0 and r.rpushx("missing", "a") == 0
    assert r.exists("missing") == 0
    assert r.rpushx("l", "z", "w") == 6


def test_pop_with_count_returns_a_list_and_null_for_a_missing_key(r: redis.Redis,
                                                                  r3: redis.Redis) -> None:
    r.rpush("l", "a", "b", "c")
    assert r.lpop("l") == b"a"
    assert r.rpop("l", 5) == [b"c", b"b"]
    assert r.exists("l") == 0  # the emptied list is gone
    assert r.lpop("l") is None and r.lpop("l", 2) is None
    r3.rpush("k", "a")
    assert r3.lpop("k", 0) == []
    assert error_of(r.lpop, "k", -1) == "value is out of range, must be positive"


def test_lmove_and_rpoplpush_rotate_a_list_onto_itself(r: redis.Redis) -> None:
    r.rpush("l", "a", "b", "c")
    assert r.rpoplpush("l", "l") == b"c"
    assert r.lmove("l", "l", "LEFT", "RIGHT") == b"c"
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c"]
    assert r.lmove("l", "other", "RIGHT", "LEFT") == b"c"
    assert r.lrange("other", 0, -1) == [b"c"]
    assert r.lmove("missing", "other", "LEFT", "LEFT") is None


def test_lmpop_pops_from_the_first_non_empty_list(r: redis.Redis, r3: redis.Redis) -> None:
    r.rpush("b", "1", "2", "3")
    assert r.lmpop(2, "a", "b", direction="RIGHT", count=2) == [b"b", [b"3", b"2"]]
    assert r3.lmpop(1, "a", direction="LEFT") is None
    assert error_of(r.execute_command, "LMPOP", 0, "a", "LEFT") == \
        "numkeys should be greater than 0"


def test_lindex_lset_linsert_lrem_ltrim(r: redis.Redis) -> None:
    r.rpush("l", "a", "b", "a", "c")
    assert r.lindex("l", -1) == b"c" and r.lindex("l", 9) is None
    assert r.lset("l", 1, "B") is True
    assert error_of(r.lset, "l", 9, "x") == "index out of range"
    assert error_of(r.lset, "missing", 0, "x") == "no such key"
    assert r.linsert("l", "AFTER", "B", "mid") == 5
    assert r.linsert("l", "BEFORE", "nope", "x") == -1
    assert r.lrem("l", -1, "a") == 1
    assert r.lrange("l", 0, -1) == [b"a", b"B", b"mid", b"c"]
    assert r.ltrim("l", 1, 2) is True
    assert r.lrange("l", 0, -1) == [b"B", b"mid"]
    assert r.ltrim("l", 5, 1) is True and r.exists("l") == 0


def test_lpos_rank_count_maxlen(r: redis.Redis) -> None:
    r.rpush("l", "a", "b", "a", "a")
    assert r.lpos("l", "a") == 0
    assert r.lpos("l", "a", rank=-1) == 3
    assert r.lpos("l", "a", count=0) == [0, 2, 3]
    assert r.lpos("l", "a", rank=2, count=0, maxlen=3) == [2]
    assert r.lpos("l", "z") is None and r.lpos("l", "z", count=2) == []
    assert error_of(r.lpos, "l", "a", 0).startswith("RANK can't be zero")


def test_wrong_type_is_refused_without_changing_anything(r: redis.Redis) -> None:
    r.set("s", "v")
    r.rpush("l", "x")
    for call, args in ((r.lpush, ("s", "a")), (r.llen, ("s",)), (r.lmove, ("l", "s", "LEFT", "LEFT"))):
        assert error_of(call, *args).startswith("WRONGTYPE")
    assert r.lrange("l", 0, -1) == [b"x"] and r.get("s") == b"v"


def test_generic_key_commands_see_lists(r: redis.Redis) -> None:
    r.rpush("l", "a", "b")
    assert r.type("l") == b"list"
    assert r.object("encoding", "l") == b"quicklist"  # Redis 7.0 has no listpack lists
    assert r.copy("l", "c") is True
    r.rpush("c", "z")
    assert r.lrange("l", 0, -1) == [b"a", b"b"]  # the copy shares nothing
    assert r.rename("c", "d") is True and r.lrange("d", 0, -1) == [b"a", b"b", b"z"]
    r.set("str", "v")
    assert sorted(r.scan(0, _type="list", count=100)[1]) == [b"d", b"l"]
    assert 0 < r.memory_usage("l") < 2000


def test_memory_per_element_of_a_long_list_stays_small(r: redis.Redis) -> None:
    for start in range(0, 100_000, 1000):
        r.rpush("big", *(b"value:%07d" % i for i in range(start, start + 1000)))
    assert r.llen("big") == 100_000
    # Redis 7.0.15 reports about 15 bytes per element for this list; 3x is the limit.
    assert r.memory_usage("big") / 100_000 < 3 * 15


def test_list_max_listpack_size_applies_to_lists_created_afterwards(r: redis.Redis) -> None:
    r.config_set("list-max-listpack-size", "2")
    try:
        r.rpush("small-nodes", *range(10))
        assert r.config_get("list-max-ziplist-size") == {"list-max-ziplist-size": "2"}
    finally:
        r.config_set("list-max-listpack-size", "-2")
    r.rpush("default-nodes", *range(10))
    assert r.lrange("small-nodes", 0, -1) == r.lrange("default-nodes", 0, -1)
    # Ten elements in nodes of two cost more node overhead than in one node.
    assert r.memory_usage("small-nodes") > r.memory_usage("default-nodes")


def test_lists_survive_an_aof_base_written_from_the_dataset() -> None:
    directory = temp_dir()
    with client_of(ServerProcess("emberkv", ["--aof-use-rdb-preamble", "no"],
                                 directory=directory)) as client:
        client.rpush("long", *range(150))  # more than one RPUSH of 64 in the base
        client.rpush("binary", b"\x00\r\n", b"")
        client.expire("binary", 1000)
        client.config_set("appendonly", "yes")
    assert b"RPUSH" in aof_file(directory, "base")
    with client_of(aof_server(directory)) as client:
        assert client.lrange("long", 0, -1) == [b"%d" % i for i in range(150)]
        assert client.lrange("binary", 0, -1) == [b"\x00\r\n", b""]
        assert 0 < client.ttl("binary") <= 1000
