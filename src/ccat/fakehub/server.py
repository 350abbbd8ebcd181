"""The HTTP/1.1 side of the emulator: a threading server and a handler that answers in one write.

`BaseHTTPRequestHandler.send_response` would write the head and the body separately;
with Nagle's algorithm and delayed ACKs that costs ~40 ms per answer, so the handler
builds the whole answer and writes it at once, on a socket with TCP_NODELAY. Only a very
large body (an injected hostile answer) is streamed in chunks after the first write.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import socket
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from ccat.fakehub.exchange import Answer, Request

_MAX_BODY = 1024 * 1024
_CHUNK = 1024 * 1024  # bytes per write of a streamed body
_FRAMING = ("content-length", "transfer-encoding")
_PHRASES = {status.value: status.phrase for status in HTTPStatus}
_SERIAL = itertools.count(1)
_PROCESS = os.getpid() & 0xFFFF


def _request_id() -> str:
    """A GitHub-style `X-GitHub-Request-Id` (hex groups), unique within the process."""
    serial = next(_SERIAL)
    return f"{_PROCESS:04X}:{serial >> 16:04X}:{serial:06X}:{serial * 7:06X}:{int(time.time()):08X}"


class Dispatcher(Protocol):
    """What the handler asks the hub for: the answer to a request, or None to not answer."""

    stopping: threading.Event

    def begin(self) -> int:
        """Count a request in flight; `finished` is always called after it. Returns how
        many requests are in flight, this one included."""
        ...

    def dispatch(self, request: Request, handler: RequestContext) -> Answer | None:
        """Answer a parsed request; None when the connection is to be dropped unanswered."""
        ...

    def finished(self, request: Request, status: int | None, started: float, raw_path: str) -> None:
        """Record a request once it has been answered (or not)."""
        ...


class RequestContext(Protocol):
    """What the hub may know and do about the connection of the request it is answering."""

    in_flight_at_arrival: int  # requests in flight when this one arrived, itself included

    def hang(self) -> None:
        """Wait until the client disconnects or the hub stops."""
        ...


def split_target(target: str) -> tuple[str, str, str, str]:
    """`(path, query, prefix, raw_path)` of a request target.

    Absolute-form targets (sent through a proxy) lose their scheme and host; an
    `/api/v3` prefix (GitHub Enterprise Server) is removed from `path` and returned
    as `prefix`.
    """
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    raw_path, _, query = target.partition("?")
    path, prefix = raw_path, ""
    if path == "/api/v3" or path.startswith("/api/v3/"):
        path, prefix = path[len("/api/v3") :] or "/", "/api/v3"
    return path, query, prefix, raw_path


class HubServer(ThreadingHTTPServer):
    """A threading HTTP server with a large backlog that can cut every open connection."""

    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, open_: bool) -> None:
        """Remember (or forget) a client connection so that `cut_connections` can close it."""
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def cut_connections(self) -> None:
        """Shut down every client connection, ending keep-alive waits in handler threads."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: clients that vanish mid-request are routine in fault tests."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com"
    disable_nagle_algorithm = True
    server: HubServer
    in_flight_at_arrival = 0

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """The hub keeps its own request log; nothing goes to stderr."""

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except OSError:
            self.close_connection = True
            return
        if not self.raw_requestline or len(self.raw_requestline) > 65536:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537).strip():
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
        length = int(self.headers.get("content-length") or 0)
        if length > _MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self) -> None:
        started = time.monotonic()
        dispatcher = self.server.dispatcher
        path, query, prefix, raw_path = split_target(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, path, query, headers, b"", prefix)
        answer: Answer | None = None
        self.in_flight_at_arrival = dispatcher.begin()
        try:
            try:
                body = self._read_body()
            except ValueError:
                self.close_connection = True
                answer = Answer(400, {"message": "Problems parsing JSON"})
            else:
                request = Request(self.command, path, query, headers, body, prefix)
                answer = dispatcher.dispatch(request, self)
        finally:
            # Logged before answering, so a client that has its answer finds it in the log.
            status = None if answer is None else answer.status
            dispatcher.finished(request, status, started, raw_path)
        if answer is None:
            self.close_connection = True
            return
        self._write(answer)

    def hang(self) -> None:
        """Leave the request unanswered until the client goes away or the hub stops."""
        stopping = self.server.dispatcher.stopping
        poller = select.poll()
        poller.register(self.connection, select.POLLIN | select.POLLHUP | select.POLLERR)
        while not stopping.is_set():
            if not poller.poll(50):
                continue
            try:
                if not self.connection.recv(1, socket.MSG_PEEK):
                    return  # the client closed its end
            except OSError:
                return
            stopping.wait(0.05)  # more data (a pipelined request): keep hanging

    def _write(self, answer: Answer) -> None:
        if answer.raw is not None:
            content, repeat = answer.raw, answer.repeat
        else:
            content = b"" if answer.body is None else json.dumps(answer.body).encode("utf-8")
            repeat = 1
        headers: dict[str, str] = {}
        if answer.github_headers:
            headers.update(
                {
                    "server": "GitHub.com",
                    "date": formatdate(usegmt=True),
                    "x-github-api-version-selected": "2022-11-28",
                    "x-github-media-type": "github.v3; format=json",
                    "x-github-request-id": _request_id(),
                }
            )
            if content and repeat:
                headers["content-type"] = "application/json; charset=utf-8"
        if answer.status not in (204, 304):
            headers["content-length"] = str(len(content) * repeat)
        if any(name in answer.headers for name in _FRAMING):
            # The answer frames itself (a hostile one may lie): nothing can follow it.
            headers.pop("content-length", None)
            self.close_connection = True
        headers.update(answer.headers)
        headers["connection"] = "close" if self.close_connection else "keep-alive"
        status_line = f"HTTP/1.1 {answer.status} {_PHRASES.get(answer.status, 'Unknown')}\r\n"
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = (status_line + lines + "\r\n").encode("latin-1")
        if self.command == "HEAD" or answer.status in (204, 304):
            content, repeat = b"", 0
        if len(content) * repeat <= _CHUNK:
            self.wfile.write(head + content * repeat)  # one write: see the module docstring
            return
        self._stream(head, content, repeat)

    def _stream(self, head: bytes, content: bytes, repeat: int) -> None:
        """Send `content` `repeat` times without building it whole; a client that hangs
        up, or a hub that stops, ends it quietly."""
        per_chunk = max(1, _CHUNK // len(content))
        block = content * per_chunk
        stopping = self.server.dispatcher.stopping
        left = repeat
        try:
            self.wfile.write(head)
            while left > 0 and not stopping.is_set():
                if left >= per_chunk:
                    self.wfile.write(block)
                    left -= per_chunk
                else:
                    self.wfile.write(content * left)
                    left = 0
        except OSError:
            pass  # the client hung up: routine for a hostile answer nobody reads whole
        if left:
            self.close_connection = True  # the body is cut short: the connection is spent
