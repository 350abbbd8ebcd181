"""What a rotation's journal costs: saves, lookups and size, and the code before and after.

    .venv/bin/python benchmarks/bench_journal.py [--targets 200 1000] [--dir DIR]
    .venv/bin/python benchmarks/bench_journal.py --compare BEFORE_SRC [--runs 3]

Without `--compare`, the ways of saving side by side. A rotation saves twice per target
(before the write starts and after its answer); for each run size this times those 2 N
saves, durable every one, in a fresh directory:

- `rewrite, json indent=2`: the whole document per save, serialised by the standard
  library's pure-Python indenting encoder (what every save did before the update log);
- `rewrite, msgspec indent=2` / `compact`: the whole document per save, C encoder;
- `save_target`: one appended, synced line per save, folded into the document when
  the log grows as large as it (`Journal`'s default), plus the closing whole save;
  `never folded` shows the append alone (its cost does not grow with the targets).

With `--compare BEFORE_SRC` (a `src` directory of another version of ccat, e.g. from
`git archive c7fc279 src | tar -x -C /tmp/before`), three scenarios of issue 14, defect
11 run in child processes against that code and this one, and print side by side:

- `paced`: a 9-repository rotation at the default pace (one write a second) on a
  journal of 24.8 MB (ten earlier runs of 10,000 repositories): how many times the
  whole document is rewritten during the writes, and the time spent saving;
- `big run`: the journal's part of a 10,000-repository rotation without pacing: per
  target, the two lookups the writer makes and the two saves; total time, and the
  time of the lookups alone;
- `growth`: the document's size after N rotations of 10,000 repositories.

Each figure is the median of `--runs` rounds (the paced scenario runs once: it takes
9 s per version). Prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ccat.pat.journal import (
    Fingerprint,
    GraphFile,
    Journal,
    JournalDocument,
    RotationRun,
    TargetRecord,
    TokenInfo,
)
from ccat.pat.journal.codec import encode_document
from ccat.pat.journal.files import replace_file

Save = Callable[[JournalDocument, RotationRun, TargetRecord], None]
T0, T1, T2 = "2026-11-25T19:00:01Z", "2026-11-25T19:00:02Z", "2026-11-25T19:00:03Z"


def new_run(run_id: str, targets: int, *, done: bool = False) -> RotationRun:
    """A run over `targets` repositories: running and pending, or completed."""
    records = [TargetRecord.pending(f"ccatobs/repository-{i:05d}") for i in range(targets)]
    if done:
        records = [record.started(T0).succeeded(204, T1) for record in records]
    return RotationRun(
        run_id=run_id,
        secret="GH_PAT",
        org="ccatobs",
        api_url="https://api.github.com",
        graph=GraphFile("ci/dependency-graph.yml", "0" * 64),
        state="completed" if done else "running",
        started_at="2026-11-25T19:00:00Z",
        finished_at=T2 if done else None,
        operator="alice",
        token=TokenInfo(Fingerprint.of("bench"), "ccat-ci-bot", None, "fine-grained"),
        targets=records,
    )


def new_document(targets: int) -> JournalDocument:
    """A running run over `targets` pending repositories, and one completed run before it."""
    return JournalDocument(
        current=new_run("bench-run", targets),
        history=[new_run("bench-earlier", targets, done=True)],
    )


# -- the ways of saving ------------------------------------------------------------------


def rewrite_json(path: Path) -> Save:
    def save(document: JournalDocument, run: RotationRun, record: TargetRecord) -> None:
        run.put(record)
        text = json.dumps(document.to_json(), indent=2, ensure_ascii=False) + "\n"
        replace_file(path, text.encode("utf-8"))

    return save


def rewrite_msgspec(path: Path, indent: int) -> Save:
    def save(document: JournalDocument, run: RotationRun, record: TargetRecord) -> None:
        run.put(record)
        replace_file(path, encode_document(document, indent=indent))

    return save


def time_saves(
    targets: int, directory: Path, make: Callable[[Path], Save | Journal]
) -> list[float]:
    """Seconds per save for a whole rotation of `targets` (the last one includes the
    closing whole save that ends a run)."""
    document = new_document(targets)
    run = document.current
    assert run is not None
    path = directory / "pat-journal.json"
    saver = make(path)
    if isinstance(saver, Journal):
        saver.save(document)
    else:
        replace_file(path, encode_document(document))
    durations: list[float] = []
    for index in range(targets):
        for step in ("started", "answered"):
            record = run.targets[index]
            record = record.started(T0) if step == "started" else record.succeeded(204, T1)
            began = time.perf_counter()
            if isinstance(saver, Journal):
                saver.save_target(run, record)
            else:
                saver(document, run, record)
            durations.append(time.perf_counter() - began)
    began = time.perf_counter()
    run.finish("completed", T2)
    if isinstance(saver, Journal):
        saver.save(document)
    else:
        saver(document, run, run.targets[-1])
    durations[-1] += time.perf_counter() - began
    return durations


def strategies_table(sizes: list[int], directory: Path | None) -> None:
    strategies: list[tuple[str, Callable[[Path], Save | Journal]]] = [
        ("rewrite, json indent=2 (before)", rewrite_json),
        ("rewrite, msgspec indent=2", lambda path: rewrite_msgspec(path, 2)),
        ("rewrite, msgspec compact", lambda path: rewrite_msgspec(path, 0)),
        ("save_target (update log)", Journal),
        ("save_target, never folded", lambda path: Journal(path, fold_min_bytes=sys.maxsize)),
    ]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; 2 durable saves per target")
    columns = ("total s", "mean ms", "p99 ms", "max ms")
    print(f"{'targets':>7}  {'strategy':<32} " + " ".join(f"{c:>8}" for c in columns))
    for targets in sizes:
        size = len(encode_document(new_document(targets)))
        print(f"{targets:>7}  (document of {size / 1024:.0f} KiB with indent=2)")
        for name, make in strategies:
            with tempfile.TemporaryDirectory(dir=directory) as tmp:
                durations = time_saves(targets, Path(tmp), make)
            ordered = sorted(durations)
            print(
                f"{targets:>7}  {name:<32} {sum(durations):>8.2f} "
                f"{statistics.fmean(durations) * 1000:>8.2f} "
                f"{ordered[int(len(ordered) * 0.99)] * 1000:>8.2f} {ordered[-1] * 1000:>8.2f}"
            )


# -- the scenarios of defect 11 (only what both versions of `Journal` offer) ----------------


def _inode(path: Path) -> int:
    return path.stat().st_ino  # a whole save is a new file renamed over the old one


def scenario_paced(directory: Path) -> dict[str, Any]:
    """9 targets, one write a second, on a 24.8 MB journal: whole saves during writes."""
    history = [new_run(f"earlier-{n}", 10_000, done=True) for n in range(10)]
    run = new_run("paced", 9)
    document = JournalDocument(current=run, history=history)
    journal = Journal(directory / "pat-journal.json")
    journal.save(document)
    size = journal.path.stat().st_size
    rewrites, saving = 0, 0.0
    for index in range(len(run.targets)):
        began = time.monotonic()
        for step in ("started", "answered"):
            record = run.targets[index]
            record = record.started(T0) if step == "started" else record.succeeded(204, T1)
            before = _inode(journal.path)
            timer = time.perf_counter()
            journal.save_target(run, record)
            saving += time.perf_counter() - timer
            rewrites += _inode(journal.path) != before
            time.sleep(0.005 if step == "started" else 0)  # the PUT's answer
        time.sleep(max(0.0, began + 1.0 - time.monotonic()))  # --write-interval 1
    return {"document MB": size / 1e6, "whole saves": rewrites, "saving s": saving}


def scenario_big_run(directory: Path) -> dict[str, Any]:
    """The journal's part of a 10,000-target rotation: two lookups and two saves each."""
    run = new_run("big", 10_000)
    document = JournalDocument(current=run, history=[])
    journal = Journal(directory / "pat-journal.json")
    journal.save(document)
    names = [target.repository for target in run.targets]
    began = time.perf_counter()
    lookups = 0.0
    for name in names:
        timer = time.perf_counter()
        record = run.target(name)
        assert record is not None
        lookups += time.perf_counter() - timer
        journal.save_target(run, record.started(T0))
        timer = time.perf_counter()
        record = run.target(name)
        assert record is not None
        lookups += time.perf_counter() - timer
        journal.save_target(run, record.succeeded(204, T1))
    run.finish("completed", T2)
    journal.save(document)
    total = time.perf_counter() - began
    return {"total s": total, "lookups s": lookups, "lookups %": 100 * lookups / total}


