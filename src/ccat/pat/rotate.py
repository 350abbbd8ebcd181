"""The rotation engine: preflight, paced writes, stop on first failure, resume.

A rotation runs in two phases so that the operator can be asked in between, outside any
event loop (where Ctrl-C works as everywhere else):

    rotation = Rotation(options, journal.load())   # under the journal lock
    plan = await rotation.prepare()                 # plan + preflight; writes nothing
    outcome = await rotation.execute(plan)          # journal first, then each write

The journal is the source of truth. Every write's outcome is saved (atomically and
durably, see `journal.py`) before it is reported, so a failure, a crash or a signal at
any instant leaves an exact "already updated" list, and `--resume` skips exactly those.
The engine returns records; it never prints or exits.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager, nullcontext
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
    PreflightFailure,
    SealingError,
    TokenMismatchError,
    UsageError,
)
from ccat.pat.github import GitHubClient, PublicKey, SecretInfo, User
from ccat.pat.graph import Graph
from ccat.pat.journal import (
    Fingerprint,
    GraphFile,
    Journal,
    JournalDocument,
    RotationRun,
    TargetRecord,
    TokenInfo,
    TokenKind,
    iso,
    new_run_id,
    token_kind,
)
from ccat.pat.sealing import load_public_key, seal
from ccat.pat.settings import CLOCK_SKEW, DEFAULTS
from ccat.pat.status import describe

REQUIRED_SCOPES = ("repo", "workflow")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PlanItem:
    """What the rotation does to one target; `note` says why, when it is not obvious."""

    repository: str
    action: Literal["set", "skip"]
    note: str | None = None


@dataclass(frozen=True)
class TokenCheck:
    """What preflight learnt of a token from `GET /user` (never the token itself)."""

    login: str
    expires_at: str | None
    kind: TokenKind

    @classmethod
    def of(cls, user: User, kind: TokenKind) -> TokenCheck:
        """From GitHub's answer and the token's kind (by its prefix)."""
        return cls(user.login, user.expires_at, kind)


@dataclass(frozen=True)
class Preflight:
    """What preflight established: who the operator and the new token are, every key.

    `new_token` is None for a dry run without a token (nothing about it was checked).
    """

    operator: str
    new_token: TokenCheck | None
    keys: Mapping[str, PublicKey]


@dataclass(frozen=True)
class Plan:
    """The rotation about to happen: each target's action and what preflight found."""

    items: tuple[PlanItem, ...]
    preflight: Preflight

    @property
    def to_set(self) -> tuple[str, ...]:
        """The repositories that will be written, in order."""
        return tuple(item.repository for item in self.items if item.action == "set")


@dataclass(frozen=True)
class WriteFailure:
    """The write that stopped the run, with what to do about it."""

    record: TargetRecord
    hint: str | None


@dataclass(frozen=True)
class RotationOutcome:
    """The result of a rotation; `run` is None for a dry run or a declined plan."""

    plan: Plan
    run: RotationRun | None
    dry_run: bool = False
    declined: bool = False
    previous_unfinished: RotationRun | None = None
    dropped: tuple[str, ...] = ()
    failure: WriteFailure | None = None

    @property
    def completed(self) -> bool:
        """Every target is updated."""
        return self.run is not None and self.run.state == "completed"


class RotateListener(Protocol):
    """Progress of a rotation (the CLI draws it on a terminal, and prints each write)."""

    def preflight_checked(self, done: int, total: int) -> None:
        """One more preflight check finished."""

    def write_started(self, repository: str, number: int, total: int) -> None:
        """Write `number` of `total` is about to be sent (its start is journaled)."""

    def write_finished(self, record: TargetRecord) -> None:
        """A write's outcome is durably journaled; safe to report."""


