"""Preflight proves the new token where CI needs it (SPEC §4.2, issue 9.1), through the
engine against the emulator: each way a token can be wrong is refused with zero writes
and a failure naming the cause; a good token passes and only its kind is journaled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ccat.fakehub import FakeHub, TokenSpec
from ccat.pat.errors import InvalidNewTokenError, PreflightError
from ccat.pat.github import open_client
from ccat.pat.graph import load_graph
from ccat.pat.journal import Journal
from ccat.pat.rotation import RotateOptions, RotationOutcome
from ccat.pat.settings import ClientSettings
from tests.rotation_support import (
    ROTATION_OPERATOR_TOKEN,
    SECRET,
    TARGETS,
    current,
    on_disk,
    puts,
    run_rotation,
)

pytestmark = pytest.mark.anyio

TOKEN_LOGIN = "ccat-ci-bot"


async def rotate(
    hub: FakeHub, graph: Path, journal: Path, token: str, **fields: Any
) -> RotationOutcome:
    """One rotation through a real client, writes back to back."""
    settings = ClientSettings(api_url=hub.url, token=ROTATION_OPERATOR_TOKEN, budget=0)
    options = RotateOptions(
        connect=lambda: open_client(settings),
        journal=Journal(journal),
        graph=load_graph(graph),
        secret=SECRET,
        api_url=hub.url,
        operator_token=ROTATION_OPERATOR_TOKEN,
        new_token=token,
        write_interval=0,
        **fields,
    )
    return await run_rotation(options)


def assert_zero_writes(hub: FakeHub, journal: Path) -> None:
    """No PUT reached the emulator, no secret was stored, no journal was made."""
    assert puts(hub) == []
    assert all(hub.secret(repo, SECRET) is None for repo in TARGETS)
    assert on_disk(journal) is None


async def test_a_fine_grained_token_without_the_third_repository_is_refused(
    hub: FakeHub, graph_file: Path, journal_path: Path
) -> None:
    token = "github_pat_" + "A" * 30
    third = TARGETS[2]
    hub.add_token(token, TokenSpec(TOKEN_LOGIN, repositories=set(TARGETS) - {third}))
    with pytest.raises(PreflightError) as caught:
        await rotate(hub, graph_file, journal_path, token)
    assert_zero_writes(hub, journal_path)
    (failure,) = caught.value.failures
    assert failure.subject == third
    assert "the new token cannot read Actions in this repository (HTTP 404" in failure.reason
    assert failure.hint is not None and "Only select repositories" in failure.hint
    # The other repositories were proven with the new token, not just skipped.
    proven = {r.path for r in hub.requests if r.token_login == TOKEN_LOGIN}
    assert {f"/repos/{repo}/actions/runs" for repo in TARGETS} <= proven


async def test_a_classic_token_without_the_workflow_scope_is_refused(
    hub: FakeHub, graph_file: Path, journal_path: Path
) -> None:
    token = "ghp_" + "B" * 36
    hub.add_token(token, TokenSpec(TOKEN_LOGIN, kind="classic", scopes=("repo",)))
    with pytest.raises(PreflightError) as caught:
        await rotate(hub, graph_file, journal_path, token)
    assert_zero_writes(hub, journal_path)
    (failure,) = caught.value.failures
    assert failure.subject == "the new token"
    assert failure.reason == "a classic token without the scope workflow (it has: repo)"


async def test_a_classic_token_without_either_scope_names_both(
    hub: FakeHub, graph_file: Path, journal_path: Path
) -> None:
    token = "ghp_" + "C" * 36
    hub.add_token(token, TokenSpec(TOKEN_LOGIN, kind="classic", scopes=("gist",)))
    with pytest.raises(PreflightError) as caught:
        await rotate(hub, graph_file, journal_path, token)
    assert_zero_writes(hub, journal_path)
    reasons = [f.reason for f in caught.value.failures if f.subject == "the new token"]
    assert reasons == ["a classic token without the scopes repo and workflow (it has: gist)"]


async def test_the_operator_credential_itself_is_refused_before_any_request(
    hub: FakeHub, graph_file: Path, journal_path: Path
) -> None:
    with pytest.raises(InvalidNewTokenError) as caught:
        await rotate(hub, graph_file, journal_path, ROTATION_OPERATOR_TOKEN)
    assert "the new token is the operator credential itself" in caught.value.message
    assert caught.value.exit_code == 2
    assert hub.requests == []
    assert_zero_writes(hub, journal_path)


async def test_a_403_quotes_the_permission_github_says_is_needed(
    hub: FakeHub, graph_file: Path, journal_path: Path
) -> None:
    token = "github_pat_" + "D" * 30
    hub.add_token(token, TokenSpec(TOKEN_LOGIN, permissions={"metadata": "read"}))
    with pytest.raises(PreflightError) as caught:
        await rotate(hub, graph_file, journal_path, token)
    assert_zero_writes(hub, journal_path)
    failures = caught.value.failures
    assert [f.subject for f in failures] == list(TARGETS)
    for failure in failures:
        assert "cannot read Actions in this repository (HTTP 403" in failure.reason
        assert failure.hint is not None
        assert failure.hint.endswith("GitHub says this request needs: actions=read")


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [("github_pat_", "fine-grained"), ("ghp_", "classic"), ("gho_", "other")],
)
async def test_a_good_token_passes_and_only_its_kind_is_journaled(
    hub: FakeHub, graph_file: Path, journal_path: Path, prefix: str, kind: str
) -> None:
    token = prefix + "E" * 36
    spec = TokenSpec(TOKEN_LOGIN, kind="classic") if kind == "classic" else TOKEN_LOGIN
    hub.add_token(token, spec)
    outcome = await rotate(hub, graph_file, journal_path, token)
    assert outcome.completed
    assert {repo for repo in TARGETS if (s := hub.secret(repo, SECRET)) and s.value == token} == (
        set(TARGETS)
    )
    run = current(journal_path)
    assert run.token.kind == kind and run.token.login == TOKEN_LOGIN
    raw = on_disk(journal_path) or b""
    assert f'"kind":"{kind}"'.encode() in raw.replace(b" ", b"")
    assert token.encode() not in raw and b"E" * 36 not in raw
