"""Tests for `ccat.pat.rotation.engine`: `run_rotation(options)` (tests/rotation_support.py)
against the emulator over loopback.

The emulator is the witness: what it received (`hub.requests`, with start and finish
times) and the decrypted value it stored are compared with the journal on disk and
with the record the engine returns. Every test that rotates also checks that the new
token reached no file and no output (`assert_no_leak`, tests/pat/conftest.py).
"""

from __future__ import annotations

import hashlib
import os
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
    JournalLockedError,
    NothingToResumeError,
    PreflightError,
    TokenMismatchError,
)
from ccat.pat.github import ClientListener, Wait, WaitReason, open_client
from ccat.pat.graph import load_graph
from ccat.pat.journal import Journal, TargetRecord
from ccat.pat.rotation import Plan, RotateOptions, RotationOutcome
from ccat.pat.settings import ClientSettings
from tests.rotation_support import (
    FORBIDDEN,
    SECONDARY,
    SECRET,
    NoLeak,
    current,
    holding,
    key_path,
    names,
    on_disk,
    put_repositories,
    puts,
    record,
    repository_of,
    run_rotation,
    secret_path,
    write_graph,
)

pytestmark = pytest.mark.anyio

NEW_LOGIN = "ccat-ci-bot"
EXPIRES_AT = "2027-02-01T00:00:00Z"  # the emulator sends "2027-02-01 00:00:00 UTC"


async def rotate(
    hub: FakeHub,
    graph: Path,
    journal: Path,
    token: str,
    *,
    operator_token: str | None = None,
    max_wait: float = 30.0,
    client_listener: ClientListener | None = None,
    confirm: Callable[[Plan], bool] | None = None,
    **fields: Any,
) -> RotationOutcome:
    """Run one rotation through a real client; `fields` go to `RotateOptions`."""
    settings = ClientSettings(
        api_url=hub.url,
        token=operator_token or hub.operator_token,
        timeout=10.0,
        max_wait=max_wait,
        backoff=0.01,
        budget=0,
    )
    options = RotateOptions(
        connect=lambda: open_client(settings, listener=client_listener),
        journal=Journal(journal),
        graph=load_graph(graph),
        secret=SECRET,
        api_url=hub.url,
        operator_token=settings.token,
        new_token=token,
        **fields,
    )
    return await run_rotation(options, confirm)


async def stopped_at(
    hub: FakeHub, graph: Path, journal: Path, token: str, failing: str
) -> RotationOutcome:
    """A rotation that stops at `failing` (403 on its write), one write at a time."""
    hub.add_fault(Fault("PUT", secret_path(failing), status=403, message=FORBIDDEN))
    outcome = await rotate(hub, graph, journal, token, write_interval=0, concurrency=1)
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
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    hub.set_secret(targets[1], SECRET, "the-old-value")  # updated (204); the rest created (201)
    reported: list[tuple[str, str, str]] = []

    class Lines:
        def preflight_checked(self, done: int, total: int) -> None:
            pass

        def write_started(self, repository: str, number: int, total: int) -> None:
            pass

        def write_finished(self, target: TargetRecord) -> None:
            # SPEC §4.6: by the time a write is reported, the journal on disk has it.
            on_disk = record(current(journal_path), target.repository)
            reported.append((target.repository, target.state, on_disk.state))

    outcome = await rotate(
        hub, graph_file, journal_path, new_token, write_interval=0, concurrency=1, listener=Lines()
    )

    assert reported == [(t, "updated", "updated") for t in targets]
    assert holding(hub, new_token) == set(targets)
    writes = puts(hub)
    assert [repository_of(r) for r in writes] == targets
    assert {r.token_login for r in writes} == {hub.operator_login}
    assert [r.status for r in writes] == [201, 204, 201, 201, 201, 201, 201, 201]
    # The new token itself was checked with GET /user and proven able to read workflow
    # runs in every target (SPEC §4.2), and used for nothing else.
    with_new = sorted(
        (r.method, r.path, r.query, r.status) for r in hub.requests if r.token_login == NEW_LOGIN
    )
    runs = [("GET", f"/repos/{t}/actions/runs", "per_page=1", 200) for t in targets]
    assert with_new == sorted([("GET", "/user", "", 200), *runs])

    run = current(journal_path)
    assert run.state == "completed" and run.finished_at is not None
    assert (run.secret, run.org, run.api_url) == (SECRET, "ccatobs", hub.url)
    assert run.graph.path == str(graph_file)
    assert run.graph.sha256 == hashlib.sha256(on_disk(graph_file) or b"").hexdigest()
    assert run.operator == hub.operator_login
    assert (run.token.login, run.token.expires_at) == (NEW_LOGIN, EXPIRES_AT)
    assert run.token.fingerprint.matches(new_token)
    assert not run.token.fingerprint.matches(new_token + "0")
    assert run.token.kind == "classic"  # from the ghp_ prefix: only the kind is kept
    assert [t.repository for t in run.targets] == targets
    assert [t.http_status for t in run.targets] == [r.status for r in writes]
    for target in run.targets:
        assert target.state == "updated" and target.error is None
        assert target.started_at is not None and target.finished_at is not None
    assert outcome.run is not None and outcome.run.to_json() == run.to_json()
    assert outcome.failure is None and outcome.previous_unfinished is None
    assert_no_leak(repr(outcome))


