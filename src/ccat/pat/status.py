"""The status engine: is the secret present in every target, checked concurrently.

Each per-repository check catches its own errors and returns a `SecretStatus` record,
so one failing repository never cancels its siblings. Only the CLI renders or exits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

import anyio

from ccat.pat.errors import AuthenticationError, GitHubError, NotFoundError
from ccat.pat.github import GitHubClient

State = Literal["present", "missing", "error"]


@dataclass(frozen=True)
class SecretStatus:
    """The secret's state in one repository."""

    repository: str
    state: State
    updated_at: str | None = None
    error: str | None = None
    http_status: int | None = None
    credential_rejected: bool = False


@dataclass(frozen=True)
class StatusReport:
    """Every target's `SecretStatus`, in target order."""

    secret: str
    org: str
    checked_at: str
    results: tuple[SecretStatus, ...]

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


@dataclass
class StatusOptions:
    """Everything a status run needs; filled by the CLI, or by a test."""

    client: GitHubClient
    repositories: Sequence[str]
    secret: str
    org: str
    concurrency: int = 16
    listener: StatusListener | None = None
    clock: Callable[[], datetime] = field(default=_utc_now)


async def check_one(client: GitHubClient, repository: str, secret: str) -> SecretStatus:
    """Check one repository; every GitHub failure becomes an `error` record."""
    try:
        info = await client.get_secret(repository, secret)
        return SecretStatus(repository, "present", updated_at=info.updated_at, http_status=200)
    except NotFoundError:
        pass
    except AuthenticationError as exc:
        return _error(repository, exc, "the operator credential was rejected (HTTP 401)")
    except GitHubError as exc:
        return _error(repository, exc, _describe(exc))
    # 404 on the secret: the secret is missing, or the repository itself is not there.
    try:
        await client.get_repository(repository)
    except NotFoundError as exc:
        return _error(
            repository, exc, "repository not found or not visible to the operator credential"
        )
    except AuthenticationError as exc:
        return _error(repository, exc, "the operator credential was rejected (HTTP 401)")
    except GitHubError as exc:
        return _error(repository, exc, _describe(exc))
    return SecretStatus(repository, "missing", http_status=404)


def _describe(exc: GitHubError) -> str:
    """The status and GitHub's message: the row already names the repository."""
    return f"HTTP {exc.status}: {exc.detail}" if exc.status is not None else exc.detail


def _error(repository: str, exc: GitHubError, message: str) -> SecretStatus:
    return SecretStatus(
        repository,
        "error",
        error=message,
        http_status=exc.status,
        credential_rejected=isinstance(exc, AuthenticationError),
    )


async def run_status(options: StatusOptions) -> StatusReport:
    """Check every repository, at most `options.concurrency` requests at once."""
    limiter = anyio.CapacityLimiter(options.concurrency)
    results: list[SecretStatus | None] = [None] * len(options.repositories)

    async def check(index: int, repository: str) -> None:
        async with limiter:
            result = await check_one(options.client, repository, options.secret)
        results[index] = result
        if options.listener is not None:
            options.listener.checked(result)

    checked_at = options.clock()
    async with anyio.create_task_group() as group:
        for index, repository in enumerate(options.repositories):
            group.start_soon(check, index, repository)
    return StatusReport(
        secret=options.secret,
        org=options.org,
        checked_at=checked_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        results=tuple(result for result in results if result is not None),
    )
