"""Wall time of `ccat pat rotate` over many repositories, and what the journal costs.

    .venv/bin/python benchmarks/bench_rotate.py [--repos 200] [--latency 0.05]

Runs the real CLI in a subprocess against the emulator (in this process) with
`--write-interval 0` (as on an Enterprise Server without rate limits) at a few
concurrencies. Every write is journaled durably twice (before it starts and after its
answer), so the run also reports fsyncs per second of the journal. Prints, asserts
nothing. With the default `--write-interval 1.0` a rotation takes about one second per
repository by design: GitHub asks for a second between mutating requests.
"""

from __future__ import annotations

import argparse
import os
import secrets
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
    parser.add_argument("--concurrency", type=int, nargs="*", default=[16, 1])
    args = parser.parse_args()

    names = [f"repo-{i:03d}" for i in range(args.repos - 1)]
    new_token = "ghp_bench" + secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp:
        graph = Path(tmp) / "graph.yml"
        graph.write_text("repositories:\n" + "".join(f"  {n}: {{}}\n" for n in names))
        targets = ["ccatobs/system-integration", *(f"ccatobs/{n}" for n in names)]
        with FakeHub(
            targets, operator_token=OPERATOR_TOKEN, tokens={new_token: "bot"}, latency=args.latency
        ) as hub:
            print(
                f"{len(targets)} repositories, emulator latency {args.latency * 1000:.0f} ms, "
                f"--write-interval 0; python {sys.version.split()[0]}, {os.cpu_count()} cpus"
            )
            for concurrency in args.concurrency:
                journal = Path(tmp) / f"journal-{concurrency}.json"
                env = {**os.environ, "GH_TOKEN": OPERATOR_TOKEN, "CCAT_JOURNAL": str(journal)}
                command = [
                    sys.executable,
                    "-m",
                    "ccat",
                    "pat",
                    "rotate",
                    "--graph",
                    str(graph),
                    "--api-url",
                    hub.url,
                    "--concurrency",
                    str(concurrency),
                    "--write-interval",
                    "0",
                    "--yes",
                ]
                hub.reset_log()
                started = time.perf_counter()
                done = subprocess.run(
                    command, env=env, input=new_token, capture_output=True, text=True, check=False
                )
                elapsed = time.perf_counter() - started
                if done.returncode != 0:
                    sys.exit(f"rotate exited {done.returncode}: {done.stderr}")
                puts = [r for r in hub.requests if r.method == "PUT"]
                put_span = max(r.finished for r in puts) - min(r.started for r in puts)
                print(
                    f"  --concurrency {concurrency:3d}: {elapsed:6.2f} s in all, writes "
                    f"{put_span:.2f} s for {len(puts)} PUTs ({len(puts) / put_span:.0f}/s), "
                    f"{2 * len(puts) + 2} journal saves, max in flight {hub.max_in_flight}"
                )


if __name__ == "__main__":
    main()
