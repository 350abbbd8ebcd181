"""Tests for `ccat.pat.rotation.engine`: `run_rotation(options)` (tests/support/rotation.py)
against the emulator over loopback.

The emulator is the witness: what it received (`hub.requests`, with start and finish
times) and the decrypted value it stored are compared with the journal on disk and
with the record the engine returns. Every test that rotates also checks that the new
token reached no file and no output (`assert_no_leak`, tests/pat/conftest.py).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import anyio
import pytest

from ccat.fakehub import FakeHub, Fault, LoggedRequest
from ccat.pat.errors import (
    CredentialRejectedError,
    InvalidNewTokenError,
)
from ccat.pat.journal import Journal, TargetRecord
from ccat.pat.rotation import Plan, RotationOutcome
from tests.support.fake_time import FakeTime
from tests.support.rotation import (
    FORBIDDEN,
    SECONDARY,
    SECRET,
    NoLeak,
    QuietListener,
    RotationCase,
    client_settings,
    current,
    holding,
    names,
    on_disk,
    put_repositories,
    puts,
    record,
    repository_of,
    rotate,
    secret_path,
    write_graph,
)

pytestmark = pytest.mark.anyio

NEW_LOGIN = "ccat-ci-bot"
EXPIRES_AT = "2027-02-01T00:00:00Z"  # the emulator sends "2027-02-01 00:00:00 UTC"


async def stopped_at(
    hub: FakeHub, graph: Path, journal: Path, token: str, failing: str
) -> RotationOutcome:
    """A rotation that stops at `failing` (403 on its write), one write at a time."""
    hub.add_fault(Fault("PUT", secret_path(failing), status=403, message=FORBIDDEN))
    outcome = await rotate(hub, graph, journal, token, concurrency=1)
    assert outcome.run is not None and outcome.run.state == "stopped"
    return outcome


def assert_nothing_written(hub: FakeHub, journal_path: Path) -> None:
    """No PUT reached the emulator and no journal was made."""
    assert puts(hub) == []
    assert on_disk(journal_path) is None


def journal_then_reset_log(hub: FakeHub, journal_path: Path) -> bytes:
    """The journal's bytes (there must be a journal), read before the emulator's log is
    cleared: what follows can then be shown to change neither."""
    before = on_disk(journal_path)
    assert before is not None
    hub.reset_log()
    return before


def reset_log_on_confirm(hub: FakeHub) -> Callable[[Plan], bool]:
    """A `confirm` that clears the emulator's log, so that it then holds only the writes."""

    def confirm(plan: Plan) -> bool:
        hub.reset_log()
        return True

    return confirm


# -- success ---------------------------------------------------------------------------


