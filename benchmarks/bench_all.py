"""Every benchmark of the documentation, side by side in one run, printed as tables.

    .venv/bin/python benchmarks/bench_all.py [--quick] [--skip-budget] [--runs 3]
        [--latency 0.05] [--format markdown|rst] [--only startup status rotate budget]

The emulator runs in this process (its own threads) with `--latency` seconds per
answer; every measurement is the real `ccat` command in a child process, timed from its
start to its exit, so start-up is always included. CPU is the child's user + system
time, peak RSS its largest resident set, both as the kernel counts them (`wait4`).

- `status` at N = 20, 200, 2,000 repositories and C = 16, 64 (`--concurrency`), against
  the same check with `--concurrency 1` and a shell loop of `gh api` calls (the GitHub
  CLI, routed to the emulator as tests/contract/test_gh_interop.py does), with the
  floor: ceil(requests / C) x latency + start-up. These runs use `--budget 0` (a GitHub
  Enterprise Server without rate limits): at 900 points a minute, any N above 900
  would measure the budget, not the client.
- `rotate --write-interval 0` at N = 200 and 1,000: the write phase against its floor
  ceil(N / C) x latency.
- start-up of `ccat --version`, `ccat --help` and `ccat pat status --help` against
  `python -c "import typer"`.
- the budget: `status` over 1,200 repositories, the emulator enforcing GitHub.com's 900
  points a minute and `ccat` keeping to its default budget: 429 answers, and the time
  against the least the rule allows. It takes over a minute: `--skip-budget` skips it.

"Start-up" in a floor is the whole fixed cost of the command: `ccat pat status` over
one repository with no latency (interpreter, imports, graph, one request, output).
Variants run interleaved, round after round, and each figure is the median of its
rounds (`--runs`); the slow comparisons (`--concurrency 1`, `gh`) run once. Prints
numbers and whether each target of the documentation is met; asserts nothing.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import resource
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness import (
    ORG,
    SECRET,
    Measured,
    ccat_argv,
    ccat_env,
    machine,
    missing_count,
    repository_names,
    run_child,
    status_hub,
    write_graph,
)
from tables import Table

from ccat.fakehub import FakeHub, PointsLimit

GH = shutil.which("gh")
BUDGET_POINTS, BUDGET_WINDOW = 900, 60.0


@dataclass(frozen=True)
class Sizes:
    """What one run measures."""

    status: tuple[int, ...]
    concurrency: tuple[int, ...]
    rotate: tuple[int, ...]
    budget: int
    startup_runs: int


FULL = Sizes(
    status=(20, 200, 2000), concurrency=(16, 64), rotate=(200, 1000), budget=1200, startup_runs=10
)
QUICK = Sizes(status=(20, 200), concurrency=(16, 64), rotate=(200,), budget=1200, startup_runs=5)


@dataclass
class Samples:
    """Every run of one variant."""

    runs: list[Measured] = field(default_factory=list)
    requests: int = 0
    emulator_cpu: list[float] = field(default_factory=list)
    extra: list[float] = field(default_factory=list)  # e.g. a rotation's write phase

    @property
    def wall(self) -> float:
        """Median wall seconds."""
        return statistics.median(run.wall for run in self.runs)

    @property
    def cpu(self) -> float:
        """Median CPU seconds."""
        return statistics.median(run.cpu for run in self.runs)

    @property
    def peak(self) -> float:
        """Largest peak RSS of any run, MiB."""
        return max(run.peak_mib for run in self.runs)


class Bench:
    """One benchmark run: its options, a scratch directory, and the targets' verdicts."""

    def __init__(self, args: argparse.Namespace, scratch: Path) -> None:
        self.args = args
        self.sizes = QUICK if args.quick else FULL
        self.latency: float = args.latency
        self.scratch = scratch
        self.verdicts: list[tuple[str, str, bool | None]] = []

    def verdict(self, target: str, measured: str, met: bool | None) -> None:
        """Record whether a target is met (None: could not be measured)."""
        self.verdicts.append((target, measured, met))

    def measure(self, hub: FakeHub, samples: Samples, run: Callable[[], Measured]) -> Measured:
        """Run one child with a clean emulator log; record it and the emulator's CPU."""
        hub.reset_log()
        before = _own_cpu()
        done = run()
        samples.emulator_cpu.append(_own_cpu() - before)
        samples.runs.append(done)
        samples.requests = len(hub.requests)
        return done


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- status --------------------------------------------------------------------------


