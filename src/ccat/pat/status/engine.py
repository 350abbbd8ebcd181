"""The status engine: is the secret present in every target, and where else CI reads it
(SPEC §3, §10), checked concurrently.

One request per repository for its Actions copy: the repository's secrets list says both
whether the repository is there (200) and whether it holds the secret. The
organisation's secret list (`GET /orgs/{org}/actions/secrets`; for a secret shared with
selected repositories, their list; for one of visibility `private`, the organisation's
repository list, 100 a page) decides at once every organisation fallback and which
repository secrets shadow it; only when the credential cannot read that list does a
repository without its own copy cost a second request, for the organisation secrets it
may use. With the other stores selected, each repository's Dependabot list (one
request), its environments (one) and each environment's secrets (one each).

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
from ccat.pat.stores import DEPENDABOT, Copy, Store, StoreSelection
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
    # The copies in the other selected stores (Dependabot, environments), in the order
    # of SPEC §10: only those that exist, and those that could not be checked.
    copies: tuple[Copy, ...] = ()

    @property
    def actions_copy(self) -> Copy:
        """The Actions copy as a `Copy` (its state is the repository's)."""
        from ccat.pat.stores import ACTIONS

        return Copy(
            ACTIONS,
            self.state,
            self.updated_at if self.via == "repository" else None,
            self.error,
            self.http_status,
            self.accepted_permissions,
        )

    @property
    def all_copies(self) -> tuple[Copy, ...]:
        """The Actions copy, then the others (SPEC §10 `copies`)."""
        return (self.actions_copy, *self.copies)

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
    # Whether the organisation's secret list answered: then it alone decides every
    # organisation fallback (`covers`), with no request per repository.
    listed: bool = False
    # For visibility `private`: the organisation's private and internal repositories.
    private: frozenset[str] | None = None

    def covers(self, repository: str) -> bool:
        """Whether the organisation secret is available to `repository`."""
        if self.secret is None:
            return False
        if self.secret.visibility == "selected":
            return self.repositories is not None and repository.lower() in self.repositories
        if self.secret.visibility == "private" and self.private is not None:
            return repository.lower() in self.private
        return True


@dataclass(frozen=True)
class StatusReport:
    """Every target's `SecretStatus`, in target order, and the organisation check."""

    secret: str
    org: str
    checked_at: str
    results: tuple[SecretStatus, ...]
    org_secret: OrgSecretCheck = field(default_factory=lambda: OrgSecretCheck(None))
    stores: StoreSelection = field(default_factory=lambda: StoreSelection.only("actions"))

    @property
    def copies(self) -> list[tuple[str, Copy]]:
        """(repository, copy) for every copy of every repository, the Actions one first:
        what `verify --stores` and `revoke` check against (SPEC §10, §11)."""
        return [(r.repository, copy) for r in self.results for copy in r.all_copies]

    @property
    def unchecked_copies(self) -> list[tuple[str, Copy]]:
        """(repository, copy) for every copy in another store that could not be
        checked (`not checked`: the credential may not read it; or an error)."""
        return [
            (result.repository, copy)
            for result in self.results
            for copy in result.copies
            if copy.state in ("not checked", "error")
        ]

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
    # Which stores to look at besides Actions (always checked); Actions only when not said.
    stores: StoreSelection = field(default_factory=lambda: StoreSelection.only("actions"))


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


class _Checker:
    """One status run's checks, sharing a limiter and the organisation's answer."""

    def __init__(self, client: GitHubClient, options: StatusOptions) -> None:
        self.client = client
        self.options = options
        self.limiter = anyio.CapacityLimiter(options.concurrency)
        self.org = OrgSecretCheck(None)
        self.org_known = anyio.Event()

    async def org_check(self) -> None:
        try:
            self.org = await check_org_secret(
                self.client, self.options.org, self.options.secret, self.limiter
            )
        finally:
            self.org_known.set()

    async def repository(self, repository: str) -> SecretStatus:
        secret = self.options.secret
        copies: tuple[Copy, ...] = ()
        failed: GitHubError | None = None

        async def others() -> None:
            nonlocal copies
            copies = await self.other_copies(repository)

        # The other stores are asked at the same time as the Actions copy: a repository
        # costs one round trip more than Actions alone (two with environments), not three.
        async with anyio.create_task_group() as group:
            if len(self.options.stores.families) > 1:
                group.start_soon(others)
            async with self.limiter:
                try:
                    own = await self.client.find_secret(repository, secret)
                except GitHubError as exc:
                    failed = exc
        if failed is not None:
            return _error(repository, failed)
        if own is not None:
            return SecretStatus(
                repository,
                "present",
                updated_at=own.updated_at,
                via="repository",
                http_status=200,
                copies=copies,
            )
        await self.org_known.wait()
        if self.org.listed:
            # The organisation's list decided it: no request for this repository.
            if self.org.covers(repository) and self.org.secret is not None:
                return SecretStatus(
                    repository,
                    "present",
                    updated_at=self.org.secret.updated_at,
                    via="organization",
                    copies=copies,
                )
            return SecretStatus(repository, "missing", http_status=200, copies=copies)
        async with self.limiter:
            try:
                shared = await self.client.find_org_secret_for(repository, secret)
            except GitHubError as exc:
                # The repository's own secret is certainly missing; say that the
                # organisation's could not be checked rather than guess either way.
                return SecretStatus(
                    repository, "missing", http_status=200, org_error=exc.describe(), copies=copies
                )
        if shared is not None:
            return SecretStatus(
                repository,
                "present",
                updated_at=shared.updated_at,
                via="organization",
                copies=copies,
            )
        return SecretStatus(repository, "missing", http_status=200, copies=copies)

    async def other_copies(self, repository: str) -> tuple[Copy, ...]:
        """The copies in the selected stores besides Actions: those that exist, and a
        `not checked` or `error` copy for a store that could not be read."""
        stores = self.options.stores
        found: dict[int, list[Copy]] = {}

        async def look(index: int, store: Store) -> None:
            found[index] = await self.copy_in(repository, store)

        async def environments() -> None:
            async with self.limiter:
                try:
                    names = await self.client.list_environments(repository)
                except GitHubError as exc:
                    found[1] = [_unchecked(None, exc)]
                    return
            async with anyio.create_task_group() as each:
                for index, name in enumerate(sorted(names, key=str.casefold), start=2):
                    each.start_soon(look, index, Store.environment_named(name))

        async with anyio.create_task_group() as group:
            if "dependabot" in stores:
                group.start_soon(look, 0, DEPENDABOT)
            if "environments" in stores:
                group.start_soon(environments)
        return tuple(copy for index in sorted(found) for copy in found[index])

    async def copy_in(self, repository: str, store: Store) -> list[Copy]:
        async with self.limiter:
            try:
                found = await self.client.find_secret(repository, self.options.secret, store)
            except GitHubError as exc:
                return [_unchecked(store, exc)]
        return [] if found is None else [Copy(store, "present", found.updated_at, http_status=200)]


def _unchecked(store: Store | None, exc: GitHubError) -> Copy:
    """A store that could not be read: `not checked` for a refusal (403: the credential
    lacks the permission), else `error`."""
    return Copy(
        store,
        "not checked" if exc.status == 403 else "error",
        error=exc.describe(),
        http_status=exc.status,
        accepted_permissions=exc.accepted_permissions,
        family=None if store is not None else "environments",
    )


async def check_one(client: GitHubClient, repository: str, secret: str) -> SecretStatus:
    """Check one repository's Actions copy alone (no organisation list): every GitHub
    failure becomes an `error` record."""
    options = StatusOptions(_no_connection, [repository], secret, org="")
    checker = _Checker(client, options)
    checker.org_known.set()
    return await checker.repository(repository)


def _no_connection() -> AbstractAsyncContextManager[GitHubClient]:
    raise RuntimeError("check_one is given its client")


async def check_org_secret(
    client: GitHubClient, org: str, secret: str, limiter: anyio.CapacityLimiter | None = None
) -> OrgSecretCheck:
    """The organisation secret of the same name from the organisation's list, with
    where it is shared (`selected`: its repositories; `private`: the organisation's
    private repositories). `listed` is False when the list could not be read."""
    limit = limiter or anyio.CapacityLimiter(1)
    try:
        async with limit:
            found = await client.find_org_secret(org, secret)
    except GitHubError as exc:
        return OrgSecretCheck(None, error=exc.describe())
    try:
        async with limit:
            if found is not None and found.visibility == "selected":
                shared = await client.org_secret_repositories(org, secret)
                return OrgSecretCheck(found, shared, listed=True)
            if found is not None and found.visibility == "private":
                private = await client.private_repositories(org)
                return OrgSecretCheck(found, listed=True, private=private)
    except GitHubError as exc:
        # The secret is known, where it reaches is not: fall back per repository.
        return OrgSecretCheck(found, error=exc.describe())
    return OrgSecretCheck(found, listed=True)


async def run_status(options: StatusOptions) -> StatusReport:
    """Check every repository, at most `options.concurrency` requests at once."""
    results: list[SecretStatus | None] = [None] * len(options.repositories)
    checked_at = options.clock()

    async with options.connect() as client:
        checker = _Checker(client, options)

        async def check(index: int, repository: str) -> None:
            result = await checker.repository(repository)
            results[index] = result
            if options.listener is not None:
                options.listener.checked(result)

        async with anyio.create_task_group() as group:
            group.start_soon(checker.org_check)
            for index, repository in enumerate(options.repositories):
                group.start_soon(check, index, repository)
    return StatusReport(
        secret=options.secret,
        org=options.org,
        checked_at=iso(checked_at),
        results=tuple(result for result in results if result is not None),
        org_secret=checker.org,
        stores=options.stores,
    )
