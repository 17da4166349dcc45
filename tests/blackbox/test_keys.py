"""Generic keyspace commands over TCP: DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, SCAN,
RANDOMKEY, RENAME(NX), COPY, MOVE, the EXPIRE and TTL families, PERSIST and OBJECT.

Replies are asserted exactly; where the RESP type matters (status vs bulk, null bulk vs
RESP3 null) the raw bytes are read off a plain socket.
"""

from __future__ import annotations

import threading
import time

import pytest
import redis

from tests.servers import ServerProcess
from tests.wire import error_of, exchange


def set_many(client: redis.Redis, mapping: dict) -> None:
    """SET each pair in one pipeline (MSET belongs to another group's tests)."""
    pipe = client.pipeline(transaction=False)
    for key, value in mapping.items():
        pipe.set(key, value)
    pipe.execute()


def scan_all(client: redis.Redis, *options: object) -> list[bytes]:
    cursor, seen = 0, []
    while True:
        cursor, keys = client.execute_command("SCAN", cursor, *options)
        seen.extend(keys)
        if int(cursor) == 0:
            return seen


# ------------------------------------------------------------------ DEL, UNLINK, EXISTS, TOUCH


@pytest.mark.parametrize("command", ["DEL", "UNLINK"])
def test_delete_counts_each_removed_key_once(r, command):
    set_many(r, {"a": 1, "b": 2})
    assert r.execute_command(command, "a", "b", "a", "missing") == 2
    assert r.exists("a", "b") == 0


@pytest.mark.parametrize("command", ["DEL", "UNLINK"])
def test_delete_of_expired_key_counts_nothing(r, command):
    r.set("gone", 1, px=1)
    time.sleep(0.01)
    assert r.execute_command(command, "gone") == 0


def test_exists_counts_a_key_named_twice_twice(r):
    r.set("a", 1)
    assert r.exists("a", "a", "missing") == 2


def test_exists_ignores_logically_expired_keys(r):
    r.set("gone", 1, px=1)
    time.sleep(0.01)
    assert r.exists("gone") == 0


def test_touch_counts_existing_keys(r):
    r.set("a", 1)
    assert r.touch("a", "a", "missing") == 2


def test_delete_without_keys_is_an_arity_error(r):
    assert error_of(r.execute_command, "DEL") == "wrong number of arguments for 'del' command"


# ------------------------------------------------------------------ TYPE


def test_type_is_a_status_reply(ember, r):
    r.set("s", "v")
    assert exchange(ember.port, [(b"TYPE", b"s"), (b"TYPE", b"missing")]) == [
        b"+string\r\n", b"+none\r\n"]


# ------------------------------------------------------------------ KEYS


def test_keys_matches_glob_patterns(r):
    set_many(r, {"hello": 1, "hallo": 1, "hxllo": 1, "hllo": 1, "heeello": 1, "h*llo": 1})
    assert sorted(r.keys("h?llo")) == [b"h*llo", b"hallo", b"hello", b"hxllo"]
    assert sorted(r.keys("h*llo")) == sorted([b"hello", b"hallo", b"hxllo", b"hllo",
                                              b"heeello", b"h*llo"])
    assert sorted(r.keys("h[ae]llo")) == [b"hallo", b"hello"]
    assert sorted(r.keys("h[^e]llo")) == [b"h*llo", b"hallo", b"hxllo"]
    assert sorted(r.keys("h[a-b]llo")) == [b"hallo"]
    assert r.keys("h\\*llo") == [b"h*llo"]


def test_keys_star_lists_the_empty_key_but_double_star_does_not(r):
    set_many(r, {"": 1, "a": 1})
    assert sorted(r.keys("*")) == [b"", b"a"]
    assert r.keys("**") == [b"a"]


def test_keys_skips_logically_expired_keys(r):
    r.set("live", 1)
    r.set("gone", 1, px=1)
    time.sleep(0.01)
    assert r.keys("*") == [b"live"]


# ------------------------------------------------------------------ SCAN


def test_scan_full_iteration_returns_every_key(r):
    set_many(r, {f"key:{i}": i for i in range(1000)})
    seen = scan_all(r, "COUNT", 7)
    assert set(seen) == {f"key:{i}".encode() for i in range(1000)}


def test_scan_small_database_finishes_in_one_call(r):
    set_many(r, {"a": 1, "b": 2})
    cursor, keys = r.execute_command("SCAN", 0)
    assert (cursor, sorted(keys)) == (0, [b"a", b"b"])


