"""The requests of the contract tests: every operation of GitHub's description, with every
kind of answer the emulator can give to it, and the status GitHub would answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from ccat.fakehub import FakeHub, Fault, PointsLimit, RateLimitMode, TokenSpec
from tests.support.emulator import NEW_TOKEN, OPERATOR_TOKEN, seal

REPO = "/repos/ccatobs/ops-db"
SECRETS = f"{REPO}/actions/secrets"
SECRET = f"{SECRETS}/GH_PAT"
RUNS = f"{REPO}/actions/runs"
REPO_ORG_SECRETS = f"{REPO}/actions/organization-secrets"
ORG_SECRET = "/orgs/ccatobs/actions/secrets/GH_PAT"
INSTALLATION_REPOSITORIES = "/installation/repositories"
REVOKE = "/credentials/revoke"
SELECTED = f"{ORG_SECRET}/repositories"
DEPENDABOT = f"{REPO}/dependabot/secrets"
ENVIRONMENTS = f"{REPO}/environments"
ENVIRONMENT = f"{ENVIRONMENTS}/production/secrets"
ORG_SECRETS = "/orgs/ccatobs/actions/secrets"
ORG_REPOS = "/orgs/ccatobs/repos"
UNKNOWN = "/repos/ccatobs/no-such-repository"
WRONG = "not-a-known-token"
OPS_DB = "ccatobs/ops-db"
ONE = {"per_page": "1"}  # a page of one item

# Tokens every case's hub knows besides the operator's and NEW_TOKEN (the default spec).
EXPIRED = "expired-token"
POWERLESS = "token-without-permissions"
ELSEWHERE = "token-for-another-repository"
CLASSIC = "classic-token-with-repo"
CLASSIC_WITHOUT_REPO = "classic-token-without-repo"
EVERYTHING = "fine-grained-token-with-every-permission"
INSTALLATION = "ghs_installation-token-of-an-app"
SELECTED_INSTALLATION = "ghs_installation-token-of-two-repositories"
PENDING = "github_pat_token-awaiting-approval"
_EVERY_PERMISSION = {
    "metadata": "read",
    "actions": "read",
    "secrets": "write",
    "organization_secrets": "read",
    "dependabot_secrets": "write",
    "environments": "write",
}
TOKENS = {
    EXPIRED: TokenSpec("expired-bot", expires_at="2020-01-01 00:00:00 UTC"),
    POWERLESS: TokenSpec("powerless-bot", permissions={}),
    ELSEWHERE: TokenSpec(
        "elsewhere-bot",
        permissions=_EVERY_PERMISSION,
        repositories=frozenset({"ccatobs/system-integration"}),
    ),
    CLASSIC: TokenSpec("classic-bot", kind="classic", scopes=("repo", "workflow", "admin:org")),
    CLASSIC_WITHOUT_REPO: TokenSpec("workflow-bot", kind="classic", scopes=("workflow",)),
    EVERYTHING: TokenSpec("ci-bot", permissions=_EVERY_PERMISSION),
    INSTALLATION: TokenSpec(
        "ccat-rotator[bot]", kind="installation", permissions=_EVERY_PERMISSION
    ),
    SELECTED_INSTALLATION: TokenSpec(
        "ccat-rotator[bot]",
        kind="installation",
        permissions=_EVERY_PERMISSION,
        repositories=frozenset({"ccatobs/ops-db", "ccatobs/ops-db-api"}),
    ),
    PENDING: TokenSpec("pending-bot", pending_approval=True),
}

Setup = Callable[[FakeHub], None]
Scope = Literal["user", "repository", "organization"]


def nothing(hub: FakeHub) -> None:
    """No preparation."""


def with_secret(hub: FakeHub) -> None:
    """GH_PAT in ccatobs/ops-db."""
    hub.set_secret(
        "ccatobs/ops-db",
        "GH_PAT",
        "old value",
        created_at="2025-11-01T08:00:00Z",
        updated_at="2026-02-21T22:17:46Z",
    )


def with_two_secrets(hub: FakeHub) -> None:
    """GH_PAT and OTHER in ccatobs/ops-db."""
    with_secret(hub)
    hub.set_secret("ccatobs/ops-db", "OTHER", "other value")


def with_dependabot_secret(hub: FakeHub) -> None:
    """GH_PAT and OTHER in ccatobs/ops-db's Dependabot store."""
    for name in ("GH_PAT", "OTHER"):
        hub.set_secret("ccatobs/ops-db", name, "dependabot value", store="dependabot")


