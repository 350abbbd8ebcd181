"""`--repo NAME` (issue 15 item 7): status and rotate act on a subset of the graph, as
`gh` users expect; an unknown name is exit 2 with a suggestion; the journal records the
selection, and status's warnings still reason about the whole graph. Also `ccat status`
(without `pat`) and `-V`.

The emulator is the witness: which repositories were read and written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ccat.cli import app
from ccat.fakehub import FakeHub, Fault
from tests.support.rotation import (
    FORBIDDEN,
    ONE_BY_ONE,
    SECRET,
    NoLeak,
    RotationCase,
    current,
    holding,
    put_repositories,
    repository_of,
    rotation_process,
    secret_path,
)

Ccat = Callable[..., Result]
OLD = "2025-01-01T00:00:00Z"


def status_args(graph_file: Path, hub: FakeHub, journal_path: Path) -> list[str]:
    return ["pat", "status", "--graph", str(graph_file), "--api-url", hub.url]


def checked(hub: FakeHub) -> set[str]:
    """The repositories whose secrets the emulator was asked about."""
    return {repository_of(r) for r in hub.requests if r.path.startswith("/repos/")}


def test_status_checks_only_the_selection_in_any_spelling(ccat: Ccat, case: RotationCase) -> None:
    for repository in case.targets:
        case.hub.set_secret(repository, SECRET, "value")
    args = [*status_args(case.graph, case.hub, case.journal), "--json"]
    result = ccat(*args, "--repo", "OPS-DB-api", "--repo", "ccatobs/ops-db", "--repo", "ops-db")
    assert result.exit_code == 0, result.output
    listed = [entry["repository"] for entry in json.loads(result.stdout)["repositories"]]
    assert listed == ["ccatobs/ops-db", "ccatobs/ops-db-api"]  # graph order, once each
    assert checked(case.hub) == set(listed)


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("ops-bd", "did you mean 'ops-db'"),
        ("other-org/ops-db", "did you mean"),
        ("zzzzzz", "`ccat pat status` lists every repository of the graph"),
    ],
)
def test_an_unknown_name_is_exit_2_with_a_suggestion_and_no_request(
    ccat: Ccat, case: RotationCase, name: str, hint: str
) -> None:
    for command in ("status", "rotate"):
        args = ["pat", command, "--graph", str(case.graph), "--api-url", case.hub.url]
        result = ccat(*args, "--repo", name, input="\n")
        assert result.exit_code == 2, result.output
        said = " ".join(result.stderr.split())
        assert f"--repo {name!r} is not a repository of the dependency graph" in said
        assert hint in said
    assert case.hub.requests == []


def test_status_of_a_selection_never_says_safe_to_revoke(
    ccat: Ccat, rotate_args: list[str], case: RotationCase
) -> None:
    done = ccat(*rotate_args, "--yes", "--write-interval", "0", input=case.token + "\n")
    assert done.exit_code == 0, done.output
    args = [*status_args(case.graph, case.hub, case.journal), "--journal", str(case.journal)]
    whole = ccat(*args)
    assert "safe to revoke" in " ".join(whole.stdout.split())  # the whole graph: it is
    part = ccat(*args, "--repo", "ops-db")
    assert part.exit_code == 0, part.output
    assert "safe to revoke" not in " ".join(part.stdout.split())
    assert "only 1 repository of 8 checked (--repo)" in " ".join(part.stderr.split())


def test_rotate_a_selection_records_it_and_status_reasons_about_the_whole_graph(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    for repository in case.targets:
        case.hub.set_secret(repository, SECRET, "previous", updated_at=OLD)
    selected = ["ccatobs/ops-db", "ccatobs/web"]
    result = ccat(
        *rotate_args,
        "--yes",
        "--write-interval",
        "0",
        "--repo",
        "web",
        "--repo",
        "ops-db",
        input=case.token + "\n",
    )
    assert result.exit_code == 0, result.output
    assert sorted(put_repositories(case.hub)) == selected
    assert holding(case.hub, case.token) == set(selected)
    run = current(case.journal)
    assert run.state == "completed"
    assert run.selection == selected and [t.repository for t in run.targets] == selected
    said = " ".join(result.output.split())
    assert "2 of 8 repositories (--repo)" in said
    assert "is updated in the 2 selected repositories (--repo)" in said
    assert "revoke the previous token only once ccat pat status says" in said

    # Status over the whole graph: the six left out still hold the previous token.
    args = [*status_args(case.graph, case.hub, case.journal), "--journal", str(case.journal)]
    status = ccat(*args, "--json")
    assert status.exit_code == 0, status.output
    document = json.loads(status.stdout)
    missed = {
        entry["repository"]
        for entry in document["repositories"]
        if any(w["kind"] == "missed" for w in entry.get("warnings", []))
    }
    assert missed == set(case.targets) - set(selected)
    assert "safe to revoke" not in status.stdout + status.stderr
    assert ccat(*args, "--strict").exit_code == 1

    journal = ccat("pat", "journal", "--journal", str(case.journal))
    assert "Selection" in journal.stdout
    assert "2 repositories chosen with --repo: ccatobs/ops-db, ccatobs/web" in " ".join(
        journal.stdout.split()
    )
    assert_no_leak(result.output, status.output, journal.output)


def test_resume_a_selection_finishes_part_of_a_stopped_run(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    failing = case.targets[3]
    case.hub.add_fault(
        Fault("PUT", secret_path(failing), status=403, count=None, message=FORBIDDEN)
    )
    args = [*rotate_args, "--yes", *ONE_BY_ONE]
    stopped = ccat(*args, input=case.token + "\n")
    assert stopped.exit_code == 1
    # The failing repository cannot be fixed now: finish two of the others.
    later = [case.targets[5], case.targets[6]]
    case.hub.reset_log()
    part = ccat(*args, "--resume", "--repo", later[1], "--repo", later[0], input=case.token + "\n")
    assert part.exit_code == 0, part.output
    assert put_repositories(case.hub) == later
    run = current(case.journal)
    assert run.state == "stopped" and run.selection is None
    assert {t.repository for t in run.targets if t.state != "updated"} == {
        failing,
        case.targets[4],
        case.targets[7],
    }
    said = " ".join(part.output.split())
    assert "The run is still unfinished: 3 of its repositories are not updated" in said
    assert "revoke neither" in said
    case.hub.clear_faults()
    done = ccat(*args, "--resume", input=case.token + "\n")
    assert done.exit_code == 0, done.output
    assert holding(case.hub, case.token) == set(case.targets)
    assert_no_leak(stopped.output, part.output, done.output)


def test_resume_refuses_a_repository_outside_the_runs_selection(
    ccat: Ccat, rotate_args: list[str], case: RotationCase
) -> None:
    case.hub.add_fault(Fault("PUT", secret_path(case.targets[2]), status=403, message=FORBIDDEN))
    args = [*rotate_args, "--yes", *ONE_BY_ONE]
    first = ccat(
        *args, "--repo", case.targets[1], "--repo", case.targets[2], input=case.token + "\n"
    )
    assert first.exit_code == 1
    case.hub.reset_log()
    outside = ccat(*args, "--resume", "--repo", case.targets[5], input=case.token + "\n")
    assert outside.exit_code == 2, outside.output
    assert "not a target of the unfinished run" in " ".join(outside.stderr.split())
    assert put_repositories(case.hub) == []
    # Resumed without --repo, the selection run stays a selection: the graph's other
    # repositories do not join it.
    resumed = ccat(*args, "--resume", input=case.token + "\n")
    assert resumed.exit_code == 0, resumed.output
    assert put_repositories(case.hub) == [case.targets[2]]


@pytest.mark.slow
def test_a_real_process_rotates_only_the_selection(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    args = ["pat", "rotate", "--graph", str(case.graph), "--api-url", case.hub.url]
    args += ["--journal", str(case.journal), "--yes", "--write-interval", "0"]
    with rotation_process(
        args, case.hub, case.token, case.tmp_path, "--repo", "planner"
    ) as process:
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert put_repositories(case.hub) == ["ccatobs/planner"]
    assert current(case.journal).selection == ["ccatobs/planner"]
    assert_no_leak(stdout, stderr)


# --- manners ------------------------------------------------------------------------


def test_ccat_status_without_pat_suggests_ccat_pat_status() -> None:
    for typed, meant in (("status", "status"), ("rotate", "rotate"), ("jornal", "journal")):
        result = CliRunner().invoke(app, [typed], prog_name="ccat")
        assert result.exit_code == 2
        assert f"Did you mean 'ccat pat {meant}'?" in result.stderr


def test_dash_v_is_version(ccat: Ccat) -> None:
    short, long = ccat("-V"), ccat("--version")
    assert short.exit_code == long.exit_code == 0
    assert short.stdout == long.stdout and short.stdout.startswith("ccat ")
