"""Every operation of GitHub's description, every answer the emulator gives to it, over
real HTTP, validated against the description: status, `Content-Type`, body, headers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.response.exceptions import InvalidData

from ccat.fakehub import FakeHub, RateLimitMode
from tests.conftest import NEW_TOKEN, OPERATOR_TOKEN, seal
from tests.contract.description import BODY_ERRORS, GENERAL_ERRORS, Checked, Contract

REPO = "/repos/ccatobs/ops-db"
SECRETS = f"{REPO}/actions/secrets"
SECRET = f"{SECRETS}/GH_PAT"
UNKNOWN = "/repos/ccatobs/no-such-repository"
WRONG = "not-a-known-token"

Setup = Callable[[FakeHub], None]


def _nothing(hub: FakeHub) -> None:
    """No preparation."""


def _with_secret(hub: FakeHub) -> None:
    hub.set_secret("ccatobs/ops-db", "GH_PAT", "old value", updated_at="2026-02-21T22:17:46Z")


def _with_two_secrets(hub: FakeHub) -> None:
    _with_secret(hub)
    hub.set_secret("ccatobs/ops-db", "OTHER", "other value")


def _limited(kind: str, status: int) -> Setup:
    def setup(hub: FakeHub) -> None:
        if kind == "primary":
            hub.rate_limit = RateLimitMode(
                "primary", reset_at=int(time.time()) + 3600, status=status
            )
        else:
            hub.rate_limit = RateLimitMode("secondary", retry_after=600, status=status)

    return setup


def _sealed(key_id: str | None = None, value: str = "new value") -> Callable[[FakeHub], Any]:
    def body(hub: FakeHub) -> Any:
        actual_id, key = hub.public_key("ccatobs/ops-db")
        return {"encrypted_value": seal(key, value), "key_id": key_id or actual_id}

    return body


def _sealed_for_another_repository(hub: FakeHub) -> Any:
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
    setup: Setup = _nothing
    body: Callable[[FakeHub], Any] | None = None
    raw: bytes | None = None
    query: dict[str, str] = field(default_factory=dict)
    conditional: bool = False  # send If-None-Match with the ETag of a first answer

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} {self.status} {self.why}"


def _everywhere(method: str, path: str, body: Callable[[FakeHub], Any] | None = None) -> list[Case]:
    """The answers GitHub gives on every endpoint: credential, permission, rate limits."""
    return [
        Case(method, path, 401, "unknown token", token=WRONG, body=body),
        Case(method, path, 401, "no token", token=None, body=body),
        Case(method, path, 403, "fresh PAT lacks permission", token=NEW_TOKEN, body=body),
        Case(method, path, 403, "primary limit", setup=_limited("primary", 403), body=body),
        Case(method, path, 429, "primary limit", setup=_limited("primary", 429), body=body),
        Case(method, path, 403, "secondary limit", setup=_limited("secondary", 403), body=body),
        Case(method, path, 429, "secondary limit", setup=_limited("secondary", 429), body=body),
    ]


CASES: list[Case] = [
    # actions/list-repo-secrets
    Case("GET", SECRETS, 200, "no secret"),
    Case("GET", SECRETS, 200, "one page", setup=_with_two_secrets),
    Case("GET", SECRETS, 200, "paginated", setup=_with_two_secrets, query={"per_page": "1"}),
    Case(
        "GET",
        SECRETS,
        200,
        "last page",
        setup=_with_two_secrets,
        query={"per_page": "1", "page": "2"},
    ),
    Case("GET", "/repos/CCATOBS/OPS-DB/actions/secrets", 200, "any case", setup=_with_secret),
    Case("GET", f"{UNKNOWN}/actions/secrets", 404, "unknown repository"),
    *_everywhere("GET", SECRETS),
    # actions/list-repo-organization-secrets
    Case("GET", f"{REPO}/actions/organization-secrets", 200, "none"),
    Case("GET", f"{UNKNOWN}/actions/organization-secrets", 404, "unknown repository"),
    *_everywhere("GET", f"{REPO}/actions/organization-secrets"),
    # actions/get-repo-public-key
    Case("GET", f"{SECRETS}/public-key", 200, "key"),
    Case("GET", f"{UNKNOWN}/actions/secrets/public-key", 404, "unknown repository"),
    *_everywhere("GET", f"{SECRETS}/public-key"),
    # actions/get-repo-secret
    Case("GET", SECRET, 200, "present", setup=_with_secret),
    Case("GET", f"{SECRETS}/gh_pat", 200, "name in any case", setup=_with_secret),
    Case("GET", SECRET, 404, "missing secret"),
    Case("GET", f"{UNKNOWN}/actions/secrets/GH_PAT", 404, "unknown repository"),
    *_everywhere("GET", SECRET),
    # actions/create-or-update-repo-secret
    Case("PUT", SECRET, 201, "created", body=_sealed()),
    Case("PUT", SECRET, 204, "updated", setup=_with_secret, body=_sealed()),
    Case(
        "PUT",
        f"{SECRETS}/gh_pat",
        204,
        "updated, name in any case",
        setup=_with_secret,
        body=_sealed(),
    ),
    Case("PUT", SECRET, 422, "wrong key_id", body=_sealed(key_id="012345678912345678")),
    Case("PUT", SECRET, 422, "sealed for another key", body=_sealed_for_another_repository),
    Case("PUT", SECRET, 422, "no key_id", body=lambda hub: {"encrypted_value": "c2VjcmV0"}),
    Case(
        "PUT", SECRET, 422, "not base64", body=lambda hub: {"encrypted_value": "%%", "key_id": "1"}
    ),
    Case("PUT", f"{SECRETS}/GITHUB_TOKEN", 422, "reserved name", body=_sealed()),
    Case("PUT", SECRET, 400, "body is not JSON", raw=b"{not json"),
    Case("PUT", f"{UNKNOWN}/actions/secrets/GH_PAT", 404, "unknown repository", body=_sealed()),
    *_everywhere("PUT", SECRET, body=_sealed()),
    # actions/delete-repo-secret
    Case("DELETE", SECRET, 204, "deleted", setup=_with_secret),
    Case("DELETE", SECRET, 404, "missing secret"),
    Case("DELETE", f"{UNKNOWN}/actions/secrets/GH_PAT", 404, "unknown repository"),
    *_everywhere("DELETE", SECRET),
    # repos/get
    Case("GET", REPO, 200, "repository"),
    Case("GET", "/repos/CcatObs/Ops-DB", 200, "name in any case"),
    Case("GET", UNKNOWN, 404, "unknown repository"),
    *_everywhere("GET", REPO),
    # users/get-authenticated
    Case("GET", "/user", 200, "operator"),
    Case("GET", "/user", 200, "fresh PAT", token=NEW_TOKEN),
    Case("GET", "/user", 304, "ETag still valid", conditional=True),
    *[case for case in _everywhere("GET", "/user") if case.why != "fresh PAT lacks permission"],
    # rate-limit/get: never rate limited, readable with any valid token
    Case("GET", "/rate_limit", 200, "overview"),
    Case("GET", "/rate_limit", 200, "fresh PAT", token=NEW_TOKEN),
    Case("GET", "/rate_limit", 200, "while limited", setup=_limited("primary", 403)),
    Case("GET", "/rate_limit", 304, "ETag still valid", conditional=True),
    Case("GET", "/rate_limit", 401, "unknown token", token=WRONG),
]

# Answers the description lists that the emulator does not give, and why.
NOT_EMULATED = {
    ("repos/get", 301): "a renamed repository's redirect; the emulator has no renames",
    ("rate-limit/get", 404): "GitHub Enterprise Server with rate limiting disabled",
}
# Answers GitHub never gives there: /user and /rate_limit exist for every token.
NOT_APPLICABLE = {("users/get-authenticated", 404), ("rate-limit/get", 404)}


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module: building one per request costs more than the request."""
    with httpx.Client(timeout=10) as client:
        yield client


