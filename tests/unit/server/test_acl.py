"""server/acl.py without sockets: rules, checks, descriptions, the log, ACL files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.acl import (
    DENIED_CHANNEL, DENIED_COMMAND, DENIED_KEY, AclRuleError, CommandTable, User,
    merge_selector_args, validate_user_declaration,
)
from server.acl_users import AccessControl, AclLog, LogEntry
from server.commands import ALL_GROUPS
from server.config import Config
from server.registry import Registry

REGISTRY = Registry(ALL_GROUPS)
TABLE = CommandTable(REGISTRY)


def user_with(*rules: str) -> User:
    user = User(b"u")
    for rule in rules:
        user.apply(rule.encode(), TABLE, False)
    return user


def check(user: User, *argv: str):
    command = [arg.encode() for arg in argv]
    target = REGISTRY.lookup(command[0])
    assert target is not None
    if target.subcommands and len(argv) > 1:
        target = target.subcommands[command[1].lower()]
    return user.check(target, command)


def test_a_new_user_is_off_and_allowed_nothing() -> None:
    user = User(b"new")
    assert user.flags == {"off"}
    assert user.is_restricted
    assert user.describe(TABLE) == b"off resetchannels -@all"
    assert check(user, "get", "k") == (DENIED_COMMAND, 0, b"get")


def test_passwords_are_stored_as_sha256_hex() -> None:
    user = user_with("on", ">secret", "#" + "a" * 64)
    assert user.passwords == [hashlib.sha256(b"secret").hexdigest(), "a" * 64]
    assert user.check_password(b"secret")
    assert not user.check_password(b"other")
    user.apply(b"<secret", TABLE, False)
    assert not user.check_password(b"secret")
    user.apply(b"nopass", TABLE, False)
    assert user.passwords == [] and user.check_password(b"anything")
    user.apply(b"off", TABLE, False)
    assert not user.check_password(b"anything")


@pytest.mark.parametrize("rule, reason", [
    ("#abc", "The password hash must be exactly 64 characters"),
    ("<never-set", "The password you are trying to remove"),
    ("+nosuch", "Unknown command or category name in ACL"),
    ("+@nosuch", "Unknown command or category name in ACL"),
    ("+config|get|x", "Allowing first-arg of a subcommand is not supported"),
    ("+select|", "Syntax error"),
    ("%X~k", "Syntax error"),
    ("bogus", "Syntax error"),
])
def test_bad_rules_raise_redis_reasons(rule: str, reason: str) -> None:
    with pytest.raises(AclRuleError) as raised:
        user_with(rule)
    assert raised.value.reason.startswith(reason)


def test_a_container_rule_covers_its_subcommands() -> None:
    user = user_with("+config", "-config|set")
    assert check(user, "config", "get", "x") is None
    assert check(user, "config", "set", "x", "y") == (DENIED_COMMAND, 0, b"config|set")


def test_first_args_allow_one_argument_of_a_denied_command() -> None:
    user = user_with("allkeys", "+select|0")
    assert check(user, "select", "0") is None
    assert check(user, "select", "1")[0] == DENIED_COMMAND
    assert user.describe(TABLE) == b"off ~* resetchannels -@all +select|0"


def test_key_patterns_carry_read_and_write_permissions() -> None:
    user = user_with("+@all", "%R~r*", "%W~w*", "~b*")
    assert check(user, "get", "r1") is None
    assert check(user, "set", "r1", "x") == (DENIED_KEY, 1, b"r1")
    assert check(user, "set", "w1", "x") is None
    assert check(user, "get", "w1") == (DENIED_KEY, 1, b"w1")
    assert check(user, "copy", "r1", "w1") is None
    assert check(user, "mget", "b1", "r2", "w2") == (DENIED_KEY, 3, b"w2")


def test_channels_match_as_globs_and_psubscribe_patterns_literally() -> None:
    user = user_with("+@all", "~*", "&news.*")
    assert check(user, "publish", "news.1", "m") is None
    assert check(user, "subscribe", "news.1", "other") == (DENIED_CHANNEL, 2, b"other")
    assert check(user, "psubscribe", "news.*") is None
    assert check(user, "psubscribe", "news.1") == (DENIED_CHANNEL, 1, b"news.1")


def test_any_selector_may_allow_and_the_furthest_denial_is_reported() -> None:
    user = user_with("~a*", "+get", "(~b* +set)", "(~c* +get)")
    assert check(user, "get", "a1") is None
    assert check(user, "set", "b1", "v") is None
    assert check(user, "get", "b1") == (DENIED_KEY, 1, b"b1")
    assert check(user, "lpush", "a1", "v") == (DENIED_COMMAND, 0, b"lpush")


def test_a_user_allowed_everything_is_not_restricted() -> None:
    user = user_with("+@all", "~*")
    assert user.is_restricted  # channels are still reset
    user.apply(b"&*", TABLE, False)
    assert not user.is_restricted
    user.apply(b"-get", TABLE, False)
    assert user.is_restricted


def test_rules_may_name_redis_commands_emberkv_lacks() -> None:
    user = user_with("-@all", "+xadd", "+@geo", "+client|pause", "-geoadd")
    assert "xadd" in user.root.allowed and "client|pause" in user.root.allowed
    words = user.describe(TABLE).split(b" ")
    assert words[:4] == [b"off", b"resetchannels", b"-@all", b"+@geo"]
    assert sorted(words[4:]) == [b"+client|pause", b"+xadd", b"-geoadd"]
    assert TABLE.existing("stream") == []


def test_merge_selector_args_joins_and_finds_an_unclosed_parenthesis() -> None:
    assert merge_selector_args([b"on", b"(+get", b"~x)", b"(+set)"]) == (
        [b"on", b"(+get ~x)", b"(+set)"], None)
    assert merge_selector_args([b"on", b"(+get", b"~x"]) == ([b"on"], 1)


def test_config_user_declarations_report_the_word_redis_quotes() -> None:
    assert validate_user_declaration([b"bob", b"on", b"foo"], TABLE, set()) == (
        1, "Syntax error")
    assert validate_user_declaration([b"bob", b"on", b"+nosuch"], TABLE, set()) is None
    assert validate_user_declaration([b"bob"], TABLE, {b"bob"})[0] == 1


def test_the_log_groups_similar_entries_and_keeps_max_len() -> None:
    log = AclLog()

    def entry(obj: bytes, at_ms: int) -> LogEntry:
        return LogEntry(1, DENIED_COMMAND, "toplevel", obj, b"u", at_ms, b"info")

    log.add(entry(b"get", 0), 3)
    log.add(entry(b"set", 10), 3)
    log.add(entry(b"get", 20), 3)
    assert [(e.object, e.count) for e in log.entries] == [(b"get", 2), (b"set", 1)]
    log.add(entry(b"get", 100_000), 3)  # more than 60 s later: a new entry
    log.add(entry(b"del", 100_001), 3)
    assert [(e.object, e.count) for e in log.entries] == [
        (b"del", 1), (b"get", 1), (b"get", 2)]


def _rules() -> st.SearchStrategy[list[str]]:
    names = sorted(TABLE.by_name)
    categories = ["@" + c for c in TABLE.in_category]
    rule = st.one_of(
        st.sampled_from(["+@all", "-@all"]),
        st.builds(lambda sign, what: sign + what, st.sampled_from("+-"),
                  st.sampled_from(names + categories)),
        st.sampled_from(["+select|0", "+select|3", "+debug|object"]),
    )
    return st.lists(rule, max_size=12)


@settings(max_examples=150, deadline=None)
@given(_rules())
def test_a_description_rebuilds_the_same_permissions(rules: list[str]) -> None:
    """Redis aborts when ACLDescribeSelectorCommandRules does not rebuild the bitmap;
    here every description must, whatever the rules were."""
    user = user_with(*rules)
    description = user.root.describe_commands(TABLE)
    rebuilt = user_with(*description.decode().split(" "))
    assert rebuilt.root.allowed == user.root.allowed
    assert rebuilt.root.first_args == {k: v for k, v in user.root.first_args.items()
                                       if k not in user.root.allowed}
    assert rebuilt.root.future == user.root.future


def test_acl_file_round_trip(tmp_path: Path) -> None:
    config = Config()
    acl = AccessControl(REGISTRY, config, {})
    for name, rules in ((b"a", [b"on", b">p", b"~k*", b"+get", b"(+set ~s*)"]),
                        (b"b", [b"off", b"+@all", b"-@dangerous"])):
        user = acl.new_user(name)
        acl.apply_rules(user, rules)
        acl.users[name] = user
    path = tmp_path / "users.acl"
    assert acl.save_file(str(path))
    before = acl.describe_all()
    fresh = AccessControl(REGISTRY, config, {})
    assert fresh.load_file(str(path)) is None
    assert fresh.describe_all() == before
    path.write_text("user a on +nosuch\n")
    problems = fresh.load_file(str(path))
    assert problems is not None and "Error in applying operation '+nosuch'" in problems
    assert fresh.describe_all() == before
