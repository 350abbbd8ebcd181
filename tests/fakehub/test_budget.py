"""The per-minute points budget (GitHub's secondary rate limit), on an injected clock."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from ccat.fakehub import FakeHub, Fault, PointsLimit
from tests.conftest import OPERATOR_TOKEN, REPOSITORIES, auth

KEY = "/repos/ccatobs/ops-db/actions/secrets/public-key"
SECRET = "/repos/ccatobs/ops-db/actions/secrets/GH_PAT"


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """The budget's clock."""
    return Clock()


@pytest.fixture
def hub(clock: Clock) -> Iterator[FakeHub]:
    """An emulator enforcing 10 points per 60 s on `clock`."""
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN) as running:
        running.points_limit = PointsLimit(points=10, window=60.0, clock=clock)
        yield running


@pytest.fixture
def client(hub: FakeHub) -> Iterator[httpx.Client]:
    """A client authenticated as the operator."""
    with httpx.Client(base_url=hub.url, headers=auth(), timeout=10) as client:
        yield client


def test_the_budget_is_off_by_default(fakehub: FakeHub) -> None:
    assert fakehub.points_limit is None
    with httpx.Client(base_url=fakehub.url, headers=auth()) as client:
        assert {client.get("/user").status_code for _ in range(50)} == {200}
    assert fakehub.budget_refusals == 0


def test_reads_cost_one_writes_five_and_retry_after_is_exact(
    hub: FakeHub, client: httpx.Client, clock: Clock
) -> None:
    for _ in range(4):
        assert client.get(KEY).status_code == 200  # t=0: 4 points
    clock.now += 10
    assert client.put(SECRET, json={}).status_code == 422  # t=10: 9 points (a PUT is 5)
    clock.now += 10.5
    assert client.get(KEY).status_code == 200  # t=20.5: 10 points, the budget is full
    refused = client.get(KEY)
    assert refused.status_code == 429
    assert refused.json()["message"].startswith("You have exceeded a secondary rate limit")
    # One point must leave: the oldest read, at t=0, leaves at t=60, 39.5 s from now.
    assert refused.headers["retry-after"] == "40"
    assert "x-ratelimit-remaining" in refused.headers
    # Five points must leave: the PUT at t=10 is the last of them, leaving at t=70.
    assert client.put(SECRET, json={}).headers["retry-after"] == "50"
    assert hub.budget_refusals == 2
    clock.now = 1060.0  # the four reads of t=0 have left: 6 points remain in the window
    assert [client.get(KEY).status_code for _ in range(5)] == [200, 200, 200, 200, 429]
    assert hub.budget_refusals == 3
    assert [r.status for r in hub.requests].count(429) == 3


def test_a_refused_request_costs_nothing_and_reaches_nothing(
    hub: FakeHub, client: httpx.Client, clock: Clock
) -> None:
    hub.add_fault(Fault(path=KEY, status=503, count=1))
    for _ in range(10):
        client.get("/user")
    for _ in range(20):  # refused again and again, without filling the window further
        assert client.get(KEY).status_code == 429
    clock.now += 60
    assert client.get(KEY).status_code == 503  # the fault was still armed
    assert [client.get(KEY).status_code for _ in range(9)] == [200] * 9
    assert client.get(KEY).status_code == 429
    assert hub.budget_refusals == 21


def test_every_request_counts_whoever_sends_it(
    hub: FakeHub, client: httpx.Client, clock: Clock
) -> None:
    for _ in range(10):
        assert httpx.get(f"{hub.url}/user").status_code == 401  # no token: still a point
    assert client.get("/rate_limit").status_code == 429


def test_setting_a_budget_starts_an_empty_window_and_none_turns_it_off(
    hub: FakeHub, client: httpx.Client, clock: Clock
) -> None:
    for _ in range(10):
        client.get("/user")
    assert client.get("/user").status_code == 429
    hub.points_limit = PointsLimit(points=10, window=60.0, clock=clock)
    assert client.get("/user").status_code == 200
    hub.points_limit = None
    assert {client.get("/user").status_code for _ in range(20)} == {200}
    hub.reset_log()
    assert hub.budget_refusals == 0


def test_a_write_larger_than_the_budget_never_fits(clock: Clock) -> None:
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN) as hub:
        hub.points_limit = PointsLimit(points=4, window=60.0, clock=clock)
        response = httpx.put(f"{hub.url}{SECRET}", headers=auth(), json={})
        assert response.status_code == 429
        assert response.headers["retry-after"] == "60"


def test_a_window_of_many_requests_slides_one_by_one(clock: Clock) -> None:
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN) as hub:
        hub.points_limit = PointsLimit(points=900, window=60.0, clock=clock)
        with httpx.Client(base_url=hub.url, headers=auth()) as client:
            for second in range(60):  # 15 points a second for a minute: 900 points
                clock.now = 1000.0 + second
                for _ in range(15):
                    assert client.get("/user").status_code == 200
            refused = client.get("/user")
            assert refused.status_code == 429
            assert refused.headers["retry-after"] == "1"  # the reads of t=0 leave at t=60
            clock.now = 1060.0
            assert [client.get("/user").status_code for _ in range(16)] == [200] * 15 + [429]
        assert hub.budget_refusals == 2


def test_requests_beyond_the_concurrency_limit_are_refused() -> None:
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN, latency=1.0) as hub:
        hub.points_limit = PointsLimit(points=900, max_concurrent=2)
        host, port = hub.url.removeprefix("http://").split(":")
        heads: list[bytes] = []
        ready = threading.Barrier(4)

        def ask() -> None:
            ready.wait(timeout=30)
            with socket.create_connection((host, int(port)), timeout=30) as stream:
                request = f"GET /user HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {OPERATOR_TOKEN}"
                stream.sendall(f"{request}\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while chunk := stream.recv(65536):
                    data += chunk
                heads.append(data.split(b"\r\n", 1)[0])

        callers = [threading.Thread(target=ask) for _ in range(4)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(timeout=60)
        assert sorted(heads) == [b"HTTP/1.1 200 OK"] * 2 + [b"HTTP/1.1 429 Too Many Requests"] * 2
        assert hub.budget_refusals == 2


def test_a_bad_budget_is_refused() -> None:
    with pytest.raises(ValueError):
        PointsLimit(points=0)
    with pytest.raises(ValueError):
        PointsLimit(window=0)
    with pytest.raises(ValueError):
        PointsLimit(max_concurrent=0)
