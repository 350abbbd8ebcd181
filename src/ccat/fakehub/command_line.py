"""The emulator's command line: every argument checked, every mistake a usage error.

Each argument has a type function here that either returns a value the emulator can use
or raises `argparse.ArgumentTypeError` with what is wrong and an example, so that
argparse ends with `usage: …` and `error: …` (exit 2) and never a traceback: a port of
70000 used to reach `bind` as an `OverflowError`. `ccat pat demo --fail` parses its
faults with `fault_spec` too.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import NoReturn

from ccat.fakehub.hub import DEFAULT_OPERATOR_LOGIN, DEFAULT_OPERATOR_TOKEN
from ccat.fakehub.records import Fault, PointsLimit
from ccat.fakehub.tokens import EXPIRY_FORMAT
from ccat.pat.github_rules import POINTS_WINDOW, is_org_name
from ccat.pat.stores import Store

NEW_TOKEN_LOGIN = "ccat-ci-bot"
MAX_LATENCY = 60.0
HELP_WIDTH = 80

FAIL_EXAMPLE = "--fail 'PUT /repos/ccatobs/data-transfer/.*=403x1'"
_FAIL_SPEC = re.compile(
    r"(?P<method>\*|[A-Za-z]+)\s+(?P<path>\S.*)=(?:(?P<status>\d{3})|(?P<action>hang|drop))"
    r"(?:x(?P<times>\d{1,9}))?"
)
# GitHub's messages for the statuses an operator most likely rehearses.
_MESSAGES = {
    401: "Bad credentials",
    403: "Resource not accessible by personal access token",
    404: "Not Found",
    422: "Validation Failed",
}
# What a GitHub client can send as a token (ccat's own rule): printable ASCII, no spaces.
_TOKEN = re.compile(r"[\x21-\x7e]{1,255}")
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\[\]-]{0,99}")
# A host name or an IPv4 address: the server listens on IPv4.
_HOST = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*")
_DAYS = re.compile(r"(-?\d{1,5})d")

DESCRIPTION = """\
Serve a GitHub REST emulator for every repository of a dependency graph, until
interrupted (Ctrl-C or SIGTERM). The first line on stdout is its base URL; what
it serves, its tokens and armed faults are said on stderr."""
EPILOG = f"""\
examples:
  python -m ccat.fakehub --graph ci/dependency-graph.yml --port 8080 --log
  python -m ccat.fakehub --graph ci/dependency-graph.yml \\
      --token op=alice --token new-pat --expires new-pat=10d
  python -m ccat.fakehub --graph ci/dependency-graph.yml \\
      {FAIL_EXAMPLE} \\
      --fail 'GET /repos/ccatobs/ops-db/actions/secrets/public-key=hangx2' \\
      --fail '* /user=drop' --budget 900

--fail 'METHOD PATH-REGEX=ACTION[xTIMES]' arms a fault. A request whose method
is METHOD (any, for *) and whose whole path matches the regular expression
PATH-REGEX (without the query or an /api/v3 prefix) gets ACTION:
  200-599  that status, with GitHub's JSON error message
  hang     no answer, ever (until the client gives up)
  drop     the connection closed without an answer
xTIMES: only the first TIMES such requests; without it, every one. A request
gets the first armed fault that matches.

--budget POINTS enforces GitHub's secondary rate limit: at most POINTS points
per 60 s (a read costs 1, a write 5); past it, 429 with Retry-After.

--expires TOKEN=WHEN: the token's expiry, sent as GitHub sends it (the
GitHub-Authentication-Token-Expiration header); past it, the token gets 401.
WHEN is a date (2027-02-01, midnight UTC), GitHub's form ('2027-02-01
12:00:00 UTC'), or a number of days from now (10d).

