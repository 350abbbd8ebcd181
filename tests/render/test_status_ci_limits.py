"""GitHub's limits on what a step shows (issue 14, defect 1): a step summary of at most
1 MiB (past that GitHub drops the step's whole summary) and 10 error and 10 warning
annotations. A 10,000-repository graph once wrote 2.27 MB of summary and 10,001
annotations.
"""

from __future__ import annotations

import re

from ccat.pat.status import Outlook, SecretStatus, StatusReport, StatusWarning
from ccat.render.github_actions import ANNOTATIONS_PER_KIND, STEP_SUMMARY_LIMIT
from ccat.render.status_ci import SUMMARY_ROWS, status_markdown, step_summary, workflow_commands
from tests.support.actions_runner import Runner
from tests.support.github_markdown import render

BIG = 10_000
MESSAGES = ("HTTP 403: Resource not accessible", "HTTP 404: Not Found", "HTTP 502: Bad Gateway")


def report_of(results: list[SecretStatus]) -> StatusReport:
    return StatusReport("GH_PAT", "ccatobs", "2026-11-25T19:00:00Z", tuple(results))


def big_graph() -> tuple[StatusReport, Outlook]:
    """10,000 repositories: most present and quiet, 600 missing, 300 unchecked (three
    causes), 250 with a warning, and the token about to expire."""
    results = []
    warnings: dict[str, tuple[StatusWarning, ...]] = {}
    for number in range(BIG):
        name = f"ccatobs/observatory-control-telescope-pointing-model-{number:05d}"
        if number % 100 < 6:
            results.append(SecretStatus(name, "missing", http_status=200))
        elif number % 100 < 9:
            results.append(SecretStatus(name, "error", error=MESSAGES[number % 3], http_status=403))
        else:
            results.append(SecretStatus(name, "present", updated_at="2026-01-01T00:00:00Z"))
            if number % 40 == 10:
                warnings[name] = (StatusWarning("age", f"set 300 days ago ({number})"),)
    token = (StatusWarning("expiry", "the token expires in 3 days"),)
    return report_of(results), Outlook(repositories=warnings, token_warnings=token)


def test_a_10000_repository_summary_fits_in_what_the_step_has_left() -> None:
    report, outlook = big_graph()
    full = status_markdown(report, outlook)
    assert len(full.encode()) > STEP_SUMMARY_LIMIT  # what was written before: too much
    summary = step_summary(report, outlook, STEP_SUMMARY_LIMIT)
    assert summary is not None and len(summary.encode()) <= STEP_SUMMARY_LIMIT
    rows = [line for line in summary.splitlines() if line.startswith("| ccatobs/")]
    # Only the repositories with something to note, at most SUMMARY_ROWS of them...
    assert 0 < len(rows) <= SUMMARY_ROWS
    assert not any("| ✅ present |" in row and row.endswith("|  |") for row in rows)
    # ...and it says what it left out, and where the rest is.
    said = " ".join(summary.split())
    assert f"of the {BIG:,} repositories, the 8,850 with nothing to note are not listed" in said
    assert "The step log has the full table." in said
    # The counts of the whole graph are still there.
    assert "600 missing, 300 not checked" in said
    assert set(render(summary).tags) <= {"h3", "p", "table", "thead", "tbody", "tr", "th"} | {
        "td",
        "ul",
        "li",
        "code",
        "strong",
    }


def test_the_summary_shrinks_to_the_room_left_or_says_nothing() -> None:
    report, outlook = big_graph()
    for room in (200_000, 20_000, 3_000):
        summary = step_summary(report, outlook, room)
        assert summary is not None and len(summary.encode()) <= room
    assert step_summary(report, outlook, 100) is None  # not even the heading fits


def test_a_small_report_is_appended_whole() -> None:
    report, outlook = big_graph()
    small = report_of(list(report.results[:20]))
    assert step_summary(small, outlook, STEP_SUMMARY_LIMIT) == status_markdown(small, outlook)


def test_annotations_beyond_ten_of_a_kind_are_one_per_cause() -> None:
    report, outlook = big_graph()
    commands = workflow_commands(report, outlook)
    errors = [c for c in commands if c.startswith("::error ")]
    warnings = [c for c in commands if c.startswith("::warning ")]
    assert len(errors) <= ANNOTATIONS_PER_KIND and len(warnings) <= ANNOTATIONS_PER_KIND
    # One per cause: missing, and each of the three messages; with the count and names.
    assert [c.split("::")[1] for c in errors] == ["error title=GH_PAT missing"] + [
        "error title=GH_PAT not checked"
    ] * 3
    first = "ccatobs/observatory-control-telescope-pointing-model-00000"
    assert f"GH_PAT is not set — 600 repositories: {first}" in errors[0]
    assert re.search(r"and 590 more; the step log lists each$", errors[0])
    assert any("HTTP 404: Not Found — 100 repositories" in c for c in errors)
    assert warnings[0].startswith("::warning title=GH_PAT token expiry::")
    assert "older than the rotation cadence — 250 repositories" in warnings[1]
    # Every one of them is a command the runner executes.
    assert len(Runner().read("\n".join(commands))) == len(commands)


def test_up_to_ten_affected_repositories_get_one_annotation_each() -> None:
    results = [SecretStatus(f"ccatobs/r{n}", "missing", http_status=200) for n in range(10)]
    commands = workflow_commands(report_of(results), Outlook())
    assert commands == [
        f"::error title=GH_PAT missing::ccatobs/r{n}: GH_PAT is not set" for n in range(10)
    ]


def test_causes_past_ten_are_folded_into_one_annotation() -> None:
    results = [
        SecretStatus(f"ccatobs/r{n}", "error", error=f"HTTP 500: failure number {n}")
        for n in range(25)
    ]
    errors = workflow_commands(report_of(results), Outlook())
    assert len(errors) == ANNOTATIONS_PER_KIND
    assert errors[-1] == (
        "::error title=GH_PAT not checked::16 more causes, in 16 repositories: see the step log"
    )
