"""`python -m ccat.fakehub --graph FILE`: serve every repository of a graph until interrupted.

The first line on stdout is the base URL; which tokens are known is said on stderr.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from ccat.fakehub.hub import DEFAULT_OPERATOR_LOGIN, DEFAULT_OPERATOR_TOKEN, FakeHub
from ccat.pat.errors import ConfigError
from ccat.pat.graph import load_graph

_NEW_TOKEN_LOGIN = "ccat-ci-bot"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ccat.fakehub",
        description="Serve a GitHub REST emulator for every repository of a dependency graph.",
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
        help="a known token; the first is the operator's, the others pass only GET /user",
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
        known = ", ".join(f"{token!r} -> {login}" for token, login in tokens)
        sys.stderr.write(
            f"fakehub: serving {len(hub.repositories)} repositories; known tokens "
            f"(the first is the operator's): {known}\n"
        )
        sys.stderr.flush()
        while not done.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
