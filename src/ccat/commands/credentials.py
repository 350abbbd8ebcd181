"""Where the API URL, the operator credential and the new token come from (SPEC §2.2),
and the checks each passes before the first request.

The API URL and its one normal form are `ccat.pat.api_url`'s (re-exported here).

Operator credential, as the GitHub CLI looks for it, by the API's host — a github.com
credential is never sent to another host:

- `api.github.com`, and an API on this machine (the emulator): `GH_TOKEN`,
  `GITHUB_TOKEN`, then `gh auth token --hostname HOST`;
- any other host (GitHub Enterprise Server, `GH_HOST`): `GH_ENTERPRISE_TOKEN`,
  `GITHUB_ENTERPRISE_TOKEN`, then `gh auth token --hostname HOST`. `GH_TOKEN` and
  `GITHUB_TOKEN` are not read: until round two, `GH_HOST=github.example.org` sent the
  github.com token to that host.

None found: `CredentialError` (exit 4), naming the variable to set. It is read from the
environment or from `gh`'s standard output, never from argv.

Every token (the operator's and the new one) must look like a GitHub token: printable
ASCII without whitespace, at most 255 characters. Anything else used to end in a
traceback showing one character of the token, in four retries of a "connection
failure", or in an HTML page from GitHub. No message here ever quotes a token, a
character of it, its position or its length.
"""

from __future__ import annotations

import getpass
import os
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, Literal, TextIO, overload
from urllib.parse import urlsplit

from ccat.pat.api_url import (
    GITHUB_API_HOST,
    GITHUB_HOST,
    api_host,
    is_loopback,
    resolve_api_url,
    validate_api_url,
)
from ccat.pat.errors import CredentialError, InvalidNewTokenError, UsageError

__all__ = [
    "GH_TIMEOUT",
    "MAX_TOKEN_LENGTH",
    "MAX_TOKEN_LINE_BYTES",
    "Credential",
    "TokenPrompt",
    "credential_variables",
    "gh_hostname",
    "read_new_token",
    "read_token",
    "resolve_api_url",
    "resolve_credential",
    "token_problem",
    "validate_api_url",
    "validate_token",
]

GH_TIMEOUT = 15.0
MAX_TOKEN_LENGTH = 255
# The new token is one line of standard input; a longer line is refused without
# reading the rest of it into memory.
MAX_TOKEN_LINE_BYTES = 64 * 1024
GITHUB_VARIABLES = ("GH_TOKEN", "GITHUB_TOKEN")
ENTERPRISE_VARIABLES = ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")

_TOKEN = re.compile(rf"[\x21-\x7e]{{1,{MAX_TOKEN_LENGTH}}}")
# Surrounding whitespace stripped from a token: ASCII only (str.strip() would also take
# the control characters U+001C-U+001F, which then would not be refused).
_WHITESPACE = " \t\n\r\v\f"
_TOKEN_HINT = (
    "a GitHub token is printable ASCII without spaces, at most 255 characters "
    "(ghp_… or github_pat_…); copy it again from GitHub"
)


@dataclass(frozen=True)
class Credential:
    """The operator credential and where it was found (`source` is safe to show)."""

    token: str = field(repr=False)
    source: str


# --- the operator credential ----------------------------------------------------------


def gh_hostname(api_url: str) -> str:
    """The host the API URL belongs to, as `gh auth token --hostname` names it."""
    host = urlsplit(api_url).hostname or GITHUB_HOST
    return GITHUB_HOST if host in (GITHUB_API_HOST, GITHUB_HOST) else host


def credential_variables(host: str) -> tuple[str, ...]:
    """The environment variables that may hold the operator credential for `host` (as
    `gh_hostname` names it), in order: github.com's only for github.com and this
    machine, the enterprise ones for any other host."""
    if host == GITHUB_HOST or is_loopback(host):
        return GITHUB_VARIABLES
    return ENTERPRISE_VARIABLES


