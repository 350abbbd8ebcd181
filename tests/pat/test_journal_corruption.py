"""The rule of issue 14, defect 2, exhaustively: *a journal that contradicts itself or
GitHub is refused as damaged, and no warning logic ever reads "unknown" as "fine"*.

Three true journals (a clean completed rotation; a rotation stopped midway; a completed
rotation that GitHub says one repository missed and another changed since), and GitHub's
answers for each from the emulator (one real status check). Then every single-field
corruption of each journal file: every value in it replaced by each of a set of
candidates (wrong types, empty and hostile text, every state, other HTTP statuses, each
other time in the document, that time a second, a day and a year either way, times out
of range, other repository names) and every key removed. Each corrupted journal is read
the way `ccat pat status` reads it (`read_status_journal`: the journal's checks, times
after the check refused) and its outcome computed: per repository the warning kinds, the
token's warning kinds, "safe to revoke", and the unfinished rotation (its state and how
many repositories hold its token). No exception but a `JournalError` may escape, and each
corruption must be

- refused (a `JournalError`), or
- give the very outcome of the true journal, or
- be *more cautious* than the truth, for a value that nothing else in a journal or on
  GitHub can contradict: it warns of every repository the truth warns of and more, keeps
  every token warning and the unfinished rotation, and says "safe to revoke" only if the
  truth does. (An expiry moved into the past; a completed run recorded `interrupted`,
  which a signal at the very end really can leave; a target renamed to a repository
  that left the graph: the one it was is then "missed" or "changed".)
- Or, for the secret, organisation and API URL only, be another rotation's: the run
  then says nothing of this secret, as if this journal did not hold it (a status check
  never sees a journal kept for another secret); never a false "safe to revoke".

The counts are printed (`pytest -s`) and asserted.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from ccat.commands.status_journal import read_status_journal
from ccat.fakehub import FakeHub
from ccat.pat.errors import JournalError
from ccat.pat.journal import JournalDocument, RotationRun, TargetRecord, iso
from ccat.pat.status import StatusReport, assess
from tests.support.emulator import OPERATOR_TOKEN
from tests.support.scene import completed_run, status_of

NOW = datetime.now(UTC).replace(microsecond=0)
ORG = "ccatobs"
REPOS = [f"{ORG}/{name}" for name in ("system-integration", "ops-db", "ops-db-api", "web")]
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SHIFTS = [timedelta(seconds=1), timedelta(days=1), timedelta(days=365)]
EXTREMES = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2026-02-30T00:00:00Z",
    "yesterday",
]
GENERIC: list[object] = [None, True, 0, -1, 1.5, "", " ", "x", [], {}, "\x1b[2J"]
STATES = {
    "state": ["running", "stopped", "interrupted", "completed", "pending", "updated", "failed"]
}
STATUSES = [200, 201, 204, 403, 404, 500, 99999]
# Fields that say which rotation a run was: changed, the run is another secret's,
# organisation's or GitHub's, and says nothing of this one (module docstring).
ANOTHER_ROTATION = {"secret", "org", "api_url"}


def written(repositories: list[str], started: datetime) -> RotationRun:
    return completed_run(
        repositories,
        started,
        expires_at=iso(NOW + timedelta(days=365)),
        api_url="http://127.0.0.1",
        write_seconds=3,
    )


def scenario_clean() -> tuple[JournalDocument, dict[str, datetime]]:
    """A completed rotation ten days ago after one 80 days ago; GitHub as written."""
    earlier = written(REPOS, NOW - timedelta(days=80))
    current = written(REPOS, NOW - timedelta(days=10))
    return JournalDocument(current=current, history=[earlier]), _as_written(current)


def scenario_stopped() -> tuple[JournalDocument, dict[str, datetime]]:
    """A rotation stopped at its third repository (403) with the fourth in flight."""
    earlier = written(REPOS, NOW - timedelta(days=40))
    current = written(REPOS, NOW - timedelta(hours=2))
    third, fourth = current.targets[2], current.targets[3]
    current.targets[2] = (
        TargetRecord.pending(third.repository)
        .started(third.started_at or "")
        .failed(403, "Resource not accessible by personal access token", third.finished_at or "")
    )
    current.targets[3] = TargetRecord.pending(fourth.repository).started(fourth.started_at or "")
    current.state = "stopped"
    github = {**_as_written(earlier), **_as_written(current)}
    for repository in REPOS[2:]:
        github[repository] = _as_written(earlier)[repository]
    return JournalDocument(current=current, history=[earlier]), github


def scenario_missed_and_changed() -> tuple[JournalDocument, dict[str, datetime]]:
    """A completed rotation five days ago; GitHub says ops-db holds an older value
    (missed) and ops-db-api was set by hand two days ago (changed)."""
    current = written(REPOS, NOW - timedelta(days=5))
    github = _as_written(current)
    github[REPOS[1]] = NOW - timedelta(days=30)
    github[REPOS[2]] = NOW - timedelta(days=2)
    return JournalDocument(current=current, history=[]), github


SCENARIOS = {
    "clean": scenario_clean,
    "stopped": scenario_stopped,
    "missed-and-changed": scenario_missed_and_changed,
}


def _as_written(run: RotationRun) -> dict[str, datetime]:
    """GitHub's `updated_at` of each repository the run wrote: when its write finished."""
    return {
        t.repository: datetime.fromisoformat(t.finished_at)
        for t in run.targets
        if t.state == "updated" and t.finished_at
    }


