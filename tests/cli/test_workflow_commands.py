"""Issue 14, defect 1: under GitHub Actions, no byte from a server or an input file may
form a workflow command on standard output or error, while the tool's own annotations
still work. Each output is read as the runner reads it (`tests.support.actions_runner`: both
command forms, `stop-commands` honoured, the two streams in either order).

The three repros of the issue run as real processes (so with the stream guard of
`ccat.commands.workflow_log`); the property test runs every command in-process, where no
guard is installed, so that it proves the doors of `ccat.render.text` by themselves:
every server-controlled field the tool reads (error messages, a body that is not JSON,
`X-Accepted-GitHub-Permissions`, `X-OAuth-Scopes`, a login) and every string of an input
file (the graph's keys and names, every string of a journal) through `status` (table,
JSON, Markdown, step summary), `rotate` (preflight, writes, `--json`, `--dry-run`) and
`journal` (table, `--json`).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from ccat.cli import app
from ccat.fakehub import FakeHub, Fault
from ccat.render.github_actions import STEP_SUMMARY_LIMIT
from tests.support.actions_runner import Command, assert_no_forged_command, lines
from tests.support.environment import command_env, environment
from tests.support.github_markdown import render
from tests.support.journals import save_journal
from tests.support.processes import run_ccat
from tests.support.rotation import ONE_BY_ONE
from tests.support.scene import completed_run
from tests.support.untrusted_text import as_header, hostile, hostile_header

OPERATOR = "workflow-commands-operator"
NEW_TOKEN = "ghp_workflowcommandsnewtoken"
REPOS = ("ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api")
STOP = "Denied ##[stop-commands]zzz"
MARKDOWN_TAGS = {"h3", "p", "ul", "li", "code", "table", "thead", "tbody", "tr", "th", "td"}
MARKDOWN_TAGS |= {"strong", "blockquote"}  # our titles; an unfinished rotation's block


@dataclass
class Stage:
    """An emulator, a graph, a journal path and a step summary, and `ccat` in-process
    under GITHUB_ACTIONS=true."""

    hub: FakeHub
    root: Path
    width: int = 80

    @property
    def graph(self) -> Path:
        return self.root / "graph.yml"

    @property
    def journal(self) -> Path:
        return self.root / "journal.json"

    @property
    def summary(self) -> Path:
        return self.root / "summary.md"

    def reset(self, graph: str | None = None) -> None:
        self.width = 80
        self.hub.clear_faults()
        for repository in REPOS:
            self.hub.set_secret(repository, "GH_PAT", "old")
        self.graph.write_text(graph or "org: ccatobs\nrepositories: [ops-db, ops-db-api]\n")
        for path in (self.journal, self.summary):
            path.unlink(missing_ok=True)

    def env(self) -> dict[str, str | None]:
        return {
            **command_env(OPERATOR, self.root),
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "COLUMNS": str(self.width),
        }

    def ccat(self, *args: str, token: str | None = None) -> Result:
        common = ["--graph", str(self.graph)]
        if args[0] != "verify":
            common += ["--journal", str(self.journal)]
        if args[0] != "journal":
            common += ["--api-url", self.hub.url]
        return CliRunner().invoke(
            app,
            ["pat", *args, *common],
            input=None if token is None else token + "\n",
            env=self.env(),
        )


def assert_only_ours(result: Result) -> list[Command]:
    """No traceback, and only the tool's own annotations for the runner."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return assert_no_forged_command(result.stdout, result.stderr)


def assert_plain_summary(stage: Stage) -> None:
    """The step summary, if any, renders as GitHub renders it into nothing but text."""
    if stage.summary.exists():
        assert set(render(stage.summary.read_text(encoding="utf-8")).tags) <= MARKDOWN_TAGS


@pytest.fixture(scope="module")
def stage() -> Iterator[Stage]:
    hub = FakeHub(REPOS, operator_token=OPERATOR, tokens={NEW_TOKEN: "ccat-ci-bot"})
    with tempfile.TemporaryDirectory(prefix="ccat-workflow-") as root, hub:
        yield Stage(hub, Path(root))


# -- the property: every field, every output ----------------------------------------------


