"""The rotation engine: preflight, paced writes, stop on first failure, resume.

The journal is the source of truth. Every write's outcome is saved (atomically and
durably, see `journal.py`) before it is reported, so a failure or a crash at any
instant leaves an exact "already updated" list, and `--resume` skips exactly those.
The engine returns a `RotationOutcome` record; it never prints or exits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

import anyio

from ccat.pat.errors import (
    AuthenticationError,
    GitHubError,
    InvalidNewTokenError,
    JournalError,
    NothingToResumeError,
    PreflightError,
    TokenMismatchError,
    UsageError,
)
from ccat.pat.github import GitHubClient, PublicKey, User
from ccat.pat.graph import Graph
from ccat.pat.journal import (
    Fingerprint,
    GraphFile,
    Journal,
    JournalDocument,
    RotationRun,
    TargetRecord,
    TokenInfo,
    iso,
    new_run_id,
    token_kind,
)
from ccat.pat.sealing import SealingError, load_public_key, seal


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PlanItem:
    """What the rotation does to one target."""

    repository: str
    action: Literal["set", "skip"]


@dataclass(frozen=True)
class Preflight:
    """What preflight learnt: who the operator and the new token are, the keys."""

    operator: str
    new_login: str
    new_expires_at: str | None
    keys: dict[str, PublicKey]


@dataclass(frozen=True)
class RotationOutcome:
    """The result of `run_rotation`; `run` is None for a dry run or a declined plan."""

    plan: tuple[PlanItem, ...]
    preflight: Preflight
    run: RotationRun | None
    dry_run: bool = False
    declined: bool = False
    previous_unfinished: RotationRun | None = None
    dropped: tuple[str, ...] = ()
    hint: str | None = None  # what to do about the failure, when a write failed

    @property
    def failed(self) -> TargetRecord | None:
        """The first target whose write failed, if any."""
        if self.run is None:
            return None
        return next((t for t in self.run.targets if t.state == "failed"), None)


class RotateListener(Protocol):
    """Progress of the writes (the CLI prints a line per repository)."""

    def write_finished(self, record: TargetRecord) -> None:
        """A write's outcome is durably journaled; safe to report."""


@dataclass
class RotateOptions:
    """Everything a rotation needs; filled by the CLI, or by a test."""

    client: GitHubClient
    journal: Journal
    graph: Graph
    secret: str
    api_url: str
    new_token: str = field(repr=False)
    concurrency: int = 16
    write_interval: float = 1.0
    resume: bool = False
    dry_run: bool = False
    # Asked after a successful preflight with the plan; None means do not ask.
    confirm: Callable[[Sequence[PlanItem], Preflight], bool] | None = None
    listener: RotateListener | None = None
    clock: Callable[[], datetime] = _utc_now


async def run_rotation(options: RotateOptions) -> RotationOutcome:
    """Rotate the secret; see SPEC §4. Raises our errors for refusals before writes."""
    if not options.new_token:
        raise InvalidNewTokenError("the new token is empty")
    # A dry run changes nothing, so it does not need to exclude a running rotation.
    lock: AbstractContextManager[None] = (
        nullcontext() if options.dry_run else options.journal.lock()
    )
    with lock:
        document = options.journal.load()
        previous = document.current
        skip = _resume_skip_set(options, previous) if options.resume else set()
        repositories = [target.full_name for target in options.graph.targets]
        plan = tuple(
            PlanItem(repo, "skip" if repo.lower() in skip else "set") for repo in repositories
        )
        to_set = [item.repository for item in plan if item.action == "set"]
        preflight = await _preflight(options, to_set)
        if options.dry_run:
            return RotationOutcome(plan, preflight, None, dry_run=True)
        if options.confirm is not None and not options.confirm(plan, preflight):
            return RotationOutcome(plan, preflight, None, declined=True)
        run, unfinished, dropped = _begin(options, document, preflight, repositories)
        hint = await _write_all(options, run, preflight.keys)
        done = all(t.state == "updated" for t in run.targets)
        run.finish("completed" if done else "stopped", iso(options.clock()))
        options.journal.save(document)
        return RotationOutcome(
            plan, preflight, run, previous_unfinished=unfinished, dropped=dropped, hint=hint
        )


