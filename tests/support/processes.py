"""`ccat` (or the emulator) in a child process, run to its end. Import with
`from tests.support.processes import run_ccat`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


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
