"""Start-up: the commands that talk to no server never import the HTTP client or libsodium.

Each command runs in a fresh interpreter, as an operator starts it, which then reports
every module it imported (`sys.modules`). How long start-up takes is measured in
benchmarks/bench_all.py, never here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ccat.pat.journal import (
    GraphFile,
    TargetRecord,
)
from tests.support.environment import environment
from tests.support.journals import a_run, a_token, save_journal
from tests.support.rotation import write_graph

pytestmark = pytest.mark.slow  # one interpreter per command

HEAVY = ("httpx", "httpcore", "h11", "nacl")

# Runs the CLI as `ccat ARGS...` (argv[1] is ARGS as JSON), then writes its exit code and
# the sorted names of every module loaded to the file argv[2].
PROBE = """
import json, sys
args, report = json.loads(sys.argv[1]), sys.argv[2]
sys.argv = ["ccat", *args]
from ccat.cli import main
try:
    main()
    code = 0
except SystemExit as exit:
    code = exit.code
with open(report, "w") as file:
    json.dump({"exit": code, "modules": sorted(sys.modules)}, file)
"""


def imported(tmp_path: Path, *args: str) -> tuple[object, set[str]]:
    """Run `ccat ARGS` in a new interpreter: its exit code and the modules it loaded."""
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args)), str(report)],
        env=environment(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert report.exists(), done.stderr
    result = json.loads(report.read_text())
    return result["exit"], set(result["modules"])


def heavy(modules: set[str]) -> list[str]:
    """The heavy packages among `modules` (any of their submodules counts)."""
    return sorted(m for m in modules if m.split(".", 1)[0] in HEAVY)


@pytest.fixture
def journal_file(tmp_path: Path) -> Path:
    """A journal with a stopped rotation over three repositories, and its graph."""
    graph = write_graph(tmp_path / "dependency-graph.yml", ["ops-db", "ops-db-api"])
    names = ["ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api"]
    targets = [TargetRecord.pending(name) for name in names]
    targets[0] = targets[0].started("2026-11-25T19:00:01Z").succeeded(204, "2026-11-25T19:00:02Z")
    run = a_run(
        targets,
        run_id="startup-test",
        graph=GraphFile(str(graph), "0" * 64),
        finished_at="2026-11-25T19:00:03Z",
        token=a_token(kind="fine-grained", value="a token"),
    )
    path = tmp_path / "state" / "pat-journal.json"
    path.parent.mkdir(mode=0o700)
    return save_journal(path, run)


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("version",),
        ("--help",),
        ("pat", "--help"),
        ("pat", "status", "--help"),
        ("pat", "rotate", "--help"),
        ("pat", "journal", "--help"),
    ],
    ids=" ".join,
)
def test_version_and_help_import_no_client(tmp_path: Path, args: tuple[str, ...]) -> None:
    code, modules = imported(tmp_path, *args)
    assert code == 0
    assert "ccat.cli" in modules
    assert heavy(modules) == []


@pytest.mark.parametrize("extra", [(), ("--json",)], ids=["table", "json"])
def test_journal_shows_a_run_without_the_client(
    tmp_path: Path, journal_file: Path, extra: tuple[str, ...]
) -> None:
    graph = tmp_path / "dependency-graph.yml"
    args = ("pat", "journal", "--journal", str(journal_file), "--graph", str(graph), *extra)
    code, modules = imported(tmp_path, *args)
    assert code == 0
    assert "ccat.commands.journal" in modules  # it did run the command
    assert heavy(modules) == []


def test_the_probe_sees_the_client_when_a_command_needs_it(tmp_path: Path) -> None:
    # `status` with a graph that does not exist: exit 2 before any request, but its
    # runner has loaded the client. Without this, an empty module list would pass.
    code, modules = imported(tmp_path, "pat", "status", "--graph", "missing.yml")
    assert code == 2
    assert "httpx" in heavy(modules)  # httpx itself loads httpcore on its first client
