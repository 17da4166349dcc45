"""`emberkv-server [config-file] [--directive value ...]`, the redis-server contract."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from server.config import Config, ConfigFileError, parse_command_line
from server.state import REDIS_VERSION

log = logging.getLogger("emberkv")


def _quote(value: str) -> str:
    if value and not any(ch in value for ch in " \"'\\\t\n\r"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def load_config(argv: list[str]) -> Config:
    """The config file first, then `--name value` overrides as extra lines, as Redis does."""
    config = Config()
    config_path, overrides = parse_command_line(argv)
    text = ""
    if config_path is not None:
        try:
            with open(config_path, encoding="utf-8", errors="surrogateescape") as handle:
                text = handle.read()
        except OSError as error:
            raise ConfigFileError(0, config_path, f"Fatal error, can't open config file "
                                  f"'{config_path}': {error.strerror}") from None
        config.config_file = os.path.abspath(config_path)
    lines = [text] if text else []
    for name, values in overrides:
        lines.append(" ".join([name] + [_quote(v) for v in values]))
    source_dir = os.path.dirname(config_path) if config_path else "."
    config.load_text("\n".join(lines), source_dir or ".")
    return config


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-v", "--version"):
        print(f"EmberKV server v={REDIS_VERSION} emberkv={_emberkv_version()}")
        return 0
    if args and args[0] in ("-h", "--help"):
        print("Usage: emberkv-server [/path/to/redis.conf] [--directive value ...]\n"
              "Example: emberkv-server --port 7777 --dir ./data --appendonly yes")
        return 0
    try:
        config = load_config(args)
    except ConfigFileError as error:
        sys.stderr.write(error.report(REDIS_VERSION))
        return 1
    from server.app import banner, configure_logging, serve

    configure_logging(config)
    log.warning("oO0OoO0OoO0Oo %s", banner(config))
    if config["pidfile"]:
        with open(config["pidfile"], "w") as handle:
            handle.write(f"{os.getpid()}\n")
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a declared dependency
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


def _emberkv_version() -> str:
    from server.state import EMBERKV_VERSION

    return EMBERKV_VERSION


if __name__ == "__main__":
    sys.exit(main())
