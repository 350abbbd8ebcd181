"""Every error `ccat pat` raises on purpose, in one hierarchy.

    CcatError                      base; `exit_code` says how the CLI ends
    ├── UsageError                 exit 2: bad option or input given by the operator
    │   ├── ConfigError            exit 2: dependency graph unreadable or invalid (file, line)
    │   ├── StoreUnreadableError   exit 2: rotate: a selected store cannot be read (--stores)
    │   ├── TokenMismatchError     exit 2: --resume with a token other than the journal's
    │   └── InvalidNewTokenError   exit 2: the new token is empty or GitHub rejects it
    ├── JournalError               exit 2: journal unreadable, corrupt or of unknown schema
    │   ├── JournalLockedError     exit 2: another rotation holds the journal lock
    │   └── NothingToResumeError   exit 2: --resume without an unfinished run
    ├── OperatorCredentialError    exit 4: the operator credential is missing or rejected
    │   ├── CredentialError        exit 4: no operator credential could be found
    │   └── CredentialRejectedError  exit 4: GitHub rejected it (401), said once, not per
    │                                repository
    ├── PreflightError             exit 1: rotation refused before any write (lists failures)
    ├── SealingError               exit 1: a repository's public key is not a usable key
    └── GitHubError                exit 1: a request to GitHub failed (repository, status, message)
        ├── TransportError         connection failed, dropped or timed out after retries
        ├── RateLimitError         rate limited and the wait exceeds --max-wait
        ├── InvalidAnswerError     an answer GitHub does not document: status, shape, size
        └── HTTPStatusError        GitHub answered with an error status
            ├── AuthenticationError  401: the credential used was rejected
            └── NotFoundError        404

Errors carry no token: the GitHub client attaches the repository and the request line
(method and path), never headers. Text that came from a server is cleaned
(`ccat.pat.untrusted.clean`) before it is put into an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class CcatError(Exception):
    """Base of every error raised on purpose by ccat."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CcatError):
    """The operator gave an option or an input that cannot be used."""

    exit_code = 2


class ConfigError(UsageError):
    """The dependency graph is missing, unparsable or invalid."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class OperatorCredentialError(CcatError):
    """The operator credential is missing or GitHub rejects it: exit 4 in every command
    (SPEC §12), so that a script can tell "fix the credential" from anything else."""

    exit_code = 4


class CredentialError(OperatorCredentialError):
    """No operator credential could be found."""


class CredentialRejectedError(OperatorCredentialError):
    """GitHub answered 401 to the operator credential (expired, revoked, mistyped)."""


class StoreUnreadableError(UsageError):
    """`rotate`: a store selected with `--stores` (or by default) that the operator
    credential cannot read; refused before any write, naming the permission."""


class TokenMismatchError(UsageError):
    """`--resume` was given a token other than the one the unfinished run started with."""


class InvalidNewTokenError(UsageError):
    """The new token is empty, or GitHub rejects it (`GET /user` answers 401)."""


class PreflightError(CcatError):
    """Preflight failed, so no write was sent; `failures` says what failed and why."""

    exit_code = 1

    def __init__(self, message: str, *, failures: Sequence[PreflightFailure], hint: str) -> None:
        super().__init__(message, hint=hint)
        self.failures = tuple(failures)


@dataclass(frozen=True)
class PreflightFailure:
    """One failed preflight check: `subject` is a repository or a token ("the new token"),
    `reason` what went wrong (without the subject), `hint` what to do (may be shared)."""

    subject: str
    reason: str
    hint: str | None = None


class SealingError(CcatError):
    """A repository's public key is not a usable Curve25519 key."""


class JournalError(CcatError):
    """The rotation journal cannot be read or written."""

    exit_code = 2


class JournalLockedError(JournalError):
    """Another rotation holds the journal lock."""


class NothingToResumeError(JournalError):
    """`--resume` was asked for but the journal has no unfinished run."""


class GitHubError(CcatError):
    """A request to GitHub failed; `repository` and `request` say which."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        repository: str | None = None,
        request: str | None = None,
        status: int | None = None,
        detail: str | None = None,
        hint: str | None = None,
        accepted_permissions: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.repository = repository
        self.request = request
        self.status = status
        # GitHub's X-Accepted-GitHub-Permissions on a 403: what the token would need.
        self.accepted_permissions = accepted_permissions
        # GitHub's own message (or the transport failure) without our framing: what the
        # journal records as a target's error.
        self.detail = detail if detail is not None else message

    def describe(self) -> str:
        """The status and GitHub's message, for a line that already names the repository."""
        return f"HTTP {self.status}: {self.detail}" if self.status is not None else self.detail


class TransportError(GitHubError):
    """The connection failed, was dropped or timed out, after the retries."""


class RateLimitError(GitHubError):
    """GitHub's rate limit would need a longer wait than `--max-wait` allows."""


class InvalidAnswerError(GitHubError):
    """The answer is not one GitHub documents for the request: an unexpected status, a body
    of the wrong shape or not JSON, or one larger than the client reads. Never success."""


class HTTPStatusError(GitHubError):
    """GitHub answered with an error status that is not retried (or still failed)."""


class AuthenticationError(HTTPStatusError):
    """401: the credential used was rejected."""


class NotFoundError(HTTPStatusError):
    """404: the repository or secret does not exist or is not visible."""


def credential_rejected(source: str, host: str, what: str) -> CredentialRejectedError:
    """GitHub's 401 to the operator credential found in `source` (an environment
    variable, or `gh auth token (HOST)`), said once; `what` ends the sentence with what
    could not be done ("nothing was checked", "nothing was written")."""
    login = "gh auth login" if host == "github.com" else f"gh auth login --hostname {host}"
    fix = (
        f"set {source} to a valid token (or unset it and run `{login}`)"
        if source.isidentifier()
        else f"run `{login}` again"
    )
    return CredentialRejectedError(
        f"GitHub rejected the operator credential from {source} (HTTP 401: expired, "
        f"revoked or mistyped); {what}",
        hint=f"{fix}; it is the credential that reads and writes the secrets, not the "
        "secret's value",
    )
