"""Tokens the emulator knows: what each may see and do, as GitHub decides it per request.

`TokenSpec` is the public description of a token; `Grant` is its compiled form, built
once when the token is added, so that every per-request decision is a few set and dict
look-ups (O(1), whatever the number of repositories).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

TokenKind = Literal["fine-grained", "classic", "installation"]
# GitHub's prefix of a GitHub App installation access token.
INSTALLATION_PREFIX = "ghs_"
_LEVELS = {"read": 1, "write": 2, "admin": 3}
EXPIRY_FORMAT = "%Y-%m-%d %H:%M:%S UTC"  # GitHub's GitHub-Authentication-Token-Expiration


def _default_permissions() -> dict[str, str]:
    return {"metadata": "read", "actions": "read"}


@dataclass(frozen=True)
class TokenSpec:
    """What a personal access token is and may do.

    `kind="fine-grained"` (a `github_pat_…` token): `permissions` maps GitHub's
    permission names (`metadata`, `actions`, `secrets`, `organization_secrets`) to
    `"read"`, `"write"` or `"admin"`; `repositories` is the set of `owner/repo` full names
    it was granted ("Only select repositories", matched case-insensitively; kept as a
    frozenset), None for "All repositories".

    `kind="classic"` (a `ghp_…` token): `scopes` are its OAuth scopes, sent back as
    `X-OAuth-Scopes`; `repo` gives every repository endpoint, `admin:org` the
    organisation secrets; `permissions` and `repositories` are ignored.

    `kind="installation"` (a GitHub App installation access token, `ghs_…`): as a
    fine-grained token, `permissions` are the app's and `repositories` those the
    installation was given (None: all of the organisation's); it has no user, so `GET
    /user` answers 403, and `GET /installation/repositories` lists what it reaches.
    `login` is the app's bot account (`my-app[bot]`).

    `pending_approval` (fine-grained only): the organisation requires an owner's
    approval of fine-grained tokens and this one awaits it. GitHub then lets it read
    public resources only: `GET /user` answers, every (private) repository of the
    emulator is 404 to it.

    `expires_at` ("YYYY-MM-DD HH:MM:SS UTC", GitHub's header format) is sent as
    `GitHub-Authentication-Token-Expiration`; once past, the token gets 401.

    The default is what a correctly created GH_PAT has at least: fine-grained, every
    repository, `metadata` and `actions` read — it reads workflow runs, not secrets.
    """

    login: str
    kind: TokenKind = "fine-grained"
    scopes: tuple[str, ...] = ("repo", "workflow")
    permissions: Mapping[str, str] = field(default_factory=_default_permissions, hash=False)
    repositories: AbstractSet[str] | None = None
    expires_at: str | None = None
    pending_approval: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("fine-grained", "classic", "installation"):
            raise ValueError(f"a token is fine-grained, classic or installation, not {self.kind!r}")
        if self.pending_approval and self.kind != "fine-grained":
            raise ValueError("only a fine-grained token awaits an organisation's approval")
        for name, level in self.permissions.items():
            if level not in _LEVELS:
                raise ValueError(f"permission {name!r}: {level!r} is not read, write or admin")
        if self.repositories is not None and not isinstance(self.repositories, frozenset):
            object.__setattr__(self, "repositories", frozenset(self.repositories))
        if isinstance(self.scopes, str):
            raise ValueError("scopes is a tuple of scope names, not one string")
        if self.expires_at is not None:
            expiry_epoch(self.expires_at)  # raises ValueError when malformed


def expiry_epoch(expires_at: str) -> float:
    """Epoch seconds of a `YYYY-MM-DD HH:MM:SS UTC` expiry; ValueError when malformed."""
    try:
        moment = datetime.strptime(expires_at, EXPIRY_FORMAT)
    except ValueError as exc:
        raise ValueError(f"token expiry {expires_at!r} is not 'YYYY-MM-DD HH:MM:SS UTC'") from exc
    return moment.replace(tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Need:
    """A permission an endpoint needs from a fine-grained token, e.g. `actions` read."""

    permission: str
    level: str

    @property
    def header(self) -> str:
        """The `X-Accepted-GitHub-Permissions` value GitHub sends with a 403."""
        return f"{self.permission}={self.level}"


@dataclass(frozen=True)
class Grant:
    """A token compiled for per-request decisions; see `TokenSpec` for the rules."""

    login: str
    operator: bool
    classic: bool
    installation: bool
    pending: bool
    scopes: frozenset[str]
    levels: Mapping[str, int]
    repositories: frozenset[str] | None  # lower-cased full names; None: all
    expires: float | None
    headers: Mapping[str, str]  # sent on every answer to this token

    @classmethod
    def of(cls, spec: TokenSpec, *, operator: bool = False) -> Grant:
        """Compile a spec; the operator may do everything whatever its spec says."""
        headers: dict[str, str] = {}
        if spec.kind == "classic":
            headers["x-oauth-scopes"] = ", ".join(spec.scopes)
        if spec.expires_at is not None:
            headers["github-authentication-token-expiration"] = spec.expires_at
        return cls(
            login=spec.login,
            operator=operator,
            classic=spec.kind == "classic",
            installation=spec.kind == "installation",
            pending=spec.pending_approval,
            scopes=frozenset(spec.scopes),
            levels={name: _LEVELS[level] for name, level in spec.permissions.items()},
            repositories=None
            if spec.repositories is None
            else frozenset(name.lower() for name in spec.repositories),
            expires=None if spec.expires_at is None else expiry_epoch(spec.expires_at),
            headers=headers,
        )

    def expired(self, now: float) -> bool:
        """Whether the token's expiry has passed."""
        return self.expires is not None and now >= self.expires

    def sees(self, full_name: str) -> bool:
        """Whether a (private) repository exists for this token; else GitHub says 404."""
        if self.operator:
            return True
        if self.pending:
            return False
        if self.classic:
            return "repo" in self.scopes
        return self.repositories is None or full_name.lower() in self.repositories

    def refusal(self, need: Need | None) -> dict[str, str] | None:
        """None when the token may use an endpoint needing `need`; else the headers of
        GitHub's 403 (which permission or scope would have been accepted)."""
        if need is None or self.operator:
            return None
        if self.classic:
            # `repo` covers every repository permission (`sees` checked it already);
            # organisation secrets need `admin:org`, as GitHub documents.
            if need.permission != "organization_secrets" or "admin:org" in self.scopes:
                return None
            return {"x-accepted-oauth-scopes": "admin:org"}
        if self.levels.get(need.permission, 0) >= _LEVELS[need.level]:
            return None
        return {"x-accepted-github-permissions": need.header}

    @property
    def forbidden(self) -> str:
        """GitHub's message when this token lacks a permission."""
        who = "integration" if self.installation else "personal access token"
        return f"Resource not accessible by {who}"


def spec_for(token: str, login: str) -> TokenSpec:
    """What a token given with only a login is, by GitHub's prefix: a GitHub App
    installation token (`ghs_`: every repository of the organisation, reading and
    writing secrets, as an app made for rotating is), else the default PAT."""
    if token.startswith(INSTALLATION_PREFIX):
        return TokenSpec(
            login,
            kind="installation",
            permissions={
                "metadata": "read",
                "actions": "read",
                "secrets": "write",
                "organization_secrets": "read",
            },
        )
    return TokenSpec(login)


# The grant of a request without a token, for the one endpoint that must have none.
ANONYMOUS = Grant(
    login="",
    operator=False,
    classic=False,
    installation=False,
    pending=False,
    scopes=frozenset(),
    levels={},
    repositories=frozenset(),
    expires=None,
    headers={},
)
