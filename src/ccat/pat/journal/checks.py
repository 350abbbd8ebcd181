"""What a journal must say to be believed: times, states and outcomes that agree.

The codec (`journal_codec`) checks a journal's shape; this module checks its story. A
journal that loads but contradicts itself (`updated` with HTTP 403, `completed` with a
pending target, a write that finished before it started, a time that is no time) would
feed the early warnings a falsehood, and "safe to revoke" could follow. So every rule
below holds in every journal ccat writes, and a journal that breaks one is damaged:
`check_document` raises `InvalidRecord` naming the field, e.g.
`journal.current.targets[3] (ccatobs/ops-db): updated, but finished_at is null`.

Times are exactly as `ccat.pat.times.iso` writes them (`2026-11-25T19:00:00Z`). Those a
run recorded with the machine's clock lie between `EARLIEST` and `LATEST`, so that no
arithmetic on them can overflow; a token's expiry is GitHub's and may be any year.

The rules: `current` is a run (a journal is written when a rotation starts, and its
newest run is the current one); and per run:

- `run_id`, `secret`, `org` and `api_url` are not empty; `graph.sha256` and the token's
  fingerprint digest are SHA-256 digests (64 hex digits);
- `started_at` is a recorded time; `finished_at` is null while `running` and a recorded
  time, not before `started_at`, in every other state;
- at least one target; `completed`: every target `updated`; `stopped`: at least one
  target not `updated`;
- each target names a repository of the run's organisation (`org/name`, GitHub's rules)
  and a store (`actions`, `dependabot`, `environment:NAME`), no pair twice;
- `pending`: no `finished_at`, `http_status` or `error` (a `started_at` alone is a write
  in flight when the process died, and a completed run has none);
- `updated`: `started_at` and `finished_at`, HTTP 201 or 204, no error;
- `failed`: `started_at`, `finished_at` and an error; the status, when known, is not a
  success (201, 204) and is an HTTP status (100-599);
- a target's write starts no earlier than its run and finishes no earlier than it
  started; once the run is finished, no write of it finishes later than the run.

This module knows nothing of files; `Journal.load` calls it on the document with its
update log applied.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

import msgspec

from ccat.pat.github_rules import is_org_name, is_repository_name
from ccat.pat.journal.codec import InvalidRecord
from ccat.pat.journal.model import JournalDocument, Revocation, RotationRun, TargetRecord
from ccat.pat.stores import Store
from ccat.pat.times import iso, parse_exact

# The earliest and latest times a run may have recorded with the machine's clock: far
# enough from both ends of `datetime` that adding or taking a few days never overflows.
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(3000, 1, 1, tzinfo=UTC)
SUCCESS_STATUSES: Final = frozenset({201, 204})

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def check_document(document: JournalDocument, *, root: str = "journal") -> None:
    """Raise `InvalidRecord` for the first rule of the module docstring that `document`
    breaks, naming where (`journal.history[2].targets[0] (ccatobs/x)`)."""
    for index, revocation in enumerate(document.revocations):
        check_revocation(revocation, f"{root}.revocations[{index}]")
    if document.current is None and not (
        document.revocations and not document.history and not document.older_runs
    ):
        # ccat writes a journal when a rotation starts (or a token is revoked, which
        # may be before any rotation), and the newest run is the current one.
        held = (
            "the history holds runs"
            if document.history or document.older_runs
            else ("it records no rotation and no revocation at all")
        )
        raise InvalidRecord(
            f"{root}.current is null, but {held}: ccat writes a journal when a rotation "
            "starts, and its newest run is the current one"
        )
    if document.current is not None:
        check_run(document.current, f"{root}.current")
    for index, run in enumerate(document.history):
        check_run(run, f"{root}.history[{index}]")


def check_revocation(revocation: Revocation, where: str) -> None:
    """Raise `InvalidRecord` unless `revocation` names its secret, organisation and API,
    a SHA-256 fingerprint and a recorded time."""
    for field, text in (
        ("secret", revocation.secret),
        ("org", revocation.org),
        ("api_url", revocation.api_url),
    ):
        if not text.strip():
            raise InvalidRecord(f"{where}.{field} is empty")
    if _SHA256.fullmatch(revocation.fingerprint.sha256) is None:
        raise InvalidRecord(
            f"{where}.fingerprint.sha256 should be a SHA-256 digest (64 hex digits), found "
            f"{_quoted(revocation.fingerprint.sha256)}"
        )
    _recorded(revocation.revoked_at, f"{where}.revoked_at")


def check_run(run: RotationRun, where: str) -> None:
    """Raise `InvalidRecord` if `run` breaks a rule of the module docstring."""
    for field, text in (
        ("run_id", run.run_id),
        ("secret", run.secret),
        ("org", run.org),
        ("api_url", run.api_url),
    ):
        if not text.strip():
            raise InvalidRecord(f"{where}.{field} is empty")
    for field, digest in (
        ("graph.sha256", run.graph.sha256),
        ("token.fingerprint.sha256", run.token.fingerprint.sha256),
    ):
        if _SHA256.fullmatch(digest) is None:
            raise InvalidRecord(
                f"{where}.{field} should be a SHA-256 digest (64 hex digits), found "
                f"{_quoted(digest)}"
            )
    if run.token.expires_at is not None and parse_exact(run.token.expires_at) is None:
        raise _not_a_time(f"{where}.token.expires_at", run.token.expires_at, any_year=True)
    started = _recorded(run.started_at, f"{where}.started_at")
    finished = _run_finish(run, where, started)
    if not run.targets:
        raise InvalidRecord(
            f"{where}.targets is empty: every rotation has at least the graph's system-integration"
        )
    _check_states(run, where)
    for index, target in enumerate(run.targets):
        _check_target(run, target, f"{where}.targets[{index}]", started, finished)


def _run_finish(run: RotationRun, where: str, started: datetime) -> datetime | None:
    if run.state == "running":
        if run.finished_at is not None:
            raise InvalidRecord(
                f"{where} is running, but finished_at is {_quoted(run.finished_at)}: a run "
                "that finished is stopped, interrupted or completed"
            )
        return None
    if run.finished_at is None:
        raise InvalidRecord(f"{where} is {run.state}, but finished_at is null")
    finished = _recorded(run.finished_at, f"{where}.finished_at")
    if finished < started:
        raise InvalidRecord(
            f"{where} finished at {run.finished_at}, before it started ({run.started_at})"
        )
    return finished


def _check_states(run: RotationRun, where: str) -> None:
    if run.state == "completed":
        for index, target in enumerate(run.targets):
            if target.state != "updated":
                raise InvalidRecord(
                    f"{where} is completed, but targets[{index}] ({_named(target.repository)}) "
                    f"is {target.state}: a completed run updated every target"
                )
    if run.state == "stopped" and run.targets and not run.not_updated():
        raise InvalidRecord(
            f"{where} is stopped, but every target is updated: such a run is completed"
        )


def _check_target(
    run: RotationRun,
    target: TargetRecord,
    where: str,
    run_started: datetime,
    run_finished: datetime | None,
) -> None:
    named = _named(target.repository)
    who = f"{where} ({named})"
    org, _, name = target.repository.partition("/")
    if org.casefold() != run.org.casefold() or not is_org_name(org) or not is_repository_name(name):
        raise InvalidRecord(
            f"{who} is not a repository of the run's organisation {_quoted(run.org)} "
            "(org/name, as GitHub names repositories)"
        )
    try:
        Store.parse(target.store)
    except ValueError:
        raise InvalidRecord(
            f"{who}.store should be actions, dependabot or environment:NAME, found "
            f"{_quoted(target.store)}"
        ) from None
    state = target.state
    if state == "pending":
        for field, value in (
            ("finished_at", target.finished_at),
            ("http_status", target.http_status),
            ("error", target.error),
        ):
            if value is not None:
                raise InvalidRecord(
                    f"{who} is pending, but its {field} is {_quoted(value)}: a pending "
                    "target has no outcome"
                )
    else:
        for field, value in (
            ("started_at", target.started_at),
            ("finished_at", target.finished_at),
        ):
            if value is None:
                raise InvalidRecord(f"{who} is {state}, but its {field} is null")
    if state == "updated":
        if target.http_status not in SUCCESS_STATUSES:
            raise InvalidRecord(
                f"{who} is updated, but its http_status is {_quoted(target.http_status)}: "
                "GitHub confirms a write with 201 or 204"
            )
        if target.error is not None:
            raise InvalidRecord(f"{who} is updated, but has an error ({_quoted(target.error)})")
    if state == "failed":
        if not (target.error or "").strip():
            raise InvalidRecord(f"{who} failed, but its error is {_quoted(target.error)}")
        status = target.http_status
        if status is not None and (status in SUCCESS_STATUSES or not 100 <= status <= 599):
            raise InvalidRecord(
                f"{who} failed, but its http_status is {status}: not an HTTP status a "
                "failed write can have"
            )
    _check_target_times(target, where, named, run_started, run_finished)


def _check_target_times(
    target: TargetRecord,
    where: str,
    named: str,
    run_started: datetime,
    run_finished: datetime | None,
) -> None:
    who = f"{where} ({named})"
    started = None
    if target.started_at is not None:
        started = _recorded(target.started_at, f"{where}.started_at ({named})")
        if started < run_started:
            raise InvalidRecord(
                f"{who} started at {target.started_at}, before its run started ({iso(run_started)})"
            )
    if target.finished_at is None:
        return
    finished = _recorded(target.finished_at, f"{where}.finished_at ({named})")
    if started is not None and finished < started:
        raise InvalidRecord(
            f"{who} finished at {target.finished_at}, before it started ({target.started_at})"
        )
    if run_finished is not None and finished > run_finished:
        raise InvalidRecord(
            f"{who} finished at {target.finished_at}, after its run finished ({iso(run_finished)})"
        )


def _recorded(value: str, where: str) -> datetime:
    parsed = parse_exact(value)
    if parsed is None or not EARLIEST <= parsed < LATEST:
        raise _not_a_time(where, value, any_year=False)
    return parsed


def _not_a_time(where: str, value: str, *, any_year: bool) -> InvalidRecord:
    years = "" if any_year else f", between {EARLIEST.year} and {LATEST.year - 1}"
    return InvalidRecord(
        f"{where} should be a time as ccat writes it (UTC, e.g. 2026-11-25T19:00:00Z"
        f"{years}), found {_quoted(value)}"
    )


_PLAIN_NAME = re.compile(r"[A-Za-z0-9._/-]{1,200}")


def _named(repository: str) -> str:
    """A target's name for a message: as is when plain, else quoted as JSON."""
    return repository if _PLAIN_NAME.fullmatch(repository) else _quoted(repository)


def _quoted(value: object) -> str:
    """A value from the file, briefly and as JSON (control characters escaped)."""
    text = msgspec.json.encode(value).decode("utf-8")
    return text if len(text) <= 60 else text[:57] + "..."
