"""Listeners that tell the operator what is happening while it happens, on stderr.

`ClientNotices` announces rate-limit waits always (SPEC §6) — once per wait, however many
requests GitHub refused at once — budget waits once they are long enough to notice, and
each request under `--debug`. The progress listeners draw a live line on a terminal
only; without one (CI logs, pipes) they draw nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from ccat.pat.github import Wait, WaitReason
from ccat.pat.journal import TargetRecord
from ccat.render.causes import names
from ccat.render.status_layout import wrap
from ccat.render.text import plural, screen, shown

# A budget wait shorter than this is pacing, not news.
NOTICEABLE_WAIT = 2.0
# GitHub refuses every request in flight at once when a rate limit starts: the waits
# announced within this many seconds of the first are gathered into one line...
GATHER = 0.25
# ...and so are those that end within this many seconds of it (the same reset).
SAME_WAIT = 2.0
WAIT_NAMES = 10


@dataclass
class _RateLimited:
    """The requests refused by one rate limit: when the wait ends, and for whom."""

    until: float  # wall clock
    seconds: float
    repositories: list[str] = field(default_factory=list)
    others: int = 0  # requests that are not about a repository (GET /user…)
    said: bool = False

    def line(self) -> str:
        """`GitHub rate limit (3 repositories: a, b, c): waiting 60 s, until 12:00:00;
        this is not a failure`."""
        listed = [screen(name) for name in self.repositories]
        if len(listed) == 1 and not self.others:
            who = f" ({listed[0]})"
        elif listed:
            who = f" ({plural(len(listed), 'repository', 'repositories')}: "
            who += names(listed, WAIT_NAMES)
            who += f", and {plural(self.others, 'other request')})" if self.others else ")"
        else:
            who = ""
        until = time.strftime("%H:%M:%S", time.localtime(self.until))
        return (
            f"GitHub rate limit{who}: waiting {self.seconds:.0f} s, until {until}; this is "
            "not a failure"
        )


class ClientNotices:
    """The GitHub client's listener for stderr; see the module docstring."""

    def __init__(
        self,
        console: Console,
        *,
        debug: bool = False,
        on_wait: Callable[[Wait], None] | None = None,
    ) -> None:
        self._console = console
        self._debug = debug
        self._on_wait = on_wait
        self._limit: _RateLimited | None = None
        if debug:
            self._console.print(
                "[dim]debug: every request sends Accept, X-GitHub-Api-Version, User-Agent "
                "and Authorization: <redacted>[/]"
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
            f"[dim]debug: {method} {shown(url)} -> {answer} in {elapsed * 1000:.0f} ms{retry}[/]"
        )

    def waiting(self, wait: Wait) -> None:
        """Say why the client waits: rate limits always (the requests one limit refused
        at once in one line, see `GATHER`), the budget when it is long."""
        if self._on_wait is not None:
            self._on_wait(wait)
        where = f" ({shown(wait.repository)})" if wait.repository else ""
        until = time.strftime("%H:%M:%S", time.localtime(time.time() + wait.seconds))
        if wait.reason is WaitReason.RATE_LIMIT:
            self._rate_limited(wait)
        elif wait.reason is WaitReason.BUDGET and wait.seconds >= NOTICEABLE_WAIT:
            self._console.print(
                f"[dim]request budget ({shown(wait.detail)}, --budget): waiting "
                f"{wait.seconds:.0f} s, until {until}[/]"
            )
        elif self._debug:
            self._console.print(
                f"[dim]debug:{where} {shown(wait.detail)}; waiting {wait.seconds:.2f} s[/]"
            )

    def _rate_limited(self, wait: Wait) -> None:
        until = time.time() + wait.seconds
        limit = self._limit
        new = limit is None or abs(until - limit.until) > SAME_WAIT
        if new:
            self.flush()
            limit = self._limit = _RateLimited(until, wait.seconds)
        assert limit is not None
        if limit.said:
            return  # refused a moment later, for the same wait: said already
        if wait.repository is None:
            limit.others += 1
        elif wait.repository not in limit.repositories:
            # A repository may have several requests refused (one per store): named once.
            limit.repositories.append(wait.repository)
        if new:
            # Said once the requests refused with this one are counted: GATHER seconds
            # on, on the event loop (they all sleep longer); without a loop, now.
            try:
                asyncio.get_running_loop().call_later(GATHER, self.flush)
            except RuntimeError:
                self.flush()

    def flush(self) -> None:
        """Announce the rate limit not said yet, if any."""
        limit = self._limit
        if limit is None or limit.said:
            return
        limit.said = True
        for line in wrap(limit.line(), self._console.width):
            self._console.print(Text(line, style="yellow"))


def waiting_note(wait: Wait) -> str:
    """What a live line says while the client waits: `waiting 12 s for the request
    budget`, `waiting 60 s: GitHub rate limit`."""
    if wait.reason is WaitReason.BUDGET:
        return f"waiting {wait.seconds:.0f} s for the request budget"
    return f"waiting {wait.seconds:.0f} s: GitHub {wait.reason.value}"


