"""Crash torture for the persistence code: write, SIGKILL, restart, check what came back.

One cycle, for one persistence setup (SETUPS):
    copy the setup's template directory (PADDING keys, so BGSAVE, rewrites and loading
    take a while) -> start EmberKV -> WRITERS clients write (each op recorded as sent,
    then as acknowledged) -> SIGKILL the server's process group at a moment picked by the
    cycle's kill mode (KILL_MODES) -> [power loss: damage the file a lost page cache
    would] -> [restart and SIGKILL again while it loads] -> restart -> read everything
    back -> Verdict.

Each writer runs its ops one at a time on its own connection, so its acknowledged ops
are exactly its first `acked` ops and at most one more was sent. The ops:
    set    SET <w>:s<i> v<i>                  a distinct key per op
    incr   INCR <w>:ctr                       the writer's counter
    push   RPUSH <w>:list p<i>                the writer's list
    tx     MULTI SET <w>:x<i>:a  SET <w>:x<i>:b  INCR <w>:ctr  RPUSH <w>:list x<i> EXEC
From the state read back, each op is present or absent; the checks (all setups):
    phantom        a key, value, counter or list element no sent op explains
    torn           a transaction partly present
    not a prefix   a writer's present ops are not its first k ops
    not a point    no single instant explains every writer's k: some op present was sent
                   after another writer's absent op was acknowledged
and by promise: `always` loses no acknowledged op; `everysec` may lose those
acknowledged in the last ~2 s (loss window = kill time - ack time of the oldest lost
op); `no` and `rdb` report what they lose. After power-loss damage only the safety
checks apply (no phantom, torn, prefix or point violation); the server may instead
refuse to start, with a clear error and no traceback.

Kill modes: random (a moment while the writers run), bgsave (during a BGSAVE),
rewrite (during a BGREWRITEAOF, sometimes right after its reply), swap (just after a
rewrite swapped the manifest), loading (as random, then the restarted server is killed
again while it loads), syscall (strace kills the server as it enters the Nth rename or
unlink of a rewrite). The server runs in its own session and the kill is a SIGKILL to
that process group: the server and any BGSAVE/rewrite child die together, as in a
machine crash. With compare_redis, redis-server is given a copy of each damaged
directory, to see whether it starts (with as many keys) or refuses as EmberKV did.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.servers import ping_reply

ROOT = Path(__file__).resolve().parents[2]

PAGE = 4096

# name -> server arguments. Every setup sets `save` explicitly (the default save
# points would add BGSAVEs to the AOF setups' runs).
SETUPS: dict[str, list[str]] = {
    "always": ["--appendonly", "yes", "--appendfsync", "always",
               "--aof-use-rdb-preamble", "no", "--save", ""],
    "everysec": ["--appendonly", "yes", "--appendfsync", "everysec",
                 "--aof-use-rdb-preamble", "no", "--save", ""],
    "no": ["--appendonly", "yes", "--appendfsync", "no",
           "--aof-use-rdb-preamble", "no", "--save", ""],
    "rdb": ["--appendonly", "no", "--save", "1 1"],
    # Rewrites every time the AOF grows by a fifth: many manifest swaps per cycle.
    # fsync always, so that any loss across a swap shows up as a loss.
    "preamble": ["--appendonly", "yes", "--appendfsync", "always",
                 "--aof-use-rdb-preamble", "yes", "--save", "",
                 "--auto-aof-rewrite-percentage", "20",
                 "--auto-aof-rewrite-min-size", "64kb"],
}

# What each setup promises about acknowledged writes after a crash (SIGKILL).
PROMISES = {
    "always": "a reply means the write is on disk: nothing acknowledged is lost",
    "everysec": "at most ~1-2 s of acknowledged writes lost",
    "no": "the OS decides when data reaches the disk",
    "rdb": "the state of the last completed save point",
    "preamble": "as always (appendfsync always), across frequent rewrites",
}

KILL_MODES = ("random", "bgsave", "rewrite", "swap", "loading", "syscall")

# "syscall": the server runs under strace, which SIGKILLs it on entering the Nth
# rename or unlink of its main thread during a BGREWRITEAOF (the manifest persists,
# the base rename, the history removal): every crash point of a rewrite, not only
# the moments a poll can catch. (name, syscall set, how many a rewrite makes at most)
INJECTION_POINTS = (("rename", "rename,renameat,renameat2", 4),
                    ("unlink", "unlink,unlinkat", 2))

CLEAR_ERRORS = re.compile(
    r"Bad file format|Unexpected end of file|Short read|Wrong signature|checksum|"
    r"Fatal error loading|can't open the append only file|Invalid|Unknown RDB")


def is_aof(setup: str) -> bool:
    return "--appendonly" in SETUPS[setup] and SETUPS[setup][
        SETUPS[setup].index("--appendonly") + 1] == "yes"


def kill_modes_of(setup: str) -> tuple[str, ...]:
    modes = KILL_MODES if shutil.which("strace") else KILL_MODES[:-1]
    if is_aof(setup):
        return modes
    # RDB: no rewrite; and a BGSAVE child's rename is its own tracee's, whose SIGKILL
    # would kill the child alone, not the machine.
    return tuple(mode for mode in modes if mode not in ("rewrite", "swap", "syscall"))


# ---------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CrashableServer:
    """One EmberKV (or redis-server) process in its own session, on `directory`."""

    def __init__(self, directory: str, args: list[str], kind: str = "emberkv") -> None:
        self.directory = directory
        self.args = args
        self.kind = kind
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = ""
        self.died_before_the_kill = False

    def start(self, extra: Iterable[str] = (),
              injection: tuple[str, int] | None = None) -> "CrashableServer":
        """`injection` (syscall set, n): run under strace, SIGKILLed on entering the
        nth call of the set by any one thread."""
        self.port = free_port()
        # One log per start: a refusal is judged by its own log.
        self.log_path = os.path.join(self.directory, f"{self.kind}-{time.time_ns()}.log")
        if self.kind == "emberkv":
            head = [sys.executable, "-m", "server"]
        else:
            head = ["redis-server", "--daemonize", "no"]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        if injection is not None:
            syscalls, nth = injection
            head = ["strace", "-f", "-qq", "-o", "/dev/null",
                    "-e", f"trace={syscalls}",
                    "-e", f"inject={syscalls}:signal=SIGKILL:when={nth}", *head]
            # Writing a stale .pyc renames it into place: not a crash point to count.
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        command = [*head, "--port", str(self.port), "--bind", "127.0.0.1",
                   "--dir", self.directory, *self.args, *extra]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT),
                env=env, start_new_session=True)
        return self

    def wait(self, *, until_loading: bool = False, timeout_s: float = 60.0) -> str:
        """"ready" once PING gets anything but -LOADING; "loading" as soon as it gets
        -LOADING (until_loading); "exited" if the process ends first."""
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return "exited"
            reply = ping_reply(self.port)
            if reply.startswith(b"-LOADING"):
                if until_loading:
                    return "loading"
            elif reply:
                return "ready"
            time.sleep(0.002 if until_loading else 0.02)
        raise RuntimeError(f"{self.kind} did not answer PING in {timeout_s}s:\n{self.log_text()}")

    def crash(self) -> None:
        """SIGKILL the server and its fork children at once (a machine crash)."""
        if self.process is None:
            return
        if self.process.poll() is not None:
            self.died_before_the_kill = True
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            pass
        self.crash()

    def exit_code(self, timeout_s: float = 60.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout_s)

    def client(self) -> redis.Redis:
        return client_of(self.port)

    def log_text(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""


def client_of(port: int, db: int = 0) -> redis.Redis:
    # No retries: a command redis-py sent again after a reconnect would be a second
    # write the harness never recorded.
    return redis.Redis(host="127.0.0.1", port=port, db=db, socket_timeout=20,
                       retry=Retry(NoBackoff(), 0))


def value_of(index: int) -> bytes:
    """The value op `index` writes: every 16th is 9 KB, so records cross pages."""
    return b"v%d" % index + (b":" + b"x" * 9000 if index % 16 == 5 else b"")


# ---------------------------------------------------------------------- the writers


@dataclass
class Op:
    kind: str  # set | incr | push | tx
    sent_s: float
    acked_s: float | None = None


class Writer(threading.Thread):
    """Sends ops one at a time until told to stop or the connection breaks."""

    WEIGHTS = (("set", 4), ("incr", 2), ("push", 2), ("tx", 1))

    def __init__(self, port: int, prefix: str, seed: int, stop: threading.Event,
                 db: int = 0) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.db = db
        self.prefix = prefix
        self.rng = random.Random(seed)
        self.stop_event = stop
        self.ops: list[Op] = []
        self.error: str | None = None  # an error reply: not expected, reported

    def run(self) -> None:
        client = client_of(self.port, self.db)
        kinds = [kind for kind, weight in self.WEIGHTS for _ in range(weight)]
        p = self.prefix
        try:
            while not self.stop_event.is_set():
                index = len(self.ops)
                kind = self.rng.choice(kinds)
                op = Op(kind, time.monotonic())
                self.ops.append(op)
                if kind == "set":
                    client.set(f"{p}:s{index}", value_of(index))
                elif kind == "incr":
                    client.incr(f"{p}:ctr")
                elif kind == "push":
                    client.rpush(f"{p}:list", f"p{index}")
                else:
                    pipe = client.pipeline(transaction=True)
                    pipe.set(f"{p}:x{index}:a", value_of(index))
                    pipe.set(f"{p}:x{index}:b", value_of(index))
                    pipe.incr(f"{p}:ctr")
                    pipe.rpush(f"{p}:list", f"x{index}")
                    pipe.execute()
                op.acked_s = time.monotonic()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            pass
        except redis.ResponseError as error:
            self.error = str(error)
        finally:
            client.close()

    @property
    def acked(self) -> int:
        return sum(1 for op in self.ops if op.acked_s is not None)


# ---------------------------------------------------------------------- checking


@dataclass
class WriterState:
    """What one writer's keys hold after the restart."""

    strings: dict[str, bytes] = field(default_factory=dict)  # key suffix -> value
    counter: int = 0
    items: list[bytes] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # keys of unexpected type or name


