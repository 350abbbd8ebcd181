"""Times a server sends are read only as GitHub documents them, at any value (issue 14,
defect 7): `updated_at` as an RFC 3339 date-time, the token expiry header as
`YYYY-MM-DD HH:MM:SS UTC` or with a numeric offset. A time out of range
(`0001-01-01T00:00:00+01:00` overflowed in `.astimezone`) is an invalid answer for that
repository, and an unreadable expiry is said as unknown — never a traceback, never
"no expiry".

The properties run the parsers over every representable time and offset; the same
extreme values then go through the real client over loopback on each path that reads a
server time: the repository secrets list, the organisation secret, the organisation
secrets a repository can use, `GET /user`'s expiry header, and `--resume`'s check.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ccat.fakehub import FakeHub, Fault
from ccat.pat.errors import PreflightError, RateLimitError
from ccat.pat.github import GitHubClient, open_client
from ccat.pat.github.client import EARLIEST, LATEST, iso_timestamp, token_expiry
from ccat.pat.graph import load_graph
from ccat.pat.journal import Journal
from ccat.pat.rotation import RotateOptions
from ccat.pat.settings import ClientSettings
from ccat.pat.status import StatusOptions, StatusReport, run_status
from tests.conftest import OPERATOR_TOKEN
from tests.fake_time import FakeTime
from tests.rotation_support import SECRET, child_env, puts, run_rotation, secret_path, write_graph

REPO = "ccatobs/ops-db"
EXTREMES = (
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "1969-12-31T23:59:59Z",
)
PROPERTY = settings(max_examples=400, deadline=None)
OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1)  # minutes, as RFC 3339 allows


def _rfc3339(moment: datetime, offset_minutes: int) -> str:
    """`moment`'s wall-clock digits with a numeric offset (the instant is not shifted)."""
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{moment:%Y-%m-%dT%H:%M:%S}{sign}{hours:02d}:{minutes:02d}"


def _instant(moment: datetime, offset_minutes: int) -> datetime | None:
    """The UTC instant those digits name, None when it is not representable."""
    try:
        return (moment - timedelta(minutes=offset_minutes)).replace(tzinfo=UTC)
    except OverflowError:
        return None


# --- the parsers, over every representable time -------------------------------------


@PROPERTY
@given(moment=st.datetimes(), offset=OFFSETS)
@example(moment=datetime(1, 1, 1), offset=60)
@example(moment=datetime(9999, 12, 31, 23, 59, 59), offset=-60)
def test_an_updated_at_is_its_instant_in_utc_or_refused_when_out_of_range(
    moment: datetime, offset: int
) -> None:
    moment = moment.replace(microsecond=0)
    text = _rfc3339(moment, offset)
    instant = _instant(moment, offset)
    read = iso_timestamp(text)
    if instant is None or not EARLIEST <= instant < LATEST:
        assert read is None, text
    else:
        assert read == instant.strftime("%Y-%m-%dT%H:%M:%SZ"), text


@PROPERTY
@given(text=st.text(max_size=40))
def test_any_text_is_a_time_or_none_never_an_exception(text: str) -> None:
    read = iso_timestamp(text)
    assert read is None or datetime.fromisoformat(read).tzinfo is not None


@PROPERTY
@given(moment=st.datetimes(), offset=OFFSETS, utc_word=st.booleans())
@example(moment=datetime(1, 1, 1), offset=60, utc_word=False)
def test_an_expiry_header_is_its_instant_or_said_unreadable(
    moment: datetime, offset: int, utc_word: bool
) -> None:
    moment = moment.replace(microsecond=0)
    if utc_word:
        offset = 0
    sign = "-" if offset < 0 else "+"
    zone = "UTC" if utc_word else f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    header = f"{moment:%Y-%m-%d %H:%M:%S} {zone}"
    instant = _instant(moment, offset)
    expiry = token_expiry(header)
    if instant is None or not EARLIEST <= instant < LATEST:
        assert expiry.expires_at is None and expiry.unreadable == header
    else:
        assert expiry.expires_at == instant.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert expiry.unreadable is None


@pytest.mark.parametrize(
    "header",
    [
        "2027-02-01 00:00:00 CET",  # was read as UTC, an hour late
        "2027-02-01 00:00:00 EST",  # was "no expiry"
        "2027-02-01T00:00:00Z",  # ISO 8601: not GitHub's header format
        "2027-02-01",
        "Mon, 01 Feb 2027 00:00:00 GMT",
        "0001-01-01 00:00:00 +0100",  # OverflowError in .astimezone
        "2027-13-01 00:00:00 UTC",
        "never",
        "",
    ],
)
def test_an_expiry_in_another_form_is_unknown_never_no_expiry(header: str) -> None:
    expiry = token_expiry(header)
    assert expiry.expires_at is None
    assert expiry.unreadable == (header or "(empty)")


