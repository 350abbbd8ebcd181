"""What every benchmark here shares: the machine it runs on, an emulator serving N
repositories, a dependency graph naming them, and one child process measured from the
outside (wall time from start to exit, CPU and peak memory as the kernel counts them).

Imported by the `bench_*.py` scripts of this directory (run them as files: Python puts
their directory first on `sys.path`). Prints nothing, asserts nothing.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ccat.fakehub import FakeHub

ORG = "ccatobs"
SECRET = "GH_PAT"
OPERATOR_TOKEN = "bench-operator-token"
# One repository in MISSING_EVERY has no secret (status then asks for the organisation's
# secrets too: 2 requests); the others have it (1 request). Every table counts the
# requests the emulator received, so the floor follows whatever the mix is.
MISSING_EVERY = 10


def machine() -> str:
    """CPU model, cores, Python and the system, as one line."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return (
        f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"{platform.system()} {platform.release()}{load}"
    )


@dataclass(frozen=True)
class Measured:
    """One child process: wall seconds, CPU seconds (user + system, its own children
    included), peak resident memory in MiB, exit code, and what it printed."""

    wall: float
    cpu: float
    peak_mib: float
    exit_code: int
    stdout: str
    stderr: str


def run_child(
    argv: Sequence[str], env: Mapping[str, str], stdin: str | None = None, cwd: Path | None = None
) -> Measured:
    """Run `argv` to its end and measure it with `wait4` (its output goes to files, so a
    large one costs no pipe and cannot fill one)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=dict(env),
            cwd=cwd,
        )
        if stdin is not None:
            assert child.stdin is not None
            child.stdin.write(stdin.encode())
            child.stdin.close()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return Measured(
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            peak_mib=usage.ru_maxrss / 1024,  # kilobytes on Linux
            exit_code=child.returncode,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
        )


def repository_names(count: int) -> list[str]:
    """Names of `count` targets: system-integration (always first) and count - 1 more."""
    return ["system-integration", *(f"repo-{index:04d}" for index in range(count - 1))]


def write_graph(path: Path, names: Sequence[str]) -> Path:
    """A dependency graph of org `ORG` naming `names`."""
    lines = [f"org: {ORG}", "repositories:", *(f"  - {name}" for name in names)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def status_hub(names: Sequence[str], latency: float, **tokens: str) -> FakeHub:
    """A started emulator serving `names` (in `ORG`) with `latency` seconds per answer,
    the secret present in all but one repository in `MISSING_EVERY`; `tokens` are more
    known tokens (value -> login)."""
    full = [f"{ORG}/{name}" for name in names]
    hub = FakeHub(full, operator_token=OPERATOR_TOKEN, tokens=dict(tokens), latency=latency).start()
    for index, repository in enumerate(full):
        if index % MISSING_EVERY != MISSING_EVERY - 1:
            hub.set_secret(repository, SECRET, "value")
    return hub


def missing_count(count: int) -> int:
    """How many of `count` repositories `status_hub` leaves without the secret."""
    return count // MISSING_EVERY


def ccat_argv(*args: str) -> list[str]:
    """The real command line, as an operator runs it (the installed entry point)."""
    entry = Path(sys.executable).with_name("ccat")
    return [str(entry), *args] if entry.exists() else [sys.executable, "-m", "ccat", *args]


def ccat_env(**extra: str) -> dict[str, str]:
    """The environment of a `ccat` child: the operator credential and nothing of ours."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GH_", "GITHUB_", "CCAT_"))
    }
    return {**env, "GH_TOKEN": OPERATOR_TOKEN, **extra}
