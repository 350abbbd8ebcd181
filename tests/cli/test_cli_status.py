"""`ccat pat status` end to end: options, output, exit codes, against the emulator."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ccat.cli import app
from ccat.fakehub import FakeHub, Fault
from tests.support.emulator import OPERATOR_LOGIN, OPERATOR_TOKEN

GRAPH = """\
org: ccatobs
repositories:
  ops-db: {}
  ops-db-api:
    depends_on: [ops-db]
"""
TARGETS = ["ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api"]


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    path = tmp_path / "dependency-graph.yml"
    path.write_text(GRAPH)
    return path


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(TARGETS, operator_token=OPERATOR_TOKEN, operator_login=OPERATOR_LOGIN) as h:
        yield h


def env(**extra: str) -> dict[str, str]:
    """A clean environment: no credential, no `gh` on PATH, unless given."""
    base = {"GH_TOKEN": "", "GITHUB_TOKEN": "", "GITHUB_API_URL": "", "PATH": "", "COLUMNS": "200"}
    base.update(extra)
    return base


def status(*args: str, environment: dict[str, str] | None = None) -> Result:
    runner = CliRunner()
    return runner.invoke(
        app, ["pat", "status", *args], env=environment or env(GH_TOKEN=OPERATOR_TOKEN)
    )


def test_all_present_exits_0_with_the_runbook_table(hub: FakeHub, graph: Path) -> None:
    for repo in TARGETS:
        hub.set_secret(repo, "GH_PAT", "value")
    result = status("--graph", str(graph), "--api-url", hub.url)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("╭") and lines[-2].startswith("╰")  # rounded box
    assert "Repository" in lines[2] and "Secret present" in lines[2]
    assert "Last rotated" in lines[2]
    rows = [line for line in lines if line.startswith("│ ccatobs/")]
    assert [row.split()[1] for row in rows] == TARGETS  # target order
    stored = hub.secret("ccatobs/ops-db", "GH_PAT")
    assert stored is not None and stored.updated_at in rows[1]
    assert all("✓ present" in row for row in rows)
    assert lines[-1].startswith("OK: GH_PAT — 3 present, 0 missing")


def test_missing_and_error_rows_exit_1(hub: FakeHub, graph: Path) -> None:
    hub.set_secret("ccatobs/ops-db", "GH_PAT", "value")
    hub.add_fault(
        Fault(
            method="GET",
            path="/repos/ccatobs/ops-db-api/*",
            status=403,
            message="Must have admin rights to Repository.",
            count=None,
        )
    )
    result = status("--graph", str(graph), "--api-url", hub.url)
    assert result.exit_code == 1
    rows = {
        line.split()[1]: line
        for line in result.stdout.splitlines()
        if line.startswith("│ ccatobs/")
    }
    assert "✗ missing" in rows["ccatobs/system-integration"]
    assert "—" in rows["ccatobs/system-integration"]
    # The cell says what kind of error; the footer gives GitHub's message.
    assert "! error: HTTP 403" in rows["ccatobs/ops-db-api"]
    assert "ccatobs/ops-db-api: HTTP 403: Must have admin rights to Repository." in result.stdout


def test_json_has_the_documented_shape(hub: FakeHub, graph: Path) -> None:
    hub.set_secret("ccatobs/ops-db", "GH_PAT", "value")
    result = status("--graph", str(graph), "--api-url", hub.url, "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert set(document) == {
        "stores",
        "secret",
        "org",
        "checked_at",
        "token",
        "unfinished_run",
        "warnings",
        "safe_to_revoke",
        "repositories",
    }
    assert (document["secret"], document["org"]) == ("GH_PAT", "ccatobs")
    assert document["checked_at"].endswith("Z")
    # No journal: nothing known of the token or of a rotation, no journal-based warning.
    assert document["unfinished_run"] is None
    assert (document["token"], document["warnings"], document["safe_to_revoke"]) == (
        None,
        [],
        False,
    )
    stored = hub.secret("ccatobs/ops-db", "GH_PAT")
    assert stored is not None

    def row(repository: str, state: str, updated_at: str | None = None) -> dict[str, object]:
        via = "repository" if state == "present" else None
        return {
            "repository": repository,
            "state": state,
            "via": via,
            "updated_at": updated_at,
            "error": None,
            # SPEC §10: every copy CI reads; here only the Actions one exists.
            "copies": [
                {"store": "actions", "state": state, "updated_at": updated_at, "error": None}
            ],
            "warnings": [],
        }

    assert document["repositories"] == [
        row("ccatobs/system-integration", "missing"),
        row("ccatobs/ops-db", "present", stored.updated_at),
        row("ccatobs/ops-db-api", "missing"),
    ]


def test_github_api_url_and_secret_name_are_honoured(hub: FakeHub, graph: Path) -> None:
    hub.set_secret("ccatobs/ops-db", "OTHER_PAT", "value")
    result = status(
        "--graph",
        str(graph),
        "--secret",
        "other_pat",
        "--json",
        environment=env(GH_TOKEN=OPERATOR_TOKEN, GITHUB_API_URL=hub.url),
    )
    states = [r["state"] for r in json.loads(result.stdout)["repositories"]]
    assert states == ["missing", "present", "missing"]
    # The secrets list answers for any name; the organisation was asked for OTHER_PAT.
    org_checks = [r.path for r in hub.requests if r.path.startswith("/orgs/")]
    assert org_checks == ["/orgs/ccatobs/actions/secrets"]


def test_github_token_is_used_when_gh_token_is_unset(hub: FakeHub, graph: Path) -> None:
    result = status(
        "--graph", str(graph), "--api-url", hub.url, environment=env(GITHUB_TOKEN=OPERATOR_TOKEN)
    )
    assert result.exit_code == 1  # all missing, but the credential was accepted
    assert {r.token_login for r in hub.requests} == {OPERATOR_LOGIN}


def test_gh_auth_token_is_the_last_resort(hub: FakeHub, graph: Path, tmp_path: Path) -> None:
    # A stand-in for the GitHub CLI on PATH: answers `gh auth token --hostname HOST`.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\n[ "$1 $2" = "auth token" ] && echo {OPERATOR_TOKEN}\n')
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    result = status(
        "--graph",
        str(graph),
        "--api-url",
        hub.url,
        environment=env(PATH=f"{bin_dir}{os.pathsep}/usr/bin:/bin"),
    )
    assert result.exit_code == 1
    assert {r.token_login for r in hub.requests} == {OPERATOR_LOGIN}


def test_no_credential_is_exit_4_saying_how_to_give_one(hub: FakeHub, graph: Path) -> None:
    result = status("--graph", str(graph), "--api-url", hub.url, environment=env())
    assert result.exit_code == 4  # issue 15.3 (it was 2)
    assert "no operator credential" in result.stderr
    assert "GH_TOKEN" in result.stderr and "gh auth login" in result.stderr
    assert hub.requests == []


def test_a_rejected_credential_is_said_once(hub: FakeHub, graph: Path) -> None:
    result = status(
        "--graph", str(graph), "--api-url", hub.url, environment=env(GH_TOKEN="ghp_revoked0000")
    )
    assert result.exit_code == 4  # issue 15.3 (it was 3): the credential, said once
    assert result.stderr.count("rejected the operator credential") == 1
    assert "none of the 3 repositories could be checked" in result.stderr
    assert "HTTP 401" not in result.stdout and result.stdout == ""  # no table of 401 rows
    assert "ghp_revoked0000" not in result.stdout + result.stderr


BAD_GRAPHS = {
    "syntax": ("repositories:\n  ops-db: [unclosed\n", "starts on line 2"),
    "wrong type": ("repositories: 42\n", ":1"),
    "invalid name": ("repositories:\n  ops db: {}\n", ":2"),
    "empty": ("", "empty"),
    "bad depends_on": ("repositories:\n  ops-db:\n    depends_on: ops-db-api\n", ":3"),
}


@pytest.mark.parametrize("case", sorted(BAD_GRAPHS))
def test_malformed_graphs_are_exit_2_with_file_and_line_and_no_request(
    hub: FakeHub, tmp_path: Path, case: str
) -> None:
    text, where = BAD_GRAPHS[case]
    path = tmp_path / "graph.yml"
    path.write_text(text)
    result = status("--graph", str(path), "--api-url", hub.url)
    assert result.exit_code == 2, result.stdout
    assert str(path) in result.stderr and where in result.stderr
    assert hub.requests == []


def test_missing_graph_file_is_exit_2_and_no_request(hub: FakeHub, tmp_path: Path) -> None:
    result = status("--graph", str(tmp_path / "nope.yml"), "--api-url", hub.url)
    assert result.exit_code == 2
    assert "nope.yml" in result.stderr
    assert hub.requests == []


@pytest.mark.parametrize(
    "args",
    [
        ["--concurrency", "0"],
        ["--concurrency", "101"],
        ["--secret", "GITHUB_X"],
        ["--secret", "1BAD"],
        ["--api-url", "ftp://example"],
        ["--org", "-bad-"],
    ],
)
def test_bad_options_are_exit_2_and_no_request(hub: FakeHub, graph: Path, args: list[str]) -> None:
    result = status("--graph", str(graph), "--api-url", hub.url, *args)
    assert result.exit_code == 2
    assert hub.requests == []


def test_unknown_keys_warn_on_stderr_and_still_check(hub: FakeHub, tmp_path: Path) -> None:
    path = tmp_path / "graph.yml"
    path.write_text("org: ccatobs\nowner: someone\nrepositories: [ops-db]\n")
    result = status("--graph", str(path), "--api-url", hub.url)
    assert "warning:" in result.stderr and "owner" in result.stderr
    assert result.exit_code == 1


def test_debug_prints_request_lines_and_never_the_token(hub: FakeHub, graph: Path) -> None:
    result = status("--graph", str(graph), "--api-url", hub.url, "--debug")
    line = f"GET {hub.url}/repos/ccatobs/ops-db/actions/secrets?per_page=100 -> 200"
    assert line in result.stderr
    assert "Authorization: <redacted>" in result.stderr
    assert OPERATOR_TOKEN not in result.stdout + result.stderr


def test_the_default_concurrency_checks_in_parallel_and_the_limit_holds(
    graph: Path, tmp_path: Path
) -> None:
    names = [f"repo-{i:02d}" for i in range(30)]
    path = tmp_path / "wide.yml"
    path.write_text("repositories:\n" + "".join(f"  {n}: {{}}\n" for n in names))
    with FakeHub(
        [f"ccatobs/{n}" for n in ["system-integration", *names]],
        operator_token=OPERATOR_TOKEN,
        latency=0.05,
    ) as wide:
        status("--graph", str(path), "--api-url", wide.url, "--concurrency", "4")
        limited = wide.max_in_flight
        wide.reset_log()
        status("--graph", str(path), "--api-url", wide.url)
        default = wide.max_in_flight
    assert limited == 4
    assert 4 < default <= 16
