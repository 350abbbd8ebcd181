"""Tests for `ccat pat rotate` and `ccat pat journal` on the command line.

`ccat` runs in-process (`typer.testing.CliRunner`) with the operator credential in
GH_TOKEN and the new token on standard input, against the emulator over loopback HTTP.
The operator's report (parsed from stdout) is compared with the journal on disk and
with the values the emulator decrypted; every run is checked for token leaks.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, Fault
from ccat.pat.journal import Journal
from tests.support.rotation import (
    FORBIDDEN,
    ONE_BY_ONE,
    SECONDARY,
    NoLeak,
    RotationCase,
    current,
    holding,
    key_path,
    names,
    put_repositories,
    puts,
    report_list,
    repository_of,
    secret_path,
    write_graph,
)

Ccat = Callable[..., Result]


def outputs(*results: Result) -> list[str]:
    """stdout and stderr of each result, for the leak check."""
    return [text for result in results for text in (result.stdout, result.stderr)]


def stop_at(ccat: Ccat, rotate_args: list[str], hub: FakeHub, token: str, failing: str) -> Result:
    """A rotation stopped by a 403 on the write to `failing`, one write at a time."""
    hub.add_fault(Fault("PUT", secret_path(failing), status=403, message=FORBIDDEN))
    result = ccat(*rotate_args, *ONE_BY_ONE, input=token + "\n")
    assert result.exit_code == 1, result.output
    return result


def assert_nothing_written(hub: FakeHub, journal_path: Path) -> None:
    """No PUT reached the emulator and no journal was made."""
    assert puts(hub) == []
    assert not journal_path.exists()


def assert_no_write_since(hub: FakeHub, journal_path: Path, before: bytes) -> None:
    """No PUT reached the emulator and the journal still holds `before`."""
    assert puts(hub) == []
    assert journal_path.read_bytes() == before


# -- stop on first failure, then resume ------------------------------------------------


def test_a_stopped_rotation_reports_exactly_what_was_updated_then_resume_finishes(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    bad = case.targets[3]
    stopped = stop_at(ccat, rotate_args, case.hub, case.token, bad)

    run = current(case.journal)
    updated = report_list(stopped.stdout, "Already updated")
    assert (
        set(updated) == set(run.updated()) == holding(case.hub, case.token) == set(case.targets[:3])
    )
    assert report_list(stopped.stdout, "NOT updated") == run.not_updated() == case.targets[3:]
    assert run.state == "stopped"
    failed = run.target(bad)
    assert failed is not None
    assert (failed.state, failed.http_status, failed.error) == ("failed", 403, FORBIDDEN)
    assert f"Rotation stopped at {bad}: HTTP 403: {FORBIDDEN}" in stopped.stdout
    assert "ccat pat rotate --resume" in stopped.stdout
    assert "the operator credential lacks permission" in stopped.stdout  # the failure's hint
    for later in case.targets[4:]:
        pending = run.target(later)
        assert pending is not None and pending.state == "pending" and pending.started_at is None
    assert put_repositories(case.hub) == case.targets[:4]  # no write to any later target

    case.hub.reset_log()
    resumed = ccat(*rotate_args, "--resume", "--write-interval", "0", input=case.token + "\n")

    assert resumed.exit_code == 0, resumed.output
    assert sorted(put_repositories(case.hub)) == sorted(case.targets[3:])
    assert holding(case.hub, case.token) == set(case.targets)
    finished = current(case.journal)
    assert (finished.run_id, finished.state) == (run.run_id, "completed")
    assert f"rotated in all {len(case.targets)} repositories" in resumed.stdout
    assert_no_leak(*outputs(stopped, resumed))


def test_transient_failures_are_retried_and_the_rate_limit_wait_is_announced(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    case.hub.add_fault(
        Fault("PUT", secret_path(case.targets[1]), status=502, message="Server Error")
    )
    case.hub.add_fault(Fault("PUT", secret_path(case.targets[2]), action="drop"))
    case.hub.add_fault(
        Fault("PUT", secret_path(case.targets[3]), status=429, message=SECONDARY, retry_after=1)
    )

    result = ccat(*rotate_args, "--write-interval", "0", "--debug", input=case.token + "\n")

    assert result.exit_code == 0, result.output
    statuses: dict[str, list[int | None]] = {}
    for request in puts(case.hub):
        statuses.setdefault(repository_of(request), []).append(request.status)
    assert statuses == {
        **{t: [201] for t in case.targets},
        case.targets[1]: [502, 201],
        case.targets[2]: [None, 201],
        case.targets[3]: [429, 201],
    }
    refused, accepted = [r for r in puts(case.hub) if repository_of(r) == case.targets[3]]
    assert accepted.started - refused.finished >= 0.9  # Retry-After: 1 was honoured
    assert f"GitHub rate limit ({case.targets[3]}): waiting 1 s" in result.stderr
    assert "not a failure" in result.stderr
    assert "Authorization: <redacted>" in result.stderr  # --debug shows requests, no token
    assert f"PUT {case.hub.url}{secret_path(case.targets[1])} -> 502" in result.stderr
    assert holding(case.hub, case.token) == set(case.targets)
    run = current(case.journal)
    assert run.state == "completed"
    assert all(t.state == "updated" and t.http_status == 201 for t in run.targets)
    assert_no_leak(*outputs(result))


# -- refusals before any write ---------------------------------------------------------


def test_a_dry_run_shows_the_plan_and_changes_nothing(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    fresh = ccat(*rotate_args, "--dry-run", input=case.token + "\n")

    assert fresh.exit_code == 0, fresh.output
    assert "Dry run: nothing was written" in fresh.stdout
    assert "new token belongs to ccat-ci-bot (classic token), expires 2027-02-01T00:00:00Z" in (
        fresh.stdout
    )
    assert f"Preflight OK: operator {case.hub.operator_login};" in fresh.stdout
    assert f"Public keys fetched for {len(case.targets)} repositories" in fresh.stdout
    assert all(target in fresh.stdout for target in case.targets)
    assert {r.method for r in case.hub.requests} == {"GET"}
    assert holding(case.hub, case.token) == set()
    assert_nothing_written(case.hub, case.journal)

    stop_at(ccat, rotate_args, case.hub, case.token, case.targets[2])
    before = case.journal.read_bytes()
    case.hub.reset_log()
    resume = ccat(*rotate_args, "--dry-run", "--resume", input=case.token + "\n")

    assert resume.exit_code == 0, resume.output
    assert resume.stdout.count("skip: already updated") == 2
    assert_no_write_since(case.hub, case.journal, before)
    assert_no_leak(*outputs(fresh, resume))


def test_an_invalid_new_token_is_refused_with_exit_2(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    unknown = case.token[:-4] + "dead"  # not known to the emulator: GET /user answers 401
    result = ccat(*rotate_args, input=unknown + "\n")

    assert result.exit_code == 2, result.output
    assert "the new token is not valid" in result.stderr
    user_checks = [(r.status, r.token_login) for r in case.hub.requests if r.path == "/user"]
    assert (401, None) in user_checks
    assert_nothing_written(case.hub, case.journal)
    assert unknown not in result.output
    assert_no_leak(*outputs(result))


def test_no_token_on_standard_input_is_exit_2_without_a_request(
    ccat: Ccat, rotate_args: list[str], hub: FakeHub, journal_path: Path
) -> None:
    result = ccat(*rotate_args, input="  \n")

    assert result.exit_code == 2, result.output
    assert "no token given" in result.stderr
    assert hub.requests == []
    assert not journal_path.exists()


def test_a_preflight_failure_lists_every_failing_repository(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    write_graph(case.graph, [*names(case.targets[1:]), "not-on-github"])
    case.hub.add_fault(Fault("GET", key_path(case.targets[2]), status=404, message="Not Found"))
    case.hub.add_fault(Fault("GET", key_path(case.targets[5]), status=403, message=FORBIDDEN))

    result = ccat(*rotate_args, input=case.token + "\n")

    assert result.exit_code == 1, result.output
    # 38 checks: both tokens' /user, and for each of the 9 repositories its Actions key,
    # the new token's reach, and where its Dependabot and environment copies are.
    assert "error: preflight failed for 4 of 38 checks; nothing was written" in result.stderr
    # A repository GitHub does not know fails twice: its key, and the new token's reach.
    # Issue 15: the keys that fail alike are one line, then every name.
    assert "  ✗ public key: HTTP 404: Not Found — 2 repositories:" in result.stderr
    assert f"      {case.targets[2]}, ccatobs/not-on-github\n" in result.stderr
    assert f"  ✗ {case.targets[5]}: public key: HTTP 403: {FORBIDDEN}\n" in result.stderr
    reach = "the new token cannot read Actions in this repository (HTTP 404: Not Found)"
    assert f"  ✗ ccatobs/not-on-github: {reach}\n" in result.stderr
    failing = re.findall(r"^  ✗ (\S+): ", result.stderr, flags=re.MULTILINE)
    assert failing == [case.targets[5], "ccatobs/not-on-github"]
    assert_nothing_written(case.hub, case.journal)
    assert_no_leak(*outputs(result))


def test_a_second_rotation_is_refused_while_the_lock_is_held(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    with Journal(case.journal).lock():
        result = ccat(*rotate_args, input=case.token + "\n")

    assert result.exit_code == 2, result.output
    assert "another rotation holds the journal lock" in result.stderr
    assert f"pid {os.getpid()}" in result.stderr
    assert case.hub.requests == []
    assert not case.journal.exists()
    assert_no_leak(*outputs(result))


# -- resume ----------------------------------------------------------------------------


def test_resume_with_a_different_token_is_exit_2_without_a_write(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    stopped = stop_at(ccat, rotate_args, case.hub, case.token, case.targets[2])
    before = case.journal.read_bytes()
    case.hub.reset_log()

    result = ccat(*rotate_args, "--resume", input=case.token[:-4] + "beef\n")

    assert result.exit_code == 2, result.output
    assert "not the token the unfinished rotation started with" in result.stderr
    assert case.hub.requests == []  # refused before any request
    assert_no_write_since(case.hub, case.journal, before)
    assert_no_leak(*outputs(stopped, result))


def test_resume_without_an_unfinished_run_is_exit_2(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    no_journal = ccat(*rotate_args, "--resume", input=case.token + "\n")
    assert no_journal.exit_code == 2, no_journal.output
    assert "no unfinished rotation" in no_journal.stderr
    assert case.hub.requests == [] and not case.journal.exists()

    completed = ccat(*rotate_args, "--write-interval", "0", input=case.token + "\n")
    assert completed.exit_code == 0, completed.output
    before = case.journal.read_bytes()
    case.hub.reset_log()
    again = ccat(*rotate_args, "--resume", input=case.token + "\n")

    assert again.exit_code == 2, again.output
    assert "no unfinished rotation" in again.stderr
    assert case.hub.requests == []
    assert case.journal.read_bytes() == before
    assert_no_leak(*outputs(no_journal, completed, again))


def test_a_plain_rotate_after_a_stopped_run_notes_it_and_keeps_it_in_history(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    stopped = stop_at(ccat, rotate_args, case.hub, case.token, case.targets[2])
    earlier = current(case.journal).to_json()
    case.hub.reset_log()

    result = ccat(*rotate_args, "--write-interval", "0", input=case.token + "\n")

    assert result.exit_code == 0, result.output
    assert re.search(rf"previous run {earlier['run_id']} was\s+unfinished", result.stderr)
    document = Journal(case.journal).load()
    assert [run.to_json() for run in document.history] == [earlier]
    assert document.current is not None and document.current.state == "completed"
    # The runbook's fallback: every repository written again, each holding the token.
    assert sorted(put_repositories(case.hub)) == sorted(case.targets)
    assert holding(case.hub, case.token) == set(case.targets)
    assert_no_leak(*outputs(stopped, result))


def test_the_journal_path_comes_from_ccat_journal(
    ccat: Ccat, case: RotationCase, assert_no_leak: NoLeak
) -> None:
    path = case.tmp_path / "from-env" / "journal.json"
    args = ["pat", "rotate", "--yes", "--graph", str(case.graph), "--api-url", case.hub.url]
    result = ccat(
        *args, "--write-interval", "0", input=case.token + "\n", env={"CCAT_JOURNAL": str(path)}
    )

    assert result.exit_code == 0, result.output
    assert current(path).updated() == case.targets
    assert_no_leak(*outputs(result))


# -- ccat pat journal ------------------------------------------------------------------


def test_the_journal_command_shows_the_run_and_what_resume_would_do(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    stopped = stop_at(ccat, rotate_args, case.hub, case.token, case.targets[3])
    run = current(case.journal)
    journal_args = ["pat", "journal", "--journal", str(case.journal), "--graph", str(case.graph)]

    table = ccat(*journal_args)

    assert table.exit_code == 0, table.output
    text = table.stdout
    for expected in (
        run.run_id,
        "stopped",
        case.hub.operator_login,
        "GH_PAT in ccatobs",
        run.token.fingerprint.short,
        "ccat-ci-bot",
        "2027-02-01T00:00:00Z",
        f"HTTP 403: {FORBIDDEN}",
    ):
        assert expected in text
    rows = {
        target: line
        for line in text.splitlines()
        for target in case.targets
        if re.match(rf"│ {re.escape(target)}\s", line)
    }
    assert all("✓ updated" in rows[t] for t in case.targets[:3])
    assert "✗ failed" in rows[case.targets[3]]
    assert all("pending" in rows[t] for t in case.targets[4:])
    forecast = " ".join(text.split())  # rich may wrap the sentence
    assert "would skip 3 updated repositories and set 5: " + ", ".join(case.targets[3:]) in forecast

    as_json = ccat("pat", "journal", "--json", "--journal", str(case.journal))
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == json.loads(case.journal.read_text(encoding="utf-8"))

    write_graph(case.graph, [*names(case.targets[1:]), "late-addition"])
    changed = ccat(*journal_args)
    assert "changed since this run started" in changed.stdout
    assert_no_leak(*outputs(stopped, table, as_json, changed))


def test_the_journal_command_without_a_journal_is_exit_2(ccat: Ccat, journal_path: Path) -> None:
    result = ccat("pat", "journal", "--journal", str(journal_path))

    assert result.exit_code == 2, result.output
    assert f"no journal at {journal_path}" in result.stderr
    assert not journal_path.exists()


@pytest.mark.parametrize(
    "content",
    [b'{"schema": 1, "current": {"run_id": ', b"", b'{"schema": 99, "current": null}'],
    ids=["truncated", "empty", "unknown-schema"],
)
def test_a_corrupt_journal_is_exit_2_and_left_untouched(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak, content: bytes
) -> None:
    case.journal.parent.mkdir(parents=True)
    case.journal.write_bytes(content)
    results = [
        ccat("pat", "journal", "--journal", str(case.journal)),
        ccat("pat", "journal", "--json", "--journal", str(case.journal)),
        ccat(*rotate_args, "--write-interval", "0", input=case.token + "\n"),
        ccat(*rotate_args, "--resume", input=case.token + "\n"),
    ]

    for result in results:
        assert result.exit_code == 2, result.output
        assert str(case.journal) in result.stderr
    assert case.journal.read_bytes() == content
    assert case.hub.requests == []
    assert_no_leak(*outputs(*results))


def test_a_github_message_that_looks_like_markup_is_reported_verbatim(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    # Found by this test: the per-write line printed GitHub's message as rich markup, so
    # "[/]" in it crashed the rotation before its report.
    message = "Bad request - key_id [/] does not match the [bold]public key[/bold]."
    case.hub.add_fault(Fault("PUT", secret_path(case.targets[1]), status=422, message=message))

    result = ccat(*rotate_args, *ONE_BY_ONE, input=case.token + "\n")

    assert result.exit_code == 1, result.output
    assert f"✗ {case.targets[1]}: HTTP 422: {message}" in result.stderr
    assert f"Rotation stopped at {case.targets[1]}: HTTP 422: {message}" in result.stdout
    run = current(case.journal)
    failed = run.target(case.targets[1])
    assert failed is not None and failed.error == message
    assert run.state == "stopped"
    assert_no_leak(*outputs(result))
