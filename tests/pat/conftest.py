"""Fixtures for the rotation engine tests: a token-leak check that also reads what the
test printed. The new token, the emulator, the graph and the journal path are shared
with the command-line tests (tests/conftest.py, tests/support/rotation.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.rotation import NoLeak, check_no_leak


@pytest.fixture
def assert_no_leak(new_token: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> NoLeak:
    """`assert_no_leak(*texts)`: the new token is in none of `texts`, nothing printed,
    and no file under the test's tmp dir (the journal, its lock, any stray file)."""

    def check(*texts: str) -> None:
        captured = capsys.readouterr()
        check_no_leak(new_token, tmp_path, (*texts, captured.out, captured.err))

    return check