# -- stop on first failure -------------------------------------------------------------


@pytest.mark.parametrize("failing", [0, 3, 7], ids=["first", "middle", "last"])
async def test_a_permanent_failure_stops_the_rotation_and_resume_finishes_it(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
    failing: int,
) -> None:
    bad = targets[failing]
    outcome = await stopped_at(hub, graph_file, journal_path, new_token, bad)

    run = current(journal_path)
    assert run.state == "stopped"
    # The exact "already updated" list: journal == emulator == returned record.
    assert set(run.updated()) == holding(hub, new_token) == set(targets[:failing])
    assert outcome.run is not None and outcome.run.updated() == run.updated()
    failed = record(run, bad)
    assert (failed.state, failed.http_status, failed.error) == ("failed", 403, FORBIDDEN)
    assert failed.finished_at is not None
    assert outcome.failure is not None and outcome.failure.record.repository == bad
    assert outcome.failure.hint is not None and "permission" in outcome.failure.hint
    for later in targets[failing + 1 :]:
        assert record(run, later).to_json() == TargetRecord.pending(later).to_json()  # untouched
    assert put_repositories(hub) == targets[: failing + 1]

    hub.reset_log()
    resumed = await rotate(
        hub, graph_file, journal_path, new_token, resume=True, write_interval=0, concurrency=1
    )

    assert put_repositories(hub) == targets[failing:]
    assert holding(hub, new_token) == set(targets)
    document = Journal(journal_path).load()
    assert document.current is not None and document.history == []
    assert document.current.run_id == run.run_id
    assert document.current.state == "completed"
    assert document.current.updated() == targets
    assert [p.action for p in resumed.plan.items] == ["skip"] * failing + ["set"] * (8 - failing)
    assert_no_leak(repr(outcome), repr(resumed))


