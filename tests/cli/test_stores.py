"""Every copy CI reads (issue 17, SPEC §10): Dependabot and environment secrets, checked
by `status` and rotated by `rotate`, against the emulator over real loopback HTTP.

The scene: `ops-db` has a Dependabot copy, `scheduler` a `production` environment copy
and an empty `staging` environment; every other target holds its Actions copy only.
Every rotation is checked in what the emulator decrypted, store by store.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, Fault, TokenSpec
from ccat.pat.journal import Journal
from tests.support.rotation import (
    FORBIDDEN,
    ONE_BY_ONE,
    SECRET,
    TARGETS,
    NoLeak,
    RotationCase,
    current,
    puts,
    report_list,
    write_graph,
)

Ccat = Callable[..., Result]

DEPENDABOT_REPO = "ccatobs/ops-db"
ENVIRONMENT_REPO = "ccatobs/scheduler"
PRODUCTION = f"/repos/{ENVIRONMENT_REPO}/environments/production/secrets/{SECRET}"
DEPENDABOT = f"/repos/{DEPENDABOT_REPO}/dependabot/secrets/{SECRET}"
OLD = "the-previous-token"
LONG_AGO = "2026-01-05T10:00:00Z"  # before any rotation a test makes
# The pairs a rotation of the scene writes, in the order of SPEC §10.
PAIRS = [
    *(f"/repos/{repo}/actions/secrets/{SECRET}" for repo in TARGETS[:2]),
    DEPENDABOT,
    *(f"/repos/{repo}/actions/secrets/{SECRET}" for repo in TARGETS[2:6]),
    PRODUCTION,
    *(f"/repos/{repo}/actions/secrets/{SECRET}" for repo in TARGETS[6:]),
]
# A credential that may do everything but read Dependabot secrets.
NO_DEPENDABOT = "operator-without-dependabot"
NO_DEPENDABOT_SPEC = TokenSpec(
    "limited-operator",
    permissions={
        "metadata": "read",
        "actions": "read",
        "secrets": "write",
        "environments": "write",
        "organization_secrets": "read",
    },
)


@pytest.fixture
def copies(case: RotationCase) -> RotationCase:
    """The rotation `case` whose emulator holds the scene's copies, all set long ago to
    OLD."""
    hub = case.hub
    for repo in TARGETS:
        hub.set_secret(repo, SECRET, OLD, updated_at=LONG_AGO)
    hub.set_secret(DEPENDABOT_REPO, SECRET, OLD, store="dependabot", updated_at=LONG_AGO)
    hub.set_secret(
        ENVIRONMENT_REPO, SECRET, OLD, store="environment:production", updated_at=LONG_AGO
    )
    hub.add_environment(ENVIRONMENT_REPO, "staging")
    hub.add_token(NO_DEPENDABOT, NO_DEPENDABOT_SPEC)
    return case


def status(ccat: Ccat, case: RotationCase, *args: str, **env: str) -> Result:
    """`ccat pat status ARGS` of the case's graph and journal, at 80 columns (outside
    GitHub Actions: the tests' environment has none, tests/support/environment.py)."""
    api = ["--api-url", case.hub.url, "--journal", str(case.journal)]
    return ccat(
        "pat", "status", "--graph", str(case.graph), *api, *args, env={"COLUMNS": "80", **env}
    )


def rotate(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, *args: str, **env: str
) -> Result:
    """`ccat pat rotate --yes` of the scene, writes one after another without waiting."""
    return ccat(*rotate_args, *ONE_BY_ONE, *args, input=case.token + "\n", env=dict(env))


def put_paths(hub: FakeHub) -> list[str]:
    """The path of every PUT the emulator received, in the order they started."""
    return [request.path for request in puts(hub)]


def holds(hub: FakeHub, value: str) -> set[tuple[str, str]]:
    """Every (repository, store) whose decrypted secret is `value`."""
    held = set()
    for repo in hub.repositories:
        stores = ["actions", "dependabot", *(f"environment:{e}" for e in hub.environments(repo))]
        for store in stores:
            found = hub.secret(repo, SECRET, store)
            if found is not None and found.value == value:
                held.add((repo, store))
    return held


SCENE_PAIRS = {
    *((repo, "actions") for repo in TARGETS),
    (DEPENDABOT_REPO, "dependabot"),
    (ENVIRONMENT_REPO, "environment:production"),
}


# -- status ------------------------------------------------------------------------------


