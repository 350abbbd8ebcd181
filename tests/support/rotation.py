"""Constants and helpers shared by the rotation tests (tests/pat and tests/cli).

The fixtures built on them (`new_token`, `hub`, `targets`, `graph_file`, `journal_path`)
are in tests/conftest.py; each directory's conftest adds its own `assert_no_leak` on top
of `check_no_leak`. Import with `from tests.support.rotation import ...`.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    contextmanager,
    nullcontext,
)
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ccat.fakehub import FakeHub, LoggedRequest
from ccat.pat.github import ClientListener, GitHubClient, open_client
from ccat.pat.graph import Graph, load_graph
from ccat.pat.journal import Journal, RotationRun, TargetRecord
from ccat.pat.rotation import Plan, RotateOptions, Rotation, RotationOutcome
from ccat.pat.settings import ClientSettings
from tests.support.environment import child_env
from tests.support.fake_time import FakeTime
from tests.support.processes import ccat_process

TOKEN_PREFIX = "ghp_TESTTOKEN_"
ROTATION_OPERATOR_TOKEN = "rotation-tests-operator-credential"
# Target order is system-integration first, then the graph's names in order (SPEC §2.1).
GRAPH_NAMES = ("ops-db", "ops-db-api", "ops-db-ui", "data-transfer", "scheduler", "planner", "web")
TARGETS = tuple(f"ccatobs/{name}" for name in ("system-integration", *GRAPH_NAMES))

SECRET = "GH_PAT"
# `pat rotate` options of a rotation that writes one repository at a time, back to back.
ONE_BY_ONE = ("--write-interval", "0", "--concurrency", "1")
FORBIDDEN = "Resource not accessible by personal access token"
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes."

NoLeak = Callable[..., None]


@dataclass(frozen=True)
class RotationCase:
    """What a rotation test works with (the `case` fixture, tests/conftest.py): the
    emulator serving TARGETS that knows the operator credential and the new `token`,
    the dependency `graph` naming them, where the `journal` goes (its folder does not
    exist yet), the `targets` in target order, and the test's own `tmp_path`."""

    hub: FakeHub
    graph: Path
    journal: Path
    token: str
    targets: list[str]
    tmp_path: Path


def secret_path(repository: str) -> str:
    """The REST path of the secret in `repository`."""
    return f"/repos/{repository}/actions/secrets/{SECRET}"


def key_path(repository: str) -> str:
    """The REST path of `repository`'s Actions public key."""
    return f"/repos/{repository}/actions/secrets/public-key"


def repository_of(request: LoggedRequest) -> str:
    """`org/name` of a request to `/repos/{org}/{name}/...`."""
    parts = request.path.split("/")
    return f"{parts[2]}/{parts[3]}"


def puts(hub: FakeHub) -> list[LoggedRequest]:
    """Every PUT the emulator received (answered or not), in the order they started."""
    return sorted((r for r in hub.requests if r.method == "PUT"), key=lambda r: r.started)


def put_repositories(hub: FakeHub, since: float = 0.0) -> list[str]:
    """The repository of every PUT started after `since` (monotonic), in start order."""
    return [repository_of(r) for r in puts(hub) if r.started >= since]


def holding(hub: FakeHub, value: str) -> set[str]:
    """The repositories whose stored (decrypted) secret is `value`."""
    stored = {repo: hub.secret(repo, SECRET) for repo in hub.repositories}
    return {repo for repo, secret in stored.items() if secret is not None and secret.value == value}


def names(repositories: Iterable[str]) -> list[str]:
    """Graph entries (`name` without the org) for full repository names."""
    return [repository.split("/", 1)[1] for repository in repositories]


