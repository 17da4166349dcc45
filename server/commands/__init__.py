"""Every command group, listed once: this tuple is the command table's only input."""

from server.commands import (
    acl, bitmaps, blocking, connection, hashes, hyperloglog, keys, lists, pubsub, server, sets, sort,
    strings, transactions, zsets,
)

ALL_GROUPS = (
    connection.group,
    keys.group,
    strings.group,
    bitmaps.group,
    hyperloglog.group,
    lists.group,
    hashes.group,
    sets.group,
    zsets.group,
    sort.group,
    server.group,
    blocking.list_group,
    blocking.zset_group,
    pubsub.group,
    transactions.group,
    acl.group,
)