def with_environments(hub: FakeHub) -> None:
    """Environments `production` (GH_PAT and OTHER) and `staging` (none) in ops-db."""
    for name in ("GH_PAT", "OTHER"):
        hub.set_secret("ccatobs/ops-db", name, "env value", store="environment:production")
    hub.add_environment("ccatobs/ops-db", "staging")


def store_sealed(store: str) -> Callable[[FakeHub], Any]:
    """A PUT body sealed for a store of ccatobs/ops-db."""

    def body(hub: FakeHub) -> Any:
        if store.startswith("environment:"):  # made here when the setup made none
            hub.add_environment("ccatobs/ops-db", store.removeprefix("environment:"))
        key_id, key = hub.public_key("ccatobs/ops-db", store)
        return {"encrypted_value": seal(key, "new value"), "key_id": key_id}

    return body


def with_runs(hub: FakeHub) -> None:
    """Three workflow runs in ccatobs/ops-db."""
    hub.set_workflow_runs("ccatobs/ops-db", 3)


def org_secret(visibility: Literal["all", "private", "selected"], *selected: str) -> Setup:
    """An organisation secret GH_PAT of ccatobs (and another one, OTHER, shared with all)."""

    def setup(hub: FakeHub) -> None:
        hub.set_org_secret(
            "ccatobs",
            "GH_PAT",
            "org value",
            visibility=visibility,
            selected_repositories=selected,
            created_at="2025-01-01T00:00:00Z",
            updated_at="2026-01-01T00:00:00Z",
        )
        hub.set_org_secret("ccatobs", "OTHER", "other value")

    return setup


def limited(kind: str, status: int) -> Setup:
    """A primary or secondary rate limit, answered with `status`, lasting long enough."""

    def setup(hub: FakeHub) -> None:
        if kind == "primary":
            hub.rate_limit = RateLimitMode("primary", reset_at=2**31 - 1, status=status)
        else:
            hub.rate_limit = RateLimitMode("secondary", retry_after=600, status=status)

    return setup


def budget_spent(hub: FakeHub) -> None:
    """A points budget of 1 per 10 minutes, already spent by one request."""
    hub.points_limit = PointsLimit(points=1, window=600)
    assert httpx.get(f"{hub.url}/", timeout=10).status_code == 401


def both(first: Setup, second: Setup) -> Setup:
    """Two preparations, in order."""

    def setup(hub: FakeHub) -> None:
        first(hub)
        second(hub)

    return setup


def revoking(*credentials: object) -> Callable[[FakeHub], Any]:
    """A revocation's body naming `credentials`."""
    return lambda hub: {"credentials": list(credentials)}


def revoke_limit_spent(hub: FakeHub) -> None:
    """The hour's 60 anonymous revocations used up."""
    for _ in range(60):
        answer = httpx.post(f"{hub.url}{REVOKE}", json={"credentials": ["x"]}, timeout=10)
        assert answer.status_code == 202


def internal_error(hub: FakeHub) -> None:
    """GitHub fails the next revocation (it documents 500 for it)."""
    hub.add_fault(Fault(method="POST", path=REVOKE, status=500, count=1, message="Server Error"))


def sealed(key_id: str | None = None, value: str = "new value") -> Callable[[FakeHub], Any]:
    """A PUT body sealed for ccatobs/ops-db (with another `key_id` when given)."""

    def body(hub: FakeHub) -> Any:
        actual_id, key = hub.public_key("ccatobs/ops-db")
        return {"encrypted_value": seal(key, value), "key_id": key_id or actual_id}

    return body


def sealed_for_another_repository(hub: FakeHub) -> Any:
    """A PUT body sealed for ccatobs/ops-db-api's key but naming ops-db's key id."""
    key_id, _ = hub.public_key("ccatobs/ops-db")
    _, other = hub.public_key("ccatobs/ops-db-api")
    return {"encrypted_value": seal(other, "v"), "key_id": key_id}


