"""What the journal knows of a token to revoke, and the refusals that need no request:
the token in place (the newest rotation's) and the operator credential (exit 2).

A token is recognised by the salted fingerprint each run records (never the token);
the runs are those of this secret, organisation and API, newest first
(`status.relevant_runs`)."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from ccat.pat.errors import UsageError
from ccat.pat.journal import JournalDocument, Revocation, RotationRun


@dataclass(frozen=True)
class KnownToken:
    """A token the journal knows: the run that set it, and earlier revocations of it."""

    run: RotationRun | None
    revoked: tuple[Revocation, ...] = ()

    @property
    def known(self) -> bool:
        """Whether a run of the journal set this token, or revoked it before."""
        return self.run is not None or bool(self.revoked)


def refuse_in_place(
    token: str, operator_token: str, source: str, runs: Sequence[RotationRun]
) -> None:
    """`UsageError` (exit 2, nothing sent) when `token` is the operator credential, or
    the token of the newest rotation (`runs`, newest first; completed or not): the one
    CI holds, or is getting."""
    if hmac.compare_digest(token.encode(), operator_token.encode()):
        raise UsageError(
            f"this is the operator credential ({source}), not a retired token; nothing was revoked",
            hint="paste the previous GH_PAT token; to retire your own credential, revoke it "
            "on GitHub's token page once nothing uses it",
        )
    if runs and runs[0].token.fingerprint.matches(token):
        newest = runs[0]
        raise UsageError(
            f"this is the token of the newest rotation ({newest.run_id}, "
            f"{newest.state}): CI holds it{'' if newest.state == 'completed' else ' in part'}; "
            "nothing was revoked",
            hint="revoke the previous token, the one this rotation replaced; to retire this "
            "one, rotate to a new token first",
        )


# What GitHub's POST /credentials/revoke takes: classic and fine-grained PATs, OAuth app
# tokens, GitHub App user-to-server and refresh tokens. An installation token (ghs_)
# is not one of them: it expires within the hour anyway.
INSTALLATION_PREFIX = "ghs_"


def refuse_unrevocable(token: str) -> None:
    """`UsageError` (exit 2) for a token GitHub's revocation API does not take."""
    if token.startswith(INSTALLATION_PREFIX):
        raise UsageError(
            "this is a GitHub App installation token, which GitHub's revocation API does "
            "not take (and which expires within an hour of its creation); nothing was revoked",
            hint="revoke an installation token by letting it expire, or uninstall the app",
        )


def known_token(token: str, runs: Sequence[RotationRun], document: JournalDocument) -> KnownToken:
    """What the journal knows of `token`: the newest run that set it, and revocations."""
    run = next((run for run in runs if run.token.fingerprint.matches(token)), None)
    revoked = tuple(r for r in document.revocations if r.fingerprint.matches(token))
    return KnownToken(run, revoked)
