"""The early warnings of `status` (SPEC §9): what will break next, from GitHub's timestamps
and the rotation journal.

Pure: it reads a `StatusReport`, the journal's runs and the time, and returns an
`Outlook`. Each comparison's edge, exactly (`now` is the time of the check; a "day" is
24 hours; GitHub's timestamps have whole seconds):

- `expiry`: the token of the newest *completed* run warns when `expires_at - now` is at
  most `warn_days` days (exactly 14 days left still warns; 14 days and 1 second does
  not), and says "expired" once `expires_at <= now`. `days_left` is the number of whole
  days left, rounded down (negative once expired). The cut-off is `ccat.pat.expiry`'s,
  which `rotate` applies to the new token too.
- `age`: warns when `now - updated_at` is more than the limit (exactly 90 days old does
  not warn; 90 days and 1 second does). The limit is `--max-age`, else 60 days for a
  classic token, else 90 (fine-grained, `other`, or no kind known).
- `missed`: warns when `updated_at < started_at - CLOCK_SKEW` of our newest successful
  write to the repository (that target's own `started_at`, in any run): GitHub does not
  hold that write, so the repository still holds the previous token. A repository
  with its own secret and no write of ours at all warns too when the newest completed
  run left it out (added to the graph since?): what it holds is unknown, never fine;
  and one set before the newest completed run started when that run was a selection
  (`--repo`) that left it out: it may hold the previous token.
- `changed`: warns when `updated_at > finished_at + CLOCK_SKEW` of that same write (its
  `finished_at`, in any run, completed or not), so a value set by hand during a long
  rotation is caught too.
- `shadowed`: the repository has its own secret and the organisation secret of the same
  name is available to it.

GitHub's clock and ours may differ by a little: `CLOCK_SKEW` (two minutes) of slack on
`missed` and `changed` keeps a write we made from looking like someone else's (or a
missed one); so exactly 120 s either side of the edge does not warn, 121 s does.
`missed` and `changed` look only at a repository's own secret (a rotation never writes
an organisation secret); `age` looks at both.

Nothing unknown reads as fine: the journal's times are checked when it is loaded (a
journal with a time that is no time is refused as damaged, `journal_checks`), and a
secret whose time GitHub did not give usably warns `age` ("its age is unknown") and is
never counted as holding the rotation's token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol, TypeVar

from ccat.pat.api_url import same_api
from ccat.pat.expiry import days_left, expiry_due, expiry_warning
from ccat.pat.journal import RotationRun, TargetRecord
from ccat.pat.settings import CLOCK_SKEW, DEFAULTS
from ccat.pat.status.engine import SecretStatus, StatusReport
from ccat.pat.status.unfinished import UnfinishedRun
from ccat.pat.stores import Copy
from ccat.pat.times import parse_iso

WarningKind = Literal["expiry", "age", "missed", "changed", "shadowed"]


@dataclass(frozen=True)
class StatusWarning:
    """One warning: its kind (for scripts), a sentence for people, and the store of the
    copy it is about when that is not the Actions copy (SPEC §10)."""

    kind: WarningKind
    message: str
    store: str | None = None


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
    """Every warning of a status run: the unfinished rotation, if any (said first, and
    never with "safe to revoke"), per repository (keyed by the report's name), for the
    token, and whether it is safe to revoke the previous token."""

    repositories: dict[str, tuple[StatusWarning, ...]] = field(default_factory=dict)
    token: TokenOutlook | None = None
    token_warnings: tuple[StatusWarning, ...] = ()
    safe_to_revoke: str | None = None  # the sentence to print, when it is true
    unfinished: UnfinishedRun | None = None
    # The repositories (as the report names them) whose own secret GitHub says the
    # newest completed rotation wrote, and that nobody changed since.
    holding: frozenset[str] = frozenset()
    # The same for the copies in the other stores: (repository, store name) pairs.
    holding_copies: frozenset[tuple[str, str]] = frozenset()

    def of(self, repository: str) -> tuple[StatusWarning, ...]:
        """The warnings of one repository (none when it has none)."""
        return self.repositories.get(repository, ())

    @property
    def count(self) -> int:
        """How many warnings there are in all (an unfinished rotation is one)."""
        return (
            len(self.token_warnings)
            + sum(map(len, self.repositories.values()))
            + (self.unfinished is not None)
        )


class _RunLike(Protocol):
    @property
    def secret(self) -> str: ...
    @property
    def org(self) -> str: ...
    @property
    def api_url(self) -> str: ...


_R = TypeVar("_R", bound=_RunLike)


def relevant_runs(runs: Sequence[_R], *, secret: str, org: str, api_url: str) -> list[_R]:
    """The runs (or run summaries) that rotated this secret of this organisation on this
    API, in the order given: a journal of another secret, organisation or GitHub says
    nothing here."""

    return [
        run
        for run in runs
        if run.secret.upper() == secret.upper()
        and run.org.casefold() == org.casefold()
        and same_api(run.api_url, api_url)  # any spelling of the same API
    ]


@dataclass(frozen=True)
class _Write:
    """A write of ours to one repository, as a journal run recorded it."""

    run: RotationRun
    record: TargetRecord


def _last_write(
    runs: Sequence[RotationRun], repository: str, store: str = "actions"
) -> _Write | None:
    for run in runs:
        record = run.target(repository, store)
        if record is not None and record.state == "updated":
            return _Write(run, record)
    return None


def token_outlook(run: RotationRun, now: datetime) -> TokenOutlook:
    """The token of `run`: login, kind, expiry and whole days left (rounded down, so
    negative once expired)."""
    expires = parse_iso(run.token.expires_at)
    days = None if expires is None else days_left(expires, now)
    return TokenOutlook(run.run_id, run.token.login, run.token.kind, run.token.expires_at, days)


def _expiry(token: TokenOutlook | None, now: datetime, warn_days: int) -> tuple[StatusWarning, ...]:
    """Warns when the expiry is at most `warn_days` days away, or past."""
    expires = None if token is None else expiry_due(token.expires_at, now, warn_days)
    if token is None or expires is None:
        return ()
    login = token.login or "unknown login"
    message = expiry_warning(f"the token set by the last rotation ({login})", expires, now)
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
    unfinished: UnfinishedRun | None = None,
) -> Outlook:
    """The warnings of SPEC §9 for `report`, given the journal's runs, newest first (only
    those of this secret: see `relevant_runs`), as of `now`, and the unfinished rotation
    of SPEC §12 (`unfinished_run.find_unfinished`), if any.

    Safe to revoke the previous token only when no rotation is unfinished, the newest
    run is completed, every repository of the report holds its own secret, that run
    updated it, and no repository missed it or changed since.
    """
    completed = next((run for run in runs if run.state == "completed"), None)
    token = None if completed is None else token_outlook(completed, now)
    limit, cadence = _cadence(token, max_age)
    per_repository: dict[str, tuple[StatusWarning, ...]] = {}
    holding: set[str] = set()
    holding_copies: set[tuple[str, str]] = set()
    clean_everywhere = (
        unfinished is None
        and completed is not None
        and runs[0] is completed
        and bool(report.results)
    )
    for result in report.results:
        warnings = (
            *_journal_warnings(result, runs, completed),
            *_age(result, now, limit, cadence),
            *_shadowed(result, report),
        )
        for copy in result.copies:
            found = _copy_warnings(result.repository, copy, runs, completed, now, limit)
            warnings += found
            if (
                copy.state != "present"
                or completed is None
                or not _copy_covered(result.repository, copy, completed)
            ):
                clean_everywhere = False
            elif not any(w.kind in ("missed", "changed") for w in found):
                holding_copies.add((result.repository, copy.name))
        if warnings:
            per_repository[result.repository] = warnings
        covered = completed is not None and _covered(result, completed)
        if any(w.kind in ("missed", "changed") for w in warnings):
            clean_everywhere = False
        if covered and not any(
            w.kind in ("missed", "changed") and w.store is None for w in warnings
        ):
            holding.add(result.repository)  # its Actions copy; the others are below
        else:
            clean_everywhere = False
    safe = None
    if clean_everywhere and completed is not None:
        families = report.stores.families
        looked = "" if len(families) == 3 else f" (stores checked: {report.stores.text})"
        safe = (
            f"every copy holds the token set by rotation {completed.run_id} "
            f"(finished {completed.finished_at or '?'}) and none changed since{looked}: it "
            "is now safe to revoke the previous token"
        )
    return Outlook(
        per_repository,
        token,
        _expiry(token, now, warn_days),
        safe,
        unfinished,
        frozenset(holding),
        frozenset(holding_copies),
    )


def _covered(result: SecretStatus, run: RotationRun) -> bool:
    """Whether GitHub says `result`'s own secret is set, at a known time, and `run`
    updated it. An unknown time is not a time that fits: never "fine"."""
    record = run.target(result.repository)
    return (
        result.state == "present"
        and result.via == "repository"
        and parse_iso(result.updated_at) is not None
        and record is not None
        and record.state == "updated"
    )


def _age(
    result: SecretStatus, now: datetime, max_age: int, cadence: str
) -> tuple[StatusWarning, ...]:
    """Warns when the secret is more than `max_age` days old, or its age is unknown."""
    if result.state != "present":
        return ()
    updated = parse_iso(result.updated_at)
    if updated is None:
        message = (
            f"GitHub gave no usable time for when it was set ({result.updated_at or 'none'}):"
            " its age is unknown"
        )
        return (StatusWarning("age", message),)
    if now - updated <= timedelta(days=max_age):
        return ()
    days = (now - updated) // timedelta(days=1)
    where = "the organisation secret was set" if result.via == "organization" else "set"
    message = f"{where} {days} days ago, older than {cadence} ({max_age} days)"
    return (StatusWarning("age", message),)


def _journal_warnings(
    result: SecretStatus, runs: Sequence[RotationRun], completed: RotationRun | None
) -> tuple[StatusWarning, ...]:
    """Missed and changed: the repository's own secret against our newest write to it
    (in any run), or, with none, against the newest completed run that left it out."""
    updated = parse_iso(result.updated_at)
    if result.state != "present" or result.via != "repository" or updated is None:
        return ()
    write = _last_write(runs, result.repository)
    if write is None:
        if completed is None or completed.target(result.repository) is not None:
            return ()
        selected = _outside_selection(result, updated, completed)
        if selected:
            return selected
        message = (
            f"rotation {completed.run_id}, the last completed, did not include it (added to "
            "the graph since?): it may still hold the previous token"
        )
        return (StatusWarning("missed", message),)
    warnings = list(_outside_selection(result, updated, completed))
    started = parse_iso(write.record.started_at)
    if not warnings and started is not None and updated < started - CLOCK_SKEW:
        warnings.append(
            StatusWarning(
                "missed",
                f"set {result.updated_at}, before rotation {write.run.run_id} wrote it (from "
                f"{write.record.started_at}): it still holds the previous token",
            )
        )
    finished = parse_iso(write.record.finished_at)
    if finished is not None and updated > finished + CLOCK_SKEW:
        warnings.append(
            StatusWarning(
                "changed",
                f"set {result.updated_at}, after rotation {write.run.run_id} wrote it at "
                f"{write.record.finished_at}: someone set another value since",
            )
        )
    return tuple(warnings)


def _outside_selection(
    result: SecretStatus, updated: datetime, completed: RotationRun | None
) -> tuple[StatusWarning, ...]:
    """Missed, for a repository the newest completed run left out because `--repo`
    selected others: its secret, set before that run, may hold the previous token."""
    if completed is None or completed.selection is None or completed.target(result.repository):
        return ()
    started = parse_iso(completed.started_at)
    if started is None or updated >= started - CLOCK_SKEW:
        return ()
    return (
        StatusWarning(
            "missed",
            f"set {result.updated_at}, before rotation {completed.run_id}, which selected "
            "other repositories (--repo): it may still hold the previous token",
        ),
    )


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


def _copy_covered(repository: str, copy: Copy, run: RotationRun) -> bool:
    """Whether `run` updated this copy, and GitHub gives its time."""
    record = None if copy.store is None else run.target(repository, copy.store.name)
    return (
        parse_iso(copy.updated_at) is not None and record is not None and record.state == "updated"
    )


def _copy_warnings(
    repository: str,
    copy: Copy,
    runs: Sequence[RotationRun],
    completed: RotationRun | None,
    now: datetime,
    max_age: int,
) -> tuple[StatusWarning, ...]:
    """Missed, changed and age for a copy in another store (SPEC §10): against our
    newest write to that pair, else against the start of the last completed rotation
    (a copy older than it holds an older token). An environment's copy says that jobs in
    that environment read it instead of the repository's."""
    store = copy.store
    updated = parse_iso(copy.updated_at)
    if store is None or copy.state != "present" or updated is None:
        return ()
    name = store.name
    what = f"its {name} copy"
    reads = (
        f"; jobs in the environment {store.environment} read it instead of the repository's"
        if store.environment is not None
        else "; runs started by Dependabot read this one, never an Actions secret"
    )
    warnings: list[StatusWarning] = []
    write = _last_write(runs, repository, name)
    if write is not None:
        started = parse_iso(write.record.started_at)
        finished = parse_iso(write.record.finished_at)
        if started is not None and updated < started - CLOCK_SKEW:
            warnings.append(
                StatusWarning(
                    "missed",
                    f"{what} was set {copy.updated_at}, before rotation {write.run.run_id} "
                    f"wrote it: it still holds the previous token{reads}",
                    name,
                )
            )
        elif finished is not None and updated > finished + CLOCK_SKEW:
            warnings.append(
                StatusWarning(
                    "changed",
                    f"{what} was set {copy.updated_at}, after rotation {write.run.run_id} "
                    f"wrote it: someone set another value since{reads}",
                    name,
                )
            )
    elif completed is not None:
        started = parse_iso(completed.started_at)
        if started is not None and updated < started - CLOCK_SKEW:
            stores = " and ".join(completed.store_families)
            warnings.append(
                StatusWarning(
                    "missed",
                    f"{what} was set {copy.updated_at}, before rotation {completed.run_id} "
                    f"started, which wrote {stores} only: it holds an older token{reads}",
                    name,
                )
            )
    if now - updated > timedelta(days=max_age):
        days = (now - updated) // timedelta(days=1)
        warnings.append(
            StatusWarning("age", f"{what} was set {days} days ago, older than {max_age} days", name)
        )
    return tuple(warnings)