def scenario_growth(directory: Path) -> dict[str, Any]:
    """The document's size after N rotations of 10,000 targets (one run object reused)."""
    del directory
    run = new_run("growth", 10_000, done=True)
    document = JournalDocument(current=None, history=[])
    sizes: dict[str, Any] = {}
    for count in range(1, 31):
        document.start(run)
        if count in (1, 10, 20, 30):
            sizes[f"after {count} MB"] = len(encode_document(document)) / 1e6
    return sizes


SCENARIOS: dict[str, Callable[[Path], dict[str, Any]]] = {
    "paced": scenario_paced,
    "big run": scenario_big_run,
    "growth": scenario_growth,
}


def run_scenario(source: Path, name: str) -> dict[str, Any]:
    """Run scenario `name` in a child process importing ccat from `source`."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    child = subprocess.run(
        [sys.executable, __file__, "--scenario", name],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, Any] = json.loads(child.stdout)
    return result


def compare(before: Path, runs: int) -> None:
    now = Path(__file__).resolve().parents[1] / "src"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; before: {before}")
    print(f"{'scenario':<9} {'figure':<14} {'before':>10} {'now':>10}")
    for name in SCENARIOS:
        rounds = 1 if name == "paced" else runs
        results: dict[str, list[dict[str, Any]]] = {"before": [], "now": []}
        for _ in range(rounds):
            for label, source in (("before", before), ("now", now)):
                results[label].append(run_scenario(source, name))
        for figure in results["now"][0]:
            cells = [statistics.median(r[figure] for r in results[k]) for k in ("before", "now")]
            print(f"{name:<9} {figure:<14} " + " ".join(f"{c:>10.2f}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, nargs="*", default=[200, 1000])
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: tmp)")
    parser.add_argument("--compare", type=Path, metavar="BEFORE_SRC", default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
            print(json.dumps(SCENARIOS[args.scenario](Path(tmp))))
    elif args.compare:
        compare(args.compare.resolve(), args.runs)
    else:
        strategies_table(args.targets, args.dir)


if __name__ == "__main__":
    main()
