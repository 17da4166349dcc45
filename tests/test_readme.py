"""README.md against the code and scripts it describes.

- The generated sections (command table, directive list) must be exactly what
  scripts/command-table prints: a command or directive changed without
  `scripts/command-table --write` fails here, with the diff.
- The quick start holds exactly two set-up commands: the server (scripts/serve) and the
  test command, which must be what .ci/run runs; both must exist and be executable.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import shlex
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"


def load_command_table() -> ModuleType:
    """scripts/command-table as a module (it has no .py suffix)."""
    path = ROOT / "scripts" / "command-table"
    loader = importlib.machinery.SourceFileLoader("command_table", str(path))
    spec = importlib.util.spec_from_loader("command_table", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def command_table() -> ModuleType:
    return load_command_table()


def section(text: str, title: str) -> str:
    """The body of the `## title` section, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def commands_in(markdown: str) -> list[str]:
    """Shell commands in the fenced code blocks: every line that is not blank or a
    comment, with backslash continuations joined."""
    commands: list[str] = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL):
        pending = ""
        for line in block.splitlines():
            stripped = line.strip()
            if not pending and (not stripped or stripped.startswith("#")):
                continue
            if stripped.endswith("\\"):
                pending += stripped[:-1].rstrip() + " "
                continue
            commands.append((pending + stripped).strip())
            pending = ""
    return commands


def ci_command() -> list[str]:
    """What .ci/run executes: its `exec` line, without `exec` and a leading shell."""
    for line in reversed(CI_RUN.read_text().splitlines()):
        words = shlex.split(line, comments=True)
        if words and words[0] == "exec":
            words = words[1:]
            if words and words[0] in ("bash", "sh"):
                words = words[1:]
            return words
    raise AssertionError(".ci/run has no exec line")


# ------------------------------------------------------------------ generated sections

@pytest.mark.parametrize("name", ["commands", "directives"])
def test_generated_section_matches_the_code(command_table: ModuleType, name: str) -> None:
    text = README.read_text()
    sections = command_table.readme_sections(text)
    assert name in sections, f"README.md lacks the generated:{name} markers"
    fresh = command_table.GENERATORS[name]()
    assert sections[name] == fresh, (
        f"README.md's generated:{name} section is stale: run scripts/command-table --write")


def test_command_table_lists_every_command_and_subcommand(command_table: ModuleType) -> None:
    from server.commands import ALL_GROUPS
    from server.registry import Registry

    table = command_table.command_table()
    for spec in Registry(ALL_GROUPS):
        for each in (spec, *spec.subcommands.values()):
            name = each.name.upper().replace("|", " ")
            assert f"| `{name}` | {each.arity} |" in table


def test_rewrite_replaces_only_the_generated_sections(command_table: ModuleType) -> None:
    text = ("intro\n<!-- BEGIN generated:commands (note) -->\nold\n<!-- END generated:commands -->\n"
            "middle\n<!-- BEGIN generated:directives -->\n<!-- END generated:directives -->\n"
            "end\n")
    fresh = command_table.rewrite(text)
    assert fresh.startswith("intro\n<!-- BEGIN generated:commands (note) -->\n")
    assert "\nold\n" not in fresh
    assert "\nmiddle\n" in fresh and fresh.endswith("<!-- END generated:directives -->\nend\n")
    assert command_table.readme_sections(fresh) == {
        "commands": command_table.command_table(),
        "directives": command_table.directive_table(),
    }


# ------------------------------------------------------------------ quick start

def test_quick_start_has_exactly_two_commands() -> None:
    commands = commands_in(section(README.read_text(), "Quick start"))
    assert len(commands) == 2, f"the quick start should hold two commands, has {commands}"
    assert shlex.split(commands[0])[0] == "scripts/serve", commands


def test_quick_start_test_command_is_what_ci_runs() -> None:
    commands = [shlex.split(c) for c in commands_in(section(README.read_text(), "Quick start"))]
    assert ci_command() in commands, (
        f".ci/run runs {ci_command()}, which is not a quick-start command: {commands}")


def test_quick_start_commands_are_executable_scripts() -> None:
    for command in commands_in(section(README.read_text(), "Quick start")):
        program = ROOT / shlex.split(command)[0]
        assert program.is_file(), f"{program} does not exist"
        assert os.access(program, os.X_OK), f"{program} is not executable"


def test_command_parsing_skips_comments_and_joins_continuations() -> None:
    markdown = "text\n```sh\n# comment\n\nscripts/a \\\n  --x 1\n```\nmore\n```\nb c\n```\n"
    assert commands_in(markdown) == ["scripts/a --x 1", "b c"]
