"""`ccat pat journal`: the last run's header, each target, and what `--resume` would do.

Everything shown here was read from a file an operator (or an attacker) may have edited:
every string goes through `shown`.
"""

from __future__ import annotations

from rich import box
from rich.table import Table

from ccat.pat.journal import RotationRun
from ccat.pat.render.text import NONE, plural, shown

_TARGET_STATE = {
    "updated": "[green]✓ updated[/]",
    "failed": "[red]✗ failed[/]",
    "pending": "pending",
}


def run_state(run: RotationRun, holder: str | None) -> str:
    """The run's state as an operator needs it: is anything still running?

    `holder` describes the live process holding the journal lock, None when none does.
    """
    if run.state == "running":
        if holder is not None:
            return f"[yellow]running[/] (lock held by {shown(holder)})"
        return (
            "[red]crashed[/] (recorded as running, but no process holds the lock: it "
            "died without finishing; `ccat pat rotate --resume` finishes it)"
        )
    if run.state == "interrupted":
        return "[yellow]interrupted[/] (stopped by a signal; `--resume` finishes it)"
    if run.state == "stopped":
        return "[red]stopped[/] (a write failed; fix it, then `--resume`)"
    return f"[green]{shown(run.state)}[/]"


def journal_header(run: RotationRun, path: str, holder: str | None) -> Table:
    """The run's header: id, times, state, operator, secret, org, token."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    token = run.token
    kind = f" ({shown(token.kind)})" if token.kind else ""
    rows = [
        ("Journal", shown(path)),
        ("Run", shown(run.run_id)),
        ("State", run_state(run, holder)),
        ("Started", shown(run.started_at)),
        ("Finished", shown(run.finished_at)),
        ("Operator", shown(run.operator)),
        ("Secret", f"{shown(run.secret)} in {shown(run.org)} ({shown(run.api_url)})"),
        ("Graph", f"{shown(run.graph.path)} (sha256 {shown(run.graph.sha256[:12])})"),
        (
            "New token",
            f"fingerprint {shown(token.fingerprint.short)}, login {shown(token.login)}"
            f"{kind}, expires {shown(token.expires_at)}",
        ),
    ]
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def journal_targets(run: RotationRun) -> Table:
    """Each target's state, time and error; errors fold inside their cell."""
    table = Table(box=box.ROUNDED)
    table.add_column("Repository", overflow="fold", ratio=3)
    table.add_column("State", ratio=2)
    table.add_column("Time", no_wrap=True)
    table.add_column("Error", ratio=3)
    for target in run.targets:
        state = _TARGET_STATE.get(target.state, shown(target.state))
        if target.state == "pending" and target.started_at and not target.finished_at:
            state = "[yellow]? in flight, outcome unknown[/]"
        error = f"HTTP {target.http_status}: {target.error}" if target.error else ""
        table.add_row(
            shown(target.repository),
            state,
            shown(target.finished_at or target.started_at or NONE),
            shown(error),
        )
    return table


def resume_forecast(run: RotationRun) -> str:
    """What `ccat pat rotate --resume` would do with this run."""
    if run.state == "completed":
        return "Nothing to resume: this run completed. `ccat pat rotate` starts a new one."
    skip, todo = len(run.updated()), run.not_updated()
    return (
        f"`ccat pat rotate --resume` (same token) would skip "
        f"{plural(skip, 'updated repository', 'updated repositories')} and set "
        f"{len(todo)}: {shown(', '.join(todo)) or NONE} (plus any added to the graph "
        "since; a skipped one is set again if GitHub no longer holds that write). A plain "
        "`ccat pat rotate` with the same token would set them all again, which is safe."
    )
