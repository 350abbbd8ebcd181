"""Rendering of rotation records: what the operator reads at 3 a.m."""

from __future__ import annotations

from datetime import UTC, datetime

from ccat.pat.github import PublicKey
from ccat.pat.journal import Fingerprint, GraphFile, RotationRun, TargetRecord, TokenInfo
from ccat.pat.render import outcome_report, preflight_lines, resume_forecast
from ccat.pat.rotate import PlanItem, Preflight, RotationOutcome

NOW = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
PLAN = (PlanItem("ccatobs/a", "set"), PlanItem("ccatobs/b", "skip"))


def preflight(expires_at: str | None) -> Preflight:
    return Preflight("alice", "ccat-ci-bot", expires_at, {"ccatobs/a": PublicKey("1", "k")})


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
    soon = preflight_lines(preflight("2026-12-01T00:00:00Z"), PLAN, now=NOW)
    later = preflight_lines(preflight("2027-02-01T00:00:00Z"), PLAN, now=NOW)
    unknown = preflight_lines(preflight(None), PLAN, now=NOW)
    assert "expires in 5 days" in soon[-1]
    assert not any("warning" in line for line in later + unknown)
    assert "1 repositories; 1 skipped" in later[1]
    assert "no expiry sent by GitHub" in unknown[0]


def test_failure_report_lists_exactly_the_updated_and_not_updated() -> None:
    stopped = run("updated", "updated", "failed", "pending")
    outcome = RotationOutcome(PLAN, preflight(None), stopped, hint="grant access")
    lines = outcome_report(outcome, "/state/pat-journal.json")
    assert lines[0].endswith("ccatobs/r2:[/] HTTP 403: Resource not accessible")
    assert lines[1] == "  hint: grant access"
    updated = lines[lines.index("Already updated (2):") + 1 : lines.index("NOT updated (2):")]
    assert updated == ["  ✓ ccatobs/r0", "  ✓ ccatobs/r1"]
    after = lines.index("NOT updated (2):")
    assert lines[after + 1 : after + 3] == ["  ✗ ccatobs/r2", "  ✗ ccatobs/r3"]
    assert any("ccat pat rotate --resume" in line for line in lines)


def test_success_report_is_one_line() -> None:
    done = run("updated", "updated")
    lines = outcome_report(RotationOutcome(PLAN, preflight(None), done), "/j.json")
    assert len(lines) == 1 and "rotated in all 2 repositories" in lines[0]


def test_resume_forecast_names_what_would_be_set() -> None:
    stopped = run("updated", "failed", "pending")
    assert "skip 1 updated repositories and set 2: ccatobs/r1, ccatobs/r2" in (
        resume_forecast(stopped)
    )
    stopped.finish("completed", "2026-11-25T19:00:09Z")
    assert resume_forecast(stopped).startswith("Nothing to resume")
