"""What the server asks of the hub for each request: latency, the points budget, injected
faults, then the router; and the request log with the in-flight count."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from ccat.fakehub import documents
from ccat.fakehub.budget import PointsWindow
from ccat.fakehub.exchange import Answer, Request
from ccat.fakehub.faults import FaultBook, RateLimiter
from ccat.fakehub.records import Fault, LoggedRequest
from ccat.fakehub.routes import Router, bearer, secondary_limit
from ccat.fakehub.server import RequestContext


class HubDispatcher:
    """Answers each request the server has parsed, and logs it; shared by handler threads.

    The order per request: the points budget decides on arrival (a refused request
    reaches nothing else and costs nothing), then `latency` passes (a refusal too is
    answered after it), then the first matching fault, then the router.
    """

    def __init__(self, router: Router, faults: FaultBook, limiter: RateLimiter) -> None:
        self.router = router
        self.faults = faults
        self.limiter = limiter
        self.latency = 0.0
        self.budget: PointsWindow | None = None
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.log: list[LoggedRequest] = []
        # Called in the handler's thread with each request once it is logged.
        self.on_request: Callable[[LoggedRequest], None] | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        self.budget_refusals = 0

    def begin(self) -> int:
        """Count a request in flight, from the end of its head to the end of its answer;
        returns how many are in flight with it."""
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return self.in_flight

    def dispatch(self, request: Request, handler: RequestContext) -> Answer | None:
        """The answer to a request; None when it gets no answer (dropped or hung)."""
        refusal = self._over_budget(request, handler.in_flight_at_arrival)
        if self.latency > 0:
            self.stopping.wait(self.latency)
        if refusal is not None:
            return refusal
        fault = self.faults.take(request.method, request.path)
        if fault is None:
            return self.router.answer(request)
        if fault.action == "drop":
            return None
        if fault.action == "hang":
            handler.hang()
            return None
        return self._fault_answer(fault)

    def _over_budget(self, request: Request, in_flight: int) -> Answer | None:
        budget = self.budget
        wait = None if budget is None else budget.admit(request.method, in_flight)
        if wait is None:
            return None
        with self._lock:
            self.budget_refusals += 1
        headers = {**self.limiter.check(counted=False).headers(), "retry-after": str(wait)}
        return Answer(429, secondary_limit(429), headers)

    def _fault_answer(self, fault: Fault) -> Answer:
        headers: dict[str, str] = {}
        if fault.github_headers:
            headers.update(self.limiter.check(counted=False).headers())
        if fault.retry_after is not None:
            headers["retry-after"] = str(fault.retry_after)
        headers.update({name.lower(): value for name, value in fault.headers.items()})
        if fault.body is not None:
            return Answer(
                fault.status,
                None,
                headers,
                raw=fault.body,
                repeat=fault.body_repeat,
                github_headers=fault.github_headers,
            )
        body = None if fault.status in (204, 304) else documents.error(fault.message, fault.status)
        return Answer(fault.status, body, headers, github_headers=fault.github_headers)

    def finished(self, request: Request, status: int | None, started: float, raw_path: str) -> None:
        """Log a request and count it out of flight."""
        headers = dict(request.headers)
        if "authorization" in headers:
            headers["authorization"] = "<redacted>"
        try:
            body = json.loads(request.body) if request.body else None
        except ValueError:
            body = None
        entry = LoggedRequest(
            method=request.method,
            path=request.path,
            query=request.query,
            headers=headers,
            token_login=self.router.login_of(bearer(request.headers.get("authorization"))),
            json=body,
            status=status,
            started=started,
            finished=time.monotonic(),
            raw_path=raw_path,
        )
        with self._lock:
            self.log.append(entry)
            self.in_flight -= 1
            self._idle.notify_all()
        listener = self.on_request
        if listener is not None:
            listener(entry)

    # -- for the hub's own thread ---------------------------------------------------------

    def snapshot(self) -> list[LoggedRequest]:
        """A copy of the request log."""
        with self._lock:
            return list(self.log)

    def reset(self) -> None:
        """Clear the log, the in-flight high-water mark and the budget refusals."""
        with self._lock:
            self.log.clear()
            self.max_in_flight = self.in_flight
            self.budget_refusals = 0

    def wait_idle(self, timeout: float) -> None:
        """Wait until no request is in flight (released handlers log on their way out)."""
        with self._idle:
            self._idle.wait_for(lambda: self.in_flight == 0, timeout=timeout)
