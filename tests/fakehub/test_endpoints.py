"""Every endpoint of the emulator, over real HTTP, checked against GitHub's OpenAPI description."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData

from ccat.fakehub import FakeHub
from ccat.fakehub.routes import ROUTES, find_route
from tests.conftest import NEW_TOKEN, NEW_TOKEN_EXPIRATION, NEW_TOKEN_LOGIN, auth, seal
from tests.contract.description import DESCRIPTION, OTHER_STORES, contract

SECRET = "/repos/ccatobs/ops-db/actions/secrets"


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    """GitHub's description of exactly these endpoints, unchanged (tests/data/github-openapi;
    `tests/contract` checks every answer, these tests only the answers it lists)."""
    return OpenAPI.from_file_path(str(DESCRIPTION))


@pytest.fixture
def client(fakehub: FakeHub) -> Iterator[httpx.Client]:
    """A client authenticated as the operator."""
    with httpx.Client(base_url=fakehub.url, headers=auth(), timeout=10) as client:
        yield client


def conforms(openapi: OpenAPI, response: httpx.Response) -> None:
    """Fail unless the answer is one GitHub's OpenAPI description allows for that request."""
    content_type = response.headers.get("content-type", "application/json").split(";")[0]
    request = MockRequest(
        "https://api.github.com",
        response.request.method.lower(),
        response.request.url.path.removeprefix("/api/v3"),
        args=dict(response.request.url.params),
    )
    answer = MockResponse(
        response.content, response.status_code, dict(response.headers), content_type
    )
    openapi.validate_response(request, answer)


def put(
    client: httpx.Client, hub: FakeHub, name: str, value: str, repo: str = "ccatobs/ops-db"
) -> httpx.Response:
    """Seal `value` for the repository's key and PUT it as secret `name`."""
    key_id, key = hub.public_key(repo)
    body = {"encrypted_value": seal(key, value), "key_id": key_id}
    return client.put(f"/repos/{repo}/actions/secrets/{name}", json=body)


