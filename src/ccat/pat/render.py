"""Rich tables, JSON and progress for the records the engines return.

Only this module and `ccat.cli` write to the terminal. Nothing here ever receives a
token: records carry repository names, states, times and GitHub's messages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ccat.pat.journal import RotationRun
from ccat.pat.rotate import PlanItem, Preflight, RotationOutcome
from ccat.pat.status import SecretStatus, StatusReport

NONE = "—"


def status_table(report: StatusReport) -> Table:
    """The runbook's table: Repository, Secret present, Last rotated (rounded box)."""
    table = Table(box=box.ROUNDED, title=f"{report.secret} in {report.org}", title_justify="left")
    table.add_column("Repository", no_wrap=True)
    table.add_column("Secret present")
    table.add_column("Last rotated", no_wrap=True)
    for result in report.results:
        table.add_row(
            escape(result.repository), _state_cell(result), escape(result.updated_at or NONE)
        )
    return table


def _state_cell(result: SecretStatus) -> str:
    if result.state == "present":
        return "[green]✓ present[/]"
    if result.state == "missing":
        return "[red]✗ missing[/]"
    return f"[yellow]! error: {escape(result.error or 'unknown error')}[/]"


def status_summary(report: StatusReport) -> str:
    """One line an operator can read at a glance (and grep in CI logs)."""
    total = len(report.results)
    parts = [f"{report.count('present')} present", f"{report.count('missing')} missing"]
    errors = report.count("error")
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    verdict = "OK" if report.ok else "NOT OK"
    return (
        f"{verdict}: {report.secret} — {', '.join(parts)} "
        f"({total} repositories, checked {report.checked_at})"
    )