@dataclass
class Verdict:
    acked: int = 0
    sent: int = 0
    present: int = 0
    lost: int = 0  # acknowledged ops absent
    loss_window_ms: float = 0.0
    phantoms: int = 0
    torn: int = 0
    not_prefix: int = 0
    not_point: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def unsafe(self) -> int:
        return self.phantoms + self.torn + self.not_prefix + self.not_point


def read_state(port: int, writers: list[Writer]) -> dict[str, WriterState]:
    states = {}
    for writer in writers:
        prefix = writer.prefix
        state = states[prefix] = WriterState()
        client = client_of(port, writer.db)
        keys = sorted(client.keys(f"{prefix}:*"))
        types = client.pipeline(transaction=False)
        for key in keys:
            types.type(key)
        for key, kind in zip(keys, types.execute()):
            suffix = key.decode()[len(prefix) + 1:]
            if suffix == "ctr" and kind == b"string":
                value = client.get(key)
                try:
                    state.counter = int(value or b"")
                except ValueError:
                    state.other.append(f"{suffix}={value!r}")
            elif suffix == "list" and kind == b"list":
                state.items = client.lrange(key, 0, -1)
            elif kind == b"string" and (suffix.startswith("s") or suffix.startswith("x")):
                state.strings[suffix] = client.get(key) or b""
            else:
                state.other.append(f"{suffix} ({kind.decode()})")
        client.close()
    return states


