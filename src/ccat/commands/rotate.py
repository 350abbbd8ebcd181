"""`ccat pat rotate`: read the new token, prove it, ask, write, report.

The phases run separately so that the question is asked outside any event loop, where
Ctrl-C simply ends the command with the journal untouched; during the writes a signal is
turned into an `interrupted` run in the journal and an exact report (exit 130/143/129).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TextIO

from ccat.commands.credentials import read_new_token
from ccat.commands.inputs import Connection, resolve_connection
from ccat.commands.prompts import confirm, end_line
from ccat.commands.signals import Interrupted, SignalGate, signal_name
from ccat.commands.terminal import Terminal
from ccat.options import RotateArgs
from ccat.pat.errors import CcatError, UsageError
from ccat.pat.journal import Journal, JournalDocument
from ccat.pat.rotation import (
    Plan,
    RotateOptions,
    Rotation,
    RotationOutcome,
    refuse_operator_credential,
    resumable_run,
)
from ccat.render.progress import ClientNotices, RotationProgress
from ccat.render.rotation import (
    dry_run_lines,
    interrupted_report,
    outcome_json,
    outcome_report,
    plan_table,
    preflight_lines,
    write_line,
)
from ccat.render.text import plural, shown
from ccat.render.unfinished import new_rotation_notice

EXIT_OK, EXIT_FAILED, EXIT_NOTHING_WRITTEN = 0, 1, 2


@dataclass(eq=False)  # one command, compared by identity
class _RotateCommand:
    """One `ccat pat rotate`: what it has learnt so far, for the report of an interruption."""

    args: RotateArgs
    terminal: Terminal
    journal: Journal | None = None
    rotation: Rotation | None = None
    connection: Connection | None = None
    plan: Plan | None = None
    gate: SignalGate = field(default_factory=SignalGate)
    tty: TextIO | None = None  # where the question is asked
    asking: bool = False

    def run(self) -> int:
        with SignalGate.installed() as self.gate, self._closing_tty():
            try:
                return self._run()
            except CcatError as exc:
                return self.terminal.fail(exc)
            except Interrupted as interrupted:
                return self._interrupted(interrupted)
            except Exception as exc:
                if not self._wrote():
                    raise  # a bug before any write: its traceback (never with locals)
                return self._unexpected(exc)

    @contextmanager
    def _closing_tty(self) -> Iterator[None]:
        try:
            yield
        finally:
            if self.tty is not None:
                self.tty.close()

    def _wrote(self) -> bool:
        """Whether a write has started: from then on every way out reports the lists."""
        return self.rotation is not None and self.rotation.writes_started > 0

    def _interrupted(self, interrupted: Interrupted) -> int:
        if self.asking:  # Ctrl-C at the question: the answer's line is still open
            end_line(self.tty)
        rotation = self.rotation
        if rotation is not None and rotation.outcome is not None:
            # The signal came as the last write ended: the run is recorded as finished,
            # and that is what is said.
            self.gate.hold()
            return self._finished(rotation.outcome)
        run = None if rotation is None else rotation.run
        started = 0 if rotation is None else rotation.writes_started
        path = "" if self.journal is None else str(self.journal.path)
        error = None if rotation is None else rotation.journal_error
        if self.args.json and rotation is not None and run is not None and started > 0:
            assert self.connection is not None
            outcome = self._from_memory(rotation, interrupted=interrupted.name)
            self.terminal.print_raw(
                outcome_json(outcome, path, self.connection.secret, self.connection.graph.org)
            )
        lines = interrupted_report(
            run,
            started,
            interrupted.name,
            path,
            None if error is None else error.message,
            () if rotation is None else rotation.unjournaled,
        )
        for line in lines:
            self.terminal.err.print(line)
        return interrupted.exit_code

    def _unexpected(self, exc: Exception) -> int:
        """An error nobody expected, after the first write: the lists from memory, exit 1."""
        rotation = self.rotation
        assert rotation is not None
        cause: BaseException = exc
        while isinstance(cause, BaseExceptionGroup):  # raised in a write's task
            cause = cause.exceptions[0]
        what = type(cause).__name__
        self.terminal.err.print(
            f"[bold red]error:[/] unexpected {shown(what)} during the writes; the run is "
            "recorded stopped as far as the journal could take it"
        )
        return self._finished(self._from_memory(rotation, error=f"unexpected {what}"))

    def _from_memory(
        self, rotation: Rotation, *, interrupted: str | None = None, error: str | None = None
    ) -> RotationOutcome:
        """The outcome of a run that ended without one from the engine."""
        assert self.plan is not None
        journal_error = rotation.journal_error
        return RotationOutcome(
            self.plan,
            rotation.run,
            failure=rotation.failure,
            journal_error=None if journal_error is None else journal_error.message,
            unjournaled=rotation.unjournaled,
            interrupted=interrupted,
            error=error,
        )

    def _run(self) -> int:
        args, err = self.args, self.terminal.err
        self.connection = connection = resolve_connection(args.connection, self.terminal.env)
        for warning in connection.graph.warnings:
            err.print(f"[yellow]warning:[/] {shown(warning)}")
        self.journal = journal = Journal.at(args.journal, self.terminal.env)
        count = plural(len(connection.graph.targets), "repository", "repositories")
        if connection.selection is not None:
            count = f"{len(connection.selection)} of {count} (--repo)"
        err.print(
            f"Operator credential from {shown(connection.credential_source)}; {count} "
            f"of {shown(str(connection.graph.path))} at {shown(connection.settings.api_url)}"
        )
        if not args.dry_run and not args.yes:
            # No write without a yes, asked on the terminal: find it before anything else.
            self.tty = self.terminal.open_tty()
            if self.tty is None:
                raise UsageError(
                    "no terminal to confirm the rotation on, and no --yes; nothing was written",
                    hint="run it in a terminal to see the plan and answer [y/N], or pass "
                    "--yes where it runs unattended, e.g. `pass show ci/gh-pat | ccat pat "
                    "rotate --yes`",
                )
        # The lock before the token: a second rotation is refused before anyone pastes.
        lock: AbstractContextManager[None] = nullcontext() if args.dry_run else journal.lock()
        with lock:
            document = journal.load()
            if args.resume:
                resumable_run(document, journal)
            else:
                self._say_unfinished(document, locked=not args.dry_run)
            token = read_new_token(
                connection.secret, allow_empty=args.dry_run, stdin=self.terminal.stdin
            )
            if token is not None:
                refuse_operator_credential(
                    token, connection.settings.token, connection.credential_source
                )
            progress = RotationProgress(err, write_line, interval=args.write_interval)
            options = _options(args, connection, journal, token, progress)
            self.rotation = rotation = Rotation(options, document)
            try:
                self.plan = plan = self.gate.run(rotation.prepare)
            finally:
                progress.close()
            outcome = self._ask(plan, connection.secret)
            if outcome is None:
                try:
                    # Once the engine returns, the run is recorded completed or stopped: a
                    # signal from now on changes nothing that is said (the gate holds).
                    outcome = self.gate.run(lambda: rotation.execute(plan), result_stands=True)
                finally:
                    progress.close()
        return self._finished(outcome)

    def _say_unfinished(self, document: JournalDocument, *, locked: bool) -> None:
        """Before the token and the question: a new rotation leaves an unfinished one
        behind (two tokens in use until one of them covers every repository)."""
        assert self.connection is not None and self.journal is not None
        holder = None if locked else self.journal.holder()
        for line in new_rotation_notice(
            document,
            secret=self.connection.secret,
            org=self.connection.graph.org,
            api_url=self.connection.settings.api_url,
            holder=None if holder is None else holder.describe(),
        ):
            self.terminal.err.print(line)

    def _finished(self, outcome: RotationOutcome) -> int:
        """Report an outcome (the journal's final one, or one from memory when the
        journal failed; a dry run, a declined plan) and return its exit code."""
        assert self.connection is not None
        # `--resume --repo`: every selected repository written is what was asked, though
        # the run keeps others for later (the report says it is still unfinished).
        code = (
            EXIT_OK
            if outcome.completed or outcome.dry_run or outcome.selection_updated
            else EXIT_NOTHING_WRITTEN
            if outcome.declined
            else EXIT_FAILED
        )
        _report(self.args, self.terminal, outcome, self.journal, self.connection)
        if self.gate.first is not None and outcome.run is not None:
            self.terminal.err.print(
                f"[dim]{signal_name(self.gate.first)} came after the run was recorded "
                f"{shown(outcome.run.state)}; it changed nothing.[/]"
            )
        return code

    def _ask(self, plan: Plan, secret: str) -> RotationOutcome | None:
        """The outcome without writing (a dry run, a declined plan), else None: go on."""
        if self.args.dry_run:
            return RotationOutcome(plan, None, dry_run=True)
        for line in preflight_lines(plan, warn_days=self.args.warn_days):
            self.terminal.err.print(line)
        if self.args.yes:
            return None
        assert self.tty is not None  # found before the lock, or the command ended there
        question = f"Rotate {secret} in {plural(len(plan.to_set), 'repository', 'repositories')}?"
        self.asking = True
        answer = confirm(self.tty, [plan_table(plan, secret)], question)
        self.asking = False
        return None if answer else RotationOutcome(plan, None, declined=True)


def run_rotate_command(args: RotateArgs, terminal: Terminal | None = None) -> int:
    """Run `ccat pat rotate`; returns the exit code."""
    return _RotateCommand(args, terminal or Terminal.current()).run()


def _options(
    args: RotateArgs,
    connection: Connection,
    journal: Journal,
    token: str | None,
    progress: RotationProgress,
) -> RotateOptions:
    notices = ClientNotices(progress.console, debug=connection.debug, on_wait=progress.waiting)
    return RotateOptions(
        connect=lambda: connection.client_factory(notices),
        journal=journal,
        graph=connection.graph,
        secret=connection.secret,
        api_url=connection.settings.api_url,
        operator_token=connection.settings.token,
        new_token=token,
        operator_source=connection.credential_source,
        concurrency=args.connection.concurrency,
        write_interval=args.write_interval,
        resume=args.resume,
        dry_run=args.dry_run,
        selection=connection.selection,
        listener=progress,
    )


def _report(
    args: RotateArgs,
    terminal: Terminal,
    outcome: RotationOutcome,
    journal: Journal | None,
    connection: Connection,
) -> None:
    path = "" if journal is None else str(journal.path)
    secret = connection.secret
    if args.json:
        terminal.print_raw(outcome_json(outcome, path, secret, connection.graph.org))
    human = terminal.err if args.json else terminal.out
    if outcome.run is None:
        # A dry run's result is the plan; a declined one was just shown with the question.
        if outcome.dry_run and not args.json:
            for line in preflight_lines(outcome.plan, warn_days=args.warn_days):
                human.print(line)
            human.print(plan_table(outcome.plan, secret))
        for line in dry_run_lines(outcome):
            human.print(line)
        return
    for repository in outcome.dropped:
        terminal.err.print(
            f"[yellow]note:[/] {shown(repository)} left the graph; dropped from the run"
        )
    for line in outcome_report(outcome, path):
        human.print(line)
