"""Fixtures for the command-line rotation tests: `ccat` run in-process in the tests'
environment, the `pat rotate` arguments, and a token-leak check. The new token, the
emulator, the graph and the journal path are shared with the engine tests
(tests/conftest.py, tests/support/rotation.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ccat.cli import app
from ccat.fakehub import FakeHub
from tests.support.environment import command_env
from tests.support.rotation import ROTATION_OPERATOR_TOKEN, NoLeak, check_no_leak


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str | None]:
    """What a `ccat` run adds to the tests' environment (tests/support/environment.py):
    the operator credential in GH_TOKEN, a state folder of the test's."""
    return {**command_env(ROTATION_OPERATOR_TOKEN, tmp_path)}


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
def asking_rotate_args(hub: FakeHub, graph_file: Path, journal_path: Path) -> list[str]:
    """`pat rotate` against the emulator, with the test's graph and journal, asking
    `[y/N]` on the terminal before any write (or exit 2 without one)."""
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
def rotate_args(asking_rotate_args: list[str]) -> list[str]:
    """`pat rotate` as above with `--yes`: unattended, as in a script (issue 15.2: a
    rotation without a terminal needs it; with it no test can depend on the terminal
    pytest runs in)."""
    return [*asking_rotate_args, "--yes"]


@pytest.fixture
def assert_no_leak(new_token: str, tmp_path: Path) -> NoLeak:
    """`assert_no_leak(*texts)`: the new token is in none of `texts` (outputs) and in
    no file under the test's tmp dir (the journal, its lock, any stray file)."""

    def check(*texts: str) -> None:
        check_no_leak(new_token, tmp_path, texts)

    return check
