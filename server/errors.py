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
# Refused writes (and PING) while the AOF cannot be written; %s is strerror(errno).
MISCONF_AOF = "MISCONF Errors writing to the AOF file: %s"
MISCONF_RDB = (
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist "
    "to disk. Commands that may modify the data set are disabled, because this instance is "
    "configured to report errors during writes if RDB snapshotting fails "
    "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
    "RDB error.")
NOPROTO = "NOPROTO unsupported protocol version"
SLEEP_NOT_ALLOWED = "ERR invalid timeout"
TIMEOUT_NEGATIVE = "ERR timeout is negative"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
# Generic keyspace commands (keys.py, scan.py).
INVALID_CURSOR = "ERR invalid cursor"
NOT_INT32 = "ERR value is out of range, value must between -2147483648 and 2147483647"
EXPIRE_NX_CONFLICT = "ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_GT_LT_CONFLICT = "ERR GT and LT options at the same time are not compatible"
UNSUPPORTED_OPTION = "ERR Unsupported option %s"
# DUMP and RESTORE (keys.py); the payload errors come from the hook in server/app.py.
BUSYKEY = "BUSYKEY Target key name already exists."
DUMP_PAYLOAD_INVALID = "ERR DUMP payload version or checksum are wrong"
BAD_DATA_FORMAT = "ERR Bad data format"
INVALID_TTL = "ERR Invalid TTL value, must be >= 0"
INVALID_IDLETIME = "ERR Invalid IDLETIME value, must be >= 0"
INVALID_FREQ = "ERR Invalid FREQ value, must be >= 0 and <= 255"
LFU_NOT_SELECTED = (
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
    "Please note that when switching between policies at runtime LRU and LFU data will "
    "take some time to adjust."
)
IDLETIME_UNDER_LFU = (
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that "
    "when switching between policies at runtime LRU and LFU data will take some time to "
    "adjust."
)
OOM = "OOM command not allowed when used memory > 'maxmemory'."
# Strings and bitmaps (strings.py, bitmaps.py).
DECREMENT_OVERFLOW = "ERR decrement would overflow"
OFFSET_OUT_OF_RANGE = "ERR offset is out of range"
LCS_NOT_STRINGS = "ERR The specified keys must contain string values"
LCS_LEN_AND_IDX = "ERR If you want both the length and indexes, please just use IDX."
LCS_TOO_LONG = "ERR String too long for LCS"
LCS_TABLE_TOO_BIG = (
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
)
BITPOS_BIT = "ERR The bit argument must be 1 or 0."
BITOP_NOT_ONE_KEY = "ERR BITOP NOT must be called with a single source key."
BITFIELD_TYPE = (
    "ERR Invalid bitfield type. Use something like i16 u8. "
    "Note that u64 is not supported but i64 is."
)
BITFIELD_OVERFLOW_TYPE = "ERR Invalid OVERFLOW type specified"
BITFIELD_RO_WRITE = "ERR BITFIELD_RO only supports the GET subcommand"
# HyperLogLog: a string that is no HLL at all, one whose opcodes are corrupt, PFDEBUG's.
HLL_NOT_VALID = "WRONGTYPE Key is not a valid HyperLogLog string value."
HLL_CORRUPT = "INVALIDOBJ Corrupted HLL object detected"
HLL_DEBUG_NO_KEY = "ERR The specified key does not exist"
HLL_NOT_SPARSE = "ERR HLL encoding is not sparse"
HLL_DEBUG_UNKNOWN = "ERR Unknown PFDEBUG subcommand '%s'"
# Lists (lists.py); the two *_NOT_POSITIVE texts of LMPOP are ZMPOP's too.
NOT_POSITIVE = "ERR value is out of range, must be positive"
NUMKEYS_NOT_POSITIVE = "ERR numkeys should be greater than 0"
COUNT_NOT_POSITIVE = "ERR count should be greater than 0"
RANK_ZERO = (
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)
COUNT_NEGATIVE = "ERR COUNT can't be negative"
MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative"
# Sorted sets (zsets.py).
ZADD_NX_XX = "ERR XX and NX options at the same time are not compatible"
ZADD_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
ZADD_INCR_PAIRS = "ERR INCR option supports a single increment-element pair"
ZSET_NAN_SCORE = "ERR resulting score is not a number (NaN)"
ZSET_RANGE_NOT_FLOAT = "ERR min or max is not a float"
ZSET_LEX_RANGE = "ERR min or max not valid string range item"
ZRANGE_LIMIT_NEEDS_BY = (
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
)
ZRANGE_WITHSCORES_BYLEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
ZSET_NEED_KEYS = "ERR at least 1 input key is needed for '%s' command"
ZSET_WEIGHT_NOT_FLOAT = "ERR weight value is not a float"
ZSET_LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
ZRANDMEMBER_RANGE = (
    "ERR value is out of range, value must between -9223372036854775807 and "
    "9223372036854775807"
)
VALUE_OUT_OF_RANGE = "ERR value is out of range"
# SORT (sort.py).
SORT_NOT_DOUBLE = "ERR One or more scores can't be converted into double"
# Hashes and sets (hashes.py, sets.py).
HASH_NOT_INTEGER = "ERR hash value is not an integer"
HASH_NOT_FLOAT = "ERR hash value is not a float"
NAN_OR_INFINITY = "ERR value is NaN or Infinity"
SINTERCARD_TOO_MANY_KEYS = "ERR Number of keys can't be greater than number of args"


