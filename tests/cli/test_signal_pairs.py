"""Two signals in quick succession (issue 14, defect 5): a closing terminal sends SIGHUP
then SIGTERM, an impatient operator presses Ctrl-C twice. Once the first signal is
handled, every later one is absorbed: the command ends as the first one says, with the
journal telling the truth, the lock released and no traceback.

Each case is a real `python -m ccat pat rotate`, sent a pair of signals 0 to 5 ms apart
in one of four phases: during preflight, at the hidden token prompt, during the writes,
and just after the run was recorded completed (where nothing said may change: the
report stays a success and the exit code 0). The 16 cases are every pair in every
phase; the gap goes round 0, 1, 2 and 5 ms so that each phase and each pair meets every
gap once.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from ccat.fakehub import FakeHub, Fault
from ccat.pat.journal import Journal
from tests.support.rotation import (
    RotationCase,
    current,
    holding,
    key_path,
    on_disk,
    puts,
    report_list,
    rotation_process,
)
from tests.support.terminal import on_a_terminal, read_rest, read_until, wait_for

pytestmark = pytest.mark.slow

PAIRS = {
    "TERM+TERM": (signal.SIGTERM, signal.SIGTERM),
    "HUP+HUP": (signal.SIGHUP, signal.SIGHUP),
    "INT+TERM": (signal.SIGINT, signal.SIGTERM),
    "INT+INT": (signal.SIGINT, signal.SIGINT),
}
PHASES = ("preflight", "prompt", "writes", "completed")
GAPS_MS = (0, 1, 2, 5)
CASES = [
    pytest.param(
        phase, pair, GAPS_MS[(p + q) % len(GAPS_MS)], id=f"{phase}-{pair}-{GAPS_MS[(p + q) % 4]}ms"
    )
    for p, phase in enumerate(PHASES)
    for q, pair in enumerate(PAIRS)
]
NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


def send_pair(pid: int, first: int, second: int, gap_ms: int) -> None:
    """`first`, then `second` `gap_ms` later (busy-waiting: a sleep is too coarse)."""
    os.kill(pid, first)
    until = time.perf_counter() + gap_ms / 1000
    while time.perf_counter() < until:
        pass
    os.kill(pid, second)


def assert_clean_end(stderr: str) -> None:
    assert "Traceback" not in stderr and "Exception" not in stderr, stderr
    assert "KeyboardInterrupt" not in stderr and "CancelledError" not in stderr, stderr


def assert_lock_free(journal_path: Path) -> None:
    journal = Journal(journal_path)
    assert journal.holder() is None
    assert on_disk(journal.lock_path) in (None, b"")


@pytest.mark.parametrize(("phase", "pair", "gap_ms"), CASES)
def test_a_second_signal_is_absorbed_until_the_journal_says_interrupted(
    rotate_args: list[str], case: RotationCase, phase: str, pair: str, gap_ms: int
) -> None:
    first, second = PAIRS[pair]
    if phase == "prompt":
        returncode, stdout, stderr = _at_the_prompt(
            rotate_args, case.hub, case.tmp_path, first, second, gap_ms
        )
    else:
        returncode, stdout, stderr = _in_a_rotation(
            rotate_args,
            case.hub,
            case.journal,
            case.token,
            case.targets,
            case.tmp_path,
            phase,
            first,
            second,
            gap_ms,
        )
    assert_clean_end(stderr)
    assert_lock_free(case.journal)
    if phase == "completed":
        # Recorded completed: the signals change nothing that is said.
        assert returncode == 0, stderr
        assert "rotated in all 8 repositories" in stdout
        assert "interrupted" not in stderr and "--resume" not in stdout + stderr
        assert current(case.journal).state == "completed"
        assert holding(case.hub, case.token) == set(case.targets)
        return
    assert returncode == 128 + first, stderr
    if phase in ("preflight", "prompt"):
        assert f"{NAMES[first]}: stopped before any write; nothing was written." in stderr
        assert puts(case.hub) == []
        assert not case.journal.exists()
        return
    run = current(case.journal)
    assert run.state == "interrupted" and run.finished_at is not None
    assert f"{NAMES[first]}: the rotation was interrupted" in stderr
    assert report_list(stderr, "Already updated") == run.updated()
    assert report_list(stderr, "NOT updated") == run.not_updated()
    assert set(run.updated()) <= holding(case.hub, case.token)


def _in_a_rotation(
    rotate_args: list[str],
    hub: FakeHub,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    tmp_path: Path,
    phase: str,
    first: int,
    second: int,
    gap_ms: int,
) -> tuple[int, str, str]:
    extra = ["--write-interval", "0.2"]
    if phase == "preflight":
        hub.add_fault(Fault("GET", key_path(targets[2]), action="hang"))
    elif phase == "writes":
        hub.latency = 0.05
    with rotation_process(rotate_args, hub, new_token, tmp_path, *extra) as process:
        if phase == "preflight":
            preflight = 2 + 2 * len(targets)  # /user twice, then a key and a reach check each
            wait_for(lambda: len(hub.requests) >= preflight - 1 or process.poll() is not None)
        elif phase == "writes":
            wait_for(lambda: len(puts(hub)) >= 2 or process.poll() is not None)
        else:
            wait_for(lambda: _recorded_completed(journal_path) or process.poll() is not None)
        assert process.poll() is None, f"the process ended before the {phase} signals"
        send_pair(process.pid, first, second, gap_ms)
        stdout, stderr = process.communicate(timeout=30)
    return process.returncode, stdout, stderr


def _recorded_completed(journal_path: Path) -> bool:
    try:
        run = Journal(journal_path).load().current
    except Exception:  # mid-replace on another filesystem: try again
        return False
    return run is not None and run.state == "completed"


def _at_the_prompt(
    rotate_args: list[str], hub: FakeHub, tmp_path: Path, first: int, second: int, gap_ms: int
) -> tuple[int, str, str]:
    with on_a_terminal(rotate_args, hub, tmp_path) as (process, terminal):
        read_until(terminal, b"Paste GH_PAT token: ")
        send_pair(process.pid, first, second, gap_ms)
        read_rest(terminal)
        stdout, stderr = process.communicate(timeout=30)
    assert hub.requests == []
    return process.returncode, stdout.decode(), stderr.decode()
