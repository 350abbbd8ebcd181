"""Every operation of GitHub's description, every answer the emulator gives to it, over
real HTTP, validated against the description: status, `Content-Type`, body, headers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.response.exceptions import InvalidData

from ccat.fakehub import FakeHub
from tests.contract.cases import CASES, SECRET, TOKENS, Case
from tests.contract.description import (
    BODY_ERRORS,
    CONDITIONAL,
    GENERAL_ERRORS,
    NOT_SERVED,
    Checked,
    Contract,
)
from tests.support.emulator import OPERATOR_TOKEN

# Answers the description lists that the emulator does not give, and why.
NOT_EMULATED = {
    ("repos/get", 301): "a renamed repository's redirect; the emulator has no renames",
    ("rate-limit/get", 404): "GitHub Enterprise Server with rate limiting disabled",
}
# Answers GitHub never gives there: /user and /rate_limit exist for every token, and
# /rate_limit is never rate limited nor forbidden (though the points budget counts it).
NOT_APPLICABLE = {
    ("users/get-authenticated", 404),
    ("rate-limit/get", 404),
    ("rate-limit/get", 403),
    ("apps/list-repos-accessible-to-installation", 404),
    # Anonymous only: a request with a token is refused (403) before it is looked at.
    ("credentials/revoke", 401),
    ("credentials/revoke", 404),
}


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
    for token, spec in TOKENS.items():
        fakehub.add_token(token, spec)
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
    served = [o for o in github.operations if o.operation_id not in NOT_SERVED]
    for operation in served:
        wanted = set(operation.documented) | set(GENERAL_ERRORS)
        if operation.method in ("put", "post"):
            wanted |= set(BODY_ERRORS)
        if operation.method == "get":
            wanted |= set(CONDITIONAL)
        wanted -= {s for (o, s) in NOT_EMULATED if o == operation.operation_id}
        wanted -= {s for (o, s) in NOT_APPLICABLE if o == operation.operation_id}
        missing = wanted - planned.get(operation.operation_id, set())
        assert not missing, f"{operation.operation_id}: no case answers {sorted(missing)}"
    pairs = sum(len(statuses) for statuses in planned.values())
    assert len(planned) == len(served) == 27
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
