"""Issue 14, defect 2 as its reporter found it, on a real `ccat` process: a journal that
still loads but lies must not make `status` say "safe to revoke". A completed journal
whose `current.started_at` reads "yesterday" and whose every `finished_at` is null,
while GitHub says each secret was set on 2020-01-01, once gave "every repository holds
the token ... safe to revoke", exit 0. Now such a journal is damaged: exit 2, saying
where, before a single request. The same for out-of-range times (defect 7) and for a
journal recording a write after the check that reads it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ccat.fakehub import FakeHub
from ccat.pat.journal import Journal
from tests.support.emulator import emulator
from tests.support.environment import child_env
from tests.support.journals import save_journal
from tests.support.rotation import (
    ROTATION_OPERATOR_TOKEN,
    TARGETS,
    RotationCase,
    holding,
    rotation_process,
    write_graph,
)
from tests.support.scene import completed_run

OPERATOR = "journal-truth-operator"
REPOS = ["ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api"]
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture(name="hub")
def status_hub() -> Any:
    with FakeHub(REPOS, operator_token=OPERATOR) as running:
        yield running


@pytest.fixture
def rotation_hub(new_token: str) -> Any:
    """The rotation tests' emulator (tests/conftest.py `hub`, under another name here)."""
    with emulator(TARGETS, ROTATION_OPERATOR_TOKEN, new_token) as running:
        yield running


def status(hub: FakeHub, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    graph = write_graph(tmp_path / "graph.yml", ["ops-db", "ops-db-api"])
    args = ["pat", "status", "--graph", str(graph), "--api-url", hub.url]
    args += ["--journal", str(tmp_path / "state" / "pat-journal.json"), *extra]
    return subprocess.run(
        [sys.executable, "-m", "ccat", *args],
        capture_output=True,
        text=True,
        env=child_env(OPERATOR, tmp_path),
        timeout=60,
    )


def journal_file(hub: FakeHub, tmp_path: Path) -> Path:
    """A true journal: one completed rotation, ten days ago."""
    run = completed_run(
        REPOS,
        datetime.now(UTC).replace(microsecond=0) - timedelta(days=10),
        expires_at=None,
        api_url=hub.url,
    )
    return save_journal(tmp_path / "state" / "pat-journal.json", run)


def edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_bytes())
    change(data["current"])
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.chmod(path, 0o644)  # the test's own (false) journal, not one ccat wrote


def test_the_reported_lie_is_refused_not_called_safe(hub: FakeHub, tmp_path: Path) -> None:
    path = journal_file(hub, tmp_path)
    for repository in REPOS:
        hub.set_secret(repository, "GH_PAT", "previous", updated_at=LONG_AGO)

    def lie(run: dict[str, Any]) -> None:
        run["started_at"] = "yesterday"
        for target in run["targets"]:
            target["finished_at"] = None

    edit(path, lie)
    hub.reset_log()

    result = status(hub, tmp_path, "--max-age", "3650")

    assert result.returncode == 2, result.stderr
    assert "safe to revoke" not in result.stdout + result.stderr
    assert result.stdout == ""
    said = " ".join(result.stderr.split())
    assert f"error: journal {path} is damaged: journal.current.started_at should be a time" in said
    assert '"yesterday"' in said and f"mv {path} {path}.broken" in said
    assert "Traceback" not in result.stderr
    assert hub.requests == []  # refused before asking GitHub anything

    # One lie at a time is refused too: the times of writes that were confirmed.
    edit(path, lambda run: run.update(started_at=run["targets"][0]["started_at"]))
    result = status(hub, tmp_path, "--max-age", "3650")
    assert result.returncode == 2
    assert "(ccatobs/system-integration) is updated, but its finished_at is null" in " ".join(
        result.stderr.split()
    )


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59Z"]
)
def test_extreme_journal_times_are_damage_not_a_traceback(
    hub: FakeHub, tmp_path: Path, stamp: str
) -> None:
    path = journal_file(hub, tmp_path)
    edit(path, lambda run: run["targets"][1].update(finished_at=stamp))
    result = status(hub, tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "OverflowError" not in result.stderr
    assert "journal.current.targets[1].finished_at (ccatobs/ops-db) should be a time" in (
        " ".join(result.stderr.split())
    )


def test_a_write_recorded_after_the_check_is_refused(hub: FakeHub, tmp_path: Path) -> None:
    """Consistent with itself, but not with the time of the check: a run said to have
    finished next year would keep `changed` silent until then."""
    path = journal_file(hub, tmp_path)
    for target in json.loads(path.read_bytes())["current"]["targets"]:
        hub.set_secret(target["repository"], "GH_PAT", "v", updated_at=target["finished_at"])
    assert status(hub, tmp_path).returncode == 0
    later = (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
    edit(path, lambda run: run.update(finished_at=later))
    result = status(hub, tmp_path)
    assert result.returncode == 2, result.stderr
    said = " ".join(result.stderr.split())
    assert f"records finished_at {later}, later than now" in said
    assert "safe to revoke" not in result.stdout


@pytest.mark.slow
def test_a_document_edited_during_a_real_rotation_is_refused_not_emptied(
    rotation_hub: FakeHub, case: RotationCase
) -> None:
    """Issue 14, defect 4, as found: while a rotation runs, an operator edits the
    journal's document with `jq` (here: adds a note). Its update log still holds the
    run's latest updates, written on top of the document as it was; round one then read
    the edited document alone (1 updated and 5 in flight became 0 and 0). Now
    `ccat pat journal` refuses it while the log says otherwise, and the rotation, which
    folds from what it knows, leaves a journal that tells the whole truth."""
    log = case.journal.with_name(case.journal.name + ".log")
    args = ["pat", "rotate", "--yes", "--graph", str(case.graph), "--api-url", rotation_hub.url]
    args += ["--journal", str(case.journal), "--write-interval", "0.4", "--concurrency", "1"]
    with rotation_process(args, rotation_hub, case.token, case.tmp_path) as process:
        deadline = time.monotonic() + 30
        while not (log.exists() and log.read_bytes().count(b"\n") >= 3):
            assert time.monotonic() < deadline and process.poll() is None, "no updates logged"
            time.sleep(0.01)
        edited = subprocess.run(
            ["jq", '.note = "checked by bob"', str(case.journal)],
            capture_output=True,
            check=True,
        ).stdout
        replacement = case.journal.with_name("edited.json")
        replacement.write_bytes(edited)
        os.replace(replacement, case.journal)

        journal_args = ["pat", "journal", "--json", "--journal", str(case.journal)]
        shown = subprocess.run(
            [sys.executable, "-m", "ccat", *journal_args],
            capture_output=True,
            text=True,
            env=child_env(OPERATOR, case.tmp_path),
            timeout=60,
        )
        still_running = process.poll() is None
        _, err = process.communicate(timeout=60)
    assert still_running, "the rotation ended before the journal was read"
    assert shown.returncode == 2, shown.stdout
    assert shown.stdout == ""
    said = " ".join(shown.stderr.split())
    assert f"journal {case.journal} is damaged: it no longer matches its update log" in said
    assert "mv " in said
    assert process.returncode == 0, err
    # The rotation's closing save is the truth from its memory: every target updated.
    run = Journal(case.journal).load().current
    assert run is not None and run.state == "completed"
    assert run.updated() == list(TARGETS)
    assert holding(rotation_hub, case.token) == set(TARGETS)
