"""The crash torture (scripts/torture, tests/persistence/torture.py), bounded: per
persistence setup two SIGKILL cycles with a small workload, one of them with its
incr file or dump.rdb damaged as a lost page cache would leave it. Asserted for every
setup: nothing served that was never sent, no torn transaction, each writer's
surviving writes a prefix of what it sent, all writers' cut one instant, clear
refusals only, no traceback; `always` (and `preamble`, which fsyncs always) loses no
acknowledged write; `everysec` loses at most ~2 s of them."""

from __future__ import annotations

import shutil

import pytest

from tests.persistence import torture

# Cycle by cycle: the kill moment. The last cycle of each setup is damaged.
# "syscall" (a SIGKILL from strace at a rename or unlink of a rewrite) needs strace.
SYSCALL = "syscall" if shutil.which("strace") else "rewrite"
BOUNDED_MODES = {
    "always": (SYSCALL, "loading"),
    "everysec": ("swap", "bgsave"),
    "no": ("rewrite", "random"),
    "rdb": ("bgsave", "loading"),
    "preamble": ("swap", SYSCALL),
}


def check(setup: str, results: list[torture.CycleResult]) -> None:
    # Every assertion names the cycles: a failure must be readable from CI's log alone.
    described = "\n".join(torture.describe(r) for r in results)
    broken = torture.failures(setup, results)
    assert not broken, "\n".join(broken)
    crashes = [r for r in results if r.damage is None]
    assert crashes and all(r.outcome == "checked" for r in crashes), described
    # The writers did write: a cycle where nothing was acknowledged proves nothing.
    assert all(r.verdict.acked > 0 for r in crashes), described
    if setup in ("always", "preamble"):
        assert sum(r.verdict.lost for r in crashes) == 0, described
    if setup == "everysec":
        assert max(r.verdict.loss_window_ms for r in crashes) <= 2500, described
    if setup == "no":
        # SIGKILL leaves the page cache, and with `no` a write always reaches the OS
        # before its reply. (everysec may postpone the write behind a running fsync
        # and reply meanwhile, as Redis does: a process crash can lose those.)
        assert all(r.verdict.present >= r.verdict.acked for r in crashes), described


@pytest.mark.parametrize("setup", list(torture.SETUPS))
def test_sigkill_cycles_keep_every_promise(setup: str, tmp_path) -> None:
    modes = BOUNDED_MODES[setup]
    options = torture.Options(
        cycles=len(modes), writers=3, padding=2000, run_s=(0.15, 0.35), seed=7,
        modes=modes, damaged_cycles=frozenset({len(modes) - 1}), workdir=str(tmp_path))
    results = torture.run_setup(setup, options)
    check(setup, results)
    assert len(results) == len(modes)
    assert [r.damage is not None for r in results].count(True) <= 1


@pytest.mark.slow
@pytest.mark.parametrize("setup", list(torture.SETUPS))
def test_sigkill_cycles_keep_every_promise_long(setup: str, tmp_path) -> None:
    options = torture.Options(
        cycles=15, writers=4, padding=20000, power_loss=0.3, seed=11,
        compare_redis=shutil.which("redis-server") is not None, workdir=str(tmp_path))
    results = torture.run_setup(setup, options)
    check(setup, results)
    disagreements = [torture.describe(r) for r in results if r.redis_agrees is False]
    assert not disagreements, "\n".join(disagreements)
