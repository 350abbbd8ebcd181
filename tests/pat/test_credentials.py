"""Tests for `ccat.commands.credentials`: the API URL (issue 7.1, 7.11), where the operator
credential comes from (issue 10.6), and the token rules (issue 7.5).

A fake `gh` is a shell script on a PATH of its own; standard input is replaced with a
byte stream (the `sys` module's, never our own code's). Tokens are distinctive so that
any piece of one in a message would be found.
"""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from ccat.commands.credentials import (
    MAX_TOKEN_LENGTH,
    MAX_TOKEN_LINE_BYTES,
    Credential,
    credential_variables,
    gh_hostname,
    read_new_token,
    resolve_api_url,
    resolve_credential,
    token_problem,
    validate_token,
)
from ccat.pat.errors import CredentialError, InvalidNewTokenError, UsageError

PROPERTY = settings(max_examples=300)
ENTERPRISE = ("GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")
DOTCOM = ("GH_TOKEN", "GITHUB_TOKEN")

# Every way a token can be wrong, as the messages say it; nothing else may appear.
PROBLEMS = {
    "is empty",
    f"is more than {MAX_TOKEN_LENGTH} characters long",
    "contains a character that is not ASCII (a typographic quote, or an invisible "
    "character picked up by copy and paste?)",
    "contains a space, a tab or a line break",
    "contains a control character",
}


def text_of(error: BaseException) -> str:
    """Everything an error could show: its message, hint, str and repr."""
    parts = [str(error), repr(error), getattr(error, "message", ""), getattr(error, "hint", "")]
    return "\n".join(part or "" for part in parts)


def usage_error(option: str | None, env: dict[str, str], **kwargs: bool) -> UsageError:
    with pytest.raises(UsageError) as info:
        resolve_api_url(option, env, **kwargs)
    return info.value


# --- the API URL ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("https://api.github.com", "https://api.github.com"),
        ("https://api.github.com/", "https://api.github.com"),
        ("  https://ghe.example.com/api/v3/ ", "https://ghe.example.com/api/v3"),
        ("HTTPS://ghe.example.com:8443/api/v3", "https://ghe.example.com:8443/api/v3"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.45.6.7:1/", "http://127.45.6.7:1"),
        ("http://localhost:65535", "http://localhost:65535"),
        ("http://[::1]:9000/api", "http://[::1]:9000/api"),
        ("https://[2001:db8::1]/api/v3", "https://[2001:db8::1]/api/v3"),
    ],
)
def test_valid_api_urls(given_url: str, expected: str) -> None:
    assert resolve_api_url(given_url, {}) == expected


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        # The reproductions: each sent every request to GET /, answered 200.
        ("http://127.0.0.1:8080?", "has a query string ('?')"),
        ("http://127.0.0.1:8080/#", "has a fragment ('#')"),
        ("https://api.github.com/?per_page=1", "has a query string"),
        ("", "is empty"),
        ("   ", "is empty"),
        ("api.github.com", "is not an https:// URL"),
        ("ftp://api.github.com", "is not an https:// URL"),
        ("https://", "has no host"),
        ("https:///api/v3", "has no host"),
        ("https://-bad-.example", "has an invalid host"),
        ("https://a..b", "has an invalid host"),
        ("https://[::1", "is not a valid URL"),
        ("https://[not:an:address]/", "is not a valid URL"),
        ("https://host:0", "has an invalid port"),
        ("https://host:65536", "has an invalid port"),
        ("https://host:99999999999999999999", "has an invalid port"),
        ("https://host:http", "has an invalid port"),
        ("https://host:", "has an invalid port"),
        ("https://host:+443", "has an invalid port"),
        ("https://ho st/", "contains a space"),
        ("https://host/\x1b[2J", "a control character"),
        ("https://exämple.com", "not ASCII"),
    ],
)
def test_invalid_api_urls(bad: str, fragment: str) -> None:
    error = usage_error(bad, {})
    assert error.exit_code == 2
    assert error.message.startswith("--api-url")
    assert fragment in error.message
    assert error.hint is not None and "https://api.github.com" in error.hint


