"""The GitHub client against the emulator: headers, documented answers only, retries, rate
limits, timeouts, bounded reads. The client's clock is a `FakeTime`, so backoff and
rate-limit waits are asserted as numbers and take no real time."""

from __future__ import annotations

import gzip
import json
import re
import time
from contextlib import AbstractAsyncContextManager

import anyio
import pytest

from ccat import __version__
from ccat.fakehub import FakeHub, Fault, RateLimitMode
from ccat.pat.errors import (
    AuthenticationError,
    HTTPStatusError,
    InvalidAnswerError,
    NotFoundError,
    RateLimitError,
    TransportError,
)
from ccat.pat.github import GitHubClient, Wait, WaitReason, open_client, seal
from ccat.pat.settings import ClientSettings
from tests.support.emulator import NEW_TOKEN, OPERATOR_TOKEN
from tests.support.fake_time import FakeTime

pytestmark = pytest.mark.anyio
REPO = "ccatobs/ops-db"
LIST = f"/repos/{REPO}/actions/secrets"


def settings(hub: FakeHub, **overrides: float) -> ClientSettings:
    values: dict[str, float] = {"timeout": 5.0, "max_wait": 300.0, "budget": 0}
    values.update(overrides)
    return ClientSettings(api_url=hub.url, token=OPERATOR_TOKEN, **values)  # type: ignore[arg-type]


class Recorder:
    """The client's listener: every attempt's status and every announced wait."""

    def __init__(self) -> None:
        self.statuses: list[int | None] = []
        self.waits: list[Wait] = []

    def request_done(
        self, method: str, url: str, status: int | None, elapsed: float, attempt: int
    ) -> None:
        self.statuses.append(status)

    def waiting(self, wait: Wait) -> None:
        self.waits.append(wait)


def client(
    hub: FakeHub, clock: FakeTime | None = None, listener: Recorder | None = None, **kw: float
) -> AbstractAsyncContextManager[GitHubClient]:
    """A client of `hub` on a fake clock (the real one never sleeps in these tests)."""
    return open_client(settings(hub, **kw), listener=listener, timing=(clock or FakeTime()).timing)


async def test_every_request_sends_githubs_headers(fakehub: FakeHub) -> None:
    async with client(fakehub) as github:
        await github.find_secret(REPO, "GH_PAT")
    (request,) = fakehub.requests
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"
    assert request.headers["user-agent"].startswith(f"ccat/{__version__}")
    assert request.token_login == fakehub.operator_login
    assert (request.path, request.query) == (LIST, "per_page=100")


async def test_get_user_reports_login_expiry_and_classic_scopes(fakehub: FakeHub) -> None:
    async with client(fakehub) as github:
        new = await github.get_user(NEW_TOKEN)
        operator = await github.get_user()
    assert (new.login, new.expires_at, new.scopes) == (
        "ccat-ci-bot",
        "2027-02-01T00:00:00Z",
        None,  # a fine-grained token: no X-OAuth-Scopes
    )
    assert operator.login == fakehub.operator_login
    assert operator.scopes == ("repo", "workflow")
    assert [r.token_login for r in fakehub.requests] == ["ccat-ci-bot", fakehub.operator_login]


async def test_one_request_tells_present_missing_and_no_such_repository(fakehub: FakeHub) -> None:
    fakehub.set_secret(REPO, "GH_PAT", "v", updated_at="2026-01-02T03:04:05Z")
    fakehub.set_secret(REPO, "OTHER", "x")
    async with client(fakehub) as github:
        present = await github.find_secret(REPO, "gh_pat")
        missing = await github.find_secret("ccatobs/system-integration", "GH_PAT")
        with pytest.raises(NotFoundError) as absent:
            await github.find_secret("ccatobs/no-such-repo", "GH_PAT")
    assert present is not None and present.updated_at == "2026-01-02T03:04:05Z"
    assert missing is None
    assert absent.value.status == 404 and absent.value.repository == "ccatobs/no-such-repo"
    assert len(fakehub.requests) == 3


