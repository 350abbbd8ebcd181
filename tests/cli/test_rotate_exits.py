"""After the first write, every way out of `ccat pat rotate` reports the exact lists
and exits 1, or the signal's code (issue 14, defects 3 and 10).

A real `python -m ccat pat rotate --json` process against the emulator, whose journal
really fails mid-run: its folder is swapped for a file after the third write started
(ENOTDIR), or the process runs under a file-size limit (`ulimit -f`: EFBIG, as on a
full disk); or whose standard error is closed mid-run (an error nobody expected: the
progress line cannot be printed); or which is sent SIGTERM mid-write. Each time the
report's lists and the JSON document's `updated` / `not_updated` are what the
emulator holds, and the journal on disk never claims more. In-process, a standard
error that breaks as nothing expects after the third write: the lists and exit 1.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from ccat.commands.rotate import run_rotate_command
from ccat.commands.terminal import Terminal
from ccat.fakehub import FakeHub
from ccat.options import ConnectionArgs, RotateArgs
from ccat.pat.journal import Journal
from tests.support.environment import child_env
from tests.support.rotation import (
    NoLeak,
    RotationCase,
    holding,
    names,
    puts,
    report_list,
    rotation_process,
    write_graph,
)
from tests.support.terminal import wait_for

PACED = ("--json", "--write-interval", "0.2")


def assert_exact_report(
    stdout: str, stderr: str, hub: FakeHub, token: str, targets: list[str]
) -> dict[str, Any]:
    """The JSON document and the lists on stderr are the emulator's truth."""
    document: dict[str, Any] = json.loads(stdout)
    held = holding(hub, token)
    assert set(document["updated"]) == held
    assert document["updated"] == [t for t in targets if t in held]
    assert document["not_updated"] == [t for t in targets if t not in held]
    assert report_list(stderr, "Already updated") == document["updated"]
    assert report_list(stderr, "NOT updated") == document["not_updated"]
    assert 1 <= len(document["updated"]) < len(targets)
    assert "Traceback" not in stderr
    return document


def in_flight(journal: Path, repository: str) -> bool:
    """Whether the journal records the write to `repository` as started, not finished."""
    try:
        run = Journal(journal).load().current
    except Exception:  # not there yet
        return False
    found = None if run is None else run.target(repository)
    return found is not None and found.started_at is not None and found.finished_at is None


def assert_journal_claims_no_more(journal: Path, hub: FakeHub, token: str) -> None:
    run = Journal(journal).load().current
    assert run is not None
    assert set(run.updated()) <= holding(hub, token)


