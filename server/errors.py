"""Every error a command can answer, with Redis 7.0's exact text.

Handlers raise `CommandError`; the executor turns it into an error reply and keeps the
connection. The first word of a message is its code (ERR, WRONGTYPE, ...): INFO
errorstats counts by it, so messages here spell the code out and nothing adds one
implicitly.
"""

from __future__ import annotations


class CommandError(Exception):
    """An error reply for the current command; the connection stays open."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
OVERFLOW = "ERR increment or decrement would overflow"
NO_SUCH_KEY = "ERR no such key"
INDEX_OUT_OF_RANGE = "ERR index out of range"
DB_INDEX_OUT_OF_RANGE = "ERR DB index is out of range"
SAME_OBJECT = "ERR source and destination objects are the same"
INVALID_EXPIRE = "ERR invalid expire time in '%s' command"
NOT_ALLOWED_INCR_NAN = "ERR increment would produce NaN or Infinity"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_NOT_CONFIGURED = (
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)
LOADING = "LOADING Redis is loading the dataset in memory"
NOPROTO = "NOPROTO unsupported protocol version"
SLEEP_NOT_ALLOWED = "ERR invalid timeout"
TIMEOUT_NEGATIVE = "ERR timeout is negative"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"


def wrong_arity(command_name: str) -> str:
    return f"ERR wrong number of arguments for '{command_name}' command"


def _preview(argv: list[bytes]) -> str:
    """Redis quotes the first arguments until the preview reaches 128 characters."""
    text = ""
    for arg in argv:
        if len(text) >= 128:
            break
        text += "'%s' " % arg[: 128 - len(text)].decode("utf-8", "replace")
    return text


def unknown_command(argv: list[bytes]) -> str:
    name = argv[0][:128].decode("utf-8", "replace")
    return f"ERR unknown command '{name}', with args beginning with: {_preview(argv[1:])}"


def unknown_subcommand(container: str, subcommand: bytes) -> str:
    name = subcommand[:128].decode("utf-8", "replace")
    return f"ERR unknown subcommand '{name}'. Try {container.upper()} HELP."


def unknown_subcommand_or_arity(container: str, subcommand: bytes) -> str:
    name = subcommand[:128].decode("utf-8", "replace")
    return (
        f"ERR unknown subcommand or wrong number of arguments for '{name}'. "
        f"Try {container.upper()} HELP."
    )
