"""`ccat pat rotate --resume` verifies before it skips (issue 7.8) and writes in the
graph's order (issue 7.7).

A journal's `updated` row is a claim; before skipping that repository, the resumed run
reads the secret's `updated_at` on GitHub. Earlier than the recorded write's start (a
hand-edited row, or a value restored since), or no secret at all: the value there is not
ours, and the repository is written again, saying so. A row GitHub confirms is skipped:
no write is sent to it. The emulator's log and decrypted values are the witness.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from ccat.fakehub import FakeHub, Fault
from tests.support.rotation import (
    FORBIDDEN,
    ONE_BY_ONE,
    SECRET,
    NoLeak,
    RotationCase,
    current,
    holding,
    names,
    put_repositories,
    secret_path,
    write_graph,
)

Ccat = Callable[..., Result]
LONG_AGO = "2020-01-01T00:00:00Z"


def stop_at(ccat: Ccat, rotate_args: list[str], hub: FakeHub, token: str, failing: str) -> Result:
    """A rotation stopped by a 403 on the write to `failing`, one write at a time."""
    hub.add_fault(Fault("PUT", secret_path(failing), status=403, message=FORBIDDEN))
    result = ccat(*rotate_args, *ONE_BY_ONE, input=token + "\n")
    assert result.exit_code == 1, result.output
    hub.clear_faults()
    return result


def claim_updated(journal_path: Path, repositories: list[str]) -> None:
    """Hand-edit the journal: call `repositories` updated, written at the run's start."""
    document = json.loads(journal_path.read_bytes())
    run = document["current"]
    for target in run["targets"]:
        if target["repository"] in repositories:
            target.update(
                state="updated",
                started_at=run["started_at"],
                finished_at=run["started_at"],
                http_status=204,
                error=None,
            )
    journal_path.write_text(json.dumps(document, indent=2))
    os.chmod(journal_path, 0o600)


def test_resume_writes_again_what_github_does_not_hold_and_skips_what_it_does(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    stopped = stop_at(ccat, rotate_args, case.hub, case.token, case.targets[3])
    assert current(case.journal).updated() == case.targets[:3]
    # targets[1] was updated by the run, then an older value was restored over it;
    # targets[5] and targets[6] are claimed by hand: one holds an old value, one nothing.
    case.hub.set_secret(case.targets[1], SECRET, "restored", updated_at=LONG_AGO)
    case.hub.set_secret(case.targets[5], SECRET, "old", updated_at=LONG_AGO)
    claim_updated(case.journal, [case.targets[5], case.targets[6]])
    case.hub.reset_log()

    resumed = ccat(
        *rotate_args,
        "--resume",
        *ONE_BY_ONE,
        input=case.token + "\n",
    )

    assert resumed.exit_code == 0, resumed.output
    genuine = [case.targets[0], case.targets[2]]
    written = [t for t in case.targets if t not in genuine]
    assert put_repositories(case.hub) == written  # in the graph's order
    # What is written again is proven as any write: its key, the new token's reach.
    for endpoint in ("secrets/public-key", "runs"):
        asked = {r.path for r in case.hub.requests if r.path.endswith(f"/actions/{endpoint}")}
        assert asked == {f"/repos/{t}/actions/{endpoint}" for t in written}
    verified = sorted(r.path for r in case.hub.requests if r.path.endswith("/actions/secrets"))
    assert verified == sorted(
        f"/repos/{t}/actions/secrets"
        for t in [*genuine, case.targets[1], case.targets[5], case.targets[6]]
    )
    assert holding(case.hub, case.token) == set(case.targets)
    finished = current(case.journal)
    assert finished.state == "completed" and finished.updated() == case.targets
    said = " ".join(resumed.output.split())
    for redone in (case.targets[1], case.targets[5]):
        assert (
            f"{redone}: recorded as updated, but GitHub's value dates from {LONG_AGO}, "
            "before that write: set again"
        ) in said
    assert (
        f"{case.targets[6]}: recorded as updated, but GitHub has no such secret: set again" in said
    )
    for skipped in genuine:
        assert f"{skipped}: recorded" not in said
    assert_no_leak(stopped.stdout, stopped.stderr, resumed.stdout, resumed.stderr)


def test_resume_verification_that_fails_writes_nothing(
    ccat: Ccat, rotate_args: list[str], case: RotationCase
) -> None:
    stop_at(ccat, rotate_args, case.hub, case.token, case.targets[3])
    before = case.journal.read_bytes()
    case.hub.add_fault(
        Fault("GET", f"/repos/{case.targets[2]}/actions/secrets", status=403, count=None)
    )
    case.hub.reset_log()

    resumed = ccat(*rotate_args, "--resume", "--write-interval", "0", input=case.token + "\n")

    assert resumed.exit_code == 1, resumed.output
    assert f"{case.targets[2]}: checking the recorded write: HTTP 403" in resumed.stderr
    assert put_repositories(case.hub) == []
    assert case.journal.read_bytes() == before


def test_a_resumed_run_writes_in_the_order_of_the_graph_as_it_is_now(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    stop_at(ccat, rotate_args, case.hub, case.token, case.targets[3])
    reordered = list(reversed(case.targets[1:]))  # system-integration stays first (SPEC §2.1)
    write_graph(case.graph, names(reordered))
    case.hub.reset_log()

    resumed = ccat(
        *rotate_args,
        "--resume",
        *ONE_BY_ONE,
        input=case.token + "\n",
    )

    assert resumed.exit_code == 0, resumed.output
    assert put_repositories(case.hub) == [t for t in reordered if t not in case.targets[:3]]
    finished = current(case.journal)
    assert [t.repository for t in finished.targets] == [case.targets[0], *reordered]
    assert finished.state == "completed"
    assert holding(case.hub, case.token) == set(case.targets)
    assert_no_leak(resumed.stdout, resumed.stderr)
