"""INFO section selection, layout and the provider contract, in-process (no sockets)."""

from __future__ import annotations

from server.commands import ALL_GROUPS
from server.config import Config
from server.info import bytes_to_human, render_info, requested_sections
from server.registry import Registry
from server.state import ServerState


def make_server() -> ServerState:
    return ServerState(Config(), Registry(ALL_GROUPS))


def fields_of(text: bytes, section: str) -> list[tuple[str, str]]:
    for block in text.decode().split("\r\n\r\n"):
        lines = block.strip("\r\n").split("\r\n")
        if lines[0] == f"# {section}":
            return [tuple(line.split(":", 1)) for line in lines[1:]]  # type: ignore[misc]
    raise AssertionError(f"no {section} section")


def test_default_all_and_names_select_sections() -> None:
    assert "commandstats" not in requested_sections([])
    assert requested_sections([b"default"]) == requested_sections([])
    assert "commandstats" in requested_sections([b"all"])
    assert requested_sections([b"EVERYTHING"]) == requested_sections([b"all"])
    assert requested_sections([b"Server", b"bogus"]) == {"server", "bogus"}


def test_unknown_sections_render_nothing() -> None:
    assert render_info(make_server(), [b"bogus"]) == b""


def test_sections_keep_redis_order_and_separators() -> None:
    text = render_info(make_server(), [b"keyspace", b"modules", b"cluster"])
    assert text == b"# Modules\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\n"


def test_a_provider_replaces_fields_in_place_and_appends_new_ones() -> None:
    server = make_server()
    server.add_info_provider("persistence", lambda: [
        ("aof_enabled", 1), ("rdb_saves", 3), ("aof_base_size", 10)])
    fields = fields_of(render_info(server, [b"persistence"]), "Persistence")
    names = [name for name, _ in fields]
    assert dict(fields)["aof_enabled"] == "1" and dict(fields)["rdb_saves"] == "3"
    assert names.index("rdb_saves") < names.index("aof_enabled")  # kept Redis's place
    assert names[-1] == "aof_base_size"


def test_several_providers_apply_in_order() -> None:
    server = make_server()
    server.add_info_provider("persistence", lambda: [("aof_enabled", 1)])
    server.add_info_provider("persistence", lambda: [("aof_enabled", 2)])
    assert dict(fields_of(render_info(server, []), "Persistence"))["aof_enabled"] == "2"


def test_a_provider_for_a_new_section_adds_it_to_all() -> None:
    server = make_server()
    server.add_info_provider("extras", lambda: [("thing", "x")])
    assert b"# Extras" not in render_info(server, [])
    assert render_info(server, [b"extras"]) == b"# Extras\r\nthing:x\r\n"
    assert render_info(server, [b"all"]).endswith(b"\r\n\r\n# Extras\r\nthing:x\r\n")


def test_bytes_to_human_matches_redis() -> None:
    assert [bytes_to_human(n) for n in (0, 1023, 1024, 916392, 11923456, 25276514304)] == [
        "0B", "1023B", "1.00K", "894.91K", "11.37M", "23.54G"]
