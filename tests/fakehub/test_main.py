"""`python -m ccat.fakehub` as a subprocess: URL first on stdout, then it answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ccat.fakehub import FakeHub
from ccat.fakehub.__main__ import _tokens

pytestmark = pytest.mark.slow


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    """A small dependency graph."""
    path = tmp_path / "dependency-graph.yml"
    path.write_text(
        "org: ccatobs\nrepositories:\n  ops-db: {}\n  ops-db-api:\n    depends_on: [ops-db]\n"
    )
    return path


def _start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ccat.fakehub", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture
def served(graph: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The emulator running in a subprocess, and its URL."""
    process = _start("--graph", str(graph), "--token", "op-token=alice", "--token", "pat")
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        yield process, url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def test_prints_the_url_first_and_serves_the_graph(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = served
    assert url.startswith("http://127.0.0.1:")
    operator = {"Authorization": "Bearer op-token"}
    user = httpx.get(f"{url}/user", headers=operator, timeout=10)
    assert user.json()["login"] == "alice"
    for repo in ["system-integration", "ops-db", "ops-db-api"]:
        response = httpx.get(f"{url}/repos/ccatobs/{repo}", headers=operator, timeout=10)
        assert response.status_code == 200, repo
    fresh = httpx.get(f"{url}/user", headers={"Authorization": "token pat"}, timeout=10)
    assert fresh.json()["login"] == "ccat-ci-bot"
    assert httpx.get(f"{url}/user", headers={"Authorization": "token x"}).status_code == 401
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "op-token" in stderr
    assert "Traceback" not in stderr


def test_a_bad_graph_is_exit_2(tmp_path: Path) -> None:
    process = _start("--graph", str(tmp_path / "missing.yml"))
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stdout == ""
    assert "missing.yml" in stderr


def test_a_port_in_use_is_exit_2(graph: Path) -> None:
    with FakeHub() as hub:
        port = hub.url.rsplit(":", 1)[1]
        process = _start("--graph", str(graph), "--port", port)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stdout == ""
    assert "cannot listen" in stderr


def test_token_arguments() -> None:
    assert _tokens([]) == [("fakehub-operator-token", "ccat-operator")]
    assert _tokens(["a=alice", "b"]) == [("a", "alice"), ("b", "ccat-ci-bot")]
