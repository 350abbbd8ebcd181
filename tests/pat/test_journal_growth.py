"""Issue 14, defect 11: a journal's size stays bounded however many rotations it has
seen, and finding a target costs the same in a run of 10,000 as in a run of 10.

The history keeps the last `HISTORY_RUNS` runs in full (fewer when together they hold
more than `HISTORY_TARGETS` target records) and a summary of each older one, the last
`OLDER_RUNS` of them. (How much a save or a lookup costs is measured in
benchmarks/bench_journal.py, not asserted here.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ccat.pat.journal import Journal, JournalDocument, RotationRun, RunSummary, TargetRecord
from ccat.pat.journal.model import HISTORY_RUNS, HISTORY_TARGETS, OLDER_RUNS
from tests.support.scene import completed_run

START = "2026-11-25T19:00:00Z"


def rotation(number: int, targets: int = 3, state: str = "completed") -> RotationRun:
    """Run `run-NNNN`, `number` hours into 2026, over `targets` repositories."""
    started = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=number)
    names = [f"ccatobs/repository-{index:05d}" for index in range(targets)]
    run = completed_run(names, started, expires_at=None, write_seconds=0, state=state)
    run.run_id = f"run-{number:04d}"
    return run


def test_the_history_keeps_the_last_runs_in_full_and_summarises_older_ones(
    tmp_path: Path,
) -> None:
    document = JournalDocument(current=None, history=[])
    runs = [rotation(number) for number in range(HISTORY_RUNS + 15)]
    runs[3].targets[1] = (
        runs[3].targets[1].failed(403, "denied", runs[3].targets[1].finished_at or "")
    )
    runs[3].state = "stopped"
    for run in runs:
        document.start(run)
    assert document.current is runs[-1]
    assert [run.run_id for run in document.history] == [
        r.run_id for r in runs[-HISTORY_RUNS - 1 : -1]
    ]
    assert [summary.run_id for summary in document.older_runs] == [
        r.run_id for r in runs[: len(runs) - HISTORY_RUNS - 1]
    ]
    stopped = document.older_runs[3]
    assert stopped == RunSummary.of(runs[3])
    assert (stopped.state, stopped.target_count, stopped.updated_count, stopped.failed_count) == (
        "stopped",
        3,
        2,
        1,
    )
    journal = Journal(tmp_path / "pat-journal.json")
    journal.save(document)
    assert Journal(journal.path).load() == document


def test_big_runs_are_summarised_sooner_but_the_newest_is_kept(tmp_path: Path) -> None:
    size = HISTORY_TARGETS // 3 + 1  # three of them are too many for the history
    document = JournalDocument(current=None, history=[])
    for number in range(4):
        document.start(rotation(number, targets=size))
    assert [run.run_id for run in document.history] == ["run-0001", "run-0002"]
    assert [summary.run_id for summary in document.older_runs] == ["run-0000"]
    alone = JournalDocument(current=None, history=[])
    for number in range(3):
        alone.start(rotation(number, targets=HISTORY_TARGETS + 1))
    assert [run.run_id for run in alone.history] == ["run-0001"]


def test_the_summaries_are_bounded_too() -> None:
    document = JournalDocument(current=None, history=[])
    for number in range(OLDER_RUNS + HISTORY_RUNS + 6):
        document.start(rotation(number, targets=1))
    assert len(document.older_runs) == OLDER_RUNS
    assert document.older_runs[0].run_id == "run-0005"  # the five oldest were dropped


def test_targets_are_found_by_name_in_any_case_and_after_any_change() -> None:
    run = rotation(0, targets=10_000, state="stopped")
    assert run.target("CCATOBS/Repository-09999") is run.targets[-1]
    assert run.target("ccatobs/repository-10000") is None
    record = TargetRecord.pending("CCATOBS/REPOSITORY-00042")
    run.put(record)  # another spelling of the same repository
    assert run.targets[42] is record and run.target("ccatobs/repository-00042") is record
    run.targets[7] = TargetRecord.pending("ccatobs/repository-00007").started(START)
    assert run.target("ccatobs/repository-00007") is run.targets[7]
    run.reopen(list(reversed(run.targets)))  # a new list, in another order
    assert run.target("ccatobs/repository-00000") is run.targets[-1]
    run.targets.append(TargetRecord.pending("ccatobs/added"))
    assert run.target("ccatobs/added") is run.targets[-1]
