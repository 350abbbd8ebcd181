"""Fixtures for the rotation engine tests: a distinctive new token, an emulator that
knows it, a dependency graph naming the emulator's repositories, and a token-leak check.

`tests/cli/conftest.py` has the same few fixtures for the command-line tests: test
directories here are not packages, so fixtures cannot be imported across them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ccat.fakehub import FakeHub

TOKEN_PREFIX = "ghp_TESTTOKEN_"
OPERATOR_TOKEN = "rotate-tests-operator-credential"
OPERATOR_LOGIN = "ccat-operator"
NEW_TOKEN_LOGIN = "ccat-ci-bot"
NEW_TOKEN_EXPIRATION = "2027-02-01 00:00:00 UTC"  # as GitHub sends the header
# Target order is system-integration first, then the graph's names in order (SPEC §2.1).
GRAPH_NAMES = ("ops-db", "ops-db-api", "ops-db-ui", "data-transfer", "scheduler", "planner", "web")
TARGETS = tuple(f"ccatobs/{name}" for name in ("system-integration", *GRAPH_NAMES))


def write_graph(path: Path, names: tuple[str, ...] | list[str]) -> Path:
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
def graph_file(tmp_path: Path) -> Path:
    """The dependency graph whose targets are TARGETS."""
    return write_graph(tmp_path / "dependency-graph.yml", GRAPH_NAMES)


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    """Where the journal goes (its directory does not exist yet)."""
    return tmp_path / "state" / "ccat" / "pat-journal.json"


@pytest.fixture
def assert_no_leak(
    new_token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Callable[..., None]:
    """`assert_no_leak(*texts)`: the new token is in none of `texts`, nothing printed,
    and no file under the test's tmp dir (the journal, its lock, any stray file)."""

    def check(*texts: str) -> None:
        # The random part alone would betray a token printed in pieces or with its
        # prefix cut off.
        needles = (new_token, new_token.removeprefix(TOKEN_PREFIX))
        captured = capsys.readouterr()
        for index, text in enumerate((*texts, captured.out, captured.err)):
            for needle in needles:
                assert needle not in text, f"the token leaked into text #{index}"
        files = [path for path in tmp_path.rglob("*") if path.is_file()]
        assert files, "nothing was scanned"
        for path in files:
            data = path.read_bytes()
            for needle in needles:
                assert needle.encode() not in data, f"the token leaked into {path}"

    return check


@pytest.fixture
def targets() -> list[str]:
    """The rotation's targets, in target order."""
    return list(TARGETS)