async def test_more_than_a_hundred_secrets_are_paged_through(fakehub: FakeHub) -> None:
    for index in range(150):
        fakehub.set_secret(REPO, f"A_{index:03d}", "x")
    fakehub.set_secret(REPO, "ZZ_LAST", "v")
    async with client(fakehub) as github:
        found = await github.find_secret(REPO, "ZZ_LAST")
        absent = await github.find_secret(REPO, "NOPE")
    assert found is not None and found.name == "ZZ_LAST"
    assert absent is None
    pages = [r.query for r in fakehub.requests]
    assert pages == ["per_page=100", "per_page=100&page=2"] * 2


async def test_put_secret_is_stored_decrypted_201_then_204(fakehub: FakeHub) -> None:
    async with client(fakehub) as github:
        key = await github.get_public_key(REPO)
        first = await github.put_secret(REPO, "GH_PAT", seal("v1", key.key), key.key_id)
        second = await github.put_secret(REPO, "GH_PAT", seal("v2", key.key), key.key_id)
        info = await github.find_secret(REPO, "GH_PAT")
    assert (first, second) == (201, 204)
    stored = fakehub.secret(REPO, "GH_PAT")
    assert stored is not None and stored.value == "v2"
    assert info is not None and info.updated_at == stored.updated_at


async def test_errors_carry_status_message_repository_and_no_token(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault("GET", LIST, 403, None, "Resource not accessible by integration"))
    async with client(fakehub) as github:
        with pytest.raises(HTTPStatusError) as forbidden:
            await github.find_secret(REPO, "GH_PAT")
    assert forbidden.value.status == 403
    assert forbidden.value.repository == REPO
    assert forbidden.value.detail == "Resource not accessible by integration"
    assert f"GET {LIST}?per_page=100" in forbidden.value.message
    assert forbidden.value.hint is not None and REPO in forbidden.value.hint

    fakehub.clear_faults()
    bad = ClientSettings(api_url=fakehub.url, token="not-a-known-token", budget=0)
    async with open_client(bad, timing=FakeTime().timing) as github:
        with pytest.raises(AuthenticationError) as rejected:
            await github.find_secret(REPO, "GH_PAT")
    assert rejected.value.status == 401
    assert "not-a-known-token" not in str(rejected.value) + str(rejected.value.hint)


async def test_a_403_quotes_the_permissions_github_says_are_needed(fakehub: FakeHub) -> None:
    async with client(fakehub) as github:
        with pytest.raises(HTTPStatusError) as forbidden:
            await _forbidden_secret_list(github)
    assert forbidden.value.status == 403
    assert forbidden.value.accepted_permissions == "secrets=read"


async def _forbidden_secret_list(github: GitHubClient) -> None:
    """A secrets list read with the new token, which may not read secrets."""
    from ccat.pat.github.client import _checked
    from ccat.pat.github.transport import Request

    request = Request("GET", f"{LIST}?per_page=100", REPO, NEW_TOKEN)
    _checked(request, await github.transport.send(request))


async def test_the_new_token_can_read_actions_runs(fakehub: FakeHub) -> None:
    async with client(fakehub) as github:
        await github.check_runs_readable(REPO, NEW_TOKEN)
        with pytest.raises(NotFoundError):
            await github.check_runs_readable("ccatobs/not-here", NEW_TOKEN)
    (first, _) = fakehub.requests
    assert (first.path, first.query, first.token_login) == (
        f"/repos/{REPO}/actions/runs",
        "per_page=1",
        "ccat-ci-bot",
    )


async def test_organisation_secrets_are_read_as_github_documents_them(fakehub: FakeHub) -> None:
    fakehub.set_org_secret(
        "ccatobs",
        "GH_PAT",
        "org",
        visibility="selected",
        selected_repositories=[REPO],
        updated_at="2026-03-04T05:06:07Z",
    )
    async with client(fakehub) as github:
        shared = await github.find_org_secret_for(REPO, "GH_PAT")
        not_shared = await github.find_org_secret_for("ccatobs/ops-db-api", "GH_PAT")
        org = await github.get_org_secret("ccatobs", "GH_PAT")
        repos = await github.org_secret_repositories("ccatobs", "GH_PAT")
        none = await github.get_org_secret("ccatobs", "NO_SUCH")
    assert shared is not None and shared.updated_at == "2026-03-04T05:06:07Z"
    assert not_shared is None
    assert org is not None and org.visibility == "selected"
    assert repos == frozenset({REPO})
    assert none is None


