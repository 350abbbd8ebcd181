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

import anyio

from ccat.pat.api_url import same_api
from ccat.pat.errors import (
    InvalidNewTokenError,
    JournalError,
    NothingToResumeError,
    TokenMismatchError,
    UsageError,
)
from ccat.pat.journal import (
    Fingerprint,
    GraphFile,
    Journal,
    JournalDocument,
    RotationRun,
    RunState,
    TargetRecord,
    TokenInfo,
    new_run_id,
    token_kind,
)
from ccat.pat.rotation.plan import (
    Plan,
    PlanItem,
    Preflight,
    RotateListener,
    RotateOptions,
    RotationOutcome,
    TokenCheck,
    WriteFailure,
)
from ccat.pat.rotation.preflight import run_preflight
from ccat.pat.rotation.writes import Writer
from ccat.pat.times import iso

__all__ = [
    "Plan",
    "PlanItem",
    "Preflight",
    "RotateListener",
    "RotateOptions",
    "Rotation",
    "RotationOutcome",
    "TokenCheck",
    "WriteFailure",
    "refuse_operator_credential",
    "resumable_run",
]


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
        # The outcome once the journal records the run as finished (completed, stopped),
        # also when a cancellation came as the last write ended.
        self.outcome: RotationOutcome | None = None
        self._writer: Writer | None = None
        self._journal_error: JournalError | None = None
        self._previous = document.current
        self._skip = _resume_skip(options, document) if options.resume else {}
        selection = options.selection
        self._selected = None if selection is None else {repo.lower() for repo in selection}

    @property
    def writes_started(self) -> int:
        """How many writes have been started (journaled as started) so far."""
        return 0 if self._writer is None else self._writer.started

    # -- phase 1: plan and preflight ---------------------------------------------

    async def prepare(self) -> Plan:
        """Check both tokens, every key, the new token's reach and every skipped
        target's value, concurrently; no write. Raises for anything that fails."""
        repositories = [target.full_name for target in self.options.graph.targets]
        chosen = self._chosen
        previous = self._previous
        if not self.options.resume:
            # A new run's targets are the selection; a resumed run keeps all of its own.
            repositories = [repo for repo in repositories if chosen(repo)]
        elif previous is not None and previous.selection is not None:
            # A run that was itself a selection stays one: the graph's other repositories
            # do not join it when it is resumed.
            own = {repo.lower() for repo in previous.selection}
            repositories = [repo for repo in repositories if repo.lower() in own]
        outside = sorted(set(self._selected or ()) - {repo.lower() for repo in repositories})
        if outside:
            raise UsageError(
                f"--repo {', '.join(outside)}: not a target of the unfinished run "
                f"{previous.run_id if previous else ''}, which selected "
                f"{', '.join(previous.selection or ()) if previous else ''}; nothing was written",
                hint="resume without that --repo, or start a new rotation for it",
            )
        skip = [repo for repo in repositories if repo.lower() in self._skip and chosen(repo)]
        to_set = [repo for repo in repositories if repo.lower() not in self._skip and chosen(repo)]
        async with self.options.connect() as client:
            skipped = {repo: self._skip[repo.lower()] for repo in skip}
            preflight, redo = await run_preflight(self.options, client, to_set, skipped)
        notes = {repo.lower(): note for repo, note in redo.items()}
        items = tuple(
            PlanItem(repo, "skip", "not selected (--repo)")
            if not chosen(repo)
            else PlanItem(repo, "set", notes.get(repo.lower()))
            if repo.lower() not in self._skip or repo.lower() in notes
            else PlanItem(repo, "skip", "already updated by this run")
            for repo in repositories
        )
        return Plan(items, preflight)

    def _chosen(self, repository: str) -> bool:
        """Whether `--repo` selected `repository` (every one, without `--repo`)."""
        return self._selected is None or repository.lower() in self._selected

    # -- phase 2: the writes -----------------------------------------------------

    async def execute(self, plan: Plan) -> RotationOutcome:
        """Begin (or take up) the run in the journal, then write in target order.

        Cancelled (a signal), the run is journaled `interrupted` before the cancellation
        goes on; a write in flight stays "started, not finished" (`--resume` redoes it).
        Once a write has started, a journal that cannot be written ends the writes and
        the outcome says so (`journal_error`), as known in memory; before that, it is a
        `JournalError` (nothing was written). Any other error is recorded `stopped` as
        far as the journal allows and goes on: `run` is then the truth.
        """
        if self.options.dry_run or self.options.new_token is None:
            return RotationOutcome(plan, None, dry_run=True)
        run, unfinished, dropped = self._begin(plan)
        self.run = run

        def end(state: RunState, failure: WriteFailure | None) -> RotationOutcome:
            self.outcome = self._end(plan, run, state, unfinished, dropped, failure)
            return self.outcome

        try:
            async with self.options.connect() as client:
                self._writer = Writer(self.options, client, run, plan.preflight.keys)
                failure = await self._writer.write_all(plan.to_set)
        except anyio.get_cancelled_exc_class():
            # Synchronous, so nothing can cancel it half-way: the journal tells the truth.
            # A run whose every write was done is complete, whenever the signal came.
            if self._all_updated(run):
                end("completed", None)
            else:
                self._record(run, "interrupted")
            raise
        except Exception:
            self._record(run, "stopped")
            raise
        outcome = end("completed" if self._all_updated(run) else "stopped", failure)
        error = self.journal_error
        if error is None:
            return outcome
        if self.writes_started == 0:
            raise JournalError(
                f"{error.message}; the rotation stopped before its first write; nothing "
                "was written",
                hint="fix the disk problem, then run the same command again",
            ) from error
        return outcome  # `journal_error` says it; the lists are exact from memory

    @property
    def failure(self) -> WriteFailure | None:
        """The write that failed first, if one did."""
        return None if self._writer is None else self._writer.failure

    @property
    def unjournaled(self) -> tuple[str, ...]:
        """Repositories whose known outcome the journal could not take."""
        return () if self._writer is None else tuple(self._writer.unjournaled)

    @property
    def journal_error(self) -> JournalError | None:
        """The first journal save that failed during the writes or at their end."""
        during = None if self._writer is None else self._writer.journal_error
        return during or self._journal_error

    @staticmethod
    def _all_updated(run: RotationRun) -> bool:
        return all(t.state == "updated" for t in run.targets)

    def _record(self, run: RotationRun, state: RunState) -> None:
        """End the run in `state`, in memory and, as far as it can be written, on disk."""
        run.finish(state, iso(self.options.clock()))
        try:
            self.options.journal.save(self.document)
        except JournalError as exc:
            self._journal_error = self._journal_error or exc

    def _end(
        self,
        plan: Plan,
        run: RotationRun,
        state: RunState,
        unfinished: RotationRun | None,
        dropped: tuple[str, ...],
        failure: WriteFailure | None,
    ) -> RotationOutcome:
        self._record(run, state)
        error = self.journal_error
        return RotationOutcome(
            plan,
            run,
            previous_unfinished=unfinished,
            dropped=dropped,
            failure=failure,
            selection=self.options.selection,
            journal_error=None if error is None else error.message,
            unjournaled=self.unjournaled,
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
            selection=None if options.selection is None else list(options.selection),
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


def resumable_run(document: JournalDocument, journal: Journal) -> RotationRun:
    """The run `--resume` would continue; `NothingToResumeError` when there is none (the
    CLI asks before reading the token)."""
    run = document.current
    if run is None or run.state == "completed":
        raise NothingToResumeError(
            f"no unfinished rotation to resume in {journal.path}",
            hint="run `ccat pat rotate` (without --resume) to start a new rotation",
        )
    return run


def _resume_skip(options: RotateOptions, document: JournalDocument) -> dict[str, TargetRecord]:
    """The records `--resume` may skip (lower-cased name -> record); refuse what cannot resume."""
    previous = resumable_run(document, options.journal)
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
        or not same_api(previous.api_url, options.api_url)
    ):
        raise UsageError(
            f"the unfinished rotation is for {previous.secret} in {previous.org} at "
            f"{previous.api_url}, not {options.secret} in {options.graph.org} at "
            f"{options.api_url}; nothing was written",
            hint="resume with the same --secret, --org and --api-url, or start a new rotation",
        )
    return {t.repository.lower(): t for t in previous.targets if t.state == "updated"}
