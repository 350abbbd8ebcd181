"""How many connections per httpx pool: the client's CPU and wall time of a status run
at several `--concurrency` values, for several pool sizes, side by side.

    .venv/bin/python benchmarks/bench_pools.py [--repos 1000 2000] [--concurrency 16 32 64 100]
        [--pools 4 8 16 0] [--runs 3] [--latency 0.05] [--python PYTHON ...]

httpcore's pool does work per request that grows with its number of connections, so
`ccat` splits `--concurrency` over ceil(C / k) pools of at most k connections
(`ccat.pat.github.transport.POOL_CONNECTIONS`). Each measurement is a child process running
the status engine over `open_client(..., pool_connections=k)` (0: one pool of C)
against the emulator in this process; the variants run interleaved, run after run, so
that a machine getting busier or quieter moves them all alike. `--python` runs the child
under other interpreters too (another virtual environment, e.g. one without sniffio).
Prints medians, asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections import defaultdict
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import anyio
from harness import (
    ORG,
    SECRET,
    machine,
    missing_count,
    repository_names,
    run_child,
    status_hub,
)

from ccat.fakehub import FakeHub

HERE = Path(__file__).resolve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 32, 64, 100])
    parser.add_argument("--pools", type=int, nargs="+", default=[4, 8, 16, 0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--python", nargs="+", default=[sys.executable])
    parser.add_argument("--child", nargs=4, metavar=("URL", "N", "C", "K"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, repos, concurrency, pool = args.child
        print(anyio.run(child, url, int(repos), int(concurrency), int(pool)))
        return
    print(f"Machine: {machine()}")
    print(f"Emulator latency {args.latency * 1000:.0f} ms; medians of {args.runs} runs")
    print("| N | C | pool size | python | wall s | client CPU s | requests |")
    print("|---:|---:|---|---|---:|---:|---:|")
    for repos in args.repos:
        names = repository_names(repos)
        with status_hub(names, args.latency) as hub:
            for concurrency in args.concurrency:
                measure(hub, repos, concurrency, args)


def measure(hub: FakeHub, repos: int, concurrency: int, args: argparse.Namespace) -> None:
    """Every (python, pool) variant `args.runs` times, interleaved; one row each."""
    walls: dict[tuple[str, int], list[float]] = defaultdict(list)
    cpus: dict[tuple[str, int], list[float]] = defaultdict(list)
    requests = 0
    expected = f"present {repos - missing_count(repos)} missing {missing_count(repos)}"
    for _ in range(args.runs):
        for python in args.python:
            for pool in args.pools:
                hub.reset_log()
                argv = [python, str(HERE), "--child", hub.url, str(repos), str(concurrency)]
                done = run_child([*argv, str(pool)], env={"PATH": "/usr/bin:/bin"})
                if done.exit_code != 0 or done.stdout.strip() != expected:
                    sys.exit(f"child failed: {done.stdout} {done.stderr}")
                walls[python, pool].append(done.wall)
                cpus[python, pool].append(done.cpu)
                requests = len(hub.requests)
    for python in args.python:
        for pool in args.pools:
            size = f"{pool}" if pool else f"one pool of {concurrency}"
            pools = 1 if not pool else math.ceil(concurrency / pool)
            print(
                f"| {repos:,} | {concurrency} | {size} ({pools} pools) | {python} "
                f"| {statistics.median(walls[python, pool]):.2f} "
                f"| {statistics.median(cpus[python, pool]):.2f} | {requests:,} |"
            )


async def child(url: str, repos: int, concurrency: int, pool: int) -> str:
    """One status run over the engine; returns how many repositories were in each state."""
    from ccat.pat.github import GitHubClient, open_client
    from ccat.pat.settings import ClientSettings
    from ccat.pat.status import StatusOptions, run_status

    settings = ClientSettings(
        api_url=url, token="bench-operator-token", concurrency=concurrency, budget=0
    )

    def connect() -> AbstractAsyncContextManager[GitHubClient]:
        return open_client(settings, pool_connections=pool or concurrency)

    names = [f"{ORG}/{name}" for name in repository_names(repos)]
    report = await run_status(
        StatusOptions(
            connect=connect, repositories=names, secret=SECRET, org=ORG, concurrency=concurrency
        )
    )
    return f"present {report.count('present')} missing {report.count('missing')}"


if __name__ == "__main__":
    main()
