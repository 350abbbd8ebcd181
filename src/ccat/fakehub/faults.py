"""Injected faults and rate limits: which request gets which failure; x-ratelimit counters."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from ccat.fakehub.records import Fault, RateLimitMode

CORE_LIMIT = 5000
WINDOW = 3600


class FaultBook:
    """The faults still to inject, in the order they were added."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Append a fault; it applies after every fault added before it.

        ValueError when it cannot be sent as described (see `Fault.check`)."""
        fault.check()
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Forget every fault."""
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, consuming one of its count."""
        with self._lock:
            for index, fault in enumerate(self._faults):
                if not fault.matches(method, path):
                    continue
                if fault.count is not None:
                    if fault.count <= 1:
                        del self._faults[index]
                    else:
                        self._faults[index] = replace(fault, count=fault.count - 1)
                return fault
            return None


@dataclass(frozen=True)
class RateVerdict:
    """What the rate limiter says about one request, and the headers to send with it."""

    limited: RateLimitMode | None
    limit: int
    remaining: int
    used: int
    reset: int
    retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        """The `x-ratelimit-*` headers GitHub sends on every answer."""
        headers = {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-resource": "core",
        }
        if self.retry_after is not None:
            headers["retry-after"] = str(self.retry_after)
        return headers


class RateLimiter:
    """The core rate limit: normally generous and never exhausted, or an imposed mode.

    A primary mode ends at its `reset_at`, a secondary one `retry_after` seconds after it
    was set, so that a client which waits as told then succeeds, as on GitHub.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._used = 0
        self._reset = int(clock()) + WINDOW
        self._mode: RateLimitMode | None = None
        self._mode_ends = 0.0
        self._left = 0

    @property
    def mode(self) -> RateLimitMode | None:
        """The imposed mode, or None once it has ended or when none was set."""
        with self._lock:
            self._expire(self._clock())
            return self._mode

    @mode.setter
    def mode(self, mode: RateLimitMode | None) -> None:
        now = self._clock()
        with self._lock:
            if mode is not None and mode.kind == "primary" and mode.reset_at is None:
                mode = replace(mode, reset_at=int(now) + 60)
            self._mode = mode
            if mode is not None:
                self._left = mode.remaining
                ends = mode.reset_at if mode.kind == "primary" else now + mode.retry_after
                self._mode_ends = float(ends or 0)

    def _expire(self, now: float) -> None:
        if self._mode is not None and now >= self._mode_ends:
            self._mode = None

    def refund(self) -> None:
        """Give back one counted request (GitHub does not count a 304 answer)."""
        with self._lock:
            if self._mode is not None and self._mode.kind == "primary":
                self._left += 1
            elif self._used > 0:
                self._used -= 1

    def check(self, counted: bool = True) -> RateVerdict:
        """Count one request (unless not `counted`) and say whether it is rate limited."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            mode = self._mode
            if mode is not None and mode.kind == "secondary":
                wait = max(1, math.ceil(self._mode_ends - now))
                return RateVerdict(
                    mode if counted else None,
                    CORE_LIMIT,
                    CORE_LIMIT - self._used,
                    self._used,
                    self._reset,
                    retry_after=wait if counted else None,
                )
            if mode is not None:
                reset = int(self._mode_ends)
                if counted and self._left <= 0:
                    return RateVerdict(mode, CORE_LIMIT, 0, CORE_LIMIT, reset)
                if counted:
                    self._left -= 1
                return RateVerdict(None, CORE_LIMIT, self._left, CORE_LIMIT - self._left, reset)
            if now >= self._reset or self._used >= CORE_LIMIT - 1:
                # The normal mode never runs out: a client seeing remaining 0 would wait.
                self._used, self._reset = 0, int(now) + WINDOW
            if counted:
                self._used += 1
            return RateVerdict(None, CORE_LIMIT, CORE_LIMIT - self._used, self._used, self._reset)


ANONYMOUS_LIMIT = 60


class AnonymousLimit:
    """GitHub's rate limit of unauthenticated requests: `limit` an hour (per address; the
    emulator has one client address), counted apart from the authenticated core limit.
    `POST /credentials/revoke` is the one endpoint that must be called without a token."""

    def __init__(self, limit: int = ANONYMOUS_LIMIT, clock: Callable[[], float] = time.time):
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._used = 0
        self._reset = int(clock()) + WINDOW

    def check(self) -> RateVerdict:
        """Count one request; `limited` is set (a primary mode) once the hour's are used."""
        now = self._clock()
        with self._lock:
            if now >= self._reset:
                self._used, self._reset = 0, int(now) + WINDOW
            if self._used >= self.limit:
                exhausted = RateLimitMode("primary", reset_at=self._reset, status=403)
                return RateVerdict(exhausted, self.limit, 0, self._used, self._reset)
            self._used += 1
            return RateVerdict(None, self.limit, self.limit - self._used, self._used, self._reset)
