"""Wall time of `ccat pat status` over many repositories, at several concurrencies.

    .venv/bin/python benchmarks/bench_status.py [--repos 200] [--latency 0.05] [--runs 3]

The emulator runs in this process (its own threads); each measurement is the real CLI
in a subprocess, timed from start to exit, so interpreter start-up is included. It
prints numbers and asserts nothing: speed is measured here, not in the tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ccat.fakehub import FakeHub

OPERATOR_TOKEN = "bench-operator-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="*", default=[16, 1])
    args = parser.parse_args()

    names = [f"repo-{i:03d}" for i in range(args.repos - 1)]
    with tempfile.TemporaryDirectory() as tmp:
        graph = Path(tmp) / "graph.yml"
        graph.write_text("repositories:\n" + "".join(f"  {n}: {{}}\n" for n in names))
        targets = ["ccatobs/system-integration", *(f"ccatobs/{n}" for n in names)]
        with FakeHub(targets, operator_token=OPERATOR_TOKEN, latency=args.latency) as hub:
            for i, repo in enumerate(targets):
                if i % 2 == 0:  # half present (1 request), half missing (2 requests)
                    hub.set_secret(repo, "GH_PAT", "value")
            env = {**os.environ, "GH_TOKEN": OPERATOR_TOKEN}
            print(
                f"{len(targets)} repositories, emulator latency {args.latency * 1000:.0f} ms, "
                f"{args.runs} runs each; python {sys.version.split()[0]}, {os.cpu_count()} cpus"
            )
            for concurrency in args.concurrency:
                command = [
                    sys.executable,
                    "-m",
                    "ccat",
                    "pat",
                    "status",
                    "--graph",
                    str(graph),
                    "--api-url",
                    hub.url,
                    "--concurrency",
                    str(concurrency),
                    "--json",
                ]
                times = []
                for _ in range(args.runs):
                    hub.reset_log()
                    started = time.perf_counter()
                    done = subprocess.run(command, env=env, capture_output=True, check=False)
                    times.append(time.perf_counter() - started)
                    if done.returncode != 1:  # half are missing: exit 1 expected
                        sys.exit(f"unexpected exit {done.returncode}: {done.stderr.decode()}")
                requests = len(hub.requests)
                print(
                    f"  --concurrency {concurrency:3d}: median {statistics.median(times):6.2f} s "
                    f"(min {min(times):.2f}, max {max(times):.2f}); {requests} requests, "
                    f"max in flight {hub.max_in_flight}"
                )


if __name__ == "__main__":
    main()
