"""Where the API URL, the operator credential and the new token come from (SPEC §2.2),
and the checks each passes before the first request.

API base URL, first found wins: `--api-url`, `GITHUB_API_URL`, `GH_HOST` (as the GitHub
CLI reads it: `https://api.github.com` for github.com, else `https://HOST/api/v3`), then
`https://api.github.com`. It is validated once, because a URL with a query string sends
every request to `GET /`, which answered 200 and made every repository look present.

Operator credential, as `gh` looks for it: for github.com `GH_TOKEN`, `GITHUB_TOKEN`,
then `gh auth token`; for any other host (GitHub Enterprise Server, the emulator)
`GH_ENTERPRISE_TOKEN`, `GITHUB_ENTERPRISE_TOKEN`, then `GH_TOKEN`, `GITHUB_TOKEN` (which
ccat has always accepted for any host), then `gh auth token --hostname HOST`. It is read
from the environment or from `gh`'s standard output, never from argv.

Every token (the operator's and the new one) must look like a GitHub token: printable
ASCII without whitespace, at most 255 characters. Anything else used to end in a
traceback showing one character of the token, in four retries of a "connection
failure", or in an HTML page from GitHub. No message here ever quotes a token, a
character of it, its position or its length.
"""

from __future__ import annotations

import getpass
import ipaddress
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, Literal, TextIO, overload
from urllib.parse import urlsplit

from ccat.pat.errors import CredentialError, InvalidNewTokenError, UsageError
from ccat.pat.github import DEFAULT_API_URL

GH_TIMEOUT = 15.0
GITHUB_HOST = "github.com"
MAX_TOKEN_LENGTH = 255
# The new token is one line of standard input; a longer line is refused without
# reading the rest of it into memory.
MAX_TOKEN_LINE_BYTES = 64 * 1024

_URL_EXAMPLES = (
    "e.g. https://api.github.com, https://HOST/api/v3 for GitHub Enterprise Server, "
    "or http://127.0.0.1:PORT for a server on this machine"
)
# A host name (labels of letters, digits, '-' and '_') or an IPv4 address.
_HOST_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_-]+)*\.?")
_GH_HOST = re.compile(r"[A-Za-z0-9._-]+(?::[0-9]+)?")
_TOKEN = re.compile(rf"[\x21-\x7e]{{1,{MAX_TOKEN_LENGTH}}}")
# Surrounding whitespace stripped from a token: ASCII only (str.strip() would also take
# the control characters U+001C-U+001F, which then would not be refused).
_WHITESPACE = " \t\n\r\v\f"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_TOKEN_HINT = (
    "a GitHub token is printable ASCII without spaces, at most 255 characters "
    "(ghp_… or github_pat_…); copy it again from GitHub"
)


@dataclass(frozen=True)
class Credential:
    """The operator credential and where it was found (`source` is safe to show)."""

    token: str = field(repr=False)
    source: str


# --- the API base URL -----------------------------------------------------------------


