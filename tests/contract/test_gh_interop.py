"""The real GitHub CLI and ccat share secrets through the emulator, both ways.

`gh` reaches the emulator as GitHub's development host `github.localhost`: for that host
it speaks plain HTTP to `http://api.github.localhost/` and takes the credential from
GH_TOKEN; `HTTP_PROXY` (honoured by Go's HTTP client for any host but `localhost` and
loopback addresses) sends those requests to the emulator, which accepts a proxy's
absolute request targets. Nothing leaves 127.0.0.1. Every request `gh` sends is also
validated against GitHub's OpenAPI description.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub
from tests.contract.description import Contract
from tests.support.emulator import NEW_TOKEN, OPERATOR_TOKEN, REPOSITORIES

GH = shutil.which("gh")
pytestmark = [
    pytest.mark.skipif(
        GH is None, reason="the GitHub CLI `gh` is not installed (apt-get install gh)"
    ),
    pytest.mark.slow,
]
Gh = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def gh(fakehub: FakeHub, tmp_path: Path) -> Gh:
    """`gh(*args, input=None)`: the GitHub CLI, logged in as the operator on the emulator."""
    assert GH is not None
    home = tmp_path / "gh-home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GH_CONFIG_DIR": str(home / "config"),
        "GH_HOST": "github.localhost",
        "GH_TOKEN": OPERATOR_TOKEN,
        "HTTP_PROXY": fakehub.url,
        "GH_NO_UPDATE_NOTIFIER": "1",
        "GH_PROMPT_DISABLED": "1",
        "NO_COLOR": "1",
    }

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [GH, *args], input=input, env=env, capture_output=True, text=True, timeout=30
        )

    return run


def _gh_requests_are_described(hub: FakeHub, github: Contract) -> list[str]:
    """Validate what gh sent; the `METHOD path` of each request."""
    sent = []
    for request in hub.requests:
        assert request.headers["user-agent"].startswith("GitHub CLI")
        assert request.token_login is not None  # gh sent the operator credential
        query = dict(pair.split("=", 1) for pair in request.query.split("&") if pair)
        github.check_request(request.method, request.path, query, request.headers, request.json)
        sent.append(f"{request.method} {request.path}")
    return sent


def _status(ccat: Callable[..., Result], hub: FakeHub, graph: Path) -> dict[str, dict[str, str]]:
    result = ccat("pat", "status", "--json", "--graph", str(graph), "--api-url", hub.url)
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)
    return {entry["repository"]: entry for entry in report["repositories"]}


def test_a_secret_set_by_gh_is_seen_by_ccat_status(
    fakehub: FakeHub, github: Contract, gh: Gh, ccat: Callable[..., Result], graph_file: Path
) -> None:
    value = "ghp_set-by-the-github-cli"
    done = gh("secret", "set", "GH_PAT", "--repo", "ccatobs/ops-db", input=value + "\n")
    assert done.returncode == 0, done.stderr
    assert _gh_requests_are_described(fakehub, github) == [
        "GET /repos/ccatobs/ops-db/actions/secrets/public-key",
        "PUT /repos/ccatobs/ops-db/actions/secrets/GH_PAT",
    ]
    assert [r.status for r in fakehub.requests] == [200, 201]
    stored = fakehub.secret("ccatobs/ops-db", "GH_PAT")
    assert stored is not None
    assert stored.value == value  # gh sealed it for the emulator's key; the hub opened it

    seen = _status(ccat, fakehub, graph_file)
    assert seen["ccatobs/ops-db"]["state"] == "present"
    assert seen["ccatobs/ops-db"]["updated_at"] == stored.updated_at
    assert seen["ccatobs/ops-db-api"]["state"] == "missing"


def test_a_secret_rotated_by_ccat_is_listed_by_gh(
    fakehub: FakeHub,
    github: Contract,
    gh: Gh,
    ccat: Callable[..., Result],
    rotate_args: list[str],
) -> None:
    # A second, older secret: its date differs from the rotation's, so a date printed
    # from the wrong secret, or not from the emulator at all, would be caught.
    fakehub.set_secret("ccatobs/ops-db", "OTHER_SECRET", "x", updated_at="2024-01-02T03:04:05Z")
    rotated = ccat(*rotate_args, input=NEW_TOKEN + "\n")
    assert rotated.exit_code == 0, rotated.output
    fakehub.reset_log()

    for repository in REPOSITORIES:
        stored = fakehub.secret(repository, "GH_PAT")
        assert stored is not None
        listed = gh("secret", "list", "--repo", repository)
        assert listed.returncode == 0, listed.stderr
        rows = dict(line.split("\t")[:2] for line in listed.stdout.splitlines() if line)
        # gh 2.23 prints the date when not on a terminal; later versions the timestamp.
        assert rows["GH_PAT"] in (stored.updated_at, stored.updated_at[:10]), listed.stdout
    other = dict(
        line.split("\t")[:2]
        for line in gh("secret", "list", "--repo", "ccatobs/ops-db").stdout.splitlines()
    )
    assert other["OTHER_SECRET"] in ("2024-01-02T03:04:05Z", "2024-01-02")

    # `gh api` shows the exact timestamp the emulator stored at the rotation.
    stored = fakehub.secret("ccatobs/ops-db", "GH_PAT")
    assert stored is not None
    shown = gh("api", "repos/ccatobs/ops-db/actions/secrets/GH_PAT")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["updated_at"] == stored.updated_at
    sent = _gh_requests_are_described(fakehub, github)
    assert sent.count("GET /repos/ccatobs/ops-db/actions/secrets") == 2


def test_a_secret_deleted_by_gh_is_missing_for_ccat(
    fakehub: FakeHub, github: Contract, gh: Gh, ccat: Callable[..., Result], graph_file: Path
) -> None:
    fakehub.set_secret("ccatobs/ops-db-api", "GH_PAT", "v")
    assert _status(ccat, fakehub, graph_file)["ccatobs/ops-db-api"]["state"] == "present"
    fakehub.reset_log()
    done = gh("secret", "delete", "GH_PAT", "--repo", "CCATOBS/OPS-DB-API")
    assert done.returncode == 0, done.stderr
    assert _gh_requests_are_described(fakehub, github) == [
        "DELETE /repos/CCATOBS/OPS-DB-API/actions/secrets/GH_PAT"
    ]
    assert fakehub.secret("ccatobs/ops-db-api", "GH_PAT") is None
    assert _status(ccat, fakehub, graph_file)["ccatobs/ops-db-api"]["state"] == "missing"


def test_gh_reports_the_emulators_error_answers(fakehub: FakeHub, gh: Gh) -> None:
    failed = gh("secret", "list", "--repo", "ccatobs/no-such-repository")
    assert failed.returncode != 0
    assert "HTTP 404" in failed.stderr
    assert "Not Found" in failed.stderr
