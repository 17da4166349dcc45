"""The import rules of STYLE 2.2, read from the source with ast (nothing is imported):

- protocol/ is sans-IO: it imports nothing from server/ or persistence/, and no I/O
  machinery (asyncio, uvloop, socket, selectors, ssl);
- persistence/ never imports server.executor or server.keyspace: it receives callables
  and iterators at wiring time;
- inside server/, only app.py (the composition root) imports persistence.

Imports under `if TYPE_CHECKING:` count too: the architecture must be visible in them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

IO_MODULES = ("asyncio", "uvloop", "socket", "selectors", "ssl")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    return imports_of(path.read_text(), module_name(path), path.name == "__init__.py")


def imports_of(source: str, module: str, is_package: bool) -> set[str]:
    """Every module that `source` imports, as absolute dotted names; for `from a import b`
    both `a` and `a.b` (b may be a submodule)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package[: len(package) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def is_within(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".")


def violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sources(package):
        for name in sorted(imported_modules(path)):
            if any(is_within(name, bad) for bad in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_protocol_imports_no_server_persistence_or_io() -> None:
    assert sources("protocol"), "protocol/ has no modules"
    assert violations("protocol", ("server", "persistence") + IO_MODULES) == []


def test_persistence_does_not_import_executor_or_keyspace() -> None:
    if not (ROOT / "persistence").is_dir():
        pytest.skip("persistence/ does not exist yet")
    assert violations("persistence", ("server.executor", "server.keyspace")) == []


def test_only_the_composition_root_imports_persistence() -> None:
    found = [v for v in violations("server", ("persistence",))
             if not v.startswith(("server/app.py ", "server/__main__.py "))]
    assert found == []


# The checker itself, on a source written for the purpose.


def test_import_parser_resolves_every_form() -> None:
    source = (
        "import asyncio\n"
        "import server.keyspace as ks\n"
        "from server import executor\n"
        "from . import writer\n"
        "from ..rdb.format import RdbType\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from server.datatypes import ZSet\n"
        "def later():\n"
        "    import socket\n"
    )
    assert imports_of(source, "persistence.aof.loader", is_package=False) == {
        "asyncio", "server.keyspace", "server", "server.executor", "persistence.aof",
        "persistence.aof.writer", "persistence.rdb.format", "persistence.rdb.format.RdbType",
        "typing", "typing.TYPE_CHECKING", "server.datatypes", "server.datatypes.ZSet", "socket",
    }
    assert imports_of("from . import resp\n", "protocol", is_package=True) == {
        "protocol", "protocol.resp",
    }
