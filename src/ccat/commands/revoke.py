"""`ccat pat revoke`: retire the previous token once nothing uses it (SPEC §11).

In order, each step before anything that could revoke:

1. the inputs (graph, API, the operator credential: exit 4 without one) and, unless
   `--yes`, the terminal to ask on (exit 2 without one);
2. the journal's lock (no rotation meanwhile), then the token: a hidden prompt or one
   line of standard input, never argv;
3. refused with exit 2: the operator credential, the newest rotation's token (the one
   in place), a GitHub App installation token;
4. every copy of the graph checked with the operator credential (the status engine),
   the token asked of GitHub (`GET /user` with it), the journal read: refused with
   exit 1, naming the copies, while any does not hold the newest completed rotation's
   token or a rotation is unfinished — `--force` overrides only this;
5. what the journal knows of the token, then `[y/N]` on the terminal (or `--yes`);
6. `POST /credentials/revoke` without any Authorization header; 202: recorded in the
   journal (fingerprint, time, login) and said on stdout.

Where things go: the result (revoked, or refused and why) on stdout; what was found on
the way, and errors, on stderr; the question on the terminal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from ccat.commands.credentials import TokenPrompt, gh_hostname, read_token
from ccat.commands.inputs import Connection, resolve_connection
from ccat.commands.prompts import confirm, end_line
from ccat.commands.signals import Interrupted, SignalGate
from ccat.commands.status import check_secrets
from ccat.commands.status_journal import refuse_times_after
from ccat.commands.terminal import Terminal
from ccat.options import RevokeArgs
from ccat.pat.errors import CcatError, JournalError, UsageError, credential_rejected
from ccat.pat.journal import (
    Fingerprint,
    Journal,
    JournalDocument,
    Revocation,
    RotationRun,
    iso,
    token_kind,
)
from ccat.pat.revocation import (
    known_token,
    refuse_in_place,
    refuse_unrevocable,
    revocation_blockers,
)
from ccat.pat.status import assess, find_unfinished, relevant_runs
from ccat.pat.verification import TokenVerdict, check_token
from ccat.render.progress import ClientNotices
from ccat.render.revoke import (
    QUESTION,
    already_rejected_lines,
    blocked_report,
    clear_line,
    knowledge_lines,
    revoked_lines,
)
from ccat.render.text import plural, shown

EXIT_OK, EXIT_REFUSED, EXIT_NOTHING_DONE = 0, 1, 2


class _RevokeCommand:
    """One `ccat pat revoke`, step by step (see the module docstring)."""

    def __init__(self, args: RevokeArgs, terminal: Terminal) -> None:
        self.args = args
        self.terminal = terminal
        self.tty: TextIO | None = None
        self.asking = False
        self.sent = False  # the revocation went out: a signal now leaves it unknown

    def run(self) -> int:
        with SignalGate.installed() as gate:
            try:
                return self._run(gate)
            except CcatError as exc:
                return self.terminal.fail(exc)
            except Interrupted as interrupted:
                if self.asking:
                    end_line(self.tty)
                done = (
                    "whether GitHub received the revocation is unknown (`ccat pat verify "
                    "--token-env NAME` with it in NAME tells); nothing was recorded"
                    if self.sent
                    else "nothing was revoked"
                )
                self.terminal.err.print(f"[red]{interrupted.name}: revoke stopped; {done}[/]")
                return interrupted.exit_code
            finally:
                if self.tty is not None:
                    self.tty.close()

    def _run(self, gate: SignalGate) -> int:
        args, terminal, err = self.args, self.terminal, self.terminal.err
        connection = resolve_connection(args.connection, terminal.env)
        for warning in connection.graph.warnings:
            err.print(f"[yellow]warning:[/] {shown(warning)}")
        count = plural(len(connection.graph.targets), "repository", "repositories")
        err.print(
            f"Operator credential from {shown(connection.credential_source)}; {count} of "
            f"{shown(str(connection.graph.path))} at {shown(connection.settings.api_url)}"
        )
        if not args.yes:
            self.tty = terminal.open_tty()
            if self.tty is None:
                raise UsageError(
                    "no terminal to confirm the revocation on, and no --yes; nothing was revoked",
                    hint="run it in a terminal to answer [y/N], or pass --yes where it runs "
                    "unattended, e.g. `pass show ci/gh-pat-old | ccat pat revoke --yes`",
                )
        journal = Journal.at(args.journal, terminal.env)
        with journal.lock():
            document = journal.load()
            runs = self._runs(document, connection, str(journal.path))
            token = read_token(
                TokenPrompt(
                    prompt="Paste the token to revoke: ",
                    what="the token to revoke",
                    consequence="nothing was revoked",
                    example="pass show ci/gh-pat-old | ccat pat revoke",
                    paste="paste it",
                ),
                stdin=terminal.stdin,
            )
            assert token is not None  # not allow_empty
            refuse_unrevocable(token)
            refuse_in_place(token, connection.settings.token, connection.credential_source, runs)
            return self._check_and_revoke(gate, connection, journal, document, runs, token)

    def _runs(
        self, document: JournalDocument, connection: Connection, path: str
    ) -> list[RotationRun]:
        """The journal's runs of this secret, organisation and API, newest first; a
        journal that records a time after now is not believed (as in status)."""
        newest_first = [*([document.current] if document.current else []), *document.history[::-1]]
        refuse_times_after(newest_first, datetime.now(UTC), path)
        return relevant_runs(
            newest_first,
            secret=connection.secret,
            org=connection.graph.org,
            api_url=connection.settings.api_url,
        )

    def _check_and_revoke(
        self,
        gate: SignalGate,
        connection: Connection,
        journal: Journal,
        document: JournalDocument,
        runs: list[RotationRun],
        token: str,
    ) -> int:
        args, terminal, err, out = self.args, self.terminal, self.terminal.err, self.terminal.out
        report = check_secrets(connection, terminal, gate, args.connection.concurrency)
        if report.results and all(r.credential_rejected for r in report.results):
            raise credential_rejected(
                connection.credential_source,
                gh_hostname(connection.settings.api_url),
                "no copy could be checked; nothing was revoked",
            )
        notices = ClientNotices(err, debug=connection.debug)

        async def identities() -> tuple[TokenVerdict, str | None]:
            async with connection.client_factory(notices) as client:
                verdict = await check_token(client, token_kind(token), token)
                operator = await check_token(client, "other")
            return verdict, operator.login

        verdict, operator = gate.run(identities)
        older = relevant_runs(
            document.older_runs,
            secret=connection.secret,
            org=connection.graph.org,
            api_url=connection.settings.api_url,
        )
        now = datetime.now(UTC)
        unfinished = find_unfinished(runs, older, holder=None, report=report)
        outlook = assess(report, runs, now, unfinished=unfinished)
        blockers = revocation_blockers(report, outlook)
        known = known_token(token, runs, document)
        for line in knowledge_lines(known, verdict, token_kind(token)):
            err.print(line)
        if verdict.state == "rejected":
            for line in already_rejected_lines(verdict):
                out.print(line)
            return EXIT_OK
        if blockers:
            for part in blocked_report(blockers, forced=args.force):
                (err if args.force else out).print(part)
            if not args.force:
                return EXIT_REFUSED
        else:
            err.print(clear_line(outlook))
        if not args.yes:
            assert self.tty is not None  # found before the lock, or the command ended there
            self.asking = True
            answer = confirm(self.tty, [], QUESTION)
            self.asking = False
            if not answer:
                out.print("Not revoked: not confirmed. Nothing was sent to GitHub.")
                return EXIT_NOTHING_DONE

        async def revoke() -> None:
            async with connection.client_factory(notices) as client:
                self.sent = True
                await client.revoke_credentials([token])

        gate.run(revoke)
        gate.hold()
        run = known.run
        revocation = Revocation(
            revoked_at=iso(now),
            secret=connection.secret,
            org=connection.graph.org,
            api_url=connection.settings.api_url,
            fingerprint=Fingerprint.of(token),
            login=verdict.login or (None if run is None else run.token.login),
            kind=token_kind(token),
            run_id=None if run is None else run.run_id,
            operator=operator,
            forced=bool(blockers),
        )
        document.record_revocation(revocation)
        try:
            journal.save(document)
        except JournalError as exc:
            err.print(
                f"[bold red]error:[/] GitHub accepted the revocation (HTTP 202), but the "
                f"journal could not record it: {shown(exc.message)}"
            )
            return EXIT_REFUSED
        for line in revoked_lines(revocation, str(journal.path)):
            out.print(line)
        return EXIT_OK


def run_revoke_command(args: RevokeArgs, terminal: Terminal | None = None) -> int:
    """Run `ccat pat revoke`; returns the exit code."""
    return _RevokeCommand(args, terminal or Terminal.current()).run()