def _send(
    http: httpx.Client, hub: FakeHub, case: Case, headers: dict[str, str] | None = None
) -> httpx.Response:
    sent = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if case.token is not None:
        sent["Authorization"] = f"Bearer {case.token}"
    sent.update(headers or {})
    content = case.raw
    if case.body is not None:
        content = json.dumps(case.body(hub)).encode()
    if content is not None:
        sent["Content-Type"] = "application/json"
    url = f"{hub.url}{case.path}"
    return http.request(case.method, url, params=case.query, headers=sent, content=content)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_answer_is_one_github_describes(
    fakehub: FakeHub, github: Contract, covered: set[Checked], http: httpx.Client, case: Case
) -> None:
    case.setup(fakehub)
    headers = {}
    if case.conditional:
        first = _send(http, fakehub, case)
        assert first.status_code == 200
        headers["If-None-Match"] = first.headers["etag"]
    response = _send(http, fakehub, case, headers)
    assert response.status_code == case.status, response.text
    checked = github.check_answer(
        case.method,
        response.request.url.path,
        case.query,
        response.status_code,
        response.headers,
        response.content,
    )
    covered.add(checked)


def test_the_cases_cover_every_operation_and_answer(github: Contract) -> None:
    planned: dict[str, set[int]] = {}
    for case in CASES:
        planned.setdefault(github.operation(case.method, case.path).operation_id, set()).add(
            case.status
        )
    for operation in github.operations:
        wanted = set(operation.documented) | set(GENERAL_ERRORS)
        if operation.method == "put":
            wanted |= set(BODY_ERRORS)
        wanted -= {s for (o, s) in NOT_EMULATED if o == operation.operation_id}
        wanted -= {s for (o, s) in NOT_APPLICABLE if o == operation.operation_id}
        if operation.operation_id == "rate-limit/get":
            wanted -= {403, 429}  # /rate_limit is never limited, nor forbidden
        missing = wanted - planned.get(operation.operation_id, set())
        assert not missing, f"{operation.operation_id}: no case answers {sorted(missing)}"
    pairs = sum(len(statuses) for statuses in planned.values())
    assert len(planned) == len(github.operations) == 9
    print(f"\n{len(planned)} operations, {pairs} operation x answer pairs, {len(CASES)} cases")


