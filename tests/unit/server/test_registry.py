"""server/registry.py: key specs (where keys are, what COMMAND INFO's legacy range says),
reported flags and categories, and consistency checks over the whole command table."""

from __future__ import annotations

from typing import Iterator

import pytest

from server.command_docs import Arg, render_syntax
from server.commands import ALL_GROUPS
from server.registry import (
    ADMIN, FAST, LOADING, MAY_REPLICATE, PROTECTED, SENTINEL, STALE, WRITE, CommandGroup,
    CommandSpec, KeySpec, Registry, legacy_range,
)


def argv(text: str) -> list[bytes]:
    return text.encode().split()


# ------------------------------------------------------------------ key specs

@pytest.mark.parametrize("spec, command, keys", [
    (KeySpec(1), "GET k", ["k"]),
    (KeySpec(1, -1), "DEL a b c", ["a", "b", "c"]),
    (KeySpec(1, -1, 2), "MSET a 1 b 2", ["a", "b"]),
    (KeySpec(3, -1), "BITOP AND dest a b", ["a", "b"]),
    (KeySpec(1, 2), "LCS a b LEN", ["a", "b"]),
    (KeySpec(1, 2), "LCS a", ["a"]),  # positions past the end are skipped
    (KeySpec(1, -2, limit=2), "CMD a b c d x y", ["a", "b"]),
    (KeySpec(keyword="STREAMS", startfrom=1, last=-1, limit=2), "XREAD COUNT 2 STREAMS s1 s2 0 0",
     ["s1", "s2"]),
    (KeySpec(keyword="KEYS", startfrom=-2, last=-1), "MIGRATE h p \"\" 0 5 KEYS a b", ["a", "b"]),
    (KeySpec(keyword="STREAMS", startfrom=1), "XREAD COUNT 2", []),
    (KeySpec(2, keynum=(0, 1)), "EVAL script 2 k1 k2 arg", ["k1", "k2"]),
    (KeySpec(1, keynum=(0, 1)), "ZUNION x a", []),  # not a number
    (KeySpec(unknown=True), "SORT k BY w_*", []),
])
def test_key_spec_finds_keys(spec: KeySpec, command: str, keys: list[str]) -> None:
    assert spec.keys_in(argv(command)) == [key.encode() for key in keys]


def test_key_spec_reports_redis_search_shapes() -> None:
    assert KeySpec(1, -1, 2).find_keys() == ("range", [("lastkey", -1), ("keystep", 2),
                                                       ("limit", 0)])
    assert KeySpec(1, 2).find_keys()[1][0] == ("lastkey", 1)  # relative to the begin index
    assert KeySpec(keyword="KEYS", startfrom=-2).begin_search() == (
        "keyword", [("keyword", "KEYS"), ("startfrom", -2)])
    assert KeySpec(2, keynum=(0, 1)).find_keys() == (
        "keynum", [("keynumidx", 0), ("firstkey", 1), ("keystep", 1)])
    assert KeySpec(unknown=True).begin_search() == ("unknown", [])


def test_key_spec_refuses_unknown_flags() -> None:
    with pytest.raises(ValueError):
        KeySpec(1, flags=("RO", "acess"))


@pytest.mark.parametrize("specs, expected", [
    ((), ((0, 0, 0), False)),
    ((KeySpec(1, -1, 2),), ((1, -1, 2), False)),
    ((KeySpec(1), KeySpec(2)), ((1, 2, 1), False)),  # RENAME: consecutive ranges merge
    ((KeySpec(2), KeySpec(3, -1)), ((2, -1, 1), False)),  # BITOP
    ((KeySpec(1, flags=("RW", "incomplete")),), ((1, 1, 1), True)),
    ((KeySpec(1), KeySpec(3)), ((1, 1, 1), True)),  # a gap: movable
    ((KeySpec(2, keynum=(0, 1)),), ((0, 0, 0), True)),
    ((KeySpec(3), KeySpec(keyword="KEYS", startfrom=-2, last=-1)), ((3, 3, 1), True)),
])
def test_legacy_range_and_movable_keys_derive_from_specs(
    specs: tuple[KeySpec, ...], expected: tuple[tuple[int, int, int], bool]
) -> None:
    assert legacy_range(specs) == expected