def status_run(
    bench: Bench, hub: FakeHub, graph: Path, count: int, concurrency: int, budget: int = 0
) -> Callable[[], Measured]:
    """`ccat pat status --json` over `graph` (`count` repositories); checks its report."""
    argv = ccat_argv(
        "pat",
        "status",
        "--json",
        "--graph",
        str(graph),
        "--api-url",
        hub.url,
        "--concurrency",
        str(concurrency),
        "--budget",
        str(budget),
    )

    def run() -> Measured:
        done = run_child(argv, ccat_env(), cwd=bench.scratch)
        _check_status(done, count)
        return done

    return run


def _check_status(done: Measured, count: int) -> None:
    """Stop the benchmark unless status reported every repository as `status_hub` set
    them (exit 1: some are missing): a fast wrong run must not become a number."""
    if done.exit_code != 1:
        sys.exit(f"status exited {done.exit_code}: {done.stderr[-2000:]}")
    try:
        report = json.loads(done.stdout)
        states = [entry["state"] for entry in report["repositories"]]
    except (ValueError, KeyError, TypeError):
        sys.exit(f"status printed no report (exit {done.exit_code}): {done.stderr[-2000:]}")
    missing = missing_count(count)
    if states.count("missing") != missing or states.count("present") != count - missing:
        sys.exit(f"status saw {states.count('present')} present, {states.count('missing')} missing")


def gh_loop_run(bench: Bench, hub: FakeHub, names: Sequence[str]) -> Callable[[], Measured]:
    """One `gh api` call per repository, one after another, as a shell loop would do."""
    assert GH is not None
    home = bench.scratch / "gh-home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GH_CONFIG_DIR": str(home / "config"),
        "GH_HOST": "github.localhost",  # plain HTTP to api.github.localhost ...
        "GH_TOKEN": ccat_env()["GH_TOKEN"],
        "HTTP_PROXY": hub.url,  # ... which the proxy setting sends to the emulator
        "GH_NO_UPDATE_NOTIFIER": "1",
        "GH_PROMPT_DISABLED": "1",
        "NO_COLOR": "1",
    }
    loop = f'for r; do "{GH}" api "repos/{ORG}/$r/actions/secrets/{SECRET}" >/dev/null 2>&1; done'

    def run() -> Measured:
        done = run_child(["sh", "-c", loop, "sh", *names], env)
        found = [r.status for r in hub.requests]
        if found.count(200) != len(names) - missing_count(len(names)):
            sys.exit(f"the gh loop got {found.count(200)} answers 200 of {len(names)}")
        return done

    return run


