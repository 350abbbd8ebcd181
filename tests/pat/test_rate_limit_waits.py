"""Rate-limit waits (issue 14, defect 12): `--max-wait` bounds what the whole run waits
for GitHub's rate limits (waits that overlap counted once), and an answer without a
usable time to wait — a reset already past, a Retry-After of 0 — is GitHub's documented
fallback (a minute, doubled at each refusal), never a retry every second.

Client tests run on a fake clock (the waits are numbers); the last one runs `status` as
a process against the emulator, as the issue reproduced it."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest

from ccat.fakehub import FakeHub, Fault
from ccat.pat.errors import RateLimitError
from ccat.pat.github import PointsBudget, SecretInfo, open_client
from ccat.pat.github.transport import Timing
from ccat.pat.settings import ClientSettings
from tests.support.emulator import OPERATOR_TOKEN
from tests.support.environment import child_env
from tests.support.fake_time import FakeTime
from tests.support.processes import run_ccat
from tests.support.rotation import write_graph

REPO = "ccatobs/ops-db"
OTHER = "ccatobs/ops-db-api"
SECONDARY = "You have exceeded a secondary rate limit."


def _limited(path: str, count: int | None, **headers: str) -> Fault:
    return Fault("GET", path, 429, count, SECONDARY, headers=headers)


def _settings(hub: FakeHub, max_wait: float) -> ClientSettings:
    return ClientSettings(
        api_url=hub.url, token=OPERATOR_TOKEN, timeout=5.0, max_wait=max_wait, budget=0
    )


def test_a_retry_after_of_zero_is_the_documented_minute_not_a_loop(fakehub: FakeHub) -> None:
    fakehub.add_fault(_limited(f"/repos/{REPO}/actions/secrets", 1, **{"retry-after": "0"}))
    clock = FakeTime()

    async def run() -> None:
        async with open_client(_settings(fakehub, 300), timing=clock.timing) as github:
            await github.find_secret(REPO, "GH_PAT")

    anyio.run(run)
    assert clock.sleeps == [60.0]
    assert [r.status for r in fakehub.requests] == [429, 200]


class SleepTogether:
    """A clock on which the first `sleepers` sleeps begin together: the clock moves (by
    the longest) only once all of them are asleep, as concurrent waits do for real."""

    def __init__(self, sleepers: int) -> None:
        self.clock = FakeTime()
        self.sleepers = sleepers
        self.asleep: list[float] = []
        self.woken = anyio.Event()

    async def sleep(self, seconds: float) -> None:
        self.asleep.append(seconds)
        if len(self.asleep) == self.sleepers:
            self.clock.advance(max(self.asleep))
            self.woken.set()
        await self.woken.wait()

    @property
    def timing(self) -> Timing:
        return Timing(sleep=self.sleep, monotonic=self.clock.monotonic, wall=self.clock.wall)


def test_overlapping_waits_count_once_against_max_wait(fakehub: FakeHub) -> None:
    # Both requests are refused with Retry-After 30 at the same moment: the run waits 30 s,
    # not 60, and both fit in --max-wait 40.
    for repository in (REPO, OTHER):
        path = f"/repos/{repository}/actions/secrets"
        fakehub.add_fault(_limited(path, 1, **{"retry-after": "30"}))
    together = SleepTogether(2)
    found: list[SecretInfo | None] = []

    async def run() -> None:
        async with open_client(_settings(fakehub, 40), timing=together.timing) as github:

            async def find(repository: str) -> None:
                found.append(await github.find_secret(repository, "GH_PAT"))

            async with anyio.create_task_group() as group:
                for repository in (REPO, OTHER):
                    group.start_soon(find, repository)
            assert github.transport.budget.paused_total == pytest.approx(30)

    anyio.run(run)
    assert together.asleep == [30.0, 30.0]
    assert found == [None, None]  # both answered (neither repository has the secret)


def test_max_wait_bounds_the_whole_run_not_each_request(fakehub: FakeHub) -> None:
    # One request waits 30 s; a later one is refused for 30 s more: the run would have
    # waited 60 s in all, beyond --max-wait 40, although each wait alone is within it.
    fakehub.add_fault(_limited(f"/repos/{REPO}/actions/secrets", 1, **{"retry-after": "30"}))
    fakehub.add_fault(_limited(f"/repos/{OTHER}/actions/secrets", 1, **{"retry-after": "30"}))
    clock = FakeTime()
    outcome: list[object] = []

    async def run() -> None:
        async with open_client(_settings(fakehub, 40), timing=clock.timing) as github:
            outcome.append(await github.find_secret(REPO, "GH_PAT"))
            try:
                await github.find_secret(OTHER, "GH_PAT")
            except RateLimitError as exc:
                outcome.append(exc)

    anyio.run(run)
    first, second = outcome
    assert first is None and isinstance(second, RateLimitError)
    assert "beyond --max-wait 40 s for the whole run, after 30 s of waits already" in (
        second.message
    )
    assert clock.sleeps == [30.0]


def test_the_pause_counts_the_union_of_waits() -> None:
    clock = FakeTime()
    budget = PointsBudget(0, monotonic=clock.monotonic)
    assert budget.pause(30) == 30
    clock.advance(10)
    assert budget.pause_growth(30) == pytest.approx(10)  # 20 s of it overlap
    assert budget.pause(30) == pytest.approx(10)
    clock.advance(100)
    assert budget.pause(5) == 5
    assert budget.paused_total == pytest.approx(45)


@pytest.mark.slow
def test_a_past_reset_for_nine_repositories_is_one_request_each(tmp_path: Path) -> None:
    # The repro: 55 requests in 7.6 s for 9 repositories with --max-wait 5.
    names = [f"repo-{index}" for index in range(8)]  # and system-integration: 9
    graph = write_graph(tmp_path / "graph.yml", names)
    repositories = [f"ccatobs/{name}" for name in ["system-integration", *names]]
    past = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) - 100)}
    with FakeHub(repositories, operator_token=OPERATOR_TOKEN) as hub:
        message = "API rate limit exceeded for user ID 1."
        hub.add_fault(Fault("GET", "*", 403, None, message, headers=past))
        args = ["--api-url", hub.url, "--max-wait", "5", "--journal", str(tmp_path / "j.json")]
        env = child_env(OPERATOR_TOKEN, tmp_path)
        done = run_ccat("pat", "status", "--graph", str(graph), *args, env=env, timeout=120)
        requests = hub.requests
    assert done.returncode == 3, done.stdout + done.stderr  # none could be checked
    # Each request once: the three stores' lists of each repository, and the
    # organisation's (the environments list fails, so no environment is asked).
    assert len(requests) == 3 * len(repositories) + 1
    said = " ".join((done.stdout + done.stderr).split())
    assert "GitHub's reset time is already past" in said
    assert "beyond --max-wait 5 s for the whole run" in said