async def test_rotation_sets_every_repository_and_journals_before_reporting(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    case.hub.set_secret(
        case.targets[1], SECRET, "the-old-value"
    )  # updated (204); the rest created (201)
    reported: list[tuple[str, str, str]] = []

    class Lines(QuietListener):
        def write_finished(self, target: TargetRecord) -> None:
            # SPEC §4.6: by the time a write is reported, the journal on disk has it.
            on_disk = record(current(case.journal), target.repository)
            reported.append((target.repository, target.state, on_disk.state))

    outcome = await rotate(
        case.hub, case.graph, case.journal, case.token, concurrency=1, listener=Lines()
    )

    assert reported == [(t, "updated", "updated") for t in case.targets]
    assert holding(case.hub, case.token) == set(case.targets)
    writes = puts(case.hub)
    assert [repository_of(r) for r in writes] == case.targets
    assert {r.token_login for r in writes} == {case.hub.operator_login}
    assert [r.status for r in writes] == [201, 204, 201, 201, 201, 201, 201, 201]
    # The new token itself was checked with GET /user and proven able to read workflow
    # runs in every target (SPEC §4.2), and used for nothing else.
    with_new = sorted(
        (r.method, r.path, r.query, r.status)
        for r in case.hub.requests
        if r.token_login == NEW_LOGIN
    )
    runs = [("GET", f"/repos/{t}/actions/runs", "per_page=1", 200) for t in case.targets]
    assert with_new == sorted([("GET", "/user", "", 200), *runs])

    run = current(case.journal)
    assert run.state == "completed" and run.finished_at is not None
    assert (run.secret, run.org, run.api_url) == (SECRET, "ccatobs", case.hub.url)
    assert run.graph.path == str(case.graph)
    assert run.graph.sha256 == hashlib.sha256(on_disk(case.graph) or b"").hexdigest()
    assert run.operator == case.hub.operator_login
    assert (run.token.login, run.token.expires_at) == (NEW_LOGIN, EXPIRES_AT)
    assert run.token.fingerprint.matches(case.token)
    assert not run.token.fingerprint.matches(case.token + "0")
    assert run.token.kind == "classic"  # from the ghp_ prefix: only the kind is kept
    assert [t.repository for t in run.targets] == case.targets
    assert [t.http_status for t in run.targets] == [r.status for r in writes]
    for target in run.targets:
        assert target.state == "updated" and target.error is None
        assert target.started_at is not None and target.finished_at is not None
    assert outcome.run is not None and outcome.run.to_json() == run.to_json()
    assert outcome.failure is None and outcome.previous_unfinished is None
    assert_no_leak(repr(outcome))


# -- stop on first failure -------------------------------------------------------------


# The middle (3) is tests/cli/test_cli_rotate.py's stopped rotation, with its report.
@pytest.mark.parametrize("failing", [0, 7], ids=["first", "last"])
async def test_a_permanent_failure_stops_the_rotation_and_resume_finishes_it(
    case: RotationCase, assert_no_leak: NoLeak, failing: int
) -> None:
    bad = case.targets[failing]
    outcome = await stopped_at(case.hub, case.graph, case.journal, case.token, bad)

    run = current(case.journal)
    assert run.state == "stopped"
    # The exact "already updated" list: journal == emulator == returned record.
    assert set(run.updated()) == holding(case.hub, case.token) == set(case.targets[:failing])
    assert outcome.run is not None and outcome.run.updated() == run.updated()
    failed = record(run, bad)
    assert (failed.state, failed.http_status, failed.error) == ("failed", 403, FORBIDDEN)
    assert failed.finished_at is not None
    assert outcome.failure is not None and outcome.failure.record.repository == bad
    assert outcome.failure.hint is not None and "permission" in outcome.failure.hint
    for later in case.targets[failing + 1 :]:
        assert record(run, later).to_json() == TargetRecord.pending(later).to_json()  # untouched
    assert put_repositories(case.hub) == case.targets[: failing + 1]

    case.hub.reset_log()
    resumed = await rotate(
        case.hub, case.graph, case.journal, case.token, resume=True, concurrency=1
    )

    assert put_repositories(case.hub) == case.targets[failing:]
    assert holding(case.hub, case.token) == set(case.targets)
    document = Journal(case.journal).load()
    assert document.current is not None and document.history == []
    assert document.current.run_id == run.run_id
    assert document.current.state == "completed"
    assert document.current.updated() == case.targets
    assert [p.action for p in resumed.plan.items] == ["skip"] * failing + ["set"] * (8 - failing)
    assert_no_leak(repr(outcome), repr(resumed))


async def test_after_a_failure_writes_in_flight_finish_and_no_other_starts(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    # Four writes start together; the second fails at once (403) while the other three
    # are retried (a 502 first), so they are still in flight when the failure frees a
    # concurrency slot: that slot must stay unused.
    case.hub.latency = 0.25
    bad, in_flight = case.targets[1], [case.targets[0], case.targets[2], case.targets[3]]
    for repository in in_flight:
        case.hub.add_fault(Fault("PUT", secret_path(repository), status=502, message="Bad Gateway"))
    case.hub.add_fault(Fault("PUT", secret_path(bad), status=403, message=FORBIDDEN))

    outcome = await rotate(case.hub, case.graph, case.journal, case.token, concurrency=4)

    writes = puts(case.hub)
    failure = next(r for r in writes if r.status == 403)
    assert repository_of(failure) == bad
    first_attempts: dict[str, LoggedRequest] = {}
    for request in writes:
        first_attempts.setdefault(repository_of(request), request)
    assert set(first_attempts) == set(case.targets[:4])
    assert all(r.started < failure.finished for r in first_attempts.values())
    retries = [r for r in writes if r is not first_attempts[repository_of(r)]]
    assert sorted((repository_of(r), r.status) for r in retries) == sorted(
        (t, 201) for t in in_flight
    )
    assert case.hub.max_in_flight <= 4

    run = current(case.journal)
    assert run.state == "stopped"
    assert set(run.updated()) == holding(case.hub, case.token) == set(in_flight)
    assert outcome.run is not None and outcome.run.updated() == run.updated()
    assert (record(run, bad).state, record(run, bad).http_status) == ("failed", 403)
    for later in case.targets[4:]:
        assert record(run, later).state == "pending" and record(run, later).started_at is None
    assert_no_leak(repr(outcome))


# -- pacing and concurrency ------------------------------------------------------------


async def test_writes_start_in_target_order_the_interval_apart(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    graph = write_graph(case.tmp_path / "small-graph.yml", names(case.targets[1:5]))
    clock = FakeTime()  # the pacing sleeps in its time: 30 s intervals cost nothing
    starts: list[tuple[str, float]] = []

    class Starts(QuietListener):
        def write_started(self, repository: str, number: int, total: int) -> None:
            starts.append((repository, clock.now))

    # Default concurrency (16): only the interval keeps the writes apart.
    await rotate(
        case.hub, graph, case.journal, case.token, clock=clock, write_interval=30, listener=Starts()
    )

    assert [repository for repository, _ in starts] == case.targets[:5]
    # Each start the interval after the one before: not sooner, and no later either.
    assert [b - a for (_, a), (_, b) in pairwise(starts)] == [30.0] * 4
    assert sorted(put_repositories(case.hub)) == sorted(case.targets[:5])
    assert holding(case.hub, case.token) == set(case.targets[:5])
    assert_no_leak()


async def test_overlapping_writes_never_exceed_the_concurrency(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    case.hub.latency = 0.1
    await rotate(
        case.hub,
        case.graph,
        case.journal,
        case.token,
        concurrency=3,
        confirm=reset_log_on_confirm(case.hub),
    )

    assert case.hub.max_in_flight == 3
    assert sorted(put_repositories(case.hub)) == sorted(case.targets)
    assert holding(case.hub, case.token) == set(case.targets)
    assert current(case.journal).state == "completed"
    assert_no_leak()


# -- retries and rate limits -----------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "error"),
    [("status", 502, "Server Error"), ("drop", None, "closed the connection without answering")],
    ids=["502", "dropped"],
)
async def test_a_transient_failure_outlasting_the_retries_stops_the_rotation(
    case: RotationCase, assert_no_leak: NoLeak, action: Any, status: int | None, error: str
) -> None:
    bad = case.targets[2]
    case.hub.add_fault(Fault("PUT", secret_path(bad), status=502, action=action, count=4))

    await rotate(case.hub, case.graph, case.journal, case.token, concurrency=1)

    assert put_repositories(case.hub) == [
        case.targets[0],
        case.targets[1],
        bad,
        bad,
        bad,
        bad,
    ]  # 1 + 3 retries
    run = current(case.journal)
    failed = record(run, bad)
    assert (run.state, failed.state, failed.http_status) == ("stopped", "failed", status)
    assert failed.error is not None and error in failed.error
    assert set(run.updated()) == holding(case.hub, case.token) == set(case.targets[:2])
    assert_no_leak()


async def test_a_rate_limit_longer_than_max_wait_fails_the_write(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    bad = case.targets[1]
    case.hub.add_fault(
        Fault("PUT", secret_path(bad), status=429, message=SECONDARY, retry_after=3600)
    )

    await rotate(
        case.hub,
        case.graph,
        case.journal,
        case.token,
        client=client_settings(case.hub, max_wait=5),
        concurrency=1,
    )

    assert put_repositories(case.hub) == [case.targets[0], bad]
    failed = record(current(case.journal), bad)
    assert (failed.state, failed.http_status) == ("failed", 429)
    assert failed.error is not None and "resets at" in failed.error and "max-wait" in failed.error
    assert holding(case.hub, case.token) == {case.targets[0]}
    assert_no_leak()


# -- refusals before any write ---------------------------------------------------------


async def test_an_empty_token_is_refused_without_a_request(case: RotationCase) -> None:
    with pytest.raises(InvalidNewTokenError):
        await rotate(case.hub, case.graph, case.journal, "")
    assert case.hub.requests == []
    assert on_disk(case.journal) is None


async def test_a_rejected_operator_credential_fails_preflight(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    # Issue 15.3: said once (exit 4), not as a 401 for every repository's key.
    with pytest.raises(CredentialRejectedError) as caught:
        await rotate(
            case.hub,
            case.graph,
            case.journal,
            case.token,
            client=client_settings(case.hub, token="not-a-known-token"),
        )

    assert caught.value.exit_code == 4
    assert "GitHub rejected the operator credential" in caught.value.message
    assert "HTTP 401" in caught.value.message and "nothing was written" in caught.value.message
    assert not any(target in caught.value.message for target in case.targets)
    assert_nothing_written(case.hub, case.journal)
    assert_no_leak(str(caught.value))


async def test_a_declined_plan_writes_nothing(case: RotationCase) -> None:
    asked: list[list[str]] = []

    def decline(plan: Plan) -> bool:
        asked.append([p.repository for p in plan.items])
        return False

    outcome = await rotate(case.hub, case.graph, case.journal, case.token, confirm=decline)

    assert asked == [case.targets]
    assert outcome.declined and outcome.run is None
    assert_nothing_written(case.hub, case.journal)


# -- resume ----------------------------------------------------------------------------


async def test_resume_after_the_graph_changed_the_case_of_a_name(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    await stopped_at(case.hub, case.graph, case.journal, case.token, case.targets[3])
    # GitHub ignores the case of repository names; so must the resumed run.
    write_graph(case.graph, [name.upper() for name in names(case.targets[1:])])
    case.hub.reset_log()

    await rotate(case.hub, case.graph, case.journal, case.token, resume=True, concurrency=1)

    assert [r.lower() for r in put_repositories(case.hub)] == case.targets[3:]
    assert holding(case.hub, case.token) == set(case.targets)
    assert current(case.journal).state == "completed"
    assert_no_leak()


async def test_resume_includes_targets_added_to_the_graph_since(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    await stopped_at(case.hub, case.graph, case.journal, case.token, case.targets[3])
    case.hub.add_repository("ccatobs/late-addition")
    write_graph(case.graph, [*names(case.targets[1:]), "late-addition"])
    case.hub.reset_log()

    await rotate(case.hub, case.graph, case.journal, case.token, resume=True, concurrency=1)

    assert put_repositories(case.hub) == [*case.targets[3:], "ccatobs/late-addition"]
    assert holding(case.hub, case.token) == {*case.targets, "ccatobs/late-addition"}
    run = current(case.journal)
    assert run.state == "completed"
    assert run.updated() == [*case.targets, "ccatobs/late-addition"]
    assert_no_leak()


async def test_resume_drops_unfinished_targets_that_left_the_graph(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    await stopped_at(case.hub, case.graph, case.journal, case.token, case.targets[3])
    # targets[1] was updated, targets[5] was not: both leave the graph.
    write_graph(
        case.graph,
        names([t for t in case.targets[1:] if t not in (case.targets[1], case.targets[5])]),
    )
    case.hub.reset_log()

    outcome = await rotate(
        case.hub, case.graph, case.journal, case.token, resume=True, concurrency=1
    )

    assert outcome.dropped == (case.targets[5],)
    assert put_repositories(case.hub) == [t for t in case.targets[3:] if t != case.targets[5]]
    run = current(case.journal)
    assert run.state == "completed"
    # The graph's order; targets[1]'s fact is kept, after the graph's targets.
    assert run.updated() == [
        case.targets[0],
        *[t for t in case.targets[2:] if t != case.targets[5]],
        case.targets[1],
    ]
    assert_no_leak(repr(outcome))


async def test_a_cancelled_rotation_leaves_a_journal_that_resume_finishes(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    # The fourth write never gets an answer; the rotation is cancelled meanwhile (^C),
    # a moment after that write started (not after a fixed time: on a loaded machine
    # the preflight alone may take longer than any fixed time).
    case.hub.add_fault(Fault("PUT", secret_path(case.targets[3]), action="hang"))

    class CancelDuringTheFourthWrite(QuietListener):
        def write_started(self, repository: str, number: int, total: int) -> None:
            if repository == case.targets[3]:
                scope.deadline = anyio.current_time() + 0.3

    with anyio.CancelScope() as scope:
        await rotate(
            case.hub,
            case.graph,
            case.journal,
            case.token,
            concurrency=1,
            listener=CancelDuringTheFourthWrite(),
        )
    assert scope.cancelled_caught

    run = current(case.journal)
    assert run.state == "interrupted" and run.finished_at is not None
    assert run.updated() == case.targets[:3]
    assert set(run.updated()) <= holding(case.hub, case.token)
    in_flight = record(run, case.targets[3])
    assert in_flight.state == "pending"
    assert in_flight.started_at is not None and in_flight.finished_at is None
    # The abandoned request is logged only once the emulator sees the client gone.
    resumed_at = time.monotonic()

    await rotate(case.hub, case.graph, case.journal, case.token, resume=True, concurrency=1)

    assert put_repositories(case.hub, resumed_at) == case.targets[3:]  # the one in flight is redone
    assert holding(case.hub, case.token) == set(case.targets)
    assert current(case.journal).state == "completed"
    assert_no_leak()


async def test_a_journal_that_cannot_be_written_stops_the_rotation_and_says_so(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    class BreakTheDisk(QuietListener):
        """After the first reported write, the journal's folder becomes a plain file."""

        def write_finished(self, record: TargetRecord) -> None:
            folder = case.journal.parent
            if folder.is_dir():
                folder.rename(folder.with_name("moved-away"))
                folder.write_text("not a directory")

    # Issue 14.3: after the first write, the outcome (exact, from memory) says it; the
    # command reports the lists and exits 1 (round one raised, and the CLI said exit 2).
    outcome = await rotate(
        case.hub,
        case.graph,
        case.journal,
        case.token,
        concurrency=1,
        listener=BreakTheDisk(),
    )
    assert outcome.journal_error is not None
    assert "cannot write the journal" in outcome.journal_error
    assert not outcome.completed
    assert outcome.run is not None and outcome.run.updated() == case.targets[:1]
    # The write after the first could not be journaled before starting: it was not sent.
    assert put_repositories(case.hub) == case.targets[:1]
    moved = current(case.journal.parent.with_name("moved-away") / case.journal.name)
    assert moved.updated() == case.targets[:1]
    assert holding(case.hub, case.token) == set(case.targets[:1])
    assert_no_leak(outcome.journal_error)


async def test_both_tokens_rejected_says_both(case: RotationCase) -> None:
    # Issue 15.3: the operator credential's rejection (exit 4) says the new token's too.
    with pytest.raises(CredentialRejectedError) as caught:
        await rotate(
            case.hub,
            case.graph,
            case.journal,
            "ghp_unknown0000",
            client=client_settings(case.hub, token="nope"),
        )
    assert "GitHub rejected the operator credential" in caught.value.message
    assert "so was the new token" in caught.value.message
    assert caught.value.hint is not None and "gh auth login" in caught.value.hint
    assert_nothing_written(case.hub, case.journal)
