"""The emulator's part in a token's whole life (issue 18, item 6), over real HTTP:
`POST /credentials/revoke` (anonymous only, 1-1,000 credentials, 60 an hour, revoked
tokens rejected from then on), GitHub App installation tokens (no user, their
repositories listed), tokens awaiting an organisation's approval, and an expiry
changed while serving."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ccat.fakehub import FakeHub, TokenSpec
from ccat.pat.github.client import token_expiry
from tests.support.emulator import NEW_TOKEN, OPERATOR_TOKEN, REPOSITORIES, auth
from tests.support.processes import serve

REVOKE = "/credentials/revoke"
RUNS = "/repos/ccatobs/ops-db/actions/runs"
SECRETS = "/repos/ccatobs/ops-db/actions/secrets"
INSTALLATION = "ghs_an-installation-token"


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN, tokens={NEW_TOKEN: "bot"}) as hub:
        yield hub


def revoke(hub: FakeHub, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{hub.url}{REVOKE}", json=body, headers=headers or {}, timeout=10)


def get(hub: FakeHub, path: str, token: str) -> httpx.Response:
    return httpx.get(f"{hub.url}{path}", headers=auth(token), timeout=10)


# -- revocation ------------------------------------------------------------------------


def test_a_revoked_token_is_rejected_from_then_on_and_others_are_not(hub: FakeHub) -> None:
    assert get(hub, "/user", NEW_TOKEN).status_code == 200
    answer = revoke(hub, {"credentials": [NEW_TOKEN, "ghp_nobody-knows-this"]})
    assert answer.status_code == 202
    assert answer.json() == {}
    assert answer.headers["x-ratelimit-limit"] == "60"
    assert answer.headers["x-ratelimit-remaining"] == "59"
    rejected = get(hub, "/user", NEW_TOKEN)
    assert rejected.status_code == 401
    assert rejected.json()["message"] == "Bad credentials"
    assert get(hub, RUNS, NEW_TOKEN).status_code == 401
    assert get(hub, "/user", OPERATOR_TOKEN).status_code == 200
    assert hub.revoked == {NEW_TOKEN, "ghp_nobody-knows-this"}
    (logged,) = [r for r in hub.requests if r.path == REVOKE]
    assert "authorization" not in logged.headers and logged.token_login is None
    assert logged.json == {"credentials": [NEW_TOKEN, "ghp_nobody-knows-this"]}


def test_an_authenticated_revocation_is_403_and_revokes_nothing(hub: FakeHub) -> None:
    answer = revoke(hub, {"credentials": [NEW_TOKEN]}, auth(OPERATOR_TOKEN))
    assert answer.status_code == 403
    assert "must not be authenticated" in answer.json()["message"]
    assert hub.revoked == set()
    assert get(hub, "/user", NEW_TOKEN).status_code == 200


@pytest.mark.parametrize(
    "body",
    [{"credentials": []}, {"credentials": ["x"] * 1001}, {"credentials": [1]}, {}, ["x"]],
    ids=["none", "1001", "not strings", "no key", "not an object"],
)
def test_a_revocation_github_cannot_read_is_422(hub: FakeHub, body: object) -> None:
    answer = revoke(hub, body)
    assert answer.status_code == 422
    assert answer.json()["message"] == "Validation Failed"
    assert hub.revoked == set()


def test_a_thousand_credentials_are_accepted(hub: FakeHub) -> None:
    many = [f"ghp_{index}" for index in range(999)] + [NEW_TOKEN]
    assert revoke(hub, {"credentials": many}).status_code == 202
    assert len(hub.revoked) == 1000
    assert get(hub, "/user", NEW_TOKEN).status_code == 401


def test_sixty_revocations_an_hour(hub: FakeHub) -> None:
    for number in range(60):
        answer = revoke(hub, {"credentials": [f"ghp_{number}"]})
        assert answer.status_code == 202
    refused = revoke(hub, {"credentials": [NEW_TOKEN]})
    assert refused.status_code == 403
    assert "rate limit" in refused.json()["message"]
    assert refused.headers["x-ratelimit-remaining"] == "0"
    reset = int(refused.headers["x-ratelimit-reset"])
    assert 3500 < reset - datetime.now(UTC).timestamp() <= 3600
    assert NEW_TOKEN not in hub.revoked
    # Authenticated requests have their own, far larger limit.
    assert get(hub, "/user", NEW_TOKEN).status_code == 200


# -- GitHub App installations ----------------------------------------------------------


def test_an_installation_token_has_no_user_and_lists_its_repositories(hub: FakeHub) -> None:
    hub.add_token(
        INSTALLATION,
        TokenSpec(
            "ccat-rotator[bot]",
            kind="installation",
            permissions={"metadata": "read", "secrets": "write"},
            repositories={"ccatobs/ops-db", "ccatobs/ops-db-api"},
        ),
    )
    user = get(hub, "/user", INSTALLATION)
    assert user.status_code == 403
    assert user.json()["message"] == "Resource not accessible by integration"
    listed = get(hub, "/installation/repositories", INSTALLATION)
    assert listed.status_code == 200
    document = listed.json()
    assert document["total_count"] == 2
    assert document["repository_selection"] == "selected"
    assert [r["full_name"] for r in document["repositories"]] == [
        "ccatobs/ops-db",
        "ccatobs/ops-db-api",
    ]
    assert get(hub, SECRETS, INSTALLATION).status_code == 200
    assert get(hub, "/repos/ccatobs/system-integration", INSTALLATION).status_code == 404
    refused = get(hub, RUNS, INSTALLATION)  # no `actions` permission
    assert refused.status_code == 403
    assert refused.json()["message"] == "Resource not accessible by integration"
    assert refused.headers["x-accepted-github-permissions"] == "actions=read"


def test_a_pat_cannot_list_an_installations_repositories(hub: FakeHub) -> None:
    for token in (NEW_TOKEN, OPERATOR_TOKEN):
        assert get(hub, "/installation/repositories", token).status_code == 403


def test_a_ghs_token_known_by_login_is_an_installation_that_may_rotate(hub: FakeHub) -> None:
    hub.add_token(INSTALLATION, "ccat-rotator[bot]")
    assert get(hub, "/user", INSTALLATION).status_code == 403
    listed = get(hub, "/installation/repositories", INSTALLATION).json()
    assert listed["total_count"] == len(REPOSITORIES)
    assert listed["repository_selection"] == "all"
    key = get(hub, f"{SECRETS}/public-key", INSTALLATION)
    assert key.status_code == 200


def test_an_installation_token_may_be_the_operator() -> None:
    with FakeHub(REPOSITORIES, operator_token=INSTALLATION, operator_login="app[bot]") as hub:
        assert get(hub, "/user", INSTALLATION).status_code == 403
        assert get(hub, "/installation/repositories", INSTALLATION).status_code == 200
        assert get(hub, SECRETS, INSTALLATION).status_code == 200


# -- approval ----------------------------------------------------------------------------


def test_a_token_awaiting_approval_reads_its_user_and_no_private_repository(
    hub: FakeHub,
) -> None:
    hub.add_token("github_pat_pending", TokenSpec("new-bot", pending_approval=True))
    assert get(hub, "/user", "github_pat_pending").status_code == 200
    assert get(hub, RUNS, "github_pat_pending").status_code == 404
    assert get(hub, "/repos/ccatobs/ops-db", "github_pat_pending").status_code == 404
    with pytest.raises(ValueError, match="fine-grained"):
        TokenSpec("x", kind="classic", pending_approval=True)


# -- expiry while serving ----------------------------------------------------------------


def test_an_expiry_set_while_serving_is_sent_then_enforced(hub: FakeHub) -> None:
    assert "github-authentication-token-expiration" not in get(hub, "/user", NEW_TOKEN).headers
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    hub.set_expiry(NEW_TOKEN, soon)
    header = get(hub, "/user", NEW_TOKEN).headers["github-authentication-token-expiration"]
    assert token_expiry(header).expires_at == soon.strftime("%Y-%m-%dT%H:%M:%SZ")
    hub.set_expiry(NEW_TOKEN, "2020-01-01 00:00:00 UTC")
    assert get(hub, "/user", NEW_TOKEN).status_code == 401
    hub.set_expiry(NEW_TOKEN, None)
    answer = get(hub, "/user", NEW_TOKEN)
    assert answer.status_code == 200
    assert "github-authentication-token-expiration" not in answer.headers
    with pytest.raises(KeyError):
        hub.set_expiry("not-a-known-token", None)


# -- from a shell ------------------------------------------------------------------------


@pytest.mark.slow
def test_pending_and_installation_tokens_from_the_command_line(tmp_path: Path) -> None:
    graph = tmp_path / "graph.yml"
    graph.write_text("org: ccatobs\nrepositories: [ops-db]\n")
    args = ["--graph", str(graph), "--token", "op=alice", "--token", "ghs_app=app[bot]"]
    args += ["--token", "github_pat_new=bot", "--pending", "github_pat_new"]
    with serve(*args) as served:
        url = served.url
        pending = {"Authorization": "Bearer github_pat_new"}
        assert httpx.get(f"{url}/user", headers=pending, timeout=10).status_code == 200
        assert httpx.get(f"{url}{RUNS}", headers=pending, timeout=10).status_code == 404
        app = {"Authorization": "Bearer ghs_app"}
        assert httpx.get(f"{url}/user", headers=app, timeout=10).status_code == 403
        revoked = httpx.post(f"{url}{REVOKE}", json={"credentials": ["ghs_app"]}, timeout=10)
        assert revoked.status_code == 202
        assert httpx.get(f"{url}{SECRETS}", headers=app, timeout=10).status_code == 401
        stderr = served.stop()
    assert served.process.returncode == 0, stderr
    assert "'ghs_app' is a GitHub App installation's" in stderr
    assert "'github_pat_new' awaits the organisation's approval" in stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--token", "op", "--pending", "op"], "is not a --token after the operator's"),
        (["--token", "op", "--pending", "other"], "is not a --token after the operator's"),
        (["--token", "op", "--token", "ghs_x", "--pending", "ghs_x"], "installation token"),
    ],
)
def test_a_bad_pending_token_is_a_usage_error(
    tmp_path: Path, args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from ccat.fakehub.command_line import parse

    with pytest.raises(SystemExit) as exited:
        parse(["--graph", str(tmp_path / "g.yml"), *args])
    assert exited.value.code == 2
    assert said in " ".join(capsys.readouterr().err.split())
