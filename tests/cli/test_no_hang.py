"""Issue 14, defect 6: a FIFO at `<journal>.lock` made `ccat pat journal` wait forever
(the lock was opened for reading without O_NONBLOCK). Every file ccat opens is checked
for its type without blocking: the journal, its update log, its lock, the dependency
graph and GitHub Actions' step summary. Each case runs the real command with a FIFO
nobody writes to or reads from where the file should be; a hang is a timeout here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ccat.fakehub import FakeHub
from ccat.pat.errors import JournalError
from ccat.pat.journal import Journal, JournalDocument
from tests.support.environment import child_env
from tests.support.rotation import write_graph
from tests.support.scene import completed_run

OPERATOR = "no-hang-operator"
REPOS = ["ccatobs/system-integration", "ccatobs/ops-db"]
HANG = 20  # seconds: far more than any of these commands takes


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    """A true journal (one stopped run) at tmp_path/state/pat-journal.json."""
    run = completed_run(REPOS, datetime(2026, 11, 25, 19, tzinfo=UTC), expires_at=None)
    run.state = "stopped"
    run.targets[1] = run.targets[1].failed(403, "denied", run.targets[1].finished_at or "")
    journal = Journal(tmp_path / "state" / "pat-journal.json")
    journal.save(JournalDocument(current=run, history=[]))
    return journal


def ccat(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ccat", *args],
        capture_output=True,
        text=True,
        env={**child_env(OPERATOR, tmp_path), **env},
        input=stdin,
        timeout=HANG,
    )


@pytest.mark.parametrize("suffix", [".lock", ".log"])
def test_the_journal_command_refuses_a_fifo_beside_the_journal(
    tmp_path: Path, journal: Journal, suffix: str
) -> None:
    fifo = journal.path.with_name(journal.path.name + suffix)
    os.mkfifo(fifo)
    for extra in ([], ["--json"]):
        result = ccat(tmp_path, "pat", "journal", "--journal", str(journal.path), *extra)
        assert result.returncode == 2, result.stdout
        said = " ".join(result.stderr.split())
        assert f"{fifo} is a FIFO, not a regular file" in said
        assert "Traceback" not in result.stderr
    fifo.unlink()


def test_status_refuses_a_fifo_as_lock_or_log_and_a_rotation_a_fifo_lock(
    tmp_path: Path, journal: Journal
) -> None:
    with FakeHub(REPOS, operator_token=OPERATOR) as hub:
        graph = write_graph(tmp_path / "graph.yml", ["ops-db"])
        where = ["--graph", str(graph), "--api-url", hub.url, "--journal", str(journal.path)]
        log = journal.path.with_name(journal.path.name + ".log")
        os.mkfifo(log)
        result = ccat(tmp_path, "pat", "status", *where)
        assert result.returncode == 2 and f"{log} is a FIFO" in " ".join(result.stderr.split())
        log.unlink()
        os.mkfifo(journal.lock_path)
        result = ccat(tmp_path, "pat", "rotate", "--yes", *where, stdin="ghp_not-a-real-one\n")
        assert result.returncode == 2, result.stderr
        assert f"journal lock {journal.lock_path} is a FIFO" in " ".join(result.stderr.split())
        assert [r for r in hub.requests if r.method == "PUT"] == []
    journal.lock_path.unlink()


def test_an_append_to_a_log_swapped_for_a_fifo_is_refused(tmp_path: Path, journal: Journal) -> None:
    """The rotation found a regular log (or none) when it loaded; a FIFO put there
    afterwards must not make its next save wait for a reader."""
    document = journal.load()
    journal.save(document)
    run = document.current
    assert run is not None
    os.mkfifo(journal.log_path)
    with pytest.raises(JournalError, match=r"is not a regular file|is a FIFO"):
        journal.save_target(run, run.targets[1].started("2026-11-25T19:00:05Z"))
    journal.log_path.unlink()


def test_a_fifo_as_the_step_summary_is_a_warning_not_a_hang(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    os.mkfifo(summary)
    with FakeHub(REPOS, operator_token=OPERATOR) as hub:
        for repository in REPOS:
            hub.set_secret(repository, "GH_PAT", "v")
        graph = write_graph(tmp_path / "graph.yml", ["ops-db"])
        result = ccat(
            tmp_path,
            "pat",
            "status",
            "--graph",
            str(graph),
            "--api-url",
            hub.url,
            GITHUB_ACTIONS="true",
            GITHUB_STEP_SUMMARY=str(summary),
        )
    assert result.returncode == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert f"cannot append to GITHUB_STEP_SUMMARY ({summary})" in said
    assert "not a regular file" in said


def test_a_fifo_as_the_graph_is_refused(tmp_path: Path) -> None:
    graph = tmp_path / "graph.yml"
    os.mkfifo(graph)
    result = ccat(
        tmp_path, "pat", "status", "--graph", str(graph), "--api-url", "http://127.0.0.1:9"
    )
    assert result.returncode == 2
    assert "FIFO" in result.stderr
