"""The command line's shared inputs: option declarations, connection settings, the token.

Every value here comes from argv, the environment or a prompt, and is validated before
the first request is sent (a configuration error sends none). No option takes a token.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ccat.pat.credentials import read_new_token, resolve_api_url, resolve_credential
from ccat.pat.errors import UsageError
from ccat.pat.github import ClientSettings
from ccat.pat.graph import Graph, load_graph

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


JournalOption = Annotated[
    Path | None,
    typer.Option(
        "--journal",
        help="Rotation journal (default: $CCAT_JOURNAL, else "
        "$XDG_STATE_HOME/ccat/pat-journal.json, else ~/.local/state/ccat/pat-journal.json).",
    ),
]


@dataclass(frozen=True)
class Connection:
    """The parsed options of SPEC §2 that every GitHub-talking command shares."""

    graph: Graph
    settings: ClientSettings
    secret: str
    concurrency: int
    debug: bool


def connect(
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
    insecure_http: bool = False,
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
    url = resolve_api_url(api_url, os.environ, insecure_http=insecure_http)
    credential = resolve_credential(os.environ, url)
    settings = ClientSettings(
        api_url=url,
        token=credential.token,
        timeout=timeout,
        max_wait=max_wait,
        max_connections=max(concurrency, 1),
    )
    return Connection(graph, settings, secret.upper(), concurrency, debug)


def read_token(secret: str, err: Console) -> str:
    """The new token: a hidden prompt on a terminal, else one line of standard input."""
    return read_new_token(secret)
