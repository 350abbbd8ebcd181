"""Every way out of a rotation's writes tells the truth (issue 14, defects 3 and 9):
the engine, driven directly, against the emulator over loopback.

- A cancellation that comes as the last write ends leaves the run `completed`: the
  journal says so and the outcome is kept for the report.
"""

from __future__ import annotations

import anyio
import pytest

from ccat.pat.journal import TargetRecord
from ccat.pat.rotation import Rotation
from tests.support.rotation import (
    NoLeak,
    QuietListener,
    RotationCase,
    current,
    holding,
    rotate_options,
)

pytestmark = pytest.mark.anyio


async def test_a_cancellation_as_the_last_write_ends_leaves_the_run_completed(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    class CancelAsTheLastWriteEnds(QuietListener):
        def write_finished(self, record: TargetRecord) -> None:
            if record.repository == case.targets[-1]:
                scope.cancel()  # the signal: its outcome is already journaled

    listener = CancelAsTheLastWriteEnds()
    given = rotate_options(
        case.hub, case.graph, case.journal, case.token, concurrency=1, listener=listener
    )
    rotation = Rotation(given, given.journal.load())
    with anyio.CancelScope() as scope:
        with given.journal.lock():
            plan = await rotation.prepare()
            await rotation.execute(plan)
    assert scope.cancelled_caught

    assert current(case.journal).state == "completed"
    assert rotation.outcome is not None and rotation.outcome.completed
    assert holding(case.hub, case.token) == set(case.targets)
    assert_no_leak(repr(rotation.outcome))


async def test_an_error_nobody_expected_mid_rotation_is_recorded_stopped(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    class FailsOnTheThirdLine(QuietListener):
        """A listener that breaks after the third write was journaled (a bug, a full
        terminal buffer): nothing the engine could expect."""

        def write_finished(self, record: TargetRecord) -> None:
            if record.repository == case.targets[2]:
                raise RuntimeError("the listener broke")

    listener = FailsOnTheThirdLine()
    given = rotate_options(
        case.hub, case.graph, case.journal, case.token, concurrency=1, listener=listener
    )
    rotation = Rotation(given, given.journal.load())
    with given.journal.lock(), pytest.raises(BaseExceptionGroup) as caught:
        plan = await rotation.prepare()
        await rotation.execute(plan)
    assert caught.group_contains(RuntimeError)

    run = current(case.journal)
    assert run.state == "stopped" and run.finished_at is not None
    assert run.updated() == case.targets[:3]
    assert rotation.run is not None and rotation.run.updated() == case.targets[:3]
    assert set(run.updated()) <= holding(case.hub, case.token) <= set(case.targets[:4])
    assert_no_leak()
