"""The emulator under concurrent load: in-flight counting, bursts, keep-alive."""

from __future__ import annotations

import socket
import threading

import anyio
import httpx
import pytest

from ccat.fakehub import FakeHub
from tests.support.emulator import OPERATOR_TOKEN, REPOSITORIES, auth

REQUEST = "GET /user HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n{}\r\n"


async def _get_many(hub: FakeHub, count: int, limit: int) -> list[int]:
    statuses: list[int] = []
    limiter = anyio.CapacityLimiter(limit)
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(
        base_url=hub.url, headers=auth(), limits=limits, timeout=60
    ) as client:

        async def one() -> None:
            async with limiter:
                response = await client.get("/repos/ccatobs/ops-db/actions/secrets/public-key")
            statuses.append(response.status_code)

        async with anyio.create_task_group() as group:
            for _ in range(count):
                group.start_soon(one)
    return statuses


@pytest.mark.anyio
async def test_max_in_flight_counts_concurrent_requests() -> None:
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN, latency=0.2) as hub:
        statuses = await _get_many(hub, 10, limit=10)
        assert statuses == [200] * 10
        assert hub.max_in_flight == 10


@pytest.mark.anyio
async def test_max_in_flight_stays_within_a_client_limit() -> None:
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN, latency=0.05) as hub:
        assert await _get_many(hub, 12, limit=3) == [200] * 12
        assert hub.max_in_flight == 3
        hub.reset_log()
        assert await _get_many(hub, 4, limit=1) == [200] * 4
        assert hub.max_in_flight == 1


@pytest.mark.slow
def test_a_burst_of_200_connections_all_succeed() -> None:
    with FakeHub(REPOSITORIES, operator_token=OPERATOR_TOKEN, latency=0.05) as hub:
        host, port = hub.url.removeprefix("http://").split(":")
        heads: list[bytes] = []
        ready = threading.Barrier(200)

        def connect_and_ask() -> None:
            ready.wait(timeout=30)
            with socket.create_connection((host, int(port)), timeout=30) as stream:
                stream.sendall(REQUEST.format(OPERATOR_TOKEN, "Connection: close\r\n").encode())
                heads.append(_read_answer(stream))

        callers = [threading.Thread(target=connect_and_ask) for _ in range(200)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(timeout=60)
        assert len(heads) == 200
        assert all(head.startswith(b"HTTP/1.1 200 OK") for head in heads)
        assert len(hub.requests) == 200
        assert hub.max_in_flight > 1


def _read_answer(stream: socket.socket) -> bytes:
    """Read one answer with a Content-Length body from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = stream.recv(65536)
        assert chunk, "connection closed before the head"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += stream.recv(65536)
    return head


def test_one_connection_serves_many_requests_until_told_to_close(fakehub: FakeHub) -> None:
    host, port = fakehub.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as stream:
        for _ in range(3):
            stream.sendall(REQUEST.format(OPERATOR_TOKEN, "").encode())
            head = _read_answer(stream)
            assert head.startswith(b"HTTP/1.1 200 OK")
            assert b"connection: keep-alive" in head
        stream.sendall(REQUEST.format(OPERATOR_TOKEN, "Connection: close\r\n").encode())
        head = _read_answer(stream)
        assert b"connection: close" in head
        assert stream.recv(1) == b""
    assert fakehub.max_in_flight == 1
    assert len(fakehub.requests) == 4