def _status(stage: Stage) -> list[Result]:
    return [
        stage.ccat("status"),
        stage.ccat("status", "--json"),
        stage.ccat("status", "--format", "markdown"),
    ]


def _rotate(stage: Stage, *extra: str) -> list[Result]:
    args = ["rotate", "--yes", *ONE_BY_ONE, *extra]
    return [stage.ccat(*args, token=NEW_TOKEN), stage.ccat(*args, "--json", token=NEW_TOKEN)]


def secrets_list_message(stage: Stage, text: str) -> list[Result]:
    stage.hub.add_fault(Fault("GET", f"/repos/{REPOS[1]}/actions/secrets", 403, None, text))
    return _status(stage)


def body_not_json(stage: Stage, text: str) -> list[Result]:
    fault = Fault(
        "GET",
        f"/repos/{REPOS[1]}/actions/secrets",
        403,
        None,
        body=text.encode("utf-8", "replace"),
        headers={"Content-Type": "text/plain"},
    )
    stage.hub.add_fault(fault)
    return _status(stage)


def accepted_permissions(stage: Stage, text: str) -> list[Result]:
    header = {"X-Accepted-GitHub-Permissions": text}
    stage.hub.add_fault(Fault("GET", "/repos/*/actions/secrets", 403, None, "No", headers=header))
    return _status(stage)


def organisation_secrets_message(stage: Stage, text: str) -> list[Result]:
    stage.hub.delete_secret(REPOS[2], "GH_PAT")
    path = f"/repos/{REPOS[2]}/actions/organization-secrets"
    stage.hub.add_fault(Fault("GET", path, 422, None, text))
    return _status(stage)


def public_key_message(stage: Stage, text: str) -> list[Result]:
    stage.hub.add_fault(Fault("GET", "/repos/*/actions/secrets/public-key", 404, None, text))
    return _rotate(stage)


def reach_permissions(stage: Stage, text: str) -> list[Result]:
    header = {"X-Accepted-GitHub-Permissions": text}
    fault = Fault("GET", f"/repos/{REPOS[2]}/actions/runs", 403, None, "No", headers=header)
    stage.hub.add_fault(fault)
    return _rotate(stage)


def write_message(stage: Stage, text: str) -> list[Result]:
    stage.hub.add_fault(Fault("PUT", f"/repos/{REPOS[2]}/actions/secrets/*", 403, None, text))
    results = _rotate(stage)
    return [*results, stage.ccat("journal"), stage.ccat("journal", "--json")]


def login_and_scopes(stage: Stage, text: str) -> list[Result]:
    # Both tokens' GET /user: a hostile login, classic scopes without `workflow`.
    body = json.dumps({"login": text, "id": 1}).encode()
    headers = {"X-OAuth-Scopes": "repo, " + as_header(text)}
    fault = Fault("GET", "/user", 200, None, body=body, headers=headers)
    stage.hub.add_fault(fault)
    return _rotate(stage, "--dry-run")


def _verify(stage: Stage) -> list[Result]:
    # The token to verify comes on standard input (GH_PAT is not set here).
    return [
        stage.ccat("verify", token=NEW_TOKEN),
        stage.ccat("verify", "--json", token=NEW_TOKEN),
        stage.ccat("verify", "--format", "markdown", token=NEW_TOKEN),
    ]


def verify_reach(stage: Stage, text: str) -> list[Result]:
    # The token to verify cannot read one repository: GitHub's message and header.
    header = {"X-Accepted-GitHub-Permissions": as_header(text)}
    fault = Fault("GET", f"/repos/{REPOS[2]}/actions/runs", 403, None, text, headers=header)
    stage.hub.add_fault(fault)
    return _verify(stage)


def verify_user(stage: Stage, text: str) -> list[Result]:
    # Its GET /user: a hostile login, classic scopes, and an expiry nobody can read.
    body = json.dumps({"login": text, "id": 1}).encode()
    headers = {
        "X-OAuth-Scopes": "repo, " + as_header(text),
        "GitHub-Authentication-Token-Expiration": as_header(text),
    }
    stage.hub.add_fault(Fault("GET", "/user", 200, None, body=body, headers=headers))
    return _verify(stage)


