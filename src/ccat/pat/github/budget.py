"""GitHub's per-minute request budget, kept on our side so that GitHub never has to refuse us.

GitHub.com allows at most 900 points per minute on its REST API (a GET costs 1 point, a
PUT 5: `ccat.pat.github_rules`) and counts repeated refusals against an integration.
Every request of a run borrows its points from one `PointsBudget` before it is sent: at
most `points` in any window of `window` seconds. A point is counted from the moment its
request is sent until `window` seconds after its answer arrived — GitHub counted it
somewhere in between, so our window never ends before GitHub's. A rate limit from GitHub
pauses every request of the run (`pause`), not only the one that was refused; the time
the run has spent paused so (waits that overlap counted once) is what `--max-wait`
bounds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from ccat.pat.github_rules import POINTS_WINDOW
from ccat.pat.settings import DEFAULTS


@dataclass
class _Spent:
    points: int


class PointsBudget:
    """At most `points` points in any `window` seconds (`points` 0: no limit).

    Points of requests in flight are counted apart; once answered, they wait out the
    window in a queue ordered by release time, so expiring them is O(1) per request.
    `monotonic` and `sleep` are injectable so that tests need not wait a minute.
    """

    def __init__(
        self,
        points: int = DEFAULTS.budget,
        window: float = POINTS_WINDOW,
        *,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self.points = points
        self.window = window
        self._monotonic = monotonic
        self._sleep = sleep
        self._in_flight = 0
        self._released: deque[tuple[float, int]] = deque()  # (leaves the window at, points)
        self._released_points = 0
        self._paused_until = 0.0
        self.paused_total = 0.0  # seconds the run has been paused by rate limits, in all
        self._turn = anyio.Lock()  # first come, first served: no request is starved

    @property
    def limited(self) -> bool:
        """Whether this budget limits anything."""
        return self.points > 0

    def delay(self, cost: int) -> float:
        """Seconds until `cost` points may be spent (0: now)."""
        now = self._monotonic()
        paused = max(0.0, self._paused_until - now)
        if not self.limited:
            return paused
        self._expire(now)
        excess = self._in_flight + self._released_points + cost - self.points
        if excess <= 0:
            return paused
        for leaves_at, points in self._released:
            excess -= points
            if excess <= 0:
                return max(paused, leaves_at - now)
        # Requests in flight hold the rest: look again once some may have been answered.
        return max(paused, self.window / 60)

    async def acquire(self, cost: int, on_wait: Callable[[float], None] | None = None) -> _Spent:
        """Wait for `cost` points, then take them; `release` them once the answer is in."""
        # A budget smaller than one request's price still lets that request through alone.
        cost = min(cost, self.points) if self.limited else 0
        async with self._turn:
            while (wait := self.delay(cost)) > 0:
                if on_wait is not None:
                    on_wait(wait)
                await self._sleep(wait)
            self._in_flight += cost
            return _Spent(cost)

    def release(self, spent: _Spent) -> None:
        """The request's answer arrived (or it failed): its points leave in `window` s."""
        if spent.points:
            self._in_flight -= spent.points
            self._released.append((self._monotonic() + self.window, spent.points))
            self._released_points += spent.points
            spent.points = 0  # released once

    def pause_growth(self, seconds: float) -> float:
        """How much longer the run would be paused if `pause(seconds)` were called now:
        less than `seconds` when a pause is already running (the two overlap)."""
        now = self._monotonic()
        return max(0.0, now + seconds - max(self._paused_until, now))

    def pause(self, seconds: float) -> float:
        """GitHub asked us to wait: no request of the run is sent for `seconds`. Returns
        the time this adds to the run's pause, which `paused_total` counts."""
        growth = self.pause_growth(seconds)
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)
        self.paused_total += growth
        return growth

    def _expire(self, now: float) -> None:
        while self._released and self._released[0][0] <= now:
            self._released_points -= self._released.popleft()[1]
