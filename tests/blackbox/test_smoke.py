def test_ping_and_set_get_roundtrip(r):
    assert r.ping() is True
    assert r.set("greeting", "hello") is True
    assert r.get("greeting") == b"hello"


def test_unknown_command_error_text_matches_redis(both):
    import redis
    import pytest

    with pytest.raises(redis.ResponseError) as error:
        both.execute_command("NOSUCHCOMMAND", "a", "b")
    assert str(error.value) == "unknown command 'NOSUCHCOMMAND', with args beginning with: 'a' 'b' "
