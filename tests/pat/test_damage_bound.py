"""The damage bound of SPEC §4.5 (issue 7.2): once a write's first attempt has not
succeeded, no further write starts until it has settled, and none at all if it fails.

Forty targets; the write at position k hangs, fails (502 until the retries run out), is
refused (403) or is rate limited, with writes overlapping (`--write-interval 0`) and
paced (a short interval, so that the run stays quick). Whether a write started "after"
is a question of what the client knew: the client's listener and the rotation's
listener record, in event-loop order, each attempt's end and each write's start
(`tests.client_events`). The emulator's log (start and finish times on the same clock)
must agree with it: every write it received after the failing attempt had finished was
started by the client before it learnt of the failure, i.e. it was already in flight.
A slow command-line run does the same with the default interval of one second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import anyio
import pytest
from typer.testing import CliRunner

from ccat.cli import app
from ccat.fakehub import FakeHub, Fault, LoggedRequest
from ccat.pat.github import open_client
from ccat.pat.graph import load_graph
from ccat.pat.journal import Journal, TargetRecord
from ccat.pat.rotation import RotateOptions, RotationOutcome
from ccat.pat.settings import ClientSettings
from tests.client_events import Events
from tests.conftest import emulator
from tests.rotation_support import (
    FORBIDDEN,
    ROTATION_OPERATOR_TOKEN,
    SECONDARY,
    SECRET,
    current,
    holding,
    puts,
    repository_of,
    run_rotation,
    secret_path,
    write_graph,
)

N = 40
NAMES = [f"repo-{number:02d}" for number in range(1, N)]
TARGETS = ["ccatobs/system-integration", *(f"ccatobs/{name}" for name in NAMES)]
TIMEOUT = 0.3  # a hanging write costs two of these (one retry after a timeout)
SUCCESS = (201, 204)

FAULTS: dict[str, Callable[[str], Fault]] = {
    "hang": lambda path: Fault("PUT", path, action="hang", count=None),
    "502": lambda path: Fault("PUT", path, status=502, message="Bad Gateway", count=None),
    "403": lambda path: Fault("PUT", path, status=403, message=FORBIDDEN, count=None),
}
RECORDED_STATUS = {"hang": None, "502": 502, "403": 403}


@pytest.fixture
def forty(new_token: str) -> Iterator[FakeHub]:
    with emulator(TARGETS, ROTATION_OPERATOR_TOKEN, new_token) as hub:
        yield hub


@pytest.fixture
def forty_graph(tmp_path: Path) -> Path:
    return write_graph(tmp_path / "forty.yml", NAMES)


async def rotate(
    hub: FakeHub, graph: Path, journal: Path, token: str, interval: float, events: Events
) -> RotationOutcome:
    settings = ClientSettings(
        api_url=hub.url, token=ROTATION_OPERATOR_TOKEN, timeout=TIMEOUT, backoff=0.05, budget=0
    )
    options = RotateOptions(
        connect=lambda: open_client(settings, listener=events),
        journal=Journal(journal),
        graph=load_graph(graph),
        secret=SECRET,
        api_url=hub.url,
        operator_token=ROTATION_OPERATOR_TOKEN,
        new_token=token,
        write_interval=interval,
        listener=events,
    )
    with anyio.fail_after(60):
        return await run_rotation(options)


def assert_nothing_started_after_the_setback(
    events: Events, hub: FakeHub, failing: str, settled: bool
) -> None:
    """The invariant, in the client's order of events and in the emulator's log."""
    setback = events.first_setback("PUT", secret_path(failing), SUCCESS)
    assert setback is not None, "the failing write never had a setback"
    later = events.log[setback + 1 :]
    finish = next(
        (i for i, e in enumerate(later) if e.kind == "finish" and e.path == failing), len(later)
    )
    started_while_troubled = [e.path for e in later[:finish] if e.kind == "start"]
    assert started_while_troubled == []
    if not settled:  # it failed: nothing starts after it, ever
        assert [e.path for e in later if e.kind == "start"] == []
    # The emulator's witness: what it received is what the client started; and for a
    # write that failed, whatever reached it after the failed attempt was over had been
    # started before the client learnt of it (it was in flight).
    writes = puts(hub)
    assert {repository_of(r) for r in writes} == set(events.started())
    if not settled:
        attempt = first_failed_attempt(writes, failing)
        in_flight = {e.path for e in events.log[:setback] if e.kind == "start"}
        after_it = {repository_of(r) for r in writes if r.started > attempt.finished}
        assert after_it - {failing} <= in_flight


def first_failed_attempt(writes: list[LoggedRequest], failing: str) -> LoggedRequest:
    return next(r for r in writes if repository_of(r) == failing and r.status not in SUCCESS)


@pytest.mark.anyio
@pytest.mark.parametrize("interval", [0.0, 0.03], ids=["interval-0", "interval-0.03"])
@pytest.mark.parametrize("position", [3, 20])
@pytest.mark.parametrize("fault", FAULTS)
async def test_no_write_starts_once_a_write_is_in_trouble(
    forty: FakeHub,
    forty_graph: Path,
    journal_path: Path,
    new_token: str,
    fault: str,
    position: int,
    interval: float,
) -> None:
    failing = TARGETS[position - 1]
    forty.add_fault(FAULTS[fault](secret_path(failing)))
    events = Events()

    outcome = await rotate(forty, forty_graph, journal_path, new_token, interval, events)

    assert_nothing_started_after_the_setback(events, forty, failing, settled=False)
    run = current(journal_path)
    assert run.state == "stopped"
    assert outcome.failure is not None
    failed = outcome.failure.record
    assert (failed.repository, failed.state) == (failing, "failed")
    assert failed.http_status == RECORDED_STATUS[fault]
    # The exact lists: the journal, the outcome and the emulator's decrypted values agree.
    assert outcome.run is not None and outcome.run.updated() == run.updated()
    assert set(run.updated()) == holding(forty, new_token)
    assert set(run.updated()) | set(run.not_updated()) == set(TARGETS)
    assert set(run.updated()) == {
        e.path for e in events.log if e.kind == "finish" and e.status in SUCCESS
    }
    assert TARGETS[: position - 1] == run.updated()[: position - 1]  # all before it landed
    never = [t for t in TARGETS if t not in events.started()]
    assert [run.target(t) for t in never] == [TargetRecord.pending(t) for t in never]


@pytest.mark.anyio
@pytest.mark.parametrize("interval", [0.0, 0.03], ids=["interval-0", "interval-0.03"])
async def test_writes_wait_while_one_waits_out_a_rate_limit_then_go_on(
    forty: FakeHub, forty_graph: Path, journal_path: Path, new_token: str, interval: float
) -> None:
    limited = TARGETS[4]
    forty.add_fault(
        Fault("PUT", secret_path(limited), status=429, message=SECONDARY, retry_after=1)
    )
    events = Events()

    outcome = await rotate(forty, forty_graph, journal_path, new_token, interval, events)

    assert_nothing_started_after_the_setback(events, forty, limited, settled=True)
    assert events.rate_limit_waits() == [1.0]
    assert outcome.completed and outcome.failure is None
    assert holding(forty, new_token) == set(TARGETS)
    assert current(journal_path).updated() == TARGETS


# -- the command line, with the default interval -------------------------------------------


@pytest.mark.slow
def test_with_the_default_interval_a_hang_stops_the_writes_at_its_first_timeout(
    forty: FakeHub, forty_graph: Path, journal_path: Path, new_token: str, tmp_path: Path
) -> None:
    # Writes start a second apart; the third hangs. Its first attempt times out 2.5 s
    # later (between two starts, so the order is not a matter of luck), when writes 4
    # and 5 have started; its retry times out too, and the run stops. Before the damage
    # bound, writes went on through the retry, and with --timeout 30 for two minutes.
    failing = TARGETS[2]
    forty.add_fault(Fault("PUT", secret_path(failing), action="hang", count=None))
    args = ["pat", "rotate", "--yes", "--graph", str(forty_graph), "--api-url", forty.url]
    args += ["--journal", str(journal_path), "--timeout", "2.5"]

    env = {"GH_TOKEN": ROTATION_OPERATOR_TOKEN, "GITHUB_API_URL": None, "CCAT_JOURNAL": None}
    env.update(GH_ENTERPRISE_TOKEN=None, GITHUB_ENTERPRISE_TOKEN=None, COLUMNS="200")
    result = CliRunner().invoke(app, args, input=new_token + "\n", env=env)

    assert result.exit_code == 1, result.output
    writes = puts(forty)
    attempt = first_failed_attempt(writes, failing)
    others = [repository_of(r) for r in writes if repository_of(r) != failing]
    assert others == [*TARGETS[:2], *TARGETS[3:5]]
    assert all(r.started < attempt.finished for r in writes if repository_of(r) != failing)
    run = current(journal_path)
    assert run.state == "stopped"
    assert run.updated() == others
    assert set(others) == holding(forty, new_token)
    assert f"Rotation stopped at {failing}" in result.stdout
