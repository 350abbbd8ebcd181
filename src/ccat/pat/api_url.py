"""The REST API base URL (SPEC §2.2): where it comes from, its checks, its one normal form.

First found wins: `--api-url`, `GITHUB_API_URL`, `GH_HOST` (as the GitHub CLI reads it:
`https://api.github.com` for github.com, else `https://HOST/api/v3`), then
`https://api.github.com`. It is validated once, because a URL with a query string sends
every request to `GET /`, which answered 200 and made every repository look present.

One URL has many spellings (`HTTPS://API.GitHub.com:443/`, `http://127.1`); the journal
records a run's API and `--resume` and `status` compare it with today's, so the URL is
brought to one **normal form** before anything uses it: scheme and host in lower case,
a host without its trailing dot, an IP address as its address (`127.1` is
`127.0.0.1`, `[0::1]` is `[::1]`), no default port (443 for https, 80 for http), no
trailing slash. `same_api` compares two URLs in that form, so a journal written with
another spelling still matches.

Whether a host is this machine is decided by its address, never by how it is spelt:
any IP address in 127.0.0.0/8 or ::1 (or IPv4-mapped), and the name `localhost`
(RFC 6761; the hosts file says so everywhere). Pure and light: the standard library only.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

from ccat.pat.errors import UsageError
from ccat.pat.settings import DEFAULT_API_URL

GITHUB_HOST = "github.com"
GITHUB_API_HOST = "api.github.com"
DEFAULT_PORTS = {"https": 443, "http": 80}

URL_EXAMPLES = (
    "e.g. https://api.github.com, https://HOST/api/v3 for GitHub Enterprise Server, "
    "or http://127.0.0.1:PORT for a server on this machine"
)
# A host name (labels of letters, digits, '-' and '_') or an IPv4 address.
_HOST_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_-]+)*\.?")
_GH_HOST = re.compile(r"(?P<host>[A-Za-z0-9._-]+)(?::(?P<port>[0-9]+))?")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# What inet_aton (and so the connection) reads as an IPv4 address: 1 to 4 parts of
# decimal, octal or hexadecimal digits (`127.1`, `2130706433`, `0x7f.1`).
_IPV4_LEGACY = re.compile(r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}")


def resolve_api_url(
    option: str | None, env: Mapping[str, str], *, insecure_http: bool = False
) -> str:
    """The REST API base URL, validated, in its normal form.

    First found wins: `option` (`--api-url`), `GITHUB_API_URL`, `GH_HOST`, github.com.
    An empty environment variable counts as unset. Raises `UsageError` naming where the
    URL came from; plain `http://` is refused to any host but this machine's unless
    `insecure_http` (`--insecure-http`).
    """
    if option is not None:
        return validate_api_url(option, "--api-url", insecure_http=insecure_http)
    from_env = env.get("GITHUB_API_URL", "")
    if from_env.strip():
        return validate_api_url(from_env, "GITHUB_API_URL", insecure_http=insecure_http)
    host = env.get("GH_HOST", "").strip()
    if host:
        return validate_api_url(gh_host_api_url(host), "GH_HOST", insecure_http=insecure_http)
    return DEFAULT_API_URL


def gh_host_api_url(value: str) -> str:
    """The API URL of a `GH_HOST` value, as the GitHub CLI reads it: github.com (on its
    default port, any case) is `https://api.github.com`, any other `https://HOST/api/v3`."""
    match = _GH_HOST.fullmatch(value)
    if match is None:
        raise UsageError(
            f"GH_HOST {_shown(value)} is not a host name",
            hint="GH_HOST names the host only, e.g. github.example.com; a full URL goes "
            "in GITHUB_API_URL or --api-url",
        )
    host, port = match["host"].lower().rstrip("."), match["port"]
    if host == GITHUB_HOST and port in (None, "443"):
        return DEFAULT_API_URL
    return f"https://{match[0]}/api/v3"


def validate_api_url(value: str, source: str, *, insecure_http: bool = False) -> str:
    """`value` as an API base URL in its normal form, or `UsageError` naming `source`.

    The URL is shown in messages with any credentials and any query or fragment cut
    out (either could hold a secret), and not at all when it is not printable ASCII.
    """
    url = value.strip()
    if not url:
        raise UsageError(f"{source} is empty", hint=URL_EXAMPLES)
    named = f"{source} {_shown(url)}" if _printable(url) else source
    _refuse_unsafe_text(url, named)
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed '[' of an IPv6 address
        raise UsageError(f"{named} is not a valid URL", hint=URL_EXAMPLES) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UsageError(f"{named} is not an https:// URL", hint=URL_EXAMPLES)
    host = parts.hostname or ""
    if not host:
        raise UsageError(f"{named} has no host", hint=URL_EXAMPLES)
    normal_host = _normal_host(host)
    if normal_host is None:
        raise UsageError(f"{named} has an invalid host", hint=URL_EXAMPLES)
    port = _port(parts.netloc, host)
    if port is None:
        raise UsageError(
            f"{named} has an invalid port (a number from 1 to 65535)", hint=URL_EXAMPLES
        )
    if scheme == "http" and not insecure_http and not is_loopback(normal_host):
        raise UsageError(
            f"{named} uses plain http:// to {normal_host}, which is not this machine: every "
            "request would send the operator credential in clear",
            hint=f"use https://{url[len('http://') :]}; for a server you trust on a private "
            "network, pass --insecure-http",
        )
    authority = f"[{normal_host}]" if ":" in normal_host else normal_host
    if port and port != DEFAULT_PORTS[scheme]:
        authority += f":{port}"
    return f"{scheme}://{authority}{parts.path.rstrip('/')}"


def normal_api_url(url: str) -> str | None:
    """`url` in its normal form (see the module docstring), None when it is not a valid
    API URL (e.g. in a hand-edited journal)."""
    try:
        return validate_api_url(url, "URL", insecure_http=True)
    except UsageError:
        return None


def same_api(first: str, second: str) -> bool:
    """Whether two API URLs name the same API: equal in their normal form (two that are
    not valid URLs are compared as written, without case or a trailing slash)."""

    def key(url: str) -> str:
        return normal_api_url(url) or url.rstrip("/").casefold()

    return key(first) == key(second)


def api_host(url: str) -> str:
    """The host of an API URL in its normal form, with its port when not the default
    (`api.github.com`, `ghe.example.org:8443`, `127.0.0.1:8080`)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    shown = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != DEFAULT_PORTS.get(parts.scheme):
        shown += f":{port}"
    return shown


