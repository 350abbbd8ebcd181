"""GitHub CLI manners of `ccat pat rotate` (issue 10.6) and the dry run without the new
token (10.7).

- `rotate` says first where the operator credential came from, never the credential;
  GH_HOST and the enterprise tokens resolve through the command line as `gh` does.
- `rotate --json` prints clean JSON on stdout (the shape in docs/reference/rotate-json)
  and every message on stderr.
- `rotate --dry-run` with empty input (a pipe, or Enter at the hidden prompt on a real
  pseudo-terminal) checks public keys and shows the plan with the operator's credential
  only: no request with another token, no write, the journal untouched, exit 0.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import stat
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, Fault
from tests.support.emulator import OPERATOR_LOGIN
from tests.support.environment import environment
from tests.support.rotation import (
    FORBIDDEN,
    ONE_BY_ONE,
    ROTATION_OPERATOR_TOKEN,
    NoLeak,
    RotationCase,
    on_disk,
    puts,
    secret_path,
)

Ccat = Callable[..., Result]
NO_CREDENTIALS: dict[str, str | None] = dict.fromkeys(
    ("GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GH_HOST")
)
OUTCOME_KEYS = {
    "outcome",
    "run_id",
    "secret",
    "org",
    "journal",
    "operator",
    "new_token",
    "plan",
    "updated",
    "not_updated",
    "targets",
    "failure",
    # Issue 14 (defects 3 and 10): how a run that ended early ended.
    "interrupted_by",
    "journal_error",
    "not_in_journal",
    "error",
}


def first_line(stderr: str) -> str:
    """The first thing `rotate` says (on one line: the tests' terminal is 200 wide)."""
    return stderr.splitlines()[0]


def fake_gh(tmp_path: Path, token: str) -> str:
    """A PATH holding a stand-in `gh` that answers `gh auth token` with `token`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\n[ "$1 $2" = "auth token" ] && echo {token}\n')
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    return f"{bin_dir}{os.pathsep}/usr/bin:/bin"


@pytest.mark.parametrize(
    ("env", "source"),
    [
        ({"GH_TOKEN": ROTATION_OPERATOR_TOKEN}, "GH_TOKEN"),
        ({"GITHUB_TOKEN": ROTATION_OPERATOR_TOKEN}, "GITHUB_TOKEN"),
        # Round two (SPEC §2.2): an API on this machine (the emulator's) takes github.com's
        # variables, and the enterprise ones are not read for it; each holds a wrong
        # value here that must not be used.
        (
            {"GH_TOKEN": ROTATION_OPERATOR_TOKEN, "GH_ENTERPRISE_TOKEN": "wrong"},
            "GH_TOKEN",
        ),
        (
            {"GITHUB_TOKEN": ROTATION_OPERATOR_TOKEN, "GITHUB_ENTERPRISE_TOKEN": "wrong"},
            "GITHUB_TOKEN",
        ),
        ({"PATH": "gh"}, "gh auth token (127.0.0.1)"),
    ],
    ids=[
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "not GH_ENTERPRISE_TOKEN",
        "not GITHUB_ENTERPRISE_TOKEN",
        "gh",
    ],
)
def test_rotate_says_where_the_operator_credential_came_from(
    ccat: Ccat,
    rotate_args: list[str],
    case: RotationCase,
    env: Mapping[str, str],
    source: str,
    assert_no_leak: NoLeak,
) -> None:
    given = {**NO_CREDENTIALS, **env}
    if given.get("PATH") == "gh":
        given["PATH"] = fake_gh(case.tmp_path, ROTATION_OPERATOR_TOKEN)
    result = ccat(*rotate_args, "--dry-run", input=case.token + "\n", env=given)
    assert result.exit_code == 0, result.output
    assert first_line(result.stderr) == (
        f"Operator credential from {source}; 8 repositories of {case.graph} at {case.hub.url}"
    )
    # The credential named is the one used: the public keys were read with it.
    keys = {r.token_login for r in case.hub.requests if r.path.endswith("/public-key")}
    assert keys == {OPERATOR_LOGIN}
    assert None not in {r.token_login for r in case.hub.requests}  # no unknown token sent
    assert ROTATION_OPERATOR_TOKEN not in result.output
    assert_no_leak(result.stdout, result.stderr)


@pytest.mark.parametrize(
    ("host", "source", "url"),
    [
        # Round two: localhost is this machine (GH_TOKEN, SPEC §2.2); github.com on its
        # default port is api.github.com.
        ("localhost", "GH_TOKEN", "https://localhost/api/v3"),
        ("ghe.example.org", "GH_ENTERPRISE_TOKEN", "https://ghe.example.org/api/v3"),
        ("github.com", "GH_TOKEN", "https://api.github.com"),
        ("GitHub.com:443", "GH_TOKEN", "https://api.github.com"),
    ],
)
def test_gh_host_chooses_the_api_and_the_credential(
    ccat: Ccat, graph_file: Path, tmp_path: Path, host: str, source: str, url: str
) -> None:
    env = {
        **NO_CREDENTIALS,
        "GH_HOST": host,
        "GH_ENTERPRISE_TOKEN": "enterprise-credential",
        "GH_TOKEN": "dotcom-credential",
    }
    # No token on standard input: the command stops (exit 2) before any request, right
    # after saying which API and credential it would use.
    args = [
        "pat",
        "rotate",
        "--yes",
        "--graph",
        str(graph_file),
        "--journal",
        str(tmp_path / "j.json"),
    ]
    result = ccat(*args, input="\n", env=env)
    assert result.exit_code == 2, result.output
    assert first_line(result.stderr) == (
        f"Operator credential from {source}; 8 repositories of {graph_file} at {url}"
    )
    assert "no token given" in result.stderr
    assert "credential" not in result.stdout and "dotcom-credential" not in result.output
    assert "enterprise-credential" not in result.output


def test_rotate_json_prints_the_outcome_on_stdout_and_messages_on_stderr(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    result = ccat(*rotate_args, "--json", "--write-interval", "0", input=case.token + "\n")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # nothing else on stdout
    assert set(document) == OUTCOME_KEYS
    assert document["outcome"] == "completed" and document["failure"] is None
    assert document["secret"] == "GH_PAT" and document["org"] == "ccatobs"
    assert document["operator"] == OPERATOR_LOGIN
    assert document["new_token"] == {
        "login": "ccat-ci-bot",
        "kind": "classic",
        "expires_at": "2027-02-01T00:00:00Z",
        "expiry_unreadable": None,
    }
    assert document["updated"] == case.targets and document["not_updated"] == []
    assert [t["repository"] for t in document["targets"]] == case.targets
    assert {t["state"] for t in document["targets"]} == {"updated"}
    assert [item["action"] for item in document["plan"]] == ["set"] * len(case.targets)
    # Every message went to stderr.
    assert "Operator credential from GH_TOKEN" in result.stderr
    assert "Preflight OK" in result.stderr
    assert all(f"✓ {repository}: created" in result.stderr for repository in case.targets)
    assert "rotated in all" not in result.stdout
    assert_no_leak(result.stdout, result.stderr)


def test_rotate_json_of_a_stopped_run_names_the_failure(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    case.hub.add_fault(Fault("PUT", secret_path(case.targets[3]), status=403, message=FORBIDDEN))
    args = [*rotate_args, "--json", *ONE_BY_ONE]
    result = ccat(*args, input=case.token + "\n")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["outcome"] == "stopped"
    assert document["updated"] == case.targets[:3] and document["not_updated"] == case.targets[3:]
    failure = document["failure"]
    assert failure["repository"] == case.targets[3] and failure["http_status"] == 403
    assert failure["error"] == FORBIDDEN and "permission" in failure["hint"]
    assert "✗ Rotation stopped at" in result.stderr and "--resume" in result.stderr
    assert_no_leak(result.stdout, result.stderr)


def assert_operator_only(hub: FakeHub) -> None:
    """Every request carried the operator's credential; none was a write."""
    assert hub.requests, "nothing was checked"
    assert {request.token_login for request in hub.requests} == {OPERATOR_LOGIN}
    assert puts(hub) == []
    paths = {request.path for request in hub.requests}
    assert "/user" in paths  # the operator's own login, for the plan
    assert all(not path.endswith("/actions/runs") for path in paths)  # a new-token check


def test_a_dry_run_without_a_token_checks_keys_and_shows_the_plan(
    ccat: Ccat, rotate_args: list[str], case: RotationCase
) -> None:
    # A journal from an earlier run must stay exactly as it is.
    earlier = ccat(*rotate_args, "--write-interval", "0", input=case.token + "\n")
    assert earlier.exit_code == 0, earlier.output
    before = on_disk(case.journal)
    case.hub.reset_log()

    result = ccat(*rotate_args, "--dry-run", input="")
    assert result.exit_code == 0, result.output
    assert "the new token was not checked" in result.stdout
    assert "Dry run: nothing was written and the journal is unchanged." in result.stdout
    assert all(f"│ {repository} " in result.stdout for repository in case.targets[:1])
    assert f"Public keys fetched for {len(case.targets)} repositories" in result.stdout
    assert_operator_only(case.hub)
    assert {r.path for r in case.hub.requests if r.path.endswith("/public-key")} == {
        f"/repos/{repository}/actions/secrets/public-key" for repository in case.targets
    }
    assert on_disk(case.journal) == before

    case.hub.reset_log()
    as_json = ccat(*rotate_args, "--dry-run", "--json", input="\n")
    assert as_json.exit_code == 0, as_json.output
    document = json.loads(as_json.stdout)
    assert document["outcome"] == "dry-run" and document["new_token"] is None
    assert document["run_id"] is None and document["secret"] == "GH_PAT"
    assert [item["repository"] for item in document["plan"]] == case.targets
    assert_operator_only(case.hub)
    assert on_disk(case.journal) == before


def test_a_dry_run_with_a_token_still_checks_it(
    ccat: Ccat, rotate_args: list[str], case: RotationCase
) -> None:
    result = ccat(*rotate_args, "--dry-run", input=case.token + "\n")
    assert result.exit_code == 0, result.output
    assert "not checked" not in result.output
    assert "ccat-ci-bot" in {request.token_login for request in case.hub.requests}
    assert puts(case.hub) == [] and not case.journal.exists()


@pytest.mark.slow
def test_enter_at_the_hidden_prompt_is_a_dry_run_without_a_token(
    rotate_args: list[str], hub: FakeHub, journal_path: Path
) -> None:
    controller, side = pty.openpty()
    env = environment({"GH_TOKEN": hub.operator_token, "COLUMNS": "80", "NO_COLOR": "1"})

    def controlling_terminal() -> None:  # runs in the child: the pty becomes its /dev/tty
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [sys.executable, "-m", "ccat", *rotate_args, "--dry-run"],
        stdin=side,
        stdout=side,
        stderr=side,
        env=env,
        start_new_session=True,
        preexec_fn=controlling_terminal,  # only an ioctl, before exec
    )
    os.close(side)
    screen = b""
    deadline = time.monotonic() + 60
    while b"Paste GH_PAT token: " not in screen:
        assert time.monotonic() < deadline and process.poll() is None, screen
        screen += os.read(controller, 4096)
    os.write(controller, b"\r")  # Enter, nothing typed
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0, screen
    text = " ".join(screen.decode().split())
    assert "the new token was not checked" in text
    assert "Dry run: nothing was written and the journal is unchanged." in text
    assert "Rotate GH_PAT in" not in text  # no question: nothing will be written
    assert_operator_only(hub)
    assert not journal_path.exists()
