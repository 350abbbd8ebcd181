"""Injected faults, rate-limit modes and the request log."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from ccat.fakehub import FakeHub, Fault, RateLimitMode
from tests.support.emulator import NEW_TOKEN, OPERATOR_TOKEN, auth

SECRET = "/repos/ccatobs/ops-db/actions/secrets/GH_PAT"


@pytest.fixture
def client(fakehub: FakeHub) -> Iterator[httpx.Client]:
    """A client authenticated as the operator."""
    with httpx.Client(base_url=fakehub.url, headers=auth(), timeout=10) as client:
        yield client


def test_a_status_fault_is_consumed_by_count(fakehub: FakeHub, client: httpx.Client) -> None:
    fakehub.add_fault(
        Fault(method="GET", path="/repos/ccatobs/ops-db/actions/secrets/*", status=502, count=2)
    )
    statuses = [client.get(SECRET).status_code for _ in range(3)]
    assert statuses == [502, 502, 404]
    assert client.get("/repos/ccatobs/ops-db").status_code == 200
    assert [r.status for r in fakehub.requests] == [502, 502, 404, 200]


def test_a_fault_matches_method_and_path(fakehub: FakeHub, client: httpx.Client) -> None:
    fakehub.add_fault(
        Fault(method="PUT", path="/repos/*/actions/secrets/*", status=500, count=None)
    )
    assert client.get(SECRET).status_code == 404
    for _ in range(3):
        response = client.put(SECRET, json={})
        assert response.status_code == 500
        assert response.json()["message"] == "Server Error"
    fakehub.clear_faults()
    assert client.put(SECRET, json={}).status_code == 422


def test_faults_apply_in_the_order_added(fakehub: FakeHub, client: httpx.Client) -> None:
    fakehub.add_fault(Fault(path="/user", status=503, count=1))
    fakehub.add_fault(Fault(path="*", status=500, count=1))
    assert client.get("/user").status_code == 503
    assert client.get("/user").status_code == 500
    assert client.get("/user").status_code == 200


def test_a_fault_sends_retry_after_and_extra_headers(
    fakehub: FakeHub, client: httpx.Client
) -> None:
    fakehub.add_fault(
        Fault(
            path="/user",
            status=403,
            message="You have exceeded a secondary rate limit.",
            retry_after=7,
            headers={"X-Custom": "yes"},
        )
    )
    response = client.get("/user")
    assert response.status_code == 403
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-custom"] == "yes"
    assert "x-ratelimit-remaining" in response.headers
    assert response.json()["message"] == "You have exceeded a secondary rate limit."


def test_a_dropped_request_closes_the_connection_unanswered(
    fakehub: FakeHub, client: httpx.Client
) -> None:
    fakehub.add_fault(Fault(path="/user", action="drop"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/user")
    assert client.get("/user").status_code == 200
    assert [r.status for r in fakehub.requests] == [None, 200]


def test_a_hanging_request_ends_when_the_client_gives_up(
    fakehub: FakeHub, client: httpx.Client
) -> None:
    fakehub.add_fault(Fault(path="/user", action="hang"))
    with pytest.raises(httpx.ReadTimeout):
        client.get("/user", timeout=0.3)
    deadline = time.monotonic() + 10
    while not fakehub.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [r.status for r in fakehub.requests] == [None]
    assert client.get("/user").status_code == 200


def test_stop_releases_a_hanging_request() -> None:
    hub = FakeHub(["o/r"], operator_token=OPERATOR_TOKEN).start()
    hub.add_fault(Fault(path="/user", action="hang"))
    errors: list[BaseException] = []

    def call() -> None:
        try:
            httpx.get(f"{hub.url}/user", headers=auth(), timeout=30)
        except httpx.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 10
    while hub.max_in_flight < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    hub.stop()
    caller.join(timeout=10)
    assert not caller.is_alive()
    assert len(errors) == 1
    assert [r.status for r in hub.requests] == [None]


def test_a_bad_fault_action_is_refused(fakehub: FakeHub) -> None:
    with pytest.raises(ValueError, match="action"):
        fakehub.add_fault(Fault(action="explode"))  # type: ignore[arg-type]


def test_primary_rate_limit_answers_403_until_reset(fakehub: FakeHub, client: httpx.Client) -> None:
    reset = int(time.time()) + 3600
    fakehub.rate_limit = RateLimitMode(kind="primary", remaining=1, reset_at=reset)
    allowed = client.get("/user")
    assert allowed.status_code == 200
    assert allowed.headers["x-ratelimit-remaining"] == "0"
    response = client.get("/repos/ccatobs/ops-db")
    assert response.status_code == 403
    assert response.json()["message"] == "API rate limit exceeded for user ID 1."
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert response.headers["x-ratelimit-reset"] == str(reset)
    overview = client.get("/rate_limit")
    assert overview.status_code == 200
    assert overview.json()["resources"]["core"]["remaining"] == 0
    fakehub.rate_limit = None
    assert client.get("/user").status_code == 200


def test_primary_rate_limit_ends_at_its_reset(fakehub: FakeHub, client: httpx.Client) -> None:
    fakehub.rate_limit = RateLimitMode(kind="primary", reset_at=int(time.time()) - 1)
    assert fakehub.rate_limit is None
    assert client.get("/user").status_code == 200


def test_secondary_rate_limit_answers_429_with_retry_after(
    fakehub: FakeHub, client: httpx.Client
) -> None:
    fakehub.rate_limit = RateLimitMode(kind="secondary", retry_after=60)
    response = client.get(SECRET)
    assert response.status_code == 429
    assert response.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert 59 <= int(response.headers["retry-after"]) <= 60
    assert fakehub.rate_limit == RateLimitMode(kind="secondary", retry_after=60)


def test_rate_limits_come_after_authentication(fakehub: FakeHub) -> None:
    fakehub.rate_limit = RateLimitMode(kind="secondary")
    assert httpx.get(f"{fakehub.url}/user", headers=auth("unknown")).status_code == 401


def test_the_log_never_holds_a_token(fakehub: FakeHub, client: httpx.Client) -> None:
    client.get("/user")
    httpx.get(f"{fakehub.url}/user", headers={"Authorization": f"token {NEW_TOKEN}"})
    httpx.get(f"{fakehub.url}/user", headers=auth("some-unknown-token"))
    logged = fakehub.requests
    assert [r.token_login for r in logged] == ["ccat-operator", "ccat-ci-bot", None]
    for request in logged:
        assert request.headers["authorization"] == "<redacted>"
        text = repr(request)
        for token in [OPERATOR_TOKEN, NEW_TOKEN, "some-unknown-token"]:
            assert token not in text


def test_reset_log_clears_requests_and_max_in_flight(
    fakehub: FakeHub, client: httpx.Client
) -> None:
    client.get("/user")
    assert fakehub.max_in_flight == 1
    assert len(fakehub.requests) == 1
    fakehub.reset_log()
    assert fakehub.requests == []
    assert fakehub.max_in_flight == 0
