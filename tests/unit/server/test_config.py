"""The directive table, value types, CONFIG SET's all-or-nothing rule, CONFIG GET
patterns, CONFIG REWRITE's line handling and redis-server's command-line rules; no
sockets. Expected texts were checked against redis-server 7.0.15."""

from __future__ import annotations

import os

import pytest

from server.config import (
    DIRECTIVES, Config, ConfigError, ConfigFileError, ConfigSetError, command_line_config,
    format_memory_for_file, parse_memory, quote,
)


def set_error(config: Config, *pairs: tuple[str, str]) -> str:
    with pytest.raises(ConfigSetError) as raised:
        config.set_many(list(pairs))
    return raised.value.message


# ------------------------------------------------------------------ value types

@pytest.mark.parametrize("text, expected", [
    ("0", 0), ("100", 100), ("1k", 1000), ("1kb", 1024), ("2M", 2_000_000),
    ("3mb", 3 * 1024**2), ("1g", 10**9), ("1GB", 1024**3), ("", 0), ("5b", 5),
])
def test_memory_values_use_redis_units(text: str, expected: int) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["-1", "1zb", "1.5gb", "+5", "abc", " 5"])
def test_bad_memory_values_are_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="^argument must be a memory value$"):
        parse_memory(text)


def test_memory_is_written_with_the_largest_unit_that_divides_it() -> None:
    assert [format_memory_for_file(v) for v in (0, 100, 4096, 3 * 1024**2, 1024**3)] == [
        "0", "100", "4kb", "3mb", "1gb"]


def test_quote_is_sdscatrepr() -> None:
    assert quote('p w"x') == '"p w\\"x"'
    assert quote("a\nb\\\x01é") == '"a\\nb\\\\\\x01\\xc3\\xa9"'


@pytest.mark.parametrize("name, value, reason", [
    ("hz", "abc", "argument couldn't be parsed into an integer"),
    ("hz", "007", "argument couldn't be parsed into an integer"),
    ("hz", "-1", "argument must be between 0 and 2147483647 inclusive"),
    ("maxclients", "0", "argument must be between 1 and 4294967295 inclusive"),
    ("slowlog-log-slower-than", "-5",
     "argument must be between -1 and 9223372036854775807 inclusive"),
    ("proto-max-bulk-len", "10",
     "argument must be between 1048576 and 9223372036854775807 inclusive"),
    ("proto-max-bulk-len", "18446744073709551615",
     "argument must be between 1048576 and 9223372036854775807 inclusive"),
    ("protected-mode", "maybe", "argument must be 'yes' or 'no'"),
    ("loglevel", "foo",
     "argument(s) must be one of the following: debug, verbose, notice, warning"),
    ("appendfsync", "foo", "argument(s) must be one of the following: everysec, always, no"),
    ("save", "10", "Invalid save parameters"),
    ("save", "1  2", "Invalid save parameters"),
    ("notify-keyspace-events", "Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
    ("oom-score-adj-values", "1 2", "wrong number of arguments"),
    ("client-output-buffer-limit", "normal 1 2",
     "Wrong number of arguments in buffer limit configuration."),
    ("client-output-buffer-limit", "master 1 2 3",
     "Invalid client class specified in buffer limit configuration."),
    ("maxmemory-clients", "200%", "percentage argument must be less or equal to 100"),
    ("shutdown-on-sigterm", "save nosave",
     "shutdown options SAVE and NOSAVE can't be used simultaneously"),
    ("latency-tracking-info-percentiles", "50 200",
     "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"),
    ("dbfilename", "a/b", "dbfilename can't be a path, just a filename"),
])
def test_config_set_refuses_bad_values_with_redis_reasons(name: str, value: str,
                                                          reason: str) -> None:
    message = set_error(Config(), (name, value))
    assert message == f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}"