def test_every_get_endpoint_answers_as_the_openapi_description_says(
    fakehub: FakeHub, client: httpx.Client, openapi: OpenAPI
) -> None:
    fakehub.set_secret("ccatobs/ops-db", "GH_PAT", "value", updated_at="2026-02-21T22:17:46Z")
    fakehub.set_workflow_runs("ccatobs/ops-db", 2)
    fakehub.set_org_secret(
        "ccatobs", "GH_PAT", "v", visibility="selected", selected_repositories=["ccatobs/ops-db"]
    )
    for path in [
        "/user",
        "/rate_limit",
        "/repos/ccatobs/ops-db",
        SECRET,
        f"{SECRET}/public-key",
        f"{SECRET}/GH_PAT",
        "/repos/ccatobs/ops-db/actions/organization-secrets",
        "/repos/ccatobs/ops-db/actions/runs",
        "/orgs/ccatobs/actions/secrets/GH_PAT",
        "/orgs/ccatobs/actions/secrets/GH_PAT/repositories",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        conforms(openapi, response)


def test_the_schema_check_is_not_vacuous(client: httpx.Client, openapi: OpenAPI) -> None:
    response = client.get("/user")
    document = response.json()
    del document["login"]
    broken = httpx.Response(200, json=document, request=response.request)
    with pytest.raises(InvalidData):
        conforms(openapi, broken)


def test_user_is_the_token_owner(fakehub: FakeHub, client: httpx.Client) -> None:
    assert client.get("/user").json()["login"] == "ccat-operator"
    fresh = httpx.get(f"{fakehub.url}/user", headers=auth(NEW_TOKEN))
    assert fresh.status_code == 200
    assert fresh.json()["login"] == NEW_TOKEN_LOGIN
    assert fresh.headers["github-authentication-token-expiration"] == NEW_TOKEN_EXPIRATION
    assert "github-authentication-token-expiration" not in client.get("/user").headers


def test_repository_is_matched_case_insensitively(client: httpx.Client, openapi: OpenAPI) -> None:
    response = client.get("/repos/CCATOBS/Ops-DB")
    assert response.status_code == 200
    assert response.json()["full_name"] == "ccatobs/ops-db"
    conforms(openapi, response)


def test_unknown_repository_and_route_are_404(client: httpx.Client, openapi: OpenAPI) -> None:
    for path in ["/repos/ccatobs/nope", "/repos/ccatobs/nope/actions/secrets/GH_PAT", "/nope"]:
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["message"] == "Not Found"
    conforms(openapi, client.get("/repos/ccatobs/nope"))
    assert client.post("/repos/ccatobs/ops-db").status_code == 404


def test_missing_secret_is_404(client: httpx.Client) -> None:
    assert client.get(f"{SECRET}/GH_PAT").status_code == 404
    assert client.delete(f"{SECRET}/GH_PAT").status_code == 404


def test_put_creates_then_updates_and_round_trips_the_value(
    fakehub: FakeHub, client: httpx.Client, openapi: OpenAPI
) -> None:
    created = put(client, fakehub, "GH_PAT", "first value")
    assert created.status_code == 201
    assert created.json() == {}
    conforms(openapi, created)
    first = fakehub.secret("ccatobs/ops-db", "GH_PAT")
    assert first is not None
    assert first.value == "first value"

    updated = put(client, fakehub, "GH_PAT", "second välue")
    assert updated.status_code == 204
    assert updated.content == b""
    conforms(openapi, updated)
    second = fakehub.secret("ccatobs/ops-db", "gh_pat")
    assert second is not None
    assert second.value == "second välue"
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at


def test_updated_at_moves_on_write_and_created_at_does_not(
    fakehub: FakeHub, client: httpx.Client
) -> None:
    fakehub.set_secret("ccatobs/ops-db", "GH_PAT", "old", updated_at="2024-01-02T03:04:05Z")
    assert put(client, fakehub, "GH_PAT", "new").status_code == 204
    stored = fakehub.secret("ccatobs/ops-db", "GH_PAT")
    assert stored is not None
    assert stored.created_at == "2024-01-02T03:04:05Z"
    assert stored.updated_at > "2024-01-02T03:04:05Z"
    assert client.get(f"{SECRET}/GH_PAT").json()["updated_at"] == stored.updated_at


def test_secret_names_are_upper_cased_and_matched_case_insensitively(
    fakehub: FakeHub, client: httpx.Client
) -> None:
    assert put(client, fakehub, "gh_pat", "v", repo="CCATOBS/OPS-DB").status_code == 201
    assert put(client, fakehub, "Gh_Pat", "w").status_code == 204
    assert client.get(f"{SECRET}/gh_pat").json()["name"] == "GH_PAT"
    assert [s["name"] for s in client.get(SECRET).json()["secrets"]] == ["GH_PAT"]
    assert client.delete(f"{SECRET}/gH_pAt").status_code == 204
    assert fakehub.secret("ccatobs/ops-db", "GH_PAT") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"encrypted_value": "AAAA", "key_id": "not-the-key"}, "key_id"),
        ({"encrypted_value": "bm90IHNlYWxlZA==", "key_id": None}, "encrypted_value"),
        ({"encrypted_value": "%%%not base64", "key_id": None}, "encrypted_value"),
        ({"key_id": None}, "encrypted_value"),
        ({"encrypted_value": "AAAA"}, "key_id"),
        ({"encrypted_value": 5, "key_id": None}, "not a string"),
    ],
)
def test_put_refuses_what_github_refuses_with_422(
    fakehub: FakeHub, client: httpx.Client, body: dict[str, Any], message: str
) -> None:
    key_id, _ = fakehub.public_key("ccatobs/ops-db")
    body = {k: key_id if k == "key_id" and v is None else v for k, v in body.items()}
    response = client.put(f"{SECRET}/GH_PAT", json=body)
    assert response.status_code == 422
    assert message in response.json()["message"]
    assert fakehub.secret("ccatobs/ops-db", "GH_PAT") is None


