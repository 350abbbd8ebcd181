"""The request budget on its own, on a clock the test controls: at most N points in any
window, writes cost 5, a pause holds every request, and requests in flight count."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from ccat.pat.github import PointsBudget
from ccat.pat.github_rules import points_of
from tests.fake_time import FakeTime

pytestmark = pytest.mark.anyio


def budget(clock: FakeTime, points: int = 10, window: float = 60.0) -> PointsBudget:
    return PointsBudget(points, window, monotonic=clock.monotonic, sleep=clock.sleep)


def test_reads_cost_one_point_and_writes_five() -> None:
    assert [points_of(m) for m in ("GET", "get", "HEAD", "OPTIONS")] == [1, 1, 1, 1]
    assert [points_of(m) for m in ("PUT", "POST", "PATCH", "DELETE")] == [5, 5, 5, 5]


async def test_no_more_points_than_the_budget_in_any_window() -> None:
    clock = FakeTime()
    limit = budget(clock, points=10, window=60)
    starts: list[float] = []
    for _ in range(25):
        spent = await limit.acquire(1)
        starts.append(clock.now)
        limit.release(spent)
    # The invariant, checked over every window that starts at a request.
    for first in starts:
        assert sum(1 for t in starts if first <= t < first + 60) <= 10
    # And it is not slower than it must be: 25 requests need two full windows.
    assert starts[-1] - starts[0] == pytest.approx(120, abs=0.01)


async def test_a_write_costs_five_points() -> None:
    clock = FakeTime()
    limit = budget(clock, points=10)
    for _ in range(2):
        limit.release(await limit.acquire(5))
    assert clock.sleeps == []
    limit.release(await limit.acquire(1))
    assert clock.sleeps and sum(clock.sleeps) == pytest.approx(60, abs=0.01)


async def test_points_of_a_request_in_flight_are_not_given_back_early() -> None:
    clock = FakeTime()
    limit = budget(clock, points=2)
    first = await limit.acquire(1)  # never released: still in flight
    limit.release(await limit.acquire(1))
    clock.advance(600)
    # The released one left the window; the one in flight still holds its point.
    assert limit.delay(1) == 0
    limit.release(await limit.acquire(1))
    assert limit.delay(1) > 0
    limit.release(first)


async def test_a_pause_holds_every_request_and_counts_from_when_it_was_asked() -> None:
    clock = FakeTime()
    limit = budget(clock, points=0)  # no budget: only the pause holds
    limit.pause(30)
    waits: list[float] = []
    limit.release(await limit.acquire(1, waits.append))
    assert sum(clock.sleeps) == pytest.approx(30)
    assert waits and waits[0] == pytest.approx(30)
    limit.release(await limit.acquire(1))
    assert sum(clock.sleeps) == pytest.approx(30)  # the pause is over


async def test_no_budget_never_waits() -> None:
    clock = FakeTime()
    limit = budget(clock, points=0)
    for _ in range(10_000):
        limit.release(await limit.acquire(5))
    assert clock.sleeps == []


async def test_a_request_dearer_than_the_whole_budget_still_goes_alone() -> None:
    clock = FakeTime()
    limit = budget(clock, points=3)
    with anyio.fail_after(5):
        limit.release(await limit.acquire(5))
        limit.release(await limit.acquire(5))
    assert sum(clock.sleeps) == pytest.approx(60, abs=0.01)


async def test_concurrent_borrowers_share_one_budget() -> None:
    clock = FakeTime()
    limit = budget(clock, points=20)
    starts: list[float] = []

    async def borrower() -> None:
        for _ in range(10):
            spent = await limit.acquire(1)
            starts.append(clock.now)
            await anyio.lowlevel.checkpoint()
            limit.release(spent)

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(borrower)
    assert len(starts) == 60
    for first in starts:
        assert sum(1 for t in starts if first <= t < first + 60) <= 20
