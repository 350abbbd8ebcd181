"""The fault matrix (issue 7): every endpoint of both commands by every kind of failure,
each cell with its expected outcome, run through the engines against the emulator.

Faults are injected per path (`Fault` matches method and path, never the token). A
transient or rate-limit fault answers once (`count=1`): the client must retry or wait,
then succeed. A permanent one answers every time (`count=None`) and must surface as
what it is. The client runs on a fake clock (`FakeTime`), so rate-limit waits cost no
time and are asserted as numbers; a hang costs one short request timeout.

The faults (rows of the tables below):

    500 502 503 504   GitHub's server errors                  transient: retried
    drop              the connection is closed unanswered     transient: retried
    hang              no answer at all (timeout 0.5 s)        transient: retried once
    429 Retry-After   429, secondary-limit message, Retry-After: 7       wait 7 s
    403 rate limit    403, secondary-limit message, Retry-After: 9       wait 9 s
    403 remaining 0   403 "Forbidden", x-ratelimit-remaining: 0 and a reset 30 s away
    401 403 404 422   GitHub's error answers                  permanent: not retried
    malformed 200     200 with `{}`: a JSON object of the wrong shape (or status, for a PUT)

`ccat pat status` (three repositories, each holding its own GH_PAT, except the
organisation-secrets column where ops-db has none and the organisation shares one):

    present         ops-db present with its own secret's `updated_at`
    via org         ops-db present through the organisation secret
    org seen        the organisation secret was read (the rows say present)
    rejected        ops-db is an error row, flagged as the credential rejected (HTTP 401)
    error           ops-db is an error row naming the status and GitHub's message
    not found       ops-db is an error row: not found or not visible to the credential
    missing, noted  ops-db is missing, with a note that the organisation could not be
                    checked (naming the status); never present
    org error       the organisation check failed naming the status; rows unaffected
    no org secret   the organisation has no such secret (404 means none); rows unaffected

`ccat pat rotate` (four targets, one write at a time; the failing repository is the
third, ops-db-api; `/user` is asked with both tokens, and since a fault does not look at
the token, a permanent one answers both and a transient one whichever comes first):

    completed       the run completed: every target holds the new value, as the journal says
    token refused   "the new token is not valid" (exit 2): no write, no journal
    credential refused  GitHub rejected the operator credential, said once (exit 4;
                    issue 15.3), and the new token with it: no write, no journal
    preflight       a preflight failure naming exactly the subjects that failed (both
                    tokens for /user; the repository otherwise): no write, journal unchanged
    stopped         the write failed with that status; run stopped: the first two updated
                    (journal = emulator = outcome), the rest not, and none written after
    resumed         a `--resume` of a run stopped at the third target: the skipped ones
                    verified and not written again, the rest written; completed

Every cell also checks the request count on the faulted path: one more than usual for a
transient or rate-limit fault, exactly the usual for a permanent one (no retry).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from ccat.fakehub import FakeHub, Fault
from ccat.pat.errors import CredentialRejectedError, InvalidNewTokenError, PreflightError
from ccat.pat.github import open_client
from ccat.pat.graph import load_graph
from ccat.pat.journal import Journal
from ccat.pat.rotation import RotateOptions, RotationOutcome
from ccat.pat.settings import ClientSettings
from ccat.pat.status import StatusOptions, StatusReport, run_status
from tests.client_events import Events
from tests.conftest import OPERATOR_TOKEN, REPOSITORIES, emulator
from tests.fake_time import FakeTime
from tests.rotation_support import (
    FORBIDDEN,
    GRAPH_NAMES,
    ROTATION_OPERATOR_TOKEN,
    SECONDARY,
    SECRET,
    TARGETS,
    TOKEN_PREFIX,
    current,
    holding,
    key_path,
    on_disk,
    put_repositories,
    run_rotation,
    secret_path,
    write_graph,
)

STATUS_TABLE = """
fault           | secrets list | org-secrets list | org secret
500             | present      | via org          | org seen
502             | present      | via org          | org seen
503             | present      | via org          | org seen
504             | present      | via org          | org seen
drop            | present      | via org          | org seen
hang            | present      | via org          | org seen
429 Retry-After | present      | via org          | org seen
403 rate limit  | present      | via org          | org seen
403 remaining 0 | present      | via org          | org seen
401             | rejected     | missing, noted   | org error
403             | error        | missing, noted   | org error
404             | not found    | missing, noted   | no org secret
422             | error        | missing, noted   | org error
malformed 200   | error        | missing, noted   | org error
"""

ROTATE_TABLE = """
fault           | /user         | public key | runs      | PUT       | resume check
500             | completed     | completed  | completed | completed | resumed
502             | completed     | completed  | completed | completed | resumed
503             | completed     | completed  | completed | completed | resumed
504             | completed     | completed  | completed | completed | resumed
drop            | completed     | completed  | completed | completed | resumed
hang            | completed     | completed  | completed | completed | resumed
429 Retry-After | completed     | completed  | completed | completed | resumed
403 rate limit  | completed     | completed  | completed | completed | resumed
403 remaining 0 | completed     | completed  | completed | completed | resumed
401             | credential refused | preflight  | preflight | stopped   | preflight
403             | preflight     | preflight  | preflight | stopped   | preflight
404             | preflight     | preflight  | preflight | stopped   | preflight
422             | preflight     | preflight  | preflight | stopped   | preflight
malformed 200   | preflight     | preflight  | preflight | stopped   | preflight
"""


def parse(table: str) -> dict[tuple[str, str], str]:
    """`{(fault, endpoint): outcome}` from a table above."""
    header, *rows = [line for line in table.strip().splitlines()]
    endpoints = [cell.strip() for cell in header.split("|")[1:]]
    cells: dict[tuple[str, str], str] = {}
    for row in rows:
        fault, *outcomes = [cell.strip() for cell in row.split("|")]
        for endpoint, outcome in zip(endpoints, outcomes, strict=True):
            cells[fault, endpoint] = outcome
    return cells


STATUS_CELLS = parse(STATUS_TABLE)
ROTATE_CELLS = parse(ROTATE_TABLE)
HANG_TIMEOUT = 0.5
RESET_AHEAD = 30  # seconds from now to the x-ratelimit-reset of "403 remaining 0"
UPDATED_AT = "2026-10-01T12:00:00Z"
ORG_UPDATED_AT = "2026-09-01T00:00:00Z"
ORG = "ccatobs"
REPO = "ccatobs/ops-db"  # the status matrix's faulted repository


@dataclass(frozen=True)
class FaultKind:
    """A row of the tables: how to make the fault, and what the client should do."""

    name: str
    make: Callable[[str, str], Fault]  # (method, path) -> the fault
    transient: bool = False
    wait: tuple[float, float] | None = None  # the rate-limit wait expected, seconds
    status: int | None = None  # the status a permanent fault leaves in the record


def _status(
    status: int, message: str, *, retry_after: int | None = None, count: int | None = 1
) -> Callable[[str, str], Fault]:
    def make(method: str, path: str) -> Fault:
        return Fault(
            method, path, status=status, message=message, retry_after=retry_after, count=count
        )

    return make


def _reset_403(method: str, path: str) -> Fault:
    reset = str(int(time.time()) + RESET_AHEAD)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    return Fault(method, path, status=403, message="Forbidden", headers=headers)


def _permanent(status: int, message: str) -> FaultKind:
    return FaultKind(str(status), _status(status, message, count=None), status=status)


FAULTS = {
    kind.name: kind
    for kind in [
        *(
            FaultKind(str(code), _status(code, "Server Error"), transient=True)
            for code in (500, 502, 503, 504)
        ),
        FaultKind("drop", lambda m, p: Fault(m, p, action="drop"), transient=True),
        FaultKind("hang", lambda m, p: Fault(m, p, action="hang"), transient=True),
        FaultKind("429 Retry-After", _status(429, SECONDARY, retry_after=7), wait=(7, 7)),
        FaultKind("403 rate limit", _status(403, SECONDARY, retry_after=9), wait=(9, 9)),
        FaultKind("403 remaining 0", _reset_403, wait=(RESET_AHEAD - 5, RESET_AHEAD + 1)),
        _permanent(401, "Bad credentials"),
        _permanent(403, FORBIDDEN),
        _permanent(404, "Not Found"),
        _permanent(422, "Unprocessable Entity"),
        FaultKind(
            "malformed 200",
            lambda m, p: Fault(m, p, status=200, body=b"{}", count=None),
            status=200,
        ),
    ]
}


def test_the_tables_name_every_fault_and_endpoint() -> None:
    """The tables are the specification of the cells: complete, no typo'd outcome."""
    status_outcomes = {
        "present",
        "via org",
        "org seen",
        "rejected",
        "error",
        "not found",
        "missing, noted",
        "org error",
        "no org secret",
    }
    rotate_outcomes = {
        "completed",
        "token refused",
        "credential refused",
        "preflight",
        "stopped",
        "resumed",
    }
    for cells, endpoints, outcomes in [
        (STATUS_CELLS, STATUS_ENDPOINTS, status_outcomes),
        (ROTATE_CELLS, ROTATE_ENDPOINTS, rotate_outcomes),
    ]:
        assert set(cells) == {(f, e) for f in FAULTS for e in endpoints}
        assert set(cells.values()) <= outcomes


