"""`FakeHub`: the emulator's Python face, a GitHub REST server on loopback in a daemon thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import TracebackType

from ccat.fakehub import documents
from ccat.fakehub.faults import FaultBook, RateLimiter
from ccat.fakehub.records import Fault, LoggedRequest, RateLimitMode, StoredSecret
from ccat.fakehub.routes import Answer, Request, Router, bearer
from ccat.fakehub.server import HubServer, RequestContext
from ccat.fakehub.state import HubState, parse_time

DEFAULT_OPERATOR_TOKEN = "fakehub-operator-token"
DEFAULT_OPERATOR_LOGIN = "ccat-operator"


class FakeHub:
    """A GitHub REST emulator for the secrets endpoints, served over real HTTP on loopback.

    Answers as described in `ccat.fakehub.routes.Router` (which tokens may do what),
    after applying any injected `Fault` (in the order added) and the `rate_limit` mode.
    Every request, answered or not, is appended to `requests`. Safe to use from the
    test's thread while handler threads run.

    Tokens: `operator_token` (login `operator_login`) may do everything; each token of
    `tokens` (token -> login) is a freshly created PAT: `GET /user` and `GET /rate_limit`
    succeed, anything else is 403 "Resource not accessible by personal access token";
    a missing token is 401 "Requires authentication", any other 401 "Bad credentials".
    `token_expirations` (token -> "YYYY-MM-DD HH:MM:SS UTC") is sent as the
    `GitHub-Authentication-Token-Expiration` header on every answer to that token.
    """

    def __init__(
        self,
        repositories: Iterable[str] = (),
        *,
        operator_token: str = DEFAULT_OPERATOR_TOKEN,
        operator_login: str = DEFAULT_OPERATOR_LOGIN,
        tokens: Mapping[str, str] | None = None,
        token_expirations: Mapping[str, str] | None = None,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.latency = latency
        self.operator_token = operator_token
        self.operator_login = operator_login
        self._state = HubState()
        for full_name in repositories:
            self._state.add_repository(full_name)
        self._faults = FaultBook()
        self._limiter = RateLimiter()
        logins = {**(tokens or {}), operator_token: operator_login}
        self._router = Router(
            self._state, self._limiter, logins, operator_token, token_expirations or {}
        )
        self._address = (host, port)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._log: list[LoggedRequest] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self.stopping = threading.Event()
        self._server: HubServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeHub:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError("the hub is already started")
        self.stopping.clear()
        self._server = HubServer(self._address, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.name = f"fakehub-{self._server.server_address[1]}"
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: release hanging requests, cut connections, close the socket."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self.stopping.set()
        server.shutdown()
        server.cut_connections()
        server.server_close()
        thread.join(timeout=5)
        with self._idle:
            # Released handlers log their request on their way out: wait for them.
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeHub:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL, `http://HOST:PORT` without a trailing slash."""
        if self._server is None:
            raise RuntimeError("the hub is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- repositories and secrets -------------------------------------------------------

    def add_repository(self, full_name: str) -> None:
        """Add a repository `owner/repo` (with its own key pair)."""
        self._state.add_repository(full_name)

    @property
    def repositories(self) -> list[str]:
        """Every repository's full name, in the order added."""
        return self._state.repository_names

    def set_secret(
        self, repository: str, name: str, value: str, updated_at: str | datetime | None = None
    ) -> None:
        """Store a secret's plaintext directly; `updated_at` (ISO-8601 or datetime) backdates it."""
        at = None if updated_at is None else parse_time(updated_at)
        self._state.set_plain(repository, name, value, at)

    def secret(self, repository: str, name: str) -> StoredSecret | None:
        """The stored secret with its decrypted value, or None (also for unknown repositories)."""
        return self._state.secret(repository, name)

    def delete_secret(self, repository: str, name: str) -> bool:
        """Remove a secret directly; True when it existed."""
        return self._state.delete_secret(repository, name)

    def public_key(self, repository: str) -> tuple[str, str]:
        """`(key_id, base64 public key)` of a repository; KeyError when unknown."""
        return self._state.public_key(repository)

    def rotate_public_key(self, repository: str) -> tuple[str, str]:
        """Replace a repository's key pair, as GitHub may; returns the new `(key_id, key)`."""
        return self._state.rotate_public_key(repository)

    # -- faults, rate limits, log -------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        """Inject a fault; faults apply before normal handling, in the order added."""
        self._faults.add(fault)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._faults.clear()

    @property
    def rate_limit(self) -> RateLimitMode | None:
        """The imposed rate-limit mode, None when none is (or it has ended)."""
        return self._limiter.mode

    @rate_limit.setter
    def rate_limit(self, mode: RateLimitMode | None) -> None:
        self._limiter.mode = mode

    @property
    def requests(self) -> list[LoggedRequest]:
        """A copy of the request log, in the order requests finished."""
        with self._lock:
            return list(self._log)

    @property
    def max_in_flight(self) -> int:
        """The most requests handled at once since start or `reset_log`."""
        with self._lock:
            return self._max_in_flight

    def reset_log(self) -> None:
        """Clear the request log and the in-flight high-water mark."""
        with self._lock:
            self._log.clear()
            self._max_in_flight = self._in_flight

    # -- called by handler threads ------------------------------------------------------

    def begin(self) -> None:
        """Count a request in flight, from the end of its head to the end of its answer."""
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def dispatch(self, request: Request, handler: RequestContext) -> Answer | None:
        """Apply latency, faults, then the router; None when the request gets no answer."""
        if self.latency > 0:
            self.stopping.wait(self.latency)
        fault = self._faults.take(request.method, request.path)
        if fault is None:
            return self._router.answer(request)
        if fault.action == "drop":
            return None
        if fault.action == "hang":
            handler.hang()
            return None
        headers = self._limiter.check(counted=False).headers()
        if fault.retry_after is not None:
            headers["retry-after"] = str(fault.retry_after)
        headers.update({k.lower(): v for k, v in fault.headers.items()})
        body = None if fault.status in (204, 304) else documents.error(fault.message, fault.status)
        return Answer(fault.status, body, headers)

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
            token_login=self._router.login_of(bearer(request.headers.get("authorization"))),
            json=body,
            status=status,
            started=started,
            finished=time.monotonic(),
            raw_path=raw_path,
        )
        with self._lock:
            self._log.append(entry)
            self._in_flight -= 1
            self._idle.notify_all()
