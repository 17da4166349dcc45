"""server/app.py's log handlers: a line that quotes odd client bytes is written with
the bytes escaped; the handler never raises (logging would print a traceback instead)."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pytest

from server.app import RedisLogFormatter, log_handler

# What a protocol error quoting the byte 0xff looks like once decoded with surrogateescape.
ODD = "got '" + b"\xff".decode("utf-8", "surrogateescape") + "'"


def emit(handler: logging.Handler, message: str) -> None:
    handler.setFormatter(RedisLogFormatter())
    # handleError would print "--- Logging error ---" to stderr; make it fail loudly.
    handler.handleError = lambda record: pytest.fail(f"handler failed on {record.msg!r}")
    logger = logging.getLogger("emberkv.test-odd-bytes")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        logger.warning("Protocol error (%s)", message)
        try:
            raise ValueError(message)
        except ValueError:
            logger.exception("bug with %s", message)
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_logfile_handler_escapes_surrogates(tmp_path: Path) -> None:
    path = tmp_path / "emberkv.log"
    emit(log_handler(str(path)), ODD)
    text = path.read_bytes()
    assert b"# Protocol error (got '\\udcff')\n" in text
    assert b"ValueError: got '\\udcff'" in text


def test_stdout_handler_escapes_surrogates(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdout", stdout)
    emit(log_handler(""), ODD + " caf\u00e9")
    stdout.flush()
    assert "Protocol error (got '\\udcff' caf\u00e9)\n".encode() in raw.getvalue()


def test_stdout_handler_escapes_what_an_ascii_stream_cannot_encode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
    monkeypatch.setattr(sys, "stdout", stdout)
    emit(log_handler(""), "caf\u00e9")
    stdout.flush()
    assert b"Protocol error (caf\\xe9)\n" in raw.getvalue()
