"""May the previous token be revoked? The one rule of SPEC §11, over a status report.

Revoking a token breaks every copy of the secret that still holds it. So a revocation is
refused (exit 1, nothing sent) while any copy of the graph was not written by the
newest completed rotation — missing, could not be checked, missed it (holds an older
token), changed since (holds a value nobody recorded), or read from the organisation's
secret, which no rotation writes — or while a rotation is unfinished (SPEC §12: both
tokens in use). `--force` overrides exactly this rule.

Pure: it reads the `StatusReport` of the whole graph and the `Outlook` that `assess`
made of it with the journal, and names each copy in the way with the reason. It agrees
with `status`: no blocker exactly when status says it is safe to revoke.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccat.pat.status import Outlook, SecretStatus, StatusReport
from ccat.pat.stores import Copy


@dataclass(frozen=True)
class Blocker:
    """A reason not to revoke: the copy in the way (`repository`, and the store it
    is in), or none for a reason about the whole graph, and why."""

    reason: str
    repository: str | None = None
    store: str = "actions"

    @property
    def copy(self) -> str:
        """How the copy is named: `ccatobs/ops-db` for the Actions copy."""
        if self.repository is None:
            return "the graph"
        return self.repository if self.store == "actions" else f"{self.repository} ({self.store})"


def revocation_blockers(report: StatusReport, outlook: Outlook) -> tuple[Blocker, ...]:
    """Every reason the previous token may not be revoked yet; none when every copy of
    the graph holds the token of the newest completed rotation (`report` must cover the
    whole graph: a selection proves nothing of the others)."""
    blockers: list[Blocker] = []
    unfinished = outlook.unfinished
    if unfinished is not None:
        # The copies to name are those still holding the previous token: the ones the
        # unfinished run has not (as GitHub confirms) written yet.
        blockers.append(
            Blocker(
                f"rotation {unfinished.run_id} is unfinished ({unfinished.state}): "
                f"{unfinished.holding} of {unfinished.repositories} repositories hold its "
                "token, the others the previous one, so both are in use"
            )
        )
        why = f"rotation {unfinished.run_id} has not written it: it holds the previous token"
        blockers += [Blocker(why, repository) for repository in unfinished.not_holding]
        return tuple(blockers)
    if outlook.token is None:
        blockers.append(
            Blocker(
                f"the journal records no completed rotation of {report.secret} in "
                f"{report.org}: nothing shows which token each copy holds"
            )
        )
    elif not report.results:
        blockers.append(Blocker("no repository was checked"))
    run = (
        "the last completed rotation"
        if outlook.token is None
        else (f"rotation {outlook.token.run_id}, the last completed")
    )
    for result in report.results:
        if result.repository not in outlook.holding:
            blockers.append(Blocker(_why(result, outlook, run), result.repository))
        for copy in result.copies:
            if (result.repository, copy.name) not in outlook.holding_copies:
                why = _copy_why(result, copy, outlook, run)
                blockers.append(Blocker(why, result.repository, copy.name))
    if not blockers and outlook.safe_to_revoke is None:
        # Never more lenient than status: whatever it saw, it did not say "safe".
        blockers.append(Blocker("status does not find it safe to revoke the previous token"))
    return tuple(blockers)


def _copy_why(result: SecretStatus, copy: Copy, outlook: Outlook, run: str) -> str:
    """Why a copy in another store (SPEC §10) does not hold that token."""
    if copy.state == "not checked":
        needs = (
            f"; GitHub says it needs {copy.accepted_permissions}"
            if copy.accepted_permissions
            else ""
        )
        return (
            "could not be checked: the operator credential may not read this store"
            f"{needs}, so whether a copy there holds this token is unknown"
        )
    if copy.state == "error":
        return f"could not be checked ({copy.error or 'unknown error'})"
    for warning in outlook.of(result.repository):
        if warning.store == copy.name and warning.kind in ("missed", "changed"):
            return warning.message
    return f"{run} did not write it"


def _why(result: SecretStatus, outlook: Outlook, run: str) -> str:
    """Why one repository's copy does not hold the newest completed rotation's token."""
    if result.state == "missing":
        return "the secret is missing"
    if result.state == "error":
        return f"could not be checked ({result.error or 'unknown error'})"
    if result.via == "organization":
        return "it reads the organisation's secret, which no rotation writes"
    for warning in outlook.of(result.repository):
        if warning.kind in ("missed", "changed") and warning.store is None:
            return warning.message
    return f"{run} did not write it"