@pytest.mark.parametrize("name, value, shown", [
    ("hz", "1000", "500"), ("hz", "0", "1"), ("maxmemory", "1KB", "1024"),
    ("maxmemory", "", "0"), ("appendfsync", "ALWAYS", "always"),
    ("notify-keyspace-events", "KEA", "AKE"), ("notify-keyspace-events", "Kx$", "$xK"),
    ("notify-keyspace-events", "An", "A"), ("notify-keyspace-events", "gn$", "g$n"),
    ("oom-score-adj", "relative", "yes"), ("maxmemory-clients", "10%", "10%"),
    ("shutdown-on-sigterm", "force now", "now force"),
    ("shutdown-on-sigterm", "default save", "save"),
    ("save", "100 10 200 20", "100 10 200 20"), ("save", "", ""),
    ("bind", "", ""), ("latency-tracking-info-percentiles", "50.5 99", "50.5 99"),
    ("client-output-buffer-limit", "normal 1mb 2mb 3",
     "normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
    ("client-output-buffer-limit", "replica 1 2 3",
     "normal 0 0 0 slave 1 2 3 pubsub 33554432 8388608 60"),
])
def test_config_set_stores_values_as_redis_reports_them(name: str, value: str,
                                                        shown: str) -> None:
    config = Config()
    config.set_many([(name, value)])
    assert config.get_text(name) == shown


def test_every_directive_default_formats_and_parses_back() -> None:
    config = Config()
    for directive in DIRECTIVES:
        if directive.name in ("dir", "replicaof"):  # no text form of their defaults
            continue
        text = config.get_text(directive.name)
        args = text.split(" ") if directive.type.multi_arg else [text]
        if directive.type.multi_arg and text == "":
            args = [""]
        assert directive.type.parse(args) == directive.default, directive.name


# ------------------------------------------------------------------ CONFIG SET

def test_config_set_is_all_or_nothing() -> None:
    config = Config()
    assert set_error(config, ("hz", "20"), ("maxclients", "abc")) == (
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - "
        "argument couldn't be parsed into an integer")
    assert config["hz"] == 10
    config.set_many([("hz", "20"), ("maxclients", "50")])
    assert (config["hz"], config["maxclients"]) == (20, 50)


def test_config_set_reports_the_first_problem_in_argument_order() -> None:
    config = Config()
    assert set_error(config, ("hz", "10"), ("foo", "1"), ("daemonize", "yes")) == (
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'")
    assert set_error(config, ("daemonize", "yes"), ("foo", "1")) == (
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - "
        "can't set immutable config")
    assert set_error(config, ("hz", "10"), ("HZ", "11")) == (
        "ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter")
    assert set_error(config, ("slave-read-only", "1"), ("replica-read-only", "no")) == (
        "ERR CONFIG SET failed (possibly related to argument 'replica-read-only') - "
        "duplicate parameter")


def test_an_alias_error_names_the_alias_in_lowercase() -> None:
    assert set_error(Config(), ("SLAVE-READ-ONLY", "maybe")) == (
        "ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - "
        "argument must be 'yes' or 'no'")


def test_protected_configs_need_permission() -> None:
    config = Config()
    with pytest.raises(ConfigSetError, match="can't set protected config"):
        config.set_many([("dbfilename", "x.rdb")], allow_protected=False)
    config.set_many([("dbfilename", "x.rdb")], allow_protected=True)
    assert config["dbfilename"] == "x.rdb"


def test_a_refusing_listener_restores_every_value_and_tells_listeners_again() -> None:
    config = Config()
    seen: list[int] = []

    def maxclients_listener(value: int) -> None:
        seen.append(value)
        if value == 77:
            raise ConfigError("no room")

    config.on_change("maxclients", maxclients_listener)
    assert set_error(config, ("hz", "20"), ("maxclients", "77")) == (
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - no room")
    assert (config["hz"], config["maxclients"]) == (10, 10000)
    assert seen == [77, 10000]


def test_listeners_run_only_for_changed_values() -> None:
    config = Config()
    seen: list[int] = []
    config.on_change("hz", seen.append)
    config.set_many([("hz", "10")])
    config.set_many([("hz", "11")])
    assert seen == [11]


# ------------------------------------------------------------------ CONFIG GET

def test_config_get_answers_exact_names_as_typed_and_deduplicates() -> None:
    config = Config()
    assert config.get_matching(["HZ", "hz", "h?"]) == [("HZ", "10")]


def test_config_get_globs_match_aliases_too() -> None:
    names = [name for name, _ in Config().get_matching(["slave*"])]
    assert sorted(names) == sorted([
        "slave-serve-stale-data", "slave-read-only", "slave-ignore-maxmemory",
        "slave-lazy-flush", "slave-priority", "slave-announce-ip", "slave-announce-port",
        "slaveof"])


def test_config_get_star_lists_every_name_once() -> None:
    names = [name for name, _ in Config().get_matching(["*", "hz"])]
    # Redis 7.0's 192, plus EmberKV's own rand-max-reply-size, rdb-snapshot-mode and
    # snapshot-archive-{dir,keep,max-age}.
    assert len(names) == len(set(names)) == 192 + 5


def test_config_get_dir_is_the_working_directory() -> None:
    assert Config().get_matching(["dir"]) == [("dir", os.getcwd())]


# ------------------------------------------------------------------ files

def test_file_errors_carry_line_and_reason() -> None:
    cases = [
        ("port 7392\nfoo bar\n", 2, "foo bar", "Bad directive or wrong number of arguments"),
        ("maxclients abc", 1, "maxclients abc", "argument couldn't be parsed into an integer"),
        ("\nmaxclients\n", 2, "maxclients", "wrong number of arguments"),
        ("  port 7393 7394  ", 1, "port 7393 7394", "wrong number of arguments"),
        ('hz "unbalanced', 1, 'hz "unbalanced', "Unbalanced quotes in configuration line"),
        ('save "abc"', 1, 'save "abc"', "Invalid save parameters"),
        ("replicaof 127.0.0.1 6380", 1, "replicaof 127.0.0.1 6380",
         "EmberKV does not implement replication: replicaof must be 'no one'"),
        ("cluster-enabled yes", 1, "cluster-enabled yes",
         "EmberKV does not implement cluster mode"),
    ]
    for text, number, line, reason in cases:
        with pytest.raises(ConfigFileError) as raised:
            Config().load_text(text)
        assert (raised.value.line_number, raised.value.line, raised.value.reason) == (
            number, line, reason)


def test_fatal_report_matches_redis_server_format() -> None:
    error = ConfigFileError(3, 'foo "bar"', "Bad directive or wrong number of arguments")
    assert error.report("7.0.15") == (
        "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n"
        "Reading the configuration file, at line 3\n"
        ">>> 'foo \"bar\"'\n"
        "Bad directive or wrong number of arguments\n")


def test_save_lines_replace_the_defaults_then_accumulate() -> None:
    config = Config()
    config.load_text("save 900 1\nsave 300 10 60 100\n")
    assert config["save"] == [(900, 1), (300, 10), (60, 100)]
    config.load_text('save ""\nsave 5 5')
    assert config["save"] == [(5, 5)]


def test_multi_argument_directive_given_one_argument_splits_it() -> None:
    config = Config()
    config.load_text('bind "127.0.0.1 -::1"\noom-score-adj-values "1 2 3"')
    assert (config["bind"], config["oom-score-adj-values"]) == (["127.0.0.1", "-::1"],
                                                                [1, 2, 3])


def test_deprecated_directives_are_ignored_and_include_reads_files(tmp_path) -> None:
    extra = tmp_path / "extra.conf"
    extra.write_text("hz 33\n")
    config = Config()
    config.load_text(f"list-max-ziplist-entries 512\ninclude {extra}\n")
    assert config["hz"] == 33


def test_missing_dir_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigFileError, match="No such file or directory"):
        Config().load_text(f"dir {tmp_path}/missing")


# ------------------------------------------------------------------ CONFIG REWRITE

def rewrite(tmp_path, text: str, *pairs: tuple[str, str]) -> str:
    path = tmp_path / "redis.conf"
    path.write_text(text)
    config = Config()
    config.load_file(str(path))
    config.set_many(list(pairs))
    config.rewrite_file()
    return path.read_text()


def test_rewrite_keeps_comments_updates_lines_and_blanks_leftovers(tmp_path) -> None:
    text = ("# my comment\nport 7394\nhz 20\nmaxclients 50\nmaxclients 60\n"
            "slaveof no one\ninclude /dev/null\nsave 100 1\n\n\n# tail\n")
    out = rewrite(tmp_path, text, ("hz", "10"), ("slave-read-only", "no"),
                  ("bind", "127.0.0.1"), ("save", ""))
    assert out == (
        "# my comment\nport 7394\nhz 10\nmaxclients 60\n\ninclude /dev/null\n"
        'save ""\n\n# tail\n\n# Generated by CONFIG REWRITE\n'
        "bind 127.0.0.1\n"
        f"dir {quote(os.getcwd())}\n"
        "latency-tracking-info-percentiles 50 99 99.9\n"
        "replica-read-only no\n")


def test_rewrite_appends_after_an_existing_signature(tmp_path) -> None:
    first = rewrite(tmp_path, "port 7394\n", ("maxmemory", "3mb"))
    assert "# Generated by CONFIG REWRITE\n" in first and "maxmemory 3mb\n" in first
    config = Config()
    config.load_file(str(tmp_path / "redis.conf"))
    config.set_many([("save", "5 5 10 10"), ("requirepass", 'p w"x')])
    config.rewrite_file()
    out = (tmp_path / "redis.conf").read_text()
    assert out.count("# Generated by CONFIG REWRITE") == 1
    assert "save 5 5\n" in out and "save 10 10\n" in out
    assert 'requirepass "p w\\"x"\n' in out


def test_rewrite_writes_types_as_redis_does(tmp_path) -> None:
    out = rewrite(tmp_path, "stream-node-max-bytes 4096\nnotify-keyspace-events \"\"\n"
                  "client-output-buffer-limit normal 0 0 0\n"
                  "client-output-buffer-limit replica 256mb 64mb 60\n"
                  "logfile x.log\n",
                  ("notify-keyspace-events", "Ex"),
                  ("client-output-buffer-limit", "replica 1mb 2mb 3"))
    assert "stream-node-max-bytes 4kb\n" in out
    assert 'notify-keyspace-events "xE"\n' in out
    assert "client-output-buffer-limit normal 0 0 0\n" in out
    assert "client-output-buffer-limit replica 1mb 2mb 3\n" in out
    assert "client-output-buffer-limit pubsub 32mb 8mb 60\n" not in out
    assert 'logfile "x.log"\n' in out


def test_rewrite_comments_out_lines_it_no_longer_understands(tmp_path) -> None:
    out = rewrite(tmp_path, "list-max-ziplist-entries 512\n")
    assert out.startswith("# ??? list-max-ziplist-entries 512\n")


def test_rewritten_file_loads_back_to_the_same_values(tmp_path) -> None:
    pairs = [("maxmemory", "3mb"), ("notify-keyspace-events", "KEA"),
             ("client-output-buffer-limit", "pubsub 1mb 2mb 3"),
             ("oom-score-adj-values", "1 2 3"), ("maxmemory-clients", "5%"),
             ("requirepass", "se cret"), ("save", "10 1"), ("hz", "30")]
    rewrite(tmp_path, "# nothing yet\n", *pairs)
    config = Config()
    config.load_file(str(tmp_path / "redis.conf"))
    for name, _ in pairs:
        expected = Config()
        expected.set_many([(name, dict(pairs)[name])])
        assert config.get_text(name) == expected.get_text(name), name


def test_rewrite_without_a_config_file_is_refused() -> None:
    with pytest.raises(ConfigError, match="^The server is running without a config file$"):
        Config().rewrite_file()


# ------------------------------------------------------------------ command line

@pytest.mark.parametrize("argv, expected", [
    (["--port", "7392", "--foo", "bar"], (None, False, 'port "7392" \nfoo "bar" ')),
    (["redis.conf", "--port", "1"], ("redis.conf", False, 'port "1" ')),
    (["--save", "--port", "1"], (None, False, 'save ""\nport "1" ')),
    (["--port", "1", "--save"], (None, False, 'port "1" \nsave ""')),
    (["--bind", "a", "b", "--hz", "5"], (None, False, 'bind "a" "b" \nhz "5" ')),
    (["--maxmemory-clients", "--5"], (None, False, 'maxmemory-clients "--5" ')),
    (["-", "--port", "1"], (None, True, 'port "1" ')),
    (["x.conf", "--port", "1", "-"], ("x.conf", True, 'port "1" ')),
])
def test_command_line_becomes_config_text_as_redis_builds_it(argv, expected) -> None:
    assert command_line_config(argv) == expected


def test_command_line_options_are_reported_at_redis_line_numbers() -> None:
    _, _, options = command_line_config(["--port", "7392", "--foo", "bar"])
    with pytest.raises(ConfigFileError) as raised:
        Config().load_text("\n" + options)
    assert (raised.value.line_number, raised.value.line) == (3, 'foo "bar"')
