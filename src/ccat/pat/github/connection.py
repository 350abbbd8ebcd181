"""Why a request got no answer, in words an operator can act on.

httpx reports a failed connection as `ConnectError` (or a timeout, a protocol error),
whatever the cause; the cause itself — `socket.gaierror`, `ConnectionRefusedError`,
`ssl.SSLCertVerificationError` — is its cause or context. `connection_failure` finds it
and names the host: "cannot resolve github.example.org", "connection refused by
github.example.org:443", "TLS certificate of github.example.org not trusted: …", with a
hint about the connection, never about the credential, which GitHub never saw.
"""

from __future__ import annotations

import errno
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx


@dataclass(frozen=True)
class ConnectionFailure:
    """Why an exchange got no answer, in words that name the host (`reason`), and what to
    check (`hint`): the connection, never the credential, which was not even tried."""

    reason: str
    hint: str


def connection_failure(exc: BaseException, api_url: str, timeout: float) -> ConnectionFailure:
    """The cause of `exc` (an httpx transport error or our own timeout) in words: cannot
    resolve the host, connection refused, TLS certificate not trusted, timed out, …

    httpx wraps the socket's own error (`socket.gaierror`, `ConnectionRefusedError`,
    `ssl.SSLCertVerificationError`) as the cause or context of its `ConnectError`; the
    chain is searched for it rather than naming an exception class."""
    parts = urlsplit(api_url)
    host = parts.hostname or api_url
    if ":" in host:  # an IPv6 address, as a URL writes it
        host = f"[{host}]"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = f"{host}:{port}"
    check_url = "check the API URL (--api-url, GITHUB_API_URL or GH_HOST)"
    network = "the network, and any proxy (HTTPS_PROXY)"
    if isinstance(exc, httpx.ConnectTimeout):
        return ConnectionFailure(
            f"timed out connecting to {address}",
            f"{host} did not accept a connection: {check_url}, {network}",
        )
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return ConnectionFailure(
            f"no answer from {host} within {timeout:g} s",
            f"{host} did not answer in time: check {network}; --timeout sets the limit",
        )
    for cause in _chain(exc):
        if isinstance(cause, socket.gaierror):
            temporary = cause.errno == socket.EAI_AGAIN
            return ConnectionFailure(
                f"cannot resolve {host}" + (" (temporary DNS failure)" if temporary else ""),
                f"the name {host} is not known here: {check_url} and this machine's DNS",
            )
        if isinstance(cause, ssl.SSLCertVerificationError):
            why = cause.verify_message or "verification failed"
            return ConnectionFailure(
                f"TLS certificate of {host} not trusted: {why}",
                "for a GitHub Enterprise Server with a private certificate authority, "
                f"point SSL_CERT_FILE at its CA bundle; otherwise {check_url}",
            )
        if isinstance(cause, ssl.SSLError):
            return ConnectionFailure(
                f"TLS handshake with {address} failed ({cause.reason or 'SSL error'})",
                f"{address} does not speak TLS as expected: {check_url} (https or http?)",
            )
        if isinstance(cause, ConnectionRefusedError):
            return ConnectionFailure(
                f"connection refused by {address}",
                f"nothing listens at {address}: {check_url}, its port, and any proxy (HTTPS_PROXY)",
            )
        if isinstance(cause, ConnectionResetError):
            return ConnectionFailure(
                f"connection reset by {address}",
                f"{address} or a proxy cut the connection: check {network}",
            )
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE:
            return ConnectionFailure(
                f"{address} is unreachable ({_UNREACHABLE[cause.errno]})",
                f"no route to {host} from here: check {network}, or a VPN",
            )
    if isinstance(exc, httpx.ProxyError):
        return ConnectionFailure(
            f"the proxy did not connect to {address}",
            "check the proxy settings (HTTPS_PROXY, NO_PROXY)",
        )
    if isinstance(exc, httpx.RemoteProtocolError):
        return ConnectionFailure(
            f"{address} closed the connection without answering",
            f"{address} (or a proxy) dropped the request: {check_url}, {network}",
        )
    return ConnectionFailure(
        f"connection to {address} failed ({type(exc).__name__})",
        f"check that {api_url} is reachable from here: {network}",
    )


_UNREACHABLE = {
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "no route to host",
    errno.EHOSTDOWN: "host is down",
}


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and what caused it, depth first (causes, contexts, exception groups)."""
    found: list[BaseException] = []
    pending = [exc]
    while pending and len(found) < 32:
        current = pending.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return found
