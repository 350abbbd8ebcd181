"""Where ccat talks and with which credential, on real processes (issue 14 defect 12,
issue 15 item 5, SPEC §2.2 and §12):

- the journal records the API in its normal form, and a journal written under another
  spelling still belongs to the same API for `--resume` and `status`;
- `http://127.1` is this machine;
- GH_TOKEN goes only to api.github.com and this machine: for another host (GH_HOST, an
  Enterprise URL) the enterprise variables are read, else exit 4 naming the variable to
  set. Proven with the emulator as a recording HTTP proxy standing in for that host:
  every request ccat sends to `ghe.example.org` goes through it, and none arrives;
- every command names the API when it is not api.github.com.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ccat.fakehub import FakeHub, Fault
from ccat.pat.journal import Journal
from tests.support.environment import child_env
from tests.support.processes import run_ccat
from tests.support.rotation import (
    FORBIDDEN,
    ONE_BY_ONE,
    SECRET,
    RotationCase,
    check_no_leak,
    current,
    holding,
    secret_path,
)

pytestmark = pytest.mark.slow
GITHUB_COM_TOKEN = "ghp_DOTCOM_CREDENTIAL_0000000000000000000"


def ccat(
    args: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m ccat ARGS` with `env` as its whole environment."""
    return run_ccat(*args, env=env, input=stdin, timeout=120)


def respell(journal_path: Path, url: str) -> None:
    """Rewrite every run's API URL as an older journal could hold it."""
    journal = Journal(journal_path)
    document = journal.load()
    for run in [*document.history, *([document.current] if document.current else [])]:
        run.api_url = url
    journal.save(document)


def spelt_differently(url: str) -> str:
    """The emulator's URL as `http://127.0.0.1:PORT`, spelt otherwise: upper-case scheme,
    another spelling of the address, a trailing slash."""
    return url.replace("http://127.0.0.1", "HTTP://127.1") + "/"


# --- one API, any spelling -----------------------------------------------------------


def test_the_journal_holds_the_normal_form_and_resume_takes_any_spelling(
    case: RotationCase,
) -> None:
    env = child_env(case.hub.operator_token, case.tmp_path)
    rotate = ["pat", "rotate", "--graph", str(case.graph), "--journal", str(case.journal)]
    rotate += ["--yes", *ONE_BY_ONE]
    case.hub.add_fault(Fault("PUT", secret_path(case.targets[3]), status=403, message=FORBIDDEN))
    stopped = ccat([*rotate, "--api-url", spelt_differently(case.hub.url)], env, case.token + "\n")
    assert stopped.returncode == 1, stopped.stderr
    assert current(case.journal).api_url == case.hub.url  # the normal form was recorded

    # An older journal spelt it otherwise; the operator now spells it a third way.
    respell(case.journal, case.hub.url.upper().replace("HTTP://", "http://") + "//")
    again = case.hub.url.replace("127.0.0.1", "[::ffff:127.0.0.1]")
    resumed = ccat([*rotate, "--resume", "--api-url", again], env, case.token + "\n")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "not " + SECRET not in resumed.stderr  # no "the unfinished rotation is for …"
    assert holding(case.hub, case.token) == set(case.targets)
    check_no_leak(case.token, case.tmp_path, [stopped.stdout, stopped.stderr, resumed.stderr])


def test_status_reads_a_journal_written_under_another_spelling(case: RotationCase) -> None:
    env = child_env(case.hub.operator_token, case.tmp_path)
    common = ["--graph", str(case.graph), "--journal", str(case.journal)]
    done = ccat(
        ["pat", "rotate", *common, "--api-url", case.hub.url, "--yes", "--write-interval", "0"],
        env,
        case.token + "\n",
    )
    assert done.returncode == 0, done.stderr
    respell(case.journal, spelt_differently(case.hub.url))
    status = ccat(
        ["pat", "status", *common, "--api-url", case.hub.url.replace("127.0.0.1", "127.1")], env
    )
    assert status.returncode == 0, status.stdout + status.stderr
    # The journal counted: the safe-to-revoke line comes only from the journal's run.
    assert "safe to revoke" in " ".join(status.stdout.split())


