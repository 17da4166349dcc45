"""ACL users against the real redis-server 7.0.15: the same commands, the same replies.

Scenarios run on one fresh connection per server and compare raw replies (RESP2 and
RESP3), after three normalizations for what Redis itself does not make deterministic:
- single-command rules in a description (`-@all +get +set`) come in the order of
  Redis's command dict, which is seeded at random per process: they compare as a set,
  while +@all/-@all and the chosen categories keep their order;
- ACL LOG's age-seconds, and client-info reduced to its deterministic fields;
- HELLO's connection id.
Users are named per scenario; both servers see the scenarios in the same order.
"""

from __future__ import annotations

import random
import re
from typing import Any, Iterator

import pytest

from tests.servers import ServerProcess, started_pair
from tests.wire import Connection, ServerClosed, parsed

pytestmark = pytest.mark.needs_redis_server


@pytest.fixture(scope="module")
def pair(real_redis: ServerProcess) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with started_pair() as servers:
        yield servers


def _sorted_rules(line: bytes) -> bytes:
    """Within each selector, single-command rules (always last) sorted; the rest kept."""
    segments: list[list[bytes]] = [[]]
    for token in line.split(b" "):
        if token.startswith(b"("):
            segments.append([])
        segments[-1].append(token.strip(b"()"))
        if token.endswith(b")"):
            segments.append([])
    out = []
    for index, segment in enumerate(s for s in segments if s):
        rules = [t for t in segment if t[:1] in (b"+", b"-") and t[1:2] != b"@"]
        kept = [t for t in segment if t not in rules]
        text = b" ".join(kept + sorted(rules))
        out.append(text if index == 0 else b"(" + text + b")")
    return b" ".join(out)


_DESCRIPTION = re.compile(rb"[^\r\n]*@all[^\r\n]*")
_AGE = re.compile(rb"(age-seconds\r\n)(\$\d+\r\n[^\r\n]*|,[^\r\n]*)\r\n")
_CLIENT_INFO = re.compile(rb"(client-info\r\n)\$\d+\r\n([^\r\n]*)\r\n")
_HELLO_ID = re.compile(rb"(\$2\r\nid\r\n):\d+\r\n")
_STABLE_FIELDS = (b"name", b"db", b"sub", b"psub", b"ssub", b"cmd", b"user", b"resp")


def _stable_client_info(match: re.Match[bytes]) -> bytes:
    fields = dict(item.split(b"=", 1) for item in match.group(2).split(b" ") if b"=" in item)
    kept = b" ".join(b"%s=%s" % (name, fields.get(name, b"?")) for name in _STABLE_FIELDS)
    return match.group(1) + b"<" + kept + b">\r\n"


def normalized(reply: bytes) -> bytes:
    reply = _DESCRIPTION.sub(lambda m: _sorted_rules(m.group(0)), reply)
    reply = _AGE.sub(rb"\1AGE\r\n", reply)
    reply = _CLIENT_INFO.sub(_stable_client_info, reply)
    return _HELLO_ID.sub(rb"\1:ID\r\n", reply)


def run(port: int, commands: list[tuple[Any, ...]], protocol: int) -> list[bytes]:
    replies: list[bytes] = []
    with Connection(port, protocol) as connection:
        for command in commands:
            try:
                replies.append(normalized(connection.request(command)))
            except ServerClosed as closed:
                replies.append(closed.received + b"<closed>")
                break
    return replies


def same_replies(pair: tuple[ServerProcess, ServerProcess], commands: list[tuple[Any, ...]],
                 protocol: int = 2) -> list[bytes]:
    ember, real = pair
    expected = run(real.port, commands, protocol)
    got = run(ember.port, commands, protocol)
    assert list(zip(commands, got)) == list(zip(commands, expected))
    return got