def resolve_credential(env: Mapping[str, str], api_url: str) -> Credential:
    """Find the operator credential for `api_url`'s host and check that it is well formed.

    Raises `CredentialError` (exit 4) naming what was tried and the variable to set when
    there is none, and `UsageError` naming the source (never the value) when the one
    found is malformed: the first found is used, a malformed one is not skipped.
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
    ignored = [name for name in GITHUB_VARIABLES if name not in variables and env.get(name)]
    not_sent = (
        f"; {' and '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} set but "
        f"not used: a github.com credential is never sent to {api_host(api_url)}"
        if ignored
        else ""
    )
    raise CredentialError(
        f"no operator credential for {host}: {', '.join(variables)} are unset or empty, "
        f"and {outcome}{not_sent}",
        hint=_credential_hint(host, variables),
    )


def _gh_auth_token(env: Mapping[str, str], host: str) -> tuple[str | None, str]:
    """The token `gh auth token --hostname HOST` prints, or None and why there is none.

    gh may leave a process of its own (a credential helper) holding its standard output
    open after it has exited: what gh printed is read once gh has exited, without
    waiting for the end of the stream, so that does not cost the whole timeout.
    """
    command = f"gh auth token --hostname {host}"
    gh = shutil.which("gh", path=env.get("PATH"))
    if gh is None:
        return None, "`gh` is not installed"
    try:
        output, returncode = _run_for_output([gh, "auth", "token", "--hostname", host], env)
    except subprocess.TimeoutExpired:
        return None, f"`{command}` did not answer within {GH_TIMEOUT:g} s"
    except OSError as exc:
        return None, f"`{command}` could not run ({exc.strerror or exc})"
    # Bytes, decoded without ever failing: a non-ASCII answer is then refused by
    # validate_token, not by a UnicodeDecodeError quoting the byte.
    token = output.decode("ascii", errors="replace").strip(_WHITESPACE)
    if returncode == 0 and token:
        validate_token(token, f"the output of `{command}`")
        return token, "found"
    if returncode:
        return None, f"`{command}` failed (exit {returncode})"
    return None, f"`{command}` printed nothing"


def _run_for_output(argv: list[str], env: Mapping[str, str]) -> tuple[bytes, int]:
    """Run `argv`; its standard output (at most `MAX_TOKEN_LINE_BYTES` and a byte) and
    exit status, once it has exited and its output is drained. TimeoutExpired (the
    process killed) when it has not exited within `GH_TIMEOUT` seconds."""
    deadline = time.monotonic() + GH_TIMEOUT
    with subprocess.Popen(
        argv,
        # Standard input may hold the new token (`… | ccat pat rotate`): not for gh.
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=dict(env),
    ) as process:
        assert process.stdout is not None
        stream = process.stdout.fileno()
        os.set_blocking(stream, False)
        output = bytearray()
        while len(output) <= MAX_TOKEN_LINE_BYTES:
            left = deadline - time.monotonic()
            if left <= 0:
                process.kill()
                raise subprocess.TimeoutExpired(argv, GH_TIMEOUT)
            readable, _, _ = select.select([stream], [], [], min(left, 0.05))
            if readable:
                chunk = os.read(stream, 65536)
                if not chunk:  # end of the stream: every writer has closed it
                    break
                output += chunk
            elif process.poll() is not None:
                # Exited, and nothing is waiting in the pipe: whatever still holds it
                # open (a child of gh's) is not gh's answer.
                break
        try:
            returncode = process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    return bytes(output), returncode


def _credential_hint(host: str, variables: tuple[str, ...]) -> str:
    if variables == GITHUB_VARIABLES:
        return (
            "export GH_TOKEN with a token that may read and write the repositories' Actions "
            "secrets, or log in with `gh auth login`"
        )
    return (
        f"export GH_ENTERPRISE_TOKEN with a token of {host} that may read and write the "
        f"repositories' Actions secrets, or log in with `gh auth login --hostname {host}`"
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
    """The new token of a rotation: a hidden prompt on a terminal, else one line of
    standard input (`stdin`, by default the process's); see `read_token`."""
    return read_token(
        TokenPrompt(
            prompt=f"Paste {secret} token: ",
            what="the new token",
            consequence="nothing was written",
            example="pass show ci/gh-pat | ccat pat rotate --yes",
            paste=f"paste {secret}",
        ),
        allow_empty=allow_empty,
        stdin=stdin,
    )


@dataclass(frozen=True)
class TokenPrompt:
    """How a command asks for a token: the prompt, what the token is called in a
    message, what did not happen when none came, a pipe to give it through, and what to
    paste at the hidden prompt."""

    prompt: str
    what: str
    consequence: str
    example: str
    paste: str
    # What to do when standard input was empty, instead of piping `example` or pasting.
    empty_hint: str | None = None


def read_token(
    asking: TokenPrompt, *, allow_empty: bool = False, stdin: TextIO | None = None
) -> str | None:
    """A token: a hidden prompt on a terminal, else one line of standard input
    (`stdin`, by default the process's).

    Surrounding whitespace is stripped. Raises `InvalidNewTokenError` (exit 2) when it is
    malformed, or empty unless `allow_empty` (then None); nothing read is ever quoted.
    """
    stdin = sys.stdin if stdin is None else stdin
    at_prompt = stdin is not None and stdin.isatty()
    if at_prompt:
        try:
            # getpass writes the prompt to the terminal and does not echo what is typed.
            value = getpass.getpass(asking.prompt).strip(_WHITESPACE)
        except UnicodeDecodeError:
            # Its message would quote the offending byte and its position.
            value = "\ufffd"
        except EOFError:  # Ctrl-D
            _end_prompt_line()
            raise InvalidNewTokenError(
                f"no token given (end of input at the prompt); {asking.consequence}"
            ) from None
        except BaseException:  # Ctrl-C (the command's signal handling): end the line
            _end_prompt_line()
            raise
    else:
        value = _read_line(stdin, asking.what)
    if not value and allow_empty:
        return None
    if not value and at_prompt:
        raise InvalidNewTokenError(
            f"no token given: nothing was pasted at the prompt; {asking.consequence}",
            hint="paste the token at the prompt (it is not shown as you type), then press Enter",
        )
    if not value:
        raise InvalidNewTokenError(
            f"no token given: standard input was empty; {asking.consequence}",
            hint=asking.empty_hint
            or f"pipe the token in, e.g. `{asking.example}`, or run it in a terminal to "
            f"{asking.paste} at a hidden prompt",
        )
    problem = token_problem(value)
    if problem is not None:
        raise InvalidNewTokenError(f"{asking.what} {problem}", hint=_TOKEN_HINT)
    return value


def _end_prompt_line() -> None:
    """After Ctrl-C or Ctrl-D at the hidden prompt the cursor is still on its line (getpass
    ends it only after a read): end it on the terminal, where the prompt is."""
    try:
        with open("/dev/tty", "w", encoding="utf-8") as tty:
            tty.write("\n")
    except OSError:
        pass


def _read_line(stdin: TextIO | None, what: str) -> str:
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
            f"{what} is more than {MAX_TOKEN_LENGTH} characters long", hint=_TOKEN_HINT
        )
    return raw.decode("ascii", errors="replace").strip(_WHITESPACE)
