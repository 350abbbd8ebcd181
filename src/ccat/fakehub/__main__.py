"""`python -m ccat.fakehub --graph FILE`: serve every repository of a graph until interrupted.

The first line on stdout is the base URL; which tokens are known, the armed faults and
the points budget are said on stderr.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
from collections.abc import Sequence
from http import HTTPStatus
from pathlib import Path
from types import FrameType

from ccat.fakehub.hub import DEFAULT_OPERATOR_LOGIN, DEFAULT_OPERATOR_TOKEN, FakeHub
from ccat.fakehub.records import Fault, PointsBudget
from ccat.pat.errors import ConfigError
from ccat.pat.graph import load_graph

_NEW_TOKEN_LOGIN = "ccat-ci-bot"
_FAIL_EXAMPLE = "--fail 'PUT /repos/ccatobs/data-transfer/.*=403x1'"
_FAIL_SPEC = re.compile(
    r"(?P<method>\*|[A-Za-z]+)\s+(?P<path>\S.*)=(?:(?P<status>\d{3})|(?P<action>hang|drop))"
    r"(?:x(?P<times>\d+))?"
)
# GitHub's messages for the statuses an operator most likely rehearses.
_MESSAGES = {
    401: "Bad credentials",
    403: "Resource not accessible by personal access token",
    404: "Not Found",
    422: "Validation Failed",
}
_EPILOG = f"""\
examples:
  python -m ccat.fakehub --graph ci/dependency-graph.yml --port 8080
  python -m ccat.fakehub --graph ci/dependency-graph.yml --token op=alice --token new-pat
  python -m ccat.fakehub --graph ci/dependency-graph.yml \\
      {_FAIL_EXAMPLE} \\
      --fail 'GET /repos/ccatobs/ops-db/actions/secrets/public-key=hangx2' \\
      --fail '* /user=drop' --budget 900

--fail 'METHOD PATH-REGEX=ACTION[xTIMES]' arms a fault: requests whose method is
METHOD (or any, for *) and whose path (without query or /api/v3 prefix) matches the
regular expression PATH-REGEX in full get ACTION: a status of 200-599 (answered with
GitHub's JSON error), hang (never answered) or drop (connection closed). xTIMES limits
it to the first TIMES such requests; without it, every one. Faults apply in the order
given. --budget POINTS enforces GitHub's secondary rate limit: at most POINTS points per
60 s (a read costs 1, a write 5), beyond which the answer is 429 with Retry-After.
"""


def fault_spec(text: str) -> Fault:
    """A `Fault` from `METHOD PATH-REGEX=STATUS|hang|drop[xTIMES]` (an argparse type)."""
    match = _FAIL_SPEC.fullmatch(text.strip())
    if match is None:
        raise _bad_spec(text, "expected 'METHOD PATH-REGEX=STATUS[xTIMES]', =hang or =drop")
    try:
        path = re.compile(match["path"])
    except re.error as exc:
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
    return argparse.ArgumentTypeError(f"{text!r}: {problem}; e.g. {_FAIL_EXAMPLE}")


def _budget(text: str) -> PointsBudget:
    try:
        points = int(text)
        if points < 1:
            raise ValueError(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: POINTS is a whole number, at least 1; e.g. --budget 900"
        ) from None
    return PointsBudget(points=points, window=60.0)


def describe(fault: Fault) -> str:
    """One line saying what an armed fault does."""
    pattern = fault.path.pattern if isinstance(fault.path, re.Pattern) else fault.path
    what = str(fault.status) if fault.action == "status" else fault.action
    count = fault.count
    times = "every time" if count is None else "once" if count == 1 else f"{count} times"
    return f"{fault.method} {pattern} -> {what}, {times}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ccat.fakehub",
        description="Serve a GitHub REST emulator for every repository of a dependency graph.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--graph", type=Path, required=True, help="dependency-graph.yml")
    parser.add_argument("--org", default=None, help="organisation (overrides the graph's)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (0: any free port)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds added before every answer"
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN[=LOGIN]",
        help="a known token; the first is the operator's (may do everything), the others "
        "are fine-grained PATs that read repositories and workflow runs but not secrets",
    )
    parser.add_argument(
        "--fail",
        action="append",
        default=[],
        type=fault_spec,
        metavar="'METHOD PATH-REGEX=STATUS[xTIMES]'",
        help="arm a fault (repeatable; STATUS may be hang or drop): see below",
    )
    parser.add_argument(
        "--budget",
        type=_budget,
        default=None,
        metavar="POINTS",
        help="enforce at most POINTS points per 60 s, as GitHub.com's secondary limit "
        "(900); default: off",
    )
    return parser


def _tokens(specs: Sequence[str]) -> list[tuple[str, str]]:
    """`(token, login)` pairs from `TOKEN[=LOGIN]` arguments, the operator's first."""
    if not specs:
        return [(DEFAULT_OPERATOR_TOKEN, DEFAULT_OPERATOR_LOGIN)]
    pairs = []
    for index, spec in enumerate(specs):
        token, _, login = spec.partition("=")
        default = DEFAULT_OPERATOR_LOGIN if index == 0 else _NEW_TOKEN_LOGIN
        pairs.append((token, login or default))
    return pairs


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGINT or SIGTERM; returns the exit code."""
    parser = _parser()
    options = parser.parse_args(argv)
    tokens = _tokens(options.token)
    if any(not token for token, _ in tokens):
        parser.error("--token needs a non-empty TOKEN")
    try:
        graph = load_graph(options.graph, options.org)
    except ConfigError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        return 2
    (operator_token, operator_login), *others = tokens
    hub = FakeHub(
        [target.full_name for target in graph.targets],
        operator_token=operator_token,
        operator_login=operator_login,
        tokens=dict(others),
        latency=options.latency,
        host=options.host,
        port=options.port,
    )
    for fault in options.fail:
        hub.add_fault(fault)
    hub.points_budget = options.budget
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        hub.start()
    except OSError as exc:
        sys.stderr.write(f"error: cannot listen on {options.host}:{options.port}: {exc}\n")
        return 2
    with hub:
        sys.stdout.write(hub.url + "\n")
        sys.stdout.flush()
        _announce(hub, tokens, options.fail, options.budget)
        while not done.wait(0.5):
            pass
    return 0


def _announce(
    hub: FakeHub,
    tokens: Sequence[tuple[str, str]],
    faults: Sequence[Fault],
    budget: PointsBudget | None,
) -> None:
    """Say on stderr what is served: repositories, tokens, armed faults, the budget."""
    # Tokens known to an emulator are made up for it: saying them helps, and risks nothing.
    known = ", ".join(f"{token!r} -> {login}" for token, login in tokens)
    lines = [
        f"serving {len(hub.repositories)} repositories; known tokens "
        f"(the first is the operator's): {known}",
        *(f"fault armed: {describe(fault)}" for fault in faults),
    ]
    if budget is not None:
        lines.append(f"points budget: {budget.points} points per 60 s")
    sys.stderr.write("".join(f"fakehub: {line}\n" for line in lines))
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
