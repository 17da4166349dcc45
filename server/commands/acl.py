"""ACL commands: SETUSER, GETUSER, DELUSER, USERS, WHOAMI, LIST, CAT, LOG, GENPASS,
DRYRUN, SAVE, LOAD and HELP, over the users of server/acl_users.py.

Permission checks are not here: the executor refuses commands (NOPERM) before any
handler runs. These handlers change and show the rules.
"""

from __future__ import annotations

import time
from typing import Any

from protocol.replies import OK, Double, Map, SetReply
from server import errors
from server.acl import (
    DENIED_COMMAND, REASON_NAMES, USER_FLAG_ORDER, AclRuleError, Selector, User, has_spaces,
    merge_selector_args,
)
from server.acl_users import generate_password
from server.commands.args import parse_int
from server.commands.server import help_reply
from server.context import CommandContext
from server.errors import CommandError
from server.registry import (
    ACL_CATEGORY_ORDER, ADMIN, LOADING, NOSCRIPT, SENTINEL, STALE, CommandGroup,
)

group = CommandGroup("server")

acl_container = group.container(
    "ACL", -2, SENTINEL, summary="A container for Access List Control commands ",
    since="6.0.0", complexity="Depends on subcommand.")

_ACL_FLAGS = ADMIN | NOSCRIPT | LOADING | STALE | SENTINEL
_ACL_INFO_FLAGS = NOSCRIPT | LOADING | STALE | SENTINEL
_PER_USER = "O(N). Where N is the number of configured users."
GENPASS_MAX_BITS = 4096


@group.subcommand(acl_container, "SETUSER", -3, _ACL_FLAGS, since="6.0.0",
                  summary="Modify or create the rules for a specific ACL user",
                  complexity="O(N). Where N is the number of rules provided.",
                  history=(("6.2.0", "Added Pub/Sub channel patterns."),
                           ("7.0.0", "Added selectors and key based permissions.")),
                  syntax="username [rule [rule ...]]")
def acl_setuser_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL SETUSER username [rule [rule ...]]

    The rules are applied to a copy of the user, which replaces it only when all of
    them parse. The rules are redacted from the slow log, as Redis does.
    """
    acl = ctx.server.acl
    username = argv[2]
    rules = argv[3:]
    for index in range(2, len(argv)):
        argv[index] = b"(redacted)"
    if has_spaces(username):
        raise CommandError(errors.ACL_USERNAME_SPACES)
    merged, opened_at = merge_selector_args(rules)
    if opened_at is not None:
        raise CommandError(errors.ACL_UNMATCHED_PARENTHESIS
                           % errors.arg_text(rules[opened_at]))
    existing = acl.users.get(username)
    staged = existing.clone() if existing is not None else acl.new_user(username)
    for op in merged:
        try:
            staged.apply(op, acl.table, acl.pubsub_default_all)
        except AclRuleError as error:
            raise CommandError(errors.ACL_BAD_MODIFIER
                               % (errors.arg_text(op), error.reason)) from None
    if existing is None:
        acl.users[username] = staged
        return OK
    acl.disconnect_revoked_subscribers(staged, existing, ctx.client)
    existing.copy_from(staged)
    acl.users_changed([existing])
    return OK


def _selector_fields(selector: Selector, ctx: CommandContext) -> list[tuple[bytes, Any]]:
    return [
        (b"commands", selector.describe_commands(ctx.server.acl.table)),
        (b"keys", selector.describe_keys()),
        (b"channels", selector.describe_channels()),
    ]


@group.subcommand(acl_container, "GETUSER", 3, _ACL_FLAGS, since="6.0.0",
                  summary="Get the rules for a specific ACL user",
                  complexity=("O(N). Where N is the number of password, command and pattern "
                              "rules that the user has."),
                  history=(("6.2.0", "Added Pub/Sub channel patterns."),
                           ("7.0.0", "Added selectors and changed the format of key and "
                                     "channel patterns from a list to their rule "
                                     "representation.")),
                  syntax="username")
def acl_getuser_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL GETUSER username"""
    user = ctx.server.acl.users.get(argv[2])
    if user is None:
        return None
    flags = [flag.encode() for flag in USER_FLAG_ORDER if flag in user.flags]
    return Map([
        (b"flags", SetReply(flags)),
        (b"passwords", [digest.encode() for digest in user.passwords]),
        *_selector_fields(user.root, ctx),
        (b"selectors", [Map(_selector_fields(s, ctx)) for s in user.selectors[1:]]),
    ])


@group.subcommand(acl_container, "DELUSER", -3, _ACL_FLAGS, since="6.0.0",
                  summary="Remove the specified ACL users and the associated rules",
                  complexity="O(1) amortized time considering the typical user.",
                  syntax="username [username ...]")
def acl_deluser_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL DELUSER username [username ...]

    Clients authenticated as a deleted user are disconnected (the caller after this
    reply).
    """
    acl = ctx.server.acl
    if any(name == b"default" for name in argv[2:]):
        raise CommandError(errors.ACL_DEFAULT_UNDELETABLE)
    deleted = [acl.users.pop(name) for name in argv[2:] if name in acl.users]
    acl.disconnect_users(deleted, ctx.client)
    return len(deleted)


@group.subcommand(acl_container, "USERS", 2, _ACL_FLAGS, since="6.0.0",
                  summary="List the username of all the configured ACL rules",
                  complexity=_PER_USER)
def acl_users_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL USERS"""
    return [user.name for user in ctx.server.acl.sorted_users()]


@group.subcommand(acl_container, "LIST", 2, _ACL_FLAGS, since="6.0.0",
                  summary="List the current ACL rules in ACL config file format",
                  complexity=_PER_USER)