def test_status_lists_exactly_the_copies_of_every_store(ccat: Ccat, copies: RotationCase) -> None:
    result = status(ccat, copies, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["stores"] == ["actions", "dependabot", "environments"]
    found = {
        r["repository"]: [(c["store"], c["state"], c["updated_at"]) for c in r["copies"]]
        for r in document["repositories"]
    }
    expected = {repo: [("actions", "present", LONG_AGO)] for repo in TARGETS}
    expected[DEPENDABOT_REPO].append(("dependabot", "present", LONG_AGO))
    expected[ENVIRONMENT_REPO].append(("environment:production", "present", LONG_AGO))
    assert found == expected  # the empty `staging` environment holds no copy
    # At 80 columns: a line per copy in another store, under its repository.
    table = status(ccat, copies)
    lines = table.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    rows = [line for line in lines if line.startswith("│")]
    names = [row.split("│")[1].strip() for row in rows]
    assert names[names.index(DEPENDABOT_REPO) + 1] == "↳ dependabot"
    assert names[names.index(ENVIRONMENT_REPO) + 1] == "↳ env production"
    assert sum(name.startswith("↳") for name in names) == 2
    assert "staging" not in table.stdout
    assert "2 copies in other stores" in " ".join(table.stdout.split())


def test_status_of_actions_alone_costs_one_request_per_repository_and_a_constant(
    ccat: Ccat, copies: RotationCase
) -> None:
    copies.hub.delete_secret(TARGETS[3], SECRET)  # a missing one costs nothing more
    copies.hub.set_org_secret("ccatobs", SECRET, "org", visibility="selected")
    copies.hub.reset_log()
    result = status(ccat, copies, "--stores", "actions")
    assert result.exit_code == 1  # the missing one
    paths = Counter(request.path for request in copies.hub.requests)
    assert paths == Counter(
        {
            **{f"/repos/{repo}/actions/secrets": 1 for repo in TARGETS},
            "/orgs/ccatobs/actions/secrets": 1,
            f"/orgs/ccatobs/actions/secrets/{SECRET}/repositories": 1,
        }
    )


# -- rotate ------------------------------------------------------------------------------


def test_a_rotation_writes_exactly_the_pairs_and_creates_nothing_elsewhere(
    ccat: Ccat,
    copies: RotationCase,
    rotate_args: list[str],
    assert_no_leak: NoLeak,
) -> None:
    dry = rotate(ccat, rotate_args, copies, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert put_paths(copies.hub) == []
    for label in ("ccatobs/ops-db (dependabot)", "ccatobs/scheduler (environment:production)"):
        assert label in " ".join(dry.stdout.split())
    result = rotate(ccat, rotate_args, copies)
    assert result.exit_code == 0, result.output
    assert put_paths(copies.hub) == PAIRS
    said = " ".join(result.output.split())
    # The token's reach is per repository; the keys, per copy.
    assert f"it can read Actions in all {len(TARGETS)} repositories to set" in said
    assert f"Public keys fetched for {len(PAIRS)} copies; 0 skipped." in said
    assert holds(copies.hub, copies.token) == SCENE_PAIRS
    # Nothing was created where there was no copy: no other Dependabot secret, none in
    # `staging`.
    for repo in TARGETS:
        expected = 1 if repo == DEPENDABOT_REPO else 0
        assert len(copies.hub.secrets(repo, "dependabot")) == expected
    assert copies.hub.secrets(ENVIRONMENT_REPO, "environment:staging") == []
    run = current(copies.journal)
    assert run.state == "completed" and run.stores == ["actions", "dependabot", "environments"]
    assert [(t.repository, t.store) for t in run.targets] == [
        *((repo, "actions") for repo in TARGETS[:2]),
        (DEPENDABOT_REPO, "dependabot"),
        *((repo, "actions") for repo in TARGETS[2:6]),
        (ENVIRONMENT_REPO, "environment:production"),
        *((repo, "actions") for repo in TARGETS[6:]),
    ]
    after = status(ccat, copies, "--strict")
    assert after.exit_code == 0, after.output
    assert "safe to revoke the previous token" in " ".join(after.stdout.split())
    assert_no_leak(dry.output, result.output, after.output)


def test_a_failed_environment_write_stops_there_and_resume_writes_the_rest_once(
    ccat: Ccat,
    copies: RotationCase,
    rotate_args: list[str],
    assert_no_leak: NoLeak,
) -> None:
    copies.hub.add_fault(Fault("PUT", PRODUCTION, status=403, message=FORBIDDEN))
    stopped = rotate(ccat, rotate_args, copies)
    assert stopped.exit_code == 1, stopped.output
    done = PAIRS[: PAIRS.index(PRODUCTION)]
    assert put_paths(copies.hub) == [*done, PRODUCTION]  # nothing after the failure
    updated = report_list(stopped.stdout, "Already updated")
    assert updated == [
        *TARGETS[:2],
        "ccatobs/ops-db (dependabot)",
        *TARGETS[2:6],
    ]
    assert report_list(stopped.stdout, "NOT updated") == [
        "ccatobs/scheduler (environment:production)",
        *TARGETS[6:],
    ]
    said = " ".join(stopped.stdout.split())
    assert "Rotation stopped at ccatobs/scheduler (environment:production): HTTP 403" in said
    assert "7 of 10 copies updated" in said
    journal = ccat("pat", "journal", "--journal", str(copies.journal), env={"COLUMNS": "80"})
    assert "ccatobs/ops-db (dependabot)" in journal.stdout
    resumed = rotate(ccat, rotate_args, copies, "--resume")
    assert resumed.exit_code == 0, resumed.output
    counts = Counter(put_paths(copies.hub))
    assert counts == Counter({**dict.fromkeys(PAIRS, 1), PRODUCTION: 2})  # each pair once more
    assert put_paths(copies.hub)[len(done) + 1 :] == PAIRS[len(done) :]
    assert holds(copies.hub, copies.token) == SCENE_PAIRS
    assert current(copies.journal).state == "completed"
    document = json.loads(ccat("pat", "journal", "--json", "--journal", str(copies.journal)).stdout)
    assert {t["store"] for t in document["current"]["targets"]} == {
        "actions",
        "dependabot",
        "environment:production",
    }
    assert_no_leak(stopped.output, resumed.output, journal.output)


def test_after_rotating_actions_alone_the_dependabot_copy_is_missed(
    ccat: Ccat,
    copies: RotationCase,
    rotate_args: list[str],
) -> None:
    result = rotate(ccat, rotate_args, copies, "--stores", "actions")
    assert result.exit_code == 0, result.output
    assert put_paths(copies.hub) == [f"/repos/{repo}/actions/secrets/{SECRET}" for repo in TARGETS]
    assert holds(copies.hub, copies.token) == {(repo, "actions") for repo in TARGETS}
    checked = status(ccat, copies, "--json")
    assert checked.exit_code == 0
    by_repo = {r["repository"]: r for r in json.loads(checked.stdout)["repositories"]}
    missed = [
        (w["store"], w["message"])
        for w in by_repo[DEPENDABOT_REPO]["warnings"]
        if w["kind"] == "missed"
    ]
    assert [store for store, _ in missed] == ["dependabot"]
    assert "runs started by Dependabot read this one" in missed[0][1]
    production = [w for w in by_repo[ENVIRONMENT_REPO]["warnings"] if w["kind"] == "missed"]
    assert [w["store"] for w in production] == ["environment:production"]
    assert "jobs in the environment production read it instead" in production[0]["message"]
    assert json.loads(checked.stdout)["safe_to_revoke"] is False
    strict = status(ccat, copies, "--strict")
    assert strict.exit_code == 1
    assert "its dependabot copy was set" in " ".join(strict.stdout.split())


def test_a_credential_without_the_dependabot_permission(
    ccat: Ccat,
    copies: RotationCase,
    rotate_args: list[str],
) -> None:
    as_limited = {"GH_TOKEN": NO_DEPENDABOT}
    default = status(ccat, copies, **as_limited)
    assert default.exit_code == 0, default.output  # the store came only from the default
    said = " ".join(default.stdout.split())
    assert said.count("cannot read the dependabot store") == 1  # said once
    assert "dependabot_secrets=read" in said and "--stores actions,environments" in said
    assert "↳ dependabot" not in default.stdout  # not a line per repository
    named = status(ccat, copies, "--stores", "actions,dependabot", **as_limited)
    assert named.exit_code == 3, named.stdout + named.stderr
    # (--max-age: the scene's copies are old, and a warning under --strict is 1.)
    strict = status(ccat, copies, "--strict", "--max-age", "3650", **as_limited)
    assert strict.exit_code == 3
    copies.hub.reset_log()
    refused = rotate(ccat, rotate_args, copies, **as_limited)
    assert refused.exit_code == 2, refused.output
    assert put_paths(copies.hub) == []  # zero writes
    assert not copies.journal.exists()
    message = " ".join(refused.stderr.split())
    assert "cannot read the dependabot store" in message and "dependabot_secrets" in message
    assert "--stores actions,environments" in message and "nothing was written" in message
    # Leaving the store out knowingly rotates the rest.
    knowingly = rotate(ccat, rotate_args, copies, "--stores", "actions,environments")
    assert knowingly.exit_code == 0, knowingly.output
    assert DEPENDABOT not in put_paths(copies.hub) and PRODUCTION in put_paths(copies.hub)


# -- a journal written before stores existed -----------------------------------------------

OLD_JOURNAL = Path(__file__).parents[1] / "data" / "journals" / "before-stores.json"
OLD_TOKEN = "github_pat_OLDJOURNAL_0123456789abcdef"
OLD_REPOS = ["ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api", "ccatobs/web"]


def test_a_journal_from_before_stores_loads_and_resumes(
    ccat: Ccat, tmp_path: Path, rotate_args: list[str]
) -> None:
    with FakeHub(OLD_REPOS, operator_token="old-operator", operator_login="alice") as hub:
        hub.add_token(OLD_TOKEN, "ccat-ci-bot")
        recorded = json.loads(OLD_JOURNAL.read_text(encoding="utf-8"))
        for target in recorded["current"]["targets"]:
            assert "store" not in target  # as written before stores
            if target["state"] == "updated":  # GitHub holds those writes
                hub.set_secret(
                    target["repository"], SECRET, OLD_TOKEN, updated_at=target["finished_at"]
                )
        # A Dependabot copy the old run never knew of: its resume writes Actions only.
        hub.set_secret("ccatobs/web", SECRET, OLD, store="dependabot")
        journal = tmp_path / "old" / "pat-journal.json"
        journal.parent.mkdir(mode=0o700)
        shutil.copyfile(OLD_JOURNAL, journal)
        journal.chmod(0o600)
        # The only change: the API the journal names is this emulator's address.
        text = journal.read_text(encoding="utf-8")
        journal.write_text(text.replace(recorded["current"]["api_url"], hub.url), encoding="utf-8")
        run = Journal(journal).load().current
        assert run is not None and run.stores is None and run.store_families == ["actions"]
        assert [t.store for t in run.targets] == ["actions"] * 4
        graph = write_graph(tmp_path / "old-graph.yml", ["ops-db", "ops-db-api", "web"])
        shown = ccat("pat", "journal", "--journal", str(journal))
        assert shown.exit_code == 0 and "ccatobs/ops-db-api" in shown.stdout
        args = ["pat", "rotate", "--graph", str(graph), "--api-url", hub.url]
        resumed = ccat(
            *args,
            "--journal",
            str(journal),
            "--resume",
            "--yes",
            *ONE_BY_ONE,  # one write after another: the order is the graph's
            input=OLD_TOKEN + "\n",
            env={"GH_TOKEN": "old-operator"},
        )
        assert resumed.exit_code == 0, resumed.output
        assert [r.path for r in puts(hub)] == [
            f"/repos/{repo}/actions/secrets/{SECRET}" for repo in OLD_REPOS[2:]
        ]
        for repo in OLD_REPOS:
            stored = hub.secret(repo, SECRET)
            assert stored is not None and stored.value == OLD_TOKEN
        dependabot = hub.secret("ccatobs/web", SECRET, "dependabot")
        assert dependabot is not None and dependabot.value == OLD
    done = Journal(journal).load().current
    assert done is not None and done.state == "completed" and done.stores is None
    assert done.run_id == recorded["current"]["run_id"]


# -- server text through the doors ---------------------------------------------------------

HOSTILE = "##[error]prod ::warning::x %0A"


def test_an_environment_name_from_the_server_forms_no_workflow_command(
    ccat: Ccat, copies: RotationCase
) -> None:
    copies.hub.set_secret("ccatobs/web", SECRET, OLD, store=f"environment:{HOSTILE}")
    summary = copies.tmp_path / "summary.md"
    for output in ([], ["--json"], ["--format", "markdown"]):
        in_actions = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
        result = status(ccat, copies, *output, **in_actions)
        assert result.exit_code == 0, result.output
        for text in (result.stdout, result.stderr):
            for line in text.splitlines():
                assert "##[" not in line, line
                assert not line.lstrip().startswith("::") or line.startswith(
                    ("::warning title=GH_PAT", "::error title=GH_PAT")
                ), line
        if output == ["--json"]:
            stores = {
                c["store"] for r in json.loads(result.stdout)["repositories"] for c in r["copies"]
            }
            assert f"environment:{HOSTILE}" in stores  # the value itself, read back
    assert "##[" not in summary.read_text(encoding="utf-8")


def test_an_unfinished_rotation_counts_the_copies_that_hold_its_token(
    ccat: Ccat,
    copies: RotationCase,
    rotate_args: list[str],
) -> None:
    copies.hub.add_fault(Fault("PUT", PRODUCTION, status=403, message=FORBIDDEN))
    assert rotate(ccat, rotate_args, copies).exit_code == 1
    result = status(ccat, copies, "--json")
    unfinished = json.loads(result.stdout)["unfinished_run"]
    assert unfinished["repositories"] == len(PAIRS)
    assert unfinished["holding_new_token"] == 7  # the Dependabot copy among them
    assert unfinished["not_holding_new_token"] == [
        "ccatobs/scheduler (environment:production)",
        *TARGETS[6:],
    ]
