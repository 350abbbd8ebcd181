"""Property-based: whatever status, headers and body a server sends on any endpoint, the
status engine and the client finish, raise nothing but our own errors, and call a secret
present only on the answer GitHub documents.

The emulator answers every request of the endpoint under test with what hypothesis
drew; the client runs on a fake clock, so rate-limit headers cost no real time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccat.fakehub import FakeHub, Fault
from ccat.pat.errors import GitHubError
from ccat.pat.github import open_client
from ccat.pat.settings import ClientSettings
from ccat.pat.status import StatusOptions, StatusReport, run_status
from tests.support.emulator import NEW_TOKEN, OPERATOR_TOKEN
from tests.support.fake_time import FakeTime

REPO = "ccatobs/ops-db"
VALID_TIME = "2026-01-02T03:04:05Z"
BOUND = 20.0  # seconds a whole run may take, whatever is answered

STATUSES = st.one_of(
    st.sampled_from(
        [
            200,
            201,
            202,
            204,
            206,
            301,
            302,
            304,
            400,
            401,
            403,
            404,
            409,
            410,
            422,
            429,
            451,
            500,
            502,
            503,
            504,
        ]
    ),
    st.integers(200, 599),
)
HEADER_NAMES = st.sampled_from(
    [
        "retry-after",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "content-type",
        "x-oauth-scopes",
        "x-accepted-github-permissions",
        "github-authentication-token-expiration",
        "link",
    ]
)
HEADER_VALUES = st.one_of(
    st.sampled_from(["0", "1", "-1", "inf", "nan", "1e300", "60", "", "text/html", "a, b"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
)
HEADERS = st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _valid_list(name: str = "GH_PAT") -> dict[str, Any]:
    return {
        "total_count": 1,
        "secrets": [{"name": name, "created_at": VALID_TIME, "updated_at": VALID_TIME}],
    }


@st.composite
def list_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """A body for a secrets list, labelled: "valid" (our secret, documented shape) or how
    it is broken. Only "valid" with status 200 may count as present."""
    kind = draw(
        st.sampled_from(
            [
                "valid",
                "other secret",
                "bytes",
                "json",
                "count text",
                "time number",
                "time words",
                "secrets object",
                "name missing",
                "nested",
            ]
        )
    )
    document: Any
    if kind == "valid":
        document = _valid_list(draw(st.sampled_from(["GH_PAT", "gh_pat", "Gh_Pat"])))
    elif kind == "other secret":
        document = _valid_list("SOMETHING_ELSE")
    elif kind == "bytes":
        return kind, draw(st.binary(max_size=64))
    elif kind == "json":
        document = draw(JSON_VALUES)
    elif kind == "count text":
        document = {**_valid_list(), "total_count": "1"}
    elif kind == "time number":
        document = _valid_list()
        document["secrets"][0]["updated_at"] = draw(st.integers())
    elif kind == "time words":
        document = _valid_list()
        document["secrets"][0]["updated_at"] = draw(
            st.text(max_size=12).filter(lambda t: not re.match(r"\d{4}-", t))
        )
    elif kind == "secrets object":
        document = {"total_count": 1, "secrets": {"GH_PAT": VALID_TIME}}
    elif kind == "name missing":
        document = {"total_count": 1, "secrets": [{"updated_at": VALID_TIME}]}
    else:
        return kind, b"[" * draw(st.integers(1, 200_000))
    return kind, json.dumps(document).encode()


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub(
        [REPO], operator_token=OPERATOR_TOKEN, tokens={NEW_TOKEN: "ccat-ci-bot"}
    ) as running:
        yield running


def _client(hub: FakeHub):  # type: ignore[no-untyped-def]
    settings_ = ClientSettings(
        api_url=hub.url, token=OPERATOR_TOKEN, timeout=5.0, max_wait=120.0, budget=0
    )
    return open_client(settings_, timing=FakeTime().timing)


def _status(hub: FakeHub) -> StatusReport:
    async def run() -> StatusReport:
        with anyio.fail_after(BOUND):
            return await run_status(
                StatusOptions(
                    connect=lambda: _client(hub),
                    repositories=[REPO],
                    secret="GH_PAT",
                    org="ccatobs",
                    clock=lambda: datetime(2026, 11, 25, tzinfo=UTC),
                )
            )

    return anyio.run(run)


def _arm(
    hub: FakeHub, method: str, path: str, status: int, headers: dict[str, str], body: bytes
) -> None:
    hub.clear_faults()
    hub.rate_limit = None
    hub.add_fault(Fault(method, path, status, None, body=body, headers=headers))


HYPOTHESIS = settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(status=STATUSES, headers=HEADERS, labelled=list_bodies())
def test_the_secrets_list_answer_decides_present_only_when_documented(
    hub: FakeHub, status: int, headers: dict[str, str], labelled: tuple[str, bytes]
) -> None:
    kind, body = labelled
    _arm(hub, "GET", f"/repos/{REPO}/actions/secrets", status, headers, body)
    (result,) = _status(hub).results
    documented = status == 200 and kind == "valid"
    assert (result.state == "present") == documented, (status, kind, result)
    if result.state == "present":
        assert result.updated_at == VALID_TIME and result.via == "repository"
    if result.error is not None:
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", result.error)
        assert len(result.error) < 500


@HYPOTHESIS
@given(status=STATUSES, headers=HEADERS, labelled=list_bodies())
def test_the_organisation_secrets_answer_decides_present_only_when_documented(
    hub: FakeHub, status: int, headers: dict[str, str], labelled: tuple[str, bytes]
) -> None:
    kind, body = labelled
    # The repository's own list is the real, empty one: the secret is missing there; the
    # organisation's list cannot be read, so the repository's view of it decides.
    _arm(hub, "GET", f"/repos/{REPO}/actions/organization-secrets", status, headers, body)
    hub.add_fault(Fault("GET", "/orgs/ccatobs/actions/secrets", 403, None, "Forbidden"))
    (result,) = _status(hub).results
    documented = status == 200 and kind == "valid"
    assert (result.state == "present") == documented, (status, kind, result)
    assert result.state in ("present", "missing")  # the repository itself answered
    if result.state == "present":
        assert result.via == "organization"


@HYPOTHESIS
@given(
    status=STATUSES,
    headers=HEADERS,
    body=st.binary(max_size=64) | JSON_VALUES.map(lambda v: json.dumps(v).encode()),
)
def test_an_organisation_level_answer_never_breaks_the_table(
    hub: FakeHub, status: int, headers: dict[str, str], body: bytes
) -> None:
    _arm(hub, "GET", re.compile(r"/orgs/.*"), status, headers, body)  # type: ignore[arg-type]
    (result,) = _status(hub).results
    assert result.state == "missing"  # the emulator's real answer for the repository


@pytest.mark.parametrize(
    ("method", "path", "call"),
    [
        ("GET", "/user", "user"),
        ("GET", f"/repos/{REPO}/actions/secrets/public-key", "key"),
        ("GET", f"/repos/{REPO}/actions/runs", "runs"),
        ("PUT", f"/repos/{REPO}/actions/secrets/GH_PAT", "put"),
    ],
)
@HYPOTHESIS
@given(
    status=STATUSES,
    headers=HEADERS,
    body=st.binary(max_size=64) | JSON_VALUES.map(lambda v: json.dumps(v).encode()),
)
def test_rotation_endpoints_raise_only_our_errors_and_succeed_only_as_documented(
    hub: FakeHub,
    method: str,
    path: str,
    call: str,
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> None:
    _arm(hub, method, path, status, headers, body)
    outcome: list[object] = []

    async def run() -> None:
        with anyio.fail_after(BOUND):
            async with _client(hub) as github:
                try:
                    if call == "user":
                        outcome.append(await github.get_user())
                    elif call == "key":
                        outcome.append(await github.get_public_key(REPO))
                    elif call == "runs":
                        await github.check_runs_readable(REPO, NEW_TOKEN)
                        outcome.append("readable")
                    else:
                        outcome.append(await github.put_secret(REPO, "GH_PAT", "e30=", "1"))
                except GitHubError as exc:
                    outcome.append(exc)

    anyio.run(run)
    (result,) = outcome
    if not isinstance(result, GitHubError):
        if call == "put":
            assert result in (201, 204) and status == result
        else:
            assert status == 200
    else:
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", result.message)
