"""Connection commands: PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET and CLIENT."""

from __future__ import annotations

from typing import Any

from protocol.replies import OK, PONG, Map, SimpleString, Verbatim
from server import errors
from server.commands.args import parse_int
from server.commands.pubsub import leave_all
from server.commands.transactions import reset_client_state
from server.context import ClientState, CommandContext, describe_client
from server.acl import DENIED_AUTH
from server.errors import CommandError
from server.registry import (
    ADMIN, ALLOW_BUSY, FAST, LOADING, NO_AUTH, NOSCRIPT, SENTINEL, STALE, CommandGroup,
)
from server.state import REDIS_VERSION

group = CommandGroup("connection", category="connection")

# What the slow log shows in place of credentials.
REDACTED = b"(redacted)"

_CONNECTION_FLAGS = NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | SENTINEL | ALLOW_BUSY


@group.command("PING", -1, FAST | SENTINEL, summary="Ping the server", complexity="O(1)",
               syntax="[message]",
               tips=("request_policy:all_shards", "response_policy:all_succeeded"))
def ping_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """PING [message]"""
    if len(argv) > 2:
        raise CommandError(errors.wrong_arity("ping"))
    client = ctx.client
    if client.protocol == 2 and client.needs_command_filter and client.is_subscribed:
        # RESP2 subscribe mode: PING answers in the shape of a pub/sub message.
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return PONG if len(argv) == 1 else argv[1]


@group.command("ECHO", 2, LOADING | STALE | FAST, summary="Echo the given string",
               complexity="O(1)", syntax="message")
def echo_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """ECHO message"""
    return argv[1]


@group.command("QUIT", -1, ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
               summary="Close the connection", complexity="O(1)")
def quit_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """QUIT"""
    ctx.client.close_after_reply = True
    return OK


@group.command("SELECT", 2, LOADING | STALE | FAST,
               summary="Change the selected database for the current connection",
               complexity="O(1)", syntax="index:integer")
def select_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """SELECT index"""
    index = parse_int(argv[1])
    if not 0 <= index < len(ctx.server.keyspace.dbs):
        raise CommandError(errors.DB_INDEX_OUT_OF_RANGE)
    ctx.select(index)
    return OK


def authenticate(ctx: CommandContext, username: bytes, password: bytes,
                 command_name: bytes) -> None:
    """ACLAuthenticateUser: log the client in as the user, or record the failure in the
    ACL log (its object is the command name as sent) and refuse."""
    acl = ctx.server.acl
    client = ctx.client
    user = acl.authenticate(username, password)
    if user is None:
        acl.record_denial(client, DENIED_AUTH, command_name, username=username)
        raise CommandError(errors.WRONGPASS)
    client.user = user
    client.has_logged_in = True
    client.is_authenticated = True
    client.update_command_filter()


@group.command("AUTH", -2, _CONNECTION_FLAGS, summary="Authenticate to the server",
               complexity="O(N) where N is the number of passwords defined for the user",
               history=(("6.0.0", "Added ACL style (username and password)."),),
               syntax="[username]@6.0.0 password")
def auth_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """AUTH [username] password

    The credentials are redacted from the slow log, as Redis does.
    """
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    credentials = argv[1:]
    argv[1:] = [REDACTED] * len(credentials)
    if len(credentials) == 1:
        if "nopass" in ctx.server.acl.default_user.flags:
            raise CommandError(errors.AUTH_NOT_CONFIGURED)
        username, password = b"default", credentials[0]
    else:
        username, password = credentials
    authenticate(ctx, username, password, argv[0])
    return OK


@group.command("HELLO", -1, _CONNECTION_FLAGS, summary="Handshake with Redis", since="6.0.0",
               complexity="O(1)",
               history=(("6.2.0", "`protover` made optional; when called without arguments "
                                  "the command reports the current connection's context."),),
               syntax="[protover:integer [AUTH username password] [SETNAME clientname]]=arguments")