def resolve_api_url(
    option: str | None, env: Mapping[str, str], *, insecure_http: bool = False
) -> str:
    """The REST API base URL, validated, without a trailing slash.

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
        if not _GH_HOST.fullmatch(host):
            raise UsageError(
                f"GH_HOST {_shown(host)} is not a host name",
                hint="GH_HOST names the host only, e.g. github.example.com; a full URL goes "
                "in GITHUB_API_URL or --api-url",
            )
        url = DEFAULT_API_URL if host.lower() == GITHUB_HOST else f"https://{host}/api/v3"
        return validate_api_url(url, "GH_HOST", insecure_http=insecure_http)
    return DEFAULT_API_URL


def validate_api_url(value: str, source: str, *, insecure_http: bool = False) -> str:
    """`value` as an API base URL without a trailing slash, or `UsageError` naming `source`.

    The URL is shown in messages with any credentials and any query or fragment cut
    out (either could hold a secret), and not at all when it is not printable ASCII.
    """
    url = value.strip()
    if not url:
        raise UsageError(f"{source} is empty", hint=_URL_EXAMPLES)
    named = f"{source} {_shown(url)}" if _printable(url) else source
    _refuse_unsafe_text(url, named)
    try:
        parts = urlsplit(url)
    except ValueError:  # an unclosed '[' of an IPv6 address
        raise UsageError(f"{named} is not a valid URL", hint=_URL_EXAMPLES) from None
    if parts.scheme not in ("https", "http"):
        raise UsageError(f"{named} is not an https:// URL", hint=_URL_EXAMPLES)
    host = parts.hostname or ""
    if not host:
        raise UsageError(f"{named} has no host", hint=_URL_EXAMPLES)
    if not _valid_host(host):
        raise UsageError(f"{named} has an invalid host", hint=_URL_EXAMPLES)
    if not _valid_port(parts.netloc, host):
        raise UsageError(
            f"{named} has an invalid port (a number from 1 to 65535)", hint=_URL_EXAMPLES
        )
    if parts.scheme == "http" and not insecure_http and not _is_loopback(host):
        raise UsageError(
            f"{named} uses plain http:// to {host}, which is not this machine: every request "
            "would send the operator credential in clear",
            hint=f"use https://{url[len('http://') :]}; for a server you trust on a private "
            "network, pass --insecure-http",
        )
    return parts.scheme + url[len(parts.scheme) :].rstrip("/")


def _refuse_unsafe_text(url: str, named: str) -> None:
    """Credentials, characters that are not printable ASCII, a query or a fragment."""
    if "@" in url:
        raise UsageError(
            f"{named} holds credentials (user:password@): they would go with every request "
            "and into --debug output",
            hint="remove them: the operator credential comes from GH_TOKEN or `gh auth token`; "
            + _URL_EXAMPLES,
        )
    if not _printable(url):
        raise UsageError(
            f"{named} contains a space, a control character or a character that is not ASCII",
            hint=f"write an international domain name in its xn-- form; {_URL_EXAMPLES}",
        )
    for mark, what in (("?", "a query string"), ("#", "a fragment")):
        if mark in url:
            raise UsageError(
                f"{named} has {what} ('{mark}'); an API base URL has none (with one, every "
                "request would go to the wrong path)",
                hint=_URL_EXAMPLES,
            )


def _printable(text: str) -> bool:
    return all("!" <= char <= "~" for char in text)


def _shown(url: str) -> str:
    """`url` quoted for a message, with credentials, query and fragment cut out."""
    if not _printable(url):
        return "(not printable)"
    scheme = _SCHEME.match(url)
    prefix = scheme.group(0) if scheme else ""
    rest = url[len(prefix) :]
    if "@" in rest:  # everything up to the last '@' may be a user name and a password
        rest = "***@" + rest.rpartition("@")[2]
    for mark in "?#":
        if mark in rest:
            rest = rest.partition(mark)[0] + mark + "…"
    return repr(prefix + rest)


def _valid_host(host: str) -> bool:
    """Whether `host` (as urlsplit gives it) is a host name, an IPv4 or an IPv6 address."""
    if ":" in host:  # only a bracketed IPv6 address holds a colon
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    return _HOST_NAME.fullmatch(host) is not None


def _valid_port(netloc: str, host: str) -> bool:
    """Whether the authority is exactly the host and an optional port from 1 to 65535."""
    written = f"[{host}]" if ":" in host else host
    if netloc.lower() == written:
        return True
    port = netloc.lower().removeprefix(written)
    # urlsplit forgives "host:", "host:+80", "host:080" and "host:0": a URL that says
    # exactly what it means is asked for instead.
    return bool(re.fullmatch(r":[1-9][0-9]{0,4}", port)) and int(port[1:]) <= 65535


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- the operator credential ----------------------------------------------------------


def gh_hostname(api_url: str) -> str:
    """The host the API URL belongs to, as `gh auth token --hostname` names it."""
    host = urlsplit(api_url).hostname or GITHUB_HOST
    return GITHUB_HOST if host in ("api.github.com", GITHUB_HOST) else host


def credential_variables(host: str) -> tuple[str, ...]:
    """The environment variables that may hold the operator credential for `host`, in order."""
    if host == GITHUB_HOST:
        return ("GH_TOKEN", "GITHUB_TOKEN")
    return ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GH_TOKEN", "GITHUB_TOKEN")


def resolve_credential(env: Mapping[str, str], api_url: str) -> Credential:
    """Find the operator credential for `api_url`'s host and check that it is well formed.

    Raises `CredentialError` listing what was tried when there is none, and `UsageError`
    naming the source (never the value) when the one found is malformed: the first
    found is used, a malformed one is not skipped for the next.
    """
    host = gh_hostname(api_url)
    variables = credential_variables(host)
    for name in variables:
        value = env.get(name, "").strip(_WHITESPACE)
        if value:
            validate_token(value, name)
            return Credential(value, name)
    token, outcome = _gh_auth_token(env, host)
    if token is not None:
        return Credential(token, f"gh auth token ({host})")
    raise CredentialError(
        f"no operator credential for {host}: {', '.join(variables)} are unset or empty, "
        f"and {outcome}",
        hint=_credential_hint(host),
    )


def _gh_auth_token(env: Mapping[str, str], host: str) -> tuple[str | None, str]:
    """The token `gh auth token --hostname HOST` prints, or None and why there is none."""
    command = f"gh auth token --hostname {host}"
    gh = shutil.which("gh", path=env.get("PATH"))
    if gh is None:
        return None, "`gh` is not installed"
    try:
        done = subprocess.run(
            [gh, "auth", "token", "--hostname", host],
            capture_output=True,
            # Standard input may hold the new token (`… | ccat pat rotate`): not for gh.
            stdin=subprocess.DEVNULL,
            timeout=GH_TIMEOUT,
            check=False,
            env=dict(env),
        )
    except subprocess.TimeoutExpired:
        return None, f"`{command}` did not answer within {GH_TIMEOUT:g} s"
    except OSError as exc:
        return None, f"`{command}` could not run ({exc.strerror or exc})"
    # Bytes, decoded without ever failing: a non-ASCII answer is then refused by
    # validate_token, not by a UnicodeDecodeError quoting the byte.
    token = done.stdout.decode("ascii", errors="replace").strip(_WHITESPACE)
    if done.returncode == 0 and token:
        validate_token(token, f"the output of `{command}`")
        return token, "found"
    if done.returncode:
        return None, f"`{command}` failed (exit {done.returncode})"
    return None, f"`{command}` printed nothing"


def _credential_hint(host: str) -> str:
    if host == GITHUB_HOST:
        return (
            "export GH_TOKEN with a token that may read and write the repositories' Actions "
            "secrets, or log in with `gh auth login`"
        )
    return (
        f"export GH_ENTERPRISE_TOKEN (or GH_TOKEN) with a token of {host} that may read and "
        f"write the repositories' Actions secrets, or log in with `gh auth login --hostname {host}`"
    )


# --- tokens ---------------------------------------------------------------------------


def token_problem(value: str) -> str | None:
    """What is wrong with `value` as a GitHub token, in words that never quote it; None
    when it is well formed (1-255 characters of printable ASCII, no whitespace)."""
    if _TOKEN.fullmatch(value):
        return None
    if not value:
        return "is empty"
    if len(value) > MAX_TOKEN_LENGTH:
        return f"is more than {MAX_TOKEN_LENGTH} characters long"
    if not value.isascii():
        return (
            "contains a character that is not ASCII (a typographic quote, or an invisible "
            "character picked up by copy and paste?)"
        )
    if any(char in _WHITESPACE for char in value):
        return "contains a space, a tab or a line break"
    return "contains a control character"


def validate_token(value: str, what: str) -> None:
    """Raise `UsageError` saying which rule `value` breaks, naming `what` (e.g.
    "GH_TOKEN", "the new token") and never the token itself."""
    problem = token_problem(value)
    if problem is not None:
        raise UsageError(f"{what} {problem}", hint=_TOKEN_HINT)


@overload
def read_new_token(
    secret: str, *, allow_empty: Literal[False] = False, stdin: TextIO | None = None
) -> str: ...
@overload
def read_new_token(
    secret: str, *, allow_empty: bool, stdin: TextIO | None = None
) -> str | None: ...
def read_new_token(
    secret: str, *, allow_empty: bool = False, stdin: TextIO | None = None
) -> str | None:
    """The new token: a hidden prompt on a terminal, else one line of standard input
    (`stdin`, by default the process's).

    Surrounding whitespace is stripped. Raises `InvalidNewTokenError` (exit 2) when it is
    malformed, or empty unless `allow_empty` (a dry run may go without: None); nothing
    read is ever quoted.
    """
    stdin = sys.stdin if stdin is None else stdin
    at_prompt = stdin is not None and stdin.isatty()
    if at_prompt:
        try:
            # getpass writes the prompt to the terminal and does not echo what is typed.
            value = getpass.getpass(f"Paste {secret} token: ").strip(_WHITESPACE)
        except UnicodeDecodeError:
            # Its message would quote the offending byte and its position.
            value = "\ufffd"
        except EOFError:  # Ctrl-D
            _end_prompt_line()
            raise InvalidNewTokenError(
                "no token given (end of input at the prompt); nothing was written"
            ) from None
        except BaseException:  # Ctrl-C (the command's signal handling): end the line
            _end_prompt_line()
            raise
    else:
        value = _read_line(stdin)
    if not value and allow_empty:
        return None
    if not value and at_prompt:
        raise InvalidNewTokenError(
            "no token given: nothing was pasted at the prompt; nothing was written",
            hint="paste the new token at the prompt (it is not shown as you type), then "
            "press Enter",
        )
    if not value:
        raise InvalidNewTokenError(
            "no token given: standard input was empty; nothing was written",
            hint=f"pipe the token in, e.g. `pass show ci/gh-pat | ccat pat rotate --yes`, or "
            f"run it in a terminal to paste {secret} at a hidden prompt",
        )
    problem = token_problem(value)
    if problem is not None:
        raise InvalidNewTokenError(f"the new token {problem}", hint=_TOKEN_HINT)
    return value


def _end_prompt_line() -> None:
    """After Ctrl-C or Ctrl-D at the hidden prompt the cursor is still on its line (getpass
    ends it only after a read): end it on the terminal, where the prompt is."""
    try:
        with open("/dev/tty", "w", encoding="utf-8") as tty:
            tty.write("\n")
    except OSError:
        pass


def _read_line(stdin: TextIO | None) -> str:
    """One line of standard input, stripped; decoding never fails (a byte that is not
    ASCII becomes U+FFFD, which the token rules then refuse)."""
    if stdin is None:  # no standard input at all (closed by the parent)
        return ""
    buffer: BinaryIO | None = getattr(stdin, "buffer", None)
    if buffer is not None:
        raw = buffer.readline(MAX_TOKEN_LINE_BYTES + 1)
    else:
        try:
            raw = stdin.readline(MAX_TOKEN_LINE_BYTES + 1).encode("utf-8", errors="replace")
        except UnicodeDecodeError:
            raw = b"\xff"
    if len(raw) > MAX_TOKEN_LINE_BYTES:
        raise InvalidNewTokenError(
            f"the new token is more than {MAX_TOKEN_LENGTH} characters long", hint=_TOKEN_HINT
        )
    return raw.decode("ascii", errors="replace").strip(_WHITESPACE)
