"""Constants and helpers shared by the rotation tests (tests/pat and tests/cli).

The fixtures built on them (`new_token`, `hub`, `targets`, `graph_file`, `journal_path`)
are in tests/conftest.py; each directory's conftest adds its own `assert_no_leak` on top
of `check_no_leak`. Import with `from tests.rotation_support import ...`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from ccat.fakehub import FakeHub, LoggedRequest
from ccat.pat.journal import Journal, RotationRun, TargetRecord
from ccat.pat.rotation import Plan, RotateOptions, Rotation, RotationOutcome

TOKEN_PREFIX = "ghp_TESTTOKEN_"
ROTATION_OPERATOR_TOKEN = "rotation-tests-operator-credential"
# Target order is system-integration first, then the graph's names in order (SPEC §2.1).
GRAPH_NAMES = ("ops-db", "ops-db-api", "ops-db-ui", "data-transfer", "scheduler", "planner", "web")
TARGETS = tuple(f"ccatobs/{name}" for name in ("system-integration", *GRAPH_NAMES))

SECRET = "GH_PAT"
FORBIDDEN = "Resource not accessible by personal access token"
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes."

NoLeak = Callable[..., None]


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
    """The repositories listed under `heading (N):` ("Already updated", "NOT updated") in
    a rotation's report; N is checked against the list."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading + " ("))
    listed: list[str] = []
    for line in lines[start + 1 :]:
        match = re.fullmatch(r"  [✓✗] (\S+)", line)
        if match is None:
            break
        listed.append(match.group(1))
    count = re.search(r"\((\d+)\):", lines[start])
    assert count is not None and int(count.group(1)) == len(listed)
    return listed


def child_env(operator_token: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a `ccat` child process: the operator credential in GH_TOKEN and
    nothing from the developer's shell that could change where it goes or what it uses."""
    # Every GH_*, GITHUB_* and CCAT_* variable: credentials and hosts, but also
    # GITHUB_ACTIONS and GITHUB_STEP_SUMMARY, which change what status prints.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GH_", "GITHUB_", "CCAT_"))
    }
    env.update(
        GH_TOKEN=operator_token,
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        COLUMNS="200",
        NO_COLOR="1",
    )
    return env


@contextmanager
def rotation_process(
    rotate_args: list[str], hub: FakeHub, token: str, tmp_path: Path, *extra: str
) -> Iterator[subprocess.Popen[str]]:
    """Start `python -m ccat ARGS EXTRA` and give it the token on standard input; a
    process still running when the block ends is killed and reaped."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ccat", *rotate_args, *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(hub.operator_token, tmp_path),
        # Without the developer's terminal: a rotation asks there (issue 15.2).
        start_new_session=True,
    )
    assert process.stdin is not None
    # One line is all it reads; `communicate` closes standard input later.
    process.stdin.write(token + "\n")
    process.stdin.flush()
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


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
