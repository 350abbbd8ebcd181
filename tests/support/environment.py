"""The one environment the tests run in, whatever the caller's (GUIDE: hermetic tests).

The session's first fixture (tests/conftest.py) takes every variable that `scrubbed`
names out of this process's environment, and gives them back after the last test:
nothing of the caller's shell reaches a test, an in-process command line or a child
process. What it removes changes where ccat goes, what it uses or how it prints:

- credentials and hosts: every `GH_*` and `GITHUB_*` (`GH_TOKEN`, `GH_HOST`,
  `GH_ENTERPRISE_TOKEN`, `GITHUB_API_URL`, but also `GITHUB_ACTIONS`,
  `GITHUB_STEP_SUMMARY` and `GITHUB_OUTPUT`, which change what status prints and writes);
- ccat's own `CCAT_*` (`CCAT_JOURNAL`: a test must never write to the caller's journal);
- what a CI or a terminal says about the screen: `CI`, `NO_COLOR`, `FORCE_COLOR`,
  `CLICOLOR*`, `TTY_*`, `COLUMNS`, `LINES`, and `TERM`, set to one ordinary terminal;
- every `XDG_*`, and `HOME` becomes an empty folder of the test session: the default
  journal (`~/.local/state/ccat/`) and `gh`'s configuration are then the session's.

A test that needs one of these sets it itself. A `ccat` run gets `command_env` on top:
the operator credential in `GH_TOKEN`, a state folder of the test's, no colour, and a
terminal wide enough that no table cell is cut. Import with
`from tests.support.environment import ...`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DROPPED_PREFIXES = ("GH_", "GITHUB_", "CCAT_", "XDG_", "CLICOLOR", "TTY_", "_TYPER")
DROPPED = frozenset({"CI", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TERM"})
TERM = "xterm-256color"


def scrubbed(name: str) -> bool:
    """Whether the caller's variable `name` is kept out of the tests."""
    return name in DROPPED or name.startswith(DROPPED_PREFIXES)


def command_env(operator_token: str, tmp_path: Path) -> dict[str, str]:
    """What a `ccat` run of a test adds to the (scrubbed) environment."""
    return {
        "GH_TOKEN": operator_token,
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
        "COLUMNS": "200",  # wide enough that no table cell is cut
        "NO_COLOR": "1",
    }


def environment(changes: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The environment of a child process: this (scrubbed) one with `changes` (a value
    None removes the variable)."""
    env = dict(os.environ)
    for name, value in (changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def child_env(
    operator_token: str, tmp_path: Path, changes: Mapping[str, str | None] | None = None
) -> dict[str, str]:
    """The environment of a `ccat` child process: `environment` with `command_env`, then
    `changes`."""
    return environment({**command_env(operator_token, tmp_path), **(changes or {})})