def judge_writer(ops: list[Op], state: WriterState, verdict: Verdict,
                 kill_s: float) -> int:
    """Adds one writer's findings to verdict; returns k, its count of leading present
    ops (-1 when its ops are not a prefix)."""
    present: list[bool] = []
    counter_ordinal = 0
    list_ordinal = 0
    expected_items: list[bytes] = []
    explained: set[str] = set()
    for index, op in enumerate(ops):
        if op.kind == "set":
            key = f"s{index}"
            value = state.strings.get(key)
            explained.add(key)
            if value is not None and value != value_of(index):
                verdict.phantoms += 1
                verdict.notes.append(f"{key} holds {value!r}")
            present.append(value == value_of(index))
        elif op.kind == "incr":
            present.append(counter_ordinal < state.counter)
            counter_ordinal += 1
        elif op.kind == "push":
            expected_items.append(b"p%d" % index)
            present.append(list_ordinal < len(state.items))
            list_ordinal += 1
        else:
            parts = []
            for half in ("a", "b"):
                key = f"x{index}:{half}"
                explained.add(key)
                value = state.strings.get(key)
                if value is not None and value != value_of(index):
                    verdict.phantoms += 1
                    verdict.notes.append(f"{key} holds {value!r}")
                parts.append(value == value_of(index))
            parts.append(counter_ordinal < state.counter)
            parts.append(list_ordinal < len(state.items))
            expected_items.append(b"x%d" % index)
            counter_ordinal += 1
            list_ordinal += 1
            if len(set(parts)) > 1:
                verdict.torn += 1
                verdict.notes.append(f"transaction {index} partly present: "
                                     f"a, b, counter, list = {parts}")
            present.append(all(parts))
    for key in state.strings:
        if key not in explained:
            verdict.phantoms += 1
            verdict.notes.append(f"{key} was never sent")
    for description in state.other:
        verdict.phantoms += 1
        verdict.notes.append(f"unexpected key {description}")
    if state.counter > counter_ordinal:
        verdict.phantoms += state.counter - counter_ordinal
        verdict.notes.append(f"counter {state.counter} > {counter_ordinal} increments sent")
    if state.items != expected_items[:len(state.items)]:
        verdict.phantoms += 1
        verdict.notes.append(f"list {state.items[:8]!r}... is not a prefix of the pushes")

    k = 0
    while k < len(present) and present[k]:
        k += 1
    if any(present[k:]):
        verdict.not_prefix += 1
        verdict.notes.append(f"ops present after absent op {k}: "
                             f"{[i for i, p in enumerate(present) if p and i > k][:5]}")
    acked = sum(1 for op in ops if op.acked_s is not None)
    verdict.acked += acked
    verdict.sent += len(ops)
    verdict.present += sum(present)
    lost = [index for index in range(acked) if not present[index]]
    verdict.lost += len(lost)
    if lost:
        oldest = ops[lost[0]].acked_s
        assert oldest is not None
        verdict.loss_window_ms = max(verdict.loss_window_ms, (kill_s - oldest) * 1000)
    return -1 if any(present[k:]) else k