async def test_permanent_errors_are_not_retried(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault(method="GET", path=LIST, status=422, count=None))
    async with client(fakehub) as github:
        with pytest.raises(HTTPStatusError) as failure:
            await github.find_secret(REPO, "GH_PAT")
    assert failure.value.status == 422
    assert len(fakehub.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_transient_statuses_are_retried_to_success(fakehub: FakeHub, status: int) -> None:
    fakehub.add_fault(Fault(method="GET", path=LIST, status=status, count=3))
    clock = FakeTime()
    async with client(fakehub, clock) as github:
        assert await github.find_secret(REPO, "GH_PAT") is None
    assert [r.status for r in fakehub.requests] == [status, status, status, 200]
    # Equal jitter: each backoff is between half and all of 0.5, 1, 2 s.
    assert len(clock.sleeps) == 3
    for sleep, base in zip(clock.sleeps, (0.5, 1.0, 2.0), strict=True):
        assert base / 2 <= sleep <= base


async def test_transient_statuses_give_up_after_three_retries(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault(method="GET", path=LIST, status=503, count=None))
    async with client(fakehub) as github:
        with pytest.raises(HTTPStatusError) as failure:
            await github.find_secret(REPO, "GH_PAT")
    assert failure.value.status == 503
    assert len(fakehub.requests) == 4


async def test_a_dropped_connection_is_retried(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault(method="GET", path=LIST, action="drop", count=2))
    async with client(fakehub) as github:
        assert await github.find_secret(REPO, "GH_PAT") is None
    assert [r.status for r in fakehub.requests] == [None, None, 200]


async def test_a_hang_is_retried_once_then_is_a_transport_error(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault(method="GET", path=LIST, action="hang", count=None))
    attempts = Recorder()
    async with client(fakehub, listener=attempts, timeout=0.3) as github:
        with pytest.raises(TransportError) as failure:
            await github.find_secret(REPO, "GH_PAT")
    assert "no answer from 127.0.0.1 within 0.3 s (after 2 attempts)" in failure.value.message
    assert failure.value.repository == REPO
    assert attempts.statuses == [None, None]  # one try and one retry, not four


async def test_a_setback_is_reported_before_the_retry(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault(method="PUT", path=f"{LIST}/GH_PAT", status=502, count=1))
    setbacks: list[int] = []
    async with client(fakehub) as github:
        key = await github.get_public_key(REPO)
        status = await github.put_secret(
            REPO,
            "GH_PAT",
            seal("v", key.key),
            key.key_id,
            on_setback=lambda: setbacks.append(len(fakehub.requests)),
        )
    assert status == 201
    assert setbacks == [2]  # after the failed PUT (the 2nd request), before its retry


async def test_429_with_retry_after_is_waited_out_and_announced(fakehub: FakeHub) -> None:
    fakehub.add_fault(
        Fault("GET", LIST, 429, 1, "You have exceeded a secondary rate limit.", retry_after=7)
    )
    clock, recorder = FakeTime(), Recorder()
    async with client(fakehub, clock, recorder) as github:
        await github.find_secret(REPO, "GH_PAT")
    assert [r.status for r in fakehub.requests] == [429, 200]
    assert [(w.reason, w.seconds, w.repository) for w in recorder.waits] == [
        (WaitReason.RATE_LIMIT, 7.0, REPO)
    ]
    assert clock.sleeps == [7.0]


async def test_a_retry_after_pauses_every_request_of_the_run(fakehub: FakeHub) -> None:
    fakehub.add_fault(
        Fault("GET", LIST, 429, 1, "You have exceeded a secondary rate limit.", retry_after=30)
    )
    clock = FakeTime()
    started: dict[str, float] = {}
    async with client(fakehub, clock) as github:

        async def check(repository: str) -> None:
            await github.find_secret(repository, "GH_PAT")
            started[repository] = clock.now

        await check(REPO)  # refused once, waits 30 s
        paused_at = clock.now
        github.transport.budget.pause(30)  # as the 429 did: the next request waits too
        await check("ccatobs/ops-db-api")
    assert started["ccatobs/ops-db-api"] - paused_at == pytest.approx(30)


async def test_primary_rate_limit_waits_until_the_reset(fakehub: FakeHub) -> None:
    fakehub.rate_limit = RateLimitMode(kind="primary", remaining=0, reset_at=int(time.time()) + 40)
    # The emulator limits until the mode ends; lift it when the client starts waiting.
    clock = FakeTime(on_sleep=lambda seconds: setattr(fakehub, "rate_limit", None))
    async with client(fakehub, clock) as github:
        assert await github.find_secret(REPO, "GH_PAT") is None
    assert fakehub.requests[0].status == 403
    assert len(clock.sleeps) == 1 and 35 <= clock.sleeps[0] <= 41


async def test_a_rate_limit_wait_beyond_max_wait_fails_with_the_reset_time(
    fakehub: FakeHub,
) -> None:
    reset = int(time.time()) + 3600
    fakehub.rate_limit = RateLimitMode(kind="primary", remaining=0, reset_at=reset)
    async with client(fakehub, max_wait=10) as github:
        with pytest.raises(RateLimitError) as failure:
            await github.find_secret(REPO, "GH_PAT")
    expected = time.strftime("%Y-%m-%dT%H", time.gmtime(reset))
    assert expected in failure.value.message
    assert "--max-wait" in failure.value.message
    assert len(fakehub.requests) == 1


async def test_a_reset_time_already_past_waits_as_github_documents_not_a_busy_loop(
    fakehub: FakeHub,
) -> None:
    # Round two (issue 14, defect 12): a past reset used to be retried every second
    # (here 3 requests in 2.5 s; 55 in 7.6 s for 9 repositories). It is no usable time:
    # GitHub's "at least one minute", doubled at each refusal, within --max-wait.
    past = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) - 100)}
    fakehub.add_fault(
        Fault("GET", LIST, 403, None, "API rate limit exceeded for user ID 1.", headers=past)
    )
    clock = FakeTime()
    async with client(fakehub, clock, max_wait=300) as github:
        with pytest.raises(RateLimitError) as failure:
            await github.find_secret(REPO, "GH_PAT")
    assert len(fakehub.requests) == 3  # 60 s, 120 s; a third wait (240 s) would exceed 300
    assert clock.sleeps == [60.0, 120.0]
    assert "GitHub's reset time is already past; a wait of 240 s" in failure.value.message
    assert "after 180 s of waits already" in failure.value.message


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "inf"},
        {"retry-after": "1e12"},
        {"retry-after": "nan", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1e300"},
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "inf"},
    ],
)
async def test_absurd_waits_fail_that_request_cleanly(
    fakehub: FakeHub, headers: dict[str, str]
) -> None:
    fakehub.add_fault(Fault("GET", LIST, 429, None, "secondary rate limit", headers=headers))
    async with client(fakehub) as github:
        with pytest.raises(RateLimitError) as failure:
            await github.find_secret(REPO, "GH_PAT")
    assert "more than a year" in failure.value.message
    assert len(fakehub.requests) == 1