async def test_after_a_failure_writes_in_flight_finish_and_no_other_starts(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    # Four writes start together; the second fails at once (403) while the other three
    # are retried (a 502 first), so they are still in flight when the failure frees a
    # concurrency slot: that slot must stay unused.
    hub.latency = 0.25
    bad, in_flight = targets[1], [targets[0], targets[2], targets[3]]
    for repository in in_flight:
        hub.add_fault(Fault("PUT", secret_path(repository), status=502, message="Bad Gateway"))
    hub.add_fault(Fault("PUT", secret_path(bad), status=403, message=FORBIDDEN))

    outcome = await rotate(
        hub, graph_file, journal_path, new_token, write_interval=0, concurrency=4
    )

    writes = puts(hub)
    failure = next(r for r in writes if r.status == 403)
    assert repository_of(failure) == bad
    first_attempts: dict[str, LoggedRequest] = {}
    for request in writes:
        first_attempts.setdefault(repository_of(request), request)
    assert set(first_attempts) == set(targets[:4])
    assert all(r.started < failure.finished for r in first_attempts.values())
    retries = [r for r in writes if r is not first_attempts[repository_of(r)]]
    assert sorted((repository_of(r), r.status) for r in retries) == sorted(
        (t, 201) for t in in_flight
    )
    assert hub.max_in_flight <= 4

    run = current(journal_path)
    assert run.state == "stopped"
    assert set(run.updated()) == holding(hub, new_token) == set(in_flight)
    assert outcome.run is not None and outcome.run.updated() == run.updated()
    assert (record(run, bad).state, record(run, bad).http_status) == ("failed", 403)
    for later in targets[4:]:
        assert record(run, later).state == "pending" and record(run, later).started_at is None
    assert_no_leak(repr(outcome))


# -- pacing and concurrency ------------------------------------------------------------


async def test_writes_start_in_target_order_at_least_the_interval_apart(
    hub: FakeHub,
    tmp_path: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    graph = write_graph(tmp_path / "small-graph.yml", names(targets[1:5]))
    # Default concurrency (16): only the interval keeps the writes apart.
    await rotate(
        hub, graph, journal_path, new_token, write_interval=0.2, confirm=reset_log_on_confirm(hub)
    )

    writes = puts(hub)
    assert [repository_of(r) for r in writes] == targets[:5]
    assert min(b.started - a.started for a, b in pairwise(writes)) >= 0.15
    assert hub.max_in_flight == 1
    assert holding(hub, new_token) == set(targets[:5])
    assert_no_leak()


async def test_overlapping_writes_never_exceed_the_concurrency(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    hub.latency = 0.1
    await rotate(
        hub,
        graph_file,
        journal_path,
        new_token,
        write_interval=0,
        concurrency=3,
        confirm=reset_log_on_confirm(hub),
    )

    assert hub.max_in_flight == 3
    assert sorted(put_repositories(hub)) == sorted(targets)
    assert holding(hub, new_token) == set(targets)
    assert current(journal_path).state == "completed"
    assert_no_leak()


# -- retries and rate limits -----------------------------------------------------------


async def test_transient_failures_are_retried_and_a_rate_limit_is_waited_out(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    bad_gateway, dropped, limited = targets[1], targets[2], targets[3]
    hub.add_fault(Fault("PUT", secret_path(bad_gateway), status=502, message="Server Error"))
    hub.add_fault(Fault("PUT", secret_path(dropped), action="drop"))
    hub.add_fault(Fault("PUT", secret_path(limited), status=429, message=SECONDARY, retry_after=1))
    waits: list[tuple[str | None, float, WaitReason]] = []

    class Notices:
        def request_done(
            self, method: str, url: str, status: int | None, elapsed: float, attempt: int
        ) -> None:
            pass

        def waiting(self, wait: Wait) -> None:
            waits.append((wait.repository, wait.seconds, wait.reason))

    outcome = await rotate(
        hub,
        graph_file,
        journal_path,
        new_token,
        write_interval=0,
        concurrency=1,
        client_listener=Notices(),
    )

    statuses: dict[str, list[int | None]] = {}
    for request in puts(hub):
        statuses.setdefault(repository_of(request), []).append(request.status)
    assert statuses == {
        **{t: [201] for t in targets},
        bad_gateway: [502, 201],
        dropped: [None, 201],
        limited: [429, 201],
    }
    refused, accepted = [r for r in puts(hub) if repository_of(r) == limited]
    assert accepted.started - refused.finished >= 0.9  # Retry-After: 1 was honoured
    assert (limited, 1.0, WaitReason.RATE_LIMIT) in waits
    run = current(journal_path)
    assert run.state == "completed"
    assert all(t.state == "updated" and t.http_status == 201 for t in run.targets)
    assert holding(hub, new_token) == set(targets)
    assert_no_leak(repr(outcome), repr(waits))


@pytest.mark.parametrize(
    ("action", "status", "error"),
    [("status", 502, "Server Error"), ("drop", None, "closed the connection without answering")],
    ids=["502", "dropped"],
)
async def test_a_transient_failure_outlasting_the_retries_stops_the_rotation(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
    action: Any,
    status: int | None,
    error: str,
) -> None:
    bad = targets[2]
    hub.add_fault(Fault("PUT", secret_path(bad), status=502, action=action, count=4))

    await rotate(hub, graph_file, journal_path, new_token, write_interval=0, concurrency=1)

    assert put_repositories(hub) == [targets[0], targets[1], bad, bad, bad, bad]  # 1 + 3 retries
    run = current(journal_path)
    failed = record(run, bad)
    assert (run.state, failed.state, failed.http_status) == ("stopped", "failed", status)
    assert failed.error is not None and error in failed.error
    assert set(run.updated()) == holding(hub, new_token) == set(targets[:2])
    assert_no_leak()


async def test_a_rate_limit_longer_than_max_wait_fails_the_write(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    bad = targets[1]
    hub.add_fault(Fault("PUT", secret_path(bad), status=429, message=SECONDARY, retry_after=3600))

    await rotate(
        hub, graph_file, journal_path, new_token, max_wait=5, write_interval=0, concurrency=1
    )

    assert put_repositories(hub) == [targets[0], bad]
    failed = record(current(journal_path), bad)
    assert (failed.state, failed.http_status) == ("failed", 429)
    assert failed.error is not None and "resets at" in failed.error and "max-wait" in failed.error
    assert holding(hub, new_token) == {targets[0]}
    assert_no_leak()


# -- refusals before any write ---------------------------------------------------------


async def test_an_invalid_new_token_is_refused_before_any_write(
    fakehub: FakeHub,
    tmp_path: Path,
    journal_path: Path,
    new_token: str,
    assert_no_leak: NoLeak,
) -> None:
    # The shared emulator of tests/conftest.py does not know this token.
    graph = write_graph(tmp_path / "graph.yml", names(fakehub.repositories))

    with pytest.raises(InvalidNewTokenError) as caught:
        await rotate(fakehub, graph, journal_path, new_token)

    assert caught.value.exit_code == 2
    assert "not valid" in caught.value.message
    assert puts(fakehub) == []
    user_checks = [(r.status, r.token_login) for r in fakehub.requests if r.path == "/user"]
    assert (401, None) in user_checks
    assert on_disk(journal_path) is None
    assert_no_leak(str(caught.value), repr(caught.value), caught.value.hint or "")


async def test_an_empty_token_is_refused_without_a_request(
    hub: FakeHub, graph_file: Path, journal_path: Path
) -> None:
    with pytest.raises(InvalidNewTokenError):
        await rotate(hub, graph_file, journal_path, "")
    assert hub.requests == []
    assert on_disk(journal_path) is None


async def test_a_preflight_failure_lists_every_failing_repository_and_writes_nothing(
    hub: FakeHub,
    tmp_path: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    graph = write_graph(tmp_path / "graph.yml", [*names(targets[1:]), "not-on-github"])
    hub.add_fault(Fault("GET", key_path(targets[2]), status=404, message="Not Found"))
    hub.add_fault(Fault("GET", key_path(targets[5]), status=403, message=FORBIDDEN))

    with pytest.raises(PreflightError) as caught:
        await rotate(hub, graph, journal_path, new_token)

    failures = {f.subject: f.reason for f in caught.value.failures}
    assert list(failures) == [targets[2], targets[5], "ccatobs/not-on-github"]
    assert "Not Found" in failures[targets[2]] and FORBIDDEN in failures[targets[5]]
    # A repository GitHub does not know fails both the key and the new token's reach.
    missing = [f.reason for f in caught.value.failures if f.subject == "ccatobs/not-on-github"]
    assert sorted(missing) == [
        "public key: HTTP 404: Not Found",
        "the new token cannot read Actions in this repository (HTTP 404: Not Found)",
    ]
    assert caught.value.exit_code == 1
    assert_nothing_written(hub, journal_path)
    assert_no_leak(str(caught.value), repr(caught.value.failures))


async def test_a_rejected_operator_credential_fails_preflight(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    # Issue 15.3: said once (exit 4), not as a 401 for every repository's key.
    with pytest.raises(CredentialRejectedError) as caught:
        await rotate(hub, graph_file, journal_path, new_token, operator_token="not-a-known-token")

    assert caught.value.exit_code == 4
    assert "GitHub rejected the operator credential" in caught.value.message
    assert "HTTP 401" in caught.value.message and "nothing was written" in caught.value.message
    assert not any(target in caught.value.message for target in targets)
    assert_nothing_written(hub, journal_path)
    assert_no_leak(str(caught.value))


async def test_a_dry_run_preflights_and_writes_nothing(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    outcome = await rotate(hub, graph_file, journal_path, new_token, dry_run=True)

    assert outcome.dry_run and outcome.run is None
    assert [(p.repository, p.action) for p in outcome.plan.items] == [(t, "set") for t in targets]
    preflight = outcome.plan.preflight
    assert preflight.new_token is not None
    assert (preflight.operator, preflight.new_token.login) == (hub.operator_login, NEW_LOGIN)
    assert preflight.new_token.expires_at == EXPIRES_AT
    assert preflight.new_token.kind == "classic"  # the test token starts with ghp_
    assert set(preflight.keys) == set(targets)
    assert {r.method for r in hub.requests} == {"GET"}
    assert on_disk(journal_path) is None
    assert holding(hub, new_token) == set()
    assert_no_leak(repr(outcome))


async def test_a_declined_plan_writes_nothing(
    hub: FakeHub, graph_file: Path, journal_path: Path, new_token: str, targets: list[str]
) -> None:
    asked: list[list[str]] = []

    def decline(plan: Plan) -> bool:
        asked.append([p.repository for p in plan.items])
        return False

    outcome = await rotate(hub, graph_file, journal_path, new_token, confirm=decline)

    assert asked == [targets]
    assert outcome.declined and outcome.run is None
    assert_nothing_written(hub, journal_path)


async def test_a_dry_run_of_a_resume_shows_the_skips_and_changes_nothing(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    await stopped_at(hub, graph_file, journal_path, new_token, targets[3])
    before = journal_then_reset_log(hub, journal_path)

    outcome = await rotate(hub, graph_file, journal_path, new_token, dry_run=True, resume=True)

    assert [p.action for p in outcome.plan.items] == ["skip"] * 3 + ["set"] * 5
    assert puts(hub) == []
    assert on_disk(journal_path) == before
    assert_no_leak(repr(outcome))


async def test_a_rotation_is_refused_while_another_holds_the_lock(
    hub: FakeHub, graph_file: Path, journal_path: Path, new_token: str
) -> None:
    with Journal(journal_path).lock(), pytest.raises(JournalLockedError) as caught:
        await rotate(hub, graph_file, journal_path, new_token)

    assert caught.value.exit_code == 2
    assert f"pid {os.getpid()}" in caught.value.message
    assert hub.requests == []
    assert on_disk(journal_path) is None


# -- resume ----------------------------------------------------------------------------


async def test_resume_with_another_token_is_refused_without_a_request(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    await stopped_at(hub, graph_file, journal_path, new_token, targets[2])
    before = journal_then_reset_log(hub, journal_path)

    with pytest.raises(TokenMismatchError) as caught:
        await rotate(hub, graph_file, journal_path, new_token[:-1] + "x", resume=True)

    assert caught.value.exit_code == 2
    assert hub.requests == []
    assert on_disk(journal_path) == before
    assert_no_leak(str(caught.value))


async def test_resume_without_an_unfinished_run_is_refused(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    assert_no_leak: NoLeak,
) -> None:
    with pytest.raises(NothingToResumeError) as no_journal:
        await rotate(hub, graph_file, journal_path, new_token, resume=True)
    assert no_journal.value.exit_code == 2
    assert hub.requests == []
    assert on_disk(journal_path) is None

    await rotate(hub, graph_file, journal_path, new_token, write_interval=0)
    before = journal_then_reset_log(hub, journal_path)
    with pytest.raises(NothingToResumeError):
        await rotate(hub, graph_file, journal_path, new_token, resume=True)
    assert hub.requests == []
    assert on_disk(journal_path) == before
    assert_no_leak()


async def test_resume_after_the_graph_changed_the_case_of_a_name(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    await stopped_at(hub, graph_file, journal_path, new_token, targets[3])
    # GitHub ignores the case of repository names; so must the resumed run.
    write_graph(graph_file, [name.upper() for name in names(targets[1:])])
    hub.reset_log()

    await rotate(
        hub, graph_file, journal_path, new_token, resume=True, write_interval=0, concurrency=1
    )

    assert [r.lower() for r in put_repositories(hub)] == targets[3:]
    assert holding(hub, new_token) == set(targets)
    assert current(journal_path).state == "completed"
    assert_no_leak()


async def test_resume_includes_targets_added_to_the_graph_since(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    await stopped_at(hub, graph_file, journal_path, new_token, targets[3])
    hub.add_repository("ccatobs/late-addition")
    write_graph(graph_file, [*names(targets[1:]), "late-addition"])
    hub.reset_log()

    await rotate(
        hub, graph_file, journal_path, new_token, resume=True, write_interval=0, concurrency=1
    )

    assert put_repositories(hub) == [*targets[3:], "ccatobs/late-addition"]
    assert holding(hub, new_token) == {*targets, "ccatobs/late-addition"}
    run = current(journal_path)
    assert run.state == "completed"
    assert run.updated() == [*targets, "ccatobs/late-addition"]
    assert_no_leak()


async def test_resume_drops_unfinished_targets_that_left_the_graph(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    await stopped_at(hub, graph_file, journal_path, new_token, targets[3])
    # targets[1] was updated, targets[5] was not: both leave the graph.
    write_graph(graph_file, names([t for t in targets[1:] if t not in (targets[1], targets[5])]))
    hub.reset_log()

    outcome = await rotate(
        hub, graph_file, journal_path, new_token, resume=True, write_interval=0, concurrency=1
    )

    assert outcome.dropped == (targets[5],)
    assert put_repositories(hub) == [t for t in targets[3:] if t != targets[5]]
    run = current(journal_path)
    assert run.state == "completed"
    # The graph's order; targets[1]'s fact is kept, after the graph's targets.
    assert run.updated() == [
        targets[0],
        *[t for t in targets[2:] if t != targets[5]],
        targets[1],
    ]
    assert_no_leak(repr(outcome))


async def test_a_new_rotation_after_a_stopped_one_keeps_it_in_the_history(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    stopped = await stopped_at(hub, graph_file, journal_path, new_token, targets[2])
    assert stopped.run is not None
    earlier = stopped.run.to_json()
    hub.reset_log()

    outcome = await rotate(hub, graph_file, journal_path, new_token, write_interval=0)

    assert outcome.previous_unfinished is not None
    assert outcome.previous_unfinished.run_id == earlier["run_id"]
    document = Journal(journal_path).load()
    assert [run.to_json() for run in document.history] == [earlier]
    assert document.current is not None and document.current.run_id != earlier["run_id"]
    assert document.current.state == "completed"
    assert sorted(put_repositories(hub)) == sorted(targets)  # a new run sets every target
    assert_no_leak(repr(outcome))


async def test_a_cancelled_rotation_leaves_a_journal_that_resume_finishes(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    # The fourth write never gets an answer; the rotation is cancelled meanwhile (^C),
    # a moment after that write started (not after a fixed time: on a loaded machine
    # the preflight alone may take longer than any fixed time).
    hub.add_fault(Fault("PUT", secret_path(targets[3]), action="hang"))

    class CancelDuringTheFourthWrite:
        def preflight_checked(self, done: int, total: int) -> None:
            pass

        def write_started(self, repository: str, number: int, total: int) -> None:
            if repository == targets[3]:
                scope.deadline = anyio.current_time() + 0.3

        def write_finished(self, record: TargetRecord) -> None:
            pass

    with anyio.CancelScope() as scope:
        await rotate(
            hub,
            graph_file,
            journal_path,
            new_token,
            write_interval=0,
            concurrency=1,
            listener=CancelDuringTheFourthWrite(),
        )
    assert scope.cancelled_caught

    run = current(journal_path)
    assert run.state == "interrupted" and run.finished_at is not None
    assert run.updated() == targets[:3]
    assert set(run.updated()) <= holding(hub, new_token)
    in_flight = record(run, targets[3])
    assert in_flight.state == "pending"
    assert in_flight.started_at is not None and in_flight.finished_at is None
    # The abandoned request is logged only once the emulator sees the client gone.
    resumed_at = time.monotonic()

    await rotate(
        hub, graph_file, journal_path, new_token, resume=True, write_interval=0, concurrency=1
    )

    assert put_repositories(hub, resumed_at) == targets[3:]  # the one in flight is redone
    assert holding(hub, new_token) == set(targets)
    assert current(journal_path).state == "completed"
    assert_no_leak()


async def test_a_journal_that_cannot_be_written_stops_the_rotation_and_says_so(
    hub: FakeHub,
    graph_file: Path,
    journal_path: Path,
    new_token: str,
    targets: list[str],
    assert_no_leak: NoLeak,
) -> None:
    class BreakTheDisk:
        """After the first reported write, the journal's folder becomes a plain file."""

        def preflight_checked(self, done: int, total: int) -> None:
            pass

        def write_started(self, repository: str, number: int, total: int) -> None:
            pass

        def write_finished(self, record: TargetRecord) -> None:
            folder = journal_path.parent
            if folder.is_dir():
                folder.rename(folder.with_name("moved-away"))
                folder.write_text("not a directory")

    # Issue 14.3: after the first write, the outcome (exact, from memory) says it; the
    # command reports the lists and exits 1 (round one raised, and the CLI said exit 2).
    outcome = await rotate(
        hub,
        graph_file,
        journal_path,
        new_token,
        write_interval=0,
        concurrency=1,
        listener=BreakTheDisk(),
    )
    assert outcome.journal_error is not None
    assert "cannot write the journal" in outcome.journal_error
    assert not outcome.completed
    assert outcome.run is not None and outcome.run.updated() == targets[:1]
    # The write after the first could not be journaled before starting: it was not sent.
    assert put_repositories(hub) == targets[:1]
    moved = current(journal_path.parent.with_name("moved-away") / journal_path.name)
    assert moved.updated() == targets[:1]
    assert holding(hub, new_token) == set(targets[:1])
    assert_no_leak(outcome.journal_error)


async def test_both_tokens_rejected_says_both(
    hub: FakeHub, graph_file: Path, journal_path: Path, new_token: str
) -> None:
    # Issue 15.3: the operator credential's rejection (exit 4) says the new token's too.
    with pytest.raises(CredentialRejectedError) as caught:
        await rotate(hub, graph_file, journal_path, "ghp_unknown0000", operator_token="nope")
    assert "GitHub rejected the operator credential" in caught.value.message
    assert "so was the new token" in caught.value.message
    assert caught.value.hint is not None and "gh auth login" in caught.value.hint
    assert_nothing_written(hub, journal_path)
