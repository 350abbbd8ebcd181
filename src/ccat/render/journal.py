"""`ccat pat journal`: the last run's header, each target, and what `--resume` would do.

Everything shown here was read from a file an operator (or an attacker) may have edited:
every string goes through `shown`. The targets table is laid out for the terminal's
width: repository names whole when they fit, times compact, errors wrapping in their cell.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from ccat.pat.journal import JournalDocument, Revocation, RotationRun, TargetRecord, seen_state
from ccat.pat.times import parse_exact
from ccat.render.status_layout import wrap
from ccat.render.text import (
    NONE,
    Fitted,
    natural_widths,
    plural,
    screen,
    share_width,
    shown,
    table_chrome,
)

IN_FLIGHT = "[yellow]? in flight[/]"
IN_FLIGHT_LEGEND = (
    "[yellow]? in flight[/], outcome unknown: the write started but its answer was never "
    "recorded (the rotation was stopped or died during it); it may or may not have "
    "landed, and `--resume` sets it again."
)
LIVE_LEGEND = (
    "[yellow]? in flight[/]: the write is under way; its outcome is recorded as soon as "
    "GitHub answers."
)
_TARGET_STATE = {
    "updated": "[green]✓ updated[/]",
    "failed": "[red]✗ failed[/]",
    "pending": "pending",
}
# What the journal says where a state or a time should be, shortened to this if odd.
STATE_LIMIT = 24
# Names list in the forecast only while short: the table shows every one anyway.
FORECAST_NAMES = 5


def run_state(run: RotationRun, holder: str | None) -> str:
    """The run's state as an operator needs it: is anything still running?

    `holder` describes the live process holding the journal lock, None when none does.
    """
    if run.state == "running":
        if holder is not None:
            return f"[yellow]running[/] (lock held by {shown(holder)}): in progress now"
        return (
            "[red]crashed[/] (recorded as running, but no process holds the lock: it "
            "died without finishing; `ccat pat rotate --resume` finishes it)"
        )
    if run.state == "interrupted":
        return "[yellow]interrupted[/] (stopped by a signal; `--resume` finishes it)"
    if run.state == "stopped":
        return "[red]stopped[/] (a write failed; fix it, then `--resume`)"
    return f"[green]{shown(run.state)}[/]"


def journal_json(document: JournalDocument, *, lock_held: bool) -> dict[str, Any]:
    """`ccat pat journal --json`: the document as it is, except that a run recorded as
    `running` that no live process holds (only the current run can be held) reads
    `crashed`, with the stored state beside it as `recorded_state`: `state` is what a
    person should believe."""
    data = document.to_json()
    runs = [(data["current"], lock_held)] if data["current"] is not None else []
    runs += [(run, False) for run in data["history"]]
    for run, held in runs:
        seen = seen_state(run["state"], held)
        if seen != run["state"]:
            run["recorded_state"], run["state"] = run["state"], seen
    return data


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
    if run.selection is not None:
        selected = plural(len(run.selection), "repository", "repositories")
        rows.append(
            ("Selection", f"{selected} chosen with --repo: {shown(', '.join(run.selection))}")
        )
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def in_flight(target: TargetRecord) -> bool:
    """A write that started and never recorded an outcome (its process died)."""
    return target.state == "pending" and bool(target.started_at) and not target.finished_at


def compact_time(stamp: str | None, day: str) -> str:
    """`19:00:01` on the run's `day` (UTC), `11-26 19:00:01` on another; as is otherwise."""
    if not stamp:
        return NONE
    when = parse_exact(stamp)
    if when is None:
        return shown(stamp, STATE_LIMIT)
    clock = when.strftime("%H:%M:%S")
    return clock if _day(when) == day else f"{when.strftime('%m-%d')} {clock}"


def _day(when: datetime) -> str:
    return when.strftime("%Y-%m-%d")


def journal_targets(run: RotationRun) -> RenderableType:
    """Each target's state, time (UTC) and error, fitted to the width it is drawn at."""
    started = parse_exact(run.started_at or "")
    day = "" if started is None else _day(started)
    rows = []
    for target in run.targets:
        state = _TARGET_STATE.get(target.state, shown(target.state, STATE_LIMIT))
        status = f"HTTP {target.http_status}: " if target.http_status else ""
        error = shown(status + target.error) if target.error else ""
        when = compact_time(target.finished_at or target.started_at, day)
        rows.append((shown(target.label), IN_FLIGHT if in_flight(target) else state, when, error))
    return Fitted(lambda width: _targets_table(rows, width))