def test_keys_with_flags_uses_the_variable_flags_function() -> None:
    spec = CommandSpec(
        "set", -3, WRITE, None, "string", key_specs=(KeySpec(1, flags=("RW", "variable_flags")),),
        key_flags=lambda args: ("RW",) if b"GET" in args else ("OW",))
    assert spec.keys_with_flags(argv("SET k v GET")) == [(b"k", ("RW",))]
    assert spec.keys_with_flags(argv("SET k v")) == [(b"k", ("OW",))]


# ------------------------------------------------------------------ flags and categories

def test_internal_flags_are_not_reported() -> None:
    spec = CommandSpec("ping", -1, FAST | SENTINEL | MAY_REPLICATE | PROTECTED, None, "connection")
    assert spec.reported_flags() == ["fast"]


def test_movable_keys_is_reported() -> None:
    spec = CommandSpec("eval", -3, WRITE, None, "scripting", key_specs=(KeySpec(2, keynum=(0, 1)),))
    assert spec.reported_flags() == ["write", "movablekeys"]


def test_containers_do_not_take_their_group_category() -> None:
    group = CommandGroup("connection", category="connection")
    container = group.container("CLIENT", -2)
    group.subcommand(container, "KILL", -3, ADMIN | LOADING | STALE)(lambda ctx, args: None)
    assert container.categories() == ["slow"]
    assert container.subcommands[b"kill"].categories() == [
        "admin", "slow", "dangerous", "connection"]


# ------------------------------------------------------------------ the whole table

def all_specs() -> Iterator[CommandSpec]:
    for spec in Registry(ALL_GROUPS):
        yield spec
        yield from spec.subcommands.values()


def key_arguments(args: tuple[Arg, ...] | list[Arg]) -> Iterator[Arg]:
    for arg in args:
        if arg.type == "key":
            yield arg
        yield from key_arguments(arg.arguments)


def test_every_key_argument_points_at_a_key_spec() -> None:
    wrong = [
        f"{spec.name}: {arg.name} -> {arg.key_spec_index}"
        for spec in all_specs() for arg in key_arguments(spec.arguments)
        if arg.key_spec_index is None or arg.key_spec_index >= len(spec.key_specs)
    ]
    assert wrong == []


# Handlers whose docstring shows a syntax line other than the one Redis 7.0.15's
# COMMAND DOCS gives, and why.
DOCSTRING_SYNTAX_DIFFERS = {
    "client|kill": "the docstring shows the newer docs' SKIPME <YES | NO> form",
    "lcs": "Redis 7.0.15 names MINMATCHLEN's argument len; the docs say min-match-len",
    "bitop": "the docstring spells out the operations; 7.0.15 has one string argument",
    "command|getkeys": "Redis 7.0.15 documents no arguments for GETKEYS",
    "command|getkeysandflags": "Redis 7.0.15 documents no arguments for GETKEYSANDFLAGS",
    "debug": "DEBUG is undocumented (syscmd); the docstring shows its shape",
}


def test_handler_docstrings_show_the_declared_syntax() -> None:
    """The house style makes a handler's docstring its syntax line; it must agree with
    the syntax COMMAND DOCS is built from."""
    wrong = []
    for spec in all_specs():
        if spec.subcommands or spec.handler is None or spec.name in DOCSTRING_SYNTAX_DIFFERS:
            continue
        documented = (spec.handler.__doc__ or "").strip().splitlines()[0]
        rendered = " ".join([spec.name.replace("|", " ").upper(),
                             render_syntax(list(spec.arguments))]).strip()
        if documented != rendered:
            wrong.append(f"{spec.name}: docstring {documented!r}, syntax gives {rendered!r}")
    assert wrong == []