def test_plain_http_to_127_1_is_this_machine(case: RotationCase) -> None:
    url = case.hub.url.replace("127.0.0.1", "127.1")
    done = ccat(
        ["pat", "status", "--graph", str(case.graph), "--api-url", url],
        child_env(case.hub.operator_token, case.tmp_path),
    )
    assert "not this machine" not in done.stderr
    assert done.returncode == 1, done.stderr  # reached: every secret is missing
    assert case.hub.requests and {r.token_login for r in case.hub.requests} == {
        case.hub.operator_login
    }
    assert f"GitHub API at {case.hub.url}; operator credential from GH_TOKEN" in done.stderr


# --- credentials follow the host -------------------------------------------------------


@pytest.fixture
def proxy(hub: FakeHub) -> FakeHub:
    """The emulator as the proxy every request to ghe.example.org goes through; it knows
    the github.com credential as its own token, so that one arriving would be seen."""
    hub.add_token(GITHUB_COM_TOKEN, "dotcom-user")
    return hub


def enterprise_env(proxy: FakeHub, tmp_path: Path, **variables: str) -> dict[str, str]:
    """No credential but `variables`; every request goes through `proxy`; no `gh`."""
    env = child_env("", tmp_path)
    del env["GH_TOKEN"]
    no_gh = tmp_path / "no-gh"
    no_gh.mkdir(exist_ok=True)
    env.update(
        PATH=str(no_gh),
        HTTP_PROXY=proxy.url,
        HTTPS_PROXY=proxy.url,
        http_proxy=proxy.url,
        https_proxy=proxy.url,
        **variables,
    )
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(name, None)
    return env


@pytest.mark.parametrize("command", ["status", "rotate"])
@pytest.mark.parametrize(
    ("how", "args", "variables"),
    [
        ("GH_HOST", [], {"GH_HOST": "ghe.example.org"}),
        (
            "GITHUB_API_URL",
            ["--insecure-http"],
            {"GITHUB_API_URL": "http://ghe.example.org/api/v3"},
        ),
    ],
)
def test_gh_token_never_goes_to_another_host(
    proxy: FakeHub,
    graph_file: Path,
    tmp_path: Path,
    command: str,
    how: str,
    args: list[str],
    variables: dict[str, str],
) -> None:
    env = enterprise_env(proxy, tmp_path, GH_TOKEN=GITHUB_COM_TOKEN, **variables)
    done = ccat(["pat", command, "--graph", str(graph_file), *args], env, "\n")
    assert done.returncode == 4, done.stdout + done.stderr
    assert proxy.requests == []  # nothing was sent, with or without the token
    said = " ".join(done.stderr.split())
    assert "no operator credential for ghe.example.org" in said
    assert "GH_TOKEN is set but not used: a github.com credential is never sent to" in said
    assert "hint: export GH_ENTERPRISE_TOKEN" in said
    assert GITHUB_COM_TOKEN not in done.stdout + done.stderr


def test_the_enterprise_token_goes_to_that_host_and_gh_token_does_not(
    proxy: FakeHub, graph_file: Path, tmp_path: Path
) -> None:
    # The control: the same proxy does see what ccat sends to ghe.example.org.
    env = enterprise_env(
        proxy,
        tmp_path,
        GH_TOKEN=GITHUB_COM_TOKEN,
        GH_ENTERPRISE_TOKEN=proxy.operator_token,
        GITHUB_API_URL="http://ghe.example.org/api/v3",
    )
    done = ccat(["pat", "status", "--graph", str(graph_file), "--insecure-http"], env)
    assert done.returncode == 1, done.stdout + done.stderr  # checked: all missing
    assert proxy.requests, "the recording proxy saw nothing"
    assert all(r.raw_path.startswith("/api/v3/") for r in proxy.requests)  # via the proxy
    assert {r.token_login for r in proxy.requests} == {proxy.operator_login}
    said = " ".join(done.stderr.split())
    assert (
        "GitHub API at http://ghe.example.org/api/v3; operator credential from GH_ENTERPRISE_TOKEN"
    ) in said


def test_status_on_api_github_com_says_nothing_of_where(tmp_path: Path, graph_file: Path) -> None:
    # No credential at all: exit 4 before any request, and no "GitHub API at" line.
    env = child_env("", tmp_path)
    del env["GH_TOKEN"]
    env["PATH"] = str(tmp_path)
    done = ccat(["pat", "status", "--graph", str(graph_file)], env)
    assert done.returncode == 4
    assert "GitHub API at" not in done.stderr
    assert "no operator credential for github.com: GH_TOKEN, GITHUB_TOKEN" in done.stderr
