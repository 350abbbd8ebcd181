"""The contract tests' report: which operation x answer pairs of GitHub's description the
answers validated in this session covered (tests/contract/test_openapi_contract.py adds
them through the `covered` fixture), printed after the tests. Loaded by
tests/conftest.py as a plugin, so that the pytest-xdist controller, which collects no
test and so reads no tests/contract/conftest.py, prints what its workers covered.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.contract.description import Checked

COVERED = pytest.StashKey[set[Checked]]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker, hand what it covered to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        checked = session.config.stash.get(COVERED, set())
        output["contract_covered"] = [dataclasses.astuple(item) for item in checked]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """A pytest-xdist worker finished: take in what it covered."""
    covered = node.config.stash.setdefault(COVERED, set())
    for fields in getattr(node, "workeroutput", {}).get("contract_covered", []):
        covered.add(Checked(*fields))


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
