"""An unfinished rotation is never an all-clear (SPEC §12).

While the newest rotation of a secret is stopped, interrupted, crashed or still running,
some repositories hold the new token and the others the previous one: both are in use,
and revoking either breaks CI somewhere. This module says which run that is and how far
it got, as a person would see it (`journal.seen_state`: `running` is `crashed` when no
live process holds the journal lock):

- `find_unfinished`: the newest run of this secret, organisation and API (in full, or
  only summarised in `older_runs`) when it is not completed, with how many of its
  repositories hold the new token: those the journal records as updated and, when a
  status report is given, whose secret GitHub says was set by that write (set at or
  after the write started, and not changed after it finished, with the clock skew).

Pure: it reads journal records, the lock holder and a `StatusReport`; it never prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ccat.pat.journal import (
    RotationRun,
    RunSummary,
    SeenState,
    TargetRecord,
    seen_state,
)
from ccat.pat.settings import CLOCK_SKEW
from ccat.pat.times import parse_iso

# Types only: the engine's records would bring in the client.
if TYPE_CHECKING:
    from ccat.pat.status.engine import SecretStatus, StatusReport


@dataclass(frozen=True)
class UnfinishedRun:
    """The newest rotation of a secret, when it did not complete.

    `holding` is how many repositories hold the new token: recorded as updated and, when
    GitHub was asked, confirmed by it (`updated` is the journal's count alone).
    `summarised` is True when the run is only known from its summary (no per-repository
    record: `holding` is then the journal's count, unconfirmed)."""

    run_id: str
    state: SeenState
    started_at: str
    finished_at: str | None
    repositories: int
    updated: int
    holding: int
    not_holding: tuple[str, ...]
    holder: str | None = None
    summarised: bool = False

    @property
    def live(self) -> bool:
        """Whether it is running now (a live process holds the journal lock)."""
        return self.state == "running"


def find_unfinished(
    runs: Sequence[RotationRun],
    older: Sequence[RunSummary] = (),
    *,
    holder: str | None,
    report: StatusReport | None = None,
) -> UnfinishedRun | None:
    """The newest of `runs` (newest first, in full) or else of `older` (summaries,
    oldest first) when it is not completed; None when it completed, or there is none.

    `holder` describes the live process holding the journal lock (None: none does); it
    can only be running the journal's current run, the newest of `runs`."""
    if runs:
        run = runs[0]
        state = seen_state(run.state, holder is not None)
        if state == "completed":
            return None
        results = None if report is None else {r.repository.casefold(): r for r in report.results}
        confirmed = [t for t in run.targets if _holds(t, results)]
        names = {t.repository for t in confirmed}
        return UnfinishedRun(
            run_id=run.run_id,
            state=state,
            started_at=run.started_at,
            finished_at=run.finished_at,
            repositories=len(run.targets),
            updated=len(run.updated()),
            holding=len(confirmed),
            not_holding=tuple(t.repository for t in run.targets if t.repository not in names),
            holder=holder if state == "running" else None,
        )
    if not older or older[-1].state == "completed":
        return None
    summary = older[-1]
    return UnfinishedRun(
        run_id=summary.run_id,
        state=seen_state(summary.state, lock_held=False),
        started_at=summary.started_at,
        finished_at=summary.finished_at,
        repositories=summary.target_count,
        updated=summary.updated_count,
        holding=summary.updated_count,
        not_holding=(),
        summarised=True,
    )


def _holds(record: TargetRecord, results: dict[str, SecretStatus] | None) -> bool:
    """Whether the repository of `record` holds the token of its run: the journal says
    updated, and GitHub (if asked: `results` by case-folded name) says its own secret
    was set by that write."""
    if record.state != "updated":
        return False
    if results is None:
        return True
    result = results.get(record.repository.casefold())
    if result is None or result.state != "present" or result.via != "repository":
        return False
    updated = parse_iso(result.updated_at)
    started, finished = parse_iso(record.started_at), parse_iso(record.finished_at)
    if updated is None or started is None or finished is None:
        return False
    return started - CLOCK_SKEW <= updated <= finished + CLOCK_SKEW
