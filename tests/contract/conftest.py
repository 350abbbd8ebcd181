"""Fixtures for the contract tests: GitHub's description, a running `ccat`, and what the
answers covered (reported by tests/support/contract_report.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ccat.cli import app
from ccat.fakehub import FakeHub
from tests.contract.description import Checked, Contract, contract
from tests.support.contract_report import COVERED
from tests.support.emulator import OPERATOR_TOKEN
from tests.support.environment import command_env
from tests.support.rotation import write_graph


@pytest.fixture(scope="session")
def github() -> Contract:
    """GitHub's OpenAPI description of the secrets endpoints, ready to validate with."""
    return contract()


@pytest.fixture
def covered(request: pytest.FixtureRequest) -> set[Checked]:
    """The answers validated in this session, for the terminal summary
    (tests/support/contract_report.py)."""
    return request.config.stash.setdefault(COVERED, set())


@pytest.fixture
def graph_file(tmp_path: Path) -> Path:
    """A dependency graph whose targets are the `fakehub` fixture's three repositories."""
    return write_graph(tmp_path / "dependency-graph.yml", ["ops-db", "ops-db-api"])


@pytest.fixture
def rotate_args(fakehub: FakeHub, graph_file: Path, tmp_path: Path) -> list[str]:
    """`pat rotate --yes` of the graph against the `fakehub` fixture, writes back to back."""
    args = ["pat", "rotate", "--yes", "--graph", str(graph_file), "--api-url", fakehub.url]
    return [*args, "--write-interval", "0", "--journal", str(tmp_path / "journal.json")]


@pytest.fixture
def ccat(tmp_path: Path) -> Callable[..., Result]:
    """`ccat(*args, input=None, env=None)`: the real command line, in-process, with the
    operator credential in GH_TOKEN, in the tests' environment."""
    runner = CliRunner()
    base = command_env(OPERATOR_TOKEN, tmp_path)

    def invoke(
        *args: str, input: str | None = None, env: Mapping[str, str | None] | None = None
    ) -> Result:
        return runner.invoke(app, list(args), input=input, env={**base, **(env or {})})

    return invoke