def client_settings(hub: FakeHub, token: str) -> ClientSettings:
    """A short timeout for the hangs; one connection pool (each pool costs a TLS context,
    ~40 ms to build, even for plain http: a matrix of a hundred cells notices)."""
    return ClientSettings(
        api_url=hub.url, token=token, timeout=HANG_TIMEOUT, concurrency=8, budget=0
    )


def fresh(hub: FakeHub) -> float:
    """Make a shared emulator as new (no fault, no secret, empty log); returns the
    monotonic time from which its log belongs to the cell (a request abandoned by the
    previous cell, e.g. a hang, may still be logged after the reset)."""
    hub.clear_faults()
    hub.rate_limit = None
    for repository in hub.repositories:
        hub.delete_secret(repository, SECRET)
    hub.delete_org_secret(ORG, SECRET)
    hub.reset_log()
    return time.monotonic()


def assert_retries_as_the_fault_asks(
    kind: FaultKind,
    hub: FakeHub,
    since: float,
    method: str,
    path: str,
    usual: int,
    events: Events,
) -> None:
    """One more request than usual for a transient or rate-limit fault (the retry), the
    usual number for a permanent one; a rate-limit wait only as the fault asked."""
    sent = [r for r in hub.requests if (r.method, r.path) == (method, path) and r.started >= since]
    retried = kind.transient or kind.wait is not None
    assert len(sent) == usual + (1 if retried else 0), [r.status for r in sent]
    waits = events.rate_limit_waits()
    if kind.wait is None:
        assert waits == []
    else:
        low, high = kind.wait
        assert len(waits) == 1 and low <= waits[0] <= high, waits