# -- only what GitHub documents counts ------------------------------------------------

MALFORMED_LISTS = {
    "not json": b"<html>oops</html>",
    "a list": b"[]",
    "a string": b'"GH_PAT"',
    "no count": json.dumps({"secrets": []}).encode(),
    "count is text": json.dumps({"total_count": "1", "secrets": []}).encode(),
    "secrets is an object": json.dumps({"total_count": 1, "secrets": {}}).encode(),
    "updated_at a number": json.dumps(
        {"total_count": 1, "secrets": [{"name": "GH_PAT", "updated_at": 5}]}
    ).encode(),
    "updated_at no time": json.dumps(
        {"total_count": 1, "secrets": [{"name": "GH_PAT", "updated_at": "yesterday"}]}
    ).encode(),
    "nested a million deep": b"[" * 1_000_000,
    "empty": b"",
}


@pytest.mark.parametrize("body", MALFORMED_LISTS.values(), ids=MALFORMED_LISTS.keys())
async def test_a_malformed_200_is_an_error_never_present(fakehub: FakeHub, body: bytes) -> None:
    fakehub.add_fault(Fault("GET", LIST, 200, None, body=body))
    async with client(fakehub) as github:
        with pytest.raises(InvalidAnswerError) as failure:
            await github.find_secret(REPO, "GH_PAT")
    assert failure.value.status == 200 and failure.value.repository == REPO