def write_graph(path: Path, entries: Iterable[str]) -> Path:
    """Write a dependency graph (org ccatobs) naming `entries`, in that order
    (system-integration comes first regardless)."""
    lines = ["org: ccatobs", "repositories:", *(f"  - {entry}" for entry in entries)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def on_disk(path: Path) -> bytes | None:
    """The file's bytes, None when it does not exist."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def current(journal_path: Path) -> RotationRun:
    """The journal's current run, read from disk."""
    run = Journal(journal_path).load().current
    assert run is not None
    return run


def record(run: RotationRun, repository: str) -> TargetRecord:
    """The run's record of `repository`."""
    found = run.target(repository)
    assert found is not None, f"{repository} is not in the run"
    return found


class QuietListener:
    """A rotation listener (`RotateListener`) that does nothing: a test's own listener
    subclasses it and overrides only what it watches."""

    def preflight_checked(self, done: int, total: int) -> None:
        """One more preflight check finished."""

    def write_started(self, repository: str, number: int, total: int) -> None:
        """A write is about to be sent (its start is journaled)."""

    def write_finished(self, record: TargetRecord) -> None:
        """A write's outcome is journaled."""


def client_settings(hub: FakeHub, **changes: Any) -> ClientSettings:
    """The client of a rotation test: the emulator's operator credential, short backoffs,
    no budget (the emulator does not count), a timeout no healthy answer comes near;
    `changes` to any field."""
    fields: dict[str, Any] = {"timeout": 10.0, "max_wait": 30.0, "backoff": 0.01, "budget": 0}
    return ClientSettings(**{"api_url": hub.url, "token": hub.operator_token, **fields, **changes})


def rotate_options(
    hub: FakeHub,
    graph: Path | Graph,
    journal: Path | Journal,
    token: str | None,
    *,
    client: ClientSettings | None = None,
    client_listener: ClientListener | None = None,
    clock: FakeTime | None = None,
    connect: Callable[[], AbstractAsyncContextManager[GitHubClient]] | None = None,
    **fields: Any,
) -> RotateOptions:
    """The options of a rotation of `graph` against `hub`, through a real client
    (`client_settings` unless `client`; `connect` instead, for one the test opened).
    Writes go back to back (`write_interval` 0) unless `fields` say otherwise; with
    `clock`, the client's waits and the writes' pacing are in its time, never waited
    for."""
    settings = client or client_settings(hub)
    timing = None if clock is None else clock.timing
    if clock is not None:
        fields = {"monotonic": clock.monotonic, "sleep": clock.sleep, **fields}
    return RotateOptions(
        connect=connect or (lambda: open_client(settings, listener=client_listener, timing=timing)),
        journal=journal if isinstance(journal, Journal) else Journal(journal),
        graph=graph if isinstance(graph, Graph) else load_graph(graph),
        secret=SECRET,
        api_url=hub.url,
        operator_token=settings.token,
        new_token=token,
        **{"write_interval": 0, **fields},
    )


async def rotate(
    hub: FakeHub,
    graph: Path | Graph,
    journal: Path | Journal,
    token: str | None,
    *,
    confirm: Callable[[Plan], bool] | None = None,
    **options: Any,
) -> RotationOutcome:
    """One whole rotation with `rotate_options(hub, graph, journal, token, **options)`,
    asking `confirm` before the writes (None: no question)."""
    return await run_rotation(rotate_options(hub, graph, journal, token, **options), confirm)


def check_no_leak(token: str, tmp_path: Path, texts: Iterable[str]) -> None:
    """`token` is in none of `texts` and in no file under `tmp_path` (the journal, its
    lock, any stray file); there must be a file to scan."""
    # The random part alone would betray a token printed in pieces or with its
    # prefix cut off.
    needles = (token, token.removeprefix(TOKEN_PREFIX))
    for index, text in enumerate(texts):
        for needle in needles:
            assert needle not in text, f"the token leaked into text #{index}"
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert files, "nothing was scanned"
    for path in files:
        data = path.read_bytes()
        for needle in needles:
            assert needle.encode() not in data, f"the token leaked into {path}"


def report_list(text: str, heading: str) -> list[str]:
    """What is listed under `heading (N):` ("Already updated", "NOT updated") in a
    rotation's report: repositories, or (repository, store) pairs such as `org/repo
    (dependabot)`; N is checked against the list."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading + " ("))
    listed: list[str] = []
    for line in lines[start + 1 :]:
        match = re.fullmatch(r"  [✓✗] (.+)", line)
        if match is None:
            break
        listed.append(match.group(1))
    count = re.search(r"\((\d+)\):", lines[start])
    assert count is not None and int(count.group(1)) == len(listed)
    return listed


@contextmanager
def rotation_process(
    rotate_args: list[str],
    hub: FakeHub,
    token: str,
    tmp_path: Path,
    *extra: str,
    stderr: int | IO[Any] | None = subprocess.PIPE,
) -> Iterator[subprocess.Popen[str]]:
    """Start `python -m ccat ARGS EXTRA` and give it the token on standard input
    (standard error to `stderr`, a pipe unless given); a process still running when the
    block ends is killed and reaped."""
    env = child_env(hub.operator_token, tmp_path)
    with ccat_process(
        *rotate_args, *extra, env=env, stdin=subprocess.PIPE, stderr=stderr
    ) as process:
        assert process.stdin is not None
        # One line is all it reads; `communicate` closes standard input later.
        process.stdin.write(token + "\n")
        process.stdin.flush()
        yield process


async def run_rotation(
    options: RotateOptions, confirm: Callable[[Plan], bool] | None = None
) -> RotationOutcome:
    """A whole rotation in one event loop, under the journal lock (a dry run takes none):
    prepare, ask `confirm` (None: do not ask), execute. The CLI runs the phases itself so
    that the question is asked outside the event loop; the engine tests run them here."""
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
