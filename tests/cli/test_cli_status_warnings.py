"""`ccat pat status` with a journal (issue 9.2 and 9.3): each warning in the table (Notes
and footer), in JSON, in Markdown and on stderr; `--strict`; the safe-to-revoke line;
a damaged journal; organisation secrets and what they cost in requests.

Timestamps are seeded relative to the real clock with margins of days (the edges are
tested to the second in tests/pat/test_early_warnings.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub
from ccat.pat.journal import RotationRun, iso
from tests.support.journals import save_journal
from tests.support.rotation import write_graph
from tests.support.scene import (
    BROKEN,
    CHANGED,
    FINE,
    LONG_NAME,
    MISSED,
    MISSING,
    SERVED,
    SHADOWING,
    Scene,
    completed_run,
    full,
)

Ccat = Callable[..., Result]
DAY = timedelta(days=1)
OPERATOR = "warnings-tests-operator"
NAMES = ("ops-db", "ops-db-api")
REPOS = ["ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api"]


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(REPOS, operator_token=OPERATOR) as running:
        yield running


def run_status(ccat: Ccat, args: list[str], **env: str | None) -> Result:
    """`ccat pat status ARGS`, outside GitHub Actions unless `env` says otherwise."""
    # Outside GitHub Actions: the tests' environment has no GITHUB_* (support.environment).
    return ccat(*args, env={"GH_TOKEN": OPERATOR, **env})


class Setup:
    """A three-repository graph, its journal path and the `pat status` arguments."""

    def __init__(self, hub: FakeHub, tmp_path: Path, now: datetime) -> None:
        self.hub = hub
        self.now = now
        self.graph = write_graph(tmp_path / "graph.yml", NAMES)
        self.journal = tmp_path / "state" / "pat-journal.json"
        self.args = [
            "pat",
            "status",
            "--graph",
            str(self.graph),
            "--api-url",
            hub.url,
            "--journal",
            str(self.journal),
        ]

    def rotated(
        self, *, days_ago: float = 10, expires_in: float = 365, kind: str = "fine-grained"
    ) -> RotationRun:
        """A completed rotation, journaled, whose writes GitHub's timestamps show."""
        run = completed_run(
            REPOS,
            self.now - days_ago * DAY,
            expires_at=iso(self.now + expires_in * DAY),
            kind=kind,
            api_url=self.hub.url,
        )
        for target in run.targets:
            self.hub.set_secret(target.repository, "GH_PAT", "v", updated_at=target.finished_at)
        save_journal(self.journal, run)
        return run


@pytest.fixture
def setup(hub: FakeHub, tmp_path: Path, now: datetime) -> Setup:
    return Setup(hub, tmp_path, now)


def rows(stdout: str) -> dict[str, str]:
    """The table's rows by repository (wide terminal: one line each)."""
    return {line.split()[1]: line for line in stdout.splitlines() if line.startswith("│ ccatobs/")}


def notes(stdout: str, repository: str) -> str:
    """The Notes cell of a repository's row."""
    return rows(stdout)[repository].split("│")[-2].strip()


def one_line(text: str) -> str:
    return " ".join(text.split())


# -- each kind, with and without --strict ----------------------------------------------


def make_expiry(setup: Setup) -> str | None:
    setup.rotated(expires_in=5.5)
    return None  # a token warning: no repository


def make_age(setup: Setup) -> str | None:
    setup.rotated(days_ago=70, kind="classic")  # 60 days for a classic token
    return REPOS[0]


def make_missed(setup: Setup) -> str | None:
    setup.rotated()
    setup.hub.set_secret(REPOS[1], "GH_PAT", "old", updated_at=setup.now - 20 * DAY)
    return REPOS[1]


def make_changed(setup: Setup) -> str | None:
    setup.rotated()
    setup.hub.set_secret(REPOS[2], "GH_PAT", "by hand", updated_at=setup.now - DAY)
    return REPOS[2]


def make_shadowed(setup: Setup) -> str | None:
    setup.rotated()
    setup.hub.set_org_secret("ccatobs", "GH_PAT", "org", visibility="all")
    return REPOS[0]


