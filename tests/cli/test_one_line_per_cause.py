"""Issue 15, build item 4: what many repositories have in common is said once, with the
count and the names, wrapped at 80 columns, as real processes print it. A rate limit
printed the same wait line for each of 5 repositories; a dead host printed `connection
failed (ConnectError) after 4 attempts` nine times, then a hint that blamed the checking
credential. Connection failures name the host and the cause in words, in `status`, in
`rotate`'s preflight and in its writes.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from ccat.fakehub import FakeHub, Fault, RateLimitMode
from tests.support.connection_faults import UNRESOLVABLE, UNRESOLVABLE_URL
from tests.support.environment import child_env
from tests.support.processes import run_ccat
from tests.support.screens import WIDE, assert_reads_well, normalised

pytestmark = pytest.mark.slow  # the retries of a dead host take their real backoff

OPERATOR = "one-line-operator"
NEW_TOKEN = "ghp_onelinepercausenewtoken"
NAMES = (
    *("ops-db", "ops-db-api", "ops-db-ui", "data-transfer"),
    *("scheduler", "planner", "web", "monitoring"),
)
REPOS = tuple(f"ccatobs/{name}" for name in ("system-integration", *NAMES))


def ccat(
    tmp_path: Path, api_url: str, *args: str, width: int = 80, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    graph = tmp_path / "graph.yml"
    graph.write_text("org: ccatobs\nrepositories:\n" + "".join(f"  - {n}\n" for n in NAMES))
    # The enterprise variable too: for a host other than api.github.com it is the one
    # a credential comes from (SPEC §2.2).
    env = child_env(OPERATOR, tmp_path, {"GH_ENTERPRISE_TOKEN": OPERATOR, "COLUMNS": str(width)})
    where = ["--graph", str(graph), "--api-url", api_url, "--journal", str(tmp_path / "j.json")]
    return run_ccat("pat", *args, *where, input=None if token is None else token + "\n", env=env)


def one_line(text: str) -> str:
    return " ".join(text.split())


def test_a_dead_host_is_one_cause_and_the_hint_blames_the_connection(tmp_path: Path) -> None:
    done = ccat(tmp_path, UNRESOLVABLE_URL, "status")
    assert done.returncode == 3, done.stderr
    cause = f"cannot resolve {UNRESOLVABLE} (after 4 attempts)"
    assert done.stdout.count(cause) == 1  # once, not nine times
    said = one_line(done.stdout)
    assert f"{cause} — 9 repositories: {', '.join(REPOS)}" in said
    assert done.stdout.count("! error: no answer") == len(REPOS)  # the table, per row
    hint = one_line(done.stderr)
    assert "GitHub never answered (see above): it is the connection, neither the credential" in hint
    assert f"the name {UNRESOLVABLE} is not known here" in hint
    assert "checking credential" not in hint and "ConnectError" not in done.stdout + hint
    wide = ccat(tmp_path, UNRESOLVABLE_URL, "status", width=WIDE)
    assert_reads_well(
        normalised(done.stdout + done.stderr), normalised(wide.stdout + wide.stderr), 80
    )


def test_a_dead_host_fails_the_preflight_in_one_line_per_cause(tmp_path: Path) -> None:
    done = ccat(tmp_path, UNRESOLVABLE_URL, "rotate", "--yes", token=NEW_TOKEN)
    assert done.returncode == 1, done.stderr
    said = one_line(done.stderr)
    assert "nothing was written" in said
    assert (
        f"✗ the operator credential, the new token: GET /user: cannot resolve {UNRESOLVABLE}"
        in said
    ) or ("✗ the new token, the operator credential: GET /user: cannot resolve" in said)
    assert f"✗ public key: cannot resolve {UNRESOLVABLE} (after 4 attempts) — 9 repositories:" in (
        said
    )
    assert said.count(f"cannot resolve {UNRESOLVABLE}") == 2
    assert f"hint (9 repositories): the name {UNRESOLVABLE} is not known here" in said
    assert "credential" not in said.split("hint", 1)[1]
    assert all(len(line) <= 80 for line in done.stderr.splitlines())


def test_a_connection_lost_during_a_write_names_the_host(tmp_path: Path) -> None:
    with FakeHub(REPOS, operator_token=OPERATOR, tokens={NEW_TOKEN: "ccat-ci-bot"}) as hub:
        hub.add_fault(
            Fault("PUT", f"/repos/{REPOS[3]}/actions/secrets/*", action="drop", count=None)
        )
        address = hub.url.removeprefix("http://")
        done = ccat(tmp_path, hub.url, "rotate", "--yes", "--write-interval", "0", token=NEW_TOKEN)
    assert done.returncode == 1, done.stderr
    said = one_line(done.stdout)
    stopped = f"Rotation stopped at {REPOS[3]}: {address} closed the connection without answering"
    assert stopped in said
    assert "(after 4 attempts)" in said
    assert "hint: " in said and "dropped the request" in said
    assert "credential" not in said.split("hint:", 1)[1].split("Fix the cause")[0]


def test_a_rate_limit_for_many_repositories_is_one_line(tmp_path: Path) -> None:
    with FakeHub(REPOS, operator_token=OPERATOR) as hub:
        for repository in REPOS:
            hub.set_secret(repository, "GH_PAT", "v")
        hub.rate_limit = RateLimitMode("secondary", retry_after=2)
        started = time.monotonic()
        done = ccat(tmp_path, hub.url, "status")
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started >= 2  # it did wait
    said = [line for line in done.stderr.splitlines() if "rate limit" in line]
    assert len(said) == 1, done.stderr  # one wait, said once...
    text = one_line(done.stderr)
    # ...naming every repository it held (and the organisation's request), wrapped.
    assert re.search(r"GitHub rate limit \(9 repositories: .+, and 1 other request\): ", text)
    assert all(repository in text for repository in REPOS)
    assert "waiting 2 s" in text and "this is not a failure" in text
    assert all(len(line) <= 80 for line in done.stderr.splitlines())
