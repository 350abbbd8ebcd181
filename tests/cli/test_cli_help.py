"""`--help` of every command at 80 and 120 columns, `--version`, and shell completion.

The help pages come from a real `python -m ccat` with `COLUMNS` set, as a terminal of
that width gives them; each is compared word by word with the same page laid out 1000
columns wide, so that a word cut at a line's end (click breaks after hyphens) is found.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from ccat import __version__
from ccat.cli import (
    JOURNAL_EPILOG,
    REVOKE_EPILOG,
    ROTATE_EPILOG,
    STATUS_EPILOG,
    VERIFY_EPILOG,
    app,
)
from ccat.cli_help import HelpContext
from tests.support.environment import environment
from tests.support.processes import run_ccat as ccat_process
from tests.support.screens import WIDE, assert_reads_well

COMMANDS = [[], ["pat"], ["pat", "status"], ["pat", "rotate"], ["pat", "journal"], ["pat", "demo"]]
COMMANDS += [["pat", "verify"], ["pat", "revoke"]]
COMMANDS += [["version"]]
IDS = [" ".join(path) or "ccat" for path in COMMANDS]


def run_ccat(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m ccat ARGS` with `env` added to a clean environment."""
    return ccat_process(*args, env=environment(env))


def help_page(path: list[str], columns: int) -> str:
    """`ccat PATH --help` in a terminal `columns` wide."""
    done = run_ccat(*path, "--help", COLUMNS=str(columns))
    assert done.returncode == 0, done.stderr
    return done.stdout


def wide_help_page(path: list[str]) -> str:
    """The same page laid out WIDE columns wide: nothing wraps."""
    command = typer.main.get_command(app)
    context = HelpContext(
        command,
        info_name="ccat",
        terminal_width=WIDE,
        max_content_width=WIDE,
        **command.context_settings,
    )
    for name in path:
        assert isinstance(command, typer.core.TyperGroup)
        found = command.get_command(context, name)
        assert found is not None
        command = found
        context = HelpContext(command, info_name=name, parent=context)
    return command.get_help(context) + "\n"


@pytest.mark.parametrize("path", COMMANDS, ids=IDS)
def test_help_reads_well_at_80_and_120_columns(path: list[str]) -> None:
    reference = wide_help_page(path)
    for columns in (80, 120):
        page = help_page(path, columns)
        assert_reads_well(page, reference, columns)
        assert "<bool>" not in page and "BOOLEAN" not in page
        assert "..." not in page.replace("[ARGS]...", "")  # no summary cut short


@pytest.mark.parametrize(
    ("path", "epilog"),
    [
        (["pat", "status"], STATUS_EPILOG),
        (["pat", "rotate"], ROTATE_EPILOG),
        (["pat", "journal"], JOURNAL_EPILOG),
        (["pat", "verify"], VERIFY_EPILOG),
        (["pat", "revoke"], REVOKE_EPILOG),
    ],
    ids=["status", "rotate", "journal", "verify", "revoke"],
)
def test_examples_are_one_per_line_and_whole_at_80_columns(path: list[str], epilog: str) -> None:
    page = help_page(path, 80)
    shown = page[page.index("  Examples:\n") :].splitlines()[1:]
    written = [line.strip() for line in epilog.splitlines()[2:] if line.strip()]
    # Each example exactly as written: one a line, never wrapped, a real command line.
    assert [line.strip() for line in shown if line.strip()] == written
    assert len(written) >= 3
    for line in written:
        assert re.match(r"(ccat pat |pass show )", line), line
    assert all(len(line) <= 80 for line in shown)


def test_the_journal_default_is_shown_whole() -> None:
    for path in (["pat", "journal"], ["pat", "rotate"], ["pat", "status"]):
        words = help_page(path, 80).split()
        for where in ("$CCAT_JOURNAL,", "$XDG_STATE_HOME/ccat/pat-journal.json,"):
            assert where in words
        assert "~/.local/state/ccat/pat-journal.json]" in words
        assert "ci/dependency-graph.yml]" in words


def test_flags_have_no_metavar() -> None:
    page = help_page(["pat", "rotate"], 80)
    for flag in ("--dry-run", "--resume", "-y, --yes", "--json", "--debug", "--insecure-http"):
        line = next(line for line in page.splitlines() if line.startswith(f"  {flag} "))
        after = line[len(f"  {flag}") :]
        assert after.startswith("  "), line  # straight to the help text


@pytest.mark.parametrize("args", [["--version"], ["version"]])
def test_the_version(args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0
    assert result.stdout == f"ccat {__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", __version__)


@pytest.mark.slow
def test_bash_completion_script_completes_commands_and_options(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    ccat = Path(sys.executable).parent / "ccat"
    if bash is None or not ccat.exists():  # pragma: no cover - both are on every CI machine
        pytest.skip("needs bash and the installed ccat script")
    # Ask for bash explicitly instead of detecting the calling shell.
    script = run_ccat("--show-completion", "bash", _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1")
    assert script.returncode == 0, script.stderr
    assert "complete -o default -F _ccat_completion ccat" in script.stdout
    assert "_CCAT_COMPLETE=complete_bash" in script.stdout
    (tmp_path / "ccat.bash").write_text(script.stdout, encoding="utf-8")

    def complete(*words: str) -> list[str]:
        """What bash offers for the last of `words`, through the script and ccat itself."""
        quoted = " ".join(f"'{word}'" for word in words)
        show = 'printf "%s\\n" "${COMPREPLY[@]}"'
        done = subprocess.run(
            [
                bash,
                "-c",
                f"source {tmp_path / 'ccat.bash'}; COMP_WORDS=({quoted}); "
                f"COMP_CWORD={len(words) - 1}; _ccat_completion ccat; {show}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PATH": f"{ccat.parent}:{os.environ['PATH']}"},
        )
        assert done.returncode == 0, done.stderr
        return [line for line in done.stdout.splitlines() if line]

    assert complete("ccat", "pat", "ro") == ["rotate"]
    assert set(complete("ccat", "pat", "")) == {
        "status",
        "verify",
        "rotate",
        "revoke",
        "journal",
        "demo",
    }
    assert "--resume" in complete("ccat", "pat", "rotate", "--re")
