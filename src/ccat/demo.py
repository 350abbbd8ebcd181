"""`ccat pat demo`: the whole story against the bundled GitHub emulator, no account needed.

It starts the emulator on a free loopback port with the example dependency graph,
then runs the real `ccat pat` commands as an operator would type them (each one a
subprocess, so what you see is exactly what the CLI prints): status with secrets
missing, a rotation that fails midway, the journal, `--resume`, and a final status.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.rule import Rule

from ccat.fakehub import FakeHub, Fault
from ccat.options import DemoArgs
from ccat.pat.graph import load_graph

# Seeded as present before the story starts (with an old value); the rest are missing.
SEEDED = ("system-integration", "ops-db", "ops-db-api")
# The rotation is made to fail here: the operator credential "lacks access" once.
FAILING = "data-transfer"


def example_graph() -> Path:
    """The example graph: packaged in the wheel, or `examples/` of a source checkout."""
    packaged = resources.files("ccat") / "_examples" / "dependency-graph.yml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "examples" / "dependency-graph.yml"


class Story:
    """Runs each step as the operator would, and checks it ended as the story says."""

    def __init__(self, console: Console, env: Mapping[str, str]) -> None:
        self.console = console
        self.env = dict(env)
        self.surprises: list[str] = []

    def say(self, text: str) -> None:
        """Narration between the commands."""
        self.console.print()
        self.console.print(Rule(style="dim"))
        self.console.print(text, highlight=False)

    def run(self, args: list[str], expect: int, *, stdin: str | None = None) -> None:
        """Show and run `ccat pat ARGS`; note it if the exit code is not `expect`."""
        shown = " ".join(["ccat", "pat", *args])
        piped = 'echo "$NEW_TOKEN" | ' if stdin is not None else ""
        self.console.print(f"[bold]$ {piped}{shown}[/]", highlight=False)
        done = subprocess.run(
            [sys.executable, "-m", "ccat", "pat", *args],
            input=stdin,
            env=self.env,
            text=True,
            check=False,
        )
        self.console.print(f"[dim](exit code {done.returncode})[/]", highlight=False)
        if done.returncode != expect:
            self.surprises.append(f"`{shown}` exited {done.returncode}, expected {expect}")


def run_demo_command(args: DemoArgs) -> int:
    """`ccat pat demo [--keep]`; returns the exit code."""
    return run_demo(Console(highlight=False), keep=args.keep)


def _keep_serving(console: Console, env: Mapping[str, str], graph: Path, new_token: str) -> None:
    """Print how to use the running emulator by hand, then serve until Ctrl-C/SIGTERM."""
    console.print()
    console.print(Rule("the emulator keeps running (--keep)", style="dim"))
    console.print(
        "Paste this into another shell to try commands against it (these tokens exist "
        "only in this emulator):",
        highlight=False,
    )
    for name in ("GITHUB_API_URL", "GH_TOKEN", "CCAT_JOURNAL"):
        console.print(f"  export {name}={env[name]}", highlight=False, soft_wrap=True)
    console.print(f"  export DEMO_NEW_TOKEN={new_token}", highlight=False, soft_wrap=True)
    console.print(f"  ccat pat status --graph {graph}", highlight=False, soft_wrap=True)
    console.print(
        f'  echo "$DEMO_NEW_TOKEN" | ccat pat rotate --graph {graph} --yes',
        highlight=False,
        soft_wrap=True,
    )
    console.print("Press Ctrl-C to stop the emulator.", highlight=False)
    done = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: done.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while not done.wait(0.5):
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    console.print("emulator stopped", highlight=False)


def _tell(story: Story, hub: FakeHub, graph_path: Path, org: str, new_token: str) -> None:
    """The five steps, each the real command as an operator would type it."""
    common = ["--graph", str(graph_path)]
    story.say(
        "1. Where is GH_PAT set? `status` checks every repository concurrently. "
        f"{len(SEEDED)} have it, the rest do not: exit code 1, so CI can gate on it."
    )
    story.run(["status", *common], expect=1)
    hub.add_fault(
        Fault(
            method="PUT",
            path=f"/repos/{org}/{FAILING}/actions/secrets/*",
            status=403,
            count=1,
            message="Resource not accessible by personal access token",
        )
    )
    story.say(
        "2. Rotate to a new token (read from stdin here; on a terminal it is a hidden "
        "prompt). Preflight proves the token can read Actions in every repository and "
        "fetches every public key, then writes go one by one. The emulator refuses the "
        f"write to {org}/{FAILING} once: the run stops there and reports exactly which "
        "repositories were updated."
    )
    story.run(["rotate", *common, "--yes", "--write-interval", "0.2"], 1, stdin=new_token)
    story.say(
        "3. During the incident: the journal records every completed write, durably, "
        "and says what `--resume` would do."
    )
    story.run(["journal"], expect=0)
    story.say(
        "4. The access problem is fixed (the emulator's fault was used up). `--resume` "
        "with the same token skips the repositories already updated."
    )
    story.run(
        ["rotate", *common, "--resume", "--yes", "--write-interval", "0.2"], 0, stdin=new_token
    )
    story.say(
        "5. Every repository has the secret now: exit code 0, and status says it is safe "
        "to revoke the previous token."
    )
    story.run(["status", *common], expect=0)


def run_demo(console: Console, *, keep: bool = False) -> int:
    """Tell the story; 0 when every step ended as expected. With `keep`, leave the
    emulator running afterwards until interrupted."""
    graph_path = example_graph()
    graph = load_graph(graph_path)
    repositories = [target.full_name for target in graph.targets]
    # Random, clearly fake values: the demo never needs or touches a real token.
    operator_token = f"demo-operator-{secrets.token_hex(8)}"
    new_token = f"ghp_demo{secrets.token_hex(16)}"
    hub = FakeHub(
        repositories=repositories,
        operator_token=operator_token,
        operator_login="demo-operator",
        tokens={new_token: "ccat-ci-bot"},
        token_expirations={new_token: "2027-02-01 00:00:00 UTC"},
        latency=0.02,
    )
    with hub, tempfile.TemporaryDirectory(prefix="ccat-demo-") as state:
        for name in SEEDED:
            hub.set_secret(f"{graph.org}/{name}", "GH_PAT", "an-old-token")
        env = {
            **os.environ,
            "GH_TOKEN": operator_token,
            "CCAT_JOURNAL": str(Path(state) / "pat-journal.json"),
            "GITHUB_API_URL": hub.url,
        }
        # For a host other than github.com the enterprise variables come before GH_TOKEN.
        for name in ("GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GH_HOST"):
            env.pop(name, None)
        story = Story(console, env)
        console.print(
            f"[bold]ccat pat demo[/]: a GitHub emulator serves the {len(repositories)} "
            f"repositories of {graph_path} at {hub.url} (GITHUB_API_URL points there; "
            "GH_TOKEN holds the emulator's operator credential).",
            highlight=False,
        )
        _tell(story, hub, graph_path, graph.org, new_token)
        wrong = [
            repo
            for repo in repositories
            if (s := hub.secret(repo, "GH_PAT")) is None or s.value != new_token
        ]
        if wrong:
            story.surprises.append(f"the emulator does not hold the new token in {wrong}")
        if keep and not story.surprises:
            _keep_serving(console, env, graph_path, new_token)
    return _conclude(console, story, len(repositories))


def _conclude(console: Console, story: Story, count: int) -> int:
    console.print()
    console.print(Rule(style="dim"))
    if story.surprises:
        for surprise in story.surprises:
            console.print(f"[red]demo: {surprise}[/]", highlight=False)
        return 1
    console.print(
        "[green]Demo complete:[/] the emulator holds the new token, decrypted, in all "
        f"{count} repositories. Against GitHub, drop GITHUB_API_URL and export GH_TOKEN "
        "(or `gh auth login`).",
        highlight=False,
    )
    return 0