def revoke_copies_and_login(stage: Stage, text: str) -> list[Result]:
    # A copy that cannot be checked (GitHub's message), and a hostile login for the
    # token to revoke: refused, then forced.
    stage.hub.add_fault(Fault("GET", f"/repos/{REPOS[1]}/actions/secrets", 403, None, text))
    body = json.dumps({"login": text, "id": 1}).encode()
    stage.hub.add_fault(Fault("GET", "/user", 200, None, body=body))
    old = f"ghp_retired{secrets.token_hex(8)}"  # revoked for good: one per example
    stage.hub.add_token(old, "retired-bot")
    return [
        stage.ccat("revoke", "--yes", token=old),
        stage.ccat("revoke", "--yes", "--force", token=old),
        stage.ccat("journal"),
    ]


def graph_strings(stage: Stage, text: str) -> list[Result]:
    # An unknown top-level key (a warning), then a name the graph refuses (an error).
    key = json.dumps(text)
    stage.graph.write_text(f"org: ccatobs\n{key}: 1\nrepositories: [ops-db]\n")
    results = [stage.ccat("status"), *_rotate(stage, "--dry-run")]
    stage.graph.write_text(f"org: ccatobs\nrepositories: [{key}]\n")
    return [*results, stage.ccat("status"), stage.ccat("rotate", "--dry-run", token="")]


def journal_strings(stage: Stage, text: str) -> list[Result]:
    now = datetime.now(UTC).replace(microsecond=0)
    run = completed_run(list(REPOS[1:]), now - timedelta(days=1), expires_at=None)
    save_journal(stage.journal, run)
    document = json.loads(stage.journal.read_bytes())
    current = document["current"]
    for key in ("run_id", "operator", "started_at", "finished_at"):
        current[key] = current[key] + text
    current["graph"]["path"] = text
    current["token"]["login"] = text
    current["token"]["expires_at"] = text
    current["targets"][0]["error"] = text
    current["targets"].append({**current["targets"][0], "repository": "ccatobs/x" + text})
    stage.journal.write_text(json.dumps(document), encoding="utf-8")
    os.chmod(stage.journal, 0o600)
    return [stage.ccat("journal"), stage.ccat("journal", "--json"), *_status(stage)]


def unfinished_run_id(stage: Stage, text: str) -> list[Result]:
    # A stopped rotation of this secret on this emulator: status says first that it is
    # unfinished, naming its run id, in every output.
    now = datetime.now(UTC).replace(microsecond=0)
    run = completed_run(list(REPOS[1:]), now - timedelta(days=1), expires_at=None)
    save_journal(stage.journal, run)
    document = json.loads(stage.journal.read_bytes())
    document["current"].update(state="stopped", api_url=stage.hub.url)
    document["current"]["run_id"] += text
    document["current"]["targets"][-1].update(state="failed", http_status=403, error=text)
    stage.journal.write_text(json.dumps(document), encoding="utf-8")
    os.chmod(stage.journal, 0o600)
    # revoke refuses while it is unfinished, naming the run and the copies.
    old = f"ghp_retired{secrets.token_hex(8)}"
    stage.hub.add_token(old, "retired-bot")
    return [*_status(stage), stage.ccat("journal"), stage.ccat("revoke", "--yes", token=old)]


FIELDS: dict[str, Callable[[Stage, str], list[Result]]] = {
    "secrets list: message": secrets_list_message,
    "secrets list: body not JSON": body_not_json,
    "X-Accepted-GitHub-Permissions (status)": accepted_permissions,
    "organisation secrets: message": organisation_secrets_message,
    "public key: message": public_key_message,
    "X-Accepted-GitHub-Permissions (preflight)": reach_permissions,
    "write: message, then the journal": write_message,
    "GET /user: login and X-OAuth-Scopes": login_and_scopes,
    "graph: unknown key, bad name": graph_strings,
    "journal: every string": journal_strings,
    "journal: an unfinished run's id": unfinished_run_id,
    "verify: a repository's message and permissions": verify_reach,
    "verify: login, scopes and expiry": verify_user,
    "revoke: a copy's message, the token's login": revoke_copies_and_login,
}
HEADER_FIELDS = {
    "X-Accepted-GitHub-Permissions (status)",
    "X-Accepted-GitHub-Permissions (preflight)",
}


