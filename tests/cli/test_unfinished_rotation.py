"""Issue 15, build item 1 (SPEC §12): an unfinished rotation is never an all-clear.

A real `ccat pat rotate` process is stopped by a failed write, by SIGINT or by SIGKILL
after two of eight repositories; then real `ccat pat status` processes (the table,
`--json`, `--strict`, and under GitHub Actions with a step summary) must say first that
the rotation stopped / was interrupted / crashed, how many repositories hold the new
token, that both tokens are in use and neither may be revoked, and to run
`ccat pat rotate --resume`, and never "safe to revoke". `journal --json` says `crashed`
after the kill, and while the rotation still runs, `running` and "in progress" (never
"--resume"). The rotation's own reports say not to revoke the previous token.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ccat.fakehub import FakeHub, Fault
from ccat.pat.journal import Journal, RotationRun
from tests.support.environment import child_env
from tests.support.processes import run_ccat as ccat_process
from tests.support.rotation import (
    FORBIDDEN,
    SECRET,
    TARGETS,
    RotationCase,
    holding,
    rotation_process,
    secret_path,
)

STATES = {"failure": "stopped", "sigint": "interrupted", "sigkill": "crashed"}
SAID = {"failure": "stopped at a failed write", "sigint": "was interrupted", "sigkill": "crashed"}


def run_ccat(
    hub: FakeHub, tmp_path: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return ccat_process(*args, env={**child_env(hub.operator_token, tmp_path), **env})


def journal_run(journal_path: Path) -> RotationRun | None:
    try:
        return Journal(journal_path).load().current
    except FileNotFoundError:
        return None


def wait_until(condition: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
@pytest.mark.parametrize("how", sorted(STATES))
def test_status_after_an_unfinished_rotation_says_so_first_and_never_safe(
    case: RotationCase, how: str
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=30)
    for repository in TARGETS:
        case.hub.set_secret(repository, SECRET, "previous", updated_at=long_ago)
    where = ["--graph", str(case.graph), "--api-url", case.hub.url, "--journal", str(case.journal)]
    rotate = ["pat", "rotate", "--yes", *where, "--concurrency", "1", "--write-interval"]
    if how == "failure":
        case.hub.add_fault(Fault("PUT", secret_path(TARGETS[2]), status=403, message=FORBIDDEN))
        rotate.append("0")
    else:
        rotate.append("0.5")

    with rotation_process(rotate, case.hub, case.token, case.tmp_path) as process:
        if how != "failure":

            def two_updated() -> bool:
                run = journal_run(case.journal)
                return run is not None and len(run.updated()) >= 2

            wait_until(two_updated, "two repositories are updated")
            if how == "sigkill":
                live_checks(case.hub, case.tmp_path, where)
            process.send_signal(signal.SIGINT if how == "sigint" else signal.SIGKILL)
        out, err = process.communicate(timeout=60)
    expected_code = {"failure": 1, "sigint": 130, "sigkill": -signal.SIGKILL}[how]
    assert process.returncode == expected_code, err
    if how != "sigkill":  # the rotation's own report says it too
        assert "Do not revoke the previous token" in flat(out + err)

    run = journal_run(case.journal)
    assert run is not None
    updated = run.updated()
    assert len(updated) == 2 if how == "failure" else len(updated) >= 2
    assert set(updated) <= holding(case.hub, case.token)
    title = f"⛔ Rotation {run.run_id} of GH_PAT {SAID[how]}"
    holds = f"{len(updated)} of 8 repositories hold the new token"

    # The table: the unfinished rotation first, then the table; never "safe to revoke".
    table = run_ccat(case.hub, case.tmp_path, "pat", "status", *where)
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith(title), table.stdout[:300]
    said = flat(table.stdout)
    assert holds in said
    assert "Both tokens are in use: do not revoke either" in said
    assert "ccat pat rotate --resume with the same token" in said
    assert said.index("⛔") < said.index("╭")  # before the table
    assert table.stdout.splitlines()[-1].startswith("UNFINISHED: GH_PAT — 8 present")
    assert "safe to revoke" not in table.stdout + table.stderr

    strict = run_ccat(case.hub, case.tmp_path, "pat", "status", *where, "--strict")
    assert strict.returncode == 1, strict.stderr

    as_json = run_ccat(case.hub, case.tmp_path, "pat", "status", *where, "--json")
    assert as_json.returncode == 0, as_json.stderr
    document = json.loads(as_json.stdout)
    unfinished = document["unfinished_run"]
    assert unfinished["run_id"] == run.run_id
    assert unfinished["state"] == STATES[how]
    assert unfinished["holding_new_token"] == len(updated) == unfinished["updated"]
    assert unfinished["repositories"] == 8 and unfinished["both_tokens_in_use"] is True
    assert unfinished["action"] == "ccat pat rotate --resume"
    assert document["safe_to_revoke"] is False
    # First after the line naming the API host (the emulator is not api.github.com).
    host_line, said = as_json.stderr.split("\n", 1)
    assert host_line.startswith("GitHub API at http://127.0.0.1:")
    assert said.startswith(f"error: Rotation {run.run_id} of GH_PAT {SAID[how]}")
    assert "safe to revoke" not in as_json.stderr

    summary = case.tmp_path / "step-summary.md"
    actions = run_ccat(
        case.hub,
        case.tmp_path,
        "pat",
        "status",
        *where,
        GITHUB_ACTIONS="true",
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert actions.returncode == 0, actions.stderr
    commands = [line for line in actions.stdout.splitlines() if line.startswith("::")]
    assert commands[0].startswith("::error title=GH_PAT rotation unfinished::Rotation ")
    assert holds in commands[0] and "--resume" in commands[0]
    markdown = summary.read_text(encoding="utf-8")
    assert markdown.index("⛔") < markdown.index("| Repository |")
    assert "safe to revoke" not in actions.stdout + actions.stderr + markdown

    journal = run_ccat(
        case.hub, case.tmp_path, "pat", "journal", "--json", "--journal", str(case.journal)
    )
    assert journal.returncode == 0, journal.stderr
    current = json.loads(journal.stdout)["current"]
    assert current["state"] == STATES[how]
    if how == "sigkill":
        assert current["recorded_state"] == "running"
    else:
        assert "recorded_state" not in current


def live_checks(hub: FakeHub, tmp_path: Path, where: list[str]) -> None:
    """While the rotation runs: `running`, "in progress", never "--resume"."""
    journal_path = where[where.index("--journal") + 1]
    shown = run_ccat(hub, tmp_path, "pat", "journal", "--journal", journal_path)
    assert shown.returncode == 0, shown.stderr
    assert "in progress" in flat(shown.stdout)
    assert "--resume" not in shown.stdout
    as_json = run_ccat(hub, tmp_path, "pat", "journal", "--json", "--journal", journal_path)
    assert json.loads(as_json.stdout)["current"]["state"] == "running"
    status = run_ccat(hub, tmp_path, "pat", "status", *where, "--json")
    document = json.loads(status.stdout)
    assert document["unfinished_run"]["state"] == "running"
    assert "is in progress" in document["unfinished_run"]["message"]
    assert document["safe_to_revoke"] is False
