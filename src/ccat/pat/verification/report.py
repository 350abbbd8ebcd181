"""What `ccat pat verify` found (SPEC §11): the token itself, as GitHub sees it, and
whether it reaches each repository; and what that means (`assess_token`: the expiry
warning; `VerifyReport.problems`: what fails the check). Records only, and pure
functions of them: the engine is `ccat.pat.verification.engine`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ccat.pat.expiry import days_left as whole_days_left
from ccat.pat.expiry import expiry_due, expiry_warning
from ccat.pat.journal import TokenKind
from ccat.pat.reach import held_by_policy, refused_by_policy
from ccat.pat.times import parse_iso

# A classic token needs these scopes for CI's cross-repository workflows (SPEC §4.2).
REQUIRED_SCOPES = ("repo", "workflow")

TokenState = Literal["valid", "rejected", "error"]
ReachState = Literal["reachable", "unreachable", "error", "not checked"]


@dataclass(frozen=True)
class TokenVerdict:
    """What GitHub says of the token (`GET /user`, or for a GitHub App installation
    token `GET /installation/repositories`).

    `state` is `valid` (GitHub answered), `rejected` (401: expired, revoked or
    mistyped) or `error` (no usable answer: `error` says why, `connection_hint` when
    none came at all). `kind` comes from the token's prefix only. `scopes` is None
    unless GitHub sent `X-OAuth-Scopes` (a classic token). `expiry_unreadable` is the
    expiry header as sent when it could not be read: the expiry is then unknown."""

    state: TokenState
    kind: TokenKind
    login: str | None = None
    expires_at: str | None = None
    expiry_unreadable: str | None = None
    scopes: tuple[str, ...] | None = None
    installation_repositories: int | None = None
    error: str | None = None
    http_status: int | None = None
    connection_hint: str | None = None

    @property
    def missing_scopes(self) -> tuple[str, ...]:
        """The scopes CI needs that a classic token lacks (none for other kinds)."""
        if self.scopes is None:
            return ()
        return tuple(scope for scope in REQUIRED_SCOPES if scope not in self.scopes)


@dataclass(frozen=True)
class Reach:
    """Whether the token reads one repository's workflow runs, as CI needs.

    `unreachable`: GitHub refused it access (403 or 404: `accepted_permissions` is its
    `X-Accepted-GitHub-Permissions`, when sent); `error`: no usable answer (network,
    a server error, a rate limit beyond `--max-wait`); `not checked`: the token itself
    was not valid, so nothing was asked."""

    repository: str
    state: ReachState
    error: str | None = None
    http_status: int | None = None
    accepted_permissions: str | None = None
    connection_hint: str | None = None


@dataclass(frozen=True)
class VerifyReport:
    """Everything one `verify` found; `name` is what the token is called (the variable
    `--token-env` names: GH_PAT), `source` where it came from (that variable, or
    standard input); never the token."""

    name: str
    source: str
    org: str
    checked_at: str
    token: TokenVerdict
    results: tuple[Reach, ...]

    def count(self, state: ReachState) -> int:
        """How many repositories are in `state`."""
        return sum(1 for result in self.results if result.state == state)

    @property
    def held_by_policy(self) -> bool:
        """A fine-grained token GitHub accepts that reaches none of the repositories:
        most likely an organisation's policy (`ccat.pat.reach`)."""
        refused = [
            r.repository
            for r in self.results
            if r.state == "unreachable" and refused_by_policy(r.http_status, r.accepted_permissions)
        ]
        checked = len(self.results) - self.count("not checked")
        return self.token.state == "valid" and held_by_policy(self.token.kind, checked, refused)

    @property
    def problems(self) -> int:
        """What fails the check (exit 1): the token rejected, a scope missing, a
        repository it cannot reach."""
        rejected = self.token.state == "rejected"
        return int(rejected) + len(self.token.missing_scopes) + self.count("unreachable")

    @property
    def unchecked(self) -> int:
        """What could not be checked (exit 3 when nothing failed): the token, or
        repositories."""
        return int(self.token.state == "error") + self.count("error")


@dataclass(frozen=True)
class TokenWarning:
    """A warning about the token: its kind (for scripts) and a sentence for people."""

    kind: Literal["expiry"]
    message: str


def days_left(expires_at: str | None, now: datetime) -> int | None:
    """Whole days until the expiry, rounded down (negative once expired); None when
    there is no readable expiry (`ccat.pat.expiry`'s count)."""
    expires = parse_iso(expires_at)
    return None if expires is None else whole_days_left(expires, now)


def assess_token(token: TokenVerdict, now: datetime, warn_days: int) -> tuple[TokenWarning, ...]:
    """The warnings about a valid token: it expires within `warn_days` days (the cut-off
    of `status` and `rotate`, `ccat.pat.expiry`), or GitHub sent an expiry that cannot
    be read (then nobody can warn before it: look it up)."""
    if token.state != "valid":
        return ()
    who = f"the token ({token.login})" if token.login else "the token"
    if token.expiry_unreadable is not None:
        message = (
            f"{who} has an expiry GitHub sent in a form that cannot be read "
            f"({token.expiry_unreadable}): look it up on the token's page, nothing can "
            "warn before it"
        )
        return (TokenWarning("expiry", message),)
    expires = expiry_due(token.expires_at, now, warn_days)
    if expires is None:
        return ()
    message = expiry_warning(who, expires, now)
    return (TokenWarning("expiry", message),)
