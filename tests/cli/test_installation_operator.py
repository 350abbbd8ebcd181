"""A GitHub App installation token as the operator credential (issue 18, item 4): it has
no user (`GET /user` answers 403), so it is identified through `GET
/installation/repositories`, said as "GitHub App installation" where a login is shown,
and `status` and a whole rotation work with it, against the emulator, whose
installation token is refused every permission the app was not given."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, Fault, TokenSpec
from ccat.pat.errors import HTTPStatusError
from ccat.pat.github import INSTALLATION_LOGIN, open_client
from ccat.pat.journal import Journal
from ccat.pat.settings import ClientSettings
from tests.support.rotation import NoLeak, RotationCase, current, holding

Ccat = Callable[..., Result]
INSTALLATION = "ghs_rotator-app-installation-token"
# What an app made to rotate GH_PAT is given (and nothing else).
APP = TokenSpec(
    "ccat-rotator[bot]",
    kind="installation",
    permissions={
        "metadata": "read",
        "secrets": "write",
        "dependabot_secrets": "write",
        "environments": "write",
        "organization_secrets": "read",
    },
)


def test_status_then_a_whole_rotation_with_an_installation_token(
    ccat: Ccat,
    rotate_args: list[str],
    case: RotationCase,
    assert_no_leak: NoLeak,
) -> None:
    case.hub.add_token(INSTALLATION, APP)
    as_app = {"GH_TOKEN": INSTALLATION}
    status = ["pat", "status", "--graph", str(case.graph), "--api-url", case.hub.url]
    before = ccat(*status, "--journal", str(case.journal), env=as_app)
    assert before.exit_code == 1, before.output  # no repository holds GH_PAT yet
    assert before.stdout.count("✗ missing") == len(case.targets)

    rotated = ccat(*rotate_args, "--write-interval", "0", input=case.token + "\n", env=as_app)
    assert rotated.exit_code == 0, rotated.output
    assert holding(case.hub, case.token) == set(case.targets)
    assert f"operator {INSTALLATION_LOGIN};" in " ".join(rotated.output.split())
    run = current(case.journal)
    assert run.state == "completed" and run.operator == INSTALLATION_LOGIN
    refused = [r for r in case.hub.requests if r.path == "/user" and r.token_login == APP.login]
    assert [r.status for r in refused] == [403]  # asked once, then identified otherwise
    assert any(r.path == "/installation/repositories" for r in case.hub.requests)

    after = ccat(*status, "--journal", str(case.journal), env=as_app)
    assert after.exit_code == 0, after.output
    assert "safe to revoke the previous token" in " ".join(after.stdout.split())
    assert_no_leak(*(r.output for r in (before, rotated, after)))
    assert INSTALLATION not in before.output + rotated.output + after.output


def test_an_installation_without_the_secrets_permission_fails_preflight(
    ccat: Ccat, rotate_args: list[str], hub: FakeHub, new_token: str
) -> None:
    reader = TokenSpec("reader[bot]", kind="installation", permissions={"metadata": "read"})
    hub.add_token(INSTALLATION, reader)
    # Actions alone: a store it cannot read at all is refused earlier (tests/cli/test_stores).
    result = ccat(
        *rotate_args, "--stores", "actions", input=new_token + "\n", env={"GH_TOKEN": INSTALLATION}
    )
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "Resource not accessible by integration" in said
    assert "'Secrets' read and write" in said
    assert not [r for r in hub.requests if r.method == "PUT"]


def identify(hub: FakeHub, token: str) -> object:
    async def ask() -> object:
        settings = ClientSettings(api_url=hub.url, token=token)
        async with open_client(settings) as client:
            return await client.identify()

    return anyio.run(ask)


def test_identify_says_who_a_token_is(hub: FakeHub) -> None:
    hub.add_token(INSTALLATION, APP)
    user = identify(hub, hub.operator_token)
    assert getattr(user, "login", None) == "ccat-operator"
    assert getattr(user, "installation", "?") is None
    app = identify(hub, INSTALLATION)
    assert getattr(app, "login", None) == INSTALLATION_LOGIN
    installation = getattr(app, "installation", None)
    assert installation is not None
    assert (installation.repositories, installation.selection) == (len(hub.repositories), "all")


def test_a_403_that_is_no_installation_is_the_error_of_get_user(hub: FakeHub) -> None:
    hub.add_fault(Fault("GET", "/user", status=403, message="Forbidden for a reason"))
    with pytest.raises(HTTPStatusError) as raised:
        identify(hub, hub.operator_token)
    assert raised.value.status == 403
    assert raised.value.request == "GET /user"
    assert raised.value.detail == "Forbidden for a reason"


def test_revoke_with_an_installation_token_as_the_operator(
    ccat: Ccat,
    rotate_args: list[str],
    case: RotationCase,
) -> None:
    case.hub.add_token(INSTALLATION, APP)
    as_app = {"GH_TOKEN": INSTALLATION}
    old = "github_pat_" + "ab" * 20
    case.hub.add_token(old, TokenSpec("previous-bot"))
    for token in (old, case.token):
        rotated = ccat(*rotate_args, "--write-interval", "0", input=token + "\n", env=as_app)
        assert rotated.exit_code == 0, rotated.output
    revoke = ["pat", "revoke", "--graph", str(case.graph), "--api-url", case.hub.url]
    result = ccat(*revoke, "--journal", str(case.journal), "--yes", input=old + "\n", env=as_app)
    assert result.exit_code == 0, result.output
    assert case.hub.revoked == {old}
    (revocation,) = Journal(case.journal).load().revocations
    assert revocation.operator == INSTALLATION_LOGIN and revocation.login == "previous-bot"
