"""`ccat pat demo` tells the whole story and ends with the secret everywhere."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from ccat.demo import example_graph
from ccat.pat.graph import load_graph


@pytest.mark.slow
def test_the_demo_runs_every_step_and_succeeds() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ccat", "pat", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # Each step as the operator would type it, in the story's order.
    steps = [
        "ccat pat status",
        "ccat pat rotate",
        "ccat pat journal",
        "ccat pat rotate --graph",
        "--resume",
        "ccat pat status",
    ]
    position = 0
    for step in steps:
        position = output.index(step, position)
    assert "✗ Rotation stopped at ccatobs/data-transfer" in output
    assert "Already updated (4):" in output and "NOT updated (5):" in output
    assert "OK: GH_PAT — 9 present, 0 missing" in output
    assert "Demo complete" in output
    # The demo's tokens are random; neither may ever be printed.
    assert re.search(r"ghp_demo[0-9a-f]{32}", output) is None
    assert re.search(r"demo-operator-[0-9a-f]{16}", output) is None


def test_the_example_graph_is_valid_and_starts_with_system_integration() -> None:
    graph = load_graph(example_graph())
    assert graph.targets[0].full_name == "ccatobs/system-integration"
    assert len(graph.targets) == 9 and graph.warnings == ()
