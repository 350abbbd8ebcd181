"""Fixtures for the command-line rotation tests: a distinctive new token, an emulator
that knows it, a graph naming its repositories, `ccat` run in-process with a clean
environment, and a token-leak check.

`tests/pat/conftest.py` has the same first few fixtures for the engine tests: test
directories here are not packages, so fixtures cannot be imported across them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ccat.cli import app
from ccat.fakehub import FakeHub

TOKEN_PREFIX = "ghp_TESTTOKEN_"
OPERATOR_TOKEN = "cli-tests-operator-credential"
OPERATOR_LOGIN = "ccat-operator"
NEW_TOKEN_LOGIN = "ccat-ci-bot"
NEW_TOKEN_EXPIRATION = "2027-02-01 00:00:00 UTC"  # as GitHub sends the header
GRAPH_NAMES = ("ops-db", "ops-db-api", "ops-db-ui", "data-transfer", "scheduler", "planner", "web")
TARGETS = tuple(f"ccatobs/{name}" for name in ("system-integration", *GRAPH_NAMES))


def write_graph(path: Path, names: Sequence[str]) -> Path:
    """Write a dependency graph (org ccatobs) naming `names`, in that order."""
    lines = ["org: ccatobs", "repositories:", *(f"  - {name}" for name in names)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def new_token() -> str:
    """A new PAT value that cannot be mistaken for anything else in a file or an output."""
    return TOKEN_PREFIX + secrets.token_hex(16)


@pytest.fixture
def hub(new_token: str) -> Iterator[FakeHub]:
    """An emulator serving TARGETS that knows the operator credential and `new_token`."""
    with FakeHub(
        TARGETS,
        operator_token=OPERATOR_TOKEN,
        operator_login=OPERATOR_LOGIN,
        tokens={new_token: NEW_TOKEN_LOGIN},
        token_expirations={new_token: NEW_TOKEN_EXPIRATION},
    ) as running:
        yield running


@pytest.fixture
def targets() -> list[str]:
    """The rotation's targets, in target order."""
    return list(TARGETS)


@pytest.fixture
def graph_file(tmp_path: Path) -> Path:
    """The dependency graph whose targets are TARGETS."""
    return write_graph(tmp_path / "dependency-graph.yml", GRAPH_NAMES)


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    """Where the journal goes (its directory does not exist yet)."""
    return tmp_path / "state" / "ccat" / "pat-journal.json"


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str | None]:
    """The environment of a `ccat` run: the operator credential in GH_TOKEN, nothing
    else from the developer's shell that could change the outcome."""
    return {
        "GH_TOKEN": OPERATOR_TOKEN,
        "GITHUB_TOKEN": None,
        "GITHUB_API_URL": None,
        "CCAT_JOURNAL": None,
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
        "COLUMNS": "200",  # wide enough that no table cell is cut
        "NO_COLOR": "1",
    }


@pytest.fixture
def ccat(cli_env: dict[str, str | None]) -> Callable[..., Result]:
    """`ccat(*args, input=None, env=None)`: run the command line in-process.

    `input` is standard input (not a terminal, so the token is read from it); `env`
    adds to or removes from (value None) `cli_env`.
    """
    runner = CliRunner()

    def invoke(
        *args: str, input: str | None = None, env: Mapping[str, str | None] | None = None
    ) -> Result:
        return runner.invoke(app, list(args), input=input, env={**cli_env, **(env or {})})

    return invoke


@pytest.fixture
def rotate_args(hub: FakeHub, graph_file: Path, journal_path: Path) -> list[str]:
    """`pat rotate` against the emulator, with the test's graph and journal."""
    return [
        "pat",
        "rotate",
        "--graph",
        str(graph_file),
        "--api-url",
        hub.url,
        "--journal",
        str(journal_path),
    ]


@pytest.fixture
def assert_no_leak(new_token: str, tmp_path: Path) -> Callable[..., None]:
    """`assert_no_leak(*texts)`: the new token is in none of `texts` (outputs) and in
    no file under the test's tmp dir (the journal, its lock, any stray file)."""

    def check(*texts: str) -> None:
        # The random part alone would betray a token printed in pieces or with its
        # prefix cut off.
        needles = (new_token, new_token.removeprefix(TOKEN_PREFIX))
        for index, text in enumerate(texts):
            for needle in needles:
                assert needle not in text, f"the token leaked into text #{index}"
        files = [path for path in tmp_path.rglob("*") if path.is_file()]
        assert files, "nothing was scanned"
        for path in files:
            data = path.read_bytes()
            for needle in needles:
                assert needle.encode() not in data, f"the token leaked into {path}"

    return check