def test_a_value_sealed_for_another_repository_is_refused(
    fakehub: FakeHub, client: httpx.Client
) -> None:
    _, other_key = fakehub.public_key("ccatobs/ops-db-api")
    key_id, _ = fakehub.public_key("ccatobs/ops-db")
    body = {"encrypted_value": seal(other_key, "v"), "key_id": key_id}
    assert client.put(f"{SECRET}/GH_PAT", json=body).status_code == 422


def test_a_rotated_key_refuses_values_sealed_for_the_old_one(
    fakehub: FakeHub, client: httpx.Client
) -> None:
    key_id, key = fakehub.public_key("ccatobs/ops-db")
    new_id, _ = fakehub.rotate_public_key("ccatobs/ops-db")
    assert new_id != key_id
    body = {"encrypted_value": seal(key, "v"), "key_id": key_id}
    assert client.put(f"{SECRET}/GH_PAT", json=body).status_code == 422
    assert client.get(f"{SECRET}/public-key").json()["key_id"] == new_id


def test_a_chunked_put_body_is_read(fakehub: FakeHub, client: httpx.Client) -> None:
    key_id, key = fakehub.public_key("ccatobs/ops-db")
    body = json.dumps({"encrypted_value": seal(key, "chunked"), "key_id": key_id}).encode()
    response = client.put(f"{SECRET}/GH_PAT", content=iter([body[:10], body[10:]]))
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 201
    stored = fakehub.secret("ccatobs/ops-db", "GH_PAT")
    assert stored is not None
    assert stored.value == "chunked"


def test_put_with_a_body_that_is_not_json_is_400(client: httpx.Client) -> None:
    response = client.put(f"{SECRET}/GH_PAT", content=b"{not json")
    assert response.status_code == 400
    assert response.json()["message"] == "Problems parsing JSON"


def test_list_is_sorted_and_paginated(
    fakehub: FakeHub, client: httpx.Client, openapi: OpenAPI
) -> None:
    for name in ["C", "A", "B"]:
        fakehub.set_secret("ccatobs/ops-db", name, "v")
    first = client.get(SECRET, params={"per_page": 2})
    assert first.json()["total_count"] == 3
    assert [s["name"] for s in first.json()["secrets"]] == ["A", "B"]
    conforms(openapi, first)
    assert 'rel="next"' in first.headers["link"]
    following = client.get(first.links["next"]["url"])
    assert [s["name"] for s in following.json()["secrets"]] == ["C"]
    assert "link" not in client.get(SECRET).headers


def test_unknown_and_missing_tokens_are_401_everywhere(fakehub: FakeHub, openapi: OpenAPI) -> None:
    for path in ["/user", "/repos/ccatobs/ops-db", f"{SECRET}/GH_PAT", "/nope"]:
        response = httpx.get(f"{fakehub.url}{path}", headers=auth("wrong"))
        assert response.status_code == 401, path
        assert response.json() == {
            "message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest",
            "status": "401",
        }
    missing = httpx.get(f"{fakehub.url}/user")
    assert missing.status_code == 401
    conforms(openapi, missing)


def test_a_fresh_token_reads_workflow_runs_but_not_secrets(fakehub: FakeHub) -> None:
    # The default for a token known by login only: fine-grained, every repository,
    # metadata and actions read (what a correctly created GH_PAT can do at least).
    for path in ["/repos/ccatobs/ops-db", "/repos/ccatobs/ops-db/actions/runs", "/rate_limit"]:
        assert httpx.get(f"{fakehub.url}{path}", headers=auth(NEW_TOKEN)).status_code == 200
    response = httpx.get(f"{fakehub.url}{SECRET}/public-key", headers=auth(NEW_TOKEN))
    assert response.status_code == 403
    assert response.json()["message"] == "Resource not accessible by personal access token"
    assert response.headers["x-accepted-github-permissions"] == "secrets=read"
    assert "x-oauth-scopes" not in response.headers


