"""`ccat pat status`: check every repository, warn of what breaks next, exit for CI.

Exit codes (SPEC §3, §12): 0 present everywhere (warnings do not fail unless --strict);
1 missing somewhere, or with --strict any warning; 3 none known missing but some
repository could not be checked; 2 usage or configuration, or a journal that cannot be
believed (`status_journal`); 4 the operator credential is missing or rejected (said
once); 130/143/129 stopped by a signal during the checks.

Where things go: the report (table and footer, JSON or Markdown) on stdout; on stderr
the graph's warnings, a journal that cannot be read, the hint of exit code 3 and, when
stdout is JSON or Markdown (for a program or a file), one line per kind of warning, so
that the person who ran it still sees them. Under GitHub Actions the workflow commands
follow the table on stdout — but go to stderr when stdout is JSON or Markdown, which
must stay parseable (the runner reads commands from both) — and the Markdown report is
appended to the step summary.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from ccat.commands.credentials import gh_hostname
from ccat.commands.inputs import Connection, resolve_connection
from ccat.commands.signals import Interrupted, SignalGate
from ccat.commands.status_journal import read_status_journal
from ccat.commands.step_summary import to_github_actions
from ccat.commands.terminal import Terminal
from ccat.options import OutputFormat, StatusArgs
from ccat.pat.errors import CcatError, credential_rejected
from ccat.pat.status import Outlook, StatusOptions, StatusReport, assess, run_status
from ccat.render.progress import check_progress
from ccat.render.status import check_hint, status_json, status_screen, stderr_lines
from ccat.render.status_ci import status_markdown, step_summary, workflow_commands
from ccat.render.text import plural, shown

EXIT_OK, EXIT_MISSING, EXIT_UNCHECKED, EXIT_CREDENTIAL = 0, 1, 3, 4


def exit_code(report: StatusReport, outlook: Outlook, *, strict: bool) -> int:
    """SPEC §3, §10 and §12: a rejected operator credential is 4; missing (or, strict, a
    warning) is 1, otherwise unchecked is 3 — a store that could not be read counts
    when `--stores` named it, or with `--strict` — else 0."""
    if any(result.credential_rejected for result in report.results):
        return EXIT_CREDENTIAL
    if report.count("missing") or (strict and outlook.count):
        return EXIT_MISSING
    if report.count("error"):
        return EXIT_UNCHECKED
    if report.unchecked_copies and (report.stores.explicit or strict):
        return EXIT_UNCHECKED
    return EXIT_OK


def run_status_command(args: StatusArgs, terminal: Terminal | None = None) -> int:
    """Run `ccat pat status`; returns the exit code (130/143/129 when a signal stops the
    checks; once they are done, the report is printed whole whatever signal comes)."""
    with SignalGate.installed() as gate:
        return _run_status(args, terminal or Terminal.current(), gate)


def _run_status(args: StatusArgs, terminal: Terminal, gate: SignalGate) -> int:
    err = terminal.err
    try:
        connection = resolve_connection(args.connection, terminal.env)
        where = connection.where()
        if where is not None:
            err.print(shown(where))
        for warning in connection.graph.warnings:
            err.print(f"[yellow]warning:[/] {shown(warning)}")
        journal = read_status_journal(
            args.journal,
            terminal.env,
            secret=connection.secret,
            org=connection.graph.org,
            api_url=connection.settings.api_url,
            now=datetime.now(UTC),
        )
        report = check_secrets(connection, terminal, gate, args.connection.concurrency)
        if report.results and all(r.credential_rejected for r in report.results):
            # One cause, said once (exit 4), not a table of 401 rows.
            raise credential_rejected(
                connection.credential_source,
                gh_hostname(connection.settings.api_url),
                f"none of the {len(report.results)} repositories could be checked",
            )
    except CcatError as exc:
        return terminal.fail(exc)
    except Interrupted as interrupted:
        return terminal.stopped(interrupted, "status")
    gate.hold()
    outlook = assess(
        report,
        journal.runs,
        datetime.now(UTC),
        warn_days=args.warn_days,
        max_age=args.max_age,
        unfinished=journal.unfinished(report),
    )
    unsaid = connection.selection is not None and outlook.safe_to_revoke is not None
    if unsaid:
        # The warnings reason about the whole graph: repositories that were not checked
        # may still hold the previous token, so the selection alone proves nothing.
        outlook = replace(outlook, safe_to_revoke=None)
    terminal.print_report(
        args.output,
        lambda: status_json(report, outlook),
        lambda: status_markdown(report, outlook),
        lambda width: status_screen(report, outlook, width),
    )
    if unsaid:
        err.print(
            f"note: only {plural(len(report.results), 'repository', 'repositories')} of "
            f"{len(connection.graph.targets)} checked (--repo): whether the previous token "
            "may be revoked is said only when every repository of the graph is checked"
        )
    to_github_actions(
        terminal,
        lambda: workflow_commands(report, outlook),
        lambda room: step_summary(report, outlook, room),
        machine=args.output is not OutputFormat.TABLE,
    )
    code = exit_code(report, outlook, strict=args.strict)
    if code == EXIT_UNCHECKED or any(r.credential_rejected for r in report.results):
        hint = check_hint(report, connection.credential_source)
        if hint:
            err.print(f"[dim]hint:[/] {shown(hint)}")
    if args.output is not OutputFormat.TABLE:
        # The table's footer already says it all; JSON and Markdown are for a program or
        # a file, so the person who ran the command hears of the warnings here.
        for line in stderr_lines(report, outlook, err.width):
            err.print(line)
    return code


def check_secrets(
    connection: Connection, terminal: Terminal, gate: SignalGate, concurrency: int
) -> StatusReport:
    """Run the status engine with progress on a terminal and notices on stderr (`revoke`
    checks every copy this way too)."""
    repositories = connection.repositories
    live = check_progress(terminal.err, len(repositories), debug=connection.debug)
    with live as (progress, notices):
        options = StatusOptions(
            connect=lambda: connection.client_factory(notices),
            repositories=repositories,
            secret=connection.secret,
            org=connection.graph.org,
            concurrency=concurrency,
            listener=progress,
            stores=connection.stores,
        )
        return gate.run(lambda: run_status(options))
