"""Subprocess helper for the journal tests: a journal writer to SIGKILL, or a lock holder.

python journal_killer.py save PATH START       save documents START, START+1, ... forever;
                                               prints "ready" after the first save
python journal_killer.py targets PATH EVERY    save `targets_document()`, print "ready",
                                               then `save_target` each of `STEPS` steps,
                                               folding every EVERY updates (0: never),
                                               printing the number of steps done after
                                               each; then wait to be killed
python journal_killer.py hold PATH             take the run lock, print "locked", hold it
                                               until stdin is closed
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

from ccat.pat.journal import (
    Journal,
    JournalDocument,
    RotationRun,
    TargetRecord,
)
from tests.support.journals import a_run, a_token

TARGETS = 120  # enough bytes per save (~25 KB) that kills often land mid-write
# `targets` mode: enough steps that the writer is still at work when it is killed, and
# a document big enough (~800 KB) that a fold takes far longer than an append.
RUN_TARGETS = 4000
STEPS = 2 * RUN_TARGETS  # each target: started, then updated or failed


def _run(run_id: str, targets: list[TargetRecord]) -> RotationRun:
    # A fixed salt: the test recognises each document exactly.
    token = a_token(kind="other", salt=bytes(16))
    return a_run(targets, run_id=run_id, state="running", token=token)


def _name(index: int) -> str:
    return f"ccatobs/repository-{index:04d}"


def build_document(number: int) -> JournalDocument:
    """The deterministic document number `number`, so the test can recognise it exactly."""
    done = number % TARGETS
    targets = [
        TargetRecord.pending(_name(index))
        .started("2026-11-25T19:00:00Z")
        .succeeded(204, "2026-11-25T19:00:01Z")
        if index < done
        else TargetRecord.pending(_name(index))
        for index in range(TARGETS)
    ]
    return JournalDocument(current=_run(f"run-{number}", targets), history=[])


def targets_document() -> JournalDocument:
    """The document `targets` mode starts from: every target pending."""
    targets = [TargetRecord.pending(_name(index)) for index in range(RUN_TARGETS)]
    return JournalDocument(current=_run("run-targets", targets), history=[])


def step_record(run: RotationRun, step: int) -> TargetRecord:
    """The record `save_target` is given at `step`: even steps start a write, odd steps
    are its answer (a failure for every seventh target, else an update)."""
    index, answer = divmod(step, 2)
    record = run.targets[index]
    at = f"2026-11-25T{19 + index // 3600:02d}:{index // 60 % 60:02d}:{index % 60:02d}Z"
    if not answer:
        return record.started(at)
    if index % 7 == 3:
        return record.failed(403, "Resource not accessible by personal access token", at)
    return record.succeeded(204, at)


def after_steps(steps: int) -> JournalDocument:
    """The truth once the first `steps` steps were saved."""
    document = targets_document()
    assert document.current is not None
    for step in range(steps):
        document.current.put(step_record(document.current, step))
    return document


def main(argv: list[str]) -> int:
    """Run one of the modes described in the module docstring."""
    mode, path = argv[1], Path(argv[2])
    if mode == "save":
        journal, start = Journal(path), int(argv[3])
        for number in itertools.count(start):
            journal.save(build_document(number))
            if number == start:
                print("ready", flush=True)
    elif mode == "targets":
        every = int(argv[3]) or sys.maxsize
        journal = Journal(path, fold_every=every)
        document = targets_document()
        run = document.current
        assert run is not None
        journal.save(document)
        print("ready", flush=True)
        for step in range(STEPS):
            journal.save_target(run, step_record(run, step))
            print(step + 1, flush=True)
        time.sleep(600)
    elif mode == "hold":
        with Journal(path).lock():
            print("locked", flush=True)
            sys.stdin.read()
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
