"""Organisation secrets, workflow runs and seeded timestamps, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from ccat.fakehub import FakeHub
from tests.support.emulator import OPERATOR_TOKEN, auth

REPOSITORIES = ["ccatobs/a", "ccatobs/b", "ccatobs/c", "other/x"]


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    """Three repositories of ccatobs and one of another organisation."""
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN) as running:
        yield running


@pytest.fixture
def client(hub: FakeHub) -> Iterator[httpx.Client]:
    """A client authenticated as the operator."""
    with httpx.Client(base_url=hub.url, headers=auth(), timeout=10) as client:
        yield client


def shared_with(client: httpx.Client, repository: str) -> list[str]:
    """Names of the organisation secrets a repository may use, as GitHub lists them."""
    response = client.get(f"/repos/{repository}/actions/organization-secrets")
    assert response.status_code == 200
    document = response.json()
    assert document["total_count"] == len(document["secrets"])
    return [secret["name"] for secret in document["secrets"]]


def test_visibility_decides_which_repositories_see_an_org_secret(
    hub: FakeHub, client: httpx.Client
) -> None:
    hub.set_org_secret("ccatobs", "EVERYONE", "v")
    hub.set_org_secret("ccatobs", "PRIVATE_ONES", "v", visibility="private")
    hub.set_org_secret(
        "ccatobs", "gh_pat", "v", visibility="selected", selected_repositories=["ccatobs/b"]
    )
    assert shared_with(client, "ccatobs/a") == ["EVERYONE", "PRIVATE_ONES"]
    assert shared_with(client, "ccatobs/b") == ["EVERYONE", "GH_PAT", "PRIVATE_ONES"]
    assert shared_with(client, "other/x") == []  # another organisation's secrets
    assert hub.delete_org_secret("CCATOBS", "everyone")
    assert not hub.delete_org_secret("ccatobs", "EVERYONE")
    assert shared_with(client, "ccatobs/a") == ["PRIVATE_ONES"]


def test_an_org_secret_document_has_visibility_and_timestamps(
    hub: FakeHub, client: httpx.Client
) -> None:
    hub.set_org_secret(
        "ccatobs",
        "GH_PAT",
        "v",
        visibility="selected",
        selected_repositories=["ccatobs/a", "ccatobs/c"],
        created_at="2025-01-02T03:04:05Z",
        updated_at=datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC),
    )
    document = client.get("/orgs/ccatobs/actions/secrets/gh_pat").json()
    assert document == {
        "name": "GH_PAT",
        "created_at": "2025-01-02T03:04:05Z",
        "updated_at": "2026-02-03T04:05:06Z",
        "visibility": "selected",
        "selected_repositories_url": (
            "https://api.github.com/orgs/ccatobs/actions/secrets/GH_PAT/repositories"
        ),
    }
    listed = client.get("/repos/ccatobs/a/actions/organization-secrets").json()["secrets"]
    assert listed == [
        {
            "name": "GH_PAT",
            "created_at": "2025-01-02T03:04:05Z",
            "updated_at": "2026-02-03T04:05:06Z",
        }
    ]
    stored = hub.org_secret("ccatobs", "gh_pat")
    assert stored is not None
    assert stored.value == "v"
    hub.set_org_secret("ccatobs", "PLAIN", "v", visibility="private")
    assert (
        "selected_repositories_url" not in client.get("/orgs/ccatobs/actions/secrets/PLAIN").json()
    )


def test_the_selected_repositories_are_listed_and_paginated(
    hub: FakeHub, client: httpx.Client
) -> None:
    hub.set_org_secret(
        "ccatobs",
        "GH_PAT",
        "v",
        visibility="selected",
        selected_repositories=["ccatobs/c", "ccatobs/a"],
    )
    path = "/orgs/ccatobs/actions/secrets/GH_PAT/repositories"
    first = client.get(path, params={"per_page": 1})
    assert first.json()["total_count"] == 2
    assert [r["full_name"] for r in first.json()["repositories"]] == ["ccatobs/c"]
    following = client.get(first.links["next"]["url"])
    assert [r["full_name"] for r in following.json()["repositories"]] == ["ccatobs/a"]
    hub.set_org_secret("ccatobs", "GH_PAT", "v", visibility="all")
    assert client.get(path).json() == {"total_count": 0, "repositories": []}
    assert client.get("/orgs/ccatobs/actions/secrets/NONE/repositories").status_code == 404


def test_the_repository_list_of_org_secrets_is_paginated(
    hub: FakeHub, client: httpx.Client
) -> None:
    for name in ["C", "A", "B"]:
        hub.set_org_secret("ccatobs", name, "v")
    first = client.get("/repos/ccatobs/a/actions/organization-secrets", params={"per_page": 2})
    assert first.json()["total_count"] == 3
    assert [s["name"] for s in first.json()["secrets"]] == ["A", "B"]
    assert [s["name"] for s in client.get(first.links["next"]["url"]).json()["secrets"]] == ["C"]


def test_replacing_an_org_secret_keeps_created_at(hub: FakeHub) -> None:
    hub.set_org_secret("ccatobs", "GH_PAT", "one", updated_at="2025-01-01T00:00:00Z")
    hub.set_org_secret("ccatobs", "GH_PAT", "two", updated_at="2025-06-01T00:00:00Z")
    stored = hub.org_secret("ccatobs", "GH_PAT")
    assert stored is not None
    assert (stored.value, stored.created_at, stored.updated_at) == (
        "two",
        "2025-01-01T00:00:00Z",
        "2025-06-01T00:00:00Z",
    )


def test_bad_org_secrets_are_refused(hub: FakeHub) -> None:
    with pytest.raises(KeyError):
        hub.set_org_secret(
            "ccatobs", "S", "v", visibility="selected", selected_repositories=["x/y"]
        )
    with pytest.raises(ValueError, match="belong"):
        hub.set_org_secret(
            "ccatobs", "S", "v", visibility="selected", selected_repositories=["other/x"]
        )
    with pytest.raises(ValueError, match="selected"):
        hub.set_org_secret(
            "ccatobs", "S", "v", visibility="all", selected_repositories=["ccatobs/a"]
        )
    with pytest.raises(ValueError, match="visibility"):
        hub.set_org_secret("ccatobs", "S", "v", visibility="public")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name"):
        hub.set_org_secret("ccatobs", "GITHUB_X", "v")
    assert hub.org_secret("ccatobs", "S") is None


def test_an_org_with_only_a_secret_exists(hub: FakeHub, client: httpx.Client) -> None:
    assert client.get("/orgs/elsewhere/actions/secrets/S").status_code == 404
    hub.set_org_secret("elsewhere", "S", "v")
    assert client.get("/orgs/elsewhere/actions/secrets/s").json()["name"] == "S"


def test_workflow_runs_are_seeded_newest_first_and_paginated(
    hub: FakeHub, client: httpx.Client
) -> None:
    assert client.get("/repos/ccatobs/a/actions/runs").json() == {
        "total_count": 0,
        "workflow_runs": [],
    }
    hub.set_workflow_runs("ccatobs/a", 5)
    first = client.get("/repos/ccatobs/a/actions/runs", params={"per_page": 2})
    assert first.json()["total_count"] == 5
    assert [run["run_number"] for run in first.json()["workflow_runs"]] == [5, 4]
    run = first.json()["workflow_runs"][0]
    assert run["repository"]["full_name"] == "ccatobs/a"
    assert 'rel="last"' in first.headers["link"]
    last = client.get(first.links["last"]["url"]).json()["workflow_runs"]
    assert [run["run_number"] for run in last] == [1]
    with pytest.raises(ValueError):
        hub.set_workflow_runs("ccatobs/a", -1)


def test_set_secret_seeds_created_at_and_updated_at(hub: FakeHub, client: httpx.Client) -> None:
    hub.set_secret(
        "ccatobs/a",
        "GH_PAT",
        "v",
        created_at="2024-05-06T07:08:09Z",
        updated_at="2025-05-06T07:08:09Z",
    )
    document = client.get("/repos/ccatobs/a/actions/secrets/GH_PAT").json()
    assert (document["created_at"], document["updated_at"]) == (
        "2024-05-06T07:08:09Z",
        "2025-05-06T07:08:09Z",
    )
    hub.set_secret("ccatobs/a", "GH_PAT", "w", updated_at="2025-07-01T00:00:00Z")
    stored = hub.secret("ccatobs/a", "GH_PAT")
    assert stored is not None
    assert (stored.value, stored.created_at) == ("w", "2024-05-06T07:08:09Z")
    hub.set_secret("ccatobs/b", "NEW", "v", updated_at="2025-01-01T00:00:00Z")
    fresh = hub.secret("ccatobs/b", "NEW")
    assert fresh is not None
    assert fresh.created_at == fresh.updated_at == "2025-01-01T00:00:00Z"
