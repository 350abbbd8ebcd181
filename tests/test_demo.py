"""`ccat pat demo` tells the whole story, ends with the secret everywhere, reads well at
80 and 120 columns, and with `--keep` leaves an emulator anyone can use by hand."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ccat.commands.demo import example_graph
from ccat.pat.graph import load_graph
from tests.support.environment import environment
from tests.support.processes import ccat_process, run_ccat
from tests.support.screens import WIDE, assert_reads_well, normalised

SCRATCH = re.compile(r"/\S*ccat-demo-[A-Za-z0-9_]+")


def clean_env(**extra: str) -> dict[str, str]:
    """The tests' environment without colour, plus `extra`."""
    return environment({"NO_COLOR": "1", **extra})


def demo(columns: int) -> str:
    """The demo's whole output (stdout and stderr, as a terminal would show them) at
    `columns`; it must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "ccat", "pat", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
        check=False,
        env=clean_env(COLUMNS=str(columns)),
    )
    assert done.returncode == 0, done.stdout
    return done.stdout


@pytest.mark.slow
def test_the_demo_runs_every_step_succeeds_and_reads_well_at_80_and_120_columns() -> None:
    output = demo(80)
    # Each step as the operator would type it, in the story's order.
    steps = [
        "$ ccat pat status\n",
        '$ echo "$NEW_TOKEN" | ccat pat rotate --yes',
        "$ ccat pat journal\n",
        '$ echo "$NEW_TOKEN" | ccat pat rotate --resume --yes',
        "$ ccat pat status\n",
    ]
    position = 0
    for step in steps:
        position = output.index(step, position)
    assert "✗ Rotation stopped at ccatobs/data-transfer" in output
    # The Actions copies of the four before it, and the Dependabot and environment copies.
    assert "Already updated (6):" in output and "NOT updated (5):" in output
    assert "  ✓ ccatobs/ops-db (dependabot)" in output
    assert "  ✓ ccatobs/ops-db-api (environment:production)" in output
    assert "↳ dependabot" in output and "↳ env production" in output
    assert "OK: GH_PAT — 9 present, 0 missing, 2 copies in other stores" in output
    assert "Demo complete" in output
    # The demo's tokens are random; neither may ever be printed.
    assert re.search(r"ghp_demo[0-9a-f]{32}", output) is None
    assert re.search(r"demo-operator-[0-9a-f]{16}", output) is None

    reference = normalised(SCRATCH.sub("SCRATCH", demo(WIDE)))
    assert_reads_well(normalised(SCRATCH.sub("SCRATCH", output)), reference, 80)
    assert_reads_well(normalised(SCRATCH.sub("SCRATCH", demo(120))), reference, 120)


@contextmanager
def kept_demo(*extra: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`ccat pat demo --keep EXTRA` in 80 columns, once it says how to stop it: the
    process and what it printed until then. Still running at the end: killed."""
    args = ("pat", "demo", "--keep", *extra)
    env = clean_env(COLUMNS="80")
    with ccat_process(*args, env=env, stderr=subprocess.STDOUT) as process:
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                break
        yield process, "\n".join(lines)


def pasted_shell(output: str) -> tuple[dict[str, str], str]:
    """What the kept demo says to paste in another shell: the exports, and the folder."""
    pasted = dict(re.findall(r"^  export (\w+)=(\S+)$", output, re.MULTILINE))
    directory = re.search(r"^  cd (\S+)$", output, re.MULTILINE)
    assert directory is not None, output
    return pasted, directory.group(1)


def in_pasted_shell(
    output: str, *args: str, input: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """`ccat ARGS` as an operator runs it after pasting what the kept demo said (and
    setting `env`)."""
    pasted, directory = pasted_shell(output)
    return run_ccat(*args, cwd=directory, input=input, env=clean_env(**pasted, **env))


@pytest.mark.slow
def test_keep_leaves_the_emulator_running_with_what_to_paste() -> None:
    # --expires-in: the new token expires in 5 days from the end of the story on.
    with kept_demo("--expires-in", "5") as (demo_process, output):
        assert "Demo complete" not in output  # it is still running
        url = re.search(r"^Emulator: (http://127\.0\.0\.1:\d+)$", output, re.MULTILINE)
        assert url is not None, output
        pasted, directory = pasted_shell(output)
        unset = re.search(r"^  unset (.+)$", output, re.MULTILINE)
        assert unset is not None, output
        assert set(pasted) == {
            "GITHUB_API_URL",
            "GH_TOKEN",
            "CCAT_JOURNAL",
            "DEMO_NEW_TOKEN",
            "DEMO_OLD_TOKEN",
        }
        assert pasted["GITHUB_API_URL"] == url.group(1)
        assert set(unset.group(1).split()) >= {"GITHUB_TOKEN", "GH_HOST", "GH_ENTERPRISE_TOKEN"}

        # As an operator would: in another shell, paste, then run status.
        status = in_pasted_shell(output, "pat", "status")
        assert status.returncode == 0, status.stdout + status.stderr
        assert "OK: GH_PAT — 9 present, 0 missing" in status.stdout

        # The expiry warning, rehearsed: GitHub now says the new token expires soon.
        verify = ("pat", "verify", "--strict")
        verified = in_pasted_shell(output, *verify, GH_PAT=pasted["DEMO_NEW_TOKEN"])
        assert verified.returncode == 1, verified.stdout + verified.stderr
        assert "expires on" in verified.stdout and "in 5 days" in verified.stdout
        # And the old token's revocation: every repository holds the new one.
        old_token = pasted["DEMO_OLD_TOKEN"] + "\n"
        revoked = in_pasted_shell(output, "pat", "revoke", "--yes", input=old_token)
        assert revoked.returncode == 0, revoked.stdout + revoked.stderr
        assert "✓ Revoked:" in revoked.stdout

        demo_process.send_signal(signal.SIGINT)
        rest, _ = demo_process.communicate(timeout=30)
    assert demo_process.returncode == 0, rest
    assert "emulator stopped" in rest and "Demo complete" in rest
    assert not Path(directory).exists()  # its scratch directory is gone


def test_the_example_graph_is_valid_and_starts_with_system_integration() -> None:
    graph = load_graph(example_graph())
    assert graph.targets[0].full_name == "ccatobs/system-integration"
    assert len(graph.targets) == 9 and graph.warnings == ()


@pytest.mark.slow
def test_keep_with_fail_arms_the_failure_to_rehearse() -> None:
    spec = "PUT /repos/ccatobs/ops-db-api/.*=403x1"
    with kept_demo("--fail", spec) as (demo_process, output):
        # The story itself ran unharmed; the fault waits for the operator.
        assert "Fault armed: PUT /repos/ccatobs/ops-db-api/.* -> 403, once" in output
        token = pasted_shell(output)[0]["DEMO_NEW_TOKEN"] + "\n"
        rotate = ("pat", "rotate", "--yes", "--write-interval", "0")
        failed = in_pasted_shell(output, *rotate, input=token)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "stopped at ccatobs/ops-db-api" in failed.stdout + failed.stderr
        resumed = in_pasted_shell(output, *rotate, "--resume", input=token)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        demo_process.send_signal(signal.SIGINT)
        rest, _ = demo_process.communicate(timeout=30)
    assert demo_process.returncode == 0, rest