@dataclass(frozen=True)
class Case:
    """One request to the emulator and the status GitHub would answer it with."""

    method: str
    path: str
    status: int
    why: str
    token: str | None = OPERATOR_TOKEN
    setup: Setup = nothing
    body: Callable[[FakeHub], Any] | None = None
    raw: bytes | None = None
    query: dict[str, str] = field(default_factory=dict)
    conditional: bool = False  # send If-None-Match with the ETag of a first answer

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} {self.status} {self.why}"


def everywhere(
    method: str,
    path: str,
    scope: Scope,
    body: Callable[[FakeHub], Any] | None = None,
    setup: Setup = nothing,
) -> list[Case]:
    """The answers GitHub gives on every endpoint of a kind: credential, access,
    permission, rate limits, the points budget."""
    cases = [
        Case(method, path, 401, "unknown token", token=WRONG, body=body),
        Case(method, path, 401, "no token", token=None, body=body),
        Case(method, path, 401, "expired token", token=EXPIRED, body=body),
        Case(method, path, 403, "primary limit", setup=limited("primary", 403), body=body),
        Case(method, path, 429, "primary limit", setup=limited("primary", 429), body=body),
        Case(method, path, 403, "secondary limit", setup=limited("secondary", 403), body=body),
        Case(method, path, 429, "secondary limit", setup=limited("secondary", 429), body=body),
        Case(method, path, 429, "points budget", setup=budget_spent, body=body),
    ]
    if scope != "user":
        cases += [
            Case(method, path, 403, "no permission", POWERLESS, setup, body),
        ]
    if scope == "repository":
        cases += [
            Case(method, path, 404, "repository not granted", ELSEWHERE, setup, body),
            Case(method, path, 404, "classic without repo", CLASSIC_WITHOUT_REPO, setup, body),
        ]
    if scope == "organization":
        cases += [
            Case(method, path, 403, "classic without admin:org", CLASSIC_WITHOUT_REPO, setup),
            Case(method, path, 403, "default PAT", NEW_TOKEN, setup),
        ]
    return cases


def _conditional(path: str, setup: Setup = nothing) -> Case:
    return Case("GET", path, 304, "ETag still valid", setup=setup, conditional=True)


