"""`FakeHub`: the emulator's Python face, a GitHub REST server on loopback in a daemon thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType

from ccat.fakehub.budget import PointsWindow
from ccat.fakehub.dispatcher import HubDispatcher
from ccat.fakehub.faults import FaultBook, RateLimiter
from ccat.fakehub.org_secrets import OrgSecretWrite, Visibility
from ccat.fakehub.records import Fault, LoggedRequest, PointsLimit, RateLimitMode, StoredSecret
from ccat.fakehub.routes import Router
from ccat.fakehub.server import HubServer
from ccat.fakehub.state import HubState
from ccat.fakehub.timestamps import parse_time
from ccat.fakehub.tokens import INSTALLATION_PREFIX, TokenSpec, spec_for

DEFAULT_OPERATOR_TOKEN = "fakehub-operator-token"
DEFAULT_OPERATOR_LOGIN = "ccat-operator"


def _spec(token: str, value: str | TokenSpec) -> TokenSpec:
    return spec_for(token, value) if isinstance(value, str) else value


class FakeHub:
    """A GitHub REST emulator for the secrets endpoints, served over real HTTP on loopback.

    Every repository has three kinds of secret store, as on GitHub: Actions, Dependabot
    and one per deployment environment, each with its own key pair; `store` arguments
    name them `actions`, `dependabot` and `environment:NAME`.

    Answers as described in `ccat.fakehub.routes.Router` (which token may see and do
    what), after the points limit (`points_limit`), any injected `Fault` (in the order
    added) and the `rate_limit` mode. Every request, answered or not, is appended to
    `requests`. Safe to use from the test's thread while handler threads run.

    Tokens: `operator_token` (login `operator_login`) may do everything; it is a classic
    token with the scopes `repo, workflow`, or, when it starts with `ghs_`, a GitHub App
    installation token (no user: `GET /user` is 403 to it). Each entry of `tokens` maps
    a token to its `TokenSpec`, or to a bare login, which means `TokenSpec(login)`: a
    fine-grained token for every repository with `metadata` and `actions` read — it
    reads its user and workflow runs, and gets 403 on the secrets endpoints (a `ghs_`
    token with a bare login is an installation's that may read and write secrets, see
    `tokens.spec_for`). `token_expirations` (token -> "YYYY-MM-DD HH:MM:SS UTC") gives a
    token without its own `expires_at` an expiry; `set_expiry` changes it while serving.
    A missing token is 401 "Requires authentication", an unknown, expired or revoked
    one 401 "Bad credentials".
    """

    def __init__(
        self,
        repositories: Iterable[str] = (),
        *,
        operator_token: str = DEFAULT_OPERATOR_TOKEN,
        operator_login: str = DEFAULT_OPERATOR_LOGIN,
        tokens: Mapping[str, str | TokenSpec] | None = None,
        token_expirations: Mapping[str, str] | None = None,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.operator_token = operator_token
        self.operator_login = operator_login
        self._state = HubState()
        for full_name in repositories:
            self._state.add_repository(full_name)
        expirations = dict(token_expirations or {})
        specs = {token: _spec(token, value) for token, value in (tokens or {}).items()}
        for token, expiry in expirations.items():
            if token in specs and specs[token].expires_at is None:
                specs[token] = replace(specs[token], expires_at=expiry)
        operator = TokenSpec(
            operator_login,
            kind="installation" if operator_token.startswith(INSTALLATION_PREFIX) else "classic",
            scopes=("repo", "workflow"),
            expires_at=expirations.get(operator_token),
        )
        self._limiter = RateLimiter()
        self._faults = FaultBook()
        router = Router(self._state, self._limiter, operator_token, operator, specs)
        self._dispatcher = HubDispatcher(router, self._faults, self._limiter)
        self._dispatcher.latency = latency
        self._points_limit: PointsLimit | None = None
        self._address = (host, port)
        self._server: HubServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeHub:
        """Bind and serve in a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError("the hub is already started")
        self._dispatcher.stopping.clear()
        self._server = HubServer(self._address, self._dispatcher)
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
        self._dispatcher.stopping.set()
        server.shutdown()
        server.cut_connections()
        server.server_close()
        thread.join(timeout=5)
        self._dispatcher.wait_idle(timeout=5)
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

    @property
    def stopping(self) -> threading.Event:
        """Set while the hub stops; hanging requests and latency waits end on it."""
        return self._dispatcher.stopping

    @property
    def latency(self) -> float:
        """Seconds added before every answer."""
        return self._dispatcher.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._dispatcher.latency = seconds

    @property
    def on_request(self) -> Callable[[LoggedRequest], None] | None:
        """Called with each request once it is logged (in the handler's thread), e.g. to
        print it; None: nothing is called."""
        return self._dispatcher.on_request

    @on_request.setter
    def on_request(self, listener: Callable[[LoggedRequest], None] | None) -> None:
        self._dispatcher.on_request = listener

    # -- tokens -------------------------------------------------------------------------

    def add_token(self, token: str, spec: str | TokenSpec) -> None:
        """Know one more token (a bare login: `TokenSpec(login)`), also while serving."""
        self._dispatcher.router.add_token(token, _spec(token, spec))

    def set_expiry(self, token: str, expires_at: str | datetime | None) -> None:
        """Give a known token another expiry, also while serving (None: no expiry): GitHub
        sends it from the next answer on, and 401 once it is past. `expires_at` is an
        aware datetime or GitHub's form, "YYYY-MM-DD HH:MM:SS UTC". KeyError for a token
        the hub does not know."""
        if isinstance(expires_at, datetime):
            expires_at = expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        self._dispatcher.router.set_expiry(token, expires_at)

    @property
    def revoked(self) -> frozenset[str]:
        """Every credential `POST /credentials/revoke` was given (known or not)."""
        return self._state.revoked

    # -- repositories and secrets -------------------------------------------------------

    def add_repository(self, full_name: str) -> None:
        """Add a repository `owner/repo` (with its own key pair)."""
        self._state.add_repository(full_name)

    @property
    def repositories(self) -> list[str]:
        """Every repository's full name, in the order added."""
        return self._state.repository_names

    def set_secret(
        self,
        repository: str,
        name: str,
        value: str,
        *,
        store: str = "actions",
        created_at: str | datetime | None = None,
        updated_at: str | datetime | None = None,
    ) -> None:
        """Store a secret's plaintext directly in `store` (`actions`, `dependabot` or
        `environment:NAME`, the environment created if need be); `updated_at` and
        `created_at` (ISO-8601 or aware datetime) backdate it (`created_at` defaults to
        the first write's time)."""
        self._state.set_plain(
            repository, name, value, _epoch(updated_at), _epoch(created_at), store
        )

    def secret(self, repository: str, name: str, store: str = "actions") -> StoredSecret | None:
        """The stored secret of `store` with its decrypted value, or None (also for an
        unknown repository or environment)."""
        return self._state.secret(repository, name, store)

    def secrets(self, repository: str, store: str = "actions") -> list[StoredSecret]:
        """Every secret of a repository's store, by name; KeyError when unknown."""
        return self._state.secrets(repository, store)

    def delete_secret(self, repository: str, name: str, store: str = "actions") -> bool:
        """Remove a secret directly; True when it existed."""
        return self._state.delete_secret(repository, name, store)

    def public_key(self, repository: str, store: str = "actions") -> tuple[str, str]:
        """`(key_id, base64 public key)` of a repository's store; KeyError when unknown."""
        return self._state.public_key(repository, store)

    def rotate_public_key(self, repository: str, store: str = "actions") -> tuple[str, str]:
        """Replace a store's key pair, as GitHub may; returns the new `(key_id, key)`."""
        return self._state.rotate_public_key(repository, store)

    def add_environment(self, repository: str, name: str) -> None:
        """Create a deployment environment (with its own key pair and no secret)."""
        self._state.add_environment(repository, name)

    def environments(self, repository: str) -> list[str]:
        """The names of a repository's environments, ordered by name."""
        return [environment.name for environment in self._state.environments(repository)]

    def set_workflow_runs(self, repository: str, count: int) -> None:
        """Give a repository `count` completed workflow runs (none by default)."""
        self._state.set_workflow_runs(repository, count)

    def set_org_secret(
        self,
        org: str,
        name: str,
        value: str,
        *,
        visibility: Visibility = "all",
        selected_repositories: Iterable[str] = (),
        created_at: str | datetime | None = None,
        updated_at: str | datetime | None = None,
    ) -> None:
        """Create or replace an organisation secret.

        Visibility `all` or `private` shares it with every repository of `org` (all
        emulated repositories are private), `selected` with `selected_repositories`
        (full names of the hub's repositories of that org). ValueError for a bad name or
        visibility, KeyError for an unknown repository.
        """
        self._state.set_org_secret(
            OrgSecretWrite(
                org,
                name,
                value,
                visibility,
                tuple(selected_repositories),
                _epoch(updated_at),
                _epoch(created_at),
            )
        )

    def org_secret(self, org: str, name: str) -> StoredSecret | None:
        """An organisation secret with its value, or None."""
        secret = self._state.orgs.secret(org, name)
        return None if secret is None else secret.record()

    def delete_org_secret(self, org: str, name: str) -> bool:
        """Remove an organisation secret; True when it existed."""
        return self._state.orgs.delete(org, name)

    # -- faults, rate limits, budget, log ---------------------------------------------------

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
    def points_limit(self) -> PointsLimit | None:
        """The enforced per-minute points limit (None: off, the default).

        Setting it starts an empty window."""
        return self._points_limit

    @points_limit.setter
    def points_limit(self, limit: PointsLimit | None) -> None:
        self._points_limit = limit
        self._dispatcher.budget = None if limit is None else PointsWindow(limit)

    @property
    def budget_refusals(self) -> int:
        """How many requests the points budget refused since start or `reset_log`."""
        return self._dispatcher.budget_refusals

    @property
    def requests(self) -> list[LoggedRequest]:
        """A copy of the request log, in the order requests finished."""
        return self._dispatcher.snapshot()

    @property
    def max_in_flight(self) -> int:
        """The most requests handled at once since start or `reset_log`."""
        return self._dispatcher.max_in_flight

    def reset_log(self) -> None:
        """Clear the request log, the in-flight high-water mark and the budget refusals."""
        self._dispatcher.reset()


def _epoch(value: str | datetime | None) -> int | None:
    return None if value is None else parse_time(value)
