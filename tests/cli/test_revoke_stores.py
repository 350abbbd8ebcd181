"""`ccat pat revoke` counts every copy CI reads (SPEC §10, §11): a Dependabot or
environment copy that the newest rotation did not write, or that could not be checked,
is named in the refusal, with nothing sent to `POST /credentials/revoke`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, TokenSpec
from tests.support.rotation import RotationCase

Ccat = Callable[..., Result]
REVOKE = "/credentials/revoke"


@pytest.fixture
def old_token(hub: FakeHub) -> str:
    token = "github_pat_" + secrets.token_hex(20)
    hub.add_token(token, TokenSpec("ccat-ci-bot-2025"))
    return token


def revoke(ccat: Ccat, case: RotationCase, token: str, **env: str) -> Result:
    """`ccat pat revoke --yes` of the case's graph and journal, `token` on standard input."""
    args = ["pat", "revoke", "--graph", str(case.graph), "--api-url", case.hub.url]
    return ccat(*args, "--journal", str(case.journal), "--yes", input=token + "\n", env=env)


def rotate(ccat: Ccat, rotate_args: list[str], token: str, *extra: str) -> None:
    done = ccat(*rotate_args, "--write-interval", "0", *extra, input=token + "\n")
    assert done.exit_code == 0, done.output


def test_a_copy_the_last_rotation_left_out_is_named_and_nothing_is_sent(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, old_token: str
) -> None:
    dependabot, environment = case.targets[1], case.targets[2]
    rotate(ccat, rotate_args, old_token)
    # Copies set long before the rotations (they hold an older token still).
    long_ago = datetime.now(UTC) - timedelta(days=40)
    case.hub.set_secret(dependabot, "GH_PAT", old_token, store="dependabot", updated_at=long_ago)
    case.hub.set_secret(
        environment, "GH_PAT", old_token, store="environment:production", updated_at=long_ago
    )
    rotate(ccat, rotate_args, case.token, "--stores", "actions")
    case.hub.reset_log()
    refused = revoke(ccat, case, old_token)
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.stdout.split())
    assert "✗ Not revoked: 2 copies may still use this token" in said
    assert f"{dependabot} (dependabot)" in said
    assert f"{environment} (environment:production)" in said
    for other in case.targets:
        if other not in (dependabot, environment):
            assert other not in said
    assert [r for r in case.hub.requests if r.path == REVOKE] == []

    # Once a rotation writes them too, nothing is in the way.
    rotate(ccat, rotate_args, case.token)
    accepted = revoke(ccat, case, old_token)
    assert accepted.exit_code == 0, accepted.output
    (sent,) = [r for r in case.hub.requests if r.path == REVOKE]
    assert sent.json == {"credentials": [old_token]}
    assert "authorization" not in sent.headers
    for result in (refused, accepted):
        assert old_token not in result.output and case.token not in result.output


def test_a_store_the_credential_cannot_read_is_in_the_way(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, old_token: str
) -> None:
    rotate(ccat, rotate_args, old_token)
    rotate(ccat, rotate_args, case.token)
    reader = "ghp_" + secrets.token_hex(18)
    # May read the Actions secrets, not the Dependabot store: its copies are unknown.
    case.hub.add_token(
        reader,
        TokenSpec("reader", permissions={"secrets": "read", "environments": "read"}),
    )
    case.hub.reset_log()
    refused = revoke(ccat, case, old_token, GH_TOKEN=reader)
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.stdout.split())
    assert "could not be checked" in said and "(dependabot)" in said
    assert "GitHub says it needs dependabot_secrets=read" in said  # what to grant
    assert [r for r in case.hub.requests if r.path == REVOKE] == []
