"""`ccat pat revoke` (issue 18, item 3; SPEC §11) against the emulator: the previous
token is revoked only once every copy of the graph holds the newest rotation's token,
with nothing sent to `POST /credentials/revoke` before; then the emulator receives
exactly that token, without any Authorization header, the journal records it, and the
new token still works. Neither token is ever in an output or a file."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import Result

from ccat.fakehub import FakeHub, Fault, LoggedRequest, TokenSpec
from ccat.pat.journal import Journal
from tests.support.rotation import (
    FORBIDDEN,
    SECRET,
    TARGETS,
    RotationCase,
    check_no_leak,
    secret_path,
)
from tests.support.terminal import on_a_terminal, read_rest, read_until

Ccat = Callable[..., Result]
REVOKE = "/credentials/revoke"
OLD_LOGIN = "ccat-ci-bot-2025"
ROUND_ONE = Path(__file__).parents[1] / "data" / "journals" / "round-one-example.json"


@pytest.fixture
def old_token(hub: FakeHub) -> str:
    """The previous token, known to GitHub (the emulator)."""
    token = "github_pat_" + secrets.token_hex(20)
    hub.add_token(token, TokenSpec(OLD_LOGIN))
    return token


@pytest.fixture
def revoke_args(graph_file: Path, hub: FakeHub) -> list[str]:
    """`pat revoke` of the test's graph against the emulator."""
    return ["pat", "revoke", "--graph", str(graph_file), "--api-url", hub.url]


@pytest.fixture
def unattended(revoke_args: list[str], journal_path: Path) -> list[str]:
    """`revoke_args` with the test's journal and `--yes`, as a script runs it."""
    return [*revoke_args, "--journal", str(journal_path), "--yes"]


def rotate(ccat: Ccat, rotate_args: list[str], token: str, expect: int = 0) -> Result:
    result = ccat(*rotate_args, "--write-interval", "0", input=token + "\n")
    assert result.exit_code == expect, result.output
    return result


def revocations(hub: FakeHub) -> list[LoggedRequest]:
    return [r for r in hub.requests if r.path == REVOKE]


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def rotated_twice(
    ccat: Ccat, rotate_args: list[str], hub: FakeHub, old_token: str, new_token: str
) -> None:
    """The old token was rotated in, then the new one: every copy holds the new one."""
    rotate(ccat, rotate_args, old_token)
    rotate(ccat, rotate_args, new_token)


def no_leak(tokens: tuple[str, ...], tmp_path: Path, *results: Result) -> None:
    outputs = [text for result in results for text in (result.stdout, result.stderr)]
    for token in tokens:
        check_no_leak(token, tmp_path, outputs)


# -- accepted ---------------------------------------------------------------------------


@pytest.mark.usefixtures("rotated_twice")
def test_once_every_copy_holds_the_new_token_the_old_one_is_revoked(
    ccat: Ccat,
    revoke_args: list[str],
    unattended: list[str],
    case: RotationCase,
    old_token: str,
) -> None:
    case.hub.reset_log()
    result = ccat(*unattended, input=old_token + "\n")
    assert result.exit_code == 0, result.output
    said = one_line(result.stdout)
    assert f"✓ Revoked: GitHub accepted the revocation of the token of {OLD_LOGIN}" in said
    known = one_line(result.stderr)
    assert "The journal knows this token: rotation " in known
    assert "✓ Every copy of the graph holds the token of rotation" in known
    # The emulator received exactly the old token, with no Authorization header at all.
    (sent,) = revocations(case.hub)
    assert sent.status == 202
    assert sent.json == {"credentials": [old_token]}
    assert "authorization" not in sent.headers
    assert case.hub.revoked == {old_token}
    # The old token is dead, the new one still works, everywhere.
    assert (
        httpx.get(
            f"{case.hub.url}/user", headers={"Authorization": f"Bearer {old_token}"}
        ).status_code
        == 401
    )
    verified = ccat(
        "pat",
        "verify",
        "--graph",
        revoke_args[3],
        "--api-url",
        case.hub.url,
        env={"GH_PAT": case.token},
    )
    assert verified.exit_code == 0, verified.output
    # The journal records it: fingerprint, time, login; `journal` and `--json` show it.
    document = Journal(case.journal).load()
    (revocation,) = document.revocations
    assert revocation.fingerprint.matches(old_token)
    assert not revocation.fingerprint.matches(case.token)
    assert revocation.login == OLD_LOGIN and revocation.kind == "fine-grained"
    assert revocation.operator == "ccat-operator" and revocation.forced is False
    revoked_at = datetime.fromisoformat(revocation.revoked_at)
    assert abs(datetime.now(UTC) - revoked_at) < timedelta(minutes=1)
    assert revocation.run_id == document.history[-1].run_id  # the run that had set it
    shown = ccat("pat", "journal", "--journal", str(case.journal))
    assert shown.exit_code == 0
    assert "Revoked tokens (1, newest first):" in shown.stdout
    assert f"{OLD_LOGIN}, fingerprint {revocation.fingerprint.short}" in one_line(shown.stdout)
    data = json.loads(ccat("pat", "journal", "--json", "--journal", str(case.journal)).stdout)
    assert data["revocations"] == [revocation.to_json()]
    no_leak((old_token, case.token), case.tmp_path, result, verified, shown)


