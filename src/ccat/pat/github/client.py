"""GitHub's REST endpoints that `ccat pat` uses: one small method each, every answer checked.

An answer counts only as GitHub documents it (SPEC §6): the expected status *and* the
expected shape. Anything else — another status, a body that is not JSON or lacks a field,
a timestamp that is not one — raises a `GitHubError` naming the repository, the request
and what was wrong, so that no caller can mistake it for success. Text from the server
is cleaned and shortened before it goes into an error. Requests go through
`ccat.pat.github.transport` (retries, rate limits, budget); this module knows nothing of the
journal or the terminal.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote

from ccat.pat.errors import (
    AuthenticationError,
    GitHubError,
    HTTPStatusError,
    InvalidAnswerError,
    NotFoundError,
)
from ccat.pat.github.budget import PointsBudget
from ccat.pat.github.transport import (
    API_VERSION,
    POOL_CONNECTIONS,
    USER_AGENT,
    Answer,
    ClientListener,
    Request,
    Timing,
    Transport,
    open_pools,
)
from ccat.pat.settings import DEFAULT_API_URL, ClientSettings
from ccat.pat.stores import ACTIONS, Store, is_environment_name
from ccat.pat.times import iso, parse_iso
from ccat.pat.untrusted import clean

PER_PAGE = 100
# GitHub allows 100 secrets per repository and 1,000 per organisation; a server that
# claims more pages than this is not believed.
MAX_PAGES = 20
# An organisation may have many more repositories than secrets: 100 pages of 100.
MAX_REPOSITORY_PAGES = 100

OrgVisibility = Literal["all", "private", "selected"]


# What is shown where an account's login would be, for a GitHub App installation token.
INSTALLATION_LOGIN = "GitHub App installation"


@dataclass(frozen=True)
class Installation:
    """What `GET /installation/repositories` says of a GitHub App installation token:
    how many repositories it reaches, and whether the installation has `all` of the
    organisation's or `selected` ones."""

    repositories: int
    selection: str | None


@dataclass(frozen=True)
class User:
    """The account a token belongs to (`GET /user`), its expiry and classic scopes; for
    a GitHub App installation token, which has no user (`installation` set), `login`
    is `INSTALLATION_LOGIN`."""

    login: str
    expires_at: str | None
    scopes: tuple[str, ...] | None  # None: no X-OAuth-Scopes header (not a classic token)
    # The expiry header as sent when it could not be read (`Expiry.unreadable`).
    expiry_unreadable: str | None = None
    installation: Installation | None = None


@dataclass(frozen=True)
class PublicKey:
    """A repository's Actions public key."""

    key_id: str
    key: str


@dataclass(frozen=True)
class SecretInfo:
    """Metadata GitHub returns for a secret (never its value); times are ISO-8601 UTC."""

    name: str
    updated_at: str


@dataclass(frozen=True)
class OrgSecret:
    """An organisation secret and which repositories it is visible to."""

    name: str
    updated_at: str
    visibility: OrgVisibility


# GitHub writes its times as RFC 3339 date-times (`format: date-time` in its OpenAPI
# description): `2026-01-02T03:04:05Z`, maybe with a fraction or a numeric offset.
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})"
)
# The token expiry header, as GitHub sends it: `2027-02-01 00:00:00 UTC`, or the same
# with a numeric offset (`2027-02-01 09:00:00 +0900`). Nothing else is guessed at: a zone
# name such as CET or EST means different offsets to different readers.
_EXPIRY_HEADER = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (UTC|[+-]\d{4})")
# No time GitHub writes is before the Unix epoch, and none of ours reaches year 9999: a
# time outside is not an answer GitHub gives, and the arithmetic done on times (two
# minutes of clock skew, days left) must never overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)  # excluded


def _in_range(moment: datetime | None) -> str | None:
    """`moment` (UTC) as `iso` writes it, or None when there is none or it is out of range."""
    return iso(moment) if moment is not None and EARLIEST <= moment < LATEST else None


def iso_timestamp(value: object) -> str | None:
    """`value` as `YYYY-MM-DDTHH:MM:SSZ` if it is an RFC 3339 date-time (a zone or offset
    included) from 1970 to 9998; else None, whatever `value` is."""
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value):
        return None
    return _in_range(parse_iso(value.upper()))  # None: month 13, second 61, offset +24:00