def _resume_skip_set(options: RotateOptions, previous: RotationRun | None) -> set[str]:
    """Lower-cased names of the targets `--resume` skips; refuse what cannot resume."""
    if previous is None or previous.state == "completed":
        # (document.unfinished is the same test; `previous` is needed below anyway.)
        raise NothingToResumeError(
            f"no unfinished rotation to resume in {options.journal.path}",
            hint="run `ccat pat rotate` (without --resume) to start a new rotation",
        )
    if not previous.token.fingerprint.matches(options.new_token):
        raise TokenMismatchError(
            "this is not the token the unfinished rotation started with "
            f"(fingerprint {previous.token.fingerprint.short}); nothing was written",
            hint="paste the same token as for the interrupted run, or start a new rotation "
            "without --resume",
        )
    if (
        previous.secret.upper() != options.secret.upper()
        or previous.org.lower() != options.graph.org.lower()
        or previous.api_url.rstrip("/") != options.api_url.rstrip("/")
    ):
        raise UsageError(
            f"the unfinished rotation is for {previous.secret} in {previous.org} at "
            f"{previous.api_url}, not {options.secret} in {options.graph.org} at "
            f"{options.api_url}; nothing was written",
            hint="resume with the same --secret, --org and --api-url, or start a new rotation",
        )
    return {t.repository.lower() for t in previous.targets if t.state == "updated"}


async def _preflight(options: RotateOptions, repositories: Sequence[str]) -> Preflight:
    """Check the new token and fetch every public key, concurrently; no write."""
    limiter = anyio.CapacityLimiter(options.concurrency)
    failures: dict[str, str] = {}
    keys: dict[str, PublicKey] = {}
    users: dict[str, User] = {}

    async def user(label: str, token: str | None) -> None:
        async with limiter:
            try:
                users[label] = await options.client.get_user(token)
            except AuthenticationError:
                failures[label] = "rejected by GitHub (HTTP 401)"
            except GitHubError as exc:
                failures[label] = exc.message

    async def key(repository: str) -> None:
        async with limiter:
            try:
                fetched = await options.client.get_public_key(repository)
                load_public_key(fetched.key)
                keys[repository] = fetched
            except GitHubError as exc:
                failures[repository] = exc.message + (f" ({exc.hint})" if exc.hint else "")
            except SealingError as exc:
                failures[repository] = f"unusable public key: {exc}"

    async with anyio.create_task_group() as group:
        group.start_soon(user, "new token", options.new_token)
        group.start_soon(user, "operator credential", None)
        for repository in repositories:
            group.start_soon(key, repository)
    if failures.get("new token") == "rejected by GitHub (HTTP 401)":
        raise InvalidNewTokenError(
            "the new token is not valid: GitHub rejected it (GET /user answered 401); "
            "nothing was written",
            hint="copy the token again from GitHub's token page; it may be expired or revoked",
        )
    if failures:
        ordered = [(name, failures[name]) for name in failures if name not in repositories]
        ordered += [(repo, failures[repo]) for repo in repositories if repo in failures]
        raise PreflightError(
            f"preflight failed for {len(ordered)} of {len(repositories) + 2} checks; "
            "nothing was written",
            failures=ordered,
            hint="fix these, then run the same command again",
        )
    return Preflight(
        operator=users["operator credential"].login,
        new_login=users["new token"].login,
        new_expires_at=users["new token"].expires_at,
        keys=keys,
    )