def test_a_control_character_is_never_echoed() -> None:
    error = usage_error("https://host/\x1b[2J", {})
    assert "\x1b" not in text_of(error)


@pytest.mark.parametrize(
    "url",
    [
        "https://UsErNaMe:PaSsWoRd@ghe.example.com/api/v3",
        "https://PaSsWoRd@ghe.example.com",
        "http://UsErNaMe:PaSsWoRd@127.0.0.1:8080",
        "https://UsErNaMe:Pa/Ss?Wo#Rd@ghe.example.com",
        "UsErNaMe:PaSsWoRd@https://ghe.example.com",
        "https://UsErNaMe:PaSsWoRd@exämple.com",
    ],
)
def test_credentials_in_the_url_are_refused_and_never_echoed(url: str) -> None:
    error = usage_error(url, {})
    assert "credentials" in error.message or "not ASCII" in error.message
    for piece in ("UsEr", "NaMe", "PaSs", "WoRd", "Wo#Rd", "Pa/Ss"):
        assert piece not in text_of(error)


def test_a_query_is_not_echoed_either() -> None:
    # An access_token in a query string was a way to authenticate once.
    error = usage_error("https://ghe.example.com/api/v3?access_token=ToKeNvAlUe", {})
    assert "'https://ghe.example.com/api/v3?…'" in error.message
    assert "ToKeN" not in text_of(error)


@given(
    user=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12),
    password=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12),
    scheme=st.sampled_from(["https://", "http://", ""]),
)
@example(user="://", password="", scheme="")  # `QjZx://:VwKq@…` looked like a scheme
@PROPERTY
def test_no_piece_of_any_credential_is_echoed(user: str, password: str, scheme: str) -> None:
    secret_part = f"QjZx{user}:{password}VwKq"
    url = f"{scheme}{secret_part}@ghe.example.com/api/v3"
    error = usage_error(url, {})
    shown = text_of(error)
    # Everything before the last '@' is hidden, whatever it holds.
    assert "QjZx" not in shown
    assert "VwKq" not in shown


def test_plain_http_to_another_host_is_refused_naming_the_flag() -> None:
    error = usage_error("http://ghe.internal:8080/api/v3", {})
    assert "in clear" in error.message
    assert "operator credential" in error.message
    assert error.hint is not None and "--insecure-http" in error.hint
    allowed = resolve_api_url("http://ghe.internal:8080/api/v3", {}, insecure_http=True)
    assert allowed == "http://ghe.internal:8080/api/v3"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.255.0.9", "localhost", "[::1]"])
def test_plain_http_to_this_machine_is_allowed(host: str) -> None:
    assert resolve_api_url(f"http://{host}:4000", {}) == f"http://{host}:4000"


@pytest.mark.parametrize("host", ["128.0.0.1", "10.0.0.1", "[::2]", "localhost.example.com"])
def test_plain_http_elsewhere_is_not_loopback(host: str) -> None:
    assert "in clear" in usage_error(f"http://{host}:4000", {}).message


def test_precedence_option_then_environment_then_gh_host_then_github() -> None:
    env = {"GITHUB_API_URL": "https://from-env.example", "GH_HOST": "from-host.example"}
    assert resolve_api_url("https://from-option.example", env) == "https://from-option.example"
    assert resolve_api_url(None, env) == "https://from-env.example"
    assert resolve_api_url(None, {"GH_HOST": "ghe.example.com"}) == "https://ghe.example.com/api/v3"
    assert resolve_api_url(None, {"GH_HOST": "GitHub.com"}) == "https://api.github.com"
    assert resolve_api_url(None, {"GITHUB_API_URL": "", "GH_HOST": " "}) == (
        "https://api.github.com"
    )
    assert resolve_api_url(None, {}) == "https://api.github.com"


@pytest.mark.parametrize(
    ("env", "source"),
    [
        ({"GITHUB_API_URL": "http://127.0.0.1:1?"}, "GITHUB_API_URL"),
        ({"GH_HOST": "ghe.example.com:0"}, "GH_HOST"),
        ({"GH_HOST": "https://ghe.example.com"}, "GH_HOST"),
        ({"GH_HOST": "ghe.example.com/api/v3"}, "GH_HOST"),
    ],
)
def test_errors_name_where_the_url_came_from(env: dict[str, str], source: str) -> None:
    assert usage_error(None, env).message.startswith(f"{source} ")