@dataclass(frozen=True)
class RotateOptions:
    """Everything a rotation needs; filled by the CLI, or by a test.

    `connect` opens the GitHub client (a factory: parsing can be tested without
    connecting). `operator_token` is only compared with the new token, never sent from
    here. `new_token` None is allowed for a dry run only.
    """

    connect: Callable[[], AbstractAsyncContextManager[GitHubClient]]
    journal: Journal
    graph: Graph
    secret: str
    api_url: str
    operator_token: str = field(repr=False)
    new_token: str | None = field(repr=False)
    operator_source: str = "the operator credential"
    concurrency: int = DEFAULTS.concurrency
    write_interval: float = DEFAULTS.write_interval
    resume: bool = False
    dry_run: bool = False
    listener: RotateListener | None = None
    clock: Callable[[], datetime] = _utc_now
    monotonic: Callable[[], float] = time.monotonic


def refuse_operator_credential(new_token: str, operator_token: str, source: str) -> None:
    """The new token must not be the operator credential itself (SPEC §4.2)."""
    if hmac.compare_digest(new_token.encode(), operator_token.encode()):
        raise InvalidNewTokenError(
            f"the new token is the operator credential itself ({source}); nothing was written",
            hint="paste the new PAT created for CI; putting the credential that administers "
            "the repositories into every one of them would hand it to every workflow",
        )


class Rotation:
    """One rotation, phase by phase; see the module docstring.

    `run` is the journal's run once `execute` has begun it (also after a failure or a
    cancellation, so the caller can report what the journal now says).
    """

    def __init__(self, options: RotateOptions, document: JournalDocument) -> None:
        if options.new_token == "" or (options.new_token is None and not options.dry_run):
            raise InvalidNewTokenError("no new token: only a dry run can go without one")
        if options.new_token is not None:
            refuse_operator_credential(
                options.new_token, options.operator_token, options.operator_source
            )
        self.options = options
        self.document = document
        self.run: RotationRun | None = None
        self.writes_started = 0
        self._previous = document.current
        self._skip = _resume_skip(options, self._previous) if options.resume else {}

    # -- phase 1: plan and preflight ---------------------------------------------

    async def prepare(self) -> Plan:
        """Check both tokens, every key, the new token's reach and every skipped
        target's value, concurrently; no write. Raises for anything that fails."""
        repositories = [target.full_name for target in self.options.graph.targets]
        skip = [repo for repo in repositories if repo.lower() in self._skip]
        to_set = [repo for repo in repositories if repo.lower() not in self._skip]
        async with self.options.connect() as client:
            checks = _Preflight(
                self.options, client, to_set, {r: self._skip[r.lower()] for r in skip}
            )
            preflight, redo = await checks.run()
        notes = {repo.lower(): note for repo, note in redo.items()}
        items = tuple(
            PlanItem(repo, "set", notes.get(repo.lower()))
            if repo.lower() not in self._skip or repo.lower() in notes
            else PlanItem(repo, "skip", "already updated by this run")
            for repo in repositories
        )
        return Plan(items, preflight)

    # -- phase 2: the writes -----------------------------------------------------

    async def execute(self, plan: Plan) -> RotationOutcome:
        """Begin (or take up) the run in the journal, then write in target order.

        Cancelled (a signal), the run is journaled `interrupted` before the cancellation
        goes on; a write in flight stays "started, not finished" (`--resume` redoes it).
        """
        if self.options.dry_run or self.options.new_token is None:
            return RotationOutcome(plan, None, dry_run=True)
        run, unfinished, dropped = self._begin(plan)
        self.run = run
        try:
            async with self.options.connect() as client:
                writer = _Writer(self, client, run, plan.preflight.keys)
                failure = await writer.write_all(plan.to_set)
        except anyio.get_cancelled_exc_class():
            # Synchronous, so nothing can cancel it half-way: the journal tells the truth.
            run.finish("interrupted", iso(self.options.clock()))
            self.options.journal.save(self.document)
            raise
        done = all(t.state == "updated" for t in run.targets)
        run.finish("completed" if done else "stopped", iso(self.options.clock()))
        self.options.journal.save(self.document)
        return RotationOutcome(
            plan, run, previous_unfinished=unfinished, dropped=dropped, failure=failure
        )

    def _begin(self, plan: Plan) -> tuple[RotationRun, RotationRun | None, tuple[str, ...]]:
        """Start (or take up again) the run in the journal and save it before any write.

        Returns the run, the previous run if a new one replaced it unfinished, and the
        targets a resumed run dropped because they left the graph.
        """
        previous = self._previous
        if self.options.resume and previous is not None:
            dropped = _take_up(previous, plan)
            self.options.journal.save(self.document)
            return previous, None, dropped
        run = self._new_run(plan)
        self.document.start(run)
        self.options.journal.save(self.document)
        unfinished = previous if previous is not None and previous.state != "completed" else None
        return run, unfinished, ()

    def _new_run(self, plan: Plan) -> RotationRun:
        options = self.options
        assert options.new_token is not None
        token = plan.preflight.new_token
        return RotationRun(
            run_id=new_run_id(options.clock()),
            secret=options.secret,
            org=options.graph.org,
            api_url=options.api_url,
            graph=GraphFile(str(options.graph.path), options.graph.sha256),
            state="running",
            started_at=iso(options.clock()),
            finished_at=None,
            operator=plan.preflight.operator,
            token=TokenInfo(
                fingerprint=Fingerprint.of(options.new_token),
                login=None if token is None else token.login,
                expires_at=None if token is None else token.expires_at,
                kind=token_kind(options.new_token),
            ),
            targets=[TargetRecord.pending(item.repository) for item in plan.items],
        )