def hello_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """HELLO [protover [AUTH username password] [SETNAME clientname]]"""
    client = ctx.client
    protocol = client.protocol
    if len(argv) >= 2:
        try:
            protocol = parse_int(argv[1])
        except CommandError:
            raise CommandError(
                "ERR Protocol version is not an integer or out of range") from None
        if protocol not in (2, 3):
            raise CommandError(errors.NOPROTO)
    credentials: tuple[bytes, bytes] | None = None
    new_name: bytes | None = None
    index = 2
    while index < len(argv):
        word = argv[index].upper()
        remaining = len(argv) - index - 1
        if word == b"AUTH" and remaining >= 2:
            credentials = (argv[index + 1], argv[index + 2])
            argv[index + 1] = argv[index + 2] = REDACTED
            index += 3
        elif word == b"SETNAME" and remaining >= 1:
            new_name = argv[index + 1]
            index += 2
        else:
            raise CommandError(
                "ERR Syntax error in HELLO option '%s'" % errors.arg_text(argv[index]))
    if credentials is not None:
        authenticate(ctx, credentials[0], credentials[1], argv[0])
    if not client.is_authenticated:
        raise CommandError(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise "
            "the HELLO AUTH <user> <pass> option can be used to authenticate the "
            "client and select the RESP protocol version at the same time")
    if new_name is not None:
        validate_client_name(new_name)
        client.name = new_name
    client.protocol = protocol
    client.update_command_filter()  # RESP2 subscribe mode depends on the protocol
    return Map([
        (b"server", b"redis"),
        (b"version", REDIS_VERSION.encode()),
        (b"proto", protocol),
        (b"id", client.id),
        (b"mode", b"standalone"),
        (b"role", b"master"),
        (b"modules", []),
    ])


@group.command("RESET", 1, _CONNECTION_FLAGS, summary="Reset the connection", since="6.2.0",
               complexity="O(1)")
def reset_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """RESET"""
    client = ctx.client
    reset_transactions_blocking_pubsub(ctx)
    ctx.select(0)
    client.protocol = 2
    client.name = b""
    client.reply_mode = b"on"
    client.skip_next_reply = False
    client.no_evict = client.no_touch = False
    if client.is_monitor:
        client.is_monitor = False
        try:
            ctx.server.monitors.remove(client)
        except ValueError:
            pass
    # RESET logs the client out: back to the default user, authenticated only if that
    # user needs no password (clearClientConnectionState).
    acl = ctx.server.acl
    client.user = acl.default_user
    client.has_logged_in = acl.is_default_open
    client.is_authenticated = acl.is_default_open
    client.update_command_filter()
    return SimpleString(b"RESET")


def reset_transactions_blocking_pubsub(ctx: CommandContext) -> None:
    """RESET leaves MULTI, unwatches, and unsubscribes without messages."""
    reset_client_state(ctx)
    leave_all(ctx)


# ------------------------------------------------------------------ CLIENT

client_command = group.container(
    "CLIENT", -2, SENTINEL, summary="A container for client connection commands",
    since="2.4.0", complexity="Depends on subcommand.")

_CLIENT_FLAGS = NOSCRIPT | LOADING | STALE

# The old single-address form, or any number of filters; the repeat is written out as
# Redis's docs write it, which is how the parser knows the filters may repeat.
_CLIENT_KILL_FILTERS = (
    '[ID client-id:integer]@2.8.12 | '
    '[TYPE <NORMAL | MASTER@3.2.0 | SLAVE | REPLICA@5.0.0 | PUBSUB>=normal_master_slave_pubsub]'
    '@2.8.12 | [USER username] | [ADDR "ip:port"] | [LADDR "ip:port"]@6.2.0 | [SKIPME "yes/no"]'
)
_CLIENT_KILL_SYNTAX = (
    f'<"ip:port"!2.8.12 | <{_CLIENT_KILL_FILTERS} [{_CLIENT_KILL_FILTERS} ...]>=new-format>=filter'
)


def validate_client_name(name: bytes) -> None:
    if any(byte < 33 or byte > 126 for byte in name):
        raise CommandError(
            "ERR Client names cannot contain spaces, newlines or special characters.")


@group.subcommand(client_command, "ID", 2, _CLIENT_FLAGS, since="5.0.0", complexity="O(1)",
                  summary="Returns the client ID for the current connection")
def client_id_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT ID"""
    return ctx.client.id


@group.subcommand(client_command, "GETNAME", 2, _CLIENT_FLAGS, since="2.6.9", complexity="O(1)",
                  summary="Get the current connection name")
def client_getname_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT GETNAME"""
    return ctx.client.name or None


