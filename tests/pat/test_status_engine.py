"""The status engine, called directly with `run_status(options)` against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ccat.fakehub import FakeHub, Fault
from ccat.pat.github import ClientSettings, open_client
from ccat.pat.status import SecretStatus, StatusOptions, StatusReport, run_status
from tests.conftest import OPERATOR_LOGIN, OPERATOR_TOKEN

pytestmark = pytest.mark.anyio


async def check(
    hub: FakeHub,
    repositories: list[str],
    *,
    concurrency: int = 16,
    token: str = OPERATOR_TOKEN,
    request_timeout: float = 5.0,
) -> StatusReport:
    settings = ClientSettings(api_url=hub.url, token=token, timeout=request_timeout, backoff=0.01)
    async with open_client(settings) as client:
        return await run_status(
            StatusOptions(
                client=client,
                repositories=repositories,
                secret="GH_PAT",
                org="ccatobs",
                concurrency=concurrency,
                clock=lambda: datetime(2026, 11, 25, 19, 0, tzinfo=UTC),
            )
        )


async def test_each_row_of_the_spec_table() -> None:
    repos = ["ccatobs/present", "ccatobs/missing", "ccatobs/broken"]
    with FakeHub(repos, operator_token=OPERATOR_TOKEN, operator_login=OPERATOR_LOGIN) as hub:
        hub.set_secret("ccatobs/present", "GH_PAT", "value")
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
        SecretStatus("ccatobs/present", "present", updated_at=stored.updated_at, http_status=200),
        SecretStatus("ccatobs/missing", "missing", http_status=404),
        SecretStatus(
            "ccatobs/broken",
            "error",
            error="HTTP 403: Must have admin rights to Repository.",
            http_status=403,
        ),
        SecretStatus(
            "ccatobs/ghost",
            "error",
            http_status=404,
            error="repository not found or not visible to the operator credential",
        ),
    )
    assert not report.ok


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
    assert "no answer within 0.2 s" in (by_repo["ccatobs/ops-db"].error or "")
    assert by_repo["ccatobs/system-integration"].state == "missing"
