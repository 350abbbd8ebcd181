"""`python -m ccat.fakehub --graph FILE`: serve every repository of a graph until interrupted.

The first line on stdout is the base URL; which tokens are known, their expiry, the armed
faults and the points budget are said on stderr, and with `--log` one line per request.
Every mistake on the command line, in the graph or in binding is exit 2 with a message
(`ccat.fakehub.command_line` checks the arguments), never a traceback.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType

from ccat.fakehub.command_line import (
    EmulatorOptions,
    describe,
    fault_spec,
    parse,
    parser,
    tokens,
)
from ccat.fakehub.hub import FakeHub
from ccat.fakehub.records import LoggedRequest
from ccat.fakehub.tokens import TokenSpec
from ccat.pat.errors import CcatError
from ccat.pat.graph import load_graph

# The names round-one tests and scripts import from here.
_parser = parser
_tokens = tokens
__all__ = ["describe", "fault_spec", "main"]

_WRITE = threading.Lock()


def _say(line: str) -> None:
    """One line on stderr, whole, from any thread."""
    with _WRITE:
        sys.stderr.write(f"fakehub: {line}\n")
        sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGINT or SIGTERM; returns the exit code."""
    options = parse(argv)
    try:
        graph = load_graph(options.graph, options.org)
    except CcatError as exc:
        sys.stderr.write(f"error: {exc.message}\n")
        return 2
    (operator_token, operator_login), *others = options.tokens
    known: dict[str, str | TokenSpec] = {
        token: TokenSpec(login, pending_approval=True) if token in options.pending else login
        for token, login in others
    }
    hub = FakeHub(
        [target.full_name for target in graph.targets],
        operator_token=operator_token,
        operator_login=operator_login,
        tokens=known,
        token_expirations=options.expirations,
        latency=options.latency,
        host=options.host,
        port=options.port,
    )
    org = graph.org
    for repository, store in options.copies:
        full = repository if "/" in repository else f"{org}/{repository}"
        try:
            hub.set_secret(full, "GH_PAT", "a-previous-token", store=store)
        except KeyError:
            sys.stderr.write(f"error: --copy {full}: not a repository of the graph\n")
            return 2
    for fault in options.faults:
        hub.add_fault(fault)
    hub.points_limit = options.budget
    if options.log:
        hub.on_request = _log_line
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        hub.start()
    except (OSError, ValueError, OverflowError) as exc:  # UnicodeError is a ValueError
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        sys.stderr.write(f"error: cannot listen on {options.host}:{options.port}: {reason}\n")
        return 2
    with hub:
        sys.stdout.write(hub.url + "\n")
        sys.stdout.flush()
        _announce(hub, options)
        while not done.wait(0.5):
            pass
    return 0


def _announce(hub: FakeHub, options: EmulatorOptions) -> None:
    """Say on stderr what is served: repositories, tokens, armed faults, the budget."""
    # Tokens known to an emulator are made up for it: saying them helps, and risks nothing.
    known = ", ".join(f"{token!r} -> {login}" for token, login in options.tokens)
    _say(
        f"serving {len(hub.repositories)} repositories; known tokens "
        f"(the first is the operator's): {known}"
    )
    for token, expiry in options.expirations.items():
        _say(f"token {token!r} expires {expiry}")
    for repository, store in options.copies:
        _say(f"GH_PAT copy seeded: {repository} ({store})")
    for token, _ in options.tokens:
        if token.startswith("ghs_"):
            _say(f"token {token!r} is a GitHub App installation's (no user)")
    for token in sorted(options.pending):
        _say(f"token {token!r} awaits the organisation's approval (no repository)")
    for fault in options.faults:
        _say(f"fault armed: {describe(fault)}")
    if options.budget is not None:
        _say(f"points budget: {options.budget.points} points per 60 s")
    if options.log:
        _say("logging every request (time, request, status, token's login, duration)")


def _log_line(request: LoggedRequest) -> None:
    """`12:00:01 PUT /repos/ccatobs/ops-db/actions/secrets/GH_PAT -> 201 alice 3 ms`."""
    target = request.raw_path or request.path
    if request.query:
        target += f"?{request.query}"
    status = "no answer" if request.status is None else str(request.status)
    who = request.token_login or "(no known token)"
    elapsed = (request.finished - request.started) * 1000
    line = f"{_printable(request.method)} {_printable(target)} -> {status} {who}"
    _say(f"{time.strftime('%H:%M:%S')} {line} {elapsed:.0f} ms")


def _printable(text: str) -> str:
    """What a client sent, with control characters escaped (it goes to a terminal)."""
    return text if text.isprintable() else repr(text)[1:-1]


if __name__ == "__main__":
    sys.exit(main())
