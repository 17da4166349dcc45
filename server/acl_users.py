"""The server's ACL users (AccessControl): the default user, which follows requirepass and
is changed in place, never replaced; the other users by name; the ACL log; ACL files
(ACL SAVE/LOAD, `aclfile` at startup) and the config file's `user` lines; and telling
clients when their user changes or goes (server/acl.py has the rules themselves).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from server.acl import (
    AclRuleError, CommandTable, User, as_text, has_spaces, merge_selector_args,
)
from server.context import describe_client
from server.glob import glob_match

if TYPE_CHECKING:
    from server.context import ClientState
    from server.registry import Registry

log = logging.getLogger("emberkv.acl")

# ------------------------------------------------------------------ the log

LOG_GROUPING_MS = 60000


@dataclass
class LogEntry:
    count: int
    reason: int
    context: str
    object: bytes
    username: bytes
    created_ms: int
    client_info: bytes


class AclLog:
    def __init__(self) -> None:
        self.entries: list[LogEntry] = []  # newest first

    def add(self, entry: LogEntry, max_len: int) -> None:
        """addACLLogEntry: a similar recent entry (among the 10 newest) is bumped and
        moved to the front instead of adding one."""
        for index, current in enumerate(self.entries[:10]):
            if (current.reason == entry.reason and current.context == entry.context
                    and abs(current.created_ms - entry.created_ms) <= LOG_GROUPING_MS
                    and current.object == entry.object
                    and current.username == entry.username):
                del self.entries[index]
                current.count += 1
                current.created_ms = entry.created_ms
                current.client_info = entry.client_info
                self.entries.insert(0, current)
                return
        self.entries.insert(0, entry)
        del self.entries[max_len:]


# ------------------------------------------------------------------ the user set

class AccessControl:
    """Every user by name, the default user (always present, never replaced: it is
    changed in place), the log, and the clients to tell when users change."""

    def __init__(self, registry: "Registry", config: Any,
                 clients: dict[int, "ClientState"]) -> None:
        self.table = CommandTable(registry)
        self.config = config
        self.clients = clients
        self.log = AclLog()
        self.default_user = self.new_default_user()
        self.users: dict[bytes, User] = {b"default": self.default_user}

    @property
    def pubsub_default_all(self) -> bool:
        return self.config["acl-pubsub-default"] == "allchannels"

    def new_user(self, name: bytes) -> User:
        return User(name, all_channels=self.pubsub_default_all)

    def new_default_user(self) -> User:
        user = self.new_user(b"default")
        for op in (b"+@all", b"~*", b"&*", b"on", b"nopass"):
            user.apply(op, self.table, self.pubsub_default_all)
        return user

    def apply_rules(self, user: User, rules: list[bytes]) -> None:
        for op in rules:
            user.apply(op, self.table, self.pubsub_default_all)

    def sorted_users(self) -> list[User]:
        return [self.users[name] for name in sorted(self.users)]

    def authenticate(self, name: bytes, password: bytes) -> User | None:
        user = self.users.get(name)
        if user is None or not user.check_password(password):
            return None
        return user

    @property
    def is_default_open(self) -> bool:
        """No AUTH needed: the default user is on and nopass (Redis's authRequired)."""
        flags = self.default_user.flags
        return "nopass" in flags and "on" in flags

    def set_default_password(self, password: str) -> None:
        """requirepass: ACLUpdateDefaultUserPassword."""
        user = self.default_user
        self.apply_rules(user, [b"resetpass"])
        if password:
            self.apply_rules(user, [b">" + password.encode("utf-8", "surrogateescape")])
        else:
            self.apply_rules(user, [b"nopass"])
        self.users_changed([user])

    def users_changed(self, users: Iterable[User]) -> None:
        """Rules changed: clients of these users recompute whether they are checked, and
        every client whether it needs AUTH (the default user may have opened)."""
        changed = {id(user) for user in users}
        is_open = self.is_default_open
        for client in self.clients.values():
            if client.user is not None and id(client.user) in changed:
                client.update_command_filter()
            client.is_authenticated = client.has_logged_in or is_open

    def disconnect_users(self, users: Iterable[User], current: "ClientState | None") -> None:
        """ACLFreeUserAndKillClients: clients of deleted users are reset to the default
        user, unauthenticated, and closed (the current one after its reply)."""
        gone = {id(user) for user in users}
        for client in list(self.clients.values()):
            if client.user is None or id(client.user) not in gone:
                continue
            client.user = self.default_user
            client.has_logged_in = False
            client.is_authenticated = False
            client.update_command_filter()
            if client is current:
                client.close_after_reply = True
            elif client.close is not None:
                client.close()

    def describe_all(self) -> list[bytes]:
        """ACL LIST, and the lines of an ACL file: "user <name> <rules>", by name."""
        return [b"user " + user.name + b" " + user.describe(self.table)
                for user in self.sorted_users()]

    def config_file_lines(self) -> list[str] | None:
        """CONFIG REWRITE's `user` lines: every user, or None (drop them) when users
        live in an aclfile."""
        if self.config["aclfile"]:
            return None
        return [as_text(line) for line in self.describe_all()]

    def disconnect_revoked_subscribers(self, new: User, original: User,
                                       current: "ClientState | None") -> None:
        """ACLKillPubsubClientsIfNeeded: subscribers of `original` whose channels or
        patterns `new` no longer allows are disconnected; nothing is checked when the
        new rules allow all channels, or keep every old pattern of a user that did not."""
        if any(s.all_channels for s in new.selectors):
            return
        upcoming = [pattern for s in new.selectors for pattern in s.channels]
        if not any(s.all_channels for s in original.selectors) and all(
                pattern in upcoming for s in original.selectors for pattern in s.channels):
            return
        for client in list(self.clients.values()):
            if client.user is not original or not client.is_subscribed:
                continue
            revoked = any(pattern not in upcoming for pattern in client.patterns) or any(
                not any(glob_match(pattern, channel) for pattern in upcoming)
                for channel in (*client.channels, *client.shard_channels))
            if not revoked:
                continue
            if client is current:
                client.close_after_reply = True
            elif client.close is not None:
                client.close()

    # ------------------------------------------------------------ ACL files

    def save_file(self, path: str) -> bool:
        """ACLSaveToFile: every user's line, written to a temp file renamed over `path`."""
        content = b"".join(line + b"\n" for line in self.describe_all())
        temp_path = f"{path}.tmp-{os.getpid()}-{int(time.time() * 1000)}"
        try:
            with open(temp_path, "wb") as handle:
                handle.write(content)
            os.rename(temp_path, path)
        except OSError as error:
            log.warning("Writing ACL file for ACL SAVE: %s", error.strerror)
            try:
                os.unlink(temp_path)
            except OSError:
                pass
            return False
        return True

    def load_file(self, path: str, current: "ClientState | None" = None) -> str | None:
        """ACLLoadFromFile: all users from the file, or nothing and the problems in one
        line (Redis's words, each line's problems in turn). On success the default user
        takes the file's rules in place and every other user is replaced, which
        disconnects their clients."""
        try:
            with open(path, "rb") as handle:
                text = handle.read()
        except OSError as error:
            return f"Error loading ACLs, opening file '{path}': {error.strerror}"
        problems = ""
        users: dict[bytes, User] = {}
        for number, raw_line in enumerate(text.split(b"\n"), start=1):
            line = raw_line.strip(b" \t\r\n")
            if not line:
                continue
            words = line.split(b" ")
            if words[0] != b"user" or len(words) < 2:
                problems += (f"{path}:{number} should start with user keyword followed by "
                             "the username. ")
                continue
            name = words[1]
            if has_spaces(name):
                problems += (f"'{path}:{number}: username '{as_text(name)}' contains invalid "
                             "characters. ")
                continue
            if name in users:
                problems += f"WARNING: Duplicate user '{as_text(name)}' found on line {number}. "
                continue
            user = users[name] = self.new_user(name)
            rules, opened_at = merge_selector_args(words[2:])
            if opened_at is not None:
                problems += f"{path}:{number}: Unmatched parenthesis in selector definition."
                rules = []
            has_syntax_error = False
            for op in rules:
                op = op.strip(b"\t\r\n")
                try:
                    user.apply(op, self.table, self.pubsub_default_all)
                except AclRuleError as error:
                    # Unknown names are all reported; other errors, which may affect
                    # the rules after them, only the first of the line.
                    if error.ignorable:
                        shown = as_text(op.partition(b"\0")[0])
                        problems += (f"{path}:{number}: Error in applying operation "
                                     f"'{shown}': {error.reason}. ")
                    elif not has_syntax_error:
                        problems += f"{path}:{number}: {error.reason}. "
                        has_syntax_error = True
        if problems:
            return (problems + "WARNING: ACL errors detected, no change to the previously "
                    "active ACL rules was performed")
        self.replace_users(users, current)
        return None

    def replace_users(self, users: dict[bytes, User], current: "ClientState | None") -> None:
        new_default = users.pop(b"default", None) or self.new_default_user()
        self.default_user.copy_from(new_default)
        replaced = [user for name, user in self.users.items() if name != b"default"]
        self.users = {b"default": self.default_user, **users}
        self.disconnect_users(replaced, current)
        self.users_changed([self.default_user])

    def load_config_users(self, declarations: list[list[bytes]]) -> None:
        """ACLLoadConfiguredUsers: the `user` lines of the config file, at startup.
        Raises AclRuleError naming the rule and user, as Redis logs before exiting."""
        for name, *rules in declarations:
            if has_spaces(name):
                raise AclRuleError("Spaces not allowed in ACL usernames")
            user = self.users.get(name)
            if user is None:
                user = self.users[name] = self.new_user(name)
            else:
                user.apply(b"reset", self.table, self.pubsub_default_all)
            for op in rules:
                try:
                    user.apply(op, self.table, self.pubsub_default_all)
                except AclRuleError as error:
                    raise AclRuleError(
                        f"Error loading ACL rule '{as_text(op)}' for the user named "
                        f"'{as_text(name)}': {error.reason}") from None
            if "off" in user.flags:
                log.info("The user '%s' is disabled (there is no 'on' modifier in the user "
                         "description). Make sure this is not a configuration error.",
                         as_text(name))
        self.users_changed(self.users.values())

    def record_denial(self, client: "ClientState", reason: int, object_name: bytes,
                      username: bytes | None = None, context: str | None = None) -> None:
        """addACLLogEntry for a refused command (or AUTH: `username` is the one tried)."""
        if context is None:
            # Inside EXEC too: Redis's client keeps its MULTI flag while EXEC runs.
            context = "multi" if client.in_multi or client.in_exec else "toplevel"
        entry = LogEntry(
            count=1, reason=reason, context=context,
            object=object_name,
            username=username if username is not None else (
                client.user.name if client.user is not None else b""),
            created_ms=int(time.time() * 1000), client_info=describe_client(client, None),
        )
        self.log.add(entry, self.config["acllog-max-len"])


def generate_password(bits: int) -> bytes:
    """ACL GENPASS: (bits + 3) // 4 random hex characters."""
    chars = (bits + 3) // 4
    return os.urandom((chars + 1) // 2).hex()[:chars].encode()
