"""`ccat pat rotate` on screen: the preflight result, the plan, each write, the final
report (or its JSON), and a refused preflight."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Table

from ccat.pat.expiry import days_left, expiry_due
from ccat.pat.journal import RotationRun, TargetRecord
from ccat.pat.rotation.plan import Plan, RotationOutcome  # records, not the engine
from ccat.pat.settings import DEFAULTS
from ccat.pat.untrusted import clean
from ccat.render.journal import in_flight
from ccat.render.text import (
    Fitted,
    json_text,
    natural_widths,
    plural,
    share_width,
    shown,
    table_chrome,
)
from ccat.render.unfinished import DO_NOT_REVOKE


def plan_table(plan: Plan, secret: str) -> RenderableType:
    """The plan after a successful preflight: each target and what happens to it, fitted
    to the width it is drawn at (repository names whole when they fit)."""
    rows: list[tuple[str, str, str]] = []
    for number, item in enumerate(plan.items, start=1):
        if item.action == "skip":
            action = "[dim]skip: already updated[/]"
        else:
            action = "[yellow]set again[/] (see note)" if item.note else "set"
        rows.append((str(number), shown(item.label), action))
    title = f"Plan: rotate {shown(secret)}" + (
        f" — {plural(len(plan.items), 'copy', 'copies')} in "
        f"{plural(plan.repositories, 'repository', 'repositories')}"
        if any(item.store != "actions" for item in plan.items)
        else ""
    )
    return Fitted(lambda width: _plan_table(rows, title, width))


def _plan_table(rows: list[tuple[str, str, str]], title: str, width: int) -> Table:
    headers = ("#", "Repository", "Action")
    needs = natural_widths(headers, rows)
    names, _ = share_width(width - table_chrome(3) - needs[0] - needs[2], needs[1], 0)
    table = Table(box=box.ROUNDED, title=title, title_justify="left")
    table.add_column(headers[0], justify="right", no_wrap=True)
    table.add_column(headers[1], width=names, overflow="fold")
    table.add_column(headers[2], no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table


def _expiry_warning(expires_at: str, now: datetime, warn_days: int) -> str | None:
    """A warning when the new token expires within `warn_days` (`--warn-days`, the cut-off
    of `ccat.pat.expiry`, as in status), or has expired already (GitHub's date is past by
    this machine's clock): when, and what follows. None when it is further off, or the
    date is unreadable."""
    expires = expiry_due(expires_at, now, warn_days)
    if expires is None:
        return None
    when = expires.strftime("%Y-%m-%d %H:%M UTC")
    if expires <= now:
        ago = (now - expires) // timedelta(days=1)  # whole days since, rounded down
        since = "today" if ago == 0 else f"{plural(ago, 'day')} ago"
        return (
            f"[red]warning:[/] the new token expired on {when} ({since}, by this machine's "
            "clock): CI fails with it; create a new token (or check this clock)"
        )
    days = days_left(expires, now)
    within = "within a day" if days == 0 else f"in {plural(days, 'day')}"
    return (
        f"[yellow]warning:[/] the new token expires {within}, on {when}: CI will break then "
        "unless it is rotated again"
    )


def preflight_lines(
    plan: Plan, now: datetime | None = None, warn_days: int = DEFAULTS.warn_days
) -> list[str]:
    """What preflight established, in plain lines; warns of a token that expires within
    `warn_days` days (`--warn-days`), or has expired."""
    preflight = plan.preflight
    to_set, skipped = len(plan.to_set), len(plan.items) - len(plan.to_set)
    # The token's reach is proven per repository, whatever the number of its copies.
    reached = len({item.repository.casefold() for item in plan.items if item.action == "set"})
    token = preflight.new_token
    if token is None:
        lines = [
            f"Preflight OK (dry run without a token): operator {shown(preflight.operator)}; "
            "[yellow]the new token was not checked[/]",
        ]
    else:
        if token.expires_at:
            expiry = f"expires {shown(token.expires_at)}"
        elif token.expiry_unreadable:
            expiry = "[yellow]its expiry is unknown[/]"
        else:
            expiry = "GitHub sent no expiry date"
        lines = [
            f"Preflight OK: operator {shown(preflight.operator)}; the new token belongs to "
            f"{shown(token.login)} ({token.kind} token), {expiry}; it can read Actions in "
            f"all {plural(reached, 'repository', 'repositories')} to set",
        ]
    what = "copy" if any(item.store != "actions" for item in plan.items) else "repository"
    lines.append(
        f"Public keys fetched for {plural(to_set, what, what[:-1] + 'ies')}; {skipped} skipped."
    )
    redone = [item for item in plan.items if item.action == "set" and item.note]
    for item in redone:
        lines.append(f"[yellow]note:[/] {shown(item.label)}: {shown(item.note)}")
    if token is not None and token.expiry_unreadable:
        lines.append(
            f"[yellow]warning:[/] GitHub sent an expiry date that cannot be read "
            f"({shown(token.expiry_unreadable)}), so status cannot warn before the token "
            "expires: look it up on GitHub's token page"
        )
    if token is not None and token.expires_at:
        warning = _expiry_warning(token.expires_at, now or datetime.now(UTC), warn_days)
        if warning is not None:
            lines.append(warning)
    return lines


def write_line(record: TargetRecord) -> str:
    """One line per finished write, printed once its outcome is journaled."""
    if record.state == "updated":
        verb = "created" if record.http_status == 201 else "updated"
        return f"[green]✓[/] {shown(record.label)}: {verb}"
    status = f"HTTP {record.http_status}: " if record.http_status else ""
    return f"[red]✗[/] {shown(record.label)}: {shown(status + (record.error or 'failed'))}"


def _lists(run: RotationRun) -> list[str]:
    updated, not_updated = run.updated(), run.not_updated()
    lines = [f"Already updated ({len(updated)}):"]
    lines.extend(f"  [green]✓[/] {shown(repo)}" for repo in updated)
    lines.append(f"NOT updated ({len(not_updated)}):")
    lines.extend(f"  [red]✗[/] {shown(repo)}" for repo in not_updated)
    return lines


RECOVERY = (
    "either run [bold]ccat pat rotate --resume[/] with the same token (it skips the "
    "repositories already updated), or run [bold]ccat pat rotate[/] again with the same "
    "token: it writes every repository again, which is safe, only slower."
)


def outcome_report(outcome: RotationOutcome, journal_path: str) -> list[str]:
    """The final report: on failure, exactly which repositories were updated and not.

    The lists can be long (121 repositories); what to do comes after them, where the
    terminal shows it, with the cause said again in one line."""
    run = outcome.run
    assert run is not None
    selected = outcome.selection is not None or run.selection is not None
    if selected and (outcome.completed or outcome.selection_updated):
        return _selection_report(outcome, run, journal_path)
    if outcome.completed:
        # A resumed run keeps the records of repositories that left the graph (facts
        # about GitHub); "all" counts the graph's repositories.
        count = len(outcome.plan.items)
        kept = len(run.targets) - count
        also = f"; the journal also keeps {kept} that left the graph" if kept > 0 else ""
        where = plural(count, "repository", "repositories")
        if any(item.store != "actions" for item in outcome.plan.items):
            copies = plural(count, "copy", "copies")
            where = f"{copies} ({plural(outcome.plan.repositories, 'repository', 'repositories')})"
        return [
            f"[green]✓ {shown(run.secret)} rotated in all {where} of the graph[/] "
            f"(run {shown(run.run_id)}, journal {shown(journal_path)}{also})",
            "Check with [bold]ccat pat status[/]; revoke the previous token once it says "
            "every copy holds this one.",
        ]
    failure = outcome.failure
    where = ""
    if failure is not None:
        record = failure.record
        status = f"HTTP {record.http_status}: " if record.http_status else ""
        lines = [
            f"[bold red]✗ Rotation stopped at {shown(record.label)}:[/] "
            f"{shown(status + (record.error or 'failed'))}"
        ]
        where = f"; stopped at {shown(record.label)}" + (
            f" (HTTP {record.http_status})" if record.http_status else ""
        )
    else:
        lines = []
    if outcome.journal_error is not None:
        lines.append(
            f"[bold red]✗ The journal could not be written:[/] {shown(outcome.journal_error)}"
        )
        where += "; the journal could not be written"
    if outcome.error is not None:
        lines.append(f"[bold red]✗ The rotation stopped on an {shown(outcome.error)}[/]")
    if not lines:
        lines = ["[bold red]✗ Rotation stopped before every repository was updated[/]"]
    lines += _lists(run)
    lines.append(f"[bold red]✗ {len(run.updated())} of {_counted(run)} updated{where}.[/]")
    lines += _from_memory_lines(outcome.journal_error, outcome.unjournaled)
    if failure is not None and failure.hint:
        lines.append(f"[dim]hint:[/] {shown(failure.hint)}")
    lines.append(DO_NOT_REVOKE)
    lines.append(f"Fix the cause, then {RECOVERY}")
    lines.append(f"Journal: {shown(journal_path)} (see `ccat pat journal`)")
    return lines


def _selection_report(outcome: RotationOutcome, run: RotationRun, journal_path: str) -> list[str]:
    """A run of the repositories `--repo` selected: every selected one is updated; the
    graph's others were not written by it (or, resumed with --repo, are still to do)."""
    selected = outcome.selection if outcome.selection is not None else run.selection or ()
    count = plural(len(selected), "selected repository", "selected repositories")
    lines = [
        f"[green]✓ {shown(run.secret)} is updated in the {count} (--repo)[/] (run "
        f"{shown(run.run_id)}, journal {shown(journal_path)})",
    ]
    if not outcome.completed:
        left = len(run.not_updated())
        lines += _lists(run)
        lines.append(
            f"The run is still unfinished: {left} of its repositories "
            f"{'is' if left == 1 else 'are'} not updated, and both tokens are in use: "
            "revoke neither. Finish it with [bold]ccat pat rotate --resume[/] and the same "
            "token."
        )
    else:
        lines.append(
            "The graph's other repositories were not written by this run: revoke the "
            "previous token only once [bold]ccat pat status[/] says every repository holds "
            "this one."
        )
    return lines


def _from_memory_lines(journal_error: str | None, unjournaled: Sequence[str]) -> list[str]:
    """When the journal could not be written: the lists above are still exact, and what
    the journal lacks."""
    if journal_error is None:
        return []
    lines = [
        "These lists are exact (this process knows every answer); the journal on disk may "
        "lag behind them but never claims a write that did not happen."
    ]
    if unjournaled:
        lines.append(
            f"Not in the journal: {shown(', '.join(unjournaled))} (updated or failed as "
            "listed; the journal still shows them in flight, and --resume writes them "
            "again, which is harmless)."
        )
    lines.append("[dim]hint:[/] free space on the journal's disk, or fix its folder")
    return lines


def interrupted_report(
    run: RotationRun | None,
    writes_started: int,
    signal_name: str,
    journal_path: str,
    journal_error: str | None = None,
    unjournaled: Sequence[str] = (),
) -> list[str]:
    """What an interrupted rotation says: nothing written, or the exact lists, and the
    writes whose outcome is unknown (and whether the journal could record it all)."""
    if run is None or writes_started == 0:
        return [f"[red]{signal_name}: stopped before any write; nothing was written.[/]"]
    lines = [
        f"[bold red]✗ {signal_name}: the rotation was interrupted[/] (run "
        f"{shown(run.run_id)}, recorded as interrupted)",
        *_lists(run),
        f"[bold red]✗ {len(run.updated())} of {_counted(run)} updated.[/]",
    ]
    unknown = [target.label for target in run.targets if in_flight(target)]
    if unknown:
        lines.append(
            f"In flight when interrupted, outcome unknown: {shown(', '.join(unknown))} (it "
            "may or may not have landed; `ccat pat journal` shows it as ? in flight)."
        )
    if journal_error is not None:
        lines.append(f"[bold red]✗ The journal could not be written:[/] {shown(journal_error)}")
        lines += _from_memory_lines(journal_error, unjournaled)
    lines.append(DO_NOT_REVOKE)
    lines.append(f"To finish, {RECOVERY}")
    lines.append(f"Journal: {shown(journal_path)} (see `ccat pat journal`)")
    return lines


def _counted(run: RotationRun) -> str:
    """`4 repositories` for a run of Actions copies alone, `6 copies` (pairs) else."""
    if all(target.store == "actions" for target in run.targets):
        return plural(len(run.targets), "repository", "repositories")
    return plural(len(run.targets), "copy", "copies")


def _target_json(record: TargetRecord) -> dict[str, Any]:
    return {
        "repository": record.repository,
        "store": record.store,
        "state": record.state,
        "http_status": record.http_status,
        "error": None if record.error is None else clean(record.error, None),
    }


def outcome_document(
    outcome: RotationOutcome, journal_path: str, secret: str, org: str
) -> dict[str, Any]:
    """`rotate --json`: the outcome record for scripts (no token, no fingerprint).

    `new_token` is null when the new token was not checked (a dry run without one);
    `run_id` is null when no run was started (a dry run, a declined plan)."""
    run = outcome.run
    token = outcome.plan.preflight.new_token
    failure = outcome.failure
    return {
        "outcome": _outcome_name(outcome),
        "run_id": None if run is None else run.run_id,
        "secret": secret if run is None else run.secret,
        "org": org if run is None else run.org,
        "journal": journal_path,
        "operator": outcome.plan.preflight.operator,
        "new_token": None
        if token is None
        else {
            "login": token.login,
            "kind": token.kind,
            "expires_at": token.expires_at,
            "expiry_unreadable": token.expiry_unreadable,
        },
        "plan": [
            {
                "repository": item.repository,
                "store": item.store,
                "action": item.action,
                "note": item.note,
            }
            for item in outcome.plan.items
        ],
        "updated": [] if run is None else run.updated(),
        "not_updated": [] if run is None else run.not_updated(),
        "targets": [] if run is None else [_target_json(t) for t in run.targets],
        "failure": None
        if failure is None
        else {**_target_json(failure.record), "hint": failure.hint},
        "interrupted_by": outcome.interrupted,
        "journal_error": outcome.journal_error,
        "not_in_journal": list(outcome.unjournaled),
        "error": outcome.error,
    }


def _outcome_name(outcome: RotationOutcome) -> str:
    if outcome.dry_run:
        return "dry-run"
    if outcome.declined:
        return "declined"
    if outcome.interrupted is not None:
        return "interrupted"
    return "completed" if outcome.completed else "stopped"


def outcome_json(outcome: RotationOutcome, journal_path: str, secret: str, org: str) -> str:
    """`outcome_document` as indented JSON."""
    return json_text(outcome_document(outcome, journal_path, secret, org))


def dry_run_lines(outcome: RotationOutcome) -> Sequence[str]:
    """The closing line of a dry run or a declined plan."""
    if outcome.dry_run:
        return ["Dry run: nothing was written and the journal is unchanged."]
    return ["Not confirmed: nothing was written."]
