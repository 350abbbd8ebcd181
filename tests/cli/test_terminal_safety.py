"""Terminal safety (issue 7.4): no control character that came from a server or a journal
reaches the terminal raw, in any output of any command.

The hostile text carries what can act on a terminal or mislead a reader: a screen clear
(`ESC [2J`), an OSC 8 hyperlink, a C1 CSI (`U+009B`), a carriage return, and
bidirectional overrides. It is put where each command reads untrusted text: GitHub's
error messages, header values (`X-Accepted-GitHub-Permissions`, `X-OAuth-Scopes`), a
login, an organisation secret's fields, and every string of a hand-edited journal
(repository names, errors, logins, run id). Each output — the status table, JSON,
Markdown, GitHub Actions workflow commands and step summary; the rotation's per-write
lines, report, preflight failures and `--json`; the journal's table and `--json` — must
be valid UTF-8 without a single raw control character (JSON may escape them: it must
then parse).
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
from tests.support.rotation import ONE_BY_ONE, SECRET, RotationCase, current, secret_path

Ccat = Callable[..., Result]

HOSTILE = (
    "\x1b[2J\x1b]8;;https://evil.example/\x07click here\x1b]8;;\x07 "
    "\x9b31mred\r overwritten \u202egnp.exe\u2066 isolated\u2069 \x07\x00end"
)
# What may reach a terminal, as a header can carry it (Latin-1 without CR, LF, NUL).
HOSTILE_HEADER = "\x1b[2Jactions=read\x9b31m\x1b]8;;https://evil.example/\x07"
# Any C0 control but the newline, DEL, C1, and the invisible or reordering controls.
RAW_CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
SHOWN = "\\x1b[2J"  # how `clean` shows the screen clear, proving the text did arrive
MARKDOWN_SHOWN = f"`HTTP 403: {SHOWN}"  # in Markdown, in a code span, shown literally


def assert_inert(*outputs: bytes | str) -> None:
    """Each output is UTF-8 without a raw control character (newlines aside)."""
    for index, output in enumerate(outputs):
        data = output.encode("utf-8") if isinstance(output, str) else output
        assert b"\x1b" not in data, f"output #{index} holds an ESC"
        text = data.decode("utf-8")  # strict: a lone C1 byte would fail here
        found = RAW_CONTROL.search(text)
        assert found is None, f"output #{index}: {text[found.start() - 60 : found.end()]!r}"


def streams(result: Result) -> list[bytes]:
    return [result.stdout_bytes, result.stderr_bytes]


def without_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


# -- hostile journals -----------------------------------------------------------------------


def edit_journal(journal_path: Path, edit: Callable[[dict[str, object]], None]) -> None:
    """Hand-edit the journal's current run (as an operator, or an attacker, might)."""
    document = json.loads(journal_path.read_bytes())
    edit(document["current"])
    journal_path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    os.chmod(journal_path, 0o600)


def poison(run: dict[str, object]) -> None:
    """Hostile text in every free-text string a journal's reader shows, and two extra
    targets that are not in the graph: one updated, one pending. (A repository name or a
    time with hostile text is no longer shown: such a journal is refused as damaged, see
    `test_a_journal_refused_for_hostile_names_and_times_says_so_inert`.)"""
    run["operator"] = "alice" + HOSTILE
    run["run_id"] = "20261125T190000Z-" + HOSTILE
    token = run["token"]
    assert isinstance(token, dict)
    token["login"] = "ci-bot" + HOSTILE
    targets = run["targets"]
    assert isinstance(targets, list)
    for target in targets:
        if target["state"] == "failed":
            target["error"] = HOSTILE
    extra = {"started_at": run["started_at"], "finished_at": run["started_at"], "error": None}
    targets.append({"repository": "ccatobs/evil", "state": "updated", "http_status": 204, **extra})
    targets.append(
        {
            "repository": "ccatobs/gone",
            "state": "pending",
            "http_status": None,
            **{**extra, "finished_at": None},
        }
    )


def complete(run: dict[str, object]) -> None:
    """Make the run completed, every target updated when it finished (a true story)."""
    targets = run["targets"]
    assert isinstance(targets, list)
    for target in targets:
        if target["state"] != "updated":
            target.update(
                state="updated",
                started_at=run["finished_at"],
                finished_at=run["finished_at"],
                http_status=204,
                error=None,
            )
    run["state"] = "completed"


