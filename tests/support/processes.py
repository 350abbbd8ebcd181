"""`ccat` (or the emulator) in a child process: run to its end, or started for a test to
watch and signal; the emulator served from its command line (`serve`). Import with
`from tests.support.processes import run_ccat`."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tests.support.environment import environment


def run_ccat(
    *args: str,
    env: Mapping[str, str],
    input: str | None = None,
    cwd: Path | str | None = None,
    timeout: float = 60,
    module: str = "ccat",
) -> subprocess.CompletedProcess[str]:
    """`python -m MODULE ARGS` in `env`, `input` on its standard input (none: an empty
    pipe), both output streams captured as text, in a session of its own (no terminal
    to ask on, whatever pytest runs in). Its exit code is the test's to judge; one still
    running after `timeout` seconds fails the test."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        input=input or "",
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=cwd,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )


@contextmanager
def ccat_process(
    *args: str,
    env: Mapping[str, str],
    stdin: int | IO[Any] | None = subprocess.DEVNULL,
    stderr: int | IO[Any] | None = subprocess.PIPE,
) -> Iterator[subprocess.Popen[str]]:
    """`python -m ccat ARGS` started in `env`, in a session of its own (no terminal: a
    rotation would ask there), output as text on pipes; a process still running when
    the block ends is killed and reaped."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ccat", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=dict(env),
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def emulator_process(*args: str) -> subprocess.Popen[str]:
    """`python -m ccat.fakehub ARGS` started in the tests' environment, unbuffered (its
    first line, the URL, arrives at once), output as text on pipes."""
    return subprocess.Popen(
        [sys.executable, "-m", "ccat.fakehub", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment({"PYTHONUNBUFFERED": "1"}),
    )


@dataclass
class Served:
    """The emulator serving in a child process (`serve`): the process and its URL."""

    process: subprocess.Popen[str]
    url: str

    def stop(self, signum: signal.Signals = signal.SIGTERM) -> str:
        """Send `signum` if it still runs, wait for its end: all it wrote on stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        _, stderr = self.process.communicate(timeout=10)
        return stderr


@contextmanager
def serve(*args: str) -> Iterator[Served]:
    """`emulator_process(ARGS)` once it has printed its URL; stopped (SIGTERM) and reaped
    at the end of the block unless the test stopped it."""
    served = Served(emulator_process(*args), "")
    try:
        assert served.process.stdout is not None
        served.url = served.process.stdout.readline().strip()
        yield served
    finally:
        if served.process.returncode is None:
            served.stop()
