"""`ccat pat revoke` counts every copy CI reads (SPEC §10, §11): a Dependabot or
environment copy that the newest rotation did not write, or that could not be checked,
is named in the refusal, with nothing sent to `POST /credentials/revoke`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, TokenSpec

Ccat = Callable[..., Result]
REVOKE = "/credentials/revoke"


@pytest.fixture
def old_token(hub: FakeHub) -> str:
    token = "github_pat_" + secrets.token_hex(20)
    hub.add_token(token, TokenSpec("ccat-ci-bot-2025"))
    return token


def revoke(ccat: Ccat, hub: FakeHub, graph_file: Path, journal_path: Path, token: str) -> Result:
    args = ["pat", "revoke", "--graph", str(graph_file), "--api-url", hub.url]
    return ccat(*args, "--journal", str(journal_path), "--yes", input=token + "\n")


def rotate(ccat: Ccat, rotate_args: list[str], token: str, *extra: str) -> None:
    done = ccat(*rotate_args, "--write-interval", "0", *extra, input=token + "\n")
    assert done.exit_code == 0, done.output


def test_a_copy_the_last_rotation_left_out_is_named_and_nothing_is_sent(
    ccat: Ccat,
    hub: FakeHub,
    rotate_args: list[str],
    graph_file: Path,
    journal_path: Path,
    targets: list[str],
    old_token: str,
    new_token: str,
) -> None:
    dependabot, environment = targets[1], targets[2]
    rotate(ccat, rotate_args, old_token)
    # Copies set long before the rotations (they hold an older token still).
    long_ago = datetime.now(UTC) - timedelta(days=40)
    hub.set_secret(dependabot, "GH_PAT", old_token, store="dependabot", updated_at=long_ago)
    hub.set_secret(
        environment, "GH_PAT", old_token, store="environment:production", updated_at=long_ago
    )
    rotate(ccat, rotate_args, new_token, "--stores", "actions")
    hub.reset_log()
    refused = revoke(ccat, hub, graph_file, journal_path, old_token)
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.stdout.split())
    assert "✗ Not revoked: 2 copies may still use this token" in said
    assert f"{dependabot} (dependabot)" in said
    assert f"{environment} (environment:production)" in said
    for other in targets:
        if other not in (dependabot, environment):
            assert other not in said
    assert [r for r in hub.requests if r.path == REVOKE] == []

    # Once a rotation writes them too, nothing is in the way.
    rotate(ccat, rotate_args, new_token)
    accepted = revoke(ccat, hub, graph_file, journal_path, old_token)
    assert accepted.exit_code == 0, accepted.output
    (sent,) = [r for r in hub.requests if r.path == REVOKE]
    assert sent.json == {"credentials": [old_token]}
    assert "authorization" not in sent.headers
    for result in (refused, accepted):
        assert old_token not in result.output and new_token not in result.output


def test_a_store_the_credential_cannot_read_is_in_the_way(
    ccat: Ccat,
    hub: FakeHub,
    rotate_args: list[str],
    graph_file: Path,
    journal_path: Path,
    targets: list[str],
    old_token: str,
    new_token: str,
) -> None:
    rotate(ccat, rotate_args, old_token)
    rotate(ccat, rotate_args, new_token)
    reader = "ghp_" + secrets.token_hex(18)
    # May read the Actions secrets, not the Dependabot store: its copies are unknown.
    hub.add_token(
        reader,
        TokenSpec("reader", permissions={"secrets": "read", "environments": "read"}),
    )
    hub.reset_log()
    args = ["pat", "revoke", "--graph", str(graph_file), "--api-url", hub.url]
    refused = ccat(
        *args,
        "--journal",
        str(journal_path),
        "--yes",
        input=old_token + "\n",
        env={"GH_TOKEN": reader},
    )
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.stdout.split())
    assert "could not be checked" in said and "(dependabot)" in said
    assert [r for r in hub.requests if r.path == REVOKE] == []