def judge(writers: list[Writer], states: dict[str, WriterState], kill_s: float) -> Verdict:
    verdict = Verdict()
    cuts: list[tuple[list[Op], int]] = []
    for writer in writers:
        k = judge_writer(writer.ops, states[writer.prefix], verdict, kill_s)
        if k >= 0:
            cuts.append((writer.ops, k))
    # One instant T explains every writer's k: each present op was sent before T and
    # each absent acknowledged op was acknowledged after T.
    latest_present_sent = max((ops[k - 1].sent_s for ops, k in cuts if k > 0), default=0.0)
    absent_acks = [ops[k].acked_s for ops, k in cuts if k < len(ops)]
    earliest_absent_ack = min((t for t in absent_acks if t is not None), default=float("inf"))
    if latest_present_sent > earliest_absent_ack:
        verdict.not_point += 1
        verdict.notes.append(
            f"not a point in time: an op sent {latest_present_sent - earliest_absent_ack:.3f}s "
            "after another writer's absent op was acknowledged is present")
    return verdict


# ---------------------------------------------------------------------- damage


def damaged_file(setup: str, directory: str) -> Path | None:
    """The file a lost page cache would damage: the last incr file, or dump.rdb."""
    if not is_aof(setup):
        path = Path(directory) / "dump.rdb"
        return path if path.exists() else None
    aof_dir = Path(directory) / "appendonlydir"
    manifest = aof_dir / "appendonly.aof.manifest"
    if not manifest.exists():
        return None
    incrs = [line.split()[1] for line in manifest.read_text().splitlines()
             if line.split()[-1:] == ["i"]]
    return aof_dir / incrs[-1] if incrs else None


def damage(path: Path, rng: random.Random) -> str:
    """Cut or zero the tail of `path` as a power loss might; returns what was done.
    Only the last 64 KiB is touched: older pages were written back long ago."""
    size = path.stat().st_size
    if size == 0:
        return "empty, untouched"
    cut = rng.randrange(max(0, size - 65536), size)
    style = rng.choice(("cut", "cut-page", "zero-pages"))
    if style == "cut":
        os.truncate(path, cut)
        return f"cut at {cut} of {size}"
    page_start = cut - cut % PAGE
    if style == "cut-page":
        os.truncate(path, page_start)
        return f"cut at page {page_start} of {size}"
    with open(path, "r+b") as stream:
        stream.seek(page_start)
        stream.write(bytes(size - page_start))
    return f"zeroed {page_start}..{size}"


