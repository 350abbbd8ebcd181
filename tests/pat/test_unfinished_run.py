"""The unfinished rotation of SPEC §12, as `ccat.pat.status.unfinished` finds it: the state
a person sees, how many repositories hold the new token (the journal's word, checked
against GitHub's timestamps from the emulator), a run known only from its summary, the
words `rotate` says before starting over one, and that `assess` never says "safe to
revoke" meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ccat.fakehub import FakeHub
from ccat.pat.journal import JournalDocument, RotationRun, RunSummary, iso, seen_state
from ccat.pat.status import (
    StatusReport,
    assess,
    find_unfinished,
)
from ccat.render.unfinished import new_rotation_notice, unfinished_sentences
from tests.support.emulator import OPERATOR_TOKEN
from tests.support.scene import completed_run, status_of

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
REPOS = ["ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api"]
API = "https://api.github.com"


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(REPOS, operator_token=OPERATOR_TOKEN) as running:
        yield running


async def status(hub: FakeHub) -> StatusReport:
    return await status_of(hub, REPOS, NOW)


def stopped_after_two(state: str = "interrupted") -> RotationRun:
    """A run that updated the first two repositories an hour ago, then stopped."""
    run = completed_run(REPOS, NOW - timedelta(hours=1), expires_at=None, api_url=API)
    last = run.targets[2]
    run.targets[2] = type(last).pending(last.repository)
    run.state = state  # type: ignore[assignment]
    return run


def seed(hub: FakeHub, run: RotationRun) -> None:
    """GitHub's timestamps: the run's writes where it made them, older values elsewhere."""
    for target in run.targets:
        when = target.finished_at or iso(NOW - timedelta(days=60))
        hub.set_secret(target.repository, "GH_PAT", "value", updated_at=when)


def test_a_person_sees_crashed_for_a_running_run_nobody_runs() -> None:
    assert seen_state("running", lock_held=True) == "running"
    assert seen_state("running", lock_held=False) == "crashed"
    for stored in ("stopped", "interrupted", "completed"):
        assert seen_state(stored, lock_held=True) == seen_state(stored, lock_held=False) == stored


async def test_the_repositories_holding_the_new_token_are_those_github_confirms(
    hub: FakeHub,
) -> None:
    run = stopped_after_two()
    seed(hub, run)
    found = find_unfinished([run], holder=None, report=await status(hub))
    assert found is not None
    assert (found.state, found.repositories, found.updated, found.holding) == (
        "interrupted",
        3,
        2,
        2,
    )
    assert found.not_holding == (REPOS[2],)
    # GitHub holds an older value than the write the journal records: not holding.
    hub.set_secret(REPOS[1], "GH_PAT", "restored", updated_at=NOW - timedelta(days=9))
    found = find_unfinished([run], holder=None, report=await status(hub))
    assert found is not None and (found.updated, found.holding) == (2, 1)
    assert "The journal records 2 written; GitHub confirms 1." in unfinished_sentences(found)[0]


async def test_nothing_is_unfinished_after_a_completed_run(hub: FakeHub) -> None:
    run = completed_run(REPOS, NOW - timedelta(hours=1), expires_at=None, api_url=API)
    seed(hub, run)
    assert find_unfinished([run], holder=None, report=await status(hub)) is None
    assert find_unfinished([], holder=None) is None


async def test_only_a_live_holder_makes_a_run_running(hub: FakeHub) -> None:
    run = stopped_after_two("running")
    run.finished_at = None
    seed(hub, run)
    report = await status(hub)
    crashed = find_unfinished([run], holder=None, report=report)
    live = find_unfinished([run], holder="pid 1 on host h", report=report)
    assert crashed is not None and (crashed.state, crashed.holder) == ("crashed", None)
    assert live is not None and (live.state, live.holder, live.live) == (
        "running",
        "pid 1 on host h",
        True,
    )
    assert "Run ccat pat status again once it has finished." in unfinished_sentences(live)
    assert not any("--resume" in sentence for sentence in unfinished_sentences(live))


def test_a_run_known_only_from_its_summary_still_counts() -> None:
    summary = RunSummary.of(stopped_after_two("stopped"))
    found = find_unfinished([], [summary], holder=None)
    assert found is not None and found.summarised
    assert (found.state, found.updated, found.holding, found.repositories) == ("stopped", 2, 2, 3)
    done = RunSummary.of(completed_run(REPOS, NOW, expires_at=None, api_url=API))
    assert find_unfinished([], [summary, done], holder=None) is None


async def test_assess_never_says_safe_to_revoke_while_a_rotation_is_unfinished(
    hub: FakeHub,
) -> None:
    earlier = completed_run(REPOS, NOW - timedelta(days=10), expires_at=None, api_url=API)
    seed(hub, earlier)
    report = await status(hub)
    assert assess(report, [earlier], NOW).safe_to_revoke is not None
    # Even were the newest run the completed one (a run summarised since, or another
    # journal's view), an unfinished one given to `assess` rules it out, and counts.
    unfinished = find_unfinished([], [RunSummary.of(stopped_after_two())], holder=None)
    outlook = assess(report, [earlier], NOW, unfinished=unfinished)
    assert outlook.safe_to_revoke is None
    assert outlook.count == 1 and outlook.unfinished is unfinished


def test_the_notice_before_a_new_rotation_names_the_unfinished_run() -> None:
    run = stopped_after_two()
    document = JournalDocument(current=run, history=[])
    said = new_rotation_notice(document, secret="GH_PAT", org="ccatobs", api_url=API)
    text = " ".join(said)
    assert f"the previous run {run.run_id} was unfinished (interrupted: 2 of 3" in text
    assert "repositories hold its token, so two tokens are in use" in text
    assert "ccat pat rotate --resume" in text
    assert new_rotation_notice(document, secret="OTHER", org="ccatobs", api_url=API) == []
    run.state = "running"
    run.finished_at = None
    assert "(crashed: 2 of 3" in " ".join(
        new_rotation_notice(document, secret="GH_PAT", org="ccatobs", api_url=API)
    )
    live = new_rotation_notice(
        document, secret="GH_PAT", org="ccatobs", api_url=API, holder="pid 7 on ops-host"
    )
    assert "(in progress: 2 of 3" in " ".join(live)  # a dry run beside a live rotation
    run.targets[2] = run.targets[2].started(run.started_at).succeeded(204, run.started_at)
    run.finish("completed", run.started_at)
    assert new_rotation_notice(document, secret="GH_PAT", org="ccatobs", api_url=API) == []
