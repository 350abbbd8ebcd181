"""Async GitHub REST client: one small function per endpoint, retries and rate limits.

It knows nothing of the journal or the terminal: progress and diagnostics go to an
optional `ClientListener`. Every httpx error is converted where it enters our code into
the hierarchy of `ccat.pat.errors`, with the repository and the request line attached
(never a header, so never a token).
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import anyio
import httpx

from ccat import __version__
from ccat.pat.errors import (
    AuthenticationError,
    GitHubError,
    HTTPStatusError,
    NotFoundError,
    RateLimitError,
    TransportError,
)

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = f"ccat/{__version__} (+ccat pat)"
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
DEFAULT_RATE_LIMIT_WAIT = 60.0
# A reset already past (our clock ahead of GitHub's) or `Retry-After: 0` must not turn
# into a busy loop of requests: wait at least this long, and count it against --max-wait.
MIN_RATE_LIMIT_WAIT = 1.0


class ClientListener(Protocol):
    """Receives what the client does, for `--debug` output and rate-limit notices."""

    def request_done(
        self, method: str, url: str, status: int | None, elapsed: float, attempt: int
    ) -> None:
        """A request finished (`status` None: no answer, e.g. a dropped connection)."""

    def waiting(self, repository: str | None, seconds: float, reason: str) -> None:
        """The client sleeps `seconds` before trying again (rate limit or retry)."""


@dataclass(frozen=True)
class ClientSettings:
    """How to reach GitHub. `token` is the operator credential; it is never shown."""

    api_url: str = DEFAULT_API_URL
    token: str = field(default="", repr=False)
    timeout: float = 30.0
    max_wait: float = 300.0
    retries: int = 3
    backoff: float = 0.5
    max_connections: int = 100


@dataclass(frozen=True)
class User:
    """The account a token belongs to, from `GET /user`."""

    login: str
    expires_at: str | None


@dataclass(frozen=True)
class PublicKey:
    """A repository's Actions public key."""

    key_id: str
    key: str


@dataclass(frozen=True)
class SecretInfo:
    """Metadata GitHub returns for a secret (never its value)."""

    name: str
    created_at: str | None
    updated_at: str | None


def _github_message(response: httpx.Response) -> str:
    """GitHub's own `message` for an error answer, else a short excerpt of the body."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    text = response.text.strip()
    return text[:200] if text else response.reason_phrase


def _expiry(value: str | None) -> str | None:
    """Normalise GitHub's `2027-02-01 00:00:00 UTC` expiry header to ISO-8601 UTC."""
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S %Z", "%Y-%m-%d %H:%M:%S %z"):
        try:
            parsed = datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.strip()


def _hint(status: int, repository: str | None) -> str | None:
    """A practical next step for a permanent error, as the GitHub CLI gives one."""
    if status == 401:
        return (
            "the credential was rejected: check GH_TOKEN / GITHUB_TOKEN, "
            "or run `gh auth login` / `gh auth refresh`"
        )
    if status == 403:
        return (
            "the operator credential lacks permission: it needs admin or "
            "`secrets: write` access to "
            + (repository or "the repository")
            + " (fine-grained PAT: 'Secrets' read and write)"
        )
    if status == 404:
        return (
            "check the repository name in the dependency graph and that the operator "
            "credential can see " + (repository or "the repository")
        )
    if status == 422:
        return "GitHub refused the request body: the public key may have changed; try again"
    return None


