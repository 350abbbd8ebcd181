"""Journals written for a test: the one `RotationRun` builder, and a journal file holding
runs. Imports nothing but the journal room, so that the journal killer (a child process
of tests/pat/test_journal.py) can use it too. Import with
`from tests.support.journals import a_run, save_journal`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ccat.pat.journal import (
    Fingerprint,
    GraphFile,
    Journal,
    JournalDocument,
    RotationRun,
    TargetRecord,
    TokenInfo,
)

RUN_ID = "20261125T190000Z-abcdef"
STARTED_AT = "2026-11-25T19:00:00Z"
AT = "2026-11-25T19:00:01Z"  # when a target of `targets_in` started or ended
FORBIDDEN = "Resource not accessible"


def a_token(
    expires_at: str | None = None,
    kind: str | None = None,
    value: str = "not-a-real-token",
    salt: bytes | None = None,
) -> TokenInfo:
    """The journal's record of the new token `value` (of login ccat-ci-bot), its
    fingerprint salted with `salt` (random when None)."""
    fingerprint = Fingerprint.of(value, salt)
    return TokenInfo(fingerprint, "ccat-ci-bot", expires_at, kind)  # type: ignore[arg-type]


def targets_in(states: Iterable[tuple[str, str]], error: str = FORBIDDEN) -> list[TargetRecord]:
    """A record per `(repository, state)`: `updated` (204), `failed` (403 with `error`),
    `in flight` (started, not finished) or `pending`."""
    records = []
    for repository, state in states:
        record = TargetRecord.pending(repository)
        if state == "updated":
            record = record.started(AT).succeeded(204, AT)
        elif state == "failed":
            record = record.started(AT).failed(403, error, AT)
        elif state == "in flight":
            record = record.started(AT)
        else:
            assert state == "pending", state
        records.append(record)
    return records


def a_run(targets: Iterable[TargetRecord] = (), **fields: Any) -> RotationRun:
    """A rotation of GH_PAT in ccatobs on GitHub.com by alice, stopped, over `targets`;
    `fields` changes any other field of the run (`state`, `token`, `api_url`...)."""
    values: dict[str, Any] = {
        "run_id": RUN_ID,
        "secret": "GH_PAT",
        "org": "ccatobs",
        "api_url": "https://api.github.com",
        "graph": GraphFile("ci/dependency-graph.yml", "0" * 64),
        "state": "stopped",
        "started_at": STARTED_AT,
        "finished_at": None,
        "operator": "alice",
        "token": a_token(),
        "targets": list(targets),
    }
    return RotationRun(**{**values, **fields})


def save_journal(path: Path, *runs: RotationRun) -> Path:
    """A journal whose current run is the last of `runs`, the others its history."""
    *history, current = runs
    Journal(path).save(JournalDocument(current=current, history=list(history)))
    return path