KINDS: dict[str, tuple[Callable[[Setup], str | None], str]] = {
    "expiry": (make_expiry, "⚠ token expiry (1):"),
    "age": (make_age, "⚠ older than the rotation cadence (3):"),
    "missed": (make_missed, "⚠ missed the last rotation (1):"),
    "changed": (make_changed, "⚠ changed since the last rotation (1):"),
    "shadowed": (make_shadowed, "⚠ shadows an organisation secret (3):"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_warning_is_shown_and_fails_only_with_strict(
    ccat: Ccat, setup: Setup, kind: str
) -> None:
    make, heading = KINDS[kind]
    repository = make(setup)
    result = run_status(ccat, setup.args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert heading in lines
    if repository is not None:
        assert kind in notes(result.stdout, repository).split(", ")
    # Only a repository that does not hold the rotation's token makes revoking unsafe.
    assert ("safe to revoke" in result.stdout) == (kind not in ("missed", "changed"))
    assert result.stdout.splitlines()[-1].startswith("OK: GH_PAT — 3 present, 0 missing")
    strict = run_status(ccat, [*setup.args, "--strict"])
    assert strict.exit_code == 1, strict.output
    # The same report; only the exit code differs (and the time of the check).
    assert strict.stdout.splitlines()[:-1] == lines[:-1]


def test_max_age_overrides_the_cadence(ccat: Ccat, setup: Setup) -> None:
    setup.rotated(days_ago=40)
    assert run_status(ccat, setup.args).exit_code == 0
    assert run_status(ccat, [*setup.args, "--strict"]).exit_code == 0  # 40 < 90 days
    result = run_status(ccat, [*setup.args, "--strict", "--max-age", "30"])
    assert result.exit_code == 1
    assert "older than --max-age (30 days)" in one_line(result.stdout)


def test_warn_days_moves_the_expiry_window(ccat: Ccat, setup: Setup) -> None:
    setup.rotated(expires_in=20.5)
    assert run_status(ccat, [*setup.args, "--strict"]).exit_code == 0  # 20 > 14 days
    result = run_status(ccat, [*setup.args, "--strict", "--warn-days", "21"])
    assert result.exit_code == 1
    assert "in 20 days" in one_line(result.stdout)


def test_safe_to_revoke_is_said_when_true_and_strict_stays_0(ccat: Ccat, setup: Setup) -> None:
    run = setup.rotated()
    result = run_status(ccat, [*setup.args, "--strict"])
    assert result.exit_code == 0, result.output
    said = one_line(result.stdout)
    assert f"✓ every copy holds the token set by rotation {run.run_id}" in said
    assert "it is now safe to revoke the previous token" in said
    assert "Notes" not in result.stdout  # nothing to note: no column
    document = json.loads(run_status(ccat, [*setup.args, "--json"]).stdout)
    assert document["safe_to_revoke"] is True and document["warnings"] == []


def test_without_a_journal_there_is_no_journal_warning_and_no_error(
    ccat: Ccat, setup: Setup
) -> None:
    for repo in REPOS:
        setup.hub.set_secret(repo, "GH_PAT", "v", updated_at=setup.now - 100 * DAY)
    result = run_status(ccat, [*setup.args, "--json"])
    assert result.exit_code == 0 and result.stderr.count("warning:") == 1  # age only
    document = json.loads(result.stdout)
    assert document["token"] is None and document["safe_to_revoke"] is False
    assert {w["kind"] for r in document["repositories"] for w in r["warnings"]} == {"age"}


@pytest.mark.parametrize("damage", [b"{not json", b'{"schema": 99}', b"\x00" * 10])
def test_a_damaged_journal_stops_status_with_exit_2(
    ccat: Ccat, setup: Setup, damage: bytes
) -> None:
    """Round one carried on without the journal (exit 0 even with --strict): then an
    unfinished rotation or a missed repository went unsaid. Now a journal that cannot be
    believed is exit 2, before any request, saying how to move it aside."""
    setup.rotated(expires_in=2)  # would warn, if the journal could be read
    setup.journal.unlink()
    setup.journal.write_bytes(damage)
    setup.hub.reset_log()
    for output in ([], ["--json"]):
        result = run_status(ccat, [*setup.args, "--strict", *output])
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        said = one_line(result.stderr)
        # After the line that names the API host (not api.github.com), the refusal.
        assert f" error: journal {setup.journal} " in f" {said}"
        assert "safe to revoke" not in said.split("error: journal")[0]
        assert "mv " in said and "safe to revoke" not in said
    assert setup.hub.requests == []  # refused before asking GitHub anything
    assert setup.journal.read_bytes() == damage  # status never writes the journal


def test_a_journal_of_another_secret_says_nothing_of_this_one(ccat: Ccat, setup: Setup) -> None:
    setup.rotated(expires_in=2)
    result = run_status(ccat, [*setup.args, "--secret", "OTHER_PAT", "--strict"])
    assert result.exit_code == 1  # OTHER_PAT is missing everywhere
    assert "expir" not in result.stdout


# -- the whole scene in every format ------------------------------------------------------


def test_the_table_notes_every_kind_and_the_footer_explains(ccat: Ccat, scene: Scene) -> None:
    result = run_status(ccat, scene.status_args(), GH_TOKEN=scene.operator_token)
    assert result.exit_code == 1, result.output  # planner is missing
    out = result.stdout
    assert notes(out, full(FINE)) == ""
    assert notes(out, full(CHANGED)) == "changed"
    assert notes(out, full(MISSED)) == "missed, age"
    assert notes(out, full(SHADOWING)) == "shadowed"
    assert notes(out, full(LONG_NAME)) == "changed"
    # The organisation's list says it has no organisation secret either: nothing to note.
    assert notes(out, full(MISSING)) == ""
    assert "↳ dependabot" in out and "↳ env production" in out
    assert "✓ org secret" in rows(out)[full(SERVED)]
    assert "✗ missing" in rows(out)[full(MISSING)]
    assert "! error: HTTP 403" in rows(out)[full(BROKEN)]
    assert "✓ present" in rows(out)[full(LONG_NAME)]
    said = one_line(out)
    for heading in (
        "! could not be checked (1):",
        "⚠ token expiry (1):",
        "⚠ missed the last rotation (3):",
        "⚠ changed since the last rotation (2):",
        "⚠ older than the rotation cadence (1):",
        "⚠ shadows an organisation secret (1):",
    ):
        assert heading in said
    assert "organisation secrets not checked" not in said
    assert "its dependabot copy was set" in said and "its environment:production copy" in said
    assert "jobs in the environment production read it instead of the repository's" in said
    assert f"{full(BROKEN)}: HTTP 403: Resource not accessible by personal access token" in said
    assert "expires on" in said and "in 5 days" in said
    assert "NOT OK: GH_PAT — 6 present (1 via the organisation), 1 missing, 1 not checked" in said
    assert "2 copies in other stores, 8 warnings" in said and "safe to revoke" not in said


def test_json_carries_the_token_and_every_warning(ccat: Ccat, scene: Scene, now: datetime) -> None:
    result = run_status(ccat, [*scene.status_args(), "--json"], GH_TOKEN=scene.operator_token)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    token = document["token"]
    assert token == {
        "run_id": scene.run.run_id,
        "login": "ccat-ci-bot",
        "kind": "fine-grained",
        "expires_at": scene.run.token.expires_at,
        "days_left": 5,
    }
    assert [w["kind"] for w in document["warnings"]] == ["expiry"]
    assert document["safe_to_revoke"] is False
    by_repo = {r["repository"]: r for r in document["repositories"]}
    assert [(w["kind"], w["store"]) for w in by_repo[full(MISSED)]["warnings"]] == [
        ("missed", "actions"),
        ("age", "actions"),
        ("missed", "dependabot"),
    ]
    assert [c["store"] for c in by_repo[full(CHANGED)]["copies"]] == [
        "actions",
        "environment:production",
    ]
    assert [w["kind"] for w in by_repo[full(CHANGED)]["warnings"]] == ["changed", "missed"]
    assert [w["kind"] for w in by_repo[full(SHADOWING)]["warnings"]] == ["shadowed"]
    served = by_repo[full(SERVED)]
    assert (served["state"], served["via"]) == ("present", "organization")
    org_secret = scene.hub.org_secret("ccatobs", "GH_PAT")
    assert org_secret is not None and served["updated_at"] == org_secret.updated_at
    assert by_repo[full(BROKEN)]["state"] == "error"
    assert by_repo[full(BROKEN)]["error"].startswith("HTTP 403: Resource not accessible")
    assert all(isinstance(w["message"], str) for r in by_repo.values() for w in r["warnings"])
    # stderr tells the person who ran it, one line per kind.
    err = result.stderr.splitlines()
    # A repository with two missed copies is named once.
    missed = one_line(result.stderr).split("warning: missed the last rotation: ")[1]
    missed = missed.split(" warning:")[0]
    assert sorted(missed.split(", ")) == sorted([full(MISSED), full(CHANGED)])
    assert f"warning: changed since the last rotation: {full(CHANGED)}, {full(LONG_NAME)}" in err
    assert f"warning: older than the rotation cadence: {full(MISSED)}" in err
    assert f"warning: shadows an organisation secret: {full(SHADOWING)}" in err
    assert any(line.startswith("warning: the token set by the last rotation") for line in err)


def test_markdown_has_the_table_and_every_block(ccat: Ccat, scene: Scene) -> None:
    result = run_status(
        ccat, [*scene.status_args(), "--format", "markdown"], GH_TOKEN=scene.operator_token
    )
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "### GH_PAT in ccatobs"
    assert "| Repository | Secret present | Last rotated | Notes |" in lines
    table = {line.split(" | ")[0][2:]: line for line in lines if line.startswith("| ccatobs/")}
    assert table[full(MISSED)].endswith("| missed, age |")
    assert "| ✅ org secret |" in table[full(SERVED)]
    assert table[full(MISSING)].endswith("| ❌ missing | — |  |")
    assert "| ↳ dependabot | ✅ present |" in result.stdout
    assert "| ⚠️ error: HTTP 403 |" in table[full(BROKEN)]
    for block in (
        "**! could not be checked (1)**",
        "**⚠ token expiry (1)**",
        "**⚠ missed the last rotation (3)**",
        "**⚠ changed since the last rotation (2)**",
        "**⚠ older than the rotation cadence (1)**",
        "**⚠ shadows an organisation secret (1)**",
    ):
        assert block in lines
    assert f"- {full(MISSED)}: `set " in result.stdout  # a message is a code span
    assert "warning: missed the last rotation" in result.stderr


# -- organisation secrets ---------------------------------------------------------------


def test_an_organisation_secret_serves_a_repository_and_a_shadow_is_noted(
    ccat: Ccat, setup: Setup
) -> None:
    setup.hub.set_secret(REPOS[0], "GH_PAT", "own", updated_at=setup.now - DAY)
    setup.hub.set_org_secret(
        "ccatobs",
        "GH_PAT",
        "org",
        visibility="selected",
        selected_repositories=REPOS,
        updated_at=setup.now - 3 * DAY,
    )
    result = run_status(ccat, setup.args)
    assert result.exit_code == 0, result.output
    org_time = iso(setup.now - 3 * DAY)
    for repo in REPOS[1:]:
        assert "✓ org secret" in rows(result.stdout)[repo]
        assert org_time in rows(result.stdout)[repo]
        assert notes(result.stdout, repo) == ""
    assert notes(result.stdout, REPOS[0]) == "shadowed"
    said = one_line(result.stdout)
    assert f"{REPOS[0]}: this repository secret hides the organisation secret GH_PAT" in said
    assert "OK: GH_PAT — 3 present (2 via the organisation), 0 missing" in said


@pytest.mark.parametrize("visibility", [None, "all", "private"])
def test_an_all_present_status_costs_one_request_per_repository_and_one_more(
    ccat: Ccat, setup: Setup, visibility: str | None
) -> None:
    for repo in REPOS:
        setup.hub.set_secret(repo, "GH_PAT", "v")
    if visibility is not None:
        setup.hub.set_org_secret("ccatobs", "GH_PAT", "org", visibility=visibility)  # type: ignore[arg-type]
    assert run_status(ccat, [*setup.args, "--stores", "actions"]).exit_code == 0
    paths = sorted(r.path for r in setup.hub.requests)
    # A `private` secret asks for the organisation's repositories (a page of 100).
    extra = ["/orgs/ccatobs/repos"] if visibility == "private" else []
    assert paths == sorted(
        ["/orgs/ccatobs/actions/secrets", *extra, *(f"/repos/{r}/actions/secrets" for r in REPOS)]
    )


def test_a_secret_shared_with_selected_repositories_costs_one_request_more(
    ccat: Ccat, setup: Setup
) -> None:
    for repo in REPOS:
        setup.hub.set_secret(repo, "GH_PAT", "v")
    setup.hub.set_org_secret(
        "ccatobs", "GH_PAT", "org", visibility="selected", selected_repositories=REPOS[:1]
    )
    assert run_status(ccat, [*setup.args, "--stores", "actions"]).exit_code == 0
    org = sorted(r.path for r in setup.hub.requests if r.path.startswith("/orgs/"))
    assert org == [
        "/orgs/ccatobs/actions/secrets",
        "/orgs/ccatobs/actions/secrets/GH_PAT/repositories",
    ]
    assert len(setup.hub.requests) == len(REPOS) + 2
