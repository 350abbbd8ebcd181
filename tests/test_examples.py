"""The files in examples/ work as their comments say (issue 9.5): the password-manager
script rotates for real, against the emulator, with the token only ever on a pipe. (The
nightly workflow, which runs the GitHub Action, is checked with it: tests/test_action.py.)
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ccat.fakehub import FakeHub, TokenSpec
from ccat.pat.journal import Journal

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OPERATOR = "examples-operator-credential"
REPOS = ["ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api"]


@pytest.fixture
def new_token() -> str:
    return "github_pat_" + secrets.token_hex(20)


def run_script(
    tmp_path: Path, store_dir: Path, new_token: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], Path, list[str]]:
    """Run the password-manager script against the emulator with no terminal (a new
    session): what it did, the secrets stored, the journal path, the requests' methods."""
    # `pass`, as the script uses it: `pass show ENTRY` prints the entry, token first.
    # Its store is outside tmp_path, which is then searched for the token.
    store = store_dir / "ci-gh-pat"
    store.write_text(f"{new_token}\nlogin: ccat-ci-bot\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_pass = bin_dir / "pass"
    fake_pass.write_text(f'#!/bin/sh\n[ "$1 $2" = "show ci/gh-pat" ] && exec cat {store}\nexit 1\n')
    fake_pass.chmod(0o755)
    work = tmp_path / "work"
    (work / "ci").mkdir(parents=True)
    (work / "ci" / "dependency-graph.yml").write_text(
        "repositories:\n  ops-db-api:\n    depends_on: [ops-db]\n"
    )
    journal = tmp_path / "state" / "pat-journal.json"
    with FakeHub(
        REPOS, operator_token=OPERATOR, tokens={new_token: TokenSpec("ccat-ci-bot")}
    ) as hub:
        env = {
            "PATH": os.pathsep.join(
                [str(bin_dir), str(Path(sys.executable).parent), "/usr/bin", "/bin"]
            ),
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "GH_TOKEN": OPERATOR,
            "GITHUB_API_URL": hub.url,
            "CCAT_JOURNAL": str(journal),
        }
        done = subprocess.run(
            ["bash", str(EXAMPLES / "rotate-from-password-manager.sh"), *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            start_new_session=True,  # no terminal, whoever runs the tests
        )
        stored = {repo: hub.secret(repo, "GH_PAT") for repo in REPOS}
        methods = [request.method for request in hub.requests]
    return done, stored, journal, methods


@pytest.mark.slow
def test_the_password_manager_script_rotates_through_a_pipe(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, new_token: str
) -> None:
    # Unattended (no terminal here), as the script says: --yes (issue 15.2).
    done, stored, journal, _ = run_script(
        tmp_path, tmp_path_factory.mktemp("password-store"), new_token, "--yes"
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert all(secret is not None and secret.value == new_token for secret in stored.values())
    run = Journal(journal).load().current
    assert run is not None and run.state == "completed" and run.token.kind == "fine-grained"
    # The dry run, the rotation and the final status all ran; status says what comes next.
    assert "dry run" in output.lower()
    assert "OK: GH_PAT — 3 present, 0 missing" in output
    assert "safe to revoke the previous token" in " ".join(done.stdout.split())
    # The token went through pipes only: not in any output, not in any file here.
    assert new_token not in output and new_token[11:] not in output
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert new_token.encode() not in path.read_bytes(), path


@pytest.mark.slow
def test_the_password_manager_script_without_a_terminal_or_yes_writes_nothing(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, new_token: str
) -> None:
    done, stored, journal, methods = run_script(
        tmp_path, tmp_path_factory.mktemp("password-store"), new_token
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no terminal to confirm the rotation on, and no --yes" in done.stderr
    assert "nothing was written: fix the error above" in done.stderr
    assert "PUT" not in methods and all(secret is None for secret in stored.values())
    assert not journal.exists()
    assert new_token not in done.stdout + done.stderr