@dataclass(frozen=True)
class Expiry:
    """What GitHub's `GitHub-Authentication-Token-Expiration` header says.

    `expires_at` is the expiry as ISO-8601 UTC; `unreadable` is the header as sent
    (cleaned and shortened) when there is one that cannot be read: then the expiry is
    unknown, which is never the same as "no expiry". Both None: no header, no expiry.
    """

    expires_at: str | None = None
    unreadable: str | None = None


def token_expiry(value: str | None) -> Expiry:
    """Read the expiry header (see `Expiry`); a time out of range is unreadable too."""
    if value is None:
        return Expiry()
    text = value.strip()
    match = _EXPIRY_HEADER.fullmatch(text)
    expires_at = None
    if match is not None:
        zone = "+0000" if match[2] == "UTC" else match[2]
        expires_at = _in_range(parse_iso(f"{match[1]}{zone}"))
    if expires_at is None:
        return Expiry(unreadable=clean(text, 60) or "(empty)")
    return Expiry(expires_at=expires_at)


def _scopes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(clean(scope.strip(), 40) for scope in value.split(",") if scope.strip())


def github_message(answer: Answer) -> str:
    """GitHub's own `message` for an error answer, else what the body looks like; cleaned."""
    data = answer.json()
    if isinstance(data, dict) and isinstance(data.get("message"), str) and data["message"]:
        return clean(data["message"])
    if "html" in answer.headers.get("content-type", "").lower():
        return "an HTML page, not an answer of GitHub's API"
    text = answer.body.decode("utf-8", errors="replace").strip()
    return clean(text, 200) if text else "no message"


def _hint(status: int, repository: str | None) -> str | None:
    """A practical next step for a permanent error, as the GitHub CLI gives one."""
    where = repository or "the repository"
    if status == 401:
        return (
            "the credential was rejected: check GH_TOKEN / GITHUB_TOKEN, "
            "or run `gh auth login` / `gh auth refresh`"
        )
    if status == 403:
        return (
            "the operator credential lacks permission: it needs admin or "
            f"`secrets: write` access to {where} (fine-grained PAT: 'Secrets' read and write)"
        )
    if status == 404:
        return (
            "check the repository name in the dependency graph and that the operator "
            f"credential can see {where}"
        )
    if status == 422:
        return "GitHub refused the request body: the public key may have changed; try again"
    return None


def _revoke_hint(status: int | None) -> str | None:
    """What to do when GitHub refuses a revocation."""
    if status == 422:
        return "GitHub could not read the request; the token was not revoked"
    if status == 403:
        return (
            "GitHub refused the revocation: this API takes only unauthenticated calls (at "
            "most 60 an hour); try again later, or delete the token on GitHub's token page"
        )
    return None


def _invalid(request: Request, answer: Answer, what: str) -> InvalidAnswerError:
    return request.error(InvalidAnswerError, f"HTTP {answer.status}: {what}", status=answer.status)


def _checked(request: Request, answer: Answer, documented: Collection[int] = (200,)) -> Answer:
    """`answer` if its status is the documented success; else the matching error."""
    status = answer.status
    if status in documented:
        return answer
    if status < 400:
        # 2xx/3xx GitHub does not document here: whatever it means, it is not success.
        raise _invalid(
            request,
            answer,
            f"not an answer GitHub documents for this request (expected "
            f"{' or '.join(map(str, documented))})",
        )
    message = github_message(answer)
    where = f" for {request.repository}" if request.repository else ""
    kind: type[HTTPStatusError] = HTTPStatusError
    if status == 401:
        kind = AuthenticationError
    elif status == 404:
        kind = NotFoundError
    accepted = answer.headers.get("x-accepted-github-permissions")
    raise kind(
        f"{request.line} failed{where}: HTTP {status}: {message}",
        repository=request.repository,
        request=request.line,
        status=status,
        detail=message,
        hint=_hint(status, request.repository),
        accepted_permissions=None if accepted is None else clean(accepted, 100),
    )


def _object(request: Request, answer: Answer) -> dict[str, Any]:
    data = answer.json()
    if not isinstance(data, dict):
        shape = "empty" if not answer.body else "not a JSON object"
        raise _invalid(request, answer, f"the answer is {shape}")
    return data


