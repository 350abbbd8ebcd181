"""The GitHub client against the emulator: headers, errors, retries, rate limits, timeouts."""

from __future__ import annotations

import itertools
import time

import pytest

from ccat import __version__
from ccat.fakehub import FakeHub, Fault, RateLimitMode
from ccat.pat.errors import (
    AuthenticationError,
    HTTPStatusError,
    NotFoundError,
    RateLimitError,
    TransportError,
)
from ccat.pat.github import ClientSettings, open_client
from tests.conftest import NEW_TOKEN, OPERATOR_TOKEN

pytestmark = pytest.mark.anyio
REPO = "ccatobs/ops-db"


def settings(hub: FakeHub, **overrides: float) -> ClientSettings:
    """Fast retries, so that a test of three retries takes milliseconds."""
    values: dict[str, float] = {"timeout": 5.0, "backoff": 0.01, "max_wait": 5.0}
    values.update(overrides)
    return ClientSettings(api_url=hub.url, token=OPERATOR_TOKEN, **values)  # type: ignore[arg-type]


async def test_every_request_sends_githubs_headers(fakehub: FakeHub) -> None:
    async with open_client(settings(fakehub)) as client:
        await client.get_repository(REPO)
    (request,) = fakehub.requests
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["user-agent"].startswith(f"ccat/{__version__}")
    assert request.token_login == fakehub.operator_login


async def test_get_user_with_the_new_token_reports_its_login_and_expiry(
    fakehub: FakeHub,
) -> None:
    async with open_client(settings(fakehub)) as client:
        user = await client.get_user(NEW_TOKEN)
        operator = await client.get_user()
    assert (user.login, user.expires_at) == ("ccat-ci-bot", "2027-02-01T00:00:00Z")
    assert operator.login == fakehub.operator_login
    assert [r.token_login for r in fakehub.requests] == ["ccat-ci-bot", fakehub.operator_login]


async def test_put_secret_is_stored_decrypted_201_then_204(fakehub: FakeHub) -> None:
    from ccat.pat.sealing import seal

    async with open_client(settings(fakehub)) as client:
        key = await client.get_public_key(REPO)
        first = await client.put_secret(REPO, "GH_PAT", seal("v1", key.key), key.key_id)
        second = await client.put_secret(REPO, "GH_PAT", seal("v2", key.key), key.key_id)
        info = await client.get_secret(REPO, "GH_PAT")
    assert (first, second) == (201, 204)
    stored = fakehub.secret(REPO, "GH_PAT")
    assert stored is not None and stored.value == "v2"
    assert info.updated_at == stored.updated_at


async def test_errors_carry_status_message_repository_and_no_token(fakehub: FakeHub) -> None:
    async with open_client(settings(fakehub)) as client:
        with pytest.raises(NotFoundError) as missing:
            await client.get_secret(REPO, "GH_PAT")
    assert missing.value.status == 404
    assert missing.value.repository == REPO
    assert missing.value.detail == "Not Found"
    assert "GET /repos/ccatobs/ops-db/actions/secrets/GH_PAT" in missing.value.message
    assert missing.value.hint is not None and REPO in missing.value.hint

    bad = ClientSettings(api_url=fakehub.url, token="not-a-known-token", backoff=0.01)
    async with open_client(bad) as client:
        with pytest.raises(AuthenticationError) as rejected:
            await client.get_repository(REPO)
    assert rejected.value.status == 401
    assert "not-a-known-token" not in str(rejected.value) + str(rejected.value.hint)


