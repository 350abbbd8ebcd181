"""A journal that contradicts itself is damaged (issue 14, defect 2 and the journal part
of defect 7): each rule of `ccat.pat.journal.checks`, broken on its own in a journal
file, is refused by `Journal.load` with a message that says where; a time that is no
time, or one out of range (years 0001 and 9999, with offsets), never raises anything
but a `JournalError`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ccat.pat.errors import JournalError
from ccat.pat.journal import Journal, JournalDocument, parse_iso
from ccat.pat.times import parse_exact
from tests.status_scene import completed_run

STARTED = "2026-11-25T19:00:00Z"
REPOS = ["ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api"]
EXTREMES = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "1999-12-31T23:59:59Z",
]


def stopped() -> dict[str, Any]:
    """A true journal as JSON: a stopped run (updated, failed, pending, in flight) after
    a completed one."""
    earlier = completed_run(REPOS, datetime(2026, 8, 1, tzinfo=UTC), expires_at=None)
    run = completed_run(
        REPOS[:1], datetime.fromisoformat(STARTED), expires_at="2027-02-01T00:00:00Z"
    )
    data = JournalDocument(current=run, history=[earlier]).to_json()
    current = data["current"]
    current["state"] = "stopped"
    current["finished_at"] = "2026-11-25T19:00:09Z"
    current["targets"] += [
        {
            "repository": REPOS[1],
            "state": "failed",
            "started_at": "2026-11-25T19:00:03Z",
            "finished_at": "2026-11-25T19:00:04Z",
            "http_status": 403,
            "error": "Resource not accessible by personal access token",
        },
        {
            "repository": REPOS[2],
            "state": "pending",
            "started_at": "2026-11-25T19:00:05Z",
            "finished_at": None,
            "http_status": None,
            "error": None,
        },
    ]
    return data


def load(tmp_path: Path, data: dict[str, Any]) -> JournalDocument:
    path = tmp_path / "pat-journal.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return Journal(path).load()


def test_the_true_journal_loads(tmp_path: Path) -> None:
    doc = load(tmp_path, stopped())
    assert doc.current is not None and doc.current.state == "stopped"


def _set(data: dict[str, Any], path: str, value: object) -> None:
    node: Any = data
    keys: list[str | int] = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value


# (path in the JSON, new value, what the message says)
CONTRADICTIONS: list[tuple[str, object, str]] = [
    ("current.started_at", "yesterday", "journal.current.started_at should be a time"),
    ("current.finished_at", "not a time", "journal.current.finished_at should be a time"),
    ("current.finished_at", None, "journal.current is stopped, but finished_at is null"),
    ("current.state", "running", "journal.current is running, but finished_at is"),
    (
        "current.finished_at",
        "2026-11-25T18:59:59Z",
        "finished at 2026-11-25T18:59:59Z, before it started",
    ),
    (
        "current.state",
        "completed",
        "journal.current is completed, but targets[1] (ccatobs/ops-db) is failed",
    ),
    (
        "current.targets.0.http_status",
        403,
        "targets[0] (ccatobs/system-integration) is updated, but its http_status is 403",
    ),
    ("current.targets.0.http_status", None, "is updated, but its http_status is null"),
    ("current.targets.0.error", "boom", 'is updated, but has an error ("boom")'),
    (
        "current.targets.0.finished_at",
        None,
        "targets[0] (ccatobs/system-integration) is updated, but its finished_at is null",
    ),
    ("current.targets.0.started_at", None, "is updated, but its started_at is null"),
    (
        "current.targets.0.started_at",
        "2026-11-25T18:00:00Z",
        "started at 2026-11-25T18:00:00Z, before its run started",
    ),
    (
        "current.targets.1.finished_at",
        "2026-11-25T19:00:02Z",
        "before it started (2026-11-25T19:00:03Z)",
    ),
    (
        "current.targets.0.finished_at",
        "2026-11-25T20:00:00Z",
        "after its run finished (2026-11-25T19:00:09Z)",
    ),
    ("current.targets.1.error", None, "targets[1] (ccatobs/ops-db) failed, but its error is null"),
    ("current.targets.1.http_status", 204, "failed, but its http_status is 204"),
    ("current.targets.1.http_status", 99999, "failed, but its http_status is 99999"),
    ("current.targets.2.finished_at", "2026-11-25T19:00:06Z", "is pending, but its finished_at is"),
    ("current.targets.2.http_status", 204, "is pending, but its http_status is 204"),
    ("current.targets.2.error", "x", 'is pending, but its error is "x"'),
    (
        "current.targets.2.repository",
        "elsewhere/ops-db-api",
        "is not a repository of the run's organisation",
    ),
    ("current.targets.2.repository", "ccatobs/..", "is not a repository of the run's organisation"),
    (
        "current.targets.2.started_at",
        "5 past 7",
        "journal.current.targets[2].started_at (ccatobs/ops-db-api) should be a time",
    ),
    ("current.graph.sha256", "abc", "journal.current.graph.sha256 should be a SHA-256 digest"),
    (
        "current.token.fingerprint.sha256",
        "ab",
        "token.fingerprint.sha256 should be a SHA-256 digest",
    ),
    ("current.token.expires_at", "soon", "journal.current.token.expires_at should be a time"),
    ("current.run_id", " ", "journal.current.run_id is empty"),
    ("current.org", "", "journal.current.org is empty"),
    ("history.0.state", "stopped", "journal.history[0] is stopped, but every target is updated"),
    ("history.0.targets.1.state", "pending", "journal.history[0] is completed, but targets[1]"),
]


@pytest.mark.parametrize(
    ("path", "value", "says"), CONTRADICTIONS, ids=[f"{p}={v!r}" for p, v, _ in CONTRADICTIONS]
)
def test_each_contradiction_is_refused_saying_where(
    tmp_path: Path, path: str, value: object, says: str
) -> None:
    data = stopped()
    _set(data, path, value)
    with pytest.raises(JournalError) as info:
        load(tmp_path, data)
    message = str(info.value)
    assert info.value.exit_code == 2
    assert message.startswith(f"journal {tmp_path / 'pat-journal.json'} is damaged: ")
    assert says in message
    assert "move it aside (mv " in message


@pytest.mark.parametrize("stamp", EXTREMES)
@pytest.mark.parametrize(
    "path",
    [
        "current.started_at",
        "current.finished_at",
        "current.targets.0.started_at",
        "current.targets.0.finished_at",
        "history.0.started_at",
        "history.0.targets.2.finished_at",
    ],
)
def test_times_out_of_range_are_damage_never_an_overflow(
    tmp_path: Path, path: str, stamp: str
) -> None:
    data = stopped()
    _set(data, path, stamp)
    with pytest.raises(JournalError, match="should be a time as ccat writes it"):
        load(tmp_path, data)


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_any_year_is_a_token_expiry(tmp_path: Path, stamp: str) -> None:
    """The expiry is GitHub's to say, not our clock's: any year, written as a time."""
    data = stopped()
    data["current"]["token"]["expires_at"] = stamp
    doc = load(tmp_path, data)
    assert doc.current is not None and doc.current.token.expires_at == stamp


@pytest.mark.parametrize(
    "text",
    [*EXTREMES, "", "yesterday", "2026-02-30T00:00:00Z", "2026-11-25T24:00:00Z", "2026-11-25"],
)
def test_reading_a_time_never_raises(text: str) -> None:
    parsed = parse_iso(text)
    assert parsed is None or parsed.utcoffset() is not None
    recorded = parse_exact(text)
    assert recorded is None or text.endswith("Z")


def test_log_updates_that_contradict_are_refused_saying_so(tmp_path: Path) -> None:
    """A log line is a target's record too: applied, it must tell a true story."""
    data = stopped()
    data["current"]["state"] = "running"
    data["current"]["finished_at"] = None
    path = tmp_path / "pat-journal.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    journal = Journal(path)
    document = journal.load()
    journal.save(document)
    run = document.current
    assert run is not None
    lie = run.targets[2].succeeded(403, "2026-11-25T19:00:06Z")
    journal.save_target(run, lie)
    with pytest.raises(JournalError) as info:
        Journal(path).load()
    assert "is updated, but its http_status is 403" in str(info.value)
    assert "(with the updates of its log applied)" in str(info.value)
    journal.log_path.unlink()  # the test's own lie: gone before the journals are checked


def test_the_round_one_example_journal_still_loads() -> None:
    """A journal written before this round (no `older_runs`, no fold mark) loads."""
    example = Path(__file__).parents[1] / "data" / "journals" / "round-one-example.json"
    doc = Journal(example).load()
    assert doc.current is not None and doc.current.state == "stopped"
    assert doc.older_runs == [] and len(doc.history) == 1
