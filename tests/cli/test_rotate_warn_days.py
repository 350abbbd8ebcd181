"""`ccat pat rotate --warn-days`: the new token's expiry is warned of with the cut-off
status uses (`ccat.pat.expiry`), and the option reaches the preflight's lines."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from typer.testing import Result

from ccat.fakehub import FakeHub, Fault
from tests.rotation_support import NoLeak


def test_rotate_warns_of_an_expiry_within_warn_days_only(
    ccat: Callable[..., Result],
    rotate_args: list[str],
    hub: FakeHub,
    new_token: str,
    assert_no_leak: NoLeak,
) -> None:
    # 20 days away: far from both cut-offs (14 by default, 30 given), whatever the clock.
    expires = datetime.now(UTC) + timedelta(days=20)
    header = expires.strftime("%Y-%m-%d %H:%M:%S UTC")
    body = json.dumps({"login": "ccat-ci-bot"}).encode()
    headers = {"github-authentication-token-expiration": header}
    hub.add_fault(Fault("GET", "/user", 200, None, body=body, headers=headers))
    default = ccat(*rotate_args, "--dry-run", input=new_token + "\n")
    wider = ccat(*rotate_args, "--dry-run", "--warn-days", "30", input=new_token + "\n")
    assert default.exit_code == 0 and wider.exit_code == 0, default.output + wider.output
    assert "the new token expires" not in default.stdout
    assert "warning: the new token expires in 19 days" in " ".join(wider.stdout.split())
    assert_no_leak(default.stdout, default.stderr, wider.stdout, wider.stderr)