@pytest.mark.slow
def test_a_journal_folder_gone_mid_rotation_gives_the_lists_and_exit_1(
    rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    case.hub.latency = 0.3
    folder = case.journal.parent
    one_at_a_time = ("--concurrency", "1")
    with rotation_process(
        rotate_args, case.hub, case.token, case.tmp_path, *PACED, *one_at_a_time
    ) as process:
        # While the third write is in flight (journaled as started, not finished).
        wait_for(lambda: in_flight(case.journal, case.targets[2]) or process.poll() is not None)
        folder.rename(folder.with_name("moved-away"))
        folder.write_text("not a directory")
        stdout, stderr = process.communicate(timeout=60)

    assert process.returncode == 1, stderr
    document = assert_exact_report(stdout, stderr, case.hub, case.token, case.targets)
    assert document["outcome"] == "stopped"
    assert "Not a directory" in document["journal_error"]
    assert "The journal could not be written" in stderr
    assert "nothing was written" not in stderr
    # The third write's answer came after the folder went: known, not journaled.
    assert (
        document["updated"] == case.targets[:3] and document["not_in_journal"] == case.targets[2:3]
    )
    assert f"Not in the journal: {case.targets[2]}" in stderr
    assert_journal_claims_no_more(
        folder.with_name("moved-away") / case.journal.name, case.hub, case.token
    )
    assert_no_leak(stdout, stderr)


# Lets the child write no file beyond this size, then execs ccat (Python ignores
# SIGXFSZ, so a write past it fails with EFBIG, as one on a full disk fails).
def size_limited(limit: int) -> list[str]:
    return [
        sys.executable,
        "-c",
        f"import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        "os.execv(sys.executable, [sys.executable, '-m', 'ccat', *sys.argv[1:]])",
    ]


@pytest.mark.slow
def test_a_journal_at_the_file_size_limit_mid_rotation_gives_the_lists_and_exit_1(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    # The graph by a relative name, so that the journal's size does not depend on the
    # test's folder: it starts at about 2.3 kB and its update log grows by about 280
    # bytes per line (two per write), so 2.9 kB is reached around the fifth write.
    write_graph(case.tmp_path / "graph.yml", names(case.targets[1:]))
    journal = case.tmp_path / "state" / "journal.json"
    args = ["pat", "rotate", "--yes", "--graph", "graph.yml", "--api-url", case.hub.url]
    done = subprocess.run(
        [*size_limited(2900)[0:3], *args, "--journal", str(journal), *PACED],
        input=case.token + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=case.tmp_path,
        env=child_env(case.hub.operator_token, case.tmp_path),
    )

    assert done.returncode == 1, done.stderr
    document = assert_exact_report(done.stdout, done.stderr, case.hub, case.token, case.targets)
    assert (
        "File too large" in document["journal_error"]
        or "short write" in (document["journal_error"])
    )
    assert_journal_claims_no_more(journal, case.hub, case.token)
    assert_no_leak(done.stdout, done.stderr)


@pytest.mark.slow
def test_a_reader_gone_from_stderr_mid_rotation_does_not_stop_it(
    rotate_args: list[str], case: RotationCase
) -> None:
    # `… 2>&1 | head` gone mid-run: rich used to answer the broken pipe with
    # SystemExit(1) from inside a write (the run left `running`, no report) after
    # pointing stdout at /dev/null. Now stderr goes quiet and the rotation finishes.
    case.hub.latency = 0.05
    read_end, write_end = os.pipe()
    with rotation_process(
        rotate_args, case.hub, case.token, case.tmp_path, *PACED, stderr=write_end
    ) as process:
        os.close(write_end)
        wait_for(lambda: len(puts(case.hub)) >= 2 or process.poll() is not None)
        os.close(read_end)
        stdout, _ = process.communicate(timeout=60)

    assert process.returncode == 0
    document = json.loads(stdout)
    assert document["outcome"] == "completed" and document["updated"] == case.targets
    assert holding(case.hub, case.token) == set(case.targets)
    run = Journal(case.journal).load().current
    assert run is not None and run.state == "completed"


@pytest.mark.slow
def test_rotate_json_interrupted_mid_write_prints_the_report(
    rotate_args: list[str], case: RotationCase, assert_no_leak: NoLeak
) -> None:
    case.hub.latency = 0.1
    with rotation_process(rotate_args, case.hub, case.token, case.tmp_path, *PACED) as process:
        wait_for(lambda: len(puts(case.hub)) >= 2 or process.poll() is not None)
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)

    assert process.returncode == 143, stderr
    document = json.loads(stdout)
    run = Journal(case.journal).load().current
    assert run is not None and run.state == "interrupted"
    assert document["outcome"] == "interrupted" and document["interrupted_by"] == "SIGTERM"
    assert document["run_id"] == run.run_id
    assert document["updated"] == run.updated() and document["not_updated"] == run.not_updated()
    assert report_list(stderr, "Already updated") == run.updated()
    assert set(run.updated()) <= holding(case.hub, case.token)
    assert_no_leak(stdout, stderr)


class BreaksOnTheThirdWrite(io.StringIO):
    """Standard error that fails, as nothing expects, once a third write is reported."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        if "✓" in text:
            self.writes += 1
            if self.writes == 3:
                raise RuntimeError("the terminal broke")
        return super().write(text)


def test_an_error_nobody_expected_after_the_first_write_gives_the_lists_and_exit_1(
    case: RotationCase, assert_no_leak: NoLeak
) -> None:
    stdout, stderr = io.StringIO(), BreaksOnTheThirdWrite()
    terminal = Terminal(
        out=Console(file=stdout, width=200, no_color=True),
        err=Console(file=stderr, width=200, no_color=True),
        stdin_is_terminal=False,
        env=child_env(case.hub.operator_token, case.tmp_path),
        stdin=io.StringIO(case.token + "\n"),
    )
    args = RotateArgs(
        ConnectionArgs(graph=case.graph, api_url=case.hub.url, concurrency=1),
        journal=case.journal,
        yes=True,
        write_interval=0,
        json=True,
    )

    code = run_rotate_command(args, terminal)

    assert code == 1, stderr.getvalue()
    document = json.loads(stdout.getvalue())
    assert document["outcome"] == "stopped"
    assert document["error"] == "unexpected RuntimeError"
    assert document["updated"] == case.targets[:3] and document["not_updated"] == case.targets[3:]
    assert "error: unexpected RuntimeError during the writes" in stderr.getvalue()
    assert report_list(stderr.getvalue(), "Already updated") == case.targets[:3]
    run = Journal(case.journal).load().current
    assert run is not None and run.state == "stopped" and run.updated() == case.targets[:3]
    assert set(case.targets[:3]) <= holding(case.hub, case.token) <= set(case.targets[:4])
    assert_no_leak(stdout.getvalue(), stderr.getvalue())