# -- ccat pat status ----------------------------------------------------------------------

STATUS_ENDPOINTS = {
    "secrets list": ("GET", f"/repos/{REPO}/actions/secrets"),
    "org-secrets list": ("GET", f"/repos/{REPO}/actions/organization-secrets"),
    "org secret": ("GET", f"/orgs/{ORG}/actions/secrets/{SECRET}"),
}


@pytest.fixture(scope="module")
def status_hub() -> Iterator[FakeHub]:
    """One emulator for every status cell (`fresh` resets it): starting and stopping one
    per cell would cost more than the cells."""
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN) as hub:
        yield hub


async def status_under(hub: FakeHub, events: Events) -> StatusReport:
    settings = client_settings(hub, OPERATOR_TOKEN)
    timing = FakeTime().timing
    with anyio.fail_after(30):
        return await run_status(
            StatusOptions(
                connect=lambda: open_client(settings, listener=events, timing=timing),
                repositories=list(REPOSITORIES),
                secret=SECRET,
                org=ORG,
                clock=lambda: datetime(2026, 11, 25, tzinfo=UTC),
            )
        )


def seed_status(hub: FakeHub, endpoint: str) -> None:
    """Each repository holds its own secret; for the organisation-secrets column, ops-db
    relies on the organisation's instead."""
    for repository in REPOSITORIES:
        if not (endpoint == "org-secrets list" and repository == REPO):
            hub.set_secret(repository, SECRET, "value", updated_at=UPDATED_AT)
    hub.set_org_secret(ORG, SECRET, "org-value", visibility="all", updated_at=ORG_UPDATED_AT)


