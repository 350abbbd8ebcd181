"""`ccat pat demo`: the whole story against the bundled GitHub emulator, no account needed.

It starts the emulator on a free loopback port with the example dependency graph,
then runs the real `ccat pat` commands as an operator would type them (each one a
subprocess, so what you see is exactly what the CLI prints): status with secrets
missing, a rotation that fails midway, the journal, `--resume`, and a final status.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule

from ccat.fakehub import FakeHub, Fault
from ccat.fakehub.command_line import describe, fault_spec
from ccat.options import DemoArgs
from ccat.pat.graph import load_graph
from ccat.pat.settings import DEFAULTS

# Seeded as present before the story starts (with an old value); the rest are missing.
SEEDED = ("system-integration", "ops-db", "ops-db-api")
# The rotation is made to fail here: the operator credential "lacks access" once.
FAILING = "data-transfer"
# Copies in the other stores CI reads (SPEC §10), seeded too: Dependabot's runs read the
# first, jobs with `environment: production` the second; `staging` holds none.
DEPENDABOT_COPY = "ops-db"
ENVIRONMENT_COPY = ("ops-db-api", "production")
EMPTY_ENVIRONMENT = ("ops-db-api", "staging")


def example_graph() -> Path:
    """The example graph: packaged in the wheel, or `examples/` of a source checkout."""
    packaged = resources.files("ccat") / "_examples" / "dependency-graph.yml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "examples" / "dependency-graph.yml"


class Story:
    """Runs each step as the operator would, and checks it ended as the story says."""

    def __init__(self, console: Console, env: Mapping[str, str], directory: Path) -> None:
        self.console = console
        self.env = dict(env)
        self.directory = directory
        self.surprises: list[str] = []

    def say(self, text: str) -> None:
        """Narration between the commands."""
        self.console.print()
        self.console.print(Rule(style="dim"))
        self.console.print(text, highlight=False)

    def run(self, args: list[str], expect: int, *, stdin: str | None = None) -> None:
        """Show and run `ccat pat ARGS` in the demo's directory; note it if the exit code
        is not `expect`."""
        shown = " ".join(["ccat", "pat", *args])
        piped = 'echo "$NEW_TOKEN" | ' if stdin is not None else ""
        self.console.print(f"[bold]$ {piped}{shown}[/]", highlight=False)
        done = subprocess.run(
            [sys.executable, "-m", "ccat", "pat", *args],
            input=stdin,
            env=self.env,
            cwd=self.directory,
            text=True,
            check=False,
        )
        self.console.print(f"[dim](exit code {done.returncode})[/]", highlight=False)
        if done.returncode != expect:
            self.surprises.append(f"`{shown}` exited {done.returncode}, expected {expect}")


def run_demo_command(args: DemoArgs) -> int:
    """`ccat pat demo [--keep [--fail SPEC]...]`; returns the exit code."""
    faults = [fault_spec(spec) for spec in args.fail]  # checked when parsed
    return run_demo(
        Console(highlight=False), keep=args.keep, faults=faults, expires_in=args.expires_in
    )


# Variables of the operator's shell that would send the commands elsewhere, or that the
# commands would read instead of the emulator's GH_TOKEN.
FOREIGN = ("GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GH_HOST")
PASTED = ("GITHUB_API_URL", "GH_TOKEN", "CCAT_JOURNAL")


def _keep_serving(
    console: Console,
    env: Mapping[str, str],
    directory: Path,
    tokens: DemoTokens,
    faults: Sequence[Fault] = (),
    expires: str | None = None,
) -> None:
    """Print how to use the running emulator by hand, then serve until Ctrl-C/SIGTERM.

    The lines to paste are printed whole (never wrapped), one command each."""
    console.print()
    console.print(Rule("the emulator keeps running (--keep)", style="dim"))
    console.print(f"Emulator: {env['GITHUB_API_URL']}", highlight=False, soft_wrap=True)
    for fault in faults:
        console.print(f"Fault armed: {escape(describe(fault))}", highlight=False, soft_wrap=True)
    if faults:
        console.print(
            "The next requests that match fail as armed: a rotation (below) stops there, "
            "and `ccat pat journal` and `ccat pat rotate --resume` take it from there.",
            highlight=False,
        )
    console.print(
        "Paste this into another shell to try commands against it (these tokens exist "
        "only in this emulator):",
        highlight=False,
    )
    paste = [f"cd {directory}", f"unset {' '.join(FOREIGN)}"]
    paste += [f"export {name}={env[name]}" for name in PASTED]
    paste += [f"export DEMO_NEW_TOKEN={tokens.new}", f"export DEMO_OLD_TOKEN={tokens.old}"]
    for line in paste:
        console.print(f"  {line}", highlight=False, soft_wrap=True)
    if expires is not None:
        console.print(
            f"The new token now expires on {expires} (GitHub says so from now on): "
            "`verify` warns of it at once; rotate to the same token again and `status` "
            "warns too (the journal records the expiry a rotation finds).",
            highlight=False,
        )
    console.print("Then, for example:", highlight=False)
    examples = (
        "ccat pat status",
        "ccat pat journal",
        'GH_PAT="$DEMO_NEW_TOKEN" ccat pat verify',
        'echo "$DEMO_OLD_TOKEN" | ccat pat revoke',
        'echo "$DEMO_NEW_TOKEN" | ccat pat rotate',
    )
    for line in examples:
        console.print(f"  {line}", highlight=False, soft_wrap=True)
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


def _tell(story: Story, hub: FakeHub, org: str, new_token: str) -> None:
    """The five steps, each the real command as an operator would type it."""
    story.say(
        "1. Where is GH_PAT set? `status` checks every repository concurrently, in every "
        f"store CI reads it from. {len(SEEDED)} have it, the rest do not: exit code 1, so "
        f"CI can gate on it. {org}/{DEPENDABOT_COPY} also has a Dependabot copy (runs "
        f"started by Dependabot read only that one) and {org}/{ENVIRONMENT_COPY[0]} a "
        f"`{ENVIRONMENT_COPY[1]}` environment copy (deploy jobs read it instead of the "
        "repository's): each on a line of its own."
    )
    story.run(["status"], expect=1)
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
        "fetches every public key — one per store it writes, the Dependabot and the "
        "environment copy included — then writes go one by one. The emulator refuses the "
        f"write to {org}/{FAILING} once: the run stops there and reports exactly which "
        "copies were updated."
    )
    story.run(["rotate", "--yes", "--write-interval", "0.2"], 1, stdin=new_token)
    story.say(
        "3. During the incident: the journal records every completed write, durably, "
        "and says what `--resume` would do."
    )
    story.run(["journal"], expect=0)
    story.say(
        "4. The access problem is fixed (the emulator's fault was used up). `--resume` "
        "with the same token skips the repositories already updated."
    )
    story.run(["rotate", "--resume", "--yes", "--write-interval", "0.2"], 0, stdin=new_token)
    story.say(
        "5. Every copy holds the new token now, the Dependabot and the environment copy "
        "included: exit code 0, and status says it is safe to revoke the previous token."
    )
    story.run(["status"], expect=0)


@dataclass(frozen=True)
class DemoTokens:
    """The demo's tokens: random, clearly fake values (it never needs a real one): the
    operator's, the new one it rotates to, and the old one some repositories hold
    before (known to the emulator, so that its revocation can be rehearsed)."""

    operator: str
    new: str
    old: str


def _emulator(repositories: list[str]) -> tuple[FakeHub, DemoTokens]:
    """The emulator and the demo's tokens."""
    tokens = DemoTokens(
        operator=f"demo-operator-{secrets.token_hex(8)}",
        new=f"ghp_demo{secrets.token_hex(16)}",
        old=f"ghp_demo{secrets.token_hex(16)}",
    )
    hub = FakeHub(
        repositories=repositories,
        operator_token=tokens.operator,
        operator_login="demo-operator",
        tokens={tokens.new: "ccat-ci-bot", tokens.old: "ccat-ci-bot"},
        token_expirations={tokens.new: "2027-02-01 00:00:00 UTC"},
        latency=0.02,
    )
    return hub, tokens


