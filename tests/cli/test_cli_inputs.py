"""The inputs of SPEC §2.2 on the command line (issues 7.1, 7.5, 7.11 and 10.6): a bad
API URL, a malformed operator credential or new token is exit 2 before any request,
and no piece of a token appears anywhere in what is printed.

In-process runs (`CliRunner`) check messages and the emulator's request log; one real
subprocess per kind of token checks what a real standard input and environment do (the
original failure was a `UnicodeEncodeError` traceback quoting a character of the token).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ccat.cli import app
from ccat.fakehub import FakeHub
from tests.support.environment import environment
from tests.support.rotation import ROTATION_OPERATOR_TOKEN, RotationCase

# Distinctive pieces: any of them in an output means a token leaked (or a codec
# reported a character of one, with its position).
PIECES = ("QXZJ", "WKVQ", "é", "xe9", "u00e9", "xc3", "position", "codec", "Traceback")
CREDENTIAL_VARIABLES = (
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GITHUB_API_URL",
    "GH_HOST",
)
BAD_NEW_TOKENS = {
    "non-ASCII": "ghp_QXZJé_WKVQ".encode(),
    "not UTF-8": b"ghp_QXZJ\xff\xfe_WKVQ",
    "NUL": b"ghp_QXZJ\x00WKVQ",
    "tab": b"ghp_QXZJ\tWKVQ",
    "carriage return": b"ghp_QXZJ\rWKVQ",
    "1 MB": b"ghp_QXZJ" + b"a" * 1_000_000 + b"WKVQ",
}
BAD_OPERATOR_TOKENS = {
    "non-ASCII": "ghp_QXZJé_WKVQ",
    "newline": "ghp_QXZJ\nWKVQ",
    "tab": "ghp_QXZJ\tWKVQ",
    "1 MB": "ghp_QXZJ" + "a" * 1_000_000 + "WKVQ",
}


def assert_no_piece(*texts: str) -> None:
    for text in texts:
        squeezed = "".join(text.split())  # a token wrapped across lines is still found
        for piece in PIECES:
            assert piece not in text and piece not in squeezed, f"{piece!r} leaked"


def run(args: list[str], *, env: Mapping[str, str | None], input: bytes | None = None) -> Result:
    """`ccat` in-process with only the given credentials (the shell's are removed)."""
    clean: dict[str, str | None] = dict.fromkeys(CREDENTIAL_VARIABLES)
    clean.update({"PATH": "", "COLUMNS": "100000", "NO_COLOR": "1"})
    clean.update(env)
    return CliRunner().invoke(app, args, input=input, env=clean)


def everything(result: Result) -> list[str]:
    """What the operator could see: both streams and any escaped exception."""
    return [result.stdout, result.stderr, repr(result.exception)]


@pytest.fixture
def rotate(rotate_args: list[str]) -> list[str]:
    """`pat rotate --yes` against the emulator (tests/cli/conftest.py)."""
    return rotate_args


@pytest.mark.parametrize("line", BAD_NEW_TOKENS.values(), ids=BAD_NEW_TOKENS.keys())
def test_a_malformed_new_token_is_exit_2_before_any_request(
    hub: FakeHub, rotate: list[str], journal_path: Path, line: bytes
) -> None:
    result = run(rotate, env={"GH_TOKEN": ROTATION_OPERATOR_TOKEN}, input=line + b"\n")
    assert result.exit_code == 2, result.stderr
    assert "the new token " in result.stderr
    assert_no_piece(*everything(result))
    assert hub.requests == []
    assert not journal_path.exists()


@pytest.mark.parametrize("token", BAD_OPERATOR_TOKENS.values(), ids=BAD_OPERATOR_TOKENS.keys())
@pytest.mark.parametrize("command", ["status", "rotate"])
def test_a_malformed_operator_token_is_exit_2_before_any_request(
    case: RotationCase, token: str, command: str
) -> None:
    args = ["pat", command, "--graph", str(case.graph), "--api-url", case.hub.url]
    if command == "rotate":
        args += ["--journal", str(case.tmp_path / "journal.json"), "--yes"]
    result = run(args, env={"GH_TOKEN": token}, input=b"ghp_a_good_new_token\n")
    assert result.exit_code == 2, result.stderr
    assert "GH_TOKEN " in result.stderr
    assert_no_piece(*everything(result))
    assert case.hub.requests == []


@pytest.mark.parametrize(
    ("option", "env_url", "source"),
    [
        ("{url}?", None, "--api-url"),
        ("{url}/#", None, "--api-url"),
        (None, "{url}?", "GITHUB_API_URL"),
        ("http://UsEr:PaSs@{host}", None, "--api-url"),
    ],
)
def test_a_bad_api_url_is_exit_2_before_any_request(
    hub: FakeHub,
    graph_file: Path,
    option: str | None,
    env_url: str | None,
    source: str,
) -> None:
    # The issue: with '?' every request went to GET /, answered 200: all "present".
    host = hub.url.removeprefix("http://")
    args = ["pat", "status", "--graph", str(graph_file)]
    if option is not None:
        args += ["--api-url", option.format(url=hub.url, host=host)]
    env = {"GH_TOKEN": ROTATION_OPERATOR_TOKEN}
    if env_url is not None:
        env["GITHUB_API_URL"] = env_url.format(url=hub.url)
    result = run(args, env=env)
    assert result.exit_code == 2, result.stdout
    assert f"error: {source} " in result.stderr
    assert "UsEr" not in result.stderr and "PaSs" not in result.stderr
    assert hub.requests == []


def test_a_loopback_api_takes_gh_token_not_the_enterprise_one(
    hub: FakeHub, graph_file: Path
) -> None:
    # Round two (SPEC §2.2): the emulator, on this machine, takes github.com's variables;
    # GH_ENTERPRISE_TOKEN holds a wrong credential: were it used, every row would fail.
    for repository in hub.repositories:
        hub.set_secret(repository, "GH_PAT", "value")
    args = ["pat", "status", "--graph", str(graph_file), "--api-url", hub.url]
    env = {"GH_TOKEN": ROTATION_OPERATOR_TOKEN, "GH_ENTERPRISE_TOKEN": "ghp_wrong"}
    result = run(args, env=env)
    assert result.exit_code == 0, result.stderr
    assert {request.token_login for request in hub.requests} == {"ccat-operator"}


def test_no_credential_lists_what_was_tried(hub: FakeHub, graph_file: Path) -> None:
    result = run(["pat", "status", "--graph", str(graph_file), "--api-url", hub.url], env={})
    assert result.exit_code == 4  # issue 15.3: a missing operator credential is 4
    assert (
        "no operator credential for 127.0.0.1: GH_TOKEN, GITHUB_TOKEN are unset or empty, and "
        "`gh` is not installed"
    ) in result.stderr
    assert hub.requests == []


def subprocess_env(**extra: str) -> dict[str, str]:
    return environment({"COLUMNS": "100000", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8", **extra})


@pytest.mark.slow
@pytest.mark.parametrize(
    "line", [BAD_NEW_TOKENS["non-ASCII"], BAD_NEW_TOKENS["not UTF-8"], BAD_NEW_TOKENS["NUL"]]
)
def test_a_real_process_refuses_a_malformed_new_token_cleanly(
    hub: FakeHub, rotate: list[str], line: bytes
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ccat", *rotate],
        input=line + b"\n",
        capture_output=True,
        env=subprocess_env(GH_TOKEN=ROTATION_OPERATOR_TOKEN),
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode("utf-8", errors="backslashreplace")
    assert done.returncode == 2, stderr
    assert "the new token contains" in stderr
    assert_no_piece(stderr, done.stdout.decode("utf-8", errors="backslashreplace"))
    assert hub.requests == []


@pytest.mark.slow
def test_a_real_process_refuses_a_non_ascii_gh_token_cleanly(
    hub: FakeHub, graph_file: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ccat", "pat", "status", "--graph", str(graph_file)],
        capture_output=True,
        env=subprocess_env(GH_TOKEN=BAD_OPERATOR_TOKENS["non-ASCII"], GITHUB_API_URL=hub.url),
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode("utf-8", errors="backslashreplace")
    assert done.returncode == 2, stderr
    assert "GH_TOKEN contains a character that is not ASCII" in stderr
    assert_no_piece(stderr, done.stdout.decode("utf-8", errors="backslashreplace"))
    assert hub.requests == []
