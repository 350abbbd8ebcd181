"""What `ccat pat rotate` prints reads well at 80 and 120 columns, end to end.

The same rotation runs against a fresh emulator at each width and once very wide; after
what differs between runs (times, run ids, ports, paths) is replaced by placeholders, the
screens must hold the same words, none split, no line wider than the terminal. The graph
has a 100-character repository name, which alone may fold.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from typer.testing import Result

from ccat.fakehub import Fault
from tests.support.emulator import emulator
from tests.support.rotation import (
    FORBIDDEN,
    ONE_BY_ONE,
    ROTATION_OPERATOR_TOKEN,
    TARGETS,
    key_path,
    names,
    secret_path,
    write_graph,
)
from tests.support.screens import WIDE, assert_reads_well, normalised

Ccat = Callable[..., Result]
LONG = "ccatobs/" + "telescope-control-" * 5 + "x" * 10  # 100 characters after the org
REPOSITORIES = [*TARGETS, LONG]


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path: a path longer than the terminal would rightly
    fold, and the comparison needs it whole to replace it."""
    with tempfile.TemporaryDirectory(prefix="ccat-", dir="/tmp") as directory:
        yield Path(directory)


def rotation_screen(
    ccat: Ccat, short_dir: Path, new_token: str, width: int, faults: Sequence[Fault]
) -> tuple[int, str]:
    """A rotation of REPOSITORIES with `faults` at `width` columns: its exit code and what
    the operator sees (stderr then stdout), with run-to-run differences normalised."""
    where = short_dir / str(width)
    where.mkdir()
    graph = write_graph(where / "graph.yml", names(REPOSITORIES[1:]))
    journal = where / "pat-journal.json"
    with emulator(REPOSITORIES, ROTATION_OPERATOR_TOKEN, new_token) as hub:
        for fault in faults:
            hub.add_fault(fault)
        result = ccat(
            *("pat", "rotate", "--yes", "--graph", str(graph), "--api-url", hub.url),
            *("--journal", str(journal), *ONE_BY_ONE),
            input=new_token + "\n",
            env={"COLUMNS": str(width)},
        )
    assert new_token not in result.output
    return result.exit_code, normalised(result.stderr + result.stdout, {str(where): "WHERE"})


FAILURES = {
    "stopped": [Fault("PUT", secret_path(TARGETS[4]), status=403, message=FORBIDDEN)],
    "refused preflight": [
        Fault("GET", key_path(TARGETS[2]), status=404, message="Not Found", count=None),
        Fault("GET", key_path(LONG), status=404, message="Not Found", count=None),
    ],
    "completed": [],
}


@pytest.mark.parametrize("case", FAILURES, ids=list(FAILURES))
def test_rotate_reads_well_at_80_and_120_columns(
    ccat: Ccat, short_dir: Path, new_token: str, case: str
) -> None:
    code, reference = rotation_screen(ccat, short_dir, new_token, WIDE, FAILURES[case])
    for width in (80, 120):
        again, screen = rotation_screen(ccat, short_dir, new_token, width, FAILURES[case])
        assert again == code
        assert_reads_well(screen, reference, width, longest_unfolded=width)
    words = " ".join(reference.split())
    if case == "stopped":
        assert code == 1
        # The runbook's procedure, both ways, is in the report's closing lines.
        assert "either run ccat pat rotate --resume with the same token" in words
        assert "or run ccat pat rotate again with the same token" in words
        assert f"✗ 4 of 9 repositories updated; stopped at {TARGETS[4]} (HTTP 403)." in words
    elif case == "refused preflight":
        assert code == 1
        # One short line for the failure both share, their names, then the hint once.
        assert f"✗ public key: HTTP 404: Not Found — 2 repositories: {TARGETS[2]}, {LONG}" in words
        assert reference.count("hint") == 1, reference
        assert "hint (2 repositories): check the repository name" in words
    else:
        assert code == 0 and "✓ GH_PAT rotated in all 9 repositories" in words