NOT_ALLOWED_IN_MULTI = "ERR Command not allowed inside a transaction"

# ACL (server/acl.py, server/commands/acl.py).
NOPERM_KEY = "NOPERM this user has no permissions to access one of the keys used as arguments"
NOPERM_CHANNEL = (
    "NOPERM this user has no permissions to access one of the channels used as arguments")
# EXEC re-checks queued commands: the reasons it gives, by denial (acl.DENIED_*).
NOPERM_CHANGED_IN_MULTI = (
    "NOPERM ACLs rules changed between the moment the transaction was accumulated and the "
    "EXEC call. This command is no longer allowed for the following reason: %s")
_EXEC_DENIAL_REASONS = {
    1: "no permission to execute the command or subcommand",
    2: "no permission to touch the specified keys",
    4: "no permission to access one of the channels used as arguments",
}
ACL_NO_FILE = (
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
    "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
    "Redis configuration file set) in order to store users in the Redis configuration.")
ACL_USERNAME_SPACES = "ERR Usernames can't contain spaces or null characters"
ACL_UNMATCHED_PARENTHESIS = "ERR Unmatched parenthesis in acl selector starting at '%s'."
ACL_BAD_MODIFIER = "ERR Error in ACL SETUSER modifier '%s': %s"
ACL_DEFAULT_UNDELETABLE = "ERR The 'default' user cannot be removed"
ACL_UNKNOWN_CATEGORY = "ERR Unknown category '%s'"
ACL_GENPASS_BITS = (
    "ERR ACL GENPASS argument must be the number of bits for the output password, a "
    "positive number up to %d")
ACL_DRYRUN_NO_USER = "ERR User '%s' not found"
ACL_DRYRUN_NO_COMMAND = "ERR Command '%s' not found"
NO_SUCH_USER = "ERR No such user '%s'"
ACL_SAVE_FAILED = (
    "ERR There was an error trying to save the ACLs. Please check the server logs for more "
    "information")


def noperm(reason: int, command_name: str) -> str:
    """processCommand's NOPERM text for an acl.DENIED_* reason."""
    if reason == 1:
        return f"NOPERM this user has no permissions to run the '{command_name}' command"
    return NOPERM_KEY if reason == 2 else NOPERM_CHANNEL


def noperm_in_exec(reason: int) -> str:
    return NOPERM_CHANGED_IN_MULTI % _EXEC_DENIAL_REASONS.get(reason, "no permission")


def subscribe_mode(command_name: str) -> str:
    return (f"ERR Can't execute '{command_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
            "PING / QUIT / RESET are allowed in this context")


def wrong_arity(command_name: str) -> str:
    return f"ERR wrong number of arguments for '{command_name}' command"


def _c_string(arg: bytes, limit: int | None = None) -> bytes:
    """What C's `%s` (or `%.<limit>s`) prints of an argument: bytes up to the first
    NUL, at most `limit` of them."""
    end = arg.find(b"\0", 0, limit)
    return arg[:limit] if end < 0 else arg[:end]


def _wire_text(data: bytes) -> str:
    """Error messages are str; surrogateescape lets the encoder (encode_error) write
    back the very bytes the client sent, as Redis does, instead of U+FFFD."""
    return data.decode("utf-8", "surrogateescape")


def arg_text(arg: bytes, limit: int | None = None) -> str:
    """A client argument quoted in an error message as Redis's `%s` / `%.<limit>s`
    would: cut at the first NUL (and at `limit` bytes), its bytes kept unchanged."""
    return _wire_text(_c_string(arg, limit))


def unknown_command(argv: list[bytes]) -> str:
    """Redis's `'%.*s' ` preview: arguments are quoted until the preview reaches 128
    bytes, each cut to what is left of them. Counting bytes, not characters, keeps the
    cut where Redis makes it inside multi-byte UTF-8. CR and LF stay in the message;
    the encoder turns them into spaces, as rejectCommandFormat does."""
    preview = b""
    for arg in argv[1:]:
        if len(preview) >= 128:
            break
        preview += b"'" + _c_string(arg, 128 - len(preview)) + b"' "
    name = _c_string(argv[0], 128)
    return _wire_text(b"ERR unknown command '" + name + b"', with args beginning with: "
                      + preview)


def unknown_subcommand(container: str, subcommand: bytes) -> str:
    name = arg_text(subcommand, 128)
    return f"ERR unknown subcommand '{name}'. Try {container.upper()} HELP."


def unknown_subcommand_or_arity(container: str, subcommand: bytes) -> str:
    name = arg_text(subcommand, 128)
    return (
        f"ERR unknown subcommand or wrong number of arguments for '{name}'. "
        f"Try {container.upper()} HELP."
    )