# ---------------------------------------------------------------------- cycles


@dataclass
class Options:
    cycles: int = 30
    writers: int = 4
    padding: int = 20000  # keys in the template: BGSAVE, rewrite and loading take time
    run_s: tuple[float, float] = (0.3, 1.5)  # how long the writers run before the kill
    power_loss: float = 0.25  # fraction of cycles whose files are damaged after the kill
    compare_redis: bool = False  # give damaged files to redis-server too
    # For bounded tests: cycle i uses modes[i % len(modes)] instead of a random mode,
    # and the cycles in damaged_cycles are the ones damaged (instead of power_loss).
    modes: tuple[str, ...] = ()
    damaged_cycles: frozenset[int] | None = None
    seed: int = 1
    workdir: str | None = None
    progress: Callable[[str], None] = lambda _line: None


@dataclass
class CycleResult:
    setup: str
    cycle: int
    mode: str
    damage: str | None
    outcome: str  # "checked" | "refused"
    verdict: Verdict
    refusals: list[bool] = field(default_factory=list)  # one per refused start: clear?
    recovery: str = "direct"  # how the server finally started, or "none"
    tracebacks: int = 0
    load_killed: bool | None = None  # loading mode: did the kill land during loading
    injection: str = ""  # syscall mode: which call strace kills the server on
    injection_hit: bool = False  # ... and whether the server got that far
    redis_agrees: bool | None = None
    first_start: bool = True  # the first restart's outcome (before any retry or fix)
    dbsize: int = -1
    notes: list[str] = field(default_factory=list)


def build_template(setup: str, options: Options, root: str) -> str:
    """A stopped server's directory holding `padding` keys, for each cycle to copy."""
    directory = os.path.join(root, f"template-{setup}")
    os.makedirs(directory)
    server = CrashableServer(directory, SETUPS[setup]).start()
    try:
        if server.wait() != "ready":
            raise RuntimeError(f"template server for {setup} exited:\n{server.log_text()}")
        client = server.client()
        value = "x" * 64
        for start in range(0, options.padding, 1000):
            pipe = client.pipeline(transaction=False)
            for n in range(start, min(start + 1000, options.padding)):
                pipe.set(f"pad:{n}", value)
            pipe.execute()
        if is_aof(setup):
            # The padding in a base (RDB preamble or RESP), as a long-lived server's is.
            for _ in range(2):  # the first may only wait out an automatic rewrite
                start_rewrite(client)
                while int(client.info("persistence")["aof_rewrite_in_progress"]):
                    time.sleep(0.05)
        client.close()
    finally:
        server.stop()
    os.remove(server.log_path)
    return directory


