"""`python -m server [config-file] [-] [--directive value ...]`, the redis-server contract.

Startup order, as redis-server: read the config file (and stdin for `-`), then the
command-line options as extra config lines; any error prints Redis's FATAL CONFIG FILE
ERROR report on stderr and exits with status 1. Then daemonize if asked, open the log,
make room for maxclients file descriptors, write the pid file and serve until SHUTDOWN
or SIGTERM/SIGINT (exit status 0).
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import sys
import time
from typing import Callable

from server.acl import CommandTable, validate_user_declaration
from server.commands import ALL_GROUPS
from server.config import (
    RESERVED_FDS, Config, ConfigFileError, ConfigOpenError, command_line_config,
    read_config_file,
)
from server.registry import Registry
from server.state import EMBERKV_VERSION, REDIS_VERSION

log = logging.getLogger("emberkv")

# Redis's default pid file for a daemonized server that names none.
DEFAULT_PID_FILE = "/var/run/redis.pid"


def load_config(argv: list[str], stdin_text: str | None = None) -> Config:
    """The config file, stdin when asked, then `--name value` options, in one text as
    Redis builds it: options always follow a newline, so they start at line 2 when there
    is no file (the line numbers of FATAL reports depend on it)."""
    config = Config()
    config.check_user = _user_declaration_checker()
    config_path, from_stdin, options = command_line_config(argv)
    text = ""
    if config_path is not None:
        text = read_config_file(config_path)
        config.config_file = os.path.abspath(config_path)
    if from_stdin:
        text += sys.stdin.read() if stdin_text is None else stdin_text
    config.load_text(text + "\n" + options)
    if config.command_renames:
        from server.commands import command_registry

        command_registry(config)  # a bad rename-command line is a config error, as in Redis
    return config


def _user_declaration_checker() -> Callable[[list[bytes], set[bytes]], tuple[int, str] | None]:
    """Checks `user` lines as the config is read; the command table it needs is built
    at the first such line."""
    tables: list[CommandTable] = []

    def check(args: list[bytes], seen: set[bytes]) -> tuple[int, str] | None:
        if not tables:
            tables.append(CommandTable(Registry(ALL_GROUPS)))
        return validate_user_declaration(args, tables[0], seen)

    return check


def adjust_open_files_limit(config: Config) -> None:
    """Redis's adjustOpenFilesLimit at startup: raise RLIMIT_NOFILE for maxclients, or
    lower maxclients to what the limit allows, with Redis's warnings."""
    maxclients = config["maxclients"]
    wanted = maxclients + RESERVED_FDS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or wanted <= soft:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard) if
                                                     hard != resource.RLIM_INFINITY
                                                     else wanted, hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ValueError, OSError) as error:
        log.warning("Server can't set maximum open files to %d because of OS error: %s.",
                    wanted, getattr(error, "strerror", None) or error)
    if soft >= wanted:
        return
    reduced = max(1, soft - RESERVED_FDS)
    log.warning("You requested maxclients of %d requiring at least %d max file descriptors.",
                maxclients, wanted)
    log.warning("Current maximum open files is %d. maxclients has been reduced to %d to "
                "compensate for low ulimit. If you need higher maxclients increase "
                "'ulimit -n'.", soft, reduced)
    config.values["maxclients"] = reduced


def daemonize() -> None:
    """Redis's daemonize(): fork, the parent exits, the child starts a new session with
    its standard streams on /dev/null."""
    if os.fork() != 0:
        os._exit(0)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)


def _early_log(message: str) -> None:
    """A log line before logging is configured, in Redis's format (role C)."""
    now = time.time()
    stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(now))
    sys.stdout.write(f"{os.getpid()}:C {stamp}.{int(now * 1000) % 1000:03d} # {message}\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-v", "--version"):
        print(f"EmberKV server v={REDIS_VERSION} emberkv={EMBERKV_VERSION}")
        return 0
    if args and args[0] in ("-h", "--help"):
        print("Usage: python -m server [/path/to/redis.conf] [options] [-]\n"
              "       python -m server - (read config from stdin)\n"
              "       python -m server -v or --version\n"
              "       python -m server -h or --help\n\n"
              "Examples:\n"
              "       python -m server (run the server with default conf)\n"
              "       python -m server /etc/redis/6379.conf\n"
              "       python -m server --port 7777\n"
              "       python -m server /etc/myredis.conf --loglevel verbose -")
        return 0
    try:
        config = load_config(args)
    except ConfigOpenError as error:
        _early_log(str(error))
        return 1
    except ConfigFileError as error:
        sys.stderr.write(error.report(REDIS_VERSION))
        return 1
    if config["daemonize"]:
        daemonize()
        if not config["pidfile"]:
            config.values["pidfile"] = DEFAULT_PID_FILE
    from server.app import configure_logging, serve

    try:
        configure_logging(config)
    except OSError as error:
        _early_log(f"Can't open the log file: {error.strerror}")
        return 1
    log.warning("oO0OoO0OoO0Oo EmberKV is starting oO0OoO0OoO0Oo")
    log.warning("EmberKV version=%s, Redis version=%s, bits=%d, pid=%d, just started",
                EMBERKV_VERSION, REDIS_VERSION, 64 if sys.maxsize > 2**32 else 32,
                os.getpid())
    if args:
        log.warning("Configuration loaded")
    else:
        log.warning("Warning: no config file specified, using the default config. In order "
                    "to specify a config file use python -m server /path/to/redis.conf")
    adjust_open_files_limit(config)
    if config["pidfile"]:
        try:
            with open(config["pidfile"], "w") as handle:
                handle.write(f"{os.getpid()}\n")
        except OSError as error:
            log.warning("Failed to write PID file: %s", error.strerror)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a declared dependency
        log.warning("uvloop is not installed: running on asyncio's default event loop, "
                    "which is markedly slower (install EmberKV with its dependencies)")
        runner = asyncio.run
    else:
        runner = uvloop.run
    try:
        return runner(serve(config))
    except SystemExit as stop:
        if isinstance(stop.code, str):
            log.warning("%s", stop.code)
            return 1
        return int(stop.code or 0)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
