"""What a rotation's journal saves cost: the whole document each time, or the update log.

    .venv/bin/python benchmarks/bench_journal.py [--targets 200 1000] [--dir DIR]

A rotation saves twice per target (before the write starts and after its answer). For
each run size this times those 2 N saves, durable every one, in a fresh directory:

- `rewrite, json indent=2`: the whole document per save, serialised by the standard
  library's pure-Python indenting encoder (what every save did before the update log);
- `rewrite, msgspec indent=2` / `compact`: the whole document per save, C encoder;
- `save_target`: one appended, synced line per save, folded into the document every
  64 updates or once a second (`Journal`'s defaults), plus the closing whole save;
  `never folded` shows the append alone (its cost does not grow with the targets).

Prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ccat.pat.journal import (
    Fingerprint,
    GraphFile,
    Journal,
    JournalDocument,
    RotationRun,
    TargetRecord,
    TokenInfo,
)
from ccat.pat.journal_codec import encode_document
from ccat.pat.journal_files import replace_file

Save = Callable[[JournalDocument, RotationRun, TargetRecord], None]


def new_document(targets: int) -> JournalDocument:
    """A running run over `targets` pending repositories, and one completed run before it."""

    def run(run_id: str) -> RotationRun:
        return RotationRun(
            run_id=run_id,
            secret="GH_PAT",
            org="ccatobs",
            api_url="https://api.github.com",
            graph=GraphFile("ci/dependency-graph.yml", "0" * 64),
            state="running",
            started_at="2026-11-25T19:00:00Z",
            finished_at=None,
            operator="alice",
            token=TokenInfo(Fingerprint.of("bench"), "ccat-ci-bot", None, "fine-grained"),
            targets=[TargetRecord.pending(f"ccatobs/repository-{i:04d}") for i in range(targets)],
        )

    return JournalDocument(current=run("bench-run"), history=[run("bench-earlier")])


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
            record = record.started("t0") if step == "started" else record.succeeded(204, "t1")
            began = time.perf_counter()
            if isinstance(saver, Journal):
                saver.save_target(run, record)
            else:
                saver(document, run, record)
            durations.append(time.perf_counter() - began)
    began = time.perf_counter()
    run.finish("completed", "t2")
    if isinstance(saver, Journal):
        saver.save(document)
    else:
        saver(document, run, run.targets[-1])
    durations[-1] += time.perf_counter() - began
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, nargs="*", default=[200, 1000])
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: tmp)")
    args = parser.parse_args()

    strategies: list[tuple[str, Callable[[Path], Save | Journal]]] = [
        ("rewrite, json indent=2 (before)", rewrite_json),
        ("rewrite, msgspec indent=2", lambda path: rewrite_msgspec(path, 2)),
        ("rewrite, msgspec compact", lambda path: rewrite_msgspec(path, 0)),
        ("save_target (update log)", Journal),
        (
            "save_target, never folded",
            lambda path: Journal(path, fold_every=sys.maxsize, fold_after=float("inf")),
        ),
    ]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; 2 durable saves per target")
    columns = ("total s", "mean ms", "p99 ms", "max ms")
    print(f"{'targets':>7}  {'strategy':<32} " + " ".join(f"{c:>8}" for c in columns))
    for targets in args.targets:
        size = len(encode_document(new_document(targets)))
        print(f"{targets:>7}  (document of {size / 1024:.0f} KiB with indent=2)")
        for name, make in strategies:
            with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
                durations = time_saves(targets, Path(tmp), make)
            ordered = sorted(durations)
            print(
                f"{targets:>7}  {name:<32} {sum(durations):>8.2f} "
                f"{statistics.fmean(durations) * 1000:>8.2f} "
                f"{ordered[int(len(ordered) * 0.99)] * 1000:>8.2f} {ordered[-1] * 1000:>8.2f}"
            )


if __name__ == "__main__":
    main()