@settings(
    max_examples=120,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    field=st.sampled_from(sorted(FIELDS)),
    text=hostile,
    header=hostile_header,
    width=st.sampled_from([40, 80, 200]),
)
def test_no_server_or_file_text_forms_a_workflow_command(
    stage: Stage, field: str, text: str, header: str, width: int
) -> None:
    stage.reset()
    stage.width = width
    results = FIELDS[field](stage, header if field in HEADER_FIELDS else text)
    for result in results:
        assert_only_ours(result)
    assert_plain_summary(stage)


# -- the three repros, as real processes -------------------------------------------------


def process(stage: Stage, *args: str, width: int = 80) -> subprocess.CompletedProcess[str]:
    env = environment({**stage.env(), "COLUMNS": str(width)})
    where = [
        "--graph",
        str(stage.graph),
        "--api-url",
        stage.hub.url,
        "--journal",
        str(stage.journal),
    ]
    return run_ccat("pat", *args, *where, env=env)


def test_a_stop_commands_in_a_403_message_stops_nothing(stage: Stage) -> None:
    # (a) A 403 whose message is `Denied ##[stop-commands]zzz`: the footer, the `::error`
    # line and --format json carried it raw, and the runner then ignored every later
    # annotation.
    stage.reset()
    stage.hub.delete_secret(REPOS[2], "GH_PAT")
    stage.hub.add_fault(Fault("GET", f"/repos/{REPOS[1]}/actions/secrets", 403, None, STOP))
    table = process(stage, "status")
    ours = assert_no_forged_command(table.stdout, table.stderr)
    assert [c.name for c in ours] == ["error", "error"]  # ops-db unchecked, ops-db-api missing
    assert ours[0].data == f"{REPOS[1]}: HTTP 403: Denied #\\#[stop-commands]zzz"
    assert f"{REPOS[1]}: HTTP 403: Denied #\\#[stop-commands]zzz" in table.stdout  # footer
    document = process(stage, "status", "--json")
    assert "\\u0023#[stop-commands]zzz" in document.stdout and "##[" not in document.stdout
    rows = {row["repository"]: row for row in json.loads(document.stdout)["repositories"]}
    assert rows[REPOS[1]]["error"] == f"HTTP 403: {STOP}"  # the value, read back as sent
    assert len(assert_no_forged_command(document.stdout, document.stderr)) == 2


def test_a_permissions_header_never_starts_a_line_with_add_mask(stage: Stage) -> None:
    # (b) A 403 with `X-Accepted-GitHub-Permissions: aaaa… ::add-mask::present`: the hint
    # wrapped so that a stderr line started with `::add-mask::`. Every length of the
    # `a` run puts the wrap somewhere else: at some, the defused text starts a line.
    started_a_line = []
    for length in range(1, 81):
        stage.reset()
        header = {"X-Accepted-GitHub-Permissions": "a" * length + " ::add-mask::present"}
        fault = Fault("GET", "/repos/*/actions/secrets", 403, None, "No", headers=header)
        stage.hub.add_fault(fault)
        result = stage.ccat("status")
        assert result.exit_code == 3, result.output
        assert_only_ours(result)
        if any(line.lstrip().startswith(":\\:add-mask") for line in lines(result.stderr)):
            started_a_line.append(length)
    assert started_a_line, "no length put the header's text at the start of a line"
    # And once as a real process, at one of those lengths.
    stage.reset()
    header = {"X-Accepted-GitHub-Permissions": "a" * started_a_line[0] + " ::add-mask::present"}
    fault = Fault("GET", "/repos/*/actions/secrets", 403, None, "No", headers=header)
    stage.hub.add_fault(fault)
    done = process(stage, "status")
    assert done.returncode == 3, done.stderr
    assert any(line.startswith(":\\:add-mask:\\:present") for line in lines(done.stderr))
    assert_no_forged_command(done.stdout, done.stderr)


