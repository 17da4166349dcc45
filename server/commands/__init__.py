"""Every command group, listed once: this tuple is the command table's only input."""

from server.commands import bitmaps, connection, keys, server, strings

ALL_GROUPS = (
    connection.group,
    keys.group,
    strings.group,
    bitmaps.group,
    server.group,
)
