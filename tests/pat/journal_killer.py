"""Subprocess helper for `test_journal`: a journal writer to SIGKILL, or a lock holder.

python journal_killer.py save PATH START   save documents START, START+1, ... forever;
                                           prints "ready" after the first save
python journal_killer.py hold PATH         take the run lock, print "locked", hold it
                                           until stdin is closed
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from ccat.pat.journal import (
    Fingerprint,
    Journal,
    JournalDocument,
    RotationRun,
    TargetRecord,
    TokenInfo,
)

TARGETS = 120  # enough bytes per save (~25 KB) that kills often land mid-write


def build_document(number: int) -> JournalDocument:
    """The deterministic document number `number`, so the test can recognise it exactly."""
    done = number % TARGETS
    targets = [
        TargetRecord(
            repository=f"ccatobs/repository-{index:03d}",
            state="updated" if index < done else "pending",
            started_at="2026-11-25T19:00:00Z" if index < done else None,
            finished_at="2026-11-25T19:00:01Z" if index < done else None,
            http_status=204 if index < done else None,
        )
        for index in range(TARGETS)
    ]
    run = RotationRun(
        run_id=f"run-{number}",
        secret="GH_PAT",
        org="ccatobs",
        api_url="https://api.github.com",
        graph_path="ci/dependency-graph.yml",
        graph_sha256="0" * 64,
        state="running",
        started_at="2026-11-25T19:00:00Z",
        finished_at=None,
        operator="alice",
        token=TokenInfo(Fingerprint.of("not-a-real-token", bytes(16)), "ccat-ci-bot", None),
        targets=targets,
    )
    return JournalDocument(current=run, history=[])


def main(argv: list[str]) -> int:
    """Run one of the two modes described in the module docstring."""
    mode, journal = argv[1], Journal(Path(argv[2]))
    if mode == "save":
        start = int(argv[3])
        for number in itertools.count(start):
            journal.save(build_document(number))
            if number == start:
                print("ready", flush=True)
    elif mode == "hold":
        with journal.lock():
            print("locked", flush=True)
            sys.stdin.read()
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