def _targets_table(rows: list[tuple[str, str, str, str]], width: int) -> Table:
    headers = ("Repository", "State", "Time (UTC)", "Error")
    errors = any(row[3] for row in rows)
    needs = natural_widths(headers, rows)
    room = width - table_chrome(4 if errors else 3) - needs[1] - needs[2]
    names, text = share_width(room, needs[0], needs[3] if errors else 0)
    table = Table(box=box.ROUNDED)
    table.add_column(headers[0], width=names, overflow="fold")
    table.add_column(headers[1], no_wrap=True)
    table.add_column(headers[2], no_wrap=True)
    if errors:
        table.add_column(headers[3], width=text, overflow="fold")
    for repository, state, when, error in rows:
        table.add_row(repository, state, when, *([error] if errors else []))
    return table


def journal_notes(run: RotationRun, *, live: bool = False) -> list[str]:
    """What the table's marks mean, when it has any (`live`: the run is in progress)."""
    if not any(in_flight(t) for t in run.targets):
        return []
    return [LIVE_LEGEND if live else IN_FLIGHT_LEGEND]


def resume_forecast(run: RotationRun, holder: str | None = None) -> str:
    """What `ccat pat rotate --resume` would do with this run (`holder`: the live process
    holding the journal lock, None when none does)."""
    if run.state == "running" and holder is not None:
        return (
            f"In progress: {shown(holder)} is running this rotation now. Wait for it to "
            "finish (`ccat pat journal` again shows how far it got); do not revoke either "
            "token meanwhile."
        )
    if run.state == "completed":
        return "Nothing to resume: this run completed. `ccat pat rotate` starts a new one."
    skip, todo = len(run.updated()), run.not_updated()
    # (repository, store) pairs once the run has copies in other stores (SPEC §10).
    pairs = any(target.store != "actions" for target in run.targets)
    noun, nouns = ("copy", "copies") if pairs else ("repository", "repositories")
    named = f": {shown(', '.join(todo))}" if 0 < len(todo) <= FORECAST_NAMES else ""
    return (
        f"`ccat pat rotate --resume` (same token) would skip "
        f"{plural(skip, f'updated {noun}', f'updated {nouns}')} and set "
        f"{len(todo)}{named} (plus any added to the graph since; a skipped one is set "
        "again if GitHub no longer holds that write). A plain `ccat pat rotate` with the "
        "same token would set them all again, which is safe."
    )


# Revocations `ccat pat journal` lists (the newest); `--json` has them all.
REVOCATIONS_SHOWN = 5


def revocation_line(revocation: Revocation) -> Fitted:
    """One revocation: when, whose token (its fingerprint), the rotation that had set
    it, who revoked it, and whether --force overrode the copies' check; wrapped to the
    width it is drawn at, under its date."""
    login = revocation.login or "unknown login"
    set_by = f", set by rotation {revocation.run_id}" if revocation.run_id else ""
    by = f"; revoked by {revocation.operator}" if revocation.operator else ""
    forced = " (--force: some copies may have held it)" if revocation.forced else ""
    text = screen(
        f"{revocation.revoked_at}  {login}, fingerprint {revocation.fingerprint.short}"
        f"{set_by}{by}{forced}"
    )
    return Fitted(lambda width: Text("\n".join(wrap(text, width, indent=2, hang=4))))


def revocation_lines(document: JournalDocument) -> list[RenderableType]:
    """The tokens revoked, newest first (at most `REVOCATIONS_SHOWN`); none: nothing."""
    revoked = document.revocations[::-1]
    if not revoked:
        return []
    lines: list[RenderableType] = [f"Revoked tokens ({len(revoked)}, newest first):"]
    lines += [revocation_line(revocation) for revocation in revoked[:REVOCATIONS_SHOWN]]
    if len(revoked) > REVOCATIONS_SHOWN:
        lines.append(f"  … and {len(revoked) - REVOCATIONS_SHOWN} earlier (`--json` has them)")
    return lines
