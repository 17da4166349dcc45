"""Keyspace notifications (`notify-keyspace-events`): pub/sub messages about key changes.

For each change Redis publishes `__keyspace@<db>__:<key>` → event (class K) and
`__keyevent@<db>__:<event>` → key (class E), when the event's class is enabled
(g generic, $ string, l list, s set, h hash, z sorted set, x expired, e evicted; A = all
of them with t/d, which EmberKV never emits).

Redis calls notifyKeyspaceEvent from inside each command. Here the events are derived
from the write stream, which says in order every change as a command: the table below
maps each logged command to the events Redis emits for it, and a collection left empty
adds "del". The notifier is a write-stream subscriber attached only while the directive
is non-empty, so with notifications off nobody pays anything. Where the logged form
loses the command's identity (INCRBYFLOAT logged as SET, HINCRBYFLOAT as HSET, SPOP as
SREM) the command as sent is consulted (WriteStream.source). Expiry arrives through the
keyspace's on_expire hook as "expired", eviction through on_evict as "evicted" (the DEL
each logs is not a "del").

"new" (class n) comes from the keyspace's on_new_key hook and is told just before the
created key's first event; DEL/UNLINK report only the keys the on_delete hook saw go.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator


if TYPE_CHECKING:
    from server.state import ServerState

_ALL_CLASSES = set("g$lshzxetd")

Event = tuple[str, bytes, int, bytes]  # (class, event, db, key)


def _same(event: str, cls: str) -> Callable[[list[bytes]], list[tuple[str, bytes, int]]]:
    """The event on argv[1]."""
    return lambda argv: [(cls, event.encode(), 1)]


def _stores(event: str, cls: str) -> Callable[[list[bytes]], list[tuple[str, bytes, int]]]:
    """A *STORE command: the event on its destination, argv[1]."""
    return _same(event, cls)


def _pairs(event: str, cls: str) -> Callable[[list[bytes]], list[tuple[str, bytes, int]]]:
    """MSET key value [key value ...]."""
    return lambda argv: [(cls, event.encode(), i) for i in range(1, len(argv), 2)]


def _set(argv: list[bytes]) -> list[tuple[str, bytes, int]]:
    events = [("$", b"set", 1)]
    if any(arg.upper() in (b"EX", b"PX", b"EXAT", b"PXAT") for arg in argv[3:]):
        events.append(("g", b"expire", 1))
    return events


def _move_ends(argv: list[bytes]) -> list[tuple[str, bytes, int]]:
    """LMOVE source destination wherefrom whereto: Redis tells the push first."""
    pop = b"lpop" if argv[3].upper() == b"LEFT" else b"rpop"
    push = b"lpush" if argv[4].upper() == b"LEFT" else b"rpush"
    return [("l", push, 2), ("l", pop, 1)]


def _zadd(argv: list[bytes]) -> list[tuple[str, bytes, int]]:
    is_incr = any(arg.upper() == b"INCR" for arg in argv[2:])
    return [("z", b"zincr" if is_incr else b"zadd", 1)]


def _sort(argv: list[bytes]) -> list[tuple[str, bytes, int]]:
    for index in range(2, len(argv) - 1):
        if argv[index].upper() == b"STORE":
            return [("l", b"sortstore", index + 1)]
    return []


def _getex(argv: list[bytes]) -> list[tuple[str, bytes, int]]:
    if any(arg.upper() == b"PERSIST" for arg in argv[2:]):
        return [("g", b"persist", 1)]
    return [("g", b"expire", 1)]


# Logged command name → (argv → [(class, event, index of the key in argv)]).
EVENTS: dict[bytes, Callable[[list[bytes]], list[tuple[str, bytes, int]]]] = {
    b"set": _set, b"setnx": _same("set", "$"), b"getset": _same("set", "$"),
    b"setex": lambda argv: [("$", b"set", 1), ("g", b"expire", 1)],
    b"psetex": lambda argv: [("$", b"set", 1), ("g", b"expire", 1)],
    b"mset": _pairs("set", "$"), b"msetnx": _pairs("set", "$"),
    b"setrange": _same("setrange", "$"), b"append": _same("append", "$"),
    b"incr": _same("incrby", "$"), b"incrby": _same("incrby", "$"),
    b"decr": _same("incrby", "$"), b"decrby": _same("incrby", "$"),  # Redis says incrby
    b"incrbyfloat": _same("incrbyfloat", "$"), b"setbit": _same("setbit", "$"),
    b"bitfield": _same("setbit", "$"), b"bitop": lambda argv: [("$", b"set", 2)],
    b"getdel": _same("del", "g"), b"getex": _getex,
    b"expire": _same("expire", "g"), b"pexpire": _same("expire", "g"),
    b"expireat": _same("expire", "g"), b"pexpireat": _same("expire", "g"),
    b"persist": _same("persist", "g"),
    b"rename": lambda argv: [("g", b"rename_from", 1), ("g", b"rename_to", 2)],
    b"renamenx": lambda argv: [("g", b"rename_from", 1), ("g", b"rename_to", 2)],
    b"copy": lambda argv: [("g", b"copy_to", 2)], b"restore": _same("restore", "g"),
    b"sort": _sort,
    b"lpush": _same("lpush", "l"), b"lpushx": _same("lpush", "l"),
    b"rpush": _same("rpush", "l"), b"rpushx": _same("rpush", "l"),
    b"lpop": _same("lpop", "l"), b"rpop": _same("rpop", "l"),
    b"linsert": _same("linsert", "l"), b"lset": _same("lset", "l"),
    b"lrem": _same("lrem", "l"), b"ltrim": _same("ltrim", "l"), b"lmove": _move_ends,
    b"rpoplpush": lambda argv: [("l", b"lpush", 2), ("l", b"rpop", 1)],
    b"hset": _same("hset", "h"), b"hsetnx": _same("hset", "h"), b"hmset": _same("hset", "h"),
    b"hdel": _same("hdel", "h"), b"hincrby": _same("hincrby", "h"),
    b"hincrbyfloat": _same("hincrbyfloat", "h"),
    b"sadd": _same("sadd", "s"), b"srem": _same("srem", "s"), b"spop": _same("spop", "s"),
    b"smove": lambda argv: [("s", b"srem", 1), ("s", b"sadd", 2)],
    b"sinterstore": _stores("sinterstore", "s"), b"sunionstore": _stores("sunionstore", "s"),
    b"sdiffstore": _stores("sdiffstore", "s"),
    b"zadd": _zadd, b"zincrby": _same("zincr", "z"), b"zrem": _same("zrem", "z"),
    b"zremrangebyscore": _same("zremrangebyscore", "z"),
    b"zremrangebyrank": _same("zremrangebyrank", "z"),
    b"zremrangebylex": _same("zremrangebylex", "z"),
    b"zpopmin": _same("zpopmin", "z"), b"zpopmax": _same("zpopmax", "z"),
    b"zunionstore": _stores("zunionstore", "z"), b"zinterstore": _stores("zinterstore", "z"),
    b"zdiffstore": _stores("zdiffstore", "z"), b"zrangestore": _stores("zrangestore", "z"),
}

# Commands that create their destination before telling anything (RENAME's dbAdd).
_CREATES_FIRST = {b"rename", b"renamenx", b"move"}
# Logged in a form that no longer names the command: the command as sent decides.
_LOSSY = {b"incrbyfloat", b"hincrbyfloat", b"spop"}
# Their value may be left empty (or never created): then Redis adds a generic "del".
_MAY_EMPTY = {"l", "s", "h", "z"}
# Commands storing a computed result: an empty one deletes the destination instead.
_STORE_EVENTS = {b"sinterstore", b"sunionstore", b"sdiffstore", b"zunionstore",
                 b"zinterstore", b"zdiffstore", b"zrangestore", b"sortstore", b"set"}


class KeyspaceNotifier:
    def __init__(self, server: "ServerState") -> None:
        self.server = server
        self.classes: set[str] = set()
        self.keyspace_channel = False  # K
        self.keyevent_channel = False  # E
        self._is_attached = False
        self._expired: set[tuple[int, bytes]] = set()
        # Keys deleted since their command's record was read: DEL names only these.
        self._deleted: set[tuple[int, bytes]] = set()
        # Keys created since the last record was read, in creation order.
        self._created: list[tuple[int, bytes]] = []
        server.config.on_change("notify-keyspace-events", self.configure)
        self.configure(server.config["notify-keyspace-events"])

    def configure(self, value: str) -> None:
        self.classes = set(value) | (_ALL_CLASSES if "A" in value else set())
        self.keyspace_channel = "K" in value
        self.keyevent_channel = "E" in value
        wanted = (self.keyspace_channel or self.keyevent_channel) and bool(
            self.classes & (_ALL_CLASSES | {"n"}))
        keyspace = self.server.keyspace
        if wanted and not self._is_attached:
            keyspace.writes.subscribe(self._on_write)
            keyspace.on_expire = self._on_expire
            keyspace.on_new_key = self._on_new_key
            keyspace.on_delete = self._on_delete
            keyspace.on_evict = self._on_evict
        elif not wanted and self._is_attached:
            keyspace.writes.unsubscribe(self._on_write)
            keyspace.on_expire = keyspace.on_new_key = keyspace.on_delete = None
            keyspace.on_evict = None
            self._expired.clear()
            self._deleted.clear()
            self._created.clear()
        self._is_attached = wanted

    # ------------------------------------------------------------------ events

    def _on_delete(self, db_index: int, key: bytes) -> None:
        self._deleted.add((db_index, key))

    def _on_new_key(self, db_index: int, key: bytes) -> None:
        # Told when its command's record is read, just before that key's first event,
        # as Redis tells "new" from dbAdd (MSET: new a, set a, new b, set b).
        self._created.append((db_index, key))

    def _on_expire(self, db_index: int, key: bytes) -> None:
        self._expired.add((db_index, key))
        self.notify("x", b"expired", db_index, key)

    def _on_evict(self, db_index: int, key: bytes) -> None:
        self._expired.add((db_index, key))
        self.notify("e", b"evicted", db_index, key)

    def _on_write(self, db_index: int, argv: list[bytes]) -> None:
        logged = argv
        if not argv:
            return
        name = argv[0].lower()
        if name == b"del" and len(argv) == 2 and (db_index, argv[1]) in self._expired:
            self._expired.discard((db_index, argv[1]))
            return  # the DEL an expiry or eviction logs: already told
        source = self.server.keyspace.writes.source
        if source is not None and source[0].lower() in _LOSSY:
            argv = source
            name = argv[0].lower()
        deleted = self._deleted
        if name in (b"del", b"unlink"):
            for key in argv[1:]:
                if (db_index, key) in deleted:
                    self.notify("g", b"del", db_index, key)
        else:
            if name in _CREATES_FIRST and self._created:
                self._tell_created_keys_of(db_index, logged)
            for event in self.events_of(db_index, name, argv):
                if self._created:
                    self._tell_created(event[2], event[3])
                self.notify(*event)
        if self._created:
            # Keys this command created without an event of theirs; inside EXEC the
            # records come after the whole queue ran, so later keys wait for theirs.
            self._tell_created_keys_of(db_index, logged)
            if len(self._created) > 1024:
                self._created.clear()
        if deleted:
            for key in logged[1:]:
                deleted.discard((db_index, key))

    def _tell_created(self, db_index: int, key: bytes) -> None:
        """"new" for key if it was just created."""
        if (db_index, key) in self._created:
            self._created.remove((db_index, key))
            self.notify("n", b"new", db_index, key)

    def _tell_created_keys_of(self, db_index: int, argv: list[bytes]) -> None:
        """"new" for the pending keys among argv (MOVE's in its target db too)."""
        names = set(argv[1:])
        for db_key in [k for k in self._created if k[1] in names]:
            self._created.remove(db_key)
            self.notify("n", b"new", *db_key)

    def events_of(self, db_index: int, name: bytes, argv: list[bytes]) -> Iterator[Event]:
        if name == b"move":
            if len(argv) > 2 and argv[2].isdigit():
                yield "g", b"move_from", db_index, argv[1]
                yield "g", b"move_to", int(argv[2]), argv[1]
            return
        describe = EVENTS.get(name)
        if describe is None:
            return
        db = self.server.keyspace.dbs[db_index]
        for cls, event, index in describe(argv):
            if index >= len(argv):
                continue
            key = argv[index]
            exists = key in db.data
            if event in _STORE_EVENTS and not exists:
                # An empty result deletes the destination: Redis says only "del".
                yield "g", b"del", db_index, key
                continue
            yield cls, event, db_index, key
            if cls in _MAY_EMPTY and not exists:
                yield "g", b"del", db_index, key

    def notify(self, cls: str, event: bytes, db_index: int, key: bytes) -> None:
        if cls not in self.classes:
            return
        pubsub = self.server.pubsub
        if self.keyspace_channel:
            pubsub.publish(b"__keyspace@%d__:%s" % (db_index, key), event)
        if self.keyevent_channel:
            pubsub.publish(b"__keyevent@%d__:%s" % (db_index, event), key)
