"""Every command group, listed once: this tuple is the command table's only input,
with the config file's rename-command lines applied on top (command_registry)."""

from server.commands import (
    acl, bitmaps, blocking, connection, hashes, hyperloglog, keys, lists, pubsub, server, sets, sort,
    strings, transactions, zsets,
)
from server.config import Config, ConfigFileError
from server.registry import Registry

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


def command_registry(config: Config) -> Registry:
    """The command table as this config makes it: rename-command lines rename or remove
    commands in file order; one naming no command, or a taken name, is a config error."""
    registry = Registry(ALL_GROUPS)
    for line_number, line, old, new in config.command_renames:
        try:
            registry.rename(old, new)
        except ValueError as error:
            raise ConfigFileError(line_number, line, str(error)) from None
    return registry
