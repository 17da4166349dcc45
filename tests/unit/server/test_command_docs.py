"""server/command_docs.py: syntax notation → COMMAND DOCS argument tree, and back to the
syntax line Redis's docs print. Trees are compared as plain dicts so each case shows
the whole shape."""

from __future__ import annotations

from typing import Any

import pytest

from server.command_docs import Arg, SyntaxNotationError, parse_syntax, render_syntax


def tree(args: list[Arg]) -> list[dict[str, Any]]:
    """Only the fields that are set, as COMMAND DOCS sends them."""
    found = []
    for arg in args:
        node: dict[str, Any] = {"name": arg.name, "type": arg.type}
        for field in ("token", "since", "deprecated_since", "key_spec_index"):
            if getattr(arg, field) is not None:
                node[field] = getattr(arg, field)
        if arg.flags:
            node["flags"] = arg.flags
        if arg.arguments:
            node["arguments"] = tree(arg.arguments)
        found.append(node)
    return found


def test_values_tokens_and_types() -> None:
    assert tree(parse_syntax("key:key seconds:integer value [GET]@6.2.0")) == [
        {"name": "key", "type": "key", "key_spec_index": 0},
        {"name": "seconds", "type": "integer"},
        {"name": "value", "type": "string"},
        {"name": "get", "type": "pure-token", "token": "GET", "since": "6.2.0",
         "flags": ["optional"]},
    ]


def test_token_before_a_value_belongs_to_it() -> None:
    assert tree(parse_syntax("cursor:integer [MATCH pattern:pattern] [TYPE type]@6.0.0")) == [
        {"name": "cursor", "type": "integer"},
        {"name": "pattern", "type": "pattern", "token": "MATCH", "flags": ["optional"]},
        {"name": "type", "type": "string", "token": "TYPE", "since": "6.0.0",
         "flags": ["optional"]},
    ]


def test_set_syntax_gives_redis_tree() -> None:
    args = parse_syntax(
        "key:key value [NX | XX]=condition@2.6.12 [GET]@6.2.0 "
        "[EX seconds:integer@2.6.12 | PX milliseconds:integer@2.6.12 | "
        "EXAT unix-time-seconds:unix-time@6.2.0 | "
        "PXAT unix-time-milliseconds:unix-time@6.2.0 | KEEPTTL@6.0.0]=expiration")
    assert tree(args)[2:] == [
        {"name": "condition", "type": "oneof", "since": "2.6.12", "flags": ["optional"],
         "arguments": [{"name": "nx", "type": "pure-token", "token": "NX"},
                       {"name": "xx", "type": "pure-token", "token": "XX"}]},
        {"name": "get", "type": "pure-token", "token": "GET", "since": "6.2.0",
         "flags": ["optional"]},
        {"name": "expiration", "type": "oneof", "flags": ["optional"], "arguments": [
            {"name": "seconds", "type": "integer", "token": "EX", "since": "2.6.12"},
            {"name": "milliseconds", "type": "integer", "token": "PX", "since": "2.6.12"},
            {"name": "unix-time-seconds", "type": "unix-time", "token": "EXAT",
             "since": "6.2.0"},
            {"name": "unix-time-milliseconds", "type": "unix-time", "token": "PXAT",
             "since": "6.2.0"},
            {"name": "keepttl", "type": "pure-token", "token": "KEEPTTL", "since": "6.0.0"},
        ]},
    ]
    assert render_syntax(args) == (
        "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
        "PXAT unix-time-milliseconds | KEEPTTL]")


def test_repeat_of_several_arguments_is_a_multiple_block_named_after_them() -> None:
    assert tree(parse_syntax("key:key value [key value ...]")) == [
        {"name": "key_value", "type": "block", "flags": ["multiple"], "arguments": [
            {"name": "key", "type": "key", "key_spec_index": 0},
            {"name": "value", "type": "string"}]},
    ]


def test_optional_repeat_and_keys_numbered_in_order() -> None:
    assert tree(parse_syntax("operation destkey:key key:key [key ...]")) == [
        {"name": "operation", "type": "string"},
        {"name": "destkey", "type": "key", "key_spec_index": 0},
        {"name": "key", "type": "key", "key_spec_index": 1, "flags": ["multiple"]},
    ]
    assert tree(parse_syntax("[section [section ...]]")) == [
        {"name": "section", "type": "string", "flags": ["optional", "multiple"]},
    ]
    assert tree(parse_syntax("key1:key key2:key#0"))[1]["key_spec_index"] == 0