class GitHubClient:
    """Calls GitHub's REST API through one shared `httpx.AsyncClient`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: ClientSettings,
        *,
        listener: ClientListener | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._http = http
        self.settings = settings
        self._listener = listener
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()

    # -- endpoints ---------------------------------------------------------------

    async def get_user(self, token: str | None = None) -> User:
        """`GET /user`, with the operator credential or with `token` (a new PAT)."""
        response = await self._checked("GET", "/user", repository=None, token=token)
        login = str(response.json().get("login", ""))
        expires = _expiry(response.headers.get("github-authentication-token-expiration"))
        return User(login=login, expires_at=expires)

    async def get_repository(self, repository: str) -> dict[str, Any]:
        """`GET /repos/{owner}/{repo}`."""
        response = await self._checked("GET", f"/repos/{repository}", repository=repository)
        data: dict[str, Any] = response.json()
        return data

    async def get_secret(self, repository: str, secret: str) -> SecretInfo:
        """`GET /repos/{owner}/{repo}/actions/secrets/{name}`: metadata of one secret."""
        path = f"/repos/{repository}/actions/secrets/{secret}"
        data = (await self._checked("GET", path, repository=repository)).json()
        return SecretInfo(
            name=str(data.get("name", secret)),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
        )

    async def get_public_key(self, repository: str) -> PublicKey:
        """`GET /repos/{owner}/{repo}/actions/secrets/public-key`."""
        path = f"/repos/{repository}/actions/secrets/public-key"
        data = (await self._checked("GET", path, repository=repository)).json()
        if not isinstance(data.get("key_id"), str) or not isinstance(data.get("key"), str):
            raise HTTPStatusError(
                "GitHub's public-key answer has no key_id/key",
                repository=repository,
                request=f"GET {path}",
                status=200,
            )
        return PublicKey(key_id=data["key_id"], key=data["key"])

    async def put_secret(
        self, repository: str, secret: str, encrypted_value: str, key_id: str
    ) -> int:
        """`PUT /repos/{owner}/{repo}/actions/secrets/{name}`; 201 created, 204 updated."""
        path = f"/repos/{repository}/actions/secrets/{secret}"
        body = {"encrypted_value": encrypted_value, "key_id": key_id}
        response = await self._checked("PUT", path, repository=repository, json=body)
        return response.status_code

    # -- machinery ---------------------------------------------------------------

    async def _checked(
        self,
        method: str,
        path: str,
        *,
        repository: str | None,
        json: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        """Send with retries; raise the matching `GitHubError` for an error answer."""
        response = await self._send(method, path, repository=repository, json=json, token=token)
        if response.is_success:
            return response
        status = response.status_code
        message = _github_message(response)
        where = f" for {repository}" if repository else ""
        text = f"{method} {path} failed{where}: HTTP {status}: {message}"
        kind: type[HTTPStatusError] = HTTPStatusError
        if status == 401:
            kind = AuthenticationError
        elif status == 404:
            kind = NotFoundError
        raise kind(
            text,
            repository=repository,
            request=f"{method} {path}",
            status=status,
            detail=message,
            hint=_hint(status, repository),
        )

    async def _send(
        self,
        method: str,
        path: str,
        *,
        repository: str | None,
        json: dict[str, Any] | None,
        token: str | None,
    ) -> httpx.Response:
        """One logical request: transient failures retried, rate limits waited out."""
        headers = {"Authorization": f"Bearer {token or self.settings.token}"}
        attempt = 0
        waited = 0.0
        while True:
            started = time.monotonic()
            try:
                # httpx's timeout is per network operation; fail_after bounds the whole
                # request, so a server that trickles bytes cannot hang us either.
                with anyio.fail_after(self.settings.timeout):
                    response = await self._http.request(method, path, json=json, headers=headers)
            except (httpx.TransportError, TimeoutError) as exc:
                self._done(method, path, None, started, attempt)
                if attempt < self.settings.retries:
                    attempt += 1
                    await self._backoff(repository, attempt, type(exc).__name__)
                    continue
                reason = (
                    f"no answer within {self.settings.timeout:g} s"
                    if isinstance(exc, TimeoutError | httpx.TimeoutException)
                    else f"connection failed ({type(exc).__name__})"
                )
                raise TransportError(
                    f"{method} {path}: {reason} after {attempt + 1} attempts",
                    detail=f"{reason} after {attempt + 1} attempts",
                    repository=repository,
                    request=f"{method} {path}",
                    hint=(
                        f"check that {self.settings.api_url} is reachable; --timeout sets the limit"
                    ),
                ) from None
            self._done(method, path, response.status_code, started, attempt)
            wait = self._rate_limit_wait(response)
            if wait is not None:
                reset_at = datetime.fromtimestamp(self._clock() + wait, UTC)
                if waited + wait > self.settings.max_wait:
                    raise RateLimitError(
                        f"{method} {path}: GitHub rate limit; it resets at "
                        f"{reset_at.strftime('%Y-%m-%dT%H:%M:%SZ')}, "
                        f"{wait:.0f} s away (longer than --max-wait {self.settings.max_wait:g} s)",
                        repository=repository,
                        request=f"{method} {path}",
                        status=response.status_code,
                        hint="run again after the reset, or raise --max-wait",
                    )
                waited += wait
                self._notify_wait(repository, wait, f"rate limited (HTTP {response.status_code})")
                await self._sleep(wait)
                continue
            if response.status_code in TRANSIENT_STATUSES and attempt < self.settings.retries:
                attempt += 1
                await self._backoff(repository, attempt, f"HTTP {response.status_code}")
                continue
            return response

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds to wait if `response` is a rate-limit answer, else None (§6)."""
        if response.status_code not in (403, 429):
            return None
        remaining = response.headers.get("x-ratelimit-remaining")
        if "rate limit" not in _github_message(response).lower() and remaining != "0":
            return None
        retry_after = response.headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(MIN_RATE_LIMIT_WAIT, float(retry_after))
            except ValueError:
                pass
        reset = response.headers.get("x-ratelimit-reset")
        if reset is not None:
            try:
                return max(MIN_RATE_LIMIT_WAIT, float(reset) - self._clock())
            except ValueError:
                pass
        return DEFAULT_RATE_LIMIT_WAIT

    async def _backoff(self, repository: str | None, attempt: int, reason: str) -> None:
        """Exponential backoff with full jitter before retry number `attempt`."""
        delay = self.settings.backoff * (2 ** (attempt - 1)) * self._rng.uniform(0.5, 1.0)
        self._notify_wait(repository, delay, f"{reason}, retry {attempt}/{self.settings.retries}")
        await self._sleep(delay)

    def _notify_wait(self, repository: str | None, seconds: float, reason: str) -> None:
        if self._listener is not None:
            self._listener.waiting(repository, seconds, reason)

    def _done(
        self, method: str, path: str, status: int | None, started: float, attempt: int
    ) -> None:
        if self._listener is not None:
            url = f"{self.settings.api_url}{path}"
            self._listener.request_done(method, url, status, time.monotonic() - started, attempt)


@asynccontextmanager
async def open_client(
    settings: ClientSettings, *, listener: ClientListener | None = None
) -> AsyncIterator[GitHubClient]:
    """A `GitHubClient` over one shared `httpx.AsyncClient`, closed on exit."""
    limits = httpx.Limits(
        max_connections=settings.max_connections,
        max_keepalive_connections=settings.max_connections,
    )
    async with httpx.AsyncClient(
        base_url=settings.api_url.rstrip("/"),
        headers={
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        },
        timeout=httpx.Timeout(settings.timeout),
        limits=limits,
        # trust_env stays on: operators behind a proxy (HTTPS_PROXY) or with a private CA
        # for GitHub Enterprise Server (SSL_CERT_FILE) need it, as with the GitHub CLI.
        follow_redirects=False,
    ) as http:
        yield GitHubClient(http, settings, listener=listener)


__all__ = [
    "API_VERSION",
    "DEFAULT_API_URL",
    "USER_AGENT",
    "ClientListener",
    "ClientSettings",
    "GitHubClient",
    "GitHubError",
    "PublicKey",
    "SecretInfo",
    "User",
    "open_client",
]
