"""Signals and prompts on a real `python -m ccat pat rotate` process (issues 7.9, 10.2).

Mid-rotation, SIGTERM, SIGHUP and SIGINT end the command the same way: exit 143, 129,
130; a message with the exact lists of updated and not updated repositories (equal to
the journal's); the run recorded `interrupted` with a finish time; the lock released
and its holder details cleared; `--resume` then finishes. Before any write, Ctrl-C ends
the command with exit 130 and no `--resume` hint: at the hidden token prompt, during
preflight, and at the `[y/N]` question, which leaves the journal untouched.

The prompts need a terminal: the process gets a pseudo-terminal as its controlling
terminal and standard input, and Ctrl-C is typed into it (the terminal sends SIGINT).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import Fault
from ccat.pat.journal import Journal
from tests.support.rotation import (
    FORBIDDEN,
    NoLeak,
    RotationCase,
    current,
    holding,
    key_path,
    on_disk,
    put_repositories,
    puts,
    report_list,
    rotation_process,
    secret_path,
)
from tests.support.terminal import CTRL_C, on_a_terminal, read_until, wait_for

pytestmark = pytest.mark.slow

Ccat = Callable[..., Result]


def assert_lock_free(journal_path: Path) -> None:
    """No process holds the lock and no holder details are left in its file."""
    journal = Journal(journal_path)
    assert journal.holder() is None
    assert on_disk(journal.lock_path) in (None, b"")


# -- mid-rotation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signum", "code", "name"),
    [
        (signal.SIGTERM, 143, "SIGTERM"),
        (signal.SIGHUP, 129, "SIGHUP"),
        (signal.SIGINT, 130, "Ctrl-C"),
    ],
    ids=["SIGTERM", "SIGHUP", "SIGINT"],
)
def test_a_signal_mid_rotation_records_the_truth_and_resume_finishes(
    ccat: Ccat,
    rotate_args: list[str],
    case: RotationCase,
    assert_no_leak: NoLeak,
    signum: int,
    code: int,
    name: str,
) -> None:
    case.hub.latency = 0.1
    with rotation_process(
        rotate_args, case.hub, case.token, case.tmp_path, "--write-interval", "0.3"
    ) as process:
        wait_for(lambda: len(puts(case.hub)) >= 2 or process.poll() is not None)
        assert process.poll() is None, "the rotation ended before the signal"
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)

    assert process.returncode == code, stderr
    assert f"{name}: the rotation was interrupted" in stderr
    assert "Traceback" not in stderr
    run = current(case.journal)
    assert run.state == "interrupted" and run.finished_at is not None
    assert report_list(stderr, "Already updated") == run.updated()
    assert report_list(stderr, "NOT updated") == run.not_updated()
    assert len(run.updated()) >= 1 and run.updated() == case.targets[: len(run.updated())]
    assert set(run.updated()) <= holding(case.hub, case.token)
    assert "ccat pat rotate --resume" in stderr
    assert_lock_free(case.journal)
    resumed_at = time.monotonic()

    resumed = ccat(*rotate_args, "--resume", "--write-interval", "0", input=case.token + "\n")

    assert resumed.exit_code == 0, resumed.output
    assert set(put_repositories(case.hub, resumed_at)) <= set(run.not_updated())
    assert holding(case.hub, case.token) == set(case.targets)
    finished = current(case.journal)
    assert (finished.run_id, finished.state) == (run.run_id, "completed")
    assert_no_leak(stdout, stderr, resumed.stdout, resumed.stderr)


# -- before any write -------------------------------------------------------------------------


def assert_stopped_before_any_write(stderr: str) -> None:
    assert "Ctrl-C: stopped before any write; nothing was written." in stderr
    assert "--resume" not in stderr
    assert "Traceback" not in stderr


def test_ctrl_c_during_preflight_writes_nothing_and_gives_no_resume_hint(
    rotate_args: list[str], case: RotationCase
) -> None:
    case.hub.add_fault(Fault("GET", key_path(case.targets[2]), action="hang"))
    preflight = 2 + 2 * len(case.targets)  # /user twice, then a key and a reach check each
    with rotation_process(rotate_args, case.hub, case.token, case.tmp_path) as process:
        # Everything but the hanging key has been answered: preflight waits on it.
        wait_for(lambda: len(case.hub.requests) >= preflight - 1 or process.poll() is not None)
        assert process.poll() is None, "preflight ended before Ctrl-C"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)

    assert process.returncode == 130, stderr
    assert_stopped_before_any_write(stderr)
    assert puts(case.hub) == []
    assert not case.journal.exists()
    assert_lock_free(case.journal)


def test_ctrl_c_at_the_token_prompt_exits_130_without_a_request(
    rotate_args: list[str], case: RotationCase
) -> None:
    with on_a_terminal(rotate_args, case.hub, case.tmp_path) as (process, terminal):
        read_until(terminal, b"Paste GH_PAT token: ")
        os.write(terminal, CTRL_C)
        process.wait(timeout=30)
        assert process.stderr is not None
        stderr = process.stderr.read().decode("utf-8")

    assert process.returncode == 130, stderr
    assert_stopped_before_any_write(stderr)
    assert case.hub.requests == []
    assert not case.journal.exists()


@pytest.mark.parametrize("earlier_run", [False, True], ids=["no-journal", "stopped-run"])
def test_ctrl_c_at_the_confirmation_leaves_the_journal_untouched(
    ccat: Ccat,
    rotate_args: list[str],
    asking_rotate_args: list[str],
    case: RotationCase,
    assert_no_leak: NoLeak,
    earlier_run: bool,
) -> None:
    if earlier_run:
        case.hub.add_fault(
            Fault("PUT", secret_path(case.targets[3]), status=403, message=FORBIDDEN)
        )
        stopped = ccat(*rotate_args, "--write-interval", "0", input=case.token + "\n")
        assert stopped.exit_code == 1, stopped.output
    before = on_disk(case.journal)
    case.hub.reset_log()

    with on_a_terminal(asking_rotate_args, case.hub, case.tmp_path) as (process, terminal):
        read_until(terminal, b"Paste GH_PAT token: ")
        os.write(terminal, case.token.encode() + b"\n")
        # Issue 15.2: the question is on the terminal itself, not on stderr.
        asked = read_until(terminal, b"[y/N]").decode("utf-8")
        os.write(terminal, CTRL_C)
        process.wait(timeout=30)
        assert process.stderr is not None
        stderr = process.stderr.read().decode("utf-8")

    assert process.returncode == 130, stderr
    assert f"Rotate GH_PAT in {len(case.targets)} repositories? [y/N]" in asked
    if earlier_run:
        # Issue 15.1: the stopped run is announced (with how to --resume it) before the
        # token is asked for; what Ctrl-C says comes after that note.
        note, stderr = stderr.split("with its token.", 1)
        assert "was unfinished" in note
    assert_stopped_before_any_write(stderr)
    assert puts(case.hub) == []
    assert on_disk(case.journal) == before
    assert_lock_free(case.journal)
    assert_no_leak(stderr)