CASES: list[Case] = [
    # actions/list-repo-secrets
    Case("GET", SECRETS, 200, "no secret"),
    Case("GET", SECRETS, 200, "one page", setup=with_two_secrets),
    Case("GET", SECRETS, 200, "paginated", setup=with_two_secrets, query=ONE),
    Case(
        "GET",
        SECRETS,
        200,
        "last page",
        setup=with_two_secrets,
        query={"per_page": "1", "page": "2"},
    ),
    Case("GET", "/repos/CCATOBS/OPS-DB/actions/secrets", 200, "any case", setup=with_secret),
    Case("GET", SECRETS, 200, "fine-grained token", EVERYTHING, with_secret),
    Case("GET", SECRETS, 403, "default PAT", NEW_TOKEN),
    Case("GET", f"{UNKNOWN}/actions/secrets", 404, "unknown repository"),
    _conditional(SECRETS, with_secret),
    *everywhere("GET", SECRETS, "repository"),
    # actions/list-repo-organization-secrets
    Case("GET", REPO_ORG_SECRETS, 200, "none"),
    Case("GET", REPO_ORG_SECRETS, 200, "visibility all", setup=org_secret("all")),
    Case("GET", REPO_ORG_SECRETS, 200, "visibility private", setup=org_secret("private")),
    Case(
        "GET",
        REPO_ORG_SECRETS,
        200,
        "selected, this one included",
        setup=org_secret("selected", "ccatobs/ops-db"),
    ),
    Case(
        "GET",
        REPO_ORG_SECRETS,
        200,
        "selected, this one left out",
        setup=org_secret("selected", "ccatobs/ops-db-api"),
    ),
    Case(
        "GET",
        REPO_ORG_SECRETS,
        200,
        "paginated",
        setup=org_secret("all"),
        query={"per_page": "1", "page": "2"},
    ),
    Case("GET", REPO_ORG_SECRETS, 200, "fine-grained token", EVERYTHING, org_secret("all")),
    Case("GET", f"{UNKNOWN}/actions/organization-secrets", 404, "unknown repository"),
    _conditional(REPO_ORG_SECRETS, org_secret("all")),
    *everywhere("GET", REPO_ORG_SECRETS, "repository"),
    # actions/get-repo-public-key
    Case("GET", f"{SECRETS}/public-key", 200, "key"),
    Case("GET", f"{SECRETS}/public-key", 200, "fine-grained token", EVERYTHING),
    Case("GET", f"{SECRETS}/public-key", 200, "classic token", CLASSIC),
    Case("GET", f"{UNKNOWN}/actions/secrets/public-key", 404, "unknown repository"),
    _conditional(f"{SECRETS}/public-key"),
    *everywhere("GET", f"{SECRETS}/public-key", "repository"),
    # actions/get-repo-secret
    Case("GET", SECRET, 200, "present", setup=with_secret),
    Case("GET", f"{SECRETS}/gh_pat", 200, "name in any case", setup=with_secret),
    Case("GET", SECRET, 404, "missing secret"),
    Case("GET", f"{UNKNOWN}/actions/secrets/GH_PAT", 404, "unknown repository"),
    _conditional(SECRET, with_secret),
    *everywhere("GET", SECRET, "repository", setup=with_secret),
    # actions/create-or-update-repo-secret
    Case("PUT", SECRET, 201, "created", body=sealed()),
    Case("PUT", SECRET, 204, "updated", setup=with_secret, body=sealed()),
    Case(
        "PUT",
        f"{SECRETS}/gh_pat",
        204,
        "updated, name in any case",
        setup=with_secret,
        body=sealed(),
    ),
    Case("PUT", SECRET, 201, "fine-grained token", EVERYTHING, body=sealed()),
    Case("PUT", SECRET, 201, "classic token", CLASSIC, body=sealed()),
    Case("PUT", SECRET, 403, "default PAT", NEW_TOKEN, body=sealed()),
    Case("PUT", SECRET, 422, "wrong key_id", body=sealed(key_id="012345678912345678")),
    Case("PUT", SECRET, 422, "sealed for another key", body=sealed_for_another_repository),
    Case("PUT", SECRET, 422, "no key_id", body=lambda hub: {"encrypted_value": "c2VjcmV0"}),
    Case(
        "PUT", SECRET, 422, "not base64", body=lambda hub: {"encrypted_value": "%%", "key_id": "1"}
    ),
    Case("PUT", f"{SECRETS}/GITHUB_TOKEN", 422, "reserved name", body=sealed()),
    Case("PUT", SECRET, 400, "body is not JSON", raw=b"{not json"),
    Case("PUT", f"{UNKNOWN}/actions/secrets/GH_PAT", 404, "unknown repository", body=sealed()),
    *everywhere("PUT", SECRET, "repository", body=sealed()),
    # actions/delete-repo-secret
    Case("DELETE", SECRET, 204, "deleted", setup=with_secret),
    Case("DELETE", SECRET, 204, "fine-grained token", EVERYTHING, with_secret),
    Case("DELETE", SECRET, 404, "missing secret"),
    Case("DELETE", f"{UNKNOWN}/actions/secrets/GH_PAT", 404, "unknown repository"),
    *everywhere("DELETE", SECRET, "repository", setup=with_secret),
    # repos/get
    Case("GET", REPO, 200, "repository"),
    Case("GET", "/repos/CcatObs/Ops-DB", 200, "name in any case"),
    Case("GET", REPO, 200, "default PAT", NEW_TOKEN),
    Case("GET", REPO, 200, "classic token", CLASSIC),
    Case("GET", UNKNOWN, 404, "unknown repository"),
    _conditional(REPO),
    *everywhere("GET", REPO, "repository"),
    # actions/list-workflow-runs-for-repo
    Case("GET", RUNS, 200, "no run"),
    Case("GET", RUNS, 200, "runs", setup=with_runs),
    Case("GET", RUNS, 200, "paginated", setup=with_runs, query={"per_page": "1"}),
    Case("GET", RUNS, 200, "last page", setup=with_runs, query={"per_page": "2", "page": "2"}),
    Case("GET", RUNS, 200, "default PAT", NEW_TOKEN, with_runs, query={"per_page": "1"}),
    Case("GET", RUNS, 200, "classic token", CLASSIC, with_runs),
    Case("GET", f"{UNKNOWN}/actions/runs", 404, "unknown repository"),
    _conditional(RUNS, with_runs),
    *everywhere("GET", RUNS, "repository"),
    # actions/get-org-secret
    Case("GET", ORG_SECRET, 200, "visibility all", setup=org_secret("all")),
    Case("GET", ORG_SECRET, 200, "visibility private", setup=org_secret("private")),
    Case(
        "GET",
        ORG_SECRET,
        200,
        "visibility selected",
        setup=org_secret("selected", "ccatobs/ops-db"),
    ),
    Case("GET", "/orgs/CCATOBS/actions/secrets/gh_pat", 200, "any case", setup=org_secret("all")),
    Case("GET", ORG_SECRET, 200, "fine-grained token", EVERYTHING, org_secret("all")),
    Case("GET", ORG_SECRET, 200, "classic token with admin:org", CLASSIC, org_secret("all")),
    Case("GET", ORG_SECRET, 404, "no such secret"),
    Case("GET", "/orgs/no-such-org/actions/secrets/GH_PAT", 404, "unknown organisation"),
    _conditional(ORG_SECRET, org_secret("all")),
    *everywhere("GET", ORG_SECRET, "organization", setup=org_secret("all")),
    # actions/list-selected-repos-for-org-secret
    Case(
        "GET",
        SELECTED,
        200,
        "two selected",
        setup=org_secret("selected", "ccatobs/ops-db", "ccatobs/ops-db-api"),
    ),
    Case(
        "GET",
        SELECTED,
        200,
        "paginated",
        setup=org_secret("selected", "ccatobs/ops-db", "ccatobs/ops-db-api"),
        query={"per_page": "1"},
    ),
    Case("GET", SELECTED, 200, "visibility all: none selected", setup=org_secret("all")),
    Case("GET", SELECTED, 200, "fine-grained token", EVERYTHING, org_secret("selected")),
    Case("GET", SELECTED, 404, "no such secret"),
    Case("GET", "/orgs/no-such-org/actions/secrets/GH_PAT/repositories", 404, "unknown org"),
    _conditional(SELECTED, org_secret("selected", "ccatobs/ops-db")),
    *everywhere("GET", SELECTED, "organization", setup=org_secret("selected", "ccatobs/ops-db")),
    # dependabot/list-repo-secrets, get-repo-public-key, get, create-or-update, delete
    Case("GET", DEPENDABOT, 200, "no secret"),
    Case("GET", DEPENDABOT, 200, "two", setup=with_dependabot_secret),
    Case("GET", DEPENDABOT, 200, "paginated", setup=with_dependabot_secret, query=ONE),
    Case("GET", DEPENDABOT, 200, "fine-grained token", EVERYTHING, with_dependabot_secret),
    Case("GET", DEPENDABOT, 403, "default PAT", NEW_TOKEN),
    Case("GET", f"{UNKNOWN}/dependabot/secrets", 404, "unknown repository"),
    _conditional(DEPENDABOT, with_dependabot_secret),
    *everywhere("GET", DEPENDABOT, "repository"),
    Case("GET", f"{DEPENDABOT}/public-key", 200, "key"),
    _conditional(f"{DEPENDABOT}/public-key"),
    *everywhere("GET", f"{DEPENDABOT}/public-key", "repository"),
    Case("GET", f"{DEPENDABOT}/GH_PAT", 200, "present", setup=with_dependabot_secret),
    Case("GET", f"{DEPENDABOT}/GH_PAT", 404, "missing secret"),
    _conditional(f"{DEPENDABOT}/GH_PAT", with_dependabot_secret),
    *everywhere("GET", f"{DEPENDABOT}/GH_PAT", "repository", setup=with_dependabot_secret),
    Case("PUT", f"{DEPENDABOT}/GH_PAT", 201, "created", body=store_sealed("dependabot")),
    Case(
        "PUT",
        f"{DEPENDABOT}/GH_PAT",
        204,
        "updated",
        setup=with_dependabot_secret,
        body=store_sealed("dependabot"),
    ),
    Case("PUT", f"{DEPENDABOT}/GH_PAT", 422, "the Actions key", body=sealed()),
    Case("PUT", f"{DEPENDABOT}/GH_PAT", 400, "body is not JSON", raw=b"{not json"),
    *everywhere("PUT", f"{DEPENDABOT}/GH_PAT", "repository", body=store_sealed("dependabot")),
    Case("DELETE", f"{DEPENDABOT}/GH_PAT", 204, "deleted", setup=with_dependabot_secret),
    Case("DELETE", f"{DEPENDABOT}/GH_PAT", 404, "missing secret"),
    *everywhere("DELETE", f"{DEPENDABOT}/GH_PAT", "repository", setup=with_dependabot_secret),
    # repos/get-all-environments
    Case("GET", ENVIRONMENTS, 200, "none"),
    Case("GET", ENVIRONMENTS, 200, "two", setup=with_environments),
    Case("GET", ENVIRONMENTS, 200, "paginated", setup=with_environments, query=ONE),
    Case("GET", ENVIRONMENTS, 200, "fine-grained token", EVERYTHING, with_environments),
    _conditional(ENVIRONMENTS, with_environments),
    *everywhere("GET", ENVIRONMENTS, "repository"),
    # actions/list-environment-secrets, get-environment-public-key, get, put, delete
    Case("GET", ENVIRONMENT, 200, "two", setup=with_environments),
    Case("GET", f"{ENVIRONMENTS}/staging/secrets", 200, "none", setup=with_environments),
    Case("GET", ENVIRONMENT, 200, "paginated", setup=with_environments, query=ONE),
    Case("GET", f"{ENVIRONMENTS}/nowhere/secrets", 404, "unknown environment"),
    _conditional(ENVIRONMENT, with_environments),
    *everywhere("GET", ENVIRONMENT, "repository", setup=with_environments),
    Case("GET", f"{ENVIRONMENT}/public-key", 200, "key", setup=with_environments),
    _conditional(f"{ENVIRONMENT}/public-key", with_environments),
    *everywhere("GET", f"{ENVIRONMENT}/public-key", "repository", setup=with_environments),
    Case("GET", f"{ENVIRONMENT}/GH_PAT", 200, "present", setup=with_environments),
    Case("GET", f"{ENVIRONMENTS}/staging/secrets/GH_PAT", 404, "missing", setup=with_environments),
    _conditional(f"{ENVIRONMENT}/GH_PAT", with_environments),
    *everywhere("GET", f"{ENVIRONMENT}/GH_PAT", "repository", setup=with_environments),
    Case(
        "PUT",
        f"{ENVIRONMENTS}/staging/secrets/GH_PAT",
        201,
        "created",
        setup=with_environments,
        body=store_sealed("environment:staging"),
    ),
    Case(
        "PUT",
        f"{ENVIRONMENT}/GH_PAT",
        204,
        "updated",
        setup=with_environments,
        body=store_sealed("environment:production"),
    ),
    Case(
        "PUT",
        f"{ENVIRONMENT}/GH_PAT",
        422,
        "the Actions key",
        setup=with_environments,
        body=sealed(),
    ),
    Case(
        "PUT",
        f"{ENVIRONMENT}/GH_PAT",
        400,
        "body is not JSON",
        setup=with_environments,
        raw=b"{not json",
    ),
    *everywhere(
        "PUT",
        f"{ENVIRONMENT}/GH_PAT",
        "repository",
        body=store_sealed("environment:production"),
        setup=with_environments,
    ),
    Case("DELETE", f"{ENVIRONMENT}/GH_PAT", 204, "deleted", setup=with_environments),
    Case(
        "DELETE",
        f"{ENVIRONMENTS}/staging/secrets/GH_PAT",
        404,
        "missing",
        setup=with_environments,
    ),
    *everywhere("DELETE", f"{ENVIRONMENT}/GH_PAT", "repository", setup=with_environments),
    # actions/list-org-secrets
    Case("GET", ORG_SECRETS, 200, "two", setup=org_secret("selected", "ccatobs/ops-db")),
    Case("GET", ORG_SECRETS, 200, "paginated", setup=org_secret("all"), query=ONE),
    Case("GET", ORG_SECRETS, 200, "fine-grained token", EVERYTHING, org_secret("all")),
    Case("GET", "/orgs/no-such-org/actions/secrets", 404, "unknown organisation"),
    _conditional(ORG_SECRETS, org_secret("all")),
    *everywhere("GET", ORG_SECRETS, "organization", setup=org_secret("all")),
    # repos/list-for-org: what the token sees
    Case("GET", ORG_REPOS, 200, "three"),
    Case("GET", ORG_REPOS, 200, "paginated", query={"per_page": "2", "page": "2"}),
    Case("GET", ORG_REPOS, 200, "one granted", ELSEWHERE),
    Case("GET", "/orgs/no-such-org/repos", 404, "unknown organisation"),
    _conditional(ORG_REPOS),
    *everywhere("GET", ORG_REPOS, "user"),
    # users/get-authenticated
    Case("GET", "/user", 200, "operator"),
    Case("GET", "/user", 200, "default PAT", token=NEW_TOKEN),
    Case("GET", "/user", 200, "token without permissions", token=POWERLESS),
    Case("GET", "/user", 200, "classic token without repo", token=CLASSIC_WITHOUT_REPO),
    _conditional("/user"),
    *everywhere("GET", "/user", "user"),
    Case("GET", "/user", 403, "installation token: no user", token=INSTALLATION),
    Case("GET", "/user", 200, "token awaiting approval", token=PENDING),
    # apps/list-repos-accessible-to-installation
    Case("GET", INSTALLATION_REPOSITORIES, 200, "every repository", INSTALLATION),
    Case("GET", INSTALLATION_REPOSITORIES, 200, "selected repositories", SELECTED_INSTALLATION),
    Case("GET", INSTALLATION_REPOSITORIES, 200, "paginated", INSTALLATION, query=ONE),
    Case("GET", INSTALLATION_REPOSITORIES, 403, "a personal access token", NEW_TOKEN),
    Case("GET", INSTALLATION_REPOSITORIES, 403, "the operator's classic token"),
    Case(
        "GET",
        INSTALLATION_REPOSITORIES,
        304,
        "ETag still valid",
        INSTALLATION,
        conditional=True,
    ),
    *everywhere("GET", INSTALLATION_REPOSITORIES, "user"),
    # the repositories of an installation, and of a token awaiting approval
    Case("GET", SECRETS, 200, "installation token", INSTALLATION, with_secret),
    Case("GET", RUNS, 200, "installation token", INSTALLATION, with_runs),
    Case("GET", "/repos/ccatobs/system-integration", 404, "not installed", SELECTED_INSTALLATION),
    Case("GET", RUNS, 404, "token awaiting approval", PENDING, with_runs),
    # credentials/revoke: anonymous only
    Case("POST", REVOKE, 202, "one credential", None, body=revoking(NEW_TOKEN)),
    Case("POST", REVOKE, 202, "a thousand", None, body=revoking(*(["x"] * 1000))),
    Case("POST", REVOKE, 202, "unknown credentials", None, body=revoking("ghp_unknown")),
    Case("POST", REVOKE, 422, "no credential", None, body=revoking()),
    Case("POST", REVOKE, 422, "1,001 credentials", None, body=revoking(*(["x"] * 1001))),
    Case("POST", REVOKE, 422, "not strings", None, body=revoking(5)),
    Case("POST", REVOKE, 422, "no list", None, body=lambda hub: {"credentials": "x"}),
    Case("POST", REVOKE, 400, "body is not JSON", None, raw=b"{not json"),
    Case("POST", REVOKE, 403, "authenticated", body=revoking(NEW_TOKEN)),
    Case("POST", REVOKE, 403, "60 an hour", None, revoke_limit_spent, revoking("x")),
    Case("POST", REVOKE, 429, "points budget", None, budget_spent, revoking("x")),
    Case("POST", REVOKE, 500, "GitHub failed", None, internal_error, revoking("x")),
    # rate-limit/get: never rate limited, readable with any valid token
    Case("GET", "/rate_limit", 200, "overview"),
    Case("GET", "/rate_limit", 200, "default PAT", token=NEW_TOKEN),
    Case("GET", "/rate_limit", 200, "while limited", setup=limited("primary", 403)),
    _conditional("/rate_limit"),
    Case("GET", "/rate_limit", 401, "unknown token", token=WRONG),
    Case("GET", "/rate_limit", 401, "expired token", token=EXPIRED),
    Case("GET", "/rate_limit", 429, "points budget", setup=budget_spent),
]