def test_the_expiry_forms_github_sends_are_read() -> None:
    assert token_expiry("2027-02-01 00:00:00 UTC").expires_at == "2027-02-01T00:00:00Z"
    assert token_expiry("2027-02-01 09:00:00 +0900").expires_at == "2027-02-01T00:00:00Z"
    assert token_expiry("2027-01-31 19:00:00 -0500").expires_at == "2027-02-01T00:00:00Z"
    assert token_expiry(None).expires_at is None and token_expiry(None).unreadable is None


# --- every path that reads a server time, over loopback -------------------------------


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    with FakeHub([REPO], operator_token=OPERATOR_TOKEN) as running:
        yield running


def _client(hub: FakeHub) -> AbstractAsyncContextManager[GitHubClient]:
    settings_ = ClientSettings(api_url=hub.url, token=OPERATOR_TOKEN, timeout=5.0, budget=0)
    return open_client(settings_, timing=FakeTime().timing)


def _answer(
    hub: FakeHub, path: str, document: object, headers: dict[str, str] | None = None
) -> None:
    hub.clear_faults()
    body = json.dumps(document).encode()
    hub.add_fault(Fault("GET", path, 200, None, body=body, headers=headers or {}))


def _status(hub: FakeHub) -> StatusReport:
    async def run() -> StatusReport:
        with anyio.fail_after(20):
            return await run_status(
                StatusOptions(
                    connect=lambda: _client(hub),
                    repositories=[REPO],
                    secret=SECRET,
                    org="ccatobs",
                )
            )

    return anyio.run(run)


def _listed(time: str) -> dict[str, object]:
    secret = {"name": SECRET, "created_at": time, "updated_at": time}
    return {"total_count": 1, "secrets": [secret]}


@pytest.mark.parametrize("time", EXTREMES)
def test_the_repository_path_calls_an_extreme_time_an_invalid_answer(
    hub: FakeHub, time: str
) -> None:
    _answer(hub, f"/repos/{REPO}/actions/secrets", _listed(time))
    (result,) = _status(hub).results
    assert result.state == "error"
    assert result.error is not None and "'updated_at' is not a date-time" in result.error


@pytest.mark.parametrize("time", EXTREMES)
def test_the_organisation_paths_call_an_extreme_time_an_invalid_answer(
    hub: FakeHub, time: str
) -> None:
    # The repository's own list is empty: the organisation's secrets are asked.
    _answer(hub, f"/repos/{REPO}/actions/organization-secrets", _listed(time))
    (result,) = _status(hub).results
    assert result.state == "missing"
    assert result.org_error is not None and "'updated_at' is not a date-time" in result.org_error
    org_secret = {"name": SECRET, "created_at": time, "updated_at": time, "visibility": "all"}
    _answer(hub, f"/orgs/ccatobs/actions/secrets/{SECRET}", org_secret)
    report = _status(hub)
    assert report.org_secret.secret is None
    assert report.org_secret.error is not None and "date-time" in report.org_secret.error


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    offset=OFFSETS,
)
@example(moment=datetime(1, 1, 1), offset=60)
@example(moment=datetime(9999, 12, 31, 23, 59, 59), offset=-60)
def test_any_updated_at_over_loopback_is_present_at_its_instant_or_an_error(
    hub: FakeHub, moment: datetime, offset: int
) -> None:
    moment = moment.replace(microsecond=0)
    text = _rfc3339(moment, offset)
    _answer(hub, f"/repos/{REPO}/actions/secrets", _listed(text))
    (result,) = _status(hub).results
    instant = _instant(moment, offset)
    if instant is not None and EARLIEST <= instant < LATEST:
        assert result.state == "present"
        assert result.updated_at == instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        assert result.state == "error", text


@pytest.mark.parametrize(
    ("header", "expires_at", "unreadable"),
    [
        ("2027-02-01 00:00:00 UTC", "2027-02-01T00:00:00Z", None),
        ("2027-02-01 01:00:00 +0100", "2027-02-01T00:00:00Z", None),
        ("0001-01-01 00:00:00 +0100", None, "0001-01-01 00:00:00 +0100"),
        ("2027-02-01 00:00:00 CET", None, "2027-02-01 00:00:00 CET"),
        ("2027-02-01T00:00:00Z", None, "2027-02-01T00:00:00Z"),
    ],
)
def test_get_user_reads_the_expiry_header_or_says_it_is_unreadable(
    hub: FakeHub, header: str, expires_at: str | None, unreadable: str | None
) -> None:
    headers = {"github-authentication-token-expiration": header}
    _answer(hub, "/user", {"login": "someone"}, headers)

    async def run() -> tuple[str | None, str | None]:
        async with _client(hub) as client:
            user = await client.get_user()
            return user.expires_at, user.expiry_unreadable

    assert anyio.run(run) == (expires_at, unreadable)


