"""The manifest: which base, incr and history files make up the AOF, in Redis 7's
grammar, so that real Redis and redis-check-aof read ours and we read theirs.

    manifest := line*                       (an empty manifest is an error)
    line     := "#" anything "\\n"           (comment)
              | "file" SP name SP "seq" SP n SP "type" SP t ["\\n"]   (more key/value pairs
                                             are ignored, in any order; at most 1024 bytes)
    t        := "b" (base) | "h" (history) | "i" (incr)

Tokens are split like redis-cli input (quotes, escapes); a name that needs quoting is
written double-quoted with C escapes (Redis's sdscatrepr). A name never contains "/".
Written order: base, history, incr files by ascending seq. Base and incr seqs are
separate counters; seq 0 counts as missing.

File names: <appendfilename>.<seq>.base.aof | .base.rdb, <appendfilename>.<seq>.incr.aof,
manifest <appendfilename>.manifest (replaced atomically: temp file, fsync, rename,
fsync directory).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum

from persistence.files import atomic_replace, write_all
from protocol.resp import split_inline_args

MAX_LINE_BYTES = 1024


class FileType(Enum):
    BASE = "b"
    HISTORY = "h"
    INCR = "i"


@dataclass(frozen=True)
class AofFile:
    name: str
    seq: int
    type: FileType


class ManifestError(Exception):
    """A manifest Redis would refuse to start with (FATAL AOF MANIFEST FILE ERROR)."""

    def __init__(self, reason: str, line_number: int = 0, line: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.line_number = line_number
        self.line = line

    def report(self, version: str) -> str:
        text = f"\n*** FATAL AOF MANIFEST FILE ERROR (Redis {version}) ***\n"
        if self.line_number:
            text += f"Reading the manifest file, at line {self.line_number}\n>>> '{self.line}'\n"
        return text + self.reason


@dataclass
class Manifest:
    base: AofFile | None = None
    incrs: list[AofFile] = field(default_factory=list)
    history: list[AofFile] = field(default_factory=list)

    # ------------------------------------------------------------------ reading

    @classmethod
    def parse(cls, data: bytes) -> "Manifest":
        manifest = cls()
        if not data:
            raise ManifestError("Found an empty AOF manifest")
        last_incr_seq = 0
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for number, raw in enumerate(lines, 1):
            shown = raw.decode("utf-8", "backslashreplace")
            if len(raw) + 1 > MAX_LINE_BYTES:
                raise ManifestError("The AOF manifest file contains too long line", number, shown)
            if raw.startswith(b"#"):
                continue
            tokens = split_inline_args(raw.rstrip(b"\r"))
            if tokens is None or len(tokens) < 6 or len(tokens) % 2:
                raise ManifestError("Invalid AOF manifest file format", number, shown)
            pairs = {tokens[i].lower(): tokens[i + 1] for i in range(0, len(tokens), 2)}
            name_bytes, seq_text, type_text = (pairs.get(b"file"), pairs.get(b"seq"),
                                               pairs.get(b"type"))
            seq = _parse_seq(seq_text)
            if not name_bytes or not seq or not type_text:
                raise ManifestError("Invalid AOF manifest file format", number, shown)
            name = name_bytes.decode("utf-8", "surrogateescape")
            if "/" in name:
                raise ManifestError("File can't be a path, just a filename", number, shown)
            try:
                kind = FileType(type_text.decode("latin-1"))
            except ValueError:
                raise ManifestError("Unknown AOF file type", number, shown) from None
            entry = AofFile(name, seq, kind)
            if kind is FileType.BASE:
                if manifest.base is not None:
                    raise ManifestError("Found duplicate base file information", number, shown)
                manifest.base = entry
            elif kind is FileType.HISTORY:
                manifest.history.append(entry)
            else:
                if seq <= last_incr_seq:
                    raise ManifestError("Found a non-monotonic sequence number", number, shown)
                last_incr_seq = seq
                manifest.incrs.append(entry)
        return manifest

    @classmethod
    def load(cls, path: str) -> "Manifest | None":
        """The manifest at path, or None when there is none."""
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return None
        return cls.parse(data)

    # ------------------------------------------------------------------ writing

    def format(self) -> bytes:
        entries = ([self.base] if self.base else []) + self.history + self.incrs
        return b"".join(
            b"file %s seq %d type %s\n" % (_quote_name(e.name), e.seq, e.type.value.encode())
            for e in entries
        )

    def persist(self, path: str) -> None:
        data = self.format()
        atomic_replace(path, lambda fd: write_all(fd, data), fault_point="manifest")

    # ------------------------------------------------------------------ sequences

    @property
    def next_base_seq(self) -> int:
        seqs = [self.base.seq] if self.base else []
        seqs += [h.seq for h in self.history if _is_base_name(h.name)]
        return max(seqs, default=0) + 1

    @property
    def next_incr_seq(self) -> int:
        seqs = [i.seq for i in self.incrs]
        seqs += [h.seq for h in self.history if not _is_base_name(h.name)]
        return max(seqs, default=0) + 1

    def files_to_load(self) -> list[AofFile]:
        """Base first, then incr files in order; history files are not loaded."""
        return ([self.base] if self.base else []) + list(self.incrs)


def base_name(filename: str, seq: int, rdb: bool = False) -> str:
    return f"{filename}.{seq}.base.{'rdb' if rdb else 'aof'}"


def incr_name(filename: str, seq: int) -> str:
    return f"{filename}.{seq}.incr.aof"


def manifest_name(filename: str) -> str:
    return f"{filename}.manifest"


def _is_base_name(name: str) -> bool:
    return ".base." in name


def _parse_seq(text: bytes | None) -> int:
    # Redis reads seq with atoll: leading digits count, anything else is 0 (missing).
    if not text:
        return 0
    digits = b""
    for byte in text.lstrip():
        if 48 <= byte <= 57:
            digits += bytes((byte,))
        else:
            break
    return int(digits) if digits else 0


_ESCAPES = {ord("\\"): b"\\\\", ord('"'): b'\\"', ord("\n"): b"\\n", ord("\r"): b"\\r",
            ord("\t"): b"\\t", 7: b"\\a", 8: b"\\b"}


def _quote_name(name: str) -> bytes:
    """The name as is, or double-quoted with C escapes when Redis would quote it
    (any backslash, quote, space, control or non-ASCII byte)."""
    raw = name.encode("utf-8", "surrogateescape")
    if all(33 <= b < 127 and b not in (34, 92) for b in raw):
        return raw
    out = bytearray(b'"')
    for byte in raw:
        escaped = _ESCAPES.get(byte)
        if escaped is not None:
            out += escaped
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\x%02x" % byte
    out += b'"'
    return bytes(out)


def path_in(directory: str, name: str) -> str:
    return os.path.join(directory, name)