def test_normalization_sorts_only_single_command_rules() -> None:
    line = b"user u on ~k* resetchannels -@all +@hash +set +get -hdel (~x -@all +zadd +get)"
    assert _sorted_rules(line) == (
        b"user u on ~k* resetchannels -@all +@hash +get +set -hdel (~x -@all +get +zadd)")


# ------------------------------------------------------------------ describing users

SETUSER_SCENARIOS = {
    "describe": [
        ("ACL", "SETUSER", "d1", "on", ">pw", "~foo*", "%R~bar", "+get", "+@hash", "-hdel",
         "resetchannels", "&chan*"),
        ("ACL", "GETUSER", "d1"),
        ("ACL", "SETUSER", "d2", "+@all", "-get", "-@string"),
        ("ACL", "GETUSER", "d2"),
        ("ACL", "SETUSER", "d3", "reset"),
        ("ACL", "SETUSER", "d4", "-@all", "+get", "+set", "+hdel", "+zadd", "+lpush", "+ping",
         "+config|get", "+client|list", "+select|0", "+select|1"),
        ("ACL", "SETUSER", "d5", "allcommands", "-@dangerous", "+config|get", "allkeys",
         "allchannels", "nopass", "on", "skip-sanitize-payload"),
        ("ACL", "SETUSER", "d6", "%RW~a", "%R~b", "%W~b", "%W~c", "~d", "&x", "&x", "~d",
         "#" + "a" * 64, "#" + "b" * 64, "!" + "a" * 64, ">p1", ">p2", "<p1"),
        ("ACL", "SETUSER", "d7", "+@all", "nocommands", "+@read", "-@keyspace", "+client",
         "-client|kill"),
        # Commands EmberKV lacks may be named, as in Redis (ACL files move both ways).
        ("ACL", "SETUSER", "d9", "+@all", "-@stream", "-@scripting", "+xadd", "-geoadd",
         "-client|pause", "-@write", "+@geo"),
        ("ACL", "SETUSER", "d10", "-@all", "+@read", "+@write", "-@dangerous", "+cluster",
         "-cluster|reset", "+object|idletime"),
        ("ACL", "SETUSER", "d8", "on", "nopass", "+acl", "-acl|setuser", "+@pubsub",
         "+@transaction", "+@connection", "+@sortedset", "-zadd"),
        ("ACL", "LIST"),
        ("ACL", "USERS"),
        ("ACL", "GETUSER", "d6"),
        ("ACL", "GETUSER", "d8"),
        ("ACL", "SETUSER", "d5", "resetpass", "off", "nocommands"),
        ("ACL", "GETUSER", "d5"),
        ("ACL", "SETUSER", "d6", "resetkeys", "~z", "resetchannels", "allchannels"),
        ("ACL", "GETUSER", "d6"),
        ("ACL", "DELUSER", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10",
         "nobody"),
        ("ACL", "LIST"),
    ],
    "selectors": [
        ("ACL", "SETUSER", "s1", "on", "nopass", "~a*", "+get", "(~x +set)", "(", "+lpush",
         "%W~y*", ")", "(%R~r* +@read)"),
        ("ACL", "GETUSER", "s1"),
        ("ACL", "LIST"),
        ("ACL", "SETUSER", "s1", "clearselectors"),
        ("ACL", "GETUSER", "s1"),
        ("ACL", "SETUSER", "s1", "(+get ~q)", "(+zadd &c)"),
        ("ACL", "GETUSER", "s1"),
        ("ACL", "SETUSER", "s1", "reset"),
        ("ACL", "GETUSER", "s1"),
        ("ACL", "DELUSER", "s1"),
    ],
    "errors": [
        ("ACL", "SETUSER", "e1", "(+get"),
        ("ACL", "SETUSER", "e1", "on", "(+get", "~x"),
        ("ACL", "SETUSER", "a b"),
        ("ACL", "SETUSER", "a\x00b"),
        ("ACL", "SETUSER", "e1", "+config|get|x"),
        ("ACL", "SETUSER", "e1", "+select|"),
        ("ACL", "SETUSER", "e1", "-select|0"),
        ("ACL", "SETUSER", "e1", "+nosuch"),
        ("ACL", "SETUSER", "e1", "+config|nosuch"),
        ("ACL", "SETUSER", "e1", "+@nosuch"),
        ("ACL", "SETUSER", "e1", "-@nosuch"),
        ("ACL", "SETUSER", "e1", "#abc"),
        ("ACL", "SETUSER", "e1", "#" + "A" * 64),
        ("ACL", "SETUSER", "e1", "!" + "a" * 64),
        ("ACL", "SETUSER", "e1", "<nope"),
        ("ACL", "SETUSER", "e1", "~*", "~x"),
        ("ACL", "SETUSER", "e1", "allkeys", "%R~x"),
        ("ACL", "SETUSER", "e1", "&*", "&x"),
        ("ACL", "SETUSER", "e1", "%X~a"),
        ("ACL", "SETUSER", "e1", "%RR~a"),
        ("ACL", "SETUSER", "e1", "%~a"),
        ("ACL", "SETUSER", "e2", "%R", "%w", "%Wr~", "~"),
        ("ACL", "GETUSER", "e2"),
        ("ACL", "DELUSER", "e2"),
        ("ACL", "SETUSER", "e1", "~a b"),
        ("ACL", "SETUSER", "e1", "bogus"),
        ("ACL", "SETUSER", "e1", "(bogus)"),
        ("ACL", "SETUSER", "e1", "on", "+get", "+nosuch"),
        # Nothing was applied by the failed calls.
        ("ACL", "GETUSER", "e1"),
        ("ACL", "SETUSER", "e1"),
        ("ACL", "GETUSER", "e1"),
        ("ACL", "SETUSER", "e1", ""),
        ("ACL", "GETUSER", "nobody"),
        ("ACL", "DELUSER", "default"),
        ("ACL", "DELUSER", "e1", "default"),
        ("ACL", "USERS"),
        ("ACL", "DELUSER", "e1"),
        ("ACL", "GENPASS", "0"),
        ("ACL", "GENPASS", "4097"),
        ("ACL", "GENPASS", "x"),
        ("ACL", "GENPASS", "1", "2"),
        ("ACL", "CAT", "nosuch"),
        ("ACL", "CAT", "a", "b"),
        ("ACL", "LOG", "x"),
        ("ACL", "LOG", "1", "2"),
        ("ACL", "SAVE"),
        ("ACL", "LOAD"),
        ("ACL", "LOAD", "x"),
        ("ACL", "WHOAMI", "x"),
        ("ACL", "NOSUCH"),
        ("ACL",),
        ("ACL", "HELP"),
        ("ACL", "CAT"),
    ],
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", list(SETUSER_SCENARIOS))
def test_setuser_getuser_list_match_redis(pair, name: str, protocol: int) -> None:
    same_replies(pair, SETUSER_SCENARIOS[name], protocol)


def test_category_lists_match_redis_for_the_commands_emberkv_has(pair) -> None:
    ember, real = pair
    with Connection(ember.port) as ours, Connection(real.port) as theirs:
        assert parsed(ours.request(("ACL", "CAT"))) == parsed(theirs.request(("ACL", "CAT")))
        for category in parsed(theirs.request(("ACL", "CAT"))):
            mine = set(parsed(ours.request(("ACL", "CAT", category))))
            redis_commands = set(parsed(theirs.request(("ACL", "CAT", category.upper()))))
            # Redis 7.2's CLIENT NO-TOUCH and SETINFO exist here for redis-py; every other
            # command EmberKV has is in Redis's category lists, and nothing more.
            assert mine - redis_commands <= {b"client|no-touch", b"client|setinfo"}, category
            if category in (b"set", b"sortedset", b"list", b"hash", b"string", b"bitmap",
                            b"hyperloglog", b"pubsub", b"transaction"):
                assert mine == redis_commands, category


def test_genpass_lengths_match_redis(pair) -> None:
    for server in pair:
        with Connection(server.port) as connection:
            assert len(parsed(connection.request(("ACL", "GENPASS")))) == 64
            assert parsed(connection.request(("ACL", "GENPASS", "5"))).isalnum()
            lengths = [len(parsed(connection.request(("ACL", "GENPASS", bits))))
                       for bits in (1, 4, 5, 8, 9, 4096)]
            assert lengths == [1, 1, 2, 2, 3, 1024]


# ------------------------------------------------------------------ enforcement

ENFORCEMENT_SCENARIOS = {
    "commands-keys-channels": [
        ("ACL", "SETUSER", "u1", "on", "nopass", "~k*", "&ch", "+get", "+set", "+multi",
         "+exec", "+subscribe", "+publish", "+psubscribe", "+acl|whoami", "+config|get",
         "+client|id"),
        ("AUTH", "u1", "x"),
        ("ACL", "WHOAMI"),
        ("GET", "foo"), ("GET", "kx"), ("SET", "kx", "1"), ("DEL", "kx"),
        ("PUBLISH", "other", "m"), ("PUBLISH", "ch", "m"),
        ("CONFIG", "GET", "maxmemory"), ("CONFIG", "SET", "maxmemory", "0"),
        ("CLIENT", "GETNAME"),
        ("ACL", "LIST"),
        ("NOSUCH",), ("GET",),
        ("PING",),
        # AUTH, HELLO and QUIT need no permission.
        ("AUTH", "u1", "y"),
    ],
    "key-permissions": [
        ("ACL", "SETUSER", "u2", "on", "nopass", "%R~r*", "%W~w*", "~b*", "+@all"),
        ("AUTH", "u2", "x"),
        ("GET", "r1"), ("SET", "r1", "x"), ("GET", "w1"), ("SET", "w1", "x"),
        ("COPY", "r1", "w1"), ("COPY", "w1", "r1"), ("LMOVE", "r1", "w1", "LEFT", "LEFT"),
        ("EXISTS", "zz"), ("EXISTS", "r1", "w1", "b1"), ("MSET", "w1", "a", "b1", "b", "r1", "c"),
        ("MGET", "r1", "b1", "w1"), ("SET", "b2", "x", "GET"), ("SET", "w2", "x", "GET"),
        ("SORT", "r1", "STORE", "w1"), ("ZUNIONSTORE", "w1", "2", "r1", "b1"),
        ("ZUNIONSTORE", "w1", "2", "r1", "w2"), ("BLPOP", "r1", "w1", "0.01"),
    ],
    "channel-permissions": [
        ("ACL", "SETUSER", "u3", "on", "nopass", "+@all", "~*", "resetchannels", "&news.*",
         "&exact"),
        ("AUTH", "u3", "x"),
        ("PUBLISH", "news.a", "m"), ("PUBLISH", "sport", "m"),
        ("SUBSCRIBE", "news.a", "sport"),
        ("SUBSCRIBE", "news.a", "exact"),
        ("PSUBSCRIBE", "news.*"), ("PSUBSCRIBE", "news.a"), ("PSUBSCRIBE", "*"),
        ("PUNSUBSCRIBE", "news.*"), ("UNSUBSCRIBE", "news.a", "exact"),
    ],
    "first-args": [
        ("ACL", "SETUSER", "u4", "on", "nopass", "~*", "-@all", "+select|0", "+select|2",
         "+client|getname", "+acl|whoami"),
        ("AUTH", "u4", "x"),
        ("SELECT", "0"), ("SELECT", "2"), ("SELECT", "1"), ("CLIENT", "GETNAME"),
        ("CLIENT", "ID"),
    ],
    "multi": [
        ("ACL", "SETUSER", "u5", "on", "nopass", "~k*", "+get", "+set", "+multi", "+exec",
         "+discard", "+acl|log"),
        ("ACL", "LOG", "RESET"),
        ("AUTH", "u5", "x"),
        ("MULTI",), ("GET", "foo"), ("DEL", "x"), ("SET", "k1", "v"), ("EXEC",),
        ("MULTI",), ("SET", "k1", "v"), ("EXEC",),
        ("MULTI",), ("SAVE",), ("SHUTDOWN",), ("DISCARD",),
        ("ACL", "LOG"),
    ],
    "dryrun": [
        ("ACL", "SETUSER", "u6", "on", "nopass", "%R~r*", "%W~w*", "+get", "+set", "+lmove",
         "+config|get", "resetchannels", "&c*", "+publish", "(+del ~d*)"),
        ("ACL", "DRYRUN", "u6", "get", "r1"), ("ACL", "DRYRUN", "u6", "set", "r1", "x"),
        ("ACL", "DRYRUN", "u6", "del", "r1"), ("ACL", "DRYRUN", "u6", "del", "d1"),
        ("ACL", "DRYRUN", "u6", "del", "d1", "r1"), ("ACL", "DRYRUN", "u6", "get", "w1"),
        ("ACL", "DRYRUN", "u6", "lmove", "r1", "w1", "left", "left"),
        ("ACL", "DRYRUN", "u6", "config", "get", "x"),
        ("ACL", "DRYRUN", "u6", "config", "set", "x", "y"),
        ("ACL", "DRYRUN", "u6", "publish", "cx", "m"), ("ACL", "DRYRUN", "u6", "publish", "z", "m"),
        ("ACL", "DRYRUN", "nobody", "get", "x"), ("ACL", "DRYRUN", "u6", "nocmd", "x"),
        ("ACL", "DRYRUN", "u6", "config", "nosuch"), ("ACL", "DRYRUN", "u6", "get"),
        ("ACL", "DRYRUN", "u6", "get", "r1", "extra"),
        ("ACL", "DRYRUN", "default", "flushall"),
    ],
    "log": [
        ("ACL", "LOG", "RESET"),
        ("ACL", "SETUSER", "u7", "on", ">pw", "~k*", "+get", "resetchannels", "&c"),
        ("AUTH", "u7", "wrong"), ("auth", "u7", "wrong"), ("AUTH", "nobody", "x"),
        ("HELLO", "3", "AUTH", "u7", "bad"),
        ("ACL", "LOG"),
        ("AUTH", "u7", "pw"),
        ("GET", "x"), ("GET", "x"), ("SET", "k", "v"), ("GET", "k"),
        ("AUTH", "default", "x"),
    ],
    "log-read": [
        ("ACL", "LOG", "2"), ("ACL", "LOG", "0"), ("ACL", "LOG", "-1"), ("ACL", "LOG"),
        ("CONFIG", "SET", "acllog-max-len", "2"),
        ("ACL", "SETUSER", "u8", "on", "nopass", "-@all", "+acl|log"),
        ("AUTH", "u8", "x"), ("GET", "a"), ("SET", "b", "c"), ("LPUSH", "d", "e"),
        ("ACL", "LOG"),
    ],
}


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("name", list(ENFORCEMENT_SCENARIOS))
def test_permissions_are_enforced_as_redis_does(pair, name: str, protocol: int) -> None:
    for server in pair:
        with Connection(server.port) as admin:
            admin.request(("CONFIG", "SET", "acllog-max-len", "128"))
            admin.request(("ACL", "LOG", "RESET"))
    same_replies(pair, ENFORCEMENT_SCENARIOS[name], protocol)


def test_exec_rechecks_rules_changed_after_queueing(pair) -> None:
    results = []
    for server in pair:
        with Connection(server.port) as admin, Connection(server.port) as user:
            admin.request(("ACL", "LOG", "RESET"))
            admin.request(("ACL", "SETUSER", "x1", "reset", "on", "nopass", "~*", "+@all"))
            replies = [user.request(("AUTH", "x1", "p")), user.request(("MULTI",)),
                       user.request(("GET", "k1")), user.request(("SET", "k1", "v")),
                       user.request(("PING",))]
            admin.request(("ACL", "SETUSER", "x1", "-get", "resetkeys", "~k2"))
            replies.append(user.request(("EXEC",)))
            replies.append(normalized(admin.request(("ACL", "LOG"))))
            admin.request(("ACL", "DELUSER", "x1"))
        results.append(replies)
    assert results[0] == results[1]
    assert b"ACLs rules changed between" in results[0][5]


def test_auth_failing_inside_exec_is_logged_in_the_multi_context(pair) -> None:
    """Only the deterministic fields: during EXEC Redis's client-info says cmd=exec,
    EmberKV's names the queued command."""
    entries = []
    for server in pair:
        with Connection(server.port) as client:
            client.request(("ACL", "LOG", "RESET"))
            for command in (("MULTI",), ("AUTH", "nobody", "x"), ("EXEC",)):
                client.request(command)
            entry = parsed(client.request(("ACL", "LOG", "1")))[0]
            entries.append(entry[:10])
    assert entries[0] == entries[1]
    assert entries[0][5] == b"multi"


def test_deleting_a_user_disconnects_its_clients(pair) -> None:
    results = []
    for server in pair:
        with Connection(server.port) as admin, Connection(server.port) as user, \
                Connection(server.port) as self_deleting:
            admin.request(("ACL", "SETUSER", "gone", "on", "nopass", "+@all", "~*"))
            replies = [user.request(("AUTH", "gone", "x")), user.request(("PING",))]
            replies.append(admin.request(("ACL", "DELUSER", "gone")))
            with pytest.raises((ServerClosed, ConnectionError)):
                user.request(("PING",))
            admin.request(("ACL", "SETUSER", "gone2", "on", "nopass", "+@all", "~*"))
            self_deleting.request(("AUTH", "gone2", "x"))
            replies.append(self_deleting.request(("ACL", "DELUSER", "gone2")))
            with pytest.raises((ServerClosed, ConnectionError)):
                self_deleting.request(("PING",))
            replies.append(admin.request(("ACL", "USERS")))
        results.append(replies)
    assert results[0] == results[1]


def test_revoking_channels_disconnects_subscribers(pair) -> None:
    results = []
    for server in pair:
        with Connection(server.port) as admin, Connection(server.port) as kept, \
                Connection(server.port) as dropped:
            admin.request(("ACL", "SETUSER", "sub", "reset", "on", "nopass", "+@all", "~*",
                           "&a", "&b*"))
            for connection in (kept, dropped):
                connection.request(("AUTH", "sub", "x"))
            replies = [kept.request(("SUBSCRIBE", "a")), dropped.request(("SUBSCRIBE", "b1"))]
            replies.append(admin.request(("ACL", "SETUSER", "sub", "resetchannels", "&a")))
            replies.append(admin.request(("PUBLISH", "a", "still here")))
            replies.append(kept.sock.recv(1 << 16))
            with pytest.raises((ServerClosed, ConnectionError)):
                dropped.request(("PING",))
            # From allchannels to a list: each subscription is checked against it.
            admin.request(("ACL", "SETUSER", "sub", "allchannels"))
            with Connection(server.port) as narrowed, Connection(server.port) as gone:
                for connection, channel in ((narrowed, "a"), (gone, "z")):
                    connection.request(("AUTH", "sub", "x"))
                    replies.append(connection.request(("SUBSCRIBE", channel)))
                replies.append(admin.request(("ACL", "SETUSER", "sub", "resetchannels", "&a")))
                replies.append(narrowed.request(("PING",)))
                with pytest.raises((ServerClosed, ConnectionError)):
                    gone.request(("PING",))
            admin.request(("ACL", "DELUSER", "sub"))
        results.append(replies)
    assert results[0] == results[1]


def test_default_user_follows_requirepass(pair) -> None:
    commands = [
        ("ACL", "GETUSER", "default"),
        ("CONFIG", "SET", "requirepass", "secret"),
        ("ACL", "GETUSER", "default"), ("ACL", "LIST"),
        ("AUTH", "secret"), ("AUTH", "default", "secret"),
        ("ACL", "SETUSER", "default", ">other"),
        ("AUTH", "other"), ("CONFIG", "GET", "requirepass"),
        ("CONFIG", "SET", "requirepass", ""),
        ("ACL", "GETUSER", "default"), ("AUTH", "x"),
    ]
    same_replies(pair, commands)
    new_client = [("PING",), ("ACL", "WHOAMI")]
    same_replies(pair, new_client)


def test_a_closed_default_user_requires_auth_of_new_clients(pair) -> None:
    same_replies(pair, [("ACL", "SETUSER", "default", "resetpass", ">pw")])
    try:
        same_replies(pair, [("PING",), ("GET", "k"), ("AUTH", "pw"), ("PING",),
                            ("ACL", "WHOAMI"), ("RESET",), ("ACL", "WHOAMI"), ("PING",)])
    finally:
        for server in pair:
            with Connection(server.port) as admin:
                admin.request(("AUTH", "pw"))
                admin.request(("ACL", "SETUSER", "default", "nopass"))
    same_replies(pair, [("PING",)])


def test_acl_pubsub_default_applies_to_new_users(pair) -> None:
    same_replies(pair, [
        ("CONFIG", "SET", "acl-pubsub-default", "allchannels"),
        ("ACL", "SETUSER", "p1"), ("ACL", "SETUSER", "p2", "(+get)"), ("ACL", "GETUSER", "p2"),
        ("CONFIG", "SET", "acl-pubsub-default", "resetchannels"),
        ("ACL", "SETUSER", "p3"), ("ACL", "SETUSER", "p1", "reset"),
        ("ACL", "LIST"), ("ACL", "DELUSER", "p1", "p2", "p3"),
    ])


def test_client_list_user_field_and_kill_by_user(pair) -> None:
    results = []
    for server in pair:
        with Connection(server.port) as admin, Connection(server.port) as user:
            admin.request(("ACL", "SETUSER", "k1", "on", "nopass", "+@all", "~*"))
            user.request(("AUTH", "k1", "x"))
            info = parsed(user.request(("CLIENT", "INFO")))
            replies = [re.search(rb"user=\S+", info).group(0),
                       admin.request(("CLIENT", "KILL", "USER", "nobody")),
                       admin.request(("CLIENT", "KILL", "USER", "k1"))]
            with pytest.raises((ServerClosed, ConnectionError)):
                user.request(("PING",))
            admin.request(("ACL", "DELUSER", "k1"))
        results.append(replies)
    assert results[0] == results[1]
    assert results[0][0] == b"user=k1"


# ------------------------------------------------------------------ random rules

_KEYS = ["a1", "b1", "c1", "ab", "zz"]
_CHANNELS = ["x", "xy", "y"]


def _sample_commands(rnd: random.Random) -> list[list[str]]:
    def key() -> str:
        return rnd.choice(_KEYS)

    channel = rnd.choice(_CHANNELS)
    return [
        ["get", key()], ["set", key(), "v"], ["set", key(), "v", "GET"], ["del", key(), key()],
        ["mset", key(), "1", key(), "2"], ["mget", key(), key(), key()], ["copy", key(), key()],
        ["lmove", key(), key(), "left", "right"], ["rename", key(), key()], ["exists", key()],
        ["zunionstore", key(), "2", key(), key()], ["sort", key(), "store", key()],
        ["sintercard", "2", key(), key()], ["blpop", key(), key(), "0"],
        ["publish", channel, "m"], ["subscribe", channel, rnd.choice(_CHANNELS)],
        ["psubscribe", rnd.choice(["x*", "x", "y"])], ["config", "get", "x"],
        ["config", "set", "x", "y"], ["select", rnd.choice("012")], ["ping"],
        ["hset", key(), "f", "v"], ["getex", key(), "persist"], ["object", "encoding", key()],
        ["bitop", "and", key(), key(), key()], ["smove", key(), key(), "m"],
        ["zrangestore", key(), key(), "0", "1"], ["getdel", key()],
    ]


def _random_rule(rnd: random.Random, names: list[str], categories: list[str]) -> str:
    def key_rule() -> str:
        return rnd.choice(["~", "%R~", "%W~", "%RW~"]) + rnd.choice(["a*", "b*", "*1", "ab"])

    roll = rnd.random()
    if roll < 0.25:
        return rnd.choice("+-") + rnd.choice(names)
    if roll < 0.5:
        return rnd.choice("+-") + "@" + rnd.choice(categories)
    if roll < 0.55:
        return rnd.choice(["+@all", "-@all", "+select|1", "+get|x", "allkeys", "allchannels"])
    if roll < 0.75:
        return key_rule()
    if roll < 0.85:
        return "&" + rnd.choice(["x*", "x", "y"])
    return "(" + " ".join([key_rule(), rnd.choice(["+@all", "+@read", "+@write", "+get"]),
                           "&" + rnd.choice(["x", "y*"])]) + ")"


def test_random_rules_describe_and_dry_run_as_redis(pair) -> None:
    """Seeded random users: the same SETUSER reply, the same description, and the same
    ACL DRYRUN verdict for sample commands (keys with %R~/%W~, channels, selectors)."""
    rnd = random.Random(7015)
    ember, real = pair
    with Connection(ember.port) as ours:
        categories = [c.decode() for c in parsed(ours.request(("ACL", "CAT")))]
        names = sorted({name.decode() for category in categories
                        for name in parsed(ours.request(("ACL", "CAT", category)))}
                       - {"client|no-touch", "client|setinfo"})  # Redis 7.2's
    with Connection(ember.port) as ours, Connection(real.port) as theirs:
        for _ in range(120):
            rules = [_random_rule(rnd, names, categories) for _ in range(rnd.randint(1, 7))]
            command = ("ACL", "SETUSER", "rnd", "reset", *rules)
            assert ours.request(command) == theirs.request(command), rules
            described = ("ACL", "GETUSER", "rnd")
            assert normalized(ours.request(described)) == normalized(theirs.request(described))
            for argv in rnd.sample(_sample_commands(rnd), 6):
                dry_run = ("ACL", "DRYRUN", "rnd", *argv)
                assert ours.request(dry_run) == theirs.request(dry_run), (rules, argv)
        ours.request(("ACL", "DELUSER", "rnd"))
        theirs.request(("ACL", "DELUSER", "rnd"))


def test_credentials_and_rules_are_redacted_from_the_slow_log(pair) -> None:
    logged = []
    for server in pair:
        with Connection(server.port) as client:
            client.request(("CONFIG", "SET", "slowlog-log-slower-than", "0"))
            client.request(("SLOWLOG", "RESET"))
            for command in (("ACL", "SETUSER", "sl", "on", ">pw", "+@all"), ("AUTH", "sl", "pw"),
                            ("AUTH", "pw"), ("HELLO", "2", "AUTH", "sl", "pw", "SETNAME", "n"),
                            ("ACL", "SETUSER", "bad name", "x")):
                client.request(command)
            client.request(("CONFIG", "SET", "slowlog-log-slower-than", "10000"))
            entries = parsed(client.request(("SLOWLOG", "GET", "10")))
            logged.append([entry[3] for entry in entries])
            client.request(("ACL", "DELUSER", "sl"))
    assert logged[0] == logged[1]
    assert [b"AUTH", b"(redacted)", b"(redacted)"] in logged[0]