async def github_report(github: dict[str, datetime]) -> StatusReport:
    with FakeHub(REPOS, operator_token=OPERATOR_TOKEN) as hub:
        for repository, when in github.items():
            hub.set_secret(repository, "GH_PAT", "value", updated_at=when)
        return await status_of(hub, REPOS, NOW)


class Outcome(NamedTuple):
    """What status concludes: (repository, kind) warnings, token warning kinds, "safe
    to revoke", and the unfinished rotation's (state, repositories holding its token)."""

    warnings: tuple[tuple[str, str], ...]
    token: tuple[str, ...]
    safe: bool
    unfinished: tuple[str, int] | None


TRUTHS = {
    "clean": Outcome((), (), True, None),
    "stopped": Outcome((), (), False, ("stopped", 2)),
    "missed-and-changed": Outcome(((REPOS[1], "missed"), (REPOS[2], "changed")), (), False, None),
}


def outcome(path: Path, report: StatusReport) -> Outcome:
    """What `status` would conclude from the journal at `path` and GitHub's `report`."""
    journal = read_status_journal(
        path, {}, secret="GH_PAT", org=ORG, api_url="http://127.0.0.1", now=NOW
    )
    unfinished = journal.unfinished(report)
    found = assess(report, journal.runs, NOW, unfinished=unfinished)
    return Outcome(
        tuple(sorted((repo, w.kind) for repo, ws in found.repositories.items() for w in ws)),
        tuple(w.kind for w in found.token_warnings),
        found.safe_to_revoke is not None,
        None if unfinished is None else (unfinished.state, unfinished.holding),
    )


def more_cautious(found: Outcome, truth: Outcome) -> bool:
    """Whether `found` says all `truth` says and more: every repository warned of in
    `truth` is warned of (of any kind), every token warning stays, an unfinished
    rotation stays, and "safe to revoke" is said only if `truth` says it."""
    warned = {repo for repo, _ in found.warnings}
    return (
        all(repo in warned for repo, _ in truth.warnings)
        and set(truth.token) <= set(found.token)
        and (truth.unfinished is None or found.unfinished is not None)
        and (not found.safe or truth.safe)
    )


def leaves(node: object, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The path of every value in a JSON tree (containers included)."""
    if path:
        yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, (*path, index))


def candidates(tree: dict[str, Any], path: tuple[str | int, ...], value: object) -> list[object]:
    """The values to put in place of `value` at `path`: see the module docstring."""
    key = path[-1]
    found: list[object] = [*GENERIC, *EXTREMES]
    if isinstance(key, str):
        found += STATES.get(key, [])
        if key == "http_status":
            found += STATUSES
        if key == "repository":
            found += [*REPOS, str(value).upper(), "elsewhere/ops-db", f"{ORG}/added"]
        if key in ("secret", "org"):
            found += [str(value).upper(), "other"]
    if isinstance(value, str) and TIME.fullmatch(value):
        stamp = datetime.fromisoformat(value)
        found += [iso(stamp + shift) for shift in SHIFTS] + [iso(stamp - s) for s in SHIFTS]
        found += sorted({t for t in _times(tree) if t != value})
    return [c for c in found if c != value or type(c) is not type(value)]


def _times(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _times(value)
    elif isinstance(node, list):
        for value in node:
            yield from _times(value)
    elif isinstance(node, str) and TIME.fullmatch(node):
        yield node


def corruptions(tree: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every single-field corruption of `tree`: (where and what, the corrupted tree)."""
    for path in list(leaves(tree)):
        parent: Any = tree
        for step in path[:-1]:
            parent = parent[step]
        value = parent[path[-1]]
        where = ".".join(map(str, path))
        if isinstance(parent, dict):
            corrupted = copy.deepcopy(tree)
            _at(corrupted, path[:-1]).pop(path[-1])
            yield f"{where} removed", corrupted
        for candidate in candidates(tree, path, value):
            corrupted = copy.deepcopy(tree)
            _at(corrupted, path[:-1])[path[-1]] = candidate
            yield f"{where} = {candidate!r}", corrupted


def _at(tree: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        tree = tree[step]
    return tree


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
async def test_every_single_field_corruption_is_refused_or_changes_nothing(
    tmp_path: Path, scenario: str, capsys: pytest.CaptureFixture[str]
) -> None:
    document, github = SCENARIOS[scenario]()
    report = await github_report(github)
    path = tmp_path / "pat-journal.json"
    tree = document.to_json()
    path.write_text(json.dumps(tree), encoding="utf-8")
    truth = outcome(path, report)
    assert truth == TRUTHS[scenario]

    tally: Counter[str] = Counter()
    listed: list[str] = []
    for what, corrupted in corruptions(tree):
        path.write_text(json.dumps(corrupted), encoding="utf-8")
        try:
            found = outcome(path, report)
        except JournalError:
            tally["refused"] += 1
            continue
        if found == truth:
            tally["same outcome"] += 1
        elif more_cautious(found, truth):
            tally["more cautious"] += 1
            listed.append(f"more cautious: {what}")
        else:
            field = what.split(" ")[0].split(".")[-1]
            assert field in ANOTHER_ROTATION, f"{scenario}: {what}: {found} != {truth}"
            assert not found.safe or truth.safe, f"{scenario}: {what}: a false safe to revoke"
            tally["another rotation's"] += 1
            listed.append(f"another rotation's: {what}")
    path.unlink()  # the test's own, mostly false, journal

    with capsys.disabled():
        print(f"\n{scenario}: {sum(tally.values())} corruptions: {dict(tally)}")
        for what in listed:
            print(f"  {what}")
    assert tally["refused"] > 0 and tally["same outcome"] > 0
    assert sum(tally.values()) >= 1000
