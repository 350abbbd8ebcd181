"""A real `python -m ccat pat rotate` process, killed with SIGKILL mid-rotation.

The emulator runs in the test process; the rotation runs in a subprocess with the
operator credential in GH_TOKEN and the new token on standard input (never in argv).
SPEC §5: a kill at any instant leaves a journal that parses, every repository it calls
`updated` was updated, and `--resume` finishes the rest.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest
from typer.testing import Result

from ccat.pat.journal import Journal
from tests.support.rotation import (
    NoLeak,
    RotationCase,
    holding,
    put_repositories,
    puts,
    rotation_process,
)
from tests.support.terminal import wait_for

pytestmark = pytest.mark.slow

Ccat = Callable[..., Result]


@pytest.mark.parametrize(
    ("writes", "delay"),
    [(1, 0.0), (3, 0.17), (5, 0.26)],
    # A write starts every 0.3 s and is answered 0.1 s later; the kill comes `delay`
    # after the answer to write number `writes` was logged.
    ids=["right-after-an-answer", "between-writes", "mid-write"],
)
def test_a_killed_rotation_leaves_a_true_journal_and_resume_finishes_it(
    ccat: Ccat,
    rotate_args: list[str],
    case: RotationCase,
    assert_no_leak: NoLeak,
    writes: int,
    delay: float,
) -> None:
    case.hub.latency = 0.1
    with rotation_process(
        rotate_args, case.hub, case.token, case.tmp_path, "--write-interval", "0.3"
    ) as process:
        wait_for(lambda: len(puts(case.hub)) >= writes or process.poll() is not None)
        time.sleep(delay)
        assert process.poll() is None, "the rotation ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL

    run = Journal(case.journal).load().current  # it parses
    assert run is not None and run.state == "running"
    assert set(run.updated()) <= holding(case.hub, case.token)
    assert writes - 1 <= len(run.updated()) < len(case.targets)
    assert run.updated() == case.targets[: len(run.updated())]
    in_flight = [t for t in run.targets if t.started_at is not None and t.finished_at is None]
    assert len(in_flight) <= 1
    shown = ccat("pat", "journal", "--journal", str(case.journal))
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.count("│ ? in flight ") == len(in_flight)
    assert ("in flight, outcome unknown" in shown.stdout) == bool(in_flight)
    # A write the dead process had in flight may still be answered (and logged) now.
    resumed_at = time.monotonic()

    resumed = ccat(*rotate_args, "--resume", "--write-interval", "0", input=case.token + "\n")

    assert resumed.exit_code == 0, resumed.output
    assert sorted(put_repositories(case.hub, resumed_at)) == sorted(
        set(case.targets) - set(run.updated())
    )
    assert holding(case.hub, case.token) == set(case.targets)
    finished = Journal(case.journal).load().current
    assert finished is not None and finished.run_id == run.run_id
    assert finished.state == "completed"
    assert_no_leak(stdout, stderr, shown.stdout, resumed.stdout, resumed.stderr)


def test_a_second_rotation_is_refused_while_the_first_one_runs(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    with rotation_process(
        rotate_args, case.hub, case.token, case.tmp_path, "--write-interval", "0.2"
    ) as first:
        wait_for(lambda: len(puts(case.hub)) >= 1 or first.poll() is not None)
        second = ccat(*rotate_args, "--write-interval", "0", input=case.token + "\n")
        stdout, stderr = first.communicate(timeout=30)

    assert second.exit_code == 2, second.output
    assert f"another rotation holds the journal lock {case.journal}.lock" in second.stderr
    assert f"pid {first.pid} " in second.stderr
    assert first.returncode == 0, stderr
    assert sorted(put_repositories(case.hub)) == sorted(
        case.targets
    )  # once each: all from the first
    document = Journal(case.journal).load()
    assert document.current is not None and document.current.state == "completed"
    assert document.history == []  # the refused rotation left no run behind
    assert_no_leak(stdout, stderr, second.stdout, second.stderr)


def test_ctrl_c_mid_rotation_exits_130_and_says_how_to_finish(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    case.hub.latency = 0.1
    with rotation_process(
        rotate_args, case.hub, case.token, case.tmp_path, "--write-interval", "0.3"
    ) as process:
        wait_for(lambda: len(puts(case.hub)) >= 2 or process.poll() is not None)
        assert process.poll() is None, "the rotation ended before it could be interrupted"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "ccat pat rotate --resume" in stderr
    assert "Traceback" not in stderr
    run = Journal(case.journal).load().current
    assert run is not None and run.state == "interrupted" and run.finished_at is not None
    assert run.updated() and set(run.updated()) <= holding(case.hub, case.token)
    # The report lists exactly what the journal says was updated.
    for repository in run.updated():
        assert f"✓ {repository}" in stderr

    resumed = ccat(*rotate_args, "--resume", "--write-interval", "0", input=case.token + "\n")
    assert resumed.exit_code == 0, resumed.output
    assert holding(case.hub, case.token) == set(case.targets)
    assert_no_leak(stdout, stderr, resumed.stdout, resumed.stderr)
