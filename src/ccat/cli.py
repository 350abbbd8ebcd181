"""The `ccat` command line: parse, call the engines, render, map errors to exit codes.

This is the only module (with `render.py`) that prints or exits. Tokens never come
from argv: the operator credential comes from the environment or `gh auth token`, the
new token from a hidden prompt or standard input.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import anyio
import typer
from rich.console import Console

from ccat import __version__
from ccat.pat.credentials import resolve_api_url, resolve_credential
from ccat.pat.errors import CcatError, UsageError
from ccat.pat.github import ClientSettings, open_client
from ccat.pat.graph import DEFAULT_GRAPH_PATH, Graph, load_graph
from ccat.pat.render import (
    ClientNotices,
    status_json,
    status_progress,
    status_summary,
    status_table,
)
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

DEFAULT_SECRET = "GH_PAT"
SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

GraphOption = Annotated[
    Path,
    typer.Option(
        "--graph",
        help="The CI dependency graph: every repository named in it is a target.",
        show_default=True,
    ),
]
OrgOption = Annotated[
    str | None,
    typer.Option(
        "--org",
        help="Organisation owning the repositories (default: the graph's `org:`, else ccatobs).",
    ),
]
ApiUrlOption = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        help="REST API base URL (default: $GITHUB_API_URL, else https://api.github.com; "
        "GitHub Enterprise Server: https://HOST/api/v3).",
    ),
]
SecretOption = Annotated[
    str, typer.Option("--secret", help="Name of the Actions repository secret.")
]
ConcurrencyOption = Annotated[
    int,
    typer.Option(
        "--concurrency", min=1, max=100, help="Requests in flight at most (GitHub allows 100)."
    ),
]
TimeoutOption = Annotated[
    float, typer.Option("--timeout", min=0.1, help="Seconds before one request is given up.")
]
MaxWaitOption = Annotated[
    float,
    typer.Option(
        "--max-wait", min=0, help="Longest rate-limit wait in seconds; a longer one fails."
    ),
]
DebugOption = Annotated[
    bool,
    typer.Option("--debug", help="Print each request and its timing on stderr (no headers)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@dataclass(frozen=True)
class Connection:
    """The parsed options of SPEC §2 that every GitHub-talking command shares."""

    graph: Graph
    settings: ClientSettings
    secret: str
    concurrency: int
    debug: bool


def _consoles() -> tuple[Console, Console]:
    # Built per command so that a test runner's replaced streams are honoured.
    return Console(), Console(stderr=True)


@contextmanager
def _exit_on_error(err: Console) -> Iterator[None]:
    """The one place that turns our errors into a message, a hint and an exit code."""
    try:
        yield
    except CcatError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False, markup=True)
        if exc.hint:
            err.print(f"[dim]hint:[/] {exc.hint}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]")
        raise typer.Exit(130) from None


def _connect(
    err: Console,
    *,
    graph_path: Path,
    org: str | None,
    api_url: str | None,
    secret: str,
    concurrency: int,
    timeout: float,
    max_wait: float,
    debug: bool,
) -> Connection:
    """Validate every input before the first request (config errors send none)."""
    if not SECRET_NAME.fullmatch(secret) or secret.upper().startswith("GITHUB_"):
        raise UsageError(
            f"--secret {secret!r} is not a valid secret name",
            hint="letters, digits and underscores, not starting with a digit or GITHUB_",
        )
    graph = load_graph(graph_path, org)
    for warning in graph.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    url = resolve_api_url(api_url, os.environ)
    credential = resolve_credential(os.environ, url)
    settings = ClientSettings(
        api_url=url, token=credential.token, timeout=timeout, max_wait=max_wait,
        max_connections=max(concurrency, 1),
    )
    return Connection(graph, settings, secret.upper(), concurrency, debug)


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


@pat_app.command()
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
        connection = _connect(
            err, graph_path=graph, org=org, api_url=api_url, secret=secret,
            concurrency=concurrency, timeout=timeout, max_wait=max_wait, debug=debug,
        )
        report = anyio.run(_status, connection, err)
    if json_output:
        out.print(status_json(report), markup=False, highlight=False, soft_wrap=True)
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


@app.command()
def version() -> None:
    """Print ccat's version."""
    Console().print(f"ccat {__version__}", highlight=False)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="ccat")


if __name__ == "__main__":  # pragma: no cover
    main()
