"""The emulator's command line (issue 14 defect 8, issue 15 item 9): every argument's
mistake is a usage error (exit 2, `error: …`), never a traceback; `--help` fits 80
columns; `--log` prints each request; `--expires` sets a token's expiry as GitHub sends
it, so that the expiry warning can be rehearsed."""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccat.fakehub.__main__ import main
from ccat.fakehub.command_line import expiry_text, parse
from ccat.pat.github.client import token_expiry
from tests.support.environment import environment
from tests.support.processes import run_ccat, serve
from tests.support.rotation import write_graph


@pytest.fixture
def graph(tmp_path: Path) -> Path:
    """A small dependency graph."""
    return write_graph(tmp_path / "dependency-graph.yml", ["ops-db"])


def _environment(**extra: str) -> dict[str, str]:
    """The child's environment: nothing of the developer's GitHub or ccat settings."""
    return environment({"PYTHONUNBUFFERED": "1", **extra})


def _run(*args: str, columns: str = "80") -> subprocess.CompletedProcess[str]:
    return run_ccat(*args, env=_environment(COLUMNS=columns), module="ccat.fakehub")


# Each option's mistakes, as a tired operator (or a script) makes them.
BAD_ARGUMENTS = {
    "port too large": (["--port", "70000"], "--port"),
    "port negative": (["--port", "-1"], "--port"),
    "port huge": (["--port", "99999999999999999999999"], "--port"),
    "port words": (["--port", "eighty"], "--port"),
    "org with a bang": (["--org", "bad_org!"], "--org"),
    "org empty": (["--org", ""], "--org"),
    "host IPv6": (["--host", "::1"], "--host"),
    "host with a space": (["--host", "local host"], "--host"),
    "host not ASCII": (["--host", "hôte"], "--host"),
    "host NUL": (["--host", "a\x00b"], "--host"),
    "latency nan": (["--latency", "nan"], "--latency"),
    "latency inf": (["--latency", "inf"], "--latency"),
    "latency negative": (["--latency", "-1"], "--latency"),
    "latency an hour": (["--latency", "3600"], "--latency"),
    "token empty": (["--token", ""], "--token"),
    "token without value": (["--token", "=alice"], "--token"),
    "token with a space": (["--token", "a b"], "--token"),
    "token not ASCII": (["--token", "tökén"], "--token"),
    "login with a space": (["--token", "op=al ice"], "--token"),
    "token twice": (["--token", "op", "--token", "op"], "--token"),
    "expires unknown token": (["--token", "op", "--expires", "other=10d"], "--expires"),
    "expires words": (["--token", "op", "--expires", "op=tomorrow"], "--expires"),
    "expires year 1": (["--token", "op", "--expires", "op=0001-01-01"], "--expires"),
    "expires far": (["--token", "op", "--expires", "op=99999d"], "--expires"),
    "expires no token": (["--expires", "10d"], "--expires"),
    "fail": (["--fail", "PUT /x=boom"], "--fail"),
    "fail regex": (["--fail", "PUT /x(=403"], "--fail"),
    "budget": (["--budget", "0"], "--budget"),
    "unknown option": (["--bogus"], "--bogus"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_each_bad_argument_is_a_usage_error(
    case: str, graph: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args, named = BAD_ARGUMENTS[case]
    with pytest.raises(SystemExit) as exited:
        main(["--graph", str(graph), *args])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: python -m ccat.fakehub" in captured.err
    (error,) = [line for line in captured.err.splitlines() if "error:" in line]
    assert named in error, error  # the first line names the argument
    assert "\x00" not in captured.err


def test_a_missing_graph_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "the following arguments are required: --graph" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--port", "70000"], "a port is a number from 1 to 65535"),  # was OverflowError
        (["--org", "bad_org!"], "an organisation is 1-39 letters"),  # was a raw UsageError
        (["--latency", "nan"], "SECONDS is a number from 0 to 60"),
        (["--host", "192.0.2.1"], "cannot listen on 192.0.2.1:0"),  # not this machine's
    ],
)
def test_the_process_exits_2_with_a_message_and_no_traceback(
    graph: Path, args: list[str], said: str
) -> None:
    done = _run("--graph", str(graph), *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert said in " ".join(done.stderr.split())
    assert "Traceback" not in done.stderr
    # Wrapped for an 80-column terminal, at spaces (argparse printed one long line).
    assert max(map(len, done.stderr.splitlines())) <= 80


OPTIONS = ["--org", "--host", "--port", "--latency", "--token", "--expires", "--fail", "--budget"]


@settings(max_examples=300)
@given(option=st.sampled_from(OPTIONS), value=st.text(max_size=40))
def test_any_value_of_any_option_parses_or_is_a_usage_error(option: str, value: str) -> None:
    try:
        parse(["--graph", "g.yml", "--token", "op", option, value])
    except SystemExit as exited:
        assert exited.code == 2
    # Nothing else escapes: an exception here fails the test with its traceback.


# --- --help -----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("columns", ["200", "80", "60"])
def test_help_fits_80_columns_and_never_splits_a_word(columns: str) -> None:
    done = _run("--help", columns=columns)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert not [line for line in lines if re.search(r"\w-$", line)]
    for option in ("--log", "--expires TOKEN=WHEN", "--fail SPEC", "hang", "drop"):
        assert option in done.stdout


# --- --expires ---------------------------------------------------------------------------


def test_when_is_a_date_githubs_form_or_days_from_now() -> None:
    now = datetime(2026, 11, 25, 19, 0, tzinfo=UTC)
    assert expiry_text("2027-02-01", now) == "2027-02-01 00:00:00 UTC"
    assert expiry_text("2027-02-01 12:30:00 UTC", now) == "2027-02-01 12:30:00 UTC"
    assert expiry_text("10d", now) == "2026-12-05 19:00:00 UTC"
    assert expiry_text("-1d", now) == "2026-11-24 19:00:00 UTC"  # already expired
    for bad in ("tomorrow", "2027-02-30", "2027-02-01T00:00:00Z", "9999-12-31", "4000d"):
        with pytest.raises(argparse.ArgumentTypeError):
            expiry_text(bad, now)


@pytest.mark.slow
def test_expires_and_log_from_the_command_line(graph: Path) -> None:
    # A new token expiring in 10 days, and every request logged.
    tokens = ["--token", "op=alice", "--token", "new-pat", "--expires", "new-pat=10d"]
    with serve("--graph", str(graph), "--log", *tokens) as served:
        url = served.url
        before = datetime.now(UTC)
        answer = httpx.get(f"{url}/user", headers={"Authorization": "Bearer new-pat"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["login"] == "ccat-ci-bot"
        expiry = token_expiry(answer.headers.get("github-authentication-token-expiration"))
        assert expiry.expires_at is not None  # in GitHub's own form, which ccat reads
        days = (datetime.fromisoformat(expiry.expires_at) - before).total_seconds() / 86400
        assert 9.99 < days <= 10.01
        operator = httpx.get(f"{url}/user", headers={"Authorization": "Bearer op"}, timeout=10)
        assert "github-authentication-token-expiration" not in operator.headers
        key = f"{url}/repos/ccatobs/ops-db/actions/secrets/public-key"
        assert httpx.get(key, headers={"Authorization": "Bearer op"}, timeout=10).status_code == 200
        # A path with an escape character, as only a hostile client sends it.
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(b"GET /us\x1b[2Jer?x=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            assert raw.recv(100).startswith(b"HTTP/1.1 ")
        stderr = served.stop()
    assert served.process.returncode == 0 and "Traceback" not in stderr
    assert "fakehub: token 'new-pat' expires 20" in stderr
    logged = [line for line in stderr.splitlines() if re.match(r"fakehub: \d\d:\d\d:\d\d ", line)]
    assert [line.split()[2:6] for line in logged] == [
        ["GET", "/user", "->", "200"],
        ["GET", "/user", "->", "200"],
        ["GET", "/repos/ccatobs/ops-db/actions/secrets/public-key", "->", "200"],
        ["GET", "/us\\x1b[2Jer?x=1", "->", "401"],
    ]
    assert [line.split()[6] for line in logged[:3]] == ["ccat-ci-bot", "alice", "alice"]
    assert "\x1b" not in stderr
