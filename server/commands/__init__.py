"""Every command group, listed once: this tuple is the command table's only input."""

from server.commands import (
    bitmaps, connection, hashes, keys, lists, server, sets, sort, strings, zsets,
)

ALL_GROUPS = (
    connection.group,
    keys.group,
    strings.group,
    bitmaps.group,
    lists.group,
    hashes.group,
    sets.group,
    zsets.group,
    sort.group,
    server.group,
)