def test_api_v3_prefix_and_token_scheme_are_accepted(fakehub: FakeHub) -> None:
    headers = {"Authorization": "token operator-token"}
    response = httpx.get(
        f"{fakehub.url}/api/v3/repos/ccatobs/ops-db/actions/secrets/public-key", headers=headers
    )
    assert response.status_code == 200
    assert response.json()["key_id"] == fakehub.public_key("ccatobs/ops-db")[0]
    logged = fakehub.requests[-1]
    assert logged.path == f"{SECRET}/public-key"
    assert logged.raw_path == f"/api/v3{SECRET}/public-key"


def test_a_proxy_style_absolute_target_is_routed(fakehub: FakeHub) -> None:
    with httpx.Client(proxy=fakehub.url, headers=auth()) as client:
        response = client.get("http://api.github.localhost/repos/ccatobs/ops-db")
    assert response.status_code == 200
    assert fakehub.requests[-1].path == "/repos/ccatobs/ops-db"


def test_every_answer_carries_rate_limit_headers(fakehub: FakeHub, client: httpx.Client) -> None:
    for response in [client.get("/user"), client.get("/nope"), httpx.get(f"{fakehub.url}/user")]:
        for name in ["limit", "remaining", "reset", "used", "resource"]:
            assert f"x-ratelimit-{name}" in response.headers
    before = int(client.get("/user").headers["x-ratelimit-used"])
    assert int(client.get("/user").headers["x-ratelimit-used"]) == before + 1


def test_add_repository_and_set_secret(fakehub: FakeHub, client: httpx.Client) -> None:
    fakehub.add_repository("ccatobs/new-repo")
    assert fakehub.repositories[-1] == "ccatobs/new-repo"
    fakehub.set_secret("ccatobs/new-repo", "gh_pat", "seeded")
    document = client.get("/repos/ccatobs/new-repo/actions/secrets/GH_PAT").json()
    assert document["name"] == "GH_PAT"
    with pytest.raises(KeyError):
        fakehub.set_secret("ccatobs/absent", "GH_PAT", "v")
    assert fakehub.secret("ccatobs/absent", "GH_PAT") is None


def test_logged_json_body_is_the_parsed_put(fakehub: FakeHub, client: httpx.Client) -> None:
    put(client, fakehub, "GH_PAT", "v")
    logged = fakehub.requests[-1]
    assert logged.method == "PUT"
    assert logged.status == 201
    assert logged.token_login == "ccat-operator"
    assert isinstance(logged.json, dict)
    assert set(logged.json) == {"encrypted_value", "key_id"}
    assert logged.started <= logged.finished
    assert json.dumps(logged.json)


def test_head_is_served_as_get_without_a_body(client: httpx.Client) -> None:
    for path in ["/repos/ccatobs/ops-db", f"{SECRET}/public-key", "/user"]:
        get, head = client.get(path), client.head(path)
        assert head.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-length"] == get.headers["content-length"]
        assert head.headers["etag"] == get.headers["etag"]
    assert client.head(f"{SECRET}/GH_PAT").status_code == 404


def test_every_operation_of_the_description_has_one_route() -> None:
    # The other secret stores of SPEC §10 (issue 17) are described, not emulated yet.
    operations = [
        operation
        for operation in contract().operations
        if not OTHER_STORES.fullmatch(operation.template)
    ]
    for operation in operations:
        path = re.sub(r"\{[^}]+\}", "x", operation.template)
        found = find_route(operation.method.upper(), path)
        assert found is not None, operation.operation_id
    # One route more than the description has operations: GET /, which clients probe.
    assert len(ROUTES) == len(operations) + 1
    assert find_route("POST", "/user") is None
    assert find_route("PATCH", f"{SECRET}/GH_PAT") is None


def test_the_server_callbacks_are_not_the_hubs_api() -> None:
    for name in ["begin", "dispatch", "finished"]:
        assert not hasattr(FakeHub, name)