def run_cycle(setup: str, cycle: int, template: str, options: Options,
              rng: random.Random) -> CycleResult:
    directory = tempfile.mkdtemp(prefix=f"torture-{setup}-{cycle}-", dir=options.workdir)
    shutil.rmtree(directory)
    shutil.copytree(template, directory)
    mode = (options.modes[cycle % len(options.modes)] if options.modes
            else rng.choice(kill_modes_of(setup)))
    args = SETUPS[setup]
    servers: list[CrashableServer] = []
    injection = None
    if mode == "syscall":
        _, syscalls, most = rng.choice(INJECTION_POINTS)
        injection = (syscalls, rng.randint(1, most))
    try:
        server = CrashableServer(directory, args).start(injection=injection)
        servers.append(server)
        if server.wait() != "ready":
            raise RuntimeError(f"{setup} server exited at start:\n{server.log_text()}")
        stop = threading.Event()
        # Odd writers use db 1: SELECT records, in every incr file after a switch.
        writers = [Writer(server.port, f"w{n}", rng.randrange(1 << 30), stop, db=n % 2)
                   for n in range(options.writers)]
        for writer in writers:
            writer.start()
        kill_s = provoke_and_kill(server, setup, mode, options, rng)
        stop.set()
        for writer in writers:
            writer.join(30)
        errors = [w.error for w in writers if w.error]

        damage_done = None
        if (cycle in options.damaged_cycles if options.damaged_cycles is not None
                else rng.random() < options.power_loss):
            target = damaged_file(setup, directory)
            if target is not None:
                damage_done = f"{target.name}: {damage(target, rng)}"
        result = CycleResult(setup, cycle, mode, damage_done, "checked", Verdict())
        if injection is not None:
            result.injection = f"{injection[0].split(',')[0]} #{injection[1]}"
            result.injection_hit = server.died_before_the_kill
        result.notes += [f"writer error reply: {e}" for e in errors]
        if damage_done is not None and options.compare_redis:
            redis_copy = directory + "-redis"
            shutil.copytree(directory, redis_copy,
                            ignore=shutil.ignore_patterns("*.log"))
        else:
            redis_copy = None

        load_truncated = "yes"
        if damage_done is not None and rng.random() < 0.5:
            load_truncated = "no"
        if mode == "loading":
            loading = CrashableServer(directory, args).start(
                ["--aof-load-truncated", load_truncated])
            servers.append(loading)
            state = loading.wait(until_loading=True)
            result.load_killed = state == "loading"
            loading.crash()

        final = restart(directory, args, load_truncated, servers, result)
        result.first_start = final is not None
        result.recovery = "direct"
        if final is None and load_truncated == "no" and is_aof(setup):
            result.recovery = "aof-load-truncated yes"
            final = restart(directory, args, "yes", servers, result)
        if final is None and is_aof(setup) and damage_done is not None \
                and shutil.which("redis-check-aof"):
            # What Redis tells an operator to do with a damaged AOF.
            result.recovery = "redis-check-aof --fix"
            fixed = subprocess.run(
                ["redis-check-aof", "--fix",
                 os.path.join(directory, "appendonlydir", "appendonly.aof.manifest")],
                input=b"y\n", capture_output=True, timeout=60)
            result.notes.append(f"redis-check-aof --fix: exit {fixed.returncode}")
            final = restart(directory, args, "yes", servers, result)
        if final is None:
            result.outcome = "refused"
            result.recovery = "none"
            if damage_done is None:
                result.notes.append("refused to start without any damage:\n"
                                    + servers[-1].log_text()[-2000:])
        else:
            client = final.client()
            states = read_state(final.port, writers)
            padding = len(client.keys("pad:*"))
            result.dbsize = client.dbsize()
            client.close()
            result.verdict = judge(writers, states, kill_s)
            if padding != options.padding:
                result.verdict.notes.append(f"padding keys: {padding} of {options.padding}")
                result.verdict.lost += options.padding - padding
        if redis_copy is not None:
            result.redis_agrees = redis_agrees(redis_copy, args, load_truncated, result)
            shutil.rmtree(redis_copy, ignore_errors=True)
        for server in servers:
            server.stop()
        result.tracebacks = sum(
            "Traceback (most recent call last)" in s.log_text() for s in servers)
        if result.tracebacks:
            result.notes.append(servers[-1].log_text()[-3000:])
        return result
    finally:
        for server in servers:
            server.crash()
        shutil.rmtree(directory, ignore_errors=True)


def restart(directory: str, args: list[str], load_truncated: str,
            servers: list[CrashableServer], result: CycleResult) -> CrashableServer | None:
    """The restarted server, or None when it refused to start (the refusal is judged:
    exit code 1 and an error line that says what is wrong)."""
    server = CrashableServer(directory, args).start(["--aof-load-truncated", load_truncated])
    servers.append(server)
    if server.wait() == "ready":
        return server
    log = server.log_text()
    clear = server.exit_code() == 1 and bool(CLEAR_ERRORS.search(log))
    result.refusals.append(clear)
    if not clear:
        result.notes.append(f"unclear refusal (exit {server.exit_code()}):\n{log[-2000:]}")
    return None


def redis_agrees(directory: str, args: list[str], load_truncated: str,
                 result: CycleResult) -> bool | None:
    """Whether redis-server, given the same damaged files, also starts (or also
    refuses) and, when both start, serves as many keys."""
    if shutil.which("redis-server") is None:
        return None
    server = CrashableServer(directory, [*args, "--aof-load-truncated", load_truncated],
                             kind="redis").start()
    try:
        state = server.wait()
        if state != "ready" or not result.first_start:
            return state != "ready" and not result.first_start
        client = server.client()
        keys = client.dbsize()
        client.close()
        return bool(keys == result.dbsize)
    finally:
        server.crash()