# -- refused, nothing sent --------------------------------------------------------------


@pytest.mark.usefixtures("rotated_twice")
def test_the_token_in_place_is_refused_with_exit_2(
    ccat: Ccat, unattended: list[str], hub: FakeHub, new_token: str
) -> None:
    for extra in ((), ("--force",)):
        result = ccat(*unattended, *extra, input=new_token + "\n")
        assert result.exit_code == 2, result.output
        assert "this is the token of the newest rotation" in one_line(result.stderr)
    assert revocations(hub) == []
    assert hub.revoked == set()


def test_the_operator_credential_is_refused_with_exit_2(
    ccat: Ccat, unattended: list[str], hub: FakeHub
) -> None:
    args = [*unattended, "--force"]
    result = ccat(*args, input=hub.operator_token + "\n")
    assert result.exit_code == 2, result.output
    assert "this is the operator credential (GH_TOKEN)" in one_line(result.stderr)
    assert revocations(hub) == [] and hub.requests == []


def test_during_an_unfinished_rotation_it_is_refused_with_exit_1(
    ccat: Ccat,
    rotate_args: list[str],
    unattended: list[str],
    case: RotationCase,
    old_token: str,
) -> None:
    rotate(ccat, rotate_args, old_token)
    case.hub.add_fault(Fault("PUT", secret_path(TARGETS[3]), status=403, message=FORBIDDEN))
    rotate(ccat, [*rotate_args, "--concurrency", "1"], case.token, expect=1)
    result = ccat(*unattended, input=old_token + "\n")
    assert result.exit_code == 1, result.output
    said = one_line(result.stdout)
    run = Journal(case.journal).load().current
    assert run is not None and run.state == "stopped"
    assert f"rotation {run.run_id} is unfinished (stopped): 3 of {len(TARGETS)}" in said
    assert "✗ Not revoked:" in said and "Nothing was sent to GitHub." in said
    for repository in TARGETS[3:]:
        assert repository in said  # each copy that still holds the old token is named
    assert revocations(case.hub) == [] and case.hub.revoked == set()
    assert Journal(case.journal).load().revocations == []
    no_leak((old_token, case.token), case.tmp_path, result)


@pytest.mark.usefixtures("rotated_twice")
def test_while_a_repository_missed_the_last_rotation_it_is_refused_naming_it(
    ccat: Ccat,
    unattended: list[str],
    hub: FakeHub,
    journal_path: Path,
    old_token: str,
) -> None:
    missed = TARGETS[5]
    # GitHub's value dates from before the last rotation wrote it: it still holds the old.
    hub.set_secret(missed, SECRET, old_token, updated_at=datetime.now(UTC) - timedelta(days=3))
    hub.reset_log()
    result = ccat(*unattended, input=old_token + "\n")
    assert result.exit_code == 1, result.output
    said = one_line(result.stdout)
    assert "✗ Not revoked: 1 copy may still use this token" in said
    assert f"{missed}: set " in said and "it still holds the previous token" in said
    assert all(f"{other}:" not in said for other in TARGETS if other != missed)
    assert revocations(hub) == []
    # --force overrides exactly this rule: it is revoked, and recorded as forced.
    forced = ccat(*unattended, "--force", input=old_token + "\n")
    assert forced.exit_code == 0, forced.output
    assert "warning: --force: revoking although 1 copy may still use it" in one_line(forced.stderr)
    (sent,) = revocations(hub)
    assert sent.json == {"credentials": [old_token]}
    (revocation,) = Journal(journal_path).load().revocations
    assert revocation.forced is True


def test_without_a_journal_nothing_proves_the_copies_and_it_is_refused(
    ccat: Ccat, unattended: list[str], hub: FakeHub, journal_path: Path, old_token: str
) -> None:
    for repository in TARGETS:
        hub.set_secret(repository, SECRET, "some value")
    result = ccat(*unattended, input=old_token + "\n")
    assert result.exit_code == 1, result.output
    said = one_line(result.stdout)
    assert "the journal records no completed rotation of GH_PAT in ccatobs" in said
    assert f"the last completed rotation did not write it — {len(TARGETS)} copies" in said
    # One line per cause: the eight names are listed once, under it.
    assert said.count("did not write it") == 1
    assert "The journal does not know this token" in one_line(result.stderr)
    assert revocations(hub) == []
    assert not journal_path.exists()


