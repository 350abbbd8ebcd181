"""The tests' own environment (tests/support/environment.py): nothing of the caller's
shell reaches a test, whatever it holds (`GH_TOKEN`, `GITHUB_ACTIONS`, `CCAT_JOURNAL`,
`TERM=dumb`, `NO_COLOR`, `CI`…)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ccat.pat.journal import default_journal_path
from tests.support.environment import TERM, environment, scrubbed


def test_no_variable_of_the_caller_that_changes_ccat_reaches_a_test() -> None:
    assert [name for name in os.environ if scrubbed(name)] == ["TERM"]
    assert os.environ["TERM"] == TERM
    for name in ("GH_TOKEN", "GITHUB_STEP_SUMMARY", "CCAT_JOURNAL", "CI", "NO_COLOR", "LINES"):
        assert scrubbed(name)


def test_the_default_journal_is_in_the_sessions_home_not_the_callers() -> None:
    home = Path(os.environ["HOME"])
    assert home.is_dir() and home.name.startswith("home")
    assert default_journal_path().is_relative_to(home)
    assert not any(home.rglob("pat-journal.json"))  # no test wrote it


def test_a_child_process_gets_the_same_environment() -> None:
    shown = subprocess.run(
        [sys.executable, "-c", "import json, os; print(json.dumps(sorted(os.environ)))"],
        capture_output=True,
        text=True,
        env=environment({"COLUMNS": "80"}),
        check=True,
    )
    names = json.loads(shown.stdout)
    assert [name for name in names if scrubbed(name)] == ["COLUMNS", "TERM"]
