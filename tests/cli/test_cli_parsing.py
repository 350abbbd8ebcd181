"""Parsing alone (as the GitHub CLI's `TestNewCmdSet`): argv becomes an options record.

Each test passes a `Commands` of recorders as click's `obj`, so nothing runs: no file is
read, no credential looked up, no request sent (there is no server at all). The records
built from argv are compared with what each flag should give; a bad value is exit 2
with nothing recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ccat.cli import Commands, app
from ccat.options import (
    ConnectionArgs,
    DemoArgs,
    JournalArgs,
    OutputFormat,
    RotateArgs,
    StatusArgs,
)
from ccat.pat.settings import DEFAULTS


class Recorder:
    """Stands in for a runner: keeps each options record it is given, returns `code`."""

    def __init__(self, code: int = 0) -> None:
        self.code = code
        self.calls: list[Any] = []

    def __call__(self, args: Any) -> int:
        self.calls.append(args)
        return self.code


@pytest.fixture
def recorders() -> dict[str, Recorder]:
    return {name: Recorder() for name in ("status", "rotate", "journal", "demo")}


def parse(recorders: dict[str, Recorder], *argv: str) -> Result:
    """Run the command line with the recorders; the environment holds no credential, so a
    runner that really ran would fail."""
    commands = Commands(**recorders)
    env = dict.fromkeys(("GH_TOKEN", "GITHUB_TOKEN", "GITHUB_API_URL", "CCAT_JOURNAL"))
    return CliRunner().invoke(app, list(argv), obj=commands, env=env, prog_name="ccat")


def recorded(recorders: dict[str, Recorder], name: str, *argv: str) -> Any:
    """The one options record `ccat pat NAME ARGV` gave the `name` runner."""
    result = parse(recorders, "pat", name, *argv)
    assert result.exit_code == 0, result.output
    calls = {key: recorder.calls for key, recorder in recorders.items() if recorder.calls}
    assert list(calls) == [name] and len(calls[name]) == 1
    return calls[name][0]


CONNECTION_FLAGS = [
    "--graph", "g.yml", "--org", "acme", "--api-url", "https://ghe.example/api/v3",
    "--insecure-http", "--secret", "OTHER_PAT", "--concurrency", "7", "--timeout", "2.5",
    "--max-wait", "9", "--budget", "0", "--debug",
]  # fmt: skip
CONNECTION = ConnectionArgs(
    Path("g.yml"), "acme", "https://ghe.example/api/v3", True, "OTHER_PAT", 7, 2.5, 9, 0, True
)


def test_status_defaults(recorders: dict[str, Recorder]) -> None:
    assert recorded(recorders, "status") == StatusArgs(ConnectionArgs())
    assert ConnectionArgs().graph == DEFAULTS.graph and ConnectionArgs().secret == "GH_PAT"


def test_status_flags(recorders: dict[str, Recorder]) -> None:
    args = recorded(
        recorders,
        "status",
        *CONNECTION_FLAGS,
        "--format",
        "MARKDOWN",
        "--journal",
        "j.json",
        "--warn-days",
        "3",
        "--max-age",
        "30",
        "--strict",
    )
    assert args == StatusArgs(CONNECTION, OutputFormat.MARKDOWN, Path("j.json"), 3, 30, True)


@pytest.mark.parametrize("argv", [["--json"], ["--format", "json"], ["--json", "--format", "json"]])
def test_status_json_is_format_json(recorders: dict[str, Recorder], argv: list[str]) -> None:
    assert recorded(recorders, "status", *argv).output is OutputFormat.JSON


def test_rotate_defaults_and_flags(recorders: dict[str, Recorder]) -> None:
    assert recorded(recorders, "rotate") == RotateArgs(ConnectionArgs())
    recorders["rotate"].calls.clear()
    flags = ["--journal", "j.json", "--dry-run", "--resume", "-y", "--write-interval", "0"]
    args = recorded(recorders, "rotate", *CONNECTION_FLAGS, *flags, "--json")
    assert args == RotateArgs(CONNECTION, Path("j.json"), True, True, True, 0.0, True)
    recorders["rotate"].calls.clear()
    assert recorded(recorders, "rotate", "--yes").yes is True
    recorders["rotate"].calls.clear()
    assert recorded(recorders, "rotate", "--warn-days", "3").warn_days == 3


def test_journal_defaults_and_flags(recorders: dict[str, Recorder]) -> None:
    assert recorded(recorders, "journal") == JournalArgs()
    recorders["journal"].calls.clear()
    args = recorded(recorders, "journal", "--journal", "j.json", "--graph", "g.yml", "--json")
    assert args == JournalArgs(Path("j.json"), Path("g.yml"), True)


@pytest.mark.parametrize("command", ["status", "rotate"])
def test_repo_is_repeatable_and_kept_as_given(recorders: dict[str, Recorder], command: str) -> None:
    args = recorded(recorders, command, "--repo", "ops-db", "--repo", "ccatobs/Web")
    assert args.connection.repos == ("ops-db", "ccatobs/Web")
    recorders[command].calls.clear()
    assert recorded(recorders, command).connection.repos == ()


def test_demo_keep(recorders: dict[str, Recorder]) -> None:
    assert recorded(recorders, "demo") == DemoArgs(False)
    recorders["demo"].calls.clear()
    assert recorded(recorders, "demo", "--keep") == DemoArgs(True)


def test_demo_keep_arms_the_faults_given(recorders: dict[str, Recorder]) -> None:
    specs = ("PUT /repos/ccatobs/ops-db/.*=403x1", "* /user=hang")
    args = recorded(recorders, "demo", "--keep", "--fail", specs[0], "--fail", specs[1])
    assert args == DemoArgs(True, specs)


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--fail", "PUT /x=403"], "add --keep"),
        (["--keep", "--fail", "PUT /x=boom"], "e.g. --fail 'PUT /repos/ccatobs/data-transfer"),
    ],
)
def test_demo_fail_without_keep_or_malformed_is_exit_2(
    recorders: dict[str, Recorder], argv: list[str], said: str
) -> None:
    result = parse(recorders, "pat", "demo", *argv)
    assert result.exit_code == 2
    assert said in " ".join(result.stderr.split())
    assert recorders["demo"].calls == []


def test_the_runners_exit_code_is_the_commands(recorders: dict[str, Recorder]) -> None:
    recorders["rotate"].code = 130
    assert parse(recorders, "pat", "rotate").exit_code == 130


BAD = [
    ["status", "--concurrency", "0"],
    ["status", "--concurrency", "101"],
    ["status", "--timeout", "inf"],
    ["status", "--timeout", "nan"],
    ["status", "--max-wait", "-1"],
    ["status", "--format", "yaml"],
    ["status", "--json", "--format", "markdown"],
    ["status", "--warn-days", "x"],
    ["status", "--max-age", "0"],
    ["status", "--budget", "-5"],
    ["rotate", "--warn-days", "-1"],
    ["rotate", "--write-interval", "-1"],
    ["rotate", "--write-interval", "inf"],
    ["rotate", "--token", "ghp_x"],  # no option ever takes a token
    ["rotate", "--format", "json"],
    ["journal", "--org", "acme"],
    ["journal", "--api-url", "https://api.github.com"],
    ["journal", "--repo", "ops-db"],
    ["status", "extra-argument"],
]


@pytest.mark.parametrize("argv", BAD, ids=[" ".join(argv) for argv in BAD])
def test_bad_values_are_exit_2_and_nothing_runs(
    recorders: dict[str, Recorder], argv: list[str]
) -> None:
    result = parse(recorders, "pat", *argv)
    assert result.exit_code == 2, result.output
    assert "Usage: ccat pat" in result.stderr
    assert all(recorder.calls == [] for recorder in recorders.values())
