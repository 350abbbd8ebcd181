"""`python -m ccat.fakehub` as a subprocess: URL first on stdout, then it answers."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import httpx
import pytest

from ccat.fakehub import FakeHub
from ccat.fakehub.__main__ import _parser, _tokens, describe, fault_spec
from tests.support.processes import emulator_process, serve
from tests.support.rotation import write_graph


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    """A small dependency graph."""
    return write_graph(tmp_path / "dependency-graph.yml", ["ops-db", "ops-db-api"])


@pytest.mark.slow
def test_prints_the_url_first_and_serves_the_graph(graph: Path) -> None:
    with serve("--graph", str(graph), "--token", "op-token=alice", "--token", "pat") as served:
        url = served.url
        assert url.startswith("http://127.0.0.1:")
        operator = {"Authorization": "Bearer op-token"}
        user = httpx.get(f"{url}/user", headers=operator, timeout=10)
        assert user.json()["login"] == "alice"
        for repo in ["system-integration", "ops-db", "ops-db-api"]:
            response = httpx.get(f"{url}/repos/ccatobs/{repo}", headers=operator, timeout=10)
            assert response.status_code == 200, repo
        fresh = httpx.get(f"{url}/user", headers={"Authorization": "token pat"}, timeout=10)
        assert fresh.json()["login"] == "ccat-ci-bot"
        runs = httpx.get(
            f"{url}/repos/ccatobs/ops-db/actions/runs", headers={"Authorization": "token pat"}
        )
        assert runs.status_code == 200  # the others are fine-grained PATs that read Actions
        assert httpx.get(f"{url}/user", headers={"Authorization": "token x"}).status_code == 401
        stderr = served.stop(signal.SIGINT)
    assert served.process.returncode == 0
    assert "op-token" in stderr
    assert "Traceback" not in stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--graph", "{tmp}/missing.yml"], "missing.yml"),
        (["--graph", "{graph}", "--port", "{busy}"], "cannot listen"),
        (["--graph", "{graph}", "--fail", "PUT /x=boom"], "e.g. --fail"),
    ],
    ids=["a bad graph", "a port in use", "a bad fail spec"],
)
def test_what_it_cannot_serve_is_exit_2_before_any_url(
    graph: Path, tmp_path: Path, args: list[str], said: str
) -> None:
    with FakeHub() as hub:  # its port is in use
        busy = hub.url.rsplit(":", 1)[1]
        process = emulator_process(*(a.format(tmp=tmp_path, graph=graph, busy=busy) for a in args))
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stdout == ""
    assert said in stderr


def test_token_arguments() -> None:
    assert _tokens([]) == [("fakehub-operator-token", "ccat-operator")]
    assert _tokens(["a=alice", "b"]) == [("a", "alice"), ("b", "ccat-ci-bot")]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "PUT /repos/ccatobs/data-transfer/.*=403x1",
            ("PUT", "/repos/ccatobs/data-transfer/.*", "status", 403, 1),
        ),
        ("* /user=hang", ("*", "/user", "hang", 500, None)),
        ("get /repos/[^/]+/[^/]+=dropx3", ("GET", "/repos/[^/]+/[^/]+", "drop", 500, 3)),
        ("DELETE /a=b/c=599", ("DELETE", "/a=b/c", "status", 599, None)),
    ],
)
def test_a_fail_spec_becomes_a_fault(
    spec: str, expected: tuple[str, str, str, int, int | None]
) -> None:
    fault = fault_spec(spec)
    assert isinstance(fault.path, re.Pattern)
    assert (fault.method, fault.path.pattern, fault.action, fault.status, fault.count) == expected


def test_a_fail_spec_answers_with_githubs_message() -> None:
    assert fault_spec("PUT /x=403").message == "Resource not accessible by personal access token"
    assert fault_spec("GET /x=503").message == "Service Unavailable"
    assert fault_spec("GET /x=599").message == "Error"


@pytest.mark.parametrize(
    "spec",
    [
        "PUT /x",
        "/x=403",
        "PUT /x=explode",
        "PUT /x=99",
        "PUT /x=600",
        "PUT /x=403x0",
        "PUT /x(=403",
        "PUT =403",
    ],
)
def test_a_bad_fail_spec_is_a_usage_error_with_an_example(
    spec: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["--graph", "g.yml", "--fail", spec])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "--fail" in error
    assert "e.g. --fail 'PUT /repos/ccatobs/data-transfer/.*=403x1'" in error


@pytest.mark.parametrize("points", ["0", "-5", "lots"])
def test_a_bad_budget_is_a_usage_error(points: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["--graph", "g.yml", "--budget", points])
    assert exited.value.code == 2
    assert "--budget 900" in capsys.readouterr().err


def test_options_parse_faults_in_order_and_the_budget() -> None:
    options = _parser().parse_args(
        ["--graph", "g.yml", "--fail", "PUT /a=403", "--fail", "* /b=hangx2", "--budget", "900"]
    )
    assert [(f.method, f.action) for f in options.fail] == [("PUT", "status"), ("*", "hang")]
    assert (options.budget.points, options.budget.window) == (900, 60.0)
    assert _parser().parse_args(["--graph", "g.yml"]).budget is None
    assert [describe(fault) for fault in options.fail] == [
        "PUT /a -> 403, every time",
        "* /b -> hang, 2 times",
    ]


def test_help_explains_fail_and_budget_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "--fail 'PUT /repos/ccatobs/data-transfer/.*=403x1'" in text
    assert "=hangx2" in text
    assert "--budget 900" in text


@pytest.mark.slow
def test_armed_faults_are_said_and_answered(graph: Path) -> None:
    fail = [
        "--fail",
        "PUT /repos/ccatobs/ops-db/actions/secrets/.*=403x1",
        "--fail",
        "GET /user=drop",
    ]
    with serve("--graph", str(graph), "--token", "op", *fail, "--budget", "900") as served:
        operator = {"Authorization": "Bearer op"}
        secret = f"{served.url}/repos/ccatobs/ops-db/actions/secrets/GH_PAT"
        first = httpx.put(secret, headers=operator, json={}, timeout=10)
        assert first.status_code == 403
        assert first.json()["message"] == "Resource not accessible by personal access token"
        assert httpx.put(secret, headers=operator, json={}, timeout=10).status_code == 422
        for _ in range(2):  # no count: every time
            with pytest.raises(httpx.RemoteProtocolError):
                httpx.get(f"{served.url}/user", headers=operator, timeout=10)
        stderr = served.stop(signal.SIGINT)
    assert served.process.returncode == 0
    assert "fault armed: PUT /repos/ccatobs/ops-db/actions/secrets/.* -> 403, once" in stderr
    assert "fault armed: GET /user -> drop, every time" in stderr
    assert "points budget: 900 points per 60 s" in stderr
    assert "Traceback" not in stderr


@pytest.mark.slow
def test_copies_are_seeded_in_any_store(graph: Path) -> None:
    copies = ["--copy", "ops-db:dependabot", "--copy", "ccatobs/ops-db-api:environment:production"]
    with serve("--graph", str(graph), "--token", "op-token=alice", *copies) as served:
        url, operator = served.url, {"Authorization": "Bearer op-token"}
        dependabot = httpx.get(
            f"{url}/repos/ccatobs/ops-db/dependabot/secrets/GH_PAT", headers=operator, timeout=10
        )
        assert dependabot.status_code == 200
        environments = httpx.get(
            f"{url}/repos/ccatobs/ops-db-api/environments", headers=operator, timeout=10
        )
        assert [e["name"] for e in environments.json()["environments"]] == ["production"]
        actions = httpx.get(
            f"{url}/repos/ccatobs/ops-db/actions/secrets/GH_PAT", headers=operator, timeout=10
        )
        assert actions.status_code == 404  # only the stores named
        stderr = served.stop()
    assert "GH_PAT copy seeded: ops-db (dependabot)" in stderr


@pytest.mark.parametrize("text", ["ops-db", "ops-db:", "ops-db:vault", ":actions"])
def test_a_bad_copy_is_a_usage_error(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(["--graph", "g.yml", "--copy", text])
    assert exited.value.code == 2
    assert "e.g. --copy ops-db:dependabot" in capsys.readouterr().err