def provoke_and_kill(server: CrashableServer, setup: str, mode: str, options: Options,
                     rng: random.Random) -> float:
    """Let the writers run, bring about the mode's moment, SIGKILL; the kill time."""
    low, high = options.run_s
    if not is_aof(setup):
        # `save 1 1` saves at most once a second: give the save points time to act.
        low, high = 3 * low, 3 * high
    control = server.client()
    try:
        if mode in ("random", "loading"):
            time.sleep(rng.uniform(low, high))
        elif mode == "bgsave":
            time.sleep(rng.uniform(low, high) / 2)
            # SCHEDULE: after a running rewrite, when one is (the preamble setup's).
            start_background(control, "BGSAVE", "SCHEDULE")
            wait_info(control, "rdb_bgsave_in_progress", rng.uniform(0, 0.5))
        elif mode == "rewrite":
            time.sleep(rng.uniform(low, high) / 2)
            start_rewrite(control)
            # Sometimes right after the manifest listed the new incr file.
            if rng.random() < 0.7:
                wait_info(control, "aof_rewrite_in_progress", rng.uniform(0, 0.5))
        elif mode == "syscall":
            # strace kills it at the chosen rename/unlink of this rewrite (or of an
            # automatic one); if that call never comes, the SIGKILL below does.
            time.sleep(rng.uniform(low, high) / 2)
            start_rewrite(control)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and server.process is not None \
                    and server.process.poll() is None:
                if not int(control.info("persistence")["aof_rewrite_in_progress"]):
                    deadline = min(deadline, time.monotonic() + 0.5)
                time.sleep(0.01)
        else:  # swap: just after the rewrite's base replaced the old one
            time.sleep(rng.uniform(low, high) / 2)
            start_rewrite(control)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and int(
                    control.info("persistence")["aof_rewrite_in_progress"]):
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.02))
    except (redis.ConnectionError, redis.TimeoutError):
        if mode == "syscall" and server.process is not None:
            try:  # killed by strace, which itself ends a moment later
                server.process.wait(2)
            except subprocess.TimeoutExpired:
                pass
    finally:
        control.close()
    server.crash()
    return time.monotonic()


def start_rewrite(control: redis.Redis) -> None:
    start_background(control, "BGREWRITEAOF")


def start_background(control: redis.Redis, *command: str) -> None:
    try:
        control.execute_command(*command)
    except redis.ResponseError as error:
        # A save point's BGSAVE or an automatic rewrite is running: that one will do.
        if "already in progress" not in str(error):
            raise


def wait_info(control: redis.Redis, flag: str, at_most_s: float) -> None:
    """Poll INFO until `flag` drops to 0 or at_most_s passed."""
    deadline = time.monotonic() + at_most_s
    while time.monotonic() < deadline:
        if not int(control.info("persistence")[flag]):
            return
        time.sleep(0.005)


def run_setup(setup: str, options: Options) -> list[CycleResult]:
    rng = random.Random(f"{options.seed}-{setup}")
    root = tempfile.mkdtemp(prefix=f"torture-{setup}-", dir=options.workdir)
    try:
        template = build_template(setup, options, root)
        results = []
        for cycle in range(options.cycles):
            result = run_cycle(setup, cycle, template, options, rng)
            options.progress(describe(result))
            results.append(result)
        return results
    finally:
        shutil.rmtree(root, ignore_errors=True)


def describe(result: CycleResult) -> str:
    v = result.verdict
    line = (f"{result.setup} #{result.cycle} kill={result.mode}"
            + (f" load-killed={result.load_killed}" if result.load_killed is not None else "")
            + (f" at {result.injection} hit={result.injection_hit}" if result.injection else "")
            + (f" damage=[{result.damage}]" if result.damage else "")
            + f" -> {result.outcome}: acked {v.acked} sent {v.sent} present {v.present}"
            f" lost {v.lost} window {v.loss_window_ms:.0f}ms phantoms {v.phantoms}"
            f" torn {v.torn} not-prefix {v.not_prefix} not-point {v.not_point}")
    if result.refusals:
        line += f" refusals (clear?) {result.refusals}, recovery: {result.recovery}"
    if result.tracebacks:
        line += f" TRACEBACKS {result.tracebacks}"
    if result.redis_agrees is not None:
        line += f" redis-agrees={result.redis_agrees}"
    notes = v.notes + result.notes
    if notes:
        line += "\n    " + "\n    ".join(note[:500] for note in notes[:10])
    return line