def test_a_304_is_not_counted_against_the_rate_limit(fakehub: FakeHub, http: httpx.Client) -> None:
    headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    first = http.get(f"{fakehub.url}/user", headers=headers)
    again = http.get(
        f"{fakehub.url}/user", headers={**headers, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["x-ratelimit-used"] == first.headers["x-ratelimit-used"]
    changed = http.get(f"{fakehub.url}/user", headers={**headers, "If-None-Match": 'W/"other"'})
    assert changed.status_code == 200
    assert int(changed.headers["x-ratelimit-used"]) == int(first.headers["x-ratelimit-used"]) + 1


def test_every_answer_has_its_own_request_id(fakehub: FakeHub, http: httpx.Client) -> None:
    ids = {http.get(f"{fakehub.url}/user").headers["x-github-request-id"] for _ in range(3)}
    assert len(ids) == 3


def test_the_answer_check_is_not_vacuous(
    fakehub: FakeHub, github: Contract, http: httpx.Client
) -> None:
    headers = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    fakehub.set_secret("ccatobs/ops-db", "GH_PAT", "v")
    good = http.get(f"{fakehub.url}{SECRET}", headers=headers)
    args: tuple[str, str, dict[str, str], int, httpx.Headers] = (
        "GET",
        SECRET,
        {},
        200,
        good.headers,
    )
    github.check_answer(*args, good.content)
    document = good.json()
    del document["updated_at"]
    with pytest.raises(InvalidData):
        github.check_answer(*args, json.dumps(document).encode())
    with pytest.raises(InvalidData):
        github.check_answer(*args, json.dumps({**good.json(), "created_at": "yesterday"}).encode())
    with pytest.raises(AssertionError, match="text/plain"):
        github.check_answer(*args[:4], {**good.headers, "content-type": "text/plain"}, good.content)
    without_limits = {k: v for k, v in good.headers.items() if k != "x-ratelimit-remaining"}
    with pytest.raises(AssertionError, match="x-ratelimit-remaining"):
        github.check_answer(*args[:4], without_limits, good.content)
    with pytest.raises(AssertionError, match="has a body"):
        github.check_answer("DELETE", SECRET, {}, 204, {}, b"{}")
    with pytest.raises(ResponseNotFound, match="500"):
        github.check_answer("GET", SECRET, {}, 500, good.headers, good.content)
    with pytest.raises(AssertionError, match="no operation"):
        github.operation("POST", SECRET)
