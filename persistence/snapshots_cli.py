"""`emberkv-snapshots`: list, verify and restore the dumps in snapshot-archive-dir.

    emberkv-snapshots list    --archive-dir A
    emberkv-snapshots verify  --archive-dir A <name>
    emberkv-snapshots restore --archive-dir A <name> --dir D [--dbfilename dump.rdb]
                              [--appenddirname appendonlydir] [--port P [--host H]]
                              [--pidfile F]

Exit status: 0 done, 1 a corrupt snapshot or a failed step, 2 usage, 3 restore refused
because a server is using the data directory. The archive directory may also come
from $EMBERKV_SNAPSHOT_ARCHIVE_DIR.

Restore never deletes: the current dump and AOF directory are renamed aside with a
`.before-restore-<time>` suffix, then the snapshot is copied in through a temp file,
fsync and rename. Nothing here talks to a server except the connect probe on --port.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import time
from typing import Sequence, TextIO

from persistence.archive import ArchivedSnapshot, copy_atomically, list_archive
from persistence.rdb.reader import Limits, RdbFormatError, RdbReader

ARCHIVE_ENV = "EMBERKV_SNAPSHOT_ARCHIVE_DIR"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3

# The CLI reads files written by servers with any `databases` setting.
_ANY_DATABASES = Limits(databases=2**31)


class CliError(Exception):
    def __init__(self, message: str, status: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.status = status


def read_snapshot(path: str) -> RdbReader:
    """Parse the whole file and check its CRC64; RdbFormatError names the byte offset.
    now_ms=None keeps keys whose TTL has passed: they are in the file."""
    with open(path, "rb") as stream:
        data = stream.read()
    reader = RdbReader(data, _ANY_DATABASES, verify_checksum=True, now_ms=None)
    for _ in reader.entries():
        pass
    return reader


def resolve(archive_dir: str, name: str) -> ArchivedSnapshot:
    for snapshot in list_archive(archive_dir):
        if snapshot.name == name:
            return snapshot
    raise CliError(f"No snapshot named {name!r} in {archive_dir}")


def format_time(saved_at_ms: int) -> str:
    seconds, millis = divmod(saved_at_ms, 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


# ------------------------------------------------------------------ commands

def list_command(archive_dir: str, out: TextIO) -> int:
    snapshots = list_archive(archive_dir)
    if not snapshots:
        out.write(f"No snapshots in {archive_dir}\n")
        return EXIT_OK
    out.write(f"{'NAME':<30} {'SAVED (UTC)':<25} {'SIZE':>12} {'KEYS':>10}\n")
    for snapshot in snapshots:
        try:
            keys = str(read_snapshot(snapshot.path).state.keys_loaded)
        except RdbFormatError:
            keys = "corrupt"
        except OSError as error:
            keys = f"unreadable ({error.strerror})"
        out.write(f"{snapshot.name:<30} {format_time(snapshot.saved_at_ms):<25} "
                  f"{snapshot.size:>12} {keys:>10}\n")
    return EXIT_OK


def verify_command(archive_dir: str, name: str, out: TextIO) -> int:
    snapshot = resolve(archive_dir, name)
    try:
        reader = read_snapshot(snapshot.path)
    except RdbFormatError as error:
        out.write(f"{name}: CORRUPT at byte offset {error.offset}: {error.detail}\n")
        return EXIT_FAILED
    state = reader.state
    checksum = ("no checksum stored (saved with rdbchecksum no)" if state.checksum_skipped
                else "checksum OK")
    out.write(f"{name}: OK, RDB version {state.version}, {state.keys_loaded} keys, "
              f"{checksum}\n")
    return EXIT_OK


def server_using(data_dir: str, port: int | None, host: str, pidfile: str | None) -> str | None:
    """Why we believe a server is using `data_dir`, or None. Three probes, any one
    suffices: something answers on --port; --pidfile names a live process; a process
    whose working directory is `data_dir` (the server chdirs to `dir`) and whose
    command line names a server (Linux /proc; skipped elsewhere)."""
    if port is not None:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return f"something is listening on {host}:{port}"
        except OSError:
            pass
    if pidfile:
        try:
            with open(pidfile) as handle:
                pid = int(handle.read().strip() or "0")
        except (OSError, ValueError):
            pid = 0
        if pid > 0 and _is_alive(pid):
            return f"process {pid} from {pidfile} is running"
    target = os.path.realpath(data_dir)
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if os.readlink(f"/proc/{entry}/cwd") != target:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue  # gone, or another user's process
        # A shell sitting in the data directory is not a server.
        if any(b"emberkv" in arg or b"redis-server" in arg or arg == b"server"
               for arg in argv):
            return f"process {entry} ({b' '.join(argv).decode(errors='replace').strip()}) " \
                   "runs in that directory"
    return None


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def restore_command(archive_dir: str, name: str, data_dir: str, dbfilename: str,
                    appenddirname: str, port: int | None, host: str,
                    pidfile: str | None, out: TextIO) -> int:
    snapshot = resolve(archive_dir, name)
    if not os.path.isdir(data_dir):
        raise CliError(f"Data directory {data_dir} does not exist")
    busy = server_using(data_dir, port, host, pidfile)
    if busy is not None:
        raise CliError(f"Refusing to restore into {data_dir}: a server seems to be using it "
                       f"({busy}). Stop it first.", EXIT_REFUSED)
    # Never replace good data with a bad file: the whole snapshot parses first.
    try:
        read_snapshot(snapshot.path)
    except RdbFormatError as error:
        raise CliError(f"{name} is corrupt at byte offset {error.offset} ({error.detail}); "
                       "nothing was changed") from None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    moved_aof = None
    for current in (dbfilename, appenddirname):
        path = os.path.join(data_dir, current)
        if not os.path.lexists(path):
            continue
        aside = f"{path}.before-restore-{stamp}"
        suffix = 1
        while os.path.lexists(aside):
            aside = f"{path}.before-restore-{stamp}-{suffix}"
            suffix += 1
        os.rename(path, aside)
        out.write(f"Moved {path} aside to {aside}\n")
        if current == appenddirname:
            moved_aof = aside
    copy_atomically(snapshot.path, os.path.join(data_dir, dbfilename))
    out.write(f"Restored {name} as {os.path.join(data_dir, dbfilename)}\n")
    out.write(
        "Note: with `appendonly yes` the server loads the AOF, not the dump, at startup. "
        + ("The AOF directory was moved aside, so " if moved_aof else "So ")
        + "start the server once with `--appendonly no` to load the restored dump, then "
        "run `CONFIG SET appendonly yes` to rebuild the AOF from it (and make it "
        "permanent in the config file or with CONFIG REWRITE).\n")
    return EXIT_OK


# ------------------------------------------------------------------ entry point

def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--archive-dir", default=os.environ.get(ARCHIVE_ENV),
                        help=f"the server's snapshot-archive-dir (default ${ARCHIVE_ENV})")
    parser = argparse.ArgumentParser(prog="emberkv-snapshots",
                                     description="List, verify and restore archived "
                                                 "EmberKV snapshots.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", parents=[common], help="time, size and key count of each")
    verify = commands.add_parser("verify", parents=[common],
                                 help="parse a snapshot fully and check its checksum")
    verify.add_argument("name")
    restore = commands.add_parser("restore", parents=[common],
                                  help="copy a snapshot into a stopped server's data dir")
    restore.add_argument("name")
    restore.add_argument("--dir", required=True, dest="data_dir",
                         help="the server's `dir`")
    restore.add_argument("--dbfilename", default="dump.rdb")
    restore.add_argument("--appenddirname", default="appendonlydir")
    restore.add_argument("--port", type=int, help="refuse if a server answers here")
    restore.add_argument("--host", default="127.0.0.1")
    restore.add_argument("--pidfile", help="refuse if the process it names is alive")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return int(stop.code or 0)
    if not args.archive_dir:
        sys.stderr.write(f"emberkv-snapshots: --archive-dir (or ${ARCHIVE_ENV}) is required\n")
        return EXIT_USAGE
    try:
        if args.command == "list":
            return list_command(args.archive_dir, out)
        if args.command == "verify":
            return verify_command(args.archive_dir, args.name, out)
        return restore_command(args.archive_dir, args.name, args.data_dir, args.dbfilename,
                               args.appenddirname, args.port, args.host, args.pidfile, out)
    except CliError as error:
        sys.stderr.write(f"emberkv-snapshots: {error}\n")
        return error.status
    except OSError as error:
        sys.stderr.write(f"emberkv-snapshots: {error}\n")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