def test_gh_host_with_credentials_is_not_echoed() -> None:
    error = usage_error(None, {"GH_HOST": "UsEr:PaSs@ghe.example.com"})
    assert "UsEr" not in text_of(error) and "PaSs" not in text_of(error)


_URL_PIECES = [*"htps:/[]@?#%.-_0123456789:abcx é\t\n", "127.0.0.1", "::1", "//", "localhost"]
_URLISH = st.lists(st.sampled_from(_URL_PIECES), max_size=20).map("".join)


@given(
    text=st.one_of(
        _URLISH, st.builds("http://{}".format, _URLISH), st.builds("https://{}".format, _URLISH)
    ),
    insecure=st.booleans(),
)
@PROPERTY
def test_any_text_is_a_checked_url_or_a_usage_error(text: str, insecure: bool) -> None:
    try:
        url = resolve_api_url(text, {}, insecure_http=insecure)
    except UsageError as error:
        assert error.message.startswith("--api-url")
        assert "\n" not in error.message and "\t" not in error.message
        event("refused")
        return
    event("accepted")
    parts = urlsplit(url)
    assert parts.scheme in ("https", "http")
    assert parts.hostname
    assert 1 <= (parts.port or 443) <= 65535
    assert not parts.query and not parts.fragment and "?" not in url and "#" not in url
    assert parts.username is None and "@" not in url
    assert not url.endswith("/")
    assert (
        insecure
        or parts.scheme == "https"
        or parts.hostname in ("localhost", "::1")
        or (parts.hostname.startswith("127."))
    )


# --- the operator credential ----------------------------------------------------------


def fake_gh(directory: Path, script: str) -> dict[str, str]:
    """An environment whose PATH holds only a `gh` running `script` (sh)."""
    directory.mkdir(parents=True, exist_ok=True)
    gh = directory / "gh"
    # The script's own PATH: the one given to ccat holds nothing but this gh.
    gh.write_text("#!/bin/sh\nPATH=/usr/bin:/bin\n" + textwrap.dedent(script))
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    return {"PATH": str(directory)}


def test_github_com_uses_gh_token_then_github_token() -> None:
    url = "https://api.github.com"
    both = {"GH_TOKEN": "ghp_first", "GITHUB_TOKEN": "ghp_second", "GH_ENTERPRISE_TOKEN": "x"}
    assert resolve_credential(both, url) == Credential("ghp_first", "GH_TOKEN")
    only = {"GITHUB_TOKEN": "ghp_second", "GH_ENTERPRISE_TOKEN": "ghp_ignored", "PATH": ""}
    assert resolve_credential(only, url) == Credential("ghp_second", "GITHUB_TOKEN")


def test_another_host_takes_only_the_enterprise_variables() -> None:
    # Round two (issue 15 item 5): GH_TOKEN and GITHUB_TOKEN hold a github.com
    # credential, which is never sent to another host; they used to come last here.
    url = "https://ghe.example.com/api/v3"
    env = {name: f"token-from-{name}" for name in (*ENTERPRISE, *DOTCOM)}
    env["PATH"] = ""
    for name in ENTERPRISE:
        found = resolve_credential(env, url)
        assert found == Credential(f"token-from-{name}", name)
        env[name] = " "  # blank counts as unset: the next one is used
    with pytest.raises(CredentialError) as info:
        resolve_credential(env, url)  # only GH_TOKEN and GITHUB_TOKEN are left
    assert "GH_TOKEN and GITHUB_TOKEN are set but not used" in info.value.message
    assert credential_variables("ghe.example.com") == ENTERPRISE
    assert credential_variables("github.com") == DOTCOM
    assert credential_variables("127.0.0.1") == DOTCOM
    assert credential_variables("localhost") == DOTCOM


def test_the_emulator_accepts_gh_token() -> None:
    # An API on this machine (the emulator) takes github.com's variables (SPEC §2.2).
    found = resolve_credential({"GH_TOKEN": "operator"}, "http://127.0.0.1:5555")
    assert found == Credential("operator", "GH_TOKEN")