def bench_status(bench: Bench, startup: float) -> Table:
    """Status at each N and C, with --concurrency 1 and the gh loop beside it."""
    sizes = bench.sizes
    table = Table(
        f"`ccat pat status`, --budget 0, latency {bench.latency * 1000:.0f} ms",
        [
            "N",
            "C",
            "requests",
            "floor s",
            "ccat s",
            "÷ floor",
            "CPU s",
            "peak RSS MiB",
            "emulator CPU s",
            "--concurrency 1 s",
            "gh loop s",
            "gh ÷ ccat",
        ],
    )
    for count in sizes.status:
        names = repository_names(count)
        graph = write_graph(bench.scratch / f"graph-{count}.yml", names)
        with status_hub(names, bench.latency) as hub:
            by_c = {c: Samples() for c in sizes.concurrency}
            serial, gh = Samples(), Samples()
            for round_ in range(bench.args.runs):
                for concurrency, samples in by_c.items():
                    bench.measure(hub, samples, status_run(bench, hub, graph, count, concurrency))
                if round_ == 0:
                    bench.measure(hub, serial, status_run(bench, hub, graph, count, 1))
                    if GH is not None:
                        bench.measure(hub, gh, gh_loop_run(bench, hub, names))
        for concurrency, samples in by_c.items():
            floor = math.ceil(samples.requests / concurrency) * bench.latency + startup
            table.add(
                f"{count:,}",
                concurrency,
                f"{samples.requests:,}",
                f"{floor:.2f}",
                f"{samples.wall:.2f}",
                f"{samples.wall / floor:.2f}",
                f"{samples.cpu:.2f}",
                f"{samples.peak:.0f}",
                f"{statistics.median(samples.emulator_cpu):.2f}",
                f"{serial.wall:.2f}",
                f"{gh.wall:.2f}" if gh.runs else "not installed",
                f"{gh.wall / samples.wall:.1f}x" if gh.runs else "—",
            )
            _status_verdicts(bench, count, concurrency, samples, floor, gh, by_c)
    return table


def _status_verdicts(
    bench: Bench,
    count: int,
    concurrency: int,
    samples: Samples,
    floor: float,
    gh: Samples,
    by_c: dict[int, Samples],
) -> None:
    ratio = samples.wall / floor
    if count == 200:
        where = f"status N=200, C={concurrency}"
        bench.verdict(f"{where}: ≤ 1.3x the floor", f"{ratio:.2f}x", ratio <= 1.3)
        if gh.runs:
            speedup = gh.wall / samples.wall
            allowed = f"{speedup:.1f}x (the floor allows {gh.wall / floor:.1f}x)"
            bench.verdict(f"{where}: ≥ 20x the gh loop", allowed, speedup >= 20)
        else:
            bench.verdict(f"{where}: ≥ 20x the gh loop", "gh not installed", None)
    if count == 2000 and concurrency == 16:
        bench.verdict("status N=2,000, C=16: ≤ 1.3x the floor", f"{ratio:.2f}x", ratio <= 1.3)
    if count == 2000 and concurrency == 64 and 16 in by_c:
        versus = samples.wall / by_c[16].wall
        bench.verdict(
            "status N=2,000: C=64 no slower than C=16",
            f"{samples.wall:.2f} s vs {by_c[16].wall:.2f} s",
            versus <= 1.0,
        )
    if count == 2000:
        bench.verdict(
            f"status N=2,000, C={concurrency}: peak RSS ≤ 100 MB",
            f"{samples.peak:.0f} MiB",
            samples.peak * 1.048576 <= 100,
        )


def measure_startup_floor(bench: Bench) -> float:
    """The fixed cost of `ccat pat status`: one repository, no latency."""
    names = repository_names(1)
    graph = write_graph(bench.scratch / "graph-1.yml", names)
    samples = Samples()
    with status_hub(names, 0.0) as hub:
        for _ in range(max(5, bench.args.runs)):
            argv = ccat_argv(
                "pat",
                "status",
                "--json",
                "--graph",
                str(graph),
                "--api-url",
                hub.url,
                "--budget",
                "0",
            )
            run = functools.partial(run_child, argv, ccat_env(), cwd=bench.scratch)
            bench.measure(hub, samples, run)
    return samples.wall


# -- rotation --------------------------------------------------------------------------


