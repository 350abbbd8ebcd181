"""The verify engine: is the token CI holds valid, and does it reach every repository?

With the token itself (it is the client's only credential): `GET /user` (for a GitHub
App installation token, which has none, `GET /installation/repositories`), then `GET
/repos/{o}/{r}/actions/runs?per_page=1` in every repository, concurrently under one
limiter, the run's request budget and its rate-limit waits, as `status` checks. Each
repository's check catches its own errors and returns a `Reach` record. A token GitHub
rejects is said once: no repository is asked. It never prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

import anyio

from ccat.pat.errors import AuthenticationError, GitHubError, TransportError
from ccat.pat.journal import TokenKind
from ccat.pat.reach import refused_access
from ccat.pat.settings import DEFAULTS
from ccat.pat.verification.report import Reach, TokenVerdict, VerifyReport

# Types only: the client (httpx) is loaded where a connection is made.
if TYPE_CHECKING:
    from ccat.pat.github import GitHubClient


class VerifyListener(Protocol):
    """Progress of a verification (the CLI shows it on a terminal)."""

    def checked(self, result: object) -> None:
        """One repository's check finished."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class VerifyOptions:
    """Everything a verification needs; filled by the CLI, or by a test.

    `connect` opens a client whose credential is the token to verify. `kind` is the
    token's kind by its prefix (the token itself is not needed here); `name` and
    `source` are `VerifyReport`'s."""

    connect: Callable[[], AbstractAsyncContextManager[GitHubClient]]
    repositories: Sequence[str]
    org: str
    name: str
    source: str
    kind: TokenKind
    concurrency: int = DEFAULTS.concurrency
    listener: VerifyListener | None = None
    clock: Callable[[], datetime] = _utc_now


def _failure(exc: GitHubError) -> tuple[str, str | None]:
    """The error's words, and what to check when no answer came."""
    hint = (exc.hint or "check the connection") if isinstance(exc, TransportError) else None
    return exc.describe(), hint


async def check_token(
    client: GitHubClient, kind: TokenKind, token: str | None = None
) -> TokenVerdict:
    """What GitHub says of the client's token (or of `token`, when given)."""
    try:
        user = await client.identify(token)
    except AuthenticationError as exc:
        return TokenVerdict("rejected", kind, error=exc.describe(), http_status=401)
    except GitHubError as exc:
        error, hint = _failure(exc)
        return TokenVerdict(
            "error", kind, error=error, http_status=exc.status, connection_hint=hint
        )
    return TokenVerdict(
        "valid",
        kind,
        login=user.login,
        expires_at=user.expires_at,
        expiry_unreadable=user.expiry_unreadable,
        scopes=user.scopes,
        installation_repositories=None
        if user.installation is None
        else user.installation.repositories,
    )


async def check_reach(client: GitHubClient, repository: str) -> Reach:
    """Whether the client's token reads `repository`'s workflow runs."""
    try:
        await client.check_runs_readable(repository, client.settings.token)
    except GitHubError as exc:
        error, hint = _failure(exc)
        if refused_access(exc) or isinstance(exc, AuthenticationError):
            return Reach(
                repository,
                "unreachable",
                error=error,
                http_status=exc.status,
                accepted_permissions=exc.accepted_permissions,
            )
        return Reach(repository, "error", error, exc.status, connection_hint=hint)
    return Reach(repository, "reachable", http_status=200)


async def run_verification(options: VerifyOptions) -> VerifyReport:
    """Check the token, then every repository, at most `options.concurrency` at once."""
    limiter = anyio.CapacityLimiter(options.concurrency)
    checked_at = options.clock().strftime("%Y-%m-%dT%H:%M:%SZ")
    results: list[Reach | None] = [None] * len(options.repositories)
    async with options.connect() as client:
        async with limiter:
            token = await check_token(client, options.kind)
        if token.state == "valid":

            async def check(index: int, repository: str) -> None:
                async with limiter:
                    result = await check_reach(client, repository)
                results[index] = result
                if options.listener is not None:
                    options.listener.checked(result)

            async with anyio.create_task_group() as group:
                for index, repository in enumerate(options.repositories):
                    group.start_soon(check, index, repository)
    reaches = tuple(
        result if result is not None else Reach(repository, "not checked")
        for result, repository in zip(results, options.repositories, strict=True)
    )
    return VerifyReport(options.name, options.source, options.org, checked_at, token, reaches)
