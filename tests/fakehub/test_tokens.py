"""What each kind of token may see and do, over real HTTP: access, permissions, scopes,
expiry, tokens added while serving."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ccat.fakehub import FakeHub, TokenSpec
from tests.support.emulator import (
    NEW_TOKEN,
    NEW_TOKEN_EXPIRATION,
    OPERATOR_TOKEN,
    REPOSITORIES,
    auth,
)

OPS_DB = "/repos/ccatobs/ops-db"
SECRETS = f"{OPS_DB}/actions/secrets"
ORG_SECRET = "/orgs/ccatobs/actions/secrets/GH_PAT"

# Every endpoint on a repository, and the permission a fine-grained token needs for it.
REPOSITORY_ENDPOINTS = [
    ("GET", OPS_DB, "metadata=read"),
    ("GET", f"{OPS_DB}/actions/runs", "actions=read"),
    ("GET", SECRETS, "secrets=read"),
    ("GET", f"{SECRETS}/public-key", "secrets=read"),
    ("GET", f"{SECRETS}/GH_PAT", "secrets=read"),
    ("GET", f"{OPS_DB}/actions/organization-secrets", "secrets=read"),
    ("PUT", f"{SECRETS}/GH_PAT", "secrets=write"),
    ("DELETE", f"{SECRETS}/GH_PAT", "secrets=write"),
]
ORG_ENDPOINTS = [ORG_SECRET, f"{ORG_SECRET}/repositories"]


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """The emulator with an organisation secret shared with every repository."""
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN) as running:
        running.set_secret("ccatobs/ops-db", "GH_PAT", "v")
        running.set_org_secret("ccatobs", "GH_PAT", "org value")
        yield running


def call(hub: FakeHub, method: str, path: str, token: str) -> httpx.Response:
    """One request as `token`; a PUT carries an (empty) JSON object."""
    body = b"{}" if method == "PUT" else None
    return httpx.request(method, f"{hub.url}{path}", headers=auth(token), content=body)


def test_a_token_known_by_login_only_gets_the_default_spec() -> None:
    spec = TokenSpec("bot")
    assert spec.kind == "fine-grained"
    assert dict(spec.permissions) == {"metadata": "read", "actions": "read"}
    assert spec.repositories is None
    assert spec.expires_at is None


@pytest.mark.parametrize(("method", "path", "needed"), REPOSITORY_ENDPOINTS)
def test_a_fine_grained_token_without_the_permission_gets_403_naming_it(
    hub: FakeHub, method: str, path: str, needed: str
) -> None:
    hub.add_token("powerless", TokenSpec("powerless-bot", permissions={}))
    response = call(hub, method, path, "powerless")
    assert response.status_code == 403
    assert response.json()["message"] == "Resource not accessible by personal access token"
    assert response.headers["x-accepted-github-permissions"] == needed


@pytest.mark.parametrize(("method", "path", "needed"), REPOSITORY_ENDPOINTS)
def test_a_fine_grained_token_with_the_permission_is_served(
    hub: FakeHub, method: str, path: str, needed: str
) -> None:
    permission, level = needed.split("=")
    hub.add_token("exact", TokenSpec("exact-bot", permissions={permission: level}))
    response = call(hub, method, path, "exact")
    # The PUT body is empty, so GitHub would refuse it with 422: past the permission check.
    assert response.status_code == (422 if method == "PUT" else 204 if method == "DELETE" else 200)
    assert "x-accepted-github-permissions" not in response.headers


def test_write_includes_read_and_read_is_not_write(hub: FakeHub) -> None:
    hub.add_token("writer", TokenSpec("w", permissions={"secrets": "write"}))
    hub.add_token("reader", TokenSpec("r", permissions={"secrets": "read"}))
    assert call(hub, "GET", f"{SECRETS}/GH_PAT", "writer").status_code == 200
    refused = call(hub, "DELETE", f"{SECRETS}/GH_PAT", "reader")
    assert refused.status_code == 403
    assert refused.headers["x-accepted-github-permissions"] == "secrets=write"
    assert hub.secret("ccatobs/ops-db", "GH_PAT") is not None


@pytest.mark.parametrize(("method", "path", "needed"), REPOSITORY_ENDPOINTS)
def test_a_repository_outside_the_token_selection_is_404_everywhere(
    hub: FakeHub, method: str, path: str, needed: str
) -> None:
    every = {"metadata": "read", "actions": "read", "secrets": "write"}
    elsewhere = TokenSpec("bot", permissions=every, repositories={"CCATOBS/System-Integration"})
    hub.add_token("selective", elsewhere)
    response = call(hub, method, path, "selective")
    assert response.status_code == 404
    assert response.json()["message"] == "Not Found"
    inside = path.replace("ops-db", "system-integration")
    assert call(hub, "GET", inside.split("/actions")[0], "selective").status_code == 200


def test_the_default_token_reads_runs_everywhere_and_no_secret(hub: FakeHub) -> None:
    hub.add_token("gh-pat", "ccat-ci-bot")
    for repository in REPOSITORIES:
        runs = call(hub, "GET", f"/repos/{repository}/actions/runs?per_page=1", "gh-pat")
        assert runs.status_code == 200, repository
        assert runs.json() == {"total_count": 0, "workflow_runs": []}
        key = call(hub, "GET", f"/repos/{repository}/actions/secrets/public-key", "gh-pat")
        assert key.status_code == 403
        assert key.headers["x-accepted-github-permissions"] == "secrets=read"


def test_a_classic_token_sends_its_scopes_and_needs_repo(hub: FakeHub) -> None:
    hub.add_token("ghp_full", TokenSpec("c", kind="classic", scopes=("repo", "workflow")))
    hub.add_token("ghp_thin", TokenSpec("t", kind="classic", scopes=("workflow", "read:org")))
    for method, path, _ in REPOSITORY_ENDPOINTS:
        full = call(hub, method, path, "ghp_full")
        assert full.status_code in (200, 204, 422), path
        assert full.headers["x-oauth-scopes"] == "repo, workflow"
        thin = call(hub, method, path, "ghp_thin")
        assert thin.status_code == 404, path  # GitHub hides private repositories
        assert thin.headers["x-oauth-scopes"] == "workflow, read:org"
    user = call(hub, "GET", "/user", "ghp_thin")
    assert user.status_code == 200
    assert user.headers["x-oauth-scopes"] == "workflow, read:org"
    assert "x-oauth-scopes" not in call(hub, "GET", "/user", NEW_TOKEN).headers


def test_the_operator_is_a_classic_token_that_may_do_everything(hub: FakeHub) -> None:
    for method, path, _ in REPOSITORY_ENDPOINTS:
        assert call(hub, method, path, OPERATOR_TOKEN).status_code in (200, 204, 422)
        hub.set_secret("ccatobs/ops-db", "GH_PAT", "v")
    for path in ORG_ENDPOINTS:
        response = call(hub, "GET", path, OPERATOR_TOKEN)
        assert response.status_code == 200
        assert response.headers["x-oauth-scopes"] == "repo, workflow"


@pytest.mark.parametrize("path", ORG_ENDPOINTS)
def test_organisation_endpoints_need_organisation_secrets_read(hub: FakeHub, path: str) -> None:
    hub.add_token("org-reader", TokenSpec("o", permissions={"organization_secrets": "read"}))
    hub.add_token("ghp_admin", TokenSpec("a", kind="classic", scopes=("repo", "admin:org")))
    hub.add_token("ghp_repo", TokenSpec("r", kind="classic", scopes=("repo", "workflow")))
    hub.add_token("gh-pat", "ccat-ci-bot")
    assert call(hub, "GET", path, "org-reader").status_code == 200
    assert call(hub, "GET", path, "ghp_admin").status_code == 200
    default = call(hub, "GET", path, "gh-pat")
    assert default.status_code == 403
    assert default.headers["x-accepted-github-permissions"] == "organization_secrets=read"
    classic = call(hub, "GET", path, "ghp_repo")
    assert classic.status_code == 403
    assert classic.headers["x-accepted-oauth-scopes"] == "admin:org"
    unknown_org = path.replace("/orgs/ccatobs/", "/orgs/nobody/")
    assert call(hub, "GET", unknown_org, "org-reader").status_code == 404


def test_an_expiry_is_sent_on_every_answer_and_a_past_one_is_401() -> None:
    future = "2099-12-31 23:59:59 UTC"
    tokens: dict[str, str | TokenSpec] = {
        "soon": TokenSpec("bot", expires_at=future),
        "by-mapping": "other-bot",
        "gone": TokenSpec("old-bot", expires_at="2001-01-01 00:00:00 UTC"),
    }
    expirations = {"by-mapping": NEW_TOKEN_EXPIRATION, OPERATOR_TOKEN: future}
    with FakeHub(
        REPOSITORIES, operator_token=OPERATOR_TOKEN, tokens=tokens, token_expirations=expirations
    ) as hub:
        for path in ["/user", OPS_DB, f"{SECRETS}/public-key", "/nope"]:
            header = call(hub, "GET", path, "soon").headers
            assert header["github-authentication-token-expiration"] == future, path
            header = call(hub, "GET", path, "by-mapping").headers
            assert header["github-authentication-token-expiration"] == NEW_TOKEN_EXPIRATION
            gone = call(hub, "GET", path, "gone")
            assert gone.status_code == 401
            assert gone.json()["message"] == "Bad credentials"
        operator = call(hub, "GET", OPS_DB, OPERATOR_TOKEN)
        assert operator.headers["github-authentication-token-expiration"] == future
        assert [r.token_login for r in hub.requests[:3]] == ["bot", "other-bot", "old-bot"]


def test_add_token_works_while_serving_and_can_replace_a_spec(hub: FakeHub) -> None:
    assert call(hub, "GET", "/user", "late").status_code == 401
    hub.add_token("late", "late-bot")
    assert call(hub, "GET", "/user", "late").json()["login"] == "late-bot"
    assert call(hub, "GET", f"{SECRETS}/GH_PAT", "late").status_code == 403
    hub.add_token("late", TokenSpec("late-bot", permissions={"secrets": "read"}))
    assert call(hub, "GET", f"{SECRETS}/GH_PAT", "late").status_code == 200
    ids = {call(hub, "GET", "/user", t).json()["id"] for t in (OPERATOR_TOKEN, "late")}
    assert len(ids) == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"kind": "oauth"},
        {"permissions": {"secrets": "everything"}},
        {"expires_at": "2027-02-01"},
        {"scopes": "repo"},
    ],
)
def test_a_malformed_spec_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        TokenSpec("bot", **bad)  # type: ignore[arg-type]


def test_repositories_become_a_frozenset() -> None:
    spec = TokenSpec("bot", repositories={"o/a", "o/b"})
    assert spec.repositories == frozenset({"o/a", "o/b"})
