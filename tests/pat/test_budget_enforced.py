"""The client's request budget against the emulator enforcing GitHub's rule.

The emulator refuses (429, `Retry-After`) any request beyond 900 points in a sliding
60-second window, as GitHub.com does. The client's budget and the emulator's window read
one fake clock that moves only when the client sleeps, so a run that needs minutes of
budget takes a few seconds, and its duration on that clock is exact: it must draw no 429
and must not be much slower than the rule allows. A `Retry-After` from the server
(`test_a_retry_after_pauses_every_request`) is about real time, so that test waits.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ccat.commands.inputs import resolve_connection
from ccat.fakehub import FakeHub, Fault, PointsLimit
from ccat.options import ConnectionArgs
from ccat.pat.github import PointsBudget, open_client
from ccat.pat.github_rules import POINTS_PER_MINUTE, POINTS_WINDOW, points_of
from ccat.pat.graph import load_graph
from ccat.pat.journal import Journal
from ccat.pat.rotation import RotateOptions
from ccat.pat.settings import ClientSettings
from ccat.pat.status import StatusOptions, run_status
from tests.conftest import OPERATOR_LOGIN, OPERATOR_TOKEN, emulator
from tests.fake_time import FakeTime
from tests.rotation_support import SECONDARY, SECRET, holding, run_rotation, write_graph

pytestmark = pytest.mark.anyio

SECONDS_SLACK = 0.10  # "within 10 % of the budget's minimum"


def minimum_seconds(
    points: int, budget: int = POINTS_PER_MINUTE, window: float = POINTS_WINDOW
) -> float:
    """The least time `points` points can take under `budget` points per `window`: every
    budget's worth beyond the first must wait for a window to pass."""
    return (math.ceil(points / budget) - 1) * window


def points_received(hub: FakeHub) -> int:
    """What the emulator charged for every request it received."""
    return sum(points_of(request.method) for request in hub.requests)


def enforcing(hub: FakeHub, clock: FakeTime) -> None:
    """The emulator enforces GitHub.com's rule on the test's clock."""
    hub.points_limit = PointsLimit(
        points=POINTS_PER_MINUTE, window=POINTS_WINDOW, clock=clock.monotonic
    )


def names(count: int) -> list[str]:
    return [f"repo-{index:04d}" for index in range(count)]


async def test_status_over_1200_repositories_draws_no_429_at_the_budgets_pace() -> None:
    repositories = [f"ccatobs/{name}" for name in names(1200)]
    clock = FakeTime()
    with FakeHub(repositories, operator_token=OPERATOR_TOKEN, operator_login=OPERATOR_LOGIN) as hub:
        for index, repository in enumerate(repositories):
            if index % 10:  # one in ten has no secret of its own: 2 requests there
                hub.set_secret(repository, SECRET, "value")
        enforcing(hub, clock)
        settings = ClientSettings(api_url=hub.url, token=OPERATOR_TOKEN)  # default budget
        assert settings.budget == POINTS_PER_MINUTE
        started = clock.now
        report = await run_status(
            StatusOptions(
                connect=lambda: open_client(settings, timing=clock.timing),
                repositories=repositories,
                secret=SECRET,
                org="ccatobs",
            )
        )
        elapsed = clock.now - started
    assert (report.count("present"), report.count("missing"), report.count("error")) == (
        1080,
        120,
        0,
    )
    assert hub.budget_refusals == 0
    assert [r for r in hub.requests if r.status == 429] == []
    points = points_received(hub)
    assert points == 1200 + 120 + 1  # one list per repository, org secrets where missing
    minimum = minimum_seconds(points)
    assert minimum == 60
    assert minimum <= elapsed <= minimum * (1 + SECONDS_SLACK), clock.sleeps