def stopped_run(ccat: Ccat, rotate_args: list[str], hub: FakeHub, token: str, at: str) -> None:
    """A rotation stopped by GitHub refusing the write to `at` with a hostile message."""
    hub.add_fault(Fault("PUT", secret_path(at), status=403, message=HOSTILE, count=None))
    result = ccat(*rotate_args, *ONE_BY_ONE, input=token + "\n")
    assert result.exit_code == 1, result.output
    assert_inert(*streams(result))
    assert SHOWN in result.stdout and SHOWN in result.stderr  # report and per-write line
    hub.clear_faults()


# -- ccat pat status --------------------------------------------------------------------------


@pytest.mark.parametrize("output", ["table", "json", "markdown", "github-actions"])
def test_status_shows_no_server_or_journal_control_character(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, output: str
) -> None:
    # A journal with hostile strings (the status reads it for its warnings)...
    stopped_run(ccat, rotate_args, case.hub, case.token, case.targets[4])
    edit_journal(case.journal, poison)
    edit_journal(case.journal, complete)
    # ...a hostile error message on a repository's secrets list and on the organisation
    # secrets of a repository without its own secret, and an organisation secret whose
    # fields are hostile.
    case.hub.add_fault(
        Fault("GET", f"/repos/{case.targets[1]}/actions/secrets", status=403, message=HOSTILE)
    )
    case.hub.delete_secret(case.targets[5], SECRET)
    case.hub.add_fault(
        Fault(
            "GET",
            f"/repos/{case.targets[5]}/actions/organization-secrets",
            status=422,
            message=HOSTILE,
        )
    )
    org_secret = {"name": SECRET + HOSTILE, "created_at": "2026-01-01T00:00:00Z"}
    org_secret.update(updated_at="2026-01-01T00:00:00Z", visibility="all")
    case.hub.add_fault(
        Fault(
            "GET",
            f"/orgs/ccatobs/actions/secrets/{SECRET}",
            status=200,
            body=json.dumps(org_secret).encode(),
        )
    )
    args = ["pat", "status", "--graph", str(case.graph), "--api-url", case.hub.url]
    args += ["--journal", str(case.journal)]
    summary = case.tmp_path / "step-summary.md"
    env: dict[str, str | None] = {}
    if output == "github-actions":
        env.update(GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    else:
        args += ["--format", output]

    result = ccat(*args, env=env)

    assert result.exit_code == 1, result.output  # targets[5] is missing
    without_traceback(result)
    assert_inert(*streams(result))
    if output == "json":
        document = json.loads(result.stdout)
        rows = {row["repository"]: row for row in document["repositories"]}
        assert rows[case.targets[1]]["state"] == "error"
        assert SHOWN in rows[case.targets[1]]["error"]
        assert document["token"]["login"] == "ci-bot" + HOSTILE  # escaped by JSON only
    elif output == "markdown":
        assert MARKDOWN_SHOWN in result.stdout
    else:
        assert SHOWN in result.stdout
    if output == "github-actions":
        assert "::error title=" in result.stdout
        assert_inert(summary.read_bytes())
        assert MARKDOWN_SHOWN in summary.read_text(encoding="utf-8")


# -- ccat pat rotate --------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_failed_write_is_reported_without_control_characters(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, as_json: bool
) -> None:
    case.hub.add_fault(Fault("PUT", secret_path(case.targets[2]), status=422, message=HOSTILE))
    extra = ["--json"] if as_json else []

    result = ccat(
        *rotate_args,
        *ONE_BY_ONE,
        *extra,
        input=case.token + "\n",
    )

    assert result.exit_code == 1, result.output
    without_traceback(result)
    assert_inert(*streams(result))
    if as_json:
        document = json.loads(result.stdout)
        assert document["failure"]["repository"] == case.targets[2]
        assert SHOWN in document["failure"]["error"]
    else:
        assert f"Rotation stopped at {case.targets[2]}: HTTP 422: {SHOWN}" in result.stdout
        assert f"✗ {case.targets[2]}: HTTP 422: {SHOWN}" in result.stderr


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_preflight_failures_quote_messages_and_headers_without_control_characters(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, as_json: bool
) -> None:
    # The new token cannot read Actions in targets[3]: a hostile message and a hostile
    # X-Accepted-GitHub-Permissions. Both tokens' /user answer has a hostile login and
    # scopes without `workflow` (a classic token that cannot run CI).
    case.hub.add_fault(
        Fault(
            "GET",
            f"/repos/{case.targets[3]}/actions/runs",
            status=403,
            message=HOSTILE,
            headers={"X-Accepted-GitHub-Permissions": HOSTILE_HEADER},
        )
    )
    case.hub.add_fault(
        Fault(
            "GET",
            "/user",
            status=200,
            count=None,
            body=json.dumps({"login": "bot" + HOSTILE, "id": 1}).encode(),
            headers={"X-OAuth-Scopes": "repo, " + HOSTILE_HEADER},
        )
    )
    extra = ["--json"] if as_json else []

    result = ccat(*rotate_args, *extra, input=case.token + "\n")

    assert result.exit_code == 1, result.output
    without_traceback(result)
    assert_inert(*streams(result))
    assert f"{case.targets[3]}: the new token cannot read Actions" in result.stderr
    assert result.stderr.count(SHOWN) >= 3  # the message, the permissions, the scopes
    assert not case.journal.exists()