def test_no_terminal_and_no_yes_is_exit_2_before_the_token_is_read(
    ccat: Ccat, revoke_args: list[str], hub: FakeHub, journal_path: Path, old_token: str
) -> None:
    result = ccat(*revoke_args, "--journal", str(journal_path), input=old_token + "\n")
    assert result.exit_code == 2, result.output
    assert "no terminal to confirm the revocation on, and no --yes" in one_line(result.stderr)
    assert hub.requests == []


@pytest.mark.parametrize(
    ("env", "code"),
    [({"GH_TOKEN": None}, 4), ({"GH_TOKEN": "not-a-token-the-emulator-knows"}, 4)],
    ids=["missing", "rejected"],
)
def test_the_operator_credential_checks_the_copies_exit_4_without_it(
    ccat: Ccat,
    unattended: list[str],
    hub: FakeHub,
    old_token: str,
    env: dict[str, str | None],
    code: int,
) -> None:
    args = [*unattended, "--force"]
    result = ccat(*args, input=old_token + "\n", env={**env, "PATH": "/nonexistent"})
    assert result.exit_code == code, result.output
    assert revocations(hub) == []


# -- GitHub's side ------------------------------------------------------------------------


@pytest.mark.usefixtures("rotated_twice")
def test_a_token_github_rejects_already_needs_no_revocation(
    ccat: Ccat, unattended: list[str], hub: FakeHub, old_token: str
) -> None:
    hub.set_expiry(old_token, "2020-01-01 00:00:00 UTC")  # expired: GitHub says 401
    result = ccat(*unattended, input=old_token + "\n")
    assert result.exit_code == 0, result.output
    assert "GitHub already rejects this token" in one_line(result.stdout)
    assert revocations(hub) == []


@pytest.mark.usefixtures("rotated_twice")
def test_a_revocation_github_refuses_is_exit_1_and_not_recorded(
    ccat: Ccat, unattended: list[str], hub: FakeHub, journal_path: Path, old_token: str
) -> None:
    hub.add_fault(Fault("POST", REVOKE, status=422, message="Validation Failed"))
    result = ccat(*unattended, input=old_token + "\n")
    assert result.exit_code == 1, result.output
    assert "POST /credentials/revoke failed: HTTP 422" in one_line(result.stderr)
    assert Journal(journal_path).load().revocations == []
    assert old_token not in result.output


# -- old journals -----------------------------------------------------------------------


def test_a_journal_written_before_revocations_loads_and_takes_one(
    ccat: Ccat, revoke_args: list[str], hub: FakeHub, tmp_path: Path, old_token: str
) -> None:
    journal = tmp_path / "old" / "pat-journal.json"
    journal.parent.mkdir(mode=0o700)
    shutil.copyfile(ROUND_ONE, journal)
    journal.chmod(0o600)
    before = Journal(journal).load()
    assert before.revocations == [] and before.current is not None
    # Its runs are of another API: they say nothing of this one, so only --force revokes.
    result = ccat(
        *revoke_args, "--journal", str(journal), "--yes", "--force", input=old_token + "\n"
    )
    assert result.exit_code == 0, result.output
    after = Journal(journal).load()
    assert after.current == before.current and after.history == before.history
    (revocation,) = after.revocations
    assert revocation.run_id is None and revocation.forced
    assert "The journal does not know this token" in one_line(result.stderr)


# -- on a real terminal -------------------------------------------------------------------

QUESTION = b"Revoke this token? GitHub disables it at once, for every use [y/N]: "


@pytest.mark.slow
@pytest.mark.usefixtures("rotated_twice")
@pytest.mark.parametrize("answer", [b"n\n", b"y\n"], ids=["no", "yes"])
def test_the_question_is_asked_on_the_terminal_even_with_a_piped_token(
    revoke_args: list[str],
    hub: FakeHub,
    journal_path: Path,
    old_token: str,
    new_token: str,
    tmp_path: Path,
    answer: bytes,
) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, old_token.encode() + b"\n")
    os.close(write_end)
    args = [*revoke_args, "--journal", str(journal_path)]
    try:
        with on_a_terminal(args, hub, tmp_path, stdin=read_end) as (process, tty):
            screen = read_until(tty, QUESTION)
            assert revocations(hub) == []  # asked before anything is sent
            os.write(tty, answer)
            screen += read_rest(tty)
            stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(read_end)
    said = one_line(stdout.decode())
    if answer == b"n\n":
        assert process.returncode == 2, stderr
        assert "Not revoked: not confirmed. Nothing was sent to GitHub." in said
        assert revocations(hub) == []
    else:
        assert process.returncode == 0, stderr
        assert "✓ Revoked:" in said
        assert [r.json for r in revocations(hub)] == [{"credentials": [old_token]}]
    assert b"Paste the token to revoke" not in screen  # it came through the pipe
    texts = [screen.decode(), stdout.decode(), stderr.decode()]
    for token in (old_token, new_token):
        check_no_leak(token, tmp_path, texts)
