"""No write without a yes (issue 15, item 2), on real processes.

The plan and `[y/N]` appear on the terminal itself and the answer is read there, even
when the token comes through a pipe; `n`, an empty answer and Ctrl-D write nothing
(exit 2) and the answered line stays on the screen. With no terminal at all and no
`--yes`, the command stops before it reads the token: exit 2, no request. The journal
lock is taken before the token is asked for, and an unfinished run is announced
before the token and the question. After Ctrl-C or Ctrl-D at a prompt the next
message starts on a line of its own (item 6).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, Fault
from ccat.pat.journal import Journal
from tests.support.rotation import (
    FORBIDDEN,
    ONE_BY_ONE,
    NoLeak,
    RotationCase,
    holding,
    on_disk,
    puts,
    rotation_process,
    secret_path,
)
from tests.support.terminal import CTRL_C, CTRL_D, on_a_terminal, read_rest, read_until

pytestmark = pytest.mark.slow

Ccat = Callable[..., Result]
QUESTION = b"Rotate GH_PAT in 8 repositories? [y/N]: "


def piped(token: str) -> int:
    """A pipe holding `token` on one line, as `pass show … |` gives it (read end)."""
    read_end, write_end = os.pipe()
    os.write(write_end, token.encode() + b"\n")
    os.close(write_end)
    return read_end


@dataclass(frozen=True)
class Answered:
    """A rotation asked on its terminal, with the token piped in, and answered: its exit
    code, the terminal's screen, its standard output and error."""

    returncode: int
    screen: bytes
    stdout: str
    stderr: str


def answer_the_question(
    asking_rotate_args: list[str], case: RotationCase, answer: bytes
) -> Answered:
    """Run the rotation with the token on a pipe and a terminal to ask on; type `answer`
    once it asks (no write has started by then)."""
    stdin = piped(case.token)
    try:
        with on_a_terminal(asking_rotate_args, case.hub, case.tmp_path, stdin=stdin) as (
            process,
            tty,
        ):
            screen = read_until(tty, QUESTION)
            assert puts(case.hub) == []  # asked before any write
            os.write(tty, answer)
            screen += read_rest(tty)
            stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(stdin)
    return Answered(process.returncode, screen, stdout.decode(), stderr.decode())


def test_a_piped_token_still_gets_the_plan_and_the_question_on_the_terminal(
    asking_rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    done = answer_the_question(asking_rotate_args, case, b"y\n")

    text = done.screen.decode()
    assert done.returncode == 0, done.stderr
    assert "Plan: rotate GH_PAT" in text and all(t in text for t in case.targets)
    assert "Paste GH_PAT token" not in text  # the token came through the pipe
    assert "Rotate GH_PAT in 8 repositories? [y/N]: y\r\n" in text  # the answer stays
    assert holding(case.hub, case.token) == set(case.targets)
    assert_no_leak(text, done.stdout, done.stderr)


@pytest.mark.parametrize("answer", [b"\n", b"n\n", b"maybe\nno\n", CTRL_D], ids=repr)
def test_anything_but_yes_writes_nothing_and_exits_2(
    asking_rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak, answer: bytes
) -> None:
    done = answer_the_question(asking_rotate_args, case, answer)

    screen = done.screen
    assert done.returncode == 2, done.stderr
    assert "Not confirmed: nothing was written." in done.stdout
    if answer == CTRL_D:  # nothing echoed: the line is ended for what follows
        assert QUESTION + b"\r\n" in screen
    if answer.startswith(b"maybe"):
        assert b"Please answer y or n." in screen
    assert puts(case.hub) == []
    assert not case.journal.exists()
    assert_no_leak(screen.decode(), done.stdout, done.stderr)


def test_no_terminal_and_no_yes_stops_before_the_token_with_exit_2(
    asking_rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    # rotation_process starts a new session: no controlling terminal at all.
    with rotation_process(asking_rotate_args, case.hub, case.token, case.tmp_path) as process:
        stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 2, stderr
    assert "no terminal to confirm the rotation on, and no --yes; nothing was written" in stderr
    assert "--yes" in stderr.split("hint:", 1)[1]
    assert case.hub.requests == []
    assert not case.journal.exists()
    assert_no_leak(stdout, stderr)


def test_the_journal_lock_is_checked_before_the_token_is_asked_for(
    rotate_args: list[str], case: RotationCase
) -> None:
    # Another rotation, still running, holds the lock.
    with (
        Journal(case.journal).lock(),
        on_a_terminal(rotate_args, case.hub, case.tmp_path) as (process, tty),
    ):
        process.wait(timeout=60)
        screen = read_rest(tty)
        assert process.stderr is not None
        stderr = process.stderr.read().decode()

    assert process.returncode == 2, stderr
    assert "another rotation holds the journal lock" in stderr
    assert b"Paste GH_PAT token" not in screen
    assert case.hub.requests == []


def test_an_unfinished_run_is_announced_before_the_token_and_the_question(
    ccat: Ccat, rotate_args: list[str], case: RotationCase
) -> None:
    case.hub.add_fault(Fault("PUT", secret_path(case.targets[3]), status=403, message=FORBIDDEN))
    stopped = ccat(*rotate_args, *ONE_BY_ONE, input=case.token + "\n")
    assert stopped.exit_code == 1, stopped.output
    before = on_disk(case.journal)
    run = Journal(case.journal).load().current
    assert run is not None
    case.hub.reset_log()

    with on_a_terminal(rotate_args, case.hub, case.tmp_path) as (process, tty):
        screen = read_until(tty, b"Paste GH_PAT token: ")
        assert process.stderr is not None
        # Already said (standard error) by the time the prompt is on the screen.
        note = read_until(process.stderr.fileno(), b"with its token.").decode()
        os.write(tty, CTRL_C)
        screen += read_rest(tty)
        process.wait(timeout=60)

    assert process.returncode == 130
    flat = " ".join(note.split())
    assert f"the previous run {run.run_id} was unfinished (stopped: 3 of 8" in flat
    assert "ccat pat rotate --resume" in flat
    assert b"Paste GH_PAT token: \r\n" in screen  # Ctrl-C: the prompt's line is ended
    assert on_disk(case.journal) == before
    assert puts(case.hub) == []


def test_ctrl_d_at_the_token_prompt_is_exit_2_nothing_written(
    rotate_args: list[str], case: RotationCase
) -> None:
    with on_a_terminal(rotate_args, case.hub, case.tmp_path) as (process, tty):
        screen = read_until(tty, b"Paste GH_PAT token: ")
        os.write(tty, CTRL_D)
        screen += read_rest(tty)
        _, stderr = process.communicate(timeout=60)

    assert process.returncode == 2, stderr
    text = stderr.decode()
    assert "no token given (end of input at the prompt); nothing was written" in text
    assert "Aborted" not in text and "pbpaste" not in text
    assert b"Paste GH_PAT token: \r\n" in screen
    assert case.hub.requests == []


def test_an_empty_token_at_the_prompt_gets_no_pipe_hint(
    rotate_args: list[str], hub: FakeHub, tmp_path: Path
) -> None:
    with on_a_terminal(rotate_args, hub, tmp_path) as (process, tty):
        read_until(tty, b"Paste GH_PAT token: ")
        os.write(tty, b"\n")
        _, stderr = process.communicate(timeout=60)

    assert process.returncode == 2
    text = stderr.decode()
    assert "nothing was pasted at the prompt; nothing was written" in text
    assert "pbpaste" not in text and "pipe" not in text and "run it in a terminal" not in text
    assert hub.requests == []