def test_repeated_token_is_multiple_token() -> None:
    args = parse_syntax("key:key [GET encoding offset:integer [GET encoding offset ...]]")
    assert tree(args)[1] == {
        "name": "encoding_offset", "type": "block", "token": "GET",
        "flags": ["optional", "multiple", "multiple_token"],
        "arguments": [{"name": "encoding", "type": "string"},
                      {"name": "offset", "type": "integer"}],
    }
    assert render_syntax(args) == "key [GET encoding offset [GET encoding offset ...]]"


def test_token_then_several_arguments_is_a_block_with_the_token() -> None:
    args = parse_syntax(
        "[protover:integer [AUTH username password] [SETNAME clientname]]=arguments")
    assert tree(args) == [{"name": "arguments", "type": "block", "flags": ["optional"],
                           "arguments": [
        {"name": "protover", "type": "integer"},
        {"name": "username_password", "type": "block", "token": "AUTH", "flags": ["optional"],
         "arguments": [{"name": "username", "type": "string"},
                       {"name": "password", "type": "string"}]},
        {"name": "clientname", "type": "string", "token": "SETNAME", "flags": ["optional"]},
    ]}]


def test_angle_brackets_make_a_block_of_one() -> None:
    assert tree(parse_syntax("<parameter> [parameter ...]")) == [
        {"name": "parameter", "type": "block", "flags": ["multiple"],
         "arguments": [{"name": "parameter", "type": "string"}]},
    ]
    assert tree(parse_syntax("[ID <client-id:integer [client-id ...]>=id]@6.2.0")) == [
        {"name": "id", "type": "block", "token": "ID", "since": "6.2.0", "flags": ["optional"],
         "arguments": [{"name": "client-id", "type": "integer", "flags": ["multiple"]}]},
    ]


def test_required_oneof_with_token_and_default_name() -> None:
    args = parse_syntax("[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>]@5.0.0 <ON | OFF | SKIP>")
    assert [(a["name"], a.get("token"), a.get("flags")) for a in tree(args)] == [
        ("normal_master_replica_pubsub", "TYPE", ["optional"]),
        ("on_off_skip", None, None),
    ]
    assert render_syntax(args) == "[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] <ON | OFF | SKIP>"


def test_repeating_oneof_written_as_redis_docs_write_it() -> None:
    filters = '[ID client-id:integer] | [USER username] | [ADDR "ip:port"]'
    args = parse_syntax(f'<"ip:port"!2.8.12 | <{filters} [{filters} ...]>=new-format>=filter')
    assert tree(args) == [{"name": "filter", "type": "oneof", "arguments": [
        {"name": "ip:port", "type": "string", "deprecated_since": "2.8.12"},
        {"name": "new-format", "type": "oneof", "flags": ["multiple"], "arguments": [
            {"name": "client-id", "type": "integer", "token": "ID", "flags": ["optional"]},
            {"name": "username", "type": "string", "token": "USER", "flags": ["optional"]},
            {"name": "ip:port", "type": "string", "token": "ADDR", "flags": ["optional"]},
        ]},
    ]}]
    assert render_syntax(args) == (
        "<ip:port | <[ID client-id] | [USER username] | [ADDR ip:port] "
        "[[ID client-id] | [USER username] | [ADDR ip:port] ...]>>")


def test_nested_optional_blocks() -> None:
    args = parse_syntax("key:key bit:integer [start:integer "
                        "[end:integer [BYTE | BIT]=index_unit@7.0.0]=end_index]=index")
    assert render_syntax(args) == "key bit [start [end [BYTE | BIT]]]"
    index = tree(args)[2]
    assert (index["name"], index["type"], index["flags"]) == ("index", "block", ["optional"])
    end_index = index["arguments"][1]
    assert (end_index["name"], end_index["arguments"][1]["name"]) == ("end_index", "index_unit")


def test_empty_syntax_has_no_arguments() -> None:
    assert parse_syntax("") == []


@pytest.mark.parametrize("text", [
    "[key",  # unclosed
    "key]",  # stray closer
    "key [other ...]",  # repeats nothing before it
    "key:number",  # unknown type
    "[NX | XX]:integer",  # a group has no value type
    "value#0",  # only keys have key-spec indices
    "a | b",  # alternatives outside a group
    "key [key ... more]",  # "..." must end its group
    "key@1@2",  # a suffix twice
])
def test_malformed_notation_is_refused(text: str) -> None:
    with pytest.raises(SyntaxNotationError):
        parse_syntax(text)
