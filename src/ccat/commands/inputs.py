"""Turn parsed options into what the engines need, validating every input before the
first request (a configuration error sends none): the secret name, the dependency graph,
the API URL, the operator credential (which may run `gh auth token`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from ccat.commands.credentials import Credential, resolve_api_url, resolve_credential
from ccat.options import ConnectionArgs
from ccat.pat.errors import UsageError
from ccat.pat.github import ClientListener, GitHubClient, PointsBudget, open_client
from ccat.pat.github_rules import is_secret_name
from ccat.pat.graph import Graph, load_graph
from ccat.pat.settings import DEFAULT_API_URL, ClientSettings
from ccat.pat.stores import StoreSelection

# GitHub gives secret names no length; one of 200 characters is already no name anyone
# means, and a longer one would go into every URL and message.
MAX_SECRET_NAME = 200


@dataclass(frozen=True)
class Connection:
    """The resolved inputs of SPEC §2 that every GitHub-talking command shares."""

    graph: Graph
    settings: ClientSettings
    credential_source: str
    secret: str
    debug: bool
    # One for the whole command: a rotation's preflight and its writes run in two
    # clients (two event loops), and GitHub counts their points together.
    budget: PointsBudget
    # `--repo`: the selected repositories' full names in the graph's order; None: all.
    selection: tuple[str, ...] | None = None
    # `--stores`: the families of stores to look at (SPEC §10).
    stores: StoreSelection = field(default_factory=StoreSelection)

    @property
    def repositories(self) -> list[str]:
        """The repositories to act on: the selection, else every target of the graph."""
        if self.selection is not None:
            return list(self.selection)
        return [target.full_name for target in self.graph.targets]

    def where(self) -> str | None:
        """The API and the credential, said when the API is not api.github.com (SPEC
        §12: every command names the host it talks to); None for api.github.com."""
        if self.settings.api_url == DEFAULT_API_URL:
            return None
        return (
            f"GitHub API at {self.settings.api_url}; operator credential from "
            f"{self.credential_source}"
        )

    def client_factory(
        self, listener: ClientListener | None
    ) -> AbstractAsyncContextManager[GitHubClient]:
        """A fresh client with this connection's settings (what the engines call)."""
        return open_client(self.settings, listener=listener, budget=self.budget)


def checked_secret_name(name: str) -> str:
    """The secret name as GitHub stores it (upper case), or a `UsageError`."""
    if len(name) > MAX_SECRET_NAME or not is_secret_name(name):
        raise UsageError(
            f"--secret {name!r} is not a valid secret name",
            hint="letters, digits and underscores, not starting with a digit or GITHUB_",
        )
    return name.upper()


def resolve_connection(
    args: ConnectionArgs,
    env: Mapping[str, str],
    credential: Callable[[str], Credential] | None = None,
) -> Connection:
    """Load the graph and find the API URL and the credential; nothing is sent yet.

    The credential is the operator's (`resolve_credential`), unless `credential` is
    given: it is called with the API URL, once the graph and the URL are found good
    (`verify` reads the token it checks there). The graph's warnings are in
    `Connection.graph.warnings` for the caller to print.
    """
    secret = checked_secret_name(args.secret)
    graph = load_graph(args.graph, args.org)
    selection = select_repositories(graph, args.repos) if args.repos else None
    try:
        stores = StoreSelection.parse(args.stores)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    url = resolve_api_url(args.api_url, env, insecure_http=args.insecure_http)
    found = resolve_credential(env, url) if credential is None else credential(url)
    settings = ClientSettings(
        api_url=url,
        token=found.token,
        timeout=args.timeout,
        max_wait=args.max_wait,
        concurrency=args.concurrency,
        budget=args.budget,
    )
    budget = PointsBudget(settings.budget, monotonic=time.monotonic)
    return Connection(graph, settings, found.source, secret, args.debug, budget, selection, stores)


def select_repositories(graph: Graph, names: Sequence[str]) -> tuple[str, ...]:
    """The full names `--repo NAME` selects, in the graph's order, once each.

    A NAME is a repository of the graph, `name` or `org/name` (the org the graph's),
    compared case-insensitively as GitHub does. Anything else is a `UsageError` (exit 2)
    suggesting the closest names of the graph: a repository outside the graph is no
    target of this tool.
    """
    import difflib

    known = {target.full_name.casefold(): target.full_name for target in graph.targets}
    wanted: set[str] = set()
    for given in names:
        name = given.strip()
        full = name if "/" in name else f"{graph.org}/{name}"
        if full.casefold() not in known:
            short = {target.name.casefold(): target.name for target in graph.targets}
            probe = name.rpartition("/")[2].casefold()
            close = difflib.get_close_matches(probe, list(short), n=3, cutoff=0.6)
            if close:
                hint = "did you mean " + " or ".join(repr(short[c]) for c in close) + "?"
            else:
                hint = "`ccat pat status` lists every repository of the graph"
            raise UsageError(
                f"--repo {given!r} is not a repository of the dependency graph {graph.path} "
                f"(organisation {graph.org})",
                hint=hint,
            )
        wanted.add(full.casefold())
    return tuple(known[key] for key in known if key in wanted)
