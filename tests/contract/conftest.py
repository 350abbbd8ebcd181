"""Fixtures for the contract tests: GitHub's description, a running `ccat`, and a report
of which operations and answers the contract tests covered."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ccat.cli import app
from tests.contract.description import Checked, Contract, contract
from tests.support.emulator import OPERATOR_TOKEN
from tests.support.environment import command_env

COVERED = pytest.StashKey[set[Checked]]()


@pytest.fixture(scope="session")
def github() -> Contract:
    """GitHub's OpenAPI description of the secrets endpoints, ready to validate with."""
    return contract()


@pytest.fixture
def covered(request: pytest.FixtureRequest) -> set[Checked]:
    """The answers validated in this session, for the terminal summary."""
    return request.config.stash.setdefault(COVERED, set())


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print which operation x answer pairs of GitHub's description the answers covered."""
    checked = config.stash.get(COVERED, set())
    if not checked:
        return
    terminalreporter.section("GitHub OpenAPI contract")
    by_operation: dict[str, list[str]] = {}
    for item in sorted(checked, key=lambda c: (c.operation_id, c.status)):
        mark = "" if item.documented else "*"
        by_operation.setdefault(item.operation_id, []).append(f"{item.status}{mark}")
    for operation_id, statuses in by_operation.items():
        terminalreporter.write_line(f"{operation_id:45} {' '.join(statuses)}")
    documented = sum(1 for c in checked if c.documented)
    terminalreporter.write_line(
        f"{len(checked)} operation x answer pairs validated over {len(by_operation)} "
        f"operations: {documented} listed by the description, {len(checked) - documented} "
        "(*) not listed: errors checked against GitHub's basic-error, 304 without a body"
    )


@pytest.fixture
def graph_file(tmp_path: Path) -> Path:
    """A dependency graph whose targets are the `fakehub` fixture's three repositories."""
    path = tmp_path / "dependency-graph.yml"
    path.write_text(
        "org: ccatobs\nrepositories:\n  ops-db: {}\n  ops-db-api:\n    depends_on: [ops-db]\n",
        encoding="utf-8",
    )
    return path


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