# --- --resume reads GitHub's time of each recorded write ------------------------------


@pytest.mark.parametrize("time", EXTREMES[:2])
def test_resume_calls_an_extreme_time_an_invalid_answer_and_writes_nothing(
    tmp_path: Path, time: str
) -> None:
    token = "ghp_" + "r" * 36
    other = "ccatobs/ops-db-api"
    repositories = ["ccatobs/system-integration", REPO, other]
    graph = load_graph(write_graph(tmp_path / "graph.yml", ["ops-db", "ops-db-api"]))
    journal = Journal(tmp_path / "journal.json")
    with FakeHub(repositories, operator_token=OPERATOR_TOKEN, tokens={token: "bot"}) as hub:
        settings_ = ClientSettings(api_url=hub.url, token=OPERATOR_TOKEN, timeout=5.0, budget=0)

        def options(resume: bool) -> RotateOptions:
            return RotateOptions(
                connect=lambda: open_client(settings_),
                journal=journal,
                graph=graph,
                secret=SECRET,
                api_url=hub.url,
                operator_token=OPERATOR_TOKEN,
                new_token=token,
                write_interval=0,
                concurrency=1,
                resume=resume,
            )

        hub.add_fault(Fault("PUT", secret_path(other), 403, 1, message="Forbidden"))
        first = anyio.run(run_rotation, options(False))
        assert first.run is not None and first.run.updated() == repositories[:2]
        written = len(puts(hub))
        _answer(hub, f"/repos/{REPO}/actions/secrets", _listed(time))
        with pytest.raises(PreflightError) as caught:
            anyio.run(run_rotation, options(True))
        assert len(puts(hub)) == written  # nothing more was written
    (failure,) = [f for f in caught.value.failures if f.subject == REPO]
    assert "'updated_at' is not a date-time" in failure.reason


@pytest.mark.slow
@pytest.mark.parametrize("time", EXTREMES[:2])
def test_status_process_says_could_not_check_without_a_traceback(
    hub: FakeHub, tmp_path: Path, time: str
) -> None:
    _answer(hub, f"/repos/{REPO}/actions/secrets", _listed(time))
    graph = tmp_path / "graph.yml"
    graph.write_text("org: ccatobs\nrepositories: [ops-db]\n", encoding="utf-8")
    journal = str(tmp_path / "journal.json")
    args = ["pat", "status", "--graph", str(graph), "--api-url", hub.url, "--journal", journal]
    done = subprocess.run(
        [sys.executable, "-m", "ccat", *args],
        capture_output=True,
        text=True,
        env=child_env(OPERATOR_TOKEN, tmp_path),
        timeout=60,
        check=False,
    )
    hub.clear_faults()
    assert "Traceback" not in done.stderr and "OverflowError" not in done.stderr
    # ccatobs/system-integration is not served (404); ops-db's answer is invalid: neither
    # is known missing, so the exit code is 3 ("could not check"), not 1 ("missing").
    assert done.returncode == 3, done.stdout + done.stderr
    assert "not a date-time" in done.stdout + done.stderr


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moment=st.datetimes(), offset=OFFSETS)
@example(moment=datetime(9999, 12, 31, 23, 59, 59), offset=-60)
@example(moment=datetime(1, 1, 1), offset=60)
def test_a_retry_after_date_at_any_time_is_a_wait_or_a_clean_failure(
    hub: FakeHub, moment: datetime, offset: int
) -> None:
    # Retry-After as an HTTP date (RFC 9110) is a time from the server too.
    sign = "-" if offset < 0 else "+"
    zone = f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    header = f"{moment:%a, %d %b %Y %H:%M:%S} {zone}"
    hub.clear_faults()
    path = f"/repos/{REPO}/actions/secrets"
    hub.add_fault(
        Fault("GET", path, 429, 1, "secondary rate limit", headers={"retry-after": header})
    )
    outcome: list[object] = []

    async def run() -> None:
        async with _client(hub) as client:
            try:
                outcome.append(await client.find_secret(REPO, SECRET))
            except RateLimitError as exc:
                outcome.append(exc)

    anyio.run(run)
    hub.clear_faults()
    (result,) = outcome
    assert result is None or isinstance(result, RateLimitError)