class StatusProgress:
    """A transient progress line while repositories are checked."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress = progress
        self._task = task

    def checked(self, result: object) -> None:
        """Advance by one repository (`status` and `verify` both report here)."""
        self._progress.update(self._task, advance=1, note="")

    def waiting(self, wait: Wait) -> None:
        """Show a budget or rate-limit wait in the line."""
        if wait.reason is not WaitReason.RETRY:
            self._progress.update(self._task, note=waiting_note(wait))


@contextmanager
def check_progress(
    console: Console, total: int, *, debug: bool
) -> Iterator[tuple[StatusProgress | None, ClientNotices]]:
    """What a check of `total` repositories (`status`, `verify`) shows on `console`: the
    live line, on a terminal only (`None`, no listener, elsewhere), and the client's
    notices, their waits said in that line when there is one."""
    with _status_progress(console, total) as progress:
        on_wait = None if progress is None else progress.waiting
        yield progress, ClientNotices(console, debug=debug, on_wait=on_wait)


@contextmanager
def _status_progress(console: Console, total: int) -> Iterator[StatusProgress | None]:
    if not console.is_terminal:
        yield None
        return
    progress = Progress(
        TextColumn("checking"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
        transient=True,
    )
    with progress:
        yield StatusProgress(progress, progress.add_task("status", total=total, note=""))


class RotationProgress:
    """What a rotation shows while it runs: a preflight line, then `writing 37/121 ·
    0:37 · ~1:24 left`, both live on a terminal; and one line per finished write, always
    (printed after the write's outcome is journaled).

    The estimate counts `interval` (the writes' pacing, `--write-interval`) per write to
    go from the first write on: the first answers come back in milliseconds, and an
    average of those alone said `~0:02 left` with eight one-second writes to go.
    """

    def __init__(
        self,
        console: Console,
        write_line: Callable[[TargetRecord], str],
        *,
        interval: float = 0.0,
    ) -> None:
        self.console = console
        self._write_line = write_line
        self._interval = interval
        self._live = console.is_terminal
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._started: float | None = None
        self._total = 0
        self._done = 0

    def _ensure(self, description: str, total: int) -> None:
        if not self._live:
            return
        if self._progress is None:
            self._progress = Progress(
                TextColumn("{task.description}"),
                TextColumn("{task.completed}/{task.total}"),
                TextColumn("· {task.fields[elapsed]}"),
                TextColumn("{task.fields[note]}"),
                console=self.console,
                transient=True,
            )
            self._progress.start()
        if self._task is None or self._progress.tasks[0].description != description:
            if self._task is not None:
                self._progress.remove_task(self._task)
            self._task = self._progress.add_task(description, total=total, elapsed="0:00", note="")

    def preflight_checked(self, done: int, total: int) -> None:
        """Preflight: `done` of `total` checks finished."""
        if self._started is None:
            self._started = time.monotonic()
        self._ensure("preflight", total)
        if self._progress is not None and self._task is not None:
            # The total grows as preflight learns where the copies are (SPEC §10).
            self._progress.update(self._task, completed=done, total=total, elapsed=self._elapsed())

    def write_started(self, repository: str, number: int, total: int) -> None:
        """Writes: number `number` of `total` starts."""
        if self._total == 0:
            self._started = time.monotonic()
        self._total = total
        self._ensure("writing", total)
        self._refresh(number - 1)

    def write_finished(self, record: TargetRecord) -> None:
        """Print the journaled outcome of one write, and move the line on."""
        self._done += 1
        self.console.print(self._write_line(record))
        self._refresh(self._done)

    def waiting(self, wait: Wait) -> None:
        """Show a wait (rate limit, budget) in the live line."""
        if (
            self._progress is not None
            and self._task is not None
            and wait.reason is not WaitReason.RETRY
        ):
            self._progress.update(self._task, note=f"· {waiting_note(wait)}")

    def _elapsed(self) -> str:
        seconds = 0 if self._started is None else int(time.monotonic() - self._started)
        return f"{seconds // 60}:{seconds % 60:02d}"

    def _refresh(self, completed: int) -> None:
        if self._progress is None or self._task is None:
            return
        note = ""
        if self._started is not None and self._total > completed:
            spent = time.monotonic() - self._started
            per_write = max(self._interval, spent / completed if completed else 0.0)
            if per_write > 0:
                left = round(per_write * (self._total - completed))
                note = f"· ~{left // 60}:{left % 60:02d} left"
        # Drawn now, not at the next tick: a write is news (and the line is then exact).
        self._progress.update(
            self._task, completed=completed, elapsed=self._elapsed(), note=note, refresh=True
        )

    def close(self) -> None:
        """Remove the live line."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None
