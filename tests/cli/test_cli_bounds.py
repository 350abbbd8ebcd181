"""Command-line inputs of issue 7.10 and 7.11 not covered by test_cli_inputs.py (which has
the API URL with a query, a fragment or credentials, and the tokens): waits that are not
finite numbers, ports out of range, and plain HTTP to a host that is not this machine.

Each refusal is exit 2 with a message, no traceback, and no request to the emulator.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub
from tests.support.rotation import SECRET, RotationCase, puts

Ccat = Callable[..., Result]


def refused(result: Result, *fragments: str) -> None:
    """Exit 2 with each fragment in the message, and no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


WAITS = [
    ("--timeout", "inf"),
    ("--timeout", "nan"),
    ("--timeout", "-inf"),
    ("--timeout", "1e999"),
    ("--max-wait", "inf"),
    ("--max-wait", "nan"),
]
INTERVALS = [("--write-interval", "nan"), ("--write-interval", "inf")]  # rotate only


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        *(("status", option, value) for option, value in WAITS),
        *(("rotate", option, value) for option, value in WAITS + INTERVALS),
    ],
)
def test_a_wait_that_is_not_a_finite_number_is_a_usage_error(
    ccat: Ccat, case: RotationCase, command: str, option: str, value: str
) -> None:
    args = ["pat", command, "--graph", str(case.graph), "--api-url", case.hub.url]
    args += ["--journal", str(case.journal), option, value]

    result = ccat(*args, input=case.token + "\n")

    refused(result, option)
    assert case.hub.requests == []
    assert not case.journal.exists()


@pytest.mark.parametrize("port", ["0", "65536", "99999", "-1", "80a"])
def test_a_port_out_of_range_is_a_usage_error(
    ccat: Ccat, hub: FakeHub, graph_file: Path, port: str
) -> None:
    result = ccat(
        "pat", "status", "--graph", str(graph_file), "--api-url", f"http://127.0.0.1:{port}"
    )

    refused(result, "--api-url")
    assert hub.requests == []


def elsewhere(hub: FakeHub) -> str:
    """The emulator's URL through 0.0.0.0: not a loopback address to the URL check, yet
    a connection to it stays on this machine (Linux connects 0.0.0.0 locally)."""
    return hub.url.replace("127.0.0.1", "0.0.0.0")


@pytest.mark.parametrize("source", ["--api-url", "GITHUB_API_URL"])
@pytest.mark.parametrize("command", ["status", "rotate"])
def test_plain_http_to_another_host_is_refused_without_insecure_http(
    ccat: Ccat, case: RotationCase, command: str, source: str
) -> None:
    args = ["pat", command, "--graph", str(case.graph), "--journal", str(case.journal)]
    env: dict[str, str | None] = {}
    if source == "--api-url":
        args += ["--api-url", elsewhere(case.hub)]
    else:
        env["GITHUB_API_URL"] = elsewhere(case.hub)

    result = ccat(*args, input=case.token + "\n", env=env)

    refused(result, source, "--insecure-http")
    assert case.hub.requests == []
    assert not case.journal.exists()


def test_plain_http_to_another_host_is_used_with_insecure_http(
    ccat: Ccat, case: RotationCase
) -> None:
    for repository in case.targets:
        case.hub.set_secret(repository, SECRET, "value")
    args = ["pat", "status", "--graph", str(case.graph), "--api-url", elsewhere(case.hub)]

    # Round two (SPEC §2.2): a host that is not this machine by its address takes the
    # enterprise variables; GH_TOKEN (the fixture's) is not sent there.
    env = {"GH_ENTERPRISE_TOKEN": case.hub.operator_token, "GH_TOKEN": "ghp_not_for_this_host"}
    result = ccat(*args, "--insecure-http", env=env)

    assert result.exit_code == 0, result.output
    # Each store's list per target (no environment here), the organisation's list.
    assert len(case.hub.requests) == 3 * len(case.targets) + 1
    assert {request.token_login for request in case.hub.requests} == {case.hub.operator_login}
    assert puts(case.hub) == []