def test_a_hostile_login_is_shown_and_journaled_inert(
    ccat: Ccat, rotate_args: list[str], case: RotationCase
) -> None:
    case.hub.add_fault(
        Fault(
            "GET",
            "/user",
            status=200,
            count=None,
            body=json.dumps({"login": "bot" + HOSTILE, "id": 1}).encode(),
        )
    )

    result = ccat(*rotate_args, "--write-interval", "0", input=case.token + "\n")

    assert result.exit_code == 0, result.output
    assert_inert(*streams(result))
    assert SHOWN in result.stderr  # "Preflight OK: operator bot\x1b[2J…"
    run = current(case.journal)
    assert run.operator is not None and SHOWN in run.operator
    assert_inert(case.journal.read_bytes().decode("utf-8").replace("\\u", "u"))


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_resuming_a_hand_edited_journal_shows_its_strings_inert(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, as_json: bool
) -> None:
    stopped_run(ccat, rotate_args, case.hub, case.token, case.targets[3])
    edit_journal(case.journal, poison)
    extra = ["--json"] if as_json else []

    result = ccat(
        *rotate_args, "--resume", "--write-interval", "0", *extra, input=case.token + "\n"
    )

    assert result.exit_code == 0, result.output
    without_traceback(result)
    assert_inert(*streams(result))
    # The updated target that left the graph is kept in the run; the pending one dropped.
    assert "ccatobs/gone left the graph" in result.stderr
    if as_json:
        document = json.loads(result.stdout)
        assert "ccatobs/evil" in document["updated"]


# -- ccat pat journal -------------------------------------------------------------------------


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_the_journal_command_shows_a_hand_edited_journal_inert(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, as_json: bool
) -> None:
    stopped_run(ccat, rotate_args, case.hub, case.token, case.targets[3])
    edit_journal(case.journal, poison)
    args = ["pat", "journal", "--journal", str(case.journal), "--graph", str(case.graph)]

    result = ccat(*args, *(["--json"] if as_json else []))

    assert result.exit_code == 0, result.output
    without_traceback(result)
    assert_inert(*streams(result))
    if as_json:
        # JSON escapes what it carries: the document is the journal, value for value
        # (a target written without a store is the Actions copy, and says so).
        document = json.loads(case.journal.read_bytes())
        for target in document["current"]["targets"]:
            target.setdefault("store", "actions")
        assert json.loads(result.stdout) == document
    else:
        flat = "".join(result.stdout.split())
        for shown in ("alice" + SHOWN, "ci-bot" + SHOWN, "ccatobs/evil", "\\u202e"):
            assert shown in flat


def refused_poison(run: dict[str, object]) -> None:
    """Hostile text where a journal must hold a repository name or a time."""
    token = run["token"]
    assert isinstance(token, dict)
    token["expires_at"] = "soon" + HOSTILE
    targets = run["targets"]
    assert isinstance(targets, list)
    targets[0]["repository"] = "ccatobs/evil" + HOSTILE


@pytest.mark.parametrize("command", ["journal", "journal --json", "status", "rotate --resume"])
def test_a_journal_refused_for_hostile_names_and_times_says_so_inert(
    ccat: Ccat, rotate_args: list[str], case: RotationCase, command: str
) -> None:
    stopped_run(ccat, rotate_args, case.hub, case.token, case.targets[3])
    edit_journal(case.journal, refused_poison)
    where = ["--journal", str(case.journal), "--graph", str(case.graph)]
    if command.startswith("journal"):
        result = ccat("pat", *command.split(), *where)
    elif command == "status":
        result = ccat("pat", "status", "--api-url", case.hub.url, *where)
    else:
        result = ccat(*rotate_args, "--resume", input=case.token + "\n")

    assert result.exit_code == 2, result.output
    without_traceback(result)
    assert_inert(*streams(result))
    assert result.stdout == ""
    said = " ".join(result.stderr.split())
    assert f"journal {case.journal} is damaged: " in said
    assert "ccatobs/evil" in said or "soon" in said  # the value arrived, made inert
    case.journal.unlink()  # the test's own false journal
