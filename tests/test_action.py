"""The composite GitHub Action (`action.yml`, issue 18 item 2), run as a runner runs it:
each `run:` script in `bash --noprofile --norc -eo pipefail` (the runner's `shell:
bash`), with the environment a runner sets — GITHUB_ACTIONS, GITHUB_STEP_SUMMARY,
GITHUB_OUTPUT, GITHUB_ACTION_PATH, RUNNER_TEMP, the step's INPUT_* — against the
emulator. ccat is installed from the action's own checkout (this repository) by the
action's own install step, once for the module (it needs pip and the package index).
The summary file and the workflow commands are read as GitHub reads them.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from ccat.fakehub import FakeHub, TokenSpec
from tests.support.actions_runner import assert_no_forged_command
from tests.support.github_markdown import render

pytestmark = pytest.mark.slow  # installs ccat into a virtual environment with pip

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
OPERATOR = "action-tests-operator-credential"
REPOS = ["ccatobs/system-integration", "ccatobs/ops-db", "ccatobs/ops-db-api"]


def action() -> dict[Any, Any]:
    document = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def step(step_id: str) -> dict[str, Any]:
    (found,) = [s for s in action()["runs"]["steps"] if s.get("id") == step_id]
    assert isinstance(found, dict)
    return found


def base_env(tmp: Path) -> dict[str, str]:
    """What every step of a runner has: no developer's GH_*, GITHUB_* or CCAT_*; pip's
    own settings (where the package index is) kept for the install step."""
    env = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        HOME=str(tmp / "home"),
        LANG="C.UTF-8",
        GITHUB_ACTIONS="true",
        GITHUB_ACTION_PATH=str(ROOT),
        RUNNER_TEMP=str(tmp / "runner-temp"),
    )
    return env


def run_script(
    script: str, env: Mapping[str, str], cwd: Path
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run one `run:` script as the runner does for `shell: bash`; its outcome and the
    outputs it wrote to GITHUB_OUTPUT."""
    output = cwd / f"github-output-{secrets.token_hex(4)}"
    output.write_text("")
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        env={**env, "GITHUB_OUTPUT": str(output)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        start_new_session=True,  # no terminal, as on a runner
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done, outputs


@dataclass
class Installed:
    """The action's install step, done: where ccat is."""

    bin: str
    first: subprocess.CompletedProcess[str]
    again: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    tmp = tmp_path_factory.mktemp("action")
    (tmp / "home").mkdir()
    (tmp / "runner-temp").mkdir()
    script = step("install")["run"]
    first, outputs = run_script(script, base_env(tmp), tmp)
    assert first.returncode == 0, first.stdout + first.stderr
    again, outputs_again = run_script(script, base_env(tmp), tmp)
    assert again.returncode == 0, again.stderr
    assert outputs["bin"] == outputs_again["bin"]
    return Installed(outputs["bin"], first, again)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The checked-out orchestrator repository: the graph at its default path."""
    (tmp_path / "home").mkdir()
    (tmp_path / "runner-temp").mkdir()
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "dependency-graph.yml").write_text(
        "org: ccatobs\nrepositories:\n  ops-db-api:\n    depends_on: [ops-db]\n"
    )
    return tmp_path


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    with FakeHub(REPOS, operator_token=OPERATOR) as running:
        yield running


def run_action(
    installed: Installed,
    hub: FakeHub,
    workspace: Path,
    inputs: Mapping[str, str],
    credentials: Mapping[str, str],
) -> tuple[subprocess.CompletedProcess[str], dict[str, str], Path]:
    """The action's run step with `inputs` (the rest at their defaults), as a runner
    sets them (INPUT_<NAME>, upper case, `-` as `_`) through the step's `env`."""
    declared = action()["inputs"]
    given = {name: str(spec.get("default", "")) for name, spec in declared.items()}
    given.update(inputs)
    env = base_env(workspace)
    env.update({f"INPUT_{k.upper().replace('-', '_')}": v for k, v in given.items()})
    summary = workspace / "step-summary.md"
    env.update(
        CCAT_BIN=installed.bin,
        GITHUB_API_URL=hub.url,
        GITHUB_STEP_SUMMARY=str(summary),
        COLUMNS="80",
        **credentials,
    )
    done, outputs = run_script(step("run")["run"], env, workspace)
    return done, outputs, summary


def test_the_action_is_composite_and_every_input_reaches_the_script_by_env() -> None:
    document = action()
    assert document["runs"]["using"] == "composite"
    steps = document["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    assert steps[0]["with"]["python-version"] == "3.11"
    assert set(document["inputs"]) == {"command", "graph", "strict", "warn-days", "stores"}
    run = step("run")
    for name in document["inputs"]:
        assert run["env"][f"INPUT_{name.upper().replace('-', '_')}"] == f"${{{{ inputs.{name} }}}}"
    # No expression is spliced into a script: inputs are data, never code.
    for each in steps:
        assert "${{" not in each.get("run", "")
        assert each.get("shell", "bash") == "bash"
    assert document["outputs"]["exit-code"]["value"] == "${{ steps.run.outputs.exit-code }}"


def test_the_install_step_installs_ccat_from_the_actions_checkout_once(
    installed: Installed,
) -> None:
    from ccat import __version__

    assert installed.first.stdout.strip().endswith(f"ccat {__version__}")
    assert Path(installed.bin, "ccat").is_file()
    assert "Successfully installed" not in installed.again.stdout  # found ready


def test_status_in_the_action_fails_on_a_missing_secret_with_its_annotation_and_summary(
    installed: Installed, hub: FakeHub, workspace: Path
) -> None:
    for repository in REPOS[:2]:
        hub.set_secret(repository, "GH_PAT", "value")
    done, outputs, summary = run_action(
        installed, hub, workspace, {"command": "status", "strict": "true"}, {"GH_TOKEN": OPERATOR}
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert outputs["exit-code"] == "1"
    ours = assert_no_forged_command(done.stdout, done.stderr)
    assert [(c.name, c.properties["title"]) for c in ours] == [("error", "GH_PAT missing")]
    assert ours[0].data.startswith("ccatobs/ops-db-api: GH_PAT is not set")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### GH_PAT in ccatobs\n")
    page = render(text)
    assert "table" in page.tags and "ccatobs/ops-db-api" in page.text


def test_verify_in_the_action_warns_of_the_expiry_and_fails_with_strict(
    installed: Installed, hub: FakeHub, workspace: Path
) -> None:
    token = "github_pat_" + secrets.token_hex(20)
    soon = datetime.now(UTC) + timedelta(days=5, hours=1)
    hub.add_token(
        token, TokenSpec("ccat-ci-bot", expires_at=soon.strftime("%Y-%m-%d %H:%M:%S UTC"))
    )
    lenient, outputs, summary = run_action(
        installed, hub, workspace, {"command": "verify"}, {"GH_PAT": token}
    )
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert outputs["exit-code"] == "0"
    ours = assert_no_forged_command(lenient.stdout, lenient.stderr)
    assert [(c.name, c.properties["title"]) for c in ours] == [("warning", "GH_PAT token expiry")]
    assert f"expires on {soon:%Y-%m-%d}, in 5 days" in ours[0].data
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### GH_PAT token in ccatobs\n")
    assert "| ccatobs/ops-db | ✅ reads Actions |" in text
    strict, outputs, _ = run_action(
        installed, hub, workspace, {"command": "verify", "strict": "true"}, {"GH_PAT": token}
    )
    assert strict.returncode == 1 and outputs["exit-code"] == "1"
    # Two steps, one summary file: both reports, in order.
    assert summary.read_text(encoding="utf-8").count("### GH_PAT token in ccatobs") == 2
    for done in (lenient, strict):
        assert token not in done.stdout + done.stderr
        assert token[11:] not in done.stdout + done.stderr
    assert token not in summary.read_text(encoding="utf-8")


def test_verify_in_the_action_without_the_secret_says_how_to_map_it(
    installed: Installed, hub: FakeHub, workspace: Path
) -> None:
    # `${{ secrets.GH_PAT }}` of a repository without the secret is an empty string.
    done, outputs, _ = run_action(installed, hub, workspace, {"command": "verify"}, {"GH_PAT": ""})
    assert done.returncode == 2 and outputs["exit-code"] == "2"
    said = " ".join(done.stderr.split())
    assert "no token given" in said and "env: GH_PAT: ${{ secrets.GH_PAT }}" in said
    assert hub.requests == []


@pytest.mark.parametrize("command", ["status", "verify"])
def test_one_stores_input_serves_both_commands(
    installed: Installed, hub: FakeHub, workspace: Path, command: str
) -> None:
    token = "github_pat_" + secrets.token_hex(20)
    hub.add_token(token, TokenSpec("ccat-ci-bot"))
    for repository in REPOS:
        hub.set_secret(repository, "GH_PAT", token)
    env = {"GH_TOKEN": OPERATOR, "GH_PAT": token}
    done, outputs, _ = run_action(
        installed, hub, workspace, {"command": command, "stores": "actions"}, env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs["exit-code"] == "0"
    # Only Actions was asked: no Dependabot or environment request.
    assert not [r for r in hub.requests if "/dependabot/" in r.path or "/environments" in r.path]
    wrong, outputs, _ = run_action(
        installed, hub, workspace, {"command": command, "stores": "vault"}, env
    )
    assert wrong.returncode == 2 and outputs["exit-code"] == "2"
    assert "--stores" in wrong.stderr


@pytest.mark.parametrize(
    ("inputs", "said"),
    [
        ({"command": "rotate"}, "the input 'command' must be status or verify"),
        ({"command": "status::add-mask::x"}, "the input 'command' must be status or verify"),
        ({"strict": "yes"}, "the input 'strict' must be true or false"),
    ],
)
def test_a_bad_input_is_named_never_echoed(
    installed: Installed, hub: FakeHub, workspace: Path, inputs: dict[str, str], said: str
) -> None:
    done, outputs, _ = run_action(installed, hub, workspace, inputs, {"GH_TOKEN": OPERATOR})
    assert done.returncode == 2
    assert "exit-code" not in outputs
    (command,) = assert_no_forged_command(done.stdout, done.stderr)
    assert command.properties["title"] == "GH_PAT action"
    assert said in command.data
    assert "add-mask" not in done.stdout
    assert hub.requests == []


def test_the_nightly_workflow_uses_this_action_for_both_commands() -> None:
    path = ROOT / "examples" / "workflows" / "gh-pat-nightly.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads `on` as true
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    assert document["permissions"] == {"contents": "read"}
    (job,) = document["jobs"].values()
    steps = job["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    (app,) = [s for s in steps if s.get("uses", "").startswith("actions/create-github-app-token@")]
    ours = [s for s in steps if re.fullmatch(r"ccatobs/ccat@\S+", s.get("uses", ""))]
    assert [s["with"]["command"] for s in ours] == ["status", "verify"]
    status, verify = ours
    assert status["env"] == {"GH_TOKEN": f"${{{{ steps.{app['id']}.outputs.token }}}}"}
    assert verify["env"] == {"GH_PAT": "${{ secrets.GH_PAT }}"}
    assert verify["if"] == "${{ !cancelled() }}"
    declared = set(action()["inputs"])
    for each in ours:
        assert set(each["with"]) <= declared
        assert each["with"]["strict"] is True