def _string(request: Request, answer: Answer, data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise _invalid(request, answer, f"the answer has no {key!r} string")
    return value


def _timestamp(request: Request, answer: Answer, data: dict[str, Any], key: str) -> str:
    value = iso_timestamp(data.get(key))
    if value is None:
        raise _invalid(
            request,
            answer,
            f"the answer's {key!r} is not a date-time from 1970 to 9998 (RFC 3339)",
        )
    return value


def _count(request: Request, answer: Answer, data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _invalid(request, answer, f"the answer has no {key!r} count")
    return value


def _items(request: Request, answer: Answer, data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise _invalid(request, answer, f"the answer has no {key!r} list")
    return value


def _org_secret(request: Request, answer: Answer, data: dict[str, Any]) -> OrgSecret:
    visibility = data.get("visibility")
    if visibility not in ("all", "private", "selected"):
        raise _invalid(request, answer, "the answer's 'visibility' is not all/private/selected")
    return OrgSecret(
        name=clean(_string(request, answer, data, "name"), 100).upper(),
        updated_at=_timestamp(request, answer, data, "updated_at"),
        visibility=visibility,
    )


def _secret_info(request: Request, answer: Answer, data: dict[str, Any]) -> SecretInfo:
    name = _string(request, answer, data, "name")
    return SecretInfo(name.upper(), _timestamp(request, answer, data, "updated_at"))


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_Listed = TypeVar("_Listed", bound=_Named)


class GitHubClient:
    """The endpoints `ccat pat` calls, over one `Transport`."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.settings = transport.settings

    async def _get(self, path: str, repository: str | None, token: str | None = None) -> Answer:
        request = Request("GET", path, repository, token)
        return _checked(request, await self.transport.send(request))

    # -- accounts ----------------------------------------------------------------

    async def get_user(self, token: str | None = None) -> User:
        """`GET /user`, with the operator credential or with `token` (a new PAT)."""
        request = Request("GET", "/user", None, token)
        answer = _checked(request, await self.transport.send(request))
        login = clean(_string(request, answer, _object(request, answer), "login"), 100)
        expiry = token_expiry(answer.headers.get("github-authentication-token-expiration"))
        return User(
            login=login,
            expires_at=expiry.expires_at,
            scopes=_scopes(answer.headers.get("x-oauth-scopes")),
            expiry_unreadable=expiry.unreadable,
        )

    async def identify(self, token: str | None = None) -> User:
        """Who a token is: `GET /user`; for a GitHub App installation token, which that
        refuses with 403, `GET /installation/repositories` (SPEC §11). When that fails
        too, the 403 of `GET /user` is raised: the token is no installation's."""
        try:
            return await self.get_user(token)
        except HTTPStatusError as refused:
            if refused.status != 403 or isinstance(refused, AuthenticationError):
                raise
            try:
                return await self.installation(token)
            except GitHubError:
                raise refused from None

    async def installation(self, token: str | None = None) -> User:
        """`GET /installation/repositories?per_page=1`: the installation a GitHub App
        installation token belongs to, as a `User` without a login of its own."""
        request = Request("GET", "/installation/repositories?per_page=1", None, token)
        answer = _checked(request, await self.transport.send(request))
        data = _object(request, answer)
        count = _count(request, answer, data, "total_count")
        _items(request, answer, data, "repositories")
        selection = data.get("repository_selection")
        expiry = token_expiry(answer.headers.get("github-authentication-token-expiration"))
        return User(
            login=INSTALLATION_LOGIN,
            expires_at=expiry.expires_at,
            scopes=None,
            expiry_unreadable=expiry.unreadable,
            installation=Installation(
                count, clean(selection, 20) if isinstance(selection, str) else None
            ),
        )

    async def revoke_credentials(self, credentials: Sequence[str]) -> None:
        """`POST /credentials/revoke` with `{"credentials": [...]}` and **no**
        `Authorization` header (GitHub refuses authenticated calls): 202 Accepted, else
        the error GitHub gave. The body is the credentials themselves: it is never put
        into an error, a log or a `repr`."""
        request = Request(
            "POST",
            "/credentials/revoke",
            None,
            body={"credentials": list(credentials)},
            anonymous=True,
        )
        try:
            _checked(request, await self.transport.send(request), (202,))
        except HTTPStatusError as exc:
            exc.hint = _revoke_hint(exc.status)
            raise

    async def check_runs_readable(self, repository: str, token: str) -> None:
        """`GET /repos/{owner}/{repo}/actions/runs?per_page=1` with `token`: can it read the
        repository's workflow runs, as CI needs? Raises the error GitHub gave if not."""
        request = Request("GET", f"/repos/{repository}/actions/runs?per_page=1", repository, token)
        answer = _checked(request, await self.transport.send(request))
        data = _object(request, answer)
        _count(request, answer, data, "total_count")
        _items(request, answer, data, "workflow_runs")

    # -- repository secrets --------------------------------------------------------

    async def find_secret(
        self, repository: str, secret: str, store: Store = ACTIONS
    ) -> SecretInfo | None:
        """The secret named `secret` (case-insensitive) in a store of the repository
        (Actions unless said), or None when it has none, from the store's secrets list
        (one request for up to 100 secrets).

        A 404 means the repository (or the environment) does not exist or is not
        visible to the credential.
        """
        path = store.secrets_path(repository)
        return await self._find_listed(path, repository, secret, _secret_info)

    async def list_environments(self, repository: str) -> list[str]:
        """The names of the repository's deployment environments
        (`GET /repos/{owner}/{repo}/environments`, every page), in GitHub's order."""
        path = f"/repos/{repository}/environments"
        names: list[str] = []
        for page in range(1, MAX_PAGES + 1):
            query = f"?per_page={PER_PAGE}" + (f"&page={page}" if page > 1 else "")
            request = Request("GET", path + query, repository)
            answer = _checked(request, await self.transport.send(request))
            data = _object(request, answer)
            # `total_count` is optional in GitHub's description: the pages end when a
            # page is short, or when the count says so.
            total = data.get("total_count")
            items = _items(request, answer, data, "environments")
            for item in items:
                if not isinstance(item, dict):
                    raise _invalid(request, answer, "a listed environment is not an object")
                name = _string(request, answer, item, "name")
                if not is_environment_name(name):
                    raise _invalid(request, answer, "a listed environment has no usable name")
                if name.casefold() not in {known.casefold() for known in names}:
                    names.append(name)
            if len(items) < PER_PAGE or (isinstance(total, int) and len(names) >= total):
                return names
        raise _invalid(request, answer, f"more than {MAX_PAGES} pages of environments")

    async def find_org_secret_for(self, repository: str, secret: str) -> SecretInfo | None:
        """The organisation secret named `secret` that `repository` can use, or None."""
        path = f"/repos/{repository}/actions/organization-secrets"
        return await self._find_listed(path, repository, secret, _secret_info)

    async def _find_listed(
        self,
        path: str,
        repository: str | None,
        secret: str,
        read: Callable[[Request, Answer, dict[str, Any]], _Listed],
    ) -> _Listed | None:
        """The secret named `secret` (case-insensitive) in the secrets list at `path`,
        every page, as `read` makes a record (upper-case name) of a listed one; None when
        the list ends without it. A page is believed whole or not at all: every secret
        listed on it is read, also after the one sought."""
        wanted = secret.upper()
        seen = 0
        for page in range(1, MAX_PAGES + 1):
            query = f"?per_page={PER_PAGE}" + (f"&page={page}" if page > 1 else "")
            request = Request("GET", path + query, repository)
            answer = _checked(request, await self.transport.send(request))
            data = _object(request, answer)
            total = _count(request, answer, data, "total_count")
            items = _items(request, answer, data, "secrets")
            found: _Listed | None = None
            for item in items:
                if not isinstance(item, dict):
                    raise _invalid(request, answer, "a listed secret is not an object")
                listed = read(request, answer, item)
                if found is None and listed.name == wanted:
                    found = listed
            if found is not None:
                return found
            seen += len(items)
            if seen >= total or not items:
                return None
        raise _invalid(request, answer, f"more than {MAX_PAGES} pages of secrets")

    async def get_public_key(self, repository: str, store: Store = ACTIONS) -> PublicKey:
        """`GET …/secrets/public-key` of a store (Actions unless said)."""
        request = Request("GET", f"{store.secrets_path(repository)}/public-key", repository)
        answer = _checked(request, await self.transport.send(request))
        data = _object(request, answer)
        key_id = _string(request, answer, data, "key_id")
        key = _string(request, answer, data, "key")
        return PublicKey(key_id=clean(key_id, 100), key=key)

    async def put_secret(
        self,
        repository: str,
        secret: str,
        encrypted_value: str,
        key_id: str,
        *,
        store: Store = ACTIONS,
        on_setback: Callable[[], None] | None = None,
    ) -> int:
        """`PUT …/secrets/{name}` in a store (Actions unless said): 201 created or 204
        updated, nothing else. `on_setback` is called if the first attempt does not
        succeed."""
        request = Request(
            "PUT",
            f"{store.secrets_path(repository)}/{quote(secret)}",
            repository,
            body={"encrypted_value": encrypted_value, "key_id": key_id},
            on_setback=on_setback,
        )
        answer = _checked(request, await self.transport.send(request), (201, 204))
        return answer.status

    # -- organisation secrets ----------------------------------------------------

    async def get_org_secret(self, org: str, secret: str) -> OrgSecret | None:
        """`GET /orgs/{org}/actions/secrets/{name}`; None on 404 (no such secret, or the
        credential may not see the organisation's secrets)."""
        request = Request("GET", f"/orgs/{org}/actions/secrets/{quote(secret)}", None)
        try:
            answer = _checked(request, await self.transport.send(request))
        except NotFoundError:
            return None
        return _org_secret(request, answer, _object(request, answer))

    async def find_org_secret(self, org: str, secret: str) -> OrgSecret | None:
        """The organisation secret named `secret` from the organisation's list
        (`GET /orgs/{org}/actions/secrets`, every page), or None when it has none. An
        error (403: the credential may not read the organisation's secrets) is raised."""
        return await self._find_listed(f"/orgs/{org}/actions/secrets", None, secret, _org_secret)

    async def private_repositories(self, org: str) -> frozenset[str]:
        """Full names (lower-case) of the organisation's private and internal
        repositories the credential sees (`GET /orgs/{org}/repos`, 100 a page): those an
        organisation secret of visibility `private` reaches."""
        names: set[str] = set()
        for page in range(1, MAX_REPOSITORY_PAGES + 1):
            request = Request(
                "GET", f"/orgs/{org}/repos?type=all&per_page={PER_PAGE}&page={page}", None
            )
            answer = _checked(request, await self.transport.send(request))
            items = answer.json()
            if not isinstance(items, list):
                raise _invalid(request, answer, "the answer is not a JSON array")
            for item in items:
                if not isinstance(item, dict):
                    raise _invalid(request, answer, "a listed repository is not an object")
                full_name = _string(request, answer, item, "full_name").lower()
                private = item.get("private")
                if not isinstance(private, bool):
                    raise _invalid(request, answer, "a listed repository has no 'private'")
                # GitHub's `internal` repositories are private to the enterprise too.
                if private or item.get("visibility") in ("private", "internal"):
                    names.add(full_name)
            if len(items) < PER_PAGE:
                return frozenset(names)
        raise _invalid(request, answer, f"more than {MAX_REPOSITORY_PAGES} pages of repositories")

    async def org_secret_repositories(self, org: str, secret: str) -> frozenset[str]:
        """Full names (lower-case) of the repositories a `selected` org secret is shared with."""
        path = f"/orgs/{org}/actions/secrets/{quote(secret)}/repositories"
        names: set[str] = set()
        for page in range(1, MAX_PAGES + 1):
            request = Request("GET", f"{path}?per_page={PER_PAGE}&page={page}", None)
            answer = _checked(request, await self.transport.send(request))
            data = _object(request, answer)
            total = _count(request, answer, data, "total_count")
            items = _items(request, answer, data, "repositories")
            for item in items:
                if not isinstance(item, dict):
                    raise _invalid(request, answer, "a listed repository is not an object")
                names.add(_string(request, answer, item, "full_name").lower())
            if len(names) >= total or not items:
                return frozenset(names)
        raise _invalid(request, answer, f"more than {MAX_PAGES} pages of repositories")


@asynccontextmanager
async def open_client(
    settings: ClientSettings,
    *,
    listener: ClientListener | None = None,
    timing: Timing | None = None,
    budget: PointsBudget | None = None,
    pool_connections: int = POOL_CONNECTIONS,
) -> AsyncIterator[GitHubClient]:
    """A `GitHubClient` over a fresh `Transport` and its connection pools, closed on exit.

    `budget` is the run's request budget: pass the same one to every client of a run (a
    rotation's preflight and its writes use two), since GitHub counts them together.
    None: a budget of `settings.budget` points for this client alone.
    """
    async with open_pools(settings, pool_connections) as pools:
        transport = Transport(pools, settings, listener=listener, timing=timing, budget=budget)
        yield GitHubClient(transport)


__all__ = [
    "API_VERSION",
    "DEFAULT_API_URL",
    "INSTALLATION_LOGIN",
    "USER_AGENT",
    "ClientListener",
    "ClientSettings",
    "Expiry",
    "GitHubClient",
    "Installation",
    "OrgSecret",
    "PublicKey",
    "SecretInfo",
    "Timing",
    "User",
    "iso_timestamp",
    "open_client",
    "token_expiry",
]