def bench_rotate(bench: Bench) -> Table:
    """Rotations with --write-interval 0: the preflight and the write phase."""
    concurrency = 16
    table = Table(
        f"`ccat pat rotate --write-interval 0`, C={concurrency}, --budget 0, latency "
        f"{bench.latency * 1000:.0f} ms",
        [
            "N",
            "wall s",
            "CPU s",
            "peak RSS MiB",
            "preflight s",
            "preflight floor s",
            "writes s",
            "writes floor s",
            "writes ÷ floor",
        ],
    )
    for count in bench.sizes.rotate:
        names = repository_names(count)
        graph = write_graph(bench.scratch / f"rotate-{count}.yml", names)
        token = "ghp_bench" + secrets.token_hex(16)
        preflight, writes = Samples(), Samples()
        with status_hub(names, bench.latency, **{token: "ccat-ci-bot"}) as hub:
            for round_ in range(bench.args.runs):
                journal = bench.scratch / f"journal-{count}-{round_}" / "pat-journal.json"
                argv = ccat_argv(
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
                    "--budget",
                    "0",
                    "--yes",
                )
                env = ccat_env(CCAT_JOURNAL=str(journal))
                run = functools.partial(run_child, argv, env, stdin=token + "\n")
                bench.measure(hub, writes, run)
                done = writes.runs[-1]
                if done.exit_code != 0:
                    sys.exit(f"rotate exited {done.exit_code}: {done.stderr[-2000:]}")
                first, last = _phases(hub, count)
                preflight.extra.append(first)
                writes.extra.append(last)
        write_floor = math.ceil(count / concurrency) * bench.latency
        preflight_floor = math.ceil((2 * count + 2) / concurrency) * bench.latency
        spent = statistics.median(writes.extra)
        table.add(
            f"{count:,}",
            f"{writes.wall:.2f}",
            f"{writes.cpu:.2f}",
            f"{writes.peak:.0f}",
            f"{statistics.median(preflight.extra):.2f}",
            f"{preflight_floor:.2f}",
            f"{spent:.2f}",
            f"{write_floor:.2f}",
            f"{spent / write_floor:.2f}",
        )
        if count == 1000:
            bench.verdict(
                "rotate N=1,000: write phase ≤ 2x its floor",
                f"{spent / write_floor:.2f}x",
                spent / write_floor <= 2,
            )
    return table


def _phases(hub: FakeHub, count: int) -> tuple[float, float]:
    """Seconds of the preflight (first request to last answer before the first write)
    and of the writes (first PUT sent to last PUT answered)."""
    log = hub.requests
    puts = [r for r in log if r.method == "PUT"]
    if len(puts) != count or any(r.status not in (201, 204) for r in puts):
        sys.exit(f"rotate sent {len(puts)} writes for {count} repositories")
    first_put = min(r.started for r in puts)
    before = [r for r in log if r.finished <= first_put]
    preflight = max(r.finished for r in before) - min(r.started for r in before)
    return preflight, max(r.finished for r in puts) - first_put


# -- start-up --------------------------------------------------------------------------


def bench_startup(bench: Bench) -> Table:
    """`--version` and `--help` against `python -c "import typer"`, run in pairs."""
    yardstick = [sys.executable, "-c", "import typer"]
    commands = {
        "ccat --version": ccat_argv("--version"),
        "ccat --help": ccat_argv("--help"),
        "ccat pat status --help": ccat_argv("pat", "status", "--help"),
    }
    base = Samples()
    samples = {name: Samples() for name in commands}
    ratios: dict[str, list[float]] = {name: [] for name in commands}
    env = ccat_env()
    for _ in range(bench.sizes.startup_runs):
        base.runs.append(run_child(yardstick, env))
        for name, argv in commands.items():
            done = run_child(argv, env)
            if done.exit_code != 0:
                sys.exit(f"{name} exited {done.exit_code}: {done.stderr}")
            samples[name].runs.append(done)
            ratios[name].append(done.wall / base.runs[-1].wall)
    table = Table(
        f"Start-up (medians of {bench.sizes.startup_runs} runs, paired with the yardstick)",
        ["command", "wall s", "CPU s", "peak RSS MiB", "÷ import typer"],
    )
    table.add(
        'python -c "import typer"',
        f"{base.wall:.3f}",
        f"{base.cpu:.3f}",
        f"{base.peak:.0f}",
        "1.00",
    )
    for name in commands:
        ratio = statistics.median(ratios[name])
        table.add(
            name,
            f"{samples[name].wall:.3f}",
            f"{samples[name].cpu:.3f}",
            f"{samples[name].peak:.0f}",
            f"{ratio:.2f}",
        )
    version = statistics.median(ratios["ccat --version"])
    status_help = statistics.median(ratios["ccat pat status --help"])
    bench.verdict("`ccat --version` ≤ 1.5x import typer", f"{version:.2f}x", version <= 1.5)
    bench.verdict(
        "`ccat pat status --help` ≤ 2.5x import typer", f"{status_help:.2f}x", status_help <= 2.5
    )
    return table


