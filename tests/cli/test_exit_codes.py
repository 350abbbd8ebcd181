"""One exit code per situation, in every command (issue 15, item 3; SPEC §12).

The operator credential missing or rejected is 4 in `status`, `rotate` and `rotate
--dry-run`, said once (not one `HTTP 401` per repository), with nothing written; a
signal during `status` is 130/143/129 and any later one is absorbed.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest
from typer.testing import Result

from ccat.fakehub import Fault
from tests.support.environment import child_env
from tests.support.processes import ccat_process
from tests.support.rotation import RotationCase, puts
from tests.support.terminal import wait_for

Ccat = Callable[..., Result]

ROTATE_FORMS = {
    "rotate": ["--yes"],
    "rotate --dry-run": ["--dry-run"],
    "rotate --json": ["--yes", "--json"],
}


@pytest.mark.parametrize("form", ROTATE_FORMS, ids=ROTATE_FORMS.keys())
def test_a_rejected_operator_credential_is_4_from_rotate_said_once(
    ccat: Ccat, asking_rotate_args: list[str], case: RotationCase, form: str
) -> None:
    result = ccat(
        *asking_rotate_args,
        *ROTATE_FORMS[form],
        input=case.token + "\n",
        env={"GH_TOKEN": "ghp_revoked0000"},
    )
    assert result.exit_code == 4, result.output
    assert result.stderr.count("GitHub rejected the operator credential from GH_TOKEN") == 1
    # Said once: no other 401 (the port and the folder of the graph may hold the digits).
    said = result.stderr.replace(case.hub.url, "URL").replace(str(case.tmp_path), "TMP")
    assert "HTTP 401" in said and said.count("401") == 1
    assert not any(target in result.stderr for target in case.targets)  # not per repository
    assert "nothing was written" in result.stderr and result.stdout == ""
    assert puts(case.hub) == [] and not case.journal.exists()
    assert "ghp_revoked0000" not in result.output and case.token not in result.output


@pytest.mark.parametrize("command", ["status", "rotate", "rotate --dry-run"])
def test_no_operator_credential_is_4_before_any_request(
    ccat: Ccat, asking_rotate_args: list[str], case: RotationCase, command: str
) -> None:
    if command == "status":
        args = ["pat", "status", "--graph", str(case.graph), "--api-url", case.hub.url]
    else:
        args = [*asking_rotate_args, "--dry-run" if "dry" in command else "--yes"]
    empty = case.tmp_path / "no-gh"
    empty.mkdir()
    result = ccat(*args, input="x\n", env={"GH_TOKEN": None, "PATH": str(empty)})
    assert result.exit_code == 4, result.output
    assert "no operator credential" in result.stderr
    assert case.hub.requests == []


PAIRS = {
    "INT": (signal.SIGINT,),
    "TERM": (signal.SIGTERM,),
    "HUP+HUP": (signal.SIGHUP, signal.SIGHUP),
    "INT+INT": (signal.SIGINT, signal.SIGINT),
    "TERM+INT": (signal.SIGTERM, signal.SIGINT),
}


@pytest.mark.slow
@pytest.mark.parametrize("signals", PAIRS.values(), ids=PAIRS.keys())
def test_a_signal_during_status_is_its_code_and_a_second_is_absorbed(
    case: RotationCase, signals: tuple[int, ...]
) -> None:
    case.hub.add_fault(Fault("GET", f"/repos/{case.targets[3]}/*", action="hang"))
    args = ["pat", "status", "--graph", str(case.graph), "--api-url", case.hub.url]
    env = child_env(case.hub.operator_token, case.tmp_path)
    with ccat_process(*args, env=env) as process:
        # Every other repository answered: status waits on the hanging one.
        wait_for(
            lambda: len(case.hub.requests) >= len(case.targets) - 1 or process.poll() is not None
        )
        assert process.poll() is None
        for number, signum in enumerate(signals):
            if number:  # 2 ms apart: sent at once, the kernel would deliver SIGINT first
                until = time.perf_counter() + 0.002
                while time.perf_counter() < until:
                    pass
            process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)

    # The first signal handled decides. Two that arrive before Python runs its handlers
    # are handled in signal-number order (SIGINT before SIGTERM), whatever the order
    # they were sent in: under load TERM+INT can end as Ctrl-C. Either way one code,
    # said once, and the other signal absorbed.
    handled = next(s for s in sorted(set(signals)) if process.returncode == 128 + s)
    assert handled == signals[0] or len(signals) == 2, stderr
    name = "Ctrl-C" if handled == signal.SIGINT else signal.Signals(handled).name
    assert stderr.count("status stopped; nothing was changed") == 1
    assert f"{name}: status stopped; nothing was changed" in stderr
    assert "Traceback" not in stderr and stdout == ""
