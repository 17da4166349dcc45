"""Hash: dict semantics, Redis 7.0's listpack/hashtable choice, random fields."""

from __future__ import annotations

from server.hash_type import Hash


def test_set_field_reports_new_fields_and_keeps_insertion_order() -> None:
    value = Hash()
    assert value.set_field(b"b", b"1", 512, 64) is True
    assert value.set_field(b"a", b"2", 512, 64) is True
    assert value.set_field(b"b", b"3", 512, 64) is False
    assert list(value.items()) == [(b"b", b"3"), (b"a", b"2")]
    assert value.encoding() == "listpack"


def test_too_many_fields_or_a_long_one_make_a_hashtable_for_good() -> None:
    value = Hash()
    value.set_field(b"a", b"1", 2, 64)
    value.set_field(b"b", b"1", 2, 64)
    assert value.encoding() == "listpack"
    value.set_field(b"c", b"1", 2, 64)
    assert value.encoding() == "hashtable"
    value.delete_field(b"c")
    assert value.encoding() == "hashtable"
    long_value = Hash()
    long_value.set_field(b"a", b"x" * 65, 512, 64)
    assert long_value.encoding() == "hashtable"
    long_field = Hash()
    long_field.set_field(b"f" * 65, b"", 512, 64)
    assert long_field.encoding() == "hashtable"


def test_copy_is_independent_and_keeps_the_encoding() -> None:
    value = Hash()
    value.set_field(b"a", b"x" * 100, 512, 64)
    duplicate = value.copy()
    assert type(duplicate) is Hash and duplicate == value
    assert duplicate.encoding() == "hashtable"
    duplicate.set_field(b"b", b"1", 512, 64)
    assert b"b" not in value


def test_random_field_follows_deletions() -> None:
    value = Hash()
    for i in range(200):
        value.set_field(b"%d" % i, b"v", 512, 64)
    assert value.random_field() in value
    for i in range(150):
        value.delete_field(b"%d" % i)
    assert all(value.random_field() in value for _ in range(500))
    assert value.delete_field(b"nope") is False
