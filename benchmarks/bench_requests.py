"""Requests `ccat pat status` sends for N repositories, counted in the emulator's log,
and its wall time per store with some latency.

    .venv/bin/python benchmarks/bench_requests.py [--repositories 200] [--latency 0.05]

Each row is one real `ccat pat status` (a child process) against a fresh emulator; the
table counts every request the emulator received, by kind. The organisation has a
secret of the same name shared with 10 selected repositories (so its list is read, and
the list of those repositories). Missing secrets are every other repository.
Prints the table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ccat.fakehub import FakeHub, Fault

ORG = "ccatobs"
SECRET = "GH_PAT"
OPERATOR = "bench-operator-token"


def kind(path: str) -> str:
    """What a request was for, in the table's words."""
    if path.startswith("/orgs/"):
        return "organisation"
    if "/organization-secrets" in path:
        return "org fallback"
    if "/dependabot/" in path:
        return "dependabot"
    if "/environments" in path:
        return "environments" if path.endswith("/environments") else "environment secrets"
    return "actions"


KINDS = ("actions", "org fallback", "organisation", "dependabot", "environments",
         "environment secrets")  # fmt: skip


def scenario(
    count: int,
    *,
    missing: bool,
    org_readable: bool,
    copies: bool,
    stores: Sequence[str],
    latency: float = 0.0,
) -> tuple[int, Counter[str], int, float]:
    """Run one status; return its exit code, the requests by kind, the total and the
    wall time in seconds."""
    names = [f"repo-{i:04d}" for i in range(count - 1)]
    repositories = [f"{ORG}/system-integration", *(f"{ORG}/{name}" for name in names)]
    with (
        tempfile.TemporaryDirectory() as scratch,
        FakeHub(repositories, operator_token=OPERATOR) as hub,
    ):
        graph = Path(scratch) / "graph.yml"
        graph.write_text(
            f"org: {ORG}\nrepositories:\n" + "".join(f"  - {name}\n" for name in names)
        )
        for index, repository in enumerate(repositories):
            if not (missing and index % 2 == 1):
                hub.set_secret(repository, SECRET, "old")
            if copies and index % 10 == 3:
                hub.set_secret(repository, SECRET, "old", store="dependabot")
            if copies and index % 4 == 1:
                hub.add_environment(repository, "production")
                if index % 8 == 1:
                    hub.set_secret(repository, SECRET, "old", store="environment:production")
        hub.set_org_secret(
            ORG, SECRET, "org", visibility="selected", selected_repositories=repositories[1:40:4]
        )
        if not org_readable:
            hub.add_fault(
                Fault("GET", re.compile(r"/orgs/.*"), 403, None, "Resource not accessible")
            )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GH_", "GITHUB_", "CCAT_"))}
        env.update(GH_TOKEN=OPERATOR, CCAT_JOURNAL=str(Path(scratch) / "none.json"))
        args = [sys.executable, "-m", "ccat", "pat", "status", "--graph", str(graph)]
        args += [
            "--api-url",
            hub.url,
            "--json",
            *(["--stores", ",".join(stores)] if stores else []),
        ]
        args += ["--budget", "0"]
        hub.latency = latency
        start = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
        wall = time.perf_counter() - start
        by_kind = Counter(kind(request.path) for request in hub.requests)
        return done.returncode, by_kind, len(hub.requests), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repositories", type=int, default=200, metavar="N")
    parser.add_argument("--latency", type=float, default=0.05, metavar="SECONDS")
    options = parser.parse_args()
    count = options.repositories
    rows = [
        ("--stores actions, all present", False, True, False, ["actions"]),
        ("--stores actions, half missing, org list readable", True, True, False, ["actions"]),
        ("--stores actions, half missing, org list unreadable", True, False, False, ["actions"]),
        ("default stores, all present (copies: see below)", False, True, True, []),
    ]
    print(f"Requests of `ccat pat status` for N = {count} (the emulator's log)")
    print()
    print(f"| scenario | exit | total | {' | '.join(KINDS)} |")
    print("|---|---|---|" + "---|" * len(KINDS))
    for label, missing, readable, copies, stores in rows:
        code, by_kind, total, _ = scenario(
            count, missing=missing, org_readable=readable, copies=copies, stores=stores
        )
        cells = " | ".join(str(by_kind.get(k, 0)) for k in KINDS)
        print(f"| {label} | {code} | {total} | {cells} |")
    print()
    print(
        "Default stores: every 4th repository has a `production` environment (every 8th a "
        "copy in it), every 10th a Dependabot copy."
    )
    print()
    print(
        f"Each store, N = {count}, {options.latency * 1000:.0f} ms per request, "
        "--concurrency 16, --budget 0 (the scene of the last row above)"
    )
    print()
    print("| --stores | requests | wall (s) |")
    print("|---|---|---|")
    for stores in (["actions"], ["actions", "dependabot"], ["actions", "environments"], []):
        _, _, total, wall = scenario(
            count,
            missing=False,
            org_readable=True,
            copies=True,
            stores=stores,
            latency=options.latency,
        )
        print(f"| {','.join(stores) or '(default: all three)'} | {total} | {wall:.2f} |")


if __name__ == "__main__":
    main()