def test_the_credential_is_not_in_its_repr() -> None:
    assert "QwErTy" not in repr(Credential("QwErTyToKeN", "GH_TOKEN"))


@pytest.mark.parametrize(
    ("url", "hostname"),
    [
        ("https://api.github.com", "github.com"),
        ("https://ghe.example.com/api/v3", "ghe.example.com"),
        ("http://127.0.0.1:8080", "127.0.0.1"),
    ],
)
def test_gh_auth_token_is_asked_for_the_right_host(tmp_path: Path, url: str, hostname: str) -> None:
    log = tmp_path / "argv"
    env = fake_gh(tmp_path / "bin", f'echo "$@" > {log}\necho "  gho_fromgh  "\n')
    assert resolve_credential(env, url) == Credential("gho_fromgh", f"gh auth token ({hostname})")
    assert log.read_text() == f"auth token --hostname {hostname}\n"
    assert gh_hostname(url) == hostname


def test_gh_does_not_get_standard_input(tmp_path: Path) -> None:
    # `printf TOKEN | ccat pat rotate`: standard input holds the new token, which gh must
    # neither see nor consume. Run in a child whose standard input is a pipe.
    seen = tmp_path / "gh-stdin"
    env = fake_gh(tmp_path / "bin", f"cat > {seen}\necho gho_fromgh\n")
    program = (
        "import sys\n"
        "from ccat.commands.credentials import resolve_credential\n"
        f"print(resolve_credential({env!r}, 'https://api.github.com').source)\n"
        "print(sys.stdin.readline().strip())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        input=b"the-new-token-line\n",
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.decode().splitlines() == ["gh auth token (github.com)", "the-new-token-line"]
    assert seen.read_bytes() == b""


@pytest.mark.parametrize(
    ("script", "outcome"),
    [
        (
            "echo 'no oauth token' >&2\nexit 1\n",
            "`gh auth token --hostname github.com` failed (exit 1)",
        ),
        ("exit 0\n", "`gh auth token --hostname github.com` printed nothing"),
        ("echo '   '\n", "`gh auth token --hostname github.com` printed nothing"),
    ],
)
def test_gh_without_a_token_is_listed_in_the_error(
    tmp_path: Path, script: str, outcome: str
) -> None:
    env = fake_gh(tmp_path / "bin", script)
    with pytest.raises(CredentialError) as info:
        resolve_credential(env, "https://api.github.com")
    assert info.value.exit_code == 4  # issue 15.3: a missing operator credential is 4
    assert info.value.message == (
        f"no operator credential for github.com: GH_TOKEN, GITHUB_TOKEN are unset or empty, "
        f"and {outcome}"
    )
    assert info.value.hint is not None and "`gh auth login`" in info.value.hint


def test_no_gh_lists_what_was_tried_for_an_enterprise_host(tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    with pytest.raises(CredentialError) as info:
        resolve_credential({"PATH": str(empty)}, "https://ghe.example.com/api/v3")
    assert info.value.exit_code == 4
    assert info.value.message == (
        "no operator credential for ghe.example.com: GH_ENTERPRISE_TOKEN, "
        "GITHUB_ENTERPRISE_TOKEN are unset or empty, and `gh` is not installed"
    )
    assert info.value.hint is not None
    assert "GH_ENTERPRISE_TOKEN" in info.value.hint
    assert "gh auth login --hostname ghe.example.com" in info.value.hint


# Distinctive pieces: any of them in an output means a token leaked.
PIECES = ("QXZJ", "WKVQ", "é", "xe9", "u00e9", "\\x00", "position", "codec", "Traceback")
BAD_TOKENS = {
    "non-ASCII": "ghp_QXZJé_WKVQ",
    "NUL": "ghp_QXZJ\x00WKVQ",
    "newline": "ghp_QXZJ\nWKVQ",
    "tab": "ghp_QXZJ\tWKVQ",
    "space": "ghp_QXZJ WKVQ",
    "DEL": "ghp_QXZJ\x7fWKVQ",
    "1 MB": "ghp_QXZJ" + "a" * 1_000_000 + "WKVQ",
    "256 characters": "ghp_QXZJ" + "a" * 244 + "WKVQ",
}


def assert_no_piece(text: str) -> None:
    """No piece of a BAD_TOKENS token, nor a codec's report of one, is in `text`."""
    squeezed = "".join(text.split())  # a token wrapped across lines is still found
    for piece in PIECES:
        assert piece not in text and piece not in squeezed, f"{piece!r} leaked"


@pytest.mark.parametrize("token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
@pytest.mark.parametrize("variable", ["GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN"])
def test_a_malformed_operator_token_is_refused_naming_its_source(token: str, variable: str) -> None:
    # Each variable where it is read (round two: GH_TOKEN and GITHUB_TOKEN for github.com).
    url = "https://api.github.com" if variable in DOTCOM else "https://ghe.example.com/api/v3"
    with pytest.raises(UsageError) as info:
        resolve_credential({variable: token, "PATH": ""}, url)
    assert info.value.exit_code == 2
    assert info.value.message.startswith(f"{variable} ")
    assert info.value.message.removeprefix(f"{variable} ") in PROBLEMS
    assert_no_piece(text_of(info.value))


def test_a_malformed_token_is_not_skipped_for_the_next_source() -> None:
    env = {"GH_TOKEN": "bad token", "GITHUB_TOKEN": "ghp_good"}
    with pytest.raises(UsageError, match=r"^GH_TOKEN contains a space"):
        resolve_credential(env, "https://api.github.com")


@pytest.mark.parametrize(
    "output", [b"gho_QXZJ\xc3\xa9WKVQ\n", b"gho_QXZJ\xffWKVQ\n", b"QXZJ\nWKVQ\n"]
)
def test_malformed_gh_output_is_refused_without_quoting_it(tmp_path: Path, output: bytes) -> None:
    (tmp_path / "out").write_bytes(output)
    env = fake_gh(tmp_path / "bin", f"cat {tmp_path / 'out'}\n")
    with pytest.raises(UsageError) as info:
        resolve_credential(env, "https://api.github.com")
    assert info.value.message.startswith(
        "the output of `gh auth token --hostname github.com` contains"
    )
    assert_no_piece(text_of(info.value))


# --- token rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "token", ["a", "ghp_" + "A" * 36, "github_pat_" + "x" * 82, "!" * 255, "~" * MAX_TOKEN_LENGTH]
)
def test_well_formed_tokens_pass(token: str) -> None:
    validate_token(token, "GH_TOKEN")
    assert token_problem(token) is None


def test_the_length_limit_is_255() -> None:
    validate_token("a" * 255, "the new token")
    with pytest.raises(UsageError, match=r"^the new token is more than 255 characters long$"):
        validate_token("a" * 256, "the new token")


@given(value=st.text(max_size=300))
@PROPERTY
def test_validation_is_exactly_the_rule_and_its_message_is_fixed(value: str) -> None:
    rule = 1 <= len(value) <= 255 and all(0x21 <= ord(char) <= 0x7E for char in value)
    try:
        validate_token(value, "GH_TOKEN")
    except UsageError as error:
        assert not rule
        # One of five fixed sentences: nothing of the value can be in it.
        assert error.message.removeprefix("GH_TOKEN ") in PROBLEMS
        assert error.message.startswith("GH_TOKEN ")
        assert error.hint is not None and "255" in error.hint
    else:
        assert rule


# --- the new token --------------------------------------------------------------------


def use_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> io.BytesIO:
    """Make standard input (not a terminal) hold `data`; the stream shows how much is read."""
    raw = io.BytesIO(data)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(raw, encoding="utf-8"))
    return raw


@pytest.mark.parametrize(
    ("data", "token"),
    [
        (b"ghp_abc\n", "ghp_abc"),
        (b"  ghp_abc \r\n", "ghp_abc"),
        (b"ghp_abc", "ghp_abc"),
        (b"ghp_abc\nsecond line\n", "ghp_abc"),
    ],
)
def test_the_new_token_is_one_stripped_line(
    monkeypatch: pytest.MonkeyPatch, data: bytes, token: str
) -> None:
    use_stdin(monkeypatch, data)
    assert read_new_token("GH_PAT") == token


@pytest.mark.parametrize("data", [b"", b"\n", b"   \n", b"\nghp_second_line\n"])
def test_an_empty_new_token_is_refused(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    use_stdin(monkeypatch, data)
    with pytest.raises(InvalidNewTokenError, match=r"^no token given") as info:
        read_new_token("GH_PAT")
    assert info.value.exit_code == 2
    assert info.value.hint is not None and "GH_PAT" in info.value.hint


def test_no_standard_input_at_all_is_an_empty_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(InvalidNewTokenError, match=r"^no token given"):
        read_new_token("GH_PAT")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("ghp_QXZJé_WKVQ\n".encode(), "not ASCII"),
        (b"ghp_QXZJ\xff\xfeWKVQ\n", "not ASCII"),  # not even UTF-8: no UnicodeDecodeError
        ("\ufeffghp_QXZJWKVQ\n".encode(), "not ASCII"),  # a byte-order mark from a clipboard
        (b"ghp_QXZJ\x00WKVQ\n", "control character"),
        (b"ghp_QXZJ WKVQ\n", "space"),
        (b"ghp_QXZJ" + b"a" * 300 + b"WKVQ\n", "more than 255"),
    ],
)
def test_a_malformed_new_token_is_refused_without_quoting_it(
    monkeypatch: pytest.MonkeyPatch, data: bytes, problem: str
) -> None:
    use_stdin(monkeypatch, data)
    with pytest.raises(InvalidNewTokenError) as info:
        read_new_token("GH_PAT")
    assert info.value.exit_code == 2
    assert info.value.message.startswith("the new token ")
    assert info.value.message.removeprefix("the new token ") in PROBLEMS
    assert problem in info.value.message
    assert_no_piece(text_of(info.value))


