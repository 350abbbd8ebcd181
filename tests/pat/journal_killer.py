"""Subprocess helper for the journal tests: a journal writer to SIGKILL, or a lock holder.

python journal_killer.py save PATH START       save documents START, START+1, ... forever;
                                               prints "ready" after the first save
python journal_killer.py hold PATH             take the run lock, print "locked", hold it
                                               until stdin is closed
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from ccat.pat.journal import (
    Fingerprint,
    GraphFile,
    Journal,
    JournalDocument,
    RotationRun,
    TargetRecord,
    TokenInfo,
)

TARGETS = 120  # enough bytes per save (~25 KB) that kills often land mid-write


def _run(run_id: str, targets: list[TargetRecord]) -> RotationRun:
    return RotationRun(
        run_id=run_id,
        secret="GH_PAT",
        org="ccatobs",
        api_url="https://api.github.com",
        graph=GraphFile("ci/dependency-graph.yml", "0" * 64),
        state="running",
        started_at="2026-11-25T19:00:00Z",
        finished_at=None,
        operator="alice",
        token=TokenInfo(
            Fingerprint.of("not-a-real-token", bytes(16)), "ccat-ci-bot", None, "other"
        ),
        targets=targets,
    )


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


def main(argv: list[str]) -> int:
    """Run one of the modes described in the module docstring."""
    mode, path = argv[1], Path(argv[2])
    if mode == "save":
        journal, start = Journal(path), int(argv[3])
        for number in itertools.count(start):
            journal.save(build_document(number))
            if number == start:
                print("ready", flush=True)
    elif mode == "hold":
        with Journal(path).lock():
            print("locked", flush=True)
            sys.stdin.read()
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