@pytest.mark.anyio
@pytest.mark.parametrize("endpoint", STATUS_ENDPOINTS)
@pytest.mark.parametrize("fault", FAULTS)
async def test_status_cell(status_hub: FakeHub, fault: str, endpoint: str) -> None:
    kind, expected = FAULTS[fault], STATUS_CELLS[fault, endpoint]
    method, path = STATUS_ENDPOINTS[endpoint]
    since = fresh(status_hub)
    seed_status(status_hub, endpoint)
    status_hub.add_fault(kind.make(method, path))
    events = Events()

    report = await status_under(status_hub, events)

    rows = {result.repository: result for result in report.results}
    assert list(rows) == list(REPOSITORIES)
    for repository, row in rows.items():  # the others are never affected
        if repository != REPO:
            assert (row.state, row.via, row.updated_at) == ("present", "repository", UPDATED_AT)
    row, org = rows[REPO], report.org_secret
    if expected in ("present", "org seen", "org error", "no org secret"):
        assert (row.state, row.via, row.updated_at) == ("present", "repository", UPDATED_AT)
    if expected == "via org":
        assert (row.state, row.via, row.error) == ("present", "organization", None)
        assert row.updated_at == ORG_UPDATED_AT
    elif expected == "rejected":
        assert (row.state, row.http_status, row.credential_rejected) == ("error", 401, True)
    elif expected == "error":
        assert (row.state, row.http_status) == ("error", kind.status)
        assert row.error is not None and f"HTTP {kind.status}" in row.error
        if kind.status != 200:
            assert FORBIDDEN in row.error or "Unprocessable" in row.error
    elif expected == "not found":
        assert (row.state, row.http_status) == ("error", 404)
        assert row.error == "repository not found or not visible to the operator credential"
    elif expected == "missing, noted":
        assert (row.state, row.updated_at) == ("missing", None)
        assert row.org_error is not None and row.org_error.startswith(f"HTTP {kind.status}: ")
    if endpoint == "org secret":
        if expected == "org seen":
            assert org.secret is not None and org.error is None
            assert (org.secret.name, org.secret.visibility) == (SECRET, "all")
        elif expected == "org error":
            assert org.secret is None
            assert org.error is not None and org.error.startswith(f"HTTP {kind.status}: ")
        else:
            assert (expected, org.secret, org.error) == ("no org secret", None, None)
    assert_retries_as_the_fault_asks(kind, status_hub, since, method, path, 1, events)


# -- ccat pat rotate ----------------------------------------------------------------------

ROTATE_TARGETS = list(TARGETS[:4])
FAILING = ROTATE_TARGETS[2]
SKIPPED = ROTATE_TARGETS[0]  # what the resume column verifies before skipping it
ROTATE_ENDPOINTS = {
    "/user": ("GET", "/user"),
    "public key": ("GET", key_path(FAILING)),
    "runs": ("GET", f"/repos/{FAILING}/actions/runs"),
    "PUT": ("PUT", secret_path(FAILING)),
    "resume check": ("GET", f"/repos/{SKIPPED}/actions/secrets"),
}
USUAL = {"/user": 2}  # asked with each token; every other path once per run
NEW_TOKEN = TOKEN_PREFIX + "fault-matrix-new-token"


@pytest.fixture(scope="module")
def rotate_hub() -> Iterator[FakeHub]:
    """One emulator for every rotation cell (`fresh` resets it)."""
    with emulator(ROTATE_TARGETS, ROTATION_OPERATOR_TOKEN, NEW_TOKEN) as hub:
        yield hub


async def rotate_under(
    hub: FakeHub, graph: Path, journal: Path, token: str, events: Events, *, resume: bool
) -> RotationOutcome:
    settings = client_settings(hub, hub.operator_token)
    timing = FakeTime().timing
    options = RotateOptions(
        connect=lambda: open_client(settings, listener=events, timing=timing),
        journal=Journal(journal),
        graph=load_graph(graph),
        secret=SECRET,
        api_url=hub.url,
        operator_token=settings.token,
        new_token=token,
        concurrency=1,
        write_interval=0,
        resume=resume,
        listener=events,
    )
    with anyio.fail_after(30):
        return await run_rotation(options)