A TOKEN that starts with ghs_ is a GitHub App installation token: it has no
user (GET /user is 403 to it) and GET /installation/repositories lists the
repositories it reaches; given after the first, it may read and write secrets.
--pending TOKEN: a fine-grained token awaiting the organisation owner's
approval; it reads its user, and no (private) repository.
POST /credentials/revoke, called without a token, revokes the tokens it names:
they get 401 from then on."""


# --- argument types ---------------------------------------------------------------------


def fault_spec(text: str) -> Fault:
    """A `Fault` from `METHOD PATH-REGEX=STATUS|hang|drop[xTIMES]` (an argparse type)."""
    match = _FAIL_SPEC.fullmatch(text.strip())
    if match is None:
        raise _bad_spec(text, "expected 'METHOD PATH-REGEX=STATUS[xTIMES]', =hang or =drop")
    try:
        path = re.compile(match["path"])
    except (re.error, RecursionError, OverflowError) as exc:
        raise _bad_spec(text, f"PATH-REGEX is not a regular expression ({exc})") from None
    status = int(match["status"] or 500)
    if not 200 <= status <= 599:
        raise _bad_spec(text, f"STATUS {status} is not in 200-599")
    times = None if match["times"] is None else int(match["times"])
    if times == 0:
        raise _bad_spec(text, "xTIMES must be at least 1")
    return Fault(
        method=match["method"].upper(),
        path=path,
        status=status,
        count=times,
        message=_message(status),
        action="hang" if match["action"] == "hang" else "drop" if match["action"] else "status",
    )


def _message(status: int) -> str:
    if status in _MESSAGES:
        return _MESSAGES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _bad_spec(text: str, problem: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"{_quoted(text)}: {problem}; e.g. {FAIL_EXAMPLE}")


def _quoted(text: str, limit: int = 60) -> str:
    """`text` for an error message: one line, bounded, control characters escaped."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(short)


def copy(text: str) -> tuple[str, str]:
    """`--copy REPO:STORE`: a repository of the graph (name or org/name) and a store
    (`actions`, `dependabot`, `environment:NAME`) to hold a copy of GH_PAT."""
    repository, colon, store = text.partition(":")
    try:
        Store.parse(store)
        valid = True
    except ValueError:
        valid = False
    if not colon or not repository or not valid:
        raise argparse.ArgumentTypeError(
            f"{_quoted(text)}: expected REPO:STORE, STORE being actions, dependabot or "
            "environment:NAME; e.g. --copy ops-db:dependabot"
        )
    return repository, store


def budget(text: str) -> PointsLimit:
    """`--budget POINTS`: a whole number of points per 60 s, at least 1."""
    try:
        points = int(text)
    except ValueError:
        points = 0
    if not 1 <= points <= 1_000_000:
        raise argparse.ArgumentTypeError(
            f"{_quoted(text)}: POINTS is a whole number from 1 to 1000000; e.g. --budget 900"
        )
    return PointsLimit(points=points, window=POINTS_WINDOW)


def port(text: str) -> int:
    """`--port N`: 0 (any free port) to 65535."""
    if not re.fullmatch(r"\d{1,5}", text.strip()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(
            f"{_quoted(text)}: a port is a number from 1 to 65535, or 0 for any free "
            "port; e.g. --port 8080"
        )
    return int(text)


def host(text: str) -> str:
    """`--host ADDRESS`: an IPv4 address or a host name (the server listens on IPv4)."""
    if ":" in text:
        raise argparse.ArgumentTypeError(
            f"{_quoted(text)}: the emulator listens on IPv4 only; e.g. --host 127.0.0.1"
        )
    if not _HOST.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{_quoted(text)}: not an IPv4 address or a host name; e.g. --host 127.0.0.1"
        )
    return text


def latency(text: str) -> float:
    """`--latency SECONDS`: a finite number from 0 to `MAX_LATENCY`."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= MAX_LATENCY:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"{_quoted(text)}: SECONDS is a number from 0 to {MAX_LATENCY:g}; e.g. --latency 0.05"
        )
    return seconds


def org(text: str) -> str:
    """`--org ORG`: a GitHub organisation login."""
    if not is_org_name(text):
        raise argparse.ArgumentTypeError(
            f"{_quoted(text)}: an organisation is 1-39 letters, digits or single inner "
            "hyphens; e.g. --org ccatobs"
        )
    return text


def token(text: str) -> tuple[str, str | None]:
    """`--token TOKEN[=LOGIN]`: a token a client can send, and its login if given."""
    value, equals, login = text.partition("=")
    if not _TOKEN.fullmatch(value):
        raise argparse.ArgumentTypeError(
            "TOKEN is 1-255 printable ASCII characters without spaces (what a client can "
            "send); e.g. --token op=alice"
        )
    if equals and not _LOGIN.fullmatch(login):
        raise argparse.ArgumentTypeError(
            f"LOGIN {_quoted(login)} is not a GitHub login; e.g. --token op=alice"
        )
    return value, login if equals else None


def expires(text: str) -> tuple[str, str]:
    """`--expires TOKEN=WHEN`: the token and its expiry in GitHub's header format."""
    value, equals, when = text.rpartition("=")
    if not equals or not value:
        raise argparse.ArgumentTypeError(
            f"{_quoted(text)}: expected TOKEN=WHEN; e.g. --expires new-pat=10d"
        )
    return value, expiry_text(when, datetime.now(UTC))