def test_scan_cursor_is_a_bulk_string_and_keys_an_array(ember, r):
    r.set("a", 1)
    assert exchange(ember.port, [(b"SCAN", b"0")]) == [b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"]
    assert exchange(ember.port, [(b"SCAN", b"0")], protocol=3) == [
        b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"]


def test_scan_count_bounds_the_work_not_the_reply(r):
    set_many(r, {f"key:{i}": i for i in range(100)})
    cursor, keys = r.execute_command("SCAN", 0, "COUNT", 10)
    assert cursor != 0 and len(keys) == 10
    cursor, keys = r.execute_command("SCAN", 0, "MATCH", "key:1*", "COUNT", 10)
    assert cursor != 0 and len(keys) < 10


def test_scan_match_and_type_filter(r):
    set_many(r, {"user:1": 1, "user:2": 2, "other": 3})
    assert sorted(scan_all(r, "MATCH", "user:*")) == [b"user:1", b"user:2"]
    assert sorted(scan_all(r, "TYPE", "STRING")) == [b"other", b"user:1", b"user:2"]
    assert scan_all(r, "TYPE", "hash") == []
    assert scan_all(r, "TYPE", "nosuchtype") == []


def test_scan_skips_logically_expired_keys(r):
    r.set("live", 1)
    r.set("gone", 1, px=1)
    time.sleep(0.01)
    assert scan_all(r) == [b"live"]


@pytest.mark.parametrize("cursor", ["abc", " 1", "1 ", "0x10", "+", "-",
                                    "18446744073709551616"])
def test_scan_rejects_an_unparsable_cursor(r, cursor):
    assert error_of(r.execute_command, "SCAN", cursor) == "invalid cursor"


@pytest.mark.parametrize("cursor", ["", "+0", "-0", "007"])
def test_scan_reads_cursors_as_strtoul_does(r, cursor):
    r.set("a", 1)
    assert r.execute_command("SCAN", cursor) == (0, [b"a"])


@pytest.mark.parametrize("options, message", [
    (["COUNT", "0"], "syntax error"),
    (["COUNT", "-1"], "syntax error"),
    (["COUNT", "x"], "value is not an integer or out of range"),
    (["COUNT"], "syntax error"),
    (["MATCH"], "syntax error"),
    (["TYPE"], "syntax error"),
    (["FOO", "bar"], "syntax error"),
])
def test_scan_option_errors(r, options, message):
    assert error_of(r.execute_command, "SCAN", 0, *options) == message


def test_scan_returns_keys_present_throughout_while_others_come_and_go(r):
    stable = {f"stable:{i}".encode() for i in range(2000)}
    set_many(r, {key: 1 for key in stable})
    set_many(r, {f"temp:{i}": 1 for i in range(2000)})
    cursor, seen, step = 0, [], 0
    while True:
        cursor, keys = r.execute_command("SCAN", cursor, "COUNT", 25)
        seen.extend(keys)
        if int(cursor) == 0:
            break
        # Between calls: add keys, delete others, and re-create some (which moves them
        # to the end of the dict's order).
        set_many(r, {f"new:{step}:{j}": 1 for j in range(20)})
        r.delete(*[f"temp:{step * 10 + j}" for j in range(10)])
        r.delete(f"new:{step}:0")
        r.set(f"new:{step}:0", 1)
        step += 1
    assert step > 50
    assert stable <= set(seen)
    assert not {key for key in seen if key.startswith(b"temp:")} - {
        f"temp:{i}".encode() for i in range(2000)}


def test_scan_cursor_whose_session_was_evicted_still_returns_every_key(r):
    set_many(r, {f"key:{i}": i for i in range(300)})
    cursor, first = r.execute_command("SCAN", 0, "COUNT", 100)
    # More concurrent iterations than the server keeps sessions for: ours is evicted.
    for _ in range(100):
        assert r.execute_command("SCAN", 0, "COUNT", 10)[0] != 0
    seen = list(first)
    while int(cursor) != 0:
        cursor, keys = r.execute_command("SCAN", cursor, "COUNT", 100)
        seen.extend(keys)
    assert set(seen) == {f"key:{i}".encode() for i in range(300)}


def test_scan_after_select_continues_on_the_current_database(r):
    set_many(r, {f"key:{i}": i for i in range(50)})
    cursor, _ = r.execute_command("SCAN", 0, "COUNT", 10)
    pipe = r.pipeline(transaction=False)
    pipe.execute_command("SELECT", 1)
    pipe.execute_command("SET", "db1", 1)
    pipe.execute_command("SCAN", cursor)
    pipe.execute_command("FLUSHDB")
    pipe.execute_command("SELECT", 0)
    _, _, (next_cursor, keys), _, _ = pipe.execute()
    assert keys == [b"db1"] and next_cursor == 0


# ------------------------------------------------------------------ RANDOMKEY


def test_randomkey_on_empty_database_is_null(ember, r):
    assert exchange(ember.port, [(b"RANDOMKEY",)]) == [b"$-1\r\n"]
    assert exchange(ember.port, [(b"RANDOMKEY",)], protocol=3) == [b"_\r\n"]


def test_randomkey_returns_existing_keys(r):
    set_many(r, {"a": 1, "b": 2, "c": 3})
    assert {r.randomkey() for _ in range(50)} <= {b"a", b"b", b"c"}


def test_randomkey_never_returns_an_expired_key(r):
    pipe = r.pipeline(transaction=False)
    for i in range(200):
        pipe.set(f"gone:{i}", 1, px=1)
    pipe.set("live", 1)
    pipe.execute()
    time.sleep(0.01)
    assert {r.randomkey() for _ in range(20)} == {b"live"}


# ------------------------------------------------------------------ RENAME, RENAMENX


def test_rename_moves_value_and_ttl_and_replaces_destination(r):
    r.set("src", "v", ex=100)
    r.set("dst", "old")
    assert r.rename("src", "dst") is True
    assert (r.get("dst"), r.exists("src"), r.ttl("dst")) == (b"v", 0, 100)


def test_rename_drops_destination_ttl_when_source_has_none(r):
    r.set("src", "v")
    r.set("dst", "old", ex=100)
    r.rename("src", "dst")
    assert r.ttl("dst") == -1


def test_rename_of_missing_key_is_no_such_key(r):
    assert error_of(r.rename, "missing", "x") == "no such key"
    assert error_of(r.rename, "missing", "missing") == "no such key"
    assert error_of(r.renamenx, "missing", "missing") == "no such key"


def test_rename_to_itself_changes_nothing(r):
    r.set("k", "v", ex=100)
    assert r.rename("k", "k") is True
    assert r.renamenx("k", "k") is False
    assert (r.get("k"), r.ttl("k")) == (b"v", 100)


def test_renamenx_refuses_an_existing_destination(r):
    set_many(r, {"src": 1, "dst": 2})
    assert r.renamenx("src", "dst") is False
    assert (r.get("src"), r.get("dst")) == (b"1", b"2")
    assert r.renamenx("src", "new") is True
    assert (r.get("src"), r.get("new")) == (None, b"1")


# ------------------------------------------------------------------ COPY


def test_copy_duplicates_value_and_ttl(r):
    r.set("src", "v", ex=100)
    assert r.copy("src", "dst") is True
    assert (r.get("dst"), r.ttl("dst"), r.get("src")) == (b"v", 100, b"v")


def test_copy_refuses_existing_destination_unless_replace(r):
    set_many(r, {"src": 1, "dst": 2})
    assert r.copy("src", "dst") is False
    assert r.get("dst") == b"2"
    assert r.copy("src", "dst", replace=True) is True
    assert r.get("dst") == b"1"


def test_copy_to_another_database(r):
    r.set("src", "v")
    assert r.copy("src", "src", destination_db=1) is True
    r.execute_command("SELECT", 1)
    assert r.get("src") == b"v"
    r.execute_command("SELECT", 0)


def test_copy_of_missing_key_is_zero(r):
    assert r.copy("missing", "dst") is False


@pytest.mark.parametrize("args, message", [
    (["a", "a"], "source and destination objects are the same"),
    (["missing", "missing"], "source and destination objects are the same"),
    (["a", "a", "DB", "0"], "source and destination objects are the same"),
    (["a", "b", "DB"], "syntax error"),
    (["a", "b", "FOO"], "syntax error"),
    (["a", "b", "DB", "x"], "value is not an integer or out of range"),
    (["a", "b", "DB", "16"], "DB index is out of range"),
    (["a", "b", "DB", "-1"], "DB index is out of range"),
    (["a", "b", "DB", "99999999999"],
     "value is out of range, value must between -2147483648 and 2147483647"),
])
def test_copy_errors(r, args, message):
    r.set("a", 1)
    assert error_of(r.execute_command, "COPY", *args) == message


# ------------------------------------------------------------------ MOVE


def test_move_transfers_key_and_ttl_to_another_database(r):
    r.set("k", "v", ex=100)
    assert r.move("k", 1) is True
    assert r.exists("k") == 0
    r.execute_command("SELECT", 1)
    assert (r.get("k"), r.ttl("k")) == (b"v", 100)
    r.execute_command("SELECT", 0)


def test_move_refuses_when_destination_has_the_key(r):
    r.set("k", "here")
    r.execute_command("SELECT", 1)
    r.set("k", "there")
    r.execute_command("SELECT", 0)
    assert r.move("k", 1) is False
    assert r.get("k") == b"here"


def test_move_of_missing_key_is_zero(r):
    assert r.move("missing", 1) is False


@pytest.mark.parametrize("db, message", [
    ("0", "source and destination objects are the same"),
    ("16", "DB index is out of range"),
    ("-1", "DB index is out of range"),
    ("x", "value is not an integer or out of range"),
    ("99999999999", "value is out of range, value must between -2147483648 and 2147483647"),
])
def test_move_errors(r, db, message):
    r.set("k", 1)
    assert error_of(r.execute_command, "MOVE", "k", db) == message


# ------------------------------------------------------------------ EXPIRE family, TTL family


def test_expire_sets_ttl_in_seconds_and_pexpire_in_milliseconds(r):
    r.set("k", "v")
    assert r.expire("k", 100) is True
    assert r.ttl("k") == 100
    assert 99_000 < r.pttl("k") <= 100_000
    assert r.pexpire("k", 50_000) is True
    assert r.ttl("k") == 50


def test_expireat_and_pexpireat_set_absolute_deadlines(r):
    r.set("k", "v")
    at_s = int(time.time()) + 1000
    assert r.expireat("k", at_s) is True
    assert r.execute_command("EXPIRETIME", "k") == at_s
    assert r.execute_command("PEXPIRETIME", "k") == at_s * 1000
    assert r.pexpireat("k", 4_000_000_000_123) is True
    assert r.execute_command("PEXPIRETIME", "k") == 4_000_000_000_123


def test_expiretime_rounds_to_the_nearest_second(r):
    r.set("k", "v")
    r.pexpireat("k", 1_999_999_999_499)
    assert r.execute_command("EXPIRETIME", "k") == 1_999_999_999
    r.pexpireat("k", 1_999_999_999_500)
    assert r.execute_command("EXPIRETIME", "k") == 2_000_000_000


def test_ttl_family_on_missing_key_and_key_without_ttl(r):
    r.set("k", "v")
    for command in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert r.execute_command(command, "missing") == -2
        assert r.execute_command(command, "k") == -1


@pytest.mark.parametrize("command", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_deadline_in_the_past_deletes_the_key(r, command):
    r.set("k", "v")
    assert r.execute_command(command, "k", -1) == 1
    assert r.exists("k") == 0


def test_expire_on_missing_key_is_zero(r):
    assert r.expire("missing", 100) is False


def test_expire_nx_xx_gt_lt_follow_redis_7_rules(r):
    r.set("k", "v")
    assert r.expire("k", 100, xx=True) is False
    assert r.expire("k", 100, gt=True) is False  # no TTL counts as infinite
    assert r.expire("k", 100, nx=True) is True
    assert r.expire("k", 200, nx=True) is False
    assert r.expire("k", 50, gt=True) is False
    assert r.expire("k", 200, gt=True) is True
    assert r.expire("k", 300, lt=True) is False
    assert r.expire("k", 150, lt=True) is True
    assert r.expire("k", 120, xx=True) is True
    assert r.ttl("k") == 120
    r.persist("k")
    assert r.expire("k", 100, lt=True) is True  # any deadline is less than infinite


def test_expire_options_are_case_insensitive_and_xx_combines_with_gt(r):
    r.set("k", "v", ex=100)
    assert r.execute_command("EXPIRE", "k", 200, "xx", "Gt") == 1
    assert r.ttl("k") == 200


@pytest.mark.parametrize("args, message", [
    (["100", "FOO"], "Unsupported option FOO"),
    (["abc", "FOO"], "Unsupported option FOO"),
    (["abc", "NX"], "value is not an integer or out of range"),
    (["100", "NX", "XX"], "NX and XX, GT or LT options at the same time are not compatible"),
    (["100", "NX", "GT"], "NX and XX, GT or LT options at the same time are not compatible"),
    (["100", "LT", "GT", "NX"],
     "NX and XX, GT or LT options at the same time are not compatible"),
    (["100", "GT", "LT"], "GT and LT options at the same time are not compatible"),
    (["100", "XX", "GT", "LT"], "GT and LT options at the same time are not compatible"),
    (["9223372036854776"], "invalid expire time in 'expire' command"),
    (["-9223372036854776"], "invalid expire time in 'expire' command"),
])
def test_expire_errors(r, args, message):
    r.set("k", "v")
    assert error_of(r.execute_command, "EXPIRE", "k", *args) == message


@pytest.mark.parametrize("command, value", [
    ("PEXPIRE", "9223372036854775807"),
    ("EXPIREAT", "9223372036854776"),
])
def test_expire_overflow_names_the_command(r, command, value):
    r.set("k", "v")
    message = f"invalid expire time in '{command.lower()}' command"
    assert error_of(r.execute_command, command, "k", value) == message


def test_pexpireat_accepts_the_largest_deadline(r):
    r.set("k", "v")
    assert r.pexpireat("k", 2**63 - 1) is True
    assert r.execute_command("PEXPIRETIME", "k") == 2**63 - 1


def test_key_expires_after_its_ttl(r):
    r.set("k", "v", px=50)
    time.sleep(0.1)
    assert (r.get("k"), r.ttl("k")) == (None, -2)


# ------------------------------------------------------------------ PERSIST


def test_persist_removes_ttl_once(r):
    r.set("k", "v", ex=100)
    assert r.persist("k") is True
    assert r.persist("k") is False
    assert r.ttl("k") == -1
    assert r.persist("missing") is False


# ------------------------------------------------------------------ OBJECT


def test_object_encoding_of_strings(r):
    set_many(r, {"int": "12345", "short": "hello", "long": "x" * 45})
    assert r.object("encoding", "int") == b"int"
    assert r.object("encoding", "short") == b"embstr"
    assert r.object("encoding", "long") == b"raw"


def test_object_subcommands_on_missing_key_are_null(ember):
    replies = exchange(ember.port, [(b"OBJECT", b"ENCODING", b"missing"),
                                    (b"OBJECT", b"REFCOUNT", b"missing"),
                                    (b"OBJECT", b"FREQ", b"missing")])
    assert replies == [b"$-1\r\n"] * 3
    assert exchange(ember.port, [(b"OBJECT", b"ENCODING", b"missing")], protocol=3) == [b"_\r\n"]


def test_object_refcount_reports_shared_small_integers(r):
    set_many(r, {"small": "9999", "big": "10000", "negative": "-1", "text": "abc"})
    assert r.object("refcount", "small") == 2147483647
    assert r.object("refcount", "big") == 1
    assert r.object("refcount", "negative") == 1
    assert r.object("refcount", "text") == 1


def test_object_freq_needs_an_lfu_policy(r):
    r.set("k", "v")
    assert error_of(r.execute_command, "OBJECT", "FREQ", "k") == (
        "An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some "
        "time to adjust.")


def test_object_help_lists_subcommands_as_status_lines(ember):
    (reply,) = exchange(ember.port, [(b"OBJECT", b"HELP")])
    assert reply.startswith(b"*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. "
                            b"Subcommands are:\r\n+ENCODING <key>\r\n")
    assert reply.endswith(b"+HELP\r\n+    Prints this help.\r\n")


@pytest.mark.parametrize("args, message", [
    (["FOO"], "unknown subcommand 'FOO'. Try OBJECT HELP."),
    (["ENCODING"], "wrong number of arguments for 'object|encoding' command"),
    (["ENCODING", "a", "b"], "wrong number of arguments for 'object|encoding' command"),
    (["HELP", "x"], "wrong number of arguments for 'object|help' command"),
])
def test_object_errors(r, args, message):
    assert error_of(r.execute_command, "OBJECT", *args) == message


# ------------------------------------------------------------------ active expiry


def test_100k_keys_with_1s_ttl_are_reclaimed_without_stalling_the_server():
    with ServerProcess("emberkv") as server:
        client = server.client()
        pipe = client.pipeline(transaction=False)
        for i in range(100_000):
            pipe.set(f"volatile:{i}", "v", ex=1)
            if i % 5000 == 4999:
                pipe.execute()
        pipe.execute()
        loaded_at = time.monotonic()
        assert client.dbsize() > 0

        latencies: list[float] = []
        stop = threading.Event()

        def ping_continuously() -> None:
            with server.client() as pinger:
                while not stop.is_set():
                    started = time.perf_counter()
                    pinger.ping()
                    latencies.append(time.perf_counter() - started)
                    time.sleep(0.001)

        pinger = threading.Thread(target=ping_continuously)
        pinger.start()
        try:
            while client.dbsize() and time.monotonic() - loaded_at < 10:
                time.sleep(0.05)
            reclaimed_after = time.monotonic() - loaded_at
            time.sleep(0.2)
        finally:
            stop.set()
            pinger.join()
        max_ms = max(latencies) * 1000
        print(f"\nactive expiry: DBSIZE 0 {reclaimed_after:.2f}s after loading; "
              f"{len(latencies)} PINGs, max latency {max_ms:.1f} ms")
        assert client.dbsize() == 0
        assert reclaimed_after < 5
        assert max_ms < 100
        client.close()
