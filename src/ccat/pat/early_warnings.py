"""The early warnings of `status` (SPEC §9): what will break next, from GitHub's timestamps
and the rotation journal.

Pure: it reads a `StatusReport`, the journal's runs and the time, and returns an
`Outlook`. GitHub's clock and ours may differ by a little; `CLOCK_SKEW` of slack keeps a
write we made from looking like someone else's (or a missed one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from ccat.pat.journal import RotationRun, TargetRecord
from ccat.pat.settings import CLOCK_SKEW, DEFAULTS
from ccat.pat.status import SecretStatus, StatusReport

WarningKind = Literal["expiry", "age", "missed", "changed", "shadowed"]


@dataclass(frozen=True)
class StatusWarning:
    """One warning: its kind (for scripts) and a sentence for people."""

    kind: WarningKind
    message: str


@dataclass(frozen=True)
class TokenOutlook:
    """The token of the last completed rotation, as the journal knows it."""

    run_id: str
    login: str | None
    kind: str | None
    expires_at: str | None
    days_left: int | None


@dataclass(frozen=True)
class Outlook:
    """Every warning of a status run: per repository (keyed by the report's name), for
    the token, and whether it is safe to revoke the previous token."""

    repositories: dict[str, tuple[StatusWarning, ...]] = field(default_factory=dict)
    token: TokenOutlook | None = None
    token_warnings: tuple[StatusWarning, ...] = ()
    safe_to_revoke: str | None = None  # the sentence to print, when it is true

    def of(self, repository: str) -> tuple[StatusWarning, ...]:
        """The warnings of one repository (none when it has none)."""
        return self.repositories.get(repository, ())

    @property
    def count(self) -> int:
        """How many warnings there are in all."""
        return len(self.token_warnings) + sum(map(len, self.repositories.values()))


def _time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _day(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


@dataclass(frozen=True)
class _Write:
    """A write of ours to one repository, as a journal run recorded it."""

    run: RotationRun
    record: TargetRecord


def _last_write(runs: Sequence[RotationRun], repository: str) -> _Write | None:
    for run in runs:
        record = run.target(repository)
        if record is not None and record.state == "updated":
            return _Write(run, record)
    return None


def _last_completed(runs: Sequence[RotationRun], repository: str) -> RotationRun | None:
    for run in runs:
        if run.state == "completed" and run.target(repository) is not None:
            return run
    return None


def token_outlook(run: RotationRun, now: datetime) -> TokenOutlook:
    """The token of `run`: login, kind, expiry and whole days left (negative: expired)."""
    expires = _time(run.token.expires_at)
    days = None if expires is None else (expires - now) // timedelta(days=1)
    return TokenOutlook(run.run_id, run.token.login, run.token.kind, run.token.expires_at, days)


def _expiry(token: TokenOutlook | None, now: datetime, warn_days: int) -> tuple[StatusWarning, ...]:
    expires = None if token is None else _time(token.expires_at)
    if token is None or expires is None or expires - now > timedelta(days=warn_days):
        return ()
    left = token.days_left or 0
    when = (
        f"expired on {_day(expires)}"
        if expires <= now
        else f"expires on {_day(expires)}, in {left} day{'s' if left != 1 else ''}"
    )
    login = token.login or "unknown login"
    message = f"the token set by the last rotation ({login}) {when}: CI breaks then; rotate before"
    return (StatusWarning("expiry", message),)


def _cadence(token: TokenOutlook | None, max_age: int | None) -> tuple[int, str]:
    """The age limit in days and how to name it: --max-age, else by the token's kind."""
    if max_age is not None:
        return max_age, "--max-age"
    kind = None if token is None else token.kind
    if kind == "classic":
        return DEFAULTS.max_age_classic, "the rotation cadence for a classic token"
    if kind == "fine-grained":
        return DEFAULTS.max_age_fine_grained, "the rotation cadence for a fine-grained token"
    return DEFAULTS.max_age_fine_grained, "the rotation cadence"


def assess(
    report: StatusReport,
    runs: Sequence[RotationRun],
    now: datetime,
    *,
    warn_days: int = DEFAULTS.warn_days,
    max_age: int | None = None,
) -> Outlook:
    """The warnings of SPEC §9 for `report`, given the journal's runs, newest first."""
    completed = next((run for run in runs if run.state == "completed"), None)
    token = None if completed is None else token_outlook(completed, now)
    limit, cadence = _cadence(token, max_age)
    per_repository: dict[str, tuple[StatusWarning, ...]] = {}
    # Safe to revoke: the last rotation completed, is the newest, and every repository
    # holds what it wrote, untouched since.
    clean_everywhere = completed is not None and bool(runs) and runs[0] is completed
    for result in report.results:
        warnings = (
            *_age(result, now, limit, cadence),
            *_journal_warnings(result, runs),
            *_shadowed(result, report),
        )
        if warnings:
            per_repository[result.repository] = warnings
        covered = completed is not None and _covered(result, completed)
        if not covered or any(w.kind in ("missed", "changed") for w in warnings):
            clean_everywhere = False
    safe = None
    if clean_everywhere and completed is not None and report.results:
        safe = (
            f"every repository holds the token set by rotation {completed.run_id} "
            f"(finished {completed.finished_at or '?'}) and none changed since: it is now "
            "safe to revoke the previous token"
        )
    return Outlook(per_repository, token, _expiry(token, now, warn_days), safe)


def _covered(result: SecretStatus, run: RotationRun) -> bool:
    record = run.target(result.repository)
    return (
        result.state == "present"
        and result.via == "repository"
        and record is not None
        and record.state == "updated"
    )


def _age(
    result: SecretStatus, now: datetime, max_age: int, cadence: str
) -> tuple[StatusWarning, ...]:
    updated = _time(result.updated_at)
    if result.state != "present" or updated is None or now - updated <= timedelta(days=max_age):
        return ()
    days = (now - updated) // timedelta(days=1)
    where = "the organisation secret was set" if result.via == "organization" else "set"
    message = f"{where} {days} days ago, older than {cadence} ({max_age} days)"
    return (StatusWarning("age", message),)


def _journal_warnings(
    result: SecretStatus, runs: Sequence[RotationRun]
) -> tuple[StatusWarning, ...]:
    """Missed and changed: the repository's own secret against what the journal wrote."""
    updated = _time(result.updated_at)
    if result.state != "present" or result.via != "repository" or updated is None:
        return ()
    warnings: list[StatusWarning] = []
    completed = _last_completed(runs, result.repository)
    started = None if completed is None else _time(completed.started_at)
    if completed is not None and started is not None and updated < started - CLOCK_SKEW:
        warnings.append(
            StatusWarning(
                "missed",
                f"set {_day(updated)}, before rotation {completed.run_id} started: it still "
                "holds the previous token",
            )
        )
    write = _last_write(runs, result.repository)
    finished = None if write is None else _time(write.record.finished_at)
    if write is not None and finished is not None and updated > finished + CLOCK_SKEW:
        warnings.append(
            StatusWarning(
                "changed",
                f"set {result.updated_at}, after rotation {write.run.run_id} wrote it "
                f"({write.record.finished_at}): another value was set since",
            )
        )
    return tuple(warnings)


def _shadowed(result: SecretStatus, report: StatusReport) -> tuple[StatusWarning, ...]:
    org = report.org_secret
    if result.via != "repository" or org.secret is None or not org.covers(result.repository):
        return ()
    message = (
        f"this repository secret hides the organisation secret {report.secret} "
        f"(visible to {org.secret.visibility} repositories): rotating that one does not "
        "reach this repository"
    )
    return (StatusWarning("shadowed", message),)
