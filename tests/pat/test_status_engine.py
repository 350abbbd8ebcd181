"""The status engine, called directly with `run_status(options)` against the emulator."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from ccat.fakehub import FakeHub, Fault, TokenSpec
from ccat.pat.settings import ClientSettings
from ccat.pat.status import SecretStatus, StatusReport
from tests.support.emulator import OPERATOR_LOGIN, OPERATOR_TOKEN
from tests.support.scene import status_of

pytestmark = pytest.mark.anyio


async def check(
    hub: FakeHub,
    repositories: list[str],
    *,
    concurrency: int = 16,
    token: str = OPERATOR_TOKEN,
    request_timeout: float = 5.0,
) -> StatusReport:
    settings = ClientSettings(
        api_url=hub.url, token=token, timeout=request_timeout, concurrency=concurrency, budget=0
    )
    now = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
    return await status_of(hub, repositories, now, client=settings, concurrency=concurrency)


def per_repository(hub: FakeHub) -> Counter[str]:
    """How many requests went to each repository (organisation requests not counted)."""
    return Counter(
        "/".join(r.path.split("/")[2:4]) for r in hub.requests if r.path.startswith("/repos/")
    )


async def test_each_row_of_the_spec_table() -> None:
    repos = ["ccatobs/present", "ccatobs/missing", "ccatobs/broken", "ccatobs/shared"]
    with FakeHub(repos, operator_token=OPERATOR_TOKEN, operator_login=OPERATOR_LOGIN) as hub:
        hub.set_secret("ccatobs/present", "GH_PAT", "value")
        hub.set_org_secret(
            "ccatobs",
            "GH_PAT",
            "org-value",
            visibility="selected",
            selected_repositories=["ccatobs/shared"],
            updated_at="2026-10-01T00:00:00Z",
        )
        hub.add_fault(
            Fault(
                method="GET",
                path="/repos/ccatobs/broken/*",
                status=403,
                message="Must have admin rights to Repository.",
                count=None,
            )
        )
        report = await check(hub, [*repos, "ccatobs/ghost"])
    stored = hub.secret("ccatobs/present", "GH_PAT")
    assert stored is not None
    assert report.checked_at == "2026-11-25T19:00:00Z"
    assert report.results == (
        SecretStatus(
            "ccatobs/present",
            "present",
            updated_at=stored.updated_at,
            via="repository",
            http_status=200,
        ),
        SecretStatus("ccatobs/missing", "missing", http_status=200),
        SecretStatus(
            "ccatobs/broken",
            "error",
            error="HTTP 403: Must have admin rights to Repository.",
            http_status=403,
        ),
        SecretStatus(
            "ccatobs/shared", "present", updated_at="2026-10-01T00:00:00Z", via="organization"
        ),
        SecretStatus(
            "ccatobs/ghost",
            "error",
            http_status=404,
            error="repository not found or not visible to the operator credential",
        ),
    )
    assert not report.ok
    assert report.org_secret.secret is not None
    assert report.org_secret.repositories == frozenset({"ccatobs/shared"})


async def test_one_request_per_repository_when_every_secret_is_there() -> None:
    repos = [f"ccatobs/r{i:03d}" for i in range(200)]
    with FakeHub(repos, operator_token=OPERATOR_TOKEN) as hub:
        for repo in repos:
            hub.set_secret(repo, "GH_PAT", "x")
        await check(hub, repos)
        alone = per_repository(hub)
        total = len(hub.requests)
        # An organisation secret that nobody uses changes nothing.
        hub.set_org_secret("ccatobs", "GH_PAT", "org", visibility="all")
        hub.reset_log()
        report = await check(hub, repos)
        with_org = len(hub.requests)
    assert set(alone.values()) == {1} and len(alone) == 200
    assert total == 201  # one per repository, one for the organisation
    assert with_org == 201
    assert all(r.via == "repository" for r in report.results)


@pytest.mark.parametrize("listed", [True, False], ids=["org list readable", "unreadable"])
async def test_a_missing_secret_costs_one_more_request_only_without_the_org_list(
    listed: bool,
) -> None:
    repos = [f"ccatobs/r{i:02d}" for i in range(10)]
    with FakeHub(repos, operator_token=OPERATOR_TOKEN) as hub:
        for repo in repos[:5]:
            hub.set_secret(repo, "GH_PAT", "x")
        if not listed:
            hub.add_fault(Fault("GET", "/orgs/ccatobs/actions/secrets", 403, None, "Forbidden"))
        report = await check(hub, repos)
    counts = per_repository(hub)
    assert [counts[r] for r in repos] == [1] * 5 + [1 if listed else 2] * 5
    assert [r.state for r in report.results] == ["present"] * 5 + ["missing"] * 5
    assert report.org_secret.listed is listed


async def test_organisation_secrets_that_cannot_be_checked_leave_missing_with_a_note() -> None:
    repos = ["ccatobs/a"]
    with FakeHub(repos, operator_token=OPERATOR_TOKEN) as hub:
        # Neither the organisation's list nor the repository's view of it answers.
        hub.add_fault(Fault("GET", "/orgs/ccatobs/actions/secrets", 403, None, "Forbidden"))
        hub.add_fault(
            Fault("GET", "/repos/ccatobs/a/actions/organization-secrets", 403, None, "Forbidden")
        )
        report = await check(hub, repos)
    (result,) = report.results
    assert result.state == "missing"
    assert result.org_error == "HTTP 403: Forbidden"


async def test_a_checker_that_may_not_read_organisation_secrets_still_checks() -> None:
    repos = ["ccatobs/a", "ccatobs/b"]
    reader = TokenSpec("reader", permissions={"metadata": "read", "secrets": "read"})
    with FakeHub(repos, operator_token=OPERATOR_TOKEN, tokens={"reader-token": reader}) as hub:
        hub.set_secret("ccatobs/a", "GH_PAT", "x")
        hub.set_org_secret("ccatobs", "GH_PAT", "org", visibility="all")
        report = await check(hub, repos, token="reader-token")
    assert [r.state for r in report.results] == ["present", "present"]
    assert [r.via for r in report.results] == ["repository", "organization"]
    # The organisation-level secret was not visible to this credential: no shadow claim.
    assert report.org_secret.secret is None and report.org_secret.error


async def test_a_rejected_credential_is_an_error_row_flagged_once(fakehub: FakeHub) -> None:
    report = await check(fakehub, fakehub.repositories, token="revoked-token")
    assert {r.state for r in report.results} == {"error"}
    assert all(r.credential_rejected and r.http_status == 401 for r in report.results)


async def test_results_keep_target_order_whatever_the_finishing_order() -> None:
    repos = [f"ccatobs/r{i:02d}" for i in range(20)]
    with FakeHub(repos, operator_token=OPERATOR_TOKEN) as hub:
        # The first repositories answer last.
        for i in range(5):
            hub.add_fault(Fault(method="GET", path=f"/repos/ccatobs/r{i:02d}/*", status=502))
        report = await check(hub, repos)
    assert [r.repository for r in report.results] == repos
    assert {r.state for r in report.results} == {"missing"}


async def test_concurrency_limit_is_never_exceeded_and_default_runs_in_parallel() -> None:
    repos = [f"ccatobs/r{i:02d}" for i in range(24)]
    with FakeHub(repos, operator_token=OPERATOR_TOKEN, latency=0.05) as hub:
        for repo in repos:
            hub.set_secret(repo, "GH_PAT", "x")
        await check(hub, repos, concurrency=4)
        limited = hub.max_in_flight
        hub.reset_log()
        await check(hub, repos)
        default = hub.max_in_flight
    assert limited == 4
    assert 4 < default <= 16


async def test_a_hang_becomes_an_error_row_not_a_hung_command(fakehub: FakeHub) -> None:
    fakehub.add_fault(
        Fault(method="GET", path="/repos/ccatobs/ops-db/*", action="hang", count=None)
    )
    report = await check(fakehub, fakehub.repositories, request_timeout=0.2)
    by_repo = {r.repository: r for r in report.results}
    assert by_repo["ccatobs/ops-db"].state == "error"
    assert "no answer from 127.0.0.1 within 0.2 s" in (by_repo["ccatobs/ops-db"].error or "")
    assert by_repo["ccatobs/system-integration"].state == "missing"