def acl_list_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL LIST"""
    return ctx.server.acl.describe_all()


@group.subcommand(acl_container, "WHOAMI", 2, _ACL_INFO_FLAGS, since="6.0.0",
                  summary="Return the name of the user associated to the current connection",
                  complexity="O(1)")
def acl_whoami_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL WHOAMI"""
    user: User | None = ctx.client.user
    return user.name if user is not None else None


@group.subcommand(acl_container, "CAT", -2, _ACL_INFO_FLAGS, since="6.0.0",
                  summary="List the ACL categories or the commands inside a category",
                  complexity="O(1) since the categories and commands are a fixed set.",
                  syntax="[categoryname]")
def acl_cat_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL CAT [categoryname]"""
    if len(argv) > 3:
        raise CommandError(errors.unknown_subcommand_or_arity("acl", argv[1]))
    if len(argv) == 2:
        return [category.encode() for category in ACL_CATEGORY_ORDER]
    category = argv[2].decode("utf-8", "replace").lower()
    table = ctx.server.acl.table
    if category not in table.in_category:
        raise CommandError(errors.ACL_UNKNOWN_CATEGORY % errors.arg_text(argv[2], 128))
    return [spec.name.encode() for spec in table.existing(category)]


@group.subcommand(acl_container, "LOG", -2, _ACL_FLAGS, since="6.0.0",
                  summary="List latest events denied because of ACLs in place",
                  complexity="O(N) with N being the number of entries shown.",
                  syntax="[count:integer | RESET]=operation")
def acl_log_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL LOG [count | RESET]"""
    if len(argv) > 3:
        raise CommandError(errors.unknown_subcommand_or_arity("acl", argv[1]))
    log = ctx.server.acl.log
    count = 10
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            log.entries.clear()
            return OK
        count = max(0, parse_int(argv[2]))
    now_ms = int(time.time() * 1000)
    return [
        Map([
            (b"count", entry.count),
            (b"reason", REASON_NAMES[entry.reason].encode()),
            (b"context", entry.context.encode()),
            (b"object", entry.object),
            (b"username", entry.username),
            (b"age-seconds", Double((now_ms - entry.created_ms) / 1000)),
            (b"client-info", entry.client_info),
        ])
        for entry in log.entries[:count]
    ]


@group.subcommand(acl_container, "GENPASS", -2, _ACL_INFO_FLAGS, since="6.0.0",
                  summary="Generate a pseudorandom secure password to use for ACL users",
                  complexity="O(1)", syntax="[bits:integer]")
def acl_genpass_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL GENPASS [bits]"""
    if len(argv) > 3:
        raise CommandError(errors.unknown_subcommand_or_arity("acl", argv[1]))
    bits = parse_int(argv[2]) if len(argv) == 3 else 256
    if not 0 < bits <= GENPASS_MAX_BITS:
        raise CommandError(errors.ACL_GENPASS_BITS % GENPASS_MAX_BITS)
    return generate_password(bits)


@group.subcommand(acl_container, "DRYRUN", -4, _ACL_FLAGS, since="7.0.0",
                  summary=("Returns whether the user can execute the given command without "
                           "executing the command."),
                  complexity="O(1).", syntax="username command [arg [arg ...]]")
def acl_dryrun_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL DRYRUN username command [arg [arg ...]]

    A refusal is a bulk string reply, not an error, as in Redis.
    """
    server = ctx.server
    user = server.acl.users.get(argv[2])
    if user is None:
        raise CommandError(errors.ACL_DRYRUN_NO_USER % errors.arg_text(argv[2]))
    command = argv[3:]
    spec = server.registry.lookup(command[0])
    if spec is not None and spec.subcommands and len(command) >= 2:
        spec = spec.subcommands.get(command[1].lower())
    if spec is None:
        raise CommandError(errors.ACL_DRYRUN_NO_COMMAND % errors.arg_text(argv[3]))
    if not spec.accepts_arity(len(command)):
        raise CommandError(errors.wrong_arity(spec.name))
    denial = user.check(spec, command)
    if denial is None:
        return OK
    reason, _, denied_object = denial
    if reason == DENIED_COMMAND:
        return b"This user has no permissions to run the '%s' command" % spec.name.encode()
    kind = REASON_NAMES[reason].encode()
    return b"This user has no permissions to access the '%s' %s" % (denied_object, kind)


@group.subcommand(acl_container, "SAVE", 2, _ACL_FLAGS, since="6.0.0",
                  summary="Save the current ACL rules in the configured ACL file",
                  complexity=_PER_USER)
def acl_save_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL SAVE"""
    acl = ctx.server.acl
    path = ctx.server.config["aclfile"]
    if not path:
        raise CommandError(errors.ACL_NO_FILE)
    if not acl.save_file(path):
        raise CommandError(errors.ACL_SAVE_FAILED)
    return OK


@group.subcommand(acl_container, "LOAD", 2, _ACL_FLAGS, since="6.0.0",
                  summary="Reload the ACLs from the configured ACL file",
                  complexity=_PER_USER)
def acl_load_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL LOAD

    Nothing changes unless the whole file is valid; clients of every user but the
    default one are then disconnected, as their users are replaced.
    """
    acl = ctx.server.acl
    path = ctx.server.config["aclfile"]
    if not path:
        raise CommandError(errors.ACL_NO_FILE)
    problems = acl.load_file(path, ctx.client)
    if problems is not None:
        raise CommandError("ERR " + problems)
    return OK


_ACL_HELP = [
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
]


@group.subcommand(acl_container, "HELP", 2, LOADING | STALE | SENTINEL, since="6.0.0",
                  summary="Show helpful text about the different subcommands",
                  complexity="O(1)")
def acl_help_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ACL HELP"""
    return help_reply(_ACL_HELP)
