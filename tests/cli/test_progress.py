"""Progress of a rotation: live lines on a terminal only, on stderr.

A real `python -m ccat pat rotate` runs with its stderr on a pseudo-terminal (as in an
operator's shell) and then on a pipe (as in CI): on the terminal it draws `preflight
N/M · 0:01` and `writing 37/121 · 0:37 · ~1:24 left` and says when it waits for a rate
limit; on the pipe none of that, only the lines that stay (one per write).
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading

import pytest
from rich.console import Console

from ccat.fakehub import FakeHub, Fault
from ccat.pat.github import Wait, WaitReason
from ccat.pat.journal import TargetRecord
from ccat.render.progress import RotationProgress
from ccat.render.rotation import write_line
from tests.support.environment import environment
from tests.support.processes import run_ccat
from tests.support.rotation import SECONDARY, TARGETS, NoLeak, holding, secret_path

pytestmark = pytest.mark.slow

ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")
PREFLIGHT = re.compile(r"preflight (\d+)/(\d+) · 0:\d\d")
WRITING = re.compile(r"writing (\d+)/8 · 0:\d\d · ~0:\d\d left")
RATE_LIMIT_WAIT = re.compile(r"writing \d+/8 · 0:\d\d · waiting 1 s: GitHub rate limit")


def rotation(
    rotate_args: list[str], hub: FakeHub, token: str, *, terminal: bool
) -> tuple[int, str, str]:
    """Run a rotation with stdin and stdout on pipes and stderr on a pseudo-terminal (80
    columns) or a pipe; its exit code, stdout and stderr (escape sequences removed)."""
    env = environment({"GH_TOKEN": hub.operator_token, "TERM": "xterm-256color", "COLUMNS": "80"})
    args = [*rotate_args, "--write-interval", "0.15", "--concurrency", "2"]
    if not terminal:
        done = run_ccat(*args, input=token + "\n", env=env, timeout=120)
        return done.returncode, done.stdout, done.stderr
    controller, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "ccat", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=side,
        env=env,
    )
    os.close(side)
    screen = bytearray()

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the process closed its end
                return
            if not chunk:
                return
            screen.extend(chunk)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    stdout, _ = process.communicate(input=(token + "\n").encode(), timeout=120)
    reader.join(timeout=30)
    os.close(controller)
    return process.returncode, stdout.decode(), ESCAPE.sub("\n", screen.decode())


def test_on_a_terminal_preflight_and_writes_show_live_progress_on_stderr(
    rotate_args: list[str], hub: FakeHub, new_token: str, assert_no_leak: NoLeak
) -> None:
    hub.latency = 0.1  # a preflight long enough to be drawn a few times
    code, stdout, stderr = rotation(rotate_args, hub, new_token, terminal=True)
    assert code == 0, stderr
    checks = [(int(done), int(total)) for done, total in PREFLIGHT.findall(stderr)]
    assert checks, stderr
    assert all(done <= total for done, total in checks) and checks[0][0] < checks[0][1], checks
    written = [int(number) for number in WRITING.findall(stderr)]
    assert written and max(written) < len(TARGETS), stderr
    assert written == sorted(written)  # it only moves forward
    # Only stderr: stdout has the report and no progress.
    assert "rotated in all 8 repositories" in stdout
    assert not PREFLIGHT.search(stdout) and "writing" not in stdout
    assert holding(hub, new_token) == set(TARGETS)
    assert_no_leak(stdout, stderr)


def test_a_rate_limit_wait_shows_in_the_live_line(
    rotate_args: list[str], hub: FakeHub, new_token: str, assert_no_leak: NoLeak
) -> None:
    hub.add_fault(
        Fault("PUT", secret_path(TARGETS[3]), status=403, retry_after=1, message=SECONDARY)
    )
    code, stdout, stderr = rotation(rotate_args, hub, new_token, terminal=True)
    assert code == 0, stderr
    assert RATE_LIMIT_WAIT.search(stderr), stderr
    assert holding(hub, new_token) == set(TARGETS)
    assert_no_leak(stdout, stderr)


def test_without_a_terminal_there_is_no_live_progress(
    rotate_args: list[str], hub: FakeHub, new_token: str, assert_no_leak: NoLeak
) -> None:
    hub.latency = 0.1
    code, stdout, stderr = rotation(rotate_args, hub, new_token, terminal=False)
    assert code == 0, stderr
    for text in (stdout, stderr):
        assert "preflight" not in text.lower().replace("preflight ok", "")
        assert not re.search(r"writing \d", text) and " left" not in text
        assert "\x1b" not in text  # no cursor movement either
    # What stays is still there: one line per write, then the report.
    assert [line for line in stderr.splitlines() if line.startswith("✓ ")] == [
        f"✓ {repository}: created" for repository in TARGETS
    ]
    assert "rotated in all 8 repositories" in stdout
    assert_no_leak(stdout, stderr)


def test_a_wait_for_the_request_budget_is_said_in_the_live_line() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=80, color_system=None)
    progress = RotationProgress(console, write_line)
    progress.write_started("ccatobs/a", 1, 121)
    progress.waiting(Wait(WaitReason.BUDGET, 12.0, None, "900 points a minute"))
    progress.close()
    assert isinstance(console.file, io.StringIO)
    assert re.search(
        r"writing 0/121 · 0:\d\d · waiting 12 s for the request budget", console.file.getvalue()
    )


def test_the_estimate_counts_the_write_interval_from_the_first_write_on() -> None:
    # Issue 15.6: the first answer comes back at once; with eight one-second writes to
    # go, the line said `~0:02 left`. The pacing is a floor for each write to go.
    console = Console(file=io.StringIO(), force_terminal=True, width=80, color_system=None)
    progress = RotationProgress(console, write_line, interval=1.0)
    progress.write_started("ccatobs/a", 1, 9)
    first = console.file.getvalue() if isinstance(console.file, io.StringIO) else ""
    progress.write_finished(
        TargetRecord.pending("ccatobs/a").succeeded(204, "2026-01-01T00:00:00Z")
    )
    progress.close()
    assert isinstance(console.file, io.StringIO)
    screen = ESCAPE.sub("\n", console.file.getvalue())
    estimates = [int(m) * 60 + int(s) for m, s in re.findall(r"~(\d+):(\d\d) left", screen)]
    assert estimates, screen
    assert re.search(r"writing 0/9 · 0:00 · ~0:09 left", ESCAPE.sub("\n", first)), first
    assert re.search(r"writing 1/9 · 0:0\d · ~0:08 left", screen), screen
    assert min(estimates) >= 8
