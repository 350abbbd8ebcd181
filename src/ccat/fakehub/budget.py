"""The per-minute points budget (GitHub's secondary rate limit) as a sliding window.

Admitting a request costs amortised O(1); a refusal finds its `Retry-After` by bisection
over the window's running totals, O(log points).
"""

from __future__ import annotations

import bisect
import math
import threading

from ccat.fakehub.records import PointsLimit
from ccat.pat.github_rules import points_of


class PointsWindow:
    """Enforces one `PointsLimit` over every request of a hub, from many threads."""

    def __init__(self, limit: PointsLimit) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._times: list[float] = []  # when each admitted request arrived, in order
        self._totals: list[int] = []  # running total of points up to each of them
        self._first = 0  # index of the oldest request still inside the window
        self._left_total = 0  # running total of the requests that have left it

    def admit(self, method: str, in_flight: int) -> int | None:
        """Count a request in (None) or refuse it: the seconds until it would fit.

        `in_flight` counts the requests being handled, this one included.
        """
        cost = points_of(method)
        limit = self.limit
        if limit.max_concurrent is not None and in_flight > limit.max_concurrent:
            return 1
        with self._lock:
            now = limit.clock()
            self._expire(now - limit.window)
            total = self._totals[-1] if self._totals else 0
            excess = total - self._left_total + cost - limit.points
            if excess <= 0:
                self._times.append(now)
                self._totals.append(total + cost)
                return None
            if cost > limit.points:
                return math.ceil(limit.window)  # never fits; GitHub would say the same
            # The oldest requests must leave until `excess` points have gone: the first
            # whose running total reaches that many points is the last one to wait for.
            index = bisect.bisect_left(self._totals, self._left_total + excess, lo=self._first)
            return max(1, math.ceil(self._times[index] + limit.window - now))

    def _expire(self, horizon: float) -> None:
        times, first = self._times, self._first
        while first < len(times) and times[first] <= horizon:
            first += 1
        if first:
            self._left_total = self._totals[first - 1]
        if first > 1024 and first * 2 > len(times):
            del self._times[:first], self._totals[:first]
            first = 0
        self._first = first