def is_loopback(host: str) -> bool:
    """Whether `host` (a host of a URL, unbracketed) is this machine, by its address:
    an IP address of the loopback network in any spelling, or the name `localhost`."""
    normal = _normal_host(host)
    if normal is None:
        return False
    if normal == "localhost":
        # RFC 6761; a name *under* localhost may go to DNS (glibc asks it), so only this.
        return True
    try:
        address = ipaddress.ip_address(normal)
    except ValueError:
        return False
    return address.is_loopback


def _normal_host(host: str) -> str | None:
    """The host in lower case without a trailing dot, an IP address as its address;
    None when it is neither a host name nor an IP address."""
    lowered = host.lower()
    if ":" in lowered:  # only a bracketed IPv6 address holds a colon
        try:
            address = ipaddress.IPv6Address(lowered)
        except ValueError:
            return None
        mapped = address.ipv4_mapped
        return str(mapped) if mapped is not None else str(address)
    if _HOST_NAME.fullmatch(lowered) is None:
        return None
    name = lowered.rstrip(".")
    if _IPV4_LEGACY.fullmatch(name):
        try:
            return socket.inet_ntoa(socket.inet_aton(name))
        except OSError:  # digits that are no address, e.g. 256.1.1.1.1
            return None
    return name


def _port(netloc: str, host: str) -> int | None:
    """The port written after the host (0 when none), None when it is not exactly a
    number from 1 to 65535 (urlsplit forgives `host:`, `host:+80`, `host:080`, `host:0`:
    a URL that says exactly what it means is asked for instead)."""
    written = f"[{host}]" if ":" in host else host
    rest = netloc.lower().removeprefix(written)
    if not rest:
        return 0
    if not re.fullmatch(r":[1-9][0-9]{0,4}", rest) or int(rest[1:]) > 65535:
        return None
    return int(rest[1:])


def _refuse_unsafe_text(url: str, named: str) -> None:
    """Credentials, characters that are not printable ASCII, a query or a fragment."""
    if "@" in url:
        raise UsageError(
            f"{named} holds credentials (user:password@): they would go with every request "
            "and into --debug output",
            hint="remove them: the operator credential comes from GH_TOKEN or `gh auth token`; "
            + URL_EXAMPLES,
        )
    if not _printable(url):
        raise UsageError(
            f"{named} contains a space, a control character or a character that is not ASCII",
            hint=f"write an international domain name in its xn-- form; {URL_EXAMPLES}",
        )
    for mark, what in (("?", "a query string"), ("#", "a fragment")):
        if mark in url:
            raise UsageError(
                f"{named} has {what} ('{mark}'); an API base URL has none (with one, every "
                "request would go to the wrong path)",
                hint=URL_EXAMPLES,
            )


def _printable(text: str) -> bool:
    return all("!" <= char <= "~" for char in text)


def _shown(url: str) -> str:
    """`url` quoted for a message, with credentials, query and fragment cut out."""
    if not _printable(url):
        return "(not printable)"
    scheme = _SCHEME.match(url)
    # Only a scheme we know is shown: in `QjZx://:pw@host` the "scheme" is part of
    # the user name, which is everything before the last '@'.
    known = scheme is not None and scheme.group(0).lower() in ("http://", "https://")
    prefix = scheme.group(0) if scheme and known else ""
    rest = url[len(prefix) :]
    if "@" in rest:  # everything up to the last '@' may be a user name and a password
        rest = "***@" + rest.rpartition("@")[2]
    for mark in "?#":
        if mark in rest:
            rest = rest.partition(mark)[0] + mark + "…"
    return repr(prefix + rest)
