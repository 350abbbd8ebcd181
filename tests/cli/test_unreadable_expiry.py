"""An expiry header GitHub's format does not describe is said as unknown at the
rotation's preflight (issue 14, defect 12): `CET` was read as UTC, `EST` and ISO forms
silently meant "no expiry"."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, Fault
from tests.support.rotation import NoLeak


@pytest.mark.parametrize(
    "header", ["2027-02-01 00:00:00 CET", "2027-02-01 00:00:00 EST", "2027-02-01T00:00:00Z"]
)
def test_an_unreadable_expiry_is_said_in_the_plan_and_the_json(
    ccat: Callable[..., Result],
    rotate_args: list[str],
    hub: FakeHub,
    new_token: str,
    header: str,
    assert_no_leak: NoLeak,
) -> None:
    body = json.dumps({"login": "ccat-ci-bot"}).encode()
    headers = {"github-authentication-token-expiration": header}
    hub.add_fault(Fault("GET", "/user", 200, None, body=body, headers=headers))
    shown = ccat(*rotate_args, "--dry-run", input=new_token + "\n")
    assert shown.exit_code == 0, shown.output
    assert "its expiry is unknown" in shown.stdout
    assert f"GitHub sent an expiry date that cannot be read ({header})" in shown.stdout
    assert "GitHub sent no expiry date" not in shown.stdout
    result = ccat(*rotate_args, "--dry-run", "--json", input=new_token + "\n")
    assert result.exit_code == 0, result.output
    token = json.loads(result.stdout)["new_token"]
    assert token["expires_at"] is None and token["expiry_unreadable"] == header
    assert_no_leak(shown.stdout, shown.stderr, result.stdout, result.stderr)
