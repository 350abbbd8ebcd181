"""Hostile answers: any status, any headers, any raw body, and bodies of hundreds of MB
streamed to a client that gives up — all delivered exactly, none wedging the emulator."""

from __future__ import annotations

import re
import resource
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccat.fakehub import FakeHub, Fault
from tests.support.emulator import OPERATOR_TOKEN, REPOSITORIES, auth

SECRET = "/repos/ccatobs/ops-db/actions/secrets/GH_PAT"
MB = 1024 * 1024


@pytest.fixture(scope="module")
def hub() -> Iterator[FakeHub]:
    """One emulator for the module: each test arms its own faults and clears them."""
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN) as running:
        yield running


@pytest.fixture
def client(hub: FakeHub) -> Iterator[httpx.Client]:
    """A client authenticated as the operator; no fault survives the test."""
    hub.clear_faults()
    with httpx.Client(base_url=hub.url, headers=auth(), timeout=30) as client:
        yield client
    hub.clear_faults()


def raw_exchange(hub: FakeHub, request: bytes) -> bytes:
    """Send raw bytes, read until the server closes the connection."""
    host, port = hub.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as stream:
        stream.sendall(request)
        data = b""
        while chunk := stream.recv(65536):
            data += chunk
    return data


def test_a_raw_body_is_sent_as_it_is_with_any_status(hub: FakeHub, client: httpx.Client) -> None:
    hub.add_fault(Fault(path=SECRET, status=200, body=b"<html>\x00\xff not json"))
    response = client.get(SECRET)
    assert response.status_code == 200
    assert response.content == b"<html>\x00\xff not json"
    # GitHub's JSON content type, unless the fault says otherwise: a lying server.
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "x-ratelimit-remaining" in response.headers


def test_fault_headers_replace_the_emulators_own(hub: FakeHub, client: httpx.Client) -> None:
    headers = {"Content-Type": "text/html", "X-RateLimit-Remaining": "0", "Retry-After": "inf"}
    hub.add_fault(Fault(path=SECRET, status=599, body=b"<p>", headers=headers))
    response = client.get(SECRET)
    assert response.status_code == 599
    assert response.headers["content-type"] == "text/html"
    assert response.headers.get_list("x-ratelimit-remaining") == ["0"]
    assert response.headers["retry-after"] == "inf"


def test_an_empty_body_and_a_204_to_a_get(hub: FakeHub, client: httpx.Client) -> None:
    hub.add_fault(Fault(path=SECRET, status=200, body=b""))
    empty = client.get(SECRET)
    assert (empty.status_code, empty.content, empty.headers["content-length"]) == (200, b"", "0")
    assert "content-type" not in empty.headers
    hub.add_fault(Fault(path=SECRET, status=204))
    no_content = client.get(SECRET)
    assert (no_content.status_code, no_content.content) == (204, b"")
    assert "content-length" not in no_content.headers
    assert client.get(SECRET).status_code == 404  # the connection is still in step


def test_without_github_headers_only_the_faults_headers_and_framing_are_sent(
    hub: FakeHub,
) -> None:
    hub.clear_faults()
    hub.add_fault(
        Fault(path="/user", status=200, body=b"{}", headers={"X-Odd": "1"}, github_headers=False)
    )
    answer = raw_exchange(hub, b"GET /user HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 200 OK"
    assert sorted(lines[1:]) == [b"connection: close", b"content-length: 2", b"x-odd: 1"]
    assert body == b"{}"


def test_a_lying_content_length_is_sent_and_the_connection_closed(hub: FakeHub) -> None:
    hub.clear_faults()
    hub.add_fault(Fault(path="/user", status=200, body=b"{}", headers={"Content-Length": "999"}))
    request = f"GET /user HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {OPERATOR_TOKEN}\r\n\r\n"
    answer = raw_exchange(hub, request.encode() * 2)  # a second request must go unanswered
    assert answer.count(b"HTTP/1.1") == 1
    assert b"\r\ncontent-length: 999\r\n" in answer
    assert b"connection: close" in answer
    assert answer.endswith(b"\r\n\r\n{}")


def test_a_head_request_gets_no_body(hub: FakeHub, client: httpx.Client) -> None:
    hub.add_fault(Fault(path=SECRET, status=200, body=b"x" * 10, body_repeat=3))
    response = client.head(SECRET)
    assert response.headers["content-length"] == "30"
    assert response.content == b""
    assert client.get(SECRET).status_code == 404


def test_a_body_repeated_is_exact(hub: FakeHub, client: httpx.Client) -> None:
    hub.add_fault(Fault(path=SECRET, status=200, body=b"0123456789", body_repeat=300_001))
    response = client.get(SECRET)
    assert response.headers["content-length"] == "3000010"
    assert response.content == b"0123456789" * 300_001
    hub.add_fault(Fault(path=SECRET, status=200, body=b"abc", body_repeat=0))
    assert client.get(SECRET).content == b""


def handler_threads() -> set[threading.Thread]:
    """The server's live request-handler threads (of every hub in the process)."""
    return {t for t in threading.enumerate() if "process_request_thread" in t.name}


def still_alive(threads: set[threading.Thread]) -> list[threading.Thread]:
    """Those of `threads` that have not ended within a generous grace period."""
    for thread in threads:
        thread.join(timeout=10)
    return [thread for thread in threads if thread.is_alive()]


def test_a_300_mb_answer_costs_no_memory_and_a_client_may_hang_up(
    capfd: pytest.CaptureFixture[str],
) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    earlier = handler_threads()
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN) as hub:
        hub.add_fault(Fault(path=SECRET, status=200, body=b"[" * 1024, body_repeat=300 * 1024))
        with httpx.Client(base_url=hub.url, headers=auth(), timeout=30) as client:
            with client.stream("GET", SECRET) as response:
                assert response.headers["content-length"] == str(300 * MB)
                read = 0
                for chunk in response.iter_raw():
                    read += len(chunk)
                    if read >= MB:
                        break  # a careful client stops reading here and hangs up
            assert read >= MB
            assert client.get(SECRET).status_code == 404  # the emulator still answers
        # Every handler, the one streaming to the client that hung up included, ended.
        assert still_alive(handler_threads() - earlier) == []
        assert [r.status for r in hub.requests] == [200, 404]
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown < 50 * 1024, f"peak memory grew by {grown} KiB"
    assert "Traceback" not in capfd.readouterr().err