def status_json(report: StatusReport) -> str:
    """The `--json` document of SPEC §3."""
    document: dict[str, Any] = {
        "secret": report.secret,
        "org": report.org,
        "checked_at": report.checked_at,
        "repositories": [
            {
                "repository": result.repository,
                "state": result.state,
                "updated_at": result.updated_at,
                "error": result.error,
            }
            for result in report.results
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


class ClientNotices:
    """The GitHub client's listener: rate-limit waits always, requests under `--debug`.

    `--debug` prints one stderr line per request (line, status, time) and per retry;
    headers are never printed, so the Authorization header cannot leak.
    """

    def __init__(self, console: Console, *, debug: bool = False) -> None:
        self._console = console
        self._debug = debug
        if debug:
            self._console.print(
                "[dim]debug: every request sends Accept, X-GitHub-Api-Version, User-Agent "
                "and Authorization: <redacted>[/]",
                highlight=False,
            )

    def request_done(
        self, method: str, url: str, status: int | None, elapsed: float, attempt: int
    ) -> None:
        """Under `--debug`, print the request line, its status and how long it took."""
        if not self._debug:
            return
        answer = str(status) if status is not None else "no answer"
        retry = f" (retry {attempt})" if attempt else ""
        self._console.print(
            f"[dim]debug: {method} {escape(url)} -> {answer} in {elapsed * 1000:.0f} ms{retry}[/]",
            highlight=False,
        )

    def waiting(self, repository: str | None, seconds: float, reason: str) -> None:
        """Announce rate-limit waits always (SPEC §6); retries only under `--debug`."""
        where = f" ({escape(repository)})" if repository else ""
        if reason.startswith("rate limited"):
            resume = time.strftime("%H:%M:%S", time.localtime(time.time() + seconds))
            self._console.print(
                f"[yellow]GitHub rate limit{where}: waiting {seconds:.0f} s, "
                f"until {resume}; this is not a failure[/]",
                highlight=False,
            )
        elif self._debug:
            self._console.print(
                f"[dim]debug:{where} {escape(reason)}; waiting {seconds:.2f} s[/]",
                highlight=False,
            )


class StatusProgress:
    """A transient progress bar on stderr while repositories are checked."""

    def __init__(self, progress: Progress, task: Any) -> None:
        self._progress = progress
        self._task = task

    def checked(self, result: SecretStatus) -> None:
        """Advance by one repository."""
        self._progress.advance(self._task)


@contextmanager
def status_progress(console: Console, total: int) -> Iterator[StatusProgress | None]:
    """Progress on a terminal only; `None` (no listener) when stderr is not a terminal."""
    if not console.is_terminal:
        yield None
        return
    progress = Progress(
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        yield StatusProgress(progress, progress.add_task("status", total=total))


# -- rotate ------------------------------------------------------------------------


def plan_table(plan: Sequence[PlanItem], preflight: Preflight, secret: str) -> Table:
    """The rotation plan after a successful preflight: each target and what happens."""
    table = Table(box=box.ROUNDED, title=f"Plan: rotate {secret}", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("Repository", no_wrap=True)
    table.add_column("Action")
    table.add_column("Key id", no_wrap=True)
    for number, item in enumerate(plan, start=1):
        key = preflight.keys.get(item.repository)
        action = "set" if item.action == "set" else "[dim]skip: already updated[/]"
        table.add_row(str(number), escape(item.repository), action, key.key_id if key else NONE)
    return table


EXPIRY_WARNING_DAYS = 14


def preflight_lines(
    preflight: Preflight, plan: Sequence[PlanItem], now: datetime | None = None
) -> list[str]:
    """What preflight established, in plain lines; warns of a token about to expire."""
    expiry = preflight.new_expires_at or "no expiry sent by GitHub"
    to_set = sum(1 for item in plan if item.action == "set")
    lines = [
        f"Preflight OK: operator {escape(preflight.operator)}; new token belongs to "
        f"{escape(preflight.new_login)}, expires {escape(expiry)}",
        f"Public keys fetched for {to_set} repositories; {len(plan) - to_set} skipped.",
    ]
    if preflight.new_expires_at:
        try:
            expires = datetime.strptime(preflight.new_expires_at, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return lines
        left = expires.replace(tzinfo=UTC) - (now or datetime.now(UTC))
        if left.days < EXPIRY_WARNING_DAYS:
            lines.append(
                f"[yellow]warning:[/] the new token expires in {max(left.days, 0)} days: "
                "CI will break then unless it is rotated again"
            )
    return lines


def outcome_report(outcome: RotationOutcome, journal_path: str) -> list[str]:
    """The final report: on failure, exactly which repositories were updated and not."""
    run = outcome.run
    assert run is not None
    updated, not_updated = run.updated(), run.not_updated()
    failed = outcome.failed
    lines: list[str] = []
    if failed is None and not not_updated:
        lines.append(
            f"[green]✓ {run.secret} rotated in all {len(updated)} repositories[/] "
            f"(run {run.run_id}, journal {escape(journal_path)})"
        )
        return lines
    if failed is not None:
        status = f"HTTP {failed.http_status}: " if failed.http_status else ""
        lines.append(
            f"[bold red]✗ Rotation stopped at {escape(failed.repository)}:[/] "
            f"{escape(status + (failed.error or 'failed'))}"
        )
        if outcome.hint:
            lines.append(f"  hint: {escape(outcome.hint)}")
    else:
        lines.append("[bold red]✗ Rotation stopped before every repository was updated[/]")
    lines.append(f"Already updated ({len(updated)}):")
    lines.extend(f"  ✓ {escape(repo)}" for repo in updated)
    lines.append(f"NOT updated ({len(not_updated)}):")
    lines.extend(f"  ✗ {escape(repo)}" for repo in not_updated)
    lines.append(
        "Fix the error above, then run [bold]ccat pat rotate --resume[/] and paste the "
        "same token: it skips the repositories already updated."
    )
    lines.append(f"Journal: {escape(journal_path)} (see `ccat pat journal`)")
    return lines


# -- journal -----------------------------------------------------------------------

_TARGET_STATE = {
    "updated": "[green]✓ updated[/]",
    "failed": "[red]✗ failed[/]",
    "pending": "pending",
}


def journal_header(run: RotationRun, path: str) -> Table:
    """The run's header: id, times, state, operator, secret, org, token."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    token = run.token
    rows = [
        ("Journal", path),
        ("Run", run.run_id),
        ("State", run.state),
        ("Started", run.started_at),
        ("Finished", run.finished_at or NONE),
        ("Operator", run.operator or NONE),
        ("Secret", f"{run.secret} in {run.org} ({run.api_url})"),
        ("Graph", f"{run.graph.path} (sha256 {run.graph.sha256[:12]})"),
        (
            "New token",
            f"fingerprint {token.fingerprint.short}, login {token.login or NONE}, "
            f"expires {token.expires_at or NONE}",
        ),
    ]
    for label, value in rows:
        grid.add_row(label, escape(value))
    return grid


def journal_targets(run: RotationRun) -> Table:
    """Each target's state, time and error."""
    table = Table(box=box.ROUNDED)
    table.add_column("Repository", no_wrap=True)
    table.add_column("State", no_wrap=True)
    table.add_column("Time", no_wrap=True)
    table.add_column("Error", min_width=24)
    for target in run.targets:
        state = _TARGET_STATE.get(target.state, target.state)
        if target.state == "pending" and target.started_at and not target.finished_at:
            state = "[yellow]? in flight, outcome unknown[/]"
        error = f"HTTP {target.http_status}: {target.error}" if target.error else ""
        table.add_row(
            escape(target.repository),
            state,
            escape(target.finished_at or target.started_at or NONE),
            escape(error),
        )
    return table


def resume_forecast(run: RotationRun) -> str:
    """What `ccat pat rotate --resume` would do with this run."""
    if run.state == "completed":
        return "Nothing to resume: this run completed. `ccat pat rotate` starts a new one."
    skip, todo = len(run.updated()), run.not_updated()
    return (
        f"`ccat pat rotate --resume` (same token) would skip {skip} updated repositories "
        f"and set {len(todo)}: {escape(', '.join(todo))}" + " (plus any added to the graph since)."
    )
