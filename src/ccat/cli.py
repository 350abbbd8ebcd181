"""The `ccat` command line: parse, call the engines, render, map errors to exit codes.

This is the only module (with `render.py`) that prints or exits. Tokens never come
from argv: the operator credential comes from the environment or `gh auth token`, the
new token from a hidden prompt or standard input.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console
from rich.markup import escape

from ccat import __version__
from ccat.options import (
    DEFAULT_SECRET,
    ApiUrlOption,
    ConcurrencyOption,
    Connection,
    DebugOption,
    GraphOption,
    JournalOption,
    JsonOption,
    MaxWaitOption,
    OrgOption,
    SecretOption,
    TimeoutOption,
    connect,
    read_token,
)
from ccat.pat.errors import (
    CcatError,
    JournalError,
    PreflightError,
)
from ccat.pat.github import GitHubClient, open_client
from ccat.pat.graph import DEFAULT_GRAPH_PATH, load_graph
from ccat.pat.journal import Journal, TargetRecord, default_journal_path
from ccat.pat.render import (
    ClientNotices,
    journal_header,
    journal_targets,
    outcome_report,
    plan_table,
    preflight_lines,
    resume_forecast,
    status_json,
    status_progress,
    status_summary,
    status_table,
)
from ccat.pat.rotate import PlanItem, Preflight, RotateOptions, RotationOutcome, run_rotation
from ccat.pat.status import StatusOptions, StatusReport, run_status

app = typer.Typer(
    help="ccat: keep one CI secret right across a whole GitHub organisation.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    # A traceback must never show local variables: one of them could be a token.
    pretty_exceptions_show_locals=False,
)
pat_app = typer.Typer(
    help=(
        "Check and rotate the GitHub Actions secret GH_PAT in every repository of "
        "ci/dependency-graph.yml.\n\n"
        "The operator credential (which reads and writes the secrets) comes from GH_TOKEN, "
        "GITHUB_TOKEN or `gh auth token`; no option ever takes a token."
    ),
    no_args_is_help=True,
)
app.add_typer(pat_app, name="pat")


def _consoles() -> tuple[Console, Console]:
    # Built per command so that a test runner's replaced streams are honoured.
    return Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)


@contextmanager
def _exit_on_error(err: Console, *, on_interrupt: str | None = None) -> Iterator[None]:
    """The one place that turns our errors into a message, a hint and an exit code."""
    try:
        yield
    except CcatError as exc:
        err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        if isinstance(exc, PreflightError):
            for name, reason in exc.failures:
                err.print(f"  ✗ {escape(name)}: {escape(reason)}", highlight=False)
        if exc.hint:
            err.print(f"[dim]hint:[/] {escape(exc.hint)}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        if on_interrupt:
            err.print(f"[dim]hint:[/] {on_interrupt}", highlight=False)
        raise typer.Exit(130) from None


async def _status(connection: Connection, err: Console) -> StatusReport:
    repositories = [target.full_name for target in connection.graph.targets]
    notices = ClientNotices(err, debug=connection.debug)
    async with open_client(connection.settings, listener=notices) as client:
        with status_progress(err, len(repositories)) as progress:
            return await run_status(
                StatusOptions(
                    client=client,
                    repositories=repositories,
                    secret=connection.secret,
                    org=connection.graph.org,
                    concurrency=connection.concurrency,
                    listener=progress,
                )
            )


@pat_app.command(
    epilog="Examples: `ccat pat status` · `ccat pat status --json | jq '.repositories[] | "
    'select(.state != "present")\'` · `ccat pat status --graph other/graph.yml --org my-org`'
)
def status(
    graph: GraphOption = DEFAULT_GRAPH_PATH,
    org: OrgOption = None,
    api_url: ApiUrlOption = None,
    secret: SecretOption = DEFAULT_SECRET,
    concurrency: ConcurrencyOption = 16,
    timeout: TimeoutOption = 30.0,
    max_wait: MaxWaitOption = 300.0,
    debug: DebugOption = False,
    json_output: JsonOption = False,
) -> None:
    """Check that the secret is present in every repository of the graph.

    Exit 0 when present everywhere, 1 when any repository is missing it or could not
    be checked, 2 for a usage or configuration error: usable as a CI gate.
    """
    out, err = _consoles()
    with _exit_on_error(err):
        connection = connect(
            err,
            graph_path=graph,
            org=org,
            api_url=api_url,
            secret=secret,
            concurrency=concurrency,
            timeout=timeout,
            max_wait=max_wait,
            debug=debug,
        )
        report = anyio.run(_status, connection, err)
    if json_output:
        out.print(status_json(report), markup=False, highlight=False)
    else:
        out.print(status_table(report))
        out.print(status_summary(report), highlight=False)
    if any(result.credential_rejected for result in report.results):
        err.print(
            "[bold red]error:[/] GitHub rejected the operator credential (HTTP 401); "
            "check GH_TOKEN / GITHUB_TOKEN or run `gh auth login`",
            highlight=False,
        )
    raise typer.Exit(0 if report.ok else 1)


def _journal(path: Path | None) -> Journal:
    return Journal(path if path is not None else default_journal_path(os.environ))


class _RotateLines:
    """One stderr line per write, printed after its outcome is journaled."""

    def __init__(self, err: Console) -> None:
        self._err = err

    def write_finished(self, record: TargetRecord) -> None:
        if record.state == "updated":
            verb = "created" if record.http_status == 201 else "updated"
            self._err.print(f"[green]✓[/] {record.repository}: {verb}", highlight=False)
        else:
            self._err.print(
                # GitHub's message is not ours: printed as markup, "[/…]" in it would crash.
                f"[red]✗[/] {escape(record.repository)}: HTTP {record.http_status}: "
                f"{escape(record.error or '')}",
                highlight=False,
                markup=True,
            )


async def _rotate(
    make_options: Callable[[GitHubClient], RotateOptions], connection: Connection, err: Console
) -> RotationOutcome:
    notices = ClientNotices(err, debug=connection.debug)
    async with open_client(connection.settings, listener=notices) as client:
        return await run_rotation(make_options(client))


@pat_app.command(
    epilog="Examples: `ccat pat rotate --dry-run` (check everything, write nothing) · "
    "`pass show ci/gh-pat | ccat pat rotate` (token on stdin, no question) · "
    "`ccat pat rotate --resume` (after a failure, same token) · `ccat pat journal`"
)
def rotate(
    graph: GraphOption = DEFAULT_GRAPH_PATH,
    org: OrgOption = None,
    api_url: ApiUrlOption = None,
    secret: SecretOption = DEFAULT_SECRET,
    concurrency: ConcurrencyOption = 16,
    timeout: TimeoutOption = 30.0,
    max_wait: MaxWaitOption = 300.0,
    debug: DebugOption = False,
    journal: JournalOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Preflight and show the plan; write nothing.")
    ] = False,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the journal's unfinished run with the same token, skipping the "
            "repositories it already updated.",
        ),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation on a terminal.")
    ] = False,
    write_interval: Annotated[
        float,
        typer.Option(
            "--write-interval",
            min=0,
            help="Seconds between the starts of two writes (GitHub asks for 1 s between "
            "mutating requests; 0 lets writes overlap up to --concurrency).",
        ),
    ] = 1.0,
) -> None:
    """Set a new value of the secret in every repository of the graph.

    The new token is read from a hidden prompt (or one line of standard input), checked
    with GitHub, and every repository's public key is fetched before anything is
    written. Writes then go repository by repository and **stop at the first failure**,
    reporting exactly which repositories were updated; every outcome is in a crash-safe
    journal, and `ccat pat rotate --resume` finishes the rest.

    Exit 0: rotated everywhere (or dry run OK). 1: a write or preflight failed. 2: usage,
    configuration, journal or token error; nothing was written.
    """
    out, err = _consoles()
    with _exit_on_error(
        err,
        on_interrupt="every write that finished is in the journal (`ccat pat journal`); "
        "`ccat pat rotate --resume` with the same token finishes the rest",
    ):
        connection = connect(
            err,
            graph_path=graph,
            org=org,
            api_url=api_url,
            secret=secret,
            concurrency=concurrency,
            timeout=timeout,
            max_wait=max_wait,
            debug=debug,
        )
        store = _journal(journal)
        token = read_token(connection.secret, err)

        def confirm(plan: Sequence[PlanItem], preflight: Preflight) -> bool:
            for line in preflight_lines(preflight, plan):
                err.print(line, highlight=False)
            err.print(plan_table(plan, preflight, connection.secret))
            count = sum(1 for item in plan if item.action == "set")
            return typer.confirm(
                f"Rotate {connection.secret} in {count} repositories?", default=False, err=True
            )

        interactive = sys.stdin.isatty() and not yes and not dry_run

        def make_options(client: GitHubClient) -> RotateOptions:
            return RotateOptions(
                client=client,
                journal=store,
                graph=connection.graph,
                secret=connection.secret,
                api_url=connection.settings.api_url,
                new_token=token,
                concurrency=connection.concurrency,
                write_interval=write_interval,
                resume=resume,
                dry_run=dry_run,
                confirm=confirm if interactive else None,
                listener=_RotateLines(err),
            )

        outcome = anyio.run(_rotate, make_options, connection, err)
    if outcome.dry_run or outcome.declined:
        for line in preflight_lines(outcome.preflight, outcome.plan):
            out.print(line, highlight=False)
        out.print(plan_table(outcome.plan, outcome.preflight, connection.secret))
        out.print(
            "Dry run: nothing was written and the journal is unchanged."
            if outcome.dry_run
            else "Not confirmed: nothing was written.",
            highlight=False,
        )
        raise typer.Exit(0 if outcome.dry_run else 1)
    if outcome.previous_unfinished is not None:
        err.print(
            f"[yellow]note:[/] the previous run {outcome.previous_unfinished.run_id} was "
            f"unfinished ({outcome.previous_unfinished.state}); it is kept in the journal's "
            "history and this run covers every repository",
            highlight=False,
        )
    for repository in outcome.dropped:
        err.print(f"[yellow]note:[/] {repository} left the graph; dropped from the run")
    for line in outcome_report(outcome, str(store.path)):
        out.print(line, highlight=False)
    raise typer.Exit(0 if outcome.run is not None and outcome.run.state == "completed" else 1)


@pat_app.command("journal")
def journal_command(
    journal: JournalOption = None,
    graph: GraphOption = DEFAULT_GRAPH_PATH,
    json_output: JsonOption = False,
) -> None:
    """Show the last rotation: who, when, each repository's outcome, and what
    `ccat pat rotate --resume` would do. `--json` prints the whole journal for `jq`.
    """
    out, err = _consoles()
    with _exit_on_error(err):
        store = _journal(journal)
        if not store.exists():
            raise JournalError(
                f"no journal at {store.path}: no rotation has been run with it",
                hint="pass --journal PATH or set CCAT_JOURNAL to the journal of the rotation",
            )
        document = store.load()
    if json_output:
        out.print(json.dumps(document.to_json(), indent=2), markup=False, highlight=False)
        return
    run = document.current
    if run is None:
        out.print(f"The journal {store.path} has no run.", highlight=False)
        return
    out.print(journal_header(run, str(store.path)))
    out.print(journal_targets(run))
    out.print(resume_forecast(run), highlight=False)
    if graph.exists():
        try:
            current = load_graph(graph, run.org)
        except CcatError:
            return
        if current.sha256 != run.graph.sha256:
            out.print(
                f"note: {graph} changed since this run started; --resume also sets "
                "repositories added to it",
                highlight=False,
            )
    if document.history:
        out.print(f"{len(document.history)} earlier run(s) in the history (--json shows them).")


@pat_app.command()
def demo() -> None:
    """Run the whole story against the bundled GitHub emulator (no account, no network).

    Status with secrets missing, a rotation that fails midway, the journal, `--resume`,
    and a final status with every secret present, each as the real command prints it.
    """
    from ccat.demo import run_demo  # the emulator is only loaded for the demo

    raise typer.Exit(run_demo(Console(soft_wrap=True)))


@app.command()
def version() -> None:
    """Print ccat's version."""
    Console().print(f"ccat {__version__}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="ccat")


if __name__ == "__main__":  # pragma: no cover
    main()
