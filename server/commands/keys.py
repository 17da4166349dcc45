"""Generic keyspace commands: DEL, EXISTS, EXPIRE family, SCAN, RENAME, COPY, OBJECT ..."""

from __future__ import annotations

from server.registry import CommandGroup

group = CommandGroup("generic", category="keyspace")