def test_a_huge_line_is_refused_without_reading_it_all(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = use_stdin(monkeypatch, b"ghp_QXZJ" + b"a" * (8 * 1024 * 1024) + b"\n")
    with pytest.raises(InvalidNewTokenError, match="more than 255 characters long"):
        read_new_token("GH_PAT")
    assert raw.tell() <= MAX_TOKEN_LINE_BYTES + 1


def test_a_text_stream_without_a_buffer_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("  ghp_fromtext\n"))
    assert read_new_token("GH_PAT") == "ghp_fromtext"


@given(data=st.binary(max_size=400) | st.text(max_size=300).map(str.encode))
@PROPERTY
def test_any_input_is_a_token_or_a_fixed_refusal(data: bytes) -> None:
    # Not the monkeypatch fixture (function-scoped, so hypothesis refuses it): the same,
    # by hand.
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    try:
        token = read_new_token("GH_PAT")
    except InvalidNewTokenError as error:
        assert error.message.startswith(("the new token ", "no token given"))
        if error.message.startswith("the new token "):
            assert error.message.removeprefix("the new token ") in PROBLEMS
    else:
        first_line = data.split(b"\n", 1)[0].strip()
        assert token.encode("ascii") == first_line
        assert token_problem(token) is None
    finally:
        sys.stdin = saved


def test_environment_of_this_process_is_untouched() -> None:
    # resolve_credential reads the mapping it is given, never os.environ behind it.
    env = {"GH_TOKEN": "ghp_given"}
    assert resolve_credential(env, "https://api.github.com").token == "ghp_given"
    assert os.environ.get("GH_TOKEN") != "ghp_given"


def test_gh_leaving_a_child_holding_its_output_open_is_still_read(tmp_path: Path) -> None:
    # gh may start a credential helper that keeps its standard output open after gh
    # exits; ccat waited for the end of the stream and said "did not answer within
    # 15 s" although gh had printed a token.
    pid_file = tmp_path / "child.pid"
    env = fake_gh(tmp_path / "bin", f"sleep 60 &\necho $! > {pid_file}\necho gho_fromgh\n")
    try:
        found = resolve_credential(env, "https://api.github.com")
    finally:
        os.kill(int(pid_file.read_text()), 9)
    assert found == Credential("gho_fromgh", "gh auth token (github.com)")