def expiry_text(when: str, now: datetime) -> str:
    """WHEN (`2027-02-01`, `2027-02-01 12:00:00 UTC` or `10d` from `now`) in GitHub's
    expiry header format; `argparse.ArgumentTypeError` when it is none of them."""
    moment: datetime | None = None
    days = _DAYS.fullmatch(when.strip())
    if days is not None:
        count = int(days[1])
        moment = now + timedelta(days=count) if abs(count) <= 3650 else None
    else:
        for form in ("%Y-%m-%d", EXPIRY_FORMAT):
            try:
                moment = datetime.strptime(when.strip(), form).replace(tzinfo=UTC)
            except ValueError:
                continue
            break
    if moment is None or not 1970 <= moment.year <= 9998:
        raise argparse.ArgumentTypeError(
            f"{_quoted(when)}: WHEN is a date from 1970 to 9998 (2027-02-01), GitHub's "
            "form ('2027-02-01 12:00:00 UTC') or days from now, at most 3650 (10d); "
            "e.g. --expires new-pat=10d"
        )
    return moment.strftime(EXPIRY_FORMAT)


# --- the parser -------------------------------------------------------------------------


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Argparse's formatter, never wider than 80 columns (a terminal's default), that
    wraps option help at spaces only (never after a hyphen: `fine-` / `grained`)."""

    def __init__(self, prog: str) -> None:
        columns = shutil.get_terminal_size((HELP_WIDTH, 24)).columns
        super().__init__(prog, max_help_position=26, width=min(columns, HELP_WIDTH) - 1)

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


class _Parser(argparse.ArgumentParser):
    """Argparse's parser, whose error message is wrapped as its help is: at spaces, at
    most 80 columns (argparse prints it as one line, which a terminal cuts mid-word)."""

    def error(self, message: str) -> NoReturn:
        """Print the usage and the wrapped message on stderr; exit 2."""
        self.print_usage(sys.stderr)
        width = min(shutil.get_terminal_size((HELP_WIDTH, 24)).columns, HELP_WIDTH) - 1
        text, _, example = f"{self.prog}: error: {message}".partition("; e.g. ")
        lines = textwrap.wrap(text, width, break_on_hyphens=False, subsequent_indent="  ")
        if example:  # whole on a line of its own, to be copied
            lines.append(f"  e.g. {example}")
        self.exit(2, "\n".join(lines) + "\n")


def parser() -> argparse.ArgumentParser:
    """The emulator's argument parser (see `parse` for the checks across arguments)."""
    made = _Parser(
        prog="python -m ccat.fakehub",
        usage="%(prog)s --graph FILE [options]",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    add = made.add_argument
    add("--graph", type=Path, required=True, metavar="FILE", help="the dependency graph to serve")
    add("--org", type=org, metavar="ORG", help="organisation, instead of the graph's")
    add(
        "--host",
        type=host,
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address to listen on (default 127.0.0.1)",
    )
    add("--port", type=port, default=0, metavar="N", help="port (default 0: any free port)")
    add(
        "--latency",
        type=latency,
        default=0.0,
        metavar="SECONDS",
        help=f"added before every answer, 0-{MAX_LATENCY:g} (default 0)",
    )
    add(
        "--token",
        action="append",
        default=[],
        type=token,
        metavar="TOKEN[=LOGIN]",
        help="a token it accepts (repeatable); the first is the operator's and may do "
        "everything, the others are fine-grained PATs that read repositories and "
        "workflow runs, not secrets",
    )
    add(
        "--expires",
        action="append",
        default=[],
        type=expires,
        metavar="TOKEN=WHEN",
        help="the expiry GitHub reports for TOKEN (repeatable): see below",
    )
    add(
        "--pending",
        action="append",
        default=[],
        metavar="TOKEN",
        help="a --token awaiting the organisation owner's approval (repeatable): see below",
    )
    add(
        "--fail",
        action="append",
        default=[],
        type=fault_spec,
        metavar="SPEC",
        help="arm a fault, 'METHOD PATH-REGEX=ACTION[xTIMES]' (repeatable): see below",
    )
    add(
        "--budget",
        type=budget,
        default=None,
        metavar="POINTS",
        help="at most POINTS points per 60 s, as GitHub.com's secondary limit (900); default: off",
    )
    add(
        "--copy",
        action="append",
        default=[],
        type=copy,
        metavar="REPO:STORE",
        help="seed GH_PAT (an old value) in a store of a repository (repeatable): "
        "ops-db:actions, ops-db:dependabot, ops-db:environment:production",
    )
    add("--log", action="store_true", help="print one line per request on stderr")
    return made


@dataclass(frozen=True)
class EmulatorOptions:
    """The emulator's command line, checked."""

    graph: Path
    org: str | None
    host: str
    port: int
    latency: float
    tokens: tuple[tuple[str, str], ...]  # (token, login), the operator's first
    expirations: dict[str, str]  # token -> "YYYY-MM-DD HH:MM:SS UTC"
    pending: frozenset[str]  # tokens awaiting the organisation's approval
    faults: tuple[Fault, ...]
    budget: PointsLimit | None
    log: bool
    copies: tuple[tuple[str, str], ...] = ()


def parse(argv: Sequence[str] | None = None) -> EmulatorOptions:
    """The checked options; on any mistake, a usage error (`SystemExit(2)`)."""
    made = parser()
    options = made.parse_args(argv)
    pairs = with_logins(options.token)
    known = [value for value, _ in pairs]
    if len(set(known)) != len(known):
        made.error("argument --token: the same TOKEN is given twice")
    expirations = dict(options.expires)
    for value in expirations:
        if value not in known:
            made.error(
                f"argument --expires: {_quoted(value)} is not a --token "
                f"(known: {', '.join(map(_quoted, known))})"
            )
    for value in options.pending:
        if value not in known[1:]:
            made.error(
                f"argument --pending: {_quoted(value)} is not a --token after the "
                "operator's (the first)"
            )
        if value.startswith("ghs_"):
            made.error(
                f"argument --pending: {_quoted(value)} is a GitHub App installation token; "
                "only a fine-grained token awaits approval"
            )
    return EmulatorOptions(
        graph=options.graph,
        org=options.org,
        host=options.host,
        port=options.port,
        latency=options.latency,
        tokens=tuple(pairs),
        expirations=expirations,
        pending=frozenset(options.pending),
        faults=tuple(options.fail),
        budget=options.budget,
        log=options.log,
        copies=tuple(options.copy),
    )


def tokens(specs: Sequence[str]) -> list[tuple[str, str]]:
    """`(token, login)` pairs from `TOKEN[=LOGIN]` arguments, the operator's first."""
    return with_logins([token(spec) for spec in specs])


def with_logins(given: Sequence[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """Each token with its login, or the default one (the first is the operator's); the
    built-in operator token when none is given."""
    if not given:
        return [(DEFAULT_OPERATOR_TOKEN, DEFAULT_OPERATOR_LOGIN)]
    return [
        (value, login or (DEFAULT_OPERATOR_LOGIN if index == 0 else NEW_TOKEN_LOGIN))
        for index, (value, login) in enumerate(given)
    ]


def describe(fault: Fault) -> str:
    """One line saying what an armed fault does."""
    pattern = fault.path.pattern if isinstance(fault.path, re.Pattern) else fault.path
    what = str(fault.status) if fault.action == "status" else fault.action
    count = fault.count
    times = "every time" if count is None else "once" if count == 1 else f"{count} times"
    return f"{fault.method} {pattern} -> {what}, {times}"
