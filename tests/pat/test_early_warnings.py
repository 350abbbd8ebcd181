"""The early warnings of SPEC §9 (issue 9.2) at their edges: GitHub's timestamps seeded
in the emulator, a status run against it, and `assess` at a fixed time with journals
built from the model. Each kind fires just inside its window and not just outside it;
the edges are the ones `ccat.pat.status.warnings` documents.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from ccat.fakehub import FakeHub
from ccat.pat.journal import RotationRun, iso
from ccat.pat.settings import CLOCK_SKEW
from ccat.pat.status import Outlook, StatusReport, assess, relevant_runs
from tests.support.emulator import OPERATOR_TOKEN
from tests.support.scene import completed_run, status_of

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
REPOS = ["ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api"]
STARTED = NOW - 10 * DAY  # the rotation of the journal


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(REPOS, operator_token=OPERATOR_TOKEN) as running:
        yield running


def rotation(
    *, expires: datetime | None = None, kind: str | None = "fine-grained", state: str = "completed"
) -> RotationRun:
    """A run that wrote REPOS one after another from STARTED, two seconds each."""
    return completed_run(
        REPOS,
        STARTED,
        expires_at=None if expires is None else iso(expires),
        kind=kind,
        state=state,
        api_url="https://api.github.com",
    )


def seed_as_written(hub: FakeHub, run: RotationRun) -> None:
    """GitHub's timestamps as the run's writes left them."""
    for target in run.targets:
        hub.set_secret(target.repository, "GH_PAT", "rotated", updated_at=target.finished_at)


async def status(hub: FakeHub) -> StatusReport:
    return await status_of(hub, REPOS, NOW)


async def outlook(
    hub: FakeHub, runs: Sequence[RotationRun], now: datetime = NOW, **limits: int | None
) -> Outlook:
    return assess(await status(hub), runs, now, **limits)  # type: ignore[arg-type]


def kinds(found: Outlook, repository: str) -> list[str]:
    return [warning.kind for warning in found.of(repository)]


# -- expiry ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires", "warn_days", "fires", "says"),
    [
        (NOW + 14 * DAY + SECOND, 14, False, None),
        (NOW + 14 * DAY, 14, True, "in 14 days"),
        (NOW + DAY, 14, True, "in 1 day:"),
        (NOW + SECOND, 14, True, "within a day"),
        (NOW, 14, True, "expired on 2026-11-25"),
        (NOW - 40 * DAY, 14, True, "expired on 2026-10-16"),
        (NOW + 3 * DAY + SECOND, 3, False, None),
        (NOW + 3 * DAY, 3, True, "in 3 days"),
        (NOW + SECOND, 0, False, None),
        (NOW, 0, True, "expired"),
    ],
)
async def test_expiry_fires_within_warn_days_and_once_expired(
    hub: FakeHub, expires: datetime, warn_days: int, fires: bool, says: str | None
) -> None:
    run = rotation(expires=expires)
    seed_as_written(hub, run)
    found = await outlook(hub, [run], warn_days=warn_days)
    assert found.token is not None and found.token.expires_at == iso(expires)
    assert found.token.days_left == (expires - NOW) // DAY
    assert [w.kind for w in found.token_warnings] == (["expiry"] if fires else [])
    if says is not None:
        (warning,) = found.token_warnings
        assert says in warning.message and "(ccat-ci-bot)" in warning.message


async def test_no_expiry_without_a_completed_run_or_without_a_known_expiry(
    hub: FakeHub,
) -> None:
    stopped = rotation(expires=NOW - DAY, state="stopped")
    seed_as_written(hub, stopped)
    assert (await outlook(hub, [stopped])).token_warnings == ()
    assert (await outlook(hub, [rotation(expires=None)])).token_warnings == ()
    # The newest *completed* run's token counts, not an older one's.
    newer, older = rotation(expires=NOW + 60 * DAY), rotation(expires=NOW - DAY)
    assert (await outlook(hub, [newer, older])).token_warnings == ()


# -- age ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "max_age", "limit"),
    [
        ("fine-grained", None, 90),
        ("classic", None, 60),
        ("other", None, 90),
        (None, None, 90),
        ("classic", 30, 30),
        ("fine-grained", 120, 120),
    ],
)
async def test_age_fires_past_the_cadence_of_the_token_kind_or_max_age(
    hub: FakeHub, kind: str | None, max_age: int | None, limit: int
) -> None:
    run = rotation(kind=kind, expires=NOW + 365 * DAY)
    old, edge = REPOS[1], REPOS[2]
    hub.set_secret(REPOS[0], "GH_PAT", "fresh", updated_at=NOW - DAY)
    hub.set_secret(old, "GH_PAT", "old", updated_at=NOW - limit * DAY - SECOND)
    hub.set_secret(edge, "GH_PAT", "edge", updated_at=NOW - limit * DAY)
    # The journal's run is only there for the token's kind: no missed/changed here.
    found = await outlook(hub, [run] if kind is not None else [], max_age=max_age)
    ages = {repo: kinds(found, repo).count("age") for repo in REPOS}
    assert ages == {REPOS[0]: 0, old: 1, edge: 0}
    message = next(w.message for w in found.of(old) if w.kind == "age")
    assert f"set {limit} days ago" in message and f"({limit} days)" in message


async def test_age_counts_an_organisation_secret_too(hub: FakeHub) -> None:
    hub.set_org_secret("ccatobs", "GH_PAT", "org", visibility="all", updated_at=NOW - 91 * DAY)
    found = await outlook(hub, [])
    for repo in REPOS:
        (warning,) = found.of(repo)
        assert warning.kind == "age"
        assert warning.message.startswith("the organisation secret was set 91 days ago")


# -- missed and changed -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "fires"),
    [(-CLOCK_SKEW - SECOND, True), (-CLOCK_SKEW, False), (timedelta(0), False)],
)
async def test_missed_fires_before_our_write_started_less_the_clock_skew(
    hub: FakeHub, offset: timedelta, fires: bool
) -> None:
    """Round one measured from the start of the run; now from the start of the write to
    that repository (two seconds later here), so that no run start, true or not, can
    hide a repository whose secret GitHub says predates the write the journal records."""
    run = rotation(expires=NOW + 365 * DAY)
    seed_as_written(hub, run)
    write = run.targets[1]
    started = datetime.fromisoformat(write.started_at or "")
    hub.set_secret(REPOS[1], "GH_PAT", "previous", updated_at=started + offset)
    found = await outlook(hub, [run])
    assert kinds(found, REPOS[1]) == (["missed"] if fires else [])
    assert kinds(found, REPOS[0]) == kinds(found, REPOS[2]) == []
    if fires:
        (warning,) = found.of(REPOS[1])
        assert f"before rotation {run.run_id} wrote it (from {write.started_at})" in (
            warning.message
        )
        assert "still holds the previous token" in warning.message


async def test_missed_fires_for_a_repository_the_last_rotation_left_out(hub: FakeHub) -> None:
    """Its own secret, and no write of ours: what it holds is unknown, never fine."""
    run = completed_run(REPOS[:2], STARTED, expires_at=None, api_url="https://api.github.com")
    seed_as_written(hub, run)
    hub.set_secret(REPOS[2], "GH_PAT", "someone's", updated_at=NOW - DAY)
    found = await outlook(hub, [run])
    (warning,) = found.of(REPOS[2])
    assert warning.kind == "missed"
    assert f"rotation {run.run_id}, the last completed, did not include it" in warning.message
    assert found.safe_to_revoke is None


@pytest.mark.parametrize(
    ("offset", "fires"),
    [(CLOCK_SKEW + SECOND, True), (CLOCK_SKEW, False), (-SECOND, False)],
)
async def test_changed_fires_after_our_write_finished_plus_the_clock_skew(
    hub: FakeHub, offset: timedelta, fires: bool
) -> None:
    run = rotation(expires=NOW + 365 * DAY)
    seed_as_written(hub, run)
    written = datetime.fromisoformat(run.targets[2].finished_at or "")
    hub.set_secret(REPOS[2], "GH_PAT", "by hand", updated_at=written + offset)
    found = await outlook(hub, [run])
    assert kinds(found, REPOS[2]) == (["changed"] if fires else [])
    if fires:
        (warning,) = found.of(REPOS[2])
        assert f"after rotation {run.run_id} wrote it at {run.targets[2].finished_at}" in (
            warning.message
        )


async def test_changed_is_measured_from_the_newest_write_even_of_an_unfinished_run(
    hub: FakeHub,
) -> None:
    completed = rotation(expires=NOW + 365 * DAY)
    later = completed_run(
        REPOS[:1],
        NOW - DAY,
        expires_at=None,
        state="stopped",
        api_url="https://api.github.com",
    )
    seed_as_written(hub, completed)
    hub.set_secret(REPOS[0], "GH_PAT", "newer", updated_at=later.targets[0].finished_at)
    found = await outlook(hub, [later, completed])
    assert kinds(found, REPOS[0]) == []  # our own newer write, not someone else's
    assert found.safe_to_revoke is None  # the newest run is not completed


# -- shadowed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "selected", "shadowed"),
    [
        ("all", [], REPOS),
        ("private", [], REPOS),
        ("selected", [REPOS[1]], [REPOS[1]]),
        ("selected", [], []),
    ],
)
async def test_shadowed_fires_where_the_organisation_secret_reaches_an_own_secret(
    hub: FakeHub, visibility: str, selected: list[str], shadowed: list[str]
) -> None:
    for repo in REPOS:
        hub.set_secret(repo, "GH_PAT", "own", updated_at=NOW - DAY)
    hub.set_org_secret(
        "ccatobs",
        "GH_PAT",
        "org",
        visibility=visibility,  # type: ignore[arg-type]
        selected_repositories=selected,
    )
    found = await outlook(hub, [])
    assert [repo for repo in REPOS if kinds(found, repo) == ["shadowed"]] == shadowed
    assert all(kinds(found, repo) == [] for repo in REPOS if repo not in shadowed)


async def test_no_organisation_secret_shadows_nothing(hub: FakeHub) -> None:
    for repo in REPOS:
        hub.set_secret(repo, "GH_PAT", "own", updated_at=NOW - DAY)
    assert (await outlook(hub, [])).count == 0


# -- safe to revoke -------------------------------------------------------------------


async def test_safe_to_revoke_when_the_newest_run_wrote_everything_untouched(
    hub: FakeHub,
) -> None:
    run = rotation(expires=NOW + 365 * DAY)
    seed_as_written(hub, run)
    # At the edge of `changed`: still ours.
    written = datetime.fromisoformat(run.targets[1].finished_at or "")
    hub.set_secret(REPOS[1], "GH_PAT", "rotated", updated_at=written + CLOCK_SKEW)
    found = await outlook(hub, [run])
    assert found.count == 0
    assert found.safe_to_revoke is not None
    assert f"rotation {run.run_id}" in found.safe_to_revoke
    assert found.safe_to_revoke.endswith("safe to revoke the previous token")


async def test_safe_to_revoke_is_silent_when_a_repository_changed_or_missed(
    hub: FakeHub,
) -> None:
    run = rotation(expires=NOW + 365 * DAY)
    seed_as_written(hub, run)
    written = datetime.fromisoformat(run.targets[1].finished_at or "")
    hub.set_secret(REPOS[1], "GH_PAT", "by hand", updated_at=written + CLOCK_SKEW + SECOND)
    assert (await outlook(hub, [run])).safe_to_revoke is None
    seed_as_written(hub, run)
    hub.set_secret(REPOS[1], "GH_PAT", "old", updated_at=STARTED - CLOCK_SKEW - SECOND)
    assert (await outlook(hub, [run])).safe_to_revoke is None


async def test_safe_to_revoke_is_silent_unless_every_repository_holds_the_rotation(
    hub: FakeHub,
) -> None:
    run = rotation(expires=NOW + 365 * DAY)
    seed_as_written(hub, run)
    assert (await outlook(hub, [run])).safe_to_revoke is not None
    # A repository the run did not cover (the graph grew since).
    partial = completed_run(REPOS[:2], STARTED, expires_at=None, api_url="https://api.github.com")
    assert (await outlook(hub, [partial])).safe_to_revoke is None
    # A newer run that did not finish.
    unfinished = rotation(state="stopped")
    assert (await outlook(hub, [unfinished, run])).safe_to_revoke is None
    # A repository that gets the secret from the organisation, not from the rotation.
    hub.delete_secret(REPOS[2], "GH_PAT")
    hub.set_org_secret(
        "ccatobs", "GH_PAT", "org", visibility="selected", selected_repositories=[REPOS[2]]
    )
    assert (await outlook(hub, [run])).safe_to_revoke is None
    # Missing there altogether.
    hub.delete_org_secret("ccatobs", "GH_PAT")
    assert (await outlook(hub, [run])).safe_to_revoke is None
    # No journal at all: nothing is known of any rotation.
    seed_as_written(hub, run)
    assert (await outlook(hub, [])).safe_to_revoke is None


# -- which runs count -----------------------------------------------------------------


def test_only_runs_of_this_secret_organisation_and_api_count() -> None:
    run = rotation()
    assert relevant_runs([run], secret="gh_pat", org="CCATOBS", api_url=run.api_url + "/") == [run]
    assert relevant_runs([run], secret="OTHER", org="ccatobs", api_url=run.api_url) == []
    assert relevant_runs([run], secret="GH_PAT", org="elsewhere", api_url=run.api_url) == []
    assert (
        relevant_runs([run], secret="GH_PAT", org="ccatobs", api_url="https://ghe.example/api/v3")
        == []
    )