async def stop_at_failing(hub: FakeHub, graph: Path, journal: Path, token: str) -> bytes:
    """Set up the resume column: a run stopped at FAILING; returns the journal's bytes."""
    hub.add_fault(Fault("PUT", secret_path(FAILING), status=403, message=FORBIDDEN))
    stopped = await rotate_under(hub, graph, journal, token, Events(), resume=False)
    assert stopped.run is not None and stopped.run.updated() == ROTATE_TARGETS[:2]
    hub.clear_faults()
    hub.reset_log()
    before = on_disk(journal)
    assert before is not None
    return before


@pytest.mark.anyio
@pytest.mark.parametrize("endpoint", ROTATE_ENDPOINTS)
@pytest.mark.parametrize("fault", FAULTS)
async def test_rotate_cell(
    rotate_hub: FakeHub, tmp_path: Path, journal_path: Path, fault: str, endpoint: str
) -> None:
    kind, expected = FAULTS[fault], ROTATE_CELLS[fault, endpoint]
    method, path = ROTATE_ENDPOINTS[endpoint]
    hub, new_token = rotate_hub, NEW_TOKEN
    since = fresh(hub)
    graph = write_graph(tmp_path / "graph.yml", GRAPH_NAMES[:3])
    resume = endpoint == "resume check"
    if resume:
        before = await stop_at_failing(hub, graph, journal_path, new_token)
        since = time.monotonic()
    else:
        before = None
    hub.add_fault(kind.make(method, path))
    events = Events()

    outcome: RotationOutcome | None = None
    refusal: Exception | None = None
    try:
        outcome = await rotate_under(hub, graph, journal_path, new_token, events, resume=resume)
    except (InvalidNewTokenError, PreflightError, CredentialRejectedError) as exc:
        refusal = exc

    if expected in ("completed", "resumed", "stopped"):
        assert outcome is not None, refusal
        check_written(hub, since, journal_path, new_token, outcome, kind, expected)
    else:
        assert put_repositories(hub, since) == []
        assert on_disk(journal_path) == before
        if expected == "token refused":
            assert isinstance(refusal, InvalidNewTokenError) and "not valid" in refusal.message
        elif expected == "credential refused":
            assert isinstance(refusal, CredentialRejectedError) and refusal.exit_code == 4
            assert "so was the new token" in refusal.message
        else:
            assert isinstance(refusal, PreflightError), refusal
            subjects = [failure.subject for failure in refusal.failures]
            if endpoint == "/user":
                assert sorted(subjects) == ["the new token", "the operator credential"]
            else:
                assert subjects == [SKIPPED if resume else FAILING]
            assert all(f"HTTP {kind.status}" in failure.reason for failure in refusal.failures)
    assert_retries_as_the_fault_asks(kind, hub, since, method, path, USUAL.get(endpoint, 1), events)


def check_written(
    hub: FakeHub,
    since: float,
    journal: Path,
    token: str,
    outcome: RotationOutcome,
    kind: FaultKind,
    expected: str,
) -> None:
    """The journal, the outcome and the emulator's decrypted values tell one story."""
    run = current(journal)
    assert outcome.run is not None and outcome.run.to_json() == run.to_json()
    assert set(run.updated()) == holding(hub, token)
    if expected == "stopped":
        assert run.state == "stopped"
        assert run.updated() == ROTATE_TARGETS[:2]
        assert run.not_updated() == ROTATE_TARGETS[2:]
        assert outcome.failure is not None
        failed = outcome.failure.record
        assert (failed.repository, failed.state, failed.http_status) == (
            FAILING,
            "failed",
            kind.status,
        )
        assert put_repositories(hub, since) == [*ROTATE_TARGETS[:2], FAILING]  # none after it
        return
    assert run.state == "completed" and outcome.failure is None
    assert run.updated() == ROTATE_TARGETS
    written = put_repositories(hub, since)
    if expected == "resumed":
        # Verified, so skipped: no write to the first two, whatever the check went through.
        assert list(dict.fromkeys(written)) == ROTATE_TARGETS[2:]
        assert [item.action for item in outcome.plan.items] == ["skip", "skip", "set", "set"]
    else:
        assert list(dict.fromkeys(written)) == ROTATE_TARGETS