def crash_table(results: dict[str, list[CycleResult]]) -> str:
    """Cycles without damage: what each policy's promise is measured against."""
    lines = ["| setup | cycles | acknowledged writes | lost acknowledged | max loss window (ms) "
             "| phantom writes | torn transactions | not prefix / not point in time "
             "| kills: random/bgsave/rewrite/swap/loading (landed)/syscall (landed) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for setup, cycles in results.items():
        crashes = [r for r in cycles if r.damage is None]
        checked = [r.verdict for r in crashes if r.outcome == "checked"]
        modes = [sum(r.mode == m for r in crashes) for m in KILL_MODES]
        in_load = sum(bool(r.load_killed) for r in crashes)
        at_call = sum(r.injection_hit for r in crashes)
        refused = len(crashes) - len(checked)
        lines.append(
            f"| {setup} | {len(crashes)}" + (f" ({refused} refused!)" if refused else "")
            + f" | {sum(v.acked for v in checked)} | {sum(v.lost for v in checked)}"
            f" | {max((v.loss_window_ms for v in checked), default=0):.0f}"
            f" | {sum(v.phantoms for v in checked)} | {sum(v.torn for v in checked)}"
            f" | {sum(v.not_prefix for v in checked)} / {sum(v.not_point for v in checked)}"
            f" | {'/'.join(map(str, modes[:5]))} ({in_load})/{modes[5]} ({at_call}) |")
    return "\n".join(lines)


def power_loss_table(results: dict[str, list[CycleResult]]) -> str:
    lines = ["| setup | damaged cycles | started at once | refused, clear error "
             "| then started (load-truncated yes / check-aof --fix) | never started "
             "| unclear refusals | lost acknowledged (expected) "
             "| phantom / torn / not prefix / not point | redis-server agrees |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for setup, cycles in results.items():
        damaged = [r for r in cycles if r.damage is not None]
        checked = [r.verdict for r in damaged if r.outcome == "checked"]
        compared = [r.redis_agrees for r in damaged if r.redis_agrees is not None]
        lines.append(
            f"| {setup} | {len(damaged)} | {sum(r.first_start for r in damaged)}"
            f" | {sum(not r.first_start and all(r.refusals) for r in damaged)}"
            f" | {sum(r.recovery == 'aof-load-truncated yes' for r in damaged)}"
            f" / {sum(r.recovery == 'redis-check-aof --fix' for r in damaged)}"
            f" | {sum(r.outcome == 'refused' for r in damaged)}"
            f" | {sum(not all(r.refusals) for r in damaged)}"
            f" | {sum(v.lost for v in checked)}"
            f" | {sum(v.phantoms for v in checked)} / {sum(v.torn for v in checked)}"
            f" / {sum(v.not_prefix for v in checked)} / {sum(v.not_point for v in checked)}"
            f" | {f'{sum(compared)} of {len(compared)}' if compared else 'n/a'} |")
    return "\n".join(lines)


def failures(setup: str, results: list[CycleResult]) -> list[str]:
    """What breaks the setup's promise or any safety property, one line each."""
    found = []
    for r in results:
        v = r.verdict
        where = f"{setup} cycle {r.cycle} ({r.mode}{', damaged' if r.damage else ''})"
        if v.unsafe:
            found.append(f"{where}: unsafe state: {describe(r)}")
        if r.tracebacks:
            found.append(f"{where}: traceback in a server log: {describe(r)}")
        if (r.outcome == "refused" and r.damage is None) or not all(r.refusals):
            found.append(f"{where}: refused to start: {describe(r)}")
        if r.damage is None and r.outcome == "checked":
            if setup in ("always", "preamble") and v.lost:
                found.append(f"{where}: lost {v.lost} acknowledged writes: {describe(r)}")
            if setup == "everysec" and v.loss_window_ms > 2500:
                found.append(f"{where}: loss window {v.loss_window_ms:.0f} ms: {describe(r)}")
    return found
