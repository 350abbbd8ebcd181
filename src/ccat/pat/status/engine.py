"""The status engine: is the secret present in every target, checked concurrently.

One request per repository in the common case: the repository's secrets list says both
whether the repository is there (200) and whether it holds the secret. Only a repository
without its own secret costs a second request, for the organisation secrets it may use.
One organisation-level request (two for a secret shared with selected repositories) says
which repository secrets shadow an organisation secret.

Each per-repository check catches its own errors and returns a `SecretStatus` record,
so one failing repository never cancels its siblings. Only the CLI renders or exits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, Protocol

import anyio

from ccat.pat.errors import AuthenticationError, GitHubError, NotFoundError, TransportError
from ccat.pat.settings import DEFAULTS
from ccat.pat.times import iso

# Types only: the client (httpx) is loaded where a connection is made, not by
# those who only read these records (`ccat pat journal`, the renderers).
if TYPE_CHECKING:
    from ccat.pat.github import GitHubClient, OrgSecret

State = Literal["present", "missing", "error"]
Via = Literal["repository", "organization"]


@dataclass(frozen=True)
class SecretStatus:
    """The secret's state in one repository.

    `via` says where a present secret comes from; `updated_at` is that secret's. For a
    missing one, `org_error` says why the organisation secrets could not be checked. For
    an error, `accepted_permissions` is GitHub's `X-Accepted-GitHub-Permissions`, when
    sent: what the checking credential would need. `connection_hint` is set when no
    answer came at all (the connection failed or timed out): what to check, since
    neither the credential nor the repository is to blame.
    """

    repository: str
    state: State
    updated_at: str | None = None
    via: Via | None = None
    error: str | None = None
    http_status: int | None = None
    credential_rejected: bool = False
    org_error: str | None = None
    accepted_permissions: str | None = None
    connection_hint: str | None = None

    @property
    def unanswered(self) -> bool:
        """No answer came: the connection failed or timed out."""
        return self.connection_hint is not None


@dataclass(frozen=True)
class OrgSecretCheck:
    """What the organisation knows of a secret of the same name.

    `secret` is None when there is none or the credential may not see it (`error` says
    which when it is known); `repositories` lists (lower-case) where a `selected` secret
    is shared, None for the other visibilities.
    """

    secret: OrgSecret | None
    repositories: frozenset[str] | None = None
    error: str | None = None

    def covers(self, repository: str) -> bool:
        """Whether the organisation secret is available to `repository`."""
        if self.secret is None:
            return False
        if self.secret.visibility == "selected":
            return self.repositories is not None and repository.lower() in self.repositories
        return True


@dataclass(frozen=True)
class StatusReport:
    """Every target's `SecretStatus`, in target order, and the organisation check."""

    secret: str
    org: str
    checked_at: str
    results: tuple[SecretStatus, ...]
    org_secret: OrgSecretCheck = field(default_factory=lambda: OrgSecretCheck(None))

    @property
    def ok(self) -> bool:
        """True when the secret is present everywhere."""
        return all(result.state == "present" for result in self.results)

    def count(self, state: State) -> int:
        """How many targets are in `state`."""
        return sum(1 for result in self.results if result.state == state)


class StatusListener(Protocol):
    """Progress of a status run (the CLI shows it on a terminal)."""

    def checked(self, result: SecretStatus) -> None:
        """One repository's check finished."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class StatusOptions:
    """Everything a status run needs; filled by the CLI, or by a test.

    `connect` opens the GitHub client the run uses (a factory, so that parsing can be
    tested without connecting anywhere).
    """

    connect: Callable[[], AbstractAsyncContextManager[GitHubClient]]
    repositories: Sequence[str]
    secret: str
    org: str
    concurrency: int = DEFAULTS.concurrency
    listener: StatusListener | None = None
    clock: Callable[[], datetime] = _utc_now


def _error(repository: str, exc: GitHubError) -> SecretStatus:
    if isinstance(exc, AuthenticationError):
        message = "the operator credential was rejected (HTTP 401)"
    elif isinstance(exc, NotFoundError):
        message = "repository not found or not visible to the operator credential"
    else:
        message = exc.describe()
    return SecretStatus(
        repository,
        "error",
        error=message,
        http_status=exc.status,
        credential_rejected=isinstance(exc, AuthenticationError),
        accepted_permissions=exc.accepted_permissions,
        connection_hint=(exc.hint or "check the connection")
        if isinstance(exc, TransportError)
        else None,
    )


async def check_one(client: GitHubClient, repository: str, secret: str) -> SecretStatus:
    """Check one repository; every GitHub failure becomes an `error` record."""
    try:
        own = await client.find_secret(repository, secret)
    except GitHubError as exc:
        return _error(repository, exc)
    if own is not None:
        return SecretStatus(
            repository, "present", updated_at=own.updated_at, via="repository", http_status=200
        )
    try:
        shared = await client.find_org_secret_for(repository, secret)
    except GitHubError as exc:
        # The repository's own secret is certainly missing; say that the organisation's
        # could not be checked rather than guess either way.
        return SecretStatus(repository, "missing", http_status=200, org_error=exc.describe())
    if shared is not None:
        return SecretStatus(repository, "present", updated_at=shared.updated_at, via="organization")
    return SecretStatus(repository, "missing", http_status=200)


async def check_org_secret(client: GitHubClient, org: str, secret: str) -> OrgSecretCheck:
    """The organisation secret of the same name, if the credential may see it."""
    try:
        found = await client.get_org_secret(org, secret)
        if found is None or found.visibility != "selected":
            return OrgSecretCheck(found)
        return OrgSecretCheck(found, await client.org_secret_repositories(org, secret))
    except GitHubError as exc:
        return OrgSecretCheck(None, error=exc.describe())


async def run_status(options: StatusOptions) -> StatusReport:
    """Check every repository, at most `options.concurrency` requests at once."""
    limiter = anyio.CapacityLimiter(options.concurrency)
    results: list[SecretStatus | None] = [None] * len(options.repositories)
    org_check = OrgSecretCheck(None)
    checked_at = options.clock()

    async with options.connect() as client:

        async def check(index: int, repository: str) -> None:
            async with limiter:
                result = await check_one(client, repository, options.secret)
            results[index] = result
            if options.listener is not None:
                options.listener.checked(result)

        async def check_org() -> None:
            nonlocal org_check
            async with limiter:
                org_check = await check_org_secret(client, options.org, options.secret)

        async with anyio.create_task_group() as group:
            group.start_soon(check_org)
            for index, repository in enumerate(options.repositories):
                group.start_soon(check, index, repository)
    return StatusReport(
        secret=options.secret,
        org=options.org,
        checked_at=iso(checked_at),
        results=tuple(result for result in results if result is not None),
        org_secret=org_check,
    )
