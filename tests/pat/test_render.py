"""Rendering of rotation records: what the operator reads at 3 a.m."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccat.pat.errors import PreflightError, PreflightFailure
from ccat.pat.github import PublicKey
from ccat.pat.journal import Fingerprint, GraphFile, RotationRun, TargetRecord, TokenInfo
from ccat.pat.rotation import Plan, RotationOutcome
from ccat.pat.rotation.plan import PlanItem, Preflight, TokenCheck, WriteFailure
from ccat.pat.status import StatusReport, assess
from ccat.pat.times import iso
from ccat.render.journal import resume_forecast
from ccat.render.preflight import preflight_failure_lines
from ccat.render.rotation import RECOVERY, interrupted_report, outcome_report, preflight_lines
from ccat.render.unfinished import DO_NOT_REVOKE
from tests.screens import drawn
from tests.status_scene import completed_run

NOW = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
DAY, SECOND = timedelta(days=1), timedelta(seconds=1)
ITEMS = (PlanItem("ccatobs/a", "set"), PlanItem("ccatobs/b", "skip"))


def plan(expires_at: str | None) -> Plan:
    token = TokenCheck("ccat-ci-bot", expires_at, "fine-grained")
    return Plan(ITEMS, Preflight("alice", token, {"ccatobs/a": PublicKey("1", "k")}))


def run(*states: str) -> RotationRun:
    targets = [TargetRecord.pending(f"ccatobs/r{i}") for i in range(len(states))]
    for index, state in enumerate(states):
        if state == "updated":
            targets[index] = targets[index].succeeded(204, "2026-11-25T19:00:01Z")
        elif state == "failed":
            targets[index] = targets[index].failed(
                403, "Resource not accessible", "2026-11-25T19:00:01Z"
            )
    return RotationRun(
        run_id="20261125T190000Z-abcdef",
        secret="GH_PAT",
        org="ccatobs",
        api_url="https://api.github.com",
        graph=GraphFile("ci/dependency-graph.yml", "0" * 64),
        state="stopped",
        started_at="2026-11-25T19:00:00Z",
        finished_at=None,
        operator="alice",
        token=TokenInfo(Fingerprint.of("x"), "ccat-ci-bot", None),
        targets=targets,
    )


def test_preflight_warns_of_a_token_expiring_within_two_weeks() -> None:
    soon = preflight_lines(plan("2026-12-01T00:00:00Z"), now=NOW)
    later = preflight_lines(plan("2027-02-01T00:00:00Z"), now=NOW)
    unknown = preflight_lines(plan(None), now=NOW)
    assert "expires in 5 days" in soon[-1]
    assert not any("warning" in line for line in later + unknown)
    assert "1 repository; 1 skipped" in later[1]
    assert "GitHub sent no expiry date" in unknown[0]


def test_preflight_says_a_token_expired_and_when_not_that_it_expires_in_0_days() -> None:
    # Issue 14, defect 12: an expiry in the past printed "expires in 0 days".
    expired = preflight_lines(plan("2026-11-20T08:30:00Z"), now=NOW)[-1]
    assert "expires in 0 days" not in expired
    assert "the new token expired on 2026-11-20 08:30 UTC (5 days ago" in expired
    assert "CI fails with it" in expired
    today = preflight_lines(plan("2026-11-25T18:00:00Z"), now=NOW)[-1]
    assert "expired on 2026-11-25 18:00 UTC (today" in today
    within = preflight_lines(plan("2026-11-26T07:00:00Z"), now=NOW)[-1]
    assert "the new token expires within a day, on 2026-11-26 07:00 UTC" in within
    tomorrow = preflight_lines(plan("2026-11-27T07:00:00Z"), now=NOW)[-1]
    assert "expires in 1 day, on 2026-11-27 07:00 UTC" in tomorrow


def expiry_warned(lines: list[str]) -> bool:
    return any("warning:[/] the new token expire" in line for line in lines)


@pytest.mark.parametrize(
    ("expires", "warn_days", "fires"),
    [
        (NOW + 14 * DAY + SECOND, 14, False),
        (NOW + 14 * DAY, 14, True),  # exactly --warn-days left warns, as in status
        (NOW + 3 * DAY + SECOND, 3, False),
        (NOW + 3 * DAY, 3, True),
        (NOW + 30 * DAY, 30, True),
        (NOW + SECOND, 0, False),
        (NOW, 0, True),  # --warn-days 0: only once expired
    ],
)
def test_preflight_warns_when_at_most_warn_days_are_left(
    expires: datetime, warn_days: int, fires: bool
) -> None:
    lines = preflight_lines(plan(iso(expires)), now=NOW, warn_days=warn_days)
    assert expiry_warned(lines) is fires


@given(
    left=st.integers(min_value=-40 * 86400, max_value=40 * 86400),
    warn_days=st.integers(min_value=0, max_value=30),
)
def test_rotate_and_status_warn_of_the_same_expiries(left: int, warn_days: int) -> None:
    """One cut-off: the new token at preflight warns exactly when status, given the same
    token as the last rotation's, warns of its expiry."""
    expires_at = iso(NOW + timedelta(seconds=left))
    run = completed_run(["ccatobs/a"], NOW - 30 * DAY, expires_at=expires_at)
    report = StatusReport("GH_PAT", "ccatobs", iso(NOW), ())
    outlook = assess(report, [run], NOW, warn_days=warn_days)
    lines = preflight_lines(plan(expires_at), now=NOW, warn_days=warn_days)
    assert expiry_warned(lines) is bool(outlook.token_warnings)


