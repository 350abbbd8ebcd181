"""A host that does not answer (issue 15, build item 4): the error names the host and the
cause in words — cannot resolve it, connection refused, TLS certificate not trusted,
closed without an answer, no answer in time — never an exception class; the hint is
about the connection, never the credential, which GitHub never saw; and nine
repositories behind one dead host are one cause, said once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ccat.fakehub import FakeHub, Fault
from ccat.pat.github import open_client
from ccat.pat.settings import ClientSettings
from ccat.pat.status import Outlook, StatusOptions, StatusReport, run_status
from ccat.render.status import check_hint, footer_blocks
from tests.support.connection_faults import (
    UNRESOLVABLE,
    UNRESOLVABLE_URL,
    closed_port,
    untrusted_tls_server,
)
from tests.support.emulator import OPERATOR_TOKEN, REPOSITORIES
from tests.support.fake_time import FakeTime

pytestmark = pytest.mark.anyio


async def status_at(api_url: str, request_timeout: float = 5.0) -> StatusReport:
    settings = ClientSettings(
        api_url=api_url, token=OPERATOR_TOKEN, budget=0, timeout=request_timeout
    )
    clock = FakeTime()  # the retries' backoff takes no time
    return await run_status(
        StatusOptions(
            connect=lambda: open_client(settings, timing=clock.timing),
            repositories=list(REPOSITORIES),
            secret="GH_PAT",
            org="ccatobs",
        )
    )


@contextmanager
def refusing() -> Iterator[str]:
    port = closed_port()
    yield f"http://127.0.0.1:{port}"


def assert_one_unanswered_cause(report: StatusReport, error: str) -> None:
    """Every repository failed with `error`, unanswered: one cause, a hint that blames
    the connection, not the credential."""
    assert {r.error for r in report.results} == {error}
    assert all(r.state == "error" and r.unanswered for r in report.results)
    ((_, title, causes),) = footer_blocks(report, Outlook())
    assert title == f"could not be checked ({len(REPOSITORIES)})"
    (cause,) = causes
    assert cause.text == error and cause.subjects == REPOSITORIES
    hint = check_hint(report) or ""
    assert hint.startswith("no repository could be checked because GitHub never answered")
    assert "neither the credential nor GH_PAT" in hint
    assert "lacks permission" not in hint and "access to those" not in hint


async def test_a_host_that_cannot_be_resolved_is_named() -> None:
    report = await status_at(UNRESOLVABLE_URL)
    assert_one_unanswered_cause(report, f"cannot resolve {UNRESOLVABLE} (after 4 attempts)")
    hint = check_hint(report) or ""
    assert f"the name {UNRESOLVABLE} is not known here" in hint
    assert "GITHUB_API_URL" in hint


async def test_a_refused_connection_names_the_host_and_port() -> None:
    with refusing() as url:
        report = await status_at(url)
    address = url.removeprefix("http://")
    assert_one_unanswered_cause(report, f"connection refused by {address} (after 4 attempts)")
    assert f"nothing listens at {address}" in (check_hint(report) or "")


async def test_an_untrusted_certificate_is_said_so() -> None:
    with untrusted_tls_server() as url:
        report = await status_at(url)
    assert_one_unanswered_cause(
        report,
        "TLS certificate of 127.0.0.1 not trusted: self-signed certificate (after 4 attempts)",
    )
    assert "SSL_CERT_FILE" in (check_hint(report) or "")


async def test_a_dropped_connection_and_a_hang_are_said_in_words(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault("GET", "/repos/*", action="drop", count=None))
    address = fakehub.url.removeprefix("http://")
    dropped = await status_at(fakehub.url)
    assert_one_unanswered_cause(
        dropped, f"{address} closed the connection without answering (after 4 attempts)"
    )
    fakehub.clear_faults()
    fakehub.add_fault(Fault("GET", "/repos/*", action="hang", count=None))
    hung = await status_at(fakehub.url, request_timeout=0.2)
    assert_one_unanswered_cause(hung, "no answer from 127.0.0.1 within 0.2 s (after 2 attempts)")


async def test_some_unanswered_and_some_refused_is_said_apart(fakehub: FakeHub) -> None:
    fakehub.add_fault(Fault("GET", f"/repos/{REPOSITORIES[0]}/*", action="drop", count=None))
    fakehub.add_fault(Fault("GET", f"/repos/{REPOSITORIES[1]}/*", 403, None, "Forbidden"))
    report = await status_at(fakehub.url)
    hint = check_hint(report) or ""
    assert hint.startswith("2 repositories could not be checked (see above); the others were")
    assert "1 got no answer: check the connection for those" in hint
