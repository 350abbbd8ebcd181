"""Hosts that do not answer, for the tests of connection failures (issue 15, build item 4):
an API URL whose host cannot be resolved, a port where nothing listens, and a TLS server
whose certificate no client trusts. All on this machine or nowhere: `.invalid` names
never resolve (RFC 6761). Import with `from tests.support.connection_faults import ...`.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TLS = Path(__file__).parents[1] / "data" / "tls"
UNRESOLVABLE = "ghe.invalid"
UNRESOLVABLE_URL = f"https://{UNRESOLVABLE}/api/v3"


def closed_port() -> int:
    """A loopback port where nothing listens (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def untrusted_tls_server() -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate: every client that
    verifies certificates refuses it during the handshake. Yields its base URL."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "untrusted-cert.pem", TLS / "untrusted-key.pem")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(2)
                try:
                    with context.wrap_socket(connection, server_side=True):
                        pass  # the client gives up during the handshake
                except (OSError, ssl.SSLError):
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()
