"""`ccat` (or the emulator) in a child process: run to its end, or started for a test to
watch and signal. Import with `from tests.support.processes import run_ccat`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def run_ccat(
    *args: str,
    env: Mapping[str, str],
    input: str | None = None,
    cwd: Path | str | None = None,
    timeout: float = 60,
    module: str = "ccat",
) -> subprocess.CompletedProcess[str]:
    """`python -m MODULE ARGS` in `env`, `input` on its standard input (none: an empty
    pipe), both output streams captured as text. Its exit code is the test's to judge;
    one still running after `timeout` seconds fails the test."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        input=input or "",
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=cwd,
        timeout=timeout,
        check=False,
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