def test_failure_report_lists_exactly_the_updated_and_not_updated() -> None:
    stopped = run("updated", "updated", "failed", "pending")
    failed = stopped.targets[2]
    outcome = RotationOutcome(plan(None), stopped, failure=WriteFailure(failed, "grant access"))
    lines = outcome_report(outcome, "/state/pat-journal.json")
    assert lines[0].endswith("ccatobs/r2:[/] HTTP 403: Resource not accessible")
    # What to do comes last, where the terminal shows it after long lists.
    assert lines[-5:-1] == [
        "[bold red]✗ 2 of 4 repositories updated; stopped at ccatobs/r2 (HTTP 403).[/]",
        "[dim]hint:[/] grant access",
        DO_NOT_REVOKE,
        "Fix the cause, then " + RECOVERY,
    ]
    updated = lines[lines.index("Already updated (2):") + 1 : lines.index("NOT updated (2):")]
    assert updated == ["  [green]✓[/] ccatobs/r0", "  [green]✓[/] ccatobs/r1"]
    after = lines.index("NOT updated (2):")
    assert lines[after + 1 : after + 3] == ["  [red]✗[/] ccatobs/r2", "  [red]✗[/] ccatobs/r3"]
    # Both ways out are offered: --resume, or the same rotation again.
    assert any("ccat pat rotate --resume" in line and "again" in line for line in lines)


def test_success_report_says_so_and_what_to_do_next() -> None:
    done = run("updated", "updated")
    done.finish("completed", "2026-11-25T19:00:09Z")
    lines = outcome_report(RotationOutcome(plan(None), done), "/j.json")
    assert "rotated in all 2 repositories of the graph" in lines[0]
    assert "left the graph" not in lines[0]
    assert "ccat pat status" in lines[1] and "revoke" in lines[1]


def test_success_counts_the_graph_not_records_kept_of_repositories_that_left_it() -> None:
    done = run("updated", "updated", "updated")  # the third left the graph (plan has two)
    done.finish("completed", "2026-11-25T19:00:09Z")
    lines = outcome_report(RotationOutcome(plan(None), done), "/j.json")
    assert "rotated in all 2 repositories of the graph" in lines[0]
    assert "the journal also keeps 1 that left the graph" in lines[0]


def test_preflight_failures_are_one_line_per_cause_and_a_shared_hint_is_said_once() -> None:
    error = PreflightError(
        "preflight failed",
        failures=[
            PreflightFailure("ccatobs/a", "public key: HTTP 404: Not Found", "check names"),
            PreflightFailure("ccatobs/b", "public key: HTTP 404: Not Found", "check names"),
            PreflightFailure("the new token", "a classic token without workflow", "add it"),
        ],
        hint="fix these",
    )
    lines = preflight_failure_lines(error)
    # Issue 15: the same failure in two repositories is one line, then their names.
    assert drawn([lines[0]], 80) == (
        "  ✗ public key: HTTP 404: Not Found — 2 repositories:\n      ccatobs/a, ccatobs/b\n"
    )
    assert lines[1] == "  [red]✗[/] the new token: a classic token without workflow"
    assert lines[2:] == ["[dim]hint (2 repositories):[/] check names", "[dim]hint:[/] add it"]


def test_hints_that_differ_only_by_the_repository_are_one_cause() -> None:
    failures = [
        PreflightFailure(f"ccatobs/{name}", "public key: HTTP 404", f"can you see ccatobs/{name}?")
        for name in ("a", "b")
    ]
    failures.append(PreflightFailure("ccatobs/c", "HTTP 403", "grant ccatobs/c access"))
    lines = preflight_failure_lines(PreflightError("failed", failures=failures, hint=""))
    # After one line for a and b (they failed alike) and one for c: the hints.
    assert lines[2:] == [
        "[dim]hint (2 repositories):[/] can you see each of them?",
        "[dim]hint:[/] grant ccatobs/c access",  # alone: it keeps its name
    ]


def test_resume_forecast_names_what_would_be_set() -> None:
    stopped = run("updated", "failed", "pending")
    assert "skip 1 updated repository and set 2: ccatobs/r1, ccatobs/r2" in (
        resume_forecast(stopped)
    )
    stopped.finish("completed", "2026-11-25T19:00:09Z")
    assert resume_forecast(stopped).startswith("Nothing to resume")


def test_the_interrupted_report_names_a_write_in_flight_only_when_there_is_one() -> None:
    between = run("updated", "pending")
    lines = interrupted_report(between, 1, "Ctrl-C", "/j.json")
    assert "in flight" not in " ".join(lines)
    assert lines[-2] == "To finish, " + RECOVERY
    during = run("updated", "pending", "pending")
    during.targets[1] = during.targets[1].started("2026-11-25T19:00:02Z")
    lines = interrupted_report(during, 2, "SIGTERM", "/j.json")
    assert any(
        line.startswith("In flight when interrupted, outcome unknown: ccatobs/r1 (")
        for line in lines
    )
    assert interrupted_report(None, 0, "SIGHUP", "/j.json") == [
        "[red]SIGHUP: stopped before any write; nothing was written.[/]"
    ]
