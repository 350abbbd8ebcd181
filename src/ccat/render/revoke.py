"""`ccat pat revoke` for people: what the journal and GitHub know of the token, whether
every copy holds the newest token (one line per cause), the question, the outcome.

Rich markup lines; every string from GitHub or the journal goes through `shown` (a
sentence that mixes ours and theirs, as a whole). Lines are wrapped by the console.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from ccat.pat.journal import Revocation, TokenKind
from ccat.pat.revocation import Blocker, KnownToken
from ccat.pat.status import Outlook
from ccat.pat.verification import TokenVerdict
from ccat.render.causes import group
from ccat.render.status import cause_lines
from ccat.render.status_layout import wrap
from ccat.render.text import Fitted, plural, screen, shown

REVOKE_HINT = (
    "finish the rotation (`ccat pat rotate --resume`) or rotate again, then check with "
    "`ccat pat status` until it says it is safe to revoke the previous token; --force "
    "revokes anyway, breaking CI wherever the token is still used"
)


def knowledge_lines(known: KnownToken, verdict: TokenVerdict, kind: TokenKind) -> list[str]:
    """What the journal and GitHub know of the token to revoke (never the token)."""
    lines: list[str] = []
    run = known.run
    if run is not None:
        expires = f", expires {shown(run.token.expires_at)}" if run.token.expires_at else ""
        lines.append(
            f"The journal knows this token: rotation {shown(run.run_id)} set it "
            f"({shown(run.state)}, started {shown(run.started_at)}), for "
            f"{shown(run.token.login)} ({kind}{expires})."
        )
    elif not known.revoked:
        lines.append(
            "[yellow]The journal does not know this token:[/] no rotation it records set "
            "it. Make sure it is the previous GH_PAT."
        )
    for revocation in known.revoked:
        lines.append(
            f"[yellow]note:[/] the journal records it revoked already, on "
            f"{shown(revocation.revoked_at)}."
        )
    if verdict.state == "valid":
        expiry = (
            f", expires {shown(verdict.expires_at)}"
            if verdict.expires_at
            else ", no expiry date sent"
        )
        lines.append(f"GitHub: the token is valid, for {shown(verdict.login)}{expiry}.")
    elif verdict.state == "error":
        lines.append(
            f"[yellow]GitHub could not be asked about the token:[/] {shown(verdict.error)}."
        )
    return lines


def already_rejected_lines(verdict: TokenVerdict) -> list[str]:
    """The token is dead already: nothing to do."""
    return [
        f"GitHub already rejects this token ({shown(verdict.error or 'HTTP 401')}: expired "
        "or revoked): there is nothing to revoke. Nothing was sent to GitHub."
    ]


def _blocker_lines(blockers: tuple[Blocker, ...], width: int) -> list[str]:
    """The reasons about the whole graph, then one entry per cause naming its copies;
    every reason (it may quote GitHub or the journal) through the terminal's door."""
    lines: list[str] = []
    for blocker in blockers:
        if blocker.repository is None:
            lines += wrap(screen(blocker.reason), width, indent=2)
    causes = group(
        ((b.copy, b.reason) for b in blockers if b.repository is not None), ("copy", "copies")
    )
    for cause in causes:
        lines += cause_lines(cause, width)
    return lines


def blocked_report(blockers: tuple[Blocker, ...], *, forced: bool) -> list[RenderableType]:
    """Why not every copy is known to hold the newest token: the refusal (exit 1,
    nothing sent), or with `--force` the warning before the question."""
    copies = sum(1 for b in blockers if b.repository is not None)
    what = plural(copies, "copy", "copies") if copies else "the graph"
    if forced:
        head = (
            f"[yellow]warning: --force: revoking although {what} may still use it[/] "
            "(CI breaks there):"
        )
    else:
        head = (
            f"[bold red]✗ Not revoked:[/] {what} may still use this token; revoking it now "
            "would break CI there:"
        )

    def build(width: int) -> RenderableType:
        return Text("\n".join(_blocker_lines(blockers, width)))

    lines: list[RenderableType] = [head, Fitted(build)]
    if not forced:
        lines += [f"[dim]hint:[/] {shown(REVOKE_HINT)}", "Nothing was sent to GitHub."]
    return lines


def clear_line(outlook: Outlook) -> str:
    """Every copy holds the newest completed rotation's token."""
    token = outlook.token
    run = "" if token is None else f" of rotation {shown(token.run_id)}"
    return (
        f"[green]✓[/] Every copy of the graph holds the token{run}, the last completed "
        "one: nothing uses the previous token any more."
    )


QUESTION = "Revoke this token? GitHub disables it at once, for every use"


def revoked_lines(revocation: Revocation, journal_path: str) -> list[str]:
    """The outcome: GitHub accepted it, and the journal recorded it."""
    login = f" of {shown(revocation.login)}" if revocation.login else ""
    return [
        f"[green]✓ Revoked:[/] GitHub accepted the revocation of the token{login} (HTTP "
        "202); it stops working within moments, everywhere.",
        f"Recorded in the journal {shown(journal_path)} (fingerprint "
        f"{shown(revocation.fingerprint.short)}, {shown(revocation.revoked_at)}; `ccat pat "
        "journal` shows it).",
    ]
