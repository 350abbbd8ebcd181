"""Rate limits as GitHub documents them, and `ccat` through its command line coping.

GitHub ("Rate limits for the REST API"): exceeding the primary rate limit gets "a 403
or 429 response" with `x-ratelimit-remaining: 0`, to be retried after the time in
`x-ratelimit-reset`; exceeding a secondary rate limit gets "a 403 or 429 response" whose
message says so, to be retried after `retry-after` seconds when that header is sent.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, RateLimitMode
from tests.support.emulator import REPOSITORIES, auth

SECRET = "/repos/ccatobs/ops-db/actions/secrets/GH_PAT"
MODES = [("primary", 403), ("primary", 429), ("secondary", 403), ("secondary", 429)]


def _mode(kind: str, status: int, seconds: int) -> RateLimitMode:
    """A limit lasting at least `seconds` from now (the primary's reset is a whole epoch
    second: rounded up, never sooner)."""
    if kind == "primary":
        return RateLimitMode("primary", reset_at=math.ceil(time.time()) + seconds, status=status)
    return RateLimitMode("secondary", retry_after=seconds, status=status)


@pytest.mark.parametrize(("kind", "status"), MODES)
def test_each_mode_answers_as_github_documents(fakehub: FakeHub, kind: str, status: int) -> None:
    mode = _mode(kind, status, 600)
    fakehub.rate_limit = mode
    response = httpx.get(f"{fakehub.url}{SECRET}", headers=auth())
    assert response.status_code == status
    message = response.json()["message"]
    if kind == "primary":
        assert message == "API rate limit exceeded for user ID 1."
        assert response.headers["x-ratelimit-remaining"] == "0"
        assert response.headers["x-ratelimit-reset"] == str(mode.reset_at)
        assert "retry-after" not in response.headers
    else:
        assert message.startswith("You have exceeded a secondary rate limit.")
        assert 599 <= int(response.headers["retry-after"]) <= 600
        assert int(response.headers["x-ratelimit-remaining"]) > 0
    assert response.json()["status"] == str(status)


def test_a_rate_limit_answers_only_403_or_429() -> None:
    with pytest.raises(ValueError, match="403 or 429"):
        RateLimitMode("primary", status=500)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "status"), MODES)
def test_status_waits_out_each_kind_of_rate_limit(
    fakehub: FakeHub,
    ccat: Callable[..., Result],
    graph_file: Path,
    kind: str,
    status: int,
) -> None:
    for repository in REPOSITORIES:
        fakehub.set_secret(repository, "GH_PAT", "v")
    # The client takes a reset less than a second away for no usable time (and falls back
    # to a 60 s wait). The primary limit's reset is now + 2 s rounded up to a whole
    # second: the first requests have a second at least to arrive, time enough on a
    # loaded machine (rounded down, as it was, they could have had a millisecond).
    fakehub.rate_limit = _mode(kind, status, 2)
    # The Actions store alone: one request per repository, each limited once.
    args = ["--graph", str(graph_file), "--api-url", fakehub.url, "--stores", "actions"]
    result = ccat("pat", "status", "--json", *args)
    assert result.exit_code == 0, result.output
    assert {entry["state"] for entry in json.loads(result.stdout)["repositories"]} == {"present"}
    # One wait, one line (issue 15: one line per cause), naming every target it held.
    said = [line for line in result.stderr.splitlines() if "GitHub rate limit" in line]
    assert len(said) == 1, result.stderr
    assert said[0].startswith(f"GitHub rate limit ({len(REPOSITORIES)} repositories: ")
    assert all(repository in said[0] for repository in REPOSITORIES)
    assert "this is not a failure" in result.stderr
    answers = [request.status for request in fakehub.requests]
    assert answers.count(status) >= len(REPOSITORIES)  # every target was limited once…
    # …then answered, and so was the organisation's secret list.
    assert answers.count(200) == len(REPOSITORIES) + 1
    # The wait came from the answer's headers (at most 3 s), not the 60 s default.
    waits = [int(w) for w in re.findall(r"waiting (\d+) s", result.stderr)]
    assert waits and max(waits) <= 3


@pytest.mark.parametrize(("kind", "status"), MODES)
def test_status_gives_up_on_a_wait_longer_than_max_wait(
    fakehub: FakeHub,
    ccat: Callable[..., Result],
    graph_file: Path,
    kind: str,
    status: int,
) -> None:
    fakehub.rate_limit = _mode(kind, status, 3600)
    started = time.time()
    result = ccat(
        "pat", "status", "--graph", str(graph_file), "--api-url", fakehub.url, "--max-wait", "5"
    )
    assert result.exit_code == 3  # none known missing, none could be checked
    assert "rate limit" in result.output
    # The message names when the limit resets: an hour from now, give or take the run.
    resets = [
        datetime.fromtimestamp(started + 3600 + delta, UTC).strftime("%Y-%m-%dT%H:%M")
        for delta in (-60, 0, 60)
    ]
    assert any(reset in result.output for reset in resets), result.output
    assert {request.status for request in fakehub.requests} == {status}