async def test_permanent_errors_are_not_retried(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault(method="GET", path=f"/repos/{REPO}", status=422, count=None))
    async with open_client(settings(fakehub)) as client:
        with pytest.raises(HTTPStatusError) as failure:
            await client.get_repository(REPO)
    assert failure.value.status == 422
    assert len(fakehub.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_transient_statuses_are_retried_to_success(fakehub: FakeHub, status: int) -> None:
    fakehub.add_fault(Fault(method="GET", path=f"/repos/{REPO}", status=status, count=3))
    async with open_client(settings(fakehub)) as client:
        data = await client.get_repository(REPO)
    assert data["full_name"] == REPO
    assert [r.status for r in fakehub.requests] == [status, status, status, 200]


async def test_transient_statuses_give_up_after_three_retries(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault(method="GET", path=f"/repos/{REPO}", status=503, count=None))
    async with open_client(settings(fakehub)) as client:
        with pytest.raises(HTTPStatusError) as failure:
            await client.get_repository(REPO)
    assert failure.value.status == 503
    assert len(fakehub.requests) == 4


async def test_a_dropped_connection_is_retried(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault(method="GET", path=f"/repos/{REPO}", action="drop", count=2))
    async with open_client(settings(fakehub)) as client:
        data = await client.get_repository(REPO)
    assert data["name"] == "ops-db"
    assert [r.status for r in fakehub.requests] == [None, None, 200]


class Attempts:
    """Counts the client's attempts and their answers (None: no answer)."""

    def __init__(self) -> None:
        self.statuses: list[int | None] = []

    def request_done(
        self, method: str, url: str, status: int | None, elapsed: float, attempt: int
    ) -> None:
        self.statuses.append(status)

    def waiting(self, repository: str | None, seconds: float, reason: str) -> None:
        pass


async def test_a_hang_ends_at_the_timeout_as_a_transport_error(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault(method="GET", path=f"/repos/{REPO}", action="hang", count=None))
    attempts = Attempts()
    async with open_client(settings(fakehub, timeout=0.3), listener=attempts) as client:
        with pytest.raises(TransportError) as failure:
            await client.get_repository(REPO)
    assert "no answer within 0.3 s" in failure.value.message
    assert failure.value.repository == REPO
    assert attempts.statuses == [None, None, None, None]  # the first try and three retries


async def test_429_with_retry_after_is_waited_out_and_announced(fakehub: FakeHub) -> None:
    waits: list[tuple[str | None, float, str]] = []

    class Listener:
        def request_done(self, *args: object) -> None:
            pass

        def waiting(self, repository: str | None, seconds: float, reason: str) -> None:
            waits.append((repository, seconds, reason))

    fakehub.add_fault(
        Fault(
            method="GET",
            path=f"/repos/{REPO}",
            status=429,
            retry_after=1,
            message="You have exceeded a secondary rate limit.",
        )
    )
    async with open_client(settings(fakehub), listener=Listener()) as client:
        await client.get_repository(REPO)
    assert [r.status for r in fakehub.requests] == [429, 200]
    assert waits == [(REPO, 1.0, "rate limited (HTTP 429)")]
    gap = fakehub.requests[1].started - fakehub.requests[0].finished
    assert gap >= 0.9


async def test_primary_rate_limit_waits_until_the_reset(fakehub: FakeHub) -> None:
    fakehub.rate_limit = RateLimitMode(kind="primary", remaining=0, reset_at=int(time.time()) + 2)
    async with open_client(settings(fakehub)) as client:
        # The emulator keeps limiting until the mode is lifted; lift it during the wait.
        import anyio

        async def lift() -> None:
            await anyio.sleep(0.2)
            fakehub.rate_limit = None

        async with anyio.create_task_group() as group:
            group.start_soon(lift)
            data = await client.get_repository(REPO)
    assert data["name"] == "ops-db"
    assert fakehub.requests[0].status == 403


async def test_a_rate_limit_wait_beyond_max_wait_fails_with_the_reset_time(
    fakehub: FakeHub,
) -> None:
    reset = int(time.time()) + 3600
    fakehub.rate_limit = RateLimitMode(kind="primary", remaining=0, reset_at=reset)
    async with open_client(settings(fakehub, max_wait=10)) as client:
        with pytest.raises(RateLimitError) as failure:
            await client.get_repository(REPO)
    expected = time.strftime("%Y-%m-%dT%H", time.gmtime(reset))
    assert expected in failure.value.message
    assert "--max-wait" in failure.value.message
    assert len(fakehub.requests) == 1


async def test_a_reset_time_already_past_waits_a_second_not_a_busy_loop(
    fakehub: FakeHub,
) -> None:
    # Our clock ahead of GitHub's: the reset it names is already behind us.
    past = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) - 100)}
    fakehub.add_fault(
        Fault(
            method="GET",
            path=f"/repos/{REPO}",
            status=403,
            count=None,
            headers=past,
            message="API rate limit exceeded for user ID 1.",
        )
    )
    async with open_client(settings(fakehub, max_wait=2.5)) as client:
        with pytest.raises(RateLimitError):
            await client.get_repository(REPO)
    requests = fakehub.requests
    assert len(requests) == 3  # waits of 1 s each: the third would exceed --max-wait 2.5
    assert all(b.started - a.finished >= 0.9 for a, b in itertools.pairwise(requests))