def _begin(
    options: RotateOptions,
    document: JournalDocument,
    preflight: Preflight,
    repositories: Sequence[str],
) -> tuple[RotationRun, RotationRun | None, tuple[str, ...]]:
    """Start (or take up again) the run in the journal and save it before any write."""
    now = iso(options.clock())
    previous = document.current
    dropped: tuple[str, ...] = ()
    if options.resume and previous is not None:
        run = previous
        known = {t.repository.lower(): t for t in run.targets}
        wanted = {repo.lower() for repo in repositories}
        # A target that left the graph keeps its record only if it was updated: that is
        # a fact about GitHub; a pending or failed record of it would never finish.
        dropped = tuple(
            t.repository
            for t in run.targets
            if t.repository.lower() not in wanted and t.state != "updated"
        )
        kept = [t for t in run.targets if t.repository.lower() in wanted or t.state == "updated"]
        added = [TargetRecord.pending(repo) for repo in repositories if repo.lower() not in known]
        run.reopen(kept + added)
        unfinished = None
    else:
        unfinished = previous if previous is not None and previous.state != "completed" else None
        run = RotationRun(
            run_id=new_run_id(options.clock()),
            secret=options.secret,
            org=options.graph.org,
            api_url=options.api_url,
            graph=GraphFile(str(options.graph.path), options.graph.sha256),
            state="running",
            started_at=now,
            finished_at=None,
            operator=preflight.operator,
            token=TokenInfo(
                fingerprint=Fingerprint.of(options.new_token),
                login=preflight.new_login,
                expires_at=preflight.new_expires_at,
                kind=token_kind(options.new_token),
            ),
            targets=[TargetRecord.pending(repo) for repo in repositories],
        )
        document.start(run)
    options.journal.save(document)
    return run, unfinished, dropped


async def _write_all(
    options: RotateOptions,
    run: RotationRun,
    keys: dict[str, PublicKey],
) -> str | None:
    """Paced writes in target order; after the first failure no further write starts."""
    limiter = anyio.CapacityLimiter(options.concurrency)
    failed = anyio.Event()
    hints: list[str] = []
    journal_errors: list[JournalError] = []
    pending = [t for t in run.targets if t.state != "updated"]
    # A resumed run may spell a name as the graph did then; GitHub ignores case.
    keys_by_name = {name.lower(): key for name, key in keys.items()}

    def save(record: TargetRecord) -> bool:
        """Journal `record`; if that fails, no further write may start (its outcome could
        not be recorded), so remember the error and stop as on a failed write."""
        try:
            options.journal.save_target(run, record)
        except JournalError as exc:
            journal_errors.append(exc)
            failed.set()
            return False
        return True

    async def write(record: TargetRecord, slot: object) -> None:
        try:
            key = keys_by_name[record.repository.lower()]
            try:
                status = await options.client.put_secret(
                    record.repository, options.secret, seal(options.new_token, key.key), key.key_id
                )
            except GitHubError as exc:
                record = record.failed(exc.status, exc.detail, iso(options.clock()))
                hints.append(exc.hint or "")
                failed.set()
            else:
                record = record.succeeded(status, iso(options.clock()))
            # Journal first, then report. The save is synchronous: no cancellation can
            # land between the answer and the save, so a known outcome is never lost.
            if save(record) and options.listener is not None:
                options.listener.write_finished(record)
        finally:
            limiter.release_on_behalf_of(slot)

    last_start: float | None = None
    async with anyio.create_task_group() as group:
        for record in pending:
            # Waiting for a slot or for the interval is not "started": check after both.
            slot = object()  # the limiter's borrower: one per write
            await limiter.acquire_on_behalf_of(slot)
            if last_start is not None and not failed.is_set():
                remaining = last_start + options.write_interval - time.monotonic()
                if remaining > 0:
                    with anyio.move_on_after(remaining):
                        await failed.wait()
            if failed.is_set():
                limiter.release_on_behalf_of(slot)
                break
            last_start = time.monotonic()
            record = record.started(iso(options.clock()))
            # Saved before the request: a crash now leaves "pending, started, not finished",
            # which `ccat pat journal` shows as in flight and `--resume` simply redoes.
            if not save(record):
                limiter.release_on_behalf_of(slot)
                break
            group.start_soon(write, record, slot)
    if journal_errors:
        # Raised outside the task group, so the CLI sees a JournalError, not a group.
        raise JournalError(
            f"{journal_errors[0].message}; the rotation stopped there",
            hint="the journal on disk is still true (it never claims an unconfirmed write); "
            "fix the disk problem, then run `ccat pat rotate --resume` with the same token",
        ) from journal_errors[0]
    return next((hint for hint in hints if hint), None)
