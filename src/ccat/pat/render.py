"""Rich tables, JSON and progress for the records the engines return.

Only this module and `ccat.cli` write to the terminal. Nothing here ever receives a
token: records carry repository names, states, times and GitHub's messages.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

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
