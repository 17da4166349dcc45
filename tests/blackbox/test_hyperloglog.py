"""HyperLogLog commands over TCP with redis-py (RESP2 `r`, RESP3 `r3`): replies as
clients see them, the value as a plain string to the generic key commands, the
hll-sparse-max-bytes directive, and values surviving an AOF base and a replay of the
logged PFADD/PFMERGE/PFCOUNT."""

from __future__ import annotations

import redis

from tests.persistence.helpers import aof_file, aof_server, client_of, temp_dir
from tests.wire import call, error_of

NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPT = "INVALIDOBJ Corrupted HLL object detected"


def test_add_count_and_merge(r: redis.Redis, r3: redis.Redis) -> None:
    assert r.pfadd("h", "a", "b", "c") == 1
    assert r.pfadd("h", "a") == 0
    assert r.pfcount("h") == 3 and r3.pfcount("h") == 3
    assert r.pfadd("g", "c", "d") == 1
    assert r.pfcount("h", "g") == 4 and r.pfcount("h", "missing") == 3
    assert r.pfmerge("m", "h", "g") is True and r3.pfmerge("m2", "h") is True
    assert r.pfcount("m") == 4 and r.pfcount("missing") == 0
    assert r.exists("missing") == 0


def test_hyperloglog_is_a_raw_string_starting_with_its_header(r: redis.Redis) -> None:
    assert r.pfadd("h") == 1
    assert r.get("h") == b"HYLL\x01" + bytes(10) + b"\x80\x7f\xff"
    assert r.type("h") == b"string" and r.object("encoding", "h") == b"raw"
    assert r.strlen("h") == 18
    r.pfadd("h", *range(3000))
    assert r.strlen("h") == 12304 and call(r, "PFDEBUG", "ENCODING", "h") == b"dense"


def test_copy_and_rename_keep_an_independent_value(r: redis.Redis) -> None:
    r.pfadd("h", "a")
    r.copy("h", "copy")
    r.pfadd("h", "b", "c")
    assert r.pfcount("copy") == 1 and r.pfcount("h") == 3
    r.rename("copy", "renamed")
    assert r.pfcount("renamed") == 1


def test_set_of_a_dumped_value_is_a_hyperloglog(r: redis.Redis) -> None:
    r.pfadd("h", *range(100))
    r.set("clone", r.get("h"))
    assert r.object("encoding", "clone") == b"raw"  # longer than an embstr
    assert r.pfcount("clone") == r.pfcount("h")
    r.set("small", b"HYLL\x01" + bytes(11) + b"\x7f\xff")
    assert r.object("encoding", "small") == b"embstr"
    assert r.pfcount("small") == 0
    # PFCOUNT unshares the string it may write the cache into, as Redis does.
    assert r.object("encoding", "small") == b"raw"


def test_errors(r: redis.Redis) -> None:
    r.rpush("list", "a")
    assert error_of(r.pfadd, "list", "x").startswith("WRONGTYPE Operation against")
    r.set("s", "not an hll")
    assert error_of(r.pfadd, "s", "x") == NOT_HLL
    assert error_of(r.pfcount, "s") == NOT_HLL
    assert error_of(r.pfmerge, "d", "s") == NOT_HLL
    r.set("bad", b"HYLL\x01" + bytes(11) + b"\x7f\xfe")
    assert r.pfcount("bad") == 0  # the cached cardinality is valid: answered unchecked
    r.setrange("bad", 15, b"\x80")
    assert error_of(r.pfcount, "bad") == CORRUPT
    assert error_of(r.pfmerge, "d", "bad") == CORRUPT
    assert r.exists("d") == 0
    assert error_of(call, r, "PFDEBUG", "GETREG", "nokey") == "The specified key does not exist"


def test_sparse_limit_directive_takes_effect(r: redis.Redis) -> None:
    r.config_set("hll-sparse-max-bytes", 100)
    try:
        r.pfadd("h", *range(40))
        assert call(r, "PFDEBUG", "ENCODING", "h") == b"dense"
        r.config_set("hll-sparse-max-bytes", 3000)
        r.pfadd("g", *range(40))
        assert call(r, "PFDEBUG", "ENCODING", "g") == b"sparse"
    finally:
        r.config_set("hll-sparse-max-bytes", 3000)


def test_pfdebug_and_pfselftest(r: redis.Redis, r3: redis.Redis) -> None:
    r.pfadd("h", "a")
    assert call(r, "PFDEBUG", "DECODE", "h") == b"Z:12711 v:2,1 Z:3672"
    registers = call(r3, "PFDEBUG", "GETREG", "h")
    assert isinstance(registers, list) and len(registers) == 16384
    assert registers[12711] == 2 and sum(registers) == 2
    assert call(r, "PFDEBUG", "ENCODING", "h") == b"dense"
    assert r.execute_command("PFSELFTEST") in (b"OK", "OK", True)


def test_hyperloglogs_survive_an_aof_replay() -> None:
    """The logged PFADD, PFMERGE and PFCOUNT (which rewrote the cached cardinality)
    rebuild the same bytes on replay."""
    directory = temp_dir()
    with client_of(aof_server(directory)) as client:
        client.pfadd("sparse", *range(200))
        client.pfadd("dense", *range(5000))
        client.pfcount("dense")
        client.pfadd("sparse", *range(200, 260))
        client.pfmerge("merged", "sparse", "dense")
        client.pfadd("late", "x")
        client.pfcount("late")
        values = {key: client.get(key) for key in ("sparse", "dense", "merged", "late")}
    incr = aof_file(directory, "incr")
    assert b"PFADD" in incr and b"PFMERGE" in incr and b"PFCOUNT" in incr
    with client_of(aof_server(directory)) as client:
        assert {key: client.get(key) for key in values} == values