# -- the budget ------------------------------------------------------------------------


def bench_budget(bench: Bench, startup: float) -> Table:
    """Status under the emulator's 900 points a minute, at the default budget."""
    count = bench.sizes.budget
    names = repository_names(count)
    graph = write_graph(bench.scratch / f"budget-{count}.yml", names)
    samples = Samples()
    with status_hub(names, bench.latency) as hub:
        hub.points_limit = PointsLimit(points=BUDGET_POINTS, window=BUDGET_WINDOW)
        run = status_run(bench, hub, graph, count, 16, budget=BUDGET_POINTS)
        bench.measure(hub, samples, run)
        refused = hub.budget_refusals + sum(1 for r in hub.requests if r.status == 429)
    windows = math.ceil(samples.requests / BUDGET_POINTS) - 1
    minimum = windows * BUDGET_WINDOW + bench.latency + startup
    ratio = samples.wall / minimum
    table = Table(
        f"The budget: `ccat pat status` (C=16, --budget {BUDGET_POINTS}), the emulator "
        f"enforcing {BUDGET_POINTS} points per {BUDGET_WINDOW:.0f} s",
        ["N", "requests", "429 answers", "minimum s", "wall s", "÷ minimum", "CPU s"],
    )
    table.add(
        f"{count:,}",
        f"{samples.requests:,}",
        refused,
        f"{minimum:.2f}",
        f"{samples.wall:.2f}",
        f"{ratio:.3f}",
        f"{samples.cpu:.2f}",
    )
    bench.verdict(f"budget N={count:,}: zero 429 answers", str(refused), refused == 0)
    bench.verdict(
        f"budget N={count:,}: wall within 10 % of the minimum", f"{ratio:.3f}x", ratio <= 1.10
    )
    return table


# -- main ------------------------------------------------------------------------------


def main() -> None:
    """Run every part asked for and print the tables and the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--skip-budget", action="store_true", help="skip the 1-minute case")
    parser.add_argument("--runs", type=int, default=3, help="rounds of the fast variants")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--format", choices=("markdown", "rst"), default="markdown")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SECTIONS,
        default=list(SECTIONS),
        help="run only these parts (default: all)",
    )
    args = parser.parse_args()
    started = time.time()
    print(f"Machine: {machine()}")
    print(f"Command: {' '.join(['benchmarks/bench_all.py', *sys.argv[1:]])}")
    print(f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ccat-bench-") as scratch:
        bench = Bench(args, Path(scratch))
        startup = measure_startup_floor(bench)
        print(f"Start-up in the floors (status over 1 repository, no latency): {startup:.2f} s")
        if args.skip_budget and "budget" in args.only:
            args.only.remove("budget")
        tables = [SECTIONS[name](bench, startup) for name in SECTIONS if name in args.only]
    for table in tables:
        print()
        print(table.render(args.format))
    print()
    print(_verdicts(bench).render(args.format))
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nTook {time.time() - started:.0f} s; load average at the end {load}")


SECTIONS: dict[str, Callable[[Bench, float], Table]] = {
    "startup": lambda bench, startup: bench_startup(bench),
    "status": bench_status,
    "rotate": lambda bench, startup: bench_rotate(bench),
    "budget": bench_budget,
}


def _verdicts(bench: Bench) -> Table:
    table = Table("Targets", ["target", "measured", "met"])
    for target, measured, met in bench.verdicts:
        table.add(target, measured, "—" if met is None else ("yes" if met else "**no**"))
    return table


if __name__ == "__main__":
    main()