def test_stop_ends_a_stream_nobody_reads(capfd: pytest.CaptureFixture[str]) -> None:
    earlier = handler_threads()
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN) as hub:
        hub.add_fault(Fault(path="/user", status=200, body=b"x" * MB, body_repeat=10_000))
        host, port = hub.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as stream:
            stream.sendall(b"GET /user HTTP/1.1\r\nHost: x\r\n\r\n")
            assert stream.recv(64).startswith(b"HTTP/1.1 200 OK")
            # The handler is now blocked writing to a client that does not read.
            hub.stop()
            assert still_alive(handler_threads() - earlier) == []
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=199),
        Fault(status=600),
        Fault(headers={"X-Bad": "a\r\nInjected: yes"}),
        Fault(headers={"Bad Name": "x"}),
        Fault(headers={"X-Emoji": "\u2603"}),
        Fault(body="text, not bytes"),  # type: ignore[arg-type]
        Fault(body=b"x", body_repeat=-1),
    ],
)
def test_a_fault_the_emulator_cannot_send_is_refused(hub: FakeHub, fault: Fault) -> None:
    with pytest.raises(ValueError):
        hub.add_fault(fault)


def test_a_regular_expression_path_must_match_in_full(hub: FakeHub, client: httpx.Client) -> None:
    hub.add_fault(Fault(path=re.compile(r"/repos/ccatobs/ops-db/.*"), status=418, count=None))
    assert client.get(SECRET).status_code == 418
    assert client.get("/repos/ccatobs/ops-db").status_code == 200
    assert client.get("/repos/ccatobs/ops-db-api/actions/secrets/GH_PAT").status_code == 404


_TOKEN_CHARS = st.sampled_from("!#$%&'*+.^_`|~-0123456789abcdefghijklmnopqrstuvwxyz")
_HEADER_VALUE = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=40,
).map(str.strip)
_RESERVED = {"content-length", "transfer-encoding", "connection", "content-type"}


@settings(
    max_examples=60,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    status=st.integers(200, 599),
    headers=st.dictionaries(
        st.text(_TOKEN_CHARS, min_size=1, max_size=20).filter(lambda n: n not in _RESERVED),
        _HEADER_VALUE,
        max_size=5,
    ),
    body=st.binary(max_size=2000),
    repeat=st.integers(0, 3),
)
def test_any_answer_arrives_exactly_as_armed(
    hub: FakeHub, status: int, headers: dict[str, str], body: bytes, repeat: int
) -> None:
    hub.clear_faults()
    hub.add_fault(
        Fault(path="/user", status=status, headers=headers, body=body, body_repeat=repeat)
    )
    with httpx.Client(base_url=hub.url, timeout=30) as client:
        response = client.get("/user", headers=auth())
    assert response.status_code == status
    sent = response.headers.raw  # bytes as they were on the wire (httpx may decode UTF-8)
    for name, value in headers.items():
        assert [v for n, v in sent if n.lower() == name.encode()] == [value.encode("latin-1")]
    expected = b"" if status in (204, 304) else body * repeat
    assert response.content == expected
