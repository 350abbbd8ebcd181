"""`ccat pat rotate` refuses a new token that would break CI (SPEC §4.2, issue 9.1): each
cause is named on stderr, the exit code says what kind of failure it is, nothing is
written, and the token is in no output or file."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, Fault, TokenSpec
from tests.support.rotation import (
    ROTATION_OPERATOR_TOKEN,
    SECRET,
    TARGETS,
    NoLeak,
    RotationCase,
    current,
    on_disk,
    puts,
)

Ccat = Callable[..., Result]
TOKEN_LOGIN = "ccat-ci-bot"


def assert_zero_writes(hub: FakeHub, journal: Path) -> None:
    assert puts(hub) == []
    assert all(hub.secret(repo, SECRET) is None for repo in TARGETS)
    assert on_disk(journal) is None


def one_line(text: str) -> str:
    """stderr with its wrapping undone, to look for a sentence."""
    return " ".join(text.split())


def test_a_token_missing_a_repository_is_refused_naming_it(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    case.hub.add_token(case.token, TokenSpec(TOKEN_LOGIN, repositories=set(TARGETS) - {TARGETS[2]}))
    result = ccat(*rotate_args, input=case.token + "\n")
    assert result.exit_code == 1, result.output
    said = one_line(result.stderr)
    assert f"✗ {TARGETS[2]}: the new token cannot read Actions in this repository" in said
    assert "nothing was written" in said
    assert all(f"✗ {repo}:" not in said for repo in TARGETS if repo != TARGETS[2])
    assert_zero_writes(case.hub, case.journal)
    assert_no_leak(result.stdout, result.stderr)


def test_a_classic_token_without_workflow_is_refused_naming_the_scope(
    ccat: Ccat, rotate_args: list[str], case: RotationCase
) -> None:
    case.hub.add_token(case.token, TokenSpec(TOKEN_LOGIN, kind="classic", scopes=("repo",)))
    result = ccat(*rotate_args, input=case.token + "\n")
    assert result.exit_code == 1, result.output
    said = one_line(result.stderr)
    assert "✗ the new token: a classic token without the scope workflow (it has: repo)" in said
    assert "add the repo and workflow scopes" in said
    assert_zero_writes(case.hub, case.journal)
    assert case.token not in result.output


def test_the_operator_credential_as_the_new_token_is_exit_2_without_a_request(
    ccat: Ccat, rotate_args: list[str], hub: FakeHub, journal_path: Path
) -> None:
    result = ccat(*rotate_args, input=ROTATION_OPERATOR_TOKEN + "\n")
    assert result.exit_code == 2, result.output
    said = one_line(result.stderr)
    assert "the new token is the operator credential itself (GH_TOKEN)" in said
    assert hub.requests == []
    assert_zero_writes(hub, journal_path)
    assert ROTATION_OPERATOR_TOKEN not in result.output


def test_a_403_quotes_x_accepted_github_permissions_in_the_hint(
    ccat: Ccat, rotate_args: list[str], case: RotationCase
) -> None:
    case.hub.add_token(case.token, TokenSpec(TOKEN_LOGIN, permissions={"metadata": "read"}))
    result = ccat(*rotate_args, input=case.token + "\n")
    assert result.exit_code == 1, result.output
    said = one_line(result.stderr)
    # Issue 15: one line for the failure they share, with their count and every name.
    assert said.count("cannot read Actions in this repository (HTTP 403") == 1
    assert f"— {len(TARGETS)} repositories:" in said
    assert all(target in said for target in TARGETS)
    # One hint for all of them, quoting what GitHub said the request needs.
    assert said.count("GitHub says this request needs: actions=read") == 1
    assert_zero_writes(case.hub, case.journal)


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [("github_pat_", "fine-grained"), ("ghp_", "classic"), ("ghu_", "other")],
)
def test_a_good_token_rotates_and_its_kind_is_journaled(
    ccat: Ccat, rotate_args: list[str], hub: FakeHub, journal_path: Path, prefix: str, kind: str
) -> None:
    token = prefix + "F" * 36
    hub.add_token(
        token, TokenSpec(TOKEN_LOGIN, kind="classic") if kind == "classic" else TOKEN_LOGIN
    )
    result = ccat(*rotate_args, "--write-interval", "0", input=token + "\n")
    assert result.exit_code == 0, result.output
    run = current(journal_path)
    assert (run.state, run.token.kind, run.token.login) == ("completed", kind, TOKEN_LOGIN)
    assert token not in result.output
    assert token.encode() not in (on_disk(journal_path) or b"")


def test_a_token_awaiting_the_organisations_approval_is_refused_saying_so(
    ccat: Ccat,
    rotate_args: list[str],
    hub: FakeHub,
    journal_path: Path,
    assert_no_leak: NoLeak,
) -> None:
    # Issue 18, item 5: GitHub knows the token, and it reaches no private repository.
    pending = "github_pat_" + "0123456789abcdef" * 3
    hub.add_token(pending, TokenSpec(TOKEN_LOGIN, pending_approval=True))
    result = ccat(*rotate_args, input=pending + "\n")
    assert result.exit_code == 1, result.output
    said = one_line(result.stderr)
    assert (
        f"the new token: GitHub knows it (GET /user), but it cannot read any of the "
        f"{len(TARGETS)} repositories" in said
    )
    assert "an owner must approve it first" in said
    assert "its lifetime exceeds the organisation's maximum" in said
    assert said.count("an owner must approve it") == 1  # one line per cause
    assert_zero_writes(hub, journal_path)
    assert pending not in result.output


def test_a_token_beyond_the_organisations_lifetime_gets_the_same_hint(
    ccat: Ccat, rotate_args: list[str], hub: FakeHub, journal_path: Path
) -> None:
    token = "github_pat_" + "fedcba9876543210" * 3
    hub.add_token(token, TokenSpec(TOKEN_LOGIN))
    message = (
        "The 'ccatobs' organization forbids access via a fine-grained personal access "
        "tokens if the token's lifetime is greater than 366 days."
    )
    runs = re.compile(r"/repos/.*/actions/runs")
    hub.add_fault(Fault("GET", runs, status=403, count=None, message=message))
    result = ccat(*rotate_args, input=token + "\n")
    assert result.exit_code == 1, result.output
    said = one_line(result.stderr)
    assert "lifetime is greater than 366 days" in said
    assert "its lifetime exceeds the organisation's maximum" in said
    assert_zero_writes(hub, journal_path)


def test_a_token_missing_only_some_repositories_gets_no_policy_hint(
    ccat: Ccat, rotate_args: list[str], hub: FakeHub
) -> None:
    token = "github_pat_" + "00112233445566778899" * 2
    hub.add_token(token, TokenSpec(TOKEN_LOGIN, repositories={TARGETS[0]}))
    result = ccat(*rotate_args, input=token + "\n")
    assert result.exit_code == 1, result.output
    said = one_line(result.stderr)
    assert "an owner must approve it" not in said
    assert "'Only select repositories' may miss some" in said
