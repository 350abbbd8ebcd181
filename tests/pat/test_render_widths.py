"""Every rotation and journal screen reads well at 80 and 120 columns.

Each screen is drawn from records at the width of the terminal and very wide; no line
may be wider than the terminal and no word may be split, except a repository name too
long to fit (GitHub allows 100 characters). Names and error messages are generated.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccat.pat.errors import PreflightError, PreflightFailure
from ccat.pat.github import PublicKey
from ccat.pat.journal import RotationRun, TargetRecord
from ccat.pat.rotation import Plan, RotationOutcome
from ccat.pat.rotation.plan import PlanItem, Preflight, TokenCheck, WriteFailure
from ccat.render.journal import journal_header, journal_notes, journal_targets, resume_forecast
from ccat.render.preflight import preflight_failure_lines
from ccat.render.rotation import (
    dry_run_lines,
    interrupted_report,
    outcome_report,
    plan_table,
    preflight_lines,
    write_line,
)
from tests.support.journals import a_run as rotation_run
from tests.support.journals import a_token
from tests.support.screens import WIDE, assert_reads_well, drawn

WIDTHS = (80, 120)
NAME = string.ascii_letters + string.digits + "._-"
# Words of GitHub's messages are short (at most 14 characters, the narrowest the error
# column gets); a longer one may fold.
WORDS = [
    "Resource", "not", "accessible", "by", "personal", "access", "token", "Bad",
    "credentials", "Not", "Found", "Server", "Error", "You", "have", "exceeded", "a",
    "secondary", "rate", "limit.", "Please", "wait", "few", "minutes.", "(timeout)",
]  # fmt: skip

repositories = st.lists(
    st.text(NAME, min_size=1, max_size=100).map(lambda name: f"ccatobs/{name}"),
    min_size=1,
    max_size=6,
    unique_by=str.lower,
)
messages = st.lists(st.sampled_from(WORDS), min_size=1, max_size=30).map(" ".join)
states = st.sampled_from(["updated", "failed", "pending", "in flight"])


def a_run(names: Sequence[str], target_states: Sequence[str], error: str) -> RotationRun:
    """A run over `names`, each target in the matching state (failed ones with `error`)."""
    targets = []
    for name, state in zip(names, target_states, strict=False):
        target = TargetRecord.pending(name)
        if state == "updated":
            target = target.started("2026-11-25T19:00:01Z").succeeded(204, "2026-11-25T19:00:02Z")
        elif state == "failed":
            target = target.started("2026-11-25T19:00:01Z").failed(
                403, error, "2026-11-26T00:00:02Z"
            )
        elif state == "in flight":
            target = target.started("2026-11-25T19:00:03Z")
        targets.append(target)
    targets += [TargetRecord.pending(name) for name in names[len(targets) :]]
    token = a_token("2027-02-01T00:00:00Z", "classic", "x")
    return rotation_run(targets, finished_at="2026-11-26T00:00:03Z", token=token)


def a_plan(names: Sequence[str], with_token: bool = True) -> Plan:
    token = TokenCheck("ccat-ci-bot", "2026-12-01T00:00:00Z", "fine-grained")
    items = tuple(
        PlanItem(name, "skip" if i % 3 == 2 else "set", "GitHub lost it" if i % 3 == 1 else None)
        for i, name in enumerate(names)
    )
    keys = {(name.casefold(), "actions"): PublicKey("3380204578043523366", "k") for name in names}
    return Plan(items, Preflight("alice", token if with_token else None, keys))


def check(renderables: Sequence[object], longest_unfolded: dict[int, int]) -> None:
    """Draw at each width and very wide; words up to `longest_unfolded[width]` stay whole."""
    reference = drawn(renderables, WIDE)  # type: ignore[arg-type]
    for width in WIDTHS:
        screen = drawn(renderables, width)  # type: ignore[arg-type]
        assert_reads_well(screen, reference, width, longest_unfolded=longest_unfolded[width])


# A word on a line of its own folds only when longer than the line.
LINES = {width: width for width in WIDTHS}


@settings(max_examples=60)
@given(names=repositories, target_states=st.lists(states, max_size=6), error=messages)
def test_the_journal_screen(names: list[str], target_states: list[str], error: str) -> None:
    run = a_run(names, target_states, error)
    screen = [
        journal_header(run, "/home/alice/.local/state/ccat/pat-journal.json", None),
        journal_targets(run),
        *journal_notes(run),
        resume_forecast(run),
    ]
    # Names whole up to the room left by State (11), Time (14 on another day), the lines
    # (13) and 14 columns of error.
    check(screen, {width: width - 52 for width in WIDTHS})


@settings(max_examples=60)
@given(names=repositories, target_states=st.lists(states, max_size=6), error=messages)
def test_the_failure_and_interrupted_reports(
    names: list[str], target_states: list[str], error: str
) -> None:
    run = a_run(names, [*["updated", *target_states][: len(names) - 1], "failed"], error)
    failure = WriteFailure(run.targets[-1], "the operator credential lacks permission: " + error)
    outcome = RotationOutcome(a_plan(names), run, failure=failure)
    check(outcome_report(outcome, "/state/pat-journal.json"), LINES)
    check(interrupted_report(run, 1, "SIGTERM", "/state/pat-journal.json"), LINES)
    check([write_line(target) for target in run.targets if target.finished_at], LINES)


@settings(max_examples=40)
@given(names=repositories)
def test_the_success_report(names: list[str]) -> None:
    run = a_run(names, ["updated"] * len(names), "")
    run.finish("completed", "2026-11-25T19:00:09Z")
    check(outcome_report(RotationOutcome(a_plan(names), run), "/state/pat-journal.json"), LINES)


@settings(max_examples=40)
@given(names=repositories, with_token=st.booleans())
def test_the_plan_and_the_preflight_lines(names: list[str], with_token: bool) -> None:
    plan = a_plan(names, with_token)
    # Names whole up to the room left by #, Action (21) and the lines (10).
    check([plan_table(plan, "GH_PAT")], {width: width - 34 for width in WIDTHS})
    check(preflight_lines(plan), LINES)
    check(dry_run_lines(RotationOutcome(plan, None, dry_run=True)), LINES)


@settings(max_examples=40)
@given(names=repositories, error=messages)
def test_a_refused_preflight(names: list[str], error: str) -> None:
    failures = [
        PreflightFailure(name, f"public key: HTTP 404: {error}", "check --org") for name in names
    ]
    failures.append(PreflightFailure("the new token", "a classic token without workflow", error))
    lines = preflight_failure_lines(PreflightError("preflight failed", failures=failures, hint=""))
    check(lines, LINES)


@pytest.mark.parametrize("width", WIDTHS)
def test_repository_names_that_fit_are_never_folded_in_the_journal(width: int) -> None:
    # The example graph's longest name, next to a long error: the error folds, not it.
    names = ["ccatobs/observation-planner", "ccatobs/system-integration"]
    run = a_run(names, ["failed", "in flight"], " ".join(WORDS))
    screen = drawn([journal_targets(run)], width)
    assert "│ ccatobs/observation-planner │" in screen
    assert "? in flight" in screen and "Time (UTC)" in screen
    # Compact times: the clock on the run's day, the date too on another.
    assert "│ 19:00:03 " in screen and "│ 11-26 00:00:02 " in screen
