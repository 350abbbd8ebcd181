"""`ccat pat status` as a CI gate (issue 9.4 and 9.5): the exit codes a job acts on, the
hint that says whether the *checking* credential is the problem, and under GitHub
Actions the workflow commands (escaped as the runner reads them) and the step summary.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, Fault, TokenSpec
from tests.support.rotation import write_graph
from tests.support.scene import (
    BROKEN,
    CHANGED,
    LONG_NAME,
    MISSED,
    MISSING,
    SHADOWING,
    Scene,
    full,
)

Ccat = Callable[..., Result]
OPERATOR = "ci-tests-operator"
REPOS = ["ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api"]


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(REPOS, operator_token=OPERATOR) as running:
        yield running


@pytest.fixture
def args(hub: FakeHub, tmp_path: Path) -> list[str]:
    graph = write_graph(tmp_path / "graph.yml", ["ops-db", "ops-db-api"])
    journal = tmp_path / "no-journal.json"
    return ["pat", "status", "--graph", str(graph), "--api-url", hub.url, "--journal", str(journal)]


def run_status(ccat: Ccat, args: list[str], **env: str | None) -> Result:
    # Outside GitHub Actions: the tests' environment has no GITHUB_* (support.environment).
    return ccat(*args, env={"GH_TOKEN": OPERATOR, **env})


def one_line(text: str) -> str:
    return " ".join(text.split())


# -- exit codes -----------------------------------------------------------------------


def test_a_checking_credential_without_secrets_read_is_exit_3_and_said_so(
    ccat: Ccat, hub: FakeHub, args: list[str]
) -> None:
    for repo in REPOS:
        hub.set_secret(repo, "GH_PAT", "v")
    # A fine-grained token that may see the repositories, but not read their secrets.
    hub.add_token("checker-without-secrets", TokenSpec("checker"))
    result = run_status(ccat, args, GH_TOKEN="checker-without-secrets")
    assert result.exit_code == 3, result.output
    hint = one_line(result.stderr)
    assert "every repository answered 403: the checking credential (the operator's, from " in hint
    assert "GH_TOKEN) lacks permission (GitHub says it needs: secrets=read), not GH_PAT" in hint
    assert result.stdout.count("! error: HTTP 403") == len(REPOS)
    assert "checker-without-secrets" not in result.output


def test_a_rejected_checking_credential_is_exit_4_and_said_so(ccat: Ccat, args: list[str]) -> None:
    result = run_status(ccat, args, GH_TOKEN="revoked-checker")
    assert result.exit_code == 4  # issue 15.3 (it was 3)
    said = one_line(result.stderr)
    assert said.count("GitHub rejected the operator credential from GH_TOKEN (HTTP 401") == 1
    assert "not the secret's value" in said


def test_missing_wins_over_an_error_elsewhere(ccat: Ccat, hub: FakeHub, args: list[str]) -> None:
    hub.set_secret(REPOS[0], "GH_PAT", "v")
    hub.add_fault(Fault("GET", f"/repos/{REPOS[1]}/*", 403, None, "Forbidden"))
    result = run_status(ccat, args)
    assert result.exit_code == 1, result.output
    assert "✗ missing" in result.stdout and "! error: HTTP 403" in result.stdout
    assert f"{REPOS[1]}: HTTP 403: Forbidden" in result.stdout


def test_some_repositories_unchecked_and_nothing_missing_is_exit_3(
    ccat: Ccat, hub: FakeHub, args: list[str]
) -> None:
    for repo in REPOS:
        hub.set_secret(repo, "GH_PAT", "v")
    hub.add_fault(Fault("GET", f"/repos/{REPOS[1]}/*", 404, None, "Not Found"))
    result = run_status(ccat, args, GITHUB_ACTIONS=None)
    assert result.exit_code == 3
    assert "1 repository could not be checked (see above); the others were" in one_line(
        result.stderr
    )
    assert run_status(ccat, [*args, "--strict"]).exit_code == 3


def test_all_present_without_warnings_is_0_also_strict(
    ccat: Ccat, hub: FakeHub, args: list[str]
) -> None:
    for repo in REPOS:
        hub.set_secret(repo, "GH_PAT", "v")
    assert run_status(ccat, args).exit_code == 0
    assert run_status(ccat, [*args, "--strict"]).exit_code == 0


# -- GitHub Actions -------------------------------------------------------------------


def commands(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("::")]


def test_workflow_commands_one_per_affected_repository_and_the_summary_appended(
    ccat: Ccat, scene: Scene, tmp_path: Path
) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("## An earlier step\n\nits summary\n", encoding="utf-8")
    env = {
        "GH_TOKEN": scene.operator_token,
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    result = run_status(ccat, scene.status_args(), **env)
    assert result.exit_code == 1, result.output
    found = commands(result.stdout)
    errors = [c for c in found if c.startswith("::error ")]
    warnings = [c for c in found if c.startswith("::warning ")]
    assert errors == [
        f"::error title=GH_PAT missing::{full(MISSING)}: GH_PAT is not set",
        f"::error title=GH_PAT not checked::{full(BROKEN)}: HTTP 403: Resource not "
        "accessible by personal access token; the fine-grained token needs the Secrets "
        "repository permission (read)",
    ]
    titles = [c.split("::")[1] for c in warnings]
    assert titles == [
        "warning title=GH_PAT token expiry",
        "warning title=GH_PAT%3A changed%2C missed",
        "warning title=GH_PAT%3A missed%2C age%2C missed",
        "warning title=GH_PAT%3A shadowed",
        "warning title=GH_PAT%3A changed",
    ]
    assert warnings[0].split("::", 2)[2].startswith("the token set by the last rotation")
    assert warnings[2].split("::", 2)[2].startswith(f"{full(MISSED)}: set ")
    assert f"{full(CHANGED)}: set " in warnings[1] and f"{full(SHADOWING)}: " in warnings[3]
    assert f"{full(LONG_NAME)}: set " in warnings[4]
    # The report itself is still there, before the commands.
    assert result.stdout.index("GH_PAT in ccatobs") < result.stdout.index("::error")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## An earlier step\n\nits summary\n### GH_PAT in ccatobs\n")
    assert "| Repository | Secret present | Last rotated | Notes |" in text
    assert f"| {full(MISSED)} | ✅ present |" in text
    assert "| ↳ `env production` | ✅ present |" in text
    assert "its dependabot copy was set" in warnings[2]
    # A second run appends again; nothing is overwritten.
    run_status(ccat, scene.status_args(), **env)
    again = summary.read_text(encoding="utf-8")
    assert again.startswith(text) and again.count("### GH_PAT in ccatobs") == 2


def test_workflow_commands_escape_what_the_runner_would_read_as_syntax(
    ccat: Ccat, hub: FakeHub, args: list[str]
) -> None:
    # At 40 columns the message starts the footer entry's second line.
    hub.add_fault(
        Fault("GET", f"/repos/{REPOS[0]}/*", 403, None, "::warning::forged 50% off: a, b")
    )
    result = run_status(ccat, args, GITHUB_ACTIONS="true")
    found = commands(result.stdout)
    # The server's text is in the message, defused: no `::` of it is left (issue 14).
    assert (
        f"::error title=GH_PAT not checked::{REPOS[0]}: HTTP 403: :\\:warning:\\:forged 50%25 "
        "off: a, b" in found
    )
    assert len(found) == len(REPOS)  # one per repository: no forged command
    # Whatever the width, no printed line starts (after spaces) with `::` but ours.
    ours = set(found)
    for width in ("40", "80", "120"):
        wrapped = run_status(ccat, args, GITHUB_ACTIONS="true", COLUMNS=width)
        for line in (wrapped.stdout + wrapped.stderr).splitlines():
            if re.match(r"\s*(::|##\[)", line):
                assert line in ours, line


def test_machine_formats_keep_stdout_clean_and_send_the_commands_to_stderr(
    ccat: Ccat, scene: Scene
) -> None:
    env = {"GH_TOKEN": scene.operator_token, "GITHUB_ACTIONS": "true"}
    result = run_status(ccat, [*scene.status_args(), "--json"], **env)
    document = json.loads(result.stdout)  # nothing but the JSON document
    assert document["secret"] == "GH_PAT"
    assert len(commands(result.stderr)) == 7  # 2 errors, 5 warnings
    markdown = run_status(ccat, [*scene.status_args(), "--format", "markdown"], **env)
    assert commands(markdown.stdout) == [] and len(commands(markdown.stderr)) == 7


def test_without_github_actions_there_are_no_commands_and_no_summary(
    ccat: Ccat, scene: Scene, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    result = run_status(
        ccat,
        scene.status_args(),
        GH_TOKEN=scene.operator_token,
        GITHUB_ACTIONS="false",
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert commands(result.stdout + result.stderr) == []
    assert not summary.exists()


def test_an_unwritable_step_summary_is_a_warning_not_a_failure(
    ccat: Ccat, hub: FakeHub, args: list[str], tmp_path: Path
) -> None:
    for repo in REPOS:
        hub.set_secret(repo, "GH_PAT", "v")
    result = run_status(
        ccat, args, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(tmp_path / "no" / "such.md")
    )
    assert result.exit_code == 0
    assert "cannot append to GITHUB_STEP_SUMMARY" in one_line(result.stderr)
