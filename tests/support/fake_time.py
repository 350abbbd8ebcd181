"""A clock for the client that a test controls: sleeping advances it instantly.

`FakeTime().timing` is a `ccat.pat.github.transport.Timing` whose sleep records how long the
client wanted to wait and returns at once (after yielding to other tasks), so tests of
backoff, rate limits and the request budget take milliseconds and assert the waits
themselves instead of wall-clock time.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import anyio
import anyio.lowlevel

from ccat.pat.github.transport import Timing


class FakeTime:
    """Monotonic and wall clocks that move only when the client sleeps (or `advance`)."""

    def __init__(self, on_sleep: Callable[[float], None] | None = None) -> None:
        self.now = 1_000.0
        self._wall_offset = time.time() - self.now
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + self._wall_offset

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        await anyio.lowlevel.checkpoint()

    @property
    def timing(self) -> Timing:
        return Timing(
            sleep=self.sleep, monotonic=self.monotonic, wall=self.wall, rng=random.Random(7)
        )
