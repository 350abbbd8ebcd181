"""A status scene with everything at once, for the status tests and for looking at the
screens: a running emulator, a dependency graph and a journal whose last completed
rotation makes every kind of warning fire, an organisation secret, a repository that
cannot be checked, one whose secret is missing (and whose organisation secrets cannot
be checked), and a repository name of 100 characters (changed since the rotation).

    scene = build_scene(tmp_path, now)
    with scene.hub:
        ccat pat status --graph scene.graph --api-url scene.hub.url --journal scene.journal

Import with `from tests.support.scene import build_scene`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ccat.fakehub import FakeHub, Fault
from ccat.pat.github import open_client
from ccat.pat.journal import RotationRun, TargetRecord, iso
from ccat.pat.settings import ClientSettings
from ccat.pat.status import StatusOptions, StatusReport, run_status
from tests.support.fake_time import FakeTime
from tests.support.journals import a_run, a_token, save_journal
from tests.support.rotation import write_graph

ORG = "ccatobs"
SECRET = "GH_PAT"
SCENE_OPERATOR_TOKEN = "status-scene-operator-credential"
SCENE_OPERATOR_LOGIN = "ccat-operator"
TOKEN_LOGIN = "ccat-ci-bot"
# GitHub's longest repository name: 100 characters.
LONG_NAME = "observatory-control-" + "telescope-pointing-model-" * 3 + "x" * 5
assert len(LONG_NAME) == 100
FORBIDDEN = (
    "Resource not accessible by personal access token; the fine-grained token needs the "
    "Secrets repository permission (read)"
)
ORG_403 = "Must have admin rights to Repository."

# What each repository of the scene is there to show.
FINE = "system-integration"  # updated by the last rotation, untouched since
CHANGED = "ops-db"  # set by someone else after the rotation wrote it
MISSED = "ops-db-api"  # older than the rotation's start: missed, and too old
SHADOWING = "data-transfer"  # its own secret hides the organisation's
SERVED = "scheduler"  # no secret of its own: served by the organisation's
MISSING = "planner"  # no secret at all; its organisation secrets cannot be checked
BROKEN = "web"  # the checking credential may not read it
NAMES = (FINE, CHANGED, MISSED, SHADOWING, SERVED, MISSING, BROKEN, LONG_NAME)


@dataclass(frozen=True)
class Scene:
    """An emulator (not started), the graph and journal paths, and the rotation's run."""

    hub: FakeHub
    graph: Path
    journal: Path
    run: RotationRun
    operator_token: str = SCENE_OPERATOR_TOKEN

    def status_args(self) -> list[str]:
        """`pat status` with the scene's graph, API URL and journal (hub started)."""
        return [
            "pat",
            "status",
            "--graph",
            str(self.graph),
            "--api-url",
            self.hub.url,
            "--journal",
            str(self.journal),
        ]


async def status_of(
    hub: FakeHub,
    repositories: Iterable[str],
    now: datetime,
    *,
    client: ClientSettings | None = None,
    **fields: Any,
) -> StatusReport:
    """The status engine's report on GH_PAT in `repositories` (full names) of ccatobs as of
    `now`, through a real client (the hub's operator credential, no budget, unless
    `client`) on a fake clock, so that its waits cost nothing; `fields` to the options."""
    settings = client or ClientSettings(api_url=hub.url, token=hub.operator_token, budget=0)
    timing = FakeTime().timing
    return await run_status(
        StatusOptions(
            connect=lambda: open_client(settings, timing=timing),
            repositories=list(repositories),
            secret=SECRET,
            org=ORG,
            clock=lambda: now,
            **fields,
        )
    )


def full(name: str) -> str:
    """`ccatobs/name`."""
    return f"{ORG}/{name}"


def completed_run(
    repositories: Iterable[str],
    started: datetime,
    *,
    expires_at: str | None,
    kind: str | None = "fine-grained",
    write_seconds: int = 2,
    state: str = "completed",
    api_url: str = "http://127.0.0.1",
) -> RotationRun:
    """A run that wrote every one of `repositories` (full names) in turn, `write_seconds`
    each, from `started`; finished after the last write."""
    targets: list[TargetRecord] = []
    at = started
    for repository in repositories:
        begun, at = at, at + timedelta(seconds=write_seconds)
        targets.append(TargetRecord(repository, "updated", iso(begun), iso(at), 204, None))
    return a_run(
        targets,
        run_id=f"{iso(started).replace('-', '').replace(':', '')}-5ce9e0",
        api_url=api_url,
        state=state,
        started_at=iso(started),
        finished_at=iso(at),
        operator=SCENE_OPERATOR_LOGIN,
        token=a_token(expires_at, kind),
    )


def build_scene(root: Path, now: datetime) -> Scene:
    """Every warning at once, as of `now`: see the module docstring. The hub is started
    (its URL is in the journal's run); `with scene.hub:` stops it at the end."""
    repositories = [full(name) for name in ("system-integration", *NAMES[1:])]
    hub = FakeHub(
        repositories, operator_token=SCENE_OPERATOR_TOKEN, operator_login=SCENE_OPERATOR_LOGIN
    ).start()
    started = now - timedelta(days=30)
    run = completed_run(
        [full(name) for name in NAMES if name not in (SERVED, MISSING, BROKEN)],
        started,
        expires_at=iso(now + timedelta(days=5, hours=6)),
        api_url=hub.url,
    )
    for target in run.targets:
        hub.set_secret(target.repository, SECRET, "rotated", updated_at=target.finished_at)
    hub.set_secret(full(CHANGED), SECRET, "by hand", updated_at=now - timedelta(days=3))
    hub.set_secret(full(MISSED), SECRET, "previous", updated_at=now - timedelta(days=120))
    hub.set_secret(full(LONG_NAME), SECRET, "by hand", updated_at=now - timedelta(days=2))
    # Copies in the other stores (SPEC §10), older than the rotation: both missed it.
    hub.set_secret(
        full(MISSED), SECRET, "previous", store="dependabot", updated_at=now - timedelta(days=40)
    )
    hub.set_secret(
        full(CHANGED),
        SECRET,
        "previous",
        store="environment:production",
        updated_at=now - timedelta(days=40),
    )
    hub.add_environment(full(CHANGED), "staging")
    hub.set_org_secret(
        ORG,
        SECRET,
        "organisation",
        visibility="selected",
        selected_repositories=[full(SHADOWING), full(SERVED)],
        updated_at=now - timedelta(days=10),
    )
    hub.add_fault(Fault("GET", f"/repos/{full(BROKEN)}/*", 403, None, FORBIDDEN))
    hub.add_fault(
        Fault("GET", f"/repos/{full(MISSING)}/actions/organization-secrets", 403, None, ORG_403)
    )
    graph = write_graph(root / "dependency-graph.yml", NAMES)
    journal = save_journal(root / "state" / "pat-journal.json", run)
    return Scene(hub, graph, journal, run)