def test_an_unknown_graph_key_carrying_commands_is_warned_of_inertly(stage: Stage) -> None:
    # (c) An unknown top-level key in the graph file carrying both forms reached the
    # stderr warning raw.
    key = "::add-mask::x ##[stop-commands]zzz"
    stage.reset(f"org: ccatobs\n{json.dumps(key)}: 1\nrepositories: [ops-db, ops-db-api]\n")
    stage.hub.delete_secret(REPOS[2], "GH_PAT")
    done = process(stage, "status")
    said = " ".join(done.stderr.split())
    assert "unknown top-level key ':\\:add-mask:\\:x #\\#[stop-commands]zzz' ignored" in said
    ours = assert_no_forged_command(done.stdout, done.stderr)
    assert [c.properties["title"] for c in ours] == ["GH_PAT missing"]


def test_the_demo_under_github_actions_writes_only_its_own_annotations(tmp_path: Path) -> None:
    env = environment({"GITHUB_ACTIONS": "true", "XDG_STATE_HOME": str(tmp_path), "COLUMNS": "80"})
    done = run_ccat("pat", "demo", env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    ours = assert_no_forged_command(done.stdout, done.stderr)
    assert ours and {c.name for c in ours} == {"error"}  # the first status: secrets missing


def test_server_urls_and_entities_stay_text_in_the_step_summary(stage: Stage) -> None:
    # Issue 14, defect 12: a server's URL became a link, `&amp;` an `&`, in the summary.
    message = "see https://evil.example/x or www.evil.example &amp; &#x41; <b>bold</b> @octocat"
    stage.reset()
    stage.hub.add_fault(Fault("GET", f"/repos/{REPOS[1]}/actions/secrets", 403, None, message))
    result = stage.ccat("status")
    assert result.exit_code == 3, result.output
    page = render(stage.summary.read_text(encoding="utf-8"))
    assert "a" not in page.tags and "b" not in page.tags  # no link, no HTML
    assert f"HTTP 403: {message}" in page.code  # shown exactly as GitHub sent it


def test_the_step_summary_never_grows_past_what_github_keeps(stage: Stage) -> None:
    # GitHub drops a step's whole summary past 1 MiB: an earlier command of the same
    # step left 400 bytes; the report is shortened to fit them, or left out, and said.
    stage.reset()
    stage.hub.delete_secret(REPOS[2], "GH_PAT")
    stage.hub.add_fault(Fault("GET", f"/repos/{REPOS[1]}/actions/secrets", 403, None, "No"))
    for left in (400, 40):
        stage.summary.write_text("x" * (STEP_SUMMARY_LIMIT - left), encoding="utf-8")
        result = stage.ccat("status")
        assert result.exit_code == 1, result.output
        assert stage.summary.stat().st_size <= STEP_SUMMARY_LIMIT
        added = stage.summary.read_text(encoding="utf-8")[STEP_SUMMARY_LIMIT - left :]
        if left == 400:
            assert added.startswith("### GH_PAT in ccatobs") and "NOT OK: GH_PAT" in added
        else:
            assert added == ""
            said = " ".join(result.stderr.split())
            assert "the step summary" in said and "has no room left" in said


def test_a_graph_of_1200_repositories_gets_a_short_summary(tmp_path: Path) -> None:
    names = [f"repository-{n:04d}" for n in range(1200)]
    repos = ["ccatobs/system-integration", *(f"ccatobs/{n}" for n in names)]
    with FakeHub(repos, operator_token=OPERATOR) as hub:
        for repository in repos[:-3]:
            hub.set_secret(repository, "GH_PAT", "v")
        stage = Stage(hub, tmp_path)
        listed = "".join(f"  - {name}\n" for name in names)
        stage.graph.write_text(f"org: ccatobs\nrepositories:\n{listed}")
        result = stage.ccat("status", "--budget", "0")  # 1,201 GETs: no minute's pause
    assert result.exit_code == 1, result.output
    ours = assert_only_ours(result)
    assert [c.properties["title"] for c in ours] == ["GH_PAT missing"] * 3
    summary = stage.summary.read_text(encoding="utf-8")
    rows = [line for line in summary.splitlines() if line.startswith("| ccatobs/")]
    assert rows == [f"| ccatobs/{n} | ❌ missing | — |  |" for n in names[-3:]]
    assert "the 1,198 with nothing to note are not listed" in " ".join(summary.split())
