"""What `ccat pat journal` shows while a real rotation runs and after it ended badly.

A real `python -m ccat pat rotate` is held on a write the emulator never answers; then
`ccat pat journal` must say `running` (a live process holds the lock), and after the
rotation is ended by a signal `interrupted`, or after SIGKILL `crashed` (unfinished, no
lock held). The journal screen must also read well at 80 and 120 columns.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import Fault
from ccat.pat.journal import Journal, RotationRun
from tests.support.emulator import emulator
from tests.support.rotation import (
    FORBIDDEN,
    ONE_BY_ONE,
    ROTATION_OPERATOR_TOKEN,
    TARGETS,
    NoLeak,
    RotationCase,
    names,
    rotation_process,
    secret_path,
    write_graph,
)
from tests.support.screens import WIDE, assert_reads_well
from tests.support.terminal import wait_for

Ccat = Callable[..., Result]
HANGING = TARGETS[2]


def current_run(journal_path: Path) -> RotationRun | None:
    """The journal's current run as `ccat pat journal` reads it (None: none yet)."""
    if not journal_path.exists():
        return None
    return Journal(journal_path).load().current


def write_in_flight(journal_path: Path, repository: str) -> bool:
    """Whether the journal records the write to `repository` as started, not finished."""
    run = current_run(journal_path)
    target = None if run is None else run.target(repository)
    return target is not None and target.started_at is not None and target.finished_at is None


@contextmanager
def held_rotation(rotate_args: list[str], case: RotationCase) -> Iterator[subprocess.Popen[str]]:
    """A real rotation whose write to HANGING never gets an answer, yielded once the
    journal records that write as started; killed and reaped at the end of the block."""
    case.hub.add_fault(Fault("PUT", secret_path(HANGING), action="hang"))
    # One write at a time: the two before HANGING are answered before it starts.
    extra = (*ONE_BY_ONE, "--timeout", "120")
    with rotation_process(rotate_args, case.hub, case.token, case.tmp_path, *extra) as process:
        wait_for(lambda: process.poll() is not None or write_in_flight(case.journal, HANGING))
        assert process.poll() is None, "the rotation ended before its write hung"
        yield process


def header(screen: str, label: str) -> str:
    """The value of `label` in the journal's header (its first line)."""
    match = re.search(rf"^{label} +(.*)$", screen, re.MULTILINE)
    assert match is not None, screen
    return match.group(1).strip()


def row(screen: str, repository: str) -> str:
    """The targets table's row of `repository`."""
    return next(line for line in screen.splitlines() if line.startswith(f"│ {repository} "))


@pytest.mark.slow
def test_journal_says_running_while_a_live_rotation_holds_the_lock(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    with held_rotation(rotate_args, case) as process:
        shown = ccat("pat", "journal", "--journal", str(case.journal))
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert shown.exit_code == 0, shown.output
    state = header(shown.stdout, "State")
    assert state.startswith(f"running (lock held by pid {process.pid} on host ")
    assert header(shown.stdout, "Finished") == "—"
    assert "│ ? in flight " in row(shown.stdout, HANGING)
    assert "✓ updated" in row(shown.stdout, TARGETS[1])
    assert process.returncode == 143, stderr
    assert_no_leak(shown.stdout, stdout, stderr)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_journal_says_interrupted_after_a_signal(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, signum: signal.Signals
) -> None:
    with held_rotation(rotate_args, case) as process:
        process.send_signal(signum)
        process.communicate(timeout=30)
    assert process.returncode == 128 + signum
    shown = ccat("pat", "journal", "--journal", str(case.journal))
    assert shown.exit_code == 0, shown.output
    run = current_run(case.journal)
    assert run is not None and run.state == "interrupted" and run.finished_at is not None
    assert header(shown.stdout, "State").startswith("interrupted (stopped by a signal;")
    assert header(shown.stdout, "Finished") == run.finished_at
    assert "running" not in shown.stdout and "crashed" not in shown.stdout
    assert "✓ updated" in row(shown.stdout, TARGETS[1])
    assert "│ ? in flight " in row(shown.stdout, HANGING)  # it may or may not have landed
    assert "would skip 2 updated repositories" in " ".join(shown.stdout.split())


@pytest.mark.slow
def test_journal_says_crashed_after_a_kill(
    ccat: Ccat, rotate_args: list[str], case: RotationCase
) -> None:
    with held_rotation(rotate_args, case) as process:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    run = current_run(case.journal)
    assert run is not None and run.state == "running"  # the file cannot know
    shown = ccat("pat", "journal", "--journal", str(case.journal))
    assert shown.exit_code == 0, shown.output
    state = " ".join(shown.stdout.split())
    assert "State crashed (recorded as running, but no process holds the lock" in state
    assert "lock held" not in shown.stdout
    assert "│ ? in flight " in row(shown.stdout, HANGING)
    assert "in flight, outcome unknown" in shown.stdout  # the mark is explained


LONG_NAME = "observatory-" + "x" * 76 + "-pipeline"  # 97 characters, GitHub allows 100


@pytest.mark.parametrize("columns", [80, 120])
def test_the_journal_reads_well_at_80_and_120_columns(
    ccat: Ccat, tmp_path: Path, new_token: str, columns: int
) -> None:
    repositories = [*TARGETS, f"ccatobs/{LONG_NAME}"]
    graph = write_graph(tmp_path / "graph.yml", [*names(TARGETS[1:]), LONG_NAME])
    journal = tmp_path / "j" / "pat-journal.json"
    with emulator(repositories, ROTATION_OPERATOR_TOKEN, new_token) as hub:
        hub.add_fault(Fault("PUT", secret_path(TARGETS[4]), status=403, message=FORBIDDEN))
        args = ["--graph", str(graph), "--api-url", hub.url, "--journal", str(journal)]
        rotated = ccat(
            "pat", "rotate", "--yes", *args, "--write-interval", "0", input=new_token + "\n"
        )
    assert rotated.exit_code == 1, rotated.output

    def journal_at(width: int) -> str:
        shown = ccat("pat", "journal", "--journal", str(journal), env={"COLUMNS": str(width)})
        assert shown.exit_code == 0, shown.output
        return shown.stdout

    screen = journal_at(columns)
    # Names whole up to what is left by State, Time, the lines and 14 columns of error.
    assert_reads_well(screen, journal_at(WIDE), columns, longest_unfolded=columns - 52)
    assert f"│ {TARGETS[4]} " in screen and "│ ✗ failed  │" in screen