@group.subcommand(client_command, "SETNAME", 3, _CLIENT_FLAGS, since="2.6.9", complexity="O(1)",
                  summary="Set the current connection name", syntax="connection-name")
def client_setname_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT SETNAME connection-name"""
    validate_client_name(argv[2])
    ctx.client.name = argv[2]
    return OK


@group.subcommand(client_command, "SETINFO", 4, _CLIENT_FLAGS, since="7.2.0", complexity="O(1)",
                  summary="Set client or connection specific info",
                  syntax="<LIB-NAME libname | LIB-VER libver>=attr")
def client_setinfo_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT SETINFO <LIB-NAME libname | LIB-VER libver>

    Redis 7.2's subcommand: redis-py and other clients send it on connect.
    """
    attribute = argv[2].upper()
    if attribute not in (b"LIB-NAME", b"LIB-VER"):
        raise CommandError("ERR Unrecognized option '%s'" % errors.arg_text(argv[2]))
    if any(byte < 33 or byte > 126 for byte in argv[3]):
        raise CommandError(
            "ERR %s cannot contain spaces, newlines or special characters."
            % attribute.decode())
    if attribute == b"LIB-NAME":
        ctx.client.lib_name = argv[3]
    else:
        ctx.client.lib_version = argv[3]
    return OK


@group.subcommand(client_command, "INFO", 2, _CLIENT_FLAGS, since="6.2.0", complexity="O(1)",
                  summary="Returns information about the current client connection.",
                  tips=("nondeterministic_output",))
def client_info_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT INFO"""
    return Verbatim(describe_client(ctx.client, ctx.server) + b"\n")


@group.subcommand(client_command, "LIST", -2, ADMIN | _CLIENT_FLAGS, since="2.4.0",
                  summary="Get the list of client connections",
                  complexity="O(N) where N is the number of client connections",
                  history=(
                      ("2.8.12", "Added unique client `id` field."),
                      ("5.0.0", "Added optional `TYPE` filter."),
                      ("6.0.0", "Added `user` field."),
                      ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and "
                                "the optional `ID` filter."),
                      ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
                      ("7.0.3", "Added `ssub` field."),
                  ),
                  tips=("nondeterministic_output",),
                  syntax="[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>]@5.0.0 "
                         "[ID <client-id:integer [client-id ...]>=id]@6.2.0")
def client_list_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]"""
    clients = list(ctx.server.clients.values())
    index = 2
    while index < len(argv):
        word = argv[index].upper()
        if word == b"TYPE" and index + 1 < len(argv):
            kind = argv[index + 1].lower()
            if kind not in (b"normal", b"master", b"replica", b"slave", b"pubsub"):
                raise CommandError(
                    "ERR Unknown client type '%s'" % errors.arg_text(argv[index + 1]))
            clients = [c for c in clients
                       if kind == (b"pubsub" if c.is_subscribed else b"normal")]
            index += 2
        elif word == b"ID" and index + 1 < len(argv):
            wanted = set()
            for arg in argv[index + 1:]:
                value = parse_int(arg, "ERR Invalid client ID")
                if value <= 0:
                    raise CommandError("ERR Invalid client ID")
                wanted.add(value)
            clients = [c for c in clients if c.id in wanted]
            index = len(argv)
        else:
            raise CommandError(errors.SYNTAX)
    lines = b"".join(describe_client(c, ctx.server) + b"\n" for c in clients)
    return Verbatim(lines)


@group.subcommand(client_command, "KILL", -3, ADMIN | _CLIENT_FLAGS, since="2.4.0",
                  summary="Kill the connection of a client",
                  complexity="O(N) where N is the number of client connections",
                  history=(
                      ("2.8.12", "Added new filter format."),
                      ("2.8.12", "`ID` option."),
                      ("3.2.0", "Added `master` type in for `TYPE` option."),
                      ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still "
                                "supported for backward compatibility."),
                      ("6.2.0", "`LADDR` option."),
                  ),
                  syntax=_CLIENT_KILL_SYNTAX)
