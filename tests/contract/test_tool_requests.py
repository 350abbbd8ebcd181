"""Every request the real `ccat pat status` and `ccat pat rotate` send is one GitHub's
OpenAPI description accepts: a described operation, its path and query parameters, and
its JSON body (required fields, types, base64 `encrypted_value`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openapi_core.validation.request.exceptions import (
    InvalidRequestBody,
    ParameterValidationError,
)
from typer.testing import Result

from ccat import __version__
from ccat.fakehub import FakeHub, Fault, LoggedRequest
from tests.contract.description import Contract
from tests.support.emulator import NEW_TOKEN, REPOSITORIES, seal

SECRET = "/repos/ccatobs/ops-db/actions/secrets/GH_PAT"


def _check_all(github: Contract, logged: list[LoggedRequest]) -> dict[str, int]:
    """Validate each logged request; how many requests each operation had."""
    seen: dict[str, int] = {}
    for request in logged:
        query = dict(pair.split("=", 1) for pair in request.query.split("&") if pair)
        operation_id = github.check_request(
            request.method, request.path, query, request.headers, request.json
        )
        # GitHub's REST documentation (and SPEC §2.2) asks for these on every request.
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"].startswith(f"ccat/{__version__}")
        assert request.headers["authorization"] == "<redacted>"  # sent, and never logged
        seen[operation_id] = seen.get(operation_id, 0) + 1
    return seen


def _copies(hub: FakeHub) -> None:
    """A Dependabot copy in ops-db, a `production` copy in ops-db-api, an empty `staging`."""
    hub.set_secret("ccatobs/ops-db", "GH_PAT", "old", store="dependabot")
    hub.set_secret("ccatobs/ops-db-api", "GH_PAT", "old", store="environment:production")
    hub.add_environment("ccatobs/ops-db-api", "staging")


def test_status_sends_only_requests_github_describes(
    fakehub: FakeHub, github: Contract, ccat: Callable[..., Result], graph_file: Path
) -> None:
    fakehub.set_secret("ccatobs/ops-db", "GH_PAT", "v", updated_at="2026-02-21T22:17:46Z")
    _copies(fakehub)
    result = ccat("pat", "status", "--graph", str(graph_file), "--api-url", fakehub.url)
    assert result.exit_code == 1, result.output  # two repositories lack the secret
    seen = _check_all(github, fakehub.requests)
    # One secrets list per target and store, each environment's list, and the
    # organisation's list, which decides every fallback.
    assert seen == {
        "actions/list-repo-secrets": 3,
        "actions/list-org-secrets": 1,
        "dependabot/list-repo-secrets": 3,
        "repos/get-all-environments": 3,
        "actions/list-environment-secrets": 2,
    }
    # An organisation secret for private repositories: the organisation's repositories;
    # without its list, each missing repository's view of the organisation's secrets.
    fakehub.set_org_secret("ccatobs", "GH_PAT", "org", visibility="private")
    fakehub.reset_log()
    args = ["--graph", str(graph_file), "--api-url", fakehub.url, "--stores", "actions"]
    assert ccat("pat", "status", *args).exit_code == 0
    assert _check_all(github, fakehub.requests) == {
        "actions/list-repo-secrets": 3,
        "actions/list-org-secrets": 1,
        "repos/list-for-org": 1,
    }
    fakehub.add_fault(Fault("GET", "/orgs/ccatobs/actions/secrets", 403, None, "Forbidden"))
    fakehub.reset_log()
    assert ccat("pat", "status", *args).exit_code == 0
    assert _check_all(github, [r for r in fakehub.requests if r.status != 403]) == {
        "actions/list-repo-secrets": 3,
        "actions/list-repo-organization-secrets": 2,
    }


def test_rotate_sends_only_requests_github_describes(
    fakehub: FakeHub,
    github: Contract,
    ccat: Callable[..., Result],
    rotate_args: list[str],
) -> None:
    fakehub.set_secret("ccatobs/ops-db", "GH_PAT", "old value")
    _copies(fakehub)
    result = ccat(*rotate_args, input=NEW_TOKEN + "\n")
    assert result.exit_code == 0, result.output
    logged = fakehub.requests
    seen = _check_all(github, logged)
    assert seen == {
        "users/get-authenticated": 2,  # the operator's login and the new token's
        "actions/list-workflow-runs-for-repo": 3,  # the new token can read Actions
        # Where the copies are: each store of each target, each environment.
        "dependabot/list-repo-secrets": 3,
        "repos/get-all-environments": 3,
        "actions/list-environment-secrets": 2,
        # Each pair's key, then its write.
        "actions/get-repo-public-key": 3,
        "actions/create-or-update-repo-secret": 3,
        "dependabot/get-repo-public-key": 1,
        "dependabot/create-or-update-repo-secret": 1,
        "actions/get-environment-public-key": 1,
        "actions/create-or-update-environment-secret": 1,
    }
    puts = [request for request in logged if request.method == "PUT"]
    assert sorted(request.status or 0 for request in puts) == [201, 201, 204, 204, 204]
    assert all(request.headers["content-type"] == "application/json" for request in puts)
    for repository in REPOSITORIES:
        stored = fakehub.secret(repository, "GH_PAT")
        assert stored is not None
        assert stored.value == NEW_TOKEN
    for repository, store in (
        ("ccatobs/ops-db", "dependabot"),
        ("ccatobs/ops-db-api", "environment:production"),
    ):
        copy = fakehub.secret(repository, "GH_PAT", store)
        assert copy is not None and copy.value == NEW_TOKEN
    assert fakehub.secrets("ccatobs/ops-db-api", "environment:staging") == []


def test_the_request_check_is_not_vacuous(fakehub: FakeHub, github: Contract) -> None:
    key_id, key = fakehub.public_key("ccatobs/ops-db")
    good = {"encrypted_value": seal(key, "v"), "key_id": key_id}
    headers = {"content-type": "application/json"}
    assert (
        github.check_request("PUT", SECRET, {}, headers, good)
        == "actions/create-or-update-repo-secret"
    )
    for bad in [
        {"encrypted_value": "not base64!", "key_id": key_id},  # the description's pattern
        {"encrypted_value": good["encrypted_value"]},  # key_id is required
        {"encrypted_value": good["encrypted_value"], "key_id": 5},  # and a string
    ]:
        with pytest.raises(InvalidRequestBody):
            github.check_request("PUT", SECRET, {}, headers, bad)
    with pytest.raises(ParameterValidationError, match="per_page"):
        github.check_request(
            "GET", "/repos/ccatobs/ops-db/actions/secrets", {"per_page": "many"}, {}, None
        )
    with pytest.raises(AssertionError, match="no operation"):
        github.check_request("POST", SECRET, {}, headers, good)


def test_verify_sends_only_requests_github_describes(
    fakehub: FakeHub, github: Contract, ccat: Callable[..., Result], graph_file: Path
) -> None:
    result = ccat(
        "pat",
        "verify",
        "--graph",
        str(graph_file),
        "--api-url",
        fakehub.url,
        env={"GH_PAT": NEW_TOKEN},
    )
    assert result.exit_code == 0, result.output
    assert _check_all(github, fakehub.requests) == {
        "users/get-authenticated": 1,  # the token itself: who, its expiry and scopes
        "actions/list-workflow-runs-for-repo": 3,  # it reads Actions everywhere
    }
    assert {r.token_login for r in fakehub.requests} == {"ccat-ci-bot"}  # with itself only


def test_revoke_sends_only_requests_github_describes_the_revocation_without_a_token(
    fakehub: FakeHub,
    github: Contract,
    ccat: Callable[..., Result],
    graph_file: Path,
    tmp_path: Path,
) -> None:
    journal = str(tmp_path / "journal.json")
    common = ["--graph", str(graph_file), "--api-url", fakehub.url, "--journal", journal]
    rotated = ccat(
        "pat", "rotate", "--yes", "--write-interval", "0", *common, input=NEW_TOKEN + "\n"
    )
    assert rotated.exit_code == 0, rotated.output
    old = "ghp_" + "0123456789abcdef" * 2
    fakehub.add_token(old, "previous-bot")
    fakehub.reset_log()
    result = ccat("pat", "revoke", "--yes", *common, input=old + "\n")
    assert result.exit_code == 0, result.output
    logged = fakehub.requests
    (revocation,) = [r for r in logged if r.path == "/credentials/revoke"]
    assert "authorization" not in revocation.headers
    assert (
        github.check_request("POST", revocation.path, {}, revocation.headers, revocation.json)
        == "credentials/revoke"
    )
    assert _check_all(github, [r for r in logged if r is not revocation]) == {
        # every copy in every store, with the operator credential
        "actions/list-repo-secrets": 3,
        "dependabot/list-repo-secrets": 3,
        "repos/get-all-environments": 3,
        "actions/list-org-secrets": 1,
        "users/get-authenticated": 2,  # the token to revoke, and the operator
    }