def _take_up(run: RotationRun, plan: Plan) -> tuple[str, ...]:
    """Reopen `run` for `--resume` over the plan's targets; return those dropped.

    The graph's order, not the journal's: writes go as a new run's would. A target that
    left the graph keeps its record only if it was updated: that is a fact about GitHub;
    a pending or failed record of it would never finish. A target whose recorded write
    GitHub does not hold (a note in the plan) starts again as pending.
    """
    wanted = {item.repository.lower() for item in plan.items}
    redo = {item.repository.lower() for item in plan.items if item.note and item.action == "set"}
    dropped = tuple(
        t.repository
        for t in run.targets
        if t.repository.lower() not in wanted and t.state != "updated"
    )
    ordered = [
        TargetRecord.pending(item.repository)
        if (known := run.target(item.repository)) is None or item.repository.lower() in redo
        else known
        for item in plan.items
    ]
    left = [t for t in run.targets if t.repository.lower() not in wanted and t.state == "updated"]
    run.reopen([*ordered, *left])
    return dropped


def _resume_skip(options: RotateOptions, previous: RotationRun | None) -> dict[str, TargetRecord]:
    """The records `--resume` may skip (lower-cased name -> record); refuse what cannot resume."""
    if previous is None or previous.state == "completed":
        raise NothingToResumeError(
            f"no unfinished rotation to resume in {options.journal.path}",
            hint="run `ccat pat rotate` (without --resume) to start a new rotation",
        )
    if options.new_token is not None and not previous.token.fingerprint.matches(options.new_token):
        raise TokenMismatchError(
            "this is not the token the unfinished rotation started with "
            f"(fingerprint {previous.token.fingerprint.short}); nothing was written",
            hint="paste the same token as for the interrupted run, or start a new rotation "
            "without --resume (writing every repository again is safe)",
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
    return {t.repository.lower(): t for t in previous.targets if t.state == "updated"}


class _Preflight:
    """The checks of SPEC §4.2, run concurrently under one limiter; collects failures."""

    def __init__(
        self,
        options: RotateOptions,
        client: GitHubClient,
        to_set: Sequence[str],
        skip: Mapping[str, TargetRecord],
    ) -> None:
        self.options = options
        self.client = client
        self.to_set = to_set
        self.skip = skip  # repository -> its `updated` record in the run being resumed
        self.limiter = anyio.CapacityLimiter(options.concurrency)
        self.failures: list[PreflightFailure] = []
        self.keys: dict[str, PublicKey] = {}
        self.redo: dict[str, str] = {}
        self.users: dict[str, User] = {}
        # Set once GitHub has answered about the new token, whatever it said.
        self.new_token_checked = anyio.Event()
        self.new_token_rejected = False
        self.done = 0
        self.total = 0

    async def run(self) -> tuple[Preflight, dict[str, str]]:
        new_token = self.options.new_token
        reach = new_token is not None
        # The new token's reach is only worth checking once GitHub knows the token.
        self.total = 1 + (1 if reach else 0) + len(self.to_set) * (2 if reach else 1)
        self.total += len(self.skip)
        async with anyio.create_task_group() as group:
            group.start_soon(self._user, "operator", None)
            if new_token is not None:
                group.start_soon(self._user, "new", new_token)
            for repository in self.to_set:
                group.start_soon(self._key, repository)
                if new_token is not None:
                    group.start_soon(self._reach, repository, new_token)
            for repository, record in self.skip.items():
                group.start_soon(self._verify, repository, record)
        if self.new_token_rejected:
            both = any(f.subject == "the operator credential" for f in self.failures)
            raise InvalidNewTokenError(
                "the new token is not valid: GitHub rejected it (GET /user answered 401)"
                + ("; so was the operator credential" if both else "")
                + "; nothing was written",
                hint="copy the token again from GitHub's token page; it may be expired or revoked"
                + ("; check GH_TOKEN / GITHUB_TOKEN, or run `gh auth login`" if both else ""),
            )
        if self.failures:
            ordered = self._ordered()
            raise PreflightError(
                f"preflight failed for {len(ordered)} of {self.total} checks; nothing was written",
                failures=ordered,
                hint="fix these, then run the same command again",
            )
        new = self.users.get("new")
        preflight = Preflight(
            operator=self.users["operator"].login,
            new_token=None
            if new is None or new_token is None
            else TokenCheck.of(new, token_kind(new_token)),
            keys=self.keys,
        )
        return preflight, self.redo

    def _ordered(self) -> list[PreflightFailure]:
        """Token failures first, then repositories in target order."""
        order = {repo.lower(): i for i, repo in enumerate([*self.to_set, *self.skip])}
        return sorted(self.failures, key=lambda f: order.get(f.subject.lower(), -1))

    def _tick(self) -> None:
        self.done += 1
        if self.options.listener is not None:
            self.options.listener.preflight_checked(self.done, self.total)

    async def _user(self, which: Literal["operator", "new"], token: str | None) -> None:
        try:
            await self._check_user(which, token)
        finally:
            if which == "new":
                self.new_token_checked.set()

    async def _check_user(self, which: Literal["operator", "new"], token: str | None) -> None:
        subject = "the operator credential" if which == "operator" else "the new token"
        async with self.limiter:
            try:
                user = await self.client.get_user(token)
            except AuthenticationError:
                if which == "new":
                    # Said once, after every check: the reach checks are skipped.
                    self.new_token_rejected = True
                    return
                self.failures.append(
                    PreflightFailure(
                        subject,
                        "rejected by GitHub (HTTP 401)",
                        "check GH_TOKEN / GITHUB_TOKEN, or run `gh auth login`",
                    )
                )
                return
            except GitHubError as exc:
                self.failures.append(PreflightFailure(subject, f"GET /user: {describe(exc)}"))
                return
            finally:
                self._tick()
        self.users[which] = user
        if which == "new":
            missing = [
                s for s in REQUIRED_SCOPES if user.scopes is not None and s not in user.scopes
            ]
            if missing:
                has = ", ".join(user.scopes or ()) or "none"
                self.failures.append(
                    PreflightFailure(
                        subject,
                        f"a classic token without the scope{'s' if len(missing) > 1 else ''} "
                        f"{' and '.join(missing)} (it has: {has})",
                        "edit the token on GitHub (Settings > Developer settings > Personal "
                        "access tokens) to add the repo and workflow scopes, or use a "
                        "fine-grained token",
                    )
                )

    async def _key(self, repository: str) -> None:
        async with self.limiter:
            try:
                fetched = await self.client.get_public_key(repository)
                load_public_key(fetched.key)
            except GitHubError as exc:
                self.failures.append(
                    PreflightFailure(repository, f"public key: {describe(exc)}", exc.hint)
                )
            except SealingError as exc:
                self.failures.append(PreflightFailure(repository, f"public key: {exc.message}"))
            else:
                self.keys[repository] = fetched
            finally:
                self._tick()

    async def _reach(self, repository: str, token: str) -> None:
        """The new token must read the repository's workflow runs, as CI will."""
        await self.new_token_checked.wait()
        if "new" not in self.users:  # rejected or unchecked: said once, not per repository
            self._tick()
            return
        async with self.limiter:
            try:
                await self.client.check_runs_readable(repository, token)
            except GitHubError as exc:
                hint = (
                    "the new token needs access to every repository of the graph (a "
                    "fine-grained token created with 'Only select repositories' may miss "
                    "some) and the 'Actions: read' permission"
                )
                if exc.accepted_permissions:
                    hint += f"; GitHub says this request needs: {exc.accepted_permissions}"
                reason = (
                    f"the new token cannot read Actions in this repository ({describe(exc)})"
                    if exc.status in (403, 404)
                    else f"reading Actions with the new token: {describe(exc)}"
                )
                self.failures.append(PreflightFailure(repository, reason, hint))
            finally:
                self._tick()

    async def _verify(self, repository: str, record: TargetRecord) -> None:
        """`--resume` trusts an `updated` record only if GitHub's value is at least as
        recent as that write: a hand-edited or stale journal must not skip a repository.
        One that is written again is checked as any write is: its key, the token's reach."""
        async with self.limiter:
            try:
                found = await self.client.find_secret(repository, self.options.secret)
            except GitHubError as exc:
                reason = f"checking the recorded write: {describe(exc)}"
                self.failures.append(PreflightFailure(repository, reason, exc.hint))
                return
            finally:
                self._tick()
        note = _redo_note(record, found)
        if note is None:
            return
        self.redo[repository] = note
        new_token = self.options.new_token
        self.total += 1 if new_token is None else 2
        await self._key(repository)
        if new_token is not None:
            await self._reach(repository, new_token)


def _redo_note(record: TargetRecord, found: SecretInfo | None) -> str | None:
    """Why an `updated` record must be written again (GitHub's secret `found` is not that
    write), or None when GitHub confirms it."""
    started = _parse(record.started_at)
    updated = None if found is None else _parse(found.updated_at)
    if found is None:
        return "recorded as updated, but GitHub has no such secret: set again"
    if started is None or updated is None:
        return "recorded as updated without a usable time: set again"
    if updated < started - CLOCK_SKEW:
        return (
            f"recorded as updated, but GitHub's value dates from {found.updated_at}, "
            "before that write: set again"
        )
    return None


def _parse(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


class _Changed:
    """A notification any number of waiters can wait for, re-armed after each notify."""

    def __init__(self) -> None:
        self._event = anyio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = anyio.Event()

    async def wait(self) -> None:
        await self._event.wait()


class _Writer:
    """Paced writes in target order (SPEC §4.4 to 4.6): at most `concurrency` in flight, each
    start at least `write_interval` after the previous one, no start after a failure, and
    none while an earlier write is being retried or waits out a rate limit."""

    def __init__(
        self,
        rotation: Rotation,
        client: GitHubClient,
        run: RotationRun,
        keys: Mapping[str, PublicKey],
    ) -> None:
        self.rotation = rotation
        self.client = client
        self.options = rotation.options
        self.run = run
        # A resumed run may spell a name as the graph did then; GitHub ignores case.
        self.keys = {name.lower(): key for name, key in keys.items()}
        self.failure: WriteFailure | None = None
        self.journal_error: JournalError | None = None
        self.troubled: set[str] = set()
        self.changed = _Changed()

    @property
    def stopped(self) -> bool:
        return self.failure is not None or self.journal_error is not None

    def _save(self, record: TargetRecord) -> bool:
        """Journal `record`; if that fails no further write may start (its outcome could
        not be recorded), so remember the error and stop as on a failed write. The run in
        memory takes the record only once it is durable (`save_target` puts it)."""
        try:
            self.options.journal.save_target(self.run, record)
        except JournalError as exc:
            self.journal_error = exc
            self.changed.notify()
            return False
        return True

    async def write_all(self, repositories: Sequence[str]) -> WriteFailure | None:
        limiter = anyio.CapacityLimiter(self.options.concurrency)
        last_start: float | None = None
        total = len(repositories)
        async with anyio.create_task_group() as group:
            for number, repository in enumerate(repositories, start=1):
                # Waiting for a slot, the interval or a troubled write is not "started":
                # check after all three.
                slot = object()  # the limiter's borrower: records are not hashable
                await limiter.acquire_on_behalf_of(slot)
                while not self.stopped:
                    if self.troubled:
                        await self.changed.wait()
                        continue
                    remaining = (
                        0.0
                        if last_start is None
                        else last_start + self.options.write_interval - self.options.monotonic()
                    )
                    if remaining <= 0:
                        break
                    with anyio.move_on_after(remaining):
                        await self.changed.wait()
                if self.stopped:
                    limiter.release_on_behalf_of(slot)
                    break
                last_start = self.options.monotonic()
                record = self.run.target(repository) or TargetRecord.pending(repository)
                # Saved before the request: a crash now leaves "started, not finished",
                # which `ccat pat journal` shows as in flight and `--resume` redoes.
                if not self._save(record.started(iso(self.options.clock()))):
                    limiter.release_on_behalf_of(slot)
                    break
                self.rotation.writes_started += 1
                if self.options.listener is not None:
                    self.options.listener.write_started(repository, number, total)
                group.start_soon(self._write, repository, limiter, slot)
        if self.journal_error is not None:
            # Raised outside the task group, so the CLI sees a JournalError, not a group.
            raise JournalError(
                f"{self.journal_error.message}; the rotation stopped there",
                hint="the journal on disk is still true (it never claims an unconfirmed "
                "write); fix the disk problem, then run `ccat pat rotate --resume` with the "
                "same token",
            ) from self.journal_error
        return self.failure

    async def _write(self, repository: str, limiter: anyio.CapacityLimiter, slot: object) -> None:
        key = self.keys[repository.lower()]
        token = self.options.new_token
        assert token is not None

        def setback() -> None:
            self.troubled.add(repository)
            self.changed.notify()

        record = self.run.target(repository)
        assert record is not None
        try:
            try:
                status = await self.client.put_secret(
                    repository,
                    self.options.secret,
                    seal(token, key.key),
                    key.key_id,
                    on_setback=setback,
                )
            except GitHubError as exc:
                record = record.failed(exc.status, exc.detail, iso(self.options.clock()))
                if self.failure is None:
                    self.failure = WriteFailure(record, exc.hint)
            else:
                record = record.succeeded(status, iso(self.options.clock()))
            # Journal first, then report. The save is synchronous: no cancellation can
            # land between the answer and the save, so a known outcome is never lost.
            if self._save(record) and self.options.listener is not None:
                self.options.listener.write_finished(record)
        finally:
            self.troubled.discard(repository)
            self.changed.notify()
            limiter.release_on_behalf_of(slot)


async def run_rotation(
    options: RotateOptions, confirm: Callable[[Plan], bool] | None = None
) -> RotationOutcome:
    """A whole rotation in one event loop, under the journal lock (a dry run takes none):
    prepare, ask `confirm` (None: do not ask), execute. The CLI runs the phases itself so
    that the question is asked outside the event loop."""
    lock: AbstractContextManager[None] = (
        nullcontext() if options.dry_run else options.journal.lock()
    )
    with lock:
        rotation = Rotation(options, options.journal.load())
        plan = await rotation.prepare()
        if options.dry_run:
            return RotationOutcome(plan, None, dry_run=True)
        if confirm is not None and not confirm(plan):
            return RotationOutcome(plan, None, declined=True)
        return await rotation.execute(plan)