def client_kill_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT KILL <ip:port | <[ID client-id] | [TYPE type] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME <YES | NO>]> [...]>"""
    clients = list(ctx.server.clients.values())
    if len(argv) == 3:
        address = argv[2].decode("utf-8", "replace")
        for client in clients:
            if client.address == address:
                _kill(ctx, client)
                return OK
        raise CommandError("ERR No such client")
    if len(argv) % 2:
        raise CommandError(errors.SYNTAX)
    skip_me = True
    filters: list[Any] = []
    for index in range(2, len(argv), 2):
        word, value = argv[index].upper(), argv[index + 1]
        text = value.decode("utf-8", "replace")
        if word == b"ID":
            client_id = parse_int(value, "ERR client-id should be greater than 0")
            if client_id <= 0:
                raise CommandError("ERR client-id should be greater than 0")
            filters.append(lambda c, v=client_id: c.id == v)
        elif word == b"ADDR":
            filters.append(lambda c, v=text: c.address == v)
        elif word == b"LADDR":
            filters.append(lambda c, v=text: c.local_address == v)
        elif word == b"USER":
            wanted_user = ctx.server.acl.users.get(value)
            if wanted_user is None:
                raise CommandError(errors.NO_SUCH_USER % errors.arg_text(value))
            filters.append(lambda c, v=wanted_user: c.user is v)
        elif word == b"TYPE":
            kind = value.lower()
            if kind not in (b"normal", b"master", b"replica", b"slave", b"pubsub"):
                raise CommandError("ERR Unknown client type '%s'" % text)
            # Redis's getClientType: a subscribed client is of type pubsub.
            filters.append(lambda c, v=kind: v == (b"pubsub" if c.is_subscribed else b"normal"))
        elif word == b"SKIPME":
            if value.lower() not in (b"yes", b"no"):
                raise CommandError(errors.SYNTAX)
            skip_me = value.lower() == b"yes"
        else:
            raise CommandError(errors.SYNTAX)
    killed = 0
    for client in clients:
        if skip_me and client is ctx.client:
            continue
        if all(check(client) for check in filters):
            _kill(ctx, client)
            killed += 1
    return killed


def _kill(ctx: CommandContext, client: ClientState) -> None:
    if client is ctx.client:
        client.close_after_reply = True
    elif client.close is not None:
        client.close()


@group.subcommand(client_command, "REPLY", 3, _CLIENT_FLAGS, since="3.2.0", complexity="O(1)",
                  summary="Instruct the server whether to reply to commands",
                  syntax="<ON | OFF | SKIP>")
def client_reply_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT REPLY <ON | OFF | SKIP>"""
    mode = argv[2].lower()
    if mode not in (b"on", b"off", b"skip"):
        raise CommandError(errors.SYNTAX)
    ctx.client.reply_mode = mode
    ctx.client.skip_next_reply = False
    return OK


def _on_off(arg: bytes) -> bool:
    word = arg.upper()
    if word not in (b"ON", b"OFF"):
        raise CommandError(errors.SYNTAX)
    return word == b"ON"


@group.subcommand(client_command, "NO-EVICT", 3, ADMIN | _CLIENT_FLAGS, since="7.0.0",
                  complexity="O(1)",
                  summary="Set client eviction mode for the current connection",
                  syntax="<ON | OFF>=enabled")
def client_no_evict_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT NO-EVICT <ON | OFF>"""
    ctx.client.no_evict = _on_off(argv[2])
    return OK


@group.subcommand(client_command, "NO-TOUCH", 3, _CLIENT_FLAGS, since="7.2.0", complexity="O(1)",
                  summary=("Controls whether commands sent by the client will alter the "
                           "LRU/LFU of the keys they access."),
                  syntax="<ON | OFF>=enabled")
def client_no_touch_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT NO-TOUCH <ON | OFF>"""
    ctx.client.no_touch = _on_off(argv[2])
    return OK


_CLIENT_HELP = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "    * ID <client-id>",
    "      Kill connections by client id.",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "SETINFO <LIB-NAME|LIB-VER> <value>",
    "    Set client meta attr. Options are:",
    "HELP",
    "    Print this help.",
]


@group.subcommand(client_command, "HELP", 2, LOADING | STALE, since="5.0.0", complexity="O(1)",
                  summary="Show helpful text about the different subcommands")
def client_help_command(ctx: CommandContext, argv: list[bytes]) -> Any:
    """CLIENT HELP"""
    return [SimpleString(line.encode()) for line in _CLIENT_HELP]