async def test_rotation_preflight_and_writes_draw_no_429_at_the_budgets_pace(
    tmp_path: Path, new_token: str
) -> None:
    graph = load_graph(write_graph(tmp_path / "dependency-graph.yml", names(299)))
    targets = [target.full_name for target in graph.targets]
    assert len(targets) == 300  # system-integration and the 299 named
    clock = FakeTime()
    with emulator(targets, OPERATOR_TOKEN, new_token) as hub:
        enforcing(hub, clock)
        settings = ClientSettings(api_url=hub.url, token=OPERATOR_TOKEN)
        # The preflight and the writes use two clients; the run's budget is one.
        budget = PointsBudget(settings.budget, monotonic=clock.monotonic, sleep=clock.sleep)
        options = RotateOptions(
            connect=lambda: open_client(settings, timing=clock.timing, budget=budget),
            journal=Journal(tmp_path / "state" / "pat-journal.json"),
            graph=graph,
            secret=SECRET,
            api_url=hub.url,
            operator_token=OPERATOR_TOKEN,
            new_token=new_token,
            write_interval=0,
            monotonic=clock.monotonic,
        )
        started = clock.now
        outcome = await run_rotation(options)
        elapsed = clock.now - started
    assert outcome.completed
    assert holding(hub, new_token) == set(targets)
    assert hub.budget_refusals == 0
    assert [r for r in hub.requests if r.status == 429] == []
    writes = [r for r in hub.requests if r.method == "PUT"]
    assert len(writes) == 300
    # GET /user for each token, then per repository its workflow runs and its key (1 point
    # each) and one PUT (5 points): 2,102 points, three windows' worth.
    points = points_received(hub)
    assert points == 2 + 300 * 2 + 300 * 5
    minimum = minimum_seconds(points)
    assert minimum == 120
    assert minimum <= elapsed <= minimum * (1 + SECONDS_SLACK), clock.sleeps


async def test_the_clients_of_one_command_share_its_budget(
    tmp_path: Path, fakehub: FakeHub
) -> None:
    # What `ccat pat rotate` does: one connection, a client for the preflight, another
    # (in another event loop) for the writes. The second must know the first's points.
    graph = write_graph(tmp_path / "dependency-graph.yml", ["ops-db"])
    args = ConnectionArgs(graph=graph, api_url=fakehub.url)
    connection = resolve_connection(args, {"GH_TOKEN": OPERATOR_TOKEN})
    async with connection.client_factory(None) as preflight:
        await preflight.find_secret("ccatobs/ops-db", SECRET)
    async with connection.client_factory(None) as writes:
        budget = writes.transport.budget
        assert budget.points == POINTS_PER_MINUTE
        assert budget.delay(POINTS_PER_MINUTE - 1) == 0
        assert budget.delay(POINTS_PER_MINUTE) > 0  # the preflight's point is still counted


@pytest.mark.slow  # waits out a real Retry-After of 3 s
async def test_a_retry_after_pauses_every_request() -> None:
    # 200 repositories at 100 ms: about 1.3 s of requests at 16 in flight. One early
    # request is refused with Retry-After: 3. Had only that request waited, the others
    # would reach the emulator during those 3 s; none may.
    retry_after = 3
    repositories = [f"ccatobs/{name}" for name in names(200)]
    refused_path = f"/repos/{repositories[5]}/actions/secrets"
    with FakeHub(
        repositories, operator_token=OPERATOR_TOKEN, operator_login=OPERATOR_LOGIN, latency=0.1
    ) as hub:
        for repository in repositories:
            hub.set_secret(repository, SECRET, "value")
        hub.add_fault(Fault("GET", refused_path, 429, 1, SECONDARY, retry_after=retry_after))
        settings = ClientSettings(api_url=hub.url, token=OPERATOR_TOKEN, budget=0)
        report = await run_status(
            StatusOptions(
                connect=lambda: open_client(settings),
                repositories=repositories,
                secret=SECRET,
                org="ccatobs",
            )
        )
    assert report.count("present") == 200
    log = hub.requests
    (refused,) = [r for r in log if r.status == 429]
    # The emulator logs an answer just before sending it: the client's pause begins after
    # `refused.finished`. Requests already on their way may arrive a moment later.
    on_their_way = refused.finished + 0.5
    paused_until = refused.finished + retry_after
    during = [r.path for r in log if on_their_way <= r.started < paused_until]
    after = [r for r in log if r.started >= paused_until]
    assert during == []
    assert len(after) > 100  # most of the run came after the pause: it was there to see