@pytest.mark.parametrize("status", [200, 202, 205, 206, 301, 304])
async def test_a_put_answered_other_than_201_or_204_is_not_a_write(
    fakehub: FakeHub, status: int
) -> None:
    fakehub.add_fault(Fault("PUT", f"{LIST}/GH_PAT", status, None, body=b"{}"))
    async with client(fakehub) as github:
        key = await github.get_public_key(REPO)
        with pytest.raises(InvalidAnswerError) as failure:
            await github.put_secret(REPO, "GH_PAT", seal("v", key.key), key.key_id)
    assert f"HTTP {status}" in failure.value.message
    assert "expected 201 or 204" in failure.value.message


async def test_a_204_to_a_get_is_an_error(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault("GET", LIST, 204, None, body=b""))
    async with client(fakehub) as github:
        with pytest.raises(InvalidAnswerError):
            await github.find_secret(REPO, "GH_PAT")


async def test_a_huge_body_is_not_read_past_a_megabyte(fakehub: FakeHub) -> None:
    # 300 MB announced and streamed; the client reads at most 1 MB and hangs up.
    fakehub.add_fault(Fault("GET", LIST, 200, None, body=b"x" * 1_000_000, body_repeat=300))
    async with client(fakehub) as github:
        with anyio.fail_after(20), pytest.raises(InvalidAnswerError) as failure:
            await github.find_secret(REPO, "GH_PAT")
    assert "larger than 1 MB" in failure.value.message


async def test_a_huge_body_without_a_length_is_cut_at_a_megabyte(fakehub: FakeHub) -> None:
    fakehub.add_fault(
        Fault(
            "GET",
            LIST,
            200,
            None,
            body=b"[" * 100_000,
            body_repeat=3000,
            headers={"Transfer-Encoding": "chunked"},
        )
    )
    async with client(fakehub) as github:
        with anyio.fail_after(20), pytest.raises((InvalidAnswerError, TransportError)):
            await github.find_secret(REPO, "GH_PAT")


async def test_a_compression_bomb_is_not_expanded(fakehub: FakeHub) -> None:
    bomb = gzip.compress(b"[" * 50_000_000)  # ~50 KB that would expand to 50 MB
    fakehub.add_fault(
        Fault("GET", LIST, 200, None, body=bomb, headers={"Content-Encoding": "gzip"})
    )
    async with client(fakehub) as github:
        with pytest.raises(InvalidAnswerError) as failure:
            await github.find_secret(REPO, "GH_PAT")
    assert "larger than 1 MB" in failure.value.message


async def test_a_gzip_answer_is_read(fakehub: FakeHub) -> None:
    document = {
        "total_count": 1,
        "secrets": [
            {
                "name": "GH_PAT",
                "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z",
            }
        ],
    }
    fakehub.add_fault(
        Fault(
            "GET",
            LIST,
            200,
            1,
            body=gzip.compress(json.dumps(document).encode()),
            headers={"Content-Encoding": "gzip"},
        )
    )
    async with client(fakehub) as github:
        found = await github.find_secret(REPO, "GH_PAT")
    assert found is not None and found.updated_at == "2026-01-01T00:00:00Z"


async def test_a_long_hostile_message_is_cleaned_and_shortened(fakehub: FakeHub) -> None:
    message = "\x1b[2J\x1b]8;;http://evil\x07click\x1b]8;;\x07" + "A" * 3_000_000
    fakehub.add_fault(
        Fault("GET", LIST, 403, None, body=json.dumps({"message": message[:900_000]}).encode())
    )
    async with client(fakehub) as github:
        with pytest.raises(HTTPStatusError) as failure:
            await github.find_secret(REPO, "GH_PAT")
    detail = failure.value.detail
    assert len(detail) <= 400
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", detail + failure.value.message)
    assert "\\x1b[2J" in detail  # shown, not obeyed