def run_demo(
    console: Console,
    *,
    keep: bool = False,
    faults: Sequence[Fault] = (),
    expires_in: int | None = None,
) -> int:
    """Tell the story; 0 when every step ended as expected. With `keep`, leave the
    emulator running afterwards until interrupted, with `faults` armed and, with
    `expires_in`, the new token expiring that many days from then (set while the
    emulator runs, so that the expiry warning can be rehearsed).

    The commands run in a scratch directory holding the example graph at the default
    path, `ci/dependency-graph.yml`, so that they read as an operator types them."""
    graph = load_graph(example_graph())
    repositories = [target.full_name for target in graph.targets]
    hub, tokens = _emulator(repositories)
    new_token = tokens.new
    with hub, tempfile.TemporaryDirectory(prefix="ccat-demo-") as state:
        directory = Path(state)
        (directory / "ci").mkdir()
        shutil.copyfile(example_graph(), directory / DEFAULTS.graph)
        for name in SEEDED:
            hub.set_secret(f"{graph.org}/{name}", "GH_PAT", tokens.old)
        hub.set_secret(f"{graph.org}/{DEPENDABOT_COPY}", "GH_PAT", tokens.old, store="dependabot")
        repository, environment = ENVIRONMENT_COPY
        hub.set_secret(
            f"{graph.org}/{repository}",
            "GH_PAT",
            tokens.old,
            store=f"environment:{environment}",
        )
        hub.add_environment(f"{graph.org}/{EMPTY_ENVIRONMENT[0]}", EMPTY_ENVIRONMENT[1])
        env = {name: value for name, value in os.environ.items() if name not in FOREIGN}
        env.update(
            GH_TOKEN=tokens.operator,
            CCAT_JOURNAL=str(directory / "pat-journal.json"),
            GITHUB_API_URL=hub.url,
        )
        story = Story(console, env, directory)
        console.print(
            f"[bold]ccat pat demo[/]: a GitHub emulator at {hub.url} serves the "
            f"{len(repositories)} repositories of the example graph, copied to "
            f"{directory / DEFAULTS.graph} (the commands run in {directory}; GITHUB_API_URL "
            "points at the emulator, GH_TOKEN holds its operator credential).",
            highlight=False,
        )
        _tell(story, hub, graph.org, new_token)
        wrong = [
            repo
            for repo in repositories
            if (s := hub.secret(repo, "GH_PAT")) is None or s.value != new_token
        ]
        for repository, store in (
            (DEPENDABOT_COPY, "dependabot"),
            (ENVIRONMENT_COPY[0], f"environment:{ENVIRONMENT_COPY[1]}"),
        ):
            held = hub.secret(f"{graph.org}/{repository}", "GH_PAT", store)
            if held is None or held.value != new_token:
                wrong.append(f"{graph.org}/{repository} ({store})")
        if hub.secrets(
            f"{graph.org}/{EMPTY_ENVIRONMENT[0]}", f"environment:{EMPTY_ENVIRONMENT[1]}"
        ):
            wrong.append("a copy created in the empty staging environment")
        if wrong:
            story.surprises.append(f"the emulator does not hold the new token in {wrong}")
        if keep and not story.surprises:
            hub.clear_faults()
            for fault in faults:
                hub.add_fault(fault)
            expires = None
            if expires_in is not None:
                moment = datetime.now(UTC) + timedelta(days=expires_in, hours=1)
                hub.set_expiry(new_token, moment)
                expires = moment.strftime("%Y-%m-%d")
            _keep_serving(console, env, directory, tokens, faults, expires)
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
        f"{count} repositories and in the Dependabot and environment copies. Against "
        "GitHub, drop GITHUB_API_URL and export GH_TOKEN (or `gh auth login`).",
        highlight=False,
    )
    return 0
