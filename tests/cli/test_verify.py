"""`ccat pat verify` (issue 18, item 1; SPEC §11) against the emulator: the token CI
holds, from $GH_PAT or standard input, proven with the token itself — valid, not
about to expire, a classic token's scopes, and Actions readable in every repository —
with the exit codes of §11, and never a character of it in any output or file."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, Fault, TokenSpec
from tests.support.rotation import TARGETS, check_no_leak

Ccat = Callable[..., Result]
LOGIN = "ccat-ci-bot"


@pytest.fixture
def token() -> str:
    """The token CI holds: fine-grained, every repository, expiring in 60 days."""
    return "github_pat_" + secrets.token_hex(20)


@pytest.fixture
def live(hub: FakeHub, token: str) -> Iterator[str]:
    in_60_days = datetime.now(UTC) + timedelta(days=60, hours=1)
    hub.add_token(token, TokenSpec(LOGIN, expires_at=in_60_days.strftime("%Y-%m-%d %H:%M:%S UTC")))
    yield token


def verify(
    ccat: Ccat, hub: FakeHub, graph_file: Path, *args: str, token: str | None, stdin: str = ""
) -> Result:
    """`ccat pat verify` with `token` in GH_PAT (None: unset, `stdin` then is read)."""
    env = {"GH_PAT": token, "GH_TOKEN": None}
    common = ["--graph", str(graph_file), "--api-url", hub.url]
    return ccat("pat", "verify", *common, *args, input=stdin, env=env)


def one_line(text: str) -> str:
    return " ".join(text.split())


def no_leak(token: str, tmp_path: Path, *results: Result) -> None:
    check_no_leak(token, tmp_path, [text for r in results for text in (r.stdout, r.stderr)])


def test_a_good_token_is_exit_0_with_its_expiry_shown(
    ccat: Ccat, hub: FakeHub, graph_file: Path, live: str, tmp_path: Path
) -> None:
    result = verify(ccat, hub, graph_file, token=live)
    assert result.exit_code == 0, result.output
    said = one_line(result.stdout)
    expires = (datetime.now(UTC) + timedelta(days=60, hours=1)).strftime("%Y-%m-%d")
    assert f"Token from GH_PAT: {LOGIN} (fine-grained), expires {expires} (in 60 days)" in said
    assert result.stdout.count("✓ reads Actions") == len(TARGETS)
    assert f"OK: the token from GH_PAT — valid, reads Actions in all {len(TARGETS)}" in said
    assert "warning" not in said
    # With the token itself, never the operator credential; nothing but reads.
    assert {r.token_login for r in hub.requests} == {LOGIN}
    assert {r.method for r in hub.requests} == {"GET"}
    runs = sorted(r.path for r in hub.requests if r.path.endswith("/actions/runs"))
    assert runs == sorted(f"/repos/{t}/actions/runs" for t in TARGETS)
    assert all(r.query == "per_page=1" for r in hub.requests if r.path.endswith("/runs"))
    no_leak(live, tmp_path, result)


def test_a_token_without_one_repository_is_exit_1_naming_it(
    ccat: Ccat, hub: FakeHub, graph_file: Path, token: str, tmp_path: Path
) -> None:
    missing = TARGETS[4]
    hub.add_token(token, TokenSpec(LOGIN, repositories=set(TARGETS) - {missing}))
    result = verify(ccat, hub, graph_file, token=token)
    assert result.exit_code == 1, result.output
    said = one_line(result.stdout)
    assert f"{missing}: HTTP 404: Not Found" in said
    assert re.search(rf"│ {re.escape(missing)} +│ ✗ HTTP 404 +│", result.stdout)
    assert result.stdout.count("✓ reads Actions") == len(TARGETS) - 1
    assert f"reads Actions in {len(TARGETS) - 1} of {len(TARGETS)} repositories" in said
    assert "'Only select repositories' may miss some" in one_line(result.stderr)
    assert "an owner must approve it" not in result.output  # it reaches the others
    document = json.loads(verify(ccat, hub, graph_file, "--json", token=token).stdout)
    states = {row["repository"]: row["state"] for row in document["repositories"]}
    assert states.pop(missing) == "unreachable"
    assert set(states.values()) == {"reachable"}
    assert document["ok"] is False
    no_leak(token, tmp_path, result)


def test_a_revoked_token_is_exit_1_said_once(
    ccat: Ccat, hub: FakeHub, graph_file: Path, live: str, tmp_path: Path
) -> None:
    revoked = httpx.post(f"{hub.url}/credentials/revoke", json={"credentials": [live]})
    assert revoked.status_code == 202
    hub.reset_log()
    result = verify(ccat, hub, graph_file, token=live)
    assert result.exit_code == 1, result.output
    said = one_line(result.stdout)
    assert "Token from GH_PAT: rejected by GitHub (HTTP 401: Bad credentials)" in said
    assert said.count("GitHub rejected the token from GH_PAT") == 1
    assert "NOT OK: the token from GH_PAT — rejected by GitHub" in said
    assert "create a new token and rotate it" in one_line(result.stderr)
    # Said once: GitHub was asked who the token is, and no repository was.
    assert [r.path for r in hub.requests] == ["/user"]
    no_leak(live, tmp_path, result)


@pytest.mark.parametrize("days", [13, 3, 0])
def test_an_expiry_within_warn_days_warns_and_fails_only_with_strict(
    ccat: Ccat, hub: FakeHub, graph_file: Path, token: str, days: int, tmp_path: Path
) -> None:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days, hours=2)
    hub.add_token(token, TokenSpec(LOGIN, expires_at=expires.strftime("%Y-%m-%d %H:%M:%S UTC")))
    lenient = verify(ccat, hub, graph_file, token=token)
    assert lenient.exit_code == 0, lenient.output
    said = one_line(lenient.stdout)
    when = "within a day" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    day = expires.strftime("%Y-%m-%d")
    assert f"⚠ token expiry: the token ({LOGIN}) expires on {day}, {when}" in said
    strict = verify(ccat, hub, graph_file, "--strict", token=token)
    assert strict.exit_code == 1, strict.output
    # Two hours beyond the window: no warning, even with --strict.
    window = str(max(days - 1, 0))
    quiet = verify(ccat, hub, graph_file, "--strict", "--warn-days", window, token=token)
    assert quiet.exit_code == 0, quiet.output
    assert "token expiry" not in quiet.stdout
    no_leak(token, tmp_path, lenient, strict, quiet)


def test_a_classic_token_without_workflow_is_exit_1(
    ccat: Ccat, hub: FakeHub, graph_file: Path, tmp_path: Path
) -> None:
    classic = "ghp_" + secrets.token_hex(18)
    hub.add_token(classic, TokenSpec(LOGIN, kind="classic", scopes=("repo",)))
    result = verify(ccat, hub, graph_file, token=classic)
    assert result.exit_code == 1, result.output
    said = one_line(result.stdout)
    assert f"{LOGIN} (classic), GitHub sent no expiry date; scopes: repo" in said
    assert "a classic token without the scope workflow (it has: repo)" in said
    assert "missing 1 scope" in said
    no_leak(classic, tmp_path, result)


def test_a_repository_without_an_answer_is_exit_3(
    ccat: Ccat, hub: FakeHub, graph_file: Path, live: str
) -> None:
    path = f"/repos/{TARGETS[1]}/actions/runs"
    hub.add_fault(Fault("GET", path, status=502, count=None, message="Bad Gateway"))
    result = verify(ccat, hub, graph_file, "--json", token=live)
    assert result.exit_code == 3, result.output
    document = json.loads(result.stdout)
    (row,) = [r for r in document["repositories"] if r["state"] != "reachable"]
    assert row == {
        "repository": TARGETS[1],
        "state": "error",
        "http_status": 502,
        "error": "HTTP 502: Bad Gateway",
        "accepted_permissions": None,
    }


def test_a_token_awaiting_approval_gets_the_policy_hint(
    ccat: Ccat, hub: FakeHub, graph_file: Path, token: str
) -> None:
    hub.add_token(token, TokenSpec(LOGIN, pending_approval=True))
    result = verify(ccat, hub, graph_file, token=token)
    assert result.exit_code == 1, result.output
    assert "an owner must approve it first" in one_line(result.stderr)
    assert f"reads Actions in 0 of {len(TARGETS)} repositories" in one_line(result.stdout)


def test_an_installation_token_is_verified_too(ccat: Ccat, hub: FakeHub, graph_file: Path) -> None:
    app = "ghs_" + secrets.token_hex(18)
    hub.add_token(app, "rotator[bot]")
    result = verify(ccat, hub, graph_file, token=app)
    assert result.exit_code == 0, result.output
    said = one_line(result.stdout)
    assert f"GitHub App installation (reaching {len(TARGETS)} repositories)" in said


def test_the_token_comes_from_stdin_or_another_variable_never_argv(
    ccat: Ccat, hub: FakeHub, graph_file: Path, live: str, tmp_path: Path
) -> None:
    piped = verify(ccat, hub, graph_file, token=None, stdin=live + "\n")
    assert piped.exit_code == 0, piped.output
    assert "Token from standard input:" in one_line(piped.stdout)
    other = ccat(
        "pat",
        "verify",
        "--graph",
        str(graph_file),
        "--api-url",
        hub.url,
        "--token-env",
        "OLD_PAT",
        env={"OLD_PAT": live, "GH_PAT": None},
    )
    assert other.exit_code == 0, other.output
    assert "Token from OLD_PAT:" in one_line(other.stdout)
    no_leak(live, tmp_path, piped, other)


@pytest.mark.parametrize(
    ("env", "stdin", "said"),
    [
        ({"GH_PAT": None}, "", "no token given: standard input was empty; nothing was checked"),
        ({"GH_PAT": "  "}, "", "(GH_PAT is unset or empty)"),
        ({"GH_PAT": "ghp_has a space"}, "", "GH_PAT contains a space"),
        ({"GH_PAT": None}, "gh\x01p\n", "the token contains a control character"),
    ],
    ids=["unset", "blank", "a space", "control character"],
)
def test_no_token_or_a_malformed_one_is_exit_2_before_any_request(
    ccat: Ccat, hub: FakeHub, graph_file: Path, env: dict[str, str | None], stdin: str, said: str
) -> None:
    args = ["pat", "verify", "--graph", str(graph_file), "--api-url", hub.url]
    result = ccat(*args, input=stdin, env=env)
    assert result.exit_code == 2, result.output
    assert said in one_line(result.stderr)
    assert hub.requests == []
    assert "has a space" not in result.output and "\x01" not in result.output


def test_a_bad_token_env_name_is_exit_2(ccat: Ccat, hub: FakeHub, graph_file: Path) -> None:
    args = ["pat", "verify", "--graph", str(graph_file), "--api-url", hub.url]
    result = ccat(*args, "--token-env", "GH-PAT")
    assert result.exit_code == 2
    assert "--token-env 'GH-PAT' is not an environment variable's name" in result.stderr
    assert hub.requests == []


def test_markdown_and_json_say_the_same_and_never_the_token(
    ccat: Ccat, hub: FakeHub, graph_file: Path, live: str, tmp_path: Path
) -> None:
    hub.set_expiry(live, datetime.now(UTC) + timedelta(days=5, hours=1))
    markdown = verify(ccat, hub, graph_file, "--format", "markdown", token=live)
    document = verify(ccat, hub, graph_file, "--json", token=live)
    assert markdown.exit_code == document.exit_code == 0
    data = json.loads(document.stdout)
    assert data["token"]["login"] == LOGIN and data["token"]["days_left"] == 5
    assert [w["kind"] for w in data["warnings"]] == ["expiry"]
    assert markdown.stdout.startswith("### GH_PAT token in ccatobs\n")
    assert "| ccatobs/ops-db | ✅ reads Actions |" in markdown.stdout
    # The person who ran it hears the warning on stderr.
    assert "warning: the token (ccat-ci-bot) expires on" in one_line(document.stderr)
    no_leak(live, tmp_path, markdown, document)


def test_a_token_without_the_actions_permission_is_told_so_not_about_policies(
    ccat: Ccat, hub: FakeHub, graph_file: Path, token: str
) -> None:
    hub.add_token(token, TokenSpec(LOGIN, permissions={"metadata": "read"}))
    result = verify(ccat, hub, graph_file, token=token)
    assert result.exit_code == 1, result.output
    said = one_line(result.stderr)
    assert "GitHub says it needs: actions=read" in said
    assert "an owner must approve it" not in said
