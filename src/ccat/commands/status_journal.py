"""What `ccat pat status` reads from the rotation journal (SPEC §9, §12), and when it
refuses to read on.

A journal is optional (none: no journal-based warning, no error), but one that is there
must be believed or refused: a damaged journal, one that contradicts itself, or one
that records times after this very check (its clock, or its author, lied) is exit 2 —
status never carries on as if it said nothing, since then an unfinished rotation or a
missed repository would go unsaid and the verdict would be a false all-clear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ccat.pat.journal import Journal, LockHolder, RotationRun, RunSummary, damaged
from ccat.pat.settings import CLOCK_SKEW
from ccat.pat.status import StatusReport, UnfinishedRun, find_unfinished, relevant_runs
from ccat.pat.times import iso, parse_iso


@dataclass(frozen=True)
class StatusJournal:
    """The journal as status uses it: where it is (None: there is none), its runs of
    this secret, organisation and API (in full, newest first; summarised, oldest
    first), and who holds its lock when that process runs the newest of those runs."""

    path: Path | None
    runs: Sequence[RotationRun] = ()
    older: Sequence[RunSummary] = ()
    holder: LockHolder | None = None

    def unfinished(self, report: StatusReport) -> UnfinishedRun | None:
        """The unfinished rotation of this secret, GitHub's `report` telling which
        repositories hold its token (SPEC §12)."""
        holder = None if self.holder is None else self.holder.describe()
        return find_unfinished(self.runs, self.older, holder=holder, report=report)


def read_status_journal(
    option: Path | None,
    env: Mapping[str, str],
    *,
    secret: str,
    org: str,
    api_url: str,
    now: datetime,
) -> StatusJournal:
    """The journal of `--journal`/`CCAT_JOURNAL`/the default path; `JournalError` when
    it cannot be believed (module docstring)."""
    journal = Journal.at(option, env)
    if not journal.exists():
        return StatusJournal(None)
    document, holder = journal.observe()
    newest_first = [*([document.current] if document.current else []), *document.history[::-1]]
    refuse_times_after(newest_first, now, str(journal.path))
    runs = relevant_runs(newest_first, secret=secret, org=org, api_url=api_url)
    older = relevant_runs(document.older_runs, secret=secret, org=org, api_url=api_url)
    # The lock holder runs the journal's current run: it says nothing of another one.
    runs_current = bool(runs) and runs[0] is document.current
    return StatusJournal(journal.path, runs, older, holder if runs_current else None)


def refuse_times_after(runs: Sequence[RotationRun], now: datetime, path: str) -> None:
    """`JournalError` if a run records a time later than `now` (and the clock skew): no
    write can have finished after the check that reads it."""
    latest = now + CLOCK_SKEW
    for run in runs:
        stamps = [("started_at", run.started_at), ("finished_at", run.finished_at)]
        for target in run.targets:
            stamps += [
                (f"targets ({target.repository}) started_at", target.started_at),
                (f"targets ({target.repository}) finished_at", target.finished_at),
            ]
        for field, stamp in stamps:
            when = parse_iso(stamp)
            if when is not None and when > latest:
                raise damaged(
                    path,
                    f"run {run.run_id} records {field} {stamp}, later than now "
                    f"({iso(now)}): a time no rotation has reached "
                    "yet (was it edited, or the clock of the machine that wrote it wrong?)",
                )
